"""The README's main job: `ssot-migrate demo` runs green and reports numbers from the run."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.conftest import REPO_ROOT, git, run_cli

EXAMPLE = REPO_ROOT / "examples" / "websocket_app"

STEPS = [
    "copy the example into a git repository",
    "baseline gate",
    "SSOT suite before",
    "audit (before)",
    *[s for p in "ABCD" for s in (f"plan {p}", f"apply {p} --verify", f"SSOT suite after {p}")],
    "apply C with a failing gate",
    "shim generate --check (plan S)",
    "shim generate (apply S --verify)",
    "shim verify",
    "SSOT suite after S",
    "plan E",
    "apply E --verify",
    "shims after phase E",
    "SSOT suite after E",
    "manual rollback of C (--cascade)",
    "re-apply in order",
    "audit (after)",
    "gate after the migration",
    "SSOT suite at the end",
    "rollback patches kept",
]


def row(stdout: str, label: str) -> tuple[str, str]:
    m = re.search(re.escape(label) + r"\s*│\s*([^│]*?)\s*│\s*([^│]*?)\s*│", stdout)
    assert m, f"no row {label!r} in:\n{stdout}"
    return m.group(1), m.group(2)


def ints(stdout: str, label: str) -> tuple[int, int]:
    before, after = row(stdout, label)
    return int(before), int(after)


def audit_json(repo: Path) -> dict:
    r = run_cli(repo, "audit", "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_demo_runs_green(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "demo", timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "FAILED" not in r.stderr
    for name in STEPS:
        assert f"[ok] {name} (" in r.stderr, name
    assert "demo finished: every step passed" in r.stdout

    # The table: the audit's numbers go down; nothing legacy is left but what is named.
    impl = ints(r.stdout, "implementations (classes)")
    paths = ints(r.stdout, "import paths (distinct)")
    legacy_paths = ints(r.stdout, "legacy import paths")
    legacy_sites = ints(r.stdout, "legacy import sites")
    shapes = ints(r.stdout, "factory call shapes (legacy callables)")
    calls = ints(r.stdout, "legacy factory call sites")
    keys = ints(r.stdout, "legacy config keys")
    hits = ints(r.stdout, "legacy hits (all phases' scans)")
    assert impl[0] > impl[1] == 1
    assert paths[0] > paths[1]
    assert legacy_paths[0] > legacy_paths[1]
    assert legacy_sites[0] > legacy_sites[1] == 0  # the canonical module's import of its implementation is wiring
    assert shapes[0] > 1 and shapes[1] == 0 and calls[1] == 0
    assert keys[0] >= 1 and keys[1] == 0
    dup_before, dup_after = row(r.stdout, "config duplicates / conflicts")
    assert dup_before != "0 / 0" and dup_after == "0 / 0"
    assert hits[0] > 0 and hits[1] == 0
    assert row(r.stdout, "SSOT suite passed / failed") == ("0 / 8", "8 / 0")
    assert row(r.stdout, "mission-critical passed / failed") == ("8 / 0", "8 / 0")

    # Shims: generated after D, verified (same objects, the warning at the import line), re-applied after the rollback.
    assert re.search(r"\[ok\] shim verify .*: chat_backend\.websocket_core\.manager: the same \d+ object\(s\) as "
                     r"chat_backend\.websocket_core\.websocket_manager, \w+ at the import line", r.stderr)
    # Phase E deleted the shim and the generated stub beside it: nothing is left for type checkers to see.
    assert re.search(r"\[ok\] shims after phase E \([\d.]+s\): removed by phase E: .*chat_backend/websocket_core/manager\.pyi.*; "
                     r"no generated stub left behind", r.stderr), r.stderr
    assert "left behind for a module phase E removed" not in r.stdout + r.stderr
    assert re.search(r"\[ok\] manual rollback of C \(--cascade\) .*: rolled back E, S, D, C: .*every byte as before C", r.stderr)
    assert "[ok] re-apply in order" in r.stderr and "C, D, S, E: each phase's tree identical to its first apply" in r.stderr

    workdir = Path(re.search(r"work directory \(log, ledger, rollback patches\): (\S+)", r.stdout).group(1))
    repo = workdir / "websocket_app"
    for phase in "ABCDES":
        patch = repo / f".ssot-migrate/phases/{phase}/rollback.patch"
        assert patch.is_file() and f"rollback patch: {patch}" in r.stdout
    log = Path(re.search(r"full log: (\S+)", r.stdout).group(1))
    assert log.parent == workdir and log.is_file()
    text = log.read_text()
    for name in STEPS:
        assert f"== {name} ==" in text and f"[ok] {name} (" in text, name
    assert text.count("ssot-migrate audit: ") == 2  # both audits, rendered
    assert "phase C: applied, 12 file(s) written" in text  # the verbs' own output
    assert "deliberate failure" in text and "rolled back phase(s) E, S, D, C" in text

    # Honest: the "before" column is what `ssot-migrate audit` says about the example, the "after"
    # column what it says about the migrated repository the demo leaves behind.
    fresh = tmp_path / "fresh"
    shutil.copytree(EXAMPLE, fresh, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for doc, col in ((audit_json(fresh), 0), (audit_json(repo), 1)):
        assert impl[col] == len(doc["implementations"])
        assert paths[col] == len(doc["import_paths"])
        assert legacy_sites[col] == sum(p["sites"] for p in doc["import_paths"] if p["role"] == "legacy")
        assert shapes[col] == len(doc["factory_calls"])
        assert keys[col] == len(doc["config"]["legacy_keys"])
        assert hits[col] == sum(p["refs"] for p in doc["phases"] if p["note"] is None)


def test_demo_fails_loudly_on_a_broken_example(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "demo", "--example", str(tmp_path / "nowhere"))
    assert r.returncode == 2
    assert "example not found" in r.stderr


def test_a_failing_step_stops_the_demo_with_a_non_zero_exit(tmp_path: Path) -> None:
    """A gate that breaks once the routes' legacy import is gone (phase D): D rolls back, the demo stops, exit 1."""
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (example / "tests/mission_critical/test_tripwire.py").write_text(
        "from pathlib import Path\n\n\n"
        "def test_routes_still_use_the_old_import():\n"
        "    text = (Path(__file__).resolve().parents[2] / 'chat_backend/api/websocket_routes.py').read_text()\n"
        "    assert 'websocket_core' + '.manager import' in text, 'tripwire: the legacy import is gone'\n"
    )
    r = run_cli(tmp_path, "demo", "--example", str(example), timeout=600)
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]
    assert "[ok] apply C with a failing gate" in r.stderr and "[ok] apply C --verify" in r.stderr
    assert "[FAILED] apply D --verify" in r.stderr and "phase D was rolled back" in r.stderr
    assert "demo FAILED at: apply D --verify" in r.stderr
    assert "SSOT suite after D" not in r.stderr and "audit (after)" not in r.stderr  # stopped there
    assert "demo finished" not in r.stdout
    assert row(r.stdout, "implementations (classes)")[1] == "-"  # no "after" it did not measure
    log = Path(re.search(r"full log: (\S+)", r.stdout).group(1)).read_text()
    assert "tripwire: the legacy import is gone" in log and "stopped: step 'apply D --verify' failed" in log
    repo = Path(re.search(r"work directory \(log, ledger, rollback patches\): (\S+)", r.stdout).group(1)) / "websocket_app"
    assert "websocket_core.manager import" in (repo / "chat_backend/api/websocket_routes.py").read_text()  # rolled back
    assert git(repo, "status", "--porcelain", "--", "chat_backend") == ""
    for phase in "ABC":  # the phases still applied: their way back is printed
        assert f"rollback patch: {repo / '.ssot-migrate/phases' / phase / 'rollback.patch'}" in r.stdout
    assert "phases/D/rollback.patch" not in r.stdout
