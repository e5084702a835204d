"""Linting executes nothing the checked tree names: no interpreter, script or compiled module of
the project or of an environment it names runs, and the findings those would have helped with
are still reported from what the files say. Only `check --probe` runs the project's code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trust_project import TrustProject, build_trust_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> TrustProject:
    built = build_trust_project(tmp_path)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    return built


def test_the_markers_record_what_runs_them(project: TrustProject) -> None:
    """The test can fail: each kind of marker does record being run or imported."""
    subprocess.run([str(project.root / ".venv" / "bin" / "python"), "-c", "pass"], check=False)
    subprocess.run([sys.executable, "-c", "import evil_ext"], cwd=next((project.root / ".venv" / "lib").glob("*/site-packages")), check=True)
    subprocess.run([sys.executable, "-c", "import tree_ext"], cwd=project.root, check=True)
    ran = project.ran()
    assert len(ran) == 3 and ran[1:] == ["imported evil_ext", "imported tree_ext"], ran


def _findings(check, *args: str) -> list[tuple[str, str]]:
    _, findings = check.json(*args)
    return [(f["code"], f["message"]) for f in findings]


def _expect_static_findings(findings: list[tuple[str, str]]) -> None:
    codes = [code for code, _ in findings]
    assert "PP102" in codes, findings
    # The import name maps to its distribution through metadata read off disk.
    assert any(code == "PP306" and "acme-data-tools" in message for code, message in findings), findings
    # Jedi followed `acme_tools.open_warehouse()` into the environment's sources.
    assert any(code == "PP203" and "sqlite3" in message for code, message in findings), findings


def _without_probe_python(project: TrustProject) -> None:
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('python = "./evil.sh"\n', ""))


@pytest.mark.parametrize("probe_flag", [[], ["--no-probe"]])
def test_check_reads_the_project_venv_without_running_it(project: TrustProject, check, monkeypatch, probe_flag) -> None:
    """`probe.enabled` in pyproject.toml, a `.venv` and a `venv` of the project's own, `python`
    first on PATH: none of them runs, and the `.venv`'s metadata and sources are read."""
    _without_probe_python(project)
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("PATH", f"{project.path_bin}{os.pathsep}{os.environ['PATH']}")
    _expect_static_findings(_findings(check, ".", *probe_flag))
    assert project.ran() == []


@pytest.mark.parametrize("python", ["./evil.sh", "python"])
def test_check_does_not_run_the_configured_interpreter(project: TrustProject, check, monkeypatch, python) -> None:
    """`probe.python` names a script of the tree, or a command that PATH finds in the tree."""
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"./evil.sh"', f'"{python}"'))
    monkeypatch.setenv("PATH", f"{project.path_bin}{os.pathsep}{os.environ['PATH']}")
    codes = [code for code, _ in _findings(check, str(project.root), "--no-probe")]
    assert "PP102" in codes and "PP306" in codes
    assert project.ran() == []


def test_an_active_virtual_environment_is_read_not_run(project: TrustProject, check, monkeypatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(project.outside_venv))
    _without_probe_python(project)
    _expect_static_findings(_findings(check, str(project.root)))
    assert project.ran() == []


def test_the_project_setting_tells_check_to_ask_for_probe(project: TrustProject, check) -> None:
    status, out, err = check(str(project.root))
    assert "probe.enabled" in err and "--probe" in err
    assert project.ran() == []


def test_only_check_probe_runs_the_named_interpreter(project: TrustProject, check) -> None:
    _, out, _ = check(str(project.root / "flows" / "etl.py"), "--probe")
    assert "PP305" in out  # the marker is no interpreter: the probe could not start it
    assert project.ran() and all("evil.sh" in line for line in project.ran())


def test_python_m_does_not_import_from_the_working_directory(project: TrustProject) -> None:
    """`python -m prefect_pitfalls` started in the project: its `yaml.py` shadows nothing."""
    (project.root / "yaml.py").write_text(f"open({str(project.marker)!r}, 'a').write('imported yaml.py\\n')\n")
    done = subprocess.run(
        [sys.executable, "-m", "prefect_pitfalls", "check", "prefect.yaml", "flows", "--no-probe"],
        cwd=project.root, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert project.ran() == []
