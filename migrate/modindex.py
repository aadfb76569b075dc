"""Map module names to files and know what a module defines.

Phase C must never "fix" an import that fails today (an import from a module
that does not exist, or of a name it does not define, often sits in a
``try/except ImportError`` whose fallback is the intended path), and must
never emit an import the canonical module cannot satisfy.  Both need a small
static index of the modules the move map names.  It is computed once in the
parent process from ``ast`` (no execution) and shipped to workers as frozen
data; only modules under the move map are indexed, never the whole repo.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .spec import Spec


@dataclass(frozen=True)
class Exports:
    """What ``from <module> import <name>`` can find in a module, statically."""

    module: str
    path: str  # repo-relative
    names: frozenset[str]
    submodules: frozenset[str]
    dynamic: bool = False  # module-level __getattr__ or an unresolvable star import
    #: name -> how it is bound: ("def",), ("from", module, name), ("import", module), ("alias", name)
    bindings: dict = field(default_factory=dict, compare=False)
    #: name -> the definition it finally refers to ("pkg.mod:Name", a module name, or "?")
    origins: dict = field(default_factory=dict, compare=False)
    all_names: frozenset[str] | None = None  # a literal __all__, when the module has one

    def star_names(self) -> frozenset[str] | None:
        """What ``from module import *`` binds; None when it cannot be known statically."""
        if self.dynamic:
            return None
        if self.all_names is not None:
            return self.all_names
        return frozenset(n for n in self.names if not n.startswith("_"))

    def defines(self, name: str) -> bool:
        return self.dynamic or name in self.names or name in self.submodules


@dataclass(frozen=True)
class ModuleIndex:
    root: str
    source_roots: tuple[str, ...]  # repo-relative POSIX, "" for the root itself
    modules: dict[str, Exports] = field(default_factory=dict)
    #: (old, new) module pairs whose moves say ``identity = "assume"``: a copy the user vouches for
    assumed_identity: tuple[tuple[str, str], ...] = ()

    def get(self, module: str) -> Exports | None:
        return self.modules.get(module)

    def exists(self, module: str) -> bool:
        return module in self.modules

    def origin(self, module: str, name: str) -> str | None:
        """Where ``module.name`` is finally defined, if known statically."""
        exp = self.modules.get(module)
        if exp is None:
            return None
        got = exp.origins.get(name)
        return None if got in (None, "?") else got

    def same_object(self, a: tuple[str, str], b: tuple[str, str]) -> bool | None:
        """True/False when provable from the source (or vouched for by the spec); None when it cannot be told."""
        if a[1] == b[1] and self._assumed(a[0], b[0]):
            return True
        oa, ob = self.origin(*a), self.origin(*b)
        if oa is None or ob is None:
            return None
        return oa == ob

    def _assumed(self, x: str, y: str) -> bool:
        for old, new in self.assumed_identity:
            for p, q in ((x, y), (y, x)):
                if p == old and q == new or p.startswith(old + ".") and q == new + p[len(old):]:
                    return True
        return False

    def module_for_path(self, rel: str) -> tuple[str, bool] | None:
        """Return ``(module name, is_package)`` for a repo-relative file, if importable."""
        return module_name_for(rel, self.source_roots)


def module_name_for(rel: str, source_roots: Iterable[str]) -> tuple[str, bool] | None:
    if not rel.endswith(".py"):
        return None
    best: tuple[str, bool] | None = None
    best_len = -1
    for sr in source_roots:
        prefix = "" if sr in ("", ".") else sr.rstrip("/") + "/"
        if prefix and not rel.startswith(prefix):
            continue
        if len(prefix) <= best_len:
            continue
        parts = rel[len(prefix):-3].split("/")
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        if not parts or not all(p.isidentifier() for p in parts):
            continue
        best = (".".join(parts), is_pkg)
        best_len = len(prefix)
    return best


def _rel_roots(spec: Spec) -> tuple[str, ...]:
    out = []
    for sr in spec.source_roots:
        try:
            rel = sr.resolve().relative_to(spec.root).as_posix()
        except ValueError:
            continue
        out.append("" if rel == "." else rel)
    # Longest first so that ``src/`` wins over the root.
    return tuple(sorted(set(out), key=len, reverse=True))


def find_module_file(spec: Spec, module: str) -> Path | None:
    parts = module.split(".")
    for sr in spec.source_roots:
        base = sr.joinpath(*parts)
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
    return None


def _module_exports(module: str, path: Path, spec: Spec, seen: set[str]) -> Exports:
    rel = path.resolve().relative_to(spec.root).as_posix()
    names: set[str] = set()
    all_names: frozenset[str] | None = None
    bindings: dict[str, tuple] = {}
    dynamic = False
    subs: set[str] = set()
    if path.name == "__init__.py":
        for child in path.parent.iterdir():
            if child.suffix == ".py" and child.stem != "__init__" and child.stem.isidentifier():
                subs.add(child.stem)
            elif child.is_dir() and (child / "__init__.py").is_file():
                subs.add(child.name)
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return Exports(module, rel, frozenset(), frozenset(subs), dynamic=True)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _top_level_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            _bind(bindings, node.name, ("def",))
            if node.name == "__getattr__":
                dynamic = True
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = getattr(node, "value", None)
            if (
                any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
                and isinstance(value, (ast.List, ast.Tuple))
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)
            ):
                all_names = frozenset(e.value for e in value.elts)  # type: ignore[attr-defined]
            for t in targets:
                for n in ast.walk(t):
                    if isinstance(n, ast.Name):
                        names.add(n.id)
                        simple = isinstance(t, ast.Name) and isinstance(value, ast.Name) and not isinstance(node, ast.AugAssign)
                        _bind(bindings, n.id, ("alias", value.id) if simple else ("def",))  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            for a in node.names:
                local = a.asname or a.name.split(".")[0]
                names.add(local)
                _bind(bindings, local, ("import", a.name if a.asname else local))
        elif isinstance(node, ast.ImportFrom):
            src = resolve_relative(package, node.level, node.module) if node.level else node.module
            for a in node.names:
                if a.name == "*":
                    star = _star_names(src, spec, seen) if src else None
                    if star is None:
                        dynamic = True
                    else:
                        names |= star
                        for n in star:
                            _bind(bindings, n, ("from", src, n))
                else:
                    names.add(a.asname or a.name)
                    _bind(bindings, a.asname or a.name, ("from", src, a.name) if src else ("def",))
        elif hasattr(ast, "TypeAlias") and isinstance(node, getattr(ast, "TypeAlias")):
            names.add(node.name.id)  # type: ignore[attr-defined]
            _bind(bindings, node.name.id, ("def",))  # type: ignore[attr-defined]
    return Exports(module, rel, frozenset(names), frozenset(subs), dynamic, bindings, all_names=all_names)


def _bind(bindings: dict[str, tuple], name: str, how: tuple) -> None:
    """A name bound twice at module level (e.g. in try/except) has no single origin."""
    if name in bindings and bindings[name] != how:
        bindings[name] = ("ambiguous",)
    else:
        bindings[name] = how


def block_statements(body: list[ast.stmt], *, with_blocks: bool = True) -> Iterator[ast.stmt]:
    """The statements of a module or class body, looking into if/try (and with) blocks.

    Conditional definitions bind names in the enclosing namespace as much as plain ones.
    """
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from block_statements(node.body, with_blocks=with_blocks)
            yield from block_statements(node.orelse, with_blocks=with_blocks)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            yield from block_statements(node.body, with_blocks=with_blocks)  # type: ignore[attr-defined]
            for h in node.handlers:  # type: ignore[attr-defined]
                yield from block_statements(h.body, with_blocks=with_blocks)
            yield from block_statements(node.orelse, with_blocks=with_blocks)  # type: ignore[attr-defined]
            yield from block_statements(node.finalbody, with_blocks=with_blocks)  # type: ignore[attr-defined]
        elif with_blocks and isinstance(node, (ast.With, ast.AsyncWith)):
            yield from block_statements(node.body, with_blocks=with_blocks)


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking into if/try/with blocks (conditional definitions)."""
    return block_statements(body)


def _star_names(module: str, spec: Spec, seen: set[str]) -> set[str] | None:
    if module in seen:
        return set()
    path = find_module_file(spec, module)
    if path is None:
        return None
    seen.add(module)
    exp = _module_exports(module, path, spec, seen)
    if exp.dynamic:
        return None
    return {n for n in exp.names if not n.startswith("_")}


def resolve_relative(package: str, level: int, module: str | None) -> str | None:
    """Resolve ``from .{level} module import`` against ``package``; None if it escapes."""
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or (level - 1 == len(parts) and not module):
        return None
    base = parts[: len(parts) - (level - 1)]
    if not base and not module:
        return None
    return ".".join(base + ([module] if module else []))


def build_index(spec: Spec, extra_modules: Iterable[str] = ()) -> ModuleIndex:
    """Index every module the move map names, their submodules and parents."""
    wanted: set[str] = set(extra_modules)
    for mv in spec.moves:
        for mod in (mv.old.module, mv.new.module):
            wanted.add(mod)
            parts = mod.split(".")
            for i in range(1, len(parts)):
                wanted.add(".".join(parts[:i]))
    modules: dict[str, Exports] = {}
    todo = sorted(wanted)
    while todo:
        mod = todo.pop()
        if mod in modules:
            continue
        path = find_module_file(spec, mod)
        if path is None:
            continue
        exp = _module_exports(mod, path, spec, set())
        modules[mod] = exp
        # Submodules of moved packages move too; index them so imports of
        # ``old.sub`` can be checked.
        if any(mod == m.old.module or mod.startswith(m.old.module + ".") for m in spec.module_moves) or any(
            mod == m.new.module or mod.startswith(m.new.module + ".") for m in spec.module_moves
        ):
            todo.extend(f"{mod}.{s}" for s in exp.submodules)
    _resolve_origins(spec, modules)
    assumed = tuple((m.old.module, m.new.module) for m in spec.module_moves if m.identity == "assume")
    return ModuleIndex(str(spec.root), _rel_roots(spec), modules, assumed)


def _resolve_origins(spec: Spec, modules: dict[str, Exports]) -> None:
    """Follow import chains to the defining module, parsing repo modules on demand."""
    extra: dict[str, Exports | None] = {}

    def get(mod: str) -> Exports | None:
        if mod in modules:
            return modules[mod]
        if mod not in extra:
            path = find_module_file(spec, mod)
            extra[mod] = _module_exports(mod, path, spec, set()) if path else None
        return extra[mod]

    def resolve(mod: str, name: str) -> str:
        for _ in range(32):
            exp = get(mod)
            if exp is None:
                return f"{mod}:{name}"  # outside the repository: that path is the identity
            how = exp.bindings.get(name)
            if how is None:
                return f"{mod}.{name}" if name in exp.submodules else "?"
            kind = how[0]
            if kind == "def":
                return f"{mod}:{name}"
            if kind == "import":
                return how[1]
            if kind == "alias":
                name = how[1]
                continue
            if kind == "from" and how[1]:
                sub = f"{how[1]}.{how[2]}"
                target = get(how[1])
                if target is not None and how[2] not in target.bindings and how[2] in target.submodules:
                    return sub
                mod, name = how[1], how[2]
                continue
            return "?"
        return "?"

    for mod, exp in modules.items():
        for name in exp.bindings:
            exp.origins[name] = resolve(mod, name)


def validate_moves(spec: Spec, index: ModuleIndex) -> list[str]:
    """Problems with the move map that need the repository to detect."""
    errors: list[str] = []
    for i, mv in enumerate(spec.moves):
        where = f"move[{mv.index if mv.index >= 0 else i}] ({mv.old} -> {mv.new})"
        legacy = index.get(mv.old.module) if mv.old.name else None
        if legacy is not None and mv.old.name != mv.new.name and not legacy.defines(mv.old.name):  # type: ignore[arg-type]
            # A name moved out and deleted (renamed or not) is a legitimate move: phase C rewrites
            # its imports and `shim generate` forwards it.  One the legacy module nearly defines
            # is a typo: one edit would silently disappear.
            close = difflib.get_close_matches(mv.old.name or "", sorted(legacy.names), n=1)
            if close:
                errors.append(
                    f"{where}: 'from' module {mv.old.module!r} ({legacy.path}) does not define {mv.old.name!r} "
                    f"(did you mean {close[0]!r}?)"
                )
        target = index.get(mv.new.module)
        if target is None:
            errors.append(f"{where}: target module {mv.new.module!r} not found under the source roots")
            continue
        if mv.new.name and not target.defines(mv.new.name):
            errors.append(
                f"{where}: target module {mv.new.module!r} ({target.path}) does not define or export "
                f"{mv.new.name!r}"
            )
    return errors
