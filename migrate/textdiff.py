"""Byte-exact unified diffs that ``git apply`` and ``patch -p1`` accept.

Everything here works on ``bytes``: the tool edits other people's files and
must never normalise line endings, re-encode text or drop a final newline.

Line splitting
--------------
Lines are split after every ``\\n`` and keep their ending, so ``\\r\\n`` lines
carry their ``\\r`` into the patch line (``git apply`` needs it there) and a
lone ``\\r`` simply stays inside its line.  Splitting on ``\\n`` only is what
``git`` and GNU ``patch`` do: a patch line is always terminated by ``\\n`` and
the only line that may lack one is the last line of a file, which is marked
with ``\\ No newline at end of file``.  Joining the pieces back gives the
original bytes exactly.

Output format
-------------
Git style: a ``diff --git a/P b/P`` line, extended headers (``new file mode``,
``deleted file mode``, ``old mode``/``new mode``), ``---``/``+++`` lines and
hunks.  Hunk ranges follow the unified format, with git's convention of
omitting ``,1``; an empty side is written ``-0,0`` / ``+0,0`` (or ``-N,0``
after line ``N``).  No ``index`` line is emitted: neither ``git apply`` nor
``patch`` needs one for text hunks.

With ``context=0`` the patch is still well formed, but ``git apply`` only
accepts it with ``--unidiff-zero``.  A header-only diff (creating or deleting
an *empty* file) is what git itself produces; ``git apply`` handles it, GNU
``patch`` 2.7 does not reliably.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Sequence

__all__ = ["split_lines", "unified_diff", "render_text"]

NO_NEWLINE = b"\\ No newline at end of file\n"

_REGULAR = 0o100644
_EXECUTABLE = 0o100755


def split_lines(data: bytes) -> list[bytes]:
    """Split ``data`` after each ``\\n``, keeping the endings.

    ``b"".join(split_lines(x)) == x`` always holds.  Only the last element
    can lack a trailing ``\\n``.
    """
    if not data:
        return []
    lines = data.split(b"\n")
    out = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _git_mode(mode: int | None) -> int:
    """Map a permission or ``st_mode`` value to git's two regular-file modes."""
    if mode is None:
        return _REGULAR
    return _EXECUTABLE if mode & 0o100 else _REGULAR


def _check_path(path: str) -> None:
    if not path:
        raise ValueError("diff path must not be empty")
    if path.startswith("/"):
        raise ValueError(f"diff path must be repo-relative, got {path!r}")
    if "\0" in path:
        raise ValueError(f"diff path contains a NUL byte: {path!r}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"diff path must be a normalised POSIX path, got {path!r}")


_QUOTE_ESCAPES = {
    ord('"'): b'\\"',
    ord("\\"): b"\\\\",
    ord("\a"): b"\\a",
    ord("\b"): b"\\b",
    ord("\t"): b"\\t",
    ord("\n"): b"\\n",
    ord("\v"): b"\\v",
    ord("\f"): b"\\f",
    ord("\r"): b"\\r",
}


def _quote_name(name: str) -> bytes:
    """Quote a ``a/...`` or ``b/...`` name the way git does when it must.

    Git C-quotes names containing ``"``, ``\\`` or control characters; other
    names (including non-ASCII UTF-8 and spaces) are written as they are.
    """
    raw = name.encode("utf-8", errors="surrogateescape")
    if not any(b < 0x20 or b == 0x7F or b in (0x22, 0x5C) for b in raw):
        return raw
    out = bytearray(b'"')
    for b in raw:
        if b in _QUOTE_ESCAPES:
            out += _QUOTE_ESCAPES[b]
        elif b < 0x20 or b == 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    out += b'"'
    return bytes(out)


def _range(start: int, length: int) -> bytes:
    """Unified-format range for 0-based ``start`` and ``length`` lines."""
    if length == 0:
        # An empty range names the line *after which* the change sits.
        return b"%d,0" % start
    if length == 1:
        return b"%d" % (start + 1)
    return b"%d,%d" % (start + 1, length)


def _emit(prefix: bytes, line: bytes) -> Iterable[bytes]:
    yield prefix + line
    if not line.endswith(b"\n"):
        yield b"\n"
        yield NO_NEWLINE


def _hunks(a: Sequence[bytes], b: Sequence[bytes], context: int) -> Iterable[bytes]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        i1, j1 = group[0][1], group[0][3]
        i2, j2 = group[-1][2], group[-1][4]
        yield b"@@ -" + _range(i1, i2 - i1) + b" +" + _range(j1, j2 - j1) + b" @@\n"
        for tag, ai1, ai2, bj1, bj2 in group:
            if tag == "equal":
                for line in a[ai1:ai2]:
                    yield from _emit(b" ", line)
                continue
            for line in a[ai1:ai2]:
                yield from _emit(b"-", line)
            for line in b[bj1:bj2]:
                yield from _emit(b"+", line)


def unified_diff(
    path: str,
    before: bytes | None,
    after: bytes | None,
    *,
    context: int = 3,
    before_mode: int | None = None,
    after_mode: int | None = None,
) -> bytes:
    """Return a git-style unified diff turning ``before`` into ``after``.

    ``before is None`` means the file is created, ``after is None`` that it is
    deleted.  Modes may be permission bits or full ``st_mode`` values; like git
    only the owner-execute bit matters (``100644`` vs ``100755``).  Returns
    ``b""`` when there is nothing to change.
    """
    _check_path(path)
    if context < 0:
        raise ValueError("context must be >= 0")
    if before is None and after is None:
        return b""

    old_mode = _git_mode(before_mode)
    new_mode = _git_mode(after_mode)
    mode_changed = (
        before is not None
        and after is not None
        and before_mode is not None
        and after_mode is not None
        and old_mode != new_mode
    )
    if before == after and not mode_changed:
        return b""

    a_name = _quote_name("a/" + path)
    b_name = _quote_name("b/" + path)
    out: list[bytes] = [b"diff --git " + a_name + b" " + b_name + b"\n"]
    if before is None:
        out.append(b"new file mode %o\n" % new_mode)
    elif after is None:
        out.append(b"deleted file mode %o\n" % old_mode)
    elif mode_changed:
        out.append(b"old mode %o\n" % old_mode)
        out.append(b"new mode %o\n" % new_mode)

    a_lines = split_lines(before or b"")
    b_lines = split_lines(after or b"")
    if a_lines != b_lines:
        # Like git: a name containing a space gets a trailing TAB on the
        # ---/+++ lines so GNU patch knows where the name ends.
        tab = b"\t" if b" " in a_name else b""
        out.append(b"--- " + (b"/dev/null" if before is None else a_name + tab) + b"\n")
        out.append(b"+++ " + (b"/dev/null" if after is None else b_name + tab) + b"\n")
        out.extend(_hunks(a_lines, b_lines, context))
    return b"".join(out)


def render_text(diff: bytes) -> str:
    """Decode a diff for terminal display; undecodable bytes become U+FFFD."""
    return diff.decode("utf-8", errors="replace")
