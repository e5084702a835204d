"""scripts/ecosystem.py on two small repositories: the table, the baseline, the diff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent.parent / "scripts" / "ecosystem.py"

ETL = """\
from prefect import flow, task

SEEN = []


@task
def extract(row):
    SEEN.append(row)
    return row


@flow
def etl():
    extract(1)
"""

REPORT = """\
from prefect import flow


@flow
def report():
    return 1


report()
"""

# The same flow with the module-level list gone and a run at import time added.
ETL_CHANGED = """\
from prefect import flow, task


@task
def extract(row):
    return row


@flow
def etl():
    extract(1)


etl()
"""


def ecosystem(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), *map(str, args), "--jobs", "1"]
    return subprocess.run(command, capture_output=True, text=True)


def git_repository(folder: Path) -> str:
    def git(*args: str) -> str:
        identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
        return subprocess.run(["git", *identity, *args], cwd=folder, capture_output=True, text=True, check=True).stdout

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "report")
    return git("rev-parse", "HEAD").strip()


def rows(output: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in output.splitlines() if line.strip()}


def test_table_baseline_and_diff(tmp_path: Path) -> None:
    etl, reports = tmp_path / "acme+etl", tmp_path / "acme+reports"
    (etl / "flows").mkdir(parents=True)
    (etl / "flows" / "etl.py").write_text(ETL)
    (etl / "notes.py").write_text("print('no prefect here')\n")
    reports.mkdir()
    (reports / "report.py").write_text(REPORT)
    commit = git_repository(reports)
    baseline = tmp_path / "baseline.txt"

    first = ecosystem(etl, reports, "--write-baseline", baseline)

    assert first.returncode == 0, first.stderr
    table = rows(first.stdout)
    assert table["repository"] == ["files", "prefect", "lines", "PP102", "PP303", "total", "unparsable", "seconds"]
    assert table["acme/etl"][:-1] == ["2", "1", "14", "1", ".", "1", "0"]
    assert table["acme/reports"][:-1] == ["1", "1", "9", ".", "1", "1", "0"]
    assert table["total"][:-1] == ["3", "2", "23", "1", "1", "2", "0"]
    assert table["PP102"] == ["task-global-state", "1", "1"]
    assert table["PP303"] == ["import-time-flow-run", "1", "1"]
    recorded = baseline.read_text().splitlines()
    assert "# repository acme/etl -" in recorded
    assert f"# repository acme/reports {commit}" in recorded
    assert [line for line in recorded if not line.startswith("#")] == [
        "acme/etl flows/etl.py:8 PP102",
        "acme/reports report.py:9 PP303",
    ]

    (etl / "flows" / "etl.py").write_text(ETL_CHANGED)
    second = ecosystem(etl, reports, "--baseline", baseline)

    assert second.returncode == 0, second.stderr
    diff = second.stdout.split("Compared with the baseline: ", 1)[1].splitlines()
    assert diff == [
        "1 appeared (+), 1 disappeared (-).",
        "PP102 task-global-state: +0 -1",
        "  - acme/etl flows/etl.py:8",
        "PP303 import-time-flow-run: +1 -0",
        "  + acme/etl flows/etl.py:14: Flow `etl` runs when the module is imported",
    ]


def test_select_limits_the_comparison_to_the_selected_rules(tmp_path: Path) -> None:
    etl = tmp_path / "acme+etl"
    etl.mkdir()
    (etl / "etl.py").write_text(ETL)
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("acme/etl etl.py:8 PP102\nacme/etl etl.py:99 PP303\nother/repo x.py:1 PP303\n")

    result = ecosystem(etl, "--baseline", baseline, "--select", "PP1")

    assert result.returncode == 0, result.stderr
    assert "Compared with the baseline: 0 appeared (+), 0 disappeared (-)." in result.stdout
    assert "PP303" not in result.stdout
