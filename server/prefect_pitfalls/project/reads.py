"""The files one analysis depends on: every file stamped or read while recording.

Every reader of the project's files goes through `file_stamps` or `dependencies._text.read_text`
(the stamp caches validate with the one, the readers read with the other), so a recording
catches what a result depends on, cache hits included. The result cache keeps these stamps
with each result and trusts the result only while they hold.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterable, Iterator

_recorded: ContextVar[set[str] | None] = ContextVar("recorded_reads", default=None)


@contextmanager
def recording() -> Iterator[set[str]]:
    """Collect the paths noted in this context (this thread) into the yielded set."""
    reads: set[str] = set()
    token = _recorded.set(reads)
    try:
        yield reads
    finally:
        _recorded.reset(token)


def is_recording() -> bool:
    """Whether an analysis is recording here: callers skip building what only a recording needs."""
    return _recorded.get() is not None


def note(paths: Iterable) -> None:
    """Record that the current analysis depends on these files or folders."""
    reads = _recorded.get()
    if reads is not None:
        reads.update(os.path.abspath(path) for path in paths)
