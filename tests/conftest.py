from __future__ import annotations

import json
from pathlib import Path

import pytest

from prefect_pitfalls.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


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
