"""Re-parsing only what an edit touched gives exactly what a full analysis gives."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from prefect_pitfalls.analysis import AnalysisCache
from prefect_pitfalls.config import Settings
from prefect_pitfalls.incremental import IncrementalParser
from prefect_pitfalls.linter import lint, lint_source
from prefect_pitfalls.source import parse

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.py"))
SNIPPETS = [
    "\n",
    "x = 1\n",
    "    SEEN.append(1)\n",
    "CACHE = {}\n",
    "@task\ndef extra(items=[]):\n    items.append(1)\n",
    "def broken(:\n",
    '"""\n',
    "(\n",
    "        return 1\n",
    "etl()\n",
    "class Again(Task):\n    def run(self):\n        self.n += 1\n",
    "global SEEN\n",
]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    index = rng.randrange(len(lines))
    action = rng.random()
    if action < 0.35:
        lines.insert(index, rng.choice(SNIPPETS))
    elif action < 0.55 and len(lines) > 3:
        del lines[index : index + rng.randint(1, 3)]
    elif action < 0.75:
        line = lines[index]
        cut = rng.randrange(len(line) + 1)
        lines[index] = line[:cut] + rng.choice(["a", " ", "(", ")", ":", "#", "'", "é", "😀"]) + line[cut:]
    elif action < 0.9:
        lines[index] = lines[index].lstrip() if rng.random() < 0.5 else "    " + lines[index]
    else:
        lines.append(rng.choice(SNIPPETS))
    return "".join(lines)


def dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_random_edits_match_a_full_analysis(fixture: Path) -> None:
    rng = random.Random(fixture.name)
    text = fixture.read_text(encoding="utf-8")
    parser, cache = IncrementalParser(), AnalysisCache()
    settings = Settings(jedi=False)  # jedi answers per text; what is compared here is the parse
    last_valid = text
    for _ in range(80):
        # Like a user: a typo is usually repaired soon after.
        text = mutate(last_valid if rng.random() < 0.5 else text, rng)
        incremental = parser.parse(text)
        full = parse(text)
        if full.problem is None:
            last_valid = text
        assert (incremental.problem is None) == (full.problem is None)
        if full.problem is None:
            assert dump(incremental.tree) == dump(full.tree)
        expected = lint(text, settings).findings
        assert lint_source(incremental, settings, None, cache).findings == expected
    assert parser.partial_parses >= 10, (parser.partial_parses, parser.full_parses)


def test_edits_that_change_the_structure() -> None:
    parser = IncrementalParser()
    base = "from prefect import task\n\n@task\ndef a():\n    return 1\n\n\ndef b():\n    return 2\n"
    steps = [
        base.replace("    return 2\n", "    return 2\nx = 3\n"),  # a new statement after the last
        base.replace("def b():", "def b(:"),  # broken
        base,  # repaired
        base.replace('"', "").replace("def a():", 'def a():\n    """unterminated'),  # string swallowing the rest
        base,
        base.replace("    return 1\n", "return 1\n"),  # dedent turns a body line into a statement
        base.replace("\n\ndef b", "\n\n@task\ndef b"),  # decorator added to the next function
    ]
    for text in steps:
        incremental = parser.parse(text)
        full = parse(text)
        assert (incremental.problem is None) == (full.problem is None), text
        if full.problem is None:
            assert dump(incremental.tree) == dump(full.tree), text


def test_unchanged_text_reuses_everything() -> None:
    parser = IncrementalParser()
    text = FIXTURES[0].read_text()
    first = parser.parse(text)
    second = parser.parse(text)
    assert [id(s) for s in first.tree.body] == [id(s) for s in second.tree.body]
