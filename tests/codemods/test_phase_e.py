"""Phase E (cleanup): a legacy module or definition goes only when nothing references it.

Each test builds a small repository, runs the real engine (``run_phase``: the
reference scan with phase C's analysis, the decision, the deletions and the
self-verified definition cuts) and checks what would go and, for anything
blocked, which reference (file:line) blocks it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from codemods.phase_e import FORCE_KEY, USAGE_KEY
from migrate.errors import UsageError
from migrate.phase import Options
from migrate.results import Plan, RefFact, Severity, Status
from migrate.testing import run_phase

SPEC = """\
source-roots = ["."]
version = "2.0"

[[move]]
from = "pkg.manager"
to = "pkg.canon"
since = "1.0"
remove-in = "2.0"

[cleanup]
remove = ["pkg.factories:make_legacy"]
remove-in = "2.0"
"""

BASE = {
    "pkg/__init__.py": "",
    "pkg/canon.py": """\
        class Manager:
            def send(self, user, msg):
                return (user, msg)


        _instance = None
        """,
    "pkg/manager.py": """\
        \"\"\"Deprecated: use pkg.canon.\"\"\"
        from pkg.canon import *  # noqa
        from pkg.canon import Manager, _instance
        """,
    "pkg/factories.py": """\
        from pkg.canon import Manager

        __all__ = ["make", "make_legacy"]


        def make():
            return Manager()


        # The pre-2.0 factory.
        @staticmethod
        def make_legacy():
            \"\"\"Old.\"\"\"
            return make_legacy.__name__  # its own name does not block it


        def other():
            return 1
        """,
}

MANAGER = "pkg/manager.py"
FACTORIES = "pkg/factories.py"


def plan_e(tmp_path: Path, files: dict[str, str] = {}, *, spec: str = SPEC, options: Options = Options(), base=BASE) -> Plan:
    return run_phase(tmp_path, "E", spec=spec, files={**base, **files}, options=options)


def deleted(plan: Plan) -> set[str]:
    return {o.path for o in plan.changes if o.delete}


def blockers(plan: Plan, code: str = "E101") -> set[tuple[str, int]]:
    return {(r.path, r.line) for r in plan.all_reports() if r.code == code}


def codes(plan: Plan) -> set[str]:
    return {r.code for r in plan.all_reports()}


# ---------------------------------------------------------------------------
# The module goes when nothing references it
# ---------------------------------------------------------------------------


def test_unreferenced_legacy_module_is_deleted(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {"app/use.py": "from pkg.canon import Manager\n"})
    assert deleted(plan) == {MANAGER}
    (o,) = [o for o in plan.changes if o.path == MANAGER]
    assert o.before == (tmp_path / MANAGER).read_bytes() and o.after is None
    e100 = [r for r in plan.all_reports() if r.code == "E100" and r.path == MANAGER]
    assert e100 and "no reference left" in e100[0].message and "version 2.0 >= remove-in 2.0" in e100[0].message
    assert not plan.has_errors


# Every form a name search misses, and every form phase C knows: each one blocks, at its line.
BLOCKING_FORMS = [
    ("star-import", "app/use.py", "import os\nfrom pkg.manager import *\n\nx = Manager()\n", 2),
    ("test-pokes-module-state", "tests/test_reset.py", "import pkg.manager as m\n\n\ndef setup():\n    m._instance = None\n", 1),
    ("import-plain", "app/use.py", "import pkg.manager\n\nx = pkg.manager.Manager()\n", 1),
    ("from-import-name", "app/use.py", "from pkg.manager import Manager\n", 1),
    ("from-pkg-import-module", "app/use.py", "from pkg import manager\n", 1),
    ("relative-from-dot", "pkg/sibling.py", "from . import manager\n", 1),
    ("relative-from-dot-module", "pkg/sibling.py", "from .manager import Manager\n", 1),
    ("function-local", "app/use.py", "def f():\n    from pkg.manager import Manager\n    return Manager\n", 2),
    ("try-except", "app/use.py", "try:\n    from pkg.manager import Manager\nexcept ImportError:\n    Manager = None\n", 2),
    ("type-checking", "app/use.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.manager import Manager\n", 3),
    ("mock-patch", "tests/test_p.py", "from unittest import mock\n\n\n@mock.patch('pkg.manager.Manager.send')\ndef test(m):\n    pass\n", 4),
    ("importlib", "app/use.py", "import importlib\n\nmod = importlib.import_module('pkg.manager')\n", 3),
    ("importlib-relative", "app/use.py", "import importlib\n\nmod = importlib.import_module('.manager', package='pkg')\n", 3),
    ("importlib-relative-dunder", "pkg/loader.py", "import importlib\n\nmod = importlib.import_module('.manager', __package__)\n", 3),
    ("dunder-import", "app/use.py", "mod = __import__('pkg.manager')\n", 1),
    ("pkgutil-resolve", "app/use.py", "import pkgutil\n\nM = pkgutil.resolve_name('pkg.manager:Manager')\n", 3),
    ("string-annotation", "app/use.py", "def f(m: 'pkg.manager.Manager'):\n    pass\n", 1),
    ("dotted-string", "app/log.py", "import logging\n\nlog = logging.getLogger('pkg.manager')\n", 3),
    ("attribute-chain", "app/use.py", "import pkg\n\n\ndef f():\n    return pkg.manager.Manager\n", 5),
    ("unparseable-file", "app/broken.py", "def f(:\n    return 'pkg.manager'\n", 2),
]


@pytest.mark.parametrize("path, source, line", [pytest.param(p, s, n, id=i) for i, p, s, n in BLOCKING_FORMS])
def test_each_reference_form_blocks_the_removal_at_its_line(tmp_path: Path, path: str, source: str, line: int) -> None:
    plan = plan_e(tmp_path, {path: source})
    assert MANAGER not in deleted(plan)
    assert (path, line) in blockers(plan), [(r.code, r.location(), r.message) for r in plan.all_reports()]
    summary = [r for r in plan.all_reports() if r.code == "E102" and r.path == MANAGER]
    assert summary and f"{path}:{line}" in summary[0].message
    # The reference is counted as a legacy reference left (status / the guard).
    assert any(isinstance(f, RefFact) and f.path == path for o in plan.outcomes for f in o.facts)


def test_71_imports_left_are_all_listed(tmp_path: Path) -> None:
    """The incident: the shim went with 71 imports left. Each one is a blocker, file:line."""
    files = {f"app/m{i:02d}.py": "x = 1\nfrom pkg.manager import Manager\n" for i in range(71)}
    plan = plan_e(tmp_path, files)
    assert MANAGER not in deleted(plan)
    assert blockers(plan) == {(f"app/m{i:02d}.py", 2) for i in range(71)}
    (summary,) = [r for r in plan.all_reports() if r.code == "E102"]
    assert "71 reference(s) left" in summary.message


@pytest.mark.parametrize(
    "path, source",
    [
        pytest.param("app/use.py", "from pkg import manager_utils\nimport mypkg.manager\n", id="prefix-collisions"),
        pytest.param("app/use.py", "manager = object()\nmanager.send = 1\n\n\ndef f(manager):\n    return manager.pkg\n", id="local-names"),
        pytest.param("app/use.py", "x = 'pkg.manager_utils.thing'\ny = 'pkg.managers'\n", id="near-miss-strings"),
        pytest.param("app/cfg.yaml", "handler: pkg.manager_utils.Handler\nname: mypkg.manager\n", id="near-miss-config"),
    ],
)
def test_near_misses_do_not_block(tmp_path: Path, path: str, source: str) -> None:
    plan = plan_e(tmp_path, {path: source})
    assert MANAGER in deleted(plan), [(r.code, r.location(), r.message) for r in plan.all_reports()]


def test_docstrings_and_comments_are_listed_but_do_not_block(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {"app/use.py": '"""Formerly pkg.manager."""\n# see pkg.manager for history\nx = 1\n'})
    assert MANAGER in deleted(plan)
    infos = {(r.path, r.line) for r in plan.all_reports() if r.code == "E108"}
    assert ("app/use.py", 1) in infos and ("app/use.py", 2) in infos


def test_canonical_module_importing_the_shim_blocks(tmp_path: Path) -> None:
    """Phase C never reads the canonical module (protected); the reference scan does."""
    plan = plan_e(tmp_path, {"pkg/canon.py": textwrap.dedent(BASE["pkg/canon.py"]) + "\nfrom pkg import manager as _m\n"})
    assert MANAGER not in deleted(plan)
    assert ("pkg/canon.py", 8) in blockers(plan)


def test_references_inside_the_deleted_module_do_not_block(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {MANAGER: "import pkg.manager\nfrom pkg.manager import Manager  # itself\nx = 'pkg.manager'\n"})
    assert MANAGER in deleted(plan)


def test_two_legacy_modules_that_only_reference_each_other_both_go(tmp_path: Path) -> None:
    spec = SPEC.replace("[cleanup]", '[[move]]\nfrom = "pkg.old2"\nto = "pkg.canon"\nremove-in = "2.0"\n\n[cleanup]')
    files = {"pkg/old2.py": "from pkg.manager import Manager\n", MANAGER: "from pkg.old2 import Manager\n"}
    plan = plan_e(tmp_path, files, spec=spec)
    assert deleted(plan) == {MANAGER, "pkg/old2.py"}
    # ...but a reference to one from outside keeps both (the other one's reference would dangle).
    plan = plan_e(tmp_path, {**files, "app/use.py": "import pkg.old2\n"}, spec=spec)
    assert deleted(plan) == set()
    assert ("pkg/old2.py", 1) in blockers(plan) and ("app/use.py", 1) in blockers(plan)


def test_excluded_files_still_block(tmp_path: Path) -> None:
    spec = SPEC.replace('version = "2.0"', 'version = "2.0"\nexclude = ["vendor/**"]')
    plan = plan_e(tmp_path, {"vendor/lib.py": "from pkg.manager import Manager\n"}, spec=spec)
    assert ("vendor/lib.py", 1) in blockers(plan)


# ---------------------------------------------------------------------------
# Entry points and configuration files
# ---------------------------------------------------------------------------


def test_entry_points_and_config_files_block(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "x"\n\n[project.scripts]\ntool = "pkg.manager:main"\n',
        "setup.cfg": "[metadata]\nname = x\n\n[options.entry_points]\nconsole_scripts =\n    other = pkg.manager:main\n",
        "deploy/logging.yaml": "handlers:\n  ws:\n    class: pkg.manager.Manager\n",
        "conf/app.json": '{"manager": "pkg.manager:Manager"}\n',
        ".env": "MANAGER_CLASS=pkg.manager.Manager\n",
    }
    plan = plan_e(tmp_path, files)
    assert MANAGER not in deleted(plan)
    found = {(r.path, r.line): r.message for r in plan.all_reports() if r.code == "E101"}
    assert set(found) == {("pyproject.toml", 5), ("setup.cfg", 6), ("deploy/logging.yaml", 3), ("conf/app.json", 1), (".env", 1)}
    assert found[("pyproject.toml", 5)].startswith("entry-point reference") and found[("setup.cfg", 6)].startswith("entry-point")
    assert found[("deploy/logging.yaml", 3)].startswith("config reference")


def test_files_that_name_legacy_modules_on_purpose_are_not_references(tmp_path: Path) -> None:
    files = {
        # An import-linter contract forbidding the module, the audit's baseline, shim telemetry.
        "setup.cfg": "[importlinter:contract:legacy]\ntype = forbidden\nforbidden_modules =\n    pkg.manager\n",
        ".ssot-baseline.json": json.dumps({"format": 1, "generated_by": "ssot-migrate 0.1.0", "counts": {"refs/C/import/pkg.manager": 0}}),
        "usage.json": json.dumps({"version": 1, "registered": [], "hits": [{"legacy": "pkg.other", "count": 1}]}),
        "CHANGES.cfg": "removed pkg.manager in 2.0\n",
    }
    spec = SPEC.replace('remove-in = "2.0"\n"""', "").replace("[cleanup]", "[cleanup]\nignore = ['CHANGES.cfg']")
    plan = plan_e(tmp_path, files, spec=spec)
    assert MANAGER in deleted(plan), [(r.code, r.location(), r.message) for r in plan.all_reports()]
    # ...but the same names elsewhere in those files still count, and a YAML flow list is not a header.
    files["setup.cfg"] += "[tool:pytest]\naddopts = -p pkg.manager\n"
    files["deploy.yaml"] = "plugins:\n[pkg.manager]\n"
    plan = plan_e(tmp_path, files, spec=spec)
    assert {("setup.cfg", 6), ("deploy.yaml", 2)} <= blockers(plan)


def test_the_spec_itself_is_not_a_reference(tmp_path: Path) -> None:
    pyproject = "[project]\nname = 'x'\nversion = '2.0'\n\n[tool.ssot-migrate]\nsource-roots = ['.']\n\n[[tool.ssot-migrate.move]]\nfrom = 'pkg.manager'\nto = 'pkg.canon'\nremove-in = '2.0'\n\n[tool.other]\nplugin = 'pkg.manager'\n"
    from migrate.engine import build_plan
    from migrate.spec import load_spec
    from migrate.testing import write_tree

    write_tree(tmp_path, {**BASE, "pyproject.toml": pyproject})
    plan = build_plan(load_spec(tmp_path / "pyproject.toml"), "E", jobs=1)
    # Only [tool.other] counts, not the move table that names the module.
    assert blockers(plan) == {("pyproject.toml", 14)}


# ---------------------------------------------------------------------------
# Preconditions: version policy, telemetry, phases applied
# ---------------------------------------------------------------------------


def test_version_policy_blocks_until_remove_in_unless_forced(tmp_path: Path) -> None:
    spec = SPEC.replace('version = "2.0"', 'version = "1.9.0"')
    plan = plan_e(tmp_path, spec=spec)
    assert deleted(plan) == set()
    (r,) = [r for r in plan.all_reports() if r.code == "E105" and r.path == MANAGER]
    assert "1.9.0" in r.message and "2.0" in r.message and r.severity is Severity.WARNING
    forced = plan_e(tmp_path, spec=spec, options=Options(extra={FORCE_KEY: True}))
    assert deleted(forced) == {MANAGER}
    assert "E106" in codes(forced) and "E105" not in codes(forced)


def test_pre_release_has_not_reached_remove_in(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, spec=SPEC.replace('version = "2.0"', 'version = "2.0rc1"'))
    assert deleted(plan) == set() and "E105" in codes(plan)


def test_unknown_version_blocks_unless_forced(tmp_path: Path) -> None:
    spec = SPEC.replace('version = "2.0"\n', "")
    plan = plan_e(tmp_path, spec=spec)
    assert deleted(plan) == set() and "E107" in codes(plan)
    assert deleted(plan_e(tmp_path, spec=spec, options=Options(extra={FORCE_KEY: True}))) == {MANAGER}


def test_version_from_installed_metadata(tmp_path: Path) -> None:
    from importlib import metadata

    spec = SPEC.replace('version = "2.0"\n', 'distribution = "packaging"\n')  # installed, and well past 2.0
    assert int(metadata.version("packaging").split(".")[0]) >= 2
    plan = plan_e(tmp_path, spec=spec)
    assert MANAGER in deleted(plan)
    (e100,) = [r for r in plan.all_reports() if r.code == "E100" and r.path == MANAGER]
    assert f"version {metadata.version('packaging')} >= remove-in 2.0" in e100.message
    plan = plan_e(tmp_path, spec=SPEC.replace('version = "2.0"\n', 'distribution = "no-such-distribution-ssot"\n'))
    (r,) = [r for r in plan.all_reports() if r.code == "E107" and r.path == MANAGER]
    assert "no-such-distribution-ssot is not installed" in r.message


def test_no_remove_in_means_no_version_policy(tmp_path: Path) -> None:
    spec = SPEC.replace('version = "2.0"\n', "").replace('remove-in = "2.0"\n', "")
    plan = plan_e(tmp_path, spec=spec)
    assert MANAGER in deleted(plan)


def _usage(tmp_path: Path, hits: list[dict], version: int = 1) -> str:
    path = tmp_path / "usage.json"
    path.write_text(json.dumps({"version": version, "registered": [], "hits": hits}))
    return str(path)


def test_telemetry_hits_block_with_their_call_site(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    usage = _usage(tmp_path, [{"shim": "pkg.manager", "legacy": "pkg.manager:Manager", "target": "pkg.canon:Manager",
                                "kind": "symbol", "file": str(tmp_path / "app/dyn.py"), "line": 7, "count": 3}])
    plan = plan_e(tmp_path, options=Options(extra={USAGE_KEY: (usage,)}))
    assert deleted(plan) == set()
    (r,) = [r for r in plan.all_reports() if r.code == "E104"]
    assert (r.path, r.line) == ("app/dyn.py", 7) and "3 time(s)" in r.message


def test_telemetry_without_hits_passes_and_is_named(tmp_path: Path) -> None:
    usage = _usage(tmp_path, [{"shim": "other.mod", "legacy": "other.mod", "target": "x", "kind": "module", "file": "a.py", "line": 1, "count": 9}])
    plan = plan_e(tmp_path, options=Options(extra={USAGE_KEY: (usage,)}))
    assert deleted(plan) == {MANAGER}
    assert any("no shim hit in 1 telemetry file(s)" in r.message for r in plan.all_reports() if r.code == "E100")


@pytest.mark.parametrize("content, why", [("{", "not a shim telemetry"), ('{"version": 2, "hits": []}', "schema version 2"), ('{"version": 1, "hits": [{"count": 1}]}', "lacks a 'legacy'")])
def test_bad_telemetry_is_a_usage_error(tmp_path: Path, content: str, why: str) -> None:
    (tmp_path / "u.json").write_text(content)
    with pytest.raises(UsageError, match=why):
        plan_e(tmp_path, options=Options(extra={USAGE_KEY: (str(tmp_path / "u.json"),)}))
    with pytest.raises(UsageError, match="not found"):
        plan_e(tmp_path, options=Options(extra={USAGE_KEY: (str(tmp_path / "missing.json"),)}))


def test_phases_c_and_d_not_applied_is_reported(tmp_path: Path) -> None:
    plan = plan_e(tmp_path)
    (r,) = [r for r in plan.all_reports() if r.code == "E103"]
    assert "C, D" in r.message


# ---------------------------------------------------------------------------
# Definitions inside a module that stays
# ---------------------------------------------------------------------------

FACTORIES_AFTER = """\
from pkg.canon import Manager

__all__ = ["make"]


def make():
    return Manager()


def other():
    return 1
"""


def test_legacy_definition_is_cut_with_its_decorator_comment_and_all_entry(tmp_path: Path) -> None:
    plan = plan_e(tmp_path)
    (o,) = [o for o in plan.changes if o.path == FACTORIES]
    assert not o.delete and o.after == FACTORIES_AFTER.encode()
    assert (FACTORIES, 11) in {(r.path, r.line) for r in plan.all_reports() if r.code == "E100"}


@pytest.mark.parametrize(
    "files, where",
    [
        pytest.param({"app/use.py": "from pkg.factories import make_legacy\n"}, ("app/use.py", 1), id="from-import"),
        pytest.param({"app/use.py": "import pkg.factories as f\n\nx = f.make_legacy()\n"}, ("app/use.py", 3), id="module-alias-attribute"),
        pytest.param({"app/use.py": "from pkg import factories\n\nx = getattr(factories, 'make_legacy')\n"}, ("app/use.py", 3), id="getattr"),
        pytest.param({"app/use.py": "from pkg.factories import *\n\nx = make_legacy()\n"}, ("app/use.py", 3), id="star-import-use"),
        pytest.param({"tests/t.py": "from unittest import mock\nmock.patch('pkg.factories.make_legacy')\n"}, ("tests/t.py", 2), id="patch-string"),
        pytest.param({"pyproject.toml": "[project.scripts]\nold = 'pkg.factories:make_legacy'\n"}, ("pyproject.toml", 2), id="entry-point"),
    ],
)
def test_legacy_definition_blocked_by_references(tmp_path: Path, files: dict, where: tuple[str, int]) -> None:
    plan = plan_e(tmp_path, files)
    assert FACTORIES not in {o.path for o in plan.changes}
    assert where in blockers(plan), [(r.code, r.location(), r.message) for r in plan.all_reports()]


def test_legacy_definition_used_by_its_own_module_is_blocked(tmp_path: Path) -> None:
    src = textwrap.dedent(BASE[FACTORIES]).replace("def other():\n    return 1", "def other():\n    return make_legacy()")
    plan = plan_e(tmp_path, {FACTORIES: src})
    assert FACTORIES not in {o.path for o in plan.changes}
    assert (FACTORIES, 18) in blockers(plan)


def test_definition_that_is_not_a_single_top_level_def_is_reported(tmp_path: Path) -> None:
    src = "try:\n    def make_legacy():\n        return 1\nexcept Exception:\n    make_legacy = None\n"
    plan = plan_e(tmp_path, {FACTORIES: src})
    assert FACTORIES not in {o.path for o in plan.changes}
    assert "E109" in codes(plan)


def test_definition_in_a_deleted_module_goes_with_the_module(tmp_path: Path) -> None:
    spec = SPEC.replace('remove = ["pkg.factories:make_legacy"]', 'remove = ["pkg.manager:get_manager"]')
    plan = plan_e(tmp_path, {MANAGER: textwrap.dedent(BASE[MANAGER]) + "\ndef get_manager():\n    return Manager()\n"}, spec=spec)
    assert deleted(plan) == {MANAGER}
    assert not [o for o in plan.changes if not o.delete]


# ---------------------------------------------------------------------------
# Packages, keep, already gone
# ---------------------------------------------------------------------------


def test_legacy_package_goes_whole(tmp_path: Path) -> None:
    spec = SPEC.replace('from = "pkg.manager"', 'from = "pkg.oldpkg"')
    files = {"pkg/oldpkg/__init__.py": "from pkg.canon import Manager\n", "pkg/oldpkg/sub.py": "from . import Manager\n"}
    plan = plan_e(tmp_path, files, spec=spec)
    assert deleted(plan) == {"pkg/oldpkg/__init__.py", "pkg/oldpkg/sub.py"}
    # A reference to a submodule blocks the package.
    plan = plan_e(tmp_path, {**files, "app/use.py": "from pkg.oldpkg.sub import Manager\n"}, spec=spec)
    assert deleted(plan) == set() and ("app/use.py", 1) in blockers(plan)


def test_package_with_data_files_is_not_deleted(tmp_path: Path) -> None:
    spec = SPEC.replace('from = "pkg.manager"', 'from = "pkg.oldpkg"')
    plan = plan_e(tmp_path, {"pkg/oldpkg/__init__.py": "", "pkg/oldpkg/schema.json": "{}"}, spec=spec)
    assert deleted(plan) == set()
    (r,) = [r for r in plan.all_reports() if r.code == "E109"]
    assert "non-Python files" in r.message


# ---------------------------------------------------------------------------
# The .pyi stub beside a removed module (phase S / `shim generate` writes one)
# ---------------------------------------------------------------------------

STUB = "pkg/manager.pyi"


def generated_stub() -> bytes:
    """What phase S writes beside the shim (the generator's own output), with CRLF and a BOM for the byte check."""
    from shims.generator import ShimSpec, render_stub

    spec = ShimSpec("pkg.manager", "pkg.canon", "1.0", "2.0", None, "2.0", "move[0]")
    text = render_stub(spec, textwrap.dedent(BASE["pkg/canon.py"]).encode(), ["Manager"])
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()


def test_generated_stub_goes_with_its_module(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {STUB: generated_stub()})
    assert deleted(plan) == {MANAGER, STUB}
    (o,) = [o for o in plan.changes if o.path == STUB]
    assert o.before == generated_stub() and o.after is None
    (e100,) = [r for r in plan.all_reports() if r.code == "E100" and r.path == MANAGER]
    assert f"and the generated stub(s) beside them ({STUB})" in e100.message
    assert "E118" not in codes(plan) and not plan.has_errors


def test_hand_written_stub_is_reported_and_kept(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {STUB: "# my own stub\nfrom pkg.canon import Manager as Manager\n"})
    assert deleted(plan) == {MANAGER}
    ((path, line, msg),) = reports_of(plan, "E118")
    assert (path, line) == (STUB, 1) and "hand-written" in msg and "pkg.manager" in msg and "delete or update it by hand" in msg
    # A stub naming the marker anywhere but at its top is hand-written too.
    from shims.generator import MARKER

    plan = plan_e(tmp_path, {STUB: "from pkg.canon import Manager as Manager\n" + MARKER + "\n"})
    assert deleted(plan) == {MANAGER} and reports_of(plan, "E118")


def test_stub_of_a_module_that_stays_is_not_touched(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {STUB: generated_stub(), "app/use.py": "import pkg.manager\n"})
    assert deleted(plan) == set() and "E118" not in codes(plan)


def test_stubs_in_a_legacy_package_follow_their_modules(tmp_path: Path) -> None:
    from shims.generator import MARKER

    spec = SPEC.replace('from = "pkg.manager"', 'from = "pkg.oldpkg"')
    files = {"pkg/oldpkg/__init__.py": "from pkg.canon import Manager\n", "pkg/oldpkg/sub.py": "from . import Manager\n",
             "pkg/oldpkg/__init__.pyi": MARKER + "\n", "pkg/oldpkg/sub.pyi": "x: int\n"}
    plan = plan_e(tmp_path, files, spec=spec)
    assert deleted(plan) == {"pkg/oldpkg/__init__.py", "pkg/oldpkg/sub.py", "pkg/oldpkg/__init__.pyi"}
    assert [(p, n) for p, n, _ in reports_of(plan, "E118")] == [("pkg/oldpkg/sub.pyi", 1)]
    # A stub with no module beside it is a foreign file: the package stays.
    plan = plan_e(tmp_path, {**files, "pkg/oldpkg/ghost.pyi": MARKER + "\n"}, spec=spec)
    assert deleted(plan) == set() and "non-Python files (pkg/oldpkg/ghost.pyi)" in reports_of(plan, "E109")[0][2]


def test_apply_deletes_the_generated_stub_and_rollback_restores_both(tmp_path: Path) -> None:
    from migrate import commands
    from migrate.spec import load_spec
    from migrate.state import APPLIED, LedgerEntry, State

    hand = "pkg/factories.pyi"  # beside a module that is not removed: never looked at
    plan_e(tmp_path, {STUB: generated_stub(), hand: "def make() -> object: ...\n"})
    for n, letter in enumerate("CD"):
        State(tmp_path).set_entry(LedgerEntry(letter, APPLIED, "test", "test", 0.0, 0, n + 1), "test")
    before = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".ssot-migrate" not in p.parts}
    r = commands.apply(load_spec(tmp_path / "ssot-spec.toml"), "E", allow_dirty=True)
    assert {MANAGER, STUB} <= set(r.written)
    assert not (tmp_path / MANAGER).exists() and not (tmp_path / STUB).exists() and (tmp_path / hand).exists()
    commands.rollback(tmp_path, "E")
    after = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and ".ssot-migrate" not in p.parts}
    assert after == before and after[STUB] == generated_stub()


def test_keep_and_already_gone(tmp_path: Path) -> None:
    spec = SPEC.replace('remove-in = "2.0"\n"""', "").replace('remove = ["pkg.factories:make_legacy"]', 'remove = ["pkg.factories:make_legacy", "pkg.ghost"]\nkeep = ["pkg.manager"]')
    plan = plan_e(tmp_path, {"app/use.py": "import pkg.ghost\n"}, spec=spec)
    assert MANAGER not in deleted(plan)
    assert "E116" in codes(plan) and "E110" in codes(plan)
    assert ("app/use.py", 1) in blockers(plan, "E113")


def test_spec_errors(tmp_path: Path) -> None:
    from migrate.errors import SpecError

    with pytest.raises(SpecError) as exc:
        plan_e(tmp_path, spec=SPEC.replace('remove = ["pkg.factories:make_legacy"]', 'remove = ["pkg.canon", "not a path"]\nbogus = 1'))
    text = exc.value.render()
    assert "cleanup.bogus: unknown key" in text and "'not a path' is not" in text
    with pytest.raises(SpecError) as exc:
        plan_e(tmp_path, spec=SPEC.replace('remove = ["pkg.factories:make_legacy"]', 'remove = ["pkg.canon"]'))
    assert "cleanup.remove: pkg.canon is a canonical or protected module" in exc.value.render()


def test_plan_counts_the_reference_scan(tmp_path: Path) -> None:
    plan = plan_e(tmp_path, {"app/a.py": "x = 1\n", "app/b.py": "import pkg.manager\n"})
    assert plan.files_scanned >= 6 and 1 <= plan.files_parsed < plan.files_scanned


# ---------------------------------------------------------------------------
# Phase B's compat-reader fallback: read_env(NEW, OLD, ...) back to a plain read
# ---------------------------------------------------------------------------

CSPEC = """\
source-roots = ["."]
version = "2.0"

[[config]]
canonical = "NEW"
legacy = ["OLD", "OLDER"]
compat-reader = true
"""

SETTINGS = "app/settings.py"


def _b_applied(root: Path) -> None:
    from migrate.state import APPLIED, LedgerEntry, State

    State(root).set_entry(LedgerEntry("B", APPLIED, "test", "test", 0.0, 1, 1), "test")


def compat(tmp_path: Path, before: str | bytes, *, spec: str = CSPEC, options: Options = Options(), b_applied: bool = True,
           path: str = SETTINGS, files: dict | None = None) -> tuple[Plan, bytes | None]:
    """Plan E on one file; return the plan and the file's new bytes (None: unchanged), after checking idempotence."""
    if b_applied:
        _b_applied(tmp_path)
    data = before if isinstance(before, bytes) else before.encode()
    plan = run_phase(tmp_path, "E", spec=spec, files={**(files or {}), path: data}, options=options)
    assert not plan.failed, [(o.path, o.reason) for o in plan.failed]
    (o,) = [o for o in plan.outcomes if o.path == path] or [None]
    after = o.after if o is not None and o.status is Status.CHANGED else None
    if after is not None:
        assert o.before == data
        (tmp_path / path).write_bytes(after)
        again = run_phase(tmp_path, "E", spec=spec, options=options)
        assert path not in {x.path for x in again.changes}, "second run changed the file again"
    return plan, after


def reports_of(plan: Plan, code: str) -> list[tuple[str, int, str]]:
    return [(r.path, r.line, r.message) for r in plan.all_reports() if r.code == code]


HEAD = "import os\nfrom shims.config import read_env\n\n"

CALL_FORMS = [
    ("plain", 'A = read_env("NEW", "OLD")\n', 'A = os.environ.get("NEW")\n'),
    ("two-legacy-keys", 'A = read_env("NEW", "OLD", "OLDER")\n', 'A = os.environ.get("NEW")\n'),
    ("default", 'A = read_env("NEW", "OLD", default="ws://d")\n', 'A = os.environ.get("NEW", "ws://d")\n'),
    ("default-expression", "A = read_env('NEW', 'OLD', default=DEFAULTS['url'])\n", "A = os.environ.get('NEW', DEFAULTS['url'])\n"),
    ("default-none", 'A = read_env("NEW", "OLD", default=None)\n', 'A = os.environ.get("NEW")\n'),
    ("required", 'A = read_env("NEW", "OLD", required=True)\n', 'A = os.environ["NEW"]\n'),
    ("required-false", 'A = read_env("NEW", "OLD", required=False, default="d")\n', 'A = os.environ.get("NEW", "d")\n'),
    ("required-with-constant-default", 'A = read_env("NEW", "OLD", default="d", required=True)\n', 'A = os.environ["NEW"]\n'),
    ("environ-os", 'A = read_env("NEW", "OLD", environ=os.environ)\n', 'A = os.environ.get("NEW")\n'),
    ("environ-os-default", 'A = read_env("NEW", "OLD", default="d", environ=os.environ)\n', 'A = os.environ.get("NEW", "d")\n'),
    ("environ-os-required", 'A = read_env("NEW", "OLD", environ=os.environ, required=True)\n', 'A = os.environ["NEW"]\n'),
    ("environ-os-in-a-function", 'def url():\n    return read_env("NEW", "OLD", environ=os.environ)\n', 'def url():\n    return os.environ.get("NEW")\n'),
    ("environ-none", 'A = read_env("NEW", "OLD", environ=None)\n', 'A = os.environ.get("NEW")\n'),
    ("canonical-keyword", 'A = read_env(canonical="NEW")\n', 'A = os.environ.get("NEW")\n'),
    ("in-an-expression", 'A = (read_env("NEW", "OLD") or DEFAULT).rstrip("/")\n', 'A = (os.environ.get("NEW") or DEFAULT).rstrip("/")\n'),
    ("parenthesised", 'A = (read_env("NEW", "OLD"))\n', 'A = (os.environ.get("NEW"))\n'),
    ("multi-line", 'A = read_env(\n    "NEW",\n    "OLD",\n    default="d",\n)\n', 'A = os.environ.get("NEW", "d")\n'),
    ("in-a-function", 'def url():\n    return read_env("NEW", "OLD")\n', 'def url():\n    return os.environ.get("NEW")\n'),
]


@pytest.mark.parametrize("before, after", [pytest.param(b, a, id=i) for i, b, a in CALL_FORMS])
def test_compat_reader_call_becomes_a_plain_read(tmp_path: Path, before: str, after: str) -> None:
    plan, got = compat(tmp_path, HEAD + before)
    assert got == ("import os\n\n" + after).encode()
    (e100,) = reports_of(plan, "E100")
    line = 4 + before[: before.index("read_env")].count("\n")
    assert e100[:2] == (SETTINGS, line) and "the compat-reader fallback of NEW goes: 1 reader call(s) in 1 file(s)" in e100[2]
    assert "phase B applied" in e100[2] and "E111" not in codes(plan)
    # The plan counts the call as a legacy reference it rewrites.
    assert [(f.kind, f.target, f.rewritten) for o in plan.outcomes for f in o.facts if isinstance(f, RefFact)] == [("compat-read", "NEW", True)]


IMPORT_FORMS = [
    ("from-import", 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    ("aliased", 'import os\nfrom shims.config import read_env as env\n\nA = env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    ("module-alias", 'import os\nimport shims.config as c\n\nA = c.read_env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    ("module", 'import os\nimport shims.config\n\nA = shims.config.read_env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    ("from-package", 'import os\nfrom shims import config\n\nA = config.read_env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    ("one-name-of-several", 'import os\nfrom shims.config import LegacyConfigWarning, read_env  # compat\n\nA = read_env("NEW", "OLD")\nW = LegacyConfigWarning\n',
     'import os\nfrom shims.config import LegacyConfigWarning  # compat\n\nA = os.environ.get("NEW")\nW = LegacyConfigWarning\n'),
    ("semicolons", 'import os; from shims.config import read_env\nA = read_env("NEW", "OLD")\n', 'import os\nA = os.environ.get("NEW")\n'),
    ("comment-line-above", 'import os\n# the compat reader, until 2.0\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n',
     'import os\n# the compat reader, until 2.0\n\nA = os.environ.get("NEW")\n'),
]


@pytest.mark.parametrize("before, after", [pytest.param(b, a, id=i) for i, b, a in IMPORT_FORMS])
def test_compat_reader_import_forms_and_the_import_goes(tmp_path: Path, before: str, after: str) -> None:
    _, got = compat(tmp_path, before)
    assert got == after.encode()


@pytest.mark.parametrize(
    "before, after",
    [
        pytest.param('import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\nB = read_env("ELSE", "X")\n',
                     'import os\nfrom shims.config import read_env\n\nA = os.environ.get("NEW")\nB = read_env("ELSE", "X")\n', id="another-key-still-read"),
        pytest.param('import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\nREADER = read_env\n',
                     'import os\nfrom shims.config import read_env\n\nA = os.environ.get("NEW")\nREADER = read_env\n', id="used-as-a-value"),
        pytest.param('import os\nfrom shims.config import read_env\n\n__all__ = ["read_env"]\nA = read_env("NEW", "OLD")\n',
                     'import os\nfrom shims.config import read_env\n\n__all__ = ["read_env"]\nA = os.environ.get("NEW")\n', id="re-exported"),
        pytest.param('import os\nimport shims.config as c\n\nA = c.read_env("NEW", "OLD")\nW = c.LegacyConfigWarning\n',
                     'import os\nimport shims.config as c\n\nA = os.environ.get("NEW")\nW = c.LegacyConfigWarning\n', id="module-used-otherwise"),
    ],
)
def test_compat_reader_import_stays_while_used(tmp_path: Path, before: str, after: str) -> None:
    _, got = compat(tmp_path, before)
    assert got == after.encode()


OS_FORMS = [
    ("already-imported", 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    ("os-path", 'import os.path\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n', 'import os.path\n\nA = os.environ.get("NEW")\n'),
    ("from-os-import-environ", 'from os import environ\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD", required=True)\n',
     'from os import environ\n\nA = environ["NEW"]\n'),
    ("local-import-os", 'from shims.config import read_env\n\n\ndef f():\n    import os\n    return read_env("NEW", "OLD")\n',
     '\n\ndef f():\n    import os\n    return os.environ.get("NEW")\n'),
    ("added-in-order", '"""Settings."""\nfrom __future__ import annotations\n\nimport json\nimport sys\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n',
     '"""Settings."""\nfrom __future__ import annotations\n\nimport json\nimport os\nimport sys\n\nA = os.environ.get("NEW")\n'),
    ("added-first", '"""Settings."""\n\n# stdlib\nimport sys\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n',
     '"""Settings."""\n\nimport os\n# stdlib\nimport sys\n\nA = os.environ.get("NEW")\n'),
    ("added-after-plain-imports", 'import json\nfrom os import getenv\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD") or getenv("X")\n',
     'import json\nimport os\nfrom os import getenv\n\nA = os.environ.get("NEW") or getenv("X")\n'),
    ("added-after-the-docstring", '"""Settings."""\nimport shims.config as c\n\nA = c.read_env("NEW", "OLD")\n',
     '"""Settings."""\n\nimport os\n\nA = os.environ.get("NEW")\n'),
    ("replaces-the-only-import", 'from shims.config import read_env\n\nA = read_env("NEW", "OLD")\n', 'import os\n\nA = os.environ.get("NEW")\n'),
    # environ= that is os.environ however the file binds it: kept as written, no `import os` added.
    ("environ-import-os-as", 'import os as o\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD", environ=o.environ)\n',
     'import os as o\n\nA = o.environ.get("NEW")\n'),
    ("environ-os-path", 'import os.path\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD", environ=os.environ, required=True)\n',
     'import os.path\n\nA = os.environ["NEW"]\n'),
    ("environ-from-os-import-environ", 'from os import environ\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD", environ=environ)\n',
     'from os import environ\n\nA = environ.get("NEW")\n'),
    ("environ-from-os-import-environ-as", 'from os import environ as ENV\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD", default="d", environ=ENV)\n',
     'from os import environ as ENV\n\nA = ENV.get("NEW", "d")\n'),
]


@pytest.mark.parametrize("before, after", [pytest.param(b, a, id=i) for i, b, a in OS_FORMS])
def test_compat_reader_rewrite_reaches_os_environ(tmp_path: Path, before: str, after: str) -> None:
    _, got = compat(tmp_path, before)
    assert got == after.encode()
    assert got.count(b"import os\n") <= 1


ENVIRON_WHY = "environ= may be None at run time: read_env would use os.environ"

UNMAPPABLE = [
    ("star-args", 'A = read_env("NEW", *keys)\n', "*args/**kwargs"),
    ("star-star-kwargs", 'A = read_env("NEW", "OLD", **opts)\n', "*args/**kwargs"),
    ("non-literal-canonical", 'A = read_env(KEY, "OLD")\n', "the canonical key is not a string literal"),
    ("f-string-canonical", 'A = read_env(f"NEW", "OLD")\n', "the canonical key is not a string literal"),
    ("non-literal-legacy", 'A = read_env("NEW", OLD_KEY)\n', "a legacy key is not a string literal"),
    ("legacy-not-in-spec", 'A = read_env("NEW", "SOMETHING_ELSE")\n', "SOMETHING_ELSE, which the spec does not list"),
    ("required-expression", 'A = read_env("NEW", "OLD", required=strict)\n', "required= is not the literal True or False"),
    ("required-drops-a-call", 'A = read_env("NEW", "OLD", default=compute(), required=True)\n', "the default would no longer be evaluated"),
    ("unknown-keyword", 'A = read_env("NEW", "OLD", cast=int)\n', "unknown argument(s) cast"),
    # environ= other than None or os.environ: read_env would use os.environ where it is None at run time.
    ("environ-name", 'A = read_env("NEW", "OLD", environ=env)\n', ENVIRON_WHY),
    ("environ-attribute", 'A = read_env("NEW", "OLD", default="d", environ=self.env)\n', ENVIRON_WHY),
    ("environ-expression", 'A = read_env("NEW", "OLD", environ=a or b)\n', ENVIRON_WHY),
    ("environ-call", 'A = read_env("NEW", "OLD", default=make(), environ=load())\n', ENVIRON_WHY),
    ("environ-required", 'A = read_env("NEW", "OLD", environ=env, required=True)\n', ENVIRON_WHY),
    ("environ-os-rebound", 'os = FakeOS()\nA = read_env("NEW", "OLD", environ=os.environ)\n', ENVIRON_WHY),
    ("environ-os-not-imported", 'A = read_env("NEW", "OLD", environ=os.environ)\n', ENVIRON_WHY),
    ("environ-name-shadowed", 'from os import environ\nenviron = load()\nA = read_env("NEW", "OLD", environ=environ)\n', ENVIRON_WHY),
    ("environ-other-module", 'import mylib as os\nA = read_env("NEW", "OLD", environ=os.environ)\n', ENVIRON_WHY),
    ("environ-parameter-shadows-os-environ", 'from os import environ\n\n\ndef url(environ=None):\n    return read_env("NEW", "OLD", environ=environ)\n', ENVIRON_WHY),
    ("comment-inside", 'A = read_env(\n    "NEW",  # the new key\n    "OLD",\n)\n', "a comment inside the call would be lost"),
    ("os-is-something-else", 'os = FakeOS()\nA = read_env("NEW", "OLD")\n', "the name os is bound to something else here"),
]


@pytest.mark.parametrize("source, why", [pytest.param(s, w, id=i) for i, s, w in UNMAPPABLE])
def test_unmappable_compat_reader_call_is_reported_not_changed(tmp_path: Path, source: str, why: str) -> None:
    plan, got = compat(tmp_path, "from shims.config import read_env\n\n" + source)
    assert got is None
    line = 3 + source[: source.index("read_env")].count("\n")
    found = reports_of(plan, "E111")
    assert [(p, n) for p, n, _ in found] == [(SETTINGS, line)] and why in found[0][2], found
    assert "rewrite it by hand" in found[0][2]


def test_unmappable_call_keeps_the_import_and_the_others_go(tmp_path: Path) -> None:
    src = 'from shims.config import read_env\n\nA = read_env("NEW", "OLD")\nB = read_env("NEW", *more)\n'
    plan, got = compat(tmp_path, src)
    assert got == b'import os\nfrom shims.config import read_env\n\nA = os.environ.get("NEW")\nB = read_env("NEW", *more)\n'
    assert [(p, n) for p, n, _ in reports_of(plan, "E111")] == [(SETTINGS, 4)]
    facts = sorted((f.line, f.rewritten) for o in plan.outcomes for f in o.facts if isinstance(f, RefFact))
    assert facts == [(3, True), (4, False)]


def test_compat_reader_keys_the_spec_does_not_name_are_left_alone(tmp_path: Path) -> None:
    plan, got = compat(tmp_path, 'from shims.config import read_env\n\nA = read_env("OTHER", "OLD_OTHER")\n')
    assert got is None and not reports_of(plan, "E111")
    # ...and a function merely called read_env is not the reader.
    plan, got = compat(tmp_path, 'def read_env(*a):\n    return a\n\n\nA = read_env("NEW", "OLD")\n')
    assert got is None and not reports_of(plan, "E111")


def test_custom_compat_reader_from_the_spec(tmp_path: Path) -> None:
    spec = CSPEC.replace("compat-reader = true", 'compat-reader = "myapp.env:read"')
    _, got = compat(tmp_path, 'import os\nfrom myapp.env import read\n\nA = read("NEW", "OLD", default="d")\n', spec=spec)
    assert got == b'import os\n\nA = os.environ.get("NEW", "d")\n'


def test_compat_reader_calls_outside_phase_b_files_are_reported(tmp_path: Path) -> None:
    spec = CSPEC.replace('version = "2.0"', 'version = "2.0"\nexclude = ["scripts/**"]')
    plan, got = compat(tmp_path, 'from shims.config import read_env\nA = read_env("NEW", "OLD")\n', spec=spec, path="scripts/tool.py")
    assert got is None
    ((path, line, msg),) = reports_of(plan, "E111")
    assert (path, line) == ("scripts/tool.py", 2) and "outside the Python files phase B rewrites" in msg


def test_compat_reader_bytes_outside_the_edit_are_kept(tmp_path: Path) -> None:
    before = '\ufeff"""Réglages."""\r\nimport os\r\nfrom shims.config import read_env  \r\n\r\nX = "été"; A = read_env("NEW", "OLD", default=X)   \r\n'.encode("utf-8")
    _, got = compat(tmp_path, before)
    assert got == '\ufeff"""Réglages."""\r\nimport os\r\n\r\nX = "été"; A = os.environ.get("NEW", X)   \r\n'.encode("utf-8")


def test_compat_reader_rewrite_and_definition_cut_in_one_file(tmp_path: Path) -> None:
    spec = SPEC + CSPEC.split("\n\n", 1)[1]
    src = textwrap.dedent(BASE[FACTORIES]).replace("from pkg.canon import Manager\n", "from pkg.canon import Manager\nfrom shims.config import read_env\n")
    src += '\n\nURL = read_env("NEW", "OLD")\n'
    plan, got = compat(tmp_path, src, spec=spec, path=FACTORIES, files=BASE)
    assert got == (FACTORIES_AFTER.replace("from pkg.canon import Manager\n", "import os\nfrom pkg.canon import Manager\n") + '\n\nURL = os.environ.get("NEW")\n').encode()


# -- preconditions for the fallback --------------------------------------------------------------------


def test_compat_reader_fallback_waits_for_phase_b(tmp_path: Path) -> None:
    src = 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n'
    plan, got = compat(tmp_path, src, b_applied=False)
    assert got is None and "E100" not in codes(plan)
    ((path, line, msg),) = reports_of(plan, "E112")
    assert (path, line) == (SETTINGS, 4) and "phase B is not applied" in msg
    # --force overrides the version policy only, not this.
    plan, got = compat(tmp_path, src, b_applied=False, options=Options(extra={FORCE_KEY: True}))
    assert got is None and reports_of(plan, "E112")


def test_compat_reader_fallback_follows_the_version_policy(tmp_path: Path) -> None:
    src = 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n'
    # The entry's own remove-in...
    spec = CSPEC.replace('version = "2.0"', 'version = "1.9.0"') + 'remove-in = "2.0"\n'
    plan, got = compat(tmp_path, src, spec=spec)
    assert got is None
    ((path, line, msg),) = reports_of(plan, "E105")
    assert (path, line) == (SETTINGS, 4) and "the compat-reader fallback of NEW is removed in 2.0; the project is at 1.9.0" in msg
    plan, got = compat(tmp_path, src, spec=spec, options=Options(extra={FORCE_KEY: True}))
    assert got == b'import os\n\nA = os.environ.get("NEW")\n'
    assert reports_of(plan, "E106") and "version policy forced" in reports_of(plan, "E100")[0][2]
    (tmp_path / SETTINGS).write_text(src)
    # ...else the project-wide cleanup.remove-in, as for cleanup.remove entries.
    spec = CSPEC.replace('version = "2.0"', 'version = "1.9.0"') + '\n[cleanup]\nremove-in = "2.0"\n'
    plan, got = compat(tmp_path, src, spec=spec)
    assert got is None and reports_of(plan, "E105")
    plan, got = compat(tmp_path, src, spec=spec.replace('version = "1.9.0"', 'version = "2.0.1"'))
    assert got is not None and "version 2.0.1 >= remove-in 2.0" in reports_of(plan, "E100")[0][2]
    # An unknown version blocks unless forced.
    (tmp_path / SETTINGS).write_text(src)
    plan, got = compat(tmp_path, src, spec=spec.replace('version = "1.9.0"\n', ""))
    assert got is None and reports_of(plan, "E107")


def test_compat_reader_fallback_and_telemetry(tmp_path: Path) -> None:
    """The shims' telemetry does not record read_env fallbacks: said, and it does not block."""
    src = 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n'
    usage = _usage(tmp_path, [{"shim": "other.mod", "legacy": "other.mod", "target": "x", "kind": "module", "file": "a.py", "line": 1, "count": 9}])
    plan, got = compat(tmp_path, src, options=Options(extra={USAGE_KEY: (usage,)}))
    assert got is not None
    ((path, line, msg),) = reports_of(plan, "E114")
    assert (path, line) == (SETTINGS, 4) and "does not record compat-reader fallbacks" in msg


def test_compat_reader_with_no_call_left_is_already_gone(tmp_path: Path) -> None:
    plan, got = compat(tmp_path, 'import os\n\nA = os.environ.get("NEW")\n')
    assert got is None
    assert any("the compat-reader fallback of NEW is already gone" in m for _, _, m in reports_of(plan, "E110"))
    # An entry without the reader and without calls is not a candidate at all; nor is one before phase B.
    plan, _ = compat(tmp_path, 'import os\n', spec=CSPEC.replace("compat-reader = true\n", ""))
    assert not reports_of(plan, "E110")
    (tmp_path / ".ssot-migrate" / "ledger.json").unlink()
    plan, _ = compat(tmp_path, 'import os\n', b_applied=False)
    assert not reports_of(plan, "E110") and not reports_of(plan, "E112")


def test_config_remove_in_is_validated(tmp_path: Path) -> None:
    from migrate.errors import SpecError

    with pytest.raises(SpecError) as exc:
        compat(tmp_path, "x = 1\n", spec=CSPEC + 'remove-in = "soon"\n')
    assert "config[0].remove-in: 'soon' is not a PEP 440 version" in exc.value.render()


def test_nested_compat_reader_calls(tmp_path: Path) -> None:
    spec = CSPEC + '\n[[config]]\ncanonical = "B_NEW"\nlegacy = ["B_OLD"]\n'
    _, got = compat(tmp_path, 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD", default=read_env("B_NEW", "B_OLD"))\n', spec=spec)
    assert got == b'import os\n\nA = os.environ.get("NEW", os.environ.get("B_NEW"))\n'


def test_self_verification_checks_the_mapping_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rewrite that read another key (a bug) is refused: the expected tree is derived from the call's own arguments."""
    import libcst as cst

    import codemods.compatreads as cr

    real = cr._replacement
    monkeypatch.setattr(cr, "_replacement", lambda call, updated: real(call, updated).with_changes(args=[cst.Arg(cst.SimpleString('"OLD"'))]))
    _b_applied(tmp_path)
    plan = run_phase(tmp_path, "E", spec=CSPEC, files={SETTINGS: 'import os\nfrom shims.config import read_env\n\nA = read_env("NEW", "OLD")\n'})
    (o,) = [o for o in plan.outcomes if o.path == SETTINGS]
    assert o.status is Status.FAILED and "self-verification refused" in o.reason
    assert "E117" in codes(plan) and "E002" in codes(plan)


def test_compat_reader_file_libcst_cannot_read_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the analysis cannot read is named (E111), and its other references still count."""
    import codemods.compatreads as cr

    def broken(*args, **kwargs):
        raise RecursionError("too deep")

    monkeypatch.setattr(cr, "find_calls", broken)
    plan, got = compat(tmp_path, 'import pkg.manager\nfrom shims.config import read_env\nA = read_env("NEW", "OLD")\n',
                       spec=SPEC + CSPEC.split("\n\n", 1)[1], files=BASE)
    assert got is None
    ((path, line, msg),) = reports_of(plan, "E111")
    assert (path, line) == (SETTINGS, 1) and "LibCST cannot analyse the file (too deep)" in msg
    assert (SETTINGS, 1) in blockers(plan)  # the import of the legacy module still blocks its removal
