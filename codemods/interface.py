"""Class interfaces, statically: members with signatures, comparison, and typed uses.

Used by phase A (interface completeness).  Everything here reads source with
``ast`` and never imports the code under analysis.

* :func:`extract_members` turns a ``class`` statement into :class:`Member` records
  (methods, async methods, class/static methods, properties with or without a
  setter, ``@overload`` sets, class and instance attributes).
* :func:`compare_members` says whether a canonical member can stand in for a
  legacy one: kind (method / property / attribute / classmethod), sync vs async,
  and the parameter list (names, kinds, count, defaults).
* :class:`UseScanner` finds attribute uses on instances whose type the code makes
  clear: annotations (``x: Legacy``, ``Optional[Legacy]``, ``"Legacy"``),
  constructor calls, calls of factories known to return a legacy type, and
  ``self.attr`` holding any of those.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

from migrate.modindex import block_statements

POSONLY, POS, VARARG, KWONLY, VARKW = "posonly", "pos", "vararg", "kwonly", "varkw"

#: Dunder methods every class has through ``object``: never "missing".
OBJECT_DUNDERS = frozenset(dir(object))
BUILTIN_NAMES = frozenset(dir(builtins))

PROPERTY_DECORATORS = {"property", "cached_property"}
OVERLOAD_DECORATORS = {"overload"}


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # posonly | pos | vararg | kwonly | varkw
    default: str | None = None  # source text of the default, None when required
    annotation: str | None = None  # source text

    def render(self, *, annotations: bool = True, default: bool = True) -> str:
        star = "*" if self.kind == VARARG else "**" if self.kind == VARKW else ""
        text = star + self.name
        if annotations and self.annotation:
            text += f": {self.annotation}"
        if default and self.default is not None:
            text += f" = {self.default}" if annotations and self.annotation else f"={self.default}"
        return text


@dataclass(frozen=True)
class Member:
    """One public member of a class."""

    name: str
    kind: str  # method | classmethod | staticmethod | property | attribute | class
    is_async: bool = False
    params: tuple[Param, ...] = ()  # without self / cls
    returns: str | None = None  # return annotation (methods, properties)
    annotation: str | None = None  # attributes: declared type, when known
    settable: bool = False  # attributes, and properties with a setter
    overloads: int = 0  # number of @overload signatures before the implementation
    owner: str = ""  # "module:Class" that defines it (differs from the class for inherited members)
    path: str = ""
    line: int = 0

    @property
    def callable(self) -> bool:
        return self.kind in ("method", "classmethod", "staticmethod")

    def signature(self, *, annotations: bool = False) -> str:
        """``(a, b=1, *, c)``: the parameter list as a caller sees it."""
        parts: list[str] = []
        seen_kwonly = False
        for i, p in enumerate(self.params):
            if p.kind == KWONLY and not seen_kwonly and not any(q.kind == VARARG for q in self.params):
                parts.append("*")
            seen_kwonly = seen_kwonly or p.kind in (KWONLY, VARARG)
            parts.append(p.render(annotations=annotations))
            if p.kind == POSONLY and (i + 1 == len(self.params) or self.params[i + 1].kind != POSONLY):
                parts.append("/")
        return "(" + ", ".join(parts) + ")"

    def describe(self) -> str:
        if self.kind == "attribute":
            return f"attribute {self.name}"
        if self.kind == "property":
            return f"property {self.name}" + (" (settable)" if self.settable else "")
        if self.kind == "class":
            return f"nested class {self.name}"
        prefix = {"classmethod": "@classmethod ", "staticmethod": "@staticmethod "}.get(self.kind, "")
        return f"{prefix}{'async ' if self.is_async else ''}def {self.name}{self.signature()}"


@dataclass(frozen=True)
class ClassInfo:
    key: str  # "module:Name" where the class statement is
    name: str
    module: str
    path: str
    line: int
    own: tuple[Member, ...] = ()
    bases: tuple[str, ...] = ()  # resolved "module:Name" keys of repo classes, in order
    external_bases: tuple[str, ...] = ()  # bases outside the repository or not resolvable
    members: tuple[Member, ...] = ()  # own + inherited (first definition in MRO order wins)

    def member(self, name: str) -> Member | None:
        for m in self.members:
            if m.name == name:
                return m
        return None

    def member_map(self) -> dict[str, Member]:
        return {m.name: m for m in self.members}


def is_public(name: str) -> bool:
    if name.startswith("__") and name.endswith("__"):
        return name == "__init__" or name not in OBJECT_DUNDERS
    return not name.startswith("_")


def source_of(source: str, node: ast.AST | None) -> str | None:
    """The node's source text (original quotes and spelling), one line."""
    if node is None:
        return None
    text = ast.get_source_segment(source, node)
    if text is None or "\n" in text or "#" in text:
        text = ast.unparse(node)
    return text


def _decorator_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    out = []
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Name):
            out.append(target.id)
        elif isinstance(target, ast.Attribute):
            # ``typing.overload`` -> overload; ``x.setter`` -> x.setter
            if target.attr in ("setter", "getter", "deleter") and isinstance(target.value, ast.Name):
                out.append(f"{target.value.id}.{target.attr}")
            else:
                out.append(target.attr)
    return out


def params_of(args: ast.arguments, source: str, *, drop_first: bool) -> tuple[Param, ...]:
    out: list[Param] = []
    positional = [(a, POSONLY) for a in args.posonlyargs] + [(a, POS) for a in args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for (a, kind), d in zip(positional, defaults):
        out.append(Param(a.arg, kind, source_of(source, d), source_of(source, a.annotation)))
    if drop_first and out:
        out.pop(0)
    if args.vararg:
        out.append(Param(args.vararg.arg, VARARG, None, source_of(source, args.vararg.annotation)))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(Param(a.arg, KWONLY, source_of(source, d), source_of(source, a.annotation)))
    if args.kwarg:
        out.append(Param(args.kwarg.arg, VARKW, None, source_of(source, args.kwarg.annotation)))
    return tuple(out)


def class_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a class body, looking into ``if``/``try`` blocks."""
    return block_statements(body, with_blocks=False)


def extract_members(node: ast.ClassDef, source: str, *, owner: str, path: str) -> tuple[Member, ...]:
    """Public members defined by the class statement itself (not inherited)."""
    members: dict[str, Member] = {}
    overloads: dict[str, int] = {}
    instance_attrs: dict[str, tuple[str | None, int]] = {}
    for stmt in class_statements(node.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            decos = _decorator_names(stmt)
            if any(d in OVERLOAD_DECORATORS for d in decos):
                overloads[stmt.name] = overloads.get(stmt.name, 0) + 1
                continue
            setter = next((d for d in decos if d.endswith((".setter", ".deleter"))), None)
            if setter is not None:
                prop = members.get(setter.split(".")[0])
                if prop is not None and prop.kind == "property" and setter.endswith(".setter"):
                    members[prop.name] = _replace(prop, settable=True)
                continue
            if any(d in PROPERTY_DECORATORS for d in decos):
                kind = "property"
            elif "classmethod" in decos:
                kind = "classmethod"
            elif "staticmethod" in decos:
                kind = "staticmethod"
            else:
                kind = "method"
            params = params_of(stmt.args, source, drop_first=kind != "staticmethod")
            member = Member(
                stmt.name,
                kind,
                is_async=isinstance(stmt, ast.AsyncFunctionDef),
                params=() if kind == "property" else params,
                returns=source_of(source, stmt.returns),
                annotation=source_of(source, stmt.returns) if kind == "property" else None,
                overloads=overloads.get(stmt.name, 0),
                owner=owner,
                path=path,
                line=stmt.lineno,
            )
            members[stmt.name] = member
            if kind in ("method",) and stmt.args.args:
                _collect_self_attrs(stmt, stmt.args.args[0].arg, source, instance_attrs)
        elif isinstance(stmt, ast.ClassDef):
            members[stmt.name] = Member(stmt.name, "class", owner=owner, path=path, line=stmt.lineno)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            ann = source_of(source, stmt.annotation) if isinstance(stmt, ast.AnnAssign) else None
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and n.id not in members:
                        members[n.id] = Member(n.id, "attribute", annotation=ann, settable=True, owner=owner, path=path, line=stmt.lineno)
    # Overload stubs with no implementation (stub-like classes): the last stub is the signature.
    for stmt in class_statements(node.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name not in members and stmt.name in overloads:
            members[stmt.name] = Member(
                stmt.name, "method", isinstance(stmt, ast.AsyncFunctionDef),
                params_of(stmt.args, source, drop_first=True), source_of(source, stmt.returns),
                overloads=overloads[stmt.name], owner=owner, path=path, line=stmt.lineno,
            )
    for name, (ann, line) in instance_attrs.items():
        if name not in members:
            members[name] = Member(name, "attribute", annotation=ann, settable=True, owner=owner, path=path, line=line)
    return tuple(m for m in members.values() if is_public(m.name))


def _collect_self_attrs(fn: ast.FunctionDef | ast.AsyncFunctionDef, self_name: str, source: str, out: dict) -> None:
    param_ann = {a.arg: source_of(source, a.annotation) for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
    for n in own_nodes(fn.body):
        targets: list[ast.expr] = []
        ann: str | None = None
        value = None
        if isinstance(n, ast.Assign):
            targets, value = n.targets, n.value
        elif isinstance(n, ast.AnnAssign):
            targets, value, ann = [n.target], n.value, source_of(source, n.annotation)
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name:
                if ann is None and isinstance(value, ast.Name):
                    ann = param_ann.get(value.id)
                prev = out.get(t.attr)
                if prev is None or (prev[0] is None and ann is not None):
                    out[t.attr] = (ann, n.lineno)


def _replace(m: Member, **kw) -> Member:
    from dataclasses import replace

    return replace(m, **kw)


def merge_mro(own: Mapping[str, tuple[Member, ...]], bases: Mapping[str, tuple[str, ...]], key: str) -> tuple[Member, ...]:
    """Own members first, then bases depth-first left to right (first definition wins)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(k: str) -> None:
        if k in seen:
            return
        seen.add(k)
        order.append(k)
        for b in bases.get(k, ()):
            visit(b)

    visit(key)
    out: dict[str, Member] = {}
    for k in order:
        for m in own.get(k, ()):
            out.setdefault(m.name, m)
    return tuple(out.values())


# -- comparison -----------------------------------------------------------------------

SAME, COMPATIBLE, INCOMPATIBLE = "same", "compatible", "incompatible"


@dataclass(frozen=True)
class Comparison:
    kind_problem: str | None = None  # property vs method, classmethod vs method, ...
    async_problem: str | None = None
    signature: str = SAME  # same | compatible | incompatible
    differences: tuple[str, ...] = ()


def _norm(expr: str | None) -> str | None:
    if expr is None:
        return None
    try:
        return ast.unparse(ast.parse(expr, mode="eval"))
    except SyntaxError:
        return expr


def compare_members(legacy: Member, canon: Member) -> Comparison:
    kind_problem = _kind_problem(legacy, canon)
    async_problem = None
    if legacy.callable and canon.callable and legacy.is_async != canon.is_async:
        async_problem = (
            f"{'async' if legacy.is_async else 'sync'} in the legacy class, "
            f"{'async' if canon.is_async else 'sync'} in the canonical class"
            + (" (callers `await` it)" if legacy.is_async else " (callers do not await it)")
        )
    if not (legacy.callable and canon.callable):
        return Comparison(kind_problem, async_problem)
    verdict, diffs = compare_params(legacy.params, canon.params)
    return Comparison(kind_problem, async_problem, verdict, tuple(diffs))


def _kind_problem(legacy: Member, canon: Member) -> str | None:
    lk, ck = legacy.kind, canon.kind
    if lk == ck:
        if lk == "property" and legacy.settable and not canon.settable:
            return "settable property in the legacy class, read-only in the canonical class"
        return None
    data = {"property", "attribute"}
    if lk in data and ck in data:
        if legacy.settable and not canon.settable:
            return f"settable {lk} in the legacy class, read-only {ck} in the canonical class"
        return None
    if lk in ("classmethod", "staticmethod") and ck == "method":
        return f"{lk} in the legacy class, instance method in the canonical class (calls on the class break)"
    if lk == "method" and ck in ("classmethod", "staticmethod"):
        return None  # instance calls still work
    if lk in ("classmethod", "staticmethod") and ck in ("classmethod", "staticmethod"):
        return None
    return f"{lk} in the legacy class, {ck} in the canonical class"


def compare_params(legacy: tuple[Param, ...], canon: tuple[Param, ...]) -> tuple[str, list[str]]:
    """Can every call the legacy signature accepts be made to the canonical one?"""
    problems: list[str] = []
    notes: list[str] = []
    l_pos = [p for p in legacy if p.kind in (POSONLY, POS)]
    c_pos = [p for p in canon if p.kind in (POSONLY, POS)]
    c_by_name = {p.name: p for p in canon if p.kind in (POS, KWONLY)}
    c_var = any(p.kind == VARARG for p in canon)
    c_kw = any(p.kind == VARKW for p in canon)
    matched: set[str] = set()

    def check_default(lp: Param, cp: Param) -> None:
        if lp.default is not None and cp.default is None:
            problems.append(f"'{lp.name}' is optional in the legacy class, required in the canonical class")
        elif lp.default is not None and _norm(lp.default) != _norm(cp.default):
            notes.append(f"default of '{lp.name}' differs: {lp.default} (legacy) vs {cp.default} (canonical)")

    for i, lp in enumerate(l_pos):
        if i < len(c_pos):
            cp = c_pos[i]
            matched.add(cp.name)
            if cp.name != lp.name:
                if lp.kind == POS:
                    problems.append(f"parameter {i + 1} is '{lp.name}' in the legacy class, '{cp.name}' in the canonical class")
                else:
                    notes.append(f"positional-only parameter {i + 1} renamed '{lp.name}' -> '{cp.name}'")
            elif lp.kind == POS and cp.kind == POSONLY:
                problems.append(f"'{lp.name}' is positional-only in the canonical class (keyword callers break)")
            check_default(lp, cp)
        elif c_var:
            # Positional callers land in *args; keyword callers need a parameter of that name.
            if lp.kind == POS and lp.name not in c_by_name and not c_kw:
                problems.append(f"'{lp.name}' can only be passed positionally to the canonical class (through *args)")
        else:
            cp = c_by_name.get(lp.name)
            if cp is not None and cp.kind == KWONLY:
                problems.append(f"'{lp.name}' is keyword-only in the canonical class (positional callers break)")
                matched.add(cp.name)
            else:
                problems.append(f"the canonical class lacks parameter '{lp.name}'")
    for lp in legacy:
        if lp.kind != KWONLY:
            continue
        cp = c_by_name.get(lp.name)
        if cp is not None:
            matched.add(cp.name)
            check_default(lp, cp)
            if cp.kind == POS:
                notes.append(f"'{lp.name}' is keyword-only in the legacy class, positional-or-keyword in the canonical class")
        elif not c_kw:
            problems.append(f"the canonical class lacks keyword parameter '{lp.name}'")
    if any(p.kind == VARARG for p in legacy) and not c_var:
        problems.append("the legacy class accepts *args, the canonical class does not")
    if any(p.kind == VARKW for p in legacy) and not c_kw:
        problems.append("the legacy class accepts **kwargs, the canonical class does not")
    for i, cp in enumerate(canon):
        if cp.kind in (VARARG, VARKW) or cp.name in matched:
            continue
        if cp.kind in (POSONLY, POS) and cp in c_pos and c_pos.index(cp) < len(l_pos):
            continue
        if cp.default is None:
            problems.append(f"the canonical class requires '{cp.name}', which the legacy class does not have")
        else:
            notes.append(f"the canonical class adds optional '{cp.name}'")
    if problems:
        return INCOMPATIBLE, problems + notes
    shape_l = [(p.name, p.kind, p.default is None) for p in legacy]
    shape_c = [(p.name, p.kind, p.default is None) for p in canon]
    if shape_l != shape_c or notes:
        return COMPATIBLE, notes or ["parameter lists differ in a compatible way"]
    return SAME, []


# -- walking helpers ------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def own_nodes(stmts: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``stmts`` without descending into nested scopes (their def node is yielded)."""
    todo = list(stmts)[::-1]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, _SCOPES):
            # Decorators, defaults and annotations are evaluated in the enclosing scope.
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                extra = list(node.decorator_list) + list(node.args.defaults) + [d for d in node.args.kw_defaults if d]
                todo.extend(extra[::-1])
            elif isinstance(node, ast.ClassDef):
                todo.extend((list(node.decorator_list) + node.bases + [k.value for k in node.keywords])[::-1])
            continue
        todo.extend(list(ast.iter_child_nodes(node))[::-1])


def all_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included, without visiting expressions (imports are statements)."""
    todo = list(body)[::-1]
    while todo:
        node = todo.pop()
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            sub = getattr(node, name, None)
            if isinstance(sub, list):
                todo.extend(sub[::-1])


def file_bindings(tree: ast.Module, package: str | None) -> dict[str, tuple[str, ...]]:
    """Names bound by imports anywhere in the file: local -> ("sym", module, name) | ("mod", module)."""
    from migrate.modindex import resolve_relative

    out: dict[str, tuple[str, ...]] = {}
    for node in all_statements(tree.body):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = ("mod", a.name)
                else:
                    root = a.name.split(".")[0]
                    out.setdefault(root, ("mod", root))
        elif isinstance(node, ast.ImportFrom):
            src = resolve_relative(package or "", node.level, node.module) if node.level else node.module
            if not src:
                continue
            for a in node.names:
                if a.name != "*":
                    out[a.asname or a.name] = ("sym", src, a.name)
    return out


def dotted_ref(expr: ast.AST, bindings: Mapping[str, tuple[str, ...]], local_classes: Mapping[str, str]) -> tuple[str, str] | None:
    """``(module, name)`` that a Name / attribute chain refers to, through the file's imports."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.reverse()
    head = expr.id
    if head in local_classes and not parts:
        mod, _, name = local_classes[head].partition(":")
        return mod, name
    how = bindings.get(head)
    if how is None:
        return None
    if how[0] == "sym":
        if not parts:
            return how[1], how[2]
        # ``from pkg import mod`` then ``mod.Class``
        return ".".join([how[1], how[2], *parts[:-1]]), parts[-1]
    if not parts:
        return None
    return ".".join([how[1], *parts[:-1]]), parts[-1]


# -- typed uses -----------------------------------------------------------------------


@dataclass(frozen=True)
class TypeLookup:
    """How a worker recognises legacy types: all picklable."""

    classes: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (module, name) -> class key
    by_name: Mapping[str, str] = field(default_factory=dict)  # unique bare class name -> key (re-export fallback)
    factories: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (module, function) -> class key
    shadowed: frozenset[str] = frozenset()  # names that must not use the bare-name fallback

    def class_key(self, ref: tuple[str, str] | None) -> str | None:
        if ref is None:
            return None
        hit = self.classes.get(ref)
        if hit is None and ref[1] in self.by_name and ref[1] not in self.shadowed:
            hit = self.by_name[ref[1]]
        return hit

    def factory_key(self, ref: tuple[str, str] | None) -> str | None:
        return None if ref is None else self.factories.get(ref)


@dataclass(frozen=True)
class Use:
    key: str  # legacy class key
    attr: str
    line: int
    col: int
    how: str  # read (incl. calls) | store | class (``Legacy.attr``)


_SELF = "\0self:"  # env marker for the first parameter of a method: "\0self:<class key>"


class UseScanner:
    """Find attribute uses on instances of legacy types in one module."""

    def __init__(
        self,
        tree: ast.Module,
        module: str | None,
        package: str | None,
        lookup: TypeLookup,
        *,
        source: bytes | None = None,
        words: "re.Pattern[bytes] | None" = None,
    ) -> None:
        self.tree = tree
        self.module = module or ""
        self.lookup = lookup
        #: With ``source`` and ``words`` (the legacy class and factory names), a function or
        #: class whose text names none of them, and into which no typed name flows, is skipped.
        self.lines = source.splitlines(keepends=True) if source is not None and words is not None else None
        self.bindings = file_bindings(tree, package)
        aliases = sorted(
            local for local, how in self.bindings.items()
            if how[0] == "sym" and (lookup.class_key((how[1], how[2])) or lookup.factory_key((how[1], how[2])))
        )
        if words is not None and aliases:
            words = re.compile(words.pattern + rb"|\b(?:" + b"|".join(re.escape(a.encode()) for a in aliases) + rb")\b")
        self.words = words
        self.local_classes: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and module:
                self.local_classes[node.name] = f"{module}:{node.name}"
        self.uses: list[Use] = []

    # type inference -----------------------------------------------------------------
    def ann_type(self, ann: ast.AST | None) -> str | None:
        if ann is None:
            return None
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                return self.ann_type(ast.parse(ann.value, mode="eval").body)
            except SyntaxError:
                return None
        if isinstance(ann, (ast.Name, ast.Attribute)):
            return self.class_of(ann)
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
            return _one([self.ann_type(ann.left), self.ann_type(ann.right)], (ann.left, ann.right))
        if isinstance(ann, ast.Subscript):
            head = ann.value.attr if isinstance(ann.value, ast.Attribute) else getattr(ann.value, "id", "")
            if head in ("Optional", "Union"):
                elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
                return _one([self.ann_type(e) for e in elts], elts)
        return None

    def class_of(self, expr: ast.AST) -> str | None:
        return self.lookup.class_key(dotted_ref(expr, self.bindings, self.local_classes))

    def expr_type(self, expr: ast.AST | None, env: Mapping[str, str]) -> str | None:
        if expr is None:
            return None
        if isinstance(expr, ast.Await):
            expr = expr.value
            if not isinstance(expr, ast.Call):
                return None
        if isinstance(expr, ast.Call):
            ref = dotted_ref(expr.func, self.bindings, self.local_classes)
            return self.lookup.class_key(ref) or self.lookup.factory_key(ref)
        if isinstance(expr, ast.Name):
            t = env.get(expr.id)
            return None if t is None or t.startswith("\0") else t
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
            marker = env.get(expr.value.id, "")
            if marker.startswith(_SELF):
                return env.get(f"{marker}.{expr.attr}")
        if isinstance(expr, ast.IfExp):
            return _one([self.expr_type(expr.body, env), self.expr_type(expr.orelse, env)], (expr.body, expr.orelse))
        return None

    def scope_env(self, stmts: list[ast.stmt], env: dict[str, str]) -> dict[str, str]:
        """Names whose every assignment in this scope gives one legacy type (or None)."""
        env = dict(env)
        assigned: dict[str, set[str | None]] = {}
        for _ in range(2):  # twice: ``b = a`` after ``a = Legacy()``
            assigned.clear()
            for n in own_nodes(stmts):
                if isinstance(n, ast.Assign):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            assigned.setdefault(t.id, set()).add(_none_or(n.value, lambda v: self.expr_type(v, env)))
                        elif isinstance(t, (ast.Tuple, ast.List)):
                            for e in ast.walk(t):
                                if isinstance(e, ast.Name):
                                    assigned.setdefault(e.id, set()).add("\0unknown")
                elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
                    assigned.setdefault(n.target.id, set()).add(self.ann_type(n.annotation) or "\0unknown")
                elif isinstance(n, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr, ast.AugAssign)):
                    for e in ast.walk(getattr(n, "target", None) or ast.Pass()):
                        if isinstance(e, ast.Name):
                            assigned.setdefault(e.id, set()).add("\0unknown")
                    if isinstance(n, (ast.With, ast.AsyncWith)):
                        for item in n.items:
                            for e in ast.walk(item.optional_vars or ast.Pass()):
                                if isinstance(e, ast.Name):
                                    assigned.setdefault(e.id, set()).add("\0unknown")
                elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    assigned.setdefault(n.name, set()).add("\0unknown")
            for name, types in assigned.items():
                kinds = {t for t in types if t != "\0none"}
                if len(kinds) == 1 and not next(iter(kinds)).startswith("\0"):
                    env[name] = next(iter(kinds))
                elif not (name in env and env[name].startswith(_SELF)):
                    env.pop(name, None)
        return env

    # walking ------------------------------------------------------------------------
    def scan(self) -> list[Use]:
        module_env = self.scope_env(self.tree.body, {})
        self._walk(self.tree.body, module_env)
        return self.uses

    def _walk(self, stmts: list[ast.stmt], env: dict[str, str], self_name: str | None = None) -> None:
        for n in own_nodes(stmts):
            if isinstance(n, ast.Attribute):
                self._record(n, env, self_name)
            elif isinstance(n, ast.ClassDef):
                self._class(n, env)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(n, env)
            elif isinstance(n, ast.Lambda):
                self._walk([ast.Expr(n.body)], env)

    def _irrelevant(self, node: ast.AST, env: Mapping[str, str]) -> bool:
        """True when ``node`` cannot hold a use: no legacy word in its text and no typed name flows in."""
        if self.lines is None or self.words is None:
            return False
        if any(not v.startswith("\0") for v in env.values()):
            return False
        start, end = node.lineno, getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
        decorators = getattr(node, "decorator_list", None) or []
        if decorators:
            start = min(start, *(d.lineno for d in decorators))
        return not self.words.search(b"".join(self.lines[start - 1 : end]))

    def _function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, outer: dict[str, str], self_marker: str | None = None) -> None:
        if self._irrelevant(fn, outer):
            return
        env = {k: v for k, v in outer.items() if not k.startswith(_SELF)}
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs + [a for a in (fn.args.vararg, fn.args.kwarg) if a]
        for a in args:
            env.pop(a.arg, None)
            t = self.ann_type(a.annotation)
            if t:
                env[a.arg] = t
        self_name = None
        if self_marker is not None and (fn.args.posonlyargs + fn.args.args):
            self_name = (fn.args.posonlyargs + fn.args.args)[0].arg
            env[self_name] = self_marker
            env.update({k: v for k, v in outer.items() if k.startswith(_SELF)})
        env = self.scope_env(fn.body, env)
        self._walk(fn.body, env, self_name)

    def _class(self, cls: ast.ClassDef, outer: dict[str, str]) -> None:
        if self._irrelevant(cls, outer):
            return
        key = self.local_classes.get(cls.name, f"{self.module}:{cls.name}")
        marker = f"{_SELF}{key}"
        attrs: dict[str, str] = {}
        # self.attr types: class-level annotations and assignments in every method.
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                t = self.ann_type(stmt.annotation)
                if t:
                    attrs[f"{marker}.{stmt.target.id}"] = t
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and (stmt.args.posonlyargs + stmt.args.args):
                env = {k: v for k, v in outer.items() if not k.startswith(_SELF)}
                for a in stmt.args.posonlyargs + stmt.args.args + stmt.args.kwonlyargs:
                    t = self.ann_type(a.annotation)
                    if t:
                        env[a.arg] = t
                env = self.scope_env(stmt.body, env)
                self_name = (stmt.args.posonlyargs + stmt.args.args)[0].arg
                for n in own_nodes(stmt.body):
                    value, targets = None, []
                    if isinstance(n, ast.Assign):
                        value, targets = n.value, n.targets
                    elif isinstance(n, ast.AnnAssign):
                        value, targets = None, [n.target]
                        t = self.ann_type(n.annotation)
                        if t and isinstance(n.target, ast.Attribute):
                            attrs[f"{marker}.{n.target.attr}"] = t
                            continue
                    for tgt in targets:
                        if isinstance(tgt, ast.Attribute) and isinstance(tgt.value, ast.Name) and tgt.value.id == self_name:
                            t = self.expr_type(value, env)
                            k = f"{marker}.{tgt.attr}"
                            if t is None:
                                if not (isinstance(value, ast.Constant) and value.value is None):
                                    attrs.setdefault(k, "\0unknown")
                            elif attrs.get(k, t) != t:
                                attrs[k] = "\0unknown"
                            else:
                                attrs[k] = t
        attrs = {k: v for k, v in attrs.items() if not v.startswith("\0")}
        class_env = {k: v for k, v in outer.items() if not k.startswith(_SELF)}
        class_env.update(attrs)
        for n in own_nodes(cls.body):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decos = _decorator_names(n)
                static = "staticmethod" in decos or "classmethod" in decos
                self._function(n, class_env, None if static else marker)
            elif isinstance(n, ast.ClassDef):
                self._class(n, outer)
            elif isinstance(n, ast.Attribute):
                self._record(n, outer, None)
            elif isinstance(n, ast.Lambda):
                self._walk([ast.Expr(n.body)], outer)

    def _record(self, node: ast.Attribute, env: Mapping[str, str], self_name: str | None) -> None:
        value = node.value
        if self_name is not None and isinstance(value, ast.Name) and value.id == self_name:
            return  # the class's own use of itself: not a caller
        key = self.expr_type(value, env)
        how = "read"
        if key is None and isinstance(value, (ast.Name, ast.Attribute)) and not (isinstance(value, ast.Name) and value.id in env):
            key = self.class_of(value)
            how = "class"
        if key is None:
            return
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            how = "store"
        elif how != "class":
            how = "read"
        self.uses.append(Use(key, node.attr, node.lineno, node.col_offset, how))


def _none_or(value: ast.AST | None, fn) -> str | None:
    if isinstance(value, ast.Constant) and value.value is None:
        return "\0none"
    return fn(value) or "\0unknown"


def _one(types: list[str | None], nodes) -> str | None:
    """The single legacy type among union members (``None`` members ignored)."""
    found = set()
    for t, n in zip(types, nodes):
        if t is not None:
            found.add(t)
        elif not (isinstance(n, ast.Constant) and n.value is None) and not (isinstance(n, ast.Name) and n.id == "None"):
            return None
    return found.pop() if len(found) == 1 else None
