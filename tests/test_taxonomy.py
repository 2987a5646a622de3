"""Taxonomy data (data_contracts/taxonomy/*.yaml) and its loader functions."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from talentlib import taxonomy as tx

FIELD_CODES = [
    "SEMI",
    "BATT",
    "MOBI",
    "NUCL",
    "BIO",
    "AERO",
    "H2",
    "CYBER",
    "AI",
    "COMM",
    "ROBOT",
    "QUANT",
]
TECHS_PER_FIELD = {
    "SEMI": 8,
    "BATT": 4,
    "MOBI": 3,
    "NUCL": 2,
    "BIO": 4,
    "AERO": 5,
    "H2": 3,
    "CYBER": 4,
    "AI": 4,
    "COMM": 5,
    "ROBOT": 5,
    "QUANT": 3,
}
MY_FILES = [
    "strategic_tech",
    "tech_level_2022",
    "industry",
    "occupation",
    "occupation_ksco",
    "field_industry",
    "field_occupation",
]
CODE_TABLES = [
    "industry",
    "occupation",
    "occupation_ksco",
    "degrees",
    "institution_types",
    "regions",
    "roles",
    "firm_size",
    "loss_reasons",
]
ACADEMIA_PUBLIC_TYPES = {"UNIV", "GRI", "NATLAB", "PUBLIC"}
CLASSIFICATIONS = Path("/work/shared/data/classifications")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


# ------------------------------------------------------------------ file format, versions


@pytest.mark.parametrize("name", MY_FILES)
def test_file_header(name):
    data = tx.load(name)
    assert data["name"] == name
    assert data["version"] == "2024.1"
    assert isinstance(data["source"], str) and data["source"].strip()


def test_versions_cover_every_file():
    v = tx.versions()
    on_disk = {p.stem for p in tx.taxonomy_dir().glob("*.yaml")}
    assert set(v) == on_disk
    assert set(MY_FILES) <= set(v)
    assert all(v[n] == "2024.1" for n in MY_FILES)


@pytest.mark.parametrize("name", CODE_TABLES)
def test_code_tables_are_well_formed(name):
    rows = tx.load(name)["codes"]
    codes = [r["code"] for r in rows]
    assert all(isinstance(c, str) and c for c in codes), (
        "codes must be non-empty strings (quote numbers)"
    )
    assert len(codes) == len(set(codes))
    assert all(isinstance(r["ko"], str) and r["ko"].strip() == r["ko"] and r["ko"] for r in rows)
    assert all("  " not in r["ko"] for r in rows)
    df = tx.table(name)
    assert df["code"].dtype == pl.String and df.height == len(rows)


# ------------------------------------------------------------------ strategic technologies


def test_twelve_fields_in_seed_order():
    f = tx.fields()
    assert f["code"].to_list() == FIELD_CODES
    assert dict(zip(f["code"], f["ko"], strict=True)) == {
        "SEMI": "반도체·디스플레이",
        "BATT": "이차전지",
        "MOBI": "첨단 모빌리티",
        "NUCL": "차세대 원자력",
        "BIO": "첨단 바이오",
        "AERO": "우주항공·해양",
        "H2": "수소",
        "CYBER": "사이버 보안",
        "AI": "인공지능",
        "COMM": "차세대 통신",
        "ROBOT": "첨단로봇·제조",
        "QUANT": "양자",
    }
    groups = dict(zip(f["code"], f["group"], strict=True))
    assert {c for c, g in groups.items() if g == "leading"} == {"SEMI", "BATT", "COMM"}
    assert {c for c, g in groups.items() if g == "future_challenge"} == {"QUANT", "AERO", "H2"}
    assert f["en"].null_count() == 0 and (f["en"].str.len_chars() > 1).all()


def test_fifty_technologies_with_seed_names():
    t = tx.technologies()
    assert t.height == 50
    assert t["code"].n_unique() == 50
    assert dict(Counter(t["field_code"].to_list())) == TECHS_PER_FIELD
    for r in t.iter_rows(named=True):
        assert re.fullmatch(rf"{r['field_code']}-\d\d", r["code"]), r["code"]
    for f in FIELD_CODES:  # numbered 01, 02, ... in seed order
        got = t.filter(pl.col("field_code") == f)["code"].to_list()
        assert got == [f"{f}-{i:02d}" for i in range(1, TECHS_PER_FIELD[f] + 1)]
    names = dict(zip(t["code"], t["ko"], strict=True))
    assert names["SEMI-01"] == "고집적·저항기반 메모리"
    assert names["SEMI-08"] == "반도체·디스플레이 소재·부품·장비"
    assert names["BATT-01"] == "리튬이온전지 및 핵심소재"
    assert names["NUCL-01"] == "소형 모듈형 원자로(SMR)"
    assert names["AI-02"] == "첨단 AI모델링·의사결정(인지·판단·추론)"
    assert names["AI-04"] == "산업 활용용·혁신 AI"
    assert names["COMM-04"] == "오픈랜(Open-RAN)"
    assert names["ROBOT-01"] == "로봇 정밀제어·구동 부품·SW"
    assert names["QUANT-03"] == "양자센싱"
    assert t["en"].null_count() == 0
    assert tx.label("strategic_tech", "BATT-01", "en") == "Lithium-ion batteries and key materials"
    assert tx.label("strategic_tech", "BATT") == "이차전지"


def test_budgets_match_seed():
    f = tx.fields()
    b = {
        r["code"]: (r["budget_2023_eokwon"], r["budget_2024_eokwon"])
        for r in f.iter_rows(named=True)
    }
    assert b["AI"] == (7051, 7772)
    assert b["BIO"] == (8288, 9772)
    assert b["QUANT"] == (1080, 1252)
    assert b["AERO"] == (7508, 8362)
    assert b["BATT"] == (1114, 1364)
    assert b["CYBER"] == (1653, 1904)
    assert all(b[c] == (None, None) for c in ("SEMI", "MOBI", "NUCL", "H2", "COMM", "ROBOT"))
    # the seed's growth rates follow from the two years
    growth = {"AI": 10.2, "BIO": 17.9, "QUANT": 15.9, "AERO": 11.4, "BATT": 22.4, "CYBER": 15.2}
    for c, pct in growth.items():
        assert round(100 * (b[c][1] / b[c][0] - 1), 1) == pct, c


# ------------------------------------------------------------------ keywords

GENERIC = {
    "ai",
    "인공지능",
    "system",
    "시스템",
    "data",
    "데이터",
    "반도체",
    "semiconductor",
    "센서",
    "sensor",
    "battery",
    "배터리",
    "이차전지",
    "robot",
    "로봇",
    "quantum",
    "양자",
    "수소",
    "hydrogen",
    "보안",
    "security",
    "통신",
    "communication",
    "network",
    "네트워크",
    "model",
    "모델",
    "deep learning",
    "딥러닝",
    "machine learning",
    "머신러닝",
    "algorithm",
    "알고리즘",
    "디스플레이",
    "display",
    "vehicle",
    "차량",
    "engine",
    "엔진",
    "바이오",
    "bio",
    "원자력",
    "nuclear",
    "우주",
    "space",
    "위성",
    "satellite",
    "design",
    "설계",
    "optimization",
    "최적화",
    "material",
    "소재",
    "energy",
    "에너지",
    "platform",
    "플랫폼",
}


def test_keyword_lists_per_technology():
    for r in tx.technologies().iter_rows(named=True):
        ko, en = r["keywords_ko"], r["keywords_en"]
        assert 5 <= len(ko) <= 12 and 5 <= len(en) <= 12, r["code"]
        assert all(isinstance(k, str) and k.strip() == k and k for k in ko + en)
        assert all(HANGUL.search(k) for k in ko), (r["code"], ko)
        assert not any(HANGUL.search(k) for k in en), (r["code"], en)
        norm = [tx.normalize_text(k) for k in ko + en]
        assert len(norm) == len(set(norm)), r["code"]
        assert not GENERIC & set(norm), (r["code"], GENERIC & set(norm))
        topics = r["openalex_topics"]
        assert 2 <= len(topics) <= 4 and all(isinstance(x, str) and x for x in topics)


def test_no_keyword_crosses_fields():
    """A keyword of one field never matches (is never contained in) a keyword of another field."""
    kw = tx.tech_keywords().to_dicts()
    clashes = [
        (a["tech_code"], a["keyword"], b["tech_code"], b["keyword"])
        for a in kw
        for b in kw
        if a["field_code"] != b["field_code"] and tx.keyword_in(a["keyword"], b["keyword"])
    ]
    assert clashes == []


def test_tech_keywords_frame():
    kw = tx.tech_keywords()
    assert kw.columns == ["tech_code", "field_code", "lang", "keyword"]
    n = sum(
        len(r["keywords_ko"]) + len(r["keywords_en"])
        for r in tx.technologies().iter_rows(named=True)
    )
    assert kw.height == n
    assert tx.tech_keywords("ko")["lang"].unique().to_list() == ["ko"]
    assert kw["tech_code"].n_unique() == 50
    with pytest.raises(ValueError):
        tx.tech_keywords("de")


def test_keyword_in_rules():
    assert tx.keyword_in("리튬이온", "고니켈 리튬 이온 전지의 수명")  # Hangul: spaces ignored
    assert tx.keyword_in("고체 전해질", "황화물계 고체전해질 계면")
    assert tx.keyword_in("through-silicon via", "Through silicon via reliability")  # hyphen = space
    assert tx.keyword_in("sensor", "Flexible gas sensors")  # plural
    assert tx.keyword_in("battery", "Solid-state batteries")
    assert tx.keyword_in("NPU", "An NPU for edge inference")
    assert not tx.keyword_in("NPU", "input layer")  # word boundary
    assert not tx.keyword_in("OLED", "microLED arrays")
    assert not tx.keyword_in("6G", "16GB memory")
    assert tx.keyword_in("6G", "6G 통신을 위한 테라헤르츠")


def _classify(text: str, kw: list[dict]) -> list[str]:
    """Longest matching keyword wins (the rule documented in strategic_tech.yaml)."""
    best: dict[str, int] = {}
    for r in kw:
        if tx.keyword_in(r["keyword"], text):
            n = len(tx.normalize_text(r["keyword"]).replace(" ", ""))
            best[r["tech_code"]] = max(best.get(r["tech_code"], 0), n)
    top = max(best.values(), default=0)
    return sorted(t for t, n in best.items() if n == top)


def test_technology_names_classify_to_themselves():
    kw = tx.tech_keywords().to_dicts()
    for r in tx.technologies().iter_rows(named=True):
        assert _classify(r["ko"], kw) == [r["code"]], r["ko"]


@pytest.mark.parametrize(
    "title,tech",
    [
        ("고니켈 NCM 양극재 표면 코팅을 통한 리튬이온전지 수명 향상", "BATT-01"),
        ("황화물계 고체전해질 기반 전고체전지의 계면 안정화", "BATT-02"),
        ("Thermal runaway propagation in lithium-ion battery packs", "BATT-03"),
        ("Heterogeneous integration of chiplets using Cu-Cu hybrid bonding", "SEMI-03"),
        ("SiC MOSFET 기반 전력반도체 모듈의 열 신뢰성", "SEMI-04"),
        ("Micro-LED mass transfer using laser lift-off", "SEMI-06"),
        ("LiDAR-based 3D object detection for autonomous driving", "MOBI-01"),
        ("사용후핵연료 건식저장 용기의 열해석", "NUCL-02"),
        ("CRISPR 기반 CAR-T 세포치료제 개발", "BIO-02"),
        ("누리호 액체로켓엔진 터보펌프 성능시험", "AERO-01"),
        ("PEM 수전해용 이리듐 촉매의 산소발생반응 활성", "H2-01"),
        ("Post-quantum cryptography for constrained IoT devices", "CYBER-03"),
        ("Knowledge distillation for on-device large language models", "AI-01"),
        ("O-RAN 기반 RAN intelligent controller xApp 설계", "COMM-04"),
        ("Digital twin-based virtual commissioning of robotic work cells", "ROBOT-05"),
        ("Quantum key distribution over 100 km of deployed fiber", "QUANT-02"),
    ],
)
def test_example_titles(title, tech):
    assert _classify(title, tx.tech_keywords().to_dicts()) == [tech]


# ------------------------------------------------------------------ technology levels 2022


def test_tech_levels_2022():
    tl = tx.tech_levels()
    assert tl.columns == ["field_code", "country", "level", "gap_years", "rank"]
    assert tl.schema["level"] == pl.Float64 and tl.schema["rank"] == pl.Int64
    assert tl.height == 60
    assert set(tl["field_code"]) == set(FIELD_CODES)
    assert (
        tl.group_by("field_code").agg(pl.col("country").sort())["country"].to_list()
        == [["CN", "EU", "JP", "KR", "US"]] * 12
    )
    kr = {r["field_code"]: r for r in tl.filter(pl.col("country") == "KR").iter_rows(named=True)}
    assert (kr["SEMI"]["level"], kr["SEMI"]["gap_years"], kr["SEMI"]["rank"]) == (89.0, 1.3, 2)
    assert (kr["BATT"]["level"], kr["BATT"]["gap_years"], kr["BATT"]["rank"]) == (100.0, 0.0, 1)
    assert (kr["QUANT"]["level"], kr["QUANT"]["gap_years"], kr["QUANT"]["rank"]) == (65.8, 4.2, 5)
    assert (kr["AERO"]["level"], kr["AERO"]["gap_years"], kr["AERO"]["rank"]) == (55.0, 11.8, 5)
    assert all(1 <= r["rank"] <= 5 for r in kr.values())
    assert tl.filter(pl.col("country") != "KR")["rank"].null_count() == 48
    other = {
        (r["field_code"], r["country"]): (r["level"], r["gap_years"])
        for r in tl.iter_rows(named=True)
    }
    assert other[("BATT", "JP")] == (97.3, 0.1)
    assert other[("QUANT", "CN")] == (91.9, 0.8)
    assert other[("MOBI", "EU")] == (97.5, 0.4)
    for f in FIELD_CODES:
        sub = tl.filter(pl.col("field_code") == f)
        assert sub["level"].max() == 100.0  # a leader in every field
        assert (sub.filter(pl.col("level") == 100.0)["gap_years"] == 0.0).all()
        # Korea's stated rank agrees with the levels (ties share the better rank)
        k = kr[f]["level"]
        assert kr[f]["rank"] == 1 + sub.filter(pl.col("level") > k).height, f
    assert tx.load("tech_level_2022")["korea_average_level_reported"] == 81.7


# ------------------------------------------------------------------ classification trees


def _level_counts(name):
    return dict(Counter(int(r["level"]) for r in tx.load(name)["codes"]))


def _check_tree(name):
    rows = tx.load(name)["codes"]
    by = {r["code"]: r for r in rows}
    for r in rows:
        if r["level"] == 1:
            assert r["parent"] is None
        else:
            p = by[r["parent"]]
            assert p["level"] == r["level"] - 1
            if p["level"] >= 2 or name != "industry":
                assert r["code"].startswith(p["code"]), r["code"]


def test_industry_tree():
    assert _level_counts("industry") == {1: 21, 2: 77, 3: 234, 4: 501, 5: 1205}
    _check_tree("industry")
    sections = tx.table("industry", 1)
    assert sections.height == 21 and sections["code"].to_list() == list("ABCDEFGHIJKLMNOPQRSTU")
    assert not sections["ko"].str.contains(r"[()~]").any()
    assert tx.label("industry", "B") == "광업" and tx.label("industry", "C") == "제조업"
    assert tx.label("industry", "F") == "건설업"
    assert tx.label("industry", "261") == "반도체 제조업"
    assert tx.label("industry", "701") == "자연과학 및 공학 연구개발업"
    assert tx.label("industry", "28202") == "운송장비용 이차전지 제조업"
    en = tx.table("industry").filter(pl.col("level") <= 2)["en"]
    assert en.null_count() == 0
    assert tx.label("industry", "C", "en") == "Manufacturing"
    assert len(tx.codes("industry", 5)) == 1205


def test_occupation_trees():
    assert _level_counts("occupation") == {1: 10, 2: 35, 3: 139, 4: 493}
    _check_tree("occupation")
    assert tx.table("occupation").filter(pl.col("level") <= 2)["en"].null_count() == 0
    assert tx.label("occupation", "1532") == "반도체공학 기술자 및 연구원"
    assert tx.label("occupation", "2111") == "대학 교수"
    assert _level_counts("occupation_ksco") == {1: 10, 2: 57, 3: 167}
    _check_tree("occupation_ksco")
    assert tx.label("occupation_ksco", "A") == "군인"


@pytest.mark.skipif(
    not CLASSIFICATIONS.is_dir(), reason="source classification trees not available"
)
@pytest.mark.parametrize(
    "name,src,maxlevel",
    [("industry", "ksic", 5), ("occupation", "keco", 4), ("occupation_ksco", "ksco", 3)],
)
def test_trees_match_source(name, src, maxlevel):
    tree = [
        x
        for x in json.loads((CLASSIFICATIONS / f"{src}-tree.json").read_text(encoding="utf-8"))
        if x["level"] <= maxlevel
    ]
    rows = tx.load(name)["codes"]
    assert [(r["code"], r["level"], r["parent"]) for r in rows] == [
        (x["code"], x["level"], x["parent"]) for x in tree
    ]
    same = sum(r["ko"] == x["name"] for r, x in zip(rows, tree, strict=True))
    assert same >= len(rows) - 25  # only section names and stray spaces were cleaned


def test_hierarchy_helpers():
    up = tx.parent_map("industry", 2)
    assert up["28202"] == "28" and up["28"] == "28" and "C" not in up
    assert tx.parent_map("industry", 1)["26111"] == "C"
    assert len(tx.parent_map("industry", 5)) == 1205
    assert tx.parent_map("occupation", 2)["1532"] == "15"
    assert tx.descendants("industry", "282", 5) == {"28201", "28202", "28209"}
    assert tx.descendants("industry", ["261"]) == {
        "261",
        "2611",
        "2612",
        "26111",
        "26112",
        "26121",
        "26129",
    }
    assert len(tx.descendants("industry", "C", 5)) > 400
    with pytest.raises(KeyError):
        tx.descendants("industry", "9999")
    s = pl.Series(["26111", "70121"]).replace_strict(tx.parent_map("industry", 1))
    assert s.to_list() == ["C", "M"]


# ------------------------------------------------------------------ field crosswalks


def _weights_ok(entries, what):
    w = [e["weight"] for e in entries]
    assert all(isinstance(x, float | int) and x > 0 for x in w), what
    assert abs(sum(w) - 1) <= 0.02, (what, sum(w))
    codes = [str(e["code"]) for e in entries]
    assert len(codes) == len(set(codes)), what


def test_field_industry_file():
    data = tx.load("field_industry")
    assert list(data["fields"]) == FIELD_CODES
    industry = {r["code"]: r for r in tx.load("industry")["codes"]}
    for f, spec in data["fields"].items():
        own = spec["own_industries"]
        assert own, f
        for e in own:
            assert isinstance(e["code"], str) and e["code"] in industry, (f, e)
            assert 2 <= e["level"] <= 5 and industry[e["code"]]["level"] == e["level"], (f, e)
            assert e["ko"] == industry[e["code"]]["ko"]
        dest = spec["destinations"]
        assert 15 <= len(dest) <= 30, f
        _weights_ok(dest, f)
        for e in dest:
            assert isinstance(e["code"], str) and industry[e["code"]]["level"] == 5, (f, e)
            assert e["ko"] == industry[e["code"]]["ko"]
        for t, entries in (spec.get("academia_public") or {}).items():
            assert t in ACADEMIA_PUBLIC_TYPES
            _weights_ok(entries, (f, t))
            assert all(industry[e["code"]]["level"] == 5 for e in entries)
    assert set(data["academia_public"]) == ACADEMIA_PUBLIC_TYPES
    for t, entries in data["academia_public"].items():
        _weights_ok(entries, t)
        assert all(industry[str(e["code"])]["level"] == 5 for e in entries)
    univ = {e["code"] for e in data["academia_public"]["UNIV"]}
    assert {"85301", "85302"} <= univ
    assert ACADEMIA_PUBLIC_TYPES <= tx.codes("institution_types")


def test_field_industry_is_plausible():
    for f in FIELD_CODES:
        own = tx.own_industry_codes(f)
        assert own and all(len(c) == 5 for c in own)
        dest = tx.field_industries(f)
        share = dest.filter(pl.col("code").is_in(list(own)))["weight"].sum()
        assert 0.25 <= share <= 0.9, (f, share)  # mostly own industries, with a realistic tail
        assert dest.filter(pl.col("code").str.starts_with("70"))["weight"].sum() < 0.35
    assert "28202" in tx.own_industry_codes("BATT")
    assert {"26111", "26112"} <= tx.own_industry_codes("SEMI")
    assert tx.own_industry_codes("SEMI", 3) >= {"261"}


def test_field_occupation_file():
    data = tx.load("field_occupation")
    assert list(data["fields"]) == FIELD_CODES
    occ = {r["code"]: r for r in tx.load("occupation")["codes"]}
    degrees = tx.codes("degrees")

    def check(entries, what):
        _weights_ok(entries, what)
        for e in entries:
            assert isinstance(e["code"], str) and occ[e["code"]]["level"] == 4, (what, e)
            assert e["ko"] == occ[e["code"]]["ko"]
            assert e.get("min_degree") is None or e["min_degree"] in degrees, (what, e)

    for f, spec in data["fields"].items():
        dest = spec["destinations"]
        assert 10 <= len(dest) <= 25, f
        check(dest, f)
        research = sum(e["weight"] for e in dest if e["code"].startswith("1"))
        assert research >= 0.5, (f, research)  # mostly 연구직 및 공학기술직
        for t, entries in (spec.get("academia_public") or {}).items():
            assert t in ACADEMIA_PUBLIC_TYPES
            check(entries, (f, t))
    assert set(data["academia_public"]) == ACADEMIA_PUBLIC_TYPES
    for t, entries in data["academia_public"].items():
        check(entries, t)
    # professors only at universities, with a doctorate
    for t, entries in data["academia_public"].items():
        for e in entries:
            if e["code"] == "2111":
                assert t == "UNIV" and e["min_degree"] == "PHD"


def test_field_occupation_fits_field():
    d = tx.field_occupations()
    top = d.sort("weight", descending=True).group_by("field_code", maintain_order=True).first()
    top = dict(zip(top["field_code"], top["code"], strict=True))
    assert top["SEMI"] == "1532"  # 반도체공학 기술자 및 연구원
    assert top["BIO"] == "1221"  # 생명과학 연구원
    assert top["CYBER"] == "1342"  # 정보 보안 전문가
    assert top["ROBOT"] == "1512"  # 로봇공학 기술자 및 연구원
    assert top["QUANT"] == "1211"  # 자연과학 연구원
    assert (
        "8352" in d.filter(pl.col("field_code") == "BATT")["code"].to_list()
    )  # 전지 제조 기계 조작원


def test_crosswalk_loaders():
    own = tx.field_industries(kind="own")
    assert own.columns == ["field_code", "employer_type", "code", "level", "ko", "weight", "note"]
    assert own["weight"].null_count() == own.height and set(own["field_code"]) == set(FIELD_CODES)
    dest = tx.field_industries()
    sums = dest.group_by("field_code").agg(pl.col("weight").sum())
    assert sums.height == 12 and ((sums["weight"] - 1).abs() <= 0.02).all()
    assert (dest["level"] == 5).all()
    ap = tx.field_industries("SEMI", "academia_public")
    assert set(ap["employer_type"]) == ACADEMIA_PUBLIC_TYPES
    # SEMI lists its own GRI industries; UNIV falls back to the default
    default = tx.academia_public_default("field_industry")
    assert (
        ap.filter(pl.col("employer_type") == "UNIV")["code"].to_list()
        == default.filter(pl.col("employer_type") == "UNIV")["code"].to_list()
    )
    assert ap.filter(pl.col("employer_type") == "GRI")["code"].to_list()[0] == "70121"
    all_ap = tx.field_industries(kind="academia_public")
    per = all_ap.group_by("field_code", "employer_type").agg(pl.col("weight").sum())
    assert per.height == 48 and ((per["weight"] - 1).abs() <= 0.02).all()

    occ = tx.field_occupations("BATT")
    assert occ.columns == ["field_code", "employer_type", "code", "ko", "weight", "min_degree"]
    assert set(occ["field_code"]) == {"BATT"} and occ["employer_type"].null_count() == occ.height
    occ_ap = tx.field_occupations(kind="academia_public")
    per = occ_ap.group_by("field_code", "employer_type").agg(pl.col("weight").sum())
    assert per.height == 48 and ((per["weight"] - 1).abs() <= 0.02).all()
    bio_gri = occ_ap.filter((pl.col("field_code") == "BIO") & (pl.col("employer_type") == "GRI"))
    assert bio_gri.sort("weight", descending=True)["code"][0] == "1221"
    assert (
        set(tx.academia_public_default("field_occupation")["employer_type"])
        == ACADEMIA_PUBLIC_TYPES
    )

    with pytest.raises(KeyError):
        tx.field_industries("XX")
    with pytest.raises(ValueError):
        tx.field_industries(kind="own_industries")
    with pytest.raises(ValueError):
        tx.field_occupations(kind="own")
    with pytest.raises(ValueError):
        tx.academia_public_default("industry")


def test_contract_references_resolve():
    """The code levels that data contracts point at exist and are non-empty."""
    assert len(tx.codes("industry", 5)) == 1205
    assert len(tx.codes("occupation", 4)) == 493
    assert len(tx.codes("strategic_tech", "field")) == 12
    assert len(tx.codes("strategic_tech", "technology")) == 50
