"""The language server over stdio: diagnostics, versions, actions, hover, settings, encodings."""

from __future__ import annotations

import ast
import json
import sys
import random
import textwrap
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_session import PROBED, STATEFUL, apply_edits, eventually, record_probe_status, start
from prefect_pitfalls.cli import main



def codes(diagnostics) -> list[tuple[int, str]]:
    return sorted((d.range.start.line, d.code) for d in diagnostics)


def check_json(path: Path, capsys) -> list[dict]:
    capsys.readouterr()
    main(["check", str(path), "--format", "json"])
    return json.loads(capsys.readouterr().out)


# --- push -------------------------------------------------------------------------------


async def test_push_open_change_close(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("flows/etl.py", STATEFUL)
    published = await session.published(uri, 1)
    assert codes(published.diagnostics) == [(7, "PP102"), (15, "PP303")]
    first = next(d for d in published.diagnostics if d.code == "PP102")
    assert first.source == "prefect-pitfalls"
    assert first.severity == types.DiagnosticSeverity.Warning
    assert first.range == types.Range(types.Position(7, 4), types.Position(7, 8))
    assert first.data["version"] == 1 and first.code_description is None
    fixable = next(d for d in published.diagnostics if d.code == "PP303")
    assert fixable.data["fix"]["applicability"] == "safe"

    version = session.replace(uri, STATEFUL.replace("SEEN.append(item)", "return [item]"))
    published = await session.published(uri, version)
    assert codes(published.diagnostics) == [(15, "PP303")]

    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await session.settle()
    assert client.publishes[-1].uri == uri and not client.publishes[-1].diagnostics


async def test_rapid_edits_end_with_the_last_version(client, tmp_path: Path, capsys) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    rng = random.Random(7)
    text = STATEFUL
    for _ in range(40):
        lines = text.splitlines(keepends=True)
        index = rng.randrange(len(lines))
        choice = rng.random()
        if choice < 0.4:
            lines.insert(index, rng.choice(["\n", "x = 1\n", "SEEN.clear()\n", "etl()\n", "def broken(:\n"]))
        elif choice < 0.7 and len(lines) > 5:
            del lines[index]
        else:
            lines[index] = lines[index].replace("item", "thing")
        text = "".join(lines)
        session.replace(uri, text)
    final = session.versions[uri]
    published = await session.published(uri, final)
    await session.settle()
    versions = [p.version for p in client.publishes if p.uri == uri]
    assert versions == sorted(versions) and versions[-1] == final
    (tmp_path / "final.py").write_text(text)
    expected = sorted((f["line"] - 1, f["code"]) for f in check_json(tmp_path / "final.py", capsys))
    assert codes(published.diagnostics) == expected


async def test_incremental_changes_are_applied(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    await session.published(uri, 1)
    # Insert a blank line at the top: every anchor moves down one line.
    version = session.edit(uri, types.Range(types.Position(0, 0), types.Position(0, 0)), "\n", "\n" + STATEFUL)
    published = await session.published(uri, version)
    assert codes(published.diagnostics) == [(8, "PP102"), (16, "PP303")]


# --- pull -------------------------------------------------------------------------------


async def test_pull_for_clients_that_support_it(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, editor="neovim")
    uri = session.open("etl.py", STATEFUL)
    report = await session.pull(uri)
    assert report.kind == "full" and codes(report.items) == [(7, "PP102"), (15, "PP303")]
    again = await session.pull(uri, report.result_id)
    assert again.kind == "unchanged" and again.result_id == report.result_id
    session.replace(uri, STATEFUL.replace("SEEN.append(item)", "return [item]"))
    changed = await session.pull(uri, report.result_id)
    assert changed.kind == "full" and codes(changed.items) == [(15, "PP303")]
    await session.settle()
    assert client.publishes == []


# --- positions ----------------------------------------------------------------------------

UNICODE = textwrap.dedent(
    """\
    from prefect import task

    CACHE = {}


    @task
    def label(key):
        note = "日本語😀"; CACHE[key] = note
    """
)


@pytest.mark.parametrize(
    ("encodings", "start", "end"),
    [
        (["utf-8", "utf-16"], 4 + len('note = "日本語😀"; '.encode("utf-8")), None),
        (["utf-32", "utf-16"], 4 + len('note = "日本語😀"; '.encode("utf-16-le")) // 2, None),
        (None, 4 + len('note = "日本語😀"; '.encode("utf-16-le")) // 2, None),
    ],
)
async def test_ranges_in_the_negotiated_encoding(client, tmp_path: Path, encodings, start, end) -> None:
    session = await start_session(client, tmp_path, encodings)
    uri = session.open("label.py", UNICODE)
    published = await session.published(uri, 1)
    (diagnostic,) = published.diagnostics
    assert diagnostic.range.start == types.Position(7, start)
    assert diagnostic.range.end == types.Position(7, start + len("CACHE"))


async def start_session(client, root, encodings):
    return await start(client, root, encodings=encodings)


# --- code actions -------------------------------------------------------------------------


async def test_quick_fix_and_noqa_actions(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    run = next(d for d in published.diagnostics if d.code == "PP303")
    foreign = types.Diagnostic(range=run.range, message="unused", source="ruff", code="F401")
    actions = await session.code_actions(uri, [run, foreign])
    titles = [a.title for a in actions]
    assert titles[:2] == [
        'prefect-pitfalls (PP303): Wrap in `if __name__ == "__main__":`',
        "prefect-pitfalls (PP303): Ignore on this line",
    ]
    fix, noqa = actions[0], actions[1]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    (change,) = fix.edit.document_changes
    assert change.text_document.version == 1 and change.text_document.uri == uri
    fixed = apply_edits(STATEFUL, change.edits)
    ast.parse(fixed)
    assert fixed.endswith('if __name__ == "__main__":\n    etl()\n')
    version = session.replace(uri, fixed)
    assert codes((await session.published(uri, version)).diagnostics) == [(7, "PP102")]

    ignored = apply_edits(STATEFUL, noqa.edit.document_changes[0].edits)
    assert ignored.endswith("etl()  # noqa: PP303\n")


async def test_noqa_action_extends_an_existing_list(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = STATEFUL.replace("etl()\n", "etl()  # noqa: E501\n")
    uri = session.open("etl.py", text)
    published = await session.published(uri, 1)
    run = next(d for d in published.diagnostics if d.code == "PP303")
    actions = await session.code_actions(uri, [run])
    noqa = next(a for a in actions if a.title.endswith("Ignore on this line"))
    assert apply_edits(text, noqa.edit.document_changes[0].edits).endswith("etl()  # noqa: E501, PP303\n")


async def test_fix_all(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = STATEFUL + "\n\n@task\ndef collect(x, seen=[]):\n    seen.append(x)\n"
    uri = session.open("etl.py", text)
    await session.published(uri, 1)
    for only in (["source.fixAll"], ["source.fixAll.prefect-pitfalls"], ["source"]):
        (action,) = await session.code_actions(uri, [], only=only)
        assert action.kind == "source.fixAll.prefect-pitfalls"
        fixed = apply_edits(text, action.edit.document_changes[0].edits)
        assert action.edit.document_changes[0].text_document.version == 1
        ast.parse(fixed)
        assert "if seen is None:" in fixed and 'if __name__ == "__main__":' in fixed
    assert not await session.code_actions(uri, [], only=["refactor"])


async def test_actions_for_a_moved_diagnostic_are_refused(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    old = next(d for d in published.diagnostics if d.code == "PP303")
    moved = "# a new first line\n" + STATEFUL
    version = session.replace(uri, moved)
    actions = await session.code_actions(uri, [old], only=[types.CodeActionKind.QuickFix])
    assert not actions  # the stale range matches nothing in the current text
    current = next(d for d in (await session.published(uri, version)).diagnostics if d.code == "PP303")
    actions = await session.code_actions(uri, [current])
    edits = [a.edit for a in actions if a.edit]  # "Show documentation" runs a command instead
    assert edits and all(edit.document_changes[0].text_document.version == version for edit in edits)
    assert apply_edits(moved, actions[0].edit.document_changes[0].edits).startswith("# a new first line\n")


# --- hover and commands ---------------------------------------------------------------------


async def test_hover_over_a_noqa_code(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = STATEFUL.replace("SEEN.append(item)", "SEEN.append(item)  # noqa: E501, PP102")
    uri = session.open("etl.py", text)
    column = text.splitlines()[7].index("PP102") + 2
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(7, column))
    )
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("## What it does")
    assert "module" in hover.contents.value
    elsewhere = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(7, 6))
    )
    assert elsewhere is None


async def test_explain_command(client, tmp_path: Path) -> None:
    await start(client, tmp_path)
    doc = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prefect-pitfalls.explain", arguments=["PP101"])
    )
    assert doc.startswith("## What it does") and "Task" in doc


# --- settings ---------------------------------------------------------------------------


async def test_initialization_options_select_severity_docs(client, tmp_path: Path) -> None:
    options = {
        "prefectPitfalls": {
            "select": ["PP102"],
            "severity": {"PP102": "error"},
            "docsBaseUrl": "https://example.org/rules",
            "unknownKey": 1,
        }
    }
    session = await start(client, tmp_path, init_options=options)
    uri = session.open("etl.py", STATEFUL)
    (diagnostic,) = (await session.published(uri, 1)).diagnostics
    assert diagnostic.code == "PP102" and diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.code_description.href == "https://example.org/rules/PP102"
    assert client.messages == []


async def test_invalid_settings_warn_and_use_defaults(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, init_options={"prefectPitfalls": {"select": "PP102", "run": "always"}})
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    assert codes(published.diagnostics) == [(7, "PP102"), (15, "PP303")]
    messages = [m.message for m in client.messages]
    assert any("prefectPitfalls.select" in m for m in messages)
    assert any("prefectPitfalls.run" in m for m in messages)


async def test_pyproject_configuration_and_reload(client, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prefect-pitfalls]\nignore = ["PP303"]\n')
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    assert codes((await session.published(uri, 1)).diagnostics) == [(7, "PP102")]
    (tmp_path / "pyproject.toml").write_text('[tool.prefect-pitfalls]\nignore = ["PP102"]\n')
    before = len(client.publishes)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(tmp_path / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await eventually(lambda: len(client.publishes) > before)
    assert codes(client.publishes[-1].diagnostics) == [(15, "PP303")]


async def test_broken_pyproject_warns_and_uses_defaults(client, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.prefect-pitfalls]\nprefect-version = "9"\n')
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    assert codes((await session.published(uri, 1)).diagnostics) == [(7, "PP102"), (15, "PP303")]
    assert any("prefect-version" in m.message for m in client.messages)


async def test_multi_root_settings_per_folder(client, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    client.set_configuration({"select": ["PP102"]}, section="prefectPitfalls", scope_uri=first.as_uri())
    client.set_configuration({"select": ["PP303"]}, section="prefectPitfalls", scope_uri=second.as_uri())
    session = await start(client, tmp_path, folders=[first, second])
    a = session.open("first/etl.py", STATEFUL)
    b = session.open("second/etl.py", STATEFUL)
    for uri, expected in ((a, [(7, "PP102")]), (b, [(15, "PP303")])):
        def latest(uri=uri):
            return [p for p in client.publishes if p.uri == uri][-1:]

        await eventually(lambda: latest() and codes(latest()[0].diagnostics) == expected)
        assert codes(latest()[0].diagnostics) == expected


async def test_configuration_change_triggers_refresh_for_pull_clients(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, editor="neovim")
    uri = session.open("etl.py", STATEFUL)
    assert len((await session.pull(uri)).items) == 2
    client.set_configuration({"ignore": ["PP303"]}, section="prefectPitfalls")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await session.settle(0.5)
    report = await session.pull(uri)
    assert codes(report.items) == [(7, "PP102")]


# --- robustness ---------------------------------------------------------------------------


async def test_syntax_error_while_typing(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    await session.published(uri, 1)
    broken = STATEFUL.replace("def etl():", "def etl(:")
    version = session.replace(uri, broken)
    published = await session.published(uri, version)
    # The task and its module state still parse; the broken flow reports nothing.
    assert codes(published.diagnostics) == [(7, "PP102")]
    version = session.replace(uri, STATEFUL)
    assert codes((await session.published(uri, version)).diagnostics) == [(7, "PP102"), (15, "PP303")]


async def test_files_without_prefect_get_empty_diagnostics(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("plain.py", "import os\nCACHE = []\n\ndef f():\n    CACHE.append(1)\n")
    assert not (await session.published(uri, 1)).diagnostics


async def test_run_on_save_only(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, init_options={"prefectPitfalls": {"run": "onSave"}})
    uri = session.open("etl.py", STATEFUL)
    assert len((await session.published(uri, 1)).diagnostics) == 2
    version = session.replace(uri, STATEFUL.replace("SEEN.append(item)", "return [item]"))
    await session.settle()
    assert all(p.version != version for p in client.publishes), [(p.version, len(p.diagnostics)) for p in client.publishes]
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert codes((await session.published(uri, version)).diagnostics) == [(15, "PP303")]


async def test_disabled(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, init_options={"prefectPitfalls": {"enable": False}})
    uri = session.open("etl.py", STATEFUL)
    assert not (await session.published(uri, 1)).diagnostics


async def test_refresh_is_sent_to_pull_clients_that_support_it(client, tmp_path: Path) -> None:
    from pytest_lsp import client_capabilities

    capabilities = client_capabilities("neovim")
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    await client.initialize_session(
        types.InitializeParams(capabilities=capabilities, root_uri=tmp_path.as_uri())
    )
    refreshes = client.diagnostic_refresh_count
    client.set_configuration({"ignore": ["PP303"]}, section="prefectPitfalls")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    assert await eventually(lambda: client.diagnostic_refresh_count > refreshes)


async def test_jedi_answers_arrive_after_the_first_publish(client, tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "db.py").write_text(
        'import sqlite3\n\n\nclass Warehouse:\n    @staticmethod\n    def connect():\n        return sqlite3.connect("w.db")\n'
    )
    text = textwrap.dedent(
        """\
        from prefect import flow, task, task_runners

        from shop.db import Warehouse

        WAREHOUSE = Warehouse.connect()


        @task
        def count_orders():
            return WAREHOUSE.execute("select count(*) from orders").fetchone()[0]


        @flow(task_runner=task_runners.ProcessPoolTaskRunner())
        def nightly():
            return count_orders.submit().result()
        """
    )
    session = await start(client, tmp_path)
    uri = session.open("shop/flows.py", text)
    first = await session.published(uri, 1)
    assert not first.diagnostics  # the AST alone does not follow a class's methods into shop/db.py
    await eventually(lambda: [p for p in client.publishes if p.uri == uri][-1].diagnostics)
    latest = [p for p in client.publishes if p.uri == uri][-1]
    assert latest.version == 1 and codes(latest.diagnostics) == [(9, "PP203")]
    assert "sqlite3.Connection" in latest.diagnostics[0].message




async def test_probe_on_save_with_related_information(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": True}}
    session = await start(client, tmp_path, init_options=options)
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    probed = await eventually(
        lambda: next((p for p in client.publishes if any(d.code == "PP302" for d in p.diagnostics)), None)
    )
    assert probed is not None and probed.version == 1
    (diagnostic,) = [d for d in probed.diagnostics if d.code == "PP302"]
    assert diagnostic.range == types.Range(types.Position(8, 4), types.Position(8, 16))
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert "count_orders → global 'conn' → sqlite3.Connection" in diagnostic.message
    (related,) = diagnostic.related_information
    assert related.location.uri == uri and related.location.range.start.line == 4
    assert [d.code for d in probed.diagnostics].count("PP203") == 1  # the static rule too
    # The log says which interpreter ran the probe and what it found (troubleshooting).
    logged = await eventually(lambda: next((m.message for m in client.log_messages if "probe of" in m.message), None))
    assert f"with {sys.executable}" in logged and "PP302 line 9" in logged, logged


async def test_probe_in_an_untrusted_workspace_says_so(client, tmp_path: Path) -> None:
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": False}}
    session = await start(client, tmp_path, init_options=options)
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await eventually(lambda: any(d.code == "PP305" for d in client.publishes[-1].diagnostics))
    notes = [d for d in client.publishes[-1].diagnostics if d.code == "PP305"]
    assert len(notes) == 1 and "not trusted" in notes[0].message
    assert notes[0].severity == types.DiagnosticSeverity.Information and notes[0].range.start.line == 0


async def test_probe_disabled_gives_nothing(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await session.settle(1.0)
    assert not any(d.code.startswith("PP30") for p in client.publishes for d in p.diagnostics)


async def test_probe_result_for_an_old_version_is_dropped(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": True}}
    session = await start(client, tmp_path, init_options=options)
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    version = session.replace(uri, PROBED + "\n# typing after the save\n")
    await session.settle(3.0)
    assert not any(d.code == "PP302" for p in client.publishes for d in p.diagnostics)
    assert client.publishes[-1].version == version


async def test_probe_command_and_progress(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    session = await start(client, tmp_path, init_options={"prefectPitfalls": {"workspaceTrusted": True}})
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prefect-pitfalls.probe", arguments=[uri])
    )
    assert answer["probed"] is True and any("count_orders" in m for m in answer["findings"])
    assert await eventually(lambda: any(d.code == "PP302" for d in client.publishes[-1].diagnostics))
    # A probe on save that takes more than half a second shows progress, begun and ended.
    slow = "import time\ntime.sleep(1)\n" + PROBED
    other = session.open("other.py", slow)
    client.set_configuration({"probe": {"enabled": True}, "workspaceTrusted": True}, section="prefectPitfalls")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await session.settle(0.3)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(other)))
    await eventually(lambda: any(d.code == "PP302" for p in client.publishes if p.uri == other for d in p.diagnostics))
    kinds = [[r.kind for r in reports] for reports in client.progress_reports.values()]
    assert kinds == [["begin", "end"]]


async def test_probe_status_for_clients_that_ask(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    statuses = record_probe_status(client)
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": True}}
    asks = {"prefectPitfalls": {"probeStatus": True}}
    session = await start(client, tmp_path, init_options=options, experimental=asks)
    uri = session.open("etl.py", PROBED)
    clean = session.open("clean.py", "from prefect import flow\n\n@flow\ndef tidy():\n    return 1\n")
    await session.published(clean, 1)
    for saved in (uri, clean):
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(saved)))
        await eventually(lambda: len([s for s in statuses if s["uri"] == saved and s["state"] != "running"]) == 1)
    assert [(s["uri"], s["state"], s.get("problems")) for s in statuses] == [
        (uri, "running", None), (uri, "done", 2), (clean, "running", None), (clean, "done", 0)
    ]


async def test_probe_status_says_why_the_probe_is_off(client, tmp_path: Path) -> None:
    statuses = record_probe_status(client)
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": False}}
    session = await start(client, tmp_path, init_options=options, experimental={"prefectPitfalls": {"probeStatus": True}})
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await eventually(lambda: statuses)
    assert statuses == [{"uri": uri, "state": "skipped", "message": "Probe off: the workspace is not trusted"}]


async def test_no_probe_status_unless_asked(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    statuses = record_probe_status(client)
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": True}}
    session = await start(client, tmp_path, init_options=options)
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert await eventually(lambda: any(d.code == "PP302" for d in client.publishes[-1].diagnostics))
    assert statuses == []


async def test_store_fix_for_the_seed_as_a_code_action(client, tmp_path: Path) -> None:
    seed = (Path(__file__).parent.parent / "store_fixes" / "seed_p1.py").read_text()
    session = await start(client, tmp_path)
    uri = session.open("seed_p1.py", seed)
    published = await session.published(uri, 1)
    state = next(d for d in published.diagnostics if d.code == "PP101" and d.range.start.line == 10)
    actions = await session.code_actions(uri, [state])
    fix = actions[0]
    assert fix.title == (
        'prefect-pitfalls (PP101): Keep `self.counter` in the Prefect Cloud KV store '
        '(key "seed_p1-badcountertask-counter")'
    )
    assert fix.kind == types.CodeActionKind.QuickFix and not fix.is_preferred
    fixed = apply_edits(seed, fix.edit.document_changes[0].edits)
    expected = (Path(__file__).parent.parent / "store_fixes" / "seed_p1.fixed.py").read_text()
    assert fixed.split("class Collector")[0] == expected.split("class Collector")[0]
    # The safe alternative: the counter becomes a parameter of run(), __init__ keeps the rest.
    alternative = actions[1]
    assert alternative.title == (
        "prefect-pitfalls (PP101): Make `counter` a parameter of `run` (callers pass back what it returns)"
    )
    as_parameter = apply_edits(seed, alternative.edit.document_changes[0].edits)
    assert (
        "    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n\n"
        "    def run(self, counter=0):\n        counter += 1\n        return counter\n"
    ) in as_parameter
    ast.parse(as_parameter)
    # Collector's list state gets the store fix only: a list default would be PP103.
    items = next(d for d in published.diagnostics if d.code == "PP101" and "items" in d.message)
    titles = [a.title for a in await session.code_actions(uri, [items])]
    assert not any("parameter" in t for t in titles) and any("KV store" in t for t in titles)


async def test_state_as_a_parameter_is_offered_beside_the_store(client, tmp_path: Path) -> None:
    text = textwrap.dedent(
        """\
        from prefect import flow, task

        RUNS = 0


        @task
        def count_runs(step: int = 1):
            global RUNS
            RUNS += step
            return RUNS
        """
    )
    session = await start(client, tmp_path)
    uri = session.open("runs.py", text)
    (diagnostic,) = (await session.published(uri, 1)).diagnostics
    titles = [a.title for a in await session.code_actions(uri, [diagnostic])]
    assert titles == [
        'prefect-pitfalls (PP102): Keep `RUNS` in a Prefect Variable (key "runs-runs")',
        "prefect-pitfalls (PP102): Make `RUNS` a parameter of `count_runs` (callers pass back what it returns)",
        "prefect-pitfalls (PP102): Ignore on this line",
        "prefect-pitfalls (PP102): Show documentation",
    ]
    actions = await session.code_actions(uri, [diagnostic])
    fixed = apply_edits(text, actions[1].edit.document_changes[0].edits)
    assert fixed.endswith("def count_runs(step: int = 1, RUNS=0):\n    RUNS += step\n    return RUNS\n")
    version = session.replace(uri, fixed)
    assert not (await session.published(uri, version)).diagnostics
