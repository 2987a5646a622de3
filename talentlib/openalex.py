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

Technologies: ``classify_works`` places a work in the 50 strategic technologies by its OpenAlex
topics through the versioned crosswalk ``data_contracts/taxonomy/openalex_topics.yaml`` (topic
score × rank × mapping weight; title keywords of strategic_tech.yaml confirm, or stand in at
lower confidence), and ``crosswalk_accuracy`` scores it against a labelled sample beside the
keyword rules. ``talentlib.openalex_import`` streams whole snapshots through both.
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

__all__ = [
    "CAVEATS",
    "CROSSWALK",
    "PREFIX",
    "WORK_SCHEMA",
    "Crosswalk",
    "OpenAlexWorks",
    "classify_works",
    "crosswalk_accuracy",
    "load_crosswalk",
    "not_a_work",
    "parse_works",
    "read_labelled",
    "read_openalex_works",
    "strip_id",
    "topic_rows",
    "works_frames",
]

PREFIX = "https://openalex.org/"
_PREFIX = PREFIX
_S = pl.Struct
_NAMED = _S({"id": pl.String, "display_name": pl.String})
# a topic as the API gives it; subfield/field/domain feed the crosswalk (classify_works)
_TOPIC = _S(
    {
        "id": pl.String,
        "display_name": pl.String,
        "score": pl.Float64,
        "subfield": _NAMED,
        "field": _NAMED,
        "domain": _NAMED,
    }
)
WORK_SCHEMA = pl.Schema(
    {
        "id": pl.String,
        "title": pl.String,
        "display_name": pl.String,
        "publication_year": pl.String,
        "cited_by_count": pl.String,
        "updated_date": pl.String,
        "is_authors_truncated": pl.Boolean,
        "primary_topic": _TOPIC,
        "topics": pl.List(_TOPIC),
        "authorships": pl.List(
            _S(
                {
                    "author": _S({"id": pl.String}),
                    "institutions": pl.List(
                        _S(
                            {
                                "id": pl.String,
                                "display_name": pl.String,
                                "ror": pl.String,
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


_NESTED = frozenset(k for k, t in WORK_SCHEMA.items() if isinstance(t, pl.Struct | pl.List))


def parse_works(data: bytes, columns: Iterable[str] | None = None) -> pl.DataFrame:
    """Works in JSON lines as WORK_SCHEMA columns (all, or only ``columns``). Nested values are
    read as JSON text and decoded afterwards: polars reads deep structs in JSON lines several
    times slower than text. Raises a polars error on a line it cannot read."""
    cols = list(columns) if columns is not None else list(WORK_SCHEMA)
    text = pl.Schema({c: pl.String if c in _NESTED else WORK_SCHEMA[c] for c in cols})
    df = pl.read_ndjson(io.BytesIO(data), schema=text)
    nested = [c for c in cols if c in _NESTED]
    return df.with_columns([pl.col(c).str.json_decode(WORK_SCHEMA[c]) for c in nested])


@dataclass
class OpenAlexWorks:
    """Validated publications and authorships, the institutions seen, and notes for manifests."""

    publications: contracts.ValidationResult
    authorships: contracts.ValidationResult
    institutions: pl.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


def strip_id(expr: pl.Expr) -> pl.Expr:
    """An OpenAlex id without its ``https://openalex.org/`` prefix (W…, A…, I…, T…)."""
    return expr.str.strip_prefix(PREFIX)


_strip = strip_id


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


_KINDS = {
    "A": "an author",
    "I": "an institution",
    "S": "a source",
    "T": "a topic",
    "C": "a concept",
    "P": "a publisher",
    "F": "a funder",
}
CAVEATS = [
    "OpenAlex gives at most the first 100 authorships of a work",
    "author disambiguation is imperfect (merged common names, split identities)",
    "topics change with OpenAlex's topic model: record the snapshot date and version",
]


def not_a_work(*, check_authorships: bool = True) -> pl.Expr:
    """Why a record parsed with WORK_SCHEMA is not a usable work (null when it is one): no id,
    an id of another OpenAlex entity, or (unless ``check_authorships`` is false, for a frame
    read without authorships) neither authorships nor a publication year."""
    sid = _strip(pl.col("id").fill_null("").str.strip_chars())
    kind = sid.str.slice(0, 1).replace_strict(_KINDS, default=None, return_dtype=pl.String)
    why = (
        pl.when(sid == "")
        .then(pl.lit("no id"))
        .when(~sid.str.starts_with("W"))
        .then(
            pl.format(
                "not a work: id {} looks like {} record",
                sid.str.slice(0, 40),
                kind.fill_null("a non-work"),
            )
        )
    )
    if check_authorships:
        why = why.when(pl.col("authorships").is_null() & pl.col("publication_year").is_null()).then(
            pl.lit("not a work: neither authorships nor publication_year")
        )
    return why.otherwise(pl.lit(None, pl.String))


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
    kind = _KINDS.get(short[:1])
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
            pl.col("ror"),
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
            raw = parse_works(data)
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
        "caveats": list(CAVEATS),
    }
    return OpenAlexWorks(publications=pres, authorships=ares, institutions=insts, notes=notes)


# =============================================================================================
# Technologies from OpenAlex topics: the crosswalk (taxonomy/openalex_topics.yaml)
# =============================================================================================

CROSSWALK = "openalex_topics"
_SUBFIELD_PREFIX = _PREFIX + "subfields/"
_SCORING_KEYS = (
    "min_confidence",
    "rank_weights",
    "missing_score",
    "keyword_bonus",
    "keyword_only",
    "keyword_off_domain",
)
_MAP_SCHEMA = {"key": pl.String, "tech_code": pl.String, "weight": pl.Float64}


@dataclass(frozen=True)
class Crosswalk:
    """The topic → technology crosswalk as frames, with its scoring settings and version."""

    version: str
    sha256: str
    scoring: dict[str, Any]
    topic_names: pl.DataFrame  # key (display_name), tech_code, weight
    topic_ids: pl.DataFrame  # key (T...), tech_code, weight
    subfields: pl.DataFrame  # key (ASJC id or display name), tech_code, weight
    keyword_domains: pl.DataFrame  # field_code, domain

    @property
    def min_confidence(self) -> float:
        return float(self.scoring["min_confidence"])

    def entries(self) -> list[str]:
        """Every topic and subfield entry by name (for hit counts in manifests)."""
        return sorted(set(self.topic_names["key"].to_list()))


def load_crosswalk(name: str = CROSSWALK) -> Crosswalk:
    """Read and check the crosswalk YAML: known technology codes, weights in (0, 1], topic ids
    like T10281, no topic both mapped and excluded; errors name the entry."""
    from talentlib import io as tio
    from talentlib import taxonomy

    path = taxonomy.taxonomy_dir() / f"{name}.yaml"
    raw = taxonomy.load(name)
    techs = set(taxonomy.codes("strategic_tech", "technology"))
    fields = set(taxonomy.codes("strategic_tech", "field"))

    def bad(msg: str) -> ValueError:
        return ValueError(f"{path}: {msg}")

    scoring = dict(raw.get("scoring") or {})
    missing = [k for k in _SCORING_KEYS if k not in scoring]
    if missing:
        raise bad(f"scoring lacks {', '.join(missing)}")
    rows: dict[str, list[dict[str, Any]]] = {"names": [], "ids": [], "subfields": []}
    seen: set[str] = set()
    for section, key in (("topics", "topic"), ("subfields", "subfield")):
        for e in raw.get(section) or []:
            label = e.get(key)
            if not label or not isinstance(e.get("techs"), dict) or not e["techs"]:
                raise bad(f"every {section} entry needs '{key}' and a 'techs' mapping: {e!r}")
            if not str(e.get("why") or "").strip():
                raise bad(f"{section} entry {label!r} needs a 'why' (the rationale)")
            if (section, label) in seen:
                raise bad(f"{section} entry {label!r} appears twice")
            seen.add((section, label))  # type: ignore[arg-type]
            for tech, w in e["techs"].items():
                if tech not in techs:
                    raise bad(f"{section} entry {label!r}: unknown technology code {tech!r}")
                if not isinstance(w, int | float) or not 0 < w <= 1:
                    raise bad(f"{section} entry {label!r}: weight of {tech} must be in (0, 1]")
                base = {"tech_code": tech, "weight": float(w)}
                if section == "topics":
                    rows["names"].append({"key": str(label), **base})
                    if e.get("id") is not None:
                        tid = str(e["id"])
                        if not tid.startswith("T") or not tid[1:].isdigit():
                            raise bad(f"topic {label!r}: id {tid!r} is not like T10281")
                        rows["ids"].append({"key": tid, **base})
                else:
                    rows["subfields"].append({"key": str(label), **base})
                    if e.get("id") is not None:
                        rows["subfields"].append({"key": str(e["id"]), **base})
    mapped = {r["key"] for r in rows["names"]}
    clash = sorted(mapped & {str(e.get("topic")) for e in raw.get("excluded") or []})
    if clash:
        raise bad(f"topic(s) both mapped and excluded: {', '.join(clash)}")
    domains = []
    for f, ds in (raw.get("keyword_domains") or {}).items():
        if f not in fields:
            raise bad(f"keyword_domains: unknown field code {f!r}")
        domains += [{"field_code": f, "domain": str(d)} for d in ds]
    return Crosswalk(
        version=str(raw.get("version", "unversioned")),
        sha256=tio.file_sha256(path),
        scoring=scoring,
        topic_names=pl.DataFrame(rows["names"], schema=_MAP_SCHEMA),
        topic_ids=pl.DataFrame(rows["ids"], schema=_MAP_SCHEMA),
        subfields=pl.DataFrame(rows["subfields"], schema=_MAP_SCHEMA),
        keyword_domains=pl.DataFrame(
            domains, schema={"field_code": pl.String, "domain": pl.String}
        ),
    )


def topic_rows(works: pl.DataFrame | pl.LazyFrame, *, missing_score: float = 0.9) -> pl.LazyFrame:
    """One row per work × topic in OpenAlex's order (``pos`` 1 = primary; ``primary_topic`` when
    ``topics`` is empty): work_id, pos, topic_id, topic, score, subfield_id, subfield, domain."""
    lf = works.lazy()
    if "primary_topic" not in lf.collect_schema().names():
        lf = lf.with_columns(pl.lit(None, WORK_SCHEMA["primary_topic"]).alias("primary_topic"))
    t = pl.col("_t")
    return (
        lf.select(
            "work_id",
            pl.when(pl.col("topics").list.len() > 0)
            .then(pl.col("topics"))
            .otherwise(pl.concat_list(pl.col("primary_topic")))
            .alias("_t"),
        )
        .with_columns(pl.int_ranges(1, t.list.len() + 1).alias("pos"))
        .explode("_t", "pos")
        .filter(t.is_not_null())
        .select(
            "work_id",
            "pos",
            _strip(t.struct.field("id")).alias("topic_id"),
            t.struct.field("display_name").str.strip_chars().alias("topic"),
            t.struct.field("score").fill_null(missing_score).alias("score"),
            t.struct.field("subfield")
            .struct.field("id")
            .str.strip_prefix(_SUBFIELD_PREFIX)
            .alias("subfield_id"),
            t.struct.field("subfield").struct.field("display_name").alias("subfield"),
            t.struct.field("domain").struct.field("display_name").alias("domain"),
        )
    )


def classify_works(
    works: pl.DataFrame | pl.LazyFrame, crosswalk: Crosswalk | None = None
) -> pl.DataFrame:
    """Field and technology of each work (work_id, title, topics as in WORK_SCHEMA) by the topic
    crosswalk, title keywords confirming or, without topic evidence, standing in at lower
    confidence. One row per work: field_code, tech_code, tech_confidence (0-1),
    classified_by ('topic', 'topic+keyword', 'keyword'), evidence_topic, matched_keyword and
    tied_techs (set when a tie across fields left the work unplaced). The rules and weights
    are documented in data_contracts/taxonomy/openalex_topics.yaml."""
    from talentlib import workforce  # keyword rules; imported here, workforce may read OpenAlex

    xw = crosswalk or load_crosswalk()
    sc = xw.scoring
    lf = works.lazy()
    rows = topic_rows(lf, missing_score=float(sc["missing_score"]))
    rw = [float(w) for w in sc["rank_weights"]]
    rank = (
        pl.col("pos")
        .clip(upper_bound=len(rw))
        .replace_strict({i + 1: w for i, w in enumerate(rw)}, return_dtype=pl.Float64)
    )
    ev_cols = ["work_id", "pos", "topic", "score", "tech_code", "weight"]
    hits = pl.concat(
        [
            rows.join(xw.topic_names.lazy(), left_on="topic", right_on="key").select(ev_cols),
            rows.join(xw.topic_ids.lazy(), left_on="topic_id", right_on="key").select(ev_cols),
            rows.join(xw.subfields.lazy(), left_on="subfield_id", right_on="key").select(ev_cols),
            rows.join(xw.subfields.lazy(), left_on="subfield", right_on="key").select(ev_cols),
        ]
    )
    evidence = (
        hits.group_by("work_id", "pos", "tech_code")
        .agg(pl.col("topic").first(), (pl.col("score") * rank.first() * pl.col("weight")).max())
        .rename({"score": "ev"})
        .group_by("work_id", "tech_code")
        .agg(
            pl.col("ev").max().alias("evidence"),
            pl.col("ev").sum().alias("evidence_sum"),
            pl.col("topic").sort_by("ev").last().alias("evidence_topic"),
        )
    )
    titles = lf.select("work_id", pl.col("title").fill_null(""))
    kw = (
        workforce.keyword_matches(titles, id_col="work_id", text_col="title")
        .lazy()
        .filter(pl.col("kw_len") == pl.col("kw_len").max().over("work_id"))
        .group_by("work_id", "tech_code")
        .agg(pl.col("kw_len").max(), pl.col("keyword").sort().first())
    )
    domain = rows.filter(pl.col("pos") == 1).select("work_id", "domain").unique("work_id")
    in_domain = xw.keyword_domains.lazy().with_columns(pl.lit(True).alias("_in_domain"))
    ev = pl.col("evidence").fill_null(0.0)
    has_kw = pl.col("kw_len").is_not_null()
    kw_only = pl.lit(float(sc["keyword_only"])) * pl.when(
        pl.col("domain").is_null() | pl.col("_in_domain").fill_null(False)
    ).then(1.0).otherwise(float(sc["keyword_off_domain"]))
    cands = (
        evidence.join(kw, on=["work_id", "tech_code"], how="full", coalesce=True)
        .with_columns(pl.col("tech_code").str.split("-").list.first().alias("field_code"))
        .join(domain, on="work_id", how="left")
        .join(in_domain, on=["field_code", "domain"], how="left")
        .with_columns(
            pl.when(has_kw & (ev > 0))
            .then(
                pl.max_horizontal((ev + float(sc["keyword_bonus"])).clip(upper_bound=1.0), kw_only)
            )
            .when(has_kw)
            .then(kw_only)
            .otherwise(ev)
            .round(6)
            .alias("conf"),
            pl.when((ev > 0) & has_kw)
            .then(pl.lit("topic+keyword"))
            .when(ev > 0)
            .then(pl.lit("topic"))
            .otherwise(pl.lit("keyword"))
            .alias("classified_by"),
            pl.col("kw_len").fill_null(0),
            pl.col("evidence_sum").fill_null(0.0).round(6),
        )
        .filter(pl.col("conf") > 0)
    )
    best = (
        cands.filter(pl.col("conf") == pl.col("conf").max().over("work_id"))
        .filter(pl.col("kw_len") == pl.col("kw_len").max().over("work_id"))
        .filter(pl.col("evidence_sum") == pl.col("evidence_sum").max().over("work_id"))
        .sort("work_id", "tech_code")
        .group_by("work_id")
        .agg(
            pl.col("tech_code").unique(maintain_order=True).alias("_techs"),
            pl.col("field_code").unique(maintain_order=True).alias("_fields"),
            pl.col("conf").first().alias("tech_confidence"),
            pl.col("classified_by").first(),
            pl.col("evidence_topic").drop_nulls().first(),
            pl.col("keyword").drop_nulls().first().alias("matched_keyword"),
        )
        .select(
            "work_id",
            pl.when(pl.col("_fields").list.len() == 1)
            .then(pl.col("_fields").list.first())
            .alias("field_code"),
            pl.when(pl.col("_techs").list.len() == 1)
            .then(pl.col("_techs").list.first())
            .alias("tech_code"),
            "tech_confidence",
            "classified_by",
            "evidence_topic",
            "matched_keyword",
            pl.when(pl.col("_fields").list.len() > 1)
            .then(pl.col("_techs").list.sort().list.join("|"))
            .alias("tied_techs"),
        )
    )
    return (
        lf.select("work_id").join(best, on="work_id", how="left", maintain_order="left").collect()
    )


# --------------------------------------------------------------------------------------------
# A labelled sample of real works and precision / recall per field
# --------------------------------------------------------------------------------------------

LABELLED_SCHEMA = pl.Schema(
    {
        "work_id": pl.String,
        "title": pl.String,
        "publication_year": pl.Int64,
        "primary_topic": WORK_SCHEMA["primary_topic"],
        "topics": WORK_SCHEMA["topics"],
        "field_code": pl.String,
        "tech_code": pl.String,
        "note": pl.String,
        "source": pl.String,
    }
)


def read_labelled(path: str | Path) -> pl.DataFrame:
    """A labelled sample (JSON lines: work_id, title, topics as the API gives them, and the
    field_code / tech_code a person assigned, null for none of the 50 technologies)."""
    return pl.read_ndjson(Path(path), schema=LABELLED_SCHEMA)


def _field_scores(method: str, truth: pl.DataFrame, pred: pl.DataFrame) -> pl.DataFrame:
    j = truth.select("work_id", pl.col("field_code").alias("t")).join(
        pred.select("work_id", pl.col("field_code").alias("p")), on="work_id", how="left"
    )
    codes = sorted(set(j["t"].drop_nulls()) | set(j["p"].drop_nulls()))
    out = []
    for code in [*codes, None]:
        is_t = j["t"].is_null() if code is None else (j["t"] == code).fill_null(False)
        is_p = j["p"].is_null() if code is None else (j["p"] == code).fill_null(False)
        tp, n_t, n_p = int((is_t & is_p).sum()), int(is_t.sum()), int(is_p.sum())
        out.append(
            {
                "method": method,
                "field_code": code or "(none)",
                "n_true": n_t,
                "n_pred": n_p,
                "tp": tp,
                "precision": round(tp / n_p, 4) if n_p else None,
                "recall": round(tp / n_t, 4) if n_t else None,
            }
        )
    n_t = int(j["t"].is_not_null().sum())
    n_p = int(j["p"].is_not_null().sum())
    tp = int((j["t"] == j["p"]).fill_null(False).sum())
    out.append(
        {
            "method": method,
            "field_code": "(all fields)",
            "n_true": n_t,
            "n_pred": n_p,
            "tp": tp,
            "precision": round(tp / n_p, 4) if n_p else None,
            "recall": round(tp / n_t, 4) if n_t else None,
        }
    )
    return pl.DataFrame(out)


def crosswalk_accuracy(labelled: pl.DataFrame, crosswalk: Crosswalk | None = None) -> pl.DataFrame:
    """Precision and recall per field on a labelled sample for the crosswalk (a work counts
    when its confidence reaches min_confidence, as the importer keeps it), for the workforce
    map's current rules (title keywords, then strategic_tech topic names) and for keywords
    alone. '(none)' scores the works of no technology; '(all fields)' pools the fields.
    A precision or recall without a denominator is null."""
    from talentlib import workforce

    xw = crosswalk or load_crosswalk()
    cw = classify_works(labelled, xw).with_columns(
        pl.when(pl.col("tech_confidence") >= xw.min_confidence).then(pl.col("field_code"))
    )
    names = labelled.select(
        "work_id",
        "title",
        pl.when(pl.col("topics").list.len() > 0)
        .then(pl.col("topics"))
        .otherwise(pl.concat_list(pl.col("primary_topic")))
        .list.eval(pl.element().struct.field("display_name"))
        .list.drop_nulls()
        .alias("topics"),
    )
    rules = workforce.classify_publications(names)
    kw_only = workforce.classify_texts(names, id_col="work_id", text_col="title")
    return pl.concat(
        [
            _field_scores("crosswalk", labelled, cw),
            _field_scores("workforce_rules", labelled, rules),
            _field_scores("keywords_only", labelled, kw_only),
        ]
    )
