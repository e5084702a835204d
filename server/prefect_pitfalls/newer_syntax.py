"""Syntax of a newer Python than the one running: which construct, and a tree all the same.

`ast` parses only the grammar of the interpreter it runs in. When a file does not parse,
its constructs of newer grammars are looked for: PEP 701 f-strings (3.12), `type`
statements and type parameters (PEP 695, 3.12), type parameter defaults (PEP 696, 3.13),
t-strings (PEP 750, 3.14) and `except A, B:` (PEP 758, 3.14). Each is checked against the
newer grammar and rewritten into text the running parser accepts, keeping the line breaks
and the UTF-8 columns `ast` reports: f- and t-strings become blank string literals, type
parameters blanks, a `type` statement a lambda over its value, `except A, B:` an
`except A:`. When the rewritten text parses, the file is valid newer Python and its tree
(with the positions of the original) can be checked; when it does not, the file has a real
syntax error, at the position the rewritten text's error names.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, replace

Version = tuple[int, int]
RUNNING: Version = sys.version_info[:2]

F_STRING = ((3, 12), "PEP 701 f-string")
TYPE_STATEMENT = ((3, 12), "PEP 695 type statement")
GENERIC_FUNCTION = ((3, 12), "PEP 695 generic function")
GENERIC_CLASS = ((3, 12), "PEP 695 generic class")
TYPE_PARAMETER_DEFAULT = ((3, 13), "PEP 696 type parameter default")
T_STRING = ((3, 14), "PEP 750 t-string")
EXCEPT_WITHOUT_PARENTHESES = ((3, 14), "PEP 758 except without parentheses")

_STRING_PREFIXES = frozenset("r u b br rb f fr rf t tr rt".split())
_QUOTE_OR_COMMENT = re.compile(r"""#|['"]""")
_LINE_END = re.compile(r"[\r\n]|$")
_PLAIN_STRING_END = {
    "'": re.compile(r"[^'\\\r\n]*(?:\\(?:\r\n|[\s\S])[^'\\\r\n]*)*'"),
    '"': re.compile(r'[^"\\\r\n]*(?:\\(?:\r\n|[\s\S])[^"\\\r\n]*)*"'),
    "'''": re.compile(r"[^'\\]*(?:(?:\\[\s\S]|'(?!''))[^'\\]*)*'''"),
    '"""': re.compile(r'[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""'),
}
_CONVERSION = re.compile(r"![rsa][ \t]*(?=[:}])")
# The `=` of a self-documenting `{x = }`, with what may follow it before the field goes on.
_DEBUG_EQUALS = re.compile(r"(?<![=!<>])=[ \t]*(?:#[^\r\n]*)?\s*$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_WITH_BREAK = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Where a statement construct may be; tokenizing (slow in pure Python) only when one matches.
_STATEMENT_HINT = re.compile(
    r"\btype[ \t]+[^\W\d]\w*[ \t]*[=\[]|\b(?:def|class)[ \t]+[^\W\d]\w*[ \t]*\[|\bexcept\b[^:\r\n]*,"
)
_COMPOUND_KEYWORDS = frozenset("if elif else while for try except finally with def class async match case".split())


@dataclass(frozen=True)
class Construct:
    """One use of newer syntax: ``text[start:end]`` is read as ``replacement``."""

    version: Version
    what: str
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Downgrade:
    """The constructs newer than the running grammar, and the rewritten text's tree or error."""

    constructs: list[Construct]
    tree: ast.Module | None
    error: SyntaxError | None

    @property
    def newest(self) -> Construct:
        """The construct needing the newest Python (the first of those, by position)."""
        return min(self.constructs, key=lambda c: (-c.version[0], -c.version[1], c.start))


class _Unscannable(Exception):
    """The text is not valid under the newer grammar either."""


def downgrade(text: str, running: Version = RUNNING) -> Downgrade | None:
    """The newer constructs of a text that ``running``'s parser rejects; None when there are
    none, or the text is invalid in a way no newer grammar explains."""
    try:
        strings = _Strings(text, running).constructs()
        # The same strings blanked character for character, for offsets into ``text``.
        tokenizable = _rewrite(text, [replace(c, replacement=_blank_string(text[c.start : c.end], len)) for c in strings])
        statements = _statement_constructs(text, tokenizable, running)
    except (_Unscannable, tokenize.TokenError, SyntaxError, RecursionError):
        return None
    constructs = strings + statements
    if not constructs:
        return None
    # A statement construct blanks the strings inside it (a `type` statement's head) too.
    outside = [c for c in strings if not any(s.start <= c.start < s.end for s in statements)]
    try:
        tree = ast.parse(_rewrite(text, outside + statements))
    except SyntaxError as error:
        return Downgrade(constructs, None, error)
    except (ValueError, RecursionError, MemoryError):
        return None
    return Downgrade(constructs, tree, None)


def describe(construct: Construct, running: Version = RUNNING) -> str:
    """What the user reads: the syntax, its Python, and the Python that runs this program."""
    needed, here = ".".join(map(str, construct.version)), ".".join(map(str, running))
    return f"uses Python {needed} syntax ({construct.what}); prefect-pitfalls runs on Python {here}"


def _rewrite(text: str, constructs: list[Construct]) -> str:
    pieces, position = [], 0
    for construct in sorted(constructs, key=lambda c: c.start):
        pieces += [text[position : construct.start], construct.replacement]
        position = construct.end
    pieces.append(text[position:])
    return "".join(pieces)


def _is_expression(text: str) -> bool:
    if not text.strip():
        return False
    try:
        ast.parse(f"({text}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# Replacements keep the line breaks and, on the last line, the UTF-8 length (`ast` counts
# columns in bytes), so every position after a construct stays where it was.


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _blank_string(segment: str, length: Callable[[str], int] = _utf8_length) -> str:
    """A string literal (or, with no room for triple quotes, a number in parentheses) in place
    of an f- or t-string, as long as it by ``length``."""
    lines = _LINE_WITH_BREAK.findall(segment)
    if len(lines) == 1:
        return '"' + " " * (length(segment) - 2) + '"'
    breaks = "".join(_LINE_BREAK.search(line).group() for line in lines[:-1])
    last = length(lines[-1])
    if last >= 3:
        return '"""' + breaks + " " * (last - 3) + '"""'
    return "(" + breaks + " " * (last - 2) + "0)"


def _blank_code(segment: str, head: str = "") -> str:
    """Spaces in place of code, starting with ``head``; each line break is kept behind a
    backslash so that the logical line goes on."""
    lines = _LINE_WITH_BREAK.findall(segment)
    blanked = []
    for line in lines:
        text = _LINE_BREAK.sub("", line)
        if text == line:
            blanked.append(" " * _utf8_length(text))
        elif not text:
            raise _Unscannable  # a blank line: no room for the backslash
        else:
            blanked.append(" " * (_utf8_length(text) - 1) + "\\" + line[len(text) :])
    result = "".join(blanked)
    if len(head) > len(_LINE_BREAK.split(result)[0].rstrip("\\")):
        raise _Unscannable
    return head + result[len(head) :]


# --- strings ----------------------------------------------------------------------------


class _Strings:
    """f- and t-strings the running grammar cannot read, scanned by PEP 701's rules."""

    def __init__(self, text: str, running: Version) -> None:
        self.text, self.running = text, running

    def constructs(self) -> list[Construct]:
        found, position = [], 0
        while match := _QUOTE_OR_COMMENT.search(self.text, position):
            if match.group() == "#":
                position = _LINE_END.search(self.text, match.start()).start()
                continue
            start, prefix = self.prefix(match.start())
            end, needs = self.string(match.start(), prefix)
            construct = self.construct(start, end, prefix, needs)
            if construct is not None:
                found.append(construct)
            position = end
        return found

    def prefix(self, quote: int) -> tuple[int, str]:
        """Where the string starting with the quote at ``quote`` starts, and its prefix."""
        start = quote
        while start > 0 and start > quote - 3 and (self.text[start - 1].isalnum() or self.text[start - 1] == "_"):
            start -= 1
        word = self.text[start:quote]
        before = self.text[start - 1] if start > 0 else ""
        if word.lower() in _STRING_PREFIXES and not (before.isalnum() or before == "_"):
            return start, word.lower()
        return quote, ""

    def construct(self, start: int, end: int, prefix: str, needs: tuple[Version, str] | None) -> Construct | None:
        if "t" in prefix:
            needs = max(needs or T_STRING, T_STRING)
        elif "f" in prefix and self.running < F_STRING[0] and not _is_expression(self.text[start:end]):
            needs = max(needs or F_STRING, F_STRING)
        if needs is None or needs[0] <= self.running:
            return None
        return Construct(needs[0], needs[1], start, end, _blank_string(self.text[start:end]))

    def string(self, quote_at: int, prefix: str) -> tuple[int, tuple[Version, str] | None]:
        """The end of a string literal, and the newest syntax nested in it (t-strings)."""
        quote = self.text[quote_at] * 3 if self.text.startswith(self.text[quote_at] * 3, quote_at) else self.text[quote_at]
        body = quote_at + len(quote)
        if "f" in prefix or "t" in prefix:
            return self.template(body, quote, raw="r" in prefix)
        match = _PLAIN_STRING_END[quote].match(self.text, body)
        if match is None:
            raise _Unscannable
        return match.end(), None

    def template(self, position: int, quote: str, raw: bool) -> tuple[int, tuple[Version, str] | None]:
        text, needs = self.text, None
        while position < len(text):
            char = text[position]
            if text.startswith(quote, position):
                return position + len(quote), needs
            if char == "\\":
                if not raw and text.startswith("N{", position + 1):
                    position = text.find("}", position) + 1 or len(text)
                elif text.startswith("\r\n", position + 1):
                    position += 3
                else:
                    # `\{` escapes nothing: the brace still opens a field.
                    position += 1 if text[position + 1 : position + 2] in ("{", "}") else 2
                continue
            if char in "\r\n" and len(quote) == 1:
                raise _Unscannable
            if text.startswith("{{", position) or text.startswith("}}", position):
                position += 2
                continue
            if char == "}":
                raise _Unscannable
            if char == "{":
                position, nested = self.field(position + 1, quote)
                needs = _newest(needs, nested)
                continue
            position += 1
        raise _Unscannable

    def field(self, position: int, quote: str) -> tuple[int, tuple[Version, str] | None]:
        """A replacement field from after its `{` to after its `}`."""
        start = position
        position, needs, nested = self.expression(position)
        expression = _rewrite(self.text[start:position], [_shifted(c, -start) for c in nested])
        if not (_is_expression(expression) or _is_expression(_DEBUG_EQUALS.sub("", expression))):
            raise _Unscannable
        text = self.text
        conversion = _CONVERSION.match(text, position)
        if conversion:
            position = conversion.end()
        if text.startswith(":", position):
            position, spec_needs = self.format_spec(position + 1, quote)
            needs = _newest(needs, spec_needs)
        if text.startswith("}", position):
            return position + 1, needs
        raise _Unscannable

    def expression(self, position: int) -> tuple[int, tuple[Version, str] | None, list[Construct]]:
        """A field's expression: where it stops, what it needs, and its nested f-/t-strings
        (blanked for checking the expression alone)."""
        text, depth, needs, nested = self.text, 0, None, []
        while position < len(text):
            char = text[position]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                if depth == 0:
                    if char == "}":
                        return position, needs, nested
                    raise _Unscannable
                depth -= 1
            elif depth == 0 and (char == ":" or char == "!" and text[position + 1 : position + 2] != "="):
                return position, needs, nested
            elif char == "#":
                position = _LINE_END.search(text, position).start()
                continue
            elif char in "'\"":
                start, prefix = self.prefix(position)
                end, inner = self.string(position, prefix)
                if "f" in prefix or "t" in prefix:
                    nested.append(Construct((0, 0), "", start, end, _blank_string(text[start:end])))
                    needs = _newest(needs, T_STRING if "t" in prefix else None, inner)
                position = end
                continue
            position += 1
        raise _Unscannable

    def format_spec(self, position: int, quote: str) -> tuple[int, tuple[Version, str] | None]:
        text, needs = self.text, None
        while position < len(text):
            char = text[position]
            if text.startswith(quote, position) or (char in "\r\n" and len(quote) == 1):
                raise _Unscannable
            if char == "}":
                return position, needs
            if char == "{":
                position, nested = self.field(position + 1, quote)
                needs = _newest(needs, nested)
                continue
            position += 2 if char == "\\" else 1
        raise _Unscannable


def _newest(*needs: tuple[Version, str] | None) -> tuple[Version, str] | None:
    present = [n for n in needs if n is not None]
    return max(present) if present else None


def _shifted(construct: Construct, by: int) -> Construct:
    return replace(construct, start=construct.start + by, end=construct.end + by)


# --- statements ---------------------------------------------------------------------------


def _statement_constructs(text: str, tokenizable: str, running: Version) -> list[Construct]:
    """`type` statements, type parameters and `except A, B:` of a text, read in the same text
    with the strings the running tokenizer cannot read blanked."""
    if running >= EXCEPT_WITHOUT_PARENTHESES[0] or not _STATEMENT_HINT.search(tokenizable):
        return []
    tokens = _Tokens(text, tokenizable)
    found = []
    for index in tokens.statement_starts():
        construct = tokens.type_statement(index) or tokens.generic(index) or tokens.bare_except(index)
        if construct is not None and construct.version > running:
            found.append(construct)
    return found


class _Tokens:
    def __init__(self, text: str, tokenizable: str) -> None:
        skipped = (tokenize.NL, tokenize.COMMENT)
        self.text, self.tokenizable = text, tokenizable
        # Lines as Python counts them (`\r` too); a token's column is the same in either text.
        readable = _LINE_BREAK.sub("\n", tokenizable)
        self.tokens = [t for t in tokenize.generate_tokens(io.StringIO(readable).readline) if t.type not in skipped]
        self.line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]

    def offset(self, position: tuple[int, int]) -> int:
        return self.line_starts[position[0] - 1] + position[1]

    def start(self, index: int) -> int:
        return self.offset(self.tokens[index].start)

    def end(self, index: int) -> int:
        return self.offset(self.tokens[index].end)

    def segment(self, first: int, last: int) -> str:
        """The tokens' text, for checking it (with strings the running parser reads)."""
        return self.tokenizable[self.start(first) : self.end(last)]

    def is_op(self, index: int, *strings: str) -> bool:
        return index < len(self.tokens) and self.tokens[index].type == tokenize.OP and self.tokens[index].string in strings

    def is_name(self, index: int, *strings: str) -> bool:
        token = self.tokens[index] if index < len(self.tokens) else None
        return token is not None and token.type == tokenize.NAME and (not strings or token.string in strings)

    def statement_starts(self) -> list[int]:
        """Indexes of the tokens that start a statement (after a newline, `;`, or the colon
        of a compound statement's header)."""
        starts, at_start, head, depth = [], True, None, 0
        boundaries = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
        for index, token in enumerate(self.tokens):
            if token.type in boundaries:
                at_start, head, depth = True, None, 0
                continue
            if at_start:
                starts.append(index)
            at_start = False
            head = head or token.string
            if token.type != tokenize.OP:
                continue
            if token.string in "([{":
                depth += 1
            elif token.string in ")]}":
                depth -= 1
            elif depth == 0 and (token.string == ";" or token.string == ":" and head in _COMPOUND_KEYWORDS):
                at_start, head = True, None
        return starts

    def closing(self, index: int) -> int:
        """The index of the bracket closing the one at ``index``."""
        depth = 0
        for position in range(index, len(self.tokens)):
            if self.is_op(position, "(", "[", "{"):
                depth += 1
            elif self.is_op(position, ")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return position
        raise _Unscannable

    def type_parameters(self, opening: int, closing: int) -> tuple[Version, str] | None:
        """Whether the tokens between the brackets are type parameters; PEP 696 when one has a
        default."""
        parts, depth, part = [], 0, []
        for index in range(opening + 1, closing):
            if self.is_op(index, "(", "[", "{"):
                depth += 1
            elif self.is_op(index, ")", "]", "}"):
                depth -= 1
            if depth == 0 and self.is_op(index, ","):
                parts.append(part)
                part = []
            else:
                part.append(index)
        if part:
            parts.append(part)
        if not parts or any(not p for p in parts):
            raise _Unscannable
        defaults = [self.type_parameter(part) for part in parts]
        return TYPE_PARAMETER_DEFAULT if any(defaults) else None

    def type_parameter(self, part: list[int]) -> bool:
        """Check one `T`, `T: bound`, `*Ts`, `**P`, each with an optional `= default`; whether
        it has a default."""
        index = part[0] + (1 if self.is_op(part[0], "*", "**") else 0)
        if not self.is_name(index):
            raise _Unscannable
        rest = [i for i in part if i > index]
        depth, equals = 0, None
        for i in rest:
            depth += self.is_op(i, "(", "[", "{") - self.is_op(i, ")", "]", "}")
            if depth == 0 and self.is_op(i, "=") and equals is None:
                equals = i
        bound = [i for i in rest if equals is None or i < equals]
        default = [i for i in rest if equals is not None and i > equals]
        if bound and not (self.is_op(bound[0], ":") and len(bound) > 1 and _is_expression(self.segment(bound[1], bound[-1]))):
            raise _Unscannable
        if equals is not None:
            value = self.segment(default[0], default[-1]) if default else ""
            if not (_is_expression(value) or _is_expression(f"{value},")):
                raise _Unscannable
        return equals is not None

    def type_statement(self, index: int) -> Construct | None:
        """`type X[T] = value`, read as `lambda: value` (the value is evaluated lazily)."""
        if not (self.is_name(index, "type") and self.is_name(index + 1) and self.is_op(index + 2, "=", "[")):
            return None
        needs, equals = TYPE_STATEMENT, index + 2
        if self.is_op(equals, "["):
            closing = self.closing(equals)
            needs = self.type_parameters(equals, closing) or needs
            equals = closing + 1
        if not self.is_op(equals, "="):
            raise _Unscannable
        start, end = self.start(index), self.end(equals)
        replacement = _blank_code(self.text[start:end], head="lambda:")
        return Construct(needs[0], needs[1], start, end, replacement)

    def generic(self, index: int) -> Construct | None:
        """`def f[T](...)` or `class C[T]...`, read without the brackets."""
        if self.is_name(index, "async") and self.is_name(index + 1, "def"):
            index += 1
        if not (self.is_name(index, "def", "class") and self.is_name(index + 1) and self.is_op(index + 2, "[")):
            return None
        is_class = self.tokens[index].string == "class"
        closing = self.closing(index + 2)
        if not (self.is_op(closing + 1, "(") or is_class and self.is_op(closing + 1, ":")):
            raise _Unscannable
        needs = self.type_parameters(index + 2, closing) or (GENERIC_CLASS if is_class else GENERIC_FUNCTION)
        start, end = self.start(index + 2), self.end(closing)
        return Construct(needs[0], needs[1], start, end, _blank_code(self.text[start:end]))

    def bare_except(self, index: int) -> Construct | None:
        """`except A, B:` (no `as`), read as `except A:` once the whole list checks out."""
        if not self.is_name(index, "except"):
            return None
        first = index + (2 if self.is_op(index + 1, "*") else 1)
        depth, commas, position = 0, [], first
        while position < len(self.tokens) and not (depth == 0 and self.is_op(position, ":")):
            if self.is_name(position, "as") and depth == 0:
                return None
            depth += self.is_op(position, "(", "[", "{") - self.is_op(position, ")", "]", "}")
            if depth == 0 and self.is_op(position, ","):
                commas.append(position)
            position += 1
        if not commas or position >= len(self.tokens) or position == first:
            return None
        if not _is_expression(self.segment(first, position - 1)):
            raise _Unscannable
        start, end = self.start(commas[0]), self.start(position)
        needs = EXCEPT_WITHOUT_PARENTHESES
        return Construct(needs[0], needs[1], start, end, _blank_code(self.text[start:end]))
