"""Prefect 1 `Docker(python_dependencies=[...])` storage in a module, and the flows it is attached to.

`Docker` counts only when the module's imports make it Prefect's
(`from prefect.storage import Docker as D`, `import prefect` … `prefect.storage.Docker`).
A storage is attached to a flow by `flow.storage = ...`, `Flow(..., storage=...)`
or `with Flow(..., storage=...) as flow`, directly or through a variable.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..findings import Span
from ._items import ItemList, preferred_quote
from ._text import TextIndex, char_column
from .declarations import Declaration, ItemInsertion, KeywordInsertion, ReplaceInsertion
from .requirements import requirement_name

DOCKER_STORAGE = {
    "prefect.storage.Docker", "prefect.storage.docker.Docker",
    "prefect.environments.storage.Docker", "prefect.environments.storage.docker.Docker",
}
FLOW_CLASSES = {"prefect.Flow", "prefect.core.Flow", "prefect.core.flow.Flow"}
KEYWORD = "python_dependencies"


@dataclass(frozen=True)
class DockerStorage:
    call: ast.Call = field(repr=False, compare=False)
    span: Span
    """The `Docker(...)` call."""
    flows: tuple[str, ...]
    """Names of the flow variables it is attached to, in source order."""
    declaration: Declaration

    @property
    def names(self) -> frozenset[str]:
        return self.declaration.names


def docker_storage_declarations(
    tree: ast.Module, lines: Sequence[str], path: Path | None = None, line_break: str = "\n"
) -> list[DockerStorage]:
    """Every Prefect 1 Docker storage built in the module, in source order."""
    module = _Module(tree, TextIndex.from_lines(lines, line_break), path or Path())
    return [module.storage(call) for call in module.docker_calls]


class _Module:
    def __init__(self, tree: ast.Module, index: TextIndex, path: Path) -> None:
        self.tree = tree
        self.index = index
        self.path = path
        self.imports = _import_bindings(tree)
        self.docker_calls = [
            node for node in ast.walk(tree) if isinstance(node, ast.Call) and self.qualname(node.func) in DOCKER_STORAGE
        ]
        self.docker_calls.sort(key=lambda call: (call.lineno, call.col_offset))
        self.variables = self._storage_variables()
        self.attachments = self._attachments()
        self.lists = _module_lists(tree)

    def qualname(self, node: ast.expr) -> str | None:
        attributes = []
        while isinstance(node, ast.Attribute):
            attributes.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.imports:
            return None
        return ".".join([self.imports[node.id], *reversed(attributes)])

    def _storage_variables(self) -> dict[str, ast.Call]:
        calls = {id(call): call for call in self.docker_calls}
        variables = {}
        for node in ast.walk(self.tree):
            value = getattr(node, "value", None)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and id(value) in calls:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                variables.update((t.id, value) for t in targets if isinstance(t, ast.Name))
        return variables

    def _storage_call(self, node: ast.expr | None) -> ast.Call | None:
        if isinstance(node, ast.Name):
            return self.variables.get(node.id)
        return node if any(node is call for call in self.docker_calls) else None

    def _attachments(self) -> dict[int, list[tuple[int, str]]]:
        """id of each Docker call → (line, flow variable) pairs."""
        found: dict[int, list[tuple[int, str]]] = {}
        for node in ast.walk(self.tree):
            for call, flow in self._attached_by(node):
                if call is not None:
                    found.setdefault(id(call), []).append((node.lineno, flow))
        return found

    def _attached_by(self, node: ast.AST) -> list[tuple[ast.Call | None, str]]:
        """`flow.storage = s`, `flow = Flow(..., storage=s)`, `with Flow(..., storage=s) as flow`."""
        if isinstance(node, ast.Assign):
            attached = []
            for target in node.targets:
                if _is_storage_attribute(target):
                    attached.append((self._storage_call(node.value), target.value.id))
                elif isinstance(target, ast.Name) and self._is_flow(node.value):
                    attached.append((self._storage_call(_keyword(node.value, "storage")), target.id))
            return attached
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return [
                (self._storage_call(_keyword(item.context_expr, "storage")), item.optional_vars.id)
                for item in node.items
                if isinstance(item.optional_vars, ast.Name) and self._is_flow(item.context_expr)
            ]
        return []

    def _is_flow(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and self.qualname(node.func) in FLOW_CLASSES

    def storage(self, call: ast.Call) -> DockerStorage:
        flows = tuple(dict.fromkeys(flow for _, flow in sorted(self.attachments.get(id(call), []))))
        return DockerStorage(call, self.span(call), flows, self.declaration(call))

    def declaration(self, call: ast.Call) -> Declaration:
        value = _keyword(call, KEYWORD)
        if value is None:
            arguments = self.arguments(call)
            insertion = KeywordInsertion(self.path, self.index, arguments, KEYWORD) if arguments else None
            unpacked = any(k.arg is None for k in call.keywords)
            return Declaration("docker-storage", self.path, frozenset(), not unpacked, insertion)
        if isinstance(value, ast.Constant) and value.value is None:
            insertion = ReplaceInsertion(self.path, self.index, *self.offsets(value))
            return Declaration("docker-storage", self.path, frozenset(), True, insertion)
        if isinstance(value, ast.Name) and value.id in self.lists:
            value = self.lists[value.id]
        if not isinstance(value, (ast.List, ast.Tuple)):
            return Declaration("docker-storage", self.path, frozenset(), False)
        return self.list_declaration(value)

    def list_declaration(self, literal: ast.List | ast.Tuple) -> Declaration:
        names = set()
        complete = True
        strings = []
        for element in literal.elts:
            name = requirement_name(element.value) if _is_string(element) else None
            if name is None:
                complete = False
                continue
            names.add(name)
            strings.append(self.index.text[slice(*self.offsets(element))].lstrip("rRuU"))
        quote = preferred_quote(strings)
        items = self.bracketed(literal, literal.elts) if literal.elts or isinstance(literal, ast.List) else None
        insertion = ItemInsertion(self.path, self.index, items, quote) if items else None
        return Declaration("docker-storage", self.path, frozenset(names), complete, insertion)

    def arguments(self, call: ast.Call) -> ItemList | None:
        """The call's parentheses and arguments, in source order."""
        arguments = sorted([*call.args, *call.keywords], key=lambda node: (node.lineno, node.col_offset))
        func_end = self.offsets(call.func)[1]
        open_paren = self.index.text.find("(", func_end)
        close_paren = self.offsets(call)[1] - 1
        if open_paren < 0 or self.index.text[close_paren] != ")":
            return None
        return ItemList(open_paren, close_paren, tuple(self.offsets(a) for a in arguments))

    def bracketed(self, literal: ast.List | ast.Tuple, elements: list[ast.expr]) -> ItemList | None:
        start, end = self.offsets(literal)
        if self.index.text[start] not in "[(" or self.index.text[end - 1] not in "])":
            return None
        return ItemList(start, end - 1, tuple(self.offsets(e) for e in elements))

    def offsets(self, node: ast.AST) -> tuple[int, int]:
        return self.offset(node.lineno, node.col_offset), self.offset(node.end_lineno, node.end_col_offset)

    def offset(self, line: int, byte_column: int) -> int:
        text = self.index.text[self.index.offset(line, 0) : self.index.line_end(self.index.offset(line, 0))]
        return self.index.offset(line, char_column(text, byte_column))

    def span(self, node: ast.AST) -> Span:
        return self.index.span(*self.offsets(node))


def _keyword(call: ast.expr, name: str) -> ast.expr | None:
    if not isinstance(call, ast.Call):
        return None
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_storage_attribute(target: ast.expr) -> bool:
    return isinstance(target, ast.Attribute) and target.attr == "storage" and isinstance(target.value, ast.Name)


def _is_string(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _import_bindings(tree: ast.Module) -> dict[str, str]:
    """Local name → the dotted name it was imported as, from every import in the module."""
    bindings: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bindings[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    bindings[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    bindings[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bindings


def _module_lists(tree: ast.Module) -> dict[str, ast.List | ast.Tuple]:
    """Module-level names bound exactly once, to a list or tuple literal (`DEPENDENCIES = [...]`)."""
    bound: dict[str, list[ast.expr | None]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append(statement.value)
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            bound.setdefault(statement.target.id, []).append(statement.value)
        elif isinstance(statement, ast.AugAssign) and isinstance(statement.target, ast.Name):
            bound.setdefault(statement.target.id, []).append(None)
    return {
        name: values[0] for name, values in bound.items()
        if len(values) == 1 and isinstance(values[0], (ast.List, ast.Tuple))
    }
