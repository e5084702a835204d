"""The fix that moves task state to an external store: exact snapshots, and on Prefect 3 a
counter that really survives two flow runs."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from environments import fake_distribution, marker_venv, ran

CASES = Path(__file__).parent / "store_fixes"


@pytest.mark.parametrize(("name", "rule"), [("counter_p3", "PP102"), ("counter_p1", "PP102"), ("seed_p1", "PP101")])
def test_snapshot(name: str, rule: str, tmp_path: Path, check) -> None:
    path = tmp_path / f"{name}.py"
    shutil.copy(CASES / f"{name}.py", path)
    status, out, err = check(str(path), "--fix", "--unsafe-fixes", "--select", rule)
    assert path.read_text() == (CASES / f"{name}.fixed.py").read_text(), out + err
    assert status == 0
    ast.parse(path.read_text())
    check(str(path), "--fix", "--unsafe-fixes", "--select", rule)
    assert path.read_text() == (CASES / f"{name}.fixed.py").read_text()


def test_no_store_fix_for_state_shared_with_a_helper(tmp_path: Path, check) -> None:
    path = tmp_path / "helper.py"
    path.write_text(textwrap.dedent(
        """\
        from prefect import Task


        class Counter(Task):
            def __init__(self):
                self.counter = 0
                super().__init__()

            def run(self):
                self.counter += 1
                self.report()

            def report(self):
                print(self.counter)
        """
    ))
    _, findings = check.json(str(path), "--select", "PP101")
    assert len(findings) == 1 and findings[0]["fix"] is None


def test_fix_title_names_the_store_and_the_key(tmp_path: Path, check) -> None:
    shutil.copy(CASES / "counter_p1.py", tmp_path / "counter_p1.py")
    shutil.copy(CASES / "counter_p3.py", tmp_path / "counter_p3.py")
    _, findings = check.json(str(tmp_path), "--select", "PP102")
    titles = {f["path"].rsplit("/", 1)[-1]: f["fix"]["title"] for f in findings}
    assert titles["counter_p1.py"] == 'Keep `RUNS` in the Prefect Cloud KV store (key "counter_p1-runs")'
    assert titles["counter_p3.py"].startswith("Keep `")
    assert all(f["fix"]["applicability"] == "unsafe" for f in findings)


def test_no_fix_rather_than_a_wrong_one(tmp_path: Path, check) -> None:
    shutil.copy(CASES / "no_store_fix.py", tmp_path / "no_store_fix.py")
    _, findings = check.json(str(tmp_path), "--select", "PP102")
    assert len(findings) == 5 and all(f["fix"] is None for f in findings), findings


@pytest.mark.parametrize(("installed", "fixable"), [("2.20.16", True), ("2.17.0", True), ("2.16.9", False), (None, False)])
def test_prefect_2_has_a_store_from_2_17_to_2_20(tmp_path: Path, check, installed, fixable) -> None:
    """The Prefect release comes from the metadata in the project's `.venv`, never from running it."""
    marker = tmp_path / "ran"
    site = marker_venv(tmp_path / ".venv", marker)
    if installed:
        fake_distribution(site, "prefect", {"prefect/__init__.py": ""}, version=installed)
    path = tmp_path / "counter_p3.py"
    shutil.copy(CASES / "counter_p3.py", path)
    (tmp_path / "pyproject.toml").write_text('[tool.prefect-pitfalls]\nprefect-version = "2"\n')
    _, findings = check.json(str(path), "--select", "PP102")
    assert findings and all((f["fix"] is not None) == fixable for f in findings)
    if fixable:
        check(str(path), "--fix", "--unsafe-fixes", "--select", "PP102")
        assert path.read_text() == (CASES / "counter_p2.fixed.py").read_text()
    assert ran(marker) == []


RUN_TWICE = """
import asyncio, json, sys
sys.path.insert(0, {folder!r})
from prefect.testing.utilities import prefect_test_harness
import counter_p3

with prefect_test_harness(server_startup_timeout=120):
    print(json.dumps([counter_p3.counting(), counter_p3.counting()]))
"""


def test_the_fixed_counter_survives_two_real_flow_runs(tmp_path: Path, check) -> None:
    pytest.importorskip("prefect")
    path = tmp_path / "counter_p3.py"
    shutil.copy(CASES / "counter_p3.py", path)
    check(str(path), "--fix", "--unsafe-fixes", "--select", "PP102")
    environment = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_LOGGING_LEVEL": "ERROR"}
    done = subprocess.run(
        [sys.executable, "-c", RUN_TWICE.format(folder=str(tmp_path))],
        capture_output=True, text=True, timeout=300, env=environment, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, 2]


RUN_PREFECT1_TWICE = """
import inspect, json, sys
import prefect.backend as backend

assert list(inspect.signature(backend.get_key_value).parameters) == ["key"]
assert list(inspect.signature(backend.set_key_value).parameters) == ["key", "value"]
store = {}

def get_key_value(key):
    if key not in store:
        raise ValueError(f"No value found for key: {key}")
    return json.loads(store[key])

def set_key_value(key, value):
    store[key] = json.dumps(value)  # values are JSON, as in Prefect Cloud
    return "id"

backend.get_key_value, backend.set_key_value = get_key_value, set_key_value
sys.path.insert(0, FOLDER)
import seed_p1

(task,) = seed_p1.flow.get_tasks()
runs = [seed_p1.flow.run().result[task].result for _ in range(2)]
print(json.dumps(runs))
"""


def test_the_fixed_prefect1_task_uses_the_kv_store_across_runs(tmp_path: Path, check, prefect1_python) -> None:
    path = tmp_path / "seed_p1.py"
    shutil.copy(CASES / "seed_p1.py", path)
    check(str(path), "--fix", "--unsafe-fixes", "--select", "PP101")
    done = subprocess.run(
        [prefect1_python, "-c", RUN_PREFECT1_TWICE.replace("FOLDER", repr(str(tmp_path)))],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [1, 2]


def test_the_installed_prefect_release_is_read_from_the_interpreters_metadata() -> None:
    prefect = pytest.importorskip("prefect")
    from prefect_pitfalls.dependencies.environment import installed_prefect

    assert installed_prefect(sys.executable) == prefect.__version__
    assert installed_prefect("/nonexistent/python") is None