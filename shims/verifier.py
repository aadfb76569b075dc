"""``ssot-migrate shim verify``: import every legacy path in a fresh interpreter and check it.

For each generated shim, a subprocess (so no state leaks between checks)
imports the legacy path from a small script and reports:

* identity: every public name of the canonical module is the *same object*
  through the legacy path;
* the warning: its category is a LegacyImportWarning (or, near removal, the
  visible FutureWarning flavour) and it points at the script's import line;
* submodules: ``legacy.sub`` is ``canonical.sub`` for each submodule;
* single execution: no module file was executed under two module names.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

_PROBE = '''
import importlib, json, sys, warnings
sys.path[:0] = {paths!r}
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import {legacy}  # IMPORT_LINE
import_line = {import_line}
result = {{"errors": []}}
legacy = sys.modules[{legacy!r}]
canonical = importlib.import_module({target!r})
names = [n for n in dir(canonical) if not n.startswith("_")]
result["names"] = len(names)
result["identity"] = [n for n in names if getattr(legacy, n, None) is not getattr(canonical, n)]
import {runtime} as _rt
result["runtime_dir"] = __import__("os").path.dirname(_rt.__file__)
LegacyImportWarning, LegacyRemovalWarning = _rt.LegacyImportWarning, _rt.LegacyRemovalWarning
ours = [w for w in caught if issubclass(w.category, (LegacyImportWarning, LegacyRemovalWarning))]
if not ours:
    # A bare `import legacy` may warn at first attribute use instead: use one.
    with warnings.catch_warnings(record=True) as caught2:
        warnings.simplefilter("always")
        getattr(legacy, names[0]) if names else None  # ATTR_LINE
    ours = [w for w in caught2 if issubclass(w.category, (LegacyImportWarning, LegacyRemovalWarning))]
    import_line = {attr_line}
result["warning"] = [ours[0].category.__name__, ours[0].filename, ours[0].lineno, __file__, import_line] if ours else None
subs = []
path = getattr(canonical, "__path__", None)
if path:
    import pkgutil
    for info in pkgutil.iter_modules(path):
        a = importlib.import_module({legacy!r} + "." + info.name)
        b = importlib.import_module({target!r} + "." + info.name)
        if a is not b:
            subs.append(info.name)
result["submodules"] = subs
files = {{}}
for name, mod in list(sys.modules.items()):
    f = getattr(mod, "__file__", None)
    if f:
        files.setdefault(f, set()).add(getattr(mod, "__name__", name))
result["double"] = sorted(f"{{f}}: {{sorted(ns)}}" for f, ns in files.items() if len(ns) > 1)
print("SSOT-VERIFY " + json.dumps(result))
'''


@dataclass
class ShimCheck:
    legacy: str
    target: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    warning: str = ""
    names: int = 0


def verify_shim(
    root: Path,
    source_roots: list[Path],
    legacy: str,
    target: str,
    timeout: float = 60,
    *,
    runtime: str = "shims",
    python: str | None = None,
) -> ShimCheck:
    """Check one shim in a fresh ``python`` (default: this interpreter; pass the
    production interpreter to prove the shims need nothing the tool brings)."""
    script_lines = textwrap.dedent(_PROBE).splitlines()
    import_line = next(i for i, line in enumerate(script_lines, 1) if "# IMPORT_LINE" in line)
    attr_line = next(i for i, line in enumerate(script_lines, 1) if "# ATTR_LINE" in line)
    script = "\n".join(script_lines).format(
        paths=[str(p) for p in source_roots] + [str(root)],
        legacy=legacy,
        target=target,
        runtime=runtime,
        import_line=import_line,
        attr_line=attr_line,
    )
    probe = root / ".ssot-migrate" / "verify_probe.py"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SSOT_SHIMS_MODE"}
    try:
        proc = subprocess.run([python or sys.executable, str(probe)], cwd=root, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return ShimCheck(legacy, target, False, [f"importing {legacy} did not finish in {timeout:.0f}s (deadlock?)"])
    finally:
        probe.unlink(missing_ok=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("SSOT-VERIFY ")), None)
    if line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        problem = f"importing {legacy} failed: {tail[0]}"
        if f"from '{runtime}'" in tail[0] or f"No module named '{runtime.partition('.')[0]}'" in tail[0]:
            problem += (
                f" (the runtime {runtime!r} is missing or another package of that name shadows it; "
                "install ssot-migrate there, or generate with --runtime vendored)"
            )
        return ShimCheck(legacy, target, False, [problem])
    data = json.loads(line[len("SSOT-VERIFY "):])
    problems = []
    if data["identity"]:
        problems.append(f"not the same objects through {legacy}: {', '.join(data['identity'][:5])}")
    warning = ""
    if data["warning"] is None:
        problems.append("no LegacyImportWarning was emitted")
    else:
        cat, filename, lineno, probe_file, probe_line = data["warning"]
        shims_dir = data.get("runtime_dir") or str(Path(__file__).resolve().parent)
        if filename == probe_file:
            warning = f"{cat} at the import line" if lineno == probe_line else cat
            if lineno != probe_line:
                problems.append(f"{cat} points at line {lineno} of the importing script, not the import (line {probe_line})")
        elif filename.startswith("<") or "importlib" in filename or filename.startswith(shims_dir):
            problems.append(f"{cat} points into {filename}:{lineno}, not at the importing code")
        else:
            # Another legacy import ran first (e.g. a package __init__): that line is the right answer.
            rel = os.path.relpath(filename, root)
            warning = f"{cat} at {rel}:{lineno} (an earlier legacy import)"
    if data["submodules"]:
        problems.append(f"submodules differ: {', '.join(data['submodules'])}")
    if data["double"]:
        problems.append(f"a module ran twice: {data['double'][0]}")
    return ShimCheck(legacy, target, not problems, problems, warning, data["names"])


_RUNTIME_IMPORT = re.compile(rb"^from ([\w.]+) import forward_module\b", re.M)


def verify_all(spec, python: str | None = None) -> list[ShimCheck]:  # spec: migrate.spec.Spec
    from .generator import is_generated

    checks = []
    for mv in spec.module_moves:
        parts = mv.old.module.split(".")
        path = None
        for sr in spec.source_roots:
            for cand in (sr.joinpath(*parts).with_suffix(".py"), sr.joinpath(*parts) / "__init__.py"):
                if cand.is_file():
                    path = cand
        if path is None:
            continue
        data = path.read_bytes()
        if not is_generated(data):
            continue
        m = _RUNTIME_IMPORT.search(data)
        runtime = m.group(1).decode() if m else "shims"
        checks.append(verify_shim(spec.root, list(spec.source_roots), mv.old.module, mv.new.module, runtime=runtime, python=python))
    return checks
