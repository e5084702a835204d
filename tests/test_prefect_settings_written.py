"""Prefect settings a project writes down (`prefect.toml`, `[tool.prefect]`, `.env`) change what
Prefect 3 hashes and persists, and so what PP201/PP202 report."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

MODULE = textwrap.dedent(
    """
    import sqlite3

    from prefect import flow, task


    @task
    def count_rows(conn, table):
        return 1


    @task
    def open_warehouse(path):
        return sqlite3.connect(path)


    @flow
    def audit(path):
        open_warehouse(path)
        return count_rows(sqlite3.connect(path), "orders")
    """
).lstrip()


def findings(check, root: Path, files: dict[str, str], module: str = MODULE) -> list[tuple[str, int]]:
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "flows.py").write_text(module)
    _, found = check.json(str(root / "flows.py"))
    return [(f["code"], f["line"]) for f in found]


def test_nothing_written_hashes_inputs_and_persists_nothing(tmp_path: Path, check) -> None:
    assert findings(check, tmp_path / "p", {}) == [("PP202", 19)]


@pytest.mark.parametrize(
    "files",
    [
        {"prefect.toml": "[tasks]\ndefault_no_cache = true\n"},
        {"pyproject.toml": "[tool.prefect.tasks]\ndisable_caching = true\n"},
        {".env": "PREFECT_TASKS_DEFAULT_NO_CACHE=true\n"},
    ],
    ids=["prefect.toml", "pyproject", "dotenv"],
)
def test_caching_turned_off_hashes_no_inputs(tmp_path: Path, check, files) -> None:
    assert findings(check, tmp_path / "p", files) == []


@pytest.mark.parametrize(
    "files",
    [
        {"prefect.toml": "[results]\npersist_by_default = true\n"},
        {".env": "export PREFECT_TASKS_DEFAULT_PERSIST_RESULT='true'\n"},
    ],
    ids=["prefect.toml", "dotenv"],
)
def test_persistence_turned_on_pickles_results(tmp_path: Path, check, files) -> None:
    assert findings(check, tmp_path / "p", files) == [("PP201", 13), ("PP202", 19)]


def test_a_flow_that_persists_persists_its_tasks(tmp_path: Path, check) -> None:
    module = MODULE.replace("@flow\n", "@flow(persist_result=True)\n")
    assert findings(check, tmp_path / "p", {}, module) == [("PP201", 13), ("PP202", 19)]
