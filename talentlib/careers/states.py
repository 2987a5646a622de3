"""Who is followed and where they are: the cohort of a field, each member's state every few
months after exit, first jobs and Kaplan–Meier curves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from .. import cellkey, privacy, taxonomy
from ..linkage import LinkedData

HORIZONS = (6, 12, 36)
MONTH_DAYS = 30.44
FIRST_JOB_LEAD_DAYS = 60
INDUSTRY_TYPES = ("LARGE", "MIDSIZE", "SME", "VENTURE")

# published wage quantiles are rounded to 10,000 won (만원): an interpolated quantile's last
# digits would tell how many people a group has, modulo a small number
WAGE_ROUND = 10_000

# a state's main job: what states_at reports of it (wage last)
_JOB = ("employer_id", "employer_type", "firm_size", "ksic", "occupation", "wage_monthly")


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
    c = _cohort_plan(linked, p, spec.exit_years, field_code=spec.field)
    if spec.roles:
        c = c.filter(pl.col("exit_role").is_in(list(spec.roles)))
    if spec.degrees:
        c = c.filter(pl.col("degree").is_in(list(spec.degrees)))
    return c.collect()


def cohorts(linked: LinkedData, specs: Sequence[CohortSpec]) -> pl.DataFrame:
    """The cohorts of several whole fields (no technologies, roles or degrees chosen; one
    exit-year span) in one pass over the participations: ``cohort``'s rows of every field, told
    apart by ``field_code`` and sorted by it — a person who left several fields is a row in
    each."""
    if not specs:
        raise ValueError("cohorts: no cohort asked for")
    if any(s.techs or s.roles or s.degrees for s in specs):
        raise ValueError("cohorts: whole fields only (no techs, roles or degrees)")
    if len({(s.exit_years, s.data_end) for s in specs}) > 1:
        raise ValueError("cohorts: every cohort must have the same exit years and data end")
    fields = sorted({s.field for s in specs})
    p = linked.participations.lazy().filter(pl.col("field_code").is_in(fields))
    # sorted by field: their states (``states_at``) come field by field too
    return (
        _cohort_plan(linked, p, specs[0].exit_years, field_code=None).sort("field_code").collect()
    )


def _cohort_plan(
    linked: LinkedData, p: pl.LazyFrame, exit_years: tuple[int, int], *, field_code: str | None
) -> pl.LazyFrame:
    """The cohort of the participations ``p``: of one field (``field_code``), or of every field in
    them (None: people grouped by field and id)."""
    keys = ["researcher_id"] if field_code is not None else ["field_code", "researcher_id"]
    # the last participation; two ending the same day are told apart by their id (the largest
    # wins), never by the order the rows came in (same data, same tables)
    span = p.group_by(keys).agg(
        pl.col("end_date").max().alias("exit_date"), pl.len().alias("n_participations")
    )
    cols = ["end_date", "participation_id", "role", "institution_type", "tech_code"]
    exits = (
        p.select(*keys, *cols)
        .join(span, on=keys)
        .filter(pl.col("end_date") == pl.col("exit_date"))
        .group_by(keys)
        .agg(
            pl.col("exit_date").first(),
            pl.col("role", "institution_type", "tech_code").get(
                pl.col("participation_id").arg_max()
            ),
            pl.col("n_participations").first(),
        )
        .rename({"role": "exit_role", "institution_type": "origin_type"})
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
        )
        .filter(pl.col("exit_year").is_between(*exit_years))
    )
    if field_code is not None:
        return c.with_columns(pl.lit(field_code).alias("field_code"))
    return c.select(pl.all().exclude("field_code"), "field_code")  # cohort's column order


def horizon_days(months: int) -> int:
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
    return main_jobs(c, spells, months, data_end, annual_wages).states()


def main_jobs(
    c: pl.DataFrame,
    spells: pl.DataFrame,
    months: int | list[int],
    data_end: date,
    annual_wages: pl.DataFrame | None = None,
) -> MainJobs:
    """``states_at``'s main jobs, its states not yet gathered (``MainJobs.states``): for
    frames that need different columns at different horizons."""
    return MainJobs(c, *_main_jobs(c, spells, months, data_end, annual_wages))


@dataclass(frozen=True)
class MainJobs:
    """Each cohort member's main job at each horizon, kept narrow (row numbers into the cohort
    ``c`` and the members' spells ``own``, ``_main_jobs``): ``states`` gathers the columns a
    frame needs, at the horizons it needs, only when it is asked for."""

    c: pl.DataFrame
    at: pl.DataFrame
    own: pl.DataFrame

    def states(
        self, months: Sequence[int] | None = None, columns: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """``states_at``'s frame, at ``months`` only (None: every horizon) and with only
        ``columns`` of the cohort and the job besides ``months``, ``state`` and ``sector``
        (None: all of them, in ``states_at``'s order)."""
        at = self.at if months is None else self.at.filter(pl.col("months").is_in(list(months)))
        return _gather_states(self.c, at, self.own, columns)


def states_by_field(
    c: pl.DataFrame,
    spells: pl.DataFrame,
    months: int | list[int],
    data_end: date,
    annual_wages: pl.DataFrame | None = None,
) -> Iterator[tuple[str, pl.DataFrame, MainJobs]]:
    """``states_at`` for ``cohorts``' frame (sorted by field): each field's code, members and
    main jobs (``MainJobs.states()`` is its ``states_at``), in field order. The main jobs of all
    fields are found in one pass; each field's states are gathered only when asked for, so that
    all fields' wide states are never held at once."""
    at, own = _main_jobs(c, spells, months, data_end, annual_wages)
    person = at.get_column("_p")  # sorted: each field's people are one run of rows of ``c``
    start = 0
    for n, f in c.select(pl.col("field_code").rle()).unnest("field_code").iter_rows():
        lo, hi = person.search_sorted(start, "left"), person.search_sorted(start + n, "left")
        yield f, c.slice(start, n), MainJobs(c, at.slice(lo, hi - lo), own)
        start += n


def _main_jobs(
    c: pl.DataFrame,
    spells: pl.DataFrame,
    months: int | list[int],
    data_end: date,
    annual_wages: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each member × horizon within the data (``_p``: the member's row in ``c``, in that order)
    with its main job (``_s``: the spell's row in ``own``, null without one), and ``own``: the
    members' spells in spell-id order."""
    grid = sorted({months} if isinstance(months, int) else set(months))
    g = len(grid)
    # Narrow frames of numbers and dates: a person is its row in ``c`` (``_p``), a spell its
    # row in ``own`` (``_s``, in spell-id order), a person's horizon its slot
    # ``_i = _p · len(grid) + k`` in a dense grid. The joins and groups run on these; the
    # cohort's and the jobs' other columns are gathered at the end (``_gather_states``).
    own = (
        spells.lazy()
        .join(c.lazy().select("researcher_id").with_row_index("_p"), on="researcher_id")
        .select("_p", "spell_id", "acquired_on", "lost_on", *_JOB, "region")
        .sort("spell_id")
        .collect()
    )
    spell_no = pl.int_range(pl.len(), dtype=pl.UInt32).alias("_s")
    # the horizons a spell covers, from its dates: exit + offset(k) lies in [acquired, lost]
    # for the k between two binary searches in the sorted offsets (and not after the data end)
    # — no person × horizon × spell rows to filter
    offsets = pl.Series([int(m * MONTH_DAYS) for m in grid], dtype=pl.Int64)

    def exit_of(person: pl.Expr) -> pl.Expr:  # the exit date of the member in row ``person``
        return pl.lit(c.get_column("exit_date")).gather(person)

    def days(col: pl.Expr) -> pl.Expr:
        return (col - pl.col("_exit")).dt.total_days()

    def on_date(k: pl.Expr) -> pl.Expr:  # exit + the k-th horizon's offset
        return pl.col("_exit") + pl.duration(days=pl.lit(offsets).gather(k))

    past_lost = pl.lit(offsets).search_sorted(days(pl.col("lost_on")), side="right")
    cov = (
        own.lazy()
        .select(spell_no, "_p", "acquired_on", "lost_on", "wage_monthly")
        .with_columns(exit_of(pl.col("_p")).alias("_exit"))
        .with_columns(
            pl.lit(offsets).search_sorted(days(pl.col("acquired_on")), side="left").alias("_lo"),
            pl.min_horizontal(
                pl.when(pl.col("lost_on").is_null())
                .then(pl.lit(g, pl.UInt32))
                .otherwise(past_lost),
                pl.lit(offsets).search_sorted(days(pl.lit(data_end)), side="right"),
            ).alias("_hi"),
        )
        .filter(pl.col("_hi") > pl.col("_lo"))
        .select(
            "_p",
            "_s",
            "wage_monthly",
            "_exit",
            pl.int_ranges("_lo", "_hi", dtype=pl.UInt32).alias("_k"),
        )
        .explode("_k")
        .select(
            (pl.col("_p").cast(pl.Int64) * g + pl.col("_k")).alias("_i"),
            "_s",
            "wage_monthly",
            on_date(pl.col("_k")).dt.year().cast(pl.Int64).alias("_year"),
        )
    )
    if annual_wages is not None:
        # the wage reported for the year of exit + months, looked up by one integer: spell
        # number · 2¹⁶ + year (years are 1980 to this year by contract)
        def spell_year(year: str) -> pl.Expr:
            return pl.col("_s").cast(pl.Int64) * (1 << 16) + pl.col(year).cast(pl.Int64)

        aw = (
            annual_wages.lazy()
            .join(own.lazy().select("spell_id", spell_no), on="spell_id")
            .select(spell_year("year").alias("_sy"), pl.col("wage_monthly").alias("_w_year"))
        )
        cov = (
            cov.with_columns(spell_year("_year").alias("_sy"))
            .join(aw, on="_sy", how="left")
            .with_columns(pl.coalesce("_w_year", "wage_monthly").alias("wage_monthly"))
        )
    # the main job: the highest wage (wages are never null: the contract), equal wages told
    # apart by the smallest spell id — one integer ranks both: wage · 2³² − spell number (wages
    # are at most 10⁸ won by contract, so it cannot overflow), and gives both back
    rank = pl.col("wage_monthly").cast(pl.Int64) * (1 << 32) - pl.col("_s").cast(pl.Int64)
    wage = cov.collect_schema()["wage_monthly"]
    main = (
        cov.group_by("_i")
        .agg(pl.len().alias("n_jobs"), rank.max().alias("_r"))
        .select(
            "_i",
            "n_jobs",
            ((-pl.col("_r")) & 0xFFFFFFFF).cast(pl.UInt32).alias("_s"),
            (pl.col("_r") + (1 << 32) - 1).floordiv(1 << 32).cast(wage).alias("wage_monthly"),
        )
        .collect()
    )
    # every slot of the dense grid, in cohort order (a cohort sorted by field gives each
    # field's states as one run of rows), the main jobs put in their slots, and the slots past
    # the data end dropped
    slots, i = c.height * g, main.get_column("_i")

    def placed(col: str, dtype: pl.DataType) -> pl.Series:
        empty = pl.Series(col, [None] * min(slots, 1), dtype=dtype)
        if not slots:
            return empty
        return empty.extend_constant(None, slots - 1).scatter(i, main.get_column(col))

    person = pl.col("_i") // g
    at = (
        pl.DataFrame(
            [
                placed("n_jobs", pl.UInt32),
                placed("_s", pl.UInt32),
                placed("wage_monthly", wage),
            ]
        )
        .lazy()
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"))
        .with_columns(exit_of(person).alias("_exit"))
        .select(
            person.cast(pl.UInt32).alias("_p"),
            pl.lit(pl.Series(grid, dtype=pl.Int32)).gather(pl.col("_i") % g).alias("months"),
            on_date(pl.col("_i") % g).alias("t"),
            "n_jobs",
            "_s",
            "wage_monthly",
        )
        .filter(pl.col("t") <= pl.lit(data_end))
        .collect()
    )
    return at, own


def _gather_states(
    c: pl.DataFrame, at: pl.DataFrame, own: pl.DataFrame, columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """The states of ``at``'s rows (``_main_jobs``): the member's and the main job's columns
    (only ``columns`` of them when given), the state and the employer's sector."""
    person, job = at.get_column("_p"), at.get_column("_s")  # job: null without a covering spell
    sectors = {r["code"]: r["sector"] for r in taxonomy.load("institution_types")["codes"]}
    if columns is not None:
        known = {*c.columns, *_JOB, "region", "months", "t", "n_jobs", "state", "sector"}
        if unknown := [x for x in columns if x not in known]:
            raise ValueError(f"states: no column {unknown} (the cohort's, the job's or months)")
    # what is gathered: all, or the columns asked for and what the state and sector are made of
    need = None if columns is None else {*columns, "observed", "employer_type"}

    def picked(cols: Sequence[str]) -> list[str]:
        return [x for x in cols if need is None or x in need]

    out = (
        pl.concat(
            [
                c.select(pl.col(picked(c.columns)).gather(person)),
                at.select("months", "t", "n_jobs"),
                own.select(pl.col(picked(_JOB[:-1])).gather(job)),
                at.select("wage_monthly"),
                own.select(pl.col(picked(["region"])).gather(job)),
            ],
            how="horizontal",
        )
        .with_columns(
            pl.when(~pl.col("observed"))
            .then(pl.lit("not_observed"))
            .when(pl.col("employer_type").is_null())
            .then(pl.lit("no_insured_job"))
            .otherwise(pl.lit("employed"))
            .alias("state"),
        )
        .with_columns(pl.col("employer_type").replace_strict(sectors, default=None).alias("sector"))
    )
    if columns is None:
        return out
    asked = [x for x in columns if x not in ("months", "state", "sector")]
    return out.select(*asked, "months", "state", "sector")


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
