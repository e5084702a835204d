"""Files on disk: finding them (honouring .gitignore), reading them, checking them."""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shutil
import tempfile
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator

import pathspec

from .config import Settings
from .findings import Finding
from .fixes import apply_some_fixes
from .linter import DEPLOYMENT_FILES, MAX_FIX_PASSES, fix, lint
from .probe import Prober, probe_file, wants_probe
from .project.reads import recording
from .result_cache import CachedReport, ResultCache
from .source import unparsed

# Folders never worth descending into, as in Ruff's default `exclude`.
EXCLUDED_DIRS = frozenset(
    ".bzr .direnv .eggs .git .git-rewrite .hg .ipynb_checkpoints .mypy_cache .nox .pants.d .pyenv "
    ".pytest_cache .pytype .ruff_cache .svn .tox .venv .vscode __pypackages__ __pycache__ _build "
    "buck-out build dist node_modules site-packages venv".split()
)
PYTHON_SUFFIXES = (".py",)
# Names of cookiecutter and copier templates (`{{ cookiecutter.project_slug }}`): Jinja, not Python.
TEMPLATE_NAME = re.compile(r"\{\{.*\}\}|\{%.*%\}")


@dataclass(frozen=True)
class SourceFile:
    display: str
    path: Path


def discover(paths: list[str]) -> Iterator[SourceFile]:
    """Python and `prefect.yaml` files named or found under the given paths, each once, in a
    stable order."""
    seen: set[Path] = set()
    for given in paths or ["."]:
        root = Path(given)
        if root.is_dir():
            found = sorted(_walk(root), key=lambda p: p.as_posix())
            for path in found:
                display = os.path.normpath(os.path.join(given, path.relative_to(root)))
                yield from _once(SourceFile(display, path), seen)
        elif not _other_yaml(root):
            yield from _once(SourceFile(given, root), seen)


def _other_yaml(path: Path) -> bool:
    """A YAML file other than `prefect.yaml`: named on the command line (by pre-commit, say),
    it is skipped rather than read as Python."""
    return path.suffix in (".yaml", ".yml") and path.name not in DEPLOYMENT_FILES


def _once(file: SourceFile, seen: set[Path]) -> Iterator[SourceFile]:
    key = file.path.resolve()
    if key not in seen:
        seen.add(key)
        yield file


Ignores = list[tuple[Path, pathspec.PathSpec]]


def _walk(root: Path) -> Iterator[Path]:
    absolute_root = root.resolve()
    ignores_of: dict[Path, Ignores] = {absolute_root: _inherited_gitignores(absolute_root)}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        absolute = absolute_root / here.relative_to(root)
        ignores = ignores_of.pop(absolute, [])
        own = _gitignore(absolute)
        if own is not None:
            ignores = [*ignores, (absolute, own)]
        dirs[:] = sorted(
            d for d in dirs
            if d not in EXCLUDED_DIRS
            and not TEMPLATE_NAME.search(d)
            and not (here / d / "pyvenv.cfg").exists()
            and not _ignored(absolute / d, ignores, is_dir=True)
        )
        for d in dirs:
            ignores_of[absolute / d] = ignores
        for name in files:
            wanted = (name.endswith(PYTHON_SUFFIXES) or name in DEPLOYMENT_FILES) and not TEMPLATE_NAME.search(name)
            if wanted and not _ignored(absolute / name, ignores, is_dir=False):
                yield here / name


def _gitignore(folder: Path) -> pathspec.PathSpec | None:
    file = folder / ".gitignore"
    try:
        return pathspec.GitIgnoreSpec.from_lines(file.read_text(encoding="utf-8", errors="replace").splitlines())
    except (OSError, ValueError):
        return None


def _inherited_gitignores(absolute_root: Path) -> Ignores:
    """The .gitignore files of the folders above the root, up to its repository's top."""
    if (absolute_root / ".git").exists():
        return []
    found: Ignores = []
    for folder in absolute_root.parents:
        spec = _gitignore(folder)
        if spec is not None:
            found.append((folder, spec))
        if (folder / ".git").exists():
            return list(reversed(found))
    return []


def _ignored(absolute: Path, ignores: Ignores, is_dir: bool) -> bool:
    for folder, spec in ignores:
        relative = absolute.relative_to(folder).as_posix() + ("/" if is_dir else "")
        if spec.match_file(relative):
            return True
    return False


# --- reading and checking ----------------------------------------------------------


class UnreadableSource(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    raw: bytes


def read_source(path: Path) -> Decoded:
    """Decode a Python file as the interpreter would (BOM, coding cookie, else UTF-8)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableSource(f"cannot read file: {error.strerror or error}") from error
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        raise UnreadableSource(str(error.msg if hasattr(error, "msg") else error)) from error
    try:
        return Decoded(data.decode(encoding), encoding, data)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode(encoding, "replace"))
        byte = data[error.start : error.start + 1].hex()
        raise UnreadableSource(f"invalid {encoding} byte 0x{byte}", line, column) from error


class ChangedOnDisk(Exception):
    """The file is no longer what was checked: writing fixes would lose someone's edit."""


def write_source(path: Path, text: str, decoded: Decoded) -> None:
    """Write fixed text atomically (temporary file + rename, permissions kept), and only if
    the file still holds what was checked."""
    data = text.encode(decoded.encoding if decoded.encoding != "utf-8-sig" else "utf-8")
    if decoded.encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
        data = b"\xef\xbb\xbf" + data
    if path.read_bytes() != decoded.raw:
        raise ChangedOnDisk(str(path))
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@dataclass(frozen=True)
class CheckOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False


@dataclass
class FileReport:
    file: SourceFile
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    # The file is valid in a newer Python than this one: said once, not an error.
    note: str | None = None
    fixed: int = 0
    diff: str = ""
    probe_candidate: bool = False
    from_cache: bool = False
    inference_cut_short: bool = False
    """Jedi's budget ran out (or jedi failed): some values were left unresolved."""


def check_file(file: SourceFile, settings: Settings, options: CheckOptions, cache: ResultCache | None = None) -> FileReport:
    """Check one file; with fixes, write it (or describe the change as a diff). Without fixes, a
    result ``cache`` answers for a text analysed before whose dependencies did not change."""
    report = FileReport(file)
    try:
        decoded = read_source(file.path)
    except UnreadableSource as error:
        report.error = f"{file.display}:{error.line}:{error.column + 1}: {error.message}"
        return report
    if options.fix or options.diff:
        cache = None  # never trusted for a file it may edit
        fixed = fix(decoded.text, settings, file.path, unsafe=options.unsafe_fixes)
        result = fixed.result
        if fixed.fixed and fixed.text != decoded.text:
            report.fixed = fixed.fixed
            if options.diff:
                report.diff = _unified_diff(file.display, decoded.text, fixed.text)
            else:
                try:
                    write_source(file.path, fixed.text, decoded)
                except ChangedOnDisk:
                    report.fixed = 0
                    report.error = f"{file.display}: changed on disk while being fixed; left as it is"
                    return report
    else:
        cache = cache.shared() if cache is not None else None
        key = cache.key(decoded.text, file.path, settings) if cache is not None else ""
        cached = cache.load(key, file.path, settings) if cache is not None else None
        if cached is not None:
            return _cached_report(report, cached)
        with recording() as reads:
            result = lint(decoded.text, settings, file.path)
    problem = result.source.problem
    where = f"{file.display}:{problem.line}:{problem.column + 1}" if problem else ""
    if problem is not None and problem.requires:
        report.note = f"{where}: {problem.message} (the rest of the file was checked)"
    elif problem is not None:
        report.error = f"{where}: cannot parse: {problem.message}"
    report.findings = [_with_path(f, file.display) for f in result.findings]
    report.probe_candidate = (problem is None or problem.requires is not None) and wants_probe(result.model)
    report.inference_cut_short = result.jedi is not None and result.jedi.truncated
    if cache is not None and (result.jedi is None or result.jedi.repeatable):
        jedi_files = result.jedi.loaded_files() if result.jedi is not None else set()
        cache.store(key, file.path, settings, _to_cache(report), reads, jedi_files)
    return report


def _to_cache(report: FileReport) -> CachedReport:
    """A report without the file's display name, which depends on how the file was named."""
    display = len(report.file.display)
    return CachedReport(
        [replace(f, path="") for f in report.findings],
        report.error[display:] if report.error else None,
        report.note[display:] if report.note else None,
        report.probe_candidate,
    )


def _cached_report(report: FileReport, cached: CachedReport) -> FileReport:
    display = report.file.display
    report.findings = [_with_path(f, display) for f in cached.findings]
    report.error = display + cached.error if cached.error is not None else None
    report.note = display + cached.note if cached.note is not None else None
    report.probe_candidate = cached.probe_candidate
    report.from_cache = True
    return report


def probe_report(report: FileReport, settings: Settings, prober: Prober) -> None:
    """Add the serialization probe's findings to a checked file's report (in this process)."""
    try:
        decoded = read_source(report.file.path)
    except UnreadableSource:
        return
    result = lint(decoded.text, settings, report.file.path)
    added = probe_file(report.file.path, result.source, result.model, result.findings, settings, prober)
    report.findings.extend(_with_path(f, report.file.display) for f in added)


def apply_external_fixes(
    reports: list[FileReport], options: CheckOptions, settings_for: Callable[[Path], Settings]
) -> tuple[int, str]:
    """Apply, serially, the fixes that edit another file than their finding's (a dependency
    added to a pyproject.toml or a requirements file); the number applied and, with
    ``options.diff``, the diff instead of writing.

    Fixes of one file may collide (two modules adding to one list); the modules are checked
    again after each pass, so what a pass skipped is computed afresh against the new text.
    """
    fixed, diffs = 0, []
    for _ in range(MAX_FIX_PASSES):
        wanted = [
            (report, finding) for report in reports for finding in report.findings
            if finding.fix and finding.fix.is_external and (options.unsafe_fixes or finding.fix.is_safe)
        ]
        by_target: dict[Path, list[tuple[FileReport, Finding]]] = {}
        for report, finding in wanted:
            target = next(edit.path for edit in finding.fix.edits if edit.path is not None)
            by_target.setdefault(target, []).append((report, finding))
        applied_now = 0
        for target, pairs in by_target.items():
            applied = _apply_to_file(target, [finding.fix for _, finding in pairs], options, diffs)
            applied_now += len(applied)
            for report, finding in pairs:
                if any(fix is finding.fix for fix in applied):
                    report.findings.remove(finding)
        fixed += applied_now
        if options.diff or not applied_now:
            break
        for report in {id(report): report for report, _ in wanted}.values():
            _recheck_external(report, settings_for(report.file.path))
    return fixed, "".join(diffs)


def _apply_to_file(target: Path, fixes: list, options: CheckOptions, diffs: list[str]) -> list:
    try:
        decoded = read_source(target)
    except UnreadableSource:
        return []
    source = unparsed(decoded.text)
    new_text, applied = apply_some_fixes(source.text, fixes, source.line_offsets)
    if not applied or new_text == source.text:
        return []
    if source.has_bom:
        new_text = "\ufeff" + new_text
    if options.diff:
        diffs.append(_unified_diff(os.path.relpath(target), decoded.text, new_text))
        return applied
    try:
        write_source(target, new_text, decoded)
    except (ChangedOnDisk, OSError):
        return []
    return applied


def _recheck_external(report: FileReport, settings: Settings) -> None:
    """Refresh a report's findings with external fixes from the file's current state."""
    try:
        decoded = read_source(report.file.path)
    except UnreadableSource:
        return
    codes = {finding.code for finding in report.findings if finding.fix and finding.fix.is_external}
    fresh = [f for f in lint(decoded.text, settings, report.file.path).findings if f.code in codes]
    report.findings = [f for f in report.findings if f.code not in codes] + [_with_path(f, report.file.display) for f in fresh]


def _with_path(finding: Finding, display: str) -> Finding:
    return replace(finding, path=display)


def _unified_diff(display: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{display}", f"b/{display}"
        )
    )
