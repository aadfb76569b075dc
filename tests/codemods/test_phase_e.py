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
