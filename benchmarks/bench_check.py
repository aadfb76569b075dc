"""`ssot-migrate check` benchmark: re-checking a repository after phase C was applied.

    python benchmarks/bench_check.py [--files 5000] [--seed 1] [--runs 5] [--json]

Steps:

1. generate the seeded synthetic corpus (``benchmarks/synth.py``) and commit it to git;
2. ``ssot-migrate apply C --allow-dirty`` on it (not timed), so that ``check``
   guards an applied phase, as in CI after a migration;
3. time ``ssot-migrate check`` (each a fresh subprocess, wall clock, interpreter
   start-up included):
   * cold: no cache (every prefiltered file parsed);
   * unchanged: the same tree again (best and median of ``--runs``);
   * one file the prefilter keeps edited (only it is parsed again), then the same
     file with a legacy import added back (check must fail, exit 1, G101);
   * a new module with a legacy import in a package the move map's index covers:
     the phase's run context changes, so every prefiltered file is parsed again;
4. ``--no-cache`` for comparison (everything re-parsed every time).

The target from the issue: an unchanged 5,000-file repository re-checked in
under 1 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@ssot-migrate.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@ssot-migrate.invalid",
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cwd: Path, *args: str, expect: int | None = 0) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "migrate", *args], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if expect is not None and proc.returncode != expect:
        raise SystemExit(f"{args}: exit {proc.returncode}, expected {expect}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return wall, proc


def check(cwd: Path, *extra: str, expect: int = 0) -> tuple[float, dict]:
    wall, proc = run(cwd, "check", "--spec", synth.SPEC_NAME, "--format", "json", *extra, expect=expect)
    return wall, json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5, help="timed runs of the unchanged re-check (default 5)")
    ap.add_argument("--out", type=Path, help="work directory, kept; a corpus with phase C applied there is reused (default: a temp dir, removed)")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON on stdout")
    args = ap.parse_args(argv)

    work = args.out or Path(tempfile.mkdtemp(prefix="ssot-bench-check-"))
    corpus = work / "corpus"
    env = {**os.environ, **GIT_ENV}
    reuse = args.out is not None and (corpus / ".ssot-migrate" / "phases" / "C" / "journal.json").is_file()
    apply_wall = None
    try:
        if reuse:
            log(f"reusing the corpus with phase C applied in {corpus}")
            truth = json.loads((corpus / synth.TRUTH_NAME).read_text(encoding="utf-8"))
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=corpus, check=True, env=env)
            subprocess.run(["git", "clean", "-qfd", "--", "app"], cwd=corpus, check=True, env=env)
        else:
            if corpus.exists():
                shutil.rmtree(corpus)
            corpus.mkdir(parents=True)
            log(f"generating {args.files} files in {corpus}")
            truth = synth.generate(corpus, args.files, args.seed)
            for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "corpus"]):
                subprocess.run(cmd, cwd=corpus, check=True, env=env, capture_output=True)
            log("applying phase C (not timed)")
            apply_wall, _ = run(corpus, "apply", "C", "--spec", synth.SPEC_NAME, "--allow-dirty")
            subprocess.run(["git", "add", "-A"], cwd=corpus, check=True, env=env)
            subprocess.run(["git", "commit", "-qm", "phase C"], cwd=corpus, check=True, env=env, capture_output=True)
        n_py = sum(1 for p in corpus.rglob("*.py") if ".git" not in p.parts)

        log("check, cold (no cache)")
        shutil.rmtree(corpus / ".ssot-migrate" / "cache", ignore_errors=True)
        cold, cold_doc = check(corpus)
        check(corpus)  # settles the result cache (a no-op when the cold run wrote it)
        log("check, unchanged")
        warm = []
        for _ in range(args.runs):
            wall, doc = check(corpus)
            assert doc["from_cache"] and doc["ok"], doc
            warm.append((wall, doc["seconds"]))

        # A file the prefilter keeps, edited without a legacy reference: only it is parsed again.
        word = re.compile(rb"\bmanager\b")
        target = next(p for p in sorted(corpus.rglob("*.py")) if ".git" not in p.parts and word.search(p.read_bytes()))
        original = target.read_text(encoding="utf-8")
        target.write_text(original + "\n# edited\n", encoding="utf-8")
        edit_one, edit_doc = check(corpus)
        # A legacy import comes back in that existing file: check fails, pointing at it.
        target.write_text(f"from {synth.LEGACY} import WebSocketManager\n" + original, encoding="utf-8")
        regress, regress_doc = check(corpus, expect=1)
        rel = target.relative_to(corpus).as_posix()
        assert any(f["code"] == "G101" and f["path"] == rel for f in regress_doc["findings"]), regress_doc
        target.write_text(original, encoding="utf-8")
        # A new module with a legacy import, in a package the move map's index covers: the
        # phase's run context changes (a new submodule), so every prefiltered file is parsed again.
        back = corpus / "app" / "comeback.py"
        back.write_text(f"from {synth.LEGACY} import WebSocketManager\n", encoding="utf-8")
        new_module, new_doc = check(corpus, expect=1)
        assert any(f["code"] == "G101" and f["path"] == "app/comeback.py" for f in new_doc["findings"]), new_doc
        back.unlink()
        log("check --no-cache (for comparison)")
        nocache, _ = check(corpus, "--no-cache")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)

    walls = [w for w, _ in warm]
    inner = [s for _, s in warm]
    numbers = {
        "python_files": n_py,
        "files_hashed": cold_doc["files"],
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "apply_c_s": round(apply_wall, 2) if apply_wall is not None else None,
        "cold_s": round(cold, 2),
        "cold_parsed": cold_doc["parsed"],
        "unchanged_best_s": round(min(walls), 3),
        "unchanged_median_s": round(statistics.median(walls), 3),
        "unchanged_in_process_median_s": round(statistics.median(inner), 3),
        "one_file_edited_s": round(edit_one, 2),
        "one_file_edited_parsed": edit_doc["parsed"],
        "legacy_import_back_s": round(regress, 2),
        "legacy_import_back_parsed": regress_doc["parsed"],
        "new_module_s": round(new_module, 2),
        "new_module_parsed": new_doc["parsed"],
        "no_cache_s": round(nocache, 2),
    }
    if args.json:
        print(json.dumps(numbers, indent=2))
    rows = [
        ("Python files / files hashed", f"{numbers['python_files']} / {numbers['files_hashed']}"),
        ("check, cold (no cache)", f"{numbers['cold_s']} s ({numbers['cold_parsed']} files parsed)"),
        ("check, unchanged: best / median", f"{numbers['unchanged_best_s']} s / {numbers['unchanged_median_s']} s"),
        ("  of which inside the command", f"{numbers['unchanged_in_process_median_s']} s"),
        ("check, one prefiltered file edited", f"{numbers['one_file_edited_s']} s ({numbers['one_file_edited_parsed']} file(s) parsed)"),
        ("check, a legacy import comes back", f"{numbers['legacy_import_back_s']} s ({numbers['legacy_import_back_parsed']} file(s) parsed; exit 1, G101)"),
        ("check, a new module with one", f"{numbers['new_module_s']} s ({numbers['new_module_parsed']} file(s) parsed; exit 1, G101)"),
        ("check --no-cache", f"{numbers['no_cache_s']} s"),
    ]
    out = sys.stderr if args.json else sys.stdout
    print(f"\n{numbers['machine']}, {numbers['cores']} cores, load average {numbers['load_average']}", file=out)
    width = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
