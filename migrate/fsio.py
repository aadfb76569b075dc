"""The only way ssot-migrate writes or deletes user files.

Writes are atomic: the new content goes to a temporary file in the same
directory (``.{name}.ssot-tmp-<random>``), is flushed and ``fsync``-ed, gets
the permission bits of the file it replaces, and is then renamed over the
target with :func:`os.replace`; finally the directory is ``fsync``-ed so the
rename itself is durable.  A reader therefore sees either the old bytes or
the new bytes, never a mix, and after any failure the original file is
untouched and the temporary file is gone.

Only ``kill -9`` (or a power cut) can leave a temporary file behind.  Its name
is predictable from the file it was for, so recovery finds it from the
journal (:func:`temp_files_for`) and removes it (:func:`remove_temp_files`).

We refuse (:class:`~migrate.errors.UnsafePathError`) to write through a
symlink, to replace something that is not a regular file, and to write a
read-only file: the tool never changes permissions behind the user's back.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import signal
import stat
from pathlib import Path
from typing import Iterable

from .errors import UnsafePathError

__all__ = [
    "TMP_MARKER",
    "sha256_bytes",
    "read_bytes",
    "atomic_write",
    "atomic_delete",
    "fsync_dir",
    "is_within",
    "is_read_only",
    "atomic_create",
    "find_temp_files",
    "remove_temp_files",
    "fault_point",
]

TMP_MARKER = ".ssot-tmp-"
DEFAULT_NEW_FILE_MODE = 0o644

# errno values meaning "this platform / filesystem cannot fsync a directory".
_FSYNC_DIR_UNSUPPORTED = frozenset(
    code
    for code in (
        getattr(errno, "EINVAL", None),
        getattr(errno, "ENOTSUP", None),
        getattr(errno, "EOPNOTSUPP", None),
        getattr(errno, "EBADF", None),
        getattr(errno, "EISDIR", None),
        getattr(errno, "EACCES", None),
        getattr(errno, "EPERM", None),
    )
    if code is not None
)


# errno values meaning "this file system has no hard links".
_LINK_UNSUPPORTED = frozenset(
    code for code in (getattr(errno, n, None) for n in ("EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK")) if code is not None
)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes:
    """The exact bytes of ``path`` (no decoding, no newline translation)."""
    with open(path, "rb") as fh:
        return fh.read()


def fsync_dir(path: Path) -> None:
    """``fsync`` directory ``path`` so renames/unlinks in it are durable.

    Silently does nothing where directories cannot be opened or synced
    (Windows, some network filesystems); other I/O errors propagate.
    """
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in _FSYNC_DIR_UNSUPPORTED:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _FSYNC_DIR_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def _existing(path: Path) -> os.stat_result | None:
    """``lstat`` of ``path``, or ``None`` if it does not exist."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _refuse_unsafe(path: Path, st: os.stat_result, action: str) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePathError(
            f"{path} is a symlink; ssot-migrate will not {action} through a symlink"
        )
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError(f"{path} is not a regular file; ssot-migrate will not {action} it")


def _is_read_only(path: Path, st: os.stat_result) -> bool:
    # No write bit at all counts as read-only even for root, who would pass
    # os.access(); otherwise ask the OS whether *we* may write it.
    return not (st.st_mode & 0o222) or not os.access(path, os.W_OK)


def is_read_only(path: Path) -> bool:
    """True when ``atomic_write`` would refuse ``path`` as read-only."""
    st = _existing(path)
    return st is not None and _is_read_only(path, st)


def _temp_name(directory: Path, name: str) -> Path:
    return directory / f".{name}{TMP_MARKER}{secrets.token_hex(6)}"


_TEMP_NAME = re.compile(r"\.(.+)" + re.escape(TMP_MARKER) + r"[0-9a-f]{12}")


def find_temp_files(paths: Iterable[Path] = (), dirs: Iterable[Path] = ()) -> list[Path]:
    """Temporary files :func:`atomic_write` left for ``paths``, and any of them in ``dirs``.

    Each directory is listed once.  Only regular files with exactly our name
    pattern (``.{name}.ssot-tmp-`` and 12 hex digits) are returned.
    """
    wanted: dict[Path, set[str] | None] = {}
    for p in paths:
        p = Path(p)
        names = wanted.setdefault(p.parent, set())
        if names is not None:
            names.add(p.name)
    for d in dirs:
        wanted[Path(d)] = None  # None: every temp file in it
    out = []
    for directory, names in wanted.items():
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            m = _TEMP_NAME.fullmatch(entry.name)
            if m and (names is None or m.group(1) in names) and entry.is_file(follow_symlinks=False):
                out.append(Path(entry.path))
    return sorted(out)


def remove_temp_files(temps: Iterable[Path]) -> list[Path]:
    """Remove leftover temporary files (as found by :func:`find_temp_files`); return those removed."""
    removed = []
    for tmp in temps:
        if not _TEMP_NAME.fullmatch(Path(tmp).name):
            raise ValueError(f"{tmp} is not an ssot-migrate temporary file")
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            continue
        removed.append(Path(tmp))
    return removed


def fault_point(name: str, target: Path | str | None = None) -> None:
    """Crash-test hook: ``SSOT_MIGRATE_FAULT=<name>[@<file name>][:n]`` signals this process there.

    ``@<file name>`` fires only for that target file; ``:n`` on the n-th hit.  The
    signal is SIGKILL, or ``SSOT_MIGRATE_FAULT_SIGNAL`` (INT, TERM, or STOP: the
    process stops itself so a test can send it real signals at a known point).
    """
    spec = os.environ.get("SSOT_MIGRATE_FAULT")
    if not spec:
        return
    want, _, count = spec.partition(":")
    want, _, file_name = want.partition("@")
    if want != name or (file_name and (target is None or Path(target).name != file_name)):
        return
    if count:
        left = int(os.environ.get("_SSOT_MIGRATE_FAULT_LEFT", count)) - 1
        os.environ["_SSOT_MIGRATE_FAULT_LEFT"] = str(left)
        if left > 0:
            return
    which = os.environ.get("SSOT_MIGRATE_FAULT_SIGNAL", "KILL")
    os.kill(os.getpid(), getattr(signal, f"SIG{which}", signal.SIGKILL))


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Atomically replace (or create) ``path`` with ``data``.

    Permission bits: ``mode`` if given, else those of the file being
    replaced, else ``0o644`` reduced by the umask.  Raises
    :class:`UnsafePathError` for symlinks, non-regular files and read-only
    files; on any failure the target is untouched and no temp file remains.
    """
    path = Path(path)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"atomic_write needs bytes, got {type(data).__name__}")
    st = _existing(path)
    chmod_to: int | None = None
    if st is not None:
        _refuse_unsafe(path, st, "write")
        if _is_read_only(path, st):
            raise UnsafePathError(f"{path} is read-only; ssot-migrate will not change permissions")
        chmod_to = stat.S_IMODE(st.st_mode)
    if mode is not None:
        chmod_to = stat.S_IMODE(mode)

    _via_temp(path, data, chmod_to, os.replace)


def atomic_create(path: Path, data: bytes, *, mode: int = DEFAULT_NEW_FILE_MODE) -> None:
    """Create ``path`` holding ``data``, complete from its first instant; :class:`FileExistsError` if it exists.

    The data goes to a temporary file first, which is then hard-linked to
    ``path`` (``link`` fails, atomically, when ``path`` exists), so no reader
    ever sees it empty or half-written.  Where hard links are not supported
    it falls back to an exclusive create followed by the write.
    """
    path = Path(path)

    def link(tmp: Path, target: Path) -> None:
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _LINK_UNSUPPORTED:
                raise
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.unlink(tmp)

    _via_temp(path, data, stat.S_IMODE(mode), link)


def _via_temp(path: Path, data: bytes, chmod_to: int | None, finish) -> None:
    """Write ``data`` to a fresh temp file beside ``path``, then ``finish(tmp, path)`` (replace or link)."""
    directory = path.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    # The name is chosen before the file exists and the file is created inside
    # the ``try``: a signal (Ctrl-C, SIGTERM) that arrives right after the
    # create still reaches the cleanup below, which removes it by name.
    tmp: Path | None = None
    fd: int | None = None
    try:
        for _ in range(100):
            candidate = _temp_name(directory, path.name)
            try:
                tmp = candidate
                fd = os.open(candidate, flags, DEFAULT_NEW_FILE_MODE)
                break
            except FileExistsError:
                tmp = None  # someone else's file: never ours to remove
        else:
            raise FileExistsError(errno.EEXIST, "could not create a unique temporary file", str(directory))
        fault_point("temp-created", path)
        try:
            if chmod_to is not None:
                # Exact bits, not filtered by the umask like os.open's mode.
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, chmod_to)
                else:  # pragma: no cover - Windows
                    os.chmod(tmp, chmod_to)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            closing, fd = fd, None  # never closed twice, even if a signal lands here
            os.close(closing)
        fault_point("temp-written", path)
        finish(tmp, path)
    except BaseException:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    fsync_dir(directory)


def atomic_delete(path: Path) -> None:
    """Remove regular file ``path`` and ``fsync`` its directory.

    Refuses symlinks and non-regular files; a missing file raises
    :class:`FileNotFoundError`.
    """
    path = Path(path)
    st = os.lstat(path)
    _refuse_unsafe(path, st, "delete")
    os.unlink(path)
    fsync_dir(path.parent)


def is_within(root: Path, path: Path) -> bool:
    """True only if the real (symlink-resolved) ``path`` lies inside real ``root``.

    A relative ``path`` is taken relative to ``root``.  ``root`` itself counts
    as within.  Neither needs to exist.
    """
    root = Path(root)
    path = Path(path)
    if not path.is_absolute():
        path = root / path
    real_root = Path(os.path.realpath(root))
    real_path = Path(os.path.realpath(path))
    return real_path == real_root or real_root in real_path.parents
