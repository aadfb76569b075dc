"""Writes through a legacy path reach the canonical module (issue 14, part 1).

``oldmod`` forwards the whole module ``canon.core``; ``mixed`` stays and
forwards ``OldThing``/``OldInner``/``old_make`` to names in ``canon.core``.
Every case runs in a fresh interpreter (see conftest).
"""

from __future__ import annotations


def test_mock_patch_object_and_patch_string_reach_the_canonical_module(project):
    run = project.run_script(
        """
        from unittest import mock
        import oldmod as m, canon.core as c
        orig, order = c.REGISTRY, list(vars(c))
        with mock.patch.object(m, "REGISTRY", {"x": 1}):  # @obj
            inside_obj = c.REGISTRY
            via_legacy = m.REGISTRY is c.REGISTRY
        after_obj = c.REGISTRY is orig
        order_kept = list(vars(c)) == order
        with mock.patch("oldmod.REGISTRY", {"y": 1}):  # @str
            inside_str = c.REGISTRY
        @mock.patch("oldmod.make", return_value="patched")
        def decorated(_mocked):
            return c.make(1)
        report(inside_obj=inside_obj, via_legacy=via_legacy, after_obj=after_obj,
               inside_str=inside_str, after_str=c.REGISTRY is orig, decorated=decorated(),
               make_restored=c.make(2).value, own="REGISTRY" in vars(m),
               same_keys=sorted(vars(c)) == sorted(order), order_kept=order_kept)
        """
    )
    d = run.data
    assert d["inside_obj"] == {"x": 1} and d["via_legacy"] and d["after_obj"]
    assert d["inside_str"] == {"y": 1} and d["after_str"]
    assert d["decorated"] == "patched" and d["make_restored"] == 2
    assert d["own"] is False  # nothing is left behind on the legacy module
    # mock.patch restores a non-local attribute by delattr + setattr: same objects,
    # same names, but the restored names move to the end of the canonical __dict__.
    assert d["same_keys"] and d["order_kept"] is False
    lines = {w["line"] for w in run.shim_warnings()}
    assert {run.lines["obj"], run.lines["str"]} <= lines
    assert [w for w in run.shim_warnings() if w["file"] != str(run.path)] == []  # never inside unittest.mock


def test_setattr_delattr_and_names_the_canonical_module_does_not_define(project):
    run = project.run_script(
        """
        import oldmod as m, canon.core as c
        m._instance = None  # @reset
        created = c.__dict__.get("_instance", "absent"), "_instance" in vars(m)
        m.REGISTRY = {"new": 1}
        replaced = c.REGISTRY == {"new": 1} and m.REGISTRY is c.REGISTRY
        del m._instance
        deleted = "_instance" in vars(c)
        try:
            del m.Missing
        except AttributeError as e:
            missing = str(e)
        m.__doc__ = "legacy doc"  # dunders stay the legacy module's own
        report(created=created, replaced=replaced, deleted=deleted, missing=missing,
               doc=(m.__doc__, c.__doc__ != "legacy doc"))
        """
    )
    d = run.data
    assert d["created"] == [None, False]  # created on the canonical module, not the shim
    assert d["replaced"] and d["deleted"] is False
    assert d["missing"] == "module 'oldmod' has no attribute 'Missing'"
    assert d["doc"] == ["legacy doc", True]
    assert run.lines["reset"] in {w["line"] for w in run.shim_warnings()}


def test_monkeypatch_setattr_and_delattr_write_through_and_undo_exactly(project):
    run = project.run_script(
        """
        from _pytest.monkeypatch import MonkeyPatch
        import oldmod as m, canon.core as c
        orig, order = c.REGISTRY, list(vars(c))
        mp = MonkeyPatch()
        mp.setattr(m, "REGISTRY", {"mp": 1})  # @obj
        mp.setattr("oldmod.make", lambda v: "str-form")
        inside = c.REGISTRY, c.make(0)
        mp.delattr(m, "Thing")
        gone = hasattr(c, "Thing")
        mp.undo()
        keys = list(vars(c))
        report(inside=inside, gone=gone, restored=c.REGISTRY is orig and c.make(3).value == 3,
               order_kept=sorted(keys) == sorted(order) and [k for k in keys if k != "Thing"] == [k for k in order if k != "Thing"], own=[n for n in ("REGISTRY", "make", "Thing") if n in vars(m)])
        """
    )
    d = run.data
    assert d["inside"] == [{"mp": 1}, "str-form"] and d["gone"] is False
    # a patched name is restored in place (a deleted one, Thing, comes back at the end)
    assert d["restored"] and d["order_kept"] and d["own"] == []
    assert run.lines["obj"] in {w["line"] for w in run.shim_warnings()}


def test_symbol_moves_write_to_the_canonical_name(project):
    run = project.run_script(
        """
        from unittest import mock
        import mixed, canon.core as c
        Thing, Inner = c.Thing, c.Outer.Inner
        with mock.patch.object(mixed, "OldThing", "T"), mock.patch("mixed.OldInner", "I"):
            inside = c.Thing, c.Outer.Inner, mixed.OldThing
        restored = c.Thing is Thing and c.Outer.Inner is Inner and mixed.OldThing is Thing
        mixed.old_make = "replaced"
        made = c.make
        del mixed.old_make
        gone = hasattr(c, "make")
        mixed.KEEP = "own"  # a name the legacy module defines itself stays its own
        report(inside=inside, restored=restored, made=made, gone=gone,
               keep=(vars(mixed)["KEEP"], hasattr(c, "KEEP")),
               moved_not_local=[n for n in ("OldThing", "OldInner", "old_make") if n in vars(mixed)])
        """
    )
    d = run.data
    assert d["inside"] == ["T", "I", "T"] and d["restored"]
    assert d["made"] == "replaced" and d["gone"] is False
    assert d["keep"] == ["own", False] and d["moved_not_local"] == []


def test_whole_package_forward_writes_through_and_keeps_submodules(project):
    run = project.run_script(
        """
        from unittest import mock
        import old, old.sub, canon, canon.sub
        with mock.patch("old.REGISTRY", {"p": 1}):
            inside = canon.REGISTRY
        report(inside=inside, sub=old.sub is canon.sub, own=[n for n in ("sub", "REGISTRY") if n in vars(old)])
        """
    )
    assert run.data == {**run.data, "inside": {"p": 1}, "sub": True, "own": []}


def test_write_counts_once_per_statement_and_per_site(project):
    run = project.run_script(
        """
        from unittest import mock
        import shims, oldmod as m
        shims.usage(reset=True)
        with mock.patch.object(m, "REGISTRY", {}):  # @patch
            pass
        for i in range(3):
            m.REGISTRY = {}  # @loop
        report(hits={h["line"]: h["count"] for h in shims.usage()["hits"]})
        """
    )
    hits = {int(k): v for k, v in run.data["hits"].items()}
    assert hits[run.lines["patch"]] == 2  # entering (read + write: one) and leaving
    assert hits[run.lines["loop"]] == 3


def test_reload_getmodule_resolve_name_and_pickle_behave_as_canonical(project):
    run = project.run_script(
        """
        import builtins, importlib, inspect, pickle, pkgutil
        import oldmod, canon.core as c
        runs = builtins._EXEC_LOG.count("canon.core")
        old_thing = c.Thing
        again = importlib.reload(oldmod)
        reload = [again is oldmod, builtins._EXEC_LOG.count("canon.core") - runs,
                  oldmod.Thing is c.Thing, c.Thing is not old_thing]
        getmodule = [inspect.getmodule(oldmod.Thing) is c, inspect.getmodule(oldmod.make) is c]
        resolve = [pkgutil.resolve_name("oldmod:REGISTRY") is c.REGISTRY,
                   pkgutil.resolve_name("oldmod.Thing") is c.Thing,
                   pkgutil.resolve_name("mixed:OldInner") is c.Outer.Inner]
        obj = pickle.loads(pickle.dumps(oldmod.make(5)))
        legacy_bytes = b"coldmod\\nThing\\n)\\x81."
        pick = [type(obj) is c.Thing, obj.value, type(pickle.loads(legacy_bytes)) is c.Thing]
        report(reload=reload, getmodule=getmodule, resolve=resolve, pick=pick)
        """
    )
    d = run.data
    assert d["reload"] == [True, 1, True, True]  # reloading the legacy path re-runs the canonical code
    assert d["getmodule"] == [True, True]
    assert d["resolve"] == [True, True, True]
    assert d["pick"] == [True, 5, True]


def test_pytest_monkeypatch_fixture_and_mock_decorator_in_a_real_test_run(project):
    """The way a user's suite does it: fixtures undone at teardown, then the next test sees the original."""
    project.write(
        {
            "test_user.py": """\
                from unittest import mock
                import canon.core
                import oldmod

                ORIGINAL = canon.core.REGISTRY


                def test_patch_via_fixture(monkeypatch):
                    monkeypatch.setattr(oldmod, "REGISTRY", {"fixture": 1})
                    monkeypatch.setattr("oldmod._instance", None, raising=False)
                    assert canon.core.REGISTRY == {"fixture": 1} and canon.core._instance is None


                @mock.patch("oldmod.REGISTRY", {"decorator": 1})
                def test_patch_via_decorator():
                    assert canon.core.REGISTRY == {"decorator": 1}


                def test_everything_restored():
                    assert canon.core.REGISTRY is ORIGINAL
                    assert not hasattr(canon.core, "_instance")
                    assert "REGISTRY" not in vars(oldmod)
                """
        },
        base=project.root,
    )
    run = project.run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", "test_user.py"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
