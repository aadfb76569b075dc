"""The spec: read once, validated up front, every problem reported together."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.errors import SpecError
from migrate.spec import Target, load_spec


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    p = tmp_path / name
    p.write_text(text)
    return p


def test_standalone_file_and_defaults(tmp_path: Path) -> None:
    p = write(tmp_path, '[[move]]\nfrom = "pkg.a"\nto = "pkg.b"\nsince = "1.0"\nremove-in = "2.0"\n')
    spec = load_spec(p)
    assert spec.root == tmp_path.resolve()
    assert spec.moves[0].old == Target("pkg.a") and spec.moves[0].new == Target("pkg.b")
    assert spec.moves[0].since == "1.0" and spec.moves[0].remove_in == "2.0"
    assert spec.include == ("**/*.py",)
    assert spec.protected_modules == {"pkg.a", "pkg.b"}


def test_pyproject_table_and_project_version(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        '[project]\nname="x"\nversion="1.4.0"\n[tool.ssot-migrate]\n[[tool.ssot-migrate.move]]\nfrom="pkg.a:X"\nto="pkg.b:Y"\n',
        "pyproject.toml",
    )
    spec = load_spec(p)
    assert spec.version == "1.4.0"
    assert spec.symbol_moves[0].old == Target("pkg.a", "X")


def test_spec_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    write(tmp_path, '[tool.ssot-migrate]\n[[tool.ssot-migrate.move]]\nfrom="pkg.a"\nto="pkg.b"\n', "pyproject.toml")
    assert load_spec(start=tmp_path / "pkg").path == (tmp_path / "pyproject.toml").resolve()


def test_all_errors_reported_together(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        'colour = "blue"\nversion = "not a version"\n'
        '[[move]]\nfrom = "pkg..a"\nto = "pkg.b"\n'
        '[[move]]\nfrom = "pkg.a"\nto = "pkg.b:X"\n'
        '[[move]]\nfrom = "pkg.c"\nto = "pkg.d"\nsince = "2.0"\nremove-in = "1.0"\n'
        '[[move]]\nfrom = "pkg.c"\nto = "pkg.e"\n'
        '[[move]]\nfrom = "pkg.x"\nto = "pkg.y"\nextra = 1\n',
    )
    with pytest.raises(SpecError) as info:
        load_spec(p)
    text = info.value.render()
    for needle in (
        "colour: unknown key",
        "version: 'not a version' is not a PEP 440 version",
        "move[0].from: malformed dotted path 'pkg..a'",
        "move[1]: 'from' and 'to' must both be modules or both be symbols",
        "move[2]: since (2.0) must be lower than remove-in (1.0)",
        "move[3].from: 'pkg.c' is already moved by move[2]",
        "move[4].extra: unknown key",
    ):
        assert needle in text, (needle, text)


def test_cycles_and_chains(tmp_path: Path) -> None:
    p = write(tmp_path, '[[move]]\nfrom="pkg.a"\nto="pkg.b"\n[[move]]\nfrom="pkg.b"\nto="pkg.a"\n')
    with pytest.raises(SpecError) as info:
        load_spec(p)
    assert "cycle in moves: pkg.a -> pkg.b -> pkg.a" in info.value.render()
    p = write(tmp_path, '[[move]]\nfrom="pkg.a"\nto="pkg.b"\n[[move]]\nfrom="pkg.b"\nto="pkg.c"\n')
    with pytest.raises(SpecError) as info:
        load_spec(p)
    assert "point 'pkg.a' at 'pkg.c' directly" in info.value.render()


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(SpecError, match="malformed TOML"):
        load_spec(write(tmp_path, "[move\n"))
    with pytest.raises(SpecError, match="no \\[tool.ssot-migrate\\] table found"):
        load_spec(start=tmp_path)


def test_gate_and_distribution_of_the_wrong_type_are_spec_errors(tmp_path: Path) -> None:
    p = write(tmp_path, 'gate = ["pytest"]\ndistribution = 3\n[[move]]\nfrom = "pkg.a"\nto = "pkg.b"\n')
    with pytest.raises(SpecError) as info:
        load_spec(p)
    text = info.value.render()
    assert "gate" in text and "distribution" in text


def test_identity_per_move(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        '[[move]]\nfrom = "pkg.a"\nto = "pkg.b"\n'
        '[[move]]\nfrom = "pkg.c"\nto = "pkg.d"\nidentity = "assume"\n',
    )
    spec = load_spec(p)
    assert [m.identity for m in spec.moves] == ["check", "assume"]
    p = write(tmp_path, '[[move]]\nfrom = "pkg.a"\nto = "pkg.b"\nidentity = "trust"\n')
    with pytest.raises(SpecError) as info:
        load_spec(p)
    assert "move[0].identity: expected one of 'check', 'assume', got 'trust'" in info.value.render()


def test_repository_errors_come_in_the_same_round_as_the_others(tmp_path: Path) -> None:
    """A wrong key, a missing target and a typo'd symbol name: one SpecError lists all three."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/misc.py").write_text("def keep():\n    pass\n")
    (tmp_path / "pkg/proc.py").write_text("def run():\n    pass\n")
    p = write(
        tmp_path,
        'colour = "blue"\n'
        '[[move]]\nfrom = "pkg.misc:kep"\nto = "pkg.proc:run"\n'
        '[[move]]\nfrom = "pkg.misc"\nto = "pkg.nowhere"\n',
    )
    with pytest.raises(SpecError) as info:
        load_spec(p)
    text = info.value.render()
    for needle in (
        "colour: unknown key",
        "move[0] (pkg.misc:kep -> pkg.proc:run): 'from' module 'pkg.misc' (pkg/misc.py) does not define 'kep' (did you mean 'keep'?)",
        "move[1] (pkg.misc -> pkg.nowhere): target module 'pkg.nowhere' not found under the source roots",
    ):
        assert needle in text, (needle, text)


def test_a_name_moved_out_and_deleted_is_not_a_typo(tmp_path: Path) -> None:
    from migrate.modindex import build_index, validate_moves

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/misc.py").write_text("def keep():\n    pass\n")
    (tmp_path / "pkg/proc.py").write_text("def run():\n    pass\n\n\ndef runner():\n    pass\n")
    p = write(tmp_path, '[[move]]\nfrom = "pkg.misc:run"\nto = "pkg.proc:run"\n')
    spec = load_spec(p)
    assert validate_moves(spec, build_index(spec)) == []
    # Renamed and deleted (no close match left in the legacy module): a legitimate move too.
    p = write(tmp_path, '[[move]]\nfrom = "pkg.misc:old_runner"\nto = "pkg.proc:runner"\n')
    spec = load_spec(p)
    assert validate_moves(spec, build_index(spec)) == []
    # A name the legacy module nearly defines is a typo.
    p = write(tmp_path, '[[move]]\nfrom = "pkg.misc:kep"\nto = "pkg.proc:runner"\n')
    spec = load_spec(p)
    (err,) = validate_moves(spec, build_index(spec))
    assert "does not define 'kep' (did you mean 'keep'?)" in err
