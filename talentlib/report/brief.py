"""The brief's HTML: charts drawn from the verified tables, method notes, findings, provenance."""

from __future__ import annotations

import html
import re
import string
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import polars as pl

from talentlib import __version__, labels

from .display import ABSENT_NOTE, SUPPRESSED, DisplayTable, fmt_cell

# ---------------------------------------------------------------------------------------------
# Charts, drawn from the verified tables only
# ---------------------------------------------------------------------------------------------


def chart_makers() -> dict[str, Callable[[pl.DataFrame, str], Any]]:
    from talentlib import viz

    return {
        "monthly_status": viz.career_status_over_time,
        "destination_employer_type_12m": lambda df, f: viz.career_destinations(
            df, "employer_type", "종료 12개월 후 취업 기관 유형"
        ),
        "destination_industry_12m": lambda df, f: viz.career_destinations(
            df, "ksic_division", "취업 산업(KSIC 중분류) 상위 15", 15
        ),
        "wage_12m_by_degree": viz.career_wages_by_degree,
        "flow_origin_to_destination_12m": viz.career_flow_sankey,
        "time_to_first_job_students": viz.career_first_job_curve,
        "fields_status_12m": viz.career_fields_status,
    }


def scope_svg_ids(svg: str, prefix: str) -> str:
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
# Method notes (Korean; the definitions of talentlib.careers) and provenance
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


def disclosure_notes(rules: dict[str, Any]) -> list[str]:
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


def rules_line(rules: dict[str, Any]) -> str:
    """The disclosure rules of a brief in one Korean line."""
    method = "셀 키 교란" if rules.get("method") == "cell_key" else "보완 비공개"
    return (
        f"최소 인원 {rules['min_count']}명 · 금액은 {rules['min_count_magnitude']}명 이상, 상위 "
        f"{rules['dominance_n']}명 비중 {rules['dominance_k'] * 100:.0f}% 이하 · 방식: {method}"
    )


def quarantine_line(quarantine: dict[str, Any], threshold: int) -> str:
    """Quarantined input rows per dataset in one line, small counts as "<threshold"."""
    if not quarantine:
        return "없음"
    names = labels.values("dataset")
    shown = hide_small(quarantine, threshold)
    return ", ".join(f"{names.get(k, k)} {v:,}" if isinstance(v, int) else f"{names.get(k, k)} {v}"
                     for k, v in shown.items())  # fmt: skip


def template(name: str) -> string.Template:
    """A page template with the shared print rules (A4, sections on new pages, page numbers)
    already filled in, so the brief and the summary print alike."""
    files = resources.files("talentlib").joinpath("templates")
    text = files.joinpath(name).read_text(encoding="utf-8")
    css = files.joinpath("print.css").read_text(encoding="utf-8")
    return string.Template(string.Template(text).safe_substitute(print_css=css))


def html_table(t: DisplayTable, anchor: str) -> str:
    e = html.escape
    if t.omitted:  # mostly 비공개: one line, the anchor kept for the findings that link here
        return f'<p class="omitted" id="{anchor}"><b>표 ‘{e(t.title)}’</b>: {e(t.omitted)}</p>'
    head = "".join(f"<th>{e(h)}</th>" for h in t.headers)
    body = []
    for i, row in enumerate(t.rows):
        kinds = [k for k, rows in (("total", t.total_rows), ("grp", t.group_rows)) if i in rows]
        cls = f' class="{" ".join(kinds)}"' if kinds else ""
        cells = []
        for j, c in enumerate(row):
            if c.kind == "suppressed":
                cells.append(
                    f'<td class="sup" title="공개 기준 미달 또는 보완 비공개">{SUPPRESSED}</td>'
                )
            elif j == 0 or c.kind == "text":
                cells.append(f'<td class="lab">{e(fmt_cell(c))}</td>')
            else:
                cells.append(f'<td class="num">{e(fmt_cell(c))}</td>')
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    # readers find the table in tables.xlsx by its Korean title (the sheet's name); the table's
    # code name stays in the workbook and the manifest, not in the brief's text
    notes = [f"{SUPPRESSED} 셀 {t.suppressed}개"] if t.suppressed else []
    if any(c.kind == "absent" for row in t.rows for c in row):
        notes.append(ABSENT_NOTE)
    if t.note:
        notes.append(e(t.note))
    src = f'<p class="src">{" · ".join(notes)}</p>' if notes else ""
    return (
        f'<section class="table" id="{anchor}"><h3>{e(t.title)}</h3>'
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
        f"{src}</section>"
    )


def _kv_rows(items: list[tuple[str, str]]) -> str:
    e = html.escape
    return "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in items)


def hide_small(obj: Any, threshold: int, keys: tuple[str, ...] | None = None) -> Any:
    """A copy where counts 1..threshold-1 read "<threshold" — everywhere, or (``keys``) only
    under those keys. For bookkeeping counts that are not disclosed tables (quarantined rows).
    Beside a hidden ``n_quarantined`` its ``n_valid`` reads ">n_in - threshold" (otherwise
    n_in - n_valid would give the hidden count back)."""

    def walk(x: Any, inside: bool) -> Any:
        if isinstance(x, dict):
            out = {k: walk(v, inside or keys is None or k in keys) for k, v in x.items()}
            q, n_in = x.get("n_quarantined"), x.get("n_in")
            if out.get("n_quarantined") != q and isinstance(n_in, int) and "n_valid" in x:
                out["n_valid"] = f">{n_in - threshold}"
            return out
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
    from talentlib import findings as fd

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


def render_brief(
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
                f"{scope_svg_ids(svg, f'{sid}-{name}')}</div>"
                f"<figcaption>그림: {e(caption)}</figcaption></figure>"
            )
        for t in tables:
            parts.append(html_table(t, f"t-{t.name}"))
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
    return template("brief.html").substitute(
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
