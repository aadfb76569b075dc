"""Uses of a module-level import binding, found without LibCST's scope analysis.

LibCST's ``ScopeProvider`` models every scope of a file; on the benchmark
corpus it was a third of phase C's time, spent mostly to learn where a name
like ``wsm`` in ``import pkg.manager as wsm`` is read.  For an import at
module level whose bound name is only ever read as ``name.attr`` (or, for
``import a.b.c``, as the chain ``a.b.c``), that answer needs no scope model:
nothing else in the file binds the name, so every such read is a read of the
import.  :func:`module_binding_uses` gives that answer in the shape of
LibCST's ``Scope.assignments`` and returns None for anything else (a nested
scope, another binding of the name, a bare use, a string that may be a type
hint), so the caller falls back to the full analysis.  It never guesses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import libcst as cst

from .cstutil import CodegenIndex, dotted_name

_NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.Module)
#: Where LibCST reads a string as code (annotations, typing calls and subscripts).
_TYPE_HINT_CONTEXTS = tuple(
    t for t in (cst.Annotation, cst.Call, cst.Subscript, getattr(cst, "TypeAlias", None), getattr(cst, "TypeParam", None)) if t
)


@dataclass(frozen=True)
class LightAccess:
    node: cst.CSTNode


@dataclass
class LightAssignment:
    node: cst.CSTNode
    references: list[LightAccess] = field(default_factory=list)


@dataclass
class LightScope:
    """The subset of LibCST's ``Scope`` that phase C reads for a module binding."""

    assignments: defaultdict[str, list[LightAssignment]]


def module_binding_uses(tree: CodegenIndex, node: cst.Import | cst.ImportFrom, alias: cst.ImportAlias) -> LightScope | None:
    """The reads of the name ``alias`` binds, or None when that takes scope analysis.

    ``tree`` must have collected ``Name``, ``Import``, ``ImportFrom`` and ``SimpleString`` nodes.
    """
    parents = tree.parents
    up = parents.get(node)
    while up is not None:
        if isinstance(up, _NESTED_SCOPES):
            return None
        up = parents.get(up)
    dotted = _bound_name(node, alias)
    if dotted is None:
        return None
    root = dotted.split(".", 1)[0]
    if _bound_elsewhere(tree, node, alias, root):
        return None
    refs: list[LightAccess] = []
    for name in tree.nodes(cst.Name):
        if name.value != root:  # type: ignore[attr-defined]
            continue
        parent = parents.get(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            continue  # `x.root`: an attribute, not the name
        if isinstance(parent, cst.Arg) and parent.keyword is name:
            continue  # `f(root=...)`
        if _in_import(parents, name):
            continue  # module paths; bindings were checked above
        ref = _chain_to(parents, name, dotted)
        if ref is None:
            return None  # a bare use, a binding, or another chain: LibCST decides
        refs.append(LightAccess(ref))
    word = re.compile(r"(?<![\w.])" + re.escape(root) + r"\b")
    for s in tree.nodes(cst.SimpleString):
        if root in s.value and word.search(s.value) and _maybe_type_hint(parents, s):  # type: ignore[attr-defined]
            return None  # LibCST reads string annotations as uses
    assignments: defaultdict[str, list[LightAssignment]] = defaultdict(list)
    assignments[dotted].append(LightAssignment(node, refs))
    parts = dotted.split(".")
    for i in range(1, len(parts)):
        assignments[".".join(parts[:i])].append(LightAssignment(node))  # prefixes: no reads of their own (checked)
    return LightScope(assignments)


def _bound_name(node: cst.Import | cst.ImportFrom, alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None:
        target = alias.asname.name
        return target.value if isinstance(target, cst.Name) else None
    if isinstance(node, cst.ImportFrom):
        return alias.name.value if isinstance(alias.name, cst.Name) else None
    return dotted_name(alias.name)


def _local_of(imp: cst.Import | cst.ImportFrom, alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None:
        return alias.asname.name.value if isinstance(alias.asname.name, cst.Name) else None
    if isinstance(imp, cst.ImportFrom):
        return alias.name.value if isinstance(alias.name, cst.Name) else None
    dotted = dotted_name(alias.name)
    return dotted.split(".", 1)[0] if dotted else None


def _bound_elsewhere(tree: CodegenIndex, node: cst.CSTNode, alias: cst.ImportAlias, root: str) -> bool:
    for kind in (cst.Import, cst.ImportFrom):
        for imp in tree.nodes(kind):
            names = imp.names  # type: ignore[attr-defined]
            if isinstance(names, cst.ImportStar):
                continue
            for other in names:
                if (imp is not node or other is not alias) and _local_of(imp, other) == root:  # type: ignore[arg-type]
                    return True
    return False


def _in_import(parents: dict[cst.CSTNode, cst.CSTNode], name: cst.CSTNode) -> bool:
    n = parents.get(name)
    while n is not None and not isinstance(n, _STATEMENTS):
        if isinstance(n, (cst.Import, cst.ImportFrom)):
            return True
        if not isinstance(n, (cst.Attribute, cst.ImportAlias, cst.AsName)):
            return False
        n = parents.get(n)
    return False


def _chain_to(parents: dict[cst.CSTNode, cst.CSTNode], name: cst.Name, dotted: str) -> cst.CSTNode | None:
    """The node reading ``dotted`` when ``name`` starts exactly that attribute chain."""
    cur: cst.CSTNode = name
    text = name.value
    if text == dotted:
        parent = parents.get(name)
        return name if isinstance(parent, cst.Attribute) and parent.value is name else None
    while True:
        parent = parents.get(cur)
        if not (isinstance(parent, cst.Attribute) and parent.value is cur):
            return None
        text = f"{text}.{parent.attr.value}"
        cur = parent
        if text == dotted:
            return cur
        if not dotted.startswith(text + "."):
            return None


def _maybe_type_hint(parents: dict[cst.CSTNode, cst.CSTNode], node: cst.CSTNode) -> bool:
    n = parents.get(node)
    while n is not None and not isinstance(n, _STATEMENTS):
        if isinstance(n, _TYPE_HINT_CONTEXTS):
            return True
        n = parents.get(n)
    return False
