"""Version-driven escalation (pending -> deprecated -> near -> removed) and SSOT_SHIMS_MODE."""

from __future__ import annotations

import pytest

from shims import policy
from shims.policy import DEPRECATED, NEAR, PENDING, REMOVED


@pytest.mark.parametrize(
    "current, since, remove_in, near, expected",
    [
        ("0.9", "1.0", "2.0", None, PENDING),
        ("1.0", "1.0", "2.0", None, DEPRECATED),
        ("1.0.0", "1", "2", None, DEPRECATED),
        ("1.9", "1.0", "2.0", None, DEPRECATED),  # last 1.x is unknowable: X.0 is near only in pre-releases
        ("1.9.5", "1.0", "2.0", "1.9", NEAR),  # ... unless near= says so
        ("2.0.dev0", "1.0", "2.0", None, NEAR),
        ("2.0rc1", "1.0", "2.0", None, NEAR),
        ("2.0", "1.0", "2.0", None, REMOVED),
        ("2.0.1", "1.0", "2.0", None, REMOVED),
        ("2.0.0+local", "1.0", "2.0", None, REMOVED),
        ("3.0", "1.0", "2.0", None, REMOVED),
        ("2.1", "2.0", "2.3", None, DEPRECATED),
        ("2.2", "2.0", "2.3", None, NEAR),  # the last minor series before 2.3
        ("2.2.7", "2.0", "2.3", None, NEAR),
        ("2.3", "2.0", "2.3", None, REMOVED),
        ("1.10", "1.2", "1.11", None, NEAR),  # not a string comparison
        ("1.9", "1.2", "1.11", None, DEPRECATED),
        ("1.0.0", "1.0.1", "2.0", None, PENDING),
        ("5.0", None, None, None, DEPRECATED),
        ("5.0", "6.0", None, None, PENDING),
        (None, "1.0", "2.0", None, DEPRECATED),  # unknown version: deprecated, never an error
    ],
)
def test_stage_table(current, since, remove_in, near, expected):
    assert policy.stage(current, since, remove_in, near) == expected


def test_near_from_definition():
    assert policy.near_from("2.3", None) == "2.2"
    assert policy.near_from("2.0", None) == "2.0.dev0"
    assert policy.near_from("2.0.1", None) == "2.0"
    assert policy.near_from("2.0", "1.8") == "1.8"
    assert policy.near_from(None, None) is None
    assert policy.near_from(None, "1.0") is None  # no near stage without a removal version


def test_categories_per_stage():
    import shims

    assert policy.category(PENDING, "2.0") is shims.PendingLegacyImportWarning
    assert policy.category(DEPRECATED, "2.0") is shims.RemovedIn20Warning
    assert policy.category(DEPRECATED, None) is shims.LegacyImportWarning
    assert policy.category(NEAR, "2.0") is shims.RemovedIn20FutureWarning


def test_installed_version_from_dist_info_and_metadata(tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "my_app-1.9.2.dist-info").mkdir(parents=True)
    (site / "my_app-1.9.2.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: my-app\nVersion: 1.9.2\n")
    (site / "legacyegg.egg-info").mkdir()
    (site / "legacyegg.egg-info" / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: legacyegg\nVersion: 0.7\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(policy, "_versions", {})
    assert policy.installed_version("My.App") == "1.9.2"  # PEP 503 name normalisation
    assert policy.installed_version("legacyegg") == "0.7"  # via importlib.metadata
    assert policy.installed_version("surely-not-installed-xyz") is None
    assert policy.current_version("my-app", "3.0") == "3.0"  # declared version wins
    assert policy.current_version(None, None) is None


def test_decide_under_each_mode(monkeypatch):
    table = {}
    for mode in ["", "silent", "warn", "error", "bogus"]:
        monkeypatch.setenv(policy.ENV_MODE, mode)
        policy._reset_mode()
        if mode == "bogus":
            with pytest.warns(RuntimeWarning, match="SSOT_SHIMS_MODE"):
                policy.mode()
        table[mode] = [policy.decide(s) for s in (PENDING, DEPRECATED, NEAR, REMOVED)]
    policy._reset_mode()
    assert table[""] == [("warn", PENDING), ("warn", DEPRECATED), ("warn", NEAR), ("error", REMOVED)]
    assert table["bogus"] == table[""]
    assert table["silent"] == [("silent", s) for s in (PENDING, DEPRECATED, NEAR, REMOVED)]
    assert table["warn"] == [("warn", DEPRECATED), ("warn", DEPRECATED), ("warn", NEAR), ("warn", NEAR)]
    assert table["error"] == [("error", s) for s in (PENDING, DEPRECATED, NEAR, REMOVED)]


# --- end to end, in subprocesses ---------------------------------------------------------

STAGE_SCRIPT = """
from old import Thing  # @a
import mixed
mixed.OldThing  # @b
report()
"""


@pytest.mark.parametrize(
    "version, category",
    [
        ("0.5", "PendingLegacyImportWarning"),
        ("1.5", "RemovedIn20Warning"),
        ("2.0a1", "RemovedIn20FutureWarning"),
    ],
)
def test_stage_decides_the_category(make_project, version, category):
    run = make_project(version=version).run_script(STAGE_SCRIPT)
    cats = [w["cat"] for w in run.shim_warnings()]
    assert cats == [category, category]
    if version == "0.5":
        assert "will be deprecated in 1.0 and will be removed in 2.0" in run.shim_warnings()[0]["msg"]


def test_version_from_the_installed_distribution(make_project):
    project = make_project(version=None, distribution="myapp", near="1.9")
    for v, cat in [("1.8", "RemovedIn20Warning"), ("1.9.1", "RemovedIn20FutureWarning")]:
        for old in project.src.glob("myapp-*.dist-info"):
            old.rename(old.with_name("stale-" + old.name.replace("-", "_")))  # keep exactly one
        info = project.src / f"myapp-{v}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: myapp\nVersion: {v}\n")
        run = project.run_script(STAGE_SCRIPT + "import sys\nreport(metadata='importlib.metadata' in sys.modules)\n")
        assert [w["cat"] for w in run.shim_warnings()] == [cat, cat]
        assert f"current version {v}" in run.shim_warnings()[0]["msg"] or cat == "RemovedIn20Warning"
        assert run.data["metadata"] is False  # found from the dist-info name, no importlib.metadata import


def test_unknown_distribution_means_deprecated(make_project):
    run = make_project(version=None, distribution="not-installed-anywhere").run_script(STAGE_SCRIPT)
    assert [w["cat"] for w in run.shim_warnings()] == ["RemovedIn20Warning"] * 2


def test_removed_is_an_import_error_or_attribute_error(make_project):
    project = make_project(version="2.0")
    run = project.run_script(
        """
        import shims
        out = {}
        for stmt in ["import old", "from old import Thing", "import oldmod", "import old.sub",
                     "from mixed import OldThing"]:
            try:
                exec(stmt, {})
            except ImportError as e:
                out[stmt] = [type(e).__name__, str(e), isinstance(e, shims.LegacyImportError)]
        import mixed
        try:
            mixed.OldThing
        except AttributeError as e:
            out["attr"] = [type(e).__name__, str(e)]
        out["hasattr"] = hasattr(mixed, "OldThing")
        out["getattr_default"] = getattr(mixed, "OldThing", "gone")
        out["kept"] = mixed.KEEP
        import pickle
        try:
            pickle._loads(b"\\x80\\x02cmixed\\nOldThing\\nq\\x00.")
        except ImportError as e:
            out["pickle"] = type(e).__name__
        report(**out)
        """
    )
    d = run.data
    for stmt in ["import old", "from old import Thing", "import oldmod", "import old.sub"]:
        name, msg, is_legacy = d[stmt]
        assert name == "LegacyImportError" and is_legacy
        assert "was removed in 2.0" in msg and "(current version 2.0)" in msg
    assert "'canon'" in d["import old"][1] and "'canon.core'" in d["import oldmod"][1]
    assert d["from mixed import OldThing"][0] == "LegacyImportError"
    assert "'canon.core:Thing'" in d["from mixed import OldThing"][1]
    assert d["attr"][0] == "LegacyAttributeError" and "'mixed:OldThing' was removed in 2.0" in d["attr"][1]
    assert d["hasattr"] is False and d["getattr_default"] == "gone" and d["kept"] == "kept"
    assert d["pickle"] == "LegacyImportError"
    assert d["warnings"] == []


@pytest.mark.parametrize("mode", ["silent", "warn", "error"])
def test_env_override(make_project, mode):
    project = make_project(version="2.5")  # past removal
    run = project.run_script(
        """
        out = {}
        try:
            from old import Thing  # @imp
            out["import"] = "ok"
        except ImportError as e:
            out["import"] = type(e).__name__
        import mixed
        try:
            mixed.OldThing
            out["attr"] = "ok"
        except AttributeError as e:
            out["attr"] = type(e).__name__
        report(**out)
        """,
        env={"SSOT_SHIMS_MODE": mode},
    )
    d = run.data
    if mode == "silent":
        assert d["import"] == d["attr"] == "ok" and run.shim_warnings() == []
    elif mode == "warn":
        assert d["import"] == d["attr"] == "ok"
        assert [w["cat"] for w in run.shim_warnings()] == ["RemovedIn20FutureWarning"] * 2
    else:
        assert d["import"] == "LegacyImportError" and d["attr"] == "LegacyAttributeError"


def test_error_mode_forbids_even_deprecated_paths(make_project):
    run = make_project(version="1.5").run_script(
        """
        try:
            import oldmod
        except ImportError as e:
            report(err=str(e))
        """,
        env={"SSOT_SHIMS_MODE": "error"},
    )
    assert "forbidden by SSOT_SHIMS_MODE=error" in run.data["err"] and "'canon.core'" in run.data["err"]


def test_plain_versions_do_not_import_packaging(make_project):
    run = make_project(version="1.5").run_script("import old, sys\nreport(p='packaging' in sys.modules)\n")
    assert run.data["p"] is False
    run = make_project(version="2.0rc1").run_script("import old, sys\nreport(p='packaging' in sys.modules)\n")
    assert run.data["p"] is True
