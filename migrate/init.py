"""``ssot-migrate init``: draft a spec from a scan of the repository.

Nobody should start a consolidation from a blank ``[tool.ssot-migrate]``.
``init`` reads the code (nothing is imported or run) and writes a starter spec
the user edits, every entry commented with the evidence it was drawn from:

* the implementations: classes whose name matches ``--pattern`` (audit's
  class scan), each with file:line and the import paths it is imported from,
  with how many sites use each path;
* the proposed canonical (``--canonical``, else the most-imported
  implementation) and, toward it, a ``[[move]]`` for every other
  implementation and every other import path in use, plus a module move for
  each module that declares itself deprecated and provides one of them;
* ``[interface]`` (phase A) listing the other implementations;
* factory-looking callables (``create_*``/``get_*``/``make_*``/``build_*``/
  ``new_*`` functions, and methods of ``*Factory`` classes, that build or
  return an implementation), as a commented-out ``[factories]`` draft for
  phase D: its rewrites change which object a caller gets, so it is only
  switched on by a reviewer;
* config keys that differ only in spelling (see :func:`normalise_key`) across
  Python, TS/JS, .env, Dockerfiles, YAML and JSON, as ``[[config]]`` entries
  for phase B, with the conflicting values phase B's own plan reports.

The draft is checked with the spec parser before anything is written; into
``pyproject.toml`` it is appended (the existing bytes stay a prefix of the
new file) and written atomically.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .audit import show_sites
from .errors import MigrateError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

SECTION = "tool.ssot-migrate"

_TARGET = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")

#: Callables that look like factories by name.
FACTORY_NAME = re.compile(r"^(?:create|get|make|build|new)(?:_|$)")

# -- config keys that differ only in spelling ------------------------------------------------

#: Words that name the same thing, shortest (canonical) form first.  Only
#: conventional, unambiguous abbreviations: SEC (seconds? security?), AUTH
#: (authentication? authorization?) and PWD (the shell's working directory)
#: are deliberately left out.
KEY_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("WS", "WEBSOCKET", "WEBSOCKETS"),
    ("CFG", "CONF", "CONFIG", "CONFIGURATION"),
    ("DB", "DATABASE"),
    ("ENV", "ENVIRONMENT"),
    ("DIR", "DIRECTORY"),
    ("ADDR", "ADDRESS"),
    ("MSG", "MESSAGE"),
    ("SVC", "SERVICE"),
    ("SRV", "SVR", "SERVER"),
    ("CONN", "CONNECTION"),
    ("PASS", "PASSWD", "PASSWORD"),
    ("REQ", "REQUEST"),
    ("RESP", "RESPONSE"),
    ("MAX", "MAXIMUM"),
    ("MIN", "MINIMUM"),
    ("NUM", "NUMBER"),
    ("SECS", "SECONDS"),
    ("MS", "MSEC", "MILLIS", "MILLISECONDS"),
    ("PROD", "PRODUCTION"),
    ("DEV", "DEVELOPMENT"),
)
_SYNONYM = {word: group[0] for group in KEY_SYNONYMS for word in group}
_LONGEST_SYNONYM_WORDS = 3  # WEB_SOCKET(S), DATA_BASE, ... : at most this many words spell one synonym


def normalise_key(key: str) -> str:
    """The spelling-independent form of a config key.

    Two keys are one setting spelled two ways when these agree: case is
    ignored; ``_``, ``-`` and ``.`` separate words but are otherwise ignored
    (``DBHOST`` = ``DB_HOST``); a word, or a run of up to three words read as
    one (``WEB_SOCKET``), that is a listed abbreviation or long form counts as
    its short form (:data:`KEY_SYNONYMS`: ``WEBSOCKET`` = ``WS``).  Anything
    else must match exactly: ``..._URL_FALLBACK`` is another setting than
    ``..._URL``.
    """
    words = [w for w in re.split(r"[_\-.]+", key.upper()) if w]
    out: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _LONGEST_SYNONYM_WORDS), i, -1):
            joined = "".join(words[i:j])
            if joined in _SYNONYM:
                out.append(_SYNONYM[joined])
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    return "".join(out)


_UPPER_KEY = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # in code and structured files: UPPER_SNAKE with a "_"
_ANY_KEY = r"[A-Za-z_][A-Za-z0-9_]*"  # where the syntax says it is a variable (.env, ENV/ARG, ${X})
_UPPER_KEY_RE = re.compile(rf"^{_UPPER_KEY}$")
_REF_RE = re.compile(rf"\$\{{?({_ANY_KEY})")
_ENV_DEF_RE = re.compile(rf"^[ \t]*(?:export[ \t]+)?({_ANY_KEY})[ \t]*=", re.M)
_DOCKER_RE = re.compile(r"^[ \t]*(?:ENV|ARG)[ \t]+(.*)$", re.M | re.I)
_DOCKER_NAME_RE = re.compile(rf"(?:^|[ \t])({_ANY_KEY})(?==|[ \t]|$)")
_YAML_KEY_RE = re.compile(rf"^[ \t]*(?:-[ \t]+)?[\"']?({_UPPER_KEY}|[A-Z]{{2,}})[\"']?[ \t]*:(?:[ \t]|$)", re.M)
_YAML_ITEM_RE = re.compile(rf"^[ \t]*-[ \t]+[\"']?({_ANY_KEY})=", re.M)
_JSON_KEY_RE = re.compile(rf"\"({_UPPER_KEY})\"[ \t\r\n]*:")
_JS_RES = (
    re.compile(rf"\bprocess\.env\.({_ANY_KEY})"),
    re.compile(rf"\bprocess\.env\[[ \t]*[\"'`]({_ANY_KEY})[\"'`][ \t]*\]"),
    re.compile(rf"\bimport\.meta\.env\.({_ANY_KEY})"),
    re.compile(rf"[\"'`]({_UPPER_KEY})[\"'`]"),
)


def _strip_comment_lines(text: str, marker: str) -> str:
    """Blank the lines that are comments (offsets and line numbers stay)."""
    return re.sub(rf"(?m)^[ \t]*{re.escape(marker)}.*$", lambda m: " " * len(m.group(0)), text)


def config_keys_in(kind: str, text: str) -> list[tuple[str, int]]:
    """``(key, line)`` for every config key spelled in ``text`` of a non-Python file ``kind``.

    The places phase B rewrites, found by their syntax: ``process.env.X`` and
    UPPER_SNAKE string literals (JS/TS); ``KEY=`` lines (.env); ``ENV``/``ARG``
    names (Dockerfile); UPPER_SNAKE keys and ``KEY=value`` items (YAML);
    UPPER_SNAKE keys (JSON); ``$X``/``${X}`` everywhere but JSON.
    """
    found: list[tuple[str, int]] = []

    def add(m: re.Match, group: int = 1) -> None:
        found.append((m.group(group), text.count("\n", 0, m.start(group)) + 1))

    if kind == "js":
        text = re.sub(r"(?m)//.*$", lambda m: " " * len(m.group(0)), text)
        for rx in _JS_RES:
            for m in rx.finditer(text):
                add(m)
    elif kind == "env":
        text = _strip_comment_lines(text, "#")
        for m in _ENV_DEF_RE.finditer(text):
            add(m)
        for m in _REF_RE.finditer(text):
            add(m)
    elif kind == "dockerfile":
        text = _strip_comment_lines(text, "#")
        for m in _DOCKER_RE.finditer(text):
            rest_start = m.start(1)
            for n in _DOCKER_NAME_RE.finditer(m.group(1)):
                found.append((n.group(1), text.count("\n", 0, rest_start + n.start(1)) + 1))
                if not re.match(r"[ \t]*=", m.group(1)[n.end(1):]):
                    break  # `ENV KEY value`: the rest is the value
        for m in _REF_RE.finditer(text):
            add(m)
    elif kind == "yaml":
        text = _strip_comment_lines(text, "#")
        for rx in (_YAML_KEY_RE, _YAML_ITEM_RE, _REF_RE):
            for m in rx.finditer(text):
                add(m)
    elif kind == "json":
        for m in _JSON_KEY_RE.finditer(text):
            add(m)
    return sorted(set(found), key=lambda kl: (kl[1], kl[0]))


# -- the draft -------------------------------------------------------------------------------


@dataclass
class Implementation:
    key: str  # module:Class where it is defined
    path: str
    line: int
    imports: dict[str, list[str]] = field(default_factory=dict)  # import path -> sites
    constructed: list[str] = field(default_factory=list)  # direct construction sites

    @property
    def import_sites(self) -> int:
        return sum(len(s) for s in self.imports.values())


@dataclass
class Factory:
    legacy: str  # "mod:func", "mod:Class.method" or "mod:Class" (constructor)
    kind: str  # phase D's kinds: function, classmethod, staticmethod, method, constructor
    is_async: bool
    path: str
    line: int
    params: tuple  # codemods.factories.Param, without self/cls
    returns: str  # the implementation key it builds or returns
    import_sites: list[str] = field(default_factory=list)
    receivers: list[str] = field(default_factory=list)
    construct_sites: list[str] = field(default_factory=list)  # constructors only


@dataclass
class Move:
    old: str
    new: str
    why: list[str]


@dataclass
class KeyGroup:
    normal: str
    spellings: dict[str, list[str]]  # key -> sites
    canonical: str
    legacy: tuple[str, ...]
    conflicts: list[Any] = field(default_factory=list)  # phase B reports
    duplicates: list[Any] = field(default_factory=list)


@dataclass
class Draft:
    root: Path
    patterns: tuple[str, ...]
    implementations: list[Implementation]
    canonical: str  # the canonical path, "mod:Name"
    canonical_key: str  # where the canonical object is defined
    canonical_why: str
    module_paths: dict[str, list[str]] = field(default_factory=dict)  # modules imported whole (providing one) -> sites
    module_moves: list[Move] = field(default_factory=list)
    symbol_moves: list[Move] = field(default_factory=list)
    target: Factory | None = None
    target_why: str = ""
    factories: list[Factory] = field(default_factory=list)
    keys: list[KeyGroup] = field(default_factory=list)
    version: str | None = None
    py_files: int = 0
    config_files: int = 0
    notes: list[str] = field(default_factory=list)


# -- scanning ------------------------------------------------------------------------------


@dataclass
class _Def:
    qual: str  # "func" or "Class.method"
    kind: str  # function | classmethod | staticmethod | method
    is_async: bool
    line: int
    node: Any  # the ast function node
    refs: list[tuple[str, str]]  # (module, name) pairs its return annotation and calls name
    in_factory_class: bool = False


@dataclass
class _File:
    rel: str
    module: str
    is_package: bool
    source: str
    imports: list[tuple[int, str, str | None]] = field(default_factory=list)  # (line, module, name | None)
    calls: list[tuple[int, tuple[str, str], str | None]] = field(default_factory=list)  # (line, ref, enclosing def)
    defs: list[_Def] = field(default_factory=list)
    keys: list[tuple[str, int]] = field(default_factory=list)
    deprecated: str | None = None  # why the module looks deprecated
    inits: dict[str, Any] = field(default_factory=dict)  # top-level class -> its __init__ node (None: none of its own)


class _Binder:
    """Names bound in one file (imports anywhere, top-level classes and functions) -> (module, name) refs."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.names: dict[str, tuple] = {}

    def bind_import(self, name: str, asname: str | None) -> None:
        if asname:
            self.names[asname] = ("module", name)
        else:
            top = name.split(".")[0]
            self.names[top] = ("module", top)

    def bind_from(self, src: str, name: str, asname: str | None) -> None:
        self.names[asname or name] = ("from", src, name)

    def ref(self, node: ast.AST) -> tuple[str, str] | None:
        """``(module, name)`` that a Name or dotted Attribute refers to, when the file's bindings say."""
        from codemods.refscan import ast_dotted

        dotted = ast_dotted(node)
        if dotted is None:
            return None
        parts = dotted.split(".")
        how = self.names.get(parts[0])
        if how is None:
            return None
        if how[0] == "from":
            if len(parts) == 1:
                return how[1], how[2]
            base = [f"{how[1]}.{how[2]}", *parts[1:]]  # `from pkg import module` then module.X
        else:
            if len(parts) == 1:
                return None
            base = [how[1], *parts[1:]]
        dotted = ".".join(base)
        mod, _, name = dotted.rpartition(".")
        return mod, name


def _annotation_refs(binder: _Binder, node: ast.AST | None) -> list[tuple[str, str]]:
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return []
    out = []
    for n in ast.walk(node):
        if isinstance(n, (ast.Name, ast.Attribute)):
            r = binder.ref(n)
            if r:
                out.append(r)
    return out


def _deprecation(tree: ast.Module) -> str | None:
    """Why a module looks deprecated: its docstring's summary says so, or it warns DeprecationWarning at import."""
    summary = (ast.get_docstring(tree) or "").strip().split("\n\n")[0]
    m = re.search(r"(?<![@`\w])deprecated\b[^\n]*", summary, re.I)
    if m:
        return f"its docstring says \"{m.group(0).strip()[:80]}\""
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if isinstance(call, ast.Call):
            args = [*call.args, *(k.value for k in call.keywords)]
            if any(isinstance(a, (ast.Name, ast.Attribute)) and (getattr(a, "id", None) or getattr(a, "attr", "")).endswith("DeprecationWarning") for a in args):
                return f"it warns DeprecationWarning on import (line {node.lineno})"
    return None


def _is_env_read(call: ast.Call) -> bool:
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    owner = f.value if isinstance(f, ast.Attribute) else None
    if name in ("getenv", "read_env"):
        return True
    return name in ("get", "pop", "setdefault") and (
        (isinstance(owner, ast.Attribute) and owner.attr == "environ") or (isinstance(owner, ast.Name) and owner.id == "environ")
    )


def _scan_python(spec, index) -> list[_File]:
    """One pass over the Python files (audit's shared read/prefilter/parse helper), one traversal per file."""
    from .audit import parsed_matching
    from .modindex import resolve_relative

    _DEF = (ast.FunctionDef, ast.AsyncFunctionDef)
    files: list[_File] = []
    for rel, tree in parsed_matching(spec, re.compile(rb"import|def|class|['\"]")):
        mod = index.module_for_path(rel)
        if mod is None:
            module, is_pkg, package = rel, False, ""
        else:
            module, is_pkg = mod
            package = module if is_pkg else module.rpartition(".")[0]
        try:
            source = (spec.root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        f = _File(rel, module, is_pkg, source, deprecated=_deprecation(tree))
        binder = _Binder(module)
        defs: list[tuple[Any, str, str, bool]] = []  # (node, qual, kind, in a *Factory class)
        stack: list[tuple[ast.AST, str | None]] = []
        for item in tree.body:
            if isinstance(item, _DEF):
                defs.append((item, item.name, "function", False))
                stack.append((item, item.name))
            elif isinstance(item, ast.ClassDef):
                f.inits[item.name] = next((i for i in item.body if isinstance(i, ast.FunctionDef) and i.name == "__init__"), None)
                for sub in item.body:
                    if isinstance(sub, _DEF):
                        qual = f"{item.name}.{sub.name}"
                        if not sub.name.startswith("__"):
                            decos = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in sub.decorator_list}
                            kind = "classmethod" if "classmethod" in decos else "staticmethod" if "staticmethod" in decos else "method"
                            defs.append((sub, qual, kind, item.name.endswith("Factory")))
                        stack.append((sub, qual))
                    else:
                        stack.append((sub, None))
                stack.extend((n, None) for n in (*item.bases, *item.keywords, *item.decorator_list))
            else:
                stack.append((item, None))
        pieces: set[int] = set()  # parts of a larger string ("NEXT_PUBLIC_" + "WS_URL", f-strings) are not keys
        calls: list[tuple[int, ast.AST, str | None]] = []
        while stack:
            node, encl = stack.pop()
            if isinstance(node, ast.Import):
                for a in node.names:
                    f.imports.append((node.lineno, a.name, None))
                    binder.bind_import(a.name, a.asname)
            elif isinstance(node, ast.ImportFrom):
                src = resolve_relative(package, node.level, node.module) if node.level else node.module
                if src:
                    for a in node.names:
                        f.imports.append((node.lineno, src, None if a.name == "*" else a.name))
                        if a.name != "*":
                            binder.bind_from(src, a.name, a.asname)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
                pieces.update((id(node.left), id(node.right)))
            elif isinstance(node, ast.JoinedStr):
                pieces.update(id(v) for v in node.values)
            elif isinstance(node, ast.Constant):
                if isinstance(node.value, str) and id(node) not in pieces and _UPPER_KEY_RE.match(node.value):
                    f.keys.append((node.value, node.lineno))
            elif isinstance(node, ast.Subscript):
                sl = node.slice
                if (isinstance(sl, ast.Constant) and isinstance(sl.value, str) and re.fullmatch(_ANY_KEY, sl.value)
                        and (getattr(node.value, "attr", None) == "environ" or getattr(node.value, "id", None) == "environ")):
                    f.keys.append((sl.value, node.lineno))
            if isinstance(node, ast.Call):
                calls.append((node.lineno, node.func, encl))
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and re.fullmatch(_ANY_KEY, first.value) and _is_env_read(node):
                    f.keys.append((first.value, node.lineno))
            stack.extend((child, encl) for child in ast.iter_child_nodes(node))
        for item in tree.body:
            if isinstance(item, (ast.ClassDef, *_DEF)):
                binder.bind_from(module, item.name, None)
        refs_by_def: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for line, func, encl in calls:
            r = binder.ref(func)
            if r:
                f.calls.append((line, r, encl))
                if encl is not None:
                    refs_by_def[encl].append(r)
        for node, qual, kind, in_factory in defs:
            refs = _annotation_refs(binder, node.returns) + refs_by_def.get(qual, [])
            f.defs.append(_Def(qual, kind, isinstance(node, ast.AsyncFunctionDef), node.lineno, node, refs, in_factory))
        files.append(f)
    return files


def _scan_config_files(spec) -> tuple[dict[str, list[str]], int]:
    """Key -> sites in the non-Python files phase B reads (its default globs per kind)."""
    from codemods.configkeys.model import DEFAULT_GLOBS, KINDS, file_glob

    from .discovery import discover

    kinds = [k for k in KINDS if k not in ("python", "markdown")]
    globs = tuple(g for k in kinds for g in DEFAULT_GLOBS[k])
    sites: dict[str, list[str]] = defaultdict(list)
    n = 0
    for rel in discover(spec.root, globs, spec.exclude).files:
        kind = next((k for k in kinds if any(file_glob(g).match(rel) for g in DEFAULT_GLOBS[k])), None)
        if kind is None:
            continue
        try:
            text = (spec.root / rel).read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        n += 1
        for key, line in config_keys_in(kind, text):
            sites[key].append(f"{rel}:{line}")
    return sites, n


# -- drafting ------------------------------------------------------------------------------


def check_pattern(pattern: str) -> str:
    """A class-name glob, by phase A's rule for ``[interface] pattern`` (the draft writes it there); a regex gets a hint."""
    from codemods.phase_a import CLASS_GLOB

    if not pattern or not CLASS_GLOB.match(pattern):
        hint = ""
        if re.search(r"[.^$+(){}|\\]", pattern):
            guess = re.sub(r"\.\*|\.\+", "*", pattern).strip("^$")
            guess = re.sub(r"[^A-Za-z0-9_*?\[\]!]", "", guess)
            hint = f" (a glob, not a regex{f': did you mean {guess!r}?' if guess else ''})"
        raise UsageError(f"--pattern {pattern!r} is not a class-name glob such as '*WebSocket*Manager*'{hint}")
    return pattern


def draft_spec(root: Path, patterns: Sequence[str], *, canonical: str | None = None, jobs: int | None = None) -> Draft:
    """Scan ``root`` and propose a spec (nothing is written)."""
    from .audit import find_implementations
    from .modindex import build_index
    from .spec import parse_spec

    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"ROOT {str(root)!r} is not a directory")
    root = root.resolve()
    pats = tuple(check_pattern(p) for p in patterns)
    if not pats:
        raise UsageError("give the implementations' class-name glob: --pattern '*WebSocketManager'")
    if canonical is not None and not _TARGET.match(canonical):
        raise UsageError(f"--canonical {canonical!r}: expected 'pkg.module:ClassName'")
    version = _project_version(root)
    base = parse_spec({}, path=root / "pyproject.toml", project_version=version)
    index0 = build_index(base)
    found = find_implementations(base, index0, pats)
    files = _scan_python(base, index0)
    if not found:
        raise UsageError(f"no class matches --pattern {', '.join(pats)} in the {len(files)} Python file(s) under {root}")
    all_modules = sorted({f.module for f in files if index0.module_for_path(f.rel)})
    index = build_index(base, extra_modules=all_modules)

    def origin(module: str, name: str) -> str | None:
        if index.get(module) is None:
            return None
        return index.origin(module, name)

    impls = {c.key: Implementation(c.key, c.path, c.line) for c in found}
    module_paths: dict[str, list[str]] = defaultdict(list)
    path_sites: dict[str, list[str]] = defaultdict(list)  # "mod:Name" -> sites (every from-import)
    for f in files:
        for line, module, name in f.imports:
            site = f"{f.rel}:{line}"
            if name is not None:
                o = origin(module, name)
                path_sites[f"{module}:{name}"].append(site)
                if o in impls:
                    impls[o].imports.setdefault(f"{module}:{name}", []).append(site)
                    continue
                if o is not None and ":" not in o:
                    module = o  # `from pkg import submodule`
                else:
                    continue
            exp = index.get(module)
            if exp is not None and any(v in impls for v in exp.origins.values()):
                module_paths[module].append(site)
    for impl in impls.values():
        impl.imports = dict(sorted(impl.imports.items(), key=lambda kv: (-len(kv[1]), kv[0])))

    # The canonical object and path.
    ranked = sorted(impls.values(), key=lambda i: (-i.import_sites, i.key))
    if canonical is not None:
        mod, _, name = canonical.partition(":")
        ckey = canonical if canonical in impls else origin(mod, name)
        if ckey not in impls:
            listed = ", ".join(sorted(impls))
            raise UsageError(f"--canonical {canonical} is not one of the implementations --pattern found ({listed}); "
                             "widen --pattern or name one of them")
        why = "given with --canonical"
    else:
        ckey = canonical = ranked[0].key
        runner = f"; next: {ranked[1].key.partition(':')[2]}, {ranked[1].import_sites}" if len(ranked) > 1 else ""
        why = f"the most imported implementation: {ranked[0].import_sites} import site(s){runner}"
    draft = Draft(root, pats, sorted(impls.values(), key=lambda i: (i.path, i.line)), canonical, ckey, why, version=version,
                  py_files=len(files))
    draft.module_paths = {m: sorted(s, key=_loc) for m, s in sorted(module_paths.items(), key=lambda kv: (-len(kv[1]), kv[0]))}
    _propose_moves(draft, files, impls, index, origin, path_sites)
    _find_factories(draft, files, impls, origin, path_sites)
    _find_keys(draft, base, files, jobs)
    return draft


def _propose_moves(draft: Draft, files: list[_File], impls: dict[str, Implementation], index, origin, path_sites) -> None:
    cmod = draft.canonical.partition(":")[0]
    # Module moves: modules that say they are deprecated and provide an implementation (re-exported or defined).
    moved: dict[str, tuple[_File, list[str]]] = {}
    for f in sorted(files, key=lambda f: f.module):
        exp = index.get(f.module)
        if f.deprecated is None or f.is_package or f.module == cmod or exp is None:
            continue
        provides = sorted({n for n, o in exp.origins.items() if o in impls})
        if provides:
            moved[f.module] = (f, provides)
    # Symbol moves: the other implementations, and every other path in use to one of them.
    seen: set[str] = {draft.canonical}
    for impl in draft.implementations:
        if impl.key == draft.canonical_key:
            continue
        why = [f"another implementation of the pattern, defined at {impl.path}:{impl.line}",
               f"imported at {impl.import_sites} site(s)" + (f" under {len(impl.imports)} path(s)" if impl.imports else "")]
        draft.symbol_moves.append(Move(impl.key, draft.canonical, why))
        seen.add(impl.key)
    paths = sorted(((p, k, s) for k, i in impls.items() for p, s in i.imports.items()), key=lambda t: (-len(t[2]), t[0]))
    for path, key, sites in paths:
        if path in seen:
            continue
        mod, _, name = path.partition(":")
        if mod in moved and key == draft.canonical_key and origin(cmod, name) == key:
            continue  # the module move takes it to the same object under the same name
        what = "the canonical object" if key == draft.canonical_key else key.partition(":")[2]
        if key == path:
            why = [f"{path} defines {what}; {draft.canonical} is the path to keep: {len(sites)} import site(s): {show_sites(sites)}"]
        else:
            why = [f"{path} is {what} under another path: {len(sites)} import site(s): {show_sites(sites)}"]
        draft.symbol_moves.append(Move(path, draft.canonical, why))
        seen.add(path)
    canon = index.get(cmod)
    for mod, (f, provides) in moved.items():
        users = draft.module_paths.get(mod, [])
        named = sorted((p for p in path_sites if p.partition(":")[0] == mod), key=lambda p: (-len(path_sites[p]), p))
        missing = [p for p in named if p not in seen and (canon is None or not canon.defines(p.partition(":")[2]))]
        why = [f"{mod} looks deprecated: {f.deprecated}; it provides {', '.join(provides)}",
               f"imported whole at {len(users)} site(s){': ' + show_sites(users) if users else ''}",
               f"names imported from it: {len(named)}, at {sum(len(path_sites[p]) for p in named)} site(s)"]
        if missing:
            why.append(f"{cmod} does not provide {', '.join(p.partition(':')[2] for p in missing)} "
                       f"({sum(len(path_sites[p]) for p in missing)} site(s)): phase C reports those imports and "
                       "leaves them; factories are phase D's, other names need a move of their own")
        draft.module_moves.append(Move(mod, cmod, why))


def _find_factories(draft: Draft, files: list[_File], impls: dict[str, Implementation], origin, path_sites) -> None:
    """Functions and methods that build or return an implementation; the proposed target among them."""
    from codemods.factories import params_from_ast

    def resolved(ref: tuple[str, str]) -> str:
        """Where a referenced name is defined; outside the repository, the path itself."""
        return origin(*ref) or f"{ref[0]}:{ref[1]}"

    candidates: list[Factory] = []
    by_class_key: dict[str, list[Factory]] = defaultdict(list)
    getters: list[tuple[_File, _Def, set[str]]] = []
    factory_quals: set[tuple[str, str]] = set()
    for f in files:
        for d in f.defs:
            leaf = d.qual.rpartition(".")[2]
            named = FACTORY_NAME.match(leaf) is not None
            if d.kind == "function" or d.kind in ("classmethod", "staticmethod"):
                eligible = named or d.in_factory_class
            else:
                eligible = d.in_factory_class
            targets = {resolved(r) for r in d.refs}
            built = sorted(t for t in targets if t in impls)
            if d.kind == "function" and named:
                getters.append((f, d, targets))
            if not eligible or not built:
                continue
            key = f"{f.module}:{d.qual}"
            params = params_from_ast(d.node.args, f.source, drop_first=d.kind in ("classmethod", "method"))
            fac = Factory(key, d.kind, d.is_async, f.rel, d.line, params, draft.canonical_key if draft.canonical_key in built else built[0])
            if d.kind == "function":
                fac.import_sites = sorted(s for p, s_list in path_sites.items() for s in s_list if origin(*p.split(":")) == key)
            else:
                by_class_key[f"{f.module}:{d.qual.partition('.')[0]}"].append(fac)
            candidates.append(fac)
            factory_quals.add((f.module, d.qual))
    for f, d, targets in getters:  # receivers: getters that return a factory class with instance-method factories
        for ck in targets & set(by_class_key):
            for fac in by_class_key[ck]:
                if fac.kind == "method":
                    fac.receivers.append(f"{f.module}:{d.qual}")
    # The target: a sync or async function returning the canonical object, outside deprecated modules.
    deprecated = {f.module for f in files if f.deprecated}
    cmod = draft.canonical.partition(":")[0]
    options = [c for c in candidates if c.kind == "function" and c.returns == draft.canonical_key and c.legacy.partition(":")[0] not in deprecated]
    options.sort(key=lambda c: (c.legacy.partition(":")[0] != cmod, -len(c.import_sites), c.legacy))
    if options:
        draft.target = options[0]
        where = "in the canonical module" if options[0].legacy.partition(":")[0] == cmod else "outside any deprecated module"
        draft.target_why = (f"a function returning the canonical object {where}"
                            + (f"; other candidates: {', '.join(o.legacy for o in options[1:])}" if len(options) > 1 else ""))
    # Constructors called directly, outside the factories themselves.
    for impl in draft.implementations:
        sites = sorted({f"{f.rel}:{line}" for f in files for line, ref, encl in f.calls
                        if resolved(ref) == impl.key and (f.module, encl) not in factory_quals}, key=_loc)
        impl.constructed = sites
        if sites:
            owner = next(f for f in files if f.rel == impl.path)
            init = owner.inits.get(impl.key.partition(":")[2])
            params = params_from_ast(init.args, owner.source, drop_first=True) if init is not None else ()
            candidates.append(Factory(impl.key, "constructor", False, impl.path, impl.line, params, impl.key, construct_sites=sites))
    if draft.target is not None:
        candidates = [c for c in candidates if c.legacy != draft.target.legacy]
    draft.factories = sorted(candidates, key=lambda c: (c.kind == "constructor", c.path, c.line))


def _find_keys(draft: Draft, base, files: list[_File], jobs: int | None) -> None:
    """Groups of keys that normalise alike, canonical = the most used spelling; phase B's plan supplies conflicts."""
    sites, n = _scan_config_files(base)
    draft.config_files = n
    for f in files:
        for key, line in f.keys:
            sites[key].append(f"{f.rel}:{line}")
    groups: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for key, s in sites.items():
        groups[normalise_key(key)][key] = sorted(set(s), key=_loc)
    for normal, spellings in sorted(groups.items()):
        if len(spellings) < 2:
            continue
        order = sorted(spellings, key=lambda k: (-len(spellings[k]), len(k), k))
        draft.keys.append(KeyGroup(normal, dict(sorted(spellings.items())), order[0], tuple(order[1:])))
    if not draft.keys:
        return
    from codemods.configkeys.model import token_regex

    from .audit import CONFIG_CONFLICT_CODES, CONFIG_DUPLICATE_CODES
    from .engine import build_plan
    from .phase import Options
    from .spec import parse_spec

    entries = [{"canonical": g.canonical, "legacy": list(g.legacy)} for g in draft.keys]
    spec = parse_spec({"config": entries}, path=base.path, project_version=draft.version)
    try:
        plan = build_plan(spec, "B", Options(), jobs=jobs)
    except MigrateError as exc:
        draft.notes.append(f"phase B could not be planned on the draft ({exc.message}): no conflicts listed")
        return
    for r in plan.all_reports():
        if r.code not in CONFIG_CONFLICT_CODES + CONFIG_DUPLICATE_CODES:
            continue
        for g in draft.keys:
            if token_regex(g.legacy).search(r.message):
                (g.conflicts if r.code in CONFIG_CONFLICT_CODES else g.duplicates).append(r)
                break


def _loc(anchor: str) -> tuple[str, int]:
    p, _, n = anchor.rpartition(":")
    return p, int(n) if n.isdigit() else 0


def _project_version(root: Path) -> str | None:
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    v = data.get("project", {}).get("version") if isinstance(data.get("project"), dict) else None
    return v if isinstance(v, str) else None


# -- rendering ------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    import json

    return json.dumps(text)


def _c(text: str) -> str:
    """Text made safe for a TOML comment (no control characters, one line)."""
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", " ", text)


def _next_major(version: str | None) -> tuple[str | None, str | None]:
    from packaging.version import InvalidVersion, Version

    if version is None:
        return None, None
    try:
        v = Version(version)
    except InvalidVersion:
        return None, None
    return version, f"{v.major + 1}.0"


def command_line(root: str, patterns: Sequence[str], canonical: str | None) -> str:
    import shlex

    parts = ["ssot-migrate", "init"] + ([shlex.quote(root)] if root not in ("", ".") else [])
    for p in patterns:
        parts += ["--pattern", shlex.quote(p)]
    if canonical:
        parts += ["--canonical", canonical]
    return " ".join(parts)


def render_draft(draft: Draft, *, command: str, standalone: bool = False, root_rel: str = ".") -> str:
    """The draft as TOML: ``[tool.ssot-migrate]`` tables, or a standalone spec file's top-level keys."""
    prefix = "" if standalone else SECTION + "."
    out: list[str] = []

    def c(*lines: str) -> None:
        out.extend(_c(f"# {ln}" if ln else "#") for ln in lines)

    if not standalone:
        out.append(f"[{SECTION}]")  # first: the comments below belong to the section (--force replaces them too)
    c(f"ssot-migrate spec drafted by `{command}` (ssot-migrate {__version__}).",
      f"A starting point, not a decision: every entry was proposed from a scan of {draft.py_files} Python",
      f"and {draft.config_files} config/build file(s) and says what it was drawn from. Edit it, then check it:",
      "`ssot-migrate audit` (the numbers) and `ssot-migrate plan C --no-diff` (the spec against the code).")
    if standalone:
        if root_rel != ".":
            out.append(f"root = {_q(root_rel)}")
        if draft.version:
            out.append(f"version = {_q(draft.version)}                   # the project's version (the cleanup policy compares remove-in with it)")
    c("TODO gate: the behavioural test command that must pass before and after every phase, e.g.")
    out.append('# gate = "python -m pytest -q tests"')
    for note in draft.notes:
        c(f"NOTE: {note}")

    # Implementations and the canonical.
    out.append("")
    c(f"Implementations: {len(draft.implementations)} class(es) match --pattern {', '.join(draft.patterns)}")
    for impl in draft.implementations:
        mark = "   <- canonical object" if impl.key == draft.canonical_key else ""
        c(f"  {impl.key}  ({impl.path}:{impl.line}){mark}")
        c(f"    imported at {impl.import_sites} site(s)" + (":" if impl.imports else ""))
        for path, sites in impl.imports.items():
            c(f"      {path}  {len(sites)}: {show_sites(sites)}")
        if impl.constructed:
            c(f"    constructed directly (outside the factories) at {len(impl.constructed)} site(s): {show_sites(impl.constructed)}")
    if draft.module_paths:
        c("Modules imported whole that provide one of them:")
        for mod, sites in draft.module_paths.items():
            c(f"  {mod}  {len(sites)}: {show_sites(sites)}")
    c(f"Proposed canonical: {draft.canonical}",
      f"  why: {draft.canonical_why}",
      "  (to keep another path, e.g. a re-export next to the one factory: re-run with --canonical MODULE:NAME)")

    # Moves.
    since, remove_in = _next_major(draft.version)
    out.append("")
    c("Moves: phase C rewrites the imports; the shims and the cleanup (phase E) follow the same map.")
    if since:
        c(f"TODO since / remove-in: proposed as the project's version ({since}) and the next major ({remove_in}).")
    else:
        c("TODO since / remove-in: no [project] version found; add both to each move (e.g. since = \"1.5\", remove-in = \"2.0\").")
    for kind, moves in (("module move", draft.module_moves), ("symbol move", draft.symbol_moves)):
        for mv in moves:
            out.append("")
            c(f"{kind}: " + mv.why[0], *(f"  {w}" for w in mv.why[1:]))
            out.append(f"[[{prefix}move]]")
            out.append(f"from = {_q(mv.old)}")
            out.append(f"to = {_q(mv.new)}")
            if since:
                out.append(f"since = {_q(since)}")
                out.append(f"remove-in = {_q(remove_in or '')}")
    if not draft.module_moves and not draft.symbol_moves:
        c("No other implementation and no other import path in use: nothing to move.")

    # Phase A.
    others = [i for i in draft.implementations if i.key != draft.canonical_key]
    out.append("")
    if others:
        c("Phase A: the canonical class must offer what callers use on the other implementations.",
          "`ssot-migrate plan A` lists the gaps; map each missing member to an existing one under",
          f"[{prefix}interface.map.<member>] (PLAYBOOK.md, phase A).")
        out.append(f"[{prefix}interface]")
        out.append(f"canonical = {_q(draft.canonical)}")
        out.append("implementations = [")
        out.extend(f"    {_q(i.key)},   # {_c(i.path)}:{i.line}" for i in others)
        out.append("]")
        out.append("pattern = [" + ", ".join(_q(p) for p in draft.patterns) + "]   # the --pattern: classes added later count too")
    else:
        c("Phase A: no other implementation: no [interface] section.")

    # Phase B.
    out.append("")
    if draft.keys:
        c("Phase B: config keys that differ only in spelling (case, '_', '-' and common abbreviations such as",
          "WEBSOCKET/WS ignored: PLAYBOOK.md, preparing the spec). Canonical: the most used spelling.")
    else:
        c("Phase B: no two config keys differ only in spelling: no [[config]] entry.")
    for g in draft.keys:
        out.append("")
        c(f"{' / '.join(sorted(g.spellings))}: one setting? (normalised: {g.normal})")
        for key in (g.canonical, *g.legacy):
            sites = g.spellings[key]
            c(f"  {key}{' (canonical)' if key == g.canonical else ''}: {len(sites)} site(s): {show_sites(sites, 6)}")
        for r in g.conflicts:
            c(f"  CONFLICT {r.location()}: {r.message}")
        for r in g.duplicates:
            c(f"  same value {r.location()}: {r.message}")
        out.append(f"[[{prefix}config]]")
        out.append(f"canonical = {_q(g.canonical)}")
        out.append("legacy = [" + ", ".join(_q(k) for k in g.legacy) + "]")

    # Phase D (commented out).
    out.append("")
    out.extend(_render_factories(draft, prefix))
    out.append(END_MARKER)
    return "\n".join(out).rstrip("\n") + "\n"


def _render_factories(draft: Draft, prefix: str) -> list[str]:
    from codemods.factories import VARKW, VARPOS

    out: list[str] = []

    def c(*lines: str) -> None:
        out.extend(_c(f"# {ln}" if ln else "#") for ln in lines)

    if not draft.factories and draft.target is None:
        c("Phase D: no factory-looking callable builds or returns an implementation: no [factories] section.")
        return out
    c(f"Phase D: one factory. A DRAFT, commented out: {len(draft.factories)} callable(s) build or return an",
      "implementation (create_/get_/make_/build_/new_ functions and classmethods, *Factory methods, direct",
      "constructor calls). Each rewritten call gets what the target returns, which may not be what the",
      "legacy callable made: review every rule (args, `behaviour`, PLAYBOOK.md phase D), then uncomment.")
    t = draft.target
    if t is not None:
        c(f"target: {t.legacy} ({t.path}:{t.line}): {draft.target_why}")
        tparams = [p for p in t.params if p.kind not in (VARPOS, VARKW)]
    else:
        c("TODO target: no function returning the canonical object was found outside deprecated modules; name it.")
        tparams = []
    body: list[str] = [f"[{prefix}factories]"]
    body.append(f"target = {_q(t.legacy) if t else _q('TODO:pkg.module:function')}")
    body.append(f"target-async = {'true' if t and t.is_async else 'false'}")
    for fac in draft.factories:
        body.append("")
        if fac.kind == "constructor":
            body.append(_c(f"# {fac.path}:{fac.line}: constructed directly at {len(fac.construct_sites)} site(s): {show_sites(fac.construct_sites)}"))
        else:
            used = f"; imported at {len(fac.import_sites)} site(s): {show_sites(fac.import_sites)}" if fac.import_sites else ""
            body.append(_c(f"# {fac.path}:{fac.line}: {'async ' if fac.is_async else ''}{fac.kind} returning "
                           f"{fac.returns.partition(':')[2]}{used}"))
        body.append(f"[[{prefix}factories.rule]]")
        body.append(f"legacy = {_q(fac.legacy)}")
        body.append(f"kind = {_q(fac.kind)}")
        body.append(f"async = {'true' if fac.is_async else 'false'}")
        if fac.receivers:
            body.append("receivers = [" + ", ".join(_q(r) for r in fac.receivers) + "]")
        names = {p.name for p in fac.params}
        mapped = [p.name for p in tparams if p.name in names]
        body.append("args = {" + (" " + ", ".join(f"{n} = {_q(n)}" for n in mapped) + " " if mapped else "") + "}")
        for p in tparams:
            if p.name in names:
                continue
            if p.default is None:
                body.append(_c(f"# TODO args.{p.name}: the target requires it and the legacy callable has no parameter "
                               "of that name: a constant (\"'x'\") or a variable at the call site (\"$name\")"))
            else:
                body.append(_c(f"# args.{p.name} is not mapped: the target's default ({p.default}) applies; map it "
                               f"(a constant, or \"$name\" for a variable at the call site) if calls should pass one"))
        if fac.kind == "method" and not fac.receivers:
            body.append("# TODO receivers: no getter returning this factory was found; only receivers phase D can prove are rewritten")
    # One level of "# " over everything: removing it leaves valid TOML whose evidence lines are comments.
    out.extend(f"# {ln}" if ln else "#" for ln in body)
    return out


# -- writing --------------------------------------------------------------------------------


@dataclass
class InitResult:
    draft: Draft
    text: str
    written: Path | None = None  # None with --stdout
    replaced: bool = False


#: Closes the draft: the comments before it (the commented-out phase D draft) are ours, those after it are not.
END_MARKER = "# -- end of the spec drafted by ssot-migrate init --"
_HEADER = re.compile(r"^[ \t]*\[\[?([^\[\]#]+?)\]\]?[ \t]*(?:#.*)?$")


def _table_key(raw: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in raw.split("."))


def _is_ours(key: str) -> bool:
    return key == SECTION or key.startswith(SECTION + ".")


def _without_section(text: str) -> tuple[list[str], int | None]:
    """The lines of ``text`` without our tables, and where the first one was.

    Comments and blank lines right before the next foreign table are kept
    (they introduce it); a table's own lines go with it.
    """
    out: list[str] = []
    at: int | None = None
    ours = False
    pending: list[str] = []
    for line in text.splitlines(keepends=True):
        m = _HEADER.match(line.rstrip("\r\n"))
        if m:
            if _is_ours(_table_key(m.group(1))):
                at = len(out) if at is None else at
                ours, pending = True, []
                continue
            if ours:
                out.extend(pending)
            ours, pending = False, []
        elif ours:
            if line.strip() == END_MARKER:
                pending = []
            elif not line.strip() or line.lstrip().startswith("#"):
                pending.append(line)
            else:
                pending = []
            continue
        out.append(line)
    return out, at


def _strip_ours(data: dict) -> dict:
    data = dict(data)
    tool = data.get("tool")
    if isinstance(tool, dict) and "ssot-migrate" in tool:
        tool = {k: v for k, v in tool.items() if k != "ssot-migrate"}
        if tool:
            data["tool"] = tool
        else:
            data.pop("tool")
    return data


def pyproject_with_section(original: bytes, section: str, *, force: bool, name: str) -> tuple[bytes, bool]:
    """``original`` with the draft added (appended; with ``force``, in place of ours), checked.

    Everything outside our tables keeps its bytes; the result must parse and
    hold exactly the same data outside ``[tool.ssot-migrate]``.
    """
    try:
        text = original.decode("utf-8")
        before = tomllib.loads(text.removeprefix("\ufeff"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{name} is not valid TOML ({exc}); fix it, or write the draft elsewhere with --output FILE") from None
    nl = "\r\n" if "\r\n" in text else "\n"
    block = section.replace("\n", nl)
    exists = "ssot-migrate" in before.get("tool", {}) if isinstance(before.get("tool"), dict) else False
    if exists and not force:
        raise _exists(name)
    if exists:
        lines, at = _without_section(text)
        at = len(lines) if at is None else at
        head, tail = "".join(lines[:at]), "".join(lines[at:])
        if head and not head.endswith(("\n", "\r")):
            head += nl
        if tail.strip():
            new_text = head + block + ("" if tail.startswith(("\n", "\r\n")) else nl) + tail
        else:
            new_text = head + block
    else:
        sep = "" if not text or text.endswith("\n") else nl
        new_text = text + sep + (nl if text.strip() else "") + block
    try:
        after = tomllib.loads(new_text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"cannot add [{SECTION}] to {name} without changing the rest ({exc}); "
                         "write the draft elsewhere with --output FILE") from None
    if _strip_ours(after) != _strip_ours(before) or after.get("tool", {}).get("ssot-migrate") != tomllib.loads(section).get("tool", {}).get("ssot-migrate"):
        what = "replace the existing" if exists else "add"
        raise UsageError(f"cannot {what} [{SECTION}] in {name} without changing the rest of the file; "
                         "remove the old section by hand, or write the draft elsewhere with --output FILE")
    return new_text.encode("utf-8"), exists


def _check_draft(text: str, path: Path, *, standalone: bool, version: str | None) -> None:
    """The draft must be a spec ``load_spec`` accepts: a failure here is a bug in init, not the user's."""
    from .errors import SpecError
    from .spec import parse_spec

    data = tomllib.loads(text)
    if not standalone:
        data = data["tool"]["ssot-migrate"]
    try:
        parse_spec(data, path=path, prefix="" if standalone else SECTION + ".", project_version=None if standalone else version)
    except SpecError as exc:  # pragma: no cover - a bug
        raise RuntimeError(f"ssot-migrate init drafted an invalid spec: {exc.render()}") from exc


def run_init(root: Path, patterns: Sequence[str], *, canonical: str | None = None, output: Path | None = None,
             stdout: bool = False, force: bool = False, jobs: int | None = None) -> InitResult:
    """Draft the spec and write it (ROOT/pyproject.toml, or ``output``), unless ``stdout``."""
    from .fsio import atomic_write, read_bytes

    if output is not None and stdout:
        raise UsageError("--output and --stdout exclude each other: --stdout prints the draft, --output writes it to a file")
    root_arg = str(root)
    target = (Path(root) / "pyproject.toml") if output is None else Path(output)
    if output is not None:
        if output.exists() and output.is_dir():
            raise UsageError(f"--output {output} is a directory; name the spec file, e.g. {output / 'ssot-spec.toml'}")
        if not output.resolve().parent.is_dir():
            raise UsageError(f"--output {output}: directory {output.resolve().parent} does not exist")
        if output.exists() and not force:
            raise UsageError(f"--output {output} exists; nothing written (--force replaces it)")
    elif not stdout and not force and _has_section(target):
        raise _exists(str(target))  # before the scan: the answer does not depend on it
    draft = draft_spec(Path(root), patterns, canonical=canonical, jobs=jobs)
    command = command_line(root_arg, patterns, canonical)
    if output is not None:
        out_dir = output.resolve().parent
        rel = os.path.relpath(draft.root, out_dir)
        text = render_draft(draft, command=command, standalone=True, root_rel=Path(rel).as_posix())
        _check_draft(text, output.resolve(), standalone=True, version=draft.version)
        atomic_write(output, text.encode("utf-8"))
        return InitResult(draft, text, output)
    text = render_draft(draft, command=command)
    pyproject = draft.root / "pyproject.toml"
    _check_draft(text, pyproject, standalone=False, version=draft.version)
    if stdout:
        return InitResult(draft, text)
    original = read_bytes(pyproject) if pyproject.is_file() else b""
    new, replaced = pyproject_with_section(original, text, force=force, name=str(pyproject))
    atomic_write(pyproject, new)
    return InitResult(draft, text, pyproject, replaced)


def _exists(name: str) -> UsageError:
    return UsageError(f"{name} already has a [{SECTION}] section; nothing written. See the draft with --stdout, "
                      "write it elsewhere with --output FILE, or replace the section with --force")


def _has_section(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8").removeprefix("\ufeff"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "ssot-migrate" in tool


def summary(result: InitResult) -> str:
    d = result.draft
    parts = [f"{len(d.implementations)} implementation(s)", f"canonical {d.canonical}",
             f"{len(d.module_moves) + len(d.symbol_moves)} move(s)", f"{len(d.keys)} config entr{'y' if len(d.keys) == 1 else 'ies'}",
             f"{len(d.factories)} factory rule(s) drafted (commented out)"]
    head = "printed the draft" if result.written is None else (
        f"{'replaced' if result.replaced else 'wrote'} the draft spec in {result.written}")
    spec_opt = f" --spec {result.written}" if result.written is not None and result.written.name != "pyproject.toml" else ""
    return (f"{head}: {', '.join(parts)}.\n"
            f"next: review and edit it (every entry says why it is there), then `ssot-migrate audit{spec_opt}` "
            f"and `ssot-migrate plan C --no-diff{spec_opt}`")
