"""Where Prefect 2 and 3 (and 3.x releases) serialize differently, the major version and release
come from the setting, the project's environment (its metadata files), its declared or locked
pin, else 3; each decides what PP201/PP202 report."""

from __future__ import annotations

import textwrap
from pathlib import Path

from environments import fake_distribution, marker_venv, ran

TASK_WITH_CONNECTION = textwrap.dedent(
    """
    import sqlite3

    from prefect import flow, task


    @task
    def count_rows(conn, table):
        return 1


    @flow
    def audit(path):
        return count_rows(sqlite3.connect(path), "orders")
    """
).lstrip()


def project(root: Path, pyproject: str = "", module: str = TASK_WITH_CONNECTION) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject)
    path = root / "flows.py"
    path.write_text(module)
    return path


def with_installed_prefect(root: Path, version: str, marker: Path) -> None:
    site = marker_venv(root / ".venv", marker)
    fake_distribution(site, "prefect", {"prefect/__init__.py": ""}, version=version)


def codes(check, path: Path) -> list[tuple[str, int]]:
    _, findings = check.json(str(path))
    return [(f["code"], f["line"]) for f in findings]


def test_prefect_2_installed_hashes_no_inputs_by_default(tmp_path: Path, check) -> None:
    marker = tmp_path / "ran.log"
    with_installed_prefect(tmp_path / "p", "2.20.27", marker)
    path = project(tmp_path / "p", '[project]\nname = "p"\ndependencies = ["prefect"]\n')
    assert codes(check, path) == []
    assert ran(marker) == []


def test_prefect_3_installed_hashes_inputs(tmp_path: Path, check) -> None:
    marker = tmp_path / "ran.log"
    with_installed_prefect(tmp_path / "p", "3.9.1", marker)
    path = project(tmp_path / "p", '[project]\nname = "p"\ndependencies = ["prefect"]\n')
    assert codes(check, path) == [("PP202", 13)]


def test_a_declared_or_locked_pin_decides_without_an_environment(tmp_path: Path, check) -> None:
    """The server's own interpreter (with Prefect 3 here) is not the project's environment."""
    pinned_2 = project(tmp_path / "two", '[project]\nname = "two"\ndependencies = ["prefect>=2.14,<3"]\n')
    assert codes(check, pinned_2) == []
    locked_2 = project(tmp_path / "locked", '[project]\nname = "locked"\ndependencies = ["prefect"]\n')
    (tmp_path / "locked" / "uv.lock").write_text('version = 1\n\n[[package]]\nname = "prefect"\nversion = "2.20.27"\n')
    assert codes(check, locked_2) == []
    poetry_2 = project(tmp_path / "poetry", '[tool.poetry.dependencies]\npython = "^3.11"\nprefect = "^2.19"\n')
    assert codes(check, poetry_2) == []
    requirements_3 = project(tmp_path / "req", "")
    (tmp_path / "req" / "requirements.txt").write_text("prefect==3.4.0\n")
    assert codes(check, requirements_3) == [("PP202", 13)]
    unpinned = project(tmp_path / "unpinned", '[project]\nname = "u"\ndependencies = ["prefect>=2.10"]\n')
    assert codes(check, unpinned) == [("PP202", 13)]


def test_the_setting_outranks_the_environment(tmp_path: Path, check) -> None:
    marker = tmp_path / "ran.log"
    with_installed_prefect(tmp_path / "p", "3.9.1", marker)
    path = project(tmp_path / "p", '[tool.prefect-pitfalls]\nprefect-version = "2"\n')
    assert codes(check, path) == []


def test_before_3_1_14_default_minus_a_name_still_hashes_it(tmp_path: Path, check) -> None:
    module = TASK_WITH_CONNECTION.replace(
        "@task\n", '@task(cache_policy=DEFAULT - "conn")\n'
    ).replace("from prefect import flow, task\n", "from prefect import flow, task\nfrom prefect.cache_policies import DEFAULT\n")
    marker = tmp_path / "ran.log"
    with_installed_prefect(tmp_path / "old", "3.1.2", marker)
    old = project(tmp_path / "old", "", module)
    assert codes(check, old) == [("PP202", 14)]
    with_installed_prefect(tmp_path / "new", "3.1.14", marker)
    new = project(tmp_path / "new", "", module)
    assert codes(check, new) == []


def test_before_3_1_14_the_fix_spells_the_default_out(tmp_path: Path, check) -> None:
    marker = tmp_path / "ran.log"
    with_installed_prefect(tmp_path / "old", "3.1.2", marker)
    path = project(tmp_path / "old")
    check(str(path), "--fix", "--unsafe-fixes")
    text = path.read_text()
    assert '@task(cache_policy=INPUTS - "conn" + TASK_SOURCE + RUN_ID)' in text
    assert "from prefect.cache_policies import INPUTS, TASK_SOURCE, RUN_ID" in text
    assert codes(check, path) == []
    assert ran(marker) == []
