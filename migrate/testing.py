"""Test helpers for phases and custom steps: before/after pairs that also check invariants.

``assert_phase`` writes a small repository (the modules the spec names plus the
file under test), runs the phase through the real engine (prefilter, worker,
self-verification), and asserts

* the output equals ``after`` (``after=None`` means "unchanged"),
* the expected report codes appear (and no unexpected warnings/errors, when
  ``exact_reports`` is set),
* a second run over the output changes nothing (idempotence),
* the output parses.

It is public API so that users' custom steps are tested the same way.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Iterable, Mapping

from .engine import build_plan
from .phase import Options
from .results import FileOutcome, Plan, Severity, Status
from .spec import load_spec


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def run_phase(
    root: Path,
    phase: str,
    *,
    spec: str,
    files: Mapping[str, str | bytes] = {},
    options: Options = Options(),
    paths: Iterable[str] | None = None,
    jobs: int = 1,
) -> Plan:
    write_tree(root, files)
    spec_path = root / "ssot-spec.toml"
    spec_path.write_text(textwrap.dedent(spec), encoding="utf-8")
    return build_plan(load_spec(spec_path), phase, options, jobs=jobs, paths=paths)


def assert_phase(
    root: Path,
    phase: str,
    *,
    spec: str,
    modules: Mapping[str, str | bytes],
    path: str,
    before: str | bytes,
    after: str | bytes | None,
    options: Options = Options(),
    codes: Iterable[str] = (),
    exact_reports: bool = False,
) -> Plan:
    """Run ``phase`` on ``path`` (content ``before``) and compare with ``after``."""
    before_b = before if isinstance(before, bytes) else textwrap.dedent(before).encode()
    after_b = None if after is None else (after if isinstance(after, bytes) else textwrap.dedent(after).encode())
    plan = run_phase(root, phase, spec=spec, files={**modules, path: before_b}, options=options, paths=[path])
    (outcome,) = [o for o in plan.outcomes if o.path == path] or [None]
    # No outcome: the prefilter dropped the file, which is only right when nothing should change.
    assert outcome is not None or after_b is None, f"{path} was not considered by phase {phase} (prefilter?)"
    if outcome is None:
        outcome = FileOutcome(path, Status.UNCHANGED)
    assert outcome.status is not Status.FAILED, f"self-verification refused the rewrite: {outcome.reason}"
    got = outcome.after if outcome.status is Status.CHANGED else before_b
    if after_b is None:
        assert outcome.status is not Status.CHANGED, "expected no change, got:\n" + (got or b"").decode(errors="replace")
    else:
        assert got == after_b, "\n--- expected\n" + after_b.decode(errors="replace") + "\n--- got\n" + (got or b"").decode(errors="replace")
    got_codes = [r.code for r in plan.all_reports() if r.path == path and r.severity is not Severity.INFO]
    # An expected code must be about this file: reported on it (any severity), or a
    # cross-file summary (on the spec) that names one of its lines.
    about_path = {r.code for r in plan.all_reports()
                  if r.path == path or any(rel.split(":", 1)[0] == path for rel in r.related)}
    for code in codes:
        assert code in about_path, (
            f"expected report {code} about {path}, got {[(r.path, r.code, r.message) for r in plan.all_reports()]}"
        )
    if exact_reports:
        assert sorted(set(got_codes)) == sorted(set(codes)), f"reports: {[(r.code, r.message) for r in plan.all_reports()]}"
    if outcome.status is Status.CHANGED:
        # Idempotence: the output is a fixed point.
        (root / path).write_bytes(got or b"")
        again = build_plan(plan_spec(root), phase, options, jobs=1, paths=[path])
        # No outcome means the prefilter dropped the file: nothing legacy is left in it.
        for o2 in (o for o in again.outcomes if o.path == path):
            assert o2.status is not Status.CHANGED, "second run changed the file again:\n" + (o2.after or b"").decode(errors="replace")
    return plan


def plan_spec(root: Path):
    return load_spec(root / "ssot-spec.toml")
