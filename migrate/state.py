"""``.ssot-migrate/``: the ledger, per-phase journals, content blobs and the lock.

Layout (all inside the target repository)::

    .ssot-migrate/
      ledger.json              which waves of which phases are applied (small, like Alembic's version table)
      lock                     pid/host of the run holding the lock
      blobs/<sha256>           every byte needed to restore: before and after contents
      phases/<K>/journal.json  the files wave K touched: path, before/after hash, modes
      phases/<K>/rollback.patch, rollback.sh   roll back that wave without the tool

A *wave* is one apply of a phase: users migrate in waves (apply C, extend the
spec, apply C again), and each wave is journaled and rolled back on its own.
Its key ``K`` is the phase letter for the first wave and ``C.2``, ``C.3``, ...
for the next ones, so a ``.ssot-migrate/`` written before waves existed (format
1: one entry per phase, ``phases/C/``) reads as first waves, unchanged.

Order of writes for an apply (files have no transactions): blobs, then the
journal, then the ledger entry marked ``applying``, then the atomic file
replacements, then the ledger entry marked ``applied``.  A kill anywhere leaves
either the old or the new bytes in every file and a journal that says which
is which (by hash), so the next command can finish or undo the phase.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from . import __version__
from .errors import LedgerError, LockHeldError
from .fsio import atomic_create, atomic_write, find_temp_files, is_within, remove_temp_files, sha256_bytes

STATE_DIR = ".ssot-migrate"
LEDGER_FORMAT = 2  # 2: entries keyed by wave; format 1 (one entry per phase) reads as wave 1 of each

def wave_key(phase: str, wave: int) -> str:
    """The name of one wave in the ledger and under ``phases/``: ``C`` (first wave), ``C.2``, ..."""
    return phase if wave == 1 else f"{phase}.{wave}"


APPLYING = "applying"
APPLIED = "applied"
ROLLING_BACK = "rolling-back"


@dataclass
class FileRecord:
    path: str
    before: str | None  # sha256, None: the phase created the file
    after: str | None  # sha256, None: the phase deleted the file
    mode_before: int | None = None
    mode_after: int | None = None
    #: Folders that did not exist before the phase created this file (deepest first):
    #: rollback removes them again when empty, and never a folder the user had.
    created_dirs: list[str] = field(default_factory=list)


@dataclass
class Journal:
    phase: str
    spec_hash: str
    tool_version: str
    started_at: float
    options: dict[str, Any] = field(default_factory=dict)
    files: list[FileRecord] = field(default_factory=list)
    wave: int = 1

    @property
    def key(self) -> str:
        return wave_key(self.phase, self.wave)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": LEDGER_FORMAT,
            "phase": self.phase,
            "wave": self.wave,
            "spec_hash": self.spec_hash,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "options": self.options,
            "files": [asdict(f) for f in self.files],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Journal":
        return cls(
            phase=data["phase"],
            spec_hash=data.get("spec_hash", ""),
            tool_version=data.get("tool_version", ""),
            started_at=data.get("started_at", 0.0),
            options=data.get("options", {}),
            files=[FileRecord(**f) for f in data.get("files", [])],
            wave=data.get("wave", 1),
        )


@dataclass
class LedgerEntry:
    phase: str
    status: str
    spec_hash: str
    tool_version: str
    applied_at: float
    files: int
    order: int  # monotonic: later applies (waves) have higher order
    wave: int = 1  # 1 for the first apply of the phase, 2 for the next, ...

    @property
    def key(self) -> str:
        return wave_key(self.phase, self.wave)


class State:
    """Access to ``.ssot-migrate/`` for one repository root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.dir = self.root / STATE_DIR

    # -- paths -----------------------------------------------------------------
    def phase_dir(self, key: str) -> Path:
        """The directory of one wave (``key``: ``C``, ``C.2``, ...; see :func:`wave_key`)."""
        return self.dir / "phases" / key

    def journal_path(self, key: str) -> Path:
        return self.phase_dir(key) / "journal.json"

    def safe_path(self, rel: str) -> Path:
        """Resolve a repo-relative path from the journal; refuse anything outside the repo."""
        p = PurePosixPath(rel)
        if p.is_absolute() or ".." in p.parts or not rel or rel.startswith("~"):
            raise LedgerError(f"journal names a path outside the repository: {rel!r}; refusing to touch it")
        full = self.root / Path(*p.parts)
        if not is_within(self.root, full.parent) and full.parent.exists():
            raise LedgerError(f"journal path {rel!r} resolves outside the repository (through a symlink); refusing")
        if p.parts and p.parts[0] == STATE_DIR:
            raise LedgerError(f"journal names a path inside {STATE_DIR}/: {rel!r}; refusing")
        return full

    # -- blobs ---------------------------------------------------------------------
    def put_blob(self, data: bytes) -> str:
        digest = sha256_bytes(data)
        path = self.dir / "blobs" / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data, mode=0o644)
        return digest

    def get_blob(self, digest: str) -> bytes:
        if not all(c in "0123456789abcdef" for c in digest) or len(digest) != 64:
            raise LedgerError(f"journal names a malformed blob id {digest!r}")
        path = self.dir / "blobs" / digest
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise LedgerError(f"blob {digest[:12]} is missing from {STATE_DIR}/blobs; cannot restore") from None
        if sha256_bytes(data) != digest:
            raise LedgerError(f"blob {digest[:12]} is corrupt (hash mismatch); cannot restore from it")
        return data

    # -- ledger ----------------------------------------------------------------------
    def _ledger_path(self) -> Path:
        return self.dir / "ledger.json"

    def read_waves(self) -> list[LedgerEntry]:
        """Every recorded wave, oldest first: the ledger itself."""
        path = self._ledger_path()
        if not path.exists():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data.get("format"), int) and data["format"] > LEDGER_FORMAT:
                raise LedgerError(f"{path} was written by a newer ssot-migrate (ledger format {data['format']}); upgrade to read it")
            entries = [(k, LedgerEntry(**v)) for k, v in data.get("phases", {}).items()]
        except (json.JSONDecodeError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise LedgerError(f"{path} is not a valid ledger ({exc}); restore it from version control") from None
        for k, e in entries:
            # The key names a directory under phases/: it must be exactly what wave_key makes.
            if not (isinstance(e.phase, str) and e.phase.isalnum() and isinstance(e.wave, int) and e.wave >= 1 and k == e.key):
                raise LedgerError(f"{path} is not a valid ledger (entry {k!r} does not match its phase/wave); "
                                  "restore it from version control")
        return sorted((e for _, e in entries), key=lambda e: e.order)

    def read_ledger(self) -> dict[str, LedgerEntry]:
        """Which phases are applied: phase -> its latest wave.

        Waves of a phase form a stack (only the newest is applied, applying or
        rolled back at a time), so the latest wave carries the phase's status.
        """
        return {e.phase: e for e in self.read_waves()}

    def write_ledger(self, entries: list[LedgerEntry], history_event: dict[str, Any] | None = None) -> None:
        path = self._ledger_path()
        history: list[Any] = []
        if path.exists():
            try:
                history = json.loads(path.read_text(encoding="utf-8")).get("history", [])
            except (json.JSONDecodeError, UnicodeDecodeError):
                history = []
        if history_event:
            history.append(history_event)
        data = {
            "format": LEDGER_FORMAT,
            "phases": {e.key: asdict(e) for e in sorted(entries, key=lambda e: e.key)},
            "history": history[-200:],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode(), mode=0o644)

    def _event(self, event: str, entry: LedgerEntry) -> dict[str, Any]:
        return {"event": event, "phase": entry.phase, "wave": entry.wave, "at": time.time(), "tool_version": __version__}

    def set_entry(self, entry: LedgerEntry, event: str) -> None:
        """Record (or update) the wave ``entry``."""
        entries = [e for e in self.read_waves() if e.key != entry.key]
        self.write_ledger([*entries, entry], self._event(event, entry))

    def drop_entry(self, key: str, event: str) -> None:
        """Forget the wave ``key`` (it was rolled back)."""
        entries = self.read_waves()
        gone = [e for e in entries if e.key == key]
        if gone:
            self.write_ledger([e for e in entries if e.key != key], self._event(event, gone[0]))

    def next_order(self) -> int:
        return max((e.order for e in self.read_waves()), default=0) + 1

    def next_wave(self, phase: str) -> int:
        """The wave number a new apply of ``phase`` gets: one past its latest recorded wave."""
        return max((e.wave for e in self.read_waves() if e.phase == phase), default=0) + 1

    # -- journal ---------------------------------------------------------------------
    def write_journal(self, journal: Journal) -> None:
        path = self.journal_path(journal.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(journal.to_json(), indent=2) + "\n").encode(), mode=0o644)

    def read_journal(self, key: str) -> Journal:
        """The journal of wave ``key`` (``C`` is phase C's first wave: also the layout before waves)."""
        path = self.journal_path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            journal = Journal.from_json(data)
        except FileNotFoundError:
            raise LedgerError(f"the ledger lists {key} but its journal {path} is missing") from None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise LedgerError(f"{path} is not a valid journal ({exc})") from None
        if journal.key != key:
            raise LedgerError(f"{path} is the journal of {journal.key}, not of {key}")
        for rec in journal.files:
            self.safe_path(rec.path)
        return journal

    def phase_journals(self, phase: str) -> list[Journal]:
        """The journals of every recorded wave of ``phase``, oldest first (what the phase did, all waves)."""
        return [self.read_journal(e.key) for e in self.read_waves() if e.phase == phase]

    # -- lock --------------------------------------------------------------------------
    def lock(self, command: str) -> "Lock":
        return Lock(self.dir / "lock", command)

    # -- temporary files a killed run left -------------------------------------------
    def temp_files(self) -> list[Path]:
        """Leftover temp files of interrupted writes: beside every file a journal names, and in our own dirs.

        Every journal under ``phases/`` counts (also one whose ledger entry was
        never written: the run was killed right after journaling).  ``cache/``
        is left alone: ``check`` writes there without taking the lock.
        """
        paths: list[Path] = []
        dirs = [self.dir, self.dir / "blobs"]
        phases = self.dir / "phases"
        for pdir in sorted(phases.iterdir()) if phases.is_dir() else ():
            dirs.append(pdir)
            try:
                records = json.loads((pdir / "journal.json").read_text(encoding="utf-8")).get("files", [])
            except (OSError, ValueError, AttributeError):
                continue
            for rec in records:
                try:
                    paths.append(self.safe_path(rec["path"]))
                except (LedgerError, KeyError, TypeError):
                    continue  # a bad journal is reported by the commands that read it
        return find_temp_files(paths, dirs)

    def remove_temp_files(self) -> list[str]:
        """Remove :meth:`temp_files`; only call with the lock held, or with no live run.  Returns repo-relative paths."""
        return [p.relative_to(self.root).as_posix() for p in remove_temp_files(self.temp_files())]


class Lock:
    """An exclusive, pid-stamped lock file; a stale one (dead pid) is reported, not stolen."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self.held = False

    def read(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {"pid": None, "host": "?", "command": "?", "corrupt": True}

    def __enter__(self) -> "Lock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(8)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "started": time.time(), "token": token}
        try:
            # Complete from its first instant: a reader never sees an empty lock
            # (which it would take as stale, and `unlock` would remove).
            atomic_create(self.path, json.dumps(info).encode(), mode=0o644)
        except FileExistsError:
            held = self.read() or {}
            if lock_is_stale(held):
                raise LockHeldError(
                    f"stale lock from process {held.get('pid')} ({held.get('command')}), which is no longer running; "
                    "check `ssot-migrate status`, then clear it with `ssot-migrate unlock`"
                ) from None
            raise LockHeldError(
                f"another ssot-migrate run holds the lock: pid {held.get('pid')} on {held.get('host')} "
                f"({held.get('command')}); wait for it to finish"
            ) from None
        except BaseException:
            # Interrupted after the link: the lock may be ours; never leave it behind.
            if (self.read() or {}).get("token") == token:
                self.path.unlink()
            raise
        self.held = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.held:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            self.held = False


def lock_is_stale(info: dict[str, Any]) -> bool:
    if info.get("corrupt"):
        return True
    if info.get("host") != socket.gethostname():
        return False  # cannot tell for another host: not stale
    pid = info.get("pid")
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def iter_records(journal: Journal) -> Iterator[FileRecord]:
    yield from journal.files
