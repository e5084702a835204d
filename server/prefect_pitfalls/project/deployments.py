"""A project's deployments: every `prefect.yaml` of the tree, the folders its entrypoints may be
relative to, and the working directory and `sys.path` a worker gives each deployment's flow.

Where this follows Prefect:
- `prefect deploy` loads the entrypoint relative to its own working directory
  (prefect/cli/deploy/_core.py:_run_single_deploy → prefect/flows.py:load_flow_from_entrypoint →
  prefect/utilities/importtools.py:import_object/load_script_as_module; Prefect 2:
  prefect/cli/deploy.py:_run_single_deploy). `--prefect-file` only says where the YAML is.
- A worker runs the pull steps, then chdirs to the `directory` they output: Prefect 3
  prefect/flows.py:load_flow_from_flow_run, Prefect 2
  prefect/deployments/deployments.py:load_flow_from_flow_run. The directory comes from
  prefect/deployments/steps/pull.py: set_working_directory (its `directory`) or git_clone (the
  clone's root). A deployment's own `pull:` replaces the top-level one.
- Without pull steps, `prefect deploy` writes a set_working_directory to the folder it ran in
  (prefect/cli/deploy/_actions.py:_generate_default_pull_action; Prefect 2 prefect/cli/deploy.py).
- load_script_as_module inserts the script's resolved folder and `os.getcwd()` at the front of
  `sys.path` (both releases) and makes the script a package over those two folders.
"""

from __future__ import annotations

import os
import posixpath
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from ..dependencies.dockerfile import AUTO_IMAGE_FOLDER, DockerImage, context_path_of, locate_build
from ..dependencies.prefect_yaml import Deployment, PullStep, deploy_folders, read_prefect_yaml
from .roots import file_stamps, packaging_root, repository_root

DEPLOYMENT_FILE_NAMES = ("prefect.yaml", "prefect.yml")
_SKIPPED_FOLDERS = {"node_modules", "__pycache__", "site-packages", "dist-packages"}
_MAX_DEPTH = 8
_REVALIDATE_SECONDS = 2.0


# --- the deployment files of a tree --------------------------------------------------------


def deployment_files(tree: Path) -> tuple[Path, ...]:
    """Every `prefect.yaml` below ``tree`` (hidden folders, virtual environments and installed
    packages skipped); walked again when a folder of the tree gains or loses an entry."""
    cached = _walks.get(tree)
    now = time.monotonic()
    if cached is not None and (now - cached[0] < _REVALIDATE_SECONDS or file_stamps(cached[1]) == cached[2]):
        _walks[tree] = (now, *cached[1:])
        return cached[3]
    folders, found = _walk(tree)
    if len(_walks) >= 32:
        _walks.clear()
    _walks[tree] = (now, folders, file_stamps(folders), found)
    return found


_walks: dict[Path, tuple[float, tuple[Path, ...], tuple, tuple[Path, ...]]] = {}


def tree_folders(tree: Path) -> tuple[Path, ...]:
    """The folders of the tree the walk visits: together their stamps change whenever a file of
    the tree is added, removed or renamed."""
    deployment_files(tree)
    return _walks[tree][1]


def _walk(tree: Path) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    folders: list[Path] = []
    found: list[Path] = []
    pending = [(tree, 0)]
    while pending:
        folder, depth = pending.pop()
        folders.append(folder)
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        names = {entry.name for entry in entries}
        if "pyvenv.cfg" in names:
            continue
        found += [folder / name for name in DEPLOYMENT_FILE_NAMES if name in names]
        if depth < _MAX_DEPTH:
            pending += [
                (folder / entry.name, depth + 1) for entry in reversed(entries)
                if _is_folder(entry) and not entry.name.startswith(".") and entry.name not in _SKIPPED_FOLDERS
            ]
    return tuple(folders), tuple(sorted(found))


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def read_deployments(yaml: Path) -> tuple[Deployment, ...]:
    """The deployments of a `prefect.yaml`, read again when it changes."""
    stamp = file_stamps((yaml,))[0]
    return () if stamp is None else _deployments_stamped(yaml, stamp)


@lru_cache(maxsize=2048)  # every prefect.yaml of a monorepo: a smaller cache misses on each pass
def _deployments_stamped(yaml: Path, stamp: tuple) -> tuple[Deployment, ...]:
    return read_prefect_yaml(yaml).deployments


# --- where an entrypoint is relative to ------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """A folder the entrypoint's path may be relative to, and why."""

    folder: Path
    why: str


def candidate_bases(folder: Path, deployment: Deployment) -> list[Base]:
    """The folders from which `prefect deploy` or a worker may resolve the deployment's entrypoint:
    the YAML's folder, the repository and project roots, and where the pull steps lead."""
    repository = repository_root(folder)
    bases = [Base(folder, "the folder of prefect.yaml")]
    if repository is not None:
        bases.append(Base(repository, "the repository root"))
        project = packaging_root(folder, repository)
        if project is not None:
            bases.append(Base(project, "the project root"))
        roots = list(dict.fromkeys((repository, project or repository)))
        for step in deployment.pull:
            pulled = pulled_directory(step, deployment.pull, roots)
            if pulled is not None:
                bases.append(Base(pulled, f"the {step.kind} pull step"))
    return _merged(bases)


def _merged(bases: list[Base]) -> list[Base]:
    reasons: dict[Path, list[str]] = {}
    for base in bases:
        reasons.setdefault(base.folder, [])
        if base.why not in reasons[base.folder]:
            reasons[base.folder].append(base.why)
    return [Base(folder, " and ".join(why)) for folder, why in reasons.items()]


# --- where a worker runs it ------------------------------------------------------------------


def working_directory(folder: Path, deployment: Deployment, repository: Path, file: str) -> Path | None:
    """The one folder of the tree a worker runs the entrypoint ``file`` from; None when it is not known."""
    if deployment.pull:
        roots = list(dict.fromkeys((repository, packaging_root(folder, repository) or repository)))
        pulled = pulled_directory(deployment.pull[-1], deployment.pull, roots)
        candidates = [] if pulled is None else [_absolute(pulled)]
    else:
        candidates = [folder, repository, packaging_root(folder, repository)]
    found = {candidate for candidate in candidates if candidate is not None and (candidate / file).is_file()}
    return found.pop() if len(found) == 1 else None


def loader_path(yaml: Path, deployment: Deployment, repository: Path) -> tuple[Path, tuple[Path, ...]] | None:
    """The entrypoint's file and the folders Prefect's loader puts first on `sys.path` for it (the
    script's folder, then the working directory); None when they are not known."""
    entrypoint = deployment.entrypoint
    if entrypoint is None or "{{" in entrypoint.value or not entrypoint.file.endswith(".py"):
        return None
    if Path(entrypoint.file).is_absolute() or "\\" in entrypoint.file:
        return None
    directory = working_directory(_absolute(yaml.parent), deployment, repository, entrypoint.file)
    if directory is None:
        return None
    script = _absolute(directory / entrypoint.file)
    return script, tuple(dict.fromkeys((script.parent, directory)))


# --- where a worker runs it, in the image the deployment builds -------------------------------


@dataclass(frozen=True)
class BuiltImage:
    """The image a deployment's `build_docker_image` step builds, and its build context in the tree."""

    image: DockerImage
    context: Path

    def holds_module(self, folder: PurePosixPath, name: str) -> bool:
        """Whether the image has a module, package or namespace package ``name`` in ``folder``."""
        candidates = (folder / f"{name}.py", folder / name / "__init__.py", folder / name)
        return any(context_path_of(self.image, self.context, path) is not None for path in candidates)

    def tree_folder(self, folder: PurePosixPath) -> Path | None:
        """The folder of the tree whose files an image folder holds."""
        found = context_path_of(self.image, self.context, folder)
        return found if found is not None and found.is_dir() else None

    @property
    def dockerfile(self) -> str:
        return self.image.path.name if self.image.path else "the Dockerfile `dockerfile: auto` generates"


def built_image(yaml: Path, deployment: Deployment) -> BuiltImage | None:
    """The image the deployment's flow runs in, when its build steps build one from files in the
    tree; None without one, or when code is cloned at run time (a `git_clone` pull step)."""
    build = deployment.image
    if build is None or build.templated or any(step.kind == "git_clone" for step in deployment.pull):
        return None
    built = locate_build(deploy_folders(_absolute(yaml.parent)), build.dockerfile, build.path)
    return None if built is None else BuiltImage(*built)


def image_loader_path(deployment: Deployment, built: BuiltImage) -> tuple[Path, tuple[PurePosixPath, ...]] | None:
    """In the image: the entrypoint's file (as the tree holds it) and the image folders Prefect's
    loader and `PYTHONPATH` put on `sys.path`; None when the image's content or the working directory
    is not known."""
    entrypoint = deployment.entrypoint
    if entrypoint is None or "{{" in entrypoint.value or not entrypoint.file.endswith(".py"):
        return None
    image = built.image
    directory = _image_working_directory(deployment, built)
    if directory is None or image.unknown_content or image.pythonpath_unknown or not image.base_known:
        return None  # the base image, or a copy the Dockerfile does not show, may hold the module
    script_path = PurePosixPath(posixpath.normpath(str(directory / entrypoint.file)))
    script = context_path_of(image, built.context, script_path)
    if script is None:
        return None
    folders = (script_path.parent, directory, *(image.pythonpath or ()))
    return _absolute(script), tuple(dict.fromkeys(folders))


def _image_working_directory(deployment: Deployment, built: BuiltImage) -> PurePosixPath | None:
    """The folder of the image the pull steps leave; without them, what `prefect deploy` writes for
    `dockerfile: auto` (prefect/cli/deploy/_actions.py:_generate_default_pull_action)."""
    if deployment.pull:
        directory = (deployment.pull[-1].directory or "").strip()
        if "{{" in directory or not directory.startswith("/"):
            return None
        return PurePosixPath(posixpath.normpath(directory))
    if deployment.image is not None and deployment.image.dockerfile == "auto":
        return AUTO_IMAGE_FOLDER / built.context.name
    return None


def _absolute(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))

_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def pulled_directory(step: PullStep, steps: tuple[PullStep, ...], roots: list[Path]) -> Path | None:
    """Where a pull step leaves the working directory, as a folder of this tree; None when unknown.
    ``roots``: the repository root, then the project root (what an image may hold a copy of)."""
    repository = roots[0]
    if step.kind == "git_clone":
        return repository  # the clone of this repository
    directory = (step.directory or "").strip()
    templates = list(_TEMPLATE.finditer(directory))
    if templates:
        clones = {f"{s.step_id}.directory" for s in steps if s.kind == "git_clone" and s.step_id}
        tail = _parts(directory[templates[-1].end():])
        if len(templates) == 1 and templates[0].start() == 0 and templates[0].group(1) in clones:
            return _existing_folder(repository, tail)
        return _unique_tail(roots, tail)
    inside = Path(directory)
    if inside.is_absolute() and inside.is_relative_to(repository) and inside.is_dir():
        return inside
    return _unique_tail(roots, _parts(directory))


def _parts(path: str) -> list[str] | None:
    """The names of a path written for any platform (no drive, `~` or empty parts); None with `..`."""
    parts = [part for part in re.split(r"[\\/]+", path) if part not in ("", ".", "~")]
    if parts and re.fullmatch(r"[A-Za-z]:", parts[0]):
        parts = parts[1:]
    return None if ".." in parts else parts


def _existing_folder(root: Path, parts: list[str] | None) -> Path | None:
    if parts is None:
        return None
    folder = root.joinpath(*parts)
    return folder if folder.is_dir() else None


def _unique_tail(roots: list[Path], parts: list[str] | None) -> Path | None:
    """The one folder under ``roots`` that a tail of ``parts`` names (an image path such as
    `/opt/prefect/<repo>/flows` holds a copy of the tree under a prefix we cannot know)."""
    if not parts:
        return None
    tails = set()
    for root in roots:
        tails |= {root.joinpath(*parts[start:]) for start in range(len(parts))}
        tails |= {root.joinpath(*parts[at + 1 :]) for at, part in enumerate(parts) if part == root.name}
    found = [folder for folder in tails if folder.is_dir()]
    return found[0] if len(found) == 1 else None
