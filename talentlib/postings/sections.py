"""Section segmentation of Korean (and English) postings into canonical sections.

A line opens a section when, stripped of bullets, numbering, brackets and a trailing colon, it
is one of the headings in ``sections.yaml`` ("[자격 요건]", "■ 필수 요건", "2. 우대사항 :",
"What you'll do"). Text after a separator on the heading line ("학력: 석사 이상", "학력 | 무관")
belongs to that section. OCR noise is met by comparing Hangul letter by letter (jamo), so
"자격요갼" still opens requirements while "경험" does not turn into "경력".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["SECTIONS", "classify_heading", "segment", "segment_text"]

_DATA = Path(__file__).with_name("sections.yaml")
SECTIONS_SCHEMA = {
    "posting_id": pl.String,
    "section": pl.String,
    "line_no": pl.Int32,
    "text": pl.String,
}

# Bullets and decorations before a heading or an item: any symbol but an opening bracket (OCR
# turns boxes and bullets into "|", "@", "©"), and ㆍ, a Hangul letter to Python.
_LEAD = re.compile(r"^(?:(?![\[(【〔<《「『〈])[\W_]|ㆍ)+")
# Numbering: 1. 1) (1) 가. 가) I. Ⅲ. ① ⑴ ❶ — not "(주)".
_NUMBER = re.compile(
    r"^(?:\(?\d{1,2}\s?[.)]|\(?[가나다라마바사아자차카타파하]\s?[.)]"
    r"|\(?(?:[ivxIVX]{1,4}|[Ⅰ-Ⅻⅰ-ⅻ])\s?[.)]|[①-⑳⑴-⒇❶-❿])\s*"
)
_OPEN = "[【〔<《「『(〈"
_CLOSE = "]】〕>》」』)〉"
_PAIRS = dict(zip(_OPEN, _CLOSE, strict=True))
_SEPARATOR = re.compile(r"\s*(?:[:：|\t]|\s[-–—]\s|\s{3,})\s*")
_ALL_HANGUL = re.compile(r"[가-힣]+")
_NOT_WORD = re.compile(r"[^0-9a-z가-힣]+")
_FIELD_SECTIONS = frozenset(
    {"education", "major", "experience", "employment", "location", "salary"}
)
# Sections that hold a list; a "key: value" field line inside them does not end the list.
_BODY_SECTIONS = frozenset({"duties", "requirements", "preferred", "conditions"})
_MAX_HEAD = 24  # normalized characters; longer text is content, not a heading


@dataclass(frozen=True)
class _Vocab:
    exact: dict[str, str]
    fuzzy_keys: list[str]  # jamo spellings of headings long enough for fuzzy matching
    fuzzy_sections: list[str]
    version: str


def _jamo(s: str) -> str:
    """Hangul syllables as letters (ㄱ+ㅏ+ㄴ), so one OCR slip costs one letter, not a syllable."""
    out = []
    for ch in s:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(chr(0x1100 + code // 588))
            out.append(chr(0x1161 + (code % 588) // 28))
            if code % 28:
                out.append(chr(0x11A7 + code % 28))
        else:
            out.append(ch)
    return "".join(out)


def _norm(s: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", s).lower())


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    import yaml

    data: dict[str, Any] = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    exact: dict[str, str] = {}
    for section, spec in data["sections"].items():
        for h in [spec["ko"], *spec["headings"]]:
            exact.setdefault(_norm(h), section)
    keys = [k for k in exact if len(_jamo(k)) >= 5]
    return _Vocab(
        exact, [_jamo(k) for k in keys], [exact[k] for k in keys], str(data.get("version", ""))
    )


def _sections_order() -> tuple[str, ...]:
    import yaml

    data = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return (*data["sections"], "other")


SECTIONS: tuple[str, ...] = _sections_order()


def _strip_item(line: str) -> str:
    """A line without its bullet or numbering ("• ", "1) ", "가. ", "① ")."""
    s = _LEAD.sub("", line)
    s = _NUMBER.sub("", s)
    return _LEAD.sub("", s).strip()


def _split_heading(line: str) -> tuple[str, str, bool] | None:
    """(heading candidate, rest of the line, decorated?) or None for an empty line."""
    raw = line.strip()
    if not raw:
        return None
    s = _strip_item(raw)
    decorated = s != raw
    if s and s[0] in _PAIRS:
        close = s.find(_PAIRS[s[0]], 1)
        if close == -1:  # "[자격요건" with the bracket lost to OCR
            close = next((i for i, c in enumerate(s) if c in _CLOSE or c == "|"), -1)
        inside = s[1:close] if close > 0 else ""
        if inside.strip() and not _SEPARATOR.search(inside) and len(_norm(inside)) <= _MAX_HEAD:
            rest = s[close + 1 :]
            rest = _SEPARATOR.sub("", rest, count=1) if _SEPARATOR.match(rest) else rest
            return inside.strip(), rest.strip(), True
        # Otherwise the bracket is decoration: "(> 전공분야: …", "( 전공: 관련 전공 (…)" (OCR).
        s = _strip_item(s[close + 1 :] if close > 0 and not inside.strip() else s[1:])
        decorated = True
    m = _SEPARATOR.search(s)
    if m:
        head, rest = s[: m.start()], s[m.end() :]
        return head.strip().rstrip(_CLOSE), rest.strip(), True
    return s.rstrip(_CLOSE + " "), "", decorated


@lru_cache(maxsize=65536)
def classify_heading(head: str, shaped: bool = True) -> str | None:
    """Canonical section of a heading text, or None; fuzzy only for heading-shaped lines."""
    key = _norm(head)
    if not key or len(key) > _MAX_HEAD:
        return None
    v = _vocab()
    hit = v.exact.get(key)
    if hit is not None or not shaped:
        return hit
    from rapidfuzz import fuzz, process

    # Fuzzy only for Hangul headings (OCR slips a stroke); Latin text is too often a near
    # miss of a short English heading ("Ph.D. degree" ~ "degree").
    if not _ALL_HANGUL.fullmatch(key):
        return None
    jam = _jamo(key)
    if len(jam) < 5:
        return None
    best = process.extractOne(jam, v.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=80)
    return v.fuzzy_sections[best[2]] if best else None


# OCR of a heading whose decoration or words came out as noise: "mw 학력", "뛰 직무내용" (a
# prefix to drop) or "wae", "34" (a heading lost beyond repair: its lines are "other").
_GARBLED_HEADING = re.compile(r"[a-z0-9]{1,6}|[^\w\s]{1,3}")


def _classify_line(head: str, shaped: bool, ocr: bool) -> str | None:
    found = classify_heading(head, shaped) if head else None
    if found is None and ocr:
        # Only a Korean heading after the noise: "3+ years of experience" is content.
        first, _, remainder = head.partition(" ")
        if len(first) <= 3 and _ALL_HANGUL.fullmatch(_norm(remainder)):
            found = classify_heading(remainder.strip(), True)
    return found


def segment_text(text: str, *, ocr: bool = False) -> list[tuple[str, int, str]]:
    """(section, line number from 1, content) for every non-empty content line of ``text``.

    ``ocr=True`` adds the repairs for OCR noise around headings (a garbled decoration before
    the heading; a heading garbled beyond repair starts an "other" run instead of letting its
    lines fall into the previous section).
    """
    out: list[tuple[str, int, str]] = []
    section = "other"
    for no, line in enumerate(text.splitlines(), start=1):
        parts = _split_heading(line)
        if parts is None:
            continue
        head, rest, decorated = parts
        # Fuzzy matching only for lines shaped like headings: decorated, or short on their own.
        shaped = decorated or bool(rest) or len(_norm(head)) <= 12
        found = _classify_line(head, shaped, ocr)
        if found is not None:
            if rest:
                out.append((found, no, _strip_item(rest) or rest))
                # "- 경력: 3년 이상" inside 자격요건 labels its own line; the list goes on.
                if found in _FIELD_SECTIONS and section in _BODY_SECTIONS:
                    continue
            section = found
            continue
        if ocr and _GARBLED_HEADING.fullmatch(line.strip()):
            section = "other"
            continue
        content = _strip_item(line)
        if content:
            out.append((section, no, content))
    return out


def segment(
    postings: pl.DataFrame | str,
    *,
    id_col: str = "posting_id",
    text_col: str = "text",
    method_col: str = "method",
) -> pl.DataFrame:
    """Split posting texts into lines labelled by canonical section.

    Takes a frame with ``posting_id`` and ``text`` (e.g. ``ingest_folder(...).postings``) or one
    text; returns posting_id, section, line_no, text — one row per content line. Postings whose
    ``method`` is "ocr" get the OCR-noise repairs of ``segment_text``.
    """
    if isinstance(postings, str):
        postings = pl.DataFrame({id_col: [""], text_col: [postings]})
    missing = [c for c in (id_col, text_col) if c not in postings.columns]
    if missing:
        raise ValueError(
            f"segment: column(s) {', '.join(missing)} not in the frame; pass "
            "id_col= / text_col= to name them"
        )
    ids, secs, nos, texts = [], [], [], []
    if method_col in postings.columns:
        ocr = postings.get_column(method_col).eq("ocr").fill_null(False)
    else:
        ocr = pl.repeat(False, postings.height, eager=True)
    rows = zip(postings.get_column(id_col), postings.get_column(text_col), ocr, strict=True)
    for pid, text, is_ocr in rows:
        if not text:
            continue
        for section, no, content in segment_text(text, ocr=is_ocr):
            ids.append(pid)
            secs.append(section)
            nos.append(no)
            texts.append(content)
    return pl.DataFrame(
        {"posting_id": ids, "section": secs, "line_no": nos, "text": texts},
        schema=SECTIONS_SCHEMA,
    )
