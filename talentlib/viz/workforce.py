"""The workforce map's charts (notebook 01 and the brief), all from one ``MapTables``."""

from __future__ import annotations

from typing import Any

import polars as pl

from talentlib import labels
from talentlib.viz.charts import lines, network, pyramid, quadrant, ranked_bars, share_stack

PUBLIC_BIBLIOMETRICS = "OpenAlex 서지 통계 (논문을 세며 사람을 세지 않음)"


def workforce_charts(mt: Any, field_ko: str) -> dict[str, tuple[Any, list[str]]]:
    """name → (chart, the published tables it draws) for one field's workforce map; charts of
    paper counts draw no people and name no table (``PUBLIC_BIBLIOMETRICS`` says why)."""
    from talentlib import privacy

    s = mt.spec
    y0, y1 = s.years
    out: dict[str, tuple[Any, list[str]]] = {}
    out["country_top10_share"] = (
        ranked_bars(
            mt.frames["country_ranking"],
            "top10_share",
            "country_ko",
            key="country_code",
            highlight=s.country,
            title=f"{field_ko}: 국가별 상위 10% 논문 점유율",
            x_title="상위 10% 논문 점유율(분수계수)",
            subtitle=f"{y0}-{y1}, 상위 {s.top_countries}개국과 비교국",
        ),
        [],
    )
    out["korea_vs_leader"] = (
        lines(
            mt.frames["share_over_time"].rename({"publication_year": "year"}),
            "year",
            "top10_share",
            "country_ko",
            title=f"{field_ko}: 한국과 1위 국가의 상위 10% 논문 점유율",
            x_title="출판연도",
            y_title="상위 10% 논문 점유율",
            subtitle="한국, 기간 전체 1위 국가, 연도별 1위 국가의 점유율",
        ),
        [],
    )
    out["tech_strength_gap"] = (
        quadrant(
            mt.frames["activity_index"],
            "activity_index",
            "relative_impact",
            "papers_frac",
            "tech_ko",
            title=f"{field_ko}: 한국의 기술별 강점과 약점",
            x_title="활동지수(AI, 1 = 세계 평균)",
            y_title="상대 영향력(PP10% / 10%)",
            subtitle="원 크기 = 논문 수(분수계수)",
            size_title="논문 수(분수계수)",
        ),
        [],
    )
    out["collaboration_network"] = (
        network(
            mt.frames["network"].with_columns(pl.col("association_strength").clip(upper_bound=5.0)),
            mt.frames["network_nodes"],
            source="country_a",
            target="country_b",
            weight="association_strength",
            node="country_code",
            size="papers_full",
            label="country_ko",
            highlight=s.country,
            title=f"{field_ko}: 국가 간 공동연구망",
            subtitle="선 굵기 = 연관 강도(5 이상은 5), 원 크기 = 논문 수",
            weight_title="연관 강도",
        ),
        [],
    )
    if "career_pyramid" in mt.tables:
        age = labels.values("age_band")
        out["pyramid"] = (
            pyramid(
                labels.korean(mt.tables["career_pyramid"].table, "age_band", "sex"),
                "age_band",
                "sex",
                "researchers",
                left=labels.values("sex")["M"],
                right=labels.values("sex")["F"],
                order=[age[k] for k in ("lt30", "30_39", "40_49", "50_59", "60p")],
                title=f"{field_ko}: 연구인력 연령 피라미드 ({y1})",
                x_title="연구자 수",
                subtitle="비공개 셀은 빈칸",
            ),
            ["career_pyramid"],
        )
    if "institution_concentration" in mt.tables:
        conc = mt.tables["institution_concentration"].table
        group = labels.values("group")
        out["institution_concentration"] = (
            share_stack(
                conc.filter(
                    pl.col("year") != privacy.TOTAL, pl.col("group") != privacy.TOTAL
                ).with_columns(pl.col("group").replace(group)),
                "year",
                "group",
                "researchers",
                order=[group["top"], group["rest"]],
                title=f"{field_ko}: 상위 {s.top_k_institutions}개 기관 집중도",
                x_title="연도",
                y_title="연구자 비중",
            ),
            ["institution_concentration"],
        )
    return out
