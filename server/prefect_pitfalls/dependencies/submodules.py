"""The git submodules of a repository, read from its `.gitmodules` file.

A submodule's folder holds the project's own code, cloned with the repository
(`git clone --recurse-submodules`, a `git_clone` pull step with
`include_submodules: true`): what it provides is project-local, never a
distribution to declare. Paths that leave the repository are ignored, as git
ignores them.
"""

from __future__ import annotations

import configparser
import os
import threading
from pathlib import Path

from ..project import file_stamps
from ._text import read_text


def parse_gitmodules(text: str) -> tuple[str, ...]:
    """The `path` of each `[submodule "name"]` section of a `.gitmodules` text, as written
    (relative to the repository's top); () when the text is not a git config file."""
    parser = configparser.RawConfigParser(strict=False, comment_prefixes=("#", ";"), inline_comment_prefixes=("#", ";"))
    try:
        parser.read_string(text)
    except configparser.Error:
        return ()
    paths = []
    for section in parser.sections():
        if section.split(None, 1)[0].lower() != "submodule":
            continue
        path = _unquoted(parser.get(section, "path", fallback=""))
        if path and path not in paths:
            paths.append(path)
    return tuple(paths)


def submodule_folders(repository: Path) -> tuple[Path, ...]:
    """The absolute folders of the submodules that ``repository``'s `.gitmodules` declares,
    cached until the file changes; () without one."""
    gitmodules = Path(os.path.normpath(os.path.abspath(repository))) / ".gitmodules"
    stamp = file_stamps((gitmodules,))
    with _lock:
        cached = _cache.get(gitmodules)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    folders = _read_folders(gitmodules) if stamp[0] is not None else ()
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[gitmodules] = (stamp, folders)
    return folders


def _read_folders(gitmodules: Path) -> tuple[Path, ...]:
    text = read_text(gitmodules)
    if text is None:
        return ()
    top = gitmodules.parent
    folders = []
    for path in parse_gitmodules(text):
        folder = Path(os.path.normpath(top / path))
        if not os.path.isabs(path) and top in folder.parents:
            folders.append(folder)
    return tuple(folders)


def _unquoted(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


_MAX_CACHED = 256
_cache: dict[Path, tuple[tuple, tuple[Path, ...]]] = {}
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()
