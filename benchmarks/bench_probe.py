#!/usr/bin/env python3
"""Latency of the serialization probe (`prefect_pitfalls.probe`), warm and cold.

Probes two modules written into a temporary project:

* small  - a ~30-line flow module (two @task, one @flow); one task captures a module-level
           sqlite3 connection, so the probe reports an offender;
* 1000   - a 1,000-line module with about 50 flows/tasks, made by the shared generator
           ../shared/bench/gen_prefect_corpus.py (--lines 1000 --seed 3).

Measures, --repeat times each (interleaved by round; both files get a new comment line
before every round, so nothing is served from a cache or a .pyc):

* worker start   - the first ``Prober().probe()`` of the small module: starts and warms the
                   fork server, then probes (once);
* warm probe     - ``Prober().probe(file, python, ...)`` with the warm fork server;
* cold probe     - a fresh ``python worker.py --once FD`` per probe (spawn, request on stdin,
                   reply read from FD; timed until the reply arrives, not the process's exit):
                   the cost without the fork server;
* import prefect - ``python -c "import prefect"`` wall time (a cold interpreter);
* module import  - ``importlib.import_module`` of the module alone, in a child forked from a
                   process warmed up by the worker's own ``warm()`` (imports prefect, round-trips
                   a task and a flow: the state the fork server is in), i.e. the floor of any
                   probe that imports the module.

Targets (p50s of the same run):

* warm probe (small)  <= 3 % of cold ``import prefect``;
* warm probe (1000)   <= 1.5 x module import (1000).

The table shows p50/p95 in ms; the last line of output is one JSON object with all figures
and the pass/fail of each target.

    .venv/bin/python benchmarks/bench_probe.py [--repeat N] [--keep DIR]

Standard library only, plus the installed package.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cloudpickle

from prefect_pitfalls.probe.runner import WORKER, Prober

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO.parent / "shared" / "bench" / "gen_prefect_corpus.py"
TIMEOUT = 60.0

SMALL = '''\
"""A small Prefect flow module for the probe benchmark."""
import sqlite3

from prefect import flow, task

conn = sqlite3.connect(":memory:")
conn.execute("CREATE TABLE IF NOT EXISTS events (name TEXT, value REAL)")
SCALE = 2.5


@task(retries=2)
def extract(n: int) -> list[dict]:
    """Rows to load."""
    return [{"name": f"event-{i}", "value": i * SCALE} for i in range(n)]


@task
def load(rows: list[dict]) -> int:
    """Writes through the module-level connection, which cannot be pickled."""
    conn.executemany("INSERT INTO events VALUES (:name, :value)", rows)
    return len(rows)


@flow(log_prints=True)
def etl(n: int = 10) -> int:
    count = load(extract(n))
    print(f"loaded {count} rows")
    return count


if __name__ == "__main__":
    etl()
'''

# Runs in the probed interpreter: warms up exactly as the fork server does (worker.warm: imports
# prefect, round-trips a task and a flow), then per module name on stdin forks a child that
# times the module's import.  argv: project folder, worker folder.
MODULE_IMPORT = r'''
import importlib, os, sys, time
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[2])
import worker
worker.warm(worker.load_cloudpickle())
sys.path[0] = sys.argv[1]
os.chdir(sys.argv[1])
for line in sys.stdin:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1), os.dup2(devnull, 2)
        started = time.perf_counter()
        importlib.import_module(line.strip())
        os.write(write, repr(time.perf_counter() - started).encode())
        os._exit(0)
    os.close(write)
    seconds = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(pid, 0)
    print(seconds or "nan", flush=True)
'''


def write_targets(project: Path, python: str) -> dict[str, Path]:
    small, big = project / "small_flow.py", project / "generated_1000.py"
    small.write_text(SMALL)
    subprocess.run([python, str(GENERATOR), "--lines", "1000", "--seed", "3", "-o", str(big)],
                   check=True, capture_output=True)
    return {"small": small, "1000": big}


def touch(file: Path, round_: int) -> None:
    with file.open("a") as out:
        out.write(f"# round {round_}\n")


def worker_environment() -> dict[str, str]:
    """As `WorkerProcess` starts the worker."""
    environment = dict(os.environ)
    environment["PREFECT_PITFALLS_CLOUDPICKLE"] = str(Path(cloudpickle.__file__).parent.parent)
    environment.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return environment


def cold_probe(python: str, file: Path) -> tuple[float, dict]:
    """One probe in a fresh `worker.py --once` process: (wall seconds, reply)."""
    started = time.perf_counter()
    read_fd, write_fd = os.pipe()
    request = {"module": file.stem, "root": str(file.parent), "file": str(file),
               "timeout": TIMEOUT, "by_value": None, "id": 1}
    process = subprocess.Popen([python, "-u", str(WORKER), "--once", str(write_fd)],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               pass_fds=(write_fd,), env=worker_environment())
    os.close(write_fd)
    process.stdin.write((json.dumps(request) + "\n").encode())
    process.stdin.close()
    reply, buffer = None, b""
    with os.fdopen(read_fd, "rb", buffering=0) as replies:
        while reply is None and select.select([replies], [], [], TIMEOUT)[0]:
            chunk = replies.read(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:  # a "ready" event comes first, then the reply
                line, buffer = buffer.split(b"\n", 1)
                message = json.loads(line)
                if "event" not in message:
                    reply = message
    seconds = time.perf_counter() - started
    process.wait()
    if reply is None or reply.get("status") != "ok":
        sys.exit(f"error: cold probe of {file}: {reply and (reply.get('status'), reply.get('error'))}")
    return seconds, reply


def import_prefect(python: str) -> float:
    started = time.perf_counter()
    subprocess.run([python, "-c", "import prefect"], check=True)
    return time.perf_counter() - started


def warm_probe(prober: Prober, python: str, file: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    outcome = prober.probe(file, python, TIMEOUT, None)
    seconds = time.perf_counter() - started
    if outcome.status != "ok":
        sys.exit(f"error: warm probe of {file}: {outcome.status} {outcome.error}")
    return seconds, outcome.reply


def module_import(reference: subprocess.Popen, file: Path) -> float:
    """The module's own import time, from the reference process (MODULE_IMPORT)."""
    reference.stdin.write(file.stem + "\n")
    reference.stdin.flush()
    answer = reference.stdout.readline().strip()
    if answer in ("", "nan"):
        sys.exit(f"error: {file} does not import in a warm interpreter")
    return float(answer)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="repetitions of each measure (default 15)")
    parser.add_argument("--python", default=sys.executable, help="the probed interpreter (default: this one)")
    parser.add_argument("--keep", type=Path, help="write the targets here and keep them (default: a temp dir)")
    args = parser.parse_args()
    python = args.python

    project = args.keep or Path(tempfile.mkdtemp(prefix="bench-probe-"))
    project.mkdir(parents=True, exist_ok=True)
    files = write_targets(project, python)
    reference = subprocess.Popen([python, "-c", MODULE_IMPORT, str(project), str(WORKER.parent)], text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=worker_environment())
    prober = Prober()
    times: dict[tuple[str, str], list[float]] = {}
    replies: dict[str, dict] = {}
    try:
        worker_start, replies["small"] = warm_probe(prober, python, files["small"])
        for round_ in range(args.repeat):
            print(f"... round {round_ + 1}/{args.repeat}", file=sys.stderr, flush=True)
            for name, file in files.items():
                touch(file, round_)
                seconds, replies[name] = warm_probe(prober, python, file)
                times.setdefault(("warm probe", name), []).append(seconds)
                seconds, _ = cold_probe(python, file)
                times.setdefault(("cold probe", name), []).append(seconds)
                times.setdefault(("module import", name), []).append(module_import(reference, file))
            times.setdefault(("import prefect", "-"), []).append(import_prefect(python))
    finally:
        prober.close()
        reference.stdin.close()
        reference.wait()
        if args.keep is None:
            shutil.rmtree(project, ignore_errors=True)

    stats = {f"{measure} ({name})": {"p50_ms": round(percentile(v, 0.5) * 1000, 2),
                                     "p95_ms": round(percentile(v, 0.95) * 1000, 2)}
             for (measure, name), v in sorted(times.items())}
    print(f"\nrepeat={args.repeat}; python {python}; times in ms\n")
    print(f"{'measure':<16}{'module':<8}{'p50':>9}{'p95':>9}")
    print(f"{'worker start':<16}{'small':<8}{worker_start * 1000:>9.1f}{'':>9}")
    for (measure, name), values in sorted(times.items()):
        print(f"{measure:<16}{name:<8}{percentile(values, 0.5) * 1000:>9.1f}{percentile(values, 0.95) * 1000:>9.1f}")

    def p50(measure: str, name: str) -> float:
        return percentile(times[(measure, name)], 0.5)

    checks = [
        {"target": "warm probe (small) <= 3% of cold import prefect",
         "value": round(p50("warm probe", "small") / p50("import prefect", "-"), 4), "limit": 0.03},
        {"target": "warm probe (1000) <= 1.5x module import (1000)",
         "value": round(p50("warm probe", "1000") / p50("module import", "1000"), 3), "limit": 1.5},
    ]
    for check in checks:
        check["pass"] = check["value"] <= check["limit"]
    print()
    for check in checks:
        print(f"{'PASS' if check['pass'] else 'FAIL'}  {check['target']:<50} {check['value']:>7} vs {check['limit']}")
    findings = {name: [(o["name"], o.get("path"), o.get("type")) for o in reply.get("objects", []) if not o["ok"]]
                for name, reply in replies.items()}
    objects = {name: len(reply.get("objects", [])) for name, reply in replies.items()}
    print(f"\nobjects probed: {objects}; offenders: {findings}")
    print(json.dumps({
        "repeat": args.repeat,
        "python": python,
        "worker_start_ms": round(worker_start * 1000, 2),
        "measures": stats,
        "objects": objects,
        "offenders": findings,
        "targets": checks,
        "all_pass": all(check["pass"] for check in checks),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
