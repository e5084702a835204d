"""Lines, columns, `# noqa` comments and recovery from syntax errors."""

from __future__ import annotations

import ast

import pytest

from prefect_pitfalls.findings import Span
from prefect_pitfalls.source import parse


def test_columns_are_code_points_after_non_ascii_text() -> None:
    source = parse("x = '日本😀'; y = 1\n")
    target = source.tree.body[1].targets[0]
    assert target.col_offset == 18  # UTF-8 bytes
    span = source.span(target)
    assert span == Span(1, 11, 1, 12)
    assert source.segment(span) == "y"


def test_line_breaks_of_every_kind() -> None:
    source = parse("a = 1\r\nb = 2\rc = 3\n\x0cd = 4  # \u2028 \x1c\ne = 5\n")
    assert source.problem is None
    assert [n.lineno for n in source.tree.body] == [1, 2, 3, 4, 5]
    assert source.line_text(4) == "\x0cd = 4  # \u2028 \x1c"
    assert source.line_break == "\r\n"
    assert source.segment(source.span(source.tree.body[2])) == "c = 3"


def test_byte_order_mark_is_not_part_of_the_text() -> None:
    source = parse("\ufeffx = 1\n")
    assert source.has_bom and source.text == "x = 1\n"
    assert source.span(source.tree.body[0]) == Span(1, 0, 1, 5)


@pytest.mark.parametrize(
    ("comment", "codes"),
    [
        ("# noqa", None),
        ("#noqa", None),
        ("# NOQA", None),
        ("# noqa: PP101", ("PP101",)),
        ("# noqa:PP101,PP102", ("PP101", "PP102")),
        ("# noqa: pp101 , PP102", ("PP101", "PP102")),
        ("# noqa: PP101 PP102", ("PP101", "PP102")),
        ("# noqa: PP101 - the counter is reset by the caller", ("PP101",)),
        ("# type: ignore  # noqa: PP102", ("PP102",)),
        ("# noqa: E501, PP303 # another comment", ("E501", "PP303")),
    ],
)
def test_noqa_forms(comment: str, codes: tuple[str, ...] | None) -> None:
    source = parse(f"x = 1  {comment}\n")
    noqa = source.noqa[1]
    assert (None if noqa.codes is None else tuple(c.code for c in noqa.codes)) == codes
    if codes:
        first = noqa.codes[0]
        assert source.line_text(1)[first.column : first.end_column].upper() == codes[0]


@pytest.mark.parametrize("text", ["x = '# noqa'\n", "x = 1  # noqalike\n", "x = 1  # see noqa docs\n"])
def test_not_noqa(text: str) -> None:
    assert parse(text).noqa == {}


def test_noqa_suppression() -> None:
    source = parse("a = 1  # noqa: PP101\nb = 2  # noqa\nc = 3\n")
    assert source.is_suppressed("PP101", 1) and not source.is_suppressed("PP102", 1)
    assert source.is_suppressed("PP303", 2) and not source.is_suppressed("PP101", 3)


def test_syntax_error_keeps_the_statements_that_parse() -> None:
    source = parse("import prefect\n\ndef broken(:\n    pass\n\n@prefect.task\ndef fine():\n    return 1\n")
    assert source.problem is not None and (source.problem.line, source.problem.column) == (3, 11)
    assert [type(n).__name__ for n in source.tree.body] == ["Import", "FunctionDef"]
    assert source.tree.body[1].lineno == 7 and source.tree.body[1].decorator_list[0].lineno == 6


def test_null_bytes_are_a_problem_with_a_position() -> None:
    source = parse("x = 1\ny = 2\x00\n")
    assert source.problem.message == "null byte in source"
    assert (source.problem.line, source.problem.column) == (2, 5)
    assert [ast.unparse(n) for n in source.tree.body] == ["x = 1"]


def test_indent_unit() -> None:
    assert parse("def f():\n  return 1\n").indent_unit == "  "
    assert parse("def f():\n\treturn 1\n").indent_unit == "\t"
    assert parse("x = 1\n").indent_unit == "    "
