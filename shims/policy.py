"""Version-driven escalation and the ``SSOT_SHIMS_MODE`` override.

Stages, decided once per shim from the current version of the project:

==============  =====================================  ===============================
stage           when                                   effect
==============  =====================================  ===============================
``pending``     current < since                        PendingLegacyImportWarning
``deprecated``  since <= current < near-from           RemovedInXYWarning (Deprecation)
``near``        near-from <= current < remove_in       RemovedInXYFutureWarning (visible)
``removed``     current >= remove_in                   LegacyImportError / LegacyAttributeError
==============  =====================================  ===============================

"near-from" is the ``near=`` argument when given, else the last minor series
before ``remove_in``: ``remove_in="2.3"`` -> near from ``2.2`` (every 2.2.x).
For ``remove_in="2.0"`` the last 1.x minor cannot be known in advance, so the
near stage is only the 2.0 pre-releases (``2.0.dev0`` .. ``2.0rc*``); pass
``near="1.9"`` to start it earlier.  With no known current version (no
``version=``, distribution not installed) the stage is ``deprecated``.

The current version is the ``version=`` argument if given, else the installed
version of ``distribution=``.  ``packaging`` is imported only when a version is
not a plain ``N.N.N`` release (plain ones compare as int tuples, the same
result PEP 440 gives) so the import-time hot path stays stdlib-only.

``SSOT_SHIMS_MODE`` (read once per process, at the first shim use):
``silent`` (no warnings, no errors, even past remove_in: the emergency switch),
``warn`` (always warn, never raise: pending is promoted to deprecated, removed
is demoted to near), ``error`` (every legacy use raises).  Unset or empty means
version-driven.  Telemetry records hits in every mode.
"""

import os
import sys

from .categories import (
    LegacyImportWarning,
    PendingLegacyImportWarning,
    release_tuple,
    removed_in_warning,
)

ENV_MODE = "SSOT_SHIMS_MODE"
MODES = ("silent", "warn", "error")

PENDING = "pending"
DEPRECATED = "deprecated"
NEAR = "near"
REMOVED = "removed"

_UNSET = object()
_mode: object = _UNSET


def mode() -> str | None:
    """The override from ``SSOT_SHIMS_MODE`` (``None`` = version-driven)."""
    global _mode
    if _mode is _UNSET:
        raw = os.environ.get(ENV_MODE, "").strip().lower()
        if raw in ("", "default", "auto"):
            _mode = None
        elif raw in MODES:
            _mode = raw
        else:
            _mode = None
            import warnings

            warnings.warn(
                f"{ENV_MODE}={raw!r} is not one of silent, warn, error; ignoring it",
                RuntimeWarning,
                stacklevel=2,
            )
    return _mode  # type: ignore[return-value]


def _reset_mode() -> None:
    """Forget the cached mode (tests that change the environment in-process)."""
    global _mode
    _mode = _UNSET


# --- current version --------------------------------------------------------

_versions: dict[str, str | None] = {}


def _norm_dist(name: str) -> str:
    out = []
    prev_sep = False
    for ch in name.lower():
        if ch in "-_.":
            if not prev_sep:
                out.append("_")
            prev_sep = True
        else:
            out.append(ch)
            prev_sep = False
    return "".join(out)


def _scan_dist_info(distribution: str) -> str | None:
    """Read the version from a ``NAME-VERSION.dist-info`` directory name on sys.path.

    importlib.metadata costs ~10 ms of imports on a cold interpreter; a wheel's
    dist-info directory already carries the normalized version in its name.
    Anything unusual (egg-info, duplicates, zips) returns None so the caller
    falls back to importlib.metadata.
    """
    want = _norm_dist(distribution)
    lw = len(want)
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        hits = []
        for n in names:
            if len(n) > lw and n[lw] == "-" and n.endswith(".dist-info") and _norm_dist(n[:lw]) == want:
                hits.append(n)
            elif n.endswith(".egg-info") and _norm_dist(n[: -len(".egg-info")].partition("-")[0]) == want:
                return None  # legacy layout: let importlib.metadata read PKG-INFO
        if len(hits) == 1:
            return hits[0][lw + 1 : -len(".dist-info")] or None
        if hits:
            return None
    return None


def installed_version(distribution: str) -> str | None:
    """Installed version of ``distribution`` (cached); ``None`` if not installed."""
    try:
        return _versions[distribution]
    except KeyError:
        pass
    found = _scan_dist_info(distribution)
    if found is None:
        try:
            from importlib.metadata import PackageNotFoundError, version
        except ImportError:  # pragma: no cover - stdlib always has it on 3.10+
            found = None
        else:
            try:
                found = version(distribution)
            except PackageNotFoundError:
                found = None
            except Exception:  # a broken METADATA must not break an import
                found = None
    _versions[distribution] = found
    return found


def current_version(distribution: str | None, declared: str | None) -> str | None:
    """The declared ``version=`` wins; otherwise the installed distribution's."""
    if declared is not None:
        return str(declared)
    if distribution:
        return installed_version(distribution)
    return None


# --- stage --------------------------------------------------------------------


def _plain(v: str) -> tuple[int, ...] | None:
    parts = v.split(".")
    if not all(p.isdigit() for p in parts):
        return None
    t = [int(p) for p in parts]
    while len(t) > 1 and t[-1] == 0:
        t.pop()
    return tuple(t)


def _release_prefix(v: str) -> tuple[int, ...]:
    """Leading ``N.N.N`` of a version string (fallback when packaging is missing)."""
    head = []
    for ch in v.lstrip("vV"):
        if ch.isdigit() or ch == ".":
            head.append(ch)
        else:
            break
    return _plain("".join(head).strip(".") or "0") or (0,)


def _default_near_from(remove_in: str) -> str | None:
    rel = release_tuple(remove_in)
    major, minor = rel[0], rel[1]
    if minor > 0:
        return f"{major}.{minor - 1}"
    if len(rel) > 2:  # remove_in 2.0.1: the 2.0.0 series is the one before it
        return f"{major}.{minor}"
    return f"{major}.{minor}.dev0"  # X.0: only the X.0 pre-releases


def near_from(remove_in: str | None, near: str | None) -> str | None:
    """First version of the near-removal stage (None: no such stage without remove_in)."""
    if remove_in is None:
        return None
    if near is not None:
        return str(near)
    return _default_near_from(remove_in)


_stages: dict = {}


def stage(current: str | None, since: str | None, remove_in: str | None, near: str | None = None) -> str:
    """Which escalation stage a shim is in for the ``current`` version (cached: shims share versions)."""
    key = (current, since, remove_in, near)
    found = _stages.get(key)
    if found is None:
        found = _stages[key] = _stage(current, since, remove_in, near)
    return found


def _stage(current, since, remove_in, near) -> str:
    if current is None:
        return DEPRECATED
    nf = near_from(remove_in, near)
    if near is None and nf is not None and nf.endswith(".dev0") and _plain(current) is not None:
        nf = None  # the X.0 pre-release window: a final release is never inside it
    texts = [current, since, remove_in, nf]
    plain = [(_plain(t) if t is not None else None) for t in texts]
    if all(p is not None for t, p in zip(texts, plain) if t is not None):
        cur, s, r, n = plain
    else:
        try:
            from packaging.version import Version  # lazy: pre-releases, local versions, ...
        except ImportError:  # vendored without packaging: compare the release parts only
            cur, s, r, n = ((_release_prefix(t) if t is not None else None) for t in texts)
        else:
            cur, s, r, n = ((Version(t) if t is not None else None) for t in texts)
    if r is not None and cur >= r:
        return REMOVED
    if s is not None and cur < s:
        return PENDING
    if n is not None and cur >= n:
        return NEAR
    return DEPRECATED


def decide(stage_: str) -> tuple[str, str]:
    """``(action, effective stage)`` after ``SSOT_SHIMS_MODE``; action is silent/warn/error."""
    m = mode()
    if m == "silent":
        return "silent", stage_
    if m == "error":
        return "error", stage_
    if m == "warn":
        if stage_ == REMOVED:
            return "warn", NEAR
        if stage_ == PENDING:
            return "warn", DEPRECATED
        return "warn", stage_
    if stage_ == REMOVED:
        return "error", stage_
    return "warn", stage_


def category(stage_: str, remove_in: str | None) -> type:
    """The warning class for an effective stage."""
    if stage_ == PENDING:
        return PendingLegacyImportWarning
    if remove_in is None:
        return LegacyImportWarning
    return removed_in_warning(remove_in, future=(stage_ in (NEAR, REMOVED)))


def message(
    legacy: str,
    target: str,
    *,
    stage_: str,
    since: str | None,
    remove_in: str | None,
    current: str | None,
    forced_error: bool = False,
) -> str:
    """The text every hit of one shim shows: old path, new path, since and remove_in."""
    since_s = since or "an unspecified version"
    removal = f"will be removed in {remove_in}" if remove_in else "has no removal version yet"
    cur = f" (current version {current})" if current else ""
    if forced_error:
        return (
            f"legacy import path {legacy!r} is forbidden by {ENV_MODE}=error; use {target!r} instead "
            f"(deprecated since {since_s}; {removal})"
        )
    if stage_ == REMOVED:
        return f"legacy import path {legacy!r} was removed in {remove_in}{cur}; use {target!r} instead (deprecated since {since_s})"
    if stage_ == PENDING:
        return (
            f"legacy import path {legacy!r} will be deprecated in {since} and {removal}{cur}; "
            f"use {target!r} instead"
        )
    if stage_ == NEAR:
        return (
            f"legacy import path {legacy!r} is deprecated since {since_s} and {removal}, "
            f"the next removal release{cur}; use {target!r} now"
        )
    return f"legacy import path {legacy!r} is deprecated since {since_s} and {removal}; use {target!r} instead"
