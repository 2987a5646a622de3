"""One batch of records → the works in scope: checks, duplicates, years, placement in the
technologies by the topic crosswalk, the wanted fields, and the contracts (publications,
authorships), with every record counted as kept, out of scope or quarantined."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl

from talentlib import contracts, openalex

from .reading import DETAIL_COLUMNS, SCAN_COLUMNS, Batch, parse_records
from .sources import Part

PUB_EXTRA = {
    "tech_confidence": pl.Float64,
    "classified_by": pl.String,
    "updated_date": pl.Date,  # the contract's type; a later day wins when copies differ
}
OUT_OF_SCOPE = ("year", "no_technology", "other_field", "ambiguous_field", "duplicate")
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
INSTITUTION_SCHEMA = pl.Schema(
    {
        "institution_id": pl.String,
        "display_name": pl.String,
        "ror": pl.String,
        "country_code": pl.String,
        "type": pl.String,
    }
)


@dataclass
class Context:
    xw: openalex.Crosswalk
    fields: frozenset[str] | None
    years: tuple[int, int]
    pub_contract: contracts.Contract
    auth_contract: contracts.Contract


@dataclass
class BatchOut:
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


def process_batch(batch: Batch, part: Part, ctx: Context) -> BatchOut:
    where = "record" if part.fmt == "json" else "line"
    counts: Counter[str] = Counter()
    raw, bad = parse_records(batch.lines, batch.nums, part, SCAN_COLUMNS)
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
    detail, bad = parse_records(
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
    pubs = pres.valid.drop(list(PUB_EXTRA), strict=False).join(
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
    insts = insts.filter(pl.col("institution_id").is_in(used)).select(list(INSTITUTION_SCHEMA))

    total = counts["kept"] + counts["quarantined"] + sum(counts[r] for r in OUT_OF_SCOPE)
    if total != counts["in"]:  # pragma: no cover - a bug, not bad data
        raise AssertionError(f"{part.path}: counts do not add up: {dict(counts)}")
    return BatchOut(
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
