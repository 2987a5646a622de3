"""The publishable tables of one cohort: what each counts (for the release auditor), the frames
counted once, every table through disclosure control, and key numbers from published cells."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .. import cellkey, privacy, taxonomy
from ..linkage import LinkedData
from .states import (
    HORIZONS,
    INDUSTRY_TYPES,
    WAGE_ROUND,
    CareerTables,
    CohortSpec,
    MainJobs,
    cohort,
    cohorts,
    first_job_steps,
    first_jobs,
    horizon_days,
    kaplan_meier,
    km_at,
    km_median,
    main_jobs,
    states_by_field,
)

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


def people_table(
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


def wage_table(
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


# the states every cohort frame is made from: every 3 months up to 36 (6, 12 and 36 among them)
STATE_MONTHS = tuple(range(0, 37, 3))


def cohort_frames(linked: LinkedData, spec: CohortSpec, salt: str | None = None) -> _CohortFrames:
    """Every frame a cohort's tables count, each a lazy plan collected once. With the release's
    ``salt`` every person's record key is computed once, on the cohort, and travels with the
    frames (``cellkey.key_column``), so counting them does not hash the ids table after table."""
    c = cohort(linked, spec)
    if salt is not None:
        c = cellkey.with_record_keys(c, "researcher_id", salt)
    return _frames(linked, spec, c, _cohort_jobs(linked, spec, c), salt)


def _cohort_jobs(linked: LinkedData, spec: CohortSpec, c: pl.DataFrame) -> MainJobs:
    """The main jobs of the cohort ``c`` every 3 months (``STATE_MONTHS``)."""
    return main_jobs(c, linked.spells, list(STATE_MONTHS), spec.data_end, linked.annual_wages)


def fields_frames(
    linked: LinkedData, specs: Sequence[CohortSpec], salt: str | None = None
) -> dict[str, _CohortFrames]:
    """``cohort_frames`` of several whole fields (``states.cohorts``' conditions): the cohorts
    and their main jobs found in one pass for all of them, each field's frames made from its
    states in turn (``states_by_field``) — the same frames, without 12 plans over the
    participations and the spells, and without all fields' states in memory at once."""
    c = cohorts(linked, specs)
    if salt is not None:
        c = cellkey.with_record_keys(c, "researcher_id", salt)
    by_field = {s.field: s for s in specs}
    made = {
        f: _frames(linked, by_field[f], members, jobs, salt)
        for f, members, jobs in states_by_field(
            c, linked.spells, list(STATE_MONTHS), specs[0].data_end, linked.annual_wages
        )
    }
    none = c.clear()  # a field nobody left in the exit years: empty frames, as alone
    return {
        s.field: made.get(s.field) or _frames(linked, s, none, _cohort_jobs(linked, s, none), salt)
        for s in specs
    }


def _frames(
    linked: LinkedData,
    spec: CohortSpec,
    c: pl.DataFrame,
    jobs: MainJobs,
    salt: str | None,
) -> _CohortFrames:
    """A cohort's frames from its members ``c`` (keyed with ``salt`` when given) and their
    main jobs every 3 months (``STATE_MONTHS``): every column at the reported horizons, the
    monthly curve's few columns at every one."""
    keep = [cellkey.key_column(salt)] if salt is not None else []
    spells = linked.spells
    kn: dict[str, Any] = {}
    kn["cohort"] = c.height
    kn["observed_share"] = float(c["observed"].mean()) if c.height else None
    states = jobs.states(months=HORIZONS)
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
    lazy_states = states.lazy()
    # each frame keeps only what its tables count (12 fields' frames are held at once)
    every_3m = jobs.states(columns=["researcher_id", *keep]).lazy()
    monthly = every_3m.join(followed, on="researcher_id", how="semi").select(
        "researcher_id",
        *keep,
        pl.col("months").cast(pl.String),
        pl.when(pl.col("state") == "employed")
        .then(pl.col("sector"))
        .otherwise(pl.col("state"))
        .alias("status"),
    )
    at12 = lazy_states.filter(pl.col("months") == 12)
    emp12 = at12.filter(pl.col("state") == "employed").select(
        "researcher_id",
        *keep,
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
    ).select("researcher_id", *keep, "employer_group", "industry_group")
    flow = at12.select(
        "researcher_id",
        *keep,
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
        emp12.select("researcher_id", *keep, "degree", pl.col("wage_monthly").alias("w12"))
        .join(
            emp36.select("researcher_id", pl.col("wage_monthly").alias("w36")), on="researcher_id"
        )
        .with_columns((pl.col("w36") / pl.col("w12") - 1).alias("wage_growth_12_36m"))
    )
    # employer changes within 36 months of exit, among everyone followed for 36 months (someone
    # whose spells all lie outside the window counts with 0 employers, not as missing; people
    # with no insurance record at all are their own row)
    h36 = c.lazy().filter(
        pl.col("exit_date") + pl.duration(days=horizon_days(36)) <= pl.lit(spec.data_end)
    )
    in_window = (
        h36.select("researcher_id", "exit_date")
        .join(
            spells.lazy().select("researcher_id", "employer_id", "acquired_on", "lost_on"),
            on="researcher_id",
        )
        .filter(
            (pl.col("acquired_on") <= pl.col("exit_date") + pl.duration(days=horizon_days(36)))
            & (pl.col("lost_on").is_null() | (pl.col("lost_on") >= pl.col("exit_date")))
        )
        .group_by("researcher_id")
        .agg(pl.col("employer_id").drop_nulls().n_unique().alias("employers"))
    )
    moves = (
        h36.select("researcher_id", *keep, "observed")
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
        .select("researcher_id", *keep, "employers_36m")
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


def cohort_tables(
    linked: LinkedData,
    spec: CohortSpec,
    rules: privacy.DisclosureRules,
    forced: Mapping[str, pl.DataFrame] | None = None,
    frames: _CohortFrames | None = None,
) -> CareerTables:
    """Every career-flow table of one cohort, each through disclosure control, hiding the
    ``forced`` cells besides (see ``release_family``); ``frames`` are the cohort's frames when
    made already."""
    d = frames if frames is not None else cohort_frames(linked, spec, rules.cell_key_salt)
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
            t[name] = people_table(
                at_h, dim, "state", rules=rules, name=name, spec=spec, forced=forced, memo=memo
            )

    # monthly status curve 0..36 months after exit, by sector, of the people followed for the
    # whole 36 months: every month counts the same people, so a month's change is people moving
    # between states, never people entering or leaving the window (a row total would otherwise
    # drop by the few people whose exit falls in a 3-month window: a small count by subtraction)
    if d.monthly.height:
        # a person sits in every month's row: row totals only (over months they would count
        # person-months)
        t["monthly_status"] = people_table(
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
            t[name] = people_table(
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
            t[name] = wage_table(
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
        t["retention_12m"] = people_table(
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
            t[name] = people_table(
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
        t[name] = wage_table(
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
        t["employers_within_36m"] = people_table(
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
