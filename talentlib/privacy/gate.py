"""``disclose``: the one gate every published table goes through, from a long-format aggregate
to a sealed ``DisclosedTable`` (threshold rule, complementary suppression or cell-key
perturbation, magnitude rules, and the log of what was hidden and why)."""

from __future__ import annotations

import warnings
from typing import Any

import polars as pl

from talentlib.privacy.magnitudes import magnitude_pattern
from talentlib.privacy.perturbation import CELL_KEY_COMPLEMENTARY, entry_keys, max_perturbation
from talentlib.privacy.rules import DisclosureRules
from talentlib.privacy.suppression import (
    extend,
    given_margins,
    hidden_entries,
    protect_lines,
    protect_rectangles,
    real_totals,
)
from talentlib.privacy.table import TOTAL, DisclosedTable, seal


def _validate(
    table: pl.DataFrame,
    count: str,
    dims: list[str],
    mags: list[str],
    additive: list[str],
    top_share: str | None,
    *keys: str,
) -> None:
    declared = [*dims, count, *mags, *([top_share] if top_share else []), *keys]
    for c in declared:
        if c not in table.columns:
            raise ValueError(f"disclose: column {c!r} is not in the table")
    if len(set(declared)) != len(declared):
        raise ValueError("disclose: a column is named in more than one role")
    extra = [c for c in table.columns if c not in declared]
    if extra:
        raise ValueError(
            "disclose: undeclared column(s) "
            + ", ".join(repr(c) for c in extra)
            + "; every published column must pass a rule: declare them in magnitudes= or drop "
            "them (labels belong to display time)"
        )
    for c in dims:
        if table.get_column(c).null_count():
            raise ValueError(f"disclose: dimension column {c!r} has nulls; use an explicit code")
    cnt = table.get_column(count)
    if not cnt.dtype.is_numeric():
        raise ValueError(f"disclose: count column {count!r} must be numeric")
    if cnt.null_count():
        raise ValueError(f"disclose: count column {count!r} has nulls")
    if (cnt < 0).any():
        raise ValueError(f"disclose: count column {count!r} has negative values")
    if cnt.dtype.is_float() and not (cnt == cnt.round(0)).all():
        raise ValueError(f"disclose: count column {count!r} has non-integer values")
    for c in [*mags, *([top_share] if top_share else [])]:
        if not table.get_column(c).dtype.is_numeric():
            raise ValueError(f"disclose: column {c!r} must be numeric")
    for c in additive:
        if table.get_column(c).null_count():
            raise ValueError(
                f"disclose: additive magnitude {c!r} has nulls; fill empty cells with 0"
            )
    if table.height and table.select(pl.struct(dims).is_duplicated().any()).item():
        raise ValueError(f"disclose: duplicated cells over dimension column(s) {', '.join(dims)}")


def _messages(rules: DisclosureRules) -> dict[str, str]:
    k = f"{rules.dominance_k:.0%}"
    return {
        "threshold": f"최소 인원 기준 미달 (0 < n < {rules.min_count}) / "
        f"below minimum count (0 < n < {rules.min_count})",
        "complementary": "합계 차감 역산 방지 보완 비공개 / "
        "complementary suppression (no recovery from totals)",
        "magnitude_threshold": f"집단 인원 {rules.min_count_magnitude}명 미만 / "
        f"group smaller than {rules.min_count_magnitude} people",
        "dominance": f"상위 {rules.dominance_n}인 비중 {k} 초과 또는 미상 / "
        f"top {rules.dominance_n} contributors hold over {k} (or unknown)",
        "count_suppressed": "인원 비공개 셀 / count is suppressed",
        "linked": "같은 사람들을 세는 다른 표에서 비공개 / "
        "hidden in another table of the same people",
    }


def disclose(
    table: pl.DataFrame,
    *,
    count: str,
    rows: str | list[str],
    cols: str | None = None,
    magnitudes: list[str] | None = None,
    top_share: str | None = None,
    rules: DisclosureRules = DisclosureRules(),  # noqa: B008 — frozen, so a shared default is safe
    margins: bool | str = True,
    additive_magnitudes: list[str] | None = None,
    cell_key: str | None = None,
    population: dict[str, Any] | None = None,
    hide: pl.DataFrame | None = None,
    partition: bool | str = True,
) -> DisclosedTable:
    """Apply disclosure control to a long-format aggregate table (one row per cell).

    Counts: threshold rule, then complementary suppression so that every line of the extended
    table (cells + row/column/grand totals) has 0 or >= 2 suppressed entries and no published
    total reveals a small sum of suppressed cells. The pattern is always computed against the
    margins, even with ``margins=False`` (totals are usually published elsewhere);
    ``margins="rows"`` publishes only the row totals (for a 2-D table whose rows count the same
    people again, e.g. months after exit). Magnitudes:
    suppressed if the count is suppressed, below ``min_count_magnitude`` or dominated (top-n
    share > k, or unknown). Quantiles get no complementary suppression (not additive, so no
    subtraction recovers them); ``additive_magnitudes`` (sums) do. Margin rows carry TOTAL in
    the dimension columns; input rows with TOTAL are taken as precomputed margins (their count
    must equal the sum) and supply margin quantiles and top shares. ``top_share`` is never
    published. Suppressed values are null with a True ``{col}_suppressed`` flag.

    With ``rules.method == "cell_key"`` the counts are perturbed instead: ``cell_key`` names the
    column of cell keys (``cellkey.count_people``), a margin's key is the sum of its cells' keys
    mod 256 (the cells of a count table partition its people; a precomputed margin row may bring
    its own key), cells under the threshold are suppressed on their true value, and every other
    count is published as ``value + perturbation(value, key)`` (``cellkey``: at most
    ``MAX_PERTURBATION``, never below the threshold, zeros stay zero). The complementary pattern
    is still applied on top (``CELL_KEY_COMPLEMENTARY``): it keeps a reader from knowing which
    hidden cells are small, and the noise — the same for the same people in every table — stops
    the differencing across tables that suppression alone cannot (``audit`` measures both).
    Magnitude rules use the true counts. Tables in which one person can
    sit in several cells must not publish margins (``margins=False``) and say so
    (``partition=False`` or ``"rows"``). ``population`` says what
    the table counts (``audit.Population.to_json``) and goes into the ledger stamp.

    ``partition`` says which sums of cells count anyone: True (the cells partition the table's
    people, every margin is a real total), ``"rows"`` (each row's cells partition the row, but
    rows count the same people again, e.g. years: only row totals are real) or False (one
    person sits in several cells, e.g. competencies of a posting: no sum is a total). Only real
    totals are protected by complementary suppression: hiding a cell to protect a sum that no
    table can publish would hide in one table a count that another table prints.

    ``hide`` lists cells (values of the dimension columns, TOTAL for a margin) whose count
    another table of the same people hides (e.g. a wage table's head counts are a status table's
    "employed" column): they are hidden here too, before the pattern is completed, so that one
    table never prints what another one hides. Their magnitudes follow their own rules.
    """
    if margins not in (True, False, "rows"):
        raise ValueError(f"disclose: margins is True, False or 'rows', not {margins!r}")
    if partition not in (True, False, "rows"):
        raise ValueError(f"disclose: partition is True, False or 'rows', not {partition!r}")
    if (partition is False and margins is not False) or (partition == "rows" and margins is True):
        raise ValueError(
            "disclose: a table whose cells do not partition its people cannot publish sums that "
            "are no totals (partition=False needs margins=False; partition='rows' allows "
            "margins='rows' or False)"
        )
    if partition == "rows" and not cols:
        raise ValueError("disclose: partition='rows' needs a 2-D table (cols=...)")
    row_dims = [rows] if isinstance(rows, str) else list(rows)
    if not row_dims:
        raise ValueError("disclose: rows must name at least one column")
    dims = [*row_dims, *([cols] if cols else [])]
    additive = list(additive_magnitudes or [])
    mags = list(magnitudes or [])
    mags += [a for a in additive if a not in mags]
    if rules.method == "cell_key" and cell_key is None:
        raise ValueError(
            "disclose: rules.method is 'cell_key' but no cell_key column was given; count the "
            "people with cellkey.count_people and pass cell_key='cell_key'"
        )
    keyed = cell_key is not None
    _validate(table, count, dims, mags, additive, top_share, *([cell_key] if keyed else []))
    if keyed and table.get_column(cell_key).null_count():  # type: ignore[arg-type]
        raise ValueError(f"disclose: cell key column {cell_key!r} has nulls")
    if mags and top_share is None:
        warnings.warn(
            "disclose: magnitudes given without top_share; the dominance rule is not applied "
            "(compute it with magnitude_stats)",
            UserWarning,
            stacklevel=2,
        )
    if margins:
        table = table.with_columns(pl.col(d).cast(pl.String) for d in dims)
    is_total = [pl.col(d) == TOTAL for d in dims if table.schema[d] == pl.String]
    any_total = pl.any_horizontal(is_total) if is_total else pl.lit(False)
    # Cells in a stable order (by their keys, not as a group_by happened to emit them): the same
    # data then gets the same suppression pattern in every run, so two releases never differ in
    # which cells they hide (the difference would give hidden cells away).
    interior = table.filter(~any_total).sort(dims, nulls_last=True, maintain_order=True)
    ext = extend(interior, count, row_dims, cols)
    given = given_margins(table.filter(any_total), ext, count)
    protected = real_totals(ext, partition)

    # Counts: threshold rule on the true values, then complementary suppression or perturbation.
    suppressed = [0 < v < rules.min_count for v in ext.values]
    count_rule = {e: "threshold" for e, s in enumerate(suppressed) if s}
    hidden_for_magnitudes = list(suppressed)
    labels = interior.select(pl.col(d).cast(pl.String) for d in dims).to_dicts()
    for rk, ck in ext.labels:
        lab = {d: (TOTAL if rk is None else str(rk[i])) for i, d in enumerate(row_dims)}
        if cols:
            lab[cols] = TOTAL if ck is None else str(ck)
        labels.append(lab)
    for e in hidden_entries(hide, labels, dims):
        if not suppressed[e] and ext.values[e]:
            suppressed[e] = True
            count_rule[e] = "linked"
    perturb = rules.method == "cell_key"
    # no real total, no complement: the ledger then says every hidden count is a small one
    # (or one another table hides, which keeps the flag on)
    complementary = (not perturb or CELL_KEY_COMPLEMENTARY) and (
        bool(protected.lines) or "linked" in count_rule.values()
    )
    if complementary:
        for e in protect_rectangles(protected, suppressed):
            count_rule[e] = "complementary"
            hidden_for_magnitudes[e] = True
        for e in protect_lines(
            ext.values, suppressed, protected.lines, protected.margin_of, rules.min_count
        ):
            count_rule[e] = "complementary"
            hidden_for_magnitudes[e] = True
    published_counts: list[int] = ext.values
    if perturb:
        from talentlib import cellkey

        assert cell_key is not None  # checked above
        keys = entry_keys(interior, table.filter(any_total), ext, cell_key)
        noise = cellkey.perturbation(ext.values, keys, rules.min_count)
        published_counts = [v + d for v, d in zip(ext.values, noise, strict=True)]
    patterns: dict[str, tuple[list[Any], dict[int, str]]] = {count: (published_counts, count_rule)}
    for m in mags:
        patterns[m] = magnitude_pattern(
            m, interior, protected, given, hidden_for_magnitudes, top_share, m in additive, rules
        )

    # The published table: interior cells in key order, then the margins.
    def columns(lo: int, hi: int) -> list[pl.Series]:
        out = []
        for c, (vals, rule) in patterns.items():
            dtype = pl.Int64 if c == count else table.schema[c]
            out.append(
                pl.Series(c, [None if e in rule else vals[e] for e in range(lo, hi)]).cast(dtype)
            )
            out.append(pl.Series(f"{c}_suppressed", [e in rule for e in range(lo, hi)], pl.Boolean))
        return out

    published = interior.select(dims).with_columns(columns(0, ext.n_cells))
    # margins="rows": only each row's total (its cells partition the row's people, but the same
    # people recur in every row, e.g. months, so totals over rows would count them again)
    last = (
        ext.n_entries
        if margins is True
        else ext.n_cells + sum(rk is not None for rk, _ in ext.labels)
        if margins == "rows"
        else ext.n_cells
    )
    if last > ext.n_cells:
        margin_dims = pl.DataFrame(labels[ext.n_cells : last], schema={d: pl.String for d in dims})
        published = pl.concat(
            [published, margin_dims.with_columns(columns(ext.n_cells, last))],
            how="vertical_relaxed",
        )

    # The log: one row per suppressed (cell, column), never the hidden value. Without margins
    # only the published cells are logged, though the margins still shaped the pattern.
    messages = _messages(rules)
    log = pl.DataFrame(
        [
            {**labels[e], "column": c, "rule": rule[e], "message": messages[rule[e]]}
            for c, (_, rule) in patterns.items()
            for e in sorted(rule)
            if e < last
        ],
        schema={d: pl.String for d in dims}
        | {"column": pl.String, "rule": pl.String, "message": pl.String},
    )
    result = DisclosedTable(
        table=published,
        log=log,
        rules=rules,
        method=rules.method,
        max_perturbation=max_perturbation(rules),
        complementary=complementary,
        population=population,
    )
    return seal(result)
