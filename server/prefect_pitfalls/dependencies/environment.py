"""What the project's interpreter has installed: import names → distributions, and what Prefect requires.

`read_environment` runs `_environment_probe.py` (standard library only) in that
interpreter, isolated (`-I`) so no project file shadows anything, with a
timeout; it never raises and caches its answer until the interpreter or its
site-packages change. When the environment has no Prefect of the version the
code uses, `prefect_dependencies` falls back to what each major release is
known to require.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .distributions import canonical
from .prefect_requirements import PREFECT_REQUIREMENTS

PROBE = Path(__file__).with_name("_environment_probe.py")


@dataclass(frozen=True)
class Environment:
    python: str
    packages: Mapping[str, tuple[str, ...]]
    """`packages_distributions()`, with dotted keys below shared namespace packages."""
    installed: frozenset[str]
    """Canonical names of every installed distribution."""
    prefect_version: str | None
    prefect_closure: frozenset[str]
    """Canonical names of Prefect and everything it requires (without its extras); empty without Prefect."""

    @property
    def prefect_major(self) -> str | None:
        return self.prefect_version.split(".")[0] if self.prefect_version else None


def read_environment(python: str, timeout: float = 20) -> Environment | None:
    """The environment of an interpreter (a path or a command name), or None when it cannot be read."""
    executable = shutil.which(python) or python
    fingerprint = environment_fingerprint(executable)
    if fingerprint is None:
        return None
    key = (executable, fingerprint)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and (cached[0] is not None or time.monotonic() - cached[1] < RETRY_FAILURES_AFTER):
        return cached[0]
    environment = _run_probe(executable, timeout)
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[key] = (environment, time.monotonic())
    return environment


RETRY_FAILURES_AFTER = 60.0
"""Seconds a failure (a timeout, a crash) is remembered before the probe runs again."""
_MAX_CACHED = 64
_cache: dict[tuple[str, tuple], tuple[Environment | None, float]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()
        _site_folders_of.clear()


def environment_fingerprint(python: str) -> tuple | None:
    """Changes when the interpreter or a site-packages folder of it changes; None when it is missing."""
    try:
        interpreter = os.stat(python).st_mtime_ns
    except OSError:
        return None
    stamps = []
    for folder in sorted(_site_folders(Path(python))):
        try:
            stamps.append((str(folder), folder.stat().st_mtime_ns))
        except OSError:
            continue
    return (interpreter, tuple(stamps))


def _site_folders(python: Path) -> set[Path]:
    """The site-packages folders of an interpreter (found once per interpreter)."""
    key = str(python)
    with _lock:
        found = _site_folders_of.get(key)
    if found is None:
        found = _find_site_folders(python)
        with _lock:
            _site_folders_of[key] = found
    return found


_site_folders_of: dict[str, set[Path]] = {}


def _find_site_folders(python: Path) -> set[Path]:
    prefixes = {python.absolute().parent.parent}
    try:
        prefixes.add(python.resolve().parent.parent)
    except OSError:
        pass
    folders: set[Path] = set()
    for prefix in prefixes:
        for pattern in ("lib/python*/site-packages", "lib/python*/dist-packages", "Lib/site-packages",
                        "lib64/python*/site-packages", "local/lib/python*/dist-packages"):
            folders.update(prefix.glob(pattern))
    return folders


def _run_probe(python: str, timeout: float) -> Environment | None:
    try:
        done = subprocess.run(
            [python, "-I", str(PROBE)],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    return parse_probe_output(python, done.stdout)


def parse_probe_output(python: str, output: str) -> Environment | None:
    """The environment from the probe's JSON (its last line of output), or None if it is not that."""
    lines = [line for line in output.splitlines() if line.strip()]
    try:
        data = json.loads(lines[-1])
        packages = {
            str(name): tuple(str(d) for d in providers)
            for name, providers in data["packages_distributions"].items()
        }
        version = data["prefect_version"]
        return Environment(
            python,
            packages,
            frozenset(canonical(name) for name in data["installed"]),
            str(version) if version else None,
            frozenset(canonical(name) for name in data["prefect_closure"]),
        )
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        return None


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
