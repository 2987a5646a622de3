"""Synthetic Korean job postings with ground truth: text, HTML, PDF and scanned-looking images.

`generate_postings(rng, params, out)` writes ``out/postings/``:

- ``raw/<posting_id>.{txt,html,pdf,png}`` — the postings as a recruiter published them, with
  the recruiters' phone numbers and e-mail addresses (fake but well-formed) still in them: raw
  data is immutable, masking happens on ingestion.
- ``labels.jsonl`` — the planted truth, one JSON object per posting (schema in LABEL_FIELDS).
- ``job_postings.parquet`` — the posting index of the ``job_postings`` contract. Every row has
  ``file_path`` (the raw file, relative to the postings folder); ``text`` holds the PII-masked
  text only where the source is plain text (file_type txt) — HTML, PDF and images must go
  through ingestion (parsing, OCR), which masks before it stores.

Competency labels are what the reference matcher (`postings.matcher`) finds in the posting,
line by line: the generator plants competencies by writing one of their surface forms into the
duties, requirements and preferred sections, then labels exactly the codes the matcher finds
(planted ones whose line was swallowed by a longer surface form are re-drawn). Boilerplate
(company blurb, benefits, process, contacts) is written to contain no surface form.
Deterministic per seed; sizes, mixes and families are in postings_params.yaml.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import json
import logging
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from .. import taxonomy
from ..pii import mask_pii
from ..postings.matcher import competency_matcher, surface_forms

PARAMS_PATH = Path(__file__).with_name("postings_params.yaml")
FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_REGULAR = FONT_DIR / "NanumGothic.ttf"
FONT_BOLD = FONT_DIR / "NanumGothicBold.ttf"
FORMATS = ("txt", "html", "pdf_text", "pdf_image", "png")
FILE_TYPE = {"txt": "txt", "html": "html", "pdf_text": "pdf", "pdf_image": "pdf", "png": "png"}
RENDERED = ("pdf_text", "pdf_image", "png")
EMPLOYMENT_TYPES = ("REGULAR", "CONTRACT", "INTERN", "DISPATCH")
EDUCATION_CODES = ("ANY", "HS", "ASSOC", "BACHELOR", "MASTER", "PHD")
REQUIRED_SECTIONS = ("title", "position", "duties", "requirements")
# The fields of one labels.jsonl record, in order.
LABEL_FIELDS = (
    "posting_id",
    "file",
    "file_type",
    "format",
    "field_code",
    "job_family",
    "title",
    "company_id",
    "company_type",
    "competencies",
    "required",
    "preferred",
    "education",
    "majors",
    "experience_min_years",
    "employment_type",
    "region",
    "salary",
    "salary_min",
    "salary_max",
    "salary_period",
    "posted_on",
    "has_pii",
)


# The reference matcher lives in the library (postings.matcher): the generator labels with it.
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


# ---------------------------------------------------------------------------------------------
# Parameters and vocabularies
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def default_postings_params() -> dict[str, Any]:
    with open(PARAMS_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


_CUM: dict[int, tuple[dict[str, float], list[str], np.ndarray]] = {}


def _p(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """A key of `weights` drawn with probability proportional to its weight."""
    hit = _CUM.get(id(weights))
    if hit is None or hit[0] is not weights:
        keys = list(weights)
        cum = np.cumsum([float(weights[k]) for k in keys])
        hit = _CUM[id(weights)] = (weights, keys, cum / cum[-1])
    _, keys, cum = hit
    return keys[min(int(np.searchsorted(cum, rng.random(), side="right")), len(keys) - 1)]


def _pick(rng: np.random.Generator, seq: Sequence[Any]) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _sample(rng: np.random.Generator, seq: Sequence[Any], k: int) -> list[Any]:
    k = max(0, min(k, len(seq)))
    return [seq[i] for i in sorted(rng.choice(len(seq), size=k, replace=False))] if k else []


def _has_batchim(word: str) -> bool:
    for ch in reversed(word):
        if "\uac00" <= ch <= "\ud7a3":
            return (ord(ch) - 0xAC00) % 28 != 0
        if ch.isalnum():
            return ch.lower() in "lmnr0136789"
    return False


def _eun(word: str) -> str:
    return "은" if _has_batchim(word) else "는"


COMPANY_PREFIXES = [
    "한빛",
    "새솔",
    "다온",
    "누리",
    "가람",
    "해오름",
    "미르",
    "세움",
    "온빛",
    "라온",
    "비솔",
    "청람",
    "태성",
    "우진",
    "한결",
    "이음",
    "푸른",
    "별빛",
    "하늘빛",
    "에이스",
    "제이원",
    "케이엠",
    "동성",
    "대원",
    "신영",
    "지오",
    "에스엠",
    "한울",
    "은하",
    "나래",
    "아라",
    "다솜",
    "모아",
    "새빛",
    "유니",
    "코리아",
]
COMPANY_WORDS = {
    "BATT": [
        "에너지솔루션",
        "배터리",
        "이노베이션",
        "머티리얼즈",
        "에너지",
        "셀텍",
        "케미칼",
        "파워텍",
    ],
    "SEMI": [
        "세미콘",
        "반도체",
        "세미텍",
        "실리콘",
        "테크놀로지",
        "머티리얼",
        "디스플레이",
        "마이크로",
    ],
    "AI": ["에이아이", "AI랩스", "데이터", "인텔리전스", "테크", "소프트", "브레인"],
    "MOBI": ["모빌리티", "오토모티브", "모터스", "오토테크"],
    "NUCL": ["원자력기술", "뉴텍", "에너지시스템", "원자력엔지니어링"],
    "BIO": ["바이오", "바이오로직스", "테라퓨틱스", "제약", "진"],
    "AERO": ["에어로스페이스", "항공", "스페이스", "우주기술"],
    "H2": ["수소에너지", "하이드로젠", "수소기술", "에이치투"],
    "CYBER": ["시큐리티", "정보보안", "시큐어", "사이버랩"],
    "COMM": ["네트웍스", "텔레콤", "통신", "웨이브"],
    "ROBOT": ["로보틱스", "로봇", "오토메이션", "메카트로닉스"],
    "QUANT": ["퀀텀", "양자기술", "큐비트랩"],
}
NAME_MIDDLES = ["테크", "신", "글로벌", "코리아", "하이", "넥스", "원", "에이스", "첨단", "미래"]
ROMAN = {
    "한빛": "hanbit",
    "새솔": "saesol",
    "다온": "daon",
    "누리": "nuri",
    "가람": "garam",
    "해오름": "haeoreum",
    "미르": "mir",
    "세움": "seum",
    "온빛": "onbit",
    "라온": "raon",
    "비솔": "bisol",
    "청람": "cheongram",
    "태성": "taesung",
    "우진": "woojin",
    "한결": "hangyeol",
    "이음": "ieum",
    "푸른": "pureun",
    "별빛": "byeolbit",
    "하늘빛": "haneulbit",
    "에이스": "ace",
    "제이원": "jone",
    "케이엠": "km",
    "동성": "dongsung",
    "대원": "daewon",
    "신영": "shinyoung",
    "지오": "geo",
    "에스엠": "sm",
    "한울": "hanul",
    "은하": "eunha",
    "나래": "narae",
    "아라": "ara",
    "다솜": "dasom",
    "모아": "moa",
    "새빛": "saebit",
    "유니": "uni",
    "코리아": "korea",
}
SIZE_DESC = {
    "LARGE": ["대기업", "국내 대표 기업", "글로벌 기업"],
    "MIDSIZE": ["중견기업", "코스닥 상장 중견기업", "글로벌 강소 중견기업"],
    "SME": ["강소기업", "기술혁신형 중소기업(이노비즈)", "중소기업"],
    "VENTURE": ["기술 스타트업", "벤처기업", "시리즈 B 스타트업"],
}
BLURBS = {
    "BATT": [
        "전기차와 에너지 저장용 배터리 소재를 개발·생산하는 {size}입니다.",
        "차세대 배터리 셀 기술을 바탕으로 글로벌 완성차 고객사와 함께 성장하고 있습니다.",
        "소재부터 셀, 재생까지 배터리 밸류체인 전반으로 사업을 넓혀 가고 있습니다.",
    ],
    "SEMI": [
        "메모리와 시스템 반도체 핵심 기술을 보유한 {size}입니다.",
        "반도체·디스플레이 소재와 부품을 국산화해 온 {size}입니다.",
        "국내외 팹에 핵심 솔루션을 공급하며 기술 자립을 이끌고 있습니다.",
    ],
    "AI": [
        "인공지능 기술로 산업 현장의 문제를 해결하는 {size}입니다.",
        "자체 개발한 AI 플랫폼으로 금융·제조·의료 고객사에 서비스를 제공합니다.",
        "누적 투자 {invest}억 원을 유치했으며 빠르게 성장하고 있습니다.",
    ],
    "MOBI": [
        "미래 모빌리티 핵심 부품과 소프트웨어를 개발하는 {size}입니다.",
        "완성차 및 글로벌 부품사에 전장 부품을 공급하고 있습니다.",
    ],
    "NUCL": [
        "원자력 발전소 설계·정비와 차세대 원자로 기술을 보유한 {size}입니다.",
        "국내외 원전 사업에 엔지니어링 서비스를 제공합니다.",
    ],
    "BIO": [
        "바이오의약품 연구개발과 위탁생산을 수행하는 {size}입니다.",
        "혁신 신약 파이프라인을 바탕으로 글로벌 시장에 도전하고 있습니다.",
    ],
    "AERO": [
        "항공기 부품과 우주 발사체 핵심 구성품을 생산하는 {size}입니다.",
        "국가 우주개발 사업에 참여하며 기술력을 인정받고 있습니다.",
    ],
    "H2": [
        "수소 생산부터 활용까지 수소 경제 밸류체인의 기술을 개발하는 {size}입니다.",
        "친환경 에너지 전환을 선도하는 기업으로 성장하고 있습니다.",
    ],
    "CYBER": [
        "기업과 공공기관의 정보보호를 책임지는 보안 전문 {size}입니다.",
        "국내 주요 금융기관과 공공기관을 고객으로 두고 있습니다.",
    ],
    "COMM": [
        "이동통신 장비와 부품을 개발해 국내외 통신사에 공급하는 {size}입니다.",
        "차세대 네트워크 시장을 겨냥한 연구개발에 투자하고 있습니다.",
    ],
    "ROBOT": [
        "제조 현장을 위한 로봇 솔루션을 제공하는 {size}입니다.",
        "자동차·전자 산업의 생산 혁신을 함께 만들어 가고 있습니다.",
    ],
    "QUANT": [
        "양자 기술 기반 차세대 보안·센싱 솔루션을 개발하는 {size}입니다.",
        "국내외 연구기관과 공동 연구를 활발히 수행하고 있습니다.",
    ],
}
HEADINGS = {
    "company": ["회사소개", "회사 소개", "기업소개", "About Us", "회사 개요"],
    "position": ["모집부문", "모집 부문", "모집분야", "채용분야", "Position", "모집직무"],
    "duties": [
        "주요업무",
        "담당업무",
        "주요 업무",
        "담당 업무",
        "Responsibilities",
        "직무내용",
        "What you'll do",
    ],
    "requirements": [
        "자격요건",
        "자격 요건",
        "필수 요건",
        "지원자격",
        "필수사항",
        "Qualifications",
        "Requirements",
    ],
    "preferred": [
        "우대사항",
        "우대 사항",
        "우대요건",
        "Preferred",
        "Preferred Qualifications",
        "이런 분이면 더 좋아요",
        "우대 조건",
    ],
    "conditions": ["근무조건", "근무 조건", "채용조건", "지원자격 및 근무조건", "Conditions"],
    "education": ["학력", "최종학력", "학력사항"],
    "major": ["전공", "전공분야", "학과"],
    "experience": ["경력", "경력사항", "경력구분"],
    "employment": ["고용형태", "근무형태", "채용형태"],
    "location": ["근무지", "근무지역", "근무장소"],
    "salary": ["급여", "연봉", "급여조건"],
    "benefits": ["복리후생", "혜택 및 복지", "Benefits", "복지"],
    "process": ["전형절차", "전형 절차", "채용 절차", "Hiring process"],
    "apply": ["접수방법", "접수기간 및 방법", "지원 방법", "How to apply", "지원방법 및 문의"],
}
KV_LABELS = {
    "education": ["학력", "최종학력", "Education"],
    "major": ["전공", "전공분야", "Major"],
    "experience": ["경력", "경력사항", "Experience"],
    "employment": ["고용형태", "근무형태", "채용형태", "Employment"],
    "location": ["근무지", "근무지역", "Location"],
    "salary": ["급여", "연봉", "Salary"],
}
HEADING_STYLES = [
    "[{h}]",
    "■ {h}",
    "◆ {h}",
    "<{h}>",
    "{h}",
    "▣ {h}",
    "【{h}】",
    "{n}. {h}",
    "● {h}",
]
BULLETS = ["-", "•", "·", "○", "●", "◎", "▶", "*", "✔", "{n})", "{n}.", "{k})"]
KOREAN_ENUM = "가나다라마바사아자차카타파하"

DUTY = {
    "knowledge": [
        "{s} 관련 연구개발",
        "{s} 기술 개발 및 양산 적용",
        "차세대 {s} 기술 검토 및 선행 개발",
        "{s} 관련 고객 대응 및 기술 지원",
        "{s} 개발 과제 수행",
        "{s} 관련 이슈 분석 및 개선",
    ],
    "method": [
        "{s} 업무 수행",
        "{s} 조건 최적화 및 개선",
        "{s} 관련 이슈 분석 및 개선",
        "{s} 기술 개발",
        "{s} 결과 정리 및 보고",
        "{s} 표준화 및 개선",
    ],
    "tool": [
        "{s} 기반 분석 자동화",
        "{s} 활용 업무 자동화 툴 개발",
        "{s} 기반 내부 시스템 개발 및 운영",
    ],
}
DUTY_PAIR = ["{a} 및 {b} 관련 업무", "{a}, {b} 개발 및 개선", "{a}/{b} 기술 개발"]
DUTY_EN = ["Develop and improve {s}", "Lead {s} projects", "Own {s} from design to mass production"]
REQ = {
    "knowledge": [
        "{s}에 대한 이해",
        "{s} 관련 지식 보유",
        "{s} 관련 전공 지식",
        "{s} 이론 및 실무 이해",
    ],
    "method": ["{s} 실무 경험", "{s} 수행 경험 보유자", "{s} 경험자"],
    "tool": ["{s} 활용 능력", "{s} 사용 가능자", "{s} 능숙자", "{s} 개발 경험"],
    "certificate": ["{s} 자격증 소지자", "{s} 소지자"],
}
REQ_YEARS = ["{s} 관련 경력 {n}년 이상", "{s} 업무 {n}년 이상 경험"]
REQ_PAIR = ["{a} 및 {b} 관련 경험", "{a}, {b} 등 활용 능력", "{a} 또는 {b} 경험 보유자"]
REQ_EN = [
    "Experience with {s}",
    "Hands-on experience in {s}",
    "Solid understanding of {s}",
    "Proficiency in {s}",
]
PREF = [
    "{s} 경험자 우대",
    "{s} 관련 경험 보유자",
    "{s} 유경험자",
    "{s} 관련 프로젝트 경험",
    "{s}에 대한 이해가 있으신 분",
    "{s} 지식 보유자",
]
PREF_CERT = ["{s} 소지자 우대", "{s} 자격 보유자"]
PREF_PAIR = ["{a}, {b} 경험자 우대", "{a} 또는 {b} 관련 경험"]
PREF_EN = ["Experience in {s} is a plus", "Familiarity with {s}", "Knowledge of {s} preferred"]
# Soft skills, languages and office tools are written as whole phrases, not from templates.
PHRASES = {
    "C-COMM": [
        "원활한 커뮤니케이션 능력",
        "유관부서와의 원활한 의사소통 능력",
        "Excellent communication skills",
        "소통 능력을 갖추신 분",
        "원활한 소통이 가능하신 분",
    ],
    "C-TEAM": [
        "팀워크를 중시하는 분",
        "유관 부서와의 협업 능력",
        "협업을 즐기시는 분",
        "Strong teamwork mindset",
        "팀 협업 경험이 많으신 분",
    ],
    "C-LEAD": [
        "리더십을 갖추신 분",
        "파트 리딩 경험 (리더십)",
        "team leading 경험",
        "프로젝트 리더십 경험",
    ],
    "C-PROB": [
        "문제 해결 능력 보유자",
        "논리적 사고와 문제해결력",
        "Strong problem solving skills",
        "논리적 사고 능력이 뛰어나신 분",
    ],
    "C-PRES": ["프레젠테이션 능력 우수자", "기술 발표 능력", "presentation skills"],
    "C-DOC": ["기술 문서 작성 능력", "보고서 작성 능력 우수자", "기술문서 작성 및 정리 역량"],
    "C-ENG": [
        "영어 회화 가능자",
        "비즈니스 영어 가능자",
        "TOEIC 800점 이상",
        "OPIc IM2 이상",
        "영문 이메일 작성 및 회의 가능자",
        "Fluent in English",
        "토익스피킹 Lv.6 이상",
        "영어 커뮤니케이션 가능자",
    ],
    "C-JPN": ["일본어 가능자", "JLPT N2 이상", "일본 고객 대응이 가능한 일본어 능력"],
    "C-CHN": ["중국어 가능자", "HSK 5급 이상", "중국 법인 대응이 가능한 중국어 능력"],
    "C-EXCEL": [
        "엑셀 활용 능력 (VLOOKUP, 피벗 테이블)",
        "MS Excel 능숙자",
        "엑셀 함수 활용 가능자",
    ],
    "C-PPT": ["PPT 작성 능력", "파워포인트 활용 능숙자"],
    "C-MSOFFICE": ["MS Office 활용 능력", "OA 활용 능력 우수자", "컴퓨터활용능력 자격 소지자"],
    "C-DRV": ["운전면허 소지자", "1종 보통 운전면허 소지자", "운전 가능자"],
    "C-PATENT": ["특허 출원 경험", "특허 분석 경험자", "관련 분야 특허 보유자"],
    "C-PUBLISH": ["SCI급 논문 게재 실적 보유자", "관련 분야 SCI 논문 실적", "학술 논문 작성 경험"],
}
FILLER = {
    "duties": [
        "기술 동향 조사 및 내부 공유",
        "양산 이관 및 초기 유동 대응",
        "개발 결과 정리 및 내부 보고",
        "신규 과제 기획 및 일정 수립",
        "협력사 기술 지원",
    ],
    "requirements": [
        "해외 출장에 결격 사유가 없는 분",
        "남성의 경우 병역필 또는 면제자",
        "성실하고 책임감 있는 분",
        "장기 근무 가능자",
        "관련 분야 경험 보유자",
    ],
    "preferred": [
        "인근 거주자 우대",
        "국가보훈대상자 및 장애인 우대 (관련 법령에 의거)",
        "동종 업계 경력자",
        "즉시 출근 가능자",
    ],
}
BENEFITS = [
    "4대보험, 퇴직연금",
    "연차 및 리프레시 휴가",
    "중식 및 석식 제공",
    "통근버스 운영",
    "기숙사 제공 (지방 근무자)",
    "자기계발비 지원",
    "건강검진 지원",
    "경조사 지원",
    "명절 선물",
    "사내 동호회 지원",
    "유연근무제 (시차출퇴근)",
    "재택근무 (주 2회)",
    "성과급",
    "복지포인트",
]
PROCESS = [
    "서류전형 > 1차 면접 (실무) > 2차 면접 (임원) > 처우협의 > 최종 합격",
    "서류전형 → 인적성검사 → 면접 → 최종합격",
    "서류 검토 - 코딩테스트 - 기술 면접 - 컬처핏 면접 - 입사",
    "서류전형 > 면접전형 > 신체검사 > 최종합격",
]
EDU_TEXT = {
    "ANY": ["학력무관", "학력 무관", "무관"],
    "HS": ["고졸 이상", "고등학교 졸업 이상", "고졸 이상 (전문학사 우대)"],
    "ASSOC": ["초대졸 이상", "전문학사 이상", "2·3년제 대졸 이상", "전문대졸 이상"],
    "BACHELOR": [
        "대졸(4년제) 이상",
        "학사 이상",
        "4년제 대학 졸업(예정)자",
        "학사 학위 이상",
        "대졸 이상 (석사 우대)",
    ],
    "MASTER": ["석사 이상", "석사 학위 소지자 이상", "석사 이상 (박사 우대)"],
    "PHD": ["박사 학위 소지자", "박사", "박사 학위 취득(예정)자"],
}
EDU_EN = {
    "ANY": "No degree requirement",
    "HS": "High school diploma or higher",
    "ASSOC": "Associate degree or higher",
    "BACHELOR": "Bachelor's degree or higher",
    "MASTER": "Master's degree or higher",
    "PHD": "Ph.D. degree",
}
EMPLOYMENT_TEXT = {
    "REGULAR": ["정규직", "정규직 (수습 3개월)", "Full-time", "정규직 채용"],
    "CONTRACT": [
        "계약직 (1년)",
        "계약직 (정규직 전환 가능)",
        "Contract (12 months)",
        "연구원 계약직",
    ],
    "INTERN": ["인턴 (채용연계형)", "체험형 인턴 (6개월)", "Internship"],
    "DISPATCH": ["파견직", "파견직 (6개월)"],
}
INDUSTRY_EN = {
    "BATT": "battery",
    "SEMI": "chip",
    "AI": "AI software",
    "MOBI": "mobility",
    "NUCL": "nuclear energy",
    "BIO": "biopharma",
    "AERO": "aerospace",
    "H2": "hydrogen energy",
    "CYBER": "security software",
    "COMM": "telecom",
    "ROBOT": "robotics",
    "QUANT": "quantum technology",
}
SALARY_BASE = {
    "LARGE": (4800, 6500),
    "MIDSIZE": (3800, 5200),
    "SME": (3000, 4200),
    "VENTURE": (3600, 6000),
}


# ---------------------------------------------------------------------------------------------
# The planted posting
# ---------------------------------------------------------------------------------------------


@dataclass
class Section:
    key: str  # company, position, duties, requirements, preferred, education, ..., apply
    heading: str
    lines: list[str]
    table: list[tuple[str, str]] | None = None  # key-value rows (conditions), for HTML tables


@dataclass
class Posting:
    posting_id: str
    field_code: str
    family: dict[str, Any]
    company: dict[str, Any]
    title: str
    sections: list[Section] = field(default_factory=list)
    labels: dict[str, Any] = field(default_factory=dict)
    source: str = "jobsite_a"
    posted_on: dt.date = dt.date(2023, 1, 1)
    has_pii: bool = False

    def lines(self) -> list[str]:
        out = [self.title]
        for s in self.sections:
            out += [s.heading, *s.lines]
        return out


def _fmt_won(v: int) -> str:
    return f"{v:,}"


def _companies(
    rng: np.random.Generator, pp: dict[str, Any], n_postings: int
) -> list[dict[str, Any]]:
    shares = pp["field_share"]
    n = max(12, int(round(n_postings / float(pp["postings_per_company"]))))
    fields = list(shares)
    per_field = {f: max(2, int(round(n * shares[f] / sum(shares.values())))) for f in fields}
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    matcher = competency_matcher()
    for f in fields:
        for _ in range(per_field[f]):
            ctype = _p(rng, pp["company_type_share"])
            for attempt in range(400):
                prefix = _pick(rng, COMPANY_PREFIXES)
                word = _pick(rng, COMPANY_WORDS[f])
                # once the plain combinations run out (large scales), add a middle syllable
                middle = _pick(rng, NAME_MIDDLES) if attempt >= 40 else ""
                core = prefix + middle + word
                # a name must not read as a competency ("다온디바이스" holds "온디바이스")
                if core not in used and not matcher.codes(core):
                    break
            else:
                raise RuntimeError(f"ran out of company names for {f}; add COMPANY_PREFIXES")
            used.add(core)
            legal = _pick(rng, ["{c}(주)", "(주){c}", "주식회사 {c}", "㈜{c}", "{c}(주)"])
            slug = (
                ROMAN[prefix]
                + "-"
                + {
                    "BATT": "energy",
                    "SEMI": "semi",
                    "AI": "ai",
                    "MOBI": "mobility",
                    "NUCL": "nuclear",
                    "BIO": "bio",
                    "AERO": "aero",
                    "H2": "h2",
                    "CYBER": "sec",
                    "COMM": "net",
                    "ROBOT": "robotics",
                    "QUANT": "quantum",
                }[f]
            )
            out.append(
                {
                    "company_id": f"CO{len(out) + 1:05d}",
                    "name": legal.format(c=core),
                    "core": core,
                    "field_code": f,
                    "company_type": ctype,
                    "region": _p(rng, pp["region_share"][f]),
                    "domain": f"{slug}.example.com" if rng.random() < 0.7 else "example.co.kr",
                    "weight": float(pp["posting_weight"][ctype]),
                }
            )
    return out


class _Writer:
    """Writes one posting's sections from its planted facts (all randomness from `rng`)."""

    def __init__(self, rng: np.random.Generator, pp: dict[str, Any]) -> None:
        self.rng = rng
        self.pp = pp
        self.forms = surface_forms()
        self.kind = {
            str(r["code"]): str(r.get("kind") or "knowledge")
            for r in taxonomy.load("competencies")["codes"]
        }
        self.matcher = competency_matcher()

    # -- competency phrases ----------------------------------------------------------------
    def form(self, code: str, latin: bool = False) -> str:
        forms = self.forms[code]
        if latin:
            lat = [f for f in forms if not _HANGUL.search(f)]
            if lat:
                return _pick(self.rng, lat)
        # the Korean name most often, then any other spelling
        return forms[0] if self.rng.random() < 0.4 else _pick(self.rng, forms)

    def phrase(self, section: str, codes: list[str], years: int | None) -> str:
        r = self.rng
        if len(codes) == 1 and codes[0] in PHRASES:
            return _pick(r, PHRASES[codes[0]])
        kinds = [self.kind[c] for c in codes]
        english = r.random() < 0.12
        if len(codes) == 2:
            a, b = self.form(codes[0]), self.form(codes[1])
            pool = {"duties": DUTY_PAIR, "requirements": REQ_PAIR}.get(section, PREF_PAIR)
            return _pick(r, pool).format(a=a, b=b)
        code, kind = codes[0], kinds[0]
        if english:
            pool = {"duties": DUTY_EN, "requirements": REQ_EN}.get(section, PREF_EN)
            return _pick(r, pool).format(s=self.form(code, latin=True))
        s = self.form(code)
        if section == "duties":
            return _pick(r, DUTY.get(kind, DUTY["knowledge"])).format(s=s)
        if section == "requirements":
            if years and kind in ("knowledge", "method") and r.random() < 0.3:
                return _pick(r, REQ_YEARS).format(s=s, n=years)
            return _pick(r, REQ.get(kind, REQ["knowledge"])).format(s=s)
        return _pick(r, PREF_CERT if kind == "certificate" else PREF).format(s=s)

    def competency_lines(self, section: str, codes: list[str], years: int | None) -> list[str]:
        """Lines that mention `codes` (one or two per line); each line is checked with the
        matcher and re-drawn when a planted code was not recognised (a longer form won)."""
        r = self.rng
        groups: list[list[str]] = []
        rest = list(codes)
        while rest:
            pairable = [c for c in rest[:2] if c not in PHRASES]
            if len(pairable) == 2 and len(rest) >= 2 and r.random() < 0.25:
                groups.append(rest[:2])
                rest = rest[2:]
            else:
                groups.append(rest[:1])
                rest = rest[1:]
        lines = []
        for g in groups:
            line = ""
            for _try in range(6):
                line = self.phrase(section, g, years)
                if set(g) <= self.matcher.codes_in_lines([line]):
                    break
            lines.append(line)
        return lines


def _plant(
    rng: np.random.Generator, pp: dict[str, Any], fam: dict[str, Any]
) -> dict[str, list[str]]:
    """Which competencies go into duties, requirements and preferred."""
    core = list(fam["core"])
    order = [core[i] for i in rng.permutation(len(core))]
    n_duty = int(rng.integers(2, 5))
    n_req = int(rng.integers(1, 4))
    duties = order[:n_duty]
    reqs = order[n_duty : n_duty + n_req]
    taken = set(duties) | set(reqs)
    tools = [t for t in fam.get("tools", []) if t not in taken]
    for t in tools:
        if rng.random() < 0.55:
            reqs.append(t)
            taken.add(t)
    extra = [c for c in fam.get("extra", []) if c not in taken]
    prefs = _sample(rng, extra, int(rng.integers(1, 4)))
    taken |= set(prefs)
    for code, rate in pp["universal_rates"].items():
        if code not in taken and rng.random() < float(rate):
            (prefs if rng.random() < 0.6 else reqs).append(code)
            taken.add(code)
    return {"duties": duties, "requirements": reqs, "preferred": prefs}


def _education_text(rng: np.random.Generator, code: str, english: bool) -> str:
    return EDU_EN[code] if english else _pick(rng, EDU_TEXT[code])


def _majors(
    rng: np.random.Generator, pp: dict[str, Any], fam: dict[str, Any], english: bool
) -> tuple[list[str], str]:
    u = rng.random()
    if u < 0.08:
        return [], _pick(rng, ["전공무관", "전공 무관", "무관"]) if not english else "Any major"
    if u < 0.15 and not english:
        return ["이공계"], _pick(rng, ["이공계 전공자", "이공계열 전공", "이공계 관련 학과"])
    majors = _sample(rng, fam["majors"], int(rng.integers(1, 4)))
    vocab = pp["majors"]
    if english:
        return majors, "Major in " + " or ".join(vocab[m]["en"] for m in majors)
    names = [m if rng.random() < 0.75 else _pick(rng, vocab[m]["aliases"]) for m in majors]
    style = int(rng.integers(4))
    if style == 0:
        text = ", ".join(names) + " 등 관련 전공"
    elif style == 1:
        text = "/".join(names) + " 관련 학과"
    elif style == 2:
        text = " 또는 ".join(names) + " 전공자"
    else:
        text = "관련 전공 (" + ", ".join(names) + ")"
    return majors, text


def _experience(
    rng: np.random.Generator, pp: dict[str, Any], employment: str, english: bool
) -> tuple[int | None, str]:
    kind = "new" if employment == "INTERN" else _p(rng, pp["experience_share"])
    years = [int(y) for y in pp["experience_years"]]
    if kind == "none":
        return None, "Not required" if english else _pick(
            rng, ["경력무관", "무관", "신입·경력 무관"]
        )
    if kind == "new":
        return 0, "Entry level" if english else _pick(rng, ["신입", "신입 (졸업예정자 포함)"])
    if kind == "new_or_exp":
        return 0, "Entry or experienced" if english else _pick(
            rng, ["신입/경력", "신입 또는 경력", "신입·경력"]
        )
    n = _pick(rng, years)
    if kind == "range":
        m = n + int(rng.integers(2, 6))
        if english:
            return n, f"{n}-{m} years"
        return n, _pick(rng, ["경력 {n}~{m}년", "{n}~{m}년차", "경력 {n}년 ~ {m}년"]).format(
            n=n, m=m
        )
    if english:
        return n, f"{n}+ years of experience"
    return n, _pick(
        rng, ["경력 {n}년 이상", "{n}년 이상", "관련 경력 {n}년 이상", "경력 {n}년↑"]
    ).format(n=n)


def _salary(
    rng: np.random.Generator, ctype: str, years: int | None, employment: str
) -> tuple[str, int | None, int | None, str | None]:
    if employment == "INTERN":
        m = int(rng.integers(20, 27)) * 10
        return f"월 {_fmt_won(m)}만원", m, None, "month"
    lo, hi = SALARY_BASE[ctype]
    bump = 300 * (years or 0)
    u = rng.random()
    if u < 0.35:
        text = _pick(
            rng,
            [
                "회사 내규에 따름",
                "회사내규에 따름",
                "면접 후 결정",
                "협의 후 결정",
                "회사 내규에 따름 (경력에 따라 우대)",
            ],
        )
        return text, None, None, None
    if ctype == "SME" and u > 0.85:
        m = int(rng.integers(25, 36)) * 10 + (years or 0) * 20
        return f"월 {_fmt_won(m)}만원 이상", m, None, "month"
    a = int(rng.integers(lo // 100, hi // 100 + 1)) * 100 + bump
    if u < 0.8:
        b = a + int(rng.integers(5, 16)) * 100
        extra = " + 스톡옵션" if ctype == "VENTURE" and rng.random() < 0.5 else ""
        return f"연봉 {_fmt_won(a)}~{_fmt_won(b)}만원{extra}", a, b, "year"
    return f"연봉 {_fmt_won(a)}만원 이상", a, None, "year"


def _phone(rng: np.random.Generator) -> str:
    kind = rng.random()
    if kind < 0.35:
        return f"010-{int(rng.integers(2000, 9999))}-{int(rng.integers(1000, 9999))}"
    if kind < 0.6:
        return f"02-{int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))}"
    if kind < 0.85:
        area = _pick(rng, ["031", "032", "042", "043", "041", "052", "054", "055", "062"])
        return f"{area}-{int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))}"
    return f"070-{int(rng.integers(2000, 9999))}-{int(rng.integers(1000, 9999))}"


def _email(rng: np.random.Generator, company: dict[str, Any]) -> str:
    user = _pick(rng, ["hr", "recruit", "career", "jobs", "talent", "people", "hiring"])
    if rng.random() < 0.3:
        user += str(int(rng.integers(1, 99)))
    return f"{user}@{company['domain']}"


def _heading(style: str, key: str, n: int, rng: np.random.Generator, english: bool) -> str:
    names = HEADINGS[key]
    latin = [h for h in names if not _HANGUL.search(h)]
    korean = [h for h in names if _HANGUL.search(h)] or names
    name = (
        _pick(rng, latin)
        if english and latin
        else _pick(rng, korean if rng.random() < 0.9 else names)
    )
    return style.format(h=name, n=n)


def compose_posting(
    rng: np.random.Generator,
    pp: dict[str, Any],
    writer: _Writer,
    posting_id: str,
    field_code: str,
    company: dict[str, Any],
) -> Posting:
    """Plant one posting's facts and write its sections (format independent)."""
    fams = pp["families"][field_code]
    fam = fams[
        int(
            rng.choice(
                len(fams), p=np.array([f["weight"] for f in fams]) / sum(f["weight"] for f in fams)
            )
        )
    ]
    english = rng.random() < 0.08  # a mostly-English posting (foreign-invested, global team)
    title = _pick(rng, fam["titles"])
    if rng.random() < 0.3:
        title = f"[{company['core']}] {title}"
    employment = _p(rng, pp["employment_type_share"])
    if employment == "INTERN":
        title += " 인턴" if not english else " (Intern)"
    edu = _p(rng, pp["education_profiles"][fam["education"]])
    edu_text = _education_text(rng, edu, english)
    majors, majors_text = _majors(rng, pp, fam, english)
    exp_min, exp_text = _experience(rng, pp, employment, english)
    emp_text = _pick(rng, EMPLOYMENT_TEXT[employment])
    region = company["region"] if rng.random() < 0.85 else _p(rng, pp["region_share"][field_code])
    place = _pick(rng, pp["places"][region])
    salary_text, sal_min, sal_max, sal_period = _salary(
        rng, company["company_type"], exp_min, employment
    )
    d0 = dt.date.fromisoformat(pp["posted_between"][0])
    d1 = dt.date.fromisoformat(pp["posted_between"][1])
    posted_on = d0 + dt.timedelta(days=int(rng.integers(0, (d1 - d0).days + 1)))

    planted = _plant(rng, pp, fam)
    years = exp_min if exp_min and exp_min >= 1 else None
    style = _pick(rng, HEADING_STYLES)
    sections: list[Section] = []

    def add(key: str, lines: list[str], table: list[tuple[str, str]] | None = None) -> None:
        sections.append(
            Section(key, _heading(style, key, len(sections) + 1, rng, english), lines, table)
        )

    # company blurb (boilerplate: no competency surface forms)
    blurb = [
        s.format(
            size=_pick(rng, SIZE_DESC[company["company_type"]]), invest=int(rng.integers(30, 900))
        )
        for s in _sample(rng, BLURBS[field_code], int(rng.integers(1, len(BLURBS[field_code]) + 1)))
    ]
    blurb[0] = f"{company['name']}{_eun(company['core'])} " + blurb[0]
    if english:
        blurb = [
            f"{company['name']} builds {INDUSTRY_EN[field_code]} products for customers "
            "in Korea and abroad."
        ]
    add("company", blurb)
    n_hires = _pick(rng, ["0명", "00명", "1명", "2명", "3명", "O명", "한 자릿수"])
    add("position", [f"{title} ({n_hires})" if not english else f"{title} / {n_hires}"])

    duty_lines = writer.competency_lines("duties", planted["duties"], years)
    if rng.random() < 0.5:
        duty_lines.insert(int(rng.integers(len(duty_lines) + 1)), _pick(rng, FILLER["duties"]))
    add("duties", duty_lines)

    req_lines = writer.competency_lines("requirements", planted["requirements"], years)
    layout = rng.random()
    kv = [
        ("education", edu_text),
        ("major", majors_text),
        ("experience", exp_text),
        ("employment", emp_text),
        ("location", place),
        ("salary", salary_text),
    ]
    if layout < 0.25:  # degree, major and years written into the requirements
        req_lines = [f"{edu_text} ({majors_text})" if majors else edu_text, exp_text] + req_lines
        kv = kv[3:]
    if rng.random() < 0.4:
        req_lines.append(_pick(rng, FILLER["requirements"]))
    add("requirements", req_lines)
    pref_lines = writer.competency_lines("preferred", planted["preferred"], None)
    if edu == "BACHELOR" and rng.random() < 0.15:
        pref_lines.append("석사 이상 학위 소지자 우대")
    if rng.random() < 0.4:
        pref_lines.append(_pick(rng, FILLER["preferred"]))
    add("preferred", pref_lines)

    if layout >= 0.25 and layout < 0.55:  # one heading per condition
        for key, value in kv:
            add(key, [value])
    else:  # a key-value block (a table in HTML)
        rows = [(KV_LABELS[k][-1] if english else _pick(rng, KV_LABELS[k][:-1]), v) for k, v in kv]
        rows = [("급여" if k == "연봉" and v.startswith("연봉") else k, v) for k, v in rows]
        add("conditions", [f"{k}: {v}" for k, v in rows], table=rows)

    if not english and rng.random() < 0.7:
        add("benefits", _sample(rng, BENEFITS, int(rng.integers(3, 7))))
    if rng.random() < 0.6:
        steps = (
            PROCESS if field_code in ("AI", "CYBER") else [x for x in PROCESS if "코딩" not in x]
        )
        add("process", [_pick(rng, steps)])
    apply_lines = []
    end = posted_on + dt.timedelta(days=int(rng.integers(14, 45)))
    apply_lines.append(
        f"접수기간: {posted_on:%Y.%m.%d} ~ {end:%Y.%m.%d} (채용 시 마감)"
        if not english
        else f"Deadline: {end:%Y-%m-%d}"
    )
    has_pii = False
    contact = pp["pii"]
    if rng.random() < float(contact["contact_rate"]):
        phone = _phone(rng) if rng.random() < float(contact["phone_rate"]) else None
        email = (
            _email(rng, company)
            if rng.random() < float(contact["email_rate"]) or not phone
            else None
        )
        if email:
            apply_lines.append(
                _pick(
                    rng,
                    ["이메일 접수: {e}", "지원서 제출: {e} (제목: 지원분야_성명)", "E-mail: {e}"],
                ).format(e=email)
                if not english
                else f"Send your résumé to {email}"
            )
        if phone:
            apply_lines.append(
                _pick(
                    rng,
                    [
                        "문의: 인사팀 채용담당 {p}",
                        "채용 문의 {p} (평일 09:00~18:00)",
                        "담당자 연락처 {p}",
                        "Tel. {p}",
                    ],
                ).format(p=phone)
            )
        has_pii = True
    else:
        apply_lines.append(
            "당사 채용 홈페이지를 통한 온라인 지원"
            if not english
            else "Apply online on our careers page"
        )
    if not english and rng.random() < 0.5:
        apply_lines.append("제출서류: 이력서, 자기소개서, 경력기술서(경력자에 한함)")
    add("apply", apply_lines)

    # labels: exactly what the reference matcher finds, line by line
    m = writer.matcher
    req_codes = m.codes_in_lines(
        [title] + [ln for s in sections if s.key in REQUIRED_SECTIONS for ln in s.lines]
    )
    pref_codes = m.codes_in_lines([ln for s in sections if s.key == "preferred" for ln in s.lines])
    other = m.codes_in_lines(
        [
            ln
            for s in sections
            if s.key not in REQUIRED_SECTIONS + ("preferred",)
            for ln in [s.heading, *s.lines]
        ]
    )
    labels = {
        "field_code": field_code,
        "job_family": fam["code"],
        "title": title,
        "company_id": company["company_id"],
        "company_type": company["company_type"],
        "competencies": sorted(req_codes | pref_codes | other),
        "required": sorted(req_codes),
        "preferred": sorted(pref_codes - req_codes),
        "education": edu,
        "majors": majors,
        "experience_min_years": exp_min,
        "employment_type": employment,
        "region": region,
        "salary": salary_text,
        "salary_min": sal_min,
        "salary_max": sal_max,
        "salary_period": sal_period,
        "posted_on": posted_on.isoformat(),
        "has_pii": has_pii,
        "_boilerplate_codes": sorted(other),
    }
    return Posting(
        posting_id,
        field_code,
        fam,
        company,
        title,
        sections,
        labels,
        source=_p(rng, pp["sources"]),
        posted_on=posted_on,
        has_pii=has_pii,
    )


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


def _bullet(style: str, i: int) -> str:
    return style.format(n=i + 1, k=KOREAN_ENUM[i % len(KOREAN_ENUM)])


def render_text(p: Posting, rng: np.random.Generator) -> str:
    """Plain text as a recruiter pastes it: headings, bullets, blank lines."""
    bullet = _pick(rng, BULLETS)
    out = [p.title, ""] if rng.random() < 0.7 else []
    for s in p.sections:
        out.append(s.heading)
        lst = s.key in ("duties", "requirements", "preferred", "benefits") or len(s.lines) > 1
        for i, line in enumerate(s.lines):
            out.append(f"{_bullet(bullet, i)} {line}" if lst and s.key != "company" else line)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_html(p: Posting, rng: np.random.Generator) -> str:
    """A job-site page: scripts, navigation, nested divs, lists, a conditions table."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ko">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(p.title)} | {e(p.company['name'])}</title>",
        "<style>.jd h3{font-size:17px;margin:24px 0 8px}.jd table{border-collapse:collapse}"
        ".jd td,.jd th{border:1px solid #ddd;padding:6px}</style>",
        '<script>window.dataLayer=window.dataLayer||[];dataLayer.push({"page":"job_detail"});</script>',
        "</head>",
        "<body>",
        '<header class="gnb"><nav><a href="/">채용정보</a> | <a href="/company">기업정보</a> | '
        '<a href="/help">고객센터</a></nav></header>',
        '<div id="wrap"><div class="container"><div class="jd">',
        f'<div class="jd-header"><h1 class="tit">{e(p.title)}</h1>'
        f'<div class="corp"><span>{e(p.company["name"])}</span></div></div>',
        '<div class="jd-body">',
    ]
    for s in p.sections:
        parts.append(f'<div class="section sec-{s.key}">')
        parts.append(f"<h3>{e(s.heading)}</h3>")
        if s.table is not None and rng.random() < 0.8:
            parts.append('<table class="cond"><tbody>')
            parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in s.table]
            parts.append("</tbody></table>")
        elif len(s.lines) > 1 and s.key != "company":
            if rng.random() < 0.75:
                parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in s.lines) + "</ul>")
            else:
                parts.append("<p>" + "<br>\n".join(f"- {e(x)}" for x in s.lines) + "</p>")
        else:
            parts.append("".join(f"<p>{e(x)}</p>" for x in s.lines))
        parts.append("</div>")
    parts += [
        "</div></div></div></div>",
        '<footer class="footer"><p>본 채용정보는 기업이 제공한 내용이며 무단 전재를 금합니다.</p></footer>',
        '<script src="/static/js/app.min.js"></script>',
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


class _HTMLText:
    """Visible text of an HTML page (script and style dropped), one block per line."""

    BLOCK = {
        "p",
        "div",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "br",
        "table",
        "ul",
        "section",
        "header",
        "footer",
        "title",
    }

    @staticmethod
    def extract(doc: str) -> str:
        from html.parser import HTMLParser

        chunks: list[str] = []
        skip = [0]

        class P(HTMLParser):
            def handle_starttag(self, tag: str, attrs: Any) -> None:
                if tag in ("script", "style"):
                    skip[0] += 1
                if tag in _HTMLText.BLOCK or tag in ("td", "th"):
                    chunks.append("\n" if tag not in ("td", "th") else " ")

            def handle_endtag(self, tag: str) -> None:
                if tag in ("script", "style"):
                    skip[0] -= 1

            def handle_data(self, data: str) -> None:
                if not skip[0]:
                    chunks.append(data)

        P(convert_charrefs=True).feed(doc)
        lines = [" ".join(ln.split()) for ln in "".join(chunks).splitlines()]
        return "\n".join(ln for ln in lines if ln)


def html_to_text(doc: str) -> str:
    """The visible text of a posting page, one block per line (for tests and quick looks)."""
    return _HTMLText.extract(doc)


@lru_cache(maxsize=1)
def _font_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(FONT_REGULAR)).getBestCmap())


def _glyph_safe(text: str) -> str:
    """Replace characters the Korean font cannot draw (emoji bullets) with a plain bullet."""
    cmap = _font_cmap()
    text = unicodedata.normalize("NFC", text)
    return "".join(ch if ord(ch) in cmap or ch in "\n\t " else "•" for ch in text)


@lru_cache(maxsize=8)
def _pil_font(bold: bool, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def _wrap(text: str, font: Any, width: int) -> list[str]:
    words = text.split(" ")
    lines, cur = [], ""
    for w in words:
        cand = w if not cur else cur + " " + w
        if font.getlength(cand) <= width:
            cur = cand
            continue
        if cur:
            lines.append(cur)
        cur = w
        while font.getlength(cur) > width:  # one long word: break by characters
            cut = max(1, int(len(cur) * width / font.getlength(cur)))
            lines.append(cur[:cut])
            cur = cur[cut:]
    lines.append(cur)
    return lines


def render_image(text: str, headings: set[str], rng: np.random.Generator) -> Any:
    """A scanned-looking page: grey paper, dark text, slight rotation, blur, JPEG noise."""
    from PIL import Image, ImageDraw, ImageFilter

    width, margin = 1240, 90
    size = int(rng.integers(24, 29))
    lh = int(size * 1.55)
    regular, bold = _pil_font(False, size), _pil_font(True, size + 2)
    rows: list[tuple[str, bool]] = []
    for line in _glyph_safe(text).split("\n"):
        is_head = line.strip() in headings
        for part in _wrap(line, bold if is_head else regular, width - 2 * margin) if line else [""]:
            rows.append((part, is_head))
    height = max(1754, 2 * margin + lh * len(rows))
    paper = int(rng.integers(215, 240))
    img = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(img)
    ink = int(rng.integers(15, 60))
    y = margin
    for part, is_head in rows:
        draw.text((margin, y), part, fill=ink, font=bold if is_head else regular)
        y += lh
    noise = rng.normal(0.0, 4.0, size=(height, width))
    arr = np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(arr, mode="L")
    img = img.rotate(
        float(rng.uniform(-1.5, 1.5)),
        resample=Image.Resampling.BILINEAR,
        fillcolor=paper,
        expand=False,
    )
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.4, 1.0))))
    import io

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(rng.integers(35, 70)))
    buf.seek(0)
    return Image.open(buf).convert("L")


_PDF_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@lru_cache(maxsize=1)
def _pdf_base() -> Any:
    """An FPDF with the Korean fonts loaded (parsing the TTF takes ~0.2 s; copies are cheap)."""
    from fpdf import FPDF

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("fpdf").setLevel(logging.ERROR)
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("Nanum", "", str(FONT_REGULAR))  # one font: each embedded font costs ~0.1 s
    pdf.set_creation_date(_PDF_DATE)
    pdf.set_producer("talentlib synthetic postings")
    pdf.set_auto_page_break(True, margin=18)
    return pdf


@lru_cache(maxsize=4)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def _fresh_pdf() -> Any:
    """A copy of the base FPDF; fpdf2 shares the fontTools font between copies and subsets it
    in place on output, so each copy gets its own (lazily parsed from memory, cheap)."""
    import io

    from fontTools import ttLib

    pdf = copy.deepcopy(_pdf_base())
    for font in pdf.fonts.values():
        if getattr(font, "ttffile", None):
            font.ttfont = ttLib.TTFont(
                io.BytesIO(_font_bytes(str(font.ttffile))), recalcTimestamp=False, lazy=True
            )
    return pdf


def render_pdf_text(text: str, headings: set[str], rng: np.random.Generator) -> bytes:
    """A PDF with a text layer, written with NanumGothic."""
    pdf = _fresh_pdf()
    pdf.add_page()
    size = float(rng.choice([9.5, 10.0, 10.5, 11.0]))
    for line in _glyph_safe(text).split("\n"):
        head = line.strip() in headings
        pdf.set_font("Nanum", "", size + (2.0 if head else 0))
        if not line.strip():
            pdf.ln(size * 0.35)
            continue
        pdf.multi_cell(0, size * 0.55, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_pdf_image(img: Any, rng: np.random.Generator) -> bytes:
    """An image-only PDF (a scan): the page image split over A4 pages as JPEG, no text layer."""
    import io

    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(_PDF_DATE)
    pdf.set_producer("talentlib synthetic postings")
    w, h = img.size
    page_h = int(w * 297 / 210)
    quality = int(rng.integers(50, 80))
    for top in range(0, h, page_h):
        pdf.add_page()
        buf = io.BytesIO()
        img.crop((0, top, w, min(h, top + page_h))).save(buf, format="JPEG", quality=quality)
        buf.seek(0)
        pdf.image(buf, x=0, y=0, w=210)  # JPEG goes in as is (DCTDecode), no re-encoding
    return bytes(pdf.output())


# ---------------------------------------------------------------------------------------------
# The generator part
# ---------------------------------------------------------------------------------------------


def _infer_scale(params: dict[str, Any], out: Path, pp: dict[str, Any]) -> str:
    """The dataset's scale: params['postings_scale'] or params['scale'] if set, else the scale
    whose researcher count is nearest to out/researchers.parquet, else 'small'."""
    for key in ("postings_scale", "scale"):
        if isinstance(params.get(key), str) and params[key] in pp["scales"]:
            return str(params[key])
    path = out / "researchers.parquet"
    scales = params.get("scales") or {}
    if path.exists() and scales:
        n = pl.scan_parquet(path).select(pl.len()).collect().item()
        best = min(
            (s for s in scales if s in pp["scales"]),
            key=lambda s: abs(np.log(max(n, 1) / float(scales[s]["researchers"]))),
            default="small",
        )
        return str(best)
    return "small"


def _formats(
    rng: np.random.Generator, n: int, shares: dict[str, float], max_rendered: int
) -> list[str]:
    keys = [k for k in FORMATS if shares.get(k, 0) > 0]
    w = np.array([float(shares[k]) for k in keys])
    counts = np.floor(w / w.sum() * n).astype(int)
    for i in np.argsort(-(w / w.sum() * n - counts))[: n - counts.sum()]:
        counts[i] += 1
    quota = dict(zip(keys, counts.tolist(), strict=True))
    rendered = [k for k in keys if k in RENDERED]
    excess = sum(quota[k] for k in rendered) - max_rendered
    while excess > 0:  # keep the cap, move the rest to text
        k = max(rendered, key=lambda r: quota[r])
        quota[k] -= 1
        quota["txt"] = quota.get("txt", 0) + 1
        excess -= 1
    seq = [k for k in FORMATS for _ in range(quota.get(k, 0))]
    return [seq[i] for i in rng.permutation(len(seq))]


def generate_postings(
    rng: np.random.Generator,
    params: dict[str, Any],
    out: str | Path,
    *,
    scale: str | None = None,
    n_postings: int | None = None,
    formats: dict[str, float] | None = None,
    max_rendered: int | None = None,
    postings_params: dict[str, Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Write out/postings/ (raw files, labels.jsonl, job_postings.parquet); return the truth.

    The size comes from `n_postings`, else the scale (`scale`, params['postings_scale'], or the
    one matching out/researchers.parquet) in postings_params.yaml. `formats` (shares of txt,
    html, pdf_text, pdf_image, png) and `max_rendered` override the scale's mix, e.g. 500 PNGs
    for an OCR benchmark: ``formats={"png": 1}, max_rendered=500``.
    """
    t0 = time.perf_counter()
    pp = postings_params or default_postings_params()
    out = Path(out)
    scale = scale or _infer_scale(params or {}, out, pp)
    spec = pp["scales"][scale]
    n = int(n_postings if n_postings is not None else spec["n_postings"])
    shares = formats or spec["formats"]
    cap = int(max_rendered if max_rendered is not None else spec.get("max_rendered", n))
    root = out / "postings"
    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for old in raw.iterdir():  # a re-run replaces the previous postings
        if old.is_file():
            old.unlink()

    r_comp, r_post, r_fmt, r_render = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(rng.integers(2**63))).spawn(4)
    )
    companies = _companies(r_comp, pp, n)
    by_field: dict[str, list[dict[str, Any]]] = {}
    for c in companies:
        by_field.setdefault(c["field_code"], []).append(c)
    writer = _Writer(r_post, pp)
    fmts = _formats(r_fmt, n, shares, cap)
    fields = list(pp["field_share"])
    fw = np.array([float(pp["field_share"][f]) for f in fields])
    field_draw = r_post.choice(len(fields), size=n, p=fw / fw.sum())

    index_rows: list[dict[str, Any]] = []
    label_rows: list[dict[str, Any]] = []
    render_seconds = 0.0
    iterator: Iterable[int] = range(n)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="채용공고", unit="건")
    for i in iterator:
        f = fields[int(field_draw[i])]
        pool = by_field[f]
        w = np.array([c["weight"] for c in pool])
        company = pool[int(r_post.choice(len(pool), p=w / w.sum()))]
        pid = f"JP{i + 1:06d}"
        post = compose_posting(r_post, pp, writer, pid, f, company)
        fmt = fmts[i]
        ext = FILE_TYPE[fmt]
        rel = f"raw/{pid}.{ext}"
        text = render_text(post, r_render)
        t_r = time.perf_counter()
        headings = {s.heading for s in post.sections} | {post.title}
        if fmt == "txt":
            (root / rel).write_text(text, encoding="utf-8")
        elif fmt == "html":
            (root / rel).write_text(render_html(post, r_render), encoding="utf-8")
        elif fmt == "pdf_text":
            (root / rel).write_bytes(render_pdf_text(text, headings, r_render))
        else:
            img = render_image(text, headings, r_render)
            if fmt == "png":
                img.save(root / rel, format="PNG", compress_level=1)
            else:
                (root / rel).write_bytes(render_pdf_image(img, r_render))
        render_seconds += time.perf_counter() - t_r
        lab = post.labels
        label_rows.append(
            {
                "posting_id": pid,
                "file": rel,
                "file_type": ext,
                "format": fmt,
                **{k: v for k, v in lab.items() if not k.startswith("_")},
                "_boilerplate_codes": lab["_boilerplate_codes"],
            }
        )
        index_rows.append(
            {
                "posting_id": pid,
                "source": post.source,
                "posted_on": post.posted_on,
                "company_id": company["company_id"],
                "company_type": company["company_type"],
                "field_code": f,
                "title": mask_pii(post.title),
                "text": mask_pii(text) if fmt == "txt" else None,
                "file_path": rel,
                "file_type": ext,
            }
        )

    schema = {
        "posting_id": pl.String,
        "source": pl.String,
        "posted_on": pl.Date,
        "company_id": pl.String,
        "company_type": pl.String,
        "field_code": pl.String,
        "title": pl.String,
        "text": pl.String,
        "file_path": pl.String,
        "file_type": pl.String,
    }
    index = pl.DataFrame(index_rows, schema=schema, orient="row")
    tmp = root / "job_postings.parquet.tmp"
    index.write_parquet(tmp, compression="zstd")
    tmp.replace(root / "job_postings.parquet")
    with open(root / "labels.jsonl.tmp", "w", encoding="utf-8") as fh:
        for row in label_rows:
            rec = {k: row[k] for k in LABEL_FIELDS}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (root / "labels.jsonl.tmp").replace(root / "labels.jsonl")
    companies_df = pl.DataFrame(
        [
            {k: c[k] for k in ("company_id", "name", "field_code", "company_type", "region")}
            for c in companies
        ]
    )
    companies_df.write_parquet(root / "companies.parquet")
    truth = _truth(label_rows, companies, pp, scale, n)
    # timings vary between runs: they go to the part's manifest, not into truth.json
    manifest = {
        "dataset": "talentlib synthetic job postings",
        "params_version": pp["version"],
        "taxonomy_version": taxonomy.version("competencies"),
        "scale": scale,
        "n_postings": n,
        "by_format": truth["by_format"],
        "seconds": round(time.perf_counter() - t0, 2),
        "render_seconds": round(render_seconds, 2),
    }
    (root / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return truth


def _truth(
    rows: list[dict[str, Any]],
    companies: list[dict[str, Any]],
    pp: dict[str, Any],
    scale: str,
    n: int,
) -> dict[str, Any]:
    """What the job analysis must recover (counts are exact; rates are planted)."""

    def count(key: str) -> dict[str, int]:
        return dict(sorted(Counter(str(r[key]) for r in rows).items()))

    prevalence: dict[str, dict[str, int]] = {}
    for r in rows:
        d = prevalence.setdefault(r["field_code"], {})
        for c in r["competencies"]:
            d[c] = d.get(c, 0) + 1
    return {
        "scale": scale,
        "n_postings": n,
        "n_companies": len(companies),
        "files": {
            "index": "postings/job_postings.parquet",
            "labels": "postings/labels.jsonl",
            "raw": "postings/raw",
            "companies": "postings/companies.parquet",
            "manifest": "postings/manifest.json",
        },
        "by_format": count("format"),
        "by_field": count("field_code"),
        "by_job_family": count("job_family"),
        "by_company_type": count("company_type"),
        "by_education": count("education"),
        "by_employment_type": count("employment_type"),
        "with_pii": sum(1 for r in rows if r["has_pii"]),
        "boilerplate_mentions": sum(len(r["_boilerplate_codes"]) for r in rows),
        "planted_universal_rates": dict(pp["universal_rates"]),
        "competency_counts_by_field": {
            f: dict(sorted(d.items())) for f, d in sorted(prevalence.items())
        },
    }


__all__ = [
    "generate_postings",
    "compose_posting",
    "render_text",
    "render_html",
    "html_to_text",
    "default_postings_params",
    "LABEL_FIELDS",
    "FORMATS",
]
