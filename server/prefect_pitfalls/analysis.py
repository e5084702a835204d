"""Where a function writes state: assignments, deletions and mutating calls, with scopes.

The state rules (PP101, PP102, PP103) share this one pass: each asks which
writes reach a name it cares about (``self``, a module-level object, a
parameter) and where to anchor them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator, Literal

MUTATING_METHODS = frozenset(
    "append extend insert pop popitem remove clear update setdefault add discard sort reverse "
    "appendleft extendleft".split()
)
MUTABLE_CONSTRUCTORS = frozenset(
    {
        "collections.Counter", "collections.defaultdict", "collections.OrderedDict", "collections.deque",
        "types.SimpleNamespace",
    }
)

WriteKind = Literal["store", "augstore", "delete", "call", "setattr"]
ScopeNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.comprehension
Resolution = Literal["local", "param", "global", "enclosing", "free"]


@dataclass(eq=False)
class Scope:
    node: ast.AST
    parent: Scope | None
    params: set[str] = field(default_factory=set)
    bound: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    stores: dict[str, list[ast.Name]] = field(default_factory=dict)

    def binds(self, name: str) -> bool:
        return (name in self.bound or name in self.params) and name not in self.globals and name not in self.nonlocals


@dataclass(frozen=True, eq=False)
class Write:
    """One write: ``target`` is what is assigned, deleted or mutated in place.

    ``root`` is the innermost expression of the target's attribute/subscript chain
    (a Name, or a call like ``type(self)``); ``chain`` holds the chain's nodes from
    the one right above the root outwards (``self.x`` then ``self.x.y`` then ...).
    """

    kind: WriteKind
    target: ast.expr
    root: ast.expr
    chain: tuple[ast.expr, ...]
    site: ast.AST
    scope: Scope

    @property
    def rebinds_name(self) -> bool:
        return not self.chain and self.kind in ("store", "augstore", "delete")

    def resolve(self) -> Resolution:
        assert isinstance(self.root, ast.Name)
        return resolve(self.root.id, self.scope)


def resolve(name: str, scope: Scope) -> Resolution:
    """How ``name`` used in ``scope`` resolves, relative to the analysed function."""
    current: Scope | None = scope
    through_nonlocal = False
    while current is not None:
        if name in current.globals:
            return "global"
        if name in current.nonlocals:
            through_nonlocal = True
            current = current.parent
            while current is not None and isinstance(current.node, ast.comprehension):
                current = current.parent
            continue
        if name in current.params and current.parent is None:
            return "param"
        if current.binds(name):
            return "local"
        current = current.parent
    return "enclosing" if through_nonlocal else "free"


def chain_of(target: ast.expr) -> tuple[ast.expr, tuple[ast.expr, ...]]:
    chain = []
    node = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        chain.append(node)
        node = node.value
    return node, tuple(reversed(chain))


@dataclass(frozen=True)
class FunctionAnalysis:
    scope: Scope
    writes: tuple[Write, ...]

    @property
    def local_names(self) -> set[str]:
        """Names the function binds locally, parameters included."""
        scope = self.scope
        return (scope.params | scope.bound) - scope.globals - scope.nonlocals


def analyse(function: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionAnalysis:
    """Every write in a function, nested functions, lambdas and comprehensions included."""
    collector = _WriteCollector()
    scope = collector.visit_scope(function, None)
    return FunctionAnalysis(scope, tuple(collector.writes))


class AnalysisCache:
    """Per-function results kept across versions of a document, for the trees reused as is.

    A result is computed from one function node only, so it stays right for as long as
    that node object is part of the document (its positions are read from the node).
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, Callable], tuple[ast.AST, object]] = {}
        self._used: set[tuple[int, Callable]] = set()

    def get(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionAnalysis:
        return self.computed(function, analyse)

    def computed(self, function: ast.AST, compute: Callable[[Any], Any]) -> Any:
        key = (id(function), compute)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not function:
            entry = self._entries[key] = (function, compute(function))
        self._used.add(key)
        return entry[1]

    def prune(self) -> None:
        """Forget the functions the last analysis did not ask for."""
        self._entries = {key: entry for key, entry in self._entries.items() if key in self._used}
        self._used = set()


class _WriteCollector:
    def __init__(self) -> None:
        self.writes: list[Write] = []
        self.scope: Scope | None = None

    # --- scopes ----------------------------------------------------------------

    def visit_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, parent: Scope | None) -> Scope:
        saved = self.scope
        scope = self.scope = Scope(node, parent)
        scope.params = {a.arg for a in all_args(node.args)}
        for child in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(child)
        self.scope = saved
        return scope

    def visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> bool:
        # The first iterable is evaluated in the enclosing scope.
        self.visit(node.generators[0].iter)
        saved = self.scope
        self.scope = Scope(node.generators[0], saved)
        for index, generator in enumerate(node.generators):
            self.scope.bound.update(_names_in_target(generator.target))
            if index:
                self.visit(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        for element in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            self.visit(element)
        self.scope = saved
        return True

    # --- traversal -------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        handlers = self.handlers
        stack = [node]
        while stack:
            current = stack.pop()
            handler = handlers.get(current.__class__)
            if handler is not None and handler(current):
                continue  # the handler took care of the children
            stack.extend(reversed(list(ast.iter_child_nodes(current))))

    @cached_property
    def handlers(self) -> dict[type, Callable[[Any], bool | None]]:
        """What to do per node type; a handler returning True has visited the children itself."""
        return {
            ast.Name: _is_leaf,
            ast.Constant: _is_leaf,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._lambda,
            ast.ListComp: self.visit_comprehension,
            ast.SetComp: self.visit_comprehension,
            ast.DictComp: self.visit_comprehension,
            ast.GeneratorExp: self.visit_comprehension,
            ast.ClassDef: lambda n: self.scope.bound.add(n.name),
            ast.Global: lambda n: self.scope.globals.update(n.names),
            ast.Nonlocal: lambda n: self.scope.nonlocals.update(n.names),
            ast.Assign: lambda n: [self._store(t, "store", n) for t in n.targets] and None,
            ast.AugAssign: lambda n: self._store(n.target, "augstore", n),
            ast.AnnAssign: self._annotated,
            ast.Delete: lambda n: [self._store(t, "delete", n) for t in n.targets] and None,
            ast.For: lambda n: self._store(n.target, "store", n),
            ast.AsyncFor: lambda n: self._store(n.target, "store", n),
            ast.withitem: lambda n: n.optional_vars is not None and self._store(n.optional_vars, "store", n),
            ast.NamedExpr: self._bind_walrus,
            ast.Import: self._import,
            ast.ImportFrom: self._import,
            ast.ExceptHandler: lambda n: n.name and self.scope.bound.add(n.name),
            ast.MatchAs: lambda n: n.name and self.scope.bound.add(n.name),
            ast.MatchStar: lambda n: n.name and self.scope.bound.add(n.name),
            ast.MatchMapping: lambda n: n.rest and self.scope.bound.add(n.rest),
            ast.Call: self._call,
        }

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        self.scope.bound.add(node.name)
        for expr in (*node.decorator_list, *_defaults(node.args)):
            self.visit(expr)
        self.visit_scope(node, self.scope)
        return True

    def _lambda(self, node: ast.Lambda) -> bool:
        for expr in _defaults(node.args):
            self.visit(expr)
        self.visit_scope(node, self.scope)
        return True

    def _annotated(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._store(node.target, "store", node)
        elif isinstance(node.target, ast.Name):
            self.scope.bound.add(node.target.id)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.scope.bound.add((alias.asname or alias.name).split(".")[0])

    def _bind_walrus(self, node: ast.NamedExpr) -> None:
        scope = self.scope
        while isinstance(scope.node, ast.comprehension) and scope.parent is not None:
            scope = scope.parent
        saved, self.scope = self.scope, scope
        self._store(node.target, "store", node)
        self.scope = saved

    def _store(self, target: ast.expr, kind: WriteKind, site: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store(element, kind, site)
            return
        if isinstance(target, ast.Starred):
            self._store(target.value, kind, site)
            return
        root, chain = chain_of(target)
        if isinstance(target, ast.Name):
            self.scope.bound.add(target.id)
            self.scope.stores.setdefault(target.id, []).append(target)
        self.writes.append(Write(kind, target, root, chain, site, self.scope))

    def _call(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS:
            root, chain = chain_of(func.value)
            self.writes.append(Write("call", func.value, root, chain, call, self.scope))
        elif isinstance(func, ast.Name) and func.id in ("setattr", "delattr") and call.args:
            root, chain = chain_of(call.args[0])
            self.writes.append(Write("setattr", call.args[0], root, chain, call, self.scope))


def _is_leaf(_: ast.AST) -> bool:
    return True


def is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"`, either way round."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def all_args(args: ast.arguments) -> Iterator[ast.arg]:
    yield from args.posonlyargs
    yield from args.args
    if args.vararg:
        yield args.vararg
    yield from args.kwonlyargs
    if args.kwarg:
        yield args.kwarg


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [d for d in (*args.defaults, *args.kw_defaults) if d is not None]


def _names_in_target(target: ast.expr) -> Iterator[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            yield node.id


def parameter_defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.arg, ast.expr]]:
    """(parameter, default) pairs of a function, positional and keyword-only."""
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return pairs


_DISPLAYS = {
    ast.List: "list", ast.Dict: "dict", ast.Set: "set",
    ast.ListComp: "list", ast.DictComp: "dict", ast.SetComp: "set",
}
_BUILTIN_CONSTRUCTORS = {"list", "dict", "set", "bytearray"}


def mutable_kind(
    value: ast.expr, qualname: Callable[[ast.expr], str | None], module_classes: set[str]
) -> str | None:
    """What mutable object an expression builds (``"list"``, ``"Counter"``, ...), if any."""
    kind = _DISPLAYS.get(type(value))
    if kind or not isinstance(value, ast.Call):
        return kind
    func = value.func
    resolved = qualname(func)
    if resolved in MUTABLE_CONSTRUCTORS:
        return resolved.rsplit(".", 1)[1]
    if isinstance(func, ast.Name) and resolved is None:
        if func.id in _BUILTIN_CONSTRUCTORS:
            return func.id
        if func.id in module_classes:
            return f"{func.id} instance"
    return None
