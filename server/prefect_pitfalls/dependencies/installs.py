"""What the installer installs for a module's flows, from the declarations that apply to it.

The declared distributions, with the extras they ask for, and everything they bring:
the projects of a uv workspace (a member's dependency on another project of the
workspace), the packages of the nearest lock file (`uv.lock`, `poetry.lock`,
`pdm.lock`), the integrations Prefect's extras name and, when the project's
environment has them installed, what their metadata requires (`Requires-Dist`,
markers evaluated for that environment). The projects of the workspace are the
project's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from .classify import provides
from .closure import PREFECT_EXTRAS, Packages, Requested, closure, reached
from .declarations import Declaration
from .environment import Environment
from .locks import find_lock, read_lock
from .workspace import find_workspace


@dataclass(frozen=True)
class Installs:
    names: frozenset[str]
    """Canonical names of every distribution installed."""
    local_projects: frozenset[str]
    """Canonical names of the workspace's projects: code of the project, not distributions."""
    local_folders: tuple[Path, ...]
    """The folders of the workspace's projects, with their `src/`."""
    opaque: frozenset[str] = frozenset()
    """Installed distributions whose own requirements no source tells (no lock, no metadata):
    what they bring is not known."""

    def is_local(self, top_level: str) -> bool:
        """Whether a workspace project's folder provides the import name."""
        return any(provides(folder, top_level) for folder in self.local_folders)


def what_installs(
    declarations: Sequence[Declaration], module_file: Path, project_root: Path, environment: Environment | None = None
) -> Installs:
    workspace = find_workspace(module_file, project_root)
    sources: list[Packages] = [PREFECT_EXTRAS]
    if workspace is not None:
        sources.append(workspace.packages)
    lock = find_lock(_declaring_folder(declarations, module_file), project_root)
    if lock is not None:
        sources.append(read_lock(lock))
    found = reached(_requested(declarations), sources)
    names = frozenset(name for name, _ in found)
    if environment is not None:
        names |= installed_closure(environment, found)
    opaque = frozenset() if lock is not None else _opaque(found, declarations, sources, environment)
    if workspace is None:
        return Installs(names, frozenset(), (), opaque)
    folders = tuple(path for folder in workspace.folders.values() for path in (folder, folder / "src"))
    return Installs(names, frozenset(workspace.folders), folders, opaque)


def _opaque(
    found: frozenset[Requested], declarations: Sequence[Declaration], sources: list[Packages], environment: Environment | None
) -> frozenset[str]:
    """Without a lock, the distributions reached whose requirements neither the workspace, a
    compiled requirements file nor installed metadata tells. (With a lock, one it lacks was
    declared since the lock was written: what it brings is what the next lock adds.)"""
    if any(declaration.closed for declaration in declarations):
        return frozenset()
    known = set().union(*(source.keys() for source in sources[1:]))
    if environment is not None:
        known |= environment.requirements.keys()
    return frozenset(name for name, _ in found if name not in known)


@lru_cache(maxsize=32)
def installed_closure(environment: Environment, start: frozenset[Requested]) -> frozenset[str]:
    """What the environment's metadata says ``start`` brings; an environment lives as long as its stamp."""
    return closure(start, [PREFECT_EXTRAS, environment.requirements])


def _requested(declarations: Sequence[Declaration]) -> list[Requested]:
    asked: dict[str, set[str]] = {}
    for declaration in declarations:
        for name in declaration.names:
            asked.setdefault(name, set())
        for name, extras in declaration.extras:
            asked.setdefault(name, set()).update(extras)
    return [(name, frozenset(extras)) for name, extras in asked.items()]


def _declaring_folder(declarations: Sequence[Declaration], module_file: Path) -> Path:
    """Where the lock of the declaring project is searched from: its `pyproject.toml`, else the module."""
    for declaration in declarations:
        if declaration.kind == "pyproject":
            return declaration.path.parent
    return module_file.parent
