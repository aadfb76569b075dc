"""The reference scan behind phase E: is anything, anywhere, still using a legacy target?

A *candidate* is what phase E may remove: a legacy module (its file, or every
file of a legacy package) or one top-level definition (``pkg.mod:name``, a
legacy factory) inside a module that stays.

Python files are read twice, on purpose:

* phase C's :class:`~codemods.phase_c.ImportRewriter`, run in report mode,
  yields a :class:`~migrate.results.RefFact` for every import form, dotted
  ``mock.patch``/``importlib``/annotation string, docstring and comment it
  knows (rewritten or not; phase E only reads the facts);
* a small ``ast`` net adds what C does not attribute to a legacy *module*:
  attribute chains (``pkg.websocket_core.manager.X`` after ``import
  pkg.websocket_core``), relative ``import_module(".manager", package=...)``,
  any string naming the target, ``getattr(mod, "name")``, uses of a legacy
  definition's name in its own module or after a star import, and files C
  never reads (its protected modules).

Other files (``pyproject.toml``/``setup.cfg`` entry points, YAML/JSON/INI/TOML
configuration, ``.env``) are searched as text for the dotted path as a whole
token.  The spec's own ``[tool.ssot-migrate]`` table is not a reference.

Everything here is pure: the functions take bytes and return hits, so the
same code serves ``plan E``, ``apply E`` and ``ssot-migrate check``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from migrate.modindex import resolve_relative

#: Reference kinds that do not break anything when the target goes (prose).
NON_BLOCKING_KINDS = frozenset({"docstring", "comment"})

#: pyproject.toml / setup.cfg tables whose values are entry points.
_ENTRY_POINT_HEADERS = re.compile(
    r"^\[\s*(?:project\.(?:scripts|gui-scripts|entry-points(?:\..*)?)|tool\.poetry\.(?:scripts|plugins(?:\..*)?)|options\.entry_points)\s*\]\s*$"
)
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


@dataclass(frozen=True)
class Candidate:
    """Something phase E may remove, and everything needed to decide."""

    key: str  # "pkg.mod" (a module or package), "pkg.mod:name" (a top-level definition), "config:KEY"
    module: str
    name: str | None = None
    origin: str = "move"  # move | cleanup | factory | config (phase B's compat-reader fallback of KEY)
    remove_in: str | None = None
    path: str | None = None  # the module's file (repo-relative) when it exists
    files: tuple[str, ...] = ()  # what a module removal deletes (a package: every file under it)
    span: tuple[int, int] | None = None  # a definition's lines, decorators included
    problem: str | None = None  # why it cannot be removed at all; None when it can

    @property
    def is_module(self) -> bool:
        return self.name is None

    @property
    def is_config(self) -> bool:
        """The compat-reader fallback of a config key: its reader calls are rewritten, nothing is deleted."""
        return self.origin == "config"

    @property
    def label(self) -> str:
        """How reports name it."""
        return f"the compat-reader fallback of {self.name}" if self.is_config else self.key

    @property
    def leaf(self) -> str:
        return self.name or self.module.rpartition(".")[2]

    @property
    def exists(self) -> bool:
        return bool(self.files) if self.is_module else self.span is not None  # config: a reader call is left


@dataclass(frozen=True)
class CleanupRef:
    """One reference to a candidate (a fact shipped from workers to ``finalize``)."""

    path: str
    line: int
    kind: str
    text: str  # what the code spells (an import target, a dotted string, ...)
    candidate: str  # Candidate.key
    blocking: bool


def refers_to(text: str, cand: Candidate) -> bool:
    """Whether a dotted reference (``a.b``, ``a.b.X.y``, ``a.b:X.y``) names ``cand``."""
    mod, colon, attr = text.partition(":")
    if cand.is_module:
        return mod == cand.module or mod.startswith(cand.module + ".")
    if colon:
        return mod == cand.module and (attr == cand.name or attr.startswith(f"{cand.name}."))
    dotted = f"{cand.module}.{cand.name}"
    return text == dotted or text.startswith(dotted + ".")


def prefilter_pattern(cands: Iterable[Candidate]) -> bytes:
    """Bytes regex: a file that does not spell any candidate's last name cannot refer to it."""
    leaves = sorted({c.leaf for c in cands}, key=lambda x: (-len(x), x))
    if not leaves:
        return rb"(?!)"
    return rb"\b(?:" + b"|".join(re.escape(x.encode()) for x in leaves) + rb")\b"


# -- Python: the ast net ------------------------------------------------------------------


def ast_dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for an ast Name or Attribute chain of Names; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _docstring_nodes(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                out.add(id(body[0].value))
    return out


def scan_python_ast(
    tree: ast.Module,
    *,
    module: str | None,
    package: str | None,
    cands: Sequence[Candidate],
) -> list[tuple[int, str, str, str]]:
    """``(line, kind, text, candidate key)`` for every reference the net sees."""
    hits: list[tuple[int, str, str, str]] = []
    mods = [c for c in cands if c.is_module]
    defs = [c for c in cands if not c.is_module]
    # Local names bound to a module that holds a definition candidate, per module.
    bound: dict[str, set[str]] = {}
    star_from: set[str] = set()

    def hit(node: ast.AST, kind: str, text: str, cand: Candidate) -> None:
        hits.append((getattr(node, "lineno", 1), kind, text, cand.key))

    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in imports:
        if isinstance(node, ast.Import):
            for a in node.names:
                for c in mods:
                    if a.name == c.module or a.name.startswith(c.module + "."):
                        hit(node, "import", a.name, c)
                for c in defs:
                    if a.name == c.module:
                        bound.setdefault(c.module, set()).add(a.asname or a.name)
            continue
        src = resolve_relative(package or "", node.level, node.module) if node.level else node.module
        if not src:
            continue
        star = any(a.name == "*" for a in node.names)
        for c in mods:
            if src == c.module or src.startswith(c.module + "."):
                hit(node, "star-import" if star else "import", src, c)
                continue
            parent, _, leaf = c.module.rpartition(".")
            if src == parent and any(a.name == leaf for a in node.names):
                hit(node, "import", c.module, c)
        for c in defs:
            if src == c.module:
                if star:
                    star_from.add(c.module)
                for a in node.names:
                    if a.name == c.name:
                        hit(node, "import", f"{src}:{c.name}", c)
            parent, _, leaf = c.module.rpartition(".")
            if src == parent:
                for a in node.names:
                    if a.name == leaf:
                        bound.setdefault(c.module, set()).add(a.asname or a.name)
    docstrings = _docstring_nodes(tree)
    own_defs = [c for c in defs if module is not None and c.module == module]
    all_entries = _all_literal_entries(tree) if own_defs else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = ast_dotted(node)
            if dotted is None:
                continue
            for c in mods:
                if dotted == c.module:
                    hit(node, "attribute", dotted, c)
            for c in defs:
                base, _, attr = dotted.rpartition(".")
                if attr == c.name and (base in bound.get(c.module, ()) or base == c.module):
                    hit(node, "attribute", f"{c.module}:{c.name}", c)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docstrings:
                continue
            value = node.value
            for c in cands:
                if _string_names(value, c):
                    hit(node, "string", value, c)
            for c in own_defs:
                # getattr(sys.modules[__name__], "name"), registries keyed by name, ...
                if value == c.name and id(node) not in all_entries:
                    hit(node, "string", value, c)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            for c in defs:
                if node.id == c.name and ((module is not None and c.module == module) or c.module in star_from):
                    hit(node, "name" if c.module == module else "star-import", f"{c.module}:{c.name}", c)
        elif isinstance(node, ast.Call):
            _scan_call(node, package, mods, defs, bound, hit)
    return hits


def _all_literal_entries(tree: ast.Module) -> set[int]:
    """ids of the string elements of top-level ``__all__ = [...]`` literals (phase E edits those)."""
    out: set[int] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets):
            if isinstance(stmt.value, (ast.List, ast.Tuple)):
                out |= {id(e) for e in stmt.value.elts if isinstance(e, ast.Constant)}
    return out


def _string_names(value: str, cand: Candidate) -> bool:
    if cand.is_module:
        m = cand.module
        return value == m or value.startswith(m + ".") or value.startswith(m + ":")
    dotted, colon = f"{cand.module}.{cand.name}", f"{cand.module}:{cand.name}"
    return value in (dotted, colon) or value.startswith(dotted + ".") or value.startswith(colon + ".")


def _scan_call(node: ast.Call, package, mods, defs, bound, hit) -> None:
    func = node.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    args = node.args
    if last == "import_module" and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        name = args[0].value
        if name.startswith("."):
            pkg_node = args[1] if len(args) > 1 else next((k.value for k in node.keywords if k.arg == "package"), None)
            pkg = None
            if isinstance(pkg_node, ast.Constant) and isinstance(pkg_node.value, str):
                pkg = pkg_node.value
            elif isinstance(pkg_node, ast.Name) and pkg_node.id in ("__package__", "__name__"):
                pkg = package
            if pkg:
                level = len(name) - len(name.lstrip("."))
                resolved = resolve_relative(pkg, level, name.lstrip(".") or None)
                if resolved:
                    for c in mods:
                        if refers_to(resolved, c):
                            hit(node, "importlib", resolved, c)
    if last == "getattr" and len(args) >= 2 and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
        base = ast_dotted(args[0])
        for c in defs:
            if args[1].value == c.name and base is not None and (base in bound.get(c.module, ()) or base == c.module):
                hit(node, "getattr", f"{c.module}:{c.name}", c)


# -- other files: text ----------------------------------------------------------------------


def text_patterns(cands: Iterable[Candidate]) -> list[tuple[re.Pattern[str], str]]:
    out = []
    for c in cands:
        if c.is_module:
            rx = rf"(?<![\w.]){re.escape(c.module)}(?![\w])"
        else:
            rx = rf"(?<![\w.]){re.escape(c.module)}[.:]{re.escape(c.name or '')}(?![\w])"
        out.append((re.compile(rx), c.key))
    return out


def generated_by_ssot_migrate(data: bytes) -> bool:
    """A JSON file ssot-migrate or its shims wrote (a baseline, an audit, shim telemetry): not a reference."""
    import json

    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(doc, dict):
        return False
    if str(doc.get("generated_by", "")).startswith("ssot-migrate"):
        return True
    return isinstance(doc.get("hits"), list) and "version" in doc and set(doc) <= {"version", "registered", "hits"}


def scan_text(
    text: str,
    patterns: Sequence[tuple[re.Pattern[str], str]],
    *,
    entry_points: bool,
    skip_spec_table: bool,
    sections: bool = False,
) -> list[tuple[int, str, str, str]]:
    """``(line, kind, text, candidate key)`` for whole-token mentions in a non-Python file.

    ``entry_points``: the file may hold entry-point tables (pyproject.toml, setup.cfg);
    ``skip_spec_table``: lines inside ``[tool.ssot-migrate...]`` are the spec, not references;
    ``sections``: the file has ``[section]`` headers (TOML, INI); lines in ``[importlinter...]``
    sections are an import-linter contract forbidding the legacy modules, not references.
    """
    hits: list[tuple[int, str, str, str]] = []
    section = ""
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line) if (sections or entry_points or skip_spec_table) else None
        if m:
            section = m.group(1).replace('"', "").replace("'", "").strip()
            continue
        if skip_spec_table and (section == "tool.ssot-migrate" or section.startswith("tool.ssot-migrate.")):
            continue
        if section.startswith("importlinter"):
            continue  # an import-linter contract forbidding the legacy modules names them on purpose
        for rx, key in patterns:
            for found in rx.finditer(line):
                end = found.end()
                tail = re.match(r"[.:][A-Za-z_][\w.]*", line[end:])
                spelled = found.group(0) + (tail.group(0) if tail else "")
                kind = "entry-point" if entry_points and _ENTRY_POINT_HEADERS.match(f"[{section}]") else "config"
                hits.append((lineno, kind, spelled, key))
    return hits
