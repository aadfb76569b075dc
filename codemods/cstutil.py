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

import libcst as cst

from migrate.merge3 import merge3


def render_preserving(data: bytes, original: cst.Module, updated: cst.Module) -> bytes | None:
    """The original bytes with the edits applied; None if they cannot be separated."""
    new = updated.bytes
    base = original.bytes
    if base == data:
        return new
    result = merge3(base, data, new)
    return result.merged
