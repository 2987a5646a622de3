"""Tests for talentlib.postings.sections and .rules: headings in many styles, tricky phrases."""

from __future__ import annotations

import polars as pl
import pytest

from talentlib import taxonomy
from talentlib.postings import extract_rules, segment
from talentlib.postings import rules as R
from talentlib.postings.sections import SECTIONS, classify_heading, segment_text

# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------

HEADINGS = [
    ("[자격요건]", "requirements"),
    ("[자격 요건]", "requirements"),
    ("■ 필수 요건", "requirements"),
    ("◆ 우대사항", "preferred"),
    ("※ 우대 사항 :", "preferred"),
    ("1. 주요업무", "duties"),
    ("2) 담당 업무", "duties"),
    ("가. 지원자격", "requirements"),
    ("【모집부문】", "position"),
    ("< 근무지역 >", "location"),
    ("Qualifications", "requirements"),
    ("Preferred Qualifications:", "preferred"),
    ("What you'll do", "duties"),
    ("What You’ll Do", "duties"),
    ("About us", "company"),
    ("How to apply", "application"),
    ("▶ 접수방법", "application"),
    ("Ⅲ. 자격요건", "requirements"),
    ("혜택 및 복지", "benefits"),
    ("전형절차", "process"),
    ("근무조건", "conditions"),
    ("|자격요건]", "requirements"),  # OCR: "[" read as "|"
    ("자격요갼", "requirements"),  # OCR: one vowel wrong
    ("우대사힝", "preferred"),
    ("주요 엽무", "duties"),
]


@pytest.mark.parametrize(("line", "section"), HEADINGS)
def test_heading_variants_open_their_section(line: str, section: str) -> None:
    text = f"{line}\n내용 한 줄"
    assert segment_text(text) == [(section, 2, "내용 한 줄")]


@pytest.mark.parametrize(
    "line",
    ["경험", "Python", "배터리 셀 설계 경험", "3년 이상", "기계학습 모델 개발", "리튬이온 배터리"],
)
def test_content_lines_are_not_headings(line: str) -> None:
    assert classify_heading(line) is None
    assert segment_text(f"[주요업무]\n{line}") == [("duties", 2, line)]


def test_inline_heading_content_and_field_lines_inside_a_list() -> None:
    text = "\n".join(
        [
            "회사명 채용",
            "학력: 석사 이상",
            "[자격요건]",
            "- 경력: 3년 이상",
            "- 리튬이온 셀 설계 경험",
            "근무지 | 경기 화성시",
            "  연봉 : 협의",
        ]
    )
    assert segment_text(text) == [
        ("other", 1, "회사명 채용"),
        ("education", 2, "석사 이상"),
        ("experience", 4, "3년 이상"),
        ("requirements", 5, "리튬이온 셀 설계 경험"),
        ("location", 6, "경기 화성시"),
        ("salary", 7, "협의"),
    ]


OCR_NOISY = """[자격요건]
ㆍ 분산학습 관련 경력 7년 이상
mw 학력
4년제 대학 졸업(예정)자
wae
기계공학 전공자
0 근무 조건
6 급여: 연봉 77300~8,100만원
(> 전공분야: 전기전자공학 등 관련 전공
[경력사항]
3+ years of experience"""


def test_ocr_repairs_garbled_headings_only_for_ocr_text() -> None:
    got = segment_text(OCR_NOISY, ocr=True)
    assert got == [
        ("requirements", 2, "분산학습 관련 경력 7년 이상"),
        ("education", 4, "4년제 대학 졸업(예정)자"),
        ("other", 6, "기계공학 전공자"),  # "wae" was a heading: not education any more
        ("salary", 8, "연봉 77300~8,100만원"),
        ("major", 9, "전기전자공학 등 관련 전공"),
        ("experience", 11, "3+ years of experience"),
    ]
    plain = segment_text(OCR_NOISY)
    assert ("requirements", 3, "mw 학력") in plain and ("requirements", 5, "wae") in plain
    frame = pl.DataFrame(
        {"posting_id": ["o", "t"], "text": [OCR_NOISY] * 2, "method": ["ocr", "text"]}
    )
    seg = segment(frame)
    assert seg.filter(pl.col("posting_id") == "o").rows() == [("o", *r) for r in got]
    rules = {r["posting_id"]: r for r in extract_rules(seg).to_dicts()}
    assert rules["o"]["education"] == "BACHELOR" and rules["o"]["majors"] == ["EE"]
    assert (rules["o"]["salary_min"], rules["o"]["salary_max"]) == (7300, 8100)


def test_segment_frame_shape_and_many_postings() -> None:
    df = pl.DataFrame(
        {
            "posting_id": ["a", "b", "c"],
            "text": ["[주요업무]\n• 셀 설계\n\n[우대사항]\n• 박사", "", None],
        }
    )
    out = segment(df)
    assert out.schema == pl.Schema(
        {"posting_id": pl.String, "section": pl.String, "line_no": pl.Int32, "text": pl.String}
    )
    assert out.rows() == [("a", "duties", 2, "셀 설계"), ("a", "preferred", 5, "박사")]
    assert set(out["section"]) <= set(SECTIONS)
    assert segment("").height == 0
    with pytest.raises(ValueError, match="text"):
        segment(pl.DataFrame({"posting_id": ["a"]}))


# --------------------------------------------------------------------------------------------
# Rules: a table of tricky phrases, with OCR-noised variants
# --------------------------------------------------------------------------------------------

EDUCATION = [
    ("석사 이상", "MASTER"),
    ("학사 이상(석사 우대)", "BACHELOR"),
    ("학사 이상, 석사 우대", "BACHELOR"),
    ("학력무관", "ANY"),
    ("학력: 무관 (석사 우대)", "ANY"),
    ("대졸 이상", "BACHELOR"),
    ("4년제 대학 졸업(예정)자", "BACHELOR"),
    ("초대졸 이상", "ASSOC"),
    ("전문학사 이상", "ASSOC"),
    ("2~3년제 대학 졸업", "ASSOC"),
    ("고졸 이상", "HS"),
    ("석·박사 학위 소지자", "MASTER"),
    ("박사 학위 소지자 또는 석사 학위 후 경력 3년 이상", "MASTER"),
    ("석사 이상 또는 학사 학위 후 경력 5년 이상", "BACHELOR"),
    ("박사 학위 소지자", "PHD"),
    ("Bachelor's degree in Chemical Engineering; Master's preferred", "BACHELOR"),
    ("MS or PhD in Electrical Engineering", "MASTER"),
    ("BS/MS in Computer Science", "BACHELOR"),
    ("MS or PhD preferred", None),
    ("MS Office 활용 가능자", None),
    ("PhD in Materials Science required", "PHD"),
    ("Ph.D. degree", "PHD"),
    ("No degree requirement", "ANY"),
    ("무관 (관련 전공 (통계학과, 수학))", "ANY"),
    ("대졸(2~3년) 이상", "ASSOC"),
    ("대학교(4년) 졸업 이상", "BACHELOR"),
    # Latin abbreviations need word boundaries and a degree context
    ("Protocol 이해: AMBA, PCIe 중 1개 이상 실무 경험", None),
    ("AWS 보안 서비스(GuardDuty, Security Hub, KMS) 운영 경험", None),
    ("학력: BS, MS", "BACHELOR"),
    ("B.A. in Economics", "BACHELOR"),
    # The least demanding alternative; study that counts as experience is no degree
    ("석사 이상 또는 학사 + 경력 3년", "BACHELOR"),
    ("석사 이상, 또는 학사 학위 취득 후 관련 경력 3년 이상", "BACHELOR"),
    ("관련 분야 3년 경력 또는 석사 학위 소지자", None),
    ("석사 이상 또는 이에 준하는 역량", "MASTER"),
    ("원자력공학 또는 기계공학 석사 이상, 관련 경력 2년 이상", "MASTER"),
    ("BS/MS in EE or CS with 8+ years of experience", "BACHELOR"),
    ("이차전지 소재 연구 경력 2년 이상 (석사 과정 포함)", None),
    ("항체 연구 경력 2년 이상 (석·박사 과정 포함)", None),
    ("전기·전자 관련 학과 졸업, 경력 4년↑ (석사는 2년↑)", None),  # a path for holders
    ("석사 학위 소지자는 신입 지원 가능", None),
    # OCR noise: spaces inside words, a lost bracket
    ("석 사 이 상", "MASTER"),
    ("학사이상 (석사우대", "BACHELOR"),
    ("학 력 무 관", "ANY"),
]


@pytest.mark.parametrize(("text", "expected"), EDUCATION)
def test_education_level(text: str, expected: str | None) -> None:
    assert R.education_level(text) == expected


def test_education_codes_are_taxonomy_codes() -> None:
    assert set(R.DEGREE_RANK) == set(taxonomy.codes("degrees"))


def test_bare_any_counts_only_in_the_education_section() -> None:
    assert R.education_level("무관", section=True) == "ANY"
    assert R.education_level("무관") is None


EXPERIENCE = [
    ("신입", 0),
    ("경력 3년 이상", 3),
    ("3~5년", 3),
    ("경력 3~5년", 3),
    ("경력무관", None),
    ("무관", None),
    ("신입·경력 무관", None),
    ("신입/경력", 0),
    ("경력 3년 이상 (신입 지원 가능)", 0),
    ("경력 2년 이상 (5년 이상 우대)", 2),
    ("관련 경력 5년 이상 우대", None),
    ("경력 7년차 이상", 7),
    ("3+ years of experience", 3),
    ("at least 5 years of industry experience", 5),
    ("Minimum of 2 years experience with BMS", 2),
    ("3-5 years in battery cell design", 3),
    ("Entry or experienced", 0),
    ("1년 이상", 1),
    ("경력 5년 이하", 0),
    ("2025년 상반기 채용", None),
    # The least demanding alternative; brackets that narrow the requirement
    ("관련 분야 3년 경력 또는 석사 학위 소지자", 0),
    ("석사 이상 또는 학사 취득 후 관련 경력 3년 이상", 0),
    ("석사 신입 또는 관련 경력 보유자", 0),
    ("BS/MS in EE or CS with 8+ years of physical design experience", 8),
    ("이차전지 소재 연구 경력 2년 이상 (석사 과정 포함)", 2),
    ("인프라·DevOps 경력 5년 이상 (그중 ML 인프라 2년 이상)", 5),
    ("정보보안 실무 경력 5년 이상 (클라우드 보안 2년 이상 포함)", 5),
    ("전기·전자 관련 학과 졸업, 경력 4년↑ (석사는 2년↑)", 2),
    # OCR noise
    ("경력 l0년 이상", 10),
    ("경력 3넌 이상", 3),
    ("경 력 5 년 이상", 5),
    ("경력 I년 이상", 1),
    ("신임 (졸업예정자 포함)", 0),  # OCR: 입 → 임
]


@pytest.mark.parametrize(("text", "expected"), EXPERIENCE)
def test_experience_years(text: str, expected: int | None) -> None:
    assert R.experience_years(text, section=True) == expected


def test_experience_outside_its_section_needs_context() -> None:
    assert R.experience_years("창립 20년 된 회사입니다") is None
    # The company's age is no requirement.
    assert R.experience_years("파워셀세미는 SiC 소자를 개발하는 5년차 스타트업입니다.") is None
    assert R.experience_years("설립 12년 차, 국내 장비사에 연 300대를 납품합니다") is None
    assert R.experience_years("배터리 셀 설계 경력 3년 이상") == 3
    assert R.experience_years("경력 3O년") == 30


MAJORS = [
    ("화학공학 또는 신소재공학 전공", ["CHEM_ENG", "MATERIALS"]),
    ("화공, 재료 전공자", ["CHEM_ENG", "MATERIALS"]),
    ("전기전자/컴공 전공", ["EE", "CS"]),
    ("CS, EE 전공", ["CS", "EE"]),
    ("BS in Computer Science or related field", ["CS"]),
    ("기계, 산업공학 전공", ["MECH", "IE"]),
    ("통계학, 수학, 물리 전공", ["STAT", "MATH", "PHYS"]),
    ("화학 공학 전공", ["CHEM_ENG"]),  # OCR split the word
    ("화학 또는 생명과학 전공", ["CHEM", "BIO"]),
    ("전공 무관", []),
    ("기계학습 경험자 (전공 무관)", []),
    ("생명과학 전공자 우대", ["BIO"]),
    ("배터리 셀 설계 경험", None),
    # Generic words head other fields; short names run only into a major suffix
    ("3+ years in the data engineering field", None),
    ("MSc or PhD in Electrical Engineering, Control Engineering or a related field", ["EE"]),
    ("학사 이상, 컴퓨터·전자·제어 관련 전공", ["CS", "EE"]),
    ("전자금융감독규정 준수 점검, 정보보호학 전공", ["CS"]),
    ("반도체 전공정 장비 설계 경험", None),
    # Only clauses that speak of majors; a major on a 전공 무관 line is asked of nobody
    ("약학·생명과학·화학 전공 학사 이상, GMP 환경 QC 경력 2년 이상", ["PHARM", "BIO", "CHEM"]),
    ("배터리 전기화학에 대한 기본 이해 (전공 무관)", []),
]


@pytest.mark.parametrize(("text", "expected"), MAJORS)
def test_majors(text: str, expected: list[str] | None) -> None:
    assert R.majors(text) == expected


def test_major_code_normalises_synonyms() -> None:
    assert R.major_code("화공") == R.major_code("Chemical Engineering") == "CHEM_ENG"
    assert R.major_code("컴퓨터 공학") == "CS"
    assert R.major_code("점성술") is None


REGIONS = [
    ("경기 화성시", "41"),
    ("대전 유성구", "30"),
    ("서울", "11"),
    ("서울특별시 강남구", "11"),
    ("오창", "43"),
    ("충북 청주시 오창읍", "43"),
    ("경기 광주시", "41"),
    ("광주광역시 광산구", "29"),
    ("판교 (성남)", "41"),
    ("Pangyo, Seongnam", "41"),
    ("울산 울주군", "31"),
    ("세종시", "36"),
    ("강원도 원주시", "51"),
    ("전라북도 군산", "52"),
    ("구미 사업장", "47"),
    ("충남 천안/아산", "44"),
    ("활성화 방안", None),
    ("음성인식 엔진 개발", None),  # 음성 (Eumseong) only as a place
    ("충북 음성군 대소면", "43"),
    ("Seoul, Korea (Pangyo office)", "41"),  # the office named in brackets
]


@pytest.mark.parametrize(("text", "expected"), REGIONS)
def test_region(text: str, expected: str | None) -> None:
    got = R.region(text)
    assert got == expected
    if got is not None:
        assert got in taxonomy.codes("regions")


def test_regions_lists_every_place_in_order() -> None:
    assert R.regions("충북 청주시 오창읍 / 경기 화성시 / 오송") == ["43", "41"]


SALARIES = [
    ("연봉 4,500~6,000만원", (4500, 6000, "year")),
    ("연봉 5천만원 이상", (5000, None, "year")),
    ("연봉 4천~5천만원", (4000, 5000, "year")),
    ("1억 2천만원", (12000, 12000, "year")),
    ("연봉 1.2억", (12000, 12000, "year")),
    ("월 300만원", (300, 300, "month")),
    ("최대 8,000만원", (None, 8000, "year")),
    ("연봉 3500 이상", (3500, None, "year")),
    ("초봉 4,000만원 (2025년 기준)", (4000, 4000, "year")),
    ("50,000,000원 ~ 70,000,000원", (5000, 7000, "year")),
    ("KRW 50M-70M per year", (5000, 7000, "year")),
    ("회사 내규에 따름", (None, None, None)),
    ("연봉 협의", (None, None, None)),
    ("면접 후 결정", (None, None, None)),
    ("시급 10,030원", (None, None, "hour")),
    # OCR: comma read as a period, 만원 split
    ("연봉 4.500~6.000만 원", (4500, 6000, "year")),
    ("연봉 5,OOO만원 이상", (5000, None, "year")),
    ("연봉 66,300~7,700만원", (6300, 7700, "year")),  # OCR read the comma as a digit
    ("연봉 71500~9,000만원", (7500, 9000, "year")),
    ("연봉 7 700~8,500만원", (7700, 8500, "year")),
    ("연봉 55,.600~6,100만원", (5600, 6100, "year")),
    ("접수기간 2021.07.19 ~ 2021.08.31", (None, None, None)),  # dates are not pay
]


@pytest.mark.parametrize(("text", "expected"), SALARIES)
def test_salary(text: str, expected: tuple[int | None, int | None, str | None]) -> None:
    s = R.salary(text)
    assert (s.min, s.max, s.period) == expected
    assert s.text == text


EMPLOYMENT = [
    ("정규직", "REGULAR"),
    ("정규직 (수습 3개월)", "REGULAR"),
    ("계약직 (정규직 전환 가능)", "CONTRACT"),
    ("채용연계형 인턴 (정규직 전환)", "INTERN"),
    ("인턴 후 정규직 전환", "INTERN"),
    ("파견직", "DISPATCH"),
    ("Full-time", "REGULAR"),
    ("Contract, 12 months", "CONTRACT"),
    ("정 규 직", "REGULAR"),
    ("협의", None),
    ("기간의 정함이 없는 근로계약", "REGULAR"),  # 고용24
    ("기간의 정함이 있는 근로계약 (12개월)", "CONTRACT"),
]


@pytest.mark.parametrize(("text", "expected"), EMPLOYMENT)
def test_employment_type(text: str, expected: str | None) -> None:
    assert R.employment_type(text) == expected


def test_normalize_text_repairs_ocr_digits() -> None:
    assert R.normalize_text("경력 l0넌, 3O명, Python") == "경력 10년, 30명, Python"


# --------------------------------------------------------------------------------------------
# Over the sections frame
# --------------------------------------------------------------------------------------------

POSTING_A = """㈜한빛에너지 경력 채용
[모집부문]
셀 설계 (경력 3년 이상)
[자격요건]
• 화학공학 또는 신소재공학 전공 석사 이상
• 리튬이온 배터리 셀 설계 경력 3년 이상
[우대사항]
• 박사 학위 소지자
• 관련 경력 7년 이상
근무지: 충북 청주시 오창읍
급여: 연봉 4,500~6,000만원 (협의)
고용형태: 정규직
"""

POSTING_B = """AI Research Engineer (Pangyo)
What you'll do
- Train and ship LLMs with PyTorch
Requirements
- BS/MS in Computer Science or a related field
- 3+ years of experience in ML engineering
Nice to have
- PhD in ML
Location: Seongnam, Gyeonggi
Compensation: KRW 70M-90M
Employment type: Full-time
"""

POSTING_C = """◆ 모집부문 : 생산기술 신입
◆ 학력 : 무관
◆ 전공 : 무관
◆ 경력 : 신입
◆ 근무지역 : 울산
◆ 급여 : 회사 내규에 따름
"""


def test_extract_rules_over_sections() -> None:
    df = pl.DataFrame({"posting_id": ["A", "B", "C"], "text": [POSTING_A, POSTING_B, POSTING_C]})
    out = extract_rules(segment(df))
    assert out.schema == pl.Schema(R.RULES_SCHEMA)
    rows = {r["posting_id"]: r for r in out.to_dicts()}
    assert rows["A"] | {"salary_text": None} == {
        "posting_id": "A",
        "education": "MASTER",
        "majors": ["CHEM_ENG", "MATERIALS"],
        "experience_min_years": 3,
        "employment_type": "REGULAR",
        "region": "43",
        "salary_min": 4500,
        "salary_max": 6000,
        "salary_period": "year",
        "salary_text": None,
        "majors_preferred": [],
    }
    assert rows["B"]["education"] == "BACHELOR"
    assert rows["B"]["majors"] == ["CS"]
    assert rows["B"]["experience_min_years"] == 3
    assert rows["B"]["region"] == "41"
    assert (rows["B"]["salary_min"], rows["B"]["salary_max"]) == (7000, 9000)
    assert rows["B"]["employment_type"] == "REGULAR"
    assert rows["C"]["education"] == "ANY"
    assert rows["C"]["majors"] == []
    assert rows["C"]["experience_min_years"] == 0
    assert rows["C"]["region"] == "31"
    assert rows["C"]["salary_min"] is None and rows["C"]["salary_text"] == "회사 내규에 따름"


def test_extract_rules_survives_ocr_noise_in_a_whole_posting() -> None:
    noisy = (
        POSTING_A.replace("[자격요건]", "|자격요갼]")
        .replace("석사 이상", "석 사이상")
        .replace("3년 이상\n• 리튬", "3넌 이상\n• 리튬")
        .replace("4,500~6,000", "4.500~6.OOO")
    )
    row = extract_rules(segment(noisy)).row(0, named=True)
    assert row["education"] == "MASTER"
    assert row["experience_min_years"] == 3
    assert (row["salary_min"], row["salary_max"]) == (4500, 6000)


def test_extract_rules_needs_the_sections_columns() -> None:
    with pytest.raises(ValueError, match="segment"):
        extract_rules(pl.DataFrame({"posting_id": ["a"]}))
    empty = extract_rules(segment(""))
    assert empty.height == 0 and empty.schema == pl.Schema(R.RULES_SCHEMA)


def _rules(text: str) -> dict[str, object]:
    return extract_rules(segment(text)).row(0, named=True)


def test_education_and_experience_are_never_read_from_preferences() -> None:
    row = _rules("[자격요건]\n- 아날로그 회로 설계 경력 5년 이상\n[우대사항]\n- 전자공학 석사 이상")
    assert row["education"] is None and row["experience_min_years"] == 5
    # Majors named only in 우대사항 stand in for the majors, flagged as preferred.
    assert row["majors"] == ["EE"] and row["majors_preferred"] == ["EE"]
    row = _rules(
        "[자격요건]\n- 화학공학 전공 학사 이상\n[우대사항]\n- 재료공학 전공자\n- 관련 경력 7년"
    )
    assert row["majors"] == ["CHEM_ENG"] and row["majors_preferred"] == ["MATERIALS"]
    assert row["education"] == "BACHELOR" and row["experience_min_years"] is None


def test_a_public_portal_form_with_preferred_majors() -> None:
    form = "\n".join(
        [
            "경력조건: 관련 경력 1년 이상",
            "학력: 대졸(2~3년) 이상",
            "고용형태: 기간의 정함이 없는 근로계약",
            "임금조건: 연봉 4,000만원 이상",
            "근무예정지: 충청북도 음성군 대소면",
            "[우대 사항]",
            "전공: 화학공학, 기계공학",
            "자격면허: 화공기사",
        ]
    )
    row = _rules(form)
    assert (row["education"], row["experience_min_years"]) == ("ASSOC", 1)
    assert (row["employment_type"], row["region"]) == ("REGULAR", "43")
    assert (row["salary_min"], row["salary_period"]) == (4000, "year")
    assert row["majors"] == row["majors_preferred"] == ["CHEM_ENG", "MECH"]


def test_an_experience_heading_does_not_swallow_the_degree() -> None:
    row = _rules("[자격요건]\n- Python 활용 능력\n[경력 요건]\n- 신입 지원 가능\n- 학사이상")
    assert (row["education"], row["experience_min_years"]) == ("BACHELOR", 0)


def test_alternatives_give_the_least_demanding_requirement() -> None:
    row = _rules("[자격요건]\n- 석사 이상 또는 학사 취득 후 관련 경력 3년 이상\n- 셀 설계 경험")
    assert (row["education"], row["experience_min_years"]) == ("BACHELOR", 0)
    row = _rules("[학력] 대졸(4년) 이상\n[자격요건]\n- 관련 분야 3년 경력 또는 석사 학위 소지자")
    assert (row["education"], row["experience_min_years"]) == ("BACHELOR", 0)


def test_the_company_age_is_no_experience() -> None:
    row = _rules(
        "[회사 소개]\n파워셀세미는 5년차 스타트업입니다.\n[자격요건]\n- 반도체 소자 물리 이해"
    )
    assert row["experience_min_years"] is None


def test_employment_from_terms() -> None:
    assert (
        _rules("[근무조건]\n- 계약기간: 2년\n- 보수: 연 5,600만원")["employment_type"] == "CONTRACT"
    )
    intern = "체험형 인턴 - 추천 모델링\n[근무 조건]\n- 근무기간: 2025.07.01 ~ 2025.08.26"
    assert _rules(intern)["employment_type"] == "INTERN"
    row = _rules("근무형태 : 정규직 / 근무지 : 서울 금천구 가산디지털단지")
    assert (row["employment_type"], row["region"]) == ("REGULAR", "11")


def test_rules_version_is_bumped_for_the_cache() -> None:
    assert int(R.RULES_VERSION) >= 3
