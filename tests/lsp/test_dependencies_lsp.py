"""PP306 and PP307 in the editor: prefect.yaml files served, fixes that edit another file,
and re-analysis when declarations or flow modules change on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types

from lsp_session import apply_edits, eventually, record_probe_status, start

PROJECTS = Path(__file__).parent.parent / "projects"


def project(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    (root / ".git").mkdir()
    return root


def latest(client, uri: str) -> types.PublishDiagnosticsParams | None:
    return next((p for p in reversed(client.publishes) if p.uri == uri), None)


async def test_prefect_yaml_entrypoints_are_diagnosed(client, tmp_path: Path) -> None:
    root = project("deployments", tmp_path)
    session = await start(client, root)
    text = (root / "prefect.yaml").read_text()
    uri = session.open("prefect.yaml", text, write=False, language_id="yaml")
    published = await session.published(uri, 1)
    lines = text.splitlines()
    marked = [number for number, line in enumerate(lines) if "expect: PP307" in line]
    nightly = lines.index("  entrypoint: flows/etl.py:etl")
    found = sorted((d.range.start.line, d.code) for d in published.diagnostics)
    assert found == [(number, "PP307") for number in marked], published.diagnostics
    renamed = next(d for d in published.diagnostics if d.range.start.line == marked[0])
    line = lines[marked[0]]
    assert line[renamed.range.start.character : renamed.range.end.character] == "flows/etl.py:etl_flow"
    assert renamed.severity == types.DiagnosticSeverity.Error and renamed.source == "prefect-pitfalls"
    assert "its flows: `etl`" in renamed.message

    # Ignore on this line works in YAML too.
    actions = await session.code_actions(uri, [renamed])
    (ignore,) = [a for a in actions if a.title.endswith("Ignore on this line")]
    fixed = apply_edits(text, ignore.edit.document_changes[0].edits)
    assert fixed.splitlines()[marked[0]].endswith('"flows/etl.py:etl_flow"  # expect: PP307`flows/etl.py:etl_flow`  # noqa: PP307')

    # Renaming the flow on disk (a save of the module) re-checks the open prefect.yaml.
    module = root / "flows" / "etl.py"
    module.write_text(module.read_text().replace("def etl(", "def etl_flow("))
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=module.as_uri(), type=types.FileChangeType.Changed)])
    )
    moved = await eventually(
        lambda: (p := latest(client, uri)) is not None and nightly in [d.range.start.line for d in p.diagnostics] and p
    )
    assert moved, latest(client, uri)
    assert marked[0] not in [d.range.start.line for d in moved.diagnostics]

    # A client without file watching still tells the server about saves of the flow module.
    module.write_text(module.read_text().replace("def etl_flow(", "def etl("))
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(module.as_uri())))
    back = await eventually(
        lambda: (p := latest(client, uri)) is not None and marked[0] in [d.range.start.line for d in p.diagnostics] and p
    )
    assert back and nightly not in [d.range.start.line for d in back.diagnostics], latest(client, uri)


async def test_saving_prefect_yaml_starts_no_probe(client, tmp_path: Path) -> None:
    statuses = record_probe_status(client)
    root = project("deployments", tmp_path)
    options = {"prefectPitfalls": {"probe": {"enabled": True}, "workspaceTrusted": True}}
    session = await start(client, root, init_options=options, experimental={"prefectPitfalls": {"probeStatus": True}})
    uri = session.open("prefect.yaml", (root / "prefect.yaml").read_text(), write=False, language_id="yaml")
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    module = session.open("flows/etl.py", (root / "flows" / "etl.py").read_text(), write=False)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(module)))
    # The module's probe reports; by then a probe of prefect.yaml would have reported first.
    assert await eventually(lambda: any(s["state"] != "running" for s in statuses)), statuses
    assert {s["uri"] for s in statuses} == {module}, statuses


async def test_other_yaml_files_are_left_alone(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("docker-compose.yaml", "services:\n  prefect:\n    image: prefecthq/prefect:3\n", language_id="yaml")
    published = await session.published(uri, 1)
    assert list(published.diagnostics) == []


async def test_undeclared_dependency_fix_edits_pyproject_and_the_finding_goes(client, tmp_path: Path) -> None:
    root = project("pyproject_flows", tmp_path)
    session = await start(client, root)
    text = (root / "flows" / "etl.py").read_text()
    uri = session.open("flows/etl.py", text, write=False)
    published = await session.published(uri, 1)
    undeclared = {text.splitlines()[d.range.start.line][d.range.start.character : d.range.end.character]: d
                  for d in published.diagnostics if d.code == "PP306"}
    assert set(undeclared) == {"pandas", "bs4", "pyarrow"}

    actions = await session.code_actions(uri, [undeclared["pandas"]])
    (add,) = [a for a in actions if a.title == "prefect-pitfalls (PP306): Add `pandas` to the dependencies in `pyproject.toml`"]
    assert add.kind == types.CodeActionKind.QuickFix and not add.is_preferred
    (change,) = add.edit.document_changes
    pyproject = root / "pyproject.toml"
    assert change.text_document.uri == pyproject.as_uri() and change.text_document.version is None
    pyproject.write_text(apply_edits(pyproject.read_text(), change.edits))
    assert '    "pandas",\n]' in pyproject.read_text()

    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)])
    )
    refreshed = await eventually(
        lambda: (p := latest(client, uri)) is not None and p is not published
        and sorted(d.code for d in p.diagnostics).count("PP306") == 2 and p
    )
    assert refreshed, latest(client, uri)

    # fixAll never applies an unsafe fix, least of all one in another file.
    fix_all = await session.code_actions(uri, [], only=[types.CodeActionKind.SourceFixAll])
    assert all(
        change.text_document.uri == uri for action in fix_all if action.edit for change in action.edit.document_changes
    )


async def test_pp308_points_at_the_entrypoint_in_prefect_yaml(client, tmp_path: Path) -> None:
    root = project("pp308_docker_subset", tmp_path)
    session = await start(client, root)
    text = (root / "flows" / "etl.py").read_text()
    uri = session.open("flows/etl.py", text, write=False)
    published = await session.published(uri, 1)
    (diagnostic,) = [d for d in published.diagnostics if d.code == "PP308"]
    line = text.splitlines()[diagnostic.range.start.line]
    assert line[diagnostic.range.start.character : diagnostic.range.end.character] == "common.storage"
    (related,) = diagnostic.related_information
    yaml_lines = (root / "prefect.yaml").read_text().splitlines()
    assert related.location.uri == (root / "prefect.yaml").as_uri()
    first, last = related.location.range.start, related.location.range.end
    assert yaml_lines[first.line][first.character : last.character] == "flows/etl.py:nightly_etl"
    assert related.message == "The entrypoint of `nightly-etl`"
