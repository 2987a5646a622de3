"""The main job on the embedded synthetic data: generate, validate, publish what exists so far.

Until the batch runner lands, this is what `talent demo` runs: the small synthetic dataset is
generated if missing, every table is validated against its contract (quarantines written, counts
add up), and a first disclosure-controlled overview per field is published under outputs/.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from . import __version__, contracts, io, privacy, synth, taxonomy

# dataset → (file name, referenced datasets for foreign keys)
DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "researchers": ("researchers.parquet", ()),
    "participations": ("participations.parquet", ("researchers",)),
    "projects": ("projects.csv", ()),
    "employment_spells": ("employment_spells.parquet", ()),
    "key_table": ("key_table.parquet", ("researchers",)),
    "publications": ("publications.parquet", ()),
    "authorships": ("authorships.parquet", ("publications",)),
}


def run_id(params: dict[str, Any]) -> str:
    """Timestamp plus a short hash of the parameters (CONVENTIONS: outputs/<run_id>/)."""
    h = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{h}"


def validate_folder(
    data: Path, quarantine_dir: Path | None = None
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Validate every dataset in a synthetic-layout folder; return valid frames and a quality table."""
    valid: dict[str, pl.DataFrame] = {}
    rows = []
    for name, (fname, refs) in DATASETS.items():
        path = data / fname
        if not path.exists():
            continue
        references = {r: valid[r] for r in refs if r in valid}
        res = io.read_validated(path, name, references=references or None)
        valid[name] = res.valid
        by_rule = (
            {r: n for r, n in res.quarantine.group_by("rule").len().iter_rows()}
            if res.n_quarantined
            else {}
        )
        rows.append(
            {
                "dataset": name,
                "file": fname,
                "n_in": res.n_in,
                "n_valid": res.n_valid,
                "n_quarantined": res.n_quarantined,
                "rules": json.dumps(by_rule, ensure_ascii=False),
            }
        )
        if quarantine_dir is not None and res.n_quarantined:
            quarantine_dir.mkdir(parents=True, exist_ok=True)
            contracts.write_quarantine(res, quarantine_dir / f"{name}.csv")
    return valid, pl.DataFrame(rows)


def field_overview(
    valid: dict[str, pl.DataFrame], rules: privacy.DisclosureRules
) -> dict[str, privacy.DisclosedTable]:
    """Participants per field by degree, role and institution type — all through disclosure control."""
    parts = valid["participations"]
    people = (
        parts.select("researcher_id", "field_code")
        .unique()
        .join(
            valid["researchers"].select("researcher_id", "degree"), on="researcher_id", how="inner"
        )
    )
    out = {}
    by_degree = people.group_by("field_code", "degree").agg(pl.len().alias("researchers"))
    out["participants_by_field_degree"] = privacy.disclose(
        by_degree, count="researchers", rows="field_code", cols="degree", rules=rules
    )
    last_role = (
        parts.sort("end_date")
        .group_by("researcher_id", "field_code")
        .agg(pl.col("role").last(), pl.col("institution_type").last())
    )
    by_role = last_role.group_by("field_code", "role").agg(pl.len().alias("researchers"))
    out["participants_by_field_role"] = privacy.disclose(
        by_role, count="researchers", rows="field_code", cols="role", rules=rules
    )
    by_inst = last_role.group_by("field_code", "institution_type").agg(
        pl.len().alias("researchers")
    )
    out["participants_by_field_institution"] = privacy.disclose(
        by_inst, count="researchers", rows="field_code", cols="institution_type", rules=rules
    )
    return out


OVERVIEW_AXES = {
    "participants_by_field_degree": ("field_code", "degree"),
    "participants_by_field_role": ("field_code", "role"),
    "participants_by_field_institution": ("field_code", "institution_type"),
}
ORDER = {
    "field_code": ("strategic_tech", "field"),
    "degree": ("degrees", None),
    "role": ("roles", None),
    "institution_type": ("institution_types", None),
}


def pivot_display(t: privacy.DisclosedTable, rows: str, cols: str, value: str) -> pl.DataFrame:
    """A disclosed long table as the cross-tab people read: Korean labels, taxonomy order, 합계 last."""
    disp = t.display("ko")
    row_codes = [*taxonomy.table(*ORDER[rows])["code"].to_list(), privacy.TOTAL]
    col_codes = [*taxonomy.table(*ORDER[cols])["code"].to_list(), privacy.TOTAL]
    present = set(disp[cols].to_list())
    wide = disp.pivot(on=cols, index=rows, values=value)
    wide = wide.select(rows, *[c for c in col_codes if c in present])
    rank = {c: i for i, c in enumerate(row_codes)}
    wide = wide.sort(pl.col(rows).replace_strict(rank, default=len(rank), return_dtype=pl.Int64))
    row_labels = {**taxonomy.labels(ORDER[rows][0], level=ORDER[rows][1]), privacy.TOTAL: "합계"}
    col_labels = {**taxonomy.labels(ORDER[cols][0], level=ORDER[cols][1]), privacy.TOTAL: "합계"}
    wide = wide.with_columns(pl.col(rows).replace(row_labels))
    return wide.rename({c: col_labels.get(c, c) for c in wide.columns if c != rows}).rename(
        {rows: "분야"}
    )


def run(
    data: Path,
    outputs: Path,
    seed: int = 20240101,
    quiet: bool = False,
    rules: privacy.DisclosureRules | None = None,
) -> Path:
    t0 = time.perf_counter()
    rules = rules or privacy.DisclosureRules()
    if not (data / "truth.json").exists():
        if not quiet:
            print(f"합성 데이터가 없어 새로 만듭니다: {data}")
        synth.generate("small", seed=seed, out=data, progress=not quiet)
    params = {"data": str(data), "rules": rules.__dict__, "seed": seed}
    out = outputs / run_id(params)
    (out / "tables").mkdir(parents=True, exist_ok=True)

    valid, quality = validate_folder(data, out / "quarantine")
    io.write_parquet_atomic(quality, out / "data_quality.parquet")
    if not quiet:
        print("\n데이터 검증 (입력 = 통과 + 격리)")
        for r in quality.iter_rows(named=True):
            print(
                f"  {r['dataset']:<18} 입력 {r['n_in']:>9,}  통과 {r['n_valid']:>9,}  격리 {r['n_quarantined']:>6,}"
            )

    tables = field_overview(valid, rules)
    suppressed = {}
    for name, (rows, cols) in OVERVIEW_AXES.items():
        t = tables[name]
        io.write_parquet_atomic(t.table, out / "tables" / f"{name}.parquet")
        io.write_parquet_atomic(t.public_log(), out / "tables" / f"{name}.suppressed_cells.parquet")
        wide = pivot_display(t, rows, cols, "researchers")
        # UTF-8 with BOM so that Excel opens the Korean labels correctly
        io.write_text_atomic("\ufeff" + wide.write_csv(), out / "tables" / f"{name}.csv")
        suppressed[name] = t.log.height
    if not quiet:
        wide = pivot_display(
            tables["participants_by_field_degree"], "field_code", "degree", "researchers"
        )
        with pl.Config(
            tbl_rows=20,
            tbl_cols=10,
            tbl_hide_dataframe_shape=True,
            tbl_width_chars=120,
            tbl_hide_column_data_types=True,
            tbl_cell_alignment="RIGHT",
        ):
            print("\n분야별 참여 연구자 수 (학위별; 5명 미만 및 보완 비공개 처리)")
            print(wide)

    manifest = {
        "run_id": out.name,
        "talentlib": __version__,
        "created": datetime.now(UTC).isoformat(),
        "parameters": params,
        "inputs": {
            p.name: io.file_sha256(p)
            for p in sorted(data.glob("*.*"))
            if p.suffix in (".parquet", ".csv")
        },
        "taxonomy_versions": taxonomy.versions(),
        "quarantine": {r["dataset"]: r["n_quarantined"] for r in quality.iter_rows(named=True)},
        "suppressed_cells": suppressed,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    io.write_json_atomic(manifest, out / "manifest.json")
    return out
