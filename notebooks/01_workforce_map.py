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
bibliometrics_dir = None  # works folder (`talent openalex import --out`); None: the same as data_dir
# (bibliometrics_dir given, data_dir None: the global part only, no synthetic registers beside it)
output_dir = "outputs/notebook/01_workforce_map"  # key_numbers.json, tables/, charts/
min_count = 5  # disclosure: cells with 0 < n < min_count are suppressed
min_count_magnitude = 10
dominance_n = 2  # (n, k) dominance rule on magnitudes
dominance_k = 0.85
disclosure_method = "cell_key"  # cell_key (cell-key perturbation + complementary suppression) | suppression
cell_key_salt = None  # cell_key salt (None: this installation's secret, ~/.config/talentlib/cell_key_salt)
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
#
# 논문(세계) 자료는 `bibliometrics_dir`(예: `talent openalex import`로 가져온 실제 OpenAlex 폴더)에서,
# 국내 연구인력은 `data_dir`에서 읽습니다. 논문 폴더만 주면 세계 부분만 그립니다.

# %%
# ruff: noqa: E402, B018 - a notebook: imports after the parameters, charts shown by value
from pathlib import Path

import polars as pl
from IPython.display import display

from talentlib import datasets, labels, privacy, report, taxonomy, viz
from talentlib import workforce as wf

rules = privacy.DisclosureRules.from_parameters(globals())  # the disclosure parameters above
folders = datasets.ensure_folders(data_dir, bibliometrics_dir, scale)
data, bib = folders.registers, folders.bibliometrics
datasets.require(bib, ["publications", "authorships"], purpose="the workforce map")
spec = wf.MapSpec(
    field=field,
    years=(years[0], years[-1]),
    country=country,
    comparison_countries=tuple(comparison_countries),
    top_countries=top_countries,
    top_k_institutions=top_k_institutions,
    min_joint_papers=min_joint_papers,
)
# what all fields share (classified works, citation flags, country tables, activity panel):
# made once per batch run, read by every other field; truth_dir: the works' truth labels
world = wf.prepare_world(data, bib, years=spec.years, rules=rules, truth_dir=bib)
mt = wf.map_tables(world, spec, rules=rules)
field_ko = taxonomy.label("strategic_tech", field, level="field")
charts = viz.workforce_charts(mt, field_ko)
print(f"분야: {field_ko} ({field}), 기간: {years[0]}-{years[-1]}, 데이터: {data}"
      + (f", 논문: {bib}" if folders.separate else ""))
labels.display(pl.DataFrame([{"dataset": k, **v} for k, v in mt.quarantine.items()]))

# %% [markdown]
# ## 1. 분류: 논문과 과제를 12대 분야·50개 기술로
# 택소노미(`strategic_tech.yaml`)의 국·영문 키워드 규칙과 OpenAlex 주제 대응표로 분류합니다.
# 합성 자료에서는 정답 라벨과 비교한 정확도를 함께 보입니다.

# %%
pl.DataFrame(
    [
        {"대상": k, "분야 정확도": v["field_accuracy"], "기술 정확도": v["tech_accuracy"],
         "분류율": v["field_coverage"], "건수": v["n"]}
        for k, v in (mt.classification or {}).items()
    ]
)  # fmt: skip

# %% [markdown]
# ## 2. 세계 속 한국: 상위 10% 논문 점유율 순위

# %%
charts["country_top10_share"][0]

# %%
labels.display(mt.public["country_ranking"])

# %% [markdown]
# ## 3. 한국과 1위 국가의 격차 추이

# %%
charts["korea_vs_leader"][0]

# %%
labels.display(mt.public["korea_vs_leader"])

# %% [markdown]
# ## 4. 기술별 강점과 약점 (활동지수 × 상대 영향력)
# 활동지수(AI) > 1: 한국이 그 기술에 상대적으로 집중, 상대 영향력 > 1: 상위 10% 논문 비율이
# 세계 기준(10%)보다 높음. 분야 간 활동지수의 크기를 그대로 비교하지 마십시오.

# %%
charts["tech_strength_gap"][0]

# %%
labels.display(mt.public["activity_index"])

# %% [markdown]
# ## 5. 국제 공동연구와 국가 간 협력망
# 연관 강도(association strength) = 실제 공동 논문 수 / 우연히 기대되는 수 (1 = 우연 수준).
# 공동 논문이 기준 미만인 쌍은 표에서 표시됩니다.

# %%
charts["collaboration_network"][0]

# %%
display(labels.display(mt.public["collaboration"]), labels.display(mt.public["korea_partners"]))

# %% [markdown]
# ## 6. 핵심 기관과 핵심 연구자 (분야 정규화 피인용 기준)
# 핵심 연구자 목록은 탐색용입니다: 저자 ID가 개인을 가리키므로 브리프에는 싣지 않습니다.

# %%
print(wf.DISAMBIGUATION_NOTE)
display(labels.display(mt.public["key_institutions"]), labels.display(wf.researchers_by_author(mt)))

# %% [markdown]
# ## 7. 연구 동향과 부상 주제

# %%
labels.display(mt.public["topic_trends"])

# %% [markdown]
# ## 8. 저자 이동과 국내 연구인력 (사람을 세는 표: 모두 공개 통제를 거침)
# 저자 이동(한국의 순유입)과, 과제 참여 연구자 자료가 있으면 국내 연구인력의 연도별 규모·구성·
# 연령 피라미드·기관 집중도·진입과 이탈·분야 간 중복. 비공개 셀은 `비공개`로 표시합니다.

# %%
for name, table in mt.tables.items():
    display(labels.table_title(name), labels.display(table))
if "headcount_growth" in mt.frames:
    display(labels.display(mt.frames["headcount_growth"]))

# %%
for name in ("pyramid", "institution_concentration"):
    if name in charts:
        display(charts[name][0])

# %% [markdown]
# ## 10. 핵심 수치와 공개 표 기록 (배치 수집용 `key_numbers.json`, 공개 통제 도장)

# %%
out = Path(output_dir)
key_numbers = wf.published_key_numbers(mt, rules)
report.save_tables(mt.tables, out, notebook="01_workforce_map")
report.record_key_numbers(out, key_numbers, notebook="01_workforce_map")
for name, (chart, sources) in charts.items():
    report.save_chart(chart, out, name, sources=sources, notebook="01_workforce_map",
                      public_data=None if sources else viz.PUBLIC_BIBLIOMETRICS)  # fmt: skip
print({k: key_numbers[k] for k in ("rank_top10", "top10_share", "leader", "gap_pp")})
