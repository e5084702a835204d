"""What PP203 reports beyond module-level names, against real Prefect: a resource imported from a
project module, held in a class attribute, or in a decorator's closure.

A task's function is pickled by value with the globals it uses, so an imported resource goes with
it and a decorator's wrapper takes its closure along. A class of the module goes by reference when
the module is imported (a worker loading the entrypoint) and by value, with all its attributes,
when the module runs as a script, an infrastructure decorator's bundle ships it, or Prefect 2 loads
it from its entrypoint: then any use of the class ships the resource one of its attributes holds."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("prefect")

import test_prefect_serialization_facts as facts

local_server = facts.prefect3_api_url

CONNECTIONS = """
import sqlite3

WAREHOUSE = sqlite3.connect(":memory:")
"""

PIPELINE = """
import functools
import threading

from prefect import flow, task

from connections import WAREHOUSE


class Audit:
    lock = threading.Lock()
    settings = {"table": "orders"}


def traced(fn):
    tracer = threading.Lock()

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with tracer:
            return fn(*args, **kwargs)

    return wrapper


@task
def imported_resource():
    return WAREHOUSE.execute("select 1").fetchone()[0]


@task
def class_attribute():
    with Audit.lock:
        return 1


@task
def plain_class_attribute():
    return len(Audit.settings)


@task
@traced
def decorated():
    return 1


@flow
def nightly():
    return class_attribute()
"""

ROUND_TRIPS = """
import json, sys, cloudpickle

def round_trip(obj):
    try:
        cloudpickle.loads(cloudpickle.dumps(obj))
        return "ok"
    except Exception as exc:
        return type(exc).__name__

def observe(namespace):
    names = ("imported_resource", "class_attribute", "plain_class_attribute", "decorated")
    return {name: round_trip(namespace[name]) for name in names}

sys.path.insert(0, ".")
mode = sys.argv[1]
if mode == "entrypoint":
    from prefect.flows import load_flow_from_entrypoint
    loaded = load_flow_from_entrypoint("pipeline.py:nightly")
    print(json.dumps(observe(loaded.fn.__globals__)))
elif mode == "script":
    import runpy
    print(json.dumps(observe(runpy.run_path("pipeline.py", run_name="__main__"))))
elif mode == "bundle":
    import pipeline
    from prefect.bundles import _pickle_local_modules_by_value
    with _pickle_local_modules_by_value(pipeline.nightly):
        print(json.dumps(observe(vars(pipeline))))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "connections.py").write_text(textwrap.dedent(CONNECTIONS))
    (tmp_path / "pipeline.py").write_text(textwrap.dedent(PIPELINE))
    (tmp_path / "round_trips.py").write_text(textwrap.dedent(ROUND_TRIPS))
    return tmp_path


def round_trips(python: str, folder: Path, mode: str) -> dict[str, str]:
    environment = facts.prefect_environment(folder / "home")
    done = subprocess.run(
        [python, "round_trips.py", mode], cwd=folder, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_prefect3_imported_resources_and_closures_always_fail_classes_only_by_value(project: Path) -> None:
    entrypoint = round_trips(sys.executable, project, "entrypoint")
    assert entrypoint == {
        "imported_resource": "TypeError", "class_attribute": "ok", "plain_class_attribute": "ok", "decorated": "TypeError",
    }
    for by_value in ("script", "bundle"):
        # The class goes whole: reading its plain attribute ships the lock too.
        assert round_trips(sys.executable, project, by_value) == {
            "imported_resource": "TypeError", "class_attribute": "TypeError", "plain_class_attribute": "TypeError",
            "decorated": "TypeError",
        }, by_value


def test_prefect2_loads_an_entrypoint_under_a_name_it_forgets_so_its_classes_go_by_value(prefect2_python, project: Path) -> None:
    """Prefect 2's loader names the module `__prefect_loader__` and drops it from `sys.modules`."""
    every_use_fails = {
        "imported_resource": "TypeError", "class_attribute": "TypeError", "plain_class_attribute": "TypeError",
        "decorated": "TypeError",
    }
    assert round_trips(prefect2_python, project, "entrypoint") == every_use_fails
    assert round_trips(prefect2_python, project, "script") == every_use_fails


RUN_ON_PROCESS_POOL = """
import sys
from prefect import flow
from prefect.task_runners import ProcessPoolTaskRunner

sys.path.insert(0, ".")


def run(tasks):
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def submitting():
        return tasks.class_attribute.submit().result()

    try:
        submitting()
        return "ok"
    except Exception as exc:
        return type(exc).__name__
"""


def test_prefect3_process_pool_fails_on_a_class_attribute_only_when_the_module_runs_as_a_script(local_server, project: Path) -> None:
    """The mechanism itself: `ProcessPoolTaskRunner` submitting the task in both modes."""
    (project / "pool.py").write_text(textwrap.dedent(RUN_ON_PROCESS_POOL))
    script = "import json, runpy, types, pool; ns = runpy.run_path('pipeline.py', run_name='__main__'); print(json.dumps(pool.run(types.SimpleNamespace(**ns))))"
    imported = "import json, pool, pipeline; print(json.dumps(pool.run(pipeline)))"
    environment = facts.prefect_environment(project / "home", PREFECT_API_URL=local_server)
    seen = {}
    for mode, code in (("script", script), ("imported", imported)):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=project, env=environment, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stderr[-4000:]
        seen[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"script": "TypeError", "imported": "ok"}


PREFECT1_FLOW = """
import json, threading
from prefect import Flow, task
from prefect.utilities.storage import flow_to_bytes_pickle


class Registry:
    lock = threading.Lock()
    prefix = "etl"


class Naming:
    prefix = "etl"


@task
def register():
    with Registry.lock:
        return Registry.prefix


@task
def name():
    return Naming.prefix


def stored(*tasks):
    with Flow("registry") as flow:
        for each in tasks:
            each()
    try:
        flow_to_bytes_pickle(flow)
        return "ok"
    except Exception as exc:
        return type(exc).__name__


print(json.dumps({"register": stored(register), "name": stored(name)}))
"""


def test_prefect1_pickle_storage_ships_a_script_flow_with_its_classes_by_value(prefect1_python, tmp_path: Path) -> None:
    (tmp_path / "registry.py").write_text(textwrap.dedent(PREFECT1_FLOW))
    environment = facts.prefect_environment(tmp_path / "home")
    done = subprocess.run(
        [prefect1_python, "registry.py"], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"register": "TypeError", "name": "ok"}
