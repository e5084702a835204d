"""Every setting, once: its key in `[tool.prefect-pitfalls]` and in the editor's
`prefectPitfalls` section, its type, default and meaning.

The pyproject reader rejects keys not listed here, the configuration reference in
the README is generated from this table, and tests hold the readers' defaults to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    project_key: str | None
    """Dotted key under `[tool.prefect-pitfalls]`; None for editor-only settings."""
    editor_key: str | None
    """Dotted key under the editor's `prefectPitfalls` section; None for project-only settings."""
    kind: str
    default: Any
    doc: str


OPTIONS: tuple[Option, ...] = (
    Option(None, "enable", "boolean", True, "Lint at all; false turns the server off for the workspace."),
    Option("select", "select", "list of codes", None,
           "Only these rules: codes (`PP101`), prefixes (`PP1`) or `ALL`. Default: every rule."),
    Option("ignore", "ignore", "list of codes", [], "Skip these rules; the more specific of `select` and `ignore` wins."),
    Option("per-file-ignores", None, "table of glob → codes", {},
           "Rules skipped in files matching a `.gitignore`-style glob, relative to the config file."),
    Option("prefect-version", None, '"auto", "1", "2" or "3"', "auto",
           "Which Prefect the code is written for; `auto` reads it from the imports."),
    Option("assume-task-runner", None, '"thread", "dask", "ray" or "process"', "thread",
           "The task runner flows are assumed to use where the code shows none (a task called from "
           "another module's flow, a flow without `task_runner=`). `thread` is Prefect's default and "
           "reports nothing more; a pickling runner adds `hint` notes (PP201–PP204) for values that "
           "runner would pickle: for teams that run Dask, Ray or process pools in production."),
    Option("jedi", None, "boolean", True, "Infer the types of names from other modules with jedi."),
    Option("dependencies.groups", None, "list of names", [],
           "Optional-dependency groups (`[project.optional-dependencies]` or `[dependency-groups]`) "
           "installed where flows run, counted as declared by PP306."),
    Option("dependencies.require-declaration", None, "boolean", False,
           "PP306 also reports third-party imports of flow modules in projects that declare no "
           "dependencies at all (no fix)."),
    Option(None, "run", '"onType" or "onSave"', "onType", "When the editor's diagnostics are refreshed."),
    Option(None, "severity", "object code → severity", {},
           'Severity per code or prefix (`{"PP101": "error"}`): error, warning, information or hint.'),
    Option(None, "docsBaseUrl", "string", None,
           "Rule codes in diagnostics link to `<docsBaseUrl>/<code>`; null shows no link."),
    Option(None, "workspaceTrusted", "boolean", None,
           "Set by the editor; false keeps the probe from running the workspace's code."),
    Option("probe.enabled", "probe.enabled", "boolean", False,
           "Editors: import each saved module in the project's interpreter and round-trip its flows "
           "and tasks. In `pyproject.toml` it counts only in a workspace the editor says is trusted; "
           "`check` runs the probe only when given `--probe`."),
    Option(None, "probe.onOpen", "boolean", False, "Editors also probe a file when it is opened."),
    Option("probe.python", "probe.python", "path", None,
           "The interpreter the probe imports modules with; the rules read its installed packages "
           "from files without running it. Default: the active virtual environment "
           "(`VIRTUAL_ENV`), else a `.venv` or `venv` in the project or above it, else the server's own."),
    Option("probe.timeout", "probe.timeout", "seconds", 10,
           "How long one module's probe may take before it is stopped (PP305)."),
    Option("probe.by-value", "probe.byValue", "boolean", None,
           "Round-trip flows as a worker without your code would receive them; "
           "default: on for Prefect 1 flows only."),
)


def project_keys(prefix: str = "") -> frozenset[str]:
    """The keys allowed at one level of `[tool.prefect-pitfalls]` (``prefix`` like ``"probe."``)."""
    keys = set()
    for option in OPTIONS:
        if option.project_key and option.project_key.startswith(prefix):
            keys.add(option.project_key[len(prefix):].split(".")[0])
    return frozenset(keys)


def reference_markdown() -> str:
    """The configuration reference of the README."""
    rows = [
        "| `[tool.prefect-pitfalls]` | editor (`prefectPitfalls.`) | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for option in OPTIONS:
        project = f"`{option.project_key}`" if option.project_key else "—"
        editor = f"`{option.editor_key}`" if option.editor_key else "—"
        default = f"`{json.dumps(option.default)}`"
        rows.append(f"| {project} | {editor} | {option.kind} | {default} | {option.doc} |")
    return "\n".join(rows) + "\n"
