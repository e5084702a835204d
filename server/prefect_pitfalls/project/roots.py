"""Where a project starts: its repository, its packaging projects, the folders imports resolve from.

Each answer is read from which marker files exist (`.git`, `pyproject.toml`, `setup.py`, ...);
nothing is run.
"""

from __future__ import annotations

import os
from pathlib import Path

from .reads import note

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "prefect.yaml", "requirements.txt")
"""Files that say "the project starts here" to a person deploying it; a `.git` ends the search."""


def repository_root(folder: Path) -> Path | None:
    """Where a module's absolute imports of the project are resolved from: the repository's top
    (the folder with `.git`, a folder or a worktree's file), else the outermost folder above with
    a `pyproject.toml`."""
    outermost = None
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
        if (candidate / "pyproject.toml").is_file():
            outermost = candidate
    return outermost


import_root = repository_root


def project_root(module: Path) -> Path:
    """The top of a module's project: its repository, else the highest folder above it with a
    project file (below the home folder)."""
    best = module.parent
    home = Path.home()
    for folder in (module.parent, *module.parent.parents):
        if folder == home or folder.parent == folder:
            break
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            best = folder
        if (folder / ".git").exists():
            return folder
    return best


def packaging_root(folder: Path, repository: Path) -> Path | None:
    """The nearest folder with a `pyproject.toml`, from ``folder`` up to the repository root."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
        if candidate == repository:
            return None
    return None


def marker_paths(folders) -> list[Path]:
    """The files whose existence decides the roots and the environment found from ``folders``."""
    names = (".git", *PROJECT_MARKERS, ".venv/bin/python", "venv/bin/python", ".venv/Scripts/python.exe")
    return [folder / name for folder in folders for name in names]


def file_stamps(files, record: bool = True) -> tuple:
    """Size and modification time of each file; None for one that is missing. What was read
    from files is read again when their stamps change. The stamps taken are recorded as what
    an analysis depends on (`reads`), unless ``record`` is False."""
    files = tuple(files)
    if record:
        note(files)
    stamps = []
    for file in files:
        try:
            stat = os.stat(file)
            stamps.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append(None)
    return tuple(stamps)
