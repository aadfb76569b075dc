"""The project's configured line length, read from the tools that enforce it.

Phase C merges names into existing imports and writes new import lines; a
project whose own tests check its formatting (``ruff format --check``,
flake8) fails on a 92-column import in a 79-column project.  The strictest
limit any configured tool enforces wins; None when no tool configures one
(then nothing is wrapped that was not wrapped before).
"""

from __future__ import annotations

import configparser
import sys
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: (file, table path, key) in TOML files.
_TOML_KEYS = (
    ("pyproject.toml", ("tool", "ruff"), "line-length"),
    ("pyproject.toml", ("tool", "black"), "line-length"),
    ("pyproject.toml", ("tool", "isort"), "line_length"),
    ("pyproject.toml", ("tool", "flake8"), "max-line-length"),  # flake8 plugins (Flake8-pyproject)
    ("ruff.toml", (), "line-length"),
    (".ruff.toml", (), "line-length"),
)
#: (file, section, key) in INI files.
_INI_KEYS = (
    ("setup.cfg", "flake8", "max-line-length"),
    ("setup.cfg", "isort", "line_length"),
    ("setup.cfg", "pycodestyle", "max-line-length"),
    ("tox.ini", "flake8", "max-line-length"),
    ("tox.ini", "isort", "line_length"),
    ("tox.ini", "pycodestyle", "max-line-length"),
    (".flake8", "flake8", "max-line-length"),
    (".isort.cfg", "settings", "line_length"),
)


def project_line_length(root: str) -> int | None:
    """The smallest line length configured under ``root``; None when none is."""
    names = sorted({name for name, _, _ in _TOML_KEYS} | {name for name, _, _ in _INI_KEYS})
    return _line_length(root, tuple(_stat(Path(root) / name) for name in names))


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=32)
def _line_length(root: str, signature: tuple) -> int | None:
    """Cached per content signature of the config files: an edited config is read again."""
    found: list[int] = []
    base = Path(root)
    for name, table, key in _TOML_KEYS:
        data = _toml(base / name)
        for part in table:
            data = data.get(part) if isinstance(data, dict) else None
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            found.append(value)
    for name, section, key in _INI_KEYS:
        value = _ini(base / name, section, key)
        if value is not None:
            found.append(value)
    return min(found) if found else None


def _toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _ini(path: Path, section: str, key: str) -> int | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
        raw = parser.get(section, key, fallback=None)
    except (configparser.Error, UnicodeDecodeError):
        return None
    try:
        value = int(str(raw).strip()) if raw is not None else None
    except ValueError:
        return None
    return value if value and value > 0 else None


def too_long(text: str, indent: int, limit: int | None) -> bool:
    """Whether any line of ``text``, indented by ``indent`` columns, exceeds ``limit``."""
    return limit is not None and any(indent + len(line) > limit for line in text.splitlines())


def wrapped_import(node, indent_unit: str):  # (cst.ImportFrom, str) -> cst.ImportFrom
    """``from m import a, b`` as a parenthesised import with one name per line (the black/ruff layout)."""
    import libcst as cst

    def ws(last: str) -> cst.ParenthesizedWhitespace:
        return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(last))

    names = list(node.names)
    names = [a.with_changes(comma=cst.Comma(whitespace_after=ws(indent_unit if i < len(names) - 1 else ""))) for i, a in enumerate(names)]
    return node.with_changes(names=names, lpar=cst.LeftParen(whitespace_after=ws(indent_unit)), rpar=cst.RightParen())
