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


def wrap_in_main_guard(source: ParsedSource, statements: ast.stmt | list[ast.stmt]) -> Edit | None:
    """Put a statement (or consecutive statements) under `if __name__ == "__main__":`, or None
    when one shares its lines with something else."""
    statements = statements if isinstance(statements, list) else [statements]
    if not all(statement_owns_its_lines(source, statement) for statement in statements):
        return None
    first, last = statements[0].lineno, statements[-1].end_lineno
    indent = source.indentation(first)
    skip = set().union(*(string_interior_lines(statement) for statement in statements))
    body = reindent(source, first, last, source.indent_unit, skip)
    new_text = f'{indent}if __name__ == "__main__":{source.line_break}{body}'
    return Edit(Span(first, 0, last, source.line_end(last)), new_text)


def insert_lines(source: ParsedSource, before_line: int, lines: list[str]) -> Edit:
    """Insert whole lines before a 1-based line (or after the last one, which may lack a break)."""
    text = "".join(line + source.line_break for line in lines)
    last = len(source.lines)
    if before_line > last:  # the text ends without a line break: start a line of our own
        end = source.line_end(last)
        return Edit(Span(last, end, last, end), source.line_break + text.removesuffix(source.line_break))
    return Edit(Span(before_line, 0, before_line, 0), text)


def insert_at_body_start(source: ParsedSource, function: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> Edit | None:
    """Insert statements (given unindented) at the start of a function body.

    They go after the docstring and after `if x is None: x = ...` guards already there,
    and before comments that introduce the first statement. None when the body shares
    the `def` line or its first line with something else.
    """
    first = function.body[0]
    if first.lineno == function.lineno or not statement_owns_its_lines(source, first):
        return None
    indent = source.indentation(first.lineno)
    leading = [s for s in _leading(function.body) if statement_owns_its_lines(source, s)]
    if leading:
        insert_before = leading[-1].end_lineno + 1
    else:
        insert_before = first.lineno
        while insert_before - 1 > function.lineno and _is_comment_line(source.line_text(insert_before - 1), indent):
            insert_before -= 1
    return insert_lines(source, insert_before, [indent + line for line in lines])


def _leading(body: list[ast.stmt]) -> list[ast.stmt]:
    """The docstring and the `if x is None: x = ...` guards that open a body."""
    leading = body[:1] if is_docstring(body[0]) else []
    for statement in body[len(leading) :]:
        if not _is_none_guard(statement):
            break
        leading.append(statement)
    return leading


def _is_none_guard(statement: ast.stmt) -> bool:
    if not (isinstance(statement, ast.If) and not statement.orelse and len(statement.body) == 1):
        return False
    test, assign = statement.test, statement.body[0]
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and isinstance(test.ops[0], ast.Is)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
        and isinstance(assign, ast.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0], ast.Name)
        and assign.targets[0].id == test.left.id
    )


def is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _is_comment_line(text: str, indent: str) -> bool:
    return text.startswith(indent) and text[len(indent) :].startswith("#")


def first_import_line(source: ParsedSource) -> int:
    """Where a plain `import` goes: after the module docstring and `__future__` imports."""
    body, line = source.tree.body, 1
    for statement in body:
        if statement is body[0] and is_docstring(statement) or isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            line = statement.end_lineno + 1
        else:
            break
    return line


def import_from(source: ParsedSource, module: str, names: tuple[str, ...] | list[str]) -> Edit | None:
    """Import names once: into an existing `from <module> import`, or a new line
    after the module docstring and `__future__` imports."""
    body = source.tree.body
    for statement in body:
        if isinstance(statement, ast.ImportFrom) and statement.module == module and not statement.level:
            present = {alias.name for alias in statement.names}
            missing = [n for n in names if n not in present]
            if not missing:
                return None
            last = statement.names[-1]
            end_line = last.end_lineno
            end_column = source.char_column(end_line, last.end_col_offset)
            return Edit(Span(end_line, end_column, end_line, end_column), "".join(f", {n}" for n in missing))
    new_import = f"from {module} import {', '.join(names)}"
    prefect_imports = [s for s in body if _imports_prefect(s)]
    if prefect_imports and statement_owns_its_lines(source, prefect_imports[-1]):
        return insert_lines(source, prefect_imports[-1].end_lineno + 1, [new_import])
    return insert_lines(source, first_import_line(source), [new_import])


def _imports_prefect(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.ImportFrom):
        return not statement.level and (statement.module or "").split(".")[0] == "prefect"
    return isinstance(statement, ast.Import) and any(a.name.split(".")[0] == "prefect" for a in statement.names)
