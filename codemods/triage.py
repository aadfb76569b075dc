"""Phase C triage: decide with CPython's ``ast`` whether a file needs LibCST at all.

Why
    The byte prefilter keeps every file that mentions a legacy leaf name next
    to its package; on a monorepo most of those files only import a sibling of
    the legacy module, or name the class in a test double.  LibCST's parse and
    the codegen pass cost about 100x an ``ast.parse``, so phase C first asks
    ``ast`` whether the file *references a legacy dotted path* at all.  Files
    that do not cost one ``ast.parse`` and never reach LibCST.

The rule is deliberately wider than today's edit set (other rewrites of the
same references are being added): a file goes to LibCST when it

* imports a legacy module, anything under one, a package above one, or a name
  that is one of those (``from pkg import legacy_mod``, ``import pkg``);
* has a relative import that cannot be resolved here;
* spells an attribute chain that names a legacy module or a moved symbol;
* holds a string constant naming a legacy dotted path (``mock.patch``,
  ``import_module``, annotations, prose), or a relative module string whose
  first part is a legacy leaf name;
* has a comment or any other text matching a legacy dotted path (a byte
  search over the whole file);
* does not parse with ``ast``, is not UTF-8, or has a patch target spelled as
  more than one string token.

For the rest, the only thing phase C records is the patch targets it sees
(:class:`~codemods.phase_c.PatchFact`, used to warn when a rewrite elsewhere
changes what a patch intercepts); triage computes those itself, with the same
rules and line numbers.  ``tests/codemods/test_phase_c_triage.py`` checks
that bytes, reports and facts are identical with and without triage.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache

from migrate.modindex import resolve_relative
from migrate.verify import parse_cached

from .moves import MoveTable
from .refscan import ast_dotted as _dotted

PATCH_CALLEES = frozenset({"patch"})
PATCH_HELPERS = frozenset({"dict", "multiple"})
_TARGET_KEYWORDS = frozenset({"target", "name", "in_dict"})


@dataclass(frozen=True)
class Triage:
    """What phase C needs from the move map to decide, per file, without LibCST."""

    moved: frozenset[str]  # modules that move (their submodules move with them)
    symbol_modules: frozenset[str]  # modules that stay, with some names moved out
    parents: frozenset[str]  # every package above one of those
    leaves: frozenset[str]  # last parts of legacy modules, and moved symbol names
    symbols: frozenset[tuple[str, str]]  # (module, name) of each moved symbol
    text_re: re.Pattern[bytes]  # legacy dotted paths, anywhere in the bytes
    value_re: re.Pattern[str]  # the same, in a string constant's value
    table: MoveTable

    @classmethod
    def build(cls, table: MoveTable, doc_pattern: str) -> "Triage":
        moved = {old for old, _ in table.module_moves}
        symbol_modules = set(table.symbol_modules())
        parents = {".".join(m.split(".")[:i]) for m in moved | symbol_modules for i in range(1, m.count(".") + 1)}
        return cls(
            moved=frozenset(moved),
            symbol_modules=frozenset(symbol_modules),
            parents=frozenset(parents),
            leaves=frozenset(table.legacy_leaf_names()),
            symbols=frozenset(mod_name for mod_name, _ in table.symbol_moves),
            # Bytes mode: ``\\w`` is ASCII-only there, so the lookarounds match at
            # least wherever the text-mode pattern does (a superset: conservative).
            text_re=re.compile(doc_pattern.encode()),
            value_re=re.compile(doc_pattern),
            table=table,
        )

    def under_moved(self, dotted: str) -> bool:
        """``dotted`` is a moved module or lies inside one."""
        if dotted in self.moved:
            return True
        i = dotted.find(".")
        while i != -1:
            if dotted[:i] in self.moved:
                return True
            i = dotted.find(".", i + 1)
        return False

    def names_legacy(self, dotted: str) -> bool:
        """``dotted`` is a legacy path: inside a moved module, or a moved symbol."""
        if self.under_moved(dotted):
            return True
        mod, _, name = dotted.rpartition(".")
        return (mod, name) in self.symbols

    def related(self, dotted: str) -> bool:
        """Binding ``dotted`` gives access to a legacy path (it is one, or a module above one)."""
        return dotted in self.parents or dotted in self.symbol_modules or self.names_legacy(dotted)


@lru_cache(maxsize=8)
def triage_for(table: MoveTable, doc_pattern: str) -> Triage:
    return Triage.build(table, doc_pattern)


@dataclass(frozen=True)
class Verdict:
    needs_cst: bool
    why: str = ""
    patch_targets: tuple[tuple[int, str], ...] = ()  # (line, value) of every patch target string with a dot


def triage(t: Triage, data: bytes, package: str | None) -> Verdict:
    """Decide whether phase C can edit or report anything in ``data``."""
    if t.text_re.search(data):
        return Verdict(True, "names a legacy dotted path")
    try:
        source = data.decode("utf-8-sig")  # ast counts columns after a BOM
        tree = parse_cached(data)  # verification reads the same tree if the file changes
    except (SyntaxError, ValueError, UnicodeDecodeError, MemoryError, RecursionError):
        return Verdict(True, "not read by ast")
    patch_nodes: list[ast.Call] = []
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Attribute:
            if node.attr in t.leaves:  # type: ignore[attr-defined]
                dotted = _dotted(node)
                if dotted is not None and t.names_legacy(dotted):
                    return Verdict(True, f"attribute chain {dotted}")
        elif kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, str) and _string_is_legacy(t, value):
                return Verdict(True, "string names a legacy path")
        elif kind is ast.Import:
            for alias in node.names:  # type: ignore[attr-defined]
                if t.related(alias.name):
                    return Verdict(True, f"import {alias.name}")
        elif kind is ast.ImportFrom:
            why = _import_from(t, node, package)  # type: ignore[arg-type]
            if why:
                return Verdict(True, why)
        elif kind is ast.Call:
            if _is_patch_call(node.func):  # type: ignore[attr-defined]
                patch_nodes.append(node)  # type: ignore[arg-type]
    targets: list[tuple[int, int, str]] = []
    lines: list[str] | None = None
    for call in patch_nodes:
        for arg in _target_args(call):
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                continue
            if "." not in arg.value:
                continue
            if lines is None:
                lines = source.splitlines(keepends=True)
            if not _single_string_token(lines, arg):
                return Verdict(True, "patch target spelled as several string tokens")
            targets.append((arg.lineno, arg.col_offset, arg.value))
    targets.sort()
    return Verdict(False, patch_targets=tuple((line, value) for line, _, value in targets))


def _string_is_legacy(t: Triage, value: str) -> bool:
    if t.value_re.search(value):
        return True
    if value[:1] == "." and value.lstrip(".").split(".")[0] in t.leaves:
        return True  # a relative import_module("..leaf") may name a legacy module
    if ("." in value or ":" in value) and len(value) < 512:
        new, why = t.table.rewrite_dotted(value, None)
        return new is not None or bool(why)
    return False


def _import_from(t: Triage, node: ast.ImportFrom, package: str | None) -> str:
    if node.level:
        if package is None:
            # Phase C cannot resolve it (no module name); still, a legacy leaf named here goes to LibCST.
            names = {a.name for a in node.names} | set((node.module or "").split("."))
            return "unresolved relative import" if names & t.leaves else ""
        src = resolve_relative(package, node.level, node.module)
        if src is None:
            return ""
    else:
        src = node.module
        if src is None:
            return ""
    if t.under_moved(src):
        return f"from {src} import"
    if src in t.parents or src in t.symbol_modules:
        for alias in node.names:
            if alias.name == "*" or t.related(f"{src}.{alias.name}"):
                return f"from {src} import {alias.name}"
    return ""


def _is_patch_call(func: ast.AST) -> bool:
    """The callee shapes phase C treats as ``mock.patch`` (see ``ImportRewriter._string_kind``)."""
    if isinstance(func, ast.Attribute):
        if func.attr in PATCH_CALLEES:
            return True
        if func.attr in PATCH_HELPERS:
            base = _dotted(func.value)
            return bool(base) and base.endswith("patch")  # type: ignore[union-attr]
        return False
    return isinstance(func, ast.Name) and func.id in PATCH_CALLEES


def _target_args(call: ast.Call) -> list[ast.AST]:
    out: list[ast.AST] = [kw.value for kw in call.keywords if kw.arg in _TARGET_KEYWORDS]
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if positional:
        out.append(positional[0])
    return out


def _single_string_token(lines: list[str], node: ast.Constant) -> bool:
    """The constant is one string token (LibCST's ``SimpleString``), not a concatenation."""
    if node.end_lineno is None or node.end_col_offset is None:
        return False
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        segment = lines[first].encode("utf-8")[node.col_offset:node.end_col_offset].decode("utf-8", "replace")
    else:
        chunk = lines[first:last + 1]
        segment = "".join(
            [chunk[0].encode("utf-8")[node.col_offset:].decode("utf-8", "replace"), *chunk[1:-1],
             chunk[-1].encode("utf-8")[:node.end_col_offset].decode("utf-8", "replace")]
        )
    try:
        toks = [
            tok for tok in tokenize.generate_tokens(io.StringIO(segment).readline)
            if tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    return len(toks) == 1 and toks[0].type == tokenize.STRING



def _dotted_re(dotted: str) -> bytes:
    """``a.b.c`` as a regex that also allows spaces around the dots (``from a . b import``)."""
    return rb"\s*\.\s*".join(re.escape(part.encode()) for part in dotted.split("."))


def _words(names) -> bytes:
    return rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names, key=lambda x: (-len(x), x))) + rb")\b"


class Prefilter:
    """Phase C's byte prefilter: ``search(data)`` is truthy when the file may reference a legacy path.

    Two stages, for speed: a literal search (``bytes.__contains__``, no regex)
    for the legacy leaf names, which every reference spells; then a few
    regexes, each starting with a literal so that ``re`` can skip ahead to it.
    (One alternation of everything is several times slower: ``re`` then tries
    every branch at every byte.)
    """

    def __init__(self, literals: tuple[bytes, ...], patterns: tuple[bytes, ...]) -> None:
        self.literals = literals
        self.patterns = patterns
        self._compiled = [re.compile(p) for p in patterns]

    @property
    def pattern(self) -> bytes:
        return b"|".join(self.patterns)

    def search(self, data: bytes) -> re.Match[bytes] | None:
        if not any(lit in data for lit in self.literals):
            return None
        for rx in self._compiled:
            m = rx.search(data)
            if m:
                return m
        return None

    def __reduce__(self):
        return (Prefilter, (self.literals, self.patterns))


def prefilter_regexes(table: MoveTable) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """The literals and regexes of :class:`Prefilter` for ``table`` (both sorted: payloads are cached by content).

    A file is kept when it holds a legacy leaf name and one of: a legacy dotted
    path spelled out (imports, strings, comments: ``a.b.legacy``,
    ``a.b.sym_mod.Moved``, ``a.b.sym_mod:Moved``); ``from P import`` or
    ``import P`` where ``P`` is a package above a legacy module or a module with
    moved names, with a name it leads to later in the file (``from a.b import
    legacy``, ``from a.b.sym_mod import Moved``); a relative import of a legacy
    leaf or moved name; a relative ``import_module(".x")``; a string ending in
    ``.Moved`` (a patch target through a consumer's binding, which
    ``--rename-uses`` may rename).  Never a bare token such as the parent
    package's last part (``app``), which is in nearly every file of a monorepo.
    Where a relative import really points is left to :func:`triage`, which
    knows the file's package.
    """
    paths = table.legacy_dotted_paths()
    if not paths:
        return (), ()
    moved = {old for old, _ in table.module_moves}
    symmods = set(table.symbol_modules())
    leaves = sorted(table.legacy_leaf_names())
    leads: dict[str, set[str]] = {}  # module above a legacy one -> the names importing from it that matter
    for mod in moved | symmods:
        parts = mod.split(".")
        for i in range(1, len(parts)):
            leads.setdefault(".".join(parts[:i]), set()).add(parts[i])
    for (mod, name), _ in table.symbol_moves:
        leads.setdefault(mod, set()).update({name, "*"})
    out: list[bytes] = []
    by_root: dict[str, list[str]] = {}
    for p in paths:
        by_root.setdefault(re.split(r"[.:]", p)[0], []).append(p)
    for root, group in sorted(by_root.items()):
        tails = sorted({r"\s*[.:]\s*".join(re.escape(x) for x in re.split(r"[.:]", p)[1:]) for p in group}, key=lambda x: (-len(x), x))
        tails = [r"\s*[.:]\s*" + t for t in tails if t]
        out.append(re.escape(root).encode() + (rb"(?:" + "|".join(tails).encode() + rb")" if tails else b"") + rb"\b")
    for parent in sorted(leads):
        names = sorted(leads[parent] - {"*"})
        later = _words(names) if names else rb"(?!)"
        in_stmt = later
        if "*" in leads[parent]:
            later, in_stmt = rb"(?:" + later + rb"|import\s*\*)", rb"(?:" + later + rb"|\*)"
        # ``from P import <a name that matters>`` (the name within the statement), or
        # ``import P`` (exactly P: the name ends there) with the name later in the file.
        out.append(_dotted_re(parent) + rb"\s+import\s*(?:\([^)]*?|(?:[^\n;\\]|\\\r?\n)*?)" + in_stmt)
        out.append(_dotted_re(parent) + rb"(?:[ \t]+as\b|[ \t]*(?:[,;#\\)\r\n]|$))(?=[\s\S]*?" + later + rb")")
    out.append(rb"from\s+\.+\s*(?:\w+\s*\.\s*)*" + _words(leaves))
    out.append(rb"from\s+\.+[\w.]*\s+import\b(?=[\s\S]*?" + _words(leaves) + rb")")
    for callee in ("__import__", "find_spec", "import_module", "resolve_name"):
        out.append(callee.encode() + rb"\s*\(\s*[rRuU]?['\"]\.")
    for name in sorted({name for (_, name), _ in table.symbol_moves}):
        out.append(rb"\." + re.escape(name.encode()) + rb"['\"]")
    return tuple(l.encode() for l in leaves), tuple(out)
