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
    collaboration_network,
    global_key_numbers,
    key_institutions,
    key_researchers,
    korea_vs_leader,
    select_countries,
    share_over_time,
    talent_flow,
    topic_trends,
)
from .domestic import (
    career_pyramid,
    disclosed_headcount,
    growth,
    headcount,
    institution_groups,
)
from .inputs import Inputs
from .world import World, build_world

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
    source: Inputs | World,
    spec: MapSpec,
    *,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008 - frozen
    data_dir: str | Path | None = None,
) -> MapTables:
    """Every table of one field's workforce map (classification, global bibliometrics, domestic
    head counts), people-counting ones through ``privacy.disclose`` with ``rules``.

    ``source``: the validated inputs, or the ``World`` all fields share (``prepare_world``:
    made once per batch run); ``data_dir`` (with inputs): the synthetic truth labels that
    measure the classification."""
    f, c = spec.field, spec.country
    if isinstance(source, Inputs):
        world = build_world(source, spec.years, salt=rules.cell_key_salt, truth_dir=data_dir)
    else:
        world = source
        if world.years != (int(spec.years[0]), int(spec.years[-1])):
            raise ValueError(f"the shared map data are for {world.years}, the map for {spec.years}")
    mt = MapTables(spec=spec, quarantine=world.quarantine, classification=world.classification)

    # -- the world ------------------------------------------------------------------------
    b = world.bibliometrics
    mt.bibliometrics = b
    output = world.country_output.filter(pl.col("field_code") == f)
    ranked = select_countries(output, n=spec.top_countries, include=spec.include)
    mt.frames["country_ranking"] = ranked
    mt.public["country_ranking"] = ranked.select(
        "country_code", "rank_top10", "top10_share", "pub_share", "pp_top10", "mncs",
        "papers_full", "papers_frac",
    )  # fmt: skip
    by_year = world.country_output_by_year.filter(pl.col("field_code") == f)
    leader = output.filter(pl.col("rank_top10") == 1)["country_code"].to_list()
    mt.frames["share_over_time"] = share_over_time(by_year, countries=[c, *leader])
    mt.public["korea_vs_leader"] = korea_vs_leader(by_year, country=c)
    ai = world.activity_index.filter((pl.col("field_code") == f) & (pl.col("country_code") == c))
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
    mt.public["collaboration"] = world.collaboration.filter(
        (pl.col("field_code") == f) & pl.col("country_code").is_in([*spec.include, WORLD])
    )
    mt.public["korea_partners"] = network.filter(
        (pl.col("country_a") == c) | (pl.col("country_b") == c)
    ).sort("association_strength", descending=True)
    mt.public["key_institutions"] = key_institutions(b, value=f, top=10)
    mt.public["topic_trends"] = topic_trends(b, field_code=f, country=c).head(15)
    mt.global_numbers = global_key_numbers(
        b, field_code=f, country=c, output=world.country_output, collab=world.collaboration,
        ai=world.activity_index,
    )  # fmt: skip
    # people who moved count people: disclosed like the domestic tables
    mt.tables["talent_flow_korea"] = _disclosed(
        "talent_flow_korea",
        talent_flow(world.author_moves, country=c, salt=rules.cell_key_salt),
        spec,
        rules,
        rows="partner_country",
        cols="direction",
    )

    # -- Korea's own R&D workforce ----------------------------------------------------------
    if world.panel is not None:
        _domestic(mt, world, rules)
    return mt


def researchers_by_author(mt: MapTables, *, top: int = 10) -> pl.DataFrame:
    """Korea's key researchers of the field by field-normalised citations (OpenAlex author ids):
    for exploring in the notebook, never published (the ids single people out)."""
    if mt.bibliometrics is None:
        raise ValueError("no bibliometrics in this map")
    return key_researchers(mt.bibliometrics, value=mt.spec.field, country=mt.spec.country, top=top)


def population(name: str, spec: MapSpec) -> dict[str, Any] | None:
    """What a domestic head-count table counts, in the ledger form of ``audit.Population``
    (researchers active in the field per year, at one institution each); None for tables that
    are no partition of it (entrants and leavers, field overlap, author moves)."""
    last = [str(spec.years[-1])]
    own = {"field_code": [spec.field]}
    dims: dict[str, str]
    filters: dict[str, list[str]] = dict(own)
    if name == "headcount_by_year":
        dims = {"year": "year"}
    elif name == "institution_concentration":
        dims = {"year": "year", "group": f"institution_group_top{spec.top_k_institutions}"}
    elif name == "career_pyramid":
        dims, filters["year"] = {"age_band": "age_band", "sex": "sex"}, last
    elif name.removeprefix("headcount_by_") in HEADCOUNT_DIMS:
        dim = name.removeprefix("headcount_by_")
        dims, filters["year"] = {"year": "year", dim: dim}, last
    else:
        return None
    universe = ["workforce", privacy.DATA_TOKEN, f"years={list(spec.years)}"]
    return {"universe": universe, "dims": dims, "recodes": {}, "filters": filters}


def _disclosed(
    name: str,
    counts: pl.DataFrame,
    spec: MapSpec,
    rules: privacy.DisclosureRules,
    *,
    rows: str,
    cols: str | None = None,
    margins: bool = True,
    partition: bool | str = True,
) -> privacy.DisclosedTable:
    """A people count of the map (with its cell keys) through disclosure control, stamped with
    what it counts (``population``); ``partition`` as in ``privacy.disclose``."""
    return privacy.disclose(
        counts,
        count="researchers",
        rows=rows,
        cols=cols,
        rules=rules,
        margins=margins,
        partition=partition,
        cell_key="cell_key",
        population=population(name, spec),
    )


def _domestic(mt: MapTables, world: World, rules: privacy.DisclosureRules) -> None:
    spec, years = mt.spec, list(mt.spec.years)
    salt = rules.cell_key_salt
    assert world.panel is not None and world.flows is not None and world.overlap is not None
    panel = world.panel.filter(pl.col("field_code") == spec.field)
    t = mt.tables
    # margins off where one person is counted in several cells (every year, entrant and leaver)
    t["headcount_by_year"] = _disclosed(
        "headcount_by_year", headcount(panel, ["year"], salt=salt), spec, rules, rows="year",
        margins=False, partition=False,  # the same people every year
    )  # fmt: skip
    mt.frames["headcount_growth"] = growth(
        t["headcount_by_year"].table.drop_nulls("researchers"), value="researchers"
    )
    for dim in HEADCOUNT_DIMS:
        name = f"headcount_by_{dim}"
        t[name] = disclosed_headcount(
            panel, dim, rules=rules, years=years[-1:], population=population(name, spec)
        )
    t["career_pyramid"] = _disclosed(
        "career_pyramid", career_pyramid(panel, year=years[-1], salt=salt), spec, rules,
        rows="age_band", cols="sex", margins=False,
    )  # fmt: skip
    grouped = institution_groups(panel, top_k=spec.top_k_institutions)
    t["institution_concentration"] = _disclosed(
        "institution_concentration", headcount(grouped, ["year", "group"], salt=salt), spec,
        rules, rows="year", cols="group",
    )  # fmt: skip
    t["entrants_leavers"] = _disclosed(
        "entrants_leavers",
        world.flows.filter(pl.col("field_code") == spec.field).drop("field_code"),
        spec, rules, rows="year", cols="flow", margins=False,
    )  # fmt: skip
    t["field_overlap"] = _disclosed(
        "field_overlap",
        world.overlap.filter(pl.col("field_a") == spec.field).select("field_b", "researchers", "cell_key"),
        spec, rules, rows="field_b", margins=False,
        partition=False,  # a researcher active in several other fields counts in each
    )  # fmt: skip


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
    "population",
    "published_key_numbers",
    "researchers_by_author",
]
