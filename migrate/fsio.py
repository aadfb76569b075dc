"""The only way ssot-migrate writes or deletes user files.

Writes are atomic: the new content goes to a temporary file in the same
directory (``.{name}.ssot-tmp-<random>``), is flushed and ``fsync``-ed, gets
the permission bits of the file it replaces, and is then renamed over the
target with :func:`os.replace`; finally the directory is ``fsync``-ed so the
rename itself is durable.  A reader therefore sees either the old bytes or
the new bytes, never a mix, and after any failure the original file is
untouched and the temporary file is gone.

We refuse (:class:`~migrate.errors.UnsafePathError`) to write through a
symlink, to replace something that is not a regular file, and to write a
read-only file: the tool never changes permissions behind the user's back.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from pathlib import Path

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


def _open_temp(directory: Path, name: str, create_mode: int) -> tuple[Path, int]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = directory / f".{name}{TMP_MARKER}{secrets.token_hex(6)}"
        try:
            return tmp, os.open(tmp, flags, create_mode)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a unique temporary file", str(directory))


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

    directory = path.parent
    tmp, fd = _open_temp(directory, path.name, DEFAULT_NEW_FILE_MODE)
    try:
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
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
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
