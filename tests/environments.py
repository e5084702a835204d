"""Python environments on disk for tests: distributions written as `*.dist-info` folders, and
interpreters that are marker executables recording every time something runs them."""

from __future__ import annotations

from pathlib import Path


def fake_distribution(
    site: Path,
    name: str,
    files: dict[str, str],
    requires: tuple[str, ...] | list[str] = (),
    top_level: str | None = None,
    version: str = "1.0",
) -> None:
    """A distribution as an installer leaves it: its files, and `METADATA`/`RECORD` in a dist-info."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    (info / "METADATA").write_text(metadata + "".join(f"Requires-Dist: {r}\n" for r in requires))
    record = []
    for path, text in files.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text)
        record.append(f"{path},,")
    if top_level is not None:
        (info / "top_level.txt").write_text(top_level)
    (info / "RECORD").write_text("\n".join(record) + "\n")


def marker_executable(path: Path, marker: Path) -> Path:
    """An executable that appends its command line to ``marker`` whenever anything runs it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\nexit 1\n')
    path.chmod(0o755)
    return path


def marker_venv(root: Path, marker: Path, python_version: str = "3.11") -> Path:
    """A virtual environment whose `bin/python` is a marker executable; its site-packages folder."""
    (root / "pyvenv.cfg").parent.mkdir(parents=True, exist_ok=True)
    (root / "pyvenv.cfg").write_text(
        f"home = /usr/bin\ninclude-system-site-packages = false\nversion = {python_version}.4\n"
    )
    marker_executable(root / "bin" / "python", marker)
    site = root / "lib" / f"python{python_version}" / "site-packages"
    site.mkdir(parents=True)
    return site


def ran(marker: Path) -> list[str]:
    """The command lines the marker executables recorded."""
    return marker.read_text().splitlines() if marker.exists() else []
