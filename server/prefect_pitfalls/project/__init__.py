"""The project model: what is known about the project a file belongs to, read from files.

One answer for the rules, the probe and jedi:
- its roots: the repository (`roots.py`), the packaging project, and the project root
  a person deploying it would name;
- its interpreter and that interpreter's site-packages (`interpreter.py`), located from
  files: the interpreter never runs;
- its declared environments: what the installers would install for one of its modules
  (`dependencies/`: `pyproject.toml`, requirements files, locks, workspaces, install steps);
- its deployments: every `prefect.yaml` of the tree, with its build, push and pull steps, the
  bases an entrypoint resolves from and the `sys.path` a worker gives it (`deployments.py`).

Nothing here executes code of the checked tree (SPEC, "Trust boundary"). A model is
cached by the stamps of the folders it was read from: a new `.git`, `.venv`,
`pyproject.toml` or `prefect.yaml` there gives a new model.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

from .interpreter import (
    OWN_INTERPRETER,
    Interpreter,
    SitePackages,
    choose_interpreter,
    is_own_interpreter,
    locate_site_packages,
    own_standard_library,
    project_environment,
    project_interpreter,
)
from .reads import is_recording, note
from .roots import file_stamps, import_root, marker_paths, packaging_root, project_root, repository_root

__all__ = [
    "OWN_INTERPRETER", "Interpreter", "Project", "SitePackages", "choose_interpreter", "file_stamps",
    "import_root", "is_own_interpreter", "locate_site_packages", "own_standard_library", "packaging_root",
    "project_environment", "project_for", "project_interpreter", "project_root", "repository_root",
]


@dataclass(frozen=True, eq=False)
class Project:
    """The project of one folder, as an installer, `prefect deploy` and a worker see it."""

    folder: Path
    repository: Path | None
    """The repository's top (the folder with `.git`), else the outermost `pyproject.toml` folder."""
    root: Path
    """The project's top: the repository, else the highest folder with a project file."""
    interpreter: Interpreter
    """The interpreter the project runs on; `chosen_by` says how it was found."""

    @property
    def own_environment(self) -> str | None:
        """The interpreter of the project's own environment: None when only the server's is left."""
        return None if self.interpreter.chosen_by == OWN_INTERPRETER else self.interpreter.path

    @cached_property
    def site_packages(self) -> SitePackages | None:
        return locate_site_packages(self.interpreter.path)

    def environment(self):
        """What the project's interpreter has installed (`dependencies.Environment`), from its metadata."""
        from ..dependencies.environment import read_environment

        return read_environment(self.interpreter.path)

    def declarations(self, module: Path, groups: Sequence[str] = ()) -> list:
        """What the module's flows are installed from (`dependencies.Declaration`s), preferred first."""
        from ..dependencies.discovery import project_declarations

        return project_declarations(module, self.root, groups, self.deployment_files)

    def installs(self, module: Path, declarations: Sequence, environment=None):
        """What the installer installs from ``declarations`` (`dependencies.installs.Installs`)."""
        from ..dependencies.installs import what_installs

        return what_installs(declarations, module, self.root, environment)

    @property
    def deployment_files(self) -> tuple[Path, ...]:
        """Every `prefect.yaml` of the repository (or of the project, outside one)."""
        from .deployments import deployment_files

        return deployment_files(self.repository or self.root)

    def deployments(self):
        """Each deployment of the tree with the `prefect.yaml` that declares it."""
        from .deployments import read_deployments

        return [(yaml, deployment) for yaml in self.deployment_files for deployment in read_deployments(yaml)]


def project_for(path: Path | None, interpreter_setting: str | None = None, configured_root: Path | None = None) -> Project:
    """The model of the project ``path`` (a file or folder) belongs to."""
    folder = _folder_of(path, configured_root)
    key = (folder, interpreter_setting, configured_root, os.environ.get("VIRTUAL_ENV"))
    watched = (folder, *folder.parents)
    if is_recording():  # a result depends on which marker files exist, not on every folder above
        note(marker_paths(watched))
    with _lock:
        cached = _models.get(key)
    if cached is not None and file_stamps(watched, record=False) == cached[0]:
        return cached[1]
    model = _read(folder, interpreter_setting, configured_root)
    with _lock:
        if len(_models) >= 256:
            _models.clear()
        _models[key] = (file_stamps(watched, record=False), model)
    return model


def _folder_of(path: Path | None, configured_root: Path | None) -> Path:
    if path is None:
        return Path(os.path.abspath(configured_root or os.getcwd()))
    path = Path(os.path.normpath(os.path.abspath(path)))
    return path if path.is_dir() else path.parent


def _read(folder: Path, interpreter_setting: str | None, configured_root: Path | None) -> Project:
    repository = repository_root(folder)
    root = project_root(folder / "__module__.py")
    return Project(folder, repository, root, choose_interpreter(interpreter_setting, configured_root or folder))


_models: dict[tuple, tuple[tuple, Project]] = {}
_lock = threading.Lock()
