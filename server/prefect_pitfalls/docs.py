"""Rule documentation pages and tables, generated from the rule docstrings, and the
documentation shown beside a finding.

`scripts/generate_docs.py` writes the pages into `docs/rules/` and the README; a test
keeps the written copies equal to what this module renders.
"""

from __future__ import annotations

import re
from typing import Iterable

from .findings import Finding
from .rules import RULES_BY_CODE, Rule

DOCS_BASE_URL = "https://prefect-pitfalls.github.io/prefect-pitfalls/rules"
"""Where `docs/rules/` is published; `<DOCS_BASE_URL>/<code>` is a rule's page."""


def rule_url(code: str, base_url: str = DOCS_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/{code}"


def rule_page(rule: Rule) -> str:
    """`docs/rules/<code>.md`: the rule's facts, then its docstring."""
    facts = [
        "| Prefect | default severity | fix |",
        "|---|---|---|",
        f"| {rule.version_label} | {rule.severity.value} | {rule.fix or '—'} |",
    ]
    return "\n".join([
        f"# {rule.code}: {rule.name}",
        "",
        *facts,
        "",
        rule.doc,
        "",
        f"Suppress it on one line with `# noqa: {rule.code}`; see [all rules](README.md).",
        "",
    ])


def rules_index(rules: Iterable[Rule]) -> str:
    """`docs/rules/README.md`: every rule, linking to its page."""
    return "\n".join([
        "# Rules",
        "",
        "Each page says what the rule finds, why it breaks on a worker, an example and",
        "what to write instead. `prefect-pitfalls explain <code>` prints the same text.",
        "",
        rules_markdown(rules, link=lambda rule: f"{rule.code}.md"),
    ])


def rules_markdown(rules: Iterable[Rule], link=lambda rule: f"docs/rules/{rule.code}.md") -> str:
    """The rules table of the README (and of the index page)."""
    lines = ["| code | name | Prefect | severity | fix | what it finds |", "|---|---|---|---|---|---|"]
    lines += [
        f"| [{r.code}]({link(r)}) | {r.name} | {r.version_label} | {r.severity.value} "
        f"| {'yes' if r.fixable else ''} | {r.summary} |"
        for r in rules
    ]
    return "\n".join(lines) + "\n"


# --- documentation beside a finding --------------------------------------------------

WHY = "Why is this bad?"
USE_INSTEAD = "Use instead"
FINDINGS_SEPARATOR = "\n\n---\n\n"


def rule_sections(rule: Rule) -> dict[str, str]:
    """The `## ` sections of a rule's docstring by title (a code block's lines are never titles)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_code = False
    for line in rule.doc.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
            continue
        if current is not None:
            current.append(line)
    return {title: "\n".join(lines).strip() for title, lines in sections.items()}


def finding_documentation(finding: Finding, markdown: bool = True) -> str:
    """A finding's message, then its rule's summary, why it matters and what to write instead:
    as Markdown, or as plain text."""
    rule = RULES_BY_CODE.get(finding.code)
    message = _escape_markdown(finding.message) if markdown else finding.message
    if rule is None:
        return message
    sections = rule_sections(rule)
    parts = [f"**{rule.code}** ({rule.name}): {rule.summary}"]
    parts += [f"**{title}**\n\n{sections[title]}" for title in (WHY, USE_INSTEAD) if sections.get(title)]
    documentation = "\n\n".join(parts)
    return f"{message}\n\n{documentation if markdown else as_plain_text(documentation)}"


def findings_documentation(findings: Iterable[Finding], markdown: bool = True) -> str:
    """The documentation of the findings at one place, separated by horizontal rules."""
    return FINDINGS_SEPARATOR.join(finding_documentation(finding, markdown) for finding in findings)


def rule_explanation(rule: Rule) -> str:
    """A rule's whole page as `prefect-pitfalls explain` prints it (Markdown)."""
    return f"# {rule.code}: {rule.name}\n\n{rule.doc}\n"


def as_plain_text(markdown: str) -> str:
    """The Markdown of rule documentation for readers that show text as it is: headings and
    bold markers dropped, code blocks indented instead of fenced, links as "text (address)"."""
    lines: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            if lines and lines[-1]:
                lines.append("")
        elif in_code:
            lines.append(f"    {line}" if line else "")
        else:
            line = re.sub(r"^#+\s+", "", line)
            line = re.sub(r"\*\*(.+?)\*\*", r"\1", line)
            lines.append(re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", line))
    return "\n".join(lines)


def _escape_markdown(text: str) -> str:
    """Plain text for Markdown: emphasis, link and HTML characters escaped (`Task.__init__()`
    must not turn bold); the `code` spans a message marks stay as they are."""
    parts = re.split(r"(`[^`\n]*`)", text)
    return "".join(part if index % 2 else re.sub(r"([\\*_\[\]<>])", r"\\\1", part) for index, part in enumerate(parts))
