"""Another package named ``shims`` ahead on sys.path: a clear error, never a wrong import."""

from __future__ import annotations

from shims.generator import ShimSpec, render_module_shim
from tests.shims.conftest import CANON_FILES, PROJECT_ROOT, Project


def test_a_shadowing_shims_package_fails_loudly_at_the_import_line(tmp_path):
    project = Project(tmp_path / "p")
    project.write(CANON_FILES)
    spec = ShimSpec("oldmod", "canon.core", "1.0", "2.0", None, "1.5", "move[0]")
    project.write({"oldmod.py": render_module_shim(spec)})
    other = tmp_path / "site" / "shims"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("# somebody else's shims package\n")
    path, _ = project.script("import oldmod\n", prelude=False)
    run = project.run([str(path)], env={"PYTHONPATH": f"{other.parent}:{project.src}:{PROJECT_ROOT}"})
    assert run.returncode == 1
    assert f"cannot import name 'forward_module' from 'shims' ({other / '__init__.py'})" in run.stderr
    assert "another 'shims' package shadows it" in run.stderr  # the generated line, shown in the traceback
    # Without the other package the same file works (and is the canonical module's alias).
    run = project.run([str(path)])
    assert run.returncode == 0, run.stderr
