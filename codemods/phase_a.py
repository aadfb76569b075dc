"""Phase A: the canonical class offers everything callers use on the legacy classes.

What it does
    Reads the canonical class and every legacy implementation (listed in
    ``[tool.ssot-migrate.interface]`` or matched by a class-name pattern), with
    the members they inherit from base classes defined in the repository:
    methods (sync or async), class and static methods, properties, attributes,
    ``@overload`` sets, each with its parameter list.  It also finds the
    attributes callers use on instances of the legacy classes wherever the
    code makes the type clear (annotations, constructor calls, factories that
    return a legacy class, ``self.x`` holding one), and reports, per legacy
    class, the members the canonical class lacks, the parameter lists that
    differ (names, kinds, count, defaults) and the sync/async and
    method/property mismatches, each with the number of call sites that use it.

    For a missing member the spec maps to an existing canonical member
    (``[tool.ssot-migrate.interface.map.send_message] to = "send_to_user"``,
    with an argument mapping), it inserts a delegating method into the
    canonical class: the legacy signature, ``async``/``await`` as needed, a
    one-line docstring naming the target, and the file's own indentation,
    line endings, quotes and spacing between methods.  Optionally it writes a
    ``typing.Protocol`` describing the consolidated interface.

Why
    Before many classes become aliases of one, the one must offer what their
    callers use.  In the incident this tool comes from, the canonical manager
    lacked ``send_message``; every caller switched to it lost its events.

What it never does
    Edit any file but the one defining the canonical class (and the generated
    Protocol module); invent a mapping; change an existing member; guess a
    signature the legacy classes disagree on.  Unmapped gaps are reported with
    file:line and their call sites; ``--strict`` makes them errors.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import io
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Mapping

import libcst as cst

from migrate.discovery import discover
from migrate.modindex import ModuleIndex, build_index, find_module_file, module_name_for, resolve_relative
from migrate.phase import Options, Phase, RunContext
from migrate.results import FileOutcome, Plan, RefFact, Report, Severity, Status
from migrate.spec import Spec, Target, register_section
from migrate.verify import VerifyPolicy

from . import register
from .cstutil import render_preserving
from .interface import (
    BUILTIN_NAMES,
    COMPATIBLE,
    INCOMPATIBLE,
    KWONLY,
    POS,
    POSONLY,
    VARARG,
    VARKW,
    ClassInfo,
    Member,
    Param,
    TypeLookup,
    UseScanner,
    class_statements,
    compare_members,
    extract_members,
    is_public,
    merge_mro,
    own_nodes,
    params_of,
)

SECTION = "interface"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TARGET = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")
CLASS_GLOB = re.compile(r"^[A-Za-z0-9_*?\[\]!]+$")  # a class-name glob, as the spec takes it

#: Bases that add nothing a caller uses.
_NEUTRAL_BASES = {
    "builtins:object",
    "abc:ABC",
    "typing:Generic",
    "typing:Protocol",
    "typing_extensions:Protocol",
}


# -- the spec section -------------------------------------------------------------------


@dataclass(frozen=True)
class MapRule:
    """``[interface.map.<member>]``: how to add ``member`` to the canonical class."""

    member: str
    to: str
    args: tuple[tuple[str, str], ...] | None = None  # (target parameter | "*" | "**", expression)
    signature: str | None = None  # "(self, a: int, b=1) -> int"
    is_async: bool | None = None


@dataclass(frozen=True)
class InterfaceSpec:
    canonical: Target
    implementations: tuple[Target, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    protocol: Target | None = None
    rules: tuple[MapRule, ...] = ()

    def rule(self, member: str) -> MapRule | None:
        return next((r for r in self.rules if r.member == member), None)


_SECTION_KEYS = ("canonical", "implementations", "pattern", "exclude", "protocol", "map")
_RULE_KEYS = ("to", "args", "signature", "async")


@register_section(SECTION)
def parse_interface_section(raw: Any, where: str, errors: list[str]) -> InterfaceSpec | None:
    if not isinstance(raw, Mapping):
        errors.append(f"{where}: expected a table ([{where}])")
        return None
    for key in raw:
        if key not in _SECTION_KEYS:
            errors.append(f"{where}.{key}: unknown key (known: {', '.join(_SECTION_KEYS)})")

    def target(key: str, value: Any) -> Target | None:
        if not isinstance(value, str) or not _TARGET.match(value):
            errors.append(f"{where}.{key}: expected 'pkg.module:ClassName', got {value!r}")
            return None
        return Target.parse(value)

    canonical = None
    if "canonical" not in raw:
        errors.append(f"{where}.canonical: required, the canonical class as 'pkg.module:ClassName'")
    else:
        canonical = target("canonical", raw["canonical"])

    impls: list[Target] = []
    raw_impls = raw.get("implementations", [])
    if not isinstance(raw_impls, list):
        errors.append(f"{where}.implementations: expected an array of 'pkg.module:ClassName' strings")
    else:
        for i, v in enumerate(raw_impls):
            t = target(f"implementations[{i}]", v)
            if t is not None:
                if canonical is not None and t == canonical:
                    errors.append(f"{where}.implementations[{i}]: {v!r} is the canonical class")
                elif t in impls:
                    errors.append(f"{where}.implementations[{i}]: {v!r} is listed twice")
                else:
                    impls.append(t)

    def globs(key: str, allow_targets: bool) -> tuple[str, ...]:
        value = raw.get(key, [])
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            errors.append(f"{where}.{key}: expected a string or an array of strings")
            return ()
        for v in values:
            ok = CLASS_GLOB.match(v) or (allow_targets and _TARGET.match(v))
            if not ok:
                errors.append(
                    f"{where}.{key}: {v!r} is not a class-name glob such as '*WebSocket*Manager*'"
                    + (" or a 'pkg.module:ClassName'" if allow_targets else "")
                )
        return tuple(values)

    patterns = globs("pattern", False)
    exclude = globs("exclude", True)
    if not impls and not patterns and "implementations" not in raw and "pattern" not in raw:
        errors.append(f"{where}: give the legacy classes as `implementations = [...]` and/or `pattern = \"*Name*\"`")

    protocol = target("protocol", raw["protocol"]) if "protocol" in raw else None
    if protocol is not None and canonical is not None and protocol.module == canonical.module:
        errors.append(f"{where}.protocol: must be a module of its own, not the canonical class's module")

    rules: list[MapRule] = []
    raw_map = raw.get("map", {})
    if not isinstance(raw_map, Mapping):
        errors.append(f"{where}.map: expected a table of tables ([{where}.map.<member>])")
        raw_map = {}
    for member, entry in raw_map.items():
        rw = f"{where}.map.{member}"
        if not _IDENT.match(member):
            errors.append(f"{rw}: {member!r} is not a Python identifier")
            continue
        if isinstance(entry, str):
            entry = {"to": entry}
        if not isinstance(entry, Mapping):
            errors.append(f"{rw}: expected a table with `to` (and optionally args, signature, async)")
            continue
        for key in entry:
            if key not in _RULE_KEYS:
                errors.append(f"{rw}.{key}: unknown key (known: {', '.join(_RULE_KEYS)})")
        to = entry.get("to")
        if not isinstance(to, str) or not _IDENT.match(to):
            errors.append(f"{rw}.to: required, the name of an existing member of the canonical class")
            continue
        if to == member:
            errors.append(f"{rw}.to: maps {member!r} to itself")
            continue
        args = None
        if "args" in entry:
            raw_args = entry["args"]
            if not isinstance(raw_args, Mapping):
                errors.append(f"{rw}.args: expected a table: target parameter = \"expression\"")
            else:
                pairs = []
                for k, v in raw_args.items():
                    if not (_IDENT.match(k) or k in ("*", "**")):
                        errors.append(f"{rw}.args.{k}: not a parameter name (or \"*\" / \"**\")")
                    elif not isinstance(v, str):
                        errors.append(f"{rw}.args.{k}: expected an expression as a string")
                    else:
                        try:
                            ast.parse(v.strip(), mode="eval")
                        except SyntaxError as exc:
                            errors.append(f"{rw}.args.{k}: {v!r} is not a Python expression ({exc.msg})")
                        else:
                            pairs.append((k, v.strip()))
                args = tuple(pairs)
        signature = entry.get("signature")
        if signature is not None:
            if not isinstance(signature, str) or _parse_signature(signature) is None:
                errors.append(f"{rw}.signature: expected a parameter list such as \"(self, user_id: str, data: dict) -> int\"")
                signature = None
        is_async = entry.get("async")
        if is_async is not None and not isinstance(is_async, bool):
            errors.append(f"{rw}.async: expected true or false")
            is_async = None
        rules.append(MapRule(member, to, args, signature, is_async))

    if canonical is None:
        return None
    return InterfaceSpec(canonical, tuple(impls), patterns, exclude, protocol, tuple(rules))


def _parse_signature(text: str) -> ast.FunctionDef | None:
    text = text.strip()
    if not text.startswith("("):
        return None
    try:
        tree = ast.parse(f"def _f{text}: pass")
    except SyntaxError:
        return None
    fn = tree.body[0]
    return fn if isinstance(fn, ast.FunctionDef) else None


# -- the analysis -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delegate:
    """A member phase A inserts into the canonical class."""

    name: str
    kind: str  # method | classmethod | staticmethod | property
    is_async: bool
    params: tuple[Param, ...]
    returns: str | None
    target: str
    awaits: bool
    call: str  # "user_id, {'type': event_type}" (expressions as written in the spec)
    sources: tuple[str, ...]  # legacy classes that offer the member

    def as_member(self, owner: str, path: str, line: int) -> Member:
        return Member(self.name, self.kind, self.is_async, () if self.kind == "property" else self.params,
                      self.returns, self.returns if self.kind == "property" else None, owner=owner, path=path, line=line)

    def header(self) -> str:
        first = {"classmethod": ["cls"], "staticmethod": []}.get(self.kind, ["self"])
        params = ", ".join(first + [p.render(annotations=False) for p in _with_star_marker(self.params)])
        return f"{'async ' if self.is_async else ''}def {self.name}({params})"


@dataclass(frozen=True)
class Factory:
    module: str
    name: str
    key: str
    path: str
    line: int


@dataclass(frozen=True)
class APayload:
    spec: InterfaceSpec
    canonical: ClassInfo
    legacy: tuple[ClassInfo, ...]
    delegates: tuple[Delegate, ...]
    lookup: TypeLookup
    factories: tuple[Factory, ...]
    prefilter: bytes
    words: bytes  # legacy class and factory names (a function naming none of them holds no use)
    notes: tuple[Report, ...]
    protocol_path: str | None = None
    protocol_text: str | None = None

    @property
    def canonical_names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.canonical.members) | {"__init__"}

    def target_members(self) -> dict[str, Member]:
        """The canonical interface after the fix: its members plus the planned delegates."""
        out = self.canonical.member_map()
        for d in self.delegates:
            out.setdefault(d.name, d.as_member(self.canonical.key, self.canonical.path, self.canonical.line))
        return out

    def legacy_by_key(self) -> dict[str, ClassInfo]:
        return {c.key: c for c in self.legacy}


@dataclass(frozen=True)
class UseFact:
    """An attribute used on an instance of a legacy class (shipped from workers to finalize)."""

    path: str
    line: int
    key: str
    attr: str
    how: str


class _Repo:
    """Repository modules parsed on demand, names resolved through ModuleIndex origins."""

    def __init__(self, spec: Spec, index: ModuleIndex) -> None:
        self.spec = spec
        self.index = index
        self._src: dict[str, tuple[str, str, ast.Module] | None] = {}

    def load(self, module: str) -> tuple[str, str, ast.Module] | None:
        """(repo-relative path, text, tree) of a repository module, or None."""
        if module not in self._src:
            path = find_module_file(self.spec, module)
            got = None
            if path is not None:
                try:
                    text = path.read_bytes().decode("utf-8-sig")
                    got = (path.resolve().relative_to(self.spec.root).as_posix(), text, ast.parse(text))
                except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
                    got = None
            self._src[module] = got
        return self._src[module]

    def ensure_indexed(self, modules: set[str]) -> None:
        missing = {m for m in modules if not self.index.exists(m) and find_module_file(self.spec, m) is not None}
        if missing:
            self.index = build_index(self.spec, extra_modules=set(self.index.modules) | missing)

    def origin(self, module: str, name: str) -> str | None:
        self.ensure_indexed({module})
        return self.index.origin(module, name)

    def class_node(self, key: str) -> ast.ClassDef | None:
        module, _, name = key.partition(":")
        src = self.load(module)
        if src is None:
            return None
        for node in class_statements(src[2].body):
            if isinstance(node, ast.ClassDef) and node.name == name:
                return node
        return None

    def resolve_class(self, module: str, name: str) -> str | None:
        """The key ("module:Class") of the class statement ``module.name`` finally names."""
        if self.class_node(f"{module}:{name}") is not None:
            return f"{module}:{name}"
        got = self.origin(module, name)
        if got and ":" in got and self.class_node(got) is not None:
            return got
        return None

    def resolve_expr(self, module: str, expr: ast.expr) -> str | None:
        """Where a base-class expression in ``module`` points: "module:Name" (in the repo or not)."""
        if isinstance(expr, ast.Subscript):
            expr = expr.value
        parts: list[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        parts.reverse()
        head = expr.id
        if self.class_node(f"{module}:{head}") is not None and not parts:
            return f"{module}:{head}"
        got = self.origin(module, head)
        if got is None:
            if head in BUILTIN_NAMES and not parts:
                return f"builtins:{head}"
            return None
        if not parts:
            return got if ":" in got else None
        if ":" in got:
            return None  # attribute of a class: not a class we can read
        mod = ".".join([got, *parts[:-1]])
        name = parts[-1]
        if find_module_file(self.spec, mod) is None:
            return f"{mod}:{name}"
        return self.resolve_class(mod, name) or f"{mod}:{name}"


class AnalysisError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _spec_anchor(spec: Spec, text: str) -> tuple[str, int]:
    """(path, line) of the spec line that mentions ``text`` (the spec file relative to the root when inside it)."""
    try:
        rel = spec.path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        rel = str(spec.path)
    try:
        for i, line in enumerate(spec.path.read_text(encoding="utf-8").splitlines(), 1):
            if f'"{text}"' in line or f"'{text}'" in line:
                return rel, i
    except (OSError, UnicodeDecodeError):
        pass
    return rel, 1


def _glob_regex(pattern: str) -> str:
    out = []
    for ch in pattern:
        out.append(r"\w*" if ch == "*" else r"\w" if ch == "?" else re.escape(ch) if ch not in "[]!" else ch)
    return "".join(out).replace("[!", "[^")


def _matches(name: str, key: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(key if ":" in g else name, g) for g in globs)


def analyse(spec: Spec, index: ModuleIndex, section: InterfaceSpec) -> APayload:
    """Everything phase A knows before looking at call sites; raises AnalysisError."""
    repo = _Repo(spec, index)
    errors: list[str] = []
    notes: list[Report] = []
    where = "tool.ssot-migrate.interface" if spec.path.name == "pyproject.toml" else "interface"

    canon = section.canonical
    if find_module_file(spec, canon.module) is None:
        raise AnalysisError([f"{where}.canonical: module {canon.module!r} not found under the source roots"])
    canonical_key = repo.resolve_class(canon.module, canon.name or "")
    if canonical_key is None:
        raise AnalysisError([f"{where}.canonical: {canon} is not a class defined in the repository"])

    legacy_keys: list[str] = []
    for t in section.implementations:
        src = repo.load(t.module)
        if src is None:
            path = find_module_file(spec, t.module)
            why = "the module does not parse" if path else "no such module; if phase E removed it, drop it from the list"
            notes.append(Report(*_spec_anchor(spec, str(t)), "A002", f"listed implementation {t} not found ({why}): skipped",
                                Severity.WARNING))
            continue
        key = repo.resolve_class(t.module, t.name or "")
        if key is None:
            notes.append(Report(src[0], 1, "A002", f"listed implementation {t}: the module defines no class {t.name}: skipped", Severity.WARNING))
            continue
        if key == canonical_key:
            notes.append(Report(src[0], 1, "A002", f"listed implementation {t} is the canonical class itself: skipped", Severity.INFO))
            continue
        if key not in legacy_keys:
            legacy_keys.append(key)

    # One pass over the repository: classes matching the pattern, and candidate factories.
    names = {k.partition(":")[2] for k in legacy_keys}
    name_alts = [re.escape(n) for n in sorted(names)] + [_glob_regex(p) for p in section.patterns]
    class_re = re.compile(rb"^[ \t]*class[ \t]+(" + "|".join(_glob_regex(p) for p in section.patterns).encode() + rb")\b", re.M) if section.patterns else None
    factory_re = (
        re.compile(rb"(?:->\s*['\"]?|return\s+)[\w.]*\b(?:" + "|".join(name_alts).encode() + rb")\b") if name_alts else None
    )
    maybe_factories: dict[str, bytes] = {}
    # A cheap literal gate first: every match of the regexes above contains one of these.
    literals = sorted(names) + [max(re.split(r"[*?\[\]!]+", p), key=len) for p in section.patterns]
    gate = re.compile(b"|".join(re.escape(x.encode()) for x in literals)) if all(len(x) >= 3 for x in literals) else None
    if class_re is not None or factory_re is not None:
        found = discover(spec.root, spec.include, spec.exclude)
        for rel in found.files:
            if not rel.endswith(".py"):
                continue
            try:
                data = (spec.root / rel).read_bytes()
            except OSError:
                continue
            if gate is not None and not gate.search(data):
                continue
            mod = index.module_for_path(rel)
            if mod is None:
                continue
            if class_re is not None:
                for m in class_re.finditer(data):
                    name = m.group(1).decode()
                    if any(fnmatch.fnmatchcase(name, p) for p in section.patterns):
                        key = f"{mod[0]}:{name}"
                        if key != canonical_key and key not in legacy_keys and repo.class_node(key) is not None:
                            legacy_keys.append(key)
            if factory_re is not None and factory_re.search(data):
                maybe_factories[mod[0]] = data
    legacy_keys = [k for k in legacy_keys if not _matches(k.partition(":")[2], k, section.exclude)]
    # Now that the legacy names are known exactly, keep the files that return one of them.
    exact = sorted({k.partition(":")[2] for k in legacy_keys})
    strict_re = re.compile(
        rb"(?:->\s*['\"]?|return\s+)[\w.]*\b(?:" + b"|".join(re.escape(n.encode()) for n in exact) + rb")\b"
    ) if exact else None
    factory_files = [m for m, data in maybe_factories.items() if strict_re is not None and strict_re.search(data)]
    del maybe_factories

    # Class table: every legacy class, the canonical class, and their repository bases.
    own: dict[str, tuple[Member, ...]] = {}
    bases: dict[str, tuple[str, ...]] = {}
    external: dict[str, tuple[str, ...]] = {}
    todo = [canonical_key, *legacy_keys]
    while todo:
        repo.ensure_indexed({k.partition(":")[0] for k in todo})
        nxt: list[str] = []
        for key in todo:
            if key in own:
                continue
            node = repo.class_node(key)
            src = repo.load(key.partition(":")[0])
            if node is None or src is None:
                own[key] = ()
                continue
            own[key] = extract_members(node, src[1], owner=key, path=src[0])
            repo_bases, ext = [], []
            for b in node.bases:
                got = repo.resolve_expr(key.partition(":")[0], b)
                if got is not None and got in _NEUTRAL_BASES:
                    continue
                if got is not None and repo.class_node(got) is not None:
                    repo_bases.append(got)
                    nxt.append(got)
                else:
                    ext.append(got or ast.unparse(b))
            bases[key] = tuple(repo_bases)
            external[key] = tuple(ext)
        todo = nxt

    def info(key: str) -> ClassInfo:
        module, _, name = key.partition(":")
        src = repo.load(module)
        node = repo.class_node(key)
        assert src is not None and node is not None
        ext: list[str] = []
        seen = set()
        stack = [key]
        while stack:  # external bases anywhere up the repository MRO
            k = stack.pop()
            if k in seen:
                continue
            seen.add(k)
            ext.extend(e for e in external.get(k, ()) if e not in ext)
            stack.extend(bases.get(k, ()))
        return ClassInfo(key, name, module, src[0], node.lineno, own[key], bases[key], tuple(ext), merge_mro(own, bases, key))

    canonical = info(canonical_key)
    legacy = tuple(info(k) for k in legacy_keys)
    if canonical.external_bases:
        notes.append(Report(
            canonical.path, canonical.line, "A003",
            f"{canonical.name} has base(s) outside the repository ({', '.join(canonical.external_bases)}): "
            "members they provide are not seen; a member reported missing may come from there",
            Severity.INFO,
        ))

    # Type lookup for workers: the definition points, re-exports known to the index, bare names.
    classes: dict[tuple[str, str], str] = {}
    for c in legacy:
        classes[(c.module, c.name)] = c.key
    for mod, exp in repo.index.modules.items():
        for name, org in exp.origins.items():
            if org in {c.key for c in legacy}:
                classes.setdefault((mod, name), org)
    name_count = Counter(c.name for c in legacy)
    by_name = {c.name: c.key for c in legacy if name_count[c.name] == 1}
    lookup = TypeLookup(classes, by_name, {}, frozenset({canonical.name}))

    factories: list[Factory] = []
    for mod in factory_files:
        src = repo.load(mod)
        if src is None:
            continue
        path, text, tree = src
        is_pkg = path.endswith("__init__.py")
        scanner = UseScanner(tree, mod, mod if is_pkg else mod.rpartition(".")[0], lookup)
        for node in class_statements(tree.body):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            key = scanner.ann_type(node.returns)
            if key is None:
                returns = [n.value for n in own_nodes(node.body) if isinstance(n, ast.Return)]
                kinds = {scanner.expr_type(v, {}) if v is not None else None for v in returns}
                if len(kinds) == 1 and None not in kinds:
                    key = kinds.pop()
            if key is not None:
                factories.append(Factory(mod, node.name, key, path, node.lineno))
    lookup = replace(lookup, factories={(f.module, f.name): f.key for f in factories})

    delegates = _plan_delegates(section, canonical, legacy, repo, errors, where)
    if errors:
        raise AnalysisError(errors)

    # Files that name a legacy class or factory, and the file defining the canonical class.
    words = sorted({c.name for c in legacy} | {f.name for f in factories})
    word_pattern = rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\b" if words else rb"(?!)"
    prefilter = word_pattern + rb"|\bclass\s+" + re.escape(canonical.name.encode()) + rb"\b"

    protocol_path = protocol_text = None
    if section.protocol is not None:
        protocol_path = _protocol_path(spec, section.protocol)
        if protocol_path is None:
            raise AnalysisError([f"{where}.protocol: package {section.protocol.module.rpartition('.')[0]!r} not found under the source roots"])
        protocol_text = render_protocol(section.protocol.name or "Protocol", canonical, delegates, repo)
    return APayload(section, canonical, legacy, tuple(delegates), lookup, tuple(factories), prefilter, word_pattern,
                    tuple(notes), protocol_path, protocol_text)


def _module_names(repo: _Repo, module: str) -> set[str]:
    """Names bound at module level (imports, defs, assignments) in a repository module."""
    repo.ensure_indexed({module})
    exp = repo.index.get(module)
    return set(exp.names) if exp is not None else set()


def _free_names(expr: str) -> set[str]:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return set()
    bound = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    bound |= {t.id for c in ast.walk(tree) if isinstance(c, ast.comprehension) for t in ast.walk(c.target) if isinstance(t, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def _plan_delegates(section: InterfaceSpec, canonical: ClassInfo, legacy: tuple[ClassInfo, ...], repo: _Repo,
                    errors: list[str], where: str) -> list[Delegate]:
    members = canonical.member_map()
    module_names = _module_names(repo, canonical.module) | BUILTIN_NAMES
    out: list[Delegate] = []
    for rule in section.rules:
        rw = f"{where}.map.{rule.member}"
        if rule.member in members:
            continue  # already there (e.g. phase A was applied): nothing to add
        target = members.get(rule.to)
        if target is None:
            errors.append(f"{rw}.to: {canonical.name} has no member {rule.to!r}")
            continue
        offers = [(c, c.member(rule.member)) for c in legacy if c.member(rule.member) is not None]
        kinds = {m.kind for _, m in offers}
        if len(kinds) > 1:
            errors.append(f"{rw}: the legacy classes disagree on what {rule.member!r} is ({', '.join(sorted(kinds))})")
            continue
        kind = kinds.pop() if kinds else ("property" if not target.callable else "method")
        if kind in ("attribute", "class"):
            kind = "property"
        if kind == "property":
            if target.callable:
                errors.append(f"{rw}: {rule.member!r} is a property/attribute but {rule.to!r} is a method; map it to a property or attribute")
                continue
            if rule.args or rule.signature:
                errors.append(f"{rw}: a property delegate takes no args or signature")
                continue
            returns = next((m.annotation for _, m in offers if m.annotation), None) or target.annotation
            out.append(Delegate(rule.member, "property", False, (), _keep_annotation(returns, module_names), rule.to, False, "",
                                tuple(c.name for c, _ in offers)))
            continue
        if not target.callable:
            errors.append(f"{rw}.to: {rule.to!r} is a {target.kind}, not a method")
            continue
        if kind == "classmethod" and target.kind == "method":
            errors.append(f"{rw}: {rule.member!r} is a classmethod in the legacy classes but {rule.to!r} is an instance method")
            continue
        if kind == "staticmethod" and target.kind == "method":
            errors.append(f"{rw}: {rule.member!r} is a staticmethod in the legacy classes but {rule.to!r} is an instance method")
            continue
        # The delegate's own signature: the spec's, or the one every legacy class agrees on.
        if rule.signature is not None:
            fn = _parse_signature(rule.signature)
            assert fn is not None
            drop = bool(fn.args.args or fn.args.posonlyargs) and (fn.args.posonlyargs + fn.args.args)[0].arg in ("self", "cls")
            params = params_of(fn.args, f"def _f{rule.signature.strip()}: pass", drop_first=drop)
            returns = ast.unparse(fn.returns) if fn.returns is not None else None
        elif offers:
            shapes = {tuple((p.name, p.kind, p.default) for p in m.params) for _, m in offers}
            if len(shapes) > 1:
                sigs = "; ".join(f"{c.name}{m.signature()}" for c, m in offers)
                errors.append(f"{rw}: the legacy classes disagree on the parameters of {rule.member!r} ({sigs}); give `signature`")
                continue
            first = offers[0][1]
            same_ann = all(m.params == first.params for _, m in offers)
            params = first.params if same_ann else tuple(replace(p, annotation=None) for p in first.params)
            returns = first.returns if all(m.returns == first.returns for _, m in offers) else None
        else:
            errors.append(f"{rw}: no legacy class defines {rule.member!r}; give its `signature`")
            continue
        asyncs = {m.is_async for _, m in offers}
        if rule.is_async is not None:
            is_async = rule.is_async
        elif len(asyncs) == 1:
            is_async = asyncs.pop()
        elif not asyncs:
            is_async = target.is_async
        else:
            errors.append(f"{rw}: the legacy classes disagree on whether {rule.member!r} is async; give `async = true|false`")
            continue
        if target.is_async and not is_async:
            errors.append(f"{rw}: a sync {rule.member!r} cannot delegate to async {rule.to!r}; set `async = true`")
            continue
        bad_default = [p.name for p in params if p.default is not None and not _free_names(p.default) <= module_names]
        if bad_default:
            errors.append(f"{rw}: default(s) of {', '.join(bad_default)} use names {canonical.module} does not define; give `signature`")
            continue
        params = tuple(replace(p, annotation=_keep_annotation(p.annotation, module_names)) for p in params)
        returns = _keep_annotation(returns, module_names)
        call = _call_args(rule, params, target, module_names, errors, rw)
        if call is None:
            continue
        out.append(Delegate(rule.member, kind, is_async, params, returns, rule.to, target.is_async and is_async, call,
                            tuple(c.name for c, _ in offers)))
    return out


def _keep_annotation(text: str | None, bound: set[str]) -> str | None:
    """An annotation is copied only if every name in it is bound in the canonical module."""
    if text is None:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
        return text if _keep_annotation(tree.body.value, bound) else None
    return text if _free_names(text) <= bound else None


def _call_args(rule: MapRule, params: tuple[Param, ...], target: Member, module_names: set[str],
               errors: list[str], rw: str) -> str | None:
    own = {p.name for p in params}
    if rule.args is None:
        mapping: dict[str, str] = {}
        for tp in target.params:
            if tp.kind == VARARG:
                star = next((p.name for p in params if p.kind == VARARG), None)
                if star:
                    mapping["*"] = star
            elif tp.kind == VARKW:
                star = next((p.name for p in params if p.kind == VARKW), None)
                if star:
                    mapping["**"] = star
            elif tp.name in own:
                mapping[tp.name] = tp.name
    else:
        mapping = dict(rule.args)
    ok = True
    for k, expr in mapping.items():
        free = _free_names(expr) - own - module_names - {"self", "cls"}
        if free:
            errors.append(f"{rw}.args.{k}: {expr!r} uses {', '.join(sorted(free))}, which is neither a parameter of "
                          f"{rule.member}{_sig(params)} nor defined in the canonical module")
            ok = False
    by_name = {p.name: p for p in target.params}
    has_varkw = any(p.kind == VARKW for p in target.params)
    has_vararg = any(p.kind == VARARG for p in target.params)
    for k in mapping:
        if k == "*" and not has_vararg:
            errors.append(f"{rw}.args.*: {rule.to} takes no *args")
            ok = False
        elif k == "**" and not has_varkw:
            errors.append(f"{rw}.args.**: {rule.to} takes no **kwargs")
            ok = False
        elif k not in ("*", "**") and (k not in by_name or by_name[k].kind in (VARARG, VARKW)) and not has_varkw:
            errors.append(f"{rw}.args.{k}: {rule.to}{_sig(target.params)} has no parameter {k!r}")
            ok = False
    missing = [p.name for p in target.params if p.kind in (POSONLY, POS, KWONLY) and p.default is None and p.name not in mapping]
    if missing:
        errors.append(
            f"{rw}.args: {rule.to}{_sig(target.params)} requires {', '.join(missing)}; map "
            + ("them" if len(missing) > 1 else "it") + " in `args` (target parameter = \"expression\")"
        )
        ok = False
    if not ok:
        return None
    positional: list[str] = []
    keywords: list[str] = []
    gap = False
    for tp in target.params:
        if tp.kind in (POSONLY, POS):
            if tp.name in mapping and not gap:
                positional.append(mapping[tp.name])
            elif tp.name in mapping:
                if tp.kind == POSONLY:
                    errors.append(f"{rw}.args.{tp.name}: positional-only, but an earlier parameter is not mapped")
                    return None
                keywords.append(f"{tp.name}={mapping[tp.name]}")
            else:
                gap = True
        elif tp.kind == KWONLY and tp.name in mapping:
            keywords.append(f"{tp.name}={mapping[tp.name]}")
    for k, v in mapping.items():
        if k not in by_name and k not in ("*", "**"):
            keywords.append(f"{k}={v}")
    if "*" in mapping:
        positional.append(f"*{mapping['*']}")
    if "**" in mapping:
        keywords.append(f"**{mapping['**']}")
    return ", ".join(positional + keywords)


def _sig(params: tuple[Param, ...]) -> str:
    return Member("_", "method", params=params).signature()


# -- rendering the delegates into the canonical file ------------------------------------------------


def preferred_quote(data: bytes) -> str:
    """The file's dominant quote for one-line strings ('"' when tied or unknown)."""
    counts = Counter()
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            if tok.type == tokenize.STRING:
                body = tok.string.lstrip("rbuRBUfF")
                if body[:3] in ('"""', "'''"):
                    continue
                counts[body[:1]] += 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return "'" if counts["'"] > counts['"'] else '"'


def _requote(args: str, quote: str) -> str:
    """Re-quote plain one-line string literals in call arguments with the file's quote style."""
    try:
        node = cst.parse_expression(f"_f({args})")
    except cst.ParserSyntaxError:
        return args

    class Q(cst.CSTTransformer):
        def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
            text = updated.value
            prefix = text[: len(text) - len(text.lstrip("rbuRBU"))]
            body = text[len(prefix):]
            if body[:3] in ('"""', "'''") or body[0] == quote or "\\" in body or quote in body[1:-1]:
                return updated
            return updated.with_changes(value=f"{prefix}{quote}{body[1:-1]}{quote}")

    out = cst.Module([]).code_for_node(node.visit(Q()))
    return out[len("_f("):-1]


def render_delegate(d: Delegate, class_name: str, *, indent: str, newline: str, quote: str, doc_quote: str) -> str:
    first = "cls" if d.kind == "classmethod" else None if d.kind == "staticmethod" else "self"
    params = ([first] if first else []) + [
        p.render() if p.annotation else p.render(annotations=False) for p in _with_star_marker(d.params)
    ]
    lines = []
    if d.kind in ("classmethod", "staticmethod", "property"):
        lines.append(f"@{d.kind}")
    ret = f" -> {d.returns}" if d.returns else ""
    lines.append(f"{'async ' if d.is_async else ''}def {d.name}({', '.join(params)}){ret}:")
    receiver = "cls" if d.kind == "classmethod" else class_name if d.kind == "staticmethod" else "self"
    lines.append(f"{indent}{doc_quote}Delegates to ``{receiver}.{d.target}`` (added by ssot-migrate phase A).{doc_quote}")
    if d.kind == "property":
        lines.append(f"{indent}return self.{d.target}")
    else:
        call = _requote(d.call, quote) if d.call else ""
        lines.append(f"{indent}return {'await ' if d.awaits else ''}{receiver}.{d.target}({call})")
    return newline.join(lines) + newline


def _with_star_marker(params: tuple[Param, ...]) -> list[Any]:
    """Params with a bare ``*`` (and ``/``) inserted where the kinds require it."""
    out: list[Any] = []
    seen_star = any(p.kind == VARARG for p in params)
    for i, p in enumerate(params):
        if p.kind == KWONLY and not seen_star:
            out.append(_Bare("*"))
            seen_star = True
        out.append(p)
        if p.kind == POSONLY and (i + 1 == len(params) or params[i + 1].kind != POSONLY):
            out.append(_Bare("/"))
    return out


@dataclass(frozen=True)
class _Bare:
    text: str
    annotation: None = None

    def render(self, **_: Any) -> str:
        return self.text


def _doc_quote(data: bytes) -> str:
    return "'''" if data.count(b"'''") > data.count(b'"""') else '"""'


def insert_delegates(data: bytes, class_name: str, delegates: tuple[Delegate, ...]) -> tuple[bytes | None, str]:
    """``data`` with the delegates appended to ``class_name``'s body; (None, why) when impossible."""
    module = cst.parse_module(data)
    target: cst.ClassDef | None = None

    class Find(cst.CSTVisitor):
        depth = 0

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            nonlocal target
            if node.name.value == class_name and self.depth == 0 and target is None:
                target = node
            self.depth += 1
            return True

        def leave_ClassDef(self, node: cst.ClassDef) -> None:
            self.depth -= 1

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    module.visit(Find())
    if target is None:
        return None, f"class {class_name} not found"
    body = target.body
    if not isinstance(body, cst.IndentedBlock):
        return None, f"class {class_name} has its body on the class line; add the members by hand"
    blank = _blank_lines(body)
    indent = body.indent if body.indent is not None else module.default_indent
    newline = module.default_newline
    quote = preferred_quote(data)
    doc_quote = _doc_quote(data)
    new_nodes = []
    for d in delegates:
        text = render_delegate(d, class_name, indent=indent, newline=newline, quote=quote, doc_quote=doc_quote)
        stmt = cst.parse_statement(text, config=module.config_for_parsing)
        new_nodes.append(stmt.with_changes(leading_lines=[cst.EmptyLine(indent=False)] * blank))
    new_class = target.with_changes(body=body.with_changes(body=[*body.body, *new_nodes]))
    updated = module.deep_replace(target, new_class)
    assert isinstance(updated, cst.Module)
    out = render_preserving(data, module, updated)
    if out is None:
        return None, "the edit could not be separated from LibCST's rendering"
    return out, ""


def expect_added_members(class_name: str, delegates: tuple[Delegate, ...]):
    """A VerifyPolicy ``expect`` hook: the before tree with the planned members appended to the class.

    The engine then compares that with the output, so the rewrite is accepted
    only if the class gained exactly these members (same names, decorators,
    parameters, async-ness and body) and nothing else changed anywhere.
    """
    planned = [
        ast.parse(render_delegate(d, class_name, indent="    ", newline="\n", quote='"', doc_quote='"""')).body[0]
        for d in delegates
    ]

    def expect(tree: ast.Module) -> ast.Module:
        cls = next((n for n in class_statements(tree.body) if isinstance(n, ast.ClassDef) and n.name == class_name), None)
        if cls is None:
            raise ValueError(f"class {class_name} not found")
        cls.body.extend(copy.deepcopy(planned))
        return tree

    return expect


def _blank_lines(body: cst.IndentedBlock) -> int:
    counts = Counter()
    for stmt in body.body[1:]:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            counts[sum(1 for line in stmt.leading_lines if line.comment is None)] += 1
    return counts.most_common(1)[0][0] if counts else 1


# -- the generated Protocol -------------------------------------------------------------------------


def _isort_key(name: str) -> tuple[int, str]:
    """isort's default order inside one import: CONSTANTS, Classes, functions."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name.lower())


def _protocol_path(spec: Spec, target: Target) -> str | None:
    existing = find_module_file(spec, target.module)
    if existing is not None:
        return existing.resolve().relative_to(spec.root).as_posix()
    parent, _, leaf = target.module.rpartition(".")
    for sr in spec.source_roots:
        d = sr.joinpath(*parent.split(".")) if parent else sr
        if d.is_dir():
            return (d / f"{leaf}.py").resolve().relative_to(spec.root).as_posix()
    return None


def render_protocol(name: str, canonical: ClassInfo, delegates: list[Delegate], repo: _Repo) -> str:
    members = dict(canonical.member_map())
    for d in delegates:
        members.setdefault(d.name, d.as_member(canonical.key, canonical.path, canonical.line))
    typing_names = {"Protocol", "runtime_checkable"}
    imports: dict[str, str] = {}  # local name -> import statement (under TYPE_CHECKING)
    bound: dict[str, dict[str, tuple]] = {}

    def module_bindings(module: str) -> dict[str, tuple]:
        if module not in bound:
            src = repo.load(module)
            out: dict[str, tuple] = {}
            if src is not None:
                is_pkg = src[0].endswith("__init__.py")
                package = module if is_pkg else module.rpartition(".")[0]
                for node in class_statements(src[2].body):
                    if isinstance(node, ast.Import):
                        for a in node.names:
                            if a.asname:
                                out[a.asname] = ("import", f"import {a.name} as {a.asname}")
                            else:
                                out[a.name.split(".")[0]] = ("import", f"import {a.name}")
                    elif isinstance(node, ast.ImportFrom):
                        src_mod = resolve_relative(package, node.level, node.module) if node.level else node.module
                        for a in node.names:
                            if src_mod and a.name != "*":
                                local = a.asname or a.name
                                out[local] = ("from", src_mod, a.name, local)
                    elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                        out[node.name] = ("from", module, node.name, node.name)
                    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                        for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                            if isinstance(t, ast.Name):
                                out[t.id] = ("from", module, t.id, t.id)
            bound[module] = out
        return bound[module]

    def annotation(text: str | None, owner: str) -> str:
        if text is None:
            typing_names.add("Any")
            return "Any"
        module = owner.partition(":")[0]
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError:
            typing_names.add("Any")
            return "Any"
        if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
            return annotation(tree.body.value, owner)
        wanted: dict[str, str] = {}
        renames: dict[str, str] = {}
        for n in ast.walk(tree):
            if not isinstance(n, ast.Name):
                continue
            if n.id == canonical.name and module_bindings(module).get(n.id, ("",))[1:3] == (canonical.module, canonical.name):
                renames[n.id] = name
                continue
            if n.id in BUILTIN_NAMES:
                continue
            how = module_bindings(module).get(n.id)
            if how is None:
                typing_names.add("Any")
                return "Any"
            if how[0] == "from" and how[1] == "typing":
                if how[2] != how[3]:
                    typing_names.add("Any")
                    return "Any"
                wanted[n.id] = "typing"
                continue
            stmt = how[1] if how[0] == "import" else (
                f"from {how[1]} import {how[2]}" + (f" as {how[3]}" if how[2] != how[3] else "")
            )
            if imports.get(n.id, stmt) != stmt:
                typing_names.add("Any")
                return "Any"
            wanted[n.id] = stmt
        for local, stmt in wanted.items():
            if stmt == "typing":
                typing_names.add(local)
            else:
                imports[local] = stmt
        if renames:
            class R(ast.NodeTransformer):
                def visit_Name(self, node: ast.Name) -> ast.Name:
                    return ast.Name(renames.get(node.id, node.id), node.ctx)

            return ast.unparse(R().visit(tree))
        return text

    body: list[str] = []
    attrs = [m for m in members.values() if m.kind == "attribute" or (m.kind == "property" and m.settable)]
    for m in sorted(attrs, key=lambda m: m.name):
        body.append(f"    {m.name}: {annotation(m.annotation, m.owner)}")
    if attrs:
        body.append("")
    for m in sorted(members.values(), key=lambda m: m.name):
        if m.kind in ("attribute", "class") or m.name == "__init__" or (m.kind == "property" and m.settable):
            continue
        if m.kind == "property":
            body.append("    @property")
            body.append(f"    def {m.name}(self) -> {annotation(m.annotation or m.returns, m.owner)}: ...")
            body.append("")
            continue
        if m.kind in ("classmethod", "staticmethod"):
            body.append(f"    @{m.kind}")
        first = {"classmethod": ["cls"], "staticmethod": []}.get(m.kind, ["self"])
        params = []
        for p in _with_star_marker(m.params):
            if isinstance(p, _Bare):
                params.append(p.text)
                continue
            default = None
            if p.default is not None:
                try:
                    ast.literal_eval(p.default)
                    default = p.default
                except (ValueError, SyntaxError):
                    default = "..."
            params.append(replace(p, annotation=annotation(p.annotation, m.owner), default=default).render())
        ret = annotation(m.returns, m.owner)
        body.append(f"    {'async ' if m.is_async else ''}def {m.name}({', '.join(first + params)}) -> {ret}: ...")
        body.append("")
    while body and body[-1] == "":
        body.pop()
    lines = [
        '"""The consolidated interface of the canonical class, as a typing.Protocol.',
        "",
        "Generated by ssot-migrate phase A from the canonical class and the members phase A",
        "added to it.  Annotate with it (or check implementations against it) so a type",
        "checker keeps every implementation honest.  To regenerate it after the canonical",
        "class changes: `ssot-migrate rollback A`, then `ssot-migrate apply A`.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"from typing import {', '.join(sorted({'TYPE_CHECKING', *typing_names}, key=_isort_key))}",
    ]
    if imports:
        lines += ["", "if TYPE_CHECKING:"]
        lines += [f"    {s}" for s in sorted(set(imports.values()))]
    lines += [
        "",
        f"__all__ = [\"{name}\"]",
        "",
        "",
        "@runtime_checkable",
        f"class {name}(Protocol):",
        f'    """What callers may use on any {canonical.name}-compatible object."""',
    ]
    if body:
        lines.append("")
        lines += body
    return "\n".join(lines) + "\n"


# -- the phase --------------------------------------------------------------------------------------


@register
class PhaseA(Phase):
    """A (interface): the canonical class offers every member callers use on the legacy classes."""

    letter = "A"
    title = "interface"
    needs = ()

    def __init__(self) -> None:
        self._cache: tuple[tuple, APayload | AnalysisError] | None = None

    def _analysis(self, spec: Spec, index: ModuleIndex) -> APayload:
        section = spec.section(SECTION)
        if section is None:
            where = "[tool.ssot-migrate.interface]" if spec.path.name == "pyproject.toml" else "[interface]"
            raise AnalysisError([
                f"{where}: phase A needs this table: the canonical class, the legacy implementations "
                "and the map (see PLAYBOOK.md, section 'Phase A')"
            ])
        key = (spec.raw_hash, str(spec.root), id(index))
        if self._cache is None or self._cache[0] != key:
            try:
                result: APayload | AnalysisError = analyse(spec, index, section)
            except AnalysisError as exc:
                result = exc
            self._cache = (key, result)
        got = self._cache[1]
        if isinstance(got, AnalysisError):
            raise got
        return got

    def spec_errors(self, spec: Spec, index: ModuleIndex) -> list[str]:
        try:
            self._analysis(spec, index)
        except AnalysisError as exc:
            return exc.errors
        return []

    def prepare(self, spec: Spec, index: ModuleIndex, options: Options) -> APayload:  # type: ignore[override]
        return self._analysis(spec, index)

    def prefilter(self, ctx: RunContext) -> re.Pattern[bytes]:
        return re.compile(ctx.payload.prefilter)

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        p: APayload = ctx.payload
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            return FileOutcome(path, Status.SKIPPED, reason=f"does not parse: line {line}: {getattr(exc, 'msg', exc)}")
        modinfo = ctx.index.module_for_path(path) or module_name_for(path, ctx.index.source_roots)
        module, is_pkg = modinfo if modinfo else (None, False)
        package = module if is_pkg else (module.rpartition(".")[0] if module else None)
        uses = UseScanner(tree, module, package, p.lookup, source=data, words=re.compile(p.words)).scan()
        facts: list[Any] = []
        targets = p.target_members()
        planned = {d.name for d in p.delegates}
        legacy = p.legacy_by_key()
        for u in uses:
            if u.key not in legacy:
                continue
            facts.append(UseFact(path, u.line, u.key, u.attr, u.how))
            status = _member_status(legacy[u.key], u.attr, targets, planned)
            if status is not None:
                facts.append(RefFact(path, u.line, "member-use", f"{u.key}.{u.attr}", status == "mapped"))
        if path != p.canonical.path or not p.delegates:
            return FileOutcome(path, Status.UNCHANGED, facts=tuple(facts))
        after, why = insert_delegates(data, p.canonical.name, p.delegates)
        if after is None:
            return FileOutcome(
                path, Status.UNCHANGED, facts=tuple(facts),
                reports=(Report(path, p.canonical.line, "A201", f"cannot add the mapped members: {why}", Severity.ERROR),),
            )
        return FileOutcome(path, Status.CHANGED, before=data, after=after, edits=len(p.delegates), facts=tuple(facts))

    def verify_policy(self, ctx: RunContext, outcome: FileOutcome) -> VerifyPolicy:
        """Exactly the planned members may be added to the canonical class; nothing else may change."""
        p: APayload = ctx.payload
        if outcome.path != p.canonical.path or not p.delegates:
            return VerifyPolicy()
        return VerifyPolicy(expect=expect_added_members(p.canonical.name, p.delegates))

    def check_output(self, ctx: RunContext, outcome: FileOutcome) -> list[str]:
        """The canonical class now defines every planned delegate, sync or async as planned."""
        p: APayload = ctx.payload
        try:
            tree = ast.parse(outcome.after or b"")
        except SyntaxError as exc:
            return [f"output does not parse: {exc.msg}"]
        cls = next((n for n in class_statements(tree.body) if isinstance(n, ast.ClassDef) and n.name == p.canonical.name), None)
        if cls is None:
            return [f"class {p.canonical.name} vanished"]
        defs = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        problems = []
        for d in p.delegates:
            node = defs.get(d.name)
            if node is None:
                problems.append(f"{d.name} was not added")
            elif isinstance(node, ast.AsyncFunctionDef) != d.is_async:
                problems.append(f"{d.name} is {'async' if isinstance(node, ast.AsyncFunctionDef) else 'sync'}, planned otherwise")
        return problems

    def generate(self, ctx: RunContext) -> list[FileOutcome]:
        p: APayload = ctx.payload
        if p.protocol_path is None or p.protocol_text is None:
            return []
        path = ctx.spec.root / p.protocol_path
        new = p.protocol_text.encode()
        if path.is_symlink():
            return [FileOutcome(p.protocol_path, Status.SKIPPED, reason="symbolic link: never read or written through")]
        if path.exists():
            old = path.read_bytes()
            if old == new:
                return [FileOutcome(p.protocol_path, Status.UNCHANGED)]
            return [FileOutcome(p.protocol_path, Status.UNCHANGED, reports=(Report(
                p.protocol_path, 1, "A301",
                "the protocol module exists and differs from what phase A would generate (the canonical class changed, "
                "or it was edited by hand): not overwritten; to regenerate, delete it before `apply A` "
                "(once A is applied: `rollback A`, then `apply A`)",
                Severity.WARNING,
            ),))]
        try:
            ast.parse(new)
        except SyntaxError as exc:  # pragma: no cover - a bug in render_protocol
            return [FileOutcome(p.protocol_path, Status.FAILED, reason=f"generated protocol does not parse: {exc}")]
        return [FileOutcome(
            p.protocol_path, Status.CHANGED, before=None, after=new, edits=1,
            reports=(Report(p.protocol_path, 1, "A302", f"creates {p.spec.protocol} describing the consolidated interface", Severity.INFO),),
        )]

    def finalize(self, ctx: RunContext, plan: Plan) -> list[Report]:
        return interface_reports(ctx.payload, plan, strict=ctx.options.strict)


def _member_status(cls: ClassInfo, attr: str, targets: Mapping[str, Member], planned: set[str]) -> str | None:
    """None when the canonical class serves ``attr`` as the legacy class does; else the kind of gap."""
    if not is_public(attr) or attr == "__init__":
        return None
    target = targets.get(attr)
    if target is None:
        return "missing"
    if attr in planned:
        return "mapped"
    legacy = cls.member(attr)
    if legacy is None:
        return None
    cmp = compare_members(legacy, target)
    if cmp.kind_problem or cmp.async_problem or cmp.signature == INCOMPATIBLE:
        return "mismatch"
    return None


def interface_reports(p: APayload, plan: Plan, *, strict: bool) -> list[Report]:
    uses: dict[tuple[str, str], list[UseFact]] = {}
    for o in plan.outcomes:
        for f in o.facts:
            if isinstance(f, UseFact):
                uses.setdefault((f.key, f.attr), []).append(f)
    gap_sev = Severity.ERROR if strict else Severity.WARNING
    canon = p.canonical
    targets = p.target_members()
    planned = {d.name: d for d in p.delegates}
    reports: list[Report] = list(p.notes)

    def sites(key: str, attr: str) -> tuple[str, tuple[str, ...]]:
        found = sorted({(u.path, u.line) for u in uses.get((key, attr), [])})
        if not found:
            return "no call site found", ()
        anchors = tuple(f"{path}:{line}" for path, line in found)
        shown = ", ".join(anchors[:3]) + (f", +{len(anchors) - 3} more" if len(anchors) > 3 else "")
        return f"used at {len(found)} site(s): {shown}", anchors[:10]

    for c in p.legacy:
        counts = Counter()
        public = list(c.members)
        used_only = sorted({attr for (key, attr) in uses if key == c.key} - {m.name for m in c.members})
        for m in public:
            where_ = f"{c.name}.{m.name}" + (f" (inherited from {m.owner.partition(':')[2]})" if m.owner != c.key else "")
            used, related = sites(c.key, m.name)
            target = targets.get(m.name)
            if m.name == "__init__" and target is None:
                target = Member("__init__", "method", owner="builtins:object")
            if target is None:
                counts["missing"] += 1
                reports.append(Report(
                    m.path, m.line, "A101",
                    f"{canon.name} lacks {m.describe()} offered by {where_}; {used}. "
                    f"Map it in [tool.ssot-migrate.interface.map.{m.name}] or add it by hand",
                    gap_sev, related=related,
                ))
                continue
            if m.name in planned:
                counts["mapped"] += 1
            cmp = compare_members(m, target)
            label = "constructor" if m.name == "__init__" else m.name
            if cmp.kind_problem:
                counts["kind"] += 1
                reports.append(Report(m.path, m.line, "A105", f"{where_} vs {canon.name}.{label}: {cmp.kind_problem}; {used}",
                                      gap_sev, related=related))
            if cmp.async_problem:
                counts["async"] += 1
                reports.append(Report(m.path, m.line, "A104", f"{where_} vs {canon.name}.{label}: {cmp.async_problem}; {used}",
                                      gap_sev, related=related))
            if cmp.signature == INCOMPATIBLE:
                counts["signature"] += 1
                reports.append(Report(
                    m.path, m.line, "A103",
                    f"{where_}{m.signature()} vs {canon.name}.{label}{target.signature()}: {'; '.join(cmp.differences)}; {used}",
                    gap_sev, related=related,
                ))
            elif cmp.signature == COMPATIBLE:
                counts["compatible"] += 1
                reports.append(Report(
                    m.path, m.line, "A106",
                    f"{where_}{m.signature()} vs {canon.name}.{label}{target.signature()}: compatible, but {'; '.join(cmp.differences)}",
                    Severity.INFO, related=related,
                ))
            if not (cmp.kind_problem or cmp.async_problem or cmp.signature != "same" or m.name in planned):
                counts["same"] += 1
        for attr in used_only:
            if not is_public(attr) or attr in targets:
                continue
            counts["undeclared"] += 1
            used, related = sites(c.key, attr)
            first = related[0].rsplit(":", 1) if related else (c.path, str(c.line))
            reports.append(Report(
                first[0], int(first[1]), "A107",
                f"{attr!r} is used on {c.name} instances but neither {c.name} nor {canon.name} defines it "
                f"(set from outside, or a latent AttributeError); {used}",
                Severity.WARNING, related=related,
            ))
        n_uses = sum(len(v) for (key, _), v in uses.items() if key == c.key)
        parts = [f"{counts['same']} identical"]
        for k, label in (("compatible", "compatible"), ("mapped", "missing, mapped"), ("missing", "missing, unmapped"),
                         ("signature", "incompatible signature"), ("async", "sync/async mismatch"),
                         ("kind", "kind mismatch"), ("undeclared", "used but undeclared")):
            if counts[k]:
                parts.append(f"{counts[k]} {label}")
        ext = f"; bases outside the repository: {', '.join(c.external_bases)}" if c.external_bases else ""
        reports.append(Report(
            c.path, c.line, "A001",
            f"{c.name} vs {canon.name}: {len(public)} public member(s): {', '.join(parts)}; "
            f"{n_uses} use(s) on its instances found{ext}",
            Severity.INFO,
        ))

    if p.delegates and not any(o.path == canon.path for o in plan.outcomes):
        reports.append(Report(
            canon.path, canon.line, "A202",
            f"{canon.path} (the canonical class) was not read in this run (excluded by include/exclude?): "
            "the mapped members were not added",
            Severity.WARNING,
        ))
    for d in p.delegates:
        offered = ", ".join(d.sources) or "no legacy class (spec signature)"
        users = sum(len(uses.get((c.key, d.name), [])) for c in p.legacy)
        reports.append(Report(
            canon.path, canon.line, "A102",
            f"{canon.name} lacks {d.name} (offered by {offered}; used at {users} site(s)): adding "
            f"`{d.header()}` delegating to {d.target}({d.call})",
            Severity.INFO,
        ))
    for rule in p.spec.rules:
        if rule.member in canon.member_map() and rule.member not in planned:
            m = canon.member(rule.member)
            assert m is not None
            reports.append(Report(m.path, m.line, "A108",
                                  f"{canon.name} already defines {rule.member}: the map entry has nothing left to do",
                                  Severity.INFO))
    for f in p.factories:
        reports.append(Report(f.path, f.line, "A004", f"{f.name}() returns {f.key.partition(':')[2]}: its callers' uses are counted",
                              Severity.INFO))
    return reports
