"""`check` on a big generated project: memory stays bounded, progress shows only on a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

TASK_MODULE = '''"""Orders, part {index}."""
from prefect import flow, task

SEEN = []


@task
def load_{index}(rows):
    SEEN.append(len(rows))
    return [row for row in rows if row]


@flow
def orders_{index}(rows=None):
    return load_{index}(rows or [])
'''
MEASURE = """
import json, resource, sys
from prefect_pitfalls.cli import main
status = main(sys.argv[1:])
peak = lambda who: resource.getrusage(who).ru_maxrss / 1024
print(json.dumps({"status": status, "self": peak(resource.RUSAGE_SELF), "workers": peak(resource.RUSAGE_CHILDREN)}), file=sys.stderr)
"""


def generate(root: Path, count: int) -> Path:
    for index in range(count):
        package = root / f"pkg{index // 500:03d}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"orders_{index}.py").write_text(TASK_MODULE.format(index=index))
    return root


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("big") / "project", 20_000)


def test_twenty_thousand_files_in_bounded_memory(big_project: Path) -> None:
    import json

    done = subprocess.run(
        [sys.executable, "-c", MEASURE, "check", "--no-probe", "--format", "json", "--jobs", "2", str(big_project)],
        capture_output=True, text=True, timeout=900,
    )
    measured = json.loads(done.stderr.strip().splitlines()[-1])
    findings = json.loads(done.stdout)
    print(f"MEMORY: 20,000 files, {len(findings)} findings, peak RSS {measured['self']:.0f} MiB (main), "
          f"{measured['workers']:.0f} MiB (largest worker)")
    assert measured["status"] == 1 and len(findings) == 20_000
    assert {f["code"] for f in findings} == {"PP102"}
    # The reports hold findings, not trees: the main process stays far below what 20,000 parsed
    # modules would take, and each worker analyses one file at a time.
    assert measured["self"] < 400 and measured["workers"] < 300, measured


def test_progress_on_a_terminal_only(tmp_path: Path) -> None:
    project = generate(tmp_path / "project", 300)
    command = [sys.executable, "-m", "prefect_pitfalls", "check", "--no-probe", "--jobs", "1", str(project)]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "checking" not in piped.stderr and "file/s" not in piped.stderr

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a size
    report = (tmp_path / "report.txt").open("w+")
    with report, subprocess.Popen(command, stdout=report, stderr=follower) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        process.wait(timeout=300)
        report.seek(0)
        out = report.read()
    os.close(leader)
    assert process.returncode == 1 and "PP102" in out
    terminal = seen.decode("utf-8", "replace")
    assert "checking" in terminal and "/300" in terminal, terminal[-500:]
