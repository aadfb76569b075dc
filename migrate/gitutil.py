"""The git safety net: refuse to edit a dirty tree, like ``cargo fix``.

A clean tree means ``git diff`` shows exactly what a phase did and
``git checkout .`` undoes it even if everything else fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterable

from .errors import DirtyTreeError
from .state import STATE_DIR


def git_toplevel(root: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out).resolve()


def dirty_files(root: Path) -> list[str] | None:
    """Paths (relative to ``root``) with uncommitted changes; None outside a git checkout."""
    top = git_toplevel(root)
    if top is None:
        return None
    proc = subprocess.run(
        ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", "."],
        cwd=root,
        capture_output=True,
        check=True,
    )
    out = []
    entries = proc.stdout.split(b"\0")
    i = 0
    rel_root = root.resolve().relative_to(top).as_posix()
    prefix = "" if rel_root == "." else rel_root + "/"
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        code, name = entry[:2], os.fsdecode(entry[3:])
        if code[:1] in (b"R", b"C"):
            i += 1  # the rename source follows
        if prefix and name.startswith(prefix):
            name = name[len(prefix):]
        if name.split("/", 1)[0] == STATE_DIR:
            continue
        out.append(name)
    return sorted(set(out))


def ensure_clean(root: Path, touched: Iterable[str], *, allow_dirty: bool) -> None:
    """Refuse unless the tree is clean; with ``allow_dirty`` only the touched files must be."""
    dirty = dirty_files(root)
    if dirty is None:
        if allow_dirty:
            return
        raise DirtyTreeError(
            f"{root} is not a git checkout: there is no version control to fall back on. "
            "Commit it to git first, or pass --allow-dirty to rely on the journal alone"
        )
    if not allow_dirty:
        if dirty:
            raise DirtyTreeError(
                f"the working tree has {len(dirty)} uncommitted change(s); commit or stash them, "
                "or pass --allow-dirty",
                details=dirty[:20] + ([f"... and {len(dirty) - 20} more"] if len(dirty) > 20 else []),
            )
        return
    overlap = sorted(set(dirty) & set(touched))
    if overlap:
        raise DirtyTreeError(
            f"{len(overlap)} file(s) this phase would change have uncommitted changes; commit them first "
            "(--allow-dirty only covers files the phase does not touch)",
            details=overlap[:20],
        )
