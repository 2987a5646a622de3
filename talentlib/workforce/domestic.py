"""The domestic R&D workforce (researchers + participations): an activity panel and the head-count tables built on it. These count people: publish them only through privacy.disclose.

Given the release's ``salt``, every count of people is made by ``cellkey.count_people`` and comes
with each cell's key, so that cell-key perturbation gives the same people the same value in
every table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from talentlib import cellkey, privacy

_ROLE_ORDER = {"PI": 0, "RESEARCHER": 1, "STUDENT": 2}


def _unit(level: str) -> str:
    if level not in ("field", "tech"):
        raise ValueError("level is 'field' or 'tech'")
    return "field_code" if level == "field" else "tech_code"


def _age_band(age: pl.Expr) -> pl.Expr:
    return (
        pl.when(age.is_null())
        .then(pl.lit("unknown"))
        .when(age < 30)
        .then(pl.lit("lt30"))
        .when(age < 40)
        .then(pl.lit("30_39"))
        .when(age < 50)
        .then(pl.lit("40_49"))
        .when(age < 60)
        .then(pl.lit("50_59"))
        .otherwise(pl.lit("60p"))
    )


def activity_panel(
    participations: pl.DataFrame | pl.LazyFrame,
    researchers: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    level: str = "field",
    years: Sequence[int] = (2013, 2023),
) -> pl.DataFrame:
    """One row per researcher × field (or technology) × calendar year with a participation
    active on any day of that year.

    Role is the most senior of the year (PI > researcher > student); institution, its type and
    region come from the participation with the highest participation rate (then the latest
    start). With ``researchers``: degree, sex, age, age_band and career_stage (student role, else
    years since the highest degree: 0-7 early, 8-15 mid, 16+ senior). Degree is as reported at
    the researcher's latest participation, not as of each year.
    """
    unit = _unit(level)
    y0, y1 = int(years[0]), int(years[-1])
    p = (
        participations.lazy()
        .select(
            "researcher_id",
            unit,
            "role",
            "institution_id",
            "institution_type",
            "region",
            "start_date",
            "end_date",
            "participation_rate",
        )
        .with_columns(
            pl.max_horizontal(pl.col("start_date").dt.year(), pl.lit(y0)).alias("_a"),
            pl.min_horizontal(pl.col("end_date").dt.year(), pl.lit(y1)).alias("_b"),
        )
        .filter(pl.col("_a") <= pl.col("_b"))
    )
    keys = [
        pl.col("participation_rate").fill_null(-1.0),
        pl.col("start_date"),
        pl.col("institution_id"),
    ]
    # year by year, not by exploding every participation into its years: at national scale
    # the exploded frame (≈ 11 M rows of strings) took 2 GB; one year's slice takes a tenth
    p = p.collect()
    panel = pl.concat(
        [
            p.lazy()
            .filter((pl.col("_a") <= year) & (pl.col("_b") >= year))
            .group_by("researcher_id", unit)
            .agg(
                pl.col("role")
                .sort_by(pl.col("role").replace_strict(_ROLE_ORDER, default=9))
                .first(),
                *(
                    pl.col(c).sort_by(keys, descending=[True, True, False]).first()
                    for c in ("institution_id", "institution_type", "region")
                ),
            )
            .select(
                "researcher_id",
                unit,
                pl.lit(year, pl.Int64).alias("year"),
                pl.exclude("researcher_id", unit),
            )
            .collect()
            for year in range(y0, y1 + 1)
        ]
    ).lazy()
    if researchers is not None:
        r = researchers.lazy().select("researcher_id", "degree", "sex", "birth_year", "degree_year")
        since = pl.col("year") - pl.col("degree_year")
        panel = (
            panel.join(r, on="researcher_id", how="left")
            .with_columns(
                (pl.col("year") - pl.col("birth_year")).alias("age"),
            )
            .with_columns(
                _age_band(pl.col("age")).alias("age_band"),
                pl.when(pl.col("role") == "STUDENT")
                .then(pl.lit("student"))
                .when(since.is_null())
                .then(pl.lit("unknown"))
                .when(since <= 7)
                .then(pl.lit("early"))
                .when(since <= 15)
                .then(pl.lit("mid"))
                .otherwise(pl.lit("senior"))
                .alias("career_stage"),
            )
            .drop("birth_year", "degree_year")
        )
    return panel.sort(unit, "year", "researcher_id").collect()


def headcount(
    panel: pl.DataFrame | pl.LazyFrame, by: Sequence[str], *, salt: str | None = None
) -> pl.DataFrame:
    """Distinct researchers per group of ``by`` (e.g. field_code, year, degree): column
    ``researchers`` (and ``cell_key`` with the release's ``salt``). Counts people: publish
    through ``privacy.disclose``."""
    by = list(by)
    if salt is not None:
        return cellkey.count_people(
            panel, by, ids="researcher_id", salt=salt, count="researchers"
        ).with_columns(pl.col("researchers").cast(pl.Int64))
    return (
        panel.lazy()
        .group_by(by)
        .agg(pl.col("researcher_id").n_unique().cast(pl.Int64).alias("researchers"))
        .sort(by)
        .collect()
    )


def growth(
    series: pl.DataFrame,
    *,
    value: str,
    by: Sequence[str] = (),
    time: str = "year",
) -> pl.DataFrame:
    """Growth of ``value`` over ``time`` per group: first/last, CAGR between the first and last
    year with a positive value, and the log-linear trend (exp(slope) - 1, years with value > 0).
    Year-over-year changes are left to the caller (``pct_change().over(by)``)."""
    by = list(by)
    s = series.filter(pl.col(value) > 0).with_columns(
        pl.col(time).cast(pl.Float64).alias("_t"), pl.col(value).cast(pl.Float64).log().alias("_y")
    )
    aggs = [
        pl.col(time).min().alias("first_year"),
        pl.col(time).max().alias("last_year"),
        pl.col(value).sort_by(time).first().alias("first"),
        pl.col(value).sort_by(time).last().alias("last"),
        (pl.cov("_t", "_y") / pl.col("_t").var()).alias("_slope"),
        pl.len().alias("n_years"),
    ]
    g = s.group_by(by).agg(aggs) if by else s.select(aggs)
    span = pl.col("last_year") - pl.col("first_year")
    return (
        g.with_columns(
            pl.when(span > 0)
            .then((pl.col("last") / pl.col("first")) ** (1.0 / span) - 1.0)
            .alias("cagr"),
            (pl.col("_slope").exp() - 1.0).alias("growth"),
        )
        .drop("_slope")
        .sort(by or "first_year")
    )


def entrants_leavers(
    participations: pl.DataFrame | pl.LazyFrame,
    *,
    level: str = "field",
    years: Sequence[int] = (2013, 2023),
    data_end: dt.date | None = None,
    salt: str | None = None,
) -> pl.DataFrame:
    """Researchers entering a field (first participation starts that year) and leaving it (last
    participation ends that year, before ``data_end``), long format: unit, year, flow, researchers
    (and ``cell_key`` with ``salt``; one person can be an entrant and a leaver: no margins).

    Leavers of the last year are provisional: someone whose project ended may start another
    after the extract's end. Entrants need start dates from before the window to be right (a
    participation running since 2010 is not a 2013 entrant).
    """
    unit = _unit(level)
    y0, y1 = int(years[0]), int(years[-1])
    end = data_end or dt.date(y1, 12, 31)
    span = (
        participations.lazy()
        .group_by("researcher_id", unit)
        .agg(pl.col("start_date").min().alias("first"), pl.col("end_date").max().alias("last"))
    )
    ent = span.select(
        "researcher_id",
        unit,
        pl.col("first").dt.year().alias("year"),
        pl.lit("entrants").alias("flow"),
    )
    lea = span.filter(pl.col("last") < pl.lit(end)).select(
        "researcher_id",
        unit,
        pl.col("last").dt.year().alias("year"),
        pl.lit("leavers").alias("flow"),
    )
    rows = (
        pl.concat([ent, lea])
        .filter(pl.col("year").is_between(y0, y1))
        .with_columns(pl.col("year").cast(pl.Int64))
    )
    if salt is not None:
        return headcount(rows, [unit, "year", "flow"], salt=salt)
    return (
        rows.group_by(unit, "year", "flow")
        .agg(pl.len().cast(pl.Int64).alias("researchers"))
        .with_columns(pl.col("year").cast(pl.Int64))
        .sort(unit, "year", "flow")
        .collect()
    )


def institution_groups(
    panel: pl.DataFrame | pl.LazyFrame, *, top_k: int = 5, unit: str = "field_code"
) -> pl.DataFrame:
    """The panel with ``group``: 'top' at the ``top_k`` largest institutions of the unit × year
    (ties by institution code, so the same data always names the same people), else 'rest'."""
    lf = panel.lazy()
    size = (
        lf.group_by(unit, "year", "institution_id")
        .agg(pl.col("researcher_id").n_unique().alias("_n"))
        .sort([unit, "year", "_n", "institution_id"], descending=[False, False, True, False])
        .with_columns(pl.int_range(pl.len()).over(unit, "year").alias("_rank"))
    )
    return (
        lf.join(size, on=[unit, "year", "institution_id"], how="left")
        .with_columns(
            pl.when(pl.col("_rank") < top_k)
            .then(pl.lit("top"))
            .otherwise(pl.lit("rest"))
            .alias("group")
        )
        .drop("_n", "_rank")
        .collect()
    )


def institution_concentration(
    panel: pl.DataFrame | pl.LazyFrame, *, top_k: int = 5, unit: str = "field_code"
) -> pl.DataFrame:
    """Per unit × year: researchers, institutions, researchers at the ``top_k`` largest
    institutions (top_researchers), their share and the Herfindahl index over institutions."""
    inst = (
        panel.lazy()
        .group_by(unit, "year", "institution_id")
        .agg(pl.col("researcher_id").n_unique().alias("n"))
    )
    return (
        inst.group_by(unit, "year")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("researchers"),
            pl.len().cast(pl.Int64).alias("institutions"),
            pl.col("n").top_k(top_k).sum().cast(pl.Int64).alias("top_researchers"),
            ((pl.col("n") / pl.col("n").sum()) ** 2).sum().alias("hhi"),
        )
        .with_columns((pl.col("top_researchers") / pl.col("researchers")).alias("top_share"))
        .sort(unit, "year")
        .collect()
    )


def concentration_table(concentration: pl.DataFrame, *, unit: str = "field_code") -> pl.DataFrame:
    """``institution_concentration`` in long form for ``privacy.disclose``: unit, year, group
    ('top' = the top-k institutions, 'rest'), researchers (rows sum to the unit-year total)."""
    return (
        concentration.select(
            unit,
            "year",
            pl.struct(
                top="top_researchers", rest=pl.col("researchers") - pl.col("top_researchers")
            ).alias("_g"),
        )
        .unnest("_g")
        .unpivot(index=[unit, "year"], variable_name="group", value_name="researchers")
        .sort(unit, "year", "group")
    )


def top_institutions(
    panel: pl.DataFrame | pl.LazyFrame, *, year: int, k: int = 10, unit: str = "field_code"
) -> pl.DataFrame:
    """The ``k`` largest institutions per unit in ``year``: institution_id, institution_type,
    researchers, rank (pseudonymous institution codes; names come from the institution table)."""
    return (
        panel.lazy()
        .filter(pl.col("year") == year)
        .group_by(unit, "institution_id")
        .agg(
            pl.col("institution_type").mode().sort().first(),
            pl.col("researcher_id").n_unique().cast(pl.Int64).alias("researchers"),
        )
        .sort([unit, "researchers", "institution_id"], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over(unit).alias("rank"))
        .filter(pl.col("rank") <= k)
        .collect()
    )


def career_pyramid(
    panel: pl.DataFrame | pl.LazyFrame,
    *,
    year: int,
    by: Sequence[str] = ("age_band", "sex"),
    salt: str | None = None,
) -> pl.DataFrame:
    """Researchers active in ``year`` by age band and sex (or any ``by``), for a pyramid."""
    return headcount(panel.lazy().filter(pl.col("year") == year), list(by), salt=salt)


def field_overlap(
    panel: pl.DataFrame | pl.LazyFrame,
    *,
    years: Sequence[int] | None = None,
    salt: str | None = None,
) -> pl.DataFrame:
    """Researchers active in both fields of each pair (field_a, field_b; the diagonal is the
    field's own headcount) over ``years``, with share_of_a = researchers / field_a's headcount
    (and ``cell_key`` with ``salt``; one person sits in several pairs: no margins)."""
    lf = panel.lazy()
    if years is not None:
        lf = lf.filter(pl.col("year").is_between(int(years[0]), int(years[-1])))
    pf = lf.select("researcher_id", "field_code").unique()
    both = pf.join(pf, on="researcher_id", suffix="_b").select(
        "researcher_id",
        pl.col("field_code").alias("field_a"),
        pl.col("field_code_b").alias("field_b"),
    )
    pairs = (
        headcount(both, ["field_a", "field_b"], salt=salt).lazy()
        if salt is not None
        else both.group_by("field_a", "field_b").agg(pl.len().cast(pl.Int64).alias("researchers"))
    )
    own = pairs.filter(pl.col("field_a") == pl.col("field_b")).select(
        "field_a", pl.col("researchers").alias("_own")
    )
    return (
        pairs.join(own, on="field_a")
        .with_columns((pl.col("researchers") / pl.col("_own")).alias("share_of_a"))
        .drop("_own")
        .sort("field_a", "field_b")
        .collect()
    )


def disclosed_headcount(
    panel: pl.DataFrame | pl.LazyFrame,
    dim: str,
    *,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008 - frozen
    years: Sequence[int] | None = None,
    population: dict | None = None,
) -> privacy.DisclosedTable:
    """Researchers per year × ``dim`` (degree, role, age_band, ...) through disclosure control
    (each year's total published; ``population`` for the release auditor)."""
    lf = panel.lazy()
    if years is not None:
        lf = lf.filter(pl.col("year").is_between(int(years[0]), int(years[-1])))
    t = headcount(
        lf.with_columns(pl.col(dim).fill_null("unknown")), ["year", dim], salt=rules.cell_key_salt
    )
    # margins off: a column total over years would count person-years, not people
    return privacy.disclose(
        t,
        count="researchers",
        rows="year",
        cols=dim,
        rules=rules,
        margins=False,
        partition="rows",  # a year's people, but every year again
        cell_key="cell_key",
        population=population,
    )
