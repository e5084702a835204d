from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings


import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from cache_dir import CACHE
from lsp_session import recording_client
from prefect_pitfalls.cli import main

FIXTURES = Path(__file__).parent / "fixtures"

# Property-based tests: a bounded run by default (CI), a long one with --hypothesis-profile=fuzz.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("bounded", max_examples=50, deadline=None, suppress_health_check=_SLOW_IS_FINE)
settings.register_profile("fuzz", max_examples=20_000, deadline=None, suppress_health_check=_SLOW_IS_FINE)
settings.load_profile("bounded")


class CheckRun:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        """Run `prefect-pitfalls check ARGS` in-process; return status, stdout, stderr."""
        self.capsys.readouterr()
        status = main(["check", *args])
        captured = self.capsys.readouterr()
        return status, captured.out, captured.err

    def json(self, *args: str) -> tuple[int, list[dict]]:
        status, out, err = self(*args, "--format", "json")
        assert out.strip(), f"no JSON output (status {status}): {err}"
        return status, json.loads(out)


@pytest.fixture
def check(capsys: pytest.CaptureFixture[str]) -> CheckRun:
    return CheckRun(capsys)


@pytest.fixture(autouse=True, scope="session")
def result_cache_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`check` keeps its results in the session's scratch folder, not in this checkout."""
    os.environ["PREFECT_PITFALLS_CACHE_DIR"] = str(tmp_path_factory.mktemp("result-cache"))




def cached_venv_python(folder: str, requirement: str) -> str:
    """The interpreter of a venv holding REQUIREMENT (built once, then reused from the cache folder)."""
    env = CACHE / folder
    python = env / "bin" / "python"
    marker = env / ".installed"
    if not marker.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", requirement], capture_output=True, text=True, timeout=900
        )
        if done.returncode != 0:
            pytest.skip(f"cannot install {requirement} here: {done.stderr[-500:]}")
        marker.write_text("ok")
    return str(python)


@pytest.fixture(scope="session")
def prefect1_python() -> str:
    """A venv with Prefect 1, which cannot live beside Prefect 3."""
    return cached_venv_python("prefect1-venv", "prefect==1.4.1")


@pytest.fixture(scope="session")
def prefect2_python() -> str:
    """A venv with the last Prefect 2 release, which cannot live beside Prefect 3."""
    return cached_venv_python("prefect2-venv", "prefect==2.20.27")


# --- a real `prefect-pitfalls serve` over stdio, driven by pytest-lsp's client ---


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "prefect_pitfalls", "serve"],
        client_factory=recording_client,
    )
)
async def client(lsp_client: LanguageClient):
    yield lsp_client
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()
