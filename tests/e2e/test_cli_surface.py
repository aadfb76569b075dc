"""What a new user meets first: --version, help text, and a CLI module that is safe to import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from migrate import __version__
from tests.conftest import run_cli


def test_version_alone_prints_the_version(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"ssot-migrate {__version__}"


def test_help_keeps_brackets_and_has_no_bool_placeholders(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "plan", "--help")
    assert r.returncode == 0, r.stderr
    assert "[tool.ssot-migrate]" in r.stdout  # rich markup used to swallow it
    assert "<bool>" not in r.stdout
    assert "S (shim generation)" in r.stdout
    status = run_cli(tmp_path, "status", "--help").stdout
    assert "--format" in status and "json: one document" in status


def test_importing_the_cli_never_exits_the_process(tmp_path: Path) -> None:
    # The `check` fast path used to run at import time, keyed on sys.argv.
    code = "import sys; sys.argv = ['ssot-migrate', 'check']; import migrate.cli; print('still here')"
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ}, timeout=60)
    assert r.returncode == 0 and "still here" in r.stdout, r.stderr
