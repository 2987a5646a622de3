"""What notebook 02 shows beside its tables: chart orders of the Korean labels, the key numbers
(read from published cells only) and, for curators, the LLM's proposals of new competencies."""

from __future__ import annotations

from typing import Any

import polars as pl

from talentlib import labels, privacy, taxonomy
from talentlib.competencies.frame import EXPERIENCE_BANDS, UNKNOWN
from talentlib.competencies.mentions import unmapped_share


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
        tagger.backend(), lines.to_list(), cache_dir=tagger.llm_cache_dir
    )
