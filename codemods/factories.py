"""Phase D's spec section (``[tool.ssot-migrate.factories]``) and its resolution against the repo.

The section is declarative: one ``[[factories.rule]]`` per legacy callable, saying what
kind of callable it is, whether it is async, and how its arguments map onto the
target factory's parameters.  Two steps:

* :func:`parse_section` (spec load, no repository access) checks keys, types and
  the shape of every value;
* :func:`resolve_table` (once per run, in the parent) finds every named callable
  in the source with ``ast`` (never imports it), reads its signature and its
  ``def``/``async def``, and reports any disagreement with the spec: the sync/async
  choice is explicit in the spec *and* checked against the code, so an async
  factory turned sync cannot slip through with its awaited call sites.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from migrate.modindex import ModuleIndex, build_index, find_module_file
from migrate.spec import Spec, register_section

KINDS = ("function", "classmethod", "staticmethod", "method", "constructor")
MEMBER_KINDS = ("classmethod", "staticmethod", "method")

POSONLY, POS, VARPOS, KWONLY, VARKW = "posonly", "pos", "varpos", "kwonly", "varkw"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_FUNC_PATH = re.compile(rf"^{_MODULE}:[A-Za-z_][A-Za-z0-9_]*$")
_MEMBER_PATH = re.compile(rf"^{_MODULE}:[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")

_SECTION_KEYS = {"target", "target-async", "rule"}
_RULE_KEYS = {"legacy", "kind", "async", "args", "signature", "receivers", "behaviour", "target", "target-async"}


# ---------------------------------------------------------------------------
# Raw section (what the TOML says)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRule:
    legacy: str
    kind: str
    is_async: bool
    args: tuple[tuple[str, str], ...]  # target parameter -> template text
    signature: str | None
    receivers: tuple[str, ...]
    behaviour: str | None
    target: str | None
    target_async: bool | None
    where: str  # key path, for error messages


@dataclass(frozen=True)
class FactoriesSection:
    target: str
    target_async: bool
    rules: tuple[RawRule, ...]
    where: str


@dataclass(frozen=True)
class TemplateArg:
    """How one target parameter gets its value."""

    param: str  # the target parameter
    kind: str  # "legacy": a legacy parameter's argument; "const": a literal; "scope": a name at the call site
    value: str  # legacy parameter name | literal source | name


def parse_template(text: str) -> tuple[str, str] | str:
    """``(kind, value)`` for a template string, or an error message."""
    text = text.strip()
    if text.startswith("$"):
        name = text[1:]
        if not _IDENT.match(name):
            return f"{text!r}: after '$' comes the name of a variable at the call site"
        return "scope", name
    if _IDENT.match(text) and text not in ("None", "True", "False"):
        return "legacy", text
    try:
        node = ast.parse(text, mode="eval").body
        ast.literal_eval(node)
    except (SyntaxError, ValueError):
        return (
            f"{text!r} is neither a legacy parameter name, a '$name' taken from the call site, "
            "nor a Python literal (write strings with quotes: \"'isolated'\")"
        )
    return "const", text


@register_section("factories")
def parse_section(raw: Any, keypath: str, errors: list[str]) -> FactoriesSection | None:
    if not isinstance(raw, Mapping):
        errors.append(f"{keypath}: expected a table ([tool.ssot-migrate.factories])")
        return None
    for key in raw:
        if key not in _SECTION_KEYS:
            errors.append(f"{keypath}.{key}: unknown key (known: {', '.join(sorted(_SECTION_KEYS))})")
    target = raw.get("target")
    if not isinstance(target, str) or not _FUNC_PATH.match(target):
        errors.append(f"{keypath}.target: required, the single factory as 'pkg.mod:function'")
        target = ""
    target_async = raw.get("target-async")
    if not isinstance(target_async, bool):
        errors.append(
            f"{keypath}.target-async: required, true or false (say explicitly whether the target is async)"
        )
        target_async = False
    rules_raw = raw.get("rule", [])
    if not isinstance(rules_raw, list) or not rules_raw:
        errors.append(f"{keypath}.rule: expected at least one [[{keypath}.rule]] table")
        rules_raw = []
    rules: list[RawRule] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(rules_raw):
        rule = _parse_rule(entry, f"{keypath}.rule[{i}]", errors)
        if rule is None:
            continue
        if rule.legacy in seen:
            errors.append(f"{rule.where}.legacy: {rule.legacy!r} already has a rule (rule[{seen[rule.legacy]}])")
            continue
        seen[rule.legacy] = i
        rules.append(rule)
    return FactoriesSection(target, target_async, tuple(rules), keypath)


def _parse_rule(entry: Any, where: str, errors: list[str]) -> RawRule | None:
    if not isinstance(entry, Mapping):
        errors.append(f"{where}: expected a table with legacy, kind, async and args")
        return None
    n_errors = len(errors)
    for key in entry:
        if key not in _RULE_KEYS:
            errors.append(f"{where}.{key}: unknown key (known: {', '.join(sorted(_RULE_KEYS))})")
    kind = entry.get("kind")
    if kind not in KINDS:
        errors.append(f"{where}.kind: required, one of {', '.join(KINDS)}")
        kind = None
    legacy = entry.get("legacy")
    if not isinstance(legacy, str):
        errors.append(f"{where}.legacy: required, the legacy callable ('pkg.mod:func', 'pkg.mod:Class.method' or 'pkg.mod:Class')")
        legacy = ""
    elif kind in MEMBER_KINDS and not _MEMBER_PATH.match(legacy):
        errors.append(f"{where}.legacy: a {kind} rule names 'pkg.mod:Class.{'method'}', got {legacy!r}")
    elif kind in ("function", "constructor") and not _FUNC_PATH.match(legacy):
        what = "pkg.mod:function" if kind == "function" else "pkg.mod:Class"
        errors.append(f"{where}.legacy: a {kind} rule names '{what}', got {legacy!r}")
    is_async = entry.get("async")
    if not isinstance(is_async, bool):
        errors.append(f"{where}.async: required, true or false (is the legacy callable `async def`?)")
        is_async = False
    elif kind == "constructor" and is_async:
        errors.append(f"{where}.async: a constructor is never async")
    args_raw = entry.get("args")
    args: list[tuple[str, str]] = []
    if not isinstance(args_raw, Mapping):
        errors.append(f"{where}.args: required, a table mapping target parameters to templates, e.g. "
                      "{ user_context = \"user_context\", mode = \"'isolated'\" }")
    else:
        for param, text in args_raw.items():
            if not _IDENT.match(param):
                errors.append(f"{where}.args.{param}: not a parameter name")
                continue
            if not isinstance(text, str):
                errors.append(f"{where}.args.{param}: expected a string template")
                continue
            parsed = parse_template(text)
            if isinstance(parsed, str):
                errors.append(f"{where}.args.{param}: {parsed}")
                continue
            args.append((param, text))
    signature = entry.get("signature")
    if signature is not None:
        if not isinstance(signature, str):
            errors.append(f"{where}.signature: expected a string like \"(user_context, mode='isolated')\"")
            signature = None
        elif isinstance(parse_signature(signature), str):
            errors.append(f"{where}.signature: {parse_signature(signature)}")
    receivers = entry.get("receivers", [])
    if not isinstance(receivers, list) or not all(isinstance(r, str) and _FUNC_PATH.match(r) for r in receivers):
        errors.append(f"{where}.receivers: expected an array of 'pkg.mod:function' (callables returning an instance)")
        receivers = []
    elif receivers and kind not in MEMBER_KINDS:
        errors.append(f"{where}.receivers: only classmethod, staticmethod and method rules have receivers")
    behaviour = entry.get("behaviour")
    if behaviour is not None and not isinstance(behaviour, str):
        errors.append(f"{where}.behaviour: expected a string (why every rewritten call changes behaviour)")
        behaviour = None
    target = entry.get("target")
    target_async = entry.get("target-async")
    if target is not None:
        if not isinstance(target, str) or not _FUNC_PATH.match(target):
            errors.append(f"{where}.target: expected 'pkg.mod:function'")
            target = None
        if not isinstance(target_async, bool):
            errors.append(f"{where}.target-async: required with a per-rule target, true or false")
            target_async = None
    elif target_async is not None:
        errors.append(f"{where}.target-async: only with a per-rule `target`")
    if len(errors) != n_errors or kind is None:
        return None
    return RawRule(legacy, kind, is_async, tuple(args), signature, tuple(receivers), behaviour, target, target_async, where)


# ---------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # posonly | pos | varpos | kwonly | varkw
    default: str | None = None  # source of the default; None when required

    def render(self) -> str:
        prefix = {VARPOS: "*", VARKW: "**"}.get(self.kind, "")
        return f"{prefix}{self.name}" + (f"={self.default}" if self.default is not None else "")


def params_from_ast(args: ast.arguments, source: str | None, *, drop_first: bool) -> tuple[Param, ...]:
    def text(node: ast.AST | None) -> str | None:
        if node is None:
            return None
        seg = ast.get_source_segment(source, node) if source is not None else None
        return seg if seg is not None else ast.unparse(node)

    out: list[Param] = []
    positional = [(a, POSONLY) for a in args.posonlyargs] + [(a, POS) for a in args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for (a, kind), d in zip(positional, defaults):
        out.append(Param(a.arg, kind, text(d)))
    if args.vararg is not None:
        out.append(Param(args.vararg.arg, VARPOS))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append(Param(a.arg, KWONLY, text(d)))
    if args.kwarg is not None:
        out.append(Param(args.kwarg.arg, VARKW))
    if drop_first and out and out[0].kind in (POSONLY, POS):
        out = out[1:]
    return tuple(out)


def parse_signature(text: str) -> tuple[Param, ...] | str:
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return f"{text!r}: write the parameter list in parentheses, e.g. \"(user_context, mode='isolated')\""
    try:
        tree = ast.parse(f"def _f{text}: pass")
    except SyntaxError as exc:
        return f"{text!r} is not a Python parameter list ({exc.msg})"
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    return params_from_ast(fn.args, f"def _f{text}: pass", drop_first=False)


def render_params(params: tuple[Param, ...]) -> str:
    return "(" + ", ".join(p.render() for p in params) + ")"


def literal(text: str | None) -> tuple[bool, Any]:
    """``(True, value)`` when ``text`` is a Python literal."""
    if text is None:
        return False, None
    try:
        return True, ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return False, None


# ---------------------------------------------------------------------------
# Resolved rules (what the code says)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetInfo:
    path: str  # as written, "pkg.mod:func"
    module: str
    name: str
    key: str  # origin key: where it is defined
    is_async: bool
    params: tuple[Param, ...]


@dataclass(frozen=True)
class Rule:
    index: int
    legacy: str  # as written
    kind: str
    key: str  # origin key of the callable: "m:f", "m:C.meth", or "m:C" for a constructor
    class_key: str | None  # "m:C" for member and constructor rules
    member: str | None  # the method name for member rules
    is_async: bool
    params: tuple[Param, ...]  # the legacy parameters (without self/cls)
    template: tuple[TemplateArg, ...]
    target: TargetInfo
    receivers: tuple[str, ...]  # origin keys of callables returning an instance of the class
    behaviour: str | None
    missing: bool  # the legacy callable does not exist in the code: calls fail today
    spec_line: int
    leaf: str  # the name a call spells: function, class or method name
    #: Why the rule has nothing to match (e.g. phase E removed the legacy module); None when active.
    gone: str | None = None

    @property
    def short(self) -> str:
        return self.legacy.partition(":")[2]

    def template_for(self, param: str) -> TemplateArg | None:
        for t in self.template:
            if t.param == param:
                return t
        return None


@dataclass(frozen=True)
class FactoryTable:
    rules: tuple[Rule, ...]
    targets: tuple[TargetInfo, ...]
    #: origin keys -> what they are: ("function", rule index), ("class", class key),
    #: ("member", rule index), ("receiver", class key), ("target", target index)
    functions: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)  # class key -> {"ctor": rule idx | None, "members": {name: rule idx}}
    receivers: dict = field(default_factory=dict)  # receiver origin key -> class key
    target_keys: dict = field(default_factory=dict)  # origin key -> target index
    index: ModuleIndex | None = None  # indexes the rules' and targets' modules
    spec_rel: str = "pyproject.toml"
    modules: frozenset[str] = frozenset()  # modules defining rules, receivers and targets (never rewritten)
    names: frozenset[str] = frozenset()  # every name that can spell a legacy callable (prefilter)
    section_line: int = 1  # the section's `target =` line in the spec file

    def rule(self, i: int) -> Rule:
        return self.rules[i]


_CACHE: dict[str, Any] = {}


def resolve_table(spec: Spec, run: object | None = None) -> tuple[FactoryTable | None, list[str]]:
    """Resolve the section against the code; ``run`` (the run's module index) scopes the cache.

    ``spec_errors`` and ``prepare`` of one run share the result; another run (after
    another phase changed files, in the same process) resolves afresh.
    """
    if run is not None and _CACHE.get("run") is run and _CACHE.get("spec") is spec:
        return _CACHE["result"]
    result = _resolve(spec)
    _CACHE.update(run=run, spec=spec, result=result)
    return result


def _spec_rel(spec: Spec) -> str:
    try:
        return spec.path.resolve().relative_to(spec.root).as_posix()
    except ValueError:
        return spec.path.name


def _spec_line(spec: Spec, value: str) -> int:
    try:
        text = spec.path.read_text(encoding="utf-8")
    except OSError:
        return 1
    pat = re.compile(r"^[ \t]*legacy[ \t]*=[ \t]*[\"']" + re.escape(value) + r"[\"']", re.M)
    m = pat.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def _target_line(spec: Spec) -> int:
    try:
        text = spec.path.read_text(encoding="utf-8")
    except OSError:
        return 1
    m = re.search(r"^[ \t]*\[(?:tool\.ssot-migrate\.)?factories\]", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else 1


@dataclass
class _Def:
    """A definition found in the source."""

    module: str
    path: str  # repo-relative
    line: int
    node: ast.AST  # FunctionDef / AsyncFunctionDef / ClassDef
    source: str


class _Source:
    """Definitions by origin key, read with ``ast`` on demand."""

    def __init__(self, spec: Spec, index: ModuleIndex) -> None:
        self.spec = spec
        self.index = index
        self.trees: dict[str, tuple[ast.Module, str, str] | None] = {}

    def tree(self, module: str) -> tuple[ast.Module, str, str] | None:
        if module not in self.trees:
            path = find_module_file(self.spec, module)
            if path is None:
                self.trees[module] = None
            else:
                try:
                    source = path.read_text(encoding="utf-8")
                    tree = ast.parse(source)
                except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
                    self.trees[module] = None
                else:
                    self.trees[module] = (tree, source, path.resolve().relative_to(self.spec.root).as_posix())
        return self.trees[module]

    def origin(self, module: str, name: str) -> str | None:
        got = self.index.origin(module, name)
        if got is None and self.index.get(module) is None and self.tree(module) is not None:
            return None
        return got

    def top_def(self, key: str) -> _Def | None:
        module, _, name = key.partition(":")
        found = self.tree(module)
        if found is None:
            return None
        tree, source, rel = found
        hit = None
        for node in _toplevel(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                hit = node  # the last definition wins, as at runtime
        return _Def(module, rel, hit.lineno, hit, source) if hit is not None else None


def _toplevel(body: list[ast.stmt]):
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _toplevel(node.body)
            yield from _toplevel(node.orelse)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            yield from _toplevel(node.body)  # type: ignore[attr-defined]
            for h in node.handlers:  # type: ignore[attr-defined]
                yield from _toplevel(h.body)
            yield from _toplevel(node.orelse)  # type: ignore[attr-defined]


def _decorators(fn: ast.AST) -> set[str]:
    out = set()
    for d in getattr(fn, "decorator_list", []):
        if isinstance(d, ast.Name):
            out.add(d.id)
        elif isinstance(d, ast.Attribute):
            out.add(d.attr)
    return out


def _where(d: _Def, node: ast.AST | None = None) -> str:
    return f"{d.path}:{getattr(node, 'lineno', d.line)}"


def _resolve(spec: Spec) -> tuple[FactoryTable | None, list[str]]:
    section: FactoriesSection | None = spec.section("factories")
    if section is None:
        return None, [
            "tool.ssot-migrate.factories: phase D needs this section: the target factory and one "
            "[[tool.ssot-migrate.factories.rule]] per legacy callable (see PLAYBOOK.md, section 'Phase D')"
        ]
    errors: list[str] = []
    modules = {section.target.partition(":")[0]}
    for r in section.rules:
        modules.add(r.legacy.partition(":")[0])
        modules |= {x.partition(":")[0] for x in r.receivers}
        if r.target:
            modules.add(r.target.partition(":")[0])
    index = build_index(spec, extra_modules=sorted(m for m in modules if m))
    src = _Source(spec, index)

    def origin_key(path: str) -> str | None:
        """Origin of 'mod:Name' (following re-exports), or None when not defined."""
        module, _, name = path.partition(":")
        if find_module_file(spec, module) is None:
            return None
        o = index.origin(module, name)
        if o is None or ":" not in o:
            return None
        return o

    targets: list[TargetInfo] = []
    target_by_path: dict[str, int] = {}

    def target_info(path: str, is_async: bool, where: str) -> int | None:
        if path in target_by_path:
            t = targets[target_by_path[path]]
            if t.is_async != is_async:
                errors.append(f"{where}: target {path} is declared both async and sync")
            return target_by_path[path]
        module, _, name = path.partition(":")
        if find_module_file(spec, module) is None:
            errors.append(f"{where}: target module {module!r} not found under the source roots")
            return None
        key = origin_key(path)
        d = src.top_def(key) if key else None
        if d is None or not isinstance(d.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            errors.append(f"{where}: target {path} is not a function defined in the repository")
            return None
        actual = isinstance(d.node, ast.AsyncFunctionDef)
        if actual != is_async:
            errors.append(
                f"{where}: the target {path} is `{'async def' if actual else 'def'}` at {_where(d)} but the spec says "
                f"target-async = {str(is_async).lower()}; say which one it is"
            )
        params = params_from_ast(d.node.args, d.source, drop_first=False)
        targets.append(TargetInfo(path, module, name, key, actual, params))  # type: ignore[arg-type]
        target_by_path[path] = len(targets) - 1
        return len(targets) - 1

    default_target = target_info(section.target, section.target_async, f"{section.where}.target")
    rules: list[Rule] = []
    for i, raw in enumerate(section.rules):
        n_err = len(errors)
        if raw.target:
            t_index = target_info(raw.target, bool(raw.target_async), f"{raw.where}.target")
        else:
            t_index = default_target
        rule = _resolve_rule(spec, src, raw, len(rules), origin_key, errors)
        if rule is None or t_index is None:
            continue
        target = targets[t_index]
        template = _check_template(raw, rule, target, errors, check_legacy=rule.gone is None)
        if len(errors) != n_err:
            continue
        if rule.key == target.key or (rule.kind == "function" and rule.key == target.key):
            errors.append(f"{raw.where}.legacy: {raw.legacy} is the target itself ({target.key})")
            continue
        rules.append(
            Rule(
                rule.index, rule.legacy, rule.kind, rule.key, rule.class_key, rule.member, rule.is_async, rule.params,
                template, target, rule.receivers, rule.behaviour, rule.missing, _spec_line(spec, raw.legacy), rule.leaf,
                rule.gone,
            )
        )
    # Two rules for one object (e.g. a class re-exported under two names).
    seen: dict[str, Rule] = {}
    for r in rules:
        if r.gone is not None:
            continue
        if r.key in seen:
            errors.append(
                f"{r.legacy} and {seen[r.key].legacy} are the same object ({r.key}); keep one rule"
            )
        seen[r.key] = r
    if errors:
        return None, errors

    functions: dict[str, int] = {}
    classes: dict[str, dict] = {}
    receivers: dict[str, str] = {}
    for r in rules:
        if r.gone is not None:
            continue
        if r.kind == "function":
            functions[r.key] = r.index
        elif r.kind == "constructor":
            classes.setdefault(r.key, {"ctor": None, "members": {}})["ctor"] = r.index
        else:
            entry = classes.setdefault(r.class_key, {"ctor": None, "members": {}})
            entry["members"][r.member] = r.index
            for rk in r.receivers:
                prev = receivers.get(rk)
                if prev is not None and prev != r.class_key:
                    return None, [f"{r.legacy}: receiver {rk} is declared for two classes ({prev}, {r.class_key})"]
                receivers[rk] = r.class_key  # type: ignore[assignment]
    target_keys = {t.key: i for i, t in enumerate(targets)}
    defining = set()
    for k in [*functions, *classes, *receivers, *target_keys]:
        defining.add(k.partition(":")[0])
    for r in rules:
        if r.gone is None:
            defining.add(r.legacy.partition(":")[0])
    for t in targets:
        defining.add(t.module)
    names = _spelling_names(index, rules, targets, functions, classes, receivers)
    table = FactoryTable(
        tuple(rules), tuple(targets), functions, classes, receivers, target_keys, index, _spec_rel(spec),
        frozenset(defining), frozenset(names), _target_line(spec),
    )
    return table, []


def _spelling_names(index: ModuleIndex, rules, targets, functions, classes, receivers) -> set[str]:
    """Every name under which a legacy callable is bound in an indexed module (for the prefilter)."""
    keys = set(functions) | set(classes) | set(receivers)
    names = {k.partition(":")[2] for k in keys}
    live = [r for r in rules if r.gone is None]
    names |= {r.leaf for r in live}
    names |= {r.legacy.partition(":")[2].split(".")[0] for r in live}
    names |= {x.partition(":")[2] for r in live for x in r.receivers}
    for exp in index.modules.values():
        for local, origin in exp.origins.items():
            if origin in keys:
                names.add(local)
    return {n for n in names if n}


def _resolve_rule(spec: Spec, src: _Source, raw: RawRule, idx: int, origin_key, errors: list[str]) -> Rule | None:
    module, _, qual = raw.legacy.partition(":")
    head, _, member = qual.partition(".")
    given = parse_signature(raw.signature) if raw.signature else None
    assert not isinstance(given, str)
    leaf = member or head

    def gone(why: str) -> Rule:
        """A rule whose legacy callable cannot be called any more: it matches nothing (reported as D004)."""
        class_key = f"{module}:{head}" if raw.kind != "function" else None
        key = f"{module}:{qual}"
        return Rule(
            idx, raw.legacy, raw.kind, key, class_key, member or None, raw.is_async, given or (), (), None,  # type: ignore[arg-type]
            (), raw.behaviour, True, 1, leaf, why,
        )

    if find_module_file(spec, module) is None:
        return gone(f"module {module} does not exist (removed by phase E, or a typo)")
    key = origin_key(f"{module}:{head}")
    d = src.top_def(key) if key else None
    missing = False
    params: tuple[Param, ...] | None = None
    class_key = None
    if raw.kind != "function" and d is None:
        return gone(f"class {module}:{head} is not defined (removed, or a typo)")
    receivers: list[str] = []
    for rpath in raw.receivers:
        rk = origin_key(rpath)
        rd = src.top_def(rk) if rk else None
        if rd is None or not isinstance(rd.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            errors.append(f"{raw.where}.receivers: {rpath} is not a function defined in the repository")
            continue
        if isinstance(rd.node, ast.AsyncFunctionDef):
            errors.append(f"{raw.where}.receivers: {rpath} is async (a receiver must return the instance, not a coroutine)")
            continue
        receivers.append(rk)  # type: ignore[arg-type]
    if raw.kind == "function":
        if d is None:
            missing = True
            key = f"{module}:{head}"
        elif not isinstance(d.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            errors.append(f"{raw.where}.kind: {raw.legacy} is a class at {_where(d)}; use kind = \"constructor\"")
            return None
        else:
            _check_async(raw, d, d.node, errors)
            params = params_from_ast(d.node.args, d.source, drop_first=False)  # type: ignore[attr-defined]
        full_key = key
    else:
        assert d is not None
        if not isinstance(d.node, ast.ClassDef):
            errors.append(f"{raw.where}.kind: {module}:{head} is a function at {_where(d)}, not a class")
            return None
        class_key = key
        if raw.kind == "constructor":
            init = _method(d.node, "__init__")
            full_key = key
            if init is not None:
                params = params_from_ast(init.args, d.source, drop_first=True)
            elif not d.node.bases:
                params = ()
            elif given is None:
                errors.append(
                    f"{raw.where}.signature: {raw.legacy} inherits its __init__ ({_where(d)}); give its "
                    "signature, e.g. signature = \"(user_context=None)\""
                )
                return None
        else:
            fn = _method(d.node, member)
            full_key = f"{key}.{member}"
            if fn is None:
                missing = True
            else:
                decos = _decorators(fn)
                actual = "classmethod" if "classmethod" in decos else "staticmethod" if "staticmethod" in decos else "method"
                if actual != raw.kind:
                    errors.append(
                        f"{raw.where}.kind: {raw.legacy} is a {actual} at {_where(d, fn)}, the spec says {raw.kind}"
                    )
                    return None
                _check_async(raw, d, fn, errors)
                params = params_from_ast(fn.args, d.source, drop_first=raw.kind != "staticmethod")
    if given is not None:
        if params is not None and _sig_shape(params) != _sig_shape(given):
            errors.append(
                f"{raw.where}.signature: the spec says {raw.signature} but the code has {render_params(params)}"
            )
            return None
        params = given
    if params is None:
        return gone(
            f"{raw.legacy} does not exist in the code; calls to it fail today: give `signature` to have them rewritten"
        )
    return Rule(
        idx, raw.legacy, raw.kind, full_key, class_key, member or None, raw.is_async, params, (), None,  # type: ignore[arg-type]
        tuple(receivers), raw.behaviour, missing, 1, leaf,
    )


def _sig_shape(params: tuple[Param, ...]) -> list[tuple[str, str, bool]]:
    return [(p.name, p.kind, p.default is not None) for p in params]


def _method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    hit = None
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            hit = node
    return hit


def _check_async(raw: RawRule, d: _Def, fn: ast.AST, errors: list[str]) -> None:
    actual = isinstance(fn, ast.AsyncFunctionDef)
    if actual != raw.is_async:
        errors.append(
            f"{raw.where}.async: {raw.legacy} is `{'async def' if actual else 'def'}` at {_where(d, fn)} but the spec "
            f"says async = {str(raw.is_async).lower()}; every awaited call site depends on this: fix the spec"
        )


def _check_template(raw: RawRule, rule: Rule, target: TargetInfo, errors: list[str], *, check_legacy: bool = True) -> tuple[TemplateArg, ...]:
    tparams = {p.name: p for p in target.params}
    lparams = {p.name: p for p in rule.params}
    out: list[TemplateArg] = []
    for param, text in raw.args:
        parsed = parse_template(text)
        assert not isinstance(parsed, str)
        kind, value = parsed
        tp = tparams.get(param)
        if tp is None or tp.kind in (VARPOS, VARKW):
            errors.append(
                f"{raw.where}.args.{param}: the target {target.path}{render_params(target.params)} has no parameter {param!r}"
            )
            continue
        if kind == "legacy" and check_legacy:
            lp = lparams.get(value)
            if lp is None:
                errors.append(
                    f"{raw.where}.args.{param}: {value!r} is not a parameter of {raw.legacy}{render_params(rule.params)} "
                    "(quote a string constant: \"'text'\"; '$name' takes a variable from the call site)"
                )
                continue
            if lp.kind in (VARPOS, VARKW):
                errors.append(f"{raw.where}.args.{param}: {value!r} collects extra arguments; it cannot feed one parameter")
                continue
        out.append(TemplateArg(param, kind, value))
    given = {t.param for t in out}
    for p in target.params:
        if p.kind in (VARPOS, VARKW) or p.default is not None or p.name in given:
            continue
        errors.append(f"{raw.where}.args: the target parameter {p.name!r} has no default; map it")
    return tuple(out)
