"""Custom steps: users' own LibCST codemods and Bowler queries, run inside a phase.

Teams already have rewrites of their own (the seed had dozens of ad-hoc
``fix_*_imports.py`` scripts).  A spec can add them to any phase::

    [[tool.ssot-migrate.step]]
    phase = "C"
    name = "rename-helpers"                  # optional, used in reports
    libcst = "tools.codemods:RenameHelpers"  # a libcst Codemod/VisitorBasedCodemodCommand or CSTTransformer
    args = { old = "make_ws", new = "get_websocket_manager" }

    [[tool.ssot-migrate.step]]
    phase = "C"
    bowler = "tools.queries:drop_compat"     # a function returning a bowler.Query
    args = {}

Steps run after the phase's own transform, in the declared order, under the
same plan / apply / journal / gate / rollback as the phase.  They never write
files themselves: Bowler's query is compiled to fixers and run on the text we
hand it.  A step that raises fails the phase (the file is refused and apply
writes nothing).  Bowler's parser (fissix) cannot read Python 3.10+ syntax
(``match``, PEP 695/701, ``except*``); those files are listed as skipped by
that step, and the skip is an error unless ``--allow-skips``.
"""

from __future__ import annotations

import importlib
import io
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .spec import register_section


@dataclass(frozen=True)
class StepSpec:
    index: int
    phase: str
    kind: str  # "libcst" | "bowler"
    target: str  # "module:attr"
    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@register_section("step")
def parse_steps(raw: Any, where: str, errors: list[str]) -> tuple[StepSpec, ...]:
    if not isinstance(raw, list):
        errors.append(f"{where}: expected an array of tables ([[step]])")
        return ()
    out = []
    for i, entry in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(entry, Mapping):
            errors.append(f"{at}: expected a table")
            continue
        for key in entry:
            if key not in {"phase", "name", "libcst", "bowler", "args"}:
                errors.append(f"{at}.{key}: unknown key (known: phase, name, libcst, bowler, args)")
        phase = entry.get("phase")
        if phase not in ("A", "B", "C", "D", "E"):
            errors.append(f"{at}.phase: required, one of A, B, C, D, E")
            continue
        kinds = [k for k in ("libcst", "bowler") if k in entry]
        if len(kinds) != 1:
            errors.append(f"{at}: give exactly one of libcst = \"module:Class\" or bowler = \"module:function\"")
            continue
        kind = kinds[0]
        target = entry[kind]
        if not isinstance(target, str) or target.count(":") != 1 or not all(p for p in target.split(":")):
            errors.append(f"{at}.{kind}: expected \"module:attribute\", got {target!r}")
            continue
        args = entry.get("args", {})
        if not isinstance(args, Mapping):
            errors.append(f"{at}.args: expected a table")
            continue
        name = entry.get("name") or target
        if not isinstance(name, str):
            errors.append(f"{at}.name: expected a string")
            continue
        out.append(StepSpec(i, phase, kind, target, name, dict(args)))
    return tuple(out)


class StepError(Exception):
    """A step raised or returned something unusable; the file is refused."""


class StepSkip(Exception):
    """The step cannot read this file (Bowler on 3.10+ syntax); reported, not written."""


@dataclass
class StepResult:
    after: bytes
    warnings: list[str]


_LOADED: dict[tuple[str, str], Any] = {}


def load_target(root: Path, step: StepSpec) -> Any:
    """Import ``module:attr`` with the repository on sys.path (user code lives there)."""
    key = (str(root), step.target)
    if key in _LOADED:
        return _LOADED[key]
    mod_name, _, attr = step.target.partition(":")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(mod_name)
        obj = getattr(module, attr)
    except Exception as exc:  # noqa: BLE001 - reported as a spec problem
        raise StepError(f"step {step.name!r}: cannot load {step.target}: {exc!r}") from exc
    _LOADED[key] = obj
    return obj


def check_step(root: Path, step: StepSpec) -> str | None:
    """A problem with the step's target, or None.  Run once in the parent."""
    try:
        obj = load_target(root, step)
    except StepError as exc:
        return str(exc)
    if step.kind == "libcst":
        import libcst as cst
        from libcst.codemod import Codemod

        if not (isinstance(obj, type) and issubclass(obj, (Codemod, cst.CSTTransformer))):
            return f"step {step.name!r}: {step.target} is not a libcst Codemod or CSTTransformer class"
    elif not callable(obj):
        return f"step {step.name!r}: {step.target} is not a function returning a bowler.Query"
    else:
        try:
            import bowler  # noqa: F401
        except ImportError:
            return f"step {step.name!r}: bowler is not installed (pip install 'ssot-migrate[bowler]')"
    return None


def run_step(root: Path, step: StepSpec, path: str, data: bytes, module_name: str | None) -> StepResult:
    obj = load_target(root, step)
    if step.kind == "libcst":
        return _run_libcst(obj, step, path, data, module_name)
    return _run_bowler(obj, step, path, data)


def _run_libcst(cls: Any, step: StepSpec, path: str, data: bytes, module_name: str | None) -> StepResult:
    import libcst as cst
    from libcst.codemod import Codemod, CodemodContext, SkipFile
    from libcst.metadata import MetadataWrapper

    from codemods.cstutil import render_preserving

    try:
        module = cst.parse_module(data)
    except cst.ParserSyntaxError as exc:
        raise StepSkip(f"does not parse: line {exc.raw_line}: {exc.message}") from None
    try:
        if issubclass(cls, Codemod):
            package = module_name.rpartition(".")[0] if module_name else None
            context = CodemodContext(filename=path, full_module_name=module_name, full_package_name=package)
            try:
                new = cls(context, **step.args).transform_module(module)
            except SkipFile:
                return StepResult(data, list(context.warnings))
            warnings = list(context.warnings)
        else:
            transformer = cls(**step.args)
            if getattr(transformer, "METADATA_DEPENDENCIES", ()):
                new = MetadataWrapper(module).visit(transformer)
            else:
                new = module.visit(transformer)
            warnings = []
    except Exception as exc:  # noqa: BLE001 - a user step failing fails the phase
        raise StepError(f"step {step.name!r} raised {exc!r}") from exc
    if new.deep_equals(module):
        return StepResult(data, warnings)
    after = render_preserving(data, module, new)
    if after is None:
        raise StepSkip("LibCST cannot reproduce this file byte for byte around the step's edits")
    return StepResult(after, warnings)


def _decode(data: bytes) -> tuple[str, str, bool]:
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig" if bom else encoding)
    return text, ("utf-8" if bom else encoding), bom


def _run_bowler(fn: Any, step: StepSpec, path: str, data: bytes) -> StepResult:
    from bowler.tool import BowlerTool
    from fissix.pgen2.parse import ParseError
    from fissix.pgen2.tokenize import TokenError

    try:
        query = fn(**step.args)
    except Exception as exc:  # noqa: BLE001
        raise StepError(f"step {step.name!r}: building the query raised {exc!r}") from exc
    try:
        fixers = query.compile()
    except Exception as exc:  # noqa: BLE001
        raise StepError(f"step {step.name!r}: compiling the query raised {exc!r}") from exc
    text, encoding, bom = _decode(data)
    added_newline = not text.endswith("\n")
    source = text + "\n" if added_newline else text
    tool = BowlerTool(fixers, interactive=False, write=False, silent=True, in_process=True, options={"print_function": True})
    try:
        tree = tool.driver.parse_string(source)
    except (ParseError, TokenError, IndentationError) as exc:
        raise StepSkip(
            f"Bowler's parser (fissix) cannot read this file ({exc.__class__.__name__}: {exc}); "
            "it likely uses Python 3.10+ syntax (match, except*, PEP 695/701)"
        ) from None
    if str(tree) != source:
        raise StepSkip("Bowler's parser does not reproduce this file exactly; not rewritten")
    try:
        new_tree = tool.refactor_string(source, path)
    except (ParseError, TokenError) as exc:
        raise StepSkip(f"Bowler's parser (fissix) cannot read this file: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's modifier raised
        raise StepError(f"step {step.name!r} raised {exc!r}") from exc
    new_text = str(new_tree) if new_tree is not None else source
    if added_newline and new_text.endswith("\n"):
        new_text = new_text[:-1]
    after = new_text.encode(encoding)
    if bom:
        after = b"\xef\xbb\xbf" + after
    errors = [str(e) for e in getattr(tool, "errors", [])]
    return StepResult(after, errors)
