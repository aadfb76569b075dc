"""Double-execution detector: one module file live under two module names."""

from __future__ import annotations

GUARDED = {
    "pkgx/__init__.py": "",
    "pkgx/mod.py": """\
        from shims import guard_single_execution
        DUPLICATES = guard_single_execution(__name__, __file__)


        class Registry:
            pass


        if __name__ == "__main__":
            import pkgx.mod  # the library file run as a script imports itself
        """,
}


def dup_warnings(run):
    return [w for w in run.warnings if w["cat"] == "DuplicateImplementationWarning"]


def test_sys_path_overlap_is_reported_naming_both(project):
    project.write(GUARDED)
    run = project.run_script(
        """
        import pkgx.mod  # @first
        import src.pkgx.mod  # the project root is on sys.path too  # @second
        import sys
        report(second=list(sys.modules["src.pkgx.mod"].DUPLICATES), first=list(pkgx.mod.DUPLICATES),
               two_classes=sys.modules["src.pkgx.mod"].Registry is not pkgx.mod.Registry)
        """
    )
    assert run.data["first"] == [] and run.data["second"] == ["pkgx.mod"] and run.data["two_classes"]
    [w] = dup_warnings(run)
    assert "'src.pkgx.mod'" in w["msg"] and "'pkgx.mod'" in w["msg"] and "executed a second time" in w["msg"]
    assert w["line"] == run.lines["second"] and w["file"] == str(run.path)


def test_script_that_is_also_imported(project):
    project.write(GUARDED)
    run = project.run(["-W", "always", str(project.src / "pkgx" / "mod.py")])
    assert run.returncode == 0, run.stderr
    assert "DuplicateImplementationWarning" in run.stderr
    assert "'pkgx.mod'" in run.stderr and "'__main__'" in run.stderr


def test_visible_by_default(project):
    project.write(GUARDED)
    path, _ = project.script("import pkgx.mod\nimport src.pkgx.mod\n", prelude=False)
    run = project.run([str(path)])
    assert "DuplicateImplementationWarning" in run.stderr


def test_forwarder_checks_its_target(project):
    run = project.run_script(
        """
        import src.canon.core  # a second copy of the canonical module, loaded first
        import oldmod  # forward_module imports canon.core, finds the other copy  # @fwd
        report()
        """
    )
    [w] = dup_warnings(run)
    assert "'canon.core'" in w["msg"] and "'src.canon.core'" in w["msg"]
    assert w["line"] == run.lines["fwd"]


def test_aliases_are_not_duplicates(project):
    run = project.run_script(
        """
        import old.sub.deep, oldmod, mixed, canon.sub.deep
        from old.sub import deep
        import shims
        report(found=list(shims.guard_single_execution("canon.sub.deep", canon.sub.deep.__file__)))
        """
    )
    assert dup_warnings(run) == [] and run.data["found"] == []


def test_forward_symbols_reports_a_local_second_copy(project):
    project.write(
        {
            "dup.py": """\
                import canon.core


                class OldThing:  # a leftover copy of the class that moved
                    pass


                from canon.core import make as old_make  # the same object: fine
                from shims import forward_symbols
                forward_symbols(__name__, {"OldThing": "canon.core:Thing", "old_make": "canon.core:make"},
                                version="1.5", since="1.0")
                """
        }
    )
    run = project.run_script(
        """
        import dup, canon
        thing = dup.OldThing is canon.Thing
        make = dup.old_make is canon.make
        report(thing=thing, make=make)
        """
    )
    assert run.data["thing"] and run.data["make"]
    [w] = dup_warnings(run)
    assert "dup.OldThing" in w["msg"] and "canon.core:Thing" in w["msg"]
    # the bindings were removed, so both names still go through the shim (warn, count)
    assert len(run.shim_warnings()) == 2
