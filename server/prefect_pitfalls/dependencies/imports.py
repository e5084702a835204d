"""The modules a Python module imports, anywhere in it, with where each module name is written.

Covers `import a.b`, `from a.b import c` and `importlib.import_module("a.b")` /
`__import__("a")` with a string literal. Relative imports and imports under
`if TYPE_CHECKING:` are left out (they load nothing at run time); imports that
an `except ImportError` (or `contextlib.suppress(ImportError)`) guards are
marked optional.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from ..findings import Span
from ._text import char_column

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class ImportedModule:
    name: str
    """The module's full dotted name as written (normalised by the parser)."""
    span: Span
    """The module name in the statement; the string literal (quotes included) for dynamic imports."""
    node: ast.AST = field(repr=False, compare=False)
    """The import statement, or the `import_module(...)` call."""
    optional: bool = False
    """Guarded by `except ImportError` (or in its handler): the module runs without it."""
    dynamic: bool = False
    imported: tuple[str, ...] = ()
    """The names a `from` import takes from the module (`*` left out)."""

    @property
    def top_level(self) -> str:
        return self.name.partition(".")[0]

    @property
    def dotted_names(self) -> tuple[str, ...]:
        """The most specific modules this import may load: `from google.cloud import storage` →
        `google.cloud.storage`, for finding the distribution of a namespace package."""
        if not self.imported:
            return (self.name,)
        return tuple(f"{self.name}.{name}" for name in self.imported)


def collect_imports(tree: ast.Module, lines: Sequence[str]) -> list[ImportedModule]:
    """Every absolute import in the module, in source order."""
    nodes = list(_runtime_nodes(tree, _lines_mentioning(lines, ("import",))))
    dynamic = _DynamicImportNames.of(node for node, _ in nodes)
    aliases = tuple(name for name in dynamic.import_module if "import" not in name)
    if aliases:  # `from importlib import import_module as load`: `load("x")` mentions no import
        nodes = list(_runtime_nodes(tree, _lines_mentioning(lines, ("import", *aliases))))
    found: list[ImportedModule] = []
    for node, optional in nodes:
        if isinstance(node, ast.Import):
            found.extend(_plain_imports(node, lines, optional))
        elif isinstance(node, ast.ImportFrom):
            imported = _from_import(node, lines, optional)
            if imported:
                found.append(imported)
        elif isinstance(node, ast.Call):
            imported = _dynamic_import(node, lines, optional, dynamic)
            if imported:
                found.append(imported)
    found.sort(key=lambda imported: imported.span)
    return found


# --- which nodes run --------------------------------------------------------------------


def _lines_mentioning(lines: Sequence[str], words: tuple[str, ...]) -> list[int]:
    return [number for number, line in enumerate(lines, start=1) if any(word in line for word in words)]


def _runtime_nodes(tree: ast.Module, candidate_lines: list[int]) -> Iterator[tuple[ast.AST, bool]]:
    """Every node that runs at some point and may import (its lines mention `import` or an
    alias of `import_module`, as every import does), with whether an ImportError guard
    covers it. Skipping the rest keeps this a fraction of a parse."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, optional = stack.pop()
        yield node, optional
        children = [
            (child, guarded) for child, guarded in _children(node, optional)
            if _may_import(child, candidate_lines)
        ]
        stack.extend(reversed(children))


def _may_import(node: ast.AST, candidate_lines: list[int]) -> bool:
    first = getattr(node, "lineno", None)
    if first is None:
        return True
    last = getattr(node, "end_lineno", None) or first
    index = bisect.bisect_left(candidate_lines, first)
    return index < len(candidate_lines) and candidate_lines[index] <= last


def _children(node: ast.AST, optional: bool) -> Iterator[tuple[ast.AST, bool]]:
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        yield node.test, optional
        yield from ((child, optional) for child in node.orelse)
        return
    if isinstance(node, ast.If) and _is_not_type_checking(node.test):
        yield node.test, optional
        yield from ((child, optional) for child in node.body)
        return
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))) and _catches_import_errors(node):
        yield from ((child, True) for child in node.body)
        yield from ((child, True) for child in node.handlers)
        yield from ((child, optional) for child in [*node.orelse, *node.finalbody])
        return
    guarded = isinstance(node, (ast.With, ast.AsyncWith)) and any(
        _suppresses_import_errors(item.context_expr) for item in node.items
    )
    if guarded:
        yield from ((item, optional) for item in node.items)
        yield from ((child, True) for child in node.body)
        return
    yield from ((child, optional) for child in ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _is_not_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_type_checking(test.operand)


def _catches_import_errors(node: ast.Try) -> bool:
    return any(handler.type is None or _names_import_error(handler.type) for handler in node.handlers)


def _names_import_error(expression: ast.expr) -> bool:
    if isinstance(expression, ast.Tuple):
        return any(_names_import_error(element) for element in expression.elts)
    name = expression.attr if isinstance(expression, ast.Attribute) else getattr(expression, "id", None)
    return name in _IMPORT_ERRORS


def _suppresses_import_errors(expression: ast.expr) -> bool:
    """`contextlib.suppress(ImportError)` and `suppress(ModuleNotFoundError, ...)`."""
    if not isinstance(expression, ast.Call):
        return False
    function = expression.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
    return name == "suppress" and any(_names_import_error(argument) for argument in expression.args)


# --- import statements ------------------------------------------------------------------


def _plain_imports(node: ast.Import, lines: Sequence[str], optional: bool) -> Iterator[ImportedModule]:
    for alias in node.names:
        start = (alias.lineno, alias.col_offset) if hasattr(alias, "lineno") else None
        span = _name_span(lines, start) if start else None
        if span is None:
            span = _name_span(lines, (node.lineno, node.col_offset), keyword="import")
        yield ImportedModule(alias.name, span or _node_span(node, lines), node, optional)


def _from_import(node: ast.ImportFrom, lines: Sequence[str], optional: bool) -> ImportedModule | None:
    if node.level or not node.module:
        return None
    span = _name_span(lines, (node.lineno, node.col_offset), keyword="from") or _node_span(node, lines)
    imported = tuple(alias.name for alias in node.names if alias.name != "*")
    return ImportedModule(node.module, span, node, optional, imported=imported)


def _node_span(node: ast.AST, lines: Sequence[str]) -> Span:
    return Span(
        node.lineno,
        char_column(_line(lines, node.lineno), node.col_offset),
        node.end_lineno,
        char_column(_line(lines, node.end_lineno), node.end_col_offset),
    )


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _name_span(lines: Sequence[str], start: tuple[int, int], keyword: str = "") -> Span | None:
    """The span of a dotted name starting at an `ast` position, after ``keyword`` if given.

    Whitespace and backslash continuations may separate the keyword, the names and the dots.
    """
    cursor = _Cursor(lines, start[0], char_column(_line(lines, start[0]), start[1]))
    if keyword:
        if not cursor.take(keyword):
            return None
        cursor.skip_blanks()
    first = cursor.position()
    if not cursor.take_identifier():
        return None
    end = cursor.position()
    while True:
        cursor.skip_blanks()
        if not cursor.take("."):
            break
        cursor.skip_blanks()
        if not cursor.take_identifier():
            return None
        end = cursor.position()
    return Span(first[0], first[1], end[0], end[1])


class _Cursor:
    """Reads a statement's text character by character across backslash-continued lines."""

    def __init__(self, lines: Sequence[str], line: int, column: int) -> None:
        self.lines = lines
        self.line = line
        self.column = column

    def position(self) -> tuple[int, int]:
        return self.line, self.column

    @property
    def text(self) -> str:
        return _line(self.lines, self.line)

    def take(self, expected: str) -> bool:
        if self.text.startswith(expected, self.column):
            self.column += len(expected)
            return True
        return False

    def take_identifier(self) -> bool:
        text = self.text
        end = self.column
        while end < len(text) and ("a" + text[end]).isidentifier():
            end += 1
        if end == self.column or not text[self.column : end].isidentifier():
            return False
        self.column = end
        return True

    def skip_blanks(self) -> None:
        while True:
            text = self.text
            while self.column < len(text) and text[self.column] in " \t\f":
                self.column += 1
            if text[self.column :] == "\\" and self.line < len(self.lines):
                self.line += 1
                self.column = 0
                continue
            return


# --- importlib.import_module("x") and __import__("x") -----------------------------------


@dataclass
class _DynamicImportNames:
    """The local names of `importlib` and `importlib.import_module`, from the module's imports."""

    importlib: set[str]
    import_module: set[str]

    @classmethod
    def of(cls, nodes: Iterable[ast.AST]) -> _DynamicImportNames:
        names = cls(set(), set())
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "importlib" or (alias.name.startswith("importlib.") and not alias.asname):
                        names.importlib.add(alias.asname or "importlib")
            elif isinstance(node, ast.ImportFrom) and node.module == "importlib" and not node.level:
                names.import_module.update(a.asname or a.name for a in node.names if a.name == "import_module")
        return names

    def loads_module(self, function: ast.expr) -> bool:
        if isinstance(function, ast.Name):
            return function.id == "__import__" or function.id in self.import_module
        if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
            owner = function.value.id
            return (
                function.attr == "import_module" and owner in self.importlib
                or function.attr == "__import__" and owner == "builtins"
            )
        return False


def _dynamic_import(
    call: ast.Call, lines: Sequence[str], optional: bool, names: _DynamicImportNames
) -> ImportedModule | None:
    if not names.loads_module(call.func):
        return None
    argument = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "name"), None)
    if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
        return None
    name = argument.value
    if not name or name.startswith(".") or not all(part.isidentifier() for part in name.split(".")):
        return None
    return ImportedModule(name, _node_span(argument, lines), call, optional, dynamic=True)
