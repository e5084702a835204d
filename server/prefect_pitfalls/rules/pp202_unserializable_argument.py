"""## What it does
Checks for task calls that pass an argument cloudpickle cannot serialize where
Prefect really serializes or hashes it.

Calls are `t(x)`, `t.submit(x)`, `t.map(x)`, `t.delay(x)` and Prefect 1 calls inside
`with Flow(...)`, of the module's own tasks and of tasks imported from the project's
other modules. Prefect serializes or hashes an argument through:
- **the cache key**: Prefect 3's default cache policy hashes every input, and so do
  `INPUTS`, `Inputs()` and `cache_key_fn=task_input_hash` (Prefect 2 too); not with
  `NO_CACHE`, `persist_result=False`, a policy that excludes the input
  (`DEFAULT - "conn"`, `Inputs(exclude=["conn"])`) or a `cache_key_fn` that does not
  hash it, nor when `tasks.default_no_cache` or `tasks.disable_caching` is set in
  `prefect.toml`, `[tool.prefect]` of `pyproject.toml` or `.env`;
- **a pickling task runner**: `.submit()`/`.map()` in a flow whose `task_runner` is
  `ProcessPoolTaskRunner`, `PrefectTaskRunner`, `DaskTaskRunner` or `RayTaskRunner`;
- **task workers**: `.delay()` pickles the parameters;
- **Prefect 1 pickle storage**, which stores the arguments in the flow.

## Why is this bad?
On Prefect 3 the cache key fails on every call ("Error encountered when computing
cache key - result will not be persisted") and the task is never cached; on a
process pool, Dask or Ray the task fails to be submitted.

## Example
```python
import sqlite3

from prefect import flow, task


@task
def count_rows(conn, table):
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


@flow
def audit(path):
    conn = sqlite3.connect(path)
    return count_rows(conn, "orders")
```

## Use instead
Pass what the task needs to open the resource itself:
```python
import sqlite3

from prefect import flow, task


@task
def count_rows(path, table):
    with sqlite3.connect(path) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


@flow
def audit(path):
    return count_rows(path, "orders")
```
Or, on Prefect 3, leave the input out of the cache key:
`@task(cache_policy=DEFAULT - "conn")` (`from prefect.cache_policies import DEFAULT`).

## Fix safety
Where the cache key is the mechanism, the fix excludes the input from it:
`cache_policy=DEFAULT - "conn"` is added, or `- "conn"` is appended to the task's own
policy. It is unsafe: the task's cache key no longer depends on that input, and on
Prefect 3 a `cache_policy` turns result persistence on (a result that cannot be
pickled is then PP201's). A
runner or task worker that pickles the argument has no automatic fix: the task's
signature has to change.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Finding, Fix, Severity
from ..fixes.cache_policy import exclude_from_cache_key
from ..prefect_model import Body, PrefectModel
from ..serialization.contexts import Mechanism, parameter_of
from .base import RuleContext, brief

CODE = "PP202"
NAME = "unserializable-argument"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "unsafe"

_WRAPPERS = {"unmapped", "quote", "allow_failure"}


def check(ctx: RuleContext) -> Iterator[Finding]:
    reported: set[tuple[int, int]] = set()
    for call in ctx.contexts.all_calls():
        for argument, parameter in _arguments(ctx.model, call.task, call.call):
            key = (argument.lineno, argument.col_offset)
            mechanism = ctx.contexts.argument(call.task, call, parameter) if key not in reported else None
            entry = ctx.types.unpicklable(argument, call.scope) if mechanism is not None else None
            if entry is not None:
                reported.add(key)
                what = f"`{brief(ctx.text(argument), 24)}`"
                yield ctx.serialization_finding(argument, mechanism, what, entry, _fix(ctx, call.task, parameter, mechanism))


def _fix(ctx: RuleContext, task: Body, parameter: str | None, mechanism: Mechanism) -> Fix | None:
    """Leave the input out of the cache key, when that is the mechanism and the task is this module's."""
    if not mechanism.excludable or not ctx.contexts.is_local(task):
        return None
    return exclude_from_cache_key(ctx.source, ctx.model, task, parameter, ctx.contexts.release.at_least("3.1.14"))


def _arguments(model: PrefectModel, task: Body, call: ast.Call) -> Iterator[tuple[ast.expr, str | None]]:
    """Each argument, unwrapped (`unmapped(conn)` is `conn`), with the parameter it binds."""
    for value in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(value, ast.Starred):
            continue
        parameter = parameter_of(task, call, value)
        while isinstance(value, ast.Call) and len(value.args) == 1 and _is_wrapper(model, value.func):
            value = value.args[0]
        yield value, parameter


def _is_wrapper(model: PrefectModel, func: ast.expr) -> bool:
    qualname = model.prefect_qualname(func)
    return qualname is not None and qualname.rsplit(".", 1)[-1] in _WRAPPERS
