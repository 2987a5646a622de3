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
Every table meant for publication is returned as a `privacy.DisclosedTable`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from . import privacy, taxonomy
from .linkage import LinkedData

HORIZONS = (6, 12, 36)
MONTH_DAYS = 30.44
FIRST_JOB_LEAD_DAYS = 60
INDUSTRY_TYPES = ("LARGE", "MIDSIZE", "SME", "VENTURE")


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
    p = linked.participations.filter(pl.col("field_code") == spec.field)
    if spec.techs:
        p = p.filter(pl.col("tech_code").is_in(list(spec.techs)))
    exits = p.group_by("researcher_id").agg(
        pl.col("end_date").max().alias("exit_date"),
        pl.col("role").sort_by("end_date").last().alias("exit_role"),
        pl.col("institution_type").sort_by("end_date").last().alias("origin_type"),
        pl.col("tech_code").sort_by("end_date").last().alias("tech_code"),
        pl.len().alias("n_participations"),
    )
    c = (
        exits.join(
            linked.researchers.select("researcher_id", "degree", "birth_year", "sex"),
            on="researcher_id",
            how="inner",
        )
        .join(
            linked.links.select("researcher_id").with_columns(pl.lit(True).alias("observed")),
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
    return c


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
    horizons = pl.DataFrame(
        {"months": [months] if isinstance(months, int) else list(months)},
        schema={"months": pl.Int32},
    )
    t = (
        c.join(horizons, how="cross")
        .with_columns(
            (
                pl.col("exit_date")
                + pl.duration(days=(pl.col("months") * MONTH_DAYS).cast(pl.Int64))
            ).alias("t")
        )
        .filter(pl.col("t") <= pl.lit(data_end))
    )
    own = spells.join(c.select("researcher_id"), on="researcher_id", how="semi")
    cov = (
        t.select("researcher_id", "months", "t")
        .join(own, on="researcher_id", how="inner")
        .filter(
            (pl.col("acquired_on") <= pl.col("t"))
            & (pl.col("lost_on").is_null() | (pl.col("lost_on") >= pl.col("t")))
        )
    )
    if annual_wages is not None:
        aw = annual_wages.join(own.select("spell_id"), on="spell_id", how="semi")
        cov = (
            cov.with_columns(pl.col("t").dt.year().cast(aw.schema["year"]).alias("year"))
            .join(aw.rename({"wage_monthly": "_w_year"}), on=["spell_id", "year"], how="left")
            .with_columns(pl.coalesce("_w_year", "wage_monthly").alias("wage_monthly"))
            .drop("_w_year", "year")
        )
    cov = (
        cov.with_columns(pl.len().over("researcher_id", "months").alias("n_jobs"))
        .sort(["researcher_id", "months", "wage_monthly"], descending=[False, False, True])
        .unique(subset=["researcher_id", "months"], keep="first", maintain_order=True)
        .select(
            "researcher_id",
            "months",
            "n_jobs",
            "employer_id",
            "employer_type",
            "firm_size",
            "ksic",
            "occupation",
            "wage_monthly",
            "region",
        )
    )
    out = t.join(cov, on=["researcher_id", "months"], how="left").with_columns(
        pl.when(~pl.col("observed"))
        .then(pl.lit("not_observed"))
        .when(pl.col("employer_type").is_null())
        .then(pl.lit("no_insured_job"))
        .otherwise(pl.lit("employed"))
        .alias("state"),
    )
    sectors = {r["code"]: r["sector"] for r in taxonomy.load("institution_types")["codes"]}
    return out.with_columns(
        pl.col("employer_type").replace_strict(sectors, default=None).alias("sector")
    )


def first_jobs(c: pl.DataFrame, spells: pl.DataFrame, data_end: date) -> pl.DataFrame:
    """Months from exit to the first full-time insured job; censored at the data end (event=False)."""
    mw = {int(r["code"]): int(r["monthly_krw"]) for r in taxonomy.load("minimum_wage")["codes"]}
    lo, hi = min(mw), max(mw)
    full = spells.with_columns(
        pl.col("acquired_on")
        .dt.year()
        .clip(lo, hi)
        .replace_strict(mw, return_dtype=pl.Int64)
        .alias("_mw")
    ).filter(pl.col("wage_monthly") >= pl.col("_mw"))
    first = (
        c.select("researcher_id", "exit_date")
        .join(
            full.select("researcher_id", "acquired_on", "employer_type"),
            on="researcher_id",
            how="inner",
        )
        .filter(
            pl.col("acquired_on") >= pl.col("exit_date") - pl.duration(days=FIRST_JOB_LEAD_DAYS)
        )
        .sort("acquired_on", maintain_order=True)
        .group_by("researcher_id", maintain_order=True)
        .first()
        .select(
            "researcher_id",
            pl.col("acquired_on").alias("first_job_on"),
            pl.col("employer_type").alias("first_job_type"),
        )
    )
    return c.join(first, on="researcher_id", how="left").with_columns(
        pl.col("first_job_on").is_not_null().alias("event"),
        (
            (pl.coalesce("first_job_on", pl.lit(data_end)) - pl.col("exit_date"))
            .dt.total_days()
            .clip(lower_bound=0)
            / MONTH_DAYS
        ).alias("months"),
    )


def kaplan_meier(times: np.ndarray, events: np.ndarray) -> pl.DataFrame:
    """Kaplan–Meier survival (still without a first job) at each distinct event time."""
    t = np.asarray(times, dtype=float)
    e = np.asarray(events).astype(bool)
    uniq, d = np.unique(t[e], return_counts=True)
    at_risk = t.size - np.searchsorted(np.sort(t), uniq, side="left")
    surv = np.cumprod(1.0 - d / np.maximum(at_risk, 1))
    return pl.DataFrame({"months": uniq, "at_risk": at_risk, "events": d, "survival": surv})


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


def _people(
    df: pl.DataFrame, rows: str, cols: str | None = None, *, rules: privacy.DisclosureRules
) -> privacy.DisclosedTable:
    """Count people per cell (rows × cols) and pass the table through disclosure control."""
    keys = [rows] if cols is None else [rows, cols]
    return privacy.disclose(
        df.group_by(keys).agg(pl.len().alias("people")),
        count="people",
        rows=rows,
        cols=cols,
        rules=rules,
    )


def career_tables(
    linked: LinkedData, spec: CohortSpec, rules: privacy.DisclosureRules | None = None
) -> CareerTables:
    """Every career-flow table of one cohort, each through disclosure control."""
    rules = rules or privacy.DisclosureRules()
    c = cohort(linked, spec)
    spells = linked.spells
    aw = linked.annual_wages
    out = CareerTables(spec=spec)
    t = out.tables
    kn = out.key_numbers
    kn["cohort"] = c.height
    kn["observed_share"] = float(c["observed"].mean()) if c.height else None

    # states every 3 months up to 36 (6, 12 and 36 among them), in one pass
    all_states = states_at(c, spells, list(range(0, 37, 3)), spec.data_end, aw)
    states = all_states.filter(pl.col("months").is_in(list(HORIZONS)))

    # status at 6 / 12 / 36 months, by exit role and by degree
    for dim in ("exit_role", "degree"):
        cnt = states.group_by("months", dim, "state").agg(pl.len().alias("people"))
        for h in HORIZONS:
            tab = cnt.filter(pl.col("months") == h).drop("months")
            if tab.height:
                t[f"status_{h}m_by_{dim}"] = privacy.disclose(
                    tab, count="people", rows=dim, cols="state", rules=rules
                )
    for h in HORIZONS:
        sh = states.filter((pl.col("months") == h) & pl.col("observed"))
        kn[f"employed_{h}m_share"] = (
            float((sh["state"] == "employed").mean()) if sh.height else None
        )
        kn[f"employed_{h}m_n"] = sh.height

    # monthly status curve 0..36 months after exit, by sector
    monthly = all_states.with_columns(
        pl.when(pl.col("state") == "employed")
        .then(pl.col("sector"))
        .otherwise(pl.col("state"))
        .alias("status")
    )
    mcount = (
        monthly.group_by("months", "status")
        .agg(pl.len().alias("people"))
        .with_columns(pl.col("months").cast(pl.String))
    )
    t["monthly_status"] = privacy.disclose(
        mcount, count="people", rows="months", cols="status", rules=rules
    )

    emp12 = states.filter((pl.col("months") == 12) & (pl.col("state") == "employed"))
    if emp12.height:
        # destinations: employer type, firm size, industry (KSIC division), occupation (KECO minor group)
        t["destination_employer_type_12m"] = _people(emp12, "employer_type", rules=rules)
        t["destination_firm_size_12m"] = _people(emp12, "firm_size", rules=rules)
        ind = emp12.with_columns(pl.col("ksic").str.slice(0, 2).alias("ksic_division"))
        t["destination_industry_12m"] = _people(ind, "ksic_division", rules=rules)
        occ = emp12.with_columns(pl.col("occupation").str.slice(0, 3).alias("keco_minor"))
        t["destination_occupation_12m"] = _people(occ, "keco_minor", rules=rules)

        # wages of the main job at 12 months by degree, employer type and firm size
        for dim in ("degree", "employer_type", "firm_size"):
            stats = privacy.magnitude_stats(emp12, [dim], "wage_monthly")
            t[f"wage_12m_by_{dim}"] = privacy.disclose(
                stats,
                count="n_people",
                rows=dim,
                magnitudes=["wage_monthly_p25", "wage_monthly_p50", "wage_monthly_p75"],
                top_share="wage_monthly_top_share",
                rules=rules,
            )
        kn["large_firm_share_12m"] = float((emp12["employer_type"] == "LARGE").mean())
        kn["median_wage_12m"] = float(emp12["wage_monthly"].median())
        kn["median_wage_12m_by_degree"] = {
            d: float(m)
            for d, m in emp12.group_by("degree")
            .agg(pl.col("wage_monthly").median())
            .sort("degree")
            .iter_rows()
        }

        # retention in the field's own industries
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
        )
        t["retention_12m"] = _people(ret, "employer_group", "industry_group", rules=rules)
        kn["own_industry_share_12m"] = float((ret["industry_group"] == "own").mean())
        ind_only = ret.filter(pl.col("employer_group") == "industry")
        kn["own_industry_share_12m_industry"] = (
            float((ind_only["industry_group"] == "own").mean()) if ind_only.height else None
        )

        # flows: origin institution type → destination sector; exit role → destination employer type
        flow = states.filter(pl.col("months") == 12).with_columns(
            pl.when(pl.col("state") == "employed")
            .then(pl.col("employer_type"))
            .otherwise(pl.col("state"))
            .alias("destination")
        )
        t["flow_origin_to_destination_12m"] = _people(
            flow, "origin_type", "destination", rules=rules
        )
        t["flow_role_to_destination_12m"] = _people(flow, "exit_role", "destination", rules=rules)

    # wage growth: the same people's main job at 12 and 36 months
    emp36 = states.filter((pl.col("months") == 36) & (pl.col("state") == "employed"))
    panel = (
        emp12.select("researcher_id", "degree", pl.col("wage_monthly").alias("w12")).join(
            emp36.select("researcher_id", pl.col("wage_monthly").alias("w36")), on="researcher_id"
        )
        if emp12.height
        else None
    )
    if panel is not None and panel.height:
        g = panel.with_columns((pl.col("w36") / pl.col("w12") - 1).alias("wage_growth_12_36m"))
        stats = (
            privacy.magnitude_stats(g, ["degree"], "w36")
            .select("degree", "n_people", "w36_top_share")
            .join(
                g.group_by("degree").agg(
                    pl.col("wage_growth_12_36m").median().alias("wage_growth_median")
                ),
                on="degree",
            )
        )
        t["wage_growth_12_36m_by_degree"] = privacy.disclose(
            stats,
            count="n_people",
            rows="degree",
            magnitudes=["wage_growth_median"],
            top_share="w36_top_share",
            rules=rules,
        )
        kn["wage_growth_12_36m_median"] = float(g["wage_growth_12_36m"].median())

    # employer changes within 36 months of exit (observed people with the full horizon)
    h36 = c.filter(
        pl.col("observed")
        & (pl.col("exit_date") + pl.duration(days=_horizon_days(36)) <= pl.lit(spec.data_end))
    )
    moves = (
        h36.select("researcher_id", "exit_date")
        .join(
            spells.select("researcher_id", "employer_id", "acquired_on", "lost_on"),
            on="researcher_id",
            how="left",
        )
        .filter(
            pl.col("acquired_on").is_null()
            | (
                (pl.col("acquired_on") <= pl.col("exit_date") + pl.duration(days=_horizon_days(36)))
                & (pl.col("lost_on").is_null() | (pl.col("lost_on") >= pl.col("exit_date")))
            )
        )
        .group_by("researcher_id")
        .agg(pl.col("employer_id").drop_nulls().n_unique().alias("employers"))
        .with_columns(
            pl.when(pl.col("employers") >= 3)
            .then(pl.lit("3+"))
            .otherwise(pl.col("employers").cast(pl.String))
            .alias("employers_36m")
        )
    )
    if moves.height:
        t["employers_within_36m"] = _people(moves, "employers_36m", rules=rules)

    # time to first job for student researchers (Kaplan–Meier), published while at least
    # min_count_magnitude people remain at risk
    st = c.filter((pl.col("exit_role") == "STUDENT") & pl.col("observed"))
    if st.height:
        fj = first_jobs(st, spells, spec.data_end)
        curve = kaplan_meier(fj["months"].to_numpy(), fj["event"].to_numpy())
        grid = (
            pl.DataFrame({"months": np.arange(0, 37, 1.0)})
            .join_asof(curve.sort("months"), on="months")
            .with_columns(pl.col("survival").fill_null(1.0))
        )
        at_risk = np.array(
            [(fj["months"].to_numpy() >= m).sum() for m in grid["months"].to_numpy()]
        )
        grid = grid.with_columns(pl.Series("at_risk", at_risk)).select(
            "months", "at_risk", "survival"
        )
        kn["time_to_first_job_median_months"] = km_median(curve)
        kn["first_job_within_12m_share"] = 1.0 - km_at(curve, 12.0)
        kn["students_observed"] = st.height
        tab = grid.with_columns(
            pl.col("months").cast(pl.Int64).cast(pl.String),
            (1.0 - pl.col("survival")).alias("share_with_first_job"),
            pl.lit(0.0).alias("top_share"),
        ).drop("survival")
        t["time_to_first_job_students"] = privacy.disclose(
            tab,
            count="at_risk",
            rows="months",
            magnitudes=["share_with_first_job"],
            top_share="top_share",
            rules=rules,
            margins=False,
        )
    return out


def field_comparison(
    linked: LinkedData,
    fields: list[str] | None = None,
    exit_years: tuple[int, int] = (2013, 2023),
    rules: privacy.DisclosureRules | None = None,
) -> dict[str, privacy.DisclosedTable]:
    """All fields side by side: status at 12 months, employer type, and wages — each disclosed.

    Rates for a brief are computed from these published counts, so a suppressed count can never
    leak through a rate.
    """
    rules = rules or privacy.DisclosureRules()
    fields = fields or taxonomy.fields()["code"].to_list()
    states, emp = [], []
    for f in fields:
        spec = CohortSpec(field=f, exit_years=exit_years)
        s12 = states_at(cohort(linked, spec), linked.spells, 12, spec.data_end, linked.annual_wages)
        states.append(s12.select("field_code", "state"))
        emp.append(
            s12.filter(pl.col("state") == "employed").select(
                "field_code", "employer_type", "wage_monthly"
            )
        )
    st = pl.concat(states)
    em = pl.concat(emp)
    out = {
        "fields_status_12m": _people(st, "field_code", "state", rules=rules),
        "fields_employer_type_12m": _people(em, "field_code", "employer_type", rules=rules),
    }
    stats = privacy.magnitude_stats(em, ["field_code"], "wage_monthly")
    out["fields_wage_12m"] = privacy.disclose(
        stats,
        count="n_people",
        rows="field_code",
        magnitudes=["wage_monthly_p25", "wage_monthly_p50", "wage_monthly_p75"],
        top_share="wage_monthly_top_share",
        rules=rules,
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
        m12 = pub.filter(pl.col("months") == "12")
        out["first_job_within_12m_share"] = (
            float(m12["share_with_first_job"][0]) if m12.height else None
        )
    return out
