"""## What it does
Checks that the project-local modules a deployment's flow imports can be imported
where a worker runs it. The module is the file of a `prefect.yaml` deployment's
`entrypoint: path/to/flow.py:fn`, or a project module that it imports (two levels
deep).

A worker first runs the deployment's pull steps, which leave the working directory
where `set_working_directory` or `git_clone` put it (without pull steps, where
`prefect deploy` ran). Prefect's loader then runs the entrypoint as a script with
two folders first on `sys.path`: the entrypoint's own folder and that working
directory. Any other folder of the repository is not on it. An import of a module
that lives in the repository, but in neither of these folders, fails with
`ModuleNotFoundError` on the worker, even when it works in an editor or in
`python -m` from another folder. A typical case: `flows/lib/tools.py` imports its
sibling `helpers` by its bare name.

Every `prefect.yaml` of the repository is read, wherever it sits. A module that does not use Prefect is not
checked itself: the import that loads it, in the flow's module, is reported instead.

When the deployment's build step builds a Docker image (`build_docker_image` with a
Dockerfile of the tree, or `dockerfile: auto`) and no `git_clone` pull step fetches
the code at run time, the flow runs in that image: its imports are resolved against
the files the Dockerfile's `COPY` and `ADD` lines put there (`.dockerignore`
respected), with the folders its `PYTHONPATH` names also on `sys.path`. A package
the image does not contain is reported as such. Without pull steps, `dockerfile:
auto` runs the flow from `/opt/prefect/<folder>`, as `prefect deploy` writes it.

Nothing is reported when the working directory cannot be known (templated, or
mapping onto several folders); when the entrypoint's file is not found (PP307
reports that); when the module is installed in the project's environment or may be
(it sits beside a `pyproject.toml`, `setup.py` or `setup.cfg`, or in a `src/`
folder); when a distribution of that name is declared; when the deployment or, without
a Dockerfile the tool reads, an image built beside it sets `PYTHONPATH`; when a
loaded module changes `sys.path` in a way its source does not show (folders computed
from literals and `__file__`, as in `sys.path.insert(0, str(Path(__file__).parent.parent))`,
are put on the flow's `sys.path`); or when the image holds content the Dockerfile
does not show (a copy from another image, an archive).

## Why is this bad?
The deployment is accepted, and every flow run crashes before the flow starts,
with an error that points at a module which is plainly in the repository.

## Example
```python
# flows/lib/tools.py, imported by the entrypoint flows/etl.py
from helpers import clean   # flows/lib/helpers.py: not on the worker's sys.path
```

## Use instead
```python
# flows/lib/tools.py
from .helpers import clean
```

## Fix safety
Where it is unambiguous, the fix makes the import package-relative: the module
imported by its bare name sits beside the importing module and nowhere else in
the tree, and every deployment that loads the importing module imports it as part
of its package (not as a top-level module, not in an image). It is unsafe: running
the module as a script (`python flows/lib/tools.py`) no longer works. Otherwise
there is no fix: a different working directory or an installed package each change
how the project is laid out, and which one fits is yours to choose.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Iterator

from ..dependencies.classify import absolute, is_stdlib, provides, search_folders
from ..dependencies.dockerfile import image_paths_of
from ..dependencies.discovery import project_declarations
from ..dependencies.imports import ImportedModule, collect_imports
from ..dependencies.sys_path import sys_path_targets
from ..dependencies.prefect_yaml import Deployment
from ..findings import Applicability, Edit, Finding, Fix, Related, Severity
from ..prefect_model import PrefectModel
from ..project import file_stamps
from ..project.deployments import BuiltImage, built_image, image_loader_path, loader_path
from ..source import parse
from .base import RuleContext, brief

CODE = "PP308"
NAME = "unresolvable-local-import"
SEVERITY = Severity.ERROR
VERSIONS = ("2/3",)
FIX = "unsafe"

_PACKAGING_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_DEPTH = 2
"""How many levels of project-local imports below the entrypoint are followed."""


@dataclass(frozen=True)
class WorkerPath:
    """What a worker's loader puts first on `sys.path` for one deployment (prefect/utilities/
    importtools.py:load_script_as_module, in Prefect 2 and 3: the script's folder, then the
    working directory the pull steps left), and the modules of the tree the flow loads."""

    deployment: Deployment
    yaml: Path
    repository: Path
    folders: tuple[Path, ...]
    """The folders of the tree on the flow's sys.path (in an image: those the image holds copies of)."""
    modules: frozenset[Path]
    image: BuiltImage | None = None
    image_folders: tuple[PurePosixPath, ...] = ()
    """In an image, the folders on the flow's sys.path there."""

    def resolves(self, name: str) -> bool:
        """Whether ``name`` is importable from the flow's sys.path (in the image, when it runs in one)."""
        if self.image is not None:
            return any(self.image.holds_module(folder, name) for folder in self.image_folders)
        return any(provides(folder, name) for folder in self.folders)


def check(ctx: RuleContext) -> Iterator[Finding]:
    if ctx.path is None or ctx.source.problem is not None or "import" not in ctx.source.text:
        return
    module = absolute(ctx.path)
    reported: set[tuple[int, int]] = set()
    installed = _installed_folders(ctx)
    workers = list(_workers_loading(ctx, module))
    in_a_package = all(w.image is None and module.parent not in w.folders for w in workers)
    for worker in workers:
        for imported in collect_imports(ctx.source.tree, ctx.source.lines):
            where = (imported.span.line, imported.span.column)
            if where in reported:
                continue
            if _fails(imported, module, worker, installed):
                reported.add(where)
                fix = _relative_import_fix(ctx, imported, module, worker) if in_a_package else None
                yield _finding(ctx, imported, _message(imported, module, worker), worker, fix)
                continue
            hidden = next(_failures_below(imported, worker, installed, {module}), None)
            if hidden is not None:
                reported.add(where)
                yield _finding(ctx, imported, _chain_message(imported, *hidden, worker), worker)


def _finding(
    ctx: RuleContext, imported: ImportedModule, message: str, worker: WorkerPath, fix: Fix | None = None
) -> Finding:
    entrypoint = worker.deployment.entrypoint
    deployment = f"`{worker.deployment.name}`" if worker.deployment.name else "the deployment"
    related = (Related(f"The entrypoint of {deployment}", entrypoint.span, worker.yaml),) if entrypoint else ()
    return ctx.finding(imported.span, message, fix, related=related)


def _relative_import_fix(ctx: RuleContext, imported: ImportedModule, module: Path, worker: WorkerPath) -> Fix | None:
    """`from .helpers import x` for a sibling imported by its bare name, when that is the only
    module of the name and every deployment imports this module as part of its package."""
    name = imported.top_level
    if _homes(name, module, worker.repository) != [module.parent]:
        return None
    node = imported.node
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == imported.name:
        edit = Edit(imported.span, f".{imported.name}")
        return Fix(f"Import `{imported.name}` relative to its package", Applicability.UNSAFE, (edit,))
    if isinstance(node, ast.Import) and len(node.names) == 1 and node.names[0].name == name:
        alias = f" as {node.names[0].asname}" if node.names[0].asname else ""
        edit = Edit(ctx.source.span(node), f"from . import {name}{alias}")
        return Fix(f"Import `{name}` relative to its package", Applicability.UNSAFE, (edit,))
    return None


def _failures_below(
    imported: ImportedModule, worker: WorkerPath, installed: tuple[Path, ...], seen: set[Path]
) -> Iterator[tuple[Path, ImportedModule]]:
    """The failing imports of the modules that ``imported`` loads which the linter does not read
    itself (they do not use Prefect), followed through the modules the flow loads."""
    for file in _module_files(imported, worker.folders):
        read = _read(file)
        if file in seen or file not in worker.modules or read is None or read.uses_prefect:
            continue
        seen.add(file)
        for below in read.imports:
            if _fails(below, file, worker, installed):
                yield file, below
            else:
                yield from _failures_below(below, worker, installed, seen)


def _workers_loading(ctx: RuleContext, module: Path) -> Iterator[WorkerPath]:
    """The deployments of the project whose flow loads ``module``, with the worker's sys.path."""
    repository = ctx.project.repository
    if repository is None:
        return
    repository = absolute(repository)
    for yaml, deployment in ctx.project.deployments():
        worker = _worker_path(yaml, deployment, repository)
        if worker is not None and module in worker.modules:
            yield worker


def _worker_path(yaml: Path, deployment: Deployment, repository: Path) -> WorkerPath | None:
    built = built_image(yaml, deployment)
    if built is not None:
        return _image_worker_path(yaml, deployment, repository, built)
    if _sets_python_path(yaml, repository):
        return None
    loaded = loader_path(yaml, deployment, repository)
    if loaded is None:
        return None
    script, folders = loaded
    found = _loaded_modules(script, folders)
    if found is None:
        return None
    modules, added = found
    return WorkerPath(deployment, yaml, repository, (*folders, *added), modules)


def _image_worker_path(yaml: Path, deployment: Deployment, repository: Path, built: BuiltImage) -> WorkerPath | None:
    """The worker's sys.path in the image the deployment builds, read from its Dockerfile."""
    if "PYTHONPATH" in _text(yaml):
        return None
    loaded = image_loader_path(deployment, built)
    if loaded is None:
        return None
    script, image_folders = loaded
    folders = tuple(folder for folder in map(built.tree_folder, image_folders) if folder is not None)
    found = _loaded_modules(script, folders)
    if found is None or found[1]:
        return None  # a folder added from `__file__` names the image's copy, which may differ
    return WorkerPath(deployment, yaml, repository, folders, found[0], built, image_folders)


def _sets_python_path(yaml: Path, repository: Path) -> bool:
    """Whether the deployment (its job variables) or an image built beside it sets `PYTHONPATH`."""
    files = [yaml, *yaml.parent.glob("*Dockerfile*"), *repository.glob("*Dockerfile*")]
    return any("PYTHONPATH" in _text(file) for file in files if file.is_file())


def _loaded_modules(script: Path, folders: tuple[Path, ...]) -> tuple[frozenset[Path], tuple[Path, ...]] | None:
    """The entrypoint and the project modules it imports, ``_DEPTH`` levels down, and the folders
    they add to `sys.path`; None when one of them changes `sys.path` in a way not computed from
    its source (what it then resolves is not known without running it)."""
    loaded = {script}
    current = [script]
    added: tuple[Path, ...] = ()
    for _ in range(_DEPTH):
        found = []
        for module in current:
            read = _read(module)
            if read is None:
                return None
            added = tuple(dict.fromkeys((*added, *read.adds_to_path)))
            found += [file for imported in read.imports for file in _module_files(imported, (*folders, *added))]
        current = [file for file in dict.fromkeys(found) if file not in loaded]
        loaded.update(current)
    return frozenset(loaded), added


def _module_files(imported: ImportedModule, folders: tuple[Path, ...]) -> Iterator[Path]:
    """The files of the tree an import loads from ``folders``: the module and its packages."""
    for folder in folders:
        if not provides(folder, imported.top_level):
            continue
        for dotted in (imported.name, *imported.dotted_names):
            current = folder
            for part in dotted.split("."):
                current = current / part
                for file in (current / "__init__.py", current.with_suffix(".py")):
                    if file.is_file():
                        yield absolute(file)
        return


@dataclass(frozen=True)
class ReadModule:
    imports: tuple[ImportedModule, ...]
    uses_prefect: bool
    adds_to_path: tuple[Path, ...] = ()
    """The folders it puts on `sys.path` (`sys.path.insert(0, str(Path(__file__).parent / "lib"))`)."""


def _read(module: Path) -> ReadModule | None:
    """A module's imports, and whether the linter checks it itself (it uses Prefect); None when it
    changes `sys.path` (what it then resolves is not known without running it)."""
    stamp = file_stamps((module,))[0]
    return None if stamp is None else _read_stamped(str(module), stamp)


@lru_cache(maxsize=256)
def _read_stamped(module: str, stamp: tuple) -> ReadModule | None:
    source = parse(_text(Path(module)))
    if source.problem is not None:
        return ReadModule((), False)
    added: tuple[Path, ...] | None = ()
    if _changes_import_path(source.tree):
        added = sys_path_targets(source.tree, module)
        if added is None:
            return None
    return ReadModule(tuple(collect_imports(source.tree, source.lines)), PrefectModel(source).uses_prefect, added)


def _changes_import_path(tree: ast.Module) -> bool:
    """Code that changes `sys.path` (`insert`, `append`, `+=`, assignment), sets `PYTHONPATH` or
    calls `site.addsitedir`; reading `sys.path`, or naming it in a comment or string, does not count."""
    aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "sys"
               for a in n.names if a.name == "path"}

    def is_sys_path(node: ast.AST) -> bool:
        if isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name):
            return node.value.id == "sys"
        return isinstance(node, ast.Name) and node.id in aliases

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "addsitedir" or (node.func.attr in _MUTATORS and is_sys_path(node.func.value)):
                return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for target in targets:
            root = target.value if isinstance(target, ast.Subscript) else target
            if is_sys_path(root):
                return True
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and target.slice.value == "PYTHONPATH":
                return True
    return False


_MUTATORS = {"insert", "append", "extend", "remove", "pop", "clear"}


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


# --- one import ---------------------------------------------------------------------------


def _fails(imported: ImportedModule, module: Path, worker: WorkerPath, installed: tuple[Path, ...]) -> bool:
    name = imported.top_level
    if imported.optional or imported.dynamic or is_stdlib(name):
        return False
    if worker.resolves(name):
        return False
    homes = _homes(name, module, worker.repository)
    if not homes or any(_may_be_installed(home) for home in homes):
        return False
    if any(provides(folder, name) for folder in installed):
        return False
    return not any(declaration.declares(name) for declaration in project_declarations(module, worker.repository))


def _homes(name: str, module: Path, repository: Path) -> list[Path]:
    """The folders of the tree that hold the module ``name`` as the importing module sees it; not
    the module itself (`utils/discord.py` importing `discord` means the installed distribution)."""
    return [
        folder
        for folder in search_folders(module, repository)
        if provides(folder, name) and not (folder == module.parent and name == module.stem and not (folder / name).is_dir())
    ]


def _may_be_installed(folder: Path) -> bool:
    """A folder a packaging tool installs from: one with packaging metadata, or a `src/` layout."""
    return folder.name == "src" or any((folder / name).is_file() for name in _PACKAGING_FILES)


def _installed_folders(ctx: RuleContext) -> tuple[Path, ...]:
    """Where the project's environment imports installed modules from (an editable install's
    folders included)."""
    site = ctx.project.site_packages
    if site is None or site.own:
        return ()
    return tuple(Path(folder) for folder in site.import_path)


def _message(imported: ImportedModule, module: Path, worker: WorkerPath) -> str:
    name = imported.top_level
    why = "its folder is not on the flow's sys.path"
    if worker.image is not None and not _in_image(name, module, worker):
        why = "the deployment's image does not contain it"
    return (
        f"A worker cannot import `{brief(name, 30)}`: {why}. "
        f"{_worker_path_text(worker)}; {_whereabouts(name, module, worker)}."
    )


def _in_image(name: str, module: Path, worker: WorkerPath) -> bool:
    image, context = worker.image.image, worker.image.context
    homes = _homes(name, module, worker.repository)
    return any(image_paths_of(image, context, file) for home in homes for file in _module_files_named(home, name))


def _chain_message(imported: ImportedModule, file: Path, below: ImportedModule, worker: WorkerPath) -> str:
    name = below.top_level
    where = f"{_relative(file, worker.repository)}:{below.span.line}"
    return (
        f"A worker cannot import `{brief(imported.name, 30)}`: it imports `{brief(name, 30)}`, not on sys.path. "
        f"{_whereabouts(name, file, worker, f'`{name}` ({where})')}; {_worker_path_text(worker)}."
    )


def _worker_path_text(worker: WorkerPath) -> str:
    deployment = f"`{worker.deployment.name}`" if worker.deployment.name else "a deployment"
    line = worker.deployment.entrypoint.span.line if worker.deployment.entrypoint else 1
    where = f"For {deployment} ({_relative(worker.yaml, worker.repository)}:{line})"
    if worker.image is not None:
        shown = ", ".join(f"`{folder}`" for folder in worker.image_folders)
        return (
            f"{where} the flow runs in the image built from {_dockerfile_text(worker)}, with {shown} first on "
            "sys.path (the entrypoint's folder, the working directory after the pull steps, PYTHONPATH)"
        )
    shown = ", ".join(f"`{_relative(folder, worker.repository)}`" for folder in worker.folders)
    return (
        f"{where} Prefect's loader puts {shown} "
        "first on sys.path (the entrypoint's folder and the working directory after the pull steps)"
    )


def _dockerfile_text(worker: WorkerPath) -> str:
    image = worker.image.image
    return f"`{_relative(image.path, worker.repository)}`" if image.path else "the Dockerfile of `dockerfile: auto`"


def _whereabouts(name: str, module: Path, worker: WorkerPath, label: str = "") -> str:
    """Where the module is: its folders in the tree; in an image, whether and where it was copied."""
    homes = _homes(name, module, worker.repository)
    label = label or f"`{name}`"
    if worker.image is None:
        return f"{label} is in " + ", ".join(f"`{_relative(home, worker.repository)}`" for home in homes)
    image, context = worker.image.image, worker.image.context
    shown = []
    for file in (file for home in homes for file in _module_files_named(home, name)):
        landed = image_paths_of(image, context, file)
        suffix = "/" if file.is_dir() else ""
        place = f"`{_relative(file, worker.repository)}{suffix}`"
        shown.append(f"{place} is copied to `{landed[-1]}`" if landed else f"{place} is not copied into it")
    return f"{label}: " + ", ".join(shown)


def _module_files_named(folder: Path, name: str) -> list[Path]:
    return [path for path in (folder / f"{name}.py", folder / name) if path.exists()]


def _relative(path: Path, repository: Path) -> str:
    return path.relative_to(repository).as_posix() or "." if path.is_relative_to(repository) else path.as_posix()
