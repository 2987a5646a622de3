"""The cross-field summary of a batch run, from each field's disclosed key numbers."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import __version__, io, labels, taxonomy

from .brief import html_table, scope_svg_ids, template
from .display import SHARE_KEYS, SUPPRESSED, Cell, DisplayTable, flatten_key_numbers, key_label
from .ledger import KEY_NUMBERS, to_svg
from .workbook import write_workbook


def field_numbers(
    release: Path, statuses: dict[str, dict[str, Any]], workdirs: Mapping[str, Path]
) -> dict[str, dict[str, Any]]:
    """key_numbers.json of every field that finished (read once for the summary)."""
    out = {}
    for f, st in statuses.items():
        kn = workdirs.get(f, release / f) / KEY_NUMBERS
        if st.get("status") == "ok" and kn.exists():
            out[f] = json.loads(kn.read_text(encoding="utf-8"))
    return out


def _summary_rows(
    release: Path, statuses: dict[str, dict[str, Any]], numbers: Mapping[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    codes = taxonomy.fields()["code"].to_list()
    order = [c for c in codes if c in statuses] + sorted(set(statuses) - set(codes))
    rows = []
    for f in order:
        st = statuses[f]
        ok = st.get("status") == "ok"
        rows.append(
            {
                "field_code": f,
                "field_ko": taxonomy.label("strategic_tech", f, level="field"),
                "status": st.get("status", "failed"),
                "brief": f"{f}/brief.html"
                if ok and (release / f / "brief.html").exists()
                else None,
                **flatten_key_numbers(numbers.get(f, {})),
            }
        )
    return rows


def _summary_display(df: pl.DataFrame, rows: list[dict[str, Any]]) -> DisplayTable:
    """Korean headers; a key number recorded as None reads 비공개, one never recorded stays empty."""
    headers = {"field_code": "분야 코드", "field_ko": "분야", "status": "상태"}
    cols = [c for c in df.columns if c != "brief"]
    out = []
    for rec, raw in zip(df.iter_rows(named=True), rows, strict=True):
        line = []
        for c in cols:
            v = rec[c]
            if c == "status":
                line.append(Cell(labels.value_set("run_status").get(v, v), "text"))
            elif v is None:
                line.append(Cell(SUPPRESSED, "suppressed") if c in raw else Cell(None, "empty"))
            elif isinstance(v, bool | str):
                line.append(Cell(v, "text"))
            elif isinstance(v, int):
                line.append(Cell(v, "int"))
            elif "share" in c or c in SHARE_KEYS:
                line.append(Cell(v, "share"))
            elif "wage" in c:
                line.append(Cell(v, "won"))
            else:
                line.append(Cell(v, "float"))
        out.append(line)
    return DisplayTable(
        "fields_summary",
        "12개 분야 핵심 수치 비교",
        [headers.get(c, key_label(c)) for c in cols],
        out,
    )


# the overview's charts: (column of fields.parquet, scale, title, axis title, number format)
OVERVIEW_CHARTS = (
    ("top10_share", 100, "인재: 세계 상위 10% 논문 중 한국 점유율", "점유율(%, 분수계수)", ".1f"),
    (
        "domestic.researchers_last_year",
        1,
        "인재: 국내 과제 참여 연구자 수(최근 연도)",
        "연구자 수",
        ",.0f",
    ),
    ("postings", 1, "수요: 채용공고 수", "공고 수", ",.0f"),
    (
        "employed_12m_share",
        100,
        "성과: 과제 종료 12개월 후 취업 비율",
        "취업 비율(%, 미관측 제외)",
        ".1f",
    ),
)


def write_summary(
    release: str | Path,
    statuses: dict[str, dict[str, Any]],
    *,
    workdirs: Mapping[str, Path] | None = None,
    run_id: str | None = None,
) -> Path:
    """release/summary/: fields.parquet (English columns), fields.xlsx (Korean headers) and
    index.html (the fields side by side, links to each field's brief in the release, failed
    fields named without their error messages, which stay in the internal logs). Key numbers are
    read from each field's working folder (``workdirs``; default: beside the brief)."""
    release = Path(release)
    out = release / "summary"
    run_name = run_id or release.parent.name
    all_numbers = field_numbers(release, statuses, workdirs or {})
    rows = _summary_rows(release, statuses, all_numbers)
    df = pl.from_dicts(rows, infer_schema_length=None) if rows else pl.DataFrame()
    rank = {k: i for i, k in enumerate(labels.key_order())}
    head = [c for c in ("field_code", "field_ko", "status", "brief") if c in df.columns]
    rest = sorted((c for c in df.columns if c not in head), key=lambda c: rank.get(c, len(rank)))
    df = df.select(*head, *rest)
    io.write_parquet_atomic(df, out / "fields.parquet")
    disp = _summary_display(df, rows)
    write_workbook(
        out / "fields.xlsx",
        [disp],
        title=f"12개 분야 핵심 수치 · 실행 {run_name}",
        findings=[
            f"{labels.value_set('run_status').get(s.get('status'), s.get('status'))}: {f}"
            for f, s in statuses.items()
        ],
        about=[
            ("실행 ID", run_name),
            ("talentlib 버전", __version__),
            (SUPPRESSED, "공개 기준 미달로 계산하지 않은 수치"),
        ],
    )
    e = html.escape
    # the national overview in words, from the same key numbers as the table below
    from talentlib import findings as fd

    said = fd.overview_findings(all_numbers, statuses) if all_numbers else []
    overview = (
        '<section class="overview"><h2>한눈에 보기</h2><ul>'
        + "".join(f'<li>{e(x.text)} <a href="#summary">표</a></li>' for x in said)
        + "</ul></section>"
        if said
        else ""
    )
    links = []
    for rec in df.iter_rows(named=True):
        st = statuses[rec["field_code"]]
        if rec["brief"]:
            links.append(
                f'<li><a href="../{e(rec["brief"])}">{e(rec["field_ko"])} ({e(rec["field_code"])})</a></li>'
            )
        else:  # why it failed stays in the internal logs: messages may quote data
            step = ", ".join(sorted({x.get("step", "?") for x in st.get("errors", [])})) or "?"
            links.append(
                f'<li class="failed">{e(rec["field_ko"])} ({e(rec["field_code"])}): 실패 '
                f"(단계: {e(step)})</li>"
            )
    # where each field stands, side by side: talent, demand, career outcomes (published numbers
    # of the table below; a hidden one is labelled 비공개, never drawn as 0)
    from talentlib import viz

    charts = []
    for i, (col, scale, title, x_title, fmt) in enumerate(OVERVIEW_CHARTS):
        if col not in df.columns or not df[col].drop_nulls().len():
            continue
        d = df.select("field_ko", (pl.col(col) * scale).round(1).alias("value"))
        try:
            svg = to_svg(
                viz.bar(
                    d,
                    "value",  # a column name with a dot would be a nested field to Vega-Lite
                    "field_ko",
                    title=title,
                    x_title=x_title,
                    y_title=None,
                    fmt=fmt,
                    sort=taxonomy.fields()["ko"].to_list(),
                )  # fmt: skip
            )
        except Exception:  # the table is the summary; a missing chart is not worth a failure
            continue
        charts.append(f'<figure><div class="chart">{scope_svg_ids(svg, f"sum{i}")}</div></figure>')
    page = template("summary.html").substitute(
        title=e(f"12개 분야 비교 · 실행 {run_name}"),
        run_id=e(run_name),
        overview=overview,
        chart="".join(charts),
        table=html_table(disp, "summary"),
        links="".join(links),
        version=e(__version__),
        suppressed=SUPPRESSED,
    )
    io.write_text_atomic(page, out / "index.html")
    return out
