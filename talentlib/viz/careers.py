"""Career-flow charts: one builder per published table of notebook 03 (shared with the brief),
from the disclosed table's frame (suppression flags included) and the field's Korean name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from talentlib import labels
from talentlib.viz.charts import bar, line, quartile_range, sankey_svg, stacked_share

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

SUPPRESSED_REST = "비공개(합산)"


def cells_with_remainder(t: Any, rows: str, cols: str, count: str) -> pl.DataFrame:
    """Published cells of a disclosed 2-D count table plus, per row, one 'suppressed (combined)'
    cell = row total − published cells. The total is published, so this reveals nothing that
    subtraction would not; it keeps 100 % stacked charts honest instead of dropping categories.
    """
    from talentlib import privacy

    df = t.table if hasattr(t, "table") else t  # a DisclosedTable or its (verified) frame
    inner = df.filter((pl.col(rows) != privacy.TOTAL) & (pl.col(cols) != privacy.TOTAL))
    totals = df.filter((pl.col(rows) != privacy.TOTAL) & (pl.col(cols) == privacy.TOTAL)).select(
        rows, pl.col(count).alias("_total")
    )
    published = inner.filter(~pl.col(f"{count}_suppressed")).select(rows, cols, count)
    rest = (
        published.group_by(rows)
        .agg(pl.col(count).sum().alias("_pub"))
        .join(totals, on=rows, how="right")
        .with_columns(
            (pl.col("_total") - pl.col("_pub").fill_null(0)).alias(count),
            pl.lit(SUPPRESSED_REST).alias(cols),
        )
        .filter(pl.col(count) > 0)
        .select(rows, cols, count)
    )
    return pl.concat([published, rest.cast(published.schema)])


# Display order of career states and sectors (Korean labels as labels.korean writes them).
STATUS_ORDER = [
    "산업계",
    "공공연구",
    "학계",
    "공공부문",
    "기타",
    labels.values("state")["employed"],
    labels.values("state")["no_insured_job"],
    labels.values("state")["not_observed"],
    SUPPRESSED_REST,
]


# --- Career-flow charts: one builder per published table, shared by notebook 03 and the brief ---
# Each takes the disclosed table's frame (suppression flags included) and the field's Korean name.


def career_status_over_time(df: pl.DataFrame, field_ko: str) -> alt.Chart:
    """Status every 3 months after project end, 100 % stacked, suppressed cells combined."""
    monthly = labels.korean(cells_with_remainder(df, "months", "status", "people")).with_columns(
        pl.col("months").cast(pl.Int64)
    )
    return stacked_share(
        monthly,
        "months",
        "status",
        "people",
        title=f"{field_ko}: 과제 종료 후 고용 상태",
        x_title="종료 후 개월",
        color_title="상태",
        order=STATUS_ORDER,
    )


def career_destinations(
    df: pl.DataFrame, col: str, title: str, top: int | None = None
) -> alt.LayerChart:
    """Bars of a 1-D destination count table, largest first, 비공개 where suppressed."""
    from talentlib import privacy

    d = labels.korean(df.filter(pl.col(col) != privacy.TOTAL))
    d = d.sort("people", col, descending=[True, False], nulls_last=True)
    if top:
        d = d.head(top)
    return bar(d, "people", col, title=title, x_title="인원", y_title=None, sort=d[col].to_list())


def career_wages_by_degree(df: pl.DataFrame, field_ko: str = "") -> alt.LayerChart:
    """Monthly wage quartiles (만원) by degree, in degree order."""
    from talentlib import privacy, taxonomy

    cols = ("wage_monthly_p25", "wage_monthly_p50", "wage_monthly_p75")
    w = df.filter(pl.col("degree") != privacy.TOTAL).with_columns(
        (pl.col(c) / 10_000).alias(c) for c in cols
    )
    order = [taxonomy.label("degrees", d) for d in taxonomy.table("degrees")["code"]]
    return quartile_range(
        labels.korean(w),
        "degree",
        *cols,
        title="학위별 월 임금 (사분위 범위, 중위값 표시)",
        cat_title="학위",
        value_title="만원",
        sort=order,
    )


def career_first_job_curve(df: pl.DataFrame, field_ko: str = "") -> alt.Chart:
    """Kaplan–Meier share of student researchers with a first job, by months after exit."""
    km = df.filter(~pl.col("share_with_first_job_suppressed")).with_columns(
        pl.col("months").cast(pl.Int64)
    )
    return line(
        km,
        "months",
        "share_with_first_job",
        title="학생연구원 첫 일자리 취업 누적 비율",
        x_title="종료 후 개월",
        y_title="누적 비율",
        y_format="%",
    )


def career_flow_sankey(df: pl.DataFrame, field_ko: str, *, draw_empty: bool = False) -> str | None:
    """Origin institution type → destination 12 months later, as SVG. When every flow is
    suppressed: None (the brief leaves it out), or with draw_empty the frame and its footnote."""
    from talentlib import privacy

    flows = labels.korean(
        df.filter(
            (pl.col("origin_type") != privacy.TOTAL) & (pl.col("destination") != privacy.TOTAL)
        )
    )
    if (
        not draw_empty
        and not flows.filter(~pl.col("people_suppressed") & (pl.col("people") > 0)).height
    ):
        return None  # every flow suppressed: an empty diagram would say nothing
    return sankey_svg(
        flows,
        "origin_type",
        "destination",
        "people",
        title=f"{field_ko}: 참여 기관 유형 → 12개월 후 행선지",
    )


def career_fields_status(df: pl.DataFrame, field_ko: str = "") -> alt.Chart:
    """All 12 fields side by side: status 12 months after project end."""
    from talentlib import taxonomy

    st = labels.korean(cells_with_remainder(df, "field_code", "state", "people"))
    return stacked_share(
        st,
        "field_code",
        "state",
        "people",
        title="12개 분야 비교: 종료 12개월 후 상태",
        x_title="분야",
        color_title="상태",
        horizontal=True,
        order=STATUS_ORDER,
        x_sort=taxonomy.fields()["ko"].to_list(),
    )
