"""`--format github`: one GitHub Actions workflow command per finding, shown as annotations.

``::warning file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=PP102 (task-global-state)::message``;
columns are 1-based. Nothing else is printed, so the output can go straight to a step's log.
"""

from __future__ import annotations

from typing import Iterable

from ..findings import Finding, Severity

_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "notice",
    Severity.HINT: "notice",
}


def render_github(findings: Iterable[Finding], **_: object) -> str:
    return "".join(workflow_command(finding) + "\n" for finding in findings)


def workflow_command(finding: Finding) -> str:
    span = finding.span
    properties = {
        "file": finding.path,
        "line": span.line,
        "col": span.column + 1,
        "endLine": span.end_line,
        "endColumn": span.end_column + 1,
        "title": f"{finding.code} ({finding.name})",
    }
    listed = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{_COMMANDS[finding.severity]} {listed}::{escape_data(finding.message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
