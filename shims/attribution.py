"""Find the user's line behind a legacy access, and warn *there*.

Why walk frames instead of a fixed ``stacklevel``: between the user's line and
the shim there may be any number of ``importlib._bootstrap`` frames (frozen;
their module is ``_frozen_importlib`` or ``importlib._bootstrap`` depending on
the Python version), ``importlib.import_module``, ``pkgutil.resolve_name``,
the pure-Python pickle, or none at all (C pickle, ``hasattr``).  And
``warnings.warn`` itself skips importlib frames differently across 3.10-3.13.
So the shim finds the first frame that is none of those and calls
``warnings.warn_explicit`` with that frame's file, line, module name and
module ``__warningregistry__``: exactly what ``warnings.warn`` would have
done with the right stacklevel, on every version.
"""

import sys
import warnings

_PKG = __name__.rpartition(".")[0] or __name__
_PKG_PREFIX = _PKG + "."

# Frames that only carry an import or a lookup on behalf of someone else.
_MACHINERY = frozenset(
    {
        "importlib",
        "_frozen_importlib",
        "_frozen_importlib_external",
        "pkgutil",
        "pickle",
        "copyreg",
        "_compat_pickle",
        "zipimport",
    }
)
_MACHINERY_PREFIX = "importlib."

# Callers that look at a module rather than use it: no warning, no telemetry.
_INTROSPECTION = frozenset({"inspect", "pydoc", "rlcompleter", "doctest"})

# Callers that read or write a legacy name on behalf of the line that set them up
# (``with mock.patch("legacy.X")``, ``monkeypatch.setattr(legacy, "X", v)``, the
# ExitStack behind ``@mock.patch``):
# skipped like shim bodies, so the hit is attributed to that line.
_DELEGATES = frozenset({"unittest.mock", "mock.mock", "_pytest.monkeypatch", "contextlib"})

# Module bodies that are pure shims (files calling forward_module): skipped so a
# first ``import legacy`` is attributed to the importing line, not the shim file.
shim_bodies: set = set()

_SPECIAL = _MACHINERY | _INTROSPECTION | _DELEGATES | {_PKG}
_SPECIAL_PREFIXES = (_MACHINERY_PREFIX, _PKG_PREFIX)


def find_caller_from(f, extra_skip=None):
    """Return ``(frame, via_machinery, introspective)`` starting the walk at frame ``f``.

    ``frame`` is the first frame that is not this package, import/pickle
    machinery or a shim module body; None when nothing else is on the stack.
    """
    # Fast path: the access comes straight from user code (``legacy.X``).
    if f is not None:
        name = f.f_globals.get("__name__")
        if (
            type(name) is str
            and name not in _SPECIAL
            and not name.startswith(_SPECIAL_PREFIXES)
            and name not in shim_bodies
            and (extra_skip is None or name not in extra_skip)
        ):
            return f, False, False
    machinery = False
    first_outside = True
    while f is not None:
        name = f.f_globals.get("__name__")
        if type(name) is not str:
            name = ""
        if name == _PKG or name.startswith(_PKG_PREFIX):
            f = f.f_back
            continue
        if first_outside:
            first_outside = False
            if name in _INTROSPECTION:
                return f, False, True
        if name in _MACHINERY or name.startswith(_MACHINERY_PREFIX):
            machinery = True
            f = f.f_back
            continue
        if name in shim_bodies or name in _DELEGATES or (extra_skip is not None and name in extra_skip):
            f = f.f_back
            continue
        return f, machinery, False
    return None, machinery, False


def find_caller(depth: int = 0, extra_skip=None):
    """:func:`find_caller_from` starting ``depth`` frames above the caller."""
    return find_caller_from(sys._getframe(depth + 1), extra_skip)


def where(frame) -> tuple[str, int]:
    if frame is None:
        return "<unknown>", 0
    return frame.f_code.co_filename, frame.f_lineno or 0


def warn_at(frame, message: str, category: type) -> None:
    """``warnings.warn`` as if issued with the stacklevel of ``frame``."""
    if frame is None:
        warnings.warn_explicit(message, category, "<unknown>", 0)
        return
    g = frame.f_globals
    module = g.get("__name__")
    if type(module) is not str:
        module = "<string>"
    registry = g.get("__warningregistry__")
    if registry is None:
        registry = g.setdefault("__warningregistry__", {})
    # No module_globals: like the C ``warnings.warn``, let linecache read the file
    # (asking the frame's __loader__ fails for ``python -m`` modules run as __main__).
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno or 0, module, registry)


# Sites whose last warning was a no-op to repeat (filter action ignore, default,
# module or once) under the current filter list: site key -> filters fingerprint.
_quiet: dict = {}


def _fingerprint():
    # catch_warnings swaps the list object; filterwarnings/simplefilter insert a
    # new first entry; resetwarnings empties it; -W/defaultaction changes too.
    f = warnings.filters
    return (id(f), len(f), id(f[0]) if f else 0, warnings.defaultaction)


def _action(text: str, category: type, module: str, lineno: int) -> str:
    """The filter action ``warn_explicit`` applies (documented matching rules)."""
    for item in warnings.filters:
        try:
            action, msg, cat, mod, ln = item
        except (TypeError, ValueError):
            return "always"  # unknown shape: never memoize
        if _matches(msg, text) and issubclass(category, cat) and _matches(mod, module) and (ln == 0 or lineno == ln):
            return action
    return warnings.defaultaction


def _matches(pattern, value: str) -> bool:
    # As _warnings.c check_matched: None matches all, a str must be equal, else a regex.
    if pattern is None:
        return True
    if type(pattern) is str:
        return pattern == value
    return bool(pattern.match(value))


def warn_site(frame, site, message: str, category: type, fp=None) -> None:
    """:func:`warn_at`, remembering ``site`` when repeating it cannot have an effect.

    Under ``ignore``/``default``/``module``/``once`` a second identical warning
    from the same line is a no-op for Python too (the module's
    ``__warningregistry__`` or the filter drops it), so callers skip the call
    while ``_quiet[site]`` equals the current filters fingerprint (``fp``).
    ``always`` and ``error`` are never remembered.
    """
    if fp is None:
        fp = _fingerprint()
    if _quiet.get(site) == fp:
        return
    warn_at(frame, message, category)
    if frame is not None:
        module = frame.f_globals.get("__name__")
        if type(module) is not str:
            module = "<string>"
        if _action(message, category, module, frame.f_lineno or 0) not in ("always", "error"):
            _quiet[site] = fp


# --- what is the user's line doing? (slow paths only: errors, -W error) -------

_op_cache: dict = {}


def _opinfo():
    info = _op_cache.get("info")
    if info is None:
        import opcode

        names = opcode.opname
        star = None
        descs = getattr(opcode, "_intrinsic_1_descs", None)
        if descs is not None and "INTRINSIC_IMPORT_STAR" in descs:
            star = descs.index("INTRINSIC_IMPORT_STAR")
        info = _op_cache["info"] = (names, star)
    return info


def current_op(frame) -> tuple[str, int]:
    """The (opname, oparg) the frame is executing; ``("", 0)`` if unknown."""
    if frame is None:
        return "", 0
    names, _ = _opinfo()
    code = frame.f_code.co_code
    i = frame.f_lasti
    if 0 <= i < len(code) - 1:
        return names[code[i]], code[i + 1]
    return "", 0


def is_import_op(frame) -> bool:
    """True while the frame runs ``import``/``from ... import`` bytecode."""
    op, arg = current_op(frame)
    if op in ("IMPORT_NAME", "IMPORT_FROM", "IMPORT_STAR"):
        return True
    if op == "CALL_INTRINSIC_1":  # 3.12+: ``from m import *``
        return arg == _opinfo()[1]
    return False


def is_call_op(frame) -> bool:
    """True while the frame calls something (``hasattr``, ``getattr``, C pickle, ...)."""
    op, _ = current_op(frame)
    return (op.startswith("CALL") and not op.startswith("CALL_INTRINSIC")) or op == "PRECALL"
