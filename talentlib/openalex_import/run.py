"""The import (``import_openalex``): claim the destination, then per partition read → scope →
write, skipping partitions already imported from unchanged sources, and finish with the
manifest."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import contracts, io, openalex, taxonomy

from .manifest import FORMAT_VERSION, ImportResult, finish_import
from .reading import read_batches
from .scope import OUT_OF_SCOPE, Context, process_batch
from .sources import OpenAlexImportError, Part, discover_parts
from .writer import FLUSH_ROWS, PartWriter, publication_schema

MARKER = ".talent-openalex-import.json"
BATCH_SIZE = 50_000
BATCH_BYTES = 64 << 20


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
    ``lo``-``hi`` (see the package docstring): current works are data, not errors."""
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
    """Import OpenAlex works from ``sources`` into ``out`` (see the package docstring); parts
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

    ctx = Context(
        xw=xw,
        fields=frozenset(fields) if fields else None,
        years=(lo, hi),
        pub_contract=_year_contract(pub_c, lo, hi),
        auth_contract=auth_c,
    )
    pub_schema, auth_schema = publication_schema(pub_c), auth_c.polars_schema()
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
    result.manifest = finish_import(
        out, parts, described, settings, marker, xw, inst_c, ctx, today, result
    )
    result.seconds = time.perf_counter() - t0
    return result


def _import_part(
    part: Part,
    out: Path,
    ctx: Context,
    pub_schema: pl.Schema,
    auth_schema: pl.Schema,
    batch_size: int,
    batch_bytes: int,
    flush_rows: int,
    bar: Any,
) -> dict[str, Any]:
    h = hashlib.sha256()
    writer = PartWriter(out, part, pub_schema, auth_schema, flush_rows)
    counts: Counter[str] = Counter()
    by_field: Counter[str] = Counter()
    by_method: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    notes: Counter[str] = Counter()
    updated_max: str | None = None
    stat = part.path.stat()
    try:
        for batch in read_batches(part, h, batch_size, batch_bytes):
            b = process_batch(batch, part, ctx)
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
        "out_of_scope": {r: counts[r] for r in OUT_OF_SCOPE},
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
