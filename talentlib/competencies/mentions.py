"""Competency prevalence per group (postings mentioning a code, or a parent group), and the
mentions employers write that the taxonomy has no code for (``unmapped_mentions_table``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from talentlib import cellkey, privacy, taxonomy
from talentlib.competencies.frame import disclose_keyed, fill_unknown


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


def mention_rows(df: pl.DataFrame, level: str = "code", keep: Sequence[str] = ()) -> pl.DataFrame:
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
    base = fill_unknown(df, by)
    salt = None if rules is None else rules.cell_key_salt or ""
    if salt is None:
        totals = base.group_by(by).agg(pl.len().cast(pl.Int64).alias("n_total"))
    else:
        totals = cellkey.count_people(base, by, ids="posting_id", salt=salt, count="n_total")
        totals = totals.rename({"cell_key": "_total_key"})
    m = mention_rows(base, level, by).unique([*by, "posting_id", "code"], maintain_order=True)
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
    return disclose_keyed(
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
    return disclose_keyed(
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
