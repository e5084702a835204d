"""`--format text`: Ruff-like `path:line:col: CODE message` lines and a summary."""

from __future__ import annotations

from typing import Iterable

from ..findings import Finding


def render_text(findings: Iterable[Finding], fixed: int = 0, unsafe_hidden: int = 0) -> str:
    findings = list(findings)
    lines = [
        f"{f.path}:{f.span.line}:{f.span.column + 1}: {f.code} {'[*] ' if f.fix and f.fix.is_safe else ''}{f.message}"
        for f in findings
    ]
    lines.append(summary(findings, fixed, unsafe_hidden))
    return "\n".join(lines) + "\n"


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
