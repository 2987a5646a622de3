"""Labour demand and competencies from extracted job postings: per field, job family, company,
education, major and experience; common versus field-specific competencies; co-occurrence.

Input is one row per posting (``posting_frame``): the posting index (field, company, company
size, date) joined with what extraction found (``postings.tagger.extract``: education, majors,
years of experience, competencies). Every table meant for publication is returned as a
``privacy.DisclosedTable``.

**Disclosure of company counts.** Companies are not people, so the privacy rules do not require
suppression; we apply the count threshold (``rules.min_count`` postings) anyway, to every
company row and every cell that counts postings: a small firm's exact number of openings is
commercially sensitive, and a pseudonymous company id together with its size class, field and
region can be re-identified. One rule for all firms (large ones are not exempted) is simpler to
audit. Shares and statistics derived from counts (prevalence, lift, log-odds) are published only
for cells of at least ``rules.min_count_magnitude`` postings and not dominated by two companies
(top-2 companies' share of the cell's postings at most ``rules.dominance_k``).

**Common versus field-specific** (``common_vs_specific``): a competency distinctive for one field
by the log-odds ratio with an informative Dirichlet prior, or present evenly in most fields; the
rule and its thresholds are in ``talentlib.competencies.specific``.

One module per step, data flowing one way (each imports only those before it)::

    read      select and read posting files: tags, rules, job families (``read_postings``)
    frame     the analysis frame (``posting_frame``); how its cells are counted and disclosed
    mentions  competency prevalence and mentions without a code (``prevalence_table``)
    demand    the field's demand tables (``demand_tables``)
    specific  common versus field-specific competencies (``common_vs_specific``)
    pairs     co-occurrence of competencies (``cooccurrence``)
    summary   chart orders, key numbers, new-competency candidates (``key_numbers``)
"""

from talentlib.competencies.demand import demand_tables
from talentlib.competencies.frame import (
    ANALYSIS_SCHEMA,
    EXPERIENCE_BANDS,
    UNKNOWN,
    experience_band,
    posting_frame,
)
from talentlib.competencies.mentions import (
    MENTION_MIN_COMPANIES,
    prevalence,
    prevalence_table,
    unmapped_mentions_table,
    unmapped_norms,
    unmapped_share,
)
from talentlib.competencies.pairs import cooccurrence, symmetric_pairs
from talentlib.competencies.read import (
    JobFamilyClassifier,
    ReadPostings,
    assign_job_families,
    fit_job_families,
    job_families,
    posting_files,
    read_postings,
    select_postings,
)
from talentlib.competencies.specific import (
    CommonSpecificSettings,
    common_specific_table,
    common_vs_specific,
    log_odds_dirichlet,
)
from talentlib.competencies.summary import (
    education_order,
    experience_order,
    key_numbers,
    new_competency_candidates,
)

__all__ = [
    "ANALYSIS_SCHEMA",
    "EXPERIENCE_BANDS",
    "MENTION_MIN_COMPANIES",
    "UNKNOWN",
    "CommonSpecificSettings",
    "JobFamilyClassifier",
    "ReadPostings",
    "assign_job_families",
    "common_specific_table",
    "common_vs_specific",
    "cooccurrence",
    "demand_tables",
    "education_order",
    "experience_band",
    "experience_order",
    "fit_job_families",
    "job_families",
    "key_numbers",
    "log_odds_dirichlet",
    "new_competency_candidates",
    "posting_files",
    "posting_frame",
    "prevalence",
    "prevalence_table",
    "read_postings",
    "select_postings",
    "symmetric_pairs",
    "unmapped_mentions_table",
    "unmapped_norms",
    "unmapped_share",
]
