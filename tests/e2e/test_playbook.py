"""PLAYBOOK.md's commands are real: extract every shell block and run it on the example.

Each block runs in a temp git copy of examples/websocket_app, in the order
the playbook gives them, with the state the playbook describes before it
(e.g. the rollback blocks run after phase C was applied and committed).
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

from tests.conftest import GIT_ENV, REPO_ROOT, git, snapshot

EXAMPLE = REPO_ROOT / "examples" / "websocket_app"
KNOWN = ("ssot-migrate", "git", "sh", "python")


def shell_blocks(text: str) -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    out = []
    for b in blocks:
        cmds = [line.split("  #")[0].strip() for line in b.strip().splitlines() if line.strip()]
        out.append(cmds)
    return out


BLOCKS = shell_blocks((REPO_ROOT / "PLAYBOOK.md").read_text())


def test_every_playbook_command_is_a_known_tool() -> None:
    assert BLOCKS, "PLAYBOOK.md has no shell blocks"
    for block in BLOCKS:
        for cmd in block:
            words = [w for w in cmd.split() if not ("=" in w and not w.startswith("-") and w.split("=")[0].isupper())]
            assert words and words[0] in KNOWN, cmd


def _run(repo: Path, cmd: str) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, **GIT_ENV, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    if cmd.startswith("ssot-migrate "):
        # The console script may not be on PATH in every venv layout: use the module.
        cmd = f"{shlex.quote(sys.executable)} -m migrate " + cmd[len("ssot-migrate "):]
    return subprocess.run(cmd, shell=True, cwd=repo, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dst = tmp_path / "websocket_app"
    shutil.copytree(EXAMPLE, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", "example")
    return dst


def test_playbook_sequence(repo: Path) -> None:
    def block(pred) -> list[str]:
        (found,) = [b for b in BLOCKS if pred(b)][:1]
        return found

    check_spec = block(lambda b: b == ["ssot-migrate plan C --no-diff"])
    phase_c = block(lambda b: "ssot-migrate apply C --gate" in b)
    rollback_tool = block(lambda b: b == ["ssot-migrate rollback C"])
    rollback_offline = block(lambda b: b == ["sh .ssot-migrate/phases/C/rollback.sh"])
    before = snapshot(repo)
    for cmd in check_spec:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stderr)
    for cmd in phase_c:
        r = _run(repo, cmd)
        expected = 1 if "--check" in cmd else 0
        assert r.returncode == expected, (cmd, r.stdout[-2000:], r.stderr[-2000:])
    assert (repo.parent / "phase-c.diff").read_text().startswith("diff --git")
    applied = snapshot(repo)
    assert applied != before
    for cmd in rollback_tool:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stderr)
    restored = snapshot(repo)
    assert restored == before
    # Re-apply, commit, then the offline procedure.
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "rolled back")
    assert _run(repo, "ssot-migrate apply C --gate").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "phase C again")
    for cmd in rollback_offline:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stderr)
    offline = snapshot(repo)
    assert offline == before


def test_preparing_the_spec(repo: Path) -> None:
    """Section 0's `init`/`audit` block on the example without its spec: the draft it writes is a spec
    the next block (`plan C --no-diff`) accepts, and the rest of pyproject.toml keeps its bytes."""
    (prepare,) = [b for b in BLOCKS if any(c.startswith("ssot-migrate init ") for c in b)][:1]
    check_spec = [b for b in BLOCKS if b == ["ssot-migrate plan C --no-diff"]][0]
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text[: text.index("[tool.ssot-migrate]")], encoding="utf-8")
    git(repo, "commit", "-qam", "no spec yet")
    before = pyproject.read_bytes()
    for cmd in prepare:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stdout[-2000:], r.stderr[-2000:])
    writer = [c for c in prepare if c.startswith("ssot-migrate init ") and "--stdout" not in c]
    assert writer and any("--stdout" in c for c in prepare) and any(c.startswith("ssot-migrate audit") for c in prepare)
    after = pyproject.read_bytes()
    assert after.startswith(before) and b"[tool.ssot-migrate]" in after[len(before):]
    for cmd in check_spec:
        r = _run(repo, cmd)
        assert r.returncode == 0, (cmd, r.stderr)
    assert _run(repo, writer[0]).returncode == 2  # the section exists now: refused, nothing written
    assert pyproject.read_bytes() == after


def _ssot_commands(text: str) -> list[list[str]]:
    cmds = []
    for block in shell_blocks(text):
        for cmd in block:
            tokens = shlex.split(cmd.split(" > ")[0])
            while tokens and "=" in tokens[0] and not tokens[0].startswith("-"):
                tokens = tokens[1:]  # VAR=value prefixes
            if tokens and tokens[0] == "ssot-migrate":
                cmds.append(tokens[1:])
    return cmds


def test_every_ssot_migrate_command_in_the_playbook_parses() -> None:
    """Each `ssot-migrate ...` line names a real command with real options.

    The sequences themselves run in test_playbook_sequence above and in the
    per-phase end-to-end tests (tests/e2e/test_phase_*_example.py).
    """
    import typer.main

    from migrate.cli import app

    def pending(ctx) -> list[str]:
        protected = getattr(ctx, "protected_args", None)
        if protected is None:
            protected = getattr(ctx, "_protected_args", [])
        return [*protected, *ctx.args]

    group = typer.main.get_command(app)
    cmds = _ssot_commands((REPO_ROOT / "PLAYBOOK.md").read_text())
    assert len(cmds) >= 10
    for args in cmds:
        ctx = group.make_context("ssot-migrate", list(args))
        name, cmd, rest = group.resolve_command(ctx, pending(ctx))
        while hasattr(cmd, "resolve_command"):
            sub_ctx = cmd.make_context(name, rest, parent=ctx)
            name, cmd, rest = cmd.resolve_command(sub_ctx, pending(sub_ctx))
            ctx = sub_ctx
        cmd.make_context(name, rest, parent=ctx)  # raises on an unknown option or a missing argument
