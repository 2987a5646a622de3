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
년. Vocabularies (majors, places) are data files beside the postings package and the region and
degree codes come from data_contracts/taxonomy.

One module per kind of attribute, each importing only those before it::

    text          OCR repair, preferred (우대) clauses, the vocabulary files
    major         majors required, preferred, or 전공무관 (``majors``, ``major_code``)
    requirements  education and experience, read together (``education_level``,
                  ``experience_years``): each reads the other's alternatives
    terms         employment type, place of work (시·도) and salary
    extract       ``extract_rules`` over the sections frame
"""

from talentlib.postings.rules.extract import RULES_SCHEMA, RULES_VERSION, extract_rules
from talentlib.postings.rules.major import major_code, majors
from talentlib.postings.rules.requirements import DEGREE_RANK, education_level, experience_years
from talentlib.postings.rules.terms import (
    EMPLOYMENT_TYPES,
    Salary,
    employment_type,
    region,
    regions,
    salary,
)
from talentlib.postings.rules.text import normalize_text

__all__ = [
    "DEGREE_RANK",
    "EMPLOYMENT_TYPES",
    "RULES_SCHEMA",
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
