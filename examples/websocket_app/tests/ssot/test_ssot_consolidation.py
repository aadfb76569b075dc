"""What "one source of truth" means for this codebase, checked statically.

Every test here fails before the migration and passes after it.  Legacy names
are spelled in pieces so that rewriting this file cannot make a check vacuous.
"""

import ast
import asyncio
import fnmatch
import importlib.util
import re
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chat_backend"


def dotted(*parts: str) -> str:
    return ".".join(parts)


CORE = dotted("chat_backend", "websocket_core")
LEGACY_MODULE = dotted(CORE, "manager")
CANONICAL_MODULE = dotted(CORE, "websocket_manager")
IMPL_MODULE = dotted(CORE, "unified_manager")
IMPL_CLASS = "Unified" + "WebSocketManager"
DUPLICATE_MODULES = (dotted("chat_backend", "services", "ws_manager"), dotted("chat_backend", "agents", "legacy_ws"))
LEGACY_MODULES = (LEGACY_MODULE, *DUPLICATE_MODULES)
# The modules that define things rather than use them.
DEFINING_MODULES = {LEGACY_MODULE, CANONICAL_MODULE, IMPL_MODULE, *DUPLICATE_MODULES}

LEGACY_FACTORIES = {
    "create_websocket_manager",
    "create_websocket_manager_sync",
    "create_manager",
    "create_isolated_manager",
    "get_websocket_manager_factory",
}
MANAGER_CLASSES = {IMPL_CLASS, "WebSocketManager", "ServiceWebSocketManager", "LegacyWebSocketManager",
                   "WebSocketManagerFactory"}
ONE_FACTORY = "get_websocket_manager"

OLD_KEY = "NEXT_PUBLIC_" + "WEBSOCKET_URL"
NEW_KEY = "NEXT_PUBLIC_" + "WS_URL"
FALLBACK_KEY = OLD_KEY + "_FALLBACK"
OLD_KEY_TOKEN = re.compile(r"(?<![A-Za-z0-9_])" + OLD_KEY + r"(?![A-Za-z0-9_])")


# -- helpers -----------------------------------------------------------------

def hidden_or_cache(path: Path) -> bool:
    return any(p.startswith(".") or p in {"__pycache__", "node_modules"} for p in path.relative_to(ROOT).parts[:-1])


def python_files():
    for path in sorted(ROOT.rglob("*.py")):
        if not hidden_or_cache(path):
            yield path


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def rel(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"


def imported(path: Path, tree: ast.AST):
    """Yield (node, module, name-or-None) for every import, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = package_of(path).split(".")
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            for alias in node.names:
                if dotted(base, alias.name) in LEGACY_MODULES:  # from pkg import module
                    yield node, dotted(base, alias.name), None
                else:
                    yield node, base, alias.name


def is_legacy_path(text: str) -> bool:
    if any(text == mod or text.startswith(mod + ".") or text.startswith(mod + ":") for mod in LEGACY_MODULES):
        return True
    return text in (dotted(IMPL_MODULE, IMPL_CLASS), f"{IMPL_MODULE}:{IMPL_CLASS}") or text.startswith(
        dotted(IMPL_MODULE, IMPL_CLASS) + ".")


def call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def using_files():
    """(path, tree) for every module that uses the manager rather than defines it."""
    for path in python_files():
        if module_name(path) not in DEFINING_MODULES:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


# -- the checks --------------------------------------------------------------

def test_single_manager_implementation():
    found = []
    for path in python_files():
        if PACKAGE not in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ClassDef) and fnmatch.fnmatchcase(node.name, "*WebSocket*Manager*")
                    and any(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) for b in node.body)):
                found.append(f"{rel(path, node)} {node.name}")
    assert [f.rsplit(" ", 1)[1] for f in found] == [IMPL_CLASS], (
        f"expected exactly one WebSocket manager implementation ({IMPL_CLASS}), found {len(found)}:\n  "
        + "\n  ".join(found))


def test_single_import_path():
    offenders = []
    for path, tree in using_files():
        for node, module, name in imported(path, tree):
            if module in LEGACY_MODULES or (module == IMPL_MODULE and name == IMPL_CLASS):
                offenders.append(f"{rel(path, node)} imports {module}{'.' + name if name else ''}")
        for node in ast.walk(tree):  # importlib.import_module("..."), mock.patch("...")
            if isinstance(node, ast.Call):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and is_legacy_path(arg.value):
                        offenders.append(f"{rel(path, node)} names {arg.value!r} in {call_name(node)}()")
    assert not offenders, (f"{len(offenders)} references to legacy paths; import from {CANONICAL_MODULE}:\n  "
                           + "\n  ".join(sorted(offenders)))


def test_manager_interface_is_complete():
    from chat_backend.context import UserContext
    from chat_backend.websocket_core.connection import InMemoryConnection
    from chat_backend.websocket_core.websocket_manager import WebSocketManager, get_websocket_manager

    required = {"add_connection", "remove_connection", "get_connections", "is_connected",
                "send_to_user", "broadcast", "send_message"}
    missing = sorted(name for name in required if not callable(getattr(WebSocketManager, name, None)))
    assert not missing, f"WebSocketManager lacks {missing} (callers use them on the duplicates)"

    async def scenario():
        ctx, conn = UserContext(f"iface-{uuid.uuid4().hex[:8]}"), InMemoryConnection()
        ws = get_websocket_manager(ctx)
        ws.add_connection(ctx.user_id, conn)
        delivered = await ws.send_message(ctx.user_id, "agent_started", {"run_id": "r1"})
        return delivered, conn.sent

    delivered, sent = asyncio.run(scenario())
    assert (delivered, sent) == (1, [{"type": "agent_started", "data": {"run_id": "r1"}}])


def test_single_factory():
    offenders = []
    for path, tree in using_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = call_name(node)
            if name in LEGACY_FACTORIES:
                offenders.append(f"{rel(path, node)} legacy factory {name}()")
            elif name in MANAGER_CLASSES:
                offenders.append(f"{rel(path, node)} constructs {name}() directly")
            elif name == ONE_FACTORY and not node.args and not node.keywords:
                offenders.append(f"{rel(path, node)} {ONE_FACTORY}() without a user context")
    assert not offenders, (f"{len(offenders)} manager creations bypass {ONE_FACTORY}(user_context):\n  "
                           + "\n  ".join(sorted(offenders)))


CONFIG_SUFFIXES = {".py", ".ts", ".tsx", ".js", ".json", ".yml", ".yaml", ".sh", ".ini", ".cfg"}


def config_files():
    """Source and config files; not docs, not the spec (pyproject.toml), not patches or backups."""
    for path in sorted(ROOT.rglob("*")):
        if not path.is_file() or hidden_or_cache(path) or path.suffix in {".bak", ".orig", ".rej"}:
            continue
        if path.suffix in CONFIG_SUFFIXES or path.name.startswith((".env", "Dockerfile")):
            yield path


def test_single_config_key():
    mentions = []
    for path in config_files():
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OLD_KEY_TOKEN.search(line):
                mentions.append(f"{path.relative_to(ROOT).as_posix()}:{lineno}: {line.strip()}")
    assert not mentions, f"{len(mentions)} mentions of {OLD_KEY}; use {NEW_KEY}:\n  " + "\n  ".join(mentions)

    # The rename must not leave a key defined twice, nor touch the look-alike key.
    for path in config_files():
        text = path.read_text(encoding="utf-8")
        if path.name.startswith(".env") or path.name == "Dockerfile":
            keys = re.findall(r"^(?:ENV\s+)?([A-Z][A-Z0-9_]*)=", text, re.M)
            assert len(keys) == len(set(keys)), f"{path.name} defines a key twice: {keys}"
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Dict):
                    consts = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                    assert len(consts) == len(set(consts)), f"{rel(path, node)} dict repeats a key: {consts}"
    for name in ("chat_backend/config.py", "frontend/config.ts", ".env", "docker-compose.yml"):
        assert FALLBACK_KEY in (ROOT / name).read_text(encoding="utf-8"), f"{FALLBACK_KEY} vanished from {name}"


def test_legacy_module_removed():
    path = ROOT / "chat_backend" / "websocket_core" / "manager.py"
    assert not path.exists(), f"{path.relative_to(ROOT)} (the compat layer) still exists"
    assert importlib.util.find_spec(LEGACY_MODULE) is None
