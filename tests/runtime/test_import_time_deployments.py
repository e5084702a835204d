"""What PP303 reports about deployments, against real Prefect: importing a module that applies a
deployment at module level registers it, and again on every import (each time a worker loads the
flow); a module that only builds a deployment object registers nothing.

Prefect 3.9.1 runs against one local server; Prefect 2.20.27 against its ephemeral API in a
Prefect home of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("prefect")

import test_prefect_serialization_facts as facts

local_server = facts.prefect3_api_url

PREFECT3_MODULE = """
from prefect import flow


@flow
def etl():
    return 1


etl.to_deployment(name="built-only")
etl.to_deployment(name="applied").apply()
"""

PREFECT2_MODULE = """
from prefect import flow
from prefect.deployments import Deployment


@flow
def etl():
    return 1


Deployment.build_from_flow(flow=etl, name="applied", apply=True, skip_upload=True)
Deployment.build_from_flow(flow=etl, name="built-only", skip_upload=True)
"""

LIST_DEPLOYMENTS = """
import asyncio, json
from prefect.client.orchestration import get_client


async def main():
    async with get_client() as client:
        found = await client.read_deployments()
        print(json.dumps({d.name: str(d.updated) for d in found}))


asyncio.run(main())
"""


def run(python: str, folder: Path, environment: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [python, "-c", code], cwd=folder, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def deployments_after_imports(python: str, folder: Path, environment: dict[str, str], module: str) -> list[dict]:
    """The deployments (name → last update) after each of two imports of the module."""
    (folder / "reports.py").write_text(textwrap.dedent(module))
    seen = []
    for _ in range(2):
        run(python, folder, environment, "import reports")
        seen.append(json.loads(run(python, folder, environment, LIST_DEPLOYMENTS).strip().splitlines()[-1]))
    return seen


def test_prefect3_an_applied_deployment_is_registered_by_every_import(local_server, tmp_path: Path) -> None:
    environment = facts.prefect_environment(tmp_path / "home", PREFECT_API_URL=local_server)
    first, second = deployments_after_imports(sys.executable, tmp_path, environment, PREFECT3_MODULE)
    assert sorted(first) == sorted(second) == ["applied"]  # `to_deployment` alone registers nothing
    assert second["applied"] != first["applied"]  # applied again by the second import


def test_prefect2_build_from_flow_with_apply_registers_on_every_import(prefect2_python, tmp_path: Path) -> None:
    environment = facts.prefect_environment(tmp_path / "home")
    first, second = deployments_after_imports(prefect2_python, tmp_path, environment, PREFECT2_MODULE)
    assert sorted(first) == sorted(second) == ["applied"]  # built without `apply` registers nothing
    assert second["applied"] != first["applied"]
