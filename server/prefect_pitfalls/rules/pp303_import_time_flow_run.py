"""## What it does
Checks for modules that run, serve, deploy or register a flow when imported.
It reports a flow call, `flow.run()`, `flow.serve()`, `flow.deploy()`,
`flow.register()` or `prefect.serve(...)` at module level, outside an
`if __name__ == "__main__":` block.

## Why is this bad?
Prefect imports a flow's module to find the flow: a worker loading a
deployment's entrypoint, `prefect deploy`, the test suite, another flow that
imports a task from it. Every such import then starts a full flow run (or a
long-running `serve()` that never returns), with side effects and a hang where
a plain import was expected. With no API configured, Prefect 3 even starts a
temporary server for it.

## Example
```python
from prefect import flow


@flow
def etl():
    ...


etl()
```

## Use instead
```python
from prefect import flow


@flow
def etl():
    ...


if __name__ == "__main__":
    etl()
```

## Fix safety
Wrapping an expression statement in an `if __name__ == "__main__":` block is
safe. Wrapping an assignment (`result = etl()`) is offered as unsafe, because
the names it binds no longer exist when the module is imported.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..findings import Applicability, Finding, Fix, Severity
from ..fixes.edits import wrap_in_main_guard
from ..prefect_model import PrefectModel, is_flow_class, is_flow_decorator
from .base import RuleContext

CODE = "PP303"
NAME = "import-time-flow-run"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "safe or unsafe"

_FLOW_METHODS_2 = {"serve", "deploy"}
_FLOW_METHODS_1 = {"run", "register", "run_agent", "serve"}
_RUNNING_FUNCTIONS = {
    "prefect.serve", "prefect.deploy", "prefect.flows.serve",
    "prefect.deployments.serve", "prefect.deployments.deploy",
    "prefect.deployments.runner.serve", "prefect.deployments.runner.deploy",
}


def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    for statement in _import_time_statements(ctx.source.tree.body):
        for call in _calls(statement):
            what = _flow_run(model, call)
            if what:
                yield ctx.finding(call, f"{what} when the module is imported", _fix(ctx, statement))


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, nested blocks included, except `__main__` blocks."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(statement, ast.If) and _is_main_guard(statement.test):
            yield from _import_time_statements(statement.orelse)
            continue
        yield statement
        for name in ("body", "orelse", "finalbody"):
            yield from _import_time_statements(getattr(statement, name, None) or [])
        for handler in getattr(statement, "handlers", None) or []:
            yield from _import_time_statements(handler.body)
        for case in getattr(statement, "cases", None) or []:
            yield from _import_time_statements(case.body)


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _calls(statement: ast.stmt) -> Iterator[ast.Call]:
    """Calls a statement itself evaluates: not those of its nested blocks or lambdas."""
    if isinstance(statement, (ast.If, ast.While)):
        roots: list[ast.AST] = [statement.test]
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        roots = [statement.iter]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        roots = list(statement.items)
    elif isinstance(statement, ast.Match):
        roots = [statement.subject]
    elif isinstance(statement, ast.Try) or hasattr(ast, "TryStar") and isinstance(statement, ast.TryStar):
        roots = []
    else:
        roots = [statement]
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _flow_run(model: PrefectModel, call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in model.flow_names:
        return f"Flow `{func.id}` runs"
    if isinstance(func, ast.Call) and _is_with_options_of_flow(model, func):
        return f"Flow `{func.func.value.id}` runs"
    if isinstance(func, ast.Attribute):
        receiver = func.value
        if isinstance(receiver, ast.Name):
            if receiver.id in model.flow_names and func.attr in _FLOW_METHODS_2:
                return f"Flow `{receiver.id}` is {_verb(func.attr)}"
            if receiver.id in {f.name for f in model.flow_objects} and func.attr in _FLOW_METHODS_1:
                return f"Flow `{receiver.id}` is {_verb(func.attr)}"
        if isinstance(receiver, ast.Call):
            if func.attr in _FLOW_METHODS_1 and is_flow_class(model.qualname(receiver.func, receiver.lineno)):
                return f"A `Flow` is {_verb(func.attr)}"
            if func.attr in _FLOW_METHODS_2 and _builds_flow(model, receiver):
                return f"A flow is {_verb(func.attr)}"
    qualname = model.prefect_qualname(func, call.lineno)
    if qualname in _RUNNING_FUNCTIONS:
        return f"`{qualname.rsplit('.', 1)[1]}()` starts serving or deploying flows"
    return None


def _builds_flow(model: PrefectModel, call: ast.Call) -> bool:
    """`my_flow.with_options(...)` or `flow.from_source(...)`: calls that return a flow."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "with_options":
        return _is_with_options_of_flow(model, call)
    return func.attr == "from_source" and (
        is_flow_decorator(model.qualname(func.value, call.lineno))
        or isinstance(func.value, ast.Name) and func.value.id in model.flow_names
    )


def _is_with_options_of_flow(model: PrefectModel, call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "with_options"
        and isinstance(func.value, ast.Name)
        and func.value.id in model.flow_names
    )


def _verb(method: str) -> str:
    return {"run": "run", "register": "registered", "serve": "served", "deploy": "deployed", "run_agent": "served by an agent"}[method]


def _fix(ctx: RuleContext, statement: ast.stmt) -> Fix | None:
    if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match)):
        return None  # the call is in a block header; wrapping the whole block is the user's call
    edit = wrap_in_main_guard(ctx.source, statement)
    if edit is None:
        return None
    safe = isinstance(statement, ast.Expr)
    return Fix(
        'Wrap in `if __name__ == "__main__":`',
        Applicability.SAFE if safe else Applicability.UNSAFE,
        (edit,),
    )
