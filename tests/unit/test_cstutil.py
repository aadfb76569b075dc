"""CodegenIndex must agree with LibCST's own metadata: lines, parents, node order.

Phase C reports every reference with its line and walks parents to decide what
a node is; both come from one codegen pass instead of LibCST's
PositionProvider and a visitor.  These tests pin that the cheap pass gives the
same answers, on hand-picked shapes and on random grammar-valid code.
"""

from __future__ import annotations

import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from codemods.cstutil import CodegenIndex

KINDS = (cst.Import, cst.ImportFrom, cst.SimpleString, cst.Comment, cst.Name, cst.Attribute)


class _InOrder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: dict[type, list[cst.CSTNode]] = {k: [] for k in KINDS}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) in self.found:
            self.found[type(node)].append(node)
        return True


def _mismatches(source: bytes) -> list[str]:
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    parents = wrapper.resolve(ParentNodeProvider)
    index = CodegenIndex(module, KINDS)
    problems = []
    if index.bytes != module.bytes:
        problems.append("rendering differs from Module.bytes")
    for node, rng in positions.items():
        if index.line(node) != rng.start.line:
            problems.append(f"{type(node).__name__}: line {index.line(node)} != {rng.start.line}")
        parent = parents.get(node)
        if parent is not None and index.parents.get(node) is not parent:
            problems.append(f"{type(node).__name__}: wrong parent")
    visitor = _InOrder()
    module.visit(visitor)
    for kind in KINDS:
        if [id(n) for n in visitor.found[kind]] != [id(n) for n in index.nodes(kind)]:
            problems.append(f"{kind.__name__}: different nodes or order")
    return problems


CASES = {
    "crlf": b"import a.b\r\n\r\n# c\r\nx = a.b.X  # t\r\n",
    "no final newline, indented comment": b"def f():\n    pass\n    # tail",
    "decorators and leading comments": b"# head\n\n@dec\n# between\n@other(\n    1,\n)\ndef f():\n    '''doc\n    more'''\n    return 'x'\n",
    "multi-line strings and continuations": b"x = '''a\nb\nc''' + \\\n    'd'\ny = (\n    'e'\n    'f'\n)\n",
    "parenthesised import with comments": b"from a.b import (  # one\n    X,  # two\n    Y,\n)\n",
    "class body, nested blocks": b"class C:\n    '''d'''\n\n    def m(self):\n        if x:\n            import a.b as m\n        else:\n            pass\n        return m.X\n",
    "match and except*": b"match p:\n    case {'k': v}:\n        pass\ntry:\n    pass\nexcept* ValueError:\n    pass\n",
    "f-string": b"x = f'{a!r:>{w}} and {b}'\n",
}


@pytest.mark.parametrize("source", list(CASES.values()), ids=list(CASES))
def test_codegen_index_matches_libcst_metadata(source: bytes) -> None:
    assert _mismatches(source) == []


def test_line_of_a_foreign_node_is_one() -> None:
    index = CodegenIndex(cst.parse_module(b"x = 1\n"))
    assert index.line(cst.Name("y")) == 1


def test_random_grammar_valid_code() -> None:
    hypothesmith = pytest.importorskip("hypothesmith")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(source=hypothesmith.from_grammar())
    def check(source: str) -> None:
        try:
            cst.parse_module(source)
        except cst.ParserSyntaxError:
            assume(False)
        assert _mismatches(source.encode("utf-8")) == []

    check()
