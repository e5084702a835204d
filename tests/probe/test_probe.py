"""The serialization probe against a real Prefect 3 install, through `check --probe`:
findings with the offending path, import failures, and faults that must not take
the command down."""

from __future__ import annotations

import textwrap
import venv
from pathlib import Path

import pytest

pytest.importorskip("prefect")

PYPROJECT = '[tool.prefect-pitfalls.probe]\ntimeout = {timeout}\n'


def project(tmp_path: Path, files: dict[str, str], timeout: float = 20) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(timeout=timeout))
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def probe(check, path: Path, *extra: str) -> tuple[int, list[dict]]:
    return check.json(str(path), "--probe", *extra)


def only(findings: list[dict], *codes: str) -> list[tuple[int, str, str]]:
    return [(f["line"], f["code"], f["message"]) for f in findings if f["code"] in codes]


# Tasks and flows that really get pickled where they run: a process pool pickles what is
# submitted to it and the flow run's context (the flow, with its globals).
CAPTURED = """\
import sqlite3
import threading

from prefect import flow, task, task_runners

conn = sqlite3.connect(":memory:")


@task
def count_orders():
    return conn.execute("select 1").fetchone()[0]


def make_flow():
    lock = threading.Lock()

    @flow(name="locked", task_runner=task_runners.ProcessPoolTaskRunner())
    def locked():
        with lock:
            return clean.submit(1).result()

    return locked


locked_flow = make_flow()


@task
def append(line, out=open(__file__ + ".log", "a")):
    out.write(line)


@task
def clean(x: int) -> int:
    return x + 1


@flow
def etl():
    return clean(1)


@flow(task_runner=task_runners.ProcessPoolTaskRunner())
def nightly():
    count_orders.submit().wait()
    append.submit("done").wait()
"""


def test_captured_objects_are_found_with_their_path(tmp_path, check) -> None:
    root = project(tmp_path, {"flows/captured.py": CAPTURED})
    status, findings = probe(check, root / "flows" / "captured.py")
    assert status == 1
    probe_findings = only(findings, "PP301", "PP302", "PP304", "PP305")
    assert [(line, code) for line, code, _ in probe_findings] == [(10, "PP302"), (18, "PP301"), (29, "PP302"), (44, "PP301")]
    messages = {line: message for line, _, message in probe_findings}
    assert messages[10].startswith("`ProcessPoolTaskRunner` cannot pickle task `count_orders`.")
    assert "count_orders → global 'conn' → sqlite3.Connection: cannot pickle 'sqlite3.Connection' object" in messages[10]
    assert "nightly → global 'count_orders'" in messages[44]
    assert "locked_flow → closure 'lock' → _thread.lock" in messages[18]
    assert "append → default 'out' → _io.TextIOWrapper" in messages[29]
    anchors = {f["line"]: (f["column"], f["end_column"]) for f in findings if f["code"] in ("PP301", "PP302")}
    assert anchors[10] == (5, 17) and anchors[18] == (9, 15)  # the names in the def lines


def test_clean_module_gives_no_probe_findings(tmp_path, check) -> None:
    root = project(tmp_path, {"clean.py": "from prefect import flow, task\n\n\n@task\ndef double(x):\n    return 2 * x\n\n\n@flow\ndef etl():\n    return double(2)\n"})
    status, findings = probe(check, root / "clean.py")
    assert (status, findings) == (0, [])


def test_missing_import_is_reported_at_the_module_name(tmp_path, check) -> None:
    root = project(tmp_path, {"etl.py": "import json\nfrom not_installed_pkg.sub import thing\nfrom prefect import flow\n\n\n@flow\ndef etl():\n    return thing\n"})
    status, findings = probe(check, root / "etl.py")
    assert [(f["line"], f["column"], f["end_column"], f["code"]) for f in findings] == [(2, 6, 27, "PP304")]
    assert "No module named 'not_installed_pkg'" in findings[0]["message"]


def test_exception_at_import_is_reported_at_its_line(tmp_path, check) -> None:
    root = project(tmp_path, {"etl.py": "from prefect import flow\n\nSETTINGS = {}\nTIMEOUT = SETTINGS['timeout']\n\n\n@flow\ndef etl():\n    return TIMEOUT\n"})
    _, findings = probe(check, root / "etl.py")
    assert [(f["line"], f["code"]) for f in findings] == [(4, "PP304")]
    assert "KeyError" in findings[0]["message"]


def test_import_time_flow_run_skips_the_probe(tmp_path, check) -> None:
    root = project(tmp_path, {"etl.py": "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\netl()\n"})
    _, findings = probe(check, root / "etl.py")
    assert [(f["line"], f["code"], f["severity"]) for f in findings] == [(1, "PP305", "information"), (9, "PP303", "warning")]
    assert findings[0]["message"].startswith("Probe skipped: the module runs a flow when imported (PP303)")


def test_no_probe_means_no_probe_findings(tmp_path, check) -> None:
    root = project(tmp_path, {"flows/captured.py": CAPTURED})
    _, findings = check.json(str(root / "flows" / "captured.py"), "--no-probe")
    assert not only(findings, "PP301", "PP302", "PP304", "PP305")


FAULTS = {
    "hang": ("import time\ntime.sleep(60)\n", "timed out after 3 s"),
    "segfault": ("import ctypes\nctypes.string_at(0)\n", "crashed with SIGSEGV"),
    "exit": ("import sys\nsys.exit(3)\n", "sys.exit()"),
    "memory": ("hog = bytearray(64 * 1024 ** 3)\n", "memory"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faults_give_pp305_and_the_command_survives(tmp_path, check, fault) -> None:
    code, expected = FAULTS[fault]
    body = code + "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n"
    root = project(tmp_path, {"etl.py": body, "other.py": CAPTURED}, timeout=3)
    status, findings = probe(check, root)
    notes = [f for f in findings if f["path"].endswith("etl.py")]
    assert [(f["line"], f["code"]) for f in notes] == [(1, "PP305")], notes
    assert expected in notes[0]["message"]
    # The other module is still probed, by a fresh worker when the first one had to go.
    assert [f["code"] for f in findings if f["path"].endswith("other.py") and f["code"].startswith("PP30")] == ["PP302", "PP301", "PP302", "PP301"]
    assert status == 1


def test_output_flood_is_truncated_and_results_still_arrive(tmp_path, check) -> None:
    flood = "import sys\nfor _ in range(200000):\n    print('x' * 100)\n    print('y' * 100, file=sys.stderr)\n"
    root = project(tmp_path, {"etl.py": flood + CAPTURED})
    _, findings = probe(check, root / "etl.py")
    assert [f["code"] for f in findings if f["code"].startswith("PP30")] == ["PP302", "PP301", "PP302", "PP301"]


def test_probe_in_another_interpreter_without_prefect(tmp_path, check) -> None:
    """A bare venv: no prefect, no cloudpickle, no prefect-pitfalls; the worker still answers."""
    env = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False).create(env)
    root = project(tmp_path / "proj", {"etl.py": CAPTURED})
    _, findings = probe(check, root / "etl.py", "--python", str(env / "bin" / "python"))
    assert [(f["line"], f["code"]) for f in findings if f["code"].startswith("PP30")] == [(4, "PP304")]
    assert "No module named 'prefect'" in findings[0]["message"]


def test_missing_interpreter_is_a_note_not_a_crash(tmp_path, check) -> None:
    root = project(tmp_path, {"etl.py": CAPTURED})
    status, findings = probe(check, root / "etl.py", "--python", str(tmp_path / "nope" / "python"))
    notes = only(findings, "PP305")
    assert len(notes) == 1 and "does not exist" in notes[0][2]
    assert status == 1  # the AST findings of the file are still there


def test_interpreter_choice_order(tmp_path, monkeypatch) -> None:
    import sys

    from prefect_pitfalls.project import choose_interpreter

    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").write_text("")
    other = tmp_path / "other-env"
    (other / "bin").mkdir(parents=True)
    (other / "bin" / "python").write_text("")

    monkeypatch.setenv("VIRTUAL_ENV", str(other))
    assert choose_interpreter("/usr/bin/python3", project).chosen_by == "setting"
    assert choose_interpreter(None, project).path == str(other / "bin" / "python")
    # Started by a tool runner such as pre-commit, our own environment is active: the
    # project's is still the one to probe with.
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    assert choose_interpreter(None, project).path == str(project / ".venv" / "bin" / "python")
    monkeypatch.delenv("VIRTUAL_ENV")
    assert choose_interpreter(None, project / "flows").path == str(project / ".venv" / "bin" / "python")
    assert choose_interpreter(None, tmp_path / "elsewhere").path == sys.executable
