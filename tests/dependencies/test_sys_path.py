"""The folders a module adds to `sys.path`, computed from literals and `__file__`."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from prefect_pitfalls.dependencies.sys_path import sys_path_targets

MODULE = Path("/repo/flows/jobs/etl.py")


def targets(source: str, module: Path = MODULE) -> tuple[Path, ...] | None:
    return sys_path_targets(ast.parse(textwrap.dedent(source)), module)


@pytest.mark.parametrize(("source", "folder"), [
    ('sys.path.insert(0, str(Path(__file__).parent.parent / "lib"))', "/repo/flows/lib"),
    ('sys.path.append(os.path.join(os.path.dirname(__file__), ".."))', "/repo/flows"),
    (
        'sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "common")))',
        "/repo/flows/common",
    ),
    ('sys.path.append("/opt/app/shared")', "/opt/app/shared"),
    ("sys.path.insert(0, str(Path(__file__).resolve().parents[2]))", "/repo"),
    ("sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))", "/repo/flows"),
    ('sys.path.append(os.path.normpath(os.path.dirname(__file__) + "/../../vendor"))', "/repo/vendor"),
    ('sys.path.insert(0, f"{Path(__file__).parents[1]}/shared")', "/repo/flows/shared"),
    ('sys.path.insert(0, os.fspath(Path(__file__).absolute().parent.joinpath("x", "y")))', "/repo/flows/jobs/x/y"),
    ('sys.path.extend([str(Path(__file__).parents[2] / "libs")])', "/repo/libs"),
    ('sys.path += [os.path.dirname(__file__)]', "/repo/flows/jobs"),
    ('sys.path[:0] = ["/srv/lib"]', "/srv/lib"),
    ('site.addsitedir(os.path.join(os.path.dirname(__file__), "site"))', "/repo/flows/jobs/site"),
    ('sys.path.append(os.path.expanduser("/srv/../opt/lib"))', "/opt/lib"),
])
def test_computed_folders(source: str, folder: str):
    header = "import os\nimport site\nimport sys\nfrom pathlib import Path\n"
    assert targets(header + source) == (Path(folder),)


def test_aliases_of_the_modules_and_functions():
    assert targets("""
        import os.path as osp
        import pathlib
        from os.path import dirname, join
        from sys import path as search_path

        search_path.insert(0, join(dirname(__file__), "a"))
        search_path.append(osp.join(osp.dirname(__file__), "b"))
        search_path.append(str(pathlib.Path(__file__).parent / "c"))
    """) == (Path("/repo/flows/jobs/a"), Path("/repo/flows/jobs/b"), Path("/repo/flows/jobs/c"))


def test_names_bound_once_and_nested_blocks():
    assert targets("""
        import sys
        from pathlib import Path

        ROOT = Path(__file__).resolve().parents[2]
        SHARED: Path = ROOT / "shared"

        if str(SHARED) not in sys.path:
            sys.path.insert(0, str(SHARED))
        try:
            import helpers
        except ImportError:
            sys.path.append(str(ROOT / "helpers"))
        with open(__file__):
            sys.path.append(str(ROOT))
    """) == (Path("/repo/shared"), Path("/repo/helpers"), Path("/repo"))


def test_function_bodies_count_with_their_own_names_and_the_module_names():
    assert targets("""
        import os
        import sys

        HERE = os.path.dirname(__file__)

        def setup():
            lib = os.path.join(HERE, "lib")
            sys.path.insert(0, lib)

        class Paths:
            sys.path.append(os.path.join(HERE, "conf"))
    """) == (Path("/repo/flows/jobs/conf"), Path("/repo/flows/jobs/lib"))


def test_the_same_folder_once_in_source_order():
    assert targets("""
        import sys
        sys.path.append("/b")
        sys.path.insert(0, "/a")
        sys.path.append("/b/")
    """) == (Path("/b"), Path("/a"))


def test_no_insertion():
    assert targets("import os, sys\nprint(sys.path[0], os.getcwd())\nsys.path.remove('/x')\n") == ()


@pytest.mark.parametrize("source", [
    "sys.path.insert(0, os.getcwd())",
    "sys.path.insert(0, str(Path.cwd() / 'lib'))",
    'sys.path.insert(0, "lib")',  # relative: the working directory's
    "sys.path.insert(0, os.path.abspath('lib'))",
    "sys.path.insert(0, str(Path('lib').resolve()))",
    "sys.path.append(os.environ['APP_HOME'])",
    "sys.path.extend(EXTRA)",
    "sys.path.extend([*EXTRA])",
    "sys.path = ['/x'] + sys.path",
    "for folder in ('/a', '/b'):\n    sys.path.append(folder)",
    "ROOT = '/a'\nROOT = '/b'\nsys.path.append(ROOT)",  # bound twice: which one is unknown
    "sys.path.append(str(Path(__file__).parents[40]))",
    "sys.path.append(os.path.join(os.path.dirname(__file__), 3))",
    "sys.path.insert(0)",
])
def test_a_folder_that_cannot_be_computed(source: str):
    header = "import os\nimport sys\nfrom pathlib import Path\n"
    assert targets(header + 'sys.path.append("/known")\n' + source) is None


def test_a_name_bound_twice_to_the_same_value_is_known():
    assert targets("import sys\nROOT = '/a'\nROOT = '/a'\nsys.path.append(ROOT)\n") == (Path("/a"),)


def test_a_local_name_shadowing_sys_is_not_sys():
    assert targets("import sys\nsys = object()\nsys.path.append(x)\n") == ()


def test_a_relative_module_path_is_made_absolute(monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    module = Path("flows/etl.py")
    assert targets('import sys, os\nsys.path.append(os.path.dirname(__file__))', module) == (tmp_path / "flows",)
