"""Which declarations apply to a Prefect 2/3 module, as the PP306 contract describes them.

The nearest `pyproject.toml` between the module and the project root, the
`requirements*.txt` files beside it (or, without one, in the nearest folder
above the module that has some), and the nearest `prefect.yaml`'s install
steps: those of the first deployment whose entrypoint is the module, else of
the whole file.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Callable, Sequence

from ..project import file_stamps
from .classify import absolute, folders_up_to
from .declarations import Declaration
from .prefect_yaml import PrefectYaml, read_prefect_yaml
from .pyproject import read_pyproject
from .requirements import find_requirements_files, read_requirements


def project_declarations(
    module_file: Path, project_root: Path, groups: Sequence[str] = (), deployment_files: Sequence[Path] = ()
) -> list[Declaration]:
    """Every declaration the module's flows are installed from, the preferred place for a fix first:
    a `prefect.yaml` of ``deployment_files`` that deploys the module, else the nearest above it."""
    folders = folders_up_to(module_file.parent, project_root)
    declarations: list[Declaration] = []
    pyproject_folder = _nearest(folders, lambda folder: (folder / "pyproject.toml").is_file())
    if pyproject_folder is not None:
        pyproject = _unchanged_since_read(read_pyproject, pyproject_folder / "pyproject.toml", tuple(groups))
        if pyproject is not None:
            declarations.append(pyproject)
        requirements_folder = pyproject_folder
    else:
        requirements_folder = _nearest(folders, lambda folder: bool(runtime_requirements_files(folder)))
    if requirements_folder is not None:
        declarations += [
            _unchanged_since_read(read_requirements, path) for path in runtime_requirements_files(requirements_folder)
        ]
    steps = _deploying(module_file, deployment_files, project_root)
    yaml_folder = _nearest(folders, lambda folder: (folder / "prefect.yaml").is_file())
    if steps is None and yaml_folder is not None:
        steps = deployment_declaration(_unchanged_since_read(read_prefect_yaml, yaml_folder / "prefect.yaml"), module_file)
    if steps is not None:
        declarations.append(steps)
    return declarations


def _deploying(module_file: Path, deployment_files: Sequence[Path], project_root: Path) -> Declaration | None:
    """What the deployment of a `prefect.yaml` anywhere in the tree installs, when its entrypoint
    is the module (relative to the YAML's folder or to the root `prefect deploy` ran from)."""
    for yaml in deployment_files:
        found = deployment_declaration(_unchanged_since_read(read_prefect_yaml, yaml), module_file, project_root, exact=True)
        if found is not None:
            return found
    return None


def runtime_requirements_files(folder: Path) -> list[Path]:
    """The folder's `requirements*.txt` but those for development (`requirements-dev.txt`, `-test`,
    `-tests`, `-docs`, `-lint`): a deployment does not install them."""
    return [path for path in find_requirements_files(folder) if not _is_development(path)]


def _is_development(path: Path) -> bool:
    words = set(re.split(r"[-_.]+", path.name.lower().removesuffix(".txt")))
    return bool(words & _DEVELOPMENT_WORDS)


_DEVELOPMENT_WORDS = {"dev", "develop", "development", "test", "tests", "testing", "docs", "doc", "lint", "linting"}


def deployment_declaration(
    prefect_yaml: PrefectYaml, module_file: Path, root: Path | None = None, exact: bool = False
) -> Declaration | None:
    """What the first deployment of ``module_file`` installs, else (unless ``exact``) what the
    file's steps install. Entrypoints are relative to the YAML's folder, or to ``root``."""
    module = absolute(module_file)
    bases = [prefect_yaml.path.parent, *([root] if root is not None else [])]
    for deployment in prefect_yaml.deployments:
        entrypoint = deployment.entrypoint
        if entrypoint is not None and entrypoint.is_path and deployment.declaration is not None:
            if any(absolute(base / entrypoint.file) == module for base in bases):
                return deployment.declaration
    return None if exact else prefect_yaml.declaration


def _unchanged_since_read(reader: Callable, path: Path, *arguments):
    """``reader(path, *arguments)``, read again only when the file or another file it read
    (an include, the requirements a step installs) changes."""
    key = (reader, str(path), arguments)
    with _lock:
        cached = _reads.get(key)
    if cached is not None and file_stamps(cached[0]) == cached[1]:
        return cached[2]
    value = reader(path, *arguments)
    files = (path, *sorted(_sources(value)))
    with _lock:
        if len(_reads) >= _MAX_READS:
            _reads.clear()
        _reads[key] = (files, file_stamps(files), value)
    return value


def _sources(value: Declaration | PrefectYaml | None) -> frozenset[Path]:
    if isinstance(value, Declaration):
        return value.sources
    if isinstance(value, PrefectYaml):
        declarations = [value.declaration, *(deployment.declaration for deployment in value.deployments)]
        return frozenset().union(*(d.sources for d in declarations if d is not None))
    return frozenset()


_reads: dict[tuple, tuple] = {}
_MAX_READS = 256
_lock = threading.Lock()


def _nearest(folders: list[Path], matches: Callable[[Path], bool]) -> Path | None:
    return next((folder for folder in folders if matches(folder)), None)
