"""What an expression evaluates to, as far as the unpicklable-type table cares.

The AST answers first: constructors and factories through the imports, methods of
known types, generator expressions and generator functions, local and module-level
assignments, and helpers of the same module. Jedi is asked only about calls into
other modules the AST cannot see into, through `jedi_types`, and never decides
alone about types whose picklability depends on how they were made.
"""

from __future__ import annotations

import ast
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterator

from ..analysis import all_args
from ..dependencies.classify import ModuleKind, classify
from ..project import locate_site_packages
from ..prefect_model import FunctionNode, PrefectModel, assigned_values
from .jedi_types import JediTypes
from .project_modules import ProjectModules
from .table import FACTORIES, METHODS, Unpicklable, lookup

_CHUNKED_READER = "pandas.io.parsers.readers.TextFileReader"
# Clients that pickle until they connect: when built with a host, or after `.connect()`.
_CONNECTED_BY_HOST = {"ftplib.FTP", "smtplib.SMTP"}
_CONNECTED_BY_CALL = {"paramiko.client.SSHClient"}
_UNCONNECTED = "unconnected:"
"""Prefix of a type that is in the table only once connected (`lookup` finds no entry)."""

_MAX_DEPTH = 6
_BUILTINS = {"open": "builtins.open"}
_WRITING_MODES = set("wax")


class TypeInference:
    def __init__(self, model: PrefectModel, jedi: JediTypes | None = None, project: ProjectModules | None = None) -> None:
        self.model = model
        self.jedi = jedi
        self.project = project
        self._imported: dict[int, TypeInference] = {}
        self._module_values: dict[str, ast.expr] | None = None
        self._functions: dict[str, FunctionNode] | None = None

    def is_generator_function(self, function: FunctionNode) -> bool:
        return bool(self._facts_of(function).yields)

    def first_yield(self, function: FunctionNode) -> ast.expr | None:
        yields = self._facts_of(function).yields
        return min(yields, key=lambda n: (n.lineno, n.col_offset), default=None)

    def calls(self, function: FunctionNode) -> list[ast.Call]:
        """Every call in the function's body, nested functions included."""
        return self._facts_of(function).calls

    def returns(self, function: FunctionNode) -> list[ast.expr]:
        """The expressions the function's own `return` statements return."""
        return self._facts_of(function).returns

    def _facts_of(self, function: FunctionNode) -> "_FunctionFacts":
        return self.model.analyses.computed(function, _FunctionFacts.of)

    def unpicklable(self, expr: ast.expr, function: FunctionNode | None) -> Unpicklable | None:
        """The table entry for what ``expr`` evaluates to inside ``function`` (None: module level)."""
        return lookup(self._type(expr, function, 0))

    # --- the AST ---------------------------------------------------------------------

    def _type(self, expr: ast.expr, function: FunctionNode | None, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.GeneratorExp):
            return "builtins.generator"
        if isinstance(expr, ast.Call):
            return self._call_type(expr, function, depth)
        if isinstance(expr, ast.Name):
            return self._name_type(expr, function, depth)
        if isinstance(expr, ast.IfExp):
            return self._type(expr.body, function, depth + 1) or self._type(expr.orelse, function, depth + 1)
        if isinstance(expr, ast.NamedExpr):
            return self._type(expr.value, function, depth + 1)
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            return self._first_type(expr.elts, function, depth)
        if isinstance(expr, ast.Dict):
            return self._first_type(expr.values, function, depth)
        if isinstance(expr, ast.Await):
            return self._awaited_type(expr.value, function, depth)
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, int):
            element = self._element(expr.value, expr.slice.value, function, depth + 1)
            return self._type(element[0], element[1], depth + 1) if element is not None else None
        return self._ask_jedi(expr, function) if isinstance(expr, ast.Attribute) else None

    def _first_type(self, elements: list, function: FunctionNode | None, depth: int) -> str | None:
        """A display holding an unpicklable value cannot be pickled either: the first such element."""
        for element in elements:
            if element is not None and not isinstance(element, ast.Starred):
                found = self._type(element, function, depth + 1)
                if lookup(found) is not None:
                    return found
        return None

    def _awaited_type(self, awaited: ast.expr, function: FunctionNode | None, depth: int) -> str | None:
        """`await helper()`: what the coroutine function of this module returns; else what the
        awaited call's factory builds (`await asyncpg.connect()`)."""
        helper = self._module_helper(awaited)
        if helper is not None and isinstance(helper, ast.AsyncFunctionDef):
            return self._returned_type(helper, depth)
        found = self._type(awaited, function, depth + 1)
        return None if found == "builtins.coroutine" else found

    def _element(
        self, expr: ast.expr, index: int, function: FunctionNode | None, depth: int
    ) -> tuple[ast.expr, FunctionNode | None] | None:
        """The expression (and its function) at ``index`` of a tuple a value is built from:
        a display, `await helper()` or `helper()` returning a display."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, (ast.Tuple, ast.List)):
            elements = expr.elts
            if any(isinstance(e, ast.Starred) for e in elements[: index + 1]) or index >= len(elements):
                return None
            return elements[index], function
        if isinstance(expr, ast.Await):
            return self._element(expr.value, index, function, depth + 1)
        if isinstance(expr, ast.Name) and function is not None:
            bound, value = self._facts_of(function).value_before(expr)
            if bound:
                return self._element(value, index, function, depth + 1) if value is not None else None
        helper = self._module_helper(expr)
        if helper is not None:
            for returned in self.returns(helper):
                found = self._element(returned, index, helper, depth + 1)
                if found is not None:
                    return found
        return None

    def _module_helper(self, expr: ast.expr) -> FunctionNode | None:
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and self.model.qualname(expr.func, expr.lineno) is None:
            return self.functions.get(expr.func.id)
        return None

    def _call_type(self, call: ast.Call, function: FunctionNode | None, depth: int) -> str | None:
        func = call.func
        qualname = self._callee(func, call.lineno)
        if qualname in ("builtins.open", "io.open"):
            return "_io.TextIOWrapper" if _opens_for_writing(call) else _binary_open(call)
        if qualname in FACTORIES:
            return _built_type(call, FACTORIES[qualname])
        if isinstance(func, ast.Attribute):
            receiver = self._type(func.value, function, depth + 1)
            if receiver is not None:
                return METHODS.get((receiver, func.attr))
        elif isinstance(func, ast.Call):
            receiver = self._type(func, function, depth + 1)
            if receiver is not None:
                return METHODS.get((receiver, "__call__"))
        elif isinstance(func, ast.Name):
            helper = self.functions.get(func.id) if qualname is None else None
            if helper is not None:
                return self._helper_result(helper, depth)
            bound = self._name_type(func, function, depth + 1)
            if bound is not None:
                return METHODS.get((bound, "__call__"))
        if not self._calls_into_other_module(func):
            return None
        return self._project_helper_result(call, depth) or self._ask_jedi(call, function)

    def _project_helper_result(self, call: ast.Call, depth: int) -> str | None:
        """What a function of another module of the project returns, read from its source:
        `utils.connect_ssh(...)` building and connecting an `SSHClient`."""
        imported = self.project.function_called(call.func, call.lineno) if self.project is not None else None
        if imported is None:
            return None
        found = self._inference_of(imported.model)._helper_result(imported.function, depth + 1)
        return found if found is None or not found.startswith(_UNCONNECTED) else None

    def _callee(self, func: ast.expr, line: int) -> str | None:
        qualname = self.model.qualname(func, line)
        if qualname is None and isinstance(func, ast.Name) and func.id in _BUILTINS:
            if func.id not in self.module_values and func.id not in self.functions:
                return _BUILTINS[func.id]
        return qualname

    def _helper_result(self, helper: FunctionNode, depth: int) -> str | None:
        """What calling a function of this module returns: a generator, or its returns' type."""
        if self.is_generator_function(helper):
            return "builtins.coroutine" if isinstance(helper, ast.AsyncFunctionDef) else "builtins.generator"
        if isinstance(helper, ast.AsyncFunctionDef):
            return "builtins.coroutine"
        return self._returned_type(helper, depth)

    def _returned_type(self, helper: FunctionNode, depth: int) -> str | None:
        for returned in self.returns(helper):
            found = self._type(returned, helper, depth + 1)
            if found is not None:
                return found
        return self.annotation_type(helper.returns)

    def annotation_type(self, annotation: ast.expr | None) -> str | None:
        """The table type an annotation names: `httpx.AsyncClient`, `tuple[bigquery.Client, str]`,
        `Optional[Engine]`, `Engine | None`, or the same in a string."""
        if annotation is None:
            return None
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(annotation, ast.Subscript):
            inner = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
            return next((t for t in map(self.annotation_type, inner) if t is not None), None)
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return self.annotation_type(annotation.left) or self.annotation_type(annotation.right)
        qualname = self.model.qualname(annotation)
        if qualname is None:
            return None
        entry = lookup(qualname) or lookup(FACTORIES.get(qualname))
        return entry.type if entry is not None and entry.only_when is None else None

    def _name_type(self, name: ast.Name, function: FunctionNode | None, depth: int) -> str | None:
        found = self._bound_type(name, function, depth)
        if found is not None and found.startswith(_UNCONNECTED):
            connected = self._connects(name.id, function)
            return found.removeprefix(_UNCONNECTED) if connected else found
        return found

    def _passed_type(self, function: FunctionNode, parameter: str, depth: int) -> str | None:
        """What every call of a task or flow of this module passes for a parameter (a task always
        called with an engine, a subflow handed a driver): the type when all calls agree."""
        names = {name for name, body in self.model.bodies_by_name.items() if body.node is function}
        if not names or depth > _MAX_DEPTH // 2:
            return None
        positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        found: set[str | None] = set()
        for body in self.model.bodies:
            for call in self.calls(body.node):
                target = call.func.value if isinstance(call.func, ast.Attribute) and call.func.attr in ("submit", "map") else call.func
                if not (isinstance(target, ast.Name) and target.id in names):
                    continue
                argument = _argument_for(call, parameter, positional)
                found.add(self._type(argument, body.node, depth + 1) if argument is not None else None)
        if len(found) != 1:
            return None
        (only,) = found
        return only if lookup(only) is not None else None

    def _connects(self, name: str, function: FunctionNode | None) -> bool:
        """Whether `name.connect(...)` is called in the function or at module level."""
        calls = list(self.calls(function)) if function is not None else []
        calls += [n for s, _ in self.model.module_statements for n in ast.walk(s) if isinstance(n, ast.Call)
                  and not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        return any(
            isinstance(c.func, ast.Attribute) and c.func.attr == "connect"
            and isinstance(c.func.value, ast.Name) and c.func.value.id == name
            for c in calls
        )

    def _bound_type(self, name: ast.Name, function: FunctionNode | None, depth: int) -> str | None:
        if function is not None:
            bound, value = self._facts_of(function).value_before(name)
            if bound:
                return self._type(value, function, depth + 1) if value is not None else None
            parameter = next((a for a in all_args(function.args) if a.arg == name.id), None)
            if parameter is not None:
                return self.annotation_type(parameter.annotation) or self._passed_type(function, parameter.arg, depth)
        value = self.module_values.get(name.id)
        if value is None:
            return self._imported_type(name, depth)
        return self._type(value, None, depth + 1)

    def _imported_type(self, name: ast.Name, depth: int) -> str | None:
        """What a name imported from another module of the project is bound to there:
        `from helpers import conn` with `conn = sqlite3.connect(...)` in helpers.py."""
        if self.project is None or name.id in self.functions:
            return None
        for attribute, model in self.project.defining(name, getattr(name, "lineno", None)):
            inference = self._inference_of(model)
            if attribute in inference.module_values:
                found = inference._name_type(ast.Name(attribute, ast.Load()), None, depth + 1)
                return found if found is None or not found.startswith(_UNCONNECTED) else None
        return None

    def _inference_of(self, model: PrefectModel) -> "TypeInference":
        """Another module's inference: one module deep, without jedi (helpers of helpers are jedi's)."""
        inference = self._imported.get(id(model))
        if inference is None:
            inference = self._imported[id(model)] = TypeInference(model)
        return inference

    # --- jedi -----------------------------------------------------------------------------

    def _calls_into_other_module(self, func: ast.expr) -> bool:
        root = func
        while isinstance(root, (ast.Attribute, ast.Call)):
            root = root.value if isinstance(root, ast.Attribute) else root.func
        if not isinstance(root, ast.Name):
            return False
        if root.id in self.model.imports.relative_names:
            return True  # a module of the same package: only jedi reads it
        qualname = self.model.imports.resolve_name(root.id)
        return qualname is not None and not qualname.startswith(("prefect.", "builtins."))

    def _ask_jedi(self, expr: ast.expr, function: FunctionNode | None = None) -> str | None:
        if self.jedi is None:
            return None
        chain = self._library_chain(expr, function)
        with _library_lock:
            if chain is not None and chain in _library_answers:
                _library_answers.move_to_end(chain)
                return _library_answers[chain]
        span = self.model.source.span(expr)
        # Right after the expression: for a call, that is its result (on the `)`, its last argument).
        found = None
        for type_name in self.jedi.infer(span.end_line, span.end_column):
            entry = lookup(type_name)
            if entry is not None and entry.only_when is None:
                found = entry.type
                break
        if chain is not None and self.jedi.answered(span.end_line, span.end_column):
            with _library_lock:
                _library_answers[chain] = found
                while len(_library_answers) > _MAX_LIBRARY_ANSWERS:
                    _library_answers.popitem(last=False)
        return found

    def _library_chain(self, expr: ast.expr, function: FunctionNode | None) -> tuple | None:
        """What an expression made only of calls and attributes of an installed package asks,
        the same in every module (`docker.from_env().containers.run(...)`): each call by the
        shape of its arguments (count, keyword names, literal flags), as overloads tell them
        apart. None for anything rooted in the project or in a local name."""
        links: list[str] = []
        node = expr
        while isinstance(node, (ast.Call, ast.Attribute)):
            if isinstance(node, ast.Call):
                links.append(_call_shape(node))
                node = node.func
            else:
                links.append("." + node.attr)
                node = node.value
        if not isinstance(node, ast.Name) or not links or self.project is None or self.project.folder is None:
            return None
        if node.id in self.module_values or node.id in self.model.imports.relative_names:
            return None
        if function is not None and node.id in self.model.analysis(function).local_names:
            return None
        qualname = self.model.imports.resolve_name(node.id, node.lineno)
        if qualname is None or qualname.startswith(("prefect", "builtins")):
            return None
        top = qualname.split(".")[0]
        if classify(top, self.project.folder / "__module__.py", self.project.root or self.project.folder) is not ModuleKind.THIRD_PARTY:
            return None
        site = locate_site_packages(self.jedi.python) if self.jedi.python else None
        return (self.jedi.python, site.stamp() if site else None, qualname, *reversed(links))

    # --- module facts -----------------------------------------------------------------------

    @property
    def module_values(self) -> dict[str, ast.expr]:
        """The value last assigned to each module-level name."""
        if self._module_values is None:
            values: dict[str, ast.expr] = {}
            for statement, _ in self.model.module_statements:
                for target, value in _assignments(statement):
                    if value is None:
                        values.pop(target, None)
                    else:
                        values[target] = value
            self._module_values = values
        return self._module_values

    @property
    def functions(self) -> dict[str, FunctionNode]:
        if self._functions is None:
            self._functions = {
                s.name: s
                for s, _ in self.model.module_statements
                if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        return self._functions


def _call_shape(call: ast.Call) -> str:
    flags = [
        f"{k.arg}={k.value.value!r}" if isinstance(k.value, ast.Constant) and isinstance(k.value.value, (bool, type(None))) else k.arg
        for k in call.keywords
    ]
    positional = [repr(a.value) if isinstance(a, ast.Constant) and isinstance(a.value, (bool, type(None))) else "_" for a in call.args]
    return f"({','.join(positional)};{','.join(sorted(str(f) for f in flags))})"


# Answers about installed packages, shared by every module of a run: jedi takes seconds to
# read a large library, and each module would otherwise ask it again.
_library_answers: OrderedDict[tuple, str | None] = OrderedDict()
_MAX_LIBRARY_ANSWERS = 4096
_library_lock = threading.Lock()


def _argument_for(call: ast.Call, parameter: str, positional: list[str]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == parameter:
            return keyword.value
    index = positional.index(parameter) if parameter in positional else None
    if index is not None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _built_type(call: ast.Call, built: str) -> str | None:
    """The type a factory call builds, where its arguments decide whether it is in the table."""
    if built == _CHUNKED_READER:
        return built if _reads_in_chunks(call) else None
    if built in _CONNECTED_BY_HOST:
        has_host = bool(call.args) or any(k.arg == "host" for k in call.keywords)
        return built if has_host else _UNCONNECTED + built
    if built in _CONNECTED_BY_CALL:
        return _UNCONNECTED + built
    return built


def _reads_in_chunks(call: ast.Call) -> bool:
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg == "chunksize" and not (isinstance(value, ast.Constant) and value.value is None):
            return True
        if keyword.arg == "iterator" and not (isinstance(value, ast.Constant) and not value.value):
            return True
    return False


def _unpacked(statement: ast.Assign) -> Iterator[tuple[str, ast.expr]]:
    """`a, b = make_clients()`: `b` is element 1 of the value (a synthetic `value[1]`)."""
    for target in statement.targets:
        if not isinstance(target, (ast.Tuple, ast.List)):
            continue
        for index, element in enumerate(target.elts):
            if isinstance(element, ast.Starred):
                break
            if isinstance(element, ast.Name):
                item = ast.Subscript(value=statement.value, slice=ast.Constant(index), ctx=ast.Load())
                yield element.id, ast.copy_location(item, statement.value)


def _opens_for_writing(call: ast.Call) -> bool:
    """A text file that cannot be read: cloudpickle refuses those (`w+`, `a+`, `r+` pickle)."""
    mode = _mode(call)
    return mode is not None and bool(set(mode) & _WRITING_MODES) and not set(mode) & {"b", "+"}


def _binary_open(call: ast.Call) -> str | None:
    mode = _mode(call)
    if mode is None or "b" not in mode:
        return None
    return "_io.BufferedReader" if set(mode) <= {"r", "b"} else "_io.BufferedWriter"


def _mode(call: ast.Call) -> str | None:
    """The literal mode of an `open()` call ("r" when omitted; None when not a literal)."""
    node = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if node is None:
        return "r"
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _assignments(statement: ast.stmt) -> Iterator[tuple[str, ast.expr | None]]:
    """(name, value) pairs a statement binds; the value is None when it cannot be told."""
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        yield from assigned_values(statement)
        if isinstance(statement, ast.Assign) and not isinstance(statement.value, (ast.Tuple, ast.List)):
            yield from _unpacked(statement)
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        for item in statement.items:
            if isinstance(item.optional_vars, ast.Name):
                yield item.optional_vars.id, item.context_expr
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        for node in ast.walk(statement.target):
            if isinstance(node, ast.Name):
                yield node.id, None


_STATEMENTS_WITH_BINDINGS = (ast.Assign, ast.AnnAssign, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor)
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass
class _FunctionFacts:
    """A function's calls (nested functions included) and its own returns, yields and local
    assignments, from one pass over its body; kept across versions of a document."""

    calls: list[ast.Call] = field(default_factory=list)
    returns: list[ast.expr] = field(default_factory=list)
    yields: list[ast.expr] = field(default_factory=list)
    assignments: dict[str, list[tuple[ast.stmt, ast.expr | None]]] = field(default_factory=dict)

    @classmethod
    def of(cls, function: FunctionNode) -> "_FunctionFacts":
        facts = cls()
        stack: list[tuple[ast.AST, bool]] = [(statement, True) for statement in reversed(function.body)]
        while stack:
            node, own = stack.pop()
            kind = node.__class__
            if kind is ast.Call:
                facts.calls.append(node)
            elif own:
                if kind is ast.Return:
                    if node.value is not None:
                        facts.returns.append(node.value)
                elif kind is ast.Yield or kind is ast.YieldFrom:
                    facts.yields.append(node)
                elif isinstance(node, _STATEMENTS_WITH_BINDINGS):
                    for target, value in _assignments(node):
                        facts.assignments.setdefault(target, []).append((node, value))
            if kind is ast.Name or kind is ast.Constant:
                continue
            inner = own and not isinstance(node, _NESTED_SCOPES)
            stack.extend((child, inner) for child in ast.iter_child_nodes(node))
        for assignments in facts.assignments.values():
            assignments.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
        return facts

    def value_before(self, name: ast.Name) -> tuple[bool, ast.expr | None]:
        """Whether a local name was bound before ``name`` is used, and to what (None: unknown)."""
        position = (name.lineno, name.col_offset)
        bound, found = False, None
        for statement, value in self.assignments.get(name.id, ()):
            if (statement.lineno, statement.col_offset) < position:
                bound, found = True, value
        return bound, found


