"""When real Prefect releases hash, persist or pickle a value: the facts the serialization rules follow.

Each scenario in `scenarios/` runs small flows under one release, as a script, and prints what it
saw as one JSON line; each test checks one of those observations.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scenarios.observations import MARKER

SCENARIOS = Path(__file__).parent / "scenarios"
CANNOT_PICKLE_LOCK = "TypeError: cannot pickle '_thread.lock' object"
PREFECT1_RUN_FAILED_TO_PICKLE = """Failed: Unexpected error: TypeError("cannot pickle '_thread.lock' object")"""


def prefect_environment(home: Path, **settings: str) -> dict[str, str]:
    """This process's environment without Prefect settings, with a Prefect home of its own."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("PREFECT_")}
    return inherited | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **settings}


def observe(python: str, scenario: str, environment: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(SCENARIOS / scenario)],
        check=False,
        env=environment,
        cwd=environment["PREFECT_HOME"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    assert done.returncode == 0 and reports, f"{scenario} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return json.loads(reports[-1].removeprefix(MARKER))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(api_url: str, server: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the Prefect server exited:\n{log.read_text()[-4000:]}"
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the Prefect server did not answer within {timeout} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def prefect3_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Prefect 3.9.1 server for every Prefect 3 scenario and for their process-pool workers,
    each of which would otherwise start a temporary server of its own (about 10 s each)."""
    home = tmp_path_factory.mktemp("prefect3-server")
    log = home / "server.log"
    port = free_port()
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as output:
        server = subprocess.Popen(
            [*command, "--no-services"],
            env=prefect_environment(home, PREFECT_SERVER_UI_ENABLED="false"),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        wait_until_healthy(api_url, server, log)
        yield api_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def observe_prefect3(scenario: str, api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("prefect3-home")
    return observe(sys.executable, scenario, prefect_environment(home, PREFECT_API_URL=api_url))


@pytest.fixture(scope="module")
def prefect3_cache_keys(prefect3_api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return observe_prefect3("prefect3_cache_keys.py", prefect3_api_url, tmp_path_factory)


@pytest.fixture(scope="module")
def prefect3_results(prefect3_api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return observe_prefect3("prefect3_results.py", prefect3_api_url, tmp_path_factory)


@pytest.fixture(scope="module")
def prefect3_task_runners(prefect3_api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return observe_prefect3("prefect3_task_runners.py", prefect3_api_url, tmp_path_factory)


@pytest.fixture(scope="module")
def prefect2_engine(prefect2_python: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # No API URL: Prefect 2 serves its API in-process from a SQLite file under PREFECT_HOME.
    return observe(prefect2_python, "prefect2_engine.py", prefect_environment(tmp_path_factory.mktemp("prefect2")))


@pytest.fixture(scope="module")
def prefect1_storage_executors(prefect1_python: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("prefect1")
    return observe(prefect1_python, "prefect1_storage_executors.py", prefect_environment(home))


# --- Prefect 3.9.1: the cache key ---


@pytest.mark.parametrize(
    "task_name",
    ["default_policy", "default_policy_on_a_default"],
    ids=["passed argument", "parameter default"],
)
def test_prefect3_default_policy_logs_a_cache_key_error_on_every_call(prefect3_cache_keys, task_name) -> None:
    seen = prefect3_cache_keys[task_name]
    assert seen["cache_key_errors"] == seen["calls"]
    assert seen["all_completed"]


@pytest.mark.parametrize("task_name", ["default_without_conn", "inputs_without_conn", "key_from_path"])
def test_prefect3_policies_leaving_the_input_out_hash_the_rest(prefect3_cache_keys, task_name) -> None:
    assert prefect3_cache_keys[task_name]["cache_key_errors"] == 0
    assert prefect3_cache_keys[task_name]["states"] == ["Completed", "Cached", "Cached"]


def test_prefect3_no_cache_hashes_nothing(prefect3_cache_keys) -> None:
    assert prefect3_cache_keys["no_cache"]["cache_key_errors"] == 0
    assert prefect3_cache_keys["no_cache"]["states"] == ["Completed", "Completed", "Completed"]


def test_prefect3_task_input_hash_silently_never_caches_unhashable_inputs(prefect3_cache_keys) -> None:
    assert prefect3_cache_keys["task_input_hash_key"]["cache_key_errors"] == 0
    assert prefect3_cache_keys["task_input_hash_key"]["states"] == ["Completed", "Completed", "Completed"]
    assert prefect3_cache_keys["task_input_hash_key with a string, twice"] == ["Completed", "Cached"]


# --- Prefect 3.9.1: result persistence ---


@pytest.mark.parametrize(
    "task_name",
    [
        "default_task",
        "no_cache",
        "persist_false",
        # A persisted result is written under its cache key; without a key there is nothing to write.
        "persist_true_no_cache",
        "persist_true_unhashable_input",
    ],
)
def test_prefect3_results_left_in_memory(prefect3_results, task_name) -> None:
    assert prefect3_results[task_name] == {"serialize_warnings": [], "state": "Completed"}


@pytest.mark.parametrize(
    "task_name",
    [
        "persist_true",
        "cache_key_fn",
        "explicit_cache_policy",
        "default_task_under_persisting_flow",
        "default_task under PREFECT_RESULTS_PERSIST_BY_DEFAULT",
    ],
)
def test_prefect3_persisted_results_are_pickled(prefect3_results, task_name) -> None:
    [warning] = prefect3_results[task_name]["serialize_warnings"]
    assert "Failed to serialize object of type 'lock' with serializer 'pickle'" in warning
    assert prefect3_results[task_name]["state"] == "Completed"


def test_prefect3_persists_a_returned_generator_without_a_warning(prefect3_results) -> None:
    """Its state holds the values it produced: nothing fails to serialize."""
    assert prefect3_results["persist_true_generator"] == {
        "serialize_warnings": [], "state": "Completed", "result_type": "list"
    }


def test_prefect3_json_result_serializer_persists_with_json(prefect3_results) -> None:
    [warning] = prefect3_results["json_serializer"]["serialize_warnings"]
    assert "Failed to serialize object of type 'lock' with serializer 'json'" in warning
    assert prefect3_results["json_serializer_datetime"]["serialize_warnings"] == []


# --- Prefect 3.9.1: task runners ---


def test_prefect3_task_runner_classes(prefect3_task_runners) -> None:
    assert prefect3_task_runners["runners"] == {
        "ThreadPoolTaskRunner": True,
        "ConcurrentTaskRunner": True,
        "ProcessPoolTaskRunner": True,
        "PrefectTaskRunner": True,
        "SequentialTaskRunner": False,
    }
    assert prefect3_task_runners["ConcurrentTaskRunner is ThreadPoolTaskRunner"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("submit(1)", "ok: True"),
        ("submit(lock)", CANNOT_PICKLE_LOCK),
        ("submit() returning a lock", CANNOT_PICKLE_LOCK),
        ("submit() of a task using a module-level lock", CANNOT_PICKLE_LOCK),
        # Every submission pickles the flow run context, which holds the flow and its parameters.
        ("submit(1) from a flow using a module-level lock", CANNOT_PICKLE_LOCK),
        ("submit(1) from a flow with a lock parameter", CANNOT_PICKLE_LOCK),
        # A direct call runs in the flow's own process ("runs elsewhere" is False).
        ("direct call with a lock", "ok: False"),
    ],
)
def test_prefect3_process_pool_pickles_submissions(prefect3_task_runners, case, expected) -> None:
    assert prefect3_task_runners["ProcessPoolTaskRunner"][case] == expected


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("submit(lock)", "ok: False"),
        ("submit() returning a lock", "ok: 'lock'"),
        ("submit() of a task using a module-level lock", "ok: False"),
        ("flow body", "flow body used the module-level lock"),
    ],
)
def test_prefect3_thread_pool_keeps_values_in_the_process(prefect3_task_runners, case, expected) -> None:
    assert prefect3_task_runners["ThreadPoolTaskRunner"][case] == expected


# --- Prefect 2.20 ---


def test_prefect2_plain_task_hashes_no_input(prefect2_engine) -> None:
    assert prefect2_engine["plain(lock)"] == {"state": "Completed", "message": None}
    assert prefect2_engine["plain.submit(lock)"] == {"state": "Completed", "message": None}
    assert prefect2_engine["messages about cache keys"] == []


def test_prefect2_task_input_hash_silently_never_caches_unhashable_inputs(prefect2_engine) -> None:
    assert prefect2_engine["cache_key_fn=task_input_hash, lock, twice"] == ["Completed", "Completed"]
    assert prefect2_engine["cache_key_fn=task_input_hash, string, twice"] == ["Completed", "Cached"]


@pytest.mark.parametrize(
    "case", ["returns a lock", "returns a lock, result_serializer='json'"], ids=["plain", "json serializer"]
)
def test_prefect2_results_left_in_memory(prefect2_engine, case) -> None:
    assert prefect2_engine[case] == {"state": "Completed", "message": None}


@pytest.mark.parametrize(
    "case",
    ["returns a lock, cache_key_fn", "returns a lock, persist_result=True", "returns a lock, flow retries=1"],
)
def test_prefect2_persisted_results_crash_the_task(prefect2_engine, case) -> None:
    assert prefect2_engine[case] == {
        "state": "Crashed",
        "message": f"Execution was interrupted by an unexpected exception: {CANNOT_PICKLE_LOCK}",
    }


def test_prefect2_turns_generators_into_lists(prefect2_engine) -> None:
    """Generator tasks and returned generators come back as lists, even when persisted."""
    assert prefect2_engine["a returned generator, persisted"] == "[0, 1, 2]"
    assert prefect2_engine["a generator task, persisted"] == "[0, 1, 2]"


def test_prefect2_direct_calls_run_on_a_sequential_runner(prefect2_engine) -> None:
    assert prefect2_engine["direct call"] == prefect2_engine["submit"] == "ok: 'done'"
    # The flow's runner is a ConcurrentTaskRunner; "immediately" is logged only for a sequential one.
    assert prefect2_engine["run log of the direct call"] == ["Executing 'called_directly-0' immediately..."]
    assert prefect2_engine["run log of the submit"] == ["Submitted task run 'submitted-0' for execution."]


def test_prefect2_task_runner_classes(prefect2_engine) -> None:
    assert prefect2_engine["runners"] == {
        "SequentialTaskRunner": True,
        "ConcurrentTaskRunner": True,
        "ThreadPoolTaskRunner": False,
        "ProcessPoolTaskRunner": False,
        "PrefectTaskRunner": False,
    }


# --- Prefect 1.4.1 ---


def test_prefect1_default_storage_pickles_the_flow(prefect1_storage_executors) -> None:
    assert prefect1_storage_executors["default storage class"] == "Local"
    assert prefect1_storage_executors["Local().stored_as_script"] is False
    assert prefect1_storage_executors["Local().add_flow"] == CANNOT_PICKLE_LOCK


def test_prefect1_script_storage_does_not_pickle(prefect1_storage_executors) -> None:
    assert prefect1_storage_executors["Local(stored_as_script=True).add_flow"].startswith("ok: ")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("threads, task using a module-level lock", "Success: All reference tasks succeeded."),
        ("threads, task returning a lock", "Success: All reference tasks succeeded."),
        ("processes, task using a module-level lock", PREFECT1_RUN_FAILED_TO_PICKLE),
        ("processes, task returning a lock", PREFECT1_RUN_FAILED_TO_PICKLE),
    ],
)
def test_prefect1_local_dask_executor_pickles_only_with_processes(prefect1_storage_executors, case, expected) -> None:
    assert prefect1_storage_executors[case] == expected


def test_prefect1_checkpointing_pickles_results(prefect1_storage_executors) -> None:
    failed = "Failed: Unexpected error: TypeError(\"cannot pickle '{}' object\")"
    assert prefect1_storage_executors["checkpointed, task returning a lock"] == failed.format("_thread.lock")
    assert prefect1_storage_executors["checkpointed, generator task"] == failed.format("generator")
    assert prefect1_storage_executors["checkpointed, checkpoint=False"] == "Success: Task run succeeded."


def test_prefect1_default_executors_use_threads(prefect1_storage_executors) -> None:
    assert prefect1_storage_executors["default executor class"] == "prefect.executors.LocalExecutor"
    assert prefect1_storage_executors["LocalDaskExecutor().scheduler"] == "threads"
