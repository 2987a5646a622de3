"""Career flows of R&D participants: where each field's people go after their projects, at what pay.

Definitions (the same as the generator's truth.json, so tests can check recovery):
- exit date: end of a person's last participation in the field (technologies optional);
- observed: the person is linked to at least one employment-insurance (EI) spell; people with no
  EI record at all (professors, civil servants, people abroad, …) are *not observed*, never
  *not employed*;
- employed at h months: an insured spell covers exit + h months (acquired_on ≤ t ≤ lost_on, open
  spells run on); horizons are only computed for cohorts whose exit + h lies within the data;
- main job: the covering spell with the highest monthly wage (several jobs at once happen);
- first job: the first insured spell starting no earlier than 60 days before the exit that pays at
  least the legal monthly minimum wage of its start year (student part-time jobs excluded);
- time to first job: Kaplan–Meier over observed student researchers, censored at the data end.
Every table meant for publication is returned as a `privacy.DisclosedTable`. Every count of
people is made by one helper (``cellkey.count_people``), so the same people give the same cell
key in every table; each table says which population it counts (``population``) for the
release auditor.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl

from . import cellkey, config, io, privacy, taxonomy
from .linkage import LinkedData

HORIZONS = (6, 12, 36)
_T = TypeVar("_T")
MONTH_DAYS = 30.44
FIRST_JOB_LEAD_DAYS = 60
INDUSTRY_TYPES = ("LARGE", "MIDSIZE", "SME", "VENTURE")

# published wage quantiles are rounded to 10,000 won (만원): an interpolated quantile's last
# digits would tell how many people a group has, modulo a small number
WAGE_ROUND = 10_000


@dataclass(frozen=True)
class CohortSpec:
    """Who is followed: a field (and optionally technologies), exit years, roles and degrees."""

    field: str
    techs: tuple[str, ...] | None = None
    exit_years: tuple[int, int] = (2013, 2023)
    roles: tuple[str, ...] | None = None
    degrees: tuple[str, ...] | None = None
    data_end: date = date(2023, 12, 31)


@dataclass
class CareerTables:
    """All publishable career-flow tables of one cohort, plus the cohort size for the record."""

    spec: CohortSpec
    tables: dict[str, privacy.DisclosedTable] = field(default_factory=dict)
    key_numbers: dict[str, Any] = field(default_factory=dict)


# -- cohort and states --------------------------------------------------------------------------


def cohort(linked: LinkedData, spec: CohortSpec) -> pl.DataFrame:
    """One row per person who participated in the field: exit date, exit role, origin, degree."""
    p = linked.participations.lazy().filter(pl.col("field_code") == spec.field)
    if spec.techs:
        p = p.filter(pl.col("tech_code").is_in(list(spec.techs)))
    # the last participation; two ending the same day are told apart by their id, never by the
    # order the rows came in (same data, same tables)
    last = ["end_date", "participation_id"]
    exits = p.group_by("researcher_id").agg(
        pl.col("end_date").max().alias("exit_date"),
        pl.col("role").sort_by(last).last().alias("exit_role"),
        pl.col("institution_type").sort_by(last).last().alias("origin_type"),
        pl.col("tech_code").sort_by(last).last().alias("tech_code"),
        pl.len().alias("n_participations"),
    )
    c = (
        exits.join(
            linked.researchers.lazy().select("researcher_id", "degree", "birth_year", "sex"),
            on="researcher_id",
            how="inner",
        )
        .join(
            linked.links.lazy()
            .select("researcher_id")
            .with_columns(pl.lit(True).alias("observed")),
            on="researcher_id",
            how="left",
        )
        .with_columns(
            pl.col("observed").fill_null(False),
            pl.col("exit_date").dt.year().alias("exit_year"),
            pl.lit(spec.field).alias("field_code"),
        )
        .filter(pl.col("exit_year").is_between(*spec.exit_years))
    )
    if spec.roles:
        c = c.filter(pl.col("exit_role").is_in(list(spec.roles)))
    if spec.degrees:
        c = c.filter(pl.col("degree").is_in(list(spec.degrees)))
    return c.collect()


def _horizon_days(months: int) -> int:
    return int(months * MONTH_DAYS)


def states_at(
    c: pl.DataFrame,
    spells: pl.DataFrame,
    months: int | list[int],
    data_end: date,
    annual_wages: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Each cohort member's state at exit + months, for one or several horizons at once.

    Only members whose horizon lies within the data are returned (later ones are censored, not
    counted as anything). The wage is the one reported for the calendar year of exit + months
    (annual wage reports) when available, else the wage at hiring; the main job is the covering
    spell with the highest such wage.
    """
    horizons = pl.LazyFrame(
        {"months": [months] if isinstance(months, int) else list(months)},
        schema={"months": pl.Int32},
    )
    t = (
        c.lazy()
        .join(horizons, how="cross")
        .with_columns(
            (
                pl.col("exit_date")
                + pl.duration(days=(pl.col("months") * MONTH_DAYS).cast(pl.Int64))
            ).alias("t")
        )
        .filter(pl.col("t") <= pl.lit(data_end))
    )
    own = spells.lazy().join(c.lazy().select("researcher_id"), on="researcher_id", how="semi")
    cov = (
        t.select("researcher_id", "months", "t")
        .join(own, on="researcher_id", how="inner")
        .filter(
            (pl.col("acquired_on") <= pl.col("t"))
            & (pl.col("lost_on").is_null() | (pl.col("lost_on") >= pl.col("t")))
        )
    )
    if annual_wages is not None:
        aw = annual_wages.lazy().join(own.select("spell_id"), on="spell_id", how="semi")
        cov = (
            cov.with_columns(pl.col("t").dt.year().cast(annual_wages.schema["year"]).alias("year"))
            .join(aw.rename({"wage_monthly": "_w_year"}), on=["spell_id", "year"], how="left")
            .with_columns(pl.coalesce("_w_year", "wage_monthly").alias("wage_monthly"))
            .drop("_w_year", "year")
        )
    # the main job: the highest wage (wages are never null: the contract), equal wages told
    # apart by the smallest spell id: with the spells in spell-id order, the first maximum
    job = ["employer_id", "employer_type", "firm_size", "ksic", "occupation", "wage_monthly"]
    main = (
        cov.sort("spell_id")
        .group_by("researcher_id", "months")
        .agg(pl.len().alias("n_jobs"), pl.col(*job, "region").get(pl.col("wage_monthly").arg_max()))
    )
    sectors = {r["code"]: r["sector"] for r in taxonomy.load("institution_types")["codes"]}
    return (
        t.join(main, on=["researcher_id", "months"], how="left")
        .with_columns(
            pl.when(~pl.col("observed"))
            .then(pl.lit("not_observed"))
            .when(pl.col("employer_type").is_null())
            .then(pl.lit("no_insured_job"))
            .otherwise(pl.lit("employed"))
            .alias("state"),
        )
        .with_columns(pl.col("employer_type").replace_strict(sectors, default=None).alias("sector"))
        .collect()
    )


def first_jobs(c: pl.DataFrame, spells: pl.DataFrame, data_end: date) -> pl.DataFrame:
    """Months from exit to the first full-time insured job; censored at the data end (event=False)."""
    mw = {int(r["code"]): int(r["monthly_krw"]) for r in taxonomy.load("minimum_wage")["codes"]}
    lo, hi = min(mw), max(mw)
    first = (
        c.lazy()
        .select("researcher_id", "exit_date")
        .join(
            spells.lazy().select(
                "researcher_id", "acquired_on", "employer_type", "spell_id", "wage_monthly"
            ),
            on="researcher_id",
            how="inner",
        )
        .filter(
            (pl.col("acquired_on") >= pl.col("exit_date") - pl.duration(days=FIRST_JOB_LEAD_DAYS))
            & (
                pl.col("wage_monthly")
                >= pl.col("acquired_on")
                .dt.year()
                .clip(lo, hi)
                .replace_strict(mw, return_dtype=pl.Int64)
            )
        )
        # the first: the earliest start, the smallest spell id among equal starts
        .group_by("researcher_id")
        .agg(pl.col("acquired_on", "employer_type").sort_by(["acquired_on", "spell_id"]).first())
        .select(
            "researcher_id",
            pl.col("acquired_on").alias("first_job_on"),
            pl.col("employer_type").alias("first_job_type"),
        )
    )
    return (
        c.lazy()
        .join(first, on="researcher_id", how="left")
        .with_columns(
            pl.col("first_job_on").is_not_null().alias("event"),
            (
                (pl.coalesce("first_job_on", pl.lit(data_end)) - pl.col("exit_date"))
                .dt.total_days()
                .clip(lower_bound=0)
                / MONTH_DAYS
            ).alias("months"),
        )
        .collect()
    )


def kaplan_meier(times: np.ndarray, events: np.ndarray) -> pl.DataFrame:
    """Kaplan–Meier survival (still without a first job) at each distinct event time."""
    t = np.asarray(times, dtype=float)
    e = np.asarray(events).astype(bool)
    uniq, d = np.unique(t[e], return_counts=True)
    at_risk = t.size - np.searchsorted(np.sort(t), uniq, side="left")
    surv = np.cumprod(1.0 - d / np.maximum(at_risk, 1))
    return pl.DataFrame({"months": uniq, "at_risk": at_risk, "events": d, "survival": surv})


SHARE_DIGITS = 2  # published Kaplan-Meier shares: whole percentage points


def first_job_steps(
    fj: pl.DataFrame, curve: pl.DataFrame, rules: privacy.DisclosureRules, horizon: int = 36
) -> pl.DataFrame:
    """The Kaplan–Meier curve as it may be published: whole months pooled into steps that each
    hold at least ``min_count`` first jobs (a step of 1-4 people could be read back from the
    shares), one row per step (``months``: its last month) with the share with a first job at
    its end, the first jobs within it and the people at risk at its start.

    The counts are protected like every count: with cell keys (``at_risk`` perturbed by
    ``disclose``, ``first_jobs`` here, each on the key of its own people) or, under suppression,
    ``at_risk`` rounded down to a multiple of ``min_count`` (a row's ``at_risk`` minus the next
    one's minus its first jobs would otherwise give the people censored in the step: few, and
    exactly). The shares are rounded to whole percentage points: an exact share is a ratio of
    small integers (the first step's is first jobs / people at risk) that would give the
    protected counts back. Months after the last full step are not published.
    """
    t = rules.min_count
    months = fj["months"].to_numpy()
    events = fj["event"].to_numpy().astype(bool)
    step_of = np.ceil(months - 1e-9).clip(0, None)  # an event at 2.3 months counts at month 3
    ids = fj["researcher_id"]
    rows: list[dict[str, Any]] = []
    start, acc = 0.0, 0
    for m in range(horizon + 1):
        acc += int(((step_of == m) & events).sum())
        if acc < t:
            continue
        rows.append(
            {
                "months": str(m),
                "_from": start,
                "_to": float(m),
                "first_jobs": acc,
                "share_with_first_job": round(1.0 - km_at(curve, float(m)), SHARE_DIGITS),
            }
        )
        start, acc = float(m), 0
    if not rows:
        return pl.DataFrame()
    cell_key = rules.method == "cell_key"
    out = []
    for i, r in enumerate(rows):
        # at risk at the step's start: everyone in the first step, then those past the last one
        at_risk = np.ones(len(months), bool) if i == 0 else step_of > r["_from"]
        in_step = events & (step_of > (r["_from"] if i else -1.0)) & (step_of <= r["_to"])
        row = {k: v for k, v in r.items() if not k.startswith("_")}
        row["at_risk"] = int(at_risk.sum())
        if cell_key:
            keys = cellkey.record_keys(ids.filter(pl.Series(at_risk)), rules.cell_key_salt)
            jobs = cellkey.record_keys(ids.filter(pl.Series(in_step)), rules.cell_key_salt)
            row["cell_key"] = int(keys.cast(pl.Int64).sum()) % cellkey.KEY_RANGE
            jk = int(jobs.cast(pl.Int64).sum()) % cellkey.KEY_RANGE
            row["first_jobs"] += cellkey.perturbation([row["first_jobs"]], [jk], t)[0]
        else:
            row["at_risk"] -= row["at_risk"] % t
        out.append(row)
    if cell_key:
        # the shares from the published counts (a life table over the steps: the people at risk
        # at each step's start, perturbed as disclose will, and the perturbed first jobs); of the
        # true curve they gave the noise of both counts back
        surv = 1.0
        for row in out:
            n = row["at_risk"] + cellkey.perturbation([row["at_risk"]], [row["cell_key"]], t)[0]
            surv *= 1.0 - min(row["first_jobs"] / n, 1.0) if n > 0 else 1.0
            row["share_with_first_job"] = round(1.0 - surv, SHARE_DIGITS)
    return pl.DataFrame(out).with_columns(
        pl.col("at_risk").cast(pl.Int64),
        pl.col("first_jobs").cast(pl.Int64),
        pl.lit(0.0).alias("top_share"),  # a share of people, no contributor dominates
    )


def km_median(curve: pl.DataFrame) -> float | None:
    """First time survival falls to 0.5 or below (None if it never does within the data)."""
    hit = curve.filter(pl.col("survival") <= 0.5)
    return float(hit["months"][0]) if hit.height else None


def km_at(curve: pl.DataFrame, months: float) -> float:
    """Survival at a time (1 before the first event)."""
    s = curve.filter(pl.col("months") <= months)
    return float(s["survival"][-1]) if s.height else 1.0


# -- publishable tables ---------------------------------------------------------------------------


def _own_industries(field_code: str) -> frozenset[str]:
    return taxonomy.own_industry_codes(field_code, level=5)


# What each table counts, for the release auditor (``audit.Population``): every career table
# counts (person, field, months after exit) of one cohort; ``destination`` is the employer type
# when employed, else the state; ``followed_36m`` tells the people followed for the whole 36
# months (the monthly curve counts only them, the 36-month tables can hold no others).
_EMPLOYED12 = {"horizon": "12", "destination": "employed"}
_TABLE_DIMS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    **{
        f"status_{h}m_by_{d}": ({d: d, "state": "destination"}, {"horizon": str(h)})
        for h in HORIZONS
        for d in ("exit_role", "degree")
    },
    "monthly_status": ({"months": "horizon", "status": "destination"}, {"followed_36m": "yes"}),
    "destination_employer_type_12m": ({"employer_type": "destination"}, _EMPLOYED12),
    "destination_firm_size_12m": ({"firm_size": "firm_size"}, _EMPLOYED12),
    "destination_industry_12m": ({"ksic_division": "ksic_division"}, _EMPLOYED12),
    "destination_occupation_12m": ({"keco_minor": "keco_minor"}, _EMPLOYED12),
    "wage_12m_by_degree": ({"degree": "degree"}, _EMPLOYED12),
    "wage_12m_by_employer_type": ({"employer_type": "destination"}, _EMPLOYED12),
    "wage_12m_by_firm_size": ({"firm_size": "firm_size"}, _EMPLOYED12),
    "retention_12m": (
        {"employer_group": "destination", "industry_group": "industry_group"},
        _EMPLOYED12,
    ),
    "flow_origin_to_destination_12m": (
        {"origin_type": "origin_type", "destination": "destination"},
        {"horizon": "12"},
    ),
    "flow_role_to_destination_12m": (
        {"exit_role": "exit_role", "destination": "destination"},
        {"horizon": "12"},
    ),
    # its not_observed row is destination not_observed, which a population cannot say: the
    # table hides that row when the status tables hide it (career_tables)
    "employers_within_36m": ({"employers_36m": "employers_36m"}, {"horizon": "36"}),
    # the 12-field comparison: whole cohorts of every field
    "fields_status_12m": ({"field_code": "field_code", "state": "destination"}, {"horizon": "12"}),
    "fields_employer_type_12m": (
        {"field_code": "field_code", "employer_type": "destination"},
        _EMPLOYED12,
    ),
    "fields_wage_12m": ({"field_code": "field_code"}, _EMPLOYED12),
}


def population(name: str, spec: CohortSpec) -> dict[str, Any] | None:
    """What a career table counts, in the ledger form of ``audit.Population`` (None for tables
    that are no partition of the cohort: wage growth, time to first job). Tables with the same
    ``universe`` count the same units; ``privacy.DATA_TOKEN`` stands for the data's fingerprint."""
    if name not in _TABLE_DIMS:
        return None
    dims, where = _TABLE_DIMS[name]
    comparison = name.startswith("fields_")
    codes = taxonomy.load("institution_types")["codes"]
    employed = sorted(str(r["code"]) for r in codes)
    sectors: dict[str, list[str]] = {}
    for r in codes:
        sectors.setdefault(str(r["sector"]), []).append(str(r["code"]))
    groups: dict[str, dict[str, list[str]]] = {
        "state": {"employed": employed},
        "status": {k: sorted(v) for k, v in sectors.items()},
        "employer_group": {
            "industry": sorted(INDUSTRY_TYPES),
            "non_industry": sorted(set(employed) - set(INDUSTRY_TYPES)),
        },
    }
    value_sets = {"employed": employed}
    # the comparison ignores technologies and roles: only the exit years define its cohorts
    techs = None if comparison or not spec.techs else list(spec.techs)
    filters: dict[str, list[str]] = {}
    if not comparison:
        filters["field_code"] = [spec.field]
        if spec.roles:
            filters["exit_role"] = sorted(spec.roles)
        if spec.degrees:
            filters["degree"] = sorted(spec.degrees)
    for a, v in where.items():
        filters[a] = value_sets.get(v, [v])
    if "followed_36m" not in filters:
        filters["followed_36m"] = ["yes"] if where.get("horizon") == "36" else ["no", "yes"]
    return {
        "universe": [
            "career",
            privacy.DATA_TOKEN,
            f"exit_years={list(spec.exit_years)}",
            f"techs={techs}",
        ],
        "dims": dict(dims),
        "recodes": {c: groups[c] for c in dims if c in groups},
        "filters": filters,
    }


def _count_people(
    df: pl.DataFrame | pl.LazyFrame,
    by: list[str],
    rules: privacy.DisclosureRules,
    count: str = "people",
) -> pl.DataFrame:
    """People per cell with their cell key (``cellkey.count_people`` on ``researcher_id``)."""
    return cellkey.count_people(df, by, ids="researcher_id", salt=rules.cell_key_salt, count=count)


def _people(
    df: pl.DataFrame | pl.LazyFrame,
    rows: str,
    cols: str | None = None,
    *,
    rules: privacy.DisclosureRules,
    name: str,
    spec: CohortSpec,
    margins: bool | str = True,
    forced: Mapping[str, pl.DataFrame] | None = None,
    memo: dict[Any, Any] | None = None,
) -> privacy.DisclosedTable:
    """Count people per cell (rows × cols) and pass the table through disclosure control;
    ``forced`` names, per table, cells hidden because the same people are hidden elsewhere.
    ``memo`` keeps the counts (a table's cells, whatever is hidden) for the next round."""
    keys = [rows] if cols is None else [rows, cols]
    mkey = ("people", name, tuple(keys), rules.cell_key_salt)
    counted = None if memo is None else memo.get(mkey)
    if counted is None:
        counted = _count_people(df, keys, rules)
        if memo is not None:
            memo[mkey] = counted
    return privacy.disclose(
        counted,
        count="people",
        rows=rows,
        cols=cols,
        rules=rules,
        cell_key="cell_key",
        population=population(name, spec),
        margins=margins,
        hide=(forced or {}).get(name),
    )


def _wages(
    people: pl.DataFrame | pl.LazyFrame,
    dim: str,
    value: str,
    *,
    rules: privacy.DisclosureRules,
    name: str,
    spec: CohortSpec,
    extra: pl.DataFrame | None = None,
    magnitudes: list[str] | None = None,
    counts: privacy.DisclosedTable | None = None,
    employed: str | None = None,
    forced: Mapping[str, pl.DataFrame] | None = None,
    memo: dict[Any, Any] | None = None,
) -> privacy.DisclosedTable:
    """A wage table by ``dim``: head count (with cell keys, like every count) and quantiles of
    ``value`` (or ``extra``'s magnitudes joined on ``dim``), through disclosure control.

    ``counts`` is the table that already publishes these head counts (its ``employed`` column,
    or its only count): the head counts it hides are hidden here too. ``memo`` keeps the
    statistics (whatever is hidden) for the next round."""
    share = f"{value}_top_share"
    mkey = ("wages", name, dim, value, rules.cell_key_salt)
    cells = None if memo is None else memo.get(mkey)
    if cells is None:
        stats = privacy.magnitude_stats(people, [dim], value, round_to=WAGE_ROUND)
        keys = _count_people(people.filter(pl.col(value).is_not_null()), [dim], rules, "n_people")
        if extra is not None:
            stats = stats.select(dim, "n_people", share).join(extra, on=dim, how="left")
        cells = stats.join(keys.select(dim, "cell_key"), on=dim, how="left").sort(dim)
        if memo is not None:
            memo[mkey] = cells
    mags = magnitudes or [f"{value}_p25", f"{value}_p50", f"{value}_p75"]
    hidden = []
    if forced and name in forced:
        hidden.append(forced[name].select(dim))
    if counts is not None:
        df = counts.hidden()
        if employed is not None:
            df = df.filter(pl.col(employed) == "employed")
        hidden.append(df.select(dim))
    hide = pl.concat(hidden, how="vertical_relaxed") if hidden else None
    return privacy.disclose(
        cells,
        count="n_people",
        rows=dim,
        magnitudes=mags,
        top_share=share,
        rules=rules,
        cell_key="cell_key",
        population=population(name, spec),
        hide=hide,
    )


@dataclass
class _CohortFrames:
    """What one cohort's tables are counted from, none of it changed by what disclosure hides:
    ``release_family`` makes it once per field (and keeps the counted cells in ``memo``), not
    once per round, and the 12-field comparison reads its 12-month states."""

    spec: CohortSpec
    c: pl.DataFrame
    # (the states every 3 months are not kept: with 12 fields' cohorts held at once by
    # release_family they were the largest frame, and every table reads the ones below)
    states: pl.DataFrame  # at the HORIZONS
    monthly: pl.DataFrame  # the people followed for 36 months, every 3 months
    emp12: pl.DataFrame  # employed at 12 months, with KSIC division and KECO minor group
    ret: pl.DataFrame  # emp12 in own / other industries, industry / non-industry employers
    flow: pl.DataFrame  # everyone at 12 months with their destination
    growth: pl.DataFrame | None  # the wage growth 12 → 36 months of the same people
    moves: pl.DataFrame  # employers within 36 months of the people followed for 36 months
    first_jobs: pl.DataFrame | None  # observed students' months to a first job
    curve: pl.DataFrame | None  # their Kaplan–Meier curve
    key_numbers: dict[str, Any]
    memo: dict[Any, Any] = field(default_factory=dict)

    @property
    def states_12m(self) -> pl.DataFrame:
        return self.states.filter(pl.col("months") == 12)


def _cohort_frames(linked: LinkedData, spec: CohortSpec) -> _CohortFrames:
    """Every frame a cohort's tables count, each a lazy plan collected once."""
    c = cohort(linked, spec)
    spells = linked.spells
    kn: dict[str, Any] = {}
    kn["cohort"] = c.height
    kn["observed_share"] = float(c["observed"].mean()) if c.height else None

    # states every 3 months up to 36 (6, 12 and 36 among them), in one pass
    all_states = states_at(c, spells, list(range(0, 37, 3)), spec.data_end, linked.annual_wages)
    states = all_states.filter(pl.col("months").is_in(list(HORIZONS)))
    shares = (
        states.lazy()
        .filter(pl.col("observed"))
        .group_by("months")
        .agg(
            (pl.col("state") == "employed").mean().alias("share"),
            pl.len().alias("n"),
        )
        .collect()
    )
    by_h = {int(m): (s, n) for m, s, n in shares.iter_rows()}
    for h in HORIZONS:
        s, n = by_h.get(h, (None, 0))
        kn[f"employed_{h}m_share"] = float(s) if n else None
        kn[f"employed_{h}m_n"] = n

    # the monthly curve counts only the people followed for the whole 36 months
    followed = states.lazy().filter(pl.col("months") == 36).select("researcher_id")
    lazy_states = all_states.lazy()
    # each frame keeps only what its tables count (12 fields' frames are held at once)
    monthly = lazy_states.join(followed, on="researcher_id", how="semi").select(
        "researcher_id",
        pl.col("months").cast(pl.String),
        pl.when(pl.col("state") == "employed")
        .then(pl.col("sector"))
        .otherwise(pl.col("state"))
        .alias("status"),
    )
    at12 = lazy_states.filter(pl.col("months") == 12)
    emp12 = at12.filter(pl.col("state") == "employed").select(
        "researcher_id",
        "degree",
        "employer_type",
        "firm_size",
        "ksic",
        pl.col("ksic").str.slice(0, 2).alias("ksic_division"),
        pl.col("occupation").str.slice(0, 3).alias("keco_minor"),
        "wage_monthly",
    )
    own = _own_industries(spec.field)
    ret = emp12.with_columns(
        pl.when(pl.col("ksic").is_in(list(own)))
        .then(pl.lit("own"))
        .otherwise(pl.lit("other"))
        .alias("industry_group"),
        pl.when(pl.col("employer_type").is_in(INDUSTRY_TYPES))
        .then(pl.lit("industry"))
        .otherwise(pl.lit("non_industry"))
        .alias("employer_group"),
    ).select("researcher_id", "employer_group", "industry_group")
    flow = at12.select(
        "researcher_id",
        "origin_type",
        "exit_role",
        pl.when(pl.col("state") == "employed")
        .then(pl.col("employer_type"))
        .otherwise(pl.col("state"))
        .alias("destination"),
    )
    # wage growth: the same people's main job at 12 and 36 months
    emp36 = lazy_states.filter((pl.col("months") == 36) & (pl.col("state") == "employed"))
    panel = (
        emp12.select("researcher_id", "degree", pl.col("wage_monthly").alias("w12"))
        .join(
            emp36.select("researcher_id", pl.col("wage_monthly").alias("w36")), on="researcher_id"
        )
        .with_columns((pl.col("w36") / pl.col("w12") - 1).alias("wage_growth_12_36m"))
    )
    # employer changes within 36 months of exit, among everyone followed for 36 months (someone
    # whose spells all lie outside the window counts with 0 employers, not as missing; people
    # with no insurance record at all are their own row)
    h36 = c.lazy().filter(
        pl.col("exit_date") + pl.duration(days=_horizon_days(36)) <= pl.lit(spec.data_end)
    )
    in_window = (
        h36.select("researcher_id", "exit_date")
        .join(
            spells.lazy().select("researcher_id", "employer_id", "acquired_on", "lost_on"),
            on="researcher_id",
        )
        .filter(
            (pl.col("acquired_on") <= pl.col("exit_date") + pl.duration(days=_horizon_days(36)))
            & (pl.col("lost_on").is_null() | (pl.col("lost_on") >= pl.col("exit_date")))
        )
        .group_by("researcher_id")
        .agg(pl.col("employer_id").drop_nulls().n_unique().alias("employers"))
    )
    moves = (
        h36.select("researcher_id", "observed")
        .join(in_window, on="researcher_id", how="left")
        .with_columns(pl.col("employers").fill_null(0))
        .with_columns(
            pl.when(~pl.col("observed"))
            .then(pl.lit("not_observed"))
            .when(pl.col("employers") >= 3)
            .then(pl.lit("3+"))
            .otherwise(pl.col("employers").cast(pl.String))
            .alias("employers_36m")
        )
        .select("researcher_id", "employers_36m")
    )
    monthly_df, emp12_df, ret_df, flow_df, panel_df, moves_df = pl.collect_all(
        [monthly, emp12, ret, flow, panel, moves]
    )

    if emp12_df.height:
        kn["large_firm_share_12m"] = float((emp12_df["employer_type"] == "LARGE").mean())
        kn["median_wage_12m"] = float(emp12_df["wage_monthly"].median())
        kn["median_wage_12m_by_degree"] = {
            d: float(m)
            for d, m in emp12_df.group_by("degree")
            .agg(pl.col("wage_monthly").median())
            .sort("degree")
            .iter_rows()
        }
        kn["own_industry_share_12m"] = float((ret_df["industry_group"] == "own").mean())
        ind_only = ret_df.filter(pl.col("employer_group") == "industry")
        kn["own_industry_share_12m_industry"] = (
            float((ind_only["industry_group"] == "own").mean()) if ind_only.height else None
        )
    growth = panel_df if emp12_df.height and panel_df.height else None
    if growth is not None:
        kn["wage_growth_12_36m_median"] = float(growth["wage_growth_12_36m"].median())

    # time to first job for observed student researchers (Kaplan–Meier)
    st = c.filter((pl.col("exit_role") == "STUDENT") & pl.col("observed"))
    fj = curve = None
    if st.height:
        fj = first_jobs(st, spells, spec.data_end)
        curve = kaplan_meier(fj["months"].to_numpy(), fj["event"].to_numpy())
        kn["time_to_first_job_median_months"] = km_median(curve)
        kn["first_job_within_12m_share"] = 1.0 - km_at(curve, 12.0)
        kn["students_observed"] = st.height
    return _CohortFrames(
        spec=spec,
        c=c,
        states=states,
        monthly=monthly_df,
        emp12=emp12_df,
        ret=ret_df,
        flow=flow_df,
        growth=growth,
        moves=moves_df,
        first_jobs=fj,
        curve=curve,
        key_numbers=kn,
    )


def _career_tables(
    linked: LinkedData,
    spec: CohortSpec,
    rules: privacy.DisclosureRules,
    forced: Mapping[str, pl.DataFrame] | None = None,
    frames: _CohortFrames | None = None,
) -> CareerTables:
    """Every career-flow table of one cohort, each through disclosure control, hiding the
    ``forced`` cells besides (see ``release_family``); ``frames`` are the cohort's frames when
    made already."""
    d = frames if frames is not None else _cohort_frames(linked, spec)
    memo = d.memo
    out = CareerTables(spec=spec)
    t = out.tables
    out.key_numbers.update(copy.deepcopy(d.key_numbers))
    states = d.states

    # status at 6 / 12 / 36 months, by exit role and by degree
    for h in HORIZONS:
        at_h = states.filter(pl.col("months") == h)
        if not at_h.height:
            continue
        for dim in ("exit_role", "degree"):
            name = f"status_{h}m_by_{dim}"
            t[name] = _people(
                at_h, dim, "state", rules=rules, name=name, spec=spec, forced=forced, memo=memo
            )

    # monthly status curve 0..36 months after exit, by sector, of the people followed for the
    # whole 36 months: every month counts the same people, so a month's change is people moving
    # between states, never people entering or leaving the window (a row total would otherwise
    # drop by the few people whose exit falls in a 3-month window: a small count by subtraction)
    if d.monthly.height:
        # a person sits in every month's row: row totals only (over months they would count
        # person-months)
        t["monthly_status"] = _people(
            d.monthly,
            "months",
            "status",
            rules=rules,
            name="monthly_status",
            spec=spec,
            margins="rows",
            forced=forced,
            memo=memo,
        )

    emp12 = d.emp12
    if emp12.height:
        # destinations: employer type, firm size, industry (KSIC division), occupation (KECO minor group)
        for name, dim in (
            ("destination_employer_type_12m", "employer_type"),
            ("destination_firm_size_12m", "firm_size"),
            ("destination_industry_12m", "ksic_division"),
            ("destination_occupation_12m", "keco_minor"),
        ):
            t[name] = _people(
                emp12, dim, rules=rules, name=name, spec=spec, forced=forced, memo=memo
            )

        # wages of the main job at 12 months by degree, employer type and firm size; their head
        # counts are printed already (status by degree, destinations): hide what those hide
        for dim, counts, col in (
            ("degree", t.get("status_12m_by_degree"), "state"),
            ("employer_type", t["destination_employer_type_12m"], None),
            ("firm_size", t["destination_firm_size_12m"], None),
        ):
            name = f"wage_12m_by_{dim}"
            t[name] = _wages(
                emp12,
                dim,
                "wage_monthly",
                rules=rules,
                name=name,
                spec=spec,
                counts=counts,
                employed=col,
                forced=forced,
                memo=memo,
            )

        # retention in the field's own industries
        t["retention_12m"] = _people(
            d.ret,
            "employer_group",
            "industry_group",
            rules=rules,
            name="retention_12m",
            spec=spec,
            forced=forced,
            memo=memo,
        )

        # flows: origin institution type → destination sector; exit role → destination employer type
        for name, dim in (
            ("flow_origin_to_destination_12m", "origin_type"),
            ("flow_role_to_destination_12m", "exit_role"),
        ):
            t[name] = _people(
                d.flow,
                dim,
                "destination",
                rules=rules,
                name=name,
                spec=spec,
                forced=forced,
                memo=memo,
            )

    # wage growth: the same people's main job at 12 and 36 months
    g = d.growth
    if g is not None:
        growth = g.group_by("degree").agg(
            pl.col("wage_growth_12_36m").median().round(2).alias("wage_growth_median")
        )
        name = "wage_growth_12_36m_by_degree"
        t[name] = _wages(
            g,
            "degree",
            "w36",
            rules=rules,
            name=name,
            spec=spec,
            extra=growth,
            magnitudes=["wage_growth_median"],
            forced=forced,
            memo=memo,
        )

    # employer changes within 36 months of exit, among everyone followed for 36 months: the
    # table counts the same people as the 36-month status tables (a total of the observed only
    # would give their hidden not-observed count back by subtraction)
    if d.moves.height:
        # its not-observed row is the 36-month status tables' not-observed total: hidden alike
        s36 = t.get("status_36m_by_exit_role")
        same = (
            s36.table.filter(
                (pl.col("exit_role") == privacy.TOTAL)
                & (pl.col("state") == "not_observed")
                & pl.col("people_suppressed")
            ).height
            if s36 is not None
            else 0
        )
        hide = dict(forced or {})
        if same:
            extra = pl.DataFrame({"employers_36m": ["not_observed"]})
            prev = hide.get("employers_within_36m")
            hide["employers_within_36m"] = extra if prev is None else pl.concat([prev, extra])
        t["employers_within_36m"] = _people(
            d.moves,
            "employers_36m",
            rules=rules,
            name="employers_within_36m",
            spec=spec,
            forced=hide,
            memo=memo,
        )

    # time to first job for student researchers (Kaplan–Meier), pooled into steps of at least
    # min_count first jobs each, the number at risk in protected form
    if d.first_jobs is not None and d.curve is not None:
        mkey = ("first_job_steps", rules)
        steps = memo.get(mkey)
        if steps is None:
            steps = memo[mkey] = first_job_steps(d.first_jobs, d.curve, rules)
        if steps.height:
            t["time_to_first_job_students"] = privacy.disclose(
                steps,
                count="at_risk",
                rows="months",
                magnitudes=["first_jobs", "share_with_first_job"],
                top_share="top_share",
                rules=rules,
                margins=False,
                partition=False,  # the same students at risk month after month
                **({"cell_key": "cell_key"} if "cell_key" in steps.columns else {}),
            )
    return out


def career_tables(
    linked: LinkedData, spec: CohortSpec, rules: privacy.DisclosureRules | None = None
) -> CareerTables:
    """Every career-flow table of one cohort, each through disclosure control.

    A whole field's cohort (no technologies, roles or degrees chosen) is one brief of the
    release: its tables come from ``release_family``, consistent with every other field's and
    with the 12-field comparison. A narrower cohort is protected on its own.
    """
    rules = rules or privacy.DisclosureRules()
    if spec.techs is None and spec.roles is None and spec.degrees is None:
        fields = taxonomy.fields()["code"].to_list()
        if spec.field in fields:
            family, _ = release_family(
                linked, exit_years=spec.exit_years, rules=rules, data_end=spec.data_end
            )
            return family[spec.field]
    return _career_tables(linked, spec, rules)


def field_comparison(
    linked: LinkedData,
    fields: list[str] | None = None,
    exit_years: tuple[int, int] = (2013, 2023),
    rules: privacy.DisclosureRules | None = None,
) -> dict[str, privacy.DisclosedTable]:
    """All fields side by side: status at 12 months, employer type, and wages — each disclosed,
    consistent with the fields' own tables (``release_family``) when all fields are compared.

    Rates for a brief are computed from these published counts, so a suppressed count can never
    leak through a rate.
    """
    rules = rules or privacy.DisclosureRules()
    every = taxonomy.fields()["code"].to_list()
    if fields is None or sorted(fields) == sorted(every):
        _, comparison = release_family(linked, exit_years=tuple(exit_years), rules=rules)
        return comparison
    return _comparison(linked, fields, tuple(exit_years), rules)


# A release family is computed once per linked data, rules and cohort definition in a process.
_FAMILIES: dict[tuple[Any, ...], tuple[LinkedData, Any]] = {}
FAMILY_ROUNDS = 50


def release_family(
    linked: LinkedData,
    *,
    exit_years: tuple[int, int] = (2013, 2023),
    rules: privacy.DisclosureRules | None = None,
    data_end: date = CohortSpec.data_end,
) -> tuple[Mapping[str, CareerTables], dict[str, privacy.DisclosedTable]]:
    """Every field's career tables and the 12-field comparison as one family: a cell that
    counts the same people as a cell hidden in another table of the family (the comparison's
    row and the field's own total, a flow's column total and a destination, a wage table's head
    count) is hidden too, and the patterns are completed again, until nothing changes. So what
    one brief hides no other brief prints; every notebook run computes the same family and
    publishes its own field's part (in a batch run the first one finds the pattern and the
    others reuse it: ``_shared_family``). Identical cells are found by ``audit.same_cells`` from the
    tables' populations. The frames and counts are made once; a round recomputes only the
    briefs whose hidden cells changed.
    """
    rules = rules or privacy.DisclosureRules()
    key = (id(linked), tuple(exit_years), data_end, rules)
    hit = _FAMILIES.get(key)
    if hit is not None and hit[0] is linked:
        return hit[1]
    prepared = config.prepared_dir()
    if prepared:
        result = _shared_family(linked, tuple(exit_years), rules, data_end, prepared)
    else:
        family, comparison, *_ = _solve_family(linked, tuple(exit_years), rules, data_end)
        result = family, comparison
    if len(_FAMILIES) > 4:
        _FAMILIES.clear()
    _FAMILIES[key] = (linked, result)
    return result


_Forced = dict[str | None, dict[str, set[tuple[str, ...]]]]


def _linked_fingerprint(linked: LinkedData) -> str:
    """The linked data's content (row hashes summed: the order of rows does not matter)."""
    parts = []
    for name in ("researchers", "participations", "spells", "links", "annual_wages"):
        df = getattr(linked, name)
        if df is not None:
            parts.append([name, df.columns, df.height, int(df.hash_rows(seed=7).sum())])
    return io.content_key(parts)


class _FieldsOnDemand(Mapping[str, "CareerTables"]):
    """Every field's tables of a family whose hidden cells are known, each made when asked."""

    def __init__(self, fields: list[str], make: Callable[[str], CareerTables]) -> None:
        self._fields, self._make, self._made = fields, make, {}

    def __getitem__(self, f: str) -> CareerTables:
        if f not in self._fields:
            raise KeyError(f)
        if f not in self._made:
            self._made[f] = self._make(f)
        return self._made[f]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def _shared_family(
    linked: LinkedData,
    exit_years: tuple[int, int],
    rules: privacy.DisclosureRules,
    data_end: date,
    prepared: Path,
) -> tuple[Mapping[str, CareerTables], dict[str, privacy.DisclosedTable]]:
    """The family as a batch run shares it: the first field's notebook finds the consistent
    pattern (all fields, rounds until nothing changes) and keeps the cells it had to hide in
    the run's prepared folder; every other field waits on the lock, reads them and makes only
    its own tables and the comparison with them: the same tables, without solving again."""
    fields = taxonomy.fields()["code"].to_list()
    key = io.content_key(
        [
            _linked_fingerprint(linked),
            list(exit_years),
            str(data_end),
            rules.public(),
            FAMILY_VERSION,
        ]
    )
    path = prepared / "careers" / f"family-{key}.json"
    states_path = path.with_suffix(".states12.parquet")
    with io.exclusive(path.with_suffix(".lock")):
        if not path.exists():
            family, comparison, forced, dims_of, states12 = _solve_family(
                linked, exit_years, rules, data_end
            )
            if states12 is not None:  # what the comparison counts: the others need not
                io.write_parquet_atomic(  # compute every field's cohort and states again
                    pl.concat(
                        s.select("researcher_id", "field_code", *_COMPARED)
                        for s in states12.values()
                    ),
                    states_path,
                )
            io.write_json_atomic(
                {
                    "dims": dims_of,
                    "hidden": [
                        [owner, name, sorted(list(c) for c in cells)]
                        for owner, tables in sorted(forced.items(), key=lambda x: str(x[0]))
                        for name, cells in sorted(tables.items())
                    ],
                },
                path,
            )
            return family, comparison
    saved = json.loads(path.read_text(encoding="utf-8"))
    dims_of = {k: list(v) for k, v in saved["dims"].items()}
    forced: _Forced = {}
    for owner, name, cells in saved["hidden"]:
        forced.setdefault(owner, {})[name] = {tuple(c) for c in cells}

    def frames(owner: str | None) -> dict[str, pl.DataFrame]:
        return {
            name: pl.DataFrame(sorted(cells), schema=dims_of[name], orient="row")
            for name, cells in forced.get(owner, {}).items()
        }

    def own(f: str) -> CareerTables:
        spec = CohortSpec(field=f, exit_years=exit_years, data_end=data_end)
        return _career_tables(linked, spec, rules, frames(f))

    states12 = None
    if states_path.exists():
        stacked = pl.read_parquet(states_path)
        states12 = {f: stacked.filter(pl.col("field_code") == f) for f in fields}
    comparison = _comparison(linked, fields, exit_years, rules, frames(None), states12, {})
    return _FieldsOnDemand(fields, own), comparison


# the columns of a field's 12-month states the 12-field comparison counts
_COMPARED = ("state", "employer_type", "wage_monthly")


# Changes when what the family hides for the same data and rules changes (a saved pattern of an
# earlier version is then not reused by a resumed run).
FAMILY_VERSION = 2


def _solve_family(
    linked: LinkedData,
    exit_years: tuple[int, int],
    rules: privacy.DisclosureRules,
    data_end: date,
) -> tuple[
    dict[str, CareerTables],
    dict[str, privacy.DisclosedTable],
    _Forced,
    dict[str, list[str]],
    dict[str, pl.DataFrame] | None,
]:
    """The rounds of ``release_family``: tables, comparison, the cells hidden to match, dims,
    and the fields' 12-month states the comparison counted (None when it made its own)."""
    from talentlib import audit

    fields = taxonomy.fields()["code"].to_list()
    # what no hidden cell changes is made once: each field's frames and counted cells
    specs = {
        f: CohortSpec(field=f, exit_years=tuple(exit_years), data_end=data_end) for f in fields
    }
    cohorts = {f: _cohort_frames(linked, specs[f]) for f in fields}
    # the comparison's cohorts end at the default data end: the fields' 12-month states when
    # theirs does too
    states12 = (
        {f: cohorts[f].states_12m for f in fields} if data_end == CohortSpec.data_end else None
    )
    comparison_memo: dict[Any, Any] = {}
    # per owner (a field, None for the comparison) and table: the cells hidden to match
    forced: _Forced = {}
    dims_of: dict[str, list[str]] = {}
    # per owner: the cells it was last computed with and its tables then (an owner whose
    # hidden cells did not change in a round gives the same tables: not computed again)
    last: dict[str | None, tuple[Any, Any]] = {}

    def frames(owner: str | None) -> dict[str, pl.DataFrame]:
        return {
            name: pl.DataFrame(sorted(cells), schema=dims_of[name], orient="row")
            for name, cells in forced.get(owner, {}).items()
        }

    def tables_of(owner: str | None, make: Callable[[dict[str, pl.DataFrame]], _T]) -> _T:
        cells = tuple(
            sorted(
                (name, tuple(dims_of[name]), tuple(sorted(c)))
                for name, c in forced.get(owner, {}).items()
            )
        )
        prev = last.get(owner)
        if prev is None or prev[0] != cells:
            last[owner] = (cells, make(frames(owner)))
        return last[owner][1]

    for _ in range(FAMILY_ROUNDS):
        family = {
            f: tables_of(
                f, lambda hide, f=f: _career_tables(linked, specs[f], rules, hide, cohorts[f])
            )
            for f in fields
        }
        comparison = tables_of(
            None,
            lambda hide: _comparison(
                linked, fields, tuple(exit_years), rules, hide, states12, comparison_memo
            ),
        )
        owners: list[tuple[str | None, str]] = []
        pubs: list[audit.PublishedTable] = []
        for owner, tables in [*((f, family[f].tables) for f in fields), (None, comparison)]:
            for name, t in tables.items():
                if t.population is None:
                    continue
                owners.append((owner, name))
                pubs.append(audit.PublishedTable.from_disclosed(name, t, brief=owner or ""))
        changed = False
        for group in audit.same_cells(pubs):
            hidden = [pubs[i].frame.get_column(pubs[i].count)[j] is None for i, j in group]
            if all(hidden) or not any(hidden):
                continue
            for (i, j), h in zip(group, hidden, strict=True):
                if h:
                    continue
                owner, name = owners[i]
                dims_of[name] = pubs[i].dims
                row = pubs[i].frame.select(pl.col(d).cast(pl.String) for d in pubs[i].dims).row(j)
                forced.setdefault(owner, {}).setdefault(name, set()).add(tuple(row))
                changed = True
        if not changed:
            break
    else:
        raise RuntimeError(f"release_family: no consistent pattern after {FAMILY_ROUNDS} rounds")
    return family, comparison, forced, dims_of, states12


def _comparison(
    linked: LinkedData,
    fields: list[str],
    exit_years: tuple[int, int],
    rules: privacy.DisclosureRules,
    forced: Mapping[str, pl.DataFrame] | None = None,
    states12: Mapping[str, pl.DataFrame] | None = None,
    memo: dict[Any, Any] | None = None,
) -> dict[str, privacy.DisclosedTable]:
    """The 12-field comparison tables, hiding the ``forced`` cells besides; ``states12`` are
    the fields' states at 12 months when made already, ``memo`` keeps the counted cells."""
    states, emp = [], []
    for f in fields:
        spec = CohortSpec(field=f, exit_years=exit_years)
        s12 = (
            states12[f]
            if states12 is not None
            else states_at(
                cohort(linked, spec), linked.spells, 12, spec.data_end, linked.annual_wages
            )
        )
        states.append(s12.select("researcher_id", "field_code", "state"))
        emp.append(
            s12.filter(pl.col("state") == "employed").select(
                "researcher_id", "field_code", "employer_type", "wage_monthly"
            )
        )
    st = pl.concat(states)
    em = pl.concat(emp)
    # the comparison's population ignores the field (its cells are fields): any spec will do
    spec = CohortSpec(field=fields[0], exit_years=exit_years)
    out = {
        name: _people(
            df, "field_code", col, rules=rules, name=name, spec=spec, forced=forced, memo=memo
        )
        for name, df, col in (
            ("fields_status_12m", st, "state"),
            ("fields_employer_type_12m", em, "employer_type"),
        )
    }
    out["fields_wage_12m"] = _wages(
        em,
        "field_code",
        "wage_monthly",
        rules=rules,
        name="fields_wage_12m",
        spec=spec,
        counts=out["fields_status_12m"],
        employed="state",
        forced=forced,
        memo=memo,
    )
    return out


def published_share(
    t: privacy.DisclosedTable,
    row: str,
    row_value: str,
    col: str,
    numerator: list[str],
    denominator: list[str],
    count: str = "people",
) -> float | None:
    """A rate from a disclosed 2-D count table; None when any count it needs was suppressed."""
    df = t.table.filter((pl.col(row) == row_value) & (pl.col(col) != privacy.TOTAL))
    vals = dict(zip(df[col].to_list(), df[count].to_list(), strict=True))
    sup = dict(zip(df[col].to_list(), df[f"{count}_suppressed"].to_list(), strict=True))
    if any(sup.get(k, False) for k in set(numerator) | set(denominator)):
        return None
    num = sum(vals.get(k) or 0 for k in numerator)
    den = sum(vals.get(k) or 0 for k in denominator)
    return num / den if den else None


def published_key_numbers(ct: CareerTables) -> dict[str, Any]:
    """Key numbers for briefs and the batch summary, computed only from disclosed tables."""
    t = ct.tables
    out: dict[str, Any] = {"field_code": ct.spec.field}
    for h in HORIZONS:
        tab = t.get(f"status_{h}m_by_exit_role")
        out[f"employed_{h}m_share"] = (
            published_share(
                tab,
                "exit_role",
                privacy.TOTAL,
                "state",
                ["employed"],
                ["employed", "no_insured_job"],
            )
            if tab
            else None
        )
    emp = t.get("destination_employer_type_12m")
    if emp:
        df = emp.table
        total = df.filter(pl.col("employer_type") == privacy.TOTAL)["people"][0]
        large = df.filter(pl.col("employer_type") == "LARGE")
        out["large_firm_share_12m"] = (
            float(large["people"][0]) / total
            if large.height and large["people"][0] is not None and total
            else None
        )
    ret = t.get("retention_12m")
    if ret:
        out["own_industry_share_12m"] = published_share(
            ret, "employer_group", privacy.TOTAL, "industry_group", ["own"], ["own", "other"]
        )
    w = t.get("wage_12m_by_degree")
    if w:
        out["median_wage_12m_by_degree"] = {
            d: m
            for d, m in w.table.filter(pl.col("degree") != privacy.TOTAL)
            .select("degree", "wage_monthly_p50")
            .iter_rows()
            if m is not None
        }
    km = t.get("time_to_first_job_students")
    if km:
        pub = km.table.filter(~pl.col("share_with_first_job_suppressed"))
        hit = pub.filter(pl.col("share_with_first_job") >= 0.5)
        out["time_to_first_job_median_months"] = (
            float(hit["months"].cast(pl.Int64).min()) if hit.height else None
        )
        # the steps are pooled: the share at the last published step within 12 months
        m12 = pub.filter(pl.col("months").cast(pl.Int64) <= 12).sort(
            pl.col("months").cast(pl.Int64)
        )
        out["first_job_within_12m_share"] = (
            float(m12["share_with_first_job"][-1]) if m12.height else None
        )
    return out
