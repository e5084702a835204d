"""`pyproject.toml` dependencies: names, groups, and an addition formatted like its neighbours."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from dependency_edits import apply
from prefect_pitfalls.dependencies import read_pyproject
from prefect_pitfalls.dependencies._toml import scan, tokens

MULTI_LINE = """\
[build-system]
requires = ["setuptools>=68"]

[project]
name = "etl-flows"
description = "Flows with ] and # in strings"
dependencies = [
    "prefect>=3.0,<4",  # the orchestrator, not "a]b"
    'pandas[excel]; python_version >= "3.10"',
    "s3fs]",  # not a valid requirement: ignored
    # "polars",  commented out
]

[project.optional-dependencies]
aws = ["boto3>=1.34"]
dev = ["pytest"]

[tool.ruff]
line-length = 100
"""


def read(text: str, groups=()):
    return read_pyproject(Path("/project/pyproject.toml"), groups, text=text)


def added(text: str, name: str = "PyYAML", groups=()) -> str:
    edit = read(text, groups).addition(name)
    result = apply(text, edit)
    data = tomllib.loads(result)
    assert name in data["project"]["dependencies"]
    return result


def test_names_of_a_multi_line_array_with_comments_and_groups():
    declaration = read(MULTI_LINE, groups=["aws"])
    assert declaration.kind == "pyproject"
    assert declaration.names == {"prefect", "pandas", "boto3"}
    assert not declaration.complete
    assert declaration.target == Path("/project/pyproject.toml")


def test_addition_to_a_multi_line_array():
    assert added(MULTI_LINE) == MULTI_LINE.replace(
        """    "s3fs]",  # not a valid requirement: ignored\n""",
        """    "s3fs]",  # not a valid requirement: ignored\n    "PyYAML",\n""",
    )


def test_addition_to_a_multi_line_array_without_a_trailing_comma():
    text = '[project]\nname = "x"\ndependencies = [\n  "prefect",\n  "httpx"  # client\n]\n'
    assert added(text) == '[project]\nname = "x"\ndependencies = [\n  "prefect",\n  "httpx",  # client\n  "PyYAML"\n]\n'


def test_addition_to_a_single_line_array():
    text = "[project]\nname = 'x'\ndependencies = ['prefect>=3','httpx']\n"
    assert added(text) == "[project]\nname = 'x'\ndependencies = ['prefect>=3','httpx','PyYAML']\n"


def test_addition_to_an_empty_array():
    assert added('[project]\ndependencies = []\n') == '[project]\ndependencies = ["PyYAML"]\n'
    assert added('[project]\ndependencies = [\n]\n') == '[project]\ndependencies = ["PyYAML"]\n'


def test_addition_to_an_array_holding_only_comments():
    text = "[project]\ndependencies = [\n    # none yet\n]\n"
    assert added(text) == '[project]\ndependencies = [\n    # none yet\n    "PyYAML",\n]\n'


def test_addition_to_a_hanging_array():
    text = '[project]\ndependencies = ["prefect",\n                "httpx"]\n'
    assert added(text) == '[project]\ndependencies = ["prefect",\n                "httpx",\n                "PyYAML"]\n'


def test_addition_with_windows_line_breaks_and_tabs():
    text = '[project]\r\ndependencies = [\r\n\t"prefect",\r\n]\r\n'
    assert added(text) == '[project]\r\ndependencies = [\r\n\t"prefect",\r\n\t"PyYAML",\r\n]\r\n'


def test_addition_finds_the_array_among_look_alikes():
    text = (
        '[tool.other]\ndependencies = ["x"]\nnote = """\n[project]\ndependencies = ["fake"]\n"""\n'
        "[project]\nname = 'real'\n  dependencies   =   [ \"prefect\" ]  # trailing\n"
    )
    result = added(text)
    assert result.endswith('dependencies   =   [ "prefect", "PyYAML" ]  # trailing\n')
    assert tomllib.loads(result)["tool"]["other"]["dependencies"] == ["x"]


def test_dotted_keys_and_an_inline_table():
    text = 'project.name = "x"\nproject.dependencies = [\n  "prefect",\n]\n'
    assert added(text) == 'project.name = "x"\nproject.dependencies = [\n  "prefect",\n  "PyYAML",\n]\n'
    inline = 'project = { name = "x", dependencies = ["prefect"] }\n'
    assert added(inline) == 'project = { name = "x", dependencies = ["prefect", "PyYAML"] }\n'


def test_without_dependencies_there_is_no_declaration():
    assert read('[project]\nname = "x"\n') is None
    assert read('[tool.prefect-pitfalls]\nselect = ["PP"]\n') is None
    assert read("this is not toml = = \n") is None
    assert read_pyproject(Path("/does/not/exist/pyproject.toml")) is None


def test_dependency_groups_and_includes():
    text = """\
[project]
dependencies = ["prefect"]

[dependency-groups]
etl = ["pandas", {include-group = "cloud"}]
cloud = ["boto3", {include-group = "etl"}]
"""
    assert read(text, groups=["etl"]).names == {"prefect", "pandas", "boto3"}
    assert read(text).names == {"prefect"}


def test_setuptools_dynamic_dependencies_read_the_files(write, apply_edit):
    root = write({
        "pyproject.toml": """\
            [project]
            name = "x"
            dynamic = ["dependencies"]
            [tool.setuptools.dynamic]
            dependencies = {file = ["requirements.in"]}
            """,
        "requirements.in": "prefect\npandas\n",
    })
    declaration = read_pyproject(root / "pyproject.toml")
    assert declaration.names == {"prefect", "pandas"}
    assert declaration.target == root / "requirements.in"
    assert apply_edit("prefect\npandas\n", declaration.addition("PyYAML")) == "prefect\npandas\nPyYAML\n"


POETRY = """\
[tool.poetry]
name = "etl"

[tool.poetry.dependencies]
python = "^3.11"
prefect = "^3.0"   # orchestrator
pandas = { version = "^2.1", extras = ["excel"] }

[tool.poetry.group.dev.dependencies]
pytest = "*"

[build-system]
requires = ["poetry-core"]
"""


def test_poetry_dependencies(apply_edit):
    declaration = read(POETRY, groups=["dev"])
    assert declaration.names == {"prefect", "pandas", "pytest"}
    result = apply_edit(POETRY, declaration.addition("ruamel.yaml"))
    assert result == POETRY.replace(
        'extras = ["excel"] }\n', 'extras = ["excel"] }\n"ruamel.yaml" = "*"\n'
    )
    assert tomllib.loads(result)["tool"]["poetry"]["dependencies"]["ruamel.yaml"] == "*"


def test_tokens_of_every_string_kind():
    text = 'a = """x\n"y"\n""""\nb = \'\'\'z\'\'\'\nc = "q\\"]"\nd = \'lit\\\'\n'
    assert [t.text for t in tokens(text) if t.kind == "string"] == [
        '"""x\n"y"\n""""', "'''z'''", '"q\\"]"', "'lit\\'",
    ]


@pytest.mark.parametrize("text", ["[project\ndependencies = [", 'dependencies = ["x",', "= = =", "[[a]]\nb = [1, [2, 3], {c = 4}]"])
def test_the_scanner_survives_anything(text: str):
    scan(text)
