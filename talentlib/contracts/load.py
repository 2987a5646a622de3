"""The contract: its model (columns, keys, rules, PII policy) and reading it from
``data_contracts/<dataset>.yaml``, with every mistake in the YAML named before any data is read."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from talentlib import taxonomy
from talentlib.pii import PII_KINDS

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

_COLUMN_KEYS = frozenset({"name", "type", "nullable", "required", "allowed", "pattern", "min",
                          "max", "unique", "description", "pii_check"})
_RULE_KEYS = frozenset({"rule", "message", "column", "other", "columns", "by", "start", "end"})


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


def source_label(source: str | None, contract: Contract) -> str:
    """Where a frame came from, as an error message names it."""
    return source or f"input frame for {contract.dataset!r}"


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
        lo, hi = parse_bound(lo, typ), parse_bound(hi, typ)
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


def parse_bound(v: Any, typ: str) -> Any:
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
    return PiiPolicy(frozenset(normalize_header(c) for c in spec.get("forbidden_columns") or []), kinds)


def normalize_header(name: str) -> str:
    """A header as compared with ``forbidden_columns`` (BOM, spaces, dashes, case ignored)."""
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip()).casefold()
