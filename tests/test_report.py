"""talentlib.report: stamped tables, the disclosure gate, briefs, workbooks and the summary."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import polars as pl
import pytest

from talentlib import labels, privacy, report

RULES = privacy.DisclosureRules()


def _tables(rules: privacy.DisclosureRules = RULES) -> dict[str, privacy.DisclosedTable]:
    """Two small disclosed tables whose names the brief draws charts for."""
    fields = ["SEMI", "BATT", "AI", "BIO"]
    states = ["employed", "no_insured_job", "not_observed"]
    counts = [[60, 12, 8], [40, 3, 9], [55, 14, 2], [30, 7, 6]]  # 3 and 2 must be hidden
    st = pl.DataFrame(
        [
            {"field_code": f, "state": s, "people": n}
            for f, row in zip(fields, counts, strict=True)
            for s, n in zip(states, row, strict=True)
        ]
    )
    emp = pl.DataFrame({"employer_type": ["LARGE", "SME", "UNIV", "GRI"], "people": [20, 3, 12, 7]})
    return {
        "fields_status_12m": privacy.disclose(
            st, count="people", rows="field_code", cols="state", rules=rules
        ),
        "destination_employer_type_12m": privacy.disclose(
            emp, count="people", rows="employer_type", rules=rules
        ),
    }


KEY = {
    "03_career_flow": {
        "field_code": "BATT",
        "employed_12m_share": 0.877,
        "employed_36m_share": None,
        "large_firm_share_12m": 0.412,
        "median_wage_12m_by_degree": {"PHD": 6_120_000.0, "MASTER": 4_310_000.0},
    }
}


@pytest.fixture
def field_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run" / "BATT"
    report.save_tables(_tables(), out, notebook="03_career_flow")
    report.record_key_numbers(out, KEY["03_career_flow"], notebook="03_career_flow")
    return out


def test_save_tables_stamps_every_file(field_dir: Path) -> None:
    ledger = json.loads((field_dir / report.LEDGER).read_text(encoding="utf-8"))
    assert set(ledger["tables"]) == {"fields_status_12m", "destination_employer_type_12m"}
    e = ledger["tables"]["fields_status_12m"]
    assert e["count_column"] == "people" and e["notebook"] == "03_career_flow"
    assert e["rules"]["min_count"] == 5 and e["suppressed_cells"] > 0
    v = report.verify_tables(field_dir, RULES)
    assert v.frames["fields_status_12m"].equals(_tables()["fields_status_12m"].table)


def test_save_tables_refuses_a_table_edited_after_disclose(tmp_path: Path) -> None:
    t = _tables()["destination_employer_type_12m"]
    edited = t.table.with_columns(
        pl.when(pl.col("employer_type") == "SME")
        .then(3)
        .otherwise(pl.col("people"))
        .alias("people")
    )
    object.__setattr__(t, "table", edited)  # what a careless notebook cell could do
    with pytest.raises(report.DisclosureGateError, match="destination_employer_type_12m"):
        report.save_tables({"destination_employer_type_12m": t}, tmp_path)
    with pytest.raises(report.DisclosureGateError):
        report.save_tables({"raw": pl.DataFrame({"x": [1]})}, tmp_path)  # type: ignore[dict-item]
    assert not (tmp_path / "tables").exists()


def test_gate_refuses_a_tampered_parquet(field_dir: Path) -> None:
    path = field_dir / "tables" / "destination_employer_type_12m.parquet"
    df = pl.read_parquet(path)
    assert df.filter(pl.col("employer_type") == "SME")["people_suppressed"][0]
    df.with_columns(  # "un-suppress" the small cell
        pl.when(pl.col("employer_type") == "SME").then(3).otherwise("people").alias("people"),
        pl.lit(False).alias("people_suppressed"),
    ).write_parquet(path)
    with pytest.raises(report.DisclosureGateError, match="changed after disclosure control"):
        report.publish_field(field_dir, "BATT", rules=RULES)
    assert not (field_dir / "brief.html").exists() and not (field_dir / "tables.xlsx").exists()


def test_gate_refuses_an_unstamped_table(field_dir: Path) -> None:
    pl.DataFrame({"field_code": ["BATT"], "people": [2]}).write_parquet(
        field_dir / "tables" / "handmade.parquet"
    )
    (field_dir / "tables" / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(report.DisclosureGateError) as e:
        report.publish_field(field_dir, "BATT", rules=RULES)
    assert "handmade.parquet: not written by report.save_tables" in str(e.value)
    assert "extra.csv" in str(e.value)
    assert not (field_dir / "brief.html").exists()


def test_gate_refuses_weaker_rules_and_small_counts(tmp_path: Path) -> None:
    weak = privacy.DisclosureRules(min_count=3)
    out = tmp_path / "weak"
    report.save_tables(_tables(weak), out)
    with pytest.raises(report.DisclosureGateError, match="weaker rules"):
        report.verify_tables(out, RULES)
    report.verify_tables(out, weak)  # the rules it was made under are fine
    # defence in depth: a ledger forged to claim strict rules still fails on the counts
    ledger = json.loads((out / report.LEDGER).read_text(encoding="utf-8"))
    for name, e in ledger["tables"].items():
        e["rules"] = dataclasses.asdict(RULES)
        e["stamp"] = report.ledger.stamp(name, e)
    (out / report.LEDGER).write_text(json.dumps(ledger), encoding="utf-8")
    with pytest.raises(report.DisclosureGateError, match="below min_count"):
        report.verify_tables(out, RULES)


def _cell_key_table(rules: privacy.DisclosureRules) -> dict[str, privacy.DisclosedTable]:
    from talentlib import cellkey

    people = pl.DataFrame(
        {
            "researcher_id": [f"R{i}" for i in range(60)],
            "employer_type": ["LARGE"] * 25 + ["SME"] * 30 + ["GRI"] * 5,
        }
    )
    counts = cellkey.count_people(people, ["employer_type"], ids="researcher_id", salt="s")
    pop = {"universe": ["career", privacy.DATA_TOKEN], "dims": {"employer_type": "destination"}}
    return {
        "destination_employer_type_12m": privacy.disclose(
            counts,
            count="people",
            rows="employer_type",
            rules=rules,
            cell_key="cell_key",
            population=pop,
        )
    }


def test_stamps_say_how_counts_were_protected_and_the_gate_accepts_cell_keys(
    tmp_path: Path,
) -> None:
    ck = privacy.DisclosureRules(method="cell_key", cell_key_salt="release-1")
    report.save_tables(_cell_key_table(ck), tmp_path, notebook="03_career_flow")
    e = json.loads((tmp_path / report.LEDGER).read_text(encoding="utf-8"))["tables"][
        "destination_employer_type_12m"
    ]
    assert e["method"] == "cell_key" and e["rules"]["max_perturbation"] == 2
    assert e["complementary_suppression"] is True
    assert e["population"]["universe"] == ["career", privacy.DATA_TOKEN]
    assert report.verify_tables(tmp_path, ck).frames  # a cell-key run accepts it
    assert report.verify_tables(tmp_path, RULES).frames  # and so does a suppression run
    # another salt gives the same people other noise: not in this release
    other = dataclasses.replace(ck, cell_key_salt="release-2")
    with pytest.raises(report.DisclosureGateError, match="salt"):
        report.verify_tables(tmp_path, other)
    # suppression alone is weaker than a cell-key run asks for
    plain = tmp_path / "plain"
    report.save_tables(_tables(), plain)
    e = json.loads((plain / report.LEDGER).read_text(encoding="utf-8"))["tables"]
    assert e["fields_status_12m"]["rules"]["max_perturbation"] == 0
    with pytest.raises(report.DisclosureGateError, match="method suppression is weaker"):
        report.verify_tables(plain, ck)


def test_gate_refuses_an_edited_ledger_entry(field_dir: Path) -> None:
    ledger = json.loads((field_dir / report.LEDGER).read_text(encoding="utf-8"))
    ledger["tables"]["fields_status_12m"]["rules"]["min_count"] = 50
    (field_dir / report.LEDGER).write_text(json.dumps(ledger), encoding="utf-8")
    with pytest.raises(report.DisclosureGateError, match="stamp"):
        report.verify_tables(field_dir, RULES)


def test_publish_field_writes_an_offline_korean_brief(field_dir: Path) -> None:
    (field_dir / "charts").mkdir()
    (field_dir / "charts" / "handmade.svg").write_text("<svg></svg>", encoding="utf-8")
    with pytest.warns(UserWarning, match="handmade"):
        brief = report.publish_field(
            field_dir,
            "BATT",
            rules=RULES,
            run_id="20240101T000000-abcdef12",
            provenance={
                "inputs": {"researchers.parquet": "ab" * 32},
                "quarantine": {"employment_spells": 7},
            },
        )
    page = brief.read_text(encoding="utf-8")
    assert page.count("<svg") >= 2  # both charts inline
    assert "이차전지" in page and "비공개" in page and "합계" in page
    # findings in words, each linked to the table it reads; a sentence whose table this brief
    # does not publish (status by exit role, wages) is left out
    assert "대기업에 간 비율은 41.2%" in page
    assert 'href="#t-destination_employer_type_12m"' in page
    assert 'id="t-destination_employer_type_12m"' in page
    assert "87.7%" not in page and "612만원" not in page
    assert "미관측은 미취업이 아닙니다" in page and "중도절단" in page
    assert "최소 인원 규칙: 0명 초과 5명 미만" in page
    assert "입력 파일" in page and "1개" in page and "researchers.parquet" not in page
    assert "고용보험 이력 7" in page  # quarantined rows in words, small counts hidden
    # what a reader sees has no raw codes: no ABC-DEF codes, no snake_case names
    visible = _visible_text(page)
    raw = re.findall(r"\b[A-Z]{2,}-[A-Z0-9]{2,}\b|\b[a-z]+_[a-z0-9_]+\b", visible)
    assert not raw, raw[:10]
    # self-contained: no script, no external stylesheet, image or font
    for bad in ("<script", "<link", "@import", "src=", "https://"):
        assert bad not in page, bad
    assert "handmade" not in page  # an unstamped chart is not published
    manifest = json.loads((field_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unverified_charts"] == ["handmade"]
    assert set(manifest["tables"]) == {"fields_status_12m", "destination_employer_type_12m"}
    assert manifest["suppressed_cells"]["total"] > 0
    assert manifest["quarantine"] == {"employment_spells": 7}
    assert manifest["findings"] and manifest["findings"][0]["table"]
    assert manifest["taxonomy_versions"]["strategic_tech"]
    assert manifest["disclosure_rules"]["min_count"] == 5
    assert (field_dir / "charts" / "fields_status_12m.svg").exists()
    # a chart is stamped against the table it draws
    ledger = json.loads((field_dir / report.LEDGER).read_text(encoding="utf-8"))
    assert ledger["charts"]["fields_status_12m"]["sources"] == {
        "fields_status_12m": ledger["tables"]["fields_status_12m"]["sha256"]
    }


def test_workbook_has_korean_headers_and_suppressed_cells(field_dir: Path) -> None:
    from openpyxl import load_workbook

    report.publish_field(field_dir, "BATT", rules=RULES)
    wb = load_workbook(field_dir / "tables.xlsx")
    assert wb.sheetnames[0] == "요약" and wb.sheetnames[-1] == "방법·출처"
    assert len(wb.sheetnames) == 2 + 2
    assert all(len(n) <= 31 for n in wb.sheetnames)
    st = wb["12개 분야 비교 종료 12개월 후 상태"]
    headers = [c.value for c in st[3]]
    assert headers[0] == "분야" and "취업(고용보험 가입)" in headers and headers[-1] == "합계"
    values = [c.value for row in st.iter_rows(min_row=4) for c in row]
    assert "비공개" in values and "이차전지" in values and "합계" in values
    assert st.freeze_panes == "B4" and st["A3"].font.bold
    emp = wb["종료 12개월 후 취업 기관 유형"]
    assert [c.value for c in emp[3]] == ["기관 유형", "인원"]
    numbers = [c for row in emp.iter_rows(min_row=4) for c in row if isinstance(c.value, int)]
    assert numbers and all(c.number_format == "#,##0" for c in numbers)
    summary = [c.value for c in wb["요약"]["A"] if c.value]
    assert any("41.2%" in str(v) for v in summary)


def test_flatten_key_numbers_prefixes_shared_keys() -> None:
    flat = report.flatten_key_numbers(
        {
            "01_workforce_map": {"papers": 3, "quarantine": {"x": 1}, "domestic": {"growth": 0.1}},
            "03_career_flow": {"papers": 4, "median_wage_12m_by_degree": {"PHD": 5.0}},
        }
    )
    assert flat == {
        "01_workforce_map.papers": 3,
        "domestic.growth": 0.1,
        "03_career_flow.papers": 4,
        "median_wage_12m_phd": 5.0,
    }


def test_save_chart_needs_stamped_sources(field_dir: Path) -> None:
    with pytest.raises(report.DisclosureGateError, match="not_a_table"):
        report.save_chart("<svg/>", field_dir, "x", sources=["not_a_table"])
    with pytest.raises(report.DisclosureGateError, match="public_data"):
        report.save_chart("<svg/>", field_dir, "x", sources=[])
    report.save_chart(
        "<svg><text>ok</text></svg>", field_dir, "mine", sources=["fields_status_12m"]
    )
    report.save_chart("<svg/>", field_dir, "papers", sources=[], public_data="OpenAlex 논문 수")
    v = report.verify_tables(field_dir, RULES)
    assert {"mine", "papers"} <= set(v.charts) and not v.unverified_charts
    # a chart whose source table changed after the chart was made is no longer published
    stricter = _tables(privacy.DisclosureRules(min_count=13))["fields_status_12m"]
    report.save_tables({"fields_status_12m": stricter}, field_dir)
    v = report.verify_tables(field_dir, RULES)
    assert "mine" in v.unverified_charts and "papers" in v.charts


def test_summary_side_by_side(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    run = tmp_path / "run"
    for f, share in (("SEMI", 0.9), ("BATT", None)):
        report.record_key_numbers(
            run / "internal" / f,
            {"field_code": f, "employed_12m_share": share},
            notebook="03_career_flow",
        )
        report.record_key_numbers(
            run / "internal" / f,
            {"field_code": f, "domestic": {"researchers_last_year": 120 if share else None}},
            notebook="01_workforce_map",
        )
    statuses = {
        "BATT": {"status": "ok"},
        "SEMI": {"status": "ok"},
        "XXXX": {"status": "failed", "errors": [{"step": "03_career_flow", "message": "boom"}]},
    }
    workdirs = {f: run / "internal" / f for f in statuses}
    out = report.write_summary(run / "release", statuses, workdirs=workdirs, run_id="run")
    df = pl.read_parquet(out / "fields.parquet")
    assert df["field_code"].to_list() == ["SEMI", "BATT", "XXXX"]  # taxonomy order, unknown last
    assert df["status"].to_list() == ["ok", "ok", "failed"]
    assert df["employed_12m_share"].to_list() == [0.9, None, None]
    ws = load_workbook(out / "fields.xlsx").worksheets[1]
    assert [c.value for c in ws[3]][:4] == ["분야 코드", "분야", "상태", "12개월 후 취업 비율"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert rows[0][:3] == ["SEMI", "반도체·디스플레이", "완료"]
    assert rows[1][3] == "비공개" and rows[2][2] == "실패" and rows[2][3] is None
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "12개월 후 취업 비율" in page and "<svg" in page
    # side by side: talent (a column with a dot in its name) and outcomes; hidden reads 비공개
    assert page.count("<svg") == 2 and "국내 과제 참여 연구자 수" in page
    assert "반도체·디스플레이; 연구자 수: 120" in page and "이차전지: 비공개" in page
    assert "boom" not in page and "03_career_flow" in page  # the step, not the error text


def test_small_bookkeeping_counts_read_under_the_threshold() -> None:
    q = {"researchers": 2, "employment_spells": 37, "nested": {"key_table": 1, "flag": True}}
    assert report.brief.hide_small(q, 5) == {
        "researchers": "<5",
        "employment_spells": 37,
        "nested": {"key_table": "<5", "flag": True},
    }
    numbers = {"01_workforce_map": {"papers": 3, "quarantine": {"publications": {"n": 2}}}}
    assert report.brief.hide_small(numbers, 5, keys=("quarantine",)) == {
        "01_workforce_map": {"papers": 3, "quarantine": {"publications": {"n": "<5"}}}
    }
    # the outside attack's case: "<5" quarantined next to 8000 in and 7998 valid is exactly 2
    counts = {"quarantine": {"researchers": {"n_in": 8000, "n_valid": 7998, "n_quarantined": 2},
                             "spells": {"n_in": 100, "n_valid": 80, "n_quarantined": 20}}}  # fmt: skip
    assert report.brief.hide_small(counts, 5, keys=("quarantine",)) == {
        "quarantine": {
            "researchers": {"n_in": 8000, "n_valid": ">7995", "n_quarantined": "<5"},
            "spells": {"n_in": 100, "n_valid": 80, "n_quarantined": 20},
        }
    }


def _visible_text(page: str) -> str:
    """The text a reader sees: outside <style>, <script>, <svg> (chart internals) and <code>."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.hidden += tag in ("style", "script", "svg", "code")

        def handle_endtag(self, tag: str) -> None:
            self.hidden -= tag in ("style", "script", "svg", "code")

        def handle_data(self, data: str) -> None:
            if self.hidden <= 0:
                self.parts.append(data)

    t = Text()
    t.feed(page)
    return " ".join(t.parts)


def test_the_brief_prints_with_sections_on_new_pages_and_page_numbers(field_dir: Path) -> None:
    """Policy readers print: the PDF of a brief has its findings first, each section on a new
    page, page numbers, and pages that render (a page turned into an image is not blank)."""
    from talentlib import printing

    assert printing.chromium(), "Chromium is not installed; run `make setup`"
    pdfium = pytest.importorskip("pypdfium2")
    brief = report.publish_field(field_dir, "BATT", rules=RULES, run_id="r1")
    pdf = printing.html_to_pdf(brief, field_dir / "brief.pdf")
    doc = pdfium.PdfDocument(str(pdf))
    try:
        n = len(doc)
        texts = [doc[i].get_textpage().get_text_range() for i in range(n)]
        image = doc[0].render(scale=0.5).to_pil().convert("L")
    finally:
        doc.close()
    assert n >= 2
    assert texts[0].startswith(f"1 / {n}") and "핵심 결과" in texts[0]
    assert any("1. 경력 경로" in t.splitlines()[1] for t in texts[1:])  # a section opens a page
    assert image.getextrema()[0] < 100  # ink on the first page


# ---------------------------------------------------------------------------------------------
# The brief's shapes: ranked pairs, grouped job families, mostly-비공개 tables in one line
# ---------------------------------------------------------------------------------------------

PAIR_CODES = ["BATT-ECHEM", "BATT-ELYTE", "BATT-EIS", "C-PUBLISH", "C-EXCEL"]
PAIR_KO = {"BATT-ECHEM": "전기화학 분석", "BATT-ELYTE": "전해질", "C-PUBLISH": "논문 게재"}


def _cooccurrence() -> privacy.DisclosedTable:
    """A 5×5 grid of ordered pairs as competencies.cooccurrence publishes it (symmetric)."""
    strength = {  # unordered pair → (n_ab, jaccard); (3, ·) must be hidden, 0 stays 0
        (0, 1): (40, 0.80), (0, 2): (12, 0.20), (0, 3): (30, 0.55), (0, 4): (3, 0.05),
        (1, 2): (25, 0.45), (1, 3): (22, 0.35), (1, 4): (14, 0.25), (2, 3): (18, 0.30),
        (2, 4): (0, 0.0), (3, 4): (16, 0.28),
    }  # fmt: skip
    rows = [
        {"code_a": PAIR_CODES[x], "code_b": PAIR_CODES[y], "n_ab": n, "jaccard": j, "top2": 0.3}
        for (a, b), (n, j) in strength.items()
        for x, y in ((a, b), (b, a))
    ]
    return privacy.disclose(
        pl.DataFrame(rows), count="n_ab", rows="code_a", cols="code_b",
        magnitudes=["jaccard"], top_share="top2", rules=RULES, margins=False,
    )  # fmt: skip


def _by_job_family() -> privacy.DisclosedTable:
    """Top competencies per job family, as competencies.prevalence_table publishes them."""
    n = {
        "BATT_CELL": {"BATT-CELLDES": 40, "BATT-CYCLE": 25, "C-CAE": 12, "BATT-MODEL": 2},
        "BATT_ELECTRODE": {"BATT-BINDER": 30, "BATT-SLIT": 18, "C-STAT": 3, "BATT-PRESS": 1},
        "BATT_BMS": {"C-EMBED": 2, "BATT-TMS": 1},  # nothing publishable: the family drops out
    }
    rows = [
        {"field_code": "BATT", "job_family": f, "code": c, "n": k, "prevalence": k / 50,
         "top2": 0.3}
        for f, codes in n.items()
        for c, k in codes.items()
    ]  # fmt: skip
    return privacy.disclose(
        pl.DataFrame(rows), count="n", rows=["field_code", "job_family", "code"],
        magnitudes=["prevalence"], top_share="top2", rules=RULES, margins=False,
    )  # fmt: skip


def test_cooccurrence_reads_as_the_strongest_disclosed_pairs() -> None:
    df = _cooccurrence().table
    t = report.brief_table("cooccurrence", df)
    assert t.headers == ["순위", "역량 A", "역량 B", "동시 출현 공고 수", "자카드 유사도"]
    assert not t.omitted and t.rows
    published = {
        frozenset((a, b)): (n, j)
        for a, b, n, j in df.filter(~pl.col("n_ab_suppressed") & ~pl.col("jaccard_suppressed"))
        .select("code_a", "code_b", "n_ab", "jaccard")
        .iter_rows()
    }
    ko = {v: k for k, v in labels.values("code").items() if k in PAIR_CODES}
    listed = [(ko[r[1].value], ko[r[2].value], r[3].value, r[4].value) for r in t.rows]
    pairs = [frozenset((a, b)) for a, b, _, _ in listed]
    assert len(pairs) == len(set(pairs)) == len(published)  # each unordered pair once
    assert all(published[p] == (n, j) for p, (_, _, n, j) in zip(pairs, listed, strict=True))
    assert [j for *_, j in listed] == sorted((j for *_, j in listed), reverse=True)
    assert [r[0].value for r in t.rows] == [str(i) for i in range(1, len(t.rows) + 1)]
    assert [t.rows[0][1].value, t.rows[0][2].value] == [
        PAIR_KO["BATT-ECHEM"],
        PAIR_KO["BATT-ELYTE"],
    ]
    assert not any(c.kind == "suppressed" for r in t.rows for c in r)
    assert f"공개 기준을 넘는 {len(published)}쌍" in t.note and "tables.xlsx" in t.note


def test_cooccurrence_list_stops_at_the_top_n(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.display, "TOP_PAIRS", 2)
    t = report.brief_table("cooccurrence", _cooccurrence().table)
    assert len(t.rows) == 2 and t.rows[0][4].value >= t.rows[1][4].value
    assert "상위 2쌍" in t.note


def test_job_family_competencies_are_grouped_without_all_hidden_rows() -> None:
    df = _by_job_family().table
    t = report.brief_table("competencies_by_job_family", df)
    assert t.headers == ["직무", "역량", "공고 수", "요구 비중(공고 중)"]  # no constant 분야
    assert not t.omitted
    assert all(any(c.kind != "suppressed" for c in r[2:]) for r in t.rows)
    families = [r[0].value for r in t.rows if r[0].value]
    assert families == ["셀 설계", "전극 공정"]  # each once; the all-비공개 family left out
    assert t.group_rows == {i for i, r in enumerate(t.rows) if r[0].value}
    starts = sorted(t.group_rows)
    for start, end in zip(starts, [*starts[1:], len(t.rows)], strict=True):
        ns = [r[2].value for r in t.rows[start:end]]
        assert ns == sorted(ns, reverse=True) and len(ns) <= report.TOP_PER_FAMILY
    hidden_rows = df.filter(pl.col("n_suppressed") & pl.col("prevalence_suppressed")).height
    assert hidden_rows and f"행 {hidden_rows}개는 싣지 않았습니다" in t.note


def test_a_mostly_suppressed_table_is_one_line_in_the_brief() -> None:
    emp = pl.DataFrame({"employer_type": ["LARGE", "SME", "UNIV", "GRI"], "people": [30, 3, 2, 4]})
    df = privacy.disclose(emp, count="people", rows="employer_type", rules=RULES).table
    t = report.brief_table("destination_employer_type_12m", df)
    n, hidden = report.value_cells(report.display_table("destination_employer_type_12m", df))
    assert hidden / n >= report.MOSTLY_SUPPRESSED
    assert t.omitted == (
        f"셀 {n}개 중 {hidden}개가 공개 기준 미만이라 싣지 않았습니다. 전체 표는 tables.xlsx에 있습니다."
    )
    page = report.brief.html_table(t, "t-x")
    assert "<table" not in page and 'id="t-x"' in page and "종료 12개월 후 취업 기관 유형" in page
    # below the threshold the table is printed as it is
    ok = privacy.disclose(emp.with_columns(pl.lit(20).alias("people")), count="people",
                          rows="employer_type", rules=RULES).table  # fmt: skip
    assert not report.brief_table("destination_employer_type_12m", ok).omitted


def test_the_brief_shows_shapes_and_the_workbook_keeps_the_full_tables(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "run" / "BATT"
    report.save_tables(_tables(), out, notebook="03_career_flow")
    report.save_tables(
        {"cooccurrence": _cooccurrence(), "competencies_by_job_family": _by_job_family()},
        out,
        notebook="02_job_analysis",
    )
    emp = pl.DataFrame({"employer_type": ["LARGE", "SME", "UNIV", "GRI"], "people": [30, 3, 2, 4]})
    mostly = privacy.disclose(emp, count="people", rows="employer_type", rules=RULES)
    report.save_tables({"destination_firm_size_12m": mostly}, out, notebook="03_career_flow")
    page = report.publish_field(out, "BATT", rules=RULES, run_id="r1").read_text(encoding="utf-8")
    co = page.split('id="t-cooccurrence"')[1].split("</section>")[0]
    assert "순위" in co and "전기화학 분석" in co and "비공개</td>" not in co
    assert page.count('<tr class="grp">') == 2  # two job families
    assert "셀 5개 중 3개가 공개 기준 미만이라 싣지 않았습니다" in page  # 합계 is a cell too
    visible = _visible_text(page)
    raw = re.findall(
        r"\b[A-Z]{2,}-[A-Z0-9]{2,}\b|\b[a-z]+_[a-z0-9_]+\b|\b[A-Z]+_[A-Z_]+\b", visible
    )
    assert not raw, raw[:10]
    wb = load_workbook(out / "tables.xlsx")
    grid = wb["함께 요구되는 역량 쌍"]
    assert grid.max_row - 3 == _cooccurrence().table.height  # every ordered pair, 비공개 too
    assert "비공개" in [c.value for row in grid.iter_rows(min_row=4) for c in row]
    jobs = wb["직무별 요구 역량"]
    assert jobs.max_row - 3 == _by_job_family().table.height
    assert labels.table_title("destination_firm_size_12m")[:31] in wb.sheetnames


def test_a_stacked_chart_describes_its_marks_in_korean_by_share_never_by_count() -> None:
    """The SVG's ARIA text of each mark is read by screen readers and by anyone who opens the
    file: the hidden cells' combined remainder (here 2 people) must not be printed as a count,
    and the frame's column names must not appear."""
    from talentlib import viz
    from talentlib.report.ledger import to_svg

    t = privacy.disclose(
        pl.DataFrame(
            {
                "months": ["0", "0", "0", "12", "12", "12"],
                "status": ["employed", "no_insured_job", "not_observed"] * 2,
                "people": [40, 2, 30, 50, 20, 9],
            }
        ),
        count="people",
        rows="months",
        cols="status",
        rules=privacy.DisclosureRules(method="suppression"),
    )
    assert t.table["people_suppressed"].sum() >= 2  # 2 hidden, with its complement
    svg = to_svg(viz.career_status_over_time(t.table, "이차전지"))
    marks = re.findall(r'aria-label="([^"]*비율: [^"]*)"', svg)
    assert any(viz.SUPPRESSED_REST in m for m in marks)
    assert all(m.startswith("종료 후 개월: ") and "인원" not in m for m in marks)
    assert not re.search(r"\b(months|status|people):", svg)


def test_a_bar_chart_draws_the_parts_not_their_total() -> None:
    """The job-family bar chart of the brief drew the table's 합계 row as its longest bar."""
    from talentlib import viz

    t = privacy.disclose(
        pl.DataFrame({"job_family": ["A", "B", "C"], "postings": [40, 30, 20]}),
        count="postings",
        rows="job_family",
        rules=privacy.DisclosureRules(method="suppression"),
    )
    assert privacy.TOTAL in t.table["job_family"].to_list()
    shown = labels.labelled(t.table, "job_family")
    spec = viz.bar(shown, "postings", "job_family", title="직무", x_title="공고 수", y_title=None)
    values = spec.to_dict()["datasets"]
    rows = next(iter(values.values()))
    assert sorted(r["job_family"] for r in rows) == ["A", "B", "C"]
