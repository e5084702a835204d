#!/usr/bin/env python3
"""Run `prefect-pitfalls check` over local copies of real repositories and compare the
findings with a baseline, as Ruff's ecosystem check does.

    python scripts/ecosystem.py /path/to/ecosystem/PrefectHQ+prefect-recipes ... \\
        --baseline scripts/ecosystem-baseline.txt

Each folder is one repository, named `owner/name` after a folder called `owner+name`
(any other folder keeps its own name). `check --format json --no-probe` runs in it with
this interpreter, one repository after another (`--jobs` is passed on to `check`). The
output is a table per repository (Python files checked, those importing prefect and their
lines, findings per rule, files that could not be parsed, seconds) and the findings per rule.

`--write-baseline FILE` records the findings, one per line, `owner/name path:line code`,
paths relative to the repository, sorted, under a header naming each repository's commit.
`--baseline FILE` prints what appeared (+, with its message) and disappeared (-) since,
grouped by rule, for the repositories of this run and the rules `--select` keeps.

Exit status 0, or 2 when `check` crashed on a repository (no JSON report or a traceback);
then no baseline is written. Standard library only; the package runs as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

EXIT_CRASH = 2
REPOSITORY_HEADER = re.compile(r"^# repository (\S+) (\S+)$")
IMPORTS_PREFECT = re.compile(r"^[ \t]*(?:from|import)[ \t]+prefect\b", re.MULTILINE)
# The files `check` reads, listed by the package itself so the counts match what it checks.
LIST_FILES = "from prefect_pitfalls.workspace import discover\nfor f in discover(['.']): print(f.display)"


@dataclass(frozen=True)
class Finding:
    repository: str
    path: str
    line: int
    code: str
    message: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.repository} {self.path}:{self.line} {self.code}"


def key_order(key: str) -> tuple[str, str, int, str]:
    """Baseline lines in repository, path, line number, code order (line 9 before line 10)."""
    repository, rest = key.split(" ", 1)
    where, code = rest.rsplit(" ", 1)
    path, line = where.rsplit(":", 1)
    return repository, path, int(line), code


@dataclass
class RepositoryRun:
    name: str
    commit: str
    files: int = 0
    prefect_files: int = 0
    prefect_lines: int = 0
    findings: list[Finding] = field(default_factory=list)
    unparsable: list[str] = field(default_factory=list)
    seconds: float = 0.0
    crash: str | None = None


# --- running check ------------------------------------------------------------------------


def repository_name(folder: Path) -> str:
    return folder.resolve().name.replace("+", "/", 1)


def commit_of(folder: Path) -> str:
    if not (folder / ".git").exists():
        return "-"
    result = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() or "-"


def check_repository(folder: Path, select: str | None, jobs: int | None) -> RepositoryRun:
    run = RepositoryRun(repository_name(folder), commit_of(folder))
    _count_files(run, folder)
    command = [sys.executable, "-m", "prefect_pitfalls", "check", "--format", "json", "--no-probe", "."]
    if select:
        command += ["--select", select]
    if jobs:
        command += ["--jobs", str(jobs)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    run.seconds = time.perf_counter() - started
    report = _json_report(result.stdout)
    if report is None or result.returncode not in (0, 1, 2) or "Traceback" in result.stderr:
        run.crash = f"status {result.returncode}: {result.stderr.strip()[-2000:] or 'no output'}"
        return run
    run.findings = [Finding(run.name, f["path"], f["line"], f["code"], f["message"]) for f in report]
    run.unparsable = [line.removeprefix("error: ") for line in result.stderr.splitlines() if line.startswith("error: ")]
    return run


def _json_report(stdout: str) -> list[dict] | None:
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    return report if isinstance(report, list) else None


def _count_files(run: RepositoryRun, folder: Path) -> None:
    listing = subprocess.run([sys.executable, "-c", LIST_FILES], cwd=folder, capture_output=True, text=True)
    for display in listing.stdout.splitlines():
        if not display.endswith(".py"):
            continue
        run.files += 1
        text = (folder / display).read_text(encoding="utf-8", errors="replace")
        if IMPORTS_PREFECT.search(text):
            run.prefect_files += 1
            run.prefect_lines += len(text.splitlines())


def rule_names() -> dict[str, str]:
    command = [sys.executable, "-m", "prefect_pitfalls", "rules", "--format", "json"]
    rules = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    return {rule["code"]: rule["name"] for rule in rules}


# --- tables -------------------------------------------------------------------------------


def render_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """Columns padded to their widest cell: the first `text_columns` left-aligned, the
    figures after them right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.ljust(width) if column < text_columns else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(cells, widths))
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def repositories_table(runs: list[RepositoryRun]) -> str:
    codes = sorted({f.code for run in runs for f in run.findings})
    header = ["repository", "files", "prefect", "lines", *codes, "total", "unparsable", "seconds"]
    rows = [_repository_row(run, codes) for run in runs]
    total = RepositoryRun("total", "")
    for run in runs:
        total.files += run.files
        total.prefect_files += run.prefect_files
        total.prefect_lines += run.prefect_lines
        total.findings += run.findings
        total.unparsable += run.unparsable
        total.seconds += run.seconds
    return render_table(header, [*rows, _repository_row(total, codes)])


def _repository_row(run: RepositoryRun, codes: list[str]) -> list[str]:
    per_code = Counter(f.code for f in run.findings)
    counts = [str(per_code[code]) if per_code[code] else "." for code in codes]
    found = "crashed" if run.crash else str(len(run.findings))
    sizes = [str(run.files), str(run.prefect_files), f"{run.prefect_lines:,}"]
    return [run.name, *sizes, *counts, found, str(len(run.unparsable)), f"{run.seconds:.1f}"]


def rules_table(runs: list[RepositoryRun], names: dict[str, str]) -> str:
    findings = Counter(f.code for run in runs for f in run.findings)
    repositories = Counter(code for run in runs for code in {f.code for f in run.findings})
    rows = [[code, names.get(code, "?"), str(findings[code]), str(repositories[code])] for code in sorted(findings)]
    return render_table(["rule", "name", "findings", "repositories"], rows, text_columns=2)


# --- baseline -----------------------------------------------------------------------------


@dataclass
class Baseline:
    keys: Counter[str]
    commits: dict[str, str]


def write_baseline(path: Path, runs: list[RepositoryRun]) -> None:
    header = [
        "# Findings of `prefect-pitfalls check --no-probe` on public Prefect repositories, one per line:",
        "# `owner/name path:line code`. Written by `python scripts/ecosystem.py FOLDER... --write-baseline FILE`",
        "# from work trees of these repositories at these commits:",
        *(f"# repository {run.name} {run.commit}" for run in sorted(runs, key=lambda run: run.name)),
    ]
    keys = sorted((f.key for run in runs for f in run.findings), key=key_order)
    path.write_text("\n".join([*header, *keys]) + "\n", encoding="utf-8")


def read_baseline(path: Path) -> Baseline:
    baseline = Baseline(Counter(), {})
    for line in path.read_text(encoding="utf-8").splitlines():
        if header := REPOSITORY_HEADER.match(line):
            baseline.commits[header[1]] = header[2]
        elif line.strip() and not line.startswith("#"):
            baseline.keys[line.strip()] += 1
    return baseline


def baseline_diff(baseline: Baseline, runs: list[RepositoryRun], select: str | None, names: dict[str, str]) -> str:
    before = _comparable(baseline, runs, select)
    current = [f for run in runs if not run.crash for f in run.findings]
    appeared, gone = Counter(f.key for f in current) - before, before - Counter(f.key for f in current)
    messages = {f.key: f.message for f in current}
    lines = [f"Compared with the baseline: {appeared.total()} appeared (+), {gone.total()} disappeared (-)."]
    lines += _moved_repositories(baseline, runs)
    by_code: dict[str, list[str]] = defaultdict(list)
    for key in sorted(set(appeared) | set(gone), key=key_order):
        where, code = key.rsplit(" ", 1)
        if appeared[key]:
            by_code[code] += [f"  + {where}: {messages[key]}"] * appeared[key]
        by_code[code] += [f"  - {where}"] * gone[key]
    for code in sorted(by_code):
        plus = sum(1 for entry in by_code[code] if entry.startswith("  +"))
        lines += [f"{code} {names.get(code, '?')}: +{plus} -{len(by_code[code]) - plus}", *by_code[code]]
    return "\n".join(lines)


def _comparable(baseline: Baseline, runs: list[RepositoryRun], select: str | None) -> Counter[str]:
    """The baseline's findings in this run's repositories (where check did not crash) and rules."""
    checked = {run.name for run in runs if not run.crash}
    prefixes = tuple(code.strip() for code in select.split(",")) if select else ("",)
    return Counter({
        key: count
        for key, count in baseline.keys.items()
        if key.split(" ", 1)[0] in checked and key.rsplit(" ", 1)[1].startswith(prefixes)
    })


def _moved_repositories(baseline: Baseline, runs: list[RepositoryRun]) -> list[str]:
    """Repositories not at the baseline's commit: their differences may be the code's, not the rules'."""
    return [
        f"note: {run.name} is at {run.commit}, the baseline at {baseline.commits[run.name]}"
        for run in runs
        if baseline.commits.get(run.name, run.commit) != run.commit
    ]


# --- command line -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Check local repositories (folders named owner+name) and diff the findings with a baseline.",
    )
    parser.add_argument("folders", nargs="+", type=Path, metavar="FOLDER", help="a repository's work tree")
    parser.add_argument("--baseline", type=Path, metavar="FILE", help="print the findings that appeared or disappeared")
    parser.add_argument("--write-baseline", type=Path, metavar="FILE", help="record this run's findings in FILE")
    parser.add_argument("--select", metavar="CODES", help="passed on to check: only these rules")
    parser.add_argument("--jobs", type=int, metavar="N", help="passed on to check: worker processes")
    args = parser.parse_args(argv)
    missing = [str(folder) for folder in args.folders if not folder.is_dir()]
    if missing:
        parser.error(f"not a folder: {', '.join(missing)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = sorted((check_repository(f, args.select, args.jobs) for f in args.folders), key=lambda run: run.name)
    names = rule_names()
    print(repositories_table(runs))
    print()
    print(rules_table(runs, names))
    for run in runs:
        for problem in run.unparsable:
            print(f"unparsable: {run.name} {problem}")
    crashed = [run for run in runs if run.crash]
    for run in crashed:
        print(f"crash: check on {run.name} ({run.commit}): {run.crash}", file=sys.stderr)
    if args.baseline:
        print()
        print(baseline_diff(read_baseline(args.baseline), runs, args.select, names))
    if args.write_baseline and not crashed:
        write_baseline(args.write_baseline, runs)
        print(f"\nWrote {sum(len(run.findings) for run in runs)} findings to {args.write_baseline}")
    return EXIT_CRASH if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
