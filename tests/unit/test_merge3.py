"""Tests for migrate.merge3 (rollback of a phase after human edits).

Convention throughout: base = AFTER (what the phase wrote), ours = CURRENT
(what the human made of it), theirs = BEFORE (what rollback restores).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the package is not installed in the venv
    sys.path.insert(0, str(ROOT))

from migrate.merge3 import Conflict, MergeResult, _merge, merge3  # noqa: E402


def merged(base: bytes, ours: bytes, theirs: bytes) -> bytes:
    result = merge3(base, ours, theirs)
    assert result.conflicts == (), result.conflicts
    assert result.merged is not None
    return result.merged


# --------------------------------------------------------------------------
# rollback scenarios
# --------------------------------------------------------------------------

BEFORE = b"import old_util\n\n\ndef f():\n    return old_util.run()\n"
AFTER = b"import new_util\n\n\ndef f():\n    return new_util.run()\n"


def test_rollback_keeps_human_addition_at_end() -> None:
    current = AFTER + b"\n\ndef g():\n    return 2\n"
    assert merged(AFTER, current, BEFORE) == BEFORE + b"\n\ndef g():\n    return 2\n"


def test_rollback_keeps_human_edit_elsewhere() -> None:
    current = AFTER.replace(b"def f():", b"def f():  # documented")
    assert merged(AFTER, current, BEFORE) == BEFORE.replace(
        b"def f():", b"def f():  # documented"
    )


def test_rollback_with_unedited_file_is_before() -> None:
    assert merged(AFTER, AFTER, BEFORE) == BEFORE


def test_human_already_reverted_by_hand() -> None:
    assert merged(AFTER, BEFORE, BEFORE) == BEFORE
    # Reverted one of the two changes by hand and added a line: still clean.
    current = AFTER.replace(b"import new_util", b"import old_util") + b"# note\n"
    assert merged(AFTER, current, BEFORE) == BEFORE + b"# note\n"


def test_human_edited_the_changed_line_conflicts() -> None:
    current = AFTER.replace(b"new_util.run()", b"new_util.run(fast=True)")
    result = merge3(AFTER, current, BEFORE)
    assert result.merged is None
    assert not result.ok
    assert result.conflicts == (
        Conflict(
            base_start=5,
            base_end=5,
            ours=(b"    return new_util.run(fast=True)\n",),
            theirs=(b"    return old_util.run()\n",),
        ),
    )
    assert result.conflicts[0].describe() == "both sides changed base line 5"


def test_human_deleted_changed_region_conflicts() -> None:
    current = b"import new_util\n"
    result = merge3(AFTER, current, BEFORE)
    assert result.merged is None
    (c,) = result.conflicts
    assert (c.base_start, c.base_end) == (2, 5)
    assert c.describe() == "both sides changed base lines 2-5"


def test_several_conflicts_are_all_reported_in_order() -> None:
    lines = [b"%d\n" % i for i in range(20)]

    def edit(two: bytes, fifteen: bytes) -> bytes:
        return b"".join(lines[:2] + [two] + lines[3:15] + [fifteen] + lines[16:])

    base = b"".join(lines)
    result = merge3(base, edit(b"two\n", b"fifteen\n"), edit(b"TWO\n", b"FIFTEEN\n"))
    assert [(c.base_start, c.base_end) for c in result.conflicts] == [(3, 3), (16, 16)]
    assert result.merged is None


def test_adjacent_line_edits_are_both_kept() -> None:
    base = b"a\nb\nc\nd\n"
    assert merged(base, b"a\nB\nc\nd\n", b"a\nb\nC\nd\n") == b"a\nB\nC\nd\n"
    assert merged(base, b"a\nb\nC\nd\n", b"a\nB\nc\nd\n") == b"a\nB\nC\nd\n"
    # A deletion touching a replacement.
    assert merged(base, b"a\nc\nd\n", b"a\nb\nC\nd\n") == b"a\nC\nd\n"


def test_insertion_before_a_changed_line_is_kept() -> None:
    base = b"a\nb\nc\n"
    # ours inserts between a and b; theirs changes b.
    assert merged(base, b"a\nnew\nb\nc\n", b"a\nB\nc\n") == b"a\nnew\nB\nc\n"
    # ours inserts between b and c; theirs changes b.
    assert merged(base, b"a\nb\nnew\nc\n", b"a\nB\nc\n") == b"a\nB\nnew\nc\n"


def test_insertion_inside_a_changed_range_conflicts() -> None:
    base = b"a\nb\nc\nd\n"
    result = merge3(base, b"a\nb\nnew\nc\nd\n", b"a\nX\nY\nd\n")
    assert result.merged is None
    (c,) = result.conflicts
    assert (c.base_start, c.base_end) == (2, 3)
    assert c.ours == (b"b\n", b"new\n", b"c\n")
    assert c.theirs == (b"X\n", b"Y\n")


def test_different_insertions_at_same_point_conflict() -> None:
    base = b"a\nb\n"
    result = merge3(base, b"a\nmine\nb\n", b"a\ntheirs\nb\n")
    assert result.merged is None
    (c,) = result.conflicts
    assert (c.base_start, c.base_end) == (2, 1)
    assert c.describe() == "both sides inserted different lines after base line 1"
    assert c.ours == (b"mine\n",)
    assert c.theirs == (b"theirs\n",)


def test_different_appends_at_end_conflict() -> None:
    result = merge3(b"a\n", b"a\nx\n", b"a\ny\n")
    assert result.merged is None
    assert (result.conflicts[0].base_start, result.conflicts[0].base_end) == (2, 1)


def test_identical_changes_taken_once() -> None:
    base = b"a\nb\nc\nd\ne\nf\ng\n"
    both = base.replace(b"b\n", b"B\n")
    ours = both.replace(b"f\n", b"F\n")
    assert merged(base, ours, both) == ours
    assert _merge(base, both, both).merged == both
    # Identical insertions at one point.
    ins = b"a\nnew\nb\nc\nd\ne\nf\ng\n"
    assert merged(base, ins.replace(b"g\n", b"G\n"), ins) == ins.replace(b"g\n", b"G\n")


def test_crlf_and_missing_final_newline_survive() -> None:
    before = b"import old\r\nx = 1\r\ny = old.f()"
    after = b"import new\r\nx = 1\r\ny = new.f()"
    current = b"# header\r\nimport new\r\nx = 2\r\ny = new.f()"
    assert merged(after, current, before) == b"# header\r\nimport old\r\nx = 2\r\ny = old.f()"


def test_final_newline_change_is_a_line_change() -> None:
    # The phase added a final newline; the human edited line 1; rollback removes it.
    assert merged(b"a\nb\n", b"A\nb\n", b"a\nb") == b"A\nb"
    # The human also touched the last line: conflict rather than guessing.
    assert merge3(b"a\nb\n", b"a\nb!\n", b"a\nb").merged is None


def test_line_ending_only_change_conflicts_with_edit_of_that_line() -> None:
    result = merge3(b"a\r\nb\r\n", b"a\r\nB\r\n", b"a\r\nb\n")
    assert result.merged is None


def test_lone_cr_files_merge_line_by_line() -> None:
    base = b"a\rb\rc\rd\r"
    assert merged(base, b"A\rb\rc\rd\r", b"a\rb\rc\rD\r") == b"A\rb\rc\rD\r"


def test_non_utf8_bytes_pass_through() -> None:
    base = b"caf\xe9\n\xff\xfe\n\x00\n"
    ours = b"caf\xe8\n\xff\xfe\n\x00\n"
    theirs = b"caf\xe9\n\xff\xfe\n\x00\x01\n"
    assert merged(base, ours, theirs) == b"caf\xe8\n\xff\xfe\n\x00\x01\n"


@pytest.mark.parametrize(
    "base, ours, theirs, expected",
    [
        (b"", b"", b"x\n", b"x\n"),
        (b"", b"x\n", b"", b"x\n"),
        (b"x\n", b"", b"x\n", b""),
        (b"x\n", b"x\n", b"", b""),
        (b"x\n", b"", b"", b""),
        (b"x", b"y", b"y", b"y"),
    ],
)
def test_empty_files(base: bytes, ours: bytes, theirs: bytes, expected: bytes) -> None:
    assert merged(base, ours, theirs) == expected


def test_empty_base_different_contents_conflict() -> None:
    result = merge3(b"", b"x\n", b"y\n")
    assert result.merged is None
    assert (result.conflicts[0].base_start, result.conflicts[0].base_end) == (1, 0)


def test_both_deleted_everything() -> None:
    assert _merge(b"a\nb\n", b"", b"").merged == b""


def test_result_types_are_frozen() -> None:
    result = merge3(b"a\n", b"b\n", b"c\n")
    assert isinstance(result, MergeResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.merged = b""  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.conflicts[0].base_start = 0  # type: ignore[misc]


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------

ENDINGS = [b"\n", b"\r\n", b"\r"]
LINES = st.sampled_from(
    [b"a\n", b"b\n", b"a\r\n", b"b\r\n", b"\n", b"\r\n", b"c\r", b"x = 1\n", b"\xe9\n", b"\x00\n"]
)


@st.composite
def documents(draw) -> bytes:
    body = b"".join(draw(st.lists(LINES, max_size=15)))
    return body + draw(st.sampled_from([b"", b"tail", b"tail\r", b"\xff"]))


docs = st.one_of(documents(), st.binary(max_size=60))
PROPS = settings(max_examples=150, deadline=None)


@PROPS
@given(docs, docs)
def test_unchanged_ours_gives_theirs(base: bytes, theirs: bytes) -> None:
    assert merged(base, base, theirs) == theirs
    assert _merge(base, base, theirs).merged == theirs


@PROPS
@given(docs, docs)
def test_unchanged_theirs_gives_ours(base: bytes, ours: bytes) -> None:
    assert merged(base, ours, base) == ours
    assert _merge(base, ours, base).merged == ours


@PROPS
@given(docs, docs)
def test_same_change_on_both_sides(base: bytes, other: bytes) -> None:
    assert merged(base, other, other) == other
    assert _merge(base, other, other).merged == other


@PROPS
@given(docs, docs, docs)
def test_merge_is_symmetric(base: bytes, ours: bytes, theirs: bytes) -> None:
    a = merge3(base, ours, theirs)
    b = merge3(base, theirs, ours)
    assert a.merged == b.merged
    assert [(c.base_start, c.base_end, c.ours, c.theirs) for c in a.conflicts] == [
        (c.base_start, c.base_end, c.theirs, c.ours) for c in b.conflicts
    ]
    assert (a.merged is None) == bool(a.conflicts)


@PROPS
@given(docs, docs, docs)
def test_conflict_ranges_are_sane(base: bytes, ours: bytes, theirs: bytes) -> None:
    n = len(base.splitlines())
    result = merge3(base, ours, theirs)
    previous_end = 0
    for c in result.conflicts:
        assert 1 <= c.base_start <= c.base_end + 1 <= n + 1
        assert c.base_start > previous_end
        assert c.ours != c.theirs
        previous_end = c.base_end


# Model-based: each base line position is edited by at most one side (or by
# both identically); the merge must then apply every edit and never conflict.
# An edit made by both sides must not sit right next to a one-sided edit:
# the diff would fuse them into one hunk per side, the hunks would overlap
# without being identical, and that is (deliberately) a conflict -- see
# test_identical_edit_fused_with_one_sided_edit_conflicts.

OPS = st.sampled_from(["keep", "keep", "replace", "delete", "insert"])
OWNERS = st.sampled_from(["ours", "theirs", "both"])


@st.composite
def disjoint_edits(draw):
    n = draw(st.integers(0, 12))
    endings = [draw(st.sampled_from(ENDINGS)) for _ in range(n)]
    if n and draw(st.booleans()):
        endings[-1] = b""  # no final newline
    base = [b"base-%d" % i + endings[i] for i in range(n)]
    ours: list[bytes] = []
    theirs: list[bytes] = []
    expected: list[bytes] = []
    previous_owner = None  # owner of the edit at the previous position, if any
    for i in range(n + 1):
        op = draw(OPS)
        if i == n and (op != "insert" or (n and endings[-1] == b"")):
            op = "keep"  # nothing may follow a line without a newline
        owner = draw(OWNERS)
        if (
            previous_owner is not None
            and previous_owner != owner
            and "both" in (previous_owner, owner)
        ):
            op = "keep"
        previous_owner = None if op == "keep" else owner
        new = b"%s-%d" % (owner.encode(), i) + draw(st.sampled_from(ENDINGS))
        line = [base[i]] if i < n else []
        edited = {
            "keep": line,
            "replace": [new],
            "delete": [],
            "insert": [new] + line,
        }[op]
        expected += edited
        ours += edited if owner in ("ours", "both") else line
        theirs += edited if owner in ("theirs", "both") else line
    return b"".join(base), b"".join(ours), b"".join(theirs), b"".join(expected)


@settings(max_examples=300, deadline=None)
@given(disjoint_edits())
def test_disjoint_edits_are_all_kept(case: tuple[bytes, bytes, bytes, bytes]) -> None:
    base, ours, theirs, expected = case
    assert merged(base, ours, theirs) == expected
    assert _merge(base, ours, theirs).merged == expected


def test_identical_edit_fused_with_one_sided_edit_conflicts() -> None:
    # ours changed lines 1 and 2, theirs only line 2 (identically).  Per side
    # the diff has one hunk; they overlap and differ, so like diff3 this is a
    # conflict rather than a guess about which base line maps to which.
    result = merge3(b"a\nb\n", b"A\nB\n", b"a\nB\n")
    assert result.merged is None
    assert [(c.base_start, c.base_end) for c in result.conflicts] == [(1, 2)]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_same_line_changed_differently_conflicts(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 10))
    base = [b"l%d\n" % i for i in range(n)]
    i = data.draw(st.integers(0, n - 1))
    ours, theirs = list(base), list(base)
    ours[i] = data.draw(st.sampled_from([b"ours\n", b""]))
    theirs[i] = b"theirs\n"
    result = merge3(b"".join(base), b"".join(ours), b"".join(theirs))
    assert result.merged is None
    assert [(c.base_start, c.base_end) for c in result.conflicts] == [(i + 1, i + 1)]
