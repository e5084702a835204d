"""Where things are in a TOML file: arrays and table entries with their offsets.

`tomllib` gives values but no positions; this scanner walks the same text and
records, for every key path, where its array value's brackets and items are,
and where each table's last entry ends. It understands strings of all four
kinds, comments, dotted keys, inline tables and nested arrays; it never
decides what a value means.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from ._items import ItemList

_BARE = re.compile(r"[A-Za-z0-9_\-+:]+")
_PUNCTUATION = "[]{}=,."
_MAX_DEPTH = 64

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Token:
    kind: str
    """"string", "bare", "punct", "newline", "comment" or "other"."""
    start: int
    end: int
    text: str


@dataclass
class TomlTable:
    header_end: int
    entries: list[tuple[KeyPath, int, int]] = field(default_factory=list)
    """(key path relative to the table, start of the key, end of the value)."""


@dataclass
class TomlLayout:
    arrays: dict[KeyPath, ItemList] = field(default_factory=dict)
    tables: dict[KeyPath, TomlTable] = field(default_factory=dict)


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char in " \t":
            position += 1
            continue
        if char in "\r\n":
            end = position + (2 if text.startswith("\r\n", position) else 1)
            kind, position_end = "newline", end
        elif char == "#":
            kind, position_end = "comment", _line_end(text, position)
        elif char in "\"'":
            kind, position_end = "string", _string_end(text, position)
        elif char in _PUNCTUATION:
            kind, position_end = "punct", position + 1
        else:
            match = _BARE.match(text, position)
            kind, position_end = ("bare", match.end()) if match else ("other", position + 1)
        found.append(Token(kind, position, position_end, text[position:position_end]))
        position = position_end
    return found


def _line_end(text: str, position: int) -> int:
    ends = [index for index in (text.find("\n", position), text.find("\r", position)) if index >= 0]
    return min(ends) if ends else len(text)


def _string_end(text: str, start: int) -> int:
    quote = text[start]
    if text.startswith(quote * 3, start):
        return _multiline_string_end(text, start, quote)
    position = start + 1
    while position < len(text) and text[position] not in (quote, "\n", "\r"):
        position += 2 if quote == '"' and text[position] == "\\" else 1
    return min(position + 1, len(text))


def _multiline_string_end(text: str, start: int, quote: str) -> int:
    position = start + 3
    while position < len(text):
        if quote == '"' and text[position] == "\\":
            position += 2
            continue
        if text.startswith(quote * 3, position):
            end = position + 3
            while end < len(text) and text[end] == quote and end - position < 5:
                end += 1
            return end
        position += 1
    return len(text)


def scan(text: str) -> TomlLayout:
    """The layout of a TOML document (best effort on invalid input: what was scanned so far)."""
    scanner = _Scanner([t for t in tokens(text) if t.kind != "comment"])
    try:
        scanner.document()
    except (IndexError, _Unexpected, RecursionError):
        pass
    return scanner.layout


class _Unexpected(Exception):
    pass


class _Scanner:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self.layout = TomlLayout()
        self.table: KeyPath = ()
        self.layout.tables[()] = TomlTable(0)

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def next(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token is not None and token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str | None = None) -> Token:
        if not self.at(kind, text):
            raise _Unexpected
        return self.next()

    def document(self) -> None:
        while self.peek() is not None:
            if self.at("newline"):
                self.next()
            elif self.at("punct", "["):
                self.header()
            else:
                self.entry(self.table, self.layout.tables.get(self.table))

    def header(self) -> None:
        self.next()
        double = self.at("punct", "[")
        if double:
            self.next()
        path = self.key()
        end = self.expect("punct", "]").end
        if double:
            end = self.expect("punct", "]").end
        self.table = path
        self.layout.tables.setdefault(path, TomlTable(end))

    def key(self) -> KeyPath:
        parts = [self.key_part()]
        while self.at("punct", "."):
            self.next()
            parts.append(self.key_part())
        return tuple(parts)

    def key_part(self) -> str:
        token = self.next()
        if token.kind == "bare":
            return token.text
        if token.kind == "string":
            return _decode_string(token.text)
        raise _Unexpected

    def entry(self, table: KeyPath, record: TomlTable | None, depth: int = 0) -> None:
        start = self.peek().start
        key = self.key()
        self.expect("punct", "=")
        end = self.value((*table, *key), depth)
        if record is not None:
            record.entries.append((key, start, end))

    def value(self, path: KeyPath | None, depth: int) -> int:
        """Scan a value, recording arrays under ``path``; return the offset of its end."""
        if depth > _MAX_DEPTH:
            raise _Unexpected
        if self.at("punct", "["):
            return self.array(path, depth)
        if self.at("punct", "{"):
            return self.inline_table(path, depth)
        end = self.expect_value_token().end
        while self.at("bare") or self.at("other") or self.at("punct", "."):
            end = self.next().end
        return end

    def expect_value_token(self) -> Token:
        token = self.next()
        if token.kind in ("newline", "punct"):
            raise _Unexpected
        return token

    def array(self, path: KeyPath | None, depth: int) -> int:
        open_token = self.next()
        items: list[tuple[int, int]] = []
        while True:
            self.skip_newlines()
            if self.at("punct", "]"):
                close = self.next()
                break
            first = self.peek()
            end = self.value(None, depth + 1)
            items.append((first.start, end))
            self.skip_newlines()
            if self.at("punct", ","):
                self.next()
            elif not self.at("punct", "]"):
                raise _Unexpected
        if path is not None:
            self.layout.arrays[path] = ItemList(open_token.start, close.start, tuple(items))
        return close.end

    def inline_table(self, path: KeyPath | None, depth: int) -> int:
        self.next()
        while True:
            self.skip_newlines()
            if self.at("punct", "}"):
                return self.next().end
            if path is None:
                self.key()
                self.expect("punct", "=")
                self.value(None, depth + 1)
            else:
                self.entry(path, None, depth + 1)
            self.skip_newlines()
            if self.at("punct", ","):
                self.next()

    def skip_newlines(self) -> None:
        while self.at("newline"):
            self.next()


def _decode_string(raw: str) -> str:
    try:
        return tomllib.loads(f"k = {raw}")["k"]
    except tomllib.TOMLDecodeError:
        return raw.strip("\"'")
