"""PP306 counts what the project's installed metadata says a declared distribution brings
(`Requires-Dist`, transitively, extras and markers followed) and the import names its files
provide; the project's `.venv` is read from files and never run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from environments import fake_distribution, marker_venv, ran

FLOW = "import {module}\nfrom prefect import flow\n\n\n@flow\ndef etl():\n    return {module}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch):
    """A repository whose `.venv` python is a marker executable; returns (root, site-packages)."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    site = marker_venv(root / ".venv", tmp_path / "ran")
    fake_distribution(site, "prefect", {"prefect/__init__.py": ""}, version="3.9.1")
    yield root, site
    assert ran(tmp_path / "ran") == []


def declare(root: Path, dependencies: list[str], module: str) -> None:
    listed = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(f'[project]\nname = "etl"\ndependencies = ["prefect", {listed}]\n')
    (root / "flows").mkdir(exist_ok=True)
    (root / "flows" / "etl.py").write_text(FLOW.format(module=module))


def reported(check, root: Path) -> list[str]:
    _, findings = check.json(str(root), "--select", "PP306", "--no-probe")
    return [finding["message"] for finding in findings]


def test_a_declared_distribution_brings_what_it_requires(project, check):
    root, site = project
    fake_distribution(site, "pandas", {"pandas/__init__.py": ""}, ["numpy>=1.22", "python-dateutil>=2.8"])
    fake_distribution(site, "numpy", {"numpy/__init__.py": ""})
    declare(root, ["pandas"], "numpy")
    assert reported(check, root) == []


def test_what_it_brings_is_followed_transitively(project, check):
    root, site = project
    fake_distribution(site, "seaborn", {"seaborn/__init__.py": ""}, ["matplotlib!=3.6.1"])
    fake_distribution(site, "matplotlib", {"matplotlib/__init__.py": ""}, ["pillow>=8"])
    fake_distribution(site, "pillow", {"PIL/__init__.py": ""}, top_level="PIL\n")
    declare(root, ["seaborn"], "PIL")
    assert reported(check, root) == []


def test_an_installed_distribution_that_nothing_declared_requires_is_reported(project, check):
    root, site = project
    fake_distribution(site, "pandas", {"pandas/__init__.py": ""}, ["python-dateutil>=2.8"])
    fake_distribution(site, "numpy", {"numpy/__init__.py": ""})
    declare(root, ["pandas"], "numpy")
    (message,) = reported(check, root)
    assert message.startswith("`numpy` is not declared")


def test_markers_are_evaluated_for_the_projects_interpreter(project, check):
    root, site = project  # the `.venv` is Python 3.11
    requires = ["tomli; python_version < '3.11'", "idna; python_version >= '3.11'"]
    fake_distribution(site, "httpx", {"httpx/__init__.py": ""}, requires)
    fake_distribution(site, "tomli", {"tomli/__init__.py": ""})
    fake_distribution(site, "idna", {"idna/__init__.py": ""})
    declare(root, ["httpx"], "idna")
    assert reported(check, root) == []
    declare(root, ["httpx"], "tomli")
    (message,) = reported(check, root)
    assert message.startswith("`tomli` is not declared")


@pytest.mark.parametrize(("declared", "found"), [("pandas[excel]", 0), ("pandas", 1)])
def test_extras_count_only_when_the_declaration_asks_for_them(project, check, declared, found):
    root, site = project
    fake_distribution(site, "pandas", {"pandas/__init__.py": ""}, ["numpy", "openpyxl>=3; extra == 'excel'"])
    fake_distribution(site, "openpyxl", {"openpyxl/__init__.py": ""})
    declare(root, [declared], "openpyxl")
    assert len(reported(check, root)) == found


def test_an_import_name_comes_from_the_files_a_declared_distribution_installed(project, check):
    root, site = project
    fake_distribution(site, "ctos-meval", {"meval/__init__.py": "", "meval/score.py": ""})
    fake_distribution(site, "eval-suite", {"eval_suite/__init__.py": ""}, ["ctos-meval"])
    declare(root, ["eval-suite"], "meval")
    assert reported(check, root) == []
    fake_distribution(site, "requests", {"requests/__init__.py": ""})
    declare(root, ["requests"], "meval")
    (message,) = reported(check, root)
    assert message.startswith("`ctos-meval` is not declared") and "It provides `meval`" in message


def test_a_newly_installed_requirement_is_seen_on_the_next_check(project, check):
    root, site = project
    fake_distribution(site, "numpy", {"numpy/__init__.py": ""})
    fake_distribution(site, "pandas", {"pandas/__init__.py": ""}, version="0.1")
    declare(root, ["pandas"], "numpy")
    assert len(reported(check, root)) == 1
    shutil.rmtree(site / "pandas-0.1.dist-info")
    fake_distribution(site, "pandas", {"pandas/__init__.py": ""}, ["numpy>=1.22"], version="2.2")
    assert reported(check, root) == []


def test_a_declared_distribution_whose_requirements_are_unknown_silences_the_rule(project, check):
    """Not installed and in no lock: whatever it brings may be what the module imports."""
    root, site = project
    fake_distribution(site, "numpy", {"numpy/__init__.py": ""})
    fake_distribution(site, "polars", {"polars/__init__.py": ""})
    declare(root, ["polars"], "numpy")
    assert len(reported(check, root)) == 1
    declare(root, ["polars", "pandas"], "numpy")
    assert reported(check, root) == []


def test_an_empty_requirements_file_is_not_the_declaration_reported_against(project, check):
    root, site = project
    fake_distribution(site, "requests", {"requests/__init__.py": ""})
    fake_distribution(site, "httpx", {"httpx/__init__.py": ""})
    declare(root, ["httpx"], "requests")
    (root / "requirements.txt").write_text("# pinned by the image\n\n")
    (message,) = reported(check, root)
    assert message.endswith("It is not in `pyproject.toml`.")


def test_an_empty_requirements_file_alone_declares_nothing(project, check):
    root, site = project
    fake_distribution(site, "requests", {"requests/__init__.py": ""})
    (root / "flows").mkdir()
    (root / "flows" / "etl.py").write_text(FLOW.format(module="requests"))
    (root / "requirements.txt").write_text("\n")
    assert reported(check, root) == []


def test_prefects_extras_bring_their_integration_and_what_it_requires(project, check):
    root, site = project
    fake_distribution(site, "boto3", {"boto3/__init__.py": ""})
    fake_distribution(site, "prefect-aws", {"prefect_aws/__init__.py": ""}, ["boto3>=1.24"])
    fake_distribution(site, "polars", {"polars/__init__.py": ""})
    declare(root, ["prefect[aws]"], "boto3")
    assert reported(check, root) == []
    declare(root, ["polars"], "boto3")
    (message,) = reported(check, root)
    assert message.startswith("`boto3` is not declared")
