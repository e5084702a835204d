"""The Prefect major version a module runs on, where Prefect 2 and 3 behave differently.

In order: the `prefect-version` setting; the release installed in the project's environment
(read from its metadata files); the project's declared or locked `prefect` requirement;
Prefect-3-only APIs in the module; else 3, the current major.
"""

from __future__ import annotations

from pathlib import Path

from .prefect_model import PrefectModel
from .serialization.contexts import Major


def prefect_major(model: PrefectModel, configured: str, interpreter: str | None, path: Path | None) -> Major:
    if model.style == "1":
        return "1"
    if configured in ("2", "3"):
        return configured  # type: ignore[return-value]
    installed = _installed_major(interpreter)
    if installed in ("2", "3"):
        return installed  # type: ignore[return-value]
    declared = _declared_majors(path) & {"2", "3"}
    if len(declared) == 1:
        return next(iter(declared))  # type: ignore[return-value]
    return "3"  # Prefect-3-only APIs say so, and so does the default: the current major


def _installed_major(interpreter: str | None) -> str | None:
    if interpreter is None:
        return None
    from .dependencies.environment import read_environment

    environment = read_environment(interpreter)
    return environment.prefect_major if environment is not None else None


def _declared_majors(path: Path | None) -> frozenset[str]:
    if path is None:
        return frozenset()
    from .dependencies.prefect_pin import declared_prefect_majors

    return declared_prefect_majors(path)
