"""Chains, partial symbol moves and patch targets keep runtime behaviour, patches included.

The layout of test_phase_c_chains.py plus consumers is imported and exercised
in a fresh interpreter; the plan's output is written to disk and the same run
must observe the same objects, and every patch must still intercept the same
call.  Before the rewrite, ``pkg.old`` is loaded by ``app.loader``; after it,
nothing imports ``pkg.old``, so an unrewritten ``pkg.old.URL`` chain would
raise AttributeError.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from migrate.testing import run_phase

from .test_phase_c_chains import MODULES, SPEC

CONSUMERS = {
    "app/__init__.py": "",
    "app/loader.py": "import pkg.old\n",
    "app/chains.py": '''\
import pkg
import a.b
from a import b
from a.b import *


def observe():
    return {
        "url": pkg.old.URL,
        "client": pkg.old.Client,
        "abx": a.b.X,
        "bx": b.X,
        "starx": X,
        "abz": a.b.Z,
        "bz": b.Z,
    }
''',
    "app/patching.py": '''\
from unittest import mock

import split


def go():
    from lazy import X
    return X()


def observe():
    with mock.patch("split.X", return_value="fake"):
        split_run = split.run()
    with mock.patch("lazy.X", return_value="fake"):
        lazy_go = go()
    return {"split.run patched": split_run, "lazy go patched": lazy_go, "split.run": split.run(), "lazy go": go()}
''',
}

DRIVER = """\
import json
import sys

import app.loader
import app.chains
import app.patching


def token(obj):
    if isinstance(obj, (str, int)):
        return repr(obj) if isinstance(obj, int) else obj
    return f"{obj.__module__}.{obj.__qualname__}"


out = {k: token(v) for k, v in {**app.chains.observe(), **app.patching.observe()}.items()}
json.dump(out, sys.stdout, sort_keys=True)
"""


def _observe(repo: Path, driver: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-B", str(driver)], cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_chains_and_patches_keep_runtime_behaviour(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    plan = run_phase(repo, "C", spec=SPEC, files={**MODULES, **CONSUMERS})
    before = _observe(repo, driver)
    # The fixture exercises what it claims to.
    assert before["split.run patched"] == before["lazy go patched"] == "fake"
    assert before["split.run"] == before["lazy go"] == "real"
    assert before["abx"] == before["bx"] == before["starx"] == "a.c.Y"

    assert not plan.failed, [o.reason for o in plan.failed]
    assert sorted(o.path for o in plan.changes) == ["app/chains.py", "app/loader.py", "app/patching.py"]
    for o in plan.changes:
        (repo / o.path).write_bytes(o.after or b"")
    chains = (repo / "app/chains.py").read_text(encoding="utf-8")
    assert "pkg.old" not in chains and "b.X" not in chains
    assert "import pkg._old" in chains and "import a.c" in chains and "from a import c" in chains
    assert "from a.c import Y as X" in chains
    patching = (repo / "app/patching.py").read_text(encoding="utf-8")
    assert 'mock.patch("split.X"' in patching and 'mock.patch("lazy.sub.X"' in patching
    assert "from lazy.sub import X" in patching
    codes = {r.code for r in plan.all_reports() if r.path == "app/patching.py"}
    assert "C303" in codes

    after = _observe(repo, driver)
    assert after == before

    again = run_phase(repo, "C", spec=SPEC, files={})
    assert not again.changes, [o.path for o in again.changes]


def test_the_patch_check_can_fail(tmp_path: Path):
    """Control: the rewrite phase C used to make ("split.sub.X") intercepts nothing in split.run()."""
    repo = tmp_path / "repo"
    repo.mkdir()
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    vacuous = CONSUMERS["app/patching.py"].replace('"split.X"', '"split.sub.X"')
    run_phase(repo, "C", spec=SPEC, files={**MODULES, **CONSUMERS, "app/patching.py": vacuous})
    assert _observe(repo, driver)["split.run patched"] == "real"
