"""Phase C on the move shapes people make (issue 11): git mv first, names moved out and
deleted, copies, bulk moves; plus the "references left" summary.

Each shape has before/after pairs over a whole small tree and a runtime check: the
rewritten tree, run in a fresh interpreter, prints what the original tree printed
(for git mv first, the tree *before* the move, since the moved tree does not import).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.errors import SpecError
from migrate.render import plan_summary
from migrate.results import Plan, Severity, Status
from migrate.testing import run_phase, write_tree


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def plan_tree(root: Path, spec: str, files: dict[str, str]) -> Plan:
    return run_phase(root, "C", spec=_d(spec), files={k: _d(v) for k, v in files.items()})


def after_of(plan: Plan, path: str) -> str | None:
    (o,) = [o for o in plan.outcomes if o.path == path] or [None]
    assert o is None or o.status is not Status.FAILED, o.reason
    return o.after.decode() if o is not None and o.status is Status.CHANGED else None


def codes(plan: Plan, path: str | None = None, severity: Severity | None = None) -> list[str]:
    return sorted(
        r.code for r in plan.all_reports() if (path is None or r.path == path) and (severity is None or r.severity is severity)
    )


def run_py(root: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-B", "-c", code], cwd=root, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def apply_plan(root: Path, plan: Plan) -> None:
    for o in plan.changes:
        (root / o.path).write_bytes(o.after or b"")


# ---------------------------------------------------------------------------
# Row 1: git mv first (the legacy module no longer exists; the canonical one does)
# ---------------------------------------------------------------------------

GITMV_SPEC = """
source-roots = ["."]

[[move]]
from = "pkg.old"
to = "pkg.new"

[[move]]
from = "pkg.oldpkg"
to = "pkg.newpkg"
"""

OLD_BODY = """
URL = "https://example.invalid"


def make():
    return "made"
"""

SUB_BODY = """
def sub_fn():
    return "sub"
"""

GITMV_CONSUMER = """
import pkg.old
import pkg.old as o
import pkg.oldpkg.sub
from pkg import old
from pkg.old import make, URL as U
from pkg.oldpkg import sub
from pkg.oldpkg.sub import sub_fn


def result():
    return [pkg.old.make(), o.URL, old.make(), make(), U, sub.sub_fn(), sub_fn(), pkg.oldpkg.sub.sub_fn()]
"""

GITMV_CONSUMER_AFTER = """
import pkg.new
import pkg.new as o
import pkg.newpkg.sub
from pkg import new as old
from pkg.new import make, URL as U
from pkg.newpkg import sub
from pkg.newpkg.sub import sub_fn


def result():
    return [pkg.new.make(), o.URL, old.make(), make(), U, sub.sub_fn(), sub_fn(), pkg.newpkg.sub.sub_fn()]
"""

GITMV_RELATIVE = """
from ..old import make
from .. import old
from ..oldpkg.sub import *


def result():
    return [make(), old.URL, sub_fn()]
"""

GITMV_RELATIVE_AFTER = """
from ..new import make
from .. import new as old
from ..newpkg.sub import *


def result():
    return [make(), old.URL, sub_fn()]
"""


def _gitmv_trees():
    common = {"pkg/__init__.py": "", "pkg/app/__init__.py": "", "pkg/consumer.py": GITMV_CONSUMER, "pkg/app/rel.py": GITMV_RELATIVE}
    before_move = {**common, "pkg/old.py": OLD_BODY, "pkg/oldpkg/__init__.py": "", "pkg/oldpkg/sub.py": SUB_BODY}
    after_move = {**common, "pkg/new.py": OLD_BODY, "pkg/newpkg/__init__.py": "", "pkg/newpkg/sub.py": SUB_BODY}
    return before_move, after_move


def test_git_mv_first_every_import_form_rewritten(tmp_path):
    _, moved = _gitmv_trees()
    plan = plan_tree(tmp_path, GITMV_SPEC, moved)
    assert after_of(plan, "pkg/consumer.py") == _d(GITMV_CONSUMER_AFTER)
    assert after_of(plan, "pkg/app/rel.py") == _d(GITMV_RELATIVE_AFTER)
    assert codes(plan, severity=Severity.ERROR) == []
    assert plan.legacy_left() == {}


def test_git_mv_first_runtime_matches_the_tree_before_the_move(tmp_path):
    before_move, moved = _gitmv_trees()
    probe = "import json, pkg.consumer, pkg.app.rel; print(json.dumps([pkg.consumer.result(), pkg.app.rel.result()]))"
    write_tree(tmp_path / "before", {k: _d(v) for k, v in before_move.items()})
    expected = run_py(tmp_path / "before", probe)
    plan = plan_tree(tmp_path / "after", GITMV_SPEC, moved)
    apply_plan(tmp_path / "after", plan)
    assert run_py(tmp_path / "after", probe) == expected
    assert json.loads(expected)[0][0] == "made"


@pytest.mark.parametrize(
    "consumer,missing,after",
    [
        pytest.param(
            "from pkg.old import make, gone, also_gone\n",
            "gone, also_gone",
            "from pkg.old import gone, also_gone\nfrom pkg.new import make\n",  # the names that exist move
            id="from-import-lists-every-missing-name",
        ),
        pytest.param("import pkg.old\n\nx = pkg.old.make(), pkg.old.gone\n", "gone", None, id="import-a.b"),
        pytest.param("from pkg import old\n\nx = old.gone\n", "gone", None, id="from-a-import-b"),
    ],
)
def test_git_mv_first_names_the_canonical_module_lacks_are_one_error(tmp_path, consumer, missing, after):
    _, moved = _gitmv_trees()
    plan = plan_tree(tmp_path, GITMV_SPEC, {**moved, "pkg/consumer.py": consumer, "pkg/app/rel.py": ""})
    errors = [r for r in plan.all_reports() if r.code == "C120"]
    assert len(errors) == 1 and errors[0].severity is Severity.ERROR, plan.all_reports()
    assert f"does not define {missing}:" in errors[0].message
    assert after_of(plan, "pkg/consumer.py") == after
    assert plan.has_errors  # apply refuses the plan
    assert sum(plan.legacy_left().values()) >= 1 and set(plan.legacy_left()) == {"C120"}


def test_git_mv_first_inside_try_except_importerror_is_rewritten_and_flagged(tmp_path):
    _, moved = _gitmv_trees()
    src = "try:\n    from pkg.old import make\nexcept ImportError:\n    make = None\n"
    plan = plan_tree(tmp_path, GITMV_SPEC, {**moved, "pkg/consumer.py": src, "pkg/app/rel.py": ""})
    assert after_of(plan, "pkg/consumer.py") == src.replace("pkg.old", "pkg.new")
    assert codes(plan, "pkg/consumer.py") == ["C121"]


def test_legacy_and_canonical_both_missing_stays_c101(tmp_path):
    _, moved = _gitmv_trees()
    src = "try:\n    import pkg.oldpkg.nothere\nexcept ImportError:\n    pass\n"
    plan = plan_tree(tmp_path, GITMV_SPEC, {**moved, "pkg/consumer.py": src, "pkg/app/rel.py": ""})
    assert after_of(plan, "pkg/consumer.py") is None
    assert codes(plan, "pkg/consumer.py") == ["C101"]


# ---------------------------------------------------------------------------
# Row 2: names moved out of a module and deleted from it (symbol moves)
# ---------------------------------------------------------------------------

SYM_SPEC = """
source-roots = ["."]

[[move]]
from = "pkg.misc:run"
to = "pkg.proc:run"

[[move]]
from = "pkg.misc:Runner"
to = "pkg.proc:Runner"
"""

MISC_KEEP = """
def keep():
    return "kept"
"""

PROC = """
def run(cmd):
    return "ran " + cmd


class Runner:
    name = "runner"
"""

SYM_CONSUMER = """
import pkg.misc
from pkg.misc import run, keep
from pkg.misc import Runner as R


def result():
    return [run("a"), keep(), R.name, pkg.misc.run("b")]
"""

SYM_CONSUMER_AFTER = """
import pkg.proc
from pkg.misc import keep
from pkg.proc import run
from pkg.proc import Runner as R


def result():
    return [run("a"), keep(), R.name, pkg.proc.run("b")]
"""


def _sym_trees():
    common = {"pkg/__init__.py": "", "pkg/consumer.py": SYM_CONSUMER}
    before_move = {**common, "pkg/misc.py": _d(MISC_KEEP) + "\n\n" + _d(PROC), "pkg/proc.py": "from pkg.misc import run, Runner\n"}
    after_move = {**common, "pkg/misc.py": MISC_KEEP, "pkg/proc.py": PROC}
    return before_move, after_move


def test_names_moved_out_and_deleted_are_rewritten(tmp_path):
    _, moved = _sym_trees()
    plan = plan_tree(tmp_path, SYM_SPEC, moved)
    assert after_of(plan, "pkg/consumer.py") == _d(SYM_CONSUMER_AFTER)
    assert codes(plan, "pkg/consumer.py") == []
    assert plan.legacy_left() == {}


def test_names_moved_out_and_deleted_runtime(tmp_path):
    before_move, moved = _sym_trees()
    probe = "import json, pkg.consumer; print(json.dumps(pkg.consumer.result()))"
    write_tree(tmp_path / "before", {k: _d(v) for k, v in before_move.items()})
    expected = run_py(tmp_path / "before", probe)
    plan = plan_tree(tmp_path / "after", SYM_SPEC, moved)
    apply_plan(tmp_path / "after", plan)
    assert run_py(tmp_path / "after", probe) == expected


def test_legacy_module_deleted_after_every_name_moved_out(tmp_path):
    _, moved = _sym_trees()
    del moved["pkg/misc.py"]
    plan = plan_tree(tmp_path, SYM_SPEC, {**moved, "pkg/consumer.py": "from pkg.misc import run, Runner\n"})
    assert after_of(plan, "pkg/consumer.py") == "from pkg.proc import run, Runner\n"


def test_a_name_the_legacy_module_never_defined_without_a_move_stays_c106(tmp_path):
    _, moved = _sym_trees()
    src = "try:\n    from pkg.misc import probe\nexcept ImportError:\n    probe = None\n"
    plan = plan_tree(tmp_path, SYM_SPEC, {**moved, "pkg/consumer.py": src})
    assert after_of(plan, "pkg/consumer.py") is None
    assert codes(plan, "pkg/consumer.py") == []  # not a moved name: not a legacy reference at all


# ---------------------------------------------------------------------------
# Row 3: a copied module (both files define their own objects)
# ---------------------------------------------------------------------------

COPY_SPEC = """
source-roots = ["."]

[[move]]
from = "pkg.old"
to = "pkg.new"
{identity}
"""

COPY_BODY = """
class Thing:
    def method(self):
        return "thing"
"""

COPY_CONSUMER = """
import pkg.old
from pkg.old import Thing


def result():
    return [Thing().method(), pkg.old.Thing().method()]
"""


def _copy_tree():
    return {"pkg/__init__.py": "", "pkg/old.py": COPY_BODY, "pkg/new.py": COPY_BODY, "pkg/consumer.py": COPY_CONSUMER}


def test_copy_is_a_warning_by_default(tmp_path):
    plan = plan_tree(tmp_path, COPY_SPEC.format(identity=""), _copy_tree())
    assert after_of(plan, "pkg/consumer.py") is None
    assert codes(plan, "pkg/consumer.py") == ["C116", "C116"]
    assert plan.legacy_left() == {"C116": 2}
    assert "legacy references left: 2 (C116 x2)" in plan_summary(plan)


def test_copy_with_identity_assume_is_rewritten_and_runs_the_same(tmp_path):
    probe = "import json, pkg.consumer; print(json.dumps(pkg.consumer.result()))"
    write_tree(tmp_path / "before", {k: _d(v) for k, v in _copy_tree().items()})
    expected = run_py(tmp_path / "before", probe)
    plan = plan_tree(tmp_path / "after", COPY_SPEC.format(identity='identity = "assume"'), _copy_tree())
    assert after_of(plan, "pkg/consumer.py") == _d(COPY_CONSUMER).replace("pkg.old", "pkg.new")
    assert codes(plan, "pkg/consumer.py") == []
    apply_plan(tmp_path / "after", plan)
    (tmp_path / "after/pkg/old.py").unlink()  # copy then delete
    assert run_py(tmp_path / "after", probe) == expected


# ---------------------------------------------------------------------------
# Row 4: bulk moves (privatising a package's modules)
# ---------------------------------------------------------------------------

BULK_SPEC = """
source-roots = ["."]

[[move]]
from = "pkg.a"
to = "pkg._a"

[[move]]
from = "pkg.b"
to = "pkg._b"

[[move]]
from = "pkg.c"
to = "pkg._c"
"""

BULK = {
    "pkg/__init__.py": "",
    "pkg/_a.py": """
        from pkg.b import bfn
        from . import c


        def afn():
            return "a" + bfn() + c.cfn()
        """,
    "pkg/_b.py": """
        import pkg.c


        def bfn():
            return "b" + pkg.c.cfn()
        """,
    "pkg/_c.py": """
        def cfn():
            return "c"


        def later():
            from pkg.a import afn
            return afn()
        """,
    "pkg/a.py": "from pkg._a import *\nfrom pkg._a import afn\n",
    "pkg/b.py": "from pkg._b import *\n",
    "pkg/c.py": "from pkg._c import *\nfrom pkg._c import later\n",
    "pkg/consumer.py": """
        from pkg.a import afn
        from pkg import c


        def result():
            return [afn(), c.later()]
        """,
}

BULK_AFTER = {
    "pkg/_a.py": """
        from pkg._b import bfn
        from . import _c as c


        def afn():
            return "a" + bfn() + c.cfn()
        """,
    "pkg/_b.py": """
        import pkg._c


        def bfn():
            return "b" + pkg._c.cfn()
        """,
    "pkg/_c.py": """
        def cfn():
            return "c"


        def later():
            from pkg._a import afn
            return afn()
        """,
    "pkg/consumer.py": """
        from pkg._a import afn
        from pkg import _c as c


        def result():
            return [afn(), c.later()]
        """,
}


def test_bulk_moves_rewrite_the_moved_modules_imports_of_each_other(tmp_path):
    plan = plan_tree(tmp_path, BULK_SPEC, BULK)
    for path, want in BULK_AFTER.items():
        assert after_of(plan, path) == _d(want), path
    for shim in ("pkg/a.py", "pkg/b.py", "pkg/c.py"):  # forwarding lines import canonical paths
        assert after_of(plan, shim) is None
    assert plan.legacy_left() == {}


def test_bulk_moves_runtime(tmp_path):
    probe = "import json, pkg.consumer; print(json.dumps(pkg.consumer.result()))"
    write_tree(tmp_path / "before", {k: _d(v) for k, v in BULK.items()})
    expected = run_py(tmp_path / "before", probe)
    plan = plan_tree(tmp_path / "after", BULK_SPEC, BULK)
    apply_plan(tmp_path / "after", plan)
    assert run_py(tmp_path / "after", probe) == expected == '["abcc", "abcc"]\n'


def test_shim_first_keeps_the_canonical_modules_forwarding_lines(tmp_path):
    """Canonical modules forwarding to the legacy implementation: those lines are C000, the rest moves."""
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg.b import bfn\n\n\ndef afn():\n    return 'a' + bfn()\n",
        "pkg/b.py": "def bfn():\n    return 'b'\n",
        "pkg/_a.py": "from pkg.a import *\nfrom pkg.a import afn\n",
        "pkg/_b.py": "from pkg.b import *\nfrom pkg.b import bfn\n",
        "pkg/_c.py": "",
    }
    plan = plan_tree(tmp_path, BULK_SPEC, files)
    assert after_of(plan, "pkg/_a.py") is None and after_of(plan, "pkg/_b.py") is None
    assert codes(plan, "pkg/_a.py") == ["C000", "C000"]
    assert after_of(plan, "pkg/a.py") == "from pkg._b import bfn\n\n\ndef afn():\n    return 'a' + bfn()\n"
    apply_plan(tmp_path, plan)
    assert run_py(tmp_path, "import pkg._a; print(pkg._a.afn())") == "ab\n"


# ---------------------------------------------------------------------------
# "Also": a plan that leaves legacy references does not look clean
# ---------------------------------------------------------------------------


def test_plan_check_exits_1_while_references_are_left(tmp_path):
    from typer.testing import CliRunner

    from migrate.cli import app

    write_tree(tmp_path, {k: _d(v) for k, v in _copy_tree().items()})
    spec = tmp_path / "ssot-spec.toml"
    spec.write_text(_d(COPY_SPEC.format(identity="")))
    r = CliRunner().invoke(app, ["plan", "C", "--spec", str(spec), "--check", "--no-diff"])
    assert r.exit_code == 1, r.output
    assert "legacy references left: 2 (C116 x2)" in r.output
    spec.write_text(_d(COPY_SPEC.format(identity='identity = "assume"')))
    write_tree(tmp_path, {"pkg/consumer.py": _d(COPY_CONSUMER).replace("pkg.old", "pkg.new")})
    r = CliRunner().invoke(app, ["plan", "C", "--spec", str(spec), "--check", "--no-diff"])
    assert r.exit_code == 0, r.output
    assert "legacy references left" not in r.output


# ---------------------------------------------------------------------------
# Row 8: a typo in a symbol move's `from` name is a spec error, in the first round
# ---------------------------------------------------------------------------


def test_typo_in_a_symbol_moves_from_name_is_a_spec_error_with_the_other_errors(tmp_path):
    spec = SYM_SPEC.replace('from = "pkg.misc:run"\nto = "pkg.proc:run"', 'from = "pkg.misc:kep"\nto = "pkg.proc:run"')
    spec += '\n[[move]]\nfrom = "pkg.x"\nto = "pkg.y"\nbogus = 1\n'
    _, moved = _sym_trees()
    with pytest.raises(SpecError) as exc:
        plan_tree(tmp_path, spec, moved)
    details = "\n".join(exc.value.details)
    assert "move[2].bogus: unknown key" in details
    assert "move[0] (pkg.misc:kep -> pkg.proc:run): 'from' module 'pkg.misc' (pkg/misc.py) does not define 'kep' (did you mean 'keep'?)" in details


def _bulk12():
    """Twelve modules privatised at once; each canonical module imports others in every form."""
    n = 12
    spec = 'source-roots = ["."]\n' + "".join(f'\n[[move]]\nfrom = "pkg.m{i}"\nto = "pkg._m{i}"\n' for i in range(n))
    files = {"pkg/__init__.py": ""}
    for i in range(n):
        a, b, c, d = ((i + k) % n for k in (1, 2, 3, 4))
        top = f"from pkg.m{a} import f{a}\nimport pkg.m{b}\n" if i < n - 4 else ""  # module level: a DAG, no cycles
        body = (
            f"def f{i}(depth=0):\n"
            f"    from . import m{c}\n"
            f"    from .m{d} import f{d} as g\n"
            + (f"    import pkg.m{a}\n    import pkg.m{b}\n" if not top else "")
            + f"    if depth:\n        return 'x'\n"
            f"    return '{i}' + pkg.m{a}.f{a}(1) + pkg.m{b}.f{b}(1) + m{c}.f{c}(1) + g(1)\n"
        )
        if top:
            body = body.replace(f"pkg.m{a}.f{a}(1)", f"f{a}(1)")
        files[f"pkg/_m{i}.py"] = top + "\n\n" + body
        files[f"pkg/m{i}.py"] = f"from pkg._m{i} import *\n"
    files["pkg/consumer.py"] = "".join(f"import pkg.m{i}\n" for i in range(n)) + (
        "\n\ndef result():\n    return [" + ", ".join(f"pkg.m{i}.f{i}()" for i in range(n)) + "]\n"
    )
    return spec, files


def test_bulk_twelve_modules_leave_no_legacy_reference(tmp_path):
    spec, files = _bulk12()
    probe = "import json, pkg.consumer; print(json.dumps(pkg.consumer.result()))"
    write_tree(tmp_path / "before", files)
    expected = run_py(tmp_path / "before", probe)
    plan = run_phase(tmp_path / "after", "C", spec=spec, files=files)
    assert plan.legacy_left() == {} and not plan.has_errors, plan.all_reports()
    apply_plan(tmp_path / "after", plan)
    for i in range(12):
        text = (tmp_path / f"after/pkg/_m{i}.py").read_text()
        assert not re_legacy.search(text), text
        assert (tmp_path / f"after/pkg/m{i}.py").read_text() == f"from pkg._m{i} import *\n"
    assert not re_legacy.search((tmp_path / "after/pkg/consumer.py").read_text())
    assert run_py(tmp_path / "after", probe) == expected
    again = run_phase(tmp_path / "after", "C", spec=spec)
    assert again.changes == [] and again.legacy_left() == {}


#: A legacy path in an import or a dotted use (a local alias such as ``as m3`` is not one).
re_legacy = __import__("re").compile(r"pkg\.m\d+\b|import m\d+\b|\.m\d+ import")


@pytest.mark.parametrize(
    "line,after",
    [
        pytest.param('mock.patch("pkg.old.make")', 'mock.patch("pkg.new.make")', id="patch-name-in-gone-module"),
        pytest.param('importlib.import_module("pkg.old")', 'importlib.import_module("pkg.new")', id="import_module-gone-module"),
        pytest.param('importlib.import_module("pkg.oldpkg.sub")', 'importlib.import_module("pkg.newpkg.sub")', id="import_module-gone-submodule"),
    ],
)
def test_git_mv_first_import_target_strings_follow(tmp_path, line, after):
    _, moved = _gitmv_trees()
    src = "import importlib\nfrom unittest import mock\n\nx = " + line + "\n"
    plan = plan_tree(tmp_path, GITMV_SPEC, {**moved, "pkg/app/rel.py": "", "pkg/consumer.py": src})
    assert after_of(plan, "pkg/consumer.py") == src.replace(line, after)
    assert plan.legacy_left() == {}


def test_git_mv_first_patch_string_of_a_name_the_canonical_module_lacks_is_left_and_counted(tmp_path):
    _, moved = _gitmv_trees()
    src = 'from unittest import mock\n\nx = mock.patch("pkg.old.gone")\n'
    plan = plan_tree(tmp_path, GITMV_SPEC, {**moved, "pkg/app/rel.py": "", "pkg/consumer.py": src})
    assert after_of(plan, "pkg/consumer.py") is None
    assert plan.legacy_left() == {"C111": 1}
