"""Identity: legacy paths hand out the canonical objects themselves, never copies."""

from __future__ import annotations

import pytest


def test_names_are_the_canonical_objects(project):
    run = project.run_script(
        """
        import canon, canon.core
        from old import Thing, REGISTRY, make
        import old, oldmod, mixed
        from oldmod import Thing as T2
        from mixed import OldThing, OldInner, old_make

        same = [
            Thing is canon.Thing, old.Thing is canon.Thing, T2 is canon.core.Thing,
            oldmod.Thing is canon.Thing, OldThing is canon.Thing, mixed.OldThing is canon.Thing,
            OldInner is canon.core.Outer.Inner, old_make is canon.make,
            REGISTRY is canon.REGISTRY, old.REGISTRY is canon.core.REGISTRY,
        ]
        REGISTRY["via-legacy"] = 1  # one singleton: visible from the canonical path
        report(
            same=same,
            isinstance_both=[isinstance(canon.Thing(), old.Thing), isinstance(old.Thing(), canon.Thing),
                             isinstance(mixed.OldThing(), canon.core.Thing)],
            mro_same=old.Thing.__mro__ == canon.Thing.__mro__,
            class_module=old.Thing.__module__,
            registry=canon.core.REGISTRY,
            exec_log=__import__("builtins")._EXEC_LOG,
        )
        """
    )
    d = run.data
    assert all(d["same"]), d["same"]
    assert all(d["isinstance_both"])
    assert d["mro_same"] and d["class_module"] == "canon.core"
    assert d["registry"] == {"via-legacy": 1}
    # every canonical module body ran exactly once: nothing re-executed under a legacy name
    assert sorted(d["exec_log"]) == ["canon", "canon.core"]


@pytest.mark.parametrize("canonical_first", [True, False])
def test_submodules_every_import_form(project, canonical_first):
    run = project.run_script(
        f"""
        import importlib, pkgutil, sys
        if {canonical_first!r}:
            import canon.sub.deep
        import old.sub
        import canon, canon.sub, canon.sub.deep
        forms = {{}}
        forms["import"] = old.sub is canon.sub
        from old import sub
        forms["from"] = sub is canon.sub
        forms["import_module"] = importlib.import_module("old.sub") is canon.sub
        forms["resolve_name"] = pkgutil.resolve_name("old.sub:SubThing") is canon.sub.SubThing
        import old.sub.deep
        forms["deep"] = old.sub.deep is canon.sub.deep
        from old.sub import deep
        forms["from_deep"] = deep is canon.sub.deep
        forms["import_module_deep"] = importlib.import_module("old.sub.deep") is canon.sub.deep
        forms["sys_modules"] = sys.modules["old.sub"] is canon.sub and sys.modules["old.sub.deep"] is canon.sub.deep
        forms["isinstance"] = isinstance(canon.sub.deep.Deep(), old.sub.deep.Deep)
        report(forms=forms, specs=[canon.__spec__.name, canon.sub.__spec__.name, canon.sub.deep.__spec__.name],
               files=[canon.sub.__file__.endswith("sub/__init__.py")],
               exec_log=__import__("builtins")._EXEC_LOG)
        """
    )
    d = run.data
    assert d["forms"] == {k: True for k in d["forms"]}, d["forms"]
    assert d["specs"] == ["canon", "canon.sub", "canon.sub.deep"]
    assert sorted(d["exec_log"]) == ["canon", "canon.core", "canon.sub", "canon.sub.deep"]


def test_canonical_reload_keeps_spec_and_identity(project):
    run = project.run_script(
        """
        import importlib, sys
        import old.sub
        import canon, canon.core, canon.sub
        before = canon.core.Thing
        spec_before = canon.sub.__spec__
        reloaded = importlib.reload(canon.sub)
        core = importlib.reload(canon.core)
        report(
            reload_sub_same_object=reloaded is canon.sub and old.sub is canon.sub,
            spec_intact=spec_before.name == "canon.sub" and canon.sub.__spec__.name == "canon.sub"
            and type(canon.sub.__spec__.loader).__name__ == "SourceFileLoader",
            new_class=canon.core.Thing is not before,
            legacy_follows_reload=__import__("oldmod").Thing is canon.core.Thing
            and __import__("mixed").OldThing is canon.core.Thing,
            reload_legacy_ok=importlib.reload(sys.modules["old"]) is sys.modules["old"],
            still_forwarding=sys.modules["old"].sub is canon.sub,
        )
        """
    )
    assert all(run.data[k] for k in run.data if k != "warnings"), run.data


def test_missing_names_and_modules(project):
    run = project.run_script(
        """
        import old
        out = {}
        try:
            import old.nope
        except ModuleNotFoundError as e:
            out["nope"] = e.name
        try:
            from old import Nope
        except ImportError as e:
            out["from_nope"] = type(e).__name__
        try:
            old.Nope
        except AttributeError as e:
            out["attr"] = [type(e).__name__, str(e)]
        report(**out)
        """
    )
    d = run.data
    assert d["nope"] == "old.nope"
    assert d["from_nope"] == "ImportError"
    assert d["attr"] == ["AttributeError", "module 'old' has no attribute 'Nope'"]


def test_real_file_in_legacy_package_wins_over_alias(project):
    project.write(
        {
            "old/extra.py": "VALUE = 'real legacy module that stays'\n",
            "old/core.py": "from shims import forward_module\nforward_module(__name__, 'canon.core', since='1.0', remove_in='2.0', version='1.5')\n",
        }
    )
    project.write({"canon/sub/__pycache__/.keep": ""})  # leftover dirs must not turn into namespace packages
    (project.src / "old" / "sub" / "__pycache__").mkdir(parents=True)
    run = project.run_script(
        """
        import old.extra, old.core, old.sub, canon, canon.core
        report(extra=old.extra.VALUE, core_is_shim=old.core is not canon.core,
               core_forwards=old.core.Thing is canon.core.Thing, sub=old.sub is canon.sub)
        """
    )
    d = run.data
    assert d["extra"] == "real legacy module that stays"
    assert d["core_is_shim"] and d["core_forwards"] and d["sub"]


def test_legacy_plain_module_forwarding_to_a_package(project):
    project.write(
        {"oldflat.py": "from shims import forward_module\nforward_module(__name__, 'canon', version='1.5', since='1.0')\n"}
    )
    run = project.run_script(
        """
        import oldflat.sub.deep, canon.sub.deep
        from oldflat.sub import deep
        report(ok=oldflat.sub.deep is canon.sub.deep and deep is canon.sub.deep, path=oldflat.__path__)
        """
    )
    assert run.data["ok"] and run.data["path"] == []


def test_generated_import_is_not_part_of_the_legacy_api(project):
    run = project.run_script(
        """
        import old, mixed
        report(old_has=hasattr(old, "forward_module"), mixed_all=mixed.__all__)
        """
    )
    assert run.data["old_has"] is False
    assert "forward_symbols" not in run.data["mixed_all"]


def test_target_inside_legacy_package_is_rejected(project):
    project.write({"selfref/__init__.py": "from shims import forward_module\nforward_module(__name__, 'selfref.impl')\n"})
    run = project.run_script(
        """
        try:
            import selfref
        except ValueError as e:
            report(err=str(e))
        """
    )
    assert "cannot live inside" in run.data["err"]


def test_python_dash_m_runs_the_canonical_module(project):
    run = project.run(["-W", "always", "-m", "old"])
    assert run.returncode == 0, run.stderr
    assert "canon main running as __main__" in run.stdout
    assert "legacy import path 'old'" in run.stderr
