"""PP308 reports project-local imports that the sys.path a worker gives a deployment's flow does not
resolve: Prefect's loader puts the entrypoint's folder and the working directory the pull steps
leave first on sys.path, and nothing else of the repository."""

from __future__ import annotations

import textwrap
from pathlib import Path

FLOW = "from prefect import flow\n{imports}\n\n@flow\ndef etl():\n    return 1\n"
TO_ROOT = """\
    pull:
    - prefect.deployments.steps.set_working_directory:
        directory: {directory}
    deployments:
    - name: etl
      entrypoint: {entrypoint}
    """


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def repository(tmp_path: Path, directory: str = "/opt/prefect/repo", entrypoint: str = "flows/etl.py:etl") -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root, "prefect.yaml", TO_ROOT.format(directory=directory, entrypoint=entrypoint))
    return root


def pp308(check, root: Path) -> list[dict]:
    return check.json(str(root), "--select", "PP308", "--no-probe")[1]


def test_a_helper_beside_the_entrypoint_resolves_from_the_scripts_folder(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "flows/etl.py", FLOW.format(imports="from utils import clean"))
    write(root, "flows/utils.py", "def clean():\n    return 1\n")
    assert pp308(check, root) == []


def test_a_helper_at_the_repository_root_resolves_from_the_working_directory(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "flows/etl.py", FLOW.format(imports="from utils import clean"))
    write(root, "utils.py", "def clean():\n    return 1\n")
    assert pp308(check, root) == []


def test_a_package_import_from_the_repository_root_resolves(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "flows/__init__.py", "")
    write(root, "flows/etl.py", FLOW.format(imports="from flows.utils import clean"))
    write(root, "flows/utils.py", "def clean():\n    return 1\n")
    assert pp308(check, root) == []


def test_a_sibling_imported_by_bare_name_from_a_subpackage_is_reported(tmp_path: Path, check) -> None:
    root = repository(tmp_path)
    write(root, "flows/etl.py", FLOW.format(imports="from lib.tools import tidy"))
    write(root, "flows/lib/__init__.py", "")
    write(root, "flows/lib/helpers.py", "def clean():\n    return 1\n")
    tools = write(root, "flows/lib/tools.py", "from helpers import clean\n\n\ndef tidy():\n    return clean()\n")
    # `tools` does not use Prefect, so it is not checked itself: the entrypoint's import says why.
    (finding,) = pp308(check, root)
    assert finding["path"].endswith("flows/etl.py") and (finding["line"], finding["column"]) == (2, 6)
    assert finding["message"].startswith("A worker cannot import `lib.tools`: it imports `helpers`, not on sys.path. ")
    assert "`helpers` (flows/lib/tools.py:1) is in `flows/lib`" in finding["message"]
    assert "`etl` (prefect.yaml:6) Prefect's loader puts `flows`, `.` first on sys.path" in finding["message"]
    # A module using Prefect is checked itself, at its own import statement.
    tools.write_text("from prefect import task\nfrom helpers import clean\n\n\n@task\ndef tidy():\n    return clean()\n")
    (finding,) = pp308(check, root)
    assert finding["path"].endswith("flows/lib/tools.py") and (finding["line"], finding["column"]) == (2, 6)
    assert finding["message"].startswith("A worker cannot import `helpers`: its folder is not on the flow's sys.path. ")
    assert finding["message"].endswith("`helpers` is in `flows/lib`.")
    # The package-relative import resolves.
    tools.write_text("from .helpers import clean\n\n\ndef tidy():\n    return clean()\n")
    assert pp308(check, root) == []


def test_a_root_module_is_reported_when_the_working_directory_is_a_subfolder(tmp_path: Path, check) -> None:
    root = repository(tmp_path, directory="/opt/prefect/repo/flows", entrypoint="etl.py:etl")
    write(root, "flows/etl.py", FLOW.format(imports="import common"))
    write(root, "common.py", "VALUE = 1\n")
    (finding,) = pp308(check, root)
    assert finding["path"].endswith("flows/etl.py") and finding["line"] == 2
    assert "puts `flows` first on sys.path" in finding["message"]


def test_a_module_that_packaging_may_install_is_not_reported(tmp_path: Path, check) -> None:
    root = repository(tmp_path, directory="/opt/prefect/repo/flows", entrypoint="etl.py:etl")
    write(root, "flows/etl.py", FLOW.format(imports="import common"))
    write(root, "common.py", "VALUE = 1\n")
    write(root, "pyproject.toml", "[project]\nname = 'jobs'\nversion = '0'\n")
    assert pp308(check, root) == []


def test_a_declared_distribution_of_the_same_name_is_not_reported(tmp_path: Path, check) -> None:
    root = repository(tmp_path, directory="/opt/prefect/repo/flows", entrypoint="etl.py:etl")
    write(root, "flows/etl.py", FLOW.format(imports="import common"))
    write(root, "common.py", "VALUE = 1\n")
    assert len(pp308(check, root)) == 1
    write(root, "requirements.txt", "prefect\ncommon==1.0\n")
    assert pp308(check, root) == []


def test_a_flow_that_changes_sys_path_or_pythonpath_is_not_reported(tmp_path: Path, check) -> None:
    root = repository(tmp_path, directory="/opt/prefect/repo/flows", entrypoint="etl.py:etl")
    imports = "import sys\nsys.path.append('..')\nimport common"
    etl = write(root, "flows/etl.py", FLOW.format(imports=imports))
    write(root, "common.py", "VALUE = 1\n")
    assert pp308(check, root) == []
    etl.write_text(FLOW.format(imports="import common"))
    assert len(pp308(check, root)) == 1
    # Nor one whose image sets PYTHONPATH.
    write(root, "Dockerfile", "FROM prefecthq/prefect:3-latest\nENV PYTHONPATH=/opt/prefect/repo\n")
    assert pp308(check, root) == []


def test_a_folder_the_flow_adds_to_sys_path_from_its_file_resolves(tmp_path: Path, check) -> None:
    root = repository(tmp_path, directory="/opt/prefect/repo/flows", entrypoint="etl.py:etl")
    imports = "import sys\nfrom pathlib import Path\nsys.path.insert(0, str(Path(__file__).resolve().{parent}))\nimport common"
    etl = write(root, "flows/etl.py", FLOW.format(imports=imports.format(parent="parents[1]")))
    write(root, "common.py", "VALUE = 1\n")
    assert pp308(check, root) == []
    etl.write_text(FLOW.format(imports=imports.format(parent="parent / 'lib'")))
    (finding,) = pp308(check, root)
    assert finding["line"] == 5 and "`common` is in `.`" in finding["message"]


def test_without_prefect_yaml_nothing_is_reported(tmp_path: Path, check) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root, "flows/etl.py", FLOW.format(imports="import common"))
    write(root, "lib/common.py", "VALUE = 1\n")
    write(root, "flows/sub/common.py", "VALUE = 1\n")
    assert pp308(check, root) == []


def test_an_unknown_working_directory_is_not_reported(tmp_path: Path, check) -> None:
    for directory in ("'{{ pull_code.directory }}'", "/somewhere/else"):
        root = repository(tmp_path / directory.strip("'{} ").replace("/", "_"), directory, "etl.py:etl")
        write(root, "flows/etl.py", FLOW.format(imports="import common"))
        write(root, "common.py", "VALUE = 1\n")
        assert pp308(check, root) == []


def test_without_pull_steps_the_folder_of_prefect_deploy_is_the_working_directory(tmp_path: Path, check) -> None:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root, "pipelines/sales/prefect.yaml", "deployments:\n- name: sales\n  entrypoint: flow.py:etl\n")
    write(root, "pipelines/sales/flow.py", FLOW.format(imports="import shared"))
    write(root, "pipelines/shared.py", "VALUE = 1\n")
    (finding,) = pp308(check, root)
    assert "puts `pipelines/sales` first on sys.path" in finding["message"]
    # An entrypoint that resolves from both the yaml's folder and the root leaves the folder unknown.
    write(root, "flow.py", FLOW.format(imports=""))
    assert pp308(check, root) == []


def test_reading_sys_path_or_naming_it_does_not_silence_the_rule(tmp_path: Path, check) -> None:
    """Only code that changes the import path makes what resolves unknowable."""
    import textwrap

    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "flows" / "lib").mkdir(parents=True)
    (root / "flows" / "lib" / "__init__.py").write_text("")
    (root / "flows" / "lib" / "helpers.py").write_text("def clean(x):\n    return x\n")
    (root / "flows" / "lib" / "tools.py").write_text("from helpers import clean  # not on sys.path\n")
    (root / "flows" / "etl.py").write_text(textwrap.dedent("""\
        import sys

        from prefect import flow

        from lib import tools

        print("sys.path starts with", sys.path[:2])


        @flow
        def etl():
            return tools.clean(1)
        """))
    (root / "prefect.yaml").write_text(textwrap.dedent(f"""\
        pull:
        - prefect.deployments.steps.set_working_directory:
            directory: {root}
        deployments:
        - name: etl
          entrypoint: flows/etl.py:etl
        """))
    _, findings = check.json(str(root / "flows" / "etl.py"), "--select", "PP308")
    assert [f["code"] for f in findings] == ["PP308"]
    (root / "flows" / "etl.py").write_text("import sys\nsys.path.insert(0, 'flows/lib')\n" + (root / "flows" / "etl.py").read_text())
    _, findings = check.json(str(root / "flows" / "etl.py"), "--select", "PP308")
    assert findings == []


def _subpackage_project(tmp_path: Path, tools_imports: str) -> tuple[Path, Path]:
    root = repository(tmp_path)
    write(root, "flows/etl.py", FLOW.format(imports="from lib.tools import tidy"))
    write(root, "flows/lib/__init__.py", "")
    write(root, "flows/lib/helpers.py", "def clean():\n    return 1\n")
    tools = write(root, "flows/lib/tools.py", f"from prefect import task\n{tools_imports}\n\n\n@task\ndef tidy():\n    return 1\n")
    return root, tools


def test_the_fix_makes_a_sibling_import_package_relative(tmp_path: Path, check) -> None:
    for written, fixed in (
        ("from helpers import clean", "from .helpers import clean"),
        ("import helpers", "from . import helpers"),
        ("import helpers as h", "from . import helpers as h"),
    ):
        root, tools = _subpackage_project(tmp_path / written.replace(" ", "_"), written)
        (finding,) = pp308(check, root)
        assert finding["fix"]["applicability"] == "unsafe"
        assert finding["fix"]["title"] == "Import `helpers` relative to its package"
        check(str(root), "--select", "PP308", "--fix", "--unsafe-fixes", "--no-probe")
        assert tools.read_text().splitlines()[1] == fixed
        assert pp308(check, root) == []


def test_no_fix_where_the_module_is_also_imported_from_its_own_folder(tmp_path: Path, check) -> None:
    root, _ = _subpackage_project(tmp_path, "from helpers import clean")
    # A second deployment runs `tools.py` itself: its folder is on sys.path, a relative import fails there.
    (root / "prefect.yaml").write_text(
        (root / "prefect.yaml").read_text() + "- name: tidy\n  entrypoint: flows/lib/tools.py:tidy\n"
    )
    (finding,) = pp308(check, root)
    assert finding["fix"] is None


def test_no_fix_where_the_name_lives_in_another_folder(tmp_path: Path, check) -> None:
    root = repository(tmp_path, directory="/opt/prefect/repo/flows", entrypoint="etl.py:etl")
    write(root, "flows/etl.py", FLOW.format(imports="import common"))
    write(root, "common.py", "VALUE = 1\n")
    (finding,) = pp308(check, root)
    assert finding["fix"] is None and "working directory after the pull steps" in finding["message"]
