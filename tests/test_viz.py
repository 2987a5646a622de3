"""Charts speak Korean also where nobody looks: the ARIA text every mark carries in the SVG
(what a screen reader reads, and what anyone who opens the file sees) names no frame column and
prints numbers as the chart formats them."""

from __future__ import annotations

import re

import polars as pl
import pytest

from talentlib import viz
from talentlib.report.ledger import to_svg

# raw column names of the frames below: none may appear in a mark's description
RAW = re.compile(
    r"\b(job_family_ko|postings|code_ko|country_ko|country_code|top10_share|year|tech_ko|"
    r"activity_index|relative_impact|papers_frac|code_a_ko|code_b_ko|jaccard|country_a|"
    r"country_b|association_strength|papers_full|age_band|sex|researchers|group|degree|"
    r"wage_monthly_p25|wage_monthly_p50|wage_monthly_p75|months|share|_abs|_v|_x|_y|_a|_b)\b"
)
LONG_NUMBER = re.compile(r"\d\.\d{3,}")  # 3.05538077615: a number nobody formatted


def _mark_labels(svg: str) -> list[str]:
    """aria-labels of marks (not of axes, legends or titles: Vega words those itself)."""
    out = []
    for m in re.finditer(r'aria-label="([^"]*)"', svg):
        text = m.group(1)
        if text.startswith(("X-axis", "Y-axis", "Title text")) or re.match(r"\w+ legend ", text):
            continue
        out.append(text)
    return out


def _charts() -> dict[str, object]:
    fam = pl.DataFrame(
        {"job_family_ko": ["셀 설계", "생산기술", "설비"], "postings": [10, None, 7]}
    )
    countries = pl.DataFrame(
        {
            "country_ko": ["중국", "한국", "미국"],
            "country_code": ["CN", "KR", "US"],
            "top10_share": [0.361234, 0.178, 0.15],
        }
    )
    years = pl.DataFrame(
        {
            "year": [2013, 2014, 2013, 2014],
            "top10_share": [0.6, 0.55, 0.0666667, 0.1],
            "country_ko": ["중국", "중국", "한국", "한국"],
        }
    )
    techs = pl.DataFrame(
        {
            "activity_index": [3.05538077615, 0.5],
            "relative_impact": [3.04182509506, 1.2],
            "papers_frac": [13.1666666, 2.0],
            "tech_ko": ["리튬이온전지", "전고체전지"],
        }
    )
    pairs = pl.DataFrame(
        {"code_a_ko": ["영어", "엑셀"], "code_b_ko": ["엑셀", "영어"], "jaccard": [0.123456, 0.5]}
    )
    edges = pl.DataFrame(
        {
            "country_a": ["KR", "KR"],
            "country_b": ["US", "CN"],
            "association_strength": [1.2982, 0.7],
        }
    )
    nodes = pl.DataFrame(
        {
            "country_code": ["KR", "US", "CN"],
            "country_ko": ["한국", "미국", "중국"],
            "papers_full": [120, 300, 400],
        }
    )
    pyr = pl.DataFrame(
        {
            "age_band": ["30대", "30대", "40대", "40대"],
            "sex": ["남성", "여성", "남성", "여성"],
            "researchers": [48, 12, None, 9],
        }
    )
    conc = pl.DataFrame(
        {
            "year": [2013, 2013, 2014, 2014],
            "group": ["상위 기관", "기타 기관", "상위 기관", "기타 기관"],
            "researchers": [25, 14, 30, 10],
        }
    )
    wages = pl.DataFrame(
        {
            "degree": ["학사", "석사"],
            "wage_monthly_p25": [430.2, 475.0],
            "wage_monthly_p50": [593.0, 632.7],
            "wage_monthly_p75": [894.4, 900.0],
        }
    )
    curve = pl.DataFrame({"months": [0, 3, 6], "share": [0.12, 0.3333333, 0.5]})
    return {
        "bar": viz.bar(
            fam, "postings", "job_family_ko", title="t", x_title="공고 수", y_title=None
        ),
        "ranked_bars": viz.ranked_bars(
            countries,
            "top10_share",
            "country_ko",
            key="country_code",
            highlight="KR",
            title="t",
            x_title="상위 10% 점유율",
        ),  # fmt: skip
        "lines": viz.lines(
            years,
            "year",
            "top10_share",
            "country_ko",
            title="t",
            x_title="출판연도",
            y_title="상위 10% 점유율",
        ),  # fmt: skip
        "quadrant": viz.quadrant(
            techs,
            "activity_index",
            "relative_impact",
            "papers_frac",
            "tech_ko",
            title="t",
            x_title="활동지수",
            y_title="상대 영향력",
            size_title="논문 수",
        ),  # fmt: skip
        "heatmap": viz.heatmap(
            pairs,
            "code_a_ko",
            "code_b_ko",
            "jaccard",
            title="t",
            x_title=None,
            y_title=None,
            value_title="Jaccard 유사도",
        ),  # fmt: skip
        "network": viz.network(
            edges,
            nodes,
            source="country_a",
            target="country_b",
            weight="association_strength",
            node="country_code",
            size="papers_full",
            label="country_ko",
            title="t",
            highlight="KR",
        ),  # fmt: skip
        "pyramid": viz.pyramid(
            pyr,
            "age_band",
            "sex",
            "researchers",
            left="남성",
            right="여성",
            order=["30대", "40대"],
            title="t",
            x_title="연구자 수",
        ),  # fmt: skip
        "share_stack": viz.share_stack(
            conc,
            "year",
            "group",
            "researchers",
            title="t",
            x_title="연도",
            y_title="연구자 비중",
        ),  # fmt: skip
        "quartile_range": viz.quartile_range(
            wages,
            "degree",
            "wage_monthly_p25",
            "wage_monthly_p50",
            "wage_monthly_p75",
            title="t",
            cat_title="학위",
            value_title="만원",
        ),  # fmt: skip
        "line": viz.line(
            curve,
            "months",
            "share",
            title="t",
            x_title="종료 후 개월",
            y_title="누적 비율",
            y_format=".0%",
        ),  # fmt: skip
    }


@pytest.mark.parametrize("name", list(_charts()))
def test_every_mark_is_described_in_korean_without_column_names(name: str) -> None:
    svg = to_svg(_charts()[name])
    marks = _mark_labels(svg)
    assert marks, f"{name}: no mark carries a description"
    for text in marks:
        assert not RAW.search(text), f"{name}: raw column name in {text!r}"
        assert not LONG_NUMBER.search(text), f"{name}: unformatted number in {text!r}"
        assert re.search(r"[가-힣]", text), f"{name}: no Korean in {text!r}"


def test_descriptions_read_as_the_chart_formats_them() -> None:
    charts = _charts()
    bar = _mark_labels(to_svg(charts["bar"]))
    assert "셀 설계; 공고 수: 10" in bar
    assert "생산기술: 비공개" in bar  # a suppressed bar is described, not drawn as 0
    ranked = _mark_labels(to_svg(charts["ranked_bars"]))
    assert "중국; 상위 10% 점유율: 36.1%" in ranked
    quad = _mark_labels(to_svg(charts["quadrant"]))
    assert "리튬이온전지; 활동지수: 3.06; 상대 영향력: 3.04; 논문 수: 13.2" in quad
    net = _mark_labels(to_svg(charts["network"]))
    assert "한국; 미국; 연관 강도: 1.3" in net or "한국; 미국; 연결 강도: 1.3" in net
    shares = _mark_labels(to_svg(charts["share_stack"]))
    assert "연도: 2013; 상위 기관; 연구자 비중: 64.1%" in shares  # 25 of 39: a share, no count
    assert all(s.endswith("%") for s in shares)
