"""The phase transforms.  Each ``phase_<x>.py`` registers itself with :func:`register`.

Adding a phase touches one file: the module is discovered by a package walk,
so there is no central list to keep in sync.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from migrate.phase import Phase

PHASES: dict[str, type["Phase"]] = {}


def register(cls: type["Phase"]) -> type["Phase"]:
    if cls.letter in PHASES and PHASES[cls.letter] is not cls:
        raise RuntimeError(f"phase {cls.letter} registered twice")
    PHASES[cls.letter] = cls
    return cls


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("phase_") or info.name.startswith("section_"):
            importlib.import_module(f"{__name__}.{info.name}")


_load_all()
