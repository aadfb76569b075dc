"""Phase E: remove legacy modules and definitions once they are proven unused.

What it does
    Candidates are the legacy modules of the move map (``[[move]]`` entries
    that move a whole module: the compatibility shims), the legacy factories
    phase D names, and whatever ``[tool.ssot-migrate.cleanup] remove`` lists
    (modules, packages, or top-level definitions ``pkg.mod:name``); and,
    per ``[[config]]`` key, phase B's compat-reader fallback (see below).  A
    candidate is removed only when every precondition holds, and each one is
    reported:

    * no reference is left anywhere in the repository: every import form
      phase C knows (read with phase C's own analysis), attribute chains,
      dotted strings (``mock.patch``, ``importlib``, ``pkgutil``, string
      annotations, anything else), ``getattr(mod, "name")``, entry points in
      ``pyproject.toml``/``setup.cfg`` and mentions in configuration files.
      A reference inside what is being removed does not count; docstrings
      and comments do not block (they are listed);
    * phases C and D are applied (``apply E`` refuses otherwise);
    * the shims' telemetry files, when given (``--usage FILE``), show no hit;
    * the project's version (``[project].version``, the spec's ``version``,
      or the installed distribution's) has reached the candidate's
      ``remove-in``, unless ``--force``.

    A module is deleted (a package: every file under it), together with the
    ``.pyi`` stub beside it when ``shim generate`` wrote it (its marker
    header; a hand-written stub is reported, E118, and kept); a definition is
    cut out of its module with LibCST, together with its entry in a literal
    ``__all__``.  ``plan E`` shows the deletions and, for anything blocked,
    each blocking reference with file:line.

    The compat-reader fallback of a key (phase B's ``read_env(NEW, OLD,
    ...)`` calls, :mod:`codemods.compatreads`) goes when phase B is applied
    (E112 otherwise) and the version policy allows it (the entry's
    ``remove-in``, else ``cleanup.remove-in``): each call becomes the plain
    read it stands for, ``import os`` is added if needed and the reader's
    import goes once unused.  A call that does not map exactly is reported
    (E111) and left alone.  Shim telemetry does not record these fallbacks
    (E114 says so when ``--usage`` is given).

Why
    The incident this tool comes from deleted its ``manager.py`` shim with 71
    imports still pointing at it (a star import and a test poking
    ``m._instance`` among them: a name search misses both) and re-added it
    53 minutes later.

What it never does
    Delete anything with a reference left, edit any other file (beyond the
    reader calls and their imports), touch a module that is not a
    candidate, delete a package holding non-Python files (other than the
    stubs beside its modules), delete a hand-written ``.pyi``, or delete
    ``shims/config.py`` (the reader belongs to the ssot-migrate runtime).
    Rollback restores every deleted or edited byte.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from migrate.discovery import discover, matches_any
from migrate.errors import UsageError
from migrate.modindex import ModuleIndex, find_module_file
from migrate.phase import Options, Phase, RunContext
from migrate.results import FileOutcome, Plan, RefFact, Report, Severity, Status
from migrate.spec import Spec, Target, register_section
from migrate.verify import VerifyPolicy

from . import register
from .compatreads import CompatRead, Fallback, prefilter_names, readers_for, scan_calls
from .refscan import (
    NON_BLOCKING_KINDS,
    Candidate,
    CleanupRef,
    generated_by_ssot_migrate,
    prefilter_pattern,
    refers_to,
    scan_python_ast,
    scan_text,
    text_patterns,
)

SECTION = "cleanup"

#: Non-Python files searched for references (entry points, configuration).
DEFAULT_CONFIG_FILES = (
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    "*.ini",
    "*.cfg",
    "*.toml",
    "*.yaml",
    "*.yml",
    "*.json",
    ".env",
    ".env.*",
    "*.env",
    "*.conf",
    "Procfile",
    "Dockerfile",
    "Dockerfile.*",
)

#: ``Options.extra`` keys (set by ``--force`` and ``--usage`` on plan/apply).
FORCE_KEY = "force_removal"
USAGE_KEY = "usage_files"

#: ``Plan.options`` key (kept in the journal): the keys whose compat-reader fallback is gone after apply
#: (rewritten, or already gone), which ``check`` then guards.
REMOVED_FALLBACKS = "removed_fallbacks"

_TARGET_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*)?$")


# -- the spec section ------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanupSpec:
    remove: tuple[Target, ...] = ()
    keep: tuple[Target, ...] = ()
    remove_in: str | None = None
    config_files: tuple[str, ...] = DEFAULT_CONFIG_FILES
    usage: tuple[str, ...] = ()  # telemetry files, relative to the spec file
    ignore: tuple[str, ...] = ()  # globs of files whose mentions are not references (a changelog, a lint config)


_KEYS = ("remove", "keep", "remove-in", "config-files", "usage", "ignore")


@register_section(SECTION)
def parse_cleanup_section(raw: Any, where: str, errors: list[str]) -> CleanupSpec | None:
    from packaging.version import InvalidVersion, Version

    if not isinstance(raw, Mapping):
        errors.append(f"{where}: expected a table ([{where}])")
        return None
    for key in raw:
        if key not in _KEYS:
            errors.append(f"{where}.{key}: unknown key (known: {', '.join(_KEYS)})")

    def str_list(key: str) -> list[str]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            errors.append(f"{where}.{key}: expected an array of strings")
            return []
        return value

    def targets(key: str) -> tuple[Target, ...]:
        out = []
        for v in str_list(key):
            if not _TARGET_RE.match(v):
                errors.append(f"{where}.{key}: {v!r} is not 'pkg.module' or 'pkg.module:name'")
            else:
                out.append(Target.parse(v))
        return tuple(out)

    remove_in = raw.get("remove-in")
    if remove_in is not None:
        if not isinstance(remove_in, str):
            errors.append(f"{where}.remove-in: expected a version string such as \"2.0\"")
            remove_in = None
        else:
            try:
                Version(remove_in)
            except InvalidVersion:
                errors.append(f"{where}.remove-in: {remove_in!r} is not a PEP 440 version")
                remove_in = None
    config = tuple(str_list("config-files")) if "config-files" in raw else DEFAULT_CONFIG_FILES
    return CleanupSpec(targets("remove"), targets("keep"), remove_in, config, tuple(str_list("usage")), tuple(str_list("ignore")))


def cleanup_section(spec: Spec) -> CleanupSpec:
    return spec.section(SECTION) or CleanupSpec()


# -- candidates ------------------------------------------------------------------------------


def _rel(spec: Spec, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        return None


def factory_targets(spec: Spec) -> list[str]:
    """Legacy factory *functions* named by phase D's ``[[factories.rule]]`` entries (``kind = "function"``).

    Methods, class/static methods and constructors are not candidates: a method
    goes with its class, and a constructor rule names a class, which may be the
    implementation itself (list a duplicate class in ``cleanup.remove`` instead).
    """
    section = spec.sections.get("factories")
    out = []
    for rule in getattr(section, "rules", ()) or ():
        legacy = getattr(rule, "legacy", "")
        if getattr(rule, "kind", None) == "function" and isinstance(legacy, str) and _TARGET_RE.match(legacy) and ":" in legacy:
            out.append(legacy)
    return out


def build_candidates(spec: Spec, index: ModuleIndex) -> list[Candidate]:
    """Every candidate with its files, definition span, and anything that rules it out."""
    section = cleanup_section(spec)
    keep = {str(t) for t in section.keep}
    wanted: dict[str, tuple[str, str | None]] = {}
    for m in spec.module_moves:
        wanted.setdefault(m.old.module, ("move", m.remove_in))
    for text in factory_targets(spec):
        wanted.setdefault(text, ("factory", _covering_remove_in(spec, text) or section.remove_in))
    for t in section.remove:
        wanted.setdefault(str(t), ("cleanup", section.remove_in))
    canonical = {m.new.module for m in spec.moves}
    out: list[Candidate] = []
    module_keys = {k for k in wanted if ":" not in k}
    for key, (origin, rin) in sorted(wanted.items()):
        if key in keep:
            continue
        t = Target.parse(key)
        if t.name is None:
            cand = _module_candidate(spec, key, origin, rin)
            if key in canonical:
                cand = replace(cand, problem=f"{key} is a canonical module (the `to` of a move): never removed")
            out.append(cand)
            continue
        if t.module in module_keys:
            continue  # the whole module goes
        out.append(_definition_candidate(spec, t, origin, rin))
    return out


def config_fallbacks(spec: Spec) -> tuple[Fallback, ...]:
    """Phase B's ``[[config]]`` entries: the compat-reader calls of each canonical key are candidates.

    The version policy is the entry's ``remove-in``, else ``cleanup.remove-in``
    (as for ``cleanup.remove`` entries).
    """
    default_rin = cleanup_section(spec).remove_in
    out = []
    for e in spec.section("config") or ():
        e = e.resolved(spec.include)
        out.append(Fallback(e.canonical, e.legacy, e.globs("python"), e.remove_in or default_rin, bool(e.compat_reader)))
    return tuple(out)


def removed_fallbacks(spec: Spec) -> set[str]:
    """The keys whose compat-reader fallback an applied phase E removed, from its journal (empty otherwise)."""
    from migrate.errors import MigrateError
    from migrate.state import APPLIED, State

    state = State(spec.root)
    try:
        entry = state.read_ledger().get("E") if state.dir.exists() else None
        if entry is None or entry.status != APPLIED:
            return set()
        waves = [j.options.get(REMOVED_FALLBACKS, []) for j in state.phase_journals("E")]
    except MigrateError:
        return set()
    return {k for keys in waves if isinstance(keys, list) for k in keys if isinstance(k, str)}


def _scan_prefilter(cands: Sequence[Candidate], readers: Sequence[str]) -> bytes:
    """The reference scan's prefilter, widened to files that call a compat reader."""
    names = prefilter_names(readers)
    if not names:
        return prefilter_pattern(cands)
    calls = rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b"
    return calls if not cands else prefilter_pattern(cands) + b"|" + calls


def _covering_remove_in(spec: Spec, target: str) -> str | None:
    """The remove-in of a move that covers ``target``'s module (a factory inside a legacy module)."""
    module = target.partition(":")[0]
    for m in spec.moves:
        if m.old.name is None and (module == m.old.module or module.startswith(m.old.module + ".")):
            return m.remove_in
    return None


def _module_candidate(spec: Spec, module: str, origin: str, rin: str | None) -> Candidate:
    path = find_module_file(spec, module)
    if path is None:
        return Candidate(module, module, None, origin, rin)
    rel = _rel(spec, path)
    if rel is None:
        return Candidate(module, module, None, origin, rin, problem=f"{path} is outside the repository")
    if path.name != "__init__.py":
        return Candidate(module, module, None, origin, rin, rel, (rel,))
    files: list[str] = []
    foreign: list[str] = []
    for p in sorted(path.parent.rglob("*")):
        if "__pycache__" in p.parts or not p.is_file():
            continue
        if p.suffix == ".pyi" and p.with_suffix(".py").is_file():
            continue  # a module's stub: it follows its module (see stubs_beside)
        r = _rel(spec, p) or str(p)
        (files if p.suffix == ".py" else foreign).append(r)
    problem = None
    if foreign:
        problem = f"package {module} holds non-Python files ({', '.join(foreign[:3])}): remove it by hand"
    return Candidate(module, module, None, origin, rin, rel, tuple(files), problem=problem)


def stubs_beside(spec: Spec, files: Sequence[str]) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The ``.pyi`` stubs beside the modules a removal deletes: (generated ones, (kept one, why)).

    A stub left behind keeps the removed module alive for type checkers, so one
    that ``shim generate`` wrote (its marker header) goes with its module; a
    hand-written one may carry work of its own, so it is only reported.
    """
    from shims.generator import is_generated

    generated: list[str] = []
    kept: list[tuple[str, str]] = []
    for rel in files:
        if not rel.endswith(".py"):
            continue
        stub_rel = rel[:-3] + ".pyi"
        stub = spec.root / stub_rel
        if stub.is_symlink():
            kept.append((stub_rel, "it is a symbolic link (never read or deleted through)"))
            continue
        try:
            data = stub.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as exc:
            kept.append((stub_rel, f"it cannot be read ({exc.strerror or exc})"))
            continue
        if is_generated(data):
            generated.append(stub_rel)
        else:
            kept.append((stub_rel, "it is hand-written (no `ssot-migrate shim generate` marker)"))
    return tuple(generated), tuple(kept)


def _definition_candidate(spec: Spec, t: Target, origin: str, rin: str | None) -> Candidate:
    key = str(t)
    path = find_module_file(spec, t.module)
    if path is None:
        return Candidate(key, t.module, t.name, origin, rin)
    rel = _rel(spec, path)
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError, OSError) as exc:
        return Candidate(key, t.module, t.name, origin, rin, rel, problem=f"{rel} cannot be parsed ({exc})")
    top = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == t.name]
    other = [n for n in ast.walk(tree) if _binds(n, t.name or "") and n not in top]
    if not top and not other:
        return Candidate(key, t.module, t.name, origin, rin, rel)
    if len(top) != 1 or other:
        where = ", ".join(str(getattr(n, "lineno", "?")) for n in (top + other)[:4])
        return Candidate(
            key, t.module, t.name, origin, rin, rel,
            span=(top[0].lineno, top[0].end_lineno or top[0].lineno) if top else None,
            problem=f"{t.name} is bound more than once or not as one top-level def/class in {rel} (lines {where}): remove it by hand",
        )
    node = top[0]
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    return Candidate(key, t.module, t.name, origin, rin, rel, span=(start, node.end_lineno or node.lineno))


def _binds(node: ast.AST, name: str) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return node.id == name
    if isinstance(node, ast.alias):
        return (node.asname or node.name) == name
    return False


# -- telemetry and versions ------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageHit:
    legacy: str
    shim: str
    file: str
    line: int
    count: int
    source: str  # the telemetry file


def read_usage(paths: Sequence[str]) -> list[UsageHit]:
    """Hits from shim telemetry files (schema ``version`` 1, see ``shims.telemetry``)."""
    hits: list[UsageHit] = []
    for p in paths:
        try:
            doc = json.loads(Path(p).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"--usage: telemetry file not found: {p}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"--usage: {p} is not a shim telemetry JSON file ({exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("hits", []), list):
            raise UsageError(f"--usage: {p} is not a shim telemetry JSON file (expected {{\"version\": 1, \"hits\": [...]}})")
        version = doc.get("version")
        if version != 1:
            raise UsageError(f"--usage: {p} has telemetry schema version {version!r}; this version reads version 1")
        for i, h in enumerate(doc.get("hits", [])):
            try:
                hits.append(UsageHit(str(h["legacy"]), str(h.get("shim") or ""), str(h.get("file", "<unknown>")),
                                     int(h.get("line", 0)), int(h.get("count", 1)), str(p)))
            except (KeyError, TypeError, ValueError):
                raise UsageError(f"--usage: {p}: hits[{i}] lacks a 'legacy' path or has a malformed count/line") from None
    return hits


def project_version(spec: Spec) -> tuple[str | None, str]:
    """The project's version and where it came from."""
    if spec.version:
        return spec.version, "the spec / [project].version"
    if spec.distribution:
        from importlib import metadata

        from packaging.version import InvalidVersion, Version

        try:
            found = metadata.version(spec.distribution)
            Version(found)
            return found, f"installed distribution {spec.distribution}"
        except metadata.PackageNotFoundError:
            return None, f"distribution {spec.distribution} is not installed"
        except InvalidVersion:
            return None, f"installed distribution {spec.distribution} has a version that is not PEP 440"
    return None, "no [project].version, spec `version` or `distribution`"


# -- payloads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanPayload:
    """Run-wide data of the reference scan (``mode == "scan"``)."""

    cands: tuple[Candidate, ...]
    prefilter: bytes
    patterns: tuple[tuple[re.Pattern[str], str], ...]
    config_files: tuple[str, ...]
    cpayload: Any  # phase C's payload: its MoveTable drives ImportRewriter
    spec_rel: str | None
    spec_is_pyproject: bool
    ignore: tuple[str, ...] = ()
    fallbacks: tuple[Fallback, ...] = ()  # the [[config]] entries: their compat-reader calls are candidates
    readers: tuple[str, ...] = ()  # qualified names of the compat readers
    #: ``check`` only: the keys whose fallback an applied phase E removed; a mappable call of one is back.
    guarded: frozenset[str] = frozenset()
    mode: str = "scan"


@dataclass(frozen=True)
class Decision:
    cand: Candidate
    remove: bool
    blockers: tuple[CleanupRef, ...] = ()
    reasons: tuple[Report, ...] = ()  # everything reported about it (preconditions, blocks)
    stubs: tuple[str, ...] = ()  # generated .pyi stubs deleted with the module


@dataclass(frozen=True)
class ApplyPayload:
    decisions: tuple[Decision, ...]
    refs: tuple[CleanupRef, ...]
    def_removals: Mapping[str, tuple[str, ...]]  # file -> names cut out of it
    deleted: frozenset[str]  # files deleted
    reports: tuple[Report, ...]
    ref_facts: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)  # file -> facts for status
    compat_edits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # file -> canonical keys whose reader calls go
    fallbacks: tuple[Fallback, ...] = ()
    readers: tuple[str, ...] = ()
    scanned: int = 0  # files the reference scan listed
    parsed: int = 0  # files it read after the prefilter
    mode: str = "apply"


@dataclass(frozen=True)
class _Dropped:
    """Comments removed with a definition or a reader import (ships from transform to verify_policy)."""

    comments: tuple[str, ...]


@dataclass(frozen=True)
class _Rewritten:
    """The reader calls a file's edit replaced and the imports it changed (transform -> verify_policy/check_output)."""

    replacements: tuple[tuple[tuple[int, int], str], ...]
    removed_imports: tuple[tuple, ...]
    added_os: bool


# -- the phase -----------------------------------------------------------------------------------


@register
class PhaseE(Phase):
    """E (cleanup): remove legacy modules and factories once nothing references them."""

    letter = "E"
    title = "cleanup"
    needs = ("C", "D")
    suffixes = (".py",)
    #: The reference scan reads files the spec's ``exclude`` hides: they break too.
    honor_exclude = False

    def spec_errors(self, spec: Spec, index: ModuleIndex) -> list[str]:
        section = cleanup_section(spec)
        where = "tool.ssot-migrate.cleanup" if spec.path.name == "pyproject.toml" else "cleanup"
        canonical = {m.new.module for m in spec.moves} | set(spec.protected)
        errors = []
        for t in section.remove:
            if t.module in canonical and t.name is None:
                errors.append(f"{where}.remove: {t} is a canonical or protected module; phase E never removes it")
        return errors

    # -- the scan -----------------------------------------------------------------------------
    def scan_context(self, spec: Spec, index: ModuleIndex, options: Options) -> RunContext:
        """A context whose ``transform`` only scans (the per-file, cacheable part of phase E)."""
        from .phase_c import PhaseC

        cands = tuple(build_candidates(spec, index))
        section = cleanup_section(spec)
        cpayload = PhaseC().prepare(spec, index, Options()) if spec.moves else None
        spec_rel = _rel(spec, spec.path)
        fallbacks = config_fallbacks(spec)
        readers = readers_for(e.compat_reader for e in (spec.section("config") or ()) if e.compat_reader) if fallbacks else ()
        payload = ScanPayload(
            cands,
            _scan_prefilter(cands, readers),
            tuple(text_patterns(cands)),
            section.config_files,
            cpayload,
            spec_rel,
            spec.path.name == "pyproject.toml",
            section.ignore,
            fallbacks,
            readers,
        )
        return RunContext(spec, index, options, self.letter, payload)

    def guard_context(self, spec: Spec, index: ModuleIndex, options: Options) -> RunContext:
        """The scan context for ``ssot-migrate check``, which caches per-file results keyed by it.

        Once phase E is applied, it also names the ``[[config]]`` keys whose
        compat-reader fallback E removed (recorded in E's journal): a mappable
        reader call of one of them is a legacy reference back (a rewritten
        RefFact, so ``check`` fails with G101).  The set is part of the context,
        so the cache key changes with it.
        """
        sctx = self.scan_context(spec, index, options)
        guarded = removed_fallbacks(spec) & {f.canonical for f in sctx.payload.fallbacks}
        if not guarded:
            return sctx
        return replace(sctx, payload=replace(sctx.payload, guarded=frozenset(guarded)))

    def scan(self, sctx: RunContext, *, jobs: int | None = None) -> tuple[list[CleanupRef | CompatRead], int, int]:
        """Every reference and compat-reader call in the repository: (facts, files listed, files read after the prefilter)."""
        from migrate.engine import collect_candidates, run_files

        found = discover(sctx.spec.root, self.include(sctx), ())
        paths = [f for f in found.files if self.wants(sctx, f)]
        cands = collect_candidates(sctx, self, paths)
        outcomes = run_files(sctx, cands.matched, jobs=jobs)
        refs = [f for o in outcomes for f in o.facts if isinstance(f, (CleanupRef, CompatRead))]
        return refs, len(paths), len(cands.matched)

    def prepare(self, spec: Spec, index: ModuleIndex, options: Options) -> ApplyPayload:  # type: ignore[override]
        sctx = self.scan_context(spec, index, options)
        refs, scanned, parsed = self.scan(sctx)
        return replace(decide(spec, sctx.payload, refs, options), scanned=scanned, parsed=parsed)

    def include(self, ctx: RunContext) -> tuple[str, ...]:
        if ctx.payload.mode == "scan":
            return ("**/*.py", *ctx.spec.include, *ctx.payload.config_files)
        return (*ctx.spec.include, *sorted(ctx.payload.compat_edits))  # an entry's own python globs may reach further

    def wants(self, ctx: RunContext, path: str) -> bool:
        if ctx.payload.mode == "scan":
            if ctx.payload.ignore and matches_any(path, ctx.payload.ignore):
                return False
            return path.endswith(".py") or matches_any(path, ctx.payload.config_files)
        return path in ctx.payload.def_removals or path in ctx.payload.compat_edits

    def prefilter(self, ctx: RunContext) -> re.Pattern[bytes] | None:
        if ctx.payload.mode == "scan":
            return re.compile(ctx.payload.prefilter)
        return None

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        if ctx.payload.mode == "scan":
            return scan_file(ctx, path, data)
        return self._edit_file(ctx, path, data)

    # -- definitions and compat-reader calls ---------------------------------------------------------
    def _edit_file(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        """Cut the file's legacy definitions and turn its compat-reader calls into plain reads, in one edit."""
        import libcst as cst
        from libcst.metadata import MetadataWrapper

        from .compatreads import find_calls, rewrite_calls
        from .cstutil import render_preserving

        p: ApplyPayload = ctx.payload
        names = p.def_removals.get(path, ())
        keys = set(p.compat_edits.get(path, ()))
        facts = p.ref_facts.get(path, ())
        current = {d.cand.name: d for d in p.decisions if d.cand.path == path and d.remove and not d.cand.is_config}
        # The file must still be what the decision was made on.
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError) as exc:
            return FileOutcome(path, Status.SKIPPED, reason=f"does not parse: {exc}")
        for name in names:
            node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name), None)
            d = current.get(name)
            if node is None or d is None or d.cand.span is None or node.end_lineno != d.cand.span[1]:
                return FileOutcome(path, Status.SKIPPED, reason=f"changed since the reference scan ({name}); run again")
        module = cst.parse_module(data)
        current_module = module
        reports: list[Report] = []
        rewritten: _Rewritten | None = None
        dropped: list[str] = []
        edits = 0
        if keys:
            # The calls first: their positions are the original file's (the self-verification finds them there).
            wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
            modinfo = ctx.index.module_for_path(path)
            package = (modinfo[0] if modinfo[1] else modinfo[0].rpartition(".")[0]) if modinfo else None
            by_key = {f.canonical: f for f in p.fallbacks if f.canonical in keys}
            calls = [c for c in find_calls(wrapper, readers=p.readers, fallbacks=by_key, package=package) if c.problem is None]
            if calls:
                rw = rewrite_calls(wrapper, calls, readers=p.readers, package=package)
                current_module = rw.module
                edits += len(rw.rewritten)
                dropped += rw.dropped_comments
                rewritten = _Rewritten(tuple(rw.replacements), tuple(rw.removed_imports), rw.added_os)
                reports += [Report(path, line, "E115", msg, Severity.INFO) for line, msg in rw.notes]
        removed: list[cst.CSTNode] = []
        if names:
            body = []
            for stmt in current_module.body:
                if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value in names:
                    removed.append(stmt)
                    continue
                body.append(_drop_from_all(stmt, set(names)))
            current_module = current_module.with_changes(body=body)
            edits += len(removed)
        if current_module is module:
            return FileOutcome(path, Status.UNCHANGED, reports=tuple(reports), facts=facts)
        after = render_preserving(data, module, current_module)
        if after is None:
            return FileOutcome(path, Status.SKIPPED, reason="LibCST cannot reproduce this file byte for byte around the edit")
        dropped += [c for n in removed for c in _comments_of(current_module.code_for_node(n))]
        extra: tuple[Any, ...] = (rewritten,) if rewritten else ()
        return FileOutcome(
            path,
            Status.CHANGED,
            before=data,
            after=after,
            edits=edits,
            reports=tuple(reports),
            facts=(*facts, _Dropped(tuple(dropped)), *extra),
        )

    def verify_policy(self, ctx: RunContext, outcome: FileOutcome) -> VerifyPolicy:
        """Exactly the removed definitions (and their ``__all__`` entries) may go and the declared reader
        calls become their plain reads; nothing else changes (imports: see ``check_output``)."""
        names = tuple(ctx.payload.def_removals.get(outcome.path, ())) if ctx.payload.mode == "apply" else ()
        dropped = next((f.comments for f in outcome.facts if isinstance(f, _Dropped)), ())
        rw = next((f for f in outcome.facts if isinstance(f, _Rewritten)), None)
        if rw is None:
            return VerifyPolicy(expr_kinds=(), ignore_imports=False, expect=expect_removed(names), dropped_comments=dropped)
        from .compatreads import expect_replaced

        cut, calls = expect_removed(names), expect_replaced(rw.replacements)
        return VerifyPolicy(expr_kinds=(), ignore_imports=True, expect=lambda tree: cut(calls(tree)), dropped_comments=dropped)

    def check_output(self, ctx: RunContext, outcome: FileOutcome) -> list[str]:
        tree = ast.parse(outcome.after or b"")
        left = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        problems = [f"{name} is still defined" for name in ctx.payload.def_removals.get(outcome.path, ()) if name in left]
        rw = next((f for f in outcome.facts if isinstance(f, _Rewritten)), None)
        if rw is not None and outcome.before is not None:
            from .compatreads import import_problems

            # Imports are outside the tree comparison: only the reader's may go, only `import os` may come.
            problems += import_problems(outcome.before, outcome.after or b"", rw.removed_imports, rw.added_os)
        return problems

    # -- deletions and the record --------------------------------------------------------------------
    def generate(self, ctx: RunContext) -> list[FileOutcome]:
        p: ApplyPayload = ctx.payload
        out: list[FileOutcome] = []
        for d in p.decisions:
            if not (d.remove and d.cand.is_module):
                continue
            for rel in (*d.cand.files, *d.stubs):
                full = ctx.spec.root / rel
                if full.is_symlink():
                    out.append(FileOutcome(rel, Status.SKIPPED, reason="symbolic link: never read or written through"))
                    continue
                out.append(FileOutcome(rel, Status.CHANGED, before=full.read_bytes(), after=None, delete=True, edits=1,
                                       facts=tuple(p.ref_facts.get(rel, ()))))
        for path, facts in sorted(p.ref_facts.items()):
            if path not in p.deleted and path not in p.def_removals and path not in p.compat_edits:
                out.append(FileOutcome(path, Status.UNCHANGED, facts=facts))
        return out

    def finalize(self, ctx: RunContext, plan: Plan) -> list[Report]:
        p: ApplyPayload = ctx.payload
        # The plan's counters describe the reference scan (the main pass only reads the files it edits).
        plan.files_scanned = max(plan.files_scanned, p.scanned)
        plan.files_parsed = max(plan.files_parsed, p.parsed)
        planned = set(p.def_removals) | set(p.compat_edits)
        refused = {o.path for o in plan.outcomes if o.status in (Status.SKIPPED, Status.FAILED) and o.path in planned}
        reports = list(p.reports)
        for path in sorted(refused):
            what = " and ".join(w for w, on in (("the definitions planned for removal", path in p.def_removals),
                                                ("the compat-reader calls planned for rewriting", path in p.compat_edits)) if on)
            reports.append(Report(path, 1, "E117", f"{what} in this file were not changed (see E001/E002)", Severity.WARNING))
        # What `check` guards once this is applied (the journal keeps the plan's options).
        left = {k for path in refused for k in p.compat_edits.get(path, ())}
        plan.options[REMOVED_FALLBACKS] = sorted(
            d.cand.name or "" for d in p.decisions
            if d.cand.is_config and (d.remove or not d.cand.exists) and d.cand.name not in left
        )
        return reports


# -- per-file scan ------------------------------------------------------------------------------------


def scan_file(ctx: RunContext, path: str, data: bytes) -> FileOutcome:
    """Every reference to a candidate in one file, as CleanupRef + RefFact facts."""
    p: ScanPayload = ctx.payload
    hits: list[tuple[int, str, str, str]] = []
    reads: list[CompatRead] = []
    if path.endswith(".py"):
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            tree = None
        modinfo = ctx.index.module_for_path(path)
        module, is_pkg = modinfo if modinfo else (None, False)
        package = (module if is_pkg else module.rpartition(".")[0]) if module else None
        if tree is None:
            hits = scan_text(data.decode("utf-8", "replace"), p.patterns, entry_points=False, skip_spec_table=False)
            hits = [(line, "text", text, key) for line, _, text, key in hits]
        else:
            hits = _c_hits(ctx, path, data, module, package) + scan_python_ast(tree, module=module, package=package, cands=p.cands)
            reads = _compat_reads(ctx, path, data, package)
    else:
        if path == p.spec_rel and not p.spec_is_pyproject:
            return FileOutcome(path, Status.UNCHANGED)  # the standalone spec names everything on purpose
        if path.endswith(".json") and generated_by_ssot_migrate(data):
            return FileOutcome(path, Status.UNCHANGED)  # a baseline, an audit or shim telemetry
        name = path.rpartition("/")[2]
        hits = scan_text(
            data.decode("utf-8", "replace"),
            p.patterns,
            entry_points=name in ("pyproject.toml", "setup.cfg"),
            skip_spec_table=path == p.spec_rel,
            sections=name.endswith((".toml", ".cfg", ".ini", ".conf")),
        )
    merged: dict[tuple[int, str], tuple[str, str, bool]] = {}
    for line, kind, text, key in hits:
        blocking = kind not in NON_BLOCKING_KINDS
        old = merged.get((line, key))
        if old is None or (blocking and not old[2]):
            merged[(line, key)] = (kind, text, blocking)
    facts: list[Any] = []
    cmap = {c.key: c for c in p.cands}
    for (line, key), (kind, text, blocking) in sorted(merged.items()):
        facts.append(CleanupRef(path, line, kind, text, key, blocking))
        if not _within(cmap[key], path, line):  # a module naming itself is not a reference left
            facts.append(RefFact(path, line, kind, text, False))
    for r in reads:
        back = r.problem is None and r.canonical in p.guarded  # a fallback phase E removed is back (check's G101)
        facts += [r, RefFact(path, r.line, "compat-read", r.canonical or r.text, back)]
    return FileOutcome(path, Status.UNCHANGED, facts=tuple(facts))


def _compat_reads(ctx: RunContext, path: str, data: bytes, package: str | None) -> list[CompatRead]:
    """The compat-reader calls in one file; a call outside phase B's files is reported, never rewritten."""
    p: ScanPayload = ctx.payload
    if not p.fallbacks or not re.search(_scan_prefilter((), p.readers), data):
        return []
    by_key = {f.canonical: f for f in p.fallbacks}
    reads = scan_calls(data, path, readers=p.readers, fallbacks=by_key, package=package)
    out = []
    for r in reads:
        fb = by_key.get(r.canonical or "")
        if r.problem is None and fb is not None and not _in_b_scope(ctx.spec, fb, path):
            r = replace(r, problem="the file is outside the Python files phase B rewrites for this key (its globs, or the spec's exclude)")
        out.append(r)
    return out


def _in_b_scope(spec: Spec, fb: Fallback, path: str) -> bool:
    from .configkeys.model import file_glob

    return any(file_glob(g).match(path) for g in fb.globs) and not matches_any(path, spec.exclude)


def _within(c: Candidate, path: str, line: int) -> bool:
    if c.is_config:
        return False  # nothing is deleted: no reference is inside it
    if c.is_module:
        return path in c.files
    return c.path == path and c.span is not None and c.span[0] <= line <= c.span[1]


def _c_hits(ctx: RunContext, path: str, data: bytes, module: str | None, package: str | None) -> list[tuple[int, str, str, str]]:
    """Phase C's own analysis, in report mode: its RefFacts, mapped to candidates."""
    p: ScanPayload = ctx.payload
    if p.cpayload is None:
        return []
    import libcst as cst

    from .phase_c import ImportRewriter

    try:
        cmod = cst.parse_module(data)
    except Exception:  # noqa: BLE001 - the ast net still reads the file
        return []
    rewriter = ImportRewriter(
        path=path,
        module=cmod,
        module_name=module,
        package=package,
        table=p.cpayload.table,
        index=ctx.index,
        options=Options(),
        doc_re=re.compile(p.cpayload.doc_pattern),
    )
    try:
        rewriter.run()
    except Exception:  # noqa: BLE001 - a C bug must not hide references: the net still reads the file
        return []
    out = []
    for f in rewriter.facts:
        if isinstance(f, RefFact):
            for c in p.cands:
                if refers_to(f.target, c):
                    out.append((f.line, f.kind, f.target, c.key))
    return out


# -- the decision ------------------------------------------------------------------------------------


def _spec_anchor(spec: Spec) -> str:
    return _rel(spec, spec.path) or spec.path.name


def _where(c: Candidate) -> tuple[str, int]:
    if c.span:
        return c.path or "?", c.span[0]
    return c.path or "?", 1


def _config_candidates(sp: ScanPayload, reads: Sequence[CompatRead], b_applied: bool) -> list[Candidate]:
    """One candidate per ``[[config]]`` key with reader calls left (or, after B with the reader on: "already gone")."""
    out = []
    for fb in sp.fallbacks:
        mine = sorted((r for r in reads if r.canonical == fb.canonical), key=lambda r: (r.path, r.line))
        if not mine and not (fb.compat_reader and b_applied):
            continue  # no call, and none expected: nothing to say
        files = tuple(sorted({r.path for r in mine if r.problem is None}))
        first = mine[0] if mine else None
        out.append(Candidate(
            f"config:{fb.canonical}", "", fb.canonical, "config", fb.remove_in,
            path=first.path if first else None, files=files, span=(first.line, first.line) if first else None,
        ))
    return out


def decide(spec: Spec, sp: ScanPayload, refs: Sequence[CleanupRef | CompatRead], options: Options) -> ApplyPayload:
    from packaging.version import Version

    from migrate.state import APPLIED, State

    reports: list[Report] = []
    anchor = _spec_anchor(spec)
    force = bool(options.extra.get(FORCE_KEY))
    section = cleanup_section(spec)
    reads = [r for r in refs if isinstance(r, CompatRead)]
    refs = [r for r in refs if isinstance(r, CleanupRef)]

    state = State(spec.root)
    ledger = state.read_ledger() if state.dir.exists() else {}
    missing = [n for n in PhaseE.needs if n not in ledger or ledger[n].status != APPLIED]
    if missing:
        reports.append(Report(anchor, 1, "E103", f"precondition: phase(s) {', '.join(missing)} not applied; `apply E` refuses until they are", Severity.WARNING))
    b_applied = "B" in ledger and ledger["B"].status == APPLIED
    cands: tuple[Candidate, ...] = (*sp.cands, *_config_candidates(sp, reads, b_applied))

    for t in section.keep:
        reports.append(Report(anchor, 1, "E116", f"{t} is kept by cleanup.keep: not a candidate", Severity.INFO))

    usage_files = [str((spec.path.parent / u)) for u in section.usage] + [str(u) for u in options.extra.get(USAGE_KEY, ())]
    hits = read_usage(usage_files) if usage_files else []
    version, version_src = project_version(spec)

    by_cand: dict[str, list[CleanupRef]] = {}
    for r in refs:
        by_cand.setdefault(r.candidate, []).append(r)
    reads_of: dict[str, list[CompatRead]] = {}
    for r in reads:
        if r.canonical is None:
            # Not known to be a spec'd key: reported once, never rewritten.
            reports.append(Report(r.path, r.line, "E111", f"compat-reader call {r.text} not rewritten: {r.problem}; rewrite it by hand", Severity.WARNING))
        else:
            reads_of.setdefault(f"config:{r.canonical}", []).append(r)

    pre_ok: dict[str, bool] = {}
    notes: dict[str, list[Report]] = {}
    for c in cands:
        path, line = _where(c)
        mine: list[Report] = []
        ok = True
        if not c.exists and c.problem is None:
            left = [r for r in by_cand.get(c.key, []) if r.blocking]
            what = "no such module" if c.is_module else ("no reader call of it is left" if c.is_config else "no such definition")
            mine.append(Report(anchor, 1, "E110", f"{c.label} is already gone ({what})", Severity.INFO))
            for r in left:
                mine.append(Report(r.path, r.line, "E113", f"{r.kind} reference to {c.key}, which no longer exists: {r.text!r} fails at runtime", Severity.WARNING))
            notes[c.key] = mine
            pre_ok[c.key] = False
            continue
        if c.problem:
            mine.append(Report(path if c.path else anchor, line, "E109", f"{c.key} cannot be removed: {c.problem}", Severity.WARNING))
            ok = False
        if c.is_config:
            for r in reads_of.get(c.key, []):
                if r.problem:
                    mine.append(Report(r.path, r.line, "E111", f"compat-reader call {r.text} not rewritten: {r.problem}; rewrite it by hand", Severity.WARNING))
            if not b_applied:
                mine.append(Report(path, line, "E112", f"precondition: phase B is not applied; {c.label} stays until it is "
                                   "(phase B renames the key in every environment file the repository holds)", Severity.WARNING))
                ok = False
            if not c.files:
                ok = False  # every call left is one E111 names
        rin = c.remove_in
        if rin:
            if version is None:
                sev = Severity.INFO if force else Severity.WARNING
                msg = f"version policy: {c.label} is removed in {rin} but the project's version is unknown ({version_src})"
                mine.append(Report(path, line, "E107", msg + ("; --force given" if force else "; pass --force to remove anyway"), sev))
                ok = ok and force
            elif Version(version) < Version(rin):
                if force:
                    mine.append(Report(path, line, "E106", f"version policy overridden by --force: {c.label} is removed in {rin}, the project is at {version}", Severity.INFO))
                else:
                    mine.append(Report(path, line, "E105", f"version policy: {c.label} is removed in {rin}; the project is at {version} ({version_src}); raise the version or pass --force", Severity.WARNING))
                    ok = False
        if c.is_config:
            if usage_files:
                mine.append(Report(path, line, "E114", f"shim telemetry does not record compat-reader fallbacks: the {len(usage_files)} telemetry file(s) "
                                   f"say nothing about {c.name}; the deployments' logs do (LegacyConfigWarning)", Severity.INFO))
        else:
            for h in hits:
                if refers_to(h.legacy, c) or (c.is_module and h.shim == c.module):
                    hpath, hline = _hit_anchor(spec, h, path, line)
                    mine.append(Report(hpath, hline, "E104", f"shim telemetry ({Path(h.source).name}): {h.legacy} was used {h.count} time(s) from {h.file}:{h.line}; {c.key} is still in use at runtime", Severity.WARNING))
                    ok = False
        notes[c.key] = mine
        pre_ok[c.key] = ok

    removing = {c.key for c in cands if pre_ok.get(c.key)}
    cmap = {c.key: c for c in cands}

    def inside(r: CleanupRef, keys: set[str]) -> bool:
        return any(_within(cmap[k], r.path, r.line) for k in keys)

    blockers: dict[str, list[CleanupRef]] = {}
    while True:
        blocked = set()
        for k in removing:
            live = [r for r in by_cand.get(k, []) if r.blocking and not inside(r, removing)]
            if live:
                blockers[k] = live
                blocked.add(k)
        if not blocked:
            break
        removing -= blocked
    # Candidates blocked by their preconditions still list their references (what else to fix).
    for c in cands:
        if c.key not in removing and c.key not in blockers and c.exists:
            live = [r for r in by_cand.get(c.key, []) if r.blocking and not inside(r, removing | {c.key})]
            if live:
                blockers[c.key] = live

    decisions = []
    def_removals: dict[str, list[str]] = {}
    compat_edits: dict[str, list[str]] = {}
    deleted: set[str] = set()
    for c in cands:
        path, line = _where(c)
        mine = list(notes.get(c.key, []))
        live = blockers.get(c.key, [])
        for r in live:
            mine.append(Report(r.path, r.line, "E101", f"{r.kind} reference {r.text!r} blocks the removal of {c.key}", Severity.WARNING, related=(f"{path}:{line}",)))
        if live:
            anchors = sorted({f"{r.path}:{r.line}" for r in live}, key=_loc_key)
            shown = ", ".join(anchors[:5]) + (f", +{len(anchors) - 5} more" if len(anchors) > 5 else "")
            mine.append(Report(path, line, "E102", f"{c.key} not removed: {len(anchors)} reference(s) left: {shown}", Severity.WARNING, related=tuple(anchors[:20])))
        remove = c.key in removing
        stubs: tuple[str, ...] = ()
        if remove and c.is_module:
            stubs, kept = stubs_beside(spec, c.files)
            for stub, why in kept:
                mine.append(Report(stub, 1, "E118", f"stub {stub} is kept: {why}; type checkers still see {c.key}, which phase E "
                                   "deletes: delete or update it by hand", Severity.WARNING, related=(f"{path}:{line}",)))
        if remove and c.is_config:
            calls = [r for r in reads_of.get(c.key, []) if r.problem is None]
            pre = "phase B applied"
            if c.remove_in:
                pre += f", version {version} >= remove-in {c.remove_in}" if version and Version(version) >= Version(c.remove_in) else ", version policy forced"
            mine.append(Report(path, line, "E100", f"{c.label} goes: {len(calls)} reader call(s) in {len(c.files)} file(s) become plain reads of {c.name}: {pre}",
                               Severity.INFO, related=tuple(f"{r.path}:{r.line}" for r in calls[:20])))
            for f in c.files:
                compat_edits.setdefault(f, []).append(c.name or "")
        elif remove:
            what = f"deletes {len(c.files)} file(s) of {c.key}" if c.is_module else f"removes {c.name} (lines {c.span[0]}-{c.span[1]}) from {c.path}"  # type: ignore[index]
            if stubs:
                what += f" and the generated stub(s) beside them ({', '.join(stubs)})"
            pre = "no reference left"
            if not missing:
                pre += ", phases C and D applied"
            if usage_files:
                pre += f", no shim hit in {len(usage_files)} telemetry file(s)"
            if c.remove_in:
                pre += f", version {version} >= remove-in {c.remove_in}" if version and Version(version) >= Version(c.remove_in) else ", version policy forced"
            mine.append(Report(path, line, "E100", f"{what}: {pre}", Severity.INFO))
            for r in by_cand.get(c.key, []):
                if not r.blocking and not inside(r, removing):
                    mine.append(Report(r.path, r.line, "E108", f"{r.kind} mentions {c.key}, which phase E removes: update the prose", Severity.INFO))
            if c.is_module:
                deleted |= set(c.files) | set(stubs)
            else:
                def_removals.setdefault(c.path or "", []).append(c.name or "")
        decisions.append(Decision(c, remove, tuple(live), tuple(mine), stubs))
        reports.extend(mine)

    ref_facts: dict[str, list[Any]] = {}
    for r in refs:
        ref_facts.setdefault(r.path, []).append(r)
        if not inside(r, {r.candidate}):
            ref_facts[r.path].append(RefFact(r.path, r.line, r.kind, r.text, False))
    for cr in reads:
        going = cr.problem is None and f"config:{cr.canonical}" in removing
        ref_facts.setdefault(cr.path, []).append(RefFact(cr.path, cr.line, "compat-read", cr.canonical or cr.text, going))
    return ApplyPayload(
        tuple(decisions),
        tuple(refs),
        {k: tuple(v) for k, v in def_removals.items()},
        frozenset(deleted),
        tuple(reports),
        {k: tuple(v) for k, v in ref_facts.items()},
        {k: tuple(v) for k, v in compat_edits.items()},
        sp.fallbacks,
        sp.readers,
    )


def _loc_key(anchor: str) -> tuple[str, int]:
    path, _, line = anchor.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def _hit_anchor(spec: Spec, h: UsageHit, path: str, line: int) -> tuple[str, int]:
    try:
        rel = Path(h.file).resolve().relative_to(spec.root).as_posix()
        return rel, max(h.line, 1)
    except (ValueError, OSError):
        return path, line


# -- definition removal helpers ------------------------------------------------------------------------


def _drop_from_all(stmt, names: set[str]):
    """``__all__ = [...]`` without the removed names (layout of the other entries kept)."""
    import libcst as cst

    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Assign):
        return stmt
    assign = stmt.body[0]
    if not any(isinstance(t.target, cst.Name) and t.target.value == "__all__" for t in assign.targets):
        return stmt
    value = assign.value
    if not isinstance(value, (cst.List, cst.Tuple)):
        return stmt
    elements = list(value.elements)
    kept = [e for e in elements if not (isinstance(e.value, cst.SimpleString) and e.value.evaluated_value in names)]
    if len(kept) == len(elements):
        return stmt
    if kept and elements and kept[-1] is not elements[-1]:
        # The new last element takes the old last element's comma (or lack of one).
        kept[-1] = kept[-1].with_changes(comma=elements[-1].comma)
    if isinstance(value, cst.Tuple) and len(kept) == 1 and isinstance(kept[0].comma, cst.MaybeSentinel):
        kept[0] = kept[0].with_changes(comma=cst.Comma())
    return stmt.with_changes(body=[assign.with_changes(value=value.with_changes(elements=kept))])


def expect_removed(names: Sequence[str]):
    """The declared edit for self-verification: the before-tree minus the removed definitions."""
    wanted = set(names)

    def expect(tree: ast.Module) -> ast.Module:
        found = set()
        body = []
        for stmt in tree.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and stmt.name in wanted:
                found.add(stmt.name)
                continue
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in stmt.targets)
                and isinstance(stmt.value, (ast.List, ast.Tuple))
            ):
                stmt.value.elts = [e for e in stmt.value.elts if not (isinstance(e, ast.Constant) and e.value in wanted)]
            body.append(stmt)
        missing = wanted - found
        if missing:
            raise ValueError(f"no top-level definition of {', '.join(sorted(missing))}")
        tree.body = body
        return tree

    return expect


def _comments_of(code: str) -> list[str]:
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return []
