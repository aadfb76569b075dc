"""``ssot-migrate check``: the fast guard for CI and pre-commit.

It fails (exit 1) when

* a legacy reference is back for a phase the ledger says is applied: the
  phase's own scan finds something it would rewrite again (``G101``; for
  phase E, a ``read_env(NEW, OLD)`` fallback of a key whose fallback E
  removed), or
  code refers to a module or definition phase E removed (``G102``), or a file
  (a module, or the generated stub beside it) or definition phase E removed
  exists again (``G103``);
* a count exceeds the baseline given with ``--baseline`` (``G104``: the same
  counters as ``ssot-migrate audit``);
* an applied phase cannot be checked (interrupted, or the spec no longer
  supports it: ``G105``).

Speed: each phase's byte prefilter drops most files before parsing, and the
per-file results of the phases' scans are cached by content hash (and by a
stable hash of the phase's run context) in ``.ssot-migrate/cache/``, so only
changed files are parsed.  When nothing at all changed (same spec, ledger,
baseline and file contents) the previous result is replayed without importing
the parsers: an unchanged repository is re-checked by reading and hashing its
files once.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import sys
import time
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import __version__
from .errors import MigrateError, UsageError

CACHE_FORMAT = 1
STATE_DIR = ".ssot-migrate"
CACHE_DIR = "cache"
RESULT_NAME = "check.json"
FILES_NAME = "files.pickle"

CODES = {
    "G101": "a legacy reference is back for an applied phase",
    "G102": "a reference to something phase E removed",
    "G103": "a file or definition phase E removed is back",
    "G104": "a count grew past the baseline",
    "G105": "an applied phase cannot be checked",
}


@dataclass
class Finding:
    path: str
    line: int
    code: str
    message: str
    phase: str = ""


@dataclass
class CheckResult:
    root: str
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    grown: list[list[Any]] = field(default_factory=list)  # [key, baseline, now]
    checked: list[str] = field(default_factory=list)  # phases whose scans ran
    notes: list[str] = field(default_factory=list)
    files: int = 0  # files hashed
    parsed: int = 0  # files a phase read this run (cache misses)
    reused: int = 0  # per-file results taken from the cache
    from_cache: bool = False  # nothing changed: the previous result, replayed
    seconds: float = 0.0
    baseline: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings and not self.grown


# -- the cheap part: listing and hashing files ------------------------------------------------------


def _spec_root(spec_file: Path, raw: bytes) -> Path:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{spec_file}: malformed TOML: {exc}") from None
    table = data.get("tool", {}).get("ssot-migrate", {}) if spec_file.name == "pyproject.toml" else data
    root = table.get("root", ".") if isinstance(table, dict) else "."
    return (spec_file.parent / (root if isinstance(root, str) else ".")).resolve()


def _all_names(root: Path) -> list[str]:
    from .discovery import _git_files, _walk_files

    names = _git_files(root)
    return names if names is not None else _walk_files(root)


def _glob_union(patterns: Sequence[str]) -> re.Pattern[str] | None:
    from .discovery import glob_to_regex

    if not patterns:
        return None
    return re.compile("|".join(f"(?:{glob_to_regex(p).pattern})" for p in patterns))


def list_files(names: Sequence[str], discovery: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[str]:
    """The union of the files each (include, exclude) pair selects (the phases' discovery)."""
    out: set[str] = set()
    for include, exclude in discovery:
        inc, exc = _glob_union(include), _glob_union(exclude)
        if inc is None:
            continue
        out.update(n for n in names if inc.match(n) and not (exc and exc.match(n)))
    return sorted(out)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def fingerprint(root: Path, files: Sequence[str], contents: dict[str, bytes] | None = None) -> str:
    """One hash over every file's path and content (missing files count as missing).

    Plain ``open`` on string paths: for thousands of files, pathlib's object
    creation costs as much as the reads.
    """
    h = hashlib.blake2b(digest_size=20)
    base = os.fspath(root) + os.sep
    blake = hashlib.blake2b
    for rel in files:
        data = contents.get(rel) if contents is not None else None
        if data is None:
            try:
                with open(base + rel, "rb") as fh:
                    data = fh.read()
            except OSError:
                data = None
            if contents is not None and data is not None:
                contents[rel] = data
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        h.update(blake(data, digest_size=16).digest() if data is not None else b"-")
    return h.hexdigest()


def _code_stamp() -> bytes:
    """Size and mtime of ssot-migrate's own modules: an edited (editable) install is a new tool."""
    parts = []
    for pkg in (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "codemods"):
        for dirpath, dirnames, filenames in os.walk(pkg):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(".py"):
                    try:
                        st = os.stat(os.path.join(dirpath, name))
                    except OSError:
                        continue
                    parts.append(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts).encode()


def _cache_dir(root: Path) -> Path:
    return root / STATE_DIR / CACHE_DIR


def _write_cache(root: Path, name: str, data: bytes) -> None:
    from .fsio import atomic_write

    d = _cache_dir(root)
    try:
        d.mkdir(parents=True, exist_ok=True)
        ignore = d / ".gitignore"
        if not ignore.exists():
            atomic_write(ignore, b"# ssot-migrate check's cache: never commit it\n*\n", mode=0o644)
        atomic_write(d / name, data, mode=0o644)
    except (OSError, MigrateError):
        pass  # a read-only checkout still gets checked, just without a cache


# -- the check -----------------------------------------------------------------------------------


def fast_main(argv: Sequence[str]) -> int | None:
    """``ssot-migrate check ...`` before the CLI framework loads: the unchanged-tree answer, or None.

    Only the replay of a cached result happens here (nothing is parsed or
    written).  Anything else (a cache miss, ``--help``, an option this parser
    does not know, an error) returns None and the normal command runs.
    """
    import argparse

    ap = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    ap.add_argument("--spec", type=Path)
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--format", default="text", choices=("text", "json", "github"))
    ap.add_argument("--jobs", "-j", type=int)
    try:
        args, rest = ap.parse_known_args(list(argv))
    except (SystemExit, Exception):  # noqa: BLE001 - let the real parser say what is wrong
        return None
    if rest:
        return None
    try:
        result = replay(args.spec, baseline=args.baseline)
    except Exception:  # noqa: BLE001 - the full command reports errors properly
        return None
    if result is None:
        return None
    sys.stdout.write(render(result, args.format))
    sys.stdout.flush()
    return 0 if result.ok else 1


def _inputs(spec_path: Path | None, start: Path | None, baseline: Path | None) -> tuple[Path, Path, str]:
    """(spec file, repository root, hash of everything but the files: tool, spec, ledger, baseline)."""
    from .spec import find_spec_file

    spec_file = (Path(spec_path) if spec_path is not None else find_spec_file(start or Path.cwd())).resolve()
    if not spec_file.is_file():
        raise UsageError(f"spec file not found: {spec_file}")
    raw = spec_file.read_bytes()
    root = _spec_root(spec_file, raw)
    ledger_path = root / STATE_DIR / "ledger.json"
    ledger_bytes = ledger_path.read_bytes() if ledger_path.is_file() else b""
    base_bytes = b""
    if baseline is not None:
        try:
            base_bytes = Path(baseline).read_bytes()
        except OSError:
            raise UsageError(f"--baseline: {baseline} does not exist (create it with `ssot-migrate audit --write-baseline {baseline}`)") from None
    head = hashlib.sha256(
        b"\0".join([__version__.encode(), _code_stamp(), sys.version.encode(), str(spec_file).encode(), raw, ledger_bytes, base_bytes])
    ).hexdigest()
    return spec_file, root, head


def replay(spec_path: Path | None = None, *, start: Path | None = None, baseline: Path | None = None) -> CheckResult | None:
    """The cached result when nothing changed since it was computed; None otherwise."""
    t0 = time.perf_counter()
    spec_file, root, head = _inputs(spec_path, start, baseline)
    return _replay(root, head, t0)[0]


def _replay(root: Path, head: str, t0: float, contents: dict[str, bytes] | None = None) -> tuple[CheckResult | None, list[str] | None]:
    try:
        cached = json.loads((_cache_dir(root) / RESULT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not (isinstance(cached, dict) and cached.get("format") == CACHE_FORMAT and cached.get("head") == head):
        return None, None
    names = _all_names(root)
    files = list_files(names, cached["discovery"])
    if fingerprint(root, files, contents) != cached["fingerprint"]:
        return None, names
    result = CheckResult(**{**cached["result"], "findings": [Finding(**f) for f in cached["result"]["findings"]]})
    result.from_cache, result.parsed, result.reused = True, 0, 0
    result.files = len(files)
    result.seconds = time.perf_counter() - t0
    return result, names


def run_check(
    spec_path: Path | None = None,
    *,
    start: Path | None = None,
    baseline: Path | None = None,
    jobs: int | None = None,
    use_cache: bool = True,
) -> CheckResult:
    t0 = time.perf_counter()
    spec_file, root, head = _inputs(spec_path, start, baseline)
    names: list[str] | None = None
    contents: dict[str, bytes] = {}
    if use_cache:
        replayed, names = _replay(root, head, t0, contents)
        if replayed is not None:
            return replayed

    result, discovery, contents, file_cache = _cold(spec_file, root, baseline, jobs, use_cache, names, contents)
    files = list_files(names if names is not None else _all_names(root), discovery)
    fp = fingerprint(root, files, contents)
    result.files = len(files)
    result.seconds = time.perf_counter() - t0
    if use_cache:
        doc = {"format": CACHE_FORMAT, "head": head, "discovery": discovery, "fingerprint": fp,
               "result": {**asdict(result), "from_cache": False}}
        _write_cache(root, RESULT_NAME, json.dumps(doc).encode())
        _write_cache(root, FILES_NAME, pickle.dumps({"format": CACHE_FORMAT, "entries": file_cache}, protocol=pickle.HIGHEST_PROTOCOL))
    return result


def _load_file_cache(root: Path) -> dict:
    try:
        doc = pickle.loads((_cache_dir(root) / FILES_NAME).read_bytes())
    except Exception:  # noqa: BLE001 - a stale or foreign cache is simply rebuilt
        return {}
    return doc.get("entries", {}) if isinstance(doc, dict) and doc.get("format") == CACHE_FORMAT else {}


def _cold(spec_file: Path, root: Path, baseline: Path | None, jobs: int | None, use_cache: bool, names: list[str] | None,
          contents: dict[str, bytes]):
    from codemods import PHASES

    from .audit import counts_from, load_baseline
    from .engine import get_phase, make_context, run_files
    from .modindex import build_index
    from .phase import Options
    from .results import FileOutcome, Plan, RefFact, Status
    from .spec import load_spec
    from .state import APPLIED, State

    spec = load_spec(spec_file)
    state = State(spec.root)
    ledger = state.read_ledger() if state.dir.exists() else {}
    result = CheckResult(str(spec.root), baseline=str(baseline) if baseline is not None else None)
    for letter, entry in sorted(ledger.items()):
        if entry.status != APPLIED:
            result.findings.append(Finding(_rel(spec, spec.path), 1, "G105",
                                           f"phase {letter} was interrupted while {entry.status}: run `ssot-migrate status`", letter))
    applied = sorted(k for k, e in ledger.items() if e.status == APPLIED)
    base = load_baseline(Path(baseline)) if baseline is not None else None
    wanted = set(applied)
    if base:
        wanted |= {k.split("/")[1] for k in base if k.startswith(("refs/", "reports/")) and k.count("/") >= 2}
    if not wanted:
        result.notes.append("nothing to guard: no phase is applied and no --baseline was given")

    names = names if names is not None else _all_names(spec.root)
    old_cache = _load_file_cache(spec.root) if use_cache else {}
    new_cache: dict = {}
    discovery: list[tuple[list[str], list[str]]] = []
    families: list[str] = []
    counts: dict[str, int] = {}
    sites: dict[str, list[str]] = {}
    index = build_index(spec)
    removed_modules: list[str] = []
    deleted_by_e: list[str] = []
    if "E" in applied:
        from .modindex import module_name_for

        try:
            for rec in (r for j in state.phase_journals("E") for r in j.files):  # every wave of E
                mod = module_name_for(rec.path, _rel_roots(spec)) if rec.after is None else None
                if mod:
                    removed_modules.append(mod[0])
                if rec.after is None and rec.before is not None:
                    deleted_by_e.append(rec.path)
        except MigrateError:
            pass
    skipped_noted: set[str] = set()
    for letter in sorted(wanted):
        if letter not in PHASES:
            msg = f"phase {letter} is not provided by this version of ssot-migrate"
            if letter in applied:
                result.findings.append(Finding(_rel(spec, spec.path), 1, "G105", msg, letter))
            else:
                result.notes.append(msg)
            continue
        phase = get_phase(letter)
        scan_only = hasattr(phase, "guard_context")
        try:
            ctx = phase.guard_context(spec, index, Options()) if scan_only else make_context(spec, letter, Options(), index)
        except MigrateError as exc:
            msg = f"phase {letter} cannot be checked: {exc.message}" + (f" ({exc.details[0]})" if exc.details else "")
            text = exc.render()
            gone = [m for m in removed_modules if m in text]
            if gone:
                # Phase E deleted what this phase's spec names: E's own check covers references to it.
                result.notes.append(f"phase {letter} is not re-scanned: phase E removed {gone[0]}, which its spec names "
                                    "(references to removed modules are checked under E)")
            elif letter in applied:
                result.findings.append(Finding(_rel(spec, spec.path), 1, "G105", msg, letter))
            else:
                result.notes.append(msg)
            continue
        result.checked.append(letter)
        include = list(phase.include(ctx))
        exclude = list(spec.exclude) if getattr(phase, "honor_exclude", True) else []
        discovery.append((include, exclude))
        files = [f for f in list_files(names, [(include, exclude)]) if phase.wants(ctx, f)]
        pattern = phase.prefilter(ctx)
        ctx_key = _stable_hash(ctx)
        outcomes: list[FileOutcome] = []
        misses: list[tuple[str, bytes, bytes]] = []
        prefix = os.fspath(spec.root) + os.sep
        for rel in files:
            if os.path.islink(prefix + rel):
                continue  # never read through a link (as the phases' own discovery)
            data = contents.get(rel)
            if data is None:
                try:
                    with open(prefix + rel, "rb") as fh:
                        data = fh.read()
                except OSError:
                    continue
                contents[rel] = data
            if pattern is not None and not pattern.search(data):
                continue
            key = hashlib.blake2b(b"\0".join([letter.encode(), ctx_key, rel.encode("utf-8", "surrogateescape"), _digest(data)]), digest_size=20).digest()
            # A cross-file phase's outcome also depends on other files: never reuse it.
            hit = None if phase.cross_file else old_cache.get(key)
            if hit is not None:
                outcomes.append(hit)
                new_cache[key] = hit
                result.reused += 1
            else:
                misses.append((rel, data, key))
        for (rel, data, key), o in zip(misses, run_files(ctx, [(r, d) for r, d, _ in misses], jobs=jobs)):
            lite = FileOutcome(o.path, o.status, edits=o.edits, reports=o.reports, reason=o.reason, facts=o.facts)
            if not phase.cross_file:
                new_cache[key] = lite
            outcomes.append(lite)
        result.parsed += len(misses)
        for o in outcomes:  # a file no scan could read is named, never passed over in silence
            if o.status is Status.SKIPPED and o.path not in skipped_noted:
                skipped_noted.add(o.path)
                result.notes.append(f"{o.path}: not checked: {o.reason}")
        reports = []
        if not scan_only:
            plan = Plan(letter, spec.raw_hash, outcomes=sorted(outcomes, key=lambda o: o.path))
            reports = phase.finalize(ctx, plan)
        counts.update(counts_from(letter, outcomes, reports, with_reports=not scan_only))
        families.append(f"refs/{letter}/")
        if not scan_only:
            families.append(f"reports/{letter}/")
        for o in outcomes:
            for f in o.facts:
                if isinstance(f, RefFact):
                    sites.setdefault(f"refs/{letter}/{f.kind}/{f.target}", []).append(f"{f.path}:{f.line}")
        if letter in applied:
            if letter == "E":
                result.findings += _removed_findings(spec, state, outcomes)
            # A fact the phase's scan marks as rewritten is something it would rewrite again (for E: a
            # compat-reader fallback of a key whose fallback it removed; its guard context names those keys).
            seen = set()
            for o in outcomes:
                for f in o.facts:
                    if isinstance(f, RefFact) and f.rewritten and (f.path, f.line, f.target) not in seen:
                        seen.add((f.path, f.line, f.target))
                        result.findings.append(Finding(
                            f.path, f.line, "G101",
                            f"phase {letter} is applied but this legacy reference is back: {f.kind} {f.target} "
                            f"(`ssot-migrate plan {letter}` shows the rewrite)", letter))
    if deleted_by_e:
        # G103 looks for these: the replayed result must notice one coming back, whatever the phases'
        # globs cover (phase E also deletes the generated .pyi stubs beside the modules it removes).
        discovery.append((sorted(deleted_by_e), []))
    # Keep older entries too (a branch switch back is then cheap), within a bound.
    if len(old_cache) + len(new_cache) <= max(20000, 3 * len(new_cache)):
        new_cache = {**old_cache, **new_cache}
    result.counts = dict(sorted(counts.items()))
    if base is not None:
        from .audit import compare_counts

        grown, _ = compare_counts(counts, base, families=families)
        result.grown = [list(g) for g in grown]
        for key, was, now in grown:
            where = sorted(set(sites.get(key, [])), key=lambda a: _loc_key(a))
            # Which site is new cannot be known from counts: anchor at the most recently modified one.
            newest = max(where, key=lambda a: _mtime(spec.root / a.rpartition(":")[0]), default=f"{_rel(spec, spec.path)}:1")
            path, _, line = newest.rpartition(":")
            shown = (": " + ", ".join(where[:5]) + (f", +{len(where) - 5} more" if len(where) > 5 else "")) if where else ""
            result.findings.append(Finding(path, int(line), "G104", f"{key}: {was} in the baseline, {now} now{shown}", key.split("/")[1]))
        unchecked = [k for k in base if not k.startswith(tuple(families))]
        if unchecked:
            result.notes.append(f"{len(unchecked)} baseline count(s) are audit-only (e.g. {unchecked[0]}): `ssot-migrate audit --baseline` checks them")
    result.findings.sort(key=lambda f: (f.path, f.line, f.code))
    return result, discovery, contents, new_cache


def _loc_key(anchor: str) -> tuple[str, int]:
    path, _, line = anchor.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _rel(spec, path: Path) -> str:
    try:
        return path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        return path.name


def _removed_findings(spec, state, outcomes) -> list[Finding]:
    """What phase E removed (from its journal) is referenced, or back."""
    import ast

    from codemods.refscan import CleanupRef

    from .modindex import module_name_for

    records = [rec for journal in state.phase_journals("E") for rec in journal.files]  # every wave of E
    roots = _rel_roots(spec)
    removed: dict[str, str] = {}  # candidate key -> what it was
    out: list[Finding] = []
    for rec in records:
        if rec.after is None and rec.before is not None:
            mod = module_name_for(rec.path, roots)
            if mod:
                removed[mod[0]] = rec.path
            if (spec.root / rec.path).exists():
                out.append(Finding(rec.path, 1, "G103", f"{rec.path} was deleted by phase E and is back", "E"))
        elif rec.after is not None and rec.before is not None:
            mod = module_name_for(rec.path, roots)
            try:
                before = ast.parse(state.get_blob(rec.before))
                after = ast.parse(state.get_blob(rec.after))
            except (SyntaxError, ValueError, MigrateError):
                continue
            gone = _top_defs(before) - _top_defs(after)
            try:
                now = ast.parse((spec.root / rec.path).read_bytes())
            except (OSError, SyntaxError, ValueError):
                now = None
            for name in sorted(gone):
                if mod:
                    removed[f"{mod[0]}:{name}"] = rec.path
                node = next((n for n in (now.body if now else []) if getattr(n, "name", None) == name), None)
                if node is not None:
                    out.append(Finding(rec.path, node.lineno, "G103", f"{name} was removed from {rec.path} by phase E and is back", "E"))
    for o in outcomes:
        for f in o.facts:
            if isinstance(f, CleanupRef) and f.blocking and f.candidate in removed and f.path != removed[f.candidate]:
                out.append(Finding(f.path, f.line, "G102",
                                   f"{f.kind} reference {f.text!r} to {f.candidate}, which phase E removed ({removed[f.candidate]})", "E"))
    return out


def _top_defs(tree) -> set[str]:
    import ast

    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _rel_roots(spec) -> tuple[str, ...]:
    out = []
    for sr in spec.source_roots:
        try:
            rel = sr.resolve().relative_to(spec.root).as_posix()
        except ValueError:
            continue
        out.append("" if rel == "." else rel)
    return tuple(sorted(set(out), key=len, reverse=True))


# -- a stable hash of a run context ----------------------------------------------------------------


def _stable(obj: Any, depth: int = 0) -> Any:
    """A JSON-able rendering that does not depend on hash seeds or object ids."""
    if depth > 60:
        return "<deep>"
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, bytes):
        return hashlib.blake2b(obj, digest_size=16).hexdigest()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, re.Pattern):
        p = obj.pattern
        return ["re", p if isinstance(p, str) else p.decode("latin-1"), obj.flags]
    if is_dataclass(obj) and not isinstance(obj, type):
        # compare=False fields (the run cache) are not part of a value's identity.
        return [type(obj).__qualname__, [[f.name, _stable(getattr(obj, f.name, None), depth + 1)] for f in fields(obj) if f.compare]]
    if isinstance(obj, dict) or hasattr(obj, "items"):
        items = [[_stable(k, depth + 1), _stable(v, depth + 1)] for k, v in obj.items()]
        return ["dict", sorted(items, key=lambda kv: json.dumps(kv[0], sort_keys=True, default=str))]
    if isinstance(obj, (set, frozenset)):
        return ["set", sorted((_stable(x, depth + 1) for x in obj), key=lambda x: json.dumps(x, sort_keys=True, default=str))]
    if isinstance(obj, (list, tuple)):
        return [_stable(x, depth + 1) for x in obj]
    if hasattr(obj, "value") and type(obj).__module__ != "builtins" and hasattr(type(obj), "__members__"):
        return obj.value  # enums
    return repr(obj)  # may embed an id: a cache miss, never a wrong answer


def _stable_hash(ctx: Any) -> bytes:
    text = json.dumps(_stable(ctx), sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20).digest()


# -- rendering --------------------------------------------------------------------------------------


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def summary_line(r: CheckResult) -> str:
    how = "no file changed: previous result reused" if r.from_cache else f"{r.parsed} file(s) parsed, {r.reused} from the cache"
    phases = ", ".join(r.checked) or "none"
    state = "OK" if r.ok else f"FAILED: {len(r.findings)} problem(s)"
    return f"ssot-migrate check: {state}; phases checked: {phases}; {r.files} file(s) hashed, {how}; {r.seconds:.2f}s"


def render(r: CheckResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({**asdict(r), "ok": r.ok}, indent=2) + "\n"
    if fmt == "github":
        lines = []
        for f in r.findings:
            title = _gh_escape(f"ssot-migrate {f.code}", True)
            lines.append(f"::error file={_gh_escape(f.path, True)},line={f.line},title={title}::{_gh_escape(f.message)}")
        for n in r.notes:
            lines.append(f"::notice title=ssot-migrate check::{_gh_escape(n)}")
        lines.append(summary_line(r))
        return "\n".join(lines) + "\n"
    lines = [f"{f.path}:{f.line}: {f.code} {f.message}" for f in r.findings]
    lines += [f"note: {n}" for n in r.notes]
    lines.append(summary_line(r))
    return "\n".join(lines) + "\n"
