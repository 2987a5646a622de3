"""Cell-key perturbation of counts, as the ABS TableBuilder and the ONS (Census 2021) publish.

Every record (person) gets a fixed random **record key** in 0..255, derived from its
pseudonymous id and a release salt. A cell's **cell key** is the sum of its records' keys
modulo 256, so the same set of people has the same cell key in every table of a release — and
therefore the same perturbation. Differencing two tables that share a cell gives nothing back,
and a total is perturbed on its own key (it is not the sum of the perturbed cells).

The perturbation of a count ``v`` comes from the **p-table**: a row per small value, one per
value ``≥ v_cap`` thereafter, each a distribution over ``{-D..+D}`` (``D = 2``) laid out on the
256 key positions. Properties (tested):

* zero mean for every ``v ≥ t + D`` (``t`` is the publication threshold); variance 1.2;
* ``v + d ≥ t`` for every published ``v ≥ t``: no published count lies in ``1..t-1``, so a
  reader never sees a small count; for ``t ≤ v < t + D`` the mean shift is at most +0.5 (the
  price of never publishing small counts; documented in every brief);
* ``d = 0`` for ``v = 0`` (zeros stay zeros; whether a zero may be published is the threshold
  rule's business, not this module's).

Counts below the threshold are still suppressed (the threshold rule on the true value), and
``privacy.disclose`` keeps complementary suppression on top: perturbation alone left a reader who
knows that every hidden count is 1..t-1 able to pin some of them (measured with
``talentlib.audit``; see ``privacy.CELL_KEY_COMPLEMENTARY``). What the noise adds is that
differencing across the many tables of a release no longer gives hidden cells back exactly. A
published perturbed count ``p`` tells a reader the true count lies in ``[max(t, p - D), p + D]``;
an attacker combining tables gains only sums of independent noise.

The salt is a secret of the installation (``release_salt``: ``$TALENTLIB_CELL_KEY_SALT``, else a
random one made once in ``~/.config/talentlib/cell_key_salt``), never a published value: whoever
knows it and the pseudonymous ids could compute every record key and take the noise off. The
same salt gives the same noise in every run, so two releases of the same data are identical and
averaging them gains nothing. Briefs and manifests show only ``salt_id``, a short fingerprint
that tells a checker whether two releases share their keys.

Every table that counts people is built with ``count_people`` (distinct people per cell and the
cell's key), so the same people have the same key, and the same published value, everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

import polars as pl

__all__ = [
    "KEY_RANGE",
    "MAX_PERTURBATION",
    "cell_keys",
    "count_people",
    "key_column",
    "perturbation",
    "ptable",
    "record_keys",
    "release_salt",
    "salt_id",
    "with_record_keys",
]

KEY_RANGE = 256
MAX_PERTURBATION = 2
_CORE = {-2: 0.1, -1: 0.2, 0: 0.4, 1: 0.2, 2: 0.1}  # zero mean, variance 1.2
# the rows for v = t and v = t + 1: no step below t, mean shift +0.5 and +0.2
_NEAR = ({0: 0.6, 1: 0.3, 2: 0.1}, {-1: 0.25, 0: 0.4, 1: 0.25, 2: 0.1})


SALT_FILE = "cell_key_salt"


@lru_cache(maxsize=8)
def _salt_from(env: str | None, folder: str) -> str:
    if env:
        return env
    import os
    import secrets
    from pathlib import Path

    path = Path(folder) / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two workers starting at once make one salt, not two
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(16) + "\n")
    salt = path.read_text(encoding="utf-8").strip()
    if len(salt) < 16:
        raise ValueError(
            f"{path}: the cell-key salt must be at least 16 characters (delete the file to make "
            "a new one: every later release then gets new noise)"
        )
    return salt


def release_salt() -> str:
    """The installation's secret salt for record keys: ``$TALENTLIB_CELL_KEY_SALT``, else the one
    in ``~/.config/talentlib/cell_key_salt`` (``$TALENTLIB_CONFIG``), made once with a random
    value (mode 600) and reused by every later run, so the same data always gets the same
    noise."""
    from talentlib import config

    return _salt_from(config.get("TALENTLIB_CELL_KEY_SALT"), str(config.config_dir()))


def salt_id(salt: str) -> str:
    """A short public fingerprint of a salt: equal for releases that share their record keys,
    useless for computing them."""
    return hashlib.sha256(f"talentlib-salt-id\x1f{salt}".encode()).hexdigest()[:12]


def record_keys(ids: pl.Series | Iterable[str], salt: str) -> pl.Series:
    """A fixed key in 0..255 per record from its pseudonymous id and the release salt (the
    same person gets the same key in every table of a release; without the salt nobody can
    compute it)."""
    s = ids if isinstance(ids, pl.Series) else pl.Series(list(ids), dtype=pl.String)
    uniq = s.cast(pl.String).unique()
    prefix = f"talentlib-cellkey\x1f{salt}\x1f".encode()
    keys = [hashlib.sha256(prefix + (u or "").encode()).digest()[0] for u in uniq.to_list()]
    table = pl.DataFrame({"id": uniq, "key": pl.Series(keys, dtype=pl.UInt8)})
    return (
        pl.DataFrame({"id": s.cast(pl.String)})
        .join(table, on="id", how="left", maintain_order="left")
        .get_column("key")
        .alias("record_key")
    )


def cell_keys(
    df: pl.DataFrame | pl.LazyFrame,
    by: Sequence[str],
    *,
    key: str = "record_key",
    count: str = "people",
) -> pl.DataFrame | pl.LazyFrame:
    """Count records per cell of ``by`` with each cell's key (sum of record keys mod 256); a
    lazy frame gives a lazy plan."""
    return df.group_by(list(by), maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias(count),
        (pl.col(key).cast(pl.Int64).sum() % KEY_RANGE).cast(pl.Int64).alias("cell_key"),
    )


def key_column(salt: str) -> str:
    """The column ``with_record_keys`` adds for ``salt``: named after the salt's fingerprint, so
    that a frame keyed under another salt is never counted with its keys."""
    return f"_record_key_{salt_id(salt)}"


def with_record_keys(df: pl.DataFrame, ids: str, salt: str) -> pl.DataFrame:
    """``df`` with each row's record key (``key_column(salt)``): a frame that many tables count
    (a cohort) is keyed once, and ``count_people`` on it, or on any frame made from it that
    keeps the column, reads the keys instead of hashing every id again."""
    return df.with_columns(record_keys(df.get_column(ids), salt).alias(key_column(salt)))


def count_people(
    df: pl.DataFrame | pl.LazyFrame,
    by: Sequence[str],
    *,
    ids: str,
    salt: str,
    count: str = "people",
) -> pl.DataFrame:
    """Distinct people (``ids``) per cell of ``by``, with each cell's key: the one way every
    table that counts people is built, so the same people give the same cell key — and so the
    same published value — in every table and every brief of a release.

    A row of ``df`` is a (person, cell) pair; a person listed twice in one cell counts once.
    Cells come sorted by ``by`` (nulls last), never in the order a group_by emitted them. The
    record keys come from ``df``'s ``key_column(salt)`` when it has one (``with_record_keys``),
    else from hashing the ids.
    """
    by = list(by)
    lf = df.lazy()
    kc = key_column(salt)
    if kc in lf.collect_schema().names():
        # one plan: the distinct people of each cell, then the cells
        keyed = lf.select(*by, ids, kc).unique(subset=[*by, ids]).rename({kc: "record_key"})
    else:
        people = lf.select(*by, ids).unique().collect()
        keyed = people.with_columns(record_keys(people.get_column(ids), salt)).lazy()
    if not by:
        return keyed.select(
            pl.len().cast(pl.Int64).alias(count),
            (pl.col("record_key").cast(pl.Int64).sum() % KEY_RANGE).alias("cell_key"),
        ).collect()
    return cell_keys(keyed, by, count=count).sort(by, nulls_last=True).collect()


def _layout(dist: dict[int, float]) -> tuple[int, ...]:
    """The 256 key positions of a distribution: each perturbation gets round(p·256) slots."""
    slots: list[int] = []
    items = sorted(dist.items())
    for i, (d, p) in enumerate(items):
        n = round(p * KEY_RANGE) if i < len(items) - 1 else KEY_RANGE - len(slots)
        slots += [d] * n
    return tuple(slots[:KEY_RANGE])


@lru_cache(maxsize=64)
def ptable(threshold: int) -> dict[int, tuple[int, ...]]:
    """The p-table for a threshold: value → its 256 perturbations; the last row (key
    ``threshold + MAX_PERTURBATION``) serves every larger value."""
    t, D = int(threshold), MAX_PERTURBATION
    rows: dict[int, tuple[int, ...]] = {0: (0,) * KEY_RANGE}
    for v in range(1, t):  # below the threshold: suppressed, never published; no perturbation
        rows[v] = (0,) * KEY_RANGE
    for v, dist in zip(range(t, t + D), _NEAR, strict=True):  # never pushed below t
        rows[v] = _layout(dist)
    rows[t + D] = _layout(_CORE)
    return rows


def published_counts(counts: pl.Expr | str, keys: pl.Expr | str, threshold: int) -> pl.Expr:
    """The counts as ``privacy.disclose`` publishes them under cell_key (value + perturbation
    from the cell key), as an expression: a ratio of counts a table also publishes (a share,
    a Jaccard index) must be computed from these, or it gives the true count — and so the
    noise — back."""
    c = pl.col(counts) if isinstance(counts, str) else counts
    k = pl.col(keys) if isinstance(keys, str) else keys
    t = int(threshold)
    return pl.struct(c.alias("v"), k.alias("k")).map_batches(
        lambda s: pl.Series(
            [
                None if v is None else v + d
                for v, d in zip(
                    s.struct.field("v").to_list(),
                    perturbation(
                        [v or 0 for v in s.struct.field("v").to_list()],
                        [k or 0 for k in s.struct.field("k").to_list()],
                        t,
                    ),
                    strict=True,
                )
            ],
            dtype=pl.Int64,
        ),
        return_dtype=pl.Int64,
    )


def perturbation(values: Sequence[int], keys: Sequence[int], threshold: int) -> list[int]:
    """The perturbation of each count from its cell key (0 for counts below the threshold)."""
    pt = ptable(threshold)
    cap = int(threshold) + MAX_PERTURBATION
    return [pt[min(int(v), cap)][int(k) % KEY_RANGE] for v, k in zip(values, keys, strict=True)]
