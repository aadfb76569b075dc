"""Phase D (factories): before/after pairs over the layout in phase_d_layout.py.

Every pair runs through ``migrate.testing.assert_phase``: the real engine with its
prefilter, its self-verification (the declared call rewrites applied to the
before-AST must give the after-AST exactly) and an idempotence re-run.
``after=None`` means "left unchanged"; ``codes`` are reports that must appear.
"""

from __future__ import annotations

import pytest

from migrate.results import Severity, Status
from migrate.testing import assert_phase, run_phase

from .phase_d_layout import MODULES, SPEC


def case(id: str, before: str, after: str | None, *codes: str, path: str = "pkg/consumer.py"):
    return pytest.param(before, after, path, codes, id=id)


def check(tmp_path, before, after, path="pkg/consumer.py", codes=(), modules=None, spec=SPEC):
    return assert_phase(
        tmp_path, "D", spec=spec, modules={**MODULES, **(modules or {})}, path=path, before=before, after=after, codes=codes
    )


def codes_at(plan, path="pkg/consumer.py"):
    return [r.code for r in plan.all_reports() if r.path == path]


# ---------------------------------------------------------------------------
# 1. Every legacy call shape
# ---------------------------------------------------------------------------

SHAPES = [
    case(
        "async-function-awaited-await-removed",
        """\
        from pkg.legacy import create_manager


        async def connect(ctx):
            ws = await create_manager(ctx)
            return ws
        """,
        """\
        from pkg.canon import get_ws


        async def connect(ctx):
            ws = get_ws(ctx, mode="isolated")
            return ws
        """,
        "D301",
    ),
    case(
        "sync-function-keyword",
        """\
        from pkg.legacy import create_manager_sync

        def notify(ctx):
            return create_manager_sync(user_context=ctx)
        """,
        """\
        from pkg.canon import get_ws

        def notify(ctx):
            return get_ws(user_context=ctx, mode="isolated")
        """,
    ),
    case(
        "positional-and-keyword-mix-drops-a-pure-argument",
        """\
        from pkg.legacy import create_manager_sync

        def f(ctx):
            return create_manager_sync(ctx, label="x")
        """,
        """\
        from pkg.canon import get_ws

        def f(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "keyword-order-swapped",
        """\
        from pkg.legacy import create_manager_sync

        def f(ctx):
            return create_manager_sync(label="x", user_context=ctx)
        """,
        """\
        from pkg.canon import get_ws

        def f(ctx):
            return get_ws(user_context=ctx, mode="isolated")
        """,
    ),
    case(
        "omitted-argument-with-the-targets-default",
        """\
        from pkg.legacy import create_manager_sync

        ws = create_manager_sync()
        """,
        """\
        from pkg.canon import get_ws

        ws = get_ws(mode="isolated")
        """,
    ),
    case(
        "classmethod",
        """\
        from pkg.legacy import Factory


        def resume(ctx):
            return Factory.create_for_user(ctx)
        """,
        """\
        from pkg.canon import get_ws


        def resume(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "staticmethod-keywords",
        """\
        from pkg.legacy import Factory


        def f(ctx):
            return Factory.build(user_context=ctx, label="l")
        """,
        """\
        from pkg.canon import get_ws


        def f(ctx):
            return get_ws(user_context=ctx, mode="isolated")
        """,
    ),
    case(
        "method-on-a-fresh-instance",
        """\
        from pkg.legacy import Factory


        def cancel(ctx):
            return Factory().create_isolated(ctx)
        """,
        """\
        from pkg.canon import get_ws


        def cancel(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "method-on-the-getters-instance",
        """\
        from .legacy import get_factory


        def ping(ctx):
            return get_factory().create(ctx)
        """,
        """\
        from .canon import get_ws


        def ping(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "method-on-a-variable-assigned-in-the-same-scope",
        """\
        from pkg.legacy import Factory


        def f(ctx):
            factory = Factory()
            return factory.create(ctx)
        """,
        """\
        from pkg.legacy import Factory
        from pkg.canon import get_ws


        def f(ctx):
            factory = Factory()
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "method-on-an-annotated-parameter",
        """\
        from pkg.legacy import Factory


        def f(factory: Factory, ctx):
            return factory.create_isolated(user_context=ctx)
        """,
        """\
        from pkg.legacy import Factory
        from pkg.canon import get_ws


        def f(factory: Factory, ctx):
            return get_ws(user_context=ctx, mode="isolated")
        """,
    ),
    case(
        "constructor",
        """\
        from pkg.dup import DupManager


        def typing_indicator(ctx):
            return DupManager(user_context=ctx)
        """,
        """\
        from pkg.canon import get_ws


        def typing_indicator(ctx):
            return get_ws(user_context=ctx, mode="isolated")
        """,
    ),
    case(
        "zero-argument-factory-takes-the-context-from-the-caller",
        """\
        def disconnect(ctx, conn):
            from pkg.legacy import get_manager  # lazy (import cycle)

            return get_manager().remove(conn)
        """,
        """\
        def disconnect(ctx, conn):
            from pkg.canon import get_ws  # lazy (import cycle)

            return get_ws(ctx, mode="isolated").remove(conn)
        """,
        "D203",
        "D204",
    ),
    case(
        "sync-legacy-to-async-target-adds-await-in-async-def",
        """\
        from pkg.legacy import make_sync


        async def f(ctx):
            ws = make_sync(ctx)
            return make_sync(ctx).label
        """,
        """\
        from pkg.canon import get_ws_async


        async def f(ctx):
            ws = await get_ws_async(ctx)
            return (await get_ws_async(ctx)).label
        """,
        "D302",
    ),
    case(
        "method-that-no-longer-exists-is-a-behaviour-change",
        """\
        from pkg.legacy import Factory


        def f(ctx):
            return Factory().create_v2(ctx)
        """,
        """\
        from pkg.canon import get_ws


        def f(ctx):
            return get_ws(ctx, mode="isolated")
        """,
        "D202",
    ),
    case(
        "awaited-sync-factory-latent-bug-fixed-and-reported",
        """\
        from pkg.legacy import create_manager_sync


        async def f(ctx):
            return await create_manager_sync(ctx)
        """,
        """\
        from pkg.canon import get_ws


        async def f(ctx):
            return get_ws(ctx, mode="isolated")
        """,
        "D201",
    ),
]


@pytest.mark.parametrize("before,after,path,codes", SHAPES)
def test_call_shapes(tmp_path, before, after, path, codes):
    check(tmp_path, before, after, path, codes)


# ---------------------------------------------------------------------------
# 2. Resolution by binding: imports, aliases, modules, re-exports
# ---------------------------------------------------------------------------

BINDINGS = [
    case(
        "import-as-alias",
        """\
        from pkg.legacy import create_manager_sync as cms

        ws = cms(None)
        """,
        """\
        from pkg.canon import get_ws

        ws = get_ws(None, mode="isolated")
        """,
    ),
    case(
        "module-alias-import-removed-when-unused",
        """\
        import pkg.legacy as L

        def f(ctx):
            return L.create_manager_sync(ctx)
        """,
        """\
        from pkg.canon import get_ws

        def f(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "from-package-import-module",
        """\
        from pkg import legacy

        def f(ctx):
            return legacy.Factory.create_for_user(ctx), legacy.DEFAULT_CTX
        """,
        """\
        from pkg import legacy
        from pkg.canon import get_ws

        def f(ctx):
            return get_ws(ctx, mode="isolated"), legacy.DEFAULT_CTX
        """,
    ),
    case(
        "dotted-module-import-stays",
        """\
        import pkg.legacy

        def f(ctx):
            return pkg.legacy.create_manager_sync(ctx)
        """,
        """\
        import pkg.legacy
        from pkg.canon import get_ws

        def f(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "through-a-re-export-under-another-name",
        """\
        from pkg.reexport import make

        ws = make(user_context=None)
        """,
        """\
        from pkg.canon import get_ws

        ws = get_ws(user_context=None, mode="isolated")
        """,
    ),
    case(
        "local-function-with-the-same-name-left-alone",
        """\
        def create_manager_sync(ctx):
            return ctx

        ws = create_manager_sync(1)
        """,
        None,
    ),
    case(
        "local-shadowing-in-a-function-left-alone",
        """\
        from pkg.legacy import create_manager_sync

        def f(ctx):
            create_manager_sync = lambda c: c
            return create_manager_sync(ctx)

        x = create_manager_sync
        """,
        None,
        "D101",
    ),
    case(
        "conditional-double-binding-reported",
        """\
        try:
            from pkg.legacy import create_manager_sync
        except ImportError:
            from pkg.reexport import make as create_manager_sync

        ws = create_manager_sync(None)
        """,
        None,
        "D104",
    ),
    case(
        "star-import-reported",
        """\
        from pkg.legacy import *

        ws = create_manager_sync(None)
        """,
        None,
        "D104",
    ),
    case(
        "unrelated-create-method-left-alone",
        """\
        class Pool:
            def create(self, ctx):
                return ctx

        def f(pool: Pool, ctx, other):
            return pool.create(ctx), other.create_for_user(ctx)
        """,
        None,
    ),
]


@pytest.mark.parametrize("before,after,path,codes", BINDINGS)
def test_bindings(tmp_path, before, after, path, codes):
    check(tmp_path, before, after, path, codes)


def test_method_on_an_unknown_receiver_is_an_info_not_a_rewrite(tmp_path):
    plan = check(
        tmp_path,
        """\
        from pkg.legacy import Factory

        class Service:
            def __init__(self):
                self.factory = Factory()

            def f(self, ctx):
                return self.factory.create(ctx)
        """,
        None,
    )
    d003 = [r for r in plan.all_reports() if r.code == "D003"]
    assert d003 and d003[0].line == 8 and d003[0].severity is Severity.INFO


def test_rebound_variable_is_not_a_provable_receiver(tmp_path):
    check(
        tmp_path,
        """\
        from pkg.legacy import Factory

        def f(ctx, other):
            factory = Factory()
            if ctx:
                factory = other
            return factory.create(ctx)
        """,
        None,
    )


# ---------------------------------------------------------------------------
# 3. Where the calls are: nested, lambdas, comprehensions, decorators, defaults
# ---------------------------------------------------------------------------

PLACES = [
    case(
        "nested-calls",
        """\
        from pkg.legacy import Factory, create_manager_sync

        def f(ctx):
            return Factory.build(create_manager_sync(ctx))
        """,
        """\
        from pkg.canon import get_ws

        def f(ctx):
            return get_ws(get_ws(ctx, mode="isolated"), mode="isolated")
        """,
    ),
    case(
        "inside-a-lambda",
        """\
        from pkg.legacy import create_manager_sync

        factory = lambda c: create_manager_sync(c)
        """,
        """\
        from pkg.canon import get_ws

        factory = lambda c: get_ws(c, mode="isolated")
        """,
    ),
    case(
        "inside-a-comprehension",
        """\
        from pkg.legacy import create_manager_sync

        def fan_out(ctxs):
            return [create_manager_sync(c) for c in ctxs if c]
        """,
        """\
        from pkg.canon import get_ws

        def fan_out(ctxs):
            return [get_ws(c, mode="isolated") for c in ctxs if c]
        """,
    ),
    case(
        "awaited-inside-a-comprehension-in-async-def",
        """\
        from pkg.legacy import create_manager


        async def fan_out(ctxs):
            return [await create_manager(c) for c in ctxs]
        """,
        """\
        from pkg.canon import get_ws


        async def fan_out(ctxs):
            return [get_ws(c, mode="isolated") for c in ctxs]
        """,
        "D301",
    ),
    case(
        "inside-a-decorator",
        """\
        from pkg.legacy import create_manager_sync

        def with_manager(ws):
            return lambda fn: fn

        @with_manager(create_manager_sync(None))
        def handler():
            pass
        """,
        """\
        from pkg.canon import get_ws

        def with_manager(ws):
            return lambda fn: fn

        @with_manager(get_ws(None, mode="isolated"))
        def handler():
            pass
        """,
    ),
    case(
        "in-a-default-argument",
        """\
        from pkg.legacy import create_manager_sync

        def handler(ws=create_manager_sync(None)):
            return ws
        """,
        """\
        from pkg.canon import get_ws

        def handler(ws=get_ws(None, mode="isolated")):
            return ws
        """,
    ),
    case(
        "await-added-in-a-default-of-a-nested-def-inside-async-def",
        """\
        from pkg.legacy import make_sync


        async def outer(ctx):
            def inner(ws=make_sync(ctx)):
                return ws
            return inner()
        """,
        """\
        from pkg.canon import get_ws_async


        async def outer(ctx):
            def inner(ws=await get_ws_async(ctx)):
                return ws
            return inner()
        """,
        "D302",
    ),
    case(
        "awaited-in-parentheses-then-attribute",
        """\
        from pkg.legacy import create_manager


        async def f(ctx):
            return (await create_manager(ctx)).label
        """,
        """\
        from pkg.canon import get_ws


        async def f(ctx):
            return (get_ws(ctx, mode="isolated")).label
        """,
        "D301",
    ),
    case(
        "multi-line-call-with-trailing-comma",
        """\
        from pkg.legacy import create_manager_sync

        ws = create_manager_sync(
            user_context=None,
        )
        """,
        """\
        from pkg.canon import get_ws

        ws = get_ws(
            user_context=None,
            mode="isolated",
        )
        """,
    ),
    case(
        "multi-line-call-keeps-the-comment-on-its-argument",
        """\
        from pkg.legacy import create_manager_sync

        ws = create_manager_sync(
            None,  # the system user
        )
        """,
        """\
        from pkg.canon import get_ws

        ws = get_ws(
            None,  # the system user
            mode="isolated",
        )
        """,
    ),
]


@pytest.mark.parametrize("before,after,path,codes", PLACES)
def test_places(tmp_path, before, after, path, codes):
    check(tmp_path, before, after, path, codes)


# ---------------------------------------------------------------------------
# 4. Await correctness
# ---------------------------------------------------------------------------

AWAITS = [
    case(
        "async-legacy-not-awaited-coroutine-used-as-value",
        """\
        import asyncio
        from pkg.legacy import create_manager


        async def f(ctxs):
            return await asyncio.gather(*(create_manager(c) for c in ctxs))
        """,
        None,
        "D106",
    ),
    case(
        "async-target-in-sync-def",
        """\
        from pkg.legacy import make_sync


        def f(ctx):
            return make_sync(ctx)
        """,
        None,
        "D105",
    ),
    case(
        "async-target-in-a-lambda-inside-async-def",
        """\
        from pkg.legacy import make_sync


        async def f(ctxs):
            return list(map(lambda c: make_sync(c), ctxs))
        """,
        None,
        "D105",
    ),
    case(
        "async-target-in-a-generator-expression",
        """\
        from pkg.legacy import make_sync


        async def f(ctxs):
            return list(make_sync(c) for c in ctxs)
        """,
        None,
        "D105",
    ),
    case(
        "async-target-at-module-level",
        """\
        from pkg.legacy import make_sync

        ws = make_sync(None)
        """,
        None,
        "D105",
    ),
]


@pytest.mark.parametrize("before,after,path,codes", AWAITS)
def test_await(tmp_path, before, after, path, codes):
    check(tmp_path, before, after, path, codes)


def test_async_flip_is_summarised_at_the_rule_with_every_site(tmp_path):
    files = {
        "pkg/a.py": """\
            from pkg.legacy import create_manager


            async def one(ctx):
                return await create_manager(ctx)


            async def two(ctx):
                return await create_manager(user_context=ctx)
            """,
        "pkg/b.py": """\
            from pkg.legacy import create_manager


            def left(ctx):
                return create_manager(ctx)
            """,
    }
    plan = run_phase(tmp_path, "D", spec=SPEC, files={**MODULES, **files})
    (summary,) = [r for r in plan.all_reports() if r.code == "D300"]
    assert summary.path == "ssot-spec.toml" and summary.line == 8  # the rule's `legacy =` line
    assert "2 `await` removed" in summary.message and "1 call site(s) left" in summary.message
    assert set(summary.related) == {"pkg/a.py:5", "pkg/a.py:9", "pkg/b.py:5"}
    assert [(r.path, r.line) for r in plan.all_reports() if r.code == "D301"] == [("pkg/a.py", 5), ("pkg/a.py", 9)]
    assert [(r.path, r.line) for r in plan.all_reports() if r.code == "D106"] == [("pkg/b.py", 5)]
    assert all(r.severity is Severity.WARNING for r in plan.all_reports() if r.code in ("D300", "D301", "D106"))


# ---------------------------------------------------------------------------
# 5. Reported, never guessed
# ---------------------------------------------------------------------------

REPORTED = [
    case(
        "passed-as-a-value",
        """\
        from pkg.legacy import create_manager_sync


        def register(**kw):
            return kw

        register(factory=create_manager_sync)
        """,
        None,
        "D101",
    ),
    case(
        "side-effect-of-a-mock",
        """\
        from unittest import mock

        from pkg.legacy import create_manager_sync

        m = mock.Mock(side_effect=create_manager_sync)
        """,
        None,
        "D101",
    ),
    case(
        "star-args",
        """\
        from pkg.legacy import create_manager_sync

        def f(args, kwargs):
            return create_manager_sync(*args), create_manager_sync(**kwargs)
        """,
        None,
        "D102",
    ),
    case(
        "does-not-match-the-legacy-signature",
        """\
        from pkg.legacy import create_manager_sync

        ws = create_manager_sync(1, 2, 3)
        ws2 = create_manager_sync(nope=1)
        """,
        None,
        "D103",
    ),
    case(
        "dropped-argument-with-side-effects",
        """\
        from pkg.legacy import create_manager_sync

        def f(ctx, label):
            return create_manager_sync(ctx, label=label.upper())
        """,
        None,
        "D107",
    ),
    case(
        "target-name-already-bound",
        """\
        from pkg.legacy import create_manager_sync

        get_ws = "something else"
        ws = create_manager_sync(None)
        """,
        None,
        "D108",
    ),
    case(
        "scope-name-not-bound-at-the-call-site",
        """\
        from pkg.legacy import get_manager

        ws = get_manager()
        """,
        None,
        "D109",
    ),
    case(
        "non-literal-legacy-default",
        """\
        from pkg.legacy import create_with_default

        ws = create_with_default()
        """,
        None,
        "D110",
    ),
    case(
        "positional-argument-named-like-another-parameter",
        """\
        from pkg.legacy import Factory

        def f(label):
            return Factory.build(label)
        """,
        None,
        "D111",
    ),
    case(
        "receiver-constructed-with-arguments",
        """\
        from pkg.legacy import Factory

        def f(ctx):
            return Factory(1).create(ctx)
        """,
        None,
        "D112",
    ),
    case(
        "instance-method-called-on-the-class",
        """\
        from pkg.legacy import Factory

        def f(inst, ctx):
            return Factory.create(inst, ctx)
        """,
        None,
        "D112",
    ),
    case(
        "evaluation-order-would-change",
        """\
        from pkg.legacy import create_swapped

        def f(a, b):
            return create_swapped(a(), b())
        """,
        None,
        "D116",
    ),
    case(
        "comment-inside-a-dropped-argument",
        """\
        from pkg.legacy import create_manager_sync

        ws = create_manager_sync(
            None,
            label="x",  # why this label
        )
        """,
        None,
        "D107",
    ),
]


@pytest.mark.parametrize("before,after,path,codes", REPORTED)
def test_reported_not_rewritten(tmp_path, before, after, path, codes):
    plan = check(tmp_path, before, after, path, codes)
    assert any(r.severity is Severity.WARNING and r.code in codes for r in plan.all_reports()), plan.all_reports()


def test_reports_carry_file_and_line(tmp_path):
    plan = check(
        tmp_path,
        """\
        from pkg.legacy import create_manager_sync


        def register(**kw):
            return kw


        register(factory=create_manager_sync)
        ws = create_manager_sync(1, 2, 3)
        """,
        None,
    )
    got = {(r.code, r.path, r.line) for r in plan.all_reports() if r.code.startswith("D1")}
    assert got == {("D101", "pkg/consumer.py", 8), ("D103", "pkg/consumer.py", 9)}


# ---------------------------------------------------------------------------
# 6. Imports are maintained
# ---------------------------------------------------------------------------

IMPORTS = [
    case(
        "merged-into-an-existing-import-of-the-target-module",
        """\
        from pkg.canon import Manager
        from pkg.legacy import create_manager_sync

        def f(ctx) -> Manager:
            return create_manager_sync(ctx)
        """,
        """\
        from pkg.canon import Manager, get_ws

        def f(ctx) -> Manager:
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "existing-target-import-reused",
        """\
        from pkg.canon import get_ws
        from pkg.legacy import create_manager_sync

        a = get_ws(None)
        b = create_manager_sync(None)
        """,
        """\
        from pkg.canon import get_ws

        a = get_ws(None)
        b = get_ws(None, mode="isolated")
        """,
    ),
    case(
        "legacy-import-still-used-stays",
        """\
        from pkg.legacy import DEFAULT_CTX, create_manager_sync

        ws = create_manager_sync(DEFAULT_CTX)
        keep = create_manager_sync
        """,
        """\
        from pkg.legacy import DEFAULT_CTX, create_manager_sync
        from pkg.canon import get_ws

        ws = get_ws(DEFAULT_CTX, mode="isolated")
        keep = create_manager_sync
        """,
        "D101",
    ),
    case(
        "one-name-of-several-removed",
        """\
        from pkg.legacy import DEFAULT_CTX, create_manager_sync

        ws = create_manager_sync(DEFAULT_CTX)
        """,
        """\
        from pkg.legacy import DEFAULT_CTX
        from pkg.canon import get_ws

        ws = get_ws(DEFAULT_CTX, mode="isolated")
        """,
    ),
    case(
        "parenthesised-import-with-comments-split",
        """\
        from pkg.legacy import (  # compat path
            DEFAULT_CTX,  # the default
            create_manager,  # async: one fresh manager
        )


        async def connect(ctx=DEFAULT_CTX):
            return await create_manager(ctx)
        """,
        """\
        from pkg.legacy import (  # compat path
            DEFAULT_CTX,  # the default
        )
        from pkg.canon import (
            get_ws,  # async: one fresh manager
        )


        async def connect(ctx=DEFAULT_CTX):
            return get_ws(ctx, mode="isolated")
        """,
        "D301",
    ),
    case(
        "parenthesised-import-emptied-keeps-its-comments",
        """\
        from pkg.legacy import (  # compat path
            create_manager,  # async: one fresh manager
        )


        async def connect(ctx):
            return await create_manager(ctx)
        """,
        """\
        from pkg.canon import (  # compat path
            get_ws,  # async: one fresh manager
        )


        async def connect(ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "import-under-type-checking-then-the-target-after-the-module-imports",
        """\
        from __future__ import annotations

        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.legacy import Factory


        def f(factory: Factory, ctx):
            return factory.create(ctx)
        """,
        """\
        from __future__ import annotations

        from typing import TYPE_CHECKING
        from pkg.canon import get_ws

        if TYPE_CHECKING:
            from pkg.legacy import Factory


        def f(factory: Factory, ctx):
            return get_ws(ctx, mode="isolated")
        """,
    ),
    case(
        "reexport-in-all-stays-and-is-reported",
        """\
        from pkg.legacy import create_manager_sync

        __all__ = ["create_manager_sync"]

        ws = create_manager_sync(None)
        """,
        """\
        from pkg.legacy import create_manager_sync
        from pkg.canon import get_ws

        __all__ = ["create_manager_sync"]

        ws = get_ws(None, mode="isolated")
        """,
        "D115",
    ),
    case(
        "emptied-import-with-a-comment-becomes-the-target-import",
        """\
        from pkg.legacy import create_manager_sync  # noqa: legacy path
        from pkg.canon import Manager

        ws: Manager = create_manager_sync(None)
        """,
        """\
        from pkg.canon import get_ws  # noqa: legacy path
        from pkg.canon import Manager

        ws: Manager = get_ws(None, mode="isolated")
        """,
    ),
    case(
        "relative-import-stays-relative",
        """\
        from ..legacy import create_manager_sync

        ws = create_manager_sync(None)
        """,
        """\
        from ..canon import get_ws

        ws = get_ws(None, mode="isolated")
        """,
        path="pkg/sub/consumer.py",
    ),
]


@pytest.mark.parametrize("before,after,path,codes", IMPORTS)
def test_imports(tmp_path, before, after, path, codes):
    modules = {"pkg/sub/__init__.py": ""} if path.startswith("pkg/sub/") else None
    check(tmp_path, before, after, path, codes, modules=modules)


def test_unused_import_kept_for_its_comment_is_reported(tmp_path):
    plan = check(
        tmp_path,
        """\
        from pkg.legacy import create_manager_sync  # first
        from pkg.legacy import Factory  # second

        a = create_manager_sync(None)
        b = Factory.create_for_user(None)
        """,
        """\
        from pkg.canon import get_ws  # first
        from pkg.legacy import Factory  # second

        a = get_ws(None, mode="isolated")
        b = get_ws(None, mode="isolated")
        """,
    )
    (r,) = [r for r in plan.all_reports() if r.code == "D005"]
    assert r.line == 2 and "Factory" in r.message and r.severity is Severity.INFO


# ---------------------------------------------------------------------------
# 7. Patch targets move with the bindings
# ---------------------------------------------------------------------------

CONSUMER = """\
from pkg.legacy import create_manager_sync


def notify(ctx):
    return create_manager_sync(ctx)
"""


def test_patch_of_a_consumers_binding_moves_with_it(tmp_path):
    test_file = """\
        from unittest import mock

        from pkg.consumer import notify


        def test_notify():
            with mock.patch("pkg.consumer.create_manager_sync", return_value="fake") as m:
                assert notify("ctx") == "fake"
            m.assert_called_once()
        """
    plan = check(
        tmp_path,
        test_file,
        test_file.replace('"pkg.consumer.create_manager_sync"', '"pkg.consumer.get_ws"'),
        path="tests/test_notify.py",
        codes=("D205",),
        modules={"pkg/consumer.py": CONSUMER},
    )
    (r,) = [r for r in plan.all_reports() if r.code == "D205"]
    assert r.related == ("pkg/consumer.py:1",) and r.line == 7


def test_patch_of_a_class_binding_that_goes_away_is_an_error(tmp_path):
    consumer = """\
from pkg.legacy import Factory


def resume(ctx):
    return Factory.create_for_user(ctx)
"""
    plan = check(
        tmp_path,
        """\
        from unittest import mock


        @mock.patch("pkg.consumer.Factory")
        def test_resume(factory):
            pass
        """,
        None,
        path="tests/test_resume.py",
        codes=("D119",),
        modules={"pkg/consumer.py": consumer},
    )
    assert plan.has_errors


def test_patch_of_the_legacy_definition_is_reported(tmp_path):
    check(
        tmp_path,
        """\
        from unittest import mock

        with mock.patch("pkg.legacy.create_manager_sync"):
            pass
        """,
        None,
        path="tests/test_x.py",
        codes=("D113",),
    )


def test_patch_object_on_a_legacy_factory_is_reported(tmp_path):
    check(
        tmp_path,
        """\
        from unittest import mock

        from pkg.legacy import Factory

        with mock.patch.object(Factory, "create"):
            pass
        """,
        None,
        path="tests/test_x.py",
        codes=("D114",),
    )


def test_patch_of_a_binding_phase_d_keeps_is_untouched(tmp_path):
    consumer = """\
from pkg.legacy import create_manager_sync

keep = create_manager_sync
"""
    plan = check(
        tmp_path,
        """\
        from unittest import mock

        with mock.patch("pkg.consumer.create_manager_sync"):
            pass
        """,
        None,
        path="tests/test_x.py",
        modules={"pkg/consumer.py": consumer},
    )
    assert not [r for r in plan.all_reports() if r.path == "tests/test_x.py" and r.severity is not Severity.INFO]


def test_patch_moves_in_the_same_run_as_the_consumer(tmp_path):
    """Both files change in one plan, and the patched name exists after the rewrite."""
    files = {
        "pkg/consumer.py": CONSUMER,
        "tests/test_notify.py": 'from unittest import mock\n\nP = mock.patch("pkg.consumer.create_manager_sync")\n',
    }
    plan = run_phase(tmp_path, "D", spec=SPEC, files={**MODULES, **files})
    after = {o.path: o.after for o in plan.changes}
    assert b"from pkg.canon import get_ws" in after["pkg/consumer.py"]
    assert after["tests/test_notify.py"] == b'from unittest import mock\n\nP = mock.patch("pkg.consumer.get_ws")\n'


# ---------------------------------------------------------------------------
# 8. Protected modules, the reports' split, facts
# ---------------------------------------------------------------------------


def test_modules_defining_the_factories_are_never_rewritten(tmp_path):
    plan = run_phase(tmp_path, "D", spec=SPEC, files=MODULES, paths=["pkg/legacy.py", "pkg/canon.py", "pkg/dup.py"])
    assert not plan.changes
    # canon.py names no legacy callable: the prefilter drops it before parsing.
    assert {r.path for r in plan.all_reports() if r.code == "D000"} == {"pkg/legacy.py", "pkg/dup.py"}


def test_pure_rewrites_and_behaviour_changes_are_reported_apart(tmp_path):
    plan = check(
        tmp_path,
        """\
        from pkg.legacy import Factory, create_manager_sync


        async def f(ctx):
            a = create_manager_sync(ctx)
            b = await create_manager_sync(ctx)
            c = Factory().create_v2(ctx)
            return a, b, c
        """,
        """\
        from pkg.canon import get_ws


        async def f(ctx):
            a = get_ws(ctx, mode="isolated")
            b = get_ws(ctx, mode="isolated")
            c = get_ws(ctx, mode="isolated")
            return a, b, c
        """,
    )
    by_line = {}
    for r in plan.all_reports():
        if r.path == "pkg/consumer.py":
            by_line.setdefault(r.line, set()).add((r.code, r.severity))
    assert by_line[5] == {("D001", Severity.INFO)}
    assert by_line[6] == {("D201", Severity.WARNING)}
    assert by_line[7] == {("D202", Severity.WARNING)}
    assert all("behaviour change" in r.message for r in plan.all_reports() if r.code.startswith("D2"))
    (summary,) = [r for r in plan.all_reports() if r.code == "D002"]
    assert (summary.path, summary.line, summary.severity) == ("ssot-spec.toml", 3, Severity.WARNING)
    assert summary.message.startswith("3 call(s) rewritten: 1 pure (D001")
    assert "2 behaviour change(s) (D2xx); 0 left for you" in summary.message


def test_every_legacy_reference_is_a_ref_fact(tmp_path):
    from migrate.results import RefFact

    plan = check(
        tmp_path,
        """\
        from pkg.legacy import create_manager_sync

        ws = create_manager_sync(None)
        keep = create_manager_sync
        """,
        """\
        from pkg.legacy import create_manager_sync
        from pkg.canon import get_ws

        ws = get_ws(None, mode="isolated")
        keep = create_manager_sync
        """,
    )
    facts = [f for o in plan.outcomes for f in o.facts if isinstance(f, RefFact)]
    assert {(f.kind, f.line, f.rewritten) for f in facts} == {("call", 3, True), ("value", 4, False)}
    assert all(f.target == "pkg.legacy:create_manager_sync" for f in facts)


def test_rule_matching_nothing_is_an_info(tmp_path):
    plan = run_phase(tmp_path, "D", spec=SPEC, files={**MODULES, "pkg/x.py": "import os\n"})
    assert [r for r in plan.all_reports() if r.code == "D004"]
    assert plan.changes == []


def test_files_without_legacy_names_are_not_parsed(tmp_path):
    plan = run_phase(tmp_path, "D", spec=SPEC, files={**MODULES, "pkg/x.py": "def f(:\n"}, paths=["pkg/x.py"])
    assert plan.outcomes == [] and plan.files_parsed == 0


def test_unparsable_file_with_legacy_names_is_skipped(tmp_path):
    plan = run_phase(tmp_path, "D", spec=SPEC, files={**MODULES, "pkg/x.py": "create_manager_sync(:\n"}, paths=["pkg/x.py"])
    (o,) = plan.outcomes
    assert o.status is Status.SKIPPED


# ---------------------------------------------------------------------------
# 9. The spec: explicit sync/async, checked against the code
# ---------------------------------------------------------------------------

from migrate.errors import SpecError  # noqa: E402


def _spec_errors(tmp_path, spec_text: str, modules=None) -> list[str]:
    with pytest.raises(SpecError) as exc:
        run_phase(tmp_path, "D", spec=spec_text, files={**MODULES, **(modules or {})})
    return exc.value.details


HEAD = """\
source-roots = ["."]

[factories]
target = "pkg.canon:get_ws"
target-async = false
"""


def _rule(**kw) -> str:
    lines = ["", "[[factories.rule]]"]
    for k, v in kw.items():
        lines.append(f"{k.replace('_', '-')} = {v}")
    return "\n".join(lines) + "\n"


def test_the_async_flip_is_a_spec_error(tmp_path):
    # The real incident: the factory became sync while the spec (and 256 call sites) still said async.
    modules = {"pkg/legacy.py": LEGACY_FLIPPED}
    errors = _spec_errors(
        tmp_path,
        HEAD + _rule(legacy='"pkg.legacy:create_manager"', kind='"function"', **{"async": "true"}, args='{ user_context = "user_context" }'),
        modules,
    )
    assert any("create_manager is `def` at pkg/legacy.py:" in e and "async = true" in e for e in errors), errors


LEGACY_FLIPPED = "def create_manager(user_context):\n    return user_context\n"


def test_target_async_must_match_the_code(tmp_path):
    spec = HEAD.replace("target-async = false", "target-async = true") + _rule(
        legacy='"pkg.legacy:create_manager_sync"', kind='"function"', **{"async": "false"}, args='{ user_context = "user_context" }'
    )
    errors = _spec_errors(tmp_path, spec)
    assert any("the target pkg.canon:get_ws is `def`" in e for e in errors), errors


@pytest.mark.parametrize(
    "rule,needle",
    [
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "args": "{}"}, "async: required"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"funktion"', "async": "false", "args": "{}"}, "kind: required, one of"),
        ({"legacy": '"pkg.legacy:Factory"', "kind": '"method"', "async": "false", "args": "{}"}, "a method rule names"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "async": "false", "args": '{ user_context = "ctx" }'}, "'ctx' is not a parameter"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "async": "false", "args": '{ user = "user_context" }'}, "has no parameter 'user'"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "async": "false", "args": '{ mode = "isolated(" }'}, "neither a legacy parameter"),
        ({"legacy": '"pkg.legacy:Factory.create"', "kind": '"classmethod"', "async": "false", "args": "{}"}, "is a method at pkg/legacy.py"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "async": "false", "signature": '"(user_context)"', "args": "{}"}, "the spec says (user_context) but the code has"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "async": "false", "args": "{}", "colour": '"red"'}, "colour: unknown key"),
        ({"legacy": '"pkg.legacy:create_manager_sync"', "kind": '"function"', "async": "false", "args": "{}", "receivers": '["pkg.legacy:get_factory"]'}, "only classmethod, staticmethod and method rules"),
        ({"legacy": '"pkg.dup:DupManager"', "kind": '"constructor"', "async": "true", "args": "{}"}, "a constructor is never async"),
        ({"legacy": '"pkg.canon:get_ws"', "kind": '"function"', "async": "false", "args": "{}"}, "is the target itself"),
    ],
)
def test_rule_errors(tmp_path, rule, needle):
    errors = _spec_errors(tmp_path, HEAD + _rule(**rule))
    assert any(needle in e for e in errors), errors


def test_a_required_target_parameter_must_be_mapped(tmp_path):
    modules = {"pkg/canon.py": CANON_STRICT}
    spec = HEAD + _rule(legacy='"pkg.legacy:create_manager_sync"', kind='"function"', **{"async": "false"}, args="{}")
    errors = _spec_errors(tmp_path, spec, modules)
    assert any("target parameter 'user_context' has no default; map it" in e for e in errors), errors


CANON_STRICT = "def get_ws(user_context, mode='isolated'):\n    return user_context\n"


def test_section_is_required_and_target_keys_are_explicit(tmp_path):
    with pytest.raises(SpecError) as exc:
        run_phase(tmp_path, "D", spec='source-roots = ["."]\n', files=MODULES)
    assert "phase D needs this section" in exc.value.render()
    errors = _spec_errors(tmp_path, '[factories]\ntarget = "pkg.canon:get_ws"\n')
    assert any("target-async: required" in e for e in errors) and any("rule: expected at least one" in e for e in errors)


def test_the_same_object_twice_is_an_error(tmp_path):
    modules = {"pkg/reexport.py": "from pkg.legacy import create_manager_sync\n"}
    spec = HEAD + _rule(legacy='"pkg.legacy:create_manager_sync"', kind='"function"', **{"async": "false"}, args="{}") + _rule(
        legacy='"pkg.reexport:create_manager_sync"', kind='"function"', **{"async": "false"}, args="{}"
    )
    errors = _spec_errors(tmp_path, spec, modules)
    assert any("are the same object" in e for e in errors), errors


@pytest.mark.parametrize(
    "legacy,why",
    [
        ('"pkg.nowhere:f"', "module pkg.nowhere does not exist (removed by phase E, or a typo)"),
        ('"pkg.legacy:Nothing.create"', "class pkg.legacy:Nothing is not defined"),
        ('"pkg.legacy:gone"', "give `signature` to have them rewritten"),
    ],
)
def test_a_rule_whose_legacy_callable_is_gone_matches_nothing(tmp_path, legacy, why):
    """After phase E deleted the legacy module, phase D still plans (nothing to do) instead of failing."""
    kind = '"method"' if "." in legacy.split(":")[1] else '"function"'
    spec = HEAD + _rule(legacy=legacy, kind=kind, **{"async": "false"}, args='{ user_context = "user_context" }') + _rule(
        legacy='"pkg.legacy:create_manager_sync"', kind='"function"', **{"async": "false"}, args='{ user_context = "user_context" }'
    )
    plan = run_phase(tmp_path, "D", spec=spec, files={**MODULES, "pkg/consumer.py": "from pkg.legacy import create_manager_sync\nx = create_manager_sync(None)\n"})
    d004 = [r for r in plan.all_reports() if r.code == "D004"]
    assert len(d004) == 1 and why in d004[0].message and d004[0].severity is Severity.INFO, d004
    assert [o.path for o in plan.changes] == ["pkg/consumer.py"]


# ---------------------------------------------------------------------------
# 10. The rewritten code runs, and every shape now shares one manager per user
# ---------------------------------------------------------------------------

RUNTIME_CONSUMER = """\
import asyncio

from pkg.dup import DupManager
from pkg.legacy import Factory, create_manager, create_manager_sync, get_factory, make_sync


class Ctx:
    def __init__(self, user_id):
        self.user_id = user_id


async def connect(ctx):
    return await create_manager(ctx)


def notify(ctx):
    return create_manager_sync(user_context=ctx, label="n")


def resume(ctx):
    return Factory.create_for_user(ctx)


def cancel(ctx):
    return Factory().create_isolated(ctx)


def ping(ctx):
    return get_factory().create(ctx)


def typing_indicator(ctx):
    return DupManager(user_context=ctx)


async def progress(ctx):
    return make_sync(ctx)


per_user = lambda ctx: create_manager_sync(ctx)


def fan_out(ctxs):
    return [Factory.build(c) for c in ctxs]


def main():
    ctx = Ctx("u1")
    got = [
        asyncio.run(connect(ctx)), notify(ctx), resume(ctx), cancel(ctx), ping(ctx), typing_indicator(ctx),
        asyncio.run(progress(ctx)), per_user(ctx), fan_out([ctx])[0],
    ]
    return len({id(m) for m in got}), type(got[0]).__name__
"""


def test_rewritten_code_runs_and_shares_one_manager_per_user(tmp_path):
    import subprocess
    import sys

    files = {**MODULES, "pkg/consumer.py": RUNTIME_CONSUMER}
    script = "from pkg.consumer import main; print(main())"
    run_phase(tmp_path, "D", spec=SPEC, files=files)  # writes the tree
    before = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert before.returncode == 0, before.stderr
    assert before.stdout.strip() != "(1, 'Manager')"  # fragmented: nine calls, several managers
    plan = run_phase(tmp_path, "D", spec=SPEC, files={}, paths=["pkg/consumer.py"])
    (o,) = plan.changes
    assert o.status is Status.CHANGED and not plan.has_errors
    (tmp_path / "pkg/consumer.py").write_bytes(o.after)
    after = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert after.returncode == 0, after.stderr + o.after.decode()
    assert after.stdout.strip() == "(1, 'Manager')"
    text = o.after.decode()
    assert "pkg.legacy" not in text and "pkg.dup" not in text
    assert "from pkg.canon import get_ws, get_ws_async" in text or ("get_ws_async" in text and "import get_ws" in text)


def test_emptied_module_import_with_a_comment_is_kept(tmp_path):
    plan = check(
        tmp_path,
        """\
        import pkg.legacy as L  # the old factories

        ws = L.create_manager_sync(None)
        """,
        """\
        import pkg.legacy as L  # the old factories
        from pkg.canon import get_ws

        ws = get_ws(None, mode="isolated")
        """,
    )
    assert "D005" in codes_at(plan)
