"""Property tests for phase C over generated files (shared layout from conftest.py).

* Files made of random import forms and unrelated statements: the output
  parses (and passes self-verification), and a second run is a no-op.
* Files without legacy references are byte-identical, whatever their encoding
  or line endings.
* With ``hypothesmith``: random valid Python without legacy references is
  untouched.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from migrate.engine import build_plan
from migrate.phase import Options
from migrate.results import Status
from migrate.spec import load_spec
from migrate.testing import write_tree

from .conftest import MODULES, SPEC

PATH = "pkg/consumer.py"

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# (import statement(s), a use of what they bound); every entry references a legacy target.
LEGACY_CHUNKS = [
    ("from pkg.legacy import make", "make()"),
    ("from pkg.legacy import make as build", "build()"),
    ("from pkg.legacy import CONST, make", "CONST + 1"),
    ("from pkg.legacy import (\n    make,  # factory\n    CONST,\n)", "make(), CONST"),
    ("import pkg.legacy", "pkg.legacy.make()"),
    ("import pkg.legacy as m", "m.CONST"),
    ("import os, pkg.legacy", "pkg.legacy.CONST, os.sep"),
    ("from pkg import legacy", "legacy.make()"),
    ("from . import legacy as rel", "rel.CONST"),
    ("from .legacy import helper", "helper()"),
    ("from pkg.impl import OldThing", "OldThing()"),
    ("from pkg.impl import OldThing, helper", "OldThing(), helper()"),
    ("from pkg.impl import OldThing as T", "T()"),
    ("from .impl import OldThing", "isinstance(1, OldThing)"),
    ("import pkg.impl", "pkg.impl.OldThing"),
    ("import pkg.oldpkg.sub", "pkg.oldpkg.sub.sub_fn()"),
    ("from pkg.oldpkg import sub", "sub.sub_fn()"),
    ("from pkg.oldpkg.sub import *", "sub_fn()"),
    ("from .oldutil import util_fn", "util_fn()"),
    ("import pkg.legacy as lm", "lm.LEGACY_ONLY"),
    ("try:\n    from pkg.legacy import Missing\nexcept ImportError:\n    Missing = None", "Missing"),
    ("try:\n    from pkg.canon import make\nexcept ImportError:\n    from pkg.legacy import make", "make()"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.impl import OldThing", "'OldThing'"),
    ("def lazy():\n    from pkg.legacy import make\n    return make()", "lazy()"),
    ("from unittest import mock", 'mock.patch("pkg.impl.OldThing.method")'),
    ("import importlib", 'importlib.import_module("pkg.legacy")'),
    ("import pkgutil", 'pkgutil.resolve_name("pkg.impl:OldThing")'),
    ("# see pkg.legacy.make", "None"),
]

# Statements with no legacy reference (several are near misses).
UNRELATED = [
    "x = 1",
    "import os",
    "from pkg.canon import Thing, make as cmake",
    "import pkg.canon",
    "import pkg.legacy_extra",
    "from pkg import legacyx",
    "legacy = {'impl': 1}",
    "OldThing = None",
    "def f(legacy, impl):\n    return legacy.make, impl.OldThing",
    "class K:\n    legacy = 1\n\n    def m(self):\n        return self.legacy",
    "y = obj.legacy.make if False else None",
    'NAME = "pkg.legacyx.x"',
    "# a comment about legacy code",
    "if x:\n    pass\nelse:\n    z = [i for i in range(3)]",
    "async def g():\n    async with a as b:\n        await b",
    "w = lambda OldThing: OldThing",
    '"""A docstring-like string about the impl module."""',
]


def _chunk_text(chunk: tuple[str, str]) -> str:
    stmt, use = chunk
    return f"{stmt}\n_ = {use}\n" if not stmt.startswith("#") else f"{stmt}\n"


@st.composite
def mixed_files(draw) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(LEGACY_CHUNKS).map(_chunk_text),
                st.sampled_from(UNRELATED).map(lambda s: s + "\n"),
            ),
            min_size=0,
            max_size=7,
        )
    )
    # At least one legacy reference, anywhere in the file.
    at = draw(st.integers(0, len(parts)))
    parts.insert(at, _chunk_text(draw(st.sampled_from(LEGACY_CHUNKS))))
    blank = draw(st.sampled_from(["", "\n"]))
    return blank.join(parts)


@st.composite
def unrelated_files(draw) -> str:
    parts = draw(st.lists(st.sampled_from(UNRELATED), min_size=1, max_size=8))
    return "\n".join(parts) + "\n"


def _encode(text: str, eol: str, final_newline: bool, trailing_ws: bool, bom: bool) -> bytes:
    lines = text.split("\n")
    if trailing_ws:
        lines = [line + "  " if line.strip() else line for line in lines]
    out = eol.join(lines)
    if not final_newline:
        out = out.rstrip("\r\n")
    data = out.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


formatting = st.tuples(st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans(), st.booleans())


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("phase_c_props")
    write_tree(root, MODULES)
    (root / "ssot-spec.toml").write_text(SPEC, encoding="utf-8")
    return root


def _run(root: Path, data: bytes, options: Options):
    (root / PATH).write_bytes(data)
    plan = build_plan(load_spec(root / "ssot-spec.toml"), "C", options, jobs=1, paths=[PATH])
    outs = [o for o in plan.outcomes if o.path == PATH]
    return outs[0] if outs else None


options_st = st.builds(Options, rename_uses=st.booleans(), include_docs=st.booleans())


@SETTINGS
@given(text=mixed_files(), fmt=formatting, options=options_st)
def test_output_parses_and_second_run_is_noop(repo, text, fmt, options):
    data = _encode(text, *fmt)
    outcome = _run(repo, data, options)
    assert outcome is not None
    assert outcome.status is not Status.FAILED, outcome.reason
    assert outcome.status is not Status.SKIPPED, outcome.reason
    out = outcome.after if outcome.status is Status.CHANGED else data
    ast.parse(out)
    assert out.startswith(b"\xef\xbb\xbf") == data.startswith(b"\xef\xbb\xbf")
    if outcome.status is Status.CHANGED:
        again = _run(repo, out, options)
        assert again is None or again.status is Status.UNCHANGED, (again.status, (again.after or b"").decode())


@SETTINGS
@given(text=unrelated_files(), fmt=formatting, options=options_st)
def test_files_without_legacy_references_are_byte_identical(repo, text, fmt, options):
    data = _encode(text, *fmt)
    outcome = _run(repo, data, options)
    assert outcome is None or outcome.status is Status.UNCHANGED, (outcome.status, outcome.reason)


_LEGACY_TEXT = re.compile(r"pkg\.|OldThing|legacy|oldpkg|oldutil|ghost|impl")


def test_random_valid_python_without_legacy_references_untouched(repo):
    hypothesmith = pytest.importorskip("hypothesmith")

    @SETTINGS
    @given(source=hypothesmith.from_grammar())
    def check(source: str) -> None:
        assume(not _LEGACY_TEXT.search(source))
        # A comment naming a legacy path makes the file pass the prefilter and the
        # triage, so the random code is really parsed and analysed by LibCST.
        raw = ("# see pkg.legacy\nimport pkg.canon as legacy\n" + source).encode("utf-8")
        outcome = _run(repo, raw, Options(rename_uses=True))
        assert outcome is not None
        assert outcome.status is not Status.CHANGED, (outcome.after or b"").decode()
        assert outcome.status is not Status.FAILED, outcome.reason
        assert (repo / PATH).read_bytes() == raw

    check()
