"""## What it does
Checks for modules that run, serve, deploy or register a flow when imported.
It reports a flow call, `flow.run()`, `flow.serve()`, `flow.deploy()`,
`flow.register()`, `prefect.serve(...)`, `prefect.deploy(...)`,
`flow.from_source(...).deploy(...)`, Prefect 2's
`Deployment.build_from_flow(..., apply=True)` and the `.apply()` of a deployment
built with `Deployment.build_from_flow(...)`, `Deployment(...)` or
`flow.to_deployment(...)` at module level, outside an
`if __name__ == "__main__":` block. Building a deployment object alone
(`flow.to_deployment(...)`) registers nothing and is not reported.

## Why is this bad?
Prefect imports a flow's module to find the flow: a worker loading a
deployment's entrypoint, `prefect deploy`, the test suite, another flow that
imports a task from it. Every such import then starts a full flow run (or a
long-running `serve()` that never returns), with side effects and a hang where
a plain import was expected. A deployment applied at import is registered again
each time a worker loads the flow to run it, overwriting its schedule and
parameters with whatever the worker's copy of the code says. With no API configured, Prefect 3 even starts a
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
the names it binds no longer exist when the module is imported. For
`deployment.apply()`, the statement that builds `deployment` moves into the block
with it when it comes right before and nothing else uses the name (unsafe, for
the same reason).
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..analysis import is_main_guard
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


_DEPLOYMENT_BUILDERS = {
    "prefect.deployments.Deployment.build_from_flow", "prefect.deployments.deployments.Deployment.build_from_flow",
    "prefect.deployments.Deployment", "prefect.deployments.deployments.Deployment",
}


def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    deployments = _module_deployments(model, ctx.source.tree.body)
    for statement in _import_time_statements(ctx.source.tree.body):
        for call in _calls(statement):
            what = _flow_run(model, call) or _deployment_applied(model, call, deployments)
            if what:
                yield ctx.finding(call, f"{what} when the module is imported", _fix(ctx, statement, call, deployments))


def _module_deployments(model: PrefectModel, body: list[ast.stmt]) -> dict[str, ast.Assign]:
    """Module-level names bound to a deployment object, with the statement that builds it."""
    found = {}
    for statement in body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
            if isinstance(statement.value, ast.Call) and _builds_deployment(model, statement.value):
                found[statement.targets[0].id] = statement
    return found


def _builds_deployment(model: PrefectModel, call: ast.Call) -> bool:
    """`Deployment.build_from_flow(...)`, `Deployment(...)` (Prefect 2) or `my_flow.to_deployment(...)`."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "to_deployment":
        return isinstance(func.value, ast.Name) and func.value.id in model.flow_names or (
            isinstance(func.value, ast.Call) and _builds_flow(model, func.value)
        )
    return model.prefect_qualname(func, call.lineno) in _DEPLOYMENT_BUILDERS


def _deployment_applied(model: PrefectModel, call: ast.Call, deployments: dict[str, ast.Assign]) -> str | None:
    func = call.func
    qualname = model.prefect_qualname(func, call.lineno) or ""
    if qualname.endswith("Deployment.build_from_flow") and _keyword_true(call, "apply"):
        return "`Deployment.build_from_flow(..., apply=True)` registers a deployment"
    if not (isinstance(func, ast.Attribute) and func.attr == "apply" and not call.args):
        return None
    receiver = func.value
    if isinstance(receiver, ast.Name) and receiver.id in deployments:
        return f"Deployment `{receiver.id}` is applied (registered)"
    if isinstance(receiver, ast.Call) and _builds_deployment(model, receiver):
        return "A deployment is applied (registered)"
    return None


def _keyword_true(call: ast.Call, name: str) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, nested blocks included, except `__main__` blocks."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(statement, ast.If) and is_main_guard(statement.test):
            yield from _import_time_statements(statement.orelse)
            continue
        yield statement
        for name in ("body", "orelse", "finalbody"):
            yield from _import_time_statements(getattr(statement, name, None) or [])
        for handler in getattr(statement, "handlers", None) or []:
            yield from _import_time_statements(handler.body)
        for case in getattr(statement, "cases", None) or []:
            yield from _import_time_statements(case.body)


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


def _building(ctx: RuleContext, statement: ast.stmt, call: ast.Call, deployments: dict[str, ast.Assign]) -> list[ast.stmt]:
    """The statement building the deployment that ``call`` applies, when it comes right before
    ``statement`` and the name is used nowhere else: it belongs in the block too."""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if not isinstance(receiver, ast.Name) or receiver.id not in deployments:
        return []
    built = deployments[receiver.id]
    body = ctx.source.tree.body
    if built not in body or statement not in body or body.index(statement) != body.index(built) + 1:
        return []
    uses = [n for n in ast.walk(ctx.source.tree) if isinstance(n, ast.Name) and n.id == receiver.id]
    return [built] if len(uses) == 2 else []


def _verb(method: str) -> str:
    return {"run": "run", "register": "registered", "serve": "served", "deploy": "deployed", "run_agent": "served by an agent"}[method]


def _fix(ctx: RuleContext, statement: ast.stmt, call: ast.Call, deployments: dict[str, ast.Assign]) -> Fix | None:
    if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Match)):
        return None  # the call is in a block header; wrapping the whole block is the user's call
    statements = [*_building(ctx, statement, call, deployments), statement]
    edit = wrap_in_main_guard(ctx.source, statements)
    if edit is None:
        return None
    safe = all(isinstance(s, ast.Expr) for s in statements)
    return Fix(
        'Wrap in `if __name__ == "__main__":`',
        Applicability.SAFE if safe else Applicability.UNSAFE,
        (edit,),
    )
