"""Adding one item to a bracketed, comma-separated list in source text, in its own style.

Serves TOML arrays, Python list literals and call arguments alike: the caller
finds the brackets and items, this module decides where the new item goes and
how it is laid out (one item per line or inline, trailing comma or not).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Edit
from ._text import TextIndex

DEFAULT_INDENT = "    "


@dataclass(frozen=True)
class ItemList:
    """Absolute code-point offsets: the opening and closing bracket, and each item's extent."""

    open: int
    close: int
    items: tuple[tuple[int, int], ...]


def insert_item(index: TextIndex, items: ItemList, new_item: str) -> Edit:
    if not items.items:
        return _insert_into_empty(index, items, new_item)
    last_start, last_end = items.items[-1]
    if index.line_of(items.open) == index.line_of(items.close):
        return _insert(index, last_end, _separator(index, items) + new_item)
    if index.line_of(last_end) < index.line_of(items.close):
        return _insert_on_own_line(index, items, new_item)
    # Multi-line, the closing bracket right after the last item: continue on a new line.
    text = "," + index.line_break + _item_indent(index, items, last_start) + new_item
    return _insert(index, last_end, text)


def _insert(index: TextIndex, offset: int, text: str) -> Edit:
    return Edit(index.span(offset, offset), text)


def _insert_into_empty(index: TextIndex, items: ItemList, new_item: str) -> Edit:
    inside = index.text[items.open + 1 : items.close]
    if not inside.strip():
        return Edit(index.span(items.open + 1, items.close), new_item)
    # Only comments inside: a line of its own before the closing bracket, or right after the opening one.
    if index.starts_line(items.close):
        start = index.line_start(items.close)
        indent = _first_content_indent(index, items) or index.indentation(items.open) + DEFAULT_INDENT
        return _insert(index, start, indent + new_item + "," + index.line_break)
    return _insert(index, items.open + 1, new_item + ",")


def _first_content_indent(index: TextIndex, items: ItemList) -> str | None:
    """The indentation of the first non-blank line strictly between the brackets' lines."""
    for line in range(index.line_of(items.open) + 1, index.line_of(items.close)):
        start = index.offset(line, 0)
        if index.text[start : index.line_end(start)].strip():
            return index.indentation(start)
    return None


def _insert_on_own_line(index: TextIndex, items: ItemList, new_item: str) -> Edit:
    last_start, last_end = items.items[-1]
    indent = _item_indent(index, items, last_start)
    comma = _trailing_comma(index, last_end, items.close)
    if comma is not None and index.line_of(comma) == index.line_of(items.close):
        return _insert(index, last_end, "," + index.line_break + indent + new_item)
    if comma is not None:
        end = index.line_end(comma)
        return _insert(index, end, index.line_break + indent + new_item + ",")
    end = index.line_end(last_end)
    rest = index.text[last_end:end]
    return Edit(index.span(last_end, end), "," + rest + index.line_break + indent + new_item)


def _item_indent(index: TextIndex, items: ItemList, last_start: int) -> str:
    """The indentation of the last item's line, or alignment with the items on it."""
    if index.starts_line(last_start):
        return index.indentation(last_start)
    line_start = index.line_start(last_start)
    first_on_line = next(start for start, _ in items.items if start >= line_start)
    prefix = index.text[line_start:first_on_line]
    return "".join(char if char == "\t" else " " for char in prefix)


def _separator(index: TextIndex, items: ItemList) -> str:
    if len(items.items) >= 2:
        between = index.text[items.items[-2][1] : items.items[-1][0]]
        if between.strip() == "," and "\n" not in between and "\r" not in between:
            return between
    return ", "


def _trailing_comma(index: TextIndex, after: int, close: int) -> int | None:
    """The offset of a comma between the last item and the closing bracket, comments skipped."""
    offset = after
    while offset < close:
        char = index.text[offset]
        if char == ",":
            return offset
        if char == "#":
            offset = index.line_end(offset)
            continue
        offset += 1
    return None


def preferred_quote(strings: list[str]) -> str:
    """The quote most string items use (their source text, quotes included), `"` by default.

    Items quoted one way because they contain the other quote (`'x; python_version > "3"'`)
    do not vote; on a tie the last item decides.
    """
    votes: dict[str, int] = {}
    last = '"'
    for text in strings:
        quote = text[:1]
        if quote not in ("'", '"') or _other(quote) in text:
            continue
        votes[quote] = votes.get(quote, 0) + 1
        last = quote
    if not votes or votes.get('"', 0) == votes.get("'", 0):
        return last
    return max(votes, key=votes.__getitem__)


def _other(quote: str) -> str:
    return "'" if quote == '"' else '"'
