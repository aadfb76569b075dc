"""Warning categories and errors that legacy import paths raise.

Why these shapes:

* ``LegacyImportWarning(DeprecationWarning)`` is the one umbrella a project
  filters on (``-W error::shims.LegacyImportWarning``).
* ``RemovedIn20Warning`` and friends are generated per removal version, on
  demand, and cached, so ``-W error::shims.RemovedIn20Warning`` works: ``-W``
  resolves a category by importing ``shims`` and reading the attribute, which
  the package ``__getattr__`` answers through :func:`removed_in_warning`.
* The near-removal stage must be visible by default, so it cannot be a
  ``DeprecationWarning`` (the default filters ignore those outside
  ``__main__``).  ``RemovedIn20FutureWarning`` is a real ``FutureWarning``
  subclass and a *virtual* subclass of ``RemovedIn20Warning`` and
  ``LegacyImportWarning`` (metaclass ``__subclasscheck__``), so warning
  filters, ``issubclass``/``isinstance`` and ``pytest.warns`` written for the
  deprecation category still match it.  ``except RemovedIn20Warning:`` uses the
  real MRO and does not.
* Removal is an error, not a warning: :class:`LegacyImportError` (an
  ``ImportError``) for imports and :class:`LegacyAttributeError` (an
  ``AttributeError``, so ``hasattr``/``getattr(obj, name, default)`` keep
  their meaning) for attribute access.  One class cannot be both: CPython
  refuses ``class E(ImportError, AttributeError)`` (instance lay-out conflict).
"""

from _thread import allocate_lock

_PKG = __name__.rpartition(".")[0] or __name__


class _LegacyCategoryMeta(type):
    """Metaclass that lets a near-removal class match its deprecation twin."""

    def __subclasscheck__(cls, sub):
        if type.__subclasscheck__(cls, sub):
            return True
        twin = getattr(sub, "_legacy_twin", None) if isinstance(sub, type) else None
        return twin is not None and type.__subclasscheck__(cls, twin)

    def __instancecheck__(cls, obj):
        return cls.__subclasscheck__(type(obj))


class LegacyImportWarning(DeprecationWarning, metaclass=_LegacyCategoryMeta):
    """A legacy import path was used; the message names the canonical path."""


class PendingLegacyImportWarning(LegacyImportWarning, PendingDeprecationWarning):
    """A legacy path used before its ``since`` version (not deprecated yet)."""


class LegacyRemovalWarning(FutureWarning, metaclass=_LegacyCategoryMeta):
    """A legacy path whose removal is near; visible by default (FutureWarning)."""

    _legacy_twin = LegacyImportWarning


class DuplicateImplementationWarning(RuntimeWarning):
    """One module file runs under two module names, or a shim shadows a second copy.

    RuntimeWarning so it is visible by default: two copies of a class or a
    registry is the bug the single source of truth exists to prevent.
    """


class LegacyImportError(ImportError):
    """A removed legacy path was imported (or ``SSOT_SHIMS_MODE=error``)."""

    def __init__(self, message: str, *, legacy: str = "", target: str = "", name: str | None = None):
        super().__init__(message, name=name)
        self.legacy = legacy
        self.target = target


class LegacyAttributeError(AttributeError):
    """A removed legacy name was read as an attribute (``hasattr`` is False)."""

    def __init__(self, message: str, *, legacy: str = "", target: str = "", name: str | None = None, obj=None):
        super().__init__(message, name=name, obj=obj)
        self.legacy = legacy
        self.target = target


# --- generated per-version categories -------------------------------------

_lock = allocate_lock()
_by_key: dict[tuple[tuple[int, ...], bool], type] = {}


def release_tuple(version: str) -> tuple[int, ...]:
    """``"2.0"`` -> ``(2, 0)``; pre/post/local parts are dropped, micro kept if non-zero."""
    parts = version.split(".")
    if all(p.isdigit() for p in parts):
        nums = [int(p) for p in parts]
    else:
        try:
            from packaging.version import Version  # lazy: only for non-plain versions
        except ImportError:  # vendored without packaging: leading N.N.N only
            head = ""
            for ch in version.lstrip("vV"):
                if not (ch.isdigit() or ch == "."):
                    break
                head += ch
            nums = [int(p) for p in head.strip(".").split(".") if p] or [0]
        else:
            nums = list(Version(version).release)
    while len(nums) > 2 and nums[-1] == 0:
        nums.pop()
    while len(nums) < 2:
        nums.append(0)
    return tuple(nums)


def category_name(release: tuple[int, ...], future: bool = False) -> str:
    """``(2, 0)`` -> ``RemovedIn20Warning``; ``(2, 10)`` -> ``RemovedIn2_10Warning``."""
    if len(release) == 2 and all(n < 10 for n in release):
        digits = "%d%d" % release
    else:
        digits = "_".join(str(n) for n in release)
    return "RemovedIn%s%sWarning" % (digits, "Future" if future else "")


def parse_category_name(name: str) -> tuple[tuple[int, ...], bool] | None:
    """Inverse of :func:`category_name`; ``None`` if ``name`` is not one."""
    if not (name.startswith("RemovedIn") and name.endswith("Warning")):
        return None
    core = name[len("RemovedIn") : -len("Warning")]
    future = core.endswith("Future")
    if future:
        core = core[: -len("Future")]
    if "_" in core:
        pieces = core.split("_")
    elif len(core) == 2:
        pieces = [core[0], core[1]]
    elif len(core) == 1:
        pieces = [core, "0"]
    else:
        return None
    if not all(p.isdigit() for p in pieces):
        return None
    nums = [int(p) for p in pieces]
    while len(nums) > 2 and nums[-1] == 0:
        nums.pop()
    return tuple(nums), future


def removed_in_warning(version: str | tuple[int, ...], *, future: bool = False) -> type:
    """The cached category for paths removed in ``version``.

    ``future=False`` gives ``RemovedInXYWarning`` (a LegacyImportWarning, i.e. a
    DeprecationWarning); ``future=True`` gives ``RemovedInXYFutureWarning`` (a
    LegacyRemovalWarning/FutureWarning whose twin is the former).
    """
    cls = _by_key.get((version, future))  # also cached under the version string as given
    if cls is not None:
        return cls
    release = version if isinstance(version, tuple) else release_tuple(version)
    key = (release, future)
    cls = _by_key.get(key)
    if cls is not None:
        _by_key[(version, future)] = cls
        return cls
    twin = removed_in_warning(release) if future else None  # before taking the lock
    with _lock:
        cls = _by_key.get(key)
        if cls is not None:
            return cls
        name = category_name(release, future)
        shown = ".".join(str(n) for n in release)
        if future:
            ns = {
                "__module__": _PKG,
                "__qualname__": name,
                "__doc__": f"A legacy path removed in {shown}, used in the release just before it.",
                "_legacy_twin": twin,
                "removed_in": shown,
            }
            cls = _LegacyCategoryMeta(name, (LegacyRemovalWarning,), ns)
        else:
            ns = {
                "__module__": _PKG,
                "__qualname__": name,
                "__doc__": f"A deprecated legacy path that will be removed in {shown}.",
                "removed_in": shown,
            }
            cls = _LegacyCategoryMeta(name, (LegacyImportWarning,), ns)
        _by_key[key] = cls
        _by_key[(version, future)] = cls
        return cls


def category_from_name(name: str) -> type | None:
    """Resolve ``RemovedIn20Warning``-style attribute names (for ``-W`` and pickle)."""
    parsed = parse_category_name(name)
    if parsed is None:
        return None
    release, future = parsed
    return removed_in_warning(release, future=future)
