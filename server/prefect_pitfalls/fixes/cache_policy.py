"""The fix that takes one input out of a Prefect 3 task's cache key: `cache_policy=DEFAULT - "conn"`.

It composes with the policy the task already has (`INPUTS` becomes `INPUTS - "conn"`) and
never replaces one. `-` takes an input out of `Inputs` on every Prefect 3 release, and out of
a compound policy such as `DEFAULT` from 3.1.14; before that the fix spells the default out,
`INPUTS - "conn" + TASK_SOURCE + RUN_ID`, and leaves compound policies alone.
"""

from __future__ import annotations

import ast

from ..findings import Applicability, Edit, Fix, Span
from ..prefect_model import Body, PrefectModel, is_task_decorator
from ..source import ParsedSource
from ..serialization.contexts import keyword_value
from .edits import import_from

_POLICIES = "prefect.cache_policies."
_PLAIN = (ast.Name, ast.Attribute, ast.Call, ast.BinOp, ast.Subscript)


def exclude_from_cache_key(
    source: ParsedSource, model: PrefectModel, task: Body, parameter: str | None, compound_exclusion: bool = True
) -> Fix | None:
    """``compound_exclusion``: the release excludes inputs from compound policies (3.1.14+)."""
    if parameter is None or not parameter.isidentifier():
        return None
    excluded = f'"{parameter}"'
    options = task.options
    policy = keyword_value(options, "cache_policy")
    if keyword_value(options, "cache_key_fn") is not None:
        return None
    if policy is not None:
        if not compound_exclusion and not _is_plain_inputs(model, policy):
            return None
        text = source.node_text(policy)
        if not isinstance(policy, _PLAIN) or isinstance(policy, ast.BinOp) and not isinstance(policy.op, (ast.Add, ast.Sub)):
            text = f"({text})"
        edits = [Edit(source.span(policy), f"{text} - {excluded}")]
    else:
        names = _policy_names(model, ("DEFAULT",) if compound_exclusion else ("INPUTS", "TASK_SOURCE", "RUN_ID"))
        if names is None:
            return None
        first, *rest = names.values()
        value = " + ".join([f"{first} - {excluded}", *rest])
        insertion = _keyword_insertion(source, model, task, f"cache_policy={value}")
        if insertion is None:
            return None
        missing = [name for name in names if not _binds(model, name)]
        edits = [insertion, import_from(source, "prefect.cache_policies", missing) if missing else None]
    return Fix(f"Exclude `{parameter}` from the cache key", Applicability.UNSAFE, tuple(e for e in edits if e is not None))


def _policy_names(model: PrefectModel, policies: tuple[str, ...]) -> dict[str, str] | None:
    """The name each of Prefect's policies goes by in the module (imported, or free to import)."""
    names = {}
    for policy in policies:
        qualname = _POLICIES + policy
        bound = next((n for n, b in model.imports.bindings.items() if b[-1].qualname == qualname), None)
        if bound is None and policy in model.imports.bindings:
            return None  # the name means something else here
        names[policy] = bound or policy
    return names


def _binds(model: PrefectModel, policy: str) -> bool:
    return any(b[-1].qualname == _POLICIES + policy for b in model.imports.bindings.values())


def _is_plain_inputs(model: PrefectModel, policy: ast.expr) -> bool:
    while isinstance(policy, ast.BinOp) and isinstance(policy.op, ast.Sub):
        policy = policy.left
    return model.qualname(policy, getattr(policy, "lineno", None)) == _POLICIES + "INPUTS"


def _keyword_insertion(source: ParsedSource, model: PrefectModel, task: Body, keyword: str) -> Edit | None:
    """`@task` → `@task(keyword)`; `@task(retries=3)` → `@task(retries=3, keyword)`."""
    options = task.options
    if options is None:
        decorator = next((d for d in task.node.decorator_list if is_task_decorator(model.qualname(d, d.lineno))), None)
        return _at_end(source.span(decorator), f"({keyword})") if decorator is not None else None
    if any(isinstance(a, ast.Starred) for a in options.args) or any(k.arg is None for k in options.keywords):
        return None
    arguments = [*options.args, *options.keywords]
    if arguments:
        return _at_end(source.span(max(arguments, key=lambda a: (a.end_lineno, a.end_col_offset))), f", {keyword}")
    span = source.span(options)
    return Edit(Span(span.end_line, span.end_column - 1, span.end_line, span.end_column - 1), keyword)


def _at_end(span: Span, text: str) -> Edit:
    return Edit(Span(span.end_line, span.end_column, span.end_line, span.end_column), text)
