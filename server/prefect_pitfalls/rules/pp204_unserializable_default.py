"""## What it does
Checks for task and flow parameters with a default cloudpickle cannot serialize.
Such defaults are connections, locks, open files, clients with a connection pool.

## Why is this bad?
A default is created once, when the module is imported, and is part of the task:
Prefect passes it as an input (so it goes into cache keys and task runners) and it
travels with the function when the task is shipped to a worker. A connection
created at import time is also shared by every run that omits the argument.

## Example
```python
import threading

from prefect import task


@task
def append_line(path, line, lock=threading.Lock()):
    with lock:
        with open(path, "a") as f:
            f.write(line)
```

## Use instead
```python
from prefect import task


@task
def append_line(path, line):
    with open(path, "a") as f:
        f.write(line)
```

## Fix safety
There is no automatic fix.
"""

from __future__ import annotations

from typing import Iterator

from ..analysis import parameter_defaults
from ..findings import Finding, Severity
from .base import RuleContext, cannot_serialize

CODE = "PP204"
NAME = "unserializable-default"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")


def check(ctx: RuleContext) -> Iterator[Finding]:
    for body in ctx.model.bodies:
        for parameter, default in parameter_defaults(body.node):
            entry = ctx.types.unpicklable(default, None)
            if entry is not None:
                what = f"Default of `{parameter.arg}` in {body.kind} `{body.name}`"
                yield ctx.finding(default, cannot_serialize(what, entry))
