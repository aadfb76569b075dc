"""Shims: legacy import paths keep working, forwarding to the canonical code.

What it does
    For every ``[[move]]`` of a whole module, the legacy module's file becomes
    a generated shim (``from shims import forward_module; forward_module(...)``)
    that hands out the canonical objects themselves and warns at the caller's
    line, and a ``.pyi`` stub beside it declares the forwarded classes and
    functions ``@deprecated`` for type checkers.  When the legacy module no
    longer exists (``git mv`` first), the shim is created at the legacy path,
    with the package ``__init__.py`` files that path needs.  For a symbol move
    whose name was deleted from the legacy module, a ``forward_symbols`` block
    is appended to that module (or the module is created with it).  It runs
    as a journaled step (``ssot-migrate shim generate``), so ``ssot-migrate
    rollback S`` restores every file byte for byte and removes created ones.

Runtime
    ``--runtime installed`` (default): shims import the ``shims`` package (the
    ``ssot-migrate`` distribution).  ``--runtime vendored``: the runtime's
    modules are written into the user's package as ``<top>._ssot_shims``
    (stdlib only) and the shims import that, so production needs nothing.

What it never does
    Drop behaviour: a legacy module that defines a public name the canonical
    module lacks, or binds it to a different object (its own factory, its own
    registry), is left alone and reported (S101) unless ``--force``, which
    names every dropped definition.  Legacy packages (``__init__.py`` with
    submodules on disk) are reported (S102), not converted.  A module named
    ``shims`` in the source roots would shadow the installed runtime: S103,
    nothing generated (use ``--runtime vendored``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import shims
from migrate.errors import UsageError
from migrate.phase import Phase, RunContext
from migrate.results import FileOutcome, Report, Severity, Status
from shims.generator import (
    ShimSpec,
    SymbolForward,
    is_generated,
    render_module_shim,
    render_package_init,
    render_stub,
    render_symbol_block,
    split_symbol_block,
)

from . import register
from .moves import module_defines

RUNTIMES = ("installed", "vendored")
VENDORED_NAME = "_ssot_shims"
# The runtime's modules: everything in the package but the dev-time generator and verifier.
_RUNTIME_DIR = Path(shims.__file__).resolve().parent
_DEV_ONLY = ("generator.py", "verifier.py")


def runtime_files() -> list[Path]:
    return sorted(p for p in _RUNTIME_DIR.glob("*.py") if p.name not in _DEV_ONLY)


@dataclass(frozen=True)
class _Shim:
    path: str  # the legacy module's file
    spec: ShimSpec
    blockers: tuple[str, ...]  # public names that would be lost or change identity
    names: tuple[str, ...]  # names the stub declares
    canonical_path: str
    package: bool
    create: bool = False  # the legacy module does not exist (git mv first): created here
    inits: tuple[str, ...] = ()  # package __init__.py files the created path needs


@dataclass(frozen=True)
class _Symbols:
    path: str  # the legacy module's file
    legacy: str
    forwards: tuple[SymbolForward, ...]
    create: bool = False
    inits: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Payload:
    files: dict  # existing file -> _Shim | _Symbols
    created: tuple  # _Shim | _Symbols whose file does not exist yet
    runtime: str  # the module generated files import: "shims" or "<top>._ssot_shims"
    vendor_dir: str | None  # repo-relative folder of the vendored runtime
    reports: tuple[Report, ...] = ()


def _root_of(index, rel: str) -> str:
    """The source root (repo-relative, "" or ending in "/") that holds ``rel``."""
    for sr in index.source_roots:  # longest first
        prefix = "" if sr in ("", ".") else sr.rstrip("/") + "/"
        if rel.startswith(prefix):
            return prefix
    return ""


def _deleted_by_phase_e(spec) -> frozenset[str]:
    """Files an applied phase E deleted: legacy paths removed on purpose are not created again."""
    from migrate.state import APPLIED, State

    state = State(spec.root)
    entry = state.read_ledger().get("E")
    if entry is None or entry.status != APPLIED:
        return frozenset()
    return frozenset(rec.path for rec in state.read_journal("E").files if rec.after is None)


def _new_module_path(spec, index, legacy: str, near: str, package: bool) -> tuple[str, tuple[str, ...]]:
    """Where a missing legacy module goes (the source root of ``near``) and the __init__.py files to create."""
    prefix = _root_of(index, near)
    parts = legacy.split(".")
    inits = []
    for i in range(1, len(parts)):
        folder = prefix + "/".join(parts[:i])
        if not (spec.root / folder).exists():
            inits.append(folder + "/__init__.py")  # a folder that exists without one is a namespace package: left as is
    rel = prefix + "/".join(parts) + ("/__init__.py" if package else ".py")
    return rel, tuple(inits)
@register
class PhaseS(Phase):
    """S (shims): legacy modules become forwarding shims with deprecated stubs."""

    letter = "S"
    title = "shims"
    needs = ()
    python_sources = False  # generated from scratch; `shim verify` imports and checks them
    record_empty_apply = False  # re-running the generator is normal

    def prepare(self, spec, index, options):  # type: ignore[override]
        mode = options.extra.get("runtime") or "installed"
        if mode not in RUNTIMES:
            raise UsageError(f"--runtime must be one of {', '.join(RUNTIMES)}, not {mode!r}")
        files: dict = {}
        created: list = []
        whole: set[str] = set()
        canonicals: list[str] = []
        for i, mv in enumerate(spec.moves):
            if not mv.is_module_move:
                continue
            old, new = mv.old.module, mv.new.module
            exp, target = index.get(old), index.get(new)
            if target is None:
                continue
            whole.add(old)
            canonicals.append(target.path)
            sspec = ShimSpec(old, new, mv.since, mv.remove_in, spec.distribution, spec.version, f"move[{i}]")
            names = tuple(sorted(n for n in (target.star_names() or target.names) if not n.startswith("_")))
            if exp is None:  # git mv first: the legacy module is gone
                package = target.path.endswith("__init__.py")
                rel, inits = _new_module_path(spec, index, old, target.path, package)
                created.append(_Shim(rel, sspec, (), names, target.path, False, True, inits))
                continue
            blockers = []
            for name in sorted(exp.names):
                if name.startswith("_"):
                    continue
                if not module_defines(index, new, name) or index.same_object((old, name), (new, name)) is False:
                    if exp.bindings.get(name, ("def",))[0] == "import" and name not in (exp.all_names or ()):
                        continue  # an imported helper module (``import warnings``), not part of the API
                    blockers.append(name)
            files[exp.path] = _Shim(exp.path, sspec, tuple(blockers), names, target.path, exp.path.endswith("__init__.py"))
        symbols: dict[str, list[SymbolForward]] = {}
        for i, mv in enumerate(spec.moves):
            if mv.is_module_move or mv.old.module in whole:
                continue
            target = index.get(mv.new.module)
            exp = index.get(mv.old.module)
            if target is None or module_defines(index, mv.new.module, mv.new.name.split(".")[0]) is False:
                continue  # nothing to forward to (phase C reports the spec's dangling targets)
            if exp is not None and mv.old.name in exp.names:
                continue  # the legacy module still defines the name
            canonicals.append(target.path)
            fwd = SymbolForward(mv.old.name, f"{mv.new.module}:{mv.new.name}", mv.since, mv.remove_in, spec.distribution, spec.version, f"move[{i}]")
            symbols.setdefault(mv.old.module, []).append(fwd)
        for legacy, fwds in symbols.items():
            exp = index.get(legacy)
            if exp is not None:
                files[exp.path] = _Symbols(exp.path, legacy, tuple(fwds))
            else:
                near = index.get(fwds[0].target.partition(":")[0]).path
                rel, inits = _new_module_path(spec, index, legacy, near, False)
                created.append(_Symbols(rel, legacy, tuple(fwds), True, inits))
        removed = _deleted_by_phase_e(spec) if created else frozenset()
        created = [c for c in created if c.path not in removed]
        runtime, vendor_dir = "shims", None
        if mode == "vendored" and canonicals:
            prefix = _root_of(index, canonicals[0])
            top = canonicals[0][len(prefix):].split("/")[0]
            if top.endswith(".py"):  # a top-level module, not a package: vendor at the source root
                runtime, vendor_dir = VENDORED_NAME, prefix + VENDORED_NAME
            else:
                runtime, vendor_dir = f"{top}.{VENDORED_NAME}", f"{prefix}{top}/{VENDORED_NAME}"
        elif files or created:
            for sr in spec.source_roots:
                for cand in (sr / "shims", sr / "shims.py"):
                    if cand.exists() and cand.resolve() != _RUNTIME_DIR:
                        raise UsageError(
                            f"{cand} would shadow the shims runtime (generated shims import 'shims'): "
                            "rename it, or use `shim generate --runtime vendored`"
                        )
        return _Payload(files, tuple(created), runtime, vendor_dir)

    def include(self, ctx: RunContext) -> tuple[str, ...]:
        return tuple(ctx.payload.files) or ("**/*.py",)

    def wants(self, ctx: RunContext, path: str) -> bool:
        return path in ctx.payload.files

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        item = ctx.payload.files[path]
        newline = "\r\n" if b"\r\n" in data else "\n"
        if isinstance(item, _Symbols):
            nl = newline.encode()
            base, rest = split_symbol_block(data)
            if base and not base.endswith(b"\n"):
                base += nl
            if base.strip() and not base.endswith(nl + nl):
                base += nl
            block = render_symbol_block(list(item.forwards), runtime=ctx.payload.runtime, newline=newline).encode()
            after = base + block + rest
            if after == data:
                return FileOutcome(path, Status.UNCHANGED)
            return FileOutcome(path, Status.CHANGED, before=data, after=after, edits=1)
        shim: _Shim = item
        force = bool(ctx.options.extra.get("force"))
        if shim.package:
            return FileOutcome(
                path,
                Status.UNCHANGED,
                reports=(Report(path, 1, "S102", f"{shim.spec.legacy} is a package; convert it by hand (not generated)", Severity.WARNING),),
            )
        reports = []
        if shim.blockers and not is_generated(data):
            msg = (
                f"{shim.spec.legacy} defines {', '.join(shim.blockers)} itself (missing from, or a different object in, "
                f"{shim.spec.target})"
            )
            if not force:
                return FileOutcome(
                    path, Status.UNCHANGED, reports=(Report(path, 1, "S101", msg + ": a shim would drop them; not generated (--force drops them)", Severity.WARNING),)
                )
            reports.append(Report(path, 1, "S101", msg + ": dropped (--force)", Severity.WARNING))
        after = render_module_shim(shim.spec, runtime=ctx.payload.runtime, newline=newline).encode()
        if after == data:
            return FileOutcome(path, Status.UNCHANGED)
        return FileOutcome(path, Status.CHANGED, before=data, after=after, edits=1, reports=tuple(reports))

    def generate(self, ctx: RunContext) -> list[FileOutcome]:
        out: list[FileOutcome] = []
        root = ctx.spec.root
        force = bool(ctx.options.extra.get("force"))
        payload: _Payload = ctx.payload
        wanted: dict[str, bytes] = {}  # files this run creates or refreshes outside the per-file pass
        for item in payload.created:
            for init in item.inits:
                wanted.setdefault(init, render_package_init(item.legacy if isinstance(item, _Symbols) else item.spec.legacy).encode())
            if isinstance(item, _Symbols):
                wanted[item.path] = render_symbol_block(list(item.forwards), runtime=payload.runtime).encode()
            else:
                wanted[item.path] = render_module_shim(item.spec, runtime=payload.runtime).encode()
        module_shims = [i for i in (*payload.files.values(), *payload.created) if isinstance(i, _Shim)]
        for shim in module_shims:
            if shim.package:
                continue
            legacy_file = root / shim.path
            if shim.blockers and not force and not (legacy_file.exists() and is_generated(legacy_file.read_bytes())):
                continue
            canonical = (root / shim.canonical_path).read_bytes()
            wanted[str(PurePosixPath(shim.path).with_suffix(".pyi"))] = render_stub(shim.spec, canonical, list(shim.names)).encode()
        if payload.vendor_dir and (payload.files or payload.created):
            for src in runtime_files():
                wanted[f"{payload.vendor_dir}/{src.name}"] = src.read_bytes()
        for rel, content in sorted(wanted.items()):
            path = root / rel
            if path.is_symlink():
                out.append(FileOutcome(rel, Status.SKIPPED, reason="symbolic link: never written through"))
                continue
            current = path.read_bytes() if path.exists() else None
            if current == content:
                continue
            out.append(FileOutcome(rel, Status.CHANGED, before=current, after=content, edits=1))
        return out
