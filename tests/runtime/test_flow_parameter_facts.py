"""What real Prefect does with each flow parameter of the JSON parameter table (PP309).

One module defines a flow per table entry, below the table's ``SETUP``. A script, run in the
interpreter of each release, then observes for every flow:
- the parameter schema of the deployment `to_deployment(...).apply()` registers, read back
  from the API: whether the default is in it (and whether building it read an open file);
- a direct call of the flow without the argument (with ``sample`` for a required one):
  whether parameter validation fails the run;
- the JSON round trip of a run's parameters: the client's encoding (`serialize_parameters`)
  and the flow's validation of the decoded value where it runs, against the value the flow
  gets from the default itself;
and, once per release, a run of a deployment executed by `python -m prefect.engine` (what a
worker starts), to see whether a deployed run validates the defaults it was not sent.

Prefect 3.9.1 runs against one local server; Prefect 2.20.27 against its ephemeral API in a
Prefect home of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect")

import test_prefect_serialization_facts as facts
from prefect_pitfalls.serialization.json_parameters import (
    DEPLOYED_RUNS_VALIDATE_DEFAULTS,
    SETUP,
    TABLE,
    JsonParameter,
)

local_server = facts.prefect3_api_url
REJECTED = "parameter validation failed"

OBSERVE = r'''
import asyncio, inspect, json, os, subprocess, sys, warnings

from prefect import get_client
from prefect.utilities.callables import get_call_parameters

import flows_under_test as module

MARKER = "OBSERVED "
cases = json.loads(sys.argv[1])


def outcome(action):
    try:
        return "ok", action()
    except Exception as error:
        return "error", f"{type(error).__name__}: {error}"


def deploy(flow, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return flow.to_deployment(name=name).apply()


async def read_schema(deployment_id):
    async with get_client() as client:
        return (await client.read_deployment(deployment_id)).parameter_openapi_schema


def schema_of(flow, parameter, index):
    default = inspect.signature(flow.fn).parameters[parameter].default
    status, deployment_id = outcome(lambda: deploy(flow, f"case-{index}"))
    if status == "error":
        return deployment_id, None
    properties = asyncio.run(read_schema(deployment_id))["properties"]
    if hasattr(default, "read"):
        return ("read to its end" if default.read() == "" else "kept"), deployment_id
    if default is inspect.Parameter.empty or "default" in properties[parameter]:
        return "kept", deployment_id
    return "dropped", deployment_id


def called(flow, arguments):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = flow(**arguments, return_state=True)
    if state.is_completed():
        return "completed"
    return "parameter validation failed" if "Validation of flow parameters failed" in str(state.message) else str(state)


def sent(flow, arguments):
    """The flow's own value for the parameters, and what it validates from their JSON form."""
    import httpx

    own = flow.validate_parameters(get_call_parameters(flow.fn, (), arguments))
    body = httpx.Request("POST", "http://api/flow_runs/", json=flow.serialize_parameters(own)).content
    status, received = outcome(lambda: flow.validate_parameters(json.loads(body)))
    if status == "error":
        return "fails"
    same = all(type(received[k]) is type(own[k]) and received[k] == own[k] for k in own)
    return "same" if same else "changed"


def deployed_run(flow, deployment_id):
    async def create():
        async with get_client() as client:
            return (await client.create_flow_run_from_deployment(deployment_id)).id

    async def final_state(flow_run_id):
        async with get_client() as client:
            return (await client.read_flow_run(flow_run_id)).state

    flow_run_id = asyncio.run(create())
    environment = dict(os.environ, PREFECT__FLOW_RUN_ID=str(flow_run_id))
    subprocess.run([sys.executable, "-m", "prefect.engine"], env=environment, capture_output=True, timeout=300)
    state = asyncio.run(final_state(flow_run_id))
    return "parameter validation failed" if "Validation of flow parameters failed" in str(state.message) else state.type.value.lower()


observed = {}
for case in cases:
    flow = getattr(module, f"case_{case['index']}")
    parameter = case["name"]
    arguments = {} if case["sample"] is None else {parameter: eval(case["sample"], vars(module))}
    schema, deployment_id = schema_of(flow, parameter, case["index"])
    seen = {"schema": schema, "called": called(flow, arguments)}
    if seen["called"] == "completed" or case["sample"] is not None:
        seen["sent"] = sent(flow, arguments)
    if case.get("deployed_run"):
        seen["deployed_run"] = deployed_run(flow, deployment_id)
    observed[str(case["index"])] = seen
print(MARKER + json.dumps(observed), flush=True)
'''


def entries_of(major: str) -> list[tuple[int, JsonParameter]]:
    return [(index, entry) for index, entry in enumerate(TABLE) if major in entry.majors]


def flows_module(major: str) -> str:
    flows = [f"@flow\ndef case_{index}({entry.parameter}):\n    return None\n" for index, entry in entries_of(major)]
    return "\n".join([SETUP, "from prefect import flow\n", *flows])


def observe(python: str, major: str, folder: Path, environment: dict[str, str]) -> dict[str, Any]:
    (folder / "flows_under_test.py").write_text(flows_module(major))
    (folder / "observe.py").write_text(OBSERVE)
    cases = [
        {"index": index, "name": entry.name, "sample": entry.sample, "deployed_run": entry.parameter == "value: int = None"}
        for index, entry in entries_of(major)
    ]
    done = subprocess.run(
        [python, "observe.py", json.dumps(cases)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=900, check=False,
    )
    reports = [line for line in done.stdout.splitlines() if line.startswith("OBSERVED ")]
    assert done.returncode == 0 and reports, f"exited {done.returncode}:\n{done.stderr[-4000:]}"
    return {int(index): seen for index, seen in json.loads(reports[-1].removeprefix("OBSERVED ")).items()}


@pytest.fixture(scope="module")
def prefect3_parameters(local_server, tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("prefect3-parameters")
    environment = facts.prefect_environment(folder / "home", PREFECT_API_URL=local_server)
    return observe(sys.executable, "3", folder, environment)


@pytest.fixture(scope="module")
def prefect2_parameters(prefect2_python: str, tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("prefect2-parameters")
    return observe(prefect2_python, "2", folder, facts.prefect_environment(folder / "home"))


@pytest.fixture(params=["2", "3"])
def observed(request: pytest.FixtureRequest) -> tuple[str, dict[int, dict[str, Any]]]:
    return request.param, request.getfixturevalue(f"prefect{request.param}_parameters")


def assert_entry(entry: JsonParameter, seen: dict[str, Any]) -> None:
    assert seen["schema"] == entry.schema
    assert seen["called"] == ("completed" if entry.default_validates else REJECTED)
    if entry.default_validates:
        assert seen["sent"] == entry.sent


@pytest.mark.parametrize("index", range(len(TABLE)), ids=[entry.parameter for entry in TABLE])
def test_entry_is_what_prefect_does(index: int, observed) -> None:
    major, by_index = observed
    entry = TABLE[index]
    if major not in entry.majors:
        pytest.skip(f"Prefect {major} has no such object")
    assert_entry(entry, by_index[index])


def test_a_deployed_run_validates_omitted_defaults_only_on_prefect_3(observed) -> None:
    major, by_index = observed
    (seen,) = [by_index[index] for index, entry in entries_of(major) if entry.parameter == "value: int = None"]
    validated = seen["deployed_run"] == REJECTED
    assert seen["deployed_run"] in (REJECTED, "completed")
    assert validated == DEPLOYED_RUNS_VALIDATE_DEFAULTS[major]
