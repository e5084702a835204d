"""Configuration and declaration files edited on disk apply at the next analysis, for clients that
offer no file watching (Neovim on Linux): the server notices the changed files itself."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from lsp_session import start

FLOW = textwrap.dedent('''\
    import pandas
    from prefect import flow, task

    SEEN = []


    @task
    def remember(row):
        SEEN.append(row)


    @flow
    def etl():
        remember(pandas.DataFrame())
''')


def _write(path: Path, text: str) -> None:
    """Write, with a modification time that surely differs from the previous one."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(text))
    os.utime(path, ns=(before + 10**9, before + 10**9))


async def _codes(session, uri: str) -> list[str]:
    """Neovim pulls diagnostics (`textDocument/diagnostic`)."""
    report = await session.pull(uri)
    return sorted(str(d.code) for d in report.items)


async def test_edits_of_pyproject_and_requirements_apply_without_watching(client, tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", '''\
        [project]
        name = "etl"
        version = "0"
        dependencies = ["prefect"]
    ''')
    session = await start(client, tmp_path, editor="neovim")
    watched = client.capabilities.workspace.did_change_watched_files if client.capabilities.workspace else None
    assert not (watched and watched.dynamic_registration)
    uri = session.open("flow.py", FLOW)
    assert await _codes(session, uri) == ["PP102", "PP306"]

    _write(tmp_path / "pyproject.toml", '''\
        [project]
        name = "etl"
        version = "0"
        dependencies = ["prefect", "pandas"]

        [tool.prefect-pitfalls]
        ignore = ["PP102"]
    ''')
    session.replace(uri, FLOW + "\n")
    assert await _codes(session, uri) == []

    _write(tmp_path / "pyproject.toml", '''\
        [project]
        name = "etl"
        version = "0"
        dependencies = ["prefect", "pandas"]
    ''')
    session.replace(uri, FLOW)
    assert await _codes(session, uri) == ["PP102"]
    assert client.registrations == []  # nothing was watched for the server
