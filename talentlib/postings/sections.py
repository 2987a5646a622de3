"""Section segmentation of Korean (and English) postings into canonical sections.

A line opens a section when, stripped of bullets, numbering, brackets and a trailing colon, it
is one of the headings in ``sections.yaml`` ("[자격 요건]", "■ 필수 요건", "2. 우대사항 :",
"What you'll do", "근무지 및 근무형태", "About 대성에너지"). Text after a separator on the
heading line ("학력: 석사 이상", "학력 | 무관") belongs to that section, and a line of several
terms ("근무형태: 정규직 / 근무지: 서울", "학력 무관 | 경력 2년 이상 | 정규직") is split into
them. A table header row ("모집부문 | 담당업무 | 자격요건 | 인원", box-drawn or piped) makes its
cells columns: the cells below go to their column's section, also when a row wraps over lines.
A company intro ends at the next heading-shaped line, and a sentence that states the hire's
work ("주요 업무는 … 수행합니다.") is a duty even in the title area or the intro.
OCR noise is met by comparing Hangul letter by letter (jamo), so "자격요갼" still opens
requirements while "경험" does not turn into "경력".
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
# Terms of work: a heading joining two of them ("근무지 및 근무형태") is "conditions".
_TERMS = _FIELD_SECTIONS | {"conditions", "benefits"}
# What a posting asks of the candidate: inside 우대사항 these field lines stay preferences.
_CANDIDATE_FIELDS = frozenset({"education", "major", "experience"})
# Sections that hold a list; a "key: value" field line inside them does not end the list.
_BODY_SECTIONS = frozenset({"duties", "requirements", "preferred", "conditions"})
_MAX_HEAD = 24  # normalized characters; longer text is content, not a heading
# Labels of a table's key columns that are no section ("번호 | 분야 | 인원 | 수행업무").
_ROW_LABELS = frozenset({"번호", "순번", "연번", "구분", "no", "비고"})
# Parts of a heading joined from known ones: "근무지 및 근무형태", "Responsibilities / 주요업무".
_JOIN = re.compile(r"\s*(?:및|/|&|ㆍ|·|,)\s*|\s+and\s+", re.I)
# Cells of a table row or of a line of terms; " / " needs spaces ("Terraform/Ansible" is one).
_CELL_CHARS = "|┃│║"
_TERM_CELL = re.compile(r"\s*[|┃│║]\s*|\s+/\s+|\s+[■▣◆◇▶►]\s+")
# Items run together in one table cell: "- a - b", "· a · b", "① a ② b".
_INLINE_ITEM = re.compile(r"\s+[-·•▪◦]\s+|\s+(?=[①-⑳])")
# A line that looks like a heading though no vocabulary knows it: "[이런 일을 합니다]",
# "■ 모집 개요", "3. 모집 조건" — it ends a company intro.
_HEAD_MARK = re.compile(r"^\s*[■▣◆◇□▶►◼▪]\s*\S")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}|[가나다라마바사아자차카타파하])\s?\.\s*\S")
_BRACKETED = re.compile(r"^\s*\W*[\[【〔<《「『〈][^\]】〕>》」』〉]{1,40}[\]】〕>》」』〉]\W*$")
# A sentence ends in 다/요 with a stop, or in a verb ending; "모집 개요" is a noun.
_SENTENCE_END = re.compile(
    r"(?:니다|[다요죠])\s*[.!?]\s*$|(?:니다|[어아해에예세네까]요|죠)\s*$|[.!?]\s*$"
)
# What an experience field line says beyond its years ("경력: BMS 개발 3년 이상" names a skill).
_YEARS_WORDS = re.compile(
    r"\d+\s*(?:년|개월)\s*(?:차)?|이\s*상|이\s*하|미\s*만|경\s*력|신\s*입|무\s*관|관\s*련|분\s*야"
    r"|실\s*무|또\s*는|가\s*능|지\s*원|\(.*?\)|[^\w]|\d",
)


@dataclass(frozen=True)
class _Vocab:
    exact: dict[str, str]
    fuzzy_keys: list[str]  # jamo spellings of headings long enough for fuzzy matching
    fuzzy_sections: list[str]
    version: str
    patterns: tuple[tuple[re.Pattern[str], str], ...] = ()
    fillers: frozenset[str] = frozenset()
    duty: re.Pattern[str] | None = None
    field_values: re.Pattern[str] | None = None


def jamo(s: str) -> str:
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


def _spaced(s: str) -> str:
    """Lower-cased, NFKC, single spaces: the form ``patterns`` are written for."""
    return " ".join(unicodedata.normalize("NFKC", s).lower().split())


@lru_cache(maxsize=1)
def vocab() -> _Vocab:
    import yaml

    data: dict[str, Any] = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern[str], str]] = []
    for section, spec in data["sections"].items():
        for h in [spec["ko"], *spec["headings"]]:
            exact.setdefault(_norm(h), section)
        patterns += [(re.compile(p), section) for p in spec.get("patterns", [])]
    keys = [k for k in exact if len(jamo(k)) >= 5]
    duty = data.get("duty_sentences") or []
    values = data.get("field_values")
    return _Vocab(
        exact,
        [jamo(k) for k in keys],
        [exact[k] for k in keys],
        str(data.get("version", "")),
        tuple(patterns),
        frozenset(_norm(f) for f in data.get("heading_fillers", [])),
        re.compile("|".join(f"(?:{p})" for p in duty)) if duty else None,
        re.compile(values, re.I) if values else None,
    )


def _sections_order() -> tuple[str, ...]:
    import yaml

    data = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    return (*data["sections"], "other")


SECTIONS: tuple[str, ...] = _sections_order()


@lru_cache(maxsize=65536)  # postings repeat lines: segmenting reads each line several times
def _strip_item(line: str) -> str:
    """A line without its bullet or numbering ("• ", "1) ", "가. ", "① ")."""
    s = _LEAD.sub("", line)
    s = _NUMBER.sub("", s)
    return _LEAD.sub("", s).strip()


@lru_cache(maxsize=65536)
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


def _compound(head: str, v: _Vocab, *, fillers: bool) -> str | None:
    """Section of a heading joined from known ones ("근무지 및 근무형태" → conditions,
    "모집부문 및 상세내용" → position), or None when a part is not a heading."""
    parts = [p for p in _JOIN.split(head) if p and p.strip()]
    words = head.split()
    if len(parts) < 2 and fillers and len(words) > 1 and _norm(words[-1]) in v.fillers:
        parts = [" ".join(words[:-1]), words[-1]]  # "담당업무 세부내용"
    if len(parts) < 2:
        return None
    found = []
    for p in parts:
        key = _norm(p)
        if key in v.exact:
            found.append(v.exact[key])
        elif not (fillers and key in v.fillers):
            return None
    if not found:
        return None
    if len(set(found)) > 1 and all(f in _TERMS for f in found):
        return "conditions"
    return found[0]


@lru_cache(maxsize=65536)
def classify_heading(head: str, shaped: bool = True) -> str | None:
    """Canonical section of a heading text, or None; fuzzy only for heading-shaped lines."""
    key = _norm(head)
    if not key or len(key) > _MAX_HEAD:
        return None
    v = vocab()
    hit = v.exact.get(key)
    if hit is not None:
        return hit
    if shaped:
        low = _spaced(head)
        hit = next((sec for rx, sec in v.patterns if rx.search(low)), None)
        if hit is not None:
            return hit
    # A joined heading: of known headings only, unless the line is shaped like a heading.
    hit = _compound(head, v, fillers=shaped)
    if hit is not None or not shaped:
        return hit
    from rapidfuzz import fuzz, process

    # Fuzzy only for Hangul headings (OCR slips a stroke); Latin text is too often a near
    # miss of a short English heading ("Ph.D. degree" ~ "degree").
    if not _ALL_HANGUL.fullmatch(key):
        return None
    jam = jamo(key)
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


def _looks_like_heading(line: str, before: str | None, after: str | None) -> bool:
    """A short line marked like a heading ("[이런 일을 합니다]", "■ 모집 개요", "3. 모집 조건"),
    or a few plain words between prose and a list ("…기업입니다." / "연구 분야" / "- Diffusion
    모델 연구"); ``before`` and ``after`` are the content lines around it."""
    s = line.strip()
    if _SENTENCE_END.search(s) or len(_norm(s)) > _MAX_HEAD:
        return False
    if _BRACKETED.match(s) or _HEAD_MARK.match(s) or _NUMBERED.match(s):
        return True
    plain = s == _strip_item(s) and len(_norm(s)) <= 10 and not re.search(r"\d", s)
    listed = after is not None and after.strip() != _strip_item(after)
    return plain and listed and (before is None or bool(_SENTENCE_END.search(before.strip())))


def _cell_text(cell: str) -> str:
    return _strip_item(cell) or cell.strip()


def _term_cells(
    cells: list[str], first: str | None, v: _Vocab, default: str
) -> list[tuple[str, str]] | None:
    """Sections of the cells of a line of terms, or None when the line is not one.

    ``first`` is the section of a heading that opened the line ("근무형태 : 정규직 / 근무지 :
    서울"); without one (``None``) the line is a list of terms only when a cell names its term
    ("근무지: 서울", "학력 무관") or two cells are terms of work ("정규직 | 서울 성동구"), and
    its other cells stay in ``default``, the section the line is in ("파이토치, 영상처리 | 판교
    | 연봉 협의")."""
    out: list[tuple[str | None, str]] = []
    pending: str | None = first
    named = values = 0
    for i, cell in enumerate(cells):
        text = _cell_text(cell)
        if not text:
            continue
        parts = _split_heading(text)
        head, rest, _ = parts if parts else ("", "", False)
        sec = classify_heading(head, True) if head else None
        if sec in _TERMS or sec in ("position", "application"):
            named += 1
            if rest:
                out.append((sec, rest))
                pending = None
            elif i + 1 < len(cells):
                pending = sec  # "근무지 | 경기도 성남시": the value is the next cell
            continue
        if pending is not None:
            out.append((pending, text))
            pending = None
            continue
        word = text.split()[0]
        sec = classify_heading(word, False) if _ALL_HANGUL.fullmatch(word) else None
        if sec in _TERMS and len(text) <= 30:  # "학력 무관", "경력 2년 이상", "연봉 협의"
            named += 1
            out.append((sec, text))
            continue
        value = bool(v.field_values and v.field_values.search(text))
        values += value
        out.append(("conditions" if value else None, text))
    if first is None and not named and values < 2:
        return None
    # After a heading, a cell splits off when it names its term or is a term of work
    # ("급여 : 면접 후 결정 / 정규직"); "근무형태: 정규직 / 수습 3개월" stays whole.
    if first is not None and not named and not values:
        return None
    labelled = []
    last = first or default
    for sec, text in out:
        last = sec or (last if first else default)
        labelled.append((last, text))
    return labelled


class _Table:
    """Columns of a table whose header row is made of headings; cells go to their column."""

    def __init__(self, sections: list[str], sep: re.Pattern[str], bordered: bool) -> None:
        self.sections = sections
        self.sep = sep
        self.bordered = bordered
        self.col = 0

    @property
    def section(self) -> str:
        return self.sections[self.col]

    def owns(self, line: str) -> bool:
        return bool(self.sep.search(line))

    def cells(self, line: str) -> list[str]:
        s = line.strip()
        cells = self.sep.split(s)
        if self.bordered and len(cells) > 1:
            if not cells[0].strip():
                cells = cells[1:]
            if cells and not cells[-1].strip():
                cells = cells[:-1]
        return cells

    def row(self, line: str) -> list[tuple[str, str]]:
        """(section, text) of the cells of one line: a whole row, or a wrapped row's part."""
        cells = self.cells(line)
        k = len(self.sections)
        out: list[tuple[str, str]] = []
        if len(cells) == k:
            for i, cell in enumerate(cells):
                out += [(self.sections[i], t) for t in _items(cell)]
            self.col = k - 1
            return out
        for i, cell in enumerate(cells):
            if i:
                self.col = (self.col + 1) % k
            out += [(self.section, t) for t in _items(cell)]
        return out


def _items(cell: str) -> list[str]:
    return [t for t in (_cell_text(p) for p in _INLINE_ITEM.split(" " + cell)) if t]


def _table_header(line: str) -> _Table | None:
    """A table from its header row: two or more headings, one of them a body section, in
    cells parted by |, ┃, │ or " / "; unknown short labels (번호, 구분) count as position."""
    spec = _table_spec(line)
    return None if spec is None else _Table(list(spec[0]), spec[1], spec[2])


@lru_cache(maxsize=65536)  # postings repeat lines; a _Table keeps state, so only its spec
def _table_spec(line: str) -> tuple[tuple[str, ...], re.Pattern[str], bool] | None:
    s = line.strip()
    counts = {c: s.count(c) for c in _CELL_CHARS}
    char = max(counts, key=counts.__getitem__)
    if counts[char]:
        sep = re.compile(re.escape(char))
    elif " / " in s:
        sep = re.compile(r"\s+/\s+")
    else:
        return None
    cells = sep.split(s)
    bordered = bool(counts[char]) and s.startswith(char)
    if bordered and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) < 2:
        return None
    sections, known, body = [], 0, False
    for cell in cells:
        text = _cell_text(cell)
        sec = classify_heading(text, True) if text else None
        if sec is None:
            if _norm(text) not in _ROW_LABELS:
                return None
            sec = "position"
        else:
            known += 1
        body = body or sec in ("duties", "requirements", "preferred")
        sections.append(sec)
    # Body columns ("모집부문 | 담당업무 | 자격요건"), or three or more terms ("모집부문 | 인원 |
    # 경력 | 학력 | 근무지"); two terms are a key and a value ("근무형태 | 정규직").
    if known < 2 or not (body or known >= 3 and known == len(cells)):
        return None
    return tuple(sections), sep, bordered


@lru_cache(maxsize=65536)
def _line_terms(line: str, section: str) -> tuple[tuple[str, str], ...] | None:
    """A line without a heading as a list of terms (``_term_cells``), or None."""
    cells = _TERM_CELL.split(line.strip())
    terms = _term_cells(cells, None, vocab(), section) if len(cells) > 1 else None
    return None if terms is None else tuple(terms)


def _next_line(lines: list[str], no: int) -> str | None:
    """The first non-empty line after line ``no`` (numbered from 1)."""
    return next((ln for ln in lines[no:] if ln.strip()), None)


def _says_more_than_years(text: str) -> bool:
    return len(_YEARS_WORDS.sub("", text)) >= 4


def segment_text(text: str, *, ocr: bool = False) -> list[tuple[str, int, str]]:
    """(section, line number from 1, content) for every non-empty content line of ``text``.

    A line split into terms or table cells gives several entries with its line number.
    ``ocr=True`` adds the repairs for OCR noise around headings (a garbled decoration before
    the heading; a heading garbled beyond repair starts an "other" run instead of letting its
    lines fall into the previous section).
    """
    v = vocab()
    out: list[tuple[str, int, str]] = []
    section = "other"
    table: _Table | None = None
    duty_run = False  # a paragraph of duty sentences in the title area or an intro
    block = False  # the section was opened by a heading on its own line ("[우대사항]")

    def content(sec: str, no: int, s: str) -> None:
        nonlocal duty_run
        if sec in ("other", "company"):
            if duty_run or (v.duty is not None and v.duty.search(s)):
                duty_run = True
                sec = "duties"
        out.append((sec, no, s))

    lines = text.splitlines()
    previous: str | None = None  # the last non-empty line
    for no, line in enumerate(lines, start=1):
        parts = _split_heading(line)
        if parts is None:
            duty_run = False
            # A blank line after the block's first lines ends it ("[우대사항]" … "" "경력: …").
            block = block and bool(out) and out[-1][0] != section
            continue
        before, previous = previous, line
        head, rest, decorated = parts
        # Fuzzy matching only for lines shaped like headings: decorated, or short on their own.
        shaped = decorated or bool(rest) or len(_norm(head)) <= 12
        found = _classify_line(head, shaped, ocr)
        if table is not None:
            cells = table.cells(line) if table.owns(line) else []
            # A heading or a term of work ends the table, unless it is a cell of a row; a
            # field a candidate needs ("학력: 학사 이상") may sit in a cell.
            ends = found is not None and (not rest or found not in _CANDIDATE_FIELDS)
            ends = ends and len(cells) != len(table.sections)
            if not ends:
                if cells:
                    out += [(sec, no, t) for sec, t in table.row(line)]
                else:
                    out += [(table.section, no, t) for t in _items(line)]
                continue
            table = None
        if found is not None or _TERM_CELL.search(line):
            new_table = _table_header(line)
            if new_table is not None:
                table, duty_run, block = new_table, False, False
                section = new_table.section
                continue
        # "[경력] BMS 하드웨어 설계": a title tagged 경력, not a field of years.
        tagged = _strip_item(line)[:1] in _PAIRS
        if found == "experience" and rest and tagged and not re.search(r"\d|신\s*입|무\s*관", rest):
            found = None
        if found is not None:
            duty_run = False
            if rest:
                cells = _TERM_CELL.split(rest)
                terms = _term_cells(cells, found, v, found) if len(cells) > 1 else None
                if terms is None:
                    terms = [(found, _strip_item(rest) or rest)]
                inside = section in _BODY_SECTIONS and found in _FIELD_SECTIONS
                wish = block and section == "preferred" and found in _CANDIDATE_FIELDS
                if wish and len(terms) == 1:
                    # "전공: 화학공학" under [우대사항] is a preference: keep it whole.
                    out.append(("preferred", no, _strip_item(line)))
                    continue
                out += [(sec, no, t) for sec, t in terms]
                if inside:
                    # "- 경력: 3년 이상" inside 자격요건 labels its own line; the list goes on.
                    # "경력: BMS 개발 3년 이상" also names a skill the list asks for.
                    if found == "experience" and _says_more_than_years(rest):
                        out.append((section, no, _strip_item(rest) or rest))
                    continue
                if found == "company":
                    # "회사소개 : …" is the intro in one line; it opens no block.
                    section, block = "other", False
                    continue
            section, block = found, not rest
            continue
        if ocr and _GARBLED_HEADING.fullmatch(line.strip()):
            section = "other"
            continue
        if section == "company" and _looks_like_heading(line, before, _next_line(lines, no)):
            section, block = "other", False  # an unknown heading ends the intro
        terms = _line_terms(line, section)
        if terms is not None:
            out += [(sec, no, t) for sec, t in terms]
            continue
        s = _strip_item(line)
        if s:
            content(section, no, s)
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
    text; returns posting_id, section, line_no, text — one row per content line (a line split
    into terms or table cells gives one row per part). Postings whose ``method`` is "ocr" get
    the OCR-noise repairs of ``segment_text``.
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
