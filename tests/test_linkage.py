"""Deterministic linkage through the key table, and its quality report against the planted truth."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from talentlib import synth
from talentlib.linkage import link, link_folder, resolve_keys


def test_resolve_keys_drops_duplicates_and_conflicts() -> None:
    keys = pl.DataFrame(
        {
            "researcher_id": ["r1", "r1", "r2", "r2", "r3", "r4"],
            "ei_person_id": ["e1", "e1", "e2", "e9", "e3", "e3"],
        }
    )
    clean, counts = resolve_keys(keys)
    # r1 twice with the same id is a duplicate row, not a conflict; r2 has two ids and e3 two
    # researchers: all of those keys are dropped
    assert clean.to_dicts() == [{"researcher_id": "r1", "ei_person_id": "e1"}]
    assert counts["duplicate_key_rows"] == 1
    assert counts["conflicting_researchers"] == 1 and counts["conflicting_ei_ids"] == 1
    assert counts["conflicting_key_rows"] == 4


def test_link_joins_only_through_clean_keys() -> None:
    researchers = pl.DataFrame(
        {
            "researcher_id": ["r1", "r2", "r3"],
            "degree": ["PHD"] * 3,
            "institution_type": ["UNIV"] * 3,
        }
    )
    parts = pl.DataFrame({"researcher_id": ["r1", "r2", "r3"], "field_code": ["BATT"] * 3})
    keys = pl.DataFrame(
        {"researcher_id": ["r1", "r2", "r2", "rX"], "ei_person_id": ["e1", "e2", "e7", "e5"]}
    )
    spells = pl.DataFrame(
        {"spell_id": ["s1", "s2", "s3", "s4", "s5"], "ei_person_id": ["e1", "e2", "e8", "e8", "e1"]}
    )
    linked = link(researchers, parts, keys, spells)
    s = linked.report.summary
    assert linked.links["researcher_id"].to_list() == ["r1"]
    assert s["conflicting_researchers"] == 1 and s["orphan_keys"] == 1
    # e2's spell (its key conflicts) and e8's two (no key at all): 3 spells of 2 people
    assert s["orphan_spells"] == 3 and s["orphan_spell_persons"] == 2
    assert s["linked_spells"] == 2 and s["keys_without_spells"] == 0
    assert linked.spells["researcher_id"].to_list() == ["r1", "r1"]
    byg = linked.report.by_group.filter(pl.col("dimension") == "field_code")
    assert byg["share_linked"][0] == 1 / 3


def test_quality_report_matches_what_the_generator_planted(tiny_data: Path) -> None:
    truth = synth.load_truth(tiny_data)
    persons = pl.read_parquet(tiny_data / "truth" / "persons.parquet")
    faults = pl.read_parquet(tiny_data / "truth" / "faults.parquet")
    linked = link_folder(tiny_data)
    s = linked.report.summary
    assert s["conflicting_researchers"] == truth["linkage"]["conflicting_keys"]
    bad_researchers = faults.filter(pl.col("dataset") == "researchers")["key"]
    keyed = persons.filter(pl.col("keyed"))
    cascade = keyed.filter(pl.col("researcher_id").is_in(bad_researchers.implode())).height
    assert s["orphan_keys"] == truth["linkage"]["orphan_keys"] + cascade
    # linked = keyed people minus conflicting keys minus keys of quarantined researchers
    conflicting = faults.filter(pl.col("fault") == "conflicting_key")["key"]
    expected = keyed.filter(
        ~pl.col("researcher_id").is_in(conflicting.implode())
        & ~pl.col("researcher_id").is_in(bad_researchers.implode())
    )
    assert s["linked"] == expected.height
    assert set(linked.links["researcher_id"].to_list()) == set(expected["researcher_id"].to_list())
    # every planted orphan spell is reported as orphan; so are the spells of people without a key
    assert s["orphan_spells"] >= truth["linkage"]["orphan_spells"]
    assert s["linked_spells"] + s["orphan_spells"] == s["spells"]
    # nobody without an insurance record is ever linked
    never = persons.filter(pl.col("ei_status") != "observed")["researcher_id"]
    assert linked.links.filter(pl.col("researcher_id").is_in(never.implode())).height == 0


def test_a_batch_run_links_once_for_all_fields(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch run (TALENTLIB_PREPARED) the first field's notebook validates and links; the
    others read the linked frames back, equal to linking again; a changed input links anew."""
    import shutil

    from talentlib import linkage

    alone = link_folder(tiny_data)
    monkeypatch.setenv("TALENTLIB_PREPARED", str(tmp_path / "prepared"))
    first = link_folder(tiny_data)
    calls = []
    real = linkage.link
    monkeypatch.setattr(linkage, "link", lambda *a, **k: calls.append(1) or real(*a, **k))
    second = link_folder(tiny_data)
    assert not calls  # read back, not linked again
    for linked in (first, second):  # the maker too: it holds no register while it waits
        assert not {n for n in linkage.LINKED_FRAMES if n in vars(linked)}  # read when used
    for f in ("BATT", "AI"):  # one field's people, read from the prepared files alone
        part, whole = linkage.field_slice(second, f), linkage.field_slice(alone, f)
        assert part.participations.height and set(part.participations["field_code"]) == {f}
        for name in linkage.LINKED_FRAMES:
            assert getattr(part, name).equals(getattr(whole, name)), (f, name)
        assert not {n for n in linkage.LINKED_FRAMES if n in vars(second)}
        people = set(part.researchers["researcher_id"])
        assert people == set(part.participations["researcher_id"]) & set(
            alone.researchers["researcher_id"]
        )
        assert set(part.spells["researcher_id"]) <= people
    for linked in (first, second):
        for name in ("researchers", "participations", "spells", "links", "annual_wages"):
            assert getattr(linked, name).equals(getattr(alone, name)), name
        assert linked.report.summary == alone.report.summary
        assert linked.report.by_group.equals(alone.report.by_group)
        assert linked.extra["quality"].equals(alone.extra["quality"])
    copy = tmp_path / "copy"
    shutil.copytree(tiny_data, copy)
    link_folder(copy)
    assert calls  # another folder: linked
    calls.clear()
    spells = copy / "employment_spells.parquet"
    pl.read_parquet(spells).head(100).write_parquet(spells)  # the input changed
    changed = link_folder(copy)
    assert calls and changed.spells.height < alone.spells.height
