"""Which declarations apply to a module: the nearest pyproject.toml, requirement files, prefect.yaml."""

from __future__ import annotations

from prefect_pitfalls.dependencies import project_declarations

FLOW = "from prefect import flow\n"
PREFECT_YAML = """\
pull:
- prefect.deployments.steps.pip_install_requirements:
    requirements_file: requirements-worker.txt
deployments:
- name: etl
  entrypoint: flows/etl.py:etl
  pull:
  - prefect.deployments.steps.run_shell_script:
      script: pip install polars
- name: other
  entrypoint: flows/other.py:other
"""


def summary(declarations):
    return [(d.kind, d.path.name, sorted(d.names)) for d in declarations]


def test_the_nearest_pyproject_its_requirement_files_and_prefect_yaml(write):
    root = write({
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["prefect", "pandas"]\n',
        "requirements.txt": "boto3\n",
        "requirements-worker.txt": "httpx\n",
        "prefect.yaml": PREFECT_YAML,
        "flows/etl.py": FLOW,
        "flows/other.py": FLOW,
        "flows/requirements.txt": "ignored: the pyproject.toml's folder decides\n",
    })
    assert summary(project_declarations(root / "flows" / "etl.py", root)) == [
        ("pyproject", "pyproject.toml", ["pandas", "prefect"]),
        ("requirements", "requirements-worker.txt", ["httpx"]),
        ("requirements", "requirements.txt", ["boto3"]),
        ("prefect-yaml", "prefect.yaml", ["polars"]),
    ]
    assert summary(project_declarations(root / "flows" / "other.py", root))[-1] == (
        "prefect-yaml", "prefect.yaml", ["httpx"],
    )


def test_without_a_pyproject_the_nearest_folder_with_requirement_files(write):
    root = write({
        "requirements.txt": "boto3\n",
        "flows/nightly/requirements-flows.txt": "pandas\n",
        "flows/nightly/etl.py": FLOW,
        "flows/daily/etl.py": FLOW,
    })
    assert summary(project_declarations(root / "flows" / "nightly" / "etl.py", root)) == [
        ("requirements", "requirements-flows.txt", ["pandas"]),
    ]
    assert summary(project_declarations(root / "flows" / "daily" / "etl.py", root)) == [
        ("requirements", "requirements.txt", ["boto3"]),
    ]


def test_a_pyproject_without_dependencies_still_anchors_the_search(write):
    root = write({
        "pyproject.toml": "[tool.prefect-pitfalls]\nselect = ['PP']\n",
        "flows/requirements.txt": "pandas\n",
        "flows/etl.py": FLOW,
    })
    assert project_declarations(root / "flows" / "etl.py", root) == []


def test_nothing_declared_anywhere(write):
    root = write({"flows/etl.py": FLOW, "README.md": ""})
    assert project_declarations(root / "flows" / "etl.py", root) == []
