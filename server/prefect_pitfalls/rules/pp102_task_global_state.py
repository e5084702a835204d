"""## What it does
Checks for task and flow bodies that keep state in the module. It reports
rebinding a `global` or `nonlocal` name, or mutating a module-level list, dict, set,
`collections` container, `SimpleNamespace` or instance of a class defined in the
module (`SEEN.append(x)`, `CACHE[key] = value`, `STATS.count += 1`), or setting an
attribute of an imported module (`settings.mode = "fast"`, `setattr(settings, ...)`).

## Why is this bad?
Each task run must be treated as running in a fresh process. Workers, task
runners, retries and subflow runs import the module anew, so a counter or cache
kept in a module global starts empty on every worker, differs between parallel
runs, and is lost when a flow is retried. It works locally, where one process
runs the whole flow, and breaks in production.

## Example
```python
from prefect import flow, task

SEEN = []


@task
def remember(item):
    SEEN.append(item)
    return len(SEEN)
```

## Use instead
Pass state in as parameters and return it, or keep it in an external store
(a Prefect `Variable`, a Block, a database), which is what the fix does:
```python
from prefect import flow, task
from prefect.variables import Variable

SEEN = []


@task
def remember(item):
    SEEN = Variable.get("flows-seen", default=[])
    SEEN.append(item)
    Variable.set("flows-seen", SEEN, overwrite=True)
    return len(SEEN)
```

## Fix safety
The fix is unsafe: it moves the value into an external store, where it now lives across
runs and workers. On Prefect 3 it is a `Variable` (key `<module>-<name>`), on Prefect 1
the KV store, which works only with Prefect Cloud as the backend. The `global` statement
becomes a load of the value (the module-level value is the default) and each statement
that changes it is followed by a save. It is offered only for a JSON value changed by
plain statements of the task or flow itself; not on Prefect 2 (variables there are
read-only before 2.17 and store strings after).
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from ..analysis import Write
from ..findings import Finding, Fix, Severity
from ..fixes.store import global_parameter_fix, global_state_fix
from ..prefect_model import Body
from ..source import any_between
from .base import RuleContext

CODE = "PP102"
NAME = "task-global-state"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "unsafe"


def check(ctx: RuleContext) -> Iterator[Finding]:
    reported: set[tuple[int, int]] = set()
    mentions = _candidate_lines(ctx)
    for body in ctx.model.bodies:
        if not any_between(mentions, body.node.lineno, body.node.end_lineno):
            continue
        closure_names = set().union(*(ctx.model.analysis(f).local_names for f in body.enclosing))
        for write in ctx.model.analysis(body.node).writes:
            if not isinstance(write.root, ast.Name):
                continue
            result = _module_state_write(ctx, write, closure_names)
            if result is None:
                continue
            anchor, what, detail = result
            key = (anchor.lineno, anchor.col_offset)
            if key not in reported:
                reported.add(key)
                alternative = _parameter_fix(ctx, body, write)
                yield ctx.finding(anchor, _message(body, what, detail), _store_fix(ctx, body, write), alternative)


def _candidate_pattern(ctx: RuleContext) -> re.Pattern[str]:
    """Text every body that could write module state must contain: a cheap pre-filter."""
    alternatives = [r"\b(?:global|nonlocal|setattr|delattr)\b"]
    if ctx.model.module_mutables:
        alternatives.append(r"\b(?:%s)\b" % "|".join(map(re.escape, ctx.model.module_mutables)))
    if ctx.model.imports.module_names:
        modules = "|".join(map(re.escape, ctx.model.imports.module_names))
        alternatives.append(r"\b(?:%s)\s*\.\s*\w+\s*(?:[-+*/%%@&|^]|<<|>>|\*\*|//)?=(?!=)" % modules)
        alternatives.append(r"\bdel\b")
    return re.compile("|".join(alternatives))


def _candidate_lines(ctx: RuleContext) -> list[int]:
    """Lines with text any write of module state needs; most modules have none."""
    source = ctx.source
    offsets = [m.start() for m in _candidate_pattern(ctx).finditer(source.text)]
    return [source.line_column(offset)[0] for offset in offsets]


def _module_state_write(ctx: RuleContext, write: Write, closure_names: set[str]) -> tuple[ast.AST, str, str] | None:
    """The anchor of a write of module state, what it does, and how (a sentence, or "")."""
    name = write.root.id
    resolution = write.resolve()
    if resolution in ("local", "param"):
        return None
    if write.rebinds_name:
        if resolution == "global":
            return write.target, f"rebinds global `{name}`", ""
        if resolution == "enclosing":
            return write.target, f"rebinds nonlocal `{name}`", "It belongs to an enclosing function."
        return None
    if resolution == "enclosing" or (resolution == "free" and name in closure_names):
        return None
    kind = ctx.model.module_mutables.get(name)
    if kind is not None:
        return write.root, f"mutates module-level `{name}`", f"`{name}` ({kind}) is changed through {_how(ctx, write)}."
    if name in ctx.model.imports.module_names:
        if write.kind == "setattr" and not write.chain:
            return write.root, f"sets an attribute of module `{name}`", "It is changed through `setattr()`."
        attribute = write.chain[0] if len(write.chain) == 1 else None
        if isinstance(attribute, ast.Attribute) and write.kind in ("store", "augstore", "delete"):
            return attribute, f"changes `{name}.{attribute.attr}`", f"`{name}` is a module."
    return None


def _store_fix(ctx: RuleContext, body: Body, write: Write) -> Fix | None:
    """Move a module-level value that only this body changes into the external store."""
    if body.task_class is not None or not isinstance(write.root, ast.Name):
        return None
    name = write.root.id
    if name not in ctx.model.module_mutables and not (write.rebinds_name and write.resolve() == "global"):
        return None
    module = ctx.path.name if ctx.path else "module.py"
    return global_state_fix(ctx.source, ctx.model, body.node, name, module, ctx.installed_prefect())


def _parameter_fix(ctx: RuleContext, body: Body, write: Write) -> tuple[Fix, ...]:
    if body.task_class is not None or not isinstance(write.root, ast.Name):
        return ()
    fix = global_parameter_fix(ctx.source, ctx.model, body.node, write.root.id)
    return (fix,) if fix else ()


def _how(ctx: RuleContext, write: Write) -> str:
    if write.kind == "call" and isinstance(write.site, ast.Call) and isinstance(write.site.func, ast.Attribute):
        return f"`.{write.site.func.attr}()`"
    if write.kind == "setattr":
        return "`setattr()`"
    if write.kind == "delete":
        return f"`del {ctx.text(write.target)}`"
    return f"`{ctx.text(write.target)}`"


def _message(body: Body, what: str, detail: str) -> str:
    message = f"{body.kind.capitalize()} `{body.name}` {what}: not shared across workers or retries"
    return f"{message}. {detail}" if detail else message
