"""Line-based three-way merge, used to roll a phase back after human edits.

A phase turned file F from BEFORE into AFTER; a human then edited it into
CURRENT.  Rolling back applies the change AFTER -> BEFORE onto CURRENT while
keeping the human's edits::

    merge3(base=AFTER, ours=CURRENT, theirs=BEFORE)

Both sides are diffed against the base (``difflib.SequenceMatcher`` over
lines, endings kept, ``autojunk=False``).  Change hunks from the two sides
that overlap in the base, or that are both pure insertions at the same base
position, are grouped into one region.  A region changed by one side only
takes that side; a region both sides changed to the same lines is taken once;
anything else is a :class:`Conflict` and no merged bytes are produced, so the
caller can refuse to touch the file.  Hunks that merely touch (one ends on
the base line where the other starts) are not overlapping and both apply.
Like diff3, a side's adjacent changed lines form one hunk, so an edit both
sides made identically that sits right next to a one-sided edit conflicts.

Lines are split with :meth:`bytes.splitlines` (``keepends=True``): after
``\\n``, ``\\r\\n`` or a lone ``\\r``.  Joining the pieces is lossless, so
CRLF files, classic-Mac CR files and a missing final newline all survive.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

__all__ = ["Conflict", "MergeResult", "merge3"]


@dataclass(frozen=True)
class Conflict:
    """Both sides changed base lines ``base_start..base_end`` differently.

    Line numbers are 1-based and inclusive, for messages.  A conflict between
    two insertions has an empty base range: ``base_end == base_start - 1``,
    i.e. "between line ``base_end`` and line ``base_start``".
    """

    base_start: int
    base_end: int
    ours: tuple[bytes, ...]
    theirs: tuple[bytes, ...]

    def describe(self) -> str:
        if self.base_end < self.base_start:
            return f"both sides inserted different lines after base line {self.base_end}"
        if self.base_start == self.base_end:
            return f"both sides changed base line {self.base_start}"
        return f"both sides changed base lines {self.base_start}-{self.base_end}"


@dataclass(frozen=True)
class MergeResult:
    """``merged`` is the merged content, or ``None`` when there are conflicts."""

    merged: bytes | None
    conflicts: tuple[Conflict, ...]

    @property
    def ok(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True)
class _Hunk:
    side: int  # 0 = ours, 1 = theirs
    start: int  # base range, 0-based half-open
    end: int
    lines: tuple[bytes, ...]


def _split(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _changes(side: int, base: Sequence[bytes], other: Sequence[bytes]) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    return [
        _Hunk(side, i1, i2, tuple(other[j1:j2]))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _apply(base: Sequence[bytes], start: int, end: int, hunks: Sequence[_Hunk]) -> list[bytes]:
    """The region ``base[start:end]`` with one side's (sorted) hunks applied."""
    out: list[bytes] = []
    pos = start
    for h in hunks:
        out.extend(base[pos : h.start])
        out.extend(h.lines)
        pos = h.end
    out.extend(base[pos:end])
    return out


def merge3(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    """Merge the changes base->ours and base->theirs; see the module docstring."""
    if ours == theirs:
        return MergeResult(ours, ())
    if ours == base:
        return MergeResult(theirs, ())
    if theirs == base:
        return MergeResult(ours, ())
    return _merge(base, ours, theirs)


def _merge(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    """The general algorithm, without :func:`merge3`'s shortcuts."""
    base_lines = _split(base)
    # Sorted by base position; at the same start an insertion sorts before a
    # replacement, and ours before theirs (only matters for identical keys).
    hunks = sorted(
        _changes(0, base_lines, _split(ours)) + _changes(1, base_lines, _split(theirs)),
        key=lambda h: (h.start, h.end, h.side),
    )

    # Group hunks into regions.
    regions: list[list[_Hunk]] = []
    r_start = r_end = -1
    for h in hunks:
        if regions and _belongs(r_start, r_end, regions[-1], h):
            regions[-1].append(h)
            r_end = max(r_end, h.end)
        else:
            regions.append([h])
            r_start, r_end = h.start, h.end

    out: list[bytes] = []
    conflicts: list[Conflict] = []
    pos = 0
    for region in regions:
        start = region[0].start
        end = max(h.end for h in region)
        out.extend(base_lines[pos:start])
        pos = end
        ours_hunks = [h for h in region if h.side == 0]
        theirs_hunks = [h for h in region if h.side == 1]
        ours_text = _apply(base_lines, start, end, ours_hunks)
        if not theirs_hunks:
            out.extend(ours_text)
            continue
        theirs_text = _apply(base_lines, start, end, theirs_hunks)
        if not ours_hunks or ours_text == theirs_text:
            out.extend(theirs_text)
            continue
        conflicts.append(Conflict(start + 1, end, tuple(ours_text), tuple(theirs_text)))
    out.extend(base_lines[pos:])

    if conflicts:
        return MergeResult(None, tuple(conflicts))
    return MergeResult(b"".join(out), ())


def _belongs(start: int, end: int, region: Sequence[_Hunk], hunk: _Hunk) -> bool:
    """Does ``hunk`` join the region spanning base ``[start, end)``?

    It does when their base ranges overlap, when it is an insertion strictly
    inside the region, or when it is an insertion at the very point where the
    region has an insertion of its own (the order of two insertions at one
    place is unknowable).  Merely touching ranges stay separate.
    """
    if hunk.start < end and start < hunk.end:
        return True
    if hunk.start == hunk.end:
        if start < hunk.start < end:
            return True
        return any(h.start == h.end == hunk.start for h in region)
    return False
