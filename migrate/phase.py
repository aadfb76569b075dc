"""The extension point: a phase is a codemod plus preconditions plus post-conditions.

The engine owns everything else (discovery, prefilter, workers, verification,
journal, ledger, gate, rollback).  A phase only

* declares what it needs (``needs``: phases that must be applied first) and
  which files it reads (``suffixes``; or ``include``/``wants`` for other kinds),
* prepares picklable, run-wide data once in the parent (``prepare``),
* offers a cheap byte-level ``prefilter`` so most files are never parsed,
* decides per file (``transform``) and returns a :class:`FileOutcome`;
  it never writes,
* combines per-file ``facts`` into cross-file reports (``finalize``).

Subclass it in ``codemods/phase_<x>.py`` and decorate with ``@register``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

from .modindex import ModuleIndex
from .results import FileOutcome, Plan, Report
from .spec import Spec
from .verify import VerifyPolicy


@dataclass(frozen=True)
class Options:
    """Run-wide switches that change what a phase rewrites."""

    rename_uses: bool = False
    include_docs: bool = False
    strict: bool = False
    allow_skips: bool = False  # a custom step that cannot read a file is a warning, not an error
    max_file_size: int | None = None  # bytes; None: the spec's `max-file-size`, else the default
    extra: Mapping[str, Any] = field(default_factory=dict)


class RunCache:
    """Memo for one run (compiled prefilters, lazily built indexes, module summaries).

    It lives on the :class:`RunContext`, so nothing a run learnt outlives it: files
    change between runs (another phase, another spec) and a second run in the same
    process must start cold.  Pickling (a ``spawn`` worker) sends it empty; a forked
    worker starts with the parent's entries and adds its own.
    """

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[Any, Any] = {}

    def __reduce__(self) -> tuple:
        return (RunCache, ())

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        """The value memoised under ``key``, built by ``build()`` on first use."""
        try:
            return self._data[key]
        except KeyError:
            value = self._data[key] = build()
            return value

    def table(self, name: str) -> dict[Any, Any]:
        """A named dict for many small entries (``ctx.cache.table("summaries")[key]``)."""
        return self.get(("table", name), dict)


@dataclass(frozen=True)
class RunContext:
    """Shared by every file of one run; picklable, never mutated (its ``cache`` only memoises)."""

    spec: Spec
    index: ModuleIndex
    options: Options
    phase: str
    payload: Any = None
    steps: tuple = ()  # custom steps (migrate.steps.StepSpec) declared for this phase
    #: Run-scoped memo; not part of the context's identity (``check`` hashes the rest).
    cache: RunCache = field(default_factory=RunCache, compare=False, repr=False)


class Phase:
    """Base class for phases A-E and for registered custom steps."""

    letter: ClassVar[str] = ""
    title: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()
    suffixes: ClassVar[tuple[str, ...]] = (".py",)
    #: Python sources get the engine's self-verification (parse, AST, names, comments).
    python_sources: ClassVar[bool] = True
    #: Whether an apply that changes nothing is recorded as applied (phases that others
    #: need must be; a generator that is simply re-run need not).
    record_empty_apply: ClassVar[bool] = True
    #: A file's outcome depends on other files too (module summaries, origins), so a
    #: cache keyed by (context, file content), as ``check`` keeps, must not reuse it.
    cross_file: ClassVar[bool] = False

    def spec_errors(self, spec: Spec, index: ModuleIndex) -> list[str]:
        """Problems in the spec that make this phase impossible to run."""
        return []

    def prepare(self, spec: Spec, index: ModuleIndex, options: Options) -> Any:
        """Compute run-wide, picklable data once in the parent process."""
        return None

    def include(self, ctx: RunContext) -> tuple[str, ...]:
        """Globs of the files this phase reads (default: the spec's ``include``).

        Discovery lists these; the spec's ``exclude`` and ``.gitignore`` still apply.
        Phases that read more than Python (config files, Dockerfiles) return their own.
        """
        return ctx.spec.include

    def wants(self, ctx: RunContext, path: str) -> bool:
        """Whether a discovered file is a candidate (default: its suffix is in ``suffixes``)."""
        return path.endswith(self.suffixes)

    def prefilter(self, ctx: RunContext) -> re.Pattern[bytes] | None:
        """A byte regex; files it does not match are not parsed.  None: parse all."""
        return None

    def transform(self, ctx: RunContext, path: str, data: bytes) -> FileOutcome:
        raise NotImplementedError

    def generate(self, ctx: RunContext) -> list[FileOutcome]:
        """Outcomes for files the phase creates or removes outside the per-file pass.

        Runs once in the parent process after the workers (e.g. generated stubs,
        deleted legacy modules).  Use ``before=None`` to create, ``delete=True``
        to remove.
        """
        return []

    def verify_policy(self, ctx: RunContext, outcome: FileOutcome) -> VerifyPolicy:
        """What the engine's self-verification allows this phase to change in ``outcome``."""
        return VerifyPolicy()

    def check_output(self, ctx: RunContext, outcome: FileOutcome) -> list[str]:
        """Phase-specific post-conditions on a rewritten file (problems; empty if fine)."""
        return []

    def finalize(self, ctx: RunContext, plan: Plan) -> list[Report]:
        """Cross-file findings computed from every outcome's ``facts``."""
        return []

    @classmethod
    def describe(cls) -> str:
        return (cls.__doc__ or "").strip()
