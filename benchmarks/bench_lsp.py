#!/usr/bin/env python3
"""Diagnostics latency and memory of `prefect-pitfalls serve`, against reference servers.

Generates (with the shared ../shared/bench/gen_prefect_corpus.py, seed 3) a 1,000-line and a
5,000-line Prefect-style module, plus the 1,000-line one with every ``prefect`` replaced by
``prefekt`` (a non-Prefect file, which the server should barely look at).  For each file it runs
the shared ../shared/bench/lsp_latency.py (``--edits 30 --saves 3 --runs N``) against:

* prefect-pitfalls  - push mode (didChange -> publishDiagnostics) and pull mode (textDocument/diagnostic);
* floor             - ../shared/bench/pygls_floor_server.py (pygls + one ast.parse), push and ``--pull``;
* ruff server       - push (a fast native reference);
* jedi-language-server - push (mainly the memory reference; it debounces by 1 s).

The table shows change->publish p50/p95 (pull: pull-after-change p50/p95), open->publish (pull:
pull-after-open) and peak RSS of the server process tree.  Targets (each mode separately, floor
measured in the same run):

* 1,000 lines: p50 <= 1.2 x floor p50 and p95 <= 1.5 x floor p95;
* 5,000 lines: p50 <= 40 ms and p50 < floor p50;
* peak RSS <= 1.5 x jedi-language-server's on the same file.

A missing server is skipped with a note; a failing one is reported (its targets become n/a).
The last line of output is one JSON object with all figures and the pass/fail of each target.

    .venv/bin/python benchmarks/bench_lsp.py [--runs N] [--keep DIR]

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "bench"
VENV_BIN = REPO / ".venv" / "bin"
PY = str(VENV_BIN / "python")
PP = "prefect-pitfalls"

# (server, mode, command); the first element of each command must exist or the server is skipped.
SERVERS = [
    (PP, "push", [str(VENV_BIN / "prefect-pitfalls"), "serve"]),
    (PP, "pull", [str(VENV_BIN / "prefect-pitfalls"), "serve"]),
    ("floor", "push", [PY, str(SHARED / "pygls_floor_server.py")]),
    ("floor", "pull", [PY, str(SHARED / "pygls_floor_server.py"), "--pull"]),
    ("ruff", "push", [str(VENV_BIN / "ruff"), "server"]),
    ("jedi-ls", "push", [str(VENV_BIN / "jedi-language-server")]),
]


def make_files(tmp: Path) -> dict[str, Path]:
    files = {}
    for lines in (1000, 5000):
        out = tmp / f"corpus_{lines}.py"
        subprocess.run([PY, str(SHARED / "gen_prefect_corpus.py"), "--lines", str(lines), "--seed", "3",
                        "-o", str(out)], check=True, capture_output=True)
        files[str(lines)] = out
    plain = tmp / "plain_1000.py"
    plain.write_text(files["1000"].read_text(encoding="utf-8").replace("prefect", "prefekt"), encoding="utf-8")
    files["1000-noprefect"] = plain
    return files


def measure(cmd: list[str], mode: str, file: Path, runs: int, log: Path) -> dict:
    """One lsp_latency.py invocation -> {change, open, rss} (+ 'error' when something went wrong)."""
    missing = [c for c in cmd if c.startswith("/") and not Path(c).exists()]
    if missing:
        return {"skipped": f"not found: {missing[0]}"}
    argv = [PY, str(SHARED / "lsp_latency.py"), "--file", str(file), "--edits", "30", "--saves", "3",
            "--runs", str(runs), "--diagnostics-mode", mode, "--stderr-log", str(log), "--", *cmd]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=runs * 330 + 60)
        report = json.loads(proc.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    m = report.get("median_of_runs") or (report.get("runs") or [{}])[0].get("measures") or {}
    change, opened = ("pull_change_ms", "pull_open_ms") if mode == "pull" else ("change_to_publish_ms", "open_to_publish_ms")
    result = {"change": m.get(change), "open": m.get(opened), "rss": m.get("peak_rss_mib")}
    if report.get("exit_status"):
        why = [r.get("fatal") or r.get("errors") or r.get("timeouts") for r in report.get("runs", [])]
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        result["error"] = f"lsp_latency exit {report['exit_status']}: {json.dumps(why)[:300]} {' '.join(tail)[:200]}"
    return result


def check(name: str, value, limit, ok_fn) -> dict:
    if value is None or limit is None:
        return {"target": name, "value": value, "limit": limit, "pass": None}
    return {"target": name, "value": round(value, 2), "limit": round(limit, 2), "pass": bool(ok_fn(value, limit))}


def targets(res: dict) -> list[dict]:
    def get(server, file, mode, key, stat=None):
        r = res.get((server, file, mode)) or {}
        v = None if "error" in r else r.get(key)  # a failed measurement gives n/a, not a verdict
        return (v or {}).get(stat) if stat else v

    le, lt = (lambda v, lim: v <= lim), (lambda v, lim: v < lim)
    out = []
    for mode in ("push", "pull"):
        for file in ("1000", "1000-noprefect"):
            for stat, factor in (("p50", 1.2), ("p95", 1.5)):
                floor = get("floor", file, mode, "change", stat)
                out.append(check(f"{file} {mode} {stat} <= {factor}x floor", get(PP, file, mode, "change", stat),
                                 floor * factor if floor is not None else None, le))
        p50 = get(PP, "5000", mode, "change", "p50")
        out.append(check(f"5000 {mode} p50 <= 40 ms", p50, 40.0, le))
        out.append(check(f"5000 {mode} p50 < floor p50", p50, get("floor", "5000", mode, "change", "p50"), lt))
    for file in ("1000", "5000", "1000-noprefect"):
        jedi = get("jedi-ls", file, "push", "rss")
        for mode in ("push", "pull"):
            out.append(check(f"{file} {mode} RSS <= 1.5x jedi-ls", get(PP, file, mode, "rss"),
                             jedi * 1.5 if jedi is not None else None, le))
    return out


def fmt(v) -> str:
    return "-" if v is None else f"{v:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1, help="server launches per measurement (default 1)")
    ap.add_argument("--keep", type=Path, help="write the corpus files here and keep them")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-lsp-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        files = make_files(workdir)
        res: dict[tuple[str, str, str], dict] = {}
        for file, path in files.items():
            for server, mode, cmd in SERVERS:
                print(f"... {server} {mode} {file}", file=sys.stderr, flush=True)
                log = workdir / f"{server}-{mode}-{file}.stderr.log"
                res[(server, file, mode)] = measure(cmd, mode, path, args.runs, log)

    print(f"{'server':<17}{'file':<16}{'mode':<6}{'chg p50':>9}{'chg p95':>9}{'open':>9}{'RSS MiB':>9}  note")
    for (server, file, mode), r in res.items():
        c = r.get("change") or {}
        note = r.get("skipped") or r.get("error") or ""
        print(f"{server:<17}{file:<16}{mode:<6}{fmt(c.get('p50')):>9}{fmt(c.get('p95')):>9}"
              f"{fmt((r.get('open') or {}).get('p50')):>9}{fmt(r.get('rss')):>9}  {note}")
    print("(pull mode: latency of textDocument/diagnostic after didChange / didOpen; times in ms)\n")

    checks = targets(res)
    for c in checks:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[c["pass"]]
        print(f"{verdict}  {c['target']:<40} {fmt(c['value']):>8} vs {fmt(c['limit'])}")
    print(json.dumps({
        "runs": args.runs,
        "results": [{"server": s, "file": f, "mode": m, **r} for (s, f, m), r in res.items()],
        "targets": checks,
        "all_pass": all(c["pass"] is True for c in checks),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
