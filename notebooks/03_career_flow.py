# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 국가전략기술 분야별 연구참여자 경력 경로
#
# 국가R&D 과제 참여연구원 정보와 고용보험 이력을 가명결합 연계키로 연결해, 분야별 과제 참여자가
# **과제 종료 후 어디에서, 어떤 일을, 얼마를 받고** 일하는지 추적합니다.
#
# - **고용보험 미관측은 미취업이 아닙니다.** 교수·공무원(별도 연금), 해외 체류자는 고용보험에 없으며
#   '미관측'으로 따로 표시합니다.
# - 모든 표는 공개통제(최소 인원, 보완 비공개, 임금 지배성 규칙; `cell_key`이면 셀 키 교란까지)를 거쳤고,
#   비공개 셀은 `비공개`로 표시합니다.

# %% tags=["parameters"]
field = "BATT"  # 분야 코드 (SEMI, BATT, MOBI, NUCL, BIO, AERO, H2, CYBER, AI, COMM, ROBOT, QUANT)
techs = None  # 세부 중점기술 코드 목록, 예: ["BATT-01", "BATT-02"] (None: 분야 전체)
exit_years = [2013, 2023]  # 과제 종료(마지막 참여 종료) 연도 범위
roles = None  # 예: ["STUDENT"] (None: 연구책임자·참여연구원·학생연구원 모두)
min_count = 5  # 공개 최소 인원
min_count_magnitude = 10  # 임금 공개 최소 인원
dominance_n = 2  # 임금 지배성 규칙: 상위 n명이
dominance_k = 0.85  # 합계의 k를 넘으면 비공개
disclosure_method = "cell_key"  # 공개 통제 방법: cell_key(셀 키 교란 + 보완 비공개) | suppression(보완 비공개)
cell_key_salt = None  # cell_key 솔트 (None: 이 설치의 비밀 솔트, ~/.config/talentlib/cell_key_salt)
data_dir = None  # 데이터 폴더 (None: 합성 데이터, 없으면 생성)
scale = "small"  # data_dir가 없을 때 만들 합성 데이터 규모
output_dir = None  # 표·차트·핵심 수치를 저장할 폴더 (None: 저장하지 않음)

# %%
import polars as pl
from IPython.display import SVG, display

from talentlib import careers, datasets, labels, privacy, report, taxonomy, viz
from talentlib.linkage import link_folder

data = datasets.ensure(data_dir, scale)
rules = privacy.DisclosureRules.from_parameters(globals())  # the disclosure parameters above
spec = careers.CohortSpec(
    field=field,
    techs=tuple(techs) if techs else None,
    exit_years=tuple(exit_years),
    roles=tuple(roles) if roles else None,
)
field_ko = taxonomy.label("strategic_tech", field, level="field")
print(f"분야: {field_ko} ({field}) · 데이터: {data}")

# %% [markdown]
# ## 연계 품질
# 연계키로 연결된 연구자의 비율과, 연결되지 않은 이유(연계키 없음·충돌·고아 키·고아 이력).

# %%
linked = link_folder(data)
print(linked.report)
labels.korean(linked.report.by_group.filter(dimension="field_code").drop("dimension").rename({"value": "field_code"}))

# %%
ct = careers.career_tables(linked, spec, rules)
key = careers.published_key_numbers(ct)
key

# %% [markdown]
# ## 과제 종료 후 고용 상태
# 종료 후 0~36개월 동안 매 3개월의 상태: 부문별 취업, 해당 시점 고용보험 이력 없음, 미관측.

# %%
viz.career_status_over_time(ct.tables["monthly_status"].table, field_ko)

# %%
labels.display(ct.tables["status_12m_by_exit_role"])

# %% [markdown]
# ## 어디로 가는가: 부문·산업·직업 (종료 12개월 후 주된 일자리)

# %%
viz.career_destinations(ct.tables["destination_employer_type_12m"].table, "employer_type", "기관 유형")

# %%
viz.career_destinations(ct.tables["destination_industry_12m"].table, "ksic_division",
                        "산업(KSIC 중분류) 상위 15", 15)

# %%
viz.career_destinations(ct.tables["destination_occupation_12m"].table, "keco_minor",
                        "직업(KECO 소분류) 상위 15", 15)

# %%
labels.display(ct.tables["retention_12m"])

# %% [markdown]
# ## 얼마를 받는가: 종료 12개월 후 주된 일자리의 월 임금 (보수월액, 만원)
# 10명 이상이고 상위 2명이 합계의 85%를 넘지 않는 집단만 공개합니다.

# %%
viz.career_wages_by_degree(ct.tables["wage_12m_by_degree"].table)

# %%
labels.display(ct.tables["wage_12m_by_employer_type"])

# %%
labels.display(ct.tables["wage_growth_12_36m_by_degree"]) if "wage_growth_12_36m_by_degree" in ct.tables else None

# %% [markdown]
# ## 흐름: 참여 기관 유형 → 12개월 후 행선지

# %%
display(SVG(viz.career_flow_sankey(ct.tables["flow_origin_to_destination_12m"].table, field_ko,
                                   draw_empty=True)))

# %% [markdown]
# ## 첫 일자리까지 걸린 시간 (학생연구원, Kaplan–Meier)
# 데이터 종료 시점까지 첫 일자리가 없는 사람은 중도절단으로 처리합니다(미취업으로 세지 않음).

# %%
if "time_to_first_job_students" in ct.tables:
    display(viz.career_first_job_curve(ct.tables["time_to_first_job_students"].table))

# %% [markdown]
# ## 12개 분야 비교 (종료 12개월 후)

# %%
comp = careers.field_comparison(linked, exit_years=tuple(exit_years), rules=rules)
viz.career_fields_status(comp["fields_status_12m"].table)

# %%
fw = comp["fields_wage_12m"].table.filter(pl.col("field_code") != privacy.TOTAL).with_columns(
    (pl.col(c) / 10_000).alias(c) for c in ("wage_monthly_p25", "wage_monthly_p50", "wage_monthly_p75")
)
viz.quartile_range(labels.korean(fw), "field_code", "wage_monthly_p25", "wage_monthly_p50", "wage_monthly_p75",
                   title="분야별 월 임금 (만원)", cat_title="분야", value_title="만원")

# %%
if output_dir:
    report.save_tables({**ct.tables, **comp}, output_dir)
    report.record_key_numbers(output_dir, key, notebook="03_career_flow")
    print(f"저장: {output_dir}")
