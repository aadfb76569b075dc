"""Self-verification refuses rewrites that change more than references."""

from __future__ import annotations

import pytest

from migrate.verify import VerifyPolicy, verify_python


@pytest.mark.parametrize(
    "before, after",
    [
        (b"from a import X\nX()\n", b"from b import Y as X\nX()\n"),
        (b"import a.b\na.b.X\n", b"import c.d\nc.d.X\n"),
        (b"x = 1  # keep\nfrom a import (X,  # c\n  Z)\n", b"x = 1  # keep\nfrom a import (Z)\nfrom b import (X,  # c\n)\n"),
        (b'mock.patch("a.b.X")\n', b'mock.patch("c.d.X")\n'),
        (b"match x:\n    case 1:\n        import a\n", b"match x:\n    case 1:\n        import b as a\n"),
    ],
    ids=["alias keeps binding", "dotted chain", "split keeps comments", "patch string", "match statement"],
)
def test_accepts_reference_rewrites(before: bytes, after: bytes) -> None:
    assert verify_python(before, after) == []


@pytest.mark.parametrize(
    "before, after, problem",
    [
        (b"from a import X\nX()\n", b"from b import Y\nX()\n", "names became unbound: X"),
        (b"def f():\n    from a import X\n    return X\n", b"def f():\n    return X\n", "unbound"),
        (b"x = 1  # c\n", b"x = 1\n", "comments changed"),
        (b"x = 1\n", b"x = 2\n", "value changed"),
        (b"f(a)\n", b"f(a, b)\n", "structure changed"),
        (b"import a\n", b"import a\nimport (\n", "does not parse"),
    ],
    ids=["import renamed without uses", "function import dropped", "comment lost", "constant changed", "call changed", "broken output"],
)
def test_refuses_other_changes(before: bytes, after: bytes, problem: str) -> None:
    problems = verify_python(before, after)
    assert any(problem in p for p in problems), problems


def test_allowed_refs_restricts_what_a_reference_may_become() -> None:
    policy = VerifyPolicy(allowed_refs=frozenset({"c.d", "Y"}))
    assert verify_python(b"import a.b\na.b.X\n", b"import c.d\nc.d.X\n", policy) == []
    problems = verify_python(b"f(a.b.X)\n", b"g(a.b.X)\n", policy)
    assert any("unexpected change" in p for p in problems), problems


def test_renames_are_declared() -> None:
    before = b"from a import X\nX()\n"
    after = b"from b import Y\nY()\n"
    assert verify_python(before, after, VerifyPolicy(renames={"X": "Y"})) == []


def test_comment_edits_allowed_only_when_asked() -> None:
    before, after = b"x = 1  # see a.b\n", b"x = 1  # see c.d\n"
    assert verify_python(before, after)
    assert verify_python(before, after, VerifyPolicy(comments_may_change=True)) == []


def test_latin1_cookie_and_bom() -> None:
    before = b"# -*- coding: latin-1 -*-\nimport a\nx = '\xe9'\n"
    after = b"# -*- coding: latin-1 -*-\nimport b as a\nx = '\xe9'\n"
    assert verify_python(before, after) == []
    assert verify_python(b"\xef\xbb\xbfimport a\n", b"\xef\xbb\xbfimport b as a\n") == []
