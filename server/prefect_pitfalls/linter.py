"""The one data flow: text -> parsed source -> Prefect model -> rules -> findings."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

from .analysis import AnalysisCache
from .config import Settings
from .findings import Finding
from .fixes import apply_fixes
from .prefect_model import PrefectModel
from .rules import RULES, RuleContext
from .rules.base import DeploymentContext
from .project import project_for
from .serialization import jedi_types
from .serialization.contexts import ExecutionContexts, module_contexts
from .serialization.project_modules import ProjectModules
from .serialization.inference import TypeInference
from .source import ParsedSource, parse, unparsed

MAX_FIX_PASSES = 10


@dataclass
class LintResult:
    source: ParsedSource
    model: PrefectModel
    findings: list[Finding]
    jedi: jedi_types.JediTypes | None = None
    """The inference the rules asked, when they could."""


def lint(text: str, settings: Settings | None = None, path: Path | None = None) -> LintResult:
    if is_deployment_file(path):
        return lint_deployment_file(text, settings or Settings(), path)
    with paused_gc():
        return lint_source(parse(text), settings or Settings(), path)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Keep the cycle collector out of one analysis: it would walk the whole fresh tree again
    and again while finding nothing to free (trees have no cycles); it runs after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def lint_source(
    source: ParsedSource,
    settings: Settings,
    path: Path | None = None,
    analyses: AnalysisCache | None = None,
    jedi_blocking: bool = True,
) -> LintResult:
    """Run the enabled rules; without ``jedi_blocking``, jedi answers only from its cache."""
    model = PrefectModel(source, settings.prefect_version, analyses)
    findings: list[Finding] = []
    jedi = None
    if model.uses_prefect:
        enabled = settings.enabled_codes(path)
        jedi = jedi_for(source, settings, path, jedi_blocking) if settings.jedi else None
        repository = project_for(path, settings.probe.python, settings.root).repository if path is not None else None
        project = ProjectModules(model, path, repository)
        types = TypeInference(model, jedi, project)
        contexts = execution_contexts(model, types, settings, path)
        for rule in RULES:
            if rule.files != "python" or rule.code not in enabled or not model.applies_to(rule.versions):
                continue
            context = RuleContext(rule, source, model, types, path, settings, contexts)
            findings += _kept(rule.check(context), source, settings)
    findings.sort(key=Finding.sort_key)
    if analyses is not None:
        analyses.prune()
    return LintResult(source, model, findings, jedi)


DEPLOYMENT_FILES = ("prefect.yaml",)


def is_deployment_file(path: Path | None) -> bool:
    return path is not None and path.name in DEPLOYMENT_FILES


def lint_deployment_file(text: str, settings: Settings, path: Path | None) -> LintResult:
    """Run the rules that read `prefect.yaml` files."""
    source = unparsed(text)
    enabled = settings.enabled_codes(path)
    findings: list[Finding] = []
    for rule in RULES:
        if rule.files != "prefect.yaml" or rule.code not in enabled:
            continue
        findings += _kept(rule.check(DeploymentContext(rule, source, path, settings)), source, settings)
    findings.sort(key=Finding.sort_key)
    return LintResult(source, PrefectModel(source, settings.prefect_version), findings)


def _kept(found: Iterable[Finding], source: ParsedSource, settings: Settings) -> list[Finding]:
    """A rule's findings without those a `# noqa` suppresses, at their configured severity."""
    kept = []
    for finding in found:
        if source.is_suppressed(finding.code, finding.span.line):
            continue
        severity = settings.severity_of(finding.code, finding.severity)
        kept.append(finding if severity is finding.severity else replace(finding, severity=severity))
    return kept


def execution_contexts(model: PrefectModel, types: TypeInference, settings: Settings, path: Path | None) -> ExecutionContexts:
    """When the module's tasks and flows serialize values, on the Prefect release it runs on."""
    return module_contexts(model, types, settings, path)


def jedi_for(source: ParsedSource, settings: Settings, path: Path | None, blocking: bool) -> jedi_types.JediTypes:
    """The jedi inference of a text, in the project's interpreter (shared by every analysis of it)."""
    python = project_for(path, settings.probe.python, settings.root).interpreter.path
    return jedi_types.for_text(source.text, path, blocking=blocking, python=python)


@dataclass
class FixResult:
    text: str
    fixed: int
    result: LintResult


def fix(text: str, settings: Settings, path: Path | None = None, unsafe: bool = False) -> FixResult:
    """Apply fixes until none is left (or a pass changes nothing); lint the final text."""
    result = lint(text, settings, path)
    fixed = 0
    for _ in range(MAX_FIX_PASSES):
        if result.source.problem is not None and result.source.problem.requires is None:
            break  # a real syntax error: fixes might land in the broken region
        # Fixes of other files (a dependency added to pyproject.toml) are the caller's to apply.
        fixes = [f.fix for f in result.findings if f.fix and (unsafe or f.fix.is_safe) and not f.fix.is_external]
        if not fixes:
            break
        source = result.source
        new_text, count = apply_fixes(source.text, fixes, source.line_offsets)
        if new_text == source.text:
            break
        fixed += count
        result = lint_source(parse(("\ufeff" if source.has_bom else "") + new_text), settings, path)
    final = result.source.text
    return FixResult(("\ufeff" + final) if result.source.has_bom else final, fixed, result)
