"""Personal information in free text: one detector and one masker for every caller.

``find_pii`` finds resident registration numbers, phone numbers, e-mail addresses and personal
names next to contact words (담당자 홍길동); ``mask_pii`` replaces them by [주민등록번호],
[전화번호], [이메일] or [이름]; ``mask_pii_expr``, ``pii_kinds`` and ``scan_frame_pii`` do the
same for polars columns. Posting text, the ingest cache, file names, LLM prompts and contract
quarantines all go through these functions, so they agree on what PII is.

How a text is read:

1. It is normalised for matching: NFKC (full-width ``０１０－…`` and ``＠``, decomposed Hangul),
   dashes and middle dots unified, and runs of Hangul digit words (``공일공-일이삼사-오육칠팔``)
   read as digits where they then form a phone number or RRN. Every normalised character keeps
   the span of the original text it came from, so masking replaces the original characters.
2. Patterns run in a fixed order on that text; a span taken by one is blanked for the next
   (a number inside an e-mail address is the address, not a phone number):
   strict e-mail, RRN and phone shapes, then obfuscated or OCR-damaged forms (``a[at]b.com``,
   ``hr @ example. co.kr``, ``010-l234-5678``; a candidate counts only when its repaired form
   has the strict shape), then names after 담당자/채용담당/문의/인사담당/지원자/성명.

A phone-shaped number followed by a unit is an amount (``1800-2400만원``), and dates, years,
version numbers and counts have no phone or RRN shape, so they stay as they are.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

__all__ = [
    "PII_FINGERPRINT",
    "PII_KINDS",
    "PII_LABELS",
    "find_pii",
    "mask_pii",
    "mask_pii_expr",
    "pii_kinds",
    "scan_frame_pii",
]

PII_KINDS: tuple[str, ...] = ("email", "rrn", "phone", "name")  # report order
PII_LABELS: dict[str, str] = {
    "rrn": "[주민등록번호]",
    "phone": "[전화번호]",
    "email": "[이메일]",
    "name": "[이름]",
}

# ---------------------------------------------------------------------------------------------
# Strict shapes (on normalised text). Digits are spelled [0-9]: \d is any Unicode digit.
# ---------------------------------------------------------------------------------------------

_SEP = r"(?:[ \t]?[-.][ \t]?|[ \t])?"  # 010-1234, 010.1234, 010 1234, 010 - 1234, 0101234
_SEP_REQUIRED = r"(?:[ \t]?[-.][ \t]?|[ \t])"
# Area/service code after the leading 0: mobile 010/011/016-019, Seoul 02, regions 031-064,
# internet phone 070, free call 080, safe numbers 0502-0508.
_PREFIX = r"(?:1[016789]|2|3[1-3]|4[1-4]|5[1-5]|6[1-4]|70|80|50[2-8])"
_LOCAL = rf"[0-9]{{3,4}}{_SEP}[0-9]{{4}}"
# A phone-shaped number followed by a unit is an amount or a range ("1800-2400만원", "1588-1234
# 명이"); a unit is a word of its own, with at most a particle, so 원하시는 is not one.
_UNIT = (
    r"(?:[만억천](?:원|명|개|건)?|[원명년개세건회]|개월|년도)"
    r"(?:으로|[이의을은는도에가와과대로])?(?![가-힣])|%"
)
_PHONE_REJECT = rf"(?![0-9])(?![ \t]*(?:{_UNIT}))"
_PHONE_OPEN = (  # forms opening with "+" or "(" need no digit boundary before them
    r"(?:"
    rf"\+82[ \t-]?(?:\(0\)[ \t]?)?0?{_PREFIX}{_SEP}{_LOCAL}"  # +82-10-1234-5678, +82 (0)10 …
    rf"|\(0{_PREFIX}\)[ \t]?{_LOCAL}"  # (02)1234-5678, (031) 123-4567
    r")"
)
_PHONE_DIGIT = (
    r"(?:"
    rf"(?<![0-9])0{_PREFIX}(?:\)[ \t]?|{_SEP}){_LOCAL}"  # 010-1234-5678, 02)123-4567
    # 1588-1234 (대표번호 15xx/16xx/18xx); not inside a code such as KS-1588-1234
    rf"|(?<![0-9A-Za-z_-])1[568][0-9]{{2}}{_SEP_REQUIRED}[0-9]{{4}}"
    r")"
)
_RRN_HEAD = (
    r"(?<![0-9])[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"  # YYMMDD
    r"[ \t]?-?[ \t]?[1-8]"  # 7th digit 1-8 (century, sex, foreigner)
)
_RRN_DIGITS = rf"{_RRN_HEAD}[0-9]{{6}}(?![0-9])"
_RRN_STARS = rf"{_RRN_HEAD}[*xX●]{{6}}"  # half-masked 900101-1****** still gives birth and sex
_EMAIL_ATOM = r"[A-Za-z0-9가-힣_%+-]"
_EMAIL_LABEL = r"[A-Za-z0-9가-힣-]{1,63}"
_EMAIL_TLD = r"(?:xn--[a-z0-9-]{1,59}|[A-Za-z]{2,24}|한국|닷컴|닷넷)"  # 한국: Korea's IDN ccTLD
_EMAIL = rf"[A-Za-z0-9가-힣._%+-]{{1,64}}@(?:{_EMAIL_LABEL}\.){{1,8}}{_EMAIL_TLD}"
_EMAIL_STRICT = re.compile(rf"{_EMAIL}")

# ---------------------------------------------------------------------------------------------
# Obfuscated and OCR-damaged forms: a loose candidate, repaired, must have the strict shape.
# ---------------------------------------------------------------------------------------------

_AT_WORD = r"[\[\(\{<][ \t]*(?i:at|골뱅이|앳)[ \t]*[\]\)\}>]"  # a[at]b, a(at)b, a(골뱅이)b
_DOT_WORD = r"[\[\(\{<][ \t]*(?i:dot|점|닷)[ \t]*[\]\)\}>]"  # b(dot)com, b[.]com is OCR-like
_BARE_AT = r"[ \t]+(?i:at)[ \t]+"  # hong at company dot com
_BARE_DOT = r"[ \t]+(?i:dot)[ \t]+"
_LOOSE_EMAIL = (
    rf"(?<![A-Za-z0-9가-힣._%+-]){_EMAIL_ATOM}{{1,64}}(?:(?:\.|[ \t]*{_DOT_WORD}[ \t]*|{_BARE_DOT}){_EMAIL_ATOM}{{1,64}})*"
    rf"(?:[ \t]?[@©®][ \t]?|[ \t]*{_AT_WORD}[ \t]*|{_BARE_AT})"
    rf"(?:{_EMAIL_LABEL}(?:[ \t]?[.,][ \t]?|[ \t]*{_DOT_WORD}[ \t]*|{_BARE_DOT})){{1,8}}"
    rf"{_EMAIL_TLD}"
)
# "apply at careers.example.com" is an address for people, not a mailbox.
_NOT_A_MAILBOX = frozenset(
    "apply applications available based careers career contact contacts details email "
    "e-mail find found here info information job jobs located look mail me more now online "
    "openings position positions reach site us visit website work working".split()
)
_OCR_D = r"[0-9OoIl|]"  # O for 0, l/I/| for 1
_OCR_DASH = r"[ \t]?[-.~_]?[ \t]?"
_LOOSE_PHONE = (
    rf"(?<![0-9A-Za-z])(?:\+[ \t]?82{_OCR_DASH}|\([ \t]?[0Oo]{_OCR_D}{{1,2}}[ \t]?\)"
    rf"|[0Oo]{_OCR_D}{{1,2}}\)|[0Oo]{_OCR_D}{{1,3}})"
    rf"{_OCR_DASH}{_OCR_D}{{3,4}}{_OCR_DASH}{_OCR_D}{{4}}(?![0-9])"
)
_LOOSE_RRN = rf"(?<![0-9]){_OCR_D}{{6}}[ \t]?[-~_][ \t]?{_OCR_D}{{7}}(?![0-9])"
_OCR_FIX = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
_MIN_REAL_DIGITS = {"phone": 6, "rrn": 9}  # OCR garbles a few characters, not most of them

# ---------------------------------------------------------------------------------------------
# Names next to contact words
# ---------------------------------------------------------------------------------------------

_NAME_CUE = (
    r"(?:(?:채용|인사|업무|총무|연락)[ \t]?)?담당자?|(?:채용[ \t]?)?문의처?"
    r"|지원자|성명|성함|이름"
)
_NAME_GAP = r"[ \t]*(?:[:：=-]|은|는)?[ \t]*"
_NAME_TEAM = r"(?:[가-힣A-Za-z]{1,10}(?:팀|부|실|과|센터|본부|그룹|파트)[ \t]+)?"
_NAME_WORD = r"[가-힣]{2,10}"
_NAME = rf"(?P<cue>{_NAME_CUE}){_NAME_GAP}{_NAME_TEAM}(?P<word>{_NAME_WORD})"
_FORM_CUES = frozenset({"성명", "성함", "이름"})  # a form field: what follows is a name
_SURNAMES_2 = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문")
_SURNAMES = frozenset(
    "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 전 홍 유 류 고 문 양 손 배 백 허 "
    "남 심 노 하 곽 성 차 주 우 구 민 진 나 라 지 엄 채 원 천 방 공 현 함 변 염 여 추 도 소 "
    "석 선 설 마 길 연 위 표 명 기 반 왕 금 옥 육 인 맹 제 모 탁 국 어 은 편 용".split()
)
_TITLES = (
    "과장|대리|차장|부장|팀장|실장|주임|사원|매니저|선임|책임|수석|연구원|이사|상무|전무|"
    "본부장|센터장|대표|프로|선생님|선생|교수|박사"
)
_PARTICLES = "이|가|은|는|을|를|의|와|과|도|로|으로|에게|께|께서|에게서|입니다|이며|이고"
_NAME_SUFFIX = re.compile(rf"(?:{_TITLES})?님?(?:{_PARTICLES})?")
_TITLE_NEXT = re.compile(rf"[ \t]*(?:{_TITLES}|님|씨)")
# Three-syllable words that start like a surname and follow contact words in postings.
_NOT_NAMES = frozenset(
    "연락처 이메일 이력서 지원서 기술서 소개서 경력서 주세요 하세요 주시기 하시기 여러분 고객님 "
    "부서장 공고문 제출서 우편물 방문시 성명란 이름란 성함란 전화번 정보란 연구원 매니저 "
    "선생님 본부장 센터장 담당자 지원자 신청서 계획서 포트폴 안내문 이하동 상기인 본인이".split()
)
# Two-syllable department words that come before a title (문의: 인사 과장, 기술 이사).
_NOT_NAMES_2 = frozenset(
    "채용 인사 총무 경영 기술 연구 개발 영업 구매 생산 품질 기획 재무 회계 전산 설계 공정 고객 "
    "관리 운영 사업 전략 홍보 교육 안전 보안 정보 지원 현장 해외 국내 본사 지사 공장 전화 연락".split()
)
_ORG_ENDINGS = frozenset("팀부실처국청단")

# ---------------------------------------------------------------------------------------------
# Normalisation for matching, with a map back to the original text
# ---------------------------------------------------------------------------------------------

_DASHES = "‐‑‒–—―−ー﹘ｰ"
_MIDDLE_DOTS = "·ㆍ・･"
_TRANSLATE = str.maketrans({**{c: "-" for c in _DASHES}, **{c: "." for c in _MIDDLE_DOTS}})
# Symbols common in Korean documents that normalisation leaves alone: text made only of these,
# ASCII and Hangul syllables needs no normalising (the fast path).
_PLAIN_SYMBOLS = "".join(
    c
    for c in "•◦‣※■□▪▫▶▷►◀◁◆◇○●◎★☆♥♡→←↑↓↔⇒「」『』【】〔〕〖〗《》〈〉“”‘’‹›«»°±×÷§¶†‡‰′"
    if unicodedata.normalize("NFKC", c) == c and c not in _DASHES + _MIDDLE_DOTS
)
_NONPLAIN = rf"[^\x00-\x7f가-힣{_PLAIN_SYMBOLS}]"
_NONPLAIN_RUN = re.compile(rf"{_NONPLAIN}+")
_HANGUL_DIGITS = {
    "공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4",
    "오": "5", "육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9",
}  # fmt: skip
_DIGITISH = f"[0-9{''.join(_HANGUL_DIGITS)}]"
_RUN_SEP = r"[ \t]?[-.)(]?[ \t]?"
# "+" for +팔이…, trailing stars for a half-masked RRN (구공공일공일-일******)
_DIGIT_RUN = re.compile(rf"\+?{_DIGITISH}(?:{_RUN_SEP}{_DIGITISH})*(?:[*xX●]{{6}})?")
_DIGIT_RUN_7 = rf"(?:{_DIGITISH}{_RUN_SEP}){{6}}{_DIGITISH}"  # a run that can hold a number
_TO_DIGITS = str.maketrans(_HANGUL_DIGITS)
_FILL = "\ufdd0"  # a noncharacter: blanks a taken span so no later pattern matches across it


@dataclass(frozen=True)
class _Normalised:
    """Text for matching; ``starts``/``ends`` give each character's span in the original."""

    text: str
    starts: list[int] | None = None  # None: same positions as the original
    ends: list[int] | None = None

    def span(self, s: int, e: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return s, e
        return self.starts[s], self.ends[e - 1]


def _is_continuation(ch: str) -> bool:
    """A combining mark or a medial/final Hangul jamo: belongs to the character before it."""
    return (
        unicodedata.combining(ch) != 0 or "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff"
    )


def _nfkc(text: str) -> _Normalised:
    """NFKC and unified dashes/dots per character cluster, keeping the map to the original."""
    if not _NONPLAIN_RUN.search(text):
        return _Normalised(text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _NONPLAIN_RUN.finditer(text):
        a, b = m.span()
        if a > pos:
            out.append(text[pos:a])
            starts.extend(range(pos, a))
            ends.extend(range(pos + 1, a + 1))
        g = a
        while g < b:
            h = g + 1
            while h < b and _is_continuation(text[h]):
                h += 1
            piece = unicodedata.normalize("NFKC", text[g:h].translate(_TRANSLATE))
            piece = piece.translate(_TRANSLATE)
            out.append(piece)
            starts.extend([g] * len(piece))
            ends.extend([h] * len(piece))
            g = h
        pos = b
    if pos < len(text):
        out.append(text[pos:])
        starts.extend(range(pos, len(text)))
        ends.extend(range(pos + 1, len(text) + 1))
    norm = "".join(out)
    if norm == text:
        return _Normalised(text)
    return _Normalised(norm, starts, ends)


def _read_hangul_digits(text: str) -> str:
    """Spell Hangul digit words as digits where they form a phone number or RRN.

    Only runs whose digits then have a strict shape are changed, so 이사/오일/공사 in prose
    stay words; a particle after the number (오육칠팔이에요) is tried without it.
    """
    chars: list[str] | None = None
    for m in _DIGIT_RUN.finditer(text):
        run = m.group(0)
        n_hangul = sum(c in _HANGUL_DIGITS for c in run)
        if not n_hangul or n_hangul + sum("0" <= c <= "9" for c in run) < 7:
            continue
        for lead, trail in ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)):
            body = run[lead : len(run) - trail]
            if any(c not in _HANGUL_DIGITS for c in run[:lead] + run[len(run) - trail :]):
                continue
            digits = body.translate(_TO_DIGITS)
            hits = [
                h.span()
                for p in _HANGUL_NUMBER_SHAPES
                for h in p.finditer(digits)
                if any(c in _HANGUL_DIGITS for c in body[h.start() : h.end()])
            ]
            if hits:
                chars = chars if chars is not None else list(text)
                for s, e in hits:
                    base = m.start() + lead
                    chars[base + s : base + e] = digits[s:e]
                break
    return text if chars is None else "".join(chars)


# ---------------------------------------------------------------------------------------------
# The detector
# ---------------------------------------------------------------------------------------------


def _repaired_email(s: str) -> str | None:
    """The strict address a loose candidate stands for, or None."""
    bare_at = re.search(_BARE_AT, s)
    s = re.sub(_AT_WORD, "@", s)
    s = re.sub(_DOT_WORD, ".", s)
    s = re.sub(_BARE_AT, "@", s)
    s = re.sub(_BARE_DOT, ".", s)
    s = re.sub(r"[ \t]+", "", s.replace("©", "@").replace("®", "@"))
    if s.count("@") != 1:
        return None
    local, domain = s.split("@")
    if bare_at and local.casefold() in _NOT_A_MAILBOX:
        return None
    s = f"{local}@{domain.replace(',', '.')}"
    return s if _EMAIL_STRICT.fullmatch(s) else None


def _repaired_number(kind: str) -> Callable[[str], str | None]:
    strict = _STRICT[kind]

    def repair(s: str) -> str | None:
        if sum(c.isascii() and c.isdigit() for c in s) < _MIN_REAL_DIGITS[kind]:
            return None
        fixed = re.sub(r"[~_]", "-", re.sub(r"[ \t]+", "", s).translate(_OCR_FIX))
        return fixed if any(p.fullmatch(fixed) for p in strict) else None

    return repair


def _name_span(m: re.Match[str], text: str) -> tuple[int, int] | None:
    """The name inside the word after a contact word, or None when it is not a name."""
    word, start = m.group("word"), m.start("word")
    surname = next((s for s in _SURNAMES_2 if word.startswith(s)), None)
    if surname is None:
        if word[0] not in _SURNAMES:
            return None
        surname = word[0]
    titled_after = bool(_TITLE_NEXT.match(text, m.end("word")))
    for given in (2, 1):
        n = len(surname) + given
        name, suffix = word[:n], word[n:]
        if len(name) < n or not _NAME_SUFFIX.fullmatch(suffix):
            continue
        if (
            name in _NOT_NAMES
            or name in _NOT_NAMES_2
            or name[-1] in _ORG_ENDINGS
            or re.fullmatch(_TITLES, name)
        ):
            return None
        titled = titled_after if not suffix else bool(re.match(_TITLES, suffix))
        # A short word, or one that reads as a two-syllable noun plus a particle (전화로,
        # 우편으로), is a name only with a title (김현 과장, 박지은 대리) or in a form field
        # (성명: 박지은).
        noun_particle = bool(word[2:]) and bool(re.fullmatch(_PARTICLES, word[2:]))
        if given == 1 and not titled:
            return None
        if noun_particle and not titled and m.group("cue") not in _FORM_CUES:
            return None
        return start, start + n
    return None


@dataclass(frozen=True)
class _Finder:
    kind: str
    pattern: re.Pattern[str]
    repair: Callable[[str], str | None] | None = None  # a loose candidate counts if not None
    name: bool = False
    gate: re.Pattern[str] | None = None  # something every match holds; a quick way to skip


_STRICT: dict[str, tuple[re.Pattern[str], ...]] = {
    "rrn": (re.compile(_RRN_STARS), re.compile(_RRN_DIGITS)),
    "phone": (
        re.compile(_PHONE_OPEN + _PHONE_REJECT),
        re.compile(_PHONE_DIGIT + _PHONE_REJECT),
    ),
}
_HANGUL_NUMBER_SHAPES = (*_STRICT["rrn"], *_STRICT["phone"])
_FINDERS = (
    _Finder("email", _EMAIL_STRICT, gate=re.compile("@")),
    *(_Finder("rrn", p, gate=re.compile("[0-9]{6}")) for p in _STRICT["rrn"]),
    *(_Finder("phone", p, gate=re.compile("[0-9]{4}")) for p in _STRICT["phone"]),
    _Finder(
        "email",
        re.compile(_LOOSE_EMAIL),
        _repaired_email,
        gate=re.compile(f"[@©®]|{_AT_WORD}|{_BARE_AT}"),
    ),
    _Finder("rrn", re.compile(_LOOSE_RRN), _repaired_number("rrn")),
    _Finder("phone", re.compile(_LOOSE_PHONE), _repaired_number("phone")),
    _Finder("name", re.compile(_NAME), name=True, gate=re.compile(_NAME_CUE)),
)


def _strip_lookaround(pattern: str) -> str:
    """Drop look-around groups: the rest matches a superset, and Rust regex can run it."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append(pattern[i : j + 1])
            i = j + 1
            continue
        if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            depth, j = 0, i
            while j < n:
                c = pattern[j]
                if c == "\\":
                    j += 2
                    continue
                if c == "[":
                    j += 1
                    while j < n and pattern[j] != "]":
                        j += 2 if pattern[j] == "\\" else 1
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# What any finding needs in the raw text: a character that normalisation changes, a Hangul digit
# run long enough for a number, or a finder's pattern without its look-arounds. Polars (Rust
# regex) runs it over a column, so only candidate values reach the Python detector; find_pii
# uses it as its own early exit.
_CANDIDATE = "|".join(
    [_NONPLAIN, _DIGIT_RUN_7, *(_strip_lookaround(f.pattern.pattern) for f in _FINDERS)]
)
_CANDIDATE_RE = re.compile(_CANDIDATE)


def find_pii(text: str, kinds: Sequence[str] | None = None) -> list[tuple[str, int, int]]:
    """Return (kind, start, end) for every piece of PII in ``text``, in text order.

    ``kinds`` limits the search (default: all of ``PII_KINDS``); spans index the original text.
    """
    if not text or not _CANDIDATE_RE.search(text):
        return []
    norm = _nfkc(text)
    work = _read_hangul_digits(norm.text)
    found: list[tuple[str, int, int]] = []
    for f in _FINDERS:
        if (kinds is not None and f.kind not in kinds) or (f.gate and not f.gate.search(work)):
            continue
        spans = []
        pos = 0
        while (m := f.pattern.search(work, pos)) is not None:
            if f.name:
                span = _name_span(m, work)
                # not a name: the word may itself be a contact word (문의 담당자 홍길동)
                pos = span[1] if span is not None else m.start("word")
            elif f.repair is None or f.repair(m.group(0)) is not None:
                span = m.span()
                pos = max(m.end(), m.start() + 1)
            else:  # a rejected loose candidate may hide a real one that starts inside it
                span, pos = None, m.start() + 1
            if span is not None:
                spans.append(span)
        for s, e in spans:
            found.append((f.kind, s, e))
            work = work[:s] + _FILL * (e - s) + work[e:]
    out: list[tuple[str, int, int]] = []
    for kind, s, e in sorted(found, key=lambda t: t[1]):
        s, e = norm.span(s, e)
        if out and s < out[-1][2]:  # two findings in one original character cluster
            out[-1] = (out[-1][0], out[-1][1], max(e, out[-1][2]))
        else:
            out.append((kind, s, e))
    return out


def mask_pii(text: str) -> str:
    """Replace PII in ``text`` by [전화번호], [이메일], [주민등록번호] or [이름]."""
    if not text:
        return text
    parts, pos = [], 0
    for kind, s, e in find_pii(text):
        parts += [text[pos:s], PII_LABELS[kind]]
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _rust_candidate() -> str | None:
    """The candidate pattern for polars, or None if Rust regex cannot compile it."""
    try:
        pl.Series(["x"], dtype=pl.String).str.contains(_CANDIDATE)
    except pl.exceptions.PolarsError:
        return None
    return _CANDIDATE


def _candidates(values: pl.Series) -> pl.Series:
    """Indices of values that may hold PII (a vectorised superset of what find_pii finds)."""
    pat = _rust_candidate()
    flag = values.is_not_null() if pat is None else values.str.contains(pat).fill_null(False)
    return flag.arg_true()


def _map_candidates(values: pl.Series, fn: Callable[[str], str | None]) -> pl.Series:
    """``fn`` applied once per distinct candidate value; other values give null."""
    values = values.cast(pl.String)
    out = pl.Series(values.name, [None] * len(values), dtype=pl.String)
    idx = _candidates(values)
    if not len(idx):
        return out
    cand = values.gather(idx)
    found = {v: fn(v) for v in cand.unique().to_list()}
    return out.scatter(idx, cand.replace_strict(found, default=None, return_dtype=pl.String))


def _mask_series(values: pl.Series) -> pl.Series:
    values = values.cast(pl.String)
    return _map_candidates(values, mask_pii).fill_null(values)


def mask_pii_expr(col: str | pl.Expr) -> pl.Expr:
    """``mask_pii`` for a string column: the same detector, run only on candidate values."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.map_batches(_mask_series, return_dtype=pl.String, is_elementwise=True)


def pii_kinds(values: pl.Series, kinds: Sequence[str] | None = None) -> pl.Series:
    """For each string, the first of ``kinds`` (default ``PII_KINDS``) found in it, else null."""
    kinds = list(PII_KINDS) if kinds is None else list(kinds)

    def first(v: str) -> str | None:
        got = {k for k, _, _ in find_pii(v, kinds)}
        return next((k for k in kinds if k in got), None)

    return _map_candidates(values, first)


def scan_frame_pii(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Report which (row, column) of the string columns hold which PII kind — never the value.

    ``row`` is 1-based; use it to find and fix the source, the text itself must not be logged.
    """
    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    schema = pl.Schema({"row": pl.Int64, "column": pl.String, "kind": pl.String})
    rows: list[tuple[int, str, str]] = []
    order = {k: i for i, k in enumerate(PII_KINDS)}
    for c, dt in frame.schema.items():
        if not (dt == pl.String or isinstance(dt, pl.Categorical | pl.Enum)):
            continue
        found = _map_candidates(
            frame[c], lambda v: ",".join(sorted({k for k, _, _ in find_pii(v)}, key=order.get))
        )
        for i in found.fill_null("").str.len_chars().gt(0).arg_true().to_list():
            rows += [(i + 1, c, k) for k in found[i].split(",")]
    cols = {c: i for i, c in enumerate(frame.columns)}
    rows.sort(key=lambda r: (r[0], cols[r[1]], order[r[2]]))
    return pl.DataFrame(rows, schema=schema, orient="row")


# Text masked and cached under one fingerprint was masked by exactly these patterns and word
# lists; when any of them changes, so does the fingerprint, and cached text is recomputed.
PII_FINGERPRINT = hashlib.sha256(
    "\x1f".join(
        [f.pattern.pattern for f in _FINDERS]
        + [p.pattern for p in _HANGUL_NUMBER_SHAPES]
        + [_CANDIDATE, _DIGIT_RUN.pattern, _NAME_SUFFIX.pattern, _TITLE_NEXT.pattern]
        + [
            " ".join(sorted(s))
            for s in (_NOT_A_MAILBOX, _SURNAMES, _NOT_NAMES, _NOT_NAMES_2, _ORG_ENDINGS, _FORM_CUES)
        ]
        + [" ".join(_SURNAMES_2), repr(sorted(_TRANSLATE.items())), repr(_HANGUL_DIGITS)]
        + [repr(_MIN_REAL_DIGITS), repr(PII_LABELS)]
    ).encode()
).hexdigest()[:16]
