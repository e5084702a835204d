"""Results of `check` kept between runs, as Ruff keeps them: one JSON entry per file and settings.

An entry holds a digest of what the result is computed from apart from other files (the text,
the tool's version and the stamps of its own sources, the environment variables that choose an
interpreter), the stamps of every file and folder the analysis depended on (`project.reads`)
and of the project sources jedi read, and a digest of the stamps of the folders of the
project's tree (a file added or removed anywhere changes one). It is trusted only while all of
them hold. A result that depends on a file changed in the last two seconds is not kept: a
second change within the same clock tick would leave the stamp as it was.

Entries are written atomically (a temporary file renamed into place), so concurrent runs
never read half an entry; an entry that does not parse or has the wrong shape is ignored and
written again. Entries are JSON, never pickles: the folder lives in the checked tree, and
reading it must execute nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Iterable

from . import __version__
from .config import Settings
from .findings import Applicability, Edit, Finding, Fix, Related, Severity, Span
from .project import file_stamps, project_for
from .project.deployments import tree_folders

FOLDER_NAME = ".prefect-pitfalls-cache"
ENVIRONMENT_VARIABLE = "PREFECT_PITFALLS_CACHE_DIR"
FORMAT = 1
RACY_NANOSECONDS = 2_000_000_000
# What chooses the interpreter (and so the environment read) besides the settings.
_INTERPRETER_VARIABLES = ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PATH")


@dataclass
class CachedReport:
    findings: list[Finding]
    error: str | None
    note: str | None
    probe_candidate: bool


class ResultCache:
    """The entries of one run: under ``folder`` when given, else in each file's project root."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(os.path.abspath(folder)) if folder is not None else None
        self.run = uuid.uuid4().hex
        self._stamps: dict[str, Any] = {}
        self._trees: dict[Path, str] = {}
        self._racy_trees: dict[Path, bool] = {}

    def shared(self) -> "ResultCache":
        """This run's cache in this process: a worker process gets a copy of the cache with each
        file, and the stamps it took for one file serve the next."""
        return _of_this_process.setdefault(self.run, self)

    def folder_for(self, path: Path, settings: Settings) -> Path:
        if self.folder is not None:
            return self.folder
        return project_for(path, settings.probe.python, settings.root).root / FOLDER_NAME

    def prepare(self, folders: Iterable[Path]) -> None:
        """Create the cache folders before any analysis: creating one changes its parent's stamp."""
        for folder in set(folders):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                ignore = folder / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# Created by prefect-pitfalls: its result cache.\n*\n", encoding="utf-8")
            except OSError:
                pass  # a read-only tree: the run works uncached

    def key(self, text: str, path: Path, settings: Settings) -> tuple[str, str]:
        """The entry's name, from the file and the settings (a file keeps one entry), and the digest
        of what else its result is computed from, kept inside the entry."""
        name = json.dumps([os.path.abspath(path), repr(_keyed(settings))])
        material = json.dumps([
            FORMAT, __version__, _own_sources_stamp(), sys.version,
            [os.environ.get(variable) for variable in _INTERPRETER_VARIABLES],
            hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
        ])
        return hashlib.sha256(name.encode()).hexdigest(), hashlib.sha256(material.encode()).hexdigest()

    def load(self, key: tuple[str, str], path: Path, settings: Settings) -> CachedReport | None:
        entry_path = self._entry_path(key, path, settings)
        try:
            entry = json.loads(entry_path.read_text(encoding="utf-8"))
            if entry["key"] != key[1] or entry["tree"] != self._tree_stamp(path, settings)[1]:
                return None
            if not self._holds(entry["stamps"]):
                return None
            return _report_from(entry["report"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, corrupt or of another shape: analysed again and rewritten

    def store(
        self, key: tuple[str, str], path: Path, settings: Settings, report: CachedReport, reads: set[str], jedi_files: set[str]
    ) -> None:
        tree, tree_stamp = self._tree_stamp(path, settings)
        depended = self._current(sorted(reads | {f for f in jedi_files if _inside(f, tree)}))
        if self._racy(tree) or any(_racy(stamp) for stamp in depended.values()):
            return
        entry = {"key": key[1], "tree": tree_stamp, "stamps": depended, "report": _report_data(report)}
        entry_path = self._entry_path(key, path, settings)
        try:
            entry_path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=entry_path.parent, prefix=".entry-", suffix=".tmp", delete=False
            ) as file:
                json.dump(entry, file, separators=(",", ":"))
            os.replace(file.name, entry_path)
        except OSError:
            return  # a full disk or a read-only tree: the run goes on uncached

    def _entry_path(self, key: tuple[str, str], path: Path, settings: Settings) -> Path:
        name = key[0]
        return self.folder_for(path, settings) / name[:2] / f"{name[2:]}.json"

    def _tree_stamp(self, path: Path, settings: Settings) -> tuple[Path, str]:
        """The file's tree, and a digest of the stamps of its folders, taken once per run."""
        project = project_for(path, settings.probe.python, settings.root)
        tree = project.repository or project.root
        if tree not in self._trees:
            folders = [str(folder) for folder in tree_folders(tree)]
            stamps = file_stamps(folders, record=False)
            self._trees[tree] = hashlib.sha256(repr(list(zip(folders, stamps))).encode()).hexdigest()
            self._racy_trees[tree] = any(_racy(stamp) for stamp in stamps)
        return tree, self._trees[tree]

    def _racy(self, tree: Path) -> bool:
        return self._racy_trees.get(tree, False)

    def _current(self, paths: list[str]) -> dict[str, Any]:
        """Stamps, taken once per run: a run changes no file it depends on (fixes bypass the cache)."""
        missing = [p for p in paths if p not in self._stamps]
        self._stamps.update(zip(missing, ([*s] if s else None for s in file_stamps(missing))))
        return {p: self._stamps[p] for p in paths}

    def _holds(self, stamps: dict[str, Any]) -> bool:
        return self._current(list(stamps)) == stamps


_of_this_process: dict[str, ResultCache] = {}


def _keyed(settings: Settings) -> Settings:
    """The settings that shape a result: whether the probe is on does not."""
    return replace(settings, probe=replace(settings.probe, enabled=False, timeout=0.0))


def _racy(stamp) -> bool:
    """Changed so recently that a change in the same clock tick would leave the stamp as it is
    (file times are coarser than nanoseconds): such a result is not kept, as git keeps no
    racily clean index entry."""
    return stamp is not None and stamp[0] > time.time_ns() - RACY_NANOSECONDS


def _inside(file: str, tree: Path) -> bool:
    return file.startswith(str(tree) + os.sep) and f"{os.sep}site-packages{os.sep}" not in file


_own_stamp: list[str] = []


def _own_sources_stamp() -> str:
    """Changes with any source file of the tool: a result from other code is never trusted."""
    if not _own_stamp:
        package = Path(__file__).parent
        files = sorted(str(p) for p in package.rglob("*.py"))
        _own_stamp.append(hashlib.sha256(repr(list(zip(files, file_stamps(files)))).encode()).hexdigest())
    return _own_stamp[0]


# --- entries as JSON --------------------------------------------------------------------------


def _report_data(report: CachedReport) -> dict[str, Any]:
    return {
        "findings": [_finding_data(f) for f in report.findings],
        "error": report.error, "note": report.note, "probe_candidate": report.probe_candidate,
    }


def _report_from(data: dict[str, Any]) -> CachedReport:
    return CachedReport(
        [_finding_from(f) for f in data["findings"]], data["error"], data["note"], bool(data["probe_candidate"])
    )


def _finding_data(finding: Finding) -> dict[str, Any]:
    data = asdict(finding)
    data["severity"] = finding.severity.value
    for fix in [data["fix"], *data["alternatives"]]:
        if fix is not None:
            fix["applicability"] = fix["applicability"].value
            for edit in fix["edits"]:
                edit["path"] = str(edit["path"]) if edit["path"] is not None else None
    for related in data["related"]:
        related["path"] = str(related["path"]) if related["path"] is not None else None
    return data


def _finding_from(data: dict[str, Any]) -> Finding:
    return Finding(
        data["code"], data["name"], data["message"], Span(**data["span"]), Severity(data["severity"]),
        _fix_from(data["fix"]), data["path"],
        tuple(Related(r["message"], Span(**r["span"]), _path(r["path"])) for r in data["related"]),
        tuple(_fix_from(f) for f in data["alternatives"]),
    )


def _fix_from(data: dict[str, Any] | None) -> Fix | None:
    if data is None:
        return None
    edits = tuple(Edit(Span(**e["span"]), e["new_text"], _path(e["path"])) for e in data["edits"])
    return Fix(data["title"], Applicability(data["applicability"]), edits)


def _path(value: str | None) -> Path | None:
    return Path(value) if value is not None else None
