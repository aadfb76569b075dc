"""Set-ups several e2e tests share: a temp git copy of examples/websocket_app, and the phases run on it.

Not a test module (no ``test_`` prefix): imported by the tests that need it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT, git, run_cli

EXAMPLE = REPO_ROOT / "examples" / "websocket_app"
#: The example's [[config]] entry: phase B with the compat reader turns reads of the legacy key into this call.
CANONICAL_KEY = "NEXT_PUBLIC_WS_URL"
LEGACY_KEY = "NEXT_PUBLIC_WEBSOCKET_URL"
FALLBACK_CALL = f'read_env("{CANONICAL_KEY}", "{LEGACY_KEY}")'


def copy_example(root: Path) -> Path:
    """The bundled example in ``root``, committed in a fresh git repository."""
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ssot-migrate"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "fragmented example")
    return root


def ok(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    r = run_cli(root, *args, timeout=timeout)
    assert r.returncode == 0, f"{args}: rc={r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def commit(root: Path, msg: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", msg)


def enable_compat_reader(root: Path) -> None:
    """``compat-reader = true`` on the example's [[config]] entry, committed."""
    spec = root / "pyproject.toml"
    text = spec.read_text(encoding="utf-8")
    entry = f'legacy = ["{LEGACY_KEY}"]\n'
    assert text.count(entry) == 1
    spec.write_text(text.replace(entry, entry + "compat-reader = true\n"), encoding="utf-8")
    commit(root, "compat reader on")


def apply_b_to_e_with_compat_reader(root: Path, *, gate: bool = False) -> None:
    """B (compat reader on, canonical preferred), C, D, then E --force, each committed.

    After this the example's URL read went through ``read_env`` (B) and back to a
    plain read (E): the fallback of NEXT_PUBLIC_WS_URL is one E removed.
    """
    enable_compat_reader(root)
    g = ("--gate",) if gate else ()
    ok(root, "apply", "B", *g, "--prefer", "canonical")
    commit(root, "phase B")
    for letter in "CD":
        ok(root, "apply", letter, *g)
        commit(root, f"phase {letter}")
    ok(root, "apply", "E", "--force", *g)
    commit(root, "phase E")
