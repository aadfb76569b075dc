"""Forward legacy modules and names to the canonical objects, never copies.

Design, and why:

* The legacy module stays a *thin forwarding module* (its own module object,
  its own ``__file__``) whose PEP 562 ``__getattr__`` returns
  ``getattr(canonical, name)``.  Nothing is copied or cached in its
  ``__dict__``, so ``legacy.X is canonical.X`` always (also after
  ``importlib.reload(canonical)``) and every access runs through the shim:
  that is what makes warnings per call site instead of per process.
* Legacy *submodules* (``legacy.sub``) are served by a meta-path finder whose
  loader puts the canonical module object itself into
  ``sys.modules["legacy.sub"]`` (the "sys.modules replacement" case of
  ``importlib._bootstrap._load_unlocked``).  The canonical source is never
  executed under the legacy name, and the canonical ``__spec__`` is never
  touched: the throw-away placeholder module gets the legacy spec.
* The import system binds ``legacy.sub = <module>`` on the parent after each
  submodule import; the legacy module's class (``_ShimModule``) drops that
  binding so ``legacy.sub`` keeps going through ``__getattr__`` (per-site
  warnings again).
* One warning per statement: ``from pkg import X`` on a package reaches
  ``__getattr__`` twice (``_handle_fromlist``'s ``hasattr`` and then
  ``IMPORT_FROM``), a first ``import legacy.sub`` reaches the shim in the
  parent and in the submodule, ``from m import *`` once per name.  A
  per-thread "last hit" (frame, line, shim, instruction offset, name)
  suppresses the repeats inside one execution of a statement; a new
  execution of the same line (a loop) starts at the same or a lower offset
  and counts again.  Across executions, Python's own per-module
  ``__warningregistry__`` gives "once per site" under the default action,
  and ``-W always``/``-W error`` see every execution.  A site whose warning
  Python would drop anyway is remembered until the filters change, so the
  hot path does not call ``warn_explicit`` again (``attribution.warn_site``).
* Threads: targets are imported parent-first (``_import``) so a shim never
  inverts importlib's lock order, and a late meta-path finder makes imports
  of ``legacy.sub`` wait while another thread is still executing the legacy
  package (``_LateFinder``).
"""

import sys
from _thread import _local, allocate_lock
from types import ModuleType

from . import attribution, guard, policy, telemetry
from .categories import DuplicateImplementationWarning, LegacyAttributeError, LegacyImportError

_lock = allocate_lock()
_tls = _local()

_module_forwarders: dict = {}  # legacy module name -> _ModuleForwarder
_symbol_forwarders: dict = {}  # legacy module name -> _SymbolForwarder (forward_symbols)
_top_names: set = set()  # first components of forwarded legacy module names


class Route:
    """One legacy path and its canonical path, with the stage decided once."""

    __slots__ = ("shim", "legacy", "target", "kind", "since", "remove_in", "current", "stage", "_decision")

    def __init__(self, shim, legacy, target, kind, since, remove_in, current, stage_):
        self.shim = shim
        self.legacy = legacy
        self.target = target
        self.kind = kind
        self.since = since
        self.remove_in = remove_in
        self.current = current
        self.stage = stage_
        self._decision = None

    def decision(self):
        """``(action, category, message)`` after SSOT_SHIMS_MODE (cached)."""
        d = self._decision
        if d is None:
            action, eff = policy.decide(self.stage)
            forced = action == "error" and self.stage != policy.REMOVED
            msg = policy.message(
                self.legacy,
                self.target,
                stage_=eff,
                since=self.since,
                remove_in=self.remove_in,
                current=self.current,
                forced_error=forced,
            )
            cat = policy.category(eff, self.remove_in) if action == "warn" else None
            d = self._decision = (action, cat, msg)
        return d

    @property
    def legacy_module(self) -> str:
        return self.legacy.partition(":")[0]

    def __repr__(self):
        return f"<Route {self.legacy} -> {self.target} ({self.kind}, {self.stage})>"


class _Versions:
    __slots__ = ("since", "remove_in", "current", "stage")

    def __init__(self, since, remove_in, near, distribution, version):
        for label, value in (("since", since), ("remove_in", remove_in), ("near", near), ("version", version)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{label} must be a version string such as '2.0', not {value!r}")
        self.since = since
        self.remove_in = remove_in
        self.current = policy.current_version(distribution, version)
        self.stage = policy.stage(self.current, since, remove_in, near)

    def route(self, shim, legacy, target, kind) -> Route:
        return Route(shim, legacy, target, kind, self.since, self.remove_in, self.current, self.stage)


_SPECIAL = attribution._SPECIAL
_SPECIAL_PREFIXES = attribution._SPECIAL_PREFIXES
_shim_bodies = attribution.shim_bodies
_quiet = attribution._quiet
_counts = telemetry._counts
_warnings = sys.modules["warnings"]


def _hit(route: Route, name: str, start, importing: bool = False, key: str | None = None) -> bool:
    """Record one use of ``route`` and warn or raise as the policy says.

    ``start`` is the frame to start looking for the user's line from (the
    caller of ``__getattr__``, or ``sys._getframe()`` from inside the shim).
    ``importing`` marks hits that happen while a module is being imported (the
    shim body, the submodule loader): errors are then ImportErrors.  ``key``
    tells a write (``"X="``) from a read of ``X`` within one statement, so
    ``mock.patch``'s read-then-write on entering counts once.  Returns
    False when the caller is an introspection tool (nothing recorded).

    This is the per-access hot path of ``legacy.X``; the common case (user
    code, a site already warned under a filter that drops repeats) is inlined.
    """
    mod_name = start.f_globals.get("__name__")
    if (
        type(mod_name) is str
        and mod_name not in _SPECIAL
        and not mod_name.startswith(_SPECIAL_PREFIXES)
        and mod_name not in _shim_bodies
    ):
        frame, machinery = start, False
    else:
        frame, machinery, introspective = attribution.find_caller_from(start)
        if introspective:
            decision = route._decision or route.decision()
            if decision[0] == "error":  # removed: absent for inspect/pydoc too
                raise LegacyAttributeError(decision[2], legacy=route.legacy, target=route.target, name=name)
            return False
    decision = route._decision or route.decision()
    tls = _tls.__dict__
    if frame is not None:
        code = frame.f_code
        line = frame.f_lineno or 0
        tname = name if key is None else key
        token = (id(frame), code, line, route.shim, frame.f_lasti, tname)
        last = tls.get("last")
        tls["last"] = token
        if (
            last is not None
            and last[0] == token[0]
            and last[1] is code
            and last[2] == line
            and last[3] == token[3]
            and (token[4] > last[4] or (token[4] == last[4] and tname != last[5]))
        ):
            return True  # same statement, already counted and warned
        site = (route, code.co_filename, line)
    else:
        token = None
        site = (route, "<unknown>", 0)
    counter = _counts.get(site)  # telemetry.record, inlined
    if counter is None:
        counter = _counts.setdefault(site, telemetry.count())
    next(counter)
    action, category, message = decision
    if action == "warn":
        filters = _warnings.filters
        fp = (id(filters), len(filters), id(filters[0]) if filters else 0, _warnings.defaultaction)
        if _quiet.get(site) == fp:
            return True  # repeating this warning here cannot have an effect
        tls["last"] = None  # until it is issued without raising
        try:
            attribution.warn_site(frame, site, message, category, fp)
        except Warning as exc:
            # -W error turned the warning into an exception.  Under hasattr() or
            # getattr(obj, name, default) an AttributeError keeps their meaning
            # (False / the default) instead of crashing introspection.
            if not (importing or machinery) and frame is not None and attribution.is_call_op(frame):
                raise LegacyAttributeError(str(exc), legacy=route.legacy, target=route.target, name=name) from exc
            raise
        tls["last"] = token
        return True
    if action == "silent":
        return True
    tls["last"] = None  # a raised hit does not complete its statement: the next access counts again
    if importing or machinery or (frame is not None and attribution.is_import_op(frame)):
        raise LegacyImportError(message, legacy=route.legacy, target=route.target, name=route.legacy_module)
    raise LegacyAttributeError(message, legacy=route.legacy, target=route.target, name=name)


def _import(name: str):
    """``importlib.import_module(name)``, importing the ancestor packages first.

    ``import a.b`` takes the lock of ``a.b`` and only then imports ``a``; if
    another thread is importing ``a`` and ``a/__init__`` imports ``a.b``, the
    two lock orders cross and importlib raises ``_DeadlockError`` (CPython
    behaviour, reproducible without shims on 3.13).  A shim imports its target
    from inside a module body, so it always takes the locks outermost-first.
    """
    module = sys.modules.get(name)
    if module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False):
        return module
    import importlib

    head = ""
    for part in name.split(".")[:-1]:
        head = f"{head}.{part}" if head else part
        importlib.import_module(head)
    return importlib.import_module(name)


def _no_attr(module_name: str, name: str, obj) -> AttributeError:
    return AttributeError(f"module {module_name!r} has no attribute {name!r}", name=name, obj=obj)


# --- whole modules -------------------------------------------------------------


class _ShimModule(ModuleType):
    """Class of a legacy module: writes through it reach the canonical module.

    ``setattr``/``delattr`` (``legacy.X = v``, ``del legacy.X``,
    ``mock.patch``, ``monkeypatch.setattr``) on a forwarded name act on the
    canonical module (whole-module forward) or the canonical object (a name
    forwarded by ``forward_symbols``), counted and warned per site like reads.
    The legacy module keeps what is its own: dunders (the import system's
    ``__spec__``, ``__file__``, ...), names bound in its own ``__dict__``, and
    its real submodules.  The import system binding ``legacy.sub`` after
    importing a canonical submodule is dropped, so ``legacy.sub`` keeps going
    through ``__getattr__`` (per-site warnings).
    """

    def __setattr__(self, name, value):
        slot = _write_slot(self, name, value)
        if slot is None:
            ModuleType.__setattr__(self, name, value)
        elif slot is not _DROP:
            route, owner, attr = slot
            frame = sys._getframe(1)
            _hit(route, name, frame, key=name + "=")
            if frame.f_globals.get("__name__") == "_pytest.monkeypatch":
                _monkeypatch_saw(self, name, owner, attr, frame.f_code.co_name)
            setattr(owner, attr, value)

    def __delattr__(self, name):
        slot = _write_slot(self, name)
        if slot is None:
            ModuleType.__delattr__(self, name)
            return
        route, owner, attr = slot
        frame = sys._getframe(1)
        _hit(route, name, frame, key=name + "=")
        if frame.f_globals.get("__name__") == "_pytest.monkeypatch" and frame.f_code.co_name == "undo":
            stack = _monkeypatched.get((id(self), name))
            if stack:
                before = stack.pop()
                if before is not _MISSING:
                    setattr(owner, attr, before)
                    return
        if attr not in getattr(owner, "__dict__", {}):
            raise _no_attr(self.__dict__.get("__name__"), name, self)
        delattr(owner, attr)

    # No other methods or attributes here: a type attribute would shadow the
    # canonical name of the same spelling (``legacy.X`` looks at the type first).

    def __repr__(self):
        d = self.__dict__
        fw = _module_forwarders.get(d.get("__name__"))
        target = f" -> {fw.target!r}" if fw is not None else ""
        where = f" from {d['__file__']!r}" if d.get("__file__") else ""
        if fw is None:  # a module that stays, with some names forwarded
            return f"<module {d.get('__name__')!r}{where}>"
        return f"<legacy module {d.get('__name__')!r}{target}{where}>"


_DROP = object()  # the import system binding legacy.<sub> to a canonical submodule
_MISSING = object()


def _write_slot(module, name, value=None):
    """Where ``setattr(module, name, ...)`` goes: None (the legacy module's own
    name), _DROP, or ``(route, owner, attr)`` on the canonical side."""
    d = module.__dict__
    legacy = d.get("__name__")
    fw = _module_forwarders.get(legacy)
    if fw is not None and fw.module is module:
        if isinstance(value, ModuleType):
            sub = getattr(value, "__name__", None)
            if sub == fw.target + "." + name:
                return _DROP  # __getattr__ serves legacy.<sub> (per-site warnings)
            if sub == legacy + "." + name:
                return None  # a real file inside the legacy package
        if name in d or (name[:2] == "__" and name[-2:] == "__"):
            return None
        return fw.route, fw.canonical_module(), name
    sf = _symbol_forwarders.get(legacy)
    entry = sf.routes.get(name) if sf is not None and sf.module is module else None
    if entry is None:
        return None
    route, modname, qual = entry
    owner, _, attr = qual.rpartition(".")
    return route, sf.resolve_owner(modname, owner), attr


# (id(legacy module), name) -> canonical values before each monkeypatch.setattr.
# pytest >= 9.2 records the old value from the target's own __dict__ (empty for a
# forwarded name) and undoes by delattr; the value seen here is restored instead.
_monkeypatched: dict = {}


def _monkeypatch_saw(module, name, owner, attr, via: str) -> None:
    key = (id(module), name)
    if via == "setattr":
        _monkeypatched.setdefault(key, []).append(getattr(owner, "__dict__", {}).get(attr, _MISSING))
    elif via == "undo" and _monkeypatched.get(key):  # older pytest restores by setattr
        _monkeypatched[key].pop()


_OWN_DUNDERS = frozenset(
    {"__path__", "__file__", "__cached__", "__spec__", "__loader__", "__package__", "__builtins__", "__warningregistry__"}
)


class _ModuleForwarder:
    __slots__ = ("legacy", "target", "module", "canonical", "route", "versions", "own_path", "children")

    def __init__(self, legacy, target, module, canonical, route, versions, own_path):
        self.legacy = legacy
        self.target = target
        self.module = module
        self.canonical = canonical
        self.route = route
        self.versions = versions
        self.own_path = own_path
        self.children: dict = {}

    def canonical_module(self):
        m = sys.modules.get(self.target)
        return m if m is not None else self.canonical

    def child_route(self, legacy_name: str, target_name: str) -> Route:
        r = self.children.get(legacy_name)
        if r is None:
            r = self.children.setdefault(
                legacy_name, self.versions.route(self.legacy, legacy_name, target_name, "submodule")
            )
        return r

    def getattr(self, name: str):
        canonical = sys.modules.get(self.target) or self.canonical
        if name[:2] == "__" and name[-2:] == "__":
            # Metadata, not a use: __all__ is computed, the import system's own
            # attributes belong to the legacy module, others are forwarded silently.
            if name == "__all__":
                return self.all_names()
            if name in _OWN_DUNDERS:
                raise _no_attr(self.legacy, name, self.module)
            try:
                return getattr(canonical, name)
            except AttributeError:
                raise _no_attr(self.legacy, name, self.module) from None
        try:
            value = getattr(canonical, name)
        except AttributeError:
            # Like IMPORT_FROM: a submodule already in sys.modules but not yet bound
            # on its package (circular import, or still loading in another thread).
            value = sys.modules.get(self.target + "." + name)
            if value is None:
                raise _no_attr(self.legacy, name, self.module) from None
        route = self.route
        if isinstance(value, ModuleType):
            sub = self.target + "." + name
            if getattr(value, "__name__", None) == sub:
                route = self.child_route(self.legacy + "." + name, sub)
        _hit(route, name, sys._getframe(1))
        return value

    def all_names(self) -> list:
        canonical = self.canonical_module()
        names = getattr(canonical, "__all__", None)
        if names is None:
            names = [n for n in vars(canonical) if not n.startswith("_")]
        return list(names)

    def dir(self) -> list:
        own = set(self.module.__dict__)
        own.discard("__getattr__")
        own.discard("__dir__")
        try:
            own.update(dir(self.canonical_module()))
        except Exception:
            pass
        return sorted(own)


class _AliasLoader:
    """Loader that makes ``legacy.sub`` *be* ``canonical.sub`` in sys.modules."""

    def __init__(self, forwarder: _ModuleForwarder, canonical_name: str):
        self.forwarder = forwarder
        self.canonical_name = canonical_name

    def create_module(self, spec):
        return None  # a placeholder; it receives the legacy spec and is then replaced

    def exec_module(self, module):
        name = module.__name__
        route = self.forwarder.child_route(name, self.canonical_name)
        _hit(route, name, sys._getframe(1), True)
        sys.modules[name] = _import(self.canonical_name)

    # ``python -m legacy`` asks the loader of ``legacy.__main__`` for code to run
    # as __main__; running the canonical code there is what ``-m canonical`` does.
    def _canonical_loader(self):
        import importlib.util

        spec = importlib.util.find_spec(self.canonical_name)
        if spec is None or spec.loader is None:
            raise ImportError(f"no loader for {self.canonical_name!r}", name=self.canonical_name)
        return spec.loader

    def get_code(self, fullname):
        return self._canonical_loader().get_code(self.canonical_name)

    def get_source(self, fullname):
        return self._canonical_loader().get_source(self.canonical_name)

    def is_package(self, fullname):
        return self._canonical_loader().is_package(self.canonical_name)


# The import system's own classes (importlib.machinery re-exports them); taken
# from the frozen modules so that nothing is imported while the finders run
# under the global import lock.
_ModuleSpec = sys.modules["_frozen_importlib"].ModuleSpec
_PathFinder = sys.modules["_frozen_importlib_external"].PathFinder


def _find_elsewhere(name, path, keep_alias=False):
    """Ask the other meta-path finders for ``name``, as the import system would."""
    for finder in list(sys.meta_path):
        if finder is _late_finder or (finder is _finder and not keep_alias):
            continue
        find = getattr(finder, "find_spec", None)
        if find is None:
            continue
        try:
            spec = find(name, path, None)
        except (ImportError, ValueError):
            return None
        if spec is not None:
            return spec
    return None


class _LegacyFinder:
    """Meta-path finder for submodules of forwarded legacy packages.

    It sits first on sys.meta_path: otherwise, for ``legacy.sub.deep`` whose
    parent is the canonical ``canonical.sub``, PathFinder would find the
    canonical file through the parent's ``__path__`` and execute it a second
    time under the legacy name.  A real file inside the legacy package itself
    (a finer-grained shim) wins over the alias.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in _top_names:
            return None
        head = fullname
        while True:
            head, dot, _ = head.rpartition(".")
            if not dot:
                return None
            fw = _module_forwarders.get(head)
            if fw is not None:
                break
        if sys.modules.get(head) is not fw.module:
            return None
        parent = fullname.rpartition(".")[0]
        canonical_name = fw.target + fullname[len(head) :]
        canonical_parent = canonical_name.rpartition(".")[0]
        if parent == head:
            if fw.own_path:
                real = _PathFinder.find_spec(fullname, list(fw.own_path))
                if real is not None and real.has_location:
                    return None
        else:
            pm = sys.modules.get(parent)
            if pm is None or pm is not sys.modules.get(canonical_parent):
                return None
        cp = sys.modules.get(canonical_parent)
        if cp is None or getattr(cp, "__path__", None) is None:
            return None
        canonical_spec = None
        if canonical_name not in sys.modules:
            canonical_spec = _find_elsewhere(canonical_name, cp.__path__)
            if canonical_spec is None:
                return None
        canonical_spec = getattr(sys.modules.get(canonical_name), "__spec__", None) or canonical_spec
        origin = getattr(canonical_spec, "origin", None) or canonical_name
        is_pkg = getattr(canonical_spec, "submodule_search_locations", None) is not None
        # has_location stays False: the placeholder gets no __file__; runpy uses origin.
        # A package placeholder gets an *empty* __path__: a concurrent import of
        # legacy.sub.x then reaches the late finder (and waits) instead of failing
        # with "not a package"; never the canonical path, which would let
        # PathFinder execute canonical files under legacy names.
        spec = _ModuleSpec(fullname, _AliasLoader(fw, canonical_name), origin=origin, is_package=is_pkg)
        if is_pkg:
            spec.submodule_search_locations = []
        return spec

    def invalidate_caches(self):
        pass

    def __repr__(self):
        return f"<{__name__}._LegacyFinder>"


class _DeferredLoader:
    """Loads a submodule once its initializing ancestor packages are complete.

    Python imports ``pkg.sub`` as soon as ``pkg`` is *in* sys.modules, even
    while another thread is still executing ``pkg/__init__.py``.  For a legacy
    package that is the window before its ``forward_module`` call has run:
    nothing can find ``pkg.sub`` yet.  The late finder claims such names (only
    after every other finder failed) and this loader waits on the ancestors'
    module locks (outside the global import lock), then resolves the name
    again with the other finders and loads whatever they find, or raises the
    same ModuleNotFoundError Python would have.
    """

    def __init__(self, ancestors):
        self.ancestors = ancestors

    def create_module(self, spec):
        return None

    def exec_module(self, placeholder):
        name = placeholder.__name__
        bootstrap = sys.modules.get("_frozen_importlib")
        wait = getattr(bootstrap, "_lock_unlock_module", None)
        if wait is not None:
            for ancestor in reversed(self.ancestors):  # outermost first
                wait(ancestor)  # re-entrant for our own thread; deadlock-safe
        parent = sys.modules.get(name.rpartition(".")[0])
        spec = _find_elsewhere(name, getattr(parent, "__path__", None), keep_alias=True)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        loader = spec.loader
        if isinstance(loader, _AliasLoader):
            loader.exec_module(placeholder)  # puts the canonical module into sys.modules
            return
        import importlib.util

        module = importlib.util.module_from_spec(spec)
        spec._initializing = True  # before publishing, as importlib does
        sys.modules[name] = module
        try:
            if loader is not None and hasattr(loader, "exec_module"):
                loader.exec_module(module)
        finally:
            spec._initializing = False


class _LateFinder:
    """Last on sys.meta_path: claims ``a.b.c`` only if an ancestor is still initializing."""

    def find_spec(self, fullname, path=None, target=None):
        if "." not in fullname:
            return None
        # A forward registered since the alias finder ran (its package just
        # finished initializing in another thread) is served now.
        spec = _finder.find_spec(fullname, path, target)
        if spec is not None:
            return spec
        modules = sys.modules
        waiting = []
        anc = fullname
        while True:
            anc, dot, _ = anc.rpartition(".")
            if not dot:
                break
            m = modules.get(anc)
            if m is not None and getattr(getattr(m, "__spec__", None), "_initializing", False):
                waiting.append(anc)
        if not waiting:
            return None
        spec = _ModuleSpec(fullname, _DeferredLoader(waiting), is_package=True)
        spec.submodule_search_locations = []  # children of the placeholder wait too (see _AliasLoader)
        return spec

    def invalidate_caches(self):
        pass

    def __repr__(self):
        return f"<{__name__}._LateFinder>"


_finder = _LegacyFinder()
_late_finder = _LateFinder()


def _install_finder() -> None:
    """Alias finder first on sys.meta_path, the late finder last (idempotent)."""
    meta = sys.meta_path
    if not any(f is _finder for f in meta):
        meta.insert(0, _finder)
    if not any(f is _late_finder for f in meta):
        meta.append(_late_finder)


def forward_module(
    name: str,
    target: str,
    *,
    since: str | None = None,
    remove_in: str | None = None,
    distribution: str | None = None,
    version: str | None = None,
    near: str | None = None,
) -> None:
    """Turn the module ``name`` (the caller's ``__name__``) into a forward to ``target``."""
    module = sys.modules.get(name)
    if module is None:
        raise RuntimeError(f"forward_module({name!r}, ...) must be called from the body of module {name!r}")
    if target == name or target.startswith(name + "."):
        raise ValueError(f"the canonical module {target!r} cannot live inside the legacy module {name!r}")
    versions = _Versions(since, remove_in, near, distribution, version)
    if name == "__main__":  # ``python -m legacy``: run the canonical module as the program
        spec = getattr(module, "__spec__", None)
        legacy = spec.name if spec is not None else name
        route = versions.route(legacy, legacy, target, "module")
        telemetry.register(route)
        _hit(route, legacy, sys._getframe(1), True)
        import runpy

        runpy.run_module(target, run_name="__main__", alter_sys=True)
        return

    route = versions.route(name, name, target, "module")
    attribution.shim_bodies.add(name)
    telemetry.register(route)
    _hit(route, name, sys._getframe(1), True)  # the importing line; raises once removed

    canonical = _import(target)
    previous = _module_forwarders.get(name)
    if previous is not None and previous.module is module and previous.target == target:
        # importlib.reload(legacy): the legacy path stands for the canonical module,
        # so reloading it re-executes the canonical code, as reloading that would.
        import importlib

        canonical = importlib.reload(canonical)
    d = module.__dict__
    if d.get("forward_module") is forward_module:
        del d["forward_module"]  # the generated file's own import is not part of the legacy API
    if d.get("__doc__") is None:
        d["__doc__"] = f"Legacy import path; forwards to {target!r} (see {target}.__doc__)."
    own_path = d.get("__path__")
    is_pkg = getattr(canonical, "__path__", None) is not None
    if is_pkg and own_path is None:
        d["__path__"] = []  # make ``import legacy.sub`` consult the finder
    fw = _ModuleForwarder(name, target, module, canonical, route, versions, list(own_path or ()))
    d["__getattr__"] = fw.getattr
    d["__dir__"] = fw.dir
    with _lock:
        _module_forwarders[name] = fw
        if is_pkg:
            _top_names.add(name.partition(".")[0])
            _install_finder()
    try:
        module.__class__ = _ShimModule
    except TypeError:  # not a plain module object; forwarding still works
        pass
    guard.check_module(canonical)


# --- individual names ------------------------------------------------------------


class _SymbolForwarder:
    __slots__ = ("legacy", "module", "routes", "shadowed", "prev_getattr", "prev_dir")

    def __init__(self, legacy, module, prev_getattr, prev_dir):
        self.legacy = legacy
        self.module = module
        self.routes: dict = {}  # old name -> (route, module, qualname)
        self.shadowed: dict = {}  # old name -> object that was bound locally
        self.prev_getattr = prev_getattr
        self.prev_dir = prev_dir

    def resolve(self, old: str, modname: str, qual: str):
        obj = _import(modname)  # waits if another thread is still executing it
        for part in qual.split("."):
            obj = getattr(obj, part)
        if self.shadowed:
            local = self.shadowed.pop(old, None)
            if local is not None and local is not obj:
                _report_shadowed(self.legacy, old, modname, qual, local)
        return obj

    def resolve_owner(self, modname: str, owner: str):
        """The object holding the forwarded name: the module, or a class for ``Outer.Inner``."""
        obj = _import(modname)
        for part in owner.split(".") if owner else ():
            obj = getattr(obj, part)
        return obj

    def getattr(self, name: str):
        entry = self.routes.get(name)
        if entry is None:
            if name == "__all__":
                return self.all_names()
            if self.prev_getattr is not None:
                return self.prev_getattr(name)
            raise _no_attr(self.legacy, name, self.module)
        route, modname, qual = entry
        _hit(route, name, sys._getframe(1))
        try:
            return self.resolve(name, modname, qual)
        except AttributeError:
            raise _no_attr(self.legacy, name, self.module) from None

    def all_names(self) -> list:
        d = self.module.__dict__
        names = [n for n in d if not n.startswith("_") and d[n] is not forward_symbols and d[n] is not forward_module]
        names.extend(n for n in self.routes if not n.startswith("_") and n not in names)
        return names

    def dir(self) -> list:
        names = set(self.module.__dict__)
        names.discard("__getattr__")
        names.discard("__dir__")
        names.update(self.routes)
        if self.prev_dir is not None:
            try:
                names.update(self.prev_dir())
            except Exception:
                pass
        return sorted(names)


def _report_shadowed(legacy: str, old: str, modname: str, qual: str, local) -> None:
    msg = (
        f"{legacy}.{old} was defined in {legacy!r} itself ({local!r}) and is also forwarded to "
        f"{modname}:{qual}; the local copy is a second implementation and is no longer reachable "
        f"as {legacy}.{old}. Delete it from {legacy!r}."
    )
    frame, _, _ = attribution.find_caller(1)
    attribution.warn_at(frame, msg, DuplicateImplementationWarning)


def forward_symbols(
    name: str,
    symbols,
    *,
    since: str | None = None,
    remove_in: str | None = None,
    distribution: str | None = None,
    version: str | None = None,
    near: str | None = None,
) -> None:
    """Forward the names in ``symbols`` (``{"Old": "pkg.mod:New"}``) of module ``name``."""
    module = sys.modules.get(name)
    if module is None:
        raise RuntimeError(f"forward_symbols({name!r}, ...) must be called from the body of module {name!r}")
    versions = _Versions(since, remove_in, near, distribution, version)
    d = module.__dict__
    current = d.get("__getattr__")
    fw = getattr(current, "__self__", None)
    if not (isinstance(fw, _SymbolForwarder) and fw.module is module):
        fw = _SymbolForwarder(name, module, current, d.get("__dir__"))
    for old, spec in symbols.items():
        if not isinstance(old, str) or not old.isidentifier():
            raise ValueError(f"{old!r} is not a valid attribute name")
        if ":" in spec:
            modname, _, qual = spec.partition(":")
        else:
            modname, _, qual = spec.rpartition(".")
        if not modname or not qual:
            raise ValueError(f"{spec!r}: expected 'package.module:Name'")
        route = versions.route(name, f"{name}:{old}", f"{modname}:{qual}", "symbol")
        fw.routes[old] = (route, modname, qual)
        telemetry.register(route)
        if old in d:
            # A binding in the module dict would bypass __getattr__ (no warning, no
            # telemetry) and may be a second copy: remove it, compare identities.
            local = d.pop(old)
            fw.shadowed[old] = local
            mod = sys.modules.get(modname)
            spec_ = getattr(mod, "__spec__", None)
            if mod is not None and not getattr(spec_, "_initializing", False):
                try:
                    fw.resolve(old, modname, qual)
                except AttributeError:
                    pass
    all_ = d.get("__all__")
    if isinstance(all_, (list, tuple)):
        extra = [n for n in symbols if n not in all_]
        if extra:
            d["__all__"] = list(all_) + extra
    d["__getattr__"] = fw.getattr
    d["__dir__"] = fw.dir
    with _lock:
        _symbol_forwarders[name] = fw
    if type(module) is ModuleType:
        module.__class__ = _ShimModule  # writes to the forwarded names reach the canonical objects


# Installed when the package is imported, so that a legacy package being
# initialized in one thread already has its submodule lookups covered in others.
_install_finder()
