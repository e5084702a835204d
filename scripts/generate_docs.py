"""Regenerate what is written from the rule docstrings and the options table:
`docs/rules/*.md` and the README's rules table and configuration reference.

    python scripts/generate_docs.py          # write
    python scripts/generate_docs.py --check  # exit 1 and name what is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from prefect_pitfalls.docs import rule_page, rules_index, rules_markdown
from prefect_pitfalls.options import reference_markdown
from prefect_pitfalls.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
RULE_DOCS = ROOT / "docs" / "rules"
README = ROOT / "README.md"
README_BLOCKS = {"rules": rules_markdown, "options": reference_markdown}


def expected_files() -> dict[Path, str]:
    files = {RULE_DOCS / f"{rule.code}.md": rule_page(rule) for rule in RULES}
    files[RULE_DOCS / "README.md"] = rules_index(RULES)
    files[README] = readme_with_blocks(README.read_text(encoding="utf-8"))
    return files


def readme_with_blocks(readme: str) -> str:
    for name, render in README_BLOCKS.items():
        block = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not block.search(readme):
            raise SystemExit(f"README.md has no <!-- {name}:start --> ... <!-- {name}:end --> block")
        generated = render(RULES) if name == "rules" else render()
        readme = block.sub(lambda match: match.group(1) + generated + match.group(2), readme)
    return readme


def stale_files() -> list[Path]:
    """Rule pages of codes that no longer exist."""
    expected = expected_files()
    return [path for path in sorted(RULE_DOCS.glob("*.md")) if path not in expected]


def out_of_date() -> list[Path]:
    differing = [
        path for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    return differing + stale_files()


def main(argv: list[str]) -> int:
    if "--check" in argv:
        paths = out_of_date()
        for path in paths:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if paths else 0
    RULE_DOCS.mkdir(parents=True, exist_ok=True)
    for path in stale_files():
        path.unlink()
    for path, text in expected_files().items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
