"""`check`'s result cache, through the command: a warm run answers from the cache and equals the
cold run; every input a result depends on invalidates it; a corrupt entry is ignored and
rewritten; `--fix` never trusts it.

A test "poisons" the cached entries (rewrites their messages) and runs again: the poison in the
output proves the answer came from the cache, its absence that the entry was not trusted."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

import prefect_pitfalls.result_cache as result_cache

FLOWS = """
import requests
from prefect import flow, task

from helpers import SETTINGS

SEEN = []


@task
def remember(item, batch=[]):
    batch.append(item)
    SEEN.append(item)
    return requests.get(SETTINGS["url"] + item).status_code


@flow
def nightly():
    remember("a")
"""

PYPROJECT = """
[project]
name = "nightly"
version = "1.0"
dependencies = ["prefect"]
"""

PREFECT_YAML = """
deployments:
  - name: nightly
    entrypoint: flows.py:nightly
"""

UV_LOCK = """version = 1
requires-python = ">=3.9"

[[package]]
name = "nightly"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "prefect" }]
"""

POISON = "POISONED"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "flows.py").write_text(textwrap.dedent(FLOWS))
    (root / "helpers.py").write_text('SETTINGS = {"url": "https://example.com/"}\n')
    (root / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (root / "prefect.yaml").write_text(textwrap.dedent(PREFECT_YAML))
    (root / "requirements.txt").write_text("prefect\n")
    (root / "uv.lock").write_text(UV_LOCK)
    age(root)
    return root


def age(root: Path) -> None:
    """Move every stamp of the tree a minute back: a result depending on a file changed within
    the last two seconds is not kept."""
    past = time.time() - 60
    for folder, _, files in os.walk(root):
        for name in [*files, "."]:
            os.utime(os.path.join(folder, name), (past, past), follow_symlinks=False)


def run(check, root: Path, *extra: str) -> list[dict]:
    _, findings = check.json(str(root / "flows.py"), "--no-probe", "--jobs", "1", *extra)
    return findings


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.json"))


def poison(folder: Path) -> None:
    for entry in entries(folder):
        data = json.loads(entry.read_text())
        for finding in data["report"]["findings"]:
            finding["message"] = POISON
        entry.write_text(json.dumps(data))


def poisoned(findings: list[dict]) -> bool:
    return any(f["message"] == POISON for f in findings)


@pytest.fixture
def cached(check, project: Path, tmp_path: Path) -> tuple[Path, list[dict]]:
    """A cold run's findings, with the entry it left poisoned."""
    folder = tmp_path / "cache"
    cold = run(check, project, "--cache-dir", str(folder))
    assert cold and len(entries(folder)) == 1
    poison(folder)
    assert poisoned(run(check, project, "--cache-dir", str(folder)))
    return folder, cold


def test_a_warm_run_equals_the_cold_one(check, project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    args = (str(project), "--no-probe", "--jobs", "1", "--cache-dir", str(folder), "--format", "json")
    status_cold, cold, _ = check(*args)
    assert entries(folder)
    status_warm, warm, _ = check(*args)
    assert (status_warm, warm) == (status_cold, cold)
    assert {f["code"] for f in json.loads(cold)} >= {"PP102", "PP103"}


CHANGES = {
    "the module's text": lambda root: (root / "flows.py").write_text(textwrap.dedent(FLOWS) + "# edited\n"),
    "a module it imports": lambda root: (root / "helpers.py").write_text('SETTINGS = {"url": "https://example.org/"}\n'),
    "the declared dependencies": lambda root: (root / "pyproject.toml").write_text(
        textwrap.dedent(PYPROJECT).replace('["prefect"]', '["prefect", "requests"]')
    ),
    "a requirements file": lambda root: (root / "requirements.txt").write_text("prefect\nrequests\n"),
    "a lock file": lambda root: (root / "uv.lock").write_text(UV_LOCK.replace('{ name = "prefect" }', '{ name = "prefect" }, { name = "requests" }')),
    "prefect.yaml": lambda root: (root / "prefect.yaml").write_text(textwrap.dedent(PREFECT_YAML).replace("nightly\n", "nightly-2\n", 1)),
    "a new module anywhere in the tree": lambda root: (root / "jobs").mkdir() or (root / "jobs" / "other.py").write_text("x = 1\n"),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_change_of_what_the_result_depends_on_invalidates_it(check, project: Path, cached, change: str) -> None:
    folder, _ = cached
    CHANGES[change](project)
    assert not poisoned(run(check, project, "--cache-dir", str(folder)))


def test_other_settings_do_not_use_the_entry(check, project: Path, cached) -> None:
    folder, _ = cached
    assert not poisoned(run(check, project, "--cache-dir", str(folder), "--select", "PP1"))
    assert poisoned(run(check, project, "--cache-dir", str(folder)))  # each settings keep their own


def test_another_version_of_the_tool_does_not_trust_it(check, project: Path, cached, monkeypatch) -> None:
    folder, _ = cached
    monkeypatch.setattr(result_cache, "__version__", "99.0")
    assert not poisoned(run(check, project, "--cache-dir", str(folder)))


def test_a_change_of_the_environment_invalidates_it(check, project: Path, tmp_path: Path) -> None:
    """The project's `.venv`: installing a distribution changes its site-packages."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = project / ".venv" / "lib" / version / "site-packages"
    site.mkdir(parents=True)
    (project / ".venv" / "bin").mkdir()
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (project / ".venv" / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\nversion = {sys.version.split()[0]}\n")
    age(project)
    folder = tmp_path / "cache"
    run(check, project, "--cache-dir", str(folder))
    poison(folder)
    assert poisoned(run(check, project, "--cache-dir", str(folder)))
    metadata = site / "requests-2.32.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.32.0\n")
    assert not poisoned(run(check, project, "--cache-dir", str(folder)))


def test_a_corrupt_entry_is_ignored_and_rewritten(check, project: Path, cached) -> None:
    folder, cold = cached
    (entry,) = entries(folder)
    entry.write_text('{"key": ')
    assert run(check, project, "--cache-dir", str(folder)) == cold
    assert json.loads(entry.read_text())["report"]["findings"]


def test_an_entry_of_another_shape_is_ignored(check, project: Path, cached) -> None:
    folder, cold = cached
    (entry,) = entries(folder)
    entry.write_text(json.dumps({"key": json.loads(entry.read_text())["key"], "tree": 1}))
    assert run(check, project, "--cache-dir", str(folder)) == cold


def test_fixes_never_trust_the_cache(check, project: Path, cached) -> None:
    folder, _ = cached
    for entry in entries(folder):
        data = json.loads(entry.read_text())
        data["report"]["findings"] = []
        entry.write_text(json.dumps(data))
    assert run(check, project, "--cache-dir", str(folder)) == []  # the poison: no findings
    check(str(project / "flows.py"), "--no-probe", "--cache-dir", str(folder), "--fix")
    assert "batch=None" in (project / "flows.py").read_text()


def test_it_lives_in_the_project_root_with_its_own_gitignore(check, project: Path, monkeypatch) -> None:
    monkeypatch.delenv(result_cache.ENVIRONMENT_VARIABLE, raising=False)
    run(check, project)
    folder = project / result_cache.FOLDER_NAME
    assert folder.is_dir() and not entries(folder)  # making it changed the root's stamp just now
    age(project)
    run(check, project)
    assert entries(folder)
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"


def test_the_environment_variable_moves_it(check, project: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(result_cache.ENVIRONMENT_VARIABLE, str(tmp_path / "elsewhere"))
    run(check, project)
    assert entries(tmp_path / "elsewhere")
    assert not (project / result_cache.FOLDER_NAME).exists()


def test_no_cache_reads_and_writes_nothing(check, project: Path, cached, monkeypatch) -> None:
    folder, cold = cached
    monkeypatch.delenv(result_cache.ENVIRONMENT_VARIABLE, raising=False)
    assert run(check, project, "--cache-dir", str(folder), "--no-cache") == cold
    assert not (project / result_cache.FOLDER_NAME).exists()


def test_a_result_depending_on_a_file_changed_just_now_is_not_kept(check, project: Path, tmp_path: Path) -> None:
    (project / "helpers.py").write_text('SETTINGS = {"url": "https://example.net/"}\n')
    folder = tmp_path / "cache"
    run(check, project, "--cache-dir", str(folder))
    assert entries(folder) == []


def test_verbose_says_how_many_results_came_from_the_cache(check, project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    args = (str(project), "--no-probe", "--jobs", "1", "--cache-dir", str(folder), "--verbose")
    _, _, first = check(*args)
    _, _, second = check(*args)
    assert "checked 3 files: 0 from the result cache" in first
    assert "checked 3 files: 3 from the result cache" in second
