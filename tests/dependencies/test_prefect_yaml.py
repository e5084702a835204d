"""prefect.yaml: deployment entrypoints with exact positions, and what the steps install."""

from __future__ import annotations

from pathlib import Path

import yaml
from dependency_edits import apply
from prefect_pitfalls.dependencies import read_prefect_yaml
from prefect_pitfalls.dependencies._text import TextIndex
from prefect_pitfalls.findings import Span

# What `prefect init --recipe git` writes, with two deployments added.
PREFECT_YAML = """\
# Welcome to your prefect.yaml file! You can use this file for storing and managing
# configuration for deploying your flows. We recommend committing this file to source
# control along with your flow code.

# Generic metadata about this project
name: etl-flows
prefect-version: 3.9.1

# build section allows you to manage and build docker images
build: null

# push section allows you to manage if and how this project is uploaded to remote locations
push: null

# pull section allows you to provide instructions for cloning this project in remote locations
pull:
- prefect.deployments.steps.git_clone:
    id: clone-step
    repository: https://github.com/example/etl-flows.git
    branch: main
- prefect.deployments.steps.pip_install_requirements:
    directory: '{{ clone-step.directory }}'
    requirements_file: requirements.txt
    stream_output: false

# the deployments section allows you to provide configuration for deploying flows
deployments:
- name: nightly-etl
  version: null
  tags: []
  description: null
  schedule: {}
  flow_name: null
  entrypoint: flows/etl.py:etl_flow
  parameters: {}
  work_pool:
    name: default
    work_queue_name: null
    job_variables: {}
- name: "réport"
  entrypoint: "flows/réport.py:build_report"   # quoted, after non-ASCII text
  pull:
  - prefect.deployments.steps.run_shell_script:
      script: pip install "duckdb>=1.0" openpyxl -r requirements-report.txt --quiet
"""


def project(write, text: str = PREFECT_YAML) -> Path:
    return write({
        "prefect.yaml": text,
        "requirements.txt": "prefect>=3\npandas\n",
        "requirements-report.txt": "jinja2\n",
    })


def segment(text: str, span: Span) -> str:
    index = TextIndex(text)
    return text[index.offset(span.line, span.column) : index.offset(span.end_line, span.end_column)]


def test_entrypoints_and_their_positions(write):
    root = project(write)
    read = read_prefect_yaml(root / "prefect.yaml")
    assert read.error is None
    assert [d.name for d in read.deployments] == ["nightly-etl", "réport"]
    first, second = read.entrypoints
    assert (first.value, first.file, first.name, first.is_path) == (
        "flows/etl.py:etl_flow", "flows/etl.py", "etl_flow", True,
    )
    assert first.span == Span(34, 14, 34, 35)
    assert second.span == Span(41, 15, 41, 43)
    assert segment(PREFECT_YAML, second.span) == "flows/réport.py:build_report"


def test_what_the_steps_install(write):
    root = project(write)
    read = read_prefect_yaml(root / "prefect.yaml")
    nightly, report = read.deployments
    assert nightly.declaration.kind == "prefect-yaml"
    assert nightly.declaration.path == root / "prefect.yaml"
    assert nightly.declaration.names == {"prefect", "pandas"}
    assert report.declaration.names == {"duckdb", "openpyxl", "jinja2"}
    assert read.declaration.names == {"prefect", "pandas", "duckdb", "openpyxl", "jinja2"}
    assert read.declaration.complete


def test_an_addition_goes_to_the_requirements_file_a_step_installs(write):
    root = project(write)
    read = read_prefect_yaml(root / "prefect.yaml")
    nightly, report = read.deployments
    assert nightly.declaration.target == root / "requirements.txt"
    assert apply("prefect>=3\npandas\n", nightly.declaration.addition("PyYAML")) == "prefect>=3\npandas\nPyYAML\n"
    assert report.declaration.target == root / "requirements-report.txt"


def test_a_shell_install_without_a_file_cannot_be_added_to(write):
    text = """\
deployments:
- name: d
  entrypoint: flows/a.py:f
  pull:
  - prefect.deployments.steps.utility.run_shell_script:
      directory: /opt/prefect
      script: |
        uv pip install --system polars 'pyarrow>=15' > /dev/null
        python -m pip install -e git+https://github.com/x/y.git#egg=acme-tools && echo done
"""
    read = read_prefect_yaml(write({"prefect.yaml": text}) / "prefect.yaml")
    declaration = read.deployments[0].declaration
    assert declaration.names == {"polars", "pyarrow", "acme-tools"}
    assert declaration.addition("pandas") is None and declaration.target is None


def test_anchors_merge_keys_and_the_utility_alias(write):
    text = """\
definitions:
  steps:
    install: &install
      prefect.deployments.steps.utility.pip_install_requirements:
        requirements_file: requirements-flows.txt
  defaults: &defaults
    entrypoint: flows/etl.py:etl_flow
    pull:
    - *install
deployments:
- <<: *defaults
  name: from-defaults
- <<: *defaults
  name: own-entrypoint
  entrypoint: 'flows/other.py:other'
"""
    root = write({"prefect.yaml": text, "requirements-flows.txt": "httpx\n"})
    read = read_prefect_yaml(root / "prefect.yaml")
    first, second = read.deployments
    assert first.entrypoint.value == "flows/etl.py:etl_flow" and first.entrypoint.span == Span(7, 16, 7, 37)
    assert second.entrypoint.span == Span(15, 15, 15, 35)
    assert first.declaration.names == second.declaration.names == {"httpx"}


def test_a_missing_or_templated_requirements_file_is_incomplete(write):
    text = """\
pull:
- prefect.deployments.steps.pip_install_requirements:
    requirements_file: "{{ $REQUIREMENTS }}"
- prefect.deployments.steps.pip_install_requirements:
    directory: sub
deployments: []
"""
    read = read_prefect_yaml(write({"prefect.yaml": text}) / "prefect.yaml")
    assert read.declaration.names == frozenset() and not read.declaration.complete


def test_docker_images_with_an_automatic_dockerfile_install_requirements_txt(write):
    text = """\
build:
- prefect_docker.deployments.steps.build_docker_image:
    id: build-image
    requires: prefect-docker>=0.3.1
    image_name: example/etl
    tag: latest
    dockerfile: auto
deployments:
- name: d
  entrypoint: flows/etl.py:etl_flow
"""
    root = write({"prefect.yaml": text, "requirements.txt": "prefect\nboto3\n"})
    read = read_prefect_yaml(root / "prefect.yaml")
    assert read.deployments[0].declaration.names == {"prefect", "boto3"}


def test_no_install_step_means_no_declaration(write):
    text = "deployments:\n- name: d\n  entrypoint: flows/etl.py:etl_flow\n"
    read = read_prefect_yaml(write({"prefect.yaml": text, "requirements.txt": "x\n"}) / "prefect.yaml")
    assert read.declaration is None and read.deployments[0].declaration is None
    assert read.entrypoints[0].value == "flows/etl.py:etl_flow"


def test_entrypoints_that_are_not_paths_or_have_no_flow_name():
    read = read_prefect_yaml(
        Path("/p/prefect.yaml"),
        text="deployments:\n- entrypoint: flows.etl:etl_flow\n- entrypoint: flows/etl.py\n- entrypoint: [1]\n- name: x\n",
    )
    module, no_name = read.entrypoints
    assert (module.file, module.name, module.is_path) == ("flows.etl", "etl_flow", False)
    assert (no_name.file, no_name.name) == ("flows/etl.py", None)
    assert [d.name for d in read.deployments] == [None, None, None, "x"]


def test_malformed_yaml_gives_an_error_with_a_position():
    read = read_prefect_yaml(Path("/p/prefect.yaml"), text="deployments:\n- name: a\n  entrypoint: [unclosed\n")
    assert read.deployments == () and read.error is not None
    assert read.error.span.line == 4 and "flow sequence" in read.error.message
    tab = read_prefect_yaml(Path("/p/prefect.yaml"), text="deployments:\n\t- name: a\n")
    assert tab.error is not None and tab.error.span.line == 2


def test_yaml_tags_are_never_constructed(write):
    text = "deployments:\n- name: !!python/object/apply:os.system ['echo owned']\n  entrypoint: a.py:f\n"
    read = read_prefect_yaml(Path("/p/prefect.yaml"), text=text)
    assert read.error is None and read.entrypoints[0].value == "a.py:f"


def test_a_byte_order_mark_and_windows_line_breaks(write):
    text = "\ufeffdeployments:\r\n- name: d\r\n  entrypoint: 'flows/etl.py:etl_flow'\r\n"
    root = write({"prefect.yaml": text})
    read = read_prefect_yaml(root / "prefect.yaml")
    assert read.entrypoints[0].span == Span(3, 15, 3, 36)


def test_recursive_aliases_and_odd_documents_do_not_hang():
    for text in ["a: &a [*a]\ndeployments: &d [*d]\n", "just a string\n", "", "---\n...\n", "- 1\n- 2\n"]:
        read_prefect_yaml(Path("/p/prefect.yaml"), text=text)
    assert read_prefect_yaml(Path("/p/prefect.yaml"), text="a: 1\n---\nb: 2\n").error is not None


def test_a_missing_file_is_an_error():
    assert read_prefect_yaml(Path("/does/not/exist/prefect.yaml")).error is not None


def test_the_project_yaml_parser_really_is_pyyaml():
    assert yaml.__version__.startswith("6.")
