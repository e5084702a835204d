"""Property-based tests: no source makes the core raise, every position it reports lies in the
document, and every fix it offers keeps a parseable file parseable.

Sources are real fixtures mutated in the ways editors and disks mangle text, Python generated
from the grammar (hypothesmith), and both glued to Prefect code so the rules have work to do.
The default profile (`bounded`, see conftest.py) fits CI; `--hypothesis-profile=fuzz` runs the
long one.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import assume, example, given, strategies as st

from prefect_pitfalls.cli import main
from prefect_pitfalls.config import Settings
from prefect_pitfalls.findings import Finding, Span
from prefect_pitfalls.fixes import apply_fixes
from prefect_pitfalls.linter import fix, lint
from prefect_pitfalls.lsp import convert
from prefect_pitfalls.source import UTF8, UTF16, UTF32, ParsedSource, decode_column, encode_column

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.py")) + sorted(
    (Path(__file__).parent / "store_fixes").glob("*.py")
)
CORPUS = [path.read_text(encoding="utf-8") for path in FIXTURES]
SETTINGS = Settings(jedi=False)  # jedi's answers are bounded separately; the fuzz is about the core


PREFECT_HEADER = "from prefect import flow, task, Task, Flow\nimport sqlite3, threading\nSTATE = []\n"


# --- mutations ------------------------------------------------------------------------


def truncate(text: str, data: st.DataObject) -> str:
    return text[: data.draw(st.integers(0, len(text)), label="cut")]


def flip_characters(text: str, data: st.DataObject) -> str:
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 8), label="flips")):
        if not chars:
            break
        index = data.draw(st.integers(0, len(chars) - 1), label="at")
        chars[index] = data.draw(NASTY_CHARACTERS, label="char")
    return "".join(chars)


def insert_characters(text: str, data: st.DataObject) -> str:
    index = data.draw(st.integers(0, len(text)), label="at")
    return text[:index] + data.draw(st.text(NASTY_CHARACTERS, min_size=1, max_size=12), label="inserted") + text[index:]


def mix_line_endings(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    breaks = data.draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)))
    return "".join(line + brk for line, brk in zip(lines[:-1], breaks)) + lines[-1]


def add_bom(text: str, data: st.DataObject) -> str:
    return "\ufeff" + text


def tabs_for_spaces(text: str, data: st.DataObject) -> str:
    return text.replace("    ", "\t")


def long_line(text: str, data: st.DataObject) -> str:
    index = data.draw(st.integers(0, len(text)), label="at")
    return text[:index] + "x = '" + "é🎉" * data.draw(st.integers(100, 3000)) + "'\n" + text[index:]


def deep_nesting(text: str, data: st.DataObject) -> str:
    depth = data.draw(st.integers(1, 120), label="depth")
    body = "".join("    " * i + f"if x{i}:\n" for i in range(depth)) + "    " * depth + "STATE.append(1)\n"
    parens = "y = " + "(" * depth + "1" + ")" * depth + "\n"
    return text + "\n@task\ndef nested():\n" + "".join("    " + line + "\n" for line in body.splitlines()) + parens


def non_utf8_bytes(text: str, data: st.DataObject) -> str:
    """What `surrogateescape` makes of undecodable bytes: lone surrogates in the text."""
    raw = text.encode("utf-8", "surrogatepass")
    index = data.draw(st.integers(0, len(raw)), label="at")
    junk = data.draw(st.binary(min_size=1, max_size=6).filter(lambda b: any(x > 0x7F for x in b)), label="junk")
    return (raw[:index] + junk + raw[index:]).decode("utf-8", "surrogateescape")


def null_bytes(text: str, data: st.DataObject) -> str:
    index = data.draw(st.integers(0, len(text)), label="at")
    return text[:index] + "\x00" + text[index:]


MUTATIONS = [
    truncate, flip_characters, insert_characters, mix_line_endings, add_bom, tabs_for_spaces, long_line,
    deep_nesting, non_utf8_bytes, null_bytes,
]
NASTY_CHARACTERS = st.sampled_from(
    list("\r\n\t\x0c\\'\"()[]{}:#@=.,; \u00a0\u2028\ufeff\x00é中") + ["🎉", "\U0001f9ea", "\ud800", "\udfff", "𝔘"]
)


@st.composite
def mangled_sources(draw: st.DrawFn) -> str:
    """A fixture, or grammar-generated Python glued to Prefect code, through 0–3 mutations."""
    data = draw(st.data())
    if draw(st.booleans()):
        text = draw(st.sampled_from(CORPUS))
    else:
        text = PREFECT_HEADER + draw(hypothesmith.from_grammar()) + "\n" + draw(st.sampled_from(CORPUS))
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), max_size=3)):
        text = mutation(text, data)
    return text


# --- the properties -------------------------------------------------------------------


def assert_inside(source: ParsedSource, span: Span, what: str) -> None:
    lines = source.lines
    assert 1 <= span.line <= span.end_line <= len(lines), f"{what}: {span} outside {len(lines)} lines"
    assert (span.line, span.column) <= (span.end_line, span.end_column), f"{what}: {span} is reversed"
    for line, column in ((span.line, span.column), (span.end_line, span.end_column)):
        text = lines[line - 1]
        assert 0 <= column <= len(text), f"{what}: column {column} outside line {line} of {len(text)}"
        for encoding in (UTF8, UTF16, UTF32):
            units = encode_column(text, column, encoding)
            assert 0 <= units <= encode_column(text, len(text), encoding)
            assert decode_column(text, units, encoding) == column, (what, encoding, line, column)
    for encoding in (UTF8, UTF16, UTF32):
        lsp_range = convert.to_range(source, span, encoding)
        start, end = lsp_range.start, lsp_range.end
        assert (start.line, start.character) <= (end.line, end.character), f"{what}: {lsp_range} ({encoding})"


def fixes_of(finding: Finding):
    return [f for f in (finding.fix, *finding.alternatives) if f is not None]


def check_properties(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        result = lint(text, SETTINGS)
    source = result.source
    for finding in result.findings:
        assert_inside(source, finding.span, finding.code)
        for related in finding.related:
            if related.path is None:
                assert_inside(source, related.span, f"{finding.code} related")
        for offered in fixes_of(finding):
            for edit in offered.edits:
                assert_inside(source, edit.span, f"{finding.code} fix edit")
            if source.problem is None:
                fixed, _ = apply_fixes(source.text, [offered], source.line_offsets)
                try:
                    compile_only(fixed)
                except SyntaxError as error:
                    pytest.fail(f"{finding.code} fix {offered.title!r} broke the file: {error}\n--- after\n{fixed}")


def compile_only(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        ast.parse(text)


@given(mangled_sources())
@example("\ufeff" + CORPUS[0].replace("\n", "\r"))
@example(CORPUS[0][: len(CORPUS[0]) // 2])
@example("from prefect import task\n@task\ndef f():\n    x = '\ud800'\n    STATE.append(x)\n")
def test_no_source_breaks_the_core(text: str) -> None:
    check_properties(text)


@given(mangled_sources())
def test_fixing_everything_keeps_parseable_code_parseable(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        before = lint(text, SETTINGS).source
        assume(before.problem is None)
        after = fix(text, SETTINGS, unsafe=True)
    compile_only(after.text.removeprefix("\ufeff"))
    assert after.text.startswith("\ufeff") == text.startswith("\ufeff")


@given(data=st.binary(max_size=400) | mangled_sources().map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_check_reports_any_bytes_without_a_traceback(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "flows.py").write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        status = main(["check", "--no-probe", "--format", "json", str(folder)])
    assert "Traceback" not in err.getvalue()
    assert isinstance(json.loads(out.getvalue()), list)
    if status == 2:  # a file that cannot be read or parsed is named, with the reason
        assert err.getvalue().startswith(f"error: {folder / 'flows.py'}:"), err.getvalue()
    else:
        assert status in (0, 1), err.getvalue()
