"""The workforce map of one field as one object: every table notebook 01 shows and the brief
publishes, built in one call (``map_tables``), and the key numbers read from published cells
only (``published_key_numbers``) — the same face as ``careers.career_tables``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import privacy, taxonomy

from .bibliometrics import (
    WORLD,
    Bibliometrics,
    activity_index,
    author_mobility,
    bibliometrics,
    collaboration,
    collaboration_network,
    country_output,
    global_key_numbers,
    key_institutions,
    key_researchers,
    korea_vs_leader,
    select_countries,
    share_over_time,
    talent_flow,
    topic_trends,
)
from .classify import classify_projects, classify_publications, truth_accuracy
from .domestic import (
    activity_panel,
    career_pyramid,
    concentration_table,
    disclosed_headcount,
    entrants_leavers,
    field_overlap,
    growth,
    headcount,
    institution_concentration,
)
from .inputs import Inputs

# the breakdowns of the last year's head count that the map publishes
HEADCOUNT_DIMS = ("degree", "role", "age_band", "career_stage", "institution_type", "region")


@dataclass(frozen=True)
class MapSpec:
    """What one field's map shows: the field, the years, Korea and the countries compared."""

    field: str
    years: tuple[int, int] = (2013, 2023)
    country: str = "KR"
    comparison_countries: tuple[str, ...] = ("US", "CN", "JP", "DE", "GB")
    top_countries: int = 15
    top_k_institutions: int = 5
    min_joint_papers: int = 25

    @property
    def include(self) -> list[str]:
        return [self.country, *self.comparison_countries]


@dataclass
class MapTables:
    """One field's workforce map. ``tables`` count people and passed disclosure control (they
    are what the brief publishes); ``public`` are bibliometric tables (counts of papers, public
    statistics); ``frames`` are what the charts draw."""

    spec: MapSpec
    tables: dict[str, privacy.DisclosedTable] = field(default_factory=dict)
    public: dict[str, pl.DataFrame] = field(default_factory=dict)
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    bibliometrics: Bibliometrics | None = None
    classification: dict[str, Any] | None = None
    quarantine: dict[str, dict[str, int]] = field(default_factory=dict)
    global_numbers: dict[str, Any] = field(default_factory=dict)


def map_tables(
    inputs: Inputs,
    spec: MapSpec,
    *,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008 - frozen
    data_dir: str | Path | None = None,
) -> MapTables:
    """Every table of one field's workforce map (classification, global bibliometrics, domestic
    head counts), people-counting ones through ``privacy.disclose`` with ``rules``."""
    if inputs.publications is None or inputs.authorships is None:
        raise ValueError("the workforce map needs publications and authorships")
    f, c, years = spec.field, spec.country, list(spec.years)
    mt = MapTables(spec=spec, quarantine=inputs.quarantine_counts())

    works = classify_publications(inputs.publications)
    projects = classify_projects(inputs.projects) if inputs.projects is not None else None
    mt.classification = truth_accuracy(data_dir, works, projects) if data_dir else None

    # -- the world ------------------------------------------------------------------------
    b = bibliometrics(works, inputs.authorships, years=years)
    mt.bibliometrics = b
    output = country_output(b, unit="field_code").filter(pl.col("field_code") == f)
    ranked = select_countries(output, n=spec.top_countries, include=spec.include)
    mt.frames["country_ranking"] = ranked
    mt.public["country_ranking"] = ranked.select(
        "country_code", "rank_top10", "top10_share", "pub_share", "pp_top10", "mncs",
        "papers_full", "papers_frac",
    )  # fmt: skip
    by_year = country_output(b, unit="field_code", by_year=True).filter(pl.col("field_code") == f)
    leader = output.filter(pl.col("rank_top10") == 1)["country_code"].to_list()
    mt.frames["share_over_time"] = share_over_time(by_year, countries=[c, *leader])
    mt.public["korea_vs_leader"] = korea_vs_leader(by_year, country=c)
    ai = activity_index(b, unit="tech_code").filter(
        (pl.col("field_code") == f) & (pl.col("country_code") == c)
    )
    ai = ai.with_columns(
        pl.col("tech_code")
        .replace(taxonomy.labels("strategic_tech", level="technology"))
        .alias("tech_ko")
    )
    mt.frames["activity_index"] = ai
    mt.public["activity_index"] = ai.select(
        "tech_code", "papers_frac", "activity_index", "pp_top10", "relative_impact", "top10_share"
    )
    network = collaboration_network(
        b, value=f, countries=spec.include, top_n=12, min_joint=spec.min_joint_papers
    )
    mt.frames["network"] = network
    mt.frames["network_nodes"] = select_countries(
        output, n=12, include=spec.include, rank="rank_papers"
    )
    mt.public["collaboration"] = collaboration(b, unit="field_code").filter(
        (pl.col("field_code") == f) & pl.col("country_code").is_in([*spec.include, WORLD])
    )
    mt.public["korea_partners"] = network.filter(
        (pl.col("country_a") == c) | (pl.col("country_b") == c)
    ).sort("association_strength", descending=True)
    mt.public["key_institutions"] = key_institutions(b, value=f, top=10)
    mt.public["topic_trends"] = topic_trends(b, field_code=f, country=c).head(15)
    mt.global_numbers = global_key_numbers(b, field_code=f, country=c)
    # people who moved count people: disclosed like the domestic tables
    mt.tables["talent_flow_korea"] = privacy.disclose(
        talent_flow(author_mobility(b), country=c),
        count="researchers",
        rows="partner_country",
        cols="direction",
        rules=rules,
    )

    # -- Korea's own R&D workforce ----------------------------------------------------------
    if inputs.participations is not None and inputs.researchers is not None:
        _domestic(mt, inputs, rules)
    return mt


def researchers_by_author(mt: MapTables, *, top: int = 10) -> pl.DataFrame:
    """Korea's key researchers of the field by field-normalised citations (OpenAlex author ids):
    for exploring in the notebook, never published (the ids single people out)."""
    if mt.bibliometrics is None:
        raise ValueError("no bibliometrics in this map")
    return key_researchers(mt.bibliometrics, value=mt.spec.field, country=mt.spec.country, top=top)


def _domestic(mt: MapTables, inputs: Inputs, rules: privacy.DisclosureRules) -> None:
    spec, years = mt.spec, list(mt.spec.years)
    assert inputs.participations is not None and inputs.researchers is not None
    panel_all = activity_panel(inputs.participations, inputs.researchers, years=years)
    panel = panel_all.filter(pl.col("field_code") == spec.field)
    totals = privacy.disclose(
        headcount(panel, ["year"]), count="researchers", rows="year", rules=rules, margins=False
    )
    mt.tables["headcount_by_year"] = totals
    mt.frames["headcount_growth"] = growth(
        totals.table.drop_nulls("researchers"), value="researchers"
    )
    for dim in HEADCOUNT_DIMS:
        mt.tables[f"headcount_by_{dim}"] = disclosed_headcount(
            panel, dim, rules=rules, years=years[-1:]
        )
    mt.tables["career_pyramid"] = privacy.disclose(
        career_pyramid(panel, year=years[-1]),
        count="researchers",
        rows="age_band",
        cols="sex",
        rules=rules,
        margins=False,
    )
    conc = institution_concentration(panel, top_k=spec.top_k_institutions)
    mt.tables["institution_concentration"] = privacy.disclose(
        concentration_table(conc).drop("field_code"),
        count="researchers",
        rows="year",
        cols="group",
        rules=rules,
    )
    mt.tables["entrants_leavers"] = privacy.disclose(
        entrants_leavers(inputs.participations, years=years)
        .filter(pl.col("field_code") == spec.field)
        .drop("field_code"),
        count="researchers",
        rows="year",
        cols="flow",
        rules=rules,
        margins=False,
    )
    mt.tables["field_overlap"] = privacy.disclose(
        field_overlap(panel_all, years=years)
        .filter(pl.col("field_a") == spec.field)
        .select("field_b", "researchers"),
        count="researchers",
        rows="field_b",
        rules=rules,
        margins=False,
    )


def published_key_numbers(
    mt: MapTables, rules: privacy.DisclosureRules | None = None
) -> dict[str, Any]:
    """The map's key numbers for the brief and the 12-field summary, read from published cells
    only (a suppressed number is None, never zero)."""
    spec = mt.spec
    out: dict[str, Any] = {
        **mt.global_numbers,
        "field_ko": taxonomy.label("strategic_tech", spec.field, level="field"),
        "years": list(spec.years),
        "classification": mt.classification,
        "quarantine": mt.quarantine,
    }
    totals = mt.tables.get("headcount_by_year")
    if totals is not None:
        last = totals.table.filter(
            (pl.col("year") == spec.years[-1]) & ~pl.col("researchers_suppressed")
        )["researchers"]
        g = mt.frames.get("headcount_growth")
        out["domestic"] = {
            "researchers_last_year": int(last[0]) if last.len() and last[0] is not None else None,
            "headcount_growth": g["growth"][0] if g is not None and g.height else None,
            "suppressed_cells": {name: t.log.height for name, t in mt.tables.items()},
        }
    if rules is not None:
        out["disclosure_rules"] = {
            "min_count": rules.min_count,
            "min_count_magnitude": rules.min_count_magnitude,
        }
    return out


__all__ = [
    "HEADCOUNT_DIMS",
    "MapSpec",
    "MapTables",
    "map_tables",
    "published_key_numbers",
    "researchers_by_author",
]
