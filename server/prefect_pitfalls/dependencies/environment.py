"""What the project's interpreter has installed: import names → distributions, what each
distribution requires, and what Prefect requires.

`read_environment` locates the interpreter's site-packages from files
(`project.locate_site_packages`) and reads the `*.dist-info` metadata there in this
process (`installed.describe`): the interpreter itself never runs. The answer is
cached until a site-packages folder changes: an `Environment` stays the same object
for as long, and compares and hashes by identity, so that it can key further caches.
When the environment has no Prefect of the version the code uses,
`prefect_dependencies` falls back to what each major release is known to require.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Mapping

from ..project import locate_site_packages
from .closure import Packages
from .installed import describe
from .prefect_requirements import PREFECT_REQUIREMENTS


@dataclass(frozen=True, eq=False)
class Environment:
    python: str
    packages: Mapping[str, tuple[str, ...]]
    """`packages_distributions()`, with dotted keys below shared namespace packages."""
    installed: frozenset[str]
    """Canonical names of every installed distribution."""
    prefect_version: str | None
    prefect_closure: frozenset[str]
    """Canonical names of Prefect and everything it requires (without its extras); empty without Prefect."""
    requirements: Packages
    """What each installed distribution requires and each of its extras adds, markers evaluated for it."""

    @property
    def prefect_major(self) -> str | None:
        return self.prefect_version.split(".")[0] if self.prefect_version else None


def read_environment(python: str) -> Environment | None:
    """The environment of an interpreter (a path or a command name), or None when it does not exist."""
    site = locate_site_packages(python)
    if site is None:
        return None
    key = (site.python, site.stamp())
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    version = f"{site.version[0]}.{site.version[1]}" if site.version else None
    found = describe(site.import_path, version, site.full_version)
    environment = Environment(
        site.python, found.packages, found.installed, found.prefect_version, found.prefect_closure, found.requirements
    )
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[key] = environment
    return environment


def installed_prefect(python: str) -> str | None:
    """The Prefect release installed for an interpreter, read from its metadata."""
    environment = read_environment(python)
    return environment.prefect_version if environment else None


_MAX_CACHED = 64
_cache: dict[tuple, Environment] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def prefect_dependencies(version: str | None, environment: Environment | None = None) -> frozenset[str]:
    """Prefect and what it requires, for the Prefect version the code uses ("1", "2", "3", "2/3" or None).

    The environment's own closure when its Prefect is of that version, else what pip resolves
    for the latest release of that version (`prefect_requirements.py`, generated).
    """
    majors = {"1": ("1",), "2": ("2",), "3": ("3",)}.get(version or "", ("2", "3"))
    if environment is not None and environment.prefect_closure and (
        version is None or environment.prefect_major in majors
    ):
        return environment.prefect_closure
    return frozenset().union(*(PREFECT_REQUIREMENTS[major] for major in majors))
