"""Phase B end to end on a temp git copy of examples/websocket_app, through the real CLI.

plan (the conflict in .env.staging is reported with both values and lines, and
that file is left alone), apply behind the mission-critical gate, a failing
gate that rolls itself back, rollback restoring every byte, and the commands
of PLAYBOOK.md's "Phase B" section run in order, which resolve the conflict with
``--prefer canonical`` and make the example's config-key SSOT check pass.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GIT_ENV, REPO_ROOT, git, run_cli, snapshot

EXAMPLE = REPO_ROOT / "examples" / "websocket_app"
PLAYBOOK = REPO_ROOT / "PLAYBOOK.md"
OLD, NEW, FB = "NEXT_PUBLIC_WEBSOCKET_URL", "NEXT_PUBLIC_WS_URL", "NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK"
CHANGED = [".env", "Dockerfile", "chat_backend/config.py", "docker-compose.yml", "frontend/config.ts"]
CONFIG_CHECK = "tests/ssot/test_ssot_consolidation.py::test_single_config_key"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dst = tmp_path / "websocket_app"
    shutil.copytree(EXAMPLE, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ssot-migrate"))
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", "example")
    return dst


def _pytest(repo: Path, target: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target], cwd=repo, capture_output=True, text=True, timeout=300)


def test_plan_apply_gate_rollback(repo: Path) -> None:
    before = snapshot(repo)
    assert _pytest(repo, CONFIG_CHECK).returncode != 0, "the example must start fragmented"

    r = run_cli(repo, "plan", "B", "-v")
    assert r.returncode == 0, r.stderr
    touched = re.findall(r"^diff --git a/(\S+)", r.stdout, re.M)
    assert touched == CHANGED
    assert ".env.staging" not in r.stdout
    conflict = [line for line in r.stderr.splitlines() if " B101 " in line]
    assert len(conflict) == 1 and conflict[0].startswith(".env.staging:6:")
    assert "wss://staging.chat.example.com/ws (.env.staging:5)" in conflict[0]
    assert "wss://staging-legacy.chat.example.com/ws (.env.staging:6)" in conflict[0]
    for needle in ("Dockerfile:6: info: B102", "chat_backend/config.py:17: warning: B201", "chat_backend/config.py:32: warning: B103",
                   "frontend/config.ts:7: warning: B204", "frontend/config.ts:9: warning: B201"):
        assert needle in r.stderr, (needle, r.stderr)

    # A failing gate rolls the phase back by itself.
    r = run_cli(repo, "apply", "B", "--verify", "python -c 'import sys; sys.exit(3)'")
    assert r.returncode == 1 and "rolled back" in r.stderr
    assert snapshot(repo) == before

    r = run_cli(repo, "apply", "B", "--gate")
    assert r.returncode == 0, r.stderr
    assert "gate passed" in r.stderr
    after = snapshot(repo)
    assert sorted(p for p in after if after[p] != before.get(p)) == sorted(CHANGED)
    assert after[".env.staging"] == before[".env.staging"], "the conflicting file must not change without --prefer"
    for name in ("chat_backend/config.py", "frontend/config.ts", ".env", "docker-compose.yml"):
        assert FB.encode() in after[name], f"{FB} vanished from {name}"
    assert b"ENV " + OLD.encode() not in after["Dockerfile"] and b"ENV " + NEW.encode() + b"=" + NEW.encode() not in after["Dockerfile"]
    status = run_cli(repo, "status", "--format", "json", "--plan")
    import json

    (b,) = [p for p in json.loads(status.stdout)["phases"] if p["phase"] == "B"]
    assert b["status"] == "applied" and b["remaining_refs"] == 1  # the conflict in .env.staging

    r = run_cli(repo, "rollback", "B")
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == before


def _shell_blocks() -> list[list[str]]:
    text = PLAYBOOK.read_text(encoding="utf-8")
    text = text[text.index("\n## Phase B") : text.index("\n## Phase C")]  # this phase's section only
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [[line.split("  #")[0].strip() for line in b.strip().splitlines() if line.strip()] for b in blocks]


def _run(repo: Path, cmd: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, **GIT_ENV, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = cmd.replace("ssot-migrate ", f"{shlex.quote(sys.executable)} -m migrate ")
    return subprocess.run(cmd, shell=True, cwd=repo, capture_output=True, text=True, env=env, timeout=300)


def test_playbook_commands_resolve_the_conflict_and_roll_back(repo: Path) -> None:
    review, apply_block, rollback_block = _shell_blocks()
    for block in (review, apply_block, rollback_block):
        for cmd in block:
            assert cmd.split()[0] in ("ssot-migrate", "git"), cmd
    before = snapshot(repo)
    for cmd in review:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stderr)
    assert (repo.parent / "phase-b.diff").read_text().startswith("diff --git")
    assert snapshot(repo) == before, "plan must not write"
    for cmd in apply_block:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stdout[-2000:], r.stderr[-2000:])
    staging = (repo / ".env.staging").read_text()
    assert OLD not in re.sub(r"^#.*$", "", staging, flags=re.M) and f"{NEW}=wss://staging.chat.example.com/ws" in staging
    check = _pytest(repo, CONFIG_CHECK)
    assert check.returncode == 0, check.stdout[-3000:]
    assert _pytest(repo, "tests/mission_critical").returncode == 0
    for cmd in rollback_block:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stderr)
    assert snapshot(repo) == before
