"""Applying fixes to text, and the edit builders rules share."""

from __future__ import annotations

from typing import Iterable

from ..findings import Fix


def apply_fixes(text: str, fixes: Iterable[Fix], line_offsets: list[int]) -> tuple[str, int]:
    """Apply the fixes whose edits do not overlap an earlier fix; return text and count.

    ``line_offsets`` are the code-point offsets of each line start of ``text``.
    Fixes are taken in order of their first edit; a fix that overlaps one already
    taken is skipped (run the analysis again to get it, as `check --fix` does).
    """
    new_text, applied = apply_some_fixes(text, fixes, line_offsets)
    return new_text, len(applied)


def apply_some_fixes(text: str, fixes: Iterable[Fix], line_offsets: list[int]) -> tuple[str, list[Fix]]:
    """`apply_fixes`, returning which fixes were applied."""

    def absolute(line: int, column: int) -> int:
        if line > len(line_offsets):
            return len(text)
        return min(line_offsets[line - 1] + column, len(text))

    taken: list[tuple[int, int, str]] = []
    applied: list[Fix] = []
    ordered = sorted((f for f in fixes if f.edits), key=lambda f: min(e.span for e in f.edits))
    for fix in ordered:
        edits = [(absolute(e.span.line, e.span.column), absolute(e.span.end_line, e.span.end_column), e.new_text) for e in fix.edits]
        if any(_overlaps(edit, other) for edit in edits for other in taken):
            continue
        taken.extend(edits)
        applied.append(fix)
    for start, end, new_text in sorted(taken, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new_text + text[end:]
    return text, applied


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    (a_start, a_end, _), (b_start, b_end, _) = a, b
    if a_start == a_end and b_start == b_end:
        return a_start == b_start  # two insertions at one point: their order would be arbitrary
    if a_start == a_end:
        return b_start < a_start < b_end
    if b_start == b_end:
        return a_start < b_start < a_end
    return a_start < b_end and b_start < a_end
