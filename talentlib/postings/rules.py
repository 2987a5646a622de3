"""Rule extraction from segmented postings: education, majors, experience, employment type,
location (시·도) and salary.

Each attribute has a function over plain text (``education_level``, ``experience_years``,
``majors``, ``employment_type``, ``region``, ``salary``) and ``extract_rules`` applies them to a
sections frame (``segment``'s output), reading each attribute from its own section first and
falling back to the sections where postings also state it. Education and experience are never
read from 우대사항 (preferred), so "석사 우대" does not raise the minimum; majors named there are
returned apart (``majors_preferred``) and stand in for ``majors`` when no major is required.

**The minimum requirement is the least demanding alternative.** "석사 이상 또는 학사 + 경력
3년" is a bachelor's with 0 years (the master's path needs no experience); "관련 분야 3년 경력
또는 석사" states no degree minimum and 0 years; "2년 이상 (석사 과정 포함)" is 2 years in
which master's study counts, not a master's degree; "5년차 스타트업" is the company's age.

Text is repaired for common OCR slips first: spaces inside words, l/I/O for digits, 넌/녀 for
년. Vocabularies (majors, places) are data files beside this module and the region and degree
codes come from data_contracts/taxonomy.
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

RULES_VERSION = "3"
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
    # Majors named only as a preference (우대사항, "… 전공자 우대"); when no major is required
    # ``majors`` holds these too, as they still say which field is sought.
    "majors_preferred": pl.List(pl.String),
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
# Latin degree abbreviations (MS, BS, BA, M.Eng) only as whole words ("AMBA," and "KMS)" hold
# none) and only before degree words, a slash or "or" — not "MS Office". Before a comma, a
# bracket or the line end they count only where the line speaks of degrees (_DEGREE_WORDS).
_ACRO = r"\.?(?=\s*(?:degree|in\b|or\b|and\b|/|,|학\s*위|이\s*상|졸|\)|$))"
_ACRO_STRONG = re.compile(r"\.?\s*(?:degree|in\b|or\b|and\b|/|학\s*위|이\s*상|졸)", re.I)
_ABBREVIATION = re.compile(r"(?:[MB]\.?S\.?c?|B\.?A|[MB]\.?Eng)\.?", re.I)
_DEGREE_WORDS = re.compile(
    r"degree|학\s*위|학\s*력|education|졸\s*업|bachelor|master|ph\.?\s?d|학\s*사|석\s*사|박\s*사",
    re.I,
)
_DEGREE = re.compile(
    r"(?P<list>(?P<first>[학석박])\s*[·ㆍ/,.・∙]\s*(?:[학석박]\s*[·ㆍ/,.・∙]\s*)*[학석박]\s*사)"
    r"|(?P<ASSOC>전\s*문\s*학\s*사|초\s*대\s*졸|전\s*문\s*대|[23]\s*[~∼\-,·/]?\s*(?:3\s*)?년\s*제"
    r"|대\s*(?:학\s*교?\s*)?(?:졸\s*)?\(\s*[23]\s*(?:[~∼\-,·/]\s*3\s*)?\s*년\s*제?\s*\)"
    r"|associate'?s?\s*degree)"
    r"|(?P<PHD>박\s*사|ph\.?\s?d\b|doctora(?:te|l)\s*degree|doctorate)"
    rf"|(?P<MASTER>석\s*사|대\s*학\s*원\s*졸|master'?s?\b|(?-i:(?<![A-Za-z])(?:M\.?S\.?c?|M\.?Eng)\b){_ACRO}"
    r"|(?<![a-z])msc\b)"
    r"|(?P<BACHELOR>학\s*사|대\s*졸|4\s*년\s*제|대\s*학\s*교?\s*(?:\(\s*4\s*년\s*제?\s*\)\s*)?(?:졸\s*업|졸)"
    rf"|bachelor'?s?\b|(?-i:(?<![A-Za-z])(?:B\.?S\.?c?|B\.?A|B\.?Eng)\b){_ACRO}"
    r"|undergraduate\s*degree|(?:university|college)\s*degree)"
    r"|(?P<HS>고\s*졸|고\s*등\s*학\s*교|high\s*school)",
    re.I,
)
# "(석사 과정 포함)", "석·박사 과정 기간 인정": study that counts as experience, no degree asked.
_STUDY_COUNTS = re.compile(
    r"\s*(?:학\s*위\s*)?(?:과\s*정|재\s*학)[^,;()\n]{0,10}?(?:포\s*함|인\s*정)"
)
# "석사는 2년", "석사 학위자의 경우 신입 가능": what holders of a degree need, not a requirement.
_HOLDERS = re.compile(
    r"\s*(?:학\s*위\s*)?(?:소\s*지\s*)?(?:자\s*)?(?:[은는]|의\s*경\s*우|인\s*경\s*우)"
    r"(?![가-힣])[^,;()\n]{0,15}?(?:\d+\s*년|신\s*입|경\s*력)"
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
        if _STUDY_COUNTS.match(text, m.end()):
            continue  # "2년 이상 (석사 과정 포함)": years in which study counts
        if _HOLDERS.match(text, m.end()):
            continue  # "경력 4년↑ (석사는 2년↑)": a path for holders, no degree asked
        if _ABBREVIATION.fullmatch(m.group(0)) and not _ACRO_STRONG.match(text, m.end()):
            # "MS," or "BA)" is a degree only on a line that speaks of degrees.
            line_start = text.rfind("\n", 0, m.start()) + 1
            line_end = text.find("\n", m.end())
            line = text[line_start : line_end if line_end != -1 else len(text)]
            rest = line[: m.start() - line_start] + " " + line[m.end() - line_start :]
            if not _DEGREE_WORDS.search(rest):
                continue
        pref = _is_preferred(text, m.start(), m.end())
        if m.group("list"):
            letters = re.findall(r"[학석박]", m.group("list"))
            code = min((_LETTER[c] for c in letters), key=_RANK.__getitem__)
            yield code, pref
            continue
        code = next(k for k in _RANK if m.group(k))
        yield code, pref


# Alternatives in one requirement: "석사 이상 또는 학사 + 경력 3년", "3년 경력 또는 석사".
_ALTERNATIVE = re.compile(r"\s*(?:,\s*)?(?:또\s*는|혹\s*은|\bor\b|이\s*거\s*나)\s*", re.I)


def _alternatives(line: str) -> list[str] | None:
    """The alternatives of a line that offers a degree or experience as a choice, or None.

    Only a line whose alternatives mix degrees and years of experience counts ("박사 또는
    석사 + 경력 3년", "3년 경력 또는 석사"); "또는" between majors ("원자력공학 또는 기계공학
    석사", "BS/MS in EE or CS with 8+ years") or before words that are no path ("석사 또는
    이에 준하는 역량") joins no alternatives."""
    pattern = _major_vocab().pattern
    parts: list[str] = []
    last = 0
    for m in _ALTERNATIVE.finditer(line):
        left, right = line[last : m.start()], line[m.end() :]
        tail = [h for h in pattern.finditer(left) if not left[h.end() :].strip(" )")]
        head = pattern.match(right)
        if tail and head:
            continue  # majors in a row, not paths
        parts.append(line[last : m.start()])
        last = m.end()
    parts.append(line[last:])
    paths: list[str] = []
    for p in parts:
        is_path = any(True for _ in _degree_mentions(p)) or _years_in(p) is not None
        if is_path or not paths:
            paths.append(p)
        else:
            paths[-1] += " " + p  # no degree, no years: part of the path before it
    if paths and not (any(True for _ in _degree_mentions(paths[0])) or _years_in(paths[0])
                      is not None) and len(paths) > 1:  # fmt: skip
        paths[1] = paths[0] + " " + paths[1]
        paths = paths[1:]
    if len(paths) < 2:
        return None
    degrees = [any(True for _ in _degree_mentions(p)) for p in paths]
    years = [_years_in(p) is not None for p in paths]
    if (
        any(degrees)
        and any(years)
        and not all(d and not y for d, y in zip(degrees, years, strict=True))
    ):
        return paths
    return None


def _line_degrees(line: str) -> list[str]:
    """Required degrees of one line; a line of alternatives gives its least demanding one, and
    nothing when one alternative needs no degree ("3년 경력 또는 석사")."""
    alts = _alternatives(line)
    if alts is None:
        return [code for code, pref in _degree_mentions(line) if not pref]
    lowest: list[str] = []
    for alt in alts:
        got = [code for code, pref in _degree_mentions(alt) if not pref]
        if not got:
            return []  # an alternative without a degree: the line sets no minimum
        lowest.append(min(got, key=_RANK.__getitem__))
    return [min(lowest, key=_RANK.__getitem__)]


def education_level(text: str, *, section: bool = False) -> str | None:
    """Minimum degree required (PHD, MASTER, BACHELOR, ASSOC, HS), "ANY" for 학력무관, or None.

    ``section=True`` says the text is the education section itself, where a bare "무관" is
    enough for ANY. Degrees marked as preferred ("석사 우대", "(석사 우대)") are ignored, and
    alternatives give their least demanding degree ("석사 이상 또는 학사 + 경력 3년" → BACHELOR).
    """
    if not text:
        return None
    s = normalize_text(text)
    required = [code for line in s.splitlines() for code in _line_degrees(line)]
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


# "5년차 스타트업", "설립 12년 차", "창립 20년": the company's age, not a requirement.
_COMPANY_AGE = re.compile(
    r"(?:설\s*립|창\s*립|창\s*업|업\s*력)\s*\d{1,3}\s*년\s*(?:차|째)?"
    r"|\d{1,3}\s*년\s*(?:차|째)?\s*(?:된\s*|의\s*)?(?:스\s*타\s*트\s*업|기\s*업|회\s*사|벤\s*처|법\s*인"
    r"|업\s*체)",
)
# A bracket that narrows the main requirement: "경력 5년 이상 (그중 ML 인프라 2년 이상)",
# "(클라우드 보안 2년 이상 포함)" — its years are part of the others, not an alternative.
_SUBSET = re.compile(r"\(([^()]*)\)")
_SUBSET_WORDS = re.compile(r"그\s*중|이\s*중|포\s*함|중\s")


def _masked(line: str) -> list[tuple[int, int]]:
    """Spans of a line whose years say nothing of the candidate (company age, subsets)."""
    spans = [m.span() for m in _COMPANY_AGE.finditer(line)]
    for m in _SUBSET.finditer(line):
        if _SUBSET_WORDS.search(m.group(1)):
            outside = line[: m.start()] + line[m.end() :]
            if _EXP_YEARS.search(outside) or _EXP_EN.search(outside):
                spans.append(m.span())
    return spans


def _line_years(line: str) -> list[int]:
    """Years (and 0 for 신입) a line asks for, preferred clauses and masked spans left out."""
    found: list[int] = []
    masked = _masked(line)

    def free(m: re.Match[str]) -> bool:
        return not any(a <= m.start() < b for a, b in masked) and not _is_preferred(
            line, m.start(), m.end()
        )

    taken: list[tuple[int, int]] = []
    for m in _EXP_RANGE.finditer(line):
        if free(m):
            found.append(int(m.group(1)))
        taken.append(m.span())
    for m in _EXP_YEARS.finditer(line):
        if any(a <= m.start() < b for a, b in taken):
            continue
        n = int(m.group(1))
        if n > 40 or not free(m):
            continue
        cmp = re.sub(r"\s", "", m.group("cmp") or "")
        found.append(0 if cmp in ("이하", "미만") else n)
    for m in _EXP_EN.finditer(line):
        n = int(m.group(1))
        if n <= 40 and free(m):
            found.append(n)
    for m in _NEWCOMER.finditer(line):
        if free(m):
            found.append(0)
    return found


def _years_in(text: str) -> int | None:
    got = _line_years(text)
    return min(got) if got else None


def experience_years(text: str, *, section: bool = False) -> int | None:
    """Minimum years of experience: 신입 → 0, "경력 3년 이상" → 3, "3~5년" → 3, 무관 → None.

    Outside the experience section (``section=False``) a number counts only on a line that
    speaks of experience (경력, 경험, 실무, years …); preferred clauses never count. Over
    alternatives the least demanding one counts: "관련 분야 3년 경력 또는 석사" → 0.
    """
    if not text:
        return None
    s = normalize_text(text)
    found: list[int] = []
    for line in s.splitlines():
        if not section and not _EXP_CONTEXT.search(line) and not _EXP_ALONE.match(line):
            continue
        alts = _alternatives(line)
        if alts is not None:
            # A degree path without years needs no experience: it counts as 0.
            per = [_years_in(a) for a in alts]
            per = [0 if y is None and any(True for _ in _degree_mentions(a)) else y
                   for a, y in zip(alts, per, strict=True)]  # fmt: skip
            known = [y for y in per if y is not None]
            if known:
                found.append(min(known))
                continue
        found += _line_years(line)
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
    generic: frozenset[str] = frozenset()  # "engineering": a major only on its own


def _yaml(name: str) -> Any:
    import yaml

    return yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))


# A short Hangul major name runs on only into a major suffix or a particle: "전자과", "화학을",
# "전자·제어 계열" — not "전자금융", "전기차", "화학물질".
_SHORT_MAJOR_NEXT = "과계학공전관분및등또이을를의쪽와로으은는가자"


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
    acronyms, latin, hangul, short = [], [], [], []
    for a in sorted(codes, key=len, reverse=True):
        original = next((c for c in cased if c.lower() == a), None)
        if original:
            acronyms.append(re.escape(original))
        elif re.search(r"[a-z]", a):
            latin.append(re.escape(a))
        else:
            # OCR may split a Hangul word ("화학 공학"), so letters may have spaces between.
            spaced = r"\s*".join(re.escape(c) for c in a)
            (short if len(a) <= 3 else hangul).append(spaced)
    # One lookaround per group (not per alias) keeps compiling fast. Hangul: not inside a
    # longer word on the left; 기계 not in 기계학습; a short name not inside a longer word.
    stop = r"(?!학습|어|번역|장비|설비|적|공정)"
    pattern = (
        rf"(?-i:(?<![A-Za-z])(?:{'|'.join(acronyms)})(?![A-Za-z]))"
        rf"|(?<![A-Za-z])(?:{'|'.join(latin)})(?![A-Za-z])"
        rf"|(?<![가-힣])(?:{'|'.join(hangul)}){stop}"
        rf"|(?<![가-힣])(?:{'|'.join(short)}){stop}(?:(?![가-힣])|(?=[{_SHORT_MAJOR_NEXT}]))"
    )
    generic = frozenset(str(w).lower() for w in data.get("generic_heads", []))
    return _MajorVocab(re.compile(pattern, re.I), codes, str(data.get("version", "")), generic)


_MAJOR_CONTEXT = re.compile(
    r"전\s*공(?!\s*정)|학\s*과|계\s*열|학\s*위|학\s*사|석\s*사|박\s*사|major|degree|field|studies"
    r"|bachelor|master|ph\.?\s?d|(?-i:\b[BM]\.?S\b)",
    re.I,
)
_MAJOR_ANY = re.compile(
    r"전\s*공\s*(?:[:：]\s*)?(?:무\s*관|불\s*문|제\s*한\s*없|상\s*관\s*없)"
    r"|any\s*major|major\s*not\s*required|all\s*majors",
    re.I,
)
# Words a list of majors is made of besides the names ("화공, 재료 등 관련 전공").
_MAJOR_FILLER = re.compile(
    r"또\s*는|및|등|혹\s*은|이\s*나|관\s*련|유\s*관|계\s*열|전\s*공\s*자?|학\s*과|학\s*부|분\s*야|\bor\b"
    r"|\band\b|\brelated\b|\bin\b|[\W\d_]",
    re.I,
)
_GENERIC_BEFORE = re.compile(r"([A-Za-z]+)\s+$")
_GENERIC_OK_BEFORE = frozenset({"in", "or", "and", "of", "any", "related", "a", "an", "the"})


def major_code(name: str) -> str | None:
    """Code of one major name or synonym ("화공" → CHEM_ENG), None when unknown."""
    key = _squeeze(unicodedata.normalize("NFKC", name)).strip().lower()
    return _major_vocab().codes.get(key)


def _major_mentions(
    text: str, *, section: bool = False, preferred: bool = False
) -> tuple[list[str], list[str], bool]:
    """(required majors, preferred majors, 전공무관?) in order of mention.

    Outside the major section only lines that speak of a major (전공, 학과, major, degree …)
    are read, and only in a clause that speaks of one or lists majors alone ("전공: 화학공학,
    재료공학" — not "GMP 환경 QC 경력"). ``preferred=True`` reads 우대사항: all of it is
    preferred."""
    s = normalize_text(text)
    v = _major_vocab()
    required: list[str] = []
    wished: list[str] = []
    any_major = False
    for line in s.splitlines():
        if not section and not _MAJOR_CONTEXT.search(line):
            continue
        if _MAJOR_ANY.search(line) or (section and _BARE_ANY.match(line)):
            any_major = True
            continue  # "배터리 전기화학에 대한 이해 (전공 무관)": no major is asked
        hits = list(v.pattern.finditer(line))
        for m in hits:
            code = v.codes.get(_squeeze(m.group(0)).lower())
            if code is None:
                continue
            if m.group(0).lower() in v.generic:
                before = _GENERIC_BEFORE.search(line, 0, m.start())
                if before and before.group(1).lower() not in _GENERIC_OK_BEFORE:
                    continue  # "data engineering field" is no engineering degree
            if not section and not _in_major_clause(line, m, hits):
                continue
            into = wished if preferred or _is_preferred(line, m.start(), m.end()) else required
            if code not in into:
                into.append(code)
    return required, [c for c in wished if c not in required], any_major


def _in_major_clause(line: str, m: re.Match[str], hits: list[re.Match[str]]) -> bool:
    """Whether the comma-delimited clause of ``m`` speaks of majors or only lists them."""
    a = max((i + 1 for i, c in enumerate(line[: m.start()]) if c in ",;"), default=0)
    b = next((i for i in range(m.end(), len(line)) if line[i] in ",;"), len(line))
    clause = line[a:b]
    if _MAJOR_CONTEXT.search(clause):
        return True
    for h in hits:
        if a <= h.start() and h.end() <= b:
            clause = clause.replace(h.group(0), " ")
    return not _MAJOR_FILLER.sub("", clause)


def majors(text: str, *, section: bool = False) -> list[str] | None:
    """Major codes in order of mention; [] for 전공무관; None when no major is stated.

    Outside the major section only lines that speak of a major (전공, 학과, major, degree …)
    are read, so "기계학습" or "물리 보안" in a duty line are not majors. Majors named only as
    a preference ("화학공학 전공자 우대") are returned when no other is: they still say which
    field is sought.
    """
    if not text:
        return None
    required, wished, any_major = _major_mentions(text, section=section)
    if required:
        return required
    if any_major:
        return []
    return wished or None


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
    # 고용24's "기간의 정함이 있는/없는 근로계약" is a fixed-term or a permanent contract.
    r"|(?P<CONTRACT>계\s*약\s*직|기\s*간\s*제|촉\s*탁|기\s*간\s*의\s*정\s*함\s*이\s*있\s*는"
    r"(?:\s*근\s*로\s*계\s*약)?|계\s*약|contract(?:or|\s*position)?\b|fixed[\s-]*term|temporary)"
    r"|(?P<REGULAR>정\s*규\s*직|정\s*규|기\s*간\s*의\s*정\s*함\s*이\s*없\s*는"
    r"(?:\s*근\s*로\s*계\s*약)?|permanent|full[\s-]*time|regular\s*(?:position|employee))",
    re.I,
)
_CONVERSION = re.compile(r"^\s*(?:으로|로)?\s*(?:전\s*환|conversion|convert)", re.I)
# A term in the employment section ("계약기간: 2년", "근무기간: 임용일로부터 1년") is a contract.
_TERM = re.compile(r"\d+\s*(?:년|개\s*월)|임\s*용\s*일\s*로\s*부\s*터|\d{4}\s*[.\-/]\s*\d{1,2}")


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
    short = [a for a in hangul if len(a) <= 2]
    longer = [a for a in hangul if len(a) > 2]
    pattern = (
        rf"(?<![A-Za-z])(?:{'|'.join(latin)})(?![a-z])"
        rf"|(?<![가-힣])(?:{'|'.join(longer)})"
        rf"|(?<![가-힣])(?:{'|'.join(short)})(?:(?![가-힣])|(?=[{_SHORT_PLACE_NEXT}]))"
    )
    return re.compile(pattern, re.I), names


# A two-letter place name runs on only into an address word or a particle ("화성시", "오창읍",
# "판교역", "울산공장", "서울대") — not into another word ("음성인식", "구리배선").
_SHORT_PLACE_NEXT = "시군구읍면동리로길역항만산공캠사본연센테일권점국대도에의은는과와로"
# "Seoul, Korea (Pangyo office)": the office named in brackets is the workplace.
_OFFICE = re.compile(
    r"\(([^()]*(?:office|사무실|사무소|사업장|본사|연구소|캠퍼스|근무)[^()]*)\)", re.I
)


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
    """시·도 code of the first place named ("경기 화성시" → "41", "오창" → "43") or None; a
    place named as the office in brackets wins ("Seoul (Pangyo office)" → "41")."""
    if not text:
        return None
    first_line = next((ln for ln in text.splitlines() if regions(ln)), "")
    office = _OFFICE.search(first_line)
    if office and regions(office.group(1)):
        return regions(office.group(1))[0]
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
        # Hourly and daily pay are not expressed in 만원; the raw text keeps them. "연봉 협의"
        # states no pay, so no period either.
        return Salary(None, None, period if period in ("hour", "day") else None, raw[:300])
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
# Education and experience are never read from 우대사항: a degree or years there are wishes.
_SOURCES: dict[str, tuple[tuple[str, ...], ...]] = {
    # the last group catches postings whose headings OCR garbled, so their lines fell elsewhere
    "education": (("education",), ("requirements", "major", "experience"),
                  ("position", "other", "conditions"),
                  ("duties", "company", "application", "process", "benefits")),
    "experience": (("experience",), ("requirements",), ("position", "other", "conditions"),
                   ("duties", "company", "application", "process", "benefits")),
    "majors": (("major",), ("education", "requirements", "conditions", "experience"),
               ("position", "other"), ("duties", "company", "application", "process", "benefits")),
    "employment": (("employment",), ("conditions", "position", "other"), ("benefits",)),
    "region": (("location",), ("conditions",), ("position", "other")),
    "salary": (("salary",), ("conditions",), ("other", "position")),
}  # fmt: skip


def _source_text(by_section: dict[str, str], attr: str, group: tuple[str, ...]) -> str:
    parts = []
    for sec in group:
        text = by_section.get(sec)
        if not text:
            continue
        if attr == "education" and sec == "experience":
            # A "경력 요건" block that also says "학사 이상": its lines without years.
            text = "\n".join(ln for ln in text.splitlines() if not _line_years(normalize_text(ln)))
        parts.append(text)
    return "\n".join(p for p in parts if p)


def _first(by_section: dict[str, str], attr: str, fn: Any) -> Any:
    """The first finding of ``fn`` over the attribute's sources (see _SOURCES)."""
    own = _SOURCES[attr][0]
    for group in _SOURCES[attr]:
        text = _source_text(by_section, attr, group)
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


def _employment(by_section: dict[str, str]) -> str | None:
    """The first type stated; else CONTRACT when the employment section gives a term only
    ("계약기간: 2년", "근무기간: 임용일로부터 1년") — a stated type anywhere wins ("인턴")."""
    found = _first(by_section, "employment", employment_type)
    if found is None and _TERM.search(normalize_text(by_section.get("employment", ""))):
        return "CONTRACT"
    return found


def _majors(by_section: dict[str, str]) -> tuple[list[str] | None, list[str]]:
    """(majors, majors_preferred): the required majors of the first source that states any
    (or [] for 전공무관), else the preferred ones; and the majors named only as preferences,
    in 우대사항 or in "… 전공자 우대" clauses of the other sources."""
    required: list[str] | None = None
    wished: list[str] = []
    own = _SOURCES["majors"][0]
    for group in _SOURCES["majors"]:
        text = _source_text(by_section, "majors", group)
        if not text:
            continue
        req, pref, any_major = _major_mentions(text, section=group == own)
        wished += [c for c in pref if c not in wished]
        if required is None and (req or any_major):
            required = req
    if by_section.get("preferred"):
        _, pref, _ = _major_mentions(by_section["preferred"], preferred=True)
        wished += [c for c in pref if c not in wished]
    wished = [c for c in wished if c not in (required or [])]
    if required is None:
        return (wished or None), wished
    return required, wished


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
    salary_min / salary_max (만원 per salary_period), salary_text and majors_preferred, from
    ``segment`` output (lines of one line number keep their order).
    """
    missing = {"posting_id", "section", "text"} - set(sections.columns)
    if missing:
        raise ValueError(
            f"extract_rules: column(s) {', '.join(sorted(missing))} missing; pass "
            "the frame that postings.segment returns"
        )
    text = pl.col("text")
    if "line_no" in sections.columns:
        text = text.sort_by("line_no", maintain_order=True)
    grouped = sections.group_by("posting_id", "section", maintain_order=True).agg(
        text.str.join("\n")
    )
    per_posting: dict[str, dict[str, str]] = {}
    for pid, sec, joined in grouped.iter_rows():
        per_posting.setdefault(pid, {})[sec] = joined
    rows = []
    for pid, by_section in per_posting.items():
        pay = _pay(by_section)
        required_majors, preferred_majors = _majors(by_section)
        rows.append(
            {
                "posting_id": pid,
                "education": _first(by_section, "education", education_level),
                "majors": required_majors,
                "experience_min_years": _first(by_section, "experience", experience_years),
                "employment_type": _employment(by_section),
                "region": _first(by_section, "region", region),
                "salary_min": pay.min,
                "salary_max": pay.max,
                "salary_period": pay.period,
                "salary_text": pay.text,
                "majors_preferred": preferred_majors,
            }
        )
    return pl.DataFrame(rows, schema=RULES_SCHEMA)
