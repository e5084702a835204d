"""The folders a module puts on `sys.path` itself, computed from its source without running it.

`sys.path.insert(i, x)`, `sys.path.append(x)`, `sys.path.extend([x, ...])`,
`sys.path += [x, ...]` and `site.addsitedir(x)` anywhere in the module (at
module level, under `if`/`try`/`with`, and in function bodies, which run before
the imports written after them) add the folder ``x``. A folder is computed
from string literals, `__file__`, `os.path` (`dirname`, `abspath`, `realpath`,
`normpath`, `join`, `expanduser`), `pathlib.Path` (`Path(...)`, `/`, `.parent`,
`.parents[n]`, `.resolve()`, `.absolute()`, `.joinpath(...)`), `str(...)`,
`os.fspath(...)`, f-strings and `+` of strings, and names bound once to such a
value. Anything else (`os.getcwd()`, `Path.cwd()`, an environment variable, a
relative folder, which depends on the working directory) is unknown.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePath, PurePosixPath

_UNKNOWN = object()
_UNREADABLE = ast.Constant(value=None)
"""What an addition of folders that cannot be read adds (`sys.path.extend(folders)`)."""
_BUILTINS = {"str"}
_ADDERS = {"sys.path.insert": 1, "sys.path.append": 0, "site.addsitedir": 0}


def sys_path_targets(tree: ast.Module, module_file: os.PathLike | str) -> tuple[Path, ...] | None:
    """The absolute folders the module adds to `sys.path`, in source order: () when it adds
    none, None when one of them cannot be computed."""
    module = os.path.normpath(os.path.abspath(module_file))
    aliases = _import_aliases(tree)
    module_names = _Scope(aliases, module, None)
    found: list[Path] = []
    for scope, added in _additions(tree, module_names):
        for expression in added:
            folder = _as_folder(scope.evaluate(expression))
            if folder is None:
                return None
            if folder not in found:
                found.append(folder)
    return tuple(found)


def _as_folder(value: object) -> Path | None:
    if isinstance(value, PurePath):
        value = str(value)
    if not isinstance(value, str) or not os.path.isabs(value):
        return None
    return Path(os.path.normpath(value))


# --- where the module adds to sys.path ----------------------------------------------------


def _additions(tree: ast.Module, module_names: _Scope) -> Iterator[tuple[_Scope, list[ast.expr]]]:
    """Each statement adding to `sys.path`, with the names in scope when it runs."""
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    yield from _walk_scope(tree.body, module_names, functions)
    while functions:
        function = functions.pop(0)
        yield from _walk_scope(function.body, module_names.child(), functions)


def _walk_scope(
    body: list[ast.stmt], scope: _Scope, functions: list[ast.FunctionDef | ast.AsyncFunctionDef]
) -> Iterator[tuple[_Scope, list[ast.expr]]]:
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.append(statement)
            continue
        if isinstance(statement, ast.ClassDef):
            yield from _walk_scope(statement.body, scope.child(), functions)
            continue
        scope.bind(statement)
        added = _added_by(statement, scope)
        if added is not None:
            yield scope, added
        for child in _nested_bodies(statement):
            yield from _walk_scope(child, scope, functions)


def _nested_bodies(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for case in getattr(statement, "cases", ()):
        yield case.body


def _added_by(statement: ast.stmt, scope: _Scope) -> list[ast.expr] | None:
    """The folder expressions a statement adds to `sys.path`, or None when it adds none."""
    if isinstance(statement, ast.AugAssign) and scope.qualified(statement.target) == "sys.path":
        return _items(statement.value)
    if isinstance(statement, ast.Assign):
        return _assigned(statement, scope)
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return None
    call = statement.value
    called = scope.qualified(call.func)
    if called == "sys.path.extend":
        return _items(call.args[0]) if len(call.args) == 1 else [_UNREADABLE]
    position = _ADDERS.get(called or "")
    if position is None:
        return None
    return [call.args[position]] if len(call.args) > position else [_UNREADABLE]


def _assigned(statement: ast.Assign, scope: _Scope) -> list[ast.expr] | None:
    """`sys.path[:0] = [x]` adds its items; `sys.path = ...` replaces it with what cannot be read."""
    for target in statement.targets:
        if isinstance(target, ast.Subscript) and scope.qualified(target.value) == "sys.path":
            return _items(statement.value)
        if scope.qualified(target) == "sys.path":
            return [_UNREADABLE]
    return None


def _items(expression: ast.expr) -> list[ast.expr]:
    if isinstance(expression, (ast.List, ast.Tuple)) and not any(
        isinstance(item, ast.Starred) for item in expression.elts
    ):
        return list(expression.elts)
    return [expression]


# --- names and values ---------------------------------------------------------------------


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name → qualified name of the module's imports (`osp` → `os.path`, `Path` → `pathlib.Path`)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


class _Scope:
    """The names a scope binds to a computed value; a name bound twice to different values is unknown."""

    def __init__(self, aliases: dict[str, str], module: str, parent: _Scope | None) -> None:
        self.aliases = aliases
        self.module = module
        self.parent = parent
        self.values: dict[str, object] = {}

    def child(self) -> _Scope:
        return _Scope(self.aliases, self.module, self)

    def bind(self, statement: ast.stmt) -> None:
        if isinstance(statement, ast.Assign):
            value = self.evaluate(statement.value)
            for target in statement.targets:
                self._bind_target(target, value)
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            self._bind_target(statement.target, self.evaluate(statement.value))
        elif isinstance(statement, (ast.AugAssign, ast.For, ast.AsyncFor)):
            self._bind_target(statement.target, _UNKNOWN)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, _UNKNOWN)

    def _bind_target(self, target: ast.expr, value: object) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            if name in self.values and self.values[name] != value:
                value = _UNKNOWN
            self.values[name] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                self._bind_target(item.value if isinstance(item, ast.Starred) else item, _UNKNOWN)

    def lookup(self, name: str) -> object:
        if name == "__file__":
            return self.module
        if name in self.values:
            return self.values[name]
        return self.parent.lookup(name) if self.parent is not None else _UNKNOWN

    def qualified(self, expression: ast.expr) -> str | None:
        """The dotted name of an expression built from imported names (`osp.join` → `os.path.join`)."""
        parts: list[str] = []
        while isinstance(expression, ast.Attribute):
            parts.append(expression.attr)
            expression = expression.value
        if not isinstance(expression, ast.Name) or self._is_bound(expression.id):
            return None
        base = self.aliases.get(expression.id) or (expression.id if expression.id in _BUILTINS else None)
        return ".".join([base, *reversed(parts)]) if base else None

    def _is_bound(self, name: str) -> bool:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.values:
                return True
            scope = scope.parent
        return False

    def evaluate(self, expression: ast.expr) -> object:
        """The string or path an expression computes, else `_UNKNOWN`."""
        try:
            return _evaluate(expression, self)
        except (TypeError, ValueError, IndexError, OverflowError):
            return _UNKNOWN


def _evaluate(node: ast.expr, scope: _Scope) -> object:
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, (str, int)) and not isinstance(node.value, bool) else _UNKNOWN
    if isinstance(node, ast.Name):
        return scope.lookup(node.id)
    if isinstance(node, ast.JoinedStr):
        return _joined_string(node, scope)
    if isinstance(node, ast.BinOp):
        return _binary(node, scope)
    if isinstance(node, ast.Attribute):
        return _attribute(node, scope)
    if isinstance(node, ast.Subscript):
        return _subscript(node, scope)
    if isinstance(node, ast.Call):
        return _call(node, scope)
    return _UNKNOWN


def _joined_string(node: ast.JoinedStr, scope: _Scope) -> object:
    parts = []
    for value in node.values:
        if isinstance(value, ast.FormattedValue):
            if value.conversion not in (-1, ord("s")) or value.format_spec is not None:
                return _UNKNOWN
            value = value.value
        part = _evaluate(value, scope)
        if not isinstance(part, (str, PurePath)):
            return _UNKNOWN
        parts.append(str(part))
    return "".join(parts)


def _binary(node: ast.BinOp, scope: _Scope) -> object:
    left, right = _evaluate(node.left, scope), _evaluate(node.right, scope)
    if isinstance(node.op, ast.Div) and isinstance(left, PurePath) and isinstance(right, (str, PurePath)):
        return left / right
    if isinstance(node.op, ast.Div) and isinstance(left, str) and isinstance(right, PurePath):
        return PurePosixPath(left) / right
    if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
        return left + right
    return _UNKNOWN


def _attribute(node: ast.Attribute, scope: _Scope) -> object:
    value = _evaluate(node.value, scope)
    if isinstance(value, PurePath) and node.attr in ("parent", "parents", "name", "stem"):
        return getattr(value, node.attr)
    return _UNKNOWN


def _subscript(node: ast.Subscript, scope: _Scope) -> object:
    value = _evaluate(node.value, scope)
    index = _evaluate(node.slice, scope)
    if isinstance(value, Sequence) and not isinstance(value, str) and isinstance(index, int) and index >= 0:
        return value[index]
    return _UNKNOWN


def _call(node: ast.Call, scope: _Scope) -> object:
    if node.keywords or any(isinstance(argument, ast.Starred) for argument in node.args):
        return _UNKNOWN
    if isinstance(node.func, ast.Attribute) and scope.qualified(node.func) is None:
        return _method(node, scope)
    function = _FUNCTIONS.get(scope.qualified(node.func) or "")
    if function is None:
        return _UNKNOWN
    arguments = [_evaluate(argument, scope) for argument in node.args]
    if any(argument is _UNKNOWN for argument in arguments):
        return _UNKNOWN
    return function(*arguments)


def _method(node: ast.Call, scope: _Scope) -> object:
    """`.resolve()`, `.absolute()`, `.joinpath(...)` of a path."""
    assert isinstance(node.func, ast.Attribute)
    value = _evaluate(node.func.value, scope)
    if not isinstance(value, PurePath):
        return _UNKNOWN
    arguments = [_evaluate(argument, scope) for argument in node.args]
    name = node.func.attr
    if name in ("resolve", "absolute") and not arguments:
        return _absolute_path(value, os.path.realpath if name == "resolve" else os.path.normpath)
    if name == "joinpath" and all(isinstance(argument, (str, PurePath)) for argument in arguments):
        return value.joinpath(*arguments)
    return _UNKNOWN


def _absolute_path(value: PurePath, normalise: Callable[[str], str]) -> object:
    """An absolute path made absolute again; a relative one depends on the working directory."""
    if not value.is_absolute():
        return _UNKNOWN
    return type(value)(normalise(str(value)))


def _strings(function: Callable[..., str]) -> Callable[..., object]:
    """An `os.path` function, for string arguments only."""

    def call(*arguments: object) -> object:
        if not arguments or not all(isinstance(argument, str) for argument in arguments):
            return _UNKNOWN
        return function(*arguments)

    return call


def _absolute_string(function: Callable[[str], str]) -> Callable[..., object]:
    def call(*arguments: object) -> object:
        if len(arguments) != 1 or not isinstance(arguments[0], (str, PurePath)):
            return _UNKNOWN
        text = str(arguments[0])
        return function(text) if os.path.isabs(text) else _UNKNOWN

    return call


def _path(*arguments: object) -> object:
    if not all(isinstance(argument, (str, PurePath)) for argument in arguments):
        return _UNKNOWN
    return PurePosixPath(*map(str, arguments)) if arguments else _UNKNOWN


def _text(argument: object) -> object:
    return str(argument) if isinstance(argument, (str, PurePath)) else _UNKNOWN


def _expand_user(argument: object) -> object:
    return os.path.expanduser(argument) if isinstance(argument, str) else _UNKNOWN


_FUNCTIONS: dict[str, Callable[..., object]] = {
    "os.path.dirname": _strings(os.path.dirname),
    "os.path.join": _strings(os.path.join),
    "os.path.normpath": _strings(os.path.normpath),
    "os.path.abspath": _absolute_string(os.path.normpath),
    "os.path.realpath": _absolute_string(os.path.realpath),
    "os.path.expanduser": _expand_user,
    "os.fspath": _text,
    "str": _text,
    "pathlib.Path": _path,
    "pathlib.PurePath": _path,
    "pathlib.PosixPath": _path,
    "pathlib.PurePosixPath": _path,
}
