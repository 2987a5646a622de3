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

# %% tags=["parameters"]
field = "BATT"  # 분야 코드 (SEMI, BATT, MOBI, NUCL, BIO, AERO, H2, CYBER, AI, COMM, ROBOT, QUANT)
period = None  # 게시 기간 [첫 해, 마지막 해], 예: [2022, 2024] (None: 전체)
sources = None  # 공고 출처, 예: ["jobsite_a", "company_site"] (None: 전체)
formats = None  # 파일 형식, 예: ["txt", "html"] (None: txt, html, pdf, png, jpg 모두)
data_dir = None  # 데이터 폴더 (None: 합성 데이터, 없으면 생성)
scale = "small"  # data_dir가 없을 때 만들 합성 데이터 규모
output_dir = None  # 표·차트·핵심 수치를 저장할 폴더 (None: 저장하지 않음)
cache_dir = None  # OCR·태거 모델·추출 결과 캐시 (None: ~/.cache/talentlib)
use_llm = False  # 태거가 애매한 줄을 LLM으로 확인하고 택소노미 밖 역량 후보를 제안
llm = "gemma"  # use_llm일 때의 백엔드: gemma, 모델 폴더, openai:<model>@<url>
llm_max_lines = 40  # 새 역량 후보를 물어볼 최대 줄 수 (CPU에서 줄당 수 초)
min_count = 5  # 공개 최소 공고 수
min_count_magnitude = 10  # 비율·지표 공개 최소 공고 수
dominance_n = 2  # 비율 지배성 규칙: 상위 n개 기업의 공고가
dominance_k = 0.85  # 해당 공고의 k를 넘으면 비공개
disclosure_method = "cell_key"  # 공개 통제 방법: cell_key(셀 키 교란 + 보완 비공개) | suppression(보완 비공개)
cell_key_salt = None  # cell_key 솔트 (None: 이 설치의 비밀 솔트, ~/.config/talentlib/cell_key_salt)
top_n = 15  # 상위 역량 수

# %% [markdown]
# # 02 국가전략기술 분야 채용공고 직무 분석
#
# 채용공고(텍스트·HTML·PDF·스캔 이미지)를 읽어 **직무별 요구 역량**, 기업·직무·학력·전공·경력별
# **인력 수요**를 정리하고, 12대 분야에 **공통으로 요구되는 역량**과 **분야 특화 역량**을 가립니다.
#
# - 읽기: 텍스트 추출 또는 OCR(tesseract kor+eng) → 개인정보(전화·이메일) 가림 → 항목 구분
#   → 규칙으로 학력·전공·경력 → 역량 태거(사전·퍼지·형태소·학습 모델, 선택적으로 LLM 확인).
# - 공통 역량: 대부분의 분야(75% 이상)에 고르게(변동계수 0.6 이하) 나타나는 역량.
#   분야 특화 역량: 해당 분야를 나머지 분야와 비교한 로그 오즈(정보적 디리클레 사전분포,
#   Monroe et al. 2008)의 z가 3 이상인 역량.
# - 기업은 개인이 아니지만 기업별 공고 수도 최소 공고 수 기준으로 비공개 처리합니다(소규모
#   기업의 채용 규모는 영업 정보이고, 가명 기업 ID도 규모·지역과 결합하면 식별될 수 있음).

# %%
# ruff: noqa: E402, B018 - a notebook: imports after the parameters, tables shown by value
from pathlib import Path

import polars as pl
from IPython.display import display

from talentlib import competencies as comp
from talentlib import datasets, labels, privacy, report, taxonomy, viz
from talentlib.postings import tagger as tg

rules = privacy.DisclosureRules.from_parameters(globals())  # the disclosure parameters above
data = datasets.ensure(data_dir, scale)
cache = Path(cache_dir) if cache_dir else tg.default_cache_dir()
field_ko = taxonomy.label("strategic_tech", field, level="field")
index = comp.select_postings(data, sources=sources, formats=formats)
print(f"분야: {field_ko} ({field}) · 데이터: {data} · 공고 {index.height:,}건(전 분야)")

# %% [markdown]
# ## 1. 공고 읽기와 추출
# 읽지 못한 파일은 사유와 함께 격리됩니다(입력 = 읽은 공고 + 격리).

# %%
# ingest → tags and rules (in the posting's field: ADC in a chip posting is a converter, not an
# antibody) → job family; in a batch run the first field reads all postings, the others reuse it
read = comp.read_postings(data, index, cache_dir=cache, llm=llm if use_llm else None)
ingested, extracted, tagger = read.ingested, read.extracted, read.tagger
df = comp.posting_frame(index, extracted, read.families, period=period)
pl.DataFrame([ingested.summary() | {"by_method": str(ingested.summary()["by_method"])}]).rename(
    {"files": "파일", "postings": "읽은 공고", "quarantined": "격리", "cached": "캐시",
     "seconds": "초", "by_method": "읽은 방식"}
).drop("by_reason")  # fmt: skip

# %% [markdown]
# ## 2. 인력 수요: 직무·기업 규모·학력·전공·경력

# %%
demand = comp.demand_tables(df, field, rules)
jobs = labels.labelled(demand["postings_by_job_family"].table, "job_family")
charts = {}
charts["postings_by_job_family"] = viz.bar(
    jobs.sort("postings", descending=True, nulls_last=True), "postings", "job_family_ko",
    title=f"{field_ko}: 직무별 채용공고 수", x_title="공고 수", y_title=None,
)  # fmt: skip
charts["postings_by_job_family"]

# %%
size = labels.labelled(
    viz.cells_with_remainder(
        demand["postings_by_job_family_company_type"], "job_family", "company_type", "postings"
    ), "job_family", "company_type",
)  # fmt: skip
viz.stacked_share(size, "job_family_ko", "company_type_ko", "postings", horizontal=True,
                  title=f"{field_ko}: 직무별 기업 규모 구성", x_title="직무",
                  color_title="기업 규모")  # fmt: skip

# %%
labels.labelled(demand["companies_by_company_type"].display("ko"), "company_type").join(
    labels.labelled(demand["postings_by_company_type"].display("ko"), "company_type"),
    on=["company_type", "company_type_ko"],
).select(
    "company_type_ko", pl.col("companies").alias("기업 수"), pl.col("postings").alias("공고 수")
)

# %%
edu = labels.labelled(demand["postings_by_education"].table, "education")
viz.bar(edu, "postings", "education_ko", title=f"{field_ko}: 최소 학력 요건별 공고 수",
        x_title="공고 수", y_title=None, sort=comp.education_order())  # fmt: skip

# %%
maj = labels.labelled(demand["postings_by_major"].table, "major")
viz.bar(maj.sort("postings", descending=True, nulls_last=True).head(top_n), "postings", "major_ko",
        title=f"{field_ko}: 요구 전공별 공고 수 (공고 하나가 여러 전공을 셀 수 있음)",
        x_title="공고 수", y_title=None)  # fmt: skip

# %%
exp = labels.labelled(demand["postings_by_experience"].table, "experience_band")
viz.bar(exp, "postings", "experience_band_ko", title=f"{field_ko}: 최소 경력 요건별 공고 수",
        x_title="공고 수", y_title=None, sort=comp.experience_order())  # fmt: skip

# %%
top_companies = labels.labelled(demand["postings_by_company"].display("ko"), "company_type")
top_companies.head(15)

# %% [markdown]
# ## 3. 요구 역량: 상위 역량과 직무별 역량

# %%
mine = df.filter(pl.col("field_code") == field)  # this field's postings, selected once
prev = comp.prevalence_table(mine, ["field_code"], top=top_n, rules=rules)
top = labels.labelled(prev.table, "code").filter(pl.col("code") != privacy.TOTAL)
charts["top_competencies"] = viz.bar(
    top.sort("n", descending=True, nulls_last=True), "n", "code_ko",
    title=f"{field_ko}: 가장 많이 요구되는 역량 (상위 {top_n})", x_title="공고 수", y_title=None,
)  # fmt: skip
charts["top_competencies"]

# %%
by_job = comp.prevalence_table(mine, ["field_code", "job_family"], top=5, rules=rules)
labels.labelled(by_job.display("ko"), "job_family", "code").select(
    "job_family_ko", "code_ko", pl.col("n").alias("공고 수"), pl.col("prevalence").alias("비율")
)

# %% [markdown]
# ### 택소노미에 없는 역량 (미매핑 언급)
# 공고가 요구하지만 역량 택소노미에 코드가 없는 표현을 정규화해 공고 수와 함께 보여 줍니다
# (개인정보는 가린 뒤 집계하고, 최소 공고 수 미만은 비공개). 택소노미 확장 후보는
# `talent taxonomy suggest`로 만듭니다.

# %%
print(f"역량 택소노미 버전: {taxonomy.version('competencies')} · 이 분야 역량 언급 중 코드 없는 비율: "
      f"{comp.unmapped_share(mine)}")  # fmt: skip
demand["unmapped_mentions"].table.sort("n", descending=True, nulls_last=True).head(top_n)

# %%
unmapped_cs = comp.common_vs_specific(df, level="unmapped")
unmapped_cs.filter((pl.col("field_code") == field) & (pl.col("role") != "other")).select(
    pl.col("code").alias("mention"), "role", "n", "prevalence", "z"
).sort("role", "z", descending=[False, True]).head(top_n)

# %% [markdown]
# ## 4. 공통 역량과 분야 특화 역량
# 가로축: 이 분야 공고 중 해당 역량을 요구하는 비율, 세로축: 다른 분야 대비 로그 오즈 z.
# 점선(z = 3) 위가 분야 특화 역량입니다.

# %%
cs = comp.common_vs_specific(df)
cs_tables = comp.common_specific_table(cs, field, df, top=top_n, rules=rules)
spec = labels.labelled(cs_tables["specific_competencies"].table, "code").drop_nulls("z")
viz.quadrant(spec, "prevalence", "z", "n", "code_ko", title=f"{field_ko}: 분야 특화 역량",
             x_title="요구 비율", y_title="로그 오즈 z (다른 분야 대비)", x_ref=0.0,
             y_ref=comp.CommonSpecificSettings().z_specific, size_title="공고 수")  # fmt: skip

# %%
common = labels.labelled(cs_tables["common_competencies"].table, "code")
viz.bar(common.sort("mean_prevalence", descending=True, nulls_last=True), "mean_prevalence",
        "code_ko", title="12대 분야 공통 역량 (분야 평균 요구 비율)", x_title="평균 요구 비율",
        y_title=None, fmt=".1%")  # fmt: skip

# %%
groups = comp.common_vs_specific(df, level="group")
labels.labelled(
    groups.filter((pl.col("field_code") == field) & (pl.col("role") != "other")), "code"
).select("code_ko", "role", "n", "prevalence", "z").sort("role", "z", descending=[False, True])

# %% [markdown]
# ## 5. 함께 요구되는 역량 (Jaccard 유사도)

# %%
co = comp.cooccurrence(df, field, top=top_n, rules=rules)  # each pair once; the brief lists the strongest
heat = labels.labelled(comp.symmetric_pairs(co.table), "code_a", "code_b").drop_nulls("jaccard")
viz.heatmap(
    heat, "code_a_ko", "code_b_ko", "jaccard", title=f"{field_ko}: 역량 동시 요구 (Jaccard)",
    x_title=None, y_title=None, value_title="Jaccard 유사도",
)  # fmt: skip

# %% [markdown]
# ## 6. 택소노미 밖 역량 후보 (LLM, 큐레이터 검토용; 공개 대상 아님)

# %%
if use_llm and tagger.llm is not None:
    display(comp.new_competency_candidates(tagger, ingested.postings, df, field, llm_max_lines))
else:
    print("LLM을 쓰지 않았습니다 (use_llm=False).")

# %% [markdown]
# ## 7. 핵심 수치와 저장

# %%
key_numbers = comp.key_numbers(df, field, demand, cs, ingested)
tables = {**demand, "top_competencies": prev, "competencies_by_job_family": by_job, **cs_tables,
          "cooccurrence": co}  # fmt: skip
if output_dir:
    out = Path(output_dir)
    report.save_tables(tables, out, notebook="02_job_analysis")
    report.record_key_numbers(out, key_numbers, notebook="02_job_analysis")
    for name, chart in charts.items():  # each chart draws the table of the same name
        report.save_chart(chart, out, name, sources=[name], notebook="02_job_analysis")
key_numbers
