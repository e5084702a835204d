"""The probe falls back on prefect-pitfalls' own interpreter when nothing names the project's.
Without Prefect there, the user learns how to name one (a PP305 note), not that a correct
`from prefect import flow` fails (PP304). An interpreter named on purpose keeps its PP304."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from no_prefect_env import create_python_without_prefect

FLOWS = "from prefect import flow, task\n\n\n@task\ndef double(x):\n    return 2 * x\n\n\n@flow\ndef etl():\n    return double(2)\n"
PROBE_CODES = ("PP301", "PP302", "PP304", "PP305")


@pytest.fixture(scope="module")
def python_without_prefect(tmp_path_factory: pytest.TempPathFactory) -> str:
    python = create_python_without_prefect(tmp_path_factory.mktemp("no-prefect"))
    assert subprocess.run([python, "-c", "import prefect"], capture_output=True).returncode == 1
    return python


def check_probe(python: str, project: Path, *extra: str) -> list[dict]:
    """`prefect-pitfalls check --probe` run by ``python``, outside any virtual environment."""
    environment = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run(
        [python, "-m", "prefect_pitfalls", "check", "--probe", "--format", "json", *extra, str(project / "etl.py")],
        capture_output=True, text=True, timeout=120, cwd=project, env=environment,
    )
    assert done.returncode in (0, 1), done.stderr
    return [f for f in json.loads(done.stdout) if f["code"] in PROBE_CODES]


def test_own_interpreter_without_prefect_gives_one_note_on_naming_one(tmp_path: Path, python_without_prefect: str) -> None:
    (tmp_path / "etl.py").write_text(FLOWS)
    (note,) = check_probe(python_without_prefect, tmp_path)
    assert (note["code"], note["severity"], note["line"]) == ("PP305", "information", 1)
    message = note["message"]
    assert message.startswith("Probe skipped: no project interpreter with Prefect was found.")
    assert f"Tried {python_without_prefect}," in message
    for way in ("`[tool.prefect-pitfalls.probe] python`", "`prefectPitfalls.probe.python`", "Python extension", "`.venv`"):
        assert way in message


def test_an_interpreter_named_on_purpose_keeps_its_import_error(tmp_path: Path, python_without_prefect: str) -> None:
    (tmp_path / "etl.py").write_text(FLOWS)
    (failure,) = check_probe(python_without_prefect, tmp_path, "--python", python_without_prefect)
    assert (failure["code"], failure["severity"], failure["line"]) == ("PP304", "error", 1)
    assert "No module named 'prefect'" in failure["message"]
