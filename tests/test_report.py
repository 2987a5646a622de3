"""talentlib.report: stamped tables, the disclosure gate, briefs, workbooks and the summary."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import polars as pl
import pytest

from talentlib import privacy, report

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
        e["stamp"] = report._stamp(name, e)
    (out / report.LEDGER).write_text(json.dumps(ledger), encoding="utf-8")
    with pytest.raises(report.DisclosureGateError, match="below min_count"):
        report.verify_tables(out, RULES)


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
    assert "과제 종료 12개월 후 고용보험 가입 취업 비율 87.7% (미관측 제외)" in page
    assert "박사 612만원" in page
    assert "미관측은 미취업이 아닙니다" in page and "중도절단" in page
    assert "최소 인원 규칙: 0명 초과 5명 미만" in page
    assert "researchers.parquet" in page
    # self-contained: no script, no external stylesheet, image or font
    for bad in ("<script", "<link", "@import", "src=", "https://"):
        assert bad not in page, bad
    assert "handmade" not in page  # an unstamped chart is not published
    manifest = json.loads((field_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unverified_charts"] == ["handmade"]
    assert set(manifest["tables"]) == {"fields_status_12m", "destination_employer_type_12m"}
    assert manifest["suppressed_cells"]["total"] > 0
    assert manifest["quarantine"] == {"employment_spells": 7}
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
    assert any("87.7%" in str(v) for v in summary)


def test_key_findings_are_korean_sentences() -> None:
    s = report.key_findings(KEY, "이차전지")
    assert "과제 종료 12개월 후 고용보험 가입 취업 비율 87.7% (미관측 제외)" in s
    assert any(x.startswith("과제 종료 36개월 후") and "비공개" in x for x in s)
    assert "종료 12개월 후 주된 일자리 월 임금 중위값: 박사 612만원, 석사 431만원" in s


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
            run / f, {"field_code": f, "employed_12m_share": share}, notebook="03_career_flow"
        )
    statuses = {
        "BATT": {"status": "ok"},
        "SEMI": {"status": "ok"},
        "XXXX": {"status": "failed", "errors": [{"step": "03_career_flow", "message": "boom"}]},
    }
    out = report.write_summary(run, statuses)
    df = pl.read_parquet(out / "fields.parquet")
    assert df["field_code"].to_list() == ["SEMI", "BATT", "XXXX"]  # taxonomy order, unknown last
    assert df["status"].to_list() == ["ok", "ok", "failed"]
    assert df["employed_12m_share"].to_list() == [0.9, None, None]
    ws = load_workbook(out / "fields.xlsx").worksheets[1]
    assert [c.value for c in ws[3]] == ["분야 코드", "분야", "상태", "12개월 후 취업 비율"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert rows[0][:3] == ["SEMI", "반도체·디스플레이", "완료"]
    assert rows[1][3] == "비공개" and rows[2][2] == "실패" and rows[2][3] is None
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "12개월 후 취업 비율" in page and "boom" in page and "<svg" in page
