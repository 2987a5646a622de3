"""``extract_rules``: every attribute of every posting from the sections frame, each read from its
own section first and then from the sections where postings also state it."""

from __future__ import annotations

from typing import Any

import polars as pl

from talentlib.postings.rules.major import major_mentions
from talentlib.postings.rules.requirements import education_level, experience_years, line_years
from talentlib.postings.rules.terms import CONTRACT_TERM, Salary, employment_type, region, salary
from talentlib.postings.rules.text import normalize_text

RULES_VERSION = "3"

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
            text = "\n".join(ln for ln in text.splitlines() if not line_years(normalize_text(ln)))
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
    if found is None and CONTRACT_TERM.search(normalize_text(by_section.get("employment", ""))):
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
        req, pref, any_major = major_mentions(text, section=group == own)
        wished += [c for c in pref if c not in wished]
        if required is None and (req or any_major):
            required = req
    if by_section.get("preferred"):
        _, pref, _ = major_mentions(by_section["preferred"], preferred=True)
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
