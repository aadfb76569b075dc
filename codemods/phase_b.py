"""Phase B: one canonical key for a setting spelled several ways.

What it does
    For each ``[[config]]`` entry (``canonical = "NEXT_PUBLIC_WS_URL"``,
    ``legacy = ["NEXT_PUBLIC_WEBSOCKET_URL"]``) every exact legacy key token
    is rewritten to the canonical key, per file kind, with exact token
    boundaries (``NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK`` is another key):
    Python string constants through LibCST (``os.environ[...]``,
    ``os.getenv``, ``environ.get``, settings fields and dict keys, plain
    constants); TypeScript/JavaScript ``process.env.X``, ``process.env["X"]``,
    ``import.meta.env.X``; ``.env`` files (``KEY=value``, ``export KEY=``);
    Dockerfile ``ENV``/``ARG`` and ``$X``/``${X}``; YAML and JSON keys,
    ``KEY=value`` list entries and ``${X}`` interpolations; Markdown only
    with ``--include-docs``.

    A namespace that defines both keys (an .env file, a Dockerfile stage, a
    YAML mapping or list, a JSON object, a Python dict literal): equal values
    drop the legacy definition; different values are a conflict, reported
    with both values and file:line, and that file is not changed unless
    ``--prefer canonical|legacy`` says which one wins.  A Dockerfile
    ``ENV OLD=$NEW`` is deleted rather than turned into ``ENV NEW=$NEW``.
    ``get(NEW) or get(OLD)`` collapses to one read.  With
    ``compat-reader = true``, Python reads of a legacy key go through
    ``shims.config.read_env(NEW, OLD)``, which falls back to the legacy key
    with a LegacyConfigWarning while deployments catch up; phase E later
    turns those calls back into plain reads of NEW (the entry's
    ``remove-in``, else ``cleanup.remove-in``, is its version policy).

Why
    Two names for one URL means two values that drift apart: staging read
    one, the backend the other, and nobody noticed until events were lost.

What it never does
    Pick a value silently; edit a regex, a free-text mention, an identifier
    or a larger word that merely contains the key (all reported with
    file:line); reserialise a YAML or JSON document (edits are exact spans;
    comments, quoting, CRLF and BOMs stay); touch comments, docstrings or
    Markdown without ``--include-docs``.
"""

from __future__ import annotations

import re
import tokenize
import io
from dataclasses import dataclass
from typing import Any

from migrate.errors import UsageError
from migrate.modindex import ModuleIndex
from migrate.phase import Options, Phase, RunContext
from migrate.results import FileOutcome, Plan, RefFact, Report, Severity, Status
from migrate.spec import Spec, register_section
from migrate.verify import VerifyPolicy

from . import register
from .configkeys.js import handle_js
from .configkeys.kinds import handle_dockerfile, handle_env, handle_json, handle_markdown, handle_yaml
from .configkeys.model import PREFER_CHOICES, ConfigEntry, parse_section
from .configkeys.python import PyFileFacts, expectation, handle_python
from .configkeys.text import Job, apply_edits

HANDLERS = {
    "python": handle_python,
    "js": handle_js,
    "env": handle_env,
    "dockerfile": handle_dockerfile,
    "yaml": handle_yaml,
    "json": handle_json,
    "markdown": handle_markdown,
}

READ_KINDS = {"read", "js-read"}


@register_section("config")
def _config_section(raw: Any, where: str, errors: list[str]) -> tuple[ConfigEntry, ...]:
    return parse_section(raw, where, errors)


@dataclass(frozen=True)
class BPayload:
    entries: tuple[ConfigEntry, ...]
    prefer: str | None
    include_docs: bool
    spec_name: str


@register
class PhaseB(Phase):
    """B (config keys): one canonical key for each setting, across code, config and build files."""

    letter = "B"
    title = "config keys"
    needs = ()
    suffixes = ()  # kinds are chosen by glob: see include()/wants()

    def prepare(self, spec: Spec, index: ModuleIndex, options: Options) -> BPayload:  # type: ignore[override]
        prefer = options.extra.get("prefer") if options.extra else None
        if prefer is not None and prefer not in PREFER_CHOICES:
            raise UsageError(f"--prefer must be one of {', '.join(PREFER_CHOICES)}, not {prefer!r}")
        entries = tuple(e.resolved(spec.include) for e in (spec.section("config") or ()))
        try:
            name = spec.path.relative_to(spec.root).as_posix()
        except ValueError:
            name = spec.path.name
        return BPayload(entries, prefer, options.include_docs, name)

    def include(self, ctx: RunContext) -> tuple[str, ...]:
        payload: BPayload = ctx.payload
        out: list[str] = []
        for e in payload.entries:
            for kind, globs in e.files:
                if kind == "markdown" and not payload.include_docs:
                    continue
                out.extend(g for g in (globs or ()) if g not in out)
        return tuple(out)

    def wants(self, ctx: RunContext, path: str) -> bool:
        payload: BPayload = ctx.payload
        return any(e.kind_of(path, payload.include_docs) for e in payload.entries)

    def prefilter(self, ctx: RunContext) -> re.Pattern[bytes]:
        keys = sorted({k for e in ctx.payload.entries for k in e.legacy}, key=len, reverse=True)
        if not keys:
            return re.compile(rb"(?!)")
        return re.compile(rb"(?<![A-Za-z0-9_])(?:" + b"|".join(re.escape(k.encode()) for k in keys) + rb")(?![A-Za-z0-9_])")

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        payload: BPayload = ctx.payload
        groups: dict[str, list[ConfigEntry]] = {}
        for e in payload.entries:
            kind = e.kind_of(path, payload.include_docs)
            if kind:
                groups.setdefault(kind, []).append(e)
        if not groups:
            return FileOutcome(path, Status.UNCHANGED)
        text, encode = _decode(data, python="python" in groups)
        current = text
        reports: list[Report] = []
        facts: list[Any] = []
        edits = 0
        conflict = False
        for kind, entries in groups.items():
            job = Job(path, current, tuple(entries), payload.prefer, payload.include_docs)
            res = HANDLERS[kind](job)
            if res.skipped:
                return FileOutcome(path, Status.SKIPPED, reason=res.skipped)
            reports += res.reports
            facts += res.facts
            if res.problem:
                return FileOutcome(path, Status.FAILED, reports=tuple(reports), reason=f"self-check refused the rewrite (nothing written): {res.problem}")
            if res.conflict:
                conflict = True
            elif res.edits:
                current = apply_edits(current, res.edits)
                edits += len(res.edits)
        reports = sorted(set(reports))
        if conflict:
            facts = [RefFact(f.path, f.line, f.kind, f.target, False) if isinstance(f, RefFact) else f for f in facts]
            facts = [f for f in facts if isinstance(f, RefFact)]
            return FileOutcome(path, Status.UNCHANGED, reports=tuple(reports), facts=tuple(facts))
        if current == text:
            return FileOutcome(path, Status.UNCHANGED, reports=tuple(reports), facts=tuple(facts))
        return FileOutcome(path, Status.CHANGED, before=data, after=encode(current), edits=edits,
                           reports=tuple(reports), facts=tuple(facts))

    def verify_policy(self, ctx: RunContext, outcome: FileOutcome) -> VerifyPolicy:
        payload: BPayload = ctx.payload
        entries = [e for e in payload.entries if e.kind_of(outcome.path, payload.include_docs) == "python"]
        info = next((f for f in outcome.facts if isinstance(f, PyFileFacts)), None)
        return VerifyPolicy(
            expr_kinds=(),  # nothing may differ from the expected tree
            ignore_imports=True,  # the compat reader's import
            comments_may_change=payload.include_docs,
            expect=expectation(outcome.facts, entries, payload.include_docs),
            dropped_comments=info.dropped_comments if info else (),
        )

    def finalize(self, ctx: RunContext, plan: Plan) -> list[Report]:
        payload: BPayload = ctx.payload
        out: list[Report] = []
        if not payload.entries:
            out.append(Report(payload.spec_name, 1, "B000", "no [[config]] entries in the spec: phase B has nothing to do", Severity.WARNING))
            return out
        for e in payload.entries:
            if e.compat_reader:
                continue
            reads = [
                f for o in plan.outcomes if o.changed for f in o.facts
                if isinstance(f, RefFact) and f.rewritten and f.kind in READ_KINDS and f.target in e.legacy
            ]
            if not reads:
                continue
            reads.sort(key=lambda f: (f.path, f.line))
            first = reads[0]
            out.append(
                Report(
                    first.path, first.line, "B300",
                    f"{len(reads)} read(s) of {', '.join(e.legacy)} now read only {e.canonical}: every environment must "
                    f"set {e.canonical} before this ships (or set compat-reader = true for Python reads)",
                    Severity.WARNING,
                    related=tuple(f"{f.path}:{f.line}" for f in reads[1:10]),
                )
            )
        return out


def _decode(data: bytes, *, python: bool):
    """Text plus a function that encodes edited text the same way (BOM, coding cookie)."""
    if python:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
        return text, lambda t: t.encode(encoding)
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    return text, lambda t: (b"\xef\xbb\xbf" if bom else b"") + t.encode("utf-8")
