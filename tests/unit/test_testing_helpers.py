"""migrate.testing is public API: its assertions must be able to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.phase_c import PhaseC
from migrate.results import Report, Severity
from migrate.testing import assert_phase

SPEC = '[[move]]\nfrom = "pkg.legacy"\nto = "pkg.canon"\n'
MODULES = {"pkg/__init__.py": "", "pkg/canon.py": "X = 1\n", "pkg/legacy.py": "from pkg.canon import X\n"}


def test_an_expected_code_reported_on_another_file_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def finalize(self, ctx, plan):
        return [Report("elsewhere.py", 3, "C999", "about another file", Severity.WARNING)]

    monkeypatch.setattr(PhaseC, "finalize", finalize)
    kwargs = dict(spec=SPEC, modules=MODULES, path="use.py", before="from pkg.legacy import X\n",
                  after="from pkg.canon import X\n")
    with pytest.raises(AssertionError, match="expected report C999 about use.py"):
        assert_phase(tmp_path / "a", "C", codes=["C999"], **kwargs)


def test_a_summary_that_names_the_file_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def finalize(self, ctx, plan):
        return [Report("ssot-spec.toml", 1, "C999", "summary", Severity.WARNING, related=("use.py:1",))]

    monkeypatch.setattr(PhaseC, "finalize", finalize)
    assert_phase(tmp_path, "C", spec=SPEC, modules=MODULES, path="use.py", before="from pkg.legacy import X\n",
                 after="from pkg.canon import X\n", codes=["C999"])
