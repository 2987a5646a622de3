"""Rules across rows: primary and unique keys, duplicate rows, foreign keys into other
datasets and overlapping intervals (``no_overlap``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from talentlib.contracts.cast import ROW, as_text, bad_col, src_col
from talentlib.contracts.checks import Check, entries
from talentlib.contracts.load import Contract, ContractError, source_label

# On a duplicate_row entry until every rule has run: the row number of the first copy.
FIRST_COPY = "__tl_first_row"


def _key_text(cols: Sequence[str], work: pl.DataFrame) -> pl.Expr:
    texts = [as_text(pl.col(src_col(k)), work.schema[src_col(k)]).fill_null("") for k in cols]
    return texts[0] if len(texts) == 1 else pl.concat_str(texts, separator=",")


def key_entries(work: pl.DataFrame, c: Contract) -> list[pl.DataFrame]:
    """primary_key / unique conflicts (all rows of a key shared by different rows) and
    duplicate_row (later copies of an identical row)."""
    parts: list[pl.DataFrame] = []
    all_cols = c.column_names
    pk = c.primary_key

    def key(cols: Sequence[str]) -> pl.Expr:
        return pl.col(cols[0]) if len(cols) == 1 else pl.struct(cols)

    # Exact duplicates share their primary key, so only rows with a repeated key need the
    # (costlier) whole-row comparison.
    pk_dup = work.filter(key(pk).is_duplicated()) if pk else None
    candidates = pk_dup if pk_dup is not None else work
    if candidates.height:
        dup = candidates.with_columns(
            pl.col(ROW).min().over(pl.struct(all_cols)).alias(FIRST_COPY)
        ).filter(pl.col(ROW) != pl.col(FIRST_COPY))
        if dup.height:  # the message is written by duplicate_message, when all rules ran
            parts.append(entries(dup, Check(
                "duplicate_row", "*", pl.lit(True), pl.lit(None, pl.String), "")
            ).with_columns(dup[FIRST_COPY]))

    for rule, cols in [("primary_key", pk)] + [("unique", u) for u in c.unique_sets()]:
        if not cols:
            continue
        sub = pk_dup if rule == "primary_key" else work.filter(key(cols).is_duplicated())
        assert sub is not None
        if rule == "unique":  # as in SQL, a null never clashes in a unique key
            sub = sub.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in cols]))
        if not sub.height:
            continue
        sub = sub.with_columns(pl.struct(all_cols).is_first_distinct().alias("__tl_first"))
        clash = sub.filter(pl.col("__tl_first").cast(pl.Int32).sum().over(cols) > 1)
        if clash.height:
            label = ",".join(cols)
            what = "primary key" if rule == "primary_key" else "unique key"
            parts.append(entries(clash, Check(
                rule, label, pl.lit(True), _key_text(cols, work),
                f"{what} ({label}) shared by rows that differ; all of them are quarantined")))
    return parts


def duplicate_message(part: pl.DataFrame, bad_rows: pl.Series) -> pl.DataFrame:
    """Say whether the first copy of a duplicated row is kept, once every rule has run."""
    if FIRST_COPY not in part.columns:
        return part
    first = pl.col(FIRST_COPY)
    return part.with_columns(pl.format(
        "exact copy of row {}, which is {}", first,
        pl.when(first.is_in(bad_rows.implode())).then(pl.lit("quarantined too (see its entries)"))
        .otherwise(pl.lit("kept"))).alias("message")).drop(FIRST_COPY)


def fk_entries(work: pl.DataFrame, c: Contract,
                references: Mapping[str, pl.DataFrame | pl.LazyFrame] | None,
                warnings: list[str], source: str | None) -> list[pl.DataFrame]:
    parts: list[pl.DataFrame] = []
    for fk in c.foreign_keys:
        if references is None:
            continue
        if fk.dataset not in references:
            warnings.append(f"foreign key {','.join(fk.columns)} → {fk.dataset} not checked: "
                            f"no {fk.dataset!r} frame in references")
            continue
        ref = references[fk.dataset]
        ref = ref.collect() if isinstance(ref, pl.LazyFrame) else ref
        missing = [k for k in fk.ref_columns if k not in ref.columns]
        if missing:
            raise ContractError(
                f"{source_label(source, c)}: the {fk.dataset!r} reference frame lacks column(s) "
                f"{', '.join(missing)} needed for the foreign key {','.join(fk.columns)}; pass "
                f"the validated {fk.dataset} frame.", dataset=c.dataset, column=fk.columns[0],
                source=source, rule="foreign_key")
        ref_keys = ref.select(
            [pl.col(r).cast(work.schema[k], strict=False).alias(k)
             for k, r in zip(fk.columns, fk.ref_columns, strict=True)]
        ).unique()
        cand = work.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in fk.columns]))
        orphans = cand.join(ref_keys, on=list(fk.columns), how="anti", nulls_equal=False)
        if orphans.height:
            orphans = orphans.sort(ROW)
            label = ",".join(fk.columns)
            parts.append(entries(orphans, Check(
                "foreign_key", label, pl.lit(True), _key_text(fk.columns, work),
                f"{label} not found in {fk.dataset}.{','.join(fk.ref_columns)}")))
    return parts


def overlap_entries(work: pl.DataFrame, c: Contract, bad_rows: pl.Series
                     ) -> list[pl.DataFrame]:
    """no_overlap: within each ``by`` group, a row starting before an earlier-starting row ends."""
    parts: list[pl.DataFrame] = []
    for r in c.dataset_rules:
        assert r.start is not None and r.end is not None
        by = list(r.by)
        sub = work.filter(pl.col(r.start).is_not_null()
                          & ~pl.col(bad_col(r.end))
                          & ~pl.col(ROW).is_in(bad_rows.implode()))
        if sub.height < 2:
            continue
        sub = sub.select(
            ROW, *by,
            pl.col(r.start).to_physical().cast(pl.Int64).alias("__tl_s"),
            pl.col(r.end).to_physical().cast(pl.Int64).alias("__tl_e"),
            pl.col(r.start).alias("__tl_start"), pl.col(r.end).alias("__tl_end"),
        )
        changed = (pl.any_horizontal([pl.col(b).ne_missing(pl.col(b).shift(1)) for b in by])
                   if by else pl.lit(False))
        if by:
            # Sorting on a hash of the group keys is much faster than on the key strings; a hash
            # collision would show as a key change inside a run of equal hashes: then sort exactly.
            sub = sub.with_columns(pl.struct(by).hash().alias("__tl_h")).sort(
                ["__tl_h", "__tl_s", ROW])
            h = pl.col("__tl_h")
            if sub.select(((h == h.shift(1)) & changed).any()).item():
                sub = sub.sort([*by, "__tl_s", ROW])
        else:
            sub = sub.sort(["__tl_s", ROW])
        bounds = sub.select(
            pl.min_horizontal(pl.col("__tl_s").min(), pl.col("__tl_e").min()).alias("lo"),
            pl.max_horizontal(pl.col("__tl_s").max(), pl.col("__tl_e").max()).alias("hi"),
        ).row(0)
        lo, hi = int(bounds[0]), int(bounds[1])
        span = hi - lo + 2  # one more for "open" (null end)
        sub = sub.with_columns(
            changed.fill_null(True).cast(pl.Int64).cum_sum().alias("__tl_g"),
            (pl.col("__tl_e").fill_null(hi + 1) - lo).alias("__tl_e0"),
            (pl.col("__tl_s") - lo).alias("__tl_s0"),
        )
        n_groups = int(sub["__tl_g"].max() or 0) + 1  # type: ignore[arg-type]
        if n_groups * span < 2**62:
            # Per-group running max of end without group_by: groups are consecutive after the
            # sort, so (group, end) packed into one integer has a global running max that stays
            # inside the group whenever the previous row belongs to it.
            sub = sub.with_columns(
                (pl.col("__tl_g") * span + pl.col("__tl_e0")).cum_max().shift(1).alias("__tl_p"))
            flag = ((pl.col("__tl_p") // span) == pl.col("__tl_g")) & (
                pl.col("__tl_s0") < pl.col("__tl_p") % span)
        else:
            prev = pl.col("__tl_e0").cum_max().shift(1).over("__tl_g")
            flag = pl.col("__tl_s0") < prev
        hits = sub.filter(flag.fill_null(False)).sort(ROW)
        if hits.height:
            label = f"{r.start},{r.end}"
            value = pl.concat_str([pl.col("__tl_start").cast(pl.String),
                                   pl.col("__tl_end").cast(pl.String).fill_null("open")],
                                  separator=",")
            msg = (f"{r.message or 'overlapping intervals'} (starts before an earlier-starting "
                   f"interval with the same {', '.join(by) or 'dataset'} ends)")
            parts.append(entries(hits, Check("overlap", label, pl.lit(True), value, msg)))
    return parts
