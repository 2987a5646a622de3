"""Data contracts: load ``data_contracts/*.yaml`` and validate frames against them.

``validate`` never drops a row silently: every row either comes out in ``result.valid`` (cast to
the contract's types) or has one quarantine entry per rule it fails, so that
``n_in == n_valid + n_quarantined``. Rule names in the quarantine:

    ragged_row, type, not_null, allowed, pattern, range, primary_key, duplicate_row, unique,
    foreign_key, not_before, prefix_of, one_of_required, overlap, pii_value

(``ragged_row``: a line of a delimited file with more or fewer fields than its header, found by
``talentlib.io`` and passed in as ``rejected``; its row is not read at all.)

and, raised as ``ContractError`` instead of quarantined, ``missing_column`` and ``pii_column``.

Decisions worth knowing:

- Blank strings (empty or whitespace only) count as null in every column.
- Dates are read from ISO ``YYYY-MM-DD`` and from ``YYYYMMDD``, ``YYYY.MM.DD``, ``YYYY/MM/DD``
  text (spaces and a trailing dot, as in ``2023. 1. 5.``, and a midnight time are tolerated).
- ``list[str]`` values in text files are a JSON array (``["a", "b"]``) or ``a|b``.
- Key rules (``primary_key``, ``unique``, ``duplicate_row``) compare values after casting and
  look at all rows; ``no_overlap`` looks only at rows that passed every other rule, so a bad
  spell never pushes a good one into the quarantine.
- ``no_overlap`` treats ``[start, end]`` as half-open: a spell ending on the day the next one
  starts does not overlap it (the employment-insurance loss date is the day after the last
  working day, 이직일 다음날, so a same-day re-acquisition is a seamless renewal). An end that
  is null means the interval is still open.
- ``pii_value`` kinds (``talentlib.pii``) are checked on free-text string columns: those with no
  ``pattern`` nor ``allowed`` that are not identifiers (``*_id``, key columns). ``pii_check:
  true|false`` on a column overrides this. Identifiers get a ``pattern`` in their contract so
  that a phone number or RRN in an id column fails it. Every quarantine value, whatever its
  rule (type, key, foreign key, row rule), goes through the same detector and is shown as
  ``[masked:<kind>]`` when it holds PII.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import yaml

from talentlib import taxonomy
from talentlib.pii import PII_KINDS, pii_kinds

if TYPE_CHECKING:
    from talentlib.io import ReadInfo

TYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
    "list[str]": pl.List(pl.String()),
}
ROW_RULES = ("not_before", "prefix_of", "one_of_required")
DATASET_RULES = ("no_overlap",)
RULES = (
    "missing_column",
    "pii_column",
    "ragged_row",
    "type",
    "not_null",
    "allowed",
    "pattern",
    "range",
    "primary_key",
    "duplicate_row",
    "unique",
    "foreign_key",
    "not_before",
    "prefix_of",
    "one_of_required",
    "overlap",
    "pii_value",
)
QUARANTINE_SCHEMA = pl.Schema(
    {"row": pl.Int64, "column": pl.String, "value": pl.String, "rule": pl.String,
     "message": pl.String}
)

_ROW = "__tl_row"
_FIRST_COPY = "__tl_first_row"
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d")
_COLUMN_KEYS = frozenset({"name", "type", "nullable", "required", "allowed", "pattern", "min",
                          "max", "unique", "description", "pii_check"})
_RULE_KEYS = frozenset({"rule", "message", "column", "other", "columns", "by", "start", "end"})
_BOOL_TEXT = {"true": True, "t": True, "1": True, "y": True, "yes": True,
              "false": False, "f": False, "0": False, "n": False, "no": False}


class ContractError(ValueError):
    """A dataset or a contract that cannot be validated at all; the message says what to do."""

    def __init__(
        self,
        message: str,
        *,
        dataset: str | None = None,
        column: str | None = None,
        source: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.dataset, self.column, self.source, self.rule = dataset, column, source, rule


def excerpt(text: object, limit: int = 80) -> str:
    """Text from a data file as it may appear in a message: PII masked, cut to ``limit``
    characters (with the full length said), line breaks shown as ``⏎``."""
    from talentlib.pii import mask_pii

    s = str(text)
    cut = len(s) > limit
    # Mask a little past the cut, so that an RRN or phone number cut in half is still masked.
    s = mask_pii(s[: limit + 40] if cut else s)
    s = s.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    if cut or len(s) > limit:
        return f"{s[: limit - 1]}… ({len(str(text)):,} characters)"
    return s


# --------------------------------------------------------------------------------------------
# Contract model and loading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a contract: its type and the value rules it carries."""

    name: str
    type: str
    nullable: bool = True
    required: bool | None = None
    allowed: tuple[Any, ...] | None = None
    allowed_taxonomy: str | None = None
    allowed_level: str | int | None = None
    pattern: str | None = None
    min: Any = None
    max: Any = None
    unique: bool = False
    description: str = ""
    pii_check: bool | None = None

    @property
    def dtype(self) -> pl.DataType:
        return TYPES[self.type]

    @property
    def is_required(self) -> bool:
        """Must the column be present? By default, when it is not nullable."""
        return (not self.nullable) if self.required is None else self.required

    def allowed_values(self) -> list[Any] | None:
        """The allowed values (a taxonomy's codes resolved now), or None when unrestricted."""
        if self.allowed_taxonomy is not None:
            return sorted(taxonomy.codes(self.allowed_taxonomy, self.allowed_level))
        return None if self.allowed is None else list(self.allowed)


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    dataset: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A row rule (not_before, prefix_of, one_of_required) or dataset rule (no_overlap)."""

    rule: str
    message: str = ""
    column: str | None = None
    other: str | None = None
    columns: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class PiiPolicy:
    forbidden_columns: frozenset[str] = frozenset()
    value_patterns: tuple[str, ...] = ()


@dataclass
class Contract:
    """A dataset's contract as read from ``data_contracts/<dataset>.yaml``."""

    dataset: str
    version: str
    description: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique: list[list[str]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    row_rules: list[Rule] = field(default_factory=list)
    dataset_rules: list[Rule] = field(default_factory=list)
    pii: PiiPolicy = field(default_factory=PiiPolicy)
    path: Path | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"contract {self.dataset!r} has no column {name!r}")

    def polars_schema(self) -> pl.Schema:
        """Column name → polars dtype of the validated frame, in contract order."""
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def unique_sets(self) -> list[list[str]]:
        """``unique`` column lists plus single columns marked ``unique: true``."""
        sets = [list(u) for u in self.unique]
        sets += [[c.name] for c in self.columns if c.unique and [c.name] not in sets]
        return sets

    def taxonomy_refs(self) -> list[tuple[str, str, str | int | None]]:
        """(column, taxonomy, level) for every column whose allowed codes come from a taxonomy."""
        return [(c.name, c.allowed_taxonomy, c.allowed_level) for c in self.columns
                if c.allowed_taxonomy is not None]

    def pii_checked_columns(self) -> list[str]:
        """String columns whose values are checked against the PII patterns."""
        keys = set(self.primary_key).union(*self.unique_sets(),
                                           *(fk.columns for fk in self.foreign_keys))
        out = []
        for c in self.columns:
            if c.type not in ("str", "list[str]"):
                continue
            if c.pii_check is not None:
                if c.pii_check:
                    out.append(c.name)
                continue
            constrained = c.pattern is not None or c.allowed is not None or c.allowed_taxonomy
            identifier = c.name == "id" or c.name.endswith("_id") or c.name in keys
            if not (constrained or identifier):
                out.append(c.name)
        return out


def _yaml_load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


def _contract_path(name: str | Path) -> Path:
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    path = taxonomy.contracts_dir() / f"{name}.yaml"
    if not path.exists():
        raise ContractError(
            f"no data contract for dataset {str(name)!r} (looked for {path}); known datasets: "
            f"{', '.join(list_contracts())}. Check the dataset name or add the contract YAML.",
            dataset=str(name),
        )
    return path


def list_contracts() -> list[str]:
    """Names of the datasets that have a contract (YAML files not starting with ``_``)."""
    return sorted(p.stem for p in taxonomy.contracts_dir().glob("*.yaml")
                  if not p.name.startswith("_"))


def load_contract(name: str | Path) -> Contract:
    """Read and check a contract: by dataset name, or by the path of a contract YAML."""
    path = _contract_path(name)
    try:
        raw = _yaml_load(path)
    except yaml.YAMLError as e:
        raise ContractError(f"{path}: not valid YAML ({e}); fix the file.") from e
    if not isinstance(raw, dict):
        raise ContractError(f"{path}: expected a mapping with dataset, version and columns.")
    return _parse_contract(raw, path)


def _parse_contract(raw: Mapping[str, Any], path: Path) -> Contract:
    ds = str(raw.get("dataset") or path.stem)

    def bad(msg: str, column: str | None = None) -> ContractError:
        return ContractError(f"contract {path}: {msg}", dataset=ds, column=column,
                             source=str(path))

    if not isinstance(raw.get("columns"), list) or not raw["columns"]:
        raise bad("needs a non-empty 'columns' list")
    columns: list[Column] = []
    for spec in raw["columns"]:
        columns.append(_parse_column(spec, bad))
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise bad(f"duplicate column names in {names}")

    def known(cols: Iterable[str], what: str) -> tuple[str, ...]:
        cols = tuple([cols] if isinstance(cols, str) else cols)
        for c in cols:
            if c not in names:
                raise bad(f"{what} names column {c!r}, which is not among the columns", c)
        return cols

    pk = list(known(raw.get("primary_key") or [], "primary_key"))
    uniq = [list(known(u, "unique")) for u in raw.get("unique") or []]
    fks = []
    for fk in raw.get("foreign_keys") or []:
        ref = fk.get("references") or {}
        cols = known(fk.get("columns") or [], "foreign_keys")
        ref_cols = tuple(ref.get("columns") or cols)
        if not ref.get("dataset") or len(ref_cols) != len(cols) or not cols:
            raise bad(f"foreign key {fk} needs columns and references: {{dataset, columns}} "
                      "of the same length")
        fks.append(ForeignKey(cols, str(ref["dataset"]), ref_cols))

    by_name = {c.name: c for c in columns}
    row_rules, ds_rules = [], []
    for r in [*(raw.get("row_rules") or []), *(raw.get("dataset_rules") or [])]:
        if not isinstance(r, dict) or set(r) - _RULE_KEYS:
            raise bad(f"rule {r!r}: expected a mapping with keys among "
                      f"{', '.join(sorted(_RULE_KEYS))}")
    for r in raw.get("row_rules") or []:
        kind = r.get("rule")
        if kind not in ROW_RULES:
            raise bad(f"unknown row rule {kind!r}; known: {', '.join(ROW_RULES)}")
        if kind == "one_of_required":
            rule = Rule(kind, str(r.get("message", "")),
                        columns=known(r.get("columns") or [], kind))
            if not rule.columns:
                raise bad("one_of_required needs 'columns'")
        else:
            if not r.get("column") or not r.get("other"):
                raise bad(f"{kind} needs 'column' and 'other'")
            rule = Rule(kind, str(r.get("message", "")),
                        column=known([r["column"]], kind)[0], other=known([r["other"]], kind)[0])
            if kind == "prefix_of" and {by_name[rule.column].type, by_name[rule.other].type} != {
                "str"
            }:
                raise bad("prefix_of compares str columns", rule.column)
        row_rules.append(rule)
    for r in raw.get("dataset_rules") or []:
        kind = r.get("rule")
        if kind not in DATASET_RULES:
            raise bad(f"unknown dataset rule {kind!r}; known: {', '.join(DATASET_RULES)}")
        if not r.get("start") or not r.get("end"):
            raise bad("no_overlap needs 'start' and 'end' (and usually 'by')")
        rule = Rule(kind, str(r.get("message", "")), by=known(r.get("by") or [], kind),
                    start=known([r["start"]], kind)[0], end=known([r["end"]], kind)[0])
        for col in (rule.start, rule.end):
            if by_name[col].type not in ("date", "int"):
                raise bad("no_overlap needs date or int start and end columns", col)
        ds_rules.append(rule)

    return Contract(
        dataset=ds,
        version=str(raw.get("version", "unversioned")),
        description=str(raw.get("description") or "").strip(),
        columns=columns,
        primary_key=pk,
        unique=uniq,
        foreign_keys=fks,
        row_rules=row_rules,
        dataset_rules=ds_rules,
        pii=_parse_pii(raw.get("pii", "default"), bad),
        path=path,
    )


def _parse_column(spec: Any, bad: Any) -> Column:
    if not isinstance(spec, dict) or not spec.get("name"):
        raise bad(f"every column needs a name and a type, got {spec!r}")
    name = str(spec["name"])
    unknown = sorted(set(spec) - _COLUMN_KEYS)
    if unknown:
        hint = (" (a null key usually means an unquoted comma in a {...} value: quote the "
                "description)" if any(spec[k] is None for k in unknown) else "")
        raise bad(f"column {name!r} has unknown key(s) {unknown}{hint}; known keys: "
                  f"{', '.join(sorted(_COLUMN_KEYS))}", name)
    typ = str(spec.get("type", "str"))
    if typ not in TYPES:
        raise bad(f"column {name!r} has unknown type {typ!r}; use one of {', '.join(TYPES)}",
                  name)
    allowed = spec.get("allowed")
    tax, level, values = None, None, None
    if isinstance(allowed, dict):
        if not allowed.get("taxonomy"):
            raise bad(f"column {name!r}: allowed must be a list or {{taxonomy: NAME, level: L}}",
                      name)
        tax, level = str(allowed["taxonomy"]), allowed.get("level")
    elif allowed is not None:
        if not isinstance(allowed, list):
            raise bad(f"column {name!r}: allowed must be a list or {{taxonomy: NAME}}", name)
        if typ in ("str", "list[str]") and any(isinstance(v, bool) for v in allowed):
            raise bad(f"column {name!r}: YAML read an allowed value as a boolean (e.g. NO, "
                      "yes, on); quote it", name)
        if typ in ("str", "list[str]"):
            values = tuple(str(v) for v in allowed)
        else:
            try:
                values = tuple(pl.Series(allowed).cast(TYPES[typ]).to_list())
            except Exception as e:
                raise bad(f"column {name!r}: allowed values are not all {typ}", name) from e
    pattern = spec.get("pattern")
    if pattern is not None:
        if typ not in ("str", "list[str]"):
            raise bad(f"column {name!r}: pattern applies to str columns only", name)
        try:
            pl.Series([""], dtype=pl.String).str.contains(str(pattern))
        except Exception as e:
            raise bad(f"column {name!r}: pattern {pattern!r} is not a valid regex "
                      "(polars/Rust syntax, no look-around)", name) from e
    lo, hi = spec.get("min"), spec.get("max")
    if (lo is not None or hi is not None) and typ not in ("int", "float", "date"):
        raise bad(f"column {name!r}: min/max apply to int, float and date columns", name)
    try:
        lo, hi = _bound(lo, typ), _bound(hi, typ)
    except (TypeError, ValueError) as e:
        raise bad(f"column {name!r}: min/max must be {typ} values ({e})", name) from e
    return Column(
        name=name,
        type=typ,
        nullable=bool(spec.get("nullable", True)),
        required=spec.get("required"),
        allowed=values,
        allowed_taxonomy=tax,
        allowed_level=level,
        pattern=None if pattern is None else str(pattern),
        min=lo,
        max=hi,
        unique=bool(spec.get("unique", False)),
        description=str(spec.get("description") or ""),
        pii_check=spec.get("pii_check"),
    )


_RELATIVE_BOUND = re.compile(r"^(today|this_year)\s*(?:([+-])\s*(\d+))?$")


def _bound(v: Any, typ: str) -> Any:
    """A min/max bound; ``today`` (dates) and ``this_year`` (years) are read on the run date,
    optionally with an offset (``this_year+1``), so current records are never out of range."""
    if v is None:
        return None
    m = _RELATIVE_BOUND.match(v.strip()) if isinstance(v, str) else None
    if m:
        word, sign, n = m.groups()
        off = (int(n) if n else 0) * (-1 if sign == "-" else 1)
        if word == "today" and typ == "date":
            return dt.date.today() + dt.timedelta(days=off)
        if word == "this_year" and typ == "int":
            return dt.date.today().year + off
        raise ValueError(f"{v!r}: 'today' bounds a date column, 'this_year' an int (year) column")
    if typ == "date":
        if isinstance(v, dt.datetime):
            return v.date()
        return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
    if typ == "int":
        if isinstance(v, bool) or float(v) != int(v):
            raise ValueError(f"{v!r} is not an integer")
        return int(v)
    return float(v)


def _parse_pii(spec: Any, bad: Any) -> PiiPolicy:
    if spec in (None, "default"):
        path = taxonomy.contracts_dir() / "_pii.yaml"
        if not path.exists():
            raise bad(f"pii: default needs {path}; restore it or give an inline pii mapping")
        spec = _yaml_load(path) or {}
    if not isinstance(spec, dict):
        raise bad("pii must be 'default' or a mapping with forbidden_columns / value_patterns")
    kinds = tuple(str(k) for k in spec.get("value_patterns") or [])
    unknown = [k for k in kinds if k not in PII_KINDS]
    if unknown:
        raise bad(f"pii value_patterns {unknown} are not in talentlib.pii.PII_KINDS "
                  f"({', '.join(PII_KINDS)})")
    return PiiPolicy(frozenset(_norm_name(c) for c in spec.get("forbidden_columns") or []), kinds)


def _norm_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip()).casefold()


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Casting
# --------------------------------------------------------------------------------------------


def _src(name: str) -> str:
    return f"__tl_src_{name}"


def _bad(name: str) -> str:
    return f"__tl_bad_{name}"


def _txt(name: str) -> str:
    return f"__tl_txt_{name}"


def _text(e: pl.Expr, dtype: pl.DataType) -> pl.Expr:
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
    s = pl.col(_src(name))
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


# --------------------------------------------------------------------------------------------
# Masking the quarantine (talentlib.pii finds PII; this shows only its kind)
# --------------------------------------------------------------------------------------------


def _mask_quarantine(q: pl.DataFrame) -> pl.DataFrame:
    """Replace every quarantine value that holds PII by ``[masked:<kind>]``, whatever its rule."""
    kinds = pii_kinds(q["value"])
    return q.with_columns(pl.when(kinds.is_not_null())
                          .then(pl.lit("[masked:") + kinds + pl.lit("]"))
                          .otherwise(pl.col("value")).alias("value"))


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@dataclass
class _Check:
    rule: str
    column: str
    flag: pl.Expr
    value: pl.Expr
    message: str | pl.Expr


def _where(source: str | None, contract: Contract) -> str:
    return source or f"input frame for {contract.dataset!r}"


def _names(columns: Sequence[str], limit: int = 10) -> str:
    """Header names for a message: masked and shortened, at most ``limit`` of them."""
    if not columns:
        return "no columns"
    shown = ", ".join(excerpt(col, 40) for col in columns[:limit])
    return shown + (f", … ({len(columns):,} in all)" if len(columns) > limit else "")


def _check_columns(df_columns: Sequence[str], c: Contract, source: str | None) -> list[str]:
    where = _where(source, c)
    for col in df_columns:
        if _norm_name(col) in c.pii.forbidden_columns:
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
        [pl.col(col.name).alias(_src(col.name)) if col.name in df.columns
         else pl.lit(None, dtype=pl.Null).alias(_src(col.name)) for col in c.columns]
    ).with_row_index(_ROW, offset=1).with_columns(pl.col(_ROW).cast(pl.Int64))
    if skip is not None:  # number the rows around the rejected ones
        rows = pl.int_range(1, n_in + 1, eager=True, dtype=pl.Int64)
        work = work.with_columns(rows.filter(~rows.is_in(skip["row"].implode())).alias(_ROW))
    src_types = {col.name: work.schema[_src(col.name)] for col in c.columns}
    stages: list[list[pl.Expr]] = [[], [], []]
    for col in c.columns:
        if col.type == "list[str]":
            continue
        text, v, bad = _cast_scalar(col.name, col.type, src_types[col.name])
        if text is not None:
            stages[0].append(text.alias(_txt(col.name)))
        stages[1].append(v.cast(col.dtype).alias(col.name))
        stages[2].append(bad.fill_null(False).alias(_bad(col.name)))
    work = work.with_columns(stages[0]).with_columns(stages[1])
    work = _fix_misses(work, {col.name: col.type for col in c.columns})
    work = work.with_columns(stages[2])
    work = work.drop([e.meta.output_name() for e in stages[0]])
    for col in c.columns:
        if col.type == "list[str]":
            vals, bad = _cast_list(work[_src(col.name)])
            work = work.with_columns(vals.alias(col.name),
                                     bad.fill_null(False).alias(_bad(col.name)))

    checks = _row_checks(c, src_types, allowed)
    pii_cols = set(c.pii_checked_columns())
    checks += _rule_checks(c, src_types)

    flag_names = [f"__tl_f{i}" for i in range(len(checks))]
    work = work.with_columns([ch.flag.fill_null(False).alias(f) for ch, f in
                              zip(checks, flag_names, strict=True)])
    counts = work.select(pl.col(flag_names).sum()).row(0) if checks else ()
    parts: list[pl.DataFrame] = [skip] if skip is not None else []
    for ch, f, n in zip(checks, flag_names, counts, strict=True):
        if n:
            parts.append(_entries(work.filter(pl.col(f)), ch))
    work = work.drop(flag_names)

    parts += _pii_entries(work, c, pii_cols)
    parts += _key_entries(work, c)
    parts += _fk_entries(work, c, references, warnings, source)

    bad_rows = _rows_of(parts)
    parts += _overlap_entries(work, c, bad_rows)
    bad_rows = _rows_of(parts)

    quarantine = _assemble([_duplicate_message(p, bad_rows) for p in parts])
    valid = work.filter(~pl.col(_ROW).is_in(bad_rows.implode())) if len(bad_rows) else work
    valid = valid.select(c.column_names)
    return ValidationResult(c, valid, quarantine, n_in, source=source, warnings=warnings)


def _rows_of(parts: Sequence[pl.DataFrame]) -> pl.Series:
    if not parts:
        return pl.Series("row", [], dtype=pl.Int64)
    return pl.concat([p.select("row") for p in parts])["row"].unique()


def _entries(frame: pl.DataFrame, ch: _Check) -> pl.DataFrame:
    return frame.select(
        pl.col(_ROW).cast(pl.Int64).alias("row"),
        pl.lit(ch.column, dtype=pl.String).alias("column"),
        ch.value.cast(pl.String).alias("value"),
        pl.lit(ch.rule, dtype=pl.String).alias("rule"),
        (pl.lit(ch.message, dtype=pl.String) if isinstance(ch.message, str)
         else ch.message.cast(pl.String)).alias("message"),
    )


def _duplicate_message(part: pl.DataFrame, bad_rows: pl.Series) -> pl.DataFrame:
    """Say whether the first copy of a duplicated row is kept, once every rule has run."""
    if _FIRST_COPY not in part.columns:
        return part
    first = pl.col(_FIRST_COPY)
    return part.with_columns(pl.format(
        "exact copy of row {}, which is {}", first,
        pl.when(first.is_in(bad_rows.implode())).then(pl.lit("quarantined too (see its entries)"))
        .otherwise(pl.lit("kept"))).alias("message")).drop(_FIRST_COPY)


def _assemble(parts: Sequence[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    order = {r: i for i, r in enumerate(RULES)}
    q = pl.concat(parts, how="vertical")
    q = q.with_columns(pl.col("rule").replace_strict(order, default=len(order),
                                                     return_dtype=pl.Int32).alias("__tl_order"))
    q = q.sort(["row", "__tl_order", "column"], maintain_order=True).drop("__tl_order")
    return _mask_quarantine(q).select(list(QUARANTINE_SCHEMA))


def _row_checks(c: Contract, src_types: Mapping[str, pl.DataType],
                allowed: Mapping[str, list[Any] | None]) -> list[_Check]:
    checks: list[_Check] = []
    for col in c.columns:
        v = pl.col(col.name)
        raw = _text(pl.col(_src(col.name)), src_types[col.name])
        is_list = col.type == "list[str]"
        checks.append(_Check("type", col.name, pl.col(_bad(col.name)), raw,
                             f"cannot read the value as {col.type}"))
        if not col.nullable:
            checks.append(_Check("not_null", col.name, v.is_null() & ~pl.col(_bad(col.name)),
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
            checks.append(_Check("allowed", col.name, v.is_not_null() & ~member, raw, msg))
        if col.pattern is not None:
            match = (v.list.eval(pl.element().str.contains(col.pattern)).list.all() if is_list
                     else v.str.contains(col.pattern))
            checks.append(_Check("pattern", col.name, v.is_not_null() & ~match, raw,
                                 f"value does not match pattern {col.pattern}"))
        if col.min is not None:
            checks.append(_Check("range", col.name, v < pl.lit(col.min, dtype=col.dtype), raw,
                                 f"below the minimum {col.min}"))
        if col.max is not None:
            checks.append(_Check("range", col.name, v > pl.lit(col.max, dtype=col.dtype), raw,
                                 f"above the maximum {col.max}"))
    return checks


def _rule_checks(c: Contract, src_types: Mapping[str, pl.DataType]) -> list[_Check]:
    checks: list[_Check] = []
    for r in c.row_rules:
        if r.rule == "one_of_required":
            present = []
            for name in r.columns:
                e = pl.col(name)
                present.append(e.list.len() > 0 if c.column(name).type == "list[str]"
                               else e.is_not_null())
            flag = ~pl.any_horizontal([p.fill_null(False) for p in present])
            checks.append(_Check(r.rule, ",".join(r.columns), flag, pl.lit(None, pl.String),
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
        value = _text(pl.col(_src(r.column)), src_types[r.column])
        checks.append(_Check(r.rule, r.column, flag, value, msg))
    return checks


def _pii_entries(work: pl.DataFrame, c: Contract, pii_cols: set[str]) -> list[pl.DataFrame]:
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
        hit = pl.DataFrame({"row": work[_ROW].gather(idx), "kind": kinds.gather(idx)})
        parts.append(hit.select(
            pl.col("row").cast(pl.Int64),
            pl.lit(name, dtype=pl.String).alias("column"),
            pl.format("[masked:{}]", "kind").alias("value"),
            pl.lit("pii_value", dtype=pl.String).alias("rule"),
            pl.format("value contains personal information ({}); mask it before loading",
                      "kind").alias("message"),
        ))
    return parts


def _key_text(cols: Sequence[str], work: pl.DataFrame) -> pl.Expr:
    texts = [_text(pl.col(_src(k)), work.schema[_src(k)]).fill_null("") for k in cols]
    return texts[0] if len(texts) == 1 else pl.concat_str(texts, separator=",")


def _key_entries(work: pl.DataFrame, c: Contract) -> list[pl.DataFrame]:
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
            pl.col(_ROW).min().over(pl.struct(all_cols)).alias(_FIRST_COPY)
        ).filter(pl.col(_ROW) != pl.col(_FIRST_COPY))
        if dup.height:  # the message is written by _duplicate_message, when all rules ran
            parts.append(_entries(dup, _Check(
                "duplicate_row", "*", pl.lit(True), pl.lit(None, pl.String), "")
            ).with_columns(dup[_FIRST_COPY]))

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
            parts.append(_entries(clash, _Check(
                rule, label, pl.lit(True), _key_text(cols, work),
                f"{what} ({label}) shared by rows that differ; all of them are quarantined")))
    return parts


def _fk_entries(work: pl.DataFrame, c: Contract,
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
                f"{_where(source, c)}: the {fk.dataset!r} reference frame lacks column(s) "
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
            orphans = orphans.sort(_ROW)
            label = ",".join(fk.columns)
            parts.append(_entries(orphans, _Check(
                "foreign_key", label, pl.lit(True), _key_text(fk.columns, work),
                f"{label} not found in {fk.dataset}.{','.join(fk.ref_columns)}")))
    return parts


def _overlap_entries(work: pl.DataFrame, c: Contract, bad_rows: pl.Series
                     ) -> list[pl.DataFrame]:
    """no_overlap: within each ``by`` group, a row starting before an earlier-starting row ends."""
    parts: list[pl.DataFrame] = []
    for r in c.dataset_rules:
        assert r.start is not None and r.end is not None
        by = list(r.by)
        sub = work.filter(pl.col(r.start).is_not_null()
                          & ~pl.col(_bad(r.end))
                          & ~pl.col(_ROW).is_in(bad_rows.implode()))
        if sub.height < 2:
            continue
        sub = sub.select(
            _ROW, *by,
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
                ["__tl_h", "__tl_s", _ROW])
            h = pl.col("__tl_h")
            if sub.select(((h == h.shift(1)) & changed).any()).item():
                sub = sub.sort([*by, "__tl_s", _ROW])
        else:
            sub = sub.sort(["__tl_s", _ROW])
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
        hits = sub.filter(flag.fill_null(False)).sort(_ROW)
        if hits.height:
            label = f"{r.start},{r.end}"
            value = pl.concat_str([pl.col("__tl_start").cast(pl.String),
                                   pl.col("__tl_end").cast(pl.String).fill_null("open")],
                                  separator=",")
            msg = (f"{r.message or 'overlapping intervals'} (starts before an earlier-starting "
                   f"interval with the same {', '.join(by) or 'dataset'} ends)")
            parts.append(_entries(hits, _Check("overlap", label, pl.lit(True), value, msg)))
    return parts
