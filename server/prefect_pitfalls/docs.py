"""Rule documentation pages and tables, generated from the rule docstrings.

`scripts/generate_docs.py` writes them into `docs/rules/` and the README; a test
keeps the written copies equal to what this module renders.
"""

from __future__ import annotations

from typing import Iterable

from .rules import Rule

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

