"""`--format sarif`: one SARIF 2.1.0 log for GitHub code scanning and other SARIF viewers.

Every rule is described in ``tool.driver.rules``, whether or not it has findings. Paths
given relative on the command line become relative references against ``%SRCROOT%``
(the working directory); absolute ones become ``file://`` URIs. Columns are 1-based and
count Unicode code points (``run.columnKind``), as ours do.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path, PurePath
from typing import Iterable

from .. import __version__
from ..docs import rule_url
from ..findings import Edit, Finding, Fix, Related, Severity, Span
from ..rules import RULES, Rule
from .json import display_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/prefect-pitfalls/prefect-pitfalls"
SRCROOT = "%SRCROOT%"

_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFORMATION: "note",
    Severity.HINT: "note",
}


def render_sarif(findings: Iterable[Finding], **_: object) -> str:
    return json.dumps(sarif_log(findings), indent=2, ensure_ascii=False) + "\n"


def sarif_log(findings: Iterable[Finding], cwd: Path | None = None) -> dict:
    rule_index = {rule.code: index for index, rule in enumerate(RULES)}
    root = (cwd or Path.cwd()).as_uri()
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "prefect-pitfalls",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in RULES],
                    }
                },
                "invocations": [{"executionSuccessful": True, "workingDirectory": {"uri": _directory_uri(root)}}],
                "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
                "columnKind": "unicodeCodePoints",
                "results": [_result(finding, rule_index) for finding in findings],
            }
        ],
    }


def _directory_uri(uri: str) -> str:
    return uri if uri.endswith("/") else uri + "/"


def _rule(rule: Rule) -> dict:
    return {
        "id": rule.code,
        "name": _pascal_case(rule.name),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _section(rule.doc, "What it does") or rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "helpUri": rule_url(rule.code),
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": ["prefect", "correctness"]},
    }


def _pascal_case(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_\s]+", name) if part)


def _section(doc: str, title: str) -> str:
    """The text of the Markdown section ``## title``, without its heading, lines joined."""
    match = re.search(rf"^## {re.escape(title)}[ \t]*\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    return " ".join(match.group(1).split()) if match else ""


def _result(finding: Finding, rule_index: dict[str, int]) -> dict:
    location = _artifact_location(finding.path)
    result: dict = {"ruleId": finding.code}
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    result["level"] = _LEVELS[finding.severity]
    result["message"] = {"text": finding.message}
    result["locations"] = [{"physicalLocation": {"artifactLocation": location, "region": _region(finding.span)}}]
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": index,
                "physicalLocation": {"artifactLocation": _related_location(related, location), "region": _region(related.span)},
                "message": {"text": related.message},
            }
            for index, related in enumerate(finding.related, start=1)
        ]
    if finding.fix:
        result["fixes"] = [_fix(finding.fix, location)]
    return result


def _related_location(related: Related, location: dict) -> dict:
    """The artifact of a related place: the finding's own, or another file (relative when below
    the current folder, as the finding's path is)."""
    if related.path is None:
        return location
    path = related.path.absolute()
    try:
        return _artifact_location(path.relative_to(Path.cwd()).as_posix())
    except ValueError:
        return _artifact_location(str(path))


def _artifact_location(path: str) -> dict:
    pure = PurePath(path)
    if pure.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": urllib.parse.quote(pure.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict:
    return {
        "startLine": span.line,
        "startColumn": span.column + 1,
        "endLine": span.end_line,
        "endColumn": span.end_column + 1,
    }


def _fix(fix: Fix, location: dict) -> dict:
    """One artifact change per file the fix edits: the finding's own, or another (a pyproject.toml)."""
    by_file: dict[str, tuple[dict, list[Edit]]] = {}
    for edit in fix.edits:
        target = location if edit.path is None else _artifact_location(display_path(edit.path))
        by_file.setdefault(json.dumps(target, sort_keys=True), (target, []))[1].append(edit)
    return {
        "description": {"text": fix.title},
        "artifactChanges": [
            {"artifactLocation": target, "replacements": [_replacement(e) for e in edits]}
            for target, edits in by_file.values()
        ],
        "properties": {"applicability": fix.applicability.value},
    }


def _replacement(edit: Edit) -> dict:
    replacement: dict = {"deletedRegion": _region(edit.span)}
    if edit.new_text:
        replacement["insertedContent"] = {"text": edit.new_text}
    return replacement
