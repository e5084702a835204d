"""The serialization contexts in an editor: the cache-key quick fix, and `assume-task-runner`
notes published as hints."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from lsprotocol import types

from lsp_session import apply_edits, start

HASHED = textwrap.dedent(
    """\
    import sqlite3

    from prefect import flow, task


    @task(retries=2)
    def count_rows(conn, table):
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


    @flow
    def audit(path):
        return count_rows(sqlite3.connect(path), "orders")
    """
)


async def test_the_cache_key_quick_fix(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("audit.py", HASHED)
    published = await session.published(uri, 1)
    (hashed,) = published.diagnostics
    assert hashed.code == "PP202" and hashed.message.startswith("Cache key of `count_rows` cannot hash")
    actions = await session.code_actions(uri, [hashed])
    fix = actions[0]
    assert fix.title == "prefect-pitfalls (PP202): Exclude `conn` from the cache key"
    assert fix.kind == types.CodeActionKind.QuickFix and not fix.is_preferred  # unsafe: caching changes
    fixed = apply_edits(HASHED, fix.edit.document_changes[0].edits)
    ast.parse(fixed)
    assert '@task(retries=2, cache_policy=DEFAULT - "conn")' in fixed
    assert "from prefect.cache_policies import DEFAULT\n" in fixed
    version = session.replace(uri, fixed)
    assert (await session.published(uri, version)).diagnostics == ()


ON_DEFAULT_RUNNER = textwrap.dedent(
    """\
    import sqlite3

    from prefect import flow, task

    WAREHOUSE = sqlite3.connect("warehouse.db")


    @task
    def count_orders():
        return WAREHOUSE.execute("select count(*) from orders").fetchone()[0]


    @flow
    def nightly():
        return count_orders.submit().result()
    """
)


async def test_assumed_runner_notes_are_hints(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    plain = session.open("plain/flows.py", ON_DEFAULT_RUNNER)
    assert (await session.published(plain, 1)).diagnostics == ()
    (tmp_path / "dask").mkdir()
    (tmp_path / "dask" / "pyproject.toml").write_text('[tool.prefect-pitfalls]\nassume-task-runner = "dask"\n')
    assumed = session.open("dask/flows.py", ON_DEFAULT_RUNNER)
    (note,) = (await session.published(assumed, 1)).diagnostics
    assert note.code == "PP203" and note.severity == types.DiagnosticSeverity.Hint
    assert note.message.startswith("`DaskTaskRunner` (assumed) could not pickle module-level `WAREHOUSE`")
