"""`ssot-migrate init` on a copy of examples/websocket_app whose [tool.ssot-migrate] was removed.

The draft must find what the hand-written spec of the example names (the
implementations, the import paths with their counts, the factories, the
NEXT_PUBLIC_WEBSOCKET_URL / NEXT_PUBLIC_WS_URL pair with its staging conflict),
be a spec that loads and that `plan` runs on, and never change a byte of
pyproject.toml outside the section it adds.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from migrate.init import END_MARKER
from migrate.spec import load_spec
from tests.conftest import REPO_ROOT, git, run_cli, snapshot

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXAMPLE = REPO_ROOT / "examples" / "websocket_app"
CORE = "chat_backend.websocket_core"
UNIFIED = f"{CORE}.unified_manager:UnifiedWebSocketManager"
SERVICE = "chat_backend.services.ws_manager:ServiceWebSocketManager"
LEGACY = "chat_backend.agents.legacy_ws:LegacyWebSocketManager"
CANONICAL = f"{CORE}.websocket_manager:WebSocketManager"
PATTERN = "*WebSocketManager"


def strip_section(text: str) -> str:
    """The example's pyproject.toml without its spec (the section is the file's last part)."""
    head = text[: text.index("[tool.ssot-migrate]")]
    headers = re.findall(r"(?m)^\[+([^\]]+)\]", text[len(head):])
    assert headers and all(h.startswith("tool.ssot-migrate") for h in headers), headers
    return head


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dst = tmp_path / "websocket_app"
    shutil.copytree(EXAMPLE, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    pyproject = dst / "pyproject.toml"
    pyproject.write_text(strip_section(pyproject.read_text(encoding="utf-8")), encoding="utf-8")
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", "example without a spec")
    return dst


def ok(repo: Path, *args: str):
    r = run_cli(repo, *args)
    assert r.returncode == 0, f"{args}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def user_error(cwd: Path, *args: str) -> str:
    r = run_cli(cwd, *args)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def moves_of(spec) -> set[tuple[str, str]]:
    return {(str(m.old), str(m.new)) for m in spec.moves}


def original_example_spec(tmp_path: Path):
    """The hand-written spec of the bundled example, loaded against the example itself."""
    return load_spec(EXAMPLE / "pyproject.toml")


def uncomment_factories(text: str) -> str:
    """Remove one level of "# " from the commented-out phase D draft, as a reviewer would."""
    start = text.index("# [tool.ssot-migrate.factories]")
    end = text.index(END_MARKER)
    block = "\n".join(re.sub(r"^# ?", "", ln) for ln in text[start:end].splitlines())
    return text[:start] + block + "\n" + text[end:]


# -- the draft -------------------------------------------------------------------------------


def test_draft_finds_the_example_and_is_a_spec_plan_runs_on(repo: Path) -> None:
    before = (repo / "pyproject.toml").read_bytes()
    others = {k: v for k, v in snapshot(repo).items() if k != "pyproject.toml"}
    r = ok(repo, "init", "--pattern", PATTERN)
    assert "wrote the draft spec in" in r.stderr and "ssot-migrate plan C --no-diff" in r.stderr
    after = (repo / "pyproject.toml").read_bytes()
    assert after.startswith(before)  # appended: every existing byte kept
    assert {k: v for k, v in snapshot(repo).items() if k != "pyproject.toml"} == others
    text = after.decode("utf-8")
    draft = text[len(before.decode("utf-8")):]

    # Implementations with file:line, and the import paths to them with their counts.
    for key, where in ((UNIFIED, "chat_backend/websocket_core/unified_manager.py:20"),
                       (SERVICE, "chat_backend/services/ws_manager.py:11"),
                       (LEGACY, "chat_backend/agents/legacy_ws.py:11")):
        assert f"#   {key}  ({where})" in draft
    assert "# Implementations: 3 class(es) match --pattern *WebSocketManager" in draft
    assert "#     imported at 13 site(s):" in draft  # UnifiedWebSocketManager, under three paths:
    assert f"#       {CORE}.manager:WebSocketManager  6: chat_backend/agents/base_agent.py:9," in draft
    assert f"#       {UNIFIED}  5: chat_backend/agents/tool_dispatcher.py:9," in draft
    assert f"#       {CANONICAL}  2: chat_backend/websocket_core/manager.py:14, tests/ssot/test_ssot_consolidation.py:151" in draft
    assert f"#       {SERVICE}  1: chat_backend/services/presence.py:8" in draft
    assert f"#   {CORE}.manager  3: chat_backend/agents/supervisor.py:5, chat_backend/api/health.py:5, chat_backend/services/chat_service.py:5" in draft
    assert f"# Proposed canonical: {UNIFIED}" in draft
    assert "why: the most imported implementation: 13 import site(s)" in draft

    # The config keys that differ only in spelling, with the values that conflict.
    assert "# NEXT_PUBLIC_WEBSOCKET_URL / NEXT_PUBLIC_WS_URL: one setting?" in draft
    assert ("CONFLICT .env.staging:6: conflict: NEXT_PUBLIC_WS_URL=wss://staging.chat.example.com/ws (.env.staging:5), "
            "NEXT_PUBLIC_WEBSOCKET_URL=wss://staging-legacy.chat.example.com/ws (.env.staging:6) differ") in draft
    assert "FALLBACK" not in draft  # NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK is another setting

    # Factories (commented out), each with kind and async as the code has them.
    for legacy, kind, is_async in (
        (f"{CORE}.manager:create_websocket_manager", "function", "true"),
        (f"{CORE}.manager:create_websocket_manager_sync", "function", "false"),
        (f"{CORE}.manager:get_websocket_manager", "function", "false"),
        (f"{CORE}.manager:WebSocketManagerFactory.create_manager", "classmethod", "false"),
        (f"{CORE}.manager:WebSocketManagerFactory.create_isolated_manager", "method", "false"),
    ):
        assert f'# legacy = "{legacy}"\n# kind = "{kind}"\n# async = {is_async}\n' in draft
    assert f'# target = "{CORE}.websocket_manager:get_websocket_manager"' in draft
    assert f'# receivers = ["{CORE}.manager:get_websocket_manager_factory"]' in draft

    # The spec as written loads, and phase C plans on it (exit 0: warnings, no error).
    spec = load_spec(repo / "pyproject.toml")
    assert spec.version == "1.9.0"
    assert moves_of(spec) == {
        (f"{CORE}.manager", f"{CORE}.unified_manager"),  # the module that says it is deprecated
        (SERVICE, UNIFIED),
        (LEGACY, UNIFIED),
        (f"{CORE}.manager:WebSocketManager", UNIFIED),
        (CANONICAL, UNIFIED),
    }
    assert all(m.since == "1.9.0" and m.remove_in == "2.0" for m in spec.moves)
    interface = spec.section("interface")
    assert str(interface.canonical) == UNIFIED
    assert {str(t) for t in interface.implementations} == {SERVICE, LEGACY}
    assert [(e.canonical, e.legacy) for e in spec.section("config")] == [("NEXT_PUBLIC_WS_URL", ("NEXT_PUBLIC_WEBSOCKET_URL",))]
    assert spec.section("factories") is None
    r = ok(repo, "plan", "C", "--no-diff")
    assert "0 error(s)" in r.stderr
    r = ok(repo, "audit")
    assert "pattern *WebSocketManager" in r.stdout


def test_canonical_option_gives_the_example_s_hand_written_map(repo: Path, tmp_path: Path) -> None:
    ok(repo, "init", "--pattern", PATTERN, "--canonical", CANONICAL)
    draft = load_spec(repo / "pyproject.toml")
    hand = original_example_spec(tmp_path)
    assert moves_of(draft) == moves_of(hand)
    assert {str(t) for t in draft.section("interface").implementations} == {str(t) for t in hand.section("interface").implementations}
    assert [(e.canonical, e.legacy) for e in draft.section("config")] == [(e.canonical, e.legacy) for e in hand.section("config")]
    ok(repo, "plan", "A", "--no-diff")
    ok(repo, "plan", "C", "--no-diff")


def test_uncommented_factories_draft_is_the_example_s_phase_d_section(repo: Path, tmp_path: Path) -> None:
    ok(repo, "init", "--pattern", PATTERN, "--canonical", CANONICAL)
    path = repo / "pyproject.toml"
    path.write_text(uncomment_factories(path.read_text(encoding="utf-8")), encoding="utf-8")
    draft = load_spec(path).section("factories")
    hand = original_example_spec(tmp_path).section("factories")
    assert draft.target == hand.target and draft.target_async is hand.target_async
    shape = lambda sec: {r.legacy: (r.kind, r.is_async, r.receivers) for r in sec.rules}  # noqa: E731
    assert shape(draft) == shape(hand)
    args = {r.legacy: dict(r.args) for r in draft.rules}
    assert args[f"{CORE}.manager:create_websocket_manager"] == {"user_context": "user_context"}
    assert args[SERVICE] == {"user_context": "user_context"}  # the constructor's own parameter
    assert args[f"{CORE}.manager:get_websocket_manager"] == {}  # zero arguments: a TODO note says what to decide
    r = ok(repo, "plan", "D", "--no-diff")
    assert "0 error(s)" in r.stderr


# -- writing -----------------------------------------------------------------------------------


def test_stdout_writes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    r = ok(repo, "init", "--pattern", PATTERN, "--stdout")
    assert r.stdout.startswith("[tool.ssot-migrate]\n") and r.stdout.rstrip().endswith(END_MARKER)
    assert tomllib.loads(r.stdout)["tool"]["ssot-migrate"]["move"]
    assert snapshot(repo) == before


def test_existing_section_is_refused_and_left_alone(tmp_path: Path) -> None:
    dst = tmp_path / "websocket_app"
    shutil.copytree(EXAMPLE, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    before = snapshot(dst)
    line = user_error(dst, "init", "--pattern", PATTERN)
    assert "pyproject.toml already has a [tool.ssot-migrate] section; nothing written" in line
    assert "--force" in line and "--stdout" in line and "--output" in line
    assert snapshot(dst) == before


def test_force_replaces_the_section_and_keeps_the_rest(repo: Path) -> None:
    path = repo / "pyproject.toml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n") + b'[tool.ssot-migrate]\r\ngate = "false"\r\n\r\n# Lint\r\n[tool.ruff]\r\nline-length = 99\r\n')
    before = path.read_bytes()
    ok(repo, "init", "--pattern", PATTERN, "--force")
    after = path.read_bytes()
    head = before[: before.index(b"[tool.ssot-migrate]")]
    assert after.startswith(head + b"[tool.ssot-migrate]\r\n# ssot-migrate spec drafted by")
    assert after.endswith(b"\r\n# Lint\r\n[tool.ruff]\r\nline-length = 99\r\n")
    assert b'gate = "false"' not in after and b"\n" not in after.replace(b"\r\n", b"")
    data = tomllib.loads(after.decode("utf-8"))
    assert data["tool"]["ruff"] == {"line-length": 99} and data["project"]["name"] == "chat-backend"
    ok(repo, "init", "--pattern", PATTERN, "--force")
    assert path.read_bytes() == after  # the same draft again: idempotent
    ok(repo, "plan", "C", "--no-diff")


def test_output_writes_a_standalone_spec(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "specs" / "ssot.toml"
    out.parent.mkdir()
    before = snapshot(repo)
    r = ok(repo, "init", "--pattern", PATTERN, "--output", str(out))
    assert f"--spec {out}" in r.stderr
    assert snapshot(repo) == before  # pyproject.toml untouched
    text = out.read_text(encoding="utf-8")
    assert 'root = "../websocket_app"' in text and 'version = "1.9.0"' in text
    spec = load_spec(out)
    assert spec.root == repo.resolve() and spec.version == "1.9.0" and len(spec.moves) == 5
    ok(repo, "plan", "C", "--no-diff", "--spec", str(out))
    assert "exists; nothing written (--force replaces it)" in user_error(repo, "init", "--pattern", PATTERN, "--output", str(out))
    ok(repo, "init", "--pattern", PATTERN, "--output", str(out), "--force")


# -- user errors: one line, exit 2, no traceback --------------------------------------------------


@pytest.mark.parametrize(
    "args,expected",
    [
        (["init", "no-such-dir", "--pattern", PATTERN], "ROOT 'no-such-dir' is not a directory"),
        (["init", "--pattern", ".*WebSocketManager$"], "is not a class-name glob such as '*WebSocket*Manager*' (a glob, not a regex: did you mean '*WebSocketManager'?)"),
        (["init", "--pattern", "Web Socket"], "--pattern 'Web Socket' is not a class-name glob"),
        (["init"], "give the implementations' class-name glob: --pattern"),
        (["init", "--pattern", "Nothing*Like*This"], "no class matches --pattern Nothing*Like*This in the 26 Python file(s)"),
        (["init", "--pattern", PATTERN, "--canonical", "chat_backend.nothing:Here"], "is not one of the implementations --pattern found"),
        (["init", "--pattern", PATTERN, "--canonical", "not a path"], "--canonical 'not a path': expected 'pkg.module:ClassName'"),
        (["init", "--pattern", PATTERN, "--stdout", "--output", "x.toml"], "--output and --stdout exclude each other"),
    ],
)
def test_user_errors(repo: Path, args: list[str], expected: str) -> None:
    before = snapshot(repo)
    assert expected in user_error(repo, *args)
    assert snapshot(repo) == before


def test_malformed_pyproject_is_one_clear_error(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    assert "is not valid TOML" in user_error(repo, "init", "--pattern", PATTERN)
    assert (repo / "pyproject.toml").read_text(encoding="utf-8") == "[project\n"


# -- a repository with no pyproject.toml, a src/ layout and keys spelled three ways ---------------

MINI = {
    "src/shop/__init__.py": "",
    "src/shop/store.py": '''\
        class OrderStore:
            def __init__(self, url=None):
                self.url = url


        def get_order_store(url=None) -> OrderStore:
            return OrderStore(url)
        ''',
    "src/shop/legacy_store.py": '''\
        """Deprecated: use shop.store."""

        from shop.store import OrderStore as LegacyOrderStore


        def make_order_store():
            return LegacyOrderStore()
        ''',
    "src/shop/cache.py": '''\
        import os


        class CachedOrderStore:
            def __init__(self, url=None):
                self.url = url or os.environ.get("DATABASE_URL")
        ''',
    "src/shop/app.py": '''\
        import os

        from shop.legacy_store import LegacyOrderStore, make_order_store
        from shop.store import OrderStore
        from shop.cache import CachedOrderStore

        DB = os.getenv("DB_URL") or os.getenv("database_url")
        PREFIX = "DB_" + "URL"  # a piece of a string, not a key


        def stores():
            return [OrderStore(), LegacyOrderStore(), CachedOrderStore(), make_order_store()]
        ''',
    ".env": "DB_URL=postgres://a\nDATABASE_URL=postgres://b\n",
}


def test_repository_without_pyproject(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    repo = make_repo(tmp_path / "shop", dict(MINI))
    r = ok(repo, "init", "--pattern", "*OrderStore")
    assert "wrote the draft spec in" in r.stderr
    text = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith("[tool.ssot-migrate]\n")
    assert "no [project] version found" in text  # since / remove-in are left to the user
    spec = load_spec(repo / "pyproject.toml")
    assert moves_of(spec) == {
        ("shop.legacy_store", "shop.store"),  # "Deprecated:" docstring, re-exports the class
        ("shop.cache:CachedOrderStore", "shop.store:OrderStore"),
        ("shop.legacy_store:LegacyOrderStore", "shop.store:OrderStore"),  # another name: a move of its own
    }
    assert [(e.canonical, e.legacy) for e in spec.section("config")] == [("DB_URL", ("DATABASE_URL", "database_url"))]
    assert "CONFLICT .env:" in text and "postgres://a" in text and "postgres://b" in text
    assert '# target = "shop.store:get_order_store"' in text
    assert '# legacy = "shop.legacy_store:make_order_store"' in text
    assert '# legacy = "shop.cache:CachedOrderStore"\n# kind = "constructor"' in text
    assert '#     constructed directly (outside the factories) at 1 site(s): src/shop/app.py:12' in text
    ok(repo, "plan", "C", "--no-diff")
