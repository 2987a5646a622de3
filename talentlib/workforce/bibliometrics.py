"""Korea among the world's key talent (publications + authorships, OpenAlex-like): country counts,
top-10 % shares, Activity Index, collaboration, key institutions and researchers, topic trends,
author mobility. Paper counts are public bibliometrics; tables that count people go through
privacy.disclose.

Why one module: every indicator is a query over one ``Bibliometrics`` (its citation flags, country
credit and the shared scope helpers) and ``global_indicators`` runs them all together; split, those
helpers would cross modules to save a few dozen lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from talentlib import cellkey, labels, taxonomy

from .domestic import growth

UNKNOWN_COUNTRY = "ZZ"  # affiliation without a country (ISO 3166 user-assigned code)
WORLD = "WLD"  # world row in tables by country
DISAMBIGUATION_NOTE = (
    "저자 식별(author disambiguation)은 불완전합니다: 동명이인이 한 저자로 합쳐지거나 한 사람이 "
    "여러 ID로 나뉠 수 있고, OpenAlex API는 논문당 처음 100명의 저자만 제공합니다. 개인 순위는 "
    "후보 목록으로만 읽으십시오. / Author disambiguation is imperfect (merged common names, split "
    "identities; the API gives only the first 100 authorships of a paper): read individual "
    "rankings as a list of candidates, not as a measurement."
)


@dataclass
class Bibliometrics:
    """Works with citation flags and the country / author credit every global indicator uses.

    works: work_id, publication_year, cited_by_count, field_code, tech_code, topics, top10, top1,
    ncs (citations / mean of the field × year). authorships: one row per author × affiliation
    with ``weight`` (1 / authors / the author's affiliations). credit: one row per work ×
    country with ``frac`` (summed weight; sums to 1 per work).
    """

    works: pl.DataFrame
    authorships: pl.DataFrame
    credit: pl.DataFrame
    years: tuple[int, int]


def bibliometrics(
    works: pl.DataFrame | pl.LazyFrame,
    authorships: pl.DataFrame | pl.LazyFrame,
    *,
    years: Sequence[int] | None = None,
    normalise_by: Sequence[str] = ("field_code", "publication_year"),
) -> Bibliometrics:
    """Prepare classified works and their authorships for the global indicators.

    Top 10 % / top 1 %: citations at or above the 90th / 99th percentile (``higher``) of the
    work's field × year (ties included, as the synthetic truth defines it); ncs: citations over
    the field × year mean. Works without a field get no flags. Authorships of works not in
    ``works`` are dropped; a missing country becomes ``UNKNOWN_COUNTRY`` so that fractional
    counts still add up to the number of papers.
    """
    by = list(normalise_by)
    w = works.lazy()
    names = w.collect_schema().names()
    for c in ("field_code", "tech_code"):
        if c not in names:
            w = w.with_columns(pl.lit(None, pl.String).alias(c))
    if "topics" not in names:
        w = w.with_columns(pl.lit(None, pl.List(pl.String)).alias("topics"))
    if years is not None:
        w = w.filter(pl.col("publication_year").is_between(int(years[0]), int(years[-1])))
    cites = pl.col("cited_by_count")
    has_field = pl.col(by[0]).is_not_null()
    w = w.select(
        "work_id",
        "publication_year",
        "cited_by_count",
        "field_code",
        "tech_code",
        "topics",
        pl.when(has_field)
        .then(cites >= cites.quantile(0.9, interpolation="higher").over(by))
        .alias("top10"),
        pl.when(has_field)
        .then(cites >= cites.quantile(0.99, interpolation="higher").over(by))
        .alias("top1"),
        pl.when(has_field & (cites.mean().over(by) > 0))
        .then(cites / cites.mean().over(by))
        .alias("ncs"),
    ).collect()
    a = (
        authorships.lazy()
        .select("work_id", "author_position", "author_id", "institution_id", "country_code")
        .join(w.lazy().select("work_id"), on="work_id", how="semi")
        .with_columns(pl.col("country_code").fill_null(UNKNOWN_COUNTRY))
        .with_columns(
            (
                1.0
                / pl.col("author_position").n_unique().over("work_id")
                / pl.len().over("work_id", "author_position")
            ).alias("weight")
        )
        .collect()
    )
    credit = (
        a.lazy()
        .group_by("work_id", "country_code")
        .agg(pl.col("weight").sum().alias("frac"))
        .sort("work_id", "country_code")
        .collect()
    )
    if years is not None:
        span = (int(years[0]), int(years[-1]))
    else:
        y = pl.col("publication_year")
        lo, hi = w.select(y.min().alias("lo"), y.max().alias("hi")).row(0)
        span = (int(lo), int(hi)) if w.height else (0, 0)
    return Bibliometrics(works=w, authorships=a, credit=credit, years=span)


def _scope(b: Bibliometrics, unit: str, years: Sequence[int] | None) -> pl.LazyFrame:
    w = b.works.lazy().filter(pl.col(unit).is_not_null())
    if years is not None:
        w = w.filter(pl.col("publication_year").is_between(int(years[0]), int(years[-1])))
    return w


def _rank(keys: list[str], name: str) -> pl.Expr:
    """Row number within ``keys`` as a rank; the unknown country gets none. Expects rows sorted
    by keys, then unknown last, then the ranked value descending and the country code."""
    return (
        pl.when(pl.col("country_code") != UNKNOWN_COUNTRY)
        .then(pl.int_range(1, pl.len() + 1).over(keys))
        .alias(name)
    )


def country_output(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    by_year: bool = False,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Per unit (× year) × country: papers_full (full counting), papers_frac (fractional),
    top10_full, top10_frac, top1_frac, pub_share and top10_share (shares of the world's
    fractional total, i.e. of the unit's papers and top-10 % papers), pp_top10 (fractional
    PP(top10%); world 10 %), mncs (mean normalised citations; world 1.0), rank_top10 and
    rank_papers (ties broken by country code; the unknown country is not ranked)."""
    keys = [unit] + (["publication_year"] if by_year else [])
    w = _scope(b, unit, years).select("work_id", *keys, "top10", "top1", "ncs")
    c = b.credit.lazy().join(w, on="work_id")
    out = (
        c.group_by(*keys, "country_code")
        .agg(
            pl.len().cast(pl.Int64).alias("papers_full"),
            pl.col("frac").sum().alias("papers_frac"),
            pl.col("top10").sum().cast(pl.Int64).alias("top10_full"),
            (pl.col("frac") * pl.col("top10")).sum().alias("top10_frac"),
            (pl.col("frac") * pl.col("top1")).sum().alias("top1_frac"),
            (pl.col("frac") * pl.col("ncs")).sum().alias("_ncs"),
            pl.col("frac").filter(pl.col("ncs").is_not_null()).sum().alias("_ncs_w"),
        )
        .with_columns(
            (pl.col("papers_frac") / pl.col("papers_frac").sum().over(keys)).alias("pub_share"),
            (pl.col("top10_frac") / pl.col("top10_frac").sum().over(keys))
            .fill_nan(0.0)
            .alias("top10_share"),
            (pl.col("top10_frac") / pl.col("papers_frac")).alias("pp_top10"),
            (pl.col("_ncs") / pl.col("_ncs_w")).alias("mncs"),
            (pl.col("country_code") == UNKNOWN_COUNTRY).alias("_unknown"),
        )
        .drop("_ncs", "_ncs_w")
    )
    # round away float noise of summation order before ranking; ties go by country code
    out = out.sort(
        [*keys, "_unknown", pl.col("top10_share").round(9), "country_code"],
        descending=[*([False] * len(keys)), False, True, False],
    ).with_columns(_rank(keys, "rank_top10"))
    out = out.sort(
        [*keys, "_unknown", pl.col("papers_frac").round(9), "country_code"],
        descending=[*([False] * len(keys)), False, True, False],
    ).with_columns(_rank(keys, "rank_papers"))
    return out.drop("_unknown").sort([*keys, "rank_top10"], nulls_last=True).collect()


def korea_vs_leader(
    output: pl.DataFrame,
    *,
    country: str = "KR",
    unit: str = "field_code",
    value: str = "top10_share",
) -> pl.DataFrame:
    """Per unit (× year, if ``output`` has it): the country's share and rank against the
    leader's — leader, leader_share, country_share, country_rank, gap_pp (percentage points),
    ratio_to_leader. A unit where the country has no paper shows share 0 and a null rank."""
    keys = [unit] + (["publication_year"] if "publication_year" in output.columns else [])
    rank = "rank_top10" if value == "top10_share" else "rank_papers"
    lead = output.filter(pl.col(rank) == 1).select(
        *keys, pl.col("country_code").alias("leader"), pl.col(value).alias("leader_share")
    )
    own = output.filter(pl.col("country_code") == country).select(
        *keys, pl.col(value).alias("country_share"), pl.col(rank).alias("country_rank")
    )
    return (
        lead.join(own, on=keys, how="left")
        .with_columns(pl.col("country_share").fill_null(0.0))
        .with_columns(
            ((pl.col("leader_share") - pl.col("country_share")) * 100).alias("gap_pp"),
            pl.when(pl.col("leader_share") > 0)
            .then(pl.col("country_share") / pl.col("leader_share"))
            .alias("ratio_to_leader"),
        )
        .sort(keys)
    )


def activity_index(
    b: Bibliometrics,
    *,
    unit: str = "tech_code",
    base: str = "all",
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Activity Index (revealed comparative advantage) per unit × country, fractional counting:
    (country's papers in the unit / its papers in the base) / (world's papers in the unit / the
    world's in the base). base='all' compares with all classified papers, base='field' with the
    unit's field (specialisation among the field's technologies). With pp_top10, relative_impact
    (pp_top10 / 10 %) and top10_share for the strength/gap quadrant. Do not compare the index's
    magnitude across fields naively."""
    if base not in ("all", "field"):
        raise ValueError("base is 'all' or 'field'")
    cols = list(dict.fromkeys([unit, "field_code"]))
    w = _scope(b, unit, years).select("work_id", *cols, "top10")
    c = (
        b.credit.lazy()
        .join(w, on="work_id")
        .group_by(*cols, "country_code")
        .agg(
            pl.col("frac").sum().alias("papers_frac"),
            (pl.col("frac") * pl.col("top10")).sum().alias("top10_frac"),
        )
    )
    scope = ["field_code"] if base == "field" else []
    cb = ["country_code", *scope]
    return (
        c.with_columns(
            (
                (pl.col("papers_frac") / pl.col("papers_frac").sum().over(cb))
                / (
                    pl.col("papers_frac").sum().over(unit)
                    / (
                        pl.col("papers_frac").sum().over(scope)
                        if scope
                        else pl.col("papers_frac").sum()
                    )
                )
            ).alias("activity_index"),
            (pl.col("top10_frac") / pl.col("papers_frac")).alias("pp_top10"),
            (pl.col("top10_frac") / pl.col("top10_frac").sum().over(unit))
            .fill_nan(0.0)
            .alias("top10_share"),
        )
        .with_columns((pl.col("pp_top10") / 0.10).alias("relative_impact"))
        .sort(unit, "country_code")
        .collect()
    )


def _countries_per_work(b: Bibliometrics) -> pl.LazyFrame:
    return (
        b.credit.lazy()
        .filter(pl.col("country_code") != UNKNOWN_COUNTRY)
        .group_by("work_id")
        .agg(pl.len().alias("n_countries"))
    )


def collaboration(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    by_year: bool = False,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """International co-authorship per unit (× year) × country: papers (full counting),
    intl_papers (with authors from >= 2 countries) and intl_rate; a WORLD row per unit."""
    keys = [unit] + (["publication_year"] if by_year else [])
    w = (
        _scope(b, unit, years)
        .select("work_id", *keys)
        .join(_countries_per_work(b), on="work_id", how="left")
        .with_columns((pl.col("n_countries").fill_null(0) >= 2).alias("intl"))
    )
    per = (
        b.credit.lazy()
        .join(w, on="work_id")
        .group_by(*keys, "country_code")
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("intl").sum().cast(pl.Int64).alias("intl_papers"),
        )
    )
    world = (
        w.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("intl").sum().cast(pl.Int64).alias("intl_papers"),
        )
        .with_columns(pl.lit(WORLD).alias("country_code"))
    )
    return (
        pl.concat([per, world.select(per.collect_schema().names())])
        .with_columns((pl.col("intl_papers") / pl.col("papers")).alias("intl_rate"))
        .sort(*keys, "country_code")
        .collect()
    )


def collaboration_network(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    value: str | None = None,
    countries: Iterable[str] | None = None,
    top_n: int = 15,
    min_joint: int = 25,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Country pairs co-authoring papers of one unit value (all classified papers if None):
    joint_papers, each country's papers, association strength (van Eck & Waltman 2009:
    observed / expected joint papers = N c_ij / (s_i s_j), 1 = as many as chance) and Salton's
    cosine. Limited to the ``top_n`` countries by papers plus ``countries``; pairs with fewer
    than ``min_joint`` joint papers are flagged (below_min_joint) — read them with caution."""
    w = _scope(b, unit, years)
    if value is not None:
        w = w.filter(pl.col(unit) == value)
    wc = (
        b.credit.lazy()
        .filter(pl.col("country_code") != UNKNOWN_COUNTRY)
        .join(w.select("work_id"), on="work_id", how="semi")
        .select("work_id", "country_code")
    )
    n_works = w.select(pl.len()).collect().item()
    s = wc.group_by("country_code").agg(pl.len().cast(pl.Int64).alias("papers")).collect()
    keep = set(
        s.sort(["papers", "country_code"], descending=[True, False])
        .head(top_n)["country_code"]
        .to_list()
    ) | set(countries or [])
    wc = wc.filter(pl.col("country_code").is_in(sorted(keep)))
    pairs = (
        wc.join(wc, on="work_id", suffix="_b")
        .filter(pl.col("country_code") < pl.col("country_code_b"))
        .group_by(
            pl.col("country_code").alias("country_a"), pl.col("country_code_b").alias("country_b")
        )
        .agg(pl.len().cast(pl.Int64).alias("joint_papers"))
    )
    sl = s.lazy()
    return (
        pairs.join(sl.rename({"country_code": "country_a", "papers": "papers_a"}), on="country_a")
        .join(sl.rename({"country_code": "country_b", "papers": "papers_b"}), on="country_b")
        .with_columns(
            (n_works * pl.col("joint_papers") / (pl.col("papers_a") * pl.col("papers_b"))).alias(
                "association_strength"
            ),
            (pl.col("joint_papers") / (pl.col("papers_a") * pl.col("papers_b")).sqrt()).alias(
                "cosine"
            ),
            (pl.col("joint_papers") < min_joint).alias("below_min_joint"),
        )
        .sort("country_a", "country_b")
        .collect()
    )


def _actor_scope(
    b: Bibliometrics, unit: str, value: str | None, years: Sequence[int] | None
) -> pl.LazyFrame:
    w = _scope(b, unit, years)
    if value is not None:
        w = w.filter(pl.col(unit) == value)
    return b.authorships.lazy().join(
        w.select("work_id", "publication_year", "top10", "ncs"), on="work_id"
    )


def key_institutions(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    value: str | None = None,
    country: str | None = None,
    top: int = 20,
    min_papers: int = 3,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Institutions ranked by their fractional total of field-normalised citations
    (tncs_frac = sum of weight × ncs), with papers (full), papers_frac, top10_papers and mncs
    (mean ncs of their papers). ``country`` keeps one country's institutions."""
    a = _actor_scope(b, unit, value, years).filter(pl.col("institution_id").is_not_null())
    if country is not None:
        a = a.filter(pl.col("country_code") == country)
    per_work = a.group_by("institution_id", "work_id").agg(
        pl.col("weight").sum(),
        pl.col("top10").first(),
        pl.col("ncs").first(),
        pl.col("country_code").first(),
    )
    return (
        per_work.group_by("institution_id")
        .agg(
            pl.col("country_code").mode().sort().first(),
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("weight").sum().alias("papers_frac"),
            pl.col("top10").sum().cast(pl.Int64).alias("top10_papers"),
            pl.col("ncs").mean().alias("mncs"),
            (pl.col("weight") * pl.col("ncs")).sum().alias("tncs_frac"),
        )
        .filter(pl.col("papers") >= min_papers)
        .sort(["tncs_frac", "institution_id"], descending=[True, False])
        .head(top)
        .with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))
        .collect()
    )


def key_researchers(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    value: str | None = None,
    country: str | None = None,
    top: int = 20,
    min_papers: int = 3,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Authors ranked by tncs_frac (as ``key_institutions``), with their latest affiliation
    country, papers, top10_papers, mncs and core (authored a top-10 % paper, the official map's
    definition of a core researcher). See DISAMBIGUATION_NOTE before reading it as people."""
    a = _actor_scope(b, unit, value, years)
    per_work = a.group_by("author_id", "work_id").agg(
        pl.col("weight").sum(),
        pl.col("top10").first(),
        pl.col("ncs").first(),
        pl.col("publication_year").first(),
        pl.col("country_code").sort().first(),
    )
    out = (
        per_work.group_by("author_id")
        .agg(
            pl.col("country_code").sort_by("publication_year").last(),
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("top10").sum().cast(pl.Int64).alias("top10_papers"),
            pl.col("ncs").mean().alias("mncs"),
            (pl.col("weight") * pl.col("ncs")).sum().alias("tncs_frac"),
        )
        .with_columns((pl.col("top10_papers") > 0).alias("core"))
    )
    if country is not None:
        out = out.filter(pl.col("country_code") == country)
    return (
        out.filter(pl.col("papers") >= min_papers)
        .sort(["tncs_frac", "author_id"], descending=[True, False])
        .head(top)
        .with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))
        .collect()
    )


def trend_series(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    country: str = "KR",
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Per unit × year: world papers, the country's fractional papers and share, and its
    top-10 % share (the research-trend time series)."""
    out = country_output(b, unit=unit, by_year=True, years=years)
    keys = [unit, "publication_year"]
    world = out.group_by(keys).agg(pl.col("papers_frac").sum().alias("papers"))
    own = out.filter(pl.col("country_code") == country).select(
        *keys,
        pl.col("papers_frac").alias("country_papers"),
        pl.col("pub_share").alias("country_pub_share"),
        pl.col("top10_share").alias("country_top10_share"),
    )
    return (
        world.join(own, on=keys, how="left")
        .with_columns(
            pl.col("country_papers", "country_pub_share", "country_top10_share").fill_null(0.0)
        )
        .sort(keys)
    )


def topic_trends(
    b: Bibliometrics,
    *,
    unit: str = "topic",
    field_code: str | None = None,
    country: str = "KR",
    recent: int = 3,
    min_recent: int = 5,
    emerging_ratio: float = 1.25,
) -> pl.DataFrame:
    """Growth of topics (OpenAlex topics with unit='topic', or tech_code) and emerging ones.

    Per topic: papers (full counting) over the period and in the last ``recent`` years, growth
    (log-linear trend), recent_ratio (the topic's share of all papers in the recent years over
    its share before), emerging (recent_ratio >= emerging_ratio, growth above the scope's and at
    least ``min_recent`` recent papers), korea_papers (the country's fractional papers in the
    recent years) and korea_absent (emerging without any). A simple stand-in for burst detection.
    """
    w = b.works.lazy().filter(pl.col("field_code").is_not_null())
    if field_code is not None:
        w = w.filter(pl.col("field_code") == field_code)
    if unit == "topic":
        w = w.explode("topics").rename({"topics": "topic"}).filter(pl.col("topic").is_not_null())
    else:
        w = w.rename({unit: "topic"}).filter(pl.col("topic").is_not_null())
    y1 = b.years[1]
    cut = y1 - recent + 1
    w = w.select(
        "work_id", "topic", "publication_year", (pl.col("publication_year") >= cut).alias("_recent")
    )
    yearly = w.group_by("topic", "publication_year").agg(pl.len().alias("papers")).collect()
    gr = growth(yearly, value="papers", by=["topic"], time="publication_year").select(
        "topic", "growth", "cagr"
    )
    total = (
        w.select("work_id", "publication_year", "_recent")
        .unique()
        .group_by("_recent")
        .agg(pl.len().alias("n"))
        .collect()
    )
    n_recent = total.filter(pl.col("_recent"))["n"].sum()
    n_before = total.filter(~pl.col("_recent"))["n"].sum()
    kr = (
        w.filter(pl.col("_recent"))
        .join(b.credit.lazy().filter(pl.col("country_code") == country), on="work_id")
        .group_by("topic")
        .agg(pl.col("frac").sum().alias("korea_papers"))
    )
    scope_growth = growth(
        w.select("work_id", "publication_year")
        .unique()
        .group_by("publication_year")
        .agg(pl.len().alias("papers"))
        .collect(),
        value="papers",
        time="publication_year",
    )["growth"]
    g0 = float(scope_growth[0]) if scope_growth.len() and scope_growth[0] is not None else 0.0
    out = (
        w.group_by("topic")
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("_recent").sum().cast(pl.Int64).alias("recent_papers"),
        )
        .join(gr.lazy(), on="topic", how="left")
        .join(kr, on="topic", how="left")
        .with_columns(
            pl.col("korea_papers").fill_null(0.0),
            pl.when((pl.col("papers") - pl.col("recent_papers")) > 0)
            .then(
                (pl.col("recent_papers") / max(n_recent, 1))
                / ((pl.col("papers") - pl.col("recent_papers")) / max(n_before, 1))
            )
            .alias("recent_ratio"),
        )
        .with_columns(
            (
                (pl.col("recent_ratio").fill_null(float("inf")) >= emerging_ratio)
                & (pl.col("growth").fill_null(0.0) > g0)
                & (pl.col("recent_papers") >= min_recent)
            ).alias("emerging")
        )
        .with_columns((pl.col("emerging") & (pl.col("korea_papers") == 0)).alias("korea_absent"))
        .sort(
            ["emerging", "recent_ratio", "topic"], descending=[True, True, False], nulls_last=True
        )
    )
    return out.collect()


def author_mobility(b: Bibliometrics, *, core_only: bool = False) -> pl.DataFrame:
    """Authors whose affiliation country changes between publication years: author_id, year
    (first year seen in the new country), prev_year, from_country, to_country, core (authored a
    top-10 % paper). An author's country in a year is the most frequent one among their
    affiliations that year (ties by code); unknown countries are skipped. Disambiguation errors
    show up as moves: see DISAMBIGUATION_NOTE."""
    a = (
        b.authorships.lazy()
        .filter(pl.col("country_code") != UNKNOWN_COUNTRY)
        .join(b.works.lazy().select("work_id", "publication_year", "top10"), on="work_id")
    )
    core = a.group_by("author_id").agg(pl.col("top10").fill_null(False).any().alias("core"))
    yearly = (
        a.group_by("author_id", "publication_year", "country_code")
        .agg(pl.len().alias("n"))
        .sort(
            ["author_id", "publication_year", "n", "country_code"],
            descending=[False, False, True, False],
        )
        .group_by("author_id", "publication_year", maintain_order=True)
        .agg(pl.col("country_code").first())
        .sort("author_id", "publication_year")
    )
    moves = yearly.with_columns(
        pl.col("country_code").shift(1).over("author_id").alias("from_country"),
        pl.col("publication_year").shift(1).over("author_id").alias("prev_year"),
    ).filter(
        pl.col("from_country").is_not_null() & (pl.col("from_country") != pl.col("country_code"))
    )
    out = moves.select(
        "author_id",
        pl.col("publication_year").alias("year"),
        "prev_year",
        "from_country",
        pl.col("country_code").alias("to_country"),
    ).join(core, on="author_id", how="left")
    if core_only:
        out = out.filter(pl.col("core"))
    return out.sort("author_id", "year").collect()


def talent_flow(
    moves: pl.DataFrame,
    *,
    country: str = "KR",
    years: Sequence[int] | None = None,
    salt: str | None = None,
) -> pl.DataFrame:
    """Moves into (inflow) and out of (outflow) ``country`` per partner country, long format
    (partner_country, direction, researchers) ready for ``privacy.disclose`` — it counts people.
    Net inflow = inflow - outflow from the published cells. With the release's ``salt`` each
    cell also gets its cell key (``cellkey.count_people``; a record is one move, an author's
    OpenAlex id and year)."""
    m = moves.lazy()
    if years is not None:
        m = m.filter(pl.col("year").is_between(int(years[0]), int(years[-1])))
    move_id = pl.concat_str(pl.col("author_id").cast(pl.String), pl.col("year"), separator="/")
    inflow = m.filter(pl.col("to_country") == country).select(
        move_id.alias("_move"),
        pl.col("from_country").alias("partner_country"),
        pl.lit("inflow").alias("direction"),
    )
    outflow = m.filter(pl.col("from_country") == country).select(
        move_id.alias("_move"),
        pl.col("to_country").alias("partner_country"),
        pl.lit("outflow").alias("direction"),
    )
    both = pl.concat([inflow, outflow])
    if salt is not None:
        counts = cellkey.count_people(
            both, ["partner_country", "direction"], ids="_move", salt=salt, count="researchers"
        ).lazy()
    else:
        counts = both.group_by("partner_country", "direction").agg(
            pl.len().cast(pl.Int64).alias("researchers")
        )
    # every partner gets both directions (zeros included) so the table is complete for disclose
    grid = (
        counts.select("partner_country")
        .unique()
        .join(pl.LazyFrame({"direction": ["inflow", "outflow"]}), how="cross")
    )
    return (
        grid.join(counts, on=["partner_country", "direction"], how="left")
        .with_columns(pl.col("^researchers|cell_key$").fill_null(0))
        .sort("partner_country", "direction")
        .collect()
    )


def global_indicators(
    b: Bibliometrics,
    *,
    fields: Iterable[str] | None = None,
    country: str = "KR",
    min_joint: int = 25,
) -> dict[str, pl.DataFrame]:
    """Every global indicator at once (what the benchmark times and a batch run collects):
    country output by field and by technology (overall and per year), Korea vs the leader,
    Activity Index by technology, collaboration, per-field networks, key institutions and
    researchers, trends, emerging topics, mobility and Korea's talent flow (not yet disclosed)."""
    fields = (
        list(fields)
        if fields is not None
        else sorted(b.works["field_code"].drop_nulls().unique().to_list())
    )
    out: dict[str, pl.DataFrame] = {}
    out["country_output_field"] = country_output(b, unit="field_code")
    out["country_output_tech"] = country_output(b, unit="tech_code")
    out["country_output_field_year"] = country_output(b, unit="field_code", by_year=True)
    out["korea_vs_leader_field"] = korea_vs_leader(out["country_output_field"], country=country)
    out["korea_vs_leader_field_year"] = korea_vs_leader(
        out["country_output_field_year"], country=country
    )
    out["activity_index_tech"] = activity_index(b, unit="tech_code")
    out["activity_index_field"] = activity_index(b, unit="field_code")
    out["collaboration_field"] = collaboration(b, unit="field_code", by_year=True)
    out["trend_field"] = trend_series(b, unit="field_code", country=country)
    out["trend_tech"] = trend_series(b, unit="tech_code", country=country)
    nets, insts, people, topics = [], [], [], []
    for f in fields:
        nets.append(
            collaboration_network(
                b, value=f, countries=[country], min_joint=min_joint
            ).with_columns(pl.lit(f).alias("field_code"))
        )
        insts.append(key_institutions(b, value=f).with_columns(pl.lit(f).alias("field_code")))
        people.append(key_researchers(b, value=f).with_columns(pl.lit(f).alias("field_code")))
        topics.append(
            topic_trends(b, field_code=f, country=country).with_columns(
                pl.lit(f).alias("field_code")
            )
        )
    out["collaboration_network"] = pl.concat(nets)
    out["key_institutions"] = pl.concat(insts)
    out["key_researchers"] = pl.concat(people)
    out["emerging_topics"] = pl.concat(topics)
    out["author_moves"] = author_mobility(b)
    out["talent_flow"] = talent_flow(out["author_moves"], country=country)
    return out


def select_countries(
    output: pl.DataFrame,
    *,
    n: int = 15,
    include: Iterable[str] = (),
    rank: str = "rank_top10",
) -> pl.DataFrame:
    """The top ``n`` countries by ``rank`` plus those in ``include`` (e.g. KR and the comparison
    countries), with a Korean country_ko label, for charts."""
    keep = pl.col(rank) <= n
    inc = list(include)
    if inc:
        keep = keep | pl.col("country_code").is_in(inc)
    return (
        output.filter(keep.fill_null(False))
        .with_columns(
            pl.col("country_code").replace(labels.values("country_code")).alias("country_ko")
        )
        .sort(rank)
    )


def share_over_time(
    output_by_year: pl.DataFrame,
    *,
    countries: Iterable[str],
    unit: str = "field_code",
    value: str = "top10_share",
    leader_label: str = "연도별 1위",
) -> pl.DataFrame:
    """Long series (unit, publication_year, country_code, country_ko, value) for ``countries``
    (0 in years without a paper) plus a series ``LEADER`` holding each year's leader's value
    (labelled ``leader_label``; leader_code says who led)."""
    cs = list(dict.fromkeys(countries))
    grid = (
        output_by_year.select(unit, "publication_year")
        .unique()
        .join(pl.DataFrame({"country_code": cs}), how="cross")
    )
    own = grid.join(
        output_by_year.select(unit, "publication_year", "country_code", value),
        on=[unit, "publication_year", "country_code"],
        how="left",
    ).with_columns(pl.col(value).fill_null(0.0), pl.col("country_code").alias("leader_code"))
    rank = "rank_top10" if value == "top10_share" else "rank_papers"
    lead = output_by_year.filter(pl.col(rank) == 1).select(
        unit,
        "publication_year",
        pl.lit("LEADER").alias("country_code"),
        value,
        pl.col("country_code").alias("leader_code"),
    )
    return (
        pl.concat([own, lead], how="vertical_relaxed")
        .with_columns(
            pl.col("country_code")
            .replace({**labels.values("country_code"), "LEADER": leader_label})
            .alias("country_ko")
        )
        .sort(unit, "country_code", "publication_year")
    )


def global_key_numbers(
    b: Bibliometrics,
    *,
    field_code: str,
    country: str = "KR",
    output: pl.DataFrame | None = None,
    collab: pl.DataFrame | None = None,
    ai: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Korea's headline numbers for one field: rank and shares of the top-10 % papers, gap to
    the leader, PP(top10%), international co-authorship, Activity Index per technology.
    ``output`` (country_output by field), ``collab`` (collaboration by field) and ``ai``
    (activity_index by technology): the all-field tables when already made."""
    output = country_output(b, unit="field_code") if output is None else output
    collab = collaboration(b, unit="field_code") if collab is None else collab
    ai = activity_index(b, unit="tech_code") if ai is None else ai
    out = output.filter(pl.col("field_code") == field_code)
    vs = korea_vs_leader(out, country=country)
    own = out.filter(pl.col("country_code") == country)
    col = collab.filter(pl.col("field_code") == field_code)
    ai = ai.filter((pl.col("field_code") == field_code) & (pl.col("country_code") == country))
    techs = taxonomy.technologies().filter(pl.col("field_code") == field_code)["code"].to_list()
    ai_map = {r["tech_code"]: r for r in ai.iter_rows(named=True)}

    def val(df: pl.DataFrame, c: str) -> Any:
        return df[c][0] if df.height and df[c][0] is not None else None

    def rnd(x: Any, k: int = 4) -> Any:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, k)

    return {
        "field_code": field_code,
        "country": country,
        "papers": int(b.works.filter(pl.col("field_code") == field_code).height),
        "rank_top10": val(own, "rank_top10"),
        "top10_share": rnd(val(own, "top10_share") or 0.0),
        "pub_share": rnd(val(own, "pub_share") or 0.0),
        "rank_papers": val(own, "rank_papers"),
        "pp_top10": rnd(val(own, "pp_top10")),
        "mncs": rnd(val(own, "mncs")),
        "leader": val(vs, "leader"),
        "leader_top10_share": rnd(val(vs, "leader_share")),
        "gap_pp": rnd(val(vs, "gap_pp"), 2),
        "intl_rate": rnd(val(col.filter(pl.col("country_code") == country), "intl_rate")),
        "intl_rate_world": rnd(val(col.filter(pl.col("country_code") == WORLD), "intl_rate")),
        "activity_index": {
            t: {
                "activity_index": rnd(ai_map[t]["activity_index"]) if t in ai_map else 0.0,
                "relative_impact": rnd(ai_map[t]["relative_impact"]) if t in ai_map else None,
                "papers_frac": rnd(ai_map[t]["papers_frac"], 2) if t in ai_map else 0.0,
            }
            for t in techs
        },
    }
