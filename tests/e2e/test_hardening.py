"""Faults and hostile input: bytes, file system, plan/apply drift."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from migrate import commands
from migrate.errors import DriftError
from migrate.spec import load_spec
from tests.conftest import make_repo, run_cli, snapshot

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
    "pkg/canon.py": "def make():\n    return 1\nVALUE = 2\n",
    "pkg/legacy.py": "from .canon import make, VALUE\n",
}


def repo_with(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    return make_repo(tmp_path / "repo", {**BASE, **files})


BYTE_CASES = {
    "bom.py": b"\xef\xbb\xbffrom pkg.legacy import make  \r\nx = make()\r\n",
    "latin1.py": b"# -*- coding: latin-1 -*-\nfrom pkg.legacy import make\ns = '\xe9t\xe9'\n",
    "mixed_endings.py": b"import os\r\nfrom pkg.legacy import make\nx = make()\r\ny = 1\r",
    "tabs.py": b"from pkg.legacy import make\nif True:\n\tx = make()\t\n",
    "no_newline.py": b"from pkg.legacy import make\nx = make()",
    "long_line.py": b"from pkg.legacy import make\nx = [" + b"1, " * 20000 + b"make()]\n",
}


@pytest.mark.parametrize("name", sorted(BYTE_CASES))
def test_untouched_bytes_survive(tmp_path: Path, name: str) -> None:
    data = BYTE_CASES[name]
    repo = repo_with(tmp_path, {f"pkg/{name}": data})
    assert run_cli(repo, "apply", "C").returncode == 0
    out = (repo / f"pkg/{name}").read_bytes()
    assert out == data.replace(b"from pkg.legacy import make", b"from pkg.canon import make")
    assert run_cli(repo, "rollback", "C").returncode == 0
    assert (repo / f"pkg/{name}").read_bytes() == data


def test_unreadable_and_odd_files_are_skipped_with_a_message(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "pkg/binary.py": b"\x00\x01from pkg.legacy import make\x00",
            "pkg/bad_utf8.py": b"from pkg.legacy import make\nx = '\xff\xfe'\n",
            "pkg/broken.py": "from pkg.legacy import make\ndef f(:\n",
            "pkg/empty.py": b"",
            "pkg/ok.py": "from pkg.legacy import make\n",
        },
    )
    r = run_cli(repo, "plan", "C", "--no-diff")
    assert "pkg/binary.py:1: warning: E001 skipped: binary file" in r.stderr
    assert any(
        line.startswith("pkg/bad_utf8.py:") and "E001 skipped:" in line for line in r.stderr.splitlines()
    ), r.stderr
    assert "pkg/broken.py:2: warning: E001 skipped: does not parse" in r.stderr
    assert "1 file(s) to change" in r.stderr
    r = run_cli(repo, "plan", "C", "--no-diff", "--strict")
    assert r.returncode == 1
    assert "error: E001" in r.stderr
    # Apply writes the good file and never touches the skipped ones.
    before = snapshot(repo)
    assert run_cli(repo, "apply", "C").returncode == 0
    after = snapshot(repo)
    for name in ("pkg/binary.py", "pkg/bad_utf8.py", "pkg/broken.py", "pkg/empty.py"):
        assert after[name] == before[name]


def test_large_generated_module(tmp_path: Path) -> None:
    # A 5 MB generated data module (embedded tables are what such files usually hold).
    rows = "".join(f'    ("{i:08d}", "{"x" * 1000}"),\n' for i in range(5000))
    data = ("from pkg.legacy import make\n\nTABLE = [\n" + rows + "]\nFIRST = make()\n").encode()
    assert len(data) > 5_000_000
    repo = repo_with(tmp_path, {"pkg/huge.py": data})
    # Over the default limit: skipped, and the message names the file and the option that lifts it.
    r = run_cli(repo, "plan", "C", "--no-diff")
    assert r.returncode == 0
    assert "pkg/huge.py:1: warning: E001 skipped: 5.11 MB is over the 2 MB limit for one file; " \
        "to include it pass --max-file-size 6MB" in r.stderr, r.stderr
    assert run_cli(repo, "apply", "C", "--max-file-size", "6MB", timeout=600).returncode == 0
    assert (repo / "pkg/huge.py").read_bytes() == data.replace(b"pkg.legacy", b"pkg.canon", 1)


@pytest.mark.parametrize("how", ["option", "spec key", "no limit"])
def test_size_limit_can_be_set_on_the_command_line_or_in_the_spec(tmp_path: Path, how: str) -> None:
    big = "from pkg.legacy import make\n" + "x = make()\n" * 300  # 3.3 kB
    repo = repo_with(tmp_path, {"pkg/big.py": big, "pkg/small.py": "from pkg.legacy import make\n"})
    args = ["--max-file-size", "2kB"] if how == "option" else []
    if how == "spec key":
        (repo / "pyproject.toml").write_text(SPEC.replace("source-roots", 'max-file-size = "2kB"\nsource-roots'))
    if how == "no limit":
        args = ["--max-file-size", "0"]
    r = run_cli(repo, "plan", "C", "--no-diff", *args)
    assert r.returncode == 0, r.stderr
    if how == "no limit":
        assert "2 file(s) to change" in r.stderr
        return
    assert "pkg/big.py:1: warning: E001 skipped: 3.33 kB is over the 2 kB limit for one file; to include it pass --max-file-size 4kB" in r.stderr
    assert "1 file(s) to change" in r.stderr
    # --strict turns the skip into an error: apply refuses rather than leave the file unmigrated.
    assert run_cli(repo, "apply", "C", "--strict", *args).returncode == 1


@pytest.mark.parametrize("value, message", [("lots", "--max-file-size: expected a size such as 2MB or 500kB, got 'lots'")])
def test_bad_size_limit_is_a_usage_error(tmp_path: Path, value: str, message: str) -> None:
    repo = repo_with(tmp_path, {"pkg/a.py": "from pkg.legacy import make\n"})
    r = run_cli(repo, "plan", "C", "--max-file-size", value)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    (repo / "pyproject.toml").write_text(SPEC.replace("source-roots", "max-file-size = -1\nsource-roots"))
    r = run_cli(repo, "plan", "C")
    assert r.returncode == 2 and "max-file-size: expected a size such as 2MB, got -1" in r.stderr


def test_symlinks_are_never_followed_or_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("from pkg.legacy import make\n")
    repo = repo_with(tmp_path, {"pkg/real.py": "from pkg.legacy import make\n"})
    os.symlink(outside, repo / "pkg/link_out.py")
    os.symlink(repo / "pkg/real.py", repo / "pkg/link_in.py")
    r = run_cli(repo, "apply", "C", "--allow-dirty")
    assert r.returncode == 0, r.stderr
    assert outside.read_text() == "from pkg.legacy import make\n"
    assert (repo / "pkg/link_out.py").is_symlink() and (repo / "pkg/link_in.py").is_symlink()
    assert (repo / "pkg/real.py").read_text() == "from pkg.canon import make\n"


def test_read_only_file_refuses_before_any_write(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"pkg/a.py": "from pkg.legacy import make\n", "pkg/z.py": "from pkg.legacy import VALUE\n"})
    os.chmod(repo / "pkg/z.py", 0o444)
    before = snapshot(repo)
    r = run_cli(repo, "apply", "C")
    assert r.returncode == 2
    assert "pkg/z.py: read-only" in r.stderr and "Traceback" not in r.stderr
    assert snapshot(repo) == before
    assert stat.S_IMODE((repo / "pkg/z.py").stat().st_mode) == 0o444


def test_file_changed_between_plan_and_apply_is_refused(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"pkg/a.py": "from pkg.legacy import make\n"})
    spec = load_spec(repo / "pyproject.toml")
    reviewed = commands.plan(spec, "C")
    (repo / "pkg/a.py").write_text("from pkg.legacy import make\nx = 1\n")
    with pytest.raises(DriftError) as info:
        commands.apply(spec, "C", reviewed=reviewed, allow_dirty=True)
    assert "pkg/a.py: changed since the plan was computed" in info.value.render()
    (repo / "pkg/a.py").unlink()
    with pytest.raises(DriftError) as info:
        commands.apply(spec, "C", reviewed=reviewed, allow_dirty=True)
    assert "pkg/a.py: deleted since the plan was computed" in info.value.render()
    assert not (repo / ".ssot-migrate/ledger.json").exists() or "C" not in (repo / ".ssot-migrate/ledger.json").read_text()


def test_reviewed_plan_is_applied_exactly(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"pkg/a.py": "from pkg.legacy import make\n"})
    spec = load_spec(repo / "pyproject.toml")
    reviewed = commands.plan(spec, "C")
    result = commands.apply(spec, "C", reviewed=reviewed)
    assert result.written == ["pkg/a.py"]
