"""Phase B (config keys): before/after pairs for every file kind and every case the issue lists.

Every pair runs through ``migrate.testing.assert_phase``: the real engine with
its prefilter, the Python self-verification, and an idempotence re-run.
``after=None`` means "left unchanged".  In the texts, ``@OLD`` is the legacy
key, ``@NEW`` the canonical one and ``@FB`` the look-alike
``..._FALLBACK`` key that must never change.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from migrate.errors import SpecError, UsageError
from migrate.phase import Options
from migrate.results import RefFact, Severity, Status
from migrate.spec import parse_spec
from migrate.testing import assert_phase, run_phase
from migrate.verify import verify_python

OLD = "NEXT_PUBLIC_WEBSOCKET_URL"
NEW = "NEXT_PUBLIC_WS_URL"
FB = "NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK"

SPEC = f"""\
[[config]]
canonical = "{NEW}"
legacy = ["{OLD}"]
"""

COMPAT_SPEC = SPEC + "compat-reader = true\n"

PREFER_CANONICAL = Options(extra={"prefer": "canonical"})
PREFER_LEGACY = Options(extra={"prefer": "legacy"})
DOCS = Options(include_docs=True)


def k(text: str) -> str:
    return textwrap.dedent(text).replace("@FB", FB).replace("@OLD", OLD).replace("@NEW", NEW)


def check(tmp_path: Path, path: str, before: str | bytes, after: str | bytes | None, *, codes=(), options=Options(), spec=SPEC, exact=False):
    b = before if isinstance(before, bytes) else k(before).encode()
    a = after if (after is None or isinstance(after, bytes)) else k(after).encode()
    return assert_phase(tmp_path, "B", spec=spec, modules={}, path=path, before=b, after=a, options=options, codes=list(codes), exact_reports=exact)


def report(plan, code: str):
    hits = [r for r in plan.all_reports() if r.code == code]
    assert hits, f"no {code} in {[(r.code, r.message) for r in plan.all_reports()]}"
    return hits[0]


# ---------------------------------------------------------------------------------------
# Spec section
# ---------------------------------------------------------------------------------------


def test_spec_defaults_and_overrides(tmp_path: Path) -> None:
    spec = parse_spec(
        {
            "config": [
                {"canonical": NEW, "legacy": [OLD]},
                {"canonical": "DB_URL", "legacy": ["DATABASE_URL"], "compat-reader": "myshims.env:read", "files": {"env": ["deploy/*.env"], "yaml": []}},
            ]
        },
        path=tmp_path / "spec.toml",
    )
    first, second = spec.sections["config"]
    assert first.compat_reader is None and first.globs("env") == (".env", ".env.*", "*.env")
    assert second.compat_reader == "myshims.env:read" and second.reader_module == "myshims.env" and second.reader_name == "read"
    assert second.globs("env") == ("deploy/*.env",) and second.globs("yaml") == ()
    resolved = first.resolved(("src/**/*.py",))
    assert resolved.kind_of("src/app/settings.py", False) == "python"
    assert resolved.kind_of("tools/x.py", False) is None
    assert resolved.kind_of("deploy/.env.staging", False) == "env"
    assert resolved.kind_of(".env/lib/site.py", False) is None  # a virtualenv called .env is not an env file
    assert resolved.kind_of("docs/guide.md", False) is None and resolved.kind_of("docs/guide.md", True) == "markdown"
    assert resolved.kind_of("build/Dockerfile.prod", False) == "dockerfile"


def test_spec_errors_are_reported_together(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as exc:
        parse_spec(
            {
                "config": [
                    {"canonical": NEW, "legacy": [OLD], "colour": "red"},
                    {"canonical": "A", "legacy": "B"},
                    {"canonical": "C", "legacy": ["C"]},
                    {"canonical": "D", "legacy": [OLD]},
                    {"canonical": "E-1", "legacy": ["F"], "compat-reader": "nope", "files": {"toml": ["*.toml"], "env": "x"}},
                    {"legacy": ["G", "G"]},
                ]
            },
            path=tmp_path / "spec.toml",
        )
    text = "\n".join(exc.value.details)
    for needle in (
        "config[0].colour: unknown key",
        "config[1].legacy: required, a non-empty array",
        "config[2].legacy: 'C' is the canonical key itself",
        f"config[3]: key '{OLD}' is already named by config[0]",
        "config[4].canonical: required",
        "config[4].compat-reader: expected true/false",
        "config[4].files.toml: unknown file kind",
        "config[4].files.env: expected an array of glob strings",
        "config[5].canonical: required",
        "config[5].legacy: a key is listed twice",
    ):
        assert needle in text, (needle, text)


def test_bad_prefer_value_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        run_phase(tmp_path, "B", spec=SPEC, files={".env": k("@OLD=x\n")}, options=Options(extra={"prefer": "newest"}))


def test_no_config_section_warns(tmp_path: Path) -> None:
    plan = run_phase(tmp_path, "B", spec="include = ['**/*.py']\n", files={".env": k("@OLD=x\n")})
    assert not plan.changes
    assert report(plan, "B000").severity is Severity.WARNING


# ---------------------------------------------------------------------------------------
# Python
# ---------------------------------------------------------------------------------------

PY_RENAMES = [
    pytest.param('import os\nurl = os.environ["@OLD"]\n', 'import os\nurl = os.environ["@NEW"]\n', id="os.environ[...]"),
    pytest.param("import os\nurl = os.getenv('@OLD', 'ws://x')\n", "import os\nurl = os.getenv('@NEW', 'ws://x')\n", id="os.getenv-default-single-quotes"),
    pytest.param('import os\nurl = os.environ.get("@OLD")\n', 'import os\nurl = os.environ.get("@NEW")\n', id="os.environ.get"),
    pytest.param(
        'from os import environ, getenv\na = environ.get("@OLD")\nb = getenv("@OLD")\n',
        'from os import environ, getenv\na = environ.get("@NEW")\nb = getenv("@NEW")\n',
        id="environ.get-and-getenv",
    ),
    pytest.param('import os\nos.environ["@OLD"] = "ws://x"\ndel os.environ["@OLD"]\n', 'import os\nos.environ["@NEW"] = "ws://x"\ndel os.environ["@NEW"]\n', id="environ-write-and-del"),
    pytest.param(
        """\
        from pydantic import BaseSettings, Field


        class Settings(BaseSettings):
            ws_url: str = Field("ws://x", env="@OLD")
            alias_url: str = Field("ws://x", alias="@OLD")
        """,
        """\
        from pydantic import BaseSettings, Field


        class Settings(BaseSettings):
            ws_url: str = Field("ws://x", env="@NEW")
            alias_url: str = Field("ws://x", alias="@NEW")
        """,
        id="settings-fields",
    ),
    pytest.param('KEYS = ("@OLD", "@FB")\nNAME = r"@OLD"\n', 'KEYS = ("@NEW", "@FB")\nNAME = r"@NEW"\n', id="string-constants-raw-prefix-kept"),
    pytest.param('import os\na = os.getenv("@FB")\nb = os.getenv("@OLD")\n', 'import os\na = os.getenv("@FB")\nb = os.getenv("@NEW")\n', id="fallback-key-untouched"),
    pytest.param('cfg = {"@OLD": 1, "other": 2}\n', 'cfg = {"@NEW": 1, "other": 2}\n', id="dict-key-alone-renamed"),
]


@pytest.mark.parametrize("before,after", PY_RENAMES)
def test_python_renames(tmp_path: Path, before: str, after: str) -> None:
    check(tmp_path, "app/config.py", before, after)


def test_python_dict_with_both_keys_equal_values_drops_legacy_entry(tmp_path: Path) -> None:
    plan = check(
        tmp_path,
        "app/config.py",
        """\
        def settings(url):
            return {
                "APP_ENV": "dev",
                "@NEW": url(),
                "@OLD": url(),  # still read by old frontends
                "@FB": None,
            }
        """,
        """\
        def settings(url):
            return {
                "APP_ENV": "dev",
                "@NEW": url(),
                "@FB": None,
            }
        """,
        codes=["B103"],
    )
    assert "no longer finds it" in report(plan, "B103").message


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param('d = {"@NEW": 1, "@OLD": 1}\n', 'd = {"@NEW": 1}\n', id="inline-last"),
        pytest.param('d = {"@OLD": 1, "@NEW": 1}\n', 'd = {"@NEW": 1}\n', id="inline-first"),
        pytest.param('d = {"@NEW": (1), "@OLD": 1,}\n', 'd = {"@NEW": (1),}\n', id="inline-trailing-comma-parens-equal"),
        pytest.param('d = {\n    "@NEW": 1,\n    "@OLD": 1\n}\n', 'd = {\n    "@NEW": 1,\n}\n', id="multiline-last-no-comma"),
        pytest.param('d = {"@NEW": 1,\n     "@OLD": 1}\n', 'd = {"@NEW": 1}\n', id="closing-brace-on-the-line"),
    ],
)
def test_python_dict_removal_shapes(tmp_path: Path, before: str, after: str) -> None:
    check(tmp_path, "app/config.py", before, after, codes=["B103"])


def test_python_dict_with_different_values_is_a_conflict_and_file_unchanged(tmp_path: Path) -> None:
    src = """\
        import os
        URL = os.getenv("@OLD")
        d = {"@NEW": "wss://a", "@OLD": "wss://b"}
        """
    plan = check(tmp_path, "app/config.py", src, None, codes=["B101"])
    r = report(plan, "B101")
    assert r.line == 3 and '"wss://a"' in r.message and '"wss://b"' in r.message and "app/config.py:3" in r.message
    # every legacy reference in the file is counted as not rewritten
    facts = [f for o in plan.outcomes for f in o.facts if isinstance(f, RefFact)]
    assert facts and not any(f.rewritten for f in facts)


def test_python_dict_conflict_resolved_by_prefer(tmp_path: Path) -> None:
    src = 'd = {"@NEW": "wss://a", "@OLD": "wss://b"}\n'
    check(tmp_path, "a.py", src, 'd = {"@NEW": "wss://a"}\n', options=PREFER_CANONICAL, codes=["B107"])
    check(tmp_path / "2", "a.py", src, 'd = {"@NEW": "wss://b"}\n', options=PREFER_LEGACY, codes=["B107"])


def test_python_or_chain_collapses_to_one_read(tmp_path: Path) -> None:
    plan = check(
        tmp_path,
        "app/config.py",
        """\
        import os

        DEFAULT = "ws://localhost"


        def url():
            return (
                os.environ.get("@NEW")
                or os.getenv("@OLD")
                or DEFAULT
            )
        """,
        """\
        import os

        DEFAULT = "ws://localhost"


        def url():
            return (
                os.environ.get("@NEW")
                or DEFAULT
            )
        """,
        codes=["B201", "B300"],
    )
    assert report(plan, "B201").line == 9


def test_python_or_pair_legacy_first_warns_about_precedence(tmp_path: Path) -> None:
    check(tmp_path, "a.py", 'import os\nu = os.getenv("@OLD") or os.getenv("@NEW")\n', 'import os\nu = os.getenv("@NEW")\n', codes=["B203"])


def test_python_or_pair_with_comment_between_is_only_renamed(tmp_path: Path) -> None:
    check(
        tmp_path,
        "a.py",
        'import os\nu = (os.getenv("@NEW")  # new\n     or os.getenv("@OLD"))\n',
        'import os\nu = (os.getenv("@NEW")  # new\n     or os.getenv("@NEW"))\n',
    )


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param('import os\nu = os.environ.get("@NEW", os.environ.get("@OLD"))\n', 'import os\nu = os.environ.get("@NEW")\n', id="nested-default"),
        pytest.param('import os\nu = os.getenv("@NEW", os.getenv("@OLD", "ws://d"))\n', 'import os\nu = os.getenv("@NEW", "ws://d")\n', id="nested-default-with-default"),
        pytest.param('import os\nu = os.getenv("@NEW", default=os.getenv("@OLD"))\n', 'import os\nu = os.getenv("@NEW")\n', id="nested-default-keyword"),
    ],
)
def test_python_nested_default_collapses(tmp_path: Path, before: str, after: str) -> None:
    check(tmp_path, "a.py", before, after, codes=["B201"])


def test_python_staging_branch_reading_only_legacy_is_flagged(tmp_path: Path) -> None:
    plan = check(
        tmp_path,
        "a.py",
        """\
        import os


        def url(env):
            if env == "staging":
                return os.getenv("@OLD")
            return os.getenv("@NEW")
        """,
        """\
        import os


        def url(env):
            if env == "staging":
                return os.getenv("@NEW")
            return os.getenv("@NEW")
        """,
        codes=["B204"],
    )
    r = report(plan, "B204")
    assert r.line == 6 and r.related == ("a.py:7",)


@pytest.mark.parametrize(
    "before,code",
    [
        pytest.param('import re\nPAT = re.compile(r"^@OLD=(.*)$")\n', "B401", id="regex-in-re.compile"),
        pytest.param('PAT = r"(?<![A-Z_])@OLD\\b"\n', "B401", id="raw-string-regex"),
        pytest.param('MSG = "@OLD is deprecated, set @NEW"\nKEY = "@OLD"\n', "B402", id="message"),
        pytest.param('def f(v):\n    return f"@OLD={v}"\nKEY = "@OLD"\n', "B402", id="f-string"),
        pytest.param("@OLD = 'x'\nprint(@OLD)\n", "B403", id="identifier"),
    ],
)
def test_python_mentions_are_reported_not_edited(tmp_path: Path, before: str, code: str) -> None:
    src = k(before)
    plan = run_phase(tmp_path, "B", spec=SPEC, files={"a.py": src.encode()}, paths=["a.py"])
    (o,) = plan.outcomes
    assert o.status is not Status.FAILED, o.reason
    assert report(plan, code).severity is Severity.WARNING
    after = (o.after or b"").decode() if o.changed else src
    # only the exact KEY constant may change: the mention itself is still there
    assert after.count(OLD) >= src.count(OLD) - 1


def test_python_comments_and_docstrings_only_with_include_docs(tmp_path: Path) -> None:
    src = '"""Reads @OLD."""\nimport os\n\nURL = os.getenv("@OLD")  # was @OLD\n'
    plan = check(tmp_path, "a.py", src, '"""Reads @OLD."""\nimport os\n\nURL = os.getenv("@NEW")  # was @OLD\n', codes=["B404"])
    assert report(plan, "B404").severity is Severity.INFO
    check(tmp_path / "docs", "a.py", src, '"""Reads @NEW."""\nimport os\n\nURL = os.getenv("@NEW")  # was @NEW\n', options=DOCS)


def test_python_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    before = b"\xef\xbb\xbf" + k('import os\r\nd = {\r\n    "@NEW": 1,\r\n    "@OLD": 1,  # old\r\n}\r\nu = os.getenv("@OLD")   \r\n').encode()
    after = b"\xef\xbb\xbf" + k('import os\r\nd = {\r\n    "@NEW": 1,\r\n}\r\nu = os.getenv("@NEW")   \r\n').encode()
    check(tmp_path, "a.py", before, after)


# -- the compat reader -----------------------------------------------------------------------


def test_compat_reader_single_reads(tmp_path: Path) -> None:
    check(
        tmp_path,
        "app/config.py",
        '''\
        """Settings."""
        from __future__ import annotations

        import os

        A = os.getenv("@OLD")
        B = os.environ.get("@OLD", "ws://d")
        C = os.environ["@OLD"]
        os.environ["@OLD"] = "written"
        ''',
        '''\
        """Settings."""
        from __future__ import annotations

        import os
        from shims.config import read_env

        A = read_env("@NEW", "@OLD")
        B = read_env("@NEW", "@OLD", default="ws://d")
        C = read_env("@NEW", "@OLD", required=True)
        os.environ["@NEW"] = "written"
        ''',
        spec=COMPAT_SPEC,
        codes=["B202"],
    )


def test_compat_reader_merges_a_pair_of_reads(tmp_path: Path) -> None:
    plan = check(
        tmp_path,
        "a.py",
        'import os\n\nu = (\n    os.environ.get("@NEW")\n    or os.getenv("@OLD")\n    or "ws://d"\n)\n',
        'import os\nfrom shims.config import read_env\n\nu = (\n    read_env("@NEW", "@OLD")\n    or "ws://d"\n)\n',
        spec=COMPAT_SPEC,
        codes=["B202"],
    )
    assert not [r for r in plan.all_reports() if r.code == "B300"], "compat reads keep the fallback: no deployment warning"
    # The legacy key is still referenced (through the reader): phase E's work, so it counts.
    facts = [f for o in plan.outcomes for f in o.facts if isinstance(f, RefFact)]
    assert [(f.kind, f.rewritten) for f in facts] == [("compat-read", False)]


def test_compat_reader_reuses_an_existing_import_and_an_alias(tmp_path: Path) -> None:
    check(
        tmp_path,
        "a.py",
        'import os\nfrom shims.config import read_env as env\n\nu = env("@NEW", "@OLD")\nv = os.getenv("@OLD")\n',
        'import os\nfrom shims.config import read_env as env\n\nu = env("@NEW", "@OLD")\nv = env("@NEW", "@OLD")\n',
        spec=COMPAT_SPEC,
    )


def test_compat_reader_name_clash_falls_back_to_rename(tmp_path: Path) -> None:
    check(
        tmp_path,
        "a.py",
        'import os\n\n\ndef read_env():\n    return os.getenv("@OLD")\n',
        'import os\n\n\ndef read_env():\n    return os.getenv("@NEW")\n',
        spec=COMPAT_SPEC,
        codes=["B501"],
    )


def test_compat_reader_custom_target(tmp_path: Path) -> None:
    spec = SPEC + 'compat-reader = "myapp.settings:env"\n'
    check(tmp_path, "a.py", 'import os\nu = os.getenv("@OLD")\n', 'import os\nfrom myapp.settings import env\nu = env("@NEW", "@OLD")\n', spec=spec)


# -- self-verification -------------------------------------------------------------------------


def test_verification_refuses_anything_beyond_the_declared_edits(tmp_path: Path) -> None:
    from codemods.configkeys.python import StructFact, expectation
    from migrate.verify import VerifyPolicy

    plan = run_phase(tmp_path, "B", spec=SPEC, files={"a.py": k('d = {"@NEW": 1, "@OLD": 1}\nx = 2\n')}, paths=["a.py"])
    (o,) = plan.changes
    entries = plan_entries(tmp_path)
    good = VerifyPolicy(expr_kinds=(), expect=expectation(o.facts, entries, False))
    assert verify_python(o.before, o.after, good) == []
    bad_after = o.after.replace(b"x = 2", b"x = 3")
    assert verify_python(o.before, bad_after, good)
    # a declared edit that has no node behind it is refused too
    bogus = VerifyPolicy(expr_kinds=(), expect=expectation([StructFact("remove-pair", (9, 0, 9, 4))], entries, False))
    assert "declared edit" in verify_python(o.before, o.before, bogus)[0]


def plan_entries(root: Path):
    from migrate.spec import load_spec

    spec = load_spec(root / "ssot-spec.toml")
    return [e.resolved(spec.include) for e in spec.sections["config"]]


# ---------------------------------------------------------------------------------------
# TypeScript / JavaScript
# ---------------------------------------------------------------------------------------

TS_RENAMES = [
    pytest.param("const u = process.env.@OLD;\n", "const u = process.env.@NEW;\n", id="process.env.X"),
    pytest.param("const u = process.env['@OLD'];\nconst v = process.env[\"@OLD\"];\n", "const u = process.env['@NEW'];\nconst v = process.env[\"@NEW\"];\n", id="process.env[X]"),
    pytest.param("const u = import.meta.env.@OLD;\n", "const u = import.meta.env.@NEW;\n", id="import.meta.env.X"),
    pytest.param("const u = process.env?.@OLD;\n", "const u = process.env?.@NEW;\n", id="optional-chaining"),
    pytest.param("const s = `ws: ${process.env.@OLD}`;\n", "const s = `ws: ${process.env.@NEW}`;\n", id="inside-template-substitution"),
    pytest.param("export const KEYS = ['@OLD', '@FB'];\n", "export const KEYS = ['@NEW', '@FB'];\n", id="string-constant"),
    pytest.param("const a = process.env.@FB;\nconst b = process.env.@OLD;\n", "const a = process.env.@FB;\nconst b = process.env.@NEW;\n", id="fallback-key-untouched"),
]


@pytest.mark.parametrize("before,after", TS_RENAMES)
def test_ts_renames(tmp_path: Path, before: str, after: str) -> None:
    check(tmp_path, "frontend/config.ts", before, after)


@pytest.mark.parametrize(
    "before,after,code",
    [
        pytest.param("const u = process.env.@NEW ?? process.env.@OLD ?? D;\n", "const u = process.env.@NEW ?? D;\n", "B201", id="nullish"),
        pytest.param("const u = process.env.@NEW || process.env['@OLD'] || D;\n", "const u = process.env.@NEW || D;\n", "B201", id="or-bracket"),
        pytest.param("const u = process.env.@OLD ?? process.env.@NEW;\n", "const u = process.env.@NEW;\n", "B203", id="legacy-first"),
    ],
)
def test_ts_read_pairs_collapse(tmp_path: Path, before: str, after: str, code: str) -> None:
    check(tmp_path, "config.js", before, after, codes=[code])


def test_ts_staging_branch_reading_only_the_legacy_key(tmp_path: Path) -> None:
    plan = check(
        tmp_path,
        "frontend/config.ts",
        """\
        export function websocketUrl(): string {
          if (process.env.APP_ENV === "staging") {
            return process.env.@OLD ?? DEFAULT_WS_URL;
          }
          return process.env.@NEW ?? process.env.@OLD ?? DEFAULT_WS_URL;
        }
        export const fallback = process.env.@FB;
        """,
        """\
        export function websocketUrl(): string {
          if (process.env.APP_ENV === "staging") {
            return process.env.@NEW ?? DEFAULT_WS_URL;
          }
          return process.env.@NEW ?? DEFAULT_WS_URL;
        }
        export const fallback = process.env.@FB;
        """,
        codes=["B204", "B201"],
    )
    r = report(plan, "B204")
    assert r.line == 3 and r.related == ("frontend/config.ts:5",)


@pytest.mark.parametrize(
    "src,code,severity",
    [
        pytest.param("const re = /^@OLD=(.*)$/;\nconst u = process.env.@OLD;\n", "B401", Severity.WARNING, id="regex-literal"),
        pytest.param("const m = 'set @OLD first';\nconst u = process.env.@OLD;\n", "B402", Severity.WARNING, id="message"),
        pytest.param("const { @OLD } = process.env;\n", "B403", Severity.WARNING, id="destructuring"),
        pytest.param("// reads @OLD\nconst u = process.env.@OLD;\n", "B404", Severity.INFO, id="comment"),
    ],
)
def test_ts_mentions_are_reported(tmp_path: Path, src: str, code: str, severity: Severity) -> None:
    plan = run_phase(tmp_path, "B", spec=SPEC, files={"a.ts": k(src).encode()}, paths=["a.ts"])
    r = report(plan, code)
    assert r.severity is severity and r.line == 1
    (o,) = plan.outcomes
    after = (o.after or b"").decode() if o.changed else k(src)
    assert OLD in after.splitlines()[0], "the mention itself was edited"


# ---------------------------------------------------------------------------------------
# .env
# ---------------------------------------------------------------------------------------


def test_env_renames_keep_every_other_byte(tmp_path: Path) -> None:
    before = k("# the URL\r\nexport @OLD=\"wss://x\"  # prod\r\n@FB=ws://y   \r\nOTHER=${@OLD}/path\r\nTAIL=$@OLD")
    after = k("# the URL\r\nexport @NEW=\"wss://x\"  # prod\r\n@FB=ws://y   \r\nOTHER=${@NEW}/path\r\nTAIL=$@NEW")
    check(tmp_path, ".env.production", before.encode(), after.encode())


def test_env_both_keys_same_value_drops_legacy_line(tmp_path: Path) -> None:
    plan = check(
        tmp_path,
        ".env",
        "APP_ENV=dev\n@NEW=ws://localhost:8000/ws\n@OLD='ws://localhost:8000/ws'\n@FB=ws://localhost:8001/ws\n",
        "APP_ENV=dev\n@NEW=ws://localhost:8000/ws\n@FB=ws://localhost:8001/ws\n",
        codes=["B102"],
    )
    assert report(plan, "B102").line == 3


def test_env_both_keys_different_values_is_a_conflict(tmp_path: Path) -> None:
    src = "APP_ENV=staging\n@NEW=wss://staging.example.com/ws\n@OLD=wss://staging-legacy.example.com/ws\nX=${@OLD}\n"
    plan = check(tmp_path, ".env.staging", src, None, codes=["B101"])
    r = report(plan, "B101")
    assert (r.path, r.line) == (".env.staging", 3)
    assert "wss://staging.example.com/ws (.env.staging:2)" in r.message
    assert "wss://staging-legacy.example.com/ws (.env.staging:3)" in r.message
    assert r.related == (".env.staging:2",)


def test_env_conflict_with_prefer(tmp_path: Path) -> None:
    src = "@NEW=a\n@OLD=b\n"
    check(tmp_path, ".env", src, "@NEW=a\n", options=PREFER_CANONICAL, codes=["B107"])
    check(tmp_path / "2", ".env", src, "@NEW=b\n", options=PREFER_LEGACY, codes=["B107"])


def test_env_self_reference_is_removed(tmp_path: Path) -> None:
    check(tmp_path, ".env", "@OLD=${@NEW}\nA=1\n", "A=1\n", codes=["B104"])


# ---------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------


def test_dockerfile_env_that_would_define_itself_is_deleted(tmp_path: Path) -> None:
    check(
        tmp_path,
        "Dockerfile",
        """\
        FROM python:3.11-slim

        ARG @NEW=ws://localhost:8000/ws
        ENV @NEW=$@NEW
        # the frontend build still reads the old name
        ENV @OLD=$@NEW

        WORKDIR /app
        """,
        """\
        FROM python:3.11-slim

        ARG @NEW=ws://localhost:8000/ws
        ENV @NEW=$@NEW
        # the frontend build still reads the old name

        WORKDIR /app
        """,
        codes=["B102"],
    )


def test_dockerfile_self_reference_without_canonical_env(tmp_path: Path) -> None:
    # Only the build arg exists: `ENV NEW=$NEW` promotes it to the runtime environment, so it stays (renamed).
    check(tmp_path, "Dockerfile", "FROM x\nARG @NEW\nENV @OLD=${@NEW}\n", "FROM x\nARG @NEW\nENV @NEW=${@NEW}\n", codes=["B105"])
    # Nothing defines NEW: the line would only define the key as itself.
    check(tmp_path / "2", "Dockerfile", "FROM x\nENV @OLD=$@NEW\nRUN true\n", "FROM x\nRUN true\n", codes=["B104"])


def test_dockerfile_forms(tmp_path: Path) -> None:
    check(
        tmp_path,
        "deploy/Dockerfile.web",
        """\
        ARG @OLD
        FROM node:20 AS build
        ARG @OLD=ws://x
        ENV @OLD ws://legacy form
        ENV A=1 \\
            @FB=2
        RUN echo "$@OLD ${@OLD:-none}" && @OLD=z npm run build --build-arg @OLD=$@OLD
        FROM nginx
        ENV @NEW=a @OLD=a
        """,
        """\
        ARG @NEW
        FROM node:20 AS build
        ARG @NEW=ws://x
        ENV @NEW ws://legacy form
        ENV A=1 \\
            @FB=2
        RUN echo "$@NEW ${@NEW:-none}" && @NEW=z npm run build --build-arg @NEW=$@NEW
        FROM nginx
        ENV @NEW=a
        """,
    )


def test_dockerfile_conflict_in_one_stage(tmp_path: Path) -> None:
    plan = check(tmp_path, "Dockerfile", "FROM x\nENV @NEW=a\nENV @OLD=b\n", None, codes=["B101"])
    assert "Dockerfile:2" in report(plan, "B101").message


def test_dockerfile_multi_pair_env_removal_across_continuation(tmp_path: Path) -> None:
    check(tmp_path, "Dockerfile", "FROM x\nENV @NEW=a \\\n    @OLD=a \\\n    B=2\n", "FROM x\nENV @NEW=a \\\n    B=2\n")


# ---------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------


def test_yaml_compose_keys_lists_and_interpolations(tmp_path: Path) -> None:
    check(
        tmp_path,
        "docker-compose.yml",
        """\
        services:
          backend:
            build:
              args:
                @OLD: ${@OLD:-ws://localhost:8000/ws}   # from the shell
            environment:
              - APP_ENV=dev
              - "@OLD=ws://localhost:8000/ws"
              - @FB=ws://localhost:8001/ws
          frontend:
            environment:
              '@OLD': ws://localhost:8000/ws
        """,
        """\
        services:
          backend:
            build:
              args:
                @NEW: ${@NEW:-ws://localhost:8000/ws}   # from the shell
            environment:
              - APP_ENV=dev
              - "@NEW=ws://localhost:8000/ws"
              - @FB=ws://localhost:8001/ws
          frontend:
            environment:
              '@NEW': ws://localhost:8000/ws
        """,
    )


def test_yaml_duplicate_mapping_key_after_rename(tmp_path: Path) -> None:
    check(
        tmp_path,
        "compose.yaml",
        "services:\n  web:\n    environment:\n      @NEW: ws://x  # canonical\n      @OLD: ws://x  # legacy\n      A: 1\n",
        "services:\n  web:\n    environment:\n      @NEW: ws://x  # canonical\n      A: 1\n",
        codes=["B102"],
    )
    plan = check(tmp_path / "2", "compose.yaml", "env:\n  @NEW: ws://a\n  @OLD: ws://b\n", None, codes=["B101"])
    assert "ws://a (compose.yaml:2)" in report(plan, "B101").message


def test_yaml_duplicate_list_entries_after_rename(tmp_path: Path) -> None:
    check(tmp_path, "ci.yml", "env:\n  - @OLD=ws://x\n  - A=1\n  - @NEW=ws://x\n", "env:\n  - A=1\n  - @NEW=ws://x\n", codes=["B102"])
    check(tmp_path / "2", "ci.yml", "env:\n  - @OLD=ws://a\n  - @NEW=ws://b\n", None, codes=["B101"])
    # Same key names in two different lists are no duplicates.
    check(
        tmp_path / "3",
        "ci.yml",
        "a:\n  env:\n    - @NEW=1\nb:\n  env:\n    - @OLD=2\n",
        "a:\n  env:\n    - @NEW=1\nb:\n  env:\n    - @NEW=2\n",
    )


def test_yaml_cloud_build(tmp_path: Path) -> None:
    check(
        tmp_path,
        "cloudbuild.yaml",
        """\
        steps:
          - name: gcr.io/cloud-builders/docker
            args: ['build', '--build-arg', '@OLD=${_WS_URL}', '.']
            secretEnv: ['@OLD']
          - name: node
            script: |
              export @OLD=$_WS_URL
              npm run build
        availableSecrets:
          secretManager:
            - versionName: projects/p/secrets/ws/versions/latest
              env: @OLD
        """,
        """\
        steps:
          - name: gcr.io/cloud-builders/docker
            args: ['build', '--build-arg', '@NEW=${_WS_URL}', '.']
            secretEnv: ['@NEW']
          - name: node
            script: |
              export @NEW=$_WS_URL
              npm run build
        availableSecrets:
          secretManager:
            - versionName: projects/p/secrets/ws/versions/latest
              env: @NEW
        """,
    )


def test_yaml_free_text_is_reported(tmp_path: Path) -> None:
    plan = run_phase(tmp_path, "B", spec=SPEC, files={"a.yml": k("note: please set @OLD soon\n").encode()}, paths=["a.yml"])
    assert report(plan, "B402").line == 1 and not plan.changes


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------


def test_json_keys_values_and_scripts(tmp_path: Path) -> None:
    check(
        tmp_path,
        "package.json",
        '{\n  "scripts": {"build": "@OLD=ws://x next build"},\n  "env": {\n    "@OLD": "ws://x",\n    "@FB": "ws://y"\n  },\n  "required": ["@OLD"]\n}\n',
        '{\n  "scripts": {"build": "@NEW=ws://x next build"},\n  "env": {\n    "@NEW": "ws://x",\n    "@FB": "ws://y"\n  },\n  "required": ["@NEW"]\n}\n',
    )


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param('{\n  "@NEW": "a",\n  "@OLD": "a"\n}\n', '{\n  "@NEW": "a"\n}\n', id="last-member"),
        pytest.param('{\n  "@OLD": "a",\n  "@NEW": "a"\n}\n', '{\n  "@NEW": "a"\n}\n', id="first-member"),
        pytest.param('{"env": ["@NEW=1", "@OLD=1", "B=2"]}', '{"env": ["@NEW=1", "B=2"]}', id="array-of-assignments"),
    ],
)
def test_json_duplicates_after_rename(tmp_path: Path, before: str, after: str) -> None:
    check(tmp_path, "app.json", before, after, codes=["B102"])


def test_json_conflict(tmp_path: Path) -> None:
    check(tmp_path, "app.json", '{"@NEW": 1, "@OLD": 2}', None, codes=["B101"])


def test_document_self_check_catches_a_bad_edit() -> None:
    from codemods.configkeys.kinds import check_document
    from codemods.configkeys.model import ConfigEntry
    from codemods.configkeys.text import Edit, Job, Result

    entry = ConfigEntry(NEW, (OLD,))
    for kind, text in (("json", k('{"@OLD": 1, "b": 2}')), ("yaml", k("@OLD: 1\nb: 2\n"))):
        job = Job("x", text, (entry,), None, False)
        ok = Result(edits=[Edit(text.index(OLD), text.index(OLD) + len(OLD), NEW)])
        assert check_document(job, ok, kind) is None
        bad = Result(edits=[Edit(text.index("2"), text.index("2") + 1, "3")])
        assert "differs" in (check_document(job, bad, kind) or "")
        dup = Result(edits=[Edit(text.index("b"), text.index("b") + 1, OLD)])
        assert check_document(job, dup, kind) is not None


# ---------------------------------------------------------------------------------------
# Markdown and discovery
# ---------------------------------------------------------------------------------------


def test_markdown_only_with_include_docs(tmp_path: Path) -> None:
    files = {"README.md": k("Set `@OLD` (not `@FB`).\n"), "app.py": k('import os\nu = os.getenv("@OLD")\n')}
    plan = run_phase(tmp_path, "B", spec=SPEC, files=files)
    assert [o.path for o in plan.changes] == ["app.py"]
    assert "README.md" not in [o.path for o in plan.outcomes]
    plan = run_phase(tmp_path, "B", spec=SPEC, files={}, options=DOCS)
    (md,) = [o for o in plan.changes if o.path == "README.md"]
    assert md.after == k("Set `@NEW` (not `@FB`).\n").encode()


def test_discovery_finds_every_kind_by_glob_and_honours_exclude(tmp_path: Path) -> None:
    files = {
        ".env": k("@OLD=x\n"),
        "deploy/.env.staging": k("@OLD=x\n"),
        "Dockerfile": k("FROM x\nENV @OLD=x\n"),
        "docker-compose.yml": k("x:\n  @OLD: 1\n"),
        "web/config.ts": k("process.env.@OLD\n"),
        "web/package.json": k('{"@OLD": 1}\n'),
        "app/config.py": k('KEY = "@OLD"\n'),
        "vendor/other.py": k('KEY = "@OLD"\n'),
        "notes.txt": k("@OLD\n"),
    }
    spec = "exclude = ['vendor']\n" + SPEC
    plan = run_phase(tmp_path, "B", spec=spec, files=files)
    assert sorted(o.path for o in plan.changes) == sorted(p for p in files if p not in ("vendor/other.py", "notes.txt"))
    # Kinds can be turned off and redirected per entry.
    spec2 = spec + "[config.files]\nenv = []\npython = ['vendor/*.py']\n"
    plan = run_phase(tmp_path, "B", spec=spec2, files={})
    changed = sorted(o.path for o in plan.changes)
    assert "vendor/other.py" not in changed, "exclude wins over a kind's glob"
    assert ".env" not in changed and "app/config.py" not in changed and "Dockerfile" in changed


def test_phase_c_discovery_is_unchanged(tmp_path: Path) -> None:
    from codemods import PHASES

    c = PHASES["C"]()
    assert c.wants(None, "pkg/mod.py") and not c.wants(None, ".env")  # type: ignore[arg-type]


def test_two_entries_in_one_file(tmp_path: Path) -> None:
    spec = SPEC + '\n[[config]]\ncanonical = "DB_URL"\nlegacy = ["DATABASE_URL", "DB_URI"]\n'
    check(
        tmp_path,
        ".env",
        "DATABASE_URL=pg://a\nDB_URI=pg://a\n@OLD=ws://x\n",
        "DB_URL=pg://a\n@NEW=ws://x\n",
        spec=spec,
    )


@pytest.mark.parametrize(
    "path,before,after,codes",
    [
        pytest.param(
            "a.py",
            '"""@FB."""\nimport os\n# @FB\nA = os.getenv("@FB")\nB = {"@FB": f"@FB"}\nC = "use @FB"\n@FB = 1\nD = os.getenv("@OLD")\n',
            '"""@FB."""\nimport os\n# @FB\nA = os.getenv("@FB")\nB = {"@FB": f"@FB"}\nC = "use @FB"\n@FB = 1\nD = os.getenv("@NEW")\n',
            ["B300"],
            id="python",
        ),
        pytest.param(
            "a.ts",
            "// @FB\nconst a = process.env.@FB ?? process.env['@FB'];\nconst r = /@FB/;\nconst { @FB } = x;\nconst b = process.env.@OLD;\n",
            "// @FB\nconst a = process.env.@FB ?? process.env['@FB'];\nconst r = /@FB/;\nconst { @FB } = x;\nconst b = process.env.@NEW;\n",
            ["B300"],
            id="ts",
        ),
        pytest.param(".env", "# @FB\n@FB=${@FB}\nX=$@FB\n@OLD=1\n", "# @FB\n@FB=${@FB}\nX=$@FB\n@NEW=1\n", [], id="env"),
        pytest.param(
            "Dockerfile", "FROM x\n# @FB\nARG @FB\nENV @FB=$@FB @OLD=1\nRUN @FB=1 echo ${@FB}\n",
            "FROM x\n# @FB\nARG @FB\nENV @FB=$@FB @NEW=1\nRUN @FB=1 echo ${@FB}\n", [], id="dockerfile",
        ),
        pytest.param(
            "c.yml", "# @FB\na:\n  @FB: ${@FB}\n  l: ['@FB', '@FB=1']\n  m:\n    - @FB=2\n  @OLD: 1\n",
            "# @FB\na:\n  @FB: ${@FB}\n  l: ['@FB', '@FB=1']\n  m:\n    - @FB=2\n  @NEW: 1\n", [], id="yaml",
        ),
        pytest.param("c.json", '{"@FB": "@FB", "l": ["@FB=1"], "@OLD": 1}', '{"@FB": "@FB", "l": ["@FB=1"], "@NEW": 1}', [], id="json"),
    ],
)
def test_the_look_alike_key_is_never_touched_nor_reported(tmp_path: Path, path: str, before: str, after: str, codes: list) -> None:
    plan = check(tmp_path, path, before, after, codes=codes, exact=True)
    assert not [r for r in plan.all_reports() if FB in r.message]


@pytest.mark.parametrize(
    "before,after",
    [
        pytest.param('{\n  // c\n  "@NEW": 1,\n  "@OLD": 1 // legacy\n}\n', '{\n  // c\n  "@NEW": 1\n}\n', id="last-member-with-its-comment"),
        pytest.param('{\n  "@OLD": 1, // legacy\n  "@NEW": 1 // new\n}\n', '{\n  "@NEW": 1 // new\n}\n', id="first-member-with-its-comment"),
    ],
)
def test_jsonc_comments_stay_with_their_member(tmp_path: Path, before: str, after: str) -> None:
    check(tmp_path, "tsconfig.jsonc", before, after, codes=["B102"])


def test_yaml_nested_blocks_and_unsafe_removals(tmp_path: Path) -> None:
    check(
        tmp_path,
        "a.yml",
        "block:\n  @OLD:\n    a: 1\n    b: [1, 2]\n  @NEW:\n    a: 1\n    b: [1, 2]\n  x: 2\n",
        "block:\n  @NEW:\n    a: 1\n    b: [1, 2]\n  x: 2\n",
        codes=["B102"],
    )
    # The first key of a list item carries the item's dash: it cannot go alone.
    check(tmp_path / "2", "a.yml", "items:\n  - @OLD: x\n    @NEW: x\n", None, codes=["B108"])


def test_yaml_merge_key_hiding_a_conflict_is_refused(tmp_path: Path) -> None:
    plan = run_phase(tmp_path, "B", spec=SPEC, files={"a.yaml": k("a: &anc\n  @OLD: 1\nb:\n  <<: *anc\n  @NEW: 2\n").encode()}, paths=["a.yaml"])
    (o,) = plan.outcomes
    assert o.status is Status.FAILED and "merges two definitions that differ" in o.reason
    assert report(plan, "E002").severity is Severity.ERROR


def test_process_pool_gives_the_same_plan(tmp_path: Path) -> None:
    files = {}
    for i in range(20):
        files[f"svc{i}/config.py"] = k('import os\nd = {"@NEW": 1, "@OLD": 1}\nu = os.getenv("@NEW") or os.getenv("@OLD")\n')
        files[f"svc{i}/.env"] = k("@OLD=x\n")
    serial = run_phase(tmp_path, "B", spec=COMPAT_SPEC, files=files, jobs=1)
    pooled = run_phase(tmp_path, "B", spec=COMPAT_SPEC, files={}, jobs=4)
    assert len(serial.changes) == 40 and not serial.failed
    assert [(o.path, o.after) for o in serial.changes] == [(o.path, o.after) for o in pooled.changes]
    assert serial.all_reports() == pooled.all_reports()
