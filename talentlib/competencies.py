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

**Common versus field-specific** (``common_vs_specific``). A competency is *field-specific* for
field f when it is distinctive for f against all other fields by the log-odds ratio with an
informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"), z ≥
``z_specific`` (default 3.0, about p < 0.0013 one-sided: with ~400 codes × 12 fields, 1.96 would
flag dozens by chance), with at least ``min_postings`` postings in f. It is *common* when it
appears (prevalence ≥ ``min_prevalence``, default 2 %) in at least ``min_field_share`` (75 %) of
the fields with low dispersion (coefficient of variation of prevalence across fields ≤
``max_cv``, default 0.6) and is specific to no field. Reported at competency and at parent-group
level (``level="group"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from talentlib import cellkey, labels, privacy, taxonomy
from talentlib.postings.tagger import MENTION_TYPE

__all__ = [
    "EXPERIENCE_BANDS",
    "JobFamilyClassifier",
    "CommonSpecificSettings",
    "common_vs_specific",
    "cooccurrence",
    "demand_tables",
    "experience_band",
    "fit_job_families",
    "job_families",
    "log_odds_dirichlet",
    "posting_frame",
    "prevalence",
    "prevalence_table",
    "unmapped_mentions_table",
    "unmapped_norms",
    "unmapped_share",
]

ANALYSIS_SCHEMA = {
    "posting_id": pl.String,
    "field_code": pl.String,
    "job_family": pl.String,
    "company_id": pl.String,
    "company_type": pl.String,
    "posted_on": pl.Date,
    "education": pl.String,
    "majors": pl.List(pl.String),
    "experience_min_years": pl.Int32,
    "competencies": pl.List(pl.String),
    # open-vocabulary mentions (postings.tagger.extract): {text, norm, code (null: not in the
    # taxonomy), section}; empty when extraction did not give them
    "mentions": pl.List(MENTION_TYPE),
}
# Experience bands (code, ko): null years = 무관/not stated, 0 = 신입.
EXPERIENCE_BANDS = ("ANY", "NEW", "Y1_2", "Y3_5", "Y6_9", "Y10P")  # names: talentlib.labels
UNKNOWN = "UNKNOWN"  # explicit code for a missing dimension value (disclose refuses nulls)


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def job_families() -> dict[str, dict[str, Any]]:
    """Job family code → its row of the job_families taxonomy (ko, field_code)."""
    return {str(r["code"]): r for r in taxonomy.load("job_families")["codes"]}


# --------------------------------------------------------------------------------------------
# The analysis frame
# --------------------------------------------------------------------------------------------


def experience_band(col: str = "experience_min_years") -> pl.Expr:
    """Band code of minimum years: null → ANY, 0 → NEW, 1–2, 3–5, 6–9, 10+."""
    y = pl.col(col)
    return (
        pl.when(y.is_null())
        .then(pl.lit("ANY"))
        .when(y == 0)
        .then(pl.lit("NEW"))
        .when(y <= 2)
        .then(pl.lit("Y1_2"))
        .when(y <= 5)
        .then(pl.lit("Y3_5"))
        .when(y <= 9)
        .then(pl.lit("Y6_9"))
        .otherwise(pl.lit("Y10P"))
        .alias("experience_band")
    )


def posting_frame(
    index: pl.DataFrame,
    extracted: pl.DataFrame,
    job_families: pl.DataFrame | None = None,
    *,
    period: tuple[str | int, str | int] | None = None,
) -> pl.DataFrame:
    """One row per posting for the analyses (ANALYSIS_SCHEMA plus experience_band).

    ``index``: posting_id, field_code, company_id, company_type, posted_on (job_postings
    contract); ``extracted``: tagger.extract output; ``job_families``: posting_id, job_family
    (from a JobFamilyClassifier or labels). ``period`` = (first, last) year or ISO date."""
    base = index.select(
        [
            c if c in index.columns else pl.lit(None, dtype=ANALYSIS_SCHEMA[c]).alias(c)
            for c in ("posting_id", "field_code", "company_id", "company_type", "posted_on")
        ]
    )
    ex = extracted.select(
        "posting_id", "education", "majors", "experience_min_years", "competencies",
        pl.col("mentions") if "mentions" in extracted.columns
        else pl.lit([], dtype=ANALYSIS_SCHEMA["mentions"]).alias("mentions"),
    )  # fmt: skip
    df = base.join(ex, on="posting_id", how="inner")
    if job_families is not None:
        df = df.join(job_families.select("posting_id", "job_family"), on="posting_id", how="left")
    else:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("job_family"))
    if period is not None:
        lo, hi = (_as_date(p, end) for p, end in zip(period, (False, True), strict=True))
        df = df.filter(pl.col("posted_on").is_between(lo, hi))
    return (
        df.with_columns(pl.col(c).cast(t) for c, t in ANALYSIS_SCHEMA.items() if c in df.columns)
        .with_columns(
            pl.col("majors").fill_null([]),
            pl.col("competencies").fill_null([]),
            pl.col("mentions").fill_null([]),
            experience_band(),
        )
        .select([*ANALYSIS_SCHEMA, "experience_band"])
    )


def _as_date(v: str | int, end: bool) -> Any:
    import datetime as dt

    if isinstance(v, int) or (isinstance(v, str) and v.isdigit() and len(v) == 4):
        return dt.date(int(v), 12, 31) if end else dt.date(int(v), 1, 1)
    return dt.date.fromisoformat(str(v))


# --------------------------------------------------------------------------------------------
# Demand tables
# --------------------------------------------------------------------------------------------


def _fill(df: pl.DataFrame, cols: Sequence[str]) -> pl.DataFrame:
    return df.with_columns(pl.col(c).cast(pl.String).fill_null(UNKNOWN) for c in cols)


def _count(
    df: pl.DataFrame,
    by: Sequence[str],
    rules: privacy.DisclosureRules,
    name: str = "postings",
    ids: str = "posting_id",
) -> pl.DataFrame:
    """Distinct ``ids`` (postings, or companies) per cell with the cell's key: the same postings
    get the same key, and so the same published count, in every table of a release."""
    return cellkey.count_people(
        _fill(df, by), by, ids=ids, salt=rules.cell_key_salt or "", count=name
    )


def _disclose(t: pl.DataFrame, **kw: Any) -> privacy.DisclosedTable:
    return privacy.disclose(t, cell_key="cell_key", **kw)


def _linked_demand(
    f: pl.DataFrame, rules: privacy.DisclosureRules
) -> tuple[privacy.DisclosedTable, privacy.DisclosedTable, privacy.DisclosedTable]:
    """Postings by job family, by company size and by both, as one family: a job family's (or a
    size's) count is the cross table's margin, so what one of them hides the other hides too
    (``disclose(hide=...)``), the patterns completed again until nothing changes. Otherwise a
    margin hidden as a complement in the cross table would be printed in the 1-D table."""
    jf, ct = "job_family", "company_type"
    n_jobs, n_types, n_cross = (
        _count(f, [jf], rules), _count(f, [ct], rules), _count(f, [jf, ct], rules)
    )  # fmt: skip
    hide_jobs = pl.DataFrame(schema={jf: pl.String})
    hide_types = pl.DataFrame(schema={ct: pl.String})
    for _ in range(5):
        jobs = _disclose(n_jobs, count="postings", rows=jf, rules=rules, hide=hide_jobs)
        types = _disclose(n_types, count="postings", rows=ct, rules=rules, hide=hide_types)
        hide_cross = pl.concat(
            [
                jobs.hidden().with_columns(pl.lit(privacy.TOTAL).alias(ct)),
                types.hidden().with_columns(pl.lit(privacy.TOTAL).alias(jf)).select(jf, ct),
            ]
        )
        cross = _disclose(n_cross, count="postings", rows=jf, cols=ct, rules=rules, hide=hide_cross)
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
    n_companies = _disclose(
        _count(companies, ["company_type"], rules, "companies", ids="company_id"),
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
        "postings_by_company": _disclose(
            _count(f, ["company_type", "company_id"], rules),
            count="postings",
            rows=["company_type", "company_id"],
            rules=rules,
        ).published_rows(pl.col("company_type").is_in(counted.to_list())),
        "postings_by_job_family_company_type": cross,
        "postings_by_education": _disclose(
            _count(f, ["education"], rules), count="postings", rows="education", rules=rules
        ),
        "postings_by_major": _disclose(
            _count(majors, ["major"], rules),
            count="postings",
            rows="major",
            rules=rules,
            margins=False,  # a posting names several majors: the sum is not a total
            partition=False,
        ),  # fmt: skip
        "postings_by_experience": _disclose(
            _count(f, ["experience_band"], rules),
            count="postings",
            rows="experience_band",
            rules=rules,
        ),
    }
    if "mentions" in f.columns:
        # beside the codes: what postings ask for that the taxonomy has no code for
        out["unmapped_mentions"] = unmapped_mentions_table(f, ["field_code"], rules=rules)
    return out


# --------------------------------------------------------------------------------------------
# Competency prevalence
# --------------------------------------------------------------------------------------------


def unmapped_norms(df: pl.DataFrame) -> pl.Series:
    """Per posting, the distinct normalised mentions that have no code in the taxonomy, masked
    (talentlib.pii.mask_pii) and without any that held personal information."""
    from talentlib.pii import PII_LABELS, mask_pii_expr

    if "mentions" not in df.columns:
        return pl.Series("unmapped", [[] for _ in range(df.height)], pl.List(pl.String))
    pii = "|".join(re.escape(v) for v in PII_LABELS.values())
    norms = (
        df.select(pl.int_range(pl.len()).alias("_i"), pl.col("mentions"))
        .explode("mentions")
        .with_columns(
            pl.col("mentions").struct.field("norm").alias("norm"),
            pl.col("mentions").struct.field("code").alias("code"),
        )  # fmt: skip
        .filter(pl.col("norm").is_not_null() & pl.col("code").is_null())
        .with_columns(mask_pii_expr(pl.col("norm")).alias("masked"))
        .filter(~pl.col("masked").str.contains(pii) & (pl.col("masked") == pl.col("norm")))
        .group_by("_i")
        .agg(pl.col("masked").unique(maintain_order=True))
    )
    out = pl.DataFrame({"_i": range(df.height)}).join(norms, on="_i", how="left")
    return out.sort("_i")["masked"].fill_null([]).alias("unmapped")


def _mentions(df: pl.DataFrame, level: str = "code", keep: Sequence[str] = ()) -> pl.DataFrame:
    """One row per (posting, competency) — or parent group with ``level="group"``, or
    normalised mention without a code with ``level="unmapped"`` (in the ``code`` column)."""
    cols = list(dict.fromkeys(["posting_id", "field_code", "company_id", *keep]))
    if level == "unmapped":
        return df.select(*cols, unmapped_norms(df).alias("code")).explode("code").drop_nulls("code")
    m = df.select(*cols, pl.col("competencies").alias("code")).explode("code").drop_nulls("code")
    if level == "group":
        groups = {
            str(r["code"]): str(r.get("group")) for r in taxonomy.load("competencies")["codes"]
        }
        m = m.with_columns(pl.col("code").replace_strict(groups, default=None)).drop_nulls("code")
        m = m.unique(["posting_id", "code"], maintain_order=True)
    elif level != "code":
        raise ValueError("level is 'code', 'group' or 'unmapped'")
    return m


def prevalence(
    df: pl.DataFrame,
    by: Sequence[str] = ("field_code",),
    level: str = "code",
    *,
    rules: privacy.DisclosureRules | None = None,
) -> pl.DataFrame:
    """Per group of ``by`` and competency: n (postings mentioning it), n_total (postings of the
    group), prevalence = n / n_total, top2_company_share (of the n postings), n_companies
    (companies among them). With ``rules``
    also each cell's key over its postings (``cellkey``), and under cell_key the prevalence is
    the ratio of the *published* counts (each perturbed on its own key, as every table of the
    release shows it): a share of true counts printed beside perturbed ones would give the
    true counts back."""
    by = list(by)
    base = _fill(df, by)
    salt = None if rules is None else rules.cell_key_salt or ""
    if salt is None:
        totals = base.group_by(by).agg(pl.len().cast(pl.Int64).alias("n_total"))
    else:
        totals = cellkey.count_people(base, by, ids="posting_id", salt=salt, count="n_total")
        totals = totals.rename({"cell_key": "_total_key"})
    m = _mentions(base, level, by).unique([*by, "posting_id", "code"], maintain_order=True)
    per_company = m.group_by([*by, "code", "company_id"]).agg(pl.len().alias("_c"))
    top2 = per_company.group_by([*by, "code"]).agg(
        pl.col("_c").sum().cast(pl.Int64).alias("n"),
        pl.col("_c").sort(descending=True).head(2).sum().alias("_top2"),
        pl.len().cast(pl.Int64).alias("n_companies"),
    )
    share = pl.col("n") / pl.col("n_total")
    if salt is not None:
        keys = cellkey.count_people(m, [*by, "code"], ids="posting_id", salt=salt, count="_n")
        top2 = top2.join(keys.drop("_n"), on=[*by, "code"], how="left", nulls_equal=True)
        if rules is not None and rules.method == "cell_key":
            t = rules.min_count
            share = cellkey.published_counts("n", "cell_key", t) / cellkey.published_counts(
                "n_total", "_total_key", t
            )
    return (
        top2.join(totals, on=by, nulls_equal=True)
        .with_columns(
            share.alias("prevalence"),
            (pl.col("_top2") / pl.col("n")).alias("top2_company_share"),
        )
        .drop("_top2", "_total_key", strict=False)
        # ties broken by code: the same data gives the same order (and the same top-N) every run
        .sort([*by, "n", "code"], descending=[*([False] * len(by)), True, False])
    )


def prevalence_table(
    df: pl.DataFrame,
    by: Sequence[str] = ("field_code",),
    *,
    level: str = "code",
    top: int | None = None,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008
) -> privacy.DisclosedTable:
    """Prevalence per group and competency, disclosed: the count n is thresholded, prevalence
    published only for cells with n ≥ min_count_magnitude and not dominated by two companies.
    ``top`` keeps each group's most frequent competencies (n_total stays exact)."""
    by = list(by)
    p = prevalence(df, by, level, rules=rules)
    if top is not None:
        p = p.with_columns(pl.col("n").rank("ordinal", descending=True).over(by).alias("_r"))
        p = p.filter(pl.col("_r") <= top).drop("_r")
    return _disclose(
        p.select(*by, "code", "n", "prevalence", "top2_company_share", "cell_key"),
        count="n",
        rows=[*by, "code"] if len(by) > 1 else by,
        cols="code" if len(by) == 1 else None,
        magnitudes=["prevalence"],
        top_share="top2_company_share",
        rules=rules,
        margins=False,  # a posting has many competencies: sums over codes are not totals
        partition=False,
    )


MENTION_MIN_COMPANIES = 3  # an unmapped mention is published only when this many companies ask


def unmapped_mentions_table(
    df: pl.DataFrame,
    by: Sequence[str] = ("field_code",),
    *,
    top: int | None = 30,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008
) -> privacy.DisclosedTable:
    """What employers ask for that the taxonomy has no code for: per group (default: field)
    the ``top`` most frequent normalised mentions without a code, with the number of postings
    asking for each (n) and their share — disclosed as ``prevalence_table`` is. Mentions are
    masked (talentlib.pii) and any that held personal information is left out, so the table
    holds no text that could identify a person; a mention written by fewer than
    MENTION_MIN_COMPANIES companies (a company's own name or products) is left out too."""
    by = list(by)
    # free text that only one or two companies write (their own name, products, boilerplate)
    # is not a demand of the field and could name the company: not published
    p = prevalence(df, by, "unmapped", rules=rules).filter(
        pl.col("n_companies") >= MENTION_MIN_COMPANIES
    )
    if top is not None:
        p = p.with_columns(pl.col("n").rank("ordinal", descending=True).over(by).alias("_r"))
        p = p.filter(pl.col("_r") <= top).drop("_r")
    p = p.rename({"code": "mention"})
    return _disclose(
        p.select(*by, "mention", "n", "prevalence", "top2_company_share", "cell_key"),
        count="n",
        rows=[*by, "mention"] if len(by) > 1 else by,
        cols="mention" if len(by) == 1 else None,
        magnitudes=["prevalence"],
        top_share="top2_company_share",
        rules=rules,
        margins=False,  # a posting has many mentions: sums over mentions are not totals
        partition=False,
    )


def unmapped_share(df: pl.DataFrame) -> float | None:
    """Share of the distinct (posting, mention) pairs that have no code (None: no mentions)."""
    if "mentions" not in df.columns:
        return None
    m = (
        df.select("posting_id", "mentions").explode("mentions").drop_nulls("mentions")
        .select("posting_id", pl.col("mentions").struct.field("norm").alias("norm"),
                pl.col("mentions").struct.field("code").alias("code"))
        .unique(["posting_id", "norm"])
    )  # fmt: skip
    return round(float(m["code"].is_null().mean()), 4) if m.height else None


# --------------------------------------------------------------------------------------------
# Common versus field-specific
# --------------------------------------------------------------------------------------------


def log_odds_dirichlet(
    counts: pl.DataFrame, *, group: str = "field_code", prior_scale: float | None = None
) -> pl.DataFrame:
    """Monroe et al. (2008) log-odds ratio with an informative Dirichlet prior, each group
    against all the others.

    ``counts``: group, code, n (mentions). The prior is α_w = α₀ · (n_w / n) from the pooled
    counts, α₀ = ``prior_scale`` (default: the mean number of mentions per group, so the prior
    weighs like one average group). Returns group, code, n, delta (log-odds ratio), var,
    z = delta / sqrt(var)."""
    c = counts.select(group, "code", pl.col("n").cast(pl.Float64))
    pooled = c.group_by("code").agg(pl.col("n").sum().alias("n_w"))
    n_all = float(pooled["n_w"].sum())
    per_group = c.group_by(group).agg(pl.col("n").sum().alias("n_g"))
    a0 = prior_scale if prior_scale is not None else n_all / max(per_group.height, 1)
    grid = per_group.join(pooled, how="cross").join(c, on=[group, "code"], how="left")
    grid = grid.with_columns(pl.col("n").fill_null(0.0))
    a = pl.col("n_w") / n_all * a0
    yi, ni = pl.col("n"), pl.col("n_g")
    yj, nj = pl.col("n_w") - pl.col("n"), n_all - pl.col("n_g")
    delta = ((yi + a) / (ni + a0 - yi - a)).log() - ((yj + a) / (nj + a0 - yj - a)).log()
    var = 1 / (yi + a) + 1 / (yj + a)
    return grid.select(
        group,
        "code",
        pl.col("n").cast(pl.Int64),
        delta.alias("delta"),
        var.alias("var"),
        (delta / var.sqrt()).alias("z"),
    ).sort([group, "z"], descending=[False, True])


@dataclass(frozen=True)
class CommonSpecificSettings:
    """Thresholds of the common / field-specific split (see the module docstring)."""

    z_specific: float = 3.0
    min_postings: int = 5
    min_prevalence: float = 0.02
    min_field_share: float = 0.75
    max_cv: float = 0.6


def common_vs_specific(
    df: pl.DataFrame,
    *,
    level: str = "code",
    settings: CommonSpecificSettings = CommonSpecificSettings(),  # noqa: B008
) -> pl.DataFrame:
    """Per field and competency: n, n_total, prevalence, lift (prevalence / overall), log-odds
    z against the other fields, and per competency: fields_present (prevalence ≥
    min_prevalence), field_share, mean_prevalence, cv (across fields); ``role`` is "specific"
    (distinctive for this field), "common" (everywhere, evenly) or "other". Not disclosed: use
    ``common_specific_table`` to publish."""
    s = settings
    base = _fill(df, ["field_code"])
    totals = base.group_by("field_code").agg(pl.len().cast(pl.Int64).alias("n_total"))
    n_fields = totals.height
    counts = _mentions(base, level).group_by("field_code", "code").agg(pl.len().alias("n"))
    z = log_odds_dirichlet(counts)
    overall = counts.group_by("code").agg(pl.col("n").sum().alias("_n_all"))
    full = (
        z.join(totals, on="field_code")
        .join(overall, on="code")
        .with_columns((pl.col("n") / pl.col("n_total")).alias("prevalence"))
        .with_columns((pl.col("prevalence") / (pl.col("_n_all") / df.height)).alias("lift"))
        .drop("_n_all")
    )
    stats = (
        full.group_by("code")
        .agg(
            (pl.col("prevalence") >= s.min_prevalence).sum().alias("fields_present"),
            pl.col("prevalence").mean().alias("mean_prevalence"),
            (pl.col("prevalence").std(ddof=0) / pl.col("prevalence").mean()).alias("cv"),
        )
        .with_columns((pl.col("fields_present") / n_fields).alias("field_share"))
    )
    specific = (pl.col("z") >= s.z_specific) & (pl.col("n") >= s.min_postings)
    out = full.join(stats, on="code").with_columns(specific.alias("_specific"))
    any_specific = out.group_by("code").agg(pl.col("_specific").any().alias("_any"))
    out = out.join(any_specific, on="code").with_columns(
        pl.when(pl.col("_specific"))
        .then(pl.lit("specific"))
        .when(
            (pl.col("field_share") >= s.min_field_share)
            & (pl.col("cv") <= s.max_cv)
            & ~pl.col("_any")
        )
        .then(pl.lit("common"))
        .otherwise(pl.lit("other"))
        .alias("role")
    )
    return out.drop("_specific", "_any", "var").sort(
        ["field_code", "role", "z"], descending=[False, False, True]
    )


def common_specific_table(
    cs: pl.DataFrame,
    field: str,
    df: pl.DataFrame,
    *,
    level: str = "code",
    top: int = 20,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008
) -> dict[str, privacy.DisclosedTable]:
    """Publishable views of ``common_vs_specific`` for one field: its ``top`` field-specific
    competencies (n, prevalence, z) and the common competencies (n and prevalence in this field,
    the mean prevalence over the fields and the share of fields where it reaches
    ``min_prevalence``, both of published counts: a hidden count counts as 0). Statistics follow
    the prevalence rule (n ≥ min_count_magnitude, not dominated)."""
    every = prevalence(df, ["field_code"], level, rules=rules)
    p = every.filter(pl.col("field_code") == field).select(
        "code", "top2_company_share", "cell_key", pl.col("prevalence").alias("_published")
    )
    # the 12-field statistics of the published counts: a field whose count is hidden (under
    # the threshold) counts as 0, so no hidden count enters them
    n_fields = max(1, _fill(df, ["field_code"])["field_code"].n_unique())
    shown = pl.when(pl.col("n") >= rules.min_count).then(pl.col("prevalence")).otherwise(0.0)
    across = every.group_by("code").agg(
        (shown.sum() / n_fields).alias("_mean"),
        ((shown >= CommonSpecificSettings().min_prevalence).sum() / n_fields).alias("_share"),
    )
    f = (
        cs.filter(pl.col("field_code") == field)
        .join(p, on="code", how="left")
        .join(across, on="code", how="left")
        .with_columns(
            pl.col("_mean").fill_null(0.0).alias("mean_prevalence"),
            pl.col("_share").fill_null(0.0).alias("field_share"),
        )
        .drop("_mean", "_share")
        .with_columns(pl.col("top2_company_share").fill_null(1.0), pl.col("cell_key").fill_null(0))
        # this field's prevalence as the release publishes it (from perturbed counts); the
        # 12-field statistics are rounded so that no one field's count can be solved from them
        .with_columns(
            pl.coalesce("_published", "prevalence").alias("prevalence"),
            pl.col("z").round(0),  # of true counts: to whole units, it ranks and tells little
            pl.col("mean_prevalence").round(2),
        )
        .drop("_published")
    )
    spec = (
        f.filter(pl.col("role") == "specific")
        .sort(["z", "code"], descending=[True, False])
        .head(top)
    )
    common = f.filter(pl.col("role") == "common").sort(
        ["mean_prevalence", "code"], descending=[True, False]
    )
    out = {}
    for name, t, mags in (
        # lift is not published: for a code found in one field it is all postings over the
        # field's postings — of true counts it gave the field's true total back
        ("specific_competencies", spec, ["prevalence", "z"]),
        ("common_competencies", common, ["prevalence", "mean_prevalence", "field_share"]),
    ):
        out[name] = _disclose(
            t.select("code", "n", *mags, "top2_company_share", "cell_key"),
            count="n",
            rows="code",
            magnitudes=mags,
            top_share="top2_company_share",
            rules=rules,
            margins=False,
            partition=False,  # a posting has many competencies: the codes' sum is no total
        )
    return out


# --------------------------------------------------------------------------------------------
# Co-occurrence
# --------------------------------------------------------------------------------------------


def cooccurrence(
    df: pl.DataFrame,
    field: str | None = None,
    *,
    top: int = 15,
    level: str = "code",
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008
) -> privacy.DisclosedTable:
    """Pairs among the field's ``top`` most frequent competencies: n_ab (postings with both),
    jaccard = n_ab / (n_a + n_b − n_ab) and pmi = log(n_ab · N / (n_a · n_b)); one row per
    unordered pair, the more frequent code as code_a (a table of ordered pairs would print
    each count twice and could hide it in one place while showing it in the other; mirror it
    for a symmetric heatmap with ``symmetric_pairs``). Disclosed: n_ab thresholded, jaccard and
    pmi published where n_ab ≥ min_count_magnitude and not dominated by two companies."""
    d = df if field is None else df.filter(pl.col("field_code") == field)
    salt = rules.cell_key_salt or ""
    m = _mentions(d, level).select("posting_id", "company_id", "code")
    m = m.unique(["posting_id", "code"], maintain_order=True)
    freq = (
        m.group_by("code")
        .agg(pl.len().alias("n_a"))
        .sort(["n_a", "code"], descending=[True, False])
    )
    keep = freq.head(top)
    m = m.join(keep.select("code"), on="code")
    pairs = (
        m.join(m.select("posting_id", pl.col("code").alias("code_b")), on="posting_id")
        .filter(pl.col("code") != pl.col("code_b"))
        .rename({"code": "code_a"})
    )
    per_company = pairs.group_by("code_a", "code_b", "company_id").agg(pl.len().alias("_c"))
    agg = per_company.group_by("code_a", "code_b").agg(
        pl.col("_c").sum().cast(pl.Int64).alias("n_ab"),
        (pl.col("_c").sort(descending=True).head(2).sum() / pl.col("_c").sum()).alias("top2"),
    )
    keys = cellkey.count_people(
        pairs, ["code_a", "code_b"], ids="posting_id", salt=rules.cell_key_salt or "", count="_n"
    )
    agg = agg.join(keys.drop("_n"), on=["code_a", "code_b"], how="left")
    codes = keep["code"].to_list()
    grid = pl.DataFrame(
        [{"code_a": a, "code_b": b} for i, a in enumerate(codes) for b in codes[i + 1 :]],
        schema={"code_a": pl.String, "code_b": pl.String},
    )
    # under cell_key the indices are ratios of the counts the release publishes (n_ab here, n_a
    # in the prevalence table, N as the field's total): of true counts they would give them back
    noisy = rules.method == "cell_key"
    t_min = rules.min_count
    if noisy:
        ka = cellkey.count_people(m, ["code"], ids="posting_id", salt=salt, count="_n")
        keep = (
            keep.join(ka.drop("_n"), on="code", how="left")
            .with_columns(cellkey.published_counts("n_a", "cell_key", t_min).alias("n_a"))
            .drop("cell_key")
        )
        n_all = cellkey.count_people(d, [], ids="posting_id", salt=salt, count="_n")
        n = (
            int(n_all.select(cellkey.published_counts("_n", "cell_key", t_min)).item())
            if d.height
            else 0
        )
    else:
        n = d.height
    fa = keep.rename({"code": "code_a"})
    fb = keep.rename({"code": "code_b", "n_a": "n_b"})
    t = (
        grid.join(agg, on=["code_a", "code_b"], how="left")
        .with_columns(
            pl.col("n_ab").fill_null(0),
            pl.col("top2").fill_null(1.0),
            pl.col("cell_key").fill_null(0),
        )
        .join(fa, on="code_a")
        .join(fb, on="code_b")
        .with_columns(
            (
                cellkey.published_counts("n_ab", "cell_key", t_min) if noisy else pl.col("n_ab")
            ).alias("_ab")
        )
        .with_columns(
            (pl.col("_ab") / (pl.col("n_a") + pl.col("n_b") - pl.col("_ab"))).alias("jaccard"),
            pl.when(pl.col("_ab") > 0)
            .then((pl.col("_ab") * n / (pl.col("n_a") * pl.col("n_b"))).log())
            .otherwise(None)
            .alias("pmi"),
        )
        .drop("_ab")
    )
    return _disclose(
        t.select("code_a", "code_b", "n_ab", "jaccard", "pmi", "top2", "cell_key"),
        count="n_ab",
        rows="code_a",
        cols="code_b",
        magnitudes=["jaccard", "pmi"],
        top_share="top2",
        rules=rules,
        margins=False,  # a posting counts in many pairs: row sums are not totals
        partition=False,
    )


def symmetric_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    """A table of unordered pairs (``cooccurrence(...).table``) with each pair also as (b, a),
    for a symmetric heatmap."""
    swapped = pairs.rename({"code_a": "code_b", "code_b": "code_a"}).select(pairs.columns)
    return pl.concat([pairs, swapped])


# --------------------------------------------------------------------------------------------
# Job families of postings without one
# --------------------------------------------------------------------------------------------


class JobFamilyClassifier:
    """Job family from a posting's title and competencies (scikit-learn shape): character
    n-grams of the title plus the competency codes as words, one logistic regression."""

    def __init__(self, C: float = 4.0, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    @staticmethod
    def _docs(
        titles: Sequence[str | None], competencies: Sequence[Sequence[str] | None]
    ) -> list[str]:
        return [
            f"{taxonomy.normalize_text(t or '')} || {' '.join('k_' + c for c in (cs or []))}"
            for t, cs in zip(titles, competencies, strict=True)
        ]

    def fit(
        self, titles: Sequence[str | None], competencies: Sequence[Sequence[str]], y: Sequence[str]
    ) -> JobFamilyClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        words = TfidfVectorizer(analyzer=_code_words)
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 3), min_df=1, sublinear_tf=True,
            preprocessor=_title_part,
        )  # fmt: skip
        self.pipeline_ = make_pipeline(
            FeatureUnion([("title", chars), ("codes", words)]),
            LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state),
        )
        self.pipeline_.fit(self._docs(titles, competencies), list(y))
        self.classes_ = list(self.pipeline_.classes_)
        return self

    def predict(
        self,
        titles: Sequence[str | None],
        competencies: Sequence[Sequence[str] | None],
        fields: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Most likely family per posting; with ``fields``, only families of that field."""
        if not hasattr(self, "pipeline_"):
            raise RuntimeError("JobFamilyClassifier is not fitted; call fit first")
        proba = self.pipeline_.predict_proba(self._docs(titles, competencies))
        if fields is not None:
            fam_field = {c: f["field_code"] for c, f in job_families().items()}
            allowed = np.array(
                [[fam_field.get(c) == f for c in self.classes_] for f in fields], dtype=bool
            )
            proba = np.where(allowed.any(axis=1, keepdims=True) & ~allowed, -1.0, proba)
        return [self.classes_[j] for j in proba.argmax(axis=1)]


def fit_job_families(n_postings: int = 900, seed: int = 86_420) -> JobFamilyClassifier:
    """A JobFamilyClassifier trained on a fresh synthetic posting set (its own seed, plain
    text only; a few seconds). Real postings need labelled examples of their own."""
    from talentlib import training

    titles, codes, families = training.job_family_examples(n_postings, seed)
    return JobFamilyClassifier().fit(titles, codes, families)


def _title_part(doc: str) -> str:
    return doc.split("||")[0]


def _code_words(doc: str) -> list[str]:
    return doc.split("||")[1].split()


# --------------------------------------------------------------------------------------------
# Notebook helpers (02_job_analysis): selecting, labelling, key numbers
# --------------------------------------------------------------------------------------------


def select_postings(
    data: str | Path,
    *,
    sources: Sequence[str] | None = None,
    formats: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The posting index (``postings/job_postings.parquet``) of a dataset, optionally only some
    sources (jobsite_a, company_site, …) and file types (txt, html, pdf, png, jpg)."""
    path = Path(data) / "postings" / "job_postings.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"no posting index at {path}; generate a dataset with `talent synth` or pass the "
            "folder that holds postings/job_postings.parquet"
        )
    try:
        index = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as e:
        first = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path}: not a readable Parquet posting index ({first})") from None
    if sources:
        index = index.filter(pl.col("source").is_in(list(sources)))
    if formats:
        index = index.filter(pl.col("file_type").is_in(list(formats)))
    return index


def posting_files(data: str | Path, index: pl.DataFrame) -> list[Path]:
    root = Path(data) / "postings"
    return [root / p for p in index["file_path"].to_list()]


@lru_cache(maxsize=1)
def _families_model() -> JobFamilyClassifier:
    return fit_job_families()


def assign_job_families(index: pl.DataFrame, extracted: pl.DataFrame) -> pl.DataFrame:
    """posting_id, job_family predicted from the title and the extracted competencies, within
    the posting's field (JobFamilyClassifier trained on synthetic postings)."""
    df = index.select("posting_id", "title", "field_code").join(
        extracted.select("posting_id", "competencies"), on="posting_id", how="inner"
    )
    if df.height == 0:
        return pl.DataFrame(schema={"posting_id": pl.String, "job_family": pl.String})
    fam = _families_model().predict(
        df["title"].to_list(), df["competencies"].to_list(), df["field_code"].to_list()
    )
    return pl.DataFrame({"posting_id": df["posting_id"], "job_family": fam})


@dataclass(frozen=True)
class ReadPostings:
    """What notebook 02 reads from the posting files: the ingest result (postings read, files
    quarantined: n_in = read + quarantined), the extracted tags and rules, and each posting's
    job family; ``tagger`` only when it was loaded (an LLM run needs it for its candidates)."""

    ingested: Any  # postings.IngestResult
    extracted: pl.DataFrame
    families: pl.DataFrame
    tagger: Any | None = None
    reused: bool = False  # read from the run's prepared folder (another field computed it)


def _read_key(files: Sequence[Path], index: pl.DataFrame) -> str:
    """What a read depends on: the files (path, size, time), their posting ids, the tagger's and
    the taxonomy's versions (the prepared folder belongs to one run, so code does not change)."""
    from talentlib import io
    from talentlib.postings import tagger as tg

    return io.content_key(
        [
            io.file_stats(files),
            index["posting_id"].to_list(),
            tg.CompetencyTagger().fingerprint(),
            taxonomy.versions(),
        ]
    )


def read_postings(
    data: str | Path,
    index: pl.DataFrame,
    *,
    cache_dir: str | Path | None = None,
    llm: Any | None = None,
    quiet: bool = True,
) -> ReadPostings:
    """Read the postings of ``index``: ingest (text, HTML, PDF, OCR; masked) → tags and rules
    (``tagger.extract``, in the posting's field) → job family (``assign_job_families``).

    Every field's notebook 02 reads all fields' postings (the common / field-specific split
    compares them), so inside a batch run (``TALENTLIB_PREPARED``, the run's prepared folder)
    the first field to ask computes the result and the others read it: a file lock makes them
    wait instead of computing it again. Without an LLM only; an LLM run computes its own."""
    from talentlib import config, io
    from talentlib.postings import IngestResult, ingest_folder
    from talentlib.postings import tagger as tg

    cache = Path(cache_dir) if cache_dir else tg.default_cache_dir()
    files = posting_files(data, index)
    prepared = config.prepared_dir("postings")

    def compute() -> ReadPostings:
        ingested = ingest_folder(
            files, posting_ids=index["posting_id"].to_list(), cache_dir=cache / "ingest",
            quiet=quiet,
        )  # fmt: skip
        tagger = tg.load_or_fit(cache, llm=llm, llm_cache_dir=cache / "llm")
        extracted = tg.extract(
            ingested.postings.join(
                index.select("posting_id", "field_code"), on="posting_id", how="left"
            ),
            tagger,
            cache_dir=cache / "extract",
        )
        return ReadPostings(ingested, extracted, assign_job_families(index, extracted), tagger)

    if llm is not None or not prepared:
        return compute()

    def dump(out: ReadPostings) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
        ing = out.ingested
        made = {"read": ing.postings, "quarantine": ing.quarantine}
        made |= {"extracted": out.extracted, "families": out.families}
        return made, {"n_in": ing.n_in, "n_cached": ing.n_cached, "seconds": ing.seconds}

    def load(got: dict[str, pl.DataFrame], meta: dict[str, Any]) -> ReadPostings:
        ingested = IngestResult(
            got["read"], got["quarantine"], int(meta["n_in"]), int(meta["n_cached"]),
            float(meta["seconds"]),
        )  # fmt: skip
        return ReadPostings(ingested, got["extracted"], got["families"], reused=True)

    return io.computed_once(prepared, _read_key(files, index), compute, dump, load)[0]


def education_order() -> list[str]:
    """Korean education labels from the lowest requirement to the highest (chart order)."""
    lab = labels.values("education")
    return [lab[c] for c in ("ANY", "HS", "ASSOC", "BACHELOR", "MASTER", "PHD", UNKNOWN)]


def experience_order() -> list[str]:
    """Korean experience-band labels from none required to ten years or more (chart order)."""
    lab = labels.values("experience_band")
    return [lab[c] for c in EXPERIENCE_BANDS]


def _published(t: privacy.DisclosedTable, count: str) -> pl.DataFrame:
    return t.table.filter(~pl.col(f"{count}_suppressed"))


def key_numbers(
    df: pl.DataFrame,
    field: str,
    demand: dict[str, privacy.DisclosedTable],
    cs: pl.DataFrame,
    ingested: Any = None,
) -> dict[str, Any]:
    """The notebook's key numbers, read from published (disclosed) cells only."""
    jobs = _published(demand["postings_by_job_family"], "postings")
    total = jobs.filter(pl.col("job_family") == privacy.TOTAL)["postings"]
    n = int(total[0]) if total.len() and total[0] is not None else None
    inner = jobs.filter(pl.col("job_family") != privacy.TOTAL).sort("postings", descending=True)
    edu = _published(demand["postings_by_education"], "postings")
    hi = edu.filter(pl.col("education").is_in(["MASTER", "PHD"]))["postings"]
    exp = _published(demand["postings_by_experience"], "postings")
    new = exp.filter(pl.col("experience_band") == "NEW")["postings"]
    comp_types = _published(demand["companies_by_company_type"], "companies")
    n_comp = comp_types.filter(pl.col("company_type") == privacy.TOTAL)["companies"]
    f = cs.filter(pl.col("field_code") == field)
    out: dict[str, Any] = {
        "field_code": field,
        "postings": n,
        "companies": int(n_comp[0]) if n_comp.len() else None,
        "top_job_family": inner["job_family"][0] if inner.height else None,
        "master_or_phd_share": round(float(hi.sum()) / n, 4) if n and hi.len() == 2 else None,
        "entry_level_share": round(float(new[0]) / n, 4) if n and new.len() else None,
        "specific_competencies": f.filter((pl.col("role") == "specific") & (pl.col("n") >= 10))
        .sort(["z", "code"], descending=[True, False])["code"]
        .head(10)
        .to_list(),
        "common_competencies": sorted(cs.filter(pl.col("role") == "common")["code"].unique()),
        "taxonomy_version": taxonomy.version("competencies"),
        "unmapped_mention_share": unmapped_share(df.filter(pl.col("field_code") == field)),
    }
    if ingested is not None:
        out["files_read"] = int(ingested.n_ok)
        out["files_quarantined"] = int(ingested.n_quarantined)
    return out


def new_competency_candidates(
    tagger: Any, ingested: pl.DataFrame, df: pl.DataFrame, field: str, max_lines: int = 40
) -> pl.DataFrame:
    """Terms the LLM proposes outside the taxonomy (term, count, example_line), from the body
    lines of the field's postings; for curators, not for publication."""
    from talentlib.postings import llm as llm_mod
    from talentlib.postings.sections import segment
    from talentlib.postings.tagger import BODY_SECTIONS

    ids = df.filter(pl.col("field_code") == field)["posting_id"]
    seg = segment(ingested.filter(pl.col("posting_id").is_in(ids)))
    lines = (
        seg.filter(pl.col("section").is_in(list(BODY_SECTIONS)))["text"].unique(maintain_order=True)
    ).head(max_lines)
    return llm_mod.propose_new_competencies(
        tagger._backend(), lines.to_list(), cache_dir=tagger.llm_cache_dir
    )
