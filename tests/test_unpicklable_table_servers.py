"""Local stand-ins for the servers some table entries connect to, so that their examples
build connected clients for real: an SSH server (paramiko's own server side), a greeting
line server for FTP and SMTP, the start-up handshake of PostgreSQL, and the new-session
endpoint of a WebDriver. Each listens on 127.0.0.1 and yields its ``(host, port)``.

An entry names one of these in its ``fixture`` field; the table tests put ``HOST`` and
``PORT`` into the example's namespace.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

import pytest

USER, PASSWORD = "etl", "secret"


@contextmanager
def _serving(talk: Callable[[socket.socket], None]) -> Iterator[tuple[str, int]]:
    """Accept connections on a loopback port and talk to each on its own thread."""
    listener = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connections.append(connection)
            threading.Thread(target=_quietly, args=(talk, connection), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[:2]
    finally:
        listener.close()
        for connection in connections:
            connection.close()


def _quietly(talk: Callable[[socket.socket], None], connection: socket.socket) -> None:
    try:
        talk(connection)
    except OSError:
        pass  # the client went away mid-conversation: nothing left to answer


@pytest.fixture(scope="module")
def ssh_server() -> Iterator[tuple[str, int]]:
    """A paramiko SSH server that accepts USER/PASSWORD, sessions and the SFTP subsystem."""
    paramiko = pytest.importorskip("paramiko")
    host_key = paramiko.RSAKey.generate(2048)

    class AcceptEveryone(paramiko.ServerInterface):
        def get_allowed_auths(self, username: str) -> str:
            return "password"

        def check_auth_password(self, username: str, password: str) -> int:
            return paramiko.AUTH_SUCCESSFUL if (username, password) == (USER, PASSWORD) else paramiko.AUTH_FAILED

        def check_channel_request(self, kind: str, chanid: int) -> int:
            return paramiko.OPEN_SUCCEEDED

    transports = []

    def talk(connection: socket.socket) -> None:
        transport = paramiko.Transport(connection)
        transports.append(transport)
        transport.add_server_key(host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, paramiko.SFTPServerInterface)
        transport.start_server(server=AcceptEveryone())

    with _serving(talk) as address:
        yield address
    for transport in transports:
        transport.close()


def _greeting_line_server(greeting: bytes) -> Iterator[tuple[str, int]]:
    """Greets, answers QUIT with 221 and every other command line with 250."""

    def talk(connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as lines:
            connection.sendall(greeting)
            for line in lines:
                if line.upper().startswith(b"QUIT"):
                    connection.sendall(b"221 Bye\r\n")
                    return
                connection.sendall(b"250 OK\r\n")

    with _serving(talk) as address:
        yield address


@pytest.fixture(scope="module")
def ftp_server() -> Iterator[tuple[str, int]]:
    yield from _greeting_line_server(b"220 FTP ready\r\n")


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[str, int]]:
    yield from _greeting_line_server(b"220 localhost ESMTP ready\r\n")


_SSL_REQUEST = 80877103
_SERVER_PARAMETERS = {
    "server_version": "15.0",
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "DateStyle": "ISO, MDY",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "TimeZone": "UTC",
}


def _message(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("the client closed the connection")
        data += chunk
    return data


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[tuple[str, int]]:
    """The PostgreSQL start-up handshake (no TLS, trust authentication), then silence until
    the client terminates: enough for a client to hold an open, idle connection."""

    def talk(connection: socket.socket) -> None:
        with connection:
            length, code = struct.unpack("!ii", _read_exactly(connection, 8))
            if code == _SSL_REQUEST:
                connection.sendall(b"N")
                length, code = struct.unpack("!ii", _read_exactly(connection, 8))
            _read_exactly(connection, length - 8)
            reply = _message(b"R", struct.pack("!i", 0))
            for name, value in _SERVER_PARAMETERS.items():
                reply += _message(b"S", f"{name}\0{value}\0".encode())
            reply += _message(b"K", struct.pack("!ii", 1, 2)) + _message(b"Z", b"I")
            connection.sendall(reply)
            while connection.recv(4096) not in (b"", _message(b"X", b"")):
                pass

    with _serving(talk) as address:
        yield address


@pytest.fixture(scope="module")
def webdriver_server() -> Iterator[tuple[str, int]]:
    """A W3C WebDriver endpoint that opens and deletes sessions, as a driver process would
    before it touches a browser."""

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path.rstrip("/") == "/session":
                self._answer({"sessionId": "session-1", "capabilities": {"browserName": "chrome"}})
            else:
                self._answer(None)

        def do_DELETE(self) -> None:
            self._answer(None)

        def do_GET(self) -> None:
            self._answer(None)

        def _answer(self, value: object) -> None:
            body = json.dumps({"value": value}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
