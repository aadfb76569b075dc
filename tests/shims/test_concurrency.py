"""32 threads importing legacy and canonical paths at once: one module, one class, no deadlock."""

from __future__ import annotations

import pytest

RACE = """
import importlib, sys, threading, builtins
if PRELOAD:
    __import__(PRELOAD)
N = 32
barrier = threading.Barrier(N)
results, errors = [None] * N, []

def legacy_sub():
    import old.sub.deep
    return [sys.modules["old.sub.deep"], old.sub.deep.Deep]

def legacy_from():
    from old import Thing, REGISTRY
    return [Thing, REGISTRY]

def legacy_module():
    return [importlib.import_module("old.sub"), importlib.import_module("oldmod").Thing]

def legacy_symbol():
    import mixed
    return [mixed.OldThing, mixed.old_make]

def canonical():
    # Not "import canon.core" here: racing "import canon" against "import canon.core"
    # (which canon/__init__ imports itself) can raise importlib's _DeadlockError in
    # CPython without any shim involved (see test_targets_are_imported_parent_first).
    # Nor attribute chains right after "import canon.sub.deep": CPython binds canon.sub
    # only when the thread importing canon.sub finishes (also shown without shims).
    deep = importlib.import_module("canon.sub.deep")
    return [deep, deep.Deep, importlib.import_module("canon.core").Thing]

def category():
    import shims
    return [getattr(shims, "RemovedIn30Warning"), shims.removed_in_warning("3.0", future=True)]

KINDS = [legacy_sub, legacy_from, legacy_module, legacy_symbol, canonical, category]

def worker(i):
    try:
        barrier.wait()
        results[i] = (KINDS[i % len(KINDS)].__name__, KINDS[i % len(KINDS)]())
    except BaseException as e:
        import traceback
        errors.append(repr(e) + traceback.format_exc())

threads = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
for t in threads: t.start()
for t in threads: t.join(30)
assert not any(t.is_alive() for t in threads), "deadlock"

if errors:
    report(errors=errors)
    raise SystemExit(0)
import canon, canon.core, canon.sub.deep, shims
ids = {}
for name, objs in results:
    ids.setdefault(name, set()).add(tuple(id(o) for o in objs))
expect_module = canon.sub.deep
report(
    errors=errors,
    distinct={k: len(v) for k, v in ids.items()},
    deep_identity=all(objs[0] is canon.sub.deep and objs[1] is canon.sub.deep.Deep for n, objs in results if n == "legacy_sub"),
    thing_identity=all(objs[0] is canon.core.Thing for n, objs in results if n in ("legacy_from", "legacy_symbol")),
    sub_identity=all(objs[0] is canon.sub for n, objs in results if n == "legacy_module"),
    category_identity=all(objs[0] is shims.RemovedIn30Warning and objs[1]._legacy_twin is shims.RemovedIn30Warning
                          for n, objs in results if n == "category"),
    exec_log=sorted(builtins._EXEC_LOG),
)
"""


@pytest.mark.parametrize("preload", ["shims", "shims", "shims", "old"])
def test_threads_share_one_module_and_one_class(project, preload):
    """Repeated rounds in fresh interpreters; ``shims`` imported before the race.

    (Without that, the very first legacy package import can lose a race that no
    library can win: see test_first_import_window_needs_shims_loaded.)
    """
    run = project.run_script(f"PRELOAD = {preload!r}\n" + RACE, timeout=60)
    d = run.data
    assert d["errors"] == []
    assert d["distinct"] == {k: 1 for k in d["distinct"]} and len(d["distinct"]) == 6
    assert d["deep_identity"] and d["thing_identity"] and d["sub_identity"] and d["category_identity"]
    assert d["exec_log"] == ["canon", "canon.core", "canon.sub", "canon.sub.deep"]


SLOW = """
import sys, threading, time
import shims  # loaded, as in any process that already used one shim
results = {}

def first():
    import slowold  # its canonical package takes a while to import
    results["first"] = slowold

def second():
    while "slowold" not in sys.modules:
        time.sleep(0.001)
    import slowold.sub  # parent still initializing in the other thread
    results["second"] = slowold.sub

threads = [threading.Thread(target=first), threading.Thread(target=second)]
for t in threads: t.start()
for t in threads: t.join(30)
import slowcanon.sub
report(ok=results.get("second") is slowcanon.sub, alive=[t.is_alive() for t in threads])
"""


def test_submodule_import_waits_for_a_legacy_package_still_initializing(project):
    project.write(
        {
            "slowcanon/__init__.py": "import time\ntime.sleep(0.3)\n",
            "slowcanon/sub.py": "X = 1\n",
            "slowold/__init__.py": "from shims import forward_module\nforward_module(__name__, 'slowcanon', version='1.0')\n",
        }
    )
    run = project.run_script(SLOW, timeout=60)
    assert run.data == {"ok": True, "alive": [False, False], "warnings": run.data["warnings"]}


def test_missing_optional_submodule_during_own_init_still_raises(project):
    # The late finder must not change the common "try: from . import _speedups" pattern.
    project.write(
        {
            "opt/__init__.py": "try:\n    from . import _speedups\nexcept ImportError as e:\n    ERR = (type(e).__name__, e.name)\n",
        }
    )
    run = project.run_script("import shims, opt\nreport(err=opt.ERR)\n")
    assert run.data["err"] == ["ImportError", "opt"]  # exactly what Python gives without shims


INVERSION = """
import sys, threading, time

class SlowFinder:  # widens the window between taking the 'canon' lock and publishing the module
    def find_spec(self, name, path=None, target=None):
        if name == "canon":
            time.sleep(0.1)
        return None

sys.meta_path.insert(0, SlowFinder())
import shims
barrier, errors, got = threading.Barrier(2), [], {}

def first():
    barrier.wait()
    try:
        import canon
    except BaseException as e:
        errors.append(repr(e))

def second():
    barrier.wait()
    time.sleep(0.02)
    try:
        from oldmod import Thing  # the shim imports canon.core while canon is being imported
        got["thing"] = Thing
    except BaseException as e:
        errors.append(repr(e))

threads = [threading.Thread(target=first), threading.Thread(target=second)]
for t in threads: t.start()
for t in threads: t.join(30)
import canon.core
report(errors=errors, same=got.get("thing") is canon.core.Thing)
"""


def test_targets_are_imported_parent_first(project):
    run = project.run_script(INVERSION, timeout=60)
    assert run.data["errors"] == [] and run.data["same"]


WINDOW = """
import builtins, sys, threading, time
if PRELOAD:
    import shims
builtins.RELEASE = threading.Event()
results = {}

def first():
    import slowlegacy  # blocks before its "from shims import forward_module" line

def second():
    while "slowlegacy" not in sys.modules:
        time.sleep(0.001)
    if PRELOAD:
        builtins.RELEASE.set()  # let the package finish; the import below must wait for it
    try:
        import slowlegacy.sub
        results["second"] = "ok" if slowlegacy.sub is sys.modules["canon.sub"] else "wrong object"
    except ImportError as e:
        results["second"] = type(e).__name__
    builtins.RELEASE.set()

threads = [threading.Thread(target=first), threading.Thread(target=second)]
for t in threads: t.start()
for t in threads: t.join(30)
report(**results)
"""


@pytest.mark.parametrize("preload, expected", [(True, "ok"), (False, "ModuleNotFoundError")])
def test_first_import_window_needs_shims_loaded(project, preload, expected):
    """The documented limit: nothing of shims exists yet to catch the lookup.

    Python imports ``pkg.sub`` as soon as ``pkg`` is in sys.modules, without
    waiting for ``pkg/__init__`` to finish in the other thread.  With ``shims``
    already imported, the late finder makes that lookup wait; without it, the
    lookup fails exactly as it would for any package whose ``__init__`` provides
    its submodules.  (Deterministic: the legacy package waits on an event that
    the other thread sets only after its attempt when ``shims`` is not loaded.)
    """
    project.write(
        {
            "slowlegacy/__init__.py": "import builtins\nbuiltins.RELEASE.wait(10)\n"
            "from shims import forward_module\nforward_module(__name__, 'canon', version='1.0')\n"
        }
    )
    run = project.run_script(f"PRELOAD = {preload!r}\n" + WINDOW, timeout=60)
    assert run.data["second"] == expected
