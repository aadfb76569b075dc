"""Phase E end to end on a temp copy of examples/websocket_app, through the real CLI.

The story of the incident, replayed: after phase C alone the compat module
still has imports pointing at it (the factories phase D rewrites), so E is
blocked and says by which file:line; a test that pokes the module's state
(``import ...manager as m; m._process_manager = None``) blocks it too; after
D, only the version policy (1.9.0 < remove-in 2.0) holds it, and ``--force``
deletes the module and the two duplicate implementations behind the gate.
Then ``check`` guards the result, and rollback restores every byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_cli, snapshot
from tests.e2e.example_repo import commit, copy_example, enable_compat_reader, ok

GONE = ["chat_backend/agents/legacy_ws.py", "chat_backend/services/ws_manager.py", "chat_backend/websocket_core/manager.py"]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "websocket_app")


def test_phase_e_on_the_example(repo: Path) -> None:
    ok(repo, "apply", "C", "--gate")
    commit(repo, "phase C")

    # Blocked: the factory imports phase D rewrites are still there, each named with file:line.
    r = ok(repo, "plan", "E", "--force", "--no-diff")
    assert "chat_backend/api/websocket_routes.py:11: warning: E101 import reference 'chat_backend.websocket_core.manager:create_websocket_manager'" in r.stderr
    assert "chat_backend/websocket_core/manager.py:1: warning: E102 chat_backend.websocket_core.manager not removed: 6 reference(s) left" in r.stderr
    assert "E103 precondition: phase(s) D not applied" in r.stderr
    # Phase C already moved every import of the two duplicates: they could go; the compat module cannot.
    assert "2 file(s) to change" in r.stderr
    refused = run_cli(repo, "apply", "E", "--force")
    assert refused.returncode == 2 and "needs phase(s) D applied first" in refused.stderr

    ok(repo, "apply", "D", "--gate")
    commit(repo, "phase D")

    # A test poking the module's state: a name search for "manager" imports misses it; E does not.
    (repo / "tests" / "test_reset.py").write_text(
        "import chat_backend.websocket_core.manager as m\n\n\ndef test_reset():\n    m._process_manager = None\n", encoding="utf-8"
    )
    r = ok(repo, "plan", "E", "--force", "--no-diff")
    assert "tests/test_reset.py:1: warning: E101 import reference 'chat_backend.websocket_core.manager'" in r.stderr
    assert "2 file(s) to change" in r.stderr  # the two duplicates still go; the compat module stays
    (repo / "tests" / "test_reset.py").unlink()

    # Only the version policy is left.
    r = ok(repo, "plan", "E", "--no-diff")
    assert r.stderr.count("E105 version policy") == 3 and "the project is at 1.9.0" in r.stderr
    assert "0 file(s) to change" in r.stderr

    # Telemetry from a production run still showing a hit blocks it too.
    usage = repo.parent / "usage.json"
    usage.write_text(json.dumps({"version": 1, "registered": [], "hits": [
        {"shim": "chat_backend.websocket_core.manager", "legacy": "chat_backend.websocket_core.manager:get_websocket_manager",
         "target": "chat_backend.websocket_core.websocket_manager:get_websocket_manager", "kind": "symbol",
         "file": "/srv/app/worker.py", "line": 40, "count": 12}]}))
    r = ok(repo, "plan", "E", "--force", "--no-diff", "--usage", str(usage))
    assert "E104 shim telemetry (usage.json): chat_backend.websocket_core.manager:get_websocket_manager was used 12 time(s) from /srv/app/worker.py:40" in r.stderr
    assert "2 file(s) to change" in r.stderr

    # The diff of the removal, then the removal behind the gate.
    r = ok(repo, "plan", "E", "--force")
    for path in GONE:
        assert f"--- a/{path}" in r.stdout and "+++ /dev/null" in r.stdout
    before_e = snapshot(repo)
    ok(repo, "apply", "E", "--force", "--gate")
    for path in GONE:
        assert not (repo / path).exists()
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/ssot/test_ssot_consolidation.py::test_legacy_module_removed",
         "tests/ssot/test_ssot_consolidation.py::test_single_manager_implementation"],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )
    assert suite.returncode == 0, suite.stdout[-2000:]
    commit(repo, "phase E")

    # The guard: clean now; a re-added import of the removed module fails it, with annotations.
    r = ok(repo, "check")
    assert "ssot-migrate check: OK" in r.stdout and "E" in r.stdout
    (repo / "chat_backend" / "late.py").write_text("from chat_backend.websocket_core.manager import WebSocketManager\n", encoding="utf-8")
    r = run_cli(repo, "check", "--format", "github")
    assert r.returncode == 1
    assert "::error file=chat_backend/late.py,line=1,title=ssot-migrate G102::" in r.stdout
    (repo / "chat_backend" / "late.py").unlink()
    ok(repo, "check")

    # Rollback restores every deleted byte.
    ok(repo, "rollback", "E")
    assert snapshot(repo) == before_e


MINI_SPEC = """
[project]
name = "mini"
version = "2.0.0"

[tool.ssot-migrate]
source-roots = ["."]
gate = "python -c 'import pkg.app'"

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
remove-in = "2.0"

[tool.ssot-migrate.factories]
target = "pkg.canon:get_thing"
target-async = false

[[tool.ssot-migrate.factories.rule]]
legacy = "pkg.factories:make_thing"
kind = "function"
async = false
args = { name = "name" }

[tool.ssot-migrate.cleanup]
remove-in = "2.0"
"""

MINI = {
    "pyproject.toml": MINI_SPEC,
    "pkg/__init__.py": "",
    "pkg/canon.py": "def get_thing(name):\n    return ('thing', name)\n",
    "pkg/legacy.py": "from pkg.canon import get_thing  # the old home\n",
    "pkg/factories.py": (
        "from pkg.canon import get_thing\n\n__all__ = [\"make_thing\", \"keep\"]\n\n\n"
        "def make_thing(name):  # legacy factory\n    return get_thing(name)\n\n\ndef keep():\n    return 1\n"
    ),
    "pkg/app.py": "from pkg.legacy import get_thing as g\nfrom pkg.factories import make_thing\n\nA = make_thing('a')\nB = g('b')\n",
}


def test_phase_e_cuts_a_legacy_factory_and_rollback_restores_it(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    repo = make_repo(tmp_path / "mini", MINI)
    ok(repo, "apply", "C", "--gate")
    commit(repo, "C")
    r = ok(repo, "plan", "E", "--no-diff")
    assert "pkg/app.py:2: warning: E101 import reference 'pkg.factories:make_thing' blocks the removal of pkg.factories:make_thing" in r.stderr
    ok(repo, "apply", "D", "--gate")
    commit(repo, "D")
    before = snapshot(repo)
    r = ok(repo, "plan", "E")
    assert "-def make_thing(name):  # legacy factory" in r.stdout and "+++ /dev/null" in r.stdout
    ok(repo, "apply", "E", "--gate")
    assert not (repo / "pkg/legacy.py").exists()
    assert (repo / "pkg/factories.py").read_text() == "from pkg.canon import get_thing\n\n__all__ = [\"keep\"]\n\n\ndef keep():\n    return 1\n"
    commit(repo, "E")
    ok(repo, "check")
    # The factory comes back (copied from an old branch): the guard sees it.
    (repo / "pkg/factories.py").write_text(MINI["pkg/factories.py"])
    r = run_cli(repo, "check")
    assert r.returncode == 1 and "pkg/factories.py:6: G103 make_thing was removed from pkg/factories.py by phase E and is back" in r.stdout
    git(repo, "checkout", "--", "pkg/factories.py")
    ok(repo, "rollback", "E")
    assert snapshot(repo) == before


def test_phase_e_removes_the_compat_reader_fallback_phase_b_added(repo: Path) -> None:
    """B with ``compat-reader = true`` routes the URL read through read_env; E turns it back into a plain read."""
    enable_compat_reader(repo)
    config = repo / "chat_backend" / "config.py"
    original = config.read_bytes()

    ok(repo, "apply", "B", "--gate", "--prefer", "canonical")
    commit(repo, "phase B")
    after_b = config.read_bytes()
    call = b'read_env("NEXT_PUBLIC_WS_URL", "NEXT_PUBLIC_WEBSOCKET_URL")'
    assert call in after_b and b"from shims.config import read_env\n" in after_b

    # Before C and D, the fallback's only blockers are E's own preconditions.
    r = ok(repo, "plan", "E", "--no-diff")
    assert "E103 precondition: phase(s) C, D not applied" in r.stderr
    line = after_b[: after_b.index(call)].count(b"\n") + 1
    policy = f"chat_backend/config.py:{line}: warning: E105 version policy: the compat-reader fallback of NEXT_PUBLIC_WS_URL is removed in 2.0; the project is at 1.9.0"
    assert policy in r.stderr

    ok(repo, "apply", "C", "--gate")
    commit(repo, "phase C")
    ok(repo, "apply", "D", "--gate")
    commit(repo, "phase D")
    r = ok(repo, "plan", "E", "--force")
    assert "--- a/chat_backend/config.py" in r.stdout
    assert f"-        {call.decode()}" in r.stdout and '+        os.environ.get("NEXT_PUBLIC_WS_URL")' in r.stdout
    assert "-from shims.config import read_env" in r.stdout
    r = ok(repo, "plan", "E", "--force", "--no-diff", "-v")
    assert f"chat_backend/config.py:{line}: info: E100 the compat-reader fallback of NEXT_PUBLIC_WS_URL goes: 1 reader call(s) in 1 file(s)" in r.stderr

    before_e = snapshot(repo)
    ok(repo, "apply", "E", "--force", "--gate")
    after_e = config.read_bytes()
    # Exactly the call and the import changed; every other byte is phase B's output.
    assert after_e == after_b.replace(call, b'os.environ.get("NEXT_PUBLIC_WS_URL")').replace(b"from shims.config import read_env\n", b"")
    assert b"read_env" not in after_e and b"shims" not in after_e and after_e.count(b"import os\n") == 1
    assert after_e != original  # the old key's read is gone for good: that was the point of phase B
    suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/mission_critical"],
                           cwd=repo, capture_output=True, text=True, timeout=300)
    assert suite.returncode == 0, suite.stdout[-2000:]
    for path in GONE:
        assert not (repo / path).exists()
    r = ok(repo, "plan", "E", "--no-diff", "-v")
    assert "0 file(s) to change" in r.stderr and "the compat-reader fallback of NEXT_PUBLIC_WS_URL is already gone" in r.stderr

    ok(repo, "rollback", "E")
    assert snapshot(repo) == before_e
