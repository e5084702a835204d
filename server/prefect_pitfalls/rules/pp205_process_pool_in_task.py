"""## What it does
Checks for task and flow bodies that hand a function to a process pool which cannot
pickle it. It looks at `multiprocessing.Pool` (also from `get_context(...)`) and
`concurrent.futures.ProcessPoolExecutor` calls (`map`, `imap`, `imap_unordered`,
`starmap`, `apply`, `apply_async`, `map_async`, `starmap_async`, `submit`) and at
`multiprocessing.Process(target=...)`, and reports the function when it is:
- a lambda or a function defined inside the task or flow (any Prefect version);
- a `@task` of the module (Prefect 2 and 3);
- a module-level function of a module that defines a flow, on Prefect 2.

Functions imported from other modules (`from helpers import work`, `math.sqrt`) are
not reported, and neither are thread pools (`ThreadPoolExecutor`,
`multiprocessing.dummy`).

## Why is this bad?
A process pool sends the function to its child processes with `pickle`, which
stores a function by module and name for the child to import. A lambda or a nested
function has no such name, and the module attribute of a `@task` is the Task object,
not the function: pickling fails under every start method, with `Can't pickle local
object` or `it's not the same object as flows.work`. Prefect 2 loads a deployment's
flow file as module `__prefect_loader__` and removes that module from `sys.modules`
once loaded, so on a worker even a plain function of the flow's file fails with
`import of module '__prefect_loader__' failed` (Prefect 3 keeps the module under the
file's name). It all works when the pool is not used, or with `python flows.py` on
some machines, and breaks on the worker.

`Process(target=...)` pickles its target only under the spawn and forkserver start
methods: spawn is the default on macOS and Windows, forkserver on Linux from Python
3.14. Under fork the child inherits the target, and nothing is reported when the
code asks for fork (`get_context("fork")`).

## Example
```python
from concurrent.futures import ProcessPoolExecutor

from prefect import flow


@flow
def etl(numbers):
    with ProcessPoolExecutor() as executor:
        return list(executor.map(lambda x: x * x, numbers))
```

## Use instead
Define the function at module level in a module the flow imports:
```python
from concurrent.futures import ProcessPoolExecutor

from prefect import flow

from helpers import square


@flow
def etl(numbers):
    with ProcessPoolExecutor() as executor:
        return list(executor.map(square, numbers))
```

## Fix safety
There is no automatic fix: moving the function to an importable module of the project
(or to the module's top level, on Prefect 3) is a change of layout to make by hand.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from ..findings import Finding, Severity
from ..prefect_model import Body
from .base import RuleContext, brief

CODE = "PP205"
NAME = "process-pool-in-task"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")

_POOLS = {
    "multiprocessing.Pool", "multiprocessing.pool.Pool",
    "concurrent.futures.ProcessPoolExecutor", "concurrent.futures.process.ProcessPoolExecutor",
}
_PROCESSES = {
    "multiprocessing.Process", "multiprocessing.context.Process", "multiprocessing.context.SpawnProcess",
    "multiprocessing.context.ForkServerProcess", "multiprocessing.context.ForkProcess",
}
_CONTEXT_METHODS = {
    "multiprocessing.context.SpawnProcess": "spawn", "multiprocessing.context.ForkServerProcess": "forkserver",
    "multiprocessing.context.ForkProcess": "fork",
}
_GET_CONTEXT = "multiprocessing.get_context"
_HAND_OVERS = frozenset("map imap imap_unordered starmap apply apply_async map_async starmap_async submit".split())
_LOCAL = (
    "Pickle sends a function by module and name for the child to import, and a local object has none. "
    "Define it at module level, in a module the flow imports."
)
_TASK = (
    "The module attribute of a task is the Task object, not the function, so pickle cannot find the "
    "function by name. Give the pool an undecorated function from a module the flow imports."
)
_PREFECT2_LOADER = (
    "A Prefect 2 worker loads the flow's file as module `__prefect_loader__` and removes it from "
    "`sys.modules`, so pickle cannot find the function by name. Move it to a module the flow imports."
)
_SPAWN_ONLY = (
    " A forked child inherits the target; spawn is the default on macOS and Windows, forkserver on "
    "Linux from Python 3.14."
)


@dataclass(frozen=True)
class Built:
    """What an expression builds: a process pool, a `Process`, or a multiprocessing context."""

    kind: str
    method: str | None
    """The start method, when the code names it (None: the platform's default)."""


@dataclass(frozen=True)
class HandOver:
    api: ast.expr
    function: ast.expr
    pickled_always: bool
    """Pools pickle under every start method; `Process` only under spawn and forkserver."""
    method: str | None


def check(ctx: RuleContext) -> Iterator[Finding]:
    if "multiprocessing" not in ctx.source.text and "ProcessPoolExecutor" not in ctx.source.text:
        return
    for body in ctx.model.bodies:
        scope = _BodyScope(ctx, body)
        for hand_over in scope.hand_overs():
            if not hand_over.pickled_always and hand_over.method == "fork":
                continue
            found = scope.unpicklable(hand_over.function)
            if found is not None:
                anchor, what, why = found
                yield ctx.finding(anchor, _message(ctx, hand_over, what, why))


class _BodyScope:
    """The names a task or flow body binds, and the process-pool calls in it."""

    def __init__(self, ctx: RuleContext, body: Body) -> None:
        self.ctx = ctx
        self.body = body
        functions = [body.node, *body.enclosing]
        self.locals = set().union(*(ctx.model.analysis(f).local_names for f in functions))
        self.values: dict[str, ast.expr] = {}
        self.nested: set[str] = set()
        for node in (n for f in functions for n in ast.walk(f)):
            self._bind(node)
        self.nested.discard(body.node.name)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.nested.add(node.name)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.values[node.targets[0].id] = node.value
        elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            self.values[node.optional_vars.id] = node.context_expr

    def hand_overs(self) -> Iterator[HandOver]:
        for node in ast.walk(self.body.node):
            if isinstance(node, ast.Call):
                found = self._hand_over(node)
                if found is not None:
                    yield found

    def _hand_over(self, call: ast.Call) -> HandOver | None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _HAND_OVERS:
            built = self.built(func.value)
            function = call.args[0] if call.args else _keyword(call, "func", "fn")
            if built is not None and built.kind == "pool" and function is not None:
                return HandOver(func, function, True, built.method)
        built = self.built(call)
        target = _keyword(call, "target") or (call.args[1] if len(call.args) > 1 else None)
        if built is not None and built.kind == "process" and target is not None:
            return HandOver(func, target, False, built.method)
        return None

    def built(self, node: ast.expr, depth: int = 0) -> Built | None:
        if depth > 4:
            return None
        if isinstance(node, ast.Name):
            value = self.values.get(node.id)
            if value is None and node.id not in self.locals:
                value = self.ctx.types.module_values.get(node.id)
            return self.built(value, depth + 1) if value is not None else None
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("Pool", "Process"):
            owner = self.built(func.value, depth + 1)
            if owner is not None and owner.kind == "context":
                return Built("pool" if func.attr == "Pool" else "process", owner.method)
        qualname = self._qualname(func)
        if qualname == _GET_CONTEXT:
            return Built("context", _constant(node.args[0] if node.args else _keyword(node, "method")))
        if qualname in _POOLS:
            context = _keyword(node, "mp_context")
            owner = self.built(context, depth + 1) if context is not None else None
            return Built("pool", owner.method if owner is not None else None)
        if qualname in _PROCESSES:
            return Built("process", _CONTEXT_METHODS.get(qualname))
        return None

    def _qualname(self, node: ast.expr) -> str | None:
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in self.locals:
            return None  # a local name, not the module's import
        return self.ctx.model.qualname(node, node.lineno)

    def unpicklable(self, function: ast.expr) -> tuple[ast.expr, str, str] | None:
        """The function pickle cannot send (the anchor), what it is, and why."""
        if isinstance(function, ast.Lambda):
            return function, "A lambda", _LOCAL
        if isinstance(function, ast.Call) and function.args and self._qualname(function.func) == "functools.partial":
            return self.unpicklable(function.args[0])
        if not isinstance(function, ast.Name):
            return None
        name = function.id
        if name in self.nested or isinstance(self.values.get(name), ast.Lambda):
            return function, f"Nested function `{brief(name, 20)}`", _LOCAL
        if name in self.locals:
            return None
        model = self.ctx.model
        major = self.ctx.contexts.major
        loaded_by_prefect2 = major == "2" and bool(model.flow_names)
        if name in model.task_names and name in model.bodies_by_name and major != "1":
            return function, f"Task `{brief(name, 20)}`", _PREFECT2_LOADER if loaded_by_prefect2 else _TASK
        if loaded_by_prefect2 and name in self.ctx.types.functions and name not in model.flow_names:
            return function, f"`{brief(name, 20)}` of a Prefect 2 flow module", _PREFECT2_LOADER
        return None


def _message(ctx: RuleContext, hand_over: HandOver, what: str, why: str) -> str:
    if hand_over.pickled_always:
        when = "under any start method"
    elif hand_over.method is None:
        when = "under spawn or forkserver"
    else:
        when = f"under {hand_over.method}"
    api = ctx.text(hand_over.api)
    if len(api) > 24 and isinstance(hand_over.api, ast.Attribute):
        api = f"...{hand_over.api.attr}"
    first = f"{what} cannot be pickled for `{api}` {when}."
    if len(first) > 100:
        first = f"{what} cannot be pickled for a child process {when}."
    extra = _SPAWN_ONLY if not hand_over.pickled_always and hand_over.method is None else ""
    return f"{first} {why}{extra}"


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg in names), None)


def _constant(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
