"""One field's publication: gate → charts → brief.html, tables.xlsx, manifest.json; and the copy
of exactly those files into the run's release/."""

from __future__ import annotations

import html
import json
import shutil
import time
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from talentlib import __version__, io, labels, privacy, taxonomy

from .brief import (
    METHOD_NOTES,
    chart_makers,
    disclosure_notes,
    hide_small,
    quarantine_line,
    render_brief,
    rules_line,
)
from .display import DisplayTable, brief_table, display_table
from .ledger import (
    KEY_NUMBERS,
    MANIFEST_TABLE_KEYS,
    DisclosureGateError,
    input_digests,
    load_ledger,
    releasable,
    save_chart,
    verify_tables,
)
from .workbook import write_workbook

# ---------------------------------------------------------------------------------------------
# One field: gate, charts, brief, workbook, manifest
# ---------------------------------------------------------------------------------------------


def notebook_of(entry: dict[str, Any]) -> str:
    return entry.get("notebook") or "기타"


def publish_field(
    out: str | Path,
    field_code: str,
    *,
    rules: privacy.DisclosureRules | None = None,
    run_id: str | None = None,
    provenance: dict[str, Any] | None = None,
    overview: Mapping[str, Any] | None = None,
) -> Path:
    """Write brief.html, tables.xlsx, charts/*.svg and manifest.json for one field's folder.

    ``overview`` (``findings.overview_stats`` over the fields of the same run) lets the findings
    compare this field with the others; without it they state the field's own numbers.

    The gate runs first (``verify_tables``); a table that bypassed disclosure control raises
    DisclosureGateError and nothing is written. ``provenance`` (from the batch) adds inputs with
    hashes, parameters, notebooks and timings, and quarantine counts to the manifest.
    """
    t0 = time.perf_counter()
    out = Path(out)
    rules = rules or privacy.DisclosureRules()
    prov = dict(provenance or {})
    run_id = run_id or prov.get("run_id") or out.parent.name
    verified = verify_tables(out, rules)
    field_ko = taxonomy.label("strategic_tech", field_code, level="field")
    kn_path = out / KEY_NUMBERS
    numbers = json.loads(kn_path.read_text(encoding="utf-8")) if kn_path.exists() else {}

    # charts from the verified tables, stamped with the hashes of the tables they draw
    charts: dict[str, list[tuple[str, str]]] = {}
    warn: list[str] = []
    ledger_charts = load_ledger(out)["charts"]
    for name, make in chart_makers().items():
        if name not in verified.frames:
            continue
        if name in verified.charts:  # drawn before from this very table (its stamp says so)
            nb = notebook_of(ledger_charts[name])
            charts.setdefault(nb, []).append(
                (name, labels.table_title(name), verified.charts[name])
            )
            continue
        try:
            obj = make(verified.frames[name], field_ko)
        except Exception as exc:  # a chart that cannot be drawn is reported, the brief goes on
            warn.append(f"차트 {name}를 그리지 못했습니다: {type(exc).__name__}: {exc}")
            continue
        if obj is None:
            continue
        nb = notebook_of(verified.entries[name])
        svg = save_chart(obj, out, name, sources=[name], notebook=nb).read_text(encoding="utf-8")
        charts.setdefault(nb, []).append((name, labels.table_title(name), svg))
    for name, svg in verified.charts.items():
        if name in chart_makers():
            continue
        entry = ledger_charts[name]
        charts.setdefault(notebook_of(entry), []).append((name, labels.table_title(name), svg))
    if verified.unverified_charts:
        warn.append(
            "공개 통제 도장이 없는 차트는 싣지 않았습니다: "
            + ", ".join(verified.unverified_charts)
            + " (노트북에서 report.save_chart로 저장하세요)"
        )

    # tables grouped by notebook, in the order the notebooks ran, titles in a stable order
    order = list(prov.get("notebooks", {})) or labels.notebook_order()
    by_nb: dict[str, list[DisplayTable]] = {}
    title_rank = {n: i for i, n in enumerate(labels.table_order())}
    for name in sorted(verified.frames, key=lambda n: (title_rank.get(n, len(title_rank)), n)):
        nb = notebook_of(verified.entries[name])
        by_nb.setdefault(nb, []).append(brief_table(name, verified.frames[name], nb))
    nbs = [n for n in order if n in by_nb or n in charts]
    nbs += sorted((set(by_nb) | set(charts)) - set(nbs))
    sections = [(labels.notebook_title(nb), charts.get(nb, []), by_nb.get(nb, [])) for nb in nbs]
    all_tables = [t for _, _, ts in sections for t in ts]
    # findings in words, each read from a table or chart this brief publishes
    from talentlib import findings as fd

    shown = {t.name for t in all_tables} | {n for _, cs, _ in sections for n, _, _ in cs}
    findings = [f for f in fd.field_findings(numbers, field_code, overview) if f.table in shown]

    rules_used = rules.public()
    notes = [("정의", METHOD_NOTES[nb]) for nb in nbs if nb in METHOD_NOTES]
    notes.append(("공개 통제 (이번 실행의 기준)", disclosure_notes(rules_used)))
    inputs = prov.get("inputs", {})
    tax = taxonomy.versions()
    about = [
        ("실행 ID", html.escape(run_id)),
        ("분야", html.escape(f"{field_ko} ({field_code})")),
        ("talentlib 버전", html.escape(__version__)),
        (
            "택소노미 버전",
            html.escape(
                f"국가전략기술 {tax.get('strategic_tech', '-')} · 역량 {tax.get('competencies', '-')}"
                f" · 직무 {tax.get('job_families', '-')} (전체 목록은 manifest.json)"
            ),
        ),
        (
            "실행한 노트북",
            html.escape(
                ", ".join(labels.notebook_title(n) for n in prov.get("notebooks", {})) or "-"
            ),
        ),
        ("공개 통제 기준", html.escape(rules_line(rules_used))),
        (
            "격리된 입력 행",
            html.escape(quarantine_line(prov.get("quarantine", {}), rules.min_count)),
        ),
        (
            "입력 파일",
            html.escape(
                f"{len(prov.get('inputs', {}))}개 — 파일별 해시, 자료 폴더, 매개변수는 "
                "manifest.json에 있습니다"
            ),
        ),
    ]
    page = render_brief(
        field_code=field_code,
        field_ko=field_ko,
        run_id=run_id,
        findings=findings,
        sections=sections,
        notes=notes,
        provenance=about,
        inputs=inputs,
        warnings_=[],  # operational warnings go to the manifest and the log, not to readers
    )
    write_workbook(  # the workbook keeps every table whole, in the brief's order
        out / "tables.xlsx",
        [display_table(t.name, verified.frames[t.name], t.notebook) for t in all_tables],
        title=f"{field_ko} ({field_code}) 인재 분석 표 · 실행 {run_id}",
        findings=[f.text for f in findings],
        about=[*about, *[(h, " ".join(items)) for h, items in notes]],
    )
    io.write_text_atomic(page, out / "brief.html")
    ledger = load_ledger(out)
    manifest = {
        "run_id": run_id,
        "field_code": field_code,
        "field_ko": field_ko,
        "created": datetime.now(UTC).isoformat(),
        "talentlib": __version__,
        "taxonomy_versions": tax,
        "pipeline": prov.get("pipeline"),
        "data_dir": prov.get("data_dir"),
        "inputs": inputs,
        "parameters": prov.get("parameters", {}),
        "disclosure_rules": rules_used,
        "notebooks": prov.get("notebooks", {}),
        # each table with how it was protected and what it counts, so that a checker holding
        # only release/ can run `talent check-release` on it (rules are public: no salt)
        "tables": {
            n: {k: e[k] for k in MANIFEST_TABLE_KEYS if k in e} for n, e in verified.entries.items()
        },
        "charts": {
            n: {"file": e["file"], "sha256": e["sha256"]}
            for n, e in ledger["charts"].items()
            if n not in verified.unverified_charts
        },
        "unverified_charts": verified.unverified_charts,
        "suppressed_cells": {
            "total": sum(e["suppressed_cells"] for e in verified.entries.values()),
            "by_table": {n: e["suppressed_cells"] for n, e in verified.entries.items()},
        },
        # row counts of faulty inputs: small ones are shown only as "under the threshold"
        "quarantine": hide_small(prov.get("quarantine", {}), rules.min_count),
        "key_numbers": hide_small(numbers, rules.min_count, keys=("quarantine",)),
        "findings": [f.to_dict() for f in findings],
        "outputs": {
            p: io.file_sha256(out / p) for p in ("brief.html", "tables.xlsx") if (out / p).exists()
        },
        "timings": {**prov.get("timings", {}), "brief_seconds": round(time.perf_counter() - t0, 2)},
        "warnings": warn,
    }
    # a released manifest holds no secret (a salt a pipeline gave), no path of the secure
    # environment and no per-file hash of a folder of many inputs (ledger.releasable)
    manifest["inputs"] = input_digests(manifest.get("inputs") or {})
    io.write_json_atomic(releasable(manifest), out / "manifest.json")
    for w in warn:
        warnings.warn(w, UserWarning, stacklevel=2)
    return out / "brief.html"


RELEASED = ("brief.html", "tables.xlsx", "manifest.json")  # plus the manifest's tables and charts
RELEASED_IF_PRESENT = ("brief.pdf",)  # the printed brief, made from the gated HTML


def release_field(work: str | Path, dest: str | Path) -> Path:
    """Copy what may leave the secure environment from a published field's working folder to
    its release folder: the brief, the workbook, the manifest and exactly the tables and charts
    the manifest lists — each checked against the hash the gate recorded. Nothing else (no
    executed notebook, log, suppression log or work table) is copied. Replaces ``dest`` whole."""
    work, dest = Path(work), Path(dest)
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    files = list(RELEASED) + [f for f in RELEASED_IF_PRESENT if (work / f).exists()]
    for kind in ("tables", "charts"):
        for name, entry in manifest.get(kind, {}).items():
            got = io.file_sha256(work / entry["file"])
            if got != entry["sha256"]:
                raise DisclosureGateError(
                    f"{entry['file']} changed after the gate stamped it ({name}); publish again"
                )
            files.append(entry["file"])
    tmp = dest.with_name(f".{dest.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    for rel in files:
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / rel, tmp / rel)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return dest
