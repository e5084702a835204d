"""requirements*.txt: names with includes, extras, markers, URLs and options; adding a line."""

from __future__ import annotations

from pathlib import Path

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
