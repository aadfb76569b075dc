"""``ssot-migrate demo``: the bundled example migrated as an operator would, end to end.

Copies ``examples/websocket_app`` into a temporary git repository and runs the
real verbs on it: status before, then for every phase this version provides
(in the playbook's order) plan, apply with the mission-critical gate, a commit,
and the SSOT suite's score; a deliberately failing gate that rolls itself back;
a manual rollback and re-apply; status after.  Every number printed comes from
the run; any failed step makes the demo exit non-zero.  The temp directory
(with the full log and the rollback patches) is kept and its path printed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import commands
from .errors import GateFailed, MigrateError
from .phase import Options
from .spec import load_spec

PHASE_ORDER = ("A", "B", "C", "D", "E")

#: The example is at 1.9.0 and its legacy code goes in 2.0: `plan E` shows the version
#: policy blocking the removal; the demo applies E as `apply E --force` would.
#: The example's .env.staging sets both URL keys to different hosts: `plan B` reports the
#: conflict (B101); the demo then decides as an operator would, `apply B --prefer canonical`.
DEMO_OPTIONS = {"B": Options(extra={"prefer": "canonical"}), "E": Options(extra={"force_removal": True})}

DEFAULT_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "websocket_app"


@dataclass
class Step:
    name: str
    ok: bool
    detail: str
    seconds: float


@dataclass
class DemoResult:
    workdir: Path
    steps: list[Step] = field(default_factory=list)
    ssot_scores: list[tuple[str, int, int]] = field(default_factory=list)  # (after, passed, failed)
    refs_before: dict[str, int] = field(default_factory=dict)
    refs_after: dict[str, int] = field(default_factory=dict)
    phases_run: list[str] = field(default_factory=list)
    phases_missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


def _git(cwd: Path, *args: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": "ssot-migrate demo",
        "GIT_AUTHOR_EMAIL": "demo@ssot-migrate.invalid",
        "GIT_COMMITTER_NAME": "ssot-migrate demo",
        "GIT_COMMITTER_EMAIL": "demo@ssot-migrate.invalid",
    }
    import os

    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **env})


def pytest_score(cwd: Path, target: str) -> tuple[int, int, str]:
    """Run a pytest target in ``cwd``; return (passed, failed, tail of output)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    passed = sum(int(m) for m in re.findall(r"(\d+) passed", out.splitlines()[-1] if out.strip() else ""))
    failed = sum(int(m) for m in re.findall(r"(\d+) (?:failed|error)", out.splitlines()[-1] if out.strip() else ""))
    return passed, failed, "\n".join(out.strip().splitlines()[-3:])


def run_demo(example: Path = DEFAULT_EXAMPLE, *, workdir: Path | None = None, say: Callable[[str], None] = print) -> DemoResult:
    from codemods import PHASES

    if not (example / "pyproject.toml").is_file():
        raise MigrateError(f"example not found at {example}; pass --example DIR")
    base = workdir or Path(tempfile.mkdtemp(prefix="ssot-migrate-demo-"))
    repo = base / "websocket_app"
    shutil.copytree(example, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ssot-migrate"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "fragmented example")
    result = DemoResult(workdir=base)
    spec = load_spec(repo / "pyproject.toml")
    gate = spec.gate or "python -m pytest -q tests/mission_critical"

    def step(name: str, fn: Callable[[], str]) -> bool:
        start = time.monotonic()
        try:
            detail = fn()
            ok = True
        except MigrateError as exc:
            detail, ok = exc.render(), False
        except AssertionError as exc:
            detail, ok = f"check failed: {exc}", False
        result.steps.append(Step(name, ok, detail, time.monotonic() - start))
        say(f"[{'ok' if ok else 'FAILED'}] {name}: {detail}")
        return ok

    def score(label: str) -> str:
        passed, failed, _ = pytest_score(repo, "tests/ssot")
        result.ssot_scores.append((label, passed, failed))
        return f"SSOT suite: {passed} passed, {failed} failed"

    def gate_check() -> str:
        passed, failed, tail = pytest_score(repo, "tests/mission_critical")
        assert failed == 0 and passed > 0, tail
        return f"mission-critical suite: {passed} passed"

    say(f"demo repository: {repo}")
    step("baseline gate", gate_check)
    step("SSOT suite before", lambda: score("before"))
    st = commands.status(spec)
    result.refs_before = {p.phase: p.remaining_refs for p in st.phases}
    say("legacy references before: " + ", ".join(f"{k}={v}" for k, v in result.refs_before.items()))

    for letter in PHASE_ORDER:
        if letter not in PHASES:
            result.phases_missing.append(letter)
            continue
        result.phases_run.append(letter)

        def plan_step(letter: str = letter) -> str:
            p = commands.plan(spec, letter, Options())
            return f"{len(p.changes)} file(s), {p.edit_count} edit(s), {len(p.all_reports())} report(s)"

        step(f"plan {letter}", plan_step)
        if letter == "C":
            before = _snapshot(repo)

            def failing_gate() -> str:
                try:
                    commands.apply(spec, "C", verify="python -c 'import sys; print(\"deliberate failure\"); sys.exit(1)'")
                except GateFailed:
                    assert _snapshot(repo) == before, "files differ after the automatic rollback"
                    return "gate failed on purpose; phase C rolled itself back, every byte restored"
                raise AssertionError("the failing gate did not fail")

            step("apply C with a failing gate", failing_gate)

        def apply_step(letter: str = letter) -> str:
            r = commands.apply(spec, letter, DEMO_OPTIONS.get(letter, Options()), verify=gate)
            _git(repo, "add", "-A", ".")
            _git(repo, "commit", "-qm", f"ssot-migrate phase {letter}")
            return f"{len(r.written)} file(s) written, gate passed in {r.gate.seconds:.1f}s" if r.gate else "applied"

        step(f"apply {letter} --verify", apply_step)
        step(f"SSOT suite after {letter}", lambda letter=letter: score(f"after {letter}"))

    if "C" in result.phases_run:
        def manual_rollback() -> str:
            from .state import State

            after = _snapshot(repo)
            ledger = State(repo).read_ledger()
            assert "C" in ledger, "phase C is not applied"
            # Phases applied after C go first, latest first: they may have edited C's lines.
            later = sorted((p for p, e in ledger.items() if e.order > ledger["C"].order), key=lambda p: -ledger[p].order)
            restored = 0
            for p in [*later, "C"]:
                r = commands.rollback(repo, p, cascade=True)
                restored += sum(1 for f in r.files if f.action == "restored")
            _git(repo, "add", "-A", ".")  # files phase E deleted are back: stage them too
            _git(repo, "commit", "-qm", "roll back phase C")
            for p in ["C", *reversed(later)]:
                commands.apply(spec, p, DEMO_OPTIONS.get(p, Options()), verify=gate)
                _git(repo, "add", "-A", ".")
                _git(repo, "commit", "-qm", f"ssot-migrate phase {p}, again")
            assert _snapshot(repo) == after, "re-apply did not reproduce the same bytes"
            also = f" (after {', '.join(later)})" if later else ""
            return f"rolled back C{also}: {restored} file(s) restored; re-applied in order: identical bytes, gate passed"

        step("manual rollback and re-apply of C", manual_rollback)

    st = commands.status(spec)
    result.refs_after = {p.phase: p.remaining_refs for p in st.phases}
    step("gate after the migration", gate_check)
    return result


def _snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if rel.startswith((".git/", ".ssot-migrate/")) or "__pycache__" in rel or not p.is_file():
            continue
        out[rel] = p.read_bytes()
    return out


def summary_table(result: DemoResult):
    from rich.table import Table

    table = Table(title="before / after")
    table.add_column("measure")
    table.add_column("before")
    table.add_column("after")
    for letter in sorted(set(result.refs_before) | set(result.refs_after)):
        table.add_row(
            f"legacy references (phase {letter} scan)",
            str(result.refs_before.get(letter, "-")),
            str(result.refs_after.get(letter, "-")),
        )
    if result.ssot_scores:
        first, last = result.ssot_scores[0], result.ssot_scores[-1]
        table.add_row("SSOT suite passed / failed", f"{first[1]} / {first[2]}", f"{last[1]} / {last[2]}")
    return table
