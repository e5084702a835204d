"""Files in the syntax of a newer Python than the one running prefect-pitfalls: one note per
file on stderr, never an error or exit status 2, and the rest of the file checked. Also the
walk skipping template folders (`{{ cookiecutter.project_slug }}`)."""

from __future__ import annotations

import ast
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from prefect_pitfalls.incremental import IncrementalParser
from prefect_pitfalls.source import parse

NEWER = Path(__file__).parent / "newer_syntax"
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"

needs_older_python = pytest.mark.skipif(sys.version_info >= (3, 12), reason="the running grammar reads 3.12 syntax")


def run_json(check, *args: str) -> tuple[int, list[tuple[int, str]], list[str]]:
    """Status, (line, code) of each finding, and the lines on stderr."""
    status, out, err = check(*args, "--format", "json")
    return status, [(f["line"], f["code"]) for f in json.loads(out)], err.splitlines()


@needs_older_python
def test_a_flow_module_in_312_syntax_is_checked_with_one_note(check) -> None:
    path = str(NEWER / "py312_flows.py")
    status, findings, err = run_json(check, path)
    assert findings == [(13, "PP102"), (19, "PP102"), (30, "PP303")]
    assert status == 1
    assert err == [
        f"note: {path}:8:1: uses Python 3.12 syntax (PEP 695 type statement); "
        f"prefect-pitfalls runs on Python {RUNNING} (the rest of the file was checked)"
    ]


@needs_older_python
def test_newer_syntax_alone_is_not_a_failure(check) -> None:
    path = str(NEWER / "py312_clean.py")
    status, out, err = check(path)
    assert status == 0 and "All checks passed" in out
    assert err.count("note:") == 1 and "error" not in err
    assert f"{path}:5:1: uses Python 3.12 syntax (PEP 695 type statement)" in err


@needs_older_python
def test_the_note_names_the_newest_syntax(check) -> None:
    path = str(NEWER / "py314_flows.py")
    status, findings, err = run_json(check, path)
    assert (status, findings) == (1, [(14, "PP102")])
    assert err == [
        f"note: {path}:11:20: uses Python 3.14 syntax (PEP 750 t-string); "
        f"prefect-pitfalls runs on Python {RUNNING} (the rest of the file was checked)"
    ]


@needs_older_python
def test_one_note_per_file_in_a_folder(tmp_path: Path, check) -> None:
    for fixture in NEWER.glob("*.py"):
        shutil.copy(fixture, tmp_path / fixture.name)
    status, findings, err = run_json(check, str(tmp_path))
    assert status == 1 and len(findings) == 4
    assert all(line.startswith("note: ") for line in err)
    noted = sorted(line.removeprefix("note: ").split(":")[0] for line in err)
    assert noted == [str(tmp_path / name) for name in ("py312_clean.py", "py312_flows.py", "py314_flows.py")]


@needs_older_python
def test_positions_stay_exact_after_newer_syntax_and_non_ascii_text(tmp_path: Path, check) -> None:
    line = '    text = f"{row["é"]} ✓"; SEEN.append(text)'
    path = tmp_path / "module.py"
    path.write_text(f"from prefect import task\n\nSEEN = []\n\n\n@task\ndef label(row):\n{line}\n    return text\n", encoding="utf-8")
    status, out, err = check(str(path), "--format", "json")
    assert [(f["code"], f["line"], f["column"], f["end_column"]) for f in json.loads(out)] == [
        ("PP102", 8, line.index("SEEN") + 1, line.index("SEEN") + 5)
    ]
    f_string = line.index('f"') + 1
    assert f"{path}:8:{f_string}: uses Python 3.12 syntax (PEP 701 f-string)" in err


NEWER_SNIPPETS = {
    "PEP 701 f-string": 'row = {"id": 1}\nlabel = f"{row["id"]}"\n',
    "PEP 701 f-string, multi-line": 'label = f"{\n    ", ".join(names)  # a comment\n}"\n',
    "PEP 695 generic class": "class Box[T: (int, str)](list[T]):\n    pass\n",
    "PEP 695 generic function": "async def fetch[**P, *Ts](x):\n    return x\n",
    "PEP 696 type parameter default": "type Pair[T = int] = tuple[T, T]\n",
    "PEP 758 except without parentheses": "try:\n    pass\nexcept* ValueError, KeyError:\n    pass\n",
    "PEP 750 t-string": 'name = "x"\ngreeting = t"hello {name!r:>{10}}"\n',
}


@needs_older_python
@pytest.mark.parametrize("construct", NEWER_SNIPPETS)
def test_each_newer_construct_is_named(construct: str, tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    path.write_text("from prefect import flow\n\n" + NEWER_SNIPPETS[construct], encoding="utf-8")
    status, out, err = check(str(path))
    assert status == 0, err
    assert f"syntax ({construct.split(',')[0]}); prefect-pitfalls runs on Python {RUNNING}" in err


BROKEN_SNIPPETS = {
    "an empty f-string field": ('x = f"{}"\n', 3),
    "a lambda in an f-string field": ('x = f"{lambda y: y}"\n', 3),
    "no type parameters": "def f[](x):\n    pass\n",
    "a type parameter that is no name": "class C[1]:\n    pass\n",
    "`as` after an unparenthesized except list": "try:\n    pass\nexcept A, B as error:\n    pass\n",
    "a `type` statement in an annotation": "x: type Y = 1\n",
    "an unterminated f-string": 'x = f"{y["k"]}\n',
}


@pytest.mark.parametrize("what", BROKEN_SNIPPETS)
def test_code_invalid_in_every_python_is_a_parse_error(what: str, tmp_path: Path, check) -> None:
    snippet = BROKEN_SNIPPETS[what]
    snippet = snippet[0] if isinstance(snippet, tuple) else snippet
    path = tmp_path / "module.py"
    path.write_text("from prefect import flow\n\n" + snippet, encoding="utf-8")
    status, _, err = check(str(path))
    assert status == 2 and "cannot parse" in err and "note:" not in err


@needs_older_python
def test_a_real_error_after_newer_syntax_is_reported_where_it_is(tmp_path: Path, check) -> None:
    path = tmp_path / "module.py"
    path.write_text('from prefect import flow\n\ntype Row = dict[str, int]\nlabel = f"{row["id"]}"\nx = = 1\n')
    status, _, err = check(str(path))
    assert status == 2
    assert err.splitlines() == [f"error: {path}:5:5: cannot parse: invalid syntax"]


@needs_older_python
def test_the_incremental_parser_moves_the_note_with_its_construct() -> None:
    text = (NEWER / "py312_flows.py").read_text(encoding="utf-8")
    parser = IncrementalParser()
    assert parser.parse(text).problem.line == 8
    moved = parser.parse("import os\n" + text)
    assert moved.problem == parse("import os\n" + text).problem and moved.problem.line == 9
    assert parser.partial_parses == 1


@needs_older_python
def test_random_edits_of_a_newer_syntax_file_match_a_full_parse() -> None:
    text = (NEWER / "py312_flows.py").read_text(encoding="utf-8")
    parser, rng = IncrementalParser(), random.Random(5)
    readable = lines = text.splitlines(keepends=True)
    for step in range(100):
        # Like a user: a typo is usually repaired soon after.
        lines = list(readable if rng.random() < 0.5 else lines)
        index = rng.randrange(len(lines))
        action = rng.random()
        if action < 0.4:
            lines.insert(index, rng.choice(["\n", "x = 1\n", "    pass\n", 'y = f"{d["k"]}"\n', "def broken(:\n"]))
        elif action < 0.7 and len(lines) > 5:
            del lines[index]
        else:
            lines[index] = lines[index].replace("SEEN", f"SEEN_{step}")
        current = "".join(lines)
        incremental, full = parser.parse(current), parse(current)
        assert incremental.problem == full.problem, current
        if full.problem is None or full.problem.requires:
            assert ast.dump(incremental.tree, include_attributes=True) == ast.dump(full.tree, include_attributes=True)
            readable = lines
    assert parser.partial_parses >= 20, (parser.partial_parses, parser.full_parses)


def test_template_folders_are_skipped_unless_named(tmp_path: Path, check) -> None:
    runs_at_import = "from prefect import flow\n\n\n@flow\ndef etl():\n    pass\n\n\netl()\n"
    for name in ("flows/etl.py", "{{cookiecutter.project_slug}}/flows.py", "{% if docker %}deploy{% endif %}/run.py",
                 "src/{{ module_name }}.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(runs_at_import)
    status, out, _ = check(str(tmp_path), "--format", "json")
    assert [Path(f["path"]).relative_to(tmp_path).as_posix() for f in json.loads(out)] == ["flows/etl.py"]
    template = tmp_path / "{{cookiecutter.project_slug}}" / "flows.py"
    status, out, _ = check(str(template), "--format", "json")
    assert status == 1 and [f["path"] for f in json.loads(out)] == [str(template)]


# --- against a newer interpreter, when this machine has one ---------------------------------


def _newer_interpreters() -> list[str]:
    names = [shutil.which(f"python3.{minor}") for minor in range(sys.version_info[1] + 1, 16)]
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    names += sorted(glob.glob(f"{pyenv}/versions/3.*/bin/python3"))
    found = {}
    for name in filter(None, names):
        try:
            done = subprocess.run([name, "-c", "import sys, sysconfig; print(sys.version_info[1], sysconfig.get_paths()['stdlib'])"],
                                  capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        minor, _, stdlib = done.stdout.strip().partition(" ")
        if done.returncode == 0 and int(minor) > sys.version_info[1]:
            found[int(minor)] = (name, stdlib)
    return list(found.values())


_JUDGE = """\
import ast, json, sys, warnings
warnings.simplefilter("ignore")
answers = {}
for path in json.load(sys.stdin):
    try:
        tree = ast.parse(open(path, encoding="utf-8").read())
    except SyntaxError:
        answers[path] = None
    else:
        answers[path] = [[s.lineno, s.col_offset, s.end_lineno, s.end_col_offset] for s in tree.body]
print(json.dumps(answers))
"""


@needs_older_python
@pytest.mark.parametrize("interpreter", _newer_interpreters(), ids=lambda i: Path(i[1]).name)
def test_agrees_with_a_newer_python_on_its_own_test_suite(interpreter: tuple[str, str]) -> None:
    """Every file of a newer CPython's Lib/test that this Python cannot parse: valid there means
    a note here, with the same top-level statements at the same places; invalid there, an error."""
    python, stdlib = interpreter
    unreadable_here = []
    for path in sorted(Path(stdlib, "test").rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if parse(text).problem is not None:
                unreadable_here.append(str(path))
    assert unreadable_here
    done = subprocess.run([python, "-c", _JUDGE], input=json.dumps(unreadable_here), capture_output=True, text=True, timeout=300)
    verdicts = json.loads(done.stdout)
    for path in unreadable_here:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the suite's own invalid escapes and the like
            source = parse(Path(path).read_text(encoding="utf-8"))
        if verdicts[path] is None:
            assert source.problem.requires is None, path
        else:
            assert source.problem.requires is not None, (path, source.problem)
            places = [[s.lineno, s.col_offset, s.end_lineno, s.end_col_offset] for s in source.tree.body]
            assert places == verdicts[path], path
