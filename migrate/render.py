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
    return "\n".join(lines)


def report_lines(plan: Plan, *, min_severity: Severity = Severity.WARNING) -> list[str]:
    order = [Severity.INFO, Severity.WARNING, Severity.ERROR]
    keep = order[order.index(min_severity):]
    return [_report_line(r) for r in plan.all_reports() if r.severity in keep]


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
        },
    }
    return json.dumps(data, indent=2)


def apply_text(result: ApplyResult) -> str:
    lines = []
    if result.temp_removed:
        lines.append(temp_files_line(result.temp_removed, "of an interrupted run removed"))
    if result.resumed:
        lines.append(f"phase {result.phase}: finished an interrupted apply ({len(result.written)} file(s) written)")
    else:
        lines.append(f"phase {result.phase}: applied, {len(result.written)} file(s) written")
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
                }
                for p in result.phases
            ],
        },
        indent=2,
    )


def status_table(result: StatusResult):  # -> rich.table.Table
    from rich.table import Table

    table = Table(title=f"ssot-migrate status: {result.root}")
    for col in ("phase", "status", "applied", "files", "pending edits", "legacy refs left", "notes"):
        table.add_column(col)
    for p in result.phases:
        notes = []
        if p.status in ("applying", "rolling-back"):
            notes.append(f"INTERRUPTED: run `ssot-migrate rollback {p.phase}` or `ssot-migrate apply {p.phase}`")
        if p.edited_since_apply:
            notes.append(f"{len(p.edited_since_apply)} file(s) edited since apply")
        if p.changed_by_later:
            later = ", ".join(sorted(set(p.changed_by_later.values())))
            notes.append(f"{len(p.changed_by_later)} file(s) since rewritten by phase {later}")
        if p.reverted_outside_tool:
            notes.append("files are back at their pre-apply content (rolled back outside the tool?)")
        if p.needs:
            notes.append(f"needs {', '.join(p.needs)}")
        if p.error:
            notes.append(p.error)
        applied = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.applied_at)) if p.applied_at else "-"
        table.add_row(
            f"{p.phase} ({p.title})",
            p.status,
            applied,
            str(p.files or "-"),
            str(p.pending_edits),
            str(p.remaining_refs),
            "; ".join(notes),
        )
    return table
