"""Lock files: `uv.lock`, `poetry.lock` and `pdm.lock`, read as what each locked package requires.

A lock lists every package it resolved with its dependencies and those of its
extras, so the closure of what a project declares can be followed through it.
Markers are ignored: a dependency locked for any platform counts.
"""

from __future__ import annotations

import re
import threading
import tomllib
from pathlib import Path

from ..project import file_stamps
from ._text import read_text
from .classify import folders_up_to
from .closure import Package, Packages, Requested, requested
from .distributions import canonical

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")
# poetry.lock writes an extra's requirements as `name[extra] (>=1.0) ; marker`.
_POETRY_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?")


def find_lock(folder: Path, project_root: Path) -> Path | None:
    """The nearest lock file from ``folder`` up to the project root."""
    for candidate in folders_up_to(folder, project_root):
        for name in LOCK_FILES:
            if (candidate / name).is_file():
                return candidate / name
    return None


def read_lock(path: Path) -> Packages:
    """The locked packages by canonical name; empty when the file cannot be read."""
    with _lock:
        cached = _cache.get(path)
    stamp = file_stamps((path,))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    packages = _parse(path)
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[path] = (stamp, packages)
    return packages


def _parse(path: Path) -> Packages:
    text = read_text(path)
    try:
        data = tomllib.loads(text) if text is not None else {}
    except tomllib.TOMLDecodeError:
        return {}
    entries = [entry for entry in _list(data.get("package")) if isinstance(entry, dict) and isinstance(entry.get("name"), str)]
    reader = {"uv.lock": _uv_package, "poetry.lock": _poetry_package, "pdm.lock": _pdm_package}[path.name]
    packages: dict[str, Package] = {}
    for entry in entries:
        name = canonical(entry["name"])
        packages[name] = _merge(packages.get(name), reader(entry))
    return packages


def _uv_package(entry: dict) -> Package:
    optional = entry.get("optional-dependencies")
    extras = {
        canonical(extra): tuple(filter(None, map(_uv_requested, _list(items))))
        for extra, items in (optional.items() if isinstance(optional, dict) else ())
    }
    return Package(tuple(filter(None, map(_uv_requested, _list(entry.get("dependencies"))))), extras)


def _uv_requested(item: object) -> Requested | None:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return None
    extras = item.get("extra")
    extras = [extras] if isinstance(extras, str) else _list(extras)
    return canonical(item["name"]), frozenset(canonical(e) for e in extras if isinstance(e, str))


def _poetry_package(entry: dict) -> Package:
    dependencies = entry.get("dependencies")
    requires = []
    for name, spec in (dependencies.items() if isinstance(dependencies, dict) else ()):
        specs = spec if isinstance(spec, list) else [spec]
        if all(isinstance(s, dict) and s.get("optional") for s in specs):
            continue  # installed only through one of the package's extras
        extras = {canonical(e) for s in specs if isinstance(s, dict) for e in _list(s.get("extras")) if isinstance(e, str)}
        requires.append((canonical(name), frozenset(extras)))
    optional = entry.get("extras")
    extras = {
        canonical(extra): tuple(filter(None, map(_poetry_requested, _list(items))))
        for extra, items in (optional.items() if isinstance(optional, dict) else ())
    }
    return Package(tuple(requires), extras)


def _poetry_requested(text: object) -> Requested | None:
    match = _POETRY_REQUIREMENT.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    extras = (match.group("extras") or "").split(",")
    return canonical(match.group("name")), frozenset(canonical(e) for e in extras if e.strip())


def _pdm_package(entry: dict) -> Package:
    """pdm locks a package asked with extras as another entry of the same name listing them."""
    dependencies = tuple(filter(None, (requested(t) for t in _list(entry.get("dependencies")) if isinstance(t, str))))
    extras = [canonical(e) for e in _list(entry.get("extras")) if isinstance(e, str)]
    if not extras:
        return Package(dependencies)
    return Package((), {extra: dependencies for extra in extras})


def _merge(first: Package | None, second: Package) -> Package:
    if first is None:
        return second
    extras = dict(first.extras)
    for extra, items in second.extras.items():
        extras[extra] = extras.get(extra, ()) + items
    return Package(first.requires + second.requires, extras)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


_MAX_CACHED = 32
_cache: dict[Path, tuple] = {}
_lock = threading.Lock()
