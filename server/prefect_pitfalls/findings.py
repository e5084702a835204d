"""The plain results every rule produces and every reporter consumes.

Positions are 1-based lines and 0-based columns counted in Unicode code points;
``end_column`` is exclusive. Reporters convert to whatever their audience needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"

    @property
    def fails_check(self) -> bool:
        """Whether a finding of this severity makes `check` exit with status 1."""
        return self in (Severity.ERROR, Severity.WARNING)


class Applicability(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    span: Span
    new_text: str
    path: Path | None = None
    """The file this edit changes when it is not the finding's own (e.g. a pyproject.toml)."""


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]

    @property
    def is_safe(self) -> bool:
        return self.applicability is Applicability.SAFE

    @property
    def is_external(self) -> bool:
        """Whether the fix changes another file than the finding's."""
        return any(edit.path is not None for edit in self.edits)


@dataclass(frozen=True)
class Related:
    """A place that explains a finding: in the finding's file, or in ``path``."""

    message: str
    span: Span
    path: Path | None = None


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str
    span: Span
    severity: Severity
    fix: Fix | None = None
    path: str = ""
    related: tuple[Related, ...] = field(default=())
    alternatives: tuple[Fix, ...] = field(default=())
    """Other fixes offered in editors beside ``fix``; `check --fix` never applies them."""

    def sort_key(self) -> tuple:
        return (self.path, self.span.line, self.span.column, self.code)
