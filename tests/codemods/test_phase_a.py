"""Phase A (interface completeness): analysis reports, the delegating-method fix, the Protocol.

Each test writes a small repository (a canonical class, legacy classes, callers)
and runs the real engine through ``migrate.testing`` (prefilter, workers,
self-verification, idempotence re-run for before/after pairs).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migrate.commands import count_remaining
from migrate.engine import build_plan
from migrate.errors import SpecError
from migrate.phase import Options
from migrate.results import Plan, RefFact, Severity, Status
from migrate.spec import load_spec
from migrate.testing import assert_phase, run_phase, write_tree
from migrate.verify import VerifyPolicy, verify_python

STRICT = Options(strict=True)


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SPEC = """\
source-roots = ["."]

[interface]
canonical = "app.canon:Canon"
implementations = ["app.legacy:Legacy"]
"""

MAP_SEND = """
[interface.map.send_message]
to = "send_to_user"
args = { user_id = "user_id", message = "{'type': event_type, 'data': data}" }
"""

CANON = d(
    '''
    """The canonical manager."""
    from typing import Any


    class Canon:
        def __init__(self, ctx=None) -> None:
            self.ctx = ctx

        async def send_to_user(self, user_id: str, message: dict[str, Any]) -> int:
            return 1
    '''
)

LEGACY = d(
    """
    from typing import Any


    class Legacy:
        def __init__(self, ctx=None) -> None:
            self.ctx = ctx

        async def send_to_user(self, user_id: str, message: dict[str, Any]) -> int:
            return 0

        async def send_message(self, user_id: str, event_type: str, data: dict[str, Any]) -> int:
            return await self.send_to_user(user_id, {"type": event_type, "data": data})
    """
)

def _canon_after() -> str:
    return CANON + (
        "\n"
        "    async def send_message(self, user_id: str, event_type: str, data: dict[str, Any]) -> int:\n"
        '        """Delegates to ``self.send_to_user`` (added by ssot-migrate phase A)."""\n'
        '        return await self.send_to_user(user_id, {"type": event_type, "data": data})\n'
    )


BASE_MODULES = {"app/__init__.py": "", "app/canon.py": CANON, "app/legacy.py": LEGACY}


def run(root: Path, files: dict[str, str], *, spec: str = SPEC, options: Options = Options()) -> Plan:
    return run_phase(root, "A", spec=spec, files=files, options=options)


def reports(plan: Plan, code: str) -> list:
    return [r for r in plan.all_reports() if r.code == code]


def changed(plan: Plan, path: str) -> str | None:
    for o in plan.outcomes:
        if o.path == path and o.status is Status.CHANGED:
            return (o.after or b"").decode()
    return None


# ---------------------------------------------------------------------------
# The fix: a mapped gap becomes a delegating method
# ---------------------------------------------------------------------------


def test_mapped_gap_inserts_an_async_delegate(tmp_path: Path) -> None:
    plan = assert_phase(
        tmp_path, "A", spec=SPEC + MAP_SEND, modules={"app/__init__.py": "", "app/legacy.py": LEGACY},
        path="app/canon.py", before=CANON, after=_canon_after(), codes=[],
    )
    (a102,) = reports(plan, "A102")
    assert a102.path == "app/canon.py" and a102.line == 5
    assert "async def send_message(self, user_id, event_type, data)" in a102.message
    assert not [r for r in plan.all_reports() if r.severity is not Severity.INFO], plan.all_reports()


def test_only_the_canonical_file_is_edited(tmp_path: Path) -> None:
    plan = run(tmp_path, {**BASE_MODULES, "app/use.py": "from app.legacy import Legacy\n\nLegacy().send_message('u', 't', {})\n"},
               spec=SPEC + MAP_SEND)
    assert [o.path for o in plan.changes] == ["app/canon.py"]


def test_sync_delegate_to_sync_target_has_no_await(tmp_path: Path) -> None:
    canon = d(
        """
        class Canon:
            def lookup(self, key, default=None):
                return default
        """
    )
    legacy = d(
        """
        class Legacy:
            def get(self, key, default=None):
                return default
        """
    )
    plan = run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy},
               spec=SPEC + '\n[interface.map.get]\nto = "lookup"\n')
    out = changed(plan, "app/canon.py")
    assert out is not None
    assert out.endswith(
        "\n    def get(self, key, default=None):\n"
        '        """Delegates to ``self.lookup`` (added by ssot-migrate phase A)."""\n'
        "        return self.lookup(key, default)\n"
    ), out


def test_async_delegate_to_sync_target_does_not_await(tmp_path: Path) -> None:
    canon = "class Canon:\n    def push(self, item):\n        return 1\n"
    legacy = "class Legacy:\n    async def put(self, item):\n        return 1\n"
    plan = run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy},
               spec=SPEC + '\n[interface.map.put]\nto = "push"\nargs = { item = "item" }\n')
    out = changed(plan, "app/canon.py")
    assert "    async def put(self, item):\n" in out and "        return self.push(item)\n" in out, out


def test_sync_delegate_to_async_target_is_a_spec_error(tmp_path: Path) -> None:
    canon = "class Canon:\n    async def push(self, item):\n        return 1\n"
    legacy = "class Legacy:\n    def put(self, item):\n        return 1\n"
    with pytest.raises(SpecError) as exc:
        run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy},
            spec=SPEC + '\n[interface.map.put]\nto = "push"\n')
    assert "cannot delegate to async 'push'" in exc.value.render()


def test_classmethod_and_property_delegates(tmp_path: Path) -> None:
    canon = d(
        """
        class Canon:
            @classmethod
            def create(cls, ctx=None):
                return cls()

            @property
            def size(self) -> int:
                return 0
        """
    )
    legacy = d(
        """
        class Legacy:
            @classmethod
            def build(cls, ctx=None):
                return cls()

            @property
            def count(self) -> int:
                return 0
        """
    )
    spec = SPEC + '\n[interface.map.build]\nto = "create"\n\n[interface.map.count]\nto = "size"\n'
    plan = run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy}, spec=spec)
    out = changed(plan, "app/canon.py")
    assert out == canon + (
        "\n"
        "    @classmethod\n"
        "    def build(cls, ctx=None):\n"
        '        """Delegates to ``cls.create`` (added by ssot-migrate phase A)."""\n'
        "        return cls.create(ctx)\n"
        "\n"
        "    @property\n"
        "    def count(self) -> int:\n"
        '        """Delegates to ``self.size`` (added by ssot-migrate phase A)."""\n'
        "        return self.size\n"
    ), out


def test_overloaded_legacy_method_delegates_with_the_implementation_signature(tmp_path: Path) -> None:
    canon = "class Canon:\n    def fetch(self, key, default=None):\n        return default\n"
    legacy = d(
        """
        from typing import overload


        class Legacy:
            @overload
            def get(self, key: str) -> str: ...
            @overload
            def get(self, key: str, default: int) -> int: ...
            def get(self, key, default=None):
                return default
        """
    )
    plan = run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy},
               spec=SPEC + '\n[interface.map.get]\nto = "fetch"\n')
    out = changed(plan, "app/canon.py")
    assert "    def get(self, key, default=None):\n" in out and "return self.fetch(key, default)" in out, out
    (summary,) = reports(plan, "A001")
    assert "1 public member(s)" in summary.message  # three defs, one member


def test_argument_mapping_positional_then_keywords(tmp_path: Path) -> None:
    canon = "class Canon:\n    def emit(self, topic, payload=None, *, urgent=False, **meta):\n        return 1\n"
    legacy = "class Legacy:\n    def notify(self, who, what, prio=0):\n        return 1\n"
    spec = SPEC + d(
        """
        [interface.map.notify]
        to = "emit"
        args = { topic = "who", urgent = "prio > 0", source = "'legacy'", "**" = "{'what': what}" }
        """
    )
    plan = run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy}, spec=spec)
    out = changed(plan, "app/canon.py")
    # File without string literals: double quotes by default.
    assert 'return self.emit(who, urgent=prio > 0, source="legacy", **{"what": what})' in out, out


def test_canonical_member_already_present_is_a_no_op(tmp_path: Path) -> None:
    plan = run(tmp_path, {**BASE_MODULES, "app/canon.py": _canon_after()}, spec=SPEC + MAP_SEND)
    assert not plan.changes
    assert reports(plan, "A108") and not reports(plan, "A101")


# ---------------------------------------------------------------------------
# Formatting follows the file
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "canon, expect",
    [
        pytest.param(
            "class Canon:\n\tdef send_to_user(self, user_id, message):\n\t\treturn 1\n",
            "\n\tasync def send_message(self, user_id, event_type, data):\n"
            '\t\t"""Delegates to ``self.send_to_user`` (added by ssot-migrate phase A)."""\n'
            '\t\treturn self.send_to_user(user_id, {"type": event_type, "data": data})\n',
            id="tabs",
        ),
        pytest.param(
            "class Canon:\r\n    def send_to_user(self, user_id, message):\r\n        return 1\r\n",
            "\r\n    async def send_message(self, user_id, event_type, data):\r\n"
            '        """Delegates to ``self.send_to_user`` (added by ssot-migrate phase A)."""\r\n'
            '        return self.send_to_user(user_id, {"type": event_type, "data": data})\r\n',
            id="crlf",
        ),
        pytest.param(
            "class Canon:\n  x = 'a'\n\n\n  def send_to_user(self, user_id, message):\n    return 1\n\n\n  def other(self):\n    return 'b'\n",
            "\n\n  async def send_message(self, user_id, event_type, data):\n"
            '    """Delegates to ``self.send_to_user`` (added by ssot-migrate phase A)."""\n'
            "    return self.send_to_user(user_id, {'type': event_type, 'data': data})\n",
            id="two-space-indent-two-blank-lines-single-quotes",
        ),
    ],
)
def test_inserted_method_matches_the_file_style(tmp_path: Path, canon: str, expect: str) -> None:
    legacy = "class Legacy:\n    async def send_message(self, user_id, event_type, data):\n        return 1\n"
    spec = SPEC + MAP_SEND
    plan = run_phase(tmp_path, "A", spec=spec, files={"app/__init__.py": "", "app/canon.py": canon.encode(), "app/legacy.py": legacy})
    (o,) = [o for o in plan.outcomes if o.path == "app/canon.py"]
    assert o.status is Status.CHANGED, o.reason
    assert o.after == canon.encode() + expect.encode(), o.after


def test_comments_and_trailing_class_content_are_kept(tmp_path: Path) -> None:
    canon = d(
        """
        # header comment
        class Canon:  # the one
            async def send_to_user(self, user_id, message):  # send it
                return 1
            # trailing comment inside the class


        def helper():
            return Canon()
        """
    )
    legacy = "class Legacy:\n    async def send_message(self, user_id, event_type, data):\n        return 1\n"
    plan = run(tmp_path, {"app/__init__.py": "", "app/canon.py": canon, "app/legacy.py": legacy}, spec=SPEC + MAP_SEND)
    out = changed(plan, "app/canon.py")
    assert out is not None and "# trailing comment inside the class" in out and "def helper():" in out
    tree = ast.parse(out)
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef) and [n.name for n in cls.body] == ["send_to_user", "send_message"]


# ---------------------------------------------------------------------------
# The analysis: inheritance, properties, classmethods, async, signatures
# ---------------------------------------------------------------------------


def test_inherited_members_on_both_sides(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/base.py": "class CanonBase:\n    def ping(self):\n        return 'pong'\n",
        "app/canon.py": "from app.base import CanonBase\n\n\nclass Canon(CanonBase):\n    pass\n",
        "app/legacy.py": d(
            """
            class LegacyBase:
                def ping(self):
                    return 'pong'

                def close(self):
                    return None


            class Legacy(LegacyBase):
                pass
            """
        ),
    }
    plan = run(tmp_path, files)
    gaps = reports(plan, "A101")
    assert [r.message.split(" offered by ")[1].split(";")[0] for r in gaps] == ["Legacy.close (inherited from LegacyBase)"]
    assert gaps[0].path == "app/legacy.py" and gaps[0].line == 5
    assert not plan.changes


def test_properties_classmethods_async_and_signatures(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/canon.py": d(
            """
            class Canon:
                @property
                def size(self):
                    return 0

                def create(self, ctx=None):
                    return self

                def close(self):
                    return None

                def get(self, key, default=None):
                    return default

                def put(self, key, value, *, ttl):
                    return None

                def find(self, key, limit=10, extra=None):
                    return []

                @property
                def name(self):
                    return "c"
            """
        ),
        "app/legacy.py": d(
            """
            class Legacy:
                def size(self):
                    return 0

                @classmethod
                def create(cls, ctx=None):
                    return cls()

                async def close(self):
                    return None

                def get(self, name, default=None):
                    return default

                def put(self, key, value):
                    return None

                def find(self, key, limit=5):
                    return []

                @property
                def name(self):
                    return "l"

                @name.setter
                def name(self, value):
                    pass
            """
        ),
    }
    plan = run(tmp_path, files)
    by_code = {code: [r.message for r in reports(plan, code)] for code in ("A103", "A104", "A105", "A106")}
    assert any("size" in m and "method in the legacy class, property in the canonical class" in m for m in by_code["A105"])
    assert any("create" in m and "classmethod in the legacy class" in m for m in by_code["A105"])
    assert any("name" in m and "settable property" in m for m in by_code["A105"])
    assert any("close" in m and "async in the legacy class, sync in the canonical class" in m for m in by_code["A104"])
    sig = " | ".join(by_code["A103"])
    assert "parameter 1 is 'name' in the legacy class, 'key' in the canonical class" in sig
    assert "the canonical class requires 'ttl'" in sig
    assert any("default of 'limit' differs: 5 (legacy) vs 10 (canonical)" in m and "adds optional 'extra'" in m for m in by_code["A106"])
    assert all(r.severity is Severity.WARNING for code in ("A103", "A104", "A105") for r in reports(plan, code))
    (summary,) = reports(plan, "A001")
    assert "1 incompatible signature" not in summary.message and "2 incompatible signature" in summary.message


def test_constructor_signature_is_compared(tmp_path: Path) -> None:
    files = {
        **BASE_MODULES,
        "app/canon.py": "class Canon:\n    def __init__(self, ctx):\n        self.ctx = ctx\n",
        "app/legacy.py": "class Legacy:\n    def __init__(self, ctx=None, *, mode='x'):\n        self.ctx = ctx\n",
    }
    plan = run(tmp_path, files)
    (a103,) = reports(plan, "A103")
    assert "Canon.constructor" in a103.message and "'ctx' is optional in the legacy class" in a103.message
    assert "lacks keyword parameter 'mode'" in a103.message


def test_unmapped_gap_is_a_warning_and_an_error_with_strict(tmp_path: Path) -> None:
    files = {**BASE_MODULES, "app/use.py": "from app.legacy import Legacy\n\n\nasync def go():\n    return await Legacy().send_message('u', 't', {})\n"}
    plan = run(tmp_path, files)
    (gap,) = reports(plan, "A101")
    assert gap.severity is Severity.WARNING and not plan.has_errors
    assert gap.path == "app/legacy.py" and gap.line == 11
    assert "Canon lacks async def send_message(user_id, event_type, data)" in gap.message
    assert "used at 1 site(s): app/use.py:5" in gap.message and gap.related == ("app/use.py:5",)
    strict = build_plan(load_spec(tmp_path / "ssot-spec.toml"), "A", STRICT, jobs=1)
    assert [r.severity for r in reports(strict, "A101")] == [Severity.ERROR] and strict.has_errors
    assert not strict.changes


# ---------------------------------------------------------------------------
# Call sites: where the code makes the type clear
# ---------------------------------------------------------------------------

USES = d(
    """
    from typing import Optional

    import app.legacy as legacy_mod
    from app.legacy import Legacy as L, make_legacy, open_legacy
    from app.canon import Canon


    def by_annotation(ws: L) -> None:
        ws.flush()                                   # 1 annotation


    def by_optional(ws: Optional[L] = None, other: "L | None" = None) -> None:
        ws.flush()                                   # 2 Optional[...]
        other.flush()                                # 3 string annotation with | None


    def by_constructor():
        ws = legacy_mod.Legacy()
        ws.flush()                                   # 4 constructor through a module alias
        L().flush()                                  # 5 direct


    async def by_factories():
        a = make_legacy()
        b = await open_legacy()
        a.flush()                                    # 6 sync factory
        b.flush()                                    # 7 async factory


    class Holder:
        def __init__(self, ws: L) -> None:
            self.ws = ws

        def go(self):
            self.ws.flush()                          # 8 self attribute


    def class_level():
        return L.flush                               # 9 class attribute access


    def not_counted(x, c: Canon):
        x.flush()                                    # unknown type
        c.flush()                                    # the canonical class
        ws = L()
        ws = x
        ws.flush()                                   # reassigned to something unknown
        L.flush = None if False else L.flush         # (store and read on the class: 10, 11)
    """
)

LEGACY_FLUSH = d(
    """
    class Legacy:
        def flush(self):
            return None


    def make_legacy() -> "Legacy":
        return Legacy()


    async def open_legacy():
        return Legacy()
    """
)


def test_uses_are_counted_where_the_type_is_clear(tmp_path: Path) -> None:
    files = {**BASE_MODULES, "app/legacy.py": LEGACY_FLUSH, "app/use.py": USES}
    plan = run(tmp_path, files)
    (gap,) = reports(plan, "A101")
    lines = sorted(int(a.rsplit(":", 1)[1]) for a in gap.related)
    src = USES.splitlines()
    got = {src[n - 1].split("#")[-1].strip() for n in lines}
    for label in ("1 annotation", "2 Optional[...]", "3 string annotation with | None", "4 constructor through a module alias",
                  "5 direct", "6 sync factory", "7 async factory", "8 self attribute", "9 class attribute access"):
        assert label in got, (label, got)
    assert not any("unknown" in g or "canonical" in g for g in got), got
    assert 48 in lines  # a store and a read on one line count once
    assert "used at 10 site(s)" in gap.message, gap.message
    factories = sorted(r.message.split("(")[0] for r in reports(plan, "A004"))
    assert factories == ["make_legacy", "open_legacy"]


def test_uses_become_ref_facts_flagged_when_mapped(tmp_path: Path) -> None:
    legacy = LEGACY + "\n\nclass Other:\n    pass\n"
    files = {**BASE_MODULES, "app/legacy.py": legacy,
             "app/use.py": "from app.legacy import Legacy\n\n\nasync def go(ws: Legacy):\n    await ws.send_message('u', 't', {})\n    ws.missing_thing()\n    ws.ctx\n"}
    plan = run(tmp_path, files, spec=SPEC + MAP_SEND)
    facts = [f for o in plan.outcomes for f in o.facts if isinstance(f, RefFact)]
    assert sorted((f.target.rsplit(".", 1)[1], f.rewritten) for f in facts) == [("missing_thing", False), ("send_message", True)]
    assert count_remaining(plan) == 2
    (undeclared,) = reports(plan, "A107")
    assert undeclared.path == "app/use.py" and undeclared.line == 6


def test_pattern_with_exclude_finds_the_legacy_classes(tmp_path: Path) -> None:
    spec = d(
        """
        source-roots = ["."]

        [interface]
        canonical = "app.canon:Canon"
        pattern = "*Manager*"
        exclude = ["*Factory", "app.keep:KeepManager"]
        """
    )
    files = {
        "app/__init__.py": "",
        "app/canon.py": "class Canon:\n    def a(self):\n        pass\n",
        "app/one.py": "class OneManager:\n    def a(self):\n        pass\n\n    def b(self):\n        pass\n",
        "app/two.py": "if True:\n    class TwoManagerImpl:\n        def c(self):\n            pass\n",
        "app/factory.py": "class ManagerFactory:\n    def create(self):\n        pass\n",
        "app/keep.py": "class KeepManager:\n    def z(self):\n        pass\n",
    }
    plan = run(tmp_path, files, spec=spec)
    assert sorted(r.message.split(" vs ")[0] for r in reports(plan, "A001")) == ["OneManager", "TwoManagerImpl"]
    assert sorted(r.message.split(" offered by ")[1].split(";")[0] for r in reports(plan, "A101")) == ["OneManager.b", "TwoManagerImpl.c"]


def test_canonical_given_through_an_alias_resolves_to_the_class(tmp_path: Path) -> None:
    spec = SPEC.replace("app.canon:Canon", "app.public:Manager") + MAP_SEND
    files = {**BASE_MODULES, "app/public.py": "from .canon import Canon as Manager\n"}
    plan = run(tmp_path, files, spec=spec)
    assert [o.path for o in plan.changes] == ["app/canon.py"]


# ---------------------------------------------------------------------------
# Spec errors (one clear line each, all listed together)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, files, message",
    [
        (SPEC + "bogus = 1\n", {}, "interface.bogus: unknown key"),
        (SPEC.replace('canonical = "app.canon:Canon"', 'canonical = "app.canon"'), {}, "expected 'pkg.module:ClassName'"),
        (SPEC.replace("app.canon:Canon", "app.nowhere:Canon"), {}, "module 'app.nowhere' not found"),
        (SPEC.replace("app.canon:Canon", "app.canon:Nope"), {}, "app.canon:Nope is not a class defined in the repository"),
        (SPEC + '\n[interface.map.send_message]\nto = "nope"\n', {}, "Canon has no member 'nope'"),
        (SPEC + '\n[interface.map.send_message]\nto = "send_to_user"\nargs = { user_id = "user_id", msg = "data" }\n', {},
         "has no parameter 'msg'"),
        (SPEC + '\n[interface.map.send_message]\nto = "send_to_user"\nargs = { user_id = "user_id" }\n', {},
         "requires message; map it in `args`"),
        (SPEC + '\n[interface.map.send_message]\nto = "send_to_user"\nargs = { user_id = "user_id", message = "payload" }\n', {},
         "uses payload, which is neither a parameter"),
        (SPEC + '\n[interface.map.send_message]\nto = "send_to_user"\nargs = { user_id = "user_id +" }\n', {}, "is not a Python expression"),
        (SPEC + '\n[interface.map.send_message]\nto = "send_to_user"\nsignature = "self, x"\n', {}, "expected a parameter list"),
        (SPEC + '\n[interface.map.shout]\nto = "send_to_user"\n', {}, "no legacy class defines 'shout'; give its `signature`"),
        (SPEC.replace('implementations = ["app.legacy:Legacy"]', 'implementations = ["app.legacy:Legacy", "app.other:Other"]')
         + MAP_SEND, {"app/other.py": "class Other:\n    async def send_message(self, user_id, data):\n        return 1\n"},
         "disagree on the parameters of 'send_message'"),
        ("source-roots = [\".\"]\n", {}, "phase A needs this table"),
    ],
    ids=["unknown key", "not a class target", "canonical module missing", "canonical class missing", "map to missing member",
         "args key not a parameter", "required target parameter unmapped", "expression uses unknown name", "bad expression",
         "bad signature", "unmapped member nobody defines", "legacy signatures disagree", "no section"],
)
def test_spec_errors(tmp_path: Path, spec: str, files: dict, message: str) -> None:
    with pytest.raises(SpecError) as exc:
        run(tmp_path, {**BASE_MODULES, **files}, spec=spec)
    assert message in exc.value.render(), exc.value.render()


def test_explicit_signature_and_async_override(tmp_path: Path) -> None:
    spec = SPEC.replace('implementations = ["app.legacy:Legacy"]', 'implementations = ["app.legacy:Legacy", "app.other:Other"]') + d(
        """
        [interface.map.send_message]
        to = "send_to_user"
        signature = "(self, user_id: str, event_type: str, data: dict = None) -> int"
        args = { user_id = "user_id", message = "{'type': event_type, 'data': data or {}}" }
        """
    )
    files = {**BASE_MODULES, "app/other.py": "class Other:\n    async def send_message(self, user_id, data):\n        return 1\n"}
    plan = run(tmp_path, files, spec=spec)
    out = changed(plan, "app/canon.py")
    assert "    async def send_message(self, user_id: str, event_type: str, data: dict = None) -> int:\n" in out, out
    # The explicit signature is compared with each legacy one like any canonical member.
    assert any("Other.send_message" in r.message for r in reports(plan, "A103"))


def test_listed_implementation_that_is_gone_is_a_warning(tmp_path: Path) -> None:
    spec = SPEC.replace('["app.legacy:Legacy"]', '["app.legacy:Legacy", "app.removed:Gone"]')
    plan = run(tmp_path, BASE_MODULES, spec=spec)
    (a002,) = reports(plan, "A002")
    assert "app.removed:Gone not found" in a002.message and a002.severity is Severity.WARNING
    assert (a002.path, a002.line) == ("ssot-spec.toml", 5)


# ---------------------------------------------------------------------------
# The generated Protocol
# ---------------------------------------------------------------------------

PROTO_SPEC = SPEC + 'protocol = "app.protocols:ManagerProtocol"\n' + MAP_SEND


def test_protocol_is_created_and_describes_the_consolidated_interface(tmp_path: Path) -> None:
    canon = CANON.replace(
        "        return 1\n",
        "        return 1\n\n    @property\n    def size(self) -> int:\n        return 0\n\n    @classmethod\n    def create(cls) -> \"Canon\":\n        return cls()\n",
    )
    plan = run(tmp_path, {**BASE_MODULES, "app/canon.py": canon}, spec=PROTO_SPEC)
    (o,) = [o for o in plan.outcomes if o.path == "app/protocols.py"]
    assert o.status is Status.CHANGED and o.before is None
    text = (o.after or b"").decode()
    tree = ast.parse(text)
    proto = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    assert proto.name == "ManagerProtocol"
    members = {getattr(n, "name", None) or getattr(getattr(n, "target", None), "id", None) for n in proto.body}
    assert {"ctx", "send_to_user", "send_message", "size", "create"} <= members
    assert "    async def send_message(self, user_id: str, event_type: str, data: dict[str, Any]) -> int: ...\n" in text
    assert "    def create(cls) -> ManagerProtocol: ...\n" in text
    assert reports(plan, "A302")


def test_protocol_checks_implementations_at_runtime(tmp_path: Path) -> None:
    """Write the plan, then ``isinstance`` against the generated Protocol in a fresh interpreter."""
    plan = run(tmp_path, BASE_MODULES, spec=PROTO_SPEC)
    for o in plan.changes:
        (tmp_path / o.path).write_bytes(o.after or b"")
    code = d(
        """
        import asyncio
        from app.canon import Canon
        from app.legacy import Legacy
        from app.protocols import ManagerProtocol

        class Partial:
            async def send_to_user(self, user_id, message):
                return 1

        print(isinstance(Canon(), ManagerProtocol), isinstance(Legacy(), ManagerProtocol), isinstance(Partial(), ManagerProtocol))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False"]


def test_existing_protocol_module_is_never_overwritten(tmp_path: Path) -> None:
    plan = run(tmp_path, BASE_MODULES, spec=PROTO_SPEC)
    generated = next(o.after for o in plan.outcomes if o.path == "app/protocols.py")
    (tmp_path / "app/protocols.py").write_bytes(generated or b"")
    again = build_plan(load_spec(tmp_path / "ssot-spec.toml"), "A", jobs=1)
    assert "app/protocols.py" not in [o.path for o in again.changes] and not reports(again, "A301")
    (tmp_path / "app/protocols.py").write_text("# mine\n")
    third = build_plan(load_spec(tmp_path / "ssot-spec.toml"), "A", jobs=1)
    assert "app/protocols.py" not in [o.path for o in third.changes]
    assert reports(third, "A301")[0].severity is Severity.WARNING


# ---------------------------------------------------------------------------
# Runtime: the delegating method really forwards
# ---------------------------------------------------------------------------


def test_delegate_forwards_arguments_and_result_at_runtime(tmp_path: Path) -> None:
    plan = run(tmp_path, BASE_MODULES, spec=SPEC + MAP_SEND)
    for o in plan.changes:
        (tmp_path / o.path).write_bytes(o.after or b"")
    code = d(
        """
        import asyncio, json
        from unittest import mock
        from app.canon import Canon

        calls = []

        async def spy(self, user_id, message):
            calls.append([user_id, message])
            return 42

        with mock.patch.object(Canon, "send_to_user", spy):
            result = asyncio.run(Canon().send_message("u1", "agent_started", {"run_id": "r1"}))
        print(json.dumps({"result": result, "calls": calls, "is_coro": asyncio.iscoroutinefunction(Canon.send_message)}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got == {"result": 42, "calls": [["u1", {"type": "agent_started", "data": {"run_id": "r1"}}]], "is_coro": True}


# ---------------------------------------------------------------------------
# Self-verification: exactly the planned members may be added
# ---------------------------------------------------------------------------


def _policy(tmp_path: Path):
    from codemods.phase_a import expect_added_members
    from migrate.engine import make_context

    write_tree(tmp_path, BASE_MODULES)
    (tmp_path / "ssot-spec.toml").write_text(SPEC + MAP_SEND)
    ctx = make_context(load_spec(tmp_path / "ssot-spec.toml"), "A", Options())
    return VerifyPolicy(expect=expect_added_members("Canon", ctx.payload.delegates))


def test_verify_accepts_exactly_the_planned_member(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    assert verify_python(CANON.encode(), _canon_after().encode(), policy) == []


@pytest.mark.parametrize(
    "after",
    [
        _canon_after().replace("return await self.send_to_user", "return self.send_to_user"),
        _canon_after().replace("async def send_message", "def send_message").replace("return await", "return"),
        _canon_after() + "\n    def extra(self):\n        return 1\n",
        _canon_after().replace("return 1", "return 2"),
        _canon_after().replace("send_message", "send_msg"),
    ],
    ids=["await dropped", "sync instead of async", "an extra member", "another change in the class", "wrong name"],
)
def test_verify_refuses_anything_else(tmp_path: Path, after: str) -> None:
    assert verify_python(CANON.encode(), after.encode(), _policy(tmp_path))


def test_default_policy_still_refuses_an_added_method() -> None:
    """Other phases keep the default policy: adding a method is a structural change."""
    assert any("structure changed" in p for p in verify_python(CANON.encode(), _canon_after().encode()))


def test_a_refused_insertion_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anything beyond the planned members in the output makes the engine refuse the file."""
    import codemods.phase_a as pa
    from migrate.engine import make_context, process_file

    write_tree(tmp_path, BASE_MODULES)
    (tmp_path / "ssot-spec.toml").write_text(SPEC + MAP_SEND)
    ctx = make_context(load_spec(tmp_path / "ssot-spec.toml"), "A", Options())
    real = pa.insert_delegates
    monkeypatch.setattr(pa, "insert_delegates", lambda data, name, ds: ((real(data, name, ds)[0] or b"") + b"\nX = 1\n", ""))
    outcome = process_file(ctx, "app/canon.py", CANON.encode())
    assert outcome.status is Status.FAILED and "self-verification refused" in outcome.reason


def test_inherited_constructor_is_compared_and_foreign_annotations_are_dropped(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/canon.py": "class Canon:\n    def __init__(self):\n        pass\n\n    def push(self, item):\n        return 1\n",
        "app/legacy.py": d(
            """
            from decimal import Decimal


            class Base:
                def __init__(self, ctx):
                    self.ctx = ctx


            class Legacy(Base):
                def put(self, item: Decimal, count: int = 1) -> bool:
                    return True
            """
        ),
    }
    plan = run(tmp_path, files, spec=SPEC + '\n[interface.map.put]\nto = "push"\nargs = { item = "item" }\n')
    assert any("constructor" in r.message and "lacks parameter 'ctx'" in r.message for r in reports(plan, "A103"))
    out = changed(plan, "app/canon.py")
    # Decimal is not importable in the canonical module: that annotation is dropped, the others kept.
    assert "    def put(self, item, count: int = 1) -> bool:\n" in out, out
