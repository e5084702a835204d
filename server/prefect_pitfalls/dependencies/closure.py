"""What an installer installs for a project: the closure of its declared requirements.

A requirement names a distribution and the extras asked of it. Each source of
dependency facts (workspace projects, lock files, the extras of Prefect, the
metadata of an installed environment) is a mapping from canonical names to
`Package`: what the package requires, and what each of its extras adds. The
closure follows every source, extras included. Lock files keep the dependencies
of every platform, which all count as installed; an environment's metadata has
its markers evaluated for that environment (`installed.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement

from .distributions import canonical

Requested = tuple[str, frozenset[str]]
"""A canonical distribution name and the canonical extras asked of it."""


@dataclass(frozen=True)
class Package:
    requires: tuple[Requested, ...] = ()
    extras: Mapping[str, tuple[Requested, ...]] = field(default_factory=dict)

    def dependencies(self, extras: frozenset[str]) -> Iterable[Requested]:
        yield from self.requires
        for extra in extras:
            yield from self.extras.get(extra, ())


Packages = Mapping[str, Package]

# Prefect's extras install the integration of the same name: `prefect[aws]` brings `prefect-aws`.
PREFECT_INTEGRATIONS = (
    "aws", "azure", "bitbucket", "dask", "databricks", "dbt", "docker", "email", "gcp", "github",
    "gitlab", "kubernetes", "ray", "redis", "shell", "slack", "snowflake", "sqlalchemy",
)
PREFECT_EXTRAS: Packages = {
    "prefect": Package(extras={extra: ((f"prefect-{extra}", frozenset()),) for extra in PREFECT_INTEGRATIONS}),
}


def requested(text: str) -> Requested | None:
    """`PyYAML[a,b]>=6` → ("pyyaml", {"a", "b"}); None for what is no requirement."""
    try:
        requirement = Requirement(text.strip())
    except InvalidRequirement:
        return None
    return canonical(requirement.name), frozenset(canonical(extra) for extra in requirement.extras)


def requested_all(texts: Iterable[object]) -> tuple[Requested, ...]:
    found = (requested(text) if isinstance(text, str) else None for text in texts)
    return tuple(item for item in found if item is not None)


def closure(start: Iterable[Requested], sources: Sequence[Packages]) -> frozenset[str]:
    """Canonical names of the requested distributions and of everything they bring."""
    return frozenset(name for name, _ in reached(start, sources))


def reached(start: Iterable[Requested], sources: Sequence[Packages]) -> frozenset[Requested]:
    """The requested distributions and everything they bring, each with the extras asked of it."""
    seen: set[Requested] = set()
    pending = list(start)
    while pending:
        item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        name, extras = item
        for source in sources:
            package = source.get(name)
            if package is not None:
                pending.extend(package.dependencies(extras))
    return frozenset(seen)
