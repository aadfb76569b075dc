"""dir(), __all__, star imports, hasattr and introspection tools on legacy modules."""

from __future__ import annotations

from tests.shims.conftest import Run


def test_dir_all_and_star_import(project):
    run = project.run_script(
        """
        import old, mixed, oldmod, canon, canon.core
        ns_old, ns_mixed, ns_mod = {}, {}, {}
        exec("from old import *", ns_old)
        exec("from mixed import *", ns_mixed)
        exec("from oldmod import *", ns_mod)
        public = lambda ns: sorted(k for k in ns if not k.startswith("__"))
        report(
            dir_old=dir(old), all_old=old.__all__, star_old=public(ns_old),
            dir_mixed=dir(mixed), all_mixed=mixed.__all__, star_mixed=public(ns_mixed),
            all_mod=oldmod.__all__, star_mod=public(ns_mod),
            canon_public=sorted(k for k in vars(canon.core) if not k.startswith("_")),
            star_identity=ns_old["Thing"] is canon.Thing and ns_mixed["OldThing"] is canon.Thing,
        )
        """
    )
    d = run.data
    for name in ("Thing", "Outer", "REGISTRY", "make", "__file__"):
        assert name in d["dir_old"]
    assert "__getattr__" not in d["dir_old"] and "__dir__" not in d["dir_old"]
    assert d["all_old"] == ["Thing", "Outer", "REGISTRY", "make"]
    assert d["star_old"] == sorted(d["all_old"])
    assert {"OldThing", "OldInner", "old_make", "KEEP", "helper"} <= set(d["dir_mixed"])
    assert d["all_mixed"] == ["KEEP", "helper", "OldThing", "OldInner", "old_make"]
    assert d["star_mixed"] == sorted(d["all_mixed"])
    assert sorted(d["all_mod"]) == d["canon_public"] == d["star_mod"]  # canonical module has no __all__
    assert d["star_identity"]
    # one warning per star statement (the exec'd "<string>" lines), not one per name
    assert len([w for w in run.shim_warnings() if w["file"] == "<string>"]) == 3


def test_existing_all_gets_the_forwarded_names(project):
    project.write(
        {
            "withall.py": """\
                __all__ = ["kept"]
                kept = 1
                from shims import forward_symbols
                forward_symbols(__name__, {"Moved": "canon.core:Thing"}, version="1.5", since="1.0")
                """
        }
    )
    run = project.run_script("import withall\nns = {}\nexec('from withall import *', ns)\nreport(all=withall.__all__, star=sorted(k for k in ns if not k.startswith('__')))\n")
    assert run.data["all"] == ["kept", "Moved"] and run.data["star"] == ["Moved", "kept"]


def test_hasattr_missing_is_false_and_attribute_error(project):
    run = project.run_script(
        """
        import old, mixed, oldmod
        out = {}
        for mod in (old, mixed, oldmod):
            out[mod.__name__] = [hasattr(mod, "Missing"), getattr(mod, "Missing", "dflt")]
            try:
                mod.Missing
            except Exception as e:
                out[mod.__name__].append(type(e).__name__)
                out[mod.__name__].append(isinstance(e, ImportError))
        report(**out)
        """
    )
    for name in ("old", "mixed", "oldmod"):
        assert run.data[name] == [False, "dflt", "AttributeError", False]


def test_existing_module_getattr_is_chained(project):
    project.write(
        {
            "lazy.py": """\
                def __getattr__(name):
                    if name == "dynamic":
                        return 42
                    raise AttributeError(name)

                from shims import forward_symbols
                forward_symbols(__name__, {"Moved": "canon.core:Thing"}, version="1.5", since="1.0")
                """
        }
    )
    run = project.run_script("import lazy, canon\nreport(d=lazy.dynamic, m=lazy.Moved is canon.Thing, h=hasattr(lazy, 'x'))\n")
    assert run.data["d"] == 42 and run.data["m"] and run.data["h"] is False


INTROSPECT = """
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import old, old.sub, oldmod  # importing is a legacy use; -W error would stop it here
import mixed, inspect, pydoc, io, contextlib
out = {"dir": len(dir(old)) > 10 and "OldThing" in dir(mixed)}
out["hasattr_missing"] = [hasattr(m, "Missing") for m in (old, mixed, oldmod)]
# under -W error a probe of a forwarded name sees no legacy name (AttributeError, not a crash)
out["hasattr_forwarded"] = [hasattr(old, "Thing"), hasattr(mixed, "OldThing")]
out["getattr_default"] = getattr(mixed, "OldThing", "dflt")
out["members_old"] = sorted(n for n, _ in inspect.getmembers(old) if not n.startswith("_"))
out["members_mixed"] = sorted(n for n, _ in inspect.getmembers(mixed) if not n.startswith("_"))
out["pydoc"] = "Thing" in pydoc.render_doc(old) and "OldThing" in pydoc.render_doc(mixed)
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    help(old)
    help(mixed)
out["help"] = "legacy" in buf.getvalue().lower()
try:
    old.Thing
except Warning as e:
    out["use"] = type(e).__name__
print("RESULT:" + __import__("json").dumps(out))
"""


def test_introspection_does_not_crash_under_W_error(project):
    path, _ = project.script(INTROSPECT, prelude=False)
    run = project.run(["-W", "error", str(path)])
    assert run.returncode == 0, run.stderr
    d = Run(run.proc).data
    assert d["dir"] and d["pydoc"] and d["help"]
    assert d["hasattr_missing"] == [False, False, False]
    assert d["hasattr_forwarded"] == [False, False]
    assert d["getattr_default"] == "dflt"
    assert {"Thing", "REGISTRY", "make", "sub"} <= set(d["members_old"])
    assert {"OldThing", "OldInner", "old_make", "KEEP"} <= set(d["members_mixed"])
    assert d["use"] == "RemovedIn20Warning"  # a real use still fails loudly


def test_introspection_is_not_a_use(project):
    run = project.run_script(
        """
        import old, mixed, inspect, pydoc, shims
        shims.usage(reset=True)
        _W.clear()
        inspect.getmembers(old); inspect.getmembers(mixed); pydoc.render_doc(mixed); dir(old)
        report(hits=shims.usage()["hits"])
        """
    )
    assert run.data["hits"] == [] and run.shim_warnings() == []
