"""What an environment has installed, read from the `*.dist-info` metadata in its folders.

Runs in this process with `importlib.metadata` pointed at the environment's
site-packages: no code of the environment is imported or run. `describe` gives:

- packages: import name → distributions, like `importlib.metadata.packages_distributions()`,
  plus dotted keys below top-level names that several distributions share
  (`google.cloud.storage`);
- installed: canonical names of every installed distribution;
- prefect_version: the installed Prefect's version, or None;
- prefect_closure: canonical names Prefect requires, directly or indirectly, without
  Prefect's own extras, markers evaluated for the environment's Python;
- requirements: what each installed distribution requires (`Requires-Dist`), and what
  each of its extras adds, markers evaluated the same way: a source for `closure.closure`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import PurePath
from typing import Callable, Iterable

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName, default_environment
from packaging.requirements import InvalidRequirement, Requirement

from .closure import Package, Requested, closure
from .distributions import canonical

EXTRA_IN_MARKER = re.compile(r"\bextra\s*==\s*['\"]([^'\"]+)['\"]")
MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
NAMESPACE_DEPTH = 4


@dataclass(frozen=True)
class Installed:
    packages: dict[str, tuple[str, ...]]
    installed: frozenset[str]
    prefect_version: str | None
    prefect_closure: frozenset[str]
    requirements: dict[str, Package]


def describe(path: list[str], python_version: str | None = None, python_full_version: str | None = None) -> Installed:
    """The environment whose distributions lie in the folders ``path`` (in import order)."""
    dists = installed_distributions(path)
    prefect = dists.get("prefect")
    requirements = requirement_packages(dists, requirement_filter(python_version, python_full_version))
    return Installed(
        packages_distributions(dists),
        frozenset(dists),
        prefect.version if prefect is not None else None,
        closure([("prefect", frozenset())], [requirements]) if prefect is not None else frozenset(),
        requirements,
    )


def installed_distributions(path: list[str]) -> dict[str, metadata.Distribution]:
    """Installed distributions by canonical name; the first on the path wins, as for imports."""
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions(path=path):
        name = dist.metadata["Name"]
        if name and canonical(name) not in found:
            found[canonical(name)] = dist
    return found


def module_parts(file: PurePath) -> list[str] | None:
    """`google/cloud/storage/__init__.py` → ['google', 'cloud', 'storage']; None for data files."""
    parts = list(file.parts)
    if not parts or not parts[-1].endswith(MODULE_SUFFIXES) or parts[0] in ("..", "__pycache__"):
        return None
    last = parts.pop()
    if last.split(".")[0] != "__init__":
        parts.append(last.split(".")[0])
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return parts


def top_level_names(dist: metadata.Distribution) -> list[str]:
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return declared
    return sorted({parts[0] for parts in map(module_parts, dist.files or ()) if parts})


def packages_distributions(dists: dict[str, metadata.Distribution]) -> dict[str, tuple[str, ...]]:
    mapping: dict[str, list[str]] = {}
    for dist in dists.values():
        for name in top_level_names(dist):
            providers = mapping.setdefault(name, [])
            if dist.metadata["Name"] not in providers:
                providers.append(dist.metadata["Name"])
    mapping.update(namespace_keys(dists, mapping))
    return {name: tuple(providers) for name, providers in mapping.items()}


def namespace_keys(dists: dict[str, metadata.Distribution], mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """Dotted keys below names several distributions provide, down to where one remains."""
    shared = {name for name, providers in mapping.items() if len(providers) > 1}
    prefixes: dict[str, list[str]] = {}
    for dist in dists.values():
        for file in dist.files or ():
            parts = module_parts(file)
            if not parts or parts[0] not in shared:
                continue
            for depth in range(2, min(len(parts), NAMESPACE_DEPTH) + 1):
                providers = prefixes.setdefault(".".join(parts[:depth]), [])
                if dist.metadata["Name"] not in providers:
                    providers.append(dist.metadata["Name"])
    found: dict[str, list[str]] = {}
    for key in sorted(prefixes, key=lambda key: key.count(".")):
        parent = key.rsplit(".", 1)[0]
        if len(found.get(parent) or mapping.get(parent) or ()) > 1:
            found[key] = prefixes[key]
    return found


RequirementFilter = Callable[[Requirement, tuple[str, ...]], bool]


def requirement_filter(python_version: str | None = None, python_full_version: str | None = None) -> RequirementFilter:
    """Whether a requirement applies, requested with some extras, on the environment's Python
    (and this machine's platform, which is the environment's too)."""
    facts = dict(default_environment())
    if python_version:
        facts["python_version"] = python_version
        facts["python_full_version"] = python_full_version or python_version + ".0"

    def applies(requirement: Requirement, extras: tuple[str, ...]) -> bool:
        if requirement.marker is None:
            return True
        for extra in ("", *extras):
            try:
                if requirement.marker.evaluate({**facts, "extra": extra}):
                    return True
            except (UndefinedComparison, UndefinedEnvironmentName):
                return "extra" not in str(requirement.marker)  # unreadable: counts unless it gates an extra
        return False

    return applies


def requirement_packages(dists: dict[str, metadata.Distribution], applies: RequirementFilter) -> dict[str, Package]:
    """What each distribution requires, and what each extra it provides adds, where markers hold."""
    return {name: _package(dist, applies) for name, dist in dists.items()}


def _package(dist: metadata.Distribution, applies: RequirementFilter) -> Package:
    requirements = list(_requirements(dist.requires or ()))
    base = tuple(_requested(r) for r in requirements if applies(r, ()))
    extras = {canonical(extra) for extra in dist.metadata.get_all("Provides-Extra") or ()} | {
        canonical(extra) for r in requirements for extra in EXTRA_IN_MARKER.findall(str(r.marker or ""))
    }
    added = {
        extra: tuple(
            item for item in (_requested(r) for r in requirements if applies(r, (extra,))) if item not in base
        )
        for extra in extras
    }
    return Package(base, {extra: items for extra, items in added.items() if items})


def _requested(requirement: Requirement) -> Requested:
    return canonical(requirement.name), frozenset(canonical(extra) for extra in requirement.extras)


def _requirements(texts: Iterable[str]) -> Iterable[Requirement]:
    for text in texts:
        try:
            yield Requirement(text)
        except InvalidRequirement:
            continue
