"""## What it does
Checks for third-party imports of flow modules that the flow's runtime does not
declare. The declarations read are, for Prefect 2/3, the nearest
`pyproject.toml` (`[project] dependencies`), the `requirements*.txt` beside it
and the `pip_install_requirements` or `pip install` steps of the `prefect.yaml`
that deploys the module (wherever it sits in the repository; else the nearest
above the module), with the image its `build_docker_image` step builds (`dockerfile: auto` installs
the `requirements.txt` of the build context; a Dockerfile, what its `RUN pip
install`, `uv pip install`, `uv sync --package` and `poetry install` lines install);
for Prefect 1, the `python_dependencies` of the `Docker` storage attached to a
flow of the module.

Development requirement files (`requirements-dev.txt`, `-test`, `-tests`,
`-docs`, `-lint`) are not runtime declarations, and neither is a requirements
file without a single requirement in it.

A distribution counts as declared when the installer installs it: what the
declared distributions bring through the nearest lock file (`uv.lock`,
`poetry.lock`, `pdm.lock`; a pip-compile output lists the whole closure), the extras they ask for (`prefect[aws]` brings
`prefect-aws`), and, in a uv workspace, the dependencies of the workspace
projects a member depends on (the root project's too). The workspace's
projects are the project's own code, never a distribution to declare. When
the project's interpreter has a declared distribution installed, what its
metadata requires counts too, transitively (`pandas` brings `numpy`), with the
extras the declaration asks for and markers evaluated for that interpreter;
the metadata is read from files, the interpreter never runs.

Imports of the standard library and of the project's own modules (including
`src/` layouts, namespace packages, git submodules listed in `.gitmodules` and
folders the module adds to `sys.path`, computed from literals and `__file__`) are fine, and so are Prefect and
everything Prefect itself installs. Import names are mapped to distributions
with the metadata of the project's interpreter (the `top_level.txt` or
`RECORD` of what it has installed: `ctos-meval` provides `meval`), and
otherwise a table of the well-known mismatches (`yaml` is PyYAML, `sklearn`
is scikit-learn, `PIL` is Pillow). Imports guarded by `except ImportError` are optional and not reported.
Without a lock file or a compiled requirements file, a declared distribution
whose own requirements the project's environment does not tell (it is not
installed there) may bring anything: then nothing is reported for the module,
since any import may be one of its dependencies. (With a lock, a distribution
the lock lacks was declared after it was written, and brings nothing yet.)
When the project declares nothing at all, nothing is reported, unless
`[tool.prefect-pitfalls.dependencies] require-declaration = true`; nor when a
declaration is dynamic (a templated include, a computed list). A
requirements-file line that is no requirement (`pip install -e .`) is named in
the message, not silently skipped.

## Why is this bad?
The flow runs on your laptop because `pandas` happens to be installed there.
The worker, the Docker image or the pull step of the deployment installs only
what the project declares, so the flow run dies on its first line with
`ModuleNotFoundError: No module named 'pandas'`, long after the deployment
was created.

## Example
```python
# flows/etl.py, in a project whose pyproject.toml has
# dependencies = ["prefect>=3"]
import pandas as pd
from prefect import flow


@flow
def etl():
    return pd.DataFrame({"id": [1, 2]}).shape
```

## Use instead
Declare what the flow imports:
```toml
[project]
dependencies = [
    "prefect>=3",
    "pandas",
]
```

## Fix safety
The fix adds the distribution, without a version, to the declaration the rule
read: the `dependencies` array of `pyproject.toml`, the requirements file, or the
Docker storage's `python_dependencies` list, formatted like the entries around
it. It is unsafe: the distribution the table or the environment suggests may not
be the one you want (`opencv-python` or `opencv-python-headless`), and the next
install resolves a new dependency.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from ..dependencies import (
    Declaration,
    ImportedModule,
    ModuleKind,
    canonical,
    classify,
    collect_imports,
    distributions_for,
    docker_storage_declarations,
    prefect_dependencies,
)
from ..dependencies.environment import Environment
from ..dependencies.installs import Installs
from ..findings import Applicability, Edit, Finding, Fix, Severity
from .base import RuleContext

CODE = "PP306"
NAME = "undeclared-dependency"
SEVERITY = Severity.WARNING
VERSIONS = ("1", "2/3")
FIX = "unsafe"

def check(ctx: RuleContext) -> Iterator[Finding]:
    model = ctx.model
    if ctx.path is None or not (model.flow_names or model.flow_objects):
        return
    settings = ctx.settings
    path = Path(os.path.abspath(ctx.path))
    root = ctx.project.root
    imports = [
        imported for imported in collect_imports(ctx.source.tree, ctx.source.lines)
        if not imported.optional and classify(imported.top_level, path, root, ctx.source.tree) is ModuleKind.THIRD_PARTY
    ]
    if not imports:
        return
    declarations, where = _declarations(ctx, path, root)
    if not declarations:
        if settings and settings.dependencies.require_declaration:
            yield _nothing_declared(ctx, imports)
        return
    if any(not declaration.complete and not declaration.unreadable for declaration in declarations):
        return  # a dynamic entry (a templated include, a computed list) may be the one that declares it
    environment = ctx.project.environment()
    installs = _installs(ctx, declarations, path, root, environment)
    prefect = _prefect_and_its_dependencies(ctx, environment)
    if installs.opaque - prefect:
        return  # what those bring is not known: any import may be one of their dependencies
    declared = prefect | installs.names
    reported: set[str] = set()
    for imported in imports:
        if installs.is_local(imported.top_level):
            continue
        candidates = _candidates(imported, environment)
        if not candidates or any(canonical(c) in declared | installs.local_projects for c in candidates):
            continue
        distribution = candidates[0]
        if canonical(distribution) in reported:
            continue
        reported.add(canonical(distribution))
        fix = _fix(declarations, distribution, path, root)
        message = _message(imported, distribution, where) + _unreadable_note(declarations, root)
        yield ctx.finding(imported.span, message, fix)


def _declarations(ctx: RuleContext, path: Path, root: Path) -> tuple[list[Declaration], str]:
    """Where the module's flows are installed from, and how a message names it."""
    if ctx.model.style == "1":
        return _docker_storages(ctx, path), "in the `python_dependencies` of the flow's Docker storage"
    groups = ctx.settings.dependencies.groups if ctx.settings else ()
    declarations = [d for d in ctx.project.declarations(path, groups) if not _empty_requirements_file(d)]
    return declarations, _describe(declarations, root) if declarations else ""


def _empty_requirements_file(declaration: Declaration) -> bool:
    """A requirements file without a single requirement line says nothing about what is installed."""
    return (
        declaration.kind == "requirements" and declaration.complete
        and not declaration.names and not declaration.unreadable
    )


def _installs(
    ctx: RuleContext, declarations: list[Declaration], path: Path, root: Path, environment: Environment | None
) -> Installs:
    """What gets installed: for Prefect 1, the Docker storage's list as it is."""
    if ctx.model.style == "1":
        return Installs(frozenset().union(*(d.names for d in declarations)), frozenset(), ())
    return ctx.project.installs(path, declarations, environment)


def _message(imported: ImportedModule, distribution: str, where: str) -> str:
    missing = f"`{distribution}` is not declared: the import fails where the flow is deployed"
    if canonical(distribution) != canonical(imported.top_level):
        return f"{missing}. It provides `{imported.name}` and is not {where}."
    return f"{missing}. It is not {where}."


def _unreadable_note(declarations: list[Declaration], root: Path) -> str:
    """Lines of a requirements file that are no requirement: said, not silently skipped."""
    for declaration in declarations:
        if declaration.unreadable:
            line = declaration.unreadable[0]
            return (
                f" `{_relative(declaration.path, root)}` could not be fully read: "
                f"`{line}` is no requirement (a command or prose?)."
            )
    return ""


def _docker_storages(ctx: RuleContext, path: Path) -> list[Declaration]:
    flows = {flow.name for flow in ctx.model.flow_objects if flow.name} | ctx.model.flow_names
    storages = docker_storage_declarations(ctx.source.tree, ctx.source.lines, path, ctx.source.line_break)
    return [storage.declaration for storage in storages if flows & set(storage.flows)]


def _prefect_and_its_dependencies(ctx: RuleContext, environment: Environment | None) -> frozenset[str]:
    if ctx.model.style == "1":
        version = "1"
    elif ctx.model.configured_version in ("2", "3"):
        version = ctx.model.configured_version
    else:
        major = environment.prefect_major if environment else None
        version = major if major in ("2", "3") else None
    return prefect_dependencies(version, environment) | {"prefect"}


def _candidates(imported: ImportedModule, environment: Environment | None) -> tuple[str, ...]:
    packages = environment.packages if environment else None
    found: list[str] = []
    for name in imported.dotted_names:
        found += distributions_for(name, packages)
    return tuple(dict.fromkeys(found))


def _describe(declarations: list[Declaration], root: Path) -> str:
    names = []
    for declaration in declarations:
        relative = _relative(declaration.path, root)
        names.append(f"`{relative}`" + ("'s install steps" if declaration.kind == "prefect-yaml" else ""))
    if len(names) == 1:
        return "in " + names[0]
    return "in " + ", ".join(names[:-1]) + " or " + names[-1]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _fix(declarations: list[Declaration], distribution: str, module: Path, root: Path) -> Fix | None:
    for declaration in sorted(declarations, key=_preference):
        edit = declaration.addition(distribution)
        if edit is None:
            continue
        target = declaration.target or declaration.path
        same_file = Path(os.path.abspath(target)) == module
        edit = Edit(edit.span, edit.new_text, None if same_file else Path(os.path.abspath(target)))
        title = f"Add `{distribution}` to {_target_label(declaration, target, root)}"
        return Fix(title, Applicability.UNSAFE, (edit,))
    return None


def _preference(declaration: Declaration) -> int:
    """Where a new dependency belongs: pyproject.toml, requirements.txt, what a deployment
    installs, then other requirements files (`requirements-dev.txt` last of all)."""
    name = declaration.path.name
    if declaration.kind == "requirements" and name != "requirements.txt":
        return 4 if "dev" in name or "test" in name else 3
    return {"pyproject": 0, "docker-storage": 0, "requirements": 1, "prefect-yaml": 2}[declaration.kind]


def _target_label(declaration: Declaration, target: Path, root: Path) -> str:
    if declaration.kind == "docker-storage":
        return "the Docker storage's `python_dependencies`"
    if declaration.kind == "pyproject" and target.name == "pyproject.toml":
        return "the dependencies in `pyproject.toml`"
    return f"`{_relative(target, root)}`"


def _nothing_declared(ctx: RuleContext, imports: list[ImportedModule]) -> Finding:
    """`require-declaration`: one finding, at the first third-party import."""
    names = ", ".join(f"`{name}`" for name in dict.fromkeys(imported.top_level for imported in imports))
    return ctx.finding(
        imports[0].span,
        "The project declares no dependencies: a worker cannot know what to install. "
        f"The flow module imports {names}; declare them in `[project] dependencies`, a `requirements*.txt` "
        "or a `prefect.yaml` install step.",
    )
