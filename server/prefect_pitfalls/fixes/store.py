"""Moving a `global` counter of a task or flow into an external store.

The rewrite keeps the name: the `global NAME` statement becomes a load of the value
from the store into a local of the same name, and every statement that changes it is
followed by a save. Prefect 3 stores it in a `Variable`, Prefect 1 in the KV store
(Prefect Cloud only). Anything less plain (a value that is not JSON, the name used by
nested functions, a write sharing its line) gets no fix rather than a wrong one.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from ..analysis import MUTATING_METHODS
from ..findings import Applicability, Edit, Fix, Span
from ..prefect_model import FunctionNode, PrefectModel, TaskClass
from ..source import ParsedSource
from .edits import first_import_line, import_from, insert_at_body_start, insert_lines, statement_owns_its_lines

_INVALID_KEY_CHARACTERS = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class Store:
    """How one Prefect version loads and saves a value under a key."""

    import_module: str
    import_names: tuple[str, ...]
    title: str
    needs_json: bool = False

    def load(self, name: str, key: str, default: str, is_async: bool) -> list[str]:
        raise NotImplementedError

    def save(self, name: str, key: str, is_async: bool) -> str:
        raise NotImplementedError


class _Variables(Store):
    def load(self, name, key, default, is_async):
        call = f'await Variable.aget("{key}", default={default})' if is_async else f'Variable.get("{key}", default={default})'
        return [f"{name} = {call}"]

    def save(self, name, key, is_async):
        if is_async:
            return f'await Variable.aset("{key}", {name}, overwrite=True)'
        return f'Variable.set("{key}", {name}, overwrite=True)'


class _KeyValueStore(Store):
    def load(self, name, key, default, is_async):
        return ["try:", f'    {name} = get_key_value("{key}")', "except ValueError:  # not stored yet", f"    {name} = {default}"]

    def save(self, name, key, is_async):
        return f'set_key_value("{key}", {name})'


class _StringVariables(Store):
    """Prefect 2.17-2.20: `get` returns a Variable (`.value`, a string) or the raw default;
    `set` takes a string. The value travels as JSON."""

    def load(self, name, key, default, is_async):
        stored = f"{name}_stored"
        call = f'Variable.get("{key}", default=None)'
        return [
            f"{stored} = {'await ' if is_async else ''}{call}",
            f"{name} = json.loads({stored}.value) if {stored} is not None else {default}",
        ]

    def save(self, name, key, is_async):
        return f'{"await " if is_async else ""}Variable.set("{key}", json.dumps({name}), overwrite=True)'


PREFECT_3 = _Variables("prefect.variables", ("Variable",), "Keep `{name}` in a Prefect Variable")
PREFECT_2 = _StringVariables(
    "prefect.variables", ("Variable",), "Keep `{name}` in a Prefect Variable (as JSON)", needs_json=True
)
PREFECT_1 = _KeyValueStore(
    "prefect.backend", ("get_key_value", "set_key_value"), "Keep `{name}` in the Prefect Cloud KV store"
)


def store_for(model: PrefectModel, installed: str | None = None) -> Store | None:
    """The store of the Prefect version in use. Prefect 2 has writable variables from 2.17
    to 2.20 only, so on Prefect 2 the installed release decides (None: no fix)."""
    if model.configured_version == "2":
        return PREFECT_2 if installed and _release(installed)[:2] in {(2, 17), (2, 18), (2, 19), (2, 20)} else None
    return PREFECT_1 if model.style == "1" else PREFECT_3


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def key_for(source_path: str, name: str) -> str:
    """A stable, readable key valid as a Prefect 3 variable name: `module-name`, lowercase."""
    module = source_path.rsplit("/", 1)[-1].removesuffix(".py") or "module"
    return _INVALID_KEY_CHARACTERS.sub("-", f"{module}-{name}".lower()).strip("-")


def global_state_fix(
    source: ParsedSource, model: PrefectModel, function: FunctionNode, name: str, module_path: str,
    installed: str | None = None,
) -> Fix | None:
    """Load the module-level ``name`` from the store at the start of ``function`` (in place of
    its `global` statement) and save it after every statement that changes it."""
    store = store_for(model, installed)
    default = _initial_value(source, model, name)
    if store is None or default is None or _used_in_nested_scopes(function, name):
        return None
    writes = _writing_statements(function, name)
    if not writes or not all(statement_owns_its_lines(source, w) for w in writes):
        return None
    key = key_for(module_path, name)
    is_async = isinstance(function, ast.AsyncFunctionDef)
    load = store.load(name, key, default, is_async)
    declaration = _global_statement(function, name)
    if declaration is not None:
        if not statement_owns_its_lines(source, declaration):
            return None
        indent = source.indentation(declaration.lineno)
        span = Span(declaration.lineno, 0, declaration.end_lineno, source.line_end(declaration.end_lineno))
        edits = [Edit(span, source.line_break.join(indent + line for line in load))]
    elif any(isinstance(n, ast.Global) and name in n.names for n in ast.walk(function)):
        return None  # declared together with other names: rewrite by hand
    else:
        start = insert_at_body_start(source, function, load)
        if start is None:
            return None
        edits = [start]
    for write in writes:
        save = source.indentation(write.lineno) + store.save(name, key, is_async)
        edits.append(insert_lines(source, write.end_lineno + 1, [save]))
    edits += _import_edits(source, store)
    title = store.title.format(name=name) + f' (key "{key}")'
    return Fix(title, Applicability.UNSAFE, tuple(sorted(edits, key=lambda e: e.span)))


def _global_statement(function: FunctionNode, name: str) -> ast.Global | None:
    for statement in ast.walk(function):
        if isinstance(statement, ast.Global) and statement.names == [name]:
            return statement if _in_own_scope(function, statement) else None
    return None


def _in_own_scope(function: FunctionNode, target: ast.AST) -> bool:
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if node is target:
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _initial_value(source: ParsedSource, model: PrefectModel, name: str) -> str | None:
    """The module-level value of ``name`` as source text, when it is a JSON literal."""
    value = None
    for statement, _ in model.module_statements:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            value = statement.value
    if value is None:
        return None
    try:
        json.dumps(ast.literal_eval(value))
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    text = source.node_text(value)
    return text if "\n" not in text and "\r" not in text else None


def _used_in_nested_scopes(function: FunctionNode, name: str, attribute: bool = False) -> bool:
    """Whether a function, lambda or class nested in ``function`` uses the name (or `x.name`)."""
    def uses(node: ast.AST) -> bool:
        if attribute:
            return isinstance(node, ast.Attribute) and node.attr == name
        return isinstance(node, ast.Name) and node.id == name

    for node in ast.walk(function):
        if node is not function and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            if any(uses(n) for n in ast.walk(node)):
                return True
    return False


def _writing_statements(function: FunctionNode, name: str) -> list[ast.stmt]:
    """The statements of the function that change the value bound to ``name``."""
    writes = []
    stack = list(function.body)
    while stack:
        statement = stack.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if _writes(statement, name):
            writes.append(statement)
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(statement, field, None) or [])
        for handler in getattr(statement, "handlers", None) or []:
            stack.extend(handler.body)
    return sorted(writes, key=lambda s: s.lineno)


def _writes(statement: ast.stmt, name: str) -> bool:
    """Whether the statement itself (not a block inside it) rebinds or mutates ``name``."""
    if isinstance(statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)):
        headers = [getattr(statement, "test", None), getattr(statement, "iter", None), getattr(statement, "target", None)]
        headers += [item.context_expr for item in getattr(statement, "items", [])]
        return any(h is not None and _mentions_write(h, name) for h in headers)
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
        targets = statement.targets if isinstance(statement, (ast.Assign, ast.Delete)) else [statement.target]
        if any(_root_name(t) == name for t in targets):
            return True
    return _mentions_write(statement, name)


def _mentions_write(node: ast.AST, name: str) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            if child.func.attr in MUTATING_METHODS and _root_name(child.func.value) == name:
                return True
        if isinstance(child, ast.NamedExpr) and child.target.id == name:
            return True
    return False


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _import_edits(source: ParsedSource, store: Store) -> list[Edit]:
    edits = [edit for edit in [import_from(source, store.import_module, store.import_names)] if edit is not None]
    has_json = any(
        isinstance(s, ast.Import) and any(a.name == "json" and a.asname is None for a in s.names)
        for s in source.tree.body
    )
    if store.needs_json and not has_json:
        edits.append(insert_lines(source, first_import_line(source), ["import json"]))
    return edits


def instance_state_fix(
    source: ParsedSource, model: PrefectModel, task_class: TaskClass, attribute: str, module_path: str,
    installed: str | None = None,
) -> Fix | None:
    """Move `self.<attribute>` of a Prefect 1 Task into the store: loaded into a local at the
    start of `run()`, saved after each change, its `__init__` value the default."""
    store = store_for(model, installed)
    found = task_class.method("run")
    if store is None or found is None:
        return None
    run = found[1]
    uses = _attribute_uses(run, attribute)
    initial = _initial_attribute(source, task_class, attribute)
    if not uses or initial is None or _used_elsewhere(task_class, attribute, run, initial[0]):
        return None
    if attribute in model.analysis(run).local_names or _used_in_nested_scopes(run, attribute, attribute=True):
        return None
    writes = sorted({id(s): s for s in (_statement_of(run, use) for use in uses) if s is not None and _writes_attribute(s, attribute)}.values(), key=lambda s: s.lineno)
    if not writes or not all(statement_owns_its_lines(source, s) for s in writes):
        return None
    initialisation, default = initial
    if not statement_owns_its_lines(source, initialisation):
        return None
    key = key_for(module_path, f"{task_class.name}-{attribute}")
    is_async = isinstance(run, ast.AsyncFunctionDef)
    start = insert_at_body_start(source, run, store.load(attribute, key, default, is_async))
    if start is None:
        return None
    init = task_class.method("__init__")[1]
    edits = [start, _remove_statement(source, initialisation, alone=len(init.body) == 1)]
    edits += [Edit(source.span(use), attribute) for use in uses]
    for write in writes:
        save = source.indentation(write.lineno) + store.save(attribute, key, is_async)
        edits.append(insert_lines(source, write.end_lineno + 1, [save]))
    edits += _import_edits(source, store)
    title = store.title.format(name=f"self.{attribute}") + f' (key "{key}")'
    return Fix(title, Applicability.UNSAFE, tuple(sorted(edits, key=lambda e: e.span)))


def _attribute_uses(function: FunctionNode, attribute: str) -> list[ast.Attribute]:
    self_name = function.args.args[0].arg if function.args.args else None
    return [
        node for node in ast.walk(function)
        if isinstance(node, ast.Attribute) and node.attr == attribute
        and isinstance(node.value, ast.Name) and node.value.id == self_name
    ]


def _initial_attribute(source: ParsedSource, task_class: TaskClass, attribute: str) -> tuple[ast.stmt, str] | None:
    """The `self.<attribute> = <JSON literal>` statement of `__init__`, and the literal's text."""
    found = task_class.method("__init__")
    if found is None:
        return None
    for statement in found[1].body:
        if (
            isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Attribute) and statement.targets[0].attr == attribute
        ):
            try:
                json.dumps(ast.literal_eval(statement.value))
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return None
            text = source.node_text(statement.value)
            return (statement, text) if "\n" not in text else None
    return None


def _used_elsewhere(task_class: TaskClass, attribute: str, run: FunctionNode, initialisation: ast.stmt) -> bool:
    """Whether a method other than `run()` (or `__init__`'s initialisation) touches the attribute."""
    for cls in task_class.lineage:
        for method in cls.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or method is run:
                continue
            uses = [n for n in ast.walk(method) if isinstance(n, ast.Attribute) and n.attr == attribute]
            if any(not _inside(initialisation, use) for use in uses):
                return True
    return False


def _inside(statement: ast.stmt, node: ast.AST) -> bool:
    return any(child is node for child in ast.walk(statement))


def _statement_of(function: FunctionNode, node: ast.AST) -> ast.stmt | None:
    """The innermost statement of the function that contains ``node``."""
    best = None
    for statement in ast.walk(function):
        if isinstance(statement, ast.stmt) and statement is not function and _inside(statement, node):
            if best is None or _inside(best, statement):
                best = statement
    return best


def _writes_attribute(statement: ast.stmt, attribute: str) -> bool:
    def is_state(node: ast.AST) -> bool:
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            if isinstance(node, ast.Attribute) and node.attr == attribute and isinstance(node.value, ast.Name):
                return True
            node = node.value
        return False

    if isinstance(statement, (ast.Assign, ast.Delete)):
        if any(is_state(t) for t in statement.targets):
            return True
    if isinstance(statement, (ast.AugAssign, ast.AnnAssign)) and is_state(statement.target):
        return True
    for child in ast.walk(statement):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr in MUTATING_METHODS:
            if is_state(child.func.value):
                return True
    return False


def _remove_statement(source: ParsedSource, statement: ast.stmt, alone: bool) -> Edit:
    """Delete a statement's whole lines; `pass` takes its place when it was the whole body."""
    first, last = statement.lineno, statement.end_lineno
    if alone:
        return Edit(Span(first, 0, last, source.line_end(last)), source.indentation(first) + "pass")
    return Edit(Span(first, 0, last + 1, 0), "")



def state_parameter_fix(
    source: ParsedSource, function: FunctionNode, name: str, default: str, uses: list[ast.expr], removals: list[Edit]
) -> Fix | None:
    """The safe alternative: the state becomes a parameter (its first value the default) and,
    as every `return` already returns it, the caller passes it back for the next run."""
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return)]
    if not returns or not all(any(r.value is use for use in uses) for r in returns):
        return None
    insertion = _parameter_insertion(source, function, f"{name}={default}")
    if insertion is None or name in {a.arg for a in function.args.args}:
        return None
    edits = [insertion, *removals, *(Edit(source.span(use), name) for use in uses if not isinstance(use, ast.Name))]
    title = f"Make `{name}` a parameter of `{function.name}` (callers pass back what it returns)"
    return Fix(title, Applicability.SAFE, tuple(sorted(edits, key=lambda e: e.span)))


def _parameter_insertion(source: ParsedSource, function: FunctionNode, parameter: str) -> Edit | None:
    args = function.args
    if args.vararg or args.kwarg or args.kwonlyargs:
        return None
    positional = [*args.posonlyargs, *args.args]
    if not positional:
        text = source.line_text(function.lineno)
        match = re.search(rf"def\s+{re.escape(function.name)}\s*\(", text)
        if match is None:
            return None
        return Edit(Span(function.lineno, match.end(), function.lineno, match.end()), parameter)
    last = positional[-1]
    defaults = dict(zip(reversed(positional), reversed(args.defaults)))
    end_node = defaults.get(last, last)
    line, column = end_node.end_lineno, source.char_column(end_node.end_lineno, end_node.end_col_offset)
    return Edit(Span(line, column, line, column), f", {parameter}")


def global_parameter_fix(source: ParsedSource, model: PrefectModel, function: FunctionNode, name: str) -> Fix | None:
    """`global COUNTER` in a task that returns COUNTER: make it a parameter instead."""
    default = _initial_value(source, model, name)
    declaration = _global_statement(function, name)
    if default is None or not _is_scalar(default) or declaration is None or _used_in_nested_scopes(function, name):
        return None
    if not statement_owns_its_lines(source, declaration) or len(function.body) < 2:
        return None
    uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == name]
    removal = Edit(Span(declaration.lineno, 0, declaration.end_lineno + 1, 0), "")
    return state_parameter_fix(source, function, name, default, uses, [removal])


def instance_parameter_fix(source: ParsedSource, task_class: TaskClass, attribute: str) -> Fix | None:
    """`self.counter` kept by a Task whose `run()` returns it: make it a parameter of `run()`."""
    found, initial = task_class.method("run"), _initial_attribute(source, task_class, attribute)
    if found is None or initial is None or not _is_scalar(initial[1]):
        return None
    run = found[1]
    initialisation, default = initial
    if _used_elsewhere(task_class, attribute, run, initialisation) or _used_in_nested_scopes(run, attribute, attribute=True):
        return None
    if not statement_owns_its_lines(source, initialisation):
        return None
    init = task_class.method("__init__")[1]
    uses = _attribute_uses(run, attribute)
    removal = _remove_statement(source, initialisation, alone=len(init.body) == 1)
    return state_parameter_fix(source, run, attribute, default, uses, [removal])


def _is_scalar(literal: str) -> bool:
    """A default that is safe as a parameter default (not a list or dict: see PP103)."""
    try:
        return not isinstance(ast.literal_eval(literal), (list, dict, set, tuple))
    except (ValueError, SyntaxError):
        return False
