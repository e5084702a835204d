"""Hovers and "Show documentation" actions: what a finding is, why it matters, what to write instead."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from lsp_session import PROBED, STATEFUL, Session, eventually, start
from prefect_pitfalls.docs import rule_sections
from prefect_pitfalls.rules import RULES_BY_CODE

WHY_PP102 = rule_sections(RULES_BY_CODE["PP102"])["Why is this bad?"].split("\n")[0]

# PP102 on `CACHE`, after text that takes more UTF-16 units than code points.
UNICODE = textwrap.dedent(
    """\
    from prefect import task

    CACHE = {}


    @task
    def label(key):
        note = "日本語😀"; CACHE[key] = note
    """
)

# One place, two findings: `conn` is both a captured resource (PP203) and a task argument (PP202),
# both pickled by the process pool.
SHARED = textwrap.dedent(
    """\
    import sqlite3

    from prefect import flow, task, task_runners

    conn = sqlite3.connect("warehouse.db")


    @task
    def count(c):
        return 1


    @flow(task_runner=task_runners.ProcessPoolTaskRunner())
    def etl():
        return count.submit(conn).result()
    """
)


async def hover(client: LanguageClient, uri: str, line: int, character: int) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )


async def start_plain_text_client(client: LanguageClient, root: Path) -> Session:
    """Emacs's eglot without markdown-mode: hovers in plain text only."""
    capabilities = client_capabilities("emacs")
    capabilities.text_document.hover.content_format = [types.MarkupKind.PlainText]
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    return Session(client, root)


async def test_hover_over_a_finding_in_markdown(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    diagnostic = next(d for d in published.diagnostics if d.code == "PP102")
    anchor = diagnostic.range.start
    answer = await hover(client, uri, anchor.line, anchor.character + 1)
    assert answer.contents.kind == types.MarkupKind.Markdown
    assert answer.range == diagnostic.range
    text = answer.contents.value
    assert text.startswith(diagnostic.message + "\n\n**PP102** (task-global-state): ")
    assert RULES_BY_CODE["PP102"].summary in text
    why, use = text.index("**Why is this bad?**"), text.index("**Use instead**")
    assert why < text.index(WHY_PP102) < use < text.index("```python\n")
    assert "## Example" not in text and "Fix safety" not in text


async def test_hover_over_a_finding_in_plain_text(client, tmp_path: Path) -> None:
    session = await start_plain_text_client(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    diagnostic = next(d for d in published.diagnostics if d.code == "PP303")
    answer = await hover(client, uri, diagnostic.range.end.line, diagnostic.range.end.character)
    assert answer.contents.kind == types.MarkupKind.PlainText
    text = answer.contents.value
    assert text.startswith(diagnostic.message + "\n\nPP303 (import-time-flow-run): ")
    assert "\nWhy is this bad?\n" in text and "\nUse instead\n" in text
    assert "    if __name__ == \"__main__\":\n        etl()" in text
    assert "**" not in text and "```" not in text


async def test_noqa_hover_follows_the_format_too(client, tmp_path: Path) -> None:
    session = await start_plain_text_client(client, tmp_path)
    text = STATEFUL.replace("SEEN.append(item)", "SEEN.append(item)  # noqa: PP102")
    uri = session.open("etl.py", text)
    answer = await hover(client, uri, 7, text.splitlines()[7].index("PP102") + 1)
    assert answer.contents.kind == types.MarkupKind.PlainText
    assert answer.contents.value.startswith("What it does\n")


async def test_hover_positions_are_utf16_units(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("label.py", UNICODE)
    (diagnostic,) = (await session.published(uri, 1)).diagnostics
    first, last = diagnostic.range.start, diagnostic.range.end
    assert first.character == len('    note = "日本語😀"; '.encode("utf-16-le")) // 2
    for character in (first.character, last.character):
        answer = await hover(client, uri, first.line, character)
        assert answer.range == diagnostic.range and WHY_PP102 in answer.contents.value
    # Read as code points, the space before `CACHE` would fall inside it.
    assert await hover(client, uri, first.line, first.character - 1) is None


async def test_no_hover_away_from_findings(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    await session.published(uri, 1)
    assert await hover(client, uri, 2, 0) is None  # `SEEN = []`
    assert await hover(client, uri, 6, 4) is None  # `def remember`


async def test_several_findings_at_one_place(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", SHARED)
    diagnostics = (await session.published(uri, 1)).diagnostics
    assert sorted(d.code for d in diagnostics) == ["PP202", "PP203"]
    first = diagnostics[0].range.start
    answer = await hover(client, uri, first.line, first.character)
    parts = answer.contents.value.split("\n\n---\n\n")
    assert [part.split("**")[1] for part in parts] == ["PP202", "PP203"]
    assert all("**Why is this bad?**" in part for part in parts)


async def test_show_documentation_only_for_our_diagnostics(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    ours = next(d for d in published.diagnostics if d.code == "PP102")
    foreign = types.Diagnostic(range=ours.range, message="unused", source="ruff", code="F401")
    actions = await session.code_actions(uri, [ours, foreign])
    shown = [a for a in actions if a.title.endswith("Show documentation")]
    assert [a.title for a in shown] == ["prefect-pitfalls (PP102): Show documentation"]
    (action,) = shown
    assert action.kind == types.CodeActionKind.QuickFix and action.edit is None
    assert action.command.command == "prefect-pitfalls.explain" and list(action.command.arguments) == ["PP102"]
    assert list(action.diagnostics) == [ours]
    assert not await session.code_actions(uri, [foreign], only=[types.CodeActionKind.QuickFix])


async def test_the_action_runs_the_explain_command(client, tmp_path: Path) -> None:
    """Clients like Neovim and Emacs drop a command's result: they get the page as a message."""
    session = await start(client, tmp_path, editor="emacs")
    uri = session.open("etl.py", STATEFUL)
    published = await session.published(uri, 1)
    ours = next(d for d in published.diagnostics if d.code == "PP303")
    action = next(a for a in await session.code_actions(uri, [ours]) if a.command)
    doc = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=action.command.command, arguments=action.command.arguments)
    )
    assert doc == RULES_BY_CODE["PP303"].doc
    message = await eventually(lambda: client.messages)
    (shown,) = message
    assert shown.type == types.MessageType.Info
    assert shown.message.startswith("PP303: import-time-flow-run\n\nWhat it does\n")
    assert "\nWhy is this bad?\n" in shown.message


async def test_clients_with_their_own_page_get_no_message(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, experimental={"prefectPitfalls": {"documentationPages": True}})
    doc = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prefect-pitfalls.explain", arguments=["pp101"])
    )
    assert doc.startswith("## What it does")
    unknown = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prefect-pitfalls.explain", arguments=["PP999"])
    )
    assert unknown is None
    await session.settle()
    assert client.messages == []


async def test_probe_findings_have_hover_and_documentation(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, init_options={"prefectPitfalls": {"probe": {"enabled": True}}})
    uri = session.open("etl.py", PROBED)
    await session.published(uri, 1)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    probed = await eventually(lambda: [d for d in client.publishes[-1].diagnostics if d.code == "PP302"], timeout=60)
    (diagnostic,) = probed
    answer = await hover(client, uri, diagnostic.range.start.line, diagnostic.range.start.character)
    assert "**PP302** (task-not-serializable)" in answer.contents.value
    assert "**Why is this bad?**" in answer.contents.value
    titles = [a.title for a in await session.code_actions(uri, [diagnostic])]
    assert titles[-1] == "prefect-pitfalls (PP302): Show documentation"
