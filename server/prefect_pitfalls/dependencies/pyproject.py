"""Dependencies a `pyproject.toml` declares: `[project] dependencies` (with named optional
groups and dependency groups), setuptools' dynamic dependencies read from requirement
files, or Poetry's `[tool.poetry.dependencies]`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Sequence

from . import _toml
from ._items import preferred_quote
from ._text import TextIndex, read_text
from .closure import requested_all
from .declarations import Declaration, ItemInsertion, TableEntryInsertion, delegate_to
from .distributions import canonical
from .requirements import read_requirements, requirement_names

_POETRY_DEPENDENCIES = ("tool", "poetry", "dependencies")


def read_pyproject(path: Path, groups: Sequence[str] = (), text: str | None = None) -> Declaration | None:
    """The declaration of a `pyproject.toml`, or None when it declares no dependencies at all.

    ``groups`` names optional-dependency groups (`[project.optional-dependencies]`),
    dependency groups (`[dependency-groups]`) or Poetry groups whose entries count too.
    """
    if text is None:
        text = read_text(path)
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    project = _table(data, "project")
    if isinstance(project.get("dependencies"), list):
        return _project_dependencies(path, text, data, groups)
    if "dependencies" in project.get("dynamic", ()):
        dynamic = _dynamic_dependencies(path, data, groups)
        if dynamic is not None:
            return dynamic
    if _table(data, *_POETRY_DEPENDENCIES):
        return _poetry_dependencies(path, text, data, groups)
    return None


def _table(data: dict, *keys: str) -> dict:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _project_dependencies(path: Path, text: str, data: dict, groups: Sequence[str]) -> Declaration:
    entries = list(data["project"]["dependencies"])
    optional = _table(data, "project", "optional-dependencies")
    for group in groups:
        entries += _list(optional.get(group))
    names, complete = requirement_names(entries)
    group_names, groups_complete = _dependency_groups(data, groups)
    array = _toml.scan(text).arrays.get(("project", "dependencies"))
    insertion = None
    if array is not None:
        strings = [text[start:end] for start, end in array.items]
        insertion = ItemInsertion(path, TextIndex(text), array, preferred_quote(strings))
    extras = frozenset(asked for asked in requested_all(entries) if asked[1])
    return Declaration("pyproject", path, names | group_names, complete and groups_complete, insertion, extras=extras)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _dependency_groups(data: dict, groups: Sequence[str]) -> tuple[frozenset[str], bool]:
    """Names in PEP 735 `[dependency-groups]`, following `{include-group = "..."}` entries."""
    table = _table(data, "dependency-groups")
    names: set[str] = set()
    complete = True
    pending, seen = list(groups), set()
    while pending:
        group = pending.pop()
        if group in seen or group not in table:
            continue
        seen.add(group)
        for entry in _list(table[group]):
            if isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                pending.append(entry["include-group"])
                continue
            found, ok = requirement_names([entry])
            names |= found
            complete &= ok
    return frozenset(names), complete


def _dynamic_dependencies(path: Path, data: dict, groups: Sequence[str]) -> Declaration | None:
    """`dynamic = ["dependencies"]` with `[tool.setuptools.dynamic] dependencies = {file = [...]}`."""
    dynamic = _table(data, "tool", "setuptools", "dynamic")
    files = _table(dynamic, "dependencies").get("file")
    files = [files] if isinstance(files, str) else _list(files)
    for group in groups:
        group_files = _table(dynamic, "optional-dependencies", group).get("file")
        files += [group_files] if isinstance(group_files, str) else _list(group_files)
    if not files:
        return None
    declarations = [read_requirements(path.parent / file) for file in files if isinstance(file, str)]
    names = frozenset().union(*(d.names for d in declarations))
    complete = all(d.complete for d in declarations)
    sources = frozenset().union(*(d.sources for d in declarations))
    return Declaration("pyproject", path, names, complete, delegate_to(declarations[:1]), sources)


def _poetry_dependencies(path: Path, text: str, data: dict, groups: Sequence[str]) -> Declaration:
    tables = [_table(data, *_POETRY_DEPENDENCIES)]
    tables += [_table(data, "tool", "poetry", "group", group, "dependencies") for group in groups]
    names = frozenset(canonical(name) for table in tables for name in table if name.lower() != "python")
    table = _toml.scan(text).tables.get(_POETRY_DEPENDENCIES)
    insertion = None
    if table is not None:
        index = TextIndex(text)
        after = table.entries[-1][2] if table.entries else table.header_end
        indent = index.indentation(table.entries[-1][1]) if table.entries else ""
        quote = "'" if table.entries and index.text[table.entries[-1][2] - 1] == "'" else '"'
        insertion = TableEntryInsertion(path, index, after, indent, quote)
    return Declaration("pyproject", path, names, True, insertion)
