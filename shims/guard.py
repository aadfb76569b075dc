"""Detect one module file executed under two module names.

``src.pkg.mod`` and ``pkg.mod`` (overlapping sys.path entries), ``__main__``
and ``pkg.mod`` (running a library file as a script), or a copy-paste shim
that re-executes the canonical source: each gives a *second* set of classes
and singletons, which is the split-registry bug a single source of truth is
meant to end.  It is reported loudly (DuplicateImplementationWarning, a
RuntimeWarning, so visible by default), naming every name.

Two entry points:

* :func:`guard_single_execution` - a canonical module calls
  ``guard_single_execution(__name__, __file__)`` in its body; the second
  execution of the file reports itself immediately.
* :func:`check_module` - ``forward_module`` runs it on the canonical module
  it forwards to.

Candidates come from an index of sys.modules names keyed by their last
component, refreshed incrementally (a set difference of the names: no file
system access); real paths are compared only for those few candidates and
for ``__main__``.  A copy under an unrelated last name is not detected.
Aliases (one module object under two names, as the forwarder itself
creates) are not duplicates.
"""

import os
import sys
from _thread import allocate_lock

from .attribution import find_caller, warn_at
from .categories import DuplicateImplementationWarning

_lock = allocate_lock()
_indexed: set = set()  # module names already indexed
_by_last: dict = {}  # last dotted component -> module names
_real_cache: dict = {}
_reported: set = set()
_MAIN_NAMES = ("__main__", "__mp_main__")


def _module_file(mod):
    try:
        d = mod.__dict__
    except Exception:
        return None
    if type(d) is not dict:
        return None
    f = d.get("__file__")
    return f if type(f) is str else None


def _real(path: str) -> str:
    r = _real_cache.get(path)
    if r is None:
        r = _real_cache[path] = os.path.normcase(os.path.realpath(path))
    return r


def _refresh() -> None:
    # Only names are indexed (no file system access); files are compared for
    # the few candidates that share the last name component.
    new = sys.modules.keys() - _indexed
    if new:
        _indexed.update(new)
        for name in new:
            _by_last.setdefault(name.rpartition(".")[2], []).append(name)


def duplicates(name: str, file: str) -> tuple:
    """Other live module names (different module objects) loaded from ``file``.

    Candidates are modules with the same last name component (``src.pkg.mod``
    vs ``pkg.mod``) and the script (``__main__``); a copy under an unrelated
    module name is not looked for.
    """
    if not file:
        return ()
    with _lock:
        _refresh()
        candidates = list(_by_last.get(name.rpartition(".")[2], ()))
    candidates.extend(_MAIN_NAMES)
    modules = sys.modules
    own = modules.get(name)
    real = None
    out = set()
    for other in candidates:
        if other == name:
            continue
        mod = modules.get(other)
        if mod is None or mod is own:
            continue
        f = _module_file(mod)
        if not f:
            continue
        if real is None:
            real = _real(file)
        if _real(f) == real:
            out.add(other)
    return tuple(sorted(out))


def _report(file: str, names: tuple[str, ...], second: str | None, skip: str | None) -> None:
    key = (_real(file), tuple(sorted(names)))
    with _lock:
        if key in _reported:
            return
        _reported.add(key)
    if second is not None:
        others = ", ".join(repr(n) for n in names if n != second)
        head = f"module file {file!r} is executed a second time, as {second!r}; it is already loaded as {others}."
    else:
        head = f"module file {file!r} is loaded as several modules: {', '.join(repr(n) for n in names)}."
    msg = (
        f"{head} Each copy has its own classes and singletons, so isinstance checks and registries "
        f"split between them. Import it under one name only (look for overlapping sys.path entries "
        f"such as both 'src' and its parent, or a script that is also imported as a module)."
    )
    frame, _, _ = find_caller(2, extra_skip=frozenset({skip}) if skip else None)
    warn_at(frame, msg, DuplicateImplementationWarning)


def guard_single_execution(name: str, file: str | None) -> tuple[str, ...]:
    """Call as ``guard_single_execution(__name__, __file__)`` in a canonical module.

    Warns (DuplicateImplementationWarning) if the same file is already live
    under another module name, and returns those names (empty tuple if none).
    """
    if not file:
        return ()
    others = duplicates(name, file)
    if others:
        _report(file, (name, *others), second=name, skip=name)
    return others


def check_module(module) -> tuple[str, ...]:
    """Run the duplicate check for an already-imported module object."""
    name = getattr(module, "__name__", None)
    file = _module_file(module)
    if not name or not file:
        return ()
    others = duplicates(name, file)
    if others:
        _report(file, (name, *others), second=None, skip=None)
    return others
