"""Prefect 3: which cache policies hash an input that cannot be pickled or JSON-encoded.

Each task is called three times in one flow run: directly with a sqlite3 connection, directly
with a threading.Lock, and through `.submit()` on the default task runner with the connection
(the task whose connection is a parameter default is called twice, with no arguments).
"""

import sqlite3
import threading

from observations import PrefectLogs, report
from prefect import flow, task
from prefect.cache_policies import DEFAULT, INPUTS, NO_CACHE
from prefect.tasks import task_input_hash

CACHE_KEY_ERROR = "Error encountered when computing cache key"
logs = PrefectLogs()


@task
def default_policy(conn, path="rows.csv"):
    return path


@task
def default_policy_on_a_default(path="rows.csv", conn=sqlite3.connect(":memory:", check_same_thread=False)):
    return path


@task(cache_policy=NO_CACHE)
def no_cache(conn, path="rows.csv"):
    return path


@task(cache_policy=DEFAULT - "conn")
def default_without_conn(conn, path="rows.csv"):
    return path


@task(cache_policy=INPUTS - "conn")
def inputs_without_conn(conn, path="rows.csv"):
    return path


@task(cache_key_fn=lambda context, parameters: parameters["path"])
def key_from_path(conn, path="rows.csv"):
    return path


@task(cache_key_fn=task_input_hash)
def task_input_hash_key(conn, path="rows.csv"):
    return path


def submitted_state(future):
    future.wait()
    return future.state


def calls(unhashable_task, conn, lock):
    if unhashable_task is default_policy_on_a_default:
        return [unhashable_task(return_state=True), submitted_state(unhashable_task.submit())]
    return [
        unhashable_task(conn, return_state=True),
        unhashable_task(lock, return_state=True),
        submitted_state(unhashable_task.submit(conn)),
    ]


@flow
def cache_keys():
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    lock = threading.Lock()
    observed = {}
    for each in (default_policy, default_policy_on_a_default, no_cache, default_without_conn,
                 inputs_without_conn, key_from_path, task_input_hash_key):
        states = calls(each, conn, lock)
        observed[each.name] = {
            "calls": len(states),
            "cache_key_errors": logs.count(each.name, CACHE_KEY_ERROR),
            "states": [state.name for state in states],
            "all_completed": all(state.is_completed() for state in states),
        }
    hashable = [task_input_hash_key("same", return_state=True).name for _ in range(2)]
    observed["task_input_hash_key with a string, twice"] = hashable
    return observed


if __name__ == "__main__":
    report(cache_keys())
