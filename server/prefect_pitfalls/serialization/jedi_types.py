"""Jedi, used in one place: the type names of an expression, cached per document and bounded in time.

Jedi reads typeshed and the sources and stubs of the packages installed in the project's
environment (located from files; that interpreter never runs), so it sees what a helper
in another module returns. It is slow to start and can be slow
on large modules; every caller must treat "no answer" as "unknown".
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from ..project import locate_site_packages, own_standard_library

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_SECONDS = 2.0
# `check` asks blocking, and counts questions rather than seconds, so that a result is the same
# on a fast and a slow machine (and can be cached); the seconds are a net for pathological code.
BLOCKING_QUESTIONS = 200
BLOCKING_SAFETY_SECONDS = 30.0
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[str, str], "JediTypes"] = OrderedDict()
_cache_lock = threading.Lock()
# Jedi talks to one compiled subprocess per environment over a pipe, and two threads talking at
# once read each other's answers and hang: the server's jedi thread and a code action computed
# on the event loop take turns.
_jedi_lock = threading.RLock()


class JediTypes:
    """Type names jedi infers at positions of one text: an editor's questions within a time
    budget for the whole text, `check`'s (blocking) within a number of questions."""

    def __init__(
        self, text: str, path: Path | None, budget: float = DEFAULT_BUDGET_SECONDS, python: str | None = None
    ) -> None:
        self.text = text
        self.path = path
        self.python = python
        self.budget = budget
        self.blocking = True
        self.spent = 0.0
        self.failed = False
        self.refused = 0
        """Questions left unanswered because a budget ran out."""
        self.timed_out = False
        self.pending: set[tuple[int, int]] = set()
        self._script = None
        self._answers: dict[tuple[int, int], tuple[str, ...]] = {}

    def infer(self, line: int, column: int) -> tuple[str, ...]:
        """Fully qualified names of the instances at a 1-based line and code-point column.

        Not blocking, only cached answers are given; the question is kept in ``pending``
        for `resolve_pending` to answer later, off the caller's thread.
        """
        key = (line, column)
        if key in self._answers:
            return self._answers[key]
        if not self.blocking:
            self.pending.add(key)
            return ()
        return self._compute(key)

    def resolve_pending(self) -> bool:
        """Answer the questions asked while not blocking; whether any answer is new."""
        new = False
        for key in sorted(self.pending):
            new = bool(self._compute(key)) or new
        self.pending.clear()
        return new

    def _compute(self, key: tuple[int, int]) -> tuple[str, ...]:
        line, column = key
        if self.failed or self._over_budget():
            self.refused += 1
            return ()
        started = time.perf_counter()
        try:
            with _jedi_lock:
                names = tuple(
                    d.full_name for d in self._get_script().infer(line, column) if d.type == "instance" and d.full_name
                )
        except Exception as error:  # jedi raises many kinds of errors on odd code; none is ours to surface
            logger.debug("jedi failed at %s:%s:%s: %r", self.path, line, column, error)
            self.failed = True
            names = ()
        finally:
            self.spent += time.perf_counter() - started
        self._answers[key] = names
        return names

    def _over_budget(self) -> bool:
        if not self.blocking:
            return self.spent >= self.budget
        self.timed_out = self.timed_out or self.spent >= BLOCKING_SAFETY_SECONDS
        return self.timed_out or len(self._answers) >= BLOCKING_QUESTIONS

    def answered(self, line: int, column: int) -> bool:
        """Whether jedi really answered at a position (not cut short by the budget or a failure)."""
        return (line, column) in self._answers and not self.failed

    @property
    def truncated(self) -> bool:
        """Whether some question went unanswered: a budget ran out or jedi failed."""
        return self.failed or self.refused > 0

    @property
    def repeatable(self) -> bool:
        """Whether another run would get the same answers: no clock or failure cut them short."""
        return not (self.failed or self.timed_out)

    def loaded_files(self) -> set[str]:
        """The source files of the modules jedi loaded to answer so far."""
        if self._script is None:
            return set()
        files = set()
        try:
            for values in self._script._inference_state.module_cache._name_cache.values():
                for value in values:
                    path = value.py__file__()
                    if path is not None:
                        files.add(str(path))
        except Exception as error:  # jedi's internals: without them nothing is known, so say so
            logger.debug("jedi's loaded modules unknown: %r", error)
            self.failed = True
        return files

    def _get_script(self):
        if self._script is None:
            import jedi

            self._script = jedi.Script(
                self.text,
                path=str(self.path) if self.path else None,
                project=_project(import_root(self.path) if self.path else None, self.python),
                environment=_own_environment(),
            )
        return self._script


def for_text(
    text: str, path: Path | None, budget: float = DEFAULT_BUDGET_SECONDS, blocking: bool = True, python: str | None = None
) -> JediTypes:
    """The inference object of a text, shared by every analysis of that exact text."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    key = (str(path), digest, python)
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = JediTypes(text, path, budget, python)
        found.blocking = blocking
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def _project(root: Path | None, python: str | None):
    """Jedi's project: the module's import root, and the sources and stubs of the project's
    environment read from its site-packages. Jedi imports compiled modules only from our own
    interpreter's path (`load_unsafe_extensions=False` keeps it to that), never the project's."""
    import jedi

    site = locate_site_packages(python) if python else None
    sys_path = None if site is None or site.own else own_standard_library() + site.import_path
    return jedi.Project(path=str(root or Path.cwd()), sys_path=sys_path, load_unsafe_extensions=False)


def _own_environment():
    """The server's own interpreter, always: jedi's default would start the interpreter of
    `VIRTUAL_ENV`, which the linter never runs. One per process: a forked `check` worker must
    not talk to its parent's jedi subprocess."""
    return _environment_of_process(os.getpid())


@lru_cache(maxsize=4)
def _environment_of_process(pid: int):
    from jedi.api.environment import SameEnvironment

    return SameEnvironment()


def import_root(path: Path) -> Path:
    """The folder from which the module's package is importable: above its last `__init__.py`."""
    folder = path.resolve().parent
    while (folder / "__init__.py").exists() and folder.parent != folder:
        folder = folder.parent
    return folder
