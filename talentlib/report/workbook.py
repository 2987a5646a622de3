"""The Excel workbook of a brief: one sheet per table, findings and provenance first."""

from __future__ import annotations

import io as _io
import re
import unicodedata
from pathlib import Path

from talentlib import io

from .display import SUPPRESSED, DisplayTable, fmt_cell

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
                widths[j - 1] = max(widths[j - 1], _width(fmt_cell(cell)))
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
