"""`--format text`: Ruff-like `path:line:col: CODE message` lines and a summary."""

from __future__ import annotations

from typing import Iterable

from ..findings import Finding


_BOLD, _RED, _CYAN, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[0m"


def render_text(
    findings: Iterable[Finding], fixed: int = 0, unsafe_hidden: int = 0, colour: bool = False, **_: object
) -> str:
    findings = list(findings)
    paint = _paint if colour else _plain
    lines = [
        f"{paint(f.path, _BOLD)}{paint(':', _CYAN)}{f.span.line}{paint(':', _CYAN)}{f.span.column + 1}"
        f"{paint(':', _CYAN)} {paint(f.code, _BOLD + _RED)} "
        f"{paint('[*] ', _CYAN) if f.fix and f.fix.is_safe else ''}{f.message}"
        for f in findings
    ]
    lines.append(summary(findings, fixed, unsafe_hidden))
    return "\n".join(lines) + "\n"


def _paint(text: str, style: str) -> str:
    return f"{style}{text}{_RESET}"


def _plain(text: str, style: str) -> str:
    return text


def summary(findings: list[Finding], fixed: int = 0, unsafe_hidden: int = 0) -> str:
    remaining = len(findings)
    total = remaining + fixed
    if total == 0:
        return "All checks passed!"
    lines = [f"Found {total} finding{'s' if total != 1 else ''}"]
    if fixed:
        lines[0] += f" ({fixed} fixed, {remaining} remaining)"
    lines[0] += "."
    safe = sum(1 for f in findings if f.fix and f.fix.is_safe)
    if safe:
        lines.append(f"[*] {safe} fixable with the `--fix` option.")
    if unsafe_hidden:
        lines.append(
            f"{unsafe_hidden} hidden fix{'es' if unsafe_hidden != 1 else ''} "
            "can be enabled with the `--unsafe-fixes` option."
        )
    return "\n".join(lines)
