"""The fix that takes one input out of a Prefect 3 task's cache key: `cache_policy=DEFAULT - "conn"`.

It composes with the policy the task already has (`INPUTS` becomes `INPUTS - "conn"`) and
never replaces one. `CachePolicy.__sub__` exists on every Prefect 3 release.
"""

from __future__ import annotations

import ast

from ..findings import Applicability, Edit, Fix, Span
from ..prefect_model import Body, PrefectModel, is_task_decorator
from ..source import ParsedSource
from .edits import import_from

_DEFAULT = "prefect.cache_policies.DEFAULT"
_PLAIN = (ast.Name, ast.Attribute, ast.Call, ast.BinOp, ast.Subscript)


def exclude_from_cache_key(source: ParsedSource, model: PrefectModel, task: Body, parameter: str | None) -> Fix | None:
    if parameter is None or not parameter.isidentifier():
        return None
    excluded = f'"{parameter}"'
    options = task.options
    policy = _keyword(options, "cache_policy")
    if _keyword(options, "cache_key_fn") is not None:
        return None
    if policy is not None:
        text = source.node_text(policy)
        if not isinstance(policy, _PLAIN) or isinstance(policy, ast.BinOp) and not isinstance(policy.op, (ast.Add, ast.Sub)):
            text = f"({text})"
        edits = [Edit(source.span(policy), f"{text} - {excluded}")]
    else:
        default = _default_name(model)
        if default is None:
            return None
        insertion = _keyword_insertion(source, model, task, f"cache_policy={default} - {excluded}")
        if insertion is None:
            return None
        edits = [insertion]
        if default == "DEFAULT" and not _binds_default(model):
            edits.append(import_from(source, "prefect.cache_policies", ["DEFAULT"]))
    return Fix(f"Exclude `{parameter}` from the cache key", Applicability.UNSAFE, tuple(e for e in edits if e is not None))


def _keyword(call: ast.Call | None, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None) if call is not None else None


def _default_name(model: PrefectModel) -> str | None:
    """The name `DEFAULT` is imported under, or `DEFAULT` when that name is free."""
    for name, bindings in model.imports.bindings.items():
        if bindings[-1].qualname == _DEFAULT:
            return name
    return None if "DEFAULT" in model.imports.bindings else "DEFAULT"


def _binds_default(model: PrefectModel) -> bool:
    bindings = model.imports.bindings.get("DEFAULT")
    return bool(bindings) and bindings[-1].qualname == _DEFAULT


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
