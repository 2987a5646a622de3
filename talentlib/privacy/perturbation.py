"""The cell-key side of ``disclose`` (the noise itself is ``talentlib.cellkey``'s): each entry's
key, a margin's from its cells, the bound on how far a published count may lie from the truth,
and whether complementary suppression still applies on top."""

from __future__ import annotations

from typing import Any

import polars as pl

from talentlib.privacy.rules import DisclosureRules
from talentlib.privacy.suppression import Extended
from talentlib.privacy.table import TOTAL

# Cell-key tables still get complementary suppression on top of the perturbation (belt and
# braces). Measured with talentlib.audit on the small synthetic release (notebook 03, 12 fields,
# threshold 5, 6,906 count cells): perturbation alone hides 1,154 cells but 160 of them fail,
# because a reader who knows that every hidden cell is under the threshold (1..4) needs little
# more to pin one; with complementary cells on top (the same 2,189 hidden cells as suppression)
# none fails, against 167 (67 exact) for suppression alone. At threshold 10 perturbation alone
# still left 24 failing cells. False only to measure again.
CELL_KEY_COMPLEMENTARY = True


def max_perturbation(rules: DisclosureRules) -> int:
    """The most a published count differs from the true one under ``rules``."""
    if rules.method != "cell_key":
        return 0
    from talentlib import cellkey

    return cellkey.MAX_PERTURBATION


def entry_keys(
    interior: pl.DataFrame, given_rows: pl.DataFrame, ext: Extended, cell_key: str
) -> list[int]:
    """The cell key of every entry of the extended table: the cells' own, then each margin's —
    from its precomputed row when that brings one, else the sum of its cells' keys mod 256."""
    from talentlib import cellkey

    keys = [int(k) for k in interior.get_column(cell_key).to_list()]
    own: dict[tuple[Any, Any], int] = {}
    for rec in given_rows.iter_rows(named=True):
        rk = tuple(rec[d] for d in ext.row_dims)
        ck = rec[ext.cols] if ext.cols else None
        label = (
            None if all(v == TOTAL for v in rk) else rk,
            None if (not ext.cols or ck == TOTAL) else ck,
        )
        own[label] = int(rec[cell_key])
    for lab, cs in zip(ext.labels, ext.contributors, strict=True):
        keys.append(own.get(lab, sum(keys[i] for i in cs) % cellkey.KEY_RANGE))
    return keys
