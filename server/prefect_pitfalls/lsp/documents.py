"""Per-document analysis state: which version was analysed, with what result."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import AnalysisCache
from ..config import Settings
from ..findings import Finding
from ..linter import LintResult, is_deployment_file, lint_deployment_file, lint_source, paused_gc
from ..incremental import IncrementalParser
from ..prefect_model import PrefectModel
from ..source import unparsed


@dataclass
class Analysis:
    version: int | None
    result: LintResult
    settings: Settings

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings



@dataclass
class DocumentState:
    """What the server knows about one open document."""

    uri: str
    path: Path | None
    language_id: str | None = None
    parser: IncrementalParser = field(default_factory=IncrementalParser)
    analyses: AnalysisCache = field(default_factory=AnalysisCache)
    analysis: Analysis | None = None
    running: bool = False
    pending: bool = False
    published_version: int | None = None
    closed: bool = False
    probe_version: int | None = None
    probe_findings: list[Finding] = field(default_factory=list)
    probing: bool = False
    probe_pending: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def result_id(self, analysis: Analysis) -> str:
        """Identifies what a pull reports: equal ids, equal diagnostics."""
        return f"{hash(tuple(self.findings_of(analysis))) & 0xFFFFFFFFFFFF:x}"

    def findings_of(self, analysis: Analysis) -> list[Finding]:
        """The analysis's findings, with the probe's when the probe ran on the same version."""
        if self.probe_version is not None and self.probe_version == analysis.version:
            return sorted(analysis.findings + self.probe_findings, key=Finding.sort_key)
        return analysis.findings

    def analyse(self, text: str, version: int | None, settings: Settings) -> Analysis:
        """Analyse one snapshot of the text; reuses the parse of unchanged statements.

        Called from the analysis thread and, for code actions and hovers, from the event
        loop: the lock keeps the incremental parser's state consistent.
        """
        if is_deployment_file(self.path):
            return Analysis(version, lint_deployment_file(text, settings, self.path), settings)
        if not self.is_python:
            return Analysis(version, LintResult(unparsed(text), PrefectModel(unparsed("")), []), settings)
        with self.lock, paused_gc():
            # No finding can come from a module that never mentions prefect: skip even the parse.
            source = self.parser.parse(text) if "prefect" in text else unparsed(text)
            # Jedi answers from its cache only: the server resolves its questions off this thread.
            result = lint_source(source, settings, self.path, self.analyses, jedi_blocking=False)
        return Analysis(version, result, settings)

    @property
    def is_python(self) -> bool:
        """Python by the editor's word, else by the file name (an editor may attach us to any
        YAML file for the sake of `prefect.yaml`)."""
        if is_deployment_file(self.path):
            return False
        if self.language_id:
            return self.language_id == "python"
        return self.path is None or self.path.suffix in (".py", ".pyi", ".pyw")

    def is_current(self, version: int | None, settings: Settings) -> bool:
        analysis = self.analysis
        return analysis is not None and analysis.version == version and analysis.settings == settings
