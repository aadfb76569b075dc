"""LibCST helpers shared by the phases.

LibCST regenerates a module from its tree.  For a few rare shapes (a file
without a final newline that ends in indented comments or whitespace-only
lines) that regeneration is not byte-exact, even for an untouched tree.  The
tool promises byte-for-byte preservation outside the rewritten spans, so
phases never write LibCST's output directly: they splice their edits into the
original bytes with a 3-way merge (base = LibCST's rendering of the untouched
tree, ours = the original bytes, theirs = the rendering of the edited tree).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import libcst as cst
from libcst._nodes.internal import CodegenState

from migrate.merge3 import merge3


class _IndexingState(CodegenState):
    """A codegen state that counts lines and records each node's start and parent.

    Start lines are LibCST's ``PositionProvider`` start lines (the syntactic
    start where a node records one, else where its code begins), without a
    ``CodeRange`` per node.  Codegen walks every node once, in source order,
    without rebuilding any: far cheaper than a visitor pass.
    """

    def __init__(self, module: cst.Module, collect: tuple[type, ...]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.starts: dict[cst.CSTNode, int] = {}
        self.syntactic: dict[cst.CSTNode, int] = {}
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.stack: list[cst.CSTNode] = []
        self.collect = collect
        self.found: dict[type, list[cst.CSTNode]] = {t: [] for t in collect}

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            self.line += value.count("\n") + value.count("\r") - value.count("\r\n")

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts[node] = self.line
        if self.stack:
            self.parents[node] = self.stack[-1]
        self.stack.append(node)
        kind = type(node)
        if kind in self.found:
            self.found[kind].append(node)

    def after_codegen(self, node: cst.CSTNode) -> None:
        self.stack.pop()

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> Iterator[None]:
        line = self.line
        yield
        if start_node is not None:
            line = self.syntactic.get(start_node, self.starts.get(start_node, line))
        self.syntactic[node] = line


class CodegenIndex:
    """One codegen pass over a parsed module: its rendering, start lines, parents, chosen nodes.

    ``render_preserving`` needs the rendering of the untouched tree anyway; the
    same pass answers "which line", "whose child" and "every node of type T"
    that would otherwise cost LibCST's ``PositionProvider`` and a visitor.
    """

    def __init__(self, module: cst.Module, collect: tuple[type, ...] = ()) -> None:
        state = _IndexingState(module, collect)
        module._codegen(state)
        self._starts = state.starts
        self._syntactic = state.syntactic
        self.parents = state.parents
        self._found = state.found
        self.bytes = "".join(state.tokens).encode(module.encoding)

    def line(self, node: cst.CSTNode) -> int:
        """1-based start line of ``node`` (1 for a node not in the module)."""
        found = self._syntactic.get(node)
        if found is None:
            found = self._starts.get(node, 1)
        return found

    def nodes(self, kind: type) -> list[cst.CSTNode]:
        """Every node of exactly this type, in source order (``kind`` must be in ``collect``)."""
        return self._found[kind]


def dotted_name(node: cst.CSTNode | None) -> str | None:
    """``a.b.c`` for a Name or an Attribute chain of Names; None for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_all_names(module: cst.Module) -> set[str]:
    """The string entries of top-level ``__all__`` assignments (``=``, ``+=``, annotated)."""
    names: set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                if any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets) and small.value is not None:
                    for el in getattr(small.value, "elements", []):
                        if isinstance(el.value, cst.SimpleString) and isinstance(el.value.evaluated_value, str):
                            names.add(el.value.evaluated_value)
    return names


def render_preserving(data: bytes, original: cst.Module, updated: cst.Module, *, base: bytes | None = None) -> bytes | None:
    """The original bytes with the edits applied; None if they cannot be separated.

    ``base`` is ``original.bytes`` when the caller already has it (see :class:`CodegenIndex`).
    """
    new = updated.bytes
    if base is None:
        base = original.bytes
    if base == data:
        return new
    result = merge3(base, data, new)
    return result.merged
