"""Altair theme with Korean fonts and the standard charts every notebook and brief uses.

Charts take disclosed tables (talentlib.privacy.DisclosedTable) or plain frames of published
numbers; suppressed cells are drawn as gaps and labelled 비공개, never as zero. Korean labels come
from the taxonomy; column names stay English. Heavy imports (altair, vl-convert) are deferred.
"""

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


def _text(column: str, fmt: str | None = None) -> pl.Expr:
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
        pieces.append(_text(column, fmt))
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


def bar(
    df: pl.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    color: str | None = None,
    horizontal: bool = True,
    sort: str | list[str] | None = None,
    fmt: str = ",.0f",
) -> alt.Chart:
    """Bar chart of published values in the frame's order (sort it first, or pass `sort`); rows
    whose value is null (suppressed) are labelled 비공개 instead of drawn as zero. A disclosed
    table's margin rows (TOTAL in a text column) are not drawn: a total beside its parts would
    be the longest bar."""
    import altair as alt

    from talentlib import privacy

    enable()
    text = [c for c, t in df.schema.items() if t == pl.String]
    if text:
        df = df.filter(~pl.any_horizontal(pl.col(text).fill_null("") == privacy.TOTAL))
    data = df.with_columns(
        pl.when(pl.col(x if horizontal else y).is_null())
        .then(pl.lit(SUPPRESSED_LABEL))
        .otherwise(pl.lit(""))
        .alias("_note")
    )
    value, cat = (x, y) if horizontal else (y, x)
    value_title, cat_title = (x_title, y_title) if horizontal else (y_title, x_title)
    parts: list[Part] = [(cat_title, cat, None), (value_title, value, fmt)]
    data = described(data, parts).with_columns(
        pl.when(pl.col("_note") != "")
        .then(pl.concat_str([_text(cat), pl.lit(f": {SUPPRESSED_LABEL}")]))
        .otherwise(pl.col("_description"))
        .alias("_description")
    )
    enc_v = alt.X(f"{value}:Q", title=x_title) if horizontal else alt.Y(f"{value}:Q", title=y_title)
    enc_c = (
        alt.Y(f"{cat}:N", title=y_title, sort=sort)
        if horizontal
        else alt.X(f"{cat}:N", title=x_title, sort=sort)
    )
    base = alt.Chart(data).encode(enc_c)
    bars = base.mark_bar().encode(enc_v, tooltip=tooltips(parts), description="_description:N")
    if color:
        bars = bars.encode(color=alt.Color(f"{color}:N", title=None))
    # suppressed cells: a red 비공개 label where the bar would start, never a zero-length bar
    notes = (
        base.mark_text(
            align="left" if horizontal else "center",
            dx=3 if horizontal else 0,
            dy=0 if horizontal else -6,
            color="#c0392b",
        )
        .encode(
            (alt.X if horizontal else alt.Y)("_zero:Q"),
            text="_note:N",
            description="_description:N",
        )
        .transform_filter("datum._note != ''")
        .transform_calculate(_zero="0")
    )
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


def _colour(label: str, i: int) -> str:
    """Fixed colours for career states so every chart reads the same; grey for 비공개."""
    fixed = {
        "비공개(합산)": "#bdbdbd",
        "미관측(교수·공무원·해외 등)": "#f39c12",
        "고용보험 이력 없음(해당 시점)": "#d5dbdb",
        "취업(고용보험 가입)": "#1f4e79",
        "산업계": "#1f4e79",
        "공공연구": "#27ae60",
        "학계": "#8e44ad",
        "공공부문": "#2e86c1",
    }
    return fixed.get(label, PALETTE[i % len(PALETTE)])


def stacked_share(
    df: pl.DataFrame,
    x: str,
    color: str,
    value: str,
    *,
    title: str,
    x_title: str,
    color_title: str,
    order: list[str] | None = None,
    horizontal: bool = False,
    x_sort: list[str] | None = None,
) -> alt.Chart:
    """100 % stacked bars (shares within each x), e.g. employment status by months after exit."""
    import altair as alt

    enable()
    keep = [f"{color}_order"] if f"{color}_order" in df.columns else []
    data = (  # one mark per (x, colour), described in Korean by its share: a mark's ARIA text
        # (in the SVG) never prints a count, nor the frame's column names
        df.drop_nulls(value)
        .group_by(x, color, maintain_order=True)
        .agg(pl.col(value).sum(), *(pl.col(k).first() for k in keep))
        .with_columns((pl.col(value) / pl.col(value).sum().over(x)).alias("_share"))
    )
    parts: list[Part] = [(x_title, x, None), (color_title, color, None), ("비율", "_share", ".1%")]
    data = described(data, parts)
    if order:
        present = set(data[color].to_list())
        order = [o for o in order if o in present] + sorted(present - set(order))
    share = alt.X(f"sum({value}):Q", stack="normalize", title="비율", axis=alt.Axis(format="%"))
    cat = (
        alt.Y(f"{x}:N", title=x_title, sort=x_sort)
        if horizontal
        else alt.X(f"{x}:O", title=x_title, sort=x_sort or "ascending", axis=alt.Axis(labelAngle=0))
    )
    enc = (
        {"x": share, "y": cat}
        if horizontal
        else {
            "x": cat,
            "y": alt.Y(
                f"sum({value}):Q", stack="normalize", title="비율", axis=alt.Axis(format="%")
            ),
        }
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            **enc,
            color=alt.Color(
                f"{color}:N",
                title=color_title,
                sort=order,
                scale=alt.Scale(domain=order, range=[_colour(o, i) for i, o in enumerate(order)])
                if order
                else alt.Undefined,
            ),
            order=alt.Order(f"{color}_order:Q")
            if f"{color}_order" in df.columns
            else alt.Undefined,
            tooltip=tooltips(parts),
            description="_description:N",
        )
        .properties(title=title, width=520, height=alt.Step(22) if horizontal else 280)
    )


def quartile_range(
    df: pl.DataFrame,
    cat: str,
    p25: str,
    p50: str,
    p75: str,
    *,
    title: str,
    cat_title: str,
    value_title: str,
    sort: list[str] | None = None,
) -> alt.Chart:
    """Interquartile range bars with the median marked, e.g. monthly wages by degree (만원)."""
    import altair as alt

    enable()
    parts: list[Part] = [
        (cat_title, cat, None),
        (f"25% ({value_title})", p25, ",.0f"),
        (f"중위값 ({value_title})", p50, ",.0f"),
        (f"75% ({value_title})", p75, ",.0f"),
    ]
    data = described(df.drop_nulls(p50), parts)
    base = alt.Chart(data).encode(alt.Y(f"{cat}:N", title=cat_title, sort=sort))
    rng = base.mark_bar(size=14, color="#9ecae1").encode(
        alt.X(f"{p25}:Q", title=value_title),
        alt.X2(f"{p75}:Q"),
        tooltip=tooltips(parts),
        description="_description:N",
    )
    med = base.mark_tick(color="#1f4e79", thickness=3, size=20, aria=False).encode(
        alt.X(f"{p50}:Q")
    )
    return (rng + med).properties(title=title, width=480, height=alt.Step(26))


def line(
    df: pl.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    color: str | None = None,
    y_format: str = ",.0f",
) -> alt.Chart:
    """Lines over time (or months), one per colour group."""
    import altair as alt

    enable()
    parts: list[Part] = [(x_title, x, None), (y_title, y, y_format)]
    if color:
        parts.insert(0, (None, color, None))
    enc = {
        "x": alt.X(f"{x}:Q", title=x_title),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
        "tooltip": tooltips(parts),
        "description": "_description:N",
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None)
    return (
        alt.Chart(described(df.drop_nulls(y), parts))
        .mark_line(point=True)
        .encode(**enc)
        .properties(title=title, width=520, height=260)
    )


def sankey_svg(
    flows: pl.DataFrame,
    source: str,
    target: str,
    value: str,
    *,
    title: str,
    width: int = 720,
    height: int = 420,
) -> str:
    """A two-column Sankey diagram as self-contained SVG (Korean labels, no JavaScript).

    Vega-Lite has no Sankey mark; this draws nodes as stacked bars and links as filled Bézier
    bands. Rows with a null value (suppressed cells) are left out and counted in a footnote.
    """
    from html import escape

    sup = flows.filter(pl.col(value).is_null()).height
    f = flows.drop_nulls(value).filter(pl.col(value) > 0)
    left = f.group_by(source).agg(pl.col(value).sum()).sort(value, descending=True)
    right = f.group_by(target).agg(pl.col(value).sum()).sort(value, descending=True)
    total = float(f[value].sum()) or 1.0
    top, gap, node_w = 40, 6, 14
    avail_l = height - top - 20 - gap * max(left.height - 1, 0)
    avail_r = height - top - 20 - gap * max(right.height - 1, 0)
    scale = min(avail_l, avail_r) / total
    x_l, x_r = 170, width - 270

    def positions(nodes: pl.DataFrame, key: str) -> dict[str, float]:
        y, pos = float(top), {}
        for k, v in nodes.iter_rows():
            pos[k] = y
            y += v * scale + gap
        return pos

    pl_pos, pr_pos = positions(left, source), positions(right, target)
    off_l, off_r = dict(pl_pos), dict(pr_pos)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="{escape(FONT)}" font-size="12">',
        f'<text x="10" y="20" font-size="15">{escape(title)}</text>',
    ]
    colours = {k: PALETTE[i % len(PALETTE)] for i, (k, _) in enumerate(left.iter_rows())}
    # links ordered by their ends' positions, so bands leave and arrive without crossing in a node
    ordered = f.with_columns(
        pl.col(source).replace_strict(pl_pos, return_dtype=pl.Float64).alias("_ys"),
        pl.col(target).replace_strict(pr_pos, return_dtype=pl.Float64).alias("_yt"),
    ).sort("_ys", "_yt")
    for s, t, v in ordered.select(source, target, value).iter_rows():
        h = v * scale
        y0, y1 = off_l[s], off_r[t]
        off_l[s] += h
        off_r[t] += h
        xm = (x_l + node_w + x_r) / 2
        d = (
            f"M{x_l + node_w},{y0} C{xm},{y0} {xm},{y1} {x_r},{y1} "
            f"L{x_r},{y1 + h} C{xm},{y1 + h} {xm},{y0 + h} {x_l + node_w},{y0 + h} Z"
        )
        parts.append(
            f'<path d="{d}" fill="{colours[s]}" fill-opacity="0.45"><title>{escape(str(s))} → '
            f"{escape(str(t))}: {v:,.0f}</title></path>"
        )
    for k, v in left.iter_rows():
        y = pl_pos[k]
        parts.append(
            f'<rect x="{x_l}" y="{y}" width="{node_w}" height="{max(v * scale, 1)}" fill="{colours[k]}"/>'
        )
        parts.append(
            f'<text x="{x_l - 6}" y="{y + v * scale / 2 + 4}" text-anchor="end">{escape(str(k))} ({v:,.0f})</text>'
        )
    for k, v in right.iter_rows():
        y = pr_pos[k]
        parts.append(
            f'<rect x="{x_r}" y="{y}" width="{node_w}" height="{max(v * scale, 1)}" fill="#7f8c8d"/>'
        )
        parts.append(
            f'<text x="{x_r + node_w + 6}" y="{y + v * scale / 2 + 4}">{escape(str(k))} ({v:,.0f})</text>'
        )
    if sup:
        parts.append(
            f'<text x="10" y="{height - 6}" font-size="11" fill="#c0392b">'
            f"{SUPPRESSED_LABEL} 처리된 흐름 {sup}개는 표시하지 않음</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Workforce-map charts (notebooks/01_workforce_map). They take frames of published numbers with
# English columns plus a display-label column; titles and axis titles are given in Korean.
# --------------------------------------------------------------------------------------------

HIGHLIGHT = "#c0392b"
MUTED = "#9fb3c8"


def ranked_bars(
    df: pl.DataFrame,
    value: str,
    label: str,
    *,
    title: str,
    x_title: str,
    highlight: str | None = None,
    key: str | None = None,
    fmt: str = ".1%",
    subtitle: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars ranked by value, one row (``key == highlight``, e.g. KR) in red."""
    import altair as alt

    enable()
    k = key or label
    parts: list[Part] = [(None, label, None), (x_title, value, fmt)]
    data = described(df, parts).with_columns(
        (pl.col(k) == highlight).fill_null(False).alias("_hl")
        if highlight is not None
        else pl.lit(False).alias("_hl")
    )
    base = alt.Chart(data).encode(alt.Y(f"{label}:N", sort="-x", title=None))
    bars = base.mark_bar().encode(
        alt.X(f"{value}:Q", title=x_title, axis=alt.Axis(format=fmt)),
        color=alt.condition("datum._hl", alt.value(HIGHLIGHT), alt.value(MUTED)),
        tooltip=tooltips(parts),
        description="_description:N",
    )
    text = base.mark_text(align="left", dx=3, fontSize=10, aria=False).encode(
        alt.X(f"{value}:Q"), text=alt.Text(f"{value}:Q", format=fmt)
    )
    return (bars + text).properties(
        title=alt.Title(title, subtitle=subtitle or ""), width=480, height=alt.Step(18)
    )


def lines(
    df: pl.DataFrame,
    x: str,
    y: str,
    series: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    fmt: str = ".1%",
    subtitle: str | None = None,
) -> alt.Chart:
    """Lines with points over time, one per series (e.g. 한국 vs 1위 국가)."""
    import altair as alt

    enable()
    parts: list[Part] = [(None, series, None), (x_title, x, None), (y_title, y, fmt)]
    return (
        alt.Chart(described(df, parts))
        .mark_line(point=True)
        .encode(
            alt.X(f"{x}:O", title=x_title),
            alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=fmt)),
            alt.Color(f"{series}:N", title=None),
            tooltip=tooltips(parts),
            description="_description:N",
        )
        .properties(title=alt.Title(title, subtitle=subtitle or ""), width=520, height=280)
    )


def quadrant(
    df: pl.DataFrame,
    x: str,
    y: str,
    size: str,
    label: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    x_ref: float = 1.0,
    y_ref: float = 1.0,
    subtitle: str | None = None,
    size_title: str = "논문 수",
) -> alt.LayerChart:
    """Strength/gap quadrant: x = Activity Index, y = relative impact, size = output; reference
    lines at the world baselines (1.0) split strengths (top right) from gaps."""
    import altair as alt

    enable()
    parts: list[Part] = [
        (None, label, None),
        (x_title, x, ".2f"),
        (y_title, y, ".2f"),
        (size_title, size, ",.1f"),
    ]
    base = alt.Chart(described(df, parts))
    pts = base.mark_circle(opacity=0.75, color=PALETTE[0]).encode(
        alt.X(f"{x}:Q", title=x_title),
        alt.Y(f"{y}:Q", title=y_title),
        alt.Size(f"{size}:Q", title=None, legend=None),
        tooltip=tooltips(parts),
        description="_description:N",
    )
    text = base.mark_text(align="left", dx=7, fontSize=10, aria=False).encode(
        alt.X(f"{x}:Q"), alt.Y(f"{y}:Q"), text=f"{label}:N"
    )
    rule = {"strokeDash": [4, 4], "color": "#7f8c8d", "aria": False}
    vr = alt.Chart().mark_rule(**rule).encode(x=alt.datum(x_ref))
    hr = alt.Chart().mark_rule(**rule).encode(y=alt.datum(y_ref))
    return alt.layer(pts, text, vr, hr).properties(
        title=alt.Title(title, subtitle=subtitle or ""), width=480, height=360
    )


def heatmap(
    df: pl.DataFrame,
    x: str,
    y: str,
    value: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    fmt: str = ".2f",
    subtitle: str | None = None,
    value_title: str = "값",
) -> alt.LayerChart:
    """Heatmap of a value over two categories (collaboration strength, field overlap)."""
    import altair as alt

    enable()
    parts: list[Part] = [(x_title, x, None), (y_title, y, None), (value_title, value, fmt)]
    base = alt.Chart(described(df, parts)).encode(
        alt.X(f"{x}:N", title=x_title), alt.Y(f"{y}:N", title=y_title)
    )
    rect = base.mark_rect().encode(
        alt.Color(f"{value}:Q", title=None, scale=alt.Scale(scheme="blues")),
        tooltip=tooltips(parts),
        description="_description:N",
    )
    text = base.mark_text(fontSize=9, aria=False).encode(text=alt.Text(f"{value}:Q", format=fmt))
    return (rect + text).properties(
        title=alt.Title(title, subtitle=subtitle or ""), width=alt.Step(28), height=alt.Step(22)
    )


def network(
    edges: pl.DataFrame,
    nodes: pl.DataFrame,
    *,
    source: str,
    target: str,
    weight: str,
    node: str,
    size: str,
    label: str,
    title: str,
    highlight: str | None = None,
    subtitle: str | None = None,
    weight_title: str = "연결 강도",
    size_title: str = "논문 수",
) -> alt.LayerChart:
    """Node-link chart on a circle: nodes sized by ``size``, edges as lines whose width follows
    ``weight`` (e.g. association strength); ``highlight`` (a node code) drawn in red."""
    import math

    import altair as alt

    enable()
    n = max(nodes.height, 1)
    pos = nodes.with_columns(
        pl.Series("_x", [math.cos(2 * math.pi * i / n) for i in range(nodes.height)]),
        pl.Series("_y", [math.sin(2 * math.pi * i / n) for i in range(nodes.height)]),
        (pl.col(node) == highlight).fill_null(False).alias("_hl"),
    )
    xy = pos.select(node, "_x", "_y")
    names = pos.select(node, label)
    e = (
        edges.join(xy.rename({node: source, "_x": "_x1", "_y": "_y1"}), on=source)
        .join(xy.rename({node: target, "_x": "_x2", "_y": "_y2"}), on=target)
        .join(names.rename({node: source, label: "_a"}), on=source, how="left")
        .join(names.rename({node: target, label: "_b"}), on=target, how="left")
    )
    edge_parts: list[Part] = [(None, "_a", None), (None, "_b", None), (weight_title, weight, ".2f")]
    node_parts: list[Part] = [(None, label, None), (size_title, size, ",.0f")]
    e = described(e, edge_parts)
    pos = described(pos, node_parts)
    axis = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    scale = alt.Scale(domain=[-1.3, 1.3])
    lines_ = (
        alt.Chart(e)
        .mark_rule(color="#7f8c8d", opacity=0.6)
        .encode(
            alt.X("_x1:Q", axis=axis, scale=scale),
            alt.Y("_y1:Q", axis=axis, scale=scale),
            x2="_x2:Q",
            y2="_y2:Q",
            strokeWidth=alt.StrokeWidth(
                f"{weight}:Q", legend=None, scale=alt.Scale(range=[0.5, 6])
            ),
            tooltip=tooltips(edge_parts),
            description="_description:N",
        )
    )
    base = alt.Chart(pos).encode(
        alt.X("_x:Q", axis=axis, scale=scale), alt.Y("_y:Q", axis=axis, scale=scale)
    )
    dots = base.mark_circle(opacity=0.9).encode(
        alt.Size(f"{size}:Q", legend=None, scale=alt.Scale(range=[40, 900])),
        color=alt.condition("datum._hl", alt.value(HIGHLIGHT), alt.value(PALETTE[0])),
        tooltip=tooltips(node_parts),
        description="_description:N",
    )
    text = base.mark_text(dy=-14, fontSize=11, aria=False).encode(text=f"{label}:N")
    return alt.layer(lines_, dots, text).properties(
        title=alt.Title(title, subtitle=subtitle or ""), width=420, height=420
    )


def pyramid(
    df: pl.DataFrame,
    band: str,
    side: str,
    value: str,
    *,
    left: str,
    right: str,
    order: list[str],
    title: str,
    x_title: str,
    subtitle: str | None = None,
) -> alt.Chart:
    """Population pyramid: ``left`` values of ``side`` drawn to the left (as negatives), the
    others to the right, bands ordered bottom-up by ``order``; suppressed cells leave a gap."""
    import altair as alt

    enable()
    data = df.with_columns(
        pl.when(pl.col(side) == left).then(-pl.col(value)).otherwise(pl.col(value)).alias("_v"),
        pl.col(value).alias("_abs"),
    )
    parts: list[Part] = [(None, band, None), (None, side, None), (x_title, "_abs", ",.0f")]
    data = described(data, parts)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            alt.Y(f"{band}:N", sort=list(reversed(order)), title=None),
            alt.X("_v:Q", title=x_title, axis=alt.Axis(labelExpr="abs(datum.value)")),
            alt.Color(
                f"{side}:N",
                title=None,
                sort=[left, right],
                scale=alt.Scale(range=[PALETTE[1], PALETTE[2]]),
            ),
            tooltip=tooltips(parts),
            description="_description:N",
        )
        .properties(title=alt.Title(title, subtitle=subtitle or ""), width=460, height=alt.Step(24))
    )


def share_stack(
    df: pl.DataFrame,
    x: str,
    stack: str,
    value: str,
    *,
    title: str,
    x_title: str,
    y_title: str,
    order: list[str] | None = None,
    subtitle: str | None = None,
) -> alt.Chart:
    """Bars per x stacked to 100 % by ``stack`` (e.g. 상위 기관 / 기타 기관 per year)."""
    import altair as alt

    enable()
    data = df.with_columns((pl.col(value) / pl.col(value).sum().over(x)).alias("_share"))
    parts: list[Part] = [(x_title, x, None), (None, stack, None), (y_title, "_share", ".1%")]
    return (
        alt.Chart(described(data, parts))
        .mark_bar()
        .encode(
            alt.X(f"{x}:O", title=x_title),
            alt.Y(f"{value}:Q", stack="normalize", title=y_title, axis=alt.Axis(format="%")),
            alt.Color(f"{stack}:N", title=None, sort=order),
            order=alt.Order(f"{stack}:N", sort="descending"),
            tooltip=tooltips(parts),
            description="_description:N",
        )
        .properties(title=alt.Title(title, subtitle=subtitle or ""), width=520, height=260)
    )


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


# --------------------------------------------------------------------------------------------
# The workforce map's charts (notebooks/01_workforce_map and the brief), from one MapTables
# --------------------------------------------------------------------------------------------

PUBLIC_BIBLIOMETRICS = "OpenAlex 서지 통계 (논문을 세며 사람을 세지 않음)"


def workforce_charts(mt: Any, field_ko: str) -> dict[str, tuple[Any, list[str]]]:
    """name → (chart, the published tables it draws) for one field's workforce map; charts of
    paper counts draw no people and name no table (``PUBLIC_BIBLIOMETRICS`` says why)."""
    from talentlib import privacy

    s = mt.spec
    y0, y1 = s.years
    out: dict[str, tuple[Any, list[str]]] = {}
    out["country_top10_share"] = (
        ranked_bars(
            mt.frames["country_ranking"],
            "top10_share",
            "country_ko",
            key="country_code",
            highlight=s.country,
            title=f"{field_ko}: 국가별 상위 10% 논문 점유율",
            x_title="상위 10% 논문 점유율(분수계수)",
            subtitle=f"{y0}-{y1}, 상위 {s.top_countries}개국과 비교국",
        ),
        [],
    )
    out["korea_vs_leader"] = (
        lines(
            mt.frames["share_over_time"].rename({"publication_year": "year"}),
            "year",
            "top10_share",
            "country_ko",
            title=f"{field_ko}: 한국과 1위 국가의 상위 10% 논문 점유율",
            x_title="출판연도",
            y_title="상위 10% 논문 점유율",
            subtitle="한국, 기간 전체 1위 국가, 연도별 1위 국가의 점유율",
        ),
        [],
    )
    out["tech_strength_gap"] = (
        quadrant(
            mt.frames["activity_index"],
            "activity_index",
            "relative_impact",
            "papers_frac",
            "tech_ko",
            title=f"{field_ko}: 한국의 기술별 강점과 약점",
            x_title="활동지수(AI, 1 = 세계 평균)",
            y_title="상대 영향력(PP10% / 10%)",
            subtitle="원 크기 = 논문 수(분수계수)",
            size_title="논문 수(분수계수)",
        ),
        [],
    )
    out["collaboration_network"] = (
        network(
            mt.frames["network"].with_columns(pl.col("association_strength").clip(upper_bound=5.0)),
            mt.frames["network_nodes"],
            source="country_a",
            target="country_b",
            weight="association_strength",
            node="country_code",
            size="papers_full",
            label="country_ko",
            highlight=s.country,
            title=f"{field_ko}: 국가 간 공동연구망",
            subtitle="선 굵기 = 연관 강도(5 이상은 5), 원 크기 = 논문 수",
            weight_title="연관 강도",
        ),
        [],
    )
    if "career_pyramid" in mt.tables:
        age = labels.values("age_band")
        out["pyramid"] = (
            pyramid(
                labels.korean(mt.tables["career_pyramid"].table, "age_band", "sex"),
                "age_band",
                "sex",
                "researchers",
                left=labels.values("sex")["M"],
                right=labels.values("sex")["F"],
                order=[age[k] for k in ("lt30", "30_39", "40_49", "50_59", "60p")],
                title=f"{field_ko}: 연구인력 연령 피라미드 ({y1})",
                x_title="연구자 수",
                subtitle="비공개 셀은 빈칸",
            ),
            ["career_pyramid"],
        )
    if "institution_concentration" in mt.tables:
        conc = mt.tables["institution_concentration"].table
        group = labels.values("group")
        out["institution_concentration"] = (
            share_stack(
                conc.filter(
                    pl.col("year") != privacy.TOTAL, pl.col("group") != privacy.TOTAL
                ).with_columns(pl.col("group").replace(group)),
                "year",
                "group",
                "researchers",
                order=[group["top"], group["rest"]],
                title=f"{field_ko}: 상위 {s.top_k_institutions}개 기관 집중도",
                x_title="연도",
                y_title="연구자 비중",
            ),
            ["institution_concentration"],
        )
    return out
