"""`prefect-pitfalls serve`: the core's findings as LSP diagnostics, code actions and hovers.

Nothing here decides what is a finding; this module schedules analyses, keeps
versions straight and translates.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import sys
import time
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path

from .. import __version__
from ..config import ConfigError, Settings, load_settings
from ..findings import Finding, Span
from ..fixes.noqa import ignore_on_line
from ..linter import fix as fix_text
from ..linter import is_deployment_file, jedi_for, lint_source
from ..probe import ProbeFindings, Prober, probe_file, skipped
from ..dependencies import read_environment
from ..docs import as_plain_text, findings_documentation, rule_explanation
from ..project import project_for
from ..rules import RULES_BY_CODE
from ..source import UTF8, UTF16, ParsedSource, parse
from . import convert
from .documents import Analysis, DocumentState
from .settings import SECTION, ClientSettings, parse_client_settings

FIX_ALL_KIND = "source.fixAll.prefect-pitfalls"
EXPLAIN_COMMAND = "prefect-pitfalls.explain"
PROBE_COMMAND = "prefect-pitfalls.probe"
# Sent to clients that set `experimental.prefectPitfalls.probeStatus` (the VS Code extension's status bar).
PROBE_STATUS_NOTIFICATION = "prefectPitfalls/probeStatus"
logger = logging.getLogger(__name__)


class PitfallsProtocol(LanguageServerProtocol):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        # Prefer UTF-8 whenever offered (no conversion on ASCII, exact on the rest), else UTF-16.
        general = params.capabilities.general
        if general is not None and general.position_encodings:
            offered = general.position_encodings
            general.position_encodings = [UTF8 if UTF8 in offered else UTF16]
        return (yield from super().lsp_initialize(params))

    def handle_message(self, message):
        super().handle_message(message)
        # pygls 2.1 keeps the future of every notification handled by a generator or coroutine
        # (didOpen, didChange, ...) in `_request_futures` forever: about 2 KB per keystroke.
        for done in [key for key, future in self._request_futures.items() if future.done()]:
            self._request_futures.pop(done, None)

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            # pygls drops a request whose params do not decode; its client would wait forever.
            if "method" in data and isinstance(data.get("id"), (int, str)):
                self._send_response(data["id"], error=error.to_response_error())
            raise


class PitfallsServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "prefect-pitfalls",
            __version__,
            protocol_cls=PitfallsProtocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.documents: dict[str, DocumentState] = {}
        self.default_settings = ClientSettings()
        self.folder_settings: dict[str, ClientSettings] = {}
        self.reported_config_errors: set[str] = set()
        self.analysis_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self.jedi_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jedi")
        self.probe_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe")
        self.prober = Prober()
        self.shutdown_requested = False
        self.noted_newer_syntax: set[str] = set()

    # --- client capabilities ------------------------------------------------------

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or UTF16)

    @property
    def uses_pull(self) -> bool:
        text_document = self.client_capabilities.text_document
        return bool(text_document and text_document.diagnostic)

    @property
    def supports_refresh(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)

    @property
    def supports_configuration(self) -> bool:
        workspace = self.client_capabilities.workspace
        return bool(workspace and workspace.configuration)

    @property
    def wants_probe_status(self) -> bool:
        experimental = self.client_capabilities.experimental
        ours = experimental.get("prefectPitfalls") if isinstance(experimental, dict) else None
        return isinstance(ours, dict) and ours.get("probeStatus") is True

    # --- messages -----------------------------------------------------------------

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def warn(self, message: str) -> None:
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=message))
        self.log(message, types.MessageType.Warning)

    def report_server_error(self, error: Exception, source) -> None:
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            # JSON-RPC: a body that is not JSON gets a Parse error response with a null id.
            message = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": f"Parse error: {error}"}}
            self.protocol._send_data(message)
            return
        super().report_server_error(error, source)

    # --- settings -----------------------------------------------------------------

    def set_client_settings(self, raw: Any, folder: str | None = None) -> None:
        settings, problems = parse_client_settings(raw)
        for problem in problems:
            self.warn(f"prefect-pitfalls: {problem}")
        if folder is None:
            self.default_settings = settings
        else:
            self.folder_settings[folder] = settings

    def client_settings_for(self, uri: str) -> ClientSettings:
        folders = [f for f in self.folder_settings if uri.startswith(f.rstrip("/") + "/")]
        return self.folder_settings[max(folders, key=len)] if folders else self.default_settings

    def settings_for(self, state: DocumentState) -> Settings:
        """The editor's settings over the nearest `[tool.prefect-pitfalls]`, read again whenever
        that file changed on disk (no file watching needed: Neovim on Linux offers none)."""
        client = self.client_settings_for(state.uri)
        folder = state.path.parent if state.path else Path.cwd()
        try:
            project = load_settings(folder)
        except ConfigError as error:
            if str(error) not in self.reported_config_errors:
                self.reported_config_errors.add(str(error))
                self.warn(f"prefect-pitfalls: {error}; using the defaults")
            project = Settings()
        return client.apply_to(project)

    def forget_reported_config_errors(self) -> None:
        """A configuration file changed: its next error is worth a message again."""
        self.reported_config_errors.clear()

    def read_environments_ahead(self) -> None:
        """Read each workspace folder's interpreter metadata (PP306) on the jedi thread now,
        so the first analysis of a flow module does not wait for it."""
        for folder in self.workspace.folders.values():
            root = Path(to_fs_path(folder.uri))
            python = self.client_settings_for(folder.uri).probe.python
            self.jedi_thread.submit(_read_environment_quietly, project_for(root, python).interpreter.path)

    def files_changed(self, uris: list[str]) -> None:
        """Files changed on disk: configuration and dependency declarations re-analyse every
        open document; Python files re-analyse the open `prefect.yaml` files (PP307)."""
        paths = [Path(to_fs_path(uri)) for uri in uris if uri.startswith("file:")]
        if any(path.name == "pyproject.toml" for path in paths):
            self.forget_reported_config_errors()
        if any(_declares_dependencies(path) for path in paths):
            self.settings_changed()
        elif any(path.suffix == ".py" for path in paths):
            self.deployment_files_changed()

    def deployment_files_changed(self) -> None:
        deployments = [state for state in self.documents.values() if is_deployment_file(state.path)]
        for state in deployments:
            state.analysis = None
            if not self.uses_pull:
                self.schedule(state.uri)
        if deployments and self.uses_pull and self.supports_refresh:
            self.workspace_diagnostic_refresh(None)

    async def register_config_watcher(self) -> None:
        """Ask the client to tell us when configuration, dependency declarations or Python
        files change on disk."""
        try:
            await self.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="prefect-pitfalls-config",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=[
                                    types.FileSystemWatcher(glob_pattern=pattern)
                                    for pattern in ("**/pyproject.toml", "**/requirements*.txt", "**/prefect.yaml", "**/*.py")
                                ]
                            ),
                        )
                    ]
                )
            )
        except Exception as error:  # the client offered but refused; saving a pyproject.toml still reloads
            self.log(f"could not watch pyproject.toml files: {error}")

    async def fetch_configuration(self) -> None:
        if not self.supports_configuration:
            return
        folders = list(self.workspace.folders.values())
        items = [types.ConfigurationItem(section=SECTION)]
        items += [types.ConfigurationItem(scope_uri=f.uri, section=SECTION) for f in folders]
        try:
            answers = await self.workspace_configuration_async(types.ConfigurationParams(items=items))
        except Exception as error:  # a client may refuse; keep the settings we have
            self.log(f"workspace/configuration failed: {error}")
            return
        if answers and answers[0] is not None:
            self.set_client_settings(answers[0])
        for folder, answer in zip(folders, answers[1:]):
            if answer is not None:
                self.set_client_settings(answer, folder.uri)

    def settings_changed(self) -> None:
        """Re-analyse open documents; pull clients are asked to pull again."""
        if self.uses_pull:
            for state in self.documents.values():
                state.analysis = None
            if self.supports_refresh:
                self.workspace_diagnostic_refresh(None)
        else:
            for uri in list(self.documents):
                self.schedule(uri)

    # --- documents ----------------------------------------------------------------

    def state(self, uri: str, language_id: str | None = None) -> DocumentState:
        state = self.documents.get(uri)
        if state is None:
            path = to_fs_path(uri) if uri.startswith("file:") else None
            state = self.documents[uri] = DocumentState(uri, Path(path) if path else None, language_id)
        return state

    def snapshot(self, uri: str) -> tuple[str, int | None]:
        document = self.workspace.get_text_document(uri)
        return document.source, document.version

    def analyse_now(self, uri: str) -> Analysis:
        """The analysis of the document's current text, computed here if not yet done."""
        state = self.state(uri)
        text, version = self.snapshot(uri)
        settings = self.settings_for(state)
        if not state.is_current(version, settings):
            state.analysis = state.analyse(text, version, settings)
        return state.analysis

    def schedule(self, uri: str) -> None:
        """Analyse the latest text off the event loop; a superseded result is never published."""
        state = self.state(uri)
        if state.running:
            state.pending = True
            return
        text, version = self.snapshot(uri)
        settings = self.settings_for(state)
        if not self.client_settings_for(uri).enable:
            self.publish(state, version, None)
            return
        state.running, state.pending = True, False
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.analysis_thread, state.analyse, text, version, settings)
        future.add_done_callback(lambda done: self.analysed(state, done))

    def analysed(self, state: DocumentState, done: asyncio.Future) -> None:
        state.running = False
        if state.closed:
            return
        if done.exception() is not None:
            self.log(f"analysis of {state.uri} failed: {done.exception()!r}", types.MessageType.Error)
            return
        analysis: Analysis = done.result()
        _, version = self.snapshot(state.uri)
        if analysis.version == version and not state.pending:
            state.analysis = analysis
            self.publish(state, version, analysis)
            self.ask_jedi(state, analysis)
        else:
            self.schedule(state.uri)

    def ask_jedi(self, state: DocumentState, analysis: Analysis) -> None:
        """Answer, on the jedi thread, what the analysis asked jedi; then analyse again."""
        if not analysis.settings.jedi:
            return
        questions = jedi_for(analysis.result.source, analysis.settings, state.path, blocking=False)
        if not questions.pending:
            return
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.jedi_thread, questions.resolve_pending)
        future.add_done_callback(lambda done: self.jedi_answered(state, analysis, done))

    def jedi_answered(self, state: DocumentState, analysis: Analysis, done: asyncio.Future) -> None:
        if state.closed or done.exception() is not None or not done.result():
            return
        _, version = self.snapshot(state.uri)
        if version != analysis.version:
            return  # the text moved on; its own analysis asks again
        state.analysis = None
        if self.uses_pull:
            if self.supports_refresh:
                self.workspace_diagnostic_refresh(None)
        else:
            self.schedule(state.uri)

    def publish(self, state: DocumentState, version: int | None, analysis: Analysis | None) -> None:
        """Push the diagnostics of an analysis (None: an empty list)."""
        if self.uses_pull:
            return
        if version is not None and state.published_version is not None and version < state.published_version:
            return
        state.published_version = version
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=state.uri, version=version, diagnostics=self.diagnostics(state, analysis)
            )
        )

    def diagnostics(self, state: DocumentState, analysis: Analysis | None) -> list[types.Diagnostic]:
        if analysis is None:
            return []
        self.note_newer_syntax(state, analysis)
        docs = self.client_settings_for(state.uri).docs_base_url
        source = analysis.result.source
        return [
            convert.to_diagnostic(f, source, self.encoding, analysis.version, docs, state.uri)
            for f in state.findings_of(analysis)
        ]

    def note_newer_syntax(self, state: DocumentState, analysis: Analysis) -> None:
        """Say once per file that it uses syntax newer than this Python's: not an error of its own."""
        problem = analysis.result.source.problem
        if problem is None or problem.requires is None or state.uri in self.noted_newer_syntax:
            return
        self.noted_newer_syntax.add(state.uri)
        name = state.path.name if state.path else state.uri
        needed = ".".join(map(str, problem.requires))
        self.warn(
            f"prefect-pitfalls: {name}:{problem.line} {problem.message}. The rest of the file is checked; "
            f"run the server on Python {needed} or newer to check all of it."
        )

    # --- the serialization probe ---------------------------------------------------------

    def schedule_probe(self, uri: str) -> None:
        """Probe the saved file off the event loop; only the newest version's result is kept."""
        state = self.state(uri)
        if state.path is None or not state.path.exists() or not state.is_python:
            return
        client = self.client_settings_for(uri)
        settings = self.settings_for(state)
        if not settings.probe.enabled:
            return
        text, version = self.snapshot(uri)
        if client.workspace_trusted is False:
            why = "the workspace is not trusted"
            self.probe_answered(state, version, [skipped(parse(text), settings, why)], announce=False)
            self.probe_status(state.uri, "skipped", message=f"Probe off: {why}")
            return
        if state.probing:
            state.probe_pending = True
            return
        state.probing, state.probe_pending = True, False
        self.probe_status(state.uri, "running")
        loop = asyncio.get_running_loop()
        progress = _DelayedProgress(self, f"Probing {state.path.name}")
        started = time.monotonic()
        future = loop.run_in_executor(self.probe_thread, self.run_probe, state, text, settings)
        future.add_done_callback(lambda done: self.probe_done(state, version, done, progress))
        future.add_done_callback(lambda done: self.log_probe(state, settings, started, done))

    def run_probe(self, state: DocumentState, text: str, settings: Settings) -> list[Finding]:
        """In the probe thread: the AST's view of the text, then the probe of the file on disk."""
        result = lint_source(parse(text), settings, state.path, jedi_blocking=False)
        return probe_file(state.path, result.source, result.model, result.findings, settings, self.prober)

    def probe_done(self, state: DocumentState, version: int | None, done: asyncio.Future, progress: "_DelayedProgress") -> None:
        progress.finish()
        state.probing = False
        if state.closed:
            return
        if done.exception() is not None:
            self.log(f"probe of {state.uri} failed: {done.exception()!r}", types.MessageType.Error)
            self.probe_status(state.uri, "failed", message=f"The probe failed: {done.exception()}")
        else:
            self.probe_answered(state, version, done.result())
        if state.probe_pending:
            self.schedule_probe(state.uri)

    def log_probe(self, state: DocumentState, settings: Settings, started: float, done: asyncio.Future) -> None:
        if done.exception() is not None:
            return
        interpreter = project_for(state.path, settings.probe.python, settings.root).interpreter
        probe_codes = ("PP301", "PP302", "PP304", "PP305")
        found = [f"{f.code} line {f.span.line}" for f in done.result() if f.code in probe_codes]
        self.log(
            f"probe of {state.path} with {interpreter.path} (chosen by {interpreter.chosen_by}) "
            f"took {time.monotonic() - started:.2f} s: {', '.join(found) or 'nothing found'}"
        )

    def probe_answered(
        self, state: DocumentState, version: int | None, findings: list[Finding], announce: bool = True
    ) -> None:
        if announce:
            self.announce_probe_result(state.uri, findings)
        _, current = self.snapshot(state.uri)
        if current != version:
            return  # the text moved on: this result belongs to a version nobody sees
        state.probe_version, state.probe_findings = version, findings
        if self.uses_pull:
            if self.supports_refresh:
                self.workspace_diagnostic_refresh(None)
        elif state.analysis is not None and state.analysis.version == version:
            self.publish(state, version, state.analysis)
        else:
            self.schedule(state.uri)

    def announce_probe_result(self, uri: str, findings: ProbeFindings) -> None:
        """The last probe's outcome for the status bar, as the probe judged it."""
        verdict = findings.verdict
        if verdict.state == "done":
            self.probe_status(uri, "done", problems=len(findings))
        elif verdict.state == "skipped":
            self.probe_status(uri, "skipped", message=verdict.summary)
        else:
            self.probe_status(uri, "failed", problems=len(findings), message=verdict.summary)

    def probe_status(self, uri: str, state: str, problems: int | None = None, message: str | None = None) -> None:
        if self.wants_probe_status:
            status = {"uri": uri, "state": state, "problems": problems, "message": message}
            self.protocol.notify(PROBE_STATUS_NOTIFICATION, {k: v for k, v in status.items() if v is not None})

    def close(self, uri: str) -> None:
        state = self.documents.pop(uri, None)
        if state is None:
            return
        state.closed = True
        if not self.uses_pull:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # --- code actions -------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        analysis = self.analyse_now(uri)
        only = params.context.only
        actions: list[types.CodeAction] = []
        if _wants(only, types.CodeActionKind.QuickFix):
            for diagnostic in params.context.diagnostics:
                finding = self.finding_for(uri, diagnostic, analysis)
                if finding is not None:
                    actions += self.quick_fixes(uri, analysis, finding, diagnostic)
        if _wants(only, FIX_ALL_KIND) and (only or any(f.fix and f.fix.is_safe for f in analysis.findings)):
            action = self.fix_all(uri, analysis)
            if action is not None:
                actions.append(action)
        return actions

    def finding_for(self, uri: str, diagnostic: types.Diagnostic, analysis: Analysis) -> Finding | None:
        """The current finding a client's diagnostic stands for (the probe's included); None for
        others' or stale ones."""
        if diagnostic.source != convert.SOURCE:
            return None
        source = analysis.result.source
        for finding in self.state(uri).findings_of(analysis):
            if finding.code == diagnostic.code and convert.to_range(source, finding.span, self.encoding) == diagnostic.range:
                return finding
        return None

    def quick_fixes(self, uri: str, analysis: Analysis, finding: Finding, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
        source = analysis.result.source
        actions = []
        if finding.fix is not None:
            actions.append(
                types.CodeAction(
                    title=f"prefect-pitfalls ({finding.code}): {finding.fix.title}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=finding.fix.is_safe,
                    edit=convert.to_workspace_edit(uri, analysis.version, source, finding.fix.edits, self.encoding),
                )
            )
        for alternative in finding.alternatives:
            actions.append(
                types.CodeAction(
                    title=f"prefect-pitfalls ({finding.code}): {alternative.title}",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=convert.to_workspace_edit(uri, analysis.version, source, alternative.edits, self.encoding),
                )
            )
        noqa = ignore_on_line(source, finding.code, finding.span.line)
        if noqa is not None:
            actions.append(
                types.CodeAction(
                    title=f"prefect-pitfalls ({finding.code}): Ignore on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=convert.to_workspace_edit(uri, analysis.version, source, [noqa], self.encoding),
                )
            )
        actions.append(self.show_documentation(finding, diagnostic))
        return actions

    def show_documentation(self, finding: Finding, diagnostic: types.Diagnostic) -> types.CodeAction:
        # A quick fix, as ESLint's "Show documentation" is: editors list it in the quick-fix menu.
        title = f"prefect-pitfalls ({finding.code}): Show documentation"
        return types.CodeAction(
            title=title,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            command=types.Command(title=title, command=EXPLAIN_COMMAND, arguments=[finding.code]),
        )

    def fix_all(self, uri: str, analysis: Analysis) -> types.CodeAction | None:
        source = analysis.result.source
        fixed = fix_text(source.text, analysis.settings, self.state(uri).path)
        edit = convert.minimal_edit(source, fixed.text.removeprefix("\ufeff"))
        if edit is None:
            return None
        return types.CodeAction(
            title="prefect-pitfalls: Fix all auto-fixable problems",
            kind=FIX_ALL_KIND,
            edit=convert.to_workspace_edit(uri, analysis.version, source, [edit], self.encoding),
        )

    # --- hover --------------------------------------------------------------------

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        """Over a rule's code in a `# noqa:` comment, the rule's documentation; over findings,
        their messages with why they matter and what to write instead."""
        uri = params.text_document.uri
        analysis = self.analyse_now(uri)
        source = analysis.result.source
        line, column = convert.from_position(source, params.position, self.encoding)
        markdown = self.hover_takes_markdown
        noqa = source.noqa.get(line)
        for code in noqa.codes or () if noqa else ():
            rule = RULES_BY_CODE.get(code.code)
            if rule is not None and code.column <= column <= code.end_column:
                text = rule.doc if markdown else as_plain_text(rule.doc)
                return self.hover_of(text, source, Span(line, code.column, line, code.end_column))
        here = [f for f in self.state(uri).findings_of(analysis) if _covers(f.span, line, column)]
        if not here:
            return None
        return self.hover_of(findings_documentation(here, markdown), source, _enclosing([f.span for f in here]))

    def hover_of(self, text: str, source: ParsedSource, span: Span) -> types.Hover:
        kind = types.MarkupKind.Markdown if self.hover_takes_markdown else types.MarkupKind.PlainText
        return types.Hover(
            contents=types.MarkupContent(kind=kind, value=text), range=convert.to_range(source, span, self.encoding)
        )

    @property
    def hover_takes_markdown(self) -> bool:
        """Markdown unless the client's preferred hover format it names is plain text."""
        text_document = self.client_capabilities.text_document
        formats = text_document and text_document.hover and text_document.hover.content_format
        known = [f for f in formats or () if f in (types.MarkupKind.Markdown, types.MarkupKind.PlainText)]
        return not known or known[0] == types.MarkupKind.Markdown

    def explain(self, code: str | None) -> str | None:
        """A rule's documentation, for the client to show. A client without a page of its own
        for it (the VS Code extension has one) also gets it as a message: editors such as
        Neovim and Emacs run a code action's command but show nothing of its result."""
        rule = RULES_BY_CODE.get(code.upper()) if code else None
        if rule is None:
            return None
        if not self.shows_documentation_pages:
            page = as_plain_text(rule_explanation(rule))
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=page))
        return rule.doc

    @property
    def shows_documentation_pages(self) -> bool:
        """Set by clients that open `prefect-pitfalls.explain`'s page themselves
        (`experimental.prefectPitfalls.documentationPages`)."""
        experimental = self.client_capabilities.experimental
        ours = experimental.get("prefectPitfalls") if isinstance(experimental, dict) else None
        return isinstance(ours, dict) and ours.get("documentationPages") is True


class _DelayedProgress:
    """Work-done progress shown only when the work takes longer than half a second."""

    DELAY = 0.5
    _tokens = itertools.count(1)

    def __init__(self, server: PitfallsServer, title: str) -> None:
        self.server, self.title = server, title
        self.token: str | None = None
        window = server.client_capabilities.window
        supported = bool(window and window.work_done_progress)
        self.timer = asyncio.get_running_loop().call_later(self.DELAY, self._begin) if supported else None

    def _begin(self) -> None:
        self.timer = None
        self.token = f"prefect-pitfalls-probe-{next(self._tokens)}"
        progress = self.server.work_done_progress
        future = progress.create(self.token)
        future.add_done_callback(
            lambda _: self.token and progress.begin(self.token, types.WorkDoneProgressBegin(title=self.title))
        )

    def finish(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        elif self.token is not None:
            token, self.token = self.token, None
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))


def _covers(span: Span, line: int, column: int) -> bool:
    """Whether a cursor at ``line``/``column`` touches ``span`` (its end included, as editors do)."""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def _enclosing(spans: list[Span]) -> Span:
    start = min((span.line, span.column) for span in spans)
    end = max((span.end_line, span.end_column) for span in spans)
    return Span(*start, *end)


def _wants(only: list[str] | None, kind: str) -> bool:
    """Whether a code action request restricted to ``only`` kinds admits ``kind``."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def create_server() -> PitfallsServer:
    server = PitfallsServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PitfallsServer, params: types.InitializeParams) -> None:
        ls.set_client_settings(params.initialization_options)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PitfallsServer, params: None) -> None:
        ls.shutdown_requested = True

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PitfallsServer, params: types.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watched = workspace and workspace.did_change_watched_files
        if watched and watched.dynamic_registration:
            await ls.register_config_watcher()
        before = (ls.default_settings, dict(ls.folder_settings))
        await ls.fetch_configuration()
        if (ls.default_settings, ls.folder_settings) != before:
            ls.settings_changed()
        ls.read_environments_ahead()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: PitfallsServer, params: types.DidChangeConfigurationParams) -> None:
        if ls.supports_configuration:
            await ls.fetch_configuration()
        elif params.settings is not None:
            ls.set_client_settings(params.settings)
        ls.settings_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(ls: PitfallsServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed:
            ls.folder_settings.pop(removed.uri, None)
        await ls.fetch_configuration()
        ls.settings_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: PitfallsServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.files_changed([change.uri for change in params.changes])

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PitfallsServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.state(uri, params.text_document.language_id)
        if not ls.uses_pull:
            ls.schedule(uri)
        if ls.client_settings_for(uri).probe.on_open:
            ls.schedule_probe(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PitfallsServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if not ls.uses_pull and ls.client_settings_for(uri).run == "onType":
            ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: PitfallsServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith("/pyproject.toml"):
            ls.forget_reported_config_errors()
            ls.settings_changed()
        else:
            if not ls.uses_pull:
                ls.schedule(uri)
            ls.schedule_probe(uri)
            if uri.endswith(".py"):
                ls.deployment_files_changed()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PitfallsServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="prefect-pitfalls", inter_file_dependencies=False, workspace_diagnostics=False),
    )
    async def pull_diagnostics(ls: PitfallsServer, params: types.DocumentDiagnosticParams):
        uri = params.text_document.uri
        state = ls.state(uri)
        client = ls.client_settings_for(uri)
        if not client.enable:
            return types.RelatedFullDocumentDiagnosticReport(items=[], result_id="disabled")
        text, version = ls.snapshot(uri)
        settings = ls.settings_for(state)
        on_save_result = client.run == "onSave" and state.analysis is not None
        if not on_save_result and not state.is_current(version, settings):
            loop = asyncio.get_running_loop()
            analysis = await loop.run_in_executor(ls.analysis_thread, state.analyse, text, version, settings)
            if state.analysis is None or (analysis.version or 0) >= (state.analysis.version or 0):
                state.analysis = analysis
                ls.ask_jedi(state, analysis)
        analysis = state.analysis
        result_id = state.result_id(analysis)
        if params.previous_result_id == result_id:
            return types.UnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics(state, analysis), result_id=result_id)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls: PitfallsServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PitfallsServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    @server.command(PROBE_COMMAND)
    async def probe_now(ls: PitfallsServer, *args: Any) -> dict:
        uris = [a for a in _flatten(args) if isinstance(a, str)]
        if not uris or uris[0] not in ls.documents:
            return {"probed": False, "reason": "open the document first"}
        state = ls.state(uris[0])
        settings = ls.settings_for(state)
        settings = replace(settings, probe=replace(settings.probe, enabled=True))
        text, version = ls.snapshot(uris[0])
        ls.probe_status(state.uri, "running")
        loop = asyncio.get_running_loop()
        findings = await loop.run_in_executor(ls.probe_thread, ls.run_probe, state, text, settings)
        ls.probe_answered(state, version, findings)
        return {"probed": True, "findings": [f.message for f in findings]}

    @server.command(EXPLAIN_COMMAND)
    def explain(ls: PitfallsServer, *args: Any) -> str | None:
        codes = [a for a in _flatten(args) if isinstance(a, str)]
        return ls.explain(codes[0] if codes else None)

    return server


def _flatten(args: Any) -> list[Any]:
    flat = []
    for arg in args:
        flat.extend(_flatten(arg) if isinstance(arg, (list, tuple)) else [arg])
    return flat


def _read_environment_quietly(python: str) -> None:
    try:
        read_environment(python)
    except Exception:  # only a warm-up: the analysis reads it again and reports what fails
        pass


def _declares_dependencies(path: Path) -> bool:
    return path.name in ("pyproject.toml", "prefect.yaml") or (
        path.name.startswith("requirements") and path.suffix == ".txt"
    )


class _AnsweredCancels(logging.Filter):
    """Drops pygls's warning about a `$/cancelRequest` for a request it no longer knows: clients
    cancel requests that were already answered all the time, as LSP allows."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Cancel notification for unknown message id")


def serve() -> int:
    # The protocol owns stdout; anything else printed goes to stderr instead of corrupting it.
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_AnsweredCancels())
    server = create_server()
    try:
        server.start_io(sys.stdin.buffer, stdout)
    finally:
        # The client may already have closed our pipes: nothing more is worth saying.
        sys.stdout = sys.stderr = open(os.devnull, "w")
    server.prober.close()
    # LSP: exit code 0 after a shutdown request, else 1. Leaving with os._exit also spares the
    # wait for an analysis or jedi thread still busy with a text nobody will see.
    os._exit(0 if server.shutdown_requested else 1)
