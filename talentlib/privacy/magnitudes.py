"""Magnitudes (wages, shares): the per-group statistics ``disclose`` needs (``magnitude_stats``:
quantiles and the top-n share for the dominance rule) and the rules that hide a magnitude
(threshold, dominance, a hidden count, and complements for additive ones)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from talentlib.privacy.rules import DisclosureRules
from talentlib.privacy.suppression import Extended, protect_lines
from talentlib.privacy.table import TOTAL


def _quantile_name(q: float) -> str:
    if not 0 <= q <= 1:
        raise ValueError(f"quantile must be in [0, 1], got {q}")
    return "p" + f"{q * 100:g}".replace(".", "_")


def magnitude_stats(
    micro: pl.DataFrame | pl.LazyFrame,
    by: list[str],
    value: str,
    quantiles: Sequence[float] = (0.25, 0.5, 0.75),
    n: int = 2,
    *,
    margins: list[list[str]] | None = None,
    round_to: float | None = None,
) -> pl.DataFrame:
    """Per-group n_people, quantiles (numpy 'linear') and top-n share of ``value`` for disclose.

    Only people with a non-null value count. ``{value}_top_share`` is the share of the group's
    total of |value| held by its ``n`` largest contributors; pass the same n as the rules'
    dominance_n. ``margins`` lists extra groupings (subsets of ``by``) whose other ``by``
    columns are set to TOTAL, e.g. ``[["field"], ["state"], []]`` for a field × state table, so
    that ``disclose`` gets real margin medians instead of leaving them empty. ``round_to``
    rounds the quantiles to a multiple of it (wages to 10,000 won): an interpolated quantile's
    last digits tell how many people the group has, modulo a small number.
    """
    lf = micro.lazy()
    schema = lf.collect_schema()
    missing = [c for c in [*by, value] if c not in schema]
    if missing:
        raise ValueError(f"magnitude_stats: column(s) not in frame: {', '.join(missing)}")
    if not schema[value].is_numeric():
        raise ValueError(f"magnitude_stats: column {value!r} must be numeric")
    if n < 1:
        raise ValueError("n must be >= 1")
    v = pl.col(value)
    total = v.abs().sum()
    aggs = [
        pl.len().cast(pl.Int64).alias("n_people"),
        *(
            (
                v.quantile(q, interpolation="linear")
                if not round_to
                else (v.quantile(q, interpolation="linear") / round_to).round(0) * round_to
            ).alias(f"{value}_{_quantile_name(q)}")
            for q in quantiles
        ),
        pl.when(total > 0)
        .then(v.abs().top_k(n).sum() / total)
        .otherwise(None)
        .cast(pl.Float64)
        .alias(f"{value}_top_share"),
    ]
    lf = lf.filter(v.is_not_null())
    frames = [lf.group_by(by, maintain_order=True).agg(aggs).sort(by)]
    if margins:
        frames = [frames[0].with_columns(pl.col(c).cast(pl.String) for c in by)]
        for keep in margins:
            bad = [c for c in keep if c not in by]
            if bad:
                raise ValueError(f"magnitude_stats: margin column(s) not in by: {', '.join(bad)}")
            grouped = (
                lf.group_by(keep, maintain_order=True).agg(aggs).sort(keep)
                if keep
                else lf.select(aggs)
            )
            frames.append(
                grouped.with_columns(
                    *(pl.col(c).cast(pl.String) for c in keep),
                    *(pl.lit(TOTAL).alias(c) for c in by if c not in keep),
                ).select(frames[0].collect_schema().names())
            )
    return pl.concat(frames).collect()


def _margin_share_bound(shares: list[Any], totals: list[Any]) -> float | None:
    """Upper bound on a margin's top-n share from its parts' shares and (additive) totals.

    The top n of a union hold at most the sum of each part's top n, i.e. sum(s_i * |T_i|), so
    the total-weighted mean of the parts' shares bounds the margin's share (assumes the shares
    were computed on the same, non-negative value that the additive column sums).
    """
    weight = sum(abs(t) for t in totals)
    if weight == 0:
        return None
    if any(s is None for s, t in zip(shares, totals, strict=True) if t):
        return None
    return sum(s * abs(t) for s, t in zip(shares, totals, strict=True) if t) / weight


def _unknown(share: float | None) -> bool:
    return share is None or share != share  # None or NaN


def magnitude_pattern(
    m: str,
    interior: pl.DataFrame,
    ext: Extended,
    given: dict[int, dict[str, Any]],
    count_suppressed: list[bool],
    top_share: str | None,
    additive: bool,
    rules: DisclosureRules,
) -> tuple[list[Any], dict[int, str]]:
    """Values of magnitude ``m`` over the extended table and the rule that hides each entry.

    A margin of a non-additive column (a quantile) exists only in a precomputed margin row;
    otherwise it stays empty, which is not a suppression.
    """
    cell_vals = interior.get_column(m).to_list()
    cell_shares = interior.get_column(top_share).to_list() if top_share else [None] * ext.n_cells
    vals: list[Any] = list(cell_vals)
    shares: list[float | None] = list(cell_shares)
    available = [True] * ext.n_cells
    for j, cs in enumerate(ext.contributors):
        e = ext.n_cells + j
        rec = given.get(e)
        if additive:
            total = sum(cell_vals[i] for i in cs)
            if rec is not None and rec[m] is not None:
                if abs(rec[m] - total) > 1e-9 * max(1.0, abs(total)):
                    raise ValueError(
                        f"disclose: column {m!r}: margin row does not equal the sum of its cells"
                    )
            vals.append(total)
            available.append(True)
            if rec is not None and top_share:
                shares.append(rec[top_share])
            else:
                shares.append(
                    _margin_share_bound([cell_shares[i] for i in cs], [cell_vals[i] for i in cs])
                )
        else:
            vals.append(rec[m] if rec is not None else None)
            available.append(rec is not None)
            shares.append(rec[top_share] if rec is not None and top_share else None)
    rule: dict[int, str] = {}
    for e in range(ext.n_entries):
        if not available[e]:
            continue
        if count_suppressed[e]:
            rule[e] = "count_suppressed"
        elif ext.values[e] < rules.min_count_magnitude:
            rule[e] = "magnitude_threshold"
        elif top_share and (_unknown(shares[e]) or shares[e] > rules.dominance_k):
            rule[e] = "dominance"
    if additive:
        suppressed = [e in rule for e in range(ext.n_entries)]
        for e in protect_lines(vals, suppressed, ext.lines, ext.margin_of, min_sum=None):
            rule[e] = "complementary"
    return vals, rule
