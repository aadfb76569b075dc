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
from .state import APPLIED, APPLYING, ROLLING_BACK, FileRecord, Journal, LedgerEntry, State, wave_key


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
    wave: int = 1  # a second apply of a phase is its wave 2

    @property
    def key(self) -> str:
        return wave_key(self.phase, self.wave)

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
                result = _resume_apply(state, e.key)
            else:
                raise LedgerError(
                    f"phase {e.phase} was interrupted while {e.status}; run `ssot-migrate rollback {e.phase}` "
                    f"to restore it or `ssot-migrate apply {e.phase}` to finish it"
                )
        else:
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
            if not the_plan.changes and (letter in ledger or not get_phase(letter).record_empty_apply):
                return ApplyResult(letter, the_plan, temp_removed=temp_removed)  # nothing to do, nothing to record (no empty wave either)
            _check_drift(state, the_plan.changes)
            ensure_clean(spec.root, [o.path for o in the_plan.changes], allow_dirty=allow_dirty)
            result = _write_plan(state, spec, letter, the_plan, options)
        result.temp_removed = temp_removed
        if verify:
            if on_gate_start:
                on_gate_start(verify)
            gate = run_gate(verify, spec.root, state.phase_dir(result.key) / "gate.log")
            result.gate = gate
            if not gate.passed:
                _rollback_locked(state, result.key, force=False, event="gate-rollback")
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
    wave = state.next_wave(letter)  # applying a phase again is its next wave, journaled on its own
    journal = Journal(letter, spec.raw_hash, __version__, time.time(), dict(the_plan.options), wave=wave)
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
                _missing_dirs(state, path) if o.before is None else [],
            )
        )
    state.write_journal(journal)
    _fault_point("after-journal")
    state.set_entry(
        LedgerEntry(letter, APPLYING, spec.raw_hash, __version__, time.time(), len(changes), state.next_order(), wave),
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
    return ApplyResult(letter, the_plan, written, patch_path=patch, script_path=script, wave=wave)


def _write_offline_rollback(state: State, journal: Journal) -> tuple[Path, Path]:
    pdir = state.phase_dir(journal.key)
    patch = pdir / "rollback.patch"
    script = pdir / "rollback.sh"
    atomic_write(patch, render_patch(state, journal), mode=0o644)
    atomic_write(script, render_script(journal).encode(), mode=0o755)
    return patch, script


def _resume_apply(state: State, key: str) -> ApplyResult:
    """Finish an apply (wave ``key``) that was interrupted: write the files still at their old bytes."""
    journal = state.read_journal(key)
    letter = journal.phase
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
    return ApplyResult(letter, None, written, resumed=True, patch_path=patch, script_path=script, wave=journal.wave)


# -- rollback --------------------------------------------------------------------------


@dataclass
class FileRestore:
    path: str
    action: str  # restored | merged | deleted | unchanged | forced
    conflicts: list[str] = field(default_factory=list)


@dataclass
class RollbackResult:
    phases: list[str]  # the waves rolled back, in that order: "C" (a phase's first wave), "C.2", ...
    files: list[FileRestore] = field(default_factory=list)
    temp_removed: list[str] = field(default_factory=list)  # left by a killed run


def rollback(spec_root: Path, phase: str, *, cascade: bool = False, force: bool = False, all_waves: bool = False) -> RollbackResult:
    """Undo the last wave of ``phase`` (every wave with ``all_waves``), newest first.

    With ``cascade``, the applied waves that depend on them or were stacked on
    their files afterwards are undone first.
    """
    letter = get_phase(phase).letter
    state = State(spec_root)
    with state.lock(f"rollback {letter}"):
        temp_removed = state.remove_temp_files()
        waves = state.read_waves()
        mine = [w for w in waves if w.phase == letter]
        if not mine:
            raise PhaseStateError(f"phase {letter} is not applied; nothing to roll back")
        going = mine if all_waves else mine[-1:]
        dependents = _dependents(waves, going)
        if dependents and not cascade:
            raise PhaseStateError(
                f"phase(s) {', '.join(dict.fromkeys(w.phase for w in dependents))} depend on {letter} and are applied; "
                f"roll them back first or pass --cascade"
            )
        if cascade:
            touched: dict[str, set[str]] = {}

            def files_of(key: str) -> set[str]:
                if key not in touched:
                    touched[key] = {rec.path for rec in state.read_journal(key).files}
                return touched[key]

            dependents = _stacked_on(waves, going, dependents, files_of)
        keys = [w.key for w in sorted([*dependents, *going], key=lambda w: -w.order)]
        return RollbackResult(keys, _rollback_waves(state, keys, force=force), temp_removed=temp_removed)


def _needs(phase: str) -> set[str]:
    return set(get_phase(phase).needs)


def _dependents(waves: list[LedgerEntry], going: list[LedgerEntry]) -> list[LedgerEntry]:
    """The waves that cannot stay once ``going`` is rolled back, newest first.

    A phase's later waves stack on its earlier ones, and a phase that ``going``
    leaves with no wave at all is no longer there for the phases that need it
    (transitively).  Rolling back only a phase's last wave leaves it applied.
    """
    out = {w.key for w in going}
    changed = True
    while changed:
        changed = False
        applied_after = {w.phase for w in waves if w.key not in out}
        gone = {w.phase for w in waves} - applied_after
        first_gone = {}  # phase -> its oldest wave being rolled back
        for w in waves:
            if w.key in out:
                first_gone.setdefault(w.phase, w.order)
        for w in waves:
            if w.key in out:
                continue
            if w.order > first_gone.get(w.phase, w.order) or _needs(w.phase) & gone:
                out.add(w.key)
                changed = True
    keys = {w.key for w in going}
    return sorted((w for w in waves if w.key in out and w.key not in keys), key=lambda w: -w.order)


def _stacked_on(
    waves: list[LedgerEntry], going: list[LedgerEntry], dependents: list[LedgerEntry], touched: Callable[[str], set[str]]
) -> list[LedgerEntry]:
    """``dependents`` plus the waves applied after ``going`` that changed the same files (for --cascade), newest first.

    Their edits sit on top of ``going``'s (phase D rewrites lines phase C rewrote):
    ``going`` cannot be undone underneath them, so they are rolled back first.
    ``touched(key)``: the files wave ``key`` changed (from its journal).
    """
    first = min(w.order for w in going)
    out = {w.key for w in [*going, *dependents]}
    changed = True
    while changed:
        changed = False
        base = set().union(*(touched(k) for k in out))
        for w in waves:
            if w.key in out or w.order < first:
                continue
            if touched(w.key) & base:
                out.add(w.key)
                changed = True
        more = _dependents(waves, [w for w in waves if w.key in out])
        if more:
            out |= {w.key for w in more}
            changed = True
    keys = {w.key for w in going}
    return sorted((w for w in waves if w.key in out and w.key not in keys), key=lambda w: -w.order)


def _rollback_locked(state: State, key: str, *, force: bool, event: str = "rollback") -> list[FileRestore]:
    """Roll back the one wave ``key`` (``C``, ``C.2``, ...); the caller holds the lock."""
    return _rollback_waves(state, [key], force=force, event=event)


def _rollback_waves(state: State, keys: list[str], *, force: bool, event: str = "rollback") -> list[FileRestore]:
    """Roll back the waves ``keys`` in that order (newest first); the caller holds the lock.

    Each wave's restore is computed on the contents the waves before it leave,
    all of them before the first write: a conflict in any wave writes nothing.
    """
    view: dict[str, bytes | None] = {}  # path -> its content once the waves planned so far are rolled back
    planned = []
    for key in keys:
        plan, results = _restore_plan(state, key, view, force=force)
        for rec, data, _action in plan:
            view[rec.path] = data
        planned.append((key, plan, results))
    out: list[FileRestore] = []
    for key, plan, results in planned:
        out += _write_restore(state, key, plan, results, event)
    return out


def _restore_plan(
    state: State, key: str, view: dict[str, bytes | None], *, force: bool
) -> tuple[list[tuple[FileRecord, bytes | None, str]], list[FileRestore]]:
    """What rolling back wave ``key`` writes, given the files' contents (``view`` first, then the disk)."""
    journal = state.read_journal(key)
    plan: list[tuple[FileRecord, bytes | None, str]] = []
    conflicts: list[str] = []
    results: list[FileRestore] = []
    for rec in journal.files:
        path = state.safe_path(rec.path)
        if path.is_symlink():
            conflicts.append(f"{rec.path}: is now a symbolic link; not writing through it")
            continue
        if rec.path in view:
            cur = view[rec.path]
        else:
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
            f"cannot roll back phase {key}: files were edited after apply in ways that conflict; "
            "nothing was written (resolve them, or pass --force to discard those edits)",
            details=conflicts,
        )
    return plan, results


def _write_restore(
    state: State, key: str, plan: list[tuple[FileRecord, bytes | None, str]], results: list[FileRestore], event: str
) -> list[FileRestore]:
    entry = next((e for e in state.read_waves() if e.key == key), None)
    if entry is not None:
        entry.status = ROLLING_BACK
        state.set_entry(entry, f"{event}-start")
    for rec, data, action in plan:
        path = state.safe_path(rec.path)
        if data is None:
            if path.exists():
                atomic_delete(path)
            _prune_created_dirs(state, rec.created_dirs)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data, mode=rec.mode_before)
        results.append(FileRestore(rec.path, action))
        _fault_point("after-restore")
    state.drop_entry(key, event)
    return results


def _missing_dirs(state: State, path: Path) -> list[str]:
    """The folders above ``path`` that do not exist yet (deepest first), relative to the root."""
    out: list[str] = []
    folder = path.parent
    while not folder.exists() and folder != state.root:
        out.append(folder.relative_to(state.root).as_posix())
        folder = folder.parent
    return out


def _prune_created_dirs(state: State, dirs: list[str]) -> None:
    """Remove the folders the phase created, deepest first, while they are empty.

    An empty folder left behind would import as a namespace package; a folder that
    existed before the apply (even an empty one) is the user's and stays.
    """
    for rel in dirs:
        try:
            state.safe_path(rel).rmdir()  # only succeeds when empty
        except OSError:
            return


# -- status ------------------------------------------------------------------------------


@dataclass
class WaveStatus:
    """One apply of a phase, from the ledger, its journal and the files' hashes now."""

    key: str  # C, C.2, ...: its directory under .ssot-migrate/phases/
    wave: int
    status: str  # applied | applying | rolling-back
    applied_at: float
    files: int
    edited_since_apply: list[str] = field(default_factory=list)
    #: Files a later applied wave rewrote (or deleted) since: path -> that wave.  Not drift.
    changed_by_later: dict[str, str] = field(default_factory=dict)
    reverted_outside_tool: bool = False
    error: str | None = None


@dataclass
class PhaseStatus:
    phase: str
    title: str
    status: str  # applied | applying | rolling-back (its latest wave's) | pending | clean (only with a plan)
    applied_at: float | None = None
    files: int = 0  # distinct files its waves changed
    #: What a plan of the phase would do now: None unless status was asked to plan (``status --plan``).
    pending_edits: int | None = None
    pending_files: int | None = None
    remaining_refs: int | None = None
    edited_since_apply: list[str] = field(default_factory=list)
    #: Files a later applied phase rewrote (or deleted) since: path -> that wave.  Not drift.
    changed_by_later: dict[str, str] = field(default_factory=dict)
    reverted_outside_tool: bool = False
    needs: tuple[str, ...] = ()
    error: str | None = None
    waves: list[WaveStatus] = field(default_factory=list)


@dataclass
class StatusResult:
    root: Path
    phases: list[PhaseStatus]
    lock: dict | None = None
    stale_lock: bool = False
    planned: bool = False
    #: Temp files of a killed run (``unlock``, ``rollback`` and ``apply`` remove them).
    leftover_temp: list[str] = field(default_factory=list)


def status(spec: Spec, *, plan: bool = False, jobs: int | None = None) -> StatusResult:
    """Applied waves and drift since apply (see :func:`ledger_status`).  Read-only.

    It is the first command after a crash, so it plans nothing unless asked:
    with ``plan`` it also plans every phase to count the legacy references left.
    """
    result = ledger_status(spec.root)
    if plan:
        for ps in result.phases:
            try:
                p = build_plan(spec, ps.phase, Options(), jobs=jobs)
                ps.pending_edits = p.edit_count
                ps.pending_files = len(p.changes)
                ps.remaining_refs = count_remaining(p)
                if not ps.waves and not p.changes and not ps.remaining_refs:
                    ps.status = "clean"
            except MigrateError as exc:
                ps.error = exc.message
        result.planned = True
    return result


def ledger_status(root: Path) -> StatusResult:
    """Applied waves and drift since apply, from the ledger, the journals and the files' hashes only.

    No spec, no plan, no phase module imported: the answer after a crash comes in well under a second.
    """
    from .catalog import phase_catalog
    from .state import lock_is_stale

    state = State(root)
    waves = state.read_waves() if state.dir.exists() else []
    journals: dict[str, Any] = {}  # wave -> its journal, or the MigrateError reading it
    for w in waves:
        try:
            journals[w.key] = state.read_journal(w.key)
        except MigrateError as exc:
            journals[w.key] = exc
    # What each applied wave left in each file: a file a later wave rewrote is not drift.
    left_by: dict[str, list[tuple[int, str, str | None]]] = {}
    for w in waves:
        if not isinstance(journals[w.key], MigrateError):
            for rec in journals[w.key].files:
                left_by.setdefault(rec.path, []).append((w.order, w.key, rec.after))
    current: dict[str, str | None] = {}  # path -> sha256 now (a file several waves touched is hashed once)
    by_phase: dict[str, list[WaveStatus]] = {}
    for w in waves:
        ws = WaveStatus(w.key, w.wave, w.status, w.applied_at, w.files)
        by_phase.setdefault(w.phase, []).append(ws)
        try:
            journal = journals[w.key]
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
                    later = [k for order, k, after in sorted(left_by.get(rec.path, ())) if order > w.order and after == cur]
                    if later:
                        ws.changed_by_later[rec.path] = later[-1]
                    else:
                        ws.edited_since_apply.append(rec.path)
            ws.reverted_outside_tool = w.status == APPLIED and bool(journal.files) and at_before == len(journal.files)
        except MigrateError as exc:
            ws.error = exc.message
    phases: list[PhaseStatus] = []
    catalog = phase_catalog()
    for letter, info in catalog.items():
        ps = PhaseStatus(letter, info.title, "pending", needs=info.needs)
        mine = by_phase.get(letter, [])
        if mine:
            _summarise_waves(ps, mine, [w for w in waves if w.phase == letter], journals)
        phases.append(ps)
    for letter in sorted(set(by_phase) - set(catalog)):  # recorded by a version that had this phase
        ps = PhaseStatus(letter, "?", "pending", error=f"phase {letter} is not provided by this version of ssot-migrate")
        _summarise_waves(ps, by_phase[letter], [w for w in waves if w.phase == letter], journals)
        phases.append(ps)
    lock = None
    stale = False
    lock_path = state.dir / "lock"
    if lock_path.exists():
        lock = state.lock("status").read()
        stale = lock_is_stale(lock or {})
    return StatusResult(root, phases, lock, stale, leftover_temp=_leftover_temp(state))


def _summarise_waves(ps: PhaseStatus, mine: list[WaveStatus], entries: list[LedgerEntry], journals: dict[str, Any]) -> None:
    """The phase's line: its latest wave's status; the files, drift and errors of all its waves."""
    latest = mine[-1]
    ps.status, ps.applied_at, ps.waves = latest.status, latest.applied_at, mine
    files: set[str] = set()
    edited: set[str] = set()
    own = {w.key for w in mine}
    for ws, entry in zip(mine, entries):
        journal = journals.get(entry.key)
        if isinstance(journal, Journal):  # an unreadable one: its error is in ws.error
            files |= {rec.path for rec in journal.files}
        edited |= set(ws.edited_since_apply)
        # A file the phase's own later wave rewrote is the phase's current work, not another phase's.
        ps.changed_by_later.update({p: k for p, k in ws.changed_by_later.items() if k not in own})
        ps.reverted_outside_tool = ps.reverted_outside_tool or ws.reverted_outside_tool
        ps.error = ps.error or ws.error
    ps.files = len(files) if files else sum(e.files for e in entries)
    ps.edited_since_apply = sorted(edited)
    for p in list(ps.changed_by_later):
        if p in edited:
            del ps.changed_by_later[p]


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
