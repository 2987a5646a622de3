"""Rule extraction from segmented postings: education, majors, experience, employment type,
location (시·도) and salary.

Each attribute has a function over plain text (``education_level``, ``experience_years``,
``majors``, ``employment_type``, ``region``, ``salary``) and ``extract_rules`` applies them to a
sections frame (``segment``'s output), reading each attribute from its own section first and
falling back to the sections where postings also state it — never from 우대사항 (preferred),
so "석사 우대" does not raise the minimum. Text is repaired for common OCR slips first: spaces
inside words, l/I/O for digits, 넌/녀 for 년. Vocabularies (majors, places) are data files
beside this module and the region and degree codes come from data_contracts/taxonomy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

__all__ = [
    "EMPLOYMENT_TYPES",
    "RULES_VERSION",
    "Salary",
    "education_level",
    "employment_type",
    "experience_years",
    "extract_rules",
    "major_code",
    "majors",
    "normalize_text",
    "region",
    "regions",
    "salary",
]

RULES_VERSION = "2"
_HERE = Path(__file__).parent

RULES_SCHEMA = {
    "posting_id": pl.String,
    "education": pl.String,
    "majors": pl.List(pl.String),
    "experience_min_years": pl.Int32,
    "employment_type": pl.String,
    "region": pl.String,
    "salary_min": pl.Int64,
    "salary_max": pl.Int64,
    "salary_period": pl.String,
    "salary_text": pl.String,
}

# --------------------------------------------------------------------------------------------
# Normalisation (OCR repair)
# --------------------------------------------------------------------------------------------

_DIGITISH = re.compile(r"(?<![A-Za-z])[0-9OIl|]*[0-9](?:[0-9OIl|,.]*[0-9OIl|])?(?![A-Za-z])")
_DIGIT_FIX = str.maketrans({"O": "0", "I": "1", "l": "1", "|": "1"})
_LONE_ONE = re.compile(r"(?<![0-9A-Za-z])[lI|](?=\s?(?:년|개월|명|천|억|만))")
_YEAR_SLIPS = re.compile(r"(?<=[0-9])(\s?)[넌녀뇬닌년]")
_HANGUL_GAP = re.compile(r"(?<=[가-힣])[ \t]+(?=[가-힣])")


def normalize_text(text: str) -> str:
    """NFKC, digits repaired (l0→10, 3O→30), 년 misreads fixed; Hangul spacing kept."""
    s = unicodedata.normalize("NFKC", text)
    s = _DIGITISH.sub(lambda m: m.group(0).translate(_DIGIT_FIX), s)
    s = _LONE_ONE.sub("1", s)
    return _YEAR_SLIPS.sub(r"\1년", s)


def _squeeze(text: str) -> str:
    """Hangul words run together ("경 력 3 년" → "경력 3 년"), as OCR spacing cannot be trusted."""
    return _HANGUL_GAP.sub("", text)


# Words that make a clause a preference, not a requirement.
_PREFERRED = re.compile(
    r"우\s*대|가\s*산\s*점|선\s*호|preferred|prefer|nice\s*to\s*have|is\s*a\s*plus|a\s*plus|bonus"
    r"|advantage|desirable|ideally",
    re.I,
)
# A clause runs to a comma, semicolon, parenthesis or line end; "또는"/"or" do not end it, so
# "MS or PhD preferred" marks both degrees as preferred.
_CLAUSE_END = re.compile(r"[,;\n()\[\]]")
_CLAUSE_START = re.compile(r"[,;\n(\[]")
_PREFERRED_BEFORE = re.compile(
    r"우\s*대\s*[:：]|preferred\s*[:：]|nice\s*to\s*have\s*[:：]|plus\s*[:：]", re.I
)


def _is_preferred(text: str, start: int, end: int) -> bool:
    """Whether the clause holding text[start:end] marks it as preferred ("석사 우대",
    "(석사 우대)", "MS or PhD preferred", "우대: 석사")."""
    m = _CLAUSE_END.search(text, end)
    if _PREFERRED.search(text, end, m.start() if m else len(text)):
        return True
    begin = max((m.end() for m in _CLAUSE_START.finditer(text, 0, start)), default=0)
    return bool(_PREFERRED_BEFORE.search(text, begin, start))


# --------------------------------------------------------------------------------------------
# Education
# --------------------------------------------------------------------------------------------

_RANK = {"HS": 1, "ASSOC": 2, "BACHELOR": 3, "MASTER": 4, "PHD": 5}
_LETTER = {"학": "BACHELOR", "석": "MASTER", "박": "PHD"}
# "MS", "BS" only as degrees: followed by degree words, a slash or "or" — not "MS Office".
_ACRO = r"\.?(?=\s*(?:degree|in\b|or\b|and\b|/|,|학\s*위|이\s*상|졸|\)|$))"
_DEGREE = re.compile(
    r"(?P<list>(?P<first>[학석박])\s*[·ㆍ/,.・∙]\s*(?:[학석박]\s*[·ㆍ/,.・∙]\s*)*[학석박]\s*사)"
    r"|(?P<ASSOC>전\s*문\s*학\s*사|초\s*대\s*졸|전\s*문\s*대|[23]\s*[~∼\-,·/]?\s*(?:3\s*)?년\s*제"
    r"|associate'?s?\s*degree)"
    r"|(?P<PHD>박\s*사|ph\.?\s?d\b|doctora(?:te|l)\s*degree|doctorate)"
    rf"|(?P<MASTER>석\s*사|대\s*학\s*원\s*졸|master'?s?\b|(?-i:M\.?S\.?c?|M\.?Eng)\b{_ACRO}|msc\b)"
    r"|(?P<BACHELOR>학\s*사|대\s*졸|4\s*년\s*제|대\s*학\s*교?\s*(?:졸\s*업|졸)"
    rf"|bachelor'?s?\b|(?-i:B\.?S\.?c?|B\.?A|B\.?Eng)\b{_ACRO}|undergraduate\s*degree"
    r"|(?:university|college)\s*degree)"
    r"|(?P<HS>고\s*졸|고\s*등\s*학\s*교|high\s*school)",
    re.I,
)
_EDU_ANY = re.compile(
    r"학\s*력\s*(?:[:：]\s*)?(?:무\s*관|불\s*문|제\s*한\s*없|상\s*관\s*없)"
    r"|no\s*degree\s*require(?:d|ments?)|any\s*degree|degree\s*not\s*required"
    r"|regardless\s*of\s*education",
    re.I,
)
_BARE_ANY = re.compile(
    r"^\W*(?:무\s*관|불\s*문|제\s*한\s*없\s*음|상\s*관\s*없\s*음|none|any)\W*$", re.I
)

_ANY_WITH_MAJORS = re.compile(r"^\W*(?:무\s*관|불\s*문)\s*\(.*(?:전\s*공|학\s*과|계\s*열)", re.I)


def _degree_mentions(text: str) -> Iterable[tuple[str, bool]]:
    """(degree code, preferred?) for each degree named in ``text``."""
    for m in _DEGREE.finditer(text):
        pref = _is_preferred(text, m.start(), m.end())
        if m.group("list"):
            letters = re.findall(r"[학석박]", m.group("list"))
            code = min((_LETTER[c] for c in letters), key=_RANK.__getitem__)
            yield code, pref
            continue
        code = next(k for k in _RANK if m.group(k))
        yield code, pref


def education_level(text: str, *, section: bool = False) -> str | None:
    """Minimum degree required (PHD, MASTER, BACHELOR, ASSOC, HS), "ANY" for 학력무관, or None.

    ``section=True`` says the text is the education section itself, where a bare "무관" is
    enough for ANY. Degrees marked as preferred ("석사 우대", "(석사 우대)") are ignored.
    """
    if not text:
        return None
    s = normalize_text(text)
    required = [code for code, pref in _degree_mentions(s) if not pref]
    if required:
        return min(required, key=_RANK.__getitem__)
    if _EDU_ANY.search(s):
        return "ANY"
    if section and any(_BARE_ANY.match(line) for line in s.splitlines()):
        return "ANY"
    # "무관 (관련 전공: …)" in a requirement list: the degree is open, the majors follow.
    if any(_ANY_WITH_MAJORS.match(line) for line in s.splitlines()):
        return "ANY"
    return None


# --------------------------------------------------------------------------------------------
# Experience
# --------------------------------------------------------------------------------------------

_EXP_CONTEXT = re.compile(
    r"경\s*력|경\s*험|실\s*무|년\s*차|신\s*[입임잎]|experience|years?|yrs?|entry|new\s*grad", re.I
)
# A requirement that is only a span of years ("- 3년 이상", "5~8년") is experience.
_EXP_ALONE = re.compile(
    r"^\W*\d{1,2}\s*(?:년\s*)?(?:[~∼\-–]\s*\d{1,2}\s*)?년\s*차?\s*(?:이\s*상|↑|\+)?\W*$"
)
_EXP_RANGE = re.compile(r"(?<![0-9])(\d{1,2})\s*(?:년)?\s*[~∼\-–]\s*(\d{1,2})\s*년")
_EXP_YEARS = re.compile(
    r"(?<![0-9.])(\d{1,2})\s*년\s*(?:차)?\s*(?P<cmp>이\s*상|이\s*하|미\s*만|초\s*과|↑|\+|以上)?"
)
_EXP_EN = re.compile(
    r"(?:(?:at\s*least|minimum(?:\s*of)?|min\.?|over|more\s*than)\s*)?(?<![0-9.])(\d{1,2})"
    r"\s*(?:\+|\s*or\s*more)?\s*(?:-\s*\d{1,2}\s*)?(?:years?|yrs?)\b",
    re.I,
)
_NEWCOMER = re.compile(
    r"신\s*[입임잎]|entry[\s-]*level|entry\s*or\s*experienced|new\s*grad(?:uate)?s?"
    r"|no\s*experience\s*required"
    r"|graduates?\s*welcome",
    re.I,
)
_EXP_ANY = re.compile(
    r"경\s*력\s*(?:[:：]\s*)?(?:무\s*관|불\s*문|상\s*관\s*없)|(?:신\s*입|경\s*력)\s*[·/,]?\s*"
    r"(?:경\s*력|신\s*입)\s*무\s*관|experience\s*not\s*required|any\s*experience(?:\s*level)?",
    re.I,
)


def experience_years(text: str, *, section: bool = False) -> int | None:
    """Minimum years of experience: 신입 → 0, "경력 3년 이상" → 3, "3~5년" → 3, 무관 → None.

    Outside the experience section (``section=False``) a number counts only on a line that
    speaks of experience (경력, 경험, 실무, years …); preferred clauses never count.
    """
    if not text:
        return None
    s = normalize_text(text)
    found: list[int] = []
    for line in s.splitlines():
        if not section and not _EXP_CONTEXT.search(line) and not _EXP_ALONE.match(line):
            continue
        taken: list[tuple[int, int]] = []
        for m in _EXP_RANGE.finditer(line):
            if not _is_preferred(line, m.start(), m.end()):
                found.append(int(m.group(1)))
            taken.append(m.span())
        for m in _EXP_YEARS.finditer(line):
            if any(a <= m.start() < b for a, b in taken):
                continue
            n = int(m.group(1))
            if n > 40 or _is_preferred(line, m.start(), m.end()):
                continue
            cmp = re.sub(r"\s", "", m.group("cmp") or "")
            if cmp in ("이하", "미만"):
                found.append(0)
                continue
            found.append(n)
        for m in _EXP_EN.finditer(line):
            n = int(m.group(1))
            if n <= 40 and not _is_preferred(line, m.start(), m.end()):
                found.append(n)
        for m in _NEWCOMER.finditer(line):
            if not _is_preferred(line, m.start(), m.end()):
                found.append(0)
    if _EXP_ANY.search(s) and (not found or min(found) == 0 and not _has_number_req(s)):
        return None
    return min(found) if found else None


def _has_number_req(s: str) -> bool:
    return bool(_EXP_RANGE.search(s) or _EXP_YEARS.search(s) or _EXP_EN.search(s))


# --------------------------------------------------------------------------------------------
# Majors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _MajorVocab:
    pattern: re.Pattern[str]
    codes: dict[str, str]  # lower-cased alias → code
    version: str


def _yaml(name: str) -> Any:
    import yaml

    return yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _major_vocab() -> _MajorVocab:
    data = _yaml("majors.yaml")
    codes: dict[str, str] = {}
    cased: set[str] = set()
    for m in data["majors"]:
        for alias in [m["ko"], m["en"], *m.get("synonyms", [])]:
            a = _squeeze(unicodedata.normalize("NFKC", alias))
            codes.setdefault(a.lower(), m["code"])
            if re.fullmatch(r"[A-Z]{2,4}", a):
                cased.add(a)
    acronyms, latin, hangul = [], [], []
    for a in sorted(codes, key=len, reverse=True):
        original = next((c for c in cased if c.lower() == a), None)
        if original:
            acronyms.append(re.escape(original))
        elif re.search(r"[a-z]", a):
            latin.append(re.escape(a))
        else:
            # OCR may split a Hangul word ("화학 공학"), so letters may have spaces between.
            hangul.append(r"\s*".join(re.escape(c) for c in a))
    # One lookaround per group (not per alias) keeps compiling fast. Hangul: not inside a
    # longer word on the left; 기계 not in 기계학습.
    pattern = (
        rf"(?-i:(?<![A-Za-z])(?:{'|'.join(acronyms)})(?![A-Za-z]))"
        rf"|(?<![A-Za-z])(?:{'|'.join(latin)})(?![A-Za-z])"
        rf"|(?<![가-힣])(?:{'|'.join(hangul)})(?!학습|어|번역|장비|설비|적|공정)"
    )
    return _MajorVocab(re.compile(pattern, re.I), codes, str(data.get("version", "")))


_MAJOR_CONTEXT = re.compile(
    r"전\s*공|학\s*과|계\s*열|학\s*위|학\s*사|석\s*사|박\s*사|major|degree|field|studies|bachelor"
    r"|master|ph\.?\s?d|(?-i:\b[BM]\.?S\b)",
    re.I,
)
_MAJOR_ANY = re.compile(
    r"전\s*공\s*(?:[:：]\s*)?(?:무\s*관|불\s*문|제\s*한\s*없|상\s*관\s*없)"
    r"|any\s*major|major\s*not\s*required|all\s*majors",
    re.I,
)


def major_code(name: str) -> str | None:
    """Code of one major name or synonym ("화공" → CHEM_ENG), None when unknown."""
    key = _squeeze(unicodedata.normalize("NFKC", name)).strip().lower()
    return _major_vocab().codes.get(key)


def majors(text: str, *, section: bool = False) -> list[str] | None:
    """Major codes in order of mention; [] for 전공무관; None when no major is stated.

    Outside the major section only lines that speak of a major (전공, 학과, major, degree …)
    are read, so "기계학습" or "물리 보안" in a duty line are not majors.
    """
    if not text:
        return None
    s = normalize_text(text)
    v = _major_vocab()
    out: list[str] = []
    preferred: list[str] = []
    any_major = False
    for line in s.splitlines():
        if not section and not _MAJOR_CONTEXT.search(line):
            continue
        if _MAJOR_ANY.search(line) or (section and _BARE_ANY.match(line)):
            any_major = True
        for m in v.pattern.finditer(line):
            code = v.codes.get(_squeeze(m.group(0)).lower())
            if code is None:
                continue
            into = preferred if _is_preferred(line, m.start(), m.end()) else out
            if code not in into:
                into.append(code)
    if out:
        return out
    if any_major:
        return []
    # Only preferred majors ("화학공학 전공자 우대"): they still say which field is sought.
    return preferred or None


# --------------------------------------------------------------------------------------------
# Employment type
# --------------------------------------------------------------------------------------------

EMPLOYMENT_TYPES: dict[str, str] = {
    "REGULAR": "정규직",
    "CONTRACT": "계약직",
    "INTERN": "인턴",
    "DISPATCH": "파견직",
    "PART_TIME": "시간제",
}
_EMPLOYMENT = re.compile(
    r"(?P<INTERN>인\s*턴|intern(?:ship)?)"
    r"|(?P<DISPATCH>파\s*견|dispatch(?:ed)?|agency\s*worker)"
    r"|(?P<PART_TIME>아\s*르\s*바\s*이\s*트|시\s*간\s*제|파\s*트\s*타\s*임|part[\s-]*time)"
    r"|(?P<CONTRACT>계\s*약\s*직|기\s*간\s*제|촉\s*탁|계\s*약|contract(?:or|\s*position)?\b"
    r"|fixed[\s-]*term|temporary)"
    r"|(?P<REGULAR>정\s*규\s*직|정\s*규|permanent|full[\s-]*time|regular\s*(?:position|employee))",
    re.I,
)
_CONVERSION = re.compile(r"^\s*(?:으로|로)?\s*(?:전\s*환|conversion|convert)", re.I)


def employment_type(text: str) -> str | None:
    """First employment type stated (REGULAR, CONTRACT, INTERN, DISPATCH, PART_TIME) or None.

    "정규직 전환" (conversion after an internship or contract) is not the type itself.
    """
    if not text:
        return None
    s = normalize_text(text)
    for m in _EMPLOYMENT.finditer(s):
        if _CONVERSION.match(s, m.end()) or _is_preferred(s, m.start(), m.end()):
            continue
        return next(k for k in EMPLOYMENT_TYPES if m.group(k))
    return None


# --------------------------------------------------------------------------------------------
# Region (시·도)
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _place_vocab() -> tuple[re.Pattern[str], dict[str, str]]:
    from talentlib import taxonomy

    names: dict[str, str] = {}
    for row in taxonomy.load("regions")["codes"]:
        for key in ("ko", "short", "en"):
            if row.get(key):
                names.setdefault(str(row[key]).lower(), str(row["code"]))
    data = _yaml("places.yaml")
    for code, aliases in {**data.get("places", {})}.items():
        for a in aliases:
            names.setdefault(str(a).lower(), str(code))
    for code, aliases in data.get("former_names", {}).items():
        for a in aliases:
            names.setdefault(str(a).lower(), str(code))
    # Province short names written out ("충청북도" is in regions.yaml; "충북도" is not).
    ordered = sorted(names, key=len, reverse=True)
    latin = [re.escape(a) for a in ordered if re.search(r"[a-z]", a)]
    hangul = [re.escape(a) for a in ordered if not re.search(r"[a-z]", a)]
    pattern = (
        rf"(?<![A-Za-z])(?:{'|'.join(latin)})(?![a-z])"
        rf"|(?<![가-힣])(?:{'|'.join(hangul)})"
    )
    return re.compile(pattern, re.I), names


def regions(text: str) -> list[str]:
    """시·도 codes of the places named in ``text``, in order, without repeats."""
    if not text:
        return []
    pattern, names = _place_vocab()
    out: list[str] = []
    for m in pattern.finditer(unicodedata.normalize("NFKC", text)):
        code = names[m.group(0).lower()]
        if code not in out:
            out.append(code)
    return out


def region(text: str) -> str | None:
    """시·도 code of the first place named ("경기 화성시" → "41", "오창" → "43") or None."""
    found = regions(text)
    return found[0] if found else None


# --------------------------------------------------------------------------------------------
# Salary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Salary:
    """Stated pay in 만원 per ``period`` (year or month); None where not stated.

    Hourly and daily pay keep their period and raw text but no 만원 figures.
    """

    min: int | None
    max: int | None
    period: str | None
    text: str | None


# Thousands separators, also as OCR reads them: "4.500", "7 700", "55,.600".
_THOUSANDS = re.compile(r"(?<=\d)(?:[,.]\s?|\s)[,.]?(?=\d{3}(?!\d))")
_AMOUNT = re.compile(
    r"(?:(?P<eok>\d+(?:\.\d+)?)\s*억\s*)?"
    r"(?:(?P<cheon>\d+(?:\.\d+)?)\s*천\s*)?"
    r"(?:(?P<baek>\d+)\s*백\s*)?"
    r"(?:(?P<num>\d+(?:\.\d+)?)\s*)?"
    r"(?P<unit>만\s*[원윈웬]?|원|[Mm](?:illion)?\b|[Kk]\b)?"
)
_NOT_MONEY = re.compile(r"\s*(?:년|개\s*월|월|일|명|개|시|%|세|차|회|인|주)")
_DATE_PART = re.compile(r"[.\-/]\d")
_MONEY_WORDS = re.compile(
    r"연\s*봉|급\s*여|월\s*급|보\s*수|임\s*금|초\s*봉|salary|pay|compensation|krw|₩|원", re.I
)
_RANGE_SEP = re.compile(r"^\s*(?:[~∼\-–—]|에서|to|부터)\s*$", re.I)
_PERIODS = (
    ("hour", re.compile(r"시\s*급|hourly|per\s*hour|/\s*h(?:ou)?r", re.I)),
    ("day", re.compile(r"일\s*급|daily|per\s*day", re.I)),
    (
        "month",
        re.compile(r"월\s*급|월\s*(?=\s*\d)|월\s*평균|monthly|per\s*month|/\s*mo(?:nth)?", re.I),
    ),
    (
        "year",
        re.compile(r"연\s*봉|연\s*(?=\s*\d)|annual|per\s*year|/\s*y(?:ea)?r|yearly|salary", re.I),
    ),
)
_MIN_WORD = re.compile(r"이\s*상|최\s*소|부\s*터|from|at\s*least|min", re.I)
_MAX_WORD = re.compile(r"이\s*하|최\s*대|까\s*지|up\s*to|max", re.I)
_NEGOTIABLE = re.compile(
    r"협\s*의|내\s*규|면\s*접\s*후|추\s*후|결\s*정|negotiable|competitive|DOE", re.I
)


def _amounts(s: str) -> list[tuple[int, int, float | None, bool]]:
    """(start, end, value in 만원 or None for a bare number, had a unit?) in order."""
    out = []
    for m in _AMOUNT.finditer(s):
        if not m.group(0).strip() or not re.search(r"\d", m.group(0)):
            continue
        eok, cheon, baek, num, unit = (m.group(k) for k in ("eok", "cheon", "baek", "num", "unit"))
        unit = re.sub(r"\s", "", unit or "")
        if unit in ("M", "m", "million", "Million"):
            out.append((m.start(), m.end(), float(num or 0) * 100, True))
            continue
        if unit in ("K", "k"):
            out.append((m.start(), m.end(), float(num or 0) * 1000 / 10000, True))
            continue
        value = 0.0
        value += float(eok) * 10000 if eok else 0
        value += float(cheon) * 1000 if cheon else 0
        value += float(baek) * 100 if baek else 0
        has_unit = bool(eok or cheon or baek or unit)
        if num:
            n = float(num)
            if unit == "원" and not (eok or cheon or baek):
                n = n / 10000
            value += n
        if not has_unit:
            out.append((m.start(), m.end(), value, False))
        else:
            out.append((m.start(), m.end(), value, True))
    return out


def salary(text: str) -> Salary:
    """Pay range stated in ``text``: "연봉 4,500~6,000만원" → 4500, 6000, year.

    Korean units (억, 천, 만원, 원), thousands separators (also OCR's "4.500"), open ranges
    ("3,000만원 이상", "최대 6천만원") and English ("KRW 50M-70M") are read; "회사 내규에 따름",
    "협의" and the like give no numbers but keep the raw text.
    """
    raw = " ".join(text.split()) if text else ""
    if not raw:
        return Salary(None, None, None, None)
    s = _THOUSANDS.sub("", normalize_text(raw))
    period = next((p for p, rx in _PERIODS if rx.search(s)), None)
    amounts = _amounts(s)
    # A bare number takes the unit of the amount after a range sign ("4,500~6,000만원").
    values: list[tuple[int, int, float]] = []
    for i, (a, b, v, unit) in enumerate(amounts):
        if unit:
            values.append((a, b, v))
            continue
        nxt = amounts[i + 1] if i + 1 < len(amounts) else None
        if nxt and nxt[3] and _RANGE_SEP.match(s[b : nxt[0]]):
            values.append((a, b, v * _scale_of(s[nxt[0] : nxt[1]])))
        elif _NOT_MONEY.match(s, b) or _DATE_PART.match(s, b) or not _MONEY_WORDS.search(s):
            continue  # 2025년, 3개월, 5명, 2021.07.19, or no word of pay in the text
        elif v >= 100_000:  # "50,000,000 KRW": won
            values.append((a, b, v / 10_000))
        elif 500 <= v <= 50_000:  # "연봉 3500 이상": 만원 is the unit postings leave out
            values.append((a, b, v))
    values = [(a, b, v) for a, b, v in values if v > 0]
    if not values or period in ("hour", "day"):
        # Hourly and daily pay are not expressed in 만원; the raw text keeps them.
        return Salary(None, None, period, raw[:300])
    if period is None:
        period = "year" if max(v for _, _, v in values) >= 1000 else None
    lo = hi = None
    first = values[0]
    if len(values) >= 2 and _RANGE_SEP.match(s[first[1] : values[1][0]]):
        lo, hi = values[0][2], values[1][2]
    else:
        tail = s[first[1] : first[1] + 8]
        head = s[max(0, first[0] - 6) : first[0]]
        if _MAX_WORD.search(tail) or _MAX_WORD.search(head) or re.search(r"[~∼]\s*$", head):
            hi = first[2]
        elif _MIN_WORD.search(tail) or _MIN_WORD.search(head) or re.search(r"^\s*[~∼]", tail):
            lo = first[2]
        else:
            lo = hi = first[2]
    if lo is not None and hi is not None and lo > hi:
        lo = _repair_low_end(lo, hi)
        if lo > hi:
            lo, hi = hi, lo
    return Salary(_round(lo), _round(hi), period, raw[:300])


def _repair_low_end(lo: float, hi: float) -> float:
    """OCR reads the comma of "6,300" as digits ("66,300", "61300", "443300"): a range start
    longer than its end keeps its first digit and the end's length of trailing digits."""
    a, b = str(round(lo)), str(round(hi))
    if len(a) > len(b) >= 3:
        cand = float(a[0] + a[len(a) - len(b) + 1 :])
        if cand <= hi:
            return cand
    return lo


def _scale_of(amount_text: str) -> float:
    """Scale a bare number borrows from the amount after it: 천만원 → 1000, 억 → 10000, 만원 → 1."""
    t = re.sub(r"[\d.,\s]", "", amount_text)
    if t.startswith("억"):
        return 10000
    if t.startswith("천"):
        return 1000
    if t.startswith("원"):
        return 1 / 10000
    if t.lower().startswith("m"):
        return 100
    return 1


def _round(v: float | None) -> int | None:
    return None if v is None else round(v)


# --------------------------------------------------------------------------------------------
# Over the sections frame
# --------------------------------------------------------------------------------------------

# Where each attribute is looked for, in order; the first source with a finding wins.
_SOURCES: dict[str, tuple[tuple[str, ...], ...]] = {
    # the last group catches postings whose headings OCR garbled, so their lines fell elsewhere
    "education": (("education",), ("requirements", "major"), ("position", "other", "conditions"),
                  ("duties", "company", "application", "process", "benefits", "preferred")),
    "experience": (("experience",), ("requirements",), ("position", "other", "conditions"),
                   ("duties", "company", "application", "process", "benefits", "preferred")),
    "majors": (("major",), ("education", "requirements", "conditions"), ("position", "other"),
               ("duties", "company", "application", "process", "benefits")),
    "employment": (("employment",), ("conditions", "position", "other")),
    "region": (("location",), ("conditions",), ("position", "other")),
    "salary": (("salary",), ("conditions",), ("other", "position")),
}


def _first(by_section: dict[str, str], attr: str, fn: Any) -> Any:
    """The first finding of ``fn`` over the attribute's sources (see _SOURCES)."""
    own = _SOURCES[attr][0]
    for group in _SOURCES[attr]:
        text = "\n".join(by_section[s] for s in group if s in by_section)
        if not text:
            continue
        if attr in ("education", "experience", "majors"):
            value = fn(text, section=group == own)
        else:
            value = fn(text)
        # [] is a finding for majors (전공무관), not an absence.
        if value is not None and (value != [] or attr == "majors"):
            return value
    return None


def _pay(by_section: dict[str, str]) -> Salary:
    """The first source that states an amount; else the salary section's words ("협의")."""
    stated = None
    for group in _SOURCES["salary"]:
        text = "\n".join(by_section[s] for s in group if s in by_section)
        if not text:
            continue
        pay = salary(text)
        if pay.min is not None or pay.max is not None:
            return pay
        if stated is None and group == _SOURCES["salary"][0]:
            stated = pay
    return stated or Salary(None, None, None, None)


def extract_rules(sections: pl.DataFrame) -> pl.DataFrame:
    """One row per posting: education, majors, experience_min_years, employment_type, region,
    salary_min / salary_max (만원 per salary_period) and salary_text, from ``segment`` output.
    """
    missing = {"posting_id", "section", "text"} - set(sections.columns)
    if missing:
        raise ValueError(
            f"extract_rules: column(s) {', '.join(sorted(missing))} missing; pass "
            "the frame that postings.segment returns"
        )
    text = pl.col("text")
    if "line_no" in sections.columns:
        text = text.sort_by("line_no")
    grouped = sections.group_by("posting_id", "section", maintain_order=True).agg(
        text.str.join("\n")
    )
    per_posting: dict[str, dict[str, str]] = {}
    for pid, sec, joined in grouped.iter_rows():
        per_posting.setdefault(pid, {})[sec] = joined
    rows = []
    for pid, by_section in per_posting.items():
        pay = _pay(by_section)
        rows.append(
            {
                "posting_id": pid,
                "education": _first(by_section, "education", education_level),
                "majors": _first(by_section, "majors", majors),
                "experience_min_years": _first(by_section, "experience", experience_years),
                "employment_type": _first(by_section, "employment", employment_type),
                "region": _first(by_section, "region", region),
                "salary_min": pay.min,
                "salary_max": pay.max,
                "salary_period": pay.period,
                "salary_text": pay.text,
            }
        )
    return pl.DataFrame(rows, schema=RULES_SCHEMA)
