"""The ``[[config]]`` spec entries of phase B and the file kinds they cover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from migrate.discovery import glob_to_regex

KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TARGET_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")

#: Order matters: a file matching several kinds' globs gets the first kind.
KINDS = ("python", "js", "env", "dockerfile", "yaml", "json", "markdown")

#: Default globs per kind (a glob without "/" matches the file name at any depth).
#: ``python`` defaults to the spec's ``include``.
DEFAULT_GLOBS: dict[str, tuple[str, ...]] = {
    "js": ("*.ts", "*.tsx", "*.mts", "*.cts", "*.js", "*.jsx", "*.mjs", "*.cjs"),
    "env": (".env", ".env.*", "*.env"),
    "dockerfile": ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile"),
    "yaml": ("*.yml", "*.yaml"),
    "json": ("*.json", "*.jsonc"),
    "markdown": ("*.md", "*.markdown"),
}

DEFAULT_READER = "shims.config:read_env"
PREFER_CHOICES = ("canonical", "legacy")


@dataclass(frozen=True)
class ConfigEntry:
    """One setting: its canonical key, its legacy spellings, where to look."""

    canonical: str
    legacy: tuple[str, ...]
    compat_reader: str | None = None  # "module:function" or None
    #: (kind, globs); ``python`` is None until resolved against the spec's include.
    files: tuple[tuple[str, tuple[str, ...] | None], ...] = ()
    index: int = 0
    #: When phase E may drop the compat reader's fallback (else ``cleanup.remove-in``).
    remove_in: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.canonical, *self.legacy)

    def globs(self, kind: str) -> tuple[str, ...]:
        for k, g in self.files:
            if k == kind:
                return g or ()
        return ()

    def kind_of(self, path: str, include_docs: bool) -> str | None:
        for kind, globs in self.files:
            if kind == "markdown" and not include_docs:
                continue
            if globs and any(file_glob(g).match(path) for g in globs):
                return kind
        return None

    @property
    def reader_module(self) -> str:
        return (self.compat_reader or DEFAULT_READER).partition(":")[0]

    @property
    def reader_name(self) -> str:
        return (self.compat_reader or DEFAULT_READER).partition(":")[2]

    def resolved(self, include: tuple[str, ...]) -> "ConfigEntry":
        """This entry with the python globs defaulted to the spec's include."""
        files = tuple((k, include if (k == "python" and g is None) else g) for k, g in self.files)
        return ConfigEntry(self.canonical, self.legacy, self.compat_reader, files, self.index, self.remove_in)


@lru_cache(maxsize=256)
def file_glob(pattern: str) -> re.Pattern[str]:
    """Like discovery's globs, but a pattern never matches the files *under* a directory.

    (``.env`` must match the file ``.env``, not a virtualenv directory called ``.env``.)
    """
    rx = glob_to_regex(pattern).pattern
    suffix = "(?:/.*)?$"
    if rx.endswith(suffix):
        rx = rx[: -len(suffix)] + "$"
    return re.compile(rx)


def token_regex(keys: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """Exact key tokens: ``KEY`` but not ``KEY_FALLBACK`` nor ``MY_KEY``."""
    alts = "|".join(re.escape(k) for k in sorted(set(keys), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])(?:{alts})(?![A-Za-z0-9_])")


def parse_section(raw: Any, where: str, errors: list[str]) -> tuple[ConfigEntry, ...]:
    """Validate ``[[config]]``; append readable problems to ``errors``."""
    if not isinstance(raw, list):
        errors.append(f"{where}: expected an array of tables ([[{where.rpartition('.')[2]}]])")
        return ()
    entries: list[ConfigEntry] = []
    owner: dict[str, int] = {}
    for i, entry in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(entry, Mapping):
            errors.append(f"{at}: expected a table with 'canonical' and 'legacy'")
            continue
        for key in entry:
            if key not in {"canonical", "legacy", "compat-reader", "remove-in", "files"}:
                errors.append(f"{at}.{key}: unknown key (known: canonical, legacy, compat-reader, remove-in, files)")
        ok = True
        canonical = entry.get("canonical")
        if not isinstance(canonical, str) or not KEY_RE.match(canonical):
            errors.append(f"{at}.canonical: required, a key name such as \"NEXT_PUBLIC_WS_URL\"")
            ok = False
        legacy = entry.get("legacy")
        if not isinstance(legacy, list) or not legacy or not all(isinstance(x, str) for x in legacy):
            errors.append(f"{at}.legacy: required, a non-empty array of key names")
            legacy, ok = [], False
        for name in legacy:
            if not KEY_RE.match(name):
                errors.append(f"{at}.legacy: {name!r} is not a key name (letters, digits, _)")
                ok = False
        if len(set(legacy)) != len(legacy):
            errors.append(f"{at}.legacy: a key is listed twice")
            ok = False
        if ok and canonical in legacy:
            errors.append(f"{at}.legacy: {canonical!r} is the canonical key itself")
            ok = False
        compat = entry.get("compat-reader", False)
        reader: str | None = None
        if isinstance(compat, bool):
            reader = DEFAULT_READER if compat else None
        elif isinstance(compat, str) and TARGET_RE.match(compat):
            reader = compat
        else:
            errors.append(f"{at}.compat-reader: expected true/false or \"pkg.module:function\"")
        remove_in = _parse_remove_in(entry.get("remove-in"), f"{at}.remove-in", errors)
        files = _parse_files(entry.get("files", {}), f"{at}.files", errors)
        if not ok:
            continue
        for name in (canonical, *legacy):
            if name in owner:
                errors.append(f"{at}: key {name!r} is already named by {where}[{owner[name]}]")
                ok = False
            else:
                owner[name] = i
        if ok:
            entries.append(ConfigEntry(canonical, tuple(legacy), reader, files, i, remove_in))
    return tuple(entries)


def _parse_remove_in(raw: Any, at: str, errors: list[str]) -> str | None:
    if raw is None:
        return None
    from packaging.version import InvalidVersion, Version

    if not isinstance(raw, str):
        errors.append(f"{at}: expected a version string such as \"2.0\"")
        return None
    try:
        Version(raw)
    except InvalidVersion:
        errors.append(f"{at}: {raw!r} is not a PEP 440 version")
        return None
    return raw


def _parse_files(raw: Any, at: str, errors: list[str]) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    given: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw, Mapping):
        errors.append(f"{at}: expected a table of kind = [globs] (kinds: {', '.join(KINDS)})")
        raw = {}
    for kind, globs in raw.items():
        if kind not in KINDS:
            errors.append(f"{at}.{kind}: unknown file kind (kinds: {', '.join(KINDS)})")
            continue
        if not isinstance(globs, list) or not all(isinstance(g, str) and g for g in globs):
            errors.append(f"{at}.{kind}: expected an array of glob strings ([] turns the kind off)")
            continue
        given[kind] = tuple(globs)
    out: list[tuple[str, tuple[str, ...] | None]] = []
    for kind in KINDS:
        if kind in given:
            out.append((kind, given[kind]))
        else:
            out.append((kind, None if kind == "python" else DEFAULT_GLOBS[kind]))
    return tuple(out)
