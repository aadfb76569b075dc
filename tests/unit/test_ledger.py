"""The ledger as data: waves, the per-phase view, dependents, --cascade stacking, resume and rollback.

States are built directly in ``.ssot-migrate/`` (blobs, journals, ledger
entries) instead of through subprocesses, so each rule is checked on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrate import commands
from migrate.commands import _dependents, _resume_apply, _stacked_on
from migrate.errors import DriftError, LedgerError, PhaseStateError
from migrate.state import APPLIED, APPLYING, FileRecord, Journal, LedgerEntry, State, wave_key


def entry(phase: str, wave: int, order: int, status: str = APPLIED) -> LedgerEntry:
    return LedgerEntry(phase, status, "spec", "test", float(order), 1, order, wave)


def record_wave(state: State, phase: str, wave: int, files: dict[str, tuple[bytes | None, bytes | None]], status: str = APPLIED) -> LedgerEntry:
    """Journal and record one wave that changed ``files`` (path -> (before, after)); the disk is left alone."""
    journal = Journal(phase, "spec", "test", 0.0, wave=wave)
    for path, (before, after) in files.items():
        journal.files.append(FileRecord(path, before and state.put_blob(before), after and state.put_blob(after), 0o644, 0o644))
    state.write_journal(journal)
    e = LedgerEntry(phase, status, "spec", "test", 0.0, len(files), state.next_order(), wave)
    state.set_entry(e, "test")
    return e


def lines(*words: str) -> bytes:
    return "".join(f"{w}\n" for w in words).encode()


# -- layout -----------------------------------------------------------------------------


def test_wave_keys_name_the_first_wave_like_the_phase() -> None:
    assert [wave_key("C", n) for n in (1, 2, 3)] == ["C", "C.2", "C.3"]


def test_a_format_1_state_dir_reads_as_first_waves(tmp_path: Path) -> None:
    """What the version before waves wrote: one entry per phase, phases/<X>/journal.json without a wave."""
    state = State(tmp_path)
    blob_a, blob_b = state.put_blob(b"old\n"), state.put_blob(b"new\n")
    (state.dir / "phases" / "C").mkdir(parents=True)
    (state.dir / "phases" / "C" / "journal.json").write_text(json.dumps({
        "format": 1, "phase": "C", "spec_hash": "s", "tool_version": "0.9", "started_at": 1.0, "options": {},
        "files": [{"path": "a.py", "before": blob_a, "after": blob_b, "mode_before": 420, "mode_after": 420}],
    }))
    (state.dir / "ledger.json").write_text(json.dumps({
        "format": 1,
        "phases": {"C": {"phase": "C", "status": "applied", "spec_hash": "s", "tool_version": "0.9",
                         "applied_at": 1.0, "files": 1, "order": 1}},
        "history": [{"event": "apply", "phase": "C"}],
    }))
    (tmp_path / "a.py").write_bytes(b"new\n")
    (w,) = state.read_waves()
    assert (w.key, w.wave, w.status) == ("C", 1, APPLIED)
    assert state.read_journal("C").files[0].path == "a.py"
    assert state.next_wave("C") == 2
    # A new wave is added beside it; the old entry and the history are kept.
    record_wave(state, "C", 2, {"a.py": (b"new\n", b"newer\n")})
    data = json.loads((state.dir / "ledger.json").read_text())
    assert data["format"] == 2 and sorted(data["phases"]) == ["C", "C.2"] and data["history"][0] == {"event": "apply", "phase": "C"}
    assert state.read_ledger()["C"].key == "C.2"  # the per-phase view: the latest wave
    assert [j.key for j in state.phase_journals("C")] == ["C", "C.2"]
    # And the tool rolls the old wave back like any other.
    (tmp_path / "a.py").write_bytes(b"newer\n")
    r = commands.rollback(tmp_path, "C", all_waves=True)
    assert r.phases == ["C.2", "C"] and (tmp_path / "a.py").read_bytes() == b"old\n" and state.read_waves() == []


@pytest.mark.parametrize("bad", ["../../x", "C.1", "C.3"])
def test_a_ledger_key_that_is_not_its_wave_is_refused(tmp_path: Path, bad: str) -> None:
    state = State(tmp_path)
    state.dir.mkdir()
    (state.dir / "ledger.json").write_text(json.dumps({"format": 2, "phases": {bad: {
        "phase": "C", "status": "applied", "spec_hash": "s", "tool_version": "t", "applied_at": 0, "files": 0, "order": 1, "wave": 2}}}))
    with pytest.raises(LedgerError, match="does not match"):
        state.read_waves()


def test_a_ledger_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    state = State(tmp_path)
    state.dir.mkdir()
    (state.dir / "ledger.json").write_text(json.dumps({"format": 99, "phases": {}}))
    with pytest.raises(LedgerError, match="newer ssot-migrate"):
        state.read_waves()


def test_a_journal_under_another_waves_name_is_refused(tmp_path: Path) -> None:
    state = State(tmp_path)
    record_wave(state, "C", 2, {"a.py": (b"1\n", b"2\n")})
    (state.dir / "phases" / "C").mkdir()
    (state.dir / "phases" / "C" / "journal.json").write_bytes((state.dir / "phases" / "C.2" / "journal.json").read_bytes())
    with pytest.raises(LedgerError, match="journal of C.2, not of C"):
        state.read_journal("C")


# -- dependents and stacking ------------------------------------------------------------

# Phase E needs C and D; the others need nothing.


def test_rolling_back_the_last_wave_leaves_the_phase_applied_for_its_dependents() -> None:
    waves = [entry("C", 1, 1), entry("D", 1, 2), entry("E", 1, 3), entry("C", 2, 4)]
    assert _dependents(waves, [waves[3]]) == []


def test_rolling_back_every_wave_takes_the_phases_that_need_it() -> None:
    waves = [entry("C", 1, 1), entry("D", 1, 2), entry("E", 1, 3), entry("C", 2, 4), entry("E", 2, 5)]
    deps = _dependents(waves, [waves[0], waves[3]])
    assert [w.key for w in deps] == ["E.2", "E"]  # both of E's waves, newest first; D stays


def test_an_earlier_wave_takes_the_later_waves_of_its_phase() -> None:
    waves = [entry("C", 1, 1), entry("D", 1, 2), entry("E", 1, 3), entry("C", 2, 4)]
    assert [w.key for w in _dependents(waves, [waves[0]])] == ["C.2", "E"]


def test_cascade_takes_later_waves_on_the_same_files_and_not_earlier_ones() -> None:
    files = {"C": {"a.py", "b.py"}, "D": {"b.py"}, "C.2": {"c.py"}, "S": {"z.py"}, "B": {"a.py"}}
    waves = [entry("B", 1, 1), entry("C", 1, 2), entry("D", 1, 3), entry("C", 2, 4), entry("S", 1, 5)]
    # The last wave of C: D and B came before it, S touches other files: nothing stacked.
    assert _stacked_on(waves, [waves[3]], [], files.__getitem__) == []
    # Every wave of C: D rewrote b.py after C's first wave; B (before it) stays.
    assert [w.key for w in _stacked_on(waves, [waves[1], waves[3]], [], files.__getitem__)] == ["D"]


def test_cascade_is_transitive_and_takes_the_rest_of_a_stacked_phase() -> None:
    files = {"C": {"a.py"}, "D": {"a.py", "d.py"}, "S": {"d.py"}, "D.2": {"x.py"}, "A": {"q.py"}}
    waves = [entry("C", 1, 1), entry("D", 1, 2), entry("S", 1, 3), entry("D", 2, 4), entry("A", 1, 5)]
    got = _stacked_on(waves, [waves[0]], [], files.__getitem__)
    # D sits on a.py; S on D's d.py; D.2 is D's later wave, so it goes too; A is unrelated.
    assert [w.key for w in got] == ["D.2", "S", "D"]


# -- rollback and resume on a real state directory --------------------------------------


@pytest.fixture
def two_waves(tmp_path: Path) -> tuple[Path, State]:
    """Wave C changed a.py and b.py; wave C.2 changed a.py again.  The disk is after both."""
    state = State(tmp_path)
    a0, a1, a2 = lines("x", "one", "y"), lines("x", "ONE", "y"), lines("x", "ONE", "y", "TWO")
    b0, b1 = lines("p", "q", "r", "s", "t"), lines("p", "Q", "r", "s", "t")
    record_wave(state, "C", 1, {"a.py": (a0, a1), "b.py": (b0, b1)})
    record_wave(state, "C", 2, {"a.py": (a1, a2)})
    (tmp_path / "a.py").write_bytes(a2)
    (tmp_path / "b.py").write_bytes(b1)
    return tmp_path, state


def test_rollback_undoes_the_last_wave_then_the_one_before(two_waves: tuple[Path, State]) -> None:
    root, state = two_waves
    r = commands.rollback(root, "C")
    assert r.phases == ["C.2"] and (root / "a.py").read_bytes() == lines("x", "ONE", "y")
    assert [w.key for w in state.read_waves()] == ["C"] and (root / "b.py").read_bytes() == lines("p", "Q", "r", "s", "t")
    r = commands.rollback(root, "C")
    assert r.phases == ["C"] and (root / "a.py").read_bytes() == lines("x", "one", "y") and state.read_waves() == []
    with pytest.raises(PhaseStateError, match="not applied"):
        commands.rollback(root, "C")


def test_rollback_all_merges_an_edit_through_every_wave(two_waves: tuple[Path, State]) -> None:
    root, state = two_waves
    (root / "b.py").write_bytes(lines("p", "Q", "r", "s", "t", "a hand edit"))
    r = commands.rollback(root, "C", all_waves=True)
    assert r.phases == ["C.2", "C"]
    assert (root / "a.py").read_bytes() == lines("x", "one", "y")
    assert (root / "b.py").read_bytes() == lines("p", "q", "r", "s", "t", "a hand edit")
    assert {f.path: f.action for f in r.files} == {"a.py": "restored", "b.py": "merged"}


def test_a_conflict_in_an_earlier_wave_writes_nothing(two_waves: tuple[Path, State]) -> None:
    root, state = two_waves
    (root / "b.py").write_bytes(lines("p", "Q!", "r", "s", "t"))  # overlaps wave C's change
    with pytest.raises(DriftError, match="phase C:"):
        commands.rollback(root, "C", all_waves=True)
    assert (root / "a.py").read_bytes() == lines("x", "ONE", "y", "TWO")  # C.2 was not undone either
    assert [w.key for w in state.read_waves()] == ["C", "C.2"]


def test_resume_finishes_the_interrupted_wave_only(tmp_path: Path) -> None:
    state = State(tmp_path)
    record_wave(state, "C", 1, {"a.py": (b"0\n", b"1\n")})
    record_wave(state, "C", 2, {"a.py": (b"1\n", b"2\n"), "n.py": (None, b"new\n")}, status=APPLYING)
    (tmp_path / "a.py").write_bytes(b"1\n")  # killed before any write of wave 2
    r = _resume_apply(state, "C.2")
    assert r.resumed and r.key == "C.2" and sorted(r.written) == ["a.py", "n.py"]
    assert (tmp_path / "a.py").read_bytes() == b"2\n" and (tmp_path / "n.py").read_bytes() == b"new\n"
    assert [(w.key, w.status) for w in state.read_waves()] == [("C", APPLIED), ("C.2", APPLIED)]
    assert (state.phase_dir("C.2") / "rollback.patch").is_file() and not (state.phase_dir("C") / "rollback.patch").exists()


def test_status_lists_waves_and_tells_a_later_waves_rewrite_from_drift(two_waves: tuple[Path, State]) -> None:
    root, state = two_waves
    st = commands.ledger_status(root)
    (c,) = [p for p in st.phases if p.phase == "C"]
    assert [w.key for w in c.waves] == ["C", "C.2"] and c.status == APPLIED and c.files == 2
    assert c.waves[0].changed_by_later == {"a.py": "C.2"} and c.edited_since_apply == [] and c.changed_by_later == {}
    assert (c.pending_edits, c.remaining_refs) == (None, None)  # not planned: not counted
    (root / "a.py").write_bytes(b"by hand\n")
    (c,) = [p for p in commands.ledger_status(root).phases if p.phase == "C"]
    assert c.edited_since_apply == ["a.py"] and c.waves[1].edited_since_apply == ["a.py"]


def test_the_phase_catalog_read_from_sources_matches_the_registry() -> None:
    from codemods import PHASES

    from migrate.catalog import _from_sources

    assert {k: (v.title, v.needs) for k, v in _from_sources().items()} == {k: (c.title, tuple(c.needs)) for k, c in PHASES.items()}


def test_readers_of_phase_e_see_every_wave(tmp_path: Path) -> None:
    """`check` and phase B's compat reader read what phase E removed from all of E's waves, not the first."""
    from types import SimpleNamespace

    from codemods.phase_e import REMOVED_FALLBACKS, removed_fallbacks

    state = State(tmp_path)
    for wave, keys in ((1, ["OLD_URL"]), (2, ["OLD_PORT"])):
        journal = Journal("E", "spec", "test", 0.0, {REMOVED_FALLBACKS: keys}, wave=wave)
        journal.files.append(FileRecord(f"gone{wave}.py", state.put_blob(b"x = 1\n"), None, 0o644, None))
        state.write_journal(journal)
        state.set_entry(LedgerEntry("E", APPLIED, "spec", "test", 0.0, 1, state.next_order(), wave), "test")
    assert removed_fallbacks(SimpleNamespace(root=tmp_path)) == {"OLD_URL", "OLD_PORT"}
    assert [rec.path for j in state.phase_journals("E") for rec in j.files] == ["gone1.py", "gone2.py"]
