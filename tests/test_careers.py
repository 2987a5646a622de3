"""Career flows recover the outcomes the generator planted; every table passes disclosure control.

Tolerances (small synthetic scale, 8,000 researchers): shares within 0.02 absolute, medians of
wages within max(3 %, 0.4/sqrt(n)) where at least 30 people, the Kaplan–Meier median time to first job within 0.5
months. The differences come from what the analysis cannot see: keys the combination agency
missed (1 %), conflicting keys and quarantined records.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from talentlib import audit, careers, privacy, report, synth
from talentlib.linkage import link_folder

FIELDS_CHECKED = ["SEMI", "BATT", "AI", "BIO", "QUANT"]


@pytest.fixture(scope="module")
def linked_small(small_data: Path):
    return link_folder(small_data)


def check_disclosed(t: privacy.DisclosedTable, rules: privacy.DisclosureRules) -> None:
    """Threshold and line rules hold on a published count table."""
    assert privacy.is_disclosed(t)
    df = t.table
    count = next(c[: -len("_suppressed")] for c in df.columns if c.endswith("_suppressed"))
    pub = df.filter(~pl.col(f"{count}_suppressed") & (pl.col(count) > 0))
    assert pub.height == 0 or pub[count].min() >= rules.min_count
    assert (
        df.filter(pl.col(f"{count}_suppressed"))[count].null_count()
        == df[f"{count}_suppressed"].sum()
    )


@pytest.mark.slow
@pytest.mark.parametrize("field", FIELDS_CHECKED)
def test_outcomes_recover_planted_truth(linked_small, small_data: Path, field: str) -> None:
    truth = synth.load_truth(small_data)["careers"][field]
    ct = careers.career_tables(linked_small, careers.CohortSpec(field=field))
    kn = ct.key_numbers
    for h in (6, 12, 36):
        assert kn[f"employed_{h}m_share"] == pytest.approx(
            truth[f"employed_{h}m"]["share"], abs=0.02
        )
    assert kn["large_firm_share_12m"] == pytest.approx(truth["large_firm_share_12m"], abs=0.02)
    assert kn["own_industry_share_12m"] == pytest.approx(truth["own_industry_share_12m"], abs=0.02)
    for degree, v in truth["median_wage_12m_by_degree"].items():
        if v["n"] >= 30:  # a few unseen people move a small group's median: allow ~0.4/sqrt(n)
            rel = max(0.03, 0.4 / np.sqrt(v["n"]))
            assert kn["median_wage_12m_by_degree"][degree] == pytest.approx(v["median"], rel=rel)
    st = careers.career_tables(
        linked_small, careers.CohortSpec(field=field, exit_years=(2014, 2021), roles=("STUDENT",))
    )
    assert st.key_numbers["time_to_first_job_median_months"] == pytest.approx(
        truth["time_to_first_job"]["median_months"], abs=0.5
    )
    assert st.key_numbers["first_job_within_12m_share"] == pytest.approx(
        truth["time_to_first_job"]["share_within_12m"], abs=0.03
    )
    # "no insurance record" is reported apart: the observed share matches the truth's
    everyone = careers.cohort(
        linked_small, careers.CohortSpec(field=field, exit_years=(2013, 2030))
    )
    assert everyone["observed"].mean() == pytest.approx(truth["observed_share"], abs=0.03)


@pytest.mark.slow
def test_every_table_passes_disclosure_control(linked_small) -> None:
    rules = privacy.DisclosureRules(min_count=10, min_count_magnitude=20)
    ct = careers.career_tables(linked_small, careers.CohortSpec(field="QUANT"), rules)
    assert len(ct.tables) >= 15
    for name, t in ct.tables.items():
        check_disclosed(t, rules)
        assert t.rules == rules, name
    comp = careers.field_comparison(linked_small, rules=rules)
    for t in comp.values():
        check_disclosed(t, rules)
    # wages are shown only for groups of at least min_count_magnitude people
    w = ct.tables["wage_12m_by_employer_type"].table.filter(~pl.col("wage_monthly_p50_suppressed"))
    assert (w["n_people"] >= rules.min_count_magnitude).all()


def test_not_observed_is_never_not_employed() -> None:
    """People without any insurance record are 'not observed', whatever the horizon."""
    c = pl.DataFrame(
        {
            "researcher_id": ["a", "b", "c"],
            "exit_date": [date(2018, 2, 28)] * 3,
            "observed": [True, True, False],
            "exit_role": ["STUDENT"] * 3,
            "degree": ["MASTER"] * 3,
            "origin_type": ["UNIV"] * 3,
        }
    )
    spells = pl.DataFrame(
        {
            "researcher_id": ["a"],
            "spell_id": ["s"],
            "employer_id": ["x"],
            "employer_type": ["LARGE"],
            "firm_size": ["S1000"],
            "ksic": ["26111"],
            "occupation": ["1511"],
            "region": ["41"],
            "acquired_on": [date(2018, 5, 1)],
            "lost_on": [None],
            "wage_monthly": [4_000_000],
        },
        schema_overrides={"lost_on": pl.Date},
    )
    s = careers.states_at(c, spells, 12, date(2023, 12, 31))
    assert dict(zip(s["researcher_id"], s["state"], strict=True)) == {
        "a": "employed",
        "b": "no_insured_job",
        "c": "not_observed",
    }
    # a horizon beyond the data end is not computed at all (censored), not counted as anything
    assert careers.states_at(c, spells, 36, date(2019, 12, 31)).height == 0


def test_kaplan_meier_handles_censoring() -> None:
    # 4 events at 1..4 months and 4 censored at 2.5: the naive median of completed spells (2.5)
    # understates the truth; KM gives the textbook answer
    times = np.array([1, 2, 3, 4, 2.5, 2.5, 2.5, 2.5])
    events = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    curve = careers.kaplan_meier(times, events)
    assert curve["survival"].to_list() == pytest.approx(
        [7 / 8, 7 / 8 * 6 / 7, 7 / 8 * 6 / 7 * 0, 0][:2] + curve["survival"].to_list()[2:]
    )
    assert careers.km_at(curve, 2.0) == pytest.approx(0.75)
    assert careers.km_at(curve, 3.0) == pytest.approx(0.75 * (1 - 1 / 2))
    assert careers.km_median(curve) == 3.0


def test_published_share_refuses_suppressed_counts() -> None:
    rows = {"A": (40, 3, 50), "B": (50, 30, 40), "C": (60, 20, 45), "D": (70, 25, 35)}
    states = ["employed", "no_insured_job", "not_observed"]
    tab = pl.DataFrame(
        [
            {"field_code": f, "state": s, "people": v[i]}
            for f, v in rows.items()
            for i, s in enumerate(states)
        ]
    )
    t = privacy.disclose(tab, count="people", rows="field_code", cols="state")
    assert careers.published_share(t, "field_code", "A", "state", ["employed"], states[:2]) is None
    published_any = False
    for f, v in rows.items():
        cells = t.table.filter((pl.col("field_code") == f) & pl.col("state").is_in(states[:2]))
        share = careers.published_share(t, "field_code", f, "state", ["employed"], states[:2])
        if cells["people_suppressed"].any():
            assert share is None
        else:
            published_any = True
            assert share == pytest.approx(v[0] / (v[0] + v[1]))
    assert published_any


def _shuffled(linked, seed: int):
    """The same linked data with every frame's rows in another order."""
    return dataclasses.replace(
        linked,
        **{
            f.name: getattr(linked, f.name).sample(fraction=1.0, shuffle=True, seed=seed)
            for f in dataclasses.fields(linked)
            if isinstance(getattr(linked, f.name), pl.DataFrame)
        },
    )


@pytest.mark.slow
@pytest.mark.parametrize("method", ["suppression", "cell_key"])
def test_the_same_data_in_any_row_order_publishes_byte_identical_tables(
    linked_small, tmp_path: Path, method: str
) -> None:
    rules = privacy.DisclosureRules(method=method)
    spec = careers.CohortSpec(field="BATT")
    runs = []
    for i, data in enumerate([linked_small, _shuffled(linked_small, 11)]):
        tables = {
            **careers.career_tables(data, spec, rules).tables,
            **careers.field_comparison(data, rules=rules),
        }
        out = report.save_tables(tables, tmp_path / f"run{i}")
        runs.append(
            {
                p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((out / "tables").glob("*.parquet"))
            }
        )
    assert len(runs[0]) > 30 and runs[0] == runs[1]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["suppression", "cell_key"])
def test_time_to_first_job_is_pooled_and_the_number_at_risk_protected(
    linked_small, method: str
) -> None:
    rules = privacy.DisclosureRules(method=method)
    spec = careers.CohortSpec(field="SEMI")
    km = careers.career_tables(linked_small, spec, rules).tables["time_to_first_job_students"]
    df = km.table.sort(pl.col("months").cast(pl.Int64))
    months = df["months"].cast(pl.Int64).to_list()
    assert len(months) >= 3 and months[-1] <= 36
    jobs = df.filter(~pl.col("first_jobs_suppressed"))["first_jobs"]
    assert (jobs >= rules.min_count).all()  # no step of 1-4 people to read back from the shares
    share = df.filter(~pl.col("share_with_first_job_suppressed"))["share_with_first_job"]
    assert share.is_sorted()
    at_risk = df["at_risk"].drop_nulls()
    if method == "suppression":
        assert (at_risk % rules.min_count == 0).all()  # rounded down to a multiple of 5
    else:
        assert km.max_perturbation == 2
        # the shares are a life table of the published counts: of the true curve they would
        # give the noise of both counts back
        surv, checked = 1.0, 0
        for n, d, sh in df.select("at_risk", "first_jobs", "share_with_first_job").iter_rows():
            if n is None or d is None:
                break
            surv *= 1.0 - min(d / n, 1.0)
            if sh is not None:
                assert sh == pytest.approx(round(1.0 - surv, 2))
                checked += 1
        assert checked >= 2
    assert at_risk.is_sorted(descending=True)


def test_career_tables_say_what_they_count() -> None:
    spec = careers.CohortSpec(field="BATT", roles=("STUDENT",))
    pop = audit.Population.from_json(careers.population("status_12m_by_degree", spec))
    assert pop.universe[0] == "career" and privacy.DATA_TOKEN in pop.universe
    assert pop.filters["field_code"] == frozenset({"BATT"})
    assert pop.filters["exit_role"] == frozenset({"STUDENT"})
    assert pop.filters["followed_36m"] == frozenset({"yes", "no"})
    monthly = careers.population("monthly_status", spec)
    assert monthly is not None and monthly["filters"]["followed_36m"] == ["yes"]
    comparison = careers.population("fields_status_12m", spec)
    assert comparison is not None and "field_code" not in comparison["filters"]
    assert careers.population("time_to_first_job_students", spec) is None


def _duckdb_peer():
    """The DuckDB peer of the career tables (``benchmarks/careers_duckdb.py``), by path."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "careers_duckdb.py"
    spec = importlib.util.spec_from_file_location("careers_duckdb", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_a_duckdb_peer_makes_the_same_cells(small_data: Path, tmp_path: Path) -> None:
    """An independent SQL implementation (keyed linkage, states every 3 months, destinations and
    wages at 12 months) agrees with talentlib's unprotected counts cell for cell, cell keys
    included: the same people in every cell of all 12 fields."""
    pytest.importorskip("duckdb")
    peer = _duckdb_peer()
    folder = peer.write_validated(small_data, tmp_path / "valid")
    ours = peer.talentlib_core(peer.talentlib_link(folder), salt="test-salt")
    theirs = peer.duckdb_core(folder, salt="test-salt")
    assert set(ours) == set(theirs) == set(peer.TABLES)
    assert all(ours[name].height for name in peer.TABLES)
    assert peer.differences(ours, theirs) == []
    # and the cells are the ones the published tables are made of: the 12-month status counts
    # by degree under suppression are the disclosed table's published cells
    linked = link_folder(small_data)
    ct = careers.career_tables(linked, careers.CohortSpec(field="SEMI"))
    pub = ct.tables["status_12m_by_degree"].table.filter(
        ~pl.col("people_suppressed")
        & (pl.col("degree") != privacy.TOTAL)
        & (pl.col("state") != privacy.TOTAL)
    )
    cells = theirs["status_12m_by_degree"].filter(pl.col("field_code") == "SEMI")
    got = pub.join(cells, on=["degree", "state"], how="left", suffix="_peer")
    assert got.height > 0 and (got["people"] == got["people_peer"]).all()


def test_the_main_job_is_the_best_paid_then_the_smallest_spell_id() -> None:
    c = pl.DataFrame(
        {
            "researcher_id": ["a"],
            "exit_date": [date(2018, 2, 28)],
            "observed": [True],
        }
    )
    spells = pl.DataFrame(
        {
            "researcher_id": ["a"] * 3,
            "spell_id": ["s3", "s1", "s2"],
            "employer_id": ["x3", "x1", "x2"],
            "employer_type": ["SME", "LARGE", "GRI"],
            "firm_size": ["S10"] * 3,
            "ksic": ["26111"] * 3,
            "occupation": ["1511"] * 3,
            "region": ["41"] * 3,
            "acquired_on": [date(2018, 1, 1)] * 3,
            "lost_on": [None] * 3,
            "wage_monthly": [5_000_000, 5_000_000, 4_000_000],
        },
        schema_overrides={"lost_on": pl.Date},
    )
    for seed in range(3):
        s = careers.states_at(
            c, spells.sample(fraction=1.0, shuffle=True, seed=seed), 12, date(2023, 12, 31)
        )
        assert s.select("n_jobs", "employer_id", "wage_monthly", "state").row(0) == (
            3,
            "x1",
            5_000_000,
            "employed",
        )


def test_the_year_s_reported_wage_picks_the_main_job_and_is_reported() -> None:
    """The wage of the calendar year at exit + months (annual reports) ranks the jobs, else the
    wage at hiring; unpaid jobs still count, the smallest spell id first."""
    c = pl.DataFrame(
        {"researcher_id": ["a", "b"], "exit_date": [date(2018, 2, 28)] * 2, "observed": [True] * 2}
    )
    spells = pl.DataFrame(
        {
            "researcher_id": ["a", "a", "b", "b"],
            "spell_id": ["s1", "s2", "s4", "s3"],
            "employer_id": ["x1", "x2", "x4", "x3"],
            "employer_type": ["LARGE", "SME", "GRI", "UNIV"],
            "firm_size": ["S10"] * 4,
            "ksic": ["26111"] * 4,
            "occupation": ["1511"] * 4,
            "region": ["41"] * 4,
            "acquired_on": [date(2018, 1, 1)] * 4,
            "lost_on": [None] * 4,
            "wage_monthly": [5_000_000, 4_000_000, 0, 0],
        },
        schema_overrides={"lost_on": pl.Date},
    )
    wages = pl.DataFrame(
        {
            "spell_id": ["s2", "s2", "s1"],
            "year": [2019, 2021, 2021],
            "wage_monthly": [6_100_000, 1, 0],
        }
    )
    s = careers.states_at(c, spells, [0, 12, 36], date(2023, 12, 31), wages)
    got = {(r, m): (e, w, n) for r, m, e, w, n in s.select(
        "researcher_id", "months", "employer_id", "wage_monthly", "n_jobs").iter_rows()}  # fmt: skip
    assert got == {
        ("a", 0): ("x1", 5_000_000, 2),  # 2018: no report, the wages at hiring
        ("a", 12): ("x2", 6_100_000, 2),  # 2019: s2's report beats s1's hiring wage
        ("a", 36): ("x2", 1, 2),  # 2021: both reported, 1 won beats 0
        ("b", 0): ("x3", 0, 2),  # unpaid, equal: the smallest spell id
        ("b", 12): ("x3", 0, 2),
        ("b", 36): ("x3", 0, 2),
    }


def test_main_jobs_gather_only_the_columns_and_horizons_asked_for(linked_small) -> None:
    """``MainJobs.states`` is ``states_at``'s frame cut to some horizons and columns (what the
    release's frames gather: every column at 6, 12 and 36 months, a few every 3 months)."""
    c = careers.cohort(linked_small, careers.CohortSpec(field="SEMI"))
    months, end = list(range(0, 37, 3)), date(2023, 12, 31)
    full = careers.states_at(c, linked_small.spells, months, end, linked_small.annual_wages)
    jobs = careers.main_jobs(c, linked_small.spells, months, end, linked_small.annual_wages)
    assert jobs.states().equals(full)
    wide = jobs.states(months=careers.HORIZONS)
    assert wide.equals(full.filter(pl.col("months").is_in(list(careers.HORIZONS))))
    narrow = jobs.states(columns=["researcher_id", "degree"])
    assert narrow.columns == ["researcher_id", "degree", "months", "state", "sector"]
    assert narrow.equals(full.select(narrow.columns))
    assert set(narrow["state"]) == {"employed", "no_insured_job", "not_observed"}
    for unknown in ("salary", "_p"):  # nor the row numbers the gather runs on
        with pytest.raises(ValueError, match="no column"):
            jobs.states(columns=[unknown])


def test_a_field_waiting_for_the_family_never_reads_the_whole_registers(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch run the linked registers come back from the prepared folder unread; a field
    whose family another field solved reads only its own people's rows (``field_slice``) and
    publishes the same tables as the field that solved it."""
    from talentlib.linkage import PreparedLinkedData

    monkeypatch.setenv("TALENTLIB_PREPARED", str(tmp_path))
    rules = privacy.DisclosureRules(method="cell_key", cell_key_salt="lazy-family-salt")
    made = link_folder(tiny_data)  # the first field's kernel: links, then solves the family
    solved, solved_cmp = careers.release_family(made, rules=rules)
    careers.family._FAMILIES.clear()  # another field's kernel
    lazy = link_folder(tiny_data)
    assert isinstance(lazy, PreparedLinkedData)
    assert lazy.extra["fingerprint"] == made.extra["fingerprint"]
    monkeypatch.setattr(careers.family, "_solve_family", lambda *a: pytest.fail("solved again"))
    family, comparison = careers.release_family(lazy, rules=rules)
    for f in ("BATT", "SEMI", "QUANT"):
        for name, table in solved[f].tables.items():
            assert table.table.equals(family[f].tables[name].table), (f, name)
    for name, table in solved_cmp.items():
        assert table.table.equals(comparison[name].table), name
    read = {n for n in ("researchers", "participations", "spells", "links") if n in vars(lazy)}
    assert not read, f"whole registers read: {read}"


def test_a_batch_run_finds_the_release_family_once_and_every_field_reuses_it(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch run (TALENTLIB_PREPARED) the first field's notebook solves the family and keeps
    the cells it hid; another field's kernel reads them and makes only its own tables: the same
    published tables, every field and the comparison, without the rounds."""
    linked = link_folder(tiny_data)
    rules = privacy.DisclosureRules(method="cell_key", cell_key_salt="shared-family-salt")
    alone, alone_cmp = careers.release_family(linked, rules=rules)
    monkeypatch.setenv("TALENTLIB_PREPARED", str(tmp_path))
    careers.family._FAMILIES.clear()  # as in a new kernel
    first, _ = careers.release_family(linked, rules=rules)
    (saved,) = (tmp_path / "careers").glob("family-*.json")
    assert json.loads(saved.read_text())["hidden"]  # cells hidden to match: what is reused
    careers.family._FAMILIES.clear()
    solved = []
    monkeypatch.setattr(careers.family, "_solve_family", lambda *a: solved.append(a))  # must not run
    states_calls = []
    states_at = careers.states_at
    monkeypatch.setattr(  # where the comparison looks it up
        careers.family, "states_at", lambda *a, **k: states_calls.append(1) or states_at(*a, **k)
    )
    again, again_cmp = careers.release_family(linked, rules=rules)
    assert not solved and saved.exists()
    # the comparison counts the 12 fields' 12-month states the first field kept: not made again
    assert saved.with_suffix(".states12.parquet").exists() and not states_calls
    assert sorted(alone_cmp) == sorted(again_cmp)
    for name, t in alone_cmp.items():
        assert t.table.equals(again_cmp[name].table), name
    hidden = 0
    for f in alone:
        assert sorted(again[f].tables) == sorted(alone[f].tables)
        for name, t in alone[f].tables.items():
            assert t.table.equals(again[f].tables[name].table), (f, name)
            assert t.table.equals(first[f].tables[name].table), (f, name)
            hidden += t.log.height
    assert hidden  # the family hides cells, so reusing the pattern matters
    # other rules (a new salt): another pattern, solved again
    careers.family._FAMILIES.clear()
    monkeypatch.undo()
    monkeypatch.setenv("TALENTLIB_PREPARED", str(tmp_path))
    careers.release_family(
        linked, rules=privacy.DisclosureRules(method="cell_key", cell_key_salt="another-salt-1234")
    )
    assert len(list((tmp_path / "careers").glob("family-*.json"))) == 2


def _sorted(df: pl.DataFrame | None) -> pl.DataFrame | None:
    return None if df is None else df.sort(df.columns)


def test_all_fields_in_one_pass_make_each_fields_own_frames(linked_small) -> None:
    """``fields_frames`` (what the release family uses) gives every field the frames
    ``cohort_frames`` makes for it alone: same rows, columns and dtypes, same key numbers —
    a person in several fields counts in each, a field left by nobody is empty, not absent."""
    salt = "one-pass"
    fields = FIELDS_CHECKED
    # QUANT left by nobody: its participations are gone
    linked = dataclasses.replace(
        linked_small,
        participations=linked_small.participations.filter(pl.col("field_code") != "QUANT"),
    )
    specs = [careers.CohortSpec(field=f) for f in fields]
    both = careers.cohorts(linked, specs)
    assert both.filter(pl.col("researcher_id").is_duplicated()).height > 0  # several fields
    together = careers.fields_frames(linked, specs, salt)
    assert list(together) == fields
    for f in fields:
        alone = careers.cohort_frames(linked, careers.CohortSpec(field=f), salt)
        one = together[f]
        assert one.key_numbers == alone.key_numbers
        for name in ("c", "states", "monthly", "emp12", "ret", "flow", "growth", "moves",
                     "first_jobs", "curve"):  # fmt: skip
            a, b = _sorted(getattr(one, name)), _sorted(getattr(alone, name))
            if b is None:
                assert a is None, (f, name)
            else:
                assert a is not None and a.schema == b.schema and a.equals(b), (f, name)
    assert together["QUANT"].c.height == 0 and together["SEMI"].c.height > 0
    with pytest.raises(ValueError, match="whole fields"):
        careers.cohorts(linked_small, [careers.CohortSpec(field="AI", roles=("PI",))])
