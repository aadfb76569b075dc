"""The move map as lookups: where does a module, a symbol or a dotted string go now?

Shared by phase C (rewrites), the status/cleanup reference scan and the shim
generator, so every consumer agrees on what "legacy" means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from migrate.modindex import ModuleIndex
from migrate.spec import Spec

_DOTTED_STR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$")


@dataclass(frozen=True)
class MoveTable:
    module_moves: tuple[tuple[str, str], ...]  # (old, new), longest old first
    symbol_moves: tuple[tuple[tuple[str, str], tuple[str, str]], ...]  # ((mod, name), (mod, name))
    _symbols: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_symbols", dict(self.symbol_moves))

    @classmethod
    def from_spec(cls, spec: Spec) -> "MoveTable":
        mm = sorted(((m.old.module, m.new.module) for m in spec.module_moves), key=lambda p: -len(p[0]))
        sm = tuple(
            ((m.old.module, m.old.name), (m.new.module, m.new.name))  # type: ignore[misc]
            for m in spec.symbol_moves
        )
        return cls(tuple(mm), sm)

    # -- lookups -----------------------------------------------------------
    def resolve_module(self, module: str) -> str | None:
        """New name of ``module`` if it (or a package above it) moved."""
        for old, new in self.module_moves:
            if module == old:
                return new
            if module.startswith(old + "."):
                return new + module[len(old):]
        return None

    def resolve_symbol(self, module: str, name: str) -> tuple[str, str] | None:
        """New ``(module, name)`` for ``module:name`` if it moved."""
        hit = self._symbols.get((module, name))
        if hit:
            return hit
        new_mod = self.resolve_module(module)
        if new_mod:
            return new_mod, name
        return None

    def symbol_modules(self) -> frozenset[str]:
        """Modules that keep existing but had some symbols moved out of them."""
        return frozenset(old[0] for old, _ in self.symbol_moves)

    def is_legacy_module(self, module: str) -> bool:
        return self.resolve_module(module) is not None or module in self.symbol_modules()

    def partners(self, module: str) -> frozenset[str]:
        """Modules ``module`` forwards to or is forwarded from under this move map.

        A legacy module's imports of its canonical module (and a canonical or
        implementation module's imports of its legacy one) are the wiring the
        move relies on; rewriting them is how a module ends up importing itself.
        Every other import in those modules is an ordinary reference.
        """
        out: set[str] = set()
        new = self.resolve_module(module)
        if new is not None:
            out.add(new)
        for old, new in self.module_moves:
            if module == new or module.startswith(new + "."):
                out.add(old + module[len(new):])
        for (old_mod, _), (new_mod, _) in self.symbol_moves:
            if module == old_mod:
                out.add(new_mod)
            elif module == new_mod:
                out.add(old_mod)
        out.discard(module)
        return frozenset(out)

    def legacy_leaf_names(self) -> set[str]:
        leaves = {old.rsplit(".", 1)[-1] for old, _ in self.module_moves}
        leaves |= {mod.rsplit(".", 1)[-1] for mod in self.symbol_modules()}
        leaves |= {name for (_, name), _ in self.symbol_moves}
        return leaves

    def legacy_dotted_paths(self) -> list[str]:
        out = [old for old, _ in self.module_moves]
        out += [f"{mod}.{name}" for (mod, name), _ in self.symbol_moves]
        out += [f"{mod}:{name}" for (mod, name), _ in self.symbol_moves]
        return sorted(set(out), key=lambda p: (-len(p), p))  # deterministic order (payloads are cached by content)

    def rewrite_dotted(self, text: str, index: ModuleIndex | None = None) -> tuple[str | None, str]:
        """Rewrite a dotted-path string (``a.b.X``, ``a.b:X.y``) that names a moved target.

        Returns ``(new_text, "")`` on an exact, checkable match, ``(None, why)``
        when the string names a legacy target but cannot be rewritten safely,
        and ``(None, "")`` when it is not a legacy reference at all.
        """
        if not _DOTTED_STR.match(text):
            return None, ""
        if ":" in text:
            mod, _, attr = text.partition(":")
            head, _, rest = attr.partition(".")
            hit = self.resolve_symbol(mod, head)
            if not hit:
                return None, ""
            new_mod, new_name = hit
            if index is not None and not _exports(index, new_mod, new_name):
                return None, f"{new_mod} does not define {new_name}"
            if (
                index is not None
                and (mod, head) not in self._symbols
                and index.same_object((mod, head), (new_mod, new_name)) is False
            ):
                return None, f"{mod}.{head} and {new_mod}.{new_name} are different objects"
            return f"{new_mod}:{new_name}" + (f".{rest}" if rest else ""), ""
        parts = text.split(".")
        # Symbol moves first: they are more specific than the module move around them.
        for i in range(len(parts) - 1, 0, -1):
            mod, name = ".".join(parts[:i]), parts[i]
            hit = self._symbols.get((mod, name))
            if hit:
                rest = parts[i + 1:]
                return ".".join([hit[0], hit[1], *rest]), ""
        new = self.resolve_module(text)
        # A legacy module that is gone while its canonical module exists was moved before
        # the spec ran (git mv first): the string follows it like an import does.
        if new is not None and (index is None or index.exists(text) or index.exists(new)):
            return new, ""
        for i in range(len(parts) - 1, 0, -1):
            mod = ".".join(parts[:i])
            new_mod = self.resolve_module(mod)
            if new_mod is not None:
                if index is not None and not index.exists(mod) and not index.exists(new_mod):
                    continue  # not a module: a shorter prefix may be
                name = parts[i]
                if index is not None and not _exports(index, new_mod, name):
                    return None, f"{new_mod} does not define {name}"
                if index is not None and index.same_object((mod, name), (new_mod, name)) is False:
                    return None, f"{mod}.{name} and {new_mod}.{name} are different objects"
                return ".".join([new_mod, *parts[i:]]), ""
        if new is not None:
            return None, f"{text} does not exist in this repository"
        return None, ""


def _exports(index: ModuleIndex, module: str, name: str) -> bool:
    exp = index.get(module)
    if exp is None:
        # A submodule of an indexed package (``pkg.new.sub``) counts as existing.
        return index.get(f"{module}.{name}") is not None
    return exp.defines(name) or index.get(f"{module}.{name}") is not None


def module_defines(index: ModuleIndex, module: str, name: str) -> bool | None:
    """True/False when known statically; None when the module is not indexed."""
    exp = index.get(module)
    if exp is None:
        return None
    return exp.defines(name) or index.get(f"{module}.{name}") is not None
