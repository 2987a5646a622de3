"""The ``validate`` entry point: check the header, cast, run the row and cross-row rules, and
assemble typed valid rows plus a quarantine with PII masked (``ValidationResult``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from talentlib.contracts.cast import ROW, cast_columns, src_col
from talentlib.contracts.checks import entries, pii_entries, row_checks, rule_checks
from talentlib.contracts.load import (
    QUARANTINE_SCHEMA,
    RULES,
    Contract,
    ContractError,
    excerpt,
    load_contract,
    normalize_header,
    source_label,
)
from talentlib.contracts.relations import (
    duplicate_message,
    fk_entries,
    key_entries,
    overlap_entries,
)
from talentlib.pii import pii_kinds

if TYPE_CHECKING:
    from talentlib.io import ReadInfo


@dataclass
class ValidationResult:
    """Valid rows (typed), the quarantine (one row per failure) and the counts."""

    contract: Contract
    valid: pl.DataFrame
    quarantine: pl.DataFrame
    n_in: int
    source: str | None = None
    warnings: list[str] = field(default_factory=list)
    read_info: ReadInfo | None = None

    @property
    def dataset(self) -> str:
        return self.contract.dataset

    @property
    def n_valid(self) -> int:
        return self.valid.height

    @property
    def n_quarantined(self) -> int:
        return self.quarantine["row"].n_unique() if self.quarantine.height else 0

    def by_rule(self) -> dict[str, int]:
        """Quarantine entries per rule, most frequent first."""
        if not self.quarantine.height:
            return {}
        counts = self.quarantine.group_by("rule").len().sort(["len", "rule"],
                                                             descending=[True, False])
        return dict(zip(counts["rule"].to_list(), counts["len"].to_list(), strict=True))

    def summary(self) -> dict[str, Any]:
        """Counts for manifests and logs."""
        out: dict[str, Any] = {
            "dataset": self.dataset,
            "contract_version": self.contract.version,
            "source": self.source,
            "n_in": self.n_in,
            "n_valid": self.n_valid,
            "n_quarantined": self.n_quarantined,
            "by_rule": self.by_rule(),
            "warnings": list(self.warnings),
        }
        if self.read_info is not None:
            out["encoding"] = self.read_info.encoding
            out["sha256"] = self.read_info.sha256
        return out

    def __str__(self) -> str:
        where = f" ({self.source})" if self.source else ""
        rules = ", ".join(f"{k} {v:,}" for k, v in self.by_rule().items())
        return (f"{self.dataset}{where}: {self.n_in:,} in / {self.n_valid:,} valid / "
                f"{self.n_quarantined:,} quarantined" + (f" [{rules}]" if rules else ""))


def _mask_quarantine(q: pl.DataFrame) -> pl.DataFrame:
    """Replace every quarantine value that holds PII by ``[masked:<kind>]``, whatever its rule."""
    kinds = pii_kinds(q["value"])
    return q.with_columns(pl.when(kinds.is_not_null())
                          .then(pl.lit("[masked:") + kinds + pl.lit("]"))
                          .otherwise(pl.col("value")).alias("value"))


def _names(columns: Sequence[str], limit: int = 10) -> str:
    """Header names for a message: masked and shortened, at most ``limit`` of them."""
    if not columns:
        return "no columns"
    shown = ", ".join(excerpt(col, 40) for col in columns[:limit])
    return shown + (f", … ({len(columns):,} in all)" if len(columns) > limit else "")


def _check_columns(df_columns: Sequence[str], c: Contract, source: str | None) -> list[str]:
    where = source_label(source, c)
    for col in df_columns:
        if normalize_header(col) in c.pii.forbidden_columns:
            raise ContractError(
                f"{where}: column {excerpt(col, 40)!r} is a direct identifier that dataset "
                f"{c.dataset!r} must "
                "not contain (forbidden by data_contracts/_pii.yaml); nothing was read. Remove "
                "the column, or pseudonymize it under another name, and load the file again.",
                dataset=c.dataset, column=col, source=source, rule="pii_column",
            )
    missing = [col.name for col in c.columns if col.is_required and col.name not in df_columns]
    if missing and df_columns and not set(df_columns) & set(c.column_names):
        # No header at all, most likely: the "names" are the first row's values, so they are
        # not repeated here (they may be a name, a phone number, an RRN).
        one = len(df_columns) == 1 and any(s in str(df_columns[0]) for s in ",;\t|")
        raise ContractError(
            f"{where}: the first line names none of the columns of dataset {c.dataset!r}; is "
            f"the header missing{' or the delimiter wrong' if one else ''}? Its "
            f"{len(df_columns)} field(s) are not shown, as they may be data. Start the file "
            f"with a header line naming the columns, at least: {', '.join(missing)} (all "
            f"columns: {c.path or 'the contract'}).",
            dataset=c.dataset, column=missing[0], source=source, rule="missing_column",
        )
    if missing:
        hint = ""
        if len(df_columns) == 1 and any(s in str(df_columns[0]) for s in ",;\t|"):
            hint = " The file seems to have one column only: check the delimiter."
        raise ContractError(
            f"{where}: dataset {c.dataset!r} needs column(s) {', '.join(missing)}, which are "
            f"absent (found: {_names(df_columns)}). Add or rename the column(s) as in "
            f"{c.path or 'the contract'}.{hint}",
            dataset=c.dataset, column=missing[0], source=source, rule="missing_column",
        )
    warnings = []
    extra = [col for col in df_columns if col not in c.column_names]
    if extra:
        warnings.append(f"dropped {len(extra)} column(s) not in the {c.dataset} contract: "
                        f"{_names(extra)}")
    absent = [col for col in c.column_names if col not in df_columns]
    if absent:
        warnings.append(f"optional column(s) absent, filled with nulls: {', '.join(absent)}")
    return warnings


def validate(
    df: pl.DataFrame | pl.LazyFrame,
    contract: Contract | str,
    *,
    source: str | None = None,
    references: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None,
    rejected: pl.DataFrame | None = None,
) -> ValidationResult:
    """Check ``df`` against a contract: typed valid rows plus a quarantine of every failure.

    ``rejected`` holds quarantine entries for rows the reader could not even split into fields
    (``ragged_row``); their ``row`` numbers count among all data rows of the file, and ``df``
    holds the other rows in file order, which keep their own numbers.
    """
    c = contract if isinstance(contract, Contract) else load_contract(contract)
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    # Headers with stray spaces or a BOM ("\ufeffresearcher_id ") still name their column.
    renames = {col: col.replace("\ufeff", "").strip() for col in df.columns}
    renames = {k: v for k, v in renames.items()
               if k != v and v in c.column_names and v not in df.columns}
    if renames:
        df = df.rename(renames)
    warnings = _check_columns(df.columns, c, source)
    if renames:
        warnings.insert(0, "header(s) trimmed: "
                        + ", ".join(repr(excerpt(k, 40)) for k in renames))
    skip = (rejected.select(list(QUARANTINE_SCHEMA)).cast(dict(QUARANTINE_SCHEMA))
            if rejected is not None and rejected.height else None)
    n_in = df.height + (skip["row"].n_unique() if skip is not None else 0)

    try:
        allowed = {col.name: col.allowed_values() for col in c.columns}
    except KeyError as e:
        raise ContractError(f"{c.path}: {e.args[0]}. Add the taxonomy file or fix 'allowed'.",
                            dataset=c.dataset, source=source) from e
    for col in c.columns:
        if col.allowed_taxonomy is not None and not allowed[col.name]:
            raise ContractError(
                f"{c.path}: column {col.name!r} takes codes from taxonomy "
                f"{col.allowed_taxonomy!r} level {col.allowed_level!r}, which has no codes; "
                "check the level in the contract and the taxonomy file.",
                dataset=c.dataset, column=col.name, source=source)

    # Work frame: the original columns under helper names, then typed values and type failures.
    work = df.select(
        [pl.col(col.name).alias(src_col(col.name)) if col.name in df.columns
         else pl.lit(None, dtype=pl.Null).alias(src_col(col.name)) for col in c.columns]
    ).with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    if skip is not None:  # number the rows around the rejected ones
        rows = pl.int_range(1, n_in + 1, eager=True, dtype=pl.Int64)
        work = work.with_columns(rows.filter(~rows.is_in(skip["row"].implode())).alias(ROW))
    src_types = {col.name: work.schema[src_col(col.name)] for col in c.columns}
    work = cast_columns(work, c, src_types)

    checks = row_checks(c, src_types, allowed)
    pii_cols = set(c.pii_checked_columns())
    checks += rule_checks(c, src_types)

    flag_names = [f"__tl_f{i}" for i in range(len(checks))]
    work = work.with_columns([ch.flag.fill_null(False).alias(f) for ch, f in
                              zip(checks, flag_names, strict=True)])
    counts = work.select(pl.col(flag_names).sum()).row(0) if checks else ()
    parts: list[pl.DataFrame] = [skip] if skip is not None else []
    for ch, f, n in zip(checks, flag_names, counts, strict=True):
        if n:
            parts.append(entries(work.filter(pl.col(f)), ch))
    work = work.drop(flag_names)

    parts += pii_entries(work, c, pii_cols)
    parts += key_entries(work, c)
    parts += fk_entries(work, c, references, warnings, source)

    bad_rows = _rows_of(parts)
    parts += overlap_entries(work, c, bad_rows)
    bad_rows = _rows_of(parts)

    quarantine = _assemble([duplicate_message(p, bad_rows) for p in parts])
    valid = work.filter(~pl.col(ROW).is_in(bad_rows.implode())) if len(bad_rows) else work
    valid = valid.select(c.column_names)
    return ValidationResult(c, valid, quarantine, n_in, source=source, warnings=warnings)


def _rows_of(parts: Sequence[pl.DataFrame]) -> pl.Series:
    if not parts:
        return pl.Series("row", [], dtype=pl.Int64)
    return pl.concat([p.select("row") for p in parts])["row"].unique()


def _assemble(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    order = {r: i for i, r in enumerate(RULES)}
    q = pl.concat(parts, how="vertical")
    q = q.with_columns(pl.col("rule").replace_strict(order, default=len(order),
                                                     return_dtype=pl.Int32).alias("__tl_order"))
    q = q.sort(["row", "__tl_order", "column"], maintain_order=True).drop("__tl_order")
    return _mask_quarantine(q).select(list(QUARANTINE_SCHEMA))
