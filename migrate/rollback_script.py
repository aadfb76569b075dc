"""The offline rollback: a patch plus a POSIX script, usable where the tool is not installed.

Like Alembic's ``--sql`` output, it is produced from the same journal the tool
uses.  The script first checks every file still has its post-apply hash (a
human edit since then would make a blind reverse patch destructive), lists any
that do not and stops; otherwise it reverses the patch with ``git apply -R``
(at the top of a git checkout) or ``patch -R -p1``.
"""

from __future__ import annotations

from .state import Journal, State


def _sq(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def render_patch(state: State, journal: Journal) -> bytes:
    from .textdiff import unified_diff

    parts = []
    for rec in journal.files:
        before = state.get_blob(rec.before) if rec.before else None
        after = state.get_blob(rec.after) if rec.after else None
        parts.append(
            unified_diff(rec.path, before, after, before_mode=rec.mode_before, after_mode=rec.mode_after)
        )
    return b"".join(parts)


def render_script(journal: Journal) -> str:
    phase = journal.key  # the wave: C, C.2, ...; its directory is phases/<key>/
    lines = [
        "#!/bin/sh",
        f"# Roll back ssot-migrate phase {phase} without ssot-migrate installed.",
        "# Checks that every file still matches its post-apply hash, then reverses rollback.patch.",
        "set -eu",
        'here=$(cd "$(dirname "$0")" && pwd -P)',
        'cd "$here/../../.."',
        "",
        "hash_of() {",
        "  if command -v sha256sum >/dev/null 2>&1; then sha256sum \"$1\" | cut -d' ' -f1",
        "  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 \"$1\" | cut -d' ' -f1",
        "  else openssl dgst -sha256 \"$1\" | sed 's/.*= //'",
        "  fi",
        "}",
        "bad=0",
        "expect() {  # path, expected sha256 ('-' = must not exist)",
        '  if [ "$2" = "-" ]; then',
        '    if [ -e "$1" ]; then echo "exists again since apply: $1" >&2; bad=1; fi',
        "    return 0",
        "  fi",
        '  if [ ! -f "$1" ]; then echo "missing: $1" >&2; bad=1; return 0; fi',
        '  if [ "$(hash_of "$1")" != "$2" ]; then echo "changed since apply: $1" >&2; bad=1; fi',
        "}",
    ]
    for rec in journal.files:
        lines.append(f"expect {_sq(rec.path)} {rec.after or '-'}")
    lines += [
        'if [ "$bad" -ne 0 ]; then',
        f'  echo "refusing to roll back phase {phase}: the files above differ from their post-apply state." >&2',
        '  echo "Use \\`ssot-migrate rollback ' + journal.phase + '\\` (3-way merge) or restore them first." >&2',
        "  exit 1",
        "fi",
        f"patch_file=.ssot-migrate/phases/{phase}/rollback.patch",
        'if [ ! -s "$patch_file" ]; then echo "nothing to roll back"; exit 0; fi',
        'top=$(git rev-parse --show-toplevel 2>/dev/null || true)',
        'if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ]; then',
        '  git apply -R "$patch_file"',
        "else",
        '  patch -R -p1 --no-backup-if-mismatch < "$patch_file"',
        "fi",
        f'echo "phase {phase} rolled back; run \\`ssot-migrate status\\` to reconcile the ledger when the tool is available."',
        "",
    ]
    return "\n".join(lines)
