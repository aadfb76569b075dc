"""The verbs.  Plain functions that take a spec and return result objects.

The CLI, the demo, the tests and users' scripts all call these; nothing here
prints.  Errors a user can cause are raised as :class:`MigrateError`.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .engine import Progress, build_plan, get_phase, make_context
from .errors import DriftError, GateFailed, LedgerError, MigrateError, PhaseStateError, UnsafePathError
from .fsio import atomic_delete, atomic_write, fault_point as _fault_point, is_read_only, sha256_bytes
from .gate import GateResult, run_gate
from .gitutil import ensure_clean
from .merge3 import merge3
from .phase import Options
from .results import Plan, Severity
from .rollback_script import render_patch, render_script
from .spec import Spec
from .state import APPLIED, APPLYING, ROLLING_BACK, FileRecord, Journal, LedgerEntry, State


class PlanHasErrors(MigrateError):
    """The plan contains errors (refused files, error reports); nothing was written."""

    exit_code = 1


# -- plan ------------------------------------------------------------------------------


def plan(spec: Spec, phase: str, options: Options = Options(), *, jobs: int | None = None, progress: Progress | None = None) -> Plan:
    """Compute what ``phase`` would change.  Read-only: creates no state, takes no lock."""
    return build_plan(spec, phase, options, jobs=jobs, progress=progress)


# -- apply -----------------------------------------------------------------------------


@dataclass
class ApplyResult:
    phase: str
    plan: Plan | None
    written: list[str] = field(default_factory=list)
    gate: GateResult | None = None
    rolled_back: bool = False
    resumed: bool = False
    patch_path: Path | None = None
    script_path: Path | None = None
    #: Temp files a killed run had left, removed before this one started.
    temp_removed: list[str] = field(default_factory=list)


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def apply(
    spec: Spec,
    phase: str,
    options: Options = Options(),
    *,
    allow_dirty: bool = False,
    verify: str | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    on_gate_start: Callable[[str], None] | None = None,
    reviewed: Plan | None = None,
) -> ApplyResult:
    """Apply ``phase``: journal, write atomically, record in the ledger, run the gate.

    ``reviewed``: a plan computed earlier (e.g. shown to a reviewer); it is applied
    as is, and any file that changed since it was computed is refused.
    """
    letter = get_phase(phase).letter
    state = State(spec.root)
    with state.lock(f"apply {letter}"):
        temp_removed = state.remove_temp_files()
        ledger = state.read_ledger()
        stuck = [e for e in ledger.values() if e.status != APPLIED]
        if stuck:
            e = stuck[0]
            if e.phase == letter and e.status == APPLYING:
                result = _resume_apply(state, letter)
            else:
                raise LedgerError(
                    f"phase {e.phase} was interrupted while {e.status}; run `ssot-migrate rollback {e.phase}` "
                    f"to restore it or `ssot-migrate apply {e.phase}` to finish it"
                )
        else:
            if letter in ledger:
                raise PhaseStateError(f"phase {letter} is already applied; roll it back first to apply it again")
            missing = [n for n in get_phase(letter).needs if n not in ledger]
            if missing:
                raise PhaseStateError(
                    f"phase {letter} needs phase(s) {', '.join(missing)} applied first"
                )
            if reviewed is not None:
                if reviewed.phase != letter or reviewed.spec_hash != spec.raw_hash:
                    raise PhaseStateError("the reviewed plan is for another phase or another version of the spec")
                the_plan = reviewed
            else:
                ctx = make_context(spec, letter, options)
                the_plan = build_plan(spec, letter, options, jobs=jobs, progress=progress, ctx=ctx)
            errors = [r for r in the_plan.all_reports() if r.severity is Severity.ERROR]
            if errors:
                raise PlanHasErrors(
                    f"plan {letter} has {len(errors)} error(s); nothing was written",
                    details=[f"{r.location()}: {r.code} {r.message}" for r in errors[:30]],
                )
            if not the_plan.changes and not get_phase(letter).record_empty_apply:
                return ApplyResult(letter, the_plan, temp_removed=temp_removed)  # nothing to do, nothing to record
            _check_drift(state, the_plan.changes)
            ensure_clean(spec.root, [o.path for o in the_plan.changes], allow_dirty=allow_dirty)
            result = _write_plan(state, spec, letter, the_plan, options)
        result.temp_removed = temp_removed
        if verify:
            if on_gate_start:
                on_gate_start(verify)
            gate = run_gate(verify, spec.root, state.phase_dir(letter) / "gate.log")
            result.gate = gate
            if not gate.passed:
                _rollback_locked(state, letter, force=False, event="gate-rollback")
                result.rolled_back = True
                raise GateFailed(
                    f"gate failed (exit {gate.returncode}): phase {letter} was rolled back; "
                    f"full log: {gate.log_path}",
                    details=gate.tail().splitlines(),
                )
    return result


def _check_drift(state: State, changes: list) -> None:
    """Files changed since the plan was computed are refused, before anything is written."""
    drift = []
    for o in changes:
        path = state.safe_path(o.path)
        if path.is_symlink():
            drift.append(f"{o.path}: is a symbolic link; never written through")
            continue
        try:
            now = path.read_bytes()
        except FileNotFoundError:
            if o.before is not None:
                drift.append(f"{o.path}: deleted since the plan was computed")
            continue
        if o.before is None:
            drift.append(f"{o.path}: created since the plan was computed")
        elif now != o.before:
            drift.append(f"{o.path}: changed since the plan was computed")
    if drift:
        raise DriftError("files changed between plan and apply; nothing was written", details=drift)


def _write_plan(state: State, spec: Spec, letter: str, the_plan: Plan, options: Options) -> ApplyResult:
    changes = the_plan.changes
    _check_drift(state, changes)  # again, right before writing
    # Everything that would make a write fail half-way is checked before the first write.
    unsafe = []
    for o in changes:
        path = state.safe_path(o.path)
        if is_read_only(path):
            unsafe.append(f"{o.path}: read-only; ssot-migrate will not change permissions")
        elif not path.exists() and path.parent.exists() and not os.access(path.parent, os.W_OK):
            unsafe.append(f"{o.path}: its directory is not writable")
    if unsafe:
        raise UnsafePathError("some files cannot be written; nothing was written", details=unsafe)
    journal = Journal(letter, spec.raw_hash, __version__, time.time(), dict(the_plan.options))
    for o in changes:
        path = state.safe_path(o.path)
        mode = _mode(path)
        journal.files.append(
            FileRecord(
                o.path,
                None if o.before is None else state.put_blob(o.before),
                None if o.delete else state.put_blob(o.after or b""),
                mode,
                None if o.delete else (mode if mode is not None else 0o644),
            )
        )
    state.write_journal(journal)
    _fault_point("after-journal")
    state.set_entry(
        LedgerEntry(letter, APPLYING, spec.raw_hash, __version__, time.time(), len(changes), state.next_order()),
        "apply-start",
    )
    written = []
    for o in changes:
        path = state.safe_path(o.path)
        if o.delete:
            atomic_delete(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, o.after or b"")
        written.append(o.path)
        _fault_point("after-file")
    patch, script = _write_offline_rollback(state, journal)
    entry = state.read_ledger()[letter]
    entry.status = APPLIED
    entry.applied_at = time.time()
    state.set_entry(entry, "apply")
    return ApplyResult(letter, the_plan, written, patch_path=patch, script_path=script)


def _write_offline_rollback(state: State, journal: Journal) -> tuple[Path, Path]:
    pdir = state.phase_dir(journal.phase)
    patch = pdir / "rollback.patch"
    script = pdir / "rollback.sh"
    atomic_write(patch, render_patch(state, journal), mode=0o644)
    atomic_write(script, render_script(journal).encode(), mode=0o755)
    return patch, script


def _resume_apply(state: State, letter: str) -> ApplyResult:
    """Finish an apply that was interrupted: write the files still at their old bytes."""
    journal = state.read_journal(letter)
    drift = []
    todo: list[FileRecord] = []
    for rec in journal.files:
        path = state.safe_path(rec.path)
        cur = sha256_bytes(path.read_bytes()) if path.exists() else None
        if cur == rec.after:
            continue
        if cur == rec.before:
            todo.append(rec)
        else:
            drift.append(f"{rec.path}: matches neither its pre- nor post-apply content")
    if drift:
        raise DriftError(
            f"cannot finish interrupted phase {letter}; roll it back with `ssot-migrate rollback {letter}`",
            details=drift,
        )
    written = []
    for rec in todo:
        path = state.safe_path(rec.path)
        if rec.after is None:
            atomic_delete(path)
        else:
            atomic_write(path, state.get_blob(rec.after), mode=rec.mode_after)
        written.append(rec.path)
    patch, script = _write_offline_rollback(state, journal)
    entry = state.read_ledger()[letter]
    entry.status = APPLIED
    state.set_entry(entry, "apply-resumed")
    return ApplyResult(letter, None, written, resumed=True, patch_path=patch, script_path=script)


# -- rollback --------------------------------------------------------------------------


@dataclass
class FileRestore:
    path: str
    action: str  # restored | merged | deleted | unchanged | forced
    conflicts: list[str] = field(default_factory=list)


@dataclass
class RollbackResult:
    phases: list[str]
    files: list[FileRestore] = field(default_factory=list)
    temp_removed: list[str] = field(default_factory=list)  # left by a killed run


def rollback(spec_root: Path, phase: str, *, cascade: bool = False, force: bool = False) -> RollbackResult:
    """Undo ``phase`` (and, with ``cascade``, the applied phases that depend on it)."""
    letter = get_phase(phase).letter
    state = State(spec_root)
    with state.lock(f"rollback {letter}"):
        temp_removed = state.remove_temp_files()
        ledger = state.read_ledger()
        if letter not in ledger:
            raise PhaseStateError(f"phase {letter} is not applied; nothing to roll back")
        dependents = _dependents(ledger, letter)
        if dependents and not cascade:
            raise PhaseStateError(
                f"phase(s) {', '.join(dependents)} depend on {letter} and are applied; "
                f"roll them back first or pass --cascade"
            )
        if cascade:
            dependents = _stacked_on(state, ledger, letter, dependents)
        result = RollbackResult([], temp_removed=temp_removed)
        for p in [*dependents, letter]:
            result.files += _rollback_locked(state, p, force=force)
            result.phases.append(p)
        return result


def _dependents(ledger: dict[str, LedgerEntry], letter: str) -> list[str]:
    """Applied phases that need ``letter`` (transitively), latest first."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for other in ledger:
            if other in out or other == letter:
                continue
            needs = set(get_phase(other).needs)
            if letter in needs or needs & out:
                out.add(other)
                changed = True
    return sorted(out, key=lambda p: -ledger[p].order)


def _stacked_on(state: State, ledger: dict[str, LedgerEntry], letter: str, dependents: list[str]) -> list[str]:
    """``dependents`` plus the phases applied after ``letter`` that changed the same files (for --cascade).

    Their edits sit on top of ``letter``'s (phase D rewrites lines phase C rewrote):
    ``letter`` cannot be undone underneath them, so they are rolled back first.
    """
    files: dict[str, set[str]] = {}

    def touched(p: str) -> set[str]:
        if p not in files:
            files[p] = {rec.path for rec in state.read_journal(p).files}
        return files[p]

    out = set(dependents)
    changed = True
    while changed:
        changed = False
        base = touched(letter).union(*(touched(p) for p in out))
        for other, entry in ledger.items():
            if other == letter or other in out or entry.order < ledger[letter].order:
                continue
            if touched(other) & base or set(get_phase(other).needs) & out:
                out.add(other)
                changed = True
    return sorted(out, key=lambda p: -ledger[p].order)


def _rollback_locked(state: State, letter: str, *, force: bool, event: str = "rollback") -> list[FileRestore]:
    journal = state.read_journal(letter)
    plan: list[tuple[FileRecord, bytes | None, str]] = []
    conflicts: list[str] = []
    results: list[FileRestore] = []
    for rec in journal.files:
        path = state.safe_path(rec.path)
        if path.is_symlink():
            conflicts.append(f"{rec.path}: is now a symbolic link; not writing through it")
            continue
        cur = path.read_bytes() if path.exists() else None
        cur_hash = sha256_bytes(cur) if cur is not None else None
        before = state.get_blob(rec.before) if rec.before else None
        if cur_hash == rec.before:
            results.append(FileRestore(rec.path, "unchanged"))
            continue
        if cur_hash == rec.after:
            plan.append((rec, before, "restored" if before is not None else "deleted"))
            continue
        if force:
            plan.append((rec, before, "forced"))
            continue
        if cur is None or before is None or rec.after is None:
            conflicts.append(f"{rec.path}: {'deleted' if cur is None else 'edited'} since apply")
            continue
        merged = merge3(state.get_blob(rec.after), cur, before)
        if merged.merged is None:
            lines = ", ".join(f"{c.base_start}-{c.base_end}" for c in merged.conflicts)
            conflicts.append(f"{rec.path}: edits since apply overlap the phase's changes (lines {lines})")
            continue
        plan.append((rec, merged.merged, "merged"))
    if conflicts:
        raise DriftError(
            f"cannot roll back phase {letter}: files were edited after apply in ways that conflict; "
            "nothing was written (resolve them, or pass --force to discard those edits)",
            details=conflicts,
        )
    entry = state.read_ledger().get(letter)
    if entry is not None:
        entry.status = ROLLING_BACK
        state.set_entry(entry, f"{event}-start")
    for rec, data, action in plan:
        path = state.safe_path(rec.path)
        if data is None:
            if path.exists():
                atomic_delete(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data, mode=rec.mode_before)
        results.append(FileRestore(rec.path, action))
        _fault_point("after-restore")
    state.drop_entry(letter, event)
    return results


# -- status ------------------------------------------------------------------------------


@dataclass
class PhaseStatus:
    phase: str
    title: str
    status: str  # applied | applying | rolling-back | pending | clean
    applied_at: float | None = None
    files: int = 0
    pending_edits: int = 0
    pending_files: int = 0
    remaining_refs: int = 0
    edited_since_apply: list[str] = field(default_factory=list)
    #: Files a later applied phase rewrote (or deleted) since: path -> that phase.  Not drift.
    changed_by_later: dict[str, str] = field(default_factory=dict)
    reverted_outside_tool: bool = False
    needs: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class StatusResult:
    root: Path
    phases: list[PhaseStatus]
    lock: dict | None = None
    stale_lock: bool = False
    #: Temp files of a killed run (``unlock``, ``rollback`` and ``apply`` remove them).
    leftover_temp: list[str] = field(default_factory=list)


def status(spec: Spec, *, jobs: int | None = None) -> StatusResult:
    """Ledger, drift since apply, and how many legacy references remain.  Read-only."""
    from codemods import PHASES

    from .state import lock_is_stale

    state = State(spec.root)
    ledger = state.read_ledger() if state.dir.exists() else {}
    journals: dict[str, Any] = {}  # phase -> its journal, or the MigrateError reading it
    for p in ledger:
        try:
            journals[p] = state.read_journal(p)
        except MigrateError as exc:
            journals[p] = exc
    # What each applied phase left in each file: a file a later phase rewrote is not drift.
    left_by: dict[str, list[tuple[int, str, str | None]]] = {}
    for p, e in ledger.items():
        if not isinstance(journals[p], MigrateError):
            for rec in journals[p].files:
                left_by.setdefault(rec.path, []).append((e.order, p, rec.after))
    current: dict[str, str | None] = {}  # path -> sha256 now (a file several phases touched is hashed once)
    phases: list[PhaseStatus] = []
    for letter in sorted(PHASES):
        cls = PHASES[letter]
        ps = PhaseStatus(letter, cls.title, "pending", needs=cls.needs)
        entry = ledger.get(letter)
        if entry is not None:
            ps.status, ps.applied_at, ps.files = entry.status, entry.applied_at, entry.files
            try:
                journal = journals[letter]
                if isinstance(journal, MigrateError):
                    raise journal
                at_before = 0
                for rec in journal.files:
                    if rec.path not in current:
                        path = state.safe_path(rec.path)
                        current[rec.path] = sha256_bytes(path.read_bytes()) if path.exists() else None
                    cur = current[rec.path]
                    if cur == rec.before:
                        at_before += 1
                    elif cur != rec.after:
                        later = [p for order, p, after in sorted(left_by.get(rec.path, ())) if order > entry.order and after == cur]
                        if later:
                            ps.changed_by_later[rec.path] = later[-1]
                        else:
                            ps.edited_since_apply.append(rec.path)
                ps.reverted_outside_tool = entry.status == APPLIED and bool(journal.files) and at_before == len(journal.files)
            except MigrateError as exc:
                ps.error = exc.message
        try:
            p = build_plan(spec, letter, Options(), jobs=jobs)
            ps.pending_edits = p.edit_count
            ps.pending_files = len(p.changes)
            ps.remaining_refs = count_remaining(p)
            if entry is None and not p.changes and not ps.remaining_refs:
                ps.status = "clean"
        except MigrateError as exc:
            ps.error = exc.message
        phases.append(ps)
    lock = None
    stale = False
    lock_path = state.dir / "lock"
    if lock_path.exists():
        lock = state.lock("status").read()
        stale = lock_is_stale(lock or {})
    return StatusResult(spec.root, phases, lock, stale, _leftover_temp(state))


def _leftover_temp(state: State) -> list[str]:
    """Temp files a killed run left (read-only: status never removes them)."""
    return [p.relative_to(state.root).as_posix() for p in state.temp_files()] if state.dir.is_dir() else []


def count_remaining(p: Plan) -> int:
    """Legacy references left in the repo according to a plan's facts (rewritable or not)."""
    from .results import RefFact

    n = 0
    for o in p.outcomes:
        n += sum(1 for f in o.facts if isinstance(f, RefFact))
    return n


@dataclass
class UnlockResult:
    lock: dict | None  # the lock that was removed, None: there was none
    temp_removed: list[str] = field(default_factory=list)  # temp files of the killed run


def unlock(root: Path, *, force: bool = False) -> UnlockResult:
    """Remove a stale lock, and the temp files its killed run left.

    A lock held by a live process is only removed with ``force``.
    """
    from .state import lock_is_stale

    state = State(root)
    lock = state.lock("unlock")
    info = lock.read()
    if info is not None:
        if not lock_is_stale(info) and not force:
            raise MigrateError(
                f"the lock is held by live process {info.get('pid')} ({info.get('command')}); "
                "pass --force only if you are sure it is not running"
            )
        if lock.read() != info:
            raise MigrateError("the lock changed while unlocking (another run started); run `ssot-migrate status`")
        lock.path.unlink()
    if not state.dir.is_dir():
        return UnlockResult(info)
    with lock:  # so that no run starts while its temp files are being swept
        return UnlockResult(info, state.remove_temp_files())
