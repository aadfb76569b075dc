"""`ssot-migrate audit` and `ssot-migrate check` on a small git repository.

audit: every format, the baseline ratchet (a count that grows fails it).
check: silent when nothing is applied, fails when a legacy reference comes back
for an applied phase (text, json and GitHub annotations), when a count exceeds
the baseline, and when a phase was interrupted; its cache re-checks an
unchanged tree without parsing and re-parses only what changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from migrate import guard
from migrate.guard import CheckResult, Finding
from tests.conftest import REPO_ROOT, git, make_repo, run_cli

SPEC = """
[project]
name = "mini"
version = "1.0.0"

[tool.ssot-migrate]
source-roots = ["."]
gate = "python -c 'pass'"

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
since = "1.0"
remove-in = "2.0"

[[tool.ssot-migrate.move]]
from = "pkg.impl:OldThing"
to = "pkg.canon:Thing"
"""

FILES = {
    "pyproject.toml": SPEC,
    "pkg/__init__.py": "",
    "pkg/impl.py": """\
        class OldThing:
            def ping(self):
                return "pong"


        class FakeThing:
            pass
        """,
    "pkg/canon.py": """\
        from .impl import OldThing as Thing

        def make():
            return Thing()
        """,
    "pkg/legacy.py": "from .canon import Thing, make\n",
    "pkg/consumer.py": """\
        import pkg.legacy
        from pkg.impl import OldThing


        def build():
            return OldThing(), pkg.legacy.make()
        """,
    "pkg/other.py": "from pkg.canon import make\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", dict(FILES))


def cli_ok(repo: Path, *args: str):
    r = run_cli(repo, *args)
    assert r.returncode == 0, f"{args}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r


# ---------------------------------------------------------------------------
# audit
# ---------------------------------------------------------------------------


def test_audit_text_reports_paths_implementations_and_phases(repo: Path) -> None:
    out = cli_ok(repo, "audit").stdout
    assert "Implementations (2; pattern *Thing*)" in out
    assert "pkg/impl.py:1  OldThing  [canonical]" in out and "pkg/impl.py:6  FakeThing  [pattern]" in out
    assert "pkg.legacy  [legacy]  1 site(s): pkg/consumer.py:1" in out
    # The canonical module's own import of the implementation is one of the paths too.
    assert "pkg.impl:OldThing  [legacy]  1 site(s): pkg/consumer.py:2; in the move map's own modules (not rewritten): pkg/canon.py:1" in out
    assert "pkg.canon:make  [canonical]  2 site(s): pkg/legacy.py:1, pkg/other.py:1" in out
    assert "C (imports): pending; 2 legacy reference(s) (2 rewritable), 1 file(s) to change" in out
    assert "Shim hits (telemetry): no --usage file given" in out


def test_audit_json_markdown_and_import_linter(repo: Path, tmp_path: Path) -> None:
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps({"version": 1, "hits": [
        {"shim": "pkg.legacy", "legacy": "pkg.legacy", "target": "pkg.canon", "kind": "module", "file": str(repo / "pkg/consumer.py"), "line": 6, "count": 4}]}))
    doc = json.loads(cli_ok(repo, "audit", "--format", "json", "--usage", str(usage)).stdout)
    assert doc["counts"]["refs/C/import/pkg.legacy"] == 1
    assert doc["counts"]["shim-hits/pkg.legacy"] == 4
    assert doc["shim_hits"]["pkg.legacy"] == [{"site": "pkg/consumer.py:6", "count": 4}]
    # pkg/canon.py's own import of the implementation is wiring (never rewritten), not a legacy site.
    (old_thing,) = [p for p in doc["import_paths"] if p["path"] == "pkg.impl:OldThing"]
    assert old_thing["role"] == "legacy" and old_thing["sites"] == 1 and old_thing["wiring"] == ["pkg/canon.py:1"]
    assert [c["class"] for c in doc["implementations"]] == ["pkg.impl:OldThing", "pkg.impl:FakeThing"]
    md = cli_ok(repo, "audit", "--format", "markdown").stdout
    assert md.startswith("# SSOT audit") and "| `pkg.legacy` | legacy | 1 | pkg/consumer.py:1 |" in md
    contract = cli_ok(repo, "audit", "--format", "import-linter").stdout
    assert "type = forbidden" in contract
    assert contract.split("forbidden_modules =\n")[1].split("\n")[0].strip() == "pkg.legacy"
    sources = contract.split("source_modules =\n")[1].split("forbidden_modules")[0].split()
    assert "pkg.consumer" in sources and "pkg.legacy" not in sources and "pkg" not in sources


def test_audit_baseline_ratchet(repo: Path, tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    cli_ok(repo, "audit", "--write-baseline", str(base))
    counts = json.loads(base.read_text())["counts"]
    assert counts["refs/C/import/pkg.legacy"] == 1 and counts["import-sites/pkg.legacy"] == 1
    assert cli_ok(repo, "audit", "--baseline", str(base)).returncode == 0
    (repo / "pkg/late.py").write_text("from pkg.legacy import make\n")
    r = run_cli(repo, "audit", "--baseline", str(base))
    assert r.returncode == 1
    assert "GREW refs/C/import/pkg.legacy:make: 0 -> 1" in r.stdout
    # The ratchet is not loosened while a count grows.
    r = run_cli(repo, "audit", "--baseline", str(base), "--write-baseline", str(base))
    assert r.returncode == 1 and "not writing" in r.stderr
    assert json.loads(base.read_text())["counts"] == counts
    # Fewer references: passes, and suggests tightening.
    (repo / "pkg/late.py").unlink()
    (repo / "pkg/consumer.py").write_text("from pkg.canon import Thing as OldThing\n")
    r = cli_ok(repo, "audit", "--baseline", str(base))
    assert "shrank refs/C/import/pkg.legacy: 1 -> 0" in r.stdout and "--write-baseline" in r.stdout


def test_audit_bad_baseline_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text('{"counts": {"x": "many"}}')
    r = run_cli(repo, "audit", "--baseline", str(tmp_path / "b.json"))
    assert r.returncode == 2 and "no \"counts\" object of integers" in r.stderr
    r = run_cli(repo, "audit", "--baseline", str(tmp_path / "missing.json"))
    assert r.returncode == 2 and "does not exist" in r.stderr


# ---------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------


def test_check_with_nothing_applied_passes_with_a_note(repo: Path) -> None:
    r = cli_ok(repo, "check")
    assert "nothing to guard" in r.stdout and "ssot-migrate check: OK" in r.stdout


def test_check_fails_when_a_legacy_reference_comes_back(repo: Path) -> None:
    cli_ok(repo, "apply", "C")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "C")
    r = cli_ok(repo, "check")
    assert "phases checked: C" in r.stdout
    # The cache lives in the state directory and never dirties the tree.
    assert (repo / ".ssot-migrate/cache/.gitignore").is_file()
    assert git(repo, "status", "--porcelain") == ""

    (repo / "pkg/late.py").write_text("import os\nfrom pkg.legacy import make\n")
    r = run_cli(repo, "check")
    assert r.returncode == 1
    assert "pkg/late.py:2: G101 phase C is applied but this legacy reference is back: import pkg.legacy:make" in r.stdout
    r = run_cli(repo, "check", "--format", "github")
    assert r.returncode == 1
    assert r.stdout.startswith("::error file=pkg/late.py,line=2,title=ssot-migrate G101::phase C is applied")
    doc = json.loads(run_cli(repo, "check", "--format", "json").stdout)
    assert doc["ok"] is False and doc["findings"][0]["code"] == "G101" and doc["findings"][0]["line"] == 2

    (repo / "pkg/late.py").unlink()
    cli_ok(repo, "check")


def test_check_baseline_counts(repo: Path, tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    cli_ok(repo, "audit", "--write-baseline", str(base))
    r = cli_ok(repo, "check", "--baseline", str(base))
    checked = r.stdout.split("phases checked: ")[1].split(";")[0].split(", ")
    assert "C" in checked and "E" in checked  # every phase with a count in the baseline
    assert "audit-only" in r.stdout  # implementations, import sites: `audit --baseline` checks those
    (repo / "pkg/late.py").write_text("import pkg.legacy\n")
    r = run_cli(repo, "check", "--baseline", str(base))
    assert r.returncode == 1
    assert "pkg/late.py:1: G104 refs/C/import/pkg.legacy: 1 in the baseline, 2 now: pkg/consumer.py:1, pkg/late.py:1" in r.stdout


def test_check_reports_an_interrupted_phase(repo: Path) -> None:
    cli_ok(repo, "apply", "C")
    ledger = repo / ".ssot-migrate/ledger.json"
    data = json.loads(ledger.read_text())
    data["phases"]["C"]["status"] = "applying"
    ledger.write_text(json.dumps(data))
    r = run_cli(repo, "check")
    assert r.returncode == 1 and "G105 phase C was interrupted while applying" in r.stdout


def test_check_cache_reparses_only_what_changed(repo: Path) -> None:
    cli_ok(repo, "apply", "C")
    spec = repo / "pyproject.toml"
    first = guard.run_check(spec)
    assert first.ok and not first.from_cache and first.parsed >= 1
    again = guard.run_check(spec)
    assert again.from_cache and again.parsed == 0 and again.ok
    # Files the prefilter keeps after the migration: canon.py (`from .impl import ...`) and
    # notes.py (a comment naming a legacy path, reported, never rewritten).
    (repo / "pkg/notes.py").write_text("# formerly pkg.legacy\n")
    assert guard.run_check(spec).parsed == 2  # a new module in an indexed package: everything again
    notes = repo / "pkg/notes.py"
    notes.write_text(notes.read_text() + "# touched\n")
    edited = guard.run_check(spec)
    assert not edited.from_cache and edited.parsed == 1 and edited.reused >= 1
    # Without the cache everything is parsed again, and the answer is the same.
    fresh = guard.run_check(spec, use_cache=False)
    assert fresh.parsed == edited.parsed + edited.reused and fresh.ok == edited.ok and fresh.counts == edited.counts


def test_check_cache_is_invalidated_by_the_ledger_and_spec(repo: Path) -> None:
    spec = repo / "pyproject.toml"
    assert guard.run_check(spec).checked == []
    cli_ok(repo, "apply", "C")  # the ledger changed: C is guarded now
    assert guard.run_check(spec).checked == ["C"]
    cli_ok(repo, "rollback", "C")
    assert guard.run_check(spec).checked == []


def test_check_fails_when_a_compat_reader_fallback_phase_e_removed_comes_back(tmp_path: Path) -> None:
    """After B (compat reader), C, D and E: a new read_env(NEW, OLD) of the spec'd key is a legacy reference back."""
    from tests.e2e.example_repo import CANONICAL_KEY, FALLBACK_CALL, apply_b_to_e_with_compat_reader, copy_example

    repo = copy_example(tmp_path / "websocket_app")
    apply_b_to_e_with_compat_reader(repo)
    journal = json.loads((repo / ".ssot-migrate/phases/E/journal.json").read_text())
    assert journal["options"]["removed_fallbacks"] == [CANONICAL_KEY]
    r = cli_ok(repo, "check")
    assert "ssot-migrate check: OK" in r.stdout and "E" in r.stdout.split("phases checked: ")[1].split(";")[0].split(", ")
    spec = repo / "pyproject.toml"
    clean = guard.run_check(spec)
    assert clean.ok and clean.from_cache

    late = repo / "chat_backend" / "late_settings.py"
    late.write_text(f"import os\nfrom shims.config import read_env\n\n\ndef url():\n    return {FALLBACK_CALL}\n")
    r = run_cli(repo, "check")
    assert r.returncode == 1, r.stdout + r.stderr
    assert (f"chat_backend/late_settings.py:6: G101 phase E is applied but this legacy reference is back: compat-read {CANONICAL_KEY}"
            in r.stdout), r.stdout
    r = run_cli(repo, "check", "--format", "github")
    assert r.returncode == 1
    assert "::error file=chat_backend/late_settings.py,line=6,title=ssot-migrate G101::phase E is applied" in r.stdout
    found = guard.run_check(spec)  # unchanged tree: the stored result, replayed
    assert not found.ok and found.from_cache and [(f.path, f.line, f.code) for f in found.findings] == [("chat_backend/late_settings.py", 6, "G101")]
    # The keys E guards are part of E's guard context, so the per-file cache key changes with them.
    from migrate.engine import get_phase
    from migrate.modindex import build_index
    from migrate.phase import Options
    from migrate.spec import load_spec

    s = load_spec(spec)
    index = build_index(s)
    e = get_phase("E")
    assert e.guard_context(s, index, Options()).payload.guarded == {CANONICAL_KEY}
    assert guard._stable_hash(e.guard_context(s, index, Options())) != guard._stable_hash(e.scan_context(s, index, Options()))
    # A call E cannot map (environ= that may be None) is not something E would rewrite: not flagged.
    late.write_text(f"from shims.config import read_env\n\nURL = read_env(\"{CANONICAL_KEY}\", environ=ENV)\n")
    assert guard.run_check(spec).ok

    late.unlink()
    r = cli_ok(repo, "check")
    assert "ssot-migrate check: OK" in r.stdout


def test_github_annotations_escape_their_fields() -> None:
    r = CheckResult("/r", findings=[Finding("a,b:c.py", 3, "G101", "50% done\nnext line")], checked=["C"])
    line = guard.render(r, "github").splitlines()[0]
    assert line == "::error file=a%2Cb%3Ac.py,line=3,title=ssot-migrate G101::50%25 done%0Anext line"


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "ssot-migrate-check"]
    assert hook["entry"] == "ssot-migrate check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the guard looks at the whole repository


def test_run_context_hash_is_the_same_in_every_process(repo: Path) -> None:
    """The per-file cache is keyed by a hash of each phase's run context: hash seeds must not change it."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from migrate.spec import load_spec; from migrate.engine import make_context, get_phase;"
        "from migrate.modindex import build_index; from migrate.phase import Options; from migrate.guard import _stable_hash;"
        "s = load_spec(Path('pyproject.toml').resolve()); i = build_index(s);"
        "print(_stable_hash(make_context(s, 'C', Options(), i)).hex(), _stable_hash(get_phase('E').guard_context(s, i, Options())).hex())"
    )
    seen = {
        subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1, seen


def test_check_never_reuses_a_cross_file_phase_outcome(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phase whose per-file outcome depends on other files (D) is re-scanned, never replayed per file."""
    from codemods.phase_c import PhaseC
    from codemods.phase_d import PhaseD

    assert PhaseD.cross_file and not PhaseC.cross_file
    cli_ok(repo, "apply", "C")
    spec = repo / "pyproject.toml"
    consumer = repo / "pkg/consumer.py"
    guard.run_check(spec)
    consumer.write_text(consumer.read_text() + "# touched\n")
    touched = guard.run_check(spec)
    assert touched.reused >= 1  # a per-file phase reuses what did not change
    monkeypatch.setattr(PhaseC, "cross_file", True)
    consumer.write_text(consumer.read_text() + "# touched again\n")
    again = guard.run_check(spec)
    assert not again.from_cache and again.reused == 0 and again.parsed == touched.parsed + touched.reused
