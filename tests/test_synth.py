"""The generator: deterministic, realistic, faults registered, truth consistent with the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from talentlib import contracts, io, synth, taxonomy
from talentlib.pii import find_pii

PUBLISHED = list(synth.PUBLISHED)


def test_deterministic_per_seed(tiny_data: Path, tmp_path: Path) -> None:
    # in another process with another hash seed: nothing may depend on set or dict ordering
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    code = f"from talentlib import synth; synth.generate('tiny', seed=7, out=r'{tmp_path / 'again'}', progress=False)"
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    again = synth.SynthResult(out=tmp_path / "again", truth={})
    other = synth.generate("tiny", seed=8, out=tmp_path / "other", progress=False)
    for name in PUBLISHED:
        a = pl.read_parquet(tiny_data / f"{name}.parquet")
        b = pl.read_parquet(again.out / f"{name}.parquet")
        assert a.equals(b), name
    assert not pl.read_parquet(tiny_data / "employment_spells.parquet").equals(
        pl.read_parquet(other.out / "employment_spells.parquet")
    )
    assert (tiny_data / "projects.csv").read_bytes() == (again.out / "projects.csv").read_bytes()
    assert (tiny_data / "truth.json").read_text() == (again.out / "truth.json").read_text()


def test_published_tables_follow_contracts_columns(tiny_data: Path) -> None:
    for name in PUBLISHED + ["projects"]:
        c = contracts.load_contract(name)
        path = tiny_data / (f"{name}.parquet" if name != "projects" else "projects.csv")
        df = io.read_table(path, dataset=name)
        # the generator writes every column a contract requires (optional ones may be absent)
        required = [col.name for col in c.columns if col.required is not False]
        assert required == [col for col in df.columns if col in required], name
        assert set(df.columns) <= {col.name for col in c.columns}, name


def test_every_quarantined_row_is_a_planted_fault_and_every_fault_is_caught(
    tiny_data: Path,
) -> None:
    registry = pl.read_parquet(tiny_data / "truth" / "faults.parquet")
    keys = {
        "researchers": "researcher_id",
        "participations": "participation_id",
        "employment_spells": "spell_id",
        "key_table": "researcher_id",
    }
    refs: dict[str, pl.DataFrame] = {}
    for name in ["researchers", "participations", "employment_spells", "key_table"]:
        res = io.read_validated(
            tiny_data / f"{name}.parquet",
            name,
            references={"researchers": refs["researchers"]}
            if name in ("participations", "key_table")
            else None,
        )
        if name == "researchers":
            refs["researchers"] = res.valid
        assert res.n_in == res.n_valid + res.n_quarantined, name
        raw = io.read_table(tiny_data / f"{name}.parquet", dataset=name).with_row_index(
            "row", offset=1
        )
        q = res.quarantine.join(raw.select("row", keys[name]), on="row", how="left")
        planted = registry.filter(
            (pl.col("dataset") == name) & pl.col("expected_rule").is_not_null()
        )
        # each planted fault is caught under the rule it was planted for
        for key, rule in planted.select("key", "expected_rule").iter_rows():
            hit = q.filter((pl.col(keys[name]) == key) & (pl.col("rule") == rule))
            assert hit.height >= 1, f"{name}: fault on {key} not caught by rule {rule}"
        # nothing clean is quarantined: every quarantined row carries a planted key, or (foreign
        # keys) belongs to a researcher whose own row was quarantined
        bad_researchers = set(registry.filter(pl.col("dataset") == "researchers")["key"].to_list())
        own = q.filter(pl.col("rule") != "foreign_key")
        assert set(own[keys[name]].to_list()) <= set(planted["key"].to_list()), name
        if name in ("participations", "key_table"):
            fk = q.filter(pl.col("rule") == "foreign_key").join(
                raw.select("row", "researcher_id"), on="row", how="left", suffix="_r"
            )
            col = "researcher_id" if "researcher_id" in fk.columns else "researcher_id_r"
            assert set(fk[col].to_list()) <= bad_researchers | set(planted["key"].to_list()), name


def test_projects_file_is_cp949_and_reads(tiny_data: Path) -> None:
    raw = (tiny_data / "projects.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    df, info = io.read_table_info(tiny_data / "projects.csv")
    assert info.encoding == "cp949"
    assert df.height == json.loads((tiny_data / "truth.json").read_text())["rows"]["projects"]
    assert df["title"].str.contains("[가-힣]").all()


def test_no_personal_data_in_published_tables(tiny_data: Path) -> None:
    pii = yaml.safe_load((taxonomy.contracts_dir() / "_pii.yaml").read_text(encoding="utf-8"))[
        "forbidden_columns"
    ]
    for name in PUBLISHED:
        df = pl.read_parquet(tiny_data / f"{name}.parquet")
        assert not {c.lower() for c in df.columns} & {c.lower() for c in pii}
        for col in df.columns:
            if df[col].dtype == pl.String and not col.endswith("_id"):  # ids are hex pseudonyms
                sample = df[col].drop_nulls().head(2000).to_list()
                for v in sample:
                    assert not find_pii(v), (name, col)


def test_truth_structure(tiny_data: Path) -> None:
    t = synth.load_truth(tiny_data)
    fields = set(taxonomy.codes("strategic_tech", "field"))
    assert set(t["careers"]) == fields
    assert set(t["publications"]) == fields
    for f, r in t["careers"].items():
        assert 0.3 < r["observed_share"] <= 1.0, f
        for h in (6, 12, 36):
            share = r[f"employed_{h}m"]["share"]
            assert share is None or 0.0 <= share <= 1.0
    lk = t["linkage"]
    assert lk["keyed"] + lk["key_missing"] == lk["with_ei_record"]
    assert sum(t["ei_coverage"].values()) == pytest.approx(1.0, abs=1e-3)
    reg = pl.read_parquet(tiny_data / "truth" / "faults.parquet")
    assert sum(t["faults"].values()) == reg.height


def test_key_table_links_the_right_people(tiny_data: Path) -> None:
    persons = pl.read_parquet(tiny_data / "truth" / "persons.parquet")
    keys = pl.read_parquet(tiny_data / "key_table.parquet")
    truth_pairs = persons.filter(pl.col("keyed")).select("researcher_id", "ei_person_id")
    joined = truth_pairs.join(keys, on=["researcher_id", "ei_person_id"], how="semi")
    assert joined.height == truth_pairs.height
    # people never insured (professors, civil servants, abroad...) have no key
    never = persons.filter(pl.col("ei_status") != "observed")
    assert never.join(keys, on="researcher_id", how="semi").height == 0


@pytest.mark.slow
def test_calibration_small_scale(small_data: Path) -> None:
    """Degree mix of 2022 researchers follows the seed; the career and citation patterns are real."""
    t = synth.load_truth(small_data)
    mix = t["degree_mix"]["active_2022"]
    assert mix["PHD"] == pytest.approx(102131 / 536571, abs=0.03)
    assert mix["MASTER"] == pytest.approx(150759 / 536571, abs=0.03)

    spells = pl.read_parquet(small_data / "employment_spells.parquet").filter(
        pl.col("wage_monthly") > 0
    )
    persons = pl.read_parquet(small_data / "truth" / "persons.parquet")
    w = spells.join(persons.select("ei_person_id", "degree"), on="ei_person_id").filter(
        pl.col("wage_monthly") > 1_500_000
    )
    med = dict(w.group_by("degree").agg(pl.col("wage_monthly").median()).iter_rows())
    assert med["PHD"] > med["MASTER"] > med["BACHELOR"]
    by_year = (
        w.with_columns(pl.col("acquired_on").dt.year().alias("y"))
        .group_by("y")
        .agg(pl.col("wage_monthly").median())
        .sort("y")
        .filter(pl.col("y").is_between(2013, 2023))
    )
    assert (
        by_year["wage_monthly"][-1] > by_year["wage_monthly"][0] * 1.15
    )  # wages grow over the years
    logw = np.log(w["wage_monthly"].to_numpy())
    skew = float(((logw - logw.mean()) ** 3).mean() / logw.std() ** 3)
    assert abs(skew) < 1.0  # roughly log-normal

    # several jobs at once and job changes exist
    s = spells.sort("ei_person_id", "acquired_on")
    assert s.group_by("ei_person_id").len()["len"].max() >= 4

    # Korea's standing follows the seed's technology-level table
    levels = taxonomy.tech_levels().filter(pl.col("country") == "KR")
    kr = pl.DataFrame(
        [{"field_code": f, "rank": v["korea_rank_top10"]} for f, v in t["publications"].items()]
    )
    j = levels.join(kr, on="field_code")
    rho = np.corrcoef(j["level"].rank().to_numpy(), (-j["rank"]).rank().to_numpy())[0, 1]
    assert rho > 0.5
    assert t["publications"]["BATT"]["korea_rank_top10"] <= 3
    assert (
        t["publications"]["AERO"]["korea_rank_top10"]
        > t["publications"]["BATT"]["korea_rank_top10"]
    )

    # time to first job follows the planted field factors: batteries place graduates faster than quantum
    ttf = {f: v["time_to_first_job"]["median_months"] for f, v in t["careers"].items()}
    assert ttf["BATT"] < ttf["BIO"] and ttf["SEMI"] < ttf["QUANT"]
