"""Finishing an import: one copy per work across partitions, institutions once (validated), and
the manifest (sources, counts that add up, crosswalk hits, quarantine); ``ImportResult``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import contracts, io, openalex, taxonomy

from .scope import INSTITUTION_SCHEMA, OUT_OF_SCOPE, Context
from .sources import Part

MANIFEST = "openalex_manifest.json"
FORMAT_VERSION = 1


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


def finish_import(
    out: Path,
    parts: list[Part],
    described: list[dict[str, Any]],
    settings: dict[str, Any],
    marker: dict[str, Any],
    xw: openalex.Crosswalk,
    inst_c: contracts.Contract,
    ctx: Context,
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
        else pl.DataFrame(schema=INSTITUTION_SCHEMA)
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
    totals["out_of_scope"] = {r: int(totals["out_of_scope"].get(r, 0)) for r in OUT_OF_SCOPE}

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
    manifest["validated"] = validated_block(out, ctx)
    io.write_json_atomic(manifest, out / MANIFEST)
    return manifest


# ---------------------------------------------------------------------------------------------
# What the import vouches for: its Parquet files passed the contracts, so a reader that finds
# them unchanged (and the contracts unchanged) need not validate 50 million rows again
# ---------------------------------------------------------------------------------------------

VOUCHED = ("publications", "authorships", "institutions")


def _contract_sha256(name: str) -> str:
    return hashlib.sha256((taxonomy.contracts_dir() / f"{name}.yaml").read_bytes()).hexdigest()


def _vouched_files(out: Path) -> list[Path]:
    return [
        *sorted((out / "publications").glob("*.parquet")),
        *sorted((out / "authorships").glob("*.parquet")),
        out / "institutions.parquet",
    ]


def validated_block(out: Path, ctx: Context) -> dict[str, Any]:
    """The manifest's ``validated``: the contracts (text digests) and taxonomy versions every
    kept row passed — publications and authorships per batch, with the authorships' foreign key
    to their works and one copy per work across files; institutions once at the end — the
    publication years allowed, and each output file (size, modification time, SHA-256, rows)."""
    files = {}
    for f in _vouched_files(out):
        if f.is_file():
            st = f.stat()
            files[f.relative_to(out).as_posix()] = {
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "sha256": io.file_sha256(f),
                "rows": pl.scan_parquet(f).select(pl.len()).collect().item(),
            }
    return {
        "by": "talent openalex import",
        "contracts": {
            n: {"version": contracts.load_contract(n).version, "sha256": _contract_sha256(n)}
            for n in VOUCHED
        },
        "taxonomy_versions": taxonomy.versions(),
        "publication_year": [ctx.years[0], ctx.years[1]],
        "files": files,
    }


def vouched(folder: str | Path) -> tuple[dict[str, int] | None, str]:
    """Rows per dataset when ``folder`` is a `talent openalex import` folder whose files are the
    ones its manifest lists as validated (same size and modification time, or same SHA-256),
    validated with today's contracts and taxonomy and within today's publication-year bounds;
    else None and why not (the reader then validates the files itself)."""
    folder = Path(folder)
    try:
        block = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("validated")
    except (OSError, ValueError):
        return None, f"no readable {MANIFEST}"
    if not isinstance(block, dict) or not isinstance(block.get("files"), dict):
        return None, "the manifest does not list validated files (an older import)"
    for n in VOUCHED:
        if (block.get("contracts") or {}).get(n, {}).get("sha256") != _contract_sha256(n):
            return None, f"the {n} contract changed since the import"
    if block.get("taxonomy_versions") != taxonomy.versions():
        return None, "the taxonomy changed since the import"
    col = contracts.load_contract("publications").column("publication_year")
    lo, hi = block.get("publication_year") or (None, None)
    if (
        lo is None
        or (col.min is not None and lo < col.min)
        or (col.max is not None and hi > col.max)
    ):
        return None, f"publication years {lo}-{hi} are outside today's contract bounds"
    listed: dict[str, dict[str, Any]] = block["files"]
    present = {f.relative_to(folder).as_posix() for f in _vouched_files(folder) if f.is_file()}
    if present != set(listed):
        extra, gone = sorted(present - set(listed)), sorted(set(listed) - present)
        return None, f"files differ from the manifest (added {extra[:3]}, missing {gone[:3]})"
    rows: Counter[str] = Counter()
    for rel, rec in listed.items():
        st = (folder / rel).stat()
        if st.st_size != rec.get("size") or (
            st.st_mtime_ns != rec.get("mtime_ns")
            and io.file_sha256(folder / rel) != rec.get("sha256")
        ):
            return None, f"{rel} changed since the import"
        rows[rel.split("/")[0].removesuffix(".parquet")] += int(rec["rows"])
    return {n: rows.get(n, 0) for n in VOUCHED}, ""
