"""The deployment findings against real Prefect 3.9.1: a project they pass deploys with `prefect deploy`
and runs on a process worker; a project with an unresolvable local import deploys too, and its flow run
fails on the worker with the `ModuleNotFoundError` that PP308 predicts.

Both projects go to one local server and one process work pool, the way users deploy them: the CLI
run from the project's root, then `prefect deployment run`, then one `prefect worker start`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect")

import test_prefect_serialization_facts as facts

prefect_environment = facts.prefect_environment
local_server = facts.prefect3_api_url
"""The API URL of one local Prefect 3.9.1 server for this module (a module-scoped fixture)."""

PROJECTS = Path(__file__).parent / "deploy_projects"
WORK_POOL = "deploy-and-run"
CLI_TIMEOUT = 180
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
DEPLOYMENTS = {"resolves": "resolves", "sibling_import": "sibling-import"}
"""Each fixture project's deployment, by the project's folder."""
MISSING_HELPERS = "ModuleNotFoundError: No module named 'helpers'"


def copy_project(name: str, destination: Path) -> Path:
    """A copy of a fixture project as a repository, its pull step naming the copy's own folder."""
    root = shutil.copytree(PROJECTS / name, destination / name).resolve()
    (root / ".git").mkdir()
    yaml = root / "prefect.yaml"
    text = (
        yaml.read_text()
        .replace("PROJECT_ROOT", str(root))
        .replace("WORK_POOL", WORK_POOL)
    )
    yaml.write_text(text)
    return root


def prefect(environment: dict[str, str], cwd: Path, *args: str) -> str:
    """Run the `prefect` CLI; its output, stdout and stderr together."""
    done = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (
        f"prefect {' '.join(args)} exited {done.returncode}:\n{done.stdout[-4000:]}"
    )
    return done.stdout


def flow_run(api_url: str, run_id: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{api_url}/flow_runs/{run_id}", timeout=30) as answer:
        return json.load(answer)


def final_state(api_url: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = flow_run(api_url, run_id)["state"]
        if state["type"] in TERMINAL or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("deploy-projects")
    return {name: copy_project(name, folder) for name in DEPLOYMENTS}


@pytest.fixture(scope="module")
def runs(
    projects: dict[str, Path],
    local_server: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Both projects deployed, run once each, and picked up by one worker: their final states and
    the worker's output (which holds the flow runs' own output)."""
    home = tmp_path_factory.mktemp("deploy-home")
    environment = prefect_environment(home, PREFECT_API_URL=local_server)
    prefect(environment, home, "work-pool", "create", WORK_POOL, "--type", "process")
    run_ids = {}
    for name, root in projects.items():
        prefect(environment, root, "deploy", "--all", "--no-prompt")
        started = prefect(
            environment, root, "deployment", "run", f"etl/{DEPLOYMENTS[name]}"
        )
        run_ids[name] = re.search(r"UUID: ([0-9a-f-]{36})", started).group(1)
    worker = prefect(
        environment,
        home,
        "worker",
        "start",
        "--pool",
        WORK_POOL,
        "--run-once",
        "--limit",
        "2",
    )
    states = {
        name: final_state(local_server, run_id) for name, run_id in run_ids.items()
    }
    return {"states": states, "worker": worker}


def findings(check, root: Path) -> list[dict]:
    return check.json(str(root), "--select", "PP307,PP308", "--no-probe")[1]


def test_the_clean_project_has_no_deployment_finding(projects, check) -> None:
    assert findings(check, projects["resolves"]) == []


def test_the_sibling_import_is_reported_as_the_worker_will_fail(
    projects, check
) -> None:
    (finding,) = findings(check, projects["sibling_import"])
    assert finding["code"] == "PP308"
    assert finding["path"].endswith("flows/etl.py") and finding["line"] == 1
    assert finding["message"].startswith(
        "A worker cannot import `lib.tools`: it imports `helpers`, not on sys.path. "
    )
    assert "`helpers` (flows/lib/tools.py:1) is in `flows/lib`" in finding["message"]
    assert "Prefect's loader puts `flows`, `.` first on sys.path" in finding["message"]


def test_the_clean_project_deploys_and_completes_on_the_worker(projects, runs) -> None:
    state = runs["states"]["resolves"]
    assert state["type"] == "COMPLETED", f"{state}\n{runs['worker'][-4000:]}"
    # The loader's sys.path, as the finding models it: the entrypoint's folder, then the pulled directory.
    root = projects["resolves"]
    assert (
        f"import folders while loading: {json.dumps([str(root / 'flows'), str(root)])}"
        in runs["worker"]
    )


def test_the_sibling_import_fails_on_the_worker_as_predicted(projects, runs) -> None:
    state = runs["states"]["sibling_import"]
    # The state says only that the process exited; the error the finding names is in the worker's output.
    assert state["type"] == "CRASHED", f"{state}\n{runs['worker'][-4000:]}"
    assert MISSING_HELPERS in runs["worker"]
    assert (
        f'{projects["sibling_import"] / "flows/lib/tools.py"}", line 1, in <module>'
        in runs["worker"]
    )
