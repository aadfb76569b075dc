"""The light module-binding finder must agree with LibCST's scope analysis, or decline.

``codemods.bindings.module_binding_uses`` replaces LibCST's ``ScopeProvider``
for module-level import bindings it can prove simple.  Two kinds of test:

* direct cases: what it answers (the reads, in source order) and every shape
  where it must answer None so that phase C falls back to the full analysis;
* a differential run: every before/after case of test_phase_c.py planned twice,
  with the light finder and with it disabled; the plans must be identical
  (bytes, reports with lines and messages, facts).
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

import codemods.phase_c as phase_c_module
from codemods.bindings import module_binding_uses
from codemods.cstutil import CodegenIndex
from migrate.testing import run_phase

from . import test_phase_c as cases
from .conftest import MODULES, SPEC

KINDS = (cst.Import, cst.ImportFrom, cst.SimpleString, cst.Comment, cst.Name)


def _uses(source: str, which: int = 0):
    module = cst.parse_module(textwrap.dedent(source))
    tree = CodegenIndex(module, KINDS)
    imports = [n for n in [*tree.nodes(cst.Import), *tree.nodes(cst.ImportFrom)]]
    imports.sort(key=tree.line)
    node = imports[which]
    scope = module_binding_uses(tree, node, node.names[0])  # type: ignore[attr-defined, index]
    if scope is None:
        return None
    alias = node.names[0]  # type: ignore[attr-defined, index]
    if alias.asname is not None:
        key = alias.asname.name.value
    elif isinstance(node, cst.ImportFrom):
        key = alias.name.value
    else:
        key = module.code_for_node(alias.name)
    (assignment,) = scope.assignments[key]
    assert assignment.node is node
    return [(tree.line(a.node), module.code_for_node(a.node)) for a in assignment.references]


def test_alias_reads_in_source_order():
    assert _uses(
        """\
        import pkg.legacy as m

        def f():
            return m.make(), m.CONST

        class C:
            x = m.Thing
        """
    ) == [(4, "m"), (4, "m"), (7, "m")]


def test_dotted_binding_reads_are_the_whole_chain():
    assert _uses(
        """\
        import pkg.legacy
        from other import thing

        x = pkg.legacy.make()
        y = pkg.legacy.Thing.method
        f(pkg=1)
        z = thing.pkg
        """
    ) == [(4, "pkg.legacy"), (5, "pkg.legacy")]


def test_from_import_binding():
    assert _uses("from pkg import legacy\nfrom pkg import canon\nlegacy.make()\n") == [(3, "legacy")]


def test_import_inside_try_and_type_checking_is_still_module_level():
    assert _uses("try:\n    import pkg.legacy as m\nexcept ImportError:\n    m = None\n") is None  # `m = None` binds m
    assert _uses("if TYPE_CHECKING:\n    import pkg.legacy as m\nx: int = m.CONST\n") == [(3, "m")]


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    import pkg.legacy as m\n    return m.make()\n",  # function scope
        "class C:\n    import pkg.legacy as m\n    x = m.make()\n",  # class scope
        "import pkg.legacy as m\nimport other as m\nm.make()\n",  # bound twice
        "import pkg.legacy as m\nx = m\n",  # a bare use
        "import pkg.legacy as m\ndef f(m):\n    return m.x\n",  # a parameter shadows it
        "import pkg.legacy as m\ndef f():\n    global m\n    m = 1\n",  # global declaration
        "import pkg.legacy as m\nfor m in []:\n    pass\n",  # rebinding
        "import pkg.legacy as m\ndel m\n",
        "import pkg.legacy as m\ndef f(x: 'm.Thing'):\n    pass\n",  # a string annotation reads it
        "import pkg.legacy as m\ncast('m.Thing', x)\n",
        "import pkg.legacy\nimport pkg.canon\npkg.canon.make()\n",  # another import binds `pkg`
        "import pkg.legacy\npkg.other.make()\n",  # a prefix use of `pkg`
        "import pkg.legacy\nx = pkg\n",
        "import pkg.legacy as m\nx = [m for m in range(3)]\n",  # comprehension binding
        "import pkg.legacy as m\nmatch x:\n    case m.Thing():\n        pass\n    case [*m]:\n        pass\n",
    ],
    ids=[
        "function-scope",
        "class-scope",
        "bound-twice",
        "bare-use",
        "parameter",
        "global",
        "for-target",
        "del",
        "string-annotation",
        "typing-cast-string",
        "other-import-binds-root",
        "prefix-use",
        "root-as-value",
        "comprehension",
        "match-capture",
    ],
)
def test_declines_what_needs_scope_analysis(source):
    assert _uses(source) is None


def test_docstring_mentioning_the_name_does_not_force_the_full_analysis():
    assert _uses('"""m is the manager module."""\nimport pkg.legacy as m\nm.make()\n', 0) == [(3, "m")]


# -- differential: light finder vs LibCST's scope analysis ---------------------------

ALL_CASES = [
    p
    for group in (
        cases.IMPORT_FORMS,
        cases.FROM_FORMS,
        cases.RELATIVE,
        cases.NESTED,
        cases.RENAMES,
        cases.SPLITS,
        cases.EXPORTS,
        cases.STRINGS,
        cases.NO_FALSE_POSITIVES,
        cases.LESSONS,
    )
    for p in group
]


def _summary(plan, path):
    outcome = next((o for o in plan.outcomes if o.path == path), None)
    reports = sorted((r.line, r.code, r.message) for r in plan.all_reports() if r.path == path)
    if outcome is None:
        return None, None, reports, []
    facts = sorted(repr(f) for f in outcome.facts)
    return outcome.status, outcome.after, reports, facts


def test_light_finder_and_libcst_scopes_plan_identically(tmp_path, monkeypatch):
    answered = 0
    real = module_binding_uses

    def counting(*args, **kwargs):
        nonlocal answered
        result = real(*args, **kwargs)
        answered += result is not None
        return result

    mismatches = []
    for i, param in enumerate(ALL_CASES):
        before, _after, path, options, _codes = param.values
        files = {**MODULES, path: textwrap.dedent(before) if isinstance(before, str) else before}
        monkeypatch.setattr(phase_c_module, "module_binding_uses", counting)
        light = _summary(run_phase(tmp_path / f"light{i}", "C", spec=SPEC, files=files, options=options, paths=[path]), path)
        monkeypatch.setattr(phase_c_module, "module_binding_uses", lambda *a, **k: None)
        full = _summary(run_phase(tmp_path / f"full{i}", "C", spec=SPEC, files=files, options=options, paths=[path]), path)
        if light != full:
            mismatches.append((param.id, light, full))
    assert not mismatches, mismatches[:3]
    # Not vacuous: the light finder really answered for a good share of the cases.
    assert answered >= 15, answered  # 17 when written
