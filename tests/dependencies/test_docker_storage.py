"""Prefect 1 Docker storage: its python_dependencies, the flows it is attached to, and additions."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from dependency_edits import apply
from prefect_pitfalls.dependencies import docker_storage_declarations
from prefect_pitfalls.findings import Span
from prefect_pitfalls.source import parse

MODULE = """\
from prefect import Flow, task
from prefect.storage import Docker

storage = Docker(
    registry_url="registry.example.com/etl",
    image_name="etl",
    python_dependencies=[
        "pandas==2.1.4",
        "boto3",
    ],
)


@task
def extract():
    import pandas
    return pandas.DataFrame()


with Flow("etl", storage=storage) as etl_flow:
    extract()

inline_flow = Flow("inline", storage=Docker(python_dependencies=['requests', 'PyYAML>=6']))

assigned_flow = Flow("assigned")
assigned_flow.storage = Docker(base_image="python:3.11")

shared_flow = Flow("shared")
shared_flow.storage = storage
"""


def storages(text: str, path: Path = Path("/project/flows/etl.py")):
    source = parse(textwrap.dedent(text))
    return docker_storage_declarations(source.tree, source.lines, path, source.line_break), source


def added(text: str, position: int = 0, name: str = "PyYAML") -> str:
    found, _ = storages(text)
    result = apply(text, found[position].declaration.addition(name))
    ast.parse(result)
    return result


def test_every_attachment_form():
    found, source = storages(MODULE)
    assert [(s.flows, sorted(s.names), s.declaration.complete) for s in found] == [
        (("etl_flow", "shared_flow"), ["boto3", "pandas"], True),
        (("inline_flow",), ["pyyaml", "requests"], True),
        (("assigned_flow",), [], True),
    ]
    assert found[0].span == Span(4, 10, 11, 1)
    assert source.segment(found[2].span) == 'Docker(base_image="python:3.11")'
    assert all(s.declaration.kind == "docker-storage" and s.declaration.path == Path("/project/flows/etl.py") for s in found)


def test_addition_to_a_multi_line_list():
    assert added(MODULE) == MODULE.replace('        "boto3",\n', '        "boto3",\n        "PyYAML",\n')


def test_addition_to_a_single_line_list_keeps_its_quotes():
    assert added(MODULE, 1, "httpx") == MODULE.replace("'PyYAML>=6']", "'PyYAML>=6', 'httpx']")


def test_addition_of_the_keyword():
    assert added(MODULE, 2) == MODULE.replace(
        'Docker(base_image="python:3.11")', 'Docker(base_image="python:3.11", python_dependencies=["PyYAML"])'
    )


def test_addition_of_the_keyword_to_multi_line_arguments():
    text = 'import prefect\n\nstorage = prefect.storage.Docker(\n    image_name="etl",\n    image_tag="latest",\n)\n'
    assert added(text) == (
        'import prefect\n\nstorage = prefect.storage.Docker(\n    image_name="etl",\n    image_tag="latest",\n'
        '    python_dependencies=["PyYAML"],\n)\n'
    )


def test_addition_to_an_empty_call_an_empty_list_and_none():
    assert added("from prefect.storage import Docker\ns = Docker()\n") == (
        'from prefect.storage import Docker\ns = Docker(python_dependencies=["PyYAML"])\n'
    )
    assert added("from prefect.storage import Docker\ns = Docker(python_dependencies=[])\n") == (
        'from prefect.storage import Docker\ns = Docker(python_dependencies=["PyYAML"])\n'
    )
    assert added("from prefect.storage import Docker\ns = Docker(python_dependencies=None, image_name='x')\n") == (
        "from prefect.storage import Docker\ns = Docker(python_dependencies=[\"PyYAML\"], image_name='x')\n"
    )


def test_a_module_level_list_is_followed_and_added_to():
    text = (
        'from prefect.storage import Docker\n\nDEPENDENCIES = [\n    "pandas",  # frames\n]\n\n'
        "storage = Docker(python_dependencies=DEPENDENCIES)\n"
    )
    found, _ = storages(text)
    assert found[0].names == {"pandas"}
    assert added(text) == text.replace('    "pandas",  # frames\n', '    "pandas",  # frames\n    "PyYAML",\n')


def test_non_literal_entries_make_it_incomplete():
    text = (
        "from prefect.storage import Docker\nimport os\n"
        "a = Docker(python_dependencies=['pandas', os.environ['EXTRA']])\n"
        "b = Docker(python_dependencies=make_list())\n"
        "c = Docker(**settings)\n"
    )
    found, _ = storages(text)
    assert [(sorted(s.names), s.declaration.complete) for s in found] == [(["pandas"], False), ([], False), ([], False)]
    assert found[1].declaration.addition("x") is None


def test_names_resolve_through_the_imports_only():
    text = """\
        import prefect
        import prefect.storage as ps
        from prefect.storage import Docker as D
        from prefect.storage.docker import Docker as DockerStorage
        from prefect.environments.storage import Docker as Legacy
        from mylib import Docker
        from prefect import Flow as F

        a = prefect.storage.Docker(python_dependencies=["a"])
        b = ps.Docker(python_dependencies=["b"])
        c = D(python_dependencies=["c"])
        d = DockerStorage(python_dependencies=["d"])
        e = Legacy(python_dependencies=["e"])
        not_prefect = Docker(python_dependencies=["f"])
        flow = F("x", storage=c)
        other = NotAFlow("y", storage=d)
        """
    found, _ = storages(text)
    assert [sorted(s.names) for s in found] == [["a"], ["b"], ["c"], ["d"], ["e"]]
    assert [s.flows for s in found] == [(), (), ("flow",), (), ()]


def test_columns_after_non_ascii_text():
    text = 'from prefect.storage import Docker\ns = "→"; d = Docker(python_dependencies=["é-pkg" if 0 else "pandas"])\n'
    found, source = storages(text)
    assert source.segment(found[0].span).startswith("Docker(")
    assert found[0].span.column == 13


def test_no_prefect_no_storage():
    assert storages("class Docker: pass\nDocker(python_dependencies=['x'])\n")[0] == []
