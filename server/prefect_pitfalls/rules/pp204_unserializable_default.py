"""## What it does
Checks for task and flow parameters whose default cloudpickle cannot serialize
where Prefect really serializes or hashes it.

Such defaults are connections, locks, open files, clients with a connection pool.
Prefect serializes or hashes a default through:
- **the cache key** of a task: Prefect 3's default cache policy hashes every input,
  defaults included (see PP202 for the policies that do and do not);
- **a pickling task runner** or an **infrastructure decorator** that pickles the
  function, defaults included;
- **Prefect 1 pickle storage**.

A flow's defaults on Prefect 2/3 are not pickled.

## Why is this bad?
A default is created once, when the module is imported. On Prefect 3 the cache key
fails on every call that omits the argument; a runner that pickles the task fails
to ship it. A connection created at import time is also shared by every run.

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
Where the cache key is the mechanism, the fix excludes the parameter from it
(`cache_policy=DEFAULT - "lock"`), which is unsafe: the cache key no longer depends
on it. Otherwise there is no automatic fix.
"""

from __future__ import annotations

from typing import Iterator

from ..analysis import parameter_defaults
from ..findings import Finding, Severity
from ..fixes.cache_policy import exclude_from_cache_key
from .base import RuleContext, brief

CODE = "PP204"
NAME = "unserializable-default"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "unsafe"


def check(ctx: RuleContext) -> Iterator[Finding]:
    for body in ctx.model.bodies:
        for parameter, default in parameter_defaults(body.node):
            mechanism = ctx.contexts.default(body, parameter.arg)
            entry = ctx.types.unpicklable(default, None) if mechanism is not None else None
            if entry is not None:
                what = f"the default of `{brief(parameter.arg, 24)}`"
                fix = exclude_from_cache_key(
                    ctx.source, ctx.model, body, parameter.arg, ctx.contexts.release.at_least("3.1.14")
                ) if mechanism.excludable else None
                yield ctx.serialization_finding(default, mechanism, what, entry, fix)
