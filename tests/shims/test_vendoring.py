"""The package works copied into a project under another name, and keeps a stdlib-only hot path."""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest

from tests.shims.conftest import CANON_FILES, PROJECT_ROOT, Project

SHIMS_DIR = PROJECT_ROOT / "shims"


@pytest.fixture
def vendored(tmp_path) -> Project:
    project = Project(tmp_path / "vend")
    project.write(CANON_FILES)
    shutil.copytree(SHIMS_DIR, project.src / "thirdparty" / "_shims", ignore=shutil.ignore_patterns("__pycache__"))
    (project.src / "thirdparty" / "__init__.py").write_text("")
    project.write(
        {
            "old/__init__.py": "from thirdparty._shims import forward_module\n"
            "forward_module(__name__, 'canon', since='1.0', remove_in='2.0', version='1.5')\n",
            "lib/user.py": "from old import Thing\n",
        }
    )
    return project


def vendored_env(project: Project) -> dict:
    return {"PYTHONPATH": str(project.src)}  # not the repository: only the vendored copy is importable


def test_vendored_copy_works_under_another_name(vendored):
    run = vendored.run_script(
        """
        import old.sub, canon, canon.sub, sys
        from old import Thing
        import thirdparty._shims as s
        report(same=Thing is canon.Thing and old.sub is canon.sub,
               real_shims_loaded="shims" in sys.modules,
               category_module=s.RemovedIn20Warning.__module__,
               usage_shims=[h["shim"] for h in s.usage()["hits"]])
        """,
        env=vendored_env(vendored),
    )
    d = run.data
    assert d["same"] and d["real_shims_loaded"] is False
    assert d["category_module"] == "thirdparty._shims"
    assert set(d["usage_shims"]) == {"old"} and len(d["usage_shims"]) == 3  # lines 1, 2 and old.sub below
    assert {w["file"] for w in run.shim_warnings()} == {str(run.path)}  # vendored frames skipped too


def test_vendored_category_works_with_dash_W(vendored):
    path, _ = vendored.script("from old import Thing\n", prelude=False)
    run = vendored.run(["-W", "error::thirdparty._shims.RemovedIn20Warning", str(path)], env=vendored_env(vendored))
    assert run.returncode == 1 and "thirdparty._shims.RemovedIn20Warning" in run.stderr
    assert "Invalid -W option" not in run.stderr


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            top_level.add(id(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level, id(node) in top_level


def test_only_relative_self_imports_and_stdlib_or_lazy_packaging():
    stdlib = set(sys.stdlib_module_names)
    for path in sorted(SHIMS_DIR.glob("*.py")):
        for module, level, top_level in _imports(path):
            if level:
                continue  # relative: survives vendoring under any name
            root = module.split(".")[0]
            assert root != "shims", f"{path.name}: absolute self-import {module!r}"
            if root == "packaging":
                assert not top_level, f"{path.name}: packaging must be imported lazily"
                continue
            assert root in stdlib, f"{path.name}: non-stdlib import {module!r}"


def test_importing_shims_pulls_in_nothing_heavy(project):
    run = project.run_script(
        """
        import sys
        before = set(sys.modules)
        import shims, old, oldmod, mixed
        report(new=sorted(set(sys.modules) - before))
        """
    )
    new = set(run.data["new"])
    for heavy in ("packaging", "packaging.version", "importlib.metadata", "json", "threading", "inspect", "email", "opcode"):
        assert heavy not in new, heavy
