"""Which names are Prefect's, which functions are tasks and flows, which version is in use."""

from __future__ import annotations

import textwrap

import pytest

from prefect_pitfalls.prefect_model import PrefectModel
from prefect_pitfalls.source import parse


def model_of(code: str, version: str = "auto") -> PrefectModel:
    return PrefectModel(parse(textwrap.dedent(code)), version)


def bodies(model: PrefectModel) -> list[tuple[str, str]]:
    return sorted((b.kind, b.name) for b in model.bodies)


@pytest.mark.parametrize(
    "code",
    [
        "import prefect\n@prefect.task\ndef t(): ...\n",
        "import prefect as pf\n@pf.task(retries=2)\ndef t(): ...\n",
        "from prefect import task as t_\n@t_\ndef t(): ...\n",
        "from prefect import task\n@task()\ndef t(): ...\n",
        "from prefect.tasks import task\n@task\ndef t(): ...\n",
        "from prefect import *\n@task\ndef t(): ...\n",
        "from prefect import task\nmy_task = task\n@my_task\ndef t(): ...\n",
        "from prefect import task\ndef t(): ...\nt_task = task(t)\n",
        "from prefect import task\ndef t(): ...\nt_task = task(name='x')(t)\n",
        "try:\n    from prefect import task\nexcept ImportError:\n    task = None\n@task\ndef t(): ...\n",
        "from prefect import task\ndef factory():\n    @task\n    def t(): ...\n    return t\n",
    ],
)
def test_task_import_forms(code: str) -> None:
    assert ("task", "t") in bodies(model_of(code))


@pytest.mark.parametrize(
    "code",
    [
        "import prefect as pf\n@pf.flow(name='etl')\ndef f(): ...\n",
        "from prefect import flow\n@flow\nasync def f(): ...\n",
        "from prefect.flows import flow\n@flow(log_prints=True)\ndef f(): ...\n",
    ],
)
def test_flow_forms(code: str) -> None:
    model = model_of(code)
    assert bodies(model) == [("flow", "f")]
    assert "f" in model.flow_names and model.style == "2/3"


@pytest.mark.parametrize(
    "code",
    [
        "from prefect import Task\nclass C(Task):\n    def run(self): ...\n",
        "from prefect.core.task import Task\nclass C(Task):\n    def run(self): ...\n",
        "import prefect\nclass C(prefect.Task):\n    def run(self): ...\n",
        "import prefect as pf\nclass Base(pf.Task):\n    pass\nclass C(Base):\n    def run(self): ...\n",
        "from prefect.tasks.shell import ShellTask\nclass C(ShellTask):\n    def run(self): ...\n",
    ],
)
def test_prefect1_task_classes(code: str) -> None:
    model = model_of(code)
    assert "C" in [t.name for t in model.task_classes]
    assert ("task", "C.run") in bodies(model)
    assert model.style == "1"


def test_indirect_subclass_inherits_run_once() -> None:
    model = model_of(
        """
        from prefect import Task
        class Base(Task):
            def run(self): ...
        class Counter(Base):
            pass
        """
    )
    assert sorted(t.name for t in model.task_classes) == ["Base", "Counter"]
    assert bodies(model) == [("task", "Base.run")]


@pytest.mark.parametrize(
    "code",
    [
        "from prefect import Flow\nwith Flow('x') as flow:\n    pass\n",
        "import prefect\nflow = prefect.Flow('x')\n",
        "from prefect.core.flow import Flow\nflow = Flow('x')\n",
    ],
)
def test_prefect1_flows(code: str) -> None:
    model = model_of(code)
    assert [f.name for f in model.flow_objects] == ["flow"]
    assert model.style == "1"


@pytest.mark.parametrize(
    "code",
    [
        "from celery import task\n@task\ndef t(): ...\n",
        "from mylib import flow\n@flow\ndef f(): ...\n",
        "class Task:\n    pass\nclass C(Task):\n    def run(self): ...\n",
        "from luigi import Task\nclass C(Task):\n    def run(self): ...\n",
        "import prefect\nfrom mylib import task\n@task\ndef t(): ...\n",
        "from prefect import task\ndef task(fn):\n    return fn\n@task\ndef t(): ...\n",
        "from .prefect import task\n@task\ndef t(): ...\n",
        "import prefectx\n@prefectx.task\ndef t(): ...\n",
        "from prefect import task\nclass Flow:\n    pass\nwith Flow('x') as flow:\n    pass\n",
    ],
)
def test_look_alikes_are_not_prefect(code: str) -> None:
    model = model_of(code)
    assert model.bodies == [] and model.task_classes == [] and model.flow_objects == []


@pytest.mark.parametrize(
    ("code", "style"),
    [
        ("from prefect import task\n", None),
        ("from prefect import task, Flow\n", "1"),
        ("from prefect import flow, task\n", "2/3"),
        ("from prefect.variables import Variable\n", "2/3"),
        ("from prefect.backend import get_key_value\n", "1"),
        ("from prefect import Flow, flow\n", None),
    ],
)
def test_version_detection(code: str, style: str | None) -> None:
    assert model_of(code).style == style


@pytest.mark.parametrize(("configured", "style"), [("1", "1"), ("2", "2/3"), ("3", "2/3")])
def test_configured_version_wins(configured: str, style: str) -> None:
    assert model_of("from prefect import flow\n", configured).style == style
