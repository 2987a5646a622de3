"""Record-level faults that real extracts carry, injected at small planted rates.

Every injected fault is registered (dataset, row key, fault, the contract rule expected to catch
it) so tests can check that the quarantine catches each one under the right rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from .base import hex_ids


def _sample(
    rng: np.random.Generator, candidates: np.ndarray, rate: float, n_rows: int
) -> np.ndarray:
    k = min(int(round(rate * n_rows)), candidates.size)
    if rate > 0 and k == 0 and candidates.size:
        k = 1  # every fault type occurs at least once, even in a tiny dataset
    return rng.choice(candidates, size=k, replace=False) if k else np.array([], dtype=np.int64)


def inject(
    rng: np.random.Generator, params: dict[str, Any], frames: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Return faulty copies of the frames and the fault registry."""
    fr = params["faults"]
    reg: list[dict[str, Any]] = []

    def note(dataset: str, keys: Any, fault: str, rule: str | None) -> None:
        reg.extend(
            {"dataset": dataset, "key": str(k), "fault": fault, "expected_rule": rule} for k in keys
        )

    # employment spells ------------------------------------------------------------------------
    s = frames["employment_spells"].with_row_index("_i")
    n = s.height
    closed = s.filter(
        pl.col("lost_on").is_not_null()
        & ((pl.col("lost_on") - pl.col("acquired_on")).dt.total_days() > 90)
    )["_i"].to_numpy()
    used: set[int] = set()

    def fresh(cands: np.ndarray, rate: float) -> np.ndarray:
        pick = _sample(
            rng, np.setdiff1d(cands, np.fromiter(used, dtype=np.int64, count=len(used))), rate, n
        )
        used.update(pick.tolist())
        return pick

    ebs = fresh(closed, fr["spells_end_before_start"])
    ksic = fresh(s["_i"].to_numpy(), fr["spells_unknown_ksic"])
    negw = fresh(s["_i"].to_numpy(), fr["spells_negative_wage"])
    s = s.with_columns(
        pl.when(pl.col("_i").is_in(ebs))
        .then(pl.col("acquired_on") - pl.duration(days=30))
        .otherwise(pl.col("lost_on"))
        .alias("lost_on"),
        pl.when(pl.col("_i").is_in(ksic))
        .then(pl.lit("00000"))
        .otherwise(pl.col("ksic"))
        .alias("ksic"),
        pl.when(pl.col("_i").is_in(negw))
        .then(-pl.col("wage_monthly"))
        .otherwise(pl.col("wage_monthly"))
        .alias("wage_monthly"),
    )
    note(
        "employment_spells",
        s.filter(pl.col("_i").is_in(ebs))["spell_id"],
        "end_before_start",
        "not_before",
    )
    note(
        "employment_spells",
        s.filter(pl.col("_i").is_in(ksic))["spell_id"],
        "unknown_code",
        "allowed",
    )
    note(
        "employment_spells",
        s.filter(pl.col("_i").is_in(negw))["spell_id"],
        "negative_wage",
        "range",
    )

    ov_src = s.filter(pl.col("_i").is_in(fresh(closed, fr["spells_overlap"])))
    ov = ov_src.with_columns(
        pl.Series("spell_id", hex_ids(rng, ov_src.height)),
        (pl.col("acquired_on") + (pl.col("lost_on") - pl.col("acquired_on")) / 2)
        .dt.truncate("1d")
        .cast(pl.Date)
        .alias("acquired_on"),
    )
    note("employment_spells", ov["spell_id"], "overlapping_spell", "overlap")
    dup = s.filter(pl.col("_i").is_in(fresh(s["_i"].to_numpy(), fr["spells_duplicate_row"])))
    note("employment_spells", dup["spell_id"], "duplicate_row", "duplicate_row")
    orph_src = s.filter(pl.col("_i").is_in(fresh(s["_i"].to_numpy(), fr["spells_orphan"])))
    orph = orph_src.with_columns(
        pl.Series("spell_id", hex_ids(rng, orph_src.height)),
        pl.Series("ei_person_id", hex_ids(rng, orph_src.height)),
    )
    note("employment_spells", orph["spell_id"], "orphan_spell", None)
    spells = pl.concat([s, ov, dup, orph]).drop("_i")
    order = rng.permutation(spells.height)
    frames["employment_spells"] = spells[order]

    # participations ---------------------------------------------------------------------------
    p = frames["participations"].with_row_index("_i")
    n = p.height
    used.clear()
    idx = p["_i"].to_numpy()
    unk = fresh(idx, fr["participations_unknown_tech"])
    ebs = fresh(idx, fr["participations_end_before_start"])
    mis = fresh(idx, fr["participations_tech_field_mismatch"])
    p = p.with_columns(
        pl.when(pl.col("_i").is_in(unk))
        .then(pl.col("field_code") + "-99")
        .otherwise(pl.col("tech_code"))
        .alias("tech_code"),
        pl.when(pl.col("_i").is_in(ebs))
        .then(pl.col("end_date"))
        .otherwise(pl.col("start_date"))
        .alias("start_date"),
        pl.when(pl.col("_i").is_in(ebs))
        .then(pl.col("start_date"))
        .otherwise(pl.col("end_date"))
        .alias("end_date"),
    )
    # a mismatch: the field says one thing, the technology code belongs to another field
    p = p.with_columns(
        pl.when(pl.col("_i").is_in(mis))
        .then(pl.when(pl.col("field_code") == "AI").then(pl.lit("BIO")).otherwise(pl.lit("AI")))
        .otherwise(pl.col("field_code"))
        .alias("field_code")
    )
    # swapped dates only fail when the participation lasted at least a day
    ebs_real = p.filter(pl.col("_i").is_in(ebs) & (pl.col("end_date") < pl.col("start_date")))
    note(
        "participations",
        p.filter(pl.col("_i").is_in(unk))["participation_id"],
        "unknown_code",
        "allowed",
    )
    note("participations", ebs_real["participation_id"], "end_before_start", "not_before")
    note(
        "participations",
        p.filter(pl.col("_i").is_in(mis))["participation_id"],
        "tech_field_mismatch",
        "prefix_of",
    )
    dup = p.filter(pl.col("_i").is_in(fresh(idx, fr["participations_duplicate_row"])))
    note("participations", dup["participation_id"], "duplicate_row", "duplicate_row")
    parts = pl.concat([p, dup]).drop("_i")
    frames["participations"] = parts[rng.permutation(parts.height)]

    # researchers ------------------------------------------------------------------------------
    r = frames["researchers"].with_row_index("_i")
    bad = _sample(rng, r["_i"].to_numpy(), fr["researchers_bad_birth_year"], r.height)
    r = r.with_columns(
        pl.when(pl.col("_i").is_in(bad))
        .then(pl.lit(2031))
        .otherwise(pl.col("birth_year"))
        .alias("birth_year")
    )
    note(
        "researchers",
        r.filter(pl.col("_i").is_in(bad))["researcher_id"],
        "implausible_birth_year",
        "range",
    )
    frames["researchers"] = r.drop("_i")

    # key table ---------------------------------------------------------------------------------
    k = frames["key_table"].with_row_index("_i")
    conf = k.filter(
        pl.col("_i").is_in(_sample(rng, k["_i"].to_numpy(), fr["key_conflicting"], k.height))
    )
    conf_extra = conf.with_columns(pl.Series("ei_person_id", hex_ids(rng, conf.height)))
    note("key_table", conf["researcher_id"], "conflicting_key", "unique")
    n_orph = max(1, int(round(fr["key_orphan"] * k.height)))
    orph = pl.DataFrame(
        {"researcher_id": hex_ids(rng, n_orph), "ei_person_id": hex_ids(rng, n_orph)}
    )
    note("key_table", orph["researcher_id"], "orphan_key", "foreign_key")
    keys = pl.concat([k.drop("_i"), conf_extra.drop("_i"), orph])
    frames["key_table"] = keys[rng.permutation(keys.height)]

    registry = pl.DataFrame(
        reg,
        schema={
            "dataset": pl.String,
            "key": pl.String,
            "fault": pl.String,
            "expected_rule": pl.String,
        },
    )
    return frames, registry
