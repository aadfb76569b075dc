"""Phase C through attribute chains, partial symbol moves, patch targets, grouping and line length.

Layout (``MODULES``), all runnable:

* ``pkg.old`` -> ``pkg._old`` (module privatisation; ``pkg`` itself imports neither);
* ``a.b:X`` -> ``a.c:Y`` while ``a.b.Z`` stays (a symbol move out of a module that lives on);
* ``split:X`` -> ``split.sub:X``: a package ``__init__`` split whose ``run()`` still looks ``X`` up;
* ``lazy:X`` -> ``lazy.sub:X``: the same split, but nothing in ``lazy`` looks ``X`` up.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrate import render
from migrate.results import Report, Severity
from migrate.testing import assert_phase, run_phase

from codemods.linelength import project_line_length

SPEC = """\
source-roots = ["."]

[[move]]
from = "pkg.old"
to = "pkg._old"

[[move]]
from = "a.b:X"
to = "a.c:Y"

[[move]]
from = "pkg.oldpkg"
to = "pkg.newpkg"

[[move]]
from = "split:X"
to = "split.sub:X"

[[move]]
from = "lazy:X"
to = "lazy.sub:X"
"""


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


MODULES: dict[str, str] = {
    "pkg/__init__.py": "",
    "pkg/old.py": "from pkg._old import *\nfrom pkg._old import URL, Client\n",
    "pkg/_old.py": 'URL = "https://example.invalid"\n\n\nclass Client:\n    pass\n',
    "pkg/oldpkg/__init__.py": "from pkg.newpkg import *\n",
    "pkg/oldpkg/sub.py": "from pkg.newpkg.sub import *\nfrom pkg.newpkg.sub import fn\n",
    "pkg/newpkg/__init__.py": "",
    "pkg/newpkg/sub.py": "def fn():\n    return 1\n",
    "a/__init__.py": "",
    "a/b.py": "from a.c import Y as X\n\nZ = 1\n",
    "a/c.py": "class Y:\n    pass\n",
    "split/__init__.py": _d(
        """
        from split.sub import X


        def run():
            return X()
        """
    ),
    "split/sub.py": 'def X():\n    return "real"\n',
    "lazy/__init__.py": "from lazy.sub import X\n",
    "lazy/sub.py": 'def X():\n    return "real"\n',
}


def check(tmp_path: Path, before: str, after: str | None, *, codes=(), path="app/use.py", modules=None):
    return assert_phase(
        tmp_path,
        "C",
        spec=SPEC,
        modules={**MODULES, "app/__init__.py": "", **(modules or {})},
        path=path,
        before=before,
        after=after,
        codes=codes,
    )


def case(id, before, after, codes=()):
    return pytest.param(before, after, codes, id=id)


CHAINS = [
    # Row 5: an attribute chain through the parent package.
    case(
        "import-pkg-then-pkg.old.X",
        """\
        import pkg


        def url():
            return pkg.old.URL
        """,
        """\
        import pkg
        import pkg._old


        def url():
            return pkg._old.URL
        """,
    ),
    case(
        "import-pkg-as-alias-then-p.old.X",
        """\
        import pkg as p

        client = p.old.Client
        """,
        """\
        import pkg as p
        import pkg._old

        client = p._old.Client
        """,
    ),
    case(
        "chain-in-function-with-function-level-import",
        """\
        def url():
            import pkg
            return pkg.old.URL
        """,
        """\
        def url():
            import pkg
            import pkg._old
            return pkg._old.URL
        """,
    ),
    case(
        "chain-whose-canonical-import-is-already-there",
        """\
        import pkg
        import pkg._old

        a = pkg.old.URL, pkg._old.Client
        """,
        """\
        import pkg
        import pkg._old

        a = pkg._old.URL, pkg._old.Client
        """,
    ),
    case(
        "two-chains-one-added-import",
        """\
        import pkg

        a = pkg.old.URL
        b = pkg.old.Client
        """,
        """\
        import pkg
        import pkg._old

        a = pkg._old.URL
        b = pkg._old.Client
        """,
    ),
    case(
        "chain-through-a-moved-package-imports-the-deepest-module",
        """\
        import pkg

        f = pkg.oldpkg.sub.fn
        """,
        """\
        import pkg
        import pkg.newpkg.sub

        f = pkg.newpkg.sub.fn
        """,
    ),
    case(
        "chain-assigning-an-attribute-of-a-moved-object-is-rewritten",
        """\
        import pkg

        pkg.old.Client.attr = 1
        """,
        """\
        import pkg
        import pkg._old

        pkg._old.Client.attr = 1
        """,
    ),
    case(
        "noop-assignment-through-the-legacy-module-reported",
        """\
        import pkg

        pkg.old.URL = "x"
        """,
        None,
        codes=("C117",),
    ),
    case(
        "noop-assignment-to-a-moved-symbol-reported",
        """\
        import a.b

        a.b.X = None
        print(a.b.Z)
        """,
        None,
        codes=("C103",),
    ),
    case(
        "noop-chain-root-rebound-locally-reported",
        """\
        import pkg


        def f(pkg):
            return pkg.old.URL
        """,
        None,
        codes=("C117",),
    ),
    case(
        "noop-chain-to-a-name-the-canonical-module-lacks-is-an-error",
        """\
        import pkg

        a = pkg.old.MISSING
        """,
        None,
        codes=("C117",),
    ),
    case(
        "noop-alias-whose-package-name-is-taken-is-an-error",
        """\
        import pkg as p

        pkg = "a string"
        a = p.old.URL
        """,
        None,
        codes=("C117",),
    ),
    case(
        "chain-through-parent-to-a-moved-symbol",
        """\
        import a

        obj = a.b.X
        """,
        """\
        import a
        import a.c

        obj = a.c.Y
        """,
    ),
    # Row 6: a symbol moved out of a module whose other names stay.
    case(
        "import-a.b-X-moved-Z-stays",
        """\
        import a.b

        obj = a.b.X(), a.b.Z
        """,
        """\
        import a.b
        import a.c

        obj = a.c.Y(), a.b.Z
        """,
    ),
    case(
        "from-a-import-b-X-moved-Z-stays",
        """\
        from a import b

        obj = b.X(), b.Z
        """,
        """\
        from a import b
        from a import c

        obj = c.Y(), b.Z
        """,
    ),
    case(
        "from-a-import-b-with-c-taken-uses-the-full-chain",
        """\
        from a import b

        c = 3
        obj = b.X(), b.Z, c
        """,
        """\
        from a import b
        import a.c

        c = 3
        obj = a.c.Y(), b.Z, c
        """,
    ),
    case(
        "import-a.b-as-m",
        """\
        import a.b as m

        obj = m.X, m.Z
        """,
        """\
        import a.b as m
        import a.c

        obj = a.c.Y, m.Z
        """,
    ),
    case(
        "noop-import-a.b-as-m-with-a-taken-reported",
        """\
        import a.b as m

        a = 1
        obj = m.X, m.Z, a
        """,
        None,
        codes=("C103",),
    ),
    case(
        "string-annotation-a.b.X-gets-its-import",
        """\
        import a.b


        def make() -> "a.b.X":
            return a.b.Z
        """,
        """\
        import a.b
        import a.c


        def make() -> "a.c.Y":
            return a.b.Z
        """,
    ),
    case(
        "star-import-of-a-module-whose-used-names-moved",
        """\
        from a.b import *

        obj = X(), Z
        """,
        """\
        from a.b import *
        from a.c import Y as X

        obj = X(), Z
        """,
    ),
    case(
        "noop-star-import-using-no-moved-name",
        """\
        from a.b import *

        obj = Z
        """,
        None,
    ),
]


@pytest.mark.parametrize("before,after,codes", CHAINS)
def test_chains_and_partial_symbol_moves(request, tmp_path, before, after, codes):
    plan = check(tmp_path, before, after, codes=codes)
    if request.node.callspec.id.endswith("is-an-error"):
        assert [r.severity for r in plan.all_reports() if r.code == "C117"] == [Severity.ERROR]


# Row 7: a patch target names where a name is looked up.
PATCHES = [
    case(
        "noop-patch-kept-while-the-package-looks-the-name-up",
        """\
        from unittest import mock

        p = mock.patch("split.X")
        """,
        None,
        codes=("C303",),
    ),
    case(
        "patch-rewritten-when-every-lookup-moves",
        """\
        from unittest import mock

        p = mock.patch("lazy.X")
        """,
        """\
        from unittest import mock

        p = mock.patch("lazy.sub.X")
        """,
    ),
]


@pytest.mark.parametrize("before,after,codes", PATCHES)
def test_patch_targets_follow_lookups(tmp_path, before, after, codes):
    plan = check(tmp_path, before, after, codes=codes)
    for r in plan.all_reports():
        if r.code == "C303":
            assert r.related == ("split/__init__.py:5",)
            assert "split/__init__.py:5" in r.message


def test_kept_patch_reports_the_lookups_that_moved_away(tmp_path):
    """``split.X`` stays patched where split looks it up; the chain rewritten elsewhere is no longer intercepted."""
    files = {
        "app/__init__.py": "",
        "app/m.py": "import split\n\n\ndef f():\n    return split.X()\n",
        "tests/test_it.py": 'from unittest import mock\n\np = mock.patch("split.X")\n',
    }
    plan = run_phase(tmp_path, "C", spec=SPEC, files={**MODULES, **files})
    (m,) = [o for o in plan.changes if o.path == "app/m.py"]
    assert b"split.sub.X()" in (m.after or b"")
    assert not [o for o in plan.changes if o.path == "tests/test_it.py"]
    (c303,) = [r for r in plan.all_reports() if r.code == "C303"]
    (c301,) = [r for r in plan.all_reports() if r.code == "C301"]
    assert (c303.path, c303.line) == (c301.path, c301.line) == ("tests/test_it.py", 3)
    assert c301.related == ("app/m.py:5",) and "no longer intercepts" in c301.message


def test_reports_grouped_per_site_and_code(tmp_path):
    """A patch intercepting many imports is one line; -v (grouped=False) and JSON keep every detail."""
    files = {f"app/m{i}.py": "def f():\n    from split import X\n    return X()\n" for i in range(5)}
    files["app/__init__.py"] = ""
    files["tests/test_it.py"] = 'from unittest import mock\n\np = mock.patch("split.X")\n'
    plan = run_phase(tmp_path, "C", spec=SPEC, files={**MODULES, **files})
    c301 = [r for r in plan.all_reports() if r.code == "C301"]
    assert len(c301) == 1, c301
    assert len(c301[0].related) == 5 and "5 lookups" in c301[0].message
    lines = [x for x in render.report_lines(plan) if x.startswith("tests/test_it.py:3:")]
    assert len(lines) == 2 and any("C301" in x and "2 more; -v lists them" in x for x in lines)
    verbose = [x for x in render.report_lines(plan, grouped=False) if "C301" in x]
    assert all(f"app/m{i}.py:2" in verbose[0] for i in range(5))


def test_report_lines_group_same_site_and_code():
    from migrate.results import Plan

    reports = tuple(Report("x.py", 3, "C106", f"does not define N{i}") for i in range(4))
    plan = Plan(phase="C", spec_hash="", reports=list(reports))
    (line,) = render.report_lines(plan)
    assert line.startswith("x.py:3: warning: C106 does not define N0") and "(and 3 more C106 here" in line
    assert len(render.report_lines(plan, grouped=False)) == 4


# Formatting: wrapping kept, the project's line length respected.
LONG = {
    "pkg/_old.py": "".join(f"def function_number_{i}():\n    pass\n\n\n" for i in range(4)),
    "pkg/old.py": "from pkg._old import *\n",
}


def test_merge_that_would_exceed_the_line_length_is_kept_apart(tmp_path):
    check(
        tmp_path,
        """\
        from pkg._old import function_number_0, function_number_1
        from pkg.old import function_number_2
        """,
        """\
        from pkg._old import function_number_0, function_number_1
        from pkg._old import function_number_2
        """,
        modules={**LONG, "pyproject.toml": "[tool.ruff]\nline-length = 72\n"},
    )


def test_merge_within_the_line_length_still_merges(tmp_path):
    check(
        tmp_path,
        """\
        from pkg._old import function_number_0
        from pkg.old import function_number_2
        """,
        """\
        from pkg._old import function_number_0, function_number_2
        """,
        modules={**LONG, "setup.cfg": "[flake8]\nmax-line-length = 79\n"},
    )


def test_rewritten_import_longer_than_the_limit_is_wrapped(tmp_path):
    check(
        tmp_path,
        """\
        def f():
            from pkg.old import function_number_0, function_number_1
            return function_number_0
        """,
        """\
        def f():
            from pkg._old import (
                function_number_0,
                function_number_1,
            )
            return function_number_0
        """,
        modules={**LONG, "tox.ini": "[flake8]\nmax-line-length = 60\n"},
    )


def test_parenthesised_multi_line_import_stays_multi_line(tmp_path):
    check(
        tmp_path,
        """\
        from a.b import (
            X,
            Z,
        )
        """,
        """\
        from a.b import (
            Z,
        )
        from a.c import (
            Y as X,
        )
        """,
    )


@pytest.mark.parametrize(
    "files,expected",
    [
        ({}, None),
        ({"pyproject.toml": "[tool.black]\nline-length = 100\n[tool.ruff]\nline-length = 88\n"}, 88),
        ({"pyproject.toml": "[tool.isort]\nline_length = 72\n"}, 72),
        ({"ruff.toml": "line-length = 99\n"}, 99),
        ({".flake8": "[flake8]\nmax-line-length = 79\n"}, 79),
        ({"pyproject.toml": "not toml [", "setup.cfg": "[flake8]\nmax-line-length = x\n"}, None),
    ],
)
def test_project_line_length(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert project_line_length(str(tmp_path)) == expected


def test_project_line_length_reread_after_an_edit(tmp_path):
    cfg = tmp_path / "pyproject.toml"
    cfg.write_text("[tool.ruff]\nline-length = 88\n", encoding="utf-8")
    assert project_line_length(str(tmp_path)) == 88
    cfg.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    assert project_line_length(str(tmp_path)) == 100


def test_chain_through_the_parent_package_after_a_git_mv(tmp_path: Path) -> None:
    """`git mv pkg/old.py pkg/_old.py` first: `import pkg; pkg.old.URL` follows the move (it used to be a C117 error)."""
    modules = {k: v for k, v in MODULES.items() if k != "pkg/old.py"}
    assert_phase(
        tmp_path, "C", spec=SPEC, modules=modules, path="use_gone.py",
        before=_d("""
            import pkg

            print(pkg.old.URL)
            """),
        after=_d("""
            import pkg
            import pkg._old

            print(pkg._old.URL)
            """),
        exact_reports=True,
    )
