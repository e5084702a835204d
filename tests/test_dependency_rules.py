"""PP306 and PP307 on whole fixture projects (`tests/projects/`), through `check`.

Each project is copied into its own repository (a `.git` folder bounds the project) and
checked as a folder; the `# expect:` markers of its Python and YAML files say what must
be found, as in `tests/fixtures/`.
"""

from __future__ import annotations

import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from test_fixtures import anchored_text, expectations

PROJECTS = Path(__file__).parent / "projects"
CODES = ("PP306", "PP307", "PP308")


def project_copy(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    (root / ".git").mkdir()
    return root


def marked_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml") and ".git" not in p.parts)


@pytest.mark.parametrize("name", sorted(p.name for p in PROJECTS.iterdir()))
def test_project_findings_match_the_markers(name: str, tmp_path: Path, check) -> None:
    root = project_copy(name, tmp_path)
    status, findings = check.json(str(root), "--select", ",".join(CODES))
    actual = Counter((Path(f["path"]).relative_to(root).as_posix(), f["line"], f["code"]) for f in findings)
    expected = Counter(
        (path.relative_to(root).as_posix(), line, code)
        for path in marked_files(root) for line, code, _ in expectations(path)
    )
    assert actual == expected, "\n".join(f"{f['path']}:{f['line']} {f['code']} {f['message']}" for f in findings)
    for path in marked_files(root):
        for line, code, snippet in expectations(path):
            if snippet:
                texts = [anchored_text(path, f) for f in findings if Path(f["path"]) == path and f["line"] == line]
                assert snippet in texts, (path.name, line, texts)
    assert status == (1 if expected else 0)


def apply_unsafe_fixes(check, root: Path) -> list[dict]:
    check(str(root), "--select", "PP306", "--fix", "--unsafe-fixes")
    return check.json(str(root), "--select", "PP306")[1]


def test_fix_adds_to_the_pyproject_dependencies(tmp_path: Path, check) -> None:
    root = project_copy("pyproject_flows", tmp_path)
    before = (root / "pyproject.toml").read_text()
    _, findings = check.json(str(root), "--select", "PP306")
    assert {f["fix"]["title"] for f in findings} == {
        "Add `pandas` to the dependencies in `pyproject.toml`",
        "Add `beautifulsoup4` to the dependencies in `pyproject.toml`",
        "Add `pyarrow` to the dependencies in `pyproject.toml`",
    }
    assert all(f["fix"]["applicability"] == "unsafe" for f in findings)
    # An edit of another file than the finding's names that file (outside the working folder: absolute).
    assert {edit["path"] for f in findings for edit in f["fix"]["edits"]} == {(root / "pyproject.toml").as_posix()}
    assert apply_unsafe_fixes(check, root) == []
    after = (root / "pyproject.toml").read_text()
    assert after == before.replace(
        '''    "SQLAlchemy[asyncio]>=2; python_version >= '3.11'",\n''',
        '''    "SQLAlchemy[asyncio]>=2; python_version >= '3.11'",\n    "pandas",\n    "beautifulsoup4",\n    "pyarrow",\n''',
    ) or after == before.replace(
        '''    "SQLAlchemy[asyncio]>=2; python_version >= '3.11'",\n''',
        '''    "SQLAlchemy[asyncio]>=2; python_version >= '3.11'",\n    "beautifulsoup4",\n    "pandas",\n    "pyarrow",\n''',
    ), after
    declared = tomllib.loads(after)["project"]["dependencies"]
    assert {Requirement(r).name for r in declared} >= {"pandas", "beautifulsoup4", "pyarrow"}


def test_fix_adds_to_the_requirements_file(tmp_path: Path, check) -> None:
    root = project_copy("requirements_flows", tmp_path)
    assert apply_unsafe_fixes(check, root) == []
    requirements = (root / "requirements.txt").read_text().splitlines()
    assert requirements[:3] == ["# runtime", "-r requirements-base.txt", 'boto3==1.35.0 ; python_version >= "3.9"']
    assert sorted(requirements[3:]) == ["lxml", "snowflake-connector-python"]


def test_fix_adds_to_the_docker_storage(tmp_path: Path, check) -> None:
    root = project_copy("prefect1_docker", tmp_path)
    assert apply_unsafe_fixes(check, root) == []
    module = (root / "register_flows.py").read_text()
    assert '''    python_dependencies=[\n        "pandas==2.2.2",\n        "requests",\n        "numpy",\n    ],''' in module
    compile(module, "register_flows.py", "exec")


def test_fix_adds_to_the_requirements_the_deployment_installs(tmp_path: Path, check) -> None:
    root = project_copy("deployments", tmp_path)
    assert apply_unsafe_fixes(check, root) == []
    assert (root / "requirements.txt").read_text() == "prefect>=3\npandas\npolars\n"


def test_diff_shows_the_declaration_change_and_writes_nothing(tmp_path: Path, check) -> None:
    root = project_copy("deployments", tmp_path)
    status, out, err = check(str(root), "--select", "PP306", "--unsafe-fixes", "--diff")
    assert status == 1 and "+polars" in out and "requirements.txt" in out
    assert (root / "requirements.txt").read_text() == "prefect>=3\npandas\n"


def test_nothing_to_read_means_nothing_reported_unless_required(tmp_path: Path, check) -> None:
    root = tmp_path / "bare"
    (root / ".git").mkdir(parents=True)
    (root / "flow.py").write_text("import pandas\nfrom prefect import flow\n\n\n@flow\ndef f():\n    return pandas\n")
    assert check.json(str(root), "--select", "PP306")[1] == []
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bare"\nversion = "0"\n\n[tool.prefect-pitfalls.dependencies]\nrequire-declaration = true\n'
    )
    (finding,) = check.json(str(root), "--select", "PP306")[1]
    assert finding["line"] == 1 and "declares no dependencies" in finding["message"] and finding["fix"] is None


def test_a_prefect_1_flow_without_docker_storage_is_left_alone(tmp_path: Path, check) -> None:
    root = tmp_path / "p1"
    (root / ".git").mkdir(parents=True)
    (root / "requirements.txt").write_text("prefect<2\n")
    (root / "flow.py").write_text(
        "import numpy\nfrom prefect import Flow, task\n\n\n@task\ndef t():\n    return numpy.zeros(1)\n\n\n"
        "with Flow('f') as flow:\n    t()\n"
    )
    assert check.json(str(root), "--select", "PP306")[1] == []


def test_a_flow_module_with_a_syntax_error_keeps_the_findings_of_what_parses(tmp_path: Path, check) -> None:
    root = project_copy("deployments", tmp_path)
    module = root / "flows" / "etl.py"
    module.write_text(module.read_text() + "\ndef broken(:\n")
    status, findings = check.json(str(root), "--select", "PP306")
    assert [f["code"] for f in findings] == ["PP306"] and status == 2


def test_an_edited_include_is_read_again(tmp_path: Path, check) -> None:
    """Declarations are read once per change: a change to a `-r` include counts as one."""
    root = project_copy("requirements_flows", tmp_path)
    (root / "deps").mkdir()
    (root / "deps" / "common.in").write_text("prefect>=3\n")
    requirements = root / "requirements.txt"
    requirements.write_text(requirements.read_text() + "-r deps/common.in\n")
    assert len(check.json(str(root), "--select", "PP306")[1]) == 2
    with (root / "deps" / "common.in").open("a") as common:
        common.write("snowflake-connector-python\nlxml\n")
    assert check.json(str(root), "--select", "PP306")[1] == []
