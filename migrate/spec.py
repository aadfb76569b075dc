"""The declarative spec: read once, validated up front, frozen afterwards.

A spec lives in ``[tool.ssot-migrate]`` of the target's ``pyproject.toml`` or in
a standalone TOML file (same keys at top level).  Relative paths resolve
against the file that declared them.  Every problem is collected and reported
together, naming the key path and what was expected, before any source file is
read.

The move map (``[[move]]`` entries) is the one piece of data that drives phase
C, the shims, the reference scan of phase E and the status counts.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from packaging.version import InvalidVersion, Version

from .errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = re.compile(rf"^{_IDENT}(\.{_IDENT})*$")
_TARGET = re.compile(rf"^{_IDENT}(\.{_IDENT})*(:{_IDENT})?$")

PHASES = ("A", "B", "C", "D", "E")
IDENTITY_MODES = ("check", "assume")


@dataclass(frozen=True)
class Target:
    """A module (``pkg.mod``) or a symbol inside one (``pkg.mod:Name``)."""

    module: str
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Target":
        module, _, name = text.partition(":")
        return cls(module, name or None)

    @property
    def is_symbol(self) -> bool:
        return self.name is not None

    @property
    def dotted(self) -> str:
        """The target as a dotted path (``pkg.mod.Name``)."""
        return f"{self.module}.{self.name}" if self.name else self.module

    def __str__(self) -> str:
        return f"{self.module}:{self.name}" if self.name else self.module


@dataclass(frozen=True)
class Move:
    """One entry of the move map: ``old`` now lives at ``new``."""

    old: Target
    new: Target
    since: str | None = None
    remove_in: str | None = None
    #: "check": rewrite only when the old and new paths provably name the same objects (C116
    #: otherwise); "assume": the user vouches for it (copy-then-delete: the old file is a copy
    #: that will be deleted), so identity differences are not a reason to keep a reference.
    identity: str = "check"
    #: position in the spec's [[move]] array (messages name it); -1 when built in code
    index: int = field(default=-1, compare=False)

    @property
    def is_module_move(self) -> bool:
        return not self.old.is_symbol


@dataclass(frozen=True)
class Spec:
    """The validated, immutable spec handed to every phase and worker."""

    path: Path
    root: Path
    moves: tuple[Move, ...]
    source_roots: tuple[Path, ...]
    include: tuple[str, ...] = ("**/*.py",)
    exclude: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    version: str | None = None
    distribution: str | None = None
    gate: str | None = None
    max_file_size: int | None = None  # bytes; None: the default (migrate.engine.DEFAULT_MAX_FILE_SIZE); 0: no limit
    sections: Mapping[str, Any] = field(default_factory=dict)
    raw_hash: str = ""

    @property
    def module_moves(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.is_module_move)

    @property
    def symbol_moves(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if not m.is_module_move)

    @property
    def protected_modules(self) -> frozenset[str]:
        """The spec's list plus every module the move map names (phase D skips them whole).

        The legacy modules become shims and the canonical/implementation modules
        define the objects; rewriting their wiring is how a canonical module ends
        up importing itself. Phase C protects only ``protected`` whole and, in the
        move map's modules, only the imports of each module's partner
        (``MoveTable.partners``).
        """
        mods = set(self.protected)
        for m in self.moves:
            mods.add(m.old.module)
            mods.add(m.new.module)
        return frozenset(mods)

    def section(self, name: str) -> Any:
        return self.sections.get(name)


# Section parsers let phases own the validation of their part of the spec.
# A parser receives the raw value, a key-path prefix and an ``errors`` list, and
# returns the frozen object stored in ``Spec.sections``.
SectionParser = Callable[[Any, str, list], Any]
SECTION_PARSERS: dict[str, SectionParser] = {}


def register_section(name: str) -> Callable[[SectionParser], SectionParser]:
    def deco(fn: SectionParser) -> SectionParser:
        SECTION_PARSERS[name] = fn
        return fn

    return deco


_TOP_KEYS = {
    "root",
    "source-roots",
    "include",
    "exclude",
    "protected",
    "version",
    "distribution",
    "gate",
    "max-file-size",
    "move",
}


def find_spec_file(start: Path) -> Path:
    """Return the pyproject.toml holding ``[tool.ssot-migrate]`` at or above ``start``."""
    start = start.resolve()
    for d in [start, *start.parents]:
        candidate = d / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SpecError(f"{candidate}: malformed TOML: {exc}") from None
            if "ssot-migrate" in data.get("tool", {}):
                return candidate
    raise SpecError(
        f"no [tool.ssot-migrate] table found in a pyproject.toml at or above {start}; "
        "pass --spec FILE or run `ssot-migrate init`"
    )


def load_spec(path: Path | None = None, *, start: Path | None = None) -> Spec:
    """Read and validate a spec; raise :class:`SpecError` listing every problem."""
    _ensure_sections_registered()
    if path is None:
        path = find_spec_file(start or Path.cwd())
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: malformed TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text: {exc}") from exc

    prefix = ""
    project_version = None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        if "ssot-migrate" not in tool:
            raise SpecError(f"{path}: no [tool.ssot-migrate] table")
        project_version = data.get("project", {}).get("version")
        data = tool["ssot-migrate"]
        prefix = "tool.ssot-migrate."
    return parse_spec(data, path=path.resolve(), prefix=prefix, project_version=project_version)


def parse_spec(
    data: Mapping[str, Any],
    *,
    path: Path,
    prefix: str = "",
    project_version: str | None = None,
) -> Spec:
    _ensure_sections_registered()
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise SpecError(f"{path}: the spec must be a table")

    for key in data:
        if key not in _TOP_KEYS and key not in SECTION_PARSERS:
            known = ", ".join(sorted(_TOP_KEYS | set(SECTION_PARSERS)))
            errors.append(f"{prefix}{key}: unknown key (known keys: {known})")

    base = path.parent
    root = base / _get_str(data, "root", prefix, errors, default=".")
    if not root.is_dir():
        errors.append(f"{prefix}root: directory does not exist: {root}")

    roots_raw = _get_str_list(data, "source-roots", prefix, errors, default=None)
    if roots_raw is None:
        roots = tuple(p for p in (root / "src", root) if p.is_dir())
    else:
        roots = tuple((root / r) for r in roots_raw)
        for r, raw in zip(roots, roots_raw):
            if not r.is_dir():
                errors.append(f"{prefix}source-roots: {raw!r} is not a directory under {root}")

    include = tuple(_get_str_list(data, "include", prefix, errors, default=["**/*.py"]) or ())
    exclude = tuple(_get_str_list(data, "exclude", prefix, errors, default=[]) or ())
    protected = tuple(_get_str_list(data, "protected", prefix, errors, default=[]) or ())
    for mod in protected:
        if not _DOTTED.match(mod):
            errors.append(f"{prefix}protected: {mod!r} is not a dotted module path")

    version = _get_str(data, "version", prefix, errors, default=project_version)
    if version is not None:
        try:
            Version(version)
        except InvalidVersion:
            errors.append(f"{prefix}version: {version!r} is not a PEP 440 version")

    moves = _parse_moves(data.get("move", []), prefix, errors)
    # Read before the error check below: a wrong type is reported with the rest, never dropped.
    distribution = _get_str(data, "distribution", prefix, errors, default=None)
    gate = _get_str(data, "gate", prefix, errors, default=None)
    max_file_size = None
    if "max-file-size" in data:
        try:
            max_file_size = parse_size(data["max-file-size"])
        except ValueError as exc:
            errors.append(f"{prefix}max-file-size: {exc}")

    sections: dict[str, Any] = {}
    for name, parser in SECTION_PARSERS.items():
        if name in data:
            sections[name] = parser(data[name], f"{prefix}{name}", errors)

    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    spec = Spec(
        path=path,
        root=root.resolve(),
        moves=moves,
        source_roots=tuple(r.resolve() for r in roots),
        include=include,
        exclude=exclude,
        protected=protected,
        version=version,
        distribution=distribution,
        gate=gate,
        max_file_size=max_file_size,
        sections=sections,
        raw_hash=digest[:16],
    )
    if errors:
        # One round: the moves that parsed are also checked against the repository now,
        # so a typo there is not reported only after the first round is fixed.
        if root.is_dir() and all(r.is_dir() for r in roots):
            from .modindex import build_index, validate_moves

            errors += validate_moves(spec, build_index(spec))
        raise SpecError(f"{path}: invalid spec", details=errors)
    return spec


def _parse_moves(raw: Any, prefix: str, errors: list[str]) -> tuple[Move, ...]:
    if not isinstance(raw, list):
        errors.append(f"{prefix}move: expected an array of tables ([[move]])")
        return ()
    moves: list[Move] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        where = f"{prefix}move[{i}]"
        if not isinstance(entry, Mapping):
            errors.append(f"{where}: expected a table with 'from' and 'to'")
            continue
        for key in entry:
            if key not in {"from", "to", "since", "remove-in", "identity"}:
                errors.append(f"{where}.{key}: unknown key (known: from, to, since, remove-in, identity)")
        identity = entry.get("identity", "check")
        if identity not in IDENTITY_MODES:
            errors.append(f"{where}.identity: expected one of {', '.join(map(repr, IDENTITY_MODES))}, got {identity!r}")
            identity = "check"
        old_s, new_s = entry.get("from"), entry.get("to")
        ok = True
        for key, val in (("from", old_s), ("to", new_s)):
            if not isinstance(val, str):
                errors.append(f"{where}.{key}: required, a string like 'pkg.mod' or 'pkg.mod:Name'")
                ok = False
            elif not _TARGET.match(val):
                errors.append(
                    f"{where}.{key}: malformed dotted path {val!r} "
                    "(expected 'pkg.mod' or 'pkg.mod:Name')"
                )
                ok = False
        if not ok:
            continue
        old, new = Target.parse(old_s), Target.parse(new_s)
        if old.is_symbol != new.is_symbol:
            errors.append(
                f"{where}: 'from' and 'to' must both be modules or both be symbols "
                f"({old_s!r} -> {new_s!r})"
            )
            continue
        if old == new:
            errors.append(f"{where}: 'from' and 'to' are the same ({old_s!r})")
            continue
        since = _version_field(entry, "since", where, errors)
        remove_in = _version_field(entry, "remove-in", where, errors)
        if since and remove_in and Version(since) >= Version(remove_in):
            errors.append(f"{where}: since ({since}) must be lower than remove-in ({remove_in})")
        key = str(old)
        if key in seen:
            errors.append(f"{where}.from: {key!r} is already moved by move[{seen[key]}]")
            continue
        seen[key] = i
        moves.append(Move(old, new, since, remove_in, identity, index=i))

    by_old = {str(m.old): m for m in moves}
    for m in moves:
        chain = [str(m.old)]
        cur = m
        while str(cur.new) in by_old:
            nxt = by_old[str(cur.new)]
            chain.append(str(cur.new))
            if str(nxt.new) in chain:
                errors.append(f"{prefix}move: cycle in moves: {' -> '.join(chain + [str(nxt.new)])}")
                break
            cur = nxt
        else:
            if len(chain) > 1:
                errors.append(
                    f"{prefix}move: chained moves {' -> '.join(chain + [str(cur.new)])}; "
                    f"point {chain[0]!r} at {str(cur.new)!r} directly"
                )
    return tuple(moves)


def _version_field(entry: Mapping[str, Any], key: str, where: str, errors: list[str]) -> str | None:
    val = entry.get(key)
    if val is None:
        return None
    if not isinstance(val, str):
        errors.append(f"{where}.{key}: expected a version string such as \"2.0\"")
        return None
    try:
        Version(val)
    except InvalidVersion:
        errors.append(f"{where}.{key}: {val!r} is not a PEP 440 version")
        return None
    return val


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}


def parse_size(value: Any) -> int:
    """Bytes from ``2000000``, ``"500kB"``, ``"2MB"`` or ``"1.5GB"`` (decimal units); 0 means no limit."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a size such as 2MB, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"expected a size such as 2MB, got {value!r}")
        return value
    m = _SIZE.fullmatch(value)
    if not m:
        raise ValueError(f"expected a size such as 2MB or 500kB, got {value!r}")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


def _get_str(data: Mapping[str, Any], key: str, prefix: str, errors: list[str], *, default: Any) -> Any:
    val = data.get(key, default)
    if val is not default and not isinstance(val, str):
        errors.append(f"{prefix}{key}: expected a string, got {type(val).__name__}")
        return default
    return val


def _get_str_list(data: Mapping[str, Any], key: str, prefix: str, errors: list[str], *, default: Any) -> Any:
    if key not in data:
        return default
    val = data[key]
    if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
        errors.append(f"{prefix}{key}: expected an array of strings")
        return default
    return val


def _ensure_sections_registered() -> None:
    """Import the phase packages so that their spec sections are registered."""
    import codemods  # noqa: F401  (registration happens at import)

    from . import steps  # noqa: F401  ([[step]] sections)
