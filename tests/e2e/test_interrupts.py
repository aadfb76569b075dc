"""Interrupted and hostile runs leave a clean tree (issue #15): real signals, fault points.

``SSOT_MIGRATE_FAULT=<point>[@<file name>][:n]`` signals the process at a named
point (``migrate.fsio.fault_point``); with ``SSOT_MIGRATE_FAULT_SIGNAL=STOP`` the
process stops itself there, so the test can send it real signals (``kill -9``,
SIGTERM) at a known moment.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from migrate import state as state_mod
from migrate.fsio import TMP_MARKER
from migrate.state import State
from tests.conftest import GIT_ENV, git, make_repo, run_cli, snapshot

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SPEC = """
[tool.ssot-migrate]
source-roots = ["."]

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
"""

BASE = {
    "pyproject.toml": SPEC,
    "pkg/__init__.py": "",
    "pkg/canon.py": "def make():\n    return 1\n",
    "pkg/legacy.py": "from .canon import make\n",
    "pkg/a.py": "from pkg.legacy import make\nA = make()\n",
    "pkg/b.py": "from pkg.legacy import make\nB = make()\n",
    "pkg/c.py": "from pkg.legacy import make\nC = make()\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", BASE)


def temp_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob(f"*{TMP_MARKER}*"))


def dirty(root: Path) -> list[str]:
    out = git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
    return [line for line in out if ".ssot-migrate/" not in line]


def popen_cli(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "migrate", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **GIT_ENV, **env},
    )


def proc_state(pid: int) -> str | None:
    """The /proc state letter of ``pid`` (R, S, T, Z, ...), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def wait_stopped(pid: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while proc_state(pid) != "T":
        assert proc_state(pid) is not None, "the process exited instead of stopping at the fault point"
        assert time.monotonic() < deadline, "the process never reached the fault point"
        time.sleep(0.05)


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    return proc_state(pid) not in (None, "Z", "X")


# -- item 1: temp files -------------------------------------------------------------


@pytest.mark.parametrize("recovery", ["unlock", "rollback", "apply"])
def test_temp_file_left_by_a_kill_is_found_and_removed(repo: Path, recovery: str) -> None:
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C", env={"SSOT_MIGRATE_FAULT": "temp-written@b.py"})
    assert r.returncode == -signal.SIGKILL
    (left,) = temp_files(repo)
    assert left.startswith("pkg/.b.py" + TMP_MARKER)
    assert (repo / left).read_bytes() == b"from pkg.canon import make\nB = make()\n"
    # status finds it (and, being read-only, leaves it).
    st = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    assert st["leftover_temp_files"] == [left]
    assert f"1 temp file(s) left by an interrupted run" in run_cli(repo, "status").stdout
    assert temp_files(repo) == [left]
    if recovery == "unlock":
        r = run_cli(repo, "unlock")
        assert r.returncode == 0 and f"1 temp file(s) removed: {left}" in r.stderr, r.stderr
        assert temp_files(repo) == []
        assert run_cli(repo, "rollback", "C").returncode == 0
    else:
        (repo / ".ssot-migrate/lock").unlink()  # the operator removed the stale lock by hand
        r = run_cli(repo, recovery, "C")
        assert r.returncode == 0, r.stderr
        assert f"1 temp file(s) of an interrupted run removed: {left}" in r.stderr
        assert temp_files(repo) == []
        if recovery == "apply":
            assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before and dirty(repo) == []
    # ... and the next apply is not refused for "uncommitted changes".
    assert run_cli(repo, "apply", "C").returncode == 0


def test_temp_file_of_a_killed_rollback_does_not_block_the_next_apply(repo: Path) -> None:
    before = snapshot(repo)
    assert run_cli(repo, "apply", "C").returncode == 0
    r = run_cli(repo, "rollback", "C", env={"SSOT_MIGRATE_FAULT": "temp-written@c.py"})
    assert r.returncode == -signal.SIGKILL and len(temp_files(repo)) == 1
    assert run_cli(repo, "unlock").returncode == 0
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before and dirty(repo) == []
    assert run_cli(repo, "apply", "C").returncode == 0


@pytest.mark.parametrize("sig, code", [("INT", 130), ("TERM", 143)])
def test_signal_right_after_the_temp_file_is_created_does_not_leak_it(repo: Path, sig: str, code: int) -> None:
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C", env={"SSOT_MIGRATE_FAULT": "temp-created@b.py", "SSOT_MIGRATE_FAULT_SIGNAL": sig})
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr
    assert temp_files(repo) == []
    assert not (repo / ".ssot-migrate/lock").exists()
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before and dirty(repo) == []


# -- item 3: SIGTERM ------------------------------------------------------------------


@linux_only
def test_sigterm_mid_apply_is_handled_like_ctrl_c(repo: Path) -> None:
    before = snapshot(repo)
    p = popen_cli(repo, "apply", "C", env={"SSOT_MIGRATE_FAULT": "after-file:1", "SSOT_MIGRATE_FAULT_SIGNAL": "STOP"})
    try:
        wait_stopped(p.pid)
        os.kill(p.pid, signal.SIGTERM)  # as `timeout` or a CI runner would
        os.kill(p.pid, signal.SIGCONT)
        _, err = p.communicate(timeout=60)
    finally:
        p.kill()
    err = err.decode()
    assert p.returncode == 143, err
    assert "terminated (SIGTERM)" in err and "ssot-migrate status" in err and "Traceback" not in err
    assert not (repo / ".ssot-migrate/lock").exists()  # no `unlock` needed
    assert temp_files(repo) == []
    st = json.loads(run_cli(repo, "status", "--format", "json").stdout)
    assert [x["status"] for x in st["phases"] if x["phase"] == "C"] == ["applying"]
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert snapshot(repo) == before


# -- item 2: pool workers die with the main process --------------------------------------


@linux_only
@pytest.mark.parametrize("how", ["kill -9", "SIGTERM"])
def test_pool_workers_do_not_outlive_the_main_process(tmp_path: Path, how: str) -> None:
    files = {**BASE, **{f"pkg/m{i:02d}.py": f"from pkg.legacy import make\nV{i} = make()\n" for i in range(60)}}
    repo = make_repo(tmp_path / "repo", files)
    p = popen_cli(repo, "plan", "C", "-j", "2", env={"SSOT_MIGRATE_FAULT": "pool-running", "SSOT_MIGRATE_FAULT_SIGNAL": "STOP"})
    workers: list[int] = []
    try:
        wait_stopped(p.pid)  # the pool has returned its first chunk: its workers are running
        workers = children(p.pid)
        assert len(workers) == 2, workers
        if how == "kill -9":
            os.kill(p.pid, signal.SIGKILL)
        else:
            os.kill(p.pid, signal.SIGTERM)
            os.kill(p.pid, signal.SIGCONT)
        # A reader of the pipes (`| tee log`) sees EOF promptly: nothing else holds them.
        eof: dict[str, bool] = {}

        def drain(name: str, stream) -> None:
            stream.read()
            eof[name] = True

        readers = [threading.Thread(target=drain, args=(n, s), daemon=True) for n, s in (("out", p.stdout), ("err", p.stderr))]
        for t in readers:
            t.start()
        for t in readers:
            t.join(15)
        assert eof == {"out": True, "err": True}, "a worker still holds stdout/stderr"
        deadline = time.monotonic() + 15
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)], "workers outlived the main process"
        p.wait(30)
        if how == "SIGTERM":
            assert p.returncode == 143
    finally:
        p.kill()
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGKILL)


# -- item 4: apply names what it skipped ----------------------------------------------------


def test_apply_names_every_skipped_file(tmp_path: Path) -> None:
    binaries = {f"pkg/bin{i:02d}.py": b"\x00from pkg.legacy import make\n" for i in range(25)}
    repo = make_repo(tmp_path / "repo", {**BASE, **binaries})
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 0, r.stderr
    for name in binaries:
        assert f"{name}:1: warning: E001 skipped: binary file (contains NUL bytes)" in r.stderr, r.stderr
    assert "25 skipped" in r.stderr
    # The CI guard names them too: a file it cannot read is not a file that passed.
    r = run_cli(repo, "check", "--no-cache")
    assert "note: pkg/bin00.py: not checked: binary file (contains NUL bytes)" in r.stdout, r.stdout


# -- item 6: the lock is never seen incomplete ------------------------------------------------


def test_lock_is_never_visible_empty_or_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock_path = tmp_path / ".ssot-migrate" / "lock"
    seen: list[bytes] = []

    def observe() -> None:
        try:
            seen.append(lock_path.read_bytes())
        except FileNotFoundError:
            pass

    def spy(fn):
        def wrapper(*args, **kwargs):
            result = fn(*args, **kwargs)
            observe()
            return result

        return wrapper

    # After every system call the lock code makes, look at the lock as another process would.
    for name in ("open", "write", "fsync", "close", "link", "replace", "unlink", "fchmod"):
        monkeypatch.setattr(os, name, spy(getattr(os, name)))
    with State(tmp_path).lock("apply C"):
        pass
    monkeypatch.undo()
    assert seen, "the lock was never observed"
    for data in seen:
        info = json.loads(data)  # an empty or half-written lock would not parse
        assert info["pid"] == os.getpid() and info["command"] == "apply C" and info["host"] == socket.gethostname()
    assert not lock_path.exists()
    assert [p.name for p in lock_path.parent.iterdir()] == []  # no temp file left either


def test_unlock_leaves_a_live_lock(repo: Path) -> None:
    with State(repo).lock("apply C"):
        r = run_cli(repo, "unlock")
        assert r.returncode == 2 and "held by live process" in r.stderr
        assert state_mod.Lock(repo / ".ssot-migrate/lock", "x").read()["pid"] == os.getpid()
