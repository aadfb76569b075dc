"""Phase D: every legacy factory call rewritten to the single factory.

What it does
    Each call that resolves, *by binding*, to a legacy way of making a manager
    (a module function, a classmethod or staticmethod, a method on a factory
    instance, a constructor) becomes one call to the target factory, e.g.
    ``await create_websocket_manager(ctx)`` -> ``get_websocket_manager(ctx, mode="isolated")``.
    The rules in ``[tool.ssot-migrate.factories]`` say, per legacy callable, how
    its arguments (positional or keyword, with their defaults) map onto the
    target's parameters and whether each side is async.  ``await`` follows: it
    is removed when an async legacy callable becomes a sync target, added (only
    inside ``async def``) when a sync one becomes an async target.  The target
    is imported where the legacy binding was (merged into an existing import of
    the target module when there is one), legacy factory imports that became
    unused are removed, and a test's ``mock.patch("consumer.legacy_factory")``
    moves with the consumer's binding.

Why
    Every factory made its own manager with its own connection registry: a
    connection registered through one was invisible to the others, and events
    were dropped.  And when a factory silently changed from async to sync, its
    awaited call sites broke at runtime, one by one.

What it never does
    Rewrite a call it cannot resolve to a legacy callable through imports (a
    local function with the same name is left alone); rewrite a method call
    unless the receiver is provably a legacy factory (constructed or returned
    by a declared getter right there, assigned from one in the same scope, or
    annotated with the class); guess: calls passed as values, ``*args`` /
    ``**kwargs``, calls that do not match the legacy signature, an ``await`` it
    cannot add, names it cannot bind, are reported with file:line and left.
    Calls whose behaviour changes (an awaited sync factory, a factory that no
    longer exists, a rule marked with ``behaviour``) are rewritten but listed
    apart from the pure rewrites.  The modules that define the legacy
    callables and the target are never rewritten.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import (
    BuiltinAssignment,
    ClassScope,
    FunctionScope,
    GlobalScope,
    ImportAssignment,
    Scope,
)

from migrate.discovery import matches_any
from migrate.modindex import ModuleIndex, build_index, find_module_file, resolve_relative
from migrate.phase import Phase, RunContext
from migrate.results import FileOutcome, Plan, RefFact, Report, Severity, Status
from migrate.verify import VerifyPolicy

from . import register
from .cstutil import module_all_names, render_preserving
from .factories import (
    KWONLY,
    POS,
    POSONLY,
    VARKW,
    VARPOS,
    FactoryTable,
    Param,
    Rule,
    TargetInfo,
    literal,
    resolve_table,
)
from .phase_c import (
    PATCH_CALLEES,
    _dotted,
    _fix_commas,
    _has_comments,
    _import_pairs,
    _is_single_line,
    _paren_tail,
    _without_comments,
)

#: Calls whose argument a class may be without being used as a factory.
_TYPE_CHECKS = {
    "isinstance", "issubclass", "type", "cast", "TypeVar", "Type", "Optional", "Union",
    "getattr", "hasattr", "setattr", "delattr", "callable", "id", "repr", "str", "vars", "dir", "print",
}
#: ``mock.patch(target, **kw)`` keywords that hand the test's own callable to the patch.
_MOCK_CALLABLE_KW = ("new", "side_effect", "wraps", "new_callable", "autospec")


@dataclass(frozen=True)
class DPayload:
    table: FactoryTable
    protected: frozenset[str]
    pattern: bytes


# -- facts shipped from workers ---------------------------------------------------


@dataclass(frozen=True)
class SiteFact:
    """A rewritten node, for self-verification: its start (line, byte column) and new code."""

    line: int
    col: int
    end_line: int
    end_col: int
    kind: str  # "Call" | "Await" | "str"
    code: str


@dataclass(frozen=True)
class AwaitFact:
    """A call site whose ``await`` changed, or could not (for the per-rule summary)."""

    rule: int
    path: str
    line: int
    change: str  # removed | added | not-rewritten
    code: str


@dataclass(frozen=True)
class RuleHit:
    rule: int
    path: str
    line: int
    rewritten: bool
    category: str = "pure"  # pure | await | behaviour | left


# -- the phase ----------------------------------------------------------------------


@register
class PhaseD(Phase):
    """D (factories): every legacy factory call rewritten to the single factory."""

    letter = "D"
    title = "factories"
    needs = ()
    cross_file = True  # a call's meaning depends on the summaries of the modules it imports

    def spec_errors(self, spec, index):  # type: ignore[override]
        _, errors = resolve_table(spec, index)
        return errors

    def prepare(self, spec, index, options):  # type: ignore[override]
        table, errors = resolve_table(spec, index)
        assert table is not None, errors
        names = sorted(table.names | _renamed_reexports(spec, table), key=lambda n: (-len(n), n))  # deterministic: cache keys hash it
        pattern = rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b" if names else rb"(?!)"
        return DPayload(table, spec.protected_modules | table.modules, pattern)

    def prefilter(self, ctx: RunContext) -> re.Pattern[bytes]:
        return re.compile(ctx.payload.pattern)

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        payload: DPayload = ctx.payload
        modinfo = ctx.index.module_for_path(path)
        module_name = modinfo[0] if modinfo else None
        if module_name is not None and module_name in payload.protected:
            return FileOutcome(
                path,
                Status.UNCHANGED,
                reports=(
                    Report(
                        path, 1, "D000",
                        f"{module_name} defines a legacy factory or the target (or is named by the move map): not rewritten",
                        Severity.INFO,
                    ),
                ),
            )
        try:
            module = cst.parse_module(data)
        except cst.ParserSyntaxError as exc:
            return FileOutcome(path, Status.SKIPPED, reason=f"does not parse: line {exc.raw_line}: {exc.message}")
        analyzer = Analyzer(ctx, path, data, module, modinfo)
        new_module = analyzer.run()
        reports = tuple(sorted(set(analyzer.reports)))
        facts = tuple(analyzer.facts)
        if new_module is None:
            return FileOutcome(path, Status.UNCHANGED, reports=reports, facts=facts)
        after = render_preserving(data, module, new_module)
        if after is None:
            return FileOutcome(path, Status.FAILED, reports=reports, reason="cannot keep the untouched bytes of this file exactly")
        if after == data:
            return FileOutcome(path, Status.UNCHANGED, reports=reports, facts=facts)
        facts = facts + tuple(analyzer.site_facts(new_module))
        return FileOutcome(path, Status.CHANGED, before=data, after=after, edits=analyzer.edit_count, reports=reports, facts=facts)

    def verify_policy(self, ctx: RunContext, outcome: FileOutcome) -> VerifyPolicy:
        sites = [f for f in outcome.facts if isinstance(f, SiteFact)]
        return VerifyPolicy(expr_kinds=(), expect=_expectation(sites))

    def check_output(self, ctx: RunContext, outcome: FileOutcome) -> list[str]:
        """Imports the rewrite introduced must be the targets, and resolve."""
        table: FactoryTable = ctx.payload.table
        modinfo = ctx.index.module_for_path(outcome.path)
        package = None
        if modinfo:
            package = modinfo[0] if modinfo[1] else modinfo[0].rpartition(".")[0]
        new = _import_pairs(outcome.after or b"", package) - _import_pairs(outcome.before or b"", package)
        allowed = {(t.module, t.name) for t in table.targets}
        problems = []
        for mod, name in sorted(new, key=str):
            if (mod, name) not in allowed:
                problems.append(f"introduced import {mod}{':' + name if name else ''} is not a factory target")
            elif table.index is not None and not (table.index.get(mod) and table.index.get(mod).defines(name)):  # type: ignore[union-attr]
                problems.append(f"introduced import {mod}:{name} does not resolve")
        return problems

    def finalize(self, ctx: RunContext, plan: Plan) -> list[Report]:
        table: FactoryTable = ctx.payload.table
        awaits: dict[int, list[AwaitFact]] = {}
        hits: dict[int, list[RuleHit]] = {}
        for o in plan.outcomes:
            for f in o.facts:
                if isinstance(f, AwaitFact):
                    awaits.setdefault(f.rule, []).append(f)
                elif isinstance(f, RuleHit):
                    hits.setdefault(f.rule, []).append(f)
        out: list[Report] = []
        every = [h for hs in hits.values() for h in hs]
        if every:
            n = {c: sum(1 for h in every if h.category == c) for c in ("pure", "await", "behaviour", "left")}
            rewritten = n["pure"] + n["await"] + n["behaviour"]
            out.append(
                Report(
                    table.spec_rel, table.section_line, "D002",
                    f"{rewritten} call(s) rewritten: {n['pure']} pure (D001, shown with -v), {n['await']} with their "
                    f"`await` changed (D301/D302), {n['behaviour']} behaviour change(s) (D2xx); "
                    f"{n['left']} left for you (D1xx)",
                    Severity.WARNING if n["behaviour"] or n["left"] else Severity.INFO,
                )
            )
        for rule in table.rules:
            rh = hits.get(rule.index, [])
            if rule.is_async != rule.target.is_async and awaits.get(rule.index):
                facts = sorted(awaits.get(rule.index, []), key=lambda f: (f.path, f.line))
                removed = [f for f in facts if f.change == "removed"]
                added = [f for f in facts if f.change == "added"]
                left = [f for f in facts if f.change == "not-rewritten"]
                legacy = "async" if rule.is_async else "sync"
                target = "async" if rule.target.is_async else "sync"
                parts = []
                if removed:
                    parts.append(f"{len(removed)} `await` removed")
                if added:
                    parts.append(f"{len(added)} `await` added")
                if left:
                    parts.append(f"{len(left)} call site(s) left because the await cannot change there")
                detail = "; ".join(parts)
                out.append(
                    Report(
                        table.spec_rel, rule.spec_line, "D300",
                        f"{rule.legacy} is {legacy}, the target {rule.target.path} is {target}: {detail}"
                        + " (each site is listed as D301/D302, or D105/D106 where it was left)",
                        Severity.WARNING,
                        related=tuple(f"{f.path}:{f.line}" for f in facts[:50]),
                    )
                )
            if rule.gone is not None:
                out.append(Report(table.spec_rel, rule.spec_line, "D004", f"rule for {rule.legacy} matches nothing: {rule.gone}", Severity.INFO))
            elif not rh:
                out.append(Report(table.spec_rel, rule.spec_line, "D004", f"rule for {rule.legacy} matched no call site", Severity.INFO))
        return out


def _renamed_reexports(spec, table: FactoryTable) -> set[str]:
    """Names that re-export a legacy callable under another name (``from legacy import f as g``, ``g = f``).

    The byte prefilter looks for the names a legacy callable can be spelled with; a
    module that renames one adds a spelling.  One regex pass over the repository
    finds the renaming modules, and the module index says what the new names are.
    """
    from migrate.discovery import discover

    keys = set(table.functions) | set(table.classes) | set(table.receivers)
    known = set(table.names)
    found: set[str] = set()
    files = [f for f in discover(spec.root, spec.include, spec.exclude).files if f.endswith(".py")]
    datas: dict[str, bytes] = {}
    for rel in files:
        try:
            datas[rel] = (spec.root / rel).read_bytes()
        except OSError:
            continue
    for _ in range(4):  # aliases of aliases
        alt = b"|".join(re.escape(n.encode()) for n in sorted(known | found, key=lambda n: (-len(n), n)))
        pattern = re.compile(rb"\b(?:" + alt + rb")\s+as\s+[A-Za-z_]\w*|^[A-Za-z_]\w*\s*=\s*(?:" + alt + rb")\s*$", re.M)
        modules = set()
        for rel, data in datas.items():
            if pattern.search(data):
                info = table.index.module_for_path(rel) if table.index is not None else None
                if info is not None:
                    modules.add(info[0])
        if not modules:
            return found
        index = build_index(spec, extra_modules=sorted(modules))
        new = set()
        for mod in modules:
            exp = index.get(mod)
            if exp is None:
                continue
            for local, origin in exp.origins.items():
                if origin in keys and local not in known | found:
                    new.add(local)
        if not new:
            return found
        found |= new
    return found


def _expectation(sites: Sequence[SiteFact]):
    """The declared edits applied to the *before* AST: verification then proves nothing else changed."""
    if not sites:
        return None
    by_pos = {(s.line, s.col, s.end_line, s.end_col): s for s in sites}

    def expect(tree: ast.Module) -> ast.AST:
        found: set[tuple[int, int]] = set()

        class Swap(ast.NodeTransformer):
            def visit(self, node: ast.AST) -> Any:
                key = tuple(getattr(node, k, None) for k in ("lineno", "col_offset", "end_lineno", "end_col_offset"))
                site = by_pos.get(key)  # type: ignore[arg-type]
                if site is not None:
                    if site.kind == "str" and isinstance(node, ast.Constant) and isinstance(node.value, str):
                        found.add(key)  # type: ignore[arg-type]
                        node.value = site.code
                        return node
                    if site.kind == type(node).__name__:
                        found.add(key)  # type: ignore[arg-type]
                        return ast.parse(site.code.strip(), mode="eval").body
                return self.generic_visit(node)

        out = Swap().visit(tree)
        missing = set(by_pos) - found
        if missing:
            raise ValueError(f"no node at line(s) {sorted(k[0] for k in missing)}")
        return out

    return expect


# -----------------------------------------------------------------------------------
# Resolution: a dotted path to what it is (a legacy callable, a class, the target)
# -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entity:
    kind: str  # function | member | class | receiver | target
    key: str
    nparts: int  # how many parts of the dotted path spell it
    rule: int | None = None  # function and member rules
    class_key: str | None = None  # class and receiver


class Resolver:
    """Origins of dotted paths, from the payload's index and lazily from the repository."""

    def __init__(self, ctx: RunContext) -> None:
        self.spec = ctx.spec
        self.table: FactoryTable = ctx.payload.table
        # Run-scoped (files change between runs): which dotted paths are modules, and
        # indexes built lazily for modules outside the payload's index.
        self._module_files: dict[str, bool] = ctx.cache.table("d.module_files")
        self._lazy: dict[str, ModuleIndex] = ctx.cache.table("d.lazy_indexes")

    def is_module(self, module: str) -> bool:
        if module not in self._module_files:
            self._module_files[module] = find_module_file(self.spec, module) is not None
        return self._module_files[module]

    def origin(self, module: str, name: str) -> str | None:
        index = self.table.index
        if index is not None and index.get(module) is not None:
            return index.origin(module, name)
        if module not in self._lazy:
            self._lazy[module] = build_index(self.spec, extra_modules=[module])
        return self._lazy[module].origin(module, name)

    def entities(self, parts: Sequence[str]) -> list[Entity]:
        """What successive prefixes of ``parts`` name (legacy callables, classes, receivers, targets)."""
        i = len(parts)
        while i > 0 and not self.is_module(".".join(parts[:i])):
            i -= 1
        if i == 0:
            return []
        cur = ".".join(parts[:i])
        j = i
        out: list[Entity] = []
        while j < len(parts):
            o = self.origin(cur, parts[j])
            if o is None:
                return out
            j += 1
            if ":" not in o:
                cur = o
                continue
            out.extend(self._match(o, j, parts[j] if j < len(parts) else None))
            return out
        return out

    def _match(self, key: str, nparts: int, member: str | None) -> list[Entity]:
        t = self.table
        out = []
        if key in t.functions:
            out.append(Entity("function", key, nparts, rule=t.functions[key]))
        if key in t.classes:
            out.append(Entity("class", key, nparts, class_key=key))
            members = t.classes[key]["members"]
            if member is not None and member in members:
                out.append(Entity("member", f"{key}.{member}", nparts + 1, rule=members[member], class_key=key))
        if key in t.receivers:
            out.append(Entity("receiver", key, nparts, class_key=t.receivers[key]))
        if key in t.target_keys:
            out.append(Entity("target", key, nparts, rule=t.target_keys[key]))
        return out


# -----------------------------------------------------------------------------------
# Per-file analysis
# -----------------------------------------------------------------------------------


@dataclass
class Emit:
    """One argument of the new call."""

    param: str
    keyword: bool
    src_index: int | None = None  # index into the original call's args
    text: str | None = None  # literal or name source for arguments not taken from the call


@dataclass
class Site:
    call: cst.Call
    rule: Rule
    form: str  # call | class-member | instance | var
    removed_refs: list[cst.CSTNode]
    anchor: ImportAssignment | None
    receiver_note: str = ""
    emits: list[Emit] = field(default_factory=list)
    await_mode: str = "none"  # none | keep | remove | add
    outer: cst.CSTNode | None = None
    local: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # behaviour changes: (code, why)
    active: bool = True
    reuse: bool = False  # the target is already bound where the call is
    scope: Scope | None = None  # where the target import goes


@dataclass
class _StmtEdit:
    remove: set = field(default_factory=set)  # aliases removed
    retarget: tuple | None = None  # (carry alias, TargetInfo, local)
    split: list = field(default_factory=list)  # [(alias, TargetInfo, local)] new parenthesised statements after
    insert: list = field(default_factory=list)  # [(TargetInfo, local)] new plain imports after
    append: list = field(default_factory=list)  # [(TargetInfo, local)] merged into this statement


class Analyzer:
    """Phase D for one file.  Fresh per file."""

    def __init__(self, ctx: RunContext, path: str, data: bytes, module: cst.Module, modinfo, *, patches: bool = True) -> None:
        self.ctx = ctx
        self.path = path
        self.data = data
        self.module = module
        self.module_name = modinfo[0] if modinfo else None
        self.package = (modinfo[0] if modinfo[1] else modinfo[0].rpartition(".")[0]) if modinfo else None
        self.table: FactoryTable = ctx.payload.table
        self.resolver = Resolver(ctx)
        self.do_patches = patches
        self.reports: list[Report] = []
        self.facts: list[Any] = []
        self.sites: list[Site] = []
        self.handled_calls: set[cst.Call] = set()
        self.target_bindings: dict[ImportAssignment, int] = {}  # existing imports of a target -> target index
        self.string_edits: dict[cst.SimpleString, cst.SimpleString] = {}
        self.stmt_edits: dict[cst.CSTNode, _StmtEdit] = {}
        self.final: dict[cst.CSTNode, cst.CSTNode] = {}
        self.edit_count = 0
        self.summary: dict[str, Any] = {}
        self._reported_heads: set[tuple[int, str]] = set()

    # -- helpers -------------------------------------------------------------------
    def line(self, node: cst.CSTNode) -> int:
        try:
            return self.pos[node].start.line
        except KeyError:
            return 1

    def code(self, node: cst.CSTNode, limit: int = 90) -> str:
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def report(self, node: cst.CSTNode, code: str, message: str, severity: Severity = Severity.WARNING, related: Sequence[str] = ()) -> None:
        self.reports.append(Report(self.path, self.line(node), code, message, severity, related=tuple(related)))

    def ref(self, node: cst.CSTNode, kind: str, target: str, rewritten: bool) -> None:
        self.facts.append(RefFact(self.path, self.line(node), kind, target, rewritten))

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def inside(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        cur: cst.CSTNode | None = node
        while cur is not None:
            if cur is ancestor:
                return True
            cur = self.parents.get(cur)
        return False

    # -- driver ----------------------------------------------------------------------
    def run(self) -> cst.Module | None:
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.scopes = wrapper.resolve(ScopeProvider)
        self.pos = wrapper.resolve(PositionProvider)
        self.parents = wrapper.resolve(ParentNodeProvider)
        self.module_all = module_all_names(self.module)
        collector = _Collector()
        self.module.visit(collector)
        self.star_import = collector.star
        for head in collector.names:
            self._classify_head(head)
        self._method_name_infos(collector.calls)
        self._reexports()
        for site in self.sites:
            self._plan_site(site)
        self._plan_imports()
        for site in self.sites:
            self._report_site(site)
        if self.do_patches:
            for string, call, kind in collector.patch_strings:
                self._plan_patch(string, call, kind)
        self._summarise()
        active = [s for s in self.sites if s.active]
        self.edit_count = len(active) + len(self.string_edits)
        if not self.edit_count:
            return None
        return self.module.visit(_Applier(self))

    # -- classification of every name that starts an expression -----------------------------
    def _binding_paths(self, head: cst.Name) -> tuple[list[tuple[Any, str | None]], bool]:
        """[(assignment, dotted import path or None for a local binding)], and whether the name is unbound."""
        scope = self.scopes.get(head)
        if scope is None:
            return [], False
        assignments = list(scope[head.value])
        if not assignments:
            return [], True
        out: list[tuple[Any, str | None]] = []
        for a in assignments:
            if isinstance(a, BuiltinAssignment):
                out.append((a, None))
            elif isinstance(a, ImportAssignment):
                out.append((a, self._import_path(a, head.value)))
            else:
                out.append((a, None))
        return out, False

    def _import_path(self, a: ImportAssignment, local: str) -> str | None:
        node = a.node
        if isinstance(node, cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                return None
            level = len(node.relative)
            mod = _dotted(node.module) if node.module is not None else None
            if level:
                if self.package is None:
                    return None
                mod = resolve_relative(self.package, level, mod)
            if not mod:
                return None
            for alias in node.names:
                name = _dotted(alias.name) or ""
                if (alias.asname.name.value if alias.asname else name) == local:  # type: ignore[union-attr]
                    return f"{mod}.{name}"
            return None
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _dotted(alias.name) or ""
                if alias.asname is not None:
                    if alias.asname.name.value == local:  # type: ignore[union-attr]
                        return full
                elif full.split(".")[0] == local:
                    return local
        return None

    def _alias_of(self, a: ImportAssignment) -> cst.ImportAlias | None:
        node = a.node
        names = getattr(node, "names", None)
        if not isinstance(names, (list, tuple)):
            return None
        for alias in names:
            if isinstance(node, cst.ImportFrom):
                local = alias.asname.name.value if alias.asname else (_dotted(alias.name) or "")  # type: ignore[union-attr]
                if local == a.name:
                    return alias
            else:
                if alias.asname is not None and alias.asname.name.value == a.name:  # type: ignore[union-attr]
                    return alias
        return None

    def _chain(self, head: cst.Name) -> list[cst.CSTNode]:
        chain: list[cst.CSTNode] = [head]
        cur: cst.CSTNode = head
        while True:
            p = self.parents.get(cur)
            if isinstance(p, cst.Attribute) and p.value is cur:
                chain.append(p)
                cur = p
            else:
                return chain

    def _classify_head(self, head: cst.Name) -> None:
        bindings, unbound = self._binding_paths(head)
        if unbound:
            if head.value in self.table.names and (self.line(head), head.value) not in self._reported_heads:
                self._reported_heads.add((self.line(head), head.value))
                why = "a star import" if self.star_import else "no import or definition in this file"
                self.report(head, "D104", f"`{head.value}` is bound by {why}; cannot tell whether it is a legacy factory: not rewritten")
                self.ref(head, "call", head.value, False)
            return
        if not bindings:
            return
        chain = self._chain(head)
        attrs = [n.attr.value for n in chain[1:]]  # type: ignore[attr-defined]
        results: list[tuple[Any, Entity | None, int]] = []
        for a, path in bindings:
            if path is None:
                results.append((a, None, 0))
                continue
            bparts = path.split(".")
            ents = self.resolver.entities(bparts + attrs)
            best = None
            for e in ents:
                idx = e.nparts - len(bparts)
                if 0 <= idx < len(chain) and (best is None or e.nparts > best.nparts):
                    best = e
            results.append((a, best, len(bparts)))
        legacy = [r for r in results if r[1] is not None and r[1].kind != "target"]
        if not legacy:
            targets = [r for r in results if r[1] is not None and r[1].kind == "target"]
            if len(targets) == 1 and len(results) == 1 and isinstance(results[0][0], ImportAssignment):
                e = targets[0][1]
                if e.nparts - targets[0][2] == 0:
                    self.target_bindings[results[0][0]] = e.rule  # type: ignore[assignment]
            return
        keys = {(r[1].key if r[1] else None) for r in results}
        if len(keys) > 1 or len(results) > 1:
            e = legacy[0][1]
            assert e is not None
            node = chain[min(e.nparts - legacy[0][2], len(chain) - 1)]
            parent = self.parent(node)
            called = isinstance(parent, cst.Call) and parent.func is node
            if e.kind in ("class", "receiver") and not called:
                return  # a type use (annotation, isinstance): nothing to rewrite either way
            if e.kind in ("function", "member") and not called and isinstance(parent, cst.Attribute):
                return
            lines = sorted({self.line(a.node) for a, _, _ in results if hasattr(a, "node") and a.node is not None})
            self.report(
                node, "D104",
                f"`{self.code(node)}` is bound more than once here (lines {', '.join(map(str, lines))}), "
                f"not always to {e.key}: not rewritten",
            )
            self.ref(node, "call", e.key, False)
            return
        a, e, nb = legacy[0]
        assert e is not None
        self._dispatch(head, chain, chain[e.nparts - nb], e, a)

    def _dispatch(self, head: cst.Name, chain: list[cst.CSTNode], node: cst.CSTNode, e: Entity, a: ImportAssignment) -> None:
        parent = self.parent(node)
        called = isinstance(parent, cst.Call) and parent.func is node
        t = self.table
        if e.kind == "function":
            rule = t.rule(e.rule)  # type: ignore[arg-type]
            if called:
                self._site(parent, rule, "call", [head], a)  # type: ignore[arg-type]
            elif not isinstance(parent, cst.Attribute):
                self._value_use(node, rule.legacy, e.key)
            return
        if e.kind == "member":
            rule = t.rule(e.rule)  # type: ignore[arg-type]
            if called and rule.kind == "method":
                self.report(node, "D112", f"{rule.legacy} is an instance method called on the class (`{self.code(parent)}`): not rewritten")  # type: ignore[arg-type]
                self.ref(node, "call", e.key, False)
                self.handled_calls.add(parent)  # type: ignore[arg-type]
            elif called:
                self._site(parent, rule, "class-member", [head], a)  # type: ignore[arg-type]
            elif not isinstance(parent, cst.Attribute):
                self._value_use(node, rule.legacy, e.key)
            return
        if e.kind in ("class", "receiver"):
            class_key = e.class_key
            entry = t.classes.get(class_key, {"ctor": None, "members": {}})  # type: ignore[arg-type]
            if called:
                call: cst.Call = parent  # type: ignore[assignment]
                g = self.parent(call)
                gg = self.parent(g) if g is not None else None
                if (
                    isinstance(g, cst.Attribute) and g.value is call and g.attr.value in entry["members"]
                    and isinstance(gg, cst.Call) and gg.func is g
                ):
                    rule = t.rule(entry["members"][g.attr.value])
                    if call.args:
                        self.report(
                            call, "D112",
                            f"`{self.code(gg)}`: the receiver is built with arguments, which the rewrite would drop: not rewritten",
                        )
                        self.ref(call, "call", rule.key, False)
                        self.handled_calls.add(gg)
                        return
                    self._site(gg, rule, "instance", [head], a, receiver_note=f"drops the receiver `{self.code(call)}`")
                    return
                if e.kind == "class" and entry["ctor"] is not None:
                    self._site(call, t.rule(entry["ctor"]), "call", [head], a)
                    return
                target = self._assigned_name(call)
                if target is not None and entry["members"]:
                    self._track(target, class_key, a)  # type: ignore[arg-type]
                return
            if e.kind == "receiver":
                if not isinstance(parent, cst.Attribute):
                    self._value_use(node, e.key.replace(":", "."), e.key)
                return
            ann = self._annotated_name(node)
            if ann is not None:
                if entry["members"]:
                    self._track(ann, class_key, a)  # type: ignore[arg-type]
                return
            if entry["ctor"] is not None and self._factory_position(node):
                self._value_use(node, t.rule(entry["ctor"]).legacy, e.key)
            return

    def _reexports(self) -> None:
        """Module-level imports of legacy factories listed in ``__all__``: kept, and said so."""
        if not self.module_all:
            return
        scope = self.scopes.get(self.module)
        if not isinstance(scope, GlobalScope):
            return
        for a in scope.assignments:
            if not isinstance(a, ImportAssignment) or a.name not in self.module_all:
                continue
            path = self._import_path(a, a.name)
            if path is None:
                continue
            ents = [
                e for e in self.resolver.entities(path.split("."))
                if e.nparts == len(path.split("."))
                and (e.kind in ("function", "receiver") or (e.kind == "class" and self.table.classes[e.key]["ctor"] is None))
            ]  # a class that is also a type (a constructor rule) is re-exported for its type: fine
            if not ents:
                continue
            self.report(
                a.node, "D115",
                f"`{a.name}` (legacy {ents[0].key}) is re-exported through __all__: its import stays; importers that "
                "call it through this module are rewritten where they are; drop the re-export in phase E",
            )
            self.ref(a.node, "import", ents[0].key, False)

    # -- receivers --------------------------------------------------------------------
    def _assigned_name(self, value: cst.CSTNode) -> cst.Name | None:
        p = self.parent(value)
        if isinstance(p, cst.Assign) and p.value is value and len(p.targets) == 1 and isinstance(p.targets[0].target, cst.Name):
            return p.targets[0].target
        if isinstance(p, cst.AnnAssign) and p.value is value and isinstance(p.target, cst.Name):
            return p.target
        return None

    def _annotated_name(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The parameter or variable whose annotation contains ``node``."""
        cur: cst.CSTNode | None = node
        while cur is not None:
            p = self.parent(cur)
            if isinstance(cur, cst.Annotation):
                if isinstance(p, cst.Param) and p.annotation is cur:
                    return p
                if isinstance(p, cst.AnnAssign) and p.annotation is cur and isinstance(p.target, cst.Name):
                    return p.target
                return None
            if isinstance(cur, (cst.BaseStatement, cst.BaseSmallStatement)):
                return None
            cur = p
        return None

    def _track(self, holder: cst.CSTNode, class_key: str, anchor: ImportAssignment) -> None:
        """Method calls on a variable provably holding an instance of a legacy factory."""
        if isinstance(holder, cst.Param):
            name, scope = holder.name.value, self.scopes.get(holder)
        else:
            name, scope = holder.value, self.scopes.get(holder)  # type: ignore[attr-defined]
        if scope is None:
            return
        assigned = list(scope.assignments[name])
        if len(assigned) != 1:
            return  # rebound somewhere in the scope: not provable
        members = self.table.classes[class_key]["members"]
        for access in assigned[0].references:
            n = access.node
            p = self.parent(n)
            pp = self.parent(p) if p is not None else None
            if (
                isinstance(p, cst.Attribute) and p.value is n and p.attr.value in members
                and isinstance(pp, cst.Call) and pp.func is p
            ):
                self._site(pp, self.table.rule(members[p.attr.value]), "var", [], anchor, receiver_note=f"calls it on `{name}`")

    def _method_name_infos(self, calls: list[cst.Call]) -> None:
        names: dict[str, list[Rule]] = {}
        for r in self.table.rules:
            if r.member:
                names.setdefault(r.member, []).append(r)
        for call in calls:
            if call in self.handled_calls or not isinstance(call.func, cst.Attribute):
                continue
            rules = names.get(call.func.attr.value)
            if not rules:
                continue
            self.report(
                call, "D003",
                f"`{self.code(call)}`: the receiver is not provably a legacy factory "
                f"({', '.join(r.legacy for r in rules)}); not rewritten",
                Severity.INFO,
            )

    # -- value uses -----------------------------------------------------------------------
    def _factory_position(self, node: cst.CSTNode) -> bool:
        p = self.parent(node)
        if isinstance(p, cst.Arg):
            call = self.parent(p)
            if isinstance(call, cst.Call):
                callee = call.func.attr.value if isinstance(call.func, cst.Attribute) else getattr(call.func, "value", "")
                if callee in _TYPE_CHECKS or self._patch_kind(call) == "patch.object":
                    return False
            return True
        if isinstance(p, (cst.Assign, cst.AnnAssign, cst.Return)) and getattr(p, "value", None) is node:
            return True
        if isinstance(p, cst.Param) and p.default is node:
            return True
        return isinstance(p, (cst.Element, cst.DictElement))

    def _value_use(self, node: cst.CSTNode, legacy: str, key: str) -> None:
        p = self.parent(node)
        how = "used as a value"
        if isinstance(p, cst.Arg):
            call = self.parent(p)
            callee = self.code(call.func) if isinstance(call, cst.Call) else "a call"
            if p.keyword is not None:
                how = f"passed as `{p.keyword.value}=` to {callee}()"
                if p.keyword.value in _MOCK_CALLABLE_KW:
                    how += " (the mock then stands in for the legacy factory, with its signature)"
            else:
                how = f"passed to {callee}()"
            if isinstance(call, cst.Call) and self._patch_kind(call) == "patch.object":
                return  # reported with the patch
        elif isinstance(p, (cst.Assign, cst.AnnAssign)):
            how = "assigned to a variable (calls through it are not followed)"
        elif isinstance(p, cst.Return):
            how = "returned"
        elif isinstance(p, cst.Param):
            how = "a parameter default"
        self.report(node, "D101", f"{legacy} is {how}: not rewritten; the callee will call it with the legacy signature")
        self.ref(node, "value", key, False)

    # -- sites ------------------------------------------------------------------------------
    def _site(self, call: cst.Call, rule: Rule, form: str, removed: list[cst.CSTNode], anchor: ImportAssignment, receiver_note: str = "") -> None:
        if call in self.handled_calls:
            return
        self.handled_calls.add(call)
        self.sites.append(Site(call, rule, form, removed, anchor, receiver_note))

    def _drop(self, site: Site, code: str, message: str, severity: Severity = Severity.WARNING) -> None:
        site.active = False
        self.report(site.call, code, message, severity)

    def _plan_site(self, site: Site) -> None:
        call, rule = site.call, site.rule
        shown = self.code(call)
        if any(a.star for a in call.args):
            self._drop(site, "D102", f"`{shown}` passes *args/**kwargs; they cannot be mapped onto {rule.target.path}: not rewritten")
            return
        positional = [(i, a) for i, a in enumerate(call.args) if a.keyword is None]
        keywords = [(i, a) for i, a in enumerate(call.args) if a.keyword is not None]
        bound, problem = _bind(rule.params, positional, keywords)
        if problem:
            self._drop(
                site, "D103",
                f"`{shown}` does not match {rule.legacy}{_sig(rule.params)}: {problem} (TypeError today): not rewritten",
            )
            return
        # A positional argument spelled like another parameter probably binds to the wrong one.
        names = {p.name for p in rule.params}
        for pname, (idx, kw) in bound.items():
            if kw:
                continue
            spelled = _spelled_name(call.args[idx].value)
            if spelled and spelled != pname and spelled in names:
                self._drop(
                    site, "D111",
                    f"`{shown}`: the positional argument `{spelled}` binds to parameter {pname!r}, not to {spelled!r} "
                    "(a latent bug); fix the call by hand, then re-run: not rewritten",
                )
                return
        emits: list[Emit] = []
        positional_allowed = True  # until a target parameter is skipped or passed by keyword
        used: set[str] = set()
        scope = self.scopes.get(call)
        for tp in rule.target.params:
            tmpl = rule.template_for(tp.name) if tp.kind not in (VARPOS, VARKW) else None
            if tmpl is None:
                positional_allowed = False
                continue
            src_index: int | None = None
            text: str | None = None
            if tmpl.kind == "legacy":
                used.add(tmpl.value)
                hit = bound.get(tmpl.value)
                if hit is not None:
                    src_index, by_kw = hit
                    wants_pos = not by_kw
                else:
                    lp = next(p for p in rule.params if p.name == tmpl.value)
                    ok, value = literal(lp.default)
                    if not ok:
                        self._drop(
                            site, "D110",
                            f"`{shown}` omits {lp.name!r}, whose legacy default `{lp.default}` is not a literal; "
                            f"pass it explicitly or map {tp.name!r} to a constant: not rewritten",
                        )
                        return
                    tok, tvalue = literal(tp.default)
                    if tok and tvalue == value and type(tvalue) is type(value):
                        positional_allowed = False
                        continue  # the target's default is the same value
                    text, wants_pos = lp.default, False
            elif tmpl.kind == "const":
                text, wants_pos = tmpl.value, False
            else:  # a name bound at the call site
                where = self._scope_binding(scope, tmpl.value, call)
                if where is None:
                    self._drop(
                        site, "D109",
                        f"`{shown}`: the rule takes {tp.name!r} from `{tmpl.value}` at the call site, and no "
                        f"`{tmpl.value}` is bound here before the call: not rewritten",
                    )
                    return
                text, wants_pos = tmpl.value, True
                site.notes.append(("D204", f"{tp.name} is now `{tmpl.value}` ({where}); {rule.legacy} did not receive it"))
            can_pos = positional_allowed and tp.kind in (POSONLY, POS)
            if tp.kind == POSONLY:
                if not can_pos:
                    self._drop(site, "D110", f"`{shown}`: the target's positional-only parameter {tp.name!r} cannot be passed here: not rewritten")
                    return
                wants_pos = True
            positional = wants_pos and can_pos
            emits.append(Emit(tp.name, keyword=not positional, src_index=src_index, text=text))
            if not positional:
                positional_allowed = False
        # Arguments of legacy parameters the target does not take are dropped.
        for pname, (idx, _) in bound.items():
            if pname in used:
                continue
            arg = call.args[idx]
            if not _pure(arg.value) or _has_comments(arg):
                self._drop(
                    site, "D107",
                    f"`{shown}`: the rule drops {pname!r}, whose argument `{self.code(arg.value)}` "
                    f"{'has side effects' if not _pure(arg.value) else 'carries a comment'}: not rewritten",
                )
                return
        order = [e.src_index for e in emits if e.src_index is not None and not _pure(call.args[e.src_index].value)]
        if order != sorted(order):
            self._drop(site, "D116", f"`{shown}`: the rewrite would evaluate its arguments in another order: not rewritten")
            return
        site.emits = emits
        # await
        parent = self.parent(call)
        awaited = isinstance(parent, cst.Await) and parent.expression is call
        legacy_async, target_async = rule.is_async, rule.target.is_async
        if legacy_async and not target_async:
            if not awaited:
                self._drop(
                    site, "D106",
                    f"`{shown}`: {rule.legacy} is async and its coroutine is used without `await` here; "
                    f"{rule.target.path} is sync: rewrite by hand: not rewritten",
                )
                self.facts.append(AwaitFact(rule.index, self.path, self.line(call), "not-rewritten", shown))
                return
            site.await_mode = "remove"
        elif not legacy_async and target_async:
            if awaited:
                site.await_mode = "keep"
                site.notes.append(("D201", f"it awaited {rule.legacy}, which is sync (TypeError at runtime); {rule.target.path} is async, so the await is now right"))
            elif self._await_context(call) == "async":
                site.await_mode = "add"
            else:
                ctxt = self._await_context(call)
                self._drop(
                    site, "D105",
                    f"`{shown}`: {rule.target.path} is async but this call is in {ctxt}, where `await` "
                    "cannot be added: not rewritten",
                )
                self.facts.append(AwaitFact(rule.index, self.path, self.line(call), "not-rewritten", shown))
                return
        elif not legacy_async:
            if awaited:
                site.await_mode = "remove"
                site.notes.append(
                    ("D201", f"it awaited {rule.legacy}, which is sync (TypeError at runtime); the await is removed")
                )
        else:
            site.await_mode = "keep" if awaited else "none"
        site.outer = parent if site.await_mode == "remove" else call
        if rule.missing:
            site.notes.append(("D202", f"{rule.legacy} does not exist in the code, so this call fails today"))
        if rule.behaviour:
            site.notes.append(("D203", rule.behaviour))
        # Comments inside the call must survive.
        probe = self._build_call(call, site, "__probe__")
        if sorted(_comment_texts(call)) != sorted(_comment_texts(probe)):
            self._drop(site, "D107", f"`{shown}`: the rewrite would drop a comment inside the call: rewrite it by hand: not rewritten")
            return

    def _scope_binding(self, scope: Scope | None, name: str, call: cst.Call) -> str | None:
        if scope is None:
            return None
        line = self.line(call)
        for a in scope[name]:
            if isinstance(a, BuiltinAssignment):
                continue
            node = getattr(a, "node", None)
            if isinstance(node, cst.Param):
                return f"parameter of the enclosing function"
            if node is not None and self.line(node) < line:
                return f"bound at line {self.line(node)}"
        return None

    def _await_context(self, node: cst.CSTNode) -> str:
        """Where ``node`` runs: "async" inside an ``async def`` body, else a description of the sync place."""
        prev: cst.CSTNode | None = None
        child: cst.CSTNode = node
        cur = self.parent(node)
        while cur is not None:
            if isinstance(cur, cst.FunctionDef):
                if child is cur.body:
                    return "async" if cur.asynchronous is not None else "a sync function"
                # decorators, defaults and annotations run in the enclosing scope
            elif isinstance(cur, cst.Lambda):
                if child is cur.body:
                    return "a lambda"
            elif isinstance(cur, cst.GeneratorExp):
                outermost_iter = isinstance(child, cst.CompFor) and child is cur.for_in and prev is child.iter
                if not outermost_iter:
                    return "a generator expression"
            elif isinstance(cur, cst.ClassDef):
                if child is cur.body:
                    return "a class body"
            elif isinstance(cur, cst.Module):
                return "module-level code"
            prev, child, cur = child, cur, self.parent(cur)
        return "module-level code"

    # -- building the new call ------------------------------------------------------------
    def _build_call(self, call: cst.Call, site: Site, local: str) -> cst.Call:
        """The new call, reusing the original argument nodes (their formatting and comments)."""
        orig = list(call.args)
        last_index = len(orig) - 1
        last = orig[-1] if orig else None
        trailing = last.comma if last is not None else cst.MaybeSentinel.DEFAULT
        closing_ws = last.whitespace_after_arg if last is not None else cst.SimpleWhitespace("")
        sep: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
        if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
            sep = call.whitespace_before_args  # one argument per line: the same indentation
        elif len(orig) > 1 and isinstance(orig[0].comma, cst.Comma):
            sep = orig[0].comma.whitespace_after
        args: list[tuple[cst.Arg, bool]] = []  # (arg, was the original last argument)
        for e in site.emits:
            if e.src_index is not None:
                a = orig[e.src_index]
                if e.keyword and (a.keyword is None or a.keyword.value != e.param):
                    a = a.with_changes(
                        keyword=cst.Name(e.param),
                        equal=a.equal if a.keyword is not None else _tight_equal(),
                    )
                elif not e.keyword and a.keyword is not None:
                    a = a.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT)
                args.append((a, e.src_index == last_index))
            else:
                value = cst.parse_expression(e.text or "None")
                if e.keyword:
                    args.append((cst.Arg(value=value, keyword=cst.Name(e.param), equal=_tight_equal()), False))
                else:
                    args.append((cst.Arg(value=value), False))
        former_last = next((i for i, (_, was_last) in enumerate(args) if was_last), None)
        if (
            former_last is not None and former_last != len(args) - 1
            and isinstance(trailing, cst.Comma) and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace)
        ):
            ws = trailing.whitespace_after
            if ws.first_line.comment is not None or any(e.comment for e in ws.empty_lines):
                # The comment stays on the argument's line; the new last argument closes the call.
                kept_comma = trailing.with_changes(
                    whitespace_after=ws.with_changes(last_line=sep.last_line if isinstance(sep, cst.ParenthesizedWhitespace) else ws.last_line)
                )
                trailing = trailing.with_changes(
                    whitespace_after=ws.with_changes(
                        first_line=cst.TrailingWhitespace(newline=ws.first_line.newline),
                        empty_lines=[e for e in ws.empty_lines if e.comment is None],
                    )
                )
                args = [(a.with_changes(comma=kept_comma), False) if was_last else (a, was_last) for a, was_last in args]
        fixed: list[cst.Arg] = []
        for i, (a, was_last) in enumerate(args):
            if i < len(args) - 1:
                comma = a.comma if isinstance(a.comma, cst.Comma) and not was_last else cst.Comma(whitespace_after=sep)
                a = a.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace("") if was_last else a.whitespace_after_arg)
            else:
                a = a.with_changes(comma=trailing, whitespace_after_arg=closing_ws)
            fixed.append(a)
        return call.with_changes(func=cst.Name(local), args=fixed)

    # -- imports ------------------------------------------------------------------------------
    def _plan_imports(self) -> None:
        for _ in range(20):
            if not self._plan_imports_once():
                return
        for s in self.sites:  # pragma: no cover - a fixpoint is reached long before
            if s.active:
                self._drop(s, "D108", "could not settle where to import the target: not rewritten")

    def _removed_nodes(self) -> list[cst.CSTNode]:
        out: list[cst.CSTNode] = []
        for s in self.sites:
            if s.active:
                out.extend(s.removed_refs)
        return out

    def _alias_removable(self, a: ImportAssignment, removed: list[cst.CSTNode]) -> bool:
        alias = self._alias_of(a)
        if alias is None:
            return False
        if isinstance(self.scopes.get(a.node), GlobalScope) and a.name in self.module_all:
            return False
        for access in a.references:
            if not any(self.inside(access.node, r) for r in removed):
                return False
        return True

    def _plan_imports_once(self) -> bool:
        """Decide names and import placement; True when a site had to be dropped (then plan again)."""
        self.stmt_edits = {}
        removed_nodes = self._removed_nodes()
        # Import bindings whose every use goes away with the rewrite.
        candidates: dict[ImportAssignment, bool] = {}
        for s in self.sites:
            if not s.active:
                continue
            for r in s.removed_refs:
                scope = self.scopes.get(r)
                if scope is None or not isinstance(r, cst.Name):
                    continue
                for a in scope[r.value]:
                    if isinstance(a, ImportAssignment) and a not in candidates:
                        candidates[a] = self._alias_removable(a, removed_nodes)
        removable = {a for a, ok in candidates.items() if ok}
        self.removable = removable
        # The target's local name at each site, and where it is imported.
        groups: dict[tuple[int, str], list[Site]] = {}
        for s in self.sites:
            if not s.active:
                continue
            s.reuse = False
            call_scope = self.scopes.get(s.call)
            existing = self._existing_target(call_scope, s.rule.target)
            if existing is not None:
                s.local, s.reuse, s.scope = existing[0], True, existing[1]
                continue
            s.local = s.rule.target.name
            anchor_scope = s.anchor.scope if s.anchor is not None else None
            if anchor_scope is None or call_scope is None:
                self._drop(s, "D108", f"cannot find where {s.rule.legacy} is imported for this call: not rewritten")
                return True
            why = self._conflict(call_scope, anchor_scope, s.local, removable)
            if why:
                self._drop(s, "D108", f"`{self.code(s.call)}`: cannot bind {s.local!r} here: {why}: not rewritten")
                return True
            s.scope = anchor_scope
            groups.setdefault((id(anchor_scope), s.local), []).append(s)
        for (_, local), sites in groups.items():
            if self._place_target(sites, local, removable):
                return True
        # Remove what became unused; a line that cannot go (its comment, the only statement
        # of its block) stays, and says so.
        kept: list[ImportAssignment] = []
        by_stmt: dict[cst.CSTNode, list[ImportAssignment]] = {}
        for a in sorted(removable, key=lambda x: self.line(x.node)):
            by_stmt.setdefault(a.node, []).append(a)
        for stmt, assigns in by_stmt.items():
            edit = self.stmt_edits.setdefault(stmt, _StmtEdit())
            aliases = [self._alias_of(a) for a in assigns]
            if edit.retarget is not None:
                edit.remove |= set(aliases)
                continue
            carried = {x[0] for x in edit.split}
            leaving_all = set(stmt.names) <= set(aliases)  # type: ignore[attr-defined]
            line = self.parent(stmt)
            line_goes = leaving_all and isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1
            replaced = bool(edit.insert or edit.split)
            for a, al in zip(assigns, aliases):
                why = None
                if al in carried:
                    why = None  # it moves into its own import, comment and all
                elif line_goes and _has_comments(line):
                    why = "removing the line would drop its comment"
                elif line_goes and not replaced and self._sole_statement(line):
                    why = "it is the only statement of its block"
                elif not leaving_all and _has_comments(al):
                    why = "removing it would drop its comment"
                if why:
                    kept.append(a)
                    self.report(stmt, "D005", f"unused legacy import `{a.name}` kept: {why}; delete it by hand", Severity.INFO)
                else:
                    edit.remove.add(al)
        # A kept legacy binding with the target's local name would shadow the new import.
        for a in kept:
            for s in self.sites:
                if s.active and not s.reuse and s.local == a.name and s.scope is a.scope:
                    self._drop(s, "D108", f"`{self.code(s.call)}`: the legacy import of {a.name!r} must stay, so {a.name!r} cannot name {s.rule.target.path}: not rewritten")
                    return True
        self.removed_aliases = {al for e in self.stmt_edits.values() for al in e.remove}
        return False

    def _existing_target(self, scope: Scope | None, target: TargetInfo) -> tuple[str, Scope] | None:
        """A binding of the target already visible at the call: (its local name, its scope)."""
        if scope is None:
            return None
        for a, t_index in self.target_bindings.items():
            if self.table.targets[t_index].key != target.key:
                continue
            found = list(scope[a.name])
            if len(found) == 1 and found[0] is a:
                return a.name, a.scope
        return None

    def _conflict(self, call_scope: Scope, anchor_scope: Scope, local: str, removable: set) -> str | None:
        """Why ``local`` cannot be bound in ``anchor_scope`` for a call in ``call_scope`` (None: it can)."""
        s: Scope | None = call_scope
        while s is not None and s is not anchor_scope:
            if (not isinstance(s, ClassScope) or s is call_scope) and s.assignments[local]:
                return f"{local!r} is bound in an inner scope"
            s = s.parent
        if s is None:
            return "the legacy import is not visible from here"
        if isinstance(anchor_scope, ClassScope) and anchor_scope is not call_scope:
            return "the legacy import is in a class body"
        for a in anchor_scope.assignments[local]:
            if a in removable or a in self.target_bindings:
                continue
            node = getattr(a, "node", None)
            return f"{local!r} is already bound (line {self.line(node)})" if node is not None else f"{local!r} is already bound"
        if any(isinstance(a, BuiltinAssignment) for a in call_scope[local]):
            return f"{local!r} is a builtin name"
        return None

    def _sole_statement(self, line: cst.CSTNode) -> bool:
        block = self.parent(line)
        body = getattr(block, "body", None)
        return isinstance(block, cst.IndentedBlock) and isinstance(body, (list, tuple)) and len(body) == 1

    def _placement_ok(self, stmt: cst.CSTNode, scope: Scope) -> bool:
        """The statement runs whenever its scope runs (not under ``if``, ``for``, ``while``, ``except``)."""
        line = self.parent(stmt)
        cur = self.parent(line) if line is not None else None
        while cur is not None:
            if isinstance(cur, cst.Module):
                return isinstance(scope, GlobalScope)
            if isinstance(cur, cst.IndentedBlock):
                owner = self.parent(cur)
                if isinstance(owner, cst.FunctionDef):
                    return self.scopes.get(owner.body.body[0]) is scope if owner.body.body else False
                if isinstance(owner, (cst.Try, cst.With)) and owner.body is cur:
                    cur = self.parent(owner)
                    continue
                return False
            cur = self.parent(cur)
        return False

    def _place_target(self, sites: list[Site], local: str, removable: set) -> bool:
        """Choose where the target import goes for these sites; True when they had to be dropped."""
        target = sites[0].rule.target
        scope = sites[0].scope
        assert scope is not None
        anchors: list[cst.CSTNode] = []
        for s in sites:
            if s.anchor is not None and s.anchor.node not in anchors:
                anchors.append(s.anchor.node)
        anchors.sort(key=lambda n: (self.pos[n].start.line, self.pos[n].start.column))
        ok_anchors = [a for a in anchors if self._placement_ok(a, scope)]
        removed_here = {a.node: set() for a in removable}
        for a in removable:
            removed_here[a.node].add(self._alias_of(a))

        def emptied(stmt: cst.CSTNode) -> bool:
            names = getattr(stmt, "names", None)
            return isinstance(names, (list, tuple)) and all(al in removed_here.get(stmt, ()) for al in names)

        def commented_removed(stmt: cst.CSTNode) -> cst.ImportAlias | None:
            return next((al for al in removed_here.get(stmt, ()) if al is not None and _has_comments(al)), None)

        # 0. another target from the same module is already being imported in this scope: join it
        for stmt, edit in list(self.stmt_edits.items()):
            if self.scopes.get(stmt) is not scope or not self._placement_ok(stmt, scope):
                continue
            if edit.retarget is not None and edit.retarget[1].module == target.module and getattr(stmt, "lpar", None) is None:
                edit.append.append((target, local))
                return False
            if any(t.module == target.module for t, _ in edit.insert):
                edit.insert.append((target, local))
                return False
        # 1. a statement that empties and carries comments: it becomes the target import (comments stay)
        for stmt in ok_anchors:
            line = self.parent(stmt)
            if isinstance(stmt, cst.ImportFrom) and emptied(stmt) and line is not None and _has_comments(line):
                self._retarget(stmt, target, local)
                return False
        # 2. a removed name with a comment in a parenthesised import: it moves to its own import
        for stmt in ok_anchors:
            al = commented_removed(stmt)
            if isinstance(stmt, cst.ImportFrom) and al is not None and not emptied(stmt) and stmt.lpar is not None:
                self.stmt_edits.setdefault(stmt, _StmtEdit()).split.append((al, target, local))
                return False
        # 3. an import of the target's module next to it: merge
        merge = self._merge_candidate(ok_anchors, target, removed_here)
        if merge is not None:
            self.stmt_edits.setdefault(merge, _StmtEdit()).append.append((target, local))
            return False
        # 4. a statement that empties: it becomes the target import
        for stmt in ok_anchors:
            if isinstance(stmt, cst.ImportFrom) and emptied(stmt):
                self._retarget(stmt, target, local)
                return False
        # 5. a new import right after the legacy one
        if ok_anchors:
            self.stmt_edits.setdefault(ok_anchors[0], _StmtEdit()).insert.append((target, local))
            return False
        # 6. the legacy binding is conditional (e.g. under `if TYPE_CHECKING:`): after the module's imports
        if isinstance(scope, GlobalScope):
            last = self._last_module_import()
            if last is not None:
                merge = self._merge_candidate([last], target, removed_here)
                if merge is not None:
                    self.stmt_edits.setdefault(merge, _StmtEdit()).append.append((target, local))
                else:
                    self.stmt_edits.setdefault(last, _StmtEdit()).insert.append((target, local))
                return False
        for s in sites:
            self._drop(s, "D108", f"`{self.code(s.call)}`: no unconditional import in this scope to put the {target.name} import next to: not rewritten")
        return True

    def _retarget(self, stmt: cst.ImportFrom, target: TargetInfo, local: str) -> None:
        names = list(stmt.names)  # type: ignore[arg-type]
        carry = next((al for al in names if _has_comments(al)), names[0])
        self.stmt_edits.setdefault(stmt, _StmtEdit()).retarget = (carry, target, local)

    def _last_module_import(self) -> cst.CSTNode | None:
        last = None
        for stmt in self.module.body:
            if isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
                last = stmt.body[-1]
        return last

    def _merge_candidate(self, anchors: list[cst.CSTNode], target: TargetInfo, removed_here: dict) -> cst.ImportFrom | None:
        """A single-line ``from <target module> import ...`` in the run of imports around an anchor."""
        for anchor in anchors:
            line = self.parent(anchor)
            block = self.parent(line) if line is not None else None
            body = getattr(block, "body", None)
            if not isinstance(body, (list, tuple)):
                continue
            idx = next((i for i, st in enumerate(body) if st is line), None)
            if idx is None:
                continue
            lo = idx
            while lo > 0 and _is_import_line(body[lo - 1]):
                lo -= 1
            hi = idx
            while hi + 1 < len(body) and _is_import_line(body[hi + 1]):
                hi += 1
            for stmt_line in body[lo: hi + 1]:
                for small in stmt_line.body:
                    if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
                        continue
                    if self._from_module(small) != target.module or not _is_single_line(small):
                        continue
                    if all(al in removed_here.get(small, ()) for al in small.names):
                        continue
                    if any((_dotted(al.name) == target.name) for al in small.names):
                        continue
                    return small
        return None

    def _from_module(self, node: cst.ImportFrom) -> str | None:
        level = len(node.relative)
        mod = _dotted(node.module) if node.module is not None else None
        if level:
            return resolve_relative(self.package, level, mod) if self.package else None
        return mod

    def module_expr(self, stmt: cst.CSTNode, dest: str) -> tuple[list[cst.Dot], cst.BaseExpression | None]:
        """Keep the relative style of ``stmt`` when ``dest`` is under the package its dots point at."""
        if isinstance(stmt, cst.ImportFrom) and stmt.relative and self.package:
            anchor = resolve_relative(self.package, len(stmt.relative), None)
            if anchor and (dest == anchor or dest.startswith(anchor + ".")):
                rest = dest[len(anchor) + 1:] if dest != anchor else ""
                return [cst.Dot() for _ in stmt.relative], (_expr(rest) if rest else None)
        return [], _expr(dest)

    # -- reports for the sites ----------------------------------------------------------------
    def _report_site(self, site: Site) -> None:
        rule = site.rule
        line = self.line(site.call)
        if not site.active:
            self.ref(site.call, "call", rule.key, False)
            self.facts.append(RuleHit(rule.index, self.path, line, False, "left"))
            return
        self.ref(site.call, "call", rule.key, True)
        category = "behaviour" if site.notes else "await" if site.await_mode in ("remove", "add") else "pure"
        self.facts.append(RuleHit(rule.index, self.path, line, True, category))
        before = self.code(site.outer or site.call)
        after = self.code(self._build_call(site.call, site, site.local))
        if site.await_mode == "add":
            after = f"await {after}"
        change = f"`{before}` -> `{after}`"
        extra = f" ({site.receiver_note})" if site.receiver_note else ""
        fixes_await = any(c == "D201" for c, _ in site.notes)
        if site.await_mode == "remove":
            self.facts.append(AwaitFact(rule.index, self.path, line, "removed", before))
            if not fixes_await:
                self.report(site.call, "D301", f"{change}: `await` removed: {rule.legacy} is async, {rule.target.path} is sync{extra}")
        elif site.await_mode == "add":
            self.facts.append(AwaitFact(rule.index, self.path, line, "added", before))
            self.report(site.call, "D302", f"{change}: `await` added: {rule.legacy} is sync, {rule.target.path} is async{extra}")
        for code, why in site.notes:
            self.report(site.call, code, f"behaviour change: {change}: {why}{extra}")
        if not site.notes and site.await_mode not in ("remove", "add"):
            self.report(site.call, "D001", f"{change}{extra}", Severity.INFO)

    # -- mock.patch targets ---------------------------------------------------------------------
    def _patch_kind(self, call: cst.Call) -> str | None:
        callee = call.func
        last = callee.attr.value if isinstance(callee, cst.Attribute) else (callee.value if isinstance(callee, cst.Name) else "")
        if last in PATCH_CALLEES:
            return "patch"
        if last == "object" and isinstance(callee, cst.Attribute) and (_dotted(callee.value) or "").endswith("patch"):
            return "patch.object"
        return None

    def _plan_patch(self, string: cst.SimpleString, call: cst.Call, kind: str) -> None:
        try:
            value = string.evaluated_value
        except Exception:  # noqa: BLE001
            return
        if not isinstance(value, str):
            return
        if kind == "patch.object":
            self._plan_patch_object(string, call, value)
            return
        parts = value.replace(":", ".").split(".")
        if len(parts) < 2 or not all(p.isidentifier() for p in parts):
            return
        i = len(parts) - 1
        while i > 0 and not self.resolver.is_module(".".join(parts[:i])):
            i -= 1
        if i == 0:
            return
        mod, attrs = ".".join(parts[:i]), parts[i:]
        ents = [e for e in self.resolver.entities(parts) if e.kind != "target"]
        if not ents:
            return
        e = max(ents, key=lambda x: x.nparts)
        if e.nparts != len(parts):
            return  # the patch replaces something else (e.g. a method of the manager class)
        legacy_home = mod in self.ctx.payload.protected or self.resolver.origin(mod, attrs[0]) == f"{mod}:{attrs[0]}"
        if legacy_home:
            self.report(
                string, "D113",
                f"patch target {value!r} replaces the legacy factory where it is defined; the calls phase D "
                f"rewrites no longer go through it, so this patch will intercept none of them: patch {e.key.split(':')[0]}'s "
                "callers' new factory instead",
            )
            self.ref(string, "patch", value, False)
            return
        summary = consumer_summary(self.ctx, mod)
        if summary is None or attrs[0] not in summary["touched"]:
            return
        where = f"{summary['path']}:{summary['lines'].get(attrs[0], 1)}"
        removed = attrs[0] in summary["removed"]
        if e.kind == "function" and len(attrs) == 1 and removed and summary["target_local"].get(e.rule):
            new_local = summary["target_local"][e.rule]
            new_value = value[: len(value) - len(attrs[0])] + new_local
            repl = _with_string(string, new_value)
            if repl is not None:
                rule = self.table.rule(e.rule)  # type: ignore[arg-type]
                self.string_edits[string] = repl
                kws = [a.keyword.value for a in call.args if a.keyword is not None and a.keyword.value in _MOCK_CALLABLE_KW]
                extra = f"; check {', '.join(k + '=' for k in kws)}: it is now called like the target" if kws else ""
                sync_note = ""
                if rule.is_async != rule.target.is_async:
                    sync_note = (
                        f"; {rule.legacy} was {'async' if rule.is_async else 'sync'} and {rule.target.path} is "
                        f"{'async' if rule.target.is_async else 'sync'}: an AsyncMock/MagicMock set up for one does not fit the other"
                    )
                self.report(
                    string, "D205",
                    f"behaviour change: patch target {value!r} -> {new_value!r}, moved with the binding at {where} "
                    f"(the mock now receives {rule.target.path}'s arguments{extra}){sync_note}",
                    related=(where,),
                )
                self.ref(string, "patch", value, True)
                return
        if removed:
            self.report(
                string, "D119",
                f"patch target {value!r}: phase D removes `{attrs[0]}` from {mod} ({where}) and this patch cannot "
                "follow (it names a class or method, whose mock has another shape than the target's): the patch would "
                "raise AttributeError; rewrite this test by hand",
                Severity.ERROR,
                related=(where,),
            )
        else:
            self.report(
                string, "D113",
                f"patch target {value!r}: phase D rewrites some calls through `{attrs[0]}` in {mod} ({where}); the "
                "patch intercepts only the calls left on the legacy factory",
                related=(where,),
            )
        self.ref(string, "patch", value, False)

    def _plan_patch_object(self, string: cst.SimpleString, call: cst.Call, attr: str) -> None:
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) < 2 or positional[1].value is not string:
            return
        obj = positional[0].value
        head = obj
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return
        bindings, _ = self._binding_paths(head)
        if len(bindings) != 1 or bindings[0][1] is None:
            return
        chain_attrs = []
        cur = obj
        while isinstance(cur, cst.Attribute):
            chain_attrs.insert(0, cur.attr.value)
            cur = cur.value
        parts = bindings[0][1].split(".") + chain_attrs + [attr]
        ents = [e for e in self.resolver.entities(parts) if e.kind in ("member", "function")]
        if not ents:
            return
        e = ents[-1]
        self.report(
            string, "D114",
            f"`patch.object({self.code(obj)}, {attr!r})` replaces a legacy factory ({e.key}); the calls phase D "
            "rewrites no longer go through it: patch the target factory where the code under test imports it",
        )
        self.ref(string, "patch", e.key, False)

    # -- summary for other files (patch targets) ---------------------------------------------------
    def _summarise(self) -> None:
        """What this file's module-level bindings become (read by the patch targets of other files)."""
        touched: set[str] = set()
        lines: dict[str, int] = {}
        for s in self.sites:
            if s.active and s.removed_refs and s.anchor is not None and isinstance(s.anchor.scope, GlobalScope):
                touched.add(s.anchor.name)
                lines[s.anchor.name] = self.line(s.anchor.node)
        removed_aliases = getattr(self, "removed_aliases", set())
        removed = {
            a.name for a in getattr(self, "removable", set())
            if isinstance(a.scope, GlobalScope) and self._alias_of(a) in removed_aliases
        }
        target_local = {
            s.rule.index: s.local for s in self.sites if s.active and isinstance(s.scope, GlobalScope)
        }
        self.summary = {"touched": touched, "removed": removed, "target_local": target_local, "lines": lines, "path": self.path}

    # -- self-verification facts -------------------------------------------------------------------
    def site_facts(self, new_module: cst.Module) -> list[SiteFact]:
        outers = [s.outer for s in self.sites if s.active and s.outer is not None]
        text_lines = self.module.code.splitlines(keepends=True)
        out: list[SiteFact] = []
        nodes: list[tuple[cst.CSTNode, str]] = [(o, type(o).__name__) for o in outers]
        nodes += [(s, "str") for s in self.string_edits]
        for node, kind in nodes:
            if any(other is not node and self.inside(node, other) for other, _ in nodes):
                continue
            new = self.final.get(node)
            if new is None:
                continue
            start, end = self.pos[node].start, self.pos[node].end

            def byte_col(line: int, column: int) -> int:
                text = text_lines[line - 1] if line - 1 < len(text_lines) else ""
                return len(text[:column].encode("utf-8"))

            col, end_col = byte_col(start.line, start.column), byte_col(end.line, end.column)
            if kind == "str":
                code = new.evaluated_value  # type: ignore[attr-defined]
            else:
                code = cst.Module(body=[]).code_for_node(new.with_changes(lpar=[], rpar=[]))  # type: ignore[attr-defined]
                code = f"({code})"
            out.append(SiteFact(start.line, col, end.line, end_col, kind, code))
        return out


# -----------------------------------------------------------------------------------
# Helpers
# -----------------------------------------------------------------------------------


def _bind(params: tuple[Param, ...], positional, keywords) -> tuple[dict[str, tuple[int, bool]], str]:
    """Bind a call's arguments as Python would: {param: (arg index, by keyword)}, or a problem."""
    bound: dict[str, tuple[int, bool]] = {}
    slots = [p for p in params if p.kind in (POSONLY, POS)]
    by_name = {p.name: p for p in params}
    has_varpos = any(p.kind == VARPOS for p in params)
    has_varkw = any(p.kind == VARKW for p in params)
    for n, (idx, _arg) in enumerate(positional):
        if n < len(slots):
            bound[slots[n].name] = (idx, False)
        elif has_varpos:
            return bound, "extra positional arguments go to *args, which the rule cannot map"
        else:
            return bound, f"takes {len(slots)} positional argument(s) but {len(positional)} were given"
    for idx, arg in keywords:
        name = arg.keyword.value
        p = by_name.get(name)
        if p is None or p.kind in (POSONLY, VARPOS, VARKW):
            if has_varkw:
                return bound, f"keyword {name!r} goes to **kwargs, which the rule cannot map"
            return bound, f"unexpected keyword argument {name!r}"
        if name in bound:
            return bound, f"multiple values for argument {name!r}"
        bound[name] = (idx, True)
    for p in params:
        if p.kind in (VARPOS, VARKW) or p.default is not None or p.name in bound:
            continue
        return bound, f"missing required argument {p.name!r}"
    return bound, ""


def _tight_equal() -> cst.AssignEqual:
    return cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _sig(params: tuple[Param, ...]) -> str:
    return "(" + ", ".join(p.render() for p in params) + ")"


def _spelled_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    return None


class _ImpureFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.impure = False

    def visit_Call(self, node: cst.Call) -> bool:
        self.impure = True
        return False

    def visit_Await(self, node: cst.Await) -> bool:
        self.impure = True
        return False

    def visit_Yield(self, node: cst.Yield) -> bool:
        self.impure = True
        return False

    def visit_NamedExpr(self, node: cst.NamedExpr) -> bool:
        self.impure = True
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _pure(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.Name, cst.BaseNumber, cst.SimpleString)):
        return True
    finder = _ImpureFinder()
    node.visit(finder)
    return not finder.impure


class _CommentFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_Comment(self, node: cst.Comment) -> None:
        self.found.append(node.value)


def _comment_texts(node: cst.CSTNode) -> list[str]:
    f = _CommentFinder()
    node.visit(f)
    return f.found


def _expr(dotted: str) -> cst.BaseExpression:
    parts = dotted.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for p in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(p))
    return node


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _with_string(node: cst.SimpleString, text: str) -> cst.SimpleString | None:
    if "\\" in node.value or node.quote in text or "\\" in text:
        return None
    return node.with_changes(value=f"{node.prefix}{node.quote}{text}{node.quote}")


class _Collector(cst.CSTVisitor):
    """Names that start an expression, calls, and the strings that name patch targets."""

    def __init__(self) -> None:
        self.names: list[cst.Name] = []
        self.calls: list[cst.Call] = []
        self.patch_strings: list[tuple[cst.SimpleString, cst.Call, str]] = []
        self.star = False
        self._skip_depth = 0

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self.star = True
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False  # the attribute name is not a name of its own

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.annotation is not None:
            node.annotation.visit(self)
        if node.default is not None:
            node.default.visit(self)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for d in node.decorators:
            d.visit(self)
        node.params.visit(self)
        if node.returns is not None:
            node.returns.visit(self)
        node.body.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        for d in node.decorators:
            d.visit(self)
        for b in (*node.bases, *node.keywords):
            b.visit(self)
        node.body.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)
        callee = node.func
        last = callee.attr.value if isinstance(callee, cst.Attribute) else (callee.value if isinstance(callee, cst.Name) else "")
        kind = None
        if last in PATCH_CALLEES:
            kind = "patch"
        elif last == "object" and isinstance(callee, cst.Attribute) and (_dotted(callee.value) or "").endswith("patch"):
            kind = "patch.object"
        if kind is None:
            return
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if kind == "patch":
            first = next((a for a in node.args if a.keyword is not None and a.keyword.value == "target"), None)
            first = first or (positional[0] if positional else None)
            if first is not None and isinstance(first.value, cst.SimpleString):
                self.patch_strings.append((first.value, node, kind))
        elif len(positional) >= 2 and isinstance(positional[1].value, cst.SimpleString):
            self.patch_strings.append((positional[1].value, node, kind))


class _Applier(cst.CSTTransformer):
    """Apply the planned edits; nodes are matched by identity with the original tree."""

    def __init__(self, owner: Analyzer) -> None:
        super().__init__()
        self.o = owner
        self.sites = {s.call: s for s in owner.sites if s.active}
        self.await_removals = {s.outer: s for s in owner.sites if s.active and s.await_mode == "remove"}

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        site = self.sites.get(original_node)
        if site is None:
            return updated_node
        new = self.o._build_call(updated_node, site, site.local)
        if site.await_mode == "add":
            parent = self.o.parent(original_node)
            wrapped = isinstance(parent, (cst.Attribute, cst.Subscript)) and getattr(parent, "value", None) is original_node
            wrapped = wrapped or (isinstance(parent, cst.Call) and parent.func is original_node)
            inner = new.with_changes(lpar=[], rpar=[])
            aw = cst.Await(expression=inner, lpar=list(new.lpar), rpar=list(new.rpar))
            if wrapped and not new.lpar:
                aw = aw.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            self.o.final[original_node] = aw
            return aw
        self.o.final[original_node] = new
        return new

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        site = self.await_removals.get(original_node)
        if site is None:
            return updated_node
        expr = updated_node.expression
        if updated_node.lpar:
            expr = expr.with_changes(lpar=[*updated_node.lpar, *expr.lpar], rpar=[*expr.rpar, *updated_node.rpar])
        self.o.final[original_node] = expr
        return expr

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        repl = self.o.string_edits.get(original_node)
        if repl is None:
            return updated_node
        self.o.final[original_node] = repl
        return repl

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import):  # type: ignore[override]
        edit = self.o.stmt_edits.get(original_node)
        if edit is None or not edit.remove:
            return updated_node
        keep = [u for o, u in zip(original_node.names, updated_node.names) if o not in edit.remove]
        if not keep:
            return cst.RemoveFromParent()
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=keep)

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom):  # type: ignore[override]
        edit = self.o.stmt_edits.get(original_node)
        if edit is None or isinstance(original_node.names, cst.ImportStar):
            return updated_node
        parenthesized = original_node.lpar is not None
        if edit.retarget is not None:
            carry, target, local = edit.retarget
            relative, module = self.o.module_expr(original_node, target.module)
            alias = _renamed(carry, target.name, local)
            names = [alias] + [_fresh(target_alias(t, l)) for t, l in edit.append]
            if parenthesized:
                alias, rpar = _paren_tail(alias, original_node)
                names = [alias]
                return updated_node.with_changes(relative=relative, module=module, names=_fix_commas(names, True), rpar=rpar)
            return updated_node.with_changes(relative=relative, module=module, names=_fix_commas([a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in names], False))
        names = [u for o, u in zip(original_node.names, updated_node.names) if o not in edit.remove]  # type: ignore[arg-type]
        for t, l in edit.append:
            names.append(_fresh(target_alias(t, l)))
        if not names:
            return cst.RemoveFromParent()
        if len(names) != len(original_node.names) or edit.append:  # type: ignore[arg-type]
            if parenthesized and not edit.append and names:
                last_orig = original_node.names[-1]  # type: ignore[index]
                if last_orig in edit.remove:
                    tail, rpar = _paren_tail(names[-1], original_node)
                    names[-1] = tail
                    return updated_node.with_changes(names=_fix_commas(names, True), rpar=rpar)
            return updated_node.with_changes(names=_fix_commas(names, parenthesized))
        return updated_node

    def leave_SimpleStatementLine(self, original_node, updated_node):  # type: ignore[override]
        extra: list[cst.SimpleStatementLine] = []
        for small in original_node.body:
            edit = self.o.stmt_edits.get(small)
            if edit is None:
                continue
            for alias, target, local in edit.split:
                relative, module = self.o.module_expr(small, target.module)
                new_alias = _renamed(alias, target.name, local)
                new_alias, rpar = _paren_tail(new_alias, small)
                stmt = cst.ImportFrom(
                    module=module, names=_fix_commas([new_alias], True), relative=relative,
                    lpar=_without_comments(small.lpar), rpar=rpar,
                )
                extra.append(cst.SimpleStatementLine(body=[stmt]))
            by_module: dict[str, list[cst.ImportAlias]] = {}
            for target, local in edit.insert:
                by_module.setdefault(target.module, []).append(target_alias(target, local))
            for dest, aliases in by_module.items():
                relative, module = self.o.module_expr(small, dest)
                stmt = cst.ImportFrom(module=module, names=_fix_commas(aliases, False), relative=relative)
                extra.append(cst.SimpleStatementLine(body=[stmt]))
        if not updated_node.body:
            if extra:
                return cst.FlattenSentinel(extra)
            return cst.RemoveFromParent()
        if len(updated_node.body) != len(original_node.body):
            last = updated_node.body[-1]
            if hasattr(last, "semicolon") and not isinstance(last.semicolon, cst.MaybeSentinel):
                updated_node = updated_node.with_changes(body=[*updated_node.body[:-1], last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
        if extra:
            return cst.FlattenSentinel([updated_node, *extra])
        return updated_node


def target_alias(target: TargetInfo, local: str) -> cst.ImportAlias:
    return cst.ImportAlias(name=cst.Name(target.name), asname=None if local == target.name else cst.AsName(name=cst.Name(local)))


def _fresh(alias: cst.ImportAlias) -> cst.ImportAlias:
    return alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)


def _renamed(alias: cst.ImportAlias, name: str, local: str) -> cst.ImportAlias:
    asname = None if local == name else cst.AsName(name=cst.Name(local))
    return alias.with_changes(name=cst.Name(name), asname=asname)


# -----------------------------------------------------------------------------------
# What phase D does to another module (for patch targets naming its bindings)
# -----------------------------------------------------------------------------------

def consumer_summary(ctx: RunContext, module: str) -> dict | None:
    """Phase D's decisions for ``module``'s module-level bindings; None when D leaves it alone."""
    spec = ctx.spec
    path = find_module_file(spec, module)
    if path is None:
        return None
    rel = path.resolve().relative_to(spec.root).as_posix()
    if not matches_any(rel, spec.include) or matches_any(rel, spec.exclude):
        return None
    if module in ctx.payload.protected:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    summaries = ctx.cache.table("d.summaries")
    key = (rel, hash(data))
    if key in summaries:
        return summaries[key]
    result = None
    if re.search(ctx.payload.pattern, data):
        try:
            mod = cst.parse_module(data)
        except cst.ParserSyntaxError:
            mod = None
        if mod is not None:
            analyzer = Analyzer(ctx, rel, data, mod, ctx.index.module_for_path(rel), patches=False)
            analyzer.run()
            result = analyzer.summary
    summaries[key] = result
    return result


__all__ = ["PhaseD", "Analyzer", "SiteFact", "AwaitFact", "RuleHit", "consumer_summary"]
