"""The edit that adds a code to a line's `# noqa` comment."""

from __future__ import annotations

from ..findings import Edit, Span
from ..source import ParsedSource


def ignore_on_line(source: ParsedSource, code: str, line: int) -> Edit | None:
    """Extend the line's `# noqa:` list, or append `  # noqa: CODE`; None when impossible."""
    noqa = source.noqa.get(line)
    if noqa is not None:
        if noqa.suppresses(code):
            return None
        last = noqa.codes[-1]
        return Edit(Span(line, last.end_column, line, last.end_column), f", {code}")
    text = source.line_text(line).rstrip()
    if text.endswith("\\") or line in source.lines_ending_in_strings:
        return None  # a comment there would end up inside a string or after a continuation
    end = len(text)
    return Edit(Span(line, end, line, end), f"  # noqa: {code}")
