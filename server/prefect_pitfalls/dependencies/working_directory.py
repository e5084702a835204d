"""Where a deployment runs: the project root above a `prefect.yaml`, and the folder of the tree
a pull step leaves the working directory in (`set_working_directory`, `git_clone`).

Prefect: `prefect/deployments/steps/pull.py:set_working_directory` and `git_clone` output the
`directory` that `prefect/flows.py:load_flow_from_flow_run` changes into before loading.
"""

from __future__ import annotations

import re
from pathlib import Path

from .prefect_yaml import PullStep

_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def project_root_of(folder: Path, repository: Path) -> Path | None:
    """The nearest folder with a `pyproject.toml`, from ``folder`` up to the repository root."""
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
        if candidate == repository:
            return None
    return None


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
