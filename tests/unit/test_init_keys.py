"""`ssot-migrate init`'s building blocks: the key-spelling normaliser, the per-kind key scan,
the pattern check and the pyproject.toml splice (the rest of the file keeps its bytes)."""

from __future__ import annotations

import sys

import pytest

from migrate.errors import UsageError
from migrate.init import END_MARKER, check_pattern, config_keys_in, normalise_key, pyproject_with_section

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# -- normalise_key --------------------------------------------------------------------------

SAME = [
    ("NEXT_PUBLIC_WEBSOCKET_URL", "NEXT_PUBLIC_WS_URL"),  # abbreviation
    ("NEXT_PUBLIC_WEB_SOCKET_URL", "NEXT_PUBLIC_WS_URL"),  # a synonym spelled as two words
    ("WEBSOCKETS_URL", "WS_URL"),
    ("next_public_ws_url", "NEXT_PUBLIC_WS_URL"),  # case
    ("DBHOST", "DB_HOST"),  # "_" only
    ("DB-HOST", "DB_HOST"),  # "-" only
    ("app.config.path", "APP_CFG_PATH"),  # "." and CONFIG/CFG
    ("DATABASE_URL", "DB_URL"),
    ("DATA_BASE_URL", "DB_URL"),
    ("APP_CONFIGURATION_DIR", "APP_CONF_DIRECTORY"),
    ("MAX_CONNECTIONS", "MAXIMUM_CONNECTIONS"),  # only the listed word changes
    ("REQUEST_TIMEOUT_MILLISECONDS", "REQ_TIMEOUT_MS"),
    ("__DB__HOST__", "DB_HOST"),  # repeated / leading / trailing separators
]

DIFFERENT = [
    ("NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK", "NEXT_PUBLIC_WS_URL"),  # a suffix is another setting
    ("WS_URL", "WSS_URL"),
    ("API_URL", "API_URI"),  # not a listed synonym
    ("SEC_TOKEN", "SECONDS_TOKEN"),  # SEC is ambiguous: not listed
    ("AUTH_URL", "AUTHENTICATION_URL"),  # AUTH is ambiguous: not listed
    ("PWD", "PASSWORD"),  # $PWD is the working directory
    ("DB_HOST", "DB_PORT"),
    ("CONNECTION_MAX", "MAX_CONNECTION"),  # word order matters
]


@pytest.mark.parametrize("a,b", SAME)
def test_spellings_of_one_key_normalise_alike(a: str, b: str) -> None:
    assert normalise_key(a) == normalise_key(b)


@pytest.mark.parametrize("a,b", DIFFERENT)
def test_different_keys_stay_different(a: str, b: str) -> None:
    assert normalise_key(a) != normalise_key(b)


@pytest.mark.parametrize(
    "key,expected",
    [
        ("NEXT_PUBLIC_WEBSOCKET_URL", "NEXTPUBLICWSURL"),
        ("web_socket_url", "WSURL"),
        ("DATABASE", "DB"),
        ("PLAIN", "PLAIN"),
        ("", ""),
    ],
)
def test_normal_form(key: str, expected: str) -> None:
    assert normalise_key(key) == expected


# -- config_keys_in: the syntax that makes a token a key, per file kind -------------------------


def test_env_file_definitions_and_references_not_comments() -> None:
    text = "# NEXT_PUBLIC_WEBSOCKET_URL is old\nAPP_ENV=dev\nexport WS_URL = ws://x\nOTHER=${BASE_URL}/ws\n"
    assert config_keys_in("env", text) == [("APP_ENV", 2), ("WS_URL", 3), ("BASE_URL", 4), ("OTHER", 4)]


def test_dockerfile_env_arg_names_and_references() -> None:
    text = (
        "FROM python:3.11\n"
        "ARG WS_URL=ws://x\n"
        "ENV A_KEY=1 B_KEY=$WS_URL\n"
        "ENV LEGACY_KEY some value WITH_CAPS\n"  # `ENV KEY value`: the rest is the value
        "# ENV COMMENTED_KEY=1\n"
        "RUN echo ${RUN_KEY}\n"
    )
    assert config_keys_in("dockerfile", text) == [
        ("WS_URL", 2), ("A_KEY", 3), ("B_KEY", 3), ("WS_URL", 3), ("LEGACY_KEY", 4), ("RUN_KEY", 6),
    ]


def test_yaml_upper_keys_list_items_and_interpolations() -> None:
    text = (
        "services:\n"
        "  web:\n"
        "    environment:\n"
        "      NEXT_PUBLIC_WS_URL: ws://x\n"
        "      - \"LIST_KEY=1\"\n"
        "    command: run ${CMD_KEY}\n"
        "    # COMMENT_KEY: 1\n"
    )
    assert config_keys_in("yaml", text) == [("NEXT_PUBLIC_WS_URL", 4), ("LIST_KEY", 5), ("CMD_KEY", 6)]


def test_json_upper_keys_only() -> None:
    text = '{\n  "env": {\n    "API_URL": "x",\n    "name": "API_KEY_IN_VALUE"\n  }\n}\n'
    assert config_keys_in("json", text) == [("API_URL", 3)]


def test_js_env_reads_and_upper_string_literals_not_comments() -> None:
    text = (
        "const a = process.env.NEXT_PUBLIC_WS_URL;\n"
        "const b = process.env['OLD_KEY'];\n"
        "const c = import.meta.env.VITE_WS_URL;\n"
        "// process.env.COMMENTED_KEY\n"
        "const d = cfg[\"STRING_KEY\"];\n"
    )
    assert config_keys_in("js", text) == [
        ("NEXT_PUBLIC_WS_URL", 1), ("OLD_KEY", 2), ("VITE_WS_URL", 3), ("STRING_KEY", 5),
    ]


# -- check_pattern ---------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["*WebSocketManager", "*WebSocket*Manager*", "Phase?", "[LS]*Manager"])
def test_globs_are_accepted(pattern: str) -> None:
    assert check_pattern(pattern) == pattern


@pytest.mark.parametrize(
    "pattern,hint",
    [
        (".*WebSocketManager$", "did you mean '*WebSocketManager'?"),
        ("^Legacy.+Manager", "did you mean 'Legacy*Manager'?"),
        ("Web Socket", "not a class-name glob"),
        ("", "not a class-name glob"),
    ],
)
def test_regexes_and_junk_are_refused_with_a_hint(pattern: str, hint: str) -> None:
    with pytest.raises(UsageError) as exc:
        check_pattern(pattern)
    assert hint in exc.value.message


# -- pyproject_with_section --------------------------------------------------------------------

DRAFT = '[tool.ssot-migrate]\n# drafted\n\n[[tool.ssot-migrate.move]]\nfrom = "a.b"\nto = "a.c"\n# # trailing draft comment\n' + END_MARKER + "\n"


@pytest.mark.parametrize(
    "original",
    [
        b'[project]\nname = "x"\n',
        b'[project]\r\nname = "x"\r\n',  # CRLF: the appended lines follow it
        b'[project]\nname = "x"',  # no final newline
        b'\xef\xbb\xbf[project]\nname = "x"  \n\n\n',  # BOM, trailing spaces and blank lines
        b"",
    ],
)
def test_append_keeps_every_original_byte(original: bytes) -> None:
    new, replaced = pyproject_with_section(original, DRAFT, force=False, name="pyproject.toml")
    assert not replaced
    assert new.startswith(original)
    text = new.decode("utf-8").removeprefix("\ufeff")
    data = tomllib.loads(text)
    assert data["tool"]["ssot-migrate"]["move"] == [{"from": "a.b", "to": "a.c"}]
    if b"\r\n" in original:
        assert "\n" not in text.replace("\r\n", "")


def test_existing_section_is_refused_without_force() -> None:
    original = b'[project]\nname = "x"\n\n[tool.ssot-migrate]\ngate = "true"\n'
    with pytest.raises(UsageError, match=r"already has a \[tool.ssot-migrate\] section; nothing written"):
        pyproject_with_section(original, DRAFT, force=False, name="pyproject.toml")


def test_force_replaces_only_our_tables_and_is_idempotent() -> None:
    original = (
        b'[project]\nname = "x"\n\n'
        b'[tool.ssot-migrate]\ngate = "true"\n\n# phase A\n[tool.ssot-migrate.interface]\ncanonical = "a:B"\n\n'
        b'# Linting\n[tool.ruff]\nline-length = 100\n'
    )
    new, replaced = pyproject_with_section(original, DRAFT, force=True, name="pyproject.toml")
    assert replaced
    assert new.startswith(b'[project]\nname = "x"\n\n[tool.ssot-migrate]\n# drafted\n')
    assert new.endswith(b"\n# Linting\n[tool.ruff]\nline-length = 100\n")
    assert b"gate" not in new and b"# phase A" not in new
    again, _ = pyproject_with_section(new, DRAFT, force=True, name="pyproject.toml")
    assert again == new


def test_force_refuses_what_it_cannot_replace_cleanly() -> None:
    original = b'[tool]\nssot-migrate = { gate = "true" }\n'  # an inline table: no header to cut
    with pytest.raises(UsageError, match="without changing the rest"):
        pyproject_with_section(original, DRAFT, force=True, name="pyproject.toml")


def test_malformed_pyproject_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not valid TOML"):
        pyproject_with_section(b"[project\n", DRAFT, force=False, name="pyproject.toml")
