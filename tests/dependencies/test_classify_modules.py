"""Standard library, project-local or third-party, by what exists in the project tree."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from prefect_pitfalls.dependencies import ModuleKind, classify
from prefect_pitfalls.dependencies.classify import search_folders

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
