"""Register intake: bring a real export (Korean headers, value labels, old code vintages) to the
shape of its data contract, with a mapping file per source, before the contract validates it.

A mapping file (YAML, one per source; examples in ``data_contracts/intake/``) names the contract
(``dataset``) and, per contract column, where its values come from::

    dataset: employment_spells
    columns:
      spell_id: 자격이력번호                    # a raw column, renamed
      ksic: {from: 업종코드, zfill: 5, vintage_by_date: {column: acquired_on,
             starts: {"9": 2008-02-01, "10": 2017-07-01, "11": 2024-07-01}}}
      occupation: {from: 직종코드, vintage: "2018"}
      firm_size: {from: 사업장규모, labels: ko}  # the taxonomy's Korean labels → its codes
      acquired_on: {from: 취득일자, date_format: "%Y%m%d"}
      loss_reason: {from: 상실사유, values: {자진퇴사: "11"}, unmapped: quarantine}

Column keys: ``from`` (raw column), ``value`` (a constant), ``values`` (raw label → value),
``labels`` (``ko``/``en``: the column's taxonomy labels → codes), ``unmapped`` (``keep``, the
default: the contract judges the value; ``quarantine``), ``date_format`` (one strptime format or
a list), ``zfill`` (left-pad digit codes that lost their leading zeros), ``vintage`` or
``vintage_by_date`` (the code revision; codes are brought to the current one through the
crosswalks in ``data_contracts/taxonomy/*crosswalk*.yaml``), ``choose`` (old code → one of the
targets it split into). A contract column not named is taken from a raw column of the same name.

Nothing is dropped silently: a row the intake cannot map is quarantined (rules
``unmapped_value``, ``date_format``, ``crosswalk``; file row, column and reason), so that
``n_in == n_mapped + n_quarantined``, and the rows that pass go on to ``contracts.validate``.
The input is only read. Crosswalks live here rather than in ``taxonomy`` because only the
intake applies them; they are data files like every taxonomy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from talentlib import contracts, io, taxonomy

RULES = ("unmapped_value", "date_format", "crosswalk")
PROVENANCE = ("official", "derived", "assumed")  # strongest first
FOLDER = "intake"  # in a data folder: intake/<dataset>.yaml, picked up by datasets.load_folder

_TOP_KEYS = frozenset({"dataset", "description", "source", "file", "read", "columns"})
_READ_KEYS = frozenset({"encoding", "separator"})
_COL_KEYS = frozenset({"from", "value", "values", "labels", "unmapped", "date_format", "zfill",
                       "vintage", "vintage_by_date", "choose", "description"})
_ROW = "__tl_intake_row"
_VINT = "__tl_intake_vintage"


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file, the key and its line."""


# --------------------------------------------------------------------------------------------
# Crosswalks (data_contracts/taxonomy/*.yaml with ``kind: crosswalk``)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrosswalkRow:
    """Old code (a prefix: its level and everything below) → new code, split targets, or none."""

    source: str
    target: str | tuple[str, ...] | None
    level: int
    provenance: str
    note: str = ""


@dataclass(frozen=True)
class Crosswalk:
    """One revision step of a classification, e.g. KSIC 10 → 11."""

    name: str
    classification: str
    from_revision: str
    to_revision: str
    taxonomy: str | None  # set when ``to`` is the current revision: the taxonomy holding it
    rows: Mapping[str, CrosswalkRow]
    unlisted: str = "same_code"

    def lookup(self, code: str) -> CrosswalkRow | None:
        """The row whose ``source`` is the longest prefix of ``code``."""
        for n in range(len(code), 0, -1):
            row = self.rows.get(code[:n])
            if row is not None:
                return row
        return None


@lru_cache(maxsize=4)
def _crosswalks(folder: str) -> tuple[Crosswalk, ...]:
    out = []
    for p in sorted(Path(folder).glob("*.yaml")):
        data = taxonomy.load(p.stem)
        if data.get("kind") != "crosswalk":
            continue
        rows = {}
        for r in data.get("rows") or []:
            tgt = r.get("to")
            target = (None if tgt is None else
                      tuple(str(t) for t in tgt) if isinstance(tgt, list) else str(tgt))
            prov = str(r.get("provenance"))
            if prov not in PROVENANCE:
                raise ValueError(f"{p}: row {r.get('from')!r} has provenance {prov!r}; use one "
                                 f"of {', '.join(PROVENANCE)}")
            rows[str(r["from"])] = CrosswalkRow(str(r["from"]), target, int(r.get("level") or 0),
                                                prov, str(r.get("note") or ""))
        out.append(Crosswalk(p.stem, str(data["classification"]),
                             str(data["from"]["revision"]), str(data["to"]["revision"]),
                             data["to"].get("taxonomy"), rows, str(data.get("unlisted"))))
    return tuple(out)


def crosswalks() -> tuple[Crosswalk, ...]:
    """Every revision crosswalk of the taxonomy folder."""
    return _crosswalks(str(taxonomy.taxonomy_dir()))


def current_revision(taxonomy_name: str) -> tuple[str, str] | None:
    """(classification, revision) that a taxonomy holds, as its crosswalks declare; or None."""
    for cw in crosswalks():
        if cw.taxonomy == taxonomy_name:
            return cw.classification, cw.to_revision
    return None


def crosswalk_chain(taxonomy_name: str, vintage: str) -> list[Crosswalk]:
    """The revision steps from ``vintage`` to the revision ``taxonomy_name`` holds ([] when the
    vintage is the current one); KeyError naming the known revisions when there is no path."""
    cur = current_revision(taxonomy_name)
    if cur is None:
        raise KeyError(f"no crosswalk leads to taxonomy {taxonomy_name!r}, so its codes have no "
                       "vintages")
    cls, rev = cur
    steps = {cw.from_revision: cw for cw in crosswalks() if cw.classification == cls}
    chain: list[Crosswalk] = []
    v = str(vintage)
    while v != rev:
        cw = steps.get(v)
        if cw is None or len(chain) > len(steps):
            known = sorted({*steps, *(c.to_revision for c in steps.values())})
            raise KeyError(f"no {cls} crosswalk from revision {v!r} (revisions with a path to "
                           f"the current {cls} {rev}: {', '.join(known)})")
        chain.append(cw)
        v = cw.to_revision
    return chain


@dataclass(frozen=True)
class Translation:
    """What became of one old code: the current code or None, and why."""

    code: str | None
    status: str  # current, mapped, chosen, split, no_mapping, not_current
    provenance: str  # weakest along the chain; "mapping" when the mapping file chose a split
    level: int  # the deepest level the provenance holds for (0: carried over, no row)
    reason: str = ""


def translate(code: str, chain: Sequence[Crosswalk], *, level: int,
              current: frozenset[str], choose: Mapping[str, str] | None = None) -> Translation:
    """Bring ``code`` through the revision steps; the result must be in ``current``."""
    if not chain:
        return Translation(code, "current", "official", level)
    choose = choose or {}
    c, status, prov, held = code, "mapped", "official", level
    for cw in chain:
        row = cw.lookup(c)
        step = f"{cw.classification} {cw.from_revision}→{cw.to_revision}"
        if row is None:  # unlisted: same code (assumed)
            prov, held = "assumed", 0
            continue
        if row.target is None:
            return Translation(None, "no_mapping", row.provenance, row.level,
                               f"{step}: {row.note or f'{row.source} has no mapping'} "
                               f"({cw.name}.yaml)")
        if isinstance(row.target, tuple):
            pick = choose.get(c)
            if pick not in row.target:
                return Translation(None, "split", row.provenance, row.level,
                                   f"{step}: {c} split into {', '.join(row.target)} "
                                   f"({row.note + '; ' if row.note else ''}{cw.name}.yaml); "
                                   "choose one under `choose` in the mapping file")
            c, status, prov = pick, "chosen", "mapping"
            continue
        c = row.target + c[len(row.source):]
        if prov != "mapping" and PROVENANCE.index(row.provenance) > PROVENANCE.index(prov):
            prov = row.provenance
        held = min(held, row.level)
    if c not in current:
        first = chain[0]
        return Translation(None, "not_current", prov, held,
                           f"{first.classification} {first.from_revision} code {code} became "
                           f"{c}, which is not a {first.classification} {chain[-1].to_revision} "
                           f"code at level {level}; add a row to the crosswalk")
    return Translation(c, status, prov, held)


# --------------------------------------------------------------------------------------------
# Mapping files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """Where one contract column comes from and how its values are brought to the contract."""

    target: str
    source: str | None = None
    constant: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    unmapped: str = "keep"
    date_formats: tuple[str, ...] = ()
    zfill: int | None = None
    vintage: str | None = None
    vintage_by_date: tuple[str, tuple[tuple[dt.date, str], ...]] | None = None
    choose: Mapping[str, str] = field(default_factory=dict)

    @property
    def as_text(self) -> bool:
        return bool(self.values or self.date_formats or self.zfill or self.vintage
                    or self.vintage_by_date)


@dataclass(frozen=True)
class IntakeMapping:
    """A mapping file, checked against its contract and the crosswalks."""

    path: Path
    dataset: str
    columns: Mapping[str, ColumnSpec]
    lines: Mapping[tuple[str, ...], int]
    sha256: str
    description: str = ""
    file: str | None = None
    encoding: str | None = None
    separator: str | None = None

    def where(self, *key: str) -> str:
        """``mapping FILE, line N, key a.b.c`` for messages (the deepest key of ``key`` that
        the file has)."""
        k = tuple(key)
        while k and k not in self.lines:
            k = k[:-1]
        return f"mapping {self.path}, line {self.lines.get(k, 1)}, key {'.'.join(k) or '(top)'}"


def _lines(node: yaml.Node, key: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    out[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            sub = (*key, str(k.value))
            _lines(v, sub, out)
            out[sub] = k.start_mark.line + 1  # a key's own line, not its value's
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _lines(v, (*key, str(i)), out)


def load_mapping(path: str | Path) -> IntakeMapping:
    """Read and check a mapping file; MappingError names the file, key and line of a fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"mapping {path}: cannot read it ({e}); check the path and that it "
                           "is UTF-8 text") from e
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise MappingError(f"mapping {path}{line}: not valid YAML ({problem}); fix the file") from e
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _lines(node, (), lines)
    stub = IntakeMapping(path, "", {}, lines, "")

    def bad(msg: str, *key: str) -> MappingError:
        return MappingError(f"{stub.where(*key)}: {msg}")

    if not isinstance(raw, dict):
        raise bad("expected a mapping with 'dataset' and 'columns'")
    unknown = sorted(str(k) for k in set(raw) - _TOP_KEYS)
    if unknown:
        raise bad(f"unknown key; known: {', '.join(sorted(_TOP_KEYS))}", unknown[0])
    ds = raw.get("dataset")
    if not ds or str(ds) not in contracts.list_contracts():
        raise bad(f"{ds!r} is not a dataset with a contract; use one of "
                  f"{', '.join(contracts.list_contracts())}", "dataset")
    contract = contracts.load_contract(str(ds))
    read = raw.get("read") or {}
    if not isinstance(read, dict) or set(read) - _READ_KEYS:
        raise bad(f"'read' takes {', '.join(sorted(_READ_KEYS))}", "read")
    cols = raw.get("columns")
    if not isinstance(cols, dict) or not cols:
        raise bad("needs a 'columns' mapping: contract column → raw column or {from: ...}",
                  "columns")
    specs = {}
    for target, spec in cols.items():
        specs[str(target)] = _column_spec(str(target), spec, contract, bad)
    return IntakeMapping(path, str(ds), specs, lines, hashlib.sha256(text.encode()).hexdigest(),
                         str(raw.get("description") or "").strip(),
                         None if raw.get("file") is None else str(raw["file"]),
                         read.get("encoding"), read.get("separator"))


def _column_spec(target: str, spec: Any, contract: contracts.Contract, bad: Any) -> ColumnSpec:
    key = ("columns", target)
    if target not in contract.column_names:
        raise bad(f"{target!r} is not a column of the {contract.dataset} contract "
                  f"({', '.join(contract.column_names)})", *key)
    col = contract.column(target)
    if isinstance(spec, str):
        return ColumnSpec(target, source=spec)
    if not isinstance(spec, dict):
        raise bad("give the raw column's name, or a mapping with 'from'", *key)
    unknown = sorted(str(k) for k in set(spec) - _COL_KEYS)
    if unknown:
        raise bad(f"unknown key; known: {', '.join(sorted(_COL_KEYS))}", *key, unknown[0])
    if ("from" in spec) == ("value" in spec):
        raise bad("give exactly one of 'from' (a raw column) and 'value' (a constant)", *key)
    for k in ("from", "value"):
        if k in spec and (spec[k] is None or isinstance(spec[k], dict | list | bool)):
            raise bad(f"'{k}' is a column name or a value; quote it if YAML reads it as "
                      "null or a boolean", *key, k)
    values: dict[str, str] = {}
    if spec.get("labels") is not None:
        if col.allowed_taxonomy is None or spec["labels"] not in ("ko", "en"):
            raise bad("'labels: ko|en' maps a taxonomy's labels to its codes; this column has "
                      "no taxonomy" if col.allowed_taxonomy is None else "use ko or en",
                      *key, "labels")
        tax_labels = taxonomy.labels(col.allowed_taxonomy, spec["labels"], col.allowed_level)
        values.update({lab: code for code, lab in tax_labels.items()})
    given = spec.get("values")
    if given is not None:
        if not isinstance(given, dict) or any(v is None or isinstance(v, bool | dict | list)
                                              for v in given.values()):
            raise bad("'values' maps raw labels to contract values, e.g. {남: M}; quote values "
                      "YAML reads as booleans or null (yes, no, ~)", *key, "values")
        values.update({str(k).strip(): str(v) for k, v in given.items()})
    unmapped = str(spec.get("unmapped", "keep"))
    if unmapped not in ("keep", "quarantine"):
        raise bad("'unmapped' is keep or quarantine", *key, "unmapped")
    fmts = spec.get("date_format")
    fmts = () if fmts is None else tuple([fmts] if isinstance(fmts, str) else fmts)
    if fmts and col.type != "date":
        raise bad(f"'date_format' applies to date columns; {target} is {col.type}",
                  *key, "date_format")
    for f in fmts:
        if not isinstance(f, str) or "%" not in f:
            raise bad(f"{f!r} is not a strptime format such as %Y%m%d", *key, "date_format")
    zfill = spec.get("zfill")
    if zfill is not None and (not isinstance(zfill, int) or isinstance(zfill, bool)
                              or not 1 <= zfill <= 20):
        raise bad("'zfill' is the code length, e.g. 5", *key, "zfill")
    vintage, by_date = None, None
    if spec.get("vintage") is not None or spec.get("vintage_by_date") is not None:
        if spec.get("vintage") is not None and spec.get("vintage_by_date") is not None:
            raise bad("give 'vintage' or 'vintage_by_date', not both", *key)
        if col.allowed_taxonomy is None:
            raise bad("a vintage applies to a code column with a taxonomy", *key)
        revisions: list[tuple[str, str]] = []
        if spec.get("vintage") is not None:
            vintage = str(spec["vintage"])
            revisions.append((vintage, "vintage"))
        else:
            by_date = _by_date(spec["vintage_by_date"], contract, bad, (*key, "vintage_by_date"))
            revisions += [(v, f"vintage_by_date.starts.{v}") for _, v in by_date[1]]
        for v, k in revisions:
            try:
                crosswalk_chain(col.allowed_taxonomy, v)
            except KeyError as e:
                raise bad(str(e.args[0]), *key, *k.split(".")) from None
    choose = spec.get("choose") or {}
    if not isinstance(choose, dict):
        raise bad("'choose' maps an old code that split to one of its targets", *key, "choose")
    return ColumnSpec(target, source=str(spec["from"]) if "from" in spec else None,
                      constant=None if "value" not in spec else str(spec["value"]),
                      values=values, unmapped=unmapped, date_formats=tuple(fmts), zfill=zfill,
                      vintage=vintage, vintage_by_date=by_date,
                      choose={str(k): str(v) for k, v in choose.items()})


def _by_date(spec: Any, contract: contracts.Contract, bad: Any, key: tuple[str, ...]
             ) -> tuple[str, tuple[tuple[dt.date, str], ...]]:
    if not isinstance(spec, dict) or not isinstance(spec.get("starts"), dict):
        raise bad("'vintage_by_date' needs column (a date column of the contract) and starts "
                  "({revision: first day in force})", *key)
    column = str(spec.get("column"))
    if column not in contract.column_names or contract.column(column).type != "date":
        raise bad(f"{column!r} is not a date column of the {contract.dataset} contract",
                  *key, "column")
    starts = []
    for rev, day in spec["starts"].items():
        try:
            day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        except ValueError:
            raise bad(f"{day!r} is not a date (YYYY-MM-DD)", *key, "starts", str(rev)) from None
        starts.append((day, str(rev)))
    return column, tuple(sorted(starts))


# --------------------------------------------------------------------------------------------
# Applying a mapping
# --------------------------------------------------------------------------------------------


@dataclass
class IntakeReport:
    """Counts in / mapped / quarantined, reasons, code translations and columns left behind."""

    source: str | None
    mapping: str
    dataset: str
    n_in: int
    n_mapped: int
    n_quarantined: int
    by_rule: dict[str, int]
    codes: pl.DataFrame  # column, vintage, code, current, status, provenance, level, n_rows
    dropped_columns: list[str]
    n_valid: int | None = None  # filled when the contract validated the mapped rows
    n_invalid: int | None = None

    def by_provenance(self) -> dict[str, int]:
        """Rows whose code was translated, by the weakest provenance of the steps used and the
        level it holds to (``official to level 2``: the digits below were carried over)."""
        mapped = self.codes.filter(pl.col("status").is_in(["mapped", "chosen"]))
        if not mapped.height:
            return {}
        g = mapped.group_by("provenance", "level").agg(pl.col("n_rows").sum()).sort(
            "provenance", "level")
        return {(f"{p} to level {lv}" if lv else f"{p} (carried over)"): n
                for p, lv, n in g.iter_rows()}

    def lines(self) -> list[str]:
        """A few lines for people (the CLI prints them)."""
        out = [f"intake ({self.mapping}): in {self.n_in:,} / mapped {self.n_mapped:,} / "
               f"quarantined {self.n_quarantined:,}"
               + (f" [{', '.join(f'{k} {v:,}' for k, v in self.by_rule.items())}]"
                  if self.by_rule else "")]
        if self.codes.height:
            for (col, vint), g in self.codes.group_by(["column", "vintage"],
                                                      maintain_order=True):
                counts = dict(g.group_by("status").agg(pl.col("n_rows").sum()).iter_rows())
                out.append(f"  {col} from revision {vint}: "
                           + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
            prov = self.by_provenance()
            if prov:
                out.append("  translated codes by provenance: "
                           + ", ".join(f"{k} {v:,}" for k, v in prov.items()))
        if self.dropped_columns:
            out.append(f"  raw columns not carried over: {', '.join(self.dropped_columns)}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "mapping": self.mapping, "dataset": self.dataset,
                "n_in": self.n_in, "n_mapped": self.n_mapped,
                "n_quarantined": self.n_quarantined, "by_rule": self.by_rule,
                "by_provenance": self.by_provenance(), "codes": self.codes.to_dicts(),
                "dropped_columns": self.dropped_columns, "n_valid": self.n_valid,
                "n_invalid": self.n_invalid}


@dataclass
class IntakeResult:
    """The contract-shaped rows, the intake quarantine (file row numbers) and the report; with
    ``validation`` when the route went on through the contract."""

    frame: pl.DataFrame
    quarantine: pl.DataFrame
    report: IntakeReport
    validation: contracts.ValidationResult | None = None


_CODES_SCHEMA = {"column": pl.String, "vintage": pl.String, "code": pl.String,
                 "current": pl.String, "status": pl.String, "provenance": pl.String,
                 "level": pl.Int64, "n_rows": pl.Int64}


def _as_date(t: pl.Expr, formats: Sequence[str]) -> pl.Expr:
    """Date text in the given formats, else in the forms the contracts read
    (``contracts.parse_date_text``)."""
    if formats:
        return pl.coalesce([t.str.to_date(f, strict=False) for f in formats])
    return contracts.parse_date_text(t)


def apply(raw: pl.DataFrame, mapping: IntakeMapping | str | Path, *, source: str | None = None,
          rows: pl.Series | None = None) -> IntakeResult:
    """Map a raw table to its contract's columns; rows that cannot be mapped are quarantined.

    ``rows`` are the file row numbers of ``raw``'s rows (default 1..n), as in the quarantine.
    """
    m = mapping if isinstance(mapping, IntakeMapping) else load_mapping(mapping)
    c = contracts.load_contract(m.dataset)
    where = source or "the input frame"
    row_no = (pl.int_range(1, raw.height + 1, eager=True, dtype=pl.Int64) if rows is None
              else rows.cast(pl.Int64))
    work = raw.with_columns(row_no.alias(_ROW))

    for target, spec in m.columns.items():
        if spec.source is not None and spec.source not in raw.columns:
            found = ", ".join(contracts.excerpt(x, 40) for x in raw.columns[:30])
            raise MappingError(f"{m.where('columns', target)}: {where} has no column "
                               f"{spec.source!r} (found: {found}); fix the mapping or the file")
    missing = [col.name for col in c.columns if col.is_required and col.name not in m.columns
               and col.name not in raw.columns]
    if missing:
        raise MappingError(f"{m.where('columns')}: no source for required column(s) "
                           f"{', '.join(missing)} of dataset {m.dataset}; add e.g. "
                           f"'{missing[0]}: <raw column>' under columns")

    parts: list[pl.DataFrame] = []
    out: dict[str, pl.Expr] = {}

    def fail(column: str, flag: pl.Expr, value: pl.Expr, rule: str, message: pl.Expr | str
             ) -> None:
        hit = work.filter(flag.fill_null(False))
        if hit.height:
            msg = pl.lit(message) if isinstance(message, str) else message
            parts.append(hit.select(pl.col(_ROW).alias("row"), pl.lit(column).alias("column"),
                                    value.cast(pl.String).alias("value"),
                                    pl.lit(rule).alias("rule"), msg.alias("message")))

    # Stage 1: rename, constants, text clean-up, value maps and dates, one column at a time.
    for target, spec in m.columns.items():
        col = f"__tl_in_{target}"
        if spec.constant is not None:
            work = work.with_columns(pl.lit(spec.constant).alias(col))
            continue
        assert spec.source is not None
        src = pl.col(spec.source)
        if not spec.as_text:
            work = work.with_columns(src.alias(col))
            continue
        t = src.cast(pl.String).str.strip_chars()
        t = pl.when(t == "").then(None).otherwise(t)
        if spec.zfill:
            t = pl.when(t.str.contains(r"^\d+$")).then(t.str.zfill(spec.zfill)).otherwise(t)
        work = work.with_columns(t.alias(col))
        v = pl.col(col)
        label = f"{spec.source} → {target}"
        if spec.values:
            hit = v.is_in(pl.Series(list(spec.values), dtype=pl.String).implode())
            mapped = v.replace_strict(dict(spec.values), default=None, return_dtype=pl.String)
            if spec.unmapped == "quarantine":
                shown = ", ".join(list(spec.values)[:8]) + (", …" if len(spec.values) > 8 else "")
                fail(target, v.is_not_null() & ~hit, src, "unmapped_value",
                     f"{label}: value not among the mapping's values ({shown}); "
                     f"{m.where('columns', target, 'values')}")
            work = work.with_columns(pl.when(hit).then(mapped).otherwise(v).alias(col))
        if spec.date_formats:
            d = _as_date(v, spec.date_formats)
            fail(target, v.is_not_null() & d.is_null(), src, "date_format",
                 f"{label}: not a date in {' or '.join(spec.date_formats)}; "
                 f"{m.where('columns', target, 'date_format')}")
            work = work.with_columns(d.cast(pl.String).alias(col))

    # Stage 2: code vintages, through the crosswalks, one lookup per distinct code.
    code_rows: list[pl.DataFrame] = []
    for target, spec in m.columns.items():
        if spec.vintage is None and spec.vintage_by_date is None:
            continue
        colname = f"__tl_in_{target}"
        col_c = c.column(target)
        assert col_c.allowed_taxonomy is not None
        if spec.vintage is not None:
            work = work.with_columns(pl.lit(spec.vintage).alias(_VINT))
        else:
            assert spec.vintage_by_date is not None
            date_col, starts = spec.vintage_by_date
            src_spec = m.columns.get(date_col)
            dcol = f"__tl_in_{date_col}" if src_spec is not None else date_col
            if dcol not in work.columns:
                raise MappingError(f"{m.where('columns', target, 'vintage_by_date')}: the date "
                                   f"column {date_col} is neither mapped nor in {where}")
            # stage 1 left a mapped date column as ISO text
            day = _as_date(pl.col(dcol).cast(pl.String).str.strip_chars(), ())
            vint = pl.lit(None, dtype=pl.String)
            for start, rev in starts:  # later starts win
                vint = pl.when(day >= pl.lit(start)).then(pl.lit(rev)).otherwise(vint)
            work = work.with_columns(vint.alias(_VINT))
            first = starts[0][0].isoformat()
            raw_date = pl.col(src_spec.source) if src_spec and src_spec.source else pl.col(dcol)
            # a date its own date_format rejected is quarantined already, under its column
            own_fail = (pl.col(dcol).is_null() & raw_date.is_not_null() if src_spec
                        and src_spec.date_formats else pl.lit(False))
            fail(target, pl.col(colname).is_not_null() & pl.col(_VINT).is_null() & ~own_fail,
                 raw_date, "crosswalk",
                 f"{spec.source} → {target}: cannot tell the code's revision: {date_col} is "
                 f"missing, not a date or before {first}; "
                 f"{m.where('columns', target, 'vintage_by_date')}")
        distinct = work.filter(pl.col(colname).is_not_null() & pl.col(_VINT).is_not_null()
                               ).group_by([_VINT, colname]).len()
        current = taxonomy.codes(col_c.allowed_taxonomy, col_c.allowed_level)
        level = int(col_c.allowed_level) if col_c.allowed_level is not None else 0
        lookup = []
        for vint_v, code, n in distinct.iter_rows():
            tr = translate(code, crosswalk_chain(col_c.allowed_taxonomy, vint_v), level=level,
                           current=current, choose=spec.choose)
            lookup.append({_VINT: vint_v, colname: code, "__tl_new": tr.code,
                           "__tl_reason": tr.reason or None})
            code_rows.append(pl.DataFrame(
                [{"column": target, "vintage": vint_v, "code": code, "current": tr.code,
                  "status": tr.status, "provenance": tr.provenance, "level": tr.level,
                  "n_rows": n}], schema=_CODES_SCHEMA))
        lk = pl.DataFrame(lookup, schema={_VINT: pl.String, colname: pl.String,
                                          "__tl_new": pl.String, "__tl_reason": pl.String})
        work = work.join(lk, on=[_VINT, colname], how="left", nulls_equal=False)
        fail(target, pl.col("__tl_reason").is_not_null(), pl.col(spec.source or colname),
             "crosswalk", pl.format("{} → {}: {}", pl.lit(spec.source), pl.lit(target),
                                    pl.col("__tl_reason")))
        work = work.with_columns(
            pl.when(pl.col(_VINT).is_null()).then(pl.col(colname))
            .otherwise(pl.col("__tl_new")).alias(colname)
        ).drop("__tl_new", "__tl_reason", _VINT)
        work = work.sort(_ROW)  # the join keeps order, but say it

    # Output: the contract's columns that are mapped or present under their own name.
    for col in c.columns:
        if col.name in m.columns:
            out[col.name] = pl.col(f"__tl_in_{col.name}")
        elif col.name in raw.columns:
            out[col.name] = pl.col(col.name)
    quarantine = (pl.concat(parts).cast(dict(contracts.QUARANTINE_SCHEMA)) if parts
                  else pl.DataFrame(schema=contracts.QUARANTINE_SCHEMA))
    quarantine = quarantine.sort(["row", "column"], maintain_order=True)
    bad = quarantine["row"].unique()
    kept = work.filter(~pl.col(_ROW).is_in(bad.implode()))
    frame = kept.select([e.alias(name) for name, e in out.items()])
    used = {s.source for s in m.columns.values() if s.source} | set(out)
    dropped = [contracts.excerpt(x, 40) for x in raw.columns if x not in used]
    by_rule = (dict(quarantine.group_by("rule").len().sort("rule").iter_rows())
               if quarantine.height else {})
    codes = (pl.concat(code_rows) if code_rows else pl.DataFrame(schema=_CODES_SCHEMA))
    report = IntakeReport(source, str(m.path), m.dataset, raw.height, frame.height, bad.len(),
                          by_rule, codes, dropped)
    return IntakeResult(frame, quarantine, report)


# --------------------------------------------------------------------------------------------
# The route: read a file, map it, validate it
# --------------------------------------------------------------------------------------------


def read(path: str | Path, mapping: IntakeMapping | str | Path, *, dataset: str | None = None,
         references: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None,
         encoding: str | None = None) -> IntakeResult:
    """Read a raw export, map it and validate the mapped rows against the contract.

    ``result.validation`` counts every row of the file: ``n_in == n_valid + n_quarantined``,
    with the intake's and the reader's (ragged rows) quarantine entries among its own.
    """
    m = mapping if isinstance(mapping, IntakeMapping) else load_mapping(mapping)
    if dataset is not None and dataset != m.dataset:
        raise MappingError(f"{m.where('dataset')}: the mapping is for dataset {m.dataset!r}, "
                           f"not {dataset!r}")
    raw, info = io.read_table_info(path, dataset=m.dataset, encoding=encoding or m.encoding,
                                   separator=m.separator, on_ragged="report")
    n_file = raw.height + len(info.ragged)
    rows = pl.int_range(1, n_file + 1, eager=True, dtype=pl.Int64)
    if info.ragged:
        rows = rows.filter(~rows.is_in([r.row for r in info.ragged]))
    res = apply(raw, m, source=str(path), rows=rows)
    if info.ragged:  # the reader's rejects count among the intake's quarantined rows
        res.quarantine = pl.concat([info.ragged_quarantine(), res.quarantine]).sort(
            "row", maintain_order=True)
        res.report.n_in = n_file
        res.report.n_quarantined += len(info.ragged)
        res.report.by_rule = {"ragged_row": len(info.ragged), **res.report.by_rule}
    validation = contracts.validate(res.frame, m.dataset, source=str(path),
                                    references=references,
                                    rejected=res.quarantine if res.quarantine.height else None)
    validation.read_info = info
    res.report.n_valid = validation.n_valid
    res.report.n_invalid = validation.n_quarantined - res.report.n_quarantined
    res.validation = validation
    return res


def read_validated(path: str | Path, mapping: IntakeMapping | str | Path, *,
                   references: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None,
                   encoding: str | None = None) -> contracts.ValidationResult:
    """``read`` for callers that want the validation result only (``datasets.load_folder``);
    the intake's summary lines go into its warnings."""
    res = read(path, mapping, references=references, encoding=encoding)
    assert res.validation is not None
    res.validation.warnings[:0] = [line.strip() for line in res.report.lines()]
    return res.validation


def folder_mapping(folder: str | Path, dataset: str) -> Path | None:
    """The mapping file of a dataset in a data folder (``intake/<dataset>.yaml``), or None."""
    p = Path(folder) / FOLDER / f"{dataset}.yaml"
    return p if p.is_file() else None


def mapped_file(folder: str | Path, dataset: str) -> Path | None:
    """The raw file a data folder's mapping names (its ``file`` key), when it exists."""
    p = folder_mapping(folder, dataset)
    if p is None:
        return None
    name = load_mapping(p).file
    f = Path(folder) / name if name else None
    return f if f is not None and f.is_file() else None
