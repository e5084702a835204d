"""requirements*.txt: names with includes, extras, markers, URLs and options; adding a line."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from prefect_pitfalls.dependencies import (
    find_requirements_files,
    read_requirements,
    requirement_name,
)
from prefect_pitfalls.dependencies.requirements import logical_lines
from prefect_pitfalls.findings import Span

REQUIREMENTS = """\
# Runtime dependencies of the ETL flows
--index-url https://pypi.org/simple
--extra-index-url=https://example.com/simple
-r requirements-base.txt
-c constraints.txt

prefect>=3.0,<4  # the orchestrator
PyYAML==6.0.1 \\
    --hash=sha256:0123456789abcdef
pandas[excel,performance]>=2.1; python_version >= "3.10"
boto3 ; sys_platform != "win32"
acme-utils @ https://example.com/acme_utils-1.0-py3-none-any.whl
https://files.example.com/packages/polars-0.20.3-cp38-abi3-manylinux_2_17_x86_64.whl
-e git+https://github.com/example/tooling.git#egg=example-tooling
-e ./libs/local-helpers
./vendored/package
Scikit_Learn~=1.4
not a requirement ===
"""


def test_names_with_includes_extras_markers_urls_and_options(write):
    root = write({
        "requirements.txt": REQUIREMENTS,
        "requirements-base.txt": "-r requirements-common.txt\nhttpx>=0.27\n",
        "requirements-common.txt": "--requirement=requirements-base.txt\nsqlalchemy[asyncio]\n",
        "constraints.txt": "urllib3<2\n",
    })
    declaration = read_requirements(root / "requirements.txt")
    assert declaration.kind == "requirements"
    assert declaration.names == {
        "prefect", "pyyaml", "pandas", "boto3", "acme-utils", "polars", "example-tooling", "scikit-learn",
        "httpx", "sqlalchemy",
    }
    assert not declaration.complete  # the invalid last line
    assert not declaration.declares("urllib3")  # constraints declare nothing
    assert declaration.declares("pyyaml") and declaration.declares("scikit-learn")


def test_a_missing_include_makes_it_incomplete(write):
    root = write({"requirements.txt": "-r missing.txt\nprefect\n"})
    declaration = read_requirements(root / "requirements.txt")
    assert declaration.names == {"prefect"} and not declaration.complete


def test_a_self_include_terminates(write):
    root = write({"requirements.txt": "-r requirements.txt\n-rrequirements.txt\nprefect\n"})
    declaration = read_requirements(root / "requirements.txt")
    assert declaration.names == {"prefect"} and declaration.complete


def test_a_missing_file_declares_nothing_and_cannot_be_added_to(tmp_path: Path):
    declaration = read_requirements(tmp_path / "requirements.txt")
    assert declaration.names == frozenset() and not declaration.complete
    assert declaration.addition("pandas") is None


def test_continuation_lines_and_comments():
    text = "pandas \\\n  >=2 # comment\n# whole line\nurl#fragment-is-not-a-comment\nx \\\n"
    assert list(logical_lines(text)) == ["pandas   >=2", "url#fragment-is-not-a-comment", "x"]


def test_requirement_names():
    assert requirement_name("PyYAML[extra]>=6; python_version > '3'") == "pyyaml"
    assert requirement_name("git+https://x.org/r.git#egg=My_Pkg") == "my-pkg"
    assert requirement_name("https://x.org/Foo_Bar-1.0-py3-none-any.whl") == "foo-bar"
    assert requirement_name("./local") is None


def addition(write, apply_edit, text: str, name: str = "PyYAML") -> str:
    root = write({"requirements.txt": text})
    declaration = read_requirements(root / "requirements.txt")
    edit = declaration.addition(name)
    assert declaration.target == root / "requirements.txt"
    result = apply_edit(text, edit)
    for line in result.splitlines():
        if line and not line.startswith(("#", "-")):
            Requirement(line.split("#")[0].strip())
    return result


def test_addition_appends_a_line(write, apply_edit):
    assert addition(write, apply_edit, "prefect>=3\npandas\n") == "prefect>=3\npandas\nPyYAML\n"


def test_addition_without_a_final_line_break(write, apply_edit):
    assert addition(write, apply_edit, "prefect>=3\npandas") == "prefect>=3\npandas\nPyYAML"


def test_addition_keeps_windows_line_breaks(write, apply_edit):
    assert addition(write, apply_edit, "prefect\r\npandas\r\n") == "prefect\r\npandas\r\nPyYAML\r\n"


def test_addition_to_an_empty_file(write, apply_edit):
    root = write({"requirements.txt": ""})
    edit = read_requirements(root / "requirements.txt").addition("PyYAML")
    assert edit.span == Span(1, 0, 1, 0) and apply_edit("", edit) == "PyYAML\n"


def test_nothing_to_add_when_declared(write):
    root = write({"requirements.txt": "pyyaml\n"})
    assert read_requirements(root / "requirements.txt").addition("PyYAML") is None


def test_unsaved_text_overrides_the_file(write):
    root = write({"requirements.txt": "pandas\n"})
    assert read_requirements(root / "requirements.txt", text="polars\n").names == {"polars"}


def test_find_requirements_files(write):
    root = write({
        "requirements.txt": "", "requirements-dev.txt": "", "requirements_prod.txt": "",
        "dev-requirements.txt": "", "requirements.in": "", "sub/requirements.txt": "",
    })
    assert [p.name for p in find_requirements_files(root)] == [
        "requirements-dev.txt", "requirements.txt", "requirements_prod.txt",
    ]


PIP_COMPILED = """\
#
# This file is autogenerated by pip-compile with Python 3.12
# by the following command:
#
#    pip-compile --generate-hashes --output-file=requirements.txt requirements.in
#
--index-url https://pypi.org/simple
--extra-index-url https://packages.example.com/simple
--trusted-host packages.example.com

-e file:.
    # via -r requirements.in
file:.
    # via -r requirements.in
anyio==4.6.2 \\
    --hash=sha256:6d170c36fba3bdd840c73d3868c1e777e33676a69c3a72cf0a0d5d6d8009b61d \\
    --hash=sha256:f72a7bb3dd0752b3bd8b17a844a019d77fc0ee5f0b6f5c4f1c5a2b6b5a2f6d8e
    # via
    #   httpx
    #   prefect
numpy==2.1.3 ; python_version >= "3.10" \\
    --hash=sha256:016d0f6f5e77b0f0d45d77387ffa4bb89816b57c835580c3ce8e099ef830befe
    # via pandas
pandas==2.2.3 \\
    --hash=sha256:062309c1b9ea12a50e8ce661145c6aab431b1e99530d3cd60640e255778bd43a
    # via -r requirements.in
pywin32==308 ; sys_platform == "win32" \\
    --hash=sha256:5794e764ebcabf4ff08c555b31bd348c9025929371763b2183172ff4708152f0
    # via docker

# The following packages are considered to be unsafe in a requirements file:
setuptools==75.6.0 \\
    --hash=sha256:ce74b49e8f7110f9bf04883b730f4765b774ef3ef28f722cce7c273d253aaf7d
    # via prefect
"""

UV_COMPILED = """\
# This file was autogenerated by uv via the following command:
#    uv pip compile requirements.in -o requirements.txt --universal
-e .
    # via -r requirements.in
numpy==2.1.3
    # via pandas
pandas==2.2.3
    # via -r requirements.in
tzdata==2024.2 ; sys_platform == 'win32'
    # via pandas
"""


@pytest.mark.parametrize(("text", "names"), [
    (PIP_COMPILED, {"anyio", "numpy", "pandas", "pywin32", "setuptools"}),
    (PIP_COMPILED.replace("\n", "\r\n"), {"anyio", "numpy", "pandas", "pywin32", "setuptools"}),
    (UV_COMPILED, {"numpy", "pandas", "tzdata"}),
])
def test_a_compiled_file_declares_every_pinned_name(write, text: str, names: set[str]):
    root = write({"requirements.txt": text})
    declaration = read_requirements(root / "requirements.txt")
    assert declaration.names == names
    assert declaration.complete and declaration.unreadable == ()


def test_a_compiled_file_is_added_to_through_its_source(write, apply_edit):
    source = "-e .\npandas>=2.2\n"
    root = write({"requirements.txt": PIP_COMPILED, "requirements.in": source})
    declaration = read_requirements(root / "requirements.txt")
    assert declaration.target == root / "requirements.in"
    assert root / "requirements.in" in declaration.sources  # read again when the source changes
    assert apply_edit(source, declaration.addition("boto3")) == source + "boto3\n"
    assert declaration.addition("numpy") is None  # installed already, through pandas


@pytest.mark.parametrize(("files", "target"), [
    ({"requirements.txt": PIP_COMPILED}, "requirements.txt"),  # no source beside it
    ({"requirements.txt": "pandas\n", "requirements.in": "pandas\n"}, "requirements.txt"),  # not compiled
    ({"requirements-prod.txt": UV_COMPILED, "requirements.in": "pandas\n"}, "requirements-prod.txt"),
    ({"requirements-prod.txt": UV_COMPILED, "requirements-prod.in": "pandas\n"}, "requirements-prod.in"),
])
def test_where_an_addition_goes(write, files: dict[str, str], target: str):
    root = write(files)
    compiled = next(name for name in files if name.endswith(".txt"))
    assert read_requirements(root / compiled).target == root / target
