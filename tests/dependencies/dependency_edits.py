"""Applying an `Edit` to a text, for the tests of the dependency declarations."""

from __future__ import annotations

from prefect_pitfalls.dependencies._text import TextIndex
from prefect_pitfalls.findings import Edit


def apply(text: str, edit: Edit) -> str:
    index = TextIndex(text)
    start = index.offset(edit.span.line, edit.span.column)
    end = index.offset(edit.span.end_line, edit.span.end_column)
    return text[:start] + edit.new_text + text[end:]
