"""Shared repository layout for the phase C tests.

One small, *runnable* package tree that every phase C test (before/after pairs,
the runtime equivalence test and the property tests) builds on:

* ``pkg.impl``      implementation module: defines ``OldThing`` (moved by a
                    symbol move to ``pkg.canon:Thing``) and ``helper`` (stays).
* ``pkg.canon``     canonical module: ``Thing`` (the same object as
                    ``pkg.impl.OldThing``), ``helper``, ``make``, ``CONST``.
* ``pkg.legacy``    legacy shim, moved to ``pkg.canon``: re-exports the canonical
                    names plus ``LEGACY_ONLY``, which the canonical module lacks.
* ``pkg.oldpkg``    legacy package (with submodule ``sub``), moved to
                    ``pkg.newpkg``; the old modules re-export the new ones.
* ``pkg.oldutil``   legacy module moved out of ``pkg`` to ``corelib.util``.
* ``pkg.ghost``     named by the move map but absent from the repository.
* ``pkg.legacy_extra`` / ``pkg.legacyx``: prefix collisions, not legacy.
* ``pkg.app``       a subpackage for ``..`` relative imports.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import pytest

from migrate.phase import Options
from migrate.results import Plan, Status
from migrate.testing import assert_phase, run_phase

SPEC = """\
source-roots = ["."]

[[move]]
from = "pkg.legacy"
to = "pkg.canon"

[[move]]
from = "pkg.impl:OldThing"
to = "pkg.canon:Thing"

[[move]]
from = "pkg.oldpkg"
to = "pkg.newpkg"

[[move]]
from = "pkg.oldutil"
to = "corelib.util"

[[move]]
from = "pkg.ghost"
to = "pkg.canon"
"""


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


MODULES: dict[str, str] = {
    "pkg/__init__.py": "",
    "pkg/impl.py": _d(
        '''
        """Implementation module: the class lives here."""


        class OldThing:
            def method(self):
                return "impl"


        def helper():
            return "helper"
        '''
    ),
    "pkg/canon.py": _d(
        '''
        """Canonical module."""
        from .impl import OldThing as Thing
        from .impl import helper

        CONST = 42


        def make():
            return Thing()
        '''
    ),
    "pkg/legacy.py": _d(
        '''
        """Legacy shim: same names as the canonical module, plus one of its own."""
        from .canon import CONST, Thing, helper, make

        LEGACY_ONLY = "legacy only"
        '''
    ),
    "pkg/oldpkg/__init__.py": _d(
        """
        from pkg.newpkg import *
        from pkg.newpkg import OLDPKG_NAME
        """
    ),
    "pkg/oldpkg/sub.py": _d(
        """
        from pkg.newpkg.sub import *
        from pkg.newpkg.sub import sub_fn
        """
    ),
    "pkg/newpkg/__init__.py": _d(
        """
        from .sub import sub_fn

        OLDPKG_NAME = "newpkg"
        """
    ),
    "pkg/newpkg/sub.py": _d(
        """
        def sub_fn():
            return "sub"
        """
    ),
    "pkg/oldutil.py": _d(
        """
        from corelib.util import util_fn
        """
    ),
    "pkg/legacy_extra.py": _d(
        """
        def extra():
            return "extra"
        """
    ),
    "pkg/legacyx.py": _d(
        """
        def x():
            return "x"
        """
    ),
    "pkg/app/__init__.py": "",
    "corelib/__init__.py": "",
    "corelib/util.py": _d(
        """
        def util_fn():
            return "util"
        """
    ),
}

#: Modules the move map names (inferred protection).
PROTECTED_PATHS = ("pkg/canon.py", "pkg/impl.py", "pkg/legacy.py", "pkg/oldpkg/__init__.py", "pkg/oldutil.py")


def codes_at(plan: Plan, path: str) -> list[str]:
    return [r.code for r in plan.all_reports() if r.path == path]


def reports_with(plan: Plan, code: str):
    return [r for r in plan.all_reports() if r.code == code]


@dataclass
class PhaseC:
    """Phase C runner bound to one tmp repository with the shared layout."""

    root: Path
    spec: str = SPEC
    modules: Mapping[str, str | bytes] = field(default_factory=lambda: dict(MODULES))

    def check(
        self,
        before: str | bytes,
        after: str | bytes | None,
        *,
        path: str = "pkg/consumer.py",
        options: Options = Options(),
        codes: Iterable[str] = (),
        exact_reports: bool = False,
        modules: Mapping[str, str | bytes] | None = None,
    ) -> Plan:
        return assert_phase(
            self.root,
            "C",
            spec=self.spec,
            modules={**self.modules, **(modules or {})},
            path=path,
            before=before,
            after=after,
            options=options,
            codes=codes,
            exact_reports=exact_reports,
        )

    def run(self, files: Mapping[str, str | bytes], *, options: Options = Options(), paths: Iterable[str] | None = None) -> Plan:
        return run_phase(self.root, "C", spec=self.spec, files={**self.modules, **files}, options=options, paths=paths)

    def unchanged(self, path: str, data: bytes, *, options: Options = Options()) -> Plan:
        """``data`` at ``path`` is left byte-identical (prefiltered away or parsed and unchanged)."""
        plan = self.run({path: data}, options=options, paths=[path])
        for o in plan.outcomes:
            if o.path == path:
                assert o.status is Status.UNCHANGED, f"{o.status}: {o.reason}\n{(o.after or b'').decode(errors='replace')}"
        assert (self.root / path).read_bytes() == data
        return plan


@pytest.fixture
def phase_c(tmp_path: Path) -> PhaseC:
    return PhaseC(tmp_path)


__all__ = ["SPEC", "MODULES", "PROTECTED_PATHS", "PhaseC", "codes_at", "reports_with"]
