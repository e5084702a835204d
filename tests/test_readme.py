"""The README stays true: its rules table and its two commands."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from prefect_pitfalls.docs import rules_markdown
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


def _snippet(marker: str, language: str) -> str:
    return re.search(rf"<!-- {marker} -->\n```{language}\n(.*?)```", README, re.S).group(1)


def test_helix_snippet_starts_the_server_with_valid_settings() -> None:
    import shutil
    import sys
    import tomllib

    from prefect_pitfalls.lsp.settings import parse_client_settings

    config = tomllib.loads(_snippet("helix", "toml"))
    server = config["language-server"]["prefect-pitfalls"]
    assert [server["command"], *server["args"]] == ["prefect-pitfalls", "serve"]
    assert shutil.which("prefect-pitfalls", path=str(Path(sys.executable).parent))
    settings, problems = parse_client_settings(server["config"])  # Helix sends `config` as initializationOptions
    assert problems == [] and settings.probe.enabled
    (python,) = [language for language in config["language"] if language["name"] == "python"]
    assert "prefect-pitfalls" in python["language-servers"]


def test_eglot_snippet_is_one_balanced_form_running_serve() -> None:
    snippet = _snippet("eglot", "elisp")
    depth = 0
    for char in snippet:
        depth += {"(": 1, ")": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0 and snippet.strip().startswith("(") and snippet.strip().endswith(")")
    assert '("prefect-pitfalls" "serve"' in snippet and ":initializationOptions (:prefectPitfalls" in snippet
