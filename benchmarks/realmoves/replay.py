"""Replay real refactoring commits of public Python projects with ssot-migrate and LibCST.

For each case of ``cases.toml``: extract the parent and the human commit from a local mirror
of the project, reproduce the human's first step on the parent (``git mv`` of the moved
modules, or the human's new module files), then run

* ``python -m migrate plan C --format json`` and ``apply C`` on a copy (whatever ssot-migrate
  this interpreter imports: run it with the venv the integrator wants to measure), and
* ``python -m libcst.tool codemod rename.RenameCommand`` once per move on another copy,

and compare each result with the human commit reference by reference (see ``refs.py``):
which references to the moved paths the human changed, which each tool reproduced, which
it missed (with the report code ssot-migrate gave at that line), which it changed although
the human did not, and which files no longer import: statically (every project-internal import must name an
existing module and a name that module binds) and at runtime (each module that should change is
imported in a fresh interpreter; a module that fails in the human's tree too is not counted).

    python benchmarks/realmoves/replay.py --mirror-dir /work/.mirror --out benchmarks/realmoves/results.json

The mirror directory holds ``owner+name/repo`` (the layout of the ``fetch`` tool), ``owner+name``
or ``name``: a bare git directory or a clone. Nothing of the projects is written outside the
work directory (``--work``, default: a temporary directory, removed unless ``--keep``).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import refs as R  # noqa: E402

SPEC_NAME = "realmoves-ssot-migrate.toml"
SKIP_DIRS = {".git", ".ssot-migrate", "__pycache__", ".tox", ".nox"}


# ---------------------------------------------------------------------------
# Trees.
# ---------------------------------------------------------------------------


def git_dir(mirror: Path, repo: str) -> Path:
    owner, name = repo.split("/")
    for cand in (mirror / f"{owner}+{name}" / "repo", mirror / f"{owner}+{name}", mirror / name):
        if (cand / ".git").exists():
            return cand / ".git"
        if (cand / "HEAD").is_file() and (cand / "objects").is_dir():
            return cand
    raise SystemExit(f"error: no git mirror of {repo} under {mirror} (tried {owner}+{name}/repo, {owner}+{name}, {name})")


def extract(gdir: Path, commit: str, dest: Path) -> None:
    dest.mkdir(parents=True)
    arch = subprocess.run(["git", "--git-dir", str(gdir), "archive", "--format=tar", commit], capture_output=True)
    if arch.returncode != 0:
        raise SystemExit(f"error: git archive {commit} in {gdir}: {arch.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch.stdout, check=True)


def py_files(root: Path, exclude: list[str]) -> dict[str, bytes]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for f in filenames:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/")
                if not any(fnmatch.fnmatch(rel, g) for g in exclude):
                    out[rel] = (Path(dirpath) / f).read_bytes()
    return out


def first_step(case: dict, base: Path, human: Path) -> list[str]:
    """Apply the human's first step to ``base``; returns the files it wrote (taken from the human commit)."""
    for src, dst in case.get("git-mv", []):
        (base / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(base / src), str(base / dst))
    written = []
    for rel in case.get("human-files", []):
        if (human / rel).exists():
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(human / rel, base / rel)
        elif (base / rel).exists():
            (base / rel).unlink()
        written.append(rel)
    return written


def forwarders(case: dict, base: Path, roots: list[str]) -> tuple[list[str], list[str]]:
    """Write the shape phase C was built for: each legacy path re-exports its canonical module's names.

    A module move ``A -> B`` gets, for every module file of ``B``, a file at the matching ``A``
    path that imports each top-level name of the ``B`` module; a symbol move ``A:X -> B:Y`` gets
    ``from B import Y as X`` appended to ``A``. Returns (files created, files appended to).
    """
    created, appended = [], []
    mods = {}
    for rel in py_files(base, case.get("exclude", [])):
        m = R.module_of(rel, roots)
        if m:
            mods[m[0]] = rel
    for src, dst in case["moves"]:
        if ":" in src:
            (a, x), (b, y) = src.split(":"), dst.split(":")
            rel = mods.get(a)
            if rel is None:
                continue
            with open(base / rel, "a", encoding="utf-8") as fh:
                fh.write(f"from {b} import {y}{'' if x == y else ' as ' + x}  # forwarder (realmoves)\n")
            appended.append(rel)
            continue
        for mod, rel in sorted(mods.items()):
            if mod != dst and not mod.startswith(dst + "."):
                continue
            legacy_mod = src + mod[len(dst):]
            is_pkg = rel.endswith("__init__.py")
            root = Path(*Path(rel).parts[: len(Path(rel).parts) - mod.count(".") - 1 - is_pkg])
            legacy_rel = str(root.joinpath(*legacy_mod.split(".")) / "__init__.py" if is_pkg
                             else root.joinpath(*legacy_mod.split(".")).with_suffix(".py"))
            names = sorted(n for n in R.file_refs((base / rel).read_bytes(), rel, roots).bindings if not n.startswith("__"))
            body = f"from {mod} import (  # noqa: F401  forwarder (realmoves)\n" + "".join(f"    {n},\n" for n in names) + ")\n"
            (base / legacy_rel).parent.mkdir(parents=True, exist_ok=True)
            (base / legacy_rel).write_text(body if names else f"import {mod}  # noqa: F401  forwarder (realmoves)\n", encoding="utf-8")
            created.append(legacy_rel.replace(os.sep, "/"))
    return created, sorted(set(appended))


def spec_text(case: dict) -> str:
    lines = ["# written by benchmarks/realmoves/replay.py", f"source-roots = {json.dumps(case['source-roots'])}"]
    if case.get("exclude"):
        lines.append(f"exclude = {json.dumps(case['exclude'])}")
    for src, dst in case["moves"]:
        lines += ["", "[[move]]", f'from = "{src}"', f'to = "{dst}"']
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Running the tools.
# ---------------------------------------------------------------------------


def run(cmd: list[str], cwd: Path, timeout: float) -> dict:
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", PYTHONHASHSEED="0")
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = None, exc.stdout or b"", (exc.stderr or b"") + b"\n[timed out]"
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"rc": rc, "wall": round(time.perf_counter() - t0, 2), "cpu": round(cpu, 2), "stdout": out,
            "stderr": err.decode(errors="replace")}


def ours(base: Path, copy: Path, jobs: int, timeout: float) -> tuple[dict, Path]:
    plan = run([sys.executable, "-m", "migrate", "plan", "C", "--spec", SPEC_NAME, "--format", "json", "-j", str(jobs)], base, timeout)
    info: dict = {"plan_rc": plan["rc"], "plan_wall_s": plan["wall"], "plan_cpu_s": plan["cpu"]}
    try:
        data = json.loads(plan["stdout"])
    except ValueError:
        data = None
        info["plan_error"] = plan["stderr"][-3000:]
    info["plan"] = data
    shutil.copytree(base, copy)
    app = run([sys.executable, "-m", "migrate", "apply", "C", "--spec", SPEC_NAME, "--allow-dirty", "-j", str(jobs)], copy, timeout)
    info.update(apply_rc=app["rc"], apply_wall_s=app["wall"], apply_stderr_tail=app["stderr"][-1500:])
    return info, copy


def libcst(base: Path, work: Path, case: dict, jobs: int, timeout: float) -> tuple[dict, Path]:
    copy = work / "libcst"
    shutil.copytree(base, copy)
    init = run([sys.executable, "-m", "libcst.tool", "initialize", "."], copy, timeout)
    if init["rc"] != 0:
        raise SystemExit(f"error: libcst.tool initialize: {init['stderr']}")
    runs, wall, cpu = [], 0.0, 0.0
    for src, dst in case["moves"]:
        old, new = src.replace(":", "."), dst.replace(":", ".")
        leaf = old.rsplit(".", 1)[-1]
        # RenameCommand only changes files that spell the old name, so a substring prefilter on
        # its last component skips nothing it would rewrite and keeps the run to seconds.
        files = sorted(r for r, b in py_files(copy, case.get("exclude", [])).items() if leaf.encode() in b)
        if not files:
            runs.append({"old": old, "files": 0, "rc": 0})
            continue
        r = run([sys.executable, "-m", "libcst.tool", "codemod", "rename.RenameCommand", "-j", str(jobs), "--no-format",
                 "--hide-progress", "--old_name", old, "--new_name", new, *files], copy, timeout)
        wall += r["wall"]
        cpu += r["cpu"]
        tail = [ln for ln in r["stderr"].splitlines() if ln.strip()][-3:]
        runs.append({"old": old, "files": len(files), "rc": r["rc"], "summary": tail})
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "runs": runs}, copy


# ---------------------------------------------------------------------------
# Comparing with the human commit.
# ---------------------------------------------------------------------------


class Moves:
    """The spec's move map, applied to dotted targets."""

    def __init__(self, moves: list[list[str]]):
        self.pairs = []
        for src, dst in moves:
            self.pairs.append((src.replace(":", "."), dst.replace(":", ".")))
        self.pairs.sort(key=lambda p: -len(p[0]))
        # Modules whose other references count when the human changed them (a symbol move's
        # module, e.g. a mock.patch target through it); a module move's are all mapped.
        self.modules = sorted({src.split(":")[0] for src, _ in moves}, key=len, reverse=True)

    def map(self, target: str) -> str | None:
        for old, new in self.pairs:
            if target == old or target.startswith(old + "."):
                return new + target[len(old):]
        return None

    def in_module(self, target: str, submodules: set[str] = frozenset()) -> bool:
        """True for a name read through a symbol move's module (not one of its submodules)."""
        for m in self.modules:
            if target == m or target.startswith(m + "."):
                nxt = target[len(m) + 1:].split(".")[0]
                return not nxt or f"{m}.{nxt}" not in submodules
        return False


def unresolved_imports(tree: dict[str, R.FileRefs], roots: list[str], unchecked: set[str] = frozenset()) -> dict[str, set]:
    """Per file, the project-internal imports that name a missing module or a name the module does not bind.

    Imports of ``unchecked`` modules and their submodules (the excluded paths: vendored code) are not checked.
    """
    mods: dict[str, str] = {}
    for rel in tree:
        m = R.module_of(rel, roots)
        if m:
            mods[m[0]] = rel
    prefixes = {".".join(m.split(".")[:i]) for m in mods for i in range(1, m.count(".") + 1)}
    tops = {m.split(".")[0] for m in mods}

    def exists(m: str) -> bool:
        return m in mods or m in prefixes

    out: dict[str, set] = {}
    for rel, fr in tree.items():
        bad = set()
        if not fr.parsed:
            bad.add(("<does not parse>", None))
        for _line, mod, name in fr.imports:
            if mod.split(".")[0] not in tops or any(mod == u or mod.startswith(u + ".") for u in unchecked):
                continue
            parts = mod.split(".")
            if not all(exists(".".join(parts[:i])) for i in range(1, len(parts) + 1)):
                bad.add((mod, name))
            elif name is not None and not exists(f"{mod}.{name}"):
                target = tree.get(mods.get(mod, ""))
                if target is not None and not target.permissive and name not in target.bindings:
                    bad.add((mod, name))
        if bad:
            out[rel] = bad
    return out


IMPORT_SCRIPT = "import importlib, sys, warnings; warnings.simplefilter('ignore'); importlib.import_module(sys.argv[1])"


def runtime_imports(python: str, root: Path, roots: list[str], modules: list[str], jobs: int,
                    timeout: float) -> dict[str, str | None]:
    """Import each module in its own fresh interpreter with the tree's source roots on sys.path; module -> error or None."""
    from concurrent.futures import ThreadPoolExecutor

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(str((root / r).resolve()) for r in roots))

    def one(mod: str) -> str | None:
        try:
            p = subprocess.run([python, "-c", IMPORT_SCRIPT, mod], cwd=root, env=env, capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timed out"
        if p.returncode == 0:
            return None
        last = [ln for ln in p.stderr.splitlines() if ln.strip()]
        return (last[-1] if last else f"exit {p.returncode}")[:300]

    with ThreadPoolExecutor(max(1, jobs)) as ex:
        return dict(zip(modules, ex.map(one, modules)))


def find_python(version: str | None) -> str:
    """An interpreter of ``version`` ("3.8") that runs: on PATH or under ~/.pyenv; else this one."""
    if not version:
        return sys.executable
    cands = [shutil.which(f"python{version}")]
    cands += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}*/bin/python{version}"))
    for c in cands:
        if c and subprocess.run([c, "-c", "pass"], capture_output=True).returncode == 0:
            return c
    print(f"[realmoves] no working python{version}; the runtime import check uses {sys.executable}", file=sys.stderr)
    return sys.executable


def report_index(plan: dict | None) -> dict[tuple[str, int | None], list[str]]:
    """Report codes by (file, line); C000 (a protected module: nothing in it is rewritten) by (file, None)."""
    idx: dict[tuple[str, int | None], list[str]] = {}
    for r in (plan or {}).get("reports", []):
        idx.setdefault((r["path"], None if r["code"] == "C000" else r["line"]), []).append(r["code"])
    return idx


def compare(base: dict[str, R.FileRefs], human: dict[str, R.FileRefs], tool: dict[str, R.FileRefs],
            moves: Moves, reports: dict | None, skip: set[str], submodules: set[str] = frozenset()) -> dict:
    """Reference-by-reference comparison of a tool's tree with the human's, both from ``base``.

    In scope: every reference the spec maps, plus a reference through a symbol move's module
    that the human changed (a ``mock.patch`` target of a name imported there, say), but not an
    import of that module's submodules (those did not move).
    """
    hc_total = repro = 0
    missed, extra, wrong, other = [], [], [], []
    for rel in sorted(set(base) | set(human)):
        if rel in skip:
            continue
        b = base.get(rel, R.FileRefs()).counter()
        h = human.get(rel, R.FileRefs()).counter()
        t = tool.get(rel, R.FileRefs()).counter()
        lines = base.get(rel, R.FileRefs()).refs
        gain: Counter = Counter()
        for key in set(t) | set(b):
            if t[key] > b[key]:
                gain[key] = t[key] - b[key]
        for key in sorted(b):
            kind, target = key
            mapped = moves.map(target)
            hc = max(0, b[key] - h[key])
            if mapped is None and not (moves.in_module(target, submodules) and hc):
                if t[key] < min(b[key], h[key]):  # removed by the tool, kept by the human
                    other.append({"file": rel, "kind": kind, "target": target, "lines": lines[key],
                                  "count": min(b[key], h[key]) - t[key]})
                continue
            tc = max(0, b[key] - t[key])
            ok = tc
            if mapped is not None:
                ok = min(tc, gain[(kind, mapped)])
                gain[(kind, mapped)] -= ok
            rep = min(hc, ok)
            hc_total += hc
            repro += rep
            codes = sorted({c for ln in [*lines[key], None] for c in (reports or {}).get((rel, ln), [])})
            entry = {"file": rel, "lines": lines[key], "kind": kind, "target": target, "expected": mapped}
            if hc > rep:
                missed.append({**entry, "count": hc - rep, "codes": codes if reports is not None else None})
            if tc - ok:
                wrong.append({**entry, "count": tc - ok})
            if ok > hc:
                extra.append({**entry, "count": ok - hc})
    return {"human_changed": hc_total, "reproduced": repro, "missed": missed, "extra": extra,
            "removed_not_rewritten": wrong, "other_refs_changed": other}


def excluded_modules(root: Path, exclude: list[str], roots: list[str]) -> set[str]:
    """The outermost modules and packages that the exclude globs remove from the scan."""
    names = set()
    for rel in set(py_files(root, [])) - set(py_files(root, exclude)):
        m = R.module_of(rel, roots)
        if m:
            names.add(m[0])
    return {n for n in names if not any(n.startswith(o + ".") for o in names)}


def scan(root: Path, exclude: list[str], roots: list[str]) -> tuple[dict[str, bytes], dict[str, R.FileRefs]]:
    files = py_files(root, exclude)
    return files, {rel: R.file_refs(src, rel, roots) for rel, src in files.items()}


def replay_case(case: dict, mirror: Path, work: Path, jobs: int, timeout: float, skip_libcst: bool,
                runtime: bool = True) -> dict:
    cwork = work / case["name"]
    if cwork.exists():
        shutil.rmtree(cwork)
    gdir = git_dir(mirror, case["repo"])
    parent, human, base = cwork / "parent", cwork / "human", cwork / "base"
    extract(gdir, case["parent"], parent)
    extract(gdir, case["human"], human)
    if case.get("pre-step"):
        # The first step is itself a commit: imports are judged against the tree before it.
        extract(gdir, case["pre-step"], cwork / "pre-step")
    shutil.copytree(parent, base)
    step_files = first_step(case, base, human)
    (base / SPEC_NAME).write_text(spec_text(case), encoding="utf-8")
    excl, roots = case.get("exclude", []), case["source-roots"]
    moves = Moves(case["moves"])

    parent_refs = scan(parent, excl, roots)[1]
    base_files, base_refs = scan(base, excl, roots)
    _, human_refs = scan(human, excl, roots)
    # The parent's files under their post-first-step paths, to tell which imports were already
    # unresolved before anyone touched the tree.
    if case.get("pre-step"):
        parent_refs = scan(cwork / "pre-step", excl, roots)[1]
    unchecked = excluded_modules(base, excl, roots)
    submods = {m[0] for m in (R.module_of(r, roots) for r in base_refs) if m}
    # Resolved in the parent's own layout, then keyed by the paths after the first step.
    before = {}
    for rel, bad in unresolved_imports(parent_refs, roots, unchecked).items():
        for src, dst in case.get("git-mv", []):
            if rel == src or rel.startswith(src + "/"):
                rel = dst + rel[len(src):]
        before[rel] = bad

    def broken(tree: dict[str, R.FileRefs]) -> dict[str, list]:
        now = unresolved_imports(tree, roots, unchecked)
        out = {}
        for rel, bad in now.items():
            new = bad - before.get(rel, set())
            if new:
                out[rel] = sorted(f"{m}:{n}" if n else m for m, n in new)
        return out

    result: dict = {k: case[k] for k in ("name", "shape", "repo", "parent", "human")}
    if case.get("pre-step"):
        result["pre-step"] = case["pre-step"]
    result["first_step"] = {"git-mv": case.get("git-mv", []), "human-files": step_files}
    result["spec"] = spec_text(case)
    result["py_files"] = len(base_files)
    skip = set(step_files)
    human_cmp = compare(base_refs, human_refs, human_refs, moves, None, skip, submods)
    human_files = py_files(human, excl)
    result["human"] = {"human_changed": human_cmp["human_changed"], "files_broken": broken(human_refs),
                       "files_changed": sum(1 for r, s in human_files.items() if base_files.get(r) != s and r not in skip)}

    tools = {}
    fwd_base = cwork / "base-forwarders"
    shutil.copytree(base, fwd_base)
    created, appended = forwarders(case, fwd_base, roots)
    result["forwarders"] = {"created": created, "appended-to": appended}
    # Modules that should change: the human changed them, or they held a reference to a moved path.
    check_mods = sorted({R.module_of(r, roots)[0] for r, fr in base_refs.items()
                         if r not in skip and R.module_of(r, roots)
                         and (human_files.get(r) != base_files[r] or any(moves.map(t) for _, t in fr.refs))})
    python = find_python(case.get("runtime-python"))
    result["runtime_python"] = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                              capture_output=True, text=True).stdout.strip()
    human_rt = runtime_imports(python, human, roots, check_mods if runtime else [], jobs, timeout)
    result["human"]["runtime_import_failures"] = {m: e for m, e in human_rt.items() if e}
    result["runtime_checked"] = check_mods if runtime else None

    def runtime_broken(out: Path) -> dict[str, str]:
        rt = runtime_imports(python, out, roots, check_mods if runtime else [], jobs, timeout)
        return {m: e for m, e in rt.items() if e and not human_rt.get(m)}

    variants = (("ssot-migrate", base, [], []), ("ssot-migrate, forwarders", fwd_base, created, appended))
    for name, tree_in, v_created, v_appended in variants:
        tskip = skip | set(v_created) | set(v_appended)
        info, out = ours(tree_in, cwork / name.replace(", ", "-"), jobs, timeout)
        plan = info.pop("plan")
        files, trefs = scan(out, excl, roots)
        cmp = compare(base_refs, human_refs, trefs, moves, report_index(plan), tskip, submods)
        rep_codes = Counter(f"{r['code']}:{r['severity']}" for r in (plan or {}).get("reports", []))
        # Judged as after the transition: the forwarders gone, the legacy modules as the human left them.
        for rel in v_created:
            (out / rel).unlink()
        for rel in v_appended:
            shutil.copy2(base / rel, out / rel)
        final = {r: (base_refs[r] if r in v_appended else fr) for r, fr in trefs.items() if r not in v_created}
        tools[name] = {**info, **cmp, "files_changed": sum(1 for r, s in files.items() if base_files.get(r, b"") != s and r not in tskip),
                       "files_broken": broken(final), "runtime_broken": runtime_broken(out),
                       "plan_summary": (plan or {}).get("summary"), "plan_reports": dict(sorted(rep_codes.items()))}
    if not skip_libcst:
        info, out = libcst(base, cwork, case, jobs, timeout)
        files, trefs = scan(out, excl, roots)
        cmp = compare(base_refs, human_refs, trefs, moves, None, skip, submods)
        tools["libcst"] = {**info, **cmp, "files_changed": sum(1 for r, s in files.items() if base_files.get(r) != s),
                           "files_broken": broken(trefs), "runtime_broken": runtime_broken(out)}
    result["tools"] = tools
    return result


# ---------------------------------------------------------------------------
# Output.
# ---------------------------------------------------------------------------


def tool_identity() -> dict:
    try:
        import migrate
    except ImportError:
        raise SystemExit("error: this interpreter cannot import ssot-migrate's `migrate` package; run it with the project's venv")
    src = Path(migrate.__file__).resolve().parent.parent
    h = hashlib.sha256()
    for d in ("migrate", "codemods"):
        for p in sorted((src / d).rglob("*.py")):
            h.update(p.relative_to(src).as_posix().encode() + b"\0" + p.read_bytes())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=src, capture_output=True, text=True).stdout.strip()
    last = subprocess.run(["git", "log", "-1", "--format=%h", "--", "migrate", "codemods"], cwd=src, capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "migrate", "codemods"], cwd=src, capture_output=True, text=True).stdout.strip()
    try:
        from importlib.metadata import version
        lib_v = version("libcst")
    except Exception:
        lib_v = "?"
    return {"source": str(src), "git_head": head or None, "sources_last_commit": last or None, "sources_dirty": bool(dirty), "sources_sha256": h.hexdigest()[:16],
            "libcst": lib_v, "python": sys.version.split()[0]}


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "n/a"


def table(results: list[dict]) -> str:
    head = ("| case | tool | human changed | reproduced | missed (codes) | extra | removed, not rewritten | files that no longer import: static, runtime | wall / CPU s |\n"
            "|---|---|---|---|---|---|---|---|---|")
    rows = [head]
    for res in results:
        rt = res.get("runtime_checked")
        for name, t in res["tools"].items():
            codes: Counter = Counter()
            for m in t["missed"]:
                if m["codes"] is not None:
                    codes["+".join(m["codes"]) or "no report"] += m["count"]
            missed = sum(m["count"] for m in t["missed"])
            code_s = ", ".join(f"{c} {n}" for c, n in codes.most_common())
            time_s = f"{t.get('plan_wall_s', t.get('wall_s'))} / {t.get('plan_cpu_s', t.get('cpu_s'))}"
            rows.append(
                f"| {res['name']} | {name} | {t['human_changed']} | {t['reproduced']} ({pct(t['reproduced'], t['human_changed'])}) "
                f"| {missed}{' (' + code_s + ')' if code_s else ''} | {sum(e['count'] for e in t['extra'])} "
                f"| {sum(e['count'] for e in t['removed_not_rewritten']) + sum(e['count'] for e in t['other_refs_changed'])} "
                f"| {len(t['files_broken'])}, {len(t['runtime_broken']) if rt else 'n/a'} | {time_s} |")
        h = res["human"]
        rows.append(f"| {res['name']} | (human commit) | {h['human_changed']} | | | | | {len(h['files_broken'])}, "
                    + (f"{len(h['runtime_import_failures'])} of {len(rt)} fail in the human tree too (not counted) | |" if rt else "n/a | |"))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror-dir", type=Path, required=True, help="directory holding the projects' git mirrors")
    ap.add_argument("--cases", type=Path, default=HERE / "cases.toml")
    ap.add_argument("--only", action="append", default=[], help="run only this case (repeatable)")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    ap.add_argument("--work", type=Path, help="work directory (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (the trees each tool produced)")
    ap.add_argument("--jobs", "-j", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600, help="seconds per tool run")
    ap.add_argument("--skip-libcst", action="store_true")
    ap.add_argument("--no-runtime", action="store_true", help="skip the runtime import check (one interpreter per module and tree)")
    args = ap.parse_args(argv)

    cases = tomllib.loads(args.cases.read_text(encoding="utf-8"))["case"]
    if args.only:
        unknown = set(args.only) - {c["name"] for c in cases}
        if unknown:
            raise SystemExit(f"error: unknown case(s): {', '.join(sorted(unknown))}")
        cases = [c for c in cases if c["name"] in args.only]
    ident = tool_identity()
    work = args.work or Path(tempfile.mkdtemp(prefix="realmoves-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = []
    try:
        for case in cases:
            print(f"[realmoves] {case['name']} ...", file=sys.stderr, flush=True)
            results.append(replay_case(case, args.mirror_dir, work, args.jobs, args.timeout, args.skip_libcst, not args.no_runtime))
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    doc = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "nproc": os.cpu_count(), "jobs": args.jobs,
           "ssot_migrate": ident, "wall_s": round(time.perf_counter() - t0, 1), "cases": results}
    if args.out:
        args.out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nssot-migrate {ident['git_head']} (migrate/ and codemods/ last changed in {ident['sources_last_commit']}, "
          f"sha256 {ident['sources_sha256']}{', dirty' if ident['sources_dirty'] else ''}), "
          f"libcst {ident['libcst']}, python {ident['python']}; {doc['wall_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
