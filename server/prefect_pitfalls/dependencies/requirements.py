"""Requirement files (`requirements*.txt`) and requirement strings.

A file's declared names include those of the files it includes with `-r`
(followed relative to the including file, each once); `-c` constraints declare
nothing. Options, editable local paths, comments and lines that do not parse
are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ._text import TextIndex, read_text
from .closure import Requested, requested
from .declarations import Declaration, LineInsertion
from .distributions import canonical

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_COMMENT = re.compile(r"(^|\s+)#.*$")
# Per-requirement options after the requirement: `pkg==1.0 --hash=sha256:...`.
_TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z][\w-]*(?:[=\s]|$).*$")
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+|(?=[^\s=]))(?P<file>\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s*=\s*|\s+)(?P<target>\S+)")
_EGG = re.compile(r"[#&]egg=(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(text: str) -> str | None:
    """The canonical name of a requirement string (`PyYAML[x]>=6; python_version>"3"`), or None."""
    text = text.strip()
    try:
        return canonical(Requirement(text).name)
    except InvalidRequirement:
        pass
    egg = _EGG.search(text)
    if egg:
        return canonical(egg.group("name"))
    if text.endswith(".whl"):
        try:
            return canonical(parse_wheel_filename(text.rsplit("/", 1)[-1])[0])
        except InvalidWheelFilename:
            return None
    return None


def requirement_names(texts: Iterable[object]) -> tuple[frozenset[str], bool]:
    """Canonical names of requirement strings, and whether every item was a valid one."""
    names = set()
    complete = True
    for text in texts:
        name = requirement_name(text) if isinstance(text, str) else None
        if name is None:
            complete = False
        else:
            names.add(name)
    return frozenset(names), complete


def find_requirements_files(folder: Path) -> list[Path]:
    """The `requirements*.txt` files in a folder, sorted by name."""
    try:
        return sorted(path for path in folder.glob("requirements*.txt") if path.is_file())
    except OSError:
        return []


def read_requirements(path: Path, text: str | None = None) -> Declaration:
    """The names a requirements file declares, with `-r` includes; ``text`` overrides the file's."""
    if text is None:
        text = _read(path)
    if text is None:
        return Declaration("requirements", path, frozenset(), complete=False)
    seen = {_key(path)}
    extras: set[Requested] = set()
    unreadable: list[str] = []
    names, complete = _names_in(path, text, seen, extras, unreadable)
    insertion = LineInsertion(path, TextIndex(text))
    return Declaration(
        "requirements", path, names, complete, insertion, frozenset(seen), frozenset(extras), tuple(unreadable)
    )


def _names_in(
    path: Path, text: str, seen: set[Path], extras: set[Requested], unreadable: list[str]
) -> tuple[frozenset[str], bool]:
    names: set[str] = set()
    complete = True
    for line in logical_lines(text):
        include = _INCLUDE.match(line)
        if include:
            included, ok = _included(path.parent / include.group("file"), seen, extras, unreadable)
            names |= included
            complete &= ok
            continue
        editable = _EDITABLE.match(line)
        if editable:
            egg = _EGG.search(editable.group("target"))
            if egg:
                names.add(canonical(egg.group("name")))
            continue
        if line.startswith("-"):
            continue
        requirement = _TRAILING_OPTIONS.sub("", line)
        name = requirement_name(requirement)
        asked = requested(requirement)
        if asked is not None and asked[1]:
            extras.add(asked)
        if name is not None:
            names.add(name)
        elif not _is_local_path(line):
            complete = False
            unreadable.append(line)
    return frozenset(names), complete


def _included(
    path: Path, seen: set[Path], extras: set[Requested], unreadable: list[str]
) -> tuple[frozenset[str], bool]:
    if "$" in str(path) or "{{" in str(path):
        return frozenset(), False
    key = _key(path)
    if key in seen:
        return frozenset(), True
    seen.add(key)
    text = _read(path)
    if text is None:
        return frozenset(), False
    return _names_in(path, text, seen, extras, unreadable)


def logical_lines(text: str) -> Iterator[str]:
    """Lines with backslash continuations joined and comments removed, blank ones skipped."""
    pending = ""
    for raw in _LINE_BREAK.split(text):
        if raw.endswith("\\") and not _COMMENT.search(raw):
            pending += raw[:-1]
            continue
        line = _COMMENT.sub("", pending + raw).strip()
        pending = ""
        if line:
            yield line
    line = _COMMENT.sub("", pending).strip()
    if line:
        yield line


def _is_local_path(line: str) -> bool:
    """A path or URL pip installs without a name we can read (`.`, `./libs/x`, `https://.../x.tar.gz`)."""
    return line.startswith((".", "/", "~")) or "://" in line or "/" in line or "\\" in line


def _key(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _read(path: Path) -> str | None:
    return read_text(path)
