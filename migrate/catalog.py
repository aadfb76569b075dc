"""Which phases exist (letter, title, needs) without importing them.

``status`` answers from the ledger in well under a second, but importing the
phase modules loads LibCST, which alone costs more than that.  Their
``letter``/``title``/``needs`` are plain literals at the top of each
registered class, so they are read from the source the package walk in
``codemods/__init__.py`` would import; anything that is not such a literal
falls back to the import (slower, never wrong).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PhaseInfo:
    letter: str
    title: str
    needs: tuple[str, ...]


_CLASS = re.compile(r"^@register\s*\nclass \w+\b[^\n]*:[ \t]*\n", re.M)
_FIELD = re.compile(r"^    (letter|title|needs)\s*(?::[^=]*)?=\s*(.+?)\s*(?:#[^\"']*)?$")


class _NotLiteral(Exception):
    pass


def phase_catalog() -> dict[str, PhaseInfo]:
    """letter -> :class:`PhaseInfo` of every registered phase."""
    loaded = sys.modules.get("codemods")
    if loaded is None:
        try:
            return _from_sources()
        except (_NotLiteral, OSError, ValueError, SyntaxError):
            pass
    from codemods import PHASES

    return {k: PhaseInfo(k, cls.title, tuple(cls.needs)) for k, cls in sorted(PHASES.items())}


def _from_sources() -> dict[str, PhaseInfo]:
    found = importlib.util.find_spec("codemods")
    if found is None or not found.submodule_search_locations:
        raise _NotLiteral("codemods is not a package on the path")
    out: dict[str, PhaseInfo] = {}
    for location in found.submodule_search_locations:
        for path in sorted(Path(location).glob("*.py")):
            if not path.stem.startswith(("phase_", "section_")):
                continue
            text = path.read_text(encoding="utf-8")
            for m in _CLASS.finditer(text):
                info = _class_fields(text[m.end():])
                if info.letter in out:
                    raise _NotLiteral(f"phase {info.letter} twice")
                out[info.letter] = info
    if not out:
        raise _NotLiteral("no phase found")
    return dict(sorted(out.items()))


def _class_fields(body: str) -> PhaseInfo:
    fields: dict[str, object] = {}
    for line in body.splitlines():
        if line.strip() and not line[0].isspace():
            break  # the class ended
        m = _FIELD.match(line)
        if m and m[1] not in fields:
            fields[m[1]] = ast.literal_eval(m[2])
        if len(fields) == 3:
            break
    letter, title, needs = fields.get("letter"), fields.get("title"), fields.get("needs", ())
    if not (isinstance(letter, str) and isinstance(title, str) and isinstance(needs, tuple)):
        raise _NotLiteral(f"phase class fields are not literals: {fields}")
    return PhaseInfo(letter, title, tuple(needs))
