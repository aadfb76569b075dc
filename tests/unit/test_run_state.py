"""Run state lives on the run, never in module globals (two runs in one process start cold)."""

from __future__ import annotations

import pickle
from pathlib import Path

from migrate.phase import RunCache
from migrate.results import Status
from migrate.testing import run_phase

NOOP_STEP = '''
import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand


class Noop(VisitorBasedCodemodCommand):
    DESCRIPTION = "changes nothing"
'''


def _spec(old: str, new: str) -> str:
    return f'''
source-roots = ["."]
exclude = ["tools/**"]

[[move]]
from = "{old}"
to = "{new}"

[[step]]
phase = "C"
name = "noop"
libcst = "tools.steps:Noop"
'''


def _repo(root: Path, pkg: str) -> dict[str, str]:
    return {
        f"{pkg}/__init__.py": "",
        f"{pkg}/canon.py": "def make():\n    return 1\n",
        f"{pkg}/legacy.py": f"from {pkg}.canon import make\n",
        f"{pkg}/use.py": f"from {pkg}.legacy import make\n\nmake()\n",
        "tools/__init__.py": "",
        "tools/steps.py": NOOP_STEP,
    }


def test_a_second_spec_in_the_same_process_gets_its_own_prefilter(tmp_path: Path) -> None:
    # With custom steps, the engine applies the phase's prefilter per file; it used to be
    # cached by phase letter in a module global, so the second run matched the first
    # spec's paths and left every legacy import of the second spec unchanged, silently.
    first = run_phase(tmp_path / "one", "C", spec=_spec("alpha.legacy", "alpha.canon"), files=_repo(tmp_path, "alpha"))
    assert [o.path for o in first.outcomes if o.status is Status.CHANGED] == ["alpha/use.py"]
    second = run_phase(tmp_path / "two", "C", spec=_spec("beta.legacy", "beta.canon"), files=_repo(tmp_path, "beta"))
    changed = {o.path: o for o in second.outcomes if o.status is Status.CHANGED}
    assert list(changed) == ["beta/use.py"]
    assert b"from beta.canon import make" in (changed["beta/use.py"].after or b"")


def test_run_cache_memoises_and_pickles_empty() -> None:
    cache = RunCache()
    calls: list[int] = []
    assert cache.get("k", lambda: calls.append(1) or 42) == 42
    assert cache.get("k", lambda: calls.append(1) or 43) == 42
    assert calls == [1]
    cache.table("t")["x"] = 1
    assert cache.table("t") == {"x": 1}
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.get("k", lambda: "fresh") == "fresh"
