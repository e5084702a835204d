"""The fix that leaves an unhashable input out of a Prefect 3 task's cache key, through
`check --fix --unsafe-fixes`: it composes with the task's own policy and never drops one."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

CASES = {
    "bare decorator: keyword and import added": (
        """
        import sqlite3

        from prefect import flow, task


        @task
        def count_rows(conn, table):
            return conn.execute(f"select count(*) from {table}").fetchone()[0]


        @flow
        def audit(path):
            return count_rows(sqlite3.connect(path), "orders")
        """,
        """
        import sqlite3

        from prefect import flow, task
        from prefect.cache_policies import DEFAULT


        @task(cache_policy=DEFAULT - "conn")
        def count_rows(conn, table):
            return conn.execute(f"select count(*) from {table}").fetchone()[0]


        @flow
        def audit(path):
            return count_rows(sqlite3.connect(path), "orders")
        """,
    ),
    "options kept, import joined": (
        """
        import sqlite3

        from prefect import flow, task
        from prefect.cache_policies import TASK_SOURCE


        @task(retries=2, tags=["db"])
        def count_rows(conn, table):
            return 1


        @flow
        def audit(path):
            return count_rows(table="orders", conn=sqlite3.connect(path))
        """,
        """
        import sqlite3

        from prefect import flow, task
        from prefect.cache_policies import TASK_SOURCE, DEFAULT


        @task(retries=2, tags=["db"], cache_policy=DEFAULT - "conn")
        def count_rows(conn, table):
            return 1


        @flow
        def audit(path):
            return count_rows(table="orders", conn=sqlite3.connect(path))
        """,
    ),
    "the task's own policy extended": (
        """
        import threading

        from prefect import flow, task
        from prefect.cache_policies import INPUTS, TASK_SOURCE


        @task(cache_policy=INPUTS + TASK_SOURCE)
        def write(lock, line):
            return line


        @flow
        def audit():
            write(threading.Lock(), "x")
        """,
        """
        import threading

        from prefect import flow, task
        from prefect.cache_policies import INPUTS, TASK_SOURCE


        @task(cache_policy=INPUTS + TASK_SOURCE - "lock")
        def write(lock, line):
            return line


        @flow
        def audit():
            write(threading.Lock(), "x")
        """,
    ),
    "two inputs: the second pass composes with the first": (
        """
        import sqlite3
        import threading

        from prefect import flow, task
        from prefect.cache_policies import DEFAULT as CACHE_DEFAULT


        @task()
        def copy_rows(conn, lock=threading.Lock()):
            return 1


        @flow
        def audit(path):
            return copy_rows(sqlite3.connect(path))
        """,
        """
        import sqlite3
        import threading

        from prefect import flow, task
        from prefect.cache_policies import DEFAULT as CACHE_DEFAULT


        @task(cache_policy=CACHE_DEFAULT - "lock" - "conn")
        def copy_rows(conn, lock=threading.Lock()):
            return 1


        @flow
        def audit(path):
            return copy_rows(sqlite3.connect(path))
        """,
    ),
    "task(fn) form": (
        """
        import sqlite3

        from prefect import flow, task


        def count_rows(conn, table):
            return 1


        count = task(count_rows, retries=1)


        @flow
        def audit(path):
            return count(sqlite3.connect(path), "orders")
        """,
        """
        import sqlite3

        from prefect import flow, task
        from prefect.cache_policies import DEFAULT


        def count_rows(conn, table):
            return 1


        count = task(count_rows, retries=1, cache_policy=DEFAULT - "conn")


        @flow
        def audit(path):
            return count(sqlite3.connect(path), "orders")
        """,
    ),
}


def _text(value: str) -> str:
    return textwrap.dedent(value).lstrip("\n")


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fix_excludes_the_input(name: str, tmp_path: Path, check) -> None:
    before, after = (_text(v) for v in CASES[name])
    path = tmp_path / "module.py"
    path.write_text(before)
    _, findings = check.json(str(path))
    assert {f["code"] for f in findings} <= {"PP202", "PP204"} and findings
    assert all(f["fix"] and f["fix"]["applicability"] == "unsafe" for f in findings), findings
    status, out, err = check(str(path), "--fix")
    assert path.read_text() == before and status == 1, "unsafe: not applied without the flag"
    status, out, err = check(str(path), "--fix", "--unsafe-fixes")
    assert path.read_text() == after, out + err
    assert status == 0, out + err


def test_no_fix_where_default_means_something_else(tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    path.write_text(_text(
        """
        import sqlite3

        from prefect import flow, task

        DEFAULT = "orders"


        @task
        def count_rows(conn, table=DEFAULT):
            return 1


        @flow
        def audit(path):
            return count_rows(sqlite3.connect(path))
        """
    ))
    _, findings = check.json(str(path))
    assert [(f["code"], f["fix"]) for f in findings] == [("PP202", None)]


def test_no_fix_for_a_runner_that_pickles(tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    path.write_text(_text(
        """
        import sqlite3

        from prefect import flow, task
        from prefect.task_runners import ProcessPoolTaskRunner


        @task
        def count_rows(conn, table):
            return 1


        @flow(task_runner=ProcessPoolTaskRunner())
        def audit(path):
            return count_rows.submit(sqlite3.connect(path), "orders").result()
        """
    ))
    _, findings = check.json(str(path))
    assert [(f["code"], f["fix"]) for f in findings] == [("PP202", None)]
    assert findings[0]["message"].startswith("`ProcessPoolTaskRunner` cannot pickle")
