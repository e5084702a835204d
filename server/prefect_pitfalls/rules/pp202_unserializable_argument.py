"""## What it does
Checks for task calls that pass an argument cloudpickle cannot serialize. Calls
are `t(x)`, `t.submit(x)`, `t.map(x)` in flows, tasks and module-level code, and
Prefect 1 task calls inside `with Flow(...)`;
arguments are open files, locks, sockets, database connections, clients with a
connection pool, generators.

## Why is this bad?
A task's inputs travel with it: to a task runner's worker process or cluster node,
into the cache key Prefect computes from them, and into persisted results. An
argument tied to the calling process cannot make that trip; on Prefect 3 the cache
key silently fails ("Error encountered when computing cache key - result will not
be persisted"), on Dask or Ray the task fails to be submitted.

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

## Fix safety
There is no automatic fix: the task's signature has to change.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Finding, Severity
from ..prefect_model import FunctionNode, PrefectModel
from .base import RuleContext, brief, cannot_serialize

CODE = "PP202"
NAME = "unserializable-argument"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")

_SUBMITTING_METHODS = {"submit", "map"}
_WRAPPERS = {"unmapped", "quote", "allow_failure"}


def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    if not model.task_names:
        return
    reported: set[tuple[int, int]] = set()
    for function, calls in _scopes(ctx):
        for node in calls:
            task = _called_task(model, node)
            if task is None:
                continue
            for argument in _arguments(model, node):
                entry = ctx.types.unpicklable(argument, function)
                key = (argument.lineno, argument.col_offset)
                if entry is not None and key not in reported:
                    reported.add(key)
                    what = f"Argument `{brief(ctx.text(argument))}` of task `{task}`"
                    yield ctx.finding(argument, cannot_serialize(what, entry))


def _scopes(ctx: RuleContext) -> Iterator[tuple[FunctionNode | None, list[ast.Call]]]:
    """The calls in flow and task bodies, and in module-level code (Prefect 1 `with Flow`)."""
    for body in ctx.model.bodies:
        yield body.node, ctx.types.calls(body.node)
    for statement, _ in ctx.model.module_statements:
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield None, [n for n in _own_expressions(statement) if isinstance(n, ast.Call)]


def _own_expressions(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a statement, without its nested statements (visited on their own)."""
    stack = [child for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _called_task(model: PrefectModel, call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _SUBMITTING_METHODS:
        func = func.value
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "with_options":
        func = func.func.value
    if isinstance(func, ast.Name) and func.id in model.task_names:
        return func.id
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id in model.task_class_names:
        return func.func.id  # Prefect 1: `CounterTask()(conn)`
    return None


def _arguments(model: PrefectModel, call: ast.Call) -> Iterator[ast.expr]:
    values = [*call.args, *(k.value for k in call.keywords)]
    for value in values:
        if isinstance(value, ast.Starred):
            continue
        while isinstance(value, ast.Call) and len(value.args) == 1 and _is_wrapper(model, value.func):
            value = value.args[0]
        yield value


def _is_wrapper(model: PrefectModel, func: ast.expr) -> bool:
    qualname = model.prefect_qualname(func)
    return qualname is not None and qualname.rsplit(".", 1)[-1] in _WRAPPERS
