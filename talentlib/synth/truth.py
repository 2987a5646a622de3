"""The values the generator planted, computed from its latent (clean, fully known) data.

Analyses work on the published, pseudonymized and faulty tables; tests compare what they
recover with these numbers. Definitions are written into truth.json beside the values.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from talentlib import taxonomy

from .base import day
from .employment import wage_in_year

DEFINITIONS = {
    "exit_date": "end of a person's last participation in the field",
    "observed": "the person has at least one employment-insurance spell in the extract (any time)",
    "employed_at_h": "an insured spell covers exit_date + h months (acquired_on <= t and (lost_on is null or lost_on >= t))",
    "horizon_cohort": "persons whose exit_date + h months <= data_end",
    "main_job": "the covering spell with the highest monthly wage in the year of t (annual_wages)",
    "wage_at_h": "the main job's monthly wage reported for the calendar year of exit + h months",
    "retention": "main job's KSIC sub-class falls under one of the field's own industries (field_industry.yaml)",
    "time_to_first_job": "student researchers whose exit (from the field) fell in 2014-2021 and who are observed: months from exit to the first full-time insured job (latent, uncensored; never = infinity); median and share within 12 months",
    "top10": "works in the top 10% by citations within field x publication year; country credit by fractional counting over authorships",
    "degree_mix_2022": "reported degree of researchers with a participation active on any day of 2022",
}
HORIZONS = (6, 12, 36)


def _own_industry_prefixes() -> dict[str, list[str]]:
    data = taxonomy.load("field_industry")["fields"]
    out = {}
    for f, spec in data.items():
        out[f] = [str(e["code"]) if isinstance(e, dict) else str(e) for e in spec["own_industries"]]
    return out


def career_truth(
    persons: pl.DataFrame, parts: pl.DataFrame, spells: pl.DataFrame, data_end: str
) -> dict[str, Any]:
    """Per-field career outcomes from latent participations and spells (clean data)."""
    end = day(data_end)
    observed = spells.select("person").unique().with_columns(pl.lit(True).alias("observed"))
    exits = (
        parts.group_by("person", "field_code")
        .agg(
            pl.col("end_day").max().alias("exit"),
            pl.col("role").sort_by("end_day").last().alias("exit_role"),
        )
        .join(
            persons.select("person", "degree", "ei_status", "first_job_day"),
            on="person",
            how="left",
        )
        .join(observed, on="person", how="left")
        .with_columns(pl.col("observed").fill_null(False))
    )
    own = _own_industry_prefixes()
    out: dict[str, Any] = {}
    for f in sorted(exits["field_code"].unique().to_list()):
        ef = exits.filter(pl.col("field_code") == f)
        res: dict[str, Any] = {
            "participants": ef.height,
            "observed_share": round(float(ef["observed"].mean()), 4),
            "not_observed_by_reason": {
                k: round(v / ef.height, 4)
                for k, v in ef.filter(~pl.col("observed"))
                .group_by("ei_status")
                .len()
                .sort("ei_status")
                .iter_rows()
            },
        }
        st = ef.filter(
            (pl.col("exit_role") == "STUDENT")
            & pl.col("observed")
            & (pl.col("exit") >= day("2014-01-01"))
            & (pl.col("exit") <= day("2021-12-31"))
        ).with_columns(
            ((pl.col("first_job_day") - pl.col("exit")) / 30.44).fill_null(float("inf")).alias("m")
        )
        if st.height:
            res["time_to_first_job"] = {
                "n": st.height,
                "median_months": round(float(st["m"].median()), 2),
                "share_within_12m": round(float((st["m"] <= 12).mean()), 4),
            }
        for h in HORIZONS:
            cohort = ef.filter(
                pl.col("observed") & (pl.col("exit") + int(h * 30.44) <= end)
            ).with_columns((pl.col("exit") + int(h * 30.44)).alias("t"))
            cov = (
                cohort.join(spells, on="person", how="inner")
                .filter((pl.col("start") <= pl.col("t")) & (pl.col("end") >= pl.col("t")))
                .with_columns(  # the wage reported for the year of t (annual_wages), not at hiring
                    wage_in_year(
                        pl.col("wage_monthly"),
                        pl.col("growth"),
                        pl.col("start").cast(pl.Int32).cast(pl.Date).dt.year(),
                        pl.col("t").cast(pl.Int32).cast(pl.Date).dt.year(),
                    ).alias("wage_monthly")
                )
                .sort("wage_monthly", descending=True, maintain_order=True)
                .group_by("person", maintain_order=True)
                .first()
            )
            emp_rate = cov.height / cohort.height if cohort.height else None
            res[f"employed_{h}m"] = {
                "n": cohort.height,
                "share": None if emp_rate is None else round(emp_rate, 4),
            }
            stud = cohort.filter(pl.col("exit_role") == "STUDENT")
            cov_st = cov.filter(pl.col("person").is_in(stud["person"].implode()))
            res[f"employed_{h}m"]["students_share"] = (
                round(cov_st.height / stud.height, 4) if stud.height else None
            )
            if h == 12 and cov.height:
                med = cov.group_by("degree").agg(
                    pl.col("wage_monthly").median().alias("m"), pl.len().alias("n")
                )
                res["median_wage_12m_by_degree"] = {
                    d: {"median": float(m), "n": int(k)}
                    for d, m, k in med.sort("degree").iter_rows()
                }
                res["large_firm_share_12m"] = round(
                    float((cov["employer_type"] == "LARGE").mean()), 4
                )
                prefixes = own.get(f, [])
                retained = (
                    cov["ksic"].map_elements(
                        lambda c, p=tuple(prefixes): c.startswith(p), return_dtype=pl.Boolean
                    )
                    if prefixes
                    else pl.Series([False] * cov.height)
                )
                res["own_industry_share_12m"] = round(float(retained.mean()), 4)
                in_ind = cov["employer_type"].is_in(["LARGE", "MIDSIZE", "SME", "VENTURE"])
                res["own_industry_share_12m_industry"] = (
                    round(float(retained.filter(in_ind).mean()), 4) if in_ind.any() else None
                )
        out[f] = res
    return out


def publication_truth(
    labels: pl.DataFrame, works: pl.DataFrame, authorships: pl.DataFrame
) -> dict[str, Any]:
    w = works.select("work_id", "publication_year", "cited_by_count").join(labels, on="work_id")
    w = w.with_columns(
        (
            pl.col("cited_by_count")
            >= pl.col("cited_by_count")
            .quantile(0.9, interpolation="higher")
            .over("field_code", "publication_year")
        ).alias("top10")
    )
    a = authorships.select("work_id", "country_code").with_columns(
        (1.0 / pl.len().over("work_id")).alias("frac")
    )
    credit = a.join(w.select("work_id", "field_code", "top10"), on="work_id")
    out: dict[str, Any] = {}
    for f in sorted(w["field_code"].unique().to_list()):
        cf = credit.filter(pl.col("field_code") == f)
        tot = cf.group_by("country_code").agg(pl.col("frac").sum().alias("pubs"))
        top = (
            cf.filter(pl.col("top10"))
            .group_by("country_code")
            .agg(pl.col("frac").sum().alias("top10"))
        )
        t = tot.join(top, on="country_code", how="left").with_columns(
            pl.col("top10").fill_null(0.0)
        )
        t = (
            t.with_columns(
                (pl.col("top10") / pl.col("top10").sum()).alias("top10_share"),
                (pl.col("pubs") / pl.col("pubs").sum()).alias("pub_share"),
            )
            .sort(["top10_share", "country_code"], descending=[True, False])
            .with_row_index("rank", offset=1)
        )
        kr = t.filter(pl.col("country_code") == "KR")
        out[f] = {
            "works": int(w.filter(pl.col("field_code") == f).height),
            "korea_rank_top10": int(kr["rank"][0]) if kr.height else None,
            "korea_top10_share": round(float(kr["top10_share"][0]), 4) if kr.height else 0.0,
            "korea_pub_share": round(float(kr["pub_share"][0]), 4) if kr.height else 0.0,
            "leader": t["country_code"][0],
            "top5": t.head(5)["country_code"].to_list(),
        }
    return out


def degree_mix(researchers: pl.DataFrame, parts: pl.DataFrame) -> dict[str, Any]:
    active = (
        parts.filter(
            (pl.col("start_day") <= day("2022-12-31")) & (pl.col("end_day") >= day("2022-01-01"))
        )
        .select("researcher_id")
        .unique()
    )
    r22 = researchers.join(active, on="researcher_id", how="semi")

    def mix(df: pl.DataFrame) -> dict[str, float]:
        return {
            d: round(c / df.height, 4)
            for d, c in df.group_by("degree").len().sort("degree").iter_rows()
        }

    return {
        "all": mix(researchers),
        "active_2022": mix(r22),
        "active_2022_n": r22.height,
        "seed_2022": {"PHD": round(102131 / 536571, 4), "MASTER": round(150759 / 536571, 4)},
    }
