"""Phase C (imports): before/after pairs over the shared layout in conftest.py.

Every pair goes through ``migrate.testing.assert_phase``: the real engine with
its prefilter and self-verification, plus an idempotence re-run.  ``after=None``
means "left unchanged"; those cases carry the reason in their id.
"""

from __future__ import annotations

import ast

import pytest

from migrate.phase import Options
from migrate.results import Severity

from .conftest import MODULES, PROTECTED_PATHS, codes_at, reports_with

RENAME = Options(rename_uses=True)
DOCS = Options(include_docs=True)
STRICT = Options(strict=True)


def case(id: str, before: str, after: str | None, *, path: str = "pkg/consumer.py", options: Options = Options(), codes: tuple[str, ...] = ()):
    return pytest.param(before, after, path, options, codes, id=id)


ANY_WARNING = "*"  # in ``codes``: some warning or error must be reported for the file, whatever its code


def _run_cases(phase_c, before, after, path, options, codes):
    plan = phase_c.check(before, after, path=path, options=options, codes=[c for c in codes if c != ANY_WARNING])
    if ANY_WARNING in codes:
        warnings = [r for r in plan.all_reports() if r.path == path and r.severity is not Severity.INFO]
        assert warnings, f"expected a warning for {path}, got {plan.all_reports()}"
    return plan


# ---------------------------------------------------------------------------
# 1. `import a.b` forms
# ---------------------------------------------------------------------------

IMPORT_FORMS = [
    case(
        "import-a.b-uses-a.b.X",
        """\
        import pkg.legacy

        x = pkg.legacy.make()
        y = pkg.legacy.CONST + 1
        """,
        """\
        import pkg.canon

        x = pkg.canon.make()
        y = pkg.canon.CONST + 1
        """,
    ),
    case(
        "import-a.b-as-m",
        """\
        import pkg.legacy as m

        x = m.make()
        """,
        """\
        import pkg.canon as m

        x = m.make()
        """,
    ),
    case(
        "from-a-import-b",
        """\
        from pkg import legacy

        x = legacy.make()
        """,
        """\
        from pkg import canon as legacy

        x = legacy.make()
        """,
    ),
    case(
        "from-a-import-b-as-L",
        """\
        from pkg import legacy as L

        x = L.CONST
        """,
        """\
        from pkg import canon as L

        x = L.CONST
        """,
    ),
    case(
        "import-mixed-list-os-a.b",
        """\
        import os, pkg.legacy

        x = pkg.legacy.CONST + len(os.sep)
        """,
        """\
        import os, pkg.canon

        x = pkg.canon.CONST + len(os.sep)
        """,
    ),
    case(
        "import-mixed-list-a.b-as-m-os",
        """\
        import pkg.legacy as m, os

        x = m.make(), os.sep
        """,
        """\
        import pkg.canon as m, os

        x = m.make(), os.sep
        """,
    ),
    case(
        "import-legacy-package-submodule",
        """\
        import pkg.oldpkg.sub

        x = pkg.oldpkg.sub.sub_fn()
        """,
        """\
        import pkg.newpkg.sub

        x = pkg.newpkg.sub.sub_fn()
        """,
    ),
    case(
        "import-legacy-package-attr-chain",
        """\
        import pkg.oldpkg

        x = pkg.oldpkg.OLDPKG_NAME, pkg.oldpkg.sub.sub_fn()
        """,
        """\
        import pkg.newpkg

        x = pkg.newpkg.OLDPKG_NAME, pkg.newpkg.sub.sub_fn()
        """,
    ),
    case(
        "from-legacy-package-import-submodule",
        """\
        from pkg.oldpkg import sub

        x = sub.sub_fn()
        """,
        """\
        from pkg.newpkg import sub

        x = sub.sub_fn()
        """,
    ),
    case(
        "import-a.b-other-prefix-uses-stay-bound",
        """\
        import pkg.legacy
        import pkg.impl

        x = pkg.legacy.make(), pkg.impl.helper()
        """,
        """\
        import pkg.canon
        import pkg.impl

        x = pkg.canon.make(), pkg.impl.helper()
        """,
    ),
    case(
        "import-symbol-module-moved-attr",
        """\
        import pkg.impl

        x = pkg.impl.OldThing()
        """,
        """\
        import pkg.canon

        x = pkg.canon.Thing()
        """,
    ),
    case(
        "import-a.b-no-duplicate-of-existing-canonical-import",
        """\
        import pkg.canon
        import pkg.legacy

        x = pkg.canon.CONST, pkg.legacy.make()
        """,
        """\
        import pkg.canon

        x = pkg.canon.CONST, pkg.canon.make()
        """,
    ),
    case(
        "import-a.b-two-legacy-imports-to-one-canonical-no-duplicate",
        """\
        import pkg.legacy
        import pkg.impl

        x = pkg.legacy.make(), pkg.impl.OldThing()
        """,
        """\
        import pkg.canon

        x = pkg.canon.make(), pkg.canon.Thing()
        """,
    ),
    case(
        "symbol-module-also-used-for-unmoved-names-moved-chain-rewritten",
        """\
        import pkg.impl

        x = pkg.impl.OldThing, pkg.impl.helper
        """,
        """\
        import pkg.impl
        import pkg.canon

        x = pkg.canon.Thing, pkg.impl.helper
        """,
    ),
    case(
        "noop-module-object-used-as-value-reported",
        """\
        import pkg.legacy

        print(pkg.legacy)
        """,
        None,
        codes=("C109",),
    ),
    case(
        "noop-global-declared-binding-reported-not-silently-skipped",
        """\
        def setup():
            global legacy
            import pkg.legacy as legacy
            return legacy.make()
        """,
        None,
        codes=("C109",),
    ),
    case(
        "import-as-m-with-string-annotation-through-the-alias",
        """\
        import pkg.legacy as m

        def f(x: "m.Thing"):
            return m.make()
        """,
        """\
        import pkg.canon as m

        def f(x: "m.Thing"):
            return m.make()
        """,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", IMPORT_FORMS)
def test_import_forms(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


# ---------------------------------------------------------------------------
# 2. `from a.b import X` forms
# ---------------------------------------------------------------------------

FROM_FORMS = [
    case(
        "from-a.b-import-X",
        """\
        from pkg.legacy import make

        x = make()
        """,
        """\
        from pkg.canon import make

        x = make()
        """,
    ),
    case(
        "from-a.b-import-X-as-Y",
        """\
        from pkg.legacy import make as build

        x = build()
        """,
        """\
        from pkg.canon import make as build

        x = build()
        """,
    ),
    case(
        "from-legacy-submodule-import-X",
        """\
        from pkg.oldpkg.sub import sub_fn
        """,
        """\
        from pkg.newpkg.sub import sub_fn
        """,
    ),
    case(
        "from-a.b-parenthesised-multiline-comments-survive",
        """\
        from pkg.legacy import (  # the factory module
            make as build,  # factory
            # the constant:
            CONST,
        )
        """,
        """\
        from pkg.canon import (  # the factory module
            make as build,  # factory
            # the constant:
            CONST,
        )
        """,
    ),
    case(
        "from-a.b-parenthesised-no-trailing-comma",
        """\
        from pkg.legacy import (make,
                                CONST)
        """,
        """\
        from pkg.canon import (make,
                                CONST)
        """,
    ),
    case(
        "from-a.b-backslash-continuation",
        """\
        from pkg.legacy import make, \\
            CONST
        """,
        """\
        from pkg.canon import make, \\
            CONST
        """,
    ),
    case(
        "from-module-moved-out-of-package",
        """\
        from pkg.oldutil import util_fn
        """,
        """\
        from corelib.util import util_fn
        """,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", FROM_FORMS)
def test_from_forms(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


# ---------------------------------------------------------------------------
# 3. Relative imports
# ---------------------------------------------------------------------------

RELATIVE = [
    case(
        "relative-from-.b-import-X-keeps-relative",
        """\
        from .legacy import make
        """,
        """\
        from .canon import make
        """,
    ),
    case(
        "relative-from-.-import-b-keeps-relative",
        """\
        from . import legacy

        x = legacy.make()
        """,
        """\
        from . import canon as legacy

        x = legacy.make()
        """,
    ),
    case(
        "relative-symbol-move-same-package",
        """\
        from .impl import OldThing
        """,
        """\
        from .canon import Thing as OldThing
        """,
    ),
    case(
        "relative-target-outside-package-becomes-absolute",
        """\
        from .oldutil import util_fn
        """,
        """\
        from corelib.util import util_fn
        """,
    ),
    case(
        "relative-from-..b-import-X",
        """\
        from ..legacy import make
        """,
        """\
        from ..canon import make
        """,
        path="pkg/app/consumer.py",
    ),
    case(
        "relative-from-..pkg.b-import-X",
        """\
        from ..oldpkg.sub import sub_fn
        """,
        """\
        from ..newpkg.sub import sub_fn
        """,
        path="pkg/app/consumer.py",
    ),
    case(
        "relative-from-..-import-b",
        """\
        from .. import legacy

        x = legacy.CONST
        """,
        """\
        from .. import canon as legacy

        x = legacy.CONST
        """,
        path="pkg/app/consumer.py",
    ),
    case(
        "relative-..-target-outside-package-becomes-absolute",
        """\
        from ..oldutil import util_fn
        """,
        """\
        from corelib.util import util_fn
        """,
        path="pkg/app/consumer.py",
    ),
    case(
        "relative-in-package-init-resolves-against-the-package-itself",
        """\
        from ..legacy import make
        """,
        """\
        from ..canon import make
        """,
        path="pkg/app/__init__.py",
    ),
    case(
        "noop-.legacy-in-package-init-is-pkg.app.legacy-not-pkg.legacy",
        """\
        from .legacy import make
        """,
        None,
        path="pkg/app/__init__.py",
    ),
    case(
        "noop-relative-.legacy-from-another-package-is-not-pkg.legacy",
        """\
        from .legacy import make
        """,
        None,
        path="corelib/consumer.py",
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", RELATIVE)
def test_relative_imports(phase_c, before, after, path, options, codes):
    modules = {"corelib/legacy.py": "def make():\n    return 1\n"} if path.startswith("corelib/") else None
    phase_c.check(before, after, path=path, options=options, codes=codes, modules=modules)


# ---------------------------------------------------------------------------
# 4. Imports in functions, try/except ImportError, TYPE_CHECKING
# ---------------------------------------------------------------------------

NESTED = [
    case(
        "function-level-import-rewritten-in-place",
        """\
        def load():
            from pkg.legacy import make
            return make()
        """,
        """\
        def load():
            from pkg.canon import make
            return make()
        """,
    ),
    case(
        "try-except-importerror-fallback-rewritten-in-place",
        """\
        try:
            from pkg.canon import CONST
        except ImportError:
            from pkg.legacy import CONST
        """,
        """\
        try:
            from pkg.canon import CONST
        except ImportError:
            from pkg.canon import CONST
        """,
    ),
    case(
        "try-legacy-first-except-importerror",
        """\
        try:
            from pkg.legacy import make
        except ImportError:
            make = None
        """,
        """\
        try:
            from pkg.canon import make
        except ImportError:
            make = None
        """,
    ),
    case(
        "type-checking-import-stays-in-the-if-block",
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.impl import OldThing


        def f(x: "OldThing") -> None:
            return None
        """,
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.canon import Thing as OldThing


        def f(x: "OldThing") -> None:
            return None
        """,
    ),
    case(
        "type-checking-import-not-merged-into-runtime-canonical-import",
        """\
        from typing import TYPE_CHECKING
        from pkg.canon import make

        if TYPE_CHECKING:
            from pkg.legacy import CONST
        """,
        """\
        from typing import TYPE_CHECKING
        from pkg.canon import make

        if TYPE_CHECKING:
            from pkg.canon import CONST
        """,
    ),
    case(
        "runtime-import-not-merged-into-type-checking-import",
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.canon import make
        from pkg.legacy import CONST
        """,
        """\
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.canon import make
        from pkg.canon import CONST
        """,
    ),
    case(
        "method-level-import-with-rename-uses",
        """\
        class Box:
            def get(self):
                from pkg.impl import OldThing
                return OldThing()
        """,
        """\
        class Box:
            def get(self):
                from pkg.canon import Thing
                return Thing()
        """,
        options=RENAME,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", NESTED)
def test_nested_imports_rewritten_in_place(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


# ---------------------------------------------------------------------------
# 5. Symbol renames; merging; no impossible or duplicate imports
# ---------------------------------------------------------------------------

SCOPES = """\
from pkg.impl import OldThing


def build() -> OldThing:
    def inner():
        return OldThing()
    return inner()


class Box:
    kind = OldThing

    def get(self):
        return OldThing
"""

RENAMES = [
    case(
        "rename-default-keeps-uses-with-as-alias",
        SCOPES,
        SCOPES.replace("from pkg.impl import OldThing", "from pkg.canon import Thing as OldThing"),
    ),
    case(
        "rename-uses-nested-functions-and-class-bodies",
        SCOPES,
        SCOPES.replace("from pkg.impl import OldThing", "from pkg.canon import Thing").replace("OldThing", "Thing"),
        options=RENAME,
    ),
    case(
        "rename-uses-shadowing-param-in-inner-scope-respected",
        """\
        from pkg.impl import OldThing

        x = OldThing()


        def g(OldThing):
            return OldThing
        """,
        """\
        from pkg.canon import Thing

        x = Thing()


        def g(OldThing):
            return OldThing
        """,
        options=RENAME,
    ),
    case(
        "rename-uses-blocked-by-inner-local-named-like-the-new-name",
        """\
        from pkg.impl import OldThing


        def f():
            Thing = 1
            return OldThing, Thing
        """,
        """\
        from pkg.canon import Thing as OldThing


        def f():
            Thing = 1
            return OldThing, Thing
        """,
        options=RENAME,
        codes=("C201",),
    ),
    case(
        "rename-uses-blocked-by-global-rebinding-of-the-new-name",
        """\
        from pkg.impl import OldThing


        def f():
            global Thing
            Thing = 2
            return OldThing
        """,
        """\
        from pkg.canon import Thing as OldThing


        def f():
            global Thing
            Thing = 2
            return OldThing
        """,
        options=RENAME,
    ),
    case(
        "rename-uses-blocked-by-__all__-re-export",
        """\
        from pkg.impl import OldThing

        __all__ = ["OldThing"]
        x = OldThing()
        """,
        """\
        from pkg.canon import Thing as OldThing

        __all__ = ["OldThing"]
        x = OldThing()
        """,
        options=RENAME,
        codes=("C201",),
    ),
    case(
        "rename-uses-string-annotation-and-not-attributes-or-keywords",
        """\
        from pkg.impl import OldThing


        def f(x: "OldThing") -> "OldThing":
            return obj.OldThing, dict(OldThing=1), x
        """,
        """\
        from pkg.canon import Thing


        def f(x: "Thing") -> "Thing":
            return obj.OldThing, dict(OldThing=1), x
        """,
        options=RENAME,
    ),
    case(
        "rename-uses-blocked-by-complex-string-annotation",
        """\
        from pkg.impl import OldThing


        def f(y: "list[OldThing]") -> None:
            return None
        """,
        """\
        from pkg.canon import Thing as OldThing


        def f(y: "list[OldThing]") -> None:
            return None
        """,
        options=RENAME,
    ),
    case(
        "rename-explicit-alias-to-new-name-drops-the-alias",
        """\
        from pkg.impl import OldThing as Thing

        x = Thing()
        """,
        """\
        from pkg.canon import Thing

        x = Thing()
        """,
    ),
    case(
        "rename-other-alias-kept",
        """\
        from pkg.impl import OldThing as T

        x = T()
        """,
        """\
        from pkg.canon import Thing as T

        x = T()
        """,
        options=RENAME,
    ),
    case(
        "merge-into-existing-canonical-import",
        """\
        from pkg.canon import make
        from pkg.legacy import CONST
        """,
        """\
        from pkg.canon import make, CONST
        """,
    ),
    case(
        "merge-symbol-rename-into-existing-canonical-import",
        """\
        from pkg.canon import make
        from pkg.impl import OldThing
        """,
        """\
        from pkg.canon import make, Thing as OldThing
        """,
    ),
    case(
        "merge-never-emits-X-as-X",
        """\
        from pkg.canon import make
        from pkg.impl import OldThing as Thing
        """,
        """\
        from pkg.canon import make, Thing
        """,
    ),
    case(
        "merge-drops-duplicate-name",
        """\
        from pkg.canon import make
        from pkg.legacy import make
        """,
        """\
        from pkg.canon import make
        """,
    ),
    case(
        "merge-keeps-alias-when-canonical-name-already-imported",
        """\
        from pkg.canon import Thing
        from pkg.impl import OldThing
        """,
        """\
        from pkg.canon import Thing, Thing as OldThing
        """,
    ),
    case(
        "merge-only-within-contiguous-import-block",
        """\
        from pkg.canon import make
        x = 1
        from pkg.legacy import CONST
        """,
        """\
        from pkg.canon import make
        x = 1
        from pkg.canon import CONST
        """,
    ),
    case(
        "no-duplicate-when-canonical-import-follows",
        """\
        from pkg.legacy import make
        from pkg.canon import make
        """,
        """\
        from pkg.canon import make
        """,
    ),
    case(
        "merge-never-moves-a-binding-above-a-rebinding",
        """\
        from pkg.canon import CONST
        from corelib.util import util_fn as make
        from pkg.legacy import make
        """,
        """\
        from pkg.canon import CONST
        from corelib.util import util_fn as make
        from pkg.canon import make
        """,
    ),
    case(
        "legacy-name-missing-from-canonical-stays-no-impossible-import",
        """\
        from pkg.canon import make
        from pkg.legacy import CONST, LEGACY_ONLY
        """,
        """\
        from pkg.canon import make, CONST
        from pkg.legacy import LEGACY_ONLY
        """,
        codes=("C107",),
    ),
    case(
        "semicolon-line-stays-one-line",
        """\
        import os; from pkg.impl import OldThing, helper as h2
        """,
        """\
        import os; from pkg.impl import helper as h2; from pkg.canon import Thing as OldThing
        """,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", RENAMES)
def test_symbol_renames_and_merges(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


# ---------------------------------------------------------------------------
# 6. Name split
# ---------------------------------------------------------------------------

SPLITS = [
    case(
        "split-only-X-moved-Z-stays",
        """\
        from pkg.impl import OldThing, helper

        x = OldThing(), helper()
        """,
        """\
        from pkg.impl import helper
        from pkg.canon import Thing as OldThing

        x = OldThing(), helper()
        """,
    ),
    case(
        "split-with-rename-uses",
        """\
        from pkg.impl import helper, OldThing

        x = OldThing(), helper()
        """,
        """\
        from pkg.impl import helper
        from pkg.canon import Thing

        x = Thing(), helper()
        """,
        options=RENAME,
    ),
    case(
        "split-parenthesised-with-comments",
        """\
        from pkg.impl import (
            helper,  # stays
            OldThing,  # moved
        )
        """,
        """\
        from pkg.impl import (
            helper,  # stays
        )
        from pkg.canon import (
            Thing as OldThing,  # moved
        )
        """,
    ),
    case(
        "split-parenthesised-without-comments-stays-multi-line",
        """\
        from pkg.impl import (
            OldThing,
            helper,
        )
        """,
        """\
        from pkg.impl import (
            helper,
        )
        from pkg.canon import (
            Thing as OldThing,
        )
        """,
    ),
    case(
        "split-merges-moved-name-into-canonical-import-above",
        """\
        from pkg.canon import make
        from pkg.impl import OldThing, helper
        """,
        """\
        from pkg.canon import make, Thing as OldThing
        from pkg.impl import helper
        """,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", SPLITS)
def test_name_split(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


# ---------------------------------------------------------------------------
# 7. __all__, star imports, re-exports
# ---------------------------------------------------------------------------

EXPORTS = [
    case(
        "__all__-entries-kept-with-module-move",
        """\
        from pkg.legacy import make

        __all__ = ["make"]
        """,
        """\
        from pkg.canon import make

        __all__ = ["make"]
        """,
    ),
    case(
        "__all__-re-export-of-renamed-symbol-keeps-public-name",
        """\
        from pkg.impl import OldThing
        from pkg.legacy import make

        __all__ = ["OldThing", "make"]
        """,
        """\
        from pkg.canon import Thing as OldThing, make

        __all__ = ["OldThing", "make"]
        """,
    ),
    case(
        "star-import-of-moved-module",
        """\
        from pkg.oldpkg.sub import *

        x = sub_fn()
        """,
        """\
        from pkg.newpkg.sub import *

        x = sub_fn()
        """,
    ),
    case(
        "star-import-relative",
        """\
        from .oldpkg.sub import *
        """,
        """\
        from .newpkg.sub import *
        """,
    ),
    case(
        "noop-star-import-uses-name-the-canonical-module-lacks-reported",
        """\
        from pkg.legacy import *

        x = LEGACY_ONLY
        """,
        None,
        codes=(ANY_WARNING,),
    ),
    case(
        "star-import-from-symbol-module-gets-explicit-import",
        """\
        from pkg.impl import *

        x = OldThing
        """,
        """\
        from pkg.impl import *
        from pkg.canon import Thing as OldThing

        x = OldThing
        """,
    ),
    case(
        "re-export-module-in-package-init",
        """\
        from ..legacy import make, CONST

        __all__ = ["make", "CONST"]
        """,
        """\
        from ..canon import make, CONST

        __all__ = ["make", "CONST"]
        """,
        path="pkg/app/__init__.py",
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", EXPORTS)
def test_all_star_and_reexports(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


# ---------------------------------------------------------------------------
# 8. Dotted strings
# ---------------------------------------------------------------------------

STRINGS = [
    case(
        "mock.patch-a.b.X",
        """\
        from unittest import mock

        p = mock.patch("pkg.legacy.make")
        """,
        """\
        from unittest import mock

        p = mock.patch("pkg.canon.make")
        """,
        path="tests/test_strings.py",
    ),
    case(
        "patch-a.b.X.method-symbol-move",
        """\
        from unittest.mock import patch

        p = patch("pkg.impl.OldThing.method")
        """,
        """\
        from unittest.mock import patch

        p = patch("pkg.canon.Thing.method")
        """,
        path="tests/test_strings.py",
    ),
    case(
        "patch-target-keyword",
        """\
        from unittest import mock

        p = mock.patch(target="pkg.legacy.CONST", new=1)
        """,
        """\
        from unittest import mock

        p = mock.patch(target="pkg.canon.CONST", new=1)
        """,
        path="tests/test_strings.py",
    ),
    case(
        "importlib.import_module-a.b",
        """\
        import importlib

        m = importlib.import_module("pkg.legacy")
        s = importlib.import_module('pkg.oldpkg.sub')
        """,
        """\
        import importlib

        m = importlib.import_module("pkg.canon")
        s = importlib.import_module('pkg.newpkg.sub')
        """,
    ),
    case(
        "importlib.import_module-result-used-directly",
        """\
        import importlib

        make = importlib.import_module("pkg.legacy").make
        """,
        """\
        import importlib

        make = importlib.import_module("pkg.canon").make
        """,
    ),
    case(
        "pkgutil.resolve_name-a.b:X",
        """\
        import pkgutil

        t = pkgutil.resolve_name("pkg.impl:OldThing")
        u = pkgutil.resolve_name("pkg.legacy:make")
        """,
        """\
        import pkgutil

        t = pkgutil.resolve_name("pkg.canon:Thing")
        u = pkgutil.resolve_name("pkg.canon:make")
        """,
    ),
    case(
        "string-annotation-through-module-import",
        """\
        import pkg.legacy


        def f(x: "pkg.legacy.Thing") -> "pkg.legacy.Thing":
            return x
        """,
        """\
        import pkg.canon


        def f(x: "pkg.canon.Thing") -> "pkg.canon.Thing":
            return x
        """,
    ),
    case(
        "string-annotation-of-aliased-rename-untouched",
        """\
        from pkg.impl import OldThing


        def f(x: "OldThing") -> None:
            return None
        """,
        """\
        from pkg.canon import Thing as OldThing


        def f(x: "OldThing") -> None:
            return None
        """,
    ),
    case(
        "patch-prefix-collisions-a.bb-a.b_extra-untouched-beside-real-rewrite",
        """\
        from unittest import mock

        p = mock.patch("pkg.legacy_extra.extra")
        q = mock.patch("pkg.legacyx.x")
        r = mock.patch("pkg.legacy.make")
        """,
        """\
        from unittest import mock

        p = mock.patch("pkg.legacy_extra.extra")
        q = mock.patch("pkg.legacyx.x")
        r = mock.patch("pkg.canon.make")
        """,
        path="tests/test_strings.py",
    ),
    case(
        "noop-patch-name-the-canonical-module-lacks-reported",
        """\
        from unittest import mock

        p = mock.patch("pkg.legacy.LEGACY_ONLY", "x")
        """,
        None,
        path="tests/test_strings.py",
        codes=("C111",),
    ),
    case(
        "import_module-of-vanished-legacy-module-in-try-rewritten-and-reported",
        """\
        import importlib

        try:
            g = importlib.import_module("pkg.ghost")
        except ImportError:
            g = None
        """,
        """\
        import importlib

        try:
            g = importlib.import_module("pkg.canon")
        except ImportError:
            g = None
        """,
        codes=("C121",),
    ),
    case(
        "noop-plain-string-reported-not-rewritten",
        """\
        TARGET = "pkg.legacy.make"
        """,
        None,
        codes=("C112",),
    ),
    case(
        "noop-relative-import_module-reported",
        """\
        import importlib

        m = importlib.import_module(".legacy", "pkg")
        """,
        None,
        codes=("C113",),
    ),
    case(
        "noop-comments-and-docstrings-reported-not-rewritten",
        '''\
        """See pkg.legacy.make."""
        # from pkg.legacy import make
        # pkg.impl.OldThing is the class


        def f():
            """Returns a pkg.impl.OldThing."""
            return 1
        ''',
        None,
        codes=("C114", "C115"),
    ),
    case(
        "include-docs-rewrites-comments-and-docstrings",
        '''\
        """See pkg.legacy.make."""
        # from pkg.legacy import make
        from pkg.legacy import make


        def f():
            """Returns a pkg.impl.OldThing (or pkg.legacy:make)."""
            return make()
        ''',
        '''\
        """See pkg.canon.make."""
        # from pkg.canon import make
        from pkg.canon import make


        def f():
            """Returns a pkg.canon.Thing (or pkg.canon:make)."""
            return make()
        ''',
        options=DOCS,
    ),
    case(
        "noop-bytes-and-fstrings-not-touched",
        """\
        import importlib

        a = importlib.import_module(f"pkg.{'legacy'}")
        b = b"pkg.legacy"
        """,
        None,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", STRINGS)
def test_dotted_strings(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


def test_ambiguous_strings_reported_with_file_and_line(phase_c):
    plan = phase_c.check(
        """\
        import importlib

        NAME = "pkg.legacy.make"
        m = importlib.import_module(".legacy", "pkg")
        """,
        None,
        codes=("C112", "C113"),
    )
    (c112,) = reports_with(plan, "C112")
    (c113,) = reports_with(plan, "C113")
    assert (c112.path, c112.line) == ("pkg/consumer.py", 3)
    assert (c113.path, c113.line) == ("pkg/consumer.py", 4)
    assert c112.location().startswith("pkg/consumer.py:3")


def test_patch_rewritten_and_missing_name_reported_in_one_file(phase_c):
    plan = phase_c.check(
        """\
        from unittest import mock

        a = mock.patch("pkg.legacy.make")
        b = mock.patch("pkg.legacy.LEGACY_ONLY", "x")
        """,
        """\
        from unittest import mock

        a = mock.patch("pkg.canon.make")
        b = mock.patch("pkg.legacy.LEGACY_ONLY", "x")
        """,
        path="tests/test_strings.py",
    )
    assert [r.line for r in reports_with(plan, "C111")] == [4]


# ---------------------------------------------------------------------------
# 9. No false positives
# ---------------------------------------------------------------------------

NO_FALSE_POSITIVES = [
    case(
        "prefix-collisions-a.bb-a.b_extra-untouched-beside-real-rewrite",
        """\
        import pkg.legacy_extra
        import pkg.legacyx
        from pkg import legacy_extra, legacyx
        from pkg.legacy_extra import extra
        from pkg.legacy import make

        x = pkg.legacy_extra.extra(), pkg.legacyx.x(), legacyx.x(), extra(), make()
        """,
        """\
        import pkg.legacy_extra
        import pkg.legacyx
        from pkg import legacy_extra, legacyx
        from pkg.legacy_extra import extra
        from pkg.canon import make

        x = pkg.legacy_extra.extra(), pkg.legacyx.x(), legacyx.x(), extra(), make()
        """,
    ),
    case(
        "noop-local-variable-named-like-the-legacy-module",
        """\
        from pkg import canon


        def f(legacy):
            return legacy.LEGACY_ONLY


        def g():
            legacy = canon
            return legacy.make()
        """,
        None,
    ),
    case(
        "local-shadowing-b-in-function-not-checked-against-the-module",
        """\
        from pkg import legacy


        def f():
            legacy = object()
            return legacy.LEGACY_ONLY


        x = legacy.make()
        """,
        """\
        from pkg import canon as legacy


        def f():
            legacy = object()
            return legacy.LEGACY_ONLY


        x = legacy.make()
        """,
    ),
    case(
        "noop-attribute-chains-on-unrelated-objects",
        """\
        def f(obj, self):
            return obj.legacy.make, self.pkg.legacy.LEGACY_ONLY, obj.OldThing, obj.pkg.impl.OldThing
        """,
        None,
    ),
    case(
        "attribute-chains-on-unrelated-objects-survive-rename-uses",
        """\
        from pkg.impl import OldThing

        x = OldThing()
        y = obj.OldThing
        z = obj.pkg.impl.OldThing
        """,
        """\
        from pkg.canon import Thing

        x = Thing()
        y = obj.OldThing
        z = obj.pkg.impl.OldThing
        """,
        options=RENAME,
    ),
    case(
        "noop-unmoved-name-from-symbol-module",
        """\
        from pkg.impl import helper
        import pkg.impl

        x = helper(), pkg.impl.helper()
        """,
        None,
    ),
    case(
        "noop-canonical-imports-only",
        """\
        from pkg.canon import Thing, make
        import pkg.canon as canon

        legacy = canon.make()
        """,
        None,
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", NO_FALSE_POSITIVES)
def test_no_false_positives(phase_c, before, after, path, options, codes):
    plan = phase_c.check(before, after, path=path, options=options, codes=codes)
    if after is None:
        assert not [r for r in plan.all_reports() if r.severity is not Severity.INFO], plan.all_reports()


# ---------------------------------------------------------------------------
# 10. Modern syntax; files that do not parse
# ---------------------------------------------------------------------------

MODERN_TAIL = '''\


def first[T](items: list[T]) -> T | None:
    return items[0] if items else None


type Alias = int | None


class Box[T]:
    def get(self) -> T | None:
        return None


def describe(cmd: dict | list | None, name: str) -> str | None:
    match cmd:
        case {"op": op, **rest}:
            return f"{f"{name!r:>{len(op)}}"} {rest}"
        case [head, *tail] if head:
            return f"{head}: {", ".join(f"{t}" for t in tail)}"
        case _:
            pass
    try:
        make()
    except* (ValueError, TypeError) as group:
        print(group)
    with (
        open("a") as fa,
        open("b") as fb,
    ):
        print(fa, fb)
    return None
'''

MODERN = [
    pytest.param(
        "from pkg.legacy import make\n" + MODERN_TAIL,
        "from pkg.canon import make\n" + MODERN_TAIL,
        id="match-pep604-pep695-pep701-except-star-paren-with",
    ),
    pytest.param(
        "from pkg.impl import OldThing\n" + MODERN_TAIL.replace("make()", "OldThing()"),
        "from pkg.canon import Thing\n" + MODERN_TAIL.replace("make()", "Thing()"),
        id="rename-uses-in-file-with-modern-syntax",
    ),
]


@pytest.mark.parametrize("before,after", MODERN)
def test_modern_syntax_survives(phase_c, before, after):
    options = RENAME if "OldThing" in before else Options()
    phase_c.check(before.encode(), after.encode(), options=options)


BROKEN = b"from pkg.legacy import make\nprint 'hi'\n"


def test_unparsable_file_is_skipped_with_file_and_line(phase_c):
    plan = phase_c.run({"pkg/consumer.py": BROKEN, "pkg/fine.py": b"from pkg.legacy import make\n"})
    assert [o.path for o in plan.skipped] == ["pkg/consumer.py"]
    assert len(plan.skipped) == 1
    (e001,) = reports_with(plan, "E001")
    assert e001.path == "pkg/consumer.py"
    assert e001.severity is Severity.WARNING
    assert "line 2" in e001.message, e001.message
    assert not plan.has_errors
    # the rest of the run goes on
    assert [o.path for o in plan.changes] == ["pkg/fine.py"]
    assert (phase_c.root / "pkg/consumer.py").read_bytes() == BROKEN


def test_unparsable_file_is_an_error_with_strict(phase_c):
    plan = phase_c.run({"pkg/consumer.py": BROKEN}, options=STRICT, paths=["pkg/consumer.py"])
    (e001,) = reports_with(plan, "E001")
    assert e001.severity is Severity.ERROR
    assert plan.has_errors


def test_unparsable_file_report_is_anchored_at_the_error_line(phase_c):
    """A report is "always anchored at path:line": the E001 anchor names the bad line."""
    plan = phase_c.run({"pkg/consumer.py": BROKEN}, paths=["pkg/consumer.py"])
    (e001,) = reports_with(plan, "E001")
    assert e001.location() == "pkg/consumer.py:2"


# ---------------------------------------------------------------------------
# 11. Bytes: encodings, line endings, whitespace (idempotence via assert_phase)
# ---------------------------------------------------------------------------

BYTES_REWRITES = [
    pytest.param(
        b'\xef\xbb\xbffrom pkg.legacy import make\nx = "\xc3\xa9"  \n',
        b'\xef\xbb\xbffrom pkg.canon import make\nx = "\xc3\xa9"  \n',
        id="utf8-bom",
    ),
    pytest.param(
        b'# -*- coding: latin-1 -*-\nfrom pkg.legacy import make\nx = "\xe9"\n',
        b'# -*- coding: latin-1 -*-\nfrom pkg.canon import make\nx = "\xe9"\n',
        id="latin-1-coding-cookie",
    ),
    pytest.param(
        b"import os\r\nfrom pkg.legacy import make   \r\nx = make()  \r\n",
        b"import os\r\nfrom pkg.canon import make   \r\nx = make()  \r\n",
        id="crlf-and-trailing-whitespace",
    ),
    pytest.param(
        b"from pkg.impl import OldThing, helper\r\nx = 1\r\n",
        b"from pkg.impl import helper\r\nfrom pkg.canon import Thing as OldThing\r\nx = 1\r\n",
        id="crlf-split-adds-crlf-line",
    ),
    pytest.param(
        b"from pkg.impl import (\r\n    helper,\r\n    OldThing,\r\n)\r\nx = 1\r\n",
        b"from pkg.impl import (\r\n    helper,\r\n)\r\nfrom pkg.canon import (\r\n    Thing as OldThing,\r\n)\r\nx = 1\r\n",
        id="crlf-parenthesised-split",
    ),
    pytest.param(
        b"from pkg.legacy import make\nx = make()",
        b"from pkg.canon import make\nx = make()",
        id="no-final-newline",
    ),
    pytest.param(
        b"x = 1\nfrom pkg.legacy import make",
        b"x = 1\nfrom pkg.canon import make",
        id="no-final-newline-on-the-import-line",
    ),
    pytest.param(
        b"from pkg.legacy import make\t \nx = make()   \n\n\n",
        b"from pkg.canon import make\t \nx = make()   \n\n\n",
        id="trailing-whitespace-and-blank-lines",
    ),
    pytest.param(
        b"from pkg.legacy import make\n\n\t",
        b"from pkg.canon import make\n\n\t",
        id="blank-line-then-whitespace-only-last-line",
    ),
    pytest.param(
        b"from pkg.legacy import make\n    # a\n    # b",
        b"from pkg.canon import make\n    # a\n    # b",
        id="indented-trailing-comments-no-final-newline",
    ),
    pytest.param(
        b"from pkg.legacy import make\n\n    # trailing",
        b"from pkg.canon import make\n\n    # trailing",
        id="blank-line-then-indented-trailing-comment",
    ),
    pytest.param(
        b"if True:\n\tfrom pkg.legacy import make\n\tx = make()\n",
        b"if True:\n\tfrom pkg.canon import make\n\tx = make()\n",
        id="tab-indentation",
    ),
    pytest.param(
        b"import os\nfrom pkg.legacy import make\r\nx = 1\r\n",
        b"import os\nfrom pkg.canon import make\r\nx = 1\r\n",
        id="mixed-line-endings",
    ),
    pytest.param(
        b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\nimport pkg.legacy as m\r\ns = '\xe2\x82\xac'\r\ny = m.make()",
        b"\xef\xbb\xbf# -*- coding: utf-8 -*-\r\nimport pkg.canon as m\r\ns = '\xe2\x82\xac'\r\ny = m.make()",
        id="bom-cookie-crlf-no-final-newline",
    ),
]


@pytest.mark.parametrize("before,after", BYTES_REWRITES)
def test_untouched_lines_stay_byte_identical(phase_c, before, after):
    phase_c.check(before, after)


UNTOUCHED_BYTES = [
    pytest.param(b'\xef\xbb\xbflegacy = "caf\xc3\xa9"\n', id="utf8-bom"),
    pytest.param(b'# -*- coding: latin-1 -*-\nlegacy = "caf\xe9"\n', id="latin-1-cookie"),
    pytest.param(b"import os\r\nlegacy = os.sep  \r\n", id="crlf-trailing-ws"),
    pytest.param(b"def legacy():\n    return 1   \n\t\n", id="trailing-ws-tab-line"),
    pytest.param(b"legacy = 1", id="no-final-newline"),
    pytest.param(b"legacy = 1\n\n   ", id="blank-line-then-whitespace-only-last-line"),
    pytest.param(b"legacy = 1\n    # a\n    # b", id="indented-trailing-comments-no-final-newline"),
    pytest.param(b"legacy = 1\n\n    # trailing", id="blank-line-then-indented-trailing-comment"),
    pytest.param(b"from pkg.canon import Thing\r\nOldThing = Thing", id="canonical-import-crlf-no-final-newline"),
    pytest.param(b"x = 1\n", id="no-leaf-name-prefiltered"),
    pytest.param(b"", id="empty-file"),
    pytest.param(b"\n\n", id="only-newlines"),
]


@pytest.mark.parametrize("data", UNTOUCHED_BYTES)
def test_files_without_legacy_references_byte_identical(phase_c, data):
    phase_c.unchanged("pkg/consumer.py", data)
    phase_c.unchanged("pkg/consumer.py", data, options=Options(rename_uses=True, include_docs=True))


# ---------------------------------------------------------------------------
# Lessons
# ---------------------------------------------------------------------------

PROTECTED_EXTRA = {
    "pkg/canon.py": "\n\ndef later():\n    from pkg.legacy import make\n    return make\n",
    "pkg/impl.py": "\n\ndef later():\n    from pkg.legacy import make\n    return make\n",
    "pkg/legacy.py": "from pkg.impl import OldThing as _Old\n",
    "pkg/oldpkg/__init__.py": "from pkg.legacy import CONST\n",
    "pkg/oldutil.py": "from pkg.legacy import CONST\n",
}


#: What the extra lines of PROTECTED_EXTRA become: a module the move map names keeps only the
#: imports that forward to its partner (C000); its other imports of moved paths are ordinary
#: references (a bulk move's modules import each other).
PROTECTED_AFTER = {
    "pkg/canon.py": None,  # `from pkg.legacy import make` in the canonical module is its own legacy path
    "pkg/impl.py": "\n\ndef later():\n    from pkg.canon import make\n    return make\n",
    "pkg/legacy.py": "from pkg.canon import Thing as _Old\n",
    "pkg/oldpkg/__init__.py": "from pkg.canon import CONST\n",
    "pkg/oldutil.py": "from pkg.canon import CONST\n",
}


@pytest.mark.parametrize("path", PROTECTED_PATHS)
def test_lesson_modules_of_the_move_map_keep_only_their_forwarding_imports(phase_c, path):
    before = MODULES[path] + PROTECTED_EXTRA[path]
    extra = PROTECTED_AFTER[path]
    after = None if extra is None else MODULES[path] + extra
    plan = phase_c.check(before, after, path=path)
    # Only the canonical module imports a legacy path of its own (its implementation, pkg.impl,
    # and pkg.legacy); the legacy modules' forwarding lines import canonical paths, never legacy ones.
    assert ("C000" in codes_at(plan, path)) == (path == "pkg/canon.py")


def test_lesson_forwarding_imports_kept_in_a_whole_repo_run(phase_c):
    files = {path: MODULES[path] + PROTECTED_EXTRA[path] for path in PROTECTED_PATHS}
    plan = phase_c.run({**files, "pkg/consumer.py": "from pkg.legacy import make\n"})
    changed = sorted(["pkg/consumer.py", *(p for p, a in PROTECTED_AFTER.items() if a is not None)])
    assert sorted(o.path for o in plan.changes) == changed
    assert "C000" in codes_at(plan, "pkg/canon.py")


def test_lesson_listed_protected_module_never_rewritten(phase_c, tmp_path):
    from .conftest import SPEC

    phase_c.spec = 'protected = ["pkg.consumer"]\n' + SPEC
    plan = phase_c.check("from pkg.legacy import make\n", None)
    assert "C000" in codes_at(plan, "pkg/consumer.py")


LESSONS = [
    case(
        "never-rename-in-import-only-default-keeps-old-local-name",
        """\
        from pkg.impl import OldThing

        x = OldThing()
        """,
        """\
        from pkg.canon import Thing as OldThing

        x = OldThing()
        """,
    ),
    case(
        "never-leave-X-as-X",
        """\
        from pkg.impl import OldThing as Thing

        x = Thing()
        """,
        """\
        from pkg.canon import Thing

        x = Thing()
        """,
    ),
    case(
        "never-drop-other-names-of-a-multi-name-import",
        """\
        from pkg.legacy import make, LEGACY_ONLY, CONST
        from pkg.impl import helper, OldThing as T, helper as h

        x = make(), LEGACY_ONLY, CONST, helper, T, h
        """,
        """\
        from pkg.legacy import LEGACY_ONLY
        from pkg.canon import make, CONST
        from pkg.impl import helper, helper as h
        from pkg.canon import Thing as T

        x = make(), LEGACY_ONLY, CONST, helper, T, h
        """,
        codes=("C107",),
    ),
    case(
        "noop-import-of-name-the-legacy-module-does-not-define-C106",
        """\
        try:
            from pkg.legacy import Missing
        except ImportError:
            Missing = None
        """,
        None,
        codes=("C106",),
    ),
    case(
        "noop-import-module-alias-uses-name-missing-from-canonical-C107",
        """\
        import pkg.legacy as m

        x = m.LEGACY_ONLY, m.make()
        """,
        None,
        codes=("C107",),
    ),
    case(
        "noop-from-a-import-b-uses-name-missing-from-canonical-C107",
        """\
        from pkg import legacy

        x = legacy.LEGACY_ONLY
        """,
        None,
        codes=("C107",),
    ),
    case(
        "noop-comments-commented-out-code-docstrings-not-edited",
        '''\
        """Old code: from pkg.legacy import make."""
        from pkg.legacy import make  # was pkg.legacy.make
        # import pkg.legacy
        # x = pkg.legacy.make()


        def f():
            """pkg.impl.OldThing"""
            return make()
        ''',
        '''\
        """Old code: from pkg.legacy import make."""
        from pkg.canon import make  # was pkg.legacy.make
        # import pkg.legacy
        # x = pkg.legacy.make()


        def f():
            """pkg.impl.OldThing"""
            return make()
        ''',
        codes=("C114", "C115"),
    ),
]


@pytest.mark.parametrize("before,after,path,options,codes", LESSONS)
def test_lessons(phase_c, before, after, path, options, codes):
    _run_cases(phase_c, before, after, path, options, codes)


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param("import pkg.ghost\n\nx = pkg.ghost.make()\n", "import pkg.canon\n\nx = pkg.canon.make()\n", id="import-a.b"),
        pytest.param("import pkg.ghost as g\n\nx = g.make()\n", "import pkg.canon as g\n\nx = g.make()\n", id="import-a.b-as-m"),
        pytest.param("from pkg.ghost import make\n", "from pkg.canon import make\n", id="from-a.b-import-X"),
        pytest.param("from .ghost import make\n", "from .canon import make\n", id="relative-from-.b-import-X"),
        pytest.param("from pkg import ghost\n\nx = ghost.make()\n", "from pkg import canon as ghost\n\nx = ghost.make()\n", id="from-a-import-b"),
        pytest.param("from . import ghost\n\nx = ghost.make()\n", "from . import canon as ghost\n\nx = ghost.make()\n", id="relative-from-.-import-b"),
        pytest.param("from pkg.ghost import *\n", "from pkg.canon import *\n", id="star"),
    ],
)
def test_lesson_import_of_vanished_legacy_module_in_try_rewritten_and_reported(phase_c, before, after):
    """The legacy module is gone (moved before the spec ran): rewritten, and the except branch flagged."""

    def wrap(text):
        return "try:\n" + "".join("    " + line + "\n" for line in text.splitlines() if line) + "except ImportError:\n    pass\n"

    plan = phase_c.check(wrap(before), wrap(after))
    assert "C121" in codes_at(plan, "pkg/consumer.py"), plan.all_reports()


def test_lesson_patch_interception_reported_at_patch_site(phase_c):
    files = {
        "tests/test_service.py": (
            "from unittest import mock\n"
            "\n"
            "import pkg.service\n"
            "\n"
            "\n"
            "def test_run():\n"
            '    with mock.patch("pkg.impl.OldThing") as fake:\n'
            "        assert pkg.service.run() is fake.return_value\n"
        ),
        "pkg/service.py": (
            "def run():\n"
            "    from pkg.impl import OldThing\n"
            "    return OldThing()\n"
        ),
    }
    plan = phase_c.run(files, paths=list(files))
    assert sorted(o.path for o in plan.changes) == ["pkg/service.py", "tests/test_service.py"]
    c301 = reports_with(plan, "C301")
    assert len(c301) == 1, plan.all_reports()
    (r,) = c301
    assert (r.path, r.line) == ("tests/test_service.py", 7)
    assert r.related == ("pkg/service.py:2",)
    assert "pkg/service.py:2" in r.message
    assert r.severity is Severity.WARNING


def test_patch_of_renamed_module_binding_is_an_error(phase_c):
    files = {
        "tests/test_service.py": 'from unittest import mock\n\np = mock.patch("pkg.service.OldThing")\n',
        "pkg/service.py": "from pkg.impl import OldThing\n\n\ndef run():\n    return OldThing()\n",
    }
    plan = phase_c.run(files, options=RENAME, paths=list(files))
    (r,) = reports_with(plan, "C302")
    assert (r.path, r.line, r.related) == ("tests/test_service.py", 3, ("pkg/service.py:1",))
    assert r.severity is Severity.ERROR


def test_outputs_parse_and_report_positions_exist(phase_c):
    """Every changed file of a mixed multi-file run parses with ast; every report names a real line."""
    files = {
        "pkg/a.py": "import pkg.legacy\nx = pkg.legacy.make()\n",
        "pkg/b.py": "from pkg.impl import OldThing, helper\n",
        "pkg/app/c.py": "from ..oldpkg import sub\nfrom ..legacy import LEGACY_ONLY, CONST\n",
        "tests/test_d.py": 'import mock\nmock.patch("pkg.legacy.CONST")\n',
    }
    plan = phase_c.run(files, paths=list(files))
    assert not plan.failed, [o.reason for o in plan.failed]
    assert sorted(o.path for o in plan.changes) == sorted(files)
    for o in plan.changes:
        ast.parse(o.after)
    for r in plan.all_reports():
        assert 1 <= r.line <= len(files[r.path].splitlines())
