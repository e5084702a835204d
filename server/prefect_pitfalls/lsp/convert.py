"""Findings and fixes to LSP types, and LSP positions to the core's code points."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from ..findings import Edit, Finding, Related, Severity, Span
from ..report.json import finding_to_dict
from ..source import ParsedSource, decode_column, encode_column, unparsed

SOURCE = "prefect-pitfalls"
_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}


def to_position(source: ParsedSource, line: int, column: int, encoding: str) -> types.Position:
    """A 1-based line and code-point column as an LSP position in ``encoding``."""
    return types.Position(line=line - 1, character=encode_column(source.line_text(line), column, encoding))


def to_range(source: ParsedSource, span: Span, encoding: str) -> types.Range:
    return types.Range(
        start=to_position(source, span.line, span.column, encoding),
        end=to_position(source, span.end_line, span.end_column, encoding),
    )


def from_position(source: ParsedSource, position: types.Position, encoding: str) -> tuple[int, int]:
    """An LSP position as a 1-based line and code-point column."""
    line = position.line + 1
    return line, decode_column(source.line_text(line), position.character, encoding)


def to_diagnostic(
    finding: Finding,
    source: ParsedSource,
    encoding: str,
    version: int | None,
    docs_base_url: str | None,
    uri: str = "",
) -> types.Diagnostic:
    description = None
    if docs_base_url:
        description = types.CodeDescription(href=f"{docs_base_url.rstrip('/')}/{finding.code}")
    return types.Diagnostic(
        range=to_range(source, finding.span, encoding),
        message=finding.message,
        severity=_SEVERITIES[finding.severity],
        code=finding.code,
        code_description=description,
        source=SOURCE,
        related_information=[_related(related, source, encoding, uri) for related in finding.related] or None,
        data={"version": version, "fix": finding_to_dict(finding)["fix"]},
    )


def _related(related: Related, source: ParsedSource, encoding: str, uri: str) -> types.DiagnosticRelatedInformation:
    """A related place; one in another file is positioned in that file's text on disk."""
    if related.path is not None:
        uri = related.path.absolute().as_uri()
        source = unparsed(_text_on_disk(related.path))
    location = types.Location(uri=uri, range=to_range(source, related.span, encoding))
    return types.DiagnosticRelatedInformation(location=location, message=related.message)


def _text_on_disk(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def to_text_edit(source: ParsedSource, edit: Edit, encoding: str) -> types.TextEdit:
    return types.TextEdit(range=to_range(source, edit.span, encoding), new_text=edit.new_text)


def to_workspace_edit(
    uri: str, version: int | None, source: ParsedSource, edits: list[Edit] | tuple[Edit, ...], encoding: str
) -> types.WorkspaceEdit:
    """Edits of one document, tied to the version they were computed for; edits of other
    files (a dependency added to pyproject.toml) against their text on disk."""
    own = [edit for edit in edits if edit.path is None]
    changes = []
    if own:
        changes.append(_document_edit(uri, version, source, own, encoding))
    for path in dict.fromkeys(edit.path for edit in edits if edit.path is not None):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        theirs = [edit for edit in edits if edit.path == path]
        changes.append(_document_edit(path.as_uri(), None, unparsed(text), theirs, encoding))
    return types.WorkspaceEdit(document_changes=changes)


def _document_edit(
    uri: str, version: int | None, source: ParsedSource, edits: list[Edit], encoding: str
) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=[to_text_edit(source, edit, encoding) for edit in edits],
    )


def minimal_edit(source: ParsedSource, new_text: str) -> Edit | None:
    """One edit turning the source's text into ``new_text``, trimmed to what differs."""
    old = source.text
    if old == new_text:
        return None
    start = _common_length(old, new_text, lambda text, n: text[:n])
    limit = min(len(old), len(new_text)) - start
    tail = _common_length(old, new_text, lambda text, n: text[len(text) - n :], limit)
    return Edit(_span_of_offsets(source, start, len(old) - tail), new_text[start : len(new_text) - tail])


def _common_length(a: str, b: str, part, limit: int | None = None) -> int:
    """The longest n with part(a, n) == part(b, n), by bisection (slices compare in C)."""
    low, high = 0, min(len(a), len(b)) if limit is None else limit
    while low < high:
        middle = (low + high + 1) // 2
        if part(a, middle) == part(b, middle):
            low = middle
        else:
            high = middle - 1
    return low


def _span_of_offsets(source: ParsedSource, start: int, end: int) -> Span:
    line, column = source.line_column(start)
    end_line, end_column = source.line_column(end)
    return Span(line, column, end_line, end_column)
