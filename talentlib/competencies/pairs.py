"""Co-occurrence of a field's most frequent competencies: postings asking for both, Jaccard and
PMI, one row per unordered pair (``cooccurrence``; ``symmetric_pairs`` mirrors it for a heatmap).
"""

from __future__ import annotations

import polars as pl

from talentlib import cellkey, privacy
from talentlib.competencies.frame import disclose_keyed
from talentlib.competencies.mentions import mention_rows


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
    m = mention_rows(d, level).select("posting_id", "company_id", "code")
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
    return disclose_keyed(
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
