"""Phase C: rewrite every legacy import to the canonical import.

What it does
    Every import form that reaches a moved module or symbol (``import a.b``,
    ``import a.b as m``, ``from a import b``, ``from a.b import X [as Y]``,
    relative imports, star imports, imports inside functions, ``try`` blocks
    and ``if TYPE_CHECKING:``) is rewritten in place to the canonical module
    named by the move map.  Exact dotted strings in the string classes that
    name import targets (``mock.patch``, ``importlib.import_module``,
    ``pkgutil.resolve_name``, string annotations) follow, and so do attribute
    chains that reach a moved target through a package the file imports
    (``pkg.old.URL``; the import that makes the new chain resolve is added).
    A ``mock.patch`` target stays where the legacy module itself still looks
    the name up (see :mod:`codemods.chains`).

Why
    Fifteen import paths for one class means fifteen places to forget when
    the class changes; each path through a copy-paste shim can also load a
    second copy of the class.

What it never does
    Rewrite the imports that wire a move together (a legacy module's import
    of its canonical module, a canonical module's import of its
    implementation: C000) or the files listed in ``protected``; "fix" an
    import whose source module does not define the name and that no move
    accounts for (a legacy module that is gone, or a name a symbol move took
    out of it, is rewritten: the spec says where it went); hoist an
    import out of its block; rename a name in the import without its uses;
    edit comments or docstrings (reported; rewritten only with
    ``--include-docs``).  Anything it cannot prove is reported with file:line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ScopeProvider,
)
from libcst.metadata.scope_provider import Assignment, FunctionScope, GlobalScope, Scope

from migrate.modindex import ModuleIndex, resolve_relative
from migrate.phase import Options, Phase, RunContext
from migrate.results import FileOutcome, Plan, RefFact, Report, Severity, Status
from migrate.verify import VerifyPolicy, iter_statements, parse_cached

from . import register
from .bindings import _in_import, module_binding_uses
from .chains import ChainHit, attribute_chain, is_store, legacy_prefix, own_lookups
from .linelength import project_line_length, too_long, wrapped_import
from .cstutil import CodegenIndex, module_all_names, render_preserving
from .cstutil import dotted_name as _dotted
from .moves import MoveTable, module_defines
from .triage import Prefilter, prefilter_regexes, triage, triage_for

PATCH_CALLEES = {"patch"}
PATCH_HELPERS = {"dict", "multiple"}  # patch.dict("pkg.mod.X"), patch.multiple("pkg.mod", ...)
IMPORTLIB_CALLEES = {"import_module", "resolve_name", "__import__", "find_spec"}


@dataclass(frozen=True)
class CPayload:
    table: MoveTable
    protected: frozenset[str]
    leaf_literals: tuple[bytes, ...]  # the prefilter (codemods/triage.Prefilter): literals, then regexes
    leaf_patterns: tuple[bytes, ...]
    doc_pattern: str  # regex over text for legacy dotted paths in comments/docstrings


# Facts shipped from workers to ``finalize``.
@dataclass(frozen=True)
class PatchFact:
    path: str
    line: int
    before: str
    after: str | None  # None: not rewritten


@dataclass(frozen=True)
class ChainFact:
    """A chain rewritten through an alias of its package (``p.old`` -> ``p._old``): a target the verifier allows."""

    path: str
    line: int
    new: str


@dataclass(frozen=True)
class ImportFact:
    """A rewritten binding of a legacy symbol (for the patch-interception check)."""

    path: str
    line: int
    old: str  # "module:name" the binding used to read
    new: str  # "module:name" it reads now
    local: str  # the local name bound, before
    new_local: str  # the local name bound, after
    function_level: bool
    module: str | None  # this file's module name



@register
class PhaseC(Phase):
    """C (imports): every legacy import form rewritten to the canonical import."""

    letter = "C"
    title = "imports"
    needs = ()
    #: Decide with ``ast`` first (codemods/triage.py); off only in the differential tests.
    use_triage = True

    def prepare(self, spec, index, options):  # type: ignore[override]
        table = MoveTable.from_spec(spec)
        leaf_literals, leaf_patterns = prefilter_regexes(table)
        paths = table.legacy_dotted_paths()
        doc_pattern = (
            r"(?<![\w.])(?:" + "|".join(re.escape(p) for p in paths) + r")(?:[.:][A-Za-z_]\w*)*(?![\w])"
            if paths
            else r"(?!)"
        )
        # Only the modules the user lists are protected whole; in the modules the move map
        # names, only the forwarding imports are (ImportRewriter._forwarding).
        return CPayload(table, frozenset(spec.protected), leaf_literals, leaf_patterns, doc_pattern)

    def prefilter(self, ctx: RunContext) -> Prefilter:  # type: ignore[override]
        return Prefilter(ctx.payload.leaf_literals, ctx.payload.leaf_patterns)

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        payload: CPayload = ctx.payload
        modinfo = ctx.index.module_for_path(path)
        module_name, is_pkg = modinfo if modinfo else (None, False)
        if module_name is not None and module_name in payload.protected:
            return FileOutcome(
                path,
                Status.UNCHANGED,
                reports=(
                    Report(path, 1, "C000", f"protected module {module_name} (listed in `protected`): not rewritten", Severity.INFO),
                ),
            )
        package = None
        if module_name is not None:
            package = module_name if is_pkg else module_name.rpartition(".")[0]
        if self.use_triage:
            verdict = triage(triage_for(payload.table, payload.doc_pattern), data, package)
            if not verdict.needs_cst:  # nothing to edit or report: only its patch targets are facts
                facts = tuple(PatchFact(path, line, value, None) for line, value in verdict.patch_targets)
                return FileOutcome(path, Status.UNCHANGED, facts=facts)
        try:
            module = cst.parse_module(data)
        except cst.ParserSyntaxError as exc:
            return FileOutcome(path, Status.SKIPPED, reason=f"does not parse: line {exc.raw_line}: {exc.message}")
        rewriter = ImportRewriter(
            path=path,
            module=module,
            module_name=module_name,
            package=package,
            table=payload.table,
            index=ctx.index,
            options=ctx.options,
            doc_re=re.compile(payload.doc_pattern),
        )
        new_module = rewriter.run()
        reports = tuple(sorted(set(rewriter.reports)))
        facts = tuple(rewriter.facts)
        if not rewriter.edit_count:
            return FileOutcome(path, Status.UNCHANGED, reports=reports, facts=facts)
        after = render_preserving(data, module, new_module, base=rewriter.tree.bytes)
        if after is None:
            return FileOutcome(
                path,
                Status.SKIPPED,
                reports=reports,
                reason="LibCST cannot reproduce this file byte for byte around the edits; not rewritten",
            )
        if after == data:
            return FileOutcome(path, Status.UNCHANGED, reports=reports, facts=facts)
        return FileOutcome(
            path,
            Status.CHANGED,
            before=data,
            after=after,
            edits=rewriter.edit_count,
            reports=reports,
            facts=facts,
        )

    def verify_policy(self, ctx: RunContext, outcome: FileOutcome) -> VerifyPolicy:
        table: MoveTable = ctx.payload.table
        allowed = {new for _, new in table.module_moves}
        for _, (mod, name) in table.symbol_moves:
            allowed |= {mod, name}
        renames = {}
        allowed |= {f.new for f in outcome.facts if isinstance(f, ChainFact)}
        for f in outcome.facts:
            if isinstance(f, ImportFact) and f.local != f.new_local:
                renames[f.local] = f.new_local
                allowed.add(f.new_local)
        return VerifyPolicy(
            comments_may_change=ctx.options.include_docs,
            renames=renames,
            allowed_refs=frozenset(allowed),
        )

    def check_output(self, ctx: RunContext, outcome: FileOutcome) -> list[str]:
        """Every import the rewrite introduced must resolve to a name the target module defines."""
        modinfo = ctx.index.module_for_path(outcome.path)
        package = None
        if modinfo:
            package = modinfo[0] if modinfo[1] else modinfo[0].rpartition(".")[0]
        new = _import_pairs(outcome.after or b"", package) - _import_pairs(outcome.before or b"", package)
        problems = []
        for mod, name in sorted(new, key=str):
            if name is None:
                ok = ctx.index.exists(mod)
            elif name == "*":
                ok = ctx.index.exists(mod)
            else:
                ok = bool(module_defines(ctx.index, mod, name))
            if not ok:
                problems.append(f"introduced import {mod}{':' + name if name else ''} does not resolve")
        return problems

    def finalize(self, ctx: RunContext, plan: Plan) -> list[Report]:
        return interception_reports(plan)


def _import_pairs(source: bytes, package: str | None) -> set[tuple[str, str | None]]:
    """(module, name) for every import in ``source``; name None for ``import module``."""
    import ast

    try:
        tree = parse_cached(source)
    except (SyntaxError, ValueError):
        return set()
    out: set[tuple[str, str | None]] = set()
    for node in iter_statements(tree):  # imports are statements: no need to visit every expression
        if isinstance(node, ast.Import):
            out |= {(a.name, None) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mod = resolve_relative(package or "", node.level, node.module) if node.level else node.module
            if mod:
                out |= {(mod, a.name) for a in node.names}
    return out


def interception_reports(plan: Plan) -> list[Report]:
    """Patch targets whose interception changes because an import was rewritten elsewhere."""
    imports: dict[str, list[ImportFact]] = {}
    renamed_bindings: dict[str, ImportFact] = {}
    for o in plan.outcomes:
        for f in o.facts:
            if isinstance(f, ImportFact):
                imports.setdefault(f.old, []).append(f)
                if f.module and f.local != f.new_local:
                    renamed_bindings[f"{f.module}.{f.local}"] = f
    out: list[Report] = []
    for o in plan.outcomes:
        for f in o.facts:
            if not isinstance(f, PatchFact):
                continue
            mod, _, name = f.before.rpartition(".")
            # One report per patch site: the intercepted imports are its details (related).
            hits = [imp for imp in imports.get(f"{mod}:{name}", []) if imp.function_level or not f.after]
            if hits:
                wheres = tuple(f"{imp.path}:{imp.line}" for imp in hits)
                news = ", ".join(sorted({imp.new for imp in hits}))
                count = f"the lookup at {wheres[0]}" if len(hits) == 1 else f"{len(hits)} lookups (first at {wheres[0]})"
                if f.after:
                    msg = (
                        f"patch target {f.before!r} intercepted {count}, which now read(s) {news}; "
                        f"the target was rewritten to {f.after!r} to keep intercepting it"
                    )
                else:
                    msg = f"patch target {f.before!r} intercepted {count}, which now read(s) {news}; the patch no longer intercepts it"
                out.append(Report(f.path, f.line, "C301", msg, Severity.WARNING, related=wheres))
            hit = renamed_bindings.get(f.before)
            if hit:
                out.append(
                    Report(
                        f.path,
                        f.line,
                        "C302",
                        f"patch target {f.before!r} names the binding {hit.local!r} that --rename-uses renames "
                        f"to {hit.new_local!r} at {hit.path}:{hit.line}; the patch will raise AttributeError",
                        Severity.ERROR,
                        related=(f"{hit.path}:{hit.line}",),
                    )
                )
    return out


# ---------------------------------------------------------------------------
# The rewriter: analyse with metadata, then apply collected edits.
# ---------------------------------------------------------------------------


@dataclass
class _AliasGroup:
    """Aliases that will be imported from one destination module."""

    dest: str  # absolute module
    aliases: list[cst.ImportAlias] = field(default_factory=list)


@dataclass
class _FromPlan:
    """What happens to one ``from X import ...`` statement."""

    stays: list[cst.ImportAlias]
    groups: list[_AliasGroup]
    level: int  # original relative level (0 = absolute)
    anchor: str | None  # package the dots pointed at
    moved_count: int = 0
    appended: list[cst.ImportAlias] = field(default_factory=list)  # merged in from other lines
    remove: bool = False


def _expr(dotted: str) -> cst.BaseExpression:
    parts = dotted.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for p in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(p))
    return node


def _name_or_attr(dotted: str) -> cst.Attribute | cst.Name:
    return _expr(dotted)  # type: ignore[return-value]


def _alias_local(alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        return alias.asname.name.value  # type: ignore[union-attr]
    return _dotted(alias.name) or ""


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _line_binds(stmt: cst.SimpleStatementLine) -> set[str]:
    out: set[str] = set()
    for small in stmt.body:
        if isinstance(small, cst.Import):
            out |= {a.asname.name.value if a.asname else (_dotted(a.name) or "").split(".")[0] for a in small.names}  # type: ignore[union-attr]
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            out |= {_alias_local(a) for a in small.names}
    return out


def _import_key(alias: cst.ImportAlias) -> tuple[str | None, str | None]:
    return _dotted(alias.name), (alias.asname.name.value if alias.asname else None)  # type: ignore[union-attr]


def _has_comments(node: cst.CSTNode) -> bool:
    found = False

    class _V(cst.CSTVisitor):
        def visit_Comment(self, n: cst.Comment) -> None:
            nonlocal found
            found = True

    node.visit(_V())
    return found


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    names = {(_dotted(t.value if isinstance(t, cst.Element) else t) or "").rpartition(".")[2] for t in types}
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _is_single_line(node: cst.CSTNode) -> bool:
    return "\n" not in cst.Module(body=[]).code_for_node(node).rstrip("\r\n")


class ImportRewriter:
    """Per-file state for phase C.  Fresh for every file (no leaking state)."""

    def __init__(
        self,
        *,
        path: str,
        module: cst.Module,
        module_name: str | None,
        package: str | None,
        table: MoveTable,
        index: ModuleIndex,
        options: Options,
        doc_re: re.Pattern[str],
    ) -> None:
        self.path = path
        self.module = module
        self.module_name = module_name
        self.package = package
        self.table = table
        self.index = index
        self.options = options
        self.doc_re = doc_re
        self.reports: list[Report] = []
        self.facts: list[Any] = []
        self.replace: dict[cst.CSTNode, cst.CSTNode] = {}
        self.from_plans: dict[cst.ImportFrom, _FromPlan] = {}
        self.import_plans: dict[cst.Import, list[cst.ImportAlias]] = {}
        self.handled_strings: set[cst.SimpleString] = set()
        #: Import lines added after an existing line (the import that makes a rewritten chain resolve).
        self.add_after: dict[cst.SimpleStatementLine, list[cst.SimpleStatementLine]] = {}
        self._added_keys: dict[cst.SimpleStatementLine, set[tuple]] = {}
        self.edit_count = 0
        self._scopes: Any = None
        self.partners = table.partners(module_name) if module_name else frozenset()

    # -- helpers ------------------------------------------------------------
    # Scope analysis (the costly pass) runs on first use: only when a binding's
    # uses must be followed.
    @property
    def scopes(self) -> Any:
        if self._scopes is None:
            self._scopes = self._wrapper.resolve(ScopeProvider)
        return self._scopes

    def line(self, node: cst.CSTNode) -> int:
        return self.tree.line(node)

    @property
    def line_length(self) -> int | None:
        """The project's configured limit (ruff/black/isort/flake8); None when none is configured."""
        if not hasattr(self, "_line_length"):
            self._line_length = project_line_length(self.index.root)
        return self._line_length

    def indent_of(self, node: cst.CSTNode) -> int:
        """Columns of indentation of the source line where ``node`` starts."""
        if not hasattr(self, "_source_lines"):
            self._source_lines = self.tree.bytes.decode(self.module.encoding, "replace").splitlines()
        n = self.line(node) - 1
        text = self._source_lines[n] if 0 <= n < len(self._source_lines) else ""
        return len(text) - len(text.lstrip(" \t"))

    def _binding_scope(self, node: cst.Import | cst.ImportFrom, alias: cst.ImportAlias) -> Any:
        """The scope in which to follow the binding ``alias`` makes.

        The light module-level answer (:func:`module_binding_uses`) when it can
        prove it, else LibCST's scope analysis (the costly pass, run once per file).
        """
        light = module_binding_uses(self.tree, node, alias)
        if light is not None:
            return light
        return self.scopes.get(node)

    def report(self, node: cst.CSTNode, code: str, message: str, severity: Severity = Severity.WARNING, related: Sequence[str] = ()) -> None:
        self.reports.append(Report(self.path, self.line(node), code, message, severity, related=tuple(related)))

    def ref(self, node: cst.CSTNode, kind: str, target: str, rewritten: bool) -> None:
        # A reference left in place is always reported just before: that report says why.
        why = "" if rewritten or not self.reports else self.reports[-1].code
        self.facts.append(RefFact(self.path, self.line(node), kind, target, rewritten, why))

    def _edit(self, old: cst.CSTNode, new: cst.CSTNode) -> None:
        self.replace.setdefault(old, new)

    # -- driver ---------------------------------------------------------------
    def run(self) -> cst.Module:
        self._wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.module_all = module_all_names(self.module)
        # One codegen pass: lines, parents, the nodes phase C looks at, and the
        # untouched rendering that render_preserving needs.
        self.tree = CodegenIndex(self.module, (cst.Import, cst.ImportFrom, cst.SimpleString, cst.Comment, cst.Name))
        self.used_names = {n.value for n in self.tree.nodes(cst.Name)}  # type: ignore[attr-defined]
        self.parents = self.tree.parents
        for node in self.tree.nodes(cst.Import):
            self._plan_import(node)  # type: ignore[arg-type]
        for node in self.tree.nodes(cst.ImportFrom):
            self._plan_import_from(node)  # type: ignore[arg-type]
        self._merge_into_siblings()
        self._dedupe_plain_imports()
        self._plan_parent_chains()
        for node in self.tree.nodes(cst.SimpleString):
            if node not in self.handled_strings:
                self._plan_string(node)  # type: ignore[arg-type]
        for node in self.tree.nodes(cst.Comment):
            self._plan_comment(node)  # type: ignore[arg-type]
        added = sum(len(v) for v in self.add_after.values())
        self.edit_count = len(self.replace) + len(self.from_plans) + len(self.import_plans) + added
        if not self.edit_count:
            return self.module
        return self.module.visit(_Applier(self, self._on_edit_paths()))

    def _on_edit_paths(self) -> set[cst.CSTNode]:
        """The edited nodes and their ancestors: the applier skips every other subtree."""
        keep: set[cst.CSTNode] = set()
        for node in [*self.replace, *self.from_plans, *self.import_plans, *self.add_after]:
            n: cst.CSTNode | None = node
            while n is not None and n not in keep:
                keep.add(n)
                n = self.parents.get(n)
        return keep

    # -- `import a.b.c [as m]` ------------------------------------------------
    def _plan_import(self, node: cst.Import) -> None:
        new_aliases: list[cst.ImportAlias] = []
        changed = False
        for alias in node.names:
            full = _dotted(alias.name) or ""
            new_alias = alias
            legacy = self.table.is_legacy_module(full) or any(
                self.table.is_legacy_module(".".join(full.split(".")[: i + 1])) for i in range(len(full.split(".")))
            )
            if legacy and self._forwarding(node, full):
                legacy = False
            if legacy:
                # Scope analysis is the costly pass: only legacy imports pay for it.
                result = self._rewrite_module_import(node, alias, full, self._binding_scope(node, alias))
                if result is not None:
                    new_alias = result
                    changed = True
            new_aliases.append(new_alias)
        if changed:
            self.import_plans[node] = new_aliases

    def _rewrite_module_import(
        self, node: cst.Import, alias: cst.ImportAlias, full: str, scope: Scope | None
    ) -> cst.ImportAlias | None:
        new_full = self.table.resolve_module(full)
        has_symbols = full in self.table.symbol_modules()
        if new_full is None and not has_symbols:
            return None  # a parent package import like `import pkg.websocket_core`
        gone = new_full is not None and not self._legacy_module_exists(full)
        if gone and not self.index.exists(new_full):  # type: ignore[arg-type]
            self.report(node, "C101", f"import of {full}, which does not exist in this repository: not rewritten")
            self.ref(node, "import", full, False)
            return None
        if scope is None:
            return None
        local = alias.asname.name.value if alias.asname else full  # type: ignore[union-attr]
        assignment = self._assignment(scope, local, node)
        if assignment is None:
            self.report(
                node,
                "C109",
                f"cannot follow the binding `{local}` made by this import (e.g. a `global` declaration): not rewritten",
            )
            self.ref(node, "import", full, False)
            return None
        if gone and not self._gone_module_ok(node, full, new_full, assignment):  # type: ignore[arg-type]
            return None
        uses = self._module_uses(assignment, full, new_full, dotted_binding=alias.asname is None, binding=node)
        if uses is None:
            self.ref(node, "import", full, False)
            return None
        target, edits = uses
        if target is None:
            for old_node, new_node in edits:  # moved names read through a binding that stays
                self._edit(old_node, new_node)
            return None
        if alias.asname is None:
            # `import a.b.c` binds `a`; other uses of `a`/`a.b` must stay bound.
            if not self._prefix_uses_ok(node, scope, full, target):
                self.ref(node, "import", full, False)
                return None
        for old_node, new_node in edits:
            self._edit(old_node, new_node)
        if gone:
            self._note_gone_in_guard(node, full, target)
        self.ref(node, "import", full, True)
        self._fact_module_binding(node, full, target, local, scope)
        return alias.with_changes(name=_name_or_attr(target))

    def _prefix_uses_ok(self, node: cst.Import, scope: Scope, full: str, target: str) -> bool:
        parts = full.split(".")
        new_parts = target.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            if new_parts[:i] == parts[:i]:
                continue  # the new import binds the same prefix
            mine = [a for a in scope.assignments[prefix] if getattr(a, "node", None) is node]
            if not mine:
                continue
            accesses = [r for a in mine for r in a.references]
            if not accesses:
                continue
            # Prefix accesses are attributed to every import binding the prefix; only
            # ours counting means they rely on this import.
            others = [a for a in scope.assignments[prefix] if getattr(a, "node", None) is not node]
            if others:
                continue
            self.report(
                node,
                "C102",
                f"`import {full}` also provides `{prefix}` used at line {self.line(accesses[0].node)}; "
                f"rewriting to `import {target}` would unbind it: not rewritten",
            )
            return False
        return True

    def _assignment(self, scope: Scope, name: str, node: cst.CSTNode) -> Assignment | None:
        for a in scope.assignments[name]:
            if getattr(a, "node", None) is node:
                return a  # type: ignore[return-value]
        return None

    def _module_uses(
        self, assignment: Any, full: str, new_full: str | None, *, dotted_binding: bool, binding: cst.CSTNode | None = None
    ) -> tuple[str | None, list[tuple[cst.CSTNode, cst.CSTNode]]] | None:
        """Plan the rewrites of the uses of a binding to module ``full``.

        Returns ``(target module, edits)``; ``target`` None means nothing to do.
        Returns None (after reporting) when the uses cannot be rewritten.
        """
        edits: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        attr_moves: list[tuple[cst.CSTNode, cst.Attribute, tuple[str, str]]] = []
        plain: list[cst.CSTNode] = []
        for access in assignment.references:
            n = access.node
            if isinstance(n, cst.SimpleString):
                plain.append(n)
                continue
            parent = self.parents.get(n)
            if isinstance(parent, cst.Attribute) and parent.value is n:
                hit = dict(self.table.symbol_moves).get((full, parent.attr.value))
                if hit:
                    attr_moves.append((n, parent, hit))
                    continue
            plain.append(n)
        target = new_full
        if new_full is None:
            # The module stays; only some of its symbols moved.  Retarget the binding
            # only if every use is a moved symbol going to one module.
            dests = {hit[0] for _, _, hit in attr_moves}
            if not attr_moves and not (dotted_binding and any(self._moved_string(n, full) for n in plain)):
                return None, []
            if plain or len(dests) != 1:
                # The binding stays for the names that did not move; each moved name's
                # chain is rewritten on its own, with the import that makes it resolve.
                return None, self._partial_symbol_chains(full, attr_moves, plain, dotted_binding, binding)
            target = dests.pop()
        assert target is not None
        # Every attribute read through the binding must exist on the new module.
        for n in plain:
            parent = self.parents.get(n)
            if isinstance(n, cst.SimpleString):
                continue
            if isinstance(parent, cst.Attribute) and parent.value is n:
                attr = parent.attr.value
                if module_defines(self.index, target, attr) is False:
                    self.report(
                        parent,
                        "C107",
                        f"{full}.{attr} is used here but {target} does not define {attr}: import not rewritten",
                    )
                    return None
                if new_full is not None and self.index.same_object((full, attr), (target, attr)) is False:
                    self.report(
                        parent,
                        "C116",
                        f"{full}.{attr} and {target}.{attr} are different objects: import not rewritten",
                    )
                    return None
            elif not isinstance(parent, cst.Attribute) or parent.value is not n:
                self.report(
                    n,
                    "C109",
                    f"the module object {full} is used as a value here; cannot check what is read from it: "
                    "import not rewritten",
                )
                return None
        for n, parent, hit in attr_moves:
            if hit[0] != target:
                self.report(parent, "C103", f"{full}.{parent.attr.value} moved to another module ({hit[0]}): not rewritten")
                return None
        for n in plain:
            if isinstance(n, cst.SimpleString):
                if not dotted_binding:
                    continue  # "m.X" through an alias: the alias keeps its name
                new_s = self._rewrite_string_value(n, full, target)
                if new_s is None:
                    self.report(n, "C104", f"string annotation uses {full}; cannot rewrite it safely: import not rewritten")
                    return None
                self.handled_strings.add(n)
                edits.append((n, new_s))
            elif dotted_binding and target != full:
                edits.append((n, _expr(target).with_changes() if isinstance(n, cst.Name) else self._chain(n, target)))
        for n, parent, hit in attr_moves:
            base = n if not dotted_binding else self._chain(n, target)
            if not dotted_binding:
                base = n
            edits.append((parent, parent.with_changes(value=base, attr=parent.attr.with_changes(value=hit[1]))))
            self._fact_lookup(parent, full, parent.attr.value, hit)
        return target, edits

    # -- moved names read through a binding that stays; chains through a parent package --
    def _partial_symbol_chains(
        self,
        full: str,
        attr_moves: list[tuple[cst.CSTNode, cst.Attribute, tuple[str, str]]],
        plain: list[cst.CSTNode],
        dotted_binding: bool,
        binding: cst.CSTNode | None,
    ) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
        """``import a.b; a.b.X`` with ``X`` moved to ``a.c:Y`` while ``a.b.Z`` stays: ``a.c.Y`` plus ``import a.c``."""
        edits: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        for n, parent, (new_mod, new_name) in attr_moves:
            old = f"{full}.{parent.attr.value}"
            if is_store(self.parents, parent):
                self.report(parent, "C103", f"assignment to {old}: assigning {new_mod}.{new_name} instead would change what {new_mod} reads: not rewritten")
                self.ref(parent, "attribute", old, False)
                continue
            if module_defines(self.index, new_mod, new_name) is False:
                self.report(parent, "C107", f"{old} moved to {new_mod}:{new_name}, which {new_mod} does not define: not rewritten")
                self.ref(parent, "attribute", old, False)
                continue
            base = self._resolvable(binding, n, new_mod, dotted_binding, parent, old)
            if base is None:
                self.ref(parent, "attribute", old, False)
                continue
            edits.append((parent, parent.with_changes(value=base, attr=parent.attr.with_changes(value=new_name))))
            self.ref(parent, "attribute", old, True)
            self._fact_lookup(parent, full, parent.attr.value, (new_mod, new_name))
        for n in plain:
            # String annotations "a.b.X": _plan_string rewrites them; the import must be there too.
            if not (dotted_binding and isinstance(n, cst.SimpleString)):
                continue
            hit = self._moved_string(n, full)
            if hit is not None and module_defines(self.index, hit[0], hit[1]) is not False:
                self._resolvable(binding, n, hit[0], True, n, n.evaluated_value)  # type: ignore[arg-type]
        return edits

    def _moved_string(self, n: cst.CSTNode, full: str) -> tuple[str, str] | None:
        """The move of ``X`` for a string ``"<full>.X..."`` that names a moved symbol."""
        value = n.evaluated_value if isinstance(n, cst.SimpleString) else None
        if not isinstance(value, str) or not value.startswith(full + "."):
            return None
        return self.table._symbols.get((full, value[len(full) + 1:].split(".")[0]))  # noqa: SLF001

    def _resolvable(
        self, binding: cst.CSTNode | None, n: cst.CSTNode, new_mod: str, dotted_binding: bool, at: cst.CSTNode, old: str
    ) -> cst.BaseExpression | None:
        """An expression naming module ``new_mod`` where ``n`` is, adding the import it needs (None: reported)."""
        root = new_mod.split(".")[0]
        if isinstance(binding, cst.ImportFrom) and not dotted_binding:
            src = self._from_source(binding)
            parent, _, leaf = new_mod.rpartition(".")
            src_exp = self.index.get(src) if src is not None else None
            shadowed = src_exp is not None and leaf in src_exp.names  # `from a import c` would read a's own `c`
            if src is not None and parent == src and leaf not in self.used_names and not shadowed:
                stmt = cst.ImportFrom(module=binding.module, relative=binding.relative, names=[cst.ImportAlias(name=cst.Name(leaf))])
                if self._add_after(binding, stmt, ("from", parent, leaf, leaf)):
                    return cst.Name(leaf)
        bound_root = isinstance(n, (cst.Name, cst.Attribute)) and dotted_binding and (_dotted(n) or "").split(".")[0] == root
        if binding is not None and (bound_root or self._root_free(root)):
            stmt = cst.Import(names=[cst.ImportAlias(name=_name_or_attr(new_mod))])
            if self._add_after(binding, stmt, ("import", new_mod)):
                return self._chain(n, new_mod)
        self.report(
            at,
            "C103",
            f"{old} moved to {new_mod}, but `import {new_mod}` would rebind `{root}`, which this file uses otherwise: not rewritten",
        )
        return None

    def _fact_lookup(self, node: cst.CSTNode, module: str, name: str, new: tuple[str, str]) -> None:
        """An attribute read ``module.name`` that now reads ``new``: a patch left on ``module.name`` stops intercepting it."""
        self.facts.append(ImportFact(self.path, self.line(node), f"{module}:{name}", f"{new[0]}:{new[1]}", "", "", False, self.module_name))

    def _from_source(self, node: cst.ImportFrom) -> str | None:
        mod = _dotted(node.module) if node.module is not None else None
        if node.relative:
            return resolve_relative(self.package, len(node.relative), mod) if self.package else None
        return mod

    def _root_free(self, root: str) -> bool:
        """Whether ``import root.x`` may bind ``root`` here: unused, or bound only by ``import root...``."""
        by_import = False
        for imp in self.tree.nodes(cst.Import):
            for a in imp.names:  # type: ignore[attr-defined]
                if a.asname is not None:
                    if _alias_local(a) == root:
                        return False
                elif (_dotted(a.name) or "").split(".")[0] == root:
                    by_import = True
        for imp in self.tree.nodes(cst.ImportFrom):
            if not isinstance(imp.names, cst.ImportStar) and any(_alias_local(a) == root for a in imp.names):  # type: ignore[attr-defined]
                return False
        for name in self.tree.nodes(cst.Name):
            if name.value != root:  # type: ignore[attr-defined]
                continue
            parent = self.parents.get(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name or isinstance(parent, cst.Arg) and parent.keyword is name:
                continue
            if _in_import(self.parents, name):
                continue
            if not by_import:
                return False
            scope = self.scopes.get(name)
            if scope is None or any(not isinstance(a.node, cst.Import) for a in scope[root]):
                return False
        return True

    def _add_after(self, binding: cst.CSTNode, small: cst.BaseSmallStatement, key: tuple) -> bool:
        """Add an import line after the line of ``binding`` (once; not when the block already has it)."""
        line = self.parents.get(binding)
        if not isinstance(line, cst.SimpleStatementLine):
            return False
        block = self.parents.get(line)
        for imp in [*self.tree.nodes(cst.Import), *self.tree.nodes(cst.ImportFrom)]:
            other_line = self.parents.get(imp)
            if self.parents.get(other_line) not in (block, self.module) or isinstance(imp.names, cst.ImportStar):  # type: ignore[attr-defined]
                continue
            if isinstance(imp, cst.Import):
                names = self.import_plans.get(imp) or imp.names
                if key[0] == "import" and any(a.asname is None and _dotted(a.name) == key[1] for a in names):
                    return True
            elif key[0] == "from" and imp not in self.from_plans and self._from_source(imp) == key[1]:  # type: ignore[arg-type]
                if any(_dotted(a.name) == key[2] and _alias_local(a) == key[3] for a in imp.names):  # type: ignore[attr-defined]
                    return True
        if key not in self._added_keys.setdefault(line, set()):
            self._added_keys[line].add(key)
            self.add_after.setdefault(line, []).append(cst.SimpleStatementLine(body=[small]))
        return True

    def _plan_parent_chains(self) -> None:
        """``import pkg`` then ``pkg.old.URL``: the chain reaches a moved module without an import naming it."""
        bound: dict[str, str] = {}  # local name -> module, for `import M` / `import M as m`
        for imp in self.tree.nodes(cst.Import):
            for a in imp.names:  # type: ignore[attr-defined]
                dotted = _dotted(a.name) or ""
                if a.asname is not None:
                    bound[_alias_local(a)] = dotted
                else:
                    bound.setdefault(dotted.split(".")[0], dotted.split(".")[0])
        legacy = [old for old, _ in self.table.module_moves] + list(self.table.symbol_modules())
        above = {".".join(m.split(".")[:i]) for m in legacy for i in range(1, m.count(".") + 1)}
        bound = {k: v for k, v in bound.items() if v in above and not self.table.is_legacy_module(v)}
        if not bound:
            return  # no import binds a package above a legacy module
        imported = {(_dotted(a.name) or "") for imp in self.tree.nodes(cst.Import) for a in imp.names}  # type: ignore[attr-defined]
        for name in self.tree.nodes(cst.Name):
            module = bound.get(name.value)  # type: ignore[attr-defined]
            if module is None:
                continue
            parent = self.parents.get(name)
            if not (isinstance(parent, cst.Attribute) and parent.value is name) or _in_import(self.parents, name):
                continue
            chain = attribute_chain(self.parents, name)  # type: ignore[arg-type]
            dotted = module.split(".") + [c.attr.value for c in chain[1:]]  # type: ignore[attr-defined]
            start = len(module.split("."))
            hit = legacy_prefix(self.table, self.index, dotted, start)
            if hit is None:
                continue
            node = chain[len(hit.old.split(".")) - start]
            if any(n in self.replace for n in chain) or any(
                m == hit.old or m.startswith(hit.old + ".") or hit.old.startswith(m + ".") and self.table.is_legacy_module(m) for m in imported
            ):
                continue  # an import of the legacy module itself: its binding's rewrite owns the chain
            binding = self._module_import_binding(name)  # type: ignore[arg-type]
            if binding is None:
                text = cst.Module(body=[]).code_for_node(node)
                self.report(
                    node,
                    "C117",
                    f"attribute chain {text} may reach {hit.old}, which moved to {hit.new}, but `{name.value}` here is "  # type: ignore[attr-defined]
                    "not only the import's binding: not rewritten; check it by hand",
                )
                self.ref(node, "attribute", hit.old, False)
                continue
            above = chain[min(chain.index(node) + 1, len(chain) - 1)]  # the name read from the legacy module
            if is_store(self.parents, above):
                self.report(
                    node,
                    "C117",
                    f"assignment through {cst.Module(body=[]).code_for_node(above)} (the legacy module {hit.old}): "
                    f"through {hit.new} it would also change what {hit.module}'s own code reads: not rewritten",
                )
                self.ref(node, "attribute", hit.old, False)
                continue
            self._plan_chain(name, binding, module, node, hit)  # type: ignore[arg-type]

    def _module_import_binding(self, name: cst.Name) -> cst.Import | None:
        scope = self.scopes.get(name)
        if scope is None:
            return None
        assignments = list(scope[name.value])
        if not assignments or any(not isinstance(a.node, cst.Import) for a in assignments):
            return None
        return min((a.node for a in assignments), key=self.line)

    def _plan_chain(self, name: cst.Name, binding: cst.Import, module: str, node: cst.CSTNode, hit: ChainHit) -> None:
        up = self.parents.get(node)
        text = cst.Module(body=[]).code_for_node(up if isinstance(up, cst.Attribute) and up.value is node else node)
        if hit.error:
            self.report(
                node,
                "C117",
                f"attribute chain {text} reaches {hit.old}, which moved to {hit.new}, but {hit.error}: not rewritten "
                "(it fails once nothing imports the legacy module)",
                Severity.ERROR,
            )
            self.ref(node, "attribute", hit.old, False)
            return
        local = name.value
        if local != module.split(".")[0] or module.count("."):
            # `import pkg as p`: reach the canonical module through `p` when it is below `pkg`.
            if not hit.new.startswith(module + "."):
                expr_text = None
            else:
                expr_text = local + hit.new[len(module):]
        else:
            expr_text = hit.new
        root = hit.module.split(".")[0]
        if expr_text is None or not (root == local and expr_text == hit.new or self._root_free(root)):
            self.report(
                node,
                "C117",
                f"attribute chain {text} reaches {hit.old}, which moved to {hit.new}; `import {hit.module}` would rebind "
                f"`{root}` here: not rewritten",
                Severity.ERROR,
            )
            self.ref(node, "attribute", hit.old, False)
            return
        if not self._add_after(binding, cst.Import(names=[cst.ImportAlias(name=_name_or_attr(hit.module))]), ("import", hit.module)):
            self.report(node, "C117", f"attribute chain {text} reaches {hit.old}; cannot add `import {hit.module}` here: not rewritten", Severity.ERROR)
            self.ref(node, "attribute", hit.old, False)
            return
        self._edit(node, self._chain(node, expr_text))
        self.ref(node, "attribute", hit.old, True)
        if hit.module != hit.new:  # a moved symbol read through the chain
            old_mod, _, old_name = hit.old.rpartition(".")
            self._fact_lookup(node, old_mod, old_name, (hit.module, hit.new.rpartition(".")[2]))
        if expr_text != hit.new:
            self.facts.append(ChainFact(self.path, self.line(node), expr_text))

    def _chain(self, node: cst.CSTNode, dotted: str) -> cst.BaseExpression:
        new = _expr(dotted)
        if isinstance(node, (cst.Name, cst.Attribute)):
            return new.with_changes(lpar=node.lpar, rpar=node.rpar)
        return new

    def _rewrite_string_value(self, node: cst.SimpleString, old: str, new: str) -> cst.SimpleString | None:
        value = node.evaluated_value
        if not isinstance(value, str):
            return None
        if value == old or value.startswith(old + "."):
            return self._with_string(node, new + value[len(old):])
        return None

    def _with_string(self, node: cst.SimpleString, text: str) -> cst.SimpleString | None:
        if "\\" in node.value or node.quote not in text and False:
            pass
        prefix = node.prefix
        quote = node.quote
        if quote in text or "\\" in text:
            return None
        return node.with_changes(value=f"{prefix}{quote}{text}{quote}")

    def _fact_module_binding(self, node: cst.CSTNode, full: str, target: str, local: str, scope: Any = None) -> None:
        old_mod, _, old_name = full.rpartition(".")
        new_mod, _, new_name = target.rpartition(".")
        self.facts.append(
            ImportFact(
                self.path, self.line(node), f"{old_mod}:{old_name}", f"{new_mod}:{new_name}", local, local, self._in_function(node), self.module_name
            )
        )

    def _in_function(self, node: cst.CSTNode) -> bool:
        n = self.parents.get(node)
        while n is not None:
            if isinstance(n, (cst.FunctionDef, cst.Lambda)):
                return True
            n = self.parents.get(n)
        return False

    # -- the move made before the spec (git mv first) and forwarding wiring ------------
    def _forwarding(self, node: cst.CSTNode, module: str) -> bool:
        """An import of a module the move map pairs with this file's own module (C000).

        Those lines are the wiring the move relies on (a legacy module forwarding to
        its canonical module, a canonical module reading the implementation); every
        other import of a moved path in these modules is rewritten like anywhere else.
        """
        if module not in self.partners:
            return False
        self.report(
            node,
            "C000",
            f"forwarding import of {module} in {self.module_name} (the move map pairs the two): not rewritten",
            Severity.INFO,
        )
        return True

    def _gone_module_ok(self, node: cst.CSTNode, full: str, new_full: str, assignment: Any) -> bool:
        """The legacy module no longer exists: every name read through it must exist on the canonical one."""
        moved = {name for (mod, name), _ in self.table.symbol_moves if mod == full}
        missing = set()
        for access in assignment.references:
            parent = self.parents.get(access.node)
            if isinstance(parent, cst.Attribute) and parent.value is access.node and parent.attr.value not in moved:
                if module_defines(self.index, new_full, parent.attr.value) is False:
                    missing.add(parent.attr.value)
        if not missing:
            return True
        self._report_gone_missing(node, full, new_full, sorted(missing))
        self.ref(node, "import", full, False)
        return False

    def _report_gone_missing(self, node: cst.CSTNode, full: str, new_full: str, names: list[str]) -> None:
        self.report(
            node,
            "C120",
            f"{full} no longer exists and {new_full} does not define {', '.join(names)}: not rewritten "
            f"(the import fails today; define the names in {new_full} or fix the spec)",
            Severity.ERROR,
        )

    def _note_gone_in_guard(self, node: cst.CSTNode, full: str, new: str) -> None:
        """A rewritten import of a vanished module that sits in ``try/except ImportError``."""
        n: cst.CSTNode | None = node
        while n is not None:
            parent = self.parents.get(n)
            if isinstance(parent, cst.Try) and n is parent.body and any(_catches_import_error(h) for h in parent.handlers):
                self.report(
                    node,
                    "C121",
                    f"{full} no longer exists, so its except-ImportError branch runs today; rewritten to {new}, "
                    "the import succeeds again: check that is what the fallback was for",
                )
                return
            n = parent

    def _legacy_module_exists(self, module: str) -> bool:
        if self.index.exists(module):
            return True
        # Submodules of an indexed legacy package are indexed too; a parent that
        # exists while the child does not means the import fails today.
        return False

    # -- `from X import ...` ---------------------------------------------------
    def _plan_import_from(self, node: cst.ImportFrom) -> None:
        level = len(node.relative)
        mod = _dotted(node.module) if node.module is not None else None
        if level:
            if self.package is None:
                return
            src = resolve_relative(self.package, level, mod)
            anchor = resolve_relative(self.package, level, None)
            if src is None:
                return
        else:
            src, anchor = mod, None
        if src is None:
            return
        if self.table.is_legacy_module(src) and self._forwarding(node, src):
            return
        if isinstance(node.names, cst.ImportStar):
            self._plan_star(node, src, level, anchor)
            return
        stays: list[cst.ImportAlias] = []
        groups: dict[str, _AliasGroup] = {}
        moved = 0
        for alias in node.names:
            name = _dotted(alias.name) or ""
            dest_alias = self._plan_from_alias(node, src, alias, name)
            if dest_alias is None:
                stays.append(alias)
                continue
            dest, new_alias = dest_alias
            groups.setdefault(dest, _AliasGroup(dest)).aliases.append(new_alias)
            moved += 1
        if moved:
            self.from_plans[node] = _FromPlan(stays, list(groups.values()), level, anchor, moved)

    def _plan_from_alias(
        self, node: cst.ImportFrom, src: str, alias: cst.ImportAlias, name: str
    ) -> tuple[str, cst.ImportAlias] | None:
        local = _alias_local(alias)
        full = f"{src}.{name}"
        sym_hit = dict(self.table.symbol_moves).get((src, name))
        # A submodule binding: `from pkg import legacy_mod`.
        # Python tries the attribute first, then the submodule.
        src_exports = self.index.get(src)
        is_submodule = self.index.exists(full) and not (src_exports is not None and name in src_exports.names)
        if sym_hit is None and self.table.is_legacy_module(full) and self._forwarding(node, full):
            return None
        moved_to = self.table.resolve_module(full) if self.table.resolve_module(src) is None else None
        if (
            sym_hit is None
            and moved_to is not None
            and not self.index.exists(full)
            and self.index.exists(moved_to)
            and not (src_exports is not None and src_exports.defines(name))
        ):
            is_submodule = True  # `from pkg import old` after `git mv pkg/old.py pkg/new.py`
        if sym_hit is None and is_submodule and self.table.is_legacy_module(full):
            new_full = self.table.resolve_module(full)
            if new_full is None:
                # Module stays but some symbols moved: retarget only if every use moved.
                scope = self._binding_scope(node, alias)
                if scope is None:
                    return None
                assignment = self._assignment(scope, local, node)
                if assignment is None:
                    self.report(node, "C109", f"cannot follow the binding `{local}` made by this import: not rewritten")
                    self.ref(node, "import", full, False)
                    return None
                uses = self._module_uses(assignment, full, None, dotted_binding=False, binding=node)
                if uses and uses[0] is None:
                    for a, b in uses[1]:  # moved names read through a binding that stays
                        self._edit(a, b)
                if not uses or uses[0] is None:
                    return None
                new_full, edits = uses
                for a, b in edits:
                    self._edit(a, b)
            elif not self._legacy_module_exists(full) and not self.index.exists(new_full):
                self.report(node, "C101", f"import of {full}, which does not exist in this repository: not rewritten")
                self.ref(node, "import", full, False)
                return None
            else:
                # Attribute uses of symbols that moved out of this module.
                gone = not self._legacy_module_exists(full)
                scope = self._binding_scope(node, alias)
                if scope is not None:
                    assignment = self._assignment(scope, local, node)
                    if assignment is not None:
                        if gone and not self._gone_module_ok(node, full, new_full, assignment):
                            return None
                        uses = self._module_uses(assignment, full, new_full, dotted_binding=False)
                        if uses is None:
                            self.ref(node, "import", full, False)
                            return None
                        for a, b in uses[1]:
                            self._edit(a, b)
            parent, _, leaf = new_full.rpartition(".")
            if not parent:
                self.report(node, "C105", f"{full} moved to top-level module {new_full}; rewrite `from` import by hand")
                return None
            if not self._legacy_module_exists(full):
                self._note_gone_in_guard(node, full, new_full)
            self.ref(node, "import", full, True)
            self._fact_module_binding(node, full, new_full, local)
            return parent, self._alias(alias, leaf, local)
        if sym_hit is None and not is_submodule and self.table.resolve_module(src) is None and self.table.resolve_module(full) is not None and not (
            src_exports is not None and src_exports.defines(name)
        ):
            self.report(node, "C101", f"`from {src} import {name}`: {full} does not exist in this repository: not rewritten")
            self.ref(node, "import", full, False)
            return None
        hit = self.table.resolve_symbol(src, name)
        if hit is None:
            return None
        new_mod, new_name = hit
        target = f"{src}:{name}"
        defined = module_defines(self.index, src, name)
        # The spec says where the name went: the legacy module may be gone (git mv first)
        # or no longer define a name a symbol move took out of it; the new module must.
        gone = defined is None and self.index.exists(new_mod) or defined is False and sym_hit is not None
        if defined is None and not gone:
            self.report(node, "C101", f"`from {src} import {name}`: {src} does not exist in this repository: not rewritten")
            self.ref(node, "import", target, False)
            return None
        if defined is False and not gone:
            self.report(node, "C106", f"`from {src} import {name}`: {src} does not define {name} (the import fails today): not rewritten")
            self.ref(node, "import", target, False)
            return None
        if gone and not module_defines(self.index, new_mod, new_name):
            if not any(r.code == "C120" and r.line == self.line(node) for r in self.reports):
                missing = [
                    a_name
                    for a in node.names  # type: ignore[union-attr]
                    for a_name in [_dotted(a.name) or ""]
                    for h in [self.table.resolve_symbol(src, a_name)]
                    if h is not None and not module_defines(self.index, *h)
                ]
                self._report_gone_missing(node, src, new_mod, missing)
            self.ref(node, "import", target, False)
            return None
        if not module_defines(self.index, new_mod, new_name):
            self.report(node, "C107", f"`from {src} import {name}`: canonical module {new_mod} does not define {new_name}: left on the legacy import")
            self.ref(node, "import", target, False)
            return None
        if sym_hit is None and self.index.same_object((src, name), (new_mod, new_name)) is False:
            self.report(
                node,
                "C116",
                f"`from {src} import {name}`: {src}.{name} and {new_mod}.{new_name} are different objects "
                f"({self.index.origin(src, name)} vs {self.index.origin(new_mod, new_name)}): left on the legacy import "
                "(map it with a symbol move or a phase D factory rule)",
            )
            self.ref(node, "import", target, False)
            return None
        new_local = local
        scope = self.scopes.get(node) if new_name != name and alias.asname is None and self.options.rename_uses else None
        if scope is not None and self._can_rename(node, scope, local, new_name):
            new_local = new_name
        if new_local != local:
            self._rename_uses(node, scope, local, new_local)  # type: ignore[arg-type]
        if gone:
            self._note_gone_in_guard(node, f"{src}.{name}" if defined is False else src, new_mod)
        self.ref(node, "import", target, True)
        self.facts.append(
            ImportFact(self.path, self.line(node), target, f"{new_mod}:{new_name}", local, new_local, self._in_function(node), self.module_name)
        )
        return new_mod, self._alias(alias, new_name, new_local)

    def _alias(self, alias: cst.ImportAlias, name: str, local: str) -> cst.ImportAlias:
        asname = None
        if local != name:
            asname = alias.asname or cst.AsName(name=cst.Name(local))
            asname = asname.with_changes(name=cst.Name(local))
        return alias.with_changes(name=_name_or_attr(name), asname=asname)

    def _can_rename(self, node: cst.ImportFrom, scope: Scope, old: str, new: str) -> bool:
        why = None
        if isinstance(scope, GlobalScope) and old in self.module_all:
            why = f"{old} is listed in __all__ (a re-export); renaming would break importers"
        elif len(scope.assignments[old]) != 1:
            why = f"{old} is bound more than once in this scope"
        elif scope.assignments[new]:
            why = f"{new} is already bound in this scope"
        else:
            assignment = next(iter(scope.assignments[old]))
            for access in assignment.references:
                if isinstance(access.node, cst.SimpleString) and access.node.evaluated_value != old:
                    why = f"a string annotation at line {self.line(access.node)} mentions {old}"
                    break
                s: Scope | None = access.scope
                while s is not None and s is not scope:
                    if s.assignments[new]:
                        why = f"{new} is bound in an inner scope that uses {old} (line {self.line(access.node)})"
                        break
                    s = s.parent
                if why:
                    break
        if why:
            self.report(node, "C201", f"--rename-uses: kept `as {old}` because {why}", Severity.INFO)
            return False
        return True

    def _rename_uses(self, node: cst.ImportFrom, scope: Scope, old: str, new: str) -> None:
        assignment = next(iter(scope.assignments[old]))
        for access in assignment.references:
            n = access.node
            if isinstance(n, cst.Name):
                self._edit(n, n.with_changes(value=new))
            elif isinstance(n, cst.SimpleString):
                repl = self._with_string(n, new)
                if repl is not None:
                    self.handled_strings.add(n)
                    self._edit(n, repl)

    def _plan_star(self, node: cst.ImportFrom, src: str, level: int, anchor: str | None) -> None:
        new = self.table.resolve_module(src)
        if new is None:
            if src in self.table.symbol_modules() and self._explicit_star_names(node, src, level, anchor):
                return
            if src in self.table.symbol_modules():
                names = sorted(n for (m, n), _ in self.table.symbol_moves if m == src)
                self.report(node, "C108", f"star import from {src}, whose names {', '.join(names)} moved: not rewritten; import them explicitly")
                self.ref(node, "star-import", src, False)
            return
        if not self._legacy_module_exists(src):
            if not self.index.exists(new):
                self.report(node, "C101", f"star import from {src}, which does not exist in this repository: not rewritten")
                self.ref(node, "star-import", src, False)
                return
            self._note_gone_in_guard(node, src, new)  # git mv first: what it bound is unknown; it failed today
        old_exp, new_exp = self.index.get(src), self.index.get(new)
        old_star = old_exp.star_names() if old_exp else None
        new_star = new_exp.star_names() if new_exp else None
        used = self.used_names
        if old_star is not None and new_star is not None:
            lost = sorted((old_star - new_star) & used)
            differ = sorted(n for n in (old_star & new_star & used) if self.index.same_object((src, n), (new, n)) is False)
            if lost or differ:
                why = f"{new} does not export {', '.join(lost)}" if lost else f"{', '.join(differ)} differ between the two modules"
                self.report(node, "C107", f"star import from {src}: {why} (used in this file): not rewritten")
                self.ref(node, "star-import", src, False)
                return
        self.ref(node, "star-import", src, True)
        self.from_plans[node] = _FromPlan([], [_AliasGroup(new)], level, anchor, 1)

    def _explicit_star_names(self, node: cst.ImportFrom, src: str, level: int, anchor: str | None) -> bool:
        """``from a.b import *`` in a file that reads moved names: import each explicitly after the star line.

        False (the caller reports) when a moved name the file reads cannot be imported from its new module.
        """
        reads = self._bare_reads()
        wanted = [(name, new) for (mod, name), new in self.table.symbol_moves if mod == src and name in reads]
        if any(module_defines(self.index, m, n) is False for _, (m, n) in wanted):
            return False
        for name, (new_mod, new_name) in sorted(wanted):
            relative, module = self.module_expr(new_mod, _FromPlan([], [], level, anchor))
            alias = cst.ImportAlias(
                name=cst.Name(new_name), asname=cst.AsName(name=cst.Name(name)) if name != new_name else None
            )
            self._add_after(node, cst.ImportFrom(module=module, relative=relative, names=[alias]), ("from", new_mod, new_name, name))
            self.ref(node, "star-import", f"{src}:{name}", True)
        return True

    def _bare_reads(self) -> set[str]:
        """Names read as plain names (not attributes, keywords or import paths)."""
        out = set()
        for name in self.tree.nodes(cst.Name):
            parent = self.parents.get(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name or isinstance(parent, cst.Arg) and parent.keyword is name:
                continue
            if not _in_import(self.parents, name):
                out.add(name.value)  # type: ignore[attr-defined]
        return out

    # -- merge new import groups into an existing canonical import nearby ----------
    def _merge_into_siblings(self) -> None:
        for node, plan in list(self.from_plans.items()):
            if isinstance(node.names, cst.ImportStar):
                continue
            line = self.parents.get(node)
            if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
                continue
            block = self.parents.get(line)
            body = getattr(block, "body", None)
            if not isinstance(body, (list, tuple)):
                continue
            idx = next((i for i, s in enumerate(body) if s is line), None)
            if idx is None:
                continue
            line_has_comments = _has_comments(line)
            remaining: list[_AliasGroup] = []
            for group in plan.groups:
                sibling = self._find_sibling_import(
                    body, idx, group.dest, node, {(_dotted(a.name), _alias_local(a)) for a in group.aliases}
                )
                if sibling is None:
                    remaining.append(group)
                    continue
                sib_plan = self.from_plans.get(sibling)
                if sib_plan is not None and sib_plan.groups:
                    current = list(sib_plan.groups[0].aliases)
                else:
                    current = list(sibling.names)  # type: ignore[arg-type]
                existing = {(_dotted(a.name), _alias_local(a)) for a in current}
                existing |= {(_dotted(a.name), _alias_local(a)) for a in (sib_plan.appended if sib_plan else [])}
                fresh = [a for a in group.aliases if (_dotted(a.name), _alias_local(a)) not in existing]
                last_group = not plan.stays and len(plan.groups) == 1
                if last_group and line_has_comments:
                    remaining.append(group)  # removing the line would drop its comments
                    continue
                if fresh and not _is_single_line(sibling):
                    remaining.append(group)
                    continue
                if fresh and self._merge_too_long(sibling, [*(sib_plan.appended if sib_plan else []), *fresh]):
                    remaining.append(group)  # its own line; wrapped by the applier if that is too long too
                    continue
                if sib_plan is None:
                    sib_plan = _FromPlan(list(sibling.names), [], 0, None)  # type: ignore[arg-type]
                    self.from_plans[sibling] = sib_plan
                sib_plan.appended.extend(fresh)
            plan.groups = remaining
            if not plan.stays and not plan.groups:
                plan.remove = True

    def _merge_too_long(self, sibling: cst.ImportFrom, more: list[cst.ImportAlias]) -> bool:
        code = cst.Module(body=[]).code_for_node
        text = code(sibling) + "".join(", " + code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in more)
        return too_long(text, self.indent_of(sibling), self.line_length)

    def _find_sibling_import(
        self, body: Sequence[cst.CSTNode], idx: int, dest: str, me: cst.ImportFrom, keys: set[tuple[str | None, str]] | None = None
    ) -> cst.ImportFrom | None:
        """An import from ``dest`` in the same contiguous run of import lines.

        Looks backwards first, then forwards; never across a line that binds one
        of the moved names (merging past it would change which binding wins).
        """
        keys = keys or set()
        locals_ = {k[1] for k in keys}
        for step in (-1, 1):
            j = idx + step
            while 0 <= j < len(body):
                stmt = body[j]
                if not _is_import_line(stmt):
                    break
                found = self._sibling_candidate(stmt, dest, me, keys, forward=step == 1)  # type: ignore[arg-type]
                if found is not None:
                    return found
                if _line_binds(stmt) & locals_:  # type: ignore[arg-type]
                    break
                j += step
        return None

    def _sibling_candidate(
        self, stmt: cst.SimpleStatementLine, dest: str, me: cst.ImportFrom, keys: set[tuple[str | None, str]], *, forward: bool
    ) -> cst.ImportFrom | None:
        if len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.ImportFrom):
            return None
        other = stmt.body[0]
        if isinstance(other.names, cst.ImportStar) or other is me:
            return None
        # A sibling binding one of our names to something else is not a merge target.
        locals_ = {k[1] for k in keys}
        if any(_alias_local(a) in locals_ and (_dotted(a.name), _alias_local(a)) not in keys for a in other.names):
            return None
        other_plan = self.from_plans.get(other)
        if other_plan is not None:
            # An earlier sibling being rewritten wholesale to ``dest`` can take our names too.
            if forward:
                return None
            if not other_plan.remove and not other_plan.stays and len(other_plan.groups) == 1 and other_plan.groups[0].dest == dest:
                return other
            if other_plan.groups or other_plan.remove:
                return None
        level = len(other.relative)
        mod = _dotted(other.module) if other.module is not None else None
        src = resolve_relative(self.package, level, mod) if level and self.package else (mod if not level else None)
        return other if src == dest else None

    def _dedupe_plain_imports(self) -> None:
        """Drop an ``import x.y`` alias that another import in the same run already makes."""
        seen_lines: set[int] = set()
        for node in list(self.import_plans):
            line = self.parents.get(node)
            block = self.parents.get(line) if isinstance(line, cst.SimpleStatementLine) else None
            body = getattr(block, "body", None)
            if not isinstance(body, (list, tuple)) or len(line.body) != 1:  # type: ignore[union-attr]
                continue
            idx = next((i for i, x in enumerate(body) if x is line), None)
            if idx is None or id(line) in seen_lines:
                continue
            seen_lines.add(id(line))
            keys_elsewhere: set[tuple[str | None, str | None]] = set()
            for step in (-1, 1):
                j = idx + step
                while 0 <= j < len(body) and _is_import_line(body[j]):
                    for small in body[j].body:  # type: ignore[union-attr]
                        if not isinstance(small, cst.Import):
                            continue
                        planned = self.import_plans.get(small)
                        if step == 1 and planned is not None:
                            continue  # a later rewritten import dedupes against us, not the reverse
                        for a in planned if planned is not None else small.names:
                            keys_elsewhere.add(_import_key(a))
                    j += step
            kept = [a for a in self.import_plans[node] if _import_key(a) not in keys_elsewhere]
            if len(kept) != len(self.import_plans[node]):
                if not kept and _has_comments(line):  # type: ignore[arg-type]
                    continue  # removing the line would drop its comments
                self.import_plans[node] = _fix_commas(kept, False) if kept else []

    # -- build the new statements ------------------------------------------------
    def module_expr(self, dest: str, plan: _FromPlan) -> tuple[list[cst.Dot], cst.Attribute | cst.Name | None]:
        """Keep the relative style when ``dest`` is under the package the dots pointed at."""
        if plan.level and plan.anchor and (dest == plan.anchor or dest.startswith(plan.anchor + ".")):
            rest = dest[len(plan.anchor) + 1:] if dest != plan.anchor else ""
            return [cst.Dot() for _ in range(plan.level)], (_name_or_attr(rest) if rest else None)
        return [], _name_or_attr(dest)

    # -- strings and comments -------------------------------------------------------
    def _plan_string(self, node: cst.SimpleString) -> None:
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - odd prefixes; not a dotted path anyway
            return
        if not isinstance(value, str):
            return
        kind = self._string_kind(node)
        new, why = self.table.rewrite_dotted(value, self.index)
        if new is not None or why:
            if kind == "patch" and new is not None and self._patch_stays(node, value, new):
                return
            if kind in ("patch", "importlib", "annotation"):
                if new is not None:
                    repl = self._with_string(node, new)
                    if repl is None:
                        self.report(node, "C110", f"{kind} string {value!r} names a moved target but uses escapes: not rewritten")
                        self.ref(node, kind, value, False)
                        return
                    self._edit(node, repl)
                    self.ref(node, kind, value, True)
                    if kind == "importlib" and not self._legacy_module_exists(value):
                        self._note_gone_in_guard(node, value, new)  # git mv first, like an import statement
                    if kind == "patch":
                        self.facts.append(PatchFact(self.path, self.line(node), value, new))
                    return
                self.report(node, "C111", f"{kind} string {value!r} names a moved target but {why}: not rewritten")
                self.ref(node, kind, value, False)
                if kind == "patch":
                    self.facts.append(PatchFact(self.path, self.line(node), value, None))
                return
            if kind == "docstring" and self.options.include_docs and new is not None:
                repl = self._with_string(node, new)
                if repl is not None:
                    self._edit(node, repl)
                    self.ref(node, kind, value, True)
                    return
            self.report(
                node,
                "C112",
                f"string {value!r} names a moved target ({new or why}); not a known import-target string: not rewritten",
            )
            self.ref(node, "string", value, False)
            return
        if kind == "patch" and value.count(".") >= 1:
            self.facts.append(PatchFact(self.path, self.line(node), value, None))
        if kind == "importlib" and value.startswith(".") and any(
            value.lstrip(".").split(".")[0] == leaf for leaf in self.table.legacy_leaf_names()
        ):
            self.report(node, "C113", f"relative import_module({value!r}) may name a moved module: check it by hand")
        # Prose mentioning legacy paths: docstrings and other strings.
        for m in self.doc_re.finditer(value):
            if kind == "docstring" and self.options.include_docs:
                newtext = self._rewrite_prose(value)
                repl = self._with_raw(node, value, newtext)
                if repl is not None:
                    self._edit(node, repl)
                    self.ref(node, "docstring", m.group(0), True)
                    return
            self.report(
                node,
                "C114",
                f"{'docstring' if kind == 'docstring' else 'string'} mentions legacy path {m.group(0)!r}: not rewritten"
                + (" (use --include-docs)" if kind == "docstring" else ""),
                Severity.INFO,
            )
            self.ref(node, kind if kind == "docstring" else "string", m.group(0), False)
            break

    def _patch_stays(self, node: cst.SimpleString, value: str, new: str) -> bool:
        """A patch target names where a name is looked up: keep it while the legacy module itself looks the name up."""
        mod, _, name = value.rpartition(".")
        exp = self.index.get(mod)
        if exp is None or new.rpartition(".")[0] == mod:
            return False
        lines = own_lookups(self.index, mod, name)
        if not lines:
            return False
        self.report(
            node,
            "C303",
            f"patch target {value!r} intercepts {mod}'s own lookup of {name} ({exp.path}:{lines[0]}), which stays; "
            f"rewritten to {new!r} it would intercept nothing there: kept",
            related=tuple(f"{exp.path}:{line}" for line in lines),
        )
        self.ref(node, "patch", value, False)
        self.facts.append(PatchFact(self.path, self.line(node), value, None))
        return True

    def _rewrite_prose(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            new, _ = self.table.rewrite_dotted(m.group(0), None)
            return new or m.group(0)

        return self.doc_re.sub(sub, text)

    def _with_raw(self, node: cst.SimpleString, old: str, new: str) -> cst.SimpleString | None:
        """Replace text inside a string literal when the literal spells it verbatim."""
        raw = node.value
        body = raw[len(node.prefix) + len(node.quote): len(raw) - len(node.quote)]
        if body != old:
            return None
        return node.with_changes(value=f"{node.prefix}{node.quote}{new}{node.quote}")

    def _string_kind(self, node: cst.SimpleString) -> str:
        parent = self.parents.get(node)
        if isinstance(parent, cst.Arg):
            call = self.parents.get(parent)
            if isinstance(call, cst.Call) and self._is_first_target_arg(call, parent):
                callee = call.func
                last = callee.attr.value if isinstance(callee, cst.Attribute) else (callee.value if isinstance(callee, cst.Name) else "")
                if last in PATCH_CALLEES:
                    return "patch"
                if last in PATCH_HELPERS and isinstance(callee, cst.Attribute) and _dotted(callee.value) and (_dotted(callee.value) or "").endswith("patch"):
                    return "patch"
                if last in IMPORTLIB_CALLEES:
                    return "importlib"
        if isinstance(parent, cst.Expr):
            holder = self.parents.get(parent)
            block = self.parents.get(holder) if isinstance(holder, cst.SimpleStatementLine) else None
            if isinstance(block, cst.Module) and block.body and block.body[0] is holder:
                return "docstring"
            if isinstance(block, cst.IndentedBlock):
                owner = self.parents.get(block)
                if isinstance(owner, (cst.FunctionDef, cst.ClassDef)) and block.body and block.body[0] is holder:
                    return "docstring"
        n: cst.CSTNode | None = node
        while n is not None:
            if isinstance(n, cst.Annotation):
                return "annotation"
            if isinstance(n, (cst.BaseStatement, cst.BaseSmallStatement)):
                break
            n = self.parents.get(n)
        return "string"

    @staticmethod
    def _is_first_target_arg(call: cst.Call, arg: cst.Arg) -> bool:
        if arg.keyword is not None:
            return arg.keyword.value in ("target", "name", "in_dict")
        positional = [a for a in call.args if a.keyword is None and not a.star]
        return bool(positional) and positional[0] is arg

    def _plan_comment(self, node: cst.Comment) -> None:
        m = self.doc_re.search(node.value)
        if not m:
            return
        if self.options.include_docs:
            self._edit(node, node.with_changes(value=self._rewrite_prose(node.value)))
            self.ref(node, "comment", m.group(0), True)
            return
        self.report(node, "C115", f"comment mentions legacy path {m.group(0)!r}: not rewritten (use --include-docs)", Severity.INFO)
        self.ref(node, "comment", m.group(0), False)


class _Applier(cst.CSTTransformer):
    """Apply the collected edits; nodes are matched by identity with the original tree."""

    def __init__(self, owner: ImportRewriter, on_edit_paths: set[cst.CSTNode]) -> None:
        super().__init__()
        self.o = owner
        self.on_edit_paths = on_edit_paths

    def on_visit(self, node: cst.CSTNode) -> bool:
        # A subtree without edits comes back unchanged: do not walk it.
        return node in self.on_edit_paths

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        repl = self.o.replace.get(original_node)
        if repl is not None:
            return repl
        return super().on_leave(original_node, updated_node)

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:
        aliases = self.o.import_plans.get(original_node)
        if not aliases:
            return updated_node  # unplanned, or removed whole by leave_SimpleStatementLine
        return updated_node.with_changes(names=aliases)

    def leave_SimpleStatementLine(self, original_node, updated_node):  # type: ignore[override]
        out = self._leave_line(original_node, updated_node)
        extra = self.o.add_after.get(original_node, [])
        planned = any(s in self.o.from_plans for s in original_node.body)
        if not extra and not planned:
            return out
        if isinstance(out, cst.RemovalSentinel):
            lines = []
        elif isinstance(out, cst.FlattenSentinel):
            lines = list(out.nodes)
        else:
            lines = [out]
        lines = [self._within_limit(line, original_node) for line in [*lines, *extra]]
        if not lines:
            return out
        return lines[0] if len(lines) == 1 else cst.FlattenSentinel(lines)

    def _within_limit(self, line: cst.SimpleStatementLine, original: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        """A single-line ``from`` import the rewrite made longer than the project's limit, wrapped in parentheses."""
        limit = self.o.line_length
        if limit is None or len(line.body) != 1 or not isinstance(line.body[0], cst.ImportFrom):
            return line
        stmt = line.body[0]
        if stmt.lpar is not None or isinstance(stmt.names, cst.ImportStar):
            return line
        text = cst.Module(body=[]).code_for_node(line.with_changes(leading_lines=[]))
        if not too_long(text, self.o.indent_of(original), limit):
            return line
        return line.with_changes(body=[wrapped_import(stmt, self.o.module.default_indent)])

    def _leave_line(self, original_node, updated_node):  # type: ignore[no-untyped-def]
        repl = self.o.replace.get(original_node)
        if repl is not None:
            return repl
        new_body: list[cst.BaseSmallStatement] = []
        extra: list[cst.SimpleStatementLine] = []
        touched = False
        for orig_small, small in zip(original_node.body, updated_node.body):
            if isinstance(orig_small, cst.Import) and self.o.import_plans.get(orig_small) == []:
                touched = True
                continue
            plan = self.o.from_plans.get(orig_small) if isinstance(orig_small, cst.ImportFrom) else None
            if plan is None:
                new_body.append(small)
                continue
            touched = True
            if plan.remove:
                continue
            first, more = self._build_from(orig_small, plan)
            new_body.append(first)
            extra.extend(more)
        if not touched:
            return updated_node
        if not new_body:
            return cst.RemoveFromParent()
        if len(new_body) != len(original_node.body) or extra and len(original_node.body) > 1:
            if extra and len(original_node.body) > 1:
                # Keep it on one line: `a; from x import Y` style lines stay one line.
                new_body.extend(line.body[0] for line in extra)
                extra = []
            last = new_body[-1]
            if hasattr(last, "semicolon") and not isinstance(last.semicolon, cst.MaybeSentinel):
                new_body[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        line = updated_node.with_changes(body=new_body)
        if extra:
            return cst.FlattenSentinel([line, *extra])
        return line

    def _build_from(self, node: cst.ImportFrom, plan: _FromPlan) -> tuple[cst.ImportFrom, list[cst.SimpleStatementLine]]:
        """Build the rewritten statement from the *original* node (imports hold no other edits)."""
        extra: list[cst.SimpleStatementLine] = []
        groups = list(plan.groups)
        parenthesized = node.lpar is not None
        if isinstance(node.names, cst.ImportStar):
            relative, module = self.o.module_expr(groups[0].dest, plan)
            return node.with_changes(relative=relative, module=module), []
        if plan.stays or not groups:
            names = _fix_commas(list(plan.stays) + _fresh_aliases(plan.appended), parenthesized)
            rpar = node.rpar
            if parenthesized and plan.stays and plan.stays[-1] is not node.names[-1] and not plan.appended:
                names[-1], rpar = _paren_tail(names[-1], node)
            head = node.with_changes(names=names, rpar=rpar)
        else:
            first = groups.pop(0)
            relative, module = self.o.module_expr(first.dest, plan)
            names = _fix_commas(list(first.aliases) + _fresh_aliases(plan.appended), parenthesized)
            head = node.with_changes(relative=relative, module=module, names=names)
        for group in groups:
            relative, module = self.o.module_expr(group.dest, plan)
            # A parenthesised multi-line import stays multi-line in its split-off groups too.
            parens = parenthesized and (not _is_single_line(node) or any(_has_comments(a) for a in group.aliases))
            names = _fix_commas(list(group.aliases) if parens else _fresh_aliases(group.aliases), parens)
            if parens:
                names[-1] = _close_like(names[-1], node)
            stmt = cst.ImportFrom(
                module=module,
                names=names,
                relative=relative,
                lpar=_without_comments(node.lpar) if parens else None,
                rpar=node.rpar if parens else None,
            )
            extra.append(cst.SimpleStatementLine(body=[stmt]))
        return head, extra


def _without_comments(lpar: cst.LeftParen | None) -> cst.LeftParen | None:
    """The opening paren of a split-off import, minus the comment that stays on the original."""
    if lpar is None:
        return None
    ws = lpar.whitespace_after
    if isinstance(ws, cst.ParenthesizedWhitespace):
        ws = ws.with_changes(
            first_line=cst.TrailingWhitespace(newline=ws.first_line.newline),
            empty_lines=[e for e in ws.empty_lines if e.comment is None],
        )
        return lpar.with_changes(whitespace_after=ws)
    return lpar


def _paren_tail(alias: cst.ImportAlias, original: cst.ImportFrom) -> tuple[cst.ImportAlias, cst.RightParen | None]:
    """Make ``alias`` the last name before ``)`` with the layout the original's last name had."""
    orig_last = original.names[-1]  # type: ignore[index]
    if isinstance(orig_last.comma, cst.Comma):
        return _close_like(alias, original), original.rpar
    # The original's last name had no comma: the newline before ")" lives in the paren.
    comma = alias.comma
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        ws = comma.whitespace_after
        if ws.first_line.comment is None and not any(e.comment for e in ws.empty_lines):
            return alias.with_changes(comma=cst.MaybeSentinel.DEFAULT), original.rpar
        # Keep the comment on this line; the paren then needs no newline of its own.
        ws = ws.with_changes(last_line=cst.SimpleWhitespace(""))
        rpar = original.rpar.with_changes(whitespace_before=cst.SimpleWhitespace("")) if original.rpar else None
        return alias.with_changes(comma=comma.with_changes(whitespace_after=ws)), rpar
    return alias, original.rpar


def _close_like(alias: cst.ImportAlias, original: cst.ImportFrom) -> cst.ImportAlias:
    """Give the last alias of a split-off group the closing-paren indentation of the original."""
    names = original.names
    if isinstance(names, cst.ImportStar) or not isinstance(alias.comma, cst.Comma):
        return alias
    ws = alias.comma.whitespace_after
    last = names[-1].comma
    if isinstance(ws, cst.ParenthesizedWhitespace) and isinstance(last, cst.Comma) and isinstance(
        last.whitespace_after, cst.ParenthesizedWhitespace
    ):
        ws = ws.with_changes(last_line=last.whitespace_after.last_line)
        return alias.with_changes(comma=alias.comma.with_changes(whitespace_after=ws))
    return alias


def _fresh_aliases(aliases: Iterable[cst.ImportAlias]) -> list[cst.ImportAlias]:
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]


def _fix_commas(aliases: list[cst.ImportAlias], parenthesized: bool) -> list[cst.ImportAlias]:
    """Every alias but the last needs a comma; the last may keep one only inside parentheses."""
    out: list[cst.ImportAlias] = []
    for i, a in enumerate(aliases):
        last = i == len(aliases) - 1
        if not last and isinstance(a.comma, cst.MaybeSentinel):
            a = a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        elif last and not parenthesized and not isinstance(a.comma, cst.MaybeSentinel):
            a = a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        out.append(a)
    return out
