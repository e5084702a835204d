"""The serialization probe: a real cloudpickle round trip of a module's flows and tasks.

`runner` supervises the worker in the project's interpreter; this module decides when
to probe and turns its answers into findings anchored in the source (PP301, PP302,
PP304, PP305). Nothing here knows about editors.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings
from ..findings import Finding, Related, Severity, Span
from ..prefect_model import PrefectModel
from ..rules import RULES_BY_CODE
from ..source import ParsedSource
from ..project import OWN_INTERPRETER, Interpreter, project_for
from ..serialization.contexts import ExecutionContexts, Mechanism, module_contexts
from ..serialization.inference import TypeInference
from ..serialization.project_modules import ProjectModules
from .runner import ProbeOutcome, Prober

__all__ = ["ProbeFindings", "ProbeOutcome", "Prober", "Verdict", "probe_file", "skipped", "wants_probe"]


@dataclass(frozen=True)
class Verdict:
    """How far a probe got, whatever the settings let through of its findings.

    ``state``: "done" (the module was imported and its flows and tasks round-tripped, or
    its import failed: PP304), "skipped" (not run, on purpose) or "did-not-finish".
    """

    state: str
    summary: str = ""
    """One short line saying why the probe was skipped or did not finish."""


class ProbeFindings(list):
    """The findings a probe adds to a module's, and the probe's `Verdict`."""

    def __init__(self, findings: list[Finding], verdict: Verdict) -> None:
        super().__init__(findings)
        self.verdict = verdict

_DEF_NAME = re.compile(r"(?:async\s+)?(?:def|class)\s+(\w+)")
_FROM_MODULE = re.compile(r"from\s+(\.*[\w.]*)")


def wants_probe(model: PrefectModel) -> bool:
    """Whether a module has anything the probe can check: flows, tasks or Task classes."""
    return bool(model.bodies or model.flow_objects or model.task_names)


def probe_file(
    path: Path, source: ParsedSource, model: PrefectModel, findings: list[Finding], settings: Settings, prober: Prober
) -> ProbeFindings:
    """Probe a file's module; the findings that the probe adds to the AST's ``findings``."""
    if not wants_probe(model):
        return ProbeFindings([], Verdict("skipped", "Nothing to probe: no flows or tasks"))
    if any(f.code == "PP303" for f in findings):
        note = skipped(source, settings, "the module runs a flow when imported (PP303); fix that first")
        return ProbeFindings(_filtered([note], source, settings, path), Verdict("skipped", "Probe off: fix PP303 first"))
    project = project_for(path, settings.probe.python, settings.root)
    interpreter = project.interpreter
    if lacks_prefect(interpreter):
        note = _finding("PP305", _no_prefect_message(interpreter), _line_one(source), settings)
        verdict = Verdict("skipped", "Probe off: no interpreter with Prefect")
        return ProbeFindings(_filtered([note], source, settings, path), verdict)
    outcome = prober.probe(path, interpreter.path, settings.probe.timeout, settings.probe.by_value)
    contexts = module_contexts(model, TypeInference(model, None, ProjectModules(model, path, project.repository)), settings, path)
    added = outcome_findings(outcome, source, model, settings, contexts)
    verdict = Verdict("done") if outcome.finished else Verdict("did-not-finish", added[0].message)
    return ProbeFindings(_filtered(added, source, settings, path), verdict)


def lacks_prefect(interpreter: Interpreter) -> bool:
    """Whether the probe fell back on the server's own interpreter and it cannot import Prefect.

    Importing a module with flows would fail on `import prefect` (or on the project's other
    dependencies): a note on how to name the project's interpreter helps; a PP304 does not.
    The server's own import path answers, without running anything.
    """
    return interpreter.chosen_by == OWN_INTERPRETER and importlib.util.find_spec("prefect") is None


def _no_prefect_message(interpreter: Interpreter) -> str:
    return (
        "Probe skipped: no project interpreter with Prefect was found. "
        f"Tried {interpreter.path}, prefect-pitfalls' own, which lacks Prefect. Name the project's "
        "interpreter with `[tool.prefect-pitfalls.probe] python`, `--python`, the editor setting "
        "`prefectPitfalls.probe.python` (in VS Code, the interpreter selected in the Python "
        "extension), or create a `.venv` in the project."
    )


def skipped(source: ParsedSource, settings: Settings, why: str) -> Finding:
    return _finding("PP305", f"Probe skipped: {why}", _line_one(source), settings)


def outcome_findings(
    outcome: ProbeOutcome, source: ParsedSource, model: PrefectModel, settings: Settings, contexts: ExecutionContexts
) -> list[Finding]:
    if outcome.status == "import-error":
        return [_import_failure(outcome.reply, source, settings)]
    if outcome.status != "ok":
        reason = {
            "timeout": f"timed out after {settings.probe.timeout:g} s",
            "exited": "the module called sys.exit() on import",
            "memory": "the module ran out of the probe's memory",
        }.get(outcome.status, outcome.error or outcome.status)
        if outcome.status in ("failed", "unavailable") and outcome.error:
            reason = outcome.error
        return [_finding("PP305", f"Probe did not finish: {reason}", _line_one(source), settings)]
    findings: dict[tuple, Finding] = {}
    for result in outcome.reply.get("objects", []):
        mechanism = None if result.get("ok") else _pickled_by(result, model, contexts)
        if mechanism is None:
            continue  # a flow or task nothing pickles where it runs: its round trip does not matter
        finding = _serialization_failure(result, source, model, settings, mechanism)
        key = (finding.code, finding.span)
        if key not in findings or result.get("mode") == "by-reference":
            findings[key] = finding
    return list(findings.values())


def _pickled_by(result: dict, model: PrefectModel, contexts: ExecutionContexts) -> Mechanism | None:
    """What pickles the flow or task a result is about, where it runs."""
    if result.get("style") == "1" or contexts.major == "1":
        return contexts.captured_prefect1()
    body = _body_at(model, result)
    return contexts.captured(body) if body is not None else None


def _body_at(model: PrefectModel, result: dict):
    line = result.get("line")
    for body in model.bodies:
        first = body.node.decorator_list[0].lineno if body.node.decorator_list else body.node.lineno
        if line in (first, body.node.lineno) and body.kind == result["kind"]:
            return body
    return None


def _serialization_failure(
    result: dict, source: ParsedSource, model: PrefectModel, settings: Settings, mechanism: Mechanism
) -> Finding:
    code = "PP301" if result["kind"] == "flow" else "PP302"
    anchor = _object_anchor(result, source, model)
    path = " → ".join([result["name"], *result.get("path", []), *([result["type"]] if result.get("type") else [])])
    error = result.get("error", "")
    error = error.split(": ", 1)[1] if error.startswith(("TypeError: ", "PicklingError: ")) else error
    what = "flow" if code == "PP301" else "task"
    if result.get("on_load"):
        message = f"{what.capitalize()} `{result['name']}` cannot be loaded where it runs: {error}"
    else:
        cannot = "could not" if mechanism.hint else "cannot"
        message = f"{mechanism.subject} {cannot} pickle {what} `{result['name']}`. {path}: {error}."
    if result.get("mode") == "by-value":
        message += " Fails when shipped by value, without your code."
    message += mechanism.note
    related = _creation_site(result, source, anchor)
    finding = _finding(code, message, anchor, settings, related)
    return replace(finding, severity=Severity.HINT) if mechanism.hint else finding


def _object_anchor(result: dict, source: ParsedSource, model: PrefectModel) -> Span:
    """The function's (or Prefect 1 class's) name in its def line; Prefect 1 flows: `Flow(...)`."""
    if result.get("style") == "1" and result["kind"] == "flow":
        for flow in model.flow_objects:
            if flow.name == result["name"]:
                return source.span(flow.call)
    if result.get("class"):
        for node in ast.walk(source.tree):
            if isinstance(node, ast.ClassDef) and node.name == result["class"]:
                return _name_span(source, node)
    line = result.get("line")
    for node in ast.walk(source.tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            if line in (first, node.lineno):
                return _name_span(source, node)
    return _line_one(source)


def _name_span(source: ParsedSource, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
    text = source.line_text(node.lineno)
    match = _DEF_NAME.search(text, source.char_column(node.lineno, node.col_offset))
    if match is None:
        return source.span(node)
    return Span(node.lineno, match.start(1), node.lineno, match.end(1))


def _creation_site(result: dict, source: ParsedSource, anchor: Span) -> tuple[tuple[str, Span], ...]:
    """Where the offending global or closure variable is assigned, when it can be found."""
    names = [part.split("'")[1] for part in result.get("path", []) if part.startswith(("global '", "closure '"))]
    if not names:
        return ()
    name = names[-1]
    candidates = []
    for node in ast.walk(source.tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name:
                candidates.append(target)
    if not candidates:
        return ()
    first = min(candidates, key=lambda n: (n.lineno, n.col_offset))
    return (Related(f"`{name}` is created here", source.span(first)),)


def _import_failure(reply: dict, source: ParsedSource, settings: Settings) -> Finding:
    missing = reply.get("missing")
    span = _import_span(source, missing) if missing else None
    if span is None:
        span = _statement_line(source, reply.get("line"))
    return _finding("PP304", f"Importing the module fails: {reply.get('error')}", span, settings)


def _import_span(source: ParsedSource, missing: str) -> Span | None:
    """The module name in the statement that imports ``missing`` (or a package of it)."""
    def matches(module: str) -> bool:
        return module == missing or module.startswith(missing + ".") or missing.startswith(module + ".")

    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if matches(alias.name):
                    start = source.char_column(alias.lineno, alias.col_offset)
                    return Span(alias.lineno, start, alias.lineno, start + len(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if matches(node.module) or any(matches(f"{node.module}.{a.name}") for a in node.names):
                text = source.line_text(node.lineno)
                match = _FROM_MODULE.search(text, source.char_column(node.lineno, node.col_offset))
                if match:
                    return Span(node.lineno, match.start(1), node.lineno, match.end(1))
    return None


def _statement_line(source: ParsedSource, line: int | None) -> Span:
    if not line or line > len(source.lines):
        return _line_one(source)
    text = source.line_text(line)
    start = len(text) - len(text.lstrip())
    return Span(line, start, line, len(text.rstrip()))


def _line_one(source: ParsedSource) -> Span:
    return Span(1, 0, 1, len(source.line_text(1).rstrip()))


def _finding(code: str, message: str, span: Span, settings: Settings, related=()) -> Finding:
    rule = RULES_BY_CODE[code]
    return Finding(code, rule.name, message, span, settings.severity_of(code, rule.severity), related=related)


def _filtered(findings: list[Finding], source: ParsedSource, settings: Settings, path: Path) -> list[Finding]:
    enabled = settings.enabled_codes(path)
    return [f for f in findings if f.code in enabled and not source.is_suppressed(f.code, f.span.line)]
