"""What a process pool inside a flow body does with each kind of function, under real Prefect
loaders: the facts PP205 reports.

A worker runs a flow in a `python -m prefect.engine` process whose working directory holds the
project, and loads it from its entrypoint (`load_flow_from_entrypoint("flows.py:etl")`).
Prefect 2.20 executes the file as module `__prefect_loader__` and drops that module from
`sys.modules` once loaded, so nothing can pickle a function of the file by reference; Prefect
3.9.1 registers the module under the file's name and leaves its folder on `sys.path`, so the
parent pickles it and a spawned child imports it. Lambdas, nested functions and `@task` objects
(whose module attribute is the Task, not the function) fail to pickle under any loader, even
when the file runs as `python flows.py`. Every pool API pickles the function under every start
method; only `Process(target=...)` under fork hands it over without pickling. Python 3.14 makes
forkserver the Linux default; macOS and Windows use spawn. Prefect 1.4.1's script storage
executes the flow file's text without a module, so its functions cannot be pickled by name either.

Each run loads the flow one way under one start method, calls the flow's function once per
(function, pool API) pair, and prints where each hand-over failed, if it did.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import test_prefect_serialization_facts as facts
from scenarios.observations import MARKER

HELPERS = """
def double(x):
    return 2 * x
"""

FLOWS = """
import functools
import math

from prefect import flow, task

from helpers import double

TIMEOUT = 30


def square(x):
    return x * x


@task
def task_square(x):
    return x * x


def hand_over(function, via, pools):
    if via == "Process":
        process = pools.context.Process(target=function, args=(3,))
        process.start()
        process.join(TIMEOUT)
        return process.exitcode == 0
    if via == "Pool.map":  # `map` is `map_async(...).get()` without a timeout
        return pools.pool.map_async(function, [3]).get(TIMEOUT)
    if via == "Pool.apply_async":
        return pools.pool.apply_async(function, (3,)).get(TIMEOUT)
    if via == "Pool.starmap":
        return pools.pool.starmap_async(function, [(3,)]).get(TIMEOUT)
    if via == "ProcessPoolExecutor.submit":
        return pools.executor.submit(function, 3).result(TIMEOUT)
    return list(pools.executor.map(function, [3], timeout=TIMEOUT))


@flow
def etl(case, via, pools):
    def nested(x):
        return x * x

    functions = {
        "module function": square,
        "lambda": lambda x: x * x,
        "nested function": nested,
        "sibling module function": double,
        "stdlib function": math.sqrt,
        "task": task_square,
        "partial of module function": functools.partial(square),
        "partial of sibling module function": functools.partial(double),
    }
    return hand_over(functions[case], via, pools)


if __name__ == "__main__":
    import sys

    import drive

    drive.main(etl, sys.argv[1])
"""

# Runs the cases in the parent; a child's traceback goes to file descriptor 2, captured per case.
DRIVE = """
import json
import multiprocessing
import os
import re
import tempfile
from concurrent.futures import ProcessPoolExecutor

CASES = [
    "module function", "lambda", "nested function", "sibling module function", "stdlib function", "task",
    "partial of module function", "partial of sibling module function",
]
VIAS = ["Pool.map", "Pool.apply_async", "Pool.starmap", "Process", "ProcessPoolExecutor.submit", "ProcessPoolExecutor.map"]
ERROR_LINE = re.compile(r"^(\\w+(?:\\.\\w+)*(?:Error|Exception)): (.*)$", re.M)
MARKER = "%s"


class Pools:
    # One pool of each kind for every case: a spawned worker imports the flow module only once.
    def __init__(self, method):
        self.context = multiprocessing.get_context(method)
        self.pool = self.context.Pool(1)
        self.executor = ProcessPoolExecutor(1, mp_context=self.context)


def outcome(run):
    with tempfile.TemporaryFile("w+") as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            result, raised = run(), None
        except Exception as error:
            result, raised = None, f"{type(error).__name__}: {error}"
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        child_errors = ERROR_LINE.findall(captured.read())
    if child_errors:
        return {"fails_in": "child", "error": ": ".join(child_errors[-1])}
    if raised:
        return {"fails_in": "parent", "error": raised}
    if result not in (True, 9, [9], 6, [6], 3 ** 0.5, [3 ** 0.5]):
        return {"fails_in": "child", "error": f"wrong result {result!r}"}
    return {"fails_in": None, "error": None}


def main(flow, method):
    pools = Pools(method)
    seen = {}
    for case in CASES:
        for via in VIAS:
            if case == "task" and via == "Process" and method == "fork":
                continue  # nothing is pickled; the child would run a task outside any flow
            seen[f"{case} | {via}"] = outcome(lambda: flow.fn(case, via, pools))
    pools.pool.terminate()
    pools.executor.shutdown(cancel_futures=True)
    print(MARKER + json.dumps(seen), flush=True)
""" % MARKER

FROM_ENTRYPOINT = """
import sys

import drive
from prefect.flows import load_flow_from_entrypoint

drive.main(load_flow_from_entrypoint("flows.py:etl"), sys.argv[1])
"""

CASES = [
    "module function", "lambda", "nested function", "sibling module function", "stdlib function", "task",
    "partial of module function", "partial of sibling module function",
]
VIAS = ["Pool.map", "Pool.apply_async", "Pool.starmap", "Process", "ProcessPoolExecutor.submit", "ProcessPoolExecutor.map"]
LOCAL_OBJECT = "AttributeError: Can't pickle local object "
PREFECT2_LOADER_MODULE_GONE = "PicklingError: Can't pickle <function {}>: import of module '__prefect_loader__' failed"
TASK_IS_NOT_ITS_FUNCTION = "PicklingError: Can't pickle <function task_square>: it's not the same object as {}.task_square"


def observe(python: str, loader: str, method: str, tmp_path: Path) -> dict[str, Any]:
    project = tmp_path / "project"
    project.mkdir()
    for name, text in (("helpers.py", HELPERS), ("flows.py", FLOWS), ("drive.py", DRIVE)):
        (project / name).write_text(textwrap.dedent(text))
    # `-c` puts the working directory on `sys.path`, as `python -m prefect.engine` does.
    command = [python, "-c", FROM_ENTRYPOINT] if loader == "entrypoint" else [python, "flows.py"]
    return marked_report([*command, method], project, tmp_path / "home")


def marked_report(command: list[str], folder: Path, home: Path) -> dict:
    """The last report a script printed after MARKER, run in ``folder`` with a Prefect home of its own."""
    done = subprocess.run(
        command, cwd=folder, env=facts.prefect_environment(home), capture_output=True, text=True, timeout=300, check=False
    )
    reports = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    assert done.returncode == 0 and reports, f"exited {done.returncode}:\n{done.stderr[-4000:]}"
    return json.loads(reports[-1].removeprefix(MARKER))


def expected_error(prefect: str, loader: str, method: str, case: str, via: str) -> str | None:
    """The error the parent raises handing ``case`` over through ``via``; None when it works."""
    if via == "Process" and method == "fork":
        return None  # the forked child inherits the target: nothing is pickled
    if case in ("lambda", "nested function"):
        return LOCAL_OBJECT + "'etl.<locals>."
    from_prefect2_loader = prefect == "2" and loader == "entrypoint"
    if case == "task":
        if from_prefect2_loader:
            return PREFECT2_LOADER_MODULE_GONE.format("task_square")
        return TASK_IS_NOT_ITS_FUNCTION.format("flows" if loader == "entrypoint" else "__main__")
    if case in ("module function", "partial of module function") and from_prefect2_loader:
        return PREFECT2_LOADER_MODULE_GONE.format("square")
    return None


def without_address(error: str | None) -> str | None:
    """`<function square at 0x7f...>` as `<function square>`."""
    return None if error is None else re.sub(r" at 0x[0-9a-f]+>", ">", error)


RUNS = [
    ("entrypoint", "fork"),
    ("entrypoint", "spawn"),
    ("entrypoint", "forkserver"),
    ("script", "spawn"),  # `python flows.py`: a spawned child imports the file again as `__mp_main__`
]


def check_facts(prefect: str, loader: str, method: str, seen: dict[str, Any]) -> None:
    for case in CASES:
        for via in VIAS:
            key = f"{case} | {via}"
            if key not in seen:
                assert (case, via, method) == ("task", "Process", "fork")
                continue
            error = expected_error(prefect, loader, method, case, via)
            observed = seen[key]
            assert observed["fails_in"] == ("parent" if error else None), (key, observed)
            assert (error or "") in (without_address(observed["error"]) or ""), (key, observed)


@pytest.mark.parametrize(("loader", "method"), RUNS, ids=[f"{loader}-{method}" for loader, method in RUNS])
def test_prefect3_process_pool_hand_overs(loader: str, method: str, tmp_path: Path) -> None:
    pytest.importorskip("prefect")
    check_facts("3", loader, method, observe(sys.executable, loader, method, tmp_path))


@pytest.mark.parametrize(("loader", "method"), RUNS, ids=[f"{loader}-{method}" for loader, method in RUNS])
def test_prefect2_process_pool_hand_overs(prefect2_python: str, loader: str, method: str, tmp_path: Path) -> None:
    check_facts("2", loader, method, observe(prefect2_python, loader, method, tmp_path))


PREFECT1_FLOWS = """
from multiprocessing import get_context

from prefect import Flow, task


def square(x):
    return x * x


@task
def hand_over(kind, method):
    function = {"lambda": lambda x: x * x, "module function": square}[kind]
    with get_context(method).Pool(1) as pool:
        return pool.map_async(function, [3]).get(30)


with Flow("pools") as flow:
    hand_over("lambda", "fork")
"""

# Script storage executes the file's text in a dictionary, so its functions belong to no module.
FROM_PREFECT1_SCRIPT_STORAGE = """
import json

from prefect.utilities.storage import extract_flow_from_file

hand_over = next(t for t in extract_flow_from_file(file_path="flows.py").tasks if t.name == "hand_over")
seen = {}
for kind in ("lambda", "module function"):
    for method in ("fork", "spawn"):
        try:
            seen[f"{kind} | {method}"] = hand_over.run(kind, method)
        except Exception as error:
            seen[f"{kind} | {method}"] = f"{type(error).__name__}: {error}"
print("%s" + json.dumps(seen))
""" % MARKER


def test_prefect1_script_storage_process_pool_hand_overs(prefect1_python: str, tmp_path: Path) -> None:
    (tmp_path / "flows.py").write_text(PREFECT1_FLOWS)
    report = marked_report([prefect1_python, "-c", FROM_PREFECT1_SCRIPT_STORAGE], tmp_path, tmp_path / "home")
    seen = {key: without_address(value) for key, value in report.items()}
    for method in ("fork", "spawn"):
        assert seen[f"lambda | {method}"] == LOCAL_OBJECT + "'hand_over.<locals>.<lambda>'"
        assert seen[f"module function | {method}"] == (
            "PicklingError: Can't pickle <function square>: attribute lookup square on __main__ failed"
        )
