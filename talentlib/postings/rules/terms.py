"""The job's terms: employment type, place of work (시·도, from the taxonomy's regions and
``places.yaml``) and stated salary (만원 per year or month)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from talentlib.postings.rules.text import is_preferred, normalize_text, vocabulary

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
CONTRACT_TERM = re.compile(
    r"\d+\s*(?:년|개\s*월)|임\s*용\s*일\s*로\s*부\s*터|\d{4}\s*[.\-/]\s*\d{1,2}"
)


def employment_type(text: str) -> str | None:
    """First employment type stated (REGULAR, CONTRACT, INTERN, DISPATCH, PART_TIME) or None.

    "정규직 전환" (conversion after an internship or contract) is not the type itself.
    """
    if not text:
        return None
    s = normalize_text(text)
    for m in _EMPLOYMENT.finditer(s):
        if _CONVERSION.match(s, m.end()) or is_preferred(s, m.start(), m.end()):
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
    data = vocabulary("places.yaml")
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
