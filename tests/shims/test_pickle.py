"""Pickles that name legacy paths load into the canonical classes; re-pickling writes canonical paths."""

from __future__ import annotations

import json
import pickle

import pytest

from tests.shims.conftest import Run

# Written by a process that has no shims: classes *defined* under the legacy names,
# as an old release of the application would have had them.
WRITER = r'''
import base64, json, pickle, sys, types

def fake(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

def klass(module, qualname, bases=()):
    def __init__(self, value=0):
        self.value = value
    cls = type(qualname.rpartition(".")[2], bases, {"__init__": __init__})
    cls.__module__, cls.__qualname__ = module, qualname
    return cls

Thing = klass("old", "Thing")
Deep = klass("old.sub.deep", "Deep")
Outer = klass("oldmod", "Outer")
Outer.Inner = klass("oldmod", "Outer.Inner")
OldThing = klass("mixed", "OldThing")
fake("old", Thing=Thing)
fake("old.sub")
fake("old.sub.deep", Deep=Deep)
fake("oldmod", Outer=Outer)
fake("mixed", OldThing=OldThing)

objs = {"old:Thing": Thing(1), "old.sub.deep:Deep": Deep(2), "oldmod:Outer.Inner": Outer.Inner(3),
        "mixed:OldThing": OldThing(4), "list": [Thing(5), OldThing(6)]}
out = {}
for proto in range(pickle.HIGHEST_PROTOCOL + 1):
    for key, obj in objs.items():
        out[f"{key}@{proto}"] = base64.b64encode(pickle.dumps(obj, protocol=proto)).decode()
print(json.dumps(out))
'''

READER = r'''
import base64, json, pickle, pickletools, sys
import canon, canon.core, canon.sub.deep
EXPECT = {"old:Thing": canon.core.Thing, "old.sub.deep:Deep": canon.sub.deep.Deep,
          "oldmod:Outer.Inner": canon.core.Outer.Inner, "mixed:OldThing": canon.core.Thing}
LEGACY = {"old", "old.sub.deep", "oldmod", "mixed"}

def modules_named(data):
    names, strings = set(), []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            names.add(arg.split(" ")[0])
        elif op.name == "STACK_GLOBAL":
            names.add(strings[-2])
        if isinstance(arg, str):
            strings.append(arg)
    return names

blobs = json.load(open(sys.argv[1]))
results = {}
for key, b64 in sorted(blobs.items()):
    data = base64.b64decode(b64)
    what = key.split("@")[0]
    obj = pickle.loads(data)  # @load
    items = obj if isinstance(obj, list) else [obj]
    wanted = [canon.core.Thing, canon.core.Thing] if what == "list" else [EXPECT[what]]
    again = pickle.dumps(obj, protocol=int(key.split("@")[1]))
    results[key] = {
        "identity": [type(o) is w for o, w in zip(items, wanted)],
        "values": [o.value for o in items],
        "repickled_modules": sorted(modules_named(again)),
        "legacy_in_repickle": sorted(modules_named(again) & LEGACY),
        "roundtrip": [type(o) is w for o, w in zip(pickle.loads(again) if isinstance(obj, list) else [pickle.loads(again)], wanted)],
    }
report(results=results)
'''


@pytest.fixture
def legacy_pickles(project):
    run = project.run(["-c", WRITER])
    assert run.returncode == 0, run.stderr
    path = project.root / "pickles.json"
    path.write_text(run.stdout)
    return path


def test_legacy_pickles_load_into_canonical_classes(project, legacy_pickles):
    path, lines = project.script(READER)
    run = project.run([str(path), str(legacy_pickles)])
    assert run.returncode == 0, run.stderr
    results = Run(run.proc).data["results"]
    assert len(results) == 5 * (pickle.HIGHEST_PROTOCOL + 1)
    for key, r in results.items():
        assert all(r["identity"]), key
        assert all(r["roundtrip"]), key
        assert r["legacy_in_repickle"] == [], (key, r)
        assert set(r["repickled_modules"]) <= {"canon.core", "canon.sub.deep", "builtins", "copyreg", "__builtin__", "copy_reg"}, (key, r)
    assert results["old:Thing@2"]["values"] == [1]
    assert results["list@5"]["values"] == [5, 6]
    warns = [w for w in Run(run.proc).warnings if "legacy import path" in w["msg"]]
    assert warns and all(w["file"] == str(path) and w["line"] == lines["load"] for w in warns)


def test_hand_built_pickle_bytes(project):
    run = project.run_script(
        """
        import pickle, canon.core
        canonical = pickle.dumps(canon.core.Thing(7), protocol=2)
        legacy = canonical.replace(b"ccanon.core\\nThing\\n", b"cold\\nThing\\n")
        assert legacy != canonical
        obj = pickle.loads(legacy)  # @load
        report(same=type(obj) is canon.core.Thing, value=obj.value, repickled=pickle.dumps(obj, protocol=2) == canonical)
        """
    )
    assert run.data["same"] and run.data["value"] == 7 and run.data["repickled"]
    [w] = run.shim_warnings()
    assert w["line"] == run.lines["load"] and "'old'" in w["msg"]


def test_removed_path_in_a_pickle(make_project):
    """Past remove_in a legacy pickle no longer loads.

    The pure-Python unpickler shows LegacyImportError with the new path.  The C
    unpickler turns any AttributeError from the module into its own
    "Can't get attribute ..." error (documented limitation: the shim's message
    is not shown there).
    """
    run = make_project(version="2.0").run_script(
        """
        import pickle
        import mixed
        data = b"\\x80\\x02cmixed\\nOldThing\\nq\\x00."
        out = {}
        for name, loads in [("py", pickle._loads), ("c", pickle.loads)]:
            try:
                loads(data)
            except Exception as e:
                out[name] = [type(e).__name__, str(e)]
        report(**out)
        """
    )
    assert run.data["py"][0] == "LegacyImportError" and "canon.core:Thing" in run.data["py"][1]
    assert run.data["c"][0] in ("AttributeError", "LegacyAttributeError")
    assert "OldThing" in run.data["c"][1]


def test_reader_sees_no_shim_for_canonical_pickles(project):
    run = project.run_script(
        """
        import pickle, canon.core
        obj = pickle.loads(pickle.dumps(canon.core.Thing(1)))
        report(ok=type(obj) is canon.core.Thing)
        """
    )
    assert run.data["ok"] and run.shim_warnings() == []
    assert json.dumps(run.data)  # plain data
