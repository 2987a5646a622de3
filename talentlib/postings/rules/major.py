"""Majors: required ones, ones named only as a preference, and 전공무관 (any major), matched
against the majors vocabulary (``majors.yaml``; codes as in the taxonomy)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from talentlib.postings.rules.text import (
    BARE_ANY,
    is_preferred,
    normalize_text,
    squeeze,
    vocabulary,
)

# Majors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MajorVocab:
    pattern: re.Pattern[str]
    codes: dict[str, str]  # lower-cased alias → code
    version: str
    generic: frozenset[str] = frozenset()  # "engineering": a major only on its own


# A short Hangul major name runs on only into a major suffix or a particle: "전자과", "화학을",
# "전자·제어 계열" — not "전자금융", "전기차", "화학물질".
_SHORT_MAJOR_NEXT = "과계학공전관분및등또이을를의쪽와로으은는가자"


@lru_cache(maxsize=1)
def major_vocab() -> MajorVocab:
    data = vocabulary("majors.yaml")
    codes: dict[str, str] = {}
    cased: set[str] = set()
    for m in data["majors"]:
        for alias in [m["ko"], m["en"], *m.get("synonyms", [])]:
            a = squeeze(unicodedata.normalize("NFKC", alias))
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
    return MajorVocab(re.compile(pattern, re.I), codes, str(data.get("version", "")), generic)


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
    key = squeeze(unicodedata.normalize("NFKC", name)).strip().lower()
    return major_vocab().codes.get(key)


def major_mentions(
    text: str, *, section: bool = False, preferred: bool = False
) -> tuple[list[str], list[str], bool]:
    """(required majors, preferred majors, 전공무관?) in order of mention.

    Outside the major section only lines that speak of a major (전공, 학과, major, degree …)
    are read, and only in a clause that speaks of one or lists majors alone ("전공: 화학공학,
    재료공학" — not "GMP 환경 QC 경력"). ``preferred=True`` reads 우대사항: all of it is
    preferred."""
    s = normalize_text(text)
    required: list[str] = []
    wished: list[str] = []
    any_major = False
    for line in s.splitlines():
        said = _line_majors(line, section, preferred)
        if said is None:
            continue
        says_any, hits = said
        if says_any:
            any_major = True
            continue  # "배터리 전기화학에 대한 이해 (전공 무관)": no major is asked
        for code, wish in hits:
            into = wished if wish else required
            if code not in into:
                into.append(code)
    return required, [c for c in wished if c not in required], any_major


@lru_cache(maxsize=65536)  # postings repeat lines
def _line_majors(
    line: str, section: bool, preferred: bool
) -> tuple[bool, tuple[tuple[str, bool], ...]] | None:
    """What one (normalised) line says of majors: None when it does not speak of one, else
    (전공무관?, (code, preferred?) in order of mention)."""
    if not section and not _MAJOR_CONTEXT.search(line):
        return None
    if _MAJOR_ANY.search(line) or (section and BARE_ANY.match(line)):
        return True, ()
    v = major_vocab()
    out: list[tuple[str, bool]] = []
    hits = list(v.pattern.finditer(line))
    for m in hits:
        code = v.codes.get(squeeze(m.group(0)).lower())
        if code is None:
            continue
        if m.group(0).lower() in v.generic:
            before = _GENERIC_BEFORE.search(line, 0, m.start())
            if before and before.group(1).lower() not in _GENERIC_OK_BEFORE:
                continue  # "data engineering field" is no engineering degree
        if not section and not _in_major_clause(line, m, hits):
            continue
        out.append((code, preferred or is_preferred(line, m.start(), m.end())))
    return False, tuple(out)


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
    required, wished, any_major = major_mentions(text, section=section)
    if required:
        return required
    if any_major:
        return []
    return wished or None
