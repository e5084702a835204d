"""What is Prefect in a module: names that resolve to the `prefect` package, tasks, flows, version.

A name is Prefect's only when it resolves, through the module's imports and
aliases, to the `prefect` package; spelling alone (`from celery import task`,
a user class called `Task`) never counts.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Literal

from .analysis import AnalysisCache, FunctionAnalysis, is_main_guard, mutable_kind
from .source import ParsedSource

Style = Literal["1", "2/3"]
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_TASK_DECORATORS = {"prefect.task", "prefect.tasks.task", "prefect.utilities.tasks.task"}
_FLOW_DECORATORS = {"prefect.flow", "prefect.flows.flow"}
_TASK_CLASSES = {"prefect.Task", "prefect.core.Task", "prefect.core.task.Task", "prefect.tasks.Task"}
_FLOW_CLASSES = {"prefect.Flow", "prefect.core.Flow", "prefect.core.flow.Flow"}
# Names `from prefect import *` brings in that the rules care about.
_STAR_EXPORTS = {"task", "flow", "Task", "Flow", "Parameter", "unmapped", "serve", "deploy"}

_PREFECT_1_HINTS = (
    "prefect.Flow", "prefect.Task", "prefect.Parameter", "prefect.case", "prefect.apply_map",
    "prefect.resource_manager", "prefect.core", "prefect.engine", "prefect.utilities",
    "prefect.environments", "prefect.storage", "prefect.run_configs", "prefect.executors",
    "prefect.schedules", "prefect.backend", "prefect.tasks.shell", "prefect.tasks.secrets",
    "prefect.tasks.control_flow", "prefect.tasks.core",
)
_PREFECT_2_HINTS = (
    "prefect.flow", "prefect.get_run_logger", "prefect.deployments", "prefect.blocks",
    "prefect.variables", "prefect.futures", "prefect.task_runners", "prefect.states",
    "prefect.runtime", "prefect.artifacts", "prefect.serve", "prefect.deploy",
    "prefect.cache_policies", "prefect.transactions", "prefect.filesystems", "prefect.events",
    "prefect.concurrency", "prefect.automations", "prefect.settings", "prefect.flows",
    "prefect.tasks.task", "prefect.tasks.task_input_hash", "prefect.logging", "prefect.server",
)


def is_prefect(qualname: str | None) -> bool:
    return qualname is not None and (qualname == "prefect" or qualname.startswith("prefect."))


def is_task_decorator(qualname: str | None) -> bool:
    return qualname in _TASK_DECORATORS


def is_flow_decorator(qualname: str | None) -> bool:
    return qualname in _FLOW_DECORATORS


def is_task_class(qualname: str | None) -> bool:
    if qualname in _TASK_CLASSES:
        return True
    # Prefect 1's task library: prefect.tasks.shell.ShellTask and friends.
    return bool(qualname and qualname.startswith("prefect.tasks.") and qualname.endswith("Task"))


def is_flow_class(qualname: str | None) -> bool:
    return qualname in _FLOW_CLASSES


def _hinted(qualname: str, hints: tuple[str, ...]) -> bool:
    return any(qualname == hint or qualname.startswith(hint + ".") for hint in hints)


@dataclass(frozen=True)
class Binding:
    line: int
    qualname: str | None
    conditional: bool


@dataclass
class ImportTable:
    """Module-level names and what they are bound to, in source order."""

    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    star_modules: list[str] = field(default_factory=list)
    module_names: set[str] = field(default_factory=set)
    relative_names: set[str] = field(default_factory=set)
    """Names imported from the package's own modules (`from .clients import make_s3`)."""

    def bind(self, name: str, line: int, qualname: str | None, conditional: bool) -> None:
        self.bindings.setdefault(name, []).append(Binding(line, qualname, conditional))

    def resolve_name(self, name: str, line: int | None = None) -> str | None:
        bindings = self.bindings.get(name)
        if not bindings:
            if self.star_modules and name in _STAR_EXPORTS:
                return f"{self.star_modules[-1]}.{name}"
            return None
        visible = [b for b in bindings if line is None or b.line <= line] or bindings
        current = visible[-1]
        if current.qualname is None and current.conditional:
            # `try: from prefect import task` / `except ImportError: task = None`
            fallback = [b for b in bindings if b.conditional and is_prefect(b.qualname)]
            if fallback:
                return fallback[-1].qualname
        return current.qualname


@dataclass
class Body:
    """A task or flow body: the function Prefect runs."""

    kind: Literal["task", "flow"]
    node: FunctionNode
    name: str
    style: Style | None
    task_class: ast.ClassDef | None = None
    enclosing: tuple[FunctionNode, ...] = ()
    options: ast.Call | None = None
    """The call carrying the decorator's keyword options (`@task(retries=3)`, `task(fn, ...)`)."""


@dataclass
class TaskClass:
    """A Prefect 1 `Task` subclass, with its in-module ancestors nearest first."""

    node: ast.ClassDef
    ancestors: list[ast.ClassDef]

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def lineage(self) -> list[ast.ClassDef]:
        return [self.node, *self.ancestors]

    def method(self, name: str, after: ast.ClassDef | None = None) -> tuple[ast.ClassDef, FunctionNode] | None:
        """Find a method the way attribute lookup would, optionally past class ``after``."""
        classes = self.lineage
        if after is not None and after in classes:
            classes = classes[classes.index(after) + 1 :]
        for cls in classes:
            for statement in cls.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
                    return cls, statement
        return None


@dataclass
class FlowObject:
    """A Prefect 1 `Flow(...)` object bound to a module-level name."""

    name: str | None
    call: ast.Call


class PrefectModel:
    """Everything the rules need to know about Prefect in one parsed module."""

    def __init__(
        self, source: ParsedSource, configured_version: str = "auto", analyses: AnalysisCache | None = None
    ) -> None:
        self.source = source
        self.tree = source.tree
        self.module_statements = list(module_level_statements(self.tree.body))
        """Statements run at import time, with whether they are conditional."""
        self.imports = _collect_imports(self.module_statements)
        self.configured_version = configured_version
        self.bodies: list[Body] = []
        self.task_classes: list[TaskClass] = []
        self.flow_objects: list[FlowObject] = []
        self.flow_names: set[str] = set()
        self.task_names: set[str] = set()
        self.bodies_by_name: dict[str, Body] = {}
        """The task or flow body each module-level name runs (`etl`, `t = task(fn)`, `with_options` copies)."""
        self.analyses = analyses if analyses is not None else AnalysisCache()
        self._body_ids: dict[int, Body] = {}
        if self.uses_prefect:
            self._collect()

    # --- names ---------------------------------------------------------------------

    @cached_property
    def uses_prefect(self) -> bool:
        return any(
            is_prefect(b.qualname) for bs in self.imports.bindings.values() for b in bs
        ) or bool(self.imports.star_modules)

    def qualname(self, node: ast.AST, line: int | None = None) -> str | None:
        """The dotted name an expression resolves to through the imports, if any."""
        attributes = []
        while isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.imports.resolve_name(node.id, line)
        if base is None or not attributes:
            return base
        return ".".join([base, *reversed(attributes)])

    def prefect_qualname(self, node: ast.AST, line: int | None = None) -> str | None:
        qualname = self.qualname(node, line)
        return qualname if is_prefect(qualname) else None

    # --- version -------------------------------------------------------------------

    @cached_property
    def detected_style(self) -> Style | None:
        """"1" or "2/3" from what the code uses; None when it cannot tell or mixes both."""
        names = [b.qualname for bs in self.imports.bindings.values() for b in bs if is_prefect(b.qualname)]
        names += [m for m in self.imports.star_modules]
        old = any(_hinted(q, _PREFECT_1_HINTS) for q in names) or bool(self.task_classes or self.flow_objects)
        new = any(_hinted(q, _PREFECT_2_HINTS) for q in names) or any(b.kind == "flow" for b in self.bodies if b.task_class is None)
        if old != new:
            return "1" if old else "2/3"
        return None

    @property
    def style(self) -> Style | None:
        if self.configured_version == "1":
            return "1"
        if self.configured_version in ("2", "3"):
            return "2/3"
        return self.detected_style

    def applies_to(self, versions: tuple[Style, ...]) -> bool:
        style = self.style
        return style is None or style in versions

    # --- collection ----------------------------------------------------------------

    def _collect(self) -> None:
        functions: dict[str, FunctionNode] = {}
        classes: dict[str, ast.ClassDef] = {}
        assignments: list[ast.Assign] = []
        for statement, enclosing in _statements(self.tree.body):
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(statement.name, statement)
                self._collect_decorated(statement, enclosing)
            elif isinstance(statement, ast.ClassDef):
                classes[statement.name] = statement
            elif isinstance(statement, ast.Assign):
                assignments.append(statement)
            elif isinstance(statement, (ast.With, ast.AsyncWith)):
                self._collect_with_flow(statement)
        self._collect_task_classes(classes)
        for assignment in assignments:
            self._collect_assignment(assignment, functions)

    def _decorator_kind(self, decorator: ast.expr) -> Literal["task", "flow"] | None:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualname = self.qualname(target, decorator.lineno)
        if is_task_decorator(qualname):
            return "task"
        if is_flow_decorator(qualname):
            return "flow"
        return None

    def _collect_decorated(self, function: FunctionNode, enclosing: tuple[FunctionNode, ...]) -> None:
        for decorator in function.decorator_list:
            kind = self._decorator_kind(decorator)
            if kind:
                options = decorator if isinstance(decorator, ast.Call) else None
                self._add_body(kind, function, function.name, enclosing, options)
                return

    def _add_body(
        self,
        kind: Literal["task", "flow"],
        function: FunctionNode,
        bound_name: str,
        enclosing: tuple[FunctionNode, ...] = (),
        options: ast.Call | None = None,
    ) -> None:
        body = self._body_ids.get(id(function))
        if body is None:
            style: Style | None = "2/3" if kind == "flow" else None
            body = self._body_ids[id(function)] = Body(kind, function, function.name, style, enclosing=enclosing, options=options)
            self.bodies.append(body)
        if not enclosing:
            self.bodies_by_name.setdefault(bound_name, body)
        (self.flow_names if kind == "flow" else self.task_names).add(bound_name)

    def _collect_assignment(self, assignment: ast.Assign, functions: dict[str, FunctionNode]) -> None:
        value = assignment.value
        names = [t.id for t in assignment.targets if isinstance(t, ast.Name)]
        if not isinstance(value, ast.Call) or not names:
            return
        if is_flow_class(self.qualname(value.func, value.lineno)):
            self.flow_objects.append(FlowObject(names[0], value))
            return
        if isinstance(value.func, ast.Name) and value.func.id in self.task_class_names:
            self.task_names.update(names)  # a Prefect 1 task instance: `count = CounterTask()`
            body = self.task_class_body(value.func.id)
            for name in names:
                if body is not None:
                    self.bodies_by_name.setdefault(name, body)
            return
        # `t = task(fn)`, `t = task(fn, name=...)`, `t = task(name=...)(fn)`
        kind = self._decorator_kind(value.func) if isinstance(value.func, ast.Call) else self._decorator_kind(value)
        if kind and value.args and isinstance(value.args[0], ast.Name) and value.args[0].id in functions:
            function = functions[value.args[0].id]
            options = value.func if isinstance(value.func, ast.Call) else value
            for name in names:
                self._add_body(kind, function, name, options=options)
            return
        # `other = my_flow.with_options(...)`
        if (
            isinstance(value.func, ast.Attribute)
            and value.func.attr == "with_options"
            and isinstance(value.func.value, ast.Name)
        ):
            original = value.func.value.id
            if original in self.flow_names:
                self.flow_names.update(names)
            elif original in self.task_names:
                self.task_names.update(names)
            if original in self.bodies_by_name:
                for name in names:
                    self.bodies_by_name.setdefault(name, self.bodies_by_name[original])

    def _collect_with_flow(self, statement: ast.With | ast.AsyncWith) -> None:
        for item in statement.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and is_flow_class(self.qualname(call.func, call.lineno)):
                name = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
                self.flow_objects.append(FlowObject(name, call))

    def task_class_body(self, class_name: str) -> Body | None:
        """The `run` body a Prefect 1 task class runs (its own or an in-module base's)."""
        task_class = next((t for t in self.task_classes if t.name == class_name), None)
        found = task_class.method("run") if task_class is not None else None
        return next((b for b in self.bodies if found is not None and b.node is found[1]), None)

    @cached_property
    def task_class_names(self) -> set[str]:
        return {t.name for t in self.task_classes}

    def _collect_task_classes(self, classes: dict[str, ast.ClassDef]) -> None:
        runs: set[int] = set()
        for cls in classes.values():
            ancestors = _in_module_ancestors(cls, classes)
            if not any(
                is_task_class(self.qualname(base, c.lineno))
                for c in [cls, *ancestors]
                for base in c.bases
            ):
                continue
            task_class = TaskClass(cls, ancestors)
            found = task_class.method("run")
            if found is None:
                continue
            self.task_classes.append(task_class)
            owner, run = found
            if id(run) not in runs:
                runs.add(id(run))
                self.bodies.append(Body("task", run, f"{owner.name}.run", "1", owner))

    @cached_property
    def runs_as_script(self) -> bool:
        """Whether the module has an `if __name__ == "__main__":` block: it is run as a script."""
        return any(isinstance(s, ast.If) and is_main_guard(s.test) for s in self.tree.body)

    # --- shared analyses ------------------------------------------------------------

    def analysis(self, function: FunctionNode) -> FunctionAnalysis:
        """Scopes and write sites of a function, computed once (per document, when cached)."""
        return self.analyses.get(function)

    @cached_property
    def module_mutables(self) -> dict[str, str]:
        """Module-level names bound to mutable objects, with what kind of object."""
        classes = {s.name for s, _ in self.module_statements if isinstance(s, ast.ClassDef)}
        found: dict[str, str] = {}
        for statement, _ in self.module_statements:
            for name, value in assigned_values(statement):
                kind = mutable_kind(value, lambda n: self.qualname(n, statement.lineno), classes)
                if kind:
                    found[name] = kind
        return found


_BLOCK_FIELDS = {
    ast.FunctionDef: ("body",), ast.AsyncFunctionDef: ("body",), ast.ClassDef: ("body",),
    ast.If: ("body", "orelse"), ast.For: ("body", "orelse"), ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"), ast.With: ("body",), ast.AsyncWith: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"), ast.ExceptHandler: ("body",),
    ast.Match: ("cases",), ast.match_case: ("body",),
}
if hasattr(ast, "TryStar"):
    _BLOCK_FIELDS[ast.TryStar] = _BLOCK_FIELDS[ast.Try]


def _statements(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, tuple[FunctionNode, ...]]]:
    """Every statement, nested ones included (not expressions), with its enclosing functions."""
    stack: list[tuple[ast.stmt, tuple[FunctionNode, ...]]] = [(s, ()) for s in reversed(body)]
    while stack:
        statement, enclosing = stack.pop()
        yield statement, enclosing
        fields = _BLOCK_FIELDS.get(statement.__class__)
        if fields is None:
            continue
        inner = enclosing
        if statement.__class__ in (ast.FunctionDef, ast.AsyncFunctionDef):
            inner = (*enclosing, statement)
        for name in reversed(fields):
            stack.extend((child, inner) for child in reversed(getattr(statement, name)))


def module_level_statements(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, bool]]:
    """Statements executed when the module is imported, with whether they are conditional.

    Descends into if/try/with/for/while blocks, never into functions or classes.
    """
    stack = [(s, False) for s in reversed(body)]
    while stack:
        statement, conditional = stack.pop()
        yield statement, conditional
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        nested = isinstance(statement, (ast.If, ast.Try, ast.For, ast.AsyncFor, ast.While)) or conditional
        for name in ("body", "orelse", "finalbody"):
            for child in reversed(getattr(statement, name, None) or []):
                stack.append((child, nested))
        for handler in reversed(getattr(statement, "handlers", None) or []):
            for child in reversed(handler.body):
                stack.append((child, True))


def _collect_imports(statements: list[tuple[ast.stmt, bool]]) -> ImportTable:
    table = ImportTable()
    for statement, conditional in statements:
        line = statement.lineno
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    table.bind(alias.asname, line, alias.name, conditional)
                    table.module_names.add(alias.asname)
                else:
                    top = alias.name.split(".")[0]
                    table.bind(top, line, top, conditional)
                    table.module_names.add(top)
        elif isinstance(statement, ast.ImportFrom):
            if statement.level or not statement.module:
                for alias in statement.names:
                    table.bind(alias.asname or alias.name, line, None, conditional)
                    table.relative_names.add(alias.asname or alias.name)
                continue
            for alias in statement.names:
                if alias.name == "*":
                    if is_prefect(statement.module):
                        table.star_modules.append(statement.module)
                    continue
                table.bind(alias.asname or alias.name, line, f"{statement.module}.{alias.name}", conditional)
        else:
            _bind_other(table, statement, conditional)
    return table


def _bind_other(table: ImportTable, statement: ast.stmt, conditional: bool) -> None:
    """Record non-import bindings, which shadow imports; `t = prefect.task` keeps the alias."""
    line = statement.lineno
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        table.bind(statement.name, line, None, conditional)
    elif isinstance(statement, ast.Assign):
        alias = _dotted(statement.value)
        for target in statement.targets:
            for name in _target_names(target):
                qualname = None
                if alias and isinstance(target, ast.Name):
                    head, _, rest = alias.partition(".")
                    resolved = table.resolve_name(head, line)
                    qualname = f"{resolved}.{rest}" if resolved and rest else resolved
                table.bind(name, line, qualname, conditional)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        for name in _target_names(statement.target):
            table.bind(name, line, None, conditional)
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        for name in _target_names(statement.target):
            table.bind(name, line, None, conditional)
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        for item in statement.items:
            if item.optional_vars is not None:
                for name in _target_names(item.optional_vars):
                    table.bind(name, line, None, conditional)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _target_names(target: ast.AST) -> Iterator[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _in_module_ancestors(cls: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> list[ast.ClassDef]:
    """In-module base classes, depth first, each once, the class itself excluded."""
    seen: list[ast.ClassDef] = []
    stack = [b.id for b in reversed(cls.bases) if isinstance(b, ast.Name)]
    while stack:
        base = classes.get(stack.pop())
        if base is None or base is cls or base in seen:
            continue
        seen.append(base)
        stack.extend(b.id for b in reversed(base.bases) if isinstance(b, ast.Name))
    return seen


def assigned_values(statement: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    """(name, value) pairs a module-level assignment binds, unpacking tuples pairwise."""
    if isinstance(statement, ast.Assign):
        pairs = [(t, statement.value) for t in statement.targets]
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        pairs = [(statement.target, statement.value)]
    else:
        return
    while pairs:
        target, value = pairs.pop()
        if isinstance(target, ast.Name):
            yield target.id, value
        elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
            if len(target.elts) == len(value.elts):
                pairs.extend(zip(target.elts, value.elts))
