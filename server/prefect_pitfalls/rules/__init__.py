"""The rule registry: one module per rule, its docstring is its documentation."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Rule, RuleContext

# Every module `ppNNN_<name>` of this package is a rule, in code order.
RULES: tuple[Rule, ...] = tuple(
    Rule.from_module(importlib.import_module(f"{__name__}.{info.name}"))
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    if info.name.startswith("pp")
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
# Every code of the product contract, including rules this version does not implement yet,
# so a configuration naming them stays valid across upgrades.
KNOWN_CODES = (
    "PP101", "PP102", "PP103", "PP201", "PP202", "PP203", "PP204", "PP205",
    "PP301", "PP302", "PP303", "PP304", "PP305", "PP306", "PP307", "PP308", "PP309",
)


def rule_for(code_or_name: str) -> Rule | None:
    """A rule by its code (any case) or its name."""
    wanted = code_or_name.strip()
    return RULES_BY_CODE.get(wanted.upper()) or next((r for r in RULES if r.name == wanted), None)


def is_selector(text: str) -> bool:
    """Whether ``text`` selects rules: a code, a code prefix like ``PP1``, or ``ALL``."""
    return text == "ALL" or (len(text) >= 2 and any(code.startswith(text) for code in KNOWN_CODES))


__all__ = ["KNOWN_CODES", "RULES", "RULES_BY_CODE", "Rule", "RuleContext", "is_selector", "rule_for"]
