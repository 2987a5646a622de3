"""Pseudonymized quasi-identifiers on both sides of the linkage, for the probabilistic fallback.

When data arrive without the combination agency's key table, researchers and insured persons
can only be linked on quasi-identifiers (QI): birth year, sex, region and keyed hashes of the
surname, the given name and the birth month-day. This generator part writes

* ``qi_researchers.parquet`` — one row per researcher (researcher_id + QI columns);
* ``qi_ei_persons.parquet`` — every researcher with real employment-insurance spells under their
  ``ei_person_id`` plus ~3x as many non-researcher insured people (distractors) drawn from the
  same distributions, so that common surnames and birth years collide as they do in real data;
* ``truth/qi_pairs.parquet`` — the true researcher_id ↔ ei_person_id pairs;

and returns the counts and the planted and realised noise rates for ``truth.json``.

No name is ever generated or stored: surname and given-name tokens are HMAC-SHA256 digests of
an *index* into a frequency table (surname shares follow the Korean census ranking, given names
a Zipf-like pool), and the birth month-day token is the digest of ``MMDD``. The HMAC key is drawn
from the generator's random stream, so tokens are deterministic per seed and unlinkable to any
real pseudonymization key.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..contracts import load_contract
from .base import hex_ids

QI_COLUMNS = ("birth_year", "sex", "region", "surname_token", "given_token", "birth_md_token")
TOKEN_COLUMNS = ("surname_token", "given_token", "birth_md_token")

# Defaults; a ``quasi_identifiers`` block in params.yaml overrides any key (merged one level deep).
DEFAULTS: dict[str, Any] = {
    # Shares of the 30 most frequent Korean surnames by rank (Statistics Korea, 2015 census:
    # rank 1 21.5 %, 2 14.7 %, 3 8.4 %, 4 4.7 %, 5 4.3 %, ...). Only ranks and shares are kept:
    # the surnames themselves never appear in code or data.
    "surname_top_shares": [
        0.215,
        0.147,
        0.084,
        0.047,
        0.043,
        0.023,
        0.021,
        0.021,
        0.020,
        0.017,
        0.015,
        0.015,
        0.015,
        0.015,
        0.014,
        0.014,
        0.014,
        0.013,
        0.011,
        0.011,
        0.011,
        0.009,
        0.009,
        0.009,
        0.009,
        0.008,
        0.008,
        0.007,
        0.006,
        0.006,
    ],  # fmt: skip
    "n_surnames": 280,  # the rest of the mass is a power-law tail over ranks 31..n_surnames
    "surname_tail_exponent": 1.8,
    "n_given_names": 4000,  # given names: Zipf-like pool, share of rank k ∝ k^-exponent
    "given_zipf_exponent": 0.5,  # top given name ~0.8 %, as for the most common Korean names
    "distractor_ratio": 3.0,  # non-researcher insured people per insured researcher
    "noise": {  # between a researcher's two records (the EI side carries the discrepancy)
        "birth_year_off_by_one": 0.01,
        "region_moved": 0.20,
        "given_token_differs": 0.02,  # typo or another romanisation: an unseen token
        "missing": 0.025,  # per QI column and per side, independently; sex is never wrong
    },
    "token_hex_chars": 16,
}


def qi_params(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The QI generator's parameters: DEFAULTS overridden by ``params["quasi_identifiers"]``."""
    out = copy.deepcopy(DEFAULTS)
    for k, v in ((params or {}).get("quasi_identifiers") or {}).items():
        out[k] = {**out[k], **v} if isinstance(out.get(k), dict) else v
    return out


def surname_shares(q: dict[str, Any]) -> np.ndarray:
    """Probability of each surname rank: the census head, then a power-law tail to n_surnames."""
    head = np.asarray(q["surname_top_shares"], dtype=float)
    ranks = np.arange(head.size + 1, int(q["n_surnames"]) + 1, dtype=float)
    tail = ranks ** -float(q["surname_tail_exponent"])
    tail *= max(0.0, 1.0 - head.sum()) / tail.sum()
    p = np.concatenate([head, tail])
    return p / p.sum()


def given_shares(q: dict[str, Any]) -> np.ndarray:
    """Probability of each given-name rank in a Zipf-like pool."""
    w = np.arange(1, int(q["n_given_names"]) + 1, dtype=float) ** -float(q["given_zipf_exponent"])
    return w / w.sum()


def _tokens(key: bytes, domain: str, labels: np.ndarray | list[Any], n_hex: int) -> np.ndarray:
    """HMAC-SHA256(key, domain \\x1f label) as lowercase hex, one per label."""
    return np.array(
        [
            hmac.new(key, f"{domain}\x1f{lab}".encode(), hashlib.sha256).hexdigest()[:n_hex]
            for lab in labels
        ],
        dtype=f"U{n_hex}",
    )


_MMDD = np.array(
    [f"{m:02d}{d:02d}" for m, days in enumerate((31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 1)
     for d in range(1, days + 1)]
)  # fmt: skip
_NON_LEAP = np.array([s != "0229" for s in _MMDD])


def _birth_md_index(rng: np.random.Generator, birth_year: np.ndarray) -> np.ndarray:
    """Index into _MMDD of a uniformly drawn day of each birth year (29 Feb in leap years only)."""
    by = np.where(birth_year > 0, birth_year, 1981)  # unknown year: an ordinary one
    leap = (by % 4 == 0) & ((by % 100 != 0) | (by % 400 == 0))
    non_leap_idx = np.flatnonzero(_NON_LEAP)
    day = (rng.random(by.size) * np.where(leap, 366, 365)).astype(np.int64)
    return np.where(leap, day, non_leap_idx[np.minimum(day, 364)])


def _other_region(
    rng: np.random.Generator, current: np.ndarray, regions: np.ndarray, p: np.ndarray
) -> np.ndarray:
    """A region different from ``current``, drawn from the regional distribution."""
    out = regions[rng.choice(regions.size, size=current.size, p=p)]
    for _ in range(100):
        same = out == current
        if not same.any():
            break
        out[same] = regions[rng.choice(regions.size, size=int(same.sum()), p=p)]
    return out


def _with_missing(
    rng: np.random.Generator, df: pl.DataFrame, rate: float
) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """Blank each QI value independently with probability ``rate``; returns the masks too."""
    masks = {c: rng.random(df.height) < rate for c in QI_COLUMNS}
    out = df.with_columns(
        pl.when(pl.Series(masks[c])).then(None).otherwise(pl.col(c)).alias(c) for c in QI_COLUMNS
    )
    return out, masks


def generate_quasi_identifiers(
    rng: np.random.Generator, params: dict[str, Any], out: Path
) -> dict[str, Any]:
    """Generator part ``quasi_identifiers``: write both QI tables and the true pairs (see module).

    Reads ``researchers.parquet`` (birth year, sex, region as published) and
    ``truth/persons.parquet`` (ei_person_id, ei_status) that ``synth.generate`` wrote before.
    """
    q = qi_params(params)
    noise = q["noise"]
    n_hex = int(q["token_hex_chars"])
    key = rng.bytes(32)  # synthetic HMAC key: deterministic per seed, never a real key
    out = Path(out)

    persons = pl.read_parquet(
        out / "truth" / "persons.parquet", columns=["researcher_id", "ei_person_id", "ei_status"]
    )
    published = pl.read_parquet(
        out / "researchers.parquet", columns=["researcher_id", "birth_year", "sex", "region"]
    ).unique("researcher_id", keep="first", maintain_order=True)
    by_col = load_contract("qi_researchers").column("birth_year")
    res = persons.join(published, on="researcher_id", how="left", maintain_order="left")
    res = res.with_columns(  # an implausible published year (a planted fault) is unknown here
        pl.when(pl.col("birth_year").is_between(by_col.min, by_col.max))
        .then(pl.col("birth_year"))
        .alias("birth_year")
    )
    n = res.height

    # Pools of tokens, each computed from an index (or MMDD), never from a name.
    p_surname, p_given = surname_shares(q), given_shares(q)
    surname_pool = _tokens(key, "surname", range(p_surname.size), n_hex)
    given_pool = _tokens(key, "given", range(p_given.size), n_hex)
    md_pool = _tokens(key, "birth_md", _MMDD, n_hex)

    def draw_tokens(birth_year: np.ndarray) -> dict[str, np.ndarray]:
        k = birth_year.size
        return {
            "surname_token": surname_pool[rng.choice(p_surname.size, size=k, p=p_surname)],
            "given_token": given_pool[rng.choice(p_given.size, size=k, p=p_given)],
            "birth_md_token": md_pool[_birth_md_index(rng, birth_year)],
        }

    by = res["birth_year"].fill_null(0).to_numpy()
    latent = res.select("researcher_id", "ei_person_id", "birth_year", "sex", "region")
    latent = latent.with_columns(pl.Series(c, v) for c, v in draw_tokens(by).items())
    left, left_missing = _with_missing(rng, latent, float(noise["missing"]))
    qi_researchers = left.select("researcher_id", *QI_COLUMNS)

    # EI side, researchers with real spells: the same person, seen through another registry.
    observed = (res["ei_status"] == "observed").to_numpy()
    pairs = latent.filter(pl.Series(observed))
    m = pairs.height
    regions_seen = res["region"].drop_nulls()
    reg_counts = regions_seen.value_counts(sort=True, name="n").sort(["n", "region"])
    regions = reg_counts["region"].to_numpy().astype(str)
    p_region = reg_counts["n"].to_numpy() / reg_counts["n"].sum()
    off = rng.random(m) < float(noise["birth_year_off_by_one"])
    step = np.where(rng.random(m) < 0.5, -1, 1)
    year = pairs["birth_year"].fill_null(0).to_numpy()
    step = np.where(year >= by_col.max, -1, np.where(year <= by_col.min, 1, step))  # stay valid
    moved = rng.random(m) < float(noise["region_moved"])
    region_r = pairs["region"].to_numpy().astype(object)
    has_region = np.array([r is not None for r in region_r])
    moved &= has_region
    region_r[moved] = _other_region(rng, region_r[moved].astype(str), regions, p_region)
    variant = rng.random(m) < float(noise["given_token_differs"])
    variant_tokens = _tokens(key, "given_variant", range(int(variant.sum())), n_hex)
    given_r = pairs["given_token"].to_numpy().copy()
    given_r[variant] = variant_tokens
    ei_true = pairs.select(
        "ei_person_id",
        pl.col("birth_year") + pl.when(pl.Series(off)).then(pl.Series(step)).otherwise(0),
        "sex",
        pl.Series("region", region_r, dtype=pl.String),
        "surname_token",
        pl.Series("given_token", given_r, dtype=pl.String),
        "birth_md_token",
    )

    # Distractors: insured people who are not researchers, from the same distributions.
    k = int(round(float(q["distractor_ratio"]) * m))
    ids = pl.Series(hex_ids(rng, k + k // 50 + 16), dtype=pl.String)
    ids = ids.filter(~ids.is_in(persons["ei_person_id"].implode())).head(k).to_numpy()
    years = res["birth_year"].drop_nulls().to_numpy()
    sexes = res["sex"].drop_nulls().to_numpy().astype(str)
    d_year = years[rng.integers(0, years.size, size=k)]
    distractors = pl.DataFrame(
        {
            "ei_person_id": ids,
            "birth_year": d_year,
            "sex": sexes[rng.integers(0, sexes.size, size=k)],
            "region": regions[rng.choice(regions.size, size=k, p=p_region)],
            **draw_tokens(d_year),
        },
        schema_overrides={"birth_year": pl.Int64},
    )
    right = pl.concat([ei_true, distractors.select(ei_true.columns)], how="vertical_relaxed")
    right, right_missing = _with_missing(rng, right, float(noise["missing"]))
    qi_ei = right[rng.permutation(right.height)]

    true_pairs = pairs.select("researcher_id", "ei_person_id")
    for path, df in (
        (out / "qi_researchers.parquet", qi_researchers),
        (out / "qi_ei_persons.parquet", qi_ei),
        (out / "truth" / "qi_pairs.parquet", true_pairs),
    ):
        tmp = path.with_suffix(".parquet.tmp")
        df.write_parquet(tmp, compression="zstd")
        tmp.replace(path)

    # Realised discrepancies among the true pairs (what a linker has to overcome).
    l_miss = {c: left_missing[c][observed] for c in QI_COLUMNS}
    r_miss = {c: right_missing[c][:m] for c in QI_COLUMNS}
    year_known = pairs["birth_year"].is_not_null().to_numpy()  # shifting an unknown year: no-op
    any_missing = np.zeros(m, dtype=bool)
    for c in QI_COLUMNS:
        any_missing |= l_miss[c] | r_miss[c]
    return {
        "files": {
            "researchers": "qi_researchers.parquet",
            "ei_persons": "qi_ei_persons.parquet",
            "true_pairs": "truth/qi_pairs.parquet",
        },
        "researchers": n,
        "ei_persons": qi_ei.height,
        "true_pairs": m,
        "distractors": k,
        "researchers_without_ei_record": n - m,
        "planted": {
            "noise": noise,
            "distractor_ratio": q["distractor_ratio"],
            "n_surnames": int(p_surname.size),
            "n_given_names": int(p_given.size),
            "top_surname_share": float(p_surname[0]),
            "top_given_share": float(p_given[0]),
        },
        "realised_in_true_pairs": {
            "birth_year_off_by_one": round(float((off & year_known).mean()), 4) if m else 0.0,
            "region_moved": round(float(moved.mean()), 4) if m else 0.0,
            "given_token_differs": round(float(variant.mean()), 4) if m else 0.0,
            "any_value_missing": round(float(any_missing.mean()), 4) if m else 0.0,
            "missing": {
                c: round(float((l_miss[c] | r_miss[c]).mean()), 4) if m else 0.0 for c in QI_COLUMNS
            },
        },
    }
