"""Which files a run looks at.

In a git checkout we ask git (tracked files plus untracked ones it does not
ignore), so ``.gitignore`` is honoured for free.  Elsewhere we walk the tree and
skip the directories no one wants rewritten (VCS data, virtualenvs,
node_modules, build output, our own state).  Symlinks are never followed:
a linked file is listed as skipped so nothing is ever written through a link.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATE_DIR = ".ssot-migrate"

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        STATE_DIR,
        ".venv",
        "venv",
        "env",
        ".env",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        "build",
        "dist",
        "site-packages",
        ".eggs",
    }
)


@dataclass(frozen=True)
class Discovered:
    files: tuple[str, ...]  # repo-relative POSIX paths, sorted, regular files only
    symlinks: tuple[str, ...]  # matched the globs but are links: never read or written


@lru_cache(maxsize=256)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-like glob (``**`` spans directories) to a regex.

    A pattern without a slash matches the file name at any depth, as in
    ``.gitignore`` (``*.py`` means every Python file).
    """
    if "/" not in pattern:
        pattern = "**/" + pattern
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    pat = "".join(out)
    # A pattern naming a directory also covers everything beneath it.
    return re.compile(f"^{pat}(?:/.*)?$")


def matches_any(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    return any(glob_to_regex(p).match(path) for p in patterns)


def _git_files(root: Path) -> list[str] | None:
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        proc = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name"],
            cwd=root,
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    top_path = Path(top).resolve()
    rel_root = root.resolve().relative_to(top_path) if root.resolve() != top_path else Path(".")
    prefix = "" if str(rel_root) == "." else rel_root.as_posix() + "/"
    out = []
    for raw in proc.stdout.split(b"\0"):
        if not raw:
            continue
        name = os.fsdecode(raw)
        if prefix and not name.startswith(prefix):
            continue
        rel = name[len(prefix):]
        if rel.split("/", 1)[0] == STATE_DIR:
            continue
        out.append(rel)
    return sorted(set(out))


def _walk_files(root: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
        )
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for name in filenames:
            out.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return sorted(out)


def discover(
    root: Path,
    include: tuple[str, ...] | list[str] = ("**/*.py",),
    exclude: tuple[str, ...] | list[str] = (),
    *,
    use_git: bool = True,
) -> Discovered:
    """List the files under ``root`` matching ``include`` and not ``exclude``."""
    root = root.resolve()
    names = _git_files(root) if use_git else None
    if names is None:
        names = _walk_files(root)
    files: list[str] = []
    links: list[str] = []
    for rel in names:
        if not matches_any(rel, include) or matches_any(rel, exclude):
            continue
        full = root / rel
        if full.is_symlink():
            links.append(rel)
        elif full.is_file():
            files.append(rel)
    return Discovered(tuple(files), tuple(links))
