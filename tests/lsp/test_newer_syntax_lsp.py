"""The server on files in a newer Python's syntax than its own: the findings of the rest of the
file, and one warning per file saying so, never a diagnostic on the user's code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_session import start

NEWER = Path(__file__).parent.parent / "newer_syntax"
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="the running grammar reads 3.12 syntax")


def codes(diagnostics) -> list[tuple[int, str]]:
    return sorted((d.range.start.line, d.code) for d in diagnostics)


def syntax_notes(client) -> list[tuple[types.MessageType, str]]:
    return [(m.type, m.message) for m in client.messages if "syntax" in m.message]


async def test_push_client_gets_the_findings_and_one_warning_per_file(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = (NEWER / "py312_flows.py").read_text(encoding="utf-8")
    uri = session.open("flows/py312_flows.py", text)
    published = await session.published(uri, 1)
    assert codes(published.diagnostics) == [(12, "PP102"), (18, "PP102"), (29, "PP303")]
    assert all(d.source == "prefect-pitfalls" for d in published.diagnostics)

    version = session.replace(uri, text.replace('    SEEN.append("first")\n', ""))
    published = await session.published(uri, version)
    assert codes(published.diagnostics) == [(17, "PP102"), (28, "PP303")]

    other = session.open("flows/py314_flows.py", (NEWER / "py314_flows.py").read_text(encoding="utf-8"))
    assert codes((await session.published(other, 1)).diagnostics) == [(13, "PP102")]
    assert syntax_notes(client) == [
        (
            types.MessageType.Warning,
            f"prefect-pitfalls: py312_flows.py:8 uses Python 3.12 syntax (PEP 695 type statement); prefect-pitfalls "
            f"runs on Python {RUNNING}. The rest of the file is checked; run the server on Python 3.12 or newer "
            "to check all of it.",
        ),
        (
            types.MessageType.Warning,
            f"prefect-pitfalls: py314_flows.py:11 uses Python 3.14 syntax (PEP 750 t-string); prefect-pitfalls "
            f"runs on Python {RUNNING}. The rest of the file is checked; run the server on Python 3.14 or newer "
            "to check all of it.",
        ),
    ]


async def test_pull_client_is_told_once(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, editor="neovim")
    text = (NEWER / "py312_clean.py").read_text(encoding="utf-8")
    uri = session.open("py312_clean.py", text)
    report = await session.pull(uri)
    assert report.kind == "full" and not report.items
    session.replace(uri, text.replace("hello", "hi"))
    assert (await session.pull(uri, report.result_id)).kind == "unchanged"
    assert [message for _, message in syntax_notes(client)] == [
        f"prefect-pitfalls: py312_clean.py:5 uses Python 3.12 syntax (PEP 695 type statement); prefect-pitfalls "
        f"runs on Python {RUNNING}. The rest of the file is checked; run the server on Python 3.12 or newer "
        "to check all of it."
    ]
