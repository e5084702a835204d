"""Prefect settings a project writes down, where they change what Prefect serializes or hashes:
`prefect.toml`, `[tool.prefect]` in `pyproject.toml` and `PREFECT_*` lines of a `.env` file, in
the project's folder (Prefect 3 reads them from the working directory a flow runs in).

Read from files only, cached by their stamps. Environment variables of the machine that will
run the flow are not knowable here and are not read.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from .project import file_stamps

KNOWN = {
    "results.persist_by_default": "PREFECT_RESULTS_PERSIST_BY_DEFAULT",
    "tasks.default_persist_result": "PREFECT_TASKS_DEFAULT_PERSIST_RESULT",
    "tasks.default_no_cache": "PREFECT_TASKS_DEFAULT_NO_CACHE",
    "tasks.disable_caching": "PREFECT_TASKS_DISABLE_CACHING",
}
_FILES = ("prefect.toml", "pyproject.toml", ".env")


def prefect_settings(folder: Path | None) -> dict[str, bool]:
    """The known boolean settings written in the folder's files (the first file that sets one wins)."""
    if folder is None:
        return {}
    files = [folder / name for name in _FILES]
    return dict(_read(folder, file_stamps(files)))


@lru_cache(maxsize=256)
def _read(folder: Path, _stamps: tuple) -> tuple[tuple[str, bool], ...]:
    found: dict[str, bool] = {}
    for key, value in [*_toml(folder / "prefect.toml", ()), *_toml(folder / "pyproject.toml", ("tool", "prefect")), *_dotenv(folder / ".env")]:
        found.setdefault(key, value)
    return tuple(found.items())


def _toml(path: Path, prefix: tuple[str, ...]) -> list[tuple[str, bool]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    for key in prefix:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    found = []
    for dotted in KNOWN:
        section, name = dotted.split(".")
        value = data.get(section, {}).get(name) if isinstance(data.get(section), dict) else None
        if isinstance(value, bool):
            found.append((dotted, value))
    return found


def _dotenv(path: Path) -> list[tuple[str, bool]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    by_variable = {variable: dotted for dotted, variable in KNOWN.items()}
    found = []
    for line in lines:
        name, _, value = line.removeprefix("export ").partition("=")
        dotted = by_variable.get(name.strip())
        value = value.strip().strip("'\"").lower()
        if dotted and value in ("true", "false", "1", "0"):
            found.append((dotted, value in ("true", "1")))
    return found
