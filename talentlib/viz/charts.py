"""The chart families (bars, stacked shares, quartile ranges, lines, a Sankey diagram, ranked
bars, a strength/gap quadrant, a heatmap, a network, a pyramid): each takes a frame of published
numbers with English columns and Korean titles; suppressed cells are gaps labelled 비공개."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from talentlib.viz.style import (
    FONT,
    PALETTE,
    SUPPRESSED_LABEL,
    Part,
    cell_text,
    described,
    enable,
    tooltips,
)

if TYPE_CHECKING:  # pragma: no cover
    import altair as alt


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
        .then(pl.concat_str([cell_text(cat), pl.lit(f": {SUPPRESSED_LABEL}")]))
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
# Ranked and relational charts (first drawn for notebooks/01_workforce_map). They take frames of
# published numbers with English columns plus a display-label column; titles are given in Korean.
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
