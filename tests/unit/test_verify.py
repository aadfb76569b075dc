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


# -- the binding check is linear (issue #15, item 5) ---------------------------------

SCOPE_SOURCES = [
    b"from a import X\nX()\ny = Z\n",
    b"import os\ndef f(a):\n    b = a\n    def g():\n        nonlocal b\n        return b + c\n    return g\n",
    b"x = 1\nclass C:\n    y = x\n    def m(self):\n        global x\n        x = 2\n        return [x for _ in range(3)] + [undefined]\n",
    b"from m import *\nprint(anything)\n",
    b"def f():\n    from a import X\n    return X, (lambda q: q + X)(1)\nf = f\nclass f:\n    pass\n",
    b"async def h():\n    async with a as b:\n        return {k: v for k, v in b}\n",
]


def _reference_facts(source: bytes):
    """The binding facts computed with the public (per-symbol) symtable API, as before the fix."""
    import symtable

    from migrate.verify import _BUILTINS, _ScopeFacts

    top = symtable.symtable(source.decode(), "<verify>", "exec")
    module_bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    facts = _ScopeFacts(set(), set(), set(), b"import *" in source)

    def walk(table, path):
        for sym in table.get_symbols():
            name = sym.get_name()
            if not sym.is_referenced():
                continue
            facts.reads.add((path, name))
            if table.get_type() == "module" or sym.is_global():
                if name not in module_bound and name not in _BUILTINS:
                    facts.unbound.add((path, name))
            elif sym.is_local() and (sym.is_imported() or sym.is_assigned()):
                facts.local_reads.add((path, name))
        for child in table.get_children():
            walk(child, f"{path}/{child.get_name()}")

    walk(top, "")
    return facts


@pytest.mark.parametrize("source", SCOPE_SOURCES, ids=range(len(SCOPE_SOURCES)))
def test_scope_facts_match_the_public_symtable_api(source: bytes) -> None:
    from migrate.verify import _scope_facts

    assert _scope_facts(source) == _reference_facts(source)


def test_scope_facts_never_look_symbols_up_among_child_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SymbolTable.get_symbols``/``lookup`` scan every child table per symbol: quadratic on a
    generated module with thousands of functions (592 s for 5 MB before the fix)."""
    import symtable

    from migrate.verify import _scope_facts

    def refuse(*args, **kwargs):
        raise AssertionError("per-symbol lookup: quadratic in the number of functions")

    monkeypatch.setattr(symtable.SymbolTable, "lookup", refuse)
    monkeypatch.setattr(symtable.SymbolTable, "get_symbols", refuse)
    source = b"from a import make\n" + b"".join(b"def f_%d(x):\n    return [v * make() for v in x]\n" % i for i in range(2000))
    facts = _scope_facts(source)
    assert ("/f_7/listcomp", "make") in facts.reads and not facts.unbound
