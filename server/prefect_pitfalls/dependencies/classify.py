"""Whether an imported top-level name is the standard library, the project's own code, or third-party.

Project-local means a module (`name.py`, an extension module), a package
(`name/__init__.py`) or a namespace package (a `name/` folder holding Python
files) in the importing module's folder, a folder between it and the project
root, the root itself, or the root's `src/`. A folder without Python files
(`data/`, `docs/`) is not a package, whatever its name.
"""

from __future__ import annotations

import ast
import enum
import os
import sys
import threading
from pathlib import Path

from ..project import file_stamps
from ._text import read_text
from .submodules import submodule_folders
from .sys_path import sys_path_targets

# Removed from recent Pythons, still the standard library of projects running older ones.
_REMOVED_FROM_STDLIB = {
    "asynchat", "asyncore", "distutils", "imp", "smtpd",  # 3.12
    "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap", "msilib",
    "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",  # 3.13
}
STDLIB_NAMES = frozenset(sys.stdlib_module_names) | {"__future__", "__main__"} | _REMOVED_FROM_STDLIB

_EXTENSION_SUFFIXES = (".so", ".pyd")
_PYTHON_SUFFIXES = (".py", ".pyw", *_EXTENSION_SUFFIXES)
_NAMESPACE_DEPTH = 4
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages"}


class ModuleKind(enum.Enum):
    STDLIB = "stdlib"
    LOCAL = "local"
    THIRD_PARTY = "third-party"


def classify(top_level: str, module_file: Path, project_root: Path, tree: ast.Module | None = None) -> ModuleKind:
    """The kind of an import name in ``module_file``; ``tree`` is the module's syntax tree when
    it differs from the file (an unsaved editor buffer), else the file is read."""
    if is_stdlib(top_level):
        return ModuleKind.STDLIB
    if any(_provides(folder, top_level) for folder in search_folders(module_file, project_root)):
        return ModuleKind.LOCAL
    if _in_submodule(top_level, module_file, project_root):
        return ModuleKind.LOCAL
    if any(_provides(folder, top_level) for folder in added_to_sys_path(module_file, tree)):
        return ModuleKind.LOCAL
    return ModuleKind.THIRD_PARTY


def is_stdlib(top_level: str) -> bool:
    return top_level in STDLIB_NAMES


def search_folders(module_file: Path, project_root: Path) -> list[Path]:
    """The folders a project-local import may come from, nearest first."""
    root = absolute(project_root)
    folders = folders_up_to(module_file.parent, root)
    if root not in folders:
        folders.append(root)
    return [*folders, root / "src"]


def _in_submodule(top_level: str, module_file: Path, project_root: Path) -> bool:
    """Whether a submodule provides the name, or is itself the folder the import finds (one
    that is not checked out is empty)."""
    submodules = submodule_folders(project_root)
    if not submodules:
        return False
    searched = search_folders(module_file, project_root)
    return any(
        _provides(folder, top_level)
        or _provides(folder / "src", top_level)
        or (folder.name == top_level and folder.parent in searched)
        for folder in submodules
    )


def added_to_sys_path(module_file: Path, tree: ast.Module | None = None) -> tuple[Path, ...]:
    """The folders a module adds to `sys.path`; () when one of them cannot be computed."""
    if tree is not None:
        return sys_path_targets(tree, module_file) or ()
    module = absolute(module_file)
    stamp = file_stamps((module,))
    with _cache_lock:
        cached = _added_cache.get(module)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    folders = _read_sys_path_targets(module)
    with _cache_lock:
        if len(_added_cache) >= _MAX_CACHED:
            _added_cache.clear()
        _added_cache[module] = (stamp, folders)
    return folders


def _read_sys_path_targets(module: Path) -> tuple[Path, ...]:
    text = read_text(module)
    if text is None or ("sys" not in text and "addsitedir" not in text):
        return ()
    try:
        tree = ast.parse(text, filename=str(module))
    except (SyntaxError, ValueError):
        return ()
    return sys_path_targets(tree, module) or ()


def folders_up_to(folder: Path, project_root: Path) -> list[Path]:
    """``folder`` and its parents up to ``project_root`` (only ``folder`` when it lies outside)."""
    folder, root = absolute(folder), absolute(project_root)
    if folder != root and root not in folder.parents:
        return [folder]
    folders = [folder]
    while folder != root:
        folder = folder.parent
        folders.append(folder)
    return folders


def absolute(path: Path) -> Path:
    """An absolute, normalised path; symbolic links are kept, as imports see them."""
    return Path(os.path.normpath(os.path.abspath(path)))


def provides(folder: Path, name: str) -> bool:
    """Whether ``folder`` holds a module, package or namespace package named ``name``."""
    return _provides(folder, name)


def _provides(folder: Path, name: str) -> bool:
    entries = _listing(folder)
    if name in entries.modules:
        return True
    return name in entries.folders and _holds_python(folder / name, _NAMESPACE_DEPTH)


def _holds_python(folder: Path, depth: int) -> bool:
    """Whether a folder (or one below it, ``depth`` levels down) holds a Python file."""
    entries = _listing(folder)
    if entries.has_python:
        return True
    if depth <= 1:
        return False
    return any(_holds_python(folder / child, depth - 1) for child in sorted(entries.folders))


class _Listing:
    __slots__ = ("modules", "folders", "has_python")

    def __init__(self, modules: frozenset[str], folders: frozenset[str], has_python: bool) -> None:
        self.modules = modules
        """Names importable from the folder as a module (packages are among ``folders``)."""
        self.folders = folders
        self.has_python = has_python


_EMPTY = _Listing(frozenset(), frozenset(), False)
_MAX_CACHED = 4096
_cache: dict[Path, tuple[tuple, _Listing]] = {}
_added_cache: dict[Path, tuple[tuple, tuple[Path, ...]]] = {}
_cache_lock = threading.Lock()


def _listing(folder: Path) -> _Listing:
    """A folder's Python modules and subfolders, cached until the folder changes."""
    stamp = file_stamps((folder,))[0]
    if stamp is None:
        return _EMPTY
    with _cache_lock:
        cached = _cache.get(folder)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    listing = _read_listing(folder)
    with _cache_lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[folder] = (stamp, listing)
    return listing


def _read_listing(folder: Path) -> _Listing:
    modules: set[str] = set()
    folders: set[str] = set()
    has_python = False
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or name in _SKIPPED_FOLDERS:
                    continue
                if _is_folder(entry):
                    folders.add(name)
                elif name.endswith(_PYTHON_SUFFIXES):
                    has_python = True
                    modules.add(_module_name(name))
    except OSError:
        return _EMPTY
    return _Listing(frozenset(modules), frozenset(folders), has_python)


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _module_name(file_name: str) -> str:
    """`etl.py` → `etl`; `fast.cpython-311-x86_64-linux-gnu.so` → `fast`."""
    if file_name.endswith(_EXTENSION_SUFFIXES):
        return file_name.partition(".")[0]
    return file_name.rpartition(".")[0]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
        _added_cache.clear()
