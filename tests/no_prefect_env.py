"""An interpreter that runs prefect-pitfalls but cannot import Prefect, as a user's `pipx`
install or the VS Code extension's interpreter would.

A virtual environment without pip whose one `.pth` file adds this checkout's `server/` and a
folder linking every package of the test environment except Prefect: built in a second,
offline, and always in step with the test environment.
"""

from __future__ import annotations

import re
import sys
import sysconfig
import venv
from pathlib import Path

import prefect_pitfalls

PREFECT_ENTRY = re.compile(r"prefect(-[\d.]+\.dist-info)?", re.IGNORECASE)


def create_python_without_prefect(root: Path) -> str:
    """The `python` of a new environment under ``root``."""
    venv.EnvBuilder(with_pip=False, clear=True).create(root / "env")
    packages = root / "packages"
    packages.mkdir()
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        if not PREFECT_ENTRY.fullmatch(entry.name) and entry.suffix != ".pth":
            (packages / entry.name).symlink_to(entry)
    server = Path(prefect_pitfalls.__file__).parents[1]
    (site_packages(root / "env") / "prefect_pitfalls_checkout.pth").write_text(f"{server}\n{packages}\n")
    return str(root / "env" / "bin" / "python")


def site_packages(env: Path) -> Path:
    return env / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
