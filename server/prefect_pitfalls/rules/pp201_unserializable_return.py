"""## What it does
Checks for tasks that return a value cloudpickle cannot serialize where Prefect
really serializes the result.

Such values are open files, locks, sockets, database connections, clients with a
live connection pool, generators. Prefect serializes a result through:
- **result persistence**: `persist_result=True`, or in Prefect 3 a `cache_policy`,
  `cache_key_fn`, `result_storage`, `result_storage_key` or `result_serializer` that
  turns it on (`cache_key_fn` in Prefect 2); `result_serializer="json"` encodes instead;
- **a pickling task runner**: the task is `.submit()`ed or `.map()`ped in a flow whose
  `task_runner` is `ProcessPoolTaskRunner`, `PrefectTaskRunner`, `DaskTaskRunner` or
  `RayTaskRunner` (directly, through a module-level name or a factory function);
- **task workers**: the task is `.delay()`ed;
- **Prefect 1**, where a flow run by an agent checkpoints every result with pickle.

Prefect 3 writes a result only under a cache key (not with `NO_CACHE`); a flow's
`persist_result=True` and the settings `results.persist_by_default` and
`tasks.default_persist_result` written in `prefect.toml`, `[tool.prefect]` of
`pyproject.toml` or `.env` turn persistence on too.

A plain `@task` called in a flow on the default thread runner keeps its result in
memory and is not reported. With `assume-task-runner = "dask"` (or `"ray"`,
`"process"`), results a pickling runner would ship are reported as hints.

## Why is this bad?
An object tied to this process (a file descriptor, an OS lock, a network connection)
cannot be serialized, and the failure shows up far from the task: a "Failed to
serialize" error logged on every persisted run, or a `TypeError: cannot pickle
'sqlite3.Connection' object` from the task runner.

A value derived from the resource (`conn.execute(query).fetchall()`, a list) is
fine, and so is a generator on Prefect 2 and 3, which keep what it produced (a
generator task on Prefect 3 streams what it yields). On Prefect 1 a generator task's
result is the generator itself, which checkpointing cannot pickle.

## Example
```python
import sqlite3

from prefect import task


@task(persist_result=True)
def open_warehouse(path):
    return sqlite3.connect(path)
```

## Use instead
Return the data, or what is needed to reopen the resource where it is used:
```python
import sqlite3

from prefect import task


@task(persist_result=True)
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
from .base import RuleContext, brief

# Prefect 2 and 3 keep what a returned generator produced, not the generator (tests/runtime).
_CONSUMED = {"builtins.generator"}
_RETURN_INSTEAD = " Return the data read through it, or what reopens it where it is used (a path, a URL, a block name)."

CODE = "PP201"
NAME = "unserializable-return"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")


def check(ctx: RuleContext) -> Iterator[Finding]:
    for body in ctx.model.bodies:
        mechanism = ctx.contexts.returned(body) if body.kind == "task" else None
        if mechanism is None:
            continue  # asked first: jedi is asked only about values something serializes
        function = body.node
        if ctx.types.is_generator_function(function):
            # Prefect 2 and 3 keep what it yields; Prefect 1's result is the generator itself.
            if ctx.contexts.major == "1" and not mechanism.persistence:
                yielded = ctx.types.first_yield(function)
                yield ctx.finding(yielded, f"Task `{body.name}` returns a generator: {mechanism.subject} cannot pickle it")
            continue
        for returned in ctx.types.returns(function):
            entry = ctx.types.unpicklable(returned, function)
            if entry is not None and not (mechanism.persistence and entry.type in _CONSUMED):
                what = f"result `{brief(ctx.text(returned), 22)}`"
                yield ctx.serialization_finding(returned, mechanism, what, entry, advice=_RETURN_INSTEAD)
