"""## What it does
Checks for task and flow bodies that use a module-level resource where Prefect
really pickles the function by value, with the globals it uses.

The resource is a connection, an engine, a client, a lock or an open file bound to a
global name at import time. Prefect pickles the function through:
- **a pickling task runner**: the task is `.submit()`ed or `.map()`ped in a flow whose
  `task_runner` is `ProcessPoolTaskRunner`, `PrefectTaskRunner`, `DaskTaskRunner` or
  `RayTaskRunner`; a process pool also pickles the flow run's context, so the flow
  submitting the task is pickled too;
- **an infrastructure decorator** that ships the flow (`@kubernetes`, `@docker`,
  `@ecs`, ... from the Prefect integrations), with the tasks it calls;
- **Prefect 1 pickle storage** (the default; not `stored_as_script=True` or script
  storage such as `GitHub`).

A Prefect 2/3 flow body is imported from its entrypoint, not pickled, and tasks on
the default thread runner stay in the process: neither is reported. With
`assume-task-runner = "dask"` (or `"ray"`, `"process"`), tasks a pickling runner
would ship are reported as hints.

## Why is this bad?
cloudpickle serializes a task or flow function together with the module globals it
uses. A global connection or lock makes the whole task unserializable, and
cloudpickle's error names neither the global nor the line.

## Example
```python
import sqlite3

from prefect import flow, task
from prefect_dask import DaskTaskRunner

conn = sqlite3.connect("warehouse.db")


@task
def count_orders():
    return conn.execute("select count(*) from orders").fetchone()[0]


@flow(task_runner=DaskTaskRunner())
def nightly():
    return count_orders.submit().result()
```

## Use instead
Create the resource inside the task (or pass what is needed to create it):
```python
import sqlite3

from prefect import task


@task
def count_orders():
    conn = sqlite3.connect("warehouse.db")
    return conn.execute("select count(*) from orders").fetchone()[0]
```

## Fix safety
The fix creates the resource at the start of the task or flow, with the expression
that created the module-level one. It is offered only when that expression is a
plain call whose arguments are constants, module-level constants or the task's own
parameters, and it is unsafe: each run now opens its own resource (and closing it
is up to you).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Applicability, Finding, Fix, Severity
from ..fixes.edits import insert_at_body_start
from ..prefect_model import Body
from ..serialization.table import Unpicklable
from .base import RuleContext, brief

CODE = "PP203"
NAME = "captured-resource"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "unsafe"


def check(ctx: RuleContext) -> Iterator[Finding]:
    # Prefect 1 task classes are pickled as instances; the probe checks those.
    pickled = [(body, ctx.contexts.captured(body)) for body in ctx.model.bodies if body.task_class is None]
    calls = {name for name, value in ctx.types.module_values.items() if isinstance(value, ast.Call)}
    resources: dict[str, tuple[ast.Call, Unpicklable] | None] = {}
    for body, mechanism in pickled:
        if mechanism is None or not calls:
            continue
        for name, use in _first_uses(ctx, body, calls):
            if name not in resources:  # asked only about globals a pickled function uses
                resources[name] = _resource(ctx, name)
            if resources[name] is not None:
                value, entry = resources[name]
                what = f"module-level `{brief(name, 24)}`"
                yield ctx.serialization_finding(use, mechanism, what, entry, _fix(ctx, body, name, value))


def _first_uses(ctx: RuleContext, body: Body, names: set[str]) -> list[tuple[str, ast.Name]]:
    """The first use of each of ``names`` in a body, in source order."""
    first_uses: dict[str, ast.Name] = {}
    shadowed = frozenset(ctx.model.analysis(body.node).local_names)
    for use in _free_uses(ctx, body.node.body, names, shadowed):
        current = first_uses.get(use.id)
        if current is None or (use.lineno, use.col_offset) < (current.lineno, current.col_offset):
            first_uses[use.id] = use
    return sorted(first_uses.items(), key=lambda item: (item[1].lineno, item[1].col_offset))


def _resource(ctx: RuleContext, name: str) -> tuple[ast.Call, Unpicklable] | None:
    value = ctx.types.module_values[name]
    # Asked about the name, not the call: `ssh = SSHClient()` counts once `ssh.connect()` is called.
    entry = ctx.types.unpicklable(ast.copy_location(ast.Name(name, ast.Load()), value), None)
    return (value, entry) if entry is not None else None


def _free_uses(ctx: RuleContext, nodes: list[ast.AST], names: set[str], shadowed: frozenset[str]) -> Iterator[ast.Name]:
    """Loads of ``names`` not bound by an enclosing scope inside the body (parameters,
    locals of nested functions, comprehension variables)."""
    stack = [(node, shadowed) for node in nodes]
    while stack:
        node, hidden = stack.pop()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id in names and node.id not in hidden:
                yield node
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend((d, hidden) for d in (*node.decorator_list, *node.args.defaults, *filter(None, node.args.kw_defaults)))
            inner = hidden | ctx.model.analysis(node).local_names
            stack.extend((child, inner) for child in node.body)
            continue
        if isinstance(node, ast.Lambda):
            inner = hidden | {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
            stack.append((node.body, inner))
            continue
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
            stack.append((node.generators[0].iter, hidden))
            inner = hidden | targets
            stack.extend((child, inner) for g in node.generators for child in (*g.ifs, g.iter) if child is not node.generators[0].iter)
            stack.extend((child, inner) for child in ((node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)))
            continue
        stack.extend((child, hidden) for child in ast.iter_child_nodes(node))


def _fix(ctx: RuleContext, body: Body, name: str, value: ast.Call) -> Fix | None:
    function = body.node
    if name in ctx.model.analysis(function).scope.globals or not _plain_call(ctx, value, function):
        return None
    insertion = insert_at_body_start(ctx.source, function, [f"{name} = {ctx.text(value)}"])
    if insertion is None:
        return None
    return Fix(f"Create `{name}` inside `{function.name}`", Applicability.UNSAFE, (insertion,))


def _plain_call(ctx: RuleContext, call: ast.Call, function: ast.AST) -> bool:
    """A call of a module-level name whose arguments are constants or the function's parameters."""
    parameters = {a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}
    constants = {n for n, v in ctx.types.module_values.items() if isinstance(v, ast.Constant)}
    root = call.func
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name):
        return False
    for argument in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(argument, ast.Constant):
            continue
        if isinstance(argument, ast.Name) and (argument.id in parameters or argument.id in constants):
            continue
        return False
    return all(k.arg is not None for k in call.keywords)
