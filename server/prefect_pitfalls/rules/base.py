"""What a rule is, and the context a rule's check runs in."""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Iterable

from ..findings import Finding, Fix, Related, Severity, Span
from ..prefect_model import PrefectModel, Style
from ..project import Project, project_for
from ..serialization.contexts import ExecutionContexts, Mechanism
from ..serialization.inference import TypeInference
from ..serialization.table import Unpicklable
from ..source import ParsedSource

if TYPE_CHECKING:
    from ..config import Settings


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    versions: tuple[Style, ...]
    doc: str
    check: Callable[["RuleContext"], Iterable[Finding]]
    fix: str | None = None
    """How safe the rule's fix is: "safe", "unsafe", "safe or unsafe"; None without a fix."""
    files: str = "python"
    """What the rule reads: Python modules, or "prefect.yaml" deployment files."""

    @classmethod
    def from_module(cls, module: ModuleType) -> "Rule":
        return cls(
            code=module.CODE,
            name=module.NAME,
            severity=module.SEVERITY,
            versions=module.VERSIONS,
            doc=inspect.cleandoc(module.__doc__ or ""),
            check=module.check,
            fix=getattr(module, "FIX", None),
            files=getattr(module, "FILES", "python"),
        )

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    @property
    def summary(self) -> str:
        """The first sentence of the rule's "What it does" section."""
        match = re.search(r"## What it does\s*\n(.+?)(?:\n\s*\n|$)", self.doc, re.S)
        text = " ".join((match.group(1) if match else self.doc).split())
        sentence = re.match(r"(.+?\.)(\s|$)", text)
        return sentence.group(1) if sentence else text

    @property
    def version_label(self) -> str:
        return ", ".join(self.versions)


@dataclass
class RuleContext:
    """One rule running over one module: builds findings anchored in that module."""

    rule: Rule
    source: ParsedSource
    model: PrefectModel
    types: TypeInference
    path: Path | None
    settings: "Settings"
    contexts: ExecutionContexts
    """When the module's tasks and flows serialize or hash values (PP201–PP204)."""

    def finding(
        self,
        anchor: ast.AST | Span,
        message: str,
        fix: Fix | None = None,
        alternatives: tuple[Fix, ...] = (),
        severity: Severity | None = None,
        related: tuple[Related, ...] = (),
    ) -> Finding:
        span = anchor if isinstance(anchor, Span) else self.source.span(anchor)
        return Finding(
            self.rule.code, self.rule.name, message, span, severity or self.rule.severity, fix,
            related=related, alternatives=alternatives,
        )

    def serialization_finding(
        self, anchor: ast.AST, mechanism: Mechanism, what: str, entry: Unpicklable, fix: Fix | None = None, advice: str = ""
    ) -> Finding:
        """A value that ``mechanism`` serializes and cannot: a hint when only an assumed runner would."""
        message = mechanism.message(what, f"It {entry.reason} (`{entry.type}`).") + advice
        return self.finding(anchor, message, fix, severity=Severity.HINT if mechanism.hint else None)

    def text(self, node: ast.AST) -> str:
        return self.source.node_text(node)

    def installed_prefect(self) -> str | None:
        """The Prefect release of the project's interpreter (read from its metadata files), asked
        only where the major version alone does not decide (a configured Prefect 2)."""
        if self.model.configured_version != "2":
            return None
        from ..dependencies.environment import installed_prefect

        return installed_prefect(self.interpreter())

    @cached_property
    def project(self) -> Project:
        """The model of the module's project: roots, interpreter, declarations, deployments."""
        return project_for(self.path, self.settings.probe.python if self.settings else None, self.settings.root if self.settings else None)

    def interpreter(self) -> str:
        """The project's interpreter: where its installed packages are read from (never run)."""
        return self.project.interpreter.path


@dataclass
class DeploymentContext:
    """One rule running over one `prefect.yaml`."""

    rule: Rule
    source: ParsedSource
    path: Path | None
    settings: "Settings | None" = None

    @cached_property
    def project(self) -> Project:
        return project_for(self.path, self.settings.probe.python if self.settings else None, self.settings.root if self.settings else None)

    def finding(self, span: Span, message: str) -> Finding:
        return Finding(self.rule.code, self.rule.name, message, span, self.rule.severity)


def brief(code: str, limit: int = 40) -> str:
    """Source text for a message: on one line, cut to ``limit`` characters."""
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


def probe_only(ctx: RuleContext) -> Iterable[Finding]:
    """The check of a rule whose findings come from the serialization probe, not the AST."""
    return ()
