"""The analysis frame: one row per posting (``posting_frame``), with its experience band, and how
its cells are counted (distinct postings with a cell key) and disclosed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from talentlib import cellkey, privacy
from talentlib.postings.section_tags import MENTION_TYPE

ANALYSIS_SCHEMA = {
    "posting_id": pl.String,
    "field_code": pl.String,
    "job_family": pl.String,
    "company_id": pl.String,
    "company_type": pl.String,
    "posted_on": pl.Date,
    "education": pl.String,
    "majors": pl.List(pl.String),
    "experience_min_years": pl.Int32,
    "competencies": pl.List(pl.String),
    # open-vocabulary mentions (postings.tagger.extract): {text, norm, code (null: not in the
    # taxonomy), section}; empty when extraction did not give them
    "mentions": pl.List(MENTION_TYPE),
}
# Experience bands (code, ko): null years = 무관/not stated, 0 = 신입.
EXPERIENCE_BANDS = ("ANY", "NEW", "Y1_2", "Y3_5", "Y6_9", "Y10P")  # names: talentlib.labels
UNKNOWN = "UNKNOWN"  # explicit code for a missing dimension value (disclose refuses nulls)


def experience_band(col: str = "experience_min_years") -> pl.Expr:
    """Band code of minimum years: null → ANY, 0 → NEW, 1–2, 3–5, 6–9, 10+."""
    y = pl.col(col)
    return (
        pl.when(y.is_null())
        .then(pl.lit("ANY"))
        .when(y == 0)
        .then(pl.lit("NEW"))
        .when(y <= 2)
        .then(pl.lit("Y1_2"))
        .when(y <= 5)
        .then(pl.lit("Y3_5"))
        .when(y <= 9)
        .then(pl.lit("Y6_9"))
        .otherwise(pl.lit("Y10P"))
        .alias("experience_band")
    )


def posting_frame(
    index: pl.DataFrame,
    extracted: pl.DataFrame,
    job_families: pl.DataFrame | None = None,
    *,
    period: tuple[str | int, str | int] | None = None,
) -> pl.DataFrame:
    """One row per posting for the analyses (ANALYSIS_SCHEMA plus experience_band).

    ``index``: posting_id, field_code, company_id, company_type, posted_on (job_postings
    contract); ``extracted``: tagger.extract output; ``job_families``: posting_id, job_family
    (from a JobFamilyClassifier or labels). ``period`` = (first, last) year or ISO date."""
    base = index.select(
        [
            c if c in index.columns else pl.lit(None, dtype=ANALYSIS_SCHEMA[c]).alias(c)
            for c in ("posting_id", "field_code", "company_id", "company_type", "posted_on")
        ]
    )
    ex = extracted.select(
        "posting_id", "education", "majors", "experience_min_years", "competencies",
        pl.col("mentions") if "mentions" in extracted.columns
        else pl.lit([], dtype=ANALYSIS_SCHEMA["mentions"]).alias("mentions"),
    )  # fmt: skip
    df = base.join(ex, on="posting_id", how="inner")
    if job_families is not None:
        df = df.join(job_families.select("posting_id", "job_family"), on="posting_id", how="left")
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("job_family"))
    if period is not None:
        lo, hi = (_as_date(p, end) for p, end in zip(period, (False, True), strict=True))
        df = df.filter(pl.col("posted_on").is_between(lo, hi))
    return (
        df.with_columns(pl.col(c).cast(t) for c, t in ANALYSIS_SCHEMA.items() if c in df.columns)
        .with_columns(
            pl.col("majors").fill_null([]),
            pl.col("competencies").fill_null([]),
            pl.col("mentions").fill_null([]),
            experience_band(),
        )
        .select([*ANALYSIS_SCHEMA, "experience_band"])
    )


def _as_date(v: str | int, end: bool) -> Any:
    import datetime as dt

    if isinstance(v, int) or (isinstance(v, str) and v.isdigit() and len(v) == 4):
        return dt.date(int(v), 12, 31) if end else dt.date(int(v), 1, 1)
    return dt.date.fromisoformat(str(v))


def fill_unknown(df: pl.DataFrame, cols: Sequence[str]) -> pl.DataFrame:
    return df.with_columns(pl.col(c).cast(pl.String).fill_null(UNKNOWN) for c in cols)


def count_cells(
    df: pl.DataFrame,
    by: Sequence[str],
    rules: privacy.DisclosureRules,
    name: str = "postings",
    ids: str = "posting_id",
) -> pl.DataFrame:
    """Distinct ``ids`` (postings, or companies) per cell with the cell's key: the same postings
    get the same key, and so the same published count, in every table of a release."""
    return cellkey.count_people(
        fill_unknown(df, by), by, ids=ids, salt=rules.cell_key_salt or "", count=name
    )


def disclose_keyed(t: pl.DataFrame, **kw: Any) -> privacy.DisclosedTable:
    return privacy.disclose(t, cell_key="cell_key", **kw)
