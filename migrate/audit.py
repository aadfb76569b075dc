"""``ssot-migrate audit``: the fragmentation report (phase 0), and the baseline ratchet.

What the seed report did by hand, from the code: the implementations (classes
matching the spec's pattern), the distinct import paths used for the single
source of truth and how many sites use each, the legacy factory call sites by
callable (phase D's scan), config-key duplicates and conflicts (phase B's),
interface gaps (phase A's analysis), shim hits from telemetry files, and per
phase the legacy references left.

Every phase contributes through the same general mechanism: its plan (nothing
is written) and the :class:`~migrate.results.RefFact`/report records in it.
:func:`counts_from` turns those into flat counters (``refs/C/import/pkg.mod:X``,
``reports/B/B101``, ...): the numbers a baseline ratchets and ``check`` guards.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from . import __version__
from .errors import MigrateError, UsageError
from .results import FileOutcome, RefFact, Report, Severity

BASELINE_FORMAT = 1

#: Phase B report codes: two definitions of one setting that disagree / that agree.
CONFIG_CONFLICT_CODES = ("B101", "B106", "B108")
CONFIG_DUPLICATE_CODES = ("B102", "B103")
#: Phase A report codes that are gaps (missing: unmapped or mapped; signature, async, kind, undeclared use).
INTERFACE_GAP_CODES = ("A101", "A102", "A103", "A104", "A105", "A107")  # A102: missing, a delegate is planned


# -- counters (shared with ``check``) -------------------------------------------------------------


def counts_from(letter: str, outcomes: Iterable[FileOutcome], reports: Iterable[Report] = (), *, with_reports: bool = True) -> dict[str, int]:
    """Flat counters for one phase: legacy references by kind and target, warnings by code."""
    c: Counter[str] = Counter()
    all_reports: list[Report] = list(reports)
    for o in outcomes:
        for f in o.facts:
            if isinstance(f, RefFact):
                c[f"refs/{letter}/{f.kind}/{f.target}"] += 1
        all_reports.extend(o.reports)
    if with_reports:
        for r in set(all_reports):
            if r.severity is not Severity.INFO and not r.code.startswith("E00"):
                c[f"reports/{letter}/{r.code}"] += 1
    return dict(c)


def compare_counts(counts: Mapping[str, int], baseline: Mapping[str, int], *, families: Iterable[str] | None = None) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(grown, shrunk) as ``(key, baseline, now)``; only keys under ``families`` prefixes when given."""
    fams = tuple(families) if families is not None else None

    def covered(k: str) -> bool:
        return fams is None or k.startswith(fams)

    grown, shrunk = [], []
    for k in sorted(set(counts) | set(baseline)):
        if not covered(k):
            continue
        now, base = counts.get(k, 0), baseline.get(k, 0)
        if now > base:
            grown.append((k, base, now))
        elif now < base:
            shrunk.append((k, base, now))
    return grown, shrunk


def load_baseline(path: Path) -> dict[str, int]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--baseline: {path} does not exist (create it with `ssot-migrate audit --write-baseline {path}`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"--baseline: {path} is not a baseline JSON file ({exc})") from None
    counts = doc.get("counts") if isinstance(doc, dict) else None
    if not isinstance(counts, dict) or not all(isinstance(k, str) and isinstance(v, int) for k, v in counts.items()):
        raise UsageError(f"--baseline: {path} has no \"counts\" object of integers")
    if doc.get("format", BASELINE_FORMAT) > BASELINE_FORMAT:
        raise UsageError(f"--baseline: {path} was written by a newer ssot-migrate (format {doc.get('format')})")
    return counts


def baseline_json(counts: Mapping[str, int]) -> str:
    doc = {"format": BASELINE_FORMAT, "generated_by": f"ssot-migrate {__version__}", "counts": dict(sorted(counts.items()))}
    return json.dumps(doc, indent=1) + "\n"


# -- the audit ----------------------------------------------------------------------------------


@dataclass
class ClassSite:
    key: str  # module:Name
    path: str
    line: int
    role: str  # canonical | listed | moved | pattern


@dataclass
class ImportPath:
    path: str  # "pkg.mod" or "pkg.mod:Name"
    role: str  # canonical | legacy | wiring | other
    sites: list[str] = field(default_factory=list)  # file:line
    #: Legacy-path imports inside the modules the move map names (the canonical module importing
    #: its implementation, a shim importing the canonical one): how the single source of truth is
    #: wired, never rewritten by phase C, so not counted as legacy sites.  A path used only there
    #: has the role "wiring".
    wiring: list[str] = field(default_factory=list)


@dataclass
class PhaseSummary:
    phase: str
    title: str
    applied: bool
    pending_files: int = 0
    pending_edits: int = 0
    refs: int = 0
    rewritable: int = 0
    warnings: int = 0
    errors: int = 0
    note: str | None = None


@dataclass
class AuditResult:
    root: Path
    patterns: tuple[str, ...]
    implementations: list[ClassSite] = field(default_factory=list)
    import_paths: list[ImportPath] = field(default_factory=list)
    factory_calls: dict[str, list[str]] = field(default_factory=dict)  # callable -> sites
    config_keys: dict[str, list[str]] = field(default_factory=dict)  # legacy key -> sites
    config_conflicts: list[Report] = field(default_factory=list)
    config_duplicates: list[Report] = field(default_factory=list)
    interface_gaps: list[Report] = field(default_factory=list)
    shim_hits: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # legacy -> [(site, count)]
    phases: list[PhaseSummary] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    legacy_modules: tuple[str, ...] = ()
    source_packages: tuple[str, ...] = ()
    linter_sources: tuple[str, ...] = ()
    grown: list[tuple[str, int, int]] = field(default_factory=list)
    shrunk: list[tuple[str, int, int]] = field(default_factory=list)
    baseline: str | None = None

    @property
    def ok(self) -> bool:
        return not self.grown


def run_audit(spec, *, usage: Sequence[Path] = (), patterns: Sequence[str] = (), jobs: int | None = None) -> AuditResult:
    """Plan every registered phase (read-only) and collect the report."""
    from codemods import PHASES

    from .engine import build_plan
    from .modindex import build_index
    from .phase import Options
    from .state import APPLIED, State

    index = build_index(spec)
    pats = tuple(patterns) or _patterns(spec)
    result = AuditResult(spec.root, pats)
    from .modindex import find_module_file

    # import-linter refuses a forbidden module that does not exist: only the ones still there.
    result.legacy_modules = tuple(sorted({m.old.module for m in spec.module_moves if find_module_file(spec, m.old.module)}))
    result.source_packages = _source_packages(spec, index)
    result.linter_sources = linter_sources(spec, result.legacy_modules)
    state = State(spec.root)
    ledger = state.read_ledger() if state.dir.exists() else {}
    extra = {"usage_files": tuple(str(u.resolve()) for u in usage)} if usage else {}

    plans = {}
    for letter in sorted(PHASES):
        cls = PHASES[letter]
        summary = PhaseSummary(letter, cls.title, letter in ledger and ledger[letter].status == APPLIED)
        try:
            plan = build_plan(spec, letter, Options(extra=extra), jobs=jobs)
        except MigrateError as exc:
            summary.note = exc.message if not exc.details else f"{exc.message}: {exc.details[0]}"
            result.phases.append(summary)
            continue
        plans[letter] = plan
        reports = plan.all_reports()
        facts = [f for o in plan.outcomes for f in o.facts if isinstance(f, RefFact)]
        summary.pending_files, summary.pending_edits = len(plan.changes), plan.edit_count
        summary.refs, summary.rewritable = len(facts), sum(1 for f in facts if f.rewritten)
        summary.warnings = sum(1 for r in reports if r.severity is Severity.WARNING)
        summary.errors = sum(1 for r in reports if r.severity is Severity.ERROR)
        result.phases.append(summary)
        result.counts.update(counts_from(letter, plan.outcomes, plan.reports))

    if "D" in plans:
        calls: dict[str, list[str]] = defaultdict(list)
        for o in plans["D"].outcomes:
            for f in o.facts:
                if isinstance(f, RefFact) and f.kind == "call":
                    calls[f.target].append(f"{f.path}:{f.line}")
        result.factory_calls = {k: sorted(v, key=_loc) for k, v in sorted(calls.items())}
    if "B" in plans:
        keys: dict[str, list[str]] = defaultdict(list)
        for o in plans["B"].outcomes:
            for f in o.facts:
                if isinstance(f, RefFact):
                    keys[f.target].append(f"{f.path}:{f.line}")
        result.config_keys = {k: sorted(set(v), key=_loc) for k, v in sorted(keys.items())}
        reports = plans["B"].all_reports()
        result.config_conflicts = [r for r in reports if r.code in CONFIG_CONFLICT_CODES]
        result.config_duplicates = [r for r in reports if r.code in CONFIG_DUPLICATE_CODES]
    if "A" in plans:
        result.interface_gaps = [r for r in plans["A"].all_reports() if r.code in INTERFACE_GAP_CODES]

    result.implementations = find_implementations(spec, index, pats)
    result.import_paths = find_import_paths(spec, index)
    if usage:
        from codemods.phase_e import read_usage

        hits: dict[str, Counter] = defaultdict(Counter)
        for h in read_usage([str(u) for u in usage]):
            hits[h.legacy][f"{_relative(spec.root, h.file)}:{h.line}"] += h.count
        result.shim_hits = {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0])) for k, v in sorted(hits.items())}
        for legacy, sites in result.shim_hits.items():
            result.counts[f"shim-hits/{legacy}"] = sum(n for _, n in sites)
    result.counts["implementations"] = len(result.implementations)
    result.counts["import-paths/legacy"] = sum(1 for p in result.import_paths if p.role == "legacy")
    for p in result.import_paths:
        if p.role == "legacy":
            result.counts[f"import-sites/{p.path}"] = len(p.sites)
    return result


def apply_baseline(result: AuditResult, path: Path) -> None:
    base = load_baseline(path)
    result.baseline = str(path)
    result.grown, result.shrunk = compare_counts(result.counts, base)


def _loc(anchor: str) -> tuple[str, int]:
    p, _, n = anchor.rpartition(":")
    return p, int(n) if n.isdigit() else 0


def _relative(root: Path, file: str) -> str:
    try:
        return Path(file).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return file


def _patterns(spec) -> tuple[str, ...]:
    """The spec's class-name pattern (phase A's ``interface.pattern``), else one derived from the canonical names."""
    section = spec.sections.get("interface")
    pats = tuple(getattr(section, "patterns", ()) or ())
    if pats:
        return pats
    names = {m.new.name for m in spec.symbol_moves if m.new.name}
    canonical = getattr(section, "canonical", None)
    if canonical is not None and getattr(canonical, "name", None):
        names.add(canonical.name)
    return tuple(sorted(f"*{n}*" for n in names))


def _source_packages(spec, index) -> tuple[str, ...]:
    tops = set()
    for m in spec.moves:
        tops.add(m.old.module.split(".")[0])
        tops.add(m.new.module.split(".")[0])
    return tuple(sorted(tops))


def _py_files(spec) -> list[str]:
    from .discovery import discover

    return [f for f in discover(spec.root, ("**/*.py",), spec.exclude).files]


def parsed_matching(spec, rx: "re.Pattern[bytes]") -> Iterator[tuple[str, ast.Module]]:
    """The spec's Python files whose bytes match ``rx``, parsed; unreadable or unparsable ones are passed over."""
    for rel in _py_files(spec):
        try:
            data = (spec.root / rel).read_bytes()
        except OSError:
            continue
        if not rx.search(data):
            continue
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        yield rel, tree


def find_implementations(spec, index, patterns: Sequence[str]) -> list[ClassSite]:
    """Classes whose name matches a pattern, plus those the spec lists, with file:line and role."""
    listed: dict[str, str] = {}
    section = spec.sections.get("interface")
    for t in getattr(section, "implementations", ()) or ():
        listed[f"{t.module}:{t.name}"] = "listed"
    canonical_keys = set()
    if section is not None and getattr(section, "canonical", None) is not None:
        canonical_keys.add(f"{section.canonical.module}:{section.canonical.name}")
    for m in spec.symbol_moves:
        listed.setdefault(f"{m.old.module}:{m.old.name}", "moved")
        origin = index.origin(m.new.module, m.new.name or "")
        canonical_keys.add(origin or f"{m.new.module}:{m.new.name}")
    names_re = "|".join(fnmatch.translate(p).replace(r"\Z", "").replace("(?s:", "(?:") for p in patterns)
    listed_names = {k.partition(":")[2] for k in listed} | {k.partition(":")[2] for k in canonical_keys}
    alts = [names_re] if names_re else []
    alts += [re.escape(n) for n in sorted(listed_names) if n]
    if not alts:
        return []
    rx = re.compile(rb"^[ \t]*class[ \t]+(?:" + "|".join(alts).encode() + rb")\b", re.M)
    out: list[ClassSite] = []
    for rel, tree in parsed_matching(spec, rx):
        mod = index.module_for_path(rel)
        module = mod[0] if mod else rel
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            key = f"{module}:{node.name}"
            if key in canonical_keys:
                role = "canonical"
            elif key in listed:
                role = listed[key]
            elif any(fnmatch.fnmatchcase(node.name, p) for p in patterns):
                role = "pattern"
            else:
                continue
            out.append(ClassSite(key, rel, node.lineno, role))
    return sorted(out, key=lambda c: (c.path, c.line))


def find_import_paths(spec, index) -> list[ImportPath]:
    """Every import of a module or symbol the move map names, grouped by the path it spells."""
    from .modindex import resolve_relative

    old_mods = {m.old.module for m in spec.module_moves}
    new_mods = {m.new.module for m in spec.moves}
    old_syms = {(m.old.module, m.old.name) for m in spec.symbol_moves}
    new_syms = {(m.new.module, m.new.name) for m in spec.moves if m.new.name}
    symbol_mods = {m.old.module for m in spec.symbol_moves}
    known = old_mods | new_mods | symbol_mods
    leaves = {m.rpartition(".")[2] for m in known}
    rx = re.compile(rb"\b(?:" + b"|".join(re.escape(x.encode()) for x in sorted(leaves, key=lambda x: (-len(x), x))) + rb")\b") if leaves else None
    found: dict[str, ImportPath] = {}

    def role_of(module: str, name: str | None) -> str:
        if name is not None and (module, name) in old_syms:
            return "legacy"
        if module in old_mods or any(module.startswith(m + ".") for m in old_mods):
            return "legacy"
        if module in new_mods or (name is not None and (module, name) in new_syms):
            return "canonical"
        return "other"

    protected = spec.protected_modules
    in_wiring = False  # is the file being scanned one of the move map's own modules?

    def add(path: str, role: str, site: str) -> None:
        entry = found.setdefault(path, ImportPath(path, role))
        (entry.wiring if role == "legacy" and in_wiring else entry.sites).append(site)

    def relevant(module: str) -> bool:
        return module in known or any(module.startswith(m + ".") for m in old_mods)

    if rx is None:
        return []
    for rel, tree in parsed_matching(spec, rx):
        mod = index.module_for_path(rel)
        package = (mod[0] if mod[1] else mod[0].rpartition(".")[0]) if mod else ""
        in_wiring = mod is not None and mod[0] in protected
        for node in ast.walk(tree):
            site = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                for a in node.names:
                    if relevant(a.name):
                        add(a.name, role_of(a.name, None), site)
            elif isinstance(node, ast.ImportFrom):
                src = resolve_relative(package, node.level, node.module) if node.level else node.module
                if not src:
                    continue
                for a in node.names:
                    sub = f"{src}.{a.name}"
                    if a.name != "*" and relevant(sub) and not relevant(src):
                        add(sub, role_of(sub, None), site)
                    elif relevant(src):
                        path = src if a.name == "*" else f"{src}:{a.name}"
                        add(path, role_of(src, None if a.name == "*" else a.name), site)
    for p in found.values():
        if p.role == "legacy" and not p.sites:
            p.role = "wiring"
    order = {"legacy": 0, "canonical": 1, "wiring": 2, "other": 3}
    return sorted(found.values(), key=lambda p: (order[p.role], -len(p.sites), p.path))


# -- rendering ----------------------------------------------------------------------------------


def show_sites(sites: Sequence[str], n: int = 3) -> str:
    return ", ".join(sites[:n]) + (f", +{len(sites) - n} more" if len(sites) > n else "")


def render_text(a: AuditResult) -> str:
    out = [f"ssot-migrate audit: {a.root}", ""]
    out.append(f"Implementations ({len(a.implementations)}; pattern {', '.join(a.patterns) or '-'}):")
    for c in a.implementations:
        out.append(f"  {c.path}:{c.line}  {c.key.partition(':')[2]}  [{c.role}]")
    legacy = [p for p in a.import_paths if p.role == "legacy"]
    out += ["", f"Import paths used for the single source of truth: {len(a.import_paths)} distinct ({len(legacy)} legacy)"]
    for p in a.import_paths:
        line = f"  {p.path}  [{p.role}]  {len(p.sites)} site(s): {show_sites(p.sites)}"
        if p.wiring:
            line += f"; in the move map's own modules (not rewritten): {show_sites(p.wiring)}"
        out.append(line)
    out += ["", f"Legacy factory call sites by callable (phase D): {sum(len(v) for v in a.factory_calls.values())}"]
    for k, sites in a.factory_calls.items():
        out.append(f"  {k}  {len(sites)} site(s): {show_sites(sites)}")
    out += ["", f"Config keys (phase B): {len(a.config_keys)} legacy key(s), {len(a.config_duplicates)} duplicate(s), {len(a.config_conflicts)} conflict(s)"]
    for k, sites in a.config_keys.items():
        out.append(f"  {k}  {len(sites)} site(s): {show_sites(sites)}")
    for r in a.config_conflicts:
        out.append(f"  CONFLICT {r.location()}: {r.code} {r.message}")
    for r in a.config_duplicates:
        out.append(f"  duplicate {r.location()}: {r.code} {r.message}")
    out += ["", f"Interface gaps (phase A): {len(a.interface_gaps)}"]
    for r in a.interface_gaps:
        out.append(f"  {r.location()}: {r.code} {r.message}")
    out += ["", f"Shim hits (telemetry): {sum(n for v in a.shim_hits.values() for _, n in v) if a.shim_hits else 'no --usage file given'}"]
    for legacy_path, sites in a.shim_hits.items():
        out.append(f"  {legacy_path}  {sum(n for _, n in sites)} hit(s) from {len(sites)} site(s): {show_sites([f'{s} x{n}' for s, n in sites])}")
    out += ["", "Phases:"]
    for p in a.phases:
        state = "applied" if p.applied else "pending"
        if p.note:
            out.append(f"  {p.phase} ({p.title}): {state}; not planned: {p.note}")
        else:
            out.append(
                f"  {p.phase} ({p.title}): {state}; {p.refs} legacy reference(s) ({p.rewritable} rewritable), "
                f"{p.pending_files} file(s) to change, {p.warnings} warning(s), {p.errors} error(s)"
            )
    out += _baseline_lines(a)
    return "\n".join(out) + "\n"


def _baseline_lines(a: AuditResult) -> list[str]:
    if a.baseline is None:
        return []
    out = ["", f"Baseline {a.baseline}: {len(a.grown)} count(s) grew, {len(a.shrunk)} shrank"]
    for k, base, now in a.grown:
        out.append(f"  GREW {k}: {base} -> {now}")
    for k, base, now in a.shrunk[:20]:
        out.append(f"  shrank {k}: {base} -> {now}")
    if a.shrunk and not a.grown:
        out.append("  tighten the ratchet: ssot-migrate audit --write-baseline " + a.baseline)
    return out


def render_json(a: AuditResult) -> str:
    doc: dict[str, Any] = {
        "format": BASELINE_FORMAT,
        "generated_by": f"ssot-migrate {__version__}",
        "root": str(a.root),
        "patterns": list(a.patterns),
        "implementations": [{"class": c.key, "path": c.path, "line": c.line, "role": c.role} for c in a.implementations],
        "import_paths": [
            {"path": p.path, "role": p.role, "sites": len(p.sites), "locations": p.sites, "wiring": p.wiring} for p in a.import_paths
        ],
        "factory_calls": {k: {"sites": len(v), "locations": v} for k, v in a.factory_calls.items()},
        "config": {
            "legacy_keys": {k: {"sites": len(v), "locations": v} for k, v in a.config_keys.items()},
            "duplicates": [r.to_json() for r in a.config_duplicates],
            "conflicts": [r.to_json() for r in a.config_conflicts],
        },
        "interface_gaps": [r.to_json() for r in a.interface_gaps],
        "shim_hits": {k: [{"site": s, "count": n} for s, n in v] for k, v in a.shim_hits.items()},
        "phases": [p.__dict__ for p in a.phases],
        "counts": dict(sorted(a.counts.items())),
    }
    if a.baseline is not None:
        doc["baseline"] = {"file": a.baseline, "grew": [list(g) for g in a.grown], "shrank": [list(s) for s in a.shrunk]}
    return json.dumps(doc, indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(a: AuditResult) -> str:
    out = [f"# SSOT audit: `{a.root.name}`", ""]
    out += [f"## Implementations ({len(a.implementations)})", "", f"Pattern: {', '.join(f'`{p}`' for p in a.patterns) or '-'}", "",
            "| class | where | role |", "| --- | --- | --- |"]
    out += [f"| `{c.key}` | `{c.path}:{c.line}` | {c.role} |" for c in a.implementations]
    out += ["", f"## Import paths ({len(a.import_paths)} distinct)", "", "| path | role | sites | where |", "| --- | --- | --- | --- |"]
    out += [f"| `{p.path}` | {p.role} | {len(p.sites)} | {_md(show_sites(p.sites))} |" for p in a.import_paths]
    out += ["", "## Legacy factory call sites (phase D)", "", "| callable | sites | where |", "| --- | --- | --- |"]
    out += [f"| `{k}` | {len(v)} | {_md(show_sites(v))} |" for k, v in a.factory_calls.items()]
    out += ["", "## Config keys (phase B)", "", "| legacy key | sites | where |", "| --- | --- | --- |"]
    out += [f"| `{k}` | {len(v)} | {_md(show_sites(v))} |" for k, v in a.config_keys.items()]
    if a.config_conflicts or a.config_duplicates:
        out += ["", "| kind | where | report |", "| --- | --- | --- |"]
        out += [f"| conflict | `{r.location()}` | {r.code} {_md(r.message)} |" for r in a.config_conflicts]
        out += [f"| duplicate | `{r.location()}` | {r.code} {_md(r.message)} |" for r in a.config_duplicates]
    out += ["", f"## Interface gaps (phase A): {len(a.interface_gaps)}", ""]
    if a.interface_gaps:
        out += ["| where | report |", "| --- | --- |"] + [f"| `{r.location()}` | {r.code} {_md(r.message)} |" for r in a.interface_gaps]
    out += ["", "## Shim hits (telemetry)", ""]
    if a.shim_hits:
        out += ["| legacy path | hits | sites |", "| --- | --- | --- |"]
        out += [f"| `{k}` | {sum(n for _, n in v)} | {_md(show_sites([f'{s} x{n}' for s, n in v]))} |" for k, v in a.shim_hits.items()]
    else:
        out.append("No telemetry file given (`--usage FILE`).")
    out += ["", "## Phases", "", "| phase | state | legacy refs (rewritable) | files to change | warnings | note |", "| --- | --- | --- | --- | --- | --- |"]
    for p in a.phases:
        out.append(f"| {p.phase} ({p.title}) | {'applied' if p.applied else 'pending'} | {p.refs} ({p.rewritable}) | {p.pending_files} | {p.warnings} | {_md(p.note or '')} |")
    if a.baseline is not None:
        out += ["", f"## Baseline `{a.baseline}`", ""]
        if a.grown:
            out += ["| grew | before | now |", "| --- | --- | --- |"] + [f"| `{k}` | {b} | {n} |" for k, b, n in a.grown]
        else:
            out.append(f"No count grew ({len(a.shrunk)} shrank).")
    return "\n".join(out) + "\n"


def render_import_linter(a: AuditResult) -> str:
    """An import-linter ``forbidden`` contract: nothing may import the legacy modules any more.

    Source modules are the siblings along each legacy module's package path
    (a source that *contains* a forbidden module is skipped by import-linter),
    so the ancestor packages' own ``__init__`` modules are not covered:
    ``ssot-migrate check`` covers them.
    """
    if not a.legacy_modules:
        raise UsageError("no legacy module (a module moved by the spec) exists any more: nothing for import-linter "
                         "to forbid; `ssot-migrate check` guards against their return")
    roots = sorted({m.split(".")[0] for m in a.legacy_modules} | set(a.source_packages))
    lines = [
        "# Generated by `ssot-migrate audit --format import-linter`: paste into .importlinter (or setup.cfg / pyproject).",
        "# The legacy modules of the move map may not be imported directly any more.",
        "[importlinter]",
        "root_packages =",
        *[f"    {p}" for p in roots],
        "",
        "[importlinter:contract:ssot-migrate-legacy]",
        "name = Legacy modules replaced by the single source of truth (ssot-migrate)",
        "type = forbidden",
        "source_modules =",
        *[f"    {p}" for p in a.linter_sources],
        "forbidden_modules =",
        *[f"    {m}" for m in a.legacy_modules],
        "allow_indirect_imports = True",
    ]
    return "\n".join(lines) + "\n"


def linter_sources(spec, legacy: Sequence[str]) -> tuple[str, ...]:
    """Modules next to each legacy module's path (never an ancestor or the legacy module itself)."""
    from .modindex import find_module_file

    on_path = set()
    for m in legacy:
        parts = m.split(".")
        on_path |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    out: set[str] = set()
    for m in legacy:
        parts = m.split(".")
        for i in range(1, len(parts)):
            pkg = ".".join(parts[:i])
            init = find_module_file(spec, pkg)
            if init is None or init.name != "__init__.py":
                continue
            for child in sorted(init.parent.iterdir()):
                name = child.stem if child.suffix == ".py" else child.name
                if child.name == "__init__.py" or not name.isidentifier():
                    continue
                if child.suffix == ".py" or (child.is_dir() and (child / "__init__.py").is_file()):
                    full = f"{pkg}.{name}"
                    if full not in on_path and not any(full.startswith(x + ".") for x in legacy):
                        out.add(full)
    return tuple(sorted(out))
