"""Jedi from several threads at once (the server's jedi thread, and code actions computed on
its event loop) must answer every question, never hang."""

from __future__ import annotations

import threading
from pathlib import Path

from prefect_pitfalls.serialization import jedi_types

MODULE = """\
import sqlite3
import threading
from collections import OrderedDict

conn_{n} = sqlite3.connect(":memory:")
lock_{n} = threading.Lock()
cache_{n} = OrderedDict()
"""


def test_threads_asking_jedi_at_once_all_get_answers(tmp_path: Path) -> None:
    answers: dict[int, list[tuple[str, ...]]] = {}

    def ask(n: int) -> None:
        path = tmp_path / f"module_{n}.py"
        text = MODULE.format(n=n)
        found = []
        for line, column in ((5, 0), (6, 0), (7, 0)):
            types = jedi_types.JediTypes(text, path, budget=30)
            found.append(types.infer(line, column))
        answers[n] = found

    threads = [threading.Thread(target=ask, args=(n,), daemon=True) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs in jedi"
    expected = [("sqlite3.Connection",), ("_thread.LockType",), ("collections.OrderedDict", "collections.OrderedDict")]
    assert all(answers[n] == expected for n in range(6)), answers


LIBRARY_CALL = """\
import docker
from prefect import task


@task(persist_result=True)
def run_extract(image: str):
    return docker.from_env().containers.run(image=image, detach=False)
"""


def test_an_answer_about_an_installed_package_is_asked_once_per_run(tmp_path: Path, monkeypatch) -> None:
    """The same chain of calls into an installed package, in two modules: jedi reads the
    package for the first and the second reuses the answer, with the same result."""
    import prefect_pitfalls.serialization.inference as inference
    from prefect_pitfalls.config import Settings
    from prefect_pitfalls.linter import lint

    (tmp_path / ".git").mkdir()
    asked: list[tuple] = []
    compute = jedi_types.JediTypes._compute
    monkeypatch.setattr(jedi_types.JediTypes, "_compute", lambda self, key: asked.append(key) or compute(self, key))
    inference._library_answers.clear()
    results, questions = [], []
    for name in ("first.py", "second.py"):
        path = tmp_path / name
        path.write_text(LIBRARY_CALL)
        results.append(lint(LIBRARY_CALL, Settings(), path).findings)
        questions.append(len(asked))
    assert questions[0] > 0 and questions[1] == questions[0]
    inference._library_answers.clear()
    assert lint(LIBRARY_CALL, Settings(), tmp_path / "second.py").findings == results[1] == results[0]


def test_check_counts_questions_not_seconds(tmp_path: Path, monkeypatch) -> None:
    """Blocking (as `check` asks), the budget is a number of questions: cut short by it, a
    result is the same on any machine, and so may be kept."""
    monkeypatch.setattr(jedi_types, "BLOCKING_QUESTIONS", 2)
    types = jedi_types.JediTypes(MODULE.format(n=0), tmp_path / "module.py", budget=0.0)
    answers = [types.infer(line, 0) for line in (5, 6, 7)]
    assert answers[:2] == [("sqlite3.Connection",), ("_thread.LockType",)] and answers[2] == ()
    assert types.truncated and types.repeatable and types.refused == 1
