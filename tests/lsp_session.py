"""Helpers for driving the server from tests: a session over an initialized client."""

from __future__ import annotations

import asyncio
from pathlib import Path
import textwrap
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client


class Session:
    """Helpers over one initialized client: open/change documents, wait for results."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str, write: bool = True, language_id: str = "python") -> str:
        path = self.root / name
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
            )
        )
        return uri

    def replace(self, uri: str, text: str) -> int:
        """Send the whole new text as one change (a full-range incremental change)."""
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return self.versions[uri]

    def edit(self, uri: str, range_: types.Range, new_text: str, resulting_text: str) -> int:
        self.versions[uri] += 1
        self.texts[uri] = resulting_text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[types.TextDocumentContentChangePartial(range=range_, text=new_text)],
            )
        )
        return self.versions[uri]

    async def published(self, uri: str, version: int | None = None, timeout: float = 10) -> types.PublishDiagnosticsParams:
        """The first publish for ``uri`` (of ``version``, when given)."""
        async def find():
            while True:
                for params in self.client.publishes:
                    if params.uri == uri and (version is None or params.version == version):
                        return params
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(find(), timeout)

    async def settle(self, seconds: float = 0.3) -> None:
        await asyncio.sleep(seconds)

    async def pull(self, uri: str, previous: str | None = None):
        return await self.client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous)
        )

    async def code_actions(self, uri: str, diagnostics: list[types.Diagnostic], range_: types.Range | None = None, only=None):
        range_ = range_ or (diagnostics[0].range if diagnostics else types.Range(types.Position(0, 0), types.Position(0, 0)))
        return await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=range_,
                context=types.CodeActionContext(diagnostics=diagnostics, only=only),
            )
        )


async def start(
    client: LanguageClient,
    root: Path,
    editor: str = "visual-studio-code",
    init_options: Any = None,
    folders: list[Path] | None = None,
    encodings: list[str] | None = None,
    experimental: Any = None,
) -> Session:
    capabilities = client_capabilities(editor)
    if experimental is not None:
        capabilities.experimental = experimental
    if encodings is not None:
        capabilities.general = types.GeneralClientCapabilities(position_encodings=encodings)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders or [root]],
            initialization_options=init_options,
        )
    )
    return Session(client, root)


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """Apply LSP text edits the way an editor does (positions in ``encoding``)."""
    lines = text.splitlines(keepends=True) or [""]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def absolute(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        line = lines[position.line]
        units = 0
        for index, char in enumerate(line):
            if units >= position.character:
                return offsets[position.line] + index
            units += len(char.encode(encoding.replace("utf-16", "utf-16-le"))) // (2 if encoding == "utf-16" else 1) if encoding != "utf-32" else 1
        return offsets[position.line] + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = absolute(edit.range.start), absolute(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def record_probe_status(client: LanguageClient) -> list[dict]:
    """Every `prefectPitfalls/probeStatus` notification the client gets, as dicts."""
    statuses: list[dict] = []
    client.feature("prefectPitfalls/probeStatus")(lambda params: statuses.append(_as_dict(params)))
    return statuses


def _as_dict(params) -> dict:
    return params if isinstance(params, dict) else {k: getattr(params, k) for k in params._fields}


async def eventually(condition, timeout: float = 30, interval: float = 0.02):
    """Poll ``condition()`` until it returns something truthy (returned) or time runs out
    (the last falsy value is returned, for the caller's assertion to fail on)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = condition()
        if value or asyncio.get_running_loop().time() >= deadline:
            return value
        await asyncio.sleep(interval)


# A flow module with one PP102 (a task appending to a module-level list) and one PP303.
STATEFUL = textwrap.dedent(
    """\
    from prefect import flow, task

    SEEN = []


    @task
    def remember(item):
        SEEN.append(item)


    @flow
    def etl():
        remember(1)


    etl()
    """
)

# A flow module whose task captures an open connection and is submitted to a process pool,
# which pickles the task and the flow run's context: PP302 on line 9, PP301 on line 14.
PROBED = textwrap.dedent(
    """\
    import sqlite3

    from prefect import flow, task, task_runners

    conn = sqlite3.connect(":memory:")


    @task
    def count_orders():
        return conn.execute("select 1").fetchone()[0]


    @flow(task_runner=task_runners.ProcessPoolTaskRunner())
    def etl():
        return count_orders.submit().result()
    """
)


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics in order."""
    client = make_test_lsp_client()
    client.publishes = []

    def publish(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.publishes.append(params)

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    client.registrations = []
    client.protocol.fm.features[types.CLIENT_REGISTER_CAPABILITY] = client.registrations.append
    _read_code_actions_as_editors_do(client)
    return client


def _read_code_actions_as_editors_do(client: LanguageClient) -> None:
    """lsprotocol reads every code action that carries a `command` as a bare `Command`; editors
    tell the two apart by the type of `command` (a string only in a bare `Command`)."""
    converter = client.protocol.fm.converter

    def structure(value: dict, _) -> types.Command | types.CodeAction:
        bare = isinstance(value.get("command"), str)
        return converter.structure(value, types.Command if bare else types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)
