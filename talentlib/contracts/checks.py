"""Rules on one row at a time: type, not_null, allowed, pattern, range, the row rules
(not_before, prefix_of, one_of_required) and PII in free-text values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from talentlib import taxonomy
from talentlib.contracts.cast import ROW, as_text, bad_col, src_col
from talentlib.contracts.load import Contract
from talentlib.pii import pii_kinds


@dataclass
class Check:
    """One rule on one column: the rows it flags, the value shown and the message."""

    rule: str
    column: str
    flag: pl.Expr
    value: pl.Expr
    message: str | pl.Expr


def entries(frame: pl.DataFrame, ch: Check) -> pl.DataFrame:
    """Quarantine entries (QUARANTINE_SCHEMA) for the rows of ``frame`` that ``ch`` flags."""
    return frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit(ch.column, dtype=pl.String).alias("column"),
        ch.value.cast(pl.String).alias("value"),
        pl.lit(ch.rule, dtype=pl.String).alias("rule"),
        (pl.lit(ch.message, dtype=pl.String) if isinstance(ch.message, str)
         else ch.message.cast(pl.String)).alias("message"),
    )


def row_checks(c: Contract, src_types: Mapping[str, pl.DataType],
                allowed: Mapping[str, list[Any] | None]) -> list[Check]:
    checks: list[Check] = []
    for col in c.columns:
        v = pl.col(col.name)
        raw = as_text(pl.col(src_col(col.name)), src_types[col.name])
        is_list = col.type == "list[str]"
        checks.append(Check("type", col.name, pl.col(bad_col(col.name)), raw,
                             f"cannot read the value as {col.type}"))
        if not col.nullable:
            checks.append(Check("not_null", col.name, v.is_null() & ~pl.col(bad_col(col.name)),
                                 raw, "value is missing (column is not nullable)"))
        values = allowed[col.name]
        if values is not None:
            if col.allowed_taxonomy is not None:
                lvl = "" if col.allowed_level is None else f" level {col.allowed_level}"
                ver = taxonomy.version(col.allowed_taxonomy)
                msg = (f"code not in taxonomy {col.allowed_taxonomy}{lvl} "
                       f"(version {ver}, {len(values)} codes)")
            else:
                shown = ", ".join(map(str, values[:10])) + (", ..." if len(values) > 10 else "")
                msg = f"value not among the allowed values ({shown})"
            member = (v.list.eval(pl.element().is_in(pl.Series(values).implode())).list.all()
                      if is_list
                      else v.is_in(pl.Series(values, dtype=col.dtype).implode()))
            checks.append(Check("allowed", col.name, v.is_not_null() & ~member, raw, msg))
        if col.pattern is not None:
            match = (v.list.eval(pl.element().str.contains(col.pattern)).list.all() if is_list
                     else v.str.contains(col.pattern))
            checks.append(Check("pattern", col.name, v.is_not_null() & ~match, raw,
                                 f"value does not match pattern {col.pattern}"))
        if col.min is not None:
            checks.append(Check("range", col.name, v < pl.lit(col.min, dtype=col.dtype), raw,
                                 f"below the minimum {col.min}"))
        if col.max is not None:
            checks.append(Check("range", col.name, v > pl.lit(col.max, dtype=col.dtype), raw,
                                 f"above the maximum {col.max}"))
    return checks


def rule_checks(c: Contract, src_types: Mapping[str, pl.DataType]) -> list[Check]:
    checks: list[Check] = []
    for r in c.row_rules:
        if r.rule == "one_of_required":
            present = []
            for name in r.columns:
                e = pl.col(name)
                present.append(e.list.len() > 0 if c.column(name).type == "list[str]"
                               else e.is_not_null())
            flag = ~pl.any_horizontal([p.fill_null(False) for p in present])
            checks.append(Check(r.rule, ",".join(r.columns), flag, pl.lit(None, pl.String),
                                 r.message or
                                 f"at least one of {', '.join(r.columns)} is required"))
            continue
        assert r.column is not None and r.other is not None
        a, b = pl.col(r.column), pl.col(r.other)
        if r.rule == "not_before":
            flag = a.is_not_null() & b.is_not_null() & (a < b)
            msg = f"{r.message or 'out of order'} ({r.column} is before {r.other})"
        else:  # prefix_of
            flag = a.is_not_null() & b.is_not_null() & ~a.str.starts_with(b + "-")
            msg = f"{r.message or 'prefix mismatch'} ({r.column} does not start with {r.other}-)"
        value = as_text(pl.col(src_col(r.column)), src_types[r.column])
        checks.append(Check(r.rule, r.column, flag, value, msg))
    return checks


def pii_entries(work: pl.DataFrame, c: Contract, pii_cols: set[str]) -> list[pl.DataFrame]:
    if not c.pii.value_patterns:
        return []
    parts = []
    for name in c.column_names:
        if name not in pii_cols:
            continue
        text = (work[name].list.join("\n") if c.column(name).type == "list[str]"
                else work[name])
        kinds = pii_kinds(text, c.pii.value_patterns)
        idx = kinds.is_not_null().arg_true()
        if not len(idx):
            continue
        hit = pl.DataFrame({"row": work[ROW].gather(idx), "kind": kinds.gather(idx)})
        parts.append(hit.select(
            pl.col("row").cast(pl.Int64),
            pl.lit(name, dtype=pl.String).alias("column"),
            pl.format("[masked:{}]", "kind").alias("value"),
            pl.lit("pii_value", dtype=pl.String).alias("rule"),
            pl.format("value contains personal information ({}); mask it before loading",
                      "kind").alias("message"),
        ))
    return parts
