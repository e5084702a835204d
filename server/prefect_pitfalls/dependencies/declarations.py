"""A place where a project declares the distributions its flows need, and how to add one.

Each reader (`pyproject.py`, `requirements.py`, `prefect_yaml.py`,
`docker_storage.py`) produces a `Declaration`: the canonical names it declares
and an insertion that knows the file's layout, so that a fix adds an entry
formatted like the ones around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from ..findings import Edit
from ._items import ItemList, insert_item
from ._text import TextIndex
from .distributions import canonical

DeclarationKind = Literal["pyproject", "requirements", "prefect-yaml", "docker-storage"]


class Insertion(Protocol):
    path: Path
    """The file the edit applies to."""

    def edit(self, distribution: str) -> Edit | None: ...


@dataclass(frozen=True)
class Declaration:
    """Distributions declared in one place; ``complete`` is False when some entries could not be read.

    Entries that could not be read are non-literal list items, templated or missing
    requirement files, and lines that do not parse: a rule that wants no false
    alarms may stay quiet when ``complete`` is False.
    """

    kind: DeclarationKind
    path: Path
    names: frozenset[str]
    complete: bool = True
    insertion: Insertion | None = field(default=None, repr=False, compare=False)
    sources: frozenset[Path] = field(default=frozenset(), repr=False, compare=False)
    """Every other file read to build it (`-r` includes, the requirements a step installs)."""
    extras: frozenset[tuple[str, frozenset[str]]] = field(default=frozenset(), compare=False)
    """The entries that ask for extras: (canonical name, canonical extras), as `closure.Requested`."""
    unreadable: tuple[str, ...] = field(default=(), compare=False)
    """Lines of a requirements file that are no requirement (prose such as `pip install -e .`)."""
    closed: bool = field(default=False, compare=False)
    """It lists everything installed, dependencies of dependencies too (a pip-compile output)."""

    def declares(self, distribution: str) -> bool:
        return canonical(distribution) in self.names

    def addition(self, distribution: str) -> Edit | None:
        """The edit adding ``distribution`` to this declaration (in ``target``), or None."""
        if self.insertion is None or self.declares(distribution):
            return None
        return self.insertion.edit(distribution)

    @property
    def target(self) -> Path | None:
        """The file `addition` edits: ``path`` itself, or the requirements file it names."""
        return self.insertion.path if self.insertion is not None else None


@dataclass(frozen=True)
class ItemInsertion:
    """Adds a quoted name to a TOML array or a Python list literal."""

    path: Path
    index: TextIndex = field(repr=False)
    items: ItemList
    quote: str = '"'

    def edit(self, distribution: str) -> Edit:
        return insert_item(self.index, self.items, f"{self.quote}{distribution}{self.quote}")


@dataclass(frozen=True)
class LineInsertion:
    """Adds a line at the end of a requirements file."""

    path: Path
    index: TextIndex = field(repr=False)

    def edit(self, distribution: str) -> Edit:
        text = self.index.text
        end = self.index.span(len(text), len(text))
        if not text:
            return Edit(end, distribution + self.index.line_break)
        if text.endswith(("\n", "\r")):
            return Edit(end, distribution + self.index.line_break)
        return Edit(end, self.index.line_break + distribution)


@dataclass(frozen=True)
class TableEntryInsertion:
    """Adds `name = "*"` after the last entry of a TOML table (Poetry's dependencies)."""

    path: Path
    index: TextIndex = field(repr=False)
    after: int
    """The offset of the end of the table's last entry (or of its header)."""
    indent: str = ""
    quote: str = '"'

    def edit(self, distribution: str) -> Edit:
        key = distribution if _is_bare_key(distribution) else f"{self.quote}{distribution}{self.quote}"
        end = self.index.line_end(self.after)
        return Edit(self.index.span(end, end), f"{self.index.line_break}{self.indent}{key} = {self.quote}*{self.quote}")


@dataclass(frozen=True)
class KeywordInsertion:
    """Adds `keyword=["name"]` as the last argument of a call."""

    path: Path
    index: TextIndex = field(repr=False)
    arguments: ItemList
    keyword: str

    def edit(self, distribution: str) -> Edit:
        return insert_item(self.index, self.arguments, f'{self.keyword}=["{distribution}"]')


@dataclass(frozen=True)
class ReplaceInsertion:
    """Replaces an expression (`python_dependencies=None`) with a one-item list."""

    path: Path
    index: TextIndex = field(repr=False)
    start: int
    end: int

    def edit(self, distribution: str) -> Edit:
        return Edit(self.index.span(self.start, self.end), f'["{distribution}"]')


@dataclass(frozen=True)
class DelegatedInsertion:
    """Adds the name to another declaration (the requirements file a step or setting names)."""

    other: Declaration

    @property
    def path(self) -> Path:
        return self.other.target or self.other.path

    def edit(self, distribution: str) -> Edit | None:
        return self.other.insertion.edit(distribution) if self.other.insertion is not None else None


def delegate_to(declarations: list[Declaration]) -> DelegatedInsertion | None:
    """An insertion into the first of ``declarations`` that can take one."""
    for declaration in declarations:
        if declaration.insertion is not None:
            return DelegatedInsertion(declaration)
    return None


def _is_bare_key(name: str) -> bool:
    return bool(name) and all(char.isascii() and (char.isalnum() or char in "-_") for char in name)
