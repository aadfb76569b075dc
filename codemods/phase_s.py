"""Shims: rewrite each legacy module of a module move as a forwarding shim, plus a ``.pyi``.

What it does
    For every ``[[move]]`` of a whole module, the legacy module's file becomes
    a generated shim (``from shims import forward_module; forward_module(...)``)
    that hands out the canonical objects themselves and warns at the caller's
    line, and a ``.pyi`` stub beside it declares the forwarded classes and
    functions ``@deprecated`` for type checkers.  It runs as a journaled step
    (``ssot-migrate shim generate``), so ``ssot-migrate rollback S`` restores
    the original files byte for byte.

What it never does
    Drop behaviour: a legacy module that defines a public name the canonical
    module lacks, or binds it to a different object (its own factory, its own
    registry), is left alone and reported (S101) unless ``--force``, which
    names every dropped definition.  Legacy packages (``__init__.py`` with
    submodules on disk) are reported (S102), not converted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from migrate.phase import Phase, RunContext
from migrate.results import FileOutcome, Report, Severity, Status
from shims.generator import ShimSpec, is_generated, render_module_shim, render_stub

from . import register
from .moves import module_defines


@dataclass(frozen=True)
class _Shim:
    path: str  # the legacy module's file
    spec: ShimSpec
    blockers: tuple[str, ...]  # public names that would be lost or change identity
    names: tuple[str, ...]  # names the stub declares
    canonical_path: str
    package: bool


@register
class PhaseS(Phase):
    """S (shims): legacy modules become forwarding shims with deprecated stubs."""

    letter = "S"
    title = "shims"
    needs = ()
    python_sources = False  # generated from scratch; `shim verify` imports and checks them
    record_empty_apply = False  # re-running the generator is normal

    def prepare(self, spec, index, options):  # type: ignore[override]
        shims: dict[str, _Shim] = {}
        for i, mv in enumerate(spec.moves):
            if not mv.is_module_move:
                continue
            old, new = mv.old.module, mv.new.module
            exp, target = index.get(old), index.get(new)
            if exp is None or target is None:
                continue
            blockers = []
            for name in sorted(exp.names):
                if name.startswith("_"):
                    continue
                if not module_defines(index, new, name) or index.same_object((old, name), (new, name)) is False:
                    if exp.bindings.get(name, ("def",))[0] == "import" and name not in (exp.all_names or ()):
                        continue  # an imported helper module (``import warnings``), not part of the API
                    blockers.append(name)
            names = sorted(n for n in (target.star_names() or target.names) if not n.startswith("_"))
            shims[exp.path] = _Shim(
                exp.path,
                ShimSpec(old, new, mv.since, mv.remove_in, spec.distribution, spec.version, f"move[{i}]"),
                tuple(blockers),
                tuple(names),
                target.path,
                exp.path.endswith("__init__.py"),
            )
        return shims

    def include(self, ctx: RunContext) -> tuple[str, ...]:
        return tuple(ctx.payload) or ("**/*.py",)

    def wants(self, ctx: RunContext, path: str) -> bool:
        return path in ctx.payload

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        shim: _Shim = ctx.payload[path]
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
        newline = "\r\n" if b"\r\n" in data else "\n"
        after = render_module_shim(shim.spec, newline=newline).encode()
        if after == data:
            return FileOutcome(path, Status.UNCHANGED)
        return FileOutcome(path, Status.CHANGED, before=data, after=after, edits=1, reports=tuple(reports))

    def generate(self, ctx: RunContext) -> list[FileOutcome]:
        out = []
        force = bool(ctx.options.extra.get("force"))
        for shim in ctx.payload.values():
            if shim.package:
                continue
            legacy_file = ctx.spec.root / shim.path
            if shim.blockers and not force and not (legacy_file.exists() and is_generated(legacy_file.read_bytes())):
                continue
            stub_rel = str(PurePosixPath(shim.path).with_suffix(".pyi"))
            canonical = (ctx.spec.root / shim.canonical_path).read_bytes()
            content = render_stub(shim.spec, canonical, list(shim.names)).encode()
            stub = ctx.spec.root / stub_rel
            if stub.is_symlink():
                out.append(FileOutcome(stub_rel, Status.SKIPPED, reason="symbolic link: never written through"))
                continue
            current = stub.read_bytes() if stub.exists() else None
            if current == content:
                continue
            out.append(FileOutcome(stub_rel, Status.CHANGED, before=current, after=content, edits=1))
        return out
