"""A small, runnable package for the phase D tests.

* ``pkg.canon``   the target factories: ``get_ws(user_context=None, mode="isolated")``
                  (sync, one manager per user) and ``get_ws_async`` (async).
* ``pkg.legacy``  every legacy shape: a zero-argument factory, an async factory, a
                  sync one, one whose rule targets the async factory, a class with a
                  classmethod, a staticmethod and two instance methods, a getter
                  returning the factory instance, a non-literal default, a
                  parameter order the target does not share.
* ``pkg.dup``     a duplicate manager class (constructor rule).
* ``pkg.reexport`` re-exports a legacy factory under another name.
"""

from __future__ import annotations

import textwrap


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


SPEC = _d(
    """
    source-roots = ["."]

    [factories]
    target = "pkg.canon:get_ws"
    target-async = false

    [[factories.rule]]
    legacy = "pkg.legacy:create_manager"
    kind = "function"
    async = true
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.legacy:create_manager_sync"
    kind = "function"
    async = false
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.legacy:get_manager"
    kind = "function"
    async = false
    args = { user_context = "$ctx", mode = '"isolated"' }
    behaviour = "the zero-argument factory returned one process-wide manager"

    [[factories.rule]]
    legacy = "pkg.legacy:make_sync"
    kind = "function"
    async = false
    target = "pkg.canon:get_ws_async"
    target-async = true
    args = { user_context = "user_context" }

    [[factories.rule]]
    legacy = "pkg.legacy:create_with_default"
    kind = "function"
    async = false
    args = { user_context = "user_context" }

    [[factories.rule]]
    legacy = "pkg.legacy:create_swapped"
    kind = "function"
    async = false
    args = { user_context = "user_context", mode = "mode_name" }

    [[factories.rule]]
    legacy = "pkg.legacy:Factory.create_for_user"
    kind = "classmethod"
    async = false
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.legacy:Factory.build"
    kind = "staticmethod"
    async = false
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.legacy:Factory.create_isolated"
    kind = "method"
    async = false
    receivers = ["pkg.legacy:get_factory"]
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.legacy:Factory.create"
    kind = "method"
    async = false
    receivers = ["pkg.legacy:get_factory"]
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.legacy:Factory.create_v2"
    kind = "method"
    async = false
    signature = "(user_context)"
    args = { user_context = "user_context", mode = '"isolated"' }

    [[factories.rule]]
    legacy = "pkg.dup:DupManager"
    kind = "constructor"
    async = false
    args = { user_context = "user_context", mode = '"isolated"' }
    """
)

CANON = _d(
    '''
    """The one factory."""


    class Manager:
        def __init__(self, user_context=None):
            self.user_context = user_context
            self.label = "canon"


    _managers = {}


    def get_ws(user_context=None, mode="isolated"):
        if mode != "isolated":
            raise ValueError(mode)
        key = getattr(user_context, "user_id", user_context)
        if key not in _managers:
            _managers[key] = Manager(user_context)
        return _managers[key]


    async def get_ws_async(user_context=None, mode="isolated"):
        return get_ws(user_context, mode)
    '''
)

LEGACY = _d(
    '''
    """Every legacy way to get a manager; each builds a fresh one."""
    from pkg.canon import Manager

    DEFAULT_CTX = None


    def get_manager():
        return Manager()


    async def create_manager(user_context, debug=False):
        return Manager(user_context)


    def create_manager_sync(user_context=None, label=None):
        return Manager(user_context)


    def make_sync(user_context):
        return Manager(user_context)


    def create_with_default(user_context=DEFAULT_CTX):
        return Manager(user_context)


    def create_swapped(mode_name, user_context):
        return Manager(user_context)


    class Factory:
        @classmethod
        def create_for_user(cls, user_context):
            return Manager(user_context)

        @staticmethod
        def build(user_context, label=None):
            return Manager(user_context)

        def create_isolated(self, user_context):
            return Manager(user_context)

        def create(self, user_context):
            return self.create_isolated(user_context)


    def get_factory():
        return Factory()
    '''
)

MODULES: dict[str, str] = {
    "pkg/__init__.py": "",
    "pkg/canon.py": CANON,
    "pkg/legacy.py": LEGACY,
    "pkg/dup.py": _d(
        """
        class DupManager:
            def __init__(self, user_context=None):
                self.user_context = user_context
        """
    ),
    "pkg/reexport.py": "from pkg.legacy import create_manager_sync as make\n",
}
