"""Which legacy paths were hit, how often, and from where.

Phase E deletes a shim only with evidence that nothing uses it; this is that
evidence.  Counting is in-process and cheap (a dict lookup and an
``itertools.count`` step per hit, no lock); the JSON file is written once,
at interpreter exit, when ``SSOT_SHIMS_USAGE_FILE`` names a file.

Schema (``version`` 1; readers must refuse a higher version)::

    {
      "version": 1,
      "registered": [            # every shim this/these processes loaded
        {"shim": "pkg.old", "legacy": "pkg.old", "target": "pkg.new",
         "kind": "module", "since": "1.0", "remove_in": "2.0"}
      ],
      "hits": [                  # one row per (shim, legacy, target, kind, file, line)
        {"shim": "pkg.old", "legacy": "pkg.old.sub", "target": "pkg.new.sub",
         "kind": "submodule", "file": "/abs/app.py", "line": 12, "count": 3}
      ]
    }

* ``shim``: the module whose ``forward_module``/``forward_symbols`` call made
  the forward (the file Phase E would delete).
* ``legacy``/``target``: dotted module paths, or ``module:Name`` for symbols.
* ``kind``: ``module`` (the legacy module itself or an attribute of it),
  ``submodule`` (``legacy.sub`` served as ``canonical.sub``) or ``symbol``.
* ``file``/``line``: the user's line (``co_filename`` as Python reports it;
  ``"<unknown>"``/0 when only import machinery was on the stack).
* ``count``: resolutions attributed to that line.  One statement counts once
  (``from pkg import X`` reaches the shim twice, deduplicated); re-running the
  line counts again.  Introspection (inspect, pydoc) is not counted.

The file is *merged*: counts are added to what is already there, under an
exclusive lock on ``<file>.lock`` (fcntl on POSIX, msvcrt on Windows), and
written atomically (temp file in the same directory, then ``os.replace``), so
many processes (pytest-xdist workers, subprocesses) can share one file.  An
unreadable existing file is moved aside to ``<file>.corrupt`` rather than lost.
Processes that end with ``os._exit`` (or are killed) write nothing.
"""

import atexit
import os
import sys
from _thread import allocate_lock
from itertools import count  # noqa: F401  (forward.py counts through it)

ENV_USAGE_FILE = "SSOT_SHIMS_USAGE_FILE"
SCHEMA_VERSION = 1

_lock = allocate_lock()
# (route, file, line) -> itertools.count: dict.setdefault and next() are each one
# C call, so concurrent hits are counted exactly without taking a lock per hit.
_counts: dict = {}
_registered: dict = {}  # route -> None (ordered set)


def register(route) -> None:
    with _lock:
        _registered[route] = None


def record(key) -> None:
    """Count one hit of ``key = (route, filename, lineno)``."""
    counter = _counts.get(key)
    if counter is None:
        counter = _counts.setdefault(key, count())
    next(counter)


def _value(counter) -> int:
    return int(repr(counter)[6:-1])  # "count(N)": N hits so far


def _route_fields(route) -> dict:
    return {"shim": route.shim, "legacy": route.legacy, "target": route.target, "kind": route.kind}


def usage(*, reset: bool = False) -> dict:
    """This process's usage as a plain dict in the file schema (see module doc)."""
    with _lock:
        counts = [(k, _value(c)) for k, c in list(_counts.items())]
        registered = list(_registered)
        if reset:
            _counts.clear()
    hits: dict = {}
    for (route, filename, lineno), n in counts:
        if not n:
            continue
        key = (route.shim, route.legacy, route.target, route.kind, filename, lineno)
        hits[key] = hits.get(key, 0) + n
    regs: dict = {}
    for route in registered:
        key = (route.shim, route.legacy, route.target, route.kind)
        regs[key] = {**_route_fields(route), "since": route.since, "remove_in": route.remove_in}
    return {
        "version": SCHEMA_VERSION,
        "registered": [regs[k] for k in sorted(regs)],
        "hits": [
            {"shim": k[0], "legacy": k[1], "target": k[2], "kind": k[3], "file": k[4], "line": k[5], "count": n}
            for k, n in sorted(hits.items())
        ],
    }


def merge(into: dict, new: dict) -> dict:
    """Merge two schema-1 documents (counts add up, registrations are a union)."""
    regs: dict = {}
    for doc in (into, new):
        for r in doc.get("registered", []):
            regs[(r["shim"], r["legacy"], r["target"], r["kind"])] = r
    hits: dict = {}
    for doc in (into, new):
        for h in doc.get("hits", []):
            key = (h["shim"], h["legacy"], h["target"], h["kind"], h["file"], int(h["line"]))
            hits[key] = hits.get(key, 0) + int(h["count"])
    return {
        "version": SCHEMA_VERSION,
        "registered": [regs[k] for k in sorted(regs)],
        "hits": [
            {"shim": k[0], "legacy": k[1], "target": k[2], "kind": k[3], "file": k[4], "line": k[5], "count": n}
            for k, n in sorted(hits.items())
        ],
    }


class _FileLock:
    """Exclusive advisory lock on a sidecar file (blocking)."""

    def __init__(self, path: str):
        self.path = path
        self.fd = -1

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            import fcntl
        except ImportError:  # Windows
            import msvcrt
            import time

            for _ in range(600):
                try:
                    msvcrt.locking(self.fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
        else:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        try:
            try:
                import fcntl

                fcntl.flock(self.fd, fcntl.LOCK_UN)
            except ImportError:  # Windows
                import msvcrt

                try:
                    os.lseek(self.fd, 0, 0)
                    msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
                except OSError:
                    pass
        finally:
            os.close(self.fd)


def write_usage(path: str, doc: dict | None = None) -> None:
    """Merge ``doc`` (default: this process's usage) into the JSON file at ``path``."""
    import json

    if doc is None:
        doc = usage()
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    with _FileLock(path + ".lock"):
        existing: dict = {"version": SCHEMA_VERSION, "registered": [], "hits": []}
        try:
            with open(path, encoding="utf-8") as fh:
                loaded = json.load(fh)
            if not isinstance(loaded, dict) or loaded.get("version") != SCHEMA_VERSION:
                raise ValueError("unknown usage schema")
            existing = loaded
        except FileNotFoundError:
            pass
        except (ValueError, KeyError, TypeError, OSError):
            try:
                os.replace(path, path + ".corrupt")
            except OSError:
                pass
        try:
            merged = merge(existing, doc)
        except (KeyError, TypeError, ValueError):
            merged = merge({}, doc)
        tmp = os.path.join(directory, ".%s.%d.%s.tmp" % (os.path.basename(path), os.getpid(), os.urandom(4).hex()))
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(merged, fh, indent=1, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _at_exit() -> None:
    path = os.environ.get(ENV_USAGE_FILE)
    if not path:
        return
    with _lock:
        empty = not _counts and not _registered
    if empty:
        return
    try:
        write_usage(path)
    except Exception as exc:  # never turn a clean exit into a failure
        try:
            sys.stderr.write(f"shims: could not write usage file {path!r}: {exc}\n")
        except Exception:
            pass


def _after_fork_in_child() -> None:
    # The parent reports its own hits; a forked child starts counting from zero.
    global _lock
    _lock = allocate_lock()
    _counts.clear()


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
