"""Career flows of R&D participants: where each field's people go after their projects, at what pay.

Definitions (the same as the generator's truth.json, so tests can check recovery):
- exit date: end of a person's last participation in the field (technologies optional);
- observed: the person is linked to at least one employment-insurance (EI) spell; people with no
  EI record at all (professors, civil servants, people abroad, …) are *not observed*, never
  *not employed*;
- employed at h months: an insured spell covers exit + h months (acquired_on ≤ t ≤ lost_on, open
  spells run on); horizons are only computed for cohorts whose exit + h lies within the data;
- main job: the covering spell with the highest monthly wage (several jobs at once happen);
- first job: the first insured spell starting no earlier than 60 days before the exit that pays at
  least the legal monthly minimum wage of its start year (student part-time jobs excluded);
- time to first job: Kaplan–Meier over observed student researchers, censored at the data end.
Every table meant for publication is returned as a `privacy.DisclosedTable`. Every count of
people is made by one helper (``cellkey.count_people``), so the same people give the same cell
key in every table; each table says which population it counts (``population``) for the
release auditor.

The package follows the data: ``states`` (the cohort: who is followed, their states, first
jobs) → ``tables`` (each cohort's publishable tables) → ``family`` (all fields' tables and the
comparison hidden consistently, once per batch run).
"""

from __future__ import annotations

from .family import (
    FAMILY_ROUNDS,
    FAMILY_VERSION,
    career_tables,
    field_comparison,
    release_family,
)
from .states import (
    FIRST_JOB_LEAD_DAYS,
    HORIZONS,
    INDUSTRY_TYPES,
    MONTH_DAYS,
    SHARE_DIGITS,
    WAGE_ROUND,
    CareerTables,
    CohortSpec,
    MainJobs,
    cohort,
    cohorts,
    first_job_steps,
    first_jobs,
    horizon_days,
    kaplan_meier,
    km_at,
    km_median,
    main_jobs,
    states_at,
    states_by_field,
)
from .tables import (
    cohort_frames,
    cohort_tables,
    fields_frames,
    people_table,
    population,
    published_key_numbers,
    published_share,
    wage_table,
)

__all__ = [
    "FAMILY_ROUNDS", "FAMILY_VERSION", "FIRST_JOB_LEAD_DAYS", "HORIZONS", "INDUSTRY_TYPES",
    "MONTH_DAYS", "SHARE_DIGITS", "WAGE_ROUND", "CareerTables", "CohortSpec", "MainJobs",
    "career_tables", "cohort", "cohort_frames", "cohort_tables", "cohorts", "field_comparison",
    "fields_frames", "first_job_steps", "first_jobs", "horizon_days", "kaplan_meier", "km_at",
    "km_median", "main_jobs", "people_table", "population", "published_key_numbers",
    "published_share", "release_family", "states_at", "states_by_field", "wage_table",
]  # fmt: skip
