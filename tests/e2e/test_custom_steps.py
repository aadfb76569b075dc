"""Custom steps (a LibCST codemod and a Bowler query) under the same plan/apply/rollback/ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_repo, run_cli, snapshot

pytest.importorskip("bowler")

BASE = {
    "pkg/__init__.py": "",
    "pkg/legacy.py": "from .canon import make\n",
    "pkg/canon.py": "def make():\n    return 1\n",
    "pkg/use.py": """\
        from pkg.legacy import make
        from pkg.helpers import old_helper


        def run():
            return old_helper(make())
        """,
    "pkg/helpers.py": "def old_helper(x):\n    return x\n\n\ndef new_helper(x):\n    return x\n",
    "pkg/modern.py": """\
        from pkg.helpers import old_helper


        def pick(v):
            match v:
                case 1:
                    return old_helper(v)
            return None
        """,
    "tools/__init__.py": "",
    "tools/codemods.py": """\
        import libcst as cst
        from libcst.codemod import VisitorBasedCodemodCommand


        class RenameCall(VisitorBasedCodemodCommand):
            DESCRIPTION = "rename a function everywhere"

            def __init__(self, context, old, new):
                super().__init__(context)
                self.old, self.new = old, new

            def leave_Name(self, original_node, updated_node):
                if updated_node.value == self.old:
                    return updated_node.with_changes(value=self.new)
                return updated_node


        class Boom(VisitorBasedCodemodCommand):
            def leave_Module(self, original_node, updated_node):
                raise RuntimeError("boom from a user step")
        """,
    "tools/queries.py": """\
        from bowler import Query


        def rename(old, new):
            return Query().select_function(old).rename(new)
        """,
}

SPEC_HEAD = """
[tool.ssot-migrate]
source-roots = ["."]
exclude = ["tools/**"]

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
"""


def repo_with(tmp_path: Path, steps: str) -> Path:
    return make_repo(tmp_path / "repo", {**BASE, "pyproject.toml": SPEC_HEAD + steps})


LIBCST_STEP = """
[[tool.ssot-migrate.step]]
phase = "C"
name = "rename-helper"
libcst = "tools.codemods:RenameCall"
args = { old = "old_helper", new = "new_helper" }
"""

BOWLER_STEP = """
[[tool.ssot-migrate.step]]
phase = "C"
name = "bowler-rename"
bowler = "tools.queries:rename"
args = { old = "old_helper", new = "new_helper" }
"""


def test_libcst_step_runs_with_the_phase_and_rolls_back(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, LIBCST_STEP)
    before = snapshot(repo)
    r = run_cli(repo, "plan", "C", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    changed = {c["path"]: c["diff"] for c in data["changes"]}
    assert "+from pkg.canon import make" in changed["pkg/use.py"]
    assert "+    return new_helper(make())" in changed["pkg/use.py"]
    assert "+            return new_helper(v)" in changed["pkg/modern.py"]  # LibCST reads `match`
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 0, r.stderr
    assert "new_helper(make())" in (repo / "pkg/use.py").read_text()
    journal = json.loads((repo / ".ssot-migrate/phases/C/journal.json").read_text())
    assert {f["path"] for f in journal["files"]} >= {"pkg/use.py", "pkg/modern.py", "pkg/helpers.py"}
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before


def test_bowler_step_reports_3_10_syntax_and_needs_allow_skips(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, BOWLER_STEP)
    r = run_cli(repo, "plan", "C", "--format", "json")
    data = json.loads(r.stdout)
    assert r.returncode == 1  # the skip is an error by default
    skips = [x for x in data["reports"] if x["code"] == "S002"]
    assert [s["path"] for s in skips] == ["pkg/modern.py"]
    assert skips[0]["severity"] == "error" and "fissix" in skips[0]["message"]
    changed = {c["path"]: c["diff"] for c in data["changes"]}
    assert "+    return new_helper(make())" in changed["pkg/use.py"]
    assert "pkg/modern.py" not in changed  # reported, never mangled
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 1 and "S002" in r.stderr and "nothing was written" in r.stderr
    r = run_cli(repo, "apply", "C", "--allow-skips")
    assert r.returncode == 0, r.stderr
    assert "new_helper(make())" in (repo / "pkg/use.py").read_text()
    assert "old_helper(v)" in (repo / "pkg/modern.py").read_text()


def test_steps_run_in_declared_order(tmp_path: Path) -> None:
    second = """
[[tool.ssot-migrate.step]]
phase = "C"
name = "then-rename-again"
libcst = "tools.codemods:RenameCall"
args = { old = "new_helper", new = "final_helper" }
"""
    repo = repo_with(tmp_path, LIBCST_STEP + second)
    r = run_cli(repo, "plan", "C", "--format", "json")
    changed = {c["path"]: c["diff"] for c in json.loads(r.stdout)["changes"]}
    assert "+    return final_helper(make())" in changed["pkg/use.py"]


def test_a_step_that_raises_fails_the_phase_and_writes_nothing(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, '\n[[tool.ssot-migrate.step]]\nphase = "C"\nlibcst = "tools.codemods:Boom"\n')
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 1
    assert "boom from a user step" in r.stderr and "nothing was written" in r.stderr
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    "step, message",
    [
        ('phase = "C"\nlibcst = "tools.codemods:Nope"\n', "cannot load tools.codemods:Nope"),
        ('phase = "C"\nlibcst = "tools.queries:rename"\n', "is not a libcst Codemod or CSTTransformer class"),
        ('phase = "Q"\nlibcst = "tools.codemods:RenameCall"\n', "step[0].phase: required, one of A, B, C, D, E"),
        ('phase = "C"\nlibcst = "x:y"\nbowler = "a:b"\n', "give exactly one of"),
    ],
    ids=["missing class", "wrong kind", "unknown phase", "two kinds"],
)
def test_bad_steps_are_spec_errors(tmp_path: Path, step: str, message: str) -> None:
    repo = repo_with(tmp_path, "\n[[tool.ssot-migrate.step]]\n" + step)
    r = run_cli(repo, "plan", "C")
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
