"""The rule pages and the README's generated parts match their sources."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import pytest

from prefect_pitfalls.config import ConfigError, DependencySettings, ProbeSettings, Settings, settings_from_table
from prefect_pitfalls.docs import DOCS_BASE_URL
from prefect_pitfalls.lsp.settings import ClientSettings, ProbeClientSettings, parse_client_settings
from prefect_pitfalls.options import OPTIONS
from prefect_pitfalls.rules import RULES

ROOT = Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("generate_docs", ROOT / "scripts" / "generate_docs.py")
generate_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_docs)


def test_generated_docs_are_up_to_date() -> None:
    stale = [str(p.relative_to(ROOT)) for p in generate_docs.out_of_date()]
    assert not stale, f"run `python scripts/generate_docs.py`: {stale}"


def test_every_rule_has_a_page_linked_from_the_index_and_the_readme() -> None:
    index = (ROOT / "docs" / "rules" / "README.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES:
        page = (ROOT / "docs" / "rules" / f"{rule.code}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {rule.code}: {rule.name}\n")
        assert "## What it does" in page and "## Use instead" in page
        assert f"]({rule.code}.md)" in index
        assert f"](docs/rules/{rule.code}.md)" in readme


def test_the_check_detects_a_hand_edited_page(tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "docs" / "rules"
    copy.mkdir(parents=True)
    for path in (ROOT / "docs" / "rules").glob("*.md"):
        (copy / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "README.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(generate_docs, "RULE_DOCS", copy)
    monkeypatch.setattr(generate_docs, "README", tmp_path / "README.md")
    assert generate_docs.out_of_date() == []
    (copy / "PP101.md").write_text("edited by hand\n", encoding="utf-8")
    (copy / "PP999.md").write_text("a rule that is gone\n", encoding="utf-8")
    assert generate_docs.out_of_date() == [copy / "PP101.md", copy / "PP999.md"]
    assert generate_docs.main([]) == 0
    assert generate_docs.out_of_date() == [] and not (copy / "PP999.md").exists()


def test_editors_link_rule_codes_to_the_published_pages() -> None:
    manifest = json.loads((ROOT / "vscode-client" / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    assert properties["prefectPitfalls.docsBaseUrl"]["default"] == DOCS_BASE_URL
    nvim = (ROOT / "editors" / "nvim" / "lsp" / "prefect_pitfalls.lua").read_text(encoding="utf-8")
    assert f'docsBaseUrl = "{DOCS_BASE_URL}"' in nvim


# --- the options table is the one source of truth -------------------------------------


def _get(settings: object, dotted: str) -> object:
    for part in dotted.replace("-", "_").split("."):
        settings = getattr(settings, re.sub(r"(?<!^)([A-Z])", r"_\1", part).lower())
    return settings


TABLES = ("per-file-ignores", "severity")  # kept as tuples of pairs, documented as tables


def _as_documented(key: str, value: object) -> object:
    if key in TABLES:
        return dict(value)
    return list(value) if isinstance(value, tuple) else value


PROJECT_OPTIONS = [pytest.param(o.project_key, o, id=o.project_key) for o in OPTIONS if o.project_key]
EDITOR_OPTIONS = [pytest.param(o.editor_key, o, id=o.editor_key) for o in OPTIONS if o.editor_key]


@pytest.mark.parametrize(("key", "option"), PROJECT_OPTIONS)
def test_project_defaults_match_the_table(key, option) -> None:
    assert _as_documented(key, _get(Settings(), key)) == option.default


@pytest.mark.parametrize(("key", "option"), EDITOR_OPTIONS)
def test_editor_defaults_match_the_table(key, option) -> None:
    assert _as_documented(key, _get(ClientSettings(), key)) == option.default


def _nested(dotted_key: str, value: object) -> dict:
    """``{"probe": {"timeout": value}}`` for ``"probe.timeout"``."""
    *tables, key = dotted_key.split(".")
    nested: dict = {key: value}
    for name in reversed(tables):
        nested = {name: nested}
    return nested


@pytest.mark.parametrize(("key", "option"), PROJECT_OPTIONS)
def test_every_documented_project_key_is_read(key, option) -> None:
    # A value no key accepts: the reader must look at the key and refuse the value.
    with pytest.raises(ConfigError, match=re.escape(key)):
        settings_from_table(_nested(key, object()), None, "pyproject.toml")


def test_undocumented_project_keys_are_refused() -> None:
    for table, key in (({"colour": True}, "colour"), ({"probe": {"memory": 1}}, "probe.memory")):
        with pytest.raises(ConfigError, match=re.escape(repr(key))):
            settings_from_table(table, None, "pyproject.toml")


@pytest.mark.parametrize(("key", "option"), EDITOR_OPTIONS)
def test_every_documented_editor_key_is_read(key, option) -> None:
    _, problems = parse_client_settings({"prefectPitfalls": _nested(key, object())})
    assert any(f"prefectPitfalls.{key}:" in p for p in problems), problems


def test_every_editor_setting_is_in_the_vscode_manifest() -> None:
    manifest = json.loads((ROOT / "vscode-client" / "package.json").read_text(encoding="utf-8"))
    properties = manifest["contributes"]["configuration"]["properties"]
    # Set by the extension itself rather than by the user.
    automatic = {"workspaceTrusted"}
    for option in OPTIONS:
        if option.editor_key and option.editor_key not in automatic:
            assert f"prefectPitfalls.{option.editor_key}" in properties, option.editor_key


def test_dataclasses_have_no_undocumented_fields() -> None:
    documented_project = {o.project_key.replace("-", "_") for o in OPTIONS if o.project_key}
    # severity is carried from the editor settings; root and config_file say where they were read.
    project = {f.name for f in dataclasses.fields(Settings)} - {"probe", "dependencies", "root", "config_file", "severity"}
    project |= {f"probe.{f.name}" for f in dataclasses.fields(ProbeSettings)}
    project |= {f"dependencies.{f.name}" for f in dataclasses.fields(DependencySettings)}
    assert project == documented_project
    documented_editor = {re.sub(r"([A-Z])", r"_\1", o.editor_key).lower() for o in OPTIONS if o.editor_key}
    editor = {f.name for f in dataclasses.fields(ClientSettings)} - {"probe"}
    editor |= {f"probe.{f.name}" for f in dataclasses.fields(ProbeClientSettings)}
    assert editor == documented_editor
