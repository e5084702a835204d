"""Every fixture file, checked through the `check` command, gives exactly the findings marked in it.

A marker is a comment on the anchor line: `# expect: PP101` or, to pin the anchored
text too, `# expect: PP101`self.counter``; several codes are separated by commas
or spaces, and a code twice means two findings on that line.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

MARKER = re.compile(r"#\s*expect:\s*(.*)$")
EXPECTATION = re.compile(r"(PP\d{3})(?:`([^`]*)`)?")
FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*.py"))


def expectations(path: Path) -> list[tuple[int, str, str | None]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            found += [(number, code, snippet) for code, snippet in EXPECTATION.findall(match.group(1))]
    return [(line, code, snippet or None) for line, code, snippet in found]


def anchored_text(path: Path, finding: dict) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    if finding["line"] == finding["end_line"]:
        return lines[finding["line"] - 1][finding["column"] - 1 : finding["end_column"] - 1]
    return lines[finding["line"] - 1][finding["column"] - 1 :]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture(path: Path, check) -> None:
    expected = expectations(path)
    status, findings = check.json(str(path))
    actual = Counter((f["line"], f["code"]) for f in findings)
    assert actual == Counter((line, code) for line, code, _ in expected), _describe(findings, expected)
    for line, code, snippet in expected:
        if snippet is None:
            continue
        texts = [anchored_text(path, f) for f in findings if (f["line"], f["code"]) == (line, code)]
        assert any(t == snippet or (t.startswith(snippet) and "\n" in t) for t in texts) or snippet in texts, (
            f"line {line} {code}: anchored {texts}, expected `{snippet}`"
        )
    assert status == (1 if any(f["severity"] in ("error", "warning") for f in findings) else 0)


def _describe(findings: list[dict], expected: list[tuple[int, str, str | None]]) -> str:
    got = sorted((f["line"], f["code"], f["message"]) for f in findings)
    want = sorted((line, code) for line, code, _ in expected)
    return "\n".join(["got:", *map(str, got), "expected:", *map(str, want)])


def test_a_path_relative_to_the_working_directory_gives_the_same_findings(check, monkeypatch) -> None:
    """Helpers of the project's other modules are found from a relative path as from an absolute one."""
    path = FIXTURES / "ssh_pipelines" / "flows.py"
    _, absolute = check.json(str(path))
    monkeypatch.chdir(FIXTURES)
    _, relative = check.json("ssh_pipelines/flows.py")
    assert [(f["line"], f["code"]) for f in relative] == [(f["line"], f["code"]) for f in absolute]
    assert {(line, code) for line, code, _ in expectations(path)} <= {(f["line"], f["code"]) for f in relative}
