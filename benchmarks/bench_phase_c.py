"""Phase C benchmark: ssot-migrate vs LibCST's RenameCommand on a synthetic repository.

    python benchmarks/bench_phase_c.py [--profile synthetic|netra] [--files N] [--seed 1] [--jobs N] [--json]

Steps (see benchmarks/README.md for what each number means):

1. generate a seeded corpus (``benchmarks/synth.py``) with its ground truth;
2. time ``ssot-migrate plan C --spec <spec> --format json`` (best of ``--runs``);
3. run ``ssot-migrate apply C --spec <spec> --allow-dirty`` on a copy (timed once);
4. run ``python -m libcst.tool codemod rename.RenameCommand --old_name <legacy>
   --new_name <canonical> .`` on another copy (``initialize``d, ``--no-format``);
5. score both rewritten trees against the ground truth and print the tables.

Every tool is a subprocess started with this interpreter, with the same worker
count.  Wall time includes interpreter start-up; CPU time is user+sys of the
subprocess and its workers.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import datetime as _dt
import io
import json
import os
import platform
import re
import shutil
import subprocess
import symtable
import sys
import tempfile
import time
import tokenize
from collections import Counter
from pathlib import Path

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

SKIP_DIRS = {".ssot-migrate", "__pycache__", ".git"}
BUILTIN_NAMES = frozenset(dir(builtins)) | {
    "__file__", "__name__", "__doc__", "__spec__", "__loader__", "__package__", "__path__",
    "__builtins__", "__annotations__", "__dict__", "__module__", "__qualname__", "__class__",
}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Running and timing the tools.
# ---------------------------------------------------------------------------


#: Where ssot-migrate's sources are imported from (``--ssot-src``; default: this checkout).
SSOT_SRC = REPO


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SSOT_SRC), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env.setdefault("PYTHONHASHSEED", "0")
    env["NO_COLOR"] = "1"
    env["TERM"] = "dumb"
    return env


def run_timed(cmd: list[str], cwd: Path, *, timeout: float | None = None) -> dict:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, timeout=timeout)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = None, exc.stdout or b"", (exc.stderr or b"") + b"\n[timed out]"
    wall = time.perf_counter() - t0
    cpu = None
    if resource:
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"cmd": cmd, "rc": rc, "wall": wall, "cpu": cpu, "stdout": out, "stderr": err}


def fail(what: str, res: dict) -> None:
    sys.stderr.write(f"{what} failed (exit {res['rc']}): {' '.join(map(str, res['cmd']))}\n")
    sys.stderr.write(res["stderr"].decode(errors="replace")[-4000:] + "\n")
    raise SystemExit(2)


def copy_corpus(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))


def ours_plan(corpus: Path, jobs: int) -> dict:
    cmd = [sys.executable, "-m", "migrate", "plan", "C", "--spec", synth.SPEC_NAME, "--format", "json", "-j", str(jobs)]
    res = run_timed(cmd, corpus)
    if res["rc"] != 0:
        fail("ssot-migrate plan", res)
    res["plan"] = json.loads(res["stdout"])
    return res


def ours_apply(corpus: Path, jobs: int) -> dict:
    cmd = [sys.executable, "-m", "migrate", "apply", "C", "--spec", synth.SPEC_NAME, "--allow-dirty", "-j", str(jobs)]
    return run_timed(cmd, corpus)


def libcst_run(corpus: Path, jobs: int, legacy: str, canonical: str, timeout: float | None) -> dict:
    init = subprocess.run([sys.executable, "-m", "libcst.tool", "initialize", str(corpus)], capture_output=True, env=tool_env())
    if init.returncode != 0:
        raise SystemExit(f"libcst.tool initialize failed: {init.stderr.decode(errors='replace')}")
    cmd = [
        sys.executable, "-m", "libcst.tool", "codemod", "rename.RenameCommand",
        "-j", str(jobs), "--no-format", "--hide-progress",
        "--old_name", legacy, "--new_name", canonical, ".",
    ]
    return run_timed(cmd, corpus, timeout=timeout)


# ---------------------------------------------------------------------------
# Scoring a rewritten tree.
# ---------------------------------------------------------------------------


def py_files(root: Path) -> dict[str, Path]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for f in filenames:
            if f.endswith(".py"):
                p = Path(dirpath) / f
                out[p.relative_to(root).as_posix()] = p
    return out


def module_of(rel: str) -> tuple[str, str]:
    """(module name, package used for relative imports)."""
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _resolve(package: str, level: int, module: str | None) -> str | None:
    if not level:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join(base + ([module] if module else [])) or None


def legacy_targets(truth: dict) -> tuple[list[str], list[tuple[str, str]]]:
    """(legacy modules, moved (module, name) symbols) of a corpus's ground truth."""
    return list(truth.get("legacy_modules", [truth["legacy"]])), [tuple(x) for x in truth.get("legacy_symbols", [])]  # type: ignore[misc]


def legacy_refs(tree: ast.AST, rel: str, legacy: str | dict) -> tuple[int, int]:
    """(legacy import statements, legacy dotted strings outside docstrings).

    ``legacy`` is one legacy module, or a ground truth naming several modules
    and moved symbols (``from pkg import Moved`` and ``"pkg.Moved"`` count).
    """
    if isinstance(legacy, dict):
        modules, symbols = legacy_targets(legacy)
    else:
        modules, symbols = [legacy], []
    _, package = module_of(rel)
    by_mod: dict[str, set[str]] = {}
    for m in modules:
        parent, _, leaf = m.rpartition(".")
        by_mod.setdefault(parent, set()).add(leaf)
    for m, n in symbols:
        by_mod.setdefault(m, set()).add(n)
    prefixes = modules + [f"{m}.{n}" for m, n in symbols]
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    imports = strings = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == m or a.name.startswith(m + ".") for a in node.names for m in modules):
                imports += 1
        elif isinstance(node, ast.ImportFrom):
            mod = _resolve(package, node.level, node.module)
            if mod and any(mod == m or mod.startswith(m + ".") for m in modules):
                imports += 1
            elif mod in by_mod and any(a.name in by_mod[mod] for a in node.names):
                imports += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            v = node.value
            if any(v == m or v.startswith(m + ".") or v.startswith(m + ":") for m in prefixes):
                strings += 1
    return imports, strings


def undefined_globals(src: str, filename: str) -> set[str]:
    """Names read as globals that nothing in the module binds (a cheap pyflakes F821)."""
    top = symtable.symtable(src, filename, "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    reads: set[str] = {s.get_name() for s in top.get_symbols() if s.is_referenced() and not (s.is_assigned() or s.is_imported())}
    stack = list(top.get_children())
    while stack:
        t = stack.pop()
        stack.extend(t.get_children())
        for s in t.get_symbols():
            if s.is_declared_global() and (s.is_assigned() or s.is_imported()):
                bound.add(s.get_name())
            if s.is_global() and s.is_referenced():
                reads.add(s.get_name())
    return reads - bound - BUILTIN_NAMES


def comments(src: bytes) -> Counter:
    out: Counter = Counter()
    try:
        for tok in tokenize.tokenize(io.BytesIO(src).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.string] += 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def snippet_count(text: str, snippet: str) -> int:
    return len(re.findall(r"(?<![\w.])" + re.escape(snippet), text))


IMPORT_SMOKE = r"""
import importlib, json, sys, traceback
root, mods = sys.argv[1], json.loads(sys.stdin.read())
sys.path.insert(0, root)
bad = {}
for m in mods:
    try:
        importlib.import_module(m)
    except BaseException as exc:  # noqa: BLE001
        bad[m] = f"{type(exc).__name__}: {exc}"
print(json.dumps(bad))
"""


def import_smoke(root: Path, modules: list[str]) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_SMOKE, str(root)],
        input=json.dumps(modules).encode(),
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if proc.returncode != 0:
        return {"<smoke>": proc.stderr.decode(errors="replace")[-500:]}
    return json.loads(proc.stdout)


def evaluate(result: Path, pristine: Path, truth: dict, *, smoke: bool = True) -> dict:
    legacy = truth  # every legacy module and moved symbol it names
    before_files = py_files(pristine)
    after_files = py_files(result)
    expected = set(truth["expected"])
    near_only = set(truth["near_miss_only"])
    changed, added, removed = set(), sorted(set(after_files) - set(before_files)), sorted(set(before_files) - set(after_files))
    for rel, p in before_files.items():
        q = after_files.get(rel)
        if q is not None and q.read_bytes() != p.read_bytes():
            changed.add(rel)
    parse_failures: list[str] = []
    leftover_imports = leftover_strings = 0
    leftover_files: set[str] = set()
    new_undefined: dict[str, list[str]] = {}
    lost_comments: dict[str, int] = {}
    for rel, q in sorted(after_files.items()):
        data = q.read_bytes()
        try:
            tree = ast.parse(data, rel)
        except (SyntaxError, ValueError) as exc:
            if rel in changed or rel in added:
                parse_failures.append(f"{rel}: {exc}")
            continue
        if rel in truth.get("legacy_paths", [truth["legacy_path"]]):
            continue
        imps, strs = legacy_refs(tree, rel, legacy)
        leftover_imports += imps
        leftover_strings += strs
        if imps or strs:
            leftover_files.add(rel)
        if rel in changed:
            before = before_files[rel].read_bytes()
            try:
                new = undefined_globals(data.decode(), rel) - undefined_globals(before.decode(), rel)
            except SyntaxError:
                new = set()
            if new:
                new_undefined[rel] = sorted(new)
            lost = comments(before) - comments(data)
            if lost:
                lost_comments[rel] = sum(lost.values())
    damaged: dict[str, list[str]] = {}
    for rel, snippets in truth["protected"].items():
        q = after_files.get(rel)
        if q is None:
            damaged[rel] = ["<file missing>"]
            continue
        b, a = before_files[rel].read_text(), q.read_text()
        bad = [s for s in dict.fromkeys(snippets) if snippet_count(a, s) < snippet_count(b, s)]
        if bad:
            damaged[rel] = bad
    fp = sorted(changed - expected)
    fn = sorted(expected - changed)
    incomplete = sorted(p for p in expected & changed if p in leftover_files)
    by_form: dict[str, dict[str, int]] = {}
    for rel, forms in truth["expected"].items():
        ok = rel in changed and rel not in leftover_files
        for f in forms:
            d = by_form.setdefault(f, {"files": 0, "done": 0})
            d["files"] += 1
            d["done"] += int(ok)
    smoke_failures: dict[str, str] = {}
    if smoke:
        legacy_paths = truth.get("legacy_paths", [truth["legacy_path"]])
        for rel in legacy_paths:
            legacy_file = result / rel
            if legacy_file.exists():
                legacy_file.unlink()  # the migration's point: consumers work without the legacy modules
        mods = sorted({module_of(r)[0] for r in expected | changed if r not in legacy_paths})
        smoke_failures = import_smoke(result, mods)
    return {
        "files_changed": len(changed),
        "changed_files": sorted(changed),
        "files_added": added,
        "files_removed": removed,
        "false_positives": len(fp),
        "false_positive_near_miss_files": len([p for p in fp if p in near_only]),
        "false_positive_files": fp,
        "false_negatives": len(fn),
        "false_negative_files": fn,
        "incomplete": len(incomplete),
        "incomplete_files": incomplete,
        "parse_failures": len(parse_failures),
        "parse_failure_files": parse_failures,
        "leftover_legacy_imports": leftover_imports,
        "leftover_legacy_strings": leftover_strings,
        "leftover_files": sorted(leftover_files),
        "new_undefined_names": len(new_undefined),
        "new_undefined_files": new_undefined,
        "damaged_near_miss": len(damaged),
        "damaged_near_miss_files": damaged,
        "lost_comments": sum(lost_comments.values()),
        "lost_comment_files": lost_comments,
        "import_failures": len(smoke_failures),
        "import_failure_modules": smoke_failures,
        "by_form": by_form,
    }


# ---------------------------------------------------------------------------
# Reporting.
# ---------------------------------------------------------------------------


def fmt_s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def print_tables(res: dict, out=sys.stdout) -> None:
    c = res["corpus"]
    m = res["machine"]
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"\nphase C benchmark  {m['date']}  nproc={m['nproc']} jobs={res['jobs']}  python {m['python']}  libcst {m['libcst']}")
    p(f"ssot-migrate from {m['ssot_migrate_src']} (git HEAD {m['ssot_migrate_head']}, working tree included); "
      f"sources sha256 {m['ssot_migrate_source_sha256']} (migrate/*.py, codemods/*.py)")
    p(
        f"corpus ({c.get('profile', 'synthetic')} profile): {c['python_files']} Python files, {c['lines']} lines (seed {c['seed']}); "
        f"{c['expected']} must change, {c['near_miss_only']} near-miss-only files; "
        f"legacy refs before: {c['legacy_imports_before']} imports, {c['legacy_strings_before']} patch strings"
    )
    t = res["timings"]
    p("\nTiming (wall clock incl. interpreter start-up; CPU = user+sys of the tool and its workers)")
    p(f"  {'tool':<44} {'runs':>5} {'best s':>9} {'all runs s':>26} {'CPU s':>8}")
    for key, label in (("ours_plan", "ssot-migrate plan C --format json"), ("ours_apply", "ssot-migrate apply C --allow-dirty"), ("libcst", "libcst.tool codemod rename.RenameCommand")):
        if key not in t:
            continue
        x = t[key]
        runs = ", ".join(fmt_s(w) for w in x["walls"])
        p(f"  {label:<44} {len(x['walls']):>5} {fmt_s(x['best']):>9} {runs:>26} {fmt_s(x['cpu_best']):>8}")
    if "libcst" in t and t["ours_plan"]["best"]:
        p(f"\n  speed ratio (LibCST best / ssot-migrate plan best): {res['speed_ratio']:.1f}x wall, "
          f"{res['cpu_ratio']:.1f}x CPU   (issue #6 target >= 20x: {'MET' if res['speed_ratio'] >= 20 else 'NOT met'}; "
          f"issue #12 target >= 60x: {'MET' if res['speed_ratio'] >= 60 else 'NOT met'})")
        p(f"  LibCST: RenameCommand of {res.get('libcst_rename', '?')} (one module rename)")
    if "plan" in res:
        pl = res["plan"]
        p(f"  ssot-migrate plan: {pl['files_scanned']} scanned, {pl['files_parsed']} parsed after the prefilter, "
          f"{pl['files_changed']} to change, {pl['edits']} edits, reports: {pl['report_counts']}")
        if "plan_matches_apply" in pl:
            p(f"  files written by apply == files in the plan: {pl['plan_matches_apply']}")
    p("\nCorrectness (files compared byte-wise with the untouched corpus; ground truth from synth.py)")
    cols = [
        ("changed", "files_changed"), ("FP", "false_positives"), ("FP near-miss", "false_positive_near_miss_files"),
        ("FN", "false_negatives"), ("incompl.", "incomplete"), ("parse fail", "parse_failures"),
        ("legacy imp", "leftover_legacy_imports"), ("legacy str", "leftover_legacy_strings"),
        ("new undef", "new_undefined_names"), ("near-miss dmg", "damaged_near_miss"),
        ("lost cmts", "lost_comments"), ("import fail", "import_failures"),
    ]
    p("  " + f"{'tool':<14}" + "".join(f"{h:>14}" for h, _ in cols))
    for key, label in (("ours", "ssot-migrate"), ("libcst", "LibCST")):
        if key in res["correctness"]:
            e = res["correctness"][key]
            p("  " + f"{label:<14}" + "".join(f"{e[k]:>14}" for _, k in cols))
    p("\n  per form: files fully migrated / files with that form")
    forms = sorted(next(iter(res["correctness"].values()))["by_form"])
    p("  " + f"{'form':<16}" + "".join(f"{lbl:>16}" for lbl in ("ssot-migrate", "LibCST") if (("ours" if lbl == "ssot-migrate" else "libcst") in res["correctness"])))
    for f in forms:
        row = f"  {f:<16}"
        for key in ("ours", "libcst"):
            if key in res["correctness"]:
                d = res["correctness"][key]["by_form"][f]
                row += f"{str(d['done']) + '/' + str(d['files']):>16}"
        p(row)
    for key, label in (("ours", "ssot-migrate"), ("libcst", "LibCST")):
        e = res["correctness"].get(key)
        if not e:
            continue
        ex = []
        for name, k in (("FP", "false_positive_files"), ("FN", "false_negative_files"), ("incomplete", "incomplete_files"), ("parse", "parse_failure_files")):
            if e[k]:
                ex.append(f"{name}: {e[k][:3]}")
        if e["new_undefined_files"]:
            ex.append(f"new undefined names: {dict(list(e['new_undefined_files'].items())[:3])}")
        if e["damaged_near_miss_files"]:
            ex.append(f"near-miss damaged: {dict(list(e['damaged_near_miss_files'].items())[:3])}")
        if e["import_failure_modules"]:
            ex.append(f"import failures: {dict(list(e['import_failure_modules'].items())[:3])}")
        if ex:
            p(f"\n  {label} examples:")
            for line in ex:
                p(f"    {line}")
    p("\nLegend: FP = files changed that should not; FN = files that should change but did not; incompl. = changed but a"
      "\nlegacy import/patch string is left; legacy imp/str = legacy imports / dotted strings left anywhere (ast);"
      "\nnew undef = changed files reading a global name nothing binds any more; near-miss dmg = files whose protected"
      "\nnear-miss lines were altered; lost cmts = comments dropped; import fail = rewritten/expected modules that fail"
      "\nto import once the legacy module is deleted.")


def machine_info() -> dict:
    try:
        from importlib.metadata import version

        libcst_v = version("libcst")
    except Exception:  # noqa: BLE001
        libcst_v = "?"
    try:
        date = subprocess.run(["date"], capture_output=True, text=True).stdout.strip()
    except OSError:
        date = _dt.datetime.now().isoformat()
    import hashlib

    h = hashlib.sha256()
    for sub in ("migrate", "codemods"):
        for f in sorted((SSOT_SRC / sub).glob("*.py")):
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=SSOT_SRC, capture_output=True, text=True).stdout.strip()
    except OSError:
        head = "?"
    return {
        "ssot_migrate_src": str(SSOT_SRC),
        "ssot_migrate_head": head or "?",
        "ssot_migrate_source_sha256": h.hexdigest()[:16],
        "date": date,
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "libcst": libcst_v,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark ssot-migrate phase C against LibCST's RenameCommand.")
    ap.add_argument("--profile", choices=sorted(synth.PROFILES), default="synthetic",
                    help="corpus shape: synthetic (one module move, 10%% of files change) or netra (issue #12's monorepo shape: "
                         "symbol moves out of a package __init__ plus two legacy modules, ~400-line files, 6.6%% change)")
    ap.add_argument("--files", type=int, default=None, help="corpus size, about this many Python files (default 1000; 2000 for --profile netra)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="worker processes for both tools (default: all cores)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of ssot-migrate plan (best is reported; default 3)")
    ap.add_argument("--libcst-runs", type=int, default=0, help="timed LibCST runs (default: 2 if the first takes < 60 s, else 1)")
    ap.add_argument("--libcst-timeout", type=float, default=None, help="give up on a LibCST run after this many seconds")
    ap.add_argument("--skip-libcst", action="store_true", help="only time and score ssot-migrate")
    ap.add_argument("--no-smoke", action="store_true", help="skip the import check of the rewritten modules")
    ap.add_argument("--out", type=Path, help="work directory (default: a temp dir, removed afterwards unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the corpus and the rewritten copies")
    ap.add_argument("--json", action="store_true", help="print the numbers as one JSON document on stdout (tables go to stderr)")
    ap.add_argument("--cprofile", action="store_true", help="also profile `ssot-migrate plan C -j 1` with cProfile and print the hotspots")
    ap.add_argument("--ssot-src", type=Path, default=REPO, help="directory holding the migrate/ and codemods/ packages to benchmark "
                    "(default: this checkout; e.g. a `git archive` snapshot of a commit)")
    args = ap.parse_args(argv)
    if args.files is None:
        args.files = 2000 if args.profile == "netra" else 1000
    global SSOT_SRC
    SSOT_SRC = args.ssot_src.resolve()
    if not (SSOT_SRC / "migrate" / "__init__.py").is_file():
        raise SystemExit(f"--ssot-src {SSOT_SRC}: no migrate/ package there")

    try:
        import libcst  # noqa: F401
    except ImportError:
        raise SystemExit("libcst is not importable: run with the project's venv (.venv/bin/python benchmarks/bench_phase_c.py)")

    work = args.out or Path(tempfile.mkdtemp(prefix="ssot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    res: dict = {"jobs": args.jobs, "machine": machine_info(), "timings": {}, "correctness": {}}
    try:
        log(f"generating {args.files} files (seed {args.seed}) in {corpus}")
        truth = synth.PROFILES[args.profile](corpus, args.files, args.seed)
        imps = strs = 0
        for rel, p in py_files(corpus).items():
            a, b = legacy_refs(ast.parse(p.read_bytes()), rel, truth)
            imps, strs = imps + a, strs + b
        res["corpus"] = {
            "profile": args.profile, "seed": args.seed, "python_files": truth["python_files"], "lines": truth["lines"],
            "expected": len(truth["expected"]), "near_miss_only": len(truth["near_miss_only"]),
            "legacy_imports_before": imps, "legacy_strings_before": strs, "path": str(corpus),
        }

        # (a) ssot-migrate plan, best of N.
        walls, cpus, plan = [], [], None
        for i in range(args.runs):
            r = ours_plan(corpus, args.jobs)
            walls.append(r["wall"])
            cpus.append(r["cpu"])
            plan = r["plan"]
            log(f"ssot-migrate plan run {i + 1}/{args.runs}: {r['wall']:.2f} s wall, {fmt_s(r['cpu'])} s CPU")
        best = min(range(len(walls)), key=walls.__getitem__)
        res["timings"]["ours_plan"] = {"walls": walls, "cpus": cpus, "best": walls[best], "cpu_best": cpus[best]}
        assert plan is not None
        res["plan"] = {
            "files_scanned": plan["files_scanned"], "files_parsed": plan["files_parsed"],
            "files_changed": plan["summary"]["files_changed"], "edits": plan["summary"]["edits"],
            "skipped": plan["summary"]["skipped"], "refused": plan["summary"]["refused"],
            "report_counts": dict(Counter(f"{r['code']}:{r['severity']}" for r in plan["reports"])),
            "changed_paths": sorted(c["path"] for c in plan["changes"]),
        }

        # ssot-migrate apply on a copy.
        ours_dir = work / "ours"
        copy_corpus(corpus, ours_dir)
        r = ours_apply(ours_dir, args.jobs)
        log(f"ssot-migrate apply: exit {r['rc']}, {r['wall']:.2f} s wall")
        res["timings"]["ours_apply"] = {"walls": [r["wall"]], "cpus": [r["cpu"]], "best": r["wall"], "cpu_best": r["cpu"], "rc": r["rc"]}
        if r["rc"] != 0:
            res["ours_apply_error"] = r["stderr"].decode(errors="replace")[-2000:]
            log("ssot-migrate apply failed:\n" + res["ours_apply_error"])
        log("scoring ssot-migrate")
        res["correctness"]["ours"] = evaluate(ours_dir, corpus, truth, smoke=not args.no_smoke)
        res["plan"]["plan_matches_apply"] = res["correctness"]["ours"]["changed_files"] == res["plan"]["changed_paths"]

        # (b) LibCST RenameCommand on copies.
        if not args.skip_libcst:
            walls, cpus = [], []
            n_runs = args.libcst_runs or 1
            i = 0
            while i < n_runs:
                lib_dir = work / f"libcst{i + 1}"
                copy_corpus(corpus, lib_dir)
                res["libcst_rename"] = f"{truth['legacy']} -> {truth['canonical']}"
                r = libcst_run(lib_dir, args.jobs, truth["legacy"], truth["canonical"], args.libcst_timeout)
                log(f"LibCST run {i + 1}: exit {r['rc']}, {r['wall']:.2f} s wall, {fmt_s(r['cpu'])} s CPU")
                if r["rc"] != 0:
                    res["libcst_error"] = r["stderr"].decode(errors="replace")[-2000:]
                    log("LibCST failed:\n" + res["libcst_error"])
                walls.append(r["wall"])
                cpus.append(r["cpu"])
                res["libcst_summary"] = [l for l in r["stderr"].decode(errors="replace").splitlines() if l.strip()][-5:]
                if i == 0:
                    log("scoring LibCST")
                    res["correctness"]["libcst"] = evaluate(lib_dir, corpus, truth, smoke=not args.no_smoke)
                    if not args.libcst_runs and r["wall"] < 60:
                        n_runs = 2
                if not args.keep:
                    shutil.rmtree(lib_dir, ignore_errors=True)
                i += 1
            best = min(range(len(walls)), key=walls.__getitem__)
            res["timings"]["libcst"] = {"walls": walls, "cpus": cpus, "best": walls[best], "cpu_best": cpus[best]}
            res["speed_ratio"] = walls[best] / res["timings"]["ours_plan"]["best"]
            ocpu, lcpu = res["timings"]["ours_plan"]["cpu_best"], cpus[best]
            res["cpu_ratio"] = (lcpu / ocpu) if (ocpu and lcpu) else float("nan")

        if args.cprofile:
            prof = work / "ssot-migrate-plan.prof"
            cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "migrate", "plan", "C", "--spec", synth.SPEC_NAME, "--format", "json", "-j", "1"]
            log("profiling ssot-migrate plan C -j 1 (cProfile)")
            pr = run_timed(cmd, corpus)
            if pr["rc"] == 0:
                import pstats

                buf = io.StringIO()
                st = pstats.Stats(str(prof), stream=buf)
                st.sort_stats("cumulative").print_stats(40)
                st.sort_stats("tottime").print_stats(20)
                res["profile"] = buf.getvalue()
                res["profile_path"] = str(prof)

        print_tables(res, out=sys.stderr if args.json else sys.stdout)
        if "profile" in res:
            print(res["profile"], file=sys.stderr if args.json else sys.stdout)
        if args.json:
            json.dump(res, sys.stdout, indent=1, default=str)
            sys.stdout.write("\n")
    finally:
        if args.keep:
            log(f"kept: {work}")
        elif not args.out:
            shutil.rmtree(work, ignore_errors=True)
        else:
            for d in ("ours", "libcst1", "libcst2"):
                shutil.rmtree(work / d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
