"""Seeded generator of a synthetic, git-less Python repository for the phase C benchmark.

The corpus is a package tree ``app/<area>/<sub>/<module>.py`` plus
``tests/<area>/test_*.py``.  About 10% of the files reference the legacy module
``app.websocket_core.manager`` (moved to ``app.websocket_core.websocket_manager``)
in one or two of these forms::

    import_plain      import app.websocket_core.manager            (+ dotted uses)
    import_as         import app.websocket_core.manager as m       (+ m.X uses)
    from_pkg          from app.websocket_core import manager [as x]
    from_names        from app.websocket_core.manager import WebSocketManager, helper
    from_multiline    parenthesised, multi-line, with comments
    func_local        an import inside a function body
    try_except        inside try/except ImportError (both as primary and as fallback)
    type_checking     under ``if TYPE_CHECKING:`` with a string annotation
    mock_patch        mock.patch("app.websocket_core.manager.WebSocketManager")
    relative          from .manager import ... / from . import manager (inside the package)

The rest is unrelated but realistic code (classes, dataclasses, enums, async
functions, comprehensions, up to ~320 lines a file).  About 6% of files, and a
third of the consumers, also hold *near misses* that must NOT be rewritten:
``app.websocket_core.manager_utils``, ``app.sessions.manager``, local variables,
parameters and attributes named ``manager``, and ``mock.patch`` strings naming
``manager_utils``.  Each near-miss line is recorded as a protected snippet whose
occurrence count must survive the rewrite.

The legacy module is what phase C expects to find: a compatibility module that
re-exports the canonical objects (``from app.websocket_core.websocket_manager import
...``), so both paths name the same objects.  The canonical module defines every
name the legacy module exports and the consumers import.

Every generated module is importable (imports only the standard library and
modules generated before it), so a rewrite can also be checked by importing the
rewritten modules with the legacy module deleted.

Outputs, next to the tree:

* ``ssot-migrate.toml``: the spec (one module move, ``source-roots = ["."]``);
* ``ground_truth.json``: the files that must change (with their forms), the
  near-miss files, protected snippets, and the legacy/canonical names.

Usage::

    python benchmarks/synth.py --out /tmp/corpus [--files 5000] [--seed 1] [--self-check]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LEGACY = "app.websocket_core.manager"
CANONICAL = "app.websocket_core.websocket_manager"
LEGACY_PATH = "app/websocket_core/manager.py"
CANONICAL_PATH = "app/websocket_core/websocket_manager.py"
SPEC_NAME = "ssot-migrate.toml"
TRUTH_NAME = "ground_truth.json"

#: Every name the legacy module exports (and the canonical module defines).
EXPORTS = ("WebSocketManager", "helper", "ConnectionState", "broadcast", "get_manager", "MAX_CONNECTIONS", "ManagerConfig")

AREAS = [
    "billing", "users", "orders", "inventory", "analytics", "notifications", "auth", "search",
    "reports", "chat", "payments", "shipping", "catalog", "media", "audit", "scheduling",
    "pricing", "support", "integrations", "admin",
]
SUBS = ["api", "services", "models", "handlers", "utils", "tasks", "repositories", "schemas"]
NOUNS = [
    "account", "invoice", "order", "item", "customer", "session", "event", "report", "payment",
    "shipment", "product", "ticket", "message", "channel", "profile", "token", "record", "batch",
    "job", "queue", "metric", "alert", "rule", "policy", "quota", "region", "tenant", "widget",
    "asset", "review", "coupon", "ledger", "cart", "vendor", "webhook", "digest", "upload", "label",
]
VERBS = [
    "load", "save", "fetch", "build", "render", "validate", "normalize", "compute", "merge",
    "filter", "export", "sync", "refresh", "resolve", "apply", "collect", "score", "rank",
    "group", "split", "encode", "decode", "parse", "format", "schedule", "retry", "notify",
    "archive", "purge", "summarize",
]
ADJS = ["active", "pending", "stale", "primary", "daily", "cached", "remote", "local", "bulk", "partial", "draft", "final"]

FORMS_APP = [
    ("import_plain", 10), ("import_as", 15), ("from_pkg", 15), ("from_names", 22),
    ("from_multiline", 10), ("func_local", 11), ("try_except", 9), ("type_checking", 5),
]
NEAR_MISS = ["nm_utils_from", "nm_utils_import", "nm_local_var", "nm_param_attr", "nm_sessions", "nm_patch_utils"]


def camel(*words: str) -> str:
    return "".join(w.capitalize() for w in words)


@dataclass
class FileBuilder:
    """Accumulates one module: imports, module-level statements and blocks."""

    rng: random.Random
    module: str
    imports: set[str] = field(default_factory=set)  # full import lines (stdlib / app)
    extra_header: list[str] = field(default_factory=list)  # legacy / near-miss header lines, in order
    top: list[str] = field(default_factory=list)  # module-level statements after the imports
    blocks: list[list[str]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    protected: list[str] = field(default_factory=list)

    def name(self, kind: str = "func") -> str:
        for _ in range(200):
            if kind == "func":
                n = f"{self.rng.choice(VERBS)}_{self.rng.choice(NOUNS)}"
            elif kind == "class":
                n = camel(self.rng.choice(ADJS), self.rng.choice(NOUNS))
            else:
                n = f"{self.rng.choice(ADJS).upper()}_{self.rng.choice(NOUNS).upper()}"
            if n not in self.used:
                self.used.add(n)
                return n
        n = f"{n}_{len(self.used)}"
        self.used.add(n)
        return n

    def protect(self, *snippets: str) -> None:
        self.protected.extend(snippets)

    def render(self, *, docstring: str) -> str:
        lines = [f'"""{docstring}"""', "", "from __future__ import annotations", ""]
        merged: dict[str, set[str]] = {}
        plain: set[str] = set()
        for i in self.imports:
            if i.startswith("from ") and not i.startswith("from app") and " as " not in i:
                mod, _, names = i[5:].partition(" import ")
                merged.setdefault(mod, set()).update(n.strip() for n in names.split(","))
            elif not i.startswith("from app") and not i.startswith("import app"):
                plain.add(i)
        std = sorted(plain) + [f"from {m} import {', '.join(sorted(ns))}" for m, ns in sorted(merged.items())]
        app = sorted(i for i in self.imports if i.startswith("from app") or i.startswith("import app"))
        lines += std
        if app or self.extra_header:
            lines.append("")
            lines += app
            lines += self.extra_header
        lines += ["", "logger = logging.getLogger(__name__)"]
        if self.top:
            lines += self.top
        for b in self.blocks:
            lines += ["", ""] + b
        return "\n".join(lines).rstrip() + "\n"

    def line_count(self) -> int:
        return 8 + len(self.imports) + len(self.top) + sum(len(b) + 2 for b in self.blocks)


# ---------------------------------------------------------------------------
# Filler blocks: realistic unrelated code.  Each adds the imports it needs.
# ---------------------------------------------------------------------------


def blk_dataclass(fb: FileBuilder) -> list[str]:
    fb.imports.add("from dataclasses import dataclass, field")
    cls = fb.name("class") + "Record"
    n1, n2 = fb.rng.sample(NOUNS, 2)
    thr = fb.rng.randint(1, 90) / 10
    return [
        "@dataclass",
        f"class {cls}:",
        f'    """A {n1} as stored by the {n2} service."""',
        "",
        "    id: int",
        "    name: str",
        f"    {n1}_count: int = 0",
        "    tags: list[str] = field(default_factory=list)",
        "    score: float = 0.0",
        "",
        "    def is_active(self) -> bool:",
        f"        return self.score > {thr} and bool(self.name)",
        "",
        "    def label(self) -> str:",
        f'        return f"{{self.name}} ({{self.{n1}_count}} {n1}s)"',
    ]


def blk_enum(fb: FileBuilder) -> list[str]:
    fb.imports.add("from enum import Enum")
    cls = camel(fb.rng.choice(NOUNS)) + "Status" + str(fb.rng.randint(1, 999))
    fb.used.add(cls)
    members = fb.rng.sample(["NEW", "OPEN", "CLOSED", "FAILED", "RETRYING", "DONE", "PAUSED", "ARCHIVED"], fb.rng.randint(3, 6))
    return [f"class {cls}(Enum):"] + [f'    {m} = "{m.lower()}"' for m in members]


def blk_service(fb: FileBuilder) -> list[str]:
    fb.imports.add("from typing import Any, Optional")
    noun = fb.rng.choice(NOUNS)
    cls = fb.name("class") + "Service"
    limit = fb.rng.choice([10, 25, 50, 100, 500])
    out = [
        f"class {cls}:",
        f'    """Reads and caches {noun}s from a repository."""',
        "",
        f"    def __init__(self, repo: Any, *, limit: int = {limit}) -> None:",
        "        self._repo = repo",
        "        self._limit = limit",
        "        self._cache: dict[str, Any] = {}",
        "        self._hits = 0",
        "",
        f"    def get(self, key: str) -> Optional[Any]:",
        "        if key in self._cache:",
        "            self._hits += 1",
        "            return self._cache[key]",
        "        value = self._repo.get(key)",
        "        if value is not None and len(self._cache) < self._limit:",
        "            self._cache[key] = value",
        "        return value",
        "",
        f"    def many(self, keys: list[str]) -> list[Any]:",
        "        return [v for v in (self.get(k) for k in keys) if v is not None]",
    ]
    for _ in range(fb.rng.randint(1, 4)):
        verb = fb.rng.choice(VERBS)
        meth = f"{verb}_{fb.rng.choice(NOUNS)}s"
        out += [
            "",
            f"    def {meth}(self, items: list[dict]) -> dict[str, int]:",
            "        totals: dict[str, int] = {}",
            "        for item in items:",
            f'            key = str(item.get("{noun}_id", "?"))',
            "            totals[key] = totals.get(key, 0) + int(item.get(\"qty\", 1))",
            f'        logger.debug("{meth}: %d keys", len(totals))',
            "        return totals",
        ]
    out += [
        "",
        "    @property",
        "    def hit_rate(self) -> float:",
        "        total = self._hits + len(self._cache)",
        "        return self._hits / total if total else 0.0",
    ]
    return out


def blk_comprehension(fb: FileBuilder) -> list[str]:
    fb.imports.add("from collections import Counter, defaultdict")
    fb.imports.add("from typing import Iterable")
    fn = fb.name("func")
    k = fb.rng.choice(NOUNS)
    n = fb.rng.randint(0, 5)
    return [
        f"def {fn}(rows: Iterable[dict]) -> dict[str, int]:",
        f'    """Count rows by {k}, dropping rare keys."""',
        "    counts: dict[str, int] = defaultdict(int)",
        "    for row in rows:",
        f'        counts[row.get("{k}", "unknown")] += 1',
        f"    common = Counter(counts).most_common({fb.rng.randint(3, 20)})",
        f"    return {{key: value for key, value in common if value > {n}}}",
    ]


def blk_generator(fb: FileBuilder) -> list[str]:
    fb.imports.add("from typing import Iterator")
    fn = fb.name("func")
    size = fb.rng.choice([10, 50, 100, 256])
    return [
        f"def {fn}(items: list, size: int = {size}) -> Iterator[list]:",
        "    batch: list = []",
        "    for item in items:",
        "        batch.append(item)",
        "        if len(batch) >= size:",
        "            yield batch",
        "            batch = []",
        "    if batch:",
        "        yield batch",
    ]


def blk_tryexcept(fb: FileBuilder) -> list[str]:
    fb.imports.add("import json")
    fn = fb.name("func")
    noun = fb.rng.choice(NOUNS)
    return [
        f"def {fn}(path: str) -> dict:",
        f'    """Read a {noun} document; an unreadable one is an empty dict."""',
        "    try:",
        '        with open(path, encoding="utf-8") as fh:',
        "            data = json.load(fh)",
        "    except (OSError, ValueError) as exc:",
        f'        logger.warning("cannot read {noun} file %s: %s", path, exc)',
        "        return {}",
        "    if not isinstance(data, dict):",
        "        return {}",
        f'    return {{k: v for k, v in data.items() if not k.startswith("_")}}',
    ]


def blk_async(fb: FileBuilder) -> list[str]:
    fb.imports.add("import asyncio")
    fn = fb.name("func")
    return [
        f"async def {fn}(client, ids: list[int], *, concurrency: int = {fb.rng.randint(2, 16)}) -> list:",
        "    sem = asyncio.Semaphore(concurrency)",
        "",
        "    async def one(i: int):",
        "        async with sem:",
        "            return await client.get(i)",
        "",
        "    return await asyncio.gather(*(one(i) for i in ids))",
    ]


def blk_constants(fb: FileBuilder) -> list[str]:
    out = []
    for _ in range(fb.rng.randint(2, 5)):
        c = fb.name("const")
        v = fb.rng.choice([str(fb.rng.randint(1, 10000)), f'"{fb.rng.choice(NOUNS)}"', f"{fb.rng.randint(1, 99)} * 60", "None", "True"])
        out.append(f"{c} = {v}")
    return out


def blk_props(fb: FileBuilder) -> list[str]:
    fb.imports.add("import functools")
    fb.imports.add("import re")
    cls = fb.name("class")
    noun = fb.rng.choice(NOUNS)
    return [
        f"class {cls}:",
        f'    PATTERN = re.compile(r"^{noun}-(\\d+)$")',
        "",
        "    def __init__(self, raw: str) -> None:",
        "        self.raw = raw.strip()",
        "",
        "    @property",
        "    def number(self) -> int:",
        "        m = self.PATTERN.match(self.raw)",
        "        return int(m.group(1)) if m else -1",
        "",
        "    @staticmethod",
        f"    def make(n: int) -> \"{cls}\":",
        f'        return {cls}(f"{noun}-{{n}}")',
        "",
        "    @classmethod",
        f"    def parse_all(cls, text: str) -> list[\"{cls}\"]:",
        "        return [cls(part) for part in text.split(\",\") if part.strip()]",
        "",
        "    @functools.cached_property",
        "    def key(self) -> tuple:",
        "        return (self.number, self.raw.lower())",
        "",
        "    def __repr__(self) -> str:",
        f'        return f"{cls}({{self.raw!r}})"',
    ]


def blk_sort(fb: FileBuilder) -> list[str]:
    fn = fb.name("func")
    f1, f2 = fb.rng.sample(["price", "created", "score", "weight", "rank", "age"], 2)
    return [
        f"def {fn}(rows: list[dict], limit: int = {fb.rng.randint(5, 50)}) -> list[dict]:",
        f'    ordered = sorted(rows, key=lambda r: (r.get("{f1}", 0), -r.get("{f2}", 0)))',
        f'    logger.info("{fn}: kept %d of %d", min(limit, len(ordered)), len(ordered))',
        "    return ordered[:limit]",
    ]


def blk_crossref(fb: FileBuilder, others: list[str]) -> list[str]:
    if not others:
        return blk_sort(fb)
    target = fb.rng.choice(others)
    pkg, _, leaf = target.rpartition(".")
    alias = f"{leaf}_mod"
    if alias in fb.used:
        return blk_sort(fb)
    fb.used.add(alias)
    fb.imports.add(f"from {pkg} import {leaf} as {alias}")
    fn = fb.name("func")
    return [
        f"def {fn}() -> str:",
        f'    """Where the {leaf} helpers live (for diagnostics)."""',
        f"    return {alias}.__name__",
    ]


def blk_namedtuple(fb: FileBuilder) -> list[str]:
    fb.imports.add("from typing import NamedTuple")
    cls = fb.name("class") + "Key"
    return [
        f"class {cls}(NamedTuple):",
        "    tenant: str",
        "    region: str",
        f"    version: int = {fb.rng.randint(1, 9)}",
        "",
        "    def as_path(self) -> str:",
        '        return f"{self.tenant}/{self.region}/v{self.version}"',
    ]


def blk_retry(fb: FileBuilder) -> list[str]:
    fb.imports.add("import time")
    fb.imports.add("import itertools")
    fn = fb.name("func")
    return [
        f"def {fn}(call, attempts: int = {fb.rng.randint(2, 6)}, delay: float = 0.0):",
        "    last = None",
        "    for attempt in itertools.count(1):",
        "        try:",
        "            return call()",
        "        except Exception as exc:  # noqa: BLE001",
        "            last = exc",
        "            if attempt >= attempts:",
        "                break",
        "            time.sleep(delay * attempt)",
        "    raise RuntimeError(f\"gave up after {attempts} attempts\") from last",
    ]


FILLERS = [
    (blk_dataclass, 3), (blk_enum, 1), (blk_service, 3), (blk_comprehension, 3), (blk_generator, 2),
    (blk_tryexcept, 2), (blk_async, 1), (blk_constants, 1), (blk_props, 2), (blk_sort, 3),
    (blk_namedtuple, 1), (blk_retry, 1), ("crossref", 2),
]


def add_filler(fb: FileBuilder, target_lines: int, others: list[str]) -> None:
    funcs = [f for f, _ in FILLERS]
    weights = [w for _, w in FILLERS]
    while fb.line_count() < target_lines:
        f = fb.rng.choices(funcs, weights)[0]
        fb.blocks.append(blk_crossref(fb, others) if f == "crossref" else f(fb))


def target_length(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.55:
        return rng.randint(30, 140)
    if r < 0.88:
        return rng.randint(140, 250)
    return rng.randint(270, 320)


# ---------------------------------------------------------------------------
# Legacy references (the forms) and near misses.
# ---------------------------------------------------------------------------


def insert_block(fb: FileBuilder, block: list[str]) -> None:
    fb.blocks.insert(fb.rng.randint(0, len(fb.blocks)), block)


def form_import_plain(fb: FileBuilder) -> None:
    fb.extra_header.append(f"import {LEGACY}")
    fb.top.append(f"DEFAULT_WS_LIMIT = {LEGACY}.MAX_CONNECTIONS")
    fn = fb.name("func")
    insert_block(fb, [
        f"def {fn}(channel: str):",
        f"    mgr = {LEGACY}.WebSocketManager(channel)",
        f"    {LEGACY}.helper(mgr)",
        "    return mgr",
    ])


def form_import_as(fb: FileBuilder) -> None:
    alias = fb.rng.choice(["m", "wsm", "ws_manager", "legacy_ws"])
    fb.extra_header.append(f"import {LEGACY} as {alias}")
    fb.top.append(f"WS_STATES = list({alias}.ConnectionState)")
    fn = fb.name("func")
    insert_block(fb, [
        f"def {fn}(channel: str, payload: dict) -> int:",
        f"    mgr = {alias}.get_manager(channel)",
        f"    if not isinstance(mgr, {alias}.WebSocketManager):",
        f"        raise TypeError(channel)",
        f"    return {alias}.broadcast(mgr, payload)",
    ])


def form_from_pkg(fb: FileBuilder) -> None:
    pkg, _, leaf = LEGACY.rpartition(".")
    if fb.rng.random() < 0.3:
        local = "ws_mgr"
        fb.extra_header.append(f"from {pkg} import {leaf} as {local}")
    else:
        local = leaf
        fb.extra_header.append(f"from {pkg} import {leaf}")
    fn = fb.name("func")
    insert_block(fb, [
        f"def {fn}(channel: str, config: dict | None = None):",
        f"    cfg = {local}.ManagerConfig(**(config or {{}}))",
        f"    return {local}.WebSocketManager(channel, config=cfg)",
    ])
    fb.top.append(f"WS_CONFIG_CLASS = {local}.ManagerConfig")


def _some_names(fb: FileBuilder, must: tuple[str, ...] = ("WebSocketManager", "helper")) -> list[str]:
    extra = [n for n in EXPORTS if n not in must]
    return list(must) + fb.rng.sample(extra, fb.rng.randint(0, 2))


def _use_names(fb: FileBuilder, names: list[str], indent: str = "    ") -> list[str]:
    out = []
    for n in names:
        if n == "WebSocketManager":
            out.append(f"{indent}mgr = WebSocketManager(channel)")
        elif n == "helper":
            out.append(f"{indent}helper(mgr)")
        elif n == "ConnectionState":
            out.append(f"{indent}state = ConnectionState.OPEN")
        elif n == "broadcast":
            out.append(f"{indent}broadcast(mgr, {{'channel': channel}})")
        elif n == "get_manager":
            out.append(f"{indent}other = get_manager(channel)")
        elif n == "MAX_CONNECTIONS":
            out.append(f"{indent}limit = MAX_CONNECTIONS")
        elif n == "ManagerConfig":
            out.append(f"{indent}cfg = ManagerConfig()")
    return out


def form_from_names(fb: FileBuilder) -> None:
    names = _some_names(fb)
    fb.extra_header.append(f"from {LEGACY} import {', '.join(names)}")
    fn = fb.name("func")
    insert_block(fb, [f"def {fn}(channel: str):"] + _use_names(fb, names) + ["    return mgr"])


def form_from_multiline(fb: FileBuilder) -> None:
    names = _some_names(fb, ("WebSocketManager", "helper", "MAX_CONNECTIONS"))
    comments = {"WebSocketManager": "primary entry point", "helper": "kept for the old call sites"}
    lines = [f"from {LEGACY} import (  # legacy location"]
    for n in names:
        if n == "MAX_CONNECTIONS":
            lines.append("    # limits")
        c = comments.get(n)
        lines.append(f"    {n},  # {c}" if c else f"    {n},")
    lines.append(")")
    fb.extra_header += lines
    fb.protect("# legacy location", "# primary entry point", "# kept for the old call sites", "# limits")
    fn = fb.name("func")
    insert_block(fb, [f"def {fn}(channel: str):"] + _use_names(fb, names) + ["    return mgr"])


def form_func_local(fb: FileBuilder) -> None:
    fn = fb.name("func")
    if fb.rng.random() < 0.6:
        insert_block(fb, [
            f"def {fn}(channel: str):",
            f'    """Imported lazily to avoid an import cycle."""',
            f"    from {LEGACY} import WebSocketManager, helper",
            "",
            "    mgr = WebSocketManager(channel)",
            "    helper(mgr)",
            "    return mgr",
        ])
    else:
        insert_block(fb, [
            f"def {fn}(channel: str) -> int:",
            f"    import {LEGACY} as wsm",
            "",
            "    return wsm.broadcast(wsm.get_manager(channel), {})",
        ])


def form_try_except(fb: FileBuilder) -> None:
    if fb.rng.random() < 0.7:
        fb.extra_header += [
            "",
            "try:",
            f"    from {LEGACY} import WebSocketManager, helper",
            "except ImportError:  # pragma: no cover - optional websocket support",
            "    WebSocketManager = None",
            "    helper = None",
        ]
    else:
        # The canonical path first, the legacy one as the fallback.
        fb.extra_header += [
            "",
            "try:",
            f"    from {CANONICAL} import WebSocketManager, helper",
            "except ImportError:  # pragma: no cover - older deployments",
            f"    from {LEGACY} import WebSocketManager, helper",
        ]
    fn = fb.name("func")
    insert_block(fb, [
        f"def {fn}(channel: str):",
        "    if WebSocketManager is None:",
        "        return None",
        "    mgr = WebSocketManager(channel)",
        "    helper(mgr)",
        "    return mgr",
    ])


def form_type_checking(fb: FileBuilder) -> None:
    fb.imports.add("from typing import TYPE_CHECKING")
    fb.extra_header += ["", "if TYPE_CHECKING:", f"    from {LEGACY} import WebSocketManager"]
    fn = fb.name("func")
    insert_block(fb, [
        f'def {fn}(mgr: "WebSocketManager", channel: str) -> str:',
        '    return f"{channel}:{id(mgr)}"',
    ])


def form_mock_patch(fb: FileBuilder) -> None:
    fb.imports.add("from unittest import mock")
    fn = fb.name("func")
    insert_block(fb, [
        f'@mock.patch("{LEGACY}.WebSocketManager")',
        f"def test_{fn}(fake_manager):",
        "    fake_manager.return_value.send.return_value = True",
        "    assert fake_manager.call_count == 0",
    ])
    fn2 = fb.name("func")
    insert_block(fb, [
        f"def test_{fn2}():",
        f'    with mock.patch("{LEGACY}.helper") as fake_helper:',
        "        fake_helper.return_value = None",
        "        assert not fake_helper.called",
    ])


def form_relative(fb: FileBuilder) -> None:
    fn = fb.name("func")
    if fb.rng.random() < 0.5:
        fb.extra_header.append("from .manager import WebSocketManager, helper")
        insert_block(fb, [f"def {fn}(channel: str):", "    mgr = WebSocketManager(channel)", "    helper(mgr)", "    return mgr"])
    else:
        fb.extra_header.append("from . import manager")
        insert_block(fb, [f"def {fn}(channel: str):", "    return manager.WebSocketManager(channel)"])


FORM_FUNCS = {
    "import_plain": form_import_plain, "import_as": form_import_as, "from_pkg": form_from_pkg,
    "from_names": form_from_names, "from_multiline": form_from_multiline, "func_local": form_func_local,
    "try_except": form_try_except, "type_checking": form_type_checking, "mock_patch": form_mock_patch,
    "relative": form_relative,
}
#: Forms that bind a module-level name; two of them in one file would clash.
BINDING_FORMS = {"from_names", "from_multiline", "try_except", "type_checking", "relative"}


def nm_utils_from(fb: FileBuilder) -> None:
    line = "from app.websocket_core.manager_utils import format_frame"
    fb.extra_header.append(line)
    fb.protect(line)
    fn = fb.name("func")
    insert_block(fb, [f"def {fn}(payload: dict) -> str:", "    return format_frame(payload)"])


def nm_utils_import(fb: FileBuilder) -> None:
    if fb.rng.random() < 0.5:
        line = "import app.websocket_core.manager_utils as manager_utils"
    else:
        line = "from app.websocket_core import manager_utils"
    fb.extra_header.append(line)
    fb.protect(line, "manager_utils.parse_frame(")
    fn = fb.name("func")
    insert_block(fb, [f"def {fn}(raw: str) -> dict:", "    return manager_utils.parse_frame(raw)"])


def nm_local_var(fb: FileBuilder) -> None:
    fb.imports.add("from app.sessions.pool import SessionPool")
    fn = fb.name("func")
    size = fb.rng.randint(2, 32)
    fb.protect(f"manager = SessionPool(size={size})", "manager.start()", "return manager.stats()")
    insert_block(fb, [
        f"def {fn}() -> dict:",
        f"    manager = SessionPool(size={size})",
        "    manager.start()",
        "    return manager.stats()",
    ])


def nm_param_attr(fb: FileBuilder) -> None:
    cls = fb.name("class") + "Worker"
    fb.protect("def __init__(self, manager) -> None:", "self.manager = manager", "self.manager.submit(job)")
    insert_block(fb, [
        f"class {cls}:",
        "    def __init__(self, manager) -> None:",
        "        self.manager = manager",
        "",
        "    def run(self, job) -> None:",
        "        self.manager.submit(job)",
    ])


def nm_sessions(fb: FileBuilder) -> None:
    if fb.rng.random() < 0.5:
        line = "from app.sessions.manager import SessionManager"
        use = "SessionManager()"
    else:
        line = "from app.sessions import manager as session_manager"
        use = "session_manager.SessionManager()"
    fb.extra_header.append(line)
    fb.protect(line, use)
    fn = fb.name("func")
    insert_block(fb, [f"def {fn}():", f"    return {use}"])


def nm_patch_utils(fb: FileBuilder) -> None:
    fb.imports.add("from unittest import mock")
    fn = fb.name("func")
    s = 'mock.patch("app.websocket_core.manager_utils.format_frame")'
    fb.protect(s)
    insert_block(fb, [f"@{s}", f"def test_{fn}(fake_format):", "    assert not fake_format.called"])


NM_FUNCS = {
    "nm_utils_from": nm_utils_from, "nm_utils_import": nm_utils_import, "nm_local_var": nm_local_var,
    "nm_param_attr": nm_param_attr, "nm_sessions": nm_sessions, "nm_patch_utils": nm_patch_utils,
}


# ---------------------------------------------------------------------------
# Fixed modules.
# ---------------------------------------------------------------------------

WS_IMPL = '''"""{doc}"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

MAX_CONNECTIONS = 1024


class ConnectionState(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class ManagerConfig:
    heartbeat: float = 30.0
    max_connections: int = MAX_CONNECTIONS
    tags: list[str] = field(default_factory=list)


class WebSocketManager:
    """Tracks the connections of one channel."""

    def __init__(self, channel: str = "default", config: ManagerConfig | None = None) -> None:
        self.channel = channel
        self.config = config or ManagerConfig()
        self.connections: dict[str, ConnectionState] = {{}}

    def connect(self, conn_id: str) -> None:
        if len(self.connections) >= self.config.max_connections:
            raise RuntimeError("too many connections")
        self.connections[conn_id] = ConnectionState.OPEN

    def disconnect(self, conn_id: str) -> None:
        self.connections[conn_id] = ConnectionState.CLOSED

    def send(self, conn_id: str, payload: dict) -> bool:
        return self.connections.get(conn_id) is ConnectionState.OPEN


_MANAGERS: dict[str, WebSocketManager] = {{}}


def get_manager(channel: str = "default") -> WebSocketManager:
    if channel not in _MANAGERS:
        _MANAGERS[channel] = WebSocketManager(channel)
    return _MANAGERS[channel]


def broadcast(mgr: WebSocketManager, payload: dict) -> int:
    return sum(1 for c in list(mgr.connections) if mgr.send(c, payload))


def helper(mgr: WebSocketManager) -> WebSocketManager:
    """Attach the default channel hooks (kept for old call sites)."""
    return mgr
'''

#: The legacy module as phase C finds it: a compatibility module re-exporting the
#: canonical objects (so both paths name the same objects).
LEGACY_SHIM = (
    f'"""DEPRECATED: moved to {CANONICAL}; kept so old imports keep working."""\n\n'
    "from __future__ import annotations\n\n"
    f"from {CANONICAL} import (\n"
    + "".join(f"    {n},\n" for n in EXPORTS)
    + ")\n\n__all__ = [\n"
    + "".join(f'    "{n}",\n' for n in EXPORTS)
    + "]\n"
)

MANAGER_UTILS = '''"""Frame helpers.  Not part of the move: a near miss by name only."""

from __future__ import annotations

import json


def format_frame(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True)


def parse_frame(raw: str) -> dict:
    data = json.loads(raw or "{}")
    return data if isinstance(data, dict) else {}


def manager_stats() -> dict:
    return {"frames": 0}
'''

SESSIONS_MANAGER = '''"""Session manager: an unrelated module that happens to be called ``manager``."""

from __future__ import annotations


class SessionManager:
    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}

    def open(self, key: str) -> dict:
        return self.sessions.setdefault(key, {})
'''

SESSIONS_POOL = '''"""A pool of sessions."""

from __future__ import annotations


class SessionPool:
    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.started = False

    def start(self) -> None:
        self.started = True

    def stats(self) -> dict:
        return {"size": self.size, "started": self.started}

    def submit(self, job) -> None:
        pass
'''

SPEC = f'''# ssot-migrate spec for the synthetic benchmark corpus
source-roots = ["."]

[[move]]
from = "{LEGACY}"
to = "{CANONICAL}"
'''


# ---------------------------------------------------------------------------
# The corpus.
# ---------------------------------------------------------------------------


def _layout(n_files: int) -> tuple[int, int]:
    n_areas = max(2, min(len(AREAS), n_files // 250))
    n_subs = max(1, min(len(SUBS), n_files // (n_areas * 30)))
    return n_areas, n_subs


def generate(out: Path, n_files: int = 5000, seed: int = 1) -> dict:
    """Write the corpus under ``out`` (must be empty or absent); return the ground truth."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out}: not empty")
    files: dict[str, str] = {}

    n_areas, n_subs = _layout(n_files)
    areas = AREAS[:n_areas]
    subs = SUBS[:n_subs]
    # Fixed modules and package markers.
    files["app/__init__.py"] = '"""Synthetic application package (benchmark corpus)."""\n'
    files["app/websocket_core/__init__.py"] = '"""WebSocket layer."""\n'
    files[LEGACY_PATH] = LEGACY_SHIM
    files[CANONICAL_PATH] = WS_IMPL.format(doc="The canonical WebSocket manager.")
    files["app/websocket_core/manager_utils.py"] = MANAGER_UTILS
    files["app/sessions/__init__.py"] = '"""Sessions."""\n'
    files["app/sessions/manager.py"] = SESSIONS_MANAGER
    files["app/sessions/pool.py"] = SESSIONS_POOL
    files["tests/__init__.py"] = ""
    for a in areas:
        files[f"app/{a}/__init__.py"] = f'"""The {a} area."""\n'
        files[f"tests/{a}/__init__.py"] = ""
        for s in subs:
            files[f"app/{a}/{s}/__init__.py"] = ""
    n_fixed = len(files)
    remaining = max(10, n_files - n_fixed)
    n_tests = max(2, round(remaining * 0.12))
    n_ws = max(3, remaining // 500)  # extra modules inside app/websocket_core
    n_app = max(5, remaining - n_tests - n_ws)

    def unique(dirpath: str, prefix: str = "") -> str:
        for _ in range(1000):
            name = f"{prefix}{rng.choice(VERBS)}_{rng.choice(NOUNS)}" if rng.random() < 0.5 else f"{prefix}{rng.choice(NOUNS)}_{rng.choice(['core', 'io', 'views', 'rules', 'store', 'client', 'jobs', 'cache', 'types', 'helpers'])}"
            path = f"{dirpath}/{name}.py"
            if path not in files and path not in planned_set:
                return path
        raise RuntimeError("name space exhausted")

    planned: list[tuple[str, str]] = []  # (path, kind) kind: app | test | ws
    planned_set: set[str] = set()
    for _ in range(n_app):
        p = unique(f"app/{rng.choice(areas)}/{rng.choice(subs)}")
        planned.append((p, "app"))
        planned_set.add(p)
    for _ in range(n_ws):
        p = unique("app/websocket_core", "ws_")
        planned.append((p, "ws"))
        planned_set.add(p)
    for _ in range(n_tests):
        p = unique(f"tests/{rng.choice(areas)}", "test_")
        planned.append((p, "test"))
        planned_set.add(p)

    # Roles.
    total = len(planned) + n_fixed
    n_consumers = round(total * 0.10)
    idx_tests = [i for i, (_, k) in enumerate(planned) if k == "test"]
    idx_ws = [i for i, (_, k) in enumerate(planned) if k == "ws"]
    idx_app = [i for i, (_, k) in enumerate(planned) if k == "app"]
    n_test_cons = min(len(idx_tests), max(1, round(n_consumers * 0.10)))
    n_ws_cons = max(1, len(idx_ws) // 2)
    n_app_cons = max(1, n_consumers - n_test_cons - n_ws_cons)
    roles: dict[int, list[str]] = {}
    for i in rng.sample(idx_tests, n_test_cons):
        roles[i] = ["mock_patch"] + (["from_names"] if rng.random() < 0.3 else [])
    for i in rng.sample(idx_ws, n_ws_cons):
        roles[i] = ["relative"]
    app_forms = [f for f, _ in FORMS_APP]
    app_weights = [w for _, w in FORMS_APP]
    for i in rng.sample(idx_app, min(len(idx_app), n_app_cons)):
        first = rng.choices(app_forms, app_weights)[0]
        forms = [first]
        if rng.random() < 0.25:
            second = rng.choices(app_forms, app_weights)[0]
            if second != first and not (first in BINDING_FORMS and second in BINDING_FORMS) and {first, second} != {"import_plain", "import_as"}:
                forms.append(second)
        roles[i] = forms
    non_consumers = [i for i in range(len(planned)) if i not in roles]
    near_miss: dict[int, list[str]] = {}
    for i in rng.sample(non_consumers, round(total * 0.06)):
        near_miss[i] = rng.sample(NEAR_MISS, rng.choice([1, 1, 2]))
    for i in roles:
        if rng.random() < 0.33:
            near_miss[i] = [rng.choice(["nm_local_var", "nm_param_attr", "nm_utils_from", "nm_sessions", "nm_utils_import"])]

    # Generate in order; a module may import only modules generated before it (no cycles).
    truth_expected: dict[str, list[str]] = {}
    truth_near: dict[str, list[str]] = {}
    protected: dict[str, list[str]] = {}
    done_modules: list[str] = []
    for i, (path, kind) in enumerate(planned):
        mod = path[:-3].replace("/", ".")
        fb = FileBuilder(rng, mod)
        fb.imports.add("import logging")
        add_filler(fb, target_length(rng), done_modules[-400:] if kind != "ws" else [])
        for form in roles.get(i, []):
            FORM_FUNCS[form](fb)
        for nm in near_miss.get(i, []):
            NM_FUNCS[nm](fb)
        doc = f"{mod.rsplit('.', 1)[-1].replace('_', ' ').capitalize()} ({kind} module, synthetic)."
        files[path] = fb.render(docstring=doc)
        if i in roles:
            truth_expected[path] = list(roles[i])
        if i in near_miss:
            truth_near[path] = list(near_miss[i])
        if fb.protected:
            protected[path] = fb.protected
        if kind == "app":
            done_modules.append(mod)

    for rel, text in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (out / SPEC_NAME).write_text(SPEC, encoding="utf-8")
    truth = {
        "seed": seed,
        "files_requested": n_files,
        "python_files": len(files),
        "lines": sum(t.count("\n") for t in files.values()),
        "legacy": LEGACY,
        "canonical": CANONICAL,
        "legacy_path": LEGACY_PATH,
        "canonical_path": CANONICAL_PATH,
        "spec": SPEC_NAME,
        "expected": dict(sorted(truth_expected.items())),
        "near_miss_only": sorted(p for p in truth_near if p not in truth_expected),
        "near_miss": dict(sorted(truth_near.items())),
        "protected": dict(sorted(protected.items())),
    }
    (out / TRUTH_NAME).write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return truth


# ---------------------------------------------------------------------------
# The netra profile: a monorepo-shaped corpus (issue #12).
# ---------------------------------------------------------------------------
#
# Shaped after the 8,023-file backend the issue measured: every module lives
# under one top package (``netra_backend.app``), so the token ``app`` is in
# nearly every import; six symbols move out of the package ``__init__`` of
# ``netra_backend.app.websocket_core`` and two legacy modules move; about
# 6.6% of files must change, 10% mention the package without importing a
# moved name, and the class names appear in about 11% of files.  Files are
# about 400 lines.

NETRA_ROOT = "netra_backend"
NETRA_PKG = "netra_backend.app.websocket_core"
NETRA_PKG_PATH = "netra_backend/app/websocket_core"
NETRA_CANONICAL = f"{NETRA_PKG}.websocket_manager"
NETRA_LEGACY = f"{NETRA_PKG}.manager"  # legacy module 1 (also the one LibCST renames)
NETRA_LEGACY2 = f"{NETRA_PKG}.unified_emitter"  # legacy module 2
NETRA_EMITTER = f"{NETRA_PKG}.event_emitter"
#: The six names that move out of the package ``__init__`` to the canonical module.
NETRA_MOVED = ("WebSocketManager", "get_websocket_manager", "WebSocketConnection", "ConnectionState", "broadcast_event", "MAX_CONNECTIONS")
#: Names the package ``__init__`` keeps exporting (from ``types``): importing them is not legacy.
NETRA_KEPT = ("MessageType", "WebSocketMessage", "create_message")

NETRA_FORMS = [
    ("pkg_names", 34), ("pkg_mixed", 12), ("legacy_from", 14), ("legacy2_from", 8),
    ("legacy_import_as", 6), ("pkg_func_local", 12), ("pkg_type_checking", 6), ("pkg_multiline", 8),
]
#: Files that mention the package but import no moved name (must not change).
NETRA_MENTIONS = ["mn_types_from", "mn_pkg_kept", "mn_canonical", "mn_types_import", "mn_emitter_canonical"]

NETRA_CANONICAL_SRC = '''"""The canonical WebSocket manager (netra profile)."""

from __future__ import annotations

import enum

MAX_CONNECTIONS = 2048


class ConnectionState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class WebSocketConnection:
    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self.state = ConnectionState.OPEN


class WebSocketManager:
    """One manager per channel."""

    def __init__(self, channel: str = "default") -> None:
        self.channel = channel
        self.connections: dict[str, WebSocketConnection] = {}

    def connect(self, conn_id: str) -> WebSocketConnection:
        conn = self.connections[conn_id] = WebSocketConnection(conn_id)
        return conn

    def send(self, conn_id: str, payload: dict) -> bool:
        return conn_id in self.connections and bool(payload is not None)


def get_websocket_manager(channel: str = "default") -> WebSocketManager:
    return WebSocketManager(channel)


def broadcast_event(mgr: WebSocketManager, payload: dict) -> int:
    return sum(1 for c in mgr.connections if mgr.send(c, payload))
'''

NETRA_TYPES_SRC = '''"""Message types (not part of the move)."""

from __future__ import annotations

import enum


class MessageType(enum.Enum):
    TEXT = "text"
    EVENT = "event"


class WebSocketMessage(dict):
    pass


def create_message(kind: MessageType, body: str) -> WebSocketMessage:
    return WebSocketMessage(kind=kind.value, body=body)
'''

NETRA_EMITTER_SRC = '''"""The canonical event emitter (netra profile)."""

from __future__ import annotations


class WebSocketEmitter:
    def __init__(self, channel: str = "default") -> None:
        self.channel = channel
        self.sent: list[dict] = []

    def emit(self, event: dict) -> None:
        self.sent.append(event)


def emit_event(emitter: WebSocketEmitter, name: str) -> None:
    emitter.emit({"name": name})
'''

NETRA_INIT_SRC = f'''"""WebSocket layer: the package re-exports the manager for old callers."""

from .types import {", ".join(NETRA_KEPT)}
from .websocket_manager import {", ".join(NETRA_MOVED)}
'''

NETRA_LEGACY_SRC = f'''"""Legacy compatibility module: use {NETRA_CANONICAL}."""

from {NETRA_CANONICAL} import {", ".join(NETRA_MOVED)}  # noqa: F401
'''

NETRA_LEGACY2_SRC = f'''"""Legacy compatibility module: use {NETRA_EMITTER}."""

from {NETRA_EMITTER} import WebSocketEmitter, emit_event  # noqa: F401
'''

NETRA_SPEC = (
    "# ssot-migrate spec for the netra-shaped benchmark corpus\n"
    'source-roots = ["."]\n'
    + "".join(
        f'\n[[move]]\nfrom = "{NETRA_PKG}:{n}"\nto = "{NETRA_CANONICAL}:{n}"\n' for n in NETRA_MOVED
    )
    + f'\n[[move]]\nfrom = "{NETRA_LEGACY}"\nto = "{NETRA_CANONICAL}"\n'
    + f'\n[[move]]\nfrom = "{NETRA_LEGACY2}"\nto = "{NETRA_EMITTER}"\n'
)


def _netra_use(fb: FileBuilder, names: list[str], prefix: str = "", indent: str = "    ") -> list[str]:
    out = [f"{indent}mgr = {prefix}WebSocketManager(channel)"]
    for n in names:
        if n == "get_websocket_manager":
            out.append(f"{indent}other = {prefix}get_websocket_manager(channel)")
        elif n == "WebSocketConnection":
            out.append(f"{indent}conn = {prefix}WebSocketConnection(channel)")
        elif n == "ConnectionState":
            out.append(f"{indent}state = {prefix}ConnectionState.OPEN")
        elif n == "broadcast_event":
            out.append(f"{indent}{prefix}broadcast_event(mgr, {{'channel': channel}})")
        elif n == "MAX_CONNECTIONS":
            out.append(f"{indent}limit = {prefix}MAX_CONNECTIONS")
        elif n == "MessageType":
            out.append(f"{indent}kind = MessageType.TEXT")
        elif n == "create_message":
            out.append(f"{indent}msg = create_message(MessageType.EVENT, channel)")
    return out


def _netra_names(fb: FileBuilder) -> list[str]:
    return ["WebSocketManager"] + fb.rng.sample(NETRA_MOVED[1:], fb.rng.randint(0, 2))


def nf_pkg_names(fb: FileBuilder) -> None:
    names = _netra_names(fb)
    fb.extra_header.append(f"from {NETRA_PKG} import {', '.join(names)}")
    insert_block(fb, [f"def {fb.name('func')}(channel: str):"] + _netra_use(fb, names) + ["    return mgr"])


def nf_pkg_mixed(fb: FileBuilder) -> None:
    names = _netra_names(fb)
    kept = ["MessageType", "create_message"] if fb.rng.random() < 0.5 else ["MessageType"]
    fb.extra_header.append(f"from {NETRA_PKG} import {', '.join(kept + names)}")
    fb.protect("MessageType")
    insert_block(fb, [f"def {fb.name('func')}(channel: str):"] + _netra_use(fb, names + kept) + ["    return mgr"])


def nf_pkg_multiline(fb: FileBuilder) -> None:
    names = _netra_names(fb)
    lines = [f"from {NETRA_PKG} import (  # the WebSocket entry points"]
    lines += [f"    {n},{'  # used by the handlers' if n == 'WebSocketManager' else ''}" for n in names]
    lines.append(")")
    fb.extra_header += lines
    fb.protect("# the WebSocket entry points", "# used by the handlers")
    insert_block(fb, [f"def {fb.name('func')}(channel: str):"] + _netra_use(fb, names) + ["    return mgr"])


def nf_legacy_from(fb: FileBuilder) -> None:
    names = _netra_names(fb)
    fb.extra_header.append(f"from {NETRA_LEGACY} import {', '.join(names)}")
    insert_block(fb, [f"def {fb.name('func')}(channel: str):"] + _netra_use(fb, names) + ["    return mgr"])


def nf_legacy2_from(fb: FileBuilder) -> None:
    fb.extra_header.append(f"from {NETRA_LEGACY2} import WebSocketEmitter, emit_event")
    insert_block(fb, [
        f"def {fb.name('func')}(channel: str) -> WebSocketEmitter:",
        "    emitter = WebSocketEmitter(channel)",
        "    emit_event(emitter, channel)",
        "    return emitter",
    ])


def nf_legacy_import_as(fb: FileBuilder) -> None:
    fb.extra_header.append(f"import {NETRA_LEGACY} as ws_manager")
    names = _netra_names(fb)
    insert_block(fb, [f"def {fb.name('func')}(channel: str):"] + _netra_use(fb, names, prefix="ws_manager.") + ["    return mgr"])


def nf_pkg_func_local(fb: FileBuilder) -> None:
    names = _netra_names(fb)
    insert_block(fb, [
        f"def {fb.name('func')}(channel: str):",
        f"    from {NETRA_PKG} import {', '.join(names)}",
        "",
    ] + _netra_use(fb, names) + ["    return mgr"])


def nf_pkg_type_checking(fb: FileBuilder) -> None:
    fb.imports.add("from typing import TYPE_CHECKING")
    fb.extra_header += ["", "if TYPE_CHECKING:", f"    from {NETRA_PKG} import WebSocketManager"]
    insert_block(fb, [
        f'def {fb.name("func")}(mgr: "WebSocketManager", channel: str) -> str:',
        '    return f"{channel}:{id(mgr)}"',
    ])


def nf_mock_patch(fb: FileBuilder) -> None:
    fb.imports.add("from unittest import mock")
    insert_block(fb, [
        f'@mock.patch("{NETRA_LEGACY}.WebSocketManager")',
        f"def test_{fb.name('func')}(fake_manager):",
        "    assert fake_manager.call_count == 0",
    ])


def nf_relative(fb: FileBuilder) -> None:
    fb.extra_header.append("from .manager import WebSocketManager, get_websocket_manager")
    insert_block(fb, [f"def {fb.name('func')}(channel: str):", "    mgr = WebSocketManager(channel)", "    return get_websocket_manager(channel) or mgr"])


NETRA_FORM_FUNCS = {
    "pkg_names": nf_pkg_names, "pkg_mixed": nf_pkg_mixed, "pkg_multiline": nf_pkg_multiline,
    "legacy_from": nf_legacy_from, "legacy2_from": nf_legacy2_from, "legacy_import_as": nf_legacy_import_as,
    "pkg_func_local": nf_pkg_func_local, "pkg_type_checking": nf_pkg_type_checking,
    "mock_patch": nf_mock_patch, "relative": nf_relative,
}
#: Forms binding module-level names that would clash if two were in one file.
NETRA_BINDING = {"pkg_names", "pkg_mixed", "pkg_multiline", "legacy_from", "pkg_type_checking", "relative"}


def mn_types_from(fb: FileBuilder) -> None:
    line = f"from {NETRA_PKG}.types import MessageType, WebSocketMessage"
    fb.extra_header.append(line)
    fb.protect(line)
    insert_block(fb, [f"def {fb.name('func')}(body: str) -> WebSocketMessage:", "    return WebSocketMessage(kind=MessageType.TEXT.value, body=body)"])


def mn_pkg_kept(fb: FileBuilder) -> None:
    line = f"from {NETRA_PKG} import MessageType, create_message"
    fb.extra_header.append(line)
    fb.protect(line)
    insert_block(fb, [f"def {fb.name('func')}(channel: str):", "    return create_message(MessageType.EVENT, channel)"])


def mn_canonical(fb: FileBuilder) -> None:
    line = f"from {NETRA_CANONICAL} import WebSocketManager"
    fb.extra_header.append(line)
    fb.protect(line)
    insert_block(fb, [f"def {fb.name('func')}(channel: str) -> WebSocketManager:", "    return WebSocketManager(channel)"])


def mn_types_import(fb: FileBuilder) -> None:
    line = f"import {NETRA_PKG}.types as ws_types"
    fb.extra_header.append(line)
    fb.protect(line, "ws_types.MessageType.TEXT")
    insert_block(fb, [f"def {fb.name('func')}() -> str:", "    return ws_types.MessageType.TEXT.value"])


def mn_emitter_canonical(fb: FileBuilder) -> None:
    line = f"from {NETRA_EMITTER} import WebSocketEmitter"
    fb.extra_header.append(line)
    fb.protect(line)
    insert_block(fb, [f"def {fb.name('func')}(channel: str) -> WebSocketEmitter:", "    return WebSocketEmitter(channel)"])


def mn_class_name_only(fb: FileBuilder) -> None:
    """The class name without the package: a local double, as tests often have."""
    cls = f"Fake{fb.rng.choice(['WebSocketManager', 'WebSocketConnection'])}"
    fb.protect(f"class {cls}:")
    insert_block(fb, [
        f"class {cls}:",
        '    """Stands in for the real WebSocketManager in unit tests."""',
        "",
        "    def send(self, conn_id: str, payload: dict) -> bool:",
        "        return True",
    ])


NETRA_MENTION_FUNCS = {
    "mn_types_from": mn_types_from, "mn_pkg_kept": mn_pkg_kept, "mn_canonical": mn_canonical,
    "mn_types_import": mn_types_import, "mn_emitter_canonical": mn_emitter_canonical,
}


def netra_target_length(rng: random.Random) -> int:
    """About 400 lines a file, as in the measured backend."""
    r = rng.random()
    if r < 0.3:
        return rng.randint(120, 300)
    if r < 0.8:
        return rng.randint(300, 520)
    return rng.randint(520, 760)


def generate_netra(out: Path, n_files: int = 8000, seed: int = 1) -> dict:
    """Write the netra-shaped corpus under ``out``; return the ground truth."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise SystemExit(f"{out}: not empty")
    files: dict[str, str] = {}
    n_areas, n_subs = _layout(n_files)
    areas, subs = AREAS[:n_areas], SUBS[:n_subs]
    root_app = f"{NETRA_ROOT}/app"
    files[f"{NETRA_ROOT}/__init__.py"] = ""
    files[f"{root_app}/__init__.py"] = '"""Synthetic backend (netra-shaped benchmark corpus)."""\n'
    files[f"{NETRA_PKG_PATH}/__init__.py"] = NETRA_INIT_SRC
    files[f"{NETRA_PKG_PATH}/types.py"] = NETRA_TYPES_SRC
    files[f"{NETRA_PKG_PATH}/websocket_manager.py"] = NETRA_CANONICAL_SRC
    files[f"{NETRA_PKG_PATH}/event_emitter.py"] = NETRA_EMITTER_SRC
    files[f"{NETRA_PKG_PATH}/manager.py"] = NETRA_LEGACY_SRC
    files[f"{NETRA_PKG_PATH}/unified_emitter.py"] = NETRA_LEGACY2_SRC
    files[f"{NETRA_ROOT}/tests/__init__.py"] = ""
    for a in areas:
        files[f"{root_app}/{a}/__init__.py"] = f'"""The {a} area."""\n'
        files[f"{NETRA_ROOT}/tests/{a}/__init__.py"] = ""
        for s in subs:
            files[f"{root_app}/{a}/{s}/__init__.py"] = ""
    n_fixed = len(files)
    remaining = max(10, n_files - n_fixed)
    n_tests = max(2, round(remaining * 0.2))
    n_ws = max(3, remaining // 400)
    n_app = max(5, remaining - n_tests - n_ws)
    planned: list[tuple[str, str]] = []
    taken = set(files)

    def unique(dirpath: str, prefix: str = "") -> str:
        for _ in range(1000):
            tail = rng.choice(["core", "io", "views", "rules", "store", "client", "jobs", "cache", "types", "helpers"])
            name = f"{prefix}{rng.choice(VERBS)}_{rng.choice(NOUNS)}" if rng.random() < 0.5 else f"{prefix}{rng.choice(NOUNS)}_{tail}"
            path = f"{dirpath}/{name}.py"
            if path not in taken:
                taken.add(path)
                return path
        raise RuntimeError("name space exhausted")

    for _ in range(n_app):
        planned.append((unique(f"{root_app}/{rng.choice(areas)}/{rng.choice(subs)}"), "app"))
    for _ in range(n_ws):
        planned.append((unique(NETRA_PKG_PATH, "ws_"), "ws"))
    for _ in range(n_tests):
        planned.append((unique(f"{NETRA_ROOT}/tests/{rng.choice(areas)}", "test_"), "test"))

    total = len(planned) + n_fixed
    idx = {k: [i for i, (_, kk) in enumerate(planned) if kk == k] for k in ("app", "ws", "test")}
    n_consumers = round(total * 0.066)
    n_ws_cons = max(1, len(idx["ws"]) // 3)
    n_test_cons = min(len(idx["test"]), max(1, round(n_consumers * 0.15)))
    n_app_cons = max(1, n_consumers - n_ws_cons - n_test_cons)
    roles: dict[int, list[str]] = {}
    for i in rng.sample(idx["ws"], n_ws_cons):
        roles[i] = ["relative"]
    for i in rng.sample(idx["test"], n_test_cons):
        roles[i] = ["mock_patch"] + (["pkg_func_local"] if rng.random() < 0.4 else [])
    forms, weights = [f for f, _ in NETRA_FORMS], [w for _, w in NETRA_FORMS]
    for i in rng.sample(idx["app"], min(len(idx["app"]), n_app_cons)):
        first = rng.choices(forms, weights)[0]
        chosen = [first]
        if rng.random() < 0.2:
            second = rng.choices(forms, weights)[0]
            if second != first and not (first in NETRA_BINDING and second in NETRA_BINDING):
                chosen.append(second)
        roles[i] = chosen
    others = [i for i in range(len(planned)) if i not in roles and planned[i][1] != "ws"]
    mentions: dict[int, list[str]] = {}
    for i in rng.sample(others, min(len(others), round(total * 0.10))):
        mentions[i] = [rng.choice(NETRA_MENTIONS)]
    # The class names in about 11% of files: consumers, canonical importers, and local doubles.
    named = len(roles) + sum(1 for m in mentions.values() if m[0] in ("mn_canonical", "mn_emitter_canonical"))
    rest = [i for i in range(len(planned)) if i not in roles and i not in mentions]
    class_only = set(rng.sample(rest, max(0, min(len(rest), round(total * 0.11) - named))))
    # A few comments name a legacy path (reported, never rewritten without --include-docs).
    doc_only = set(rng.sample([i for i in rest if i not in class_only], min(len(rest) - len(class_only), max(1, round(total * 0.002)))))

    truth_expected: dict[str, list[str]] = {}
    truth_near: dict[str, list[str]] = {}
    protected: dict[str, list[str]] = {}
    done_modules: list[str] = []
    for i, (path, kind) in enumerate(planned):
        mod = path[:-3].replace("/", ".")
        fb = FileBuilder(rng, mod)
        fb.imports.add("import logging")
        add_filler(fb, netra_target_length(rng), done_modules[-400:] if kind != "ws" else [])
        for form in roles.get(i, []):
            NETRA_FORM_FUNCS[form](fb)
        for m in mentions.get(i, []):
            NETRA_MENTION_FUNCS[m](fb)
        if i in class_only:
            mn_class_name_only(fb)
        if i in doc_only:
            line = f"# Formerly served by {NETRA_LEGACY}; see the migration notes."
            fb.top.append(line)
            fb.protect(line)
        doc = f"{mod.rsplit('.', 1)[-1].replace('_', ' ').capitalize()} ({kind} module, synthetic)."
        files[path] = fb.render(docstring=doc)
        if i in roles:
            truth_expected[path] = list(roles[i])
        near = mentions.get(i, []) + (["mn_class_name_only"] if i in class_only else []) + (["mn_comment"] if i in doc_only else [])
        if near:
            truth_near[path] = near
        if fb.protected:
            protected[path] = fb.protected
        if kind == "app":
            done_modules.append(mod)

    for rel, text in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (out / SPEC_NAME).write_text(NETRA_SPEC, encoding="utf-8")
    truth = {
        "profile": "netra",
        "seed": seed,
        "files_requested": n_files,
        "python_files": len(files),
        "lines": sum(t.count("\n") for t in files.values()),
        "legacy": NETRA_LEGACY,
        "canonical": NETRA_CANONICAL,
        "legacy_path": f"{NETRA_PKG_PATH}/manager.py",
        "legacy_paths": [f"{NETRA_PKG_PATH}/manager.py", f"{NETRA_PKG_PATH}/unified_emitter.py"],
        "legacy_modules": [NETRA_LEGACY, NETRA_LEGACY2],
        "legacy_symbols": [[NETRA_PKG, n] for n in NETRA_MOVED],
        "spec": SPEC_NAME,
        "expected": dict(sorted(truth_expected.items())),
        "near_miss_only": sorted(p for p in truth_near if p not in truth_expected),
        "near_miss": dict(sorted(truth_near.items())),
        "protected": dict(sorted(protected.items())),
    }
    (out / TRUTH_NAME).write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return truth


PROFILES = {"synthetic": generate, "netra": generate_netra}


def self_check(out: Path, truth: dict) -> list[str]:
    """Parse every file and import every module (generator sanity check)."""
    import ast
    import importlib

    problems = []
    mods = []
    for p in sorted(out.rglob("*.py")):
        rel = p.relative_to(out).as_posix()
        try:
            ast.parse(p.read_bytes(), rel)
        except SyntaxError as exc:
            problems.append(f"{rel}: {exc}")
            continue
        parts = rel[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods.append(".".join(parts))
    sys.path.insert(0, str(out))
    try:
        for m in mods:
            try:
                importlib.import_module(m)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"import {m}: {exc!r}")
    finally:
        sys.path.remove(str(out))
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="directory to write (default: a new temp dir)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="synthetic", help="corpus shape (default synthetic; netra: issue #12's monorepo shape)")
    ap.add_argument("--files", type=int, default=None, help="about how many Python files (default 5000; 8000 for --profile netra)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--self-check", action="store_true", help="parse and import every generated module")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="ssot-bench-corpus-"))
    n_files = args.files or (8000 if args.profile == "netra" else 5000)
    truth = PROFILES[args.profile](out, n_files, args.seed)
    print(
        f"{out}: {truth['python_files']} Python files, {truth['lines']} lines; "
        f"{len(truth['expected'])} must change, {len(truth['near_miss_only'])} near-miss-only files"
    )
    if args.self_check:
        problems = self_check(out, truth)
        for p in problems[:50]:
            print("PROBLEM", p)
        print(f"self-check: {len(problems)} problem(s)")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
