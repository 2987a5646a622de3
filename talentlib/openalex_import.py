"""Stream OpenAlex works (a snapshot folder, API pages or JSON lines) into partitioned Parquet
for the strategic-technology fields: `talent openalex import`.

A field's works run to millions, so nothing is read whole: JSON lines (plain or .gz, the
snapshot's ``works/updated_date=*/part_*.gz`` among them) are read line by line in batches
(``batch_size`` records or ``batch_bytes`` bytes); an API page (``{"meta", "results"}``) is one
small JSON document. Each batch is parsed with ``openalex.WORK_SCHEMA``, placed in the 50
technologies by the topic crosswalk (``openalex.classify_works``), and the works of the wanted
fields and years are validated against the contracts and kept.

What DATA_DIR holds afterwards (one source file = one partition, key ``<part>``):

- ``publications/<part>-NNNN.parquet`` and ``authorships/<part>-NNNN.parquet`` — the contracts'
  columns; publications add ``tech_confidence``, ``classified_by`` and ``updated_date``.
- ``institutions.parquet`` — every institution of the kept authorships, once (contract
  ``institutions``); per-part inputs under ``_state/institutions/``.
- ``quarantine/<part>.parquet`` — bad records with file, line (JSON lines) or record number
  (a JSON page), rule and reason; never the raw line (it may hold raw affiliation strings).
- ``openalex_manifest.json`` — sources with sizes and sha256, snapshot dates, crosswalk version,
  counts in / kept / out of scope / quarantined per partition and per field, topic hits.
- ``_state/parts/<part>.json`` — the done-marker of a partition (source hash and counts): a
  rerun skips partitions whose source has not changed.
- ``.talent-openalex-import.json`` — the marker: only a folder this importer made (with the
  same settings) is written into again.

Counting: for every partition, in = kept + out_of_scope + quarantined, where out_of_scope
says why (year, no_technology, other_field, ambiguous_field, duplicate). A work present in
several partitions (an API export where pages overlap; an updated work in a later snapshot
partition) is kept once, from the copy with the latest ``updated_date``; the others are
counted as duplicate when the import finishes.

Publication years: the publications contract caps ``publication_year`` at a fixed year; the
importer raises that cap to the run year + 1 (OpenAlex dates early-view papers into next year)
so that current works are not quarantined, and records both bounds in the manifest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import gzip
import hashlib
import io as _io
import json
import os
import re
import shutil
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import contracts, io, openalex, taxonomy

__all__ = [
    "ImportResult",
    "OpenAlexImportError",
    "Part",
    "discover_parts",
    "import_openalex",
]

MARKER = ".talent-openalex-import.json"
MANIFEST = "openalex_manifest.json"
FORMAT_VERSION = 1
BATCH_SIZE = 50_000
BATCH_BYTES = 64 << 20
FLUSH_ROWS = 250_000  # publication rows held before a partition writes a file
MAX_JSON_BYTES = 1 << 30  # a single JSON document (an API page) is read whole
_PUB_EXTRA = {
    "tech_confidence": pl.Float64,
    "classified_by": pl.String,
    "updated_date": pl.Date,  # the contract's type; a later day wins when copies differ
}
_OUT_OF_SCOPE = ("year", "no_technology", "other_field", "ambiguous_field", "duplicate")
QUARANTINE_SCHEMA = pl.Schema(
    {
        "file": pl.String,
        "line": pl.Int64,
        "where": pl.String,
        "work_id": pl.String,
        "dataset": pl.String,
        "column": pl.String,
        "value": pl.String,
        "rule": pl.String,
        "message": pl.String,
    }
)
_INSTITUTION_SCHEMA = pl.Schema(
    {
        "institution_id": pl.String,
        "display_name": pl.String,
        "ror": pl.String,
        "country_code": pl.String,
        "type": pl.String,
    }
)


class OpenAlexImportError(ValueError):
    """A refused destination or an unusable source; the message says what to do next."""


@dataclass(frozen=True)
class Part:
    """One source file, imported as one partition."""

    key: str  # file-name-safe partition name
    path: Path
    fmt: str  # "jsonl" (one work a line) or "json" (an API page, a list or one work)
    gz: bool
    source: Path  # the SOURCE argument it came from
    updated_date: str | None = None  # snapshot partition date
    expected: int | None = None  # record_count in the snapshot manifest


@dataclass
class ImportResult:
    """Where the data went, the manifest written, and what this run did."""

    out: Path
    manifest: dict[str, Any]
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def totals(self) -> dict[str, Any]:
        return dict(self.manifest["totals"])


# =============================================================================================
# Sources
# =============================================================================================


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name).strip("._") or "part"


def _file_format(path: Path) -> tuple[str, bool] | None:
    """(format, gzipped) of a works file by its suffixes; a bare .gz is JSON lines (the
    snapshot's part_NNN.gz); None for anything else."""
    sfx = [s.lower() for s in path.suffixes]
    gz = bool(sfx) and sfx[-1] == ".gz"
    inner = sfx[-2] if gz and len(sfx) > 1 else (None if gz else (sfx[-1] if sfx else None))
    if inner in (".jsonl", ".ndjson"):
        return "jsonl", gz
    if inner == ".json":
        return "json", gz
    if gz and (inner is None or not inner[1:].isalpha()):
        return "jsonl", gz
    return None


def _snapshot_root(d: Path) -> Path | None:
    for root in (d / "works", d):
        if root.is_dir() and any(root.glob("updated_date=*")):
            return root
    return None


def _snapshot_manifest(root: Path) -> dict[str, int]:
    """record_count per 'updated_date=…/part_…' from the snapshot's manifest file, if any."""
    m = root / "manifest"
    if not m.is_file():
        return {}
    try:
        entries = json.loads(m.read_text(encoding="utf-8")).get("entries") or []
    except (OSError, ValueError, AttributeError):
        return {}
    counts = {}
    for e in entries:
        url = str((e or {}).get("url") or "")
        hit = re.search(r"(updated_date=[^/]+/[^/]+)$", url)
        n = ((e or {}).get("meta") or {}).get("record_count")
        if hit and isinstance(n, int):
            counts[hit.group(1)] = n
    return counts


def discover_parts(sources: Sequence[str | Path]) -> tuple[list[Part], list[dict[str, Any]]]:
    """The partitions to import from SOURCE arguments — a snapshot folder (with or above
    ``works/``), a folder of exports, or files — and a description of each source."""
    parts: list[Part] = []
    described: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for s in sources:
        src = Path(s)
        if not src.exists():
            raise OpenAlexImportError(
                f"source not found: {src} — pass an OpenAlex snapshot folder, API pages (.json) "
                "or JSON lines (.jsonl, .jsonl.gz)"
            )
        root = _snapshot_root(src) if src.is_dir() else None
        if root is not None:
            counts = _snapshot_manifest(root)
            files = sorted(p for p in root.glob("updated_date=*/*.gz") if p.is_file())
            if not files:
                raise OpenAlexImportError(
                    f"{root} has updated_date=* folders but no part_*.gz files; is the snapshot "
                    "download complete?"
                )
            dates = sorted({p.parent.name.removeprefix("updated_date=") for p in files})
            rels = {f"{p.parent.name}/{p.name}" for p in files}
            described.append(
                {
                    "path": str(src),
                    "kind": "snapshot",
                    "parts": len(files),
                    "updated_dates": [dates[0], dates[-1]],
                    "manifest_records": sum(counts.values()) if counts else None,
                    "missing_parts": sorted(set(counts) - rels),
                }
            )
            for p in files:
                if p.resolve() in seen:
                    continue
                seen.add(p.resolve())
                date = p.parent.name.removeprefix("updated_date=")
                parts.append(
                    Part(
                        key=_safe(f"{date}_{p.name.split('.')[0]}"),
                        path=p,
                        fmt="jsonl",
                        gz=True,
                        source=src,
                        updated_date=date,
                        expected=counts.get(f"{p.parent.name}/{p.name}"),
                    )
                )
            continue
        if src.is_dir():
            files = sorted(p for p in src.rglob("*") if p.is_file() and _file_format(p))
            if not files:
                raise OpenAlexImportError(
                    f"{src} holds no OpenAlex works files (.jsonl, .ndjson, .json, optionally "
                    ".gz) and is not a snapshot (works/updated_date=*/part_*.gz)"
                )
        else:
            if _file_format(src) is None:
                raise OpenAlexImportError(
                    f"cannot read {src}: expected .jsonl, .ndjson or .json (optionally .gz), "
                    "or a snapshot part_NNN.gz"
                )
            files = [src]
        n0 = len(parts)
        for p in files:
            rp = p.resolve()
            if rp in seen:
                continue
            seen.add(rp)
            fmt, gz = _file_format(p)  # type: ignore[misc]
            tag = hashlib.sha1(str(rp).encode()).hexdigest()[:8]
            stem = p.name.split(".")[0]
            parts.append(Part(key=f"{_safe(stem)}-{tag}", path=p, fmt=fmt, gz=gz, source=src))
        described.append(
            {
                "path": str(src),
                "kind": "folder" if src.is_dir() else "file",
                "parts": len(parts) - n0,
            }
        )
    keys = Counter(p.key for p in parts)
    dup = [k for k, n in keys.items() if n > 1]
    if dup:
        raise OpenAlexImportError(
            f"two sources give the same partition {dup[0]!r} (two snapshots?); import them "
            "into separate folders"
        )
    return parts, described


# =============================================================================================
# Reading a partition in batches
# =============================================================================================


class _HashingReader(_io.RawIOBase):
    """Read a file and hash every byte on the way, so a partition is read only once."""

    def __init__(self, fh: Any, h: Any) -> None:
        self._fh, self._h = fh, h

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._fh.readinto(b)
        if n:
            self._h.update(memoryview(b)[:n])
        return n or 0

    def drain(self) -> None:
        """Hash what the reader above left unread (bytes after a gzip stream's end)."""
        while chunk := self._fh.read(1 << 20):
            self._h.update(chunk)


@dataclass
class _Batch:
    lines: list[bytes]
    nums: list[int]  # line numbers (JSON lines) or record numbers (a JSON document)
    bad: list[dict[str, Any]]  # records already known to be bad (JSON document level)


def _batches(part: Part, h: Any, batch_size: int, batch_bytes: int) -> Iterator[_Batch]:
    with open(part.path, "rb") as fh:
        raw = _HashingReader(fh, h)
        try:
            if part.fmt == "json":
                yield from _json_document(part, raw, batch_size)
                return
            stream: Any = gzip.GzipFile(fileobj=raw) if part.gz else _io.BufferedReader(raw)
            lines: list[bytes] = []
            nums: list[int] = []
            size = 0
            n = 0
            try:
                for n, line in enumerate(stream, 1):  # noqa: B007 - n is used after the loop
                    if not line.strip():
                        continue
                    lines.append(line)
                    nums.append(n)
                    size += len(line)
                    if len(lines) >= batch_size or size >= batch_bytes:
                        yield _Batch(lines, nums, [])
                        lines, nums, size = [], [], 0
            except (EOFError, OSError, zlib.error) as e:
                raise OpenAlexImportError(
                    f"{part.path}: the gzip stream is truncated or corrupt after line {n} ({e}); "
                    "download this part again"
                ) from e
            if lines:
                yield _Batch(lines, nums, [])
        finally:
            raw.drain()


def _json_document(part: Part, raw: Any, batch_size: int) -> Iterator[_Batch]:
    """An API page, a list of works or one work: read whole (API pages hold at most 200)."""
    if part.path.stat().st_size > MAX_JSON_BYTES:
        raise OpenAlexImportError(
            f"{part.path} is over {MAX_JSON_BYTES >> 20} MiB of JSON read as one document; "
            "export large sets as JSON lines (one work a line) instead"
        )
    data = raw.readall()
    if part.gz:
        try:
            with gzip.GzipFile(fileobj=_io.BytesIO(data)) as g:
                data = g.read(MAX_JSON_BYTES + 1)
        except (EOFError, OSError, zlib.error) as e:
            raise OpenAlexImportError(f"{part.path}: not a valid gzip file ({e})") from e
    if len(data) > MAX_JSON_BYTES:
        raise OpenAlexImportError(
            f"{part.path} is over {MAX_JSON_BYTES >> 20} MiB of JSON read as one document; "
            "export large sets as JSON lines (one work a line) instead"
        )
    try:
        obj = json.loads(data)
    except ValueError as e:
        line = getattr(e, "lineno", None)
        yield _Batch([], [], [_bad(part, line, "line", "json", f"unparsable JSON document: {e}")])
        return
    if isinstance(obj, dict) and isinstance(obj.get("results"), list):
        obj = obj["results"]
    records = obj if isinstance(obj, list) else [obj]
    lines: list[bytes] = []
    nums: list[int] = []
    bad: list[dict[str, Any]] = []
    for i, rec in enumerate(records, 1):
        if isinstance(rec, dict):
            lines.append(json.dumps(rec, ensure_ascii=False).encode())
            nums.append(i)
        else:
            bad.append(_bad(part, i, "record", "json", f"not a JSON object ({type(rec).__name__})"))
        if len(lines) >= batch_size:
            yield _Batch(lines, nums, bad)
            lines, nums, bad = [], [], []
    if lines or bad:
        yield _Batch(lines, nums, bad)


def _bad(
    part: Part, line: int | None, where: str, rule: str, message: str, work_id: str | None = None
) -> dict[str, Any]:
    return {
        "file": str(part.path),
        "line": line,
        "where": where,
        "work_id": work_id,
        "dataset": "record",
        "column": None,
        "value": None,
        "rule": rule,
        "message": message[:300],
    }


_PARSE_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    ValueError,
)


# What is parsed of every record (to check it and decide its scope), and what only of the
# works kept (authorships are most of a record and most records are out of scope).
SCAN_COLUMNS = (
    "id",
    "title",
    "display_name",
    "publication_year",
    "cited_by_count",
    "updated_date",
    "primary_topic",
    "topics",
    "works_count",
)
DETAIL_COLUMNS = ("authorships", "is_authors_truncated", "host_venue", "concepts")


def _read(lines: list[bytes], columns: Sequence[str]) -> pl.DataFrame | BaseException:
    try:
        df = openalex.parse_works(b"\n".join(lines), columns)
    except _PARSE_ERRORS as e:
        return e
    return df if df.height == len(lines) else ValueError("record count differs from line count")


def _parse(
    lines: list[bytes], nums: list[int], part: Part, columns: Sequence[str]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """``columns`` of the records with their line numbers (``_line``) and positions in
    ``lines`` (``_i``); lines that are not JSON objects or hold wrong types (a number where a
    list of authorships is due) are found by bisection and quarantined one by one."""
    where = "record" if part.fmt == "json" else "line"
    keys = {"_line": pl.Int64, "_i": pl.Int64}
    empty = pl.DataFrame(schema={**{c: openalex.WORK_SCHEMA[c] for c in columns}, **keys})
    if not lines:
        return empty, []
    idx = list(range(len(lines)))
    df = _read(lines, columns)
    if isinstance(df, pl.DataFrame):
        return df.with_columns(
            pl.Series("_line", nums, pl.Int64), pl.Series("_i", idx, pl.Int64)
        ), []
    bad: list[dict[str, Any]] = []
    good: list[int] = []
    for i in idx:
        try:
            obj = json.loads(lines[i])
        except ValueError as e:
            bad.append(_bad(part, nums[i], where, "json", f"unparsable JSON: {e}"))
            continue
        if not isinstance(obj, dict):
            bad.append(
                _bad(part, nums[i], where, "json", f"not a JSON object ({type(obj).__name__})")
            )
            continue
        good.append(i)
    frames: list[pl.DataFrame] = []

    def bisect(items: list[int]) -> None:
        if not items:
            return
        got = _read([lines[i] for i in items], columns)
        if isinstance(got, pl.DataFrame):
            frames.append(
                got.with_columns(
                    pl.Series("_line", [nums[i] for i in items], pl.Int64),
                    pl.Series("_i", items, pl.Int64),
                )
            )
            return
        if len(items) == 1:
            try:
                wid = json.loads(lines[items[0]]).get("id")
            except (ValueError, AttributeError):
                wid = None
            msg = str(got).strip().splitlines()[0] if str(got).strip() else type(got).__name__
            bad.append(
                _bad(
                    part,
                    nums[items[0]],
                    where,
                    "type",
                    f"wrong types: {msg}",
                    str(wid).removeprefix(openalex.PREFIX) if isinstance(wid, str) else None,
                )
            )
            return
        mid = len(items) // 2
        bisect(items[:mid])
        bisect(items[mid:])

    bisect(good)
    return (pl.concat(frames).sort("_i") if frames else empty), bad


# =============================================================================================
# One batch: checks, scope, classification, contracts
# =============================================================================================


@dataclass
class _Context:
    xw: openalex.Crosswalk
    fields: frozenset[str] | None
    years: tuple[int, int]
    pub_contract: contracts.Contract
    auth_contract: contracts.Contract


@dataclass
class _BatchOut:
    updated_max: str | None
    pubs: pl.DataFrame
    auths: pl.DataFrame
    insts: pl.DataFrame
    quarantine: list[pl.DataFrame]
    counts: Counter[str]
    by_field: Counter[str]
    by_method: Counter[str]
    hits: Counter[str]
    notes: Counter[str]


def _contract_rows(
    res: contracts.ValidationResult, frame: pl.DataFrame, part: Part, where: str
) -> pl.DataFrame:
    """A contract's quarantine in the importer's shape: row → the record's line and work id."""
    q = res.quarantine
    if not q.height:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    key = frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row"), "work_id", "_line"
    )
    return (
        q.join(key, on="row", how="left")
        .select(
            pl.lit(str(part.path)).alias("file"),
            pl.col("_line").alias("line"),
            pl.lit(where).alias("where"),
            "work_id",
            pl.lit(res.dataset).alias("dataset"),
            "column",
            pl.col("value").cast(pl.String).str.slice(0, 200),
            "rule",
            pl.col("message").str.slice(0, 300),
        )
        .cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
    )


def _quarantine_not_work(frame: pl.DataFrame, part: Part, where: str) -> pl.DataFrame:
    return frame.select(
        pl.lit(str(part.path)).alias("file"),
        pl.col("_line").alias("line"),
        pl.lit(where).alias("where"),
        pl.lit(None, pl.String).alias("work_id"),
        pl.lit("record").alias("dataset"),
        pl.lit("id").alias("column"),
        pl.col("id").str.slice(0, 60).alias("value"),
        pl.lit("not_a_work").alias("rule"),
        pl.col("_why").alias("message"),
    )


def _process(batch: _Batch, part: Part, ctx: _Context) -> _BatchOut:
    where = "record" if part.fmt == "json" else "line"
    counts: Counter[str] = Counter()
    raw, bad = _parse(batch.lines, batch.nums, part, SCAN_COLUMNS)
    bad = batch.bad + bad
    counts["in"] = len(batch.lines) + len(batch.bad)
    quarantine = [pl.DataFrame(bad, schema=QUARANTINE_SCHEMA)] if bad else []
    counts["quarantined"] = len(bad)

    notes: Counter[str] = Counter()
    raw = raw.with_columns(openalex.not_a_work(check_authorships=False).alias("_why"))
    not_work = raw.filter(pl.col("_why").is_not_null())
    if not_work.height:
        quarantine.append(_quarantine_not_work(not_work, part, where))
        counts["quarantined"] += not_work.height
    works = raw.filter(pl.col("_why").is_null()).with_columns(
        openalex.strip_id(pl.col("id").str.strip_chars()).alias("id")
    )
    # a work twice in one batch: keep the copy updated last
    n = works.height
    works = (
        works.sort("updated_date", "_line", nulls_last=False)
        .unique("id", keep="last", maintain_order=True)
        .sort("_line")
    )
    counts["duplicate"] = n - works.height

    year = pl.col("publication_year").str.strip_chars().cast(pl.Int64, strict=False)
    lo, hi = ctx.years
    off_years = year.is_not_null() & ((year < lo) | (year > hi))
    counts["year"] = int(works.select(off_years.sum()).item())
    works = works.filter(~off_years)

    base = works.select(
        pl.col("id").alias("work_id"),
        pl.coalesce("title", "display_name").alias("title"),
        "topics",
        "primary_topic",
    )
    cls = openalex.classify_works(base, ctx.xw)
    rows = openalex.topic_rows(base, missing_score=float(ctx.xw.scoring["missing_score"]))
    names = ctx.xw.topic_names.select(pl.col("key").unique().alias("topic")).lazy()
    hits = Counter(dict(rows.join(names, on="topic").group_by("topic").len().collect().iter_rows()))
    sure = pl.col("tech_confidence") >= ctx.xw.min_confidence
    in_fields = (
        pl.lit(True) if ctx.fields is None else pl.col("field_code").is_in(sorted(ctx.fields))
    )
    cls = cls.with_columns(
        pl.when(sure & pl.col("field_code").is_not_null() & in_fields)
        .then(pl.lit("kept"))
        .when(sure & pl.col("tied_techs").is_not_null())
        .then(pl.lit("ambiguous_field"))
        .when(sure & pl.col("field_code").is_not_null())
        .then(pl.lit("other_field"))
        .otherwise(pl.lit("no_technology"))
        .alias("_scope")
    )
    scope = Counter(dict(cls.group_by("_scope").len().iter_rows()))
    for reason in ("ambiguous_field", "other_field", "no_technology"):
        counts[reason] = int(scope.get(reason, 0))
    cand = cls.filter(pl.col("_scope") == "kept")
    works = works.join(
        cand.select("work_id", "field_code", "tech_code", "tech_confidence", "classified_by"),
        left_on="id",
        right_on="work_id",
        how="inner",
        maintain_order="left",
    )
    # the kept works only: authorships and the rest, parsed now
    idx = works["_i"].to_list()
    detail, bad = _parse(
        [batch.lines[i] for i in idx], [batch.nums[i] for i in idx], part, DETAIL_COLUMNS
    )
    if bad:
        quarantine.append(pl.DataFrame(bad, schema=QUARANTINE_SCHEMA))
        counts["quarantined"] += len(bad)
    works = works.join(detail.drop("_i"), on="_line", how="inner", maintain_order="left")
    works = works.with_columns(openalex.not_a_work().alias("_why"))
    not_work = works.filter(pl.col("_why").is_not_null())
    if not_work.height:
        quarantine.append(_quarantine_not_work(not_work, part, where))
        counts["quarantined"] += not_work.height
        works = works.filter(pl.col("_why").is_null())
    notes["legacy_records"] = int(
        works.select(
            (
                pl.col("host_venue").is_not_null()
                | (pl.col("concepts").is_not_null() & pl.col("primary_topic").is_null())
            ).sum()
        ).item()
    )
    notes["authors_truncated"] = int(works["is_authors_truncated"].fill_null(False).sum())

    pubs_txt, auths_txt, insts, stats = openalex.works_frames(works)
    notes.update(stats)
    pubs_txt = pubs_txt.with_columns(works["field_code"], works["tech_code"], works["_line"])
    pres = contracts.validate(pubs_txt.drop("_line"), ctx.pub_contract, source=str(part.path))
    if pres.n_quarantined:
        quarantine.append(_contract_rows(pres, pubs_txt, part, where))
    counts["quarantined"] += pres.n_quarantined
    stamp = pl.col("updated_date").str.strip_chars()
    extra = works.select(
        pl.col("id").alias("work_id"),
        "tech_confidence",
        "classified_by",
        # OpenAlex writes 2025-10-05T13:06:54.940491 (older records a date): the day
        stamp.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias("updated_date"),
    )
    # validate adds the contract's optional columns as nulls: replace them, not suffix the join
    pubs = pres.valid.drop(list(_PUB_EXTRA), strict=False).join(
        extra, on="work_id", how="left", maintain_order="left"
    )
    counts["kept"] = pubs.height

    kept_ids = pubs["work_id"].implode()
    auths_txt = auths_txt.filter(pl.col("work_id").is_in(kept_ids)).join(
        pubs_txt.select("work_id", "_line"), on="work_id", how="left", maintain_order="left"
    )
    ares = contracts.validate(
        auths_txt.drop("_line"),
        ctx.auth_contract,
        source=str(part.path),
        references={"publications": pubs.select("work_id")},
    )
    if ares.n_quarantined:
        quarantine.append(_contract_rows(ares, auths_txt, part, where))
    counts["authorships"] = ares.n_valid
    counts["authorships_quarantined"] = ares.n_quarantined
    used = ares.valid["institution_id"].drop_nulls().unique().implode()
    insts = insts.filter(pl.col("institution_id").is_in(used)).select(list(_INSTITUTION_SCHEMA))

    total = counts["kept"] + counts["quarantined"] + sum(counts[r] for r in _OUT_OF_SCOPE)
    if total != counts["in"]:  # pragma: no cover - a bug, not bad data
        raise AssertionError(f"{part.path}: counts do not add up: {dict(counts)}")
    return _BatchOut(
        updated_max=raw["updated_date"].max() if raw.height else None,  # type: ignore[arg-type]
        pubs=pubs,
        auths=ares.valid,
        insts=insts,
        quarantine=quarantine,
        counts=counts,
        by_field=Counter(dict(pubs.group_by("field_code").len().iter_rows())),
        by_method=Counter(dict(pubs.group_by("classified_by").len().iter_rows())),
        hits=hits,
        notes=notes,
    )


# =============================================================================================
# Writing a partition
# =============================================================================================


def _pub_schema(c: contracts.Contract) -> pl.Schema:
    return pl.Schema({**c.polars_schema(), **_PUB_EXTRA})


class _PartWriter:
    """Hold a partition's kept rows and write them in files of about FLUSH_ROWS publications
    into a staging folder; ``publish`` moves them into place all at once."""

    def __init__(
        self, out: Path, part: Part, pub_schema: pl.Schema, auth_schema: pl.Schema, flush: int
    ) -> None:
        self.out, self.part, self.flush_rows = out, part, flush
        self.pub_schema, self.auth_schema = pub_schema, auth_schema
        self.staging = out / "_state" / "staging" / part.key
        shutil.rmtree(self.staging, ignore_errors=True)
        (self.staging / "publications").mkdir(parents=True)
        (self.staging / "authorships").mkdir(parents=True)
        self.pubs: list[pl.DataFrame] = []
        self.auths: list[pl.DataFrame] = []
        self.insts: list[pl.DataFrame] = []
        self.quarantine: list[pl.DataFrame] = []
        self.n_files = 0
        self.held = 0

    def add(self, b: _BatchOut) -> None:
        if b.pubs.height:
            self.pubs.append(b.pubs.select(list(self.pub_schema)).cast(self.pub_schema))  # type: ignore[arg-type]
            self.auths.append(b.auths.select(list(self.auth_schema)).cast(self.auth_schema))  # type: ignore[arg-type]
            self.held += b.pubs.height
        if b.insts.height:
            self.insts = [pl.concat([*self.insts, b.insts]).unique("institution_id", keep="first")]
        self.quarantine += [q.cast(QUARANTINE_SCHEMA) for q in b.quarantine if q.height]  # type: ignore[arg-type]
        if self.held >= self.flush_rows:
            self._write()

    def _write(self) -> None:
        name = f"{self.part.key}-{self.n_files:04d}.parquet"
        pubs = pl.concat(self.pubs) if self.pubs else pl.DataFrame(schema=self.pub_schema)
        auths = pl.concat(self.auths) if self.auths else pl.DataFrame(schema=self.auth_schema)
        pubs.write_parquet(self.staging / "publications" / name)
        auths.write_parquet(self.staging / "authorships" / name)
        self.pubs, self.auths, self.held = [], [], 0
        self.n_files += 1

    def publish(self) -> list[str]:
        """Replace the partition's files in DATA_DIR by the staged ones; the files written."""
        if self.held or not self.n_files:
            self._write()  # a partition always has a file, empty or not, so readers find one
        out, key = self.out, self.part.key
        pattern = glob.escape(key) + "-" + "[0-9]" * 4 + ".parquet"
        for ds in ("publications", "authorships"):
            (out / ds).mkdir(exist_ok=True)
            for old in (out / ds).glob(pattern):
                old.unlink()
        for p in (
            out / "quarantine" / f"{key}.parquet",
            out / "_state" / "institutions" / f"{key}.parquet",
        ):
            p.unlink(missing_ok=True)
        written = []
        for ds in ("publications", "authorships"):
            for f in sorted((self.staging / ds).glob("*.parquet")):
                os.replace(f, out / ds / f.name)
                written.append(f"{ds}/{f.name}")
        if self.insts:
            (out / "_state" / "institutions").mkdir(parents=True, exist_ok=True)
            io.write_parquet_atomic(
                self.insts[0].cast(_INSTITUTION_SCHEMA),  # type: ignore[arg-type]
                out / "_state" / "institutions" / f"{key}.parquet",
            )
        if self.quarantine:
            (out / "quarantine").mkdir(exist_ok=True)
            io.write_parquet_atomic(
                pl.concat(self.quarantine), out / "quarantine" / f"{key}.parquet"
            )
            written.append(f"quarantine/{key}.parquet")
        shutil.rmtree(self.staging, ignore_errors=True)
        return written


# =============================================================================================
# The import
# =============================================================================================


def _marker_info(settings: dict[str, Any]) -> dict[str, Any]:
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False).encode()
    return {
        "made_by": "talent openalex import",
        "format_version": FORMAT_VERSION,
        "settings": settings,
        "settings_hash": hashlib.sha256(blob).hexdigest()[:16],
    }


def _claim(out: Path, parts: list[Part], sources: list[Path], marker: dict[str, Any]) -> None:
    """Refuse a destination that is a source, inside a source folder, holds a source, or is a
    non-empty folder this importer did not make with the same settings."""
    o = out.resolve()
    for s in sources:
        r = s.resolve()
        if r.is_dir() and (o == r or o.is_relative_to(r)):
            raise OpenAlexImportError(
                f"--out {out} is inside the source folder {s}; sources are never written to — "
                "choose a folder outside it"
            )
        if r.is_file() and o == r.parent:
            raise OpenAlexImportError(
                f"--out {out} is the folder of the source {s}; choose a new folder for the import"
            )
        if r.is_relative_to(o):
            raise OpenAlexImportError(f"source {s} lies inside --out {out}; choose another folder")
    for p in parts:
        if p.path.resolve().is_relative_to(o):
            raise OpenAlexImportError(
                f"source {p.path} lies inside --out {out}; choose another folder"
            )
    if out.exists() and not out.is_dir():
        raise OpenAlexImportError(f"--out {out} is a file; choose a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    m = out / MARKER
    if not m.is_file():
        raise OpenAlexImportError(
            f"{out} is not empty and was not made by `talent openalex import`; refusing to write "
            "there. Choose an empty or new folder."
        )
    try:
        before = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise OpenAlexImportError(f"{m} is unreadable ({e}); import into a new folder") from e
    if before.get("settings_hash") != marker["settings_hash"]:
        old, new = before.get("settings") or {}, marker["settings"]
        diff = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        raise OpenAlexImportError(
            f"{out} was imported with other settings ({', '.join(diff) or 'format'} differ: "
            f"{', '.join(f'{k}={old.get(k)!r}' for k in diff)}); rerun with the same settings "
            "to resume, or import into a new folder"
        )


def _done(out: Path, part: Part, settings_hash: str) -> dict[str, Any] | None:
    """The partition's done-marker when its source is unchanged (same size, and same mtime or
    same sha256), else None."""
    f = out / "_state" / "parts" / f"{part.key}.json"
    if not f.is_file():
        return None
    try:
        st = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stat = part.path.stat()
    if st.get("settings_hash") != settings_hash or st.get("size") != stat.st_size:
        return None
    if st.get("mtime_ns") != stat.st_mtime_ns and io.file_sha256(part.path) != st.get("sha256"):
        return None
    return st


def _years(years: tuple[int, int] | None, c: contracts.Contract, today: dt.date) -> tuple[int, int]:
    col = c.column("publication_year")
    lo = int(col.min) if col.min is not None else 1900
    hi = today.year + 1
    if years is None:
        return lo, hi
    a, b = int(years[0]), int(years[1])
    if a > b:
        raise OpenAlexImportError(f"--years {a}-{b}: the first year must not be after the second")
    return a, b


def _year_contract(c: contracts.Contract, lo: int, hi: int) -> contracts.Contract:
    """The publications contract with its publication_year bounds widened to the kept years
    ``lo``-``hi`` (see the module docstring): current works are data, not errors."""
    cols = [
        dataclasses.replace(
            col,
            min=None if col.min is None else min(col.min, lo),
            max=None if col.max is None else max(col.max, hi),
        )
        if col.name == "publication_year"
        else col
        for col in c.columns
    ]
    return dataclasses.replace(c, columns=cols)


def import_openalex(
    sources: Sequence[str | Path],
    out: str | Path,
    *,
    fields: Sequence[str] | None = None,
    years: tuple[int, int] | None = None,
    batch_size: int = BATCH_SIZE,
    batch_bytes: int = BATCH_BYTES,
    flush_rows: int = FLUSH_ROWS,
    progress: bool = True,
    today: dt.date | None = None,
    crosswalk: openalex.Crosswalk | None = None,
    say: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import OpenAlex works from ``sources`` into ``out`` (see the module docstring); parts
    already imported with the same settings and unchanged sources are skipped. A part that
    cannot be read is reported in ``failed`` (and the manifest) and the others go on."""
    t0 = time.perf_counter()
    out = Path(out)
    today = today or dt.date.today()
    if not sources:
        raise OpenAlexImportError("no SOURCE given; pass a snapshot folder, pages or JSON lines")
    known = set(taxonomy.codes("strategic_tech", "field"))
    if fields:
        unknown = sorted(set(fields) - known)
        if unknown:
            raise OpenAlexImportError(
                f"unknown field code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
    if batch_size < 1 or batch_bytes < 1 or flush_rows < 1:
        raise OpenAlexImportError("batch sizes must be at least 1")
    xw = crosswalk or openalex.load_crosswalk()
    pub_c = contracts.load_contract("publications")
    auth_c = contracts.load_contract("authorships")
    inst_c = contracts.load_contract("institutions")
    lo, hi = _years(years, pub_c, today)
    settings = {
        "fields": sorted(fields) if fields else None,
        "years": list(years) if years else None,
        "crosswalk": {"version": xw.version, "sha256": xw.sha256},
        "contracts": {c.dataset: c.version for c in (pub_c, auth_c, inst_c)},
    }
    marker = _marker_info(settings)
    parts, described = discover_parts(sources)
    _claim(out, parts, [Path(s) for s in sources], marker)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / MARKER).is_file():
        io.write_json_atomic({**marker, "created": dt.datetime.now().isoformat()}, out / MARKER)
    (out / "_state" / "parts").mkdir(parents=True, exist_ok=True)

    ctx = _Context(
        xw=xw,
        fields=frozenset(fields) if fields else None,
        years=(lo, hi),
        pub_contract=_year_contract(pub_c, lo, hi),
        auth_contract=auth_c,
    )
    pub_schema, auth_schema = _pub_schema(pub_c), auth_c.polars_schema()
    result = ImportResult(out=out, manifest={})
    expected = [p.expected for p in parts]
    total = sum(e for e in expected if e) if expected and all(expected) else None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, unit=" works", disable=not progress, desc="openalex import")
    try:
        for part in parts:
            done = _done(out, part, marker["settings_hash"])
            if done is not None:
                result.skipped.append(part.key)
                bar.update(done["counts"]["in"])
                continue
            bar.set_description(part.key[:40])
            try:
                state = _import_part(
                    part,
                    out,
                    ctx,
                    pub_schema,
                    auth_schema,
                    batch_size,
                    batch_bytes,
                    flush_rows,
                    bar,
                )
            except OpenAlexImportError as e:
                result.failed[part.key] = str(e)
                if say:
                    say(f"경고: {e}")
                continue
            state["settings_hash"] = marker["settings_hash"]
            io.write_json_atomic(state, out / "_state" / "parts" / f"{part.key}.json")
            result.imported.append(part.key)
    finally:
        bar.close()
    result.manifest = _finalize(
        out, parts, described, settings, marker, xw, inst_c, ctx, today, result
    )
    result.seconds = time.perf_counter() - t0
    return result


def _import_part(
    part: Part,
    out: Path,
    ctx: _Context,
    pub_schema: pl.Schema,
    auth_schema: pl.Schema,
    batch_size: int,
    batch_bytes: int,
    flush_rows: int,
    bar: Any,
) -> dict[str, Any]:
    h = hashlib.sha256()
    writer = _PartWriter(out, part, pub_schema, auth_schema, flush_rows)
    counts: Counter[str] = Counter()
    by_field: Counter[str] = Counter()
    by_method: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    updated_max: str | None = None
    stat = part.path.stat()
    try:
        for batch in _batches(part, h, batch_size, batch_bytes):
            b = _process(batch, part, ctx)
            writer.add(b)
            counts += b.counts
            by_field += b.by_field
            by_method += b.by_method
            hits += b.hits
            notes += b.notes
            if b.updated_max and (updated_max is None or b.updated_max > updated_max):
                updated_max = b.updated_max
            bar.update(b.counts["in"])
            bar.set_postfix(kept=counts["kept"], refresh=False)
        files = writer.publish()
    except BaseException:
        shutil.rmtree(writer.staging, ignore_errors=True)
        raise
    counts_out = {
        "in": counts["in"],
        "kept": counts["kept"],
        "out_of_scope": {r: counts[r] for r in _OUT_OF_SCOPE},
        "quarantined": counts["quarantined"],
        "authorships": counts["authorships"],
        "authorships_quarantined": counts["authorships_quarantined"],
    }
    return {
        "key": part.key,
        "source": str(part.path),
        "format": part.fmt + (".gz" if part.gz else ""),
        "updated_date": part.updated_date,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": h.hexdigest(),
        "expected_records": part.expected,
        "records_updated_max": updated_max,
        "counts": counts_out,
        "by_field": dict(sorted(by_field.items())),
        "by_method": dict(sorted(by_method.items())),
        "crosswalk_hits": dict(sorted(hits.items())),
        "notes": dict(sorted(notes.items())),
        "files": files,
        "imported_at": dt.datetime.now().isoformat(timespec="seconds"),
    }


# =============================================================================================
# Finishing: one copy per work, institutions once, the manifest
# =============================================================================================


def _dedupe(out: Path) -> dict[str, int]:
    """Keep one copy of a work found in several files: the latest updated_date (then the later
    file, then the later row). Returns the copies removed per partition file."""
    files = sorted((out / "publications").glob("*.parquet"))
    if not files:
        return {}
    ids = pl.concat(
        [
            pl.read_parquet(f, columns=["work_id", "updated_date"]).with_columns(
                pl.lit(f.name).alias("_file"),
                pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
            )
            for f in files
        ]
    )
    dup = ids.filter(pl.col("work_id").is_duplicated())
    if not dup.height:
        return {}
    losers = dup.sort("work_id", "updated_date", "_file", "_row", nulls_last=False).filter(
        pl.int_range(pl.len()).over("work_id") < pl.len().over("work_id") - 1
    )
    removed: dict[str, int] = {}
    for (name,), grp in losers.group_by("_file"):
        f = out / "publications" / str(name)
        pubs = pl.read_parquet(f)
        drop_rows = grp["_row"].implode()
        keep = pubs.with_row_index("_r").filter(~pl.col("_r").cast(pl.Int64).is_in(drop_rows))
        gone = set(grp["work_id"]) - set(keep["work_id"])
        io.write_parquet_atomic(keep.drop("_r"), f)
        a = out / "authorships" / str(name)
        if a.is_file():
            auths = pl.read_parquet(a)
            io.write_parquet_atomic(
                auths.filter(~pl.col("work_id").is_in(sorted(gone))).unique(maintain_order=True),
                a,
            )
        removed[str(name)] = grp.height
    return removed


def _finalize(
    out: Path,
    parts: list[Part],
    described: list[dict[str, Any]],
    settings: dict[str, Any],
    marker: dict[str, Any],
    xw: openalex.Crosswalk,
    inst_c: contracts.Contract,
    ctx: _Context,
    today: dt.date,
    result: ImportResult,
) -> dict[str, Any]:
    removed = _dedupe(out)
    staging = out / "_state" / "staging"
    if staging.is_dir() and not any(staging.iterdir()):
        staging.rmdir()
    # institutions: once each, a known country preferred, validated
    inst_files = sorted((out / "_state" / "institutions").glob("*.parquet"))
    insts = (
        pl.concat([pl.read_parquet(f) for f in inst_files])
        .sort(pl.col("country_code").is_null(), maintain_order=True)
        .unique("institution_id", keep="first", maintain_order=True)
        if inst_files
        else pl.DataFrame(schema=_INSTITUTION_SCHEMA)
    )
    ires = contracts.validate(insts, inst_c, source="institutions of the kept authorships")
    io.write_parquet_atomic(ires.valid, out / "institutions.parquet")
    q_inst = out / "quarantine" / "institutions.parquet"
    if ires.n_quarantined:
        q_inst.parent.mkdir(exist_ok=True)
        io.write_quarantine(ires, q_inst)
    else:
        q_inst.unlink(missing_ok=True)

    states = {}
    for f in sorted((out / "_state" / "parts").glob("*.json")):
        st = json.loads(f.read_text(encoding="utf-8"))
        states[st["key"]] = st
    superseded: Counter[str] = Counter()
    for name, n in removed.items():
        superseded[re.sub(r"-\d{4}\.parquet$", "", name)] += n
    totals: dict[str, Any] = {
        "in": 0,
        "kept": 0,
        "out_of_scope": Counter(),
        "quarantined": 0,
        "authorships_quarantined": 0,
    }
    part_rows: dict[str, Any] = {}
    hits: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    for key, st in states.items():
        c = st["counts"]
        totals["in"] += c["in"]
        totals["kept"] += c["kept"]
        totals["out_of_scope"] += Counter(c["out_of_scope"])
        totals["quarantined"] += c["quarantined"]
        totals["authorships_quarantined"] += c["authorships_quarantined"]
        hits += Counter(st.get("crosswalk_hits") or {})
        notes += Counter(st.get("notes") or {})
        prev = int(st.get("superseded_later", 0))
        now = prev + superseded.get(key, 0)
        if now != prev:  # the done-marker remembers copies removed after the part was imported
            st["superseded_later"] = now
            io.write_json_atomic(st, out / "_state" / "parts" / f"{key}.json")
        part_rows[key] = {
            k: st.get(k)
            for k in (
                "source",
                "format",
                "updated_date",
                "size",
                "sha256",
                "expected_records",
                "records_updated_max",
                "counts",
                "by_field",
                "imported_at",
            )
        }
        part_rows[key]["superseded_later"] = now
        if st.get("expected_records") not in (None, c["in"]):
            part_rows[key]["warning"] = (
                f"the snapshot manifest lists {st['expected_records']} records, {c['in']} were read"
            )
    dup_later = sum(int(st.get("superseded_later", 0)) for st in states.values())
    totals["kept"] -= dup_later
    totals["out_of_scope"]["duplicate"] += dup_later
    totals["out_of_scope"] = {r: int(totals["out_of_scope"].get(r, 0)) for r in _OUT_OF_SCOPE}

    pubs = pl.scan_parquet(out / "publications" / "*.parquet") if part_rows else None
    by_field: dict[str, Any] = {}
    if pubs is not None:
        agg = (
            pubs.group_by("field_code")
            .agg(
                pl.len().alias("works"),
                pl.col("tech_code").is_null().sum().alias("tech_unresolved"),
                pl.col("tech_confidence").mean().round(3).alias("mean_confidence"),
                (pl.col("classified_by") == "keyword").sum().alias("by_keyword_only"),
                pl.col("publication_year").min().alias("year_min"),
                pl.col("publication_year").max().alias("year_max"),
            )
            .sort("field_code")
            .collect()
        )
        by_field = {r.pop("field_code"): r for r in agg.to_dicts()}
        techs = dict(
            pubs.group_by("tech_code").len().drop_nulls().sort("tech_code").collect().iter_rows()
        )
    else:
        techs = {}
    totals["by_field"] = by_field
    totals["by_technology"] = techs
    totals["authorships"] = (
        pl.scan_parquet(out / "authorships" / "*.parquet").select(pl.len()).collect().item()
        if part_rows
        else 0
    )
    totals["institutions"] = ires.n_valid
    totals["institutions_quarantined"] = ires.n_quarantined
    check = totals["kept"] + sum(totals["out_of_scope"].values()) + totals["quarantined"]
    totals["adds_up"] = check == totals["in"]

    q_rules: Counter[str] = Counter()
    q_files = (
        sorted((out / "quarantine").glob("*.parquet")) if (out / "quarantine").is_dir() else []
    )
    for f in q_files:
        if f.name != "institutions.parquet":
            q_rules += Counter(
                dict(pl.read_parquet(f, columns=["rule"])["rule"].value_counts().iter_rows())
            )
    dates = sorted(d for d in (st.get("updated_date") for st in states.values()) if d)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for p in parts:
        st = states.get(p.key)
        if st is not None:
            by_source.setdefault(str(p.source), []).append(st)
    for d in described:
        sts = by_source.get(d["path"], [])
        d["size"] = sum(int(st["size"]) for st in sts)
        if d["kind"] == "file" and sts:
            d["sha256"] = sts[0]["sha256"]
        else:
            d["files_sha256"] = "see parts[*].sha256"
    updated = sorted(u for u in (st.get("records_updated_max") for st in states.values()) if u)
    pub_col = contracts.load_contract("publications").column("publication_year")
    manifest = {
        "made_by": marker["made_by"],
        "format_version": FORMAT_VERSION,
        "updated": dt.datetime.now().isoformat(timespec="seconds"),
        "run_date": today.isoformat(),
        "settings": settings,
        "settings_hash": marker["settings_hash"],
        "crosswalk": {
            "name": openalex.CROSSWALK,
            "version": xw.version,
            "sha256": xw.sha256,
            "scoring": xw.scoring,
        },
        "taxonomy_versions": {
            "strategic_tech": taxonomy.version("strategic_tech"),
            openalex.CROSSWALK: taxonomy.version(openalex.CROSSWALK),
        },
        "years": {
            "kept": [ctx.years[0], ctx.years[1]],
            "contract_publication_year_max": pub_col.max,
            "publication_year_max_used": ctx.pub_contract.column("publication_year").max,
            "why": "the contract's fixed bounds would quarantine current works; the importer "
            "validates with the kept years (by default up to the run year + 1)",
        },
        "snapshot": {"updated_date_min": dates[0], "updated_date_max": dates[-1]}
        if dates
        else None,
        "records_updated_max": updated[-1] if updated else None,
        "sources": described,
        "this_run": {
            "imported": result.imported,
            "skipped": result.skipped,
            "failed": result.failed,
        },
        "parts": part_rows,
        "totals": totals,
        "quarantine": {
            "by_rule": dict(q_rules.most_common()),
            "files": [f"quarantine/{f.name}" for f in q_files],
        },
        "crosswalk_hits": dict(hits.most_common()),
        "crosswalk_entries_without_hits": sorted(set(xw.entries()) - set(hits)),
        "notes": dict(sorted(notes.items())),
        "outputs": {
            "publications": "publications/*.parquet",
            "authorships": "authorships/*.parquet",
            "institutions": "institutions.parquet",
            "quarantine": "quarantine/*.parquet",
        },
        "caveats": [
            *openalex.CAVEATS,
            "works are placed in technologies by OpenAlex topics (crosswalk above); "
            "tech_confidence says how sure, classified_by how",
        ],
    }
    io.write_json_atomic(manifest, out / MANIFEST)
    return manifest
