"""References that reach a moved target through an attribute chain or a patch string.

Phase C rewrites imports; two reference shapes reach a moved target without an
import naming it:

* an attribute chain through a package the file imports (``import pkg`` then
  ``pkg.old.URL``): after the migration nothing imports ``pkg.old`` any more,
  so the chain raises AttributeError unless it is rewritten to the canonical
  chain *and* the import that makes that chain resolvable is added;
* a ``mock.patch`` target: it names where a name is *looked up*, not where it
  is defined.  When the legacy module's own code still reads the name as a
  global (a package split that keeps ``pkg/__init__`` calling ``X``), the
  patch must stay where it is, or it intercepts nothing.

This module holds the analysis; :mod:`codemods.phase_c` plans the edits.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import libcst as cst

from migrate.modindex import ModuleIndex

from .moves import MoveTable, module_defines


def attribute_chain(parents: dict[cst.CSTNode, cst.CSTNode], name: cst.Name) -> list[cst.CSTNode]:
    """``name`` and every Attribute above it whose ``value`` is the previous node.

    ``pkg.old.URL.x`` from the Name ``pkg`` gives [pkg, pkg.old, pkg.old.URL, pkg.old.URL.x].
    """
    out: list[cst.CSTNode] = [name]
    cur: cst.CSTNode = name
    while True:
        parent = parents.get(cur)
        if not (isinstance(parent, cst.Attribute) and parent.value is cur):
            return out
        out.append(parent)
        cur = parent


def is_store(parents: dict[cst.CSTNode, cst.CSTNode], chain_top: cst.CSTNode) -> bool:
    """Whether the chain ending at ``chain_top`` is assigned to or deleted (``pkg.old.URL = x``).

    Assigning through the legacy module rebinds the shim's name only; through the
    canonical module it also changes what the canonical module's own code reads.
    """
    parent = parents.get(chain_top)
    while isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
        chain_top, parent = parent, parents.get(parent)
    if isinstance(parent, (cst.AssignTarget, cst.Del)):
        return parent.target is chain_top
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign)):
        return parent.target is chain_top
    return False


@dataclass(frozen=True)
class ChainHit:
    """One attribute chain that goes through a legacy module."""

    node: cst.CSTNode  # the chain node naming the legacy target (``pkg.old`` / ``a.b.X``)
    old: str  # its dotted text, in module terms (``pkg.old`` / ``a.b.X``)
    new: str  # canonical dotted text (``pkg._old`` / ``a.c.Y``)
    module: str  # the module to import so that ``new`` resolves
    error: str | None = None  # why it cannot be rewritten


def legacy_prefix(table: MoveTable, index: ModuleIndex, dotted: list[str], start: int) -> ChainHit | None:
    """The first legacy target along ``dotted`` below the first ``start`` parts (the bound module).

    Returns a hit whose ``node`` is unset (callers fill it) or None when the
    chain never reaches a moved module or symbol.
    """
    for i in range(start + 1, len(dotted) + 1):
        prefix = ".".join(dotted[:i])
        if i < len(dotted):
            sym = table._symbols.get((prefix, dotted[i]))  # noqa: SLF001 - the table's own lookup
            if sym is not None:
                old = f"{prefix}.{dotted[i]}"
                new_mod, new_name = sym
                err = None if module_defines(index, new_mod, new_name) is not False else f"{new_mod} does not define {new_name}"
                return ChainHit(None, old, f"{new_mod}.{new_name}", new_mod, err)  # type: ignore[arg-type]
        new_mod = table.resolve_module(prefix)
        if new_mod is None:
            continue
        # `pkg.oldpkg.sub.fn`: the deepest module on the chain is the one to import.
        # After a `git mv` the legacy modules are gone: their canonical counterparts decide.
        while i < len(dotted):
            deeper = ".".join(dotted[: i + 1])
            deeper_new = table.resolve_module(deeper)
            if not deeper_new or not (index.exists(deeper) or index.exists(deeper_new)):
                break
            i += 1
            prefix, new_mod = deeper, deeper_new
        if not index.exists(prefix) and not index.exists(new_mod):
            return ChainHit(None, prefix, new_mod, new_mod, f"neither {prefix} nor {new_mod} exists in this repository")  # type: ignore[arg-type]
        err = None
        if i < len(dotted):
            attr = dotted[i]
            if module_defines(index, new_mod, attr) is False:
                err = f"{new_mod} does not define {attr}"
            elif index.same_object((prefix, attr), (new_mod, attr)) is False:
                err = f"{prefix}.{attr} and {new_mod}.{attr} are different objects"
        return ChainHit(None, prefix, new_mod, new_mod, err)  # type: ignore[arg-type]
    return None


# ---------------------------------------------------------------------------
# Patch targets: where a name is looked up.
# ---------------------------------------------------------------------------


def own_lookups(index: ModuleIndex, module: str, name: str) -> list[int]:
    """Lines where ``module``'s own functions read ``name`` as a global (a lookup a patch on ``module.name`` intercepts).

    Reads at module level run at import time, before any patch starts, and are
    not counted; neither are functions that bind ``name`` locally.
    """
    exp = index.get(module)
    if exp is None:
        return []
    path = Path(index.root) / exp.path
    try:
        st = path.stat()
    except OSError:
        return []
    return list(_global_reads(str(path), st.st_mtime_ns, st.st_size).get(name, ()))


@lru_cache(maxsize=256)
def _global_reads(path: str, mtime_ns: int, size: int) -> dict[str, tuple[int, ...]]:
    """Global reads per name in ``path``'s functions (cached per file version)."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, list[int]] = {}

    def visit_function(fn: ast.AST) -> None:
        args = fn.args  # type: ignore[attr-defined]
        local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        local |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = fn.body if isinstance(fn.body, list) else [fn.body]  # type: ignore[attr-defined]
        declared_global: set[str] = set()
        for node in _walk_own(body):
            if isinstance(node, ast.Global):
                declared_global |= set(node.names)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                local.add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                local |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                local.add(node.name)
        local -= declared_global
        for node in _walk_own(body):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
                found.setdefault(node.id, []).append(node.lineno)
        for node in _walk_own(body, nested=True):
            visit_function(node)

    for fn in _outermost(tree):
        visit_function(fn)
    return {k: tuple(sorted(set(v))) for k, v in found.items()}


_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _walk_own(body: list[ast.AST], *, nested: bool = False):
    """Nodes of a function body, not descending into nested functions (``nested``: yield those only)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, _FUNCS):
            if nested:
                yield node
            # Defaults and decorators are evaluated in the enclosing scope.
            outer = [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]
            outer += list(getattr(node, "decorator_list", []))
            stack.extend(reversed(outer))
            continue
        if not nested:
            yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _outermost(tree: ast.Module) -> list[ast.AST]:
    """Functions not nested in another function (nested ones are visited through their parent)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FUNCS):
                out.append(child)
            else:
                stack.append(child)
    return out
