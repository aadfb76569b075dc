"""Tests for migrate.textdiff.

The decisive checks are real: every case is committed to a throw-away git
repository, the working tree is moved to AFTER, and the patch must take it
back to BEFORE byte-for-byte (and mode-for-mode) with ``git apply -R`` and
with ``patch -R -p1``, then forward again to AFTER.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the package is not installed in the venv
    sys.path.insert(0, str(ROOT))

from migrate.textdiff import NO_NEWLINE, render_text, split_lines, unified_diff  # noqa: E402

GIT = shutil.which("git")
PATCH = shutil.which("patch")

needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("GIT_"):
            del env[key]
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        LC_ALL="C",
    )
    return env


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = _git_env(root.parent)
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", ".")
        self.git("config", "core.autocrlf", "false")
        self.git("config", "core.fileMode", "true")
        self.git("config", "apply.whitespace", "nowarn")

    def run(self, *args: str, stdin: bytes | None = None, check: bool = True):
        proc = subprocess.run(
            list(args),
            cwd=self.root,
            env=self.env,
            input=stdin if stdin is not None else b"",
            capture_output=True,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} failed ({proc.returncode}):\n"
                f"stdout: {proc.stdout.decode(errors='replace')}\n"
                f"stderr: {proc.stderr.decode(errors='replace')}\n"
                f"patch:\n{render_text(stdin or b'')}"
            )
        return proc

    def git(self, *args: str, stdin: bytes | None = None, check: bool = True):
        return self.run(GIT, *args, stdin=stdin, check=check)

    def set_state(self, rel: str, content: bytes | None, mode: int | None) -> None:
        p = self.root / rel
        if content is None:
            if p.exists():
                p.unlink()
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
        os.chmod(p, mode if mode is not None else 0o644)

    def state(self, rel: str) -> tuple[bytes | None, bool | None]:
        p = self.root / rel
        if not p.exists():
            return None, None
        return p.read_bytes(), bool(os.stat(p).st_mode & stat.S_IXUSR)

    def worktree_files(self) -> set[str]:
        out = set()
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            for f in filenames:
                out.add(os.path.relpath(os.path.join(dirpath, f), self.root))
        return out


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


def _expected(content: bytes | None, mode: int | None) -> tuple[bytes | None, bool | None]:
    if content is None:
        return None, None
    return content, bool((mode or 0o644) & 0o100)


def apply(repo: Repo, tool: str, patch: bytes, *, reverse: bool) -> None:
    r = ["-R"] if reverse else []
    if tool == "git":
        repo.git("apply", *r, "--check", "-", stdin=patch)
        repo.git("apply", *r, "-", stdin=patch)
    else:
        base = [PATCH, "-p1", "--batch", "--no-backup-if-mismatch", "-r", "-", *r]
        repo.run(*base, "--dry-run", stdin=patch)
        repo.run(*base, stdin=patch)


# --------------------------------------------------------------------------
# cases applied with real tools
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    before: bytes | None
    after: bytes | None
    before_mode: int | None = None
    after_mode: int | None = None
    path: str = "pkg/mod.py"
    patch_ok: bool = True  # GNU patch can apply it


LATIN1 = "café = 'naïve'\n".encode("latin-1")
HIGH = bytes(range(0x80, 0x100))
BOM = b"\xef\xbb\xbf"
MANY = b"".join(b"line %d\n" % i for i in range(60))

CASES = [
    Case("simple", b"a\nb\nc\n", b"a\nB\nc\n"),
    Case("crlf", b"one\r\ntwo\r\nthree\r\n", b"one\r\n2\r\nthree\r\nfour\r\n"),
    Case("crlf-all-lines", b"x = 1\r\ny = 2\r\n", b"x = 10\r\ny = 20\r\n"),
    Case("crlf-to-lf", b"a\r\nb\r\nc\r\n", b"a\nb\r\nc\n"),
    Case("mixed-endings", b"a\nb\r\nc\rd\ne\r\n", b"a\r\nb\r\nc\rD\ne\n"),
    Case("lone-cr-only", b"a\rb\rc\r", b"a\rB\rc\r"),
    Case("lone-cr-lines", b"k\ra\nb\rc\n", b"k\ra\nb\rC\n"),
    Case("no-eol-before", b"a\nb", b"a\nb\n"),
    Case("no-eol-after", b"a\nb\n", b"a\nb"),
    Case("no-eol-both-last-changed", b"a\nb\nc", b"a\nb\nC"),
    Case("no-eol-both-context", b"a\nb\nc", b"A\nb\nc"),
    Case("no-eol-crlf", b"a\r\nb\r\nc\r", b"a\r\nB\r\nc\r"),
    Case("no-eol-crlf-to-crlf", b"a\r\nb", b"a\r\nb\r\n"),
    Case("latin1", LATIN1 + HIGH + b"\n", LATIN1.replace(b"\xe9", b"\xe8") + HIGH[::-1] + b"\n"),
    Case("invalid-utf8", b"ok\n\xff\xfe\xfd\n\xc3\n", b"ok\n\xc3\x28\n\xc3\n"),
    Case("control-bytes", b"a\x00b\n\x1b[0m\n\x7f\n", b"a\x00c\n\x1b[0m\n\x7f\x7f\n"),
    Case("utf8-bom", BOM + b"import os\r\nx = 1\r\n", BOM + b"import sys\r\nx = 1\r\n"),
    Case("bom-removed", BOM + b"import os\n", b"import os\n"),
    Case("bom-added", b"x\n", BOM + b"x\n"),
    Case("empty-to-content", b"", b"x\ny\n"),
    Case("content-to-empty", b"x\ny\n", b""),
    Case("empty-to-no-eol", b"", b"x"),
    Case("no-eol-to-empty", b"x", b""),
    Case("create", None, b"new\nfile\n"),
    Case("create-crlf-no-eol", None, b"new\r\nfile"),
    Case("create-exec", None, b"#!/bin/sh\necho hi\n", after_mode=0o755),
    Case("create-empty", None, b"", patch_ok=False),
    Case("delete", b"old\nfile\n", None),
    Case("delete-exec-no-eol", b"#!/bin/sh\nexit 0", None, before_mode=0o755),
    Case("delete-empty", b"", None, patch_ok=False),
    Case("mode-644-755-content", b"a\nb\n", b"a\nc\n", before_mode=0o644, after_mode=0o755),
    Case("mode-755-644-only", b"a\n", b"a\n", before_mode=0o755, after_mode=0o644),
    Case("mode-755-kept", b"a\n", b"b\n", before_mode=0o755, after_mode=0o755),
    Case(
        "several-hunks",
        MANY,
        MANY.replace(b"line 3\n", b"LINE 3\n")
        .replace(b"line 6\n", b"")
        .replace(b"line 30\n", b"line 30\ninserted\n")
        .replace(b"line 59\n", b"last"),
    ),
    Case("prepend-append", MANY, b"head\n" + MANY + b"tail\n"),
    Case(
        "diff-syntax-in-content",
        b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n\\ No newline at end of file\ndiff --git a/x b/x\n",
        b"--- a/y\n+++ b/x\n@@ -1,2 +1 @@\n\\ No newline at end of file\n-\n+\n \n",
    ),
    Case("whitespace", b"a \n\tb\t\n  \n", b"a  \n\tb\n \t\n"),
    Case("blank-lines", b"\n\n\n", b"\n\r\n\n\n"),
    Case("path-with-space", b"a\n", b"b\n", path="dir with space/my file.py"),
    Case("path-unicode", b"a\n", b"b\n", path="pkg/m\u00f6dul\u00e9.py"),
    Case("path-quoted", b"a\n", b"b\n", path='we"ird\\na\tme.py'),
    Case("create-nested", None, b"x\n", path="new/deep/dir/f.txt"),
]


@needs_git
@pytest.mark.parametrize("tool", ["git", "patch"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real_tools_round_trip(repo: Repo, case: Case, tool: str) -> None:
    if tool == "patch":
        if PATCH is None:
            pytest.skip("GNU patch is not installed")
        if not case.patch_ok:
            pytest.skip(
                "GNU patch 2.7 leaves an empty file behind instead of deleting it "
                "(header-only git diff)"
            )

    patch = unified_diff(
        case.path,
        case.before,
        case.after,
        before_mode=case.before_mode,
        after_mode=case.after_mode,
    )
    assert patch, "a real change must produce a diff"

    repo.set_state(case.path, case.before, case.before_mode)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--allow-empty", "-m", "before")
    repo.set_state(case.path, case.after, case.after_mode)
    files_after = repo.worktree_files()

    apply(repo, tool, patch, reverse=True)
    assert repo.state(case.path) == _expected(case.before, case.before_mode)
    if tool == "git":
        # Nothing left uncommitted: the tree is exactly the BEFORE commit.
        assert repo.git("status", "--porcelain").stdout == b""

    apply(repo, tool, patch, reverse=False)
    assert repo.state(case.path) == _expected(case.after, case.after_mode)
    assert repo.worktree_files() == files_after  # no .orig / .rej leftovers


@needs_git
def test_git_apply_check_rejects_wrong_base(repo: Repo) -> None:
    patch = unified_diff("f.txt", b"a\nb\nc\n", b"a\nB\nc\n")
    (repo.root / "f.txt").write_bytes(b"a\nX\nc\n")  # neither BEFORE nor AFTER
    proc = repo.git("apply", "-R", "--check", "-", stdin=patch, check=False)
    assert proc.returncode != 0
    assert (repo.root / "f.txt").read_bytes() == b"a\nX\nc\n"


@needs_git
def test_crlf_is_not_confused_with_lf(repo: Repo) -> None:
    # The patch carries \r\n; applying it to an LF version must fail, not "fix" it.
    patch = unified_diff("f.txt", b"a\r\nb\r\n", b"a\r\nB\r\n")
    (repo.root / "f.txt").write_bytes(b"a\nB\n")
    assert repo.git("apply", "-R", "--check", "-", stdin=patch, check=False).returncode != 0


@needs_git
def test_context_zero_applies_with_unidiff_zero(repo: Repo) -> None:
    before, after = MANY, MANY.replace(b"line 10\n", b"ten\n").replace(b"line 40\n", b"")
    patch = unified_diff("f.txt", before, after, context=0)
    assert patch.count(b"@@ -") == 2
    (repo.root / "f.txt").write_bytes(after)
    repo.git("apply", "--unidiff-zero", "-R", "-", stdin=patch)
    assert (repo.root / "f.txt").read_bytes() == before


# --------------------------------------------------------------------------
# exact output
# --------------------------------------------------------------------------


def test_no_change_is_empty() -> None:
    assert unified_diff("f", b"a\n", b"a\n") == b""
    assert unified_diff("f", b"", b"") == b""
    assert unified_diff("f", None, None) == b""
    assert unified_diff("f", b"a\n", b"a\n", before_mode=0o755, after_mode=0o755) == b""
    # Only the owner-exec bit is a git mode change.
    assert unified_diff("f", b"a\n", b"a\n", before_mode=0o644, after_mode=0o664) == b""
    assert unified_diff("f", b"a\n", b"a\n", before_mode=0o100755, after_mode=0o755) == b""
    # One mode missing: no mode change is reported.
    assert unified_diff("f", b"a\n", b"a\n", before_mode=0o755) == b""


def test_simple_golden() -> None:
    assert unified_diff("src/x.py", b"a\nb\nc\n", b"a\nB\nc\n") == (
        b"diff --git a/src/x.py b/src/x.py\n"
        b"--- a/src/x.py\n"
        b"+++ b/src/x.py\n"
        b"@@ -1,3 +1,3 @@\n"
        b" a\n"
        b"-b\n"
        b"+B\n"
        b" c\n"
    )


def test_single_line_ranges_omit_count() -> None:
    assert unified_diff("f", b"a\n", b"b\n") == (
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    )


def test_create_golden() -> None:
    assert unified_diff("f", None, b"x\ny\n") == (
        b"diff --git a/f b/f\n"
        b"new file mode 100644\n"
        b"--- /dev/null\n"
        b"+++ b/f\n"
        b"@@ -0,0 +1,2 @@\n"
        b"+x\n"
        b"+y\n"
    )
    assert unified_diff("f", None, b"x", after_mode=0o755) == (
        b"diff --git a/f b/f\n"
        b"new file mode 100755\n"
        b"--- /dev/null\n"
        b"+++ b/f\n"
        b"@@ -0,0 +1 @@\n"
        b"+x\n" + NO_NEWLINE
    )
    assert unified_diff("f", None, b"") == b"diff --git a/f b/f\nnew file mode 100644\n"


def test_delete_golden() -> None:
    assert unified_diff("f", b"x\r\n", None, before_mode=0o100755) == (
        b"diff --git a/f b/f\n"
        b"deleted file mode 100755\n"
        b"--- a/f\n"
        b"+++ /dev/null\n"
        b"@@ -1 +0,0 @@\n"
        b"-x\r\n"
    )
    assert unified_diff("f", b"", None) == b"diff --git a/f b/f\ndeleted file mode 100644\n"


def test_mode_change_golden() -> None:
    assert unified_diff("f", b"a\n", b"a\n", before_mode=0o644, after_mode=0o755) == (
        b"diff --git a/f b/f\nold mode 100644\nnew mode 100755\n"
    )
    assert unified_diff("f", b"a\n", b"b\n", before_mode=0o755, after_mode=0o600) == (
        b"diff --git a/f b/f\nold mode 100755\nnew mode 100644\n"
        b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
    )


def test_empty_side_ranges() -> None:
    assert b"@@ -0,0 +1 @@\n+x\n" in unified_diff("f", b"", b"x\n")
    assert b"@@ -1,2 +0,0 @@\n-x\n-y\n" in unified_diff("f", b"x\ny\n", b"")
    # Pure insertion after line 5 with no context: "-5,0".
    d = unified_diff("f", MANY, MANY.replace(b"line 4\n", b"line 4\nnew\n"), context=0)
    assert b"@@ -5,0 +6 @@\n+new\n" in d
    # Pure deletion of line 6 with no context: "+5,0".
    d = unified_diff("f", MANY, MANY.replace(b"line 5\n", b""), context=0)
    assert b"@@ -6 +5,0 @@\n-line 5\n" in d


def test_no_newline_markers() -> None:
    d = unified_diff("f", b"a\nb", b"a\nb\n")
    assert d.endswith(b"@@ -1,2 +1,2 @@\n a\n-b\n" + NO_NEWLINE + b"+b\n")
    d = unified_diff("f", b"a\nb\n", b"a\nb")
    assert d.endswith(b"@@ -1,2 +1,2 @@\n a\n-b\n+b\n" + NO_NEWLINE)
    # Unchanged last line lacking a newline, shown as context.
    d = unified_diff("f", b"a\nb", b"A\nb")
    assert d.endswith(b"-a\n+A\n b\n" + NO_NEWLINE)
    assert d.count(NO_NEWLINE) == 1
    # Lone CR as the final byte: the marker follows, the CR stays in the line.
    d = unified_diff("f", b"a\r", b"b\r")
    assert d.endswith(b"-a\r\n" + NO_NEWLINE + b"+b\r\n" + NO_NEWLINE)


def test_crlf_lines_keep_cr_in_patch() -> None:
    d = unified_diff("f", b"a\r\nb\r\n", b"a\r\nc\r\n")
    assert b"\n a\r\n-b\r\n+c\r\n" in d


def test_hunks_merge_within_twice_context() -> None:
    lines = [b"%d\n" % i for i in range(30)]
    base = b"".join(lines)

    def change(*idx: int) -> bytes:
        return b"".join(b"X\n" if i in idx else l for i, l in enumerate(lines))

    # 6 unchanged lines between the edits == 2 * context: one hunk.
    assert unified_diff("f", base, change(5, 12)).count(b"\n@@ ") == 1
    # 7 unchanged lines: two hunks.
    assert unified_diff("f", base, change(5, 13)).count(b"\n@@ ") == 2
    assert unified_diff("f", base, change(5, 13), context=4).count(b"\n@@ ") == 1
    assert unified_diff("f", base, change(5, 7), context=0).count(b"\n@@ ") == 2


def test_bytes_pass_through_untouched() -> None:
    before = bytes(b for b in range(256) if b != 0x0A) + b"\n"
    after = before[:-1][::-1] + b"\n"
    d = unified_diff("f", before, after)
    assert b"\n-" + before in d
    assert b"\n+" + after in d


def test_path_quoting() -> None:
    d = unified_diff('a"b\tc', b"x\n", b"y\n")
    assert d.startswith(b'diff --git "a/a\\"b\\tc" "b/a\\"b\\tc"\n')
    d = unified_diff("with space", b"x\n", b"y\n")
    assert b"--- a/with space\t\n+++ b/with space\t\n" in d
    d = unified_diff("caf\u00e9", b"x\n", b"y\n")
    assert d.startswith("diff --git a/caf\u00e9 b/caf\u00e9\n".encode())


@pytest.mark.parametrize("bad", ["", "/abs/path", "a/../b", "./a", "a//b", "a/", "a\0b"])
def test_bad_paths_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        unified_diff(bad, b"a\n", b"b\n")


def test_negative_context_rejected() -> None:
    with pytest.raises(ValueError):
        unified_diff("f", b"a\n", b"b\n", context=-1)


def test_render_text() -> None:
    d = unified_diff("f", b"caf\xe9\n", "café\n".encode())
    text = render_text(d)
    assert isinstance(text, str)
    assert "-caf\ufffd\n" in text
    assert "+café\n" in text


@pytest.mark.parametrize(
    "data, lines",
    [
        (b"", []),
        (b"a", [b"a"]),
        (b"a\n", [b"a\n"]),
        (b"a\r\nb", [b"a\r\n", b"b"]),
        (b"a\rb\n", [b"a\rb\n"]),
        (b"\n\n", [b"\n", b"\n"]),
        (b"\r", [b"\r"]),
    ],
)
def test_split_lines(data: bytes, lines: list[bytes]) -> None:
    assert split_lines(data) == lines


@given(st.binary(max_size=200))
def test_split_lines_round_trips(data: bytes) -> None:
    lines = split_lines(data)
    assert b"".join(lines) == data
    assert all(line.endswith(b"\n") for line in lines[:-1])
    assert all(line.count(b"\n") <= 1 for line in lines)


# --------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$")


def _py_apply(diff: bytes, old: bytes) -> bytes:
    """A strict, independent reader of our patches: checks every header count."""
    rows = diff.split(b"\n")
    assert rows.pop() == b""
    first_hunk = next(k for k, r in enumerate(rows) if r.startswith(b"@@"))
    hunks: list[tuple[re.Match[bytes], list[tuple[bytes, bytes]]]] = []
    for row in rows[first_hunk:]:
        if row.startswith(b"@@"):
            m = _HUNK.match(row + b"\n")
            assert m, row
            hunks.append((m, []))
        elif row + b"\n" == NO_NEWLINE:
            kind, body = hunks[-1][1][-1]
            hunks[-1][1][-1] = (kind, body[:-1])
        else:
            assert row[:1] in (b" ", b"-", b"+"), row
            hunks[-1][1].append((row[:1], row[1:] + b"\n"))

    old_lines = split_lines(old)
    out: list[bytes] = []
    pos = 0
    for m, body in hunks:
        ostart, olen = int(m[1]), int(m[2] or 1)
        nstart, nlen = int(m[3]), int(m[4] or 1)
        first = ostart - 1 if olen else ostart
        assert first >= pos
        out.extend(old_lines[pos:first])
        pos = first
        assert nstart == (len(out) + 1 if nlen else len(out))
        olds = [b for k, b in body if k in (b" ", b"-")]
        news = [b for k, b in body if k in (b" ", b"+")]
        assert (len(olds), len(news)) == (olen, nlen)
        assert old_lines[pos : pos + olen] == olds
        pos += olen
        out.extend(news)
    out.extend(old_lines[pos:])
    return b"".join(out)


LINE_POOL = [
    b"a\n",
    b"b\n",
    b"a\r\n",
    b"b\r\n",
    b"\n",
    b"\r\n",
    b"c\rd\n",
    b"caf\xe9\n",
    b"  x = 1\n",
    b"\\ tricky\n",
    b"-minus\n",
    b"+plus\r\n",
]
TAILS = [b"", b"z", b"z\r", b"\xff"]

lines_st = st.lists(st.sampled_from(LINE_POOL), max_size=25)


@st.composite
def edited_pair(draw):
    before_lines = draw(lines_st)
    before = b"".join(before_lines) + draw(st.sampled_from(TAILS))
    after_lines = list(before_lines)
    for _ in range(draw(st.integers(0, 5))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        if op == "insert" or not after_lines:
            idx = draw(st.integers(0, len(after_lines)))
            after_lines[idx:idx] = draw(st.lists(st.sampled_from(LINE_POOL), min_size=1, max_size=3))
        else:
            idx = draw(st.integers(0, len(after_lines) - 1))
            after_lines[idx : idx + 1] = (
                [] if op == "delete" else [draw(st.sampled_from(LINE_POOL))]
            )
    after = b"".join(after_lines) + draw(st.sampled_from(TAILS))
    return before, after


@settings(max_examples=300, deadline=None)
@given(edited_pair(), st.integers(0, 4))
def test_patch_structure_property(pair: tuple[bytes, bytes], context: int) -> None:
    before, after = pair
    d = unified_diff("f", before, after, context=context)
    if before == after:
        assert d == b""
        return
    assert _py_apply(d, before) == after


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return Repo(tmp_path_factory.mktemp("prop") / "repo")


@needs_git
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pair=edited_pair(), context=st.integers(1, 3))
def test_git_apply_reverse_property(shared_repo: Repo, pair: tuple[bytes, bytes], context: int) -> None:
    before, after = pair
    d = unified_diff("prop.txt", before, after, context=context)
    if before == after:
        assert d == b""
        return
    target = shared_repo.root / "prop.txt"
    target.write_bytes(after)
    shared_repo.git("apply", "-R", "-", stdin=d)
    assert target.read_bytes() == before
    shared_repo.git("apply", "-", stdin=d)
    assert target.read_bytes() == after
