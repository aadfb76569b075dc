#!/usr/bin/env bash
# How `ssot-migrate plan C` scales with cores (issue #12: "16 cores at least 5x faster than 2").
#
# Self-contained: makes its own venv from this checkout (`pip install -e .`), generates the
# netra-shaped corpus (benchmarks/synth.py --profile netra, 8,000 files by default), times
# `plan C --format json` with -j 2, 4, 8, 16 (best of RUNS), checks every run planned the same
# changes, and prints a table.  About 5 minutes on 16 cores; nothing outside WORK is written.
#
#   bash benchmarks/device_scaling.sh
#   FILES=300 JOBS="1 2" RUNS=1 bash benchmarks/device_scaling.sh      # a quick try
#
# Environment: FILES (8000), JOBS ("2 4 8 16"), RUNS (2), SEED (1), WORK (a new temp dir),
# PYTHON (python3, for the venv), SSOT_VENV (reuse this venv instead of making one),
# PIP_ARGS (extra pip arguments, e.g. "--no-index --find-links /wheels" offline).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${FILES:-8000}"
JOBS="${JOBS:-2 4 8 16}"
RUNS="${RUNS:-2}"
SEED="${SEED:-1}"
WORK="${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/ssot-scaling.XXXXXX")}"
PYTHON="${PYTHON:-python3}"

mkdir -p "$WORK"
if [ -z "${SSOT_VENV:-}" ]; then
    SSOT_VENV="$WORK/venv"
    echo "[scaling] venv in $SSOT_VENV (pip install -e $REPO)" >&2
    "$PYTHON" -m venv "$SSOT_VENV"
    # shellcheck disable=SC2086
    "$SSOT_VENV/bin/python" -m pip install -q ${PIP_ARGS:-} -e "$REPO"
fi
PY="$SSOT_VENV/bin/python"

CORPUS="$WORK/corpus"
if [ ! -f "$CORPUS/ssot-migrate.toml" ]; then
    echo "[scaling] generating the netra-shaped corpus: $FILES files (seed $SEED)" >&2
    "$PY" "$REPO/benchmarks/synth.py" --profile netra --files "$FILES" --seed "$SEED" --out "$CORPUS" >&2
fi

echo "[scaling] timing plan C with -j $JOBS, best of $RUNS" >&2
cd "$CORPUS"
JOBS="$JOBS" RUNS="$RUNS" "$PY" - <<'EOF'
import json, os, platform, resource, subprocess, sys, time

jobs = [int(j) for j in os.environ["JOBS"].split()]
runs = int(os.environ["RUNS"])
rows, plans = [], {}
for j in jobs:
    best = None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "migrate", "plan", "C", "--spec", "ssot-migrate.toml",
                            "--format", "json", "-j", str(j)], capture_output=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"plan C -j {j} failed (exit {p.returncode}):\n{p.stderr.decode(errors='replace')[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        plan = json.loads(p.stdout)
        plans[j] = sorted((c["path"], c.get("diff", "")) for c in plan["changes"])
        if best is None or wall < best[0]:
            best = (wall, cpu, plan)
        print(f"[scaling] -j {j}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr, flush=True)
    rows.append((j, *best))
base = rows[0][1]
same = all(v == plans[jobs[0]] for v in plans.values())
print(f"\nplan C scaling  {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}  nproc={os.cpu_count()}  "
      f"python {platform.python_version()}  {platform.processor() or platform.machine()}")
p0 = rows[0][3]
print(f"corpus: {os.getcwd()}  {p0['files_scanned']} files scanned, {p0['files_parsed']} kept by the prefilter, "
      f"{p0['summary']['files_changed']} to change")
print(f"{'jobs':>5} {'best wall s':>12} {'CPU s':>9} {f'speed-up vs -j {jobs[0]}':>20}")
for j, wall, cpu, _ in rows:
    print(f"{j:>5} {wall:>12.2f} {cpu:>9.2f} {base / wall:>19.2f}x")
print(f"every run planned the same changes: {same}")
sys.exit(0 if same else 1)
EOF
