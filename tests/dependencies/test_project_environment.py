"""The project interpreter's installed packages, read from its metadata files without running it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from environments import fake_distribution, marker_executable, marker_venv, ran
from prefect_pitfalls.dependencies import distributions_for, installed, prefect_dependencies, read_environment
from prefect_pitfalls.dependencies import environment as environment_module
from prefect_pitfalls.dependencies.prefect_requirements import PREFECT_REQUIREMENTS
from prefect_pitfalls.project import locate_site_packages

VENV_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


@pytest.fixture(scope="module")
def environment():
    pytest.importorskip("prefect")
    environment_module.clear_cache()
    found = read_environment(PYTHON)
    assert found is not None
    return found


def test_prefect_and_its_closure(environment):
    assert environment.prefect_version == "3.9.1" and environment.prefect_major == "3"
    assert {"prefect", "httpx", "pydantic", "anyio", "cloudpickle", "rich", "pyyaml"} <= environment.prefect_closure
    # Through requested extras: httpx[http2] → h2, sqlalchemy[asyncio] → greenlet.
    assert {"h2", "greenlet"} <= environment.prefect_closure
    # Prefect's own extras, markers false on this interpreter, and unrelated packages stay out.
    assert not {"prefect-aws", "prefect-docker", "uv", "opentelemetry-distro"} & environment.prefect_closure
    assert "pytest" not in environment.prefect_closure and "hypothesis" not in environment.prefect_closure


def test_packages_distributions(environment):
    assert environment.packages["yaml"] == ("PyYAML",)
    assert environment.packages["dateutil"] == ("python-dateutil",)
    assert {"prefect", "pyyaml", "pytest"} <= environment.installed
    assert distributions_for("yaml", environment.packages)[0] == "PyYAML"


RUN_IN_THE_INTERPRETER = """
import json
from importlib import metadata
names = sorted({d.metadata["Name"].lower().replace("_", "-").replace(".", "-") for d in metadata.distributions()})
print(json.dumps({"installed": names, "packages": metadata.packages_distributions()}))
"""


def test_reading_files_gives_what_the_interpreter_itself_reports(environment):
    """Measured against the interpreter's own importlib.metadata (run here, in the test only)."""
    done = subprocess.run([PYTHON, "-I", "-c", RUN_IN_THE_INTERPRETER], capture_output=True, text=True, check=True)
    reported = json.loads(done.stdout)
    assert set(reported["installed"]) == set(environment.installed)
    for name, providers in reported["packages"].items():
        assert set(environment.packages[name]) == set(providers), name


def test_the_answer_is_cached_until_site_packages_change(tmp_path: Path):
    site = marker_venv(tmp_path / "venv", tmp_path / "ran")
    fake_distribution(site, "requests", {"requests/__init__.py": ""})
    python = str(tmp_path / "venv" / "bin" / "python")
    first = read_environment(python)
    assert read_environment(python) is first
    fake_distribution(site, "PyYAML", {"yaml/__init__.py": ""})
    assert read_environment(python).packages["yaml"] == ("PyYAML",)
    assert ran(tmp_path / "ran") == []


def test_a_missing_interpreter_gives_none(tmp_path: Path):
    assert read_environment(str(tmp_path / "no-such-python")) is None


def test_an_environment_is_read_without_running_its_interpreter(tmp_path: Path):
    marker = tmp_path / "ran"
    site = marker_venv(tmp_path / "venv", marker)
    fake_distribution(site, "prefect", {"prefect/__init__.py": ""}, ["httpx>=0.23"], version="2.20.16")
    fake_distribution(site, "httpx", {"httpx/__init__.py": ""})
    fake_distribution(site, "google-cloud-bigquery", {"google/cloud/bigquery/__init__.py": ""})
    found = read_environment(str(tmp_path / "venv" / "bin" / "python"))
    assert found.prefect_version == "2.20.16" and found.prefect_closure == {"prefect", "httpx"}
    assert found.packages["google"] == ("google-cloud-bigquery",)
    assert ran(marker) == []


def test_markers_are_evaluated_for_the_environments_python(tmp_path: Path):
    """`python_version` markers follow the environment's `pyvenv.cfg`, not the reader's Python."""
    requires = ["tomli; python_version < '3.11'", "typing-extensions; python_version >= '3.13'", "idna"]
    closures = {}
    for version in ("3.9", "3.13"):
        site = marker_venv(tmp_path / version, tmp_path / "ran", version)
        fake_distribution(site, "prefect", {"prefect/__init__.py": ""}, requires)
        closures[version] = read_environment(str(tmp_path / version / "bin" / "python")).prefect_closure
    assert closures["3.9"] == {"prefect", "tomli", "idna"}
    assert closures["3.13"] == {"prefect", "typing-extensions", "idna"}


def test_pth_path_lines_and_editable_finders_extend_the_import_path(tmp_path: Path):
    marker = tmp_path / "ran"
    site = marker_venv(tmp_path / "venv", marker)
    (tmp_path / "src").mkdir()
    (tmp_path / "lib" / "mypkg").mkdir(parents=True)
    (site / "project.pth").write_text(f"# comment\n{tmp_path / 'src'}\nimport os; os.system('touch {marker}')\n")
    (site / "__editable___mypkg_1_0_finder.py").write_text(
        f"MAPPING: dict[str, str] = {{'mypkg': {str(tmp_path / 'lib' / 'mypkg')!r}}}\n"
    )
    located = locate_site_packages(str(tmp_path / "venv" / "bin" / "python"))
    assert located.version == (3, 11) and located.full_version == "3.11.4" and not located.own
    assert located.added_paths == (str(tmp_path / "src"), str(tmp_path / "lib"))
    assert ran(marker) == []


def test_a_system_interpreter_and_a_command_name(tmp_path: Path, monkeypatch):
    prefix = tmp_path / "usr"
    marker_executable(prefix / "bin" / "python3.12", tmp_path / "ran")
    (prefix / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    monkeypatch.setenv("PATH", str(prefix / "bin"))
    monkeypatch.setenv("PYTHONNOUSERSITE", "1")
    located = locate_site_packages("python3.12")
    assert located.python == str(prefix / "bin" / "python3.12") and located.version == (3, 12)
    assert located.folders == (str(prefix / "lib" / "python3.12" / "site-packages"),)
    assert ran(tmp_path / "ran") == []


def test_shared_namespaces_are_narrowed_and_extras_followed(tmp_path: Path):
    site = tmp_path / "site"
    fake_distribution(site, "google-cloud-storage", {"google/cloud/storage/__init__.py": "", "google/cloud/storage/blob.py": ""})
    fake_distribution(site, "google-cloud-bigquery", {"google/cloud/bigquery/__init__.py": ""})
    fake_distribution(site, "protobuf", {"google/protobuf/__init__.py": ""})
    fake_distribution(site, "PyYAML", {"yaml/__init__.py": "", "_yaml/__init__.py": ""}, top_level="_yaml\nyaml\n")
    fake_distribution(site, "prefect", {"prefect/__init__.py": ""}, [
        "httpx[http2]>=0.23", "pyyaml", "prefect-aws; extra == 'aws'", "old-backport; python_version < '3.0'",
    ])
    fake_distribution(site, "httpx", {"httpx/__init__.py": ""}, ["h2<5,>=3; extra == 'http2'", "brotli; extra == 'brotli'"])
    fake_distribution(site, "h2", {"h2/__init__.py": ""})
    described = installed.describe([str(site)])
    packages = described.packages
    assert sorted(packages["google"]) == ["google-cloud-bigquery", "google-cloud-storage", "protobuf"]
    assert packages["google.cloud.storage"] == ("google-cloud-storage",)
    assert packages["google.protobuf"] == ("protobuf",)
    assert "google.cloud.storage.blob" not in packages  # already down to one distribution
    assert packages["yaml"] == ("PyYAML",) and packages["_yaml"] == ("PyYAML",)
    assert described.prefect_version == "1.0"
    assert described.prefect_closure == {"h2", "httpx", "prefect", "pyyaml"}
    assert distributions_for("google.cloud.storage", packages) == ("google-cloud-storage",)


def test_prefect_dependencies_by_version(environment):
    assert prefect_dependencies("3", environment) == environment.prefect_closure
    assert prefect_dependencies(None, environment) == environment.prefect_closure
    assert prefect_dependencies("1", environment) == PREFECT_REQUIREMENTS["1"]
    assert {"dask", "distributed", "marshmallow"} <= prefect_dependencies("1")
    assert prefect_dependencies("2/3") == PREFECT_REQUIREMENTS["2"] | PREFECT_REQUIREMENTS["3"]


def test_the_known_prefect_3_requirements_cover_the_installed_release(environment):
    assert environment.prefect_closure <= PREFECT_REQUIREMENTS["3"]
