"""Prefect 1: which storage pickles a flow, and which executor pickles its tasks.

Run as a script, as users register their flows: the flow and its tasks live in `__main__`.
"""

import os
import sys
import tempfile
import threading

import prefect
from observations import outcome, report
from prefect import Flow, task
from prefect.executors import LocalDaskExecutor
from prefect.storage import Local, get_default_storage_class

MODULE_LOCK = threading.Lock()


@task
def process_id_under_module_lock():
    with MODULE_LOCK:
        return os.getpid()


@task
def make_lock():
    return threading.Lock()


with Flow("module-lock") as module_lock_flow:
    process_id_under_module_lock()

with Flow("returns-lock") as returns_lock_flow:
    make_lock()


def flow_run(flow, executor):
    """The flow run's final state and message, as `flow.run` reports them."""
    state = flow.run(executor=executor)
    return f"{type(state).__name__}: {state.message}"


if __name__ == "__main__":
    storage_folder = tempfile.mkdtemp()
    processes = LocalDaskExecutor(scheduler="processes", num_workers=1)
    report(
        {
            "default storage class": get_default_storage_class().__name__,
            "default executor class": prefect.config.engine.executor.default_class,
            "Local().stored_as_script": Local(directory=storage_folder).stored_as_script,
            "Local().add_flow": outcome(lambda: Local(directory=storage_folder).add_flow(module_lock_flow)),
            "Local(stored_as_script=True).add_flow": outcome(
                lambda: Local(path=sys.argv[0], stored_as_script=True).add_flow(module_lock_flow)
            ),
            "LocalDaskExecutor().scheduler": LocalDaskExecutor().scheduler,
            "threads, task using a module-level lock": flow_run(module_lock_flow, LocalDaskExecutor()),
            "threads, task returning a lock": flow_run(returns_lock_flow, LocalDaskExecutor()),
            "processes, task using a module-level lock": flow_run(module_lock_flow, processes),
            "processes, task returning a lock": flow_run(returns_lock_flow, processes),
        }
    )
