"""Warning categories, messages, attribution to the user's line, per-statement and per-site rules."""

from __future__ import annotations

import pickle
import textwrap

import pytest

import shims
from shims import categories


# --- categories (pure class objects: safe in-process) ------------------------------


def test_category_hierarchy_and_cache():
    w20 = shims.RemovedIn20Warning
    f20 = shims.RemovedIn20FutureWarning
    assert issubclass(shims.LegacyImportWarning, DeprecationWarning)
    assert issubclass(w20, shims.LegacyImportWarning) and issubclass(w20, DeprecationWarning)
    assert w20 is shims.removed_in_warning("2.0") is shims.removed_in_warning("2") is shims.removed_in_warning("2.0.0")
    assert getattr(shims, "RemovedIn2_0Warning") is w20
    assert (w20.__module__, w20.__qualname__, w20.removed_in) == ("shims", "RemovedIn20Warning", "2.0")
    # near stage: a real FutureWarning (visible by default), not a DeprecationWarning ...
    assert issubclass(f20, FutureWarning) and issubclass(f20, shims.LegacyRemovalWarning)
    assert not issubclass(f20, DeprecationWarning)
    # ... that filters and issubclass checks written for its twin still match
    assert issubclass(f20, w20) and issubclass(f20, shims.LegacyImportWarning)
    assert isinstance(f20("x"), w20)
    assert not issubclass(shims.removed_in_warning("3.0", future=True), w20)
    # pending: a LegacyImportWarning and a PendingDeprecationWarning
    assert issubclass(shims.PendingLegacyImportWarning, PendingDeprecationWarning)
    assert issubclass(shims.PendingLegacyImportWarning, shims.LegacyImportWarning)


def test_category_names_for_multi_digit_versions():
    assert shims.removed_in_warning("2.10").__name__ == "RemovedIn2_10Warning"
    assert shims.removed_in_warning("10.1").__name__ == "RemovedIn10_1Warning"
    assert shims.removed_in_warning("3.0.1").__name__ == "RemovedIn3_0_1Warning"
    assert shims.removed_in_warning("2.0rc1") is shims.RemovedIn20Warning
    assert getattr(shims, "RemovedIn2_10Warning") is shims.removed_in_warning("2.10")
    assert categories.parse_category_name("RemovedIn200Warning") is None
    with pytest.raises(AttributeError):
        getattr(shims, "RemovedInWarning")
    with pytest.raises(AttributeError):
        getattr(shims, "NotAThing")


def test_category_pickles_by_reference():
    w = shims.RemovedIn20Warning("msg")
    back = pickle.loads(pickle.dumps(w))
    assert type(back) is shims.RemovedIn20Warning and back.args == ("msg",)
    assert pickle.loads(pickle.dumps(shims.RemovedIn20FutureWarning)) is shims.RemovedIn20FutureWarning


def test_errors_are_import_and_attribute_errors():
    assert issubclass(shims.LegacyImportError, ImportError)
    assert issubclass(shims.LegacyAttributeError, AttributeError)
    e = shims.LegacyImportError("m", legacy="a", target="b", name="a")
    assert (e.legacy, e.target, e.name) == ("a", "b", "a")


# --- -W resolves the generated category by import path ---------------------------


@pytest.mark.parametrize(
    "option",
    ["error::shims.RemovedIn20Warning", "error::shims.LegacyImportWarning", "error::DeprecationWarning"],
)
def test_dash_W_error_from_the_command_line(project, option):
    path, _ = project.script("from old import Thing\nprint('survived')\n", prelude=False)
    run = project.run(["-W", option, str(path)])
    assert run.returncode == 1
    assert "Invalid -W option" not in run.stderr
    assert "shims.RemovedIn20Warning: legacy import path 'old'" in run.stderr
    assert "survived" not in run.stdout


def test_dash_W_error_catches_the_near_stage_too(make_project):
    project = make_project(version="2.0rc1")  # near: 2.0 pre-release
    path, _ = project.script("from old import Thing\nprint('survived')\n", prelude=False)
    run = project.run(["-W", "error::shims.RemovedIn20Warning", str(path)])
    assert run.returncode == 1 and "RemovedIn20FutureWarning" in run.stderr, run.stderr
    ok = project.run(["-W", "error::shims.RemovedIn30Warning", str(path)])
    assert ok.returncode == 0 and "survived" in ok.stdout
    assert "RemovedIn20FutureWarning" in ok.stderr  # visible by default


def test_pythonwarnings_env_and_ignore(project):
    path, _ = project.script("from old import Thing\nprint('survived')\n", prelude=False)
    run = project.run([str(path)], env={"PYTHONWARNINGS": "error::shims.RemovedIn20Warning"})
    assert run.returncode == 1 and "RemovedIn20Warning" in run.stderr
    quiet = project.run(["-W", "ignore::shims.LegacyImportWarning", str(path)])
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_message_names_old_new_since_and_remove_in(project):
    run = project.run_script(
        """
        from old import Thing
        from mixed import OldThing
        import old.sub
        report()
        """
    )
    msgs = [w["msg"] for w in run.shim_warnings()]
    assert msgs[0] == (
        "legacy import path 'old' is deprecated since 1.0 and will be removed in 2.0; use 'canon' instead"
    )
    assert "'mixed:OldThing'" in msgs[1] and "'canon.core:Thing'" in msgs[1]
    assert "'old.sub'" in msgs[2] and "'canon.sub'" in msgs[2]
    assert all("1.0" in m and "2.0" in m for m in msgs)
    assert [w["cat"] for w in run.shim_warnings()] == ["RemovedIn20Warning"] * 3


# --- attribution: the user's line, one warning per statement ------------------------

FORMS = {
    "import": "import old  # @here",
    "import_sub_first": "import old.sub  # @here",
    "import_deep_first": "import old.sub.deep  # @here",
    "import_as": "import old.sub as s  # @here",
    "from_package": "from old import Thing  # @here",
    "from_package_many": "from old import Thing, make, REGISTRY  # @here",
    "from_module": "from oldmod import Thing  # @here",
    "from_sub": "from old import sub  # @here",
    "from_deep": "from old.sub import deep  # @here",
    "star": "from old import *  # @here",
    "star_symbols": "from mixed import *  # @here",
    "symbol": "from mixed import OldThing  # @here",
    "dunder_import_fromlist": "m = __import__('old', fromlist=['Thing'])  # @here",
    "import_module": "import importlib\nm = importlib.import_module('old.sub')  # @here",
    "import_module_root": "import importlib\nm = importlib.import_module('oldmod')  # @here",
    "resolve_name": "import pkgutil\nobj = pkgutil.resolve_name('old.sub.deep:Deep')  # @here",
    "resolve_name_symbol": "import pkgutil, mixed\nobj = pkgutil.resolve_name('mixed:OldThing')  # @here",
    "attribute": "import mixed\nx = mixed.OldThing  # @here",
    "attribute_in_function": "import mixed\ndef f():\n    return mixed.old_make(3)  # @here\nf()",
    "getattr_call": "import mixed\nx = getattr(mixed, 'OldThing')  # @here",
    "pickle_c": "import pickle\nx = pickle.loads(DATA)  # @here",
    "pickle_py": "import pickle\nx = pickle._loads(DATA)  # @here",
}

PICKLE_DATA = "DATA = b'\\x80\\x02coldmod\\nThing\\nq\\x00)\\x81q\\x01}q\\x02X\\x05\\x00\\x00\\x00valueq\\x03K\\x07sb.'\n"


@pytest.mark.parametrize("form", sorted(FORMS))
def test_attributed_to_the_users_line_once(project, form):
    body = PICKLE_DATA + "import canon\n" + FORMS[form] + "\nreport()\n"
    run = project.run_script(body)
    got = run.shim_warnings()
    assert len(got) == 1, got
    assert got[0]["file"] == str(run.path), got
    assert got[0]["line"] == run.lines["here"], (got, run.lines)


def test_attribution_on_every_supported_python_shape(project):
    # The frames between the user's line and the shim differ per Python version
    # (frozen importlib module names, importlib.import_module, pkgutil, pickle);
    # none of them may ever be reported as the location.
    run = project.run_script(
        PICKLE_DATA
        + textwrap.dedent(
            """
        import importlib, pickle, pkgutil
        import old.sub  # @a
        importlib.import_module("old.sub.deep")  # @b
        pkgutil.resolve_name("mixed:OldThing")  # @c
        pickle._loads(DATA)  # @d
        report()
        """
        )
    )
    files = {w["file"] for w in run.shim_warnings()}
    assert files == {str(run.path)}
    assert [w["line"] for w in run.shim_warnings()] == [run.lines[k] for k in "abcd"]


def test_loop_warns_per_execution_under_always_and_once_per_site_by_default(project):
    run = project.run_script(
        """
        import mixed
        for i in range(3):
            mixed.OldThing  # @loop
        _warnings.simplefilter("default")
        for i in range(3):
            mixed.OldThing  # @loop2
        for i in range(3):
            from mixed import OldThing  # @loop3
        report()
        """
    )
    lines = [w["line"] for w in run.shim_warnings()]
    assert lines == [run.lines["loop"]] * 3 + [run.lines["loop2"], run.lines["loop3"]]


# --- per call site, not per process --------------------------------------------------


def test_each_importing_line_warns_even_when_cached(project):
    project.write(
        {
            "user_a.py": "from old import Thing  # first user\n",
            "user_b.py": "from old import Thing  # second user\nimport old\nx = old.make\n",
            "user_c.py": "import old.sub\nfrom old import sub\n",
        }
    )
    run = project.run_script(
        """
        _warnings.simplefilter("default")
        import user_a, user_b, user_c
        import old
        from old import Thing  # @main
        report()
        """
    )
    sites = [(w["file"].rsplit("/", 1)[-1], w["line"]) for w in run.shim_warnings()]
    assert sites == [
        ("user_a.py", 1),
        ("user_b.py", 1),
        ("user_b.py", 3),
        ("user_c.py", 1),
        ("user_c.py", 2),
        ("main.py", run.lines["main"]),
    ]


@pytest.mark.parametrize("order", [("user_a", "user_b"), ("user_b", "user_a")])
def test_results_do_not_depend_on_import_order(project, order):
    project.write({"user_a.py": "from old import Thing\n", "user_b.py": "from old import make\n"})
    run = project.run_script(
        f"""
        _warnings.simplefilter("default")
        for name in {order!r}:
            __import__(name)
        report()
        """
    )
    files = sorted(w["file"].rsplit("/", 1)[-1] for w in run.shim_warnings())
    assert files == ["user_a.py", "user_b.py"]


def test_documented_cases_without_per_site_attribution(project):
    """What happens at a *second* site once a legacy module object is cached.

    * ``import old`` / ``import old.sub`` (no ``as``) execute nothing of the
      shim: the warning comes at the first ``old.X`` / ``old.sub.X`` use,
      attributed to that line (``old.sub`` is looked up on the legacy package).
    * ``importlib.import_module("old.sub")``, ``pkgutil.resolve_name`` and
      pickles naming ``old.sub.deep`` get the cached canonical module object
      itself from sys.modules; nothing of the shim runs, so they cannot warn.
    """
    run = project.run_script(
        """
        import importlib, pickle, pkgutil
        import canon.sub.deep
        data = pickle.dumps(canon.sub.deep.Deep(1), protocol=2).replace(b"canon.sub.deep", b"old.sub.deep")
        import old.sub.deep  # @first
        import old  # @bare
        old.make  # @use
        import old.sub  # @bare_sub
        old.sub.SubThing  # @use_sub
        m = importlib.import_module("old.sub")  # @cached
        m.SubThing
        pkgutil.resolve_name("old.sub:SubThing")  # @resolve
        pickle.loads(data)  # @pickle
        report()
        """
    )
    lines = [w["line"] for w in run.shim_warnings()]
    L = run.lines
    assert lines == [L["first"], L["use"], L["use_sub"]]


# --- visibility under the default filters ---------------------------------------------


def test_default_filters_hide_deprecation_in_libraries_and_show_near_removal(make_project):
    deprecated = make_project(version="1.5")
    run = deprecated.run_script("import lib.user\n", prelude=False)
    assert run.stderr == ""
    shown_in_main = deprecated.run_script("from old import Thing\n", prelude=False, name="main2.py")
    assert "RemovedIn20Warning" in shown_in_main.stderr  # DeprecationWarning is shown in __main__
    near = make_project(version="2.2", remove_in="2.3")
    run = near.run_script("import lib.user\n", prelude=False)
    assert "RemovedIn23FutureWarning" in run.stderr and "lib/user.py:1" in run.stderr


def test_filter_changes_are_honoured_for_a_site_already_warned(project):
    # The hot path skips re-issuing a warning that Python would drop anyway; any
    # change of the filters (catch_warnings, simplefilter) must end that.
    run = project.run_script(
        """
        import mixed
        _warnings.simplefilter("default")
        def use():
            return mixed.OldThing  # @site
        use(); use()
        with _warnings.catch_warnings(record=True) as rec:
            _warnings.simplefilter("always")
            use(); use()
        _warnings.simplefilter("error")
        try:
            use()
            raised = False
        except Warning:
            raised = True
        report(recorded=[w.lineno for w in rec], raised=raised)
        """
    )
    site = run.lines["site"]
    assert [w["line"] for w in run.shim_warnings()] == [site]
    assert run.data["recorded"] == [site, site]
    assert run.data["raised"] is True
