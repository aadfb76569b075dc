"""Read a setting under its canonical environment key, falling back to legacy keys.

Phase B (``compat-reader = true``) rewrites Python reads of a legacy key to::

    from shims.config import read_env
    url = read_env("NEXT_PUBLIC_WS_URL", "NEXT_PUBLIC_WEBSOCKET_URL")

so the code can move to the canonical key before every deployment does.  An
environment that still sets only a legacy key keeps working, and each read
that had to fall back says so with a :class:`LegacyConfigWarning`.  Once
every environment sets the canonical key, phase E turns these calls back into
plain reads (``os.environ.get(NEW)``, ``os.environ.get(NEW, default)``,
``os.environ[NEW]``) and drops this import; that mapping relies on the rules
below.  This module is part of the ssot-migrate runtime: phase E never
deletes it.  The fallbacks are not counted in shim telemetry (only warned).

Rules:

* a key counts as set when it is present in ``os.environ`` (an empty value
  is a value, as with ``os.environ.get``);
* the canonical key wins whenever it is set; if a legacy key is also set to a
  different value, a LegacyConfigWarning names the ignored one;
* otherwise the first legacy key that is set is returned, with a warning;
* otherwise ``default`` (``None`` unless given), or ``KeyError(canonical)``
  with ``required=True`` (what ``os.environ[key]`` did).

``LegacyConfigWarning`` is a ``FutureWarning``: visible by default, because
the people who must act on it run deployments, not test suites.  Under the
default warning filters a warning is shown once per call site.
Standard library only.
"""

import os
import warnings
from typing import Mapping, Optional

__all__ = ["LegacyConfigWarning", "read_env"]


class LegacyConfigWarning(FutureWarning):
    """A setting was read under a legacy key, or a legacy key is set but ignored."""


def read_env(
    canonical: str,
    *legacy: str,
    default: Optional[str] = None,
    required: bool = False,
    environ: Optional[Mapping[str, str]] = None,
) -> Optional[str]:
    """The value of ``canonical``, else of the first legacy key that is set, else ``default``."""
    env = os.environ if environ is None else environ
    if canonical in env:
        value = env[canonical]
        for key in legacy:
            if key in env and env[key] != value:
                warnings.warn(
                    f"{key} is set but ignored: {canonical} is set too and wins "
                    f"({canonical}={value!r}, {key}={env[key]!r}); remove {key} from this environment",
                    LegacyConfigWarning,
                    stacklevel=2,
                )
                break
        return value
    for key in legacy:
        if key in env:
            warnings.warn(
                f"{canonical} is not set; read the legacy key {key} instead. "
                f"Set {canonical} in this environment: the fallback will be removed",
                LegacyConfigWarning,
                stacklevel=2,
            )
            return env[key]
    if required:
        raise KeyError(canonical)
    return default
