"""Phase B at runtime: ``shims.config.read_env`` and code rewritten to use it actually behave.

The rewritten module is executed in a fresh interpreter under each deployment
state (only the new key set, only the old one, both disagreeing, neither), and
its results are compared with what the original code returned.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from migrate.testing import run_phase
from shims.config import LegacyConfigWarning, read_env

from .test_phase_b import COMPAT_SPEC, NEW, OLD, SPEC, k

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_canonical_wins_silently_when_alone() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_env("NEW", "OLD", environ={"NEW": "a"}) == "a"
        assert read_env("NEW", "OLD", environ={"NEW": "a", "OLD": "a"}) == "a"


def test_legacy_fallback_warns_and_names_both_keys() -> None:
    with pytest.warns(LegacyConfigWarning, match="NEW is not set; read the legacy key OLD2"):
        assert read_env("NEW", "OLD1", "OLD2", environ={"OLD2": "b"}) == "b"


def test_disagreeing_keys_warn_and_canonical_wins() -> None:
    with pytest.warns(LegacyConfigWarning, match="OLD is set but ignored"):
        assert read_env("NEW", "OLD", environ={"NEW": "a", "OLD": "b"}) == "a"


def test_default_required_and_empty_values() -> None:
    assert read_env("NEW", "OLD", environ={}) is None
    assert read_env("NEW", "OLD", default="d", environ={}) == "d"
    assert read_env("NEW", "OLD", environ={"NEW": ""}) == ""  # present counts, as with os.environ.get
    with pytest.raises(KeyError, match="NEW"):
        read_env("NEW", "OLD", required=True, environ={})


def test_warning_is_visible_by_default() -> None:
    assert issubclass(LegacyConfigWarning, FutureWarning)


ORIGINAL = '''\
import os

DEFAULT = "ws://default"


def url():
    return os.environ.get("@NEW") or os.getenv("@OLD") or DEFAULT


def legacy_only():
    return os.getenv("@OLD", "ws://d")


def strict():
    return os.environ["@OLD"]
'''

PROBE = '''\
import json, sys, warnings
warnings.simplefilter("always")
sys.path.insert(0, sys.argv[1])
import config
out = {}
with warnings.catch_warnings(record=True) as w:
    for name in ("url", "legacy_only", "strict"):
        try:
            out[name] = getattr(config, name)()
        except KeyError as exc:
            out[name] = "KeyError"
out["warned"] = sorted({type(x.message).__name__ for x in w})
print(json.dumps(out))
'''


def _probe(src_dir: Path, env: dict) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in (NEW, OLD)}
    base["PYTHONPATH"] = str(PROJECT_ROOT)
    proc = subprocess.run([sys.executable, "-c", PROBE, str(src_dir)], env={**base, **env}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({NEW: "wss://new"}, id="only-new"),
        pytest.param({OLD: "wss://old"}, id="only-old"),
        pytest.param({NEW: "wss://new", OLD: "wss://old"}, id="both-differ"),
        pytest.param({}, id="neither"),
    ],
)
def test_compat_rewrite_keeps_behaviour_for_every_deployment_state(tmp_path: Path, env: dict) -> None:
    orig_dir, new_dir = tmp_path / "orig", tmp_path / "new"
    orig_dir.mkdir()
    (orig_dir / "config.py").write_text(k(ORIGINAL))
    plan = run_phase(new_dir, "B", spec=COMPAT_SPEC, files={"config.py": k(ORIGINAL)}, paths=["config.py"])
    (o,) = plan.changes
    assert b"read_env" in o.after and b"os.getenv(" not in o.after.replace(b'os.getenv("APP', b"")
    (new_dir / "config.py").write_bytes(o.after)
    before, after = _probe(orig_dir, env), _probe(new_dir, env)
    if NEW in env:
        # Every read now agrees on the canonical key (the originals disagreed: legacy_only() read
        # OLD only); an ignored OLD that differs is named in a warning.
        assert after["url"] == after["legacy_only"] == after["strict"] == env[NEW]
        assert after["warned"] == (["LegacyConfigWarning"] if OLD in env else [])
        return
    # Environments not migrated yet (only OLD, or nothing) see exactly what they saw before.
    for name in ("url", "legacy_only", "strict"):
        assert after[name] == before[name], (name, before, after)
    assert after["warned"] == (["LegacyConfigWarning"] if OLD in env else [])


def test_plain_rename_drops_the_fallback_and_says_so(tmp_path: Path) -> None:
    """Without compat-reader, an environment that sets only the old key loses it: B201/B300 say so."""
    plan = run_phase(tmp_path, "B", spec=SPEC, files={"config.py": k(ORIGINAL)}, paths=["config.py"])
    codes = {r.code for r in plan.all_reports()}
    assert {"B201", "B300"} <= codes
    (o,) = plan.changes
    d = tmp_path / "run"
    d.mkdir()
    (d / "config.py").write_bytes(o.after)
    assert _probe(d, {OLD: "wss://old"})["url"] == "ws://default"
