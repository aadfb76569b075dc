"""The README's main job: `ssot-migrate demo` runs green and reports numbers from the run."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import run_cli


def test_demo_runs_green(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "demo", timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "[ok] apply C with a failing gate" in r.stderr
    assert "[ok] apply C --verify" in r.stderr
    assert "FAILED" not in r.stderr
    m = re.search(r"legacy references \(phase C scan\)\s*│\s*(\d+)\s*│\s*(\d+)", r.stdout)
    assert m, r.stdout
    before, after = int(m.group(1)), int(m.group(2))
    assert before > after
    workdir = re.search(r"work directory \(log, ledger, rollback patches\): (\S+)", r.stdout)
    assert workdir and (Path(workdir.group(1)) / "websocket_app/.ssot-migrate/phases/C/rollback.patch").is_file()


def test_demo_fails_loudly_on_a_broken_example(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "demo", "--example", str(tmp_path / "nowhere"))
    assert r.returncode == 2
    assert "example not found" in r.stderr
