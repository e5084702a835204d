"""The Prefect major version a module runs on, where Prefect 2 and 3 behave differently.

In order: the `prefect-version` setting; the release installed in the project's environment
(read from its metadata files); the project's declared or locked `prefect` requirement;
Prefect-3-only APIs in the module; else 3, the current major.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from typing import Literal

from .prefect_model import PrefectModel

Major = Literal["1", "2", "3"]


@dataclass(frozen=True)
class PrefectRelease:
    major: Major
    installed: str | None = None
    """The installed release, when it is of that major (it decides finer points)."""

    def at_least(self, version: str) -> bool:
        """Whether the installed release is ``version`` or newer; True when unknown (the newest)."""
        if self.installed is None:
            return True
        try:
            return Version(self.installed) >= Version(version)
        except InvalidVersion:
            return True


def prefect_release(model: PrefectModel, configured: str, interpreter: str | None, path: Path | None) -> PrefectRelease:
    installed = _installed_version(interpreter)
    installed_major = installed.split(".")[0] if installed else None
    if model.style == "1":
        return PrefectRelease("1", installed if installed_major == "1" else None)
    major = _major(configured, installed_major, path)
    return PrefectRelease(major, installed if installed_major == major else None)


def _major(configured: str, installed_major: str | None, path: Path | None) -> Major:
    if configured in ("2", "3"):
        return configured  # type: ignore[return-value]
    if installed_major in ("2", "3"):
        return installed_major  # type: ignore[return-value]
    declared = _declared_majors(path) & {"2", "3"}
    if len(declared) == 1:
        return next(iter(declared))  # type: ignore[return-value]
    return "3"  # Prefect-3-only APIs say so, and so does the default: the current major


def _installed_version(interpreter: str | None) -> str | None:
    if interpreter is None:
        return None
    from .dependencies.environment import read_environment

    environment = read_environment(interpreter)
    return environment.prefect_version if environment is not None else None


def _declared_majors(path: Path | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    from .dependencies.prefect_pin import declared_prefect_majors

    return declared_prefect_majors(path)
