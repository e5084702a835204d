"""Editor settings (`prefectPitfalls.*`, camelCase) and how they override pyproject.toml."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..config import Settings
from ..findings import Severity
from ..rules import is_selector

SECTION = "prefectPitfalls"
RUN_MODES = ("onType", "onSave")


@dataclass(frozen=True)
class ProbeClientSettings:
    enabled: bool = False
    on_open: bool = False
    python: str | None = None
    timeout: float = 10.0
    by_value: bool | None = None


@dataclass(frozen=True)
class ClientSettings:
    enable: bool = True
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    run: str = "onType"
    severity: tuple[tuple[str, Severity], ...] = ()
    docs_base_url: str | None = None
    workspace_trusted: bool | None = None
    probe: ProbeClientSettings = field(default_factory=ProbeClientSettings)

    def apply_to(self, project: Settings) -> Settings:
        """Editor settings first: each key the editor sets replaces the project's. A project
        file turns the probe on only where the editor says the workspace is trusted: the probe
        runs the workspace's code, which its own files cannot ask for."""
        defaults, probe = ProbeClientSettings(), project.probe
        return replace(
            project,
            select=self.select if self.select is not None else project.select,
            ignore=self.ignore or project.ignore,
            severity=project.severity + self.severity,
            probe=replace(
                probe,
                enabled=self.probe.enabled or (probe.enabled and self.workspace_trusted is True),
                python=self.probe.python or probe.python,
                timeout=self.probe.timeout if self.probe.timeout != defaults.timeout else probe.timeout,
                by_value=self.probe.by_value if self.probe.by_value is not None else probe.by_value,
            ),
        )


def parse_client_settings(raw: Any) -> tuple[ClientSettings, list[str]]:
    """Settings from `{"prefectPitfalls": {...}}` or the section itself; problems as messages.

    Unknown keys are ignored; a value of the wrong type is reported and its default kept.
    """
    if isinstance(raw, dict) and SECTION in raw:
        raw = raw[SECTION]
    if raw is None:
        return ClientSettings(), []
    problems: list[str] = []
    if not isinstance(raw, dict):
        return ClientSettings(), [f"{SECTION}: expected an object, got {raw!r}"]
    reader = _Reader(raw, problems, SECTION)
    probe_raw = raw.get("probe") or {}
    if not isinstance(probe_raw, dict):
        problems.append(f"{SECTION}.probe: expected an object, got {probe_raw!r}")
        probe_raw = {}
    probe = _Reader(probe_raw, problems, f"{SECTION}.probe")
    defaults = ProbeClientSettings()
    settings = ClientSettings(
        enable=reader.boolean("enable", True),
        select=reader.codes("select", None),
        ignore=reader.codes("ignore", ()) or (),
        run=reader.choice("run", RUN_MODES, "onType"),
        severity=reader.severities("severity"),
        docs_base_url=reader.string("docsBaseUrl"),
        workspace_trusted=reader.optional_boolean("workspaceTrusted"),
        probe=ProbeClientSettings(
            enabled=probe.boolean("enabled", defaults.enabled),
            on_open=probe.boolean("onOpen", defaults.on_open),
            python=probe.string("python"),
            timeout=probe.positive_number("timeout", defaults.timeout),
            by_value=probe.optional_boolean("byValue"),
        ),
    )
    return settings, problems


class _Reader:
    def __init__(self, raw: dict, problems: list[str], prefix: str) -> None:
        self.raw, self.problems, self.prefix = raw, problems, prefix

    def _wrong(self, key: str, expected: str, default: Any) -> Any:
        self.problems.append(
            f"{self.prefix}.{key}: expected {expected}, got {self.raw[key]!r}; using the default {default!r}"
        )
        return default

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key)
        if value is None:
            return default
        return value if isinstance(value, bool) else self._wrong(key, "true or false", default)

    def optional_boolean(self, key: str) -> bool | None:
        value = self.raw.get(key)
        return value if value is None or isinstance(value, bool) else self._wrong(key, "true, false or null", None)

    def string(self, key: str) -> str | None:
        value = self.raw.get(key)
        return value if value is None or isinstance(value, str) else self._wrong(key, "a string", None)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.raw.get(key)
        if value is None:
            return default
        return value if value in choices else self._wrong(key, " or ".join(map(repr, choices)), default)

    def positive_number(self, key: str, default: float) -> float:
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return self._wrong(key, "a positive number", default)
        return float(value)

    def codes(self, key: str, default: tuple[str, ...] | None) -> tuple[str, ...] | None:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) and is_selector(v.strip().upper()) for v in value):
            return self._wrong(key, "a list of rule codes", default)
        return tuple(v.strip().upper() for v in value)

    def severities(self, key: str) -> tuple[tuple[str, Severity], ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        names = {s.value: s for s in Severity}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and is_selector(k.upper()) and v in names for k, v in value.items()
        ):
            return self._wrong(key, 'an object like {"PP101": "error"}', {}) and ()
        return tuple((k.upper(), names[v]) for k, v in value.items())
