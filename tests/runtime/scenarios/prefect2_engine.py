"""Prefect 2: when a task's inputs are hashed and its result persisted, and which runner runs a call.

Run with the last Prefect 2 release and no API URL, so flows use the in-process ephemeral API.
"""

import threading

import prefect.task_runners
from observations import PrefectLogs, outcome, report
from prefect import flow, task
from prefect.task_runners import ConcurrentTaskRunner
from prefect.tasks import task_input_hash

RUNNER_NAMES = ["SequentialTaskRunner", "ConcurrentTaskRunner", "ThreadPoolTaskRunner", "ProcessPoolTaskRunner",
                "PrefectTaskRunner"]
logs = PrefectLogs()


@task
def plain(conn):
    return "done"


@task(cache_key_fn=task_input_hash)
def hashed(conn):
    return "done"


@task
def make_lock():
    return threading.Lock()


@task(cache_key_fn=lambda context, parameters: "fixed")
def make_lock_with_cache_key_fn():
    return threading.Lock()


@task(persist_result=True)
def make_lock_persisted():
    return threading.Lock()


@task(result_serializer="json")
def make_lock_json_serializer():
    return threading.Lock()


def rows():
    yield from range(3)


@task(persist_result=True)
def persisted_generator_object():
    return rows()


@task(persist_result=True)
def persisted_generator_function():
    yield from range(3)


@task
def called_directly():
    return "done"


@task
def submitted():
    return "done"


def state_of(call):
    state = call()
    return {"state": state.name, "message": state.message}


@flow(task_runner=ConcurrentTaskRunner())
def engine():
    lock = threading.Lock()
    return {
        "plain(lock)": state_of(lambda: plain(lock, return_state=True)),
        "plain.submit(lock)": state_of(lambda: plain.submit(lock, return_state=True)),
        "cache_key_fn=task_input_hash, lock, twice": [hashed(lock, return_state=True).name for _ in range(2)],
        "cache_key_fn=task_input_hash, string, twice": [hashed("same", return_state=True).name for _ in range(2)],
        "returns a lock": state_of(lambda: make_lock(return_state=True)),
        "returns a lock, cache_key_fn": state_of(lambda: make_lock_with_cache_key_fn(return_state=True)),
        "returns a lock, persist_result=True": state_of(lambda: make_lock_persisted(return_state=True)),
        "returns a lock, result_serializer='json'": state_of(lambda: make_lock_json_serializer(return_state=True)),
        "a returned generator, persisted": repr(persisted_generator_object()),
        "a generator task, persisted": repr(persisted_generator_function()),
        "direct call": outcome(called_directly),
        "submit": outcome(lambda: submitted.submit().result()),
    }


@flow(retries=1)
def retried_flow():
    return {"returns a lock, flow retries=1": state_of(lambda: make_lock(return_state=True))}


def run_log(task_name):
    """The flow-run log line about how the task run was handed to a task runner."""
    return [line for line in logs.matching(f"'{task_name}-0'") if "immediately" in line or "Submitted" in line]


if __name__ == "__main__":
    observed = engine() | retried_flow()
    observed["run log of the direct call"] = run_log(called_directly.name)
    observed["run log of the submit"] = run_log(submitted.name)
    observed["messages about cache keys"] = logs.matching("cache key")
    observed["runners"] = {name: hasattr(prefect.task_runners, name) for name in RUNNER_NAMES}
    report(observed)
