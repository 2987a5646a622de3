"""The competency taxonomy: counts per scope and field, unique codes and surface forms, valid
references, and the reference matcher that defines what a posting "mentions"."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from talentlib import taxonomy
from talentlib.postings.matcher import competency_matcher, surface_forms

FIELDS = sorted(taxonomy.codes("strategic_tech", "field"))
KINDS = {"tool", "method", "knowledge", "certificate", "soft", "language"}
NCS_LEVELS = {"소분류", "세분류", "능력단위", "직업기초능력"}
NCS_DIGITS = {"소분류": 6, "세분류": 8, "능력단위": 10}


@pytest.fixture(scope="module")
def data() -> dict:
    return taxonomy.load("competencies")


def _key(form: str) -> str:
    return taxonomy.normalize_text(str(form)).replace(" ", "")


def test_versioned_and_loadable(data: dict) -> None:
    assert data["name"] == "competencies"
    assert data["version"] == "2026.1"
    assert taxonomy.versions()["competencies"] == "2026.1"
    df = taxonomy.table("competencies")
    assert {"code", "ko", "en", "scope", "field_code", "group", "synonyms", "ncs"} <= set(
        df.columns
    )


def test_counts_per_scope_and_field(data: dict) -> None:
    rows = data["codes"]
    common = [r for r in rows if r["scope"] == "common"]
    per_field = Counter(r["field_code"] for r in rows if r["scope"] == "field")
    assert len(common) >= 40
    for f in ("BATT", "SEMI", "AI"):
        assert per_field[f] >= 40, f
    for f in set(FIELDS) - {"BATT", "SEMI", "AI"}:
        assert per_field[f] >= 15, f
    assert set(per_field) == set(FIELDS)


def test_codes_unique_and_references_valid(data: dict) -> None:
    rows = data["codes"]
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    groups = {g["code"]: g for g in data["groups"]}
    assert len(groups) == len(data["groups"])
    for r in rows:
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", r["code"]), r["code"]
        assert r["ko"] and r["en"], r["code"]
        assert r["kind"] in KINDS, r["code"]
        g = groups[r["group"]]
        if r["scope"] == "common":
            assert r["field_code"] is None and r["code"].startswith("C-"), r["code"]
            assert g["scope"] == "common", r["code"]
        else:
            assert r["scope"] == "field", r["code"]
            assert r["field_code"] in FIELDS, r["code"]
            assert r["code"].startswith(r["field_code"] + "-"), r["code"]
            assert g.get("field_code") == r["field_code"], r["code"]
    used = {r["group"] for r in rows}
    assert used == set(groups), set(groups) - used


def test_ncs_references_are_well_formed(data: dict) -> None:
    with_ncs = 0
    for r in data["codes"]:
        ncs = r["ncs"]
        if ncs is None:
            continue
        with_ncs += 1
        assert ncs["level"] in NCS_LEVELS and ncs["name"], r["code"]
        if ncs["code"] is not None:
            assert ncs["code"].isdigit() and len(ncs["code"]) == NCS_DIGITS[ncs["level"]], r["code"]
    assert with_ncs >= 60  # languages, soft skills, IT, AI, semiconductors, security


def test_every_surface_form_belongs_to_exactly_one_code(data: dict) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for r in data["codes"]:
        syns = r["synonyms"]
        assert isinstance(syns, list) and syns, r["code"]
        for form in [r["ko"], r["en"], *syns]:
            assert str(form).strip(), r["code"]
            owners[_key(form)].add(r["code"])
    clashes = {k: sorted(v) for k, v in owners.items() if len(v) > 1}
    assert not clashes


def test_no_surface_form_is_a_field_name_or_boilerplate_word(data: dict) -> None:
    banned = {
        "이차전지",
        "배터리",
        "반도체",
        "디스플레이",
        "인공지능",
        "ai",
        "양자",
        "수소",
        "로봇",
        "바이오",
        "원자력",
        "통신",
        "보안",
        "발표",
        "개질",
        "soc",
        "can",
        "pm",
        "pi",
        "pr",
        "fa",
        "gan",
        "합격자발표",
        "연구개발",
        "communication",
        "fluent",
        "r",
    }
    for r in data["codes"]:
        for form in [r["ko"], r["en"], *r["synonyms"]]:
            assert _key(form) not in banned, (r["code"], form)


def test_brief_examples_map_where_expected() -> None:
    owner = {f: c for c, forms in surface_forms().items() for f in forms}
    expected = {
        "EIS": "BATT-EIS",
        "임피던스 분광법": "BATT-EIS",
        "electrochemical impedance spectroscopy": "BATT-EIS",
        "PyTorch": "AI-PYTORCH",
        "파이토치": "AI-PYTORCH",
        "CMP": "SEMI-CMP",
        "화학적 기계적 연마": "SEMI-CMP",
        "CV": "AI-CV",
        "BMS": "BATT-BMS",
        "Python": "C-PY",
        "ISO 9001": "C-ISO9001",
        "IATF 16949": "C-IATF",
        "6시그마": "C-SIXSIG",
        "TOEIC": "C-ENG",
    }
    for form, code in expected.items():
        assert owner[form] == code, form


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("황화물계 고체전해질 합성", {"BATT-SSE"}),  # longest wins over 전해질
        ("SoC 설계 및 검증", {"SEMI-SOC"}),
        ("SOC 추정 알고리즘", {"BATT-SOX"}),
        ("SoC설계 경험", {"SEMI-SOC"}),  # Hangul/Latin spacing optional
        ("C/C++ 및 Python3 능숙자", {"C-CPP", "C-PY"}),
        ("파이토치를 활용한 모델 개발", {"AI-PYTORCH"}),  # particles attach to Hangul forms
        ("Experience with batteries and EIS", {"BATT-EIS"}),
        ("R&D 센터, 최종 합격자 발표", set()),  # bare R and 발표 are no competency
        ("리튬 메탈 음극, 리튬메탈 전지", {"BATT-LIMETAL"}),
        ("EUV 노광 공정", {"SEMI-EUV"}),
        ("Fluent in English", {"C-ENG"}),
        ("OLED 증착 공정", {"SEMI-OLEDEV"}),
        ("PCR, qPCR 실험", {"BIO-PCR"}),
        ("Spark, Kafka 기반 파이프라인", {"AI-SPARK"}),
    ],
)
def test_reference_matcher(text: str, codes: set[str]) -> None:
    assert competency_matcher().codes(text) == codes


def test_matcher_reports_offsets_in_normalized_text() -> None:
    text = "우대: EIS 분석 경험"
    found = competency_matcher().find(text)
    norm = taxonomy.normalize_text(text)
    assert [(c, norm[s:e]) for c, s, e in found] == [("BATT-EIS", "eis")]
