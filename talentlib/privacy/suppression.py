"""Complementary suppression: the extended table (cells, margins and the additive lines between
them), the threshold cells another table hides, and the cells hidden besides so that no line of
the table gives a hidden count back by subtraction."""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import polars as pl

from talentlib.privacy.table import TOTAL


@dataclass
class Extended:
    """The extended table: interior cells first, then margins; each line lists its margin last."""

    row_dims: list[str]
    cols: str | None
    n_cells: int
    values: list[int]
    labels: list[tuple[Any, Any]]  # per margin: (row key or None, col key or None); None = TOTAL
    contributors: list[list[int]]  # per margin: the interior cells it sums
    lines: list[list[int]]
    margin_of: list[int]
    cell_rc: list[tuple[int, int]] | None = None  # 2-D tables: (row, col) position of each cell

    @property
    def n_entries(self) -> int:
        return len(self.values)

    def index(self) -> dict[tuple[Any, Any], int]:
        return {lab: self.n_cells + j for j, lab in enumerate(self.labels)}


def extend(interior: pl.DataFrame, count: str, row_dims: list[str], cols: str | None) -> Extended:
    """Index the cells of a 1-D or 2-D table and add its margins and additive lines."""
    row_keys: dict[tuple, int] = {}
    col_keys: dict[Any, int] = {}
    cell_row = [
        row_keys.setdefault(k, len(row_keys)) for k in interior.select(row_dims).iter_rows()
    ]
    cell_col = (
        [col_keys.setdefault(k, len(col_keys)) for k in interior.get_column(cols).to_list()]
        if cols
        else []
    )
    n = interior.height
    labels: list[tuple[Any, Any]] = []
    contributors: list[list[int]] = []
    lines: list[list[int]] = []
    margin_of: list[int] = []
    if not cols:
        labels.append((None, None))
        contributors.append(list(range(n)))
        lines.append([*range(n), n])
        margin_of.append(n)
    else:
        rt0, ct0 = n, n + len(row_keys)
        grand = ct0 + len(col_keys)
        by_row: list[list[int]] = [[] for _ in row_keys]
        by_col: list[list[int]] = [[] for _ in col_keys]
        for i, (r, c) in enumerate(zip(cell_row, cell_col, strict=True)):
            by_row[r].append(i)
            by_col[c].append(i)
        for rk, r in row_keys.items():
            labels.append((rk, None))
            contributors.append(by_row[r])
            lines.append([*by_row[r], rt0 + r])
            margin_of.append(rt0 + r)
        for ck, c in col_keys.items():
            labels.append((None, ck))
            contributors.append(by_col[c])
            lines.append([*by_col[c], ct0 + c])
            margin_of.append(ct0 + c)
        labels.append((None, None))
        contributors.append(list(range(n)))
        lines.append([*range(ct0, grand), grand])  # the totals row
        margin_of.append(grand)
        lines.append([*range(rt0, ct0), grand])  # the totals column
        margin_of.append(grand)
    counts = [int(x) for x in interior.get_column(count).to_list()]
    values = counts + [sum(counts[i] for i in cs) for cs in contributors]
    rc = list(zip(cell_row, cell_col, strict=True)) if cols else None
    return Extended(row_dims, cols, n, values, labels, contributors, lines, margin_of, rc)


def real_totals(ext: Extended, partition: bool | str) -> Extended:
    """``ext`` with only the additive lines whose margin is a real total (see ``disclose``'s
    ``partition``); the rectangle step needs both directions, so it goes with any restriction."""
    if partition is True:
        return ext
    keep = [
        li
        for li, m in enumerate(ext.margin_of)
        if partition == "rows"
        and ext.labels[m - ext.n_cells][0] is not None
        and ext.labels[m - ext.n_cells][1] is None
    ]
    return dataclasses.replace(
        ext,
        lines=[ext.lines[li] for li in keep],
        margin_of=[ext.margin_of[li] for li in keep],
        cell_rc=None,
    )


# Cell-key tables still get complementary suppression on top of the perturbation (belt and
# braces). Measured with talentlib.audit on the small synthetic release (notebook 03, 12 fields,
# threshold 5, 6,906 count cells): perturbation alone hides 1,154 cells but 160 of them fail,
# because a reader who knows that every hidden cell is under the threshold (1..4) needs little


def given_margins(rows: pl.DataFrame, ext: Extended, count: str) -> dict[int, dict[str, Any]]:
    """Locate precomputed margin rows (TOTAL in dimensions) and check their counts."""
    index = ext.index()
    given: dict[int, dict[str, Any]] = {}
    for rec in rows.iter_rows(named=True):
        rk = tuple(rec[d] for d in ext.row_dims)
        row_total = all(v == TOTAL for v in rk)
        if not row_total and any(v == TOTAL for v in rk):
            raise ValueError(f"disclose: partial {TOTAL!r} over row dimensions {ext.row_dims}")
        ck = rec[ext.cols] if ext.cols else None
        label = (None if row_total else rk, None if (not ext.cols or ck == TOTAL) else ck)
        if label not in index:
            raise ValueError(f"disclose: margin row {rec!r} matches no row or column of the table")
        e = index[label]
        if int(rec[count]) != ext.values[e]:
            raise ValueError(
                f"disclose: column {count!r}: margin row {label} does not equal the sum of "
                "its cells"
            )
        given[e] = rec
    return given


def hidden_entries(
    hide: pl.DataFrame | None, labels: list[dict[str, str]], dims: list[str]
) -> list[int]:
    """Positions in the extended table of the cells ``hide`` names (TOTAL: a margin)."""
    if hide is None or not hide.height:
        return []
    missing = [d for d in dims if d not in hide.columns]
    if missing:
        raise ValueError(f"disclose: hide lacks dimension column(s) {', '.join(missing)}")
    at = {tuple(lab[d] for d in dims): e for e, lab in enumerate(labels)}
    found = (at.get(tuple(str(v) for v in rec)) for rec in hide.select(dims).iter_rows())
    return sorted({e for e in found if e is not None})


def protect_lines(
    values: list[float],
    suppressed: list[bool],
    lines: list[list[int]],
    margin_of: list[int],
    min_sum: float | None,
) -> list[int]:
    """Greedy complementary suppression over additive lines; updates ``suppressed`` in place.

    Each line is a set of cells plus its margin (margin = sum of cells). A line is fixed when it
    has exactly one suppressed entry (recoverable by subtraction) or, with ``min_sum``, when its
    margin is published and its suppressed cells add up to 0 < s < min_sum (that sum is itself a
    published small count), or when they hide a small count but add up to less than
    ``protection_interval(min_sum) + k`` for k hidden cells (each is at least 1, so one of them
    would lie in an interval narrower than the protection interval). The fix suppresses the
    smallest nonzero published entry of the line, preferring one that also completes a crossing
    line, and repeats to a fixed point. A heuristic: it guarantees the line condition, not a minimal or LP-safe pattern (a cell can
    still be bounded by combining several lines). Returns the entries it added.
    """
    entry_lines: list[list[int]] = [[] for _ in values]
    for li, line in enumerate(lines):
        for e in line:
            entry_lines[e].append(li)
    n_supp = [sum(suppressed[e] for e in line) for line in lines]
    queue = deque(range(len(lines)))
    queued = [True] * len(lines)
    added: list[int] = []

    def offending(li: int) -> bool:
        if n_supp[li] == 1:
            return True
        m = margin_of[li]
        if min_sum is None or n_supp[li] == 0 or suppressed[m]:
            return False
        hidden = [values[e] for e in lines[li] if suppressed[e] and e != m]
        s = sum(hidden)
        if 0 < s < min_sum:
            return True
        small = any(0 < v < min_sum for v in hidden)
        return small and s < protection_interval(int(min_sum)) + len(hidden)

    while queue:
        li = queue.popleft()
        queued[li] = False
        if not offending(li):
            continue
        open_ = [e for e in lines[li] if not suppressed[e]]
        nonzero = [e for e in open_ if values[e] != 0]
        # Zeros protect nothing; they are taken only if nothing else is left (never for counts).
        candidates = nonzero or open_
        if not candidates:
            continue

        def cost(e: int, li: int = li) -> tuple[float, int, bool, int]:
            completes = sum(1 for lj in entry_lines[e] if lj != li and n_supp[lj] == 1)
            return (abs(values[e]), -completes, e == margin_of[li], e)

        pick = min(candidates, key=cost)
        suppressed[pick] = True
        added.append(pick)
        for lj in entry_lines[pick]:
            n_supp[lj] += 1
            if not queued[lj]:
                queue.append(lj)
                queued[lj] = True
        if not queued[li]:  # the sum condition may need more than one complement
            queue.append(li)
            queued[li] = True
    return added


def protection_interval(threshold: int) -> int:
    """The narrowest interval a reader may be able to put on a hidden small count, p =
    max(3, ceil(0.3 * threshold)) (the release auditor's rule, ``audit.protection_level``)."""
    return max(3, math.ceil(0.3 * threshold))


def protect_rectangles(ext: Extended, suppressed: list[bool]) -> list[int]:
    """Hypercube step for 2-D tables: protect each primary cell with the cheapest rectangle.

    For a suppressed cell (r, c) whose row or column lacks a second suppression, pick (r2, c2)
    such that suppressing (r, c2), (r2, c) and (r2, c2) costs the least (already suppressed cells
    are free, zeros are not used). Closing rectangles keeps the pattern local instead of letting
    line-by-line fixes cascade across the table; `protect_lines` then checks every line.
    """
    if ext.cell_rc is None:
        return []
    at = {rc: i for i, rc in enumerate(ext.cell_rc)}
    rows = sorted({r for r, _ in ext.cell_rc})
    cols = sorted({c for _, c in ext.cell_rc})
    added: list[int] = []

    def n_in_row(r: int) -> int:
        return sum(suppressed[at[(r, c)]] for c in cols if (r, c) in at)

    def n_in_col(c: int) -> int:
        return sum(suppressed[at[(r, c)]] for r in rows if (r, c) in at)

    primaries = sorted(
        (i for i in range(ext.n_cells) if suppressed[i]), key=lambda i: ext.values[i]
    )
    for i in primaries:
        r, c = ext.cell_rc[i]
        if n_in_row(r) >= 2 and n_in_col(c) >= 2:
            continue
        best: tuple[float, list[int]] | None = None
        for r2 in rows:
            if r2 == r:
                continue
            for c2 in cols:
                if c2 == c:
                    continue
                trio = [at.get((r, c2)), at.get((r2, c)), at.get((r2, c2))]
                if any(e is None or (ext.values[e] == 0 and not suppressed[e]) for e in trio):
                    continue
                cost = sum(ext.values[e] for e in trio if not suppressed[e])
                if best is None or cost < best[0]:
                    best = (cost, [e for e in trio if not suppressed[e]])
        if best is not None:
            for e in best[1]:
                suppressed[e] = True
                added.append(e)
    return added
