""".env files, Dockerfiles, YAML, JSON and Markdown: exact span edits, no reserialising.

Each handler finds every legacy key token and puts it in exactly one class:

* a definition (``KEY=value``, ``ENV``/``ARG``, a mapping key, a ``KEY=value``
  list entry, a JSON member): resolved per namespace (see ``text.Scan.resolve``);
* an interpolation (``$KEY``, ``${KEY}``, ``${KEY:-x}``) or an assignment inside a
  scalar (``--build-arg KEY=x``): renamed;
* a scalar that is exactly the key (``secretEnv: [KEY]``, ``"KEY"`` in JSON): renamed;
* a comment: rewritten only with ``--include-docs`` (B404, info);
* anything else (free text, a regex, part of a larger word): reported (B402), never edited.

YAML and JSON outputs are checked before they are offered: the edited document
must parse and equal the original with the keys renamed (and the dropped
duplicates gone).  JSON uses the standard library; YAML uses PyYAML when it
is importable (it comes with LibCST), and the check is skipped otherwise.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any, Callable


from .text import Defn, Job, Result, Scan, after_dollar, assignment_at, ref_of, unquote

# ---------------------------------------------------------------------------------------
# .env
# ---------------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^([ \t]*)(export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]*)([ \t]*=[ \t]*)")


def handle_env(job: Job) -> Result:
    s = Scan(job)
    text, doc = s.text, s.doc
    comments: list[tuple[int, int]] = []
    values: list[tuple[int, int]] = []
    defs: list[Defn] = []
    all_keys = [k for e in job.entries for k in e.keys]
    n = len(doc.starts)
    i = 1
    while i <= n:
        start, end = doc.line_start(i), doc.line_end(i)
        body = text[start:end]
        if body.lstrip().startswith("#"):
            comments.append((start, end))
            i += 1
            continue
        m = _ENV_LINE.match(body)
        if not m:
            i += 1
            continue
        key = m.group(3)
        vstart = start + m.end(4)
        last = i
        raw = text[vstart:end]
        if raw[:1] in ("'", '"'):
            q = raw[0]
            j = vstart + 1
            while True:
                k = text.find(q, j)
                if k < 0:
                    vend = len(text)
                    break
                if q == '"' and _escaped(text, k):
                    j = k + 1
                    continue
                vend = k + 1
                break
            last = doc.line(max(vend - 1, vstart))
            rest_end = doc.line_end(last)
            rest = text[vend:rest_end]
            c = rest.find("#")
            if c >= 0:
                comments.append((vend + c, rest_end))
        else:
            c = re.search(r"[ \t]#", raw)
            vend = vstart + (c.start() if c else len(raw.rstrip()))
            if c:
                comments.append((vstart + c.start(), end))
        values.append((vstart, vend))
        value = text[vstart:vend]
        if key in all_keys:
            defs.append(
                Defn(
                    key,
                    start + m.start(3),
                    unquote(value),
                    value or "''",
                    (start, doc.line_end(last, newline=True)),
                    "env",
                    ref=ref_of(unquote(value), all_keys),
                )
            )
        i = last + 1
    s.resolve(defs, self_ref=lambda d: "remove")
    for m in s.token.finditer(text):
        p, key = m.start(), m.group(0)
        if p in s.handled:
            continue
        if _inside(p, comments):
            s.docs(p, key)
        elif _inside(p, values) and after_dollar(text, p):
            s.rename(p, key, "interpolation")
        else:
            s.mention(p, key, "env-text", "B402", f"mentions legacy key {key} outside a definition or interpolation: not rewritten")
    return s.result


def _escaped(text: str, k: int) -> bool:
    n = 0
    while k - n - 1 >= 0 and text[k - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _inside(p: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= p < b for a, b in spans)


# ---------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------


def handle_dockerfile(job: Job) -> Result:
    s = Scan(job)
    text, doc = s.text, s.doc
    esc = "\\"
    m = re.match(r"(?:[ \t]*#[ \t]*[a-z]+[ \t]*=.*\n)*?[ \t]*#[ \t]*escape[ \t]*=[ \t]*(\S)", text, re.I)
    if m:
        esc = m.group(1)
    all_keys = [k for e in job.entries for k in e.keys]
    comments: list[tuple[int, int]] = []
    stages: list[dict[str, list[Defn]]] = [{"ENV": [], "ARG": []}]
    n = len(doc.starts)
    i = 1
    while i <= n:
        start, end = doc.line_start(i), doc.line_end(i)
        body = text[start:end]
        if not body.strip():
            i += 1
            continue
        if body.lstrip().startswith("#"):
            comments.append((start, end))
            i += 1
            continue
        j = i
        while text[doc.line_start(j) : doc.line_end(j)].rstrip(" \t").endswith(esc) and j < n:
            j += 1
            inner = text[doc.line_start(j) : doc.line_end(j)]
            if inner.lstrip().startswith("#"):
                comments.append((doc.line_start(j), doc.line_end(j)))
        inst_end = doc.line_end(j)
        kw = re.match(r"[ \t]*([A-Za-z]+)", body)
        i = j + 1
        if not kw:
            continue
        keyword = kw.group(1).upper()
        words = _docker_words(text, start + kw.end(1), inst_end, esc)
        if keyword == "FROM":
            stages.append({"ENV": [], "ARG": []})
            continue
        if keyword not in ("ENV", "ARG"):
            continue
        full = (start, doc.line_end(j, newline=True))
        pairs: list[tuple[int, int, int | None]] = []  # word start, word end, '=' offset
        if keyword == "ENV" and words and "=" not in _unquoted_prefix(text, words[0]):
            # Legacy form: ENV KEY value with spaces
            ws, we = words[0]
            value = text[words[1][0] : words[-1][1]] if len(words) > 1 else ""
            key = text[ws:we]
            if key in all_keys:
                stages[-1]["ENV"].append(
                    Defn(key, ws, unquote(value), value, full, "docker-env", ref=ref_of(unquote(value), all_keys))
                )
            continue
        for ws, we in words:
            word = text[ws:we]
            eq = word.find("=")
            key = word[:eq] if eq >= 0 else word
            pairs.append((ws, we, ws + eq if eq >= 0 else None))
        for idx, (ws, we, eq) in enumerate(pairs):
            key = text[ws:eq] if eq is not None else text[ws:we]
            if key not in all_keys:
                continue
            value = text[eq + 1 : we] if eq is not None else ""
            if len(pairs) == 1:
                span = full
            elif idx + 1 < len(pairs):
                span = (ws, pairs[idx + 1][0])
            else:
                span = (pairs[idx - 1][1], we)
            shown = value if eq is not None else "(no default)"
            stages[-1][keyword].append(
                Defn(
                    key,
                    ws,
                    unquote(value) if eq is not None else "\0no-default",
                    shown or "''",
                    span,
                    "docker-env" if keyword == "ENV" else "docker-arg",
                    ref=ref_of(unquote(value), all_keys) if eq is not None else None,
                )
            )
    for stage in stages:
        arg_keys = {d.key for d in stage["ARG"]}
        s.resolve(stage["ARG"])
        s.resolve(stage["ENV"], self_ref=lambda d, arg_keys=arg_keys: "rename" if s.canonical(d.key) in arg_keys else "remove")
    for m in s.token.finditer(text):
        p, key = m.start(), m.group(0)
        if p in s.handled:
            continue
        if _inside(p, comments):
            s.docs(p, key)
        elif after_dollar(text, p):
            s.rename(p, key, "interpolation")
        elif assignment_at(text, p, key):
            s.rename(p, key, "assignment")
        else:
            s.mention(p, key, "docker-text", "B402", f"mentions legacy key {key} outside ENV/ARG or an interpolation: not rewritten")
    return s.result


def _unquoted_prefix(text: str, word: tuple[int, int]) -> str:
    w = text[word[0] : word[1]]
    q = re.search(r"[\"']", w)
    return w[: q.start()] if q else w


def _docker_words(text: str, pos: int, end: int, esc: str) -> list[tuple[int, int]]:
    """Whitespace-separated words of an instruction's arguments, quotes and continuations honoured."""
    words = []

    def continuation(p: int) -> int | None:
        if text[p] != esc:
            return None
        q = p + 1
        while q < end and text[q] in " \t":
            q += 1
        if q < end and text[q] in "\r\n":
            q = text.find("\n", q)
            q = end if q < 0 else q + 1
            # comment lines inside a continuation are ignored
            while q < end and text[q:].lstrip(" \t").startswith("#"):
                nl = text.find("\n", q)
                q = end if nl < 0 else nl + 1
            return q
        if q >= end:
            return end
        return None

    while pos < end:
        c = text[pos]
        if c in " \t\r\n":
            pos += 1
            continue
        nxt = continuation(pos)
        if nxt is not None:
            pos = nxt
            continue
        ws = pos
        while pos < end:
            c = text[pos]
            if c in " \t\r\n":
                break
            if c == esc:
                if continuation(pos) is not None:
                    break
                pos += 2
                continue
            if c in "\"'":
                q = pos + 1
                while q < end and text[q] != c:
                    q += 2 if (text[q] == esc and c == '"') else 1
                pos = min(q + 1, end)
                continue
            pos += 1
        words.append((ws, pos))
    return words


# ---------------------------------------------------------------------------------------
# YAML (line-based: block mappings and sequences, flow collections on one line)
# ---------------------------------------------------------------------------------------

_YAML_PLAIN_KEY = re.compile(r"""([^\s#'"{}\[\],&*!|>%@`:][^#:]*?|[^\s#'"{}\[\],&*!|>%@`][^#:]*?)[ \t]*:(?=[ \t]|$)""")


def _yaml_comment_start(line: str, pos: int) -> int:
    """Index of a ``#`` comment in ``line`` (outside quotes), or len(line)."""
    q = None
    i = pos
    while i < len(line):
        c = line[i]
        if q:
            if c == "\\" and q == '"':
                i += 2
                continue
            if c == q:
                if q == "'" and line[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                q = None
        elif c in "\"'" and (i == pos or line[i - 1] in " \t:,[{-"):
            q = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        i += 1
    return len(line)


def _yaml_scalar(text: str) -> str:
    t = text.strip()
    if len(t) >= 2 and t[0] == "'" and t[-1] == "'":
        return t[1:-1].replace("''", "'")
    if len(t) >= 2 and t[0] == '"' and t[-1] == '"':
        try:
            return json.loads(t)
        except ValueError:
            return t[1:-1]
    return t


def handle_yaml(job: Job) -> Result:
    s = Scan(job)
    text, doc = s.text, s.doc
    all_keys = [k for e in job.entries for k in e.keys]
    n = len(doc.starts)
    first_col: dict[int, int] = {}  # content line -> column of its first character
    comments: list[tuple[int, int]] = []
    blocks: list[tuple[int, int]] = []  # block scalar content spans
    containers: dict[tuple[int, int, str], list[Defn]] = {}
    key_spans: list[tuple[int, int]] = []
    block_indent: int | None = None

    def anchor(line: int, col: int) -> int:
        for j in range(line, 0, -1):
            if j in first_col and first_col[j] < col:
                return j
        return 0

    def block_end(line: int, col: int) -> int:
        """Last line of the nested block under ``line`` (lines more indented than ``col``)."""
        last = line
        for j in range(line + 1, n + 1):
            body = doc.line_text(j)
            if not body.strip():
                continue
            ind = len(body) - len(body.lstrip(" "))
            if ind > col or (ind == col and body.lstrip(" ").startswith("- ") and not doc.line_text(line).lstrip().startswith("- ")):
                last = j
            else:
                break
        return last

    for i in range(1, n + 1):
        start, end = doc.line_start(i), doc.line_end(i)
        body = text[start:end]
        stripped = body.lstrip(" ")
        indent = len(body) - len(stripped)
        if block_indent is not None:
            if not stripped.strip() or indent > block_indent:
                blocks.append((start, end))
                continue
            block_indent = None
        if not stripped.strip():
            continue
        if stripped.startswith("#"):
            comments.append((start, end))
            continue
        if re.match(r"(---|\.\.\.)(\s|$)", stripped):
            cstart = _yaml_comment_start(body, 3)
            if cstart < len(body):
                comments.append((start + cstart, end))
            continue
        first_col[i] = indent
        pos = indent
        dash_col = None
        while re.match(r"-(?:[ \t]|$)", body[pos:]):
            dash_col = pos
            pos += 1
            while pos < len(body) and body[pos] in " \t":
                pos += 1
        cstart = _yaml_comment_start(body, pos)
        if cstart < len(body):
            comments.append((start + cstart, end))
        content = body[pos:cstart].rstrip()
        key_text = None
        km = None
        if content[:1] in ("'", '"'):
            km = re.match(r"""('(?:[^']|'')*'|"(?:[^"\\]|\\.)*")[ \t]*:(?=[ \t]|$)""", content)
            if km:
                key_text = _yaml_scalar(km.group(1))
        else:
            km = _YAML_PLAIN_KEY.match(content)
            if km:
                key_text = km.group(1)
        if km is not None and key_text is not None:
            rest = content[km.end() :].strip()
            if rest[:1] in ("|", ">"):
                block_indent = indent if dash_col is None else pos
            key_col = pos
            if key_text in all_keys:
                kstart = start + pos + (1 if content[:1] in "'\"" else 0)
                key_spans.append((kstart, kstart + len(key_text)))
                last = block_end(i, key_col) if (not rest or rest[:1] in "|>") else i
                value: Any
                if not rest or rest[:1] in "|>":
                    lines = [doc.line_text(j) for j in range(i + 1, last + 1)]
                    value = rest + "\n" + textwrap.dedent("\n".join(lines)).strip()
                    shown = "(a nested block)" if not rest else rest + " (a block scalar)"
                else:
                    value = _yaml_scalar(rest)
                    shown = rest
                removable = dash_col is None
                defn = Defn(
                    key_text, kstart, value, shown,
                    (start, doc.line_end(last, newline=True)) if removable else None,
                    "yaml-key",
                )
                containers.setdefault((anchor(i, key_col), key_col, "map"), []).append(defn)
        elif dash_col is not None and content:
            scalar = _yaml_scalar(content)
            em = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(=(.*))?$", scalar, re.S)
            if em and em.group(1) in all_keys and content[:1] not in "[{":
                kstart = start + pos + (1 if content[:1] in "'\"" else 0)
                key_spans.append((kstart, kstart + len(em.group(1))))
                value = em.group(3) if em.group(2) else "\0name"
                containers.setdefault((anchor(i, dash_col), dash_col, "seq"), []).append(
                    Defn(
                        em.group(1), kstart, value, em.group(3) if em.group(2) else "(a name)",
                        (start, doc.line_end(i, newline=True)), "yaml-list",
                    )
                )
    for defs in containers.values():
        s.resolve(defs, self_ref=lambda d: "rename")
    for m in s.token.finditer(text):
        p, key = m.start(), m.group(0)
        if p in s.handled:
            continue
        if _inside(p, comments):
            s.docs(p, key)
        elif after_dollar(text, p):
            s.rename(p, key, "interpolation")
        elif assignment_at(text, p, key):
            s.rename(p, key, "assignment")
        elif not _inside(p, blocks) and _yaml_exact_scalar(text, p, key):
            s.rename(p, key, "yaml-scalar")
        else:
            s.mention(p, key, "yaml-text", "B402", f"mentions legacy key {key} inside a larger value: not rewritten")
    if not s.result.conflict and s.result.edits:
        s.result.problem = check_document(job, s.result, "yaml")
    return s.result


def _yaml_exact_scalar(text: str, p: int, key: str) -> bool:
    """The token is a whole scalar: ``key: KEY``, ``- KEY``, ``[KEY, ...]``, ``{KEY: 1}``, quoted or not."""
    line_start = text.rfind("\n", 0, p) + 1
    line_end = text.find("\n", p)
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start:p]
    after = text[p + len(key) : line_end].rstrip("\r")
    q = ""
    if before[-1:] in ("'", '"'):
        q = before[-1]
        before = before[:-1]
        if not after.startswith(q):
            return False
        after = after[1:]
    b = before.rstrip(" \t")
    opened = b == "" or b.endswith(("-", "[", ",", "{", ":", "? "))
    if b.endswith(":") and not before.endswith((" ", "\t")):
        return False
    closed = re.match(r"[ \t]*(?:$|#|,|\]|\}|:(?:[ \t]|$))", after) is not None
    return opened and closed


# ---------------------------------------------------------------------------------------
# JSON (and JSON with comments)
# ---------------------------------------------------------------------------------------


class _JsonError(ValueError):
    pass


class _Json:
    """A tiny JSON(C) reader that keeps spans: objects, arrays, strings, comments."""

    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.comments: list[tuple[int, int]] = []
        self.strings: list[tuple[int, int, str]] = []  # span incl. quotes, decoded value
        self.objects: list[list[tuple[tuple[int, int, str], tuple[int, int]]]] = []  # members: (key string, value span)
        self.arrays: list[list[tuple[int, int]]] = []

    def ws(self) -> None:
        t = self.t
        while self.i < len(t):
            c = t[self.i]
            if c in " \t\r\n\ufeff":
                self.i += 1
            elif t.startswith("//", self.i):
                j = t.find("\n", self.i)
                j = len(t) if j < 0 else j
                self.comments.append((self.i, j))
                self.i = j
            elif t.startswith("/*", self.i):
                j = t.find("*/", self.i + 2)
                if j < 0:
                    raise _JsonError("unterminated comment")
                self.comments.append((self.i, j + 2))
                self.i = j + 2
            else:
                break

    def value(self) -> tuple[int, int]:
        self.ws()
        t = self.t
        if self.i >= len(t):
            raise _JsonError("unexpected end")
        c = t[self.i]
        start = self.i
        if c == "{":
            self.i += 1
            members = []
            self.ws()
            if t[self.i : self.i + 1] == "}":
                self.i += 1
            else:
                while True:
                    self.ws()
                    key = self.string()
                    self.ws()
                    if t[self.i : self.i + 1] != ":":
                        raise _JsonError(f"expected ':' at {self.i}")
                    self.i += 1
                    members.append((key, self.value()))
                    self.ws()
                    c = t[self.i : self.i + 1]
                    self.i += 1
                    if c == "}":
                        break
                    if c != ",":
                        raise _JsonError(f"expected ',' or '}}' at {self.i - 1}")
            self.objects.append(members)
        elif c == "[":
            self.i += 1
            items = []
            self.ws()
            if t[self.i : self.i + 1] == "]":
                self.i += 1
            else:
                while True:
                    items.append(self.value())
                    self.ws()
                    c = t[self.i : self.i + 1]
                    self.i += 1
                    if c == "]":
                        break
                    if c != ",":
                        raise _JsonError(f"expected ',' or ']' at {self.i - 1}")
            self.arrays.append(items)
        elif c == '"':
            self.string()
        else:
            m = re.compile(r"-?\d[\d.eE+-]*|true|false|null").match(t, self.i)
            if not m:
                raise _JsonError(f"unexpected {c!r} at {self.i}")
            self.i = m.end()
        return start, self.i

    def string(self) -> tuple[int, int, str]:
        t = self.t
        if t[self.i : self.i + 1] != '"':
            raise _JsonError(f"expected a string at {self.i}")
        j = self.i + 1
        while j < len(t) and t[j] != '"':
            j += 2 if t[j] == "\\" else 1
        if j >= len(t):
            raise _JsonError("unterminated string")
        span = (self.i, j + 1)
        try:
            val = json.loads(t[span[0] : span[1]])
        except ValueError as exc:
            raise _JsonError(str(exc)) from None
        self.i = j + 1
        out = (span[0], span[1], val)
        self.strings.append(out)
        return out


def handle_json(job: Job) -> Result:
    s = Scan(job)
    text, doc = s.text, s.doc
    js = _Json(text)
    try:
        js.value()
        js.ws()
        if js.i != len(text):
            raise _JsonError(f"trailing text at {js.i}")
    except _JsonError as exc:
        for m in s.token.finditer(text):
            s.mention(m.start(), m.group(0), "json-text", "B402", f"cannot read this file as JSON ({exc}): legacy key {m.group(0)} not rewritten")
        return s.result
    all_keys = [k for e in job.entries for k in e.keys]

    def clean(a: int, b: int) -> bool:
        return not any(a < c1 and c0 < b for c0, c1 in js.comments)

    def removal(spans: list[tuple[int, int]], idx: int) -> tuple[int, int] | None:
        """The member/element and one separating comma; whole lines when it sits on lines of its own."""
        a, b = spans[idx]
        first, last = doc.line(a), doc.line(b)
        own = not text[doc.line_start(first) : a].strip()
        tail = text[b : doc.line_end(last)]
        comma = re.match(r"[ \t]*,", tail)
        rest = tail[comma.end() :] if comma else tail
        own = own and (not rest.strip() or rest.lstrip().startswith(("//", "/*")))
        if own and idx + 1 < len(spans):
            # `  "K": v,  // note` on its own line(s): drop the lines, note included.
            return (doc.line_start(first), doc.line_end(last, newline=True))
        if own and idx > 0 and doc.line(spans[idx - 1][1]) < first:
            # the last one: drop the previous comma up to the end of this member's line
            prev_end = spans[idx - 1][1]
            span = (prev_end, doc.line_end(last))
            between = text[prev_end : doc.line_start(first)]
            return span if not any(prev_end <= c0 < doc.line_start(first) for c0, _ in js.comments) and between.count(",") == 1 else None
        if len(spans) == 1:
            span = (a, b)
        elif idx + 1 < len(spans):
            span = (a, spans[idx + 1][0])
        else:
            span = (spans[idx - 1][1], b)
        return span if clean(*span) else None

    def canonical_json(a: int, b: int) -> Any:
        try:
            return json.dumps(json.loads(text[a:b]), sort_keys=True)
        except ValueError:
            return None

    for members in js.objects:
        spans = [(k[0], v[1]) for k, v in members]
        defs = []
        for idx, ((ks, ke, kval), (vs, ve)) in enumerate(members):
            if kval in all_keys and text[ks + 1 : ke - 1] == kval:
                defs.append(Defn(kval, ks + 1, canonical_json(vs, ve), text[vs:ve], removal(spans, idx), "json-key"))
        s.resolve(defs, self_ref=lambda d: "rename")
    strings = {st[0]: st for st in js.strings}
    for items in js.arrays:
        defs = []
        for idx, (a, b) in enumerate(items):
            st = strings.get(a)
            if st is None or st[1] != b:
                continue
            em = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(=(.*))?$", st[2], re.S)
            if em and em.group(1) in all_keys and text[a + 1 : a + 1 + len(em.group(1))] == em.group(1):
                defs.append(
                    Defn(em.group(1), a + 1, em.group(3) if em.group(2) else "\0name",
                         text[a:b], removal(items, idx), "json-list")
                )
        s.resolve(defs, self_ref=lambda d: "rename")
    for m in s.token.finditer(text):
        p, key = m.start(), m.group(0)
        if p in s.handled:
            continue
        st = next((x for x in js.strings if x[0] < p < x[1]), None)
        if st is None:
            if _inside(p, js.comments):
                s.docs(p, key)
            else:
                s.mention(p, key, "json-text", "B402", f"legacy key {key} outside a JSON string: not rewritten")
        elif st[2] == key and text[st[0] + 1 : st[1] - 1] == key:
            s.rename(p, key, "json-string")
        elif after_dollar(text, p):
            s.rename(p, key, "interpolation")
        elif assignment_at(text, p, key):
            s.rename(p, key, "assignment")
        else:
            s.mention(p, key, "json-text", "B402", f"a JSON string mentions legacy key {key} in a larger text: not rewritten")
    if not s.result.conflict and s.result.edits:
        s.result.problem = check_document(job, s.result, "json")
    return s.result


# ---------------------------------------------------------------------------------------
# Markdown (only with --include-docs)
# ---------------------------------------------------------------------------------------


def handle_markdown(job: Job) -> Result:
    s = Scan(job)
    for m in s.token.finditer(s.text):
        s.rename(m.start(), m.group(0), "markdown")
    return s.result


# ---------------------------------------------------------------------------------------
# Self-check of YAML/JSON output: same document, keys renamed, duplicates dropped
# ---------------------------------------------------------------------------------------


def check_document(job: Job, result: Result, kind: str) -> str | None:
    """None if the edited document equals the original modulo the rename; else the problem."""
    from .text import apply_edits

    after = apply_edits(job.text, result.edits)
    try:
        loads = _loader(kind)
    except ImportError:
        return None
    if loads is None:
        return None
    try:
        before_doc = loads(job.text)
    except Exception:  # noqa: BLE001 - templated YAML etc.: nothing to compare against
        return None
    try:
        after_doc = loads(after)
    except Exception as exc:  # noqa: BLE001
        return f"the rewritten {kind} does not parse: {str(exc).splitlines()[0]}"
    try:
        want = _canon(before_doc, job)
    except _Collision as exc:
        return f"the rename merges two definitions that differ ({exc}; a YAML merge key or alias?): resolve by hand"
    try:
        got = _canon(after_doc, job)
    except _Collision as exc:
        return f"the rewritten {kind} still defines a key twice ({exc})"
    if want != got:
        return f"the rewritten {kind} document differs from the original beyond the key rename"
    return None


class _DuplicateKey(ValueError):
    pass


class _Collision(ValueError):
    pass


def _loader(kind: str) -> Callable[[str], Any] | None:
    if kind == "json":

        def pairs(items: list) -> dict:
            keys = [k for k, _ in items]
            if len(set(keys)) != len(keys):
                raise _DuplicateKey(f"duplicate key in {keys}")
            return dict(items)

        return lambda t: json.loads(t.lstrip("\ufeff"), object_pairs_hook=pairs)
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: Any, node: Any, deep: bool = False) -> dict:
        seen = set()
        for k_node, _ in node.value:  # the mapping's own keys (merged ones may be overridden)
            if k_node.tag == "tag:yaml.org,2002:merge":
                continue
            k = loader.construct_object(k_node, deep=True)
            if k in seen:
                raise _DuplicateKey(f"duplicate key {k!r} (line {k_node.start_mark.line + 1})")
            seen.add(k)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=True)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return lambda t: list(yaml.load_all(t, Loader=Loader))


def _canon(obj: Any, job: Job) -> Any:
    """Rename legacy tokens everywhere; keep one of each group of same-key definitions."""
    from .model import token_regex

    legacy_to = {k: e.canonical for e in job.entries for k in e.legacy}
    canon_keys = {e.canonical for e in job.entries}
    rx = token_regex(list(legacy_to))

    def sub(x: Any) -> Any:
        return rx.sub(lambda m: legacy_to[m.group(0)], x) if isinstance(x, str) else x

    def walk(o: Any) -> Any:
        if isinstance(o, dict):
            out: dict = {}
            origin: dict = {}
            for k, v in o.items():
                k2, v2 = sub(k), walk(v)
                legacy = k2 != k
                if k2 in out:
                    if out[k2] != v2:
                        if job.prefer is None:
                            raise _Collision(f"{k2} would get two different values")
                        if legacy == (job.prefer == "legacy"):
                            out[k2] = v2
                    continue
                out[k2], origin[k2] = v2, legacy
            return out
        if isinstance(o, list):
            items = [walk(x) for x in o]
            originals = [x if isinstance(x, str) else None for x in o]
            keep: list = []
            seen: dict[str, int] = {}
            for x, orig in zip(items, originals):
                m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(=|$)", x) if isinstance(x, str) else None
                if m and m.group(1) in canon_keys:
                    key = m.group(1)
                    was_legacy = orig is not None and orig != x
                    if key in seen:
                        j = seen[key]
                        if keep[j][0] != x and job.prefer is None:
                            raise _Collision(f"{key} would be listed twice with different values")
                        first_legacy = keep[j][1]
                        if job.prefer == "legacy":
                            better = was_legacy and not first_legacy
                        else:
                            better = (not was_legacy) and first_legacy
                        if better:
                            keep[j] = None  # type: ignore[call-overload]
                            seen[key] = len(keep)
                            keep.append((x, was_legacy))
                        continue
                    seen[key] = len(keep)
                    keep.append((x, was_legacy))
                else:
                    keep.append((x, False))
            return [x for x, _ in (k for k in keep if k is not None)]
        return sub(o)

    return walk(obj)
