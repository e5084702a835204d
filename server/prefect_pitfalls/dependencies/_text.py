"""Offsets, lines and code-point columns of a text, for files that are not Python modules.

Lines break at `\r\n`, `\r` or `\n`, as everywhere else in the project.
"""

from __future__ import annotations

import bisect
import re
from functools import cached_property
from typing import Sequence

from ..findings import Span

from ..project.reads import note

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class TextIndex:
    """Converts between absolute code-point offsets and (1-based line, column) positions."""

    def __init__(self, text: str) -> None:
        self.text = text

    @classmethod
    def from_lines(cls, lines: Sequence[str], line_break: str = "\n") -> TextIndex:
        index = cls("\n".join(lines))
        index.__dict__["line_break"] = line_break
        return index

    @cached_property
    def line_offsets(self) -> list[int]:
        return [0, *(match.end() for match in _LINE_BREAK.finditer(self.text))]

    @cached_property
    def line_break(self) -> str:
        match = _LINE_BREAK.search(self.text)
        return match.group() if match else "\n"

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_offsets, offset)
        return line, offset - self.line_offsets[line - 1]

    def offset(self, line: int, column: int) -> int:
        if line > len(self.line_offsets):
            return len(self.text)
        return min(self.line_offsets[line - 1] + column, len(self.text))

    def span(self, start: int, end: int) -> Span:
        return Span(*self.position(start), *self.position(end))

    def line_start(self, offset: int) -> int:
        return self.line_offsets[self.position(offset)[0] - 1]

    def line_end(self, offset: int) -> int:
        """The offset of the end of the line holding ``offset``, before its line break."""
        match = _LINE_BREAK.search(self.text, offset)
        return match.start() if match else len(self.text)

    def line_of(self, offset: int) -> int:
        return self.position(offset)[0]

    def starts_line(self, offset: int) -> bool:
        """Whether only whitespace precedes ``offset`` on its line."""
        return not self.text[self.line_start(offset) : offset].strip()

    def indentation(self, offset: int) -> str:
        line = self.text[self.line_start(offset) : self.line_end(offset)]
        return line[: len(line) - len(line.lstrip(" \t"))]


def char_column(line_text: str, byte_column: int) -> int:
    """Convert an `ast` column (UTF-8 bytes) to code points."""
    if line_text.isascii():
        return byte_column
    return len(line_text.encode("utf-8", "surrogatepass")[:byte_column].decode("utf-8", "replace"))


def read_text(path) -> str | None:
    """A file's text as it is (line breaks untranslated, a UTF-8 byte-order mark dropped), or None."""
    note((path,))
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError, ValueError):
        return None
