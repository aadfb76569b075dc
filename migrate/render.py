"""Turn result objects into text or JSON.  Data goes to stdout, messages to stderr."""

from __future__ import annotations

import json
import time
from typing import Any

from .commands import ApplyResult, RollbackResult, StatusResult
from .results import Plan, Severity
from .textdiff import render_text, unified_diff


def plan_diff(plan: Plan) -> str:
    return "".join(render_text(unified_diff(o.path, o.before, None if o.delete else o.after)) for o in plan.changes)


def plan_summary(plan: Plan) -> str:
    reports = plan.all_reports()
    by_sev = {s: sum(1 for r in reports if r.severity is s) for s in Severity}
    lines = [
        f"phase {plan.phase}: {len(plan.changes)} file(s) to change, {plan.edit_count} edit(s); "
        f"{plan.files_scanned} file(s) scanned, {plan.files_parsed} parsed after the prefilter; "
        f"{len(plan.skipped)} skipped, {len(plan.failed)} refused",
        f"reports: {by_sev[Severity.ERROR]} error(s), {by_sev[Severity.WARNING]} warning(s), {by_sev[Severity.INFO]} info",
    ]
    left = plan.legacy_left()
    if left:
        why = ", ".join(f"{code} x{n}" for code, n in left.items())
        lines.append(f"legacy references left: {sum(left.values())} ({why}); see the reports above")
    return "\n".join(lines)


def report_lines(plan: Plan, *, min_severity: Severity = Severity.WARNING, grouped: bool = True) -> list[str]:
    """One line per site and code (``grouped``); every report and all its related sites otherwise (``-v``).

    A patch string that intercepts 59 imports, or an import of six moved names,
    is one finding to act on; the details stay in ``--format json`` and ``-v``.
    """
    order = [Severity.INFO, Severity.WARNING, Severity.ERROR]
    keep = order[order.index(min_severity):]
    groups: dict[tuple, list] = {}
    for r in plan.all_reports():
        if r.severity in keep:
            key = (r.path, r.line, r.col, r.code, r.severity) if grouped else (len(groups),)
            groups.setdefault(key, []).append(r)
    out = []
    for reports in groups.values():
        r = reports[0]
        related = list(dict.fromkeys(x for rep in reports for x in rep.related))
        more = f" (and {len(reports) - 1} more {r.code} here; -v lists them)" if len(reports) > 1 else ""
        if grouped and len(related) > 3:
            rel = f" (see {', '.join(related[:3])} and {len(related) - 3} more; -v lists them)"
        else:
            rel = f" (see {', '.join(related)})" if related else ""
        out.append(f"{r.location()}: {r.severity.value}: {r.code} {r.message}{more}{rel}")
    return out


def _report_line(r) -> str:
    rel = f" (see {', '.join(r.related)})" if r.related else ""
    return f"{r.location()}: {r.severity.value}: {r.code} {r.message}{rel}"


#: Report codes that mean "this file was not processed": always listed by name.
SKIP_CODES = frozenset({"E001", "S002"})


def report_block(plan: Plan, *, verbose: bool = False, limit: int = 20) -> list[str]:
    """The reports a writing verb prints: errors and skipped files always, by name; other
    warnings up to ``limit`` and then a count with a ``-v`` hint (``verbose``: everything, info too)."""
    if verbose:
        return report_lines(plan, min_severity=Severity.INFO)
    always, rest = [], []
    for r in plan.all_reports():
        if r.severity is Severity.ERROR or r.code in SKIP_CODES:
            always.append(r)
        elif r.severity is Severity.WARNING:
            rest.append(r)
    shown = set(map(id, always + rest[:limit]))
    lines = [_report_line(r) for r in plan.all_reports() if id(r) in shown]
    if len(rest) > limit:
        lines.append(f"... and {len(rest) - limit} more warning(s); `-v` lists them all")
    return lines


def temp_files_line(paths: list[str], what: str, limit: int = 10) -> str:
    more = f", ... ({len(paths) - limit} more)" if len(paths) > limit else ""
    return f"{len(paths)} temp file(s) {what}: {', '.join(paths[:limit])}{more}"


def plan_json(plan: Plan, *, include_diff: bool = True) -> str:
    data: dict[str, Any] = {
        "phase": plan.phase,
        "spec_hash": plan.spec_hash,
        "options": plan.options,
        "files_scanned": plan.files_scanned,
        "files_parsed": plan.files_parsed,
        "changes": [
            {
                "path": o.path,
                "edits": o.edits,
                **({"diff": render_text(unified_diff(o.path, o.before, None if o.delete else o.after))} if include_diff else {}),
            }
            for o in plan.changes
        ],
        "skipped": [{"path": o.path, "reason": o.reason} for o in plan.skipped],
        "refused": [{"path": o.path, "reason": o.reason} for o in plan.failed],
        "reports": [r.to_json() for r in plan.all_reports()],
        "summary": {
            "files_changed": len(plan.changes),
            "edits": plan.edit_count,
            "skipped": len(plan.skipped),
            "refused": len(plan.failed),
            "legacy_left": plan.legacy_left(),
        },
    }
    return json.dumps(data, indent=2)


def apply_text(result: ApplyResult) -> str:
    lines = []
    if result.temp_removed:
        lines.append(temp_files_line(result.temp_removed, "of an interrupted run removed"))
    if result.resumed:
        lines.append(f"phase {result.phase}: finished an interrupted apply ({len(result.written)} file(s) written)")
    elif result.plan is not None and not result.plan.changes and result.patch_path is None:
        lines.append(f"phase {result.phase}: nothing to apply, nothing recorded")
    else:
        wave = f" (wave {result.key}: `rollback {result.phase}` undoes this wave only)" if result.wave > 1 else ""
        lines.append(f"phase {result.phase}: applied{wave}, {len(result.written)} file(s) written")
    if result.patch_path:
        lines.append(f"rollback patch: {result.patch_path} (offline: sh {result.script_path})")
    if result.gate is not None:
        lines.append(f"gate passed: {result.gate.command} ({result.gate.seconds:.1f}s)")
    return "\n".join(lines)


def rollback_text(result: RollbackResult) -> str:
    lines = [f"rolled back phase(s) {', '.join(result.phases)}"]
    if result.temp_removed:
        lines.append(temp_files_line(result.temp_removed, "of an interrupted run removed"))
    counts: dict[str, int] = {}
    for f in result.files:
        counts[f.action] = counts.get(f.action, 0) + 1
    lines.append(", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "no files")
    for f in result.files:
        if f.action in ("merged", "forced"):
            lines.append(f"  {f.action}: {f.path}")
    return "\n".join(lines)


def status_json(result: StatusResult) -> str:
    return json.dumps(
        {
            "root": str(result.root),
            "lock": result.lock,
            "stale_lock": result.stale_lock,
            "planned": result.planned,
            "leftover_temp_files": result.leftover_temp,
            "phases": [
                {
                    "phase": p.phase,
                    "title": p.title,
                    "status": p.status,
                    "applied_at": p.applied_at,
                    "files": p.files,
                    "pending_edits": p.pending_edits,
                    "pending_files": p.pending_files,
                    "remaining_refs": p.remaining_refs,
                    "edited_since_apply": p.edited_since_apply,
                    "changed_by_later_phase": p.changed_by_later,
                    "reverted_outside_tool": p.reverted_outside_tool,
                    "needs": list(p.needs),
                    "error": p.error,
                    "waves": [
                        {
                            "wave": w.key,
                            "status": w.status,
                            "applied_at": w.applied_at,
                            "files": w.files,
                            "edited_since_apply": w.edited_since_apply,
                            "changed_by_later_phase": w.changed_by_later,
                            "reverted_outside_tool": w.reverted_outside_tool,
                            "error": w.error,
                        }
                        for w in p.waves
                    ],
                }
                for p in result.phases
            ],
        },
        indent=2,
    )


def status_table(result: StatusResult):  # -> rich.table.Table
    from rich.table import Table

    title = f"ssot-migrate status: {result.root}"
    table = Table(title=title if result.planned else title + "\n(legacy references left: `ssot-migrate status --plan`)")
    for col in ("phase", "status", "applied", "files", *(("pending edits", "legacy refs left") if result.planned else ()), "notes"):
        table.add_column(col)
    for p in result.phases:
        many = len(p.waves) > 1
        notes = _drift_notes(p.phase, p.status, p.edited_since_apply, p.changed_by_later, p.reverted_outside_tool, p.error)
        if many:
            notes.insert(0, f"{len(p.waves)} waves; `rollback {p.phase}` undoes {p.waves[-1].key}")
        if p.needs:
            notes.append(f"needs {', '.join(p.needs)}")
        planned = tuple("-" if n is None else str(n) for n in (p.pending_edits, p.remaining_refs)) if result.planned else ()
        table.add_row(f"{p.phase} ({p.title})", p.status, _when(p.applied_at), str(p.files or "-"), *planned, "; ".join(notes))
        for w in p.waves if many else ():
            wnotes = _drift_notes(w.key, w.status, w.edited_since_apply, w.changed_by_later, w.reverted_outside_tool, w.error)
            table.add_row(f"  wave {w.wave} ({w.key})", w.status, _when(w.applied_at), str(w.files or "-"), *(("", "") if result.planned else ()), "; ".join(wnotes))
    return table


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if at else "-"


def _drift_notes(name: str, status: str, edited: list[str], later: dict[str, str], reverted: bool, error: str | None) -> list[str]:
    notes = []
    if status in ("applying", "rolling-back"):
        phase = name.split(".")[0]
        notes.append(f"INTERRUPTED: run `ssot-migrate rollback {phase}` or `ssot-migrate apply {phase}`")
    if edited:
        notes.append(f"{len(edited)} file(s) edited since apply")
    if later:
        notes.append(f"{len(later)} file(s) since rewritten by phase {', '.join(sorted(set(later.values())))}")
    if reverted:
        notes.append("files are back at their pre-apply content (rolled back outside the tool?)")
    if error:
        notes.append(error)
    return notes
