"""Standard library, project-local or third-party, by what exists in the project tree."""

from __future__ import annotations

import ast
import os
import time
from pathlib import Path

import pytest
from prefect_pitfalls.dependencies import ModuleKind, classify
from prefect_pitfalls.dependencies.classify import added_to_sys_path, search_folders
from prefect_pitfalls.dependencies.submodules import parse_gitmodules, submodule_folders

LOCAL, STDLIB, THIRD = ModuleKind.LOCAL, ModuleKind.STDLIB, ModuleKind.THIRD_PARTY


@pytest.fixture
def project(write) -> Path:
    return write({
        "flows/etl.py": "import helpers\n",
        "flows/helpers.py": "",
        "flows/jobs/nightly.py": "",
        "common/__init__.py": "",
        "src/mylib/__init__.py": "",
        "src/mylib/core.py": "",
        "nspkg/sub/mod.py": "",
        "fastext.cpython-311-x86_64-linux-gnu.so": "",
        "settings.py": "",
        "data/yaml/config.yaml": "a: 1\n",
        "docs/index.md": "",
        "requests/README.md": "not a package: no Python inside\n",
        "outside/elsewhere.py": "",
        ".hidden/secret.py": "",
    })


@pytest.mark.parametrize(("name", "kind"), [
    ("os", STDLIB), ("__future__", STDLIB), ("tomllib", STDLIB), ("distutils", STDLIB), ("imp", STDLIB),
    ("helpers", LOCAL),  # beside the module
    ("common", LOCAL),  # a regular package at the root
    ("mylib", LOCAL),  # src/ layout
    ("nspkg", LOCAL),  # a namespace package (Python files only further down)
    ("fastext", LOCAL),  # an extension module
    ("settings", LOCAL),  # a module at the root
    ("jobs", LOCAL),  # a namespace package beside the module
    ("data", THIRD), ("docs", THIRD), ("requests", THIRD),  # folders without Python files
    ("yaml", THIRD), ("pandas", THIRD), (".hidden", THIRD), ("elsewhere", THIRD),
])
def test_kinds(project: Path, name: str, kind: ModuleKind):
    assert classify(name, project / "flows" / "etl.py", project) is kind


def test_folders_between_the_module_and_the_root_count(project: Path):
    module = project / "flows" / "jobs" / "nightly.py"
    assert classify("helpers", module, project) is LOCAL
    assert search_folders(module, project) == [
        project / "flows" / "jobs", project / "flows", project, project / "src",
    ]


def test_a_module_outside_the_root_searches_its_folder_and_the_root(project: Path, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "localmod.py").write_text("")
    module = elsewhere / "script.py"
    assert classify("localmod", module, project) is LOCAL
    assert classify("settings", module, project) is LOCAL
    assert classify("helpers", module, project) is THIRD


def test_a_new_module_is_seen_once_its_folder_changes(project: Path):
    module = project / "flows" / "etl.py"
    assert classify("transforms", module, project) is THIRD
    (project / "flows" / "transforms.py").write_text("")
    folder = project / "flows"
    later = time.time_ns() + 5_000_000_000
    os.utime(folder, ns=(later, later))  # file systems with coarse timestamps
    assert classify("transforms", module, project) is LOCAL


# --- git submodules and sys.path insertions -----------------------------------------------

GITMODULES = """\
[submodule "vendor/libfoo"]
\tpath = vendor/libfoo
\turl = https://github.com/example/libfoo.git
; a comment
[submodule "shapes"]
\tpath = "vendor/shapes"  # quoted, with a comment
\turl = ../shapes.git
[submodule "geo"]
\tpath = geo_tools
[submodule "outside"]
\tpath = ../elsewhere
[core]
\tpath = core_lib
"""


@pytest.fixture
def with_submodules(write) -> Path:
    files = {
        ".gitmodules": GITMODULES,
        "flows/etl.py": "",
        "vendor/libfoo/libfoo/__init__.py": "",
        "vendor/libfoo/tools.py": "",
        "vendor/shapes/src/shapes/__init__.py": "",
        "vendor/other/other/__init__.py": "",
    }
    return write({"elsewhere/elsewhere.py": "", **{f"repo/{name}": text for name, text in files.items()}}) / "repo"


@pytest.mark.parametrize(("name", "kind"), [
    ("libfoo", LOCAL),  # a package in the submodule folder
    ("tools", LOCAL),  # a module at the submodule's top
    ("shapes", LOCAL),  # the submodule's src/
    ("geo_tools", LOCAL),  # a submodule at the root, not checked out
    ("other", THIRD),  # vendor/other is no submodule
    ("elsewhere", THIRD),  # a path leaving the repository is ignored
])
def test_submodules_are_local(with_submodules: Path, name: str, kind: ModuleKind):
    assert classify(name, with_submodules / "flows" / "etl.py", with_submodules) is kind


def test_submodules_are_read_from_the_project_root(with_submodules: Path):
    flows = with_submodules / "flows"
    assert classify("libfoo", flows / "etl.py", flows) is THIRD


def test_parse_gitmodules():
    assert parse_gitmodules(GITMODULES) == ("vendor/libfoo", "vendor/shapes", "geo_tools", "../elsewhere")
    assert parse_gitmodules("not a config file\n") == ()
    assert parse_gitmodules("") == ()


def test_submodule_folders(with_submodules: Path):
    root = with_submodules
    assert submodule_folders(root) == (root / "vendor" / "libfoo", root / "vendor" / "shapes", root / "geo_tools")
    assert submodule_folders(root / "flows") == ()


SYS_PATH_FLOW = """\
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "shared"))
import utils_x
"""


def test_folders_the_module_adds_to_sys_path_are_local(write):
    root = write({"flows/etl.py": SYS_PATH_FLOW, "shared/utils_x.py": "", "other/utils_y.py": ""})
    module = root / "flows" / "etl.py"
    assert classify("utils_x", module, root) is LOCAL
    assert classify("utils_y", module, root) is THIRD
    assert added_to_sys_path(module) == (root / "shared",)


def test_the_tree_given_is_read_instead_of_the_file(write):
    root = write({"flows/etl.py": "import utils_x\n", "shared/utils_x.py": ""})
    module = root / "flows" / "etl.py"
    assert classify("utils_x", module, root) is THIRD
    assert classify("utils_x", module, root, ast.parse(SYS_PATH_FLOW)) is LOCAL


def test_an_edited_module_is_read_again(write):
    root = write({"flows/etl.py": SYS_PATH_FLOW, "shared/utils_x.py": ""})
    module = root / "flows" / "etl.py"
    assert classify("utils_x", module, root) is LOCAL
    module.write_text(SYS_PATH_FLOW.replace('"shared"', '"elsewhere"'))
    assert classify("utils_x", module, root) is THIRD


def test_a_folder_that_cannot_be_computed_makes_none_count(write):
    flow = SYS_PATH_FLOW + "import os\nsys.path.append(os.getcwd())\n"
    root = write({"flows/etl.py": flow, "shared/utils_x.py": ""})
    assert classify("utils_x", root / "flows" / "etl.py", root) is THIRD
    assert added_to_sys_path(root / "flows" / "etl.py") == ()


def test_a_module_that_does_not_parse_adds_nothing(write):
    root = write({"flows/etl.py": SYS_PATH_FLOW + "def broken(:\n", "shared/utils_x.py": ""})
    assert classify("utils_x", root / "flows" / "etl.py", root) is THIRD
