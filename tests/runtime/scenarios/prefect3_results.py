"""Prefect 3: which tasks persist (and so serialize) their return value.

Every task returns a threading.Lock (one returns a datetime), is called once, and we record the
result-serialization warnings it logged.
"""

import datetime
import threading

from observations import PrefectLogs, report
from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE
from prefect.settings import PREFECT_RESULTS_PERSIST_BY_DEFAULT, temporary_settings

SERIALIZE_FAILURE = "Failed to serialize object of type"
logs = PrefectLogs()


@task
def default_task():
    return threading.Lock()


@task(cache_policy=NO_CACHE)
def no_cache():
    return threading.Lock()


@task(persist_result=False)
def persist_false():
    return threading.Lock()


@task(persist_result=True)
def persist_true():
    return threading.Lock()


@task(cache_policy=NO_CACHE, persist_result=True)
def persist_true_no_cache():
    return threading.Lock()


@task(persist_result=True)
def persist_true_unhashable_input(conn):
    return threading.Lock()


@task(cache_policy=INPUTS - "conn")
def explicit_cache_policy(conn):
    return threading.Lock()


@task(cache_key_fn=lambda context, parameters: "fixed")
def cache_key_fn():
    return threading.Lock()


@task(result_serializer="json")
def json_serializer():
    return threading.Lock()


@task(result_serializer="json")
def json_serializer_datetime():
    return datetime.datetime(2024, 1, 1)


def rows():
    yield from range(3)


@task(persist_result=True)
def persist_true_generator():
    return rows()


@task
def default_task_under_persisting_flow():
    return threading.Lock()


@task
def default_task_under_setting():
    return threading.Lock()


def observe(finished_task, state):
    warnings = [message for message in logs.by_task[finished_task.name] if SERIALIZE_FAILURE in message]
    return {"serialize_warnings": warnings, "state": state.name}


@flow
def results():
    observed = {}
    for each in (default_task, no_cache, persist_false, persist_true, persist_true_no_cache,
                 cache_key_fn, json_serializer, json_serializer_datetime):
        observed[each.name] = observe(each, each(return_state=True))
    unhashable = threading.Lock()
    for each in (persist_true_unhashable_input, explicit_cache_policy):
        observed[each.name] = observe(each, each(unhashable, return_state=True))
    state = persist_true_generator(return_state=True)
    observed[persist_true_generator.name] = observe(persist_true_generator, state) | {
        "result_type": type(state.result()).__name__
    }
    return observed


@flow(persist_result=True)
def persisting_flow():
    state = default_task_under_persisting_flow(return_state=True)
    return {default_task_under_persisting_flow.name: observe(default_task_under_persisting_flow, state)}


@flow
def plain_flow():
    state = default_task_under_setting(return_state=True)
    return {"default_task under PREFECT_RESULTS_PERSIST_BY_DEFAULT": observe(default_task_under_setting, state)}


if __name__ == "__main__":
    observed = results() | persisting_flow()
    with temporary_settings(updates={PREFECT_RESULTS_PERSIST_BY_DEFAULT: True}):
        observed |= plain_flow()
    report(observed)
