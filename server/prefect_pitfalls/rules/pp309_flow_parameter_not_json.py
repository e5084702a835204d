"""## What it does
Checks for flow parameters whose default (or annotation) Prefect cannot carry as JSON.

A flow's parameters travel as JSON: deploying a flow (`serve`, `deploy`,
`to_deployment(...).apply()`) writes each default into the deployment's parameter
schema, runs send their parameters through Prefect's API, and every run validates its
parameters, defaults included, against the annotations. The rule reports:
- a default with no JSON form: an instance of a plain class of the module, a task
  runner, a function or lambda, a logger; Prefect drops it from the schema when the
  flow is deployed, and no run can send one;
- an open file as a default: building the schema reads it to its end;
- `None` for an annotation that does not accept it (`date: str = None`), and a dict
  default that does not validate as the annotated pydantic model: every run that leaves
  the parameter out fails validation (on Prefect 2, calls of the flow and subflows; a
  run of a deployment adds the defaults after validating);
- a pydantic model built with `model_construct` from invalid values, and a required
  parameter annotated with a class no JSON value validates as (a plain class, a logger,
  a task runner): a run fails when a scheduled run sends it.

A flow declared with `validate_parameters=False` is reported only for defaults with no
JSON form and open files.

JSON-safe defaults are not reported: numbers, strings, lists and dicts of them, tuples,
sets, dates and times, `Path`, `UUID`, `Decimal`, enum members, valid pydantic models and
dataclasses, and `None` with an `Optional` annotation. The rule reports only what it can
resolve in the module; a default built elsewhere is not reported.

## Why is this bad?
The failure appears far from the flow definition: at deploy time, in the UI, or on the
first scheduled run on a worker, while the flow works when called from a laptop with
real objects.

## Example
```python
from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner


@flow
def nightly(report_date: str = None, runner=ThreadPoolTaskRunner()):
    ...
```

## Use instead
```python
from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner


@flow
def nightly(report_date: str | None = None, max_workers: int = 4):
    runner = ThreadPoolTaskRunner(max_workers=max_workers)
    ...
```

## Fix safety
There is no automatic fix: whether the parameter should accept `None`, take a JSON-safe
value or become a setting built inside the flow is yours to decide.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from ..analysis import parameter_defaults
from ..findings import Finding, Severity
from ..prefect_model import Body
from ..serialization.contexts import keyword_value
from ..serialization.json_parameters import (
    CLASS_INSTANCE,
    DEPLOYED_RUNS_VALIDATE_DEFAULTS,
    FUNCTION,
    INVALID_MODEL_DICT,
    INVALID_MODEL_INSTANCE,
    LOGGER,
    NONE_FOR_REQUIRED_TYPE,
    OBJECT_ONLY_ANNOTATION,
    OBJECT_ONLY_CLASSES,
    OPEN_TEXT_FILE,
    TASK_RUNNER,
    TASK_RUNNER_CLASSES,
)
from .base import RuleContext, brief

CODE = "PP309"
NAME = "flow-parameter-not-json"
SEVERITY = Severity.WARNING
VERSIONS = ("2/3",)

_MAX_DEPTH = 4
_NO_JSON_FORM = {CLASS_INSTANCE, TASK_RUNNER, FUNCTION, LOGGER}
_BY_VALIDATION = {NONE_FOR_REQUIRED_TYPE, INVALID_MODEL_DICT, INVALID_MODEL_INSTANCE, OBJECT_ONLY_ANNOTATION}
_BUILTINS_REJECTING_NONE = {"int", "str", "float", "bool", "list", "dict"}
_CONTAINERS = {"list", "dict"}
_CLASSES_REJECTING_NONE = {"datetime.datetime", "datetime.date", "pathlib.Path", "uuid.UUID", "decimal.Decimal"}
_ENUM_BASES = {"enum.Enum", "enum.IntEnum", "enum.StrEnum"}
_NUMBERS = {"int", "float"}
# Methods through which a class of the module takes part in pydantic or JSON encoding.
_ENCODING_HOOKS = {"__get_pydantic_core_schema__", "__get_pydantic_json_schema__", "__get_validators__", "__iter__"}


@dataclass(frozen=True)
class Problem:
    kind: str
    what: str
    """The object or annotation, for the message: "a `Client`", "`Settings`"."""
    detail: str = ""


def check(ctx: RuleContext) -> Iterator[Finding]:
    module = _ModuleClasses(ctx)
    for body in ctx.model.bodies:
        if body.kind != "flow" or body.task_class is not None:
            continue
        shadowed = set().union(*(ctx.model.analysis(f).local_names for f in body.enclosing))
        reader = _Parameters(module, shadowed, _validates(body))
        defaults = {parameter.arg: default for parameter, default in parameter_defaults(body.node)}
        arguments = body.node.args
        for parameter in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            default = defaults.get(parameter.arg)
            problem = reader.problem(default, parameter.annotation)
            if problem is not None:
                anchor = default if default is not None else parameter.annotation
                yield ctx.finding(anchor, _message(ctx, parameter, problem))


def _validates(body: Body) -> bool:
    """Whether the flow validates its parameters: `@flow(validate_parameters=False)` turns it off."""
    value = keyword_value(body.options, "validate_parameters")
    return value is None or (isinstance(value, ast.Constant) and value.value is True)


def _message(ctx: RuleContext, parameter: ast.arg, problem: Problem) -> str:
    name = f"`{brief(parameter.arg, 24)}`"
    kind = problem.kind
    if kind in _NO_JSON_FORM:
        return (
            f"{name} defaults to {problem.what}, dropped from the schema when this flow is deployed. "
            "It has no JSON form, so no run can send one through Prefect's API; "
            "take JSON settings and build the object in the flow."
        )
    if kind == OPEN_TEXT_FILE:
        return (
            f"{name} defaults to an open file, read to its end when this flow is deployed. "
            "Building the parameter schema iterates the file; take the path as the parameter and open the file in the flow."
        )
    when, which = _validation_time(ctx)
    if kind == NONE_FOR_REQUIRED_TYPE:
        annotation = brief(problem.what, 24)
        return (
            f"{name} defaults to None, which `{annotation}` rejects: {when}. "
            f"Annotate it `{annotation} | None`; Prefect validates the defaults of {which} against the annotations."
        )
    if kind == INVALID_MODEL_DICT:
        return (
            f"{name} defaults to an invalid {problem.what}: {when}. "
            f"The dict {problem.detail}; Prefect validates the defaults of {which} against the annotations."
        )
    if kind == INVALID_MODEL_INSTANCE:
        return (
            f"{name} defaults to an invalid {problem.what}: it fails when a scheduled run sends it. "
            f"`model_construct` skips validation: it {problem.detail}; the deployment's schema shows it as the "
            "default, and a run sending it back fails validation."
        )
    return (
        f"{name}: {problem.what} has no JSON form, so it fails when a scheduled run sends it. "
        "No JSON value validates as one: only a direct call can pass it; take JSON settings and build the object in the flow."
    )


def _validation_time(ctx: RuleContext) -> tuple[str, str]:
    """Which runs fail, and which runs Prefect validates the defaults of."""
    if DEPLOYED_RUNS_VALIDATE_DEFAULTS.get(ctx.contexts.major, True):
        return "runs without it fail validation", "every run"
    return "calls without it fail validation", "calls and subflows (not of deployed runs)"


class _Parameters:
    """What a flow's default or annotation is, from the module's own names; ``shadowed``:
    names the enclosing functions of a flow built in a factory bind, which are not told."""

    def __init__(self, module: _ModuleClasses, shadowed: set[str], validates: bool) -> None:
        self.module = module
        self.ctx = module.ctx
        self.model = module.model
        self.shadowed = shadowed
        self.validates = validates

    def problem(self, default: ast.expr | None, annotation: ast.expr | None) -> Problem | None:
        found = self._problem(default, annotation)
        if found is not None and found.kind in _BY_VALIDATION and not self.validates:
            return None
        return found

    def _problem(self, default: ast.expr | None, annotation: ast.expr | None) -> Problem | None:
        if default is None:
            return self._object_only(annotation)
        if isinstance(default, ast.Constant) and default.value is None:
            rejecting = self._rejects_none(annotation) if annotation is not None else False
            return Problem(NONE_FOR_REQUIRED_TYPE, self.ctx.text(annotation)) if rejecting else None
        model = self._model_named(annotation)
        if isinstance(default, ast.Dict) and model is not None:
            reason = model.invalid_dict(default)
            return Problem(INVALID_MODEL_DICT, f"`{model.node.name}`", reason) if reason else None
        return self._value(default, 0)

    def _value(self, expr: ast.expr, depth: int) -> Problem | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Lambda):
            return Problem(FUNCTION, "a lambda")
        if isinstance(expr, ast.Name):
            return self._name(expr, depth)
        if isinstance(expr, ast.Call):
            return self._call(expr)
        return None

    def _name(self, name: ast.Name, depth: int) -> Problem | None:
        module = self.module
        if name.id in self.shadowed:
            return None
        if not module.bound_once(name.id):
            return None
        if name.id in module.functions:
            return Problem(FUNCTION, f"the function `{name.id}`")
        value = self.ctx.types.module_values.get(name.id)
        return self._value(value, depth + 1) if value is not None else None

    def _call(self, call: ast.Call) -> Problem | None:
        func = call.func
        qualname = self.model.qualname(func, call.lineno)
        if qualname in TASK_RUNNER_CLASSES:
            return Problem(TASK_RUNNER, f"a `{qualname.rsplit('.', 1)[1]}`")
        if qualname == "logging.getLogger":
            return Problem(LOGGER, "a logger")
        if self._is_open(func, qualname) and _reads_text(call):
            return Problem(OPEN_TEXT_FILE, "an open file")
        if isinstance(func, ast.Name) and qualname is None and self._class(func.id, "plain"):
            return Problem(CLASS_INSTANCE, f"a `{func.id}`")
        if isinstance(func, ast.Attribute) and func.attr == "model_construct" and isinstance(func.value, ast.Name):
            model = self._model_named(func.value)
            reason = model.invalid_literal(call.keywords) if model is not None and not call.args else None
            return Problem(INVALID_MODEL_INSTANCE, f"`{model.node.name}`", reason) if reason else None
        return None

    def _object_only(self, annotation: ast.expr | None) -> Problem | None:
        if annotation is None:
            return None
        qualname = self.model.qualname(annotation)
        if qualname in OBJECT_ONLY_CLASSES:
            return Problem(OBJECT_ONLY_ANNOTATION, f"`{self.ctx.text(annotation)}`")
        if isinstance(annotation, ast.Name) and qualname is None and self._class(annotation.id, "plain"):
            return Problem(OBJECT_ONLY_ANNOTATION, f"`{annotation.id}`")
        return None

    def _rejects_none(self, annotation: ast.expr) -> bool:
        if isinstance(annotation, ast.Subscript):
            outer = annotation.value
            resolved = self.model.qualname(outer)
            return isinstance(outer, ast.Name) and resolved is None and outer.id in _CONTAINERS and self._builtin(outer.id)
        if not isinstance(annotation, (ast.Name, ast.Attribute)):
            return False  # unions, `X | None`, strings: not told apart here
        qualname = self.model.qualname(annotation)
        if qualname in _CLASSES_REJECTING_NONE:
            return True
        if not isinstance(annotation, ast.Name) or qualname is not None:
            return False
        if annotation.id in _BUILTINS_REJECTING_NONE:
            return self._builtin(annotation.id)
        return self._class(annotation.id, "rejects_none")

    def _is_open(self, func: ast.expr, qualname: str | None) -> bool:
        if qualname in ("builtins.open", "io.open"):
            return True
        return isinstance(func, ast.Name) and func.id == "open" and qualname is None and self._builtin("open")

    def _builtin(self, name: str) -> bool:
        return name not in self.shadowed and self.module.unbound(name)

    def _class(self, name: str, quality: str) -> bool:
        facts = self.module.module_class(name) if name not in self.shadowed else None
        return facts is not None and getattr(facts, quality)

    def _model_named(self, annotation: ast.expr | None) -> _ClassFacts | None:
        if not isinstance(annotation, ast.Name) or self.model.qualname(annotation) is not None:
            return None
        return self.module.module_class(annotation.id) if self._class(annotation.id, "pydantic_model") else None


class _ModuleClasses:
    """The module's classes, functions and other bindings, for telling a name apart."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self.model = ctx.model

    def bound_once(self, name: str) -> bool:
        """Whether the module binds the name once, with a `def`, a `class` or an assignment."""
        bindings = self.model.imports.bindings.get(name, [])
        return not self.model.imports.star_modules and len(bindings) == 1 and bindings[0].qualname is None

    def unbound(self, name: str) -> bool:
        """Whether the module leaves the name to the builtins."""
        return not self.model.imports.star_modules and name not in self.model.imports.bindings

    @cached_property
    def functions(self) -> dict[str, ast.AST]:
        return dict(self.ctx.types.functions)

    @cached_property
    def classes(self) -> dict[str, ast.ClassDef]:
        return {s.name: s for s, conditional in self.model.module_statements if isinstance(s, ast.ClassDef) and not conditional}

    def module_class(self, name: str) -> _ClassFacts | None:
        node = self.classes.get(name)
        if node is None or not self.bound_once(name):
            return None
        return _ClassFacts(node, self)


class _ClassFacts:
    """A class of the module, as far as JSON encoding and validation tell it apart."""

    def __init__(self, node: ast.ClassDef, module: _ModuleClasses, depth: int = 0) -> None:
        self.node = node
        self.module = module
        self.depth = depth

    @cached_property
    def _hooks(self) -> bool:
        return any(
            isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and (s.name in _ENCODING_HOOKS or s.decorator_list)
            for s in self.node.body
        )

    def _bases(self) -> list[_ClassFacts] | None:
        """The in-module bases, or None when a base comes from elsewhere."""
        found = []
        for base in self.node.bases:
            if not isinstance(base, ast.Name) or self.depth >= _MAX_DEPTH:
                return None
            facts = self.module.module_class(base.id) if self.module.model.qualname(base) is None else None
            if facts is None and base.id != "object":
                return None
            if facts is not None:
                found.append(_ClassFacts(facts.node, self.module, self.depth + 1))
        return found

    @cached_property
    def plain(self) -> bool:
        """Neither a model, dataclass nor enum, nor anything with an encoding hook: no JSON form."""
        if self.node.decorator_list or self.node.keywords or self._hooks:
            return False
        bases = self._bases()
        return bases is not None and all(base.plain for base in bases)

    @cached_property
    def pydantic_model(self) -> bool:
        """A pydantic model with plain fields and no validators or custom `__init__`."""
        if self.node.decorator_list or self.node.keywords or self._hooks or self._defines("__init__"):
            return False
        qualnames = [self.module.model.qualname(base) for base in self.node.bases]
        if qualnames == ["pydantic.BaseModel"]:
            return True
        bases = self._bases()
        return bases is not None and len(bases) == 1 and bases[0].pydantic_model

    @property
    def rejects_none(self) -> bool:
        return self.plain or self.pydantic_model or self._dataclass or self._enum

    @cached_property
    def _dataclass(self) -> bool:
        decorators = [d.func if isinstance(d, ast.Call) else d for d in self.node.decorator_list]
        named = [self.module.model.qualname(d) for d in decorators]
        return named == ["dataclasses.dataclass"] and not self.node.bases

    @cached_property
    def _enum(self) -> bool:
        bases = self.node.bases
        return not self.node.decorator_list and len(bases) == 1 and self.module.model.qualname(bases[0]) in _ENUM_BASES

    def _defines(self, method: str) -> bool:
        return any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == method for s in self.node.body)

    @cached_property
    def fields(self) -> dict[str, tuple[ast.expr, bool]] | None:
        """Field → (annotation, required), own and inherited; None when a field is not plain."""
        bases = self._bases() or []
        found: dict[str, tuple[ast.expr, bool]] = {}
        for base in bases:
            inherited = base.fields
            if inherited is None:
                return None
            found.update(inherited)
        for statement in self.node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
                continue
            if _is_class_var(statement.annotation) or isinstance(statement.value, ast.Call):
                return None  # `Field(...)` may alias, default or constrain the field
            found[statement.target.id] = (statement.annotation, statement.value is None)
        return found

    def invalid_dict(self, default: ast.Dict) -> str | None:
        """Why a dict display cannot validate as this model; None when it may."""
        if self.fields is None or any(k is None or not _is_str(k) for k in default.keys):
            return None
        given = [k.value for k in default.keys]
        missing = [name for name, (_, required) in self.fields.items() if required and name not in given]
        if missing:
            return f"is missing `{missing[0]}`"
        return self._wrong_literal(zip(given, default.values))

    def invalid_literal(self, keywords: list[ast.keyword]) -> str | None:
        if self.fields is None or any(k.arg is None for k in keywords):
            return None
        return self._wrong_literal((k.arg, k.value) for k in keywords)

    def _wrong_literal(self, items) -> str | None:
        for name, value in items:
            annotation = (self.fields or {}).get(name, (None, False))[0]
            if isinstance(annotation, ast.Name) and annotation.id in _NUMBERS and _not_a_number(value):
                return f"gives `{name}` a value that is not a number"
        return None


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _not_a_number(value: ast.expr) -> bool:
    if not _is_str(value):
        return False
    try:
        float(value.value)
    except ValueError:
        return True
    return False


def _is_class_var(annotation: ast.expr) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return isinstance(target, (ast.Name, ast.Attribute)) and (
        getattr(target, "id", None) == "ClassVar" or getattr(target, "attr", None) == "ClassVar"
    )


def _reads_text(call: ast.Call) -> bool:
    """`open(path)` or `open(path, "r")`: a text file only read (a mode that is not a literal: unknown)."""
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return True
    return _is_str(mode) and set(mode.value) <= {"r", "t"}
