"""Tests for talentlib.postings.sections on the layouts of real Korean postings: company intros
written as bullets, duty sentences, joined headings, tables and lines of terms (issue 10, item 4).
"""

from __future__ import annotations

import pytest

from talentlib.postings.sections import classify_heading, segment_text


def _sections(text: str) -> list[tuple[str, str]]:
    return [(sec, line) for sec, _, line in segment_text(text)]


# --------------------------------------------------------------------------------------------
# Company intros and duty sentences
# --------------------------------------------------------------------------------------------


def test_company_intro_bullets_stay_company_until_the_next_heading() -> None:
    text = "\n".join(
        [
            "[모집분야] 원통형 셀 설계",
            "[About 대성에너지]",
            "- EV·ESS용 리튬이온 배터리 생산 (국내외 7개 공장)",
            "- 전고체·리튬메탈 등 차세대 전지 선행 연구소 운영",
            "[이런 일을 합니다]",
            "- 46파이 원통형 셀 설계",
        ]
    )
    assert _sections(text) == [
        ("position", "원통형 셀 설계"),
        ("company", "EV·ESS용 리튬이온 배터리 생산 (국내외 7개 공장)"),
        ("company", "전고체·리튬메탈 등 차세대 전지 선행 연구소 운영"),
        ("duties", "46파이 원통형 셀 설계"),
    ]


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("About 대성에너지", "company"),
        ("플랫폼팀 소개", "company"),
        ("부문 소개", "company"),
        ("이런 일을 합니다", "duties"),
        ("합류하시면 함께할 업무", "duties"),
        ("What you bring", "requirements"),
        ("근무지 및 근무형태", "conditions"),
        ("근무조건 및 복리후생", "conditions"),
        ("Responsibilities / 주요업무", "duties"),
        ("모집부문 및 상세내용", "position"),
        ("담당업무 세부내용", "duties"),
        ("전형절차 및 일정", "process"),
        ("근무예정지", "location"),
        ("임금조건", "salary"),
    ],
)
def test_headings_of_real_postings(heading: str, section: str) -> None:
    assert classify_heading(heading) == section


def test_an_unknown_heading_ends_the_company_intro() -> None:
    text = "회사 소개\n• 자체 데이터센터에 GPU 클러스터 운영\n■ 모집 개요\n• Kubernetes 운영"
    assert _sections(text) == [
        ("company", "자체 데이터센터에 GPU 클러스터 운영"),
        ("other", "모집 개요"),
        ("other", "Kubernetes 운영"),
    ]
    text = "연구소 소개\n은하AI연구소는 AI 연구조직입니다.\n연구 방향\n- 차세대 생성 모델 연구"
    assert _sections(text)[1:] == [("other", "연구 방향"), ("other", "차세대 생성 모델 연구")]
    assert _sections("About us\n내용 한 줄") == [("company", "내용 한 줄")]


def test_an_inline_company_intro_opens_no_block() -> None:
    text = "회사소개 : 항체의약품 CDMO 전문기업입니다.\n원료·완제 시험 (HPLC, ELISA)"
    assert _sections(text) == [
        ("company", "항체의약품 CDMO 전문기업입니다."),
        ("other", "원료·완제 시험 (HPLC, ELISA)"),
    ]


def test_duty_sentences_are_duties_in_the_title_area_and_the_intro() -> None:
    text = "\n".join(
        [
            "식각 공정 엔지니어 채용",
            "태성반도체는 메모리 반도체 기업입니다.",
            "",
            "주요 업무는 식각 공정 조건을 개발하고 최적화하는 일입니다.",
            "신규 제품의 식각 공정 셋업과 양산 이관을 수행합니다.",
            "",
            "[회사 소개]",
            "입사 후 플라즈마 식각 장비 평가를 담당하게 됩니다.",
        ]
    )
    assert _sections(text) == [
        ("other", "식각 공정 엔지니어 채용"),
        ("other", "태성반도체는 메모리 반도체 기업입니다."),
        ("duties", "주요 업무는 식각 공정 조건을 개발하고 최적화하는 일입니다."),
        ("duties", "신규 제품의 식각 공정 셋업과 양산 이관을 수행합니다."),
        ("duties", "입사 후 플라즈마 식각 장비 평가를 담당하게 됩니다."),
    ]


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def test_a_table_row_on_one_line_goes_to_its_columns() -> None:
    text = (
        "모집부문 | 담당업무 | 자격요건 | 우대사항 | 인원\n"
        "클라우드 보안 | - IAM 권한 관리 - CSPM 운영 | - 정보보안 경력 5년 이상 | "
        "- 정보보호학 전공자 | 0명\n"
        "■ 근무조건"
    )
    assert _sections(text) == [
        ("position", "클라우드 보안"),
        ("duties", "IAM 권한 관리"),
        ("duties", "CSPM 운영"),
        ("requirements", "정보보안 경력 5년 이상"),
        ("preferred", "정보보호학 전공자"),
        ("position", "0명"),
    ]


def test_a_table_row_wrapped_over_lines_keeps_its_columns() -> None:
    text = "\n".join(
        [
            "모집부문 | 담당업무 | 자격요건 | 인원",
            "패키지 소재 개발",
            "(연구소) |",
            "- EMC 배합 설계",
            "|",
            "- 관련 분야 3년 경력 또는 석사 학위 소지자",
            "| 0명",
            "우대사항",
            "- 몰딩 공정 경험",
        ]
    )
    assert _sections(text) == [
        ("position", "패키지 소재 개발"),
        ("position", "(연구소)"),
        ("duties", "EMC 배합 설계"),
        ("requirements", "관련 분야 3년 경력 또는 석사 학위 소지자"),
        ("position", "0명"),
        ("preferred", "몰딩 공정 경험"),
    ]


def test_box_drawn_and_slash_tables() -> None:
    boxed = (
        "┃ 모집부문 ┃ 담당업무 ┃ 자격요건 ┃ 인원 ┃\n"
        "┃ 제어기 SW ┃ · AUTOSAR BSW 구성 ┃ · 학사 이상 ┃ 2명 ┃\n"
        "┃ ┃ · Simulink 모델 개발 ┃ · 경력 3년 이상 ┃ ┃"
    )
    assert _sections(boxed) == [
        ("position", "제어기 SW"),
        ("duties", "AUTOSAR BSW 구성"),
        ("requirements", "학사 이상"),
        ("position", "2명"),
        ("duties", "Simulink 모델 개발"),
        ("requirements", "경력 3년 이상"),
    ]
    slashed = "모집부문 / 담당업무 / 자격요건 / 우대사항\nQC / HPLC 시험 / 약학 전공 / 영어 가능자"
    assert [s for s, _ in _sections(slashed)] == ["position", "duties", "requirements", "preferred"]


def test_a_table_of_terms_and_key_value_rows() -> None:
    terms = "모집부문 | 인원 | 경력 | 학력 | 근무지\n조립 생산기술 | 2명 | 경력 3~7년 | 초대졸 이상 | 충북 청주"
    assert _sections(terms) == [
        ("position", "조립 생산기술"),
        ("position", "2명"),
        ("experience", "경력 3~7년"),
        ("education", "초대졸 이상"),
        ("location", "충북 청주"),
    ]
    assert _sections("근무형태 | 정규직 | 근무지 | 경기도 성남시 분당구") == [
        ("employment", "정규직"),
        ("location", "경기도 성남시 분당구"),
    ]


# --------------------------------------------------------------------------------------------
# Lines of terms and field lines
# --------------------------------------------------------------------------------------------


def test_a_line_of_terms_is_split_into_its_terms() -> None:
    assert _sections("근무형태 : 정규직 / 근무지 : 서울 금천구 / 급여 : 면접 후 결정") == [
        ("employment", "정규직"),
        ("location", "서울 금천구"),
        ("salary", "면접 후 결정"),
    ]
    assert _sections("■ 근무지: 대구 달서구 성서산단 ■ 고용형태: 정규직") == [
        ("location", "대구 달서구 성서산단"),
        ("employment", "정규직"),
    ]
    assert _sections("급여 : 면접 후 결정 / 정규직") == [
        ("salary", "면접 후 결정"),
        ("conditions", "정규직"),
    ]
    text = "[우대사항]\n- 리눅스 경험\n학력 무관 | 경력 2년 이상 | 정규직 | 서울 성동구 성수동 | 연봉 협의"
    assert _sections(text) == [
        ("preferred", "리눅스 경험"),
        ("education", "학력 무관"),
        ("experience", "경력 2년 이상"),
        ("conditions", "정규직"),
        ("conditions", "서울 성동구 성수동"),
        ("salary", "연봉 협의"),
    ]
    # A cell that is no term stays where the line is.
    assert _sections("[주요업무]\n파이토치, 영상처리 | 판교 | 연봉 협의 | 정규직")[0] == (
        "duties",
        "파이토치, 영상처리",
    )
    assert _sections("Experience with CANoe / CANalyzer") == [
        ("other", "Experience with CANoe / CANalyzer")
    ]


def test_field_lines_under_preferred_stay_preferences() -> None:
    text = "[우대 사항]\n전공: 화학공학, 기계공학\n자격면허: 화공기사\n\n경력 : 신입·경력 모두 지원 가능"
    assert _sections(text) == [
        ("preferred", "전공: 화학공학, 기계공학"),
        ("preferred", "자격면허: 화공기사"),
        ("experience", "신입·경력 모두 지원 가능"),  # after a gap: not under 우대 사항
    ]
    # An inline heading ("우대역량 | …") opens no block of preferences.
    assert _sections("우대역량 | 반도체 공정 이해\n학력 | 학사 이상")[1] == (
        "education",
        "학사 이상",
    )


def test_experience_field_lines_keep_the_skill_they_name() -> None:
    text = "[자격요건]\n - 경력 : BMS 또는 차량 제어기 SW 개발 3년 이상\n - 경력: 3년 이상"
    assert _sections(text) == [
        ("experience", "BMS 또는 차량 제어기 SW 개발 3년 이상"),
        ("requirements", "BMS 또는 차량 제어기 SW 개발 3년 이상"),
        ("experience", "3년 이상"),
    ]
    # "[경력] 제목" tags a title, it states no years.
    assert _sections("[경력] BMS 하드웨어 설계") == [("other", "[경력] BMS 하드웨어 설계")]
