"""## What it does
Checks for Prefect 1 `Task` subclasses that keep state between runs. It reports
every write to instance or class state in `run()` or in a method `run()` calls:
`self.count += 1`, `self.seen.append(x)`, `self.cache[key] = value`, `del self.x`,
`type(self).total = ...`.

## Why is this bad?
Prefect treats every task run as if it happened in a fresh environment. On a
Dask or Kubernetes worker the task object is deserialized from a copy, so
state written during one run is either lost before the next run or differs
between workers and retries. The code works on a laptop, where one process
runs everything, and silently misbehaves in production.

State written in `__init__` is build-time configuration and is fine.

## Example
```python
from prefect import Task


class CounterTask(Task):
    def __init__(self, **kwargs):
        self.counter = 0
        super().__init__(**kwargs)

    def run(self):
        self.counter += 1
        return self.counter
```

## Use instead
Keep the state outside the process, in Prefect's KV store (Prefect Cloud), a
`Variable` (Prefect 2/3), a Block or a database, or pass it in and return it. The fix
rewrites the example above to:
```python
from prefect import Task
from prefect.backend import get_key_value, set_key_value


class CounterTask(Task):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def run(self):
        try:
            counter = get_key_value("flows-countertask-counter")
        except ValueError:  # not stored yet
            counter = 0
        counter += 1
        set_key_value("flows-countertask-counter", counter)
        return counter
```

## Fix safety
The fix is unsafe: the value now lives in Prefect 1's KV store, which works only with
Prefect Cloud as the backend (values are JSON, at most 10 KB), and is shared by every
run. It is offered when `run()` alone uses the attribute, `__init__` sets it to a JSON
literal (which becomes the default), and every change is a plain statement; otherwise
there is no fix.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Iterator

from ..analysis import Write
from ..findings import Finding, Fix, Severity
from ..fixes.store import instance_parameter_fix, instance_state_fix
from ..prefect_model import FunctionNode, TaskClass
from .base import RuleContext

CODE = "PP101"
NAME = "task-instance-state"
SEVERITY = Severity.WARNING
VERSIONS = ("1",)
FIX = "unsafe"


def check(ctx: RuleContext) -> Iterator[Finding]:
    reported: set[tuple[int, int]] = set()
    for task_class in ctx.model.task_classes:
        for method, caller in _methods_run_reaches(task_class):
            self_name = _self_name(method)
            if self_name is None:
                continue
            for write in ctx.model.analysis(method).writes:
                anchor = _state_anchor(write, self_name, task_class)
                if anchor is None or (anchor.lineno, anchor.col_offset) in reported:
                    continue
                reported.add((anchor.lineno, anchor.col_offset))
                fix = _store_fix(ctx, task_class, anchor)
                alternative = _parameter_fix(ctx, task_class, anchor)
                yield ctx.finding(anchor, _message(ctx, task_class, method, caller, anchor), fix, alternative)


def _methods_run_reaches(task_class: TaskClass) -> Iterator[tuple[FunctionNode, str | None]]:
    """`run()` and every method it calls through `self.m()` or `super().m()`, transitively."""
    start = task_class.method("run")
    if start is None:
        return
    queue = deque([(start[0], start[1], None)])
    seen = {id(start[1])}
    while queue:
        owner, method, caller = queue.popleft()
        yield method, caller
        self_name = _self_name(method)
        for name, after in _called_methods(method, self_name):
            found = task_class.method(name, after=owner if after else None)
            if found and id(found[1]) not in seen:
                seen.add(id(found[1]))
                queue.append((found[0], found[1], method.name))


def _called_methods(method: FunctionNode, self_name: str | None) -> Iterator[tuple[str, bool]]:
    """(method name, whether it was called through super()) for each call on self."""
    for node in ast.walk(method):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id == self_name:
            yield node.func.attr, False
        elif isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id == "super":
            yield node.func.attr, True


def _self_name(method: FunctionNode) -> str | None:
    if any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list):
        return None
    positional = [*method.args.posonlyargs, *method.args.args]
    return positional[0].arg if positional else None


def _state_anchor(write: Write, self_name: str, task_class: TaskClass) -> ast.AST | None:
    """The `self.x` (or `Class.x`) expression a write changes, if it is task state."""
    root, chain = write.root, write.chain
    if isinstance(root, ast.Call):
        is_type_of_self = (
            isinstance(root.func, ast.Name)
            and root.func.id == "type"
            and len(root.args) == 1
            and isinstance(root.args[0], ast.Name)
            and root.args[0].id == self_name
        )
        return _first_attribute(chain) if is_type_of_self else None
    if not isinstance(root, ast.Name):
        return None
    resolution = write.resolve()
    if root.id == self_name and resolution == "param":
        if not chain:
            return write.site if write.kind == "setattr" else None
        if isinstance(chain[0], ast.Attribute) and chain[0].attr == "__class__":
            return _first_attribute(chain[1:])
        return _first_attribute(chain)
    class_names = {cls.name for cls in task_class.lineage}
    if root.id in class_names and resolution == "free":
        return write.site if not chain and write.kind == "setattr" else _first_attribute(chain)
    return None


def _store_fix(ctx: RuleContext, task_class: TaskClass, anchor: ast.AST) -> Fix | None:
    if not (isinstance(anchor, ast.Attribute) and isinstance(anchor.value, ast.Name)):
        return None  # class state, setattr(): rewrite by hand
    module = ctx.path.name if ctx.path else "module.py"
    return instance_state_fix(ctx.source, ctx.model, task_class, anchor.attr, module, ctx.installed_prefect())


def _parameter_fix(ctx: RuleContext, task_class: TaskClass, anchor: ast.AST) -> tuple[Fix, ...]:
    if not (isinstance(anchor, ast.Attribute) and isinstance(anchor.value, ast.Name)):
        return ()
    fix = instance_parameter_fix(ctx.source, task_class, anchor.attr)
    return (fix,) if fix else ()


def _first_attribute(chain: tuple[ast.expr, ...]) -> ast.expr | None:
    return chain[0] if chain and isinstance(chain[0], ast.Attribute) else None


def _message(
    ctx: RuleContext,
    task_class: TaskClass,
    method: FunctionNode,
    caller: str | None,
    anchor: ast.AST,
) -> str:
    state = ctx.text(anchor) if not isinstance(anchor, ast.Call) else f"{ctx.text(anchor.args[0])} attributes"
    message = f"Task `{task_class.name}` writes `{state}`: not kept between runs on workers"
    return message if caller is None else f"{message}. Written in `{method.name}()`, called from `{caller}()`."
