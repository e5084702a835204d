"""The VS Code extension: its unit tests, the .vsix it packages, and the workbench end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig

from lsp_session import start

pytestmark = pytest.mark.editors

SEED = Path(__file__).parents[1] / "store_fixes" / "seed_p1.py"


def test_typescript_unit_tests(vscode_client: Path) -> None:
    done = subprocess.run(
        ["npm", "test"], cwd=vscode_client, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_the_vsix_carries_the_server_and_no_node_modules(vsix: Path) -> None:
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
    for needed in (
        "extension/dist/extension.js",
        "extension/bundled/tool/server.py",
        "extension/bundled/libs/prefect_pitfalls/lsp/server.py",
        "extension/bundled/libs/prefect_pitfalls/probe/worker.py",
        "extension/bundled/libs/pygls/server.py",
        "extension/bundled/libs/jedi/__init__.py",
        "extension/bundled/libs/cloudpickle/__init__.py",
        "extension/LICENSE.txt",
    ):
        assert needed in names, needed
    assert not [n for n in names if "/node_modules/" in n or n.endswith((".so", ".pyc"))]
    assert not [n for n in names if n.startswith("extension/bundled/libs/bin/")]
    trust = manifest["capabilities"]["untrustedWorkspaces"]
    assert trust["supported"] == "limited"
    assert {"prefectPitfalls.interpreter", "prefectPitfalls.probe.python"} <= set(trust["restrictedConfigurations"])
    settings = manifest["contributes"]["configuration"]["properties"]
    for key, value in settings.items():
        assert "default" in value and (value.get("description") or value.get("markdownDescription")), key


async def test_the_bundled_server_needs_nothing_installed(vsix: Path, tmp_path: Path) -> None:
    """With site-packages switched off (-S), the server runs from the .vsix's own libraries."""
    with zipfile.ZipFile(vsix) as archive:
        archive.extractall(tmp_path / "vsix")
    script = tmp_path / "vsix" / "extension" / "bundled" / "tool" / "server.py"
    client = await ClientServerConfig(server_command=[sys.executable, "-S", str(script)]).start()
    try:
        session = await start(client, tmp_path)
        uri = session.open("counter.py", SEED.read_text())
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        codes = [d.code for d in client.diagnostics[uri]]
        assert codes == ["PP101", "PP101"]
        await client.shutdown_session()
    finally:
        await client.stop()


@pytest.mark.parametrize("scenario", ["trusted", "untrusted", "no-interpreter"])
def test_the_workbench_end_to_end(scenario: str, vsix: Path, code_server: Path, chromium: str, vscode_client: Path) -> None:
    """code-server with the .vsix installed in a fresh profile, driven through Chromium."""
    done = subprocess.run(
        [
            "node", "e2e/run.mjs", "--scenario", scenario, "--code-server", str(code_server), "--vsix", str(vsix),
            "--python", sys.executable, "--chromium", chromium,
        ],
        cwd=vscode_client, capture_output=True, text=True, timeout=900,
    )
    print(done.stdout)
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}\n(artifacts: vscode-client/e2e/artifacts)"
