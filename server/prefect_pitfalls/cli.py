"""The `prefect-pitfalls` command: check, rules, explain."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from tqdm import tqdm

from . import __version__
from .config import ConfigError, Settings, load_settings
from .docs import rules_markdown
from .findings import Finding
from .report import FORMATS
from .result_cache import ENVIRONMENT_VARIABLE, FOLDER_NAME, ResultCache
from .rules import RULES, is_selector, rule_for
from .probe import Prober
from .workspace import (
    CheckOptions, FileReport, SourceFile, apply_external_fixes, check_file, discover, probe_report,
)

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# Below this many files a progress bar would only flicker.
PROGRESS_MIN_FILES = 200
# Below this many files a process pool costs more than it saves.
MIN_FILES_PER_POOL = 24


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, usage errors
        return exit.code if isinstance(exit.code, int) else EXIT_ERROR
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return args.run(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_ERROR


_MAIN_EXAMPLES = """\
examples:
  prefect-pitfalls check                      check the current folder
  prefect-pitfalls check flows/ --probe       also round-trip each flow in the project's interpreter
  prefect-pitfalls explain PP101              why a finding matters and what to write instead
  prefect-pitfalls serve                      the language server, for editors

documentation: https://github.com/prefect-pitfalls/prefect-pitfalls#readme
"""
_CHECK_EXAMPLES = """\
examples:
  prefect-pitfalls check
  prefect-pitfalls check flows/etl.py flows/reports/
  prefect-pitfalls check --select PP1,PP303 --ignore PP103
  prefect-pitfalls check --fix                       apply the safe fixes
  prefect-pitfalls check --fix --unsafe-fixes --diff show every fix without writing it
  prefect-pitfalls check --probe --python .venv/bin/python
  prefect-pitfalls check --format sarif --output-file results.sarif
  prefect-pitfalls check --format github            annotations in GitHub Actions

exit status: 0 no findings, 1 findings of severity warning or error, 2 usage or internal error.
"""
_SERVE_EXAMPLES = """\
The server speaks the Language Server Protocol over stdin and stdout; editors start it.

examples:
  prefect-pitfalls serve
  nvim: vim.lsp.config("prefect_pitfalls", {cmd = {"prefect-pitfalls", "serve"}})
"""
_RULES_EXAMPLES = """\
examples:
  prefect-pitfalls rules
  prefect-pitfalls rules --format json
"""
_EXPLAIN_EXAMPLES = """\
examples:
  prefect-pitfalls explain PP101
  prefect-pitfalls explain task-instance-state
  prefect-pitfalls explain PP203 | less
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prefect-pitfalls",
        description="Find the state and serialization mistakes of Prefect code.",
        epilog=_MAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"prefect-pitfalls {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, examples: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=help, description=help[0].upper() + help[1:] + ".", epilog=examples,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    check = command("check", "check files and folders (default: the current folder)", _CHECK_EXAMPLES)
    check.add_argument("paths", nargs="*", metavar="PATH", help="Python files or folders to check")
    check.add_argument("--format", choices=sorted(FORMATS), default="text", help="report format (default: text)")
    check.add_argument("--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--select", metavar="CODES", type=_codes, help="only these rules (comma-separated codes or prefixes)")
    check.add_argument("--ignore", metavar="CODES", type=_codes, default=(), help="also skip these rules")
    check.add_argument("--fix", action="store_true", help="apply safe fixes")
    check.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes that may change behaviour")
    check.add_argument("--diff", action="store_true", help="print the fixes as a diff instead of writing them")
    probe = check.add_mutually_exclusive_group()
    probe.add_argument("--probe", dest="probe", action="store_true", default=None,
                       help="also import each module in the project's interpreter and round-trip its flows and tasks")
    probe.add_argument("--no-probe", dest="probe", action="store_false", help="never run the probe")
    check.add_argument("--python", metavar="INTERPRETER", help="the interpreter the probe imports modules with")
    check.add_argument(
        "--cache-dir", metavar="DIR",
        help=f"keep results in DIR (default: ${ENVIRONMENT_VARIABLE}, else {FOLDER_NAME}/ in the project root)",
    )
    check.add_argument("--no-cache", action="store_true", help="neither read nor write cached results")
    check.add_argument("--verbose", action="store_true", help="say on stderr how the files were analysed")
    check.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="worker processes (default: all cores)")
    check.set_defaults(run=_run_check)

    serve = command("serve", "run the language server (JSON-RPC over stdio)", _SERVE_EXAMPLES)
    serve.set_defaults(run=_run_serve)

    rules = command("rules", "list the rules", _RULES_EXAMPLES)
    rules.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    rules.set_defaults(run=_run_rules)

    explain = command("explain", "show a rule's documentation", _EXPLAIN_EXAMPLES)
    explain.add_argument("code", metavar="CODE", help="a rule code such as PP101, or its name")
    explain.set_defaults(run=_run_explain)
    return parser


def _codes(value: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in value.replace(" ", ",").split(",") if c.strip())
    unknown = [c for c in codes if not is_selector(c)]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown rule code {unknown[0]!r}")
    return codes


# --- check ---------------------------------------------------------------------------


def _run_check(args: argparse.Namespace) -> int:
    options = CheckOptions(fix=args.fix, unsafe_fixes=args.unsafe_fixes, diff=args.diff)
    for given in args.paths:
        if not os.path.exists(given):
            print(f"error: {given}: no such file or directory", file=sys.stderr)
            return EXIT_ERROR
    files = list(discover(args.paths))
    settings = _SettingsResolver(args.select, tuple(args.ignore), args.probe, args.python)
    jobs = [(file, settings.for_file(file.path)) for file in files]
    cache = _result_cache(args, jobs)
    reports = _check_all(jobs, options, args.jobs, cache)
    _probe(reports, settings)
    external_fixed, external_diff = 0, ""
    if options.fix or options.diff:
        external_fixed, external_diff = apply_external_fixes(reports, options, settings.for_file)

    findings = sorted((f for r in reports for f in r.findings), key=Finding.sort_key)
    for note in (r.note for r in reports if r.note):
        print(f"note: {note}", file=sys.stderr)
    if args.verbose:
        _report_statistics(reports, cache)
    errors = [r.error for r in reports if r.error]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    fixed = sum(r.fixed for r in reports) + external_fixed
    if options.diff:
        return _report_diff(reports, fixed, errors, external_diff)
    unsafe_hidden = 0 if options.unsafe_fixes else sum(1 for f in findings if f.fix and not f.fix.is_safe)
    render = FORMATS[args.format]
    colour = args.format == "text" and not args.output_file and use_colour(sys.stdout)
    output = render(findings, fixed=fixed, unsafe_hidden=unsafe_hidden, colour=colour)
    _write(output, args.output_file)
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if any(f.severity.fails_check for f in findings) else EXIT_CLEAN


def _report_statistics(reports: list[FileReport], cache: ResultCache | None) -> None:
    cached = sum(r.from_cache for r in reports)
    cut_short = sum(r.inference_cut_short for r in reports)
    where = "no result cache" if cache is None else f"{cached} from the result cache"
    print(f"checked {len(reports)} file{'s' if len(reports) != 1 else ''}: {where}", file=sys.stderr)
    if cut_short:
        print(
            f"type inference stopped at its budget in {cut_short} file{'s' if cut_short != 1 else ''}: "
            "values it did not reach were not reported",
            file=sys.stderr,
        )


def _report_diff(reports: list[FileReport], fixed: int, errors: list[str], external_diff: str) -> int:
    for report in reports:
        if report.diff:
            sys.stdout.write(report.diff)
    sys.stdout.write(external_diff)
    print(f"Would fix {fixed} finding{'s' if fixed != 1 else ''}.", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if fixed else EXIT_CLEAN


def _write(output: str, output_file: str | None) -> None:
    if output_file:
        Path(output_file).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output)
        sys.stdout.flush()


class _SettingsResolver:
    """Settings per file from the nearest configuration, with the command line on top.

    Only `--probe` runs the probe: a project file cannot make `check` run the project's code
    or an interpreter it names (a pull request could set both)."""

    def __init__(
        self, select: tuple[str, ...] | None, ignore: tuple[str, ...], probe: bool | None, python: str | None
    ) -> None:
        self.select, self.ignore, self.probe, self.python = select, ignore, probe is True, python
        self.by_folder: dict[Path, Settings] = {}
        self.noted: set[Path] = set()

    def for_file(self, path: Path) -> Settings:
        folder = path.parent
        if folder not in self.by_folder:
            settings = load_settings(folder).with_overrides(self.select, self.ignore)
            self._note_project_probe_setting(settings)
            probe = replace(settings.probe, enabled=self.probe)
            if self.python:
                probe = replace(probe, python=self.python)
            self.by_folder[folder] = replace(settings, probe=probe)
        return self.by_folder[folder]

    def _note_project_probe_setting(self, settings: Settings) -> None:
        config = settings.config_file
        if self.probe or not settings.probe.enabled or config is None or config in self.noted:
            return
        self.noted.add(config)
        print(
            f"note: {config}: `probe.enabled` applies to editors; check runs the probe only with --probe",
            file=sys.stderr,
        )


def _probe(reports: list[FileReport], settings: _SettingsResolver) -> None:
    """Probe, in this process and one warm worker per interpreter, the files that ask for it."""
    candidates = [r for r in reports if r.probe_candidate and settings.for_file(r.file.path).probe.enabled]
    if not candidates:
        return
    prober = Prober()
    try:
        for report in candidates:
            probe_report(report, settings.for_file(report.file.path), prober)
    finally:
        prober.close()


def _result_cache(args: argparse.Namespace, jobs: list[tuple[SourceFile, Settings]]) -> ResultCache | None:
    """This run's result cache, its folders made before any analysis; None with `--no-cache`
    and with fixes, which never trust a cached result."""
    if args.no_cache or args.fix or args.diff:
        return None
    folder = args.cache_dir or os.environ.get(ENVIRONMENT_VARIABLE) or None
    cache = ResultCache(Path(folder) if folder else None)
    cache.prepare(cache.folder_for(file.path, settings) for file, settings in jobs)
    return cache


def _check_all(
    jobs: list[tuple[SourceFile, Settings]], options: CheckOptions, workers: int, cache: ResultCache | None = None
) -> list[FileReport]:
    with _progress(len(jobs)) as progress:
        if workers <= 1 or len(jobs) < MIN_FILES_PER_POOL:
            return [_counted(check_file(file, settings, options, cache), progress) for file, settings in jobs]
        workers = min(workers, len(jobs))
        chunk = max(1, min(64, len(jobs) // (workers * 8)))
        files, settings = zip(*jobs)
        with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
            reports = pool.map(check_file, files, settings, [options] * len(jobs), [cache] * len(jobs), chunksize=chunk)
            return [_counted(report, progress) for report in reports]


def _progress(total: int) -> tqdm:
    """A progress bar on stderr for runs of many files on a terminal; silent otherwise."""
    quiet = total < PROGRESS_MIN_FILES or not sys.stderr.isatty()
    return tqdm(total=total, unit="file", desc="checking", file=sys.stderr, disable=quiet, leave=False, dynamic_ncols=True)


def _counted(report: FileReport, progress: tqdm) -> FileReport:
    progress.update()
    return report


def _pool_context() -> multiprocessing.context.BaseContext:
    # Forking skips re-importing the package in every worker.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


# --- serve, rules, explain -----------------------------------------------------------


def _run_serve(args: argparse.Namespace) -> int:
    from .lsp.server import serve

    return serve()



def _run_rules(args: argparse.Namespace) -> int:
    if args.format == "json":
        import json

        rows = [
            {
                "code": r.code, "name": r.name, "severity": r.severity.value,
                "versions": list(r.versions), "fix": r.fix, "summary": r.summary,
            }
            for r in RULES
        ]
        _write(json.dumps(rows, indent=2) + "\n", None)
        return EXIT_CLEAN
    _write(rules_markdown(RULES) if args.format == "markdown" else rules_table(RULES), None)
    return EXIT_CLEAN


def rules_table(rules: Iterable) -> str:
    rows = [("code", "name", "prefect", "severity", "fix", "summary")]
    rows += [(r.code, r.name, r.version_label, r.severity.value, r.fix or "", r.summary) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] + "\n" for row in rows
    )


def _run_explain(args: argparse.Namespace) -> int:
    rule = rule_for(args.code)
    if rule is None:
        print(f"error: unknown rule {args.code!r}; `prefect-pitfalls rules` lists them", file=sys.stderr)
        return EXIT_ERROR
    text = f"# {rule.code}: {rule.name}\n\n{rule.doc}\n"
    if use_colour(sys.stdout):
        _print_markdown(text)
    else:
        _write(text, None)
    return EXIT_CLEAN


def _print_markdown(text: str) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    Console(width=min(100, shutil.get_terminal_size().columns)).print(Markdown(text, code_theme="ansi_dark"))


def use_colour(stream) -> bool:
    """Colour only for a terminal, never with NO_COLOR set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty() and os.environ.get("TERM") != "dumb"


if __name__ == "__main__":
    sys.exit(main())
