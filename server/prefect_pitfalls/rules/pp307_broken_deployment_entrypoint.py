"""## What it does
Checks that each deployment entrypoint of a `prefect.yaml` names an existing file
and a flow in it. In `entrypoint: path/to/file.py:flow_function` the file is
relative to the folder of `prefect.yaml` (where `prefect deploy` runs), and the
flow is a function decorated with Prefect's `@flow` (or bound to `flow(fn)`), or
a Prefect 1 `Flow` object. Entrypoints given as a module (`flows.etl:etl`) are
checked when the module is in the project; templated values (`{{ ... }}`) are
not checked.

## Why is this bad?
`prefect deploy` may accept the file, but the worker resolves the entrypoint
only when a run starts: a renamed file or function, a typo, or a function that
lost its `@flow` decorator makes every run of the deployment crash before it
starts, typically at night and far from the change that caused it.

## Example
```yaml
deployments:
  - name: nightly-etl
    entrypoint: flows/etl.py:etl_flow   # the function is called `etl`
    work_pool:
      name: default
```

## Use instead
```yaml
deployments:
  - name: nightly-etl
    entrypoint: flows/etl.py:etl
    work_pool:
      name: default
```

## Fix safety
There is no automatic fix: which file or flow was meant is yours to say.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from ..dependencies import Entrypoint, read_prefect_yaml
from ..findings import Finding, Severity
from ..prefect_model import PrefectModel
from ..source import parse
from .base import DeploymentContext

CODE = "PP307"
NAME = "broken-deployment-entrypoint"
SEVERITY = Severity.ERROR
VERSIONS = ("2/3",)
FILES = "prefect.yaml"


def check(ctx: DeploymentContext) -> Iterator[Finding]:
    if ctx.path is None:
        return
    base = ctx.path.parent
    for entrypoint in read_prefect_yaml(ctx.path, ctx.source.text).entrypoints:
        if "{{" in entrypoint.value:
            continue
        problem = _problem(entrypoint, base)
        if problem:
            yield ctx.finding(entrypoint.span, problem)


def _problem(entrypoint: Entrypoint, base: Path) -> str | None:
    if entrypoint.name is None or not entrypoint.name.isidentifier():
        return (
            f"The entrypoint `{entrypoint.value}` names no flow: a worker cannot run it. "
            "It must look like `path/to/file.py:flow_function`."
        )
    if entrypoint.is_path:
        file = base / entrypoint.file
        if not file.is_file():
            return (
                f"The entrypoint's file `{entrypoint.file}` does not exist: a worker cannot load the flow. "
                "Paths are relative to the folder of prefect.yaml."
            )
    else:
        file = _module_file(entrypoint.file, base)
        if file is None:
            return None  # an installed package, perhaps: not ours to check
    return _missing_flow(file, entrypoint)


def _module_file(module: str, base: Path) -> Path | None:
    relative = Path(*module.split("."))
    for folder in (base, base / "src"):
        for candidate in (folder / relative.with_suffix(".py"), folder / relative / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _missing_flow(file: Path, entrypoint: Entrypoint) -> str | None:
    known = _definitions(file)
    if known is None:
        return None  # unreadable or unparsable: the module's own diagnostics say what is wrong
    flows, names = known
    name = entrypoint.name
    if name in flows:
        return None
    where = f"`{entrypoint.file}`"
    if name in names:
        return f"`{name}` in {where} is not a Prefect flow (no `@flow`): a worker cannot run it"
    listed = f"; its flows: {', '.join(f'`{n}`' for n in sorted(flows))}" if flows else "; it defines no flow"
    return f"{where} defines no flow `{name}`{listed}"


def _definitions(file: Path) -> tuple[frozenset[str], frozenset[str]] | None:
    """The flows and the module-level names of a file, read again only when it changes
    (an editor re-checks `prefect.yaml` on every keystroke)."""
    try:
        stat = file.stat()
    except OSError:
        return None
    return _definitions_of(str(file), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=128)
def _definitions_of(file: str, mtime_ns: int, size: int) -> tuple[frozenset[str], frozenset[str]] | None:
    try:
        source = parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if source.problem is not None:
        return None
    model = PrefectModel(source)
    flows = model.flow_names | {flow.name for flow in model.flow_objects if flow.name}
    return frozenset(flows), frozenset(_module_level_names(source.tree))


def _module_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
    return names
