"""## What it does
Checks for tasks that return a value cloudpickle cannot serialize. Such values
are open files (for writing, or binary), locks, threads, sockets, database
connections and cursors, clients with a live connection pool, generators and
executors.

## Why is this bad?
Prefect serializes a task's result to hand it to the next task on another worker,
to persist it, and to cache it. An object tied to this process (a file
descriptor, an OS lock, a network connection) cannot be serialized, and the
failure shows up far from the task: as a `TypeError: cannot pickle
'sqlite3.Connection' object` inside Prefect, or as a result that is silently
not persisted or cached.

A value derived from the resource (`conn.execute(query).fetchall()`, a list) is
fine, and so is a generator task on Prefect 3, which streams what it yields.

## Example
```python
import sqlite3

from prefect import task


@task
def open_warehouse(path):
    return sqlite3.connect(path)
```

## Use instead
Return the data, or what is needed to reopen the resource where it is used:
```python
import sqlite3

from prefect import task


@task
def load_orders(path):
    with sqlite3.connect(path) as conn:
        return conn.execute("select * from orders").fetchall()
```

## Fix safety
There is no automatic fix: what to return instead depends on what uses the result.
"""

from __future__ import annotations

from typing import Iterator

from ..findings import Finding, Severity
from ..prefect_model import Body
from .base import RuleContext, brief, cannot_serialize

CODE = "PP201"
NAME = "unserializable-return"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")


def check(ctx: RuleContext) -> Iterator[Finding]:
    for body in ctx.model.bodies:
        if body.kind != "task":
            continue
        function = body.node
        if ctx.types.is_generator_function(function):
            if not _streams_generators(ctx, body):
                yielded = ctx.types.first_yield(function)
                yield ctx.finding(
                    yielded,
                    f"Task `{body.name}` returns a generator, which this Prefect version cannot serialize",
                )
            continue
        for returned in ctx.types.returns(function):
            entry = ctx.types.unpicklable(returned, function)
            if entry is not None:
                what = f"Task `{body.name}` returns `{brief(ctx.text(returned))}`, which"
                yield ctx.finding(returned, cannot_serialize(what, entry))


def _streams_generators(ctx: RuleContext, body: Body) -> bool:
    """Prefect 3 runs generator tasks (streaming what they yield); Prefect 1 and 2 do not."""
    return ctx.model.style != "1" and ctx.model.configured_version != "2"
