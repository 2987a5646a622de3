"""talentlib.cellkey: the p-table's promises and the consistency that defeats differencing."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from talentlib import cellkey as ck


@pytest.mark.parametrize("t", [3, 5, 10])
def test_ptable_rows_keep_their_promises(t: int) -> None:
    pt = ck.ptable(t)
    far = pt[t + ck.MAX_PERTURBATION]
    assert len(far) == ck.KEY_RANGE
    assert sum(far) == 0  # zero mean over the 256 keys
    assert sum(d * d for d in far) / ck.KEY_RANGE == pytest.approx(1.2, abs=0.02)
    assert max(abs(d) for row in pt.values() for d in row) <= ck.MAX_PERTURBATION
    assert set(pt[0]) == {0}
    for v in range(t, t + ck.MAX_PERTURBATION + 3):
        row = pt[min(v, t + ck.MAX_PERTURBATION)]
        assert min(v + d for d in row) >= t  # a published count never falls below t
        assert sum(row) / ck.KEY_RANGE <= 0.5  # the small upward shift near t is bounded


@given(st.lists(st.integers(0, 400), min_size=1, max_size=50), st.integers(0, 10_000))
def test_perturbed_counts_stay_within_d_and_never_small(values: list[int], seed: int) -> None:
    keys = [(v * 37 + seed) % 256 for v in values]
    out = [v + d for v, d in zip(values, ck.perturbation(values, keys, 5), strict=True)]
    for v, p in zip(values, out, strict=True):
        assert abs(p - v) <= ck.MAX_PERTURBATION
        if v >= 5:
            assert p >= 5
        if v == 0:
            assert p == 0


def test_the_same_people_get_the_same_cell_key_in_any_table() -> None:
    ids = [f"R{i:05d}" for i in range(200)]
    keys = ck.record_keys(pl.Series(ids), salt="release-1")
    assert keys.dtype == pl.UInt8 and keys.len() == 200
    assert keys.equals(ck.record_keys(pl.Series(ids), salt="release-1"))
    assert not keys.equals(ck.record_keys(pl.Series(ids), salt="release-2"))
    df = pl.DataFrame(
        {
            "id": ids,
            "degree": ["PHD", "MASTER"] * 100,
            "role": ["PI", "STUDENT", "RESEARCHER", "PI"] * 50,
            "record_key": keys,
        }
    )
    # one table by degree × role, another by role × degree, in another row order
    a = ck.cell_keys(df, ["degree", "role"]).sort("degree", "role")
    b = ck.cell_keys(df.reverse(), ["role", "degree"]).sort("degree", "role")
    assert a.select("degree", "role", "people", "cell_key").equals(
        b.select("degree", "role", "people", "cell_key")
    )
    # a margin's key is the key of everybody in it, whichever table it comes from
    by_degree = ck.cell_keys(df, ["degree"]).sort("degree")
    summed = a.group_by("degree").agg((pl.col("cell_key").sum() % 256).alias("k")).sort("degree")
    assert by_degree["cell_key"].to_list() == summed["k"].to_list()


def test_record_keys_are_close_to_uniform() -> None:
    keys = ck.record_keys(pl.Series([f"P{i}" for i in range(25_600)]), salt="s")
    counts = keys.value_counts()["count"]
    assert counts.len() == 256 and counts.min() > 50 and counts.max() < 160


def test_count_people_counts_each_person_once_with_their_keys() -> None:
    df = pl.DataFrame(
        {
            "id": ["a", "a", "b", "c", "c", "d"],
            "year": [2020, 2020, 2020, 2020, 2021, 2021],  # a twice in 2020: counted once
        }
    )
    out = ck.count_people(df.reverse(), ["year"], ids="id", salt="s")
    assert out["year"].to_list() == [2020, 2021] and out["people"].to_list() == [3, 2]
    ids = ["a", "b", "c", "d"]
    keys = dict(zip(ids, ck.record_keys(pl.Series(ids), "s").to_list(), strict=True))
    assert out["cell_key"].to_list() == [
        (keys["a"] + keys["b"] + keys["c"]) % 256,
        (keys["c"] + keys["d"]) % 256,
    ]
    total = ck.count_people(df, [], ids="id", salt="s")
    assert total["people"][0] == 4 and total["cell_key"][0] == sum(keys.values()) % 256


def test_keys_computed_once_count_as_keys_hashed_each_time() -> None:
    """A frame keyed once (``with_record_keys``) counts exactly as hashing its ids would; a
    frame keyed under another salt is not read with the wrong keys."""
    df = pl.DataFrame(
        {
            "id": [f"R{i % 700}" for i in range(2_000)],
            "year": [2020 + i % 4 for i in range(2_000)],
            "degree": ["PHD", "MASTER", None, "BACHELOR", "PHD"] * 400,
        }
    )
    keyed = ck.with_record_keys(df, "id", "s1")
    assert ck.key_column("s1") in keyed.columns and ck.key_column("s1") != ck.key_column("s2")
    for by in (["year"], ["degree", "year"], []):
        want = ck.count_people(df, by, ids="id", salt="s1")
        assert ck.count_people(keyed, by, ids="id", salt="s1").equals(want)
        assert ck.count_people(keyed.lazy(), by, ids="id", salt="s1").equals(want)
        other = ck.count_people(df, by, ids="id", salt="s2")
        assert ck.count_people(keyed, by, ids="id", salt="s2").equals(other)
    assert not ck.count_people(df, ["year"], ids="id", salt="s2").equals(
        ck.count_people(df, ["year"], ids="id", salt="s1")
    )


def test_the_salt_is_a_secret_made_once_reused_and_never_published(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import stat

    from talentlib import privacy

    monkeypatch.delenv("TALENTLIB_CELL_KEY_SALT", raising=False)
    monkeypatch.setenv("TALENTLIB_CONFIG", str(tmp_path / "cfg"))
    ck._salt_from.cache_clear()
    rules = privacy.DisclosureRules(method="cell_key")
    path = tmp_path / "cfg" / ck.SALT_FILE
    salt = path.read_text(encoding="utf-8").strip()
    assert len(salt) >= 32 and rules.cell_key_salt == salt
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # only its owner reads it
    ck._salt_from.cache_clear()
    assert privacy.DisclosureRules(method="cell_key").cell_key_salt == salt  # reused, not remade
    # nothing that leaves the process in a plan, a parameter or a published stamp holds it
    for shown in (rules.settings(), rules.as_parameters(), rules.public()):
        assert salt not in json.dumps(shown)
    assert rules.public()["salt_id"] == ck.salt_id(salt) != salt
    # suppression needs no secret: none is read or made
    ck._salt_from.cache_clear()
    monkeypatch.setenv("TALENTLIB_CONFIG", str(tmp_path / "other"))
    privacy.DisclosureRules(method="suppression")
    assert not (tmp_path / "other").exists()
    # an explicit salt (a pipeline's) is passed on, and the environment wins over the file
    given = privacy.DisclosureRules(method="cell_key", cell_key_salt="a-release-salt-0001")
    assert given.as_parameters()["cell_key_salt"] == "a-release-salt-0001"
    monkeypatch.setenv("TALENTLIB_CELL_KEY_SALT", "from-the-environment-01")
    assert privacy.DisclosureRules(method="cell_key").cell_key_salt == "from-the-environment-01"
    # a short salt in the file is refused, naming the file
    ck._salt_from.cache_clear()
    monkeypatch.delenv("TALENTLIB_CELL_KEY_SALT")
    (tmp_path / "short").mkdir()
    (tmp_path / "short" / ck.SALT_FILE).write_text("abc\n", encoding="utf-8")
    monkeypatch.setenv("TALENTLIB_CONFIG", str(tmp_path / "short"))
    with pytest.raises(ValueError, match="cell_key_salt: the cell-key salt must be at least 16"):
        ck.release_salt()
    ck._salt_from.cache_clear()
