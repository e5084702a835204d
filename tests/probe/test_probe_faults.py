"""Fault injection for the serialization probe, against a real Prefect 3 install: modules that
fork, leave threads running, change directory, delete files, read stdin or leave the process at
import, probed through `check --probe` in this process and through the real language server.
Each test checks that the command or server stays up, that the user gets the module's real
result or a PP305 giving the reason, and that nothing in the project is touched.

Already covered in test_probe.py, not repeated here: a hang, a segfault, `sys.exit()`, a huge
allocation, an output flood, a missing interpreter given to `check --python`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_session import PROBED, eventually, start
from prefect_pitfalls.cli import main

pytest.importorskip("prefect")

# A module with findings only the probe makes (the task `count_orders` on line 9, the flow `etl`
# that uses it on line 14), probed after a faulty module to show that the worker still answers right.
ORDERS = PROBED
ORDERS_FOUND = [(9, "PP302"), (14, "PP301")]

# A flow that serializes fine: a faulty module ending with it has no probe finding when probed right.
CLEAN_FLOW = "\n\nfrom prefect import flow\n\n\n@flow\ndef etl():\n    return 1\n"

PROBE_CODES = ("PP301", "PP302", "PP304", "PP305")


# --- helpers -----------------------------------------------------------------------------------


def make_project(root: Path, files: dict[str, str], timeout: float) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.prefect-pitfalls.probe]\ntimeout = {timeout}\n")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_check(paths: list[Path], report: Path) -> tuple[int, list[dict], float]:
    """`prefect-pitfalls check PATHS --probe` in this process: status, findings, seconds taken.
    The report goes to a file (outside the project), so that module-scoped fixtures can run it too."""
    started = time.monotonic()
    status = main(["check", *map(str, paths), "--probe", "--format", "json", "--output-file", str(report)])
    elapsed = time.monotonic() - started
    return status, json.loads(report.read_text()), elapsed


def probe_findings(findings: list[dict], name: str) -> list[tuple[int, str]]:
    return [(f["line"], f["code"]) for f in findings if Path(f["path"]).name == name and f["code"] in PROBE_CODES]


def message(findings: list[dict], name: str, code: str) -> str:
    (found,) = [f["message"] for f in findings if Path(f["path"]).name == name and f["code"] == code]
    return found


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content: the probe must leave the project as it was."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def alive(pid: int) -> bool:
    """Whether a process still runs (a zombie waiting for its reaper does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pids: list[int], seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = [pid for pid in pids if alive(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


# --- 1. a module that forks at import ---------------------------------------------------------

FORK_TIMEOUT = 3


def fork_modules(pids: Path) -> dict[str, str]:
    def record(name: str) -> str:
        return f"    with open({str(pids / name)!r}, 'a') as out:\n        out.write(f'{{child}}\\n')\n"

    return {
        # The child idles for two minutes, holding whatever the probe's child held open.
        "fork_sleeps.py": (
            "import os\nimport time\n\nchild = os.fork()\nif child == 0:\n    time.sleep(120)\n    os._exit(0)\n"
            "else:\n" + record("fork_sleeps.py") + CLEAN_FLOW
        ),
        # No branch on the result: the child goes on importing the module, like its parent.
        "fork_continues.py": "import os\n\nchild = os.fork()\nif child:\n" + record("fork_continues.py") + CLEAN_FLOW,
        # A helper process started at import that holds none of the probe's pipes (a local server, say).
        "spawns.py": (
            "import subprocess\n\nhelper = subprocess.Popen(['sleep', '60'], stdin=subprocess.DEVNULL,"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nchild = helper.pid\nif child:\n"
            + record("spawns.py") + CLEAN_FLOW
        ),
    }


FORKING = ["fork_sleeps.py", "fork_continues.py", "spawns.py"]


@pytest.fixture(scope="module")
def fork_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("fork")
    pids = base / "pids"
    pids.mkdir()
    root = make_project(base / "project", {**fork_modules(pids), "orders.py": ORDERS}, timeout=FORK_TIMEOUT)
    before = snapshot(root)
    cwd = os.getcwd()
    status, findings, elapsed = run_check([*(root / name for name in FORKING), root / "orders.py"], base / "report.json")
    started = {name: [int(pid) for pid in (pids / name).read_text().split()] for name in FORKING if (pids / name).exists()}
    yield {"status": status, "findings": findings, "elapsed": elapsed, "pids": started,
           "unchanged": snapshot(root) == before, "cwd": os.getcwd() == cwd}
    # Whatever the modules started and the probe left running: ended here, by pid, checked first.
    for pid in [pid for found in started.values() for pid in found]:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if alive(pid) and (b"sleep" in command or b"worker.py" in command):
            os.kill(pid, signal.SIGKILL)


def test_fork_at_import_leaves_no_process_behind_and_the_run_goes_on(fork_run) -> None:
    findings = fork_run["findings"]
    assert sorted(fork_run["pids"]) == sorted(FORKING) and all(len(p) == 1 for p in fork_run["pids"].values())
    forked = fork_run["pids"]["fork_sleeps.py"] + fork_run["pids"]["fork_continues.py"]
    assert wait_until_gone(forked) == [], "a child the module forked outlived the probe"
    # The worker is not held hostage: the next module is probed, with its real finding.
    assert probe_findings(findings, "orders.py") == ORDERS_FOUND
    for name in ("fork_sleeps.py", "fork_continues.py"):
        assert probe_findings(findings, name) == [], findings
    assert probe_findings(findings, "spawns.py") == []
    # The sleeping child (120 s) is not waited for: at most the probe timeout, twice a worker start.
    assert fork_run["elapsed"] < FORK_TIMEOUT + 40
    assert fork_run["status"] == 1
    assert fork_run["unchanged"] and fork_run["cwd"]


def test_fork_at_import_gives_the_modules_real_result(fork_run) -> None:
    """Only the probe's own child answers, and it is not kept waiting by the module's children."""
    for name in ("fork_sleeps.py", "fork_continues.py"):
        assert probe_findings(fork_run["findings"], name) == [], fork_run["findings"]


def test_a_process_started_at_import_does_not_outlive_the_probe(fork_run) -> None:
    assert wait_until_gone(fork_run["pids"]["spawns.py"], seconds=2) == []


# --- 2. non-daemon threads that never end ----------------------------------------------------

THREADS = (
    "import threading\nimport time\n\n\ndef spin():\n    while True:\n        time.sleep(0.05)\n\n\n"
    "WORKERS = [threading.Thread(target=spin, name=f'never-ends-{i}') for i in range(3)]\n"
    "for worker in WORKERS:\n    worker.start()\n" + CLEAN_FLOW
)


def test_never_ending_threads_do_not_hold_the_probe(tmp_path) -> None:
    timeout = 8
    root = make_project(tmp_path / "project", {"threads.py": THREADS, "orders.py": ORDERS}, timeout=timeout)
    before = snapshot(root)
    status, findings, elapsed = run_check([root / "threads.py", root / "orders.py"], tmp_path / "report.json")
    # The probe's child answers and leaves with os._exit, which does not join threads: the module's
    # real result (no finding), not a timeout, and the next module's real finding from the same worker.
    assert probe_findings(findings, "threads.py") == [], findings
    assert probe_findings(findings, "orders.py") == ORDERS_FOUND
    assert elapsed < timeout + 20
    assert status == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("never-ends")]
    assert snapshot(root) == before


# --- 3. a module that changes the working directory ------------------------------------------

CHDIR = "import os\n\nos.chdir('/')\n" + CLEAN_FLOW
# Reads a file relative to the working directory at import: it imports only where the probe
# starts it, in the project folder, whatever the module probed before it did.
RELATIVE = "SETTINGS = open('settings.txt').read()\n" + ORDERS  # one line down


def test_chdir_at_import_changes_nothing_for_the_command_or_the_next_probe(tmp_path) -> None:
    root = make_project(
        tmp_path / "project", {"a_chdir.py": CHDIR, "b_relative.py": RELATIVE, "settings.txt": "x = 1\n"}, timeout=10
    )
    before = snapshot(root)
    cwd = os.getcwd()
    status, findings, _ = run_check([root / "a_chdir.py", root / "b_relative.py"], tmp_path / "report.json")
    assert os.getcwd() == cwd
    assert probe_findings(findings, "a_chdir.py") == []
    assert probe_findings(findings, "b_relative.py") == [(line + 1, code) for line, code in ORDERS_FOUND], findings
    assert status == 1
    assert snapshot(root) == before


# --- 4. a module that deletes files -----------------------------------------------------------


@pytest.fixture(scope="module")
def delete_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("delete")
    outside = base / "elsewhere" / "sentinel.txt"
    outside.parent.mkdir()
    outside.write_text("outside the project\n")
    module = f"import os\n\nos.remove('sentinel.txt')\nos.remove({str(outside)!r})\n" + CLEAN_FLOW
    root = make_project(
        base / "project",
        {"etl.py": module, "sentinel.txt": "next to the module\n", "helper.py": "VALUE = 1\n", "data/keep.csv": "a,b\n1,2\n"},
        timeout=10,
    )
    before = snapshot(root)
    cwd = os.getcwd()
    status, findings, _ = run_check([root / "etl.py"], base / "report.json")
    return {"root": root, "before": before, "after": snapshot(root), "outside": outside,
            "status": status, "findings": findings, "cwd": os.getcwd() == cwd}


def test_deleting_module_is_probed_and_the_project_files_remain(delete_run) -> None:
    before, after = delete_run["before"], delete_run["after"]
    # The probe finished with the module's real result (both removals succeeded in its process).
    assert probe_findings(delete_run["findings"], "etl.py") == [], delete_run["findings"]
    assert delete_run["status"] == 0 and delete_run["cwd"]
    # The module itself and the project's other files are still there, unchanged.
    for name in ("etl.py", "pyproject.toml", "helper.py", "data/keep.csv"):
        assert after.get(name) == before[name], name
    assert set(after) <= set(before), "the probe left files in the project"
    # By design the probe runs the module's code for real, with the user's rights, in the project's
    # interpreter (worker.py: import_module imports from the real folder after os.chdir(root)):
    # nothing protects a file the module deletes by absolute path.
    assert not delete_run["outside"].exists()


# --- 5. a module that reads stdin ---------------------------------------------------------------

INPUT = "from prefect import flow\n\nNAME = input('name? ')\n" + CLEAN_FLOW
READS = (
    "import os\nimport sys\n\nDATA = sys.stdin.read()\nRAW = os.read(0, 100)\n"
    "if DATA or RAW:\n    raise RuntimeError(f'the probe fed stdin: {DATA!r} {RAW!r}')\n" + CLEAN_FLOW
)


def test_reading_stdin_at_import_meets_eof_at_once(tmp_path) -> None:
    timeout = 30
    root = make_project(tmp_path / "project", {"inputs.py": INPUT, "reads.py": READS, "orders.py": ORDERS}, timeout=timeout)
    status, findings, elapsed = run_check([root / "inputs.py", root / "reads.py", root / "orders.py"], tmp_path / "report.json")
    # stdin is /dev/null in the probe's child: input() fails with EOFError (PP304 at its line),
    # read() gets "" (and nothing of the worker's own request pipe), never waiting for the timeout.
    assert probe_findings(findings, "inputs.py") == [(3, "PP304")]
    assert "EOFError" in message(findings, "inputs.py", "PP304")
    assert probe_findings(findings, "reads.py") == [], findings
    assert probe_findings(findings, "orders.py") == ORDERS_FOUND
    assert elapsed < timeout - 10
    assert status == 1


# --- os._exit at import (sys.exit is in test_probe.py) --------------------------------------------


def test_os_exit_at_import_is_a_pp305_with_its_status(tmp_path) -> None:
    root = make_project(tmp_path / "project", {"leaves.py": "import os\n\nos._exit(4)\n" + CLEAN_FLOW, "orders.py": ORDERS}, timeout=10)
    status, findings, _ = run_check([root / "leaves.py", root / "orders.py"], tmp_path / "report.json")
    assert probe_findings(findings, "leaves.py") == [(1, "PP305")]
    assert "exited with status 4 without an answer" in message(findings, "leaves.py", "PP305")
    assert probe_findings(findings, "orders.py") == ORDERS_FOUND
    assert status == 1


# --- through the real language server ----------------------------------------------------------



def probing(python: str | None = None) -> dict:
    probe = {"enabled": True, "timeout": 20, **({"python": python} if python else {})}
    return {"prefectPitfalls": {"probe": probe, "workspaceTrusted": True}}


def save(client: LanguageClient, uri: str) -> None:
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))


def latest(client: LanguageClient, uri: str) -> types.PublishDiagnosticsParams | None:
    return next((p for p in reversed(client.publishes) if p.uri == uri), None)


def latest_codes(client: LanguageClient, uri: str) -> set[str]:
    published = latest(client, uri)
    return {d.code for d in published.diagnostics} if published else set()


async def still_answers(client: LanguageClient) -> None:
    assert client._server.returncode is None, "the server exited"
    doc = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prefect-pitfalls.explain", arguments=["PP305"])
    )
    assert doc and "What it does" in doc


# A flow on a process pool: every submit pickles the flow run's context, the flow included.
LOCKED = textwrap.dedent(
    """\
    import threading
    from prefect import flow, task, task_runners

    lock = threading.Lock()


    @task
    def one():
        return 1


    @flow(task_runner=task_runners.ProcessPoolTaskRunner())
    def guarded():
        with lock:
            return one.submit().result()
    """
)


async def test_two_saves_back_to_back_both_get_probe_diagnostics(client, tmp_path: Path) -> None:
    session = await start(client, tmp_path, init_options=probing())
    orders = session.open("orders.py", ORDERS)
    locked = session.open("locked.py", LOCKED)
    await session.published(orders, 1)
    await session.published(locked, 1)
    save(client, orders)
    save(client, locked)
    both = await eventually(
        lambda: "PP302" in latest_codes(client, orders) and "PP301" in latest_codes(client, locked), timeout=60
    )
    assert both, [(p.uri, p.version, [d.code for d in p.diagnostics]) for p in client.publishes]
    (pp301,) = [d for d in latest(client, locked).diagnostics if d.code == "PP301"]
    assert "guarded → global 'lock' → _thread.lock" in pp301.message
    assert latest(client, orders).version == latest(client, locked).version == 1
    assert not ({"PP305"} & (latest_codes(client, orders) | latest_codes(client, locked)))
    await still_answers(client)


async def test_server_survives_modules_that_chdir_and_read_stdin(client, tmp_path: Path) -> None:
    cwd = os.readlink(f"/proc/{client._server.pid}/cwd")
    session = await start(client, tmp_path, init_options=probing())
    moved = session.open("moved.py", "import os\nos.chdir('/')\n" + ORDERS)
    asks = session.open("asks.py", INPUT)
    await session.published(moved, 1)
    await session.published(asks, 1)
    save(client, moved)
    save(client, asks)
    assert await eventually(
        lambda: "PP302" in latest_codes(client, moved) and "PP304" in latest_codes(client, asks), timeout=60
    ), [(p.uri, [d.code for d in p.diagnostics]) for p in client.publishes]
    (eof,) = [d for d in latest(client, asks).diagnostics if d.code == "PP304"]
    assert "EOFError" in eof.message and eof.range.start.line == 2
    assert os.readlink(f"/proc/{client._server.pid}/cwd") == cwd
    # The module's read of stdin took nothing of the server's own stdin (its JSON-RPC channel).
    await still_answers(client)


def linked_interpreter(env: Path) -> Path:
    """A venv whose `bin/python` is a symlink to this venv's interpreter (and `lib` to its packages)."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("needs the tests to run in a virtual environment")
    (env / "bin").mkdir(parents=True)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", env / "pyvenv.cfg")
    (env / "lib").symlink_to(Path(sys.prefix) / "lib", target_is_directory=True)
    python = env / "bin" / "python"
    python.symlink_to(sys.executable)
    return python


async def test_interpreter_deleted_while_the_server_runs(client, tmp_path: Path) -> None:
    python = linked_interpreter(tmp_path / "env")
    root = tmp_path / "project"
    root.mkdir()
    session = await start(client, root, init_options=probing(str(python)))
    uri = session.open("etl.py", ORDERS)
    await session.published(uri, 1)
    save(client, uri)
    assert await eventually(lambda: "PP302" in latest_codes(client, uri), timeout=60)

    python.unlink()
    save(client, uri)
    assert await eventually(lambda: "PP305" in latest_codes(client, uri), timeout=30)
    published = latest(client, uri)
    (note,) = [d for d in published.diagnostics if d.code == "PP305"]
    assert f"the interpreter {python} does not exist" in note.message
    assert note.range.start.line == 0 and note.severity == types.DiagnosticSeverity.Information
    assert "PP302" not in latest_codes(client, uri)  # the old answer is not passed off as current
    await still_answers(client)

    python.symlink_to(sys.executable)
    text = ORDERS + "\n# saved again\n"  # new content: a real probe, not the cached answer
    (root / "etl.py").write_text(text)
    version = session.replace(uri, text)
    await session.published(uri, version)
    save(client, uri)
    assert await eventually(
        lambda: latest(client, uri).version == version and "PP302" in latest_codes(client, uri), timeout=60
    )
    assert "PP305" not in latest_codes(client, uri)
