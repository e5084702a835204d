"""The cache-key finding against real Prefect 3.9.1: the module it reports logs the error it
predicts when the flow runs, and the module its fix writes runs without it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

prefect = pytest.importorskip("prefect")

MODULE = textwrap.dedent(
    """
    import sqlite3

    from prefect import flow, task


    @task
    def count_rows(conn, table):
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


    @flow
    def audit():
        conn = sqlite3.connect(":memory:")
        conn.execute("create table orders (id)")
        return count_rows(conn, "orders") + count_rows(conn, "orders")


    if __name__ == "__main__":
        print("result", audit())
    """
).lstrip()
CACHE_KEY_ERROR = "Error encountered when computing cache key"


def run_flow(path: Path, home: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_LOGGING_LEVEL="INFO",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=240, env=env, cwd=path.parent)
    assert "result 0" in done.stdout, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout + done.stderr


def test_the_logged_error_is_predicted_and_gone_after_the_fix(tmp_path: Path, check) -> None:
    assert prefect.__version__ == "3.9.1"
    path = tmp_path / "audit_flow.py"
    path.write_text(MODULE)
    _, findings = check.json(str(path))
    assert [(f["code"], f["line"]) for f in findings] == [("PP202", 15), ("PP202", 15)]
    assert findings[0]["message"].startswith("Cache key of `count_rows` cannot hash `conn`: each call logs an error.")

    logs = run_flow(path, tmp_path / "home")
    assert logs.count(CACHE_KEY_ERROR) == 2, logs[-4000:]  # once per call, as the finding says

    check(str(path), "--fix", "--unsafe-fixes")
    assert '@task(cache_policy=DEFAULT - "conn")' in path.read_text()
    status, _, _ = check(str(path))
    assert status == 0
    logs = run_flow(path, tmp_path / "home")
    assert CACHE_KEY_ERROR not in logs, logs[-4000:]
