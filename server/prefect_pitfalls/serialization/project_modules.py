"""Tasks and functions defined in the project's other modules, found through the import that
names them: `from utils import utils` then `utils.ensure_conda(ssh)`, `from .tasks import upload`.

The module's file is looked up under the importing module's folder and its parents up to
the project root, parsed (never imported) and cached by its stamp.
"""

from __future__ import annotations

import ast
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from typing import Iterator

from ..prefect_model import Body, FunctionNode, PrefectModel
from ..project import file_stamps
from ..source import parse

_MAX_CACHED = 512


@dataclass(frozen=True)
class ImportedTask:
    body: Body
    model: PrefectModel


@dataclass(frozen=True)
class ImportedFunction:
    function: FunctionNode
    model: PrefectModel


class ProjectModules:
    def __init__(self, model: PrefectModel, path: Path | None, root: Path | None) -> None:
        self.model = model
        self.folder = Path(os.path.abspath(path)).parent if path is not None else None
        self.root = root
        self._relative = _relative_imports(model)

    def task_called(self, func: ast.expr, line: int) -> ImportedTask | None:
        """The task a call's function names in another module of the project, if any."""
        for name, imported in self.defining(func, line):
            body = imported.bodies_by_name.get(name)
            if body is not None:
                return ImportedTask(body, imported) if body.kind == "task" else None
        return None

    def function_called(self, func: ast.expr, line: int) -> ImportedFunction | None:
        """The plain function (not a task or flow) a call names in another module of the project."""
        for name, imported in self.defining(func, line):
            if name in imported.bodies_by_name:
                return None
            for statement, _ in imported.module_statements:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
                    return ImportedFunction(statement, imported)
        return None

    def defining(self, func: ast.expr, line: int) -> Iterator[tuple[str, PrefectModel]]:
        """(name, module) pairs for the modules of the project where a dotted name may be defined:
        `helpers.conn` or `conn` from `from helpers import conn` → ("conn", helpers.py's model)."""
        if self.folder is None:
            return
        for module, name in self._candidates(func, line):
            for file in self._files(module):
                imported = _module_model(file)
                if imported is not None:
                    yield name, imported

    def _candidates(self, func: ast.expr, line: int) -> list[tuple[tuple[str, int], str]]:
        """(module, level) and attribute pairs a dotted call may name."""
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return []
        if root.id in self._relative:
            dotted, level = self._relative[root.id]
            parts = [*dotted.split("."), *_attributes(func)]
            return [((".".join(parts[:-1]), level), parts[-1])]
        qualname = self.model.qualname(func, line)
        if qualname is None or qualname.split(".")[0] in ("prefect", "builtins"):
            return []
        parts = qualname.split(".")
        return [((".".join(parts[:-1]), 0), parts[-1])] if len(parts) > 1 else []

    def _files(self, module: tuple[str, int]) -> list[Path]:
        dotted, level = module
        relative = Path(*dotted.split(".")) if dotted else Path()
        if level:
            base = self.folder
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = [self.folder, *self._parents()]
        found = []
        for base in bases:
            for candidate in (base / relative.with_suffix(".py"), base / relative / "__init__.py"):
                if str(relative) != "." and candidate.is_file():
                    found.append(candidate)
        return found

    def _parents(self) -> list[Path]:
        if self.root is None:
            return []
        parents = []
        for folder in self.folder.parents:
            parents.append(folder)
            if folder == self.root:
                return parents
        return []  # the module is outside the project root: only its own folder


def _attributes(func: ast.expr) -> list[str]:
    names = []
    while isinstance(func, ast.Attribute):
        names.append(func.attr)
        func = func.value
    return list(reversed(names))


def _relative_imports(model: PrefectModel) -> dict[str, tuple[str, int]]:
    """Names bound by `from .x import y` and `from . import x`: the dotted path each stands for
    below the package folder (`x.y`, `x`), and the import's level."""
    found = {}
    for statement, _ in model.module_statements:
        if isinstance(statement, ast.ImportFrom) and statement.level:
            for alias in statement.names:
                dotted = f"{statement.module}.{alias.name}" if statement.module else alias.name
                found[alias.asname or alias.name] = (dotted, statement.level)
    return found


_cache: dict[Path, tuple[tuple, PrefectModel | None]] = {}
_lock = threading.Lock()


def _module_model(path: Path) -> PrefectModel | None:
    stamp = file_stamps([path])
    with _lock:
        cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    model = PrefectModel(parse(text))
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[path] = (stamp, model)
    return model
