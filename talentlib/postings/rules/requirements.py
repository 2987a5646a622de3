"""Education and experience, read together because each reads the other's alternatives: the
minimum requirement is the least demanding alternative ("석사 이상 또는 학사 + 경력 3년" is a
bachelor's with 0 years; "2년 이상 (석사 과정 포함)" is 2 years in which master's study counts);
"5년차 스타트업" is the company's age, not experience."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from talentlib.postings.rules.major import major_vocab
from talentlib.postings.rules.text import BARE_ANY, is_preferred, normalize_text

# --------------------------------------------------------------------------------------------
# Education
# --------------------------------------------------------------------------------------------

DEGREE_RANK = {"HS": 1, "ASSOC": 2, "BACHELOR": 3, "MASTER": 4, "PHD": 5}
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
        pref = is_preferred(text, m.start(), m.end())
        if m.group("list"):
            letters = re.findall(r"[학석박]", m.group("list"))
            code = min((_LETTER[c] for c in letters), key=DEGREE_RANK.__getitem__)
            yield code, pref
            continue
        code = next(k for k in DEGREE_RANK if m.group(k))
        yield code, pref


# Alternatives in one requirement: "석사 이상 또는 학사 + 경력 3년", "3년 경력 또는 석사".
_ALTERNATIVE = re.compile(r"\s*(?:,\s*)?(?:또\s*는|혹\s*은|\bor\b|이\s*거\s*나)\s*", re.I)


def _alternatives(line: str) -> list[str] | None:
    got = _alternatives_of(line)
    return None if got is None else list(got)


@lru_cache(maxsize=65536)  # postings repeat lines; the per-line readings below are cached too
def _alternatives_of(line: str) -> tuple[str, ...] | None:
    """The alternatives of a line that offers a degree or experience as a choice, or None.

    Only a line whose alternatives mix degrees and years of experience counts ("박사 또는
    석사 + 경력 3년", "3년 경력 또는 석사"); "또는" between majors ("원자력공학 또는 기계공학
    석사", "BS/MS in EE or CS with 8+ years") or before words that are no path ("석사 또는
    이에 준하는 역량") joins no alternatives."""
    pattern = major_vocab().pattern
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
        return tuple(paths)
    return None


def _line_degrees(line: str) -> list[str]:
    """Required degrees of one line; a line of alternatives gives its least demanding one, and
    nothing when one alternative needs no degree ("3년 경력 또는 석사")."""
    return list(_line_degrees_of(line))


@lru_cache(maxsize=65536)
def _line_degrees_of(line: str) -> tuple[str, ...]:
    alts = _alternatives_of(line)
    if alts is None:
        return tuple(code for code, pref in _degree_mentions(line) if not pref)
    lowest: list[str] = []
    for alt in alts:
        got = [code for code, pref in _degree_mentions(alt) if not pref]
        if not got:
            return ()  # an alternative without a degree: the line sets no minimum
        lowest.append(min(got, key=DEGREE_RANK.__getitem__))
    return (min(lowest, key=DEGREE_RANK.__getitem__),)


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
        return min(required, key=DEGREE_RANK.__getitem__)
    if _EDU_ANY.search(s):
        return "ANY"
    if section and any(BARE_ANY.match(line) for line in s.splitlines()):
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


def line_years(line: str) -> list[int]:
    """Years (and 0 for 신입) a line asks for, preferred clauses and masked spans left out."""
    return list(_line_years(line))


@lru_cache(maxsize=65536)
def _line_years(line: str) -> tuple[int, ...]:
    found: list[int] = []
    masked = _masked(line)

    def free(m: re.Match[str]) -> bool:
        return not any(a <= m.start() < b for a, b in masked) and not is_preferred(
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
    return tuple(found)


def _years_in(text: str) -> int | None:
    got = line_years(text)
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
        found += line_years(line)
    if _EXP_ANY.search(s) and (not found or min(found) == 0 and not _has_number_req(s)):
        return None
    return min(found) if found else None


def _has_number_req(s: str) -> bool:
    return bool(_EXP_RANGE.search(s) or _EXP_YEARS.search(s) or _EXP_EN.search(s))
