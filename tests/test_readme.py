"""The README stays true: its rules table and its two commands."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from prefect_pitfalls.cli import rules_markdown
from prefect_pitfalls.rules import RULES

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rules_table_is_generated_from_the_docstrings() -> None:
    table = re.search(r"<!-- rules:start -->\n(.*?)<!-- rules:end -->", README, re.S).group(1)
    assert table == rules_markdown(RULES), "run `prefect-pitfalls rules --format markdown` into README.md"


def test_vscode_settings_table_is_generated_from_the_manifest() -> None:
    table = re.search(r"<!-- vscode-settings:start -->\n(.*?)<!-- vscode-settings:end -->", README, re.S).group(1)
    script = ROOT / "vscode-client" / "scripts" / "settings-table.mjs"
    generated = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True).stdout
    assert table == generated, "run `node vscode-client/scripts/settings-table.mjs` into README.md"


def test_ci_runs_the_readme_test_command() -> None:
    commands = re.findall(r"^    (python3 -m venv .*)$", README, re.M)
    assert len(commands) == 2, commands
    demo, tests = commands
    assert "check examples" in demo and "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_rule_documents_itself_in_ruffs_shape() -> None:
    for rule in RULES:
        headings = re.findall(r"^## (.+)$", rule.doc, re.M)
        assert headings == ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety"], rule.code
