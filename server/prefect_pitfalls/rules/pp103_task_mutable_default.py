"""## What it does
Checks for task and flow parameters with a mutable default that the body mutates.
Mutable defaults are list, dict and set displays and comprehensions, and calls of
`list()`, `dict()`, `set()`, `bytearray()` and the `collections` containers. For Prefect 1 `Task`
classes the parameters are those of `run()`.

## Why is this bad?
Python evaluates a default once, when the function is defined, and every call
that omits the argument shares that one object. A task that appends to its
default list therefore carries data from one run into the next within a
process, while a fresh worker process starts again from an empty list: results
then depend on where and in which order runs happened.

## Example
```python
from prefect import task


@task
def collect(item, seen=[]):
    seen.append(item)
    return seen
```

## Use instead
```python
from prefect import task


@task
def collect(item, seen=None):
    if seen is None:
        seen = []
    seen.append(item)
    return seen
```

## Fix safety
The fix is safe: it replaces the default with `None` and creates the object at
the start of the body, after the docstring, when the argument is `None`. Type
annotations are left as they are.
"""

from __future__ import annotations

import ast
from typing import Iterator

from ..analysis import Write, mutable_kind, parameter_defaults
from ..findings import Applicability, Edit, Finding, Fix, Severity
from ..fixes.edits import insert_at_body_start
from ..prefect_model import FunctionNode
from .base import RuleContext

CODE = "PP103"
NAME = "task-mutable-default"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "safe"


def check(ctx: RuleContext) -> Iterator[Finding]:
    for body in ctx.model.bodies:
        function = body.node
        mutable = {
            parameter.arg: default
            for parameter, default in parameter_defaults(function)
            if mutable_kind(default, lambda n: ctx.model.qualname(n), set()) is not None
        }
        if not mutable:
            continue
        analysis = ctx.model.analysis(function)
        mutated: dict[str, Write] = {}
        for write in analysis.writes:
            name = _mutated_parameter(write, mutable, analysis.scope.stores)
            if name is not None:
                mutated.setdefault(name, write)
        for name, write in mutated.items():
            default = mutable[name]
            yield ctx.finding(
                default,
                f"{body.kind.capitalize()} `{body.name}` mutates `{name}`, "
                "whose default is shared by every run in a process",
                _fix(ctx, function, name, default),
            )


def _mutated_parameter(
    write: Write, mutable: dict[str, ast.expr], stores: dict[str, list[ast.Name]]
) -> str | None:
    root = write.root
    if not isinstance(root, ast.Name) or root.id not in mutable or write.resolve() != "param":
        return None
    if not write.chain and write.kind in ("store", "delete"):
        return None  # rebinding the parameter is not mutating the default
    position = (write.target.lineno, write.target.col_offset)
    rebound_before = any((store.lineno, store.col_offset) < position for store in stores.get(root.id, ()))
    return None if rebound_before else root.id


def _fix(ctx: RuleContext, function: FunctionNode, name: str, default: ast.expr) -> Fix | None:
    source = ctx.source
    guard = [f"if {name} is None:", f"{source.indent_unit}{name} = {ctx.text(default)}"]
    insertion = insert_at_body_start(source, function, guard)
    if insertion is None:
        return None
    edits = (Edit(source.span(default), "None"), insertion)
    return Fix(f"Use `None` as the default of `{name}` and create it in the body", Applicability.SAFE, edits)
