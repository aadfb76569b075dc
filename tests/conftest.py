"""Shared fixtures: throwaway git repositories and a CLI runner.

Tests that need git make their own repositories in tmp dirs with an identity
set through the environment, so they never depend on (or change) the
machine's git configuration.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "ssot-migrate tests",
    "GIT_AUTHOR_EMAIL": "tests@ssot-migrate.invalid",
    "GIT_COMMITTER_NAME": "ssot-migrate tests",
    "GIT_COMMITTER_EMAIL": "tests@ssot-migrate.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in GIT_ENV.items():
        monkeypatch.setenv(k, v)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}).stdout


def make_repo(root: Path, files: Mapping[str, str | bytes], *, commit: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content), encoding="utf-8")
    if commit:
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "initial")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file's bytes, except VCS data and our own state."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith((".git/", ".ssot-migrate/", ".pytest_cache/")) or "__pycache__" in rel or not p.is_file():
            continue
        out[rel] = p.read_bytes()
    return out


def run_cli(cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "migrate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
        timeout=timeout,
    )


#: Whole-migration runs on the bundled example, longest first.  pytest-xdist hands tests
#: out in collection order, so starting these first keeps one long test from being the
#: tail of the run while the other worker idles.
LONG_FIRST = (
    "tests/e2e/test_demo.py",
    "tests/e2e/test_phase_e_example.py",
    "tests/e2e/test_phase_d_example.py",
    "tests/e2e/test_shim_generate.py",
    "tests/e2e/test_phase_a_example.py",
    "tests/e2e/test_audit_check.py",
    "tests/e2e/test_playbook.py",
    "tests/e2e/test_phase_b_example.py",
    "tests/e2e/test_cli_lifecycle.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FIRST)}

    def key(item: pytest.Item) -> int:
        path = Path(str(item.fspath)).resolve()
        try:
            rel = path.relative_to(REPO_ROOT).as_posix()
        except ValueError:
            return len(rank)
        return rank.get(rel, len(rank))

    items.sort(key=key)  # stable: the order inside each group is kept
