"""Edit builders shared by rules: inserting lines, wrapping statements in a guard."""

from __future__ import annotations

import ast

from ..findings import Edit, Span
from ..source import ParsedSource, multiline_strings


def statement_owns_its_lines(source: ParsedSource, statement: ast.stmt) -> bool:
    """Whether a statement starts its first line and ends its last (comments aside)."""
    span = source.span(statement)
    return source.only_whitespace_before(span.line, span.column) and source.only_comment_after(
        span.end_line, span.end_column
    )


def string_interior_lines(node: ast.AST) -> set[int]:
    """Lines that begin inside a multi-line string literal of ``node``: never re-indent them."""
    return {line for start, end in multiline_strings(node) for line in range(start + 1, end + 1)}


def reindent(source: ParsedSource, first: int, last: int, prefix: str, skip: set[int]) -> str:
    """Lines ``first``..``last`` with ``prefix`` added in front of each non-blank one."""
    out = []
    for line in range(first, last + 1):
        text = source.line_text(line)
        out.append(text if line in skip or not text.strip() else prefix + text)
    return source.line_break.join(out)


def wrap_in_main_guard(source: ParsedSource, statement: ast.stmt) -> Edit | None:
    """Put a statement under `if __name__ == "__main__":`, or None when it shares its lines."""
    if not statement_owns_its_lines(source, statement):
        return None
    first, last = statement.lineno, statement.end_lineno
    indent = source.indentation(first)
    body = reindent(source, first, last, source.indent_unit, string_interior_lines(statement))
    new_text = f'{indent}if __name__ == "__main__":{source.line_break}{body}'
    return Edit(Span(first, 0, last, source.line_end(last)), new_text)


def insert_lines(source: ParsedSource, before_line: int, lines: list[str]) -> Edit:
    """Insert whole lines before a 1-based line."""
    text = "".join(line + source.line_break for line in lines)
    return Edit(Span(before_line, 0, before_line, 0), text)
