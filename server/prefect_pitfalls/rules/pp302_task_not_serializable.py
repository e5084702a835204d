"""## What it does
Reports tasks that fail a real cloudpickle round trip, found by the on-save probe. The
message gives the path to the part that fails (`load -> closure 'lock' -> _thread.lock`). Prefect 1
`Task` instances are checked with their attributes, so a client kept on `self` shows up.

## Why is this bad?
Tasks are serialized whenever they are submitted to a task runner (Dask, Ray, a process
pool) or stored with their flow. A task holding a lock, a connection or a client cannot
be serialized, and the error appears at submission time, far from the cause.

## Example
```python
import threading

from prefect import task

lock = threading.Lock()


@task
def append(path, line):
    with lock:
        with open(path, "a") as f:
            f.write(line)
```

## Use instead
Create such objects inside the task, or coordinate through something outside the
process (a database row lock, a Prefect concurrency limit).

## Fix safety
There is no automatic fix.
"""

from __future__ import annotations

from ..findings import Severity
from .base import probe_only

CODE = "PP302"
NAME = "task-not-serializable"
SEVERITY = Severity.ERROR
VERSIONS = ("1", "2/3")
check = probe_only
