"""Reading values as the contract's types: the work frame's helper columns, lenient parsing of
number and date text (``1,234``, ``2023. 1. 5.``), and ``list[str]`` from JSON arrays or ``a|b``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

import polars as pl

from talentlib.contracts.load import TYPES

if TYPE_CHECKING:
    from talentlib.contracts.load import Contract

# The work frame: each contract column read from ``src_col(name)`` into ``name``, its type
# failure in ``bad_col(name)``, and the row's number in the file in ``ROW``.
ROW = "__tl_row"
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d")
_BOOL_TEXT = {"true": True, "t": True, "1": True, "y": True, "yes": True,
              "false": False, "f": False, "0": False, "n": False, "no": False}


def src_col(name: str) -> str:
    """The work-frame column holding ``name`` as it was read (before casting)."""
    return f"__tl_src_{name}"


def bad_col(name: str) -> str:
    """The work-frame column flagging a value of ``name`` that could not be cast."""
    return f"__tl_bad_{name}"


def _txt(name: str) -> str:
    return f"__tl_txt_{name}"


def as_text(e: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A value as text, for the quarantine."""
    if dtype == pl.String:
        return e
    if isinstance(dtype, pl.List | pl.Array):
        return e.list.eval(pl.element().cast(pl.String)).list.join("|")
    if isinstance(dtype, pl.Struct):
        return e.struct.json_encode()
    return e.cast(pl.String)


def _blank_to_null(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.contains(r"^\s*$")).then(None).otherwise(e)


def _number_text(t: pl.Expr) -> pl.Expr:
    """Number text without thousands separators (1,234,000)."""
    return pl.when(t.str.contains(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")).then(
        t.str.replace_all(",", "", literal=True)
    ).otherwise(t)


def _date_text(t: pl.Expr) -> pl.Expr:
    """Date text without spaces, a trailing dot (2023. 1. 5.) or a midnight time."""
    t = t.str.replace(r"(?:[T ]00:00(?::00(?:\.0+)?)?)\s*$", "")
    return t.str.replace_all(r"\s+", "").str.strip_chars_end(".")


def parse_date_text(t: pl.Expr) -> pl.Expr:
    """Parse date text in one of _DATE_FORMATS (one separator style per value; spaces, a
    trailing dot and a midnight time tolerated): the forms every reader of dates accepts."""
    t = _date_text(t)
    iso = (
        pl.when(t.str.contains(r"^\d{8}$"))
        .then(pl.concat_str([t.str.slice(0, 4), t.str.slice(4, 2), t.str.slice(6, 2)],
                            separator="-"))
        .when(t.str.contains(r"^\d{4}(?:-\d{1,2}-|\.\d{1,2}\.|/\d{1,2}/)\d{1,2}$"))
        .then(t.str.replace_all(r"[./]", "-"))
    )
    return iso.str.to_date("%Y-%m-%d", strict=False)


def _slow_parse(t: pl.Expr, typ: str) -> pl.Expr:
    """The lenient parse, for the few values the fast one left null."""
    if typ == "date":
        return parse_date_text(t)
    t = _number_text(t)
    if typ == "int":
        return pl.coalesce(t.cast(pl.Int64, strict=False),
                           _int_from_float(t.cast(pl.Float64, strict=False)))
    f = t.cast(pl.Float64, strict=False)
    return pl.when(f.is_finite()).then(f)


def _fix_misses(work: pl.DataFrame, types: Mapping[str, str]) -> pl.DataFrame:
    """Re-parse, leniently, the non-blank texts that the fast parse could not read."""
    for name, typ in types.items():
        if _txt(name) not in work.columns or typ not in ("int", "float", "date"):
            continue
        miss = work.select((pl.col(_txt(name)).str.len_bytes() > 0) & pl.col(name).is_null())
        idx = miss.to_series().fill_null(False).arg_true()
        if not len(idx):
            continue
        texts = work[_txt(name)].gather(idx)
        parsed = pl.Series(name, dtype=TYPES[typ]).extend_constant(None, len(idx))
        if typ == "date":  # whole files in one format are common: try each plainly first
            for fmt in _DATE_FORMATS[1:]:
                parsed = parsed.fill_null(texts.str.to_date(fmt, strict=False))
        rest = parsed.is_null().arg_true()
        if len(rest):
            fixed = pl.select(_slow_parse(pl.lit(texts.gather(rest)), typ)).to_series()
            parsed = parsed.scatter(rest, fixed)
        work = work.with_columns(work[name].scatter(idx, parsed))
    return work


def _int_from_float(f: pl.Expr) -> pl.Expr:
    ok = f.is_finite() & (f.round(0) == f) & (f.abs() < 2.0**63)
    return pl.when(ok).then(f.cast(pl.Int64, strict=False))


def _cast_scalar(name: str, typ: str, dtype: pl.DataType
                 ) -> tuple[pl.Expr | None, pl.Expr, pl.Expr]:
    """(normalized text or None, typed value, type failure) for one column.

    Run in three stages (text → ``_txt(name)``, value → ``name``, failure): each stage reads
    the columns the one before materialized, so no sub-expression is computed twice.
    """
    s = pl.col(src_col(name))
    target = TYPES[typ]
    v_col = pl.col(name)
    if dtype == pl.Null:
        return None, pl.lit(None, dtype=target), pl.lit(False)
    if typ == "str":
        if dtype == pl.String:
            return None, _blank_to_null(s), pl.lit(False)
        if isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Object):
            return None, pl.lit(None, dtype=target), s.is_not_null()
        return None, _blank_to_null(s.cast(pl.String)), pl.lit(False)
    if dtype != pl.String and not (
        (typ in ("int", "float") and dtype.is_numeric())
        or (typ == "date" and isinstance(dtype, pl.Date | pl.Datetime))
        or (typ == "bool" and (dtype == pl.Boolean or dtype.is_integer()))
    ):
        s = s.cast(pl.String, strict=False)  # e.g. 20230105 read as an int for a date column
        dtype = pl.String()
    if dtype == pl.String:
        # Fast strict parse here; _fix_misses re-reads the misses leniently (1,234 / 20230105).
        text = s.str.strip_chars()
        t = pl.col(_txt(name))
        if typ == "int":
            v = t.cast(pl.Int64, strict=False)
        elif typ == "float":
            f = t.cast(pl.Float64, strict=False)
            v = pl.when(f.is_finite()).then(f)
        elif typ == "date":
            v = t.str.to_date("%Y-%m-%d", strict=False)
        else:
            v = t.str.to_lowercase().replace_strict(_BOOL_TEXT, default=None,
                                                    return_dtype=pl.Boolean)
        return text, v, (t.str.len_bytes() > 0) & v_col.is_null()
    if typ == "int":
        if dtype.is_integer():
            return None, s.cast(pl.Int64, strict=False), s.is_not_null() & v_col.is_null()
        return (None, _int_from_float(s.cast(pl.Float64)),
                s.is_not_null() & ~s.is_nan().fill_null(False) & v_col.is_null())
    if typ == "float":
        f = s.cast(pl.Float64).fill_nan(None)
        return None, pl.when(f.is_finite()).then(f), f.is_infinite().fill_null(False)
    if typ == "date":
        if dtype == pl.Date:
            return None, s, pl.lit(False)
        v = pl.when(s.dt.time() == dt.time(0)).then(s.dt.date())
        return None, v, s.is_not_null() & v_col.is_null()
    # bool
    if dtype == pl.Boolean:
        return None, s, pl.lit(False)
    v = pl.when(s == 1).then(pl.lit(True)).when(s == 0).then(pl.lit(False))
    return None, v, s.is_not_null() & v_col.is_null()


def _cast_list(src: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(list[str] values, type failure) for one column; text is a JSON array or ``a|b``."""
    n = len(src)
    no = pl.select(pl.repeat(False, n, dtype=pl.Boolean)).to_series()
    if isinstance(src.dtype, pl.List | pl.Array):
        vals = src.cast(pl.List(src.dtype.inner)) if isinstance(src.dtype, pl.Array) else src
        return vals.list.eval(pl.element().cast(pl.String, strict=False)), no
    empty = pl.Series(src.name, dtype=pl.List(pl.String)).extend_constant(None, n)
    if src.dtype == pl.Null:
        return empty, no
    if src.dtype != pl.String:
        return empty, src.is_not_null()
    frame = pl.DataFrame({"t": src}).with_columns(pl.col("t").str.strip_chars())
    frame = frame.with_columns(
        t=pl.when(pl.col("t") == "").then(None).otherwise(pl.col("t")))
    is_json = frame["t"].str.starts_with("[").fill_null(False)
    as_json = frame.select(pl.when(is_json).then(pl.col("t")))["t"]
    try:
        decoded = as_json.str.json_decode(pl.List(pl.String))
    except Exception:
        decoded = as_json.map_elements(_json_list, return_dtype=pl.List(pl.String),
                                       skip_nulls=True)
    split = frame.select(
        pl.col("t").str.split("|").list.eval(
            pl.element().str.strip_chars().filter(pl.element() != ""))
    )["t"]
    vals = pl.select(pl.when(is_json).then(decoded).otherwise(split)).to_series()
    return vals.alias(src.name), (frame["t"].is_not_null() & vals.is_null())


def _json_list(text: str) -> list[str] | None:
    try:
        v = json.loads(text)
    except ValueError:
        return None
    if not isinstance(v, list) or any(isinstance(x, dict | list) for x in v):
        return None
    return [None if x is None else str(x) for x in v]


def cast_columns(work: pl.DataFrame, c: Contract, src_types: Mapping[str, pl.DataType]
                 ) -> pl.DataFrame:
    """Add each contract column, typed, and its type failure to the work frame."""
    stages: list[list[pl.Expr]] = [[], [], []]
    for col in c.columns:
        if col.type == "list[str]":
            continue
        text, v, bad = _cast_scalar(col.name, col.type, src_types[col.name])
        if text is not None:
            stages[0].append(text.alias(_txt(col.name)))
        stages[1].append(v.cast(col.dtype).alias(col.name))
        stages[2].append(bad.fill_null(False).alias(bad_col(col.name)))
    work = work.with_columns(stages[0]).with_columns(stages[1])
    work = _fix_misses(work, {col.name: col.type for col in c.columns})
    work = work.with_columns(stages[2])
    work = work.drop([e.meta.output_name() for e in stages[0]])
    for col in c.columns:
        if col.type == "list[str]":
            vals, bad = _cast_list(work[src_col(col.name)])
            work = work.with_columns(vals.alias(col.name),
                                     bad.fill_null(False).alias(bad_col(col.name)))
    return work
