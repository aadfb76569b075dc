"""End-to-end: plan / apply / gate / rollback / status through the real CLI on temp git repos."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, make_repo, run_cli, snapshot

SPEC = """
[project]
name = "mini"
version = "1.0.0"

[tool.ssot-migrate]
source-roots = ["."]
gate = "python -m pytest -q -p no:cacheprovider tests"

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
since = "1.0"
remove-in = "2.0"

[[tool.ssot-migrate.move]]
from = "pkg.impl:OldThing"
to = "pkg.canon:Thing"
"""

FILES = {
    "pyproject.toml": SPEC,
    "pkg/__init__.py": "",
    "pkg/impl.py": """\
        class OldThing:
            def ping(self):
                return "pong"
        """,
    "pkg/canon.py": """\
        from .impl import OldThing as Thing

        def make():
            return Thing()
        """,
    "pkg/legacy.py": """\
        from .canon import Thing, make
        """,
    "pkg/consumer.py": """\
        import pkg.legacy
        from pkg.impl import OldThing  # the old name


        def build():
            return OldThing()


        def via_module():
            return pkg.legacy.make()
        """,
    "pkg/other.py": """\
        from pkg.legacy import (
            make,  # factory
        )


        def go():
            from pkg.impl import OldThing
            return make(), OldThing
        """,
    "tests/__init__.py": "",
    "tests/test_consumer.py": """\
        from pkg.consumer import build, via_module
        from pkg.impl import OldThing


        def test_build():
            assert build().ping() == "pong"
            assert isinstance(via_module(), OldThing)
        """,
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    files = dict(FILES)
    return make_repo(tmp_path / "repo", files)


def test_plan_prints_diff_and_summary(repo: Path) -> None:
    r = run_cli(repo, "plan", "C")
    assert r.returncode == 0, r.stderr
    assert "diff --git a/pkg/consumer.py b/pkg/consumer.py" in r.stdout
    assert "+import pkg.canon" in r.stdout
    assert "+from pkg.canon import Thing as OldThing  # the old name" in r.stdout
    assert "phase C: 3 file(s) to change" in r.stderr
    assert "Traceback" not in r.stderr
    # Read-only: plan creates no state.
    assert not (repo / ".ssot-migrate").exists()


def test_plan_check_exits_1_when_pending_and_json(repo: Path) -> None:
    assert run_cli(repo, "plan", "C", "--check", "--no-diff").returncode == 1
    r = run_cli(repo, "plan", "C", "--format", "json")
    data = json.loads(r.stdout)
    assert data["phase"] == "C"
    assert sorted(c["path"] for c in data["changes"]) == ["pkg/consumer.py", "pkg/other.py", "tests/test_consumer.py"]


def test_apply_then_rollback_restores_every_byte(repo: Path) -> None:
    # CRLF, BOM and an executable file in the mix.
    (repo / "pkg/crlf.py").write_bytes(b"\xef\xbb\xbfimport pkg.legacy  \r\nX = pkg.legacy.make\r\n# end")
    os.chmod(repo / "pkg/crlf.py", 0o755)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "crlf")
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C", "--gate")
    assert r.returncode == 0, r.stderr
    assert "gate passed" in r.stderr
    after = snapshot(repo)
    assert after["pkg/crlf.py"] == b"\xef\xbb\xbfimport pkg.canon  \r\nX = pkg.canon.make\r\n# end"
    assert stat.S_IMODE((repo / "pkg/crlf.py").stat().st_mode) == 0o755
    # Idempotent: nothing left to do.
    r = run_cli(repo, "plan", "C", "--check", "--no-diff")
    assert r.returncode == 0, r.stdout + r.stderr
    # Applying again with nothing new to do records no empty wave and writes nothing.
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == after and not (repo / ".ssot-migrate/phases/C.2").exists()
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == before
    assert stat.S_IMODE((repo / "pkg/crlf.py").stat().st_mode) == 0o755


def test_dirty_tree_refused_unless_allowed(repo: Path) -> None:
    (repo / "notes.txt").write_text("wip\n")
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 2
    assert "uncommitted" in r.stderr and "notes.txt" in r.stderr and "Traceback" not in r.stderr
    r = run_cli(repo, "apply", "C", "--allow-dirty")
    assert r.returncode == 0, r.stderr


def test_allow_dirty_still_refuses_dirty_touched_file(repo: Path) -> None:
    p = repo / "pkg/consumer.py"
    p.write_text(p.read_text() + "\n# local edit\n")
    r = run_cli(repo, "apply", "C", "--allow-dirty")
    assert r.returncode == 2 and "pkg/consumer.py" in r.stderr


def test_non_git_directory_needs_allow_dirty(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "plain", FILES, commit=False)
    r = run_cli(root, "apply", "C")
    assert r.returncode == 2 and "not a git checkout" in r.stderr and "Traceback" not in r.stderr
    assert run_cli(root, "apply", "C", "--allow-dirty").returncode == 0


def test_failing_gate_rolls_back(repo: Path) -> None:
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C", "--verify", "python -c 'import sys; print(\"boom\"); sys.exit(3)'")
    assert r.returncode == 1
    assert "gate failed (exit 3)" in r.stderr and "boom" in r.stderr
    assert snapshot(repo) == before
    status = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    assert [p["status"] for p in status["phases"] if p["phase"] == "C"] == ["pending"]
    assert "\nboom\n" in (repo / ".ssot-migrate/phases/C/gate.log").read_text()


def test_rollback_merges_human_edits_in_other_hunks(repo: Path) -> None:
    assert run_cli(repo, "apply", "C").returncode == 0
    p = repo / "pkg/consumer.py"
    text = p.read_text()
    p.write_text(text.replace("def via_module():", "def via_module():  # edited by a human"))
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 0, r.stderr
    assert "merged: pkg/consumer.py" in r.stderr
    final = p.read_text()
    assert "# edited by a human" in final
    assert final.startswith("import pkg.legacy\nfrom pkg.impl import OldThing  # the old name\n")


def test_rollback_conflict_stops_then_force(repo: Path) -> None:
    assert run_cli(repo, "apply", "C").returncode == 0
    p = repo / "pkg/consumer.py"
    edited = p.read_text().replace("import pkg.canon", "import pkg.canon  # human")
    p.write_text(edited)
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 1
    assert "pkg/consumer.py" in r.stderr and "overlap" in r.stderr
    assert p.read_text() == edited  # nothing written
    r = run_cli(repo, "rollback", "C", "--force")
    assert r.returncode == 0
    assert p.read_bytes() == FILES_BYTES("pkg/consumer.py")


def FILES_BYTES(rel: str) -> bytes:
    import textwrap

    return textwrap.dedent(FILES[rel]).encode()


def test_offline_rollback_script(repo: Path) -> None:
    before = snapshot(repo)
    assert run_cli(repo, "apply", "C").returncode == 0
    script = repo / ".ssot-migrate/phases/C/rollback.sh"
    assert os.access(script, os.X_OK)
    r = subprocess.run(["sh", str(script)], cwd=repo / "pkg", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == before
    status = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    (c,) = [p for p in status["phases"] if p["phase"] == "C"]
    assert c["reverted_outside_tool"] is True
    # The tool reconciles: rollback finds every file already restored.
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before


def test_offline_rollback_script_refuses_edited_files(repo: Path) -> None:
    assert run_cli(repo, "apply", "C").returncode == 0
    p = repo / "pkg/other.py"
    p.write_text(p.read_text() + "# later\n")
    r = subprocess.run(["sh", ".ssot-migrate/phases/C/rollback.sh"], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 1
    assert "changed since apply: pkg/other.py" in r.stderr


def test_patch_works_with_plain_patch(repo: Path, tmp_path: Path) -> None:
    before = snapshot(repo)
    assert run_cli(repo, "apply", "C").returncode == 0
    patch_file = repo / ".ssot-migrate/phases/C/rollback.patch"
    r = subprocess.run(["git", "apply", "-R", "--check", str(patch_file)], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(["git", "apply", "-R", str(patch_file)], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 0
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (("plan", "Z"), "unknown phase 'Z'"),
        (("plan", "C", "--spec", "nope.toml"), "spec file not found"),
        (("rollback", "C"), "phase C is not applied"),
    ],
    ids=["unknown phase", "missing spec file", "rollback of unapplied phase"],
)
def test_user_errors_are_one_line(repo: Path, args: tuple[str, ...], message: str) -> None:
    r = run_cli(repo, *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "spec_text, message",
    [
        ("[tool.ssot-migrate\n", "malformed TOML"),
        ('[tool.ssot-migrate]\n[[tool.ssot-migrate.move]]\nfrom = "pkg.legacy"\nto = "pkg.nowhere"\n', "target module 'pkg.nowhere' not found"),
        ('[tool.ssot-migrate]\n[[tool.ssot-migrate.move]]\nfrom = "pkg.impl:OldThing"\nto = "pkg.canon:Nope"\n', "does not define or export 'Nope'"),
        ('[tool.ssot-migrate]\ncolour = "blue"\n', "colour: unknown key"),
        ('[tool.ssot-migrate]\n[[tool.ssot-migrate.move]]\nfrom = "pkg..x"\nto = "pkg.canon"\n', "malformed dotted path"),
        (
            '[tool.ssot-migrate]\n[[tool.ssot-migrate.move]]\nfrom = "pkg.a"\nto = "pkg.b"\n[[tool.ssot-migrate.move]]\nfrom = "pkg.b"\nto = "pkg.a"\n',
            "cycle in moves",
        ),
    ],
    ids=["malformed toml", "missing target module", "target lacks name", "unknown key", "malformed path", "cycle"],
)
def test_bad_specs(repo: Path, spec_text: str, message: str) -> None:
    (repo / "pyproject.toml").write_text(spec_text)
    r = run_cli(repo, "plan", "C")
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_lock_refuses_second_run_and_stale_lock_can_be_cleared(repo: Path) -> None:
    state = repo / ".ssot-migrate"
    state.mkdir()
    import socket

    (state / "lock").write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": "apply C"}))
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 2 and "holds the lock" in r.stderr
    # A lock from a process that no longer exists is reported as stale.
    dead = subprocess.Popen(["true"])
    dead.wait()
    (state / "lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "command": "apply C"}))
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 2 and "stale lock" in r.stderr
    assert "STALE" in run_cli(repo, "status").stdout
    r = run_cli(repo, "unlock")
    assert r.returncode == 0 and "removed lock" in r.stderr
    assert run_cli(repo, "apply", "C").returncode == 0


@pytest.mark.parametrize("fault", ["after-journal", "after-file:1", "after-file:2", "after-file:3"])
@pytest.mark.parametrize("recovery", ["rollback", "apply"])
def test_killed_apply_is_recoverable(repo: Path, fault: str, recovery: str) -> None:
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C", env={"SSOT_MIGRATE_FAULT": fault})
    assert r.returncode == -signal.SIGKILL
    # Every file holds either its old or its new bytes: never a mix or a truncation.
    mid = snapshot(repo)
    for rel, data in mid.items():
        assert data == before[rel] or rel in ("pkg/consumer.py", "pkg/other.py", "tests/test_consumer.py")
    st = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    (c,) = [p for p in st["phases"] if p["phase"] == "C"]
    assert c["status"] in ("applying",) or fault == "after-journal"
    # The stale lock of the killed run must be cleared first, as the message says.
    r = run_cli(repo, recovery, "C")
    assert r.returncode == 2 and "stale lock" in r.stderr
    assert run_cli(repo, "unlock").returncode == 0
    r = run_cli(repo, recovery, "C")
    if fault == "after-journal" and recovery == "rollback":
        # Killed before the ledger entry: there is nothing applied to roll back.
        assert r.returncode == 2 and "not applied" in r.stderr
        assert snapshot(repo) == before
        return
    assert r.returncode == 0, r.stderr
    if recovery == "rollback":
        assert snapshot(repo) == before
    else:
        assert run_cli(repo, "plan", "C", "--check", "--no-diff").returncode == 0
        assert run_cli(repo, "rollback", "C").returncode == 0
        assert snapshot(repo) == before


def test_sigint_during_apply_leaves_recoverable_state(repo: Path) -> None:
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C", env={"SSOT_MIGRATE_FAULT": "after-file:1", "SSOT_MIGRATE_FAULT_SIGNAL": "INT"})
    assert r.returncode == 130
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr
    st = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    assert [p["status"] for p in st["phases"] if p["phase"] == "C"] == ["applying"]
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before


def test_journal_pointing_outside_repo_is_refused(repo: Path) -> None:
    assert run_cli(repo, "apply", "C").returncode == 0
    jp = repo / ".ssot-migrate/phases/C/journal.json"
    data = json.loads(jp.read_text())
    data["files"][0]["path"] = "../outside.py"
    jp.write_text(json.dumps(data))
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 2 and "outside the repository" in r.stderr and "Traceback" not in r.stderr


def test_status_reports_applied_and_remaining(repo: Path) -> None:
    r = run_cli(repo, "status", "--format", "json", "--plan")
    st = json.loads(r.stdout)
    (c,) = [p for p in st["phases"] if p["phase"] == "C"]
    assert c["status"] == "pending" and c["pending_files"] == 3
    assert run_cli(repo, "apply", "C").returncode == 0
    st = json.loads(run_cli(repo, "status", "--format", "json", "--plan").stdout)
    (c,) = [p for p in st["phases"] if p["phase"] == "C"]
    assert c["status"] == "applied" and c["pending_edits"] == 0 and c["files"] == 3
    # Without --plan: the ledger's answer, and no count it did not compute.
    st = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    (c,) = [p for p in st["phases"] if p["phase"] == "C"]
    assert st["planned"] is False and c["status"] == "applied" and c["files"] == 3
    assert (c["pending_edits"], c["pending_files"], c["remaining_refs"]) == (None, None, None)
