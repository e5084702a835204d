"""## What it does
Checks for task calls that pass an argument cloudpickle cannot serialize. Calls
are `t(x)`, `t.submit(x)`, `t.map(x)` and Prefect 1 task calls inside
`with Flow(...)`; arguments are open files, locks, sockets, database connections,
clients with a connection pool, generators.

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
import re
from typing import Iterator

from ..findings import Finding, Severity
from ..prefect_model import FunctionNode, PrefectModel
from ..source import any_between
from .base import RuleContext

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
    for function, nodes in _scopes(model, _lines_calling_tasks(ctx)):
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            task = _called_task(model, node)
            if task is None:
                continue
            for argument in _arguments(model, node):
                entry = ctx.types.unpicklable(argument, function)
                key = (argument.lineno, argument.col_offset)
                if entry is not None and key not in reported:
                    reported.add(key)
                    what = f"Argument `{ctx.text(argument)}` of task `{task}`"
                    yield ctx.finding(argument, entry.cannot_serialize(what))


_CALL = re.compile(r"(?<!def )\b([A-Za-z_]\w*)\s*(?:\(|\.\s*(?:submit|map|with_options)\b)")


def _lines_calling_tasks(ctx: RuleContext) -> list[int]:
    """Lines where a task name is followed by a call: the only places worth walking."""
    names = ctx.model.task_names | ctx.model.task_class_names
    source = ctx.source
    return [source.line_column(m.start())[0] for m in _CALL.finditer(source.text) if m.group(1) in names]


def _scopes(model: PrefectModel, lines: list[int]) -> Iterator[tuple[FunctionNode | None, Iterator[ast.AST]]]:
    """Where tasks are called: statements of flow and task bodies, and of module-level code
    (`with Flow`), that span a line calling a task."""
    if not lines:
        return
    for body in model.bodies:
        node = body.node
        if any_between(lines, node.lineno, node.end_lineno):
            yield node, _nodes_on_lines(node.body, lines)
    for statement, _ in model.module_statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if any_between(lines, statement.lineno, statement.end_lineno):
            yield None, _own_expressions(statement)


def _nodes_on_lines(statements: list[ast.stmt], lines: list[int]) -> Iterator[ast.AST]:
    """The nodes of the statements that span one of the lines, descending into blocks."""
    for statement in statements:
        if not any_between(lines, statement.lineno, statement.end_lineno):
            continue
        blocks = [getattr(statement, f) for f in ("body", "orelse", "finalbody") if getattr(statement, f, None)]
        blocks += [h.body for h in getattr(statement, "handlers", None) or []]
        if blocks and not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from _own_expressions(statement)
            for block in blocks:
                yield from _nodes_on_lines(block, lines)
        else:
            yield from ast.walk(statement)


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
