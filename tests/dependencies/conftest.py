from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest
from dependency_edits import apply
from prefect_pitfalls.findings import Edit


@pytest.fixture
def apply_edit() -> Callable[[str, Edit], str]:
    return apply


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented files under tmp_path; return tmp_path."""

    def write_files(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8", newline="")
        return tmp_path

    return write_files
