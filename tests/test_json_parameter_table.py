"""The JSON parameter table decides PP309: every entry, written as a flow parameter below the
table's ``SETUP``, is reported exactly when the entry breaks, at its default (else its
annotation), with the stage at which it breaks. The entries themselves are proven against
real Prefect 2 and 3 in `tests/runtime/test_flow_parameter_facts.py`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from prefect_pitfalls.serialization.json_parameters import (
    BY_KIND,
    DEPLOYED_RUNS_VALIDATE_DEFAULTS,
    JSON_SAFE,
    SETUP,
    TABLE,
    JsonParameter,
)


def module_with(entry: JsonParameter) -> str:
    return f"{SETUP}\nfrom prefect import flow\n\n\n@flow\ndef case({entry.parameter}):\n    return None\n"


def findings_for(check, tmp_path: Path, source: str, major: str) -> list[dict]:
    (tmp_path / "pyproject.toml").write_text(f'[tool.prefect-pitfalls]\nprefect-version = "{major}"\n')
    path = tmp_path / "flows.py"
    path.write_text(source)
    _, findings = check.json(str(path), "--select", "PP309", "--no-probe")
    return findings


def anchor_of(entry: JsonParameter) -> str:
    arguments = ast.parse(f"def case({entry.parameter}): pass").body[0].args
    (argument,) = arguments.args
    return ast.unparse(arguments.defaults[0] if arguments.defaults else argument.annotation)


def stage_words(entry: JsonParameter, major: str) -> str:
    if entry.schema != "kept":
        return "when this flow is deployed"
    if not entry.default_validates:
        return "runs without it fail validation" if DEPLOYED_RUNS_VALIDATE_DEFAULTS[major] else "calls without it fail"
    return "when a scheduled run sends it"


@pytest.mark.parametrize("entry", TABLE, ids=[entry.parameter for entry in TABLE])
def test_the_rule_reports_exactly_the_entries_that_break(entry: JsonParameter, check, tmp_path: Path) -> None:
    major = entry.majors[-1]
    findings = findings_for(check, tmp_path, module_with(entry), major)
    if not entry.breaks:
        assert findings == []
        return
    (finding,) = findings
    lines = module_with(entry).splitlines()
    anchored = lines[finding["line"] - 1][finding["column"] - 1 : finding["end_column"] - 1]
    assert ast.unparse(ast.parse(anchored, mode="eval").body) == anchor_of(entry)
    assert stage_words(entry, major) in finding["message"]


@pytest.mark.parametrize("major", ["2", "3"])
def test_the_message_says_which_runs_validate_the_default(major: str, check, tmp_path: Path) -> None:
    (finding,) = findings_for(check, tmp_path, module_with(BY_KIND["None for an annotation that does not accept None"][0]), major)
    if major == "3":
        assert "runs without it fail validation" in finding["message"] and "defaults of every run" in finding["message"]
    else:
        assert "calls without it fail validation" in finding["message"] and "(not of deployed runs)" in finding["message"]


def test_every_kind_but_the_json_safe_one_breaks() -> None:
    for kind, entries in BY_KIND.items():
        assert all(entry.breaks == (kind != JSON_SAFE) for entry in entries), kind


LOOK_ALIKES = {
    "a task's parameters": "from prefect import task\n\n\n@task\ndef case(client=Plain(), limit: int = None):\n    return None\n",
    "another library's flow": "from mylib import flow\n\n\n@flow\ndef case(client=Plain(), limit: int = None):\n    return None\n",
    "a class the module binds twice": (
        "from prefect import flow\n\nPlain = dict\n\n\n@flow\ndef case(client=Plain(), value: Plain = None):\n    return None\n"
    ),
    "a builtin the module rebinds": (
        "from prefect import flow\n\nint = typing.Optional[int]\n\n\n@flow\ndef case(limit: int = None):\n    return None\n"
    ),
    "a model with validators": (
        "from prefect import flow\n\n\nclass Loose(pydantic.BaseModel):\n    retries: int\n\n"
        "    @pydantic.field_validator('retries', mode='before')\n    def parse(cls, value):\n        return 3\n\n\n"
        "@flow\ndef case(settings: Loose = {'retries': 'often'}):\n    return None\n"
    ),
    "a flow that does not validate its parameters": (
        "from prefect import flow\n\n\n@flow(validate_parameters=False)\n"
        "def case(limit: int = None, settings: Settings = {}, client: Plain = None):\n    return None\n"
    ),
    "a model field with Field()": (
        "from prefect import flow\n\n\nclass Aliased(pydantic.BaseModel):\n    retries: int = pydantic.Field(alias='n')\n\n\n"
        "@flow\ndef case(settings: Aliased = {'n': 3}):\n    return None\n"
    ),
}


@pytest.mark.parametrize("label", sorted(LOOK_ALIKES))
def test_look_alikes_stay_silent(label: str, check, tmp_path: Path) -> None:
    assert findings_for(check, tmp_path, SETUP + "\n" + LOOK_ALIKES[label], "3") == []
