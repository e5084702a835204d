"""The language server under load and abuse, over a real stdio session.

Thousands of keystrokes, hundreds of documents, a 50,000-line module, closes racing
lints, garbage on the wire, cancelled requests, `exit` in the middle of a burst, and
the memory of 10,000 edits. Nothing here asserts speed (only that `exit` is prompt);
every wait has a deadline, so that a hang fails instead of blocking the run. Run with
`-s` to see the numbers (edits and publishes, 50k-line timings, MEMORY: start/end).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import textwrap
import time
from pathlib import Path

import pytest
from lsp_session import STATEFUL, Session, eventually, start
from lsprotocol import types
from prefect_pitfalls.cli import main
from pygls.exceptions import JsonRpcException

SERVE = [sys.executable, "-m", "prefect_pitfalls", "serve"]



# --- helpers --------------------------------------------------------------------------------


def key(diagnostics) -> list[tuple]:
    """What must agree between the server and the CLI: codes and exact ranges."""
    return sorted(
        (d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
        for d in diagnostics
    )


def check_key(path: Path, capsys) -> list[tuple]:
    """`prefect-pitfalls check --format json` in-process, as (code, range) in LSP terms (ASCII text)."""
    capsys.readouterr()
    main(["check", str(path), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)
    return sorted((f["code"], f["line"] - 1, f["column"] - 1, f["end_line"] - 1, f["end_column"] - 1) for f in findings)


def publishes_for(client, uri: str) -> list[types.PublishDiagnosticsParams]:
    return [p for p in client.publishes if p.uri == uri]


def last_publish(client, uri: str) -> types.PublishDiagnosticsParams | None:
    found = publishes_for(client, uri)
    return found[-1] if found else None


async def quiet(client, seconds: float = 0.5, timeout: float = 30) -> None:
    """Wait until no publish arrived for ``seconds`` (the server has said its last word)."""
    deadline = time.monotonic() + timeout
    count = -1
    while count != len(client.publishes) and time.monotonic() < deadline:
        count = len(client.publishes)
        await asyncio.sleep(seconds)


class Typist:
    """The client's copy of one document, changed one keystroke per didChange (ASCII only)."""

    def __init__(self, session: Session, uri: str, text: str) -> None:
        self.session, self.uri = session, uri
        self.lines = text.split("\n")
        self.edits = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def find(self, line_text: str) -> int:
        return self.lines.index(line_text)

    def type(self, line: int, column: int, chars: str) -> tuple[int, int]:
        for char in chars:
            at = types.Position(line, column)
            current = self.lines[line]
            if char == "\n":
                self.lines[line : line + 1] = [current[:column], current[column:]]
                line, column = line + 1, 0
            else:
                self.lines[line] = current[:column] + char + current[column:]
                column += 1
            self._send(types.Range(at, at), char)
        return line, column

    def backspace(self, line: int, column: int, count: int) -> tuple[int, int]:
        for _ in range(count):
            if column == 0:
                previous = len(self.lines[line - 1])
                range_ = types.Range(types.Position(line - 1, previous), types.Position(line, 0))
                self.lines[line - 1 : line + 1] = [self.lines[line - 1] + self.lines[line]]
                line, column = line - 1, previous
            else:
                range_ = types.Range(types.Position(line, column - 1), types.Position(line, column))
                current = self.lines[line]
                self.lines[line] = current[: column - 1] + current[column:]
                column -= 1
            self._send(range_, "")
        return line, column

    def _send(self, range_: types.Range, new_text: str) -> None:
        self.edits += 1
        self.session.edit(self.uri, range_, new_text, self.text)

    @property
    def version(self) -> int:
        return self.session.versions[self.uri]


TYPED = textwrap.dedent(
    """\
    from prefect import flow, task

    SEEN = []
    CACHE = {}


    @task
    def remember(item):
        return item


    @task
    def lookup(key):
        return key


    @flow
    def etl():
        remember(1)
        lookup(2)
    """
)


def type_a_session(typist: Typist, edits: int, rng: random.Random, keep: float = 0.4) -> None:
    """Write and rewrite statements in task bodies and at module level, keystroke by keystroke."""
    statements = ["SEEN.append({k})", "CACHE[{k}] = {k}", "x{k} = {k} + 1", "SEEN.clear()", "del CACHE[{k}]"]
    k = 0
    while typist.edits < edits:
        k += 1
        choice = rng.random()
        if choice < 0.7:
            # A new line in a task body: Enter at the end of the `def`, then the statement.
            header = rng.choice(["def remember(item):", "def lookup(key):"])
            line = typist.find(header)
            typed = "\n    " + rng.choice(statements).format(k=k)
            broken = False
        elif choice < 0.85:
            line = len(typist.lines) - 1  # the empty last line: a module-level flow call
            typed = "etl()\n"
            broken = False
        else:
            line = len(typist.lines) - 1
            typed = "def broken(:\n"
            broken = True
        start_column = len(typist.lines[line]) if choice < 0.7 else 0
        end = typist.type(line, start_column, typed)
        if rng.random() < 0.25:
            # A typo fixed: a few characters deleted and typed again.
            count = rng.randint(1, min(6, len(typed)))
            end = typist.type(*typist.backspace(*end, count), typed[len(typed) - count :])
        if broken or rng.random() >= keep:
            typist.backspace(*end, len(typed))  # typed, then deleted again


def warehouse_module(lines: int, every: int = 25, jedi: bool = False) -> str:
    """Realistic generated Prefect code of exactly ``lines`` lines: tasks and flows on a process
    pool, one block in ``every`` with a pitfall (PP203 on `WAREHOUSE`, PP102 on `SEEN`).  With ``jedi``, a module-level
    `logging.getLogger(...)` gives jedi a question to answer (resolved off the analysis thread)."""
    header = textwrap.dedent(
        f'''\
        """A generated warehouse pipeline: many tasks and flows, a few pitfalls."""
        {"import logging" if jedi else "import os"}
        import sqlite3

        from prefect import flow, get_run_logger, task
        from prefect.task_runners import ProcessPoolTaskRunner

        WAREHOUSE = sqlite3.connect("warehouse.db")
        SEEN = []
        {"log = logging.getLogger(__name__)" if jedi else "ROOT = os.sep + 'data'"}
        '''
    )
    block = textwrap.dedent(
        '''\


        @task(retries=2)
        def count_rows_{i}(table: str) -> int:
            cursor = {conn}.execute(f"select count(*) from {{table}}")
            return cursor.fetchone()[0]


        @task
        def remember_{i}(item):
            {seen}.append(item)
            return item


        @task
        def collect_{i}(item: dict, seen: list = ()) -> list:
            seen = list(seen)
            seen.append(item)
            return seen


        @task
        def clean_{i}(rows: list[dict]) -> list[dict]:
            """Plain data in, plain data out: nothing to report."""
            logger = get_run_logger()
            out = []
            for row in rows:
                if row.get("id") is None:
                    continue
                out.append({{k: v for k, v in row.items() if v is not None}})
            logger.info("kept %s of %s rows", len(out), len(rows))
            return out


        @flow(name="etl-{i}", task_runner=ProcessPoolTaskRunner())
        def etl_{i}(tables: tuple[str, ...] = ("orders", "customers")):
            totals = {{t: count_rows_{i}.submit(t).result() for t in tables}}
            rows = clean_{i}([{{"id": 1, "v": 2}}, {{"id": None}}])
            remember_{i}(len(rows))
            return totals
        '''
    )
    parts, count, index = [header], header.count("\n"), 0
    size = block.count("\n")
    while count + size <= lines:
        bad = index % every == 0
        conn = "WAREHOUSE" if bad else 'sqlite3.connect("warehouse.db")'
        parts.append(block.format(i=index, conn=conn, seen="SEEN" if bad else "[]"))
        count, index = count + size, index + 1
    parts.append("\n" * (lines - count))
    return "".join(parts)


def warehouse_findings(text: str) -> list[tuple]:
    """The findings `warehouse_module` plants, read back from the text (and `SEEN.append` lines added to it)."""
    found = []
    for number, line in enumerate(text.split("\n")):
        if line.startswith("    cursor = WAREHOUSE.execute("):
            found.append(("PP203", number, 13, number, 22))
        elif line.startswith("    SEEN.append("):
            found.append(("PP102", number, 4, number, 8))
    return sorted(found)


class RawServer:
    """`prefect-pitfalls serve` spoken to in bytes: we write frames, and read its stdout strictly,
    noting every byte that is not part of a well-formed JSON-RPC frame."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Path) -> None:
        self.process, self.stderr = process, stderr
        self.messages: list[dict] = []
        self.violations: list[str] = []
        self.reader = asyncio.create_task(self._read())
        self.next_id = 100

    @classmethod
    async def spawn(cls, cwd: Path) -> RawServer:
        stderr = cwd / "server.stderr"
        process = await asyncio.create_subprocess_exec(
            *SERVE, cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr.open("wb")
        )
        return cls(process, stderr)

    async def _read(self) -> None:
        stdout = self.process.stdout
        while True:
            headers: dict[str, str] = {}
            while True:
                line = await stdout.readline()
                if not line:
                    if headers:
                        self.violations.append(f"end of output inside headers {headers}")
                    return
                if line == b"\r\n":
                    break
                match = re.fullmatch(rb"([A-Za-z-]+): ([^\r\n]*)\r\n", line)
                if match is None:
                    self.violations.append(f"not a header line: {line[:120]!r}")
                    continue
                headers[match[1].decode().lower()] = match[2].decode()
            if not headers.get("content-length", "").isdigit():
                self.violations.append(f"no Content-Length in {headers}")
                continue
            try:
                body = await stdout.readexactly(int(headers["content-length"]))
            except asyncio.IncompleteReadError as error:
                self.violations.append(f"body cut short: {error.partial[:120]!r}")
                return
            try:
                message = json.loads(body)
            except ValueError:
                self.violations.append(f"body is not JSON: {body[:120]!r}")
                continue
            if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
                self.violations.append(f"not a JSON-RPC 2.0 message: {body[:120]!r}")
                continue
            self.messages.append(message)

    def write(self, data: bytes) -> None:
        try:
            self.process.stdin.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may be gone already: that is what some tests are about

    def send_body(self, body: bytes) -> None:
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict) -> None:
        self.send_body(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def request(self, method: str, params=None, id_=None) -> int | str:
        if id_ is None:
            id_, self.next_id = self.next_id, self.next_id + 1
        self.send({"id": id_, "method": method, **({} if params is None else {"params": params})})
        return id_

    def notify(self, method: str, params=None) -> None:
        self.send({"method": method, **({} if params is None else {"params": params})})

    async def response(self, id_, timeout: float = 30) -> dict:
        async def find():
            while True:
                for message in self.messages:
                    if message.get("id") == id_ and "method" not in message:
                        return message
                if self.reader.done():
                    raise AssertionError(f"the server closed its output before answering {id_!r}: {self.log()}")
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(find(), timeout)

    async def initialize(self, root: Path) -> dict:
        id_ = self.init_id = self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        answer = await self.response(id_)
        self.notify("initialized", {})
        return answer

    def open(self, uri: str, text: str) -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
        )

    def change(self, uri: str, version: int, line: int, character: int, text: str) -> None:
        at = {"line": line, "character": character}
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": {"start": at, "end": at}, "text": text}]},
        )

    async def drain(self) -> None:
        try:
            await self.process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass

    async def exited(self, timeout: float) -> tuple[int | None, float]:
        """The exit code and the seconds it took; (None, timeout) if still running (then killed)."""
        started = time.monotonic()
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.process.wait()
            code = None
        await asyncio.wait_for(self.reader, 10)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")[-3000:] if self.stderr.exists() else ""


@pytest.fixture
async def raw(tmp_path: Path):
    server = await RawServer.spawn(tmp_path)
    yield server
    server.kill()
    await server.process.wait()
    if not server.reader.done():
        await asyncio.wait_for(server.reader, 10)


# --- 1. thousands of keystrokes ------------------------------------------------------------------


async def test_two_thousand_keystrokes_end_with_the_final_version(client, tmp_path: Path, capsys) -> None:
    session = await start(client, tmp_path)
    uri = session.open("typed.py", TYPED)
    typist = Typist(session, uri, TYPED)
    type_a_session(typist, 2000, random.Random(20240611))  # sent without awaiting anything
    final = typist.version
    assert typist.edits >= 2000 and final == typist.edits + 1
    published = await session.published(uri, final, timeout=60)
    await quiet(client)
    versions = [p.version for p in publishes_for(client, uri)]
    assert versions == sorted(versions), "a version older than one already published was published"
    assert versions[-1] == final
    (tmp_path / "final.py").write_text(typist.text)
    expected = check_key(tmp_path / "final.py", capsys)
    assert len(expected) >= 5, "the typing session should leave findings to compare"
    assert key(last_publish(client, uri).diagnostics) == expected
    assert key(published.diagnostics) == expected
    print(f"\nKEYSTROKES: {typist.edits} edits, {len(versions)} publishes, {len(expected)} findings at the end")


# --- 2. many documents ---------------------------------------------------------------------------


async def test_two_hundred_documents_open_at_once(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    expected: dict[str, list[tuple[int, str]]] = {}
    for index in range(200):
        if index % 5 == 4:
            text, codes = f"import os\nCACHE_{index} = []\n\ndef f():\n    CACHE_{index}.append(1)\n", []
        else:
            pad = index % 7
            text = "\n" * pad + STATEFUL.replace("remember", f"remember_{index}")
            codes = [(7 + pad, "PP102"), (15 + pad, "PP303")]
        expected[session.open(f"pkg{index % 10}/module_{index}.py", text)] = codes

    def codes(params) -> list[tuple[int, str]]:
        return sorted((d.range.start.line, d.code) for d in params.diagnostics)

    def wrong() -> dict[str, tuple | None]:
        """The documents whose last publish is not version 1 with their findings."""
        found = {}
        for uri, want in expected.items():
            last = last_publish(client, uri)
            if last is None or last.version != 1 or codes(last) != want:
                found[uri] = last and (last.version, codes(last))
        return found

    await eventually(lambda: not wrong(), timeout=60)
    missing = wrong()
    assert not missing, f"{len(missing)} of 200 documents without their publish, e.g. {list(missing.items())[:3]}"

    for uri in expected:
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await eventually(lambda: all(not last_publish(client, uri).diagnostics for uri in expected), timeout=30)
    await quiet(client)
    unclosed = {
        uri: [(p.version, len(p.diagnostics)) for p in publishes_for(client, uri)]
        for uri in expected
        if last_publish(client, uri).diagnostics or last_publish(client, uri).version is not None
    }
    assert not unclosed, f"{len(unclosed)} documents whose last publish is not the close's: {list(unclosed.items())[:3]}"


# --- 3. a 50,000-line module ---------------------------------------------------------------------


async def test_a_fifty_thousand_line_module(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = warehouse_module(50_000)
    assert text.count("\n") == 50_000
    expected = warehouse_findings(text)
    assert len(expected) > 80

    started = time.monotonic()
    uri = session.open("warehouse.py", text)
    first = await session.published(uri, 1, timeout=180)
    opened = time.monotonic() - started
    assert key(first.diagnostics) == expected

    # An edit near the end: a new PP102 in the last `remember_` task.
    lines = text.split("\n")
    last_remember = max(i for i, line in enumerate(lines) if line.startswith("def remember_"))
    assert last_remember > 49_900
    inserted = "\n    SEEN.append(0)"
    at = types.Position(last_remember, len(lines[last_remember]))
    edited = "\n".join(lines[: last_remember + 1] + ["    SEEN.append(0)"] + lines[last_remember + 1 :])
    started = time.monotonic()
    version = session.edit(uri, types.Range(at, at), inserted, edited)
    second = await session.published(uri, version, timeout=180)
    near_end = time.monotonic() - started
    assert key(second.diagnostics) == warehouse_findings(edited)
    assert len(second.diagnostics) == len(expected) + 1

    # An edit at the top: every anchor moves down a line.
    top = "# a generated module\n" + edited
    started = time.monotonic()
    at = types.Position(0, 0)
    version = session.edit(uri, types.Range(at, at), "# a generated module\n", top)
    third = await session.published(uri, version, timeout=180)
    at_top = time.monotonic() - started
    assert key(third.diagnostics) == warehouse_findings(top)
    await quiet(client)
    assert last_publish(client, uri).version == version
    print(f"\n50K LINES: first publish {opened:.2f}s, edit near the end {near_end:.2f}s, edit at the top {at_top:.2f}s, {len(third.diagnostics)} findings")


# --- 4. didClose racing a lint -------------------------------------------------------------------


async def test_close_while_a_lint_is_pending(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = warehouse_module(3_000)
    end = types.Position(text.count("\n"), 0)
    uris = []
    for index in range(8):
        uri = session.open(f"closing_{index}.py", text)
        if index % 2:
            await session.published(uri, 1, timeout=60)  # its next lint is the one racing the close
        session.edit(uri, types.Range(end, end), "SEEN.append(1)\n", "")
        if index % 4 == 3:
            session.edit(uri, types.Range(end, end), "x = 1\n", "")
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        uris.append(uri)
    # Closed and opened again with other text while its lint is still running.
    reopened = session.open("closing_0.py", STATEFUL)

    # The analysis thread is first in, first out: once a document opened last is published,
    # every lint started before it has finished and had its say.
    sentinel = session.open("sentinel.py", STATEFUL)
    await session.published(sentinel, 1, timeout=60)
    await quiet(client)

    for uri in uris[1:]:
        last = last_publish(client, uri)
        assert last is not None and not last.diagnostics and last.version is None, (
            f"{uri}: {[(p.version, len(p.diagnostics)) for p in publishes_for(client, uri)]}"
        )
    after_reopen = publishes_for(client, reopened)
    close_index = max(i for i, p in enumerate(after_reopen) if p.version is None)
    tail = after_reopen[close_index + 1 :]
    assert tail and all(p.version == 1 for p in tail), [(p.version, len(p.diagnostics)) for p in after_reopen]
    assert sorted((d.range.start.line, d.code) for d in tail[-1].diagnostics) == [(7, "PP102"), (15, "PP303")]

    # Still answering.
    doc = await asyncio.wait_for(
        client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="prefect-pitfalls.explain", arguments=["PP102"])
        ),
        30,
    )
    assert doc.startswith("## What it does")


# --- 5. garbage on the wire ----------------------------------------------------------------------


async def test_unknown_methods_and_garbage_leave_the_server_answering(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    raw.send_body(b"{this is not json")
    raw.send_body(b"\xff\xfe\x00 binary garbage")
    raw.send_body(b"[1, 2, 3]")
    raw.notify("prefectPitfalls/noSuchNotification", {"x": 1})
    raw.notify("$/noSuchThing", {"x": 1})
    raw.notify("$/setTrace", {"value": "off"})
    unknown = raw.request("prefectPitfalls/noSuchRequest", {"x": 1})
    unknown_dollar = raw.request("$/noSuchRequest", {})
    answer = await raw.response(unknown)
    assert answer["error"]["code"] == -32601  # MethodNotFound
    assert (await raw.response(unknown_dollar))["error"]["code"] == -32601
    # A request after all that is answered normally.
    explain = raw.request("workspace/executeCommand", {"command": "prefect-pitfalls.explain", "arguments": ["PP101"]})
    assert (await raw.response(explain))["result"].startswith("## What it does")
    shutdown = raw.request("shutdown")
    assert (await raw.response(shutdown)) == {"jsonrpc": "2.0", "id": shutdown, "result": None}
    raw.notify("exit")
    code, _ = await raw.exited(10)
    assert code == 0, raw.log()
    assert raw.violations == []
    ids = {m.get("id") for m in raw.messages if "method" not in m}
    assert ids <= {raw.init_id, unknown, unknown_dollar, explain, shutdown, None}, ids
    # The notifications (unknown, `$/`) got no answer; only log/show messages came unasked.
    assert {m["method"] for m in raw.messages if "method" in m} <= {"window/showMessage", "window/logMessage"}


async def test_a_body_that_is_not_json_gets_a_parse_error(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    raw.send_body(b"{this is not json")
    ping = raw.request("workspace/executeCommand", {"command": "prefect-pitfalls.explain", "arguments": ["PP101"]})
    await raw.response(ping)
    errors = [m for m in raw.messages if "error" in m and m.get("id") is None]
    assert [e["error"]["code"] for e in errors] == [-32700]
    assert all("id" in e for e in errors), "JSON-RPC 2.0: the id of an unknown request is null, not absent"


async def test_a_request_with_invalid_params_gets_an_error_response(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    bad = raw.request("textDocument/hover", {"textDocument": 42})
    ping = raw.request("workspace/executeCommand", {"command": "prefect-pitfalls.explain", "arguments": ["PP101"]})
    await raw.response(ping)  # messages are handled in order: the bad request had its turn before
    answers = [m for m in raw.messages if m.get("id") == bad and "method" not in m]
    assert [a.get("error", {}).get("code") for a in answers] == [-32602]  # InvalidParams


# --- 6. $/cancelRequest --------------------------------------------------------------------------


async def test_cancelled_requests_are_answered_and_the_server_goes_on(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path)
    text = warehouse_module(20_000)
    uri = session.open("big.py", text)
    lines = text.split("\n")
    first = await session.published(uri, 1, timeout=120)
    end = types.Position(text.count("\n"), 0)
    document = types.TextDocumentIdentifier(uri)
    outcomes = {}
    for round_ in range(3):
        # A change first, so that each request has a whole analysis to wait for.
        lines.insert(end.line, f"x{round_} = {round_}")
        session.edit(uri, types.Range(end, end), f"x{round_} = {round_}\n", "\n".join(lines))
        end = types.Position(end.line + 1, 0)
        requests = {
            f"diagnostic-{round_}": (types.TEXT_DOCUMENT_DIAGNOSTIC, types.DocumentDiagnosticParams(text_document=document)),
            f"codeAction-{round_}": (
                types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionParams(
                    text_document=document,
                    range=first.diagnostics[0].range,
                    context=types.CodeActionContext(diagnostics=first.diagnostics[:1]),
                ),
            ),
            f"hover-{round_}": (types.TEXT_DOCUMENT_HOVER, types.HoverParams(document, types.Position(0, 0))),
        }
        futures = {}
        for id_, (method, params) in requests.items():
            # pygls' send_request writes at once (pytest-lsp's send_request_async only when awaited).
            futures[id_] = asyncio.wrap_future(client.protocol.send_request(method, params, msg_id=id_))
            client.cancel_request(types.CancelParams(id=id_))
        client.cancel_request(types.CancelParams(id="never-sent"))
        for id_, future in futures.items():
            try:
                result = await asyncio.wait_for(future, 120)
                outcomes[id_] = "result"
                if id_.startswith("diagnostic"):
                    assert result.kind == "full" and len(result.items) == len(first.diagnostics)
            except JsonRpcException as error:
                assert error.code == -32800, f"{id_}: {error.code} {error}"  # RequestCancelled
                outcomes[id_] = "cancelled"
    # A pull waits for a whole analysis of 20,000 lines: its cancel always arrives in time.
    assert all(outcomes[f"diagnostic-{round_}"] == "cancelled" for round_ in range(3)), outcomes
    # Still working: a new edit (a PP102 in the last task `remember_`) is analysed and published.
    row = max(i for i, line in enumerate(lines) if line.startswith("def remember_"))
    at = types.Position(row, len(lines[row]))
    lines.insert(row + 1, "    SEEN.append(2)")
    version = session.edit(uri, types.Range(at, at), "\n    SEEN.append(2)", "\n".join(lines))
    published = await session.published(uri, version, timeout=120)
    assert key(published.diagnostics) == warehouse_findings("\n".join(lines))
    assert len(published.diagnostics) == len(first.diagnostics) + 1
    print(f"\nCANCEL: {outcomes}")


# --- 7. exit at any moment -----------------------------------------------------------------------


async def burst(raw: RawServer, uri: str, first_version: int, count: int) -> int:
    """``count`` keystrokes at the end of line 0, unawaited; returns the last version sent."""
    version = first_version
    for index in range(count):
        version += 1
        raw.change(uri, version, 0, len("from prefect import flow, task") + index, "x" if index % 2 else "y")
    return version


async def test_shutdown_and_exit_in_the_middle_of_a_burst(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    uri = (tmp_path / "burst.py").as_uri()
    raw.open(uri, STATEFUL)
    version = await burst(raw, uri, 1, 300)
    shutdown = raw.request("shutdown")
    await burst(raw, uri, version, 300)  # ignored after shutdown, but must not upset anything
    raw.notify("exit")
    await raw.drain()
    code, seconds = await raw.exited(10)
    assert code == 0, f"exit code {code} after {seconds:.1f}s: {raw.log()}"
    assert raw.violations == [], raw.violations
    assert {"jsonrpc": "2.0", "id": shutdown, "result": None} in raw.messages


async def test_exit_without_shutdown_in_the_middle_of_a_burst(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    uri = (tmp_path / "burst.py").as_uri()
    raw.open(uri, STATEFUL)
    version = await burst(raw, uri, 1, 300)
    raw.notify("exit")
    await burst(raw, uri, version, 300)  # the pipe may already be closed
    await raw.drain()
    code, seconds = await raw.exited(10)
    assert code is not None, f"still running {seconds:.1f}s after exit: {raw.log()}"
    assert raw.violations == [], raw.violations
    unexpected = [
        m for m in raw.messages
        if m.get("method") not in {"textDocument/publishDiagnostics", "window/logMessage"} and m.get("id") != raw.init_id
    ]
    assert unexpected == []


async def test_exit_without_shutdown_exits_with_1(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    raw.notify("exit")
    await raw.drain()
    code, _ = await raw.exited(10)
    assert code == 1


async def test_exit_while_jedi_works_on_a_big_module_is_prompt(raw: RawServer, tmp_path: Path) -> None:
    await raw.initialize(tmp_path)
    uri = (tmp_path / "big.py").as_uri()
    raw.open(uri, warehouse_module(50_000, jedi=True))
    # The first publish comes from the AST; jedi then starts on the module in its own thread.
    await eventually(lambda: any(m.get("method") == "textDocument/publishDiagnostics" for m in raw.messages), timeout=120)
    shutdown = raw.request("shutdown")
    await raw.response(shutdown)
    raw.notify("exit")
    await raw.drain()
    code, seconds = await raw.exited(3)
    assert raw.violations == []
    assert code == 0, f"still running {seconds:.1f}s after exit"


# --- 8. memory over 10,000 edits -----------------------------------------------------------------


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)[1]) / 1024


_MEMORY_RUNS: dict[int, dict[int, float]] = {}


async def memory_over_edits(client, tmp_path: Path, edits: int) -> dict[int, float]:
    """The server's RSS (MiB) every 1,000 keystrokes, each a statement typed into a task and deleted
    again (the text stays small: what grows is the server's own bookkeeping, if anything).
    One session serves every test asking for the same number of edits."""
    session = await start(client, tmp_path)  # even when cached: the fixture shuts down initialized servers only
    if edits in _MEMORY_RUNS:
        return _MEMORY_RUNS[edits]
    pid = client._server.pid  # pygls' JsonRPCClient keeps the server as an asyncio subprocess
    uri = session.open("typed.py", TYPED)
    typist = Typist(session, uri, TYPED)
    rng = random.Random(edits)
    readings = {}
    for batch_end in range(500, edits + 1, 500):
        type_a_session(typist, batch_end, rng, keep=0.0)
        await session.published(uri, typist.version, timeout=60)  # now and then, catch up
        if batch_end % 1_000 == 0:
            readings[batch_end] = rss_mib(pid)
    assert typist.text == TYPED
    print(f"\nRSS every 1,000 edits ({typist.edits} in all, {len(client.publishes)} publishes): "
          + " ".join(f"{r:.1f}" for r in readings.values()))
    _MEMORY_RUNS[edits] = readings
    return readings


async def test_memory_is_bounded_over_ten_thousand_edits(client, tmp_path: Path) -> None:
    readings = await memory_over_edits(client, tmp_path, 10_000)
    start_mib, end_mib = readings[1_000], readings[10_000]  # after a warm-up of 1,000 edits
    line = f"MEMORY: start={start_mib:.1f} end={end_mib:.1f} MiB"
    print(line)
    assert end_mib - start_mib < 40, line


async def test_memory_stops_growing_once_warm(client, tmp_path: Path) -> None:
    readings = await memory_over_edits(client, tmp_path, 10_000)  # the session of the test above
    growth = readings[10_000] - readings[5_000]
    assert growth < 3, f"{growth:.1f} MiB more after 5,000 more keystrokes on an unchanged text"
