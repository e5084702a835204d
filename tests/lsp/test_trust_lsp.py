"""The language server in a workspace that names marker interpreters everywhere: untrusted, or
with the probe off, it runs none of them while opening, editing and saving files."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from lsp_session import Session, recording_client, start
from trust_project import TrustProject, build_trust_project


async def _serve(project: TrustProject):
    """`python -m prefect_pitfalls serve` started in the project, with an active virtual
    environment of markers and the project's `bin/` first on PATH."""
    command = f"cd {shlex.quote(str(project.root))} && exec {shlex.quote(sys.executable)} -m prefect_pitfalls serve"
    environment = {
        **os.environ,
        "VIRTUAL_ENV": str(project.outside_venv),
        "PATH": f"{project.path_bin}{os.pathsep}{os.environ['PATH']}",
    }
    config = ClientServerConfig(server_command=["sh", "-c", command], client_factory=recording_client, server_env=environment)
    return await config.start()


async def _stop(client) -> None:
    """Shut the server down even after a failed assertion (a bare stop would wait for it)."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.shutdown_session(), 10)
    await client.stop()


async def _codes(session: Session, uri: str, version: int) -> list[str]:
    published = await session.published(uri, version, timeout=30)
    return [d.code for d in published.diagnostics]


async def _open_edit_save(session: Session, project: TrustProject) -> list[str]:
    client = session.client
    uri = session.open("flows/etl.py", project.flow.read_text(), write=False)
    codes = await _codes(session, uri, 1)
    version = session.replace(uri, project.flow.read_text() + "\n\nRESULTS.clear()\n")
    await _codes(session, uri, version)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    yaml_uri = session.open("prefect.yaml", (project.root / "prefect.yaml").read_text(), write=False, language_id="yaml")
    await session.published(yaml_uri, 1, timeout=30)
    await session.settle(2.0)  # time for anything scheduled in the background
    return codes + [d.code for d in client.diagnostics[uri]]


@pytest.mark.parametrize(
    "options",
    [
        {"probe": {"enabled": True, "onOpen": True}, "workspaceTrusted": False},
        {},
    ],
    ids=["untrusted-probe-enabled", "no-editor-settings"],
)
async def test_the_server_runs_nothing_of_the_workspace(tmp_path: Path, options) -> None:
    project = build_trust_project(tmp_path)
    client = await _serve(project)
    try:
        session = await start(client, project.root, init_options={"prefectPitfalls": options})
        codes = await _open_edit_save(session, project)
        assert {"PP102", "PP306"} <= set(codes), codes
        if options:
            assert "PP305" in codes  # the probe says it was skipped: the workspace is not trusted
        assert project.ran() == []
    finally:
        await _stop(client)


async def test_trusted_and_enabled_the_probe_runs_the_configured_interpreter(tmp_path: Path) -> None:
    """The same steps in a trusted workspace do run `probe.python`: the markers would tell."""
    project = build_trust_project(tmp_path)
    client = await _serve(project)
    try:
        options = {"probe": {"enabled": True}, "workspaceTrusted": True}
        session = await start(client, project.root, init_options={"prefectPitfalls": options})
        await _open_edit_save(session, project)
        assert project.ran() and all("evil.sh" in line for line in project.ran())
    finally:
        await _stop(client)
