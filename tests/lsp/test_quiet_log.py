"""The server's log and stderr carry nothing a routine exchange causes: a client cancelling a
request that was already answered (VS Code does so all the time) is not worth a warning."""

from __future__ import annotations

import json
import re
import subprocess
import sys


def frame(message: dict) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def messages(stdout: bytes) -> list[dict]:
    found = []
    while stdout:
        header, _, rest = stdout.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", header).group(1))
        found.append(json.loads(rest[:length]))
        stdout = rest[length:]
    return found


def test_a_cancel_of_an_answered_request_is_not_logged(tmp_path) -> None:
    exchange = [
        {"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}},
        {"method": "initialized", "params": {}},
        {"method": "$/cancelRequest", "params": {"id": 1}},  # answered already
        {"method": "$/cancelRequest", "params": {"id": 99}},  # never sent
        {"id": 2, "method": "shutdown"},
        {"method": "exit"},
    ]
    done = subprocess.run(
        [sys.executable, "-m", "prefect_pitfalls", "serve"], input=b"".join(map(frame, exchange)),
        capture_output=True, timeout=60, cwd=tmp_path,
    )
    answered = [m["id"] for m in messages(done.stdout) if "id" in m and "method" not in m]
    assert answered == [1, 2] and done.returncode == 0, done.stderr.decode()
    logged = [m["params"]["message"] for m in messages(done.stdout) if m.get("method") == "window/logMessage"]
    assert not [line for line in [*logged, *done.stderr.decode().splitlines()] if "Cancel" in line]
