"""Read real OpenAlex works (API JSON or JSON lines, the API's own field names) into the
publications and authorships contract frames, so the workforce map runs unchanged on an export.

What is read from each work: ``id``, ``title`` (``display_name`` in older records),
``publication_year``, ``cited_by_count``, ``topics[].display_name`` (``primary_topic`` when
``topics`` is absent) and ``authorships[]``: ``author.id``, ``institutions[].id`` and
``institutions[].country_code``. Decisions:

- Ids lose the ``https://openalex.org/`` prefix (``W2741809807``, ``A5023888391``).
- ``author_position`` becomes the 1-based index in ``authorships`` (the API's ``first`` /
  ``middle`` / ``last`` cannot key a row).
- One authorships row per author × institution; an author without institutions gets one row
  with a null institution. An institution without ``country_code`` takes the authorship's
  ``countries`` when that list names exactly one country, else stays null (the indicators then
  count it as an unknown country, so fractional counts still add up).
- Affiliations (``affiliations[].institution_ids``, possibly empty) are not read: the
  ``institutions`` list already holds the resolved institutions.
- The older shape (``host_venue``, ``concepts``, no ``primary_topic``) is read — it carries the
  fields above — and counted in ``notes["legacy_records"]``; ``concepts`` are never used as
  topics (a different vocabulary). A record that is not a work (an author, an institution) is
  rejected with a message that says what it looks like.
- Works whose ``is_authors_truncated`` is true (the API gives only the first 100 authorships)
  are counted in ``notes``; their country counts are approximate.

Scalars are read as text and typed by the contracts, so a bad value is quarantined with its row
rather than failing the whole file.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import contracts

__all__ = ["OpenAlexWorks", "read_openalex_works", "works_frames"]

_PREFIX = "https://openalex.org/"
_S = pl.Struct
WORK_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "title": pl.String,
        "display_name": pl.String,
        "publication_year": pl.String,
        "cited_by_count": pl.String,
        "updated_date": pl.String,
        "is_authors_truncated": pl.Boolean,
        "primary_topic": _S({"display_name": pl.String}),
        "topics": pl.List(_S({"display_name": pl.String})),
        "authorships": pl.List(
            _S(
                {
                    "author": _S({"id": pl.String}),
                    "institutions": pl.List(
                        _S(
                            {
                                "id": pl.String,
                                "display_name": pl.String,
                                "country_code": pl.String,
                                "type": pl.String,
                            }
                        )
                    ),
                    "countries": pl.List(pl.String),
                }
            )
        ),
        "host_venue": _S({"display_name": pl.String}),
        "concepts": pl.List(_S({"display_name": pl.String})),
        # keys of other OpenAlex entities, to recognise a record that is not a work
        "works_count": pl.String,
        "ror": pl.String,
    }
)


@dataclass
class OpenAlexWorks:
    """Validated publications and authorships, the institutions seen, and notes for manifests."""

    publications: contracts.ValidationResult
    authorships: contracts.ValidationResult
    institutions: pl.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


def _strip(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_prefix(_PREFIX)


def _ndjson_bytes(path: Path) -> bytes:
    """The file as JSON lines: .jsonl/.ndjson as they are; a .json API page (``results``), a
    list of works or a single work re-serialised one record a line."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
        name = path.stem
    else:
        name = path.name
    if name.endswith((".jsonl", ".ndjson")):
        return raw
    if not name.endswith(".json"):
        raise ValueError(f"cannot read {path}: expected .jsonl, .ndjson or .json (optionally .gz)")
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"cannot parse {path} as JSON: {e.msg} at line {e.lineno}") from e
    if isinstance(obj, dict) and isinstance(obj.get("results"), list):
        obj = obj["results"]
    records = obj if isinstance(obj, list) else [obj]
    if not all(isinstance(r, dict) for r in records):
        raise ValueError(
            f"{path}: expected OpenAlex work objects (a work, a list of works or an "
            "API page with 'results')"
        )
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


def _check_kind(raw: pl.DataFrame, source: str) -> None:
    """Reject records that are not works, naming what they look like."""
    not_work = raw.filter(
        ~_strip(pl.col("id").fill_null("")).str.starts_with("W")
        | (pl.col("authorships").is_null() & pl.col("publication_year").is_null())
    )
    if not not_work.height:
        return
    first = not_work.row(0, named=True)
    short = (first["id"] or "").removeprefix(_PREFIX)
    kind = {
        "A": "an author",
        "I": "an institution",
        "S": "a source",
        "T": "a topic",
        "C": "a concept",
        "P": "a publisher",
        "F": "a funder",
    }.get(short[:1])
    if kind is None and first.get("works_count") is not None:
        kind = "an OpenAlex entity other than a work"
    what = f"looks like {kind} record" if kind else "has no work id (W...), authorships or year"
    raise ValueError(
        f"{source}: {not_work.height} of {raw.height} record(s) are not OpenAlex works — the "
        f"first ({first['id']!r}) {what}. Export works (the /works endpoint) as JSON lines."
    )


def works_frames(
    raw: pl.DataFrame | pl.LazyFrame,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """(publications, authorships, institutions, stats) from works parsed with WORK_SCHEMA:
    text frames in the contracts' columns, the institutions seen (id, display_name,
    country_code, type) and counts of the repairs made (stats)."""
    lf = raw.lazy()
    topics = (
        pl.when(pl.col("topics").list.len() > 0)
        .then(pl.col("topics").list.eval(pl.element().struct.field("display_name")))
        .when(pl.col("primary_topic").is_not_null())
        .then(pl.concat_list(pl.col("primary_topic").struct.field("display_name")))
    )
    pubs = lf.select(
        _strip(pl.col("id")).alias("work_id"),
        "publication_year",
        "cited_by_count",
        pl.coalesce("title", "display_name").alias("title"),
        topics.alias("topics"),
        pl.lit(None, pl.String).alias("field_code"),
        pl.lit(None, pl.String).alias("tech_code"),
    )
    auth = (
        lf.select(_strip(pl.col("id")).alias("work_id"), "authorships")
        .with_columns(
            pl.int_ranges(1, pl.col("authorships").list.len() + 1).alias("author_position")
        )
        .explode("authorships", "author_position")
        .filter(pl.col("authorships").is_not_null())
        .unnest("authorships")
        .with_columns(pl.col("author").struct.field("id").alias("author_id"))
        # an author without institutions keeps one row: an empty list becomes null first
        .with_columns(pl.when(pl.col("institutions").list.len() > 0).then(pl.col("institutions")))
        .explode("institutions")
        .with_columns(pl.col("institutions").struct.unnest())
        .with_columns(
            (pl.col("country_code").is_null() & (pl.col("countries").list.len() == 1)).alias(
                "_from_countries"
            )
        )
        .with_columns(
            pl.when(pl.col("_from_countries"))
            .then(pl.col("countries").list.first())
            .otherwise(pl.col("country_code"))
            .alias("country_code")
        )
        .collect()
    )
    institutions = (
        auth.lazy()
        .filter(pl.col("id").is_not_null())
        .select(
            _strip(pl.col("id")).alias("institution_id"),
            "display_name",
            pl.col("institutions").struct.field("country_code"),
            "type",
        )
        .unique("institution_id", keep="first", maintain_order=True)
        .collect()
    )
    authorships = auth.select(
        "work_id",
        pl.col("author_position").cast(pl.String),
        _strip(pl.col("author_id")).alias("author_id"),
        _strip(pl.col("id")).alias("institution_id"),
        "country_code",
    ).unique(maintain_order=True)  # an institution listed twice for one author is one row
    stats = {
        "country_from_authorship_countries": int(auth["_from_countries"].sum()),
        "duplicate_affiliation_rows": auth.height - authorships.height,
    }
    return pubs.collect(), authorships, institutions, stats


def read_openalex_works(paths: str | Path | Iterable[str | Path]) -> OpenAlexWorks:
    """Read OpenAlex works from .jsonl / .ndjson / .json files (optionally .gz) and validate
    them against the publications and authorships contracts (bad rows quarantined, counted)."""
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    frames = []
    for p in files:
        if not p.exists():
            raise FileNotFoundError(f"{p} not found; pass an OpenAlex works export (.jsonl)")
        data = _ndjson_bytes(p)
        try:
            raw = pl.read_ndjson(io.BytesIO(data), schema=WORK_SCHEMA)
        except pl.exceptions.PolarsError as e:
            raise ValueError(
                f"cannot parse {p} as OpenAlex works in JSON lines: {e}. Each "
                "line must be one work object."
            ) from e
        _check_kind(raw, str(p))
        frames.append(raw)
    raw = pl.concat(frames) if frames else pl.DataFrame(schema=WORK_SCHEMA)
    pubs, auths, insts, stats = works_frames(raw)
    source = ", ".join(str(p) for p in files)
    pres = contracts.validate(pubs, "publications", source=source)
    ares = contracts.validate(
        auths, "authorships", source=source, references={"publications": pres.valid}
    )
    legacy = raw.select(
        (
            pl.col("host_venue").is_not_null()
            | (pl.col("concepts").is_not_null() & pl.col("primary_topic").is_null())
        ).sum()
    ).item()
    notes = {
        "works": raw.height,
        "legacy_records": int(legacy),
        "authors_truncated": int(raw["is_authors_truncated"].fill_null(False).sum()),
        "affiliations_without_country": int(auths["country_code"].null_count()),
        **stats,
        "snapshot_updated_max": raw["updated_date"].max(),
        "caveats": [
            "OpenAlex gives at most the first 100 authorships of a work",
            "author disambiguation is imperfect (merged common names, split identities)",
            "topics change with OpenAlex's topic model: record the snapshot date and version",
        ],
    }
    return OpenAlexWorks(publications=pres, authorships=ares, institutions=insts, notes=notes)
