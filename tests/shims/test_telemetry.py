"""Usage telemetry: in-process counts per site, and the JSON file merged at exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from shims import telemetry

USE = """
import shims
from old import Thing  # @a
import old.sub  # @b
import mixed
for _ in range(3):
    mixed.OldThing  # @c
from mixed import OldInner  # @d
report(usage=shims.usage())
"""


def check_schema(doc: dict) -> None:
    assert set(doc) == {"version", "registered", "hits"}
    assert doc["version"] == 1
    for r in doc["registered"]:
        assert set(r) == {"shim", "legacy", "target", "kind", "since", "remove_in"}
        assert r["kind"] in ("module", "submodule", "symbol")
    for h in doc["hits"]:
        assert set(h) == {"shim", "legacy", "target", "kind", "file", "line", "count"}
        assert isinstance(h["line"], int) and isinstance(h["count"], int) and h["count"] > 0
        assert h["kind"] in ("module", "submodule", "symbol")


def hit_rows(doc: dict) -> list[tuple]:
    return sorted((h["legacy"], h["target"], h["kind"], os.path.basename(h["file"]), h["line"], h["count"]) for h in doc["hits"])


def test_usage_in_process(project):
    run = project.run_script(USE)
    doc = run.data["usage"]
    check_schema(doc)
    L = run.lines
    assert hit_rows(doc) == sorted(
        [
            ("old", "canon", "module", "main.py", L["a"], 1),
            ("old.sub", "canon.sub", "submodule", "main.py", L["b"], 1),
            ("mixed:OldThing", "canon.core:Thing", "symbol", "main.py", L["c"], 3),
            ("mixed:OldInner", "canon.core:Outer.Inner", "symbol", "main.py", L["d"], 1),
        ]
    )
    regs = {(r["shim"], r["legacy"], r["target"], r["kind"]) for r in doc["registered"]}
    assert ("old", "old", "canon", "module") in regs
    assert ("mixed", "mixed:old_make", "canon.core:make", "symbol") in regs  # loaded, never used
    assert all(r["since"] == "1.0" and r["remove_in"] == "2.0" for r in doc["registered"])


def test_counts_in_silent_mode_too(project):
    run = project.run_script(USE, env={"SSOT_SHIMS_MODE": "silent"})
    assert run.shim_warnings() == []
    assert sum(h["count"] for h in run.data["usage"]["hits"]) == 6


def test_usage_file_written_at_exit_and_merged(project, tmp_path):
    target = tmp_path / "evidence" / "shims-usage.json"  # directory does not exist yet
    env = {"SSOT_SHIMS_USAGE_FILE": str(target)}
    first = project.run_script(USE, env=env)
    doc1 = json.loads(target.read_text())
    check_schema(doc1)
    assert doc1 == first.data["usage"]
    project.run_script(USE, env=env)
    doc2 = json.loads(target.read_text())
    assert [h["count"] for h in doc2["hits"]] == [2 * h["count"] for h in doc1["hits"]]
    assert doc2["registered"] == doc1["registered"]
    leftovers = [p.name for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_no_file_without_the_variable_or_without_shims(project, tmp_path):
    target = tmp_path / "u.json"
    project.run_script(USE)
    project.run_script("import canon\nreport()\n", env={"SSOT_SHIMS_USAGE_FILE": str(target)})
    assert not target.exists()


def test_corrupt_file_is_kept_aside(project, tmp_path):
    target = tmp_path / "u.json"
    target.write_text("{ not json")
    project.run_script(USE, env={"SSOT_SHIMS_USAGE_FILE": str(target)})
    check_schema(json.loads(target.read_text()))
    assert (tmp_path / "u.json.corrupt").read_text() == "{ not json"


def test_concurrent_processes_merge_without_losing_counts(project, tmp_path):
    target = tmp_path / "u.json"
    path, _ = project.script("import mixed\nfor _ in range(5):\n    mixed.OldThing\n", prelude=False)
    env = project.env({"SSOT_SHIMS_USAGE_FILE": str(target), "PYTHONWARNINGS": "ignore"})
    procs = [subprocess.Popen([sys.executable, str(path)], env=env, cwd=project.root) for _ in range(8)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 8
    doc = json.loads(target.read_text())
    [hit] = doc["hits"]
    assert hit["count"] == 40 and hit["legacy"] == "mixed:OldThing"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_forked_child_does_not_report_the_parents_hits(project, tmp_path):
    target = tmp_path / "u.json"
    project.run_script(
        """
        import os, sys
        import mixed
        mixed.OldThing
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # normal exit: atexit runs in the child too
        os.waitpid(pid, 0)
        report()
        """,
        env={"SSOT_SHIMS_USAGE_FILE": str(target)},
    )
    [hit] = json.loads(target.read_text())["hits"]
    assert hit["count"] == 1


def test_merge_is_a_pure_function():
    a = {"version": 1, "registered": [], "hits": [{"shim": "s", "legacy": "s", "target": "t", "kind": "module", "file": "f", "line": 1, "count": 2}]}
    b = {"version": 1, "registered": [{"shim": "s", "legacy": "s", "target": "t", "kind": "module", "since": None, "remove_in": "2"}],
         "hits": [{"shim": "s", "legacy": "s", "target": "t", "kind": "module", "file": "f", "line": 1, "count": 3},
                  {"shim": "s", "legacy": "s", "target": "t", "kind": "module", "file": "f", "line": 2, "count": 1}]}
    m = telemetry.merge(a, b)
    check_schema(m)
    assert [(h["line"], h["count"]) for h in m["hits"]] == [(1, 5), (2, 1)]
    assert len(m["registered"]) == 1
