"""The ``ssot-migrate`` command line.  Each command parses options, calls a verb, renders.

Exit codes: 0 all well; 1 changes pending (``plan --check``), gate failed,
plan has errors or drift; 2 usage or spec error; 123 internal error (a bug);
130 interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM, as sent by CI
runners and ``timeout``).  Both signals unwind the same way: temp files are
removed, the lock is released, the journal keeps the repository recoverable.
"""

from __future__ import annotations

import enum
import functools
import signal
import sys
import traceback
from pathlib import Path
from typing import Optional


import typer
from rich.console import Console

from . import __version__, commands, render
from .entry import print_status
from .errors import MigrateError, UsageError
from .phase import Options
from .spec import Spec, load_spec

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: rich markup would eat "[tool.ssot-migrate]" and print <bool> after every flag.
    rich_markup_mode=None,
    help="Consolidate many implementations into a single source of truth, in phases you can roll back.",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_STATE = {"debug": False}


class Format(str, enum.Enum):
    text = "text"
    json = "json"


PHASE_HELP = "Phase letter: A-E, or S (shim generation)."
SpecOpt = typer.Option(None, "--spec", help="Spec file (TOML). Default: [tool.ssot-migrate] in the nearest pyproject.toml.")
JobsOpt = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes (default: all cores).")
RenameOpt = typer.Option(False, "--rename-uses", help="Rename uses of renamed symbols instead of importing them under the old name.")
DocsOpt = typer.Option(False, "--include-docs", help="Also rewrite legacy paths in comments and docstrings.")
StrictOpt = typer.Option(False, "--strict", help="Treat every skipped file as an error.")
ForceOpt = typer.Option(False, "--force", help="Phase E: remove even if the project's version has not reached remove-in.")
UsageOpt = typer.Option(None, "--usage", help="Phase E: a shim telemetry JSON file (repeatable); any hit blocks a removal.")
MaxSizeOpt = typer.Option(None, "--max-file-size", metavar="SIZE", help="Skip (and name) files larger than this, e.g. 5MB (default 2MB, or the spec's max-file-size; 0: no limit).")
VerboseOpt = typer.Option(False, "--verbose", "-v", help="List every report (by default warnings beyond the first 20 are counted; skipped files are always named).")
SkipsOpt = typer.Option(False, "--allow-skips", help="A custom step that cannot read a file (Bowler on 3.10+ syntax) is a warning, not an error.")


class Prefer(str, enum.Enum):
    canonical = "canonical"
    legacy = "legacy"


PreferOpt = typer.Option(None, "--prefer", help="Phase B: when a file defines both keys with different values, keep this one's value.")


def _spec(path: Optional[Path]) -> Spec:
    if path is not None and not path.exists():
        raise UsageError(f"spec file not found: {path}")
    return load_spec(path)


def _options(rename_uses: bool, include_docs: bool, strict: bool, allow_skips: bool = False, prefer: Optional[Prefer] = None,
             force: bool = False, usage: Optional[list[Path]] = None, max_file_size: Optional[str] = None) -> Options:
    extra: dict = {"prefer": prefer.value} if prefer is not None else {}
    size = None
    if max_file_size is not None:
        from .spec import parse_size

        try:
            size = parse_size(max_file_size)
        except ValueError as exc:
            raise UsageError(f"--max-file-size: {exc}") from None
    if force:
        extra["force_removal"] = True  # phase E
    if usage:
        extra["usage_files"] = tuple(str(u.resolve()) for u in usage)  # phase E
    return Options(rename_uses=rename_uses, include_docs=include_docs, strict=strict, allow_skips=allow_skips, extra=extra,
                   max_file_size=size)


def _progress():
    """A rich progress callback on a TTY; nothing otherwise."""
    if not err.is_terminal:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn("parsing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True)
    task = prog.add_task("files", total=None)

    def cb(done: int, total: int) -> None:
        prog.update(task, completed=done, total=total)

    return prog, cb


class Interrupted(MigrateError):
    """Ctrl-C: the journal keeps the repository recoverable."""

    exit_code = 130


class Terminated(Interrupted):
    """SIGTERM: handled exactly like Ctrl-C, with the conventional 128 + 15."""

    exit_code = 143


class _SigTerm(KeyboardInterrupt):
    """Raised by the SIGTERM handler wherever the process is, so every cleanup written for
    Ctrl-C (temp files, the lock, the pool's workers) runs for SIGTERM too."""


def _on_sigterm(signum: int, frame: object) -> None:
    # One unwind is enough: a second SIGTERM during the cleanup is ignored (SIGKILL still works).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _SigTerm()


def _install_signal_handlers() -> None:
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (main() called from a thread): keep the default
        pass


_RECOVER = "run `ssot-migrate status` to see the state, then `rollback` or `apply` to finish"


def _guard(fn):
    """Turn Ctrl-C or SIGTERM inside a command into one clear line (click would swallow it)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _SigTerm:
            raise Terminated(f"terminated (SIGTERM); {_RECOVER}") from None
        except KeyboardInterrupt:
            raise Interrupted(f"interrupted; {_RECOVER}") from None

    return wrapper


def _print_version(value: bool) -> None:
    if value:
        out.print(f"ssot-migrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for every error."),
    version: bool = typer.Option(False, "--version", is_eager=True, expose_value=False, callback=_print_version,
                                 help="Print the version and exit."),
) -> None:
    _STATE["debug"] = debug


@app.command()
@_guard
def plan(
    phase: str = typer.Argument(..., metavar="PHASE", help=PHASE_HELP),
    spec: Optional[Path] = SpecOpt,
    check: bool = typer.Option(False, "--check", help="Exit 1 when changes are pending (for CI)."),
    fmt: Format = typer.Option(Format.text, "--format", help="text: diff on stdout, summary on stderr; json: one document."),
    no_diff: bool = typer.Option(False, "--no-diff", help="Summary and reports only."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list info-level reports."),
    rename_uses: bool = RenameOpt,
    include_docs: bool = DocsOpt,
    strict: bool = StrictOpt,
    allow_skips: bool = SkipsOpt,
    prefer: Optional[Prefer] = PreferOpt,
    force: bool = ForceOpt,
    usage: Optional[list[Path]] = UsageOpt,
    max_file_size: Optional[str] = MaxSizeOpt,
    jobs: Optional[int] = JobsOpt,
) -> None:
    """Show what a phase would change (a unified diff), and everything it reports."""
    s = _spec(spec)
    opts = _options(rename_uses, include_docs, strict, allow_skips, prefer, force, usage, max_file_size)
    prog, cb = _progress()
    if prog:
        with prog:
            result = commands.plan(s, phase, opts, jobs=jobs, progress=cb)
    else:
        result = commands.plan(s, phase, opts, jobs=jobs)
    if fmt is Format.json:
        sys.stdout.write(render.plan_json(result, include_diff=not no_diff) + "\n")
    else:
        if not no_diff:
            sys.stdout.write(render.plan_diff(result))
            sys.stdout.flush()
        from .results import Severity

        for line in render.report_lines(result, min_severity=Severity.INFO if verbose else Severity.WARNING, grouped=not verbose):
            err.print(line, markup=False)
        err.print(render.plan_summary(result), markup=False)
    if result.has_errors:
        # Refused files, step failures and (with --strict) skips: apply would refuse this plan.
        raise typer.Exit(1)
    if check and (result.changes or result.legacy_left()):
        raise typer.Exit(1)


@app.command()
@_guard
def apply(
    phase: str = typer.Argument(..., metavar="PHASE", help=PHASE_HELP),
    spec: Optional[Path] = SpecOpt,
    allow_dirty: bool = typer.Option(False, "--allow-dirty", help="Run on a dirty git tree (files the phase touches must still be clean)."),
    verify: Optional[str] = typer.Option(None, "--verify", help="Gate command (e.g. \"pytest -q tests\"); on failure the phase is rolled back."),
    gate: bool = typer.Option(False, "--gate", help="Use the spec's `gate` command as --verify."),
    rename_uses: bool = RenameOpt,
    include_docs: bool = DocsOpt,
    strict: bool = StrictOpt,
    allow_skips: bool = SkipsOpt,
    prefer: Optional[Prefer] = PreferOpt,
    force: bool = ForceOpt,
    usage: Optional[list[Path]] = UsageOpt,
    max_file_size: Optional[str] = MaxSizeOpt,
    verbose: bool = VerboseOpt,
    jobs: Optional[int] = JobsOpt,
) -> None:
    """Apply a phase: journal, write atomically, record it, and run the gate."""
    s = _spec(spec)
    command = verify
    if gate:
        if not s.gate:
            raise UsageError("--gate given but the spec has no `gate` command")
        command = command or s.gate
    result = commands.apply(
        s,
        phase,
        _options(rename_uses, include_docs, strict, allow_skips, prefer, force, usage, max_file_size),
        allow_dirty=allow_dirty,
        verify=command,
        jobs=jobs,
        on_gate_start=lambda c: err.print(f"running gate: {c}", markup=False),
    )
    if result.plan is not None:
        for line in render.report_block(result.plan, verbose=verbose):
            err.print(line, markup=False)
        err.print(render.plan_summary(result.plan), markup=False)
    err.print(render.apply_text(result), markup=False)


@app.command()
@_guard
def rollback(
    phase: str = typer.Argument(..., metavar="PHASE", help=PHASE_HELP),
    spec: Optional[Path] = SpecOpt,
    cascade: bool = typer.Option(False, "--cascade", help="Also roll back applied phases that depend on this one, or that changed the same files after it."),
    force: bool = typer.Option(False, "--force", help="Discard edits made after apply when they conflict."),
    all_waves: bool = typer.Option(False, "--all", help="Roll back every wave of the phase (newest first), not only the last one."),
) -> None:
    """Restore every file the phase's last wave changed; edits made since are merged, never overwritten."""
    s = _spec(spec)
    result = commands.rollback(s.root, phase, cascade=cascade, force=force, all_waves=all_waves)
    err.print(render.rollback_text(result), markup=False)


@app.command()
@_guard
def status(
    spec: Optional[Path] = SpecOpt,
    fmt: Format = typer.Option(Format.text, "--format", help="text: a table; json: one document."),
    plan: bool = typer.Option(False, "--plan", help="Also plan every phase to count pending edits and legacy references left (slow: as long as a plan of each phase)."),
    jobs: Optional[int] = JobsOpt,
) -> None:
    """Show applied phases and their waves, and drift since apply, from the ledger and journals.  Read-only."""
    s = _spec(spec)
    print_status(commands.status(s, plan=plan, jobs=jobs), fmt is Format.json)


@app.command()
@_guard
def unlock(
    spec: Optional[Path] = SpecOpt,
    force: bool = typer.Option(False, "--force", help="Remove the lock even if its process seems alive."),
) -> None:
    """Remove a stale lock left by a run that was killed."""
    s = _spec(spec)
    result = commands.unlock(s.root, force=force)
    info = result.lock
    err.print("no lock to remove" if info is None else f"removed lock of pid {info.get('pid')} ({info.get('command')})", markup=False)
    if result.temp_removed:
        err.print(render.temp_files_line(result.temp_removed, "removed"), markup=False)


@app.command()
@_guard
def explain(phase: str = typer.Argument(..., metavar="PHASE", help=PHASE_HELP)) -> None:
    """Describe what a phase does, why, and what it never does."""
    from .engine import get_phase

    ph = get_phase(phase)
    mod = sys.modules[type(ph).__module__]
    out.print((mod.__doc__ or ph.describe()).strip(), markup=False)
    if ph.needs:
        out.print(f"\nNeeds: phase(s) {', '.join(ph.needs)} applied first.", markup=False)


@app.command()
@_guard
def init(
    root: Path = typer.Argument(Path("."), help="The repository to scan (default: the current directory)."),
    pattern: Optional[list[str]] = typer.Option(None, "--pattern", help="Class-name glob of the implementations, e.g. '*WebSocketManager' (repeatable)."),
    canonical: Optional[str] = typer.Option(None, "--canonical", help="The path to keep, 'pkg.module:Name' (default: the most imported implementation)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write a standalone spec file (use it with --spec) instead of ROOT/pyproject.toml."),
    to_stdout: bool = typer.Option(False, "--stdout", help="Print the draft; write nothing."),
    force: bool = typer.Option(False, "--force", help="Replace an existing [tool.ssot-migrate] section (or --output file)."),
    jobs: Optional[int] = JobsOpt,
) -> None:
    """Draft a spec from the code: implementations, moves, config keys, factories, each with its evidence."""
    from . import init as init_mod

    result = init_mod.run_init(root, pattern or (), canonical=canonical, output=output, stdout=to_stdout, force=force, jobs=jobs)
    if result.written is None:
        sys.stdout.write(result.text)
    err.print(init_mod.summary(result), markup=False)


class AuditFormat(str, enum.Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    import_linter = "import-linter"


class CheckFormat(str, enum.Enum):
    text = "text"
    json = "json"
    github = "github"


@app.command()
@_guard
def audit(
    spec: Optional[Path] = SpecOpt,
    fmt: AuditFormat = typer.Option(AuditFormat.text, "--format", help="text | json | markdown | import-linter (a forbidden contract for the legacy modules)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Fail (exit 1) when any count is higher than in this file."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", help="Write the counts to this file (refused while a count grows past --baseline)."),
    usage: Optional[list[Path]] = typer.Option(None, "--usage", help="A shim telemetry JSON file (repeatable): report the shim hits."),
    pattern: Optional[list[str]] = typer.Option(None, "--pattern", help="Class-name glob for the implementations (default: the spec's)."),
    jobs: Optional[int] = JobsOpt,
) -> None:
    """The fragmentation report: implementations, import paths, factory calls, config keys, gaps, shim hits."""
    from . import audit as audit_mod

    s = _spec(spec)
    result = audit_mod.run_audit(s, usage=usage or (), patterns=pattern or (), jobs=jobs)
    if baseline is not None:
        audit_mod.apply_baseline(result, baseline)
    render_fn = {
        AuditFormat.text: audit_mod.render_text,
        AuditFormat.json: audit_mod.render_json,
        AuditFormat.markdown: audit_mod.render_markdown,
        AuditFormat.import_linter: audit_mod.render_import_linter,
    }[fmt]
    sys.stdout.write(render_fn(result))
    if write_baseline is not None:
        if result.grown:
            err.print(f"not writing {write_baseline}: {len(result.grown)} count(s) grew past the baseline", markup=False)
        else:
            write_baseline.write_text(audit_mod.baseline_json(result.counts), encoding="utf-8")
            err.print(f"wrote {len(result.counts)} count(s) to {write_baseline}", markup=False)
    if not result.ok:
        err.print(f"audit: {len(result.grown)} count(s) grew past the baseline {baseline}", markup=False)
        raise typer.Exit(1)


@app.command()
@_guard
def check(
    spec: Optional[Path] = SpecOpt,
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Also fail when a count is higher than in this file (see `audit --write-baseline`)."),
    fmt: CheckFormat = typer.Option(CheckFormat.text, "--format", help="text | json | github (workflow annotations)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore and do not write .ssot-migrate/cache/."),
    jobs: Optional[int] = JobsOpt,
) -> None:
    """Fast guard for CI and pre-commit: exit 1 when a legacy reference comes back or a count grows."""
    from . import guard

    if spec is not None and not spec.exists():
        raise UsageError(f"spec file not found: {spec}")
    result = guard.run_check(spec, baseline=baseline, jobs=jobs, use_cache=not no_cache)
    sys.stdout.write(guard.render(result, fmt.value))
    if not result.ok:
        raise typer.Exit(1)


@app.command()
@_guard
def demo(
    example: Optional[Path] = typer.Option(None, "--example", help="Example directory (default: the bundled examples/websocket_app)."),
) -> None:
    """Run the migration on a temp copy of the bundled example, end to end."""
    from . import demo as demo_mod

    result = demo_mod.run_demo(example or demo_mod.DEFAULT_EXAMPLE, say=lambda s: err.print(s, markup=False))
    out.print(demo_mod.summary_table(result))
    if result.phases_missing:
        out.print(f"phases not provided by this version (not run): {', '.join(result.phases_missing)}", markup=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    out.print(f"work directory (log, ledger, rollback patches): {result.workdir}", markup=False)
    out.print(f"full log: {result.log_path}", markup=False)
    for patch in result.patches:
        out.print(f"rollback patch: {patch}", markup=False)
    if not result.ok:
        failed = [s.name for s in result.steps if not s.ok]
        err.print(f"demo FAILED at: {', '.join(failed)} (the steps after it did not run; see the log)", markup=False)
        raise typer.Exit(1)
    out.print("demo finished: every step passed", markup=False)


shim_app = typer.Typer(help="Generate and verify the deprecation shims for legacy import paths.", no_args_is_help=True)
app.add_typer(shim_app, name="shim")


@shim_app.command("generate")
@_guard
def shim_generate(
    spec: Optional[Path] = SpecOpt,
    check: bool = typer.Option(False, "--check", help="Only check the generated files are up to date (exit 1 if not)."),
    force: bool = typer.Option(False, "--force", help="Generate even where the legacy module defines names the canonical one lacks (they are dropped, and listed)."),
    allow_dirty: bool = typer.Option(False, "--allow-dirty", help="Run on a dirty git tree (files it touches must still be clean)."),
    runtime: str = typer.Option("installed", "--runtime", help="installed: shims import the `shims` package; vendored: a stdlib-only copy is written into your package."),
    verbose: bool = VerboseOpt,
) -> None:
    """Rewrite each legacy module as a forwarding shim with a @deprecated .pyi stub (journaled: `rollback S`)."""
    from .results import Severity

    s = _spec(spec)
    opts = Options(extra={"force": force, "runtime": runtime})
    if check:
        result = commands.plan(s, "S", opts)
        for line in render.report_lines(result, min_severity=Severity.WARNING):
            err.print(line, markup=False)
        err.print(render.plan_summary(result), markup=False)
        if result.changes:
            sys.stdout.write(render.plan_diff(result))
            raise typer.Exit(1)
        return
    applied = commands.apply(s, "S", opts, allow_dirty=allow_dirty)
    if applied.plan is not None:
        for line in render.report_block(applied.plan, verbose=verbose):
            err.print(line, markup=False)
    err.print(render.apply_text(applied), markup=False)


@shim_app.command("verify")
@_guard
def shim_verify(
    spec: Optional[Path] = SpecOpt,
    fmt: Format = typer.Option(Format.text, "--format", help="text: a table; json: one document."),
    python: Optional[Path] = typer.Option(None, "--python", help="Import the shims with this interpreter (e.g. production's venv) instead of the tool's."),
) -> None:
    """Import every legacy path in a fresh interpreter: identity, warning and its line, submodules."""
    import json
    from dataclasses import asdict

    from rich.table import Table

    from shims.verifier import verify_all

    s = _spec(spec)
    if python is not None and not python.is_file():
        raise UsageError(f"--python {python}: no such interpreter")
    checks = verify_all(s, python=str(python) if python is not None else None)
    if not checks:
        raise UsageError("no generated shims found; run `ssot-migrate shim generate` first")
    if fmt is Format.json:
        sys.stdout.write(json.dumps([asdict(c) for c in checks], indent=2) + "\n")
        if not all(c.ok for c in checks):
            raise typer.Exit(1)
        return
    table = Table(title="shim verification")
    for col in ("legacy path", "canonical", "names", "warning", "result"):
        table.add_column(col)
    for c in checks:
        table.add_row(c.legacy, c.target, str(c.names), c.warning or "-", "ok" if c.ok else "; ".join(c.problems))
    out.print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    _install_signal_handlers()
    try:
        app(args=argv, standalone_mode=True)
    except MigrateError as exc:
        if _STATE["debug"]:
            traceback.print_exc()
        err.print(f"error: {exc.render()}", markup=False)
        sys.exit(exc.exit_code)
    except Exception:  # noqa: BLE001 - a bug: say so, with the traceback
        traceback.print_exc()
        err.print("internal error (a bug in ssot-migrate); please report it with the traceback above", markup=False)
        sys.exit(123)


if __name__ == "__main__":  # pragma: no cover
    main()
