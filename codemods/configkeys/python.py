"""Python: every string constant that is exactly a legacy key, through LibCST.

Reads (``os.environ[...]``, ``os.environ.get``, ``os.getenv``, ``environ.get``,
``getenv``), writes, settings fields (``Field(alias=...)``, ``env=...``) and
plain constants are all string constants equal to the key, so they are
renamed.  On top of that:

* a dict literal that holds both spellings is resolved like any namespace
  (equal values: the legacy entry goes, B103; different values: conflict, B101);
* ``get(NEW) or get(OLD)`` and ``get(NEW, get(OLD))`` collapse to one read
  (B201; B203 when the legacy key came first and so used to win);
* with ``compat-reader``, reads of a legacy key become
  ``read_env(NEW, *LEGACY, default=...)`` (B202) so deployments that still
  set only the old key keep working, with a LegacyConfigWarning (phase E
  later turns them back into plain reads of NEW);
* a string that merely contains the key (a message, a regex, an f-string),
  an identifier spelled like the key, comments and docstrings are reported,
  not edited (comments and docstrings are rewritten with ``--include-docs``).

Edits are exact spans of the original text.  Every structural edit (a removed
dict entry, a dropped ``or`` operand or default argument, a replaced read) is
also recorded as a :class:`StructFact` with the node's ``ast`` position, and
:func:`expectation` replays them on the original ``ast`` so the engine's
self-verification proves that nothing else changed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.results import Severity

from ..cstutil import dotted_name as _dotted
from .model import ConfigEntry, token_regex
from .text import Defn, Edit, Job, Result, Scan

READ_FUNCS = {"os.environ.get", "environ.get", "os.getenv", "getenv"}
REGEX_FUNCS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer"}
_REGEX_HINT = re.compile(r"\\[bBdDsSwWAZ]|\(\?|\[\^?[A-Za-z0-9_\\]|\|")

AstPos = tuple[int, int, int, int]


@dataclass(frozen=True)
class StructFact:
    """A structural edit, for the self-verification (positions are ``ast``'s)."""

    op: str  # remove-pair | remove-operand | remove-arg | replace
    pos: AstPos
    text: str = ""  # replacement source for ``replace``


@dataclass(frozen=True)
class PyFileFacts:
    """Per-file data the verification needs besides the StructFacts."""

    reader_names: tuple[str, ...]  # local names of compat readers (their key arguments stay)
    dropped_comments: tuple[str, ...]


def _string_value(node: cst.SimpleString) -> str | None:
    try:
        v = node.evaluated_value
    except Exception:  # noqa: BLE001 - malformed escapes etc.
        return None
    return v if isinstance(v, str) else None


@dataclass
class _Read:
    node: cst.BaseExpression  # Call or Subscript
    key: str
    key_node: cst.SimpleString
    entry: ConfigEntry
    form: str  # call | subscript
    default: cst.Arg | None
    load: bool = True
    used: bool = False


class _PyScan(Scan):
    def __init__(self, job: Job) -> None:
        super().__init__(job)
        self.struct: list[StructFact] = []
        self.dropped: list[str] = []
        self.canon_entry = {e.canonical: e for e in job.entries}

    # positions ------------------------------------------------------------------
    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        r = self.pos[node]
        return self.doc.offset(r.start.line, r.start.column), self.doc.offset(r.end.line, r.end.column)

    def astpos(self, node: cst.CSTNode) -> AstPos:
        r = self.pos[node]

        def b(line: int, col: int) -> int:
            return len(self.doc.line_text(line)[:col].encode("utf-8"))

        return (r.start.line, b(r.start.line, r.start.column), r.end.line, b(r.end.line, r.end.column))

    def comments_in(self, a: int, b: int) -> list[str]:
        return [c for off, c in self.comment_list if a <= off < b]

    def code(self, node: cst.CSTNode) -> str:
        a, b = self.span(node)
        return self.text[a:b]


def handle_python(job: Job) -> Result:
    s = _PyScan(job)
    try:
        module = cst.parse_module(job.text)
    except cst.ParserSyntaxError as exc:
        s.result.skipped = f"does not parse: line {exc.raw_line}: {exc.message}"
        return s.result
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    s.pos = wrapper.resolve(PositionProvider)  # the one metadata pass
    idx = _Index(module)  # the one collection pass: parents and the node kinds below
    parents = idx
    s.comment_list = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(job.text).readline):
            if tok.type == tokenize.COMMENT:
                s.comment_list.append((s.doc.offset(tok.start[0], tok.start[1]), tok.string))
    except (tokenize.TokenError, SyntaxError):
        pass
    legacy_keys = set(s.entry_of)
    all_keys = legacy_keys | set(s.canon_entry)

    # -- the compat reader: already imported? name free? ---------------------------
    reader_local: dict[ConfigEntry, str | None] = {}
    bound_names = {n.value for n in idx.of(cst.Name)}
    imported = _reader_imports(idx)
    for e in job.entries:
        if not e.compat_reader:
            continue
        local = imported.get((e.reader_module, e.reader_name))
        if local is None and e.reader_name in bound_names:
            local = None
            s.report(0, "B501", f"compat-reader: the name {e.reader_name} is already used in this file; "
                     f"reads of {', '.join(e.legacy)} are renamed instead of going through the reader", Severity.WARNING)
            reader_local[e] = None
            continue
        reader_local[e] = local or e.reader_name
    reader_names = {v for v in reader_local.values() if v} | {
        local for (mod, name), local in imported.items() if any(mod == e.reader_module and name == e.reader_name for e in job.entries)
    }

    # -- classify every string ------------------------------------------------------
    exact: list[tuple[cst.SimpleString, str]] = []
    reads: list[_Read] = []
    dict_nodes: list[cst.Dict] = []
    docstrings = _docstrings(module, idx)
    compat_calls: set[int] = set()
    for call in idx.of(cst.Call):
        fname = _dotted(call.func)
        if fname and (fname in reader_names or fname.rpartition(".")[2] in reader_names):
            for arg in call.args:
                if isinstance(arg.value, cst.SimpleString):
                    compat_calls.add(id(arg.value))
    for node in idx.of(cst.SimpleString):
        value = _string_value(node)
        raw_hits = list(s.token.finditer(node.value))
        if value is None:
            if raw_hits:
                s.mention(s.span(node)[0], raw_hits[0].group(0), "string", "B402", "a bytes literal mentions a legacy key: not rewritten")
            continue
        start = s.span(node)[0]
        parent = parents.get(node)
        if id(node) in compat_calls:
            if value in legacy_keys:
                s.fact(start, "compat-read", value, False)
            continue
        if id(node) in docstrings:
            for m in raw_hits:
                s.docs(start + m.start(), m.group(0), "docstring")
            continue
        if isinstance(parent, cst.ConcatenatedString) or (value not in all_keys and not raw_hits):
            if raw_hits:
                s.mention(start, raw_hits[0].group(0), "string", "B402", "part of an implicitly concatenated string mentions a legacy key: not rewritten")
            continue
        if value in all_keys:
            if isinstance(parent, cst.DictElement) and parent.key is node:
                dict_nodes.append(parents[parent])  # type: ignore[arg-type]
                continue
            read = _as_read(node, value, parents, s)
            if read is not None:
                reads.append(read)
            if value in legacy_keys:
                exact.append((node, value))
            continue
        # contains the key but is not the key
        key = raw_hits[0].group(0)
        if _is_regex(node, parents):
            s.mention(start, key, "regex", "B401",
                      f"a regex names legacy key {key}: not edited; update it by hand if it should match {s.canonical(key)}")
        else:
            s.mention(start, key, "string", "B402", f"a string mentions legacy key {key} in a larger text: not rewritten")
    for node in idx.of(cst.FormattedStringText):
        for m in s.token.finditer(node.value):
            s.mention(s.span(node)[0] + m.start(), m.group(0), "string", "B402",
                      f"an f-string mentions legacy key {m.group(0)}: not rewritten")
    for node in idx.of(cst.Name):
        if node.value in legacy_keys:
            s.mention(s.span(node)[0], node.value, "identifier", "B403",
                      f"identifier {node.value} (a settings field or constant named after the legacy key): not renamed, "
                      "since its uses may live elsewhere; rename it with its uses, or alias the field to "
                      f"{s.canonical(node.value)} (pydantic: validation_alias=AliasChoices(...))")
    for off, comment in s.comment_list:
        for m in s.token.finditer(comment):
            s.docs(off + m.start(), m.group(0), "comment")

    # -- dict literals: one namespace each -----------------------------------------------
    seen_dicts: set[int] = set()
    in_dict: set[int] = set()
    for d in dict_nodes:
        if id(d) in seen_dicts:
            continue
        seen_dicts.add(id(d))
        defs = _dict_defs(s, d, all_keys)
        for df in defs:
            in_dict.add(df.start)
        s.resolve(defs)

    # -- collapse pairs of reads -----------------------------------------------------------
    read_of = {id(r.node): r for r in reads}
    compat_edits: list[tuple[_Read, ...]] = []
    for boolop in idx.of(cst.BooleanOperation):
        if not isinstance(boolop.operator, cst.Or):
            continue
        par = parents.get(boolop)
        if isinstance(par, cst.BooleanOperation) and isinstance(par.operator, cst.Or) and par.left is boolop and not boolop.lpar:
            continue  # an inner link of a longer chain: handled from the top
        ops = _flatten_or(boolop)
        for a, b in zip(ops, ops[1:]):
            ra, rb = read_of.get(id(a)), read_of.get(id(b))
            if not (ra and rb) or ra.used or rb.used or ra.form != "call" or rb.form != "call":
                continue
            if ra.entry is not rb.entry or ra.key == rb.key or ra.default or rb.default:
                continue
            if ra.key not in legacy_keys and rb.key not in legacy_keys:
                continue
            if a.lpar or b.lpar or s.comments_in(s.span(a)[1], s.span(b)[1]):
                continue
            ra.used = rb.used = True
            _collapse(s, ra, rb, reader_local.get(ra.entry), boolean=True)
    for r in reads:
        if r.used or r.form != "call" or r.default is None:
            continue
        inner = read_of.get(id(r.default.value))
        if not inner or inner.used or inner.form != "call" or inner.entry is not r.entry or inner.key == r.key:
            continue
        if r.key not in legacy_keys and inner.key not in legacy_keys:
            continue
        if r.default.value.lpar or s.comments_in(s.span(r.node)[0], s.span(r.node)[1]):
            continue
        r.used = inner.used = True
        _collapse(s, r, inner, reader_local.get(r.entry), boolean=False)

    # -- single reads of a legacy key ----------------------------------------------------------
    canonical_reads: dict[str, list[_Read]] = {}
    for r in reads:
        if r.key in s.canon_entry:
            canonical_reads.setdefault(r.key, []).append(r)
    for r in reads:
        if r.used or r.key not in legacy_keys:
            continue
        local = reader_local.get(r.entry)
        if local and r.load and not s.comments_in(*s.span(r.node)):
            text = _reader_call(local, r.entry, r.form == "subscript", _default_code(s, r))
            a, b = s.span(r.node)
            s.edit(a, b, text)
            s.struct.append(StructFact("replace", s.astpos(r.node), text))
            s.fact(a, "compat-read", r.key, False)
            s.handled.add(s.span(r.key_node)[0])
            s.report(a, "B202", f"read of {r.key} now goes through {local}(): it reads {r.entry.canonical} and falls back "
                     "to the legacy keys with a LegacyConfigWarning", Severity.INFO)
            r.used = True
            continue
        others = canonical_reads.get(r.entry.canonical, [])
        if r.load and others and not r.used:
            lines = [s.where(s.span(o.node)[0]) for o in others[:5]]
            s.report(
                s.span(r.node)[0], "B204",
                f"this read used only {r.key} while {', '.join(lines)} reads {r.entry.canonical}: the two can differ "
                f"per environment; after the rename it reads {r.entry.canonical}",
                related=lines,
            )

    # -- everything else that is exactly a legacy key: rename ---------------------------------
    for node, value in exact:
        a, b = s.span(node)
        if a in s.handled or a in in_dict:
            continue
        r = read_of.get(id(_read_parent(node, parents)))
        kind = "read" if r is not None and r.load else "string"
        s.edit(a, b, _renamed_literal(node, s.canonical(value)))
        s.fact(a, kind, value, True)
        s.handled.add(a)
    # -- the import of the reader ------------------------------------------------------------------
    used_readers = {f.text.partition("(")[0] for f in s.struct if f.op == "replace" and "(" in f.text}
    for e, local in reader_local.items():
        if local and local in used_readers and (e.reader_module, e.reader_name) not in imported:
            at = _import_offset(s, module)
            line = f"from {e.reader_module} import {e.reader_name}{s.doc.newline()}"
            s.edit(at, at, line)
            imported[(e.reader_module, e.reader_name)] = local
    s.result.facts.extend(s.struct)
    s.result.facts.append(PyFileFacts(tuple(sorted(reader_names | used_readers)), tuple(s.dropped)))
    return s.result


# -- helpers ----------------------------------------------------------------------------------------


_COLLECT = (
    cst.SimpleString, cst.FormattedStringText, cst.Name, cst.Call, cst.BooleanOperation,
    cst.ImportFrom, cst.ClassDef, cst.FunctionDef,
)


class _Index(cst.CSTVisitor):
    """One pass over the tree: every node's parent, and the nodes of the kinds we look at."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.parent: dict[int, cst.CSTNode] = {}
        self.nodes: dict[type, list] = {k: [] for k in _COLLECT}
        self._stack: list[cst.CSTNode] = []
        module.visit(self)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.parent[id(node)] = self._stack[-1]
        self._stack.append(node)
        kind = type(node)
        if kind in self.nodes:
            self.nodes[kind].append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()

    def of(self, kind: type) -> list:
        return self.nodes[kind]

    def get(self, node: cst.CSTNode | None) -> cst.CSTNode | None:
        return self.parent.get(id(node)) if node is not None else None

    def __getitem__(self, node: cst.CSTNode) -> cst.CSTNode:
        return self.parent[id(node)]


def _is_store(sub: cst.CSTNode, parents: _Index) -> bool:
    p = parents.get(sub)
    if isinstance(p, cst.AssignTarget) or isinstance(p, cst.Del):
        return p.target is sub
    if isinstance(p, (cst.AnnAssign, cst.AugAssign, cst.For)):
        return p.target is sub
    return False


def _docstrings(module: cst.Module, idx: _Index) -> set[int]:
    ids: set[int] = set()

    def first(body: Sequence[cst.CSTNode]) -> None:
        if body and isinstance(body[0], cst.SimpleStatementLine) and body[0].body:
            st = body[0].body[0]
            if isinstance(st, cst.Expr):
                v = st.value
                if isinstance(v, cst.SimpleString):
                    ids.add(id(v))
                elif isinstance(v, cst.ConcatenatedString):
                    for part in (v.left, v.right):
                        if isinstance(part, cst.SimpleString):
                            ids.add(id(part))

    first(module.body)
    for node in [*idx.of(cst.ClassDef), *idx.of(cst.FunctionDef)]:
        if isinstance(node.body, cst.IndentedBlock):
            first(node.body.body)
    return ids


def _reader_imports(idx: _Index) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for node in idx.of(cst.ImportFrom):
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            continue
        mod = _dotted(node.module)
        for alias in node.names:
            name = _dotted(alias.name)
            if mod and name:
                local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                out[(mod, name)] = local
    return out


def _is_regex(node: cst.SimpleString, parents: Any) -> bool:
    p = parents.get(node)
    if isinstance(p, cst.Arg):
        call = parents.get(p)
        if isinstance(call, cst.Call):
            name = _dotted(call.func) or ""
            if name.rpartition(".")[2] in REGEX_FUNCS and name.startswith(("re.", "regex.")) or name in REGEX_FUNCS:
                return True
    while isinstance(p, (cst.BinaryOperation, cst.ConcatenatedString)):
        p = parents.get(p)
    if isinstance(p, cst.Arg):
        call = parents.get(p)
        if isinstance(call, cst.Call) and (_dotted(call.func) or "").startswith(("re.", "regex.")):
            return True
    return "r" in node.prefix.lower() and bool(_REGEX_HINT.search(node.raw_value))


def _read_parent(node: cst.SimpleString, parents: Any) -> cst.CSTNode | None:
    p = parents.get(node)
    if isinstance(p, cst.Arg):
        return parents.get(p)
    if isinstance(p, cst.Index):
        el = parents.get(p)
        return parents.get(el) if el is not None else None
    return None


def _as_read(node: cst.SimpleString, value: str, parents: Any, s: _PyScan) -> _Read | None:
    entry = s.entry_of.get(value) or s.canon_entry.get(value)
    if entry is None:
        return None
    p = parents.get(node)
    if isinstance(p, cst.Arg):
        call = parents.get(p)
        if (
            isinstance(call, cst.Call)
            and call.args
            and call.args[0] is p
            and p.keyword is None
            and not p.star
            and (_dotted(call.func) or "") in READ_FUNCS
        ):
            default = None
            rest = list(call.args[1:])
            if len(rest) > 1 or any(a.star for a in rest):
                return None
            if rest:
                if rest[0].keyword is not None and rest[0].keyword.value != "default":
                    return None
                default = rest[0]
            return _Read(call, value, node, entry, "call", default)
    if isinstance(p, cst.Index):
        el = parents.get(p)
        sub = parents.get(el) if el is not None else None
        if isinstance(sub, cst.Subscript) and len(sub.slice) == 1 and (_dotted(sub.value) or "").endswith("environ"):
            return _Read(sub, value, node, entry, "subscript", None, load=not _is_store(sub, parents))
    return None


def _flatten_or(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        left = node.left
        if isinstance(left, cst.BooleanOperation) and isinstance(left.operator, cst.Or) and not left.lpar:
            return [*_flatten_or(left), node.right]
        return [left, node.right]
    return [node]


def _default_expr(r: _Read) -> cst.BaseExpression | None:
    return r.default.value if r.default is not None else None


def _default_code(s: _PyScan, r: _Read) -> str | None:
    d = _default_expr(r)
    return s.code(d) if d is not None else None


def _reader_call(local: str, entry: ConfigEntry, required: bool, default: str | None) -> str:
    args = [repr(k).replace("'", '"') for k in entry.keys]
    if required:
        args.append("required=True")
    elif default is not None and default != "None":
        args.append(f"default={default}")
    return f"{local}({', '.join(args)})"


def _renamed_literal(node: cst.SimpleString, new: str) -> str:
    q = node.quote
    return f"{node.prefix}{q}{new}{q}"


def _collapse(s: _PyScan, first: _Read, second: _Read, local: str | None, *, boolean: bool) -> None:
    """``first or second`` (boolean) or ``first(..., second)`` (a default): keep one read."""
    entry = first.entry
    legacy_first = first.key in entry.legacy
    old = first.key if legacy_first else second.key
    new = entry.canonical
    a0, a1 = s.span(first.node)
    b0, b1 = s.span(second.node)
    anchor = s.span(second.key_node if not legacy_first else first.key_node)[0]
    for r in (first, second):
        if r.key in entry.legacy:
            s.handled.add(s.span(r.key_node)[0])
    if local:
        default = _default_code(s, second) if not boolean else None
        text = _reader_call(local, entry, False, default)
        if boolean:
            s.edit(a0, b1, text)
            s.struct.append(StructFact("replace", s.astpos(first.node), text))
            s.struct.append(StructFact("remove-operand", s.astpos(second.node)))
        else:
            s.edit(a0, a1, text)
            s.struct.append(StructFact("replace", s.astpos(first.node), text))
        s.fact(anchor, "compat-read", old, False)
        code, msg = ("B203", f"{old} used to take precedence over {new} here; now {local}() prefers {new}") if legacy_first else (
            "B202", f"the two reads of {new} and {old} are now one {local}() call (falls back to {old} with a LegacyConfigWarning)")
        s.report(anchor, code, msg, Severity.WARNING if legacy_first else Severity.INFO)
        return
    if boolean:
        s.edit(a1, b1, "")
        s.struct.append(StructFact("remove-operand", s.astpos(second.node)))
    else:
        assert first.default is not None
        inner_default = _default_expr(second)
        arg_value = first.default.value
        if inner_default is None:
            prev = first.node.args[0]  # type: ignore[attr-defined]
            s.edit(s.span(prev.value)[1], s.span(arg_value)[1], "")
            s.struct.append(StructFact("remove-arg", s.astpos(arg_value)))
        else:
            text = s.code(inner_default)
            s.edit(b0, b1, text)
            s.struct.append(StructFact("replace", s.astpos(second.node), text))
    if legacy_first:
        a = s.span(first.key_node)
        s.edit(a[0], a[1], _renamed_literal(first.key_node, new))
    s.fact(anchor, "read", old, True)
    if legacy_first:
        s.report(anchor, "B203", f"{old} used to take precedence over {new} here; now only {new} is read: check every "
                 "environment where the two differ")
    else:
        s.report(anchor, "B201", f"dropped the fallback read of {old}: environments that set only {old} now get the "
                 f"default; set {new} there first, or use compat-reader to keep the fallback with a warning")


def _dict_defs(s: _PyScan, d: cst.Dict, keys: set[str]) -> list[Defn]:
    elements = list(d.elements)
    spans = [s.span(el) for el in elements]
    defs = []
    for idx, el in enumerate(elements):
        if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
            continue
        key = _string_value(el.key)
        if key not in keys:
            continue
        code = s.code(el.value)
        try:
            value: Any = ast.dump(ast.parse("(" + code + ")", mode="eval").body)
        except SyntaxError:
            value = None
        ks, ke = s.span(el.key)
        span = _element_removal(s, elements, spans, idx)
        kpos = s.astpos(el.key)

        def removed(defn: Defn, kpos: AstPos = kpos) -> None:
            s.struct.append(StructFact("remove-pair", kpos))
            if defn.remove:
                s.dropped.extend(s.comments_in(*defn.remove))

        defs.append(
            Defn(
                key, ks, value, code, span, "python-dict",
                rename=Edit(ks, ke, _renamed_literal(el.key, s.canonical(key))) if key in s.entry_of else None,
                on_remove=removed,
            )
        )
    return defs


def _element_removal(s: _PyScan, elements: list, spans: list[tuple[int, int]], idx: int) -> tuple[int, int] | None:
    text, doc = s.text, s.doc
    start, end = spans[idx]
    el = elements[idx]
    comma = el.comma if isinstance(el.comma, cst.Comma) else None
    stop = end
    if comma is not None:
        k = text.find(",", end)
        stop = k + 1 if k >= 0 else end
    first_line, last_line = doc.line(start), doc.line(stop)
    before = text[doc.line_start(first_line) : start]
    after = text[stop : doc.line_end(last_line)]
    if not before.strip() and (not after.strip() or after.lstrip().startswith("#")):
        # Whole lines (a trailing comment goes with them).  Removing the last
        # element leaves the previous one's comma: still valid Python.
        return (doc.line_start(first_line), doc.line_end(last_line, newline=True))
    if len(elements) == 1:
        span = (start, stop)
    elif idx + 1 < len(elements):
        span = (start, spans[idx + 1][0])
    else:
        span = (spans[idx - 1][1], end)
    if s.comments_in(*span):
        return None
    return span


def _import_offset(s: _PyScan, module: cst.Module) -> int:
    """Where to insert an import: after the leading docstring/imports block, at a line start."""
    last = None
    for i, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(isinstance(x, (cst.Import, cst.ImportFrom)) for x in stmt.body):
            last = stmt
            continue
        if i == 0 and isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            last = stmt
            continue
        break
    if last is None:
        if module.body:
            return s.doc.line_start(s.pos[module.body[0]].start.line)
        return len(s.text)
    end_line = s.pos[last].end.line
    return s.doc.line_end(end_line, newline=True)


# -- the expected tree, for the engine's self-verification --------------------------------------------


def expectation(facts: Sequence[Any], entries: Sequence[ConfigEntry], include_docs: bool) -> Callable[[ast.Module], ast.AST]:
    """Apply the recorded edits to the original ``ast``: the rewrite must equal the result."""
    struct = [f for f in facts if isinstance(f, StructFact)]
    info = next((f for f in facts if isinstance(f, PyFileFacts)), PyFileFacts((), ()))
    legacy_to = {k: e.canonical for e in entries for k in e.legacy}
    rx = token_regex(list(legacy_to)) if legacy_to else None

    def expect(tree: ast.Module) -> ast.AST:
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                skip.update(id(v) for v in node.values)
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name in info.reader_names:
                    skip.update(id(a) for a in node.args)
        docs = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                    docs.add(id(body[0].value))
        index: dict[AstPos, tuple[ast.AST, ast.AST, str]] = {}
        for parent in ast.walk(tree):
            for fname, value in ast.iter_fields(parent):
                children = value if isinstance(value, list) else [value]
                for child in children:
                    if isinstance(child, ast.expr):
                        index[(child.lineno, child.col_offset, child.end_lineno, child.end_col_offset)] = (child, parent, fname)  # type: ignore[assignment]
        # resolve the targets before mutating anything
        targets = []
        for f in struct:
            hit = index.get(f.pos)
            if hit is None:
                raise ValueError(f"{f.op} at line {f.pos[0]}: no expression there")
            targets.append((f, *hit))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                if id(node) in docs:
                    if include_docs and rx is not None:
                        node.value = rx.sub(lambda m: legacy_to[m.group(0)], node.value)
                elif node.value in legacy_to:
                    node.value = legacy_to[node.value]
        touched: list[ast.BoolOp] = []
        for f, node, parent, fname in targets:
            if f.op == "remove-pair":
                if not isinstance(parent, ast.Dict) or fname != "keys":
                    raise ValueError(f"remove-pair at line {f.pos[0]}: not a dict key")
                i = next(k for k, x in enumerate(parent.keys) if x is node)
                del parent.keys[i]
                del parent.values[i]
            elif f.op == "remove-operand":
                if not isinstance(parent, ast.BoolOp):
                    raise ValueError(f"remove-operand at line {f.pos[0]}: not an operand")
                parent.values = [v for v in parent.values if v is not node]
                touched.append(parent)
            elif f.op == "remove-arg":
                if isinstance(parent, ast.Call) and fname == "args":
                    parent.args = [a for a in parent.args if a is not node]
                elif isinstance(parent, ast.keyword):
                    call = next((c for c in ast.walk(tree) if isinstance(c, ast.Call) and parent in c.keywords), None)
                    if call is None:
                        raise ValueError(f"remove-arg at line {f.pos[0]}: keyword without a call")
                    call.keywords = [k for k in call.keywords if k is not parent]
                else:
                    raise ValueError(f"remove-arg at line {f.pos[0]}: not an argument")
            elif f.op == "replace":
                new = ast.parse("(" + f.text + ")", mode="eval").body
                value = getattr(parent, fname)
                if isinstance(value, list):
                    setattr(parent, fname, [new if v is node else v for v in value])
                else:
                    setattr(parent, fname, new)
        for b in touched:
            if len(b.values) == 1:
                _replace_node(tree, b, b.values[0])
        return tree

    return expect


def _replace_node(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for fname, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, fname, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                setattr(parent, fname, [new if v is old else v for v in value])
                return
