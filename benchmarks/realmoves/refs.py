"""References to module and symbol paths in a Python tree, read with ``ast``.

A *reference* is one occurrence of a dotted path in a file: an ``import`` alias, a
``from ... import`` alias (relative imports resolved), a string constant that is exactly a
dotted path (``mock.patch`` targets, ``import_module`` arguments, string annotations), or the
outermost ``a.b.c`` attribute chain. Each is keyed by ``(kind, target)`` so that two versions
of a file can be compared by counting keys: reformatting or merging imports changes no key,
rewriting a path removes one key and adds another.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$")


@dataclass
class FileRefs:
    """The references of one file: key -> line numbers, plus the file's top-level bindings."""

    refs: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    parsed: bool = True
    bindings: set[str] = field(default_factory=set)
    permissive: bool = False  # a star import or a module __getattr__: any name may exist
    imports: list[tuple[int, str, str | None]] = field(default_factory=list)  # line, module, name

    def counter(self) -> Counter:
        return Counter({k: len(v) for k, v in self.refs.items()})


def module_of(rel: str, roots: list[str]) -> tuple[str, bool] | None:
    """Dotted module name of ``rel`` under the first source root that contains it, and whether it is a package."""
    p = Path(rel)
    if p.suffix != ".py":
        return None
    for root in sorted(roots, key=lambda r: -len(Path(r).parts)):
        rp = Path(root)
        try:
            sub = p.relative_to(rp) if root not in (".", "") else p
        except ValueError:
            continue
        parts = list(sub.with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        if not parts or not all(x.isidentifier() for x in parts):
            return None
        return ".".join(parts), is_pkg
    return None


def resolve_from(module: tuple[str, bool] | None, level: int, name: str | None) -> str | None:
    if level == 0:
        return name
    if module is None:
        return None
    mod, is_pkg = module
    parts = mod.split(".") if is_pkg else mod.split(".")[:-1]
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if name:
        base = base + name.split(".")
    return ".".join(base) or None


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _top_bindings(body: list[ast.stmt], out: set[str]) -> bool:
    """Names bound at module level (walking into if/try/with/for blocks); True if a star import or __getattr__."""
    permissive = False
    for st in body:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(st.name)
            permissive |= st.name == "__getattr__"
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            for a in st.names:
                if a.name == "*":
                    permissive = True
                else:
                    out.add(a.asname or a.name.split(".")[0])
        elif isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            for n in ast.walk(st):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    out.add(n.id)
        for sub in ("body", "orelse", "finalbody"):
            if isinstance(st, (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)) and hasattr(st, sub):
                permissive |= _top_bindings(getattr(st, sub), out)
        if isinstance(st, ast.Try):
            for h in st.handlers:
                permissive |= _top_bindings(h.body, out)
    return permissive


def file_refs(source: bytes, rel: str, roots: list[str]) -> FileRefs:
    out = FileRefs()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        out.parsed = False
        return out
    me = module_of(rel, roots)

    def add(kind: str, target: str, line: int) -> None:
        out.refs.setdefault((kind, target), []).append(line)

    inner_attrs: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                add("import", a.name, node.lineno)
                out.imports.append((node.lineno, a.name, None))
        elif isinstance(node, ast.ImportFrom):
            mod = resolve_from(me, node.level, node.module)
            if mod is None:
                continue
            for a in node.names:
                if a.name == "*":
                    add("from*", mod, node.lineno)
                    out.imports.append((node.lineno, mod, None))
                else:
                    add("from", f"{mod}.{a.name}", node.lineno)
                    out.imports.append((node.lineno, mod, a.name))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.match(node.value):
            add("str", node.value.replace(":", "."), node.lineno)
        elif isinstance(node, ast.Attribute):
            if id(node) not in inner_attrs:
                d = _dotted(node)
                if d:
                    add("attr", d, node.lineno)
            inner = node.value
            while isinstance(inner, ast.Attribute):
                inner_attrs.add(id(inner))
                inner = inner.value
    out.permissive = _top_bindings(tree.body, out.bindings)
    return out
