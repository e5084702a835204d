"""Prefect 1: which storage pickles a flow, which executor pickles its tasks, and what
checkpointing (on when an agent runs a flow) does with results.

Run as a script, as users register their flows: the flow and its tasks live in `__main__`.
"""

import os
import sys
import tempfile
import threading

import prefect
from observations import outcome, report
from prefect import Flow, task
from prefect.engine.results import LocalResult
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


@task(checkpoint=False)
def make_lock_unchecked():
    return threading.Lock()


@task
def make_rows():
    yield from range(3)


with Flow("module-lock") as module_lock_flow:
    process_id_under_module_lock()

with Flow("returns-lock") as returns_lock_flow:
    make_lock()


def checkpointed_run(task_to_run, folder):
    """A flow run as an agent runs it: checkpointing on, results written by the flow's result."""
    with Flow("checkpointed", result=LocalResult(dir=folder)) as flow:
        task_to_run()
    with prefect.context(checkpointing=True):
        state = flow.run()
    (task_state,) = state.result.values()
    return f"{type(task_state).__name__}: {task_state.message}"


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
            "checkpointed, task returning a lock": checkpointed_run(make_lock, storage_folder),
            "checkpointed, generator task": checkpointed_run(make_rows, storage_folder),
            "checkpointed, checkpoint=False": checkpointed_run(make_lock_unchecked, storage_folder),
        }
    )
