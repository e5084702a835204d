"""The layout rules for adding an item to a bracketed list, on their own."""

from __future__ import annotations

import ast

import pytest
from dependency_edits import apply
from prefect_pitfalls.dependencies._items import ItemList, insert_item, preferred_quote
from prefect_pitfalls.dependencies._text import TextIndex


def python_list(text: str) -> ItemList:
    node = ast.parse(text, mode="eval").body
    offset = TextIndex(text).offset  # ASCII only: ast's byte columns are code points here
    return ItemList(
        offset(node.lineno, node.col_offset),
        offset(node.end_lineno, node.end_col_offset) - 1,
        tuple((offset(e.lineno, e.col_offset), offset(e.end_lineno, e.end_col_offset)) for e in node.elts),
    )


@pytest.mark.parametrize(("text", "expected"), [
    ('["a"]', '["a", "x"]'),
    ('["a","b"]', '["a","b","x"]'),
    ('[ "a", ]', '[ "a", "x", ]'),
    ("[]", '["x"]'),
    ("[\n]", '["x"]'),
    ('[\n    "a",\n]', '[\n    "a",\n    "x",\n]'),
    ('[\n    "a"\n]', '[\n    "a",\n    "x"\n]'),
    ('[\n    "a"  # why\n]', '[\n    "a",  # why\n    "x"\n]'),
    ('[\n    "a"\n    ,]', '[\n    "a",\n    "x"\n    ,]'),
    ('["a",\n "b"]', '["a",\n "b",\n "x"]'),
    ('[\n    "a", "b",\n]', '[\n    "a", "b",\n    "x",\n]'),
    ('[\n    # later\n]', '[\n    # later\n    "x",\n]'),
])
def test_layouts(text: str, expected: str):
    result = apply(text, insert_item(TextIndex(text), python_list(text), '"x"'))
    assert result == expected
    assert ast.literal_eval(result)[-1] == "x"


def test_preferred_quote():
    assert preferred_quote(['"a"', "'b'", "'c'"]) == "'"
    assert preferred_quote(['"a"', '\'b; python_version > "3"\'']) == '"'
    assert preferred_quote(["'a'", '"b"']) == '"'
    assert preferred_quote([]) == '"'
