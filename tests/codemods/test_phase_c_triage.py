"""Phase C's triage (codemods/triage.py) changes nothing but the cost.

Differential tests: every before/after case of test_phase_c.py (both sides), every
module of the shared layout, and the property tests' generated files go through
``PhaseC.transform`` twice, with and without triage; the outcome (status, bytes,
edits, reports, facts, reason) must be identical.  The prefilter is bypassed,
so triage is also judged on files the prefilter would have dropped.  Then the
triage's own rule: files it sends to LibCST, and files it keeps away.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _pytest.mark.structures import ParameterSet
from hypothesis import given
from hypothesis import strategies as st

from codemods.phase_c import PhaseC as PhaseCImpl
from codemods.triage import triage, triage_for
from migrate.engine import make_context
from migrate.phase import Options
from migrate.spec import load_spec
from migrate.testing import write_tree

from . import test_phase_c as cases_module
from .conftest import MODULES, SPEC
from .test_phase_c_properties import SETTINGS, _encode, formatting, mixed_files, options_st, unrelated_files

DEFAULT_PATH = "pkg/consumer.py"


def _collect_cases() -> list:
    """(id, path, data, options) for both sides of every parametrized case in test_phase_c.py."""
    out = []
    for name, value in sorted(vars(cases_module).items()):
        if not isinstance(value, list) or not value or not all(isinstance(p, ParameterSet) for p in value):
            continue
        for p in value:
            vals = p.values
            texts = [v for v in vals[:2] if isinstance(v, (str, bytes))]
            path = vals[2] if len(vals) >= 5 and isinstance(vals[2], str) else DEFAULT_PATH
            options = next((v for v in vals if isinstance(v, Options)), Options())
            for side, text in zip(("before", "after"), texts):
                data = text if isinstance(text, bytes) else textwrap.dedent(text).encode()
                out.append(pytest.param(path, data, options, id=f"{name}-{p.id}-{side}"))
    return out


CASES = _collect_cases()


def _outcome_key(o):
    return (o.status, o.after, o.edits, o.reports, o.facts, o.reason, o.delete)


def _both(root: Path, path: str, data: bytes, options: Options):
    write_tree(root, {**MODULES, path: data})
    spec_path = root / "ssot-spec.toml"
    spec_path.write_text(SPEC, encoding="utf-8")
    ctx = make_context(load_spec(spec_path), "C", options)
    phase = PhaseCImpl()
    with_triage = phase.transform(ctx, path, data)
    phase.use_triage = False
    without = phase.transform(ctx, path, data)
    return with_triage, without


def test_the_case_collection_is_not_empty():
    # A rename of the case lists in test_phase_c.py must not silently empty this test.
    assert len(CASES) > 150


@pytest.mark.parametrize("path,data,options", CASES)
def test_same_outcome_with_and_without_triage(tmp_path, path, data, options):
    a, b = _both(tmp_path, path, data, options)
    assert _outcome_key(a) == _outcome_key(b)


@pytest.mark.parametrize("path", sorted(MODULES))
def test_same_outcome_on_the_layout_modules(tmp_path, path):
    data = MODULES[path].encode()
    a, b = _both(tmp_path, path, data, Options())
    assert _outcome_key(a) == _outcome_key(b)


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("triage-repo")


@SETTINGS
@given(text=st.one_of(mixed_files(), unrelated_files()), fmt=formatting, options=options_st)
def test_same_outcome_on_generated_files(repo, text, fmt, options):
    data = _encode(text, *fmt)
    a, b = _both(repo, DEFAULT_PATH, data, options)
    assert _outcome_key(a) == _outcome_key(b)


# -- the rule itself ----------------------------------------------------------------


def _verdict(tmp_path: Path, source: str, path: str = DEFAULT_PATH):
    spec_path = tmp_path / "ssot-spec.toml"
    write_tree(tmp_path, MODULES)
    spec_path.write_text(SPEC, encoding="utf-8")
    ctx = make_context(load_spec(spec_path), "C", Options())
    t = triage_for(ctx.payload.table, ctx.payload.doc_pattern)
    return triage(t, textwrap.dedent(source).encode(), "pkg")


SENT = [
    # Shapes phase C rewrites today, and shapes it may rewrite tomorrow: all reference a legacy path.
    ("import pkg.legacy", "import"),
    ("import pkg\nx = pkg.legacy.make()", "parent-package import"),
    ("import pkg.impl\nx = pkg.impl.OldThing", "partial symbol move via attribute chain"),
    ("from pkg import impl\nx = impl.OldThing", "from a import b; b.X"),
    ("from pkg import legacy", "from pkg import legacy_mod"),
    ("from pkg.impl import *", "star import from a symbol module"),
    ("from pkg.oldpkg.sub import sub_fn", "inside a moved package"),
    ("from .legacy import make", "relative"),
    ("def f(x: 'pkg.impl.OldThing'): ...", "string annotation"),
    ("mock.patch('pkg.legacy.make')", "patch string"),
    ("# see pkg.legacy for details", "comment"),
    ("x = 'pkg.' 'legacy'", "string split across tokens"),
    ("x = 'pkg\\x2elegacy'", "escaped dot"),
    ("importlib.import_module('.legacy', __package__)", "relative module string"),
    ("x = (pkg\n     .legacy.make)", "chain across lines"),
    ("def f(:\n    pass", "does not parse"),
]

KEPT_AWAY = [
    ("import os\nfrom pkg.canon import Thing", "canonical import"),
    ("from pkg.impl import helper", "a name that did not move, from a symbol module"),
    ("import pkg.legacy_extra\nfrom pkg import legacyx", "prefix collisions"),
    ("def f(legacy):\n    return legacy.make()", "a local named like the module"),
    ("class K:\n    def m(self):\n        return self.legacy", "an attribute named like the module"),
    ("OldThing = None", "a name like the moved class"),
    ("mock.patch('pkg.canon.make')", "patch of a canonical path"),
]


@pytest.mark.parametrize("source,why", SENT, ids=[w for _, w in SENT])
def test_sent_to_libcst(tmp_path, source, why):
    assert _verdict(tmp_path, source).needs_cst


@pytest.mark.parametrize("source,why", KEPT_AWAY, ids=[w for _, w in KEPT_AWAY])
def test_kept_away_from_libcst(tmp_path, source, why):
    assert not _verdict(tmp_path, source).needs_cst


def test_patch_targets_of_a_kept_file_are_facts_with_their_lines(tmp_path):
    v = _verdict(tmp_path, 'import mock\n\n@mock.patch("pkg.canon.make")\ndef t(m):\n    with mock.patch.dict("os.environ", {}):\n        pass\n')
    assert not v.needs_cst
    assert v.patch_targets == ((3, "pkg.canon.make"), (5, "os.environ"))


# -- the prefilter ------------------------------------------------------------------


def _dropped_outcome_is_empty(outcome, table) -> bool:
    """What phase C says about a file the prefilter drops: nothing but unremarkable patch targets."""
    from codemods.phase_c import PatchFact

    if outcome.status.name != "UNCHANGED" or outcome.reports:
        return False
    moved_names = {name for (_, name), _ in table.symbol_moves}
    for f in outcome.facts:
        if not isinstance(f, PatchFact):
            return False
        if table.rewrite_dotted(f.before, None) != (None, "") or f.before.rpartition(".")[2] in moved_names:
            return False  # a patch target that finalize() could match against a rewritten import
    return True


@pytest.mark.parametrize("path,data,options", CASES)
def test_prefilter_drops_only_files_phase_c_has_nothing_to_say_about(tmp_path, path, data, options):
    write_tree(tmp_path, {**MODULES, path: data})
    spec_path = tmp_path / "ssot-spec.toml"
    spec_path.write_text(SPEC, encoding="utf-8")
    ctx = make_context(load_spec(spec_path), "C", options)
    phase = PhaseCImpl()
    if phase.prefilter(ctx).search(data):
        return
    phase.use_triage = False
    assert _dropped_outcome_is_empty(phase.transform(ctx, path, data), ctx.payload.table)


@SETTINGS
@given(text=st.one_of(mixed_files(), unrelated_files()), fmt=formatting, options=options_st)
def test_prefilter_on_generated_files(repo, text, fmt, options):
    data = _encode(text, *fmt)
    write_tree(repo, {**MODULES, DEFAULT_PATH: data})
    spec_path = repo / "ssot-spec.toml"
    spec_path.write_text(SPEC, encoding="utf-8")
    ctx = make_context(load_spec(spec_path), "C", options)
    phase = PhaseCImpl()
    if phase.prefilter(ctx).search(data):
        return
    phase.use_triage = False
    assert _dropped_outcome_is_empty(phase.transform(ctx, DEFAULT_PATH, data), ctx.payload.table)


NETRA_SPEC = """\
source-roots = ["."]

[[move]]
from = "backend.app.websocket_core:WebSocketManager"
to = "backend.app.websocket_core.websocket_manager:WebSocketManager"

[[move]]
from = "backend.app.websocket_core.manager"
to = "backend.app.websocket_core.websocket_manager"
"""


def _netra_prefilter(tmp_path):
    from codemods.moves import MoveTable
    from codemods.triage import Prefilter, prefilter_regexes

    spec_path = tmp_path / "s.toml"
    spec_path.write_text(NETRA_SPEC, encoding="utf-8")
    write_tree(tmp_path, {
        "backend/__init__.py": "", "backend/app/__init__.py": "",
        "backend/app/websocket_core/__init__.py": "from .websocket_manager import WebSocketManager\n",
        "backend/app/websocket_core/websocket_manager.py": "class WebSocketManager: ...\n",
        "backend/app/websocket_core/manager.py": "from .websocket_manager import WebSocketManager\n",
    })
    return Prefilter(*prefilter_regexes(MoveTable.from_spec(load_spec(spec_path))))


@pytest.mark.parametrize("source", [
    "from backend.app.websocket_core import WebSocketManager\n",
    "from backend.app.websocket_core import (\n    MessageType,\n    WebSocketManager,\n)\n",
    "import backend.app.websocket_core.manager as m\n",
    "from backend.app import websocket_core\nwebsocket_core.WebSocketManager\n",
    "import backend.app.websocket_core\nx = backend.app.websocket_core.WebSocketManager\n",
    "from backend.app.websocket_core import *\nWebSocketManager\n",
    "from .manager import WebSocketManager\n",
    "from . import WebSocketManager\n",
    "patch('backend.app.services.chat.WebSocketManager')\n",
    "# see backend.app.websocket_core.manager\n",
    "importlib.import_module('.manager', __package__)\n",
])
def test_netra_prefilter_keeps(tmp_path, source):
    assert _netra_prefilter(tmp_path).search(source.encode())


@pytest.mark.parametrize("source", [
    # The parent package's token (``app``) and the class name are everywhere in a monorepo.
    "from backend.app.services.chat import send\nfrom backend.app.db import manager\n",
    "from backend.app.websocket_core.types import MessageType\nclass FakeWebSocketManager: ...\n",
    "from backend.app.websocket_core.websocket_manager import WebSocketManager\n",
    "from backend.app.websocket_core import MessageType\nmanager = 1\n",
])
def test_netra_prefilter_drops(tmp_path, source):
    assert not _netra_prefilter(tmp_path).search(source.encode())


# -- cheaper verification, same verdicts ---------------------------------------------

COMMENT_SOURCES = [
    b"x = 1  # one\n# two\n",
    b's = "# not a comment"  # but this is\n',
    b"s = '''\n# inside a string\n'''  # after\n",
    b's = """a\\"""" # after an escaped quote\n',
    b"s = 'it\\'s' # q\n",
    b"s = 'a\\\n# continued' # real\n",
    b"f = f'{x!r}#' # f-string\n",
    b"b = rb'\\d#' # raw bytes\n",
    b"x = 1 # crlf\r\ny = 2\r\n",
    "# -*- coding: latin-1 -*-\nx = 'caf\xe9' # latin\n".encode("latin-1"),
    b"\xef\xbb\xbfx = 1  # after a BOM\n",
]


@pytest.mark.parametrize("source", COMMENT_SOURCES)
def test_fast_comment_scan_finds_the_tokenizer_comments(source):
    from migrate.verify import _comments

    compile(source, "<t>", "exec")  # the fast scan is used only on source Python parses
    assert _comments(source, parsed=True) == _comments(source, parsed=False)


def test_a_changed_decorator_is_seen_although_the_def_line_is_unchanged():
    from migrate.verify import VerifyPolicy, verify_python

    before = b"@cache\ndef f():\n    return 1\n"
    after = b"@other\ndef f():\n    return 1\n"
    assert verify_python(before, after, VerifyPolicy(expr_kinds=()))


def test_a_changed_statement_is_seen_and_unchanged_ones_are_skipped():
    from migrate.verify import VerifyPolicy, verify_python

    body = b"".join(b"def f%d(x):\n    return x + %d\n\n" % (i, i) for i in range(50))
    before = b"import os\n" + body + b"y = os.sep\n"
    after = b"import os\n" + body + b"y = os.linesep\n"
    assert verify_python(before, after, VerifyPolicy(expr_kinds=()))
    assert verify_python(before, before, VerifyPolicy(expr_kinds=())) == []


def test_non_utf8_source_is_compared_node_by_node():
    from migrate.verify import VerifyPolicy, verify_python

    before = "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\ny = 1\n".encode("latin-1")
    after = "# -*- coding: latin-1 -*-\nx = 'caf\xe9'\ny = 2\n".encode("latin-1")
    assert verify_python(before, after, VerifyPolicy(expr_kinds=()))


PATCH_SHAPES = [
    '@mock.patch("pkg.canon.make")\ndef t(m):\n    pass\n',
    'with mock.patch("os.path.join") as j:\n    pass\n',
    'mock.patch(target="pkg.canon.make")\n',
    'patch("pkg.canon.CONST", new=1)\n',
    'mock.patch.dict("os.environ", {"A": "1"})\n',
    'mock.patch.multiple("pkg.canon", make=None)\n',
    'mock.patch.object(obj, "attr.x")\n',
    'mock.patch(\n    "pkg.canon.make",\n)\n',
    'mock.patch(("pkg.canon.make"))\n',
    'mock.patch("pkg.canon." "make")\n',
    'mock.patch(f"pkg.canon.{name}")\n',
    'mock.patch(*args, "pkg.canon.make")\n',
    'mock.patch(b"pkg.canon.make")\n',
    'mock.patch("""pkg.canon.make""")\n',
    'x = "é"; mock.patch("pkg.canon.make")\n',
    '\ufeffmock.patch("pkg.canon.make")\n',
    'my_patch.dict("a.b")\nnotpatch("a.b")\n',
]


@pytest.mark.parametrize("source", PATCH_SHAPES)
def test_patch_facts_same_with_and_without_triage(tmp_path, source):
    data = ("from unittest import mock\nfrom unittest.mock import patch\n" + source).encode("utf-8")
    if source.startswith("\ufeff"):
        data = source.encode("utf-8")
    a, b = _both(tmp_path, DEFAULT_PATH, data, Options())
    assert _outcome_key(a) == _outcome_key(b)
