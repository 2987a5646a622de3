"""Workforce map: classification against the taxonomy rule and the synthetic truth, the planted
publication truth (Korea's rank per field), counting identities, growth rates, quarantine, and
the domestic and global indicators on hand-made frames whose answers are known."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from talentlib import contracts, privacy, synth, taxonomy
from talentlib import labels as lb
from talentlib import workforce as wf

FIELDS = taxonomy.fields()["code"].to_list()
KEYWORDS = taxonomy.tech_keywords()["keyword"].to_list()


# ---------------------------------------------------------------------------------------------
# fixtures built from the session's tiny synthetic set


@pytest.fixture(scope="module")
def inputs(tiny_data: Path) -> wf.Inputs:
    return wf.load_inputs(tiny_data)


@pytest.fixture(scope="module")
def labels(tiny_data: Path) -> pl.DataFrame:
    return pl.read_parquet(tiny_data / "truth" / "publication_labels.parquet")


@pytest.fixture(scope="module")
def truth(tiny_data: Path) -> dict:
    return synth.load_truth(tiny_data)


@pytest.fixture(scope="module")
def classified(inputs: wf.Inputs) -> pl.DataFrame:
    return wf.classify_publications(inputs.publications)


@pytest.fixture(scope="module")
def biblio(classified: pl.DataFrame, inputs: wf.Inputs) -> wf.Bibliometrics:
    return wf.bibliometrics(classified, inputs.authorships)


@pytest.fixture(scope="module")
def biblio_true(inputs: wf.Inputs, labels: pl.DataFrame) -> wf.Bibliometrics:
    works = inputs.publications.drop("field_code", "tech_code").join(
        labels.select("work_id", "field_code", "tech_code"), on="work_id"
    )
    return wf.bibliometrics(works, inputs.authorships)


# ---------------------------------------------------------------------------------------------
# classification


_JUNK = st.sampled_from(
    [
        "",
        " ",
        "-",
        "s",
        "es",
        "ies",
        "(",
        ")",
        ".",
        ",",
        "x",
        "1",
        "·",
        "ㆍ",
        "/",
        "_",
        "Ａ",
        "é",
        "한",
        "\u00a0",
        "S",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(_JUNK, st.sampled_from(KEYWORDS), st.integers(0, 40), st.booleans(), _JUNK),
        min_size=1,
        max_size=4,
    ),
    _JUNK,
)
def test_vectorised_keyword_matching_is_the_taxonomy_rule(parts: list, sep: str) -> None:
    # keyword fragments (cut, upper-cased) glued with separators, plurals and punctuation
    frags = [(k[:cut] if cut < len(k) else k) for _, k, cut, _, _ in parts]
    text = sep.join(
        a + (f.upper() if up else f) + b for (a, _, _, up, b), f in zip(parts, frags, strict=True)
    )
    got = wf.keyword_matches(pl.DataFrame({"id": [0], "t": [text]}), id_col="id", text_col="t")
    expected = {k for k in KEYWORDS if taxonomy.keyword_in(k, text)}
    assert set(got["keyword"].to_list()) == expected, text


def test_longest_keyword_wins_and_topics_decide_without_keywords() -> None:
    df = pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "title": [
                "Spiking neural network hardware for in-memory computing",
                "A study of nothing in particular",
                "A study of nothing in particular",
                "DRAM",
            ],
            "topics": [
                None,
                [
                    "Advanced Battery Materials and Technologies",
                    "Advancements in Battery Materials",
                ],
                ["Advanced Memory and Neural Computing"],
                None,
            ],
        }
    )
    out = wf.classify_texts(df, id_col="id", text_col="title", topics_col="topics")
    rows = {r["id"]: r for r in out.iter_rows(named=True)}
    assert rows[1]["tech_code"] == "SEMI-02" and rows[1]["classified_by"] == "keyword"
    assert rows[2]["tech_code"] == "BATT-01" and rows[2]["classified_by"] == "topic"
    # a topic shared by SEMI-01 and SEMI-02: the field is known, the technology is not
    assert rows[3]["field_code"] == "SEMI" and rows[3]["tech_code"] is None
    assert rows[4]["tech_code"] == "SEMI-01"


def test_classification_accuracy_on_the_synthetic_truth(
    classified: pl.DataFrame, labels: pl.DataFrame, inputs: wf.Inputs
) -> None:
    # Synthetic titles are built from the taxonomy's own keywords, so the rules should find
    # nearly all of them; the stated tolerance is field >= 0.9 and technology >= 0.8.
    acc = wf.classification_accuracy(classified, labels)
    assert acc["n"] == labels.height
    assert acc["field_accuracy"] >= 0.9 and acc["tech_accuracy"] >= 0.8
    # topics alone (titles removed) still place papers in their field
    no_title = wf.classify_publications(
        inputs.publications.with_columns(pl.lit(None, pl.String).alias("title"))
    )
    assert wf.classification_accuracy(no_title, labels)["field_accuracy"] >= 0.9
    assert inputs.projects is not None
    proj = wf.classify_projects(inputs.projects)
    pacc = wf.classification_accuracy(
        proj, proj, id_col="project_id", pred=("pred_field_code", "pred_tech_code")
    )
    assert pacc["field_accuracy"] >= 0.9 and pacc["tech_accuracy"] >= 0.8


def test_classification_accuracy_counts_unclassified_as_wrong() -> None:
    truth = pl.DataFrame(
        {
            "work_id": ["a", "b", "c", "d"],
            "field_code": ["AI", "AI", "BIO", "BIO"],
            "tech_code": ["AI-01", "AI-02", "BIO-01", "BIO-02"],
        }
    )
    pred = pl.DataFrame(
        {
            "work_id": ["a", "b", "c", "d"],
            "field_code": ["AI", "BIO", None, "BIO"],
            "tech_code": ["AI-01", None, None, "BIO-01"],
        }
    )
    acc = wf.classification_accuracy(pred, truth)
    assert acc["field_accuracy"] == 0.5 and acc["tech_accuracy"] == 0.25
    assert acc["field_coverage"] == 0.75 and acc["field_precision"] == round(2 / 3, 4)


# ---------------------------------------------------------------------------------------------
# planted publication truth


def test_korea_rank_per_field_equals_the_truth_on_true_labels(
    biblio_true: wf.Bibliometrics, truth: dict
) -> None:
    out = wf.country_output(biblio_true, unit="field_code")
    for f, t in truth["publications"].items():
        of = out.filter(pl.col("field_code") == f)
        kr = of.filter(pl.col("country_code") == "KR")
        assert (kr["rank_top10"][0] if kr.height else None) == t["korea_rank_top10"], f
        assert of.sort("rank_top10").head(5)["country_code"].to_list() == t["top5"], f
        assert (round(kr["top10_share"][0], 4) if kr.height else 0.0) == t["korea_top10_share"]
        assert (round(kr["pub_share"][0], 4) if kr.height else 0.0) == t["korea_pub_share"]


def test_korea_rank_with_the_classifier_within_one(biblio: wf.Bibliometrics, truth: dict) -> None:
    out = wf.country_output(biblio, unit="field_code")
    for f, t in truth["publications"].items():
        kr = out.filter((pl.col("field_code") == f) & (pl.col("country_code") == "KR"))
        got = kr["rank_top10"][0] if kr.height else None
        if t["korea_rank_top10"] is None:
            assert got is None, f
        else:
            assert got is not None and abs(got - t["korea_rank_top10"]) <= 1, f


def test_fractional_counts_sum_to_the_number_of_papers(biblio: wf.Bibliometrics) -> None:
    per_work = biblio.credit.group_by("work_id").agg(pl.col("frac").sum())
    assert per_work.height == biblio.works.height
    assert (per_work["frac"] - 1.0).abs().max() < 1e-9
    out = wf.country_output(biblio, unit="field_code")
    sums = out.group_by("field_code").agg(
        pl.col("papers_frac").sum(),
        pl.col("top10_frac").sum(),
        pl.col("top10_share").sum(),
        pl.col("pub_share").sum(),
    )
    n = biblio.works.group_by("field_code").agg(
        pl.len().alias("n"), pl.col("top10").sum().alias("top")
    )
    j = sums.join(n, on="field_code")
    assert ((j["papers_frac"] - j["n"]).abs() < 1e-6).all()
    assert ((j["top10_frac"] - j["top"]).abs() < 1e-6).all()
    assert ((j["top10_share"] - 1).abs() < 1e-9).all() and ((j["pub_share"] - 1).abs() < 1e-9).all()
    # full counting counts a paper once per country: at least the number of papers
    full = out.group_by("field_code").agg(pl.col("papers_full").sum()).join(n, on="field_code")
    assert (full["papers_full"] >= full["n"]).all()


def test_top10_flags_follow_the_truth_definition(biblio_true: wf.Bibliometrics) -> None:
    w = biblio_true.works
    share = w.group_by("field_code", "publication_year").agg(pl.col("top10").mean())
    assert share["top10"].min() >= 0.1 - 1e-9  # ties included: at least 10 % of each cell
    big = w.filter(pl.col("field_code") == "BIO")
    assert 0.09 < big["top10"].mean() < 0.2


def test_growth_rates_recover_the_planted_ones(
    biblio_true: wf.Bibliometrics, inputs: wf.Inputs
) -> None:
    params = synth.base.default_params()
    per_year = biblio_true.works.group_by("publication_year").agg(pl.len().alias("papers"))
    g = wf.growth(per_year, value="papers", time="publication_year")["growth"][0]
    assert abs(g - params["work_growth"]) < 0.03  # tiny set: about 3 standard errors
    el = wf.entrants_leavers(inputs.participations)
    entrants = (
        el.filter((pl.col("flow") == "entrants") & (pl.col("year") <= 2022))
        .group_by("year")
        .agg(pl.col("researchers").sum())
    )
    ge = wf.growth(entrants, value="researchers")["growth"][0]
    assert abs(ge - params["entry_growth"]) < 0.03


def test_growth_is_exact_on_a_geometric_series() -> None:
    s = pl.DataFrame(
        {
            "f": ["A"] * 5 + ["B"] * 3,
            "year": [2019, 2020, 2021, 2022, 2023, 2021, 2022, 2023],
            "n": [100.0, 110, 121, 133.1, 146.41, 0, 50, 200],
        }
    )
    g = wf.growth(s, value="n", by=["f"]).sort("f")
    assert g["cagr"][0] == pytest.approx(0.10) and g["growth"][0] == pytest.approx(0.10)
    # years with zero are left out of both measures
    assert g["first_year"][1] == 2022 and g["cagr"][1] == pytest.approx(3.0)


# ---------------------------------------------------------------------------------------------
# quarantine


def test_bad_publication_records_are_quarantined_and_counted(inputs: wf.Inputs) -> None:
    good = inputs.publications.head(20).select(
        "work_id",
        "publication_year",
        "cited_by_count",
        "title",
        "topics",
        "field_code",
        "tech_code",
    )
    bad = pl.DataFrame(
        {
            "work_id": ["Wbad1", "Wbad2", "Wbad3", None, good["work_id"][0]],
            "publication_year": [1850, 2020, 2021, 2020, 2019],
            "cited_by_count": [3, -4, 1, 1, 2],
            "title": ["old", "negative", "unknown field", "no id", "duplicate id"],
            "topics": [None, None, None, None, None],
            "field_code": [None, None, "NOPE", None, None],
            "tech_code": [None, None, None, None, None],
        },
        schema=good.schema,
    )
    res = contracts.validate(pl.concat([good, bad]), "publications")
    assert res.n_in == res.n_valid + res.n_quarantined == 25
    assert res.n_quarantined == 6  # the four bad rows plus both rows sharing the duplicated id
    assert set(res.by_rule()) >= {"range", "allowed", "not_null", "primary_key"}
    auth = pl.DataFrame(
        {
            "work_id": ["Wbad1", good["work_id"][1]],
            "author_position": [1, 1],
            "author_id": ["A1", "A2"],
            "institution_id": [None, "I1"],
            "country_code": ["KR", "kr"],
        }
    )
    ares = contracts.validate(auth, "authorships", references={"publications": res.valid})
    assert ares.n_in == ares.n_valid + ares.n_quarantined and ares.n_valid == 0
    assert set(ares.by_rule()) == {"foreign_key", "pattern"}


def test_load_inputs_counts_what_it_quarantines(inputs: wf.Inputs, truth: dict) -> None:
    for name, c in inputs.quarantine_counts().items():
        assert c["n_in"] == c["n_valid"] + c["n_quarantined"], name
    assert inputs.quarantine_counts()["participations"]["n_quarantined"] > 0
    assert inputs.quarantine_counts()["publications"]["n_in"] == truth["rows"]["publications"]


# ---------------------------------------------------------------------------------------------
# domestic indicators on a hand-made frame


def _parts() -> tuple[pl.DataFrame, pl.DataFrame]:
    d = dt.date
    parts = pl.DataFrame(
        {
            "researcher_id": ["r1", "r1", "r2", "r3", "r3", "r4"],
            "field_code": ["AI", "AI", "AI", "AI", "BIO", "BIO"],
            "tech_code": ["AI-01", "AI-02", "AI-01", "AI-01", "BIO-01", "BIO-02"],
            "role": ["STUDENT", "PI", "RESEARCHER", "RESEARCHER", "PI", "STUDENT"],
            "institution_id": ["u1", "u2", "u1", "f1", "f1", "u1"],
            "institution_type": ["UNIV", "UNIV", "UNIV", "LARGE", "LARGE", "UNIV"],
            "region": ["11", "11", "11", "41", "41", "11"],
            "start_date": [
                d(2019, 3, 1),
                d(2021, 1, 1),
                d(2020, 1, 1),
                d(2018, 1, 1),
                d(2021, 6, 1),
                d(2022, 1, 1),
            ],
            "end_date": [
                d(2021, 2, 28),
                d(2024, 6, 30),
                d(2020, 12, 31),
                d(2022, 12, 31),
                d(2022, 5, 31),
                d(2023, 2, 28),
            ],
            "participation_rate": [50.0, 20.0, 100.0, 40.0, 10.0, 100.0],
        }
    )
    people = pl.DataFrame(
        {
            "researcher_id": ["r1", "r2", "r3", "r4"],
            "birth_year": [1995, 1960, 1980, 2000],
            "sex": ["F", "M", "M", "F"],
            "degree": ["PHD", "MASTER", "PHD", "BACHELOR"],
            "degree_year": [2021, 1990, 2010, None],
        }
    )
    return parts, people


def test_activity_panel_and_headcounts() -> None:
    parts, people = _parts()
    panel = wf.activity_panel(parts, people, years=(2018, 2023))
    r1 = panel.filter(pl.col("researcher_id") == "r1").sort("year")
    assert r1["year"].to_list() == [2019, 2020, 2021, 2022, 2023]
    # 2021: student until February, PI from January -> PI; institution of the higher rate
    r21 = r1.filter(pl.col("year") == 2021).row(0, named=True)
    assert r21["role"] == "PI" and r21["institution_id"] == "u1"
    assert r21["age_band"] == "lt30" and r21["career_stage"] == "early"
    assert panel.filter(pl.col("researcher_id") == "r2")["age_band"].to_list() == ["60p"]
    assert panel.filter(pl.col("researcher_id") == "r4")["career_stage"].to_list() == [
        "student",
        "student",
    ]
    hc = wf.headcount(panel, ["field_code", "year"])
    ai = dict(hc.filter(pl.col("field_code") == "AI").select("year", "researchers").iter_rows())
    assert ai == {2018: 1, 2019: 2, 2020: 3, 2021: 2, 2022: 2, 2023: 1}
    tech = wf.activity_panel(parts, people, level="tech", years=(2018, 2023))
    assert tech.filter((pl.col("tech_code") == "AI-01") & (pl.col("year") == 2020)).height == 3


def test_entrants_leavers_concentration_overlap_pyramid() -> None:
    parts, people = _parts()
    el = wf.entrants_leavers(parts, years=(2018, 2023))
    get = {
        (r["field_code"], r["year"], r["flow"]): r["researchers"] for r in el.iter_rows(named=True)
    }
    assert get[("AI", 2019, "entrants")] == 1 and get[("AI", 2018, "entrants")] == 1
    assert get[("AI", 2020, "leavers")] == 1 and get[("AI", 2022, "leavers")] == 1
    assert ("AI", 2024, "leavers") not in get  # r1 is still active at the data end
    panel = wf.activity_panel(parts, people, years=(2018, 2023))
    conc = (
        wf.institution_concentration(panel, top_k=1)
        .filter((pl.col("field_code") == "AI") & (pl.col("year") == 2020))
        .row(0, named=True)
    )
    assert conc["researchers"] == 3 and conc["institutions"] == 2
    assert conc["top_researchers"] == 2 and conc["top_share"] == pytest.approx(2 / 3)
    assert conc["hhi"] == pytest.approx((2 / 3) ** 2 + (1 / 3) ** 2)
    long = wf.concentration_table(wf.institution_concentration(panel, top_k=1))
    assert (
        long.group_by("field_code", "year").agg(pl.col("researchers").sum())["researchers"].sum()
        == wf.headcount(panel, ["field_code", "year"])["researchers"].sum()
    )
    ov = wf.field_overlap(panel)
    pair = ov.filter((pl.col("field_a") == "AI") & (pl.col("field_b") == "BIO")).row(0, named=True)
    assert pair["researchers"] == 1 and pair["share_of_a"] == pytest.approx(1 / 3)
    pyr = wf.career_pyramid(panel, year=2022)
    in_2022 = panel.filter(pl.col("year") == 2022)
    assert pyr["researchers"].sum() == in_2022["researcher_id"].n_unique()  # people, not rows
    top = wf.top_institutions(panel, year=2020, k=1)
    assert top.filter(pl.col("field_code") == "AI")["institution_id"].to_list() == ["u1"]


def test_published_headcounts_go_through_disclosure(inputs: wf.Inputs) -> None:
    panel = wf.activity_panel(inputs.participations, inputs.researchers)
    t = wf.disclosed_headcount(panel.filter(pl.col("field_code") == "SEMI"), "degree")
    assert privacy.is_disclosed(t)
    shown = t.table.filter(~pl.col("researchers_suppressed") & (pl.col("researchers") > 0))
    assert shown["researchers"].min() >= privacy.DisclosureRules().min_count
    assert t.table["researchers_suppressed"].any()  # the tiny set has small cells
    assert lb.display(t).columns == ["연도", "학위", "연구자 수"]


# ---------------------------------------------------------------------------------------------
# global indicators on hand-made frames


def _toy() -> wf.Bibliometrics:
    works = pl.DataFrame(
        {
            "work_id": ["w1", "w2", "w3", "w4"],
            "publication_year": [2020, 2020, 2021, 2021],
            "cited_by_count": [10, 0, 5, 1],
            "field_code": ["AI", "AI", "AI", "BIO"],
            "tech_code": ["AI-01", "AI-02", "AI-01", "BIO-01"],
        }
    )
    auth = pl.DataFrame(
        {
            "work_id": ["w1", "w1", "w1", "w2", "w3", "w3", "w4"],
            "author_position": [1, 2, 2, 1, 1, 2, 1],
            "author_id": ["a", "b", "b", "a", "a", "c", "d"],
            "institution_id": ["i1", "i2", "i3", "i1", "i4", "i2", None],
            "country_code": ["KR", "US", "KR", "KR", "US", "US", None],
        }
    )
    return wf.bibliometrics(works, auth)


def test_fractional_credit_splits_authors_then_affiliations() -> None:
    b = _toy()
    c = {(r["work_id"], r["country_code"]): r["frac"] for r in b.credit.iter_rows(named=True)}
    assert c[("w1", "KR")] == pytest.approx(0.5 + 0.25) and c[("w1", "US")] == pytest.approx(0.25)
    assert c[("w4", wf.UNKNOWN_COUNTRY)] == 1.0
    out = wf.country_output(b, unit="field_code")
    ai = {
        r["country_code"]: r for r in out.filter(pl.col("field_code") == "AI").iter_rows(named=True)
    }
    assert ai["KR"]["papers_full"] == 2 and ai["KR"]["papers_frac"] == pytest.approx(1.75)
    assert ai["US"]["papers_frac"] == pytest.approx(1.25)
    # top 10 % of AI 2020 is w1, of AI 2021 is w3
    assert ai["KR"]["top10_frac"] == pytest.approx(0.75) and ai["US"]["top10_frac"] == 1.25
    assert ai["US"]["rank_top10"] == 1 and ai["KR"]["rank_top10"] == 2
    bio = out.filter(pl.col("field_code") == "BIO")
    assert bio["rank_top10"].to_list() == [None]  # the unknown country is not ranked
    vs = wf.korea_vs_leader(out).filter(pl.col("field_code") == "AI").row(0, named=True)
    assert vs["leader"] == "US" and vs["gap_pp"] == pytest.approx((1.25 - 0.75) / 2 * 100)


def test_activity_index_collaboration_and_network() -> None:
    b = _toy()
    ai = wf.activity_index(b, unit="field_code")
    kr = ai.filter((pl.col("country_code") == "KR") & (pl.col("field_code") == "AI"))
    # KR has all its output in AI (1.75 / 1.75); AI is 3 of the world's 4 papers
    assert kr["activity_index"][0] == pytest.approx(1.0 / 0.75)
    tech = wf.activity_index(b, unit="tech_code", base="field")
    us = tech.filter((pl.col("country_code") == "US") & (pl.col("tech_code") == "AI-01"))
    assert us["activity_index"][0] == pytest.approx((1.25 / 1.25) / (2 / 3))
    col = wf.collaboration(b, unit="field_code").filter(pl.col("field_code") == "AI")
    rates = dict(col.select("country_code", "intl_rate").iter_rows())
    assert rates == {"KR": 0.5, "US": 0.5, wf.WORLD: pytest.approx(1 / 3)}
    net = wf.collaboration_network(b, value="AI", min_joint=2)
    row = net.row(0, named=True)
    assert (row["country_a"], row["country_b"], row["joint_papers"]) == ("KR", "US", 1)
    assert row["association_strength"] == pytest.approx(3 * 1 / (2 * 2))
    assert row["cosine"] == pytest.approx(0.5) and row["below_min_joint"]


def test_key_actors_mobility_and_talent_flow() -> None:
    b = _toy()
    inst = wf.key_institutions(b, value="AI", min_papers=1)
    assert inst["institution_id"][0] in {"i1", "i2"} and inst["rank"].to_list()[:1] == [1]
    people = wf.key_researchers(b, value="AI", min_papers=1)
    a = people.filter(pl.col("author_id") == "a").row(0, named=True)
    assert a["papers"] == 3 and a["core"] and a["country_code"] == "US"
    moves = wf.author_mobility(b)
    assert moves.select("author_id", "year", "from_country", "to_country").rows() == [
        ("a", 2021, "KR", "US")
    ]
    flow = wf.talent_flow(moves)
    assert flow.rows() == [("US", "inflow", 0), ("US", "outflow", 1)]


def test_author_mobility_recovers_planted_moves(biblio: wf.Bibliometrics, tiny_data: Path) -> None:
    planted = pl.read_parquet(tiny_data / "truth" / "author_moves.parquet")
    moves = wf.author_mobility(biblio)
    assert moves.height > 0
    j = moves.join(planted, on="author_id", how="left", suffix="_true")
    ok = (
        (pl.col("from_country") == pl.col("from_country_true"))
        & (pl.col("to_country") == pl.col("to_country_true"))
        & (pl.col("year") >= pl.col("move_year"))
    )
    assert j.select(ok.fill_null(False).mean()).item() == 1.0  # every detected move is real


def test_global_indicators_cover_every_field(biblio: wf.Bibliometrics) -> None:
    out = wf.global_indicators(biblio, min_joint=5)
    assert set(out["korea_vs_leader_field"]["field_code"]) == set(FIELDS)
    assert set(out["key_researchers"]["field_code"]) <= set(FIELDS)
    for name, df in out.items():
        assert isinstance(df, pl.DataFrame), name
    assert out["trend_field"]["papers"].sum() == pytest.approx(biblio.works.height)
    kn = wf.global_key_numbers(biblio, field_code="BATT")
    assert set(kn["activity_index"]) == set(
        taxonomy.technologies().filter(pl.col("field_code") == "BATT")["code"]
    )
    json.dumps(kn)
    assert kn["rank_top10"] is None or kn["rank_top10"] >= 1
    assert not math.isnan(kn["top10_share"])


def test_display_uses_korean_labels() -> None:
    df = pl.DataFrame(
        {"country_code": ["KR", "US"], "field_code": ["AI", "BIO"], "top10_share": [0.1, 0.2]}
    )
    shown = lb.display(df)
    assert shown.columns == ["국가", "분야", "상위 10% 논문 점유율"]
    assert shown["국가"].to_list() == ["한국", "미국"]
    assert shown["분야"][0] == taxonomy.label("strategic_tech", "AI", level="field")


def test_map_tables_is_one_face_for_a_fields_map(tiny_data: Path) -> None:
    """Every people-counting table of the map is disclosed; key numbers come from them."""
    rules = privacy.DisclosureRules()
    spec = wf.MapSpec(field="BATT", years=(2013, 2023), min_joint_papers=2)
    mt = wf.map_tables(wf.load_inputs(tiny_data), spec, rules=rules, data_dir=tiny_data)
    assert all(privacy.is_disclosed(t) for t in mt.tables.values())
    assert {f"headcount_by_{d}" for d in wf.HEADCOUNT_DIMS} <= set(mt.tables)
    kn = wf.published_key_numbers(mt, rules)
    last = mt.tables["headcount_by_year"].table.filter(pl.col("year") == 2023)
    shown = None if last["researchers_suppressed"][0] else last["researchers"][0]
    assert kn["domestic"]["researchers_last_year"] == shown
    assert kn["field_ko"] == "이차전지" and kn["disclosure_rules"]["min_count"] == rules.min_count
    assert set(kn["domestic"]["suppressed_cells"]) == set(mt.tables)
    assert not any("author" in c for df in mt.public.values() for c in df.columns)


def test_map_tables_under_cell_keys_say_what_they_count(tiny_data: Path) -> None:
    """Cell-key rules: every people count is perturbed on the key of its own people, the same
    people give the same value in two tables, and the head counts carry their population."""
    from talentlib import audit

    rules = privacy.DisclosureRules(method="cell_key", cell_key_salt="release-x")
    spec = wf.MapSpec(field="SEMI", years=(2013, 2023), min_joint_papers=2)
    mt = wf.map_tables(wf.load_inputs(tiny_data), spec, rules=rules)
    assert all(t.method == "cell_key" and t.max_perturbation == 2 for t in mt.tables.values())
    for name in ("headcount_by_year", "career_pyramid", "institution_concentration"):
        pop = mt.tables[name].population
        assert pop is not None and audit.Population.from_json(pop).filters["field_code"]
    assert mt.tables["field_overlap"].population is None  # one person in several pairs
    # the last year's head count is the same people in both tables: the same perturbed value
    by_year = mt.tables["headcount_by_year"].table.filter(pl.col("year") == 2023)
    conc = mt.tables["institution_concentration"].table.filter(
        (pl.col("year") == "2023") & (pl.col("group") == privacy.TOTAL)
    )
    assert by_year["researchers"].to_list() == conc["researchers"].to_list()


def test_a_batch_run_builds_the_shared_map_data_once_for_all_fields(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a batch run (TALENTLIB_PREPARED) the first field builds what all fields' maps share
    and the others read it back: every field's tables equal those made from the inputs, and a
    new salt or other years build anew."""
    rules = privacy.DisclosureRules(method="cell_key", cell_key_salt="release-x")
    years = (2013, 2023)
    direct = {
        f: wf.map_tables(
            wf.load_inputs(tiny_data), wf.MapSpec(field=f, years=years), rules=rules,
            data_dir=tiny_data,
        )
        for f in ("BATT", "SEMI")
    }  # fmt: skip
    monkeypatch.setenv("TALENTLIB_PREPARED", str(tmp_path / "prepared"))
    first = wf.prepare_world(tiny_data, years=years, rules=rules, truth_dir=tiny_data)
    second = wf.prepare_world(tiny_data, years=years, rules=rules, truth_dir=tiny_data)
    assert not first.reused and second.reused
    assert second.panel is not None and second.panel.equals(first.panel)
    assert second.bibliometrics.authorships.equals(first.bibliometrics.authorships)
    for f, want in direct.items():
        got = wf.map_tables(second, wf.MapSpec(field=f, years=years), rules=rules)
        assert set(got.tables) == set(want.tables) and set(got.public) == set(want.public)
        for name, t in want.tables.items():
            assert got.tables[name].table.equals(t.table), (f, name)
        for name, df in want.public.items():  # float sums: equal up to summation order
            assert_frame_equal(got.public[name], df, check_exact=False, rel_tol=1e-9)
        g, w = got.global_numbers, want.global_numbers
        assert (g["papers"], g["rank_top10"], g["leader"]) == (
            w["papers"],
            w["rank_top10"],
            w["leader"],
        )
        assert g["top10_share"] == pytest.approx(w["top10_share"], abs=1e-4)
        assert got.classification == want.classification and got.quarantine == want.quarantine
    other_salt = privacy.DisclosureRules(method="cell_key", cell_key_salt="release-y")
    assert not wf.prepare_world(tiny_data, years=years, rules=other_salt).reused
    assert not wf.prepare_world(tiny_data, years=(2014, 2023), rules=rules).reused
    with pytest.raises(ValueError, match="2014"):
        wf.map_tables(
            wf.prepare_world(tiny_data, years=(2014, 2023), rules=rules),
            wf.MapSpec(field="BATT", years=years),
        )


def test_institution_groups_break_ties_by_code() -> None:
    panel = pl.DataFrame(
        {
            "researcher_id": ["a", "b", "c", "d"],
            "field_code": ["AI"] * 4,
            "year": [2020] * 4,
            "institution_id": ["u2", "u1", "u3", "u3"],
        }
    )
    for seed in range(4):
        g = wf.institution_groups(panel.sample(fraction=1.0, shuffle=True, seed=seed), top_k=2)
        top = sorted(g.filter(pl.col("group") == "top")["researcher_id"].to_list())
        assert top == ["b", "c", "d"]  # u3 (2 people), then u1 before u2 (1 each)


def test_works_classified_by_the_openalex_crosswalk_keep_their_codes(inputs: wf.Inputs) -> None:
    works = inputs.publications.head(30).with_columns(
        pl.lit("QUANT").alias("field_code"),
        pl.lit("QUANT-01").alias("tech_code"),
        pl.when(pl.int_range(pl.len()) < 10)
        .then(pl.lit("topic"))
        .otherwise(pl.lit(None, pl.String))
        .alias("classified_by"),
    )
    out = wf.classify_publications(works)
    assert out.height == 30
    kept = out.filter(pl.col("classified_by") == "topic")
    assert kept.height == 10 and (kept["tech_code"] == "QUANT-01").all()
    redone = out.filter(pl.col("work_id").is_in(works["work_id"][10:].to_list()))
    assert not (redone["tech_code"] == "QUANT-01").all()  # the others were classified again
