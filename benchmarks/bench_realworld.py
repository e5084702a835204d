#!/usr/bin/env python3
"""`prefect-pitfalls check` on real repositories, against the parse floor.

For each DIR (local copies of public Prefect repositories, kept outside the project), and for
all of them in one `check` run:

* floor - one process reads, decodes and ``ast.parse``s every Python file `check` would check,
          with the garbage collector paused (as the linter parses); best of three passes;
* cold  - ``check --no-probe --jobs 1 --format json`` as a subprocess, with every cache empty:
          the tool's own (``--cache-dir`` in a fresh folder), jedi's and parso's
          (``XDG_CACHE_HOME`` in a fresh folder);
* warm  - the same command again, on the caches the cold run filled.

Targets: cold <= 3x the floor, warm <= 0.5x the floor (on the whole set). The warm run's JSON
must equal the cold run's byte for byte; the script says so, per repository.

    .venv/bin/python benchmarks/bench_realworld.py DIR... [--repeat N]

The last line of output is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from prefect_pitfalls.workspace import discover

COLD_TARGET, WARM_TARGET = 3.0, 0.5


@dataclass
class Row:
    name: str
    files: int
    lines: int
    floor: float
    cold: float
    warm: float
    identical: bool

    @property
    def cold_ratio(self) -> float:
        return self.cold / self.floor if self.floor else float("inf")

    @property
    def warm_ratio(self) -> float:
        return self.warm / self.floor if self.floor else float("inf")


def python_files(dirs: list[str]) -> list[Path]:
    return [f.path for f in discover(dirs) if f.path.suffix == ".py"]


def floor(files: list[Path]) -> tuple[float, int]:
    """Seconds to read, decode and parse every file with the GC paused; and the line count."""
    lines = 0
    gc.collect()
    start = time.perf_counter()
    gc.disable()
    try:
        for path in files:
            text = path.read_bytes().decode("utf-8", errors="replace")
            lines += text.count("\n")
            try:
                ast.parse(text)
            except (SyntaxError, ValueError):
                pass
    finally:
        gc.enable()
    return time.perf_counter() - start, lines


def check(dirs: list[str], cache_dir: Path, xdg_cache: Path) -> tuple[float, bytes]:
    command = [
        sys.executable, "-m", "prefect_pitfalls", "check", "--no-probe", "--jobs", "1", "--format", "json",
        "--cache-dir", str(cache_dir), *dirs,
    ]
    environment = {**os.environ, "XDG_CACHE_HOME": str(xdg_cache), "PYTHONDONTWRITEBYTECODE": ""}
    environment.pop("PREFECT_PITFALLS_CACHE_DIR", None)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=environment, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"error: check failed on {dirs}:\n{done.stderr.decode()[-2000:]}")
    return elapsed, done.stdout


def measure(name: str, dirs: list[str], repeat: int) -> Row:
    files = python_files(dirs)
    floors, colds, warms, identical = [], [], [], True
    for _ in range(repeat):
        for _ in range(3):  # the first pass may read from disk; the floor is parsing
            seconds, lines = floor(files)
            floors.append(seconds)
        with tempfile.TemporaryDirectory(prefix="bench-realworld-") as scratch:
            cache_dir, xdg = Path(scratch) / "cache", Path(scratch) / "xdg"
            cold, cold_out = check(dirs, cache_dir, xdg)
            warm, warm_out = check(dirs, cache_dir, xdg)
        colds.append(cold)
        warms.append(warm)
        identical = identical and cold_out == warm_out
    return Row(name, len(files), lines, min(floors), min(colds), min(warms), identical)


def table(rows: list[Row]) -> str:
    header = f"{'repository':44} {'files':>6} {'lines':>8} {'floor s':>8} {'cold s':>7} {'warm s':>7} {'cold/fl':>8} {'warm/fl':>8}  same"
    out = [header, "-" * len(header)]
    for r in rows:
        out.append(
            f"{r.name[:44]:44} {r.files:>6} {r.lines:>8,} {r.floor:>8.3f} {r.cold:>7.2f} {r.warm:>7.2f} "
            f"{r.cold_ratio:>7.1f}x {r.warm_ratio:>7.2f}x  {'yes' if r.identical else 'NO'}"
        )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+", metavar="DIR")
    parser.add_argument("--repeat", type=int, default=1, help="rounds per measurement; the best counts (default 1)")
    args = parser.parse_args()
    missing = [d for d in args.dirs if not Path(d).is_dir()]
    if missing:
        sys.exit(f"error: not a folder: {', '.join(missing)}")
    rows = [measure(Path(d).name, [d], args.repeat) for d in args.dirs]
    if len(args.dirs) > 1:
        rows.append(measure("all, one run", args.dirs, args.repeat))
    print(table(rows))
    whole = rows[-1]
    print(
        f"\ntargets on '{whole.name}': cold {whole.cold_ratio:.1f}x (<= {COLD_TARGET}x) "
        f"{'met' if whole.cold_ratio <= COLD_TARGET else 'NOT met'}; warm {whole.warm_ratio:.2f}x (<= {WARM_TARGET}x) "
        f"{'met' if whole.warm_ratio <= WARM_TARGET else 'NOT met'}; warm JSON equals cold: "
        f"{'yes' if all(r.identical for r in rows) else 'NO'}"
    )
    print(json.dumps({r.name: {**vars(r), "cold_ratio": r.cold_ratio, "warm_ratio": r.warm_ratio} for r in rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
