"""When Prefect serializes or hashes a value: the execution contexts of a module's tasks and flows.

For each task: how it is called (directly, `.submit`/`.map` in which flow, `.delay()` to task
workers), its cache policy (which inputs its cache key hashes) and whether its result is
persisted. For each flow: its task runner, and whether an infrastructure decorator ships it.
PP201–PP204 report a value only where one of these mechanisms serializes or hashes it, and
name the mechanism. The runtime facts behind each branch are proven against real Prefect
releases in `tests/runtime/`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Literal

from ..analysis import all_args
from ..prefect_model import Body, FunctionNode, PrefectModel
from ..prefect_version import PrefectRelease, prefect_release
from ..prefect_settings import KNOWN as KNOWN_SETTINGS
from ..prefect_settings import prefect_settings
from ..project import project_for
from .project_modules import ProjectModules

if TYPE_CHECKING:
    from ..config import Settings
    from .inference import TypeInference

# Task runners by qualified name: True when the runner pickles what it ships to its workers.
_RUNNERS = {
    "prefect.task_runners.ThreadPoolTaskRunner": False,
    "prefect.task_runners.ConcurrentTaskRunner": False,
    "prefect.task_runners.SequentialTaskRunner": False,
    "prefect.task_runners.ProcessPoolTaskRunner": True,
    "prefect.task_runners.PrefectTaskRunner": True,
    "prefect_dask.DaskTaskRunner": True,
    "prefect_dask.task_runners.DaskTaskRunner": True,
    "prefect_ray.RayTaskRunner": True,
    "prefect_ray.task_runners.RayTaskRunner": True,
}
ASSUMABLE_RUNNERS = {
    "dask": "DaskTaskRunner",
    "ray": "RayTaskRunner",
    "process": "ProcessPoolTaskRunner",
}
_DEFAULT_RUNNER = {"2": "ConcurrentTaskRunner", "3": "ThreadPoolTaskRunner"}
_INFRASTRUCTURE = re.compile(r"^prefect_\w+\.experimental(\.decorators)?\.\w+$")
_SUBMITTING = {"submit": "submit", "map": "map", "delay": "delay", "apply_async": "delay"}
_POLICIES = "prefect.cache_policies."
_TASK_INPUT_HASH = {"prefect.tasks.task_input_hash", "prefect.task_input_hash"}
_HASHING_HELPERS = {"prefect.utilities.hashing.hash_objects", *_TASK_INPUT_HASH}
_PERSISTING_OPTIONS = ("cache_key_fn", "result_storage", "result_serializer", "result_storage_key")
# Prefect 1 storage that keeps flows as scripts (the others pickle unless `stored_as_script=True`).
_SCRIPT_STORAGE = {"GitHub", "GitLab", "Bitbucket", "CodeCommit", "Module", "Webhook"}


@dataclass(frozen=True)
class Mechanism:
    """What serializes or hashes a value, in the words a message opens with."""

    subject: str
    """Who does it: "Cache key of `upload`", "`DaskTaskRunner` of flow `etl`"."""
    verb: str
    """"hash", "pickle", "encode"."""
    consequence: str
    note: str = ""
    """Why this mechanism applies, a sentence for the message's tail."""
    hint: bool = False
    """Only under the runner `assume-task-runner` names, not one the code shows."""
    excludable: bool = False
    """A cache key that leaves the input out when the policy says `- "name"`."""
    persistence: bool = False
    """Result persistence, which keeps what a generator produced rather than the generator."""
    ships_module: bool = False
    """Pickles the module's own classes by value too: with what their attributes hold."""

    def message(self, what: str, reason: str) -> str:
        cannot = "could not" if self.hint else "cannot"
        consequence = "the run would fail" if self.hint else self.consequence
        return f"{self.subject} {cannot} {self.verb} {what}: {consequence}. {reason}{self.note}"


@dataclass(frozen=True)
class Runner:
    name: str
    pickles: bool | None
    """None: a runner the source does not show."""
    assumed: bool = False


@dataclass(frozen=True)
class TaskCall:
    task: Body
    call: ast.Call
    how: Literal["direct", "submit", "map", "delay"]
    flow: Body | None
    """The flow whose body makes the call (None: a task body or module-level code)."""
    scope: FunctionNode | None
    """The task or flow function the call is in (None: module level)."""


@dataclass(frozen=True)
class CacheKey:
    """Which inputs a task's cache key hashes."""

    hashes: bool
    excluded: frozenset[str] = frozenset()
    how: str = ""
    adjustable: bool = False
    """A `cache_policy` the fix may extend with `- "name"` (or none given: the default)."""
    silent: bool = False
    """The key is silently missing instead of logging an error (`task_input_hash`, Prefect 3.0)."""
    compound: bool = False
    """A policy of several (`DEFAULT`, `INPUTS + TASK_SOURCE`)."""

    def covers(self, parameter: str | None) -> bool:
        return self.hashes and parameter not in self.excluded


NO_HASHING = CacheKey(False)


class ExecutionContexts:
    """The serialization mechanisms of one module's tasks and flows."""

    def __init__(
        self,
        model: PrefectModel,
        module_values: dict[str, ast.expr],
        release: PrefectRelease,
        assumed_runner: str | None = None,
        project_modules: ProjectModules | None = None,
        written: dict[str, bool] | None = None,
    ):
        self.model = model
        self.module_values = module_values
        self.release = release
        self.major = release.major
        self.assumed_runner = ASSUMABLE_RUNNERS.get(assumed_runner or "")
        self._assumed_setting = assumed_runner
        self.project_modules = project_modules
        self.written = written or {}
        """Prefect settings the project writes down (`prefect.toml`, `[tool.prefect]`, `.env`)."""
        self._owners: dict[int, ExecutionContexts] = {}
        """The contexts of the module defining each task imported from another module."""

    def all_calls(self) -> list[TaskCall]:
        """Every task call of the module, to its own tasks and to the project's other modules'."""
        return [call for calls in self.task_calls.values() for call in calls]

    def is_local(self, task: Body) -> bool:
        return id(task.node) not in self._owners

    # --- questions the rules ask ------------------------------------------------------

    def returned(self, task: Body) -> Mechanism | None:
        """What serializes a task's return value."""
        if self.major == "1":
            if _keyword_is(task.options, "checkpoint", False):
                return None
            return Mechanism(
                "Prefect 1 checkpointing", "pickle", "runs by an agent fail",
                " Flows run by an agent checkpoint every task result with a pickle serializer.",
            )
        yield_from = self._pickling_call(task, returned=True)
        if yield_from is not None:
            return yield_from
        return self._persistence(task)

    def argument(self, task: Body, call: TaskCall, parameter: str | None) -> Mechanism | None:
        """What serializes or hashes one argument of a task call."""
        if self.major == "1":
            return Mechanism(
                "Prefect 1 storage", "pickle", "registration fails",
                " Task arguments are stored in the flow, which pickle storage pickles.",
            ) if self.prefect1_pickles_flows else None
        if call.how == "delay":
            return Mechanism(
                "Task workers", "pickle", "the call fails",
                f" `{task.name}.delay()` pickles the parameters into result storage for the worker.",
            )
        if call.how in ("submit", "map"):
            runner = self.runner_of(call.flow) if call.flow is not None else self._unknown_runner()
            if runner.pickles:
                return self._runner_mechanism(runner, call.flow, task)
        return self._hashing(task, parameter)

    def captured(self, body: Body) -> Mechanism | None:
        """What pickles a task or flow function by value, with the module globals it uses."""
        if self.major == "1":
            return self.captured_prefect1()
        if body.kind == "flow":
            return self._shipping(body) or self._context_pickled(body)
        shipped = [self._shipping(flow) for flow in self._flows_calling(body)]
        return next((m for m in shipped if m is not None), None) or self._pickling_call(body, returned=False)

    def captured_prefect1(self) -> Mechanism | None:
        """Prefect 1 pickle storage pickles the flow, with its tasks and the globals they use."""
        if not self.prefect1_pickles_flows:
            return None
        return Mechanism(
            "Prefect 1 storage", "pickle", "registration fails",
            " Pickle storage pickles flows and their tasks by value, with the globals they use.",
            ships_module=True,
        )

    def default(self, body: Body, parameter: str) -> Mechanism | None:
        """What serializes or hashes a parameter's default."""
        if self.major == "1" or body.kind == "flow":
            return self.captured(body)
        return self._pickling_call(body, returned=False) or self._hashing(body, parameter)

    # --- calls ------------------------------------------------------------------------

    @cached_property
    def task_calls(self) -> dict[int, list[TaskCall]]:
        """The calls of each task (by id of its function), in flows, tasks and module code."""
        found: dict[int, list[TaskCall]] = {}
        seen: set[int] = set()
        for call, body in self._calls():
            called = self.called_task(call)
            if called is not None and id(call) not in seen:
                seen.add(id(call))
                task, how = called
                flow = body if body is not None and body.kind == "flow" else None
                scope = body.node if body is not None else None
                found.setdefault(id(task.node), []).append(TaskCall(task, call, how, flow, scope))
        return found

    def calls_of(self, task: Body) -> list[TaskCall]:
        return self.task_calls.get(id(task.node), [])

    def called_task(self, call: ast.Call) -> tuple[Body, Literal["direct", "submit", "map", "delay"]] | None:
        """The task a call runs (`t(x)`, `t.submit(x)`, `t.map(x)`, `t.delay(x)`, `t.with_options(...)(x)`)."""
        func, how = call.func, "direct"
        if isinstance(func, ast.Attribute) and func.attr in _SUBMITTING:
            func, how = func.value, _SUBMITTING[func.attr]
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "with_options":
            func = func.func.value
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id in self.model.task_class_names:
            body = self.model.task_class_body(func.func.id)  # Prefect 1: `CounterTask()(conn)`
            return (body, how) if body is not None else None
        if isinstance(func, ast.Name) and func.id in self.model.task_names:
            body = self.model.bodies_by_name.get(func.id)
            return (body, how) if body is not None and body.kind == "task" else None
        imported = self.project_modules.task_called(func, call.lineno) if self.project_modules is not None else None
        if imported is None:
            return None
        if id(imported.body.node) not in self._owners:
            from .inference import TypeInference

            values = TypeInference(imported.model).module_values
            self._owners[id(imported.body.node)] = ExecutionContexts(
                imported.model, values, self.release, self._assumed_setting, written=self.written
            )
        return imported.body, how

    def _calls(self) -> Iterator[tuple[ast.Call, Body | None]]:
        """Every call, with the task or flow body it is in; flows first, so that a call in a
        task nested in a flow counts as the flow's."""
        for body in sorted(self.model.bodies, key=lambda b: b.kind != "flow"):
            for node in ast.walk(body.node):
                if isinstance(node, ast.Call):
                    yield node, body
        for statement, _ in self.model.module_statements:
            if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for node in _own_expressions(statement):
                    if isinstance(node, ast.Call):
                        yield node, None
        # Deferred calls come from anywhere: a web handler, a script's function.
        for node in ast.walk(self.model.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _SUBMITTING.get(node.func.attr) == "delay":
                yield node, None

    def _flows_calling(self, task: Body) -> list[Body]:
        return [c.flow for c in self.calls_of(task) if c.flow is not None]

    # --- task runners ---------------------------------------------------------------

    def runner_of(self, flow: Body) -> Runner:
        expression = keyword_value(flow.options, "task_runner")
        if expression is None:
            if self.assumed_runner is not None:
                return Runner(self.assumed_runner, True, assumed=True)
            return Runner(_DEFAULT_RUNNER.get(self.major, "ThreadPoolTaskRunner"), False)
        qualname = self._constructed(expression)
        if qualname in _RUNNERS:
            return Runner(qualname.rsplit(".", 1)[-1], _RUNNERS[qualname])
        return Runner("the flow's task runner", None)

    def _unknown_runner(self) -> Runner:
        """The runner of a call outside any flow of this module (a task called from another flow)."""
        if self.assumed_runner is not None:
            return Runner(self.assumed_runner, True, assumed=True)
        return Runner("a task runner", None)

    def _constructed(self, expression: ast.expr, depth: int = 0) -> str | None:
        """The class a runner expression builds: `DaskTaskRunner(...)`, a module-level name bound
        to one, or a function of the module returning one."""
        if depth > 4:
            return None
        if isinstance(expression, ast.Call):
            qualname = self.model.qualname(expression.func, expression.lineno)
            if qualname is not None:
                return qualname
            if isinstance(expression.func, ast.Name):
                factory = _module_function(self.model, expression.func.id)
                if factory is not None:
                    # A factory that may return a pickling runner (by default, often) counts as one.
                    built = [self._constructed(returned, depth + 1) for returned in _returns(factory)]
                    known = [name for name in built if name in _RUNNERS]
                    return next((name for name in known if _RUNNERS[name]), known[0] if known else None)
            return None
        if isinstance(expression, ast.Name) and expression.id in self.module_values:
            return self._constructed(self.module_values[expression.id], depth + 1)
        return self.model.qualname(expression, getattr(expression, "lineno", None))

    def _pickling_call(self, task: Body, returned: bool) -> Mechanism | None:
        """A `.submit`/`.map` of the task on a pickling runner, or a task worker."""
        hint = None
        for call in self.calls_of(task):
            if call.how == "delay":
                return Mechanism(
                    "Task workers", "pickle", "the run fails",
                    f" `{task.name}.delay()` runs it on a task worker, which pickles its parameters and result.",
                )
            if call.how in ("submit", "map"):
                runner = self.runner_of(call.flow) if call.flow is not None else self._unknown_runner()
                if runner.pickles and not runner.assumed:
                    return self._runner_mechanism(runner, call.flow, task)
                if runner.pickles and hint is None:
                    hint = self._runner_mechanism(runner, call.flow, task)
        if hint is None and self.assumed_runner is not None and not self.calls_of(task):
            hint = self._runner_mechanism(Runner(self.assumed_runner, True, True), None, task)
        return hint

    def _runner_mechanism(self, runner: Runner, flow: Body | None, task: Body) -> Mechanism:
        submitted = f" Flow `{flow.name}` submits `{task.name}` to it" if flow is not None else f" `{task.name}` runs on it"
        if runner.assumed:
            return Mechanism(
                f"`{runner.name}` (assumed)", "pickle", "the run fails",
                f"{submitted} if flows run on {runner.name} (`assume-task-runner`).", hint=True,
            )
        return Mechanism(f"`{runner.name}`", "pickle", "the run fails", f"{submitted}.")

    def _context_pickled(self, flow: Body) -> Mechanism | None:
        """`ProcessPoolTaskRunner` pickles the flow run's context, the flow and its parameters
        included, with every task it submits."""
        runner = self.runner_of(flow)
        if runner.name != "ProcessPoolTaskRunner" or runner.assumed:
            return None
        if not any(c.flow is flow and c.how in ("submit", "map") for calls in self.task_calls.values() for c in calls):
            return None
        return Mechanism(
            f"`{runner.name}`", "pickle", "the run fails",
            f" Each task flow `{flow.name}` submits ships the flow run's context, the flow included.",
        )

    # --- flows shipped by infrastructure decorators --------------------------------------

    def _shipping(self, flow: Body) -> Mechanism | None:
        for decorator in flow.node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualname = self.model.qualname(target, decorator.lineno)
            if qualname is not None and _INFRASTRUCTURE.match(qualname):
                return Mechanism(
                    f"`@{qualname.rsplit('.', 1)[-1]}`", "pickle", "submission fails",
                    f" The decorator ships flow `{flow.name}` by value, with the tasks and globals it uses.",
                    ships_module=True,
                )
        return None

    # --- cache keys -------------------------------------------------------------------

    def _hashing(self, task: Body, parameter: str | None) -> Mechanism | None:
        key = self.cache_key(task)
        if not key.covers(parameter):
            return None
        consequence = "the task is never cached" if key.silent or not self.release.at_least("3.1") else "each call logs an error"
        return Mechanism(f"Cache key of `{task.name}`", "hash", consequence, f" {key.how}", excludable=key.adjustable)

    def cache_key(self, task: Body) -> CacheKey:
        """Which inputs the task's cache key hashes (Prefect 2 and 3)."""
        owner = self._owners.get(id(task.node))
        if owner is not None:
            return owner.cache_key(task)
        options = task.options
        key_fn = keyword_value(options, "cache_key_fn")
        if self.major == "2":
            return self._key_function(key_fn) if key_fn is not None else NO_HASHING
        if _keyword_is(options, "persist_result", False) or self.written.get("tasks.disable_caching"):
            return NO_HASHING
        if key_fn is not None:
            return self._key_function(key_fn)
        policy = keyword_value(options, "cache_policy")
        if policy is None:
            if keyword_value(options, "result_storage_key") is not None or self.written.get("tasks.default_no_cache"):
                return NO_HASHING
            return CacheKey(True, how="Prefect 3's default cache policy hashes every input.", adjustable=True, compound=True)
        return self._policy(policy)

    def _key_function(self, key_fn: ast.expr) -> CacheKey:
        qualname = self.model.qualname(key_fn, getattr(key_fn, "lineno", None))
        if qualname in _TASK_INPUT_HASH:
            return CacheKey(True, how="`task_input_hash` hashes every input and gives no key when one cannot be.", silent=True)
        function = key_fn if isinstance(key_fn, ast.Lambda) else (
            _module_function(self.model, key_fn.id) if isinstance(key_fn, ast.Name) else None
        )
        if function is not None and self._hashes_parameters(function):
            return CacheKey(True, how=f"`{_name(key_fn)}` hashes the task's parameters.")
        return NO_HASHING

    def _hashes_parameters(self, function: FunctionNode | ast.Lambda) -> bool:
        """A key function that hands the whole parameters mapping to a hashing helper."""
        names = [a.arg for a in all_args(function.args)]
        if len(names) < 2:
            return False
        parameters = names[1]
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and self.model.qualname(node.func, node.lineno) in _HASHING_HELPERS:
                if any(isinstance(a, ast.Name) and a.id == parameters for a in ast.walk(node)):
                    return True
        return False

    def _policy(self, expression: ast.expr, depth: int = 0) -> CacheKey:
        """A `cache_policy=` value: Prefect's policies, `+`, `- "name"`, `Inputs(exclude=[...])`."""
        if depth > 6:
            return NO_HASHING
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Add):
            left, right = self._policy(expression.left, depth + 1), self._policy(expression.right, depth + 1)
            hashing = left if left.hashes else right
            adjustable = left.adjustable and right.adjustable
            return CacheKey(hashing.hashes, left.excluded | right.excluded, hashing.how, adjustable, compound=True)
        if isinstance(expression, ast.BinOp) and isinstance(expression.op, ast.Sub):
            left = self._policy(expression.left, depth + 1)
            removed = expression.right.value if isinstance(expression.right, ast.Constant) else None
            if not isinstance(removed, str):
                return NO_HASHING
            if left.compound and not self.release.at_least("3.1.14"):
                return left  # before 3.1.14, `-` on a compound policy left its `INPUTS` whole
            return CacheKey(left.hashes, left.excluded | {removed}, left.how, left.adjustable, compound=left.compound)
        if isinstance(expression, ast.Name) and expression.id in self.module_values:
            return self._policy(self.module_values[expression.id], depth + 1)
        if isinstance(expression, ast.Call):
            return self._policy_call(expression, depth)
        qualname = self.model.qualname(expression, getattr(expression, "lineno", None)) or ""
        name = qualname.removeprefix(_POLICIES) if qualname.startswith(_POLICIES) else None
        if name in ("DEFAULT", "INPUTS"):
            how = f"Its cache policy `{name}` hashes every input."
            return CacheKey(True, how=how, adjustable=True, compound=name == "DEFAULT")
        if name is not None and name != "NO_CACHE":
            return CacheKey(False, adjustable=True)
        return NO_HASHING

    def _policy_call(self, call: ast.Call, depth: int) -> CacheKey:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "configure":
            return self._policy(func.value, depth + 1)
        qualname = self.model.qualname(func, call.lineno) or ""
        if qualname == _POLICIES + "Inputs":
            excluded = _string_list(keyword_value(call, "exclude"))
            return CacheKey(True, excluded, "Its cache policy `Inputs()` hashes every input not excluded.", True)
        if qualname == _POLICIES + "CacheKeyFnPolicy":
            key_fn = keyword_value(call, "cache_key_fn")
            return self._key_function(key_fn) if key_fn is not None else NO_HASHING
        return NO_HASHING

    # --- result persistence ---------------------------------------------------------------

    def _persistence(self, task: Body) -> Mechanism | None:
        owner = self._owners.get(id(task.node))
        if owner is not None:
            return owner._persistence(task)
        options = task.options
        persist = keyword_value(options, "persist_result")
        if isinstance(persist, ast.Constant) and persist.value is False:
            return None
        why = "`persist_result=True`" if isinstance(persist, ast.Constant) and persist.value is True else None
        if self.major == "2":
            why = why or self._persisted_in_prefect_2(task, options) or self._persisted_by_setting("results.persist_by_default")
            consequence = "the task run crashes"
        else:
            why = why or self._persisted_in_prefect_3(options) or self._persisted_by_default(task)
            consequence = "each run logs an error"
            if why is not None and not self._has_transaction_key(options):
                return None  # Prefect 3 writes results on commit, and only under a key
        if why is None:
            return None
        json = _is_json_serializer(self.model, keyword_value(options, "result_serializer"))
        return Mechanism(
            "Result persistence", "encode" if json else "pickle", consequence,
            f" `{task.name}` persists its result because of {why}.", persistence=True,
        )

    def _persisted_in_prefect_3(self, options: ast.Call | None) -> str | None:
        """Options that turn persistence on in `Task.__init__`."""
        if keyword_value(options, "cache_policy") is not None and not self._is_no_cache(options):
            return "`cache_policy`"
        found = next((k for k in _PERSISTING_OPTIONS if keyword_value(options, k) is not None), None)
        return f"`{found}`" if found else None

    def _persisted_by_default(self, task: Body) -> str | None:
        """Prefect 3 without options: the task setting, else the calling flow's, else the results setting."""
        if "tasks.default_persist_result" in self.written:
            return self._persisted_by_setting("tasks.default_persist_result")
        for flow in self._flows_calling(task):
            if _keyword_is(flow.options, "persist_result", True):
                return f"`persist_result=True` on flow `{flow.name}`"
        return self._persisted_by_setting("results.persist_by_default")

    def _persisted_by_setting(self, key: str) -> str | None:
        return f"the setting `{KNOWN_SETTINGS[key]}`" if self.written.get(key) else None

    def _persisted_in_prefect_2(self, task: Body, options: ast.Call | None) -> str | None:
        """`ResultFactory.from_task`: a cache key function, results kept out of memory, flow retries."""
        if keyword_value(options, "cache_key_fn") is not None:
            return "`cache_key_fn`"
        if _keyword_is(options, "cache_result_in_memory", False):
            return "`cache_result_in_memory=False`"
        for flow in self._flows_calling(task):
            retries = keyword_value(flow.options, "retries")
            if retries is not None and not (isinstance(retries, ast.Constant) and not retries.value):
                return f"the retries of flow `{flow.name}`"
        return None

    def _has_transaction_key(self, options: ast.Call | None) -> bool:
        return keyword_value(options, "result_storage_key") is not None or not self._is_no_cache(options)

    def _is_no_cache(self, options: ast.Call | None) -> bool:
        policy = keyword_value(options, "cache_policy")
        if isinstance(policy, ast.Constant) and policy.value is None:
            return True
        return policy is not None and self.model.qualname(policy, getattr(policy, "lineno", None)) == _POLICIES + "NO_CACHE"

    # --- Prefect 1 ---------------------------------------------------------------------

    @cached_property
    def prefect1_pickles_flows(self) -> bool:
        """Prefect 1 pickles flows into their storage unless it is script-based."""
        for node in ast.walk(self.model.tree):
            if isinstance(node, ast.Call):
                if _keyword_is(node, "stored_as_script", True):
                    return False
                qualname = self.model.prefect_qualname(node.func, node.lineno) or ""
                if qualname.startswith("prefect.storage.") and qualname.rsplit(".", 1)[-1] in _SCRIPT_STORAGE:
                    return False
        return True


def module_contexts(model: PrefectModel, types: "TypeInference", settings: "Settings", path: Path | None) -> ExecutionContexts:
    """The contexts of one module: its Prefect release and settings read from the project (never run)."""
    project = project_for(path, settings.probe.python, settings.root)
    release = prefect_release(model, settings.prefect_version, project.own_environment, path)
    root = project.repository if path is not None else None
    written = {**prefect_settings(root), **prefect_settings(path.parent if path is not None else None)}
    return ExecutionContexts(model, types.module_values, release, settings.assume_task_runner, types.project, written)


def keyword_value(call: ast.Call | None, name: str) -> ast.expr | None:
    """The value of a call's keyword argument, if it is given."""
    if call is None:
        return None
    return next((k.value for k in call.keywords if k.arg == name), None)


def _keyword_is(call: ast.Call | None, name: str, value: object) -> bool:
    found = keyword_value(call, name)
    return isinstance(found, ast.Constant) and found.value is value


def _is_json_serializer(model: PrefectModel, serializer: ast.expr | None) -> bool:
    if serializer is None:
        return False
    if isinstance(serializer, ast.Constant):
        return serializer.value == "json"
    target = serializer.func if isinstance(serializer, ast.Call) else serializer
    return (model.qualname(target, getattr(target, "lineno", None)) or "").endswith("JSONSerializer")


def _string_list(node: ast.expr | None) -> frozenset[str]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return frozenset(e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return frozenset()


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else "lambda"


def _module_function(model: PrefectModel, name: str) -> FunctionNode | None:
    for statement, _ in model.module_statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == name:
            return statement
    return None


def _returns(function: FunctionNode) -> Iterator[ast.expr]:
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            yield node.value


def _own_expressions(statement: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a statement, without its nested statements (visited on their own)."""
    stack = [child for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(ast.iter_child_nodes(node))


def parameter_of(task: Body, call: ast.Call, argument: ast.expr) -> str | None:
    """The task parameter an argument of a call binds (None: through `*args`/`**kwargs`)."""
    for keyword in call.keywords:
        if keyword.value is argument:
            return keyword.arg
    positional = [a.arg for a in (*task.node.args.posonlyargs, *task.node.args.args)]
    if task.task_class is not None and positional[:1] == ["self"]:
        positional = positional[1:]
    for index, value in enumerate(call.args):
        if value is argument or (isinstance(value, ast.Call) and argument in value.args):
            return positional[index] if index < len(positional) else None
    return None
