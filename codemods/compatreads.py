"""Phase E's part of phase B's compat reader: ``read_env(NEW, OLD, ...)`` back to a plain read.

Phase B (``compat-reader = true``) turns Python reads of a legacy key into
``read_env("NEW", "OLD", default=..., required=...)`` so deployments that
still set only ``OLD`` keep working (with a LegacyConfigWarning).  Once they
all set ``NEW``, the fallback is dead weight: phase E rewrites each call to
the read it stands for::

    read_env("NEW", "OLD")                     -> os.environ.get("NEW")
    read_env("NEW", "OLD", default=d)          -> os.environ.get("NEW", d)
    read_env("NEW", "OLD", required=True)      -> os.environ["NEW"]
    read_env("NEW", "OLD", environ=os.environ) -> os.environ.get("NEW")

``environ=`` is rewritten only when it is ``None`` or ``os.environ`` itself
(``import os``, ``import os as o``, ``from os import environ``): read_env
treats ``environ=None`` as ``os.environ``, so ``e.get(...)`` for any other
expression would raise where ``e`` is None at run time.  Such a call is
reported instead.

``import os`` is added when nothing at the call binds ``os`` (``from os
import environ`` is used when that is what the file has), and the reader's
import goes once nothing uses it.

A call is found through LibCST's qualified names, so every import form
counts: ``from shims.config import read_env``, an alias, ``import
shims.config as c; c.read_env(...)``, ``from shims import config``.  A call
whose arguments do not map exactly onto a plain read (``*args``/``**kwargs``,
a canonical key that is not a string literal, a legacy key the spec does not
list, a non-literal ``required``, a comment that would be lost, ...) is never
edited: it is returned with the reason, for phase E to report at file:line.

Everything here is pure (bytes and trees in, trees and facts out); phase E
owns the decision, the journal and the self-verification.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, ScopeProvider

from migrate.modindex import resolve_relative

from .cstutil import dotted_name as _dotted

#: phase B's default reader (``compat-reader = true``).
DEFAULT_READER = "shims.config.read_env"

AstPos = tuple[int, int]  # (line, UTF-8 column) of a call's ``func``, as ``ast`` reports it


@dataclass(frozen=True)
class Fallback:
    """One ``[[config]]`` entry, as phase E sees it: whose fallback may go, and where."""

    canonical: str
    legacy: tuple[str, ...]
    globs: tuple[str, ...]  # the entry's Python globs: the files phase B rewrote
    remove_in: str | None
    compat_reader: bool  # the entry turns the reader on (so "no call left" is worth saying)


@dataclass(frozen=True)
class CompatRead:
    """One compat-reader call found by the scan (a fact shipped from workers to the decision)."""

    path: str
    line: int
    canonical: str | None  # the literal canonical key; None when the call does not spell one
    text: str  # the call, shortened, for messages
    problem: str | None = None  # why it cannot be rewritten exactly; None when it can


@dataclass
class _Call:
    node: cst.Call
    line: int
    canonical: str | None
    text: str
    problem: str | None = None
    root: str = ""  # the local name the call goes through (``read_env``, ``c``, ``shims``)
    key: cst.BaseExpression | None = None
    default: cst.BaseExpression | None = None
    environ: cst.BaseExpression | None = None
    required: bool = False
    access: str = "os.environ"  # how the file reaches the environment when no environ= is given
    add_os: bool = False
    pos: AstPos = (0, 0)


@dataclass
class Rewrite:
    """What :func:`rewrite_calls` did to a module."""

    module: cst.Module
    rewritten: list[_Call] = field(default_factory=list)
    replacements: list[tuple[AstPos, str]] = field(default_factory=list)  # (call, how it reaches the environment)
    removed_imports: list[tuple[str, str | None, int, str, str | None]] = field(default_factory=list)
    added_os: bool = False
    dropped_comments: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (line, message): imports left in place


def readers_for(reader_targets: Iterable[str]) -> tuple[str, ...]:
    """Qualified names of the readers: phase B's default plus every entry's ``pkg.mod:function``."""
    out = {DEFAULT_READER}
    for t in reader_targets:
        mod, _, name = t.partition(":")
        if mod and name:
            out.add(f"{mod}.{name}")
    return tuple(sorted(out))


def prefilter_names(readers: Iterable[str]) -> tuple[str, ...]:
    """The reader functions' own names: a file that spells none of them has no call."""
    return tuple(sorted({r.rpartition(".")[2] for r in readers}))


# -- finding the calls -----------------------------------------------------------------------


def _resolve(name: str, package: str | None) -> str | None:
    if not name.startswith("."):
        return name
    level = len(name) - len(name.lstrip("."))
    return resolve_relative(package or "", level, name[level:] or None)


def _string(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _literal(node: cst.BaseExpression) -> bool:
    """A constant whose evaluation has no effect (dropping it changes nothing)."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _literal(node.left) and _literal(node.right)  # type: ignore[arg-type]
    return isinstance(node, cst.Name) and node.value in ("None", "True", "False")


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _comments(node: cst.CSTNode | None) -> list[str]:
    if node is None:
        return []
    return [c.value for c in m.findall(node, m.Comment())]


def _short(code: str) -> str:
    line = " ".join(code.split())
    return line if len(line) <= 90 else line[:87] + "..."


class _Finder(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, PositionProvider)

    def __init__(self, readers: frozenset[str], fallbacks: Mapping[str, Fallback], package: str | None, lines: list[str]) -> None:
        super().__init__()
        self.readers = readers
        self.fallbacks = fallbacks
        self.package = package
        self.lines = lines
        self.calls: list[_Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        names = {_resolve(q.name, self.package) for q in self.get_metadata(QualifiedNameProvider, node.func, set())}
        if not names & self.readers:
            return
        pos = self.get_metadata(PositionProvider, node.func).start
        line_text = self.lines[pos.line - 1] if pos.line - 1 < len(self.lines) else ""
        call = _Call(node, pos.line, None, _short(cst.Module([]).code_for_node(node)),
                     pos=(pos.line, len(line_text[: pos.column].encode("utf-8"))))
        root = node.func
        while isinstance(root, cst.Attribute):
            root = root.value
        call.root = root.value if isinstance(root, cst.Name) else ""
        self.calls.append(call)
        if names - self.readers:
            call.problem = f"{call.root or 'the function'} may also be something other than the reader here"
            return
        if node.func.lpar or not call.root:
            call.problem = "the reader is not called by name"
            return
        self._arguments(call)
        if call.problem is None and call.environ is None:
            self._access(call)

    def _arguments(self, call: _Call) -> None:
        node = call.node
        if any(a.star for a in node.args):
            call.problem = "*args/**kwargs: the keys it reads are not known before run time"
            return
        positional = [a.value for a in node.args if a.keyword is None]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        if "canonical" in keywords:
            if positional:
                call.problem = "canonical is given twice"
                return
            positional = [keywords.pop("canonical")]
        unknown = sorted(set(keywords) - {"default", "required", "environ"})
        if unknown:
            call.problem = f"unknown argument(s) {', '.join(unknown)}"
            return
        if not positional:
            call.problem = "no canonical key"
            return
        canonical = _string(positional[0])
        if canonical is None:
            call.problem = "the canonical key is not a string literal"
            return
        call.canonical = canonical
        fb = self.fallbacks.get(canonical)
        if fb is None:
            return  # not a key of the spec: not phase E's business (the caller drops it)
        call.key = positional[0]
        for arg in positional[1:]:
            legacy = _string(arg)
            if legacy is None:
                call.problem = "a legacy key is not a string literal"
                return
            if legacy not in fb.legacy:
                call.problem = f"it falls back to {legacy}, which the spec does not list as a legacy key of {canonical}"
                return
        required = keywords.get("required")
        if required is not None:
            if not (isinstance(required, cst.Name) and required.value in ("True", "False")):
                call.problem = "required= is not the literal True or False"
                return
            call.required = required.value == "True"
        default = keywords.get("default")
        if default is not None and not _is_none(default):
            if call.required and not _literal(default):
                call.problem = "required=True with a default that is not a constant: the default would no longer be evaluated"
                return
            if not call.required:
                call.default = default
        environ = keywords.get("environ")
        if environ is not None and not _is_none(environ):
            # read_env treats environ=None as os.environ; `e.get(...)` would raise where e is None at run time.
            if not self._is_os_environ(node, environ):
                call.problem = "environ= may be None at run time: read_env would use os.environ"
                return
            call.environ = environ
        kept = _comments(call.key) + _comments(call.default) + _comments(call.environ)
        if len(_comments(node.with_changes(lpar=[], rpar=[]))) > len(kept):
            call.problem = "a comment inside the call would be lost"

    def _is_os_environ(self, node: cst.Call, expr: cst.BaseExpression) -> bool:
        """``expr`` is ``os.environ`` itself: ``X.environ`` where every binding of ``X`` here imports
        the os module (``import os``, ``import os as X``), or a name every binding of which is
        ``from os import environ [as name]``.  Anything else may be None (or another mapping)."""
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return False
        if isinstance(expr, cst.Attribute) and expr.attr.value == "environ" and isinstance(expr.value, cst.Name) and not expr.value.lpar:
            local = expr.value.value
            binds = list(scope[local])
            return bool(binds) and all(_imports_os(a.node, local) for a in binds)
        if isinstance(expr, cst.Name):
            binds = list(scope[expr.value])
            return bool(binds) and all(_from_os_environ(a.node, expr.value) for a in binds)
        return False

    def _access(self, call: _Call) -> None:
        """How this call reaches ``os.environ``: ``os.environ``, a ``from os import environ``, or a new ``import os``."""
        scope = self.get_metadata(ScopeProvider, call.node, None)
        if scope is None:
            call.problem = "its scope cannot be read"
            return
        os_bind = list(scope["os"])
        if os_bind:
            if all(_imports_os(a.node, "os") for a in os_bind):
                call.access = "os.environ"
                return
        env_bind = list(scope["environ"])
        if env_bind and all(_from_os_environ(a.node) for a in env_bind):
            call.access = "environ"
            return
        if os_bind:
            call.problem = "the name os is bound to something else here"
            return
        call.access, call.add_os = "os.environ", True


def _imports_os(node: cst.CSTNode, local: str) -> bool:
    """``import os`` (or ``import os.path``) binding ``os``, or ``import os as <local>``: ``local`` is the os module."""
    if not isinstance(node, cst.Import):
        return False
    for alias in node.names:
        name = _dotted(alias.name) or ""
        asname = _asname(alias)
        if asname is None and (name == "os" or name.startswith("os.")) and local == "os":
            return True
        if asname == local and name == "os":
            return True
    return False


def _from_os_environ(node: cst.CSTNode, local: str = "environ") -> bool:
    """``from os import environ`` (or ``... as <local>``) binds ``local``."""
    if not isinstance(node, cst.ImportFrom) or node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return False
    if _dotted(node.module) != "os":
        return False
    return any(a.name.value == "environ" and (_asname(a) or "environ") == local for a in node.names if isinstance(a.name, cst.Name))


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _source_lines(module: cst.Module) -> list[str]:
    return re.split(r"\r\n|\r|\n", module.code)


def find_calls(
    wrapper: MetadataWrapper,
    *,
    readers: Iterable[str],
    fallbacks: Mapping[str, Fallback],
    package: str | None,
) -> list[_Call]:
    """Every call of a reader that concerns phase E: a spec'd canonical key, or one it cannot read."""
    finder = _Finder(frozenset(readers), fallbacks, package, _source_lines(wrapper.module))
    wrapper.visit(finder)
    return [c for c in finder.calls if c.canonical is None or c.canonical in fallbacks]


def scan_calls(data: bytes, path: str, *, readers: Iterable[str], fallbacks: Mapping[str, Fallback], package: str | None) -> list[CompatRead]:
    """The scan's view of one file (the caller only asks for files that spell a reader's name)."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(data), unsafe_skip_copy=True)
        calls = find_calls(wrapper, readers=readers, fallbacks=fallbacks, package=package)
    except Exception as exc:  # noqa: BLE001 - never let this hide the file's other references from the scan
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [CompatRead(path, 1, None, "(any reader call in this file)", f"LibCST cannot analyse the file ({why})")]
    return [CompatRead(path, c.line, c.canonical, c.text, c.problem) for c in calls]


# -- rewriting them --------------------------------------------------------------------------------


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Dict, cst.List, cst.Set, cst.SimpleString,
          cst.ConcatenatedString, cst.FormattedString, cst.ListComp, cst.SetComp, cst.DictComp)


def _env_expr(call: _Call, environ: cst.BaseExpression | None) -> cst.BaseExpression:
    if environ is not None:
        if environ.lpar or isinstance(environ, _ATOMS):
            return environ
        return environ.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    if call.access == "environ":
        return cst.Name("environ")
    return cst.Attribute(cst.Name("os"), cst.Name("environ"))


def _replacement(call: _Call, updated: cst.Call) -> cst.BaseExpression:
    """The plain read, built from the *updated* arguments (a nested call may have been rewritten)."""
    positional = [a.value for a in updated.args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in updated.args if a.keyword is not None}
    key = positional[0] if positional else keywords["canonical"]
    env = _env_expr(call, keywords.get("environ") if call.environ is not None else None)
    if call.required:
        return cst.Subscript(value=env, slice=[cst.SubscriptElement(cst.Index(key))])
    args = [cst.Arg(key)]
    if call.default is not None:
        args.append(cst.Arg(keywords["default"]))
    return cst.Call(func=cst.Attribute(env, cst.Name("get")), args=args)


class _Replacer(cst.CSTTransformer):
    def __init__(self, calls: list[_Call]) -> None:
        super().__init__()
        self.by_id = {id(c.node): c for c in calls}
        self.done: list[tuple[_Call, cst.BaseExpression]] = []

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        call = self.by_id.get(id(original))
        if call is None:
            return updated
        new = _replacement(call, updated)
        self.done.append((call, new))
        return new.with_changes(lpar=updated.lpar, rpar=updated.rpar)


def rewrite_calls(wrapper: MetadataWrapper, calls: list[_Call], *, readers: Iterable[str], package: str | None) -> Rewrite:
    """Replace ``calls`` (all mappable) in ``wrapper.module``; fix the imports they leave behind."""
    module = wrapper.module
    replacer = _Replacer(calls)
    updated = module.visit(replacer)
    out = Rewrite(updated)
    for call, _new in replacer.done:
        out.rewritten.append(call)
        out.replacements.append((call.pos, "environ=" if call.environ is not None else call.access))
    roots = {c.root for c in calls}
    positions = wrapper.resolve(PositionProvider)
    out.module = _drop_reader_imports(updated, module, positions, roots, frozenset(readers), package, out)
    if any(c.add_os for c in calls):
        out.module = _add_import_os(out.module)
        out.added_os = True
    return out


def _used_names(module: cst.Module) -> set[str]:
    """Every name the module still reads or spells (strings too: ``__all__``, ``getattr``), imports aside."""
    used: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> bool:
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            used.add(node.value)

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            value = _string(node)
            if value is not None:
                used.add(value)

    module.visit(V())
    return used


def _reader_alias(stmt: cst.BaseSmallStatement, alias: cst.ImportAlias, readers: frozenset[str], package: str | None) -> str | None:
    """The local name ``alias`` binds when it imports a reader or a reader's module; else None."""
    if isinstance(stmt, cst.Import):
        name = _dotted(alias.name) or ""
        if any(r.startswith(name + ".") for r in readers):
            return _asname(alias) or name.partition(".")[0]
        return None
    assert isinstance(stmt, cst.ImportFrom)
    mod = _dotted(stmt.module) if stmt.module is not None else None
    level = len(stmt.relative)
    src = resolve_relative(package or "", level, mod) if level else mod
    if not src or not isinstance(alias.name, cst.Name):
        return None
    full = f"{src}.{alias.name.value}"
    if any(r == full or r.startswith(full + ".") for r in readers):
        return _asname(alias) or alias.name.value
    return None


def _import_identity(stmt: cst.BaseSmallStatement, alias: cst.ImportAlias) -> tuple[str, str | None, int, str, str | None]:
    """How ``ast`` spells the removed alias (for the post-check of the imports)."""
    if isinstance(stmt, cst.Import):
        return ("import", None, 0, _dotted(alias.name) or "", _asname(alias))
    assert isinstance(stmt, cst.ImportFrom)
    mod = _dotted(stmt.module) if stmt.module is not None else None
    return ("from", mod, len(stmt.relative), alias.name.value if isinstance(alias.name, cst.Name) else "", _asname(alias))


def _drop_reader_imports(
    module: cst.Module, original: cst.Module, positions: Mapping[cst.CSTNode, object], roots: set[str],
    readers: frozenset[str], package: str | None, out: Rewrite,
) -> cst.Module:
    """Remove the imports of the reader that the rewritten calls went through, once nothing else uses them.

    ``module`` is ``original`` with the calls replaced: the same statements, index for index.
    """
    used = _used_names(module)
    dead = roots - used
    if not dead:
        return module
    body = list(module.body)
    new_body: list[cst.BaseStatement] = []
    carry: list[cst.EmptyLine] = []  # comment lines above a removed import: they go to the next statement
    for k, stmt in enumerate(body):
        line = positions[original.body[k]].start.line  # type: ignore[attr-defined]
        if carry:
            stmt = stmt.with_changes(leading_lines=[*carry, *stmt.leading_lines])
            carry = []
        if not isinstance(stmt, cst.SimpleStatementLine):
            new_body.append(stmt)
            continue
        small: list[cst.BaseSmallStatement] = []
        removed: list[tuple[str, str | None, int, str, str | None]] = []
        for s in stmt.body:
            if isinstance(s, (cst.Import, cst.ImportFrom)) and not isinstance(s.names, cst.ImportStar):
                names = list(s.names)
                kept = [a for a in names if _reader_alias(s, a, readers, package) not in dead]
                if len(kept) != len(names):
                    gone = [a for a in names if a not in kept]
                    if kept:
                        if kept[-1] is not names[-1]:
                            kept[-1] = kept[-1].with_changes(comma=names[-1].comma)
                        trimmed = s.with_changes(names=kept)
                        if sorted(_comments(trimmed)) != sorted(_comments(s)):
                            out.notes.append((line, "the reader's import has a comment between its names: left in place; remove the name by hand"))
                            small.append(s)
                            continue
                        small.append(trimmed)
                    elif _comments(s):
                        out.notes.append((line, "the reader's import carries a comment: left in place; remove it by hand"))
                        small.append(s)
                        continue
                    removed += [_import_identity(s, a) for a in gone]
                    continue
            small.append(s)
        out.removed_imports += removed
        if small:
            if removed and len(small) != len(stmt.body) and isinstance(small[-1].semicolon, cst.Semicolon):
                small[-1] = small[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            new_body.append(stmt.with_changes(body=small) if removed else stmt)
            continue
        # The whole line goes: its trailing comment with it, its comment lines to the next statement.
        if stmt.trailing_whitespace.comment is not None:
            out.dropped_comments.append(stmt.trailing_whitespace.comment.value)
        lines = list(stmt.leading_lines)
        first = next((i for i, ln in enumerate(lines) if ln.comment is not None), None)
        if first is not None:
            carry = lines[first:]
    if carry:
        # A removed import was the last statement: keep its comment lines in the footer.
        module = module.with_changes(footer=[*carry, *module.footer])
    for line, name in _nested_reader_imports(original, positions, dead, readers, package):
        out.notes.append((line, f"the import of {name} inside a block is no longer used: left in place; remove it by hand"))
    return module.with_changes(body=new_body)


def _nested_reader_imports(
    module: cst.Module, positions: Mapping[cst.CSTNode, object], dead: set[str], readers: frozenset[str], package: str | None
) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    top_small = {id(s) for stmt in module.body if isinstance(stmt, cst.SimpleStatementLine) for s in stmt.body}

    class V(cst.CSTVisitor):
        def _check(self, node: cst.Import | cst.ImportFrom) -> None:
            if id(node) in top_small or isinstance(node.names, cst.ImportStar):
                return
            for a in node.names:
                local = _reader_alias(node, a, readers, package)
                if local in dead:
                    found.append((positions[node].start.line, local))  # type: ignore[attr-defined]

        def visit_Import(self, node: cst.Import) -> None:
            self._check(node)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            self._check(node)

    module.visit(V())
    return found


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)


def _is_future(stmt: cst.BaseStatement) -> bool:
    return (
        _is_import_line(stmt)
        and all(isinstance(s, cst.ImportFrom) and s.module is not None and _dotted(s.module) == "__future__" for s in stmt.body)  # type: ignore[union-attr]
    )


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _add_import_os(module: cst.Module) -> cst.Module:
    """``import os`` in the leading import block, in order among the plain ``import`` lines.

    After the docstring and ``from __future__`` imports; before the first
    ``import x`` that sorts after ``os`` (else after the last ``import x``,
    else before the first ``from`` import).  Comment lines stay with the
    statement they are above; blank lines above the block stay above it.
    """
    body = list(module.body)
    i = 0
    if body and _is_docstring(body[0]):
        i = 1
    while i < len(body) and _is_future(body[i]):
        i += 1
    j = i
    while j < len(body) and _is_import_line(body[j]):
        j += 1
    new = cst.SimpleStatementLine([cst.Import([cst.ImportAlias(cst.Name("os"))])])
    if j > i:
        plain = [k for k in range(i, j) if all(isinstance(s, cst.Import) for s in body[k].body)]  # type: ignore[attr-defined]
        after = [k for k in plain if (_dotted(body[k].body[0].names[0].name) or "") > "os"]  # type: ignore[attr-defined]
        pos = after[0] if after else (plain[-1] + 1 if plain else i)
        if pos == i:
            lines = list(body[i].leading_lines)
            k = next((n for n, ln in enumerate(lines) if ln.comment is not None), len(lines))
            new = new.with_changes(leading_lines=lines[:k])
            body[i] = body[i].with_changes(leading_lines=lines[k:])
        body.insert(pos, new)
        return module.with_changes(body=body)
    if i > 0:
        new = new.with_changes(leading_lines=[cst.EmptyLine()])
    if i < len(body) and not body[i].leading_lines:
        body[i] = body[i].with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(i, new)
    return module.with_changes(body=body)


# -- the declared edit, for the engine's self-verification -------------------------------------------


def expect_replaced(replacements: Iterable[tuple[AstPos, str]]):
    """The declared edit, derived again from the *before* tree: each reader call (found by its
    ``func``'s position) becomes the plain read its own arguments say.

    This is a second, independent spelling of the mapping (``ast`` here, LibCST in the rewrite):
    a rewrite that read the wrong key, lost a default or dropped ``required`` fails the comparison.
    """
    wanted = dict(replacements)

    def plain(call: ast.Call, access: str) -> ast.expr:
        kw = {k.arg: k.value for k in call.keywords if k.arg}
        key = call.args[0] if call.args else kw["canonical"]
        required = isinstance(kw.get("required"), ast.Constant) and kw["required"].value is True  # type: ignore[union-attr]
        default = kw.get("default")
        if isinstance(default, ast.Constant) and default.value is None:
            default = None
        if access == "environ=":
            env = kw["environ"]
        elif access == "environ":
            env = ast.Name("environ", ast.Load())
        else:
            env = ast.Attribute(ast.Name("os", ast.Load()), "environ", ast.Load())
        if required:
            return ast.Subscript(env, key, ast.Load())
        return ast.Call(ast.Attribute(env, "get", ast.Load()), [key] + ([default] if default is not None else []), [])

    def expect(tree: ast.Module) -> ast.Module:
        found: set[AstPos] = set()

        class Replace(ast.NodeTransformer):
            def visit_Call(self, node: ast.Call) -> ast.expr:
                self.generic_visit(node)  # inner calls first: a default may itself be a reader call
                if isinstance(node.func, (ast.Name, ast.Attribute)):
                    pos = (node.func.lineno, node.func.col_offset)
                    if pos in wanted:
                        found.add(pos)
                        return plain(node, wanted[pos])
                return node

        tree = Replace().visit(tree)
        missing = set(wanted) - found
        if missing:
            raise ValueError(f"no reader call at line {min(missing)[0]}")
        return tree

    return expect


def import_problems(before: bytes, after: bytes, removed: Iterable[tuple], added_os: bool) -> list[str]:
    """The imports after the rewrite must be those before, minus the reader's, plus ``import os``."""
    from collections import Counter

    def aliases(data: bytes) -> Counter:
        out: Counter = Counter()
        for node in ast.walk(ast.parse(data)):
            if isinstance(node, ast.Import):
                out.update(("import", None, 0, a.name, a.asname) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                out.update(("from", node.module, node.level, a.name, a.asname) for a in node.names)
        return out

    want = aliases(before)
    want.subtract(Counter(tuple(r) for r in removed))
    if added_os:
        want[("import", None, 0, "os", None)] += 1
    got = aliases(after)
    want = +want
    if want != got:
        lost = sorted(str(k) for k in (want - got))[:3]
        extra = sorted(str(k) for k in (got - want))[:3]
        return [f"imports changed beyond the reader's (missing: {lost}, unexpected: {extra})"]
    return []
