"""Compute a :class:`Plan`: discovery, prefilter, parallel workers, self-verification.

``plan`` and ``apply`` share this one code path: apply writes exactly the plan
this module returns, after re-checking every file's hash.

Speed comes from doing less: the byte prefilter drops files that cannot
mention a legacy path before any parsing, only the move map's modules are
indexed (no repo-wide metadata), and the survivors are parsed in a process
pool (``fork`` where available, so workers inherit the warmed-up parser and
the run context instead of unpickling them per file).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .discovery import discover
from .errors import SpecError, UsageError
from .fsio import fault_point
from .modindex import ModuleIndex, build_index, validate_moves
from .phase import Options, Phase, RunContext
from .results import FileOutcome, Plan, Report, Severity, Status
from .spec import PHASES as PHASE_LETTERS, Spec
from .verify import VerifyPolicy, verify_python

#: Below this many candidate files a pool costs more than it saves.
POOL_THRESHOLD = 24

#: Files larger than this are skipped (and named) unless the limit is raised:
#: ``--max-file-size`` or the spec's ``max-file-size`` (0: no limit).  Generated
#: modules of this size take seconds to parse and verify, bigger ones minutes.
DEFAULT_MAX_FILE_SIZE = 2_000_000

Progress = Callable[[int, int], None]


def get_phase(letter: str) -> Phase:
    from codemods import PHASES

    key = letter.strip().upper()
    if key not in PHASES:
        known = ", ".join(sorted(PHASES))
        hint = "" if key in PHASE_LETTERS else f" (phases are {', '.join(PHASE_LETTERS)})"
        raise UsageError(f"unknown phase {letter!r}{hint}; available in this version: {known}")
    return PHASES[key]()


def make_context(spec: Spec, letter: str, options: Options, index: ModuleIndex | None = None) -> RunContext:
    """Validate the spec against the repository for ``letter`` and build the run context."""
    from .steps import check_step

    phase = get_phase(letter)
    index = index or build_index(spec)
    errors = validate_moves(spec, index) + phase.spec_errors(spec, index)
    steps = tuple(s for s in spec.sections.get("step", ()) if s.phase == phase.letter)
    errors += [p for p in (check_step(spec.root, s) for s in steps) if p]
    if errors:
        raise SpecError(f"{spec.path}: the spec does not match the repository", details=errors)
    return RunContext(spec, index, options, phase.letter, phase.prepare(spec, index, options), steps)


@dataclass(frozen=True)
class Candidates:
    files: list[str]  # all discovered files with the phase's suffixes
    matched: list[tuple[str, bytes]]  # those the prefilter kept, with their bytes
    unreadable: list[FileOutcome]


def collect_candidates(ctx: RunContext, phase: Phase, paths: Iterable[str] | None = None) -> Candidates:
    spec = ctx.spec
    if paths is None:
        found = discover(spec.root, phase.include(ctx), spec.exclude)
        files = [f for f in found.files if phase.wants(ctx, f)]
        links = [f for f in found.symlinks if phase.wants(ctx, f)]
    else:
        files, links = list(paths), []
    # Custom steps bring no prefilter of their own: with steps, every file is a candidate
    # and process_file applies the phase's prefilter to the phase's own transform.
    pattern = None if ctx.steps else phase.prefilter(ctx)
    matched: list[tuple[str, bytes]] = []
    unreadable = [FileOutcome(f, Status.SKIPPED, reason="symbolic link: never read or written through") for f in links]
    for rel in files:
        try:
            data = (spec.root / rel).read_bytes()
        except OSError as exc:
            unreadable.append(FileOutcome(rel, Status.SKIPPED, reason=f"cannot read: {exc.strerror or exc}"))
            continue
        if pattern is None or pattern.search(data):
            matched.append((rel, data))
    return Candidates(files, matched, unreadable)


# -- workers ---------------------------------------------------------------------

_WORKER_CTX: RunContext | None = None

#: How often a worker checks that the process that started it is still alive.
PARENT_POLL_SECONDS = 0.5


def _init_worker(ctx: RunContext, parent: int) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx
    # The parent decides about interrupts: Ctrl-C (sent to the whole process
    # group) must not kill a chunk half-way, and SIGTERM from the parent's
    # cleanup must end the worker (a forked worker inherits the CLI's handler).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Exit as soon as ``parent`` is gone (``kill -9``): an orphaned worker would hold the
    terminal's stdout/stderr open, so ``ssot-migrate apply C | tee log`` would never end.

    Linux: the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``).
    Everywhere: a daemon thread polls ``getppid()``, which changes once we are orphaned.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # died before the prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="ssot-migrate-parent-watch", daemon=True).start()


def _work_chunk(items: list[tuple[str, bytes]]) -> list[FileOutcome]:
    assert _WORKER_CTX is not None
    return [process_file(_WORKER_CTX, rel, data) for rel, data in items]


#: Above this size a file is processed with the cyclic garbage collector paused.
GC_PAUSE_SIZE = 256_000


def process_file(ctx: RunContext, rel: str, data: bytes) -> FileOutcome:
    """Run one phase on one file; never raises (a crash is a FAILED outcome).

    A big file's syntax trees are millions of objects, created faster than the
    collector's thresholds assume: its repeated full collections made parsing
    superlinear (``ast.parse`` of a 1 MB generated module: 5.7 s with the
    collector on, 2.1 s paused).  The trees hold no cycles, so pausing it for
    that one file costs no memory; it is resumed (and runs) right after.
    """
    if len(data) < GC_PAUSE_SIZE or not gc.isenabled():
        return _process_file(ctx, rel, data)
    gc.disable()
    try:
        return _process_file(ctx, rel, data)
    finally:
        gc.enable()


def _process_file(ctx: RunContext, rel: str, data: bytes) -> FileOutcome:
    phase = get_phase(ctx.phase)
    if b"\0" in data:
        return FileOutcome(rel, Status.SKIPPED, reason="binary file (contains NUL bytes)")
    too_big = _over_size_limit(ctx, len(data))
    if too_big:
        return FileOutcome(rel, Status.SKIPPED, reason=too_big)
    try:
        if ctx.steps and not _prefilter_matches(ctx, phase, data):
            outcome = FileOutcome(rel, Status.UNCHANGED)
        else:
            outcome = phase.transform(ctx, rel, data)
    except UnicodeDecodeError as exc:
        return FileOutcome(rel, Status.SKIPPED, reason=f"cannot decode: {exc.reason} at byte {exc.start}")
    except RecursionError:
        return FileOutcome(rel, Status.SKIPPED, reason="too deeply nested to parse")
    except Exception as exc:  # noqa: BLE001 - a worker never raises across the pool
        tb = traceback.format_exc(limit=6)
        return FileOutcome(rel, Status.FAILED, reason=f"internal error: {exc!r}\n{tb}")
    if (
        outcome.status is Status.CHANGED
        and phase.python_sources
        and rel.endswith(".py")
        and not outcome.delete
        and outcome.before is not None
    ):
        problems = verify_python(data, outcome.after or b"", phase.verify_policy(ctx, outcome))
        if not problems:
            problems = phase.check_output(ctx, outcome)
        if problems:
            return FileOutcome(
                rel,
                Status.FAILED,
                reports=outcome.reports,
                reason="self-verification refused the rewrite (nothing written): " + "; ".join(problems),
            )
    if ctx.steps and outcome.status in (Status.CHANGED, Status.UNCHANGED) and rel.endswith(".py") and not outcome.delete:
        return _run_steps(ctx, rel, data, outcome)
    return outcome


def max_file_size(ctx: RunContext) -> int:
    """The size limit for one file in bytes (0: none): the command line's, the spec's, or the default."""
    for limit in (ctx.options.max_file_size, getattr(ctx.spec, "max_file_size", None)):
        if limit is not None:
            return limit
    return DEFAULT_MAX_FILE_SIZE


def _over_size_limit(ctx: RunContext, size: int) -> str | None:
    limit = max_file_size(ctx)
    if not limit or size <= limit:
        return None
    need = f"{-(-size // 10**6)}MB" if size >= 10**6 else f"{-(-size // 10**3)}kB"  # rounded up
    return (
        f"{_human(size)} is over the {_human(limit)} limit for one file; "
        f"to include it pass --max-file-size {need} (or set max-file-size in the spec; 0: no limit)"
    )


def _human(n: int) -> str:
    return f"{n / 1e6:.3g} MB" if n >= 10**6 else f"{n / 1e3:.3g} kB" if n >= 10**3 else f"{n} bytes"


def _prefilter_matches(ctx: RunContext, phase: Phase, data: bytes) -> bool:
    pattern = ctx.cache.get("prefilter", lambda: phase.prefilter(ctx))
    return pattern is None or bool(pattern.search(data))


def _run_steps(ctx: RunContext, rel: str, data: bytes, outcome: FileOutcome) -> FileOutcome:
    """Apply the spec's custom steps, in order, to the phase's output for this file."""
    from .steps import StepError, StepSkip, run_step

    current = outcome.after if outcome.status is Status.CHANGED and outcome.after is not None else data
    reports = list(outcome.reports)
    edits = outcome.edits
    modinfo = ctx.index.module_for_path(rel)
    for step in ctx.steps:
        try:
            result = run_step(ctx.spec.root, step, rel, current, modinfo[0] if modinfo else None)
        except StepSkip as exc:
            sev = Severity.WARNING if ctx.options.allow_skips else Severity.ERROR
            reports.append(Report(rel, 1, "S002", f"step {step.name!r} skipped this file: {exc}", sev))
            continue
        except StepError as exc:
            return FileOutcome(rel, Status.FAILED, reports=tuple(reports), reason=f"{exc} (nothing written)")
        except Exception as exc:  # noqa: BLE001
            return FileOutcome(rel, Status.FAILED, reports=tuple(reports), reason=f"step {step.name!r} raised {exc!r} (nothing written)")
        reports += [Report(rel, 1, "S001", f"step {step.name!r}: {w}", Severity.WARNING) for w in result.warnings]
        if result.after != current:
            problems = verify_python(current, result.after, VerifyPolicy(expr_kinds=(), comments_may_change=True, any_change=True))
            if problems:
                return FileOutcome(
                    rel, Status.FAILED, reports=tuple(reports), reason=f"step {step.name!r} produced invalid code: {'; '.join(problems)}"
                )
            current = result.after
            edits += 1
    if current == data:
        return FileOutcome(rel, Status.UNCHANGED, reports=tuple(reports), facts=outcome.facts)
    return FileOutcome(rel, Status.CHANGED, before=data, after=current, edits=edits, reports=tuple(reports), facts=outcome.facts)


def build_plan(
    spec: Spec,
    letter: str,
    options: Options = Options(),
    *,
    jobs: int | None = None,
    paths: Iterable[str] | None = None,
    progress: Progress | None = None,
    ctx: RunContext | None = None,
) -> Plan:
    """Compute everything ``letter`` would change; writes nothing."""
    ctx = ctx or make_context(spec, letter, options)
    phase = get_phase(ctx.phase)
    cands = collect_candidates(ctx, phase, paths)
    outcomes = list(cands.unreadable)
    outcomes += run_files(ctx, cands.matched, jobs=jobs, progress=progress)
    outcomes += phase.generate(ctx)
    outcomes.sort(key=lambda o: o.path)
    plan = Plan(
        phase=ctx.phase,
        spec_hash=spec.raw_hash,
        outcomes=outcomes,
        files_scanned=len(cands.files),
        files_parsed=len(cands.matched),
        options={
            "rename_uses": options.rename_uses,
            "include_docs": options.include_docs,
            "strict": options.strict,
            "allow_skips": options.allow_skips,
        },
    )
    plan.reports.extend(phase.finalize(ctx, plan))
    for o in plan.skipped:
        m = re.search(r"\bline (\d+)", o.reason)
        plan.reports.append(
            Report(
                o.path,
                int(m.group(1)) if m else 1,
                "E001",
                f"skipped: {o.reason}",
                Severity.ERROR if options.strict else Severity.WARNING,
            )
        )
    for o in plan.failed:
        plan.reports.append(Report(o.path, 1, "E002", o.reason.splitlines()[0], Severity.ERROR))
    return plan


def run_files(
    ctx: RunContext, items: list[tuple[str, bytes]], *, jobs: int | None = None, progress: Progress | None = None
) -> list[FileOutcome]:
    jobs = jobs or os.cpu_count() or 1
    total = len(items)
    if jobs <= 1 or total < POOL_THRESHOLD:
        out = []
        for i, (rel, data) in enumerate(items):
            out.append(process_file(ctx, rel, data))
            if progress:
                progress(i + 1, total)
        return out
    # Chunks balance load while keeping pickling overhead low.
    size = max(1, min(64, total // (jobs * 4) or 1))
    chunks = [items[i : i + size] for i in range(0, total, size)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" else "spawn"
    out: list[FileOutcome] = []
    pool = ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context(method), initializer=_init_worker, initargs=(ctx, os.getpid())
    )
    try:
        done = 0
        for result in pool.map(_work_chunk, chunks):
            out.extend(result)
            done += len(result)
            fault_point("pool-running")
            if progress:
                progress(done, total)
    except BaseException:
        _stop_workers(pool)  # Ctrl-C / SIGTERM: do not wait for the chunks in flight
        raise
    pool.shutdown()
    return out


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and kill the workers now (they hold nothing to clean up).

    ``shutdown`` alone waits for every chunk already running (minutes on a big
    file).  The executor has no public handle on its processes, hence the
    guarded look at ``_processes``.
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()  # not terminate(): SIGTERM would wait while a worker is stopped
        except (OSError, ValueError, AttributeError):
            pass
    for p in procs:
        try:
            p.join(5)
        except (OSError, ValueError, AssertionError):
            pass
