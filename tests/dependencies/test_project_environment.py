"""The project interpreter's metadata, read by running the probe script in it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from prefect_pitfalls.dependencies import _environment_probe as probe
from prefect_pitfalls.dependencies import (
    distributions_for,
    prefect_dependencies,
    read_environment,
)
from prefect_pitfalls.dependencies import environment as environment_module
from prefect_pitfalls.dependencies.environment import parse_probe_output
from prefect_pitfalls.dependencies.prefect_requirements import PREFECT_REQUIREMENTS

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


def test_the_answer_is_cached(environment, monkeypatch):
    monkeypatch.setattr(environment_module, "_run_probe", lambda *args: pytest.fail("ran again"))
    assert read_environment(PYTHON) is environment


def test_a_missing_or_failing_interpreter_gives_none(tmp_path: Path):
    assert read_environment(str(tmp_path / "no-such-python")) is None
    failing = tmp_path / "python"
    failing.write_text("#!/bin/sh\nexit 3\n")
    failing.chmod(0o755)
    assert read_environment(str(failing)) is None
    garbage = tmp_path / "garbage"
    garbage.write_text("#!/bin/sh\necho not json\n")
    garbage.chmod(0o755)
    assert read_environment(str(garbage)) is None


def test_a_hanging_interpreter_times_out(tmp_path: Path):
    hanging = tmp_path / "python"
    hanging.write_text("#!/bin/sh\nexec sleep 30\n")
    hanging.chmod(0o755)
    assert read_environment(str(hanging), timeout=0.5) is None


def test_parse_probe_output():
    text = (
        'warning on stdout\n{"packages_distributions": {"yaml": ["PyYAML"]}, "installed": ["PyYAML"],'
        ' "prefect_version": null, "prefect_closure": []}\n'
    )
    parsed = parse_probe_output("python", text)
    assert parsed.packages == {"yaml": ("PyYAML",)} and parsed.installed == {"pyyaml"}
    assert parsed.prefect_version is None and parsed.prefect_major is None
    assert parse_probe_output("python", "") is None
    assert parse_probe_output("python", '{"error": "no metadata"}') is None


def fake_distribution(site: Path, name: str, files: dict[str, str], requires: list[str] = (), top_level: str | None = None):
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
    (info / "METADATA").write_text(metadata)
    record = []
    for path, text in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text)
        record.append(f"{path},,")
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level)
    (info / "RECORD").write_text("\n".join(record) + "\n")


def test_the_probe_narrows_shared_namespaces_and_follows_extras(tmp_path: Path):
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
    described = probe.describe([str(site)])
    packages = described["packages_distributions"]
    assert sorted(packages["google"]) == ["google-cloud-bigquery", "google-cloud-storage", "protobuf"]
    assert packages["google.cloud.storage"] == ["google-cloud-storage"]
    assert packages["google.protobuf"] == ["protobuf"]
    assert "google.cloud.storage.blob" not in packages  # already down to one distribution
    assert packages["yaml"] == ["PyYAML"] and packages["_yaml"] == ["PyYAML"]
    assert described["prefect_version"] == "1.0"
    assert described["prefect_closure"] == ["h2", "httpx", "prefect", "pyyaml"]
    assert distributions_for("google.cloud.storage", packages) == ("google-cloud-storage",)


def test_the_probe_evaluates_markers_without_packaging():
    assert probe.evaluate_roughly("python_version < '3.8'", "")
    assert not probe.evaluate_roughly("extra == 'aws'", "")
    assert probe.evaluate_roughly("extra == 'http2'", "http2")
    assert probe.parse_requirement("Foo_Bar[X, y] >=1 ; extra == 'z'") == ("foo-bar", ("x", "y"), "extra == 'z'")


def test_the_probe_runs_on_old_pythons_syntax():
    """It must run in a project's interpreter, possibly Python 3.7: no newer syntax."""
    import ast

    tree = ast.parse(Path(probe.__file__).read_text(), feature_version=(3, 7))
    assert not any(isinstance(node, ast.NamedExpr) for node in ast.walk(tree))


def test_prefect_dependencies_by_version(environment):
    assert prefect_dependencies("3", environment) == environment.prefect_closure
    assert prefect_dependencies(None, environment) == environment.prefect_closure
    assert prefect_dependencies("1", environment) == PREFECT_REQUIREMENTS["1"]
    assert {"dask", "distributed", "marshmallow"} <= prefect_dependencies("1")
    assert prefect_dependencies("2/3") == PREFECT_REQUIREMENTS["2"] | PREFECT_REQUIREMENTS["3"]


def test_the_known_prefect_3_requirements_cover_the_installed_release(environment):
    assert environment.prefect_closure <= PREFECT_REQUIREMENTS["3"]
