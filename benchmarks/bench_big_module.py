"""Time ``plan C`` on one generated module of a given size (issue #15, item 5).

A tiny repository (a legacy module, its canonical module) plus one generated
module of N MB that imports the legacy module and defines many small functions
(each with a comprehension: many symbol tables, which is what made the old
self-verification quadratic).  For each size: wall time, CPU time (user + system: steadier than
wall time on a shared machine) and peak RSS of
``python -m migrate plan C --no-diff --max-file-size 0 -j 1``, and the time of
one ``verify._scope_facts`` call on the module.

    .venv/bin/python benchmarks/bench_big_module.py 0.25 0.5 1 5
    .venv/bin/python benchmarks/bench_big_module.py --src /tmp/old 0.25 0.5 1   # a `git archive` of an older commit
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SPEC = """[tool.ssot-migrate]
source-roots = ["."]

[[tool.ssot-migrate.move]]
from = "pkg.legacy"
to = "pkg.canon"
"""

FUNC = "def f_{i}(x):\n    y = make() + x + {i}\n    return [v * y for v in range(x)]\n\n\n"


def generate(megabytes: float) -> bytes:
    target = int(megabytes * 1_000_000)
    parts = ["from pkg.legacy import make\n\n\n"]
    size = len(parts[0])
    i = 0
    while size < target:
        chunk = FUNC.format(i=i)
        parts.append(chunk)
        size += len(chunk)
        i += 1
    return "".join(parts).encode()


def make_repo(base: Path, data: bytes) -> Path:
    repo = base / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(SPEC)
    (repo / "pkg/__init__.py").write_text("")
    (repo / "pkg/canon.py").write_text("def make():\n    return 1\n")
    (repo / "pkg/legacy.py").write_text("from .canon import make\n")
    (repo / "pkg/huge.py").write_bytes(data)
    return repo


def run_plan(repo: Path, timeout: float, src: Path) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB of the child, exit code)."""
    # Sources from before the size limit have no --max-file-size (and no limit).
    limit = ["--max-file-size", "0"] if "max-file-size" in (src / "migrate/cli.py").read_text() else []
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage0.ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "migrate", "plan", "C", "--no-diff", *limit, "-j", "1"],
        cwd=repo, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(src)},
    )
    secs = time.perf_counter() - t0
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
    peak = usage1.ru_maxrss
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
    # ru_maxrss is the largest child so far (kB on Linux): meaningful when sizes grow.
    return secs, cpu, max(peak, before) / 1024, r.returncode


def scope_facts_seconds(data: bytes, src: Path) -> float:
    sys.path.insert(0, str(src))
    from migrate.verify import _scope_facts

    t0 = time.process_time()  # CPU seconds: this process is single-threaded here
    _scope_facts(data)
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", type=float, default=[0.25, 0.5, 1.0])
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--src", type=Path, default=ROOT, help="Benchmark the migrate/ package in DIR (e.g. a `git archive` of an older commit).")
    args = ap.parse_args()
    print(f"{'MB':>6} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'_scope_facts CPU s':>18} rc")
    for mb in args.sizes:
        data = generate(mb)
        with tempfile.TemporaryDirectory() as tmp:
            repo = make_repo(Path(tmp), data)
            secs, cpu, peak, rc = run_plan(repo, args.timeout, args.src.resolve())
        sf = scope_facts_seconds(data, args.src.resolve())
        print(f"{len(data) / 1e6:6.2f} {secs:8.1f} {cpu:8.1f} {peak:8.0f} {sf:18.3f} {rc}", flush=True)


if __name__ == "__main__":
    main()
