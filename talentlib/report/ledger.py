"""The ledger: only disclosed tables are written, each stamped (sha256, rules, population) in
``disclosure.json``; the gate (``verify_tables``) checks every file against its stamp before
anything is published. The stamps guard against accidental bypass, not against forgery."""

from __future__ import annotations

import hashlib
import io as _io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import config, io, privacy

LEDGER = "disclosure.json"
KEY_NUMBERS = "key_numbers.json"
NOTEBOOK_ENV = "TALENTLIB_NOTEBOOK"  # set by the batch so that stamps say which notebook wrote


class DisclosureGateError(RuntimeError):
    """A table that bypassed disclosure control was about to be published."""


# ---------------------------------------------------------------------------------------------
# Writing: only disclosed tables, each stamped in the ledger
# ---------------------------------------------------------------------------------------------


def check_disclosed(tables: dict[str, Any]) -> None:
    """Refuse to publish anything that is not a DisclosedTable made by privacy.disclose."""
    bad = [name for name, t in tables.items() if not privacy.is_disclosed(t)]
    if bad:
        raise DisclosureGateError(
            f"not published: {', '.join(bad)} did not pass privacy.disclose (or were edited after it)"
        )


def load_ledger(out: Path) -> dict[str, Any]:
    path = out / LEDGER
    if not path.exists():
        return {"version": 1, "tables": {}, "charts": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def stamp(name: str, entry: dict[str, Any]) -> str:
    """Hash binding a table's name, file hashes and rules; a hand-edited entry no longer matches."""
    body = {k: v for k, v in entry.items() if k != "stamp"}
    text = json.dumps({"name": name, **body}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"talentlib.report/{text}".encode()).hexdigest()


MANY_FILES = 20  # a folder of more inputs than this is listed in a released manifest as one digest


def releasable(obj: Any) -> Any:
    """``obj`` as a released manifest may say it: every ``cell_key_salt`` key dropped (a secret),
    every absolute path cut to its last part (the secure environment's layout is not the
    reader's business), at any depth."""
    if isinstance(obj, dict):
        return {k: releasable(v) for k, v in obj.items() if k != "cell_key_salt"}
    if isinstance(obj, list):
        return [releasable(v) for v in obj]
    if isinstance(obj, str) and obj.startswith("/") and "\n" not in obj and len(obj) < 4096:
        return Path(obj).name
    return obj


def input_digests(inputs: dict[str, str]) -> dict[str, Any]:
    """The input files' hashes for a released manifest: a folder of many files (posting files)
    as one digest over its names and hashes, so that nobody can test whether one given file
    was among the inputs; the rest file by file."""
    folders: dict[str, list[tuple[str, str]]] = {}
    for name, digest in inputs.items():
        folders.setdefault(name.rsplit("/", 1)[0] if "/" in name else "", []).append((name, digest))
    out: dict[str, Any] = {}
    for folder, files in sorted(folders.items()):
        if folder and len(files) > MANY_FILES:
            h = hashlib.sha256("\n".join(f"{n}\t{d}" for n, d in sorted(files)).encode())
            out[f"{folder}/*"] = {"files": len(files), "sha256": h.hexdigest()}
        else:
            out.update(dict(files))
    return out


def count_column(df: pl.DataFrame) -> str | None:
    """The count column of a disclosed table: disclose writes its flag first."""
    return privacy.layout(df).count


def save_tables(
    tables: dict[str, privacy.DisclosedTable], out: str | Path, notebook: str | None = None
) -> Path:
    """Write disclosed tables as tables/<name>.parquet plus the public list of suppressed cells,
    and stamp both in ``disclosure.json`` (sha256, rules with ``max_perturbation``, method,
    whether complementary cells were hidden, the population the table counts when known,
    suppressed cells, notebook; ``DisclosedTable.stamp``)."""
    check_disclosed(tables)
    out = Path(out)
    ledger = load_ledger(out)
    notebook = notebook or config.get(NOTEBOOK_ENV)
    for name, t in tables.items():
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
            raise ValueError(f"table name {name!r}: use letters, digits, _ and - only")
        path = io.write_parquet_atomic(t.table, out / "tables" / f"{name}.parquet")
        log = io.write_parquet_atomic(
            t.public_log(), out / "tables" / f"{name}.suppressed_cells.parquet"
        )
        entry = {
            "file": f"tables/{path.name}",
            "sha256": io.file_sha256(path),
            "rows": t.table.height,
            "count_column": count_column(t.table),
            **t.stamp(),
            "suppressed_cells": t.log.height,
            "public_log": {"file": f"tables/{log.name}", "sha256": io.file_sha256(log)},
            "notebook": notebook,
        }
        entry["stamp"] = stamp(name, entry)
        ledger["tables"][name] = entry
    io.write_json_atomic(ledger, out / LEDGER)
    return out


def to_svg(chart: Any) -> str:
    """An Altair chart as SVG (vl-convert; no browser)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json())


def hide_cells(out: str | Path, name: str, cells: list[dict[str, str]]) -> int:
    """Hide more cells of a stamped table (secondary suppression after a failed release audit,
    ``audit.secondary_cells``): each listed row's values become null with their flags set, the
    public log lists them, and the ledger entry is stamped again. Hiding only removes
    information. Returns how many counts were newly hidden."""
    out = Path(out)
    ledger = load_ledger(out)
    entry = ledger["tables"][name]
    path = out / entry["file"]
    df = pl.read_parquet(path)
    lay = privacy.layout(df)
    dims, values, flags = lay.dims, lay.values, lay.flags
    wanted = {tuple(str(cell.get(d, "")) for d in dims) for cell in cells}
    mask = pl.Series(
        [tuple(r) in wanted for r in df.select(pl.col(d).cast(pl.String) for d in dims).iter_rows()]
    )
    count_flag = f"{entry.get('count_column') or values[0]}_suppressed"
    newly = int((mask & ~df.get_column(count_flag)).sum())
    if not newly:
        return 0
    hidden = df.with_columns(
        *(pl.when(mask).then(None).otherwise(pl.col(v)).alias(v) for v in values),
        *((pl.col(f) | mask).alias(f) for f in flags),
    )
    io.write_parquet_atomic(hidden, path)
    log_path = out / entry["public_log"]["file"]
    log = pl.read_parquet(log_path)
    rows = hidden.filter(mask).select(pl.col(d).cast(pl.String) for d in dims)
    extra = pl.concat([rows.with_columns(pl.lit(v).alias("column")) for v in values])
    log = pl.concat([log, extra.select(log.columns)]).unique(maintain_order=True)
    io.write_parquet_atomic(log, log_path)
    entry["sha256"] = io.file_sha256(path)
    entry["public_log"]["sha256"] = io.file_sha256(log_path)
    entry["suppressed_cells"] = int(entry.get("suppressed_cells", 0)) + newly
    entry["secondary_cells"] = int(entry.get("secondary_cells", 0)) + newly
    entry["stamp"] = stamp(name, entry)
    io.write_json_atomic(ledger, out / LEDGER)
    return newly


def save_chart(
    chart: Any,
    out: str | Path,
    name: str,
    *,
    sources: list[str],
    public_data: str | None = None,
    notebook: str | None = None,
) -> Path:
    """Write a chart (altair chart or SVG text) as charts/<name>.svg and stamp it.

    ``sources`` names the stamped tables the chart draws; they must be in the ledger, so a chart
    is published only when what it shows passed disclosure control as a table. A chart of public
    statistics that count no people (e.g. papers per country) names no source and says where its
    data come from in ``public_data`` instead; the ledger and the manifest record it.
    """
    out = Path(out)
    ledger = load_ledger(out)
    if not sources and not public_data:
        raise DisclosureGateError(
            f"chart {name!r}: name the disclosed table(s) it draws (sources=[...]) or, for "
            "public statistics that count no people, public_data='...'"
        )
    missing = [s for s in sources if s not in ledger["tables"]]
    if missing:
        raise DisclosureGateError(
            f"chart {name!r}: its source table(s) {', '.join(missing)} were not saved with "
            "report.save_tables"
        )
    svg = chart if isinstance(chart, str) else to_svg(chart)
    path = io.write_text_atomic(svg, out / "charts" / f"{name}.svg")
    entry = {
        "file": f"charts/{path.name}",
        "sha256": io.file_sha256(path),
        "sources": {s: ledger["tables"][s]["sha256"] for s in sources},
        "public_data": public_data,
        "notebook": notebook or config.get(NOTEBOOK_ENV),
    }
    entry["stamp"] = stamp(name, entry)
    ledger["charts"][name] = entry
    io.write_json_atomic(ledger, out / LEDGER)
    return path


def record_key_numbers(out: str | Path, numbers: dict[str, Any], notebook: str) -> Path:
    """The notebook's key numbers as a JSON sidecar the batch collects (no HTML scraping)."""
    path = Path(out) / KEY_NUMBERS
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    existing[notebook] = numbers
    return io.write_json_atomic(existing, path)


# ---------------------------------------------------------------------------------------------
# The gate: verify every table file against its stamp before anything is published
# ---------------------------------------------------------------------------------------------


@dataclass
class VerifiedTables:
    """Tables read from bytes whose hash matched their stamp, with their ledger entries."""

    frames: dict[str, pl.DataFrame]
    entries: dict[str, dict[str, Any]]
    charts: dict[str, str]  # stamped charts whose sources are still the verified tables
    unverified_charts: list[str]


def _rules_weaker(stamped: dict[str, Any], required: privacy.DisclosureRules) -> list[str]:
    out = []
    if stamped.get("min_count", 0) < required.min_count:
        out.append(f"min_count {stamped.get('min_count')} < {required.min_count}")
    if stamped.get("min_count_magnitude", 0) < required.min_count_magnitude:
        out.append(
            f"min_count_magnitude {stamped.get('min_count_magnitude')} < "
            f"{required.min_count_magnitude}"
        )
    if stamped.get("dominance_n", 0) < required.dominance_n:
        out.append(f"dominance_n {stamped.get('dominance_n')} < {required.dominance_n}")
    if stamped.get("dominance_k", 1.0) > required.dominance_k:
        out.append(f"dominance_k {stamped.get('dominance_k')} > {required.dominance_k}")
    # cell-key perturbation protects a release of many tables; suppression alone does not
    method = stamped.get("method", "suppression")
    if _METHOD_RANK.get(method, -1) < _METHOD_RANK[required.method]:
        out.append(f"method {method} is weaker than {required.method}")
    elif method == "cell_key":
        from talentlib import cellkey

        d = stamped.get("max_perturbation", 0)
        if d < cellkey.MAX_PERTURBATION:
            out.append(f"max_perturbation {d} < {cellkey.MAX_PERTURBATION}")
        if required.method == "cell_key" and stamped.get("salt_id") != required.public()["salt_id"]:
            # the same people must get the same noise in every table of a release
            out.append("cell keys from another salt than this run's")
    return out


_METHOD_RANK = {"suppression": 0, "cell_key": 1}
# what a released manifest says about each table (the ledger's stamp and public log stay inside)
MANIFEST_TABLE_KEYS = (
    "file", "sha256", "rows", "suppressed_cells", "notebook", "count_column", "method",
    "rules", "complementary_suppression", "population",
)  # fmt: skip


def verify_tables(
    out: str | Path, required: privacy.DisclosureRules | None = None
) -> VerifiedTables:
    """The disclosure gate. Raise DisclosureGateError unless every file in tables/ is stamped by
    save_tables, unchanged since, disclosed under rules at least as strict as ``required``, and
    its published counts are 0 or at least min_count. Returns the tables read from the checked
    bytes (so nothing can change between the check and the use)."""
    out = Path(out)
    required = required or privacy.DisclosureRules()
    ledger = load_ledger(out)
    problems: list[str] = []
    frames: dict[str, pl.DataFrame] = {}
    entries: dict[str, dict[str, Any]] = {}
    known = set()
    for name, entry in ledger.get("tables", {}).items():
        known |= {entry["file"], entry["public_log"]["file"]}
        if entry.get("stamp") != stamp(name, entry):
            problems.append(f"{name}: its stamp in {LEDGER} does not match the entry (edited)")
            continue
        try:
            data = (out / entry["file"]).read_bytes()
            log_data = (out / entry["public_log"]["file"]).read_bytes()
        except FileNotFoundError as e:
            problems.append(f"{name}: stamped file missing ({Path(e.filename).name})")
            continue
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['file']}: changed after disclosure control stamped it")
            continue
        if hashlib.sha256(log_data).hexdigest() != entry["public_log"]["sha256"]:
            problems.append(f"{entry['public_log']['file']}: changed after it was stamped")
            continue
        weaker = _rules_weaker(entry["rules"], required)
        if weaker:
            problems.append(
                f"{name}: disclosed under weaker rules than this run ({'; '.join(weaker)})"
            )
            continue
        df = pl.read_parquet(_io.BytesIO(data))
        count = entry.get("count_column")
        if count and count in df.columns and df.schema[count].is_integer():
            small = df.filter(
                ~pl.col(f"{count}_suppressed")
                & pl.col(count).is_between(1, entry["rules"]["min_count"] - 1)
            )
            if small.height:
                problems.append(f"{name}: {small.height} published {count} cell(s) below min_count")
                continue
        frames[name], entries[name] = df, entry
    tables_dir = out / "tables"
    if tables_dir.exists():
        for p in sorted(tables_dir.rglob("*")):
            rel = p.relative_to(out).as_posix()
            if p.is_file() and rel not in known:
                problems.append(f"{rel}: not written by report.save_tables (no disclosure stamp)")
    if problems:
        raise DisclosureGateError(
            f"brief not written: {len(problems)} table problem(s): " + " | ".join(problems)
        )
    charts, unverified = {}, []
    stamped = ledger.get("charts", {})
    for name, entry in stamped.items():
        p = out / entry["file"]
        ok = (
            p.exists()
            and entry.get("stamp") == stamp(name, entry)
            and io.file_sha256(p) == entry["sha256"]
            and all(entries.get(s, {}).get("sha256") == h for s, h in entry["sources"].items())
        )
        if ok:
            charts[name] = p.read_text(encoding="utf-8")
        else:
            unverified.append(name)
    charts_dir = out / "charts"
    if charts_dir.exists():
        unverified += [p.stem for p in sorted(charts_dir.glob("*.svg")) if p.stem not in stamped]
    return VerifiedTables(frames, entries, charts, sorted(set(unverified)))
