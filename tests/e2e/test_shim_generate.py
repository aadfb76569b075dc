"""`ssot-migrate shim generate` / `shim verify`: journaled generation, real import checks."""

from __future__ import annotations

import json
from pathlib import Path

from shims.generator import MARKER
from tests.conftest import git, make_repo, run_cli, snapshot

SPEC = """
[project]
name = "mini"
version = "1.0.0"

[tool.ssot-migrate]
source-roots = ["."]

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
since = "0.9"
remove-in = "3.0"
"""

FILES = {
    "pyproject.toml": SPEC,
    "pkg/__init__.py": "",
    "pkg/canon.py": """\
        class Manager:
            registry = {}


        def get_manager(user: str) -> Manager:
            return Manager()
        """,
    "pkg/legacy.py": "from .canon import Manager, get_manager  # old path\n",
}


def test_generate_verify_check_and_rollback(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    before = snapshot(repo)
    assert run_cli(repo, "shim", "generate", "--check").returncode == 1  # pending
    r = run_cli(repo, "shim", "generate")
    assert r.returncode == 0, r.stderr
    shim = (repo / "pkg/legacy.py").read_text()
    assert shim.startswith(MARKER)
    assert "forward_module(__name__, 'pkg.canon', since='0.9', remove_in='3.0', version='1.0.0')" in shim
    stub = (repo / "pkg/legacy.pyi").read_text()
    assert "@deprecated(" in stub and "class Manager(_canonical_Manager): ..." in stub
    assert "def get_manager(user: str) -> Manager: ..." in stub
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shims")
    assert run_cli(repo, "shim", "generate", "--check").returncode == 0  # fresh
    r = run_cli(repo, "shim", "verify", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    (check,) = json.loads(r.stdout)
    assert check["ok"] and check["legacy"] == "pkg.legacy" and "at the import line" in check["warning"]
    # The generated shim really forwards: same objects, warning at the caller's line.
    probe = repo / "probe.py"
    probe.write_text(
        "import warnings\nwarnings.simplefilter('always')\n"
        "from pkg.legacy import Manager\nimport pkg.canon\nassert Manager is pkg.canon.Manager\nprint('same')\n"
    )
    import subprocess
    import sys

    p = subprocess.run([sys.executable, str(probe)], cwd=repo, capture_output=True, text=True)
    assert p.returncode == 0 and "same" in p.stdout, p.stderr
    assert "probe.py:3" in p.stderr and "pkg.canon" in p.stderr
    probe.unlink()
    r = run_cli(repo, "rollback", "S")
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == before


def test_legacy_module_with_its_own_definitions_is_not_replaced(tmp_path: Path) -> None:
    files = dict(FILES)
    files["pkg/legacy.py"] = "from .canon import Manager\n\n\ndef create_manager():\n    return Manager()\n"
    repo = make_repo(tmp_path / "repo", files)
    before = snapshot(repo)
    r = run_cli(repo, "shim", "generate")
    assert r.returncode == 0
    assert "S101" in r.stderr and "create_manager" in r.stderr
    assert snapshot(repo) == before
    r = run_cli(repo, "shim", "generate", "--force")
    assert r.returncode == 0
    assert "dropped (--force)" in r.stderr
    assert (repo / "pkg/legacy.py").read_text().startswith(MARKER)


def test_verify_catches_a_second_copy(tmp_path: Path) -> None:
    files = dict(FILES)
    # A hand-made "shim" that copies the class instead of forwarding it.
    files["pkg/legacy.py"] = MARKER + "\nimport warnings\nwarnings.warn('old', DeprecationWarning)\n\n\nclass Manager:\n    registry = {}\n"
    repo = make_repo(tmp_path / "repo", files)
    r = run_cli(repo, "shim", "verify", "--format", "json")
    assert r.returncode == 1
    (check,) = json.loads(r.stdout)
    assert not check["ok"]
    assert any("not the same objects" in p or "no LegacyImportWarning" in p for p in check["problems"])


def test_verify_without_shims_is_a_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    r = run_cli(repo, "shim", "verify")
    assert r.returncode == 2 and "no generated shims found" in r.stderr


def test_generate_and_verify_on_the_example_after_phase_c(tmp_path: Path) -> None:
    """The bundled example: after phase C, its legacy compat module becomes a verified shim."""
    import shutil

    from tests.conftest import REPO_ROOT

    repo = tmp_path / "websocket_app"
    shutil.copytree(REPO_ROOT / "examples/websocket_app", repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "example")
    assert run_cli(repo, "apply", "C", "--gate").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "phase C")
    r = run_cli(repo, "shim", "generate")
    # The legacy module still defines its own factories (phase D's business): not replaced.
    assert r.returncode == 0 and "S101" in r.stderr and "create_websocket_manager" in r.stderr
    r = run_cli(repo, "shim", "generate", "--force")
    assert r.returncode == 0, r.stderr
    r = run_cli(repo, "shim", "verify", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    (check,) = json.loads(r.stdout)
    assert check["legacy"] == "chat_backend.websocket_core.manager" and check["ok"]
    assert run_cli(repo, "rollback", "S").returncode == 0
    # Production without the tool: the vendored runtime, checked by a bare venv's interpreter.
    import subprocess
    import sys

    r = run_cli(repo, "shim", "generate", "--force", "--runtime", "vendored")
    assert r.returncode == 0, r.stderr
    assert "from chat_backend._ssot_shims import forward_module" in (repo / "chat_backend/websocket_core/manager.py").read_text()
    venv = tmp_path / "prod"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    r = run_cli(repo, "shim", "verify", "--python", str(python), "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    (check,) = json.loads(r.stdout)
    assert check["ok"] and check["names"] > 0
    assert run_cli(repo, "rollback", "S").returncode == 0


FACTORIES = """
[tool.ssot-migrate.factories]
target = "pkg.canon:get_manager"
target-async = false

[[tool.ssot-migrate.factories.rule]]
legacy = "pkg.factories:make_manager"
kind = "function"
async = false
args = { user = "user" }
"""


def test_phase_e_deletes_the_generated_stub_with_its_module(tmp_path: Path) -> None:
    """The shim and its .pyi go together (a stub left behind keeps the module alive for type checkers)."""
    files = {**FILES, "pyproject.toml": SPEC + FACTORIES,
             "pkg/factories.py": "from pkg.canon import get_manager\n\n\ndef make_manager(user):\n    return get_manager(user)\n",
             "pkg/app.py": "from pkg.factories import make_manager\n\nM = make_manager('u')\n"}
    repo = make_repo(tmp_path / "repo", files)
    assert run_cli(repo, "shim", "generate").returncode == 0
    stub = (repo / "pkg/legacy.pyi").read_bytes()
    assert stub.startswith(MARKER.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shims")
    for letter in "CD":
        r = run_cli(repo, "apply", letter)
        assert r.returncode == 0, r.stderr
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", letter)
    before_e = snapshot(repo)
    r = run_cli(repo, "plan", "E", "--force")
    assert r.returncode == 0, r.stderr
    assert "--- a/pkg/legacy.pyi" in r.stdout and "and the generated stub(s) beside them (pkg/legacy.pyi)" in run_cli(repo, "plan", "E", "--force", "--no-diff", "-v").stderr
    r = run_cli(repo, "apply", "E", "--force")
    assert r.returncode == 0, r.stderr
    assert not (repo / "pkg/legacy.py").exists() and not (repo / "pkg/legacy.pyi").exists()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "E")
    assert run_cli(repo, "check").returncode == 0
    # Removed on purpose: shim generate does not create the legacy path again (git-mv-first creation).
    r = run_cli(repo, "shim", "generate", "--check")
    assert r.returncode == 0, r.stdout + r.stderr
    # The stub copied back from an old branch: the guard sees it.
    (repo / "pkg/legacy.pyi").write_bytes(stub)
    r = run_cli(repo, "check")
    assert r.returncode == 1 and "pkg/legacy.pyi:1: G103 pkg/legacy.pyi was deleted by phase E and is back" in r.stdout
    (repo / "pkg/legacy.pyi").unlink()
    r = run_cli(repo, "rollback", "E")
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == before_e


GIT_MV_SPEC = """
[project]
name = "mini"
version = "1.0.0"

[tool.ssot-migrate]
source-roots = ["src"]

[[tool.ssot-migrate.move]]
from = "oldpkg.manager"
to = "newpkg.core"
since = "0.9"
remove-in = "3.0"

[[tool.ssot-migrate.move]]
from = "newpkg.helpers:old_helper"
to = "newpkg.core:get_manager"
since = "0.9"
remove-in = "3.0"

[[tool.ssot-migrate.move]]
from = "gone.util:make"
to = "newpkg.core:get_manager"
since = "0.9"
remove-in = "3.0"
"""

GIT_MV_FILES = {
    "pyproject.toml": GIT_MV_SPEC,
    # `git mv src/oldpkg/manager.py src/newpkg/core.py` already happened: oldpkg is gone.
    "src/newpkg/__init__.py": "",
    "src/newpkg/core.py": FILES["pkg/canon.py"],
    # old_helper was moved out of helpers (deleted there); helpers itself stays.
    "src/newpkg/helpers.py": "def other():\n    return 1",  # no final newline
}

GIT_MV_PROBE = """\
import warnings
warnings.simplefilter("always")
from oldpkg.manager import Manager, get_manager
from newpkg.helpers import old_helper, other
from gone.util import make
import newpkg.core as c
print(Manager is c.Manager, old_helper is c.get_manager, make is c.get_manager, other())
"""


def test_generate_after_git_mv_creates_the_legacy_path_and_rolls_back(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = make_repo(tmp_path / "repo", GIT_MV_FILES)
    before = snapshot(repo)
    r = run_cli(repo, "shim", "generate")
    assert r.returncode == 0, r.stderr
    shim = (repo / "src/oldpkg/manager.py").read_text()
    assert shim.startswith(MARKER) and "forward_module(__name__, 'newpkg.core'" in shim
    assert (repo / "src/oldpkg/__init__.py").read_text().startswith(MARKER)
    assert "class Manager(_canonical_Manager): ..." in (repo / "src/oldpkg/manager.pyi").read_text()
    helpers = (repo / "src/newpkg/helpers.py").read_bytes()
    assert helpers.startswith(b"def other():\n    return 1\n\n# Forwarded names")  # original bytes kept, then the block
    assert b"forward_symbols(__name__, {'old_helper': 'newpkg.core:get_manager'}" in helpers
    assert (repo / "src/gone/util.py").exists() and (repo / "src/gone/__init__.py").exists()
    probe = tmp_path / "probe.py"
    probe.write_text(GIT_MV_PROBE)
    env = {**__import__("os").environ, "PYTHONPATH": f"{repo / 'src'}{__import__('os').pathsep}{Path(__file__).resolve().parents[2]}"}
    p = subprocess.run([sys.executable, str(probe)], cwd=repo, capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout.split() == ["True", "True", "True", "1"], p.stderr
    assert f"{probe}:3" in p.stderr and f"{probe}:4" in p.stderr and f"{probe}:5" in p.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shims")
    assert run_cli(repo, "shim", "generate", "--check").returncode == 0  # a second run changes nothing
    r = run_cli(repo, "shim", "verify", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert [c["legacy"] for c in json.loads(r.stdout)] == ["oldpkg.manager"]
    r = run_cli(repo, "rollback", "S")
    assert r.returncode == 0, r.stderr
    assert snapshot(repo) == before
    assert not (repo / "src/oldpkg").exists() and not (repo / "src/gone").exists()  # no namespace package left


def test_rollback_keeps_a_folder_that_existed_before_the_apply(tmp_path: Path) -> None:
    """Rollback removes the folders the phase created, never one the user had (even an empty one)."""
    repo = make_repo(tmp_path / "repo", GIT_MV_FILES)
    (repo / "src/gone").mkdir()  # empty, untracked: the user's
    r = run_cli(repo, "shim", "generate")
    assert r.returncode == 0, r.stderr
    assert (repo / "src/gone/util.py").exists() and (repo / "src/oldpkg/manager.py").exists()
    r = run_cli(repo, "rollback", "S")
    assert r.returncode == 0, r.stderr
    assert (repo / "src/gone").is_dir() and list((repo / "src/gone").iterdir()) == []
    assert not (repo / "src/oldpkg").exists()  # created by the phase: removed


def test_a_module_named_shims_in_the_source_roots_is_refused(tmp_path: Path) -> None:
    files = {**GIT_MV_FILES, "src/shims/__init__.py": "# the user's own shims package\n"}
    repo = make_repo(tmp_path / "repo", files)
    before = snapshot(repo)
    r = run_cli(repo, "shim", "generate")
    assert r.returncode == 2 and "would shadow the shims runtime" in r.stderr and "--runtime vendored" in r.stderr
    assert "Traceback" not in r.stderr and snapshot(repo) == before
    r = run_cli(repo, "shim", "generate", "--runtime", "vendored")  # the vendored runtime has its own name
    assert r.returncode == 0, r.stderr
    assert "from newpkg._ssot_shims import forward_module" in (repo / "src/oldpkg/manager.py").read_text()


def test_vendored_runtime_passes_verify_in_a_venv_without_the_tool(tmp_path: Path) -> None:
    """Production needs only the standard library: a bare venv imports the shims and passes `shim verify`."""
    import subprocess
    import sys

    repo = make_repo(tmp_path / "repo", GIT_MV_FILES)
    before = snapshot(repo)
    venv = tmp_path / "prod"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    p = subprocess.run([str(python), "-c", "import shims"], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 1 and "No module named 'shims'" in p.stderr  # nothing of the tool there
    # The installed runtime is not there: verify with that interpreter says so.
    assert run_cli(repo, "shim", "generate").returncode == 0
    r = run_cli(repo, "shim", "verify", "--python", str(python), "--format", "json")
    (check,) = json.loads(r.stdout)
    assert r.returncode == 1 and "generate with --runtime vendored" in check["problems"][0]
    assert run_cli(repo, "rollback", "S").returncode == 0 and snapshot(repo) == before
    r = run_cli(repo, "shim", "generate", "--runtime", "vendored")
    assert r.returncode == 0, r.stderr
    vendored = sorted(p.name for p in (repo / "src/newpkg/_ssot_shims").glob("*.py"))
    assert "forward.py" in vendored and "generator.py" not in vendored and "verifier.py" not in vendored
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "vendored shims")
    r = run_cli(repo, "shim", "verify", "--python", str(python), "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    (check,) = json.loads(r.stdout)
    assert check["ok"] and "at the import line" in check["warning"]
    assert run_cli(repo, "shim", "generate", "--runtime", "vendored", "--check").returncode == 0
    assert run_cli(repo, "rollback", "S").returncode == 0
    assert snapshot(repo) == before


def test_unknown_runtime_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", GIT_MV_FILES)
    r = run_cli(repo, "shim", "generate", "--runtime", "pypi")
    assert r.returncode == 2 and "--runtime must be one of installed, vendored" in r.stderr


def test_symbol_block_rerender_keeps_the_users_bytes_around_it() -> None:
    """Re-rendering the forwarding block replaces only the generated lines (code added after it survives)."""
    from shims.generator import SymbolForward, render_symbol_block, split_symbol_block

    one = [SymbolForward("Old", "pkg.canon:New", "1.0", "2.0", None, "1.5", "move[0]")]
    two = one + [SymbolForward("Older", "pkg.canon:New", "1.0", "2.0", None, "1.5", "move[1]")]
    head, tail = b"x = 1\n\n", b"\n\ndef added_later():\n    return 2\n"
    source = head + render_symbol_block(one).encode() + tail
    before, after = split_symbol_block(source)
    assert (before, after) == (head, tail)
    rerendered = before + render_symbol_block(two).encode() + after
    assert rerendered.startswith(head) and rerendered.endswith(tail) and b"'Older': 'pkg.canon:New'" in rerendered
    assert split_symbol_block(rerendered) == (head, tail)
    assert split_symbol_block(b"no block\n") == (b"no block\n", b"")
