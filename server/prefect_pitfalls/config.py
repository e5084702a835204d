"""Settings in one typed place, read from `[tool.prefect-pitfalls]` of the nearest pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pathspec

from .findings import Severity
from .options import project_keys
from .project import file_stamps
from .rules import RULES, is_selector

CONFIG_FILE = "pyproject.toml"
TABLE = "prefect-pitfalls"
PREFECT_VERSIONS = ("auto", "1", "2", "3")
TASK_RUNNERS = ("thread", "dask", "ray", "process")


class ConfigError(Exception):
    """A configuration value that cannot be used; the message names file, key and value."""


@dataclass(frozen=True)
class ProbeSettings:
    enabled: bool = False
    python: str | None = None
    timeout: float = 10.0
    by_value: bool | None = None


@dataclass(frozen=True)
class DependencySettings:
    groups: tuple[str, ...] = ()
    require_declaration: bool = False


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    prefect_version: str = "auto"
    assume_task_runner: str = "thread"
    jedi: bool = True
    severity: tuple[tuple[str, Severity], ...] = ()
    probe: ProbeSettings = field(default_factory=ProbeSettings)
    dependencies: DependencySettings = field(default_factory=DependencySettings)
    root: Path | None = None
    config_file: Path | None = None

    def with_overrides(self, select: tuple[str, ...] | None = None, extend_ignore: tuple[str, ...] = ()) -> "Settings":
        return replace(
            self,
            select=select if select is not None else self.select,
            ignore=self.ignore + extend_ignore,
        )

    def enabled_codes(self, path: Path | None = None) -> frozenset[str]:
        ignored = list(self.ignore)
        if path is not None and self.per_file_ignores:
            ignored += _per_file_ignores(self, path)
        return _enabled(self.select, tuple(ignored))

    def severity_of(self, code: str, default: Severity) -> Severity:
        """The severity configured for a code (or a prefix of it; the longest wins)."""
        best: tuple[int, Severity] | None = None
        for key, severity in self.severity:  # later entries win ties: editor after project
            if key == "ALL" or code.startswith(key):
                length = 0 if key == "ALL" else len(key)
                if best is None or length >= best[0]:
                    best = (length, severity)
        return best[1] if best else default


@lru_cache(maxsize=1024)
def _enabled(select: tuple[str, ...] | None, ignore: tuple[str, ...]) -> frozenset[str]:
    def specificity(code: str, selectors: tuple[str, ...]) -> int:
        matches = [len(s) if s != "ALL" else 0 for s in selectors if s == "ALL" or code.startswith(s)]
        return max(matches, default=-1)

    enabled = set()
    for rule in RULES:
        selected = specificity(rule.code, select) if select is not None else 0
        # The more specific selector wins; on a tie, ignoring wins.
        if selected >= 0 and specificity(rule.code, ignore) < selected:
            enabled.add(rule.code)
    return frozenset(enabled)


def _per_file_ignores(settings: Settings, path: Path) -> list[str]:
    try:
        relative = path.resolve().relative_to(settings.root.resolve()) if settings.root else path
    except ValueError:
        relative = path
    ignored = []
    for pattern, codes in settings.per_file_ignores:
        if _pattern(pattern).match_file(relative.as_posix()):
            ignored.extend(codes)
    return ignored


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> pathspec.PathSpec:
    return pathspec.GitIgnoreSpec.from_lines([pattern])


# --- reading ------------------------------------------------------------------------


def find_config_file(directory: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``directory`` with a `[tool.prefect-pitfalls]` table."""
    for folder in (directory, *directory.parents):
        candidate = folder / CONFIG_FILE
        stamp = file_stamps((candidate,))[0]
        if stamp is not None and _has_table(candidate, stamp):
            return candidate
    return None


@lru_cache(maxsize=256)
def _has_table(path: Path, stamp: tuple) -> bool:
    try:
        return f"tool.{TABLE}" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_settings(directory: Path) -> Settings:
    """Settings for files in ``directory``: defaults unless a config file says otherwise.

    Cheap to call on every analysis: files are read again only when their size or
    modification time changed, so edits apply without any file-watching by an editor."""
    config_file = find_config_file(directory.resolve())
    if config_file is None:
        return Settings()
    return read_config_file(config_file)


def read_config_file(path: Path) -> Settings:
    return _read_config_file(path, file_stamps((path,))[0])


@lru_cache(maxsize=64)
def _read_config_file(path: Path, stamp: tuple | None) -> Settings:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    table = document.get("tool", {}).get(TABLE)
    if table is None:
        return Settings(root=path.parent, config_file=path)
    return settings_from_table(table, path.parent, f"{path}: [tool.{TABLE}]", path)


def settings_from_table(table: Any, root: Path | None, where: str, config_file: Path | None = None) -> Settings:
    """Validate a `[tool.prefect-pitfalls]` table (kebab-case keys) into Settings."""
    reader = _Reader(where)
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    probe_table = table.get("probe", {})
    if not isinstance(probe_table, dict):
        raise ConfigError(f"{where}: probe: expected a table, got {probe_table!r}")
    dependencies_table = table.get("dependencies", {})
    if not isinstance(dependencies_table, dict):
        raise ConfigError(f"{where}: dependencies: expected a table, got {dependencies_table!r}")
    probe = ProbeSettings(
        enabled=reader.boolean(probe_table, "enabled", False, "probe."),
        python=_interpreter_path(reader.optional_string(probe_table, "python", "probe."), root),
        timeout=reader.positive_number(probe_table, "timeout", 10.0, "probe."),
        by_value=reader.optional_boolean(probe_table, "by-value", "probe."),
    )
    unknown = set(table) - project_keys()
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    for name, subtable in (("probe", probe_table), ("dependencies", dependencies_table)):
        unknown = set(subtable) - project_keys(f"{name}.")
        if unknown:
            raise ConfigError(f"{where}: unknown key '{name}.{sorted(unknown)[0]}'")
    dependencies = DependencySettings(
        groups=reader.strings(dependencies_table, "groups", "dependencies."),
        require_declaration=reader.boolean(dependencies_table, "require-declaration", False, "dependencies."),
    )
    return Settings(
        select=reader.selectors(table, "select") if "select" in table else None,
        ignore=reader.selectors(table, "ignore"),
        per_file_ignores=reader.per_file_ignores(table),
        prefect_version=reader.prefect_version(table),
        assume_task_runner=reader.choice(table, "assume-task-runner", TASK_RUNNERS, "thread"),
        jedi=reader.boolean(table, "jedi", True),
        probe=probe,
        dependencies=dependencies,
        root=root,
        config_file=config_file,
    )


def _interpreter_path(python: str | None, root: Path | None) -> str | None:
    """A path in the config file is relative to the file's folder; a bare command name stays."""
    if python is None or root is None or "/" not in python.replace("\\", "/") or Path(python).is_absolute():
        return python
    return str(root / python)


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: expected {expected}, got {value!r}")

    def selectors(self, table: dict, key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of rule codes such as [\"PP101\"]", value)
        for item in value:
            if not is_selector(item.strip().upper()):
                raise ConfigError(f"{self.where}: {key}: unknown rule code {item!r}")
        return tuple(item.strip().upper() for item in value)

    def strings(self, table: dict, key: str, prefix: str = "") -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(prefix + key, "a list of strings", value)
        return tuple(value)

    def per_file_ignores(self, table: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
        value = table.get("per-file-ignores", {})
        if not isinstance(value, dict):
            raise self.fail("per-file-ignores", "a table of glob = [codes]", value)
        return tuple((pattern, self.selectors(value, pattern)) for pattern in value)

    def prefect_version(self, table: dict) -> str:
        value = table.get("prefect-version", "auto")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value not in PREFECT_VERSIONS:
            raise self.fail("prefect-version", 'one of "auto", "1", "2", "3"', value)
        return value

    def choice(self, table: dict, key: str, choices: tuple[str, ...], default: str) -> str:
        value = table.get(key, default)
        if value not in choices:
            raise self.fail(key, "one of " + ", ".join(f'"{c}"' for c in choices), value)
        return value

    def boolean(self, table: dict, key: str, default: bool, prefix: str = "") -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(prefix + key, "true or false", value)
        return value

    def optional_boolean(self, table: dict, key: str, prefix: str = "") -> bool | None:
        return None if key not in table else self.boolean(table, key, False, prefix)

    def optional_string(self, table: dict, key: str, prefix: str = "") -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(prefix + key, "a string", value)
        return value

    def positive_number(self, table: dict, key: str, default: float, prefix: str = "") -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise self.fail(prefix + key, "a positive number of seconds", value)
        return float(value)
