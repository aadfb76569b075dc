"""Values that flow from workers to the engine and from the engine to the CLI.

Workers never raise across the pool: each file yields one frozen, picklable
:class:`FileOutcome`.  A :class:`Plan` is the list of those outcomes plus the
cross-file reports; ``plan`` prints it, ``apply`` writes it, tests compare it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    ERROR = "error"  # the phase cannot be applied as-is (or a file was refused)
    WARNING = "warning"  # a reviewer must look: something was not rewritten or changed behaviour
    INFO = "info"  # for the record


class Status(str, enum.Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # we could not read or parse the file; nothing was changed
    FAILED = "failed"  # our own output failed self-verification; nothing is written


@dataclass(frozen=True, order=True)
class Report:
    """One finding, always anchored at ``path:line``."""

    path: str
    line: int
    code: str
    message: str
    severity: Severity = Severity.WARNING
    col: int = 0
    related: tuple[str, ...] = ()  # other "file:line" anchors (e.g. the import a patch target intercepts)

    def location(self) -> str:
        return f"{self.path}:{self.line}" + (f":{self.col}" if self.col else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "related": list(self.related),
        }


@dataclass(frozen=True)
class RefFact:
    """A legacy reference found in a file, rewritten or not.

    Every phase emits these; ``status`` counts them and phase E reads them as
    the proof (or disproof) that a legacy module is unreferenced.
    """

    path: str
    line: int
    kind: str  # import, star-import, patch, importlib, annotation, string, docstring, comment, call, config, ...
    target: str
    rewritten: bool
    why: str = field(default="", compare=False)  # the report code that says why it was not rewritten


#: The RefFact kinds that are code (imports and the import-target strings), not prose.
CODE_REF_KINDS = frozenset({"import", "star-import", "patch", "importlib", "annotation"})


@dataclass(frozen=True)
class FileOutcome:
    """What a phase decided for one file."""

    path: str  # repo-relative POSIX path
    status: Status
    before: bytes | None = None  # None with CHANGED: the phase creates the file
    after: bytes | None = None  # set only when status is CHANGED; None with ``delete``: removed
    delete: bool = False
    edits: int = 0
    reports: tuple[Report, ...] = ()
    reason: str = ""  # for SKIPPED / FAILED
    facts: tuple[Any, ...] = ()  # phase-specific, picklable; combined across files by Phase.finalize

    @property
    def changed(self) -> bool:
        return self.status is Status.CHANGED


@dataclass
class Plan:
    """Everything one phase would do, computed before anything is written."""

    phase: str
    spec_hash: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)  # cross-file findings from Phase.finalize
    files_scanned: int = 0
    files_parsed: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def changes(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status is Status.CHANGED]

    @property
    def skipped(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status is Status.SKIPPED]

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status is Status.FAILED]

    def all_reports(self) -> list[Report]:
        out = [r for o in self.outcomes for r in o.reports]
        out.extend(self.reports)
        return sorted(set(out))

    @property
    def edit_count(self) -> int:
        return sum(o.edits for o in self.changes)

    def legacy_left(self) -> dict[str, int]:
        """Legacy references in code a phase C plan leaves in place, counted by the code that says why.

        Phase C's job is to leave none: a declared move whose references stay must not look
        clean (comments and docstrings are prose and not counted).
        """
        if self.phase != "C":
            return {}
        left: dict[str, int] = {}
        for o in self.outcomes:
            for f in o.facts:
                if isinstance(f, RefFact) and not f.rewritten and f.kind in CODE_REF_KINDS:
                    left[f.why or "?"] = left.get(f.why or "?", 0) + 1
        return dict(sorted(left.items()))

    @property
    def has_errors(self) -> bool:
        return bool(self.failed) or any(r.severity is Severity.ERROR for r in self.all_reports())
