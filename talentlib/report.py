"""Publishing: disclosure-stamped tables, and per-field briefs (HTML + Excel + manifest) from them.

Notebooks write tables only through ``save_tables``, which refuses anything that did not come
through ``privacy.disclose`` and stamps each file (sha256, rules) in ``disclosure.json``. The
brief writer (``publish_field``) trusts nothing else: before it writes a byte it checks that
every file under ``tables/`` is stamped and unchanged and that the published counts respect the
thresholds (``verify_tables``); otherwise ``DisclosureGateError``. The brief then reads the
tables from the verified bytes, draws the charts from them, and writes ``brief.html`` (Korean,
self-contained, inline SVG, no script), ``tables.xlsx`` and ``manifest.json``. The batch's
cross-field summary (``write_summary``) is built from each field's ``key_numbers.json``.

The stamps guard against accidental bypass (a table written by other means, or edited after it
was written); they are not a defence against someone forging the ledger on purpose.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io as _io
import json
import os
import re
import shutil
import string
import time
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from . import __version__, io, labels, privacy, taxonomy

LEDGER = "disclosure.json"
KEY_NUMBERS = "key_numbers.json"
SUPPRESSED = labels.SUPPRESSED_KO
TOTAL_KO = labels.TOTAL_KO
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


def _load_ledger(out: Path) -> dict[str, Any]:
    path = out / LEDGER
    if not path.exists():
        return {"version": 1, "tables": {}, "charts": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def _stamp(name: str, entry: dict[str, Any]) -> str:
    """Hash binding a table's name, file hashes and rules; a hand-edited entry no longer matches."""
    body = {k: v for k, v in entry.items() if k != "stamp"}
    text = json.dumps({"name": name, **body}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"talentlib.report/{text}".encode()).hexdigest()


def _count_column(df: pl.DataFrame) -> str | None:
    """The count column of a disclosed table: disclose writes its flag first."""
    flags = [c for c in df.columns if c.endswith("_suppressed")]
    return flags[0].removesuffix("_suppressed") if flags else None


def save_tables(
    tables: dict[str, privacy.DisclosedTable], out: str | Path, notebook: str | None = None
) -> Path:
    """Write disclosed tables as tables/<name>.parquet plus the public list of suppressed cells,
    and stamp both in ``disclosure.json`` (sha256, rules with ``max_perturbation``, method,
    whether complementary cells were hidden, the population the table counts when known,
    suppressed cells, notebook; ``DisclosedTable.stamp``)."""
    check_disclosed(tables)
    out = Path(out)
    ledger = _load_ledger(out)
    notebook = notebook or os.environ.get(NOTEBOOK_ENV)
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
            "count_column": _count_column(t.table),
            **t.stamp(),
            "suppressed_cells": t.log.height,
            "public_log": {"file": f"tables/{log.name}", "sha256": io.file_sha256(log)},
            "notebook": notebook,
        }
        entry["stamp"] = _stamp(name, entry)
        ledger["tables"][name] = entry
    io.write_json_atomic(ledger, out / LEDGER)
    return out


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
    ledger = _load_ledger(out)
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
    svg = chart if isinstance(chart, str) else _to_svg(chart)
    path = io.write_text_atomic(svg, out / "charts" / f"{name}.svg")
    entry = {
        "file": f"charts/{path.name}",
        "sha256": io.file_sha256(path),
        "sources": {s: ledger["tables"][s]["sha256"] for s in sources},
        "public_data": public_data,
        "notebook": notebook or os.environ.get(NOTEBOOK_ENV),
    }
    entry["stamp"] = _stamp(name, entry)
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
        from . import cellkey

        d = stamped.get("max_perturbation", 0)
        if d < cellkey.MAX_PERTURBATION:
            out.append(f"max_perturbation {d} < {cellkey.MAX_PERTURBATION}")
        if required.method == "cell_key" and stamped.get("cell_key_salt") != required.cell_key_salt:
            # the same people must get the same noise in every table of a release
            out.append("cell keys from another salt than this run's")
    return out


_METHOD_RANK = {"suppression": 0, "cell_key": 1}


def verify_tables(
    out: str | Path, required: privacy.DisclosureRules | None = None
) -> VerifiedTables:
    """The disclosure gate. Raise DisclosureGateError unless every file in tables/ is stamped by
    save_tables, unchanged since, disclosed under rules at least as strict as ``required``, and
    its published counts are 0 or at least min_count. Returns the tables read from the checked
    bytes (so nothing can change between the check and the use)."""
    out = Path(out)
    required = required or privacy.DisclosureRules()
    ledger = _load_ledger(out)
    problems: list[str] = []
    frames: dict[str, pl.DataFrame] = {}
    entries: dict[str, dict[str, Any]] = {}
    known = set()
    for name, entry in ledger.get("tables", {}).items():
        known |= {entry["file"], entry["public_log"]["file"]}
        if entry.get("stamp") != _stamp(name, entry):
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
            and entry.get("stamp") == _stamp(name, entry)
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


# ---------------------------------------------------------------------------------------------
# Labels: Korean headers, titles and sentences for people; codes stay in the data
# ---------------------------------------------------------------------------------------------

_SHARE_KEYS = {"pp_top10", "intl_rate", "intl_rate_world", "domestic.headcount_growth"}
DEGREE_ORDER = ["PHD", "MASTER", "BACHELOR", "ASSOC", "HS"]


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _man_won(x: float) -> str:
    return f"{x / 10_000:,.0f}만원"


def flatten_key_numbers(numbers: dict[str, Any]) -> dict[str, Any]:
    """One flat row of scalar key numbers across notebooks (dicts become dotted keys; lists,
    quarantine and suppression bookkeeping are left out). A key two notebooks share gets the
    notebook's name as prefix."""
    skip = {
        "field_code",
        "field_ko",
        "country",
        "years",
        "quarantine",
        "classification",
        "disclosure_rules",
        "suppressed_cells",
        "activity_index",
    }
    flat: dict[str, tuple[str, Any]] = {}
    seen: dict[str, int] = {}

    def walk(nb: str, prefix: str, d: dict[str, Any]) -> None:
        for k, v in d.items():
            if k in skip:
                continue
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                if k == "median_wage_12m_by_degree":
                    for deg, w in v.items():
                        flat_key = f"median_wage_12m_{deg.lower()}"
                        flat[f"{nb}:{flat_key}"] = (flat_key, w)
                        seen[flat_key] = seen.get(flat_key, 0) + 1
                else:
                    walk(nb, f"{key}.", v)
            elif v is None or isinstance(v, int | float | str | bool):
                flat[f"{nb}:{key}"] = (key, v)
                seen[key] = seen.get(key, 0) + 1

    for nb, d in numbers.items():
        if isinstance(d, dict):
            walk(nb, "", d)
    return {
        (k if seen[k] == 1 else f"{full.split(':')[0]}.{k}"): v for full, (k, v) in flat.items()
    }


def _key_label(key: str) -> str:
    if key in labels.key_order():
        return labels.key_label(key)
    m = re.fullmatch(r"median_wage_12m_(\w+)", key)
    if m:
        return f"12개월 후 월 임금 중위값 {taxonomy.labels('degrees').get(m.group(1).upper(), m.group(1))}(원)"
    return key


# ---------------------------------------------------------------------------------------------
# Display model: the same cells for HTML and Excel (Korean labels, 비공개, 합계 rows last)
# ---------------------------------------------------------------------------------------------


@dataclass
class Cell:
    value: Any
    kind: str  # text, int, share, won, float, suppressed, empty


@dataclass
class DisplayTable:
    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    total_rows: set[int] = field(default_factory=set)
    suppressed: int = 0
    notebook: str | None = None


def _value_kind(col: str, dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "int"
    if "share" in col or col.endswith("_rate") or col.startswith("wage_growth"):
        return "share"
    if col.startswith("wage"):
        return "won"
    return "float" if dtype.is_float() else "text"


def _order_of(col: str, values: list[str]) -> list[str]:
    """Codes in taxonomy order (then numeric, then as they came), totals last."""
    from . import viz

    known = [c for c in labels.values(col) if c not in (labels.TOTAL, labels.UNKNOWN)]
    uniq = [v for v in dict.fromkeys(values) if v != privacy.TOTAL]
    if col in ("state", "status", "destination"):  # career states in the charts' order
        ko = _labels_for(col, uniq)
        status_rank = {lab: i for i, lab in enumerate(viz.STATUS_ORDER)}
        known = sorted(uniq, key=lambda v: status_rank.get(ko[v], len(status_rank) + 1))
        if col == "destination":
            known = [*[str(c) for c in taxonomy.table("institution_types")["code"]], *known]
    rank = {c: i for i, c in enumerate(known)}
    if all(v is not None and re.fullmatch(r"-?\d+(\.\d+)?", v) for v in uniq):
        ordered = sorted(uniq, key=float)
    else:
        ordered = sorted(uniq, key=lambda v: (rank.get(v, len(rank)), uniq.index(v)))
    return ordered + ([privacy.TOTAL] if privacy.TOTAL in values else [])


def _labels_for(col: str, values: list[str]) -> dict[str, str]:

    frame = pl.DataFrame({col: values}, schema={col: pl.String})
    named = dict(zip(values, labels.korean(frame, col)[col].to_list(), strict=True))
    return {**named, privacy.TOTAL: TOTAL_KO} if privacy.TOTAL in named else named


def display_table(name: str, df: pl.DataFrame, notebook: str | None = None) -> DisplayTable:
    """A disclosed table as people read it: 2-D count tables as a cross-tab, Korean labels and
    headers, suppressed cells as 비공개, totals as 합계 and last."""
    flags = [c for c in df.columns if c.endswith("_suppressed")]
    values = [f.removesuffix("_suppressed") for f in flags]
    dims = [c for c in df.columns if c not in flags and c not in values]
    title = labels.table_title(name)
    n_sup = int(sum(df[f].sum() for f in flags))

    def cell(v: Any, sup: bool, kind: str) -> Cell:
        if sup:
            return Cell(SUPPRESSED, "suppressed")
        return Cell(None, "empty") if v is None else Cell(v, kind)

    str_dims = [d for d in dims if df.schema[d] == pl.String]
    if len(dims) == 2 and len(str_dims) == 2 and len(values) == 1:
        r, c = dims
        v = values[0]
        kind = _value_kind(v, df.schema[v])
        rows_o = _order_of(r, df[r].to_list())
        cols_o = _order_of(c, df[c].to_list())
        rl, cl = _labels_for(r, rows_o), _labels_for(c, cols_o)
        lookup = {
            (a, b): (x, s) for a, b, x, s in df.select(r, c, v, f"{v}_suppressed").iter_rows()
        }
        headers = [labels.column(r), *[cl[x] for x in cols_o]]
        rows, totals = [], set()
        for i, a in enumerate(rows_o):
            line = [Cell(rl[a], "text")]
            for b in cols_o:
                if (a, b) in lookup:
                    x, s = lookup[(a, b)]
                    line.append(cell(x, s, kind))
                else:  # no such row in the aggregate: nobody in that cell
                    line.append(Cell("–", "absent"))
            rows.append(line)
            if a == privacy.TOTAL:
                totals.add(i)
        return DisplayTable(name, title, headers, rows, totals, n_sup, notebook)

    sort_cols = [d for d in dims if df.schema[d] == pl.String]
    frame = df
    if sort_cols:
        d0 = sort_cols[0]
        order = {x: i for i, x in enumerate(_order_of(d0, df[d0].to_list()))}
        frame = (
            df.with_columns(
                pl.col(d0)
                .replace_strict(order, default=len(order), return_dtype=pl.Int64)
                .alias("_o")
            )
            .sort("_o", maintain_order=True)
            .drop("_o")
        )
    named = {d: _labels_for(d, frame[d].to_list()) for d in sort_cols}
    headers = labels.columns([*dims, *values])
    rows, totals = [], set()
    for i, rec in enumerate(frame.iter_rows(named=True)):
        line = []
        for d in dims:
            x = rec[d]
            line.append(Cell(named[d].get(x, x) if d in named else x, "text"))
        for v in values:
            line.append(cell(rec[v], rec[f"{v}_suppressed"], _value_kind(v, frame.schema[v])))
        rows.append(line)
        if any(rec[d] == privacy.TOTAL for d in sort_cols):
            totals.add(i)
    return DisplayTable(name, title, headers, rows, totals, n_sup, notebook)


def _fmt(c: Cell) -> str:
    if c.kind == "int":
        return f"{c.value:,}"
    if c.kind == "share":
        return _pct(c.value)
    if c.kind == "won":
        return f"{c.value:,.0f}"
    if c.kind == "float":
        return f"{c.value:,.2f}"
    if c.kind == "empty":
        return ""
    return str(c.value)


ABSENT_NOTE = "–: 해당 인원 없음"


# ---------------------------------------------------------------------------------------------
# Charts, drawn from the verified tables only
# ---------------------------------------------------------------------------------------------


def _to_svg(chart: Any) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json())


def _charts() -> dict[str, Callable[[pl.DataFrame, str], Any]]:
    from . import viz

    return {
        "monthly_status": viz.career_status_over_time,
        "destination_employer_type_12m": lambda df, f: viz.career_destinations(
            df, "employer_type", "종료 12개월 후 취업 기관 유형"),
        "destination_industry_12m": lambda df, f: viz.career_destinations(
            df, "ksic_division", "취업 산업(KSIC 중분류) 상위 15", 15),
        "wage_12m_by_degree": viz.career_wages_by_degree,
        "flow_origin_to_destination_12m": viz.career_flow_sankey,
        "time_to_first_job_students": viz.career_first_job_curve,
        "fields_status_12m": viz.career_fields_status,
    }


def _scope_svg_ids(svg: str, prefix: str) -> str:
    """Prefix ids inside one SVG so that several inline SVGs on a page cannot clash."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    for i in sorted(ids, key=len, reverse=True):
        svg = (
            svg.replace(f'id="{i}"', f'id="{prefix}-{i}"')
            .replace(f"url(#{i})", f"url(#{prefix}-{i})")
            .replace(f'href="#{i}"', f'href="#{prefix}-{i}"')
        )
    return re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)


# ---------------------------------------------------------------------------------------------
# Method notes (Korean; the definitions of careers.py) and provenance
# ---------------------------------------------------------------------------------------------

METHOD_NOTES = {
    "03_career_flow": [
        "종료 시점: 해당 분야(선택 시 세부 기술) 과제의 마지막 참여 종료일.",
        "관측: 고용보험 이력이 한 건이라도 연계된 사람. 고용보험 이력이 전혀 없는 사람(교수·공무원 등 "
        "별도 연금 가입자, 해외 체류자 등)은 ‘미관측’이며, <b>미관측은 미취업이 아닙니다</b>. "
        "취업 비율은 미관측을 분모에서 뺀 값입니다.",
        "취업: 종료 후 h개월 시점을 덮는 고용보험 피보험 기간이 있는 경우. 시점이 자료 끝을 넘는 "
        "코호트는 그 시점 계산에서 제외합니다.",
        "주된 일자리: 같은 시점에 여러 일자리가 있으면 월 보수가 가장 높은 일자리.",
        "첫 일자리: 종료 60일 전 이후 시작한, 시작 연도 법정 최저임금 이상의 첫 피보험 일자리(학생 "
        "아르바이트 제외).",
        "첫 일자리까지 걸린 기간: 관측된 학생연구원에 대한 Kaplan–Meier 추정. 자료 끝까지 첫 일자리가 "
        "없는 사람은 <b>중도절단</b>으로 처리하며 미취업으로 세지 않습니다.",
        "임금: 고용보험 보수월액(원). 12→36개월 임금 증가율은 두 시점 모두 임금이 있는 사람의 중위값.",
    ],
    "01_workforce_map": [
        "분류: 택소노미의 국·영문 키워드 규칙과 OpenAlex 주제 대응표로 논문과 과제를 12대 분야·50개 "
        "기술로 분류합니다.",
        "상위 10% 논문: 분야 × 출판연도 안에서 피인용 90백분위 이상(동점 포함). 국가 기여는 저자 "
        "분수계수입니다.",
        "국가별 논문 수는 공개 서지 통계이며, 사람을 세는 국내 연구자 표만 공개 통제를 거칩니다.",
    ],
}


def _disclosure_notes(rules: dict[str, Any]) -> list[str]:
    return [
        f"최소 인원 규칙: 0명 초과 {rules['min_count']}명 미만인 셀은 {SUPPRESSED} 처리합니다.",
        (
            "셀 키 교란(cell-key perturbation): 모든 인원 수에 사람마다 고정된 난수 키로 정해지는 "
            f"±{2}명 이내의 잡음을 더해, 같은 사람들의 셀은 어느 표에서나 같은 값으로 공개됩니다"
            "(표끼리 빼서 비공개 셀을 되살릴 수 없음). 합계도 따로 교란되어 셀의 합과 다를 수 "
            "있습니다."
            if rules.get("method") == "cell_key"
            else "보완 비공개: 합계에서 빼서 비공개 셀을 되살릴 수 없도록, 같은 행·열에서 추가 셀을 "
            f"{SUPPRESSED} 처리합니다."
        ),
        f"임금 등 금액: {rules['min_count_magnitude']}명 이상인 집단만 공개하고, 상위 "
        f"{rules['dominance_n']}명이 합계의 {rules['dominance_k'] * 100:.0f}%를 넘으면 비공개(지배성 규칙).",
        "0은 0으로 공개하며, 비공개 셀은 0으로 그리지 않습니다. 비율과 핵심 수치는 공개된 셀로만 "
        "계산합니다.",
    ]


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


def _rules_line(rules: dict[str, Any]) -> str:
    """The disclosure rules of a brief in one Korean line."""
    method = "셀 키 교란" if rules.get("method") == "cell_key" else "보완 비공개"
    return (
        f"최소 인원 {rules['min_count']}명 · 금액은 {rules['min_count_magnitude']}명 이상, 상위 "
        f"{rules['dominance_n']}명 비중 {rules['dominance_k'] * 100:.0f}% 이하 · 방식: {method}"
    )


def _quarantine_line(quarantine: dict[str, Any], threshold: int) -> str:
    """Quarantined input rows per dataset in one line, small counts as "<threshold"."""
    if not quarantine:
        return "없음"
    names = labels.values("dataset")
    shown = _hide_small(quarantine, threshold)
    return ", ".join(f"{names.get(k, k)} {v:,}" if isinstance(v, int) else f"{names.get(k, k)} {v}"
                     for k, v in shown.items())  # fmt: skip


def _template(name: str) -> string.Template:
    """A page template with the shared print rules (A4, sections on new pages, page numbers)
    already filled in, so the brief and the summary print alike."""
    files = resources.files("talentlib").joinpath("templates")
    text = files.joinpath(name).read_text(encoding="utf-8")
    css = files.joinpath("print.css").read_text(encoding="utf-8")
    return string.Template(string.Template(text).safe_substitute(print_css=css))


def _html_table(t: DisplayTable, anchor: str) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in t.headers)
    body = []
    for i, row in enumerate(t.rows):
        cls = ' class="total"' if i in t.total_rows else ""
        cells = []
        for j, c in enumerate(row):
            if c.kind == "suppressed":
                cells.append(
                    f'<td class="sup" title="공개 기준 미달 또는 보완 비공개">{SUPPRESSED}</td>'
                )
            elif j == 0 or c.kind == "text":
                cells.append(f'<td class="lab">{e(_fmt(c))}</td>')
            else:
                cells.append(f'<td class="num">{e(_fmt(c))}</td>')
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    note = f" · {SUPPRESSED} 셀 {t.suppressed}개" if t.suppressed else ""
    if any(c.kind == "absent" for row in t.rows for c in row):
        note += f" · {ABSENT_NOTE}"
    return (
        f'<section class="table" id="{anchor}"><h3>{e(t.title)}</h3>'
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
        f'<p class="src">표 이름 <code>{e(t.name)}</code>{note}</p></section>'
    )


def _kv_rows(items: list[tuple[str, str]]) -> str:
    e = html.escape
    return "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in items)


def _hide_small(obj: Any, threshold: int, keys: tuple[str, ...] | None = None) -> Any:
    """A copy where counts 1..threshold-1 read "<threshold" — everywhere, or (``keys``) only
    under those keys. For bookkeeping counts that are not disclosed tables (quarantined rows)."""
    def walk(x: Any, inside: bool) -> Any:
        if isinstance(x, dict):
            return {k: walk(v, inside or keys is None or k in keys) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v, inside) for v in x]
        if inside and isinstance(x, int) and not isinstance(x, bool) and 0 < x < threshold:
            return f"<{threshold}"
        return x

    return walk(obj, keys is None)


def _findings_html(
    findings: list[Any], sections: list[tuple[str, list[tuple[str, str, str]], list[DisplayTable]]]
) -> str:
    """Key findings grouped by section, each sentence linked to the table or chart it reads."""
    from . import findings as fd

    e = html.escape
    if not findings:
        return "<p>기록된 핵심 수치가 없습니다.</p>"
    if all(isinstance(f, str) for f in findings):
        return '<ul class="findings">' + "".join(f"<li>{e(x)}</li>" for x in findings) + "</ul>"
    tables = {t.name for _, _, ts in sections for t in ts}
    charts = {name for _, cs, _ in sections for name, _, _ in cs}
    out = []
    for section in fd.SECTIONS:
        items = [f for f in findings if f.section == section]
        if not items:
            continue
        lis = []
        for f in items:
            if f.table in tables:
                link = f' <a class="src" href="#t-{e(f.table)}">표: {e(labels.table_title(f.table))}</a>'
            elif f.table in charts:
                link = f' <a class="src" href="#c-{e(f.table)}">그림: {e(labels.table_title(f.table))}</a>'
            else:
                link = ""
            lis.append(f"<li>{e(f.text)}{link}</li>")
        title = labels.notebook_title(fd.NOTEBOOK[section])
        out.append(f'<h3>{e(title)}</h3><ul class="findings">{"".join(lis)}</ul>')
    return "".join(out)


def _render_brief(
    *,
    field_code: str,
    field_ko: str,
    run_id: str,
    findings: list[Any],
    sections: list[tuple[str, list[tuple[str, str, str]], list[DisplayTable]]],
    notes: list[tuple[str, list[str]]],
    provenance: list[tuple[str, str]],
    inputs: dict[str, str],
    warnings_: list[str],
) -> str:
    e = html.escape
    find_html = _findings_html(findings, sections)
    toc, body = [], []
    for si, (title, charts, tables) in enumerate(sections):
        sid = f"s{si + 1}"
        toc.append(f'<li><a href="#{sid}">{e(title)}</a></li>')
        parts = [f'<section class="nb" id="{sid}"><h2>{si + 1}. {e(title)}</h2>']
        for name, caption, svg in charts:
            parts.append(
                f'<figure id="c-{e(name)}"><div class="chart">'
                f"{_scope_svg_ids(svg, f'{sid}-{name}')}</div>"
                f"<figcaption>그림: {e(caption)}</figcaption></figure>"
            )
        for t in tables:
            parts.append(_html_table(t, f"t-{t.name}"))
        parts.append("</section>")
        body.append("".join(parts))
    notes_html = "".join(
        f"<h3>{e(h)}</h3><ul>" + "".join(f"<li>{x}</li>" for x in items) + "</ul>"
        for h, items in notes
    )
    inputs_html = ""  # file by file with hashes in manifest.json; one line in the provenance
    warn_html = (
        '<div class="warn">' + "<br>".join(e(w) for w in warnings_) + "</div>" if warnings_ else ""
    )
    return _template("brief.html").substitute(
        title=e(f"{field_ko} ({field_code}) 인재 분석 브리프"),
        field_ko=e(field_ko),
        field_code=e(field_code),
        run_id=e(run_id),
        created=e(datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M")),
        findings=find_html,
        toc="".join(toc),
        sections="".join(body),
        notes=notes_html,
        provenance=_kv_rows(provenance),
        inputs=inputs_html,
        warnings=warn_html,
        suppressed=SUPPRESSED,
        version=e(__version__),
    )


# ---------------------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------------------

_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(title: str, taken: set[str]) -> str:
    base = re.sub(r"\s+", " ", _BAD_SHEET.sub(" ", title)).strip()[:31] or "표"
    name, i = base, 2
    while name.lower() in taken:
        suffix = f"~{i}"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(name.lower())
    return name


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NUMBER_FORMATS = {"int": "#,##0", "share": "0.0%", "won": "#,##0", "float": "#,##0.00"}


def write_workbook(
    path: str | Path,
    tables: list[DisplayTable],
    *,
    title: str,
    findings: list[str],
    about: list[tuple[str, str]],
) -> Path:
    """tables.xlsx: a 요약 sheet, one formatted sheet per table (Korean headers, 비공개 cells),
    and a 방법·출처 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    head_font = Font(bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E79")
    sup_font = Font(italic=True, color="808080")
    sup_fill = PatternFill("solid", fgColor="F2F2F2")
    top = Border(top=Side(style="thin", color="1F4E79"))
    wb = Workbook()
    ws = wb.active
    ws.title = "요약"
    taken = {"요약", "방법·출처"}
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A3"] = "핵심 결과"
    ws["A3"].font = Font(bold=True)
    for i, s in enumerate(findings or ["기록된 핵심 수치가 없습니다."]):
        ws.cell(row=4 + i, column=1, value=f"• {s}")
    r = 5 + len(findings)
    ws.cell(
        row=r, column=1, value=f"{SUPPRESSED}: 공개 기준 미달 또는 보완 비공개 셀"
    ).font = sup_font
    ws.column_dimensions["A"].width = 100
    for t in tables:
        sh = wb.create_sheet(_sheet_name(t.title, taken))
        sh["A1"] = t.title
        sh["A1"].font = Font(bold=True, size=12)
        sh["A2"] = f"표 이름 {t.name} · {SUPPRESSED} 셀 {t.suppressed}개"
        sh["A2"].font = Font(color="808080", size=9)
        widths = [_width(h) for h in t.headers]
        for j, h in enumerate(t.headers, start=1):
            c = sh.cell(row=3, column=j, value=h)
            c.font, c.fill = head_font, head_fill
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i, row in enumerate(t.rows):
            for j, cell in enumerate(row, start=1):
                c = sh.cell(row=4 + i, column=j)
                if cell.kind == "suppressed":
                    c.value, c.font, c.fill = SUPPRESSED, sup_font, sup_fill
                    c.alignment = Alignment(horizontal="right")
                elif cell.kind in _NUMBER_FORMATS:
                    c.value = cell.value
                    c.number_format = _NUMBER_FORMATS[cell.kind]
                elif cell.kind == "text" and re.fullmatch(r"\d{1,9}", str(cell.value)):
                    c.value = int(cell.value)  # months and counts as labels: numbers, not text
                    c.alignment = Alignment(horizontal="left")
                elif cell.kind != "empty":
                    c.value = str(cell.value)
                if i in t.total_rows:
                    c.font = Font(bold=True, italic=cell.kind == "suppressed")
                    c.border = top
                widths[j - 1] = max(widths[j - 1], _width(_fmt(cell)))
        for j, w in enumerate(widths, start=1):
            sh.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), 60)
        sh.row_dimensions[3].height = 30
        sh.freeze_panes = "B4"
        if t.rows:
            sh.auto_filter.ref = f"A3:{get_column_letter(len(t.headers))}{3 + len(t.rows)}"
    meta = wb.create_sheet("방법·출처")
    meta.column_dimensions["A"].width = 28
    meta.column_dimensions["B"].width = 90
    for i, (k, v) in enumerate(about, start=1):
        meta.cell(row=i, column=1, value=k).font = Font(bold=True)
        meta.cell(row=i, column=2, value=re.sub(r"<[^>]+>", "", v))
    buf = _io.BytesIO()
    wb.save(buf)
    return io.write_bytes_atomic(buf.getvalue(), path)


# ---------------------------------------------------------------------------------------------
# One field: gate, charts, brief, workbook, manifest
# ---------------------------------------------------------------------------------------------


def _notebook_of(entry: dict[str, Any]) -> str:
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
    ledger_charts = _load_ledger(out)["charts"]
    for name, make in _charts().items():
        if name not in verified.frames:
            continue
        if name in verified.charts:  # drawn before from this very table (its stamp says so)
            nb = _notebook_of(ledger_charts[name])
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
        nb = _notebook_of(verified.entries[name])
        svg = save_chart(obj, out, name, sources=[name], notebook=nb).read_text(encoding="utf-8")
        charts.setdefault(nb, []).append((name, labels.table_title(name), svg))
    for name, svg in verified.charts.items():
        if name in _charts():
            continue
        entry = ledger_charts[name]
        charts.setdefault(_notebook_of(entry), []).append((name, labels.table_title(name), svg))
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
        nb = _notebook_of(verified.entries[name])
        by_nb.setdefault(nb, []).append(display_table(name, verified.frames[name], nb))
    nbs = [n for n in order if n in by_nb or n in charts]
    nbs += sorted((set(by_nb) | set(charts)) - set(nbs))
    sections = [(labels.notebook_title(nb), charts.get(nb, []), by_nb.get(nb, [])) for nb in nbs]
    all_tables = [t for _, _, ts in sections for t in ts]
    # findings in words, each read from a table or chart this brief publishes
    from . import findings as fd

    shown = {t.name for t in all_tables} | {n for _, cs, _ in sections for n, _, _ in cs}
    findings = [
        f for f in fd.field_findings(numbers, field_code, overview) if f.table in shown
    ]

    rules_used = dataclasses.asdict(rules)
    notes = [("정의", METHOD_NOTES[nb]) for nb in nbs if nb in METHOD_NOTES]
    notes.append(("공개 통제 (이번 실행의 기준)", _disclosure_notes(rules_used)))
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
            html.escape(", ".join(labels.notebook_title(n) for n in prov.get("notebooks", {})) or "-"),
        ),
        ("공개 통제 기준", html.escape(_rules_line(rules_used))),
        ("격리된 입력 행", html.escape(_quarantine_line(prov.get("quarantine", {}), rules.min_count))),
        (
            "입력 파일",
            html.escape(
                f"{len(prov.get('inputs', {}))}개 — 파일별 해시, 자료 폴더, 매개변수는 "
                "manifest.json에 있습니다"
            ),
        ),
    ]
    page = _render_brief(
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
    write_workbook(
        out / "tables.xlsx",
        all_tables,
        title=f"{field_ko} ({field_code}) 인재 분석 표 · 실행 {run_id}",
        findings=[f.text for f in findings],
        about=[*about, *[(h, " ".join(items)) for h, items in notes]],
    )
    io.write_text_atomic(page, out / "brief.html")
    ledger = _load_ledger(out)
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
        "tables": {
            n: {k: e[k] for k in ("file", "sha256", "rows", "suppressed_cells", "notebook")}
            for n, e in verified.entries.items()
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
        "quarantine": _hide_small(prov.get("quarantine", {}), rules.min_count),
        "key_numbers": _hide_small(numbers, rules.min_count, keys=("quarantine",)),
        "findings": [f.to_dict() for f in findings],
        "outputs": {
            p: io.file_sha256(out / p) for p in ("brief.html", "tables.xlsx") if (out / p).exists()
        },
        "timings": {**prov.get("timings", {}), "brief_seconds": round(time.perf_counter() - t0, 2)},
        "warnings": warn,
    }
    io.write_json_atomic(manifest, out / "manifest.json")
    for w in warn:
        warnings.warn(w, UserWarning, stacklevel=2)
    return out / "brief.html"


# ---------------------------------------------------------------------------------------------
# The cross-field summary of a batch run
# ---------------------------------------------------------------------------------------------




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
                "brief": f"{f}/brief.html" if ok and (release / f / "brief.html").exists() else None,
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
            elif "share" in c or c in _SHARE_KEYS:
                line.append(Cell(v, "share"))
            elif "wage" in c:
                line.append(Cell(v, "won"))
            else:
                line.append(Cell(v, "float"))
        out.append(line)
    return DisplayTable(
        "fields_summary",
        "12개 분야 핵심 수치 비교",
        [headers.get(c, _key_label(c)) for c in cols],
        out,
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
            f"{labels.value_set('run_status').get(s.get('status'), s.get('status'))}: {f}" for f, s in statuses.items()
        ],
        about=[
            ("실행 ID", run_name),
            ("talentlib 버전", __version__),
            (SUPPRESSED, "공개 기준 미달로 계산하지 않은 수치"),
        ],
    )
    e = html.escape
    # the national overview in words, from the same key numbers as the table below
    from . import findings as fd

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
    chart = ""
    if "employed_12m_share" in df.columns and df["employed_12m_share"].drop_nulls().len():
        from . import viz

        d = df.select("field_ko", (pl.col("employed_12m_share") * 100).round(1))
        try:
            chart = _scope_svg_ids(
                _to_svg(
                    viz.bar(
                        d,
                        "employed_12m_share",
                        "field_ko",
                        title="분야별 종료 12개월 후 취업 비율",
                        x_title="취업 비율(%, 미관측 제외)",
                        y_title=None,
                        fmt=".1f",
                        sort=taxonomy.fields()["ko"].to_list(),
                    )
                ),
                "sum",
            )
        except Exception:  # the table is the summary; a missing chart is not worth a failure
            chart = ""
    page = _template("summary.html").substitute(
        title=e(f"12개 분야 비교 · 실행 {run_name}"),
        run_id=e(run_name),
        overview=overview,
        chart=f'<figure><div class="chart">{chart}</div></figure>' if chart else "",
        table=_html_table(disp, "summary"),
        links="".join(links),
        version=e(__version__),
        suppressed=SUPPRESSED,
    )
    io.write_text_atomic(page, out / "index.html")
    return out
