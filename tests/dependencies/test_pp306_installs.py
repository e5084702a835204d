"""What the installer installs: lock files, uv workspaces, extras and runtime requirement files."""

from __future__ import annotations

from prefect_pitfalls.dependencies import project_declarations
from prefect_pitfalls.dependencies.discovery import runtime_requirements_files
from prefect_pitfalls.dependencies.installs import what_installs

FLOW = "from prefect import flow\n"
PDM_LOCK = """\
[[package]]
name = "httpx"
version = "0.27.0"
dependencies = ["anyio", "certifi"]

[[package]]
name = "httpx"
version = "0.27.0"
extras = ["http2"]
dependencies = ["h2<5,>=3", "httpx==0.27.0"]
"""


def installs(root, module="flows/etl.py"):
    declarations = project_declarations(root / module, root)
    return what_installs(declarations, root / module, root)


def test_a_pdm_lock_brings_dependencies_and_the_requested_extras(write):
    root = write({
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["httpx[http2]"]\n',
        "pdm.lock": PDM_LOCK,
        "flows/etl.py": FLOW,
    })
    assert installs(root).names == {"httpx", "anyio", "certifi", "h2"}


def test_without_the_extra_a_pdm_lock_brings_only_the_base(write):
    root = write({
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["httpx"]\n',
        "pdm.lock": PDM_LOCK,
        "flows/etl.py": FLOW,
    })
    assert installs(root).names == {"httpx", "anyio", "certifi"}


def test_an_excluded_folder_is_no_workspace_member(write):
    root = write({
        "pyproject.toml": (
            '[project]\nname = "root"\ndependencies = []\n'
            '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/legacy"]\n'
        ),
        "packages/core/pyproject.toml": '[project]\nname = "core"\ndependencies = ["numpy"]\n',
        "packages/legacy/pyproject.toml": '[project]\nname = "legacy"\ndependencies = ["scipy"]\n',
        "flows/pyproject.toml": '[project]\nname = "flows"\ndependencies = ["core", "legacy"]\n',
        "flows/etl.py": FLOW,
    })
    found = installs(root)
    assert found.local_projects == {"root", "core"}
    assert found.names == {"core", "legacy", "numpy"}


def test_a_project_without_a_workspace_or_lock_installs_what_it_declares(write):
    root = write({"requirements.txt": "prefect[docker]\nrequests\n", "flows/etl.py": FLOW})
    found = installs(root)
    assert found.names == {"prefect", "prefect-docker", "requests"} and found.local_projects == frozenset()


def test_development_requirement_files_are_not_runtime(write):
    root = write({
        "requirements.txt": "", "requirements-dev.txt": "", "requirements_test.txt": "",
        "requirements-tests.txt": "", "requirements.docs.txt": "", "requirements-lint.txt": "",
        "requirements-prod.txt": "", "requirements-devices.txt": "",
    })
    assert [p.name for p in runtime_requirements_files(root)] == [
        "requirements-devices.txt", "requirements-prod.txt", "requirements.txt",
    ]


def test_a_prose_line_is_kept_as_unreadable(write):
    root = write({"requirements.txt": "pandas\nthen run pip install -e .\n./libs/shared\n", "flows/etl.py": FLOW})
    (declaration,) = project_declarations(root / "flows" / "etl.py", root)
    assert declaration.names == {"pandas"} and declaration.unreadable == ("then run pip install -e .",)
