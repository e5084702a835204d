"""The probe against Prefect 1.4.1, in a virtual environment of its own (it cannot live
beside Prefect 3): Task instances with state, and flows shipped without the user's code."""

from __future__ import annotations



SEED = '''\
"""The seed, shipped with pickle-based storage: a client on the task and a helper on a global."""
import sqlite3
import threading

from prefect import Flow, Task, task

conn = sqlite3.connect(":memory:")


def row_count():
    return conn.execute("select 1").fetchone()[0]


class BadCounterTask(Task):
    def __init__(self, **kwargs):
        self.counter = 0
        self.lock = threading.Lock()
        super().__init__(**kwargs)

    def run(self):
        with self.lock:
            self.counter += 1
        return self.counter


class GoodTask(Task):
    def run(self, x):
        return x + 1


@task
def count():
    return row_count()


counter = BadCounterTask()
good = GoodTask()

with Flow("counter") as flow:
    counter()
    good(1)

with Flow("rows") as rows_flow:
    count()

if __name__ == "__main__":
    flow.run()
'''


def test_prefect1_task_state_and_by_value_flows(tmp_path, check, prefect1_python) -> None:
    (tmp_path / "seed.py").write_text(SEED)
    status, findings = check.json(str(tmp_path / "seed.py"), "--probe", "--python", prefect1_python)
    probe = [(f["line"], f["code"], f["message"]) for f in findings if f["code"] in ("PP301", "PP302", "PP304", "PP305")]
    lines = {(line, code) for line, code, _ in probe}
    # The task instance with a lock, at its class name; both flows that carry it or the helper.
    assert lines == {(14, "PP302"), (39, "PP301"), (43, "PP301")}, probe
    messages = {(line, code): message for line, code, message in probe}
    assert "attribute 'lock' → _thread.lock" in messages[(14, "PP302")]
    assert "global 'conn' → sqlite3.Connection" in messages[(43, "PP301")]
    assert "by value" in messages[(43, "PP301")]
    # The static rule sees the seed's counter too.
    assert any(f["code"] == "PP101" and f["line"] == 22 for f in findings)
    assert status == 1
