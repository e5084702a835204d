"""uv workspaces: the root project and the members `[tool.uv.workspace] members` names.

A member's dependency on another project of its workspace installs that project
(as `uv sync --package` does), with its own dependencies; the projects themselves
are the workspace's code, never distributions to declare. Only `pyproject.toml`
files are read.
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..project import file_stamps
from ._text import read_text
from .classify import folders_up_to
from .closure import Package, requested_all
from .distributions import canonical


@dataclass(frozen=True)
class Workspace:
    root: Path
    folders: dict[str, Path]
    """Each project's canonical name → its folder (the root project's included)."""
    packages: dict[str, Package]
    """Each project's dependencies, for `closure.closure`."""


def find_workspace(module_file: Path, project_root: Path) -> Workspace | None:
    """The uv workspace whose root lies between the module and the project root, or None."""
    for folder in folders_up_to(module_file.parent, project_root):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            workspace = _read_cached(pyproject)
            if workspace is not None:
                return workspace
    return None


def _read_cached(pyproject: Path) -> Workspace | None:
    with _lock:
        cached = _cache.get(pyproject)
    if cached is not None and file_stamps(cached[0]) == cached[1]:
        return cached[2]
    files, workspace = _read(pyproject)
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[pyproject] = (files, file_stamps(files), workspace)
    return workspace


def _read(pyproject: Path) -> tuple[tuple[Path, ...], Workspace | None]:
    data = _toml(pyproject)
    members = _get(data, "tool", "uv", "workspace")
    if not isinstance(members, dict):
        return (pyproject,), None
    root = pyproject.parent
    excluded = {path for pattern in _strings(members.get("exclude")) for path in root.glob(pattern)}
    folders = [root] + sorted(
        path for pattern in _strings(members.get("members")) for path in root.glob(pattern)
        if path not in excluded and (path / "pyproject.toml").is_file()
    )
    files = tuple(folder / "pyproject.toml" for folder in folders)
    projects: dict[str, Path] = {}
    packages: dict[str, Package] = {}
    for folder, file in zip(folders, files):
        project = _get(data if folder == root else _toml(file), "project")
        if isinstance(project, dict) and isinstance(project.get("name"), str):
            name = canonical(project["name"])
            projects[name] = folder
            packages[name] = _package(project)
    return files, Workspace(root, projects, packages)


def _package(project: dict) -> Package:
    optional = project.get("optional-dependencies")
    extras = {
        canonical(extra): requested_all(entries)
        for extra, entries in (optional.items() if isinstance(optional, dict) else ())
        if isinstance(entries, list)
    }
    dependencies = project.get("dependencies")
    return Package(requested_all(dependencies if isinstance(dependencies, list) else ()), extras)


def _toml(path: Path) -> dict:
    text = read_text(path)
    try:
        return tomllib.loads(text) if text is not None else {}
    except tomllib.TOMLDecodeError:
        return {}


def _get(data: object, *keys: str) -> object:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


_MAX_CACHED = 64
_cache: dict[Path, tuple] = {}
_lock = threading.Lock()
