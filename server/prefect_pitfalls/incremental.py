"""Re-parsing only the top-level statements an edit touched.

A document is a sequence of top-level statements. After an edit, the statements
wholly before and after the changed lines keep their trees (those after it are
moved by the change in line count); the changed region, widened by one
statement on each side, is parsed on its own. When that region does not parse
by itself (an edit that opens a string or a bracket, say), the whole document is
parsed again. The result always equals a full parse of the new text.

A document in a newer Python's syntax (see `newer_syntax`) is a base like a valid one: its
note goes with the statements that parse, moved with them, until an edit touches the
construct it names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from .source import ParsedSource, ParseProblem, lines_with_breaks, parse, parse_statements


@dataclass
class _Chunk:
    """Top-level statements occupying whole lines ``start``..``end`` (1-based, inclusive)."""

    start: int
    end: int
    statements: list[ast.stmt]


class IncrementalParser:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.chunks: list[_Chunk] | None = None
        self.has_bom = False
        self.newer_syntax: ParseProblem | None = None
        self.full_parses = 0
        self.partial_parses = 0

    def parse(self, text: str) -> ParsedSource:
        """Parse a new version of the document, diffing it against the last one that parsed."""
        lines = lines_with_breaks(text.removeprefix("\ufeff"))
        if self.chunks is not None and text.startswith("\ufeff") == self.has_bom:
            source = self._reparse(text, lines)
            if source is not None:
                self.lines = lines
                self.partial_parses += 1
                return source
        source = parse(text)
        self.full_parses += 1
        if source.problem is None or source.problem.requires:
            # A broken version keeps the last good one as the base of the next diff.
            self.chunks = _chunks(source.tree.body)
            self.lines, self.has_bom = lines, source.has_bom
            self.newer_syntax = source.problem
        return source

    def _reparse(self, text: str, lines: list[str]) -> ParsedSource | None:
        old = self.lines
        prefix = 0
        limit = min(len(old), len(lines))
        while prefix < limit and old[prefix] == lines[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[-1 - suffix] == lines[-1 - suffix]:
            suffix += 1
        if prefix == len(old) == len(lines):
            return ParsedSource(text.removeprefix("\ufeff"), ast.Module(body=self._body(), type_ignores=[]), self.newer_syntax, self.has_bom)
        # Changed lines: old[prefix : len(old) - suffix] became lines[prefix : len(lines) - suffix].
        first_changed = prefix + 1
        last_changed_old = len(old) - suffix
        delta = len(lines) - len(old)
        chunks = self.chunks
        before = [c for c in chunks if c.end < first_changed]
        after = [c for c in chunks if c.start > last_changed_old]
        # Widen by one statement each side: an edit can join or split neighbours.
        if before:
            before.pop()
        if after:
            after.pop(0)
        region_start = before[-1].end + 1 if before else 1
        region_end = (after[0].start - 1 + delta) if after else len(lines)
        newer_syntax = self.newer_syntax
        if newer_syntax is not None:
            if region_start <= newer_syntax.line <= region_end - delta:
                return None  # the construct the note names was edited: look at the whole text again
            if newer_syntax.line > region_end - delta:
                newer_syntax = replace(newer_syntax, line=newer_syntax.line + delta)
        region = "".join(lines[region_start - 1 : region_end])
        statements = parse_statements(region, region_start - 1)
        if statements is None:
            return None
        if delta:
            for chunk in after:
                for statement in chunk.statements:
                    ast.increment_lineno(statement, delta)
                chunk.start += delta
                chunk.end += delta
        self.chunks = before + _chunks(statements) + after
        self.newer_syntax = newer_syntax
        body = ast.Module(body=self._body(), type_ignores=[])
        return ParsedSource(text.removeprefix("\ufeff"), body, newer_syntax, text.startswith("\ufeff"))

    def _body(self) -> list[ast.stmt]:
        return [statement for chunk in self.chunks for statement in chunk.statements]


def _chunks(statements: list[ast.stmt]) -> list[_Chunk]:
    """One chunk per line range; statements sharing a line (`a = 1; b = 2`) share a chunk."""
    chunks: list[_Chunk] = []
    for statement in statements:
        start = statement.lineno
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and statement.decorator_list:
            start = statement.decorator_list[0].lineno
        if chunks and start <= chunks[-1].end:
            chunks[-1].end = max(chunks[-1].end, statement.end_lineno)
            chunks[-1].statements.append(statement)
        else:
            chunks.append(_Chunk(start, statement.end_lineno, [statement]))
    return chunks
