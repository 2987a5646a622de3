"""Which lines of a posting are tagged: sections (duties, requirements, preferred …) and the
line-level tags gathered per posting (``tag_sections``); the company intro is never tagged."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from talentlib.postings.tagger import CompetencyTagger

# Sections whose lines are tagged; company blurbs, benefits, process and contacts are not
# (boilerplate pollutes matches). "other" holds the title and text before the first heading.
BODY_SECTIONS = ("other", "position", "duties", "requirements", "preferred")
REQUIRED_SECTIONS = ("other", "position", "duties", "requirements")

# --------------------------------------------------------------------------------------------
# Over postings: sections → rules → tags
# --------------------------------------------------------------------------------------------

MENTION_TYPE = pl.Struct(
    {"text": pl.String, "norm": pl.String, "code": pl.String, "section": pl.String}
)
TAGS_SCHEMA = {
    "posting_id": pl.String,
    "competencies": pl.List(pl.String),
    "required": pl.List(pl.String),
    "preferred": pl.List(pl.String),
    "n_uncertain": pl.Int32,  # (line, code) candidates in the uncertain band (the LLM's asks)
    # open-vocabulary mentions: {text (masked), norm, code (null: not in the taxonomy), section
    # (duty, required, preferred)}, once per (norm, code), where first asked
    "mentions": pl.List(MENTION_TYPE),
}
_SECTION_RANK = {"duty": 0, "required": 1, "preferred": 2}


def tag_sections(
    sections: pl.DataFrame,
    tagger: CompetencyTagger,
    *,
    ocr_ids: Iterable[str] = (),
    body: Sequence[str] = BODY_SECTIONS,
    fields: Mapping[str, str | None] | None = None,
) -> pl.DataFrame:
    """Competencies per posting from ``postings.segment`` output: lines of the body sections are
    tagged; required = found in title/position/duties/requirements, preferred = only in 우대사항.
    ``ocr_ids`` are postings whose text came from OCR; ``fields`` (posting id → field code)
    decide homonyms. ``mentions`` lists every competency mention, with or without a code."""
    from talentlib.postings.mentions import mention_section

    ocr = set(ocr_ids)
    sections = _open_sections(sections, ocr)
    body_lines = sections.filter(pl.col("section").is_in(list(body)))
    pids = body_lines["posting_id"].to_list()
    secs = body_lines["section"].to_list()
    texts = body_lines["text"].to_list()
    line_fields = [(fields or {}).get(p) for p in pids]
    kept, line_mentions, n_band = tagger.tag_lines(
        texts, [p in ocr for p in pids], fields=line_fields, groups=pids, sections=secs
    )
    unsure: dict[str, int] = {}
    for pid, k in zip(pids, n_band, strict=True):
        unsure[pid] = unsure.get(pid, 0) + k
    req: dict[str, set[str]] = {}
    pref: dict[str, set[str]] = {}
    ments: dict[str, dict[tuple[str, str | None], dict[str, Any]]] = {}
    for pid, sec, text, codes, ms in zip(pids, secs, texts, kept, line_mentions, strict=True):
        (pref if sec == "preferred" else req).setdefault(pid, set()).update(codes)
        req.setdefault(pid, set())
        msec = mention_section(sec, text) or "duty"
        seen = ments.setdefault(pid, {})
        for m in ms:
            old = seen.get((m.norm, m.code))
            if old is None or _SECTION_RANK[msec] < _SECTION_RANK[old["section"]]:
                seen[(m.norm, m.code)] = {"text": m.text, "norm": m.norm, "code": m.code,
                                          "section": msec}  # fmt: skip
    all_ids = list(dict.fromkeys(sections["posting_id"].to_list()))
    rows = []
    for pid in all_ids:
        r = req.get(pid, set())
        p = pref.get(pid, set()) - r
        rows.append(
            {
                "posting_id": pid,
                "competencies": sorted(r | p),
                "required": sorted(r),
                "preferred": sorted(p),
                "n_uncertain": unsure.get(pid, 0),
                "mentions": list(ments.get(pid, {}).values()),
            }
        )
    return pl.DataFrame(rows, schema=TAGS_SCHEMA)


# A company blurb is prose: lines that end like a sentence (…입니다. …있어요. "… abroad.").
_SENTENCE_END = re.compile(r"(?:다|요|죠)\s*[.!]?\s*$|[.!?]\s*$")


def _is_prose(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.strip()))


def _heading_like(text: str) -> bool:
    core = re.sub(r"[^0-9A-Za-z가-힣]", "", text)
    return 0 < len(core) <= 12 and not _is_prose(text)


def _open_sections(sections: pl.DataFrame, ocr: set[str]) -> pl.DataFrame:
    """Which lines of the blurb sections to tag. Prose in "other" and 회사소개 is company blurb
    and is dropped ("section" → "company"); item-like lines in "other" are kept: a table
    flattened into one line ("QC(분석) / HPLC, ELISA … / 약학 전공 …"). 회사소개 is never
    tagged, bullets included (typed or OCR: "ESS 전용 LFP 라인 증설" describes the company),
    except that in OCR text a short heading-shaped line in it reopens tagging for the rest of
    the section: the position and duties running on inside 회사소개 because OCR garbled the
    heading after the blurb (모집부문 → "eo 부문"). Measured: tagging the OCR intro's bullets
    cost 25 false tags and found 2 (development and hand-written sets, OCR path)."""
    secs = sections["section"].to_list()
    pids = sections["posting_id"].to_list()
    texts = sections["text"].to_list()
    out = list(secs)
    prev, seen, reopened = None, 0, False
    for i, (pid, sec, text) in enumerate(zip(pids, secs, texts, strict=True)):
        if (pid, sec) != prev:
            seen, reopened = 0, False
            prev = (pid, sec)
        if sec not in ("company", "other"):
            continue
        if sec == "company" and pid in ocr and (reopened or (seen and _heading_like(text))):
            reopened = True
            out[i] = "other"
        elif sec == "company":
            # Segmentation ends the intro at the next heading (known, joined or heading-shaped)
            # and files flattened tables and a one-line "회사소개 : …" elsewhere, so what it
            # leaves under 회사소개 is the intro, bullets included: never tagged.
            out[i] = "company"
        elif _is_prose(text):
            out[i] = "company"
        else:
            out[i] = "other"
        seen += 1
    return sections.with_columns(pl.Series("section", out, dtype=pl.String))
