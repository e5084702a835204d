"""## What it does
Checks that each deployment entrypoint of a `prefect.yaml` names an existing file
and a flow in it. In `entrypoint: path/to/file.py:flow_function` the flow is a
function decorated with Prefect's `@flow` (or bound to `flow(fn)`), or a Prefect 1
`Flow` object.

The file's path is relative to a folder that depends on how the project is
deployed: `prefect deploy` reads it from the folder it runs in (`--prefect-file`
only says where the YAML is), and a worker from the working directory its pull
steps leave. So the file is looked for from each of these bases, and reported only
when none of them has it:

- the folder of the `prefect.yaml`;
- the repository root (the folder with `.git`) and the project root (the nearest
  `pyproject.toml` above the YAML), where monorepos with one `prefect.yaml` per
  pipeline run `prefect deploy --prefect-file pipelines/<name>/prefect.yaml`;
- the `directory` of a `set_working_directory` pull step, when it maps onto the
  tree: a path inside it, or an image path such as `/opt/prefect/<repo>/flows`
  whose tail names exactly one folder of the repository;
- the repository root again for a `git_clone` pull step, which clones it.

A deployment's own `pull:` steps replace the top-level ones. A path that matches a
file only apart from letter case is reported as such: Windows and macOS ignore
the difference, Linux workers do not. Entrypoints given as a module
(`flows.etl:etl`) are checked when the module is in the project; templated
values (`{{ ... }}`) are not checked.

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
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from ..dependencies.prefect_yaml import Entrypoint, read_prefect_yaml
from ..findings import Finding, Severity
from ..prefect_model import PrefectModel
from ..project.deployments import Base, candidate_bases
from ..project.roots import file_stamps
from ..source import parse
from .base import DeploymentContext

CODE = "PP307"
NAME = "broken-deployment-entrypoint"
SEVERITY = Severity.ERROR
VERSIONS = ("2/3",)
FILES = "prefect.yaml"

_WINDOWS_ABSOLUTE = re.compile(r"^(?:[A-Za-z]:|[\\/]{2})")


def check(ctx: DeploymentContext) -> Iterator[Finding]:
    if ctx.path is None:
        return
    folder = ctx.path.parent.absolute()
    for deployment in read_prefect_yaml(ctx.path, ctx.source.text).deployments:
        entrypoint = deployment.entrypoint
        if entrypoint is None or "{{" in entrypoint.value:
            continue
        problem = _problem(entrypoint, candidate_bases(folder, deployment))
        if problem:
            yield ctx.finding(entrypoint.span, problem)


# --- the entrypoint's file and flow -------------------------------------------------------


def _problem(entrypoint: Entrypoint, bases: list[Base]) -> str | None:
    if entrypoint.name is None or not entrypoint.name.isidentifier():
        return (
            f"The entrypoint `{entrypoint.value}` names no flow: a worker cannot run it. "
            "It must look like `path/to/file.py:flow_function`."
        )
    if not entrypoint.is_path:
        file = _module_file(entrypoint.file, bases)
        return None if file is None else _missing_flow(file, entrypoint)  # else perhaps an installed package
    if _WINDOWS_ABSOLUTE.match(entrypoint.file):
        return None  # a path on the worker's machine
    parts = [part for part in re.split(r"[\\/]+", entrypoint.file) if part not in ("", ".")]
    if Path(entrypoint.file).is_absolute():
        bases = [Base(Path("/"), "the file system root")]
    found = [(base, *located) for base in bases if (located := _locate(base.folder, parts))]
    exact = list(dict.fromkeys(file for _, file, is_exact in found if is_exact))
    if exact:
        problems = [_missing_flow(file, entrypoint) for file in exact]
        return None if None in problems else problems[0]
    if found:
        base, file, _ = found[0]
        return _case_message(base, file, bases)
    return _missing_message(entrypoint, bases)


def _locate(base: Path, parts: list[str]) -> tuple[Path, bool] | None:
    """The file ``parts`` names under ``base`` as spelled on disk, and whether the spelling matches
    exactly (on Windows and macOS a path differing in case opens the file; on Linux it does not)."""
    current, exact = base, True
    for part in parts:
        if part == "..":
            current = current.parent
            continue
        try:
            entries = os.listdir(current)
        except OSError:
            return None
        if part in entries:
            current = current / part
            continue
        same = [entry for entry in entries if entry.casefold() == part.casefold()]
        if len(same) != 1:
            return None
        current, exact = current / same[0], False
    return (current, exact) if current.is_file() else None


def _case_message(base: Base, file: Path, bases: list[Base]) -> str:
    actual = file.relative_to(base.folder).as_posix() if file.is_relative_to(base.folder) else file.as_posix()
    return (
        f"The entrypoint's file differs in case from `{actual}`: fails on Linux workers. "
        f"Windows and macOS ignore the difference, Linux does not; found from {base.why} (`{_shown(base, bases)}`)."
    )


def _missing_message(entrypoint: Entrypoint, bases: list[Base]) -> str:
    tried = ", ".join(f"{base.why} (`{_shown(base, bases)}`)" for base in bases)
    return (
        "The entrypoint's file does not exist: a worker cannot load the flow. "
        f"`{entrypoint.file}` was looked for from {tried}. `prefect deploy` reads it relative to the "
        "folder it runs in, a worker relative to the working directory its pull steps set."
    )


def _shown(base: Base, bases: list[Base]) -> str:
    """A base as a path relative to the repository root when it is inside it."""
    roots = [b.folder for b in bases if "repository root" in b.why]
    if roots and base.folder.is_relative_to(roots[0]):
        return base.folder.relative_to(roots[0]).as_posix()
    return base.folder.as_posix()


def _module_file(module: str, bases: list[Base]) -> Path | None:
    relative = Path(*module.split("."))
    for base in bases:
        for folder in (base.folder, base.folder / "src"):
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
    stamp = file_stamps((file,))[0]
    return None if stamp is None else _definitions_of(str(file), *stamp)


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
