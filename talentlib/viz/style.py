"""What every chart shares: the altair theme (Korean fonts, a colour-blind-safe palette), each
mark's Korean description and tooltips (never a raw column name or an unformatted number), and
writing a chart as SVG, PNG or HTML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from talentlib import labels

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt

FONT = "NanumGothic, 'Nanum Gothic', 'Noto Sans KR', 'Malgun Gothic', sans-serif"
PALETTE = [
    "#1f4e79",
    "#2e86c1",
    "#f39c12",
    "#27ae60",
    "#c0392b",
    "#8e44ad",
    "#16a085",
    "#d35400",
    "#7f8c8d",
    "#2c3e50",
    "#e84393",
    "#00b894",
]
SUPPRESSED_LABEL = labels.SUPPRESSED_KO


def theme() -> dict[str, Any]:
    """Vega-Lite config: Nanum Gothic everywhere, quiet axes, a colour-blind-safe palette."""
    return {
        "config": {
            "font": FONT,
            "title": {"font": FONT, "fontSize": 15, "anchor": "start", "subtitleFont": FONT},
            "axis": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 11,
                "titleFontSize": 12,
                "gridColor": "#e5e5e5",
            },
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


def cell_text(column: str, fmt: str | None = None) -> pl.Expr:
    """A column as a reader would see it in a mark's description: numbers in ``fmt`` (d3's
    ``.1%``, ``,.0f``, ``.2f``), a missing value as 비공개."""
    c = pl.col(column)
    if fmt and fmt[-1] in "%f":
        digits = int("".join(ch for ch in fmt.split(".")[-1] if ch.isdigit()) or 0)
        v = (c * 100 if fmt.endswith("%") else c).cast(pl.Float64).round(digits)
        v = v.cast(pl.Int64) if digits == 0 else v
        text = v.cast(pl.String) + ("%" if fmt.endswith("%") else "")
    else:
        text = c.cast(pl.String)
    return text.fill_null(SUPPRESSED_LABEL)


Part = tuple[str | None, str, str | None]  # (Korean title or None, column, number format)


def described(df: pl.DataFrame, parts: list[Part]) -> pl.DataFrame:
    """``df`` with ``_description``: each mark described in Korean, "제목: 값; …", from the
    published columns it draws. A chart's SVG carries it as the mark's ARIA text instead of
    Vega-Lite's default, which prints raw column names and unformatted numbers."""
    pieces: list[pl.Expr] = []
    for i, (title, column, fmt) in enumerate(parts):
        if i:
            pieces.append(pl.lit("; "))
        if title:
            pieces.append(pl.lit(f"{title}: "))
        pieces.append(cell_text(column, fmt))
    return df.with_columns(pl.concat_str(pieces).alias("_description"))


def tooltips(parts: list[Part]) -> list[Any]:
    """The same parts as titled tooltips (no raw column name in a tooltip either)."""
    import altair as alt

    out = []
    for title, column, fmt in parts:
        kind = "Q" if fmt else "N"
        kw: dict[str, Any] = {"title": title or " "}
        if fmt:
            kw["format"] = fmt
        out.append(alt.Tooltip(f"{column}:{kind}", **kw))
    return out


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
