"""Altair theme with Korean fonts and the standard charts every notebook and brief uses.

Charts take disclosed tables (talentlib.privacy.DisclosedTable) or plain frames of published
numbers; suppressed cells are drawn as gaps and labelled 비공개, never as zero. Korean labels come
from the taxonomy; column names stay English. Heavy imports (altair, vl-convert) are deferred.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

FONT = "NanumGothic, 'Nanum Gothic', 'Noto Sans KR', 'Malgun Gothic', sans-serif"
PALETTE = [
    "#1f4e79", "#2e86c1", "#f39c12", "#27ae60", "#c0392b", "#8e44ad",
    "#16a085", "#d35400", "#7f8c8d", "#2c3e50", "#e84393", "#00b894",
]
SUPPRESSED_LABEL = "비공개"


def theme() -> dict[str, Any]:
    """Vega-Lite config: Nanum Gothic everywhere, quiet axes, a colour-blind-safe palette."""
    return {
        "config": {
            "font": FONT,
            "title": {"font": FONT, "fontSize": 15, "anchor": "start", "subtitleFont": FONT},
            "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11, "titleFontSize": 12,
                     "gridColor": "#e5e5e5"},
            "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11},
            "header": {"labelFont": FONT, "titleFont": FONT},
            "text": {"font": FONT},
            "range": {"category": PALETTE},
            "view": {"stroke": None},
        }
    }


def enable() -> None:
    """Register and enable the talentlib theme in altair (idempotent)."""
    import altair as alt

    @alt.theme.register("talentlib", enable=True)
    def _talentlib() -> alt.theme.ThemeConfig:
        return theme()  # type: ignore[return-value]

    alt.data_transformers.disable_max_rows()


def with_labels(df: pl.DataFrame, column: str, taxonomy_name: str, level: str | None = None,
                alias: str | None = None) -> pl.DataFrame:
    """Add a Korean display label column ("{column}_ko") for a code column."""
    from talentlib import privacy, taxonomy

    labels = {**taxonomy.labels(taxonomy_name, level=level), privacy.TOTAL: "합계"}
    return df.with_columns(pl.col(column).replace(labels).alias(alias or f"{column}_ko"))


def bar(df: pl.DataFrame, x: str, y: str, *, title: str, x_title: str, y_title: str,
        color: str | None = None, horizontal: bool = True, sort: str | None = "-x",
        fmt: str = ",.0f") -> alt.Chart:
    """Bar chart of published values; rows whose value is null (suppressed) are labelled 비공개."""
    import altair as alt

    enable()
    data = df.with_columns(
        pl.when(pl.col(x if horizontal else y).is_null()).then(pl.lit(SUPPRESSED_LABEL))
        .otherwise(pl.lit("")).alias("_note")
    ).to_pandas()
    value, cat = (x, y) if horizontal else (y, x)
    enc_v = alt.X(f"{value}:Q", title=x_title) if horizontal else alt.Y(f"{value}:Q", title=y_title)
    enc_c = (alt.Y(f"{cat}:N", title=y_title, sort=sort) if horizontal
             else alt.X(f"{cat}:N", title=x_title, sort=sort))
    base = alt.Chart(data).encode(enc_c)
    bars = base.mark_bar().encode(enc_v, tooltip=[cat, alt.Tooltip(f"{value}:Q", format=fmt)])
    if color:
        bars = bars.encode(color=alt.Color(f"{color}:N", title=None))
    # suppressed cells: a red 비공개 label where the bar would start, never a zero-length bar
    notes = base.mark_text(align="left" if horizontal else "center", dx=3 if horizontal else 0,
                           dy=0 if horizontal else -6, color="#c0392b").encode(
        (alt.X if horizontal else alt.Y)("_zero:Q"), text="_note:N"
    ).transform_calculate(_zero="0")
    return (bars + notes).properties(
        title=title, width=520, height=alt.Step(18) if horizontal else 300
    )


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Write a chart as SVG (self-contained, fonts by name) or PNG or HTML by suffix, atomically."""
    from talentlib import io

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".svg":
        import vl_convert as vlc

        svg = vlc.vegalite_to_svg(chart.to_json())
        return io.write_text_atomic(svg, path)
    if path.suffix == ".png":
        import vl_convert as vlc

        return io.write_bytes_atomic(vlc.vegalite_to_png(chart.to_json(), scale=2), path)
    if path.suffix == ".html":
        return io.write_text_atomic(chart.to_html(inline=True), path)
    raise ValueError(f"cannot save a chart as {path.suffix!r}; use .svg, .png or .html")
