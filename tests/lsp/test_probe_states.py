"""What the probe's status notification (`prefectPitfalls/probeStatus`, the VS Code status
item) says after a save: skipped on purpose, nothing to probe, did not finish, or done, as
the probe judged it, whatever the settings let through of its PP305."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from lsp_session import STATEFUL, Session, eventually, record_probe_status, start
from no_prefect_env import create_python_without_prefect

ASKS = {"prefectPitfalls": {"probeStatus": True}}
CLEAN = "from prefect import flow, task\n\n\n@task\ndef double(x):\n    return 2 * x\n\n\n@flow\ndef etl():\n    return double(2)\n"


def probing(**probe) -> dict:
    return {"prefectPitfalls": {"probe": {"enabled": True, **probe}, "workspaceTrusted": True}}


async def save_and_wait(session: Session, statuses: list[dict], name: str, text: str) -> dict:
    """Open and save ``name``; the status the probe ended with."""
    uri = session.open(name, text)
    assert await eventually(lambda: uri in session.client.diagnostics)  # analysed: the probe comes after
    session.client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    ended = lambda: [s for s in statuses if s["uri"] == uri and s["state"] != "running"]  # noqa: E731
    assert await eventually(ended, timeout=60)
    return ended()[0]


async def test_a_module_with_pp303_is_skipped_not_failed(client, tmp_path: Path) -> None:
    statuses = record_probe_status(client)
    session = await start(client, tmp_path, init_options=probing(), experimental=ASKS)
    status = await save_and_wait(session, statuses, "etl.py", STATEFUL)
    assert status == {"uri": session.uri("etl.py"), "state": "skipped", "message": "Probe off: fix PP303 first"}
    notes = lambda: [d for d in client.diagnostics[session.uri("etl.py")] if d.code == "PP305"]  # noqa: E731
    (note,) = await eventually(notes)
    assert note.severity == types.DiagnosticSeverity.Information
    assert note.message.startswith("Probe skipped: the module runs a flow when imported (PP303)")


async def test_the_state_holds_when_pp305_is_ignored(client, tmp_path: Path) -> None:
    statuses = record_probe_status(client)
    options = probing()
    options["prefectPitfalls"]["ignore"] = ["PP305"]
    session = await start(client, tmp_path, init_options=options, experimental=ASKS)
    status = await save_and_wait(session, statuses, "etl.py", STATEFUL)
    assert (status["state"], status["message"]) == ("skipped", "Probe off: fix PP303 first")
    await session.settle()
    assert "PP305" not in [d.code for d in client.diagnostics[session.uri("etl.py")]]


async def test_a_module_without_flows_or_tasks_has_nothing_to_probe(client, tmp_path: Path) -> None:
    statuses = record_probe_status(client)
    session = await start(client, tmp_path, init_options=probing(), experimental=ASKS)
    status = await save_and_wait(session, statuses, "util.py", "def double(x):\n    return 2 * x\n")
    assert (status["state"], status["message"]) == ("skipped", "Nothing to probe: no flows or tasks")


async def test_a_probe_that_times_out_did_not_finish(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    statuses = record_probe_status(client)
    session = await start(client, tmp_path, init_options=probing(timeout=1), experimental=ASKS)
    status = await save_and_wait(session, statuses, "slow.py", "import time\ntime.sleep(30)\n" + CLEAN)
    assert (status["state"], status["message"]) == ("failed", "Probe did not finish: timed out after 1 s")


async def test_a_clean_module_is_done_without_problems(client, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    statuses = record_probe_status(client)
    session = await start(client, tmp_path, init_options=probing(), experimental=ASKS)
    status = await save_and_wait(session, statuses, "clean.py", CLEAN)
    assert status == {"uri": session.uri("clean.py"), "state": "done", "problems": 0}


async def test_the_servers_own_interpreter_without_prefect_is_a_note(tmp_path: Path) -> None:
    """The server on an interpreter without Prefect, and no project environment to probe with."""
    python = create_python_without_prefect(tmp_path / "no-prefect")
    project = tmp_path / "project"
    project.mkdir()
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    config = ClientServerConfig(server_command=[python, "-m", "prefect_pitfalls", "serve"], server_env=environment)
    client = await config.start()
    statuses = record_probe_status(client)
    session = await start(client, project, init_options=probing(), experimental=ASKS)
    try:
        status = await save_and_wait(session, statuses, "etl.py", CLEAN)
        assert (status["state"], status["message"]) == ("skipped", "Probe off: no interpreter with Prefect")
        diagnostics = await eventually(lambda: client.diagnostics[session.uri("etl.py")])
        assert [(d.code, d.severity) for d in diagnostics] == [("PP305", types.DiagnosticSeverity.Information)]
        assert f"Tried {python}," in diagnostics[0].message
    finally:
        await client.shutdown_session()
        await client.stop()
