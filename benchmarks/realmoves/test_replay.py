"""Tests of the replay harness's measuring parts, on small hand-written trees (no mirror needed).

    .venv/bin/python -m pytest -q benchmarks/realmoves/test_replay.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import refs as R  # noqa: E402
import replay  # noqa: E402

ROOTS = ["src", "."]


def tree(files: dict[str, str]) -> dict[str, R.FileRefs]:
    return {rel: R.file_refs(src.encode(), rel, ROOTS) for rel, src in files.items()}


def test_module_of_uses_the_deepest_source_root():
    assert R.module_of("src/pkg/a/b.py", ROOTS) == ("pkg.a.b", False)
    assert R.module_of("src/pkg/__init__.py", ROOTS) == ("pkg", True)
    assert R.module_of("tests/unit/test_x.py", ROOTS) == ("tests.unit.test_x", False)
    assert R.module_of("docs/conf-1.py", ROOTS) is None


def test_references_of_every_form_are_keyed_by_kind_and_absolute_target():
    src = (
        "import pkg.old\n"
        "from . import old\n"
        "from .old import X as Y\n"
        "from ..top import Z\n"
        "V = pkg.old.X\n"
        "P = 'pkg.old.X'\n"
        "Q = 'pkg.old:X'\n"
        "def f():\n"
        "    from pkg.old import X\n"
    )
    fr = R.file_refs(src.encode(), "src/pkg/sub/m.py", ROOTS)
    assert fr.counter() == {
        ("import", "pkg.old"): 1,
        ("from", "pkg.sub.old"): 1,
        ("from", "pkg.sub.old.X"): 1,
        ("from", "pkg.top.Z"): 1,
        ("attr", "pkg.old.X"): 1,  # the outermost chain only, not pkg.old inside it
        ("str", "pkg.old.X"): 2,
        ("from", "pkg.old.X"): 1,
    }
    assert fr.refs[("from", "pkg.old.X")] == [9]


def test_reformatting_and_merging_imports_changes_no_key():
    a = "from pkg.misc import (\n    a,\n    b,\n)\nfrom pkg.misc import c\n"
    b = "from pkg.misc import a, b, c\n"
    assert R.file_refs(a.encode(), "x.py", ROOTS).counter() == R.file_refs(b.encode(), "x.py", ROOTS).counter()


def test_moves_map_module_and_symbol_moves_longest_first():
    m = replay.Moves([["pkg.old", "pkg._old"], ["pkg.old.sub:X", "pkg.new:Y"]])
    assert m.map("pkg.old.A") == "pkg._old.A"
    assert m.map("pkg.old.sub.X.attr") == "pkg.new.Y.attr"
    assert m.map("pkg.older") is None
    assert m.in_module("pkg.old.sub.other")


BASE = {
    "src/pkg/__init__.py": "",
    "src/pkg/new.py": "def X(): pass\n",
    "src/pkg/misc.py": "def keep(): pass\n",
    "src/pkg/a.py": "from pkg.misc import X, keep\n",
    "src/pkg/b.py": "from pkg.misc import X\n",
    "src/pkg/c.py": "from pkg.misc import X\n",
    "tests/t.py": "from unittest import mock\np = mock.patch('pkg.misc.X')\n",
}
HUMAN = {
    **BASE,
    "src/pkg/a.py": "from pkg.misc import keep\nfrom pkg.new import X\n",
    "src/pkg/b.py": "from pkg.new import X\n",
    "src/pkg/c.py": "from pkg.new import X\n",
    "tests/t.py": "from unittest import mock\np = mock.patch('pkg.new.X')\n",
}


def test_compare_counts_reproduced_missed_with_codes_extra_and_wrong():
    moves = replay.Moves([["pkg.misc:X", "pkg.new:X"]])
    tool = {
        **BASE,
        "src/pkg/a.py": "from pkg.misc import keep\nfrom pkg.new import X\n",  # reproduced
        "src/pkg/b.py": "X = None\n",  # removed, not rewritten
        # c.py missed; tests/t.py missed
    }
    reports = replay.report_index({"reports": [{"path": "src/pkg/c.py", "line": 1, "code": "C106"},
                                               {"path": "tests/t.py", "line": 1, "code": "C000"}]})
    res = replay.compare(tree(BASE), tree(HUMAN), tree(tool), moves, reports, set())
    assert res["human_changed"] == 4
    assert res["reproduced"] == 1
    missed = {(m["file"], m["kind"]): m["codes"] for m in res["missed"]}
    assert missed == {("src/pkg/b.py", "from"): [], ("src/pkg/c.py", "from"): ["C106"], ("tests/t.py", "str"): ["C000"]}
    assert [(w["file"], w["count"]) for w in res["removed_not_rewritten"]] == [("src/pkg/b.py", 1)]
    assert res["extra"] == [] and res["other_refs_changed"] == []


def test_compare_counts_an_edit_the_human_did_not_make_as_extra():
    moves = replay.Moves([["pkg.misc:X", "pkg.new:X"]])
    human = {**HUMAN, "src/pkg/c.py": BASE["src/pkg/c.py"]}  # the human left c.py alone
    res = replay.compare(tree(BASE), tree(human), tree(HUMAN), moves, {}, set())
    assert res["human_changed"] == 3 and res["reproduced"] == 3
    assert [(e["file"], e["count"]) for e in res["extra"]] == [("src/pkg/c.py", 1)]


def test_compare_reports_non_legacy_references_a_tool_changed():
    moves = replay.Moves([["pkg.misc:X", "pkg.new:X"]])
    tool = {**HUMAN, "src/pkg/a.py": "from pkg.new import X\n"}  # dropped the unrelated `keep`
    res = replay.compare(tree(BASE), tree(HUMAN), tree(tool), moves, {}, set())
    assert [(o["target"], o["count"]) for o in res["other_refs_changed"]] == [("pkg.misc.keep", 1)]


def test_unresolved_imports_names_missing_modules_and_names_but_not_star_or_getattr_modules():
    t = tree({
        "src/pkg/__init__.py": "",
        "src/pkg/misc.py": "def keep(): pass\nif True:\n    Z = 1\n",
        "src/pkg/lazy.py": "def __getattr__(name): return name\n",
        "src/pkg/ok.py": "from pkg.misc import keep, Z\nfrom pkg import misc\nfrom pkg.lazy import anything\nimport os.path\n",
        "src/pkg/bad.py": "from pkg.misc import X\nimport pkg.gone\n",
        "src/pkg/broken.py": "def f(:\n",
    })
    bad = replay.unresolved_imports(t, ROOTS)
    assert bad == {"src/pkg/bad.py": {("pkg.misc", "X"), ("pkg.gone", None)}, "src/pkg/broken.py": {("<does not parse>", None)}}


def test_first_step_and_spec(tmp_path):
    base, human = tmp_path / "base", tmp_path / "human"
    (base / "pkg" / "old").mkdir(parents=True)
    (base / "pkg" / "old" / "__init__.py").write_text("A = 1\n")
    (base / "pkg" / "gone.py").write_text("")
    (human / "pkg").mkdir(parents=True)
    (human / "pkg" / "made.py").write_text("B = 2\n")
    case = {"git-mv": [["pkg/old", "pkg/_old"]], "human-files": ["pkg/made.py", "pkg/gone.py"],
            "source-roots": ["."], "moves": [["pkg.old", "pkg._old"]]}
    assert replay.first_step(case, base, human) == ["pkg/made.py", "pkg/gone.py"]
    assert (base / "pkg" / "_old" / "__init__.py").read_text() == "A = 1\n"
    assert (base / "pkg" / "made.py").read_text() == "B = 2\n"
    assert not (base / "pkg" / "gone.py").exists() and not (base / "pkg" / "old").exists()
    spec = replay.spec_text(case)
    assert 'from = "pkg.old"' in spec and 'to = "pkg._old"' in spec


def test_cases_file_is_complete():
    import tomllib

    cases = tomllib.loads((Path(replay.HERE) / "cases.toml").read_text())["case"]
    assert len(cases) >= 4 and len({c["name"] for c in cases}) == len(cases)
    for c in cases:
        assert {"name", "shape", "repo", "parent", "human", "source-roots", "moves"} <= set(c)
        assert "netra" not in c["repo"].lower()
        assert c.get("git-mv") or c.get("human-files") or c.get("pre-step")


def test_unknown_case_is_one_error_line(tmp_path):
    p = subprocess.run([sys.executable, str(Path(replay.__file__)), "--mirror-dir", str(tmp_path), "--only", "nope"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and p.stderr.strip() == "error: unknown case(s): nope"


@pytest.mark.parametrize("layout", ["owner+name/repo", "owner+name", "name"])
def test_git_dir_layouts(tmp_path, layout):
    d = tmp_path / layout.replace("owner", "o").replace("name", "n")
    subprocess.run(["git", "init", "-q", "--bare", str(d)], check=True)
    assert replay.git_dir(tmp_path, "o/n") == d


def test_forwarders_re_export_each_canonical_module_at_its_legacy_path(tmp_path):
    files = {
        "src/pkg/__init__.py": "",
        "src/pkg/_sub/__init__.py": "from .base import B\n",
        "src/pkg/_sub/base.py": "class B: pass\n_private = 1\n__all__ = ['B']\n",
        "src/pkg/misc.py": "def keep(): pass\n",
        "src/pkg/new.py": "def Y(): pass\n",
    }
    for rel, src in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(src)
    case = {"moves": [["pkg.sub", "pkg._sub"], ["pkg.misc:X", "pkg.new:Y"]], "source-roots": ["src"]}
    created, appended = replay.forwarders(case, tmp_path, ["src"])
    assert sorted(created) == ["src/pkg/sub/__init__.py", "src/pkg/sub/base.py"]
    assert appended == ["src/pkg/misc.py"]
    assert "from pkg._sub.base import (" in (tmp_path / "src/pkg/sub/base.py").read_text()
    assert "    _private,\n" in (tmp_path / "src/pkg/sub/base.py").read_text()
    assert (tmp_path / "src/pkg/misc.py").read_text().endswith("from pkg.new import Y as X  # forwarder (realmoves)\n")
    t = {rel: R.file_refs((tmp_path / rel).read_bytes(), rel, ["src"]) for rel in [*files, *created]}
    assert replay.unresolved_imports(t, ["src"]) == {}


def test_an_out_of_scope_reference_the_human_changed_too_is_not_held_against_the_tool():
    moves = replay.Moves([["pkg.utils", "pkg._utils"]])
    base = {"src/pkg/_utils.py": "def get(): pass\n", "tests/u.py": "from pkg import utils\nutils.get()\n"}
    human = {**base, "tests/u.py": "from pkg import _utils\n_utils.get()\n"}
    res = replay.compare(tree(base), tree(human), tree(human), moves, {}, set())
    assert res["reproduced"] == res["human_changed"] == 1 and res["other_refs_changed"] == []
