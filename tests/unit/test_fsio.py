"""Tests for migrate.fsio: atomic, permission-preserving, symlink-refusing I/O."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the package is not installed in the venv
    sys.path.insert(0, str(ROOT))

from migrate import fsio  # noqa: E402
from migrate.errors import MigrateError, UnsafePathError  # noqa: E402
from migrate.fsio import (  # noqa: E402
    atomic_delete,
    atomic_write,
    fsync_dir,
    is_within,
    read_bytes,
    sha256_bytes,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions/symlinks")


def perms(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if fsio.TMP_MARKER in p.name)


# --------------------------------------------------------------------------
# sha256 / read
# --------------------------------------------------------------------------


def test_sha256_bytes() -> None:
    assert sha256_bytes(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert sha256_bytes(b"") == hashlib.sha256(b"").hexdigest()


def test_read_bytes_is_exact(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfa\r\nb\rc\n\xff\x00"
    (tmp_path / "f").write_bytes(data)
    assert read_bytes(tmp_path / "f") == data
    assert read_bytes(str(tmp_path / "f")) == data  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# atomic_write: content and permissions
# --------------------------------------------------------------------------


def test_write_new_file(tmp_path: Path) -> None:
    target = tmp_path / "new.py"
    atomic_write(target, b"x = 1\r\n")
    assert target.read_bytes() == b"x = 1\r\n"
    assert leftovers(tmp_path) == []


def test_overwrite_existing(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_bytes(b"old contents that are longer\n")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    atomic_write(target, b"")
    assert target.read_bytes() == b""
    assert leftovers(tmp_path) == []


def test_accepts_str_path_and_bytearray(tmp_path: Path) -> None:
    atomic_write(str(tmp_path / "f"), bytearray(b"abc"))  # type: ignore[arg-type]
    assert (tmp_path / "f").read_bytes() == b"abc"


def test_rejects_text(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        atomic_write(tmp_path / "f", "text")  # type: ignore[arg-type]
    assert not (tmp_path / "f").exists()


def test_large_write(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 7)
    atomic_write(tmp_path / "big", data)
    assert (tmp_path / "big").read_bytes() == data


@posix_only
@pytest.mark.parametrize("mode", [0o755, 0o600, 0o640, 0o664, 0o700])
def test_preserves_existing_permission_bits(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    os.chmod(target, mode)
    atomic_write(target, b"new")
    assert perms(target) == mode  # exact, not reduced by the umask
    assert target.read_bytes() == b"new"


@posix_only
def test_new_file_default_mode_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a", b"x")
        os.umask(0o077)
        atomic_write(tmp_path / "b", b"x")
    finally:
        os.umask(old)
    assert perms(tmp_path / "a") == 0o644
    assert perms(tmp_path / "b") == 0o600


@posix_only
def test_explicit_mode(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write(tmp_path / "new", b"x", mode=0o755)
    finally:
        os.umask(old)
    assert perms(tmp_path / "new") == 0o755
    existing = tmp_path / "existing"
    existing.write_bytes(b"x")
    os.chmod(existing, 0o644)
    atomic_write(existing, b"y", mode=0o100750)  # st_mode values are fine too
    assert perms(existing) == 0o750


@posix_only
def test_replaces_the_inode(tmp_path: Path) -> None:
    # A reader holding the old file keeps seeing the old bytes: no in-place write.
    target = tmp_path / "f"
    target.write_bytes(b"old")
    with open(target, "rb") as fh:
        atomic_write(target, b"new")
        assert fh.read() == b"old"
    assert target.read_bytes() == b"new"


def test_temp_file_name_and_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.fspath(src), os.fspath(dst)))
        assert Path(src).read_bytes() == b"payload"  # complete before the rename
        return real_replace(src, dst)

    monkeypatch.setattr(fsio.os, "replace", spy)
    atomic_write(tmp_path / "mod.py", b"payload")
    (src, dst) = seen[0]
    assert Path(src).parent == tmp_path
    assert re.fullmatch(r"\.mod\.py\.ssot-tmp-[0-9a-f]{8,}", Path(src).name)
    assert dst == os.fspath(tmp_path / "mod.py")


def test_fsyncs_file_then_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(f"fsync-{kind}")
        return real_fsync(fd)

    def replace(src, dst):
        events.append("replace")
        return real_replace(src, dst)

    monkeypatch.setattr(fsio.os, "fsync", fsync)
    monkeypatch.setattr(fsio.os, "replace", replace)
    atomic_write(tmp_path / "f", b"x")
    if os.name == "posix":
        assert events == ["fsync-file", "replace", "fsync-dir"]
    else:  # pragma: no cover
        assert events[:2] == ["fsync-file", "replace"]


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=2000), st.binary(max_size=2000))
def test_write_round_trips_any_bytes(first: bytes, second: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        target = Path(d) / "f"
        atomic_write(target, first)
        assert read_bytes(target) == first
        atomic_write(target, second)
        assert read_bytes(target) == second
        assert leftovers(Path(d)) == []


# --------------------------------------------------------------------------
# atomic_write: refusals
# --------------------------------------------------------------------------


@posix_only
def test_refuses_symlink_to_file(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_bytes(b"original")
    link = tmp_path / "link.py"
    link.symlink_to(real)
    with pytest.raises(UnsafePathError, match="symlink"):
        atomic_write(link, b"evil")
    assert real.read_bytes() == b"original"
    assert link.is_symlink()
    assert leftovers(tmp_path) == []


@posix_only
def test_refuses_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnsafePathError):
        atomic_write(link, b"x")
    assert not (tmp_path / "nowhere").exists()
    assert link.is_symlink()


@posix_only
def test_refuses_read_only_file(tmp_path: Path) -> None:
    target = tmp_path / "ro.py"
    target.write_bytes(b"keep me")
    os.chmod(target, 0o444)
    with pytest.raises(UnsafePathError) as info:
        atomic_write(target, b"changed")
    assert str(info.value) == f"{target} is read-only; ssot-migrate will not change permissions"
    assert isinstance(info.value, MigrateError)
    assert info.value.exit_code == MigrateError.exit_code
    assert target.read_bytes() == b"keep me"
    assert perms(target) == 0o444
    assert leftovers(tmp_path) == []


@posix_only
def test_read_only_refused_even_with_explicit_mode(tmp_path: Path) -> None:
    target = tmp_path / "ro"
    target.write_bytes(b"keep")
    os.chmod(target, 0o400)
    with pytest.raises(UnsafePathError, match="read-only"):
        atomic_write(target, b"x", mode=0o644)
    assert perms(target) == 0o400


def test_refuses_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(UnsafePathError, match="not a regular file"):
        atomic_write(tmp_path / "d", b"x")
    assert (tmp_path / "d").is_dir()
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_refuses_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p")
    with pytest.raises(UnsafePathError):
        atomic_write(tmp_path / "p", b"x")


def test_missing_parent_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing" / "f", b"x")
    assert not (tmp_path / "missing").exists()


# --------------------------------------------------------------------------
# atomic_write: failures leave the original untouched, no temp file behind
# --------------------------------------------------------------------------


def _boom(*args, **kwargs):
    raise OSError(errno.EIO, "simulated I/O error")


@pytest.mark.parametrize("where", ["write", "fsync", "replace", "fchmod"])
def test_failure_keeps_original_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "fchmod" and not hasattr(os, "fchmod"):
        pytest.skip("no fchmod")
    target = tmp_path / "f.py"
    target.write_bytes(b"original\r\n")
    if os.name == "posix":
        os.chmod(target, 0o640)
    monkeypatch.setattr(fsio.os, where, _boom)
    with pytest.raises(OSError, match="simulated"):
        atomic_write(target, b"replacement")
    monkeypatch.undo()
    assert target.read_bytes() == b"original\r\n"
    if os.name == "posix":
        assert perms(target) == 0o640
    assert leftovers(tmp_path) == []


def test_partial_write_then_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"original")
    real_write = os.write
    calls = []

    def short_then_fail(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[:3]))  # a short write
        raise OSError(errno.ENOSPC, "simulated disk full")

    monkeypatch.setattr(fsio.os, "write", short_then_fail)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"0123456789")
    monkeypatch.undo()
    assert calls == [10, 7]
    assert target.read_bytes() == b"original"
    assert leftovers(tmp_path) == []


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    monkeypatch.setattr(fsio.os, "write", lambda fd, data: real_write(fd, bytes(data[:2])))
    atomic_write(tmp_path / "f", b"abcdefg")
    monkeypatch.undo()
    assert (tmp_path / "f").read_bytes() == b"abcdefg"


def test_keyboard_interrupt_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"original")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(fsio.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"original"
    assert leftovers(tmp_path) == []


def test_new_file_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fsio.os, "replace", _boom)
    with pytest.raises(OSError):
        atomic_write(tmp_path / "new", b"x")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_temp_name_collision_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = iter(["aaaaaaaaaaaa", "aaaaaaaaaaaa", "bbbbbbbbbbbb"])
    monkeypatch.setattr(fsio.secrets, "token_hex", lambda n: next(tokens))
    squatter = tmp_path / ".f.ssot-tmp-aaaaaaaaaaaa"
    squatter.write_bytes(b"someone else's")
    atomic_write(tmp_path / "f", b"mine")
    assert (tmp_path / "f").read_bytes() == b"mine"
    assert squatter.read_bytes() == b"someone else's"
    assert leftovers(tmp_path) == [squatter.name]


# --------------------------------------------------------------------------
# fsync_dir
# --------------------------------------------------------------------------


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch, behaviour=None) -> list[tuple[int, bool]]:
    """Record (fd, is_directory) for every fsync; ``behaviour`` replaces the real call."""
    import stat

    calls: list[tuple[int, bool]] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        calls.append((fd, stat.S_ISDIR(os.fstat(fd).st_mode)))
        (behaviour or real)(fd)

    monkeypatch.setattr(fsio.os, "fsync", fsync)
    return calls


def _open_fds() -> set[int]:
    return {int(n) for n in os.listdir("/proc/self/fd")} if os.path.isdir("/proc/self/fd") else set()


def test_fsync_dir_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record_fsyncs(monkeypatch)
    before = _open_fds()
    fsync_dir(tmp_path)
    assert [is_dir for _, is_dir in calls] == [True]  # the directory itself was synced, once
    assert _open_fds() == before  # and its descriptor closed


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EBADF])
def test_fsync_dir_ignores_unsupported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def unsupported(fd):
        raise OSError(code, "not supported here")

    calls = _record_fsyncs(monkeypatch, unsupported)
    before = _open_fds()
    fsync_dir(tmp_path)  # no exception: this filesystem cannot sync directories
    assert [is_dir for _, is_dir in calls] == [True]  # it was tried on the directory
    assert _open_fds() == before  # the descriptor is closed on the error path too


def test_fsync_dir_ignores_unopenable_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []

    def denied(*args, **kwargs):
        opened.append(args[0])
        raise PermissionError(errno.EACCES, "denied")

    monkeypatch.setattr(fsio.os, "open", denied)
    calls = _record_fsyncs(monkeypatch)
    fsync_dir(tmp_path)  # no exception: a directory that cannot be opened is not synced
    assert opened == [tmp_path] and calls == []


def test_fsync_dir_propagates_real_io_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fsio.os, "fsync", _boom)
    with pytest.raises(OSError, match="simulated"):
        fsync_dir(tmp_path)


def test_fsync_dir_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fsync_dir(tmp_path / "missing")


def test_unsupported_dir_fsync_does_not_fail_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def no_dir_fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "no dir fsync")
        return real_fsync(fd)

    monkeypatch.setattr(fsio.os, "fsync", no_dir_fsync)
    atomic_write(tmp_path / "f", b"x")
    assert (tmp_path / "f").read_bytes() == b"x"


# --------------------------------------------------------------------------
# atomic_delete
# --------------------------------------------------------------------------


def test_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"x")
    synced: list[str] = []
    monkeypatch.setattr(fsio, "fsync_dir", lambda p: synced.append(os.fspath(p)))
    atomic_delete(target)
    assert not target.exists()
    assert synced == [os.fspath(tmp_path)]


def test_delete_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_delete(tmp_path / "missing")


@posix_only
def test_delete_refuses_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(UnsafePathError, match="symlink"):
        atomic_delete(link)
    assert link.is_symlink()
    assert real.read_bytes() == b"x"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnsafePathError):
        atomic_delete(dangling)
    assert dangling.is_symlink()


def test_delete_refuses_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(UnsafePathError):
        atomic_delete(tmp_path / "d")
    assert (tmp_path / "d").is_dir()


# --------------------------------------------------------------------------
# is_within
# --------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_bytes(b"")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.py").write_bytes(b"")
    (tmp_path / "root2").mkdir()
    return root


def test_is_within_plain(tree: Path) -> None:
    assert is_within(tree, tree / "pkg" / "mod.py")
    assert is_within(tree, tree / "pkg")
    assert is_within(tree, tree)
    assert is_within(tree, tree / "not" / "yet" / "created.py")
    assert not is_within(tree, tree.parent / "outside" / "secret.py")
    assert not is_within(tree, tree.parent)
    assert not is_within(tree, Path("/"))


def test_is_within_dotdot(tree: Path) -> None:
    assert not is_within(tree, tree / ".." / "outside" / "secret.py")
    assert is_within(tree, tree / "pkg" / ".." / "pkg" / "mod.py")


def test_is_within_sibling_prefix(tree: Path) -> None:
    # "/x/root2" starts with "/x/root" as a string but is not inside it.
    assert not is_within(tree, tree.parent / "root2" / "f")


def test_is_within_relative_paths_are_relative_to_root(tree: Path) -> None:
    assert is_within(tree, Path("pkg/mod.py"))
    assert not is_within(tree, Path("../outside/secret.py"))


@posix_only
def test_is_within_resolves_symlinks(tree: Path) -> None:
    outside = tree.parent / "outside"
    (tree / "escape").symlink_to(outside)
    (tree / "escape_file.py").symlink_to(outside / "secret.py")
    (tree / "inner_link.py").symlink_to(tree / "pkg" / "mod.py")
    assert not is_within(tree, tree / "escape" / "secret.py")
    assert not is_within(tree, tree / "escape")
    assert not is_within(tree, tree / "escape_file.py")
    assert is_within(tree, tree / "inner_link.py")
    # A link outside the root that points in: the real path is inside.
    (outside / "in.py").symlink_to(tree / "pkg" / "mod.py")
    assert is_within(tree, outside / "in.py")


@posix_only
def test_is_within_root_given_through_symlink(tree: Path) -> None:
    alias = tree.parent / "alias"
    alias.symlink_to(tree)
    assert is_within(alias, tree / "pkg" / "mod.py")
    assert is_within(tree, alias / "pkg" / "mod.py")
    assert not is_within(alias, tree.parent / "outside")


# --------------------------------------------------------------------------
# interrupted writes, leftover temp files, atomic create (issue #15)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["temp-created", "temp-written"])
def test_interrupt_inside_the_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    target = tmp_path / "f.py"
    target.write_bytes(b"old")

    def interrupt(name: str, target: object = None) -> None:
        if name == point:
            raise KeyboardInterrupt  # what Ctrl-C (or the CLI's SIGTERM handler) raises there

    monkeypatch.setattr(fsio, "fault_point", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_find_and_remove_temp_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    mine = tmp_path / f".a.py{fsio.TMP_MARKER}0123456789ab"
    other = tmp_path / f".b.py{fsio.TMP_MARKER}0123456789ab"
    nested = tmp_path / "sub" / f".c.py{fsio.TMP_MARKER}ba9876543210"
    for p in (mine, other, nested):
        p.write_bytes(b"x")
    (tmp_path / f".a.py{fsio.TMP_MARKER}notours").write_bytes(b"x")  # not our pattern
    (tmp_path / f".a.py{fsio.TMP_MARKER}0123456789ac").symlink_to(tmp_path / "elsewhere")
    assert fsio.find_temp_files([tmp_path / "a.py"]) == [mine]
    assert fsio.find_temp_files([tmp_path / "a.py"], dirs=[tmp_path / "sub"]) == sorted([mine, nested])
    assert fsio.find_temp_files([tmp_path / "missing" / "x.py"]) == []
    assert fsio.remove_temp_files([mine]) == [mine] and not mine.exists() and other.exists()
    with pytest.raises(ValueError):
        fsio.remove_temp_files([tmp_path / "a.py"])


def test_atomic_create_is_complete_and_exclusive(tmp_path: Path) -> None:
    target = tmp_path / "lock"
    fsio.atomic_create(target, b'{"pid": 1}', mode=0o644)
    assert target.read_bytes() == b'{"pid": 1}'
    with pytest.raises(FileExistsError):
        fsio.atomic_create(target, b'{"pid": 2}')
    assert target.read_bytes() == b'{"pid": 1}'
    assert leftovers(tmp_path) == []


def test_atomic_create_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*args: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "lock"
    fsio.atomic_create(target, b"data")
    assert target.read_bytes() == b"data"
    with pytest.raises(FileExistsError):
        fsio.atomic_create(target, b"other")
    assert leftovers(tmp_path) == []
