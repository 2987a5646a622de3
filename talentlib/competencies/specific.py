"""Common versus field-specific competencies (``common_vs_specific``). A competency is
*field-specific* for field f when it is distinctive for f against all other fields by the
log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin'
Words"), z ≥ ``z_specific`` (default 3.0, about p < 0.0013 one-sided: with ~400 codes × 12
fields, 1.96 would flag dozens by chance), with at least ``min_postings`` postings in f. It is
*common* when it appears (prevalence ≥ ``min_prevalence``, default 2 %) in at least
``min_field_share`` (75 %) of the fields with low dispersion (coefficient of variation of
prevalence across fields ≤ ``max_cv``, default 0.6) and is specific to no field. Reported at
competency and at parent-group level (``level="group"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from talentlib import privacy
from talentlib.competencies.frame import disclose_keyed, fill_unknown
from talentlib.competencies.mentions import mention_rows, prevalence


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
    base = fill_unknown(df, ["field_code"])
    totals = base.group_by("field_code").agg(pl.len().cast(pl.Int64).alias("n_total"))
    n_fields = totals.height
    counts = mention_rows(base, level).group_by("field_code", "code").agg(pl.len().alias("n"))
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
    n_fields = max(1, fill_unknown(df, ["field_code"])["field_code"].n_unique())
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
        out[name] = disclose_keyed(
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
