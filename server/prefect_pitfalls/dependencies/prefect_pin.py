"""The Prefect major versions a project's declarations allow: a lock file's pinned release,
else the specifiers of its `prefect` requirement (pyproject, Poetry, requirements files).

Read from files only and cached by their stamps.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ..project import file_stamps
from .requirements import find_requirements_files, logical_lines

# The newest release of each major: a specifier allows a major when it allows that release.
_LATEST = {"1": "1.4.1", "2": "2.20.25", "3": "3.9.1"}
_LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")
_MARKERS = ("pyproject.toml", *_LOCK_FILES)


def declared_prefect_majors(module_file: Path) -> frozenset[str]:
    """The majors ("1", "2", "3") the nearest project's declarations allow; empty when unknown."""
    folder = _project_folder(module_file.parent)
    if folder is None:
        return frozenset()
    files = _declaration_files(folder)
    return _majors(folder, file_stamps(files))


def _project_folder(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in _MARKERS) or find_requirements_files(folder):
            return folder
        if (folder / ".git").exists():
            return None
    return None


def _declaration_files(folder: Path) -> list[Path]:
    return [*(folder / name for name in _MARKERS), *find_requirements_files(folder)]


@lru_cache(maxsize=256)
def _majors(folder: Path, _stamps: tuple) -> frozenset[str]:
    for lock in _LOCK_FILES:
        locked = _locked_version(folder / lock)
        if locked:
            return frozenset({locked.split(".")[0]})
    specifiers = [*_pyproject_specifiers(folder / "pyproject.toml"), *_requirements_specifiers(folder)]
    if not specifiers:
        return frozenset()
    return frozenset(major for major, latest in _LATEST.items() if all(latest in s for s in specifiers))


def _locked_version(lock: Path) -> str | None:
    data = _toml(lock)
    for package in data.get("package", []) if isinstance(data.get("package"), list) else []:
        if isinstance(package, dict) and package.get("name") == "prefect" and isinstance(package.get("version"), str):
            return package["version"]
    return None


def _pyproject_specifiers(path: Path) -> list[SpecifierSet]:
    data = _toml(path)
    found = [_specifier(item) for item in data.get("project", {}).get("dependencies", []) if isinstance(item, str)]
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    constraint = poetry.get("prefect") if isinstance(poetry, dict) else None
    if isinstance(constraint, dict):
        constraint = constraint.get("version")
    if isinstance(constraint, str):
        found.append(_poetry_specifier(constraint))
    return [s for s in found if s is not None]


def _requirements_specifiers(folder: Path) -> list[SpecifierSet]:
    found = []
    for path in find_requirements_files(folder):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found += [_specifier(line) for line in logical_lines(text)]
    return [s for s in found if s is not None]


def _specifier(text: str) -> SpecifierSet | None:
    try:
        requirement = Requirement(text.split("#")[0].strip())
    except InvalidRequirement:
        return None
    return requirement.specifier if requirement.name.lower() == "prefect" else None


def _poetry_specifier(constraint: str) -> SpecifierSet | None:
    """Poetry's `^2.14` and `~2.14` in PEP 440 terms (enough to tell the major)."""
    constraint = constraint.strip()
    try:
        if constraint.startswith("^"):
            major = constraint[1:].split(".")[0]
            return SpecifierSet(f">={constraint[1:]},<{int(major) + 1}")
        if constraint.startswith("~") and not constraint.startswith("~="):
            return SpecifierSet(f"~={constraint[1:]}" if constraint.count(".") >= 2 else f">={constraint[1:]}")
        if constraint in ("*", ""):
            return SpecifierSet()
        return SpecifierSet(constraint if constraint[0] in "<>=!~" else f"=={constraint}")
    except (InvalidSpecifier, ValueError):
        return None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
