"""End-to-end: migrating in waves (apply C, extend the spec, apply C again) through the real CLI,
and PLAYBOOK.md's "Migrating in waves" commands on the bundled example."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import git, make_repo, run_cli, snapshot
from tests.e2e.test_cli_lifecycle import FILES, SPEC

SECOND_MOVE = '''
[[tool.ssot-migrate.move]]
from = "pkg.impl:OldThing"
to = "pkg.canon:Thing"
'''


def _without_last_move(spec: str) -> str:
    assert SECOND_MOVE in spec
    return spec.replace(SECOND_MOVE, "\n")


def _commit(repo: Path, msg: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", msg)


def _ledger(repo: Path) -> list[str]:
    return sorted(json.loads((repo / ".ssot-migrate/ledger.json").read_text())["phases"])


def _c_status(repo: Path) -> dict:
    st = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    (c,) = [p for p in st["phases"] if p["phase"] == "C"]
    return c


@pytest.fixture
def waved(tmp_path: Path) -> tuple[Path, dict[str, dict[str, bytes]]]:
    """Wave 1 applies the first move; the spec gets the second move (committed); wave 2 applies it."""
    repo = make_repo(tmp_path / "repo", {**FILES, "pyproject.toml": _without_last_move(SPEC)})
    snaps = {"original": snapshot(repo)}
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 0, r.stderr
    snaps["wave1"] = snapshot(repo)
    _commit(repo, "wave 1")
    (repo / "pyproject.toml").write_text(textwrap.dedent(SPEC), encoding="utf-8")
    _commit(repo, "the spec gets the second move")
    snaps["extended"] = snapshot(repo)
    assert run_cli(repo, "plan", "C", "--check", "--no-diff").returncode == 1  # the new move's sites are pending
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 0, r.stderr
    assert "wave C.2" in r.stderr and "phases/C.2/rollback.patch" in r.stderr
    snaps["wave2"] = snapshot(repo)
    assert snaps["wave2"] != snaps["extended"]
    _commit(repo, "wave 2")
    return repo, snaps


def test_a_second_apply_is_a_wave_journaled_and_rolled_back_on_its_own(waved) -> None:
    repo, snaps = waved
    for key in ("C", "C.2"):
        for name in ("journal.json", "rollback.patch", "rollback.sh"):
            assert (repo / ".ssot-migrate/phases" / key / name).is_file(), (key, name)
    journal2 = json.loads((repo / ".ssot-migrate/phases/C.2/journal.json").read_text())
    assert journal2["wave"] == 2 and {f["path"] for f in journal2["files"]} <= {"pkg/consumer.py", "pkg/other.py", "tests/test_consumer.py"}
    assert _ledger(repo) == ["C", "C.2"]

    c = _c_status(repo)
    assert c["status"] == "applied" and [w["wave"] for w in c["waves"]] == ["C", "C.2"]
    assert c["edited_since_apply"] == [] and all(w["edited_since_apply"] == [] for w in c["waves"])
    assert set(c["waves"][0]["changed_by_later_phase"].values()) == {"C.2"}  # wave 2 rewrote wave 1's files: not drift
    text = run_cli(repo, "status")
    assert text.returncode == 0 and "wave 2 (C.2)" in text.stdout and "--plan" in text.stdout

    # Nothing new to apply: no empty wave.
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 0 and "nothing to apply" in r.stderr, r.stderr
    assert _ledger(repo) == ["C", "C.2"] and snapshot(repo) == snaps["wave2"]

    # rollback C: the last wave only.
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 0, r.stderr
    assert "rolled back phase(s) C.2" in r.stderr
    assert snapshot(repo) == snaps["extended"] and _ledger(repo) == ["C"]
    assert _c_status(repo)["status"] == "applied"

    # Applied again, it is wave 2 again, with the same bytes; --all undoes every wave, newest first.
    _commit(repo, "wave 2 rolled back")
    assert run_cli(repo, "apply", "C").returncode == 0
    assert snapshot(repo) == snaps["wave2"] and _ledger(repo) == ["C", "C.2"]
    r = run_cli(repo, "rollback", "C", "--all")
    assert r.returncode == 0, r.stderr
    assert "rolled back phase(s) C.2, C" in r.stderr
    now = snapshot(repo)
    assert now.pop("pyproject.toml") == snaps["extended"]["pyproject.toml"]
    assert now == {k: v for k, v in snaps["original"].items() if k != "pyproject.toml"}
    assert _ledger(repo) == [] and _c_status(repo)["status"] == "pending"


def test_each_wave_merges_edits_made_since(waved) -> None:
    repo, snaps = waved
    consumer = repo / "pkg/consumer.py"
    assert snaps["wave1"]["pkg/consumer.py"] != snaps["wave2"]["pkg/consumer.py"] != snaps["original"]["pkg/consumer.py"]
    consumer.write_bytes(consumer.read_bytes() + b"\n\ndef added_by_hand():\n    return 1\n")
    c = _c_status(repo)
    assert c["edited_since_apply"] == ["pkg/consumer.py"]
    assert [w["edited_since_apply"] for w in c["waves"]] == [["pkg/consumer.py"], ["pkg/consumer.py"]]
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 0 and "merged: pkg/consumer.py" in r.stderr, r.stderr
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 0 and "merged: pkg/consumer.py" in r.stderr, r.stderr
    assert consumer.read_bytes() == snaps["original"]["pkg/consumer.py"] + b"\n\ndef added_by_hand():\n    return 1\n"


def test_offline_rollback_of_a_wave_and_the_ledger_reconciled(waved) -> None:
    repo, snaps = waved
    r = subprocess.run(["sh", ".ssot-migrate/phases/C.2/rollback.sh"], cwd=repo, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == snaps["extended"]
    c = _c_status(repo)
    assert [w["reverted_outside_tool"] for w in c["waves"]] == [False, True] and c["reverted_outside_tool"]
    r = run_cli(repo, "rollback", "C")  # the ledger catches up: nothing left to write for C.2
    assert r.returncode == 0 and "unchanged" in r.stderr, r.stderr
    assert _ledger(repo) == ["C"] and snapshot(repo) == snaps["extended"]


def test_rollback_all_of_a_phase_others_need_wants_cascade(tmp_path: Path) -> None:
    """E needs C: `rollback C` of the last wave leaves C applied for it; `--all` is refused without --cascade."""
    from migrate.state import APPLIED, LedgerEntry, State

    repo = make_repo(tmp_path / "repo", {**FILES, "pyproject.toml": _without_last_move(SPEC)})
    assert run_cli(repo, "apply", "C").returncode == 0
    _commit(repo, "wave 1")
    (repo / "pyproject.toml").write_text(textwrap.dedent(SPEC), encoding="utf-8")
    _commit(repo, "spec")
    assert run_cli(repo, "apply", "C").returncode == 0
    state = State(repo)  # an (empty) phase E applied after both waves: it needs C and D
    for n, letter in enumerate(("D", "E")):
        state.set_entry(LedgerEntry(letter, APPLIED, "test", "test", 0.0, 0, state.next_order()), "test")
        state.phase_dir(letter).mkdir(parents=True)
        (state.phase_dir(letter) / "journal.json").write_text(json.dumps({"phase": letter, "files": []}))
    r = run_cli(repo, "rollback", "C", "--all")
    assert r.returncode == 2 and "phase(s) E depend on C" in r.stderr and "--cascade" in r.stderr, r.stderr
    assert _ledger(repo) == ["C", "C.2", "D", "E"]
    r = run_cli(repo, "rollback", "C")
    assert r.returncode == 0 and "rolled back phase(s) C.2" in r.stderr, r.stderr
    r = run_cli(repo, "rollback", "C", "--all", "--cascade")
    assert r.returncode == 0 and "rolled back phase(s) E, C" in r.stderr, r.stderr
    assert _ledger(repo) == ["D"]


# -- PLAYBOOK.md "Migrating in waves" ------------------------------------------------------


def test_playbook_waves_section(tmp_path: Path) -> None:
    import shutil

    from tests.e2e.test_playbook import EXAMPLE, REPO_ROOT, _run, shell_blocks

    text = (REPO_ROOT / "PLAYBOOK.md").read_text(encoding="utf-8")
    section = text[text.index("## Migrating in waves"):]
    section = section[: section.index("\n## ", 3)]
    wave1, wave2, undo, offline = shell_blocks(section)
    assert offline == ["sh .ssot-migrate/phases/C.2/rollback.sh"]

    repo = tmp_path / "websocket_app"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    full = (repo / "pyproject.toml").read_text(encoding="utf-8")
    moves = [m.start() for m in re.finditer(r"^\[\[tool\.ssot-migrate\.move\]\]", full, re.M)]
    assert len(moves) >= 2
    # Wave 1 with the first move only: the spec ends where the second move starts, up to the next table.
    head = moves[-1] + len("[[tool.ssot-migrate.move]]")
    after_moves = re.search(r"^\[(?!\[tool\.ssot-migrate\.move\]\])", full[head:], re.M)
    end = head + after_moves.start() if after_moves else len(full)
    (repo / "pyproject.toml").write_text(full[: moves[1]] + full[end:], encoding="utf-8")
    git(repo, "init", "-q")
    _commit(repo, "example, first move only")
    original = snapshot(repo)

    def run_block(cmds: list[str]) -> None:
        for cmd in cmds:
            r = _run(repo, cmd)
            expected = 1 if "--check" in cmd else 0
            assert r.returncode == expected, (cmd, r.stdout[-2000:], r.stderr[-2000:])

    run_block(wave1)
    assert _ledger(repo) == ["C"]
    (repo / "pyproject.toml").write_text(full, encoding="utf-8")
    _commit(repo, "the spec: every move")
    extended = snapshot(repo)
    run_block(wave2)
    assert _ledger(repo) == ["C", "C.2"] and snapshot(repo) != extended
    run_block(offline)
    assert snapshot(repo) == extended
    run_block(undo)
    assert _ledger(repo) == []
    now = snapshot(repo)
    assert now.pop("pyproject.toml") == full.encode()
    assert now == {k: v for k, v in original.items() if k != "pyproject.toml"}


# -- status answers from the ledger -----------------------------------------------------------


def test_status_answers_without_typer_or_the_phases_and_says_the_same(waved) -> None:
    """The fast path (before typer loads) and the full command print the same document; the fast
    path imports neither typer nor LibCST (the cost `status` must not pay), and plans nothing."""
    import os
    import sys

    repo, _ = waved
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    fast = subprocess.run([sys.executable, "-X", "importtime", "-m", "migrate", "status", "--format", "json"],
                          cwd=repo, capture_output=True, text=True, env=env)
    assert fast.returncode == 0, fast.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in fast.stderr.splitlines() if "|" in line}
    assert not imported & {"typer", "libcst", "codemods", "codemods.phase_c"}, sorted(imported & {"typer", "libcst", "codemods"})
    full = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['not-the-console-script', 'status', '--format', 'json']; "
                           "from migrate.cli import main; main()"], cwd=repo, capture_output=True, text=True, env=env)
    assert full.returncode == 0, full.stderr
    assert json.loads(fast.stdout) == json.loads(full.stdout)
    assert "typer" in {line.rsplit("|", 1)[-1].strip() for line in subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "migrate", "status", "--plan", "--format", "json"],
        cwd=repo, capture_output=True, text=True, env=env).stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("recovery", ["rollback", "apply"])
def test_a_killed_second_wave_is_recovered_on_its_own(tmp_path: Path, recovery: str) -> None:
    """A kill in wave 2's writes: `rollback C` undoes wave 2 only, `apply C` finishes wave 2 only."""
    import signal

    repo = make_repo(tmp_path / "repo", {**FILES, "pyproject.toml": _without_last_move(SPEC)})
    assert run_cli(repo, "apply", "C").returncode == 0
    _commit(repo, "wave 1")
    (repo / "pyproject.toml").write_text(textwrap.dedent(SPEC), encoding="utf-8")
    _commit(repo, "spec")
    extended = snapshot(repo)
    r = run_cli(repo, "apply", "C", env={"SSOT_MIGRATE_FAULT": "after-file:1"})
    assert r.returncode == -signal.SIGKILL
    c = _c_status(repo)
    assert c["status"] == "applying" and [(w["wave"], w["status"]) for w in c["waves"]] == [("C", "applied"), ("C.2", "applying")]
    assert run_cli(repo, "unlock").returncode == 0
    r = run_cli(repo, recovery, "C")
    assert r.returncode == 0, r.stderr
    if recovery == "rollback":
        assert "rolled back phase(s) C.2" in r.stderr and snapshot(repo) == extended and _ledger(repo) == ["C"]
    else:
        assert "finished an interrupted apply" in r.stderr and _ledger(repo) == ["C", "C.2"]
        assert [w["status"] for w in _c_status(repo)["waves"]] == ["applied", "applied"]
        assert run_cli(repo, "plan", "C", "--check", "--no-diff").returncode == 0
        assert run_cli(repo, "rollback", "C").returncode == 0 and snapshot(repo) == extended
