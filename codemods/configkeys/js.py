"""TypeScript / JavaScript: ``process.env.KEY``, ``process.env["KEY"]``, ``import.meta.env.KEY``.

A small lexer splits the file into code, comments, strings, template text
and regex literals (no parser: the rewrites are token-level).  Reads of a
legacy key are renamed; ``NEW ?? OLD`` / ``NEW || OLD`` read pairs collapse to
the canonical read (B201), the reverse order too (B203: the legacy key used
to win).  A legacy-only read in a file that also reads the canonical key is
flagged (B204): the classic "staging branch still reads the old key" case,
whose behaviour the rename changes wherever the two keys differ.
"""

from __future__ import annotations

import bisect
import re

from migrate.results import Severity

from .text import Job, Result, Scan

_KEYWORDS_BEFORE_REGEX = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await", "instanceof"}
_ENV = r"(?:process\s*\.\s*env|import\s*\.\s*meta\s*\.\s*env)"


def segments(text: str) -> list[tuple[str, int, int, bool]]:
    """(kind, start, end, whole) for comments, strings, template text and regex literals.

    ``whole`` is True for a string/template segment that is the entire literal
    (its content starts at start+1 and ends at end-1).
    """
    segs: list[tuple[str, int, int, bool]] = []
    n = len(text)

    def prev_significant(i: int) -> str:
        j = i - 1
        while j >= 0 and text[j] in " \t\r\n":
            j -= 1
        if j < 0:
            return ""
        if text[j].isalnum() or text[j] in "_$":
            k = j
            while k >= 0 and (text[k].isalnum() or text[k] in "_$"):
                k -= 1
            word = text[k + 1 : j + 1]
            return "kw" if word in _KEYWORDS_BEFORE_REGEX else "id"
        return text[j]

    def code(i: int, stop_brace: bool) -> int:
        depth = 0
        while i < n:
            c = text[i]
            if c == "/" and text.startswith("//", i):
                j = text.find("\n", i)
                j = n if j < 0 else j
                segs.append(("comment", i, j, False))
                i = j
            elif c == "/" and text.startswith("/*", i):
                j = text.find("*/", i + 2)
                j = n if j < 0 else j + 2
                segs.append(("comment", i, j, False))
                i = j
            elif c in "\"'":
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                j = min(j + 1, n)
                segs.append(("string", i, j, True))
                i = j
            elif c == "`":
                i = template(i)
            elif c == "/":
                p = prev_significant(i)
                if p in ("", "kw") or (p not in ("id", ")", "]", "}") and not p.isalnum()):
                    j = i + 1
                    in_class = False
                    while j < n and text[j] != "\n":
                        if text[j] == "\\":
                            j += 2
                            continue
                        if text[j] == "[":
                            in_class = True
                        elif text[j] == "]":
                            in_class = False
                        elif text[j] == "/" and not in_class:
                            break
                        j += 1
                    j += 1
                    while j < n and text[j].isalpha():
                        j += 1
                    segs.append(("regex", i, min(j, n), False))
                    i = j
                else:
                    i += 1
            elif c == "{":
                depth += 1
                i += 1
            elif c == "}":
                if stop_brace and depth == 0:
                    return i + 1
                depth -= 1
                i += 1
            else:
                i += 1
        return i

    def template(i: int) -> int:
        start = i
        j = i + 1
        seg_start = i
        whole = True
        while j < n:
            if text[j] == "\\":
                j += 2
                continue
            if text[j] == "`":
                segs.append(("template", seg_start, j + 1, whole))
                return j + 1
            if text.startswith("${", j):
                whole = False
                segs.append(("template", seg_start, j, False))
                j = code(j + 2, True)
                seg_start = j - 1
                continue
            j += 1
        segs.append(("template", seg_start if seg_start != start else start, n, False))
        return n

    code(0, False)
    segs.sort(key=lambda s: s[1])
    return segs


def handle_js(job: Job) -> Result:
    s = Scan(job)
    text = s.text
    segs = segments(text)
    starts = [x[1] for x in segs]

    def seg_at(p: int):
        k = bisect.bisect_right(starts, p) - 1
        if k >= 0 and segs[k][1] <= p < segs[k][2]:
            return segs[k]
        return None

    def clean(a: int, b: int) -> bool:
        return not any(x[0] == "comment" and a < x[2] and x[1] < b for x in segs)

    def canon_read(key: str) -> str:
        return rf"{_ENV}\s*(?:\?\.|\.)\s*{key}(?![\w$])|{_ENV}\s*(?:\?\.)?\s*\[\s*(?P<q>[\"'`]){key}(?P=q)\s*\]"

    reads: list[tuple[int, int, int, str]] = []  # (read start, read end, token start, key)
    for m in s.token.finditer(text):
        p, key = m.start(), m.group(0)
        seg = seg_at(p)
        kind = seg[0] if seg else "code"
        if kind == "comment":
            s.docs(p, key)
        elif kind == "regex":
            s.mention(p, key, "regex", "B401", f"a regex names legacy key {key}: not edited; update it by hand if it should match {s.canonical(key)}")
        elif kind in ("string", "template"):
            assert seg is not None
            exact = seg[3] and text[seg[1] + 1 : seg[2] - 1] == key
            if not exact:
                s.mention(p, key, "js-text", "B402", f"a string mentions legacy key {key} in a larger text: not rewritten")
                continue
            env = re.search(rf"{_ENV}\s*(?:\?\.)?\s*\[\s*$", text[max(0, seg[1] - 60) : seg[1]])
            close = re.match(r"\s*\]", text[seg[2] :])
            if env and close:
                reads.append((max(0, seg[1] - 60) + env.start(), seg[2] + close.end(), p, key))
                s.rename(p, key, "js-read")
            else:
                s.rename(p, key, "js-string")
        else:
            env = re.search(rf"{_ENV}\s*(?:\?\.|\.)\s*$", text[max(0, p - 60) : p])
            if env:
                reads.append((max(0, p - 60) + env.start(), p + len(key), p, key))
                s.rename(p, key, "js-read")
            else:
                s.mention(
                    p, key, "js-identifier", "B403",
                    f"identifier {key} (not a process.env/import.meta.env read): not rewritten; "
                    "if it names the setting (destructuring, an object key), rename it by hand",
                )
    # Collapse `NEW ?? OLD` / `OLD ?? NEW` read pairs.
    standalone = []
    for rs, re_, p, key in reads:
        new = s.canonical(key)
        pat = canon_read(new)
        win = max(0, rs - 200)
        before = re.search(rf"(?P<canon>{pat})\s*(?:\?\?|\|\|)\s*$", text[win:rs])
        after = re.match(rf"\s*(?:\?\?|\|\|)\s*(?P<canon>{pat})", text[re_:])
        if before and clean(win + before.start(), re_):
            s.edit(win + before.end("canon"), re_, "")
            s.report(
                p, "B201",
                f"dropped the fallback read of {key} after {new}: environments that set only {key} now get the next "
                f"fallback; set {new} there first",
            )
        elif after and clean(rs, re_ + after.end()):
            s.edit(rs, re_ + after.start("canon"), "")
            s.report(
                p, "B203",
                f"{key} used to take precedence over {new} here; now only {new} is read: check every environment "
                "where the two differ",
            )
        else:
            standalone.append((rs, re_, p, key))
    for rs, re_, p, key in standalone:
        new = s.canonical(key)
        others = [m for m in re.finditer(canon_read(new), text) if (seg_at(m.start()) is None)]
        if others:
            lines = ", ".join(s.where(m.start()) for m in others[:5])
            s.report(
                p, "B204",
                f"this read used only {key} while {lines} reads {new}: the two can differ per environment "
                f"(e.g. a staging-only value); after the rename it reads {new}",
                Severity.WARNING,
                related=tuple(s.where(m.start()) for m in others[:5]),
            )
    return s.result
