"""The display model: the same cells for HTML and Excel (Korean labels, 비공개, 합계 last), and the
brief's readable shapes (ranked pairs, top per family, one line for mostly hidden tables)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from talentlib import labels, privacy, taxonomy

# ---------------------------------------------------------------------------------------------
# Labels: Korean headers, titles and sentences for people; codes stay in the data
# ---------------------------------------------------------------------------------------------

SUPPRESSED = labels.SUPPRESSED_KO
TOTAL_KO = labels.TOTAL_KO
SHARE_KEYS = {"pp_top10", "intl_rate", "intl_rate_world", "domestic.headcount_growth"}
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


def key_label(key: str) -> str:
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
    group_rows: set[int] = field(default_factory=set)  # rows that open a group (brief shapes)
    note: str = ""  # how the brief shaped the table (what it left out, where the rest is)
    omitted: str = ""  # set: the brief prints this one line instead of the table


def value_kind(col: str, dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "int"
    if (
        "share" in col
        or "prevalence" in col
        or col.endswith("_rate")
        or col.startswith("wage_growth")
    ):
        return "share"
    if col.startswith("wage"):
        return "won"
    return "float" if dtype.is_float() else "text"


def order_of(col: str, values: list[str]) -> list[str]:
    """Codes in taxonomy order (then numeric, then as they came), totals last."""
    from talentlib import viz

    known = [c for c in labels.values(col) if c not in (labels.TOTAL, labels.UNKNOWN)]
    uniq = [v for v in dict.fromkeys(values) if v != privacy.TOTAL]
    if col in ("state", "status", "destination"):  # career states in the charts' order
        ko = labels_for(col, uniq)
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


def labels_for(col: str, values: list[str]) -> dict[str, str]:

    frame = pl.DataFrame({col: values}, schema={col: pl.String})
    named = dict(zip(values, labels.korean(frame, col)[col].to_list(), strict=True))
    return {**named, privacy.TOTAL: TOTAL_KO} if privacy.TOTAL in named else named


def display_table(name: str, df: pl.DataFrame, notebook: str | None = None) -> DisplayTable:
    """A disclosed table as people read it: 2-D count tables as a cross-tab, Korean labels and
    headers, suppressed cells as 비공개, totals as 합계 and last."""
    lay = privacy.layout(df)
    flags, values, dims = lay.flags, lay.values, lay.dims
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
        kind = value_kind(v, df.schema[v])
        rows_o = order_of(r, df[r].to_list())
        cols_o = order_of(c, df[c].to_list())
        rl, cl = labels_for(r, rows_o), labels_for(c, cols_o)
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
        order = {x: i for i, x in enumerate(order_of(d0, df[d0].to_list()))}
        frame = (
            df.with_columns(
                pl.col(d0)
                .replace_strict(order, default=len(order), return_dtype=pl.Int64)
                .alias("_o")
            )
            .sort("_o", maintain_order=True)
            .drop("_o")
        )
    named = {d: labels_for(d, frame[d].to_list()) for d in sort_cols}
    headers = labels.columns([*dims, *values])
    rows, totals = [], set()
    for i, rec in enumerate(frame.iter_rows(named=True)):
        line = []
        for d in dims:
            x = rec[d]
            line.append(Cell(named[d].get(x, x) if d in named else x, "text"))
        for v in values:
            line.append(cell(rec[v], rec[f"{v}_suppressed"], value_kind(v, frame.schema[v])))
        rows.append(line)
        if any(rec[d] == privacy.TOTAL for d in sort_cols):
            totals.add(i)
    return DisplayTable(name, title, headers, rows, totals, n_sup, notebook)


# ---------------------------------------------------------------------------------------------
# The brief's shapes: what a reader can take in on a page. The published parquet, the audit and
# the workbook keep the full table; only the HTML brief shows these.
# ---------------------------------------------------------------------------------------------

# A table with at least this share of its value cells 비공개 is summarised in one line instead
# of printed: at 60 % a grid is mostly 비공개 marks and the few published cells are better read
# in the workbook, next to the cells they are complementary to. Below it, print the table.
MOSTLY_SUPPRESSED = 0.6
TOP_PAIRS = 15  # competency pairs a brief lists, strongest by Jaccard among disclosed pairs
TOP_PER_FAMILY = 5  # competencies a brief lists per job family
_LABEL_KINDS = ("text", "absent")  # cells that name a row, or mark a cell nobody is in


def value_cells(t: DisplayTable) -> tuple[int, int]:
    """(cells, 비공개 cells) among a display table's value cells (labels and – not counted)."""
    cells = [c for row in t.rows for c in row if c.kind not in _LABEL_KINDS]
    return len(cells), sum(c.kind == "suppressed" for c in cells)


def _top_pairs(name: str, df: pl.DataFrame, notebook: str | None) -> DisplayTable:
    """Co-occurrence as a ranked list: each unordered pair once, only pairs whose count and
    Jaccard were published, strongest first (ties: more postings, then codes)."""
    pub = df.filter(
        ~pl.col("n_ab_suppressed")
        & ~pl.col("jaccard_suppressed")
        & pl.col("jaccard").is_not_null()
        & (pl.col("n_ab") > 0)
    ).with_columns(
        pl.min_horizontal("code_a", "code_b").alias("_lo"),
        pl.max_horizontal("code_a", "code_b").alias("_hi"),
    )
    pairs = pub.sort(
        ["jaccard", "n_ab", "_lo", "_hi"], descending=[True, True, False, False]
    ).unique(["_lo", "_hi"], keep="first", maintain_order=True)
    top = pairs.head(TOP_PAIRS)
    ko = labels.values("code")
    rows = [
        [
            Cell(str(i), "text"),
            Cell(ko.get(a, a), "text"),
            Cell(ko.get(b, b), "text"),
            Cell(n, "int"),
            Cell(j, "float"),
        ]
        for i, (a, b, n, j) in enumerate(top.select("_lo", "_hi", "n_ab", "jaccard").iter_rows(), 1)
    ]
    headers = labels.columns(["rank", "code_a", "code_b", "n_ab", "jaccard"])
    note = (
        f"공개 기준을 넘는 {pairs.height}쌍 중 {labels.column('jaccard')} 상위 {top.height}쌍"
        " · 모든 쌍의 표는 tables.xlsx"
    )
    return DisplayTable(name, labels.table_title(name), headers, rows, notebook=notebook, note=note)


def _by_family(name: str, df: pl.DataFrame, notebook: str | None) -> DisplayTable:
    """Competencies per job family, grouped: the family named once, its competencies by number
    of postings, rows whose every cell is 비공개 left out."""
    lay = privacy.layout(df)
    flags, values = lay.flags, lay.values
    if "field_code" in df.columns and df["field_code"].n_unique() > 1:
        return display_table(name, df, notebook)  # several fields: the plain long table
    kept = df.filter(~pl.all_horizontal(flags))
    fam_order = order_of("job_family", df["job_family"].to_list())
    code_rank = {c: i for i, c in enumerate(labels.values("code"))}
    kept = kept.with_columns(
        pl.col("job_family")
        .replace_strict({f: i for i, f in enumerate(fam_order)}, default=len(fam_order))
        .alias("_f"),
        pl.col("code").replace_strict(code_rank, default=len(code_rank)).alias("_c"),
    ).sort(["_f", "n", "_c"], descending=[False, True, False], nulls_last=True)
    kept = kept.filter(pl.int_range(pl.len()).over("job_family") < TOP_PER_FAMILY)
    fam_ko = labels_for("job_family", fam_order)
    code_ko = labels.values("code")
    rows: list[list[Cell]] = []
    starts: set[int] = set()
    last = None
    for rec in kept.iter_rows(named=True):
        first = rec["job_family"] != last
        if first:
            starts.add(len(rows))
            last = rec["job_family"]
        line = [
            Cell(fam_ko.get(rec["job_family"], rec["job_family"]) if first else "", "text"),
            Cell(code_ko.get(rec["code"], rec["code"]), "text"),
        ]
        for v in values:
            if rec[f"{v}_suppressed"]:
                line.append(Cell(SUPPRESSED, "suppressed"))
            elif rec[v] is None:
                line.append(Cell(None, "empty"))
            else:
                line.append(Cell(rec[v], value_kind(v, df.schema[v])))
        rows.append(line)
    dropped = df.height - kept.height
    t = DisplayTable(
        name,
        labels.table_title(name),
        labels.columns(["job_family", "code", *values]),
        rows,
        notebook=notebook,
        group_rows=starts,
    )
    t.suppressed = value_cells(t)[1]
    if dropped:
        t.note = (
            f"모든 값이 {SUPPRESSED}인 행 {dropped}개는 싣지 않았습니다 · 전체 표는 tables.xlsx"
        )
    return t


# table name → its shape in the brief (name, disclosed frame, notebook) → DisplayTable
BRIEF_SHAPES: dict[str, Callable[[str, pl.DataFrame, str | None], DisplayTable]] = {
    "cooccurrence": _top_pairs,
    "competencies_by_job_family": _by_family,
}


def brief_table(name: str, df: pl.DataFrame, notebook: str | None = None) -> DisplayTable:
    """A disclosed table as the HTML brief prints it: in its shape from ``BRIEF_SHAPES`` if it
    has one, and as one line (``omitted``) when what would be printed is empty or at least
    ``MOSTLY_SUPPRESSED`` 비공개. The workbook keeps ``display_table`` of the full table."""
    full = display_table(name, df, notebook)
    shape = BRIEF_SHAPES.get(name)
    shown = shape(name, df, notebook) if shape else full
    n, hidden = value_cells(shown)
    if shown.rows and (n == 0 or hidden / n < MOSTLY_SUPPRESSED):
        return shown
    n_all, hidden_all = value_cells(full)
    shown.omitted = (
        f"셀 {n_all:,}개 중 {hidden_all:,}개가 공개 기준 미만이라 싣지 않았습니다. "
        "전체 표는 tables.xlsx에 있습니다."
    )
    shown.rows, shown.total_rows, shown.group_rows, shown.note = [], set(), set(), ""
    return shown


def fmt_cell(c: Cell) -> str:
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
