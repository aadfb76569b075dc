"""Self-verification of a rewritten Python file, before anything is written.

The tool edits code nobody has read.  Each changed file must pass, or the file
is refused (reported as an internal error) and nothing is written for it:

* the output parses (``ast`` when this Python can read the input, else LibCST);
* the AST outside the rewritten nodes is identical: import statements aside,
  the two trees may differ only at the expression kinds the phase rewrites
  (names, attribute chains, string constants for phase C);
* no name became unbound: every name the output reads is bound in the same
  scope kind it was before (``symtable``), modulo declared renames;
* comments are unchanged (unless the phase was asked to edit them).
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import symtable
import sys
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__", "__loader__", "__package__", "__path__", "__builtins__", "__annotations__", "__dict__", "__module__", "__qualname__", "__class__"}


@dataclass(frozen=True)
class VerifyPolicy:
    """What a phase is allowed to change in a file."""

    expr_kinds: tuple[type, ...] = (ast.Name, ast.Attribute, ast.Constant)
    ignore_imports: bool = True
    comments_may_change: bool = False
    renames: dict[str, str] = field(default_factory=dict)  # old local name -> new local name
    allow_await_change: bool = False
    #: Custom steps may change anything: only "still parses" is checked.
    any_change: bool = False
    #: When set, a changed reference must now name one of these (a dotted prefix, or a
    #: bare name): the phase's targets.  Anything else changing is a bug.
    allowed_refs: frozenset[str] = frozenset()
    #: The phase's declared structural edits (e.g. a duplicate dict entry removed): a
    #: function that applies them to the *before* tree, so the comparison proves that
    #: nothing else changed.  It raises ValueError when a declared edit has no node.
    expect: Callable[[ast.Module], ast.AST] | None = None
    #: Comments the phase removes on purpose, with the code they annotate.
    dropped_comments: tuple[str, ...] = ()


def verify_python(before: bytes, after: bytes, policy: VerifyPolicy = VerifyPolicy()) -> list[str]:
    """Return a list of problems; empty means the rewrite is safe to write."""
    import libcst as cst  # lazily: commands that never verify (check, status --format) start faster

    problems: list[str] = []
    try:
        # ``expect`` rewrites the before tree: it gets a fresh one, never the shared one.
        tree_before = parse_cached(before) if policy.expect is None else ast.parse(before)
    except (SyntaxError, ValueError):
        tree_before = None  # syntax newer than this Python; LibCST-level checks only
    if tree_before is None:
        # Python's own parser cannot judge the output: LibCST's must accept it.
        # (When ``ast`` reads both sides, it is the stricter judge and a second
        # LibCST parse of the output would only double the cost.)
        try:
            cst.parse_module(after)
        except cst.ParserSyntaxError as exc:
            return [f"output does not parse: line {exc.raw_line}: {exc.message}"]
    else:
        try:
            tree_after = parse_cached(after)
        except SyntaxError as exc:
            return [f"output does not parse: line {exc.lineno}: {exc.msg}"]
        except ValueError as exc:
            return [f"output does not parse: {exc}"]
        if policy.any_change:
            return []
        if policy.expect is not None:
            try:
                tree_before = policy.expect(tree_before)
            except ValueError as exc:
                return [f"declared edit does not match the input: {exc}"]
        # The source spans let the comparison skip statements whose text is unchanged;
        # not when ``expect`` rewrote the before tree (its spans no longer match).
        sources = None if policy.expect is not None else (before, after)
        problems += _compare_trees(tree_before, tree_after, policy, sources)
        problems += _compare_bindings(before, after, policy)
    if not policy.comments_may_change:
        parsed = tree_before is not None  # and then the output parsed too (else we returned above)
        cb, ca = _comments(before, parsed=parsed), _comments(after, parsed=parsed)
        if cb is not None and policy.dropped_comments:
            cb = list(cb)
            for c in policy.dropped_comments:
                if c in cb:
                    cb.remove(c)
        # A split import may move a comment below its sibling: compare as multisets.
        if cb is not None and ca is not None and sorted(cb) != sorted(ca):
            lost = [c for c in cb if c not in ca]
            problems.append(f"comments changed (lost: {lost[:3]!r})" if lost else "comments changed")
    return problems


# -- AST comparison -----------------------------------------------------------


_BLOCK_ITEMS = (ast.stmt, ast.excepthandler, ast.match_case)


def iter_statements(tree: ast.AST):
    """Every statement of ``tree``, at any depth, without visiting expressions.

    Statements only live in the list fields of statements (bodies, ``orelse``,
    ``finalbody``, handlers, match cases), so this visits a small fraction of
    the nodes ``ast.walk`` would: the cheap way to find imports.
    """
    stack = [tree]
    while stack:
        node = stack.pop()
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list and value and isinstance(value[0], _BLOCK_ITEMS):
                for item in reversed(value):
                    if isinstance(item, ast.stmt):
                        yield item
                    stack.append(item)


@lru_cache(maxsize=4)
def parse_cached(source: bytes) -> ast.Module:
    """``ast.parse(source)``, shared by the triage, the verifier and the phases' output checks.

    One file is parsed up to five times on its way through phase C; the last
    few trees are kept.  The trees are shared: callers must not modify them.
    """
    return ast.parse(source)


def _without_imports(items: list) -> list:
    return [x for x in items if not isinstance(x, (ast.Import, ast.ImportFrom))]


def _utf8_body(source: bytes) -> bytes | None:
    """``source`` as the bytes ``ast`` positions count in (UTF-8, no BOM); None for other encodings."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        return None
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    return source[3:] if source.startswith(b"\xef\xbb\xbf") else source


class _Spans:
    """Byte spans of statements, to tell whether a statement's source text is unchanged."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.starts = [0]
        for line in source.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def text(self, node: ast.stmt) -> bytes | None:
        first = node
        decorators = getattr(node, "decorator_list", None)
        if decorators:  # a decorated definition's span starts at its first decorator
            first = min(decorators, key=lambda d: (d.lineno, d.col_offset))
        end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if end_line is None or end_col is None or end_line > len(self.starts) - 1:
            return None
        start = self.starts[first.lineno - 1] + first.col_offset
        return self.source[start:self.starts[end_line - 1] + end_col]


def _compare_trees(a: ast.AST, b: ast.AST, policy: VerifyPolicy, sources: tuple[bytes, bytes] | None = None) -> list[str]:
    problems: list[str] = []
    same = None
    bodies = [_utf8_body(x) for x in sources] if sources is not None else [None]
    if all(x is not None for x in bodies):
        spans_a, spans_b = _Spans(bodies[0]), _Spans(bodies[1])  # type: ignore[arg-type]

        def same(x: ast.stmt, y: ast.stmt) -> bool:
            # The same source text parses to the same tree (positions aside, which
            # the comparison ignores anyway): nothing to compare.
            tx = spans_a.text(x)
            return tx is not None and tx == spans_b.text(y)

    _cmp(a, b, policy, problems, same)
    return problems[:5]


def _is_ref(node: object, policy: VerifyPolicy) -> bool:
    if isinstance(node, ast.Constant):
        return ast.Constant in policy.expr_kinds and isinstance(node.value, str)
    return isinstance(node, policy.expr_kinds)


def _cmp(a: object, b: object, policy: VerifyPolicy, problems: list[str], same: Callable[[ast.stmt, ast.stmt], bool] | None = None) -> None:
    if isinstance(a, ast.AST) and isinstance(b, ast.AST):
        if same is not None and isinstance(a, ast.stmt) and type(a) is type(b) and same(a, b):
            return
        if type(a) is not type(b) or _changed_leaf(a, b):
            if _is_ref(a, policy) and _is_ref(b, policy):
                if isinstance(a, ast.Attribute) and isinstance(b, ast.Attribute) and not (_pure_chain(a) and _pure_chain(b)):
                    # `call(...).attr`: only the attribute name is a reference; the rest is compared.
                    if a.attr != b.attr and not _names_allowed_target(ast.Name(id=b.attr), policy):
                        problems.append(f"unexpected change at line {getattr(a, 'lineno', '?')}: .{a.attr} -> .{b.attr}")
                        return
                    _cmp(a.value, b.value, policy, problems, same)
                    return
                if _names_allowed_target(b, policy):
                    return  # a rewritten reference to one of the phase's targets
                problems.append(f"unexpected change at line {getattr(a, 'lineno', '?')}: {ast.unparse(a)} -> {ast.unparse(b)}")
                return
            if policy.allow_await_change and (isinstance(a, ast.Await) or isinstance(b, ast.Await)):
                inner_a = a.value if isinstance(a, ast.Await) else a
                inner_b = b.value if isinstance(b, ast.Await) else b
                _cmp(inner_a, inner_b, policy, problems, same)
                return
            if type(a) is not type(b):
                problems.append(
                    f"structure changed at line {getattr(a, 'lineno', '?')}: {type(a).__name__} -> {type(b).__name__}"
                )
                return
        for fname in a._fields:
            if fname in ("ctx", "type_comment"):
                continue
            _cmp(getattr(a, fname, None), getattr(b, fname, None), policy, problems, same)
        return
    if isinstance(a, list) and isinstance(b, list):
        if policy.ignore_imports and ((a and isinstance(a[0], ast.stmt)) or (b and isinstance(b[0], ast.stmt))):
            a, b = _without_imports(a), _without_imports(b)  # imports are the phases' to check
        if len(a) != len(b):
            line = next((getattr(x, "lineno", None) for x in a if hasattr(x, "lineno")), "?")
            problems.append(f"structure changed near line {line}: {len(a)} -> {len(b)} elements")
            return
        for x, y in zip(a, b):
            _cmp(x, y, policy, problems, same)
        return
    if a != b:
        problems.append(f"value changed: {a!r} -> {b!r}")


def _names_allowed_target(node: ast.AST, policy: VerifyPolicy) -> bool:
    if not policy.allowed_refs:
        return True
    if isinstance(node, ast.Constant):
        text = str(node.value)
        return any(t in text for t in policy.allowed_refs)
    text = ast.unparse(node)
    parts = text.split(".")
    return any(".".join(parts[: i + 1]) in policy.allowed_refs for i in range(len(parts))) or parts[-1] in policy.allowed_refs


def _pure_chain(node: ast.AST) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _changed_leaf(a: ast.AST, b: ast.AST) -> bool:
    """True for reference nodes whose own text differs (Name id, Attribute attr, str value)."""
    if isinstance(a, ast.Name):
        return a.id != b.id  # type: ignore[attr-defined]
    if isinstance(a, ast.Attribute):
        return a.attr != b.attr or ast.dump(a.value) != ast.dump(b.value)  # type: ignore[attr-defined]
    if isinstance(a, ast.Constant):
        return a.value != b.value  # type: ignore[attr-defined]
    return False


# -- name binding -----------------------------------------------------------


@dataclass
class _ScopeFacts:
    unbound: set[tuple[str, str]]  # (scope path, name) read but bound nowhere
    local_reads: set[tuple[str, str]]  # read and bound locally in that scope
    reads: set[tuple[str, str]]  # every read
    star: bool  # a star import can bind anything: unbound reads are unknowable


def _scope_facts(source: bytes) -> _ScopeFacts:
    """One pass over the symbol tables: linear in the size of the module."""
    top = symtable.symtable(_decode(source), "<verify>", "exec")
    namespaces = {child.get_name() for child in top.get_children()}  # def/class names (is_namespace)
    module_bound = {s.get_name() for s in _symbols(top) if s.is_assigned() or s.is_imported() or s.get_name() in namespaces}
    facts = _ScopeFacts(set(), set(), set(), b"import *" in source)
    stack = [(top, "")]
    while stack:  # not recursive: a deeply nested generated module must not hit the recursion limit
        table, path = stack.pop()
        is_module = table.get_type() == "module"
        for sym in _symbols(table):
            name = sym.get_name()
            if not sym.is_referenced():
                continue
            facts.reads.add((path, name))
            if is_module or sym.is_global():
                if name not in module_bound and name not in _BUILTINS:
                    facts.unbound.add((path, name))
            elif sym.is_local() and (sym.is_imported() or sym.is_assigned()):
                facts.local_reads.add((path, name))
        for child in table.get_children():
            stack.append((child, f"{path}/{child.get_name()}"))
    return facts


def _symbols(table: symtable.SymbolTable) -> list[symtable.Symbol]:
    """The symbols of ``table``, without looking each one up among the child tables.

    ``SymbolTable.get_symbols()`` computes every symbol's namespaces by scanning
    all the table's children: symbols x children, quadratic on a generated
    module with thousands of functions (9 s per call at 1 MB).  Nothing here
    asks a symbol for its namespaces, so the symbols are built from their flags
    directly; where the table's raw flags are not reachable, the public (slow)
    call is used.
    """
    raw = getattr(getattr(table, "_table", None), "symbols", None)
    if not isinstance(raw, dict):
        return table.get_symbols()
    module = table.get_type() == "module"
    try:
        return [symtable.Symbol(name, flags, None, module_scope=module) for name, flags in raw.items()]
    except TypeError:  # Pythons whose Symbol has no module_scope
        return [symtable.Symbol(name, flags) for name, flags in raw.items()]


def _decode(source: bytes) -> str:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    return source.decode(encoding)


def _compare_bindings(before: bytes, after: bytes, policy: VerifyPolicy) -> list[str]:
    try:
        fb, fa = _scope_facts(before), _scope_facts(after)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return []
    ren = policy.renames
    unbound_before = {(p, ren.get(n, n)) for p, n in fb.unbound}
    local_before = {(p, ren.get(n, n)) for p, n in fb.local_reads}
    problems: list[str] = []
    if not (fa.star or fb.star):
        new_unbound = sorted(fa.unbound - unbound_before)
        if new_unbound:
            problems.append(
                "names became unbound: " + ", ".join(f"{n} (in {p or 'module'})" for p, n in new_unbound[:5])
            )
    lost = sorted(k for k in local_before if k in fa.reads and k not in fa.local_reads)
    if lost:
        problems.append("local bindings lost: " + ", ".join(f"{n} (in {p})" for p, n in lost[:5]))
    return problems


# -- comments -------------------------------------------------------------------


# Strings (so that a ``#`` inside one is not a comment), then comments.  For source
# that Python 3.11's parser accepts this finds exactly the COMMENT tokens of
# ``tokenize`` (checked on the 16,000 files of the stdlib, site-packages and this
# project), about 12x faster than the pure-Python tokenizer.  Python 3.12's
# f-strings may nest the same quotes, so there ``tokenize`` (in C) is used.
_STRING_OR_COMMENT = re.compile(
    r"""'''(?:\\[\s\S]|[^\\])*?'''|\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"|'(?:\\[\s\S]|[^\\'\n])*'|"(?:\\[\s\S]|[^\\"\n])*"|(#[^\r\n]*)"""
)
_FAST_COMMENTS = sys.version_info < (3, 12)


def _comments(source: bytes, *, parsed: bool = False) -> list[str] | None:
    """The comments of ``source``; ``parsed``: Python's parser accepted it (the fast scan is exact then)."""
    if parsed and _FAST_COMMENTS:
        try:
            text = _decode(source)
        except (SyntaxError, UnicodeDecodeError, LookupError):
            pass
        else:
            return [m.group(1) for m in _STRING_OR_COMMENT.finditer(text) if m.group(1) is not None]
    try:
        toks = tokenize.tokenize(io.BytesIO(source).readline)
        return [t.string for t in toks if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return None
