"""Every finding's message opens with its essential part (what, and the consequence in a few
words) in one sentence short enough for a list of problems that cuts long lines; details
follow in later sentences, and the hover adds the rule's documentation."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CORPUS = [ROOT / "tests" / "fixtures", ROOT / "tests" / "projects", ROOT / "examples", ROOT / "tests" / "store_fixes"]
FIRST_SENTENCE_LIMIT = 100


def first_sentence(message: str) -> str:
    match = re.match(r"(.+?\.)(\s|$)", message)
    return match.group(1) if match else message


def too_long(findings: list[dict]) -> list[str]:
    return [
        f"{f['code']} {len(first_sentence(f['message']))}: {f['message']}"
        for f in findings
        if len(first_sentence(f["message"])) > FIRST_SENTENCE_LIMIT or "\n" in f["message"]
    ]


def test_first_sentences_of_the_corpus_are_short(check) -> None:
    _, findings = check.json(*map(str, CORPUS))
    codes = {f["code"] for f in findings}
    assert codes >= {"PP101", "PP102", "PP103", "PP201", "PP202", "PP203", "PP204", "PP303", "PP306", "PP307"}, codes
    assert too_long(findings) == []


def test_first_sentences_of_the_probe_are_short(tmp_path: Path, check) -> None:
    pytest.importorskip("prefect")
    modules = {
        "captured.py": """\
            import sqlite3

            from prefect import flow, task
            from prefect.task_runners import ProcessPoolTaskRunner

            conn = sqlite3.connect(":memory:")


            @task
            def count_orders():
                return conn.execute("select 1").fetchone()[0]


            @flow(task_runner=ProcessPoolTaskRunner())
            def nightly():
                return count_orders.submit().result()
            """,
        "missing.py": "from prefect import flow\nfrom not_installed_pkg.sub import thing\n\n\n@flow\ndef etl():\n    return thing\n",
        "runs.py": "from prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n\n\netl()\n",
        "hangs.py": "import time\n\nfrom prefect import flow\n\ntime.sleep(60)\n\n\n@flow\ndef etl():\n    return 1\n",
    }
    for name, text in modules.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    (tmp_path / "pyproject.toml").write_text("[tool.prefect-pitfalls.probe]\ntimeout = 2\n")
    _, findings = check.json(str(tmp_path), "--probe")
    assert {f["code"] for f in findings} >= {"PP302", "PP304", "PP305"}
    assert too_long(findings) == []
