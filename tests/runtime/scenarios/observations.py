"""What a scenario saw, printed as one JSON line for the test that ran it.

Shared by the scenarios of every Prefect release, so it uses nothing but the standard library.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

MARKER = "OBSERVED "


class PrefectLogs(logging.Handler):
    """Every message Prefect logs, grouped by the task that logged it ("" outside tasks)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_task: dict[str, list[str]] = defaultdict(list)
        logging.getLogger("prefect").addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        self.by_task[getattr(record, "task_name", "") or ""].append(record.getMessage())

    def count(self, task_name: str, fragment: str) -> int:
        return sum(fragment in message for message in self.by_task[task_name])

    def matching(self, fragment: str) -> list[str]:
        return [message for messages in self.by_task.values() for message in messages if fragment in message]


def outcome(action: Callable[[], Any]) -> str:
    """What the caller of `action` sees: "ok: <repr of the value>" or "<ExceptionType>: <message>"."""
    try:
        return f"ok: {action()!r}"
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def report(observations: dict[str, Any]) -> None:
    print(MARKER + json.dumps(observations), flush=True)
