"""``ssot-migrate demo``: the bundled example migrated as an operator would, end to end.

Copies ``examples/websocket_app`` into a temporary git repository and runs the
real verbs on it, in the playbook's order: the audit (before); for each phase
its plan, the apply with the mission-critical gate, a commit and the SSOT
suite's score; the shims generated (phase S) and verified once D has made the
legacy module's own factories unused, before E removes the legacy modules; a
deliberately failing gate that rolls itself back; a manual rollback of C
(cascading to the phases stacked on it) and the re-apply of each, checked byte
for byte; the audit (after).  The before/after table is built from the two
audits.  Every number printed comes from the run.  The first failed step stops
the demo and makes it exit non-zero.  The temp directory keeps the full log
(``demo.log``: every step and the rendered output of the verbs it ran), the
ledger and every phase's rollback patch; its path is printed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import commands, render
from .errors import GateFailed, MigrateError
from .phase import Options
from .results import Severity
from .spec import load_spec
from .state import State

if TYPE_CHECKING:  # pragma: no cover
    from .audit import AuditResult

#: The playbook's order.  S (shim generation) comes after D: before D the legacy
#: module's own factories are still called in the repository, and a shim would drop them.
PHASE_ORDER = ("A", "B", "C", "D", "S", "E")

#: The operator's decisions, each shown by the plan before it is taken:
#: the example's .env.staging sets both URL keys to different hosts, so `plan B` reports the
#: conflict (B101) and the demo applies `--prefer canonical`; after D nothing in the repository
#: calls the legacy module's own factories, so `plan S` names them (S101) and the demo generates
#: as `shim generate --force` would (dropping them); the example is at 1.9.0 and its legacy code
#: goes in 2.0, so `plan E` shows the version policy blocking the removal (E105) and the demo
#: applies as `apply E --force` would.
DEMO_OPTIONS = {
    "B": Options(extra={"prefer": "canonical"}),
    "S": Options(extra={"force": True}),
    "E": Options(extra={"force_removal": True}),
}

#: The equivalent command line of each apply, for the log.
CLI_APPLY = {
    "B": "ssot-migrate apply B --prefer canonical --gate",
    "S": "ssot-migrate shim generate --force  # then the gate",
    "E": "ssot-migrate apply E --force --gate",
}

DEFAULT_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "websocket_app"
LOG_NAME = "demo.log"


@dataclass
class Step:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass(frozen=True)
class AuditNumbers:
    """The audit's headline counts: the rows of the before/after table."""

    implementations: int
    import_paths: int
    legacy_import_paths: int
    legacy_import_sites: int
    factory_callables: int
    factory_sites: int
    config_keys: int
    config_key_sites: int
    config_duplicates: int
    config_conflicts: int
    interface_gaps: int
    legacy_hits: tuple[tuple[str, int], ...]  # (phase, legacy references its scan finds)
    not_planned: tuple[str, ...] = ()  # phases the audit could not plan (their hits are unknown)

    @property
    def legacy_hits_total(self) -> int:
        return sum(n for _, n in self.legacy_hits)

    @classmethod
    def of(cls, a: "AuditResult") -> "AuditNumbers":
        legacy = [p for p in a.import_paths if p.role == "legacy"]
        return cls(
            implementations=len(a.implementations),
            import_paths=len(a.import_paths),
            legacy_import_paths=len(legacy),
            legacy_import_sites=sum(len(p.sites) for p in legacy),
            factory_callables=len(a.factory_calls),
            factory_sites=sum(len(v) for v in a.factory_calls.values()),
            config_keys=len(a.config_keys),
            config_key_sites=sum(len(v) for v in a.config_keys.values()),
            config_duplicates=len(a.config_duplicates),
            config_conflicts=len(a.config_conflicts),
            interface_gaps=len(a.interface_gaps),
            legacy_hits=tuple((p.phase, p.refs) for p in a.phases if p.note is None),
            not_planned=tuple(p.phase for p in a.phases if p.note is not None),
        )

    def summary(self) -> str:
        hits = ", ".join(f"{p} {n}" for p, n in self.legacy_hits)
        text = (
            f"{self.implementations} implementation(s); {self.import_paths} import path(s), {self.legacy_import_paths} legacy "
            f"({self.legacy_import_sites} site(s)); {self.factory_callables} legacy factory callable(s) ({self.factory_sites} call(s)); "
            f"{self.config_keys} legacy config key(s) ({self.config_key_sites} site(s), {self.config_duplicates} duplicate(s), "
            f"{self.config_conflicts} conflict(s)); {self.interface_gaps} interface gap(s); "
            f"{self.legacy_hits_total} legacy hit(s) ({hits})"
        )
        if self.not_planned:
            text += f"; not planned: {', '.join(self.not_planned)}"
        return text


#: (label, value) rows of the before/after table, in order.
TABLE_ROWS: tuple[tuple[str, Callable[[AuditNumbers], str]], ...] = (
    ("implementations (classes)", lambda n: str(n.implementations)),
    ("import paths (distinct)", lambda n: str(n.import_paths)),
    ("legacy import paths", lambda n: str(n.legacy_import_paths)),
    ("legacy import sites", lambda n: str(n.legacy_import_sites)),
    ("factory call shapes (legacy callables)", lambda n: str(n.factory_callables)),
    ("legacy factory call sites", lambda n: str(n.factory_sites)),
    ("legacy config keys", lambda n: str(n.config_keys)),
    ("legacy config key sites", lambda n: str(n.config_key_sites)),
    ("config duplicates / conflicts", lambda n: f"{n.config_duplicates} / {n.config_conflicts}"),
    ("interface gaps", lambda n: str(n.interface_gaps)),
    ("legacy hits (all phases' scans)", lambda n: str(n.legacy_hits_total)),
)


@dataclass
class DemoResult:
    workdir: Path
    repo: Path | None = None
    log_path: Path | None = None
    steps: list[Step] = field(default_factory=list)
    ssot_scores: list[tuple[str, int, int]] = field(default_factory=list)  # (after, passed, failed)
    gate_scores: list[tuple[str, int, int]] = field(default_factory=list)  # mission-critical suite
    audit_before: AuditNumbers | None = None
    audit_after: AuditNumbers | None = None
    phases_run: list[str] = field(default_factory=list)
    phases_missing: list[str] = field(default_factory=list)
    patches: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


class DemoLog:
    """The full log in the work directory, written as the demo goes (a crash leaves what ran)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("w", encoding="utf-8")

    def write(self, text: str) -> None:
        if text:
            self._fh.write(text.rstrip("\n") + "\n")
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class _Stopped(Exception):
    """A step failed: the demo stops there, as an operator would."""


_GIT_ENV = {
    "GIT_AUTHOR_NAME": "ssot-migrate demo",
    "GIT_AUTHOR_EMAIL": "demo@ssot-migrate.invalid",
    "GIT_COMMITTER_NAME": "ssot-migrate demo",
    "GIT_COMMITTER_EMAIL": "demo@ssot-migrate.invalid",
}


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **_GIT_ENV})
    return proc.stdout


def pytest_score(cwd: Path, target: str) -> tuple[int, int, str]:
    """Run a pytest target in ``cwd``; return (passed, failed, full output)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    last = out.strip().splitlines()[-1] if out.strip() else ""
    passed = sum(int(m) for m in re.findall(r"(\d+) passed", last))
    failed = sum(int(m) for m in re.findall(r"(\d+) (?:failed|error)", last))
    return passed, failed, out


def _report_codes(plan, severities=(Severity.WARNING, Severity.ERROR)) -> str:
    counts: dict[str, int] = {}
    for r in plan.all_reports():
        if r.severity in severities:
            counts[r.code] = counts.get(r.code, 0) + 1
    return ", ".join(f"{c} x{n}" if n > 1 else c for c, n in sorted(counts.items()))


def run_demo(example: Path = DEFAULT_EXAMPLE, *, workdir: Path | None = None, say: Callable[[str], None] = print) -> DemoResult:
    if not (example / "pyproject.toml").is_file():
        raise MigrateError(f"example not found at {example}; pass --example DIR")
    base = workdir or Path(tempfile.mkdtemp(prefix="ssot-migrate-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    result = DemoResult(workdir=base, repo=base / "websocket_app", log_path=base / LOG_NAME)
    log = DemoLog(result.log_path)
    say(f"work directory: {base} (full log: {result.log_path})")
    try:
        _Run(example, result, log, say).run()
    except _Stopped:
        failed = next(s.name for s in result.steps if not s.ok)
        log.write(f"\nstopped: step '{failed}' failed")
    except BaseException:
        log.write("\ninternal error:\n" + traceback.format_exc())
        raise
    finally:
        log.close()
        result.patches = _applied_patches(result.repo)
    return result


class _Run:
    """One demo run: the steps, in order, sharing the repository, the spec and the log."""

    def __init__(self, example: Path, result: DemoResult, log: DemoLog, say: Callable[[str], None]) -> None:
        self.example = example
        self.result = result
        self.repo = result.repo
        self.log = log
        self.say = say
        self.spec = None
        self.gate = ""
        self.post: dict[str, dict[str, bytes]] = {}  # tree right after each phase's apply
        self.pre: dict[str, dict[str, bytes]] = {}  # tree right before it
        self._rolled_back: list[str] = []  # what `rollback C --cascade` rolled back, latest first

    # -- the step runner --------------------------------------------------------------------

    def step(self, name: str, fn: Callable[[], str]) -> None:
        self.log.write(f"\n== {name} ==")
        start = time.monotonic()
        try:
            detail, ok = fn(), True
        except MigrateError as exc:
            detail, ok = exc.render(), False
        except AssertionError as exc:
            detail, ok = f"check failed: {exc}", False
        except subprocess.CalledProcessError as exc:
            detail, ok = f"{shlex.join(str(a) for a in exc.cmd)} failed (exit {exc.returncode}): {(exc.stderr or '').strip()}", False
        except OSError as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        seconds = time.monotonic() - start
        self.result.steps.append(Step(name, ok, detail, seconds))
        line = f"[{'ok' if ok else 'FAILED'}] {name} ({seconds:.1f}s): {detail}"
        self.log.write(line)
        self.say(line)
        if not ok:
            raise _Stopped(name)

    def cmd(self, command: str) -> None:
        """Log the command line an operator would type for what the step does next."""
        self.log.write(f"$ {command}")

    def commit(self, message: str) -> None:
        self.cmd(f"git add -A && git commit -m {shlex.quote(message)}")
        _git(self.repo, "add", "-A", ".")
        _git(self.repo, "commit", "-qm", message)

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> None:
        from codemods import PHASES

        self.step("copy the example into a git repository", self.setup)
        self.step("baseline gate", lambda: self.gate_check("before"))
        self.step("SSOT suite before", lambda: self.score("before"))
        self.step("audit (before)", lambda: self.audit("before"))
        for letter in PHASE_ORDER:
            if letter not in PHASES:
                self.result.phases_missing.append(letter)
                continue
            self.result.phases_run.append(letter)
            self.step(("shim generate --check (plan S)" if letter == "S" else f"plan {letter}"), lambda p=letter: self.plan(p))
            if letter == "C":
                self.step("apply C with a failing gate", self.failing_gate)
            self.pre[letter] = _snapshot(self.repo)
            self.step(("shim generate (apply S --verify)" if letter == "S" else f"apply {letter} --verify"), lambda p=letter: self.apply(p))
            self.post[letter] = _snapshot(self.repo)
            if letter == "S":
                self.step("shim verify", self.shim_verify)
            if letter == "E" and "S" in self.result.phases_run:
                self.step("shims after phase E", self.shims_after_e)
            self.step(f"SSOT suite after {letter}", lambda p=letter: self.score(f"after {p}"))
        if "C" in self.result.phases_run:
            self.step("manual rollback of C (--cascade)", self.manual_rollback)
            self.step("re-apply in order", self.reapply)
        self.step("audit (after)", lambda: self.audit("after"))
        self.step("gate after the migration", lambda: self.gate_check("after"))
        self.step("SSOT suite at the end", lambda: self.score("end"))
        self.step("rollback patches kept", self.patches)

    def setup(self) -> str:
        self.cmd(f"cp -r {shlex.quote(str(self.example))} {shlex.quote(str(self.repo))} && git init && git commit")
        shutil.copytree(self.example, self.repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ssot-migrate"))
        _git(self.repo, "init", "-q")
        self.commit("fragmented example")
        self.spec = load_spec(self.repo / "pyproject.toml")
        self.gate = self.spec.gate or "python -m pytest -q tests/mission_critical"
        files = len(_git(self.repo, "ls-files").splitlines())
        return f"{self.repo}: {files} file(s) committed; gate: {self.gate}"

    def gate_check(self, label: str) -> str:
        self.cmd("python -m pytest -q tests/mission_critical")
        passed, failed, out = pytest_score(self.repo, "tests/mission_critical")
        self.log.write(out)
        self.result.gate_scores.append((label, passed, failed))
        assert failed == 0 and passed > 0, "\n".join(out.strip().splitlines()[-5:])
        return f"mission-critical suite: {passed} passed"

    def score(self, label: str) -> str:
        self.cmd("python -m pytest -q tests/ssot")
        passed, failed, out = pytest_score(self.repo, "tests/ssot")
        self.log.write(out)
        assert passed + failed > 0, "the SSOT suite did not run:\n" + "\n".join(out.strip().splitlines()[-5:])
        self.result.ssot_scores.append((label, passed, failed))
        return f"SSOT suite: {passed} passed, {failed} failed"

    def audit(self, label: str) -> str:
        from .audit import render_text, run_audit

        self.cmd("ssot-migrate audit")
        a = run_audit(self.spec)
        self.log.write(render_text(a))
        numbers = AuditNumbers.of(a)
        if label == "before":
            self.result.audit_before = numbers
            return numbers.summary()
        self.result.audit_after = numbers
        # What is left is named, so the "after" column can be checked by reading the code.
        left = [f"{p.path} at {', '.join(p.sites)}" for p in a.import_paths if p.role == "legacy"]
        return numbers.summary() + (f"; legacy import(s) left: {'; '.join(left)}" if left else "")

    def plan(self, letter: str) -> str:
        self.cmd("ssot-migrate shim generate --check" if letter == "S" else f"ssot-migrate plan {letter} -v")
        p = commands.plan(self.spec, letter, Options())
        self.log.write(render.plan_diff(p))
        self.log.write("\n".join(render.report_lines(p, min_severity=Severity.INFO)))
        self.log.write(render.plan_summary(p))
        codes = _report_codes(p)
        return f"{len(p.changes)} file(s), {p.edit_count} edit(s), {len(p.all_reports())} report(s)" + (f"; warnings: {codes}" if codes else "")

    def failing_gate(self) -> str:
        before = _snapshot(self.repo)
        command = 'python -c "import sys; sys.exit(\'deliberate failure\')"'
        self.cmd(f"ssot-migrate apply C --verify '{command}'")
        try:
            commands.apply(self.spec, "C", verify=command)
        except GateFailed as exc:
            self.log.write(exc.render())
            assert _snapshot(self.repo) == before, "files differ after the automatic rollback"
            assert "C" not in State(self.repo).read_ledger(), "the ledger still lists phase C"
            return "gate failed on purpose; phase C rolled itself back, every byte restored"
        raise AssertionError("the failing gate did not fail")

    def apply(self, letter: str, *, again: bool = False) -> str:
        self.cmd(CLI_APPLY.get(letter, f"ssot-migrate apply {letter} --gate"))
        r = commands.apply(self.spec, letter, DEMO_OPTIONS.get(letter, Options()), verify=self.gate)
        if r.plan is not None:
            if letter in DEMO_OPTIONS:  # the plan step showed the diff without the operator's decision
                self.log.write(render.plan_diff(r.plan))
            self.log.write("\n".join(render.report_lines(r.plan, min_severity=Severity.WARNING)))
        self.log.write(render.apply_text(r))
        if r.gate is not None:
            self.log.write(r.gate.output)
        assert r.written, f"phase {letter} wrote nothing"
        assert r.gate is not None and r.gate.passed, f"phase {letter}: the gate did not run"
        self.commit(f"ssot-migrate phase {letter}" + (", again" if again else ""))
        return f"{len(r.written)} file(s) written, gate passed in {r.gate.seconds:.1f}s"

    def shim_verify(self) -> str:
        from shims.verifier import verify_all

        self.cmd("ssot-migrate shim verify")
        checks = verify_all(self.spec)
        for c in checks:
            self.log.write(f"{c.legacy} -> {c.target}: {c.names} name(s); warning: {c.warning or '-'}; "
                           + ("ok" if c.ok else "; ".join(c.problems)))
        assert checks, "no generated shim found"
        bad = [f"{c.legacy}: {'; '.join(c.problems)}" for c in checks if not c.ok]
        assert not bad, "; ".join(bad)
        return "; ".join(f"{c.legacy}: the same {c.names} object(s) as {c.target}, {c.warning}" for c in checks)

    def shims_after_e(self) -> str:
        """What phase E did with the generated shims: the legacy modules they replaced are its candidates,
        and the generated ``.pyi`` stub beside each goes with it (type checkers would still see the module)."""
        written = [rec.path for j in State(self.repo).phase_journals("S") for rec in j.files]
        gone = [p for p in written if not (self.repo / p).exists()]
        assert gone, f"phase E removed none of the generated files ({', '.join(written)})"
        orphans = [p for p in written if p.endswith(".pyi") and (self.repo / p).exists()
                   and not (self.repo / p).with_suffix(".py").exists()]
        assert not orphans, f"generated stub(s) left behind for a module phase E removed: {', '.join(orphans)}"
        stubs = [p for p in gone if p.endswith(".pyi")]
        assert stubs, f"phase S wrote no stub, or phase E left it: {', '.join(written)}"
        deleted_by_e = {rec.path for j in State(self.repo).phase_journals("E") for rec in j.files if rec.after is None}
        assert set(stubs) <= deleted_by_e, f"the stub(s) {', '.join(sorted(set(stubs) - deleted_by_e))} are gone, but not through phase E's journal"
        return f"removed by phase E: {', '.join(gone)}; no generated stub left behind"

    def manual_rollback(self) -> str:
        ledger = State(self.repo).read_ledger()
        assert "C" in ledger, "phase C is not applied"
        later = sorted((p for p, e in ledger.items() if e.order > ledger["C"].order), key=lambda p: -ledger[p].order)
        self.cmd("ssot-migrate rollback C --cascade")
        r = commands.rollback(self.repo, "C", cascade=True)
        self.log.write(render.rollback_text(r))
        assert r.phases[-1] == "C", f"rolled back {r.phases}, C not last"
        self._rolled_back = r.phases
        stacked = [p for p in r.phases if p != "C"]
        restored = sum(1 for f in r.files if f.action in ("restored", "deleted"))
        detail = f"rolled back {', '.join(r.phases)}: {restored} file(s) restored"
        if set(stacked) == set(later):
            assert _snapshot(self.repo) == self.pre["C"], "the tree differs from the one before phase C"
            detail += "; every byte as before C"
        else:
            detail += f"; {', '.join(sorted(set(later) - set(stacked)))} stay applied"
        self.commit("roll back phase C")  # files phase E deleted are back: stage them too
        self.cmd("python -m pytest -q tests/mission_critical")
        passed, failed, out = pytest_score(self.repo, "tests/mission_critical")
        self.log.write(out)
        assert failed == 0 and passed > 0, "the gate fails after the rollback"
        return detail + f"; mission-critical suite: {passed} passed"

    def reapply(self) -> str:
        order = list(reversed(self._rolled_back))
        for p in order:
            self.apply(p, again=True)
            assert _snapshot(self.repo) == self.post[p], f"re-applying {p} did not reproduce the same bytes"
        return f"{', '.join(order)}: each phase's tree identical to its first apply, gate passed each time"

    def patches(self) -> str:
        state = State(self.repo)
        ledger = state.read_ledger()
        missing = [p for p in ledger if not (state.phase_dir(ledger[p].key) / "rollback.patch").is_file()]
        assert not missing, f"no rollback.patch for phase(s) {', '.join(missing)}"
        # The latest phase's patch reverses cleanly on the tree as it is (the offline rollback).
        latest = max(ledger, key=lambda p: ledger[p].order)
        patch = state.phase_dir(ledger[latest].key) / "rollback.patch"
        self.cmd(f"git apply -R --check {patch.relative_to(self.repo)}")
        _git(self.repo, "apply", "-R", "--check", str(patch))
        return f"{len(ledger)} in {state.dir / 'phases'} ({', '.join(sorted(ledger))}); {latest}'s reverses cleanly (git apply -R --check)"


def _applied_patches(repo: Path) -> list[Path]:
    """The rollback patches of the phases applied now, also when a step failed (the offline way back)."""
    state = State(repo)
    if not state.dir.is_dir():
        return []
    try:
        waves = state.read_waves()
    except MigrateError:
        return []
    return [state.phase_dir(w.key) / "rollback.patch" for w in waves if (state.phase_dir(w.key) / "rollback.patch").is_file()]


def _snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith((".git/", ".ssot-migrate/")) or "__pycache__" in rel or not p.is_file():
            continue
        out[rel] = p.read_bytes()
    return out


def summary_table(result: DemoResult):
    """Before/after, from the two audits and the suites' scores of this run ("-": not measured)."""
    from rich.table import Table

    table = Table(title="before / after")
    table.add_column("measure")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    before, after = result.audit_before, result.audit_after
    for label, value in TABLE_ROWS:
        table.add_row(label, value(before) if before else "-", value(after) if after else "-")

    def score(rows: list[tuple[str, int, int]], label: str) -> str:
        hit = [r for r in rows if r[0] == label]
        return f"{hit[0][1]} / {hit[0][2]}" if hit else "-"

    table.add_row("SSOT suite passed / failed", score(result.ssot_scores, "before"), score(result.ssot_scores, "end"))
    table.add_row("mission-critical passed / failed", score(result.gate_scores, "before"), score(result.gate_scores, "after"))
    return table
