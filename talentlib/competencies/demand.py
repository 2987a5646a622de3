"""Labour demand of one field: postings by job family, company size, company, education, major
and experience band, and companies by size, disclosed together (``demand_tables``)."""

from __future__ import annotations

import polars as pl

from talentlib import privacy
from talentlib.competencies.frame import count_cells, disclose_keyed
from talentlib.competencies.mentions import unmapped_mentions_table


def _linked_demand(
    f: pl.DataFrame, rules: privacy.DisclosureRules
) -> tuple[privacy.DisclosedTable, privacy.DisclosedTable, privacy.DisclosedTable]:
    """Postings by job family, by company size and by both, as one family: a job family's (or a
    size's) count is the cross table's margin, so what one of them hides the other hides too
    (``disclose(hide=...)``), the patterns completed again until nothing changes. Otherwise a
    margin hidden as a complement in the cross table would be printed in the 1-D table."""
    jf, ct = "job_family", "company_type"
    n_jobs, n_types, n_cross = (
        count_cells(f, [jf], rules), count_cells(f, [ct], rules), count_cells(f, [jf, ct], rules)
    )  # fmt: skip
    hide_jobs = pl.DataFrame(schema={jf: pl.String})
    hide_types = pl.DataFrame(schema={ct: pl.String})
    for _ in range(5):
        jobs = disclose_keyed(n_jobs, count="postings", rows=jf, rules=rules, hide=hide_jobs)
        types = disclose_keyed(n_types, count="postings", rows=ct, rules=rules, hide=hide_types)
        hide_cross = pl.concat(
            [
                jobs.hidden().with_columns(pl.lit(privacy.TOTAL).alias(ct)),
                types.hidden().with_columns(pl.lit(privacy.TOTAL).alias(jf)).select(jf, ct),
            ]
        )
        cross = disclose_keyed(
            n_cross, count="postings", rows=jf, cols=ct, rules=rules, hide=hide_cross
        )
        hidden = cross.hidden()
        new_jobs = hidden.filter(pl.col(ct) == privacy.TOTAL).select(jf)
        new_types = hidden.filter(pl.col(jf) == privacy.TOTAL).select(ct)
        if new_jobs.sort(jf).equals(jobs.hidden().sort(jf)) and new_types.sort(ct).equals(
            types.hidden().sort(ct)
        ):
            break
        hide_jobs, hide_types = new_jobs, new_types
    return jobs, types, cross


def demand_tables(
    df: pl.DataFrame,
    field: str,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008
) -> dict[str, privacy.DisclosedTable]:
    """The field's demand tables, disclosed: postings by job family, by company size, by
    company (pseudonymous id), job family × company size, by education, by major (a posting
    counts once per major it names), by experience band; companies by size; and, when the
    frame has mentions, the most frequent mentions without a code (unmapped_mentions_table)."""
    f = df.filter(pl.col("field_code") == field)
    majors = (
        f.select("posting_id", pl.col("majors").list.unique())
        .explode("majors")
        .with_columns(pl.col("majors").fill_null("NONE").alias("major"))
    )
    companies = f.select("company_id", "company_type").unique()
    jobs, types, cross = _linked_demand(f, rules)
    n_companies = disclose_keyed(
        count_cells(companies, ["company_type"], rules, "companies", ids="company_id"),
        count="companies",
        rows="company_type",
        rules=rules,
    )
    counted = n_companies.table.filter(
        ~pl.col("companies_suppressed") & (pl.col("company_type") != privacy.TOTAL)
    )["company_type"]
    out = {
        "postings_by_job_family": jobs,
        "postings_by_company_type": types,
        "companies_by_company_type": n_companies,
        # only companies whose count is published, and only of sizes whose number of companies
        # is: listing the small ones would tell how many companies of each size posted, and one
        # listed company whose postings are its size's total would tell that it is the only one
        "postings_by_company": disclose_keyed(
            count_cells(f, ["company_type", "company_id"], rules),
            count="postings",
            rows=["company_type", "company_id"],
            rules=rules,
        ).published_rows(pl.col("company_type").is_in(counted.to_list())),
        "postings_by_job_family_company_type": cross,
        "postings_by_education": disclose_keyed(
            count_cells(f, ["education"], rules), count="postings", rows="education", rules=rules
        ),
        "postings_by_major": disclose_keyed(
            count_cells(majors, ["major"], rules),
            count="postings",
            rows="major",
            rules=rules,
            margins=False,  # a posting names several majors: the sum is not a total
            partition=False,
        ),  # fmt: skip
        "postings_by_experience": disclose_keyed(
            count_cells(f, ["experience_band"], rules),
            count="postings",
            rows="experience_band",
            rules=rules,
        ),
    }
    if "mentions" in f.columns:
        # beside the codes: what postings ask for that the taxonomy has no code for
        out["unmapped_mentions"] = unmapped_mentions_table(f, ["field_code"], rules=rules)
    return out
