"""Prefect 3: what each task runner pickles, and what runs in the flow's own process.

Run as a script, as users run their flows: every function here lives in `__main__`.
"""

import os
import threading

import prefect.task_runners
from observations import outcome, report
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

MODULE_LOCK = threading.Lock()
RUNNER_NAMES = ["ThreadPoolTaskRunner", "ConcurrentTaskRunner", "ProcessPoolTaskRunner", "PrefectTaskRunner",
                "SequentialTaskRunner"]


@task(cache_policy=NO_CACHE)
def process_id(anything):
    return os.getpid()


@task(cache_policy=NO_CACHE)
def make_lock():
    return threading.Lock()


@task(cache_policy=NO_CACHE)
def process_id_under_module_lock():
    with MODULE_LOCK:
        return os.getpid()


def runs_elsewhere(pid):
    return pid != os.getpid()


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def process_pool():
    lock = threading.Lock()
    return {
        "submit(1)": outcome(lambda: runs_elsewhere(process_id.submit(1).result())),
        "submit(lock)": outcome(lambda: process_id.submit(lock).result()),
        "submit() returning a lock": outcome(lambda: make_lock.submit().result()),
        "direct call with a lock": outcome(lambda: runs_elsewhere(process_id(lock))),
    }


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def process_pool_module_lock_task():
    return {
        "submit() of a task using a module-level lock": outcome(
            lambda: process_id_under_module_lock.submit().result()
        ),
    }


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def process_pool_module_lock_flow():
    with MODULE_LOCK:
        pass
    return {"submit(1) from a flow using a module-level lock": outcome(lambda: process_id.submit(1).result())}


@flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
def process_pool_lock_parameter(lock):
    return {"submit(1) from a flow with a lock parameter": outcome(lambda: process_id.submit(1).result())}


@flow(task_runner=ThreadPoolTaskRunner())
def thread_pool():
    lock = threading.Lock()
    with MODULE_LOCK:
        in_flow = "flow body used the module-level lock"
    return {
        "submit(lock)": outcome(lambda: runs_elsewhere(process_id.submit(lock).result())),
        "submit() returning a lock": outcome(lambda: type(make_lock.submit().result()).__name__),
        "submit() of a task using a module-level lock": outcome(
            lambda: runs_elsewhere(process_id_under_module_lock.submit().result())
        ),
        "flow body": in_flow,
    }


if __name__ == "__main__":
    report(
        {
            "runners": {name: hasattr(prefect.task_runners, name) for name in RUNNER_NAMES},
            "ConcurrentTaskRunner is ThreadPoolTaskRunner": getattr(prefect.task_runners, "ConcurrentTaskRunner", None)
            is ThreadPoolTaskRunner,
            "ProcessPoolTaskRunner": process_pool()
            | process_pool_module_lock_task()
            | process_pool_module_lock_flow()
            | process_pool_lock_parameter(threading.Lock()),
            "ThreadPoolTaskRunner": thread_pool(),
        }
    )
