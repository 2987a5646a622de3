# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
field = "SEMI"  # strategic-technology field code (taxonomy strategic_tech)
years = [2013, 2023]  # first and last year
comparison_countries = ["US", "CN", "JP", "DE", "GB"]
country = "KR"
data_dir = None  # data folder; None: the synthetic dataset of `scale` (generated if missing)
scale = "small"  # synthetic scale used when data_dir is None (the same data as notebooks 02 and 03)
output_dir = "outputs/notebook/01_workforce_map"  # key_numbers.json, tables/, charts/
min_count = 5  # disclosure: cells with 0 < n < min_count are suppressed
min_count_magnitude = 10
top_countries = 15
top_k_institutions = 5
min_joint_papers = 25  # collaboration pairs below this are flagged (CSET omits pairs under 25)

# %% [markdown]
# # 국가전략기술 인력지도 — 분야별 국내 연구인력과 세계 핵심인재 속 한국의 위치
#
# 국내 연구인력(과제 참여 연구자)과 세계 논문(OpenAlex 형식)으로 한 분야의 인력지도를 그립니다.
# 국내 연구자 수를 세는 표는 모두 공개 통제(`privacy.disclose`: 최소 인원 기준과 보완 비공개)를
# 거칩니다. 국가별 논문 수는 공개 서지 통계이므로 그대로 싣고, 사람을 세는 저자 이동 표만 공개
# 통제를 거칩니다. 정의: 상위 10% 논문 = 분야 × 출판연도 안에서 피인용 90백분위 이상(동점 포함),
# 국가 기여 = 저자 분수계수(저자 수로 나누고, 소속이 여럿이면 다시 나눔).

# %%
# ruff: noqa: E402, B018 - a notebook: imports after the parameters, charts shown by value
from pathlib import Path

import polars as pl
from IPython.display import display

from talentlib import datasets, io, privacy, report, taxonomy, viz
from talentlib import workforce as wf

rules = privacy.DisclosureRules(min_count=min_count, min_count_magnitude=min_count_magnitude)
data = datasets.ensure(data_dir, scale)
datasets.require(data, ["researchers", "publications", "authorships"], purpose="the workforce map")
inputs = wf.load_inputs(data)
out = Path(output_dir)
field_ko = taxonomy.label("strategic_tech", field, level="field")
include = [country, *comparison_countries]
print(f"분야: {field_ko} ({field}), 기간: {years[0]}-{years[-1]}, 데이터: {data}")
pl.DataFrame([{"dataset": k, **v} for k, v in inputs.quarantine_counts().items()]).rename(
    {"dataset": "자료", "n_in": "입력 행", "n_valid": "유효 행", "n_quarantined": "격리 행"}
)

# %% [markdown]
# ## 1. 분류: 논문과 과제를 12대 분야·50개 기술로
# 택소노미(`strategic_tech.yaml`)의 국·영문 키워드 규칙과 OpenAlex 주제 대응표로 분류합니다.
# 합성 자료에서는 정답 라벨과 비교한 정확도를 함께 보입니다.

# %%
works = wf.classify_publications(inputs.publications)
projects = wf.classify_projects(inputs.projects) if inputs.projects is not None else None
accuracy = wf.truth_accuracy(data, works, projects)
pl.DataFrame(
    [
        {
            "대상": k,
            "분야 정확도": v["field_accuracy"],
            "기술 정확도": v["tech_accuracy"],
            "분류율": v["field_coverage"],
            "건수": v["n"],
        }
        for k, v in (accuracy or {}).items()
    ]
)

# %% [markdown]
# ## 2. 세계 속 한국: 상위 10% 논문 점유율 순위

# %%
b = wf.bibliometrics(works, inputs.authorships, years=years)
output = wf.country_output(b, unit="field_code").filter(pl.col("field_code") == field)
ranked = wf.select_countries(output, n=top_countries, include=include)
chart_rank = viz.ranked_bars(
    ranked,
    "top10_share",
    "country_ko",
    key="country_code",
    highlight=country,
    title=f"{field_ko}: 국가별 상위 10% 논문 점유율",
    x_title="상위 10% 논문 점유율(분수계수)",
    subtitle=f"{years[0]}-{years[-1]}, 상위 {top_countries}개국과 비교국",
)
chart_rank

# %%
wf.display(
    ranked.select(
        "country_code",
        "rank_top10",
        "top10_share",
        "pub_share",
        "pp_top10",
        "mncs",
        "papers_full",
        "papers_frac",
    )
)

# %% [markdown]
# ## 3. 한국과 1위 국가의 격차 추이

# %%
by_year = wf.country_output(b, unit="field_code", by_year=True).filter(
    pl.col("field_code") == field
)
leader = output.filter(pl.col("rank_top10") == 1)["country_code"].to_list()
series = wf.share_over_time(by_year, countries=[country, *leader])
chart_gap = viz.lines(
    series.rename({"publication_year": "year"}),
    "year",
    "top10_share",
    "country_ko",
    title=f"{field_ko}: 한국과 1위 국가의 상위 10% 논문 점유율",
    x_title="출판연도",
    y_title="상위 10% 논문 점유율",
    subtitle="한국, 기간 전체 1위 국가, 연도별 1위 국가의 점유율",
)
chart_gap

# %%
wf.display(wf.korea_vs_leader(by_year, country=country))

# %% [markdown]
# ## 4. 기술별 강점과 약점 (활동지수 × 상대 영향력)
# 활동지수(AI) > 1: 한국이 그 기술에 상대적으로 집중, 상대 영향력 > 1: 상위 10% 논문 비율이
# 세계 기준(10%)보다 높음. 분야 간 활동지수의 크기를 그대로 비교하지 마십시오.

# %%
ai = wf.activity_index(b, unit="tech_code").filter(
    (pl.col("field_code") == field) & (pl.col("country_code") == country)
)
ai = ai.with_columns(
    pl.col("tech_code")
    .replace(taxonomy.labels("strategic_tech", level="technology"))
    .alias("tech_ko")
)
chart_quad = viz.quadrant(
    ai,
    "activity_index",
    "relative_impact",
    "papers_frac",
    "tech_ko",
    title=f"{field_ko}: 한국의 기술별 강점과 약점",
    x_title="활동지수(AI, 1 = 세계 평균)",
    y_title="상대 영향력(PP10% / 10%)",
    subtitle="원 크기 = 논문 수(분수계수)",
)
chart_quad

# %%
wf.display(
    ai.select(
        "tech_code", "papers_frac", "activity_index", "pp_top10", "relative_impact", "top10_share"
    )
)

# %% [markdown]
# ## 5. 국제 공동연구와 국가 간 협력망
# 연관 강도(association strength) = 실제 공동 논문 수 / 우연히 기대되는 수 (1 = 우연 수준).
# 공동 논문이 기준 미만인 쌍은 표에서 표시됩니다.

# %%
network = wf.collaboration_network(
    b, value=field, countries=include, top_n=12, min_joint=min_joint_papers
)
nodes = wf.select_countries(output, n=12, include=include, rank="rank_papers")
chart_net = viz.network(
    network.with_columns(pl.col("association_strength").clip(upper_bound=5.0)),
    nodes,
    source="country_a",
    target="country_b",
    weight="association_strength",
    node="country_code",
    size="papers_full",
    label="country_ko",
    highlight=country,
    title=f"{field_ko}: 국가 간 공동연구망",
    subtitle="선 굵기 = 연관 강도(5 이상은 5), 원 크기 = 논문 수",
)
chart_net

# %%
collab = wf.collaboration(b, unit="field_code").filter(
    (pl.col("field_code") == field) & pl.col("country_code").is_in([*include, wf.WORLD])
)
wf.display(collab)

# %%
wf.display(
    network.filter((pl.col("country_a") == country) | (pl.col("country_b") == country)).sort(
        "association_strength", descending=True
    )
)

# %% [markdown]
# ## 6. 핵심 기관과 핵심 연구자 (분야 정규화 피인용 기준)

# %%
print(wf.DISAMBIGUATION_NOTE)
wf.display(wf.key_institutions(b, value=field, top=10))

# %%
wf.display(wf.key_researchers(b, value=field, country=country, top=10))

# %% [markdown]
# ## 7. 연구 동향과 부상 주제

# %%
trends = wf.topic_trends(b, field_code=field, country=country)
wf.display(trends.head(15))

# %% [markdown]
# ## 8. 저자 이동: 한국의 순유입 (사람을 세므로 공개 통제)

# %%
moves = wf.author_mobility(b)
flow = privacy.disclose(
    wf.talent_flow(moves, country=country),
    count="researchers",
    rows="partner_country",
    cols="direction",
    rules=rules,
)
wf.display(flow)

# %% [markdown]
# ## 9. 국내 연구인력 (과제 참여 연구자; 모든 표는 공개 통제를 거침)

# %%
panel_all = wf.activity_panel(inputs.participations, inputs.researchers, years=years)
panel = panel_all.filter(pl.col("field_code") == field)
totals = privacy.disclose(
    wf.headcount(panel, ["year"]), count="researchers", rows="year", rules=rules, margins=False
)
growth = wf.growth(totals.table.drop_nulls("researchers"), value="researchers")
wf.display(totals)

# %%
wf.display(growth.select("first_year", "last_year", "first", "last", "cagr", "growth"))

# %%
for dim in ["degree", "role", "age_band", "career_stage", "institution_type", "region"]:
    display(wf.display(wf.disclosed_headcount(panel, dim, rules=rules, years=years[-1:])))

# %%
pyramid = privacy.disclose(
    wf.career_pyramid(panel, year=years[-1]),
    count="researchers",
    rows="age_band",
    cols="sex",
    rules=rules,
    margins=False,
)
chart_pyr = viz.pyramid(
    pyramid.table.with_columns(
        pl.col("age_band").replace(wf.AGE_BANDS), pl.col("sex").replace({"M": "남성", "F": "여성"})
    ),
    "age_band",
    "sex",
    "researchers",
    left="남성",
    right="여성",
    order=[v for k, v in wf.AGE_BANDS.items() if k != "unknown"],
    title=f"{field_ko}: 연구인력 연령 피라미드 ({years[-1]})",
    x_title="연구자 수",
    subtitle="비공개 셀은 빈칸",
)
chart_pyr

# %%
conc = wf.institution_concentration(panel, top_k=top_k_institutions)
conc_pub = privacy.disclose(
    wf.concentration_table(conc).drop("field_code"),
    count="researchers",
    rows="year",
    cols="group",
    rules=rules,
)
chart_conc = viz.share_stack(
    conc_pub.table.filter(
        pl.col("year") != privacy.TOTAL, pl.col("group") != privacy.TOTAL
    ).with_columns(pl.col("group").replace(wf.FLOW_KO)),
    "year",
    "group",
    "researchers",
    order=["상위 기관", "기타 기관"],
    title=f"{field_ko}: 상위 {top_k_institutions}개 기관 집중도",
    x_title="연도",
    y_title="연구자 비중",
)
chart_conc

# %%
wf.display(
    privacy.disclose(
        wf.top_institutions(panel, year=years[-1], k=10).drop("field_code", "rank"),
        count="researchers",
        rows=["institution_id", "institution_type"],
        rules=rules,
        margins=False,
    )
)

# %%
flows = privacy.disclose(
    wf.entrants_leavers(inputs.participations, years=years)
    .filter(pl.col("field_code") == field)
    .drop("field_code"),
    count="researchers",
    rows="year",
    cols="flow",
    rules=rules,
    margins=False,
)
wf.display(flows)

# %%
overlap = privacy.disclose(
    wf.field_overlap(panel_all, years=years)
    .filter(pl.col("field_a") == field)
    .select("field_b", "researchers"),
    count="researchers",
    rows="field_b",
    rules=rules,
    margins=False,
)
wf.display(overlap)

# %% [markdown]
# ## 10. 핵심 수치 기록 (배치 수집용 `key_numbers.json`)

# %%
key_numbers = {
    **wf.global_key_numbers(b, field_code=field, country=country),
    "field_ko": field_ko,
    "years": years,
    "classification": accuracy,
    "quarantine": inputs.quarantine_counts(),
    "domestic": {
        "researchers_last_year": totals.table.filter(pl.col("year") == years[-1])[
            "researchers"
        ].to_list()[0]
        if totals.table.height
        else None,
        "headcount_growth": growth["growth"].to_list()[0] if growth.height else None,
        "suppressed_cells": {
            "totals": totals.log.height,
            "pyramid": pyramid.log.height,
            "concentration": conc_pub.log.height,
            "flows": flows.log.height,
            "talent_flow": flow.log.height,
        },
    },
    "disclosure_rules": {
        "min_count": rules.min_count,
        "min_count_magnitude": rules.min_count_magnitude,
    },
}
report.save_tables(
    {
        "headcount_by_year": totals,
        "career_pyramid": pyramid,
        "institution_concentration": conc_pub,
        "entrants_leavers": flows,
        "field_overlap": overlap,
        "talent_flow_korea": flow,
    },
    out,
    notebook="01_workforce_map",
)
report.record_key_numbers(out, key_numbers, notebook="01_workforce_map")
public = "OpenAlex 서지 통계 (논문을 세며 사람을 세지 않음)"
for name, chart, sources in [
    ("country_top10_share", chart_rank, []),
    ("korea_vs_leader", chart_gap, []),
    ("tech_strength_gap", chart_quad, []),
    ("collaboration_network", chart_net, []),
    ("pyramid", chart_pyr, ["career_pyramid"]),
    ("institution_concentration", chart_conc, ["institution_concentration"]),
]:
    report.save_chart(chart, out, name, sources=sources, public_data=None if sources else public,
                      notebook="01_workforce_map")
print({k: key_numbers[k] for k in ("rank_top10", "top10_share", "leader", "gap_pp")})
