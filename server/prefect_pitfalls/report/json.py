"""`--format json`: one array, one object per finding, 1-based lines and code-point columns."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

from ..findings import Edit, Finding, Fix


def finding_to_dict(finding: Finding) -> dict:
    span = finding.span
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "path": finding.path,
        "line": span.line,
        "column": span.column + 1,
        "end_line": span.end_line,
        "end_column": span.end_column + 1,
        "message": finding.message,
        "fix": _fix_to_dict(finding.fix) if finding.fix else None,
    }


def _fix_to_dict(fix: Fix) -> dict:
    return {
        "title": fix.title,
        "applicability": fix.applicability.value,
        "edits": [_edit_to_dict(edit) for edit in fix.edits],
    }


def _edit_to_dict(edit: Edit) -> dict:
    span = edit.span
    edit_dict = {
        "line": span.line,
        "column": span.column + 1,
        "end_line": span.end_line,
        "end_column": span.end_column + 1,
        "new_text": edit.new_text,
    }
    if edit.path is not None:
        edit_dict["path"] = display_path(edit.path)
    return edit_dict


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it, else absolute."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def render_json(findings: Iterable[Finding], **_: object) -> str:
    return json.dumps([finding_to_dict(f) for f in findings], indent=2, ensure_ascii=False) + "\n"
