"""Synthetic OpenAlex-like works and authorships per field, country, institution and year.

Korea's citation standing per field follows the seed's 2022 technology-level table: mean
citations scale with each economy's level relative to the leader, and Korea's volume is tilted
towards its industrial strengths. Field labels are kept out of the published works (a classifier
has to recover them) and written to the truth folder instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy

from .base import choice, choice_rows
from .orgs import FIELDS

WORKS_FIELD_SHARE = {
    "BIO": 0.24,
    "AI": 0.20,
    "SEMI": 0.08,
    "COMM": 0.07,
    "BATT": 0.06,
    "MOBI": 0.06,
    "ROBOT": 0.06,
    "CYBER": 0.05,
    "AERO": 0.05,
    "QUANT": 0.05,
    "H2": 0.05,
    "NUCL": 0.03,
}
AUTHORS_MEAN = {"BIO": 6.0, "AI": 3.5, "QUANT": 4.0}
_TITLES = [
    "{a} for {b}: a new approach",
    "Enhanced {a} in {b}",
    "Toward scalable {a} with {b}",
    "{a} and {b}: experimental study",
    "On the {a} of {b}",
    "High-performance {a} using {b}",
]


def country_quality(params: dict[str, Any]) -> dict[tuple[str, str], float]:
    """(country, field) → relative quality (level / 100) used for citations."""
    levels = taxonomy.tech_levels() if hasattr(taxonomy, "tech_levels") else None
    lv: dict[tuple[str, str], float] = {}
    if levels is not None:
        for r in levels.iter_rows(named=True):
            lv[(r["country"], r["field_code"])] = float(r["level"]) / 100.0
    out = {}
    for c, spec in params["countries"].items():
        for f in FIELDS:
            if spec.get("economy"):
                out[(c, f)] = lv.get((spec["economy"], f), 0.85)
            else:
                out[(c, f)] = float(spec["quality"])
    return out


def build_publications(
    rng: np.random.Generator, params: dict[str, Any], n_works: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(works, authorships, labels, movers): labels hold each work's true field and technology."""
    y0, y1 = params["years"]
    countries = list(params["countries"])
    vol = np.array([params["countries"][c]["volume"] for c in countries])
    quality = country_quality(params)
    techs = taxonomy.technologies()
    tech_rows = {r["code"]: r for r in techs.iter_rows(named=True)}
    tech_by_field = {f: techs.filter(pl.col("field_code") == f)["code"].to_list() for f in FIELDS}

    field = choice(rng, FIELDS, np.array([WORKS_FIELD_SHARE[f] for f in FIELDS]), n_works)
    years = np.arange(y0, y1 + 1)
    year = choice(rng, list(years), (1 + params["work_growth"]) ** (years - y0), n_works).astype(
        int
    )
    tech = np.empty(n_works, dtype=object)
    for f in FIELDS:
        m = field == f
        tech[m] = choice(rng, tech_by_field[f], np.ones(len(tech_by_field[f])), int(m.sum()))

    # lead country: world volume, Korea tilted per field
    kr = countries.index("KR")
    probs = np.tile(vol, (n_works, 1))
    probs[:, kr] *= np.array([params["korea_volume_tilt"][f] for f in field])
    lead = np.array(countries)[choice_rows(rng, probs)]

    # citations: Poisson over a log-normal whose mean follows quality and age
    q = np.array([quality[(c, f)] for c, f in zip(lead, field, strict=True)])
    age = (y1 + 1) - year
    mu = np.log(4.0) + params["citation_quality_power"] * np.log(q) + 0.9 * np.log(age)
    cites = rng.poisson(np.exp(mu + rng.normal(0, params["citation_sigma"], n_works)))

    # authors: a pool per (country, field), prolific authors publish more (Zipf-like)
    n_auth = 1 + rng.poisson(np.array([AUTHORS_MEAN.get(f, 4.5) for f in field]) - 1)
    n_auth = np.minimum(n_auth, 40)
    work = np.repeat(np.arange(n_works), n_auth)
    pos = np.arange(work.size) - np.repeat(np.cumsum(n_auth) - n_auth, n_auth) + 1
    country = lead[work].astype(object)
    intl = rng.random(n_works) < params["international_collab_rate"]
    partner = np.array(countries)[choice_rows(rng, np.tile(vol, (n_works, 1)))]
    partner = np.where(partner == lead, np.where(lead == "US", "CN", "US"), partner)
    switch = intl[work] & (pos > 1) & (rng.random(work.size) < 0.5)
    # guarantee at least one foreign author on international works with several authors
    first_co = intl[work] & (pos == 2)
    country = np.where(switch | first_co, partner[work], country).astype(str)

    author_field = field[work]
    pool_key = pl.DataFrame({"c": country, "f": author_field})
    counts = pool_key.group_by("c", "f").len().sort("c", "f")
    pool = counts.with_columns((pl.col("len") // 4 + 5).alias("size")).with_columns(
        (pl.col("size").cum_sum() - pl.col("size")).alias("offset")
    )
    joined = pool_key.join(pool, on=["c", "f"], how="left", maintain_order="left")
    size = joined["size"].to_numpy()
    local = np.minimum((rng.pareto(1.5, work.size) * size / 8).astype(np.int64), size - 1)
    author_idx = joined["offset"].to_numpy() + local
    n_authors_total = int(pool["size"].sum())
    author_home = np.empty(n_authors_total, dtype=object)
    for r in pool.iter_rows(named=True):
        author_home[r["offset"] : r["offset"] + r["size"]] = r["c"]
    author_home = author_home.astype(str)
    # institutions: each author has a home institution in their country (10-400 per country)
    inst_per_country = {
        c: max(10, int(400 * params["countries"][c]["volume"] * 3)) for c in countries
    }
    inst_offset = {}
    off = 0
    for c in countries:
        inst_offset[c] = off
        off += inst_per_country[c]
    home_inst = np.array([inst_offset[c] for c in author_home]) + (
        rng.pareto(1.0, n_authors_total) * 3
    ).astype(np.int64) % np.array([inst_per_country[c] for c in author_home])

    # mobility: a few authors move abroad in some year and publish from there afterwards
    moves = rng.random(n_authors_total) < params["author_move_rate"]
    move_year = np.where(moves, rng.integers(y0 + 1, y1 + 1, n_authors_total), 9999)
    dest = np.array(countries)[choice_rows(rng, np.tile(vol, (n_authors_total, 1)))]
    dest = np.where(dest == author_home, np.where(author_home == "US", "GB", "US"), dest)
    dest_inst = np.array([inst_offset[c] for c in dest]) + rng.integers(0, 10, n_authors_total)
    moved_now = year[work] >= move_year[author_idx]
    aff_country = np.where(moved_now, dest[author_idx], author_home[author_idx])
    aff_inst = np.where(moved_now, dest_inst[author_idx], home_inst[author_idx])

    work_ids = np.char.add(
        "W", (4_000_000_000 + rng.permutation(n_works * 3)[:n_works]).astype(str)
    )
    author_ids = np.char.add("A", (5_000_000_000 + np.arange(n_authors_total) * 7 + 3).astype(str))
    inst_ids = np.char.add("I", (100_000_000 + np.arange(off) * 13 + 1).astype(str))

    titles, topics = [], []
    for t in tech:
        r = tech_rows[t]
        kws = r.get("keywords_en") or [r.get("en") or t]
        a, b = kws[int(rng.integers(len(kws)))], kws[int(rng.integers(len(kws)))]
        titles.append(_TITLES[int(rng.integers(len(_TITLES)))].format(a=a, b=b))
        tp = list(r.get("openalex_topics") or [])
        topics.append(tp[: 1 + int(rng.integers(max(len(tp), 1)))] if tp else None)
    works = pl.DataFrame(
        {
            "work_id": work_ids,
            "publication_year": year.astype(np.int64),
            "cited_by_count": cites.astype(np.int64),
            "title": titles,
            "topics": pl.Series(topics, dtype=pl.List(pl.String)),
            "field_code": pl.Series([None] * n_works, dtype=pl.String),
            "tech_code": pl.Series([None] * n_works, dtype=pl.String),
        }
    )
    authorships = pl.DataFrame(
        {
            "work_id": work_ids[work],
            "author_position": pos.astype(np.int64),
            "author_id": author_ids[author_idx],
            "institution_id": inst_ids[aff_inst],
            "country_code": aff_country,
        }
    )
    labels = pl.DataFrame(
        {
            "work_id": work_ids,
            "field_code": field,
            "tech_code": tech.astype(str),
            "lead_country": lead,
        }
    )
    movers = pl.DataFrame(
        {
            "author_id": author_ids[moves],
            "from_country": author_home[moves],
            "to_country": dest[moves],
            "move_year": move_year[moves],
        }
    )
    return works, authorships, labels, movers
