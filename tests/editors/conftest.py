"""Fixtures for the editor tests: the built extension and the editors that load it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cache_dir import CACHE
from tooling import VSCODE_CLIENT, ensure_code_server, ensure_debian_packages, ensure_node_modules, run


@pytest.fixture(scope="session")
def vscode_client() -> Path:
    """The extension's folder with its npm dependencies installed."""
    ensure_node_modules(VSCODE_CLIENT)
    return VSCODE_CLIENT


@pytest.fixture(scope="session")
def vsix(vscode_client: Path) -> Path:
    """The .vsix that `npm run package` builds, the server bundled with this interpreter's pip."""
    run(["npm", "run", "package"], cwd=vscode_client, timeout=900, env={"PYTHON": sys.executable})
    return vscode_client / "prefect-pitfalls.vsix"


@pytest.fixture(scope="session")
def code_server() -> Path:
    return ensure_code_server(CACHE)


@pytest.fixture(scope="session")
def chromium() -> str:
    ensure_debian_packages(["chromium"])
    return "/usr/bin/chromium"
