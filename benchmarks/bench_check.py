#!/usr/bin/env python3
"""Throughput of `prefect-pitfalls check` on a large generated corpus.

Measures, on >= 2,000 Prefect-style files totalling >= 500,000 lines (made by the shared
generator ../shared/bench/gen_prefect_corpus.py and cached in --corpus):

* floor       - read + decode + bare ``ast.parse`` of every file, one process (GC left on,
                as a plain ``ast.parse`` runs; the GC-paused variant is shown for reference);
* in-process  - read + decode + ``prefect_pitfalls.linter.lint(text, settings, path)``, one process;
* CLI jobs=1  - ``prefect-pitfalls check CORPUS --format json --jobs 1`` as a subprocess;
* CLI jobs=2  - the same with ``--jobs 2``.

* in-process, jedi on - the same with jedi inference (the default of `check`);
* state rules only    - the foundation's rules (PP101-PP103, PP303), jedi off.

Each runs once per round for --repeat rounds (interleaved, so machine drift hits all alike);
the table shows best and median wall time, the ratios use the best.  Targets: the state rules / floor <= 1.5, every rule with jedi on / floor <= 3,
and CLI jobs=1 / jobs=2 speedup > 1.
The last line of output is one JSON object with the figures.

    .venv/bin/python benchmarks/bench_check.py [--corpus DIR] [--repeat N] [--profile FILES]

Standard library only, plus the installed package.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import gc
import hashlib
import io
import json
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from prefect_pitfalls.config import load_settings
from prefect_pitfalls.linter import lint

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GENERATOR = REPO.parent / "shared" / "bench" / "gen_prefect_corpus.py"
DEFAULT_CORPUS = Path(tempfile.gettempdir()) / "prefect-pitfalls-bench-corpus"

# 40 seeds x 50 distinct sizes in 100..500 lines = 2,000 files, about 600,000 lines.
SEEDS = 40
SIZES_PER_SEED = 50
MIN_LINES, MAX_LINES = 100, 500
MANIFEST = "manifest.json"


# --- corpus ----------------------------------------------------------------------------


def corpus_plan() -> dict[int, list[int]]:
    """Seed -> the line counts of its files (distinct per seed: the generator names files by size)."""
    rng = random.Random(2024)
    return {seed: sorted(rng.sample(range(MIN_LINES, MAX_LINES + 1), SIZES_PER_SEED)) for seed in range(SEEDS)}


def ensure_corpus(root: Path, generator: Path) -> list[Path]:
    plan = corpus_plan()
    wanted = {"generator": str(generator), "plan": {str(k): v for k, v in plan.items()}}
    manifest = root / MANIFEST
    files = sorted(root.glob("seed_*/corpus_*.py"))
    if manifest.exists() and json.loads(manifest.read_text()) == wanted and len(files) == SEEDS * SIZES_PER_SEED:
        return files
    if not generator.is_file():
        sys.exit(f"error: generator not found: {generator} (use --generator PATH)")
    print(f"generating corpus in {root} ...", file=sys.stderr)
    manifest.unlink(missing_ok=True)
    for seed, sizes in plan.items():
        out = root / f"seed_{seed:02d}"
        args = [sys.executable, str(generator), "--seed", str(seed), "--out-dir", str(out)]
        for n in sizes:
            args += ["--lines", str(n)]
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    manifest.write_text(json.dumps(wanted))
    return sorted(root.glob("seed_*/corpus_*.py"))


# --- measurements ----------------------------------------------------------------------


def run_rounds(measurements: dict, repeat: int) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Run every measurement once per round, `repeat` rounds, so machine drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in measurements}
    results: dict[str, object] = {}
    for _ in range(repeat):
        for name, fn in measurements.items():
            gc.collect()
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return times, results


def floor(files: list[Path]) -> int:
    for path in files:
        ast.parse(path.read_bytes().decode("utf-8"))
    return len(files)


def floor_gc_paused(files: list[Path]) -> int:
    gc.disable()
    try:
        return floor(files)
    finally:
        gc.enable()


def check_in_process(files: list[Path], settings) -> int:
    findings = 0
    for path in files:
        findings += len(lint(path.read_bytes().decode("utf-8"), settings, path).findings)
    return findings


def package_digest() -> str:
    """Hash of the package's sources, to notice edits made while the benchmark runs."""
    package = Path(sys.modules["prefect_pitfalls"].__file__).parent
    digest = hashlib.sha1()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "prefect-pitfalls"
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect_pitfalls"]


def check_cli(corpus: Path, jobs: int) -> int:
    proc = subprocess.run(
        [*cli_command(), "check", str(corpus), "--format", "json", "--jobs", str(jobs)],
        capture_output=True, text=True,
    )
    if proc.returncode not in (0, 1):
        sys.exit(f"error: CLI --jobs {jobs} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return len(json.loads(proc.stdout))


def profile(files: list[Path], settings, top: int = 10) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(check_in_process, files, settings)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"[/\\]prefect_pitfalls[/\\]", top)  # only the package's own functions
    return out.getvalue().replace(str(REPO / "server") + "/", "")


# --- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"corpus cache folder (default {DEFAULT_CORPUS})")
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR, help="path of gen_prefect_corpus.py")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of measurements (default 3)")
    parser.add_argument("--profile", type=int, default=0, metavar="FILES",
                        help="also cProfile the in-process check of this many files and print the top 10")
    args = parser.parse_args()

    corpus = args.corpus.resolve()
    files = ensure_corpus(corpus, args.generator.resolve())
    lines = sum(p.read_bytes().count(b"\n") for p in files)  # also warms the page cache
    settings = load_settings(corpus)  # what the CLI resolves for these files (jedi on)
    no_jedi = replace(settings, jedi=False)
    foundation = replace(no_jedi, select=("PP101", "PP102", "PP103", "PP303"))

    digest = package_digest()
    times, results = run_rounds({
        "floor": lambda: floor(files),
        "floor_nogc": lambda: floor_gc_paused(files),
        "check_foundation": lambda: check_in_process(files, foundation),
        "check": lambda: check_in_process(files, no_jedi),
        "check_jedi": lambda: check_in_process(files, settings),
        "cli1": lambda: check_cli(corpus, 1),
        "cli2": lambda: check_cli(corpus, 2),
    }, args.repeat)
    changed = package_digest() != digest
    if changed:
        print("WARNING: prefect_pitfalls sources changed during the run; figures mix versions", file=sys.stderr)
    best = {name: min(t) for name, t in times.items()}
    labels = {
        "floor": "floor: read+decode+ast.parse",
        "floor_nogc": "  (same, GC paused)",
        "check_foundation": "check, state rules only",
        "check": "check in-process, jedi off",
        "check_jedi": "check in-process, jedi on",
        "cli1": "CLI check --jobs 1",
        "cli2": "CLI check --jobs 2",
    }
    print(f"corpus: {corpus}\n{len(files)} files, {lines:,} lines; repeat={args.repeat}\n")
    print(f"{'measurement':<32}{'best s':>9}{'median s':>10}{'files/s':>10}{'lines/s':>11}")
    for name, label in labels.items():
        b = best[name]
        print(f"{label:<32}{b:>9.3f}{statistics.median(times[name]):>10.3f}{len(files) / b:>10,.0f}{lines / b:>11,.0f}")
    findings, cli_findings, cli2_findings = results["check"], results["cli1"], results["cli2"]
    ratio = best["check"] / best["floor"]
    speedup = best["cli1"] / best["cli2"]
    foundation_ratio = best["check_foundation"] / best["floor"]
    print(f"\nstate rules / floor      = {foundation_ratio:.2f}  (foundation target <= 1.5) "
          f"{'OK' if foundation_ratio <= 1.5 else 'MISSED'}")
    print(f"check / floor            = {ratio:.2f}  (all rules, jedi off)")
    jedi_ratio = best["check_jedi"] / best["floor"]
    print(f"check+jedi / floor       = {jedi_ratio:.2f}  (target <= 3) {'OK' if jedi_ratio <= 3 else 'MISSED'}")
    print(f"check / floor(GC paused) = {best['check'] / best['floor_nogc']:.2f}")
    print(f"CLI speedup jobs1/jobs2  = {speedup:.2f}  (target > 1) {'OK' if speedup > 1 else 'MISSED'}")
    print(f"findings: in-process {findings}, CLI jobs=1 {cli_findings}, CLI jobs=2 {cli2_findings}"
          + ("" if findings == cli_findings == cli2_findings else "  <-- MISMATCH"))

    if args.profile:
        print(f"\ncProfile of the in-process check of {min(args.profile, len(files))} files "
              "(prefect_pitfalls functions, by cumulative time):")
        print(profile(files[: args.profile], settings))

    print(json.dumps({
        "files": len(files),
        "lines": lines,
        "floor_s": round(best["floor"], 4),
        "floor_gc_paused_s": round(best["floor_nogc"], 4),
        "check_in_process_s": round(best["check"], 4),
        "ratio_state_rules_floor": round(foundation_ratio, 3),
        "ratio_check_floor": round(ratio, 3),
        "check_jedi_in_process_s": round(best["check_jedi"], 4),
        "ratio_check_jedi_floor": round(jedi_ratio, 3),
        "floor_files_per_s": round(len(files) / best["floor"], 1),
        "check_files_per_s": round(len(files) / best["check"], 1),
        "cli_jobs1_s": round(best["cli1"], 4),
        "cli_jobs2_s": round(best["cli2"], 4),
        "speedup_jobs1_jobs2": round(speedup, 3),
        "findings": cli_findings,
        "findings_in_process": findings,
        "package_digest": digest,
        "sources_changed": changed,
    }))


if __name__ == "__main__":
    main()
