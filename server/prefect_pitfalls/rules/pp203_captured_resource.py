"""## What it does
Checks for task and flow bodies that use a module-level resource where Prefect
really pickles the function by value, with the globals it uses.

The resource is a connection, an engine, a client, a lock or an open file created at
import time and reached from the body through:
- a module-level name of the module, or one imported from another module of the
  project (`from connections import WAREHOUSE`): the value goes with the function;
- a class of the module whose body creates it (`class Cache: client = redis.Redis()`),
  where the class itself goes by value, with all its attributes: when an
  infrastructure decorator ships the module, when Prefect 2 loads the module from its
  entrypoint (under a name it then drops), or when the module runs as a script.
  A worker that imports the module by name pickles the class by reference;
- a decorator of the module applied under `@task`/`@flow` whose wrapper closes over
  it (`tracer = sqlite3.connect(...)` in the decorator, `@guarded(LOCK)`): the task's
  function is the wrapper, pickled with its closure.

Prefect pickles the function through:
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

from ..analysis import all_args
from ..findings import Applicability, Finding, Fix, Severity
from ..fixes.edits import insert_at_body_start
from ..prefect_model import Body, FunctionNode, assigned_values, is_flow_decorator, is_task_decorator
from ..serialization.contexts import Mechanism
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
    resources = _Resources(ctx)
    classes: dict[str, tuple[str, Unpicklable]] | None = None
    for body, mechanism in pickled:
        if mechanism is None:
            continue
        yield from _global_resources(ctx, body, mechanism, resources)
        classes_by_value = _classes_by_value(ctx, mechanism)
        if classes_by_value:
            classes = _class_attribute_resources(ctx) if classes is None else classes
            yield from _class_resources(ctx, body, mechanism, classes_by_value, classes)
        yield from _decorator_resources(ctx, body, mechanism, resources)


class _Resources:
    """What each global a pickled function uses holds, asked once per name."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        values = ctx.types.module_values
        imports = ctx.model.imports
        imported = {name for name in imports.bindings if name not in imports.module_names} | imports.relative_names
        self.names = {n for n, v in values.items() if isinstance(v, ast.Call)} | (imported - values.keys())
        self._found: dict[str, tuple[ast.Call | None, Unpicklable] | None] = {}

    def of(self, name: str) -> tuple[ast.Call | None, Unpicklable] | None:
        """The call that built the module-level resource (None: imported) and its table entry."""
        if name not in self._found:
            value = self.ctx.types.module_values.get(name)
            line = value.lineno if value is not None else self.ctx.model.imports.bindings[name][-1].line
            # Asked about the name, not the call: `ssh = SSHClient()` counts once `ssh.connect()` is called.
            entry = self.ctx.types.unpicklable(ast.Name(name, ast.Load(), lineno=line, col_offset=0), None)
            self._found[name] = (value if isinstance(value, ast.Call) else None, entry) if entry is not None else None
        return self._found[name]


def _global_resources(ctx: RuleContext, body: Body, mechanism: Mechanism, resources: _Resources) -> Iterator[Finding]:
    for name, use in _first_uses(ctx, body, resources.names):
        found = resources.of(name)
        if found is not None:
            value, entry = found
            local = value is not None
            what = f"module-level `{brief(name, 24)}`" if local else f"`{brief(name, 24)}` from `{brief(_module_of(ctx, name), 24)}`"
            fix = _fix(ctx, body, name, value) if local else None
            yield ctx.serialization_finding(use, mechanism, what, entry, fix)


def _module_of(ctx: RuleContext, name: str) -> str:
    """The module a name is imported from, as written (`.connections` for a relative import)."""
    qualname = ctx.model.imports.resolve_name(name)
    return qualname.rpartition(".")[0] if qualname else "the package"


def _classes_by_value(ctx: RuleContext, mechanism: Mechanism) -> str:
    """Why the module's classes are pickled by value, with all their attributes ("": they go by
    reference, as in a module a worker imports by name)."""
    if mechanism.ships_module:
        return " The module's classes go by value, with all their attributes."
    if ctx.contexts.major == "2" and any(body.kind == "flow" for body in ctx.model.bodies):
        return " Prefect 2 loads a flow's module under a name it then drops, so its classes go by value."
    if ctx.model.runs_as_script:
        return " Run as a script, the module's classes are pickled by value, with all their attributes."
    return ""


def _class_resources(
    ctx: RuleContext, body: Body, mechanism: Mechanism, why: str, resources: dict[str, tuple[str, Unpicklable]]
) -> Iterator[Finding]:
    """A module class with `client = redis.Redis()` in its body: where the class goes by value, any
    use of it ships the resource."""
    for name, use in _first_uses(ctx, body, set(resources)) if resources else ():
        attribute, entry = resources[name]
        what = f"class `{brief(name, 24)}` (attribute `{brief(attribute, 24)}`)"
        yield ctx.serialization_finding(use, mechanism, what, entry, advice=why)


def _class_attribute_resources(ctx: RuleContext) -> dict[str, tuple[str, Unpicklable]]:
    """Module-level classes that assign a resource in their own body: its attribute and table entry."""
    found = {}
    for statement, _ in ctx.model.module_statements:
        if not isinstance(statement, ast.ClassDef) or statement.name in ctx.types.module_values:
            continue
        for attribute, value in (pair for item in statement.body for pair in assigned_values(item)):
            entry = ctx.types.unpicklable(value, None)
            if entry is not None:
                found[statement.name] = (attribute, entry)
                break
    return found


def _decorator_resources(ctx: RuleContext, body: Body, mechanism: Mechanism, resources: _Resources) -> Iterator[Finding]:
    """A decorator of this module applied under `@task`/`@flow`: the task's function is the
    wrapper it returns, pickled with the cells and globals it closes over."""
    for decorator in _inner_decorators(ctx, body):
        factory_name = (decorator.func if isinstance(decorator, ast.Call) else decorator).id
        for name, entry, anchor in _closed_over(ctx, ctx.types.functions[factory_name], decorator, resources):
            what = f"`{brief(name, 24)}` in the closure of decorator `{brief(factory_name, 24)}`"
            yield ctx.serialization_finding(anchor, mechanism, what, entry)


def _inner_decorators(ctx: RuleContext, body: Body) -> list[ast.Name | ast.Call]:
    """Decorators listed below Prefect's that are functions of this module: `@traced`, `@traced(conn)`."""
    decorators = body.node.decorator_list
    prefect = next((i for i, d in enumerate(decorators) if _is_prefect_decorator(ctx, d)), None)
    if prefect is None:
        return []
    inner = []
    for decorator in decorators[prefect + 1 :]:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Name) and target.id in ctx.types.functions and ctx.model.qualname(target, decorator.lineno) is None:
            inner.append(decorator)
    return inner


def _is_prefect_decorator(ctx: RuleContext, decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    qualname = ctx.model.qualname(target, decorator.lineno)
    return is_task_decorator(qualname) or is_flow_decorator(qualname)


def _closed_over(
    ctx: RuleContext, factory: FunctionNode, decorator: ast.Name | ast.Call, resources: _Resources
) -> Iterator[tuple[str, Unpicklable, ast.AST]]:
    """(name, table entry, anchor) for each resource the wrapper a decorator returns captures:
    locals of the enclosing functions, the decorator call's arguments, and module globals."""
    chain = _wrapper_chain(factory, called=isinstance(decorator, ast.Call))
    if chain is None:
        return
    wrapper = chain[-1]
    arguments = _arguments(factory, decorator) if isinstance(decorator, ast.Call) else {}
    seen = set()
    for use in _free_uses(ctx, wrapper.body, _loaded_names(wrapper), frozenset(ctx.model.analysis(wrapper).local_names)):
        if use.id in seen:
            continue
        seen.add(use.id)
        entry, anchor = _enclosing_resource(ctx, chain[:-1], use.id, arguments)
        if entry is None and anchor is None and use.id in resources.names and resources.of(use.id) is not None:
            entry = resources.of(use.id)[1]
        if entry is not None:
            yield use.id, entry, anchor or decorator


def _wrapper_chain(factory: FunctionNode, called: bool) -> list[FunctionNode] | None:
    """[factory, (decorator,) wrapper]: each returns the nested function that follows it."""
    chain = [factory]
    for _ in range(2 if called else 1):
        returned = _returned_function(chain[-1])
        if returned is None:
            return None
        chain.append(returned)
    return chain


def _returned_function(function: FunctionNode) -> FunctionNode | None:
    nested = {s.name: s for s in function.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returned = [s.value for s in ast.walk(function) if isinstance(s, ast.Return) and isinstance(s.value, ast.Name)]
    return next((nested[r.id] for r in returned if r.id in nested), None)


def _arguments(factory: FunctionNode, call: ast.Call) -> dict[str, ast.expr]:
    positional = [a.arg for a in (*factory.args.posonlyargs, *factory.args.args)]
    found = {name: value for name, value in zip(positional, call.args) if not isinstance(value, ast.Starred)}
    found.update({k.arg: k.value for k in call.keywords if k.arg is not None})
    return found


def _enclosing_resource(
    ctx: RuleContext, chain: list[FunctionNode], name: str, arguments: dict[str, ast.expr]
) -> tuple[Unpicklable | None, ast.AST | None]:
    """What an enclosing function binds ``name`` to, innermost first, with the decorator call's
    argument as anchor when it is one. (None, None): no enclosing function binds it."""
    for depth, function in reversed(list(enumerate(chain))):
        if name in {a.arg for a in all_args(function.args)}:
            argument = arguments.get(name) if depth == 0 else None
            return (ctx.types.unpicklable(argument, None), argument) if argument is not None else (None, function)
        values = [v for s in function.body for n, v in assigned_values(s) if n == name]
        if values:
            return ctx.types.unpicklable(values[-1], function), None
    return None, None


def _loaded_names(function: FunctionNode) -> set[str]:
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _first_uses(ctx: RuleContext, body: Body, names: set[str]) -> list[tuple[str, ast.Name]]:
    """The first use of each of ``names`` in a body, in source order."""
    first_uses: dict[str, ast.Name] = {}
    shadowed = frozenset(ctx.model.analysis(body.node).local_names)
    for use in _free_uses(ctx, body.node.body, names, shadowed):
        current = first_uses.get(use.id)
        if current is None or (use.lineno, use.col_offset) < (current.lineno, current.col_offset):
            first_uses[use.id] = use
    return sorted(first_uses.items(), key=lambda item: (item[1].lineno, item[1].col_offset))


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
