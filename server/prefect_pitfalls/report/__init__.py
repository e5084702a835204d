"""Reporters: findings to text for people, JSON for tools, SARIF for code scanning and
GitHub Actions workflow commands for annotations."""

from .github import render_github
from .json import render_json
from .sarif import render_sarif
from .text import render_text

FORMATS = {"text": render_text, "json": render_json, "sarif": render_sarif, "github": render_github}

__all__ = ["FORMATS", "render_github", "render_json", "render_sarif", "render_text"]
