"""A project that names marker executables at every place prefect-pitfalls might look for an
interpreter, and holds compiled modules that record being imported: linting it must leave
every marker untouched while still reporting what the files show."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from environments import fake_distribution, marker_executable, marker_venv

FLOW_MODULE = '''\
import acme_tools
from prefect import flow, task
from prefect.task_runners import ProcessPoolTaskRunner

from evil_ext import connect
from tree_ext import helper

RESULTS = []
conn = acme_tools.open_warehouse()


@task
def load(rows):
    RESULTS.append(rows)
    return conn.execute("select 1")


@flow(task_runner=ProcessPoolTaskRunner())
def etl():
    load.submit([1, 2]).wait()
'''

ACME_TOOLS = '''\
import sqlite3


def open_warehouse():
    return sqlite3.connect("warehouse.db")
'''

EXTENSION_SOURCE = r'''
#include <Python.h>
#include <stdio.h>
static struct PyModuleDef definition = {PyModuleDef_HEAD_INIT, NAME, NULL, -1, NULL};
PyMODINIT_FUNC INIT(void) {
    FILE *marker = fopen(MARKER, "a");
    if (marker) { fputs("imported " NAME "\n", marker); fclose(marker); }
    return PyModule_Create(&definition);
}
'''


@dataclass
class TrustProject:
    root: Path
    marker: Path
    flow: Path
    outside_venv: Path
    path_bin: Path

    def ran(self) -> list[str]:
        return self.marker.read_text().splitlines() if self.marker.exists() else []


def build_trust_project(base: Path) -> TrustProject:
    root, marker = base / "project", base / "ran.log"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(textwrap.dedent('''\
        [project]
        name = "etl"
        version = "0.1.0"
        dependencies = ["prefect>=3"]

        [tool.prefect-pitfalls.probe]
        enabled = true
        python = "./evil.sh"
    '''))
    marker_executable(root / "evil.sh", marker)
    site = marker_venv(root / ".venv", marker)
    fake_distribution(site, "acme-data-tools", {"acme_tools/__init__.py": ACME_TOOLS})
    marker_venv(root / "venv", marker)
    outside = marker_venv(base / "active-venv", marker)
    fake_distribution(outside, "acme-data-tools", {"acme_tools/__init__.py": ACME_TOOLS})
    path_bin = root / "bin"
    for name in ("python", "python3"):
        marker_executable(path_bin / name, marker)
    compile_extension("evil_ext", site, marker)
    compile_extension("tree_ext", root, marker)
    flow = root / "flows" / "etl.py"
    flow.parent.mkdir()
    flow.write_text(FLOW_MODULE)
    (root / "prefect.yaml").write_text(textwrap.dedent('''\
        deployments:
          - name: etl
            entrypoint: flows/etl.py:etl
    '''))
    return TrustProject(root, marker, flow, base / "active-venv", path_bin)


def compile_extension(name: str, folder: Path, marker: Path) -> Path:
    """A real extension module whose import appends to the marker file."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    include = sysconfig.get_paths()["include"]
    if compiler is None or not (Path(include) / "Python.h").exists():
        pytest.skip("needs a C compiler and the Python headers")
    source = folder / f"{name}.c"
    source.write_text(EXTENSION_SOURCE)
    target = folder / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"
    defines = [f'-DNAME="{name}"', f"-DINIT=PyInit_{name}", f'-DMARKER="{marker}"']
    subprocess.run(
        [compiler, "-shared", "-fPIC", f"-I{include}", *defines, str(source), "-o", str(target)],
        check=True, capture_output=True,
    )
    source.unlink()
    return target
