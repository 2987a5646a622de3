"""The linear model of a release: each table's count cells (published constants, suppressed
unknowns), its margins as equations, equations linking tables of one universe, and known
structure (symmetry, non-increasing counts, rows of another table); ``same_cells`` finds the
entries of different tables that count the very same units."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from .. import privacy
from .population import AllExcept, ValueSet
from .release import PublishedTable

TOTAL = privacy.TOTAL


@dataclass
class Cells:
    """The count cells of one table: interior first, then margins."""

    keys: list[tuple[str, ...]]
    values: list[int | None]  # None: suppressed
    margin_dims: list[frozenset[int]]  # positions of TOTAL in the keys (empty: interior)
    base: int = 0  # global index of the first cell


def table_cells(t: PublishedTable) -> Cells:
    dims = t.dims
    df = t.frame
    keys = (
        [tuple(r) for r in df.select(pl.col(d).cast(pl.String) for d in dims).iter_rows()]
        if dims
        else [()] * df.height
    )
    sup_col = f"{t.count}_suppressed"
    sup = df.get_column(sup_col).to_list() if sup_col in df.columns else [False] * df.height
    raw = df.get_column(t.count).to_list()
    values = [
        None if s else (None if v is None else int(round(v))) for v, s in zip(raw, sup, strict=True)
    ]
    margin = [frozenset(i for i, v in enumerate(k) if v == TOTAL) for k in keys]
    return Cells(keys, values, margin)


@dataclass
class Constraint:
    coefs: dict[int, float]
    sense: str  # "eq" or "ge" (sum coefs * x  sense  rhs)
    rhs: float
    source: str


def _resolve(v: ValueSet, domain: frozenset[str]) -> frozenset[str]:
    return domain - v.values if isinstance(v, AllExcept) else v


@dataclass
class Linked:
    """A table placed in its universe: coverage per attribute and each interior cell's classes."""

    index: int
    attrs: dict[str, int]  # attribute -> position in the dims
    cov: dict[str, frozenset[str]]  # attribute -> values the table counts (filters / dims)
    cell_ids: list[int]
    cell_classes: list[tuple[frozenset[str], ...]]  # per interior cell, class per dim


def domains(tables: list[tuple[PublishedTable, Cells]]) -> dict[str, frozenset[str]]:
    vals: dict[str, set[str]] = defaultdict(set)
    for t, cells in tables:
        pop = t.population
        assert pop is not None
        for pos, col in enumerate(t.dims):
            a = pop.dims[col]
            rec = pop.recodes.get(col, {})
            for k, m in zip(cells.keys, cells.margin_dims, strict=True):
                if pos in m:
                    continue
                s = rec.get(k[pos])
                if s is None:
                    vals[a].add(k[pos])
                else:
                    vals[a] |= s.values if isinstance(s, AllExcept) else s
        for a, s in pop.filters.items():
            vals[a] |= s.values if isinstance(s, AllExcept) else s
    return {a: frozenset(v) for a, v in vals.items()}


def place(i: int, t: PublishedTable, cells: Cells, domain: dict[str, frozenset[str]]) -> Linked:
    pop = t.population
    assert pop is not None
    dims = t.dims
    attrs = {pop.dims[c]: p for p, c in enumerate(dims)}
    cov = {a: _resolve(s, domain.get(a, frozenset())) for a, s in pop.filters.items()}
    for a in attrs:
        cov.setdefault(a, domain.get(a, frozenset()))
    ids, classes = [], []
    for j, (k, m) in enumerate(zip(cells.keys, cells.margin_dims, strict=True)):
        if m:
            continue
        cl = []
        for p, c in enumerate(dims):
            s = pop.recodes.get(c, {}).get(k[p])
            a = pop.dims[c]
            cl.append(frozenset({k[p]}) if s is None else _resolve(s, domain[a]) & cov[a])
        ids.append(cells.base + j)
        classes.append(tuple(cl))
    return Linked(i, attrs, cov, ids, classes)


def same_cells(tables: Sequence[PublishedTable]) -> list[list[tuple[int, int]]]:
    """Groups of entries (table index, row index) that count exactly the same units: cells or
    margins of tables of one universe that cover the same values of every attribute (a 12-field
    comparison's row and a field's own total, a wage table's head count and a status table's
    employed cell). What one of them hides, the others must hide too; used to make a family of
    tables consistent before it is published (``careers``)."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    cells = [table_cells(t) for t in tables]
    for i, t in enumerate(tables):
        if t.population is not None and set(t.population.dims) == set(t.dims):
            groups[t.population.universe].append(i)
    by_sig: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    for universe, members in groups.items():
        domain = domains([(tables[i], cells[i]) for i in members])
        attrs = sorted(domain)
        for i in members:
            t, c = tables[i], cells[i]
            pop = t.population
            assert pop is not None
            cov = {a: _resolve(v, domain.get(a, frozenset())) for a, v in pop.filters.items()}
            pos = {pop.dims[col]: k for k, col in enumerate(t.dims)}
            for j, key in enumerate(c.keys):
                sig: list[frozenset[str]] = []
                for a in attrs:
                    whole = cov.get(a, domain[a])
                    if a not in pos or key[pos[a]] == TOTAL:
                        sig.append(whole)
                        continue
                    col = t.dims[pos[a]]
                    rec = pop.recodes.get(col, {}).get(key[pos[a]])
                    sig.append(
                        frozenset({key[pos[a]]})
                        if rec is None
                        else _resolve(rec, domain[a]) & whole
                    )
                by_sig[(universe, *sig)].append((i, j))
    return [g for g in by_sig.values() if len(g) > 1]


def _components(
    classes: set[frozenset[str]], cov_a: frozenset[str], cov_b: frozenset[str]
) -> dict[frozenset[str], int | None]:
    """Group overlapping classes (union-find over values); a group both tables fully cover gets
    an id, the others None (no equation can be written for them)."""
    parent: dict[str, str] = {}

    def find(v: str) -> str:
        while parent.setdefault(v, v) != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for cl in classes:
        values = sorted(cl)
        if not values:
            continue
        first = find(values[0])
        for v in values[1:]:
            r = find(v)
            if r != first:
                parent[r] = first
    members: dict[str, set[str]] = defaultdict(set)
    for v in list(parent):
        members[find(v)].add(v)
    ids = {r: n for n, r in enumerate(sorted(members))}
    ok = {r: m <= cov_a and m <= cov_b for r, m in members.items()}
    out: dict[frozenset[str], int | None] = {}
    for cl in classes:
        r = find(next(iter(cl))) if cl else None
        out[cl] = ids[r] if r is not None and ok[r] else None
    return out


def link(a: Linked, b: Linked, domain: dict[str, frozenset[str]]) -> list[dict[int, float]]:
    """Equations between two tables of one universe: per combination of classes both can sum."""
    attrs = sorted(set(a.cov) | set(b.cov))
    cov_a = {x: a.cov.get(x, domain.get(x, frozenset())) for x in attrs}
    cov_b = {x: b.cov.get(x, domain.get(x, frozenset())) for x in attrs}
    if any(not (cov_a[x] & cov_b[x]) for x in attrs):
        return []
    comp_of: dict[str, dict[frozenset[str], int | None]] = {}
    for x in attrs:
        classes: set[frozenset[str]] = set()
        for t, cov in ((a, cov_a), (b, cov_b)):
            if x in t.attrs:
                classes |= {cl[t.attrs[x]] for cl in t.cell_classes}
            else:
                classes.add(cov[x])
        comp_of[x] = _components(classes, cov_a[x], cov_b[x])

    def sums(t: Linked, cov: dict[str, frozenset[str]]) -> dict[tuple[int, ...], list[int]]:
        out: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for cid, cl in zip(t.cell_ids, t.cell_classes, strict=True):
            key = []
            for x in attrs:
                c = comp_of[x][cl[t.attrs[x]] if x in t.attrs else cov[x]]
                if c is None:
                    break
                key.append(c)
            else:
                out[tuple(key)].append(cid)
        return out

    sa, sb = sums(a, cov_a), sums(b, cov_b)
    # a table that is not a dim on x and whose coverage is not linkable contributes nothing, and
    # then neither does the other (no linkable component exists): both dicts are empty.
    eqs = []
    for key in set(sa) | set(sb):
        coefs: dict[int, float] = defaultdict(float)
        for c in sa.get(key, []):
            coefs[c] += 1.0
        for c in sb.get(key, []):
            coefs[c] -= 1.0
        coefs = {c: v for c, v in coefs.items() if v != 0}
        if coefs:
            eqs.append(coefs)
    return eqs


def margin_constraints(t: PublishedTable, cells: Cells) -> list[Constraint]:
    """Margins equal the sums of their interior cells."""
    out = []
    interior = [
        (j, k) for j, (k, m) in enumerate(zip(cells.keys, cells.margin_dims, strict=True)) if not m
    ]
    for j, (k, m) in enumerate(zip(cells.keys, cells.margin_dims, strict=True)):
        if not m:
            continue
        coefs: dict[int, float] = {cells.base + j: 1.0}
        for i, ki in interior:
            if all(ki[p] == k[p] for p in range(len(k)) if p not in m):
                coefs[cells.base + i] = coefs.get(cells.base + i, 0.0) - 1.0
        out.append(Constraint(coefs, "eq", 0.0, f"{t.uid}: margin"))
    return out


def _numeric_key(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return math.inf


def structure_constraints(
    t: PublishedTable,
    cells: Cells,
    siblings: Mapping[tuple[str, str, str], tuple[PublishedTable, Cells]],
) -> list[Constraint]:
    """Known structure beyond populations: a symmetric table (co-occurrences), counts that never
    grow along a dimension (people at risk), a count of rows of another table (companies)."""
    out: list[Constraint] = []
    dims = t.dims
    interior = {
        k: cells.base + j
        for j, (k, m) in enumerate(zip(cells.keys, cells.margin_dims, strict=True))
        if not m
    }
    for ex in t.extras:
        if ex[0] == "symmetric" and ex[1] in dims and ex[2] in dims and len(dims) == 2:
            pa, pb = dims.index(ex[1]), dims.index(ex[2])
            for k, g in interior.items():
                mirror = [""] * 2
                mirror[pa], mirror[pb] = k[pb], k[pa]
                h = interior.get(tuple(mirror))
                if h is not None and g < h:
                    out.append(Constraint({g: 1.0, h: -1.0}, "eq", 0.0, f"{t.uid}: symmetric"))
        elif ex[0] == "nonincreasing" and dims == [ex[1]]:
            order = sorted(interior, key=lambda k: _numeric_key(k[0]))
            for k0, k1 in zip(order, order[1:], strict=False):
                out.append(
                    Constraint(
                        {interior[k0]: 1.0, interior[k1]: -1.0},
                        "ge",
                        0.0,
                        f"{t.uid}: non-increasing",
                    )
                )
        elif ex[0] == "rows_of" and len(ex) == 3 and dims == [ex[2]]:
            other = siblings.get((t.release, t.brief, ex[1]))
            if other is None or ex[2] not in other[0].dims:
                continue
            ot, oc = other
            p = ot.dims.index(ex[2])
            n_rows: dict[str, int] = defaultdict(int)
            for k, m in zip(oc.keys, oc.margin_dims, strict=True):
                if not m:
                    n_rows[k[p]] += 1
            # a list that prints hidden rows lists every company: the count is its rows; a list
            # of published rows only (privacy.DisclosedTable.published_rows) is a lower bound
            complete = bool(ot.frame.get_column(f"{ot.count}_suppressed").any())
            for k, g in interior.items():
                out.append(
                    Constraint(
                        {g: 1.0},
                        "eq" if complete else "ge",
                        float(n_rows.get(k[0], 0)),
                        f"{t.uid}: rows of {ot.uid}",
                    )
                )
    return out
