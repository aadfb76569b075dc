"""Span edits over the original text, definitions of a key, and their resolution.

A handler never rebuilds a file: it returns :class:`Edit` spans over the
decoded original text, and :func:`apply_edits` splices them in.  Everything
outside the spans stays byte for byte.

A *definition* is one place that gives a key a value inside one namespace (an
.env file, a Dockerfile stage's ENV or ARG, a YAML mapping or list, a JSON
object or array, a Python dict literal).  :meth:`Scan.resolve` decides, per
namespace, what the rename would do when both spellings are defined there:
equal values drop the legacy definition, different values are a conflict
(reported with both values and lines; the file is left alone) unless the run
says which side wins (``--prefer canonical|legacy``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from migrate.results import RefFact, Report, Severity

from .model import ConfigEntry, token_regex


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Splice ``edits`` into ``text``.  An edit inside a larger one is dropped (the larger wins)."""
    # Same start: insertions first, then the longest span (which contains the others).
    ordered = sorted(set(edits), key=lambda e: (e.start, e.end > e.start, -e.end))
    kept: list[Edit] = []
    for e in ordered:
        if kept:
            last = kept[-1]
            if last.end > last.start and last.start <= e.start and e.end <= last.end and e.end > e.start:
                continue  # nested in a removal or replacement
            if e.start < last.end:
                raise ValueError(f"overlapping edits at {last.start}-{last.end} and {e.start}-{e.end}")
        kept.append(e)
    out = []
    pos = 0
    for e in kept:
        out.append(text[pos : e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


class Doc:
    """Line arithmetic over one text (``\\n`` only: ``\\r`` stays part of its line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def line_start(self, lineno: int) -> int:
        return self.starts[lineno - 1]

    def line_end(self, lineno: int, *, newline: bool = False) -> int:
        """End of line ``lineno``: before its ``\\r\\n``/``\\n`` or, with ``newline``, after it."""
        if lineno < len(self.starts):
            end = self.starts[lineno]
            if newline:
                return end
            end -= 1
            if end > 0 and self.text[end - 1] == "\r":
                end -= 1
            return end
        return len(self.text)

    def line_text(self, lineno: int) -> str:
        return self.text[self.line_start(lineno) : self.line_end(lineno)]

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def newline(self) -> str:
        m = re.search(r"\r?\n", self.text)
        return m.group(0) if m else "\n"


@dataclass
class Defn:
    """One definition of a key in one namespace."""

    key: str
    start: int  # offset of the key (for reports)
    value: Any  # normalised for comparison; None: not comparable
    shown: str  # the value as written, for messages
    remove: tuple[int, int] | None  # span that removes the definition; None: cannot be removed safely
    kind: str  # RefFact kind
    ref: str | None = None  # the key this value only points at (``$KEY``), if any
    rename: Edit | None = None  # how to rename it (default: the key token)
    on_remove: Callable[["Defn"], None] | None = None  # extra bookkeeping (Python: verification facts)


@dataclass(frozen=True)
class Job:
    path: str
    text: str
    entries: tuple[ConfigEntry, ...]
    prefer: str | None
    include_docs: bool


@dataclass
class Result:
    edits: list[Edit] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    facts: list[Any] = field(default_factory=list)
    conflict: bool = False
    problem: str | None = None  # the handler's own check failed: refuse the file
    skipped: str | None = None  # could not be read as this kind


class Scan:
    """Shared state of one handler run over one file."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.path = job.path
        self.text = job.text
        self.doc = Doc(job.text)
        self.entries = job.entries
        self.entry_of: dict[str, ConfigEntry] = {}
        for e in job.entries:
            for k in e.legacy:
                self.entry_of[k] = e
        self.token = token_regex([k for e in job.entries for k in e.legacy])
        self.canon_token = token_regex([e.canonical for e in job.entries])
        self.result = Result()
        self.handled: set[int] = set()  # token offsets already decided

    # -- bookkeeping ------------------------------------------------------------
    def where(self, offset: int) -> str:
        return f"{self.path}:{self.doc.line(offset)}"

    def report(self, offset: int, code: str, message: str, severity: Severity = Severity.WARNING, related: Sequence[str] = ()) -> None:
        self.result.reports.append(Report(self.path, self.doc.line(offset), code, message, severity, related=tuple(related)))

    def fact(self, offset: int, kind: str, key: str, rewritten: bool) -> None:
        self.result.facts.append(RefFact(self.path, self.doc.line(offset), kind, key, rewritten))

    def edit(self, start: int, end: int, text: str) -> None:
        self.result.edits.append(Edit(start, end, text))

    def canonical(self, legacy_key: str) -> str:
        return self.entry_of[legacy_key].canonical

    # -- decisions on single tokens -----------------------------------------------
    def rename(self, start: int, key: str, kind: str) -> None:
        self.handled.add(start)
        self.edit(start, start + len(key), self.canonical(key))
        self.fact(start, kind, key, True)

    def mention(self, start: int, key: str, kind: str, code: str, message: str, severity: Severity = Severity.WARNING) -> None:
        self.handled.add(start)
        self.report(start, code, message, severity)
        self.fact(start, kind, key, False)

    def docs(self, start: int, key: str, kind: str = "comment") -> None:
        if self.job.include_docs:
            self.rename(start, key, kind)
        else:
            self.mention(
                start, key, kind, "B404",
                f"{kind} mentions legacy key {key}: not rewritten (use --include-docs)", Severity.INFO,
            )

    # -- definitions ----------------------------------------------------------------
    def resolve(self, defs: list[Defn], self_ref: Callable[[Defn], str] = lambda d: "remove") -> None:
        """Decide every legacy definition of one namespace (see the module docstring)."""
        for entry in self.entries:
            group = [d for d in defs if d.key in entry.keys]
            legacy = [d for d in group if d.key != entry.canonical]
            if not legacy:
                continue
            for d in group:
                self.handled.add(d.start)
            canon = [d for d in group if d.key == entry.canonical]
            keys = [d.key for d in group]
            if len(set(keys)) != len(keys):
                dup = sorted({k for k in keys if keys.count(k) > 1})
                self._conflict(
                    entry, group, legacy[0],
                    f"{', '.join(dup)} defined more than once in this {legacy[0].kind} already; "
                    "resolve by hand (the rename would only add to it)",
                    code="B106",
                )
                continue
            if not canon and len(legacy) == 1:
                d = legacy[0]
                if d.ref == entry.canonical:
                    if self_ref(d) == "remove":
                        self._remove(d, "B104", f"removed `{d.key}` = {d.shown}: after the rename it would define "
                                     f"{entry.canonical} as itself", Severity.INFO)
                        continue
                    self.report(d.start, "B105", f"kept {d.key} = {d.shown} as {entry.canonical} = {d.shown}: it "
                                f"promotes the build argument {entry.canonical} to the environment", Severity.INFO)
                self._rename(d, entry)
                continue
            by_key = {d.key: d for d in group}

            def alias(d: Defn) -> bool:
                return d.ref is not None and d.ref != d.key and d.ref in by_key

            def effective(d: Defn) -> Any:
                return by_key[d.ref].value if alias(d) else d.value  # type: ignore[index]

            values = [effective(d) for d in group]
            equal = all(v is not None for v in values) and len(set(map(repr, values))) == 1
            eligible = [d for d in group if not alias(d)]
            keep: Defn | None = None
            code, why = "B102", "same value as"
            if equal:
                keep = next((d for d in eligible if d.key == entry.canonical), None) or next(
                    (d for d in eligible if d.key != entry.canonical), None
                )
            elif self.job.prefer == "canonical" and canon and not alias(canon[0]):
                keep, code, why = canon[0], "B107", "--prefer canonical: dropped in favour of"
            elif self.job.prefer == "legacy":
                lvals = [effective(d) for d in legacy]
                if all(v is not None for v in lvals) and len(set(map(repr, lvals))) == 1 and not alias(legacy[0]):
                    keep, code, why = legacy[0], "B107", "--prefer legacy: dropped in favour of"
            if keep is None:
                shown = ", ".join(f"{d.key}={_one_line(d.shown)} ({self.where(d.start)})" for d in group)
                self._conflict(
                    entry, group, legacy[0],
                    f"conflict: {shown} differ; this file is left unchanged: make them agree, "
                    "or re-run with --prefer canonical|legacy",
                )
                continue
            others = [d for d in group if d is not keep]
            stuck = [d for d in others if d.remove is None]
            if stuck:
                self._conflict(
                    entry, group, stuck[0],
                    f"{stuck[0].key} ({self.where(stuck[0].start)}) would have to be removed but cannot be "
                    "removed safely here (e.g. the first key of a list item); resolve by hand",
                    code="B108",
                )
                continue
            for d in others:
                sev = Severity.WARNING if (code == "B107" or d.kind == "python-dict") else Severity.INFO
                msg = f"removed {d.key}={d.shown}: {why} {keep.key}={keep.shown} ({self.where(keep.start)})"
                if d.kind == "python-dict":
                    msg += f"; code reading {d.key} from this mapping no longer finds it"
                    code_d = "B103" if code == "B102" else code
                else:
                    code_d = code
                self._remove(d, code_d, msg, sev)
            if keep.key != entry.canonical:
                self._rename(keep, entry)

    def _rename(self, d: Defn, entry: ConfigEntry) -> None:
        e = d.rename or Edit(d.start, d.start + len(d.key), entry.canonical)
        self.result.edits.append(e)
        self.fact(d.start, d.kind, d.key, True)

    def _remove(self, d: Defn, code: str, message: str, severity: Severity) -> None:
        assert d.remove is not None
        self.edit(d.remove[0], d.remove[1], "")
        self.report(d.start, code, message, severity)
        if d.key in self.entry_of:
            self.fact(d.start, d.kind, d.key, True)
        if d.on_remove:
            d.on_remove(d)

    def _conflict(self, entry: ConfigEntry, group: list[Defn], at: Defn, message: str, code: str = "B101") -> None:
        self.result.conflict = True
        related = tuple(self.where(d.start) for d in group if d is not at)
        self.report(at.start, code, message, Severity.WARNING, related)
        for d in group:
            if d.key != entry.canonical:
                self.fact(d.start, d.kind, d.key, False)


# -- small shared helpers ---------------------------------------------------------

DOLLAR_BEFORE = re.compile(r"\$\{?$")


def after_dollar(text: str, start: int) -> bool:
    """``$KEY`` or ``${KEY...}`` (an interpolation)."""
    return bool(DOLLAR_BEFORE.search(text[max(0, start - 2) : start]))


def assignment_at(text: str, start: int, key: str) -> bool:
    """``KEY=`` at the start of a word (a shell assignment, ``--build-arg KEY=...``, ``'KEY=...'``)."""
    end = start + len(key)
    if end >= len(text) or text[end] != "=":
        return False
    prev = text[start - 1] if start > 0 else " "
    return prev in " \t\n\"'[,({" or text[max(0, start - 7) : start] == "export "


def ref_of(value: str, keys: Sequence[str]) -> str | None:
    """The key a value merely points at: ``$KEY`` / ``${KEY}``."""
    m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", value.strip())
    if m and (m.group(0).startswith("${") == m.group(0).endswith("}")) and m.group(1) in keys:
        return m.group(1)
    return None


def _one_line(value: str) -> str:
    return value if "\n" not in value else repr(value)


def unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        inner = v[1:-1]
        return inner.replace('\\"', '"') if v[0] == '"' else inner
    return v
