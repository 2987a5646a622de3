"""Shared pieces of the generator: parameters, random ids, day arithmetic."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

PARAMS_PATH = Path(__file__).with_name("params.yaml")
EPOCH = np.datetime64("1970-01-01", "D")


@lru_cache(maxsize=1)
def default_params() -> dict[str, Any]:
    with open(PARAMS_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def day(s: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int((np.datetime64(s, "D") - EPOCH).astype(np.int64))


def to_date(days: np.ndarray) -> pl.Series:
    """int days since epoch → polars Date (nulls where days is the sentinel -1<<40)."""
    arr = np.asarray(days, dtype=np.int64)
    s = pl.Series(arr)
    return s.set(s == NO_DATE, None).cast(pl.Int32).cast(pl.Date)


NO_DATE = -(1 << 40)


def year_of(days: np.ndarray) -> np.ndarray:
    return (EPOCH + np.asarray(days, dtype="timedelta64[D]")).astype("datetime64[Y]").astype(
        np.int64
    ) + 1970


def month_of(days: np.ndarray) -> np.ndarray:
    m = (EPOCH + np.asarray(days, dtype="timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
    return m % 12 + 1


def hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct random 16-character lowercase-hex ids (pseudonym-like), as a numpy str array."""
    vals = np.unique(rng.integers(0, 2**63 - 1, size=n + n // 100 + 8, dtype=np.int64))
    while vals.size < n:  # astronomically rare; keep ids distinct anyway
        more = rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)
        vals = np.unique(np.concatenate([vals, more]))
    vals = rng.permutation(vals)[:n]
    raw = vals.astype(">u8").tobytes().hex()
    return np.frombuffer(raw.encode("ascii"), dtype="S16").astype("U16")


def choice(
    rng: np.random.Generator, options: list[Any], probs: np.ndarray, size: int
) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return np.asarray(options)[rng.choice(len(options), size=size, p=p / p.sum())]


def choice_rows(rng: np.random.Generator, prob_matrix: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix (rows need not be normalised)."""
    p = prob_matrix / prob_matrix.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), p.shape[1] - 1)


def weighted_map(weights: dict[str, float], keys: list[str], default: float = 0.0) -> np.ndarray:
    return np.array([float(weights.get(k, default)) for k in keys])


def index_of(values: np.ndarray, options: list[str]) -> np.ndarray:
    """Position of each value in options (every value must be one of them)."""
    opts = np.asarray(options)
    order = np.argsort(opts)
    pos = np.searchsorted(opts[order], np.asarray(values))
    return order[np.minimum(pos, opts.size - 1)]
