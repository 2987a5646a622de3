"""The audit itself: a release's tables → the linear model → every suppressed cell's interval →
verdicts per cell and per table (``audit``); after a failed audit, the cells whose hiding widens
the failing ones (``secondary_cells``)."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence

from .model import (
    Cells,
    Constraint,
    domains,
    link,
    margin_constraints,
    place,
    same_cells,
    structure_constraints,
    table_cells,
)
from .release import PublishedTable, Skipped
from .solver import UnionFind, solve_component, split_components, worker_pool
from .verdict import AuditResult, CellResult, TableResult, protection_level, verdict


def audit(
    tables: Sequence[PublishedTable],
    *,
    protection: int | None = None,
    skipped: Sequence[Skipped] = (),
    workers: int | None = None,
    exact: bool = True,
) -> AuditResult:
    """Intervals and verdicts for every suppressed count cell of ``tables`` taken together.

    The independent pieces of the constraint system are solved by ``workers`` processes
    (default: up to 2, the cores of the machine this was sized on; 1 = in this process). The
    intervals do not depend on how the pieces are shared out.

    ``exact=False`` (a gate that needs the verdicts only): a cell's bounding stops once it is
    known to pass (method ``early``: its lower bound reaches the threshold, or a solution found
    shows an interval at least p wide); its interval is then not given exactly. Verdicts,
    failing cells and their intervals are the same as with ``exact=True``.

    Only tables with ``release == "current"`` get a table verdict; cells of earlier releases are
    audited too (the new release must not break them) and count in the overall status.
    """
    t0 = time.perf_counter()
    cells: list[Cells] = []
    base = 0
    for t in tables:
        c = table_cells(t)
        c.base = base
        base += len(c.keys)
        cells.append(c)
    values: list[int | None] = [v for c in cells for v in c.values]
    owner = [i for i, c in enumerate(cells) for _ in c.keys]
    # a perturbed count p (cell-key noise up to D) is an unknown in [p - D, p + D], and at least
    # the threshold (smaller counts are never published); zeros stay zeros. A suppressed count is
    # at least 1, and under the threshold when the table hides no complementary cells.
    bounds: dict[int, tuple[float, float]] = {}
    for v, x in enumerate(values):
        t = tables[owner[v]]
        if x is None:
            bounds[v] = (1.0, math.inf if t.complementary else float(max(1, t.threshold - 1)))
        elif t.noise and x:
            bounds[v] = (float(max(t.threshold, x - t.noise)), float(x + t.noise))
    known = [values[v] is not None and v not in bounds for v in range(len(values))]

    constraints: list[Constraint] = []
    within_of: dict[int, list[int]] = defaultdict(list)  # table -> its own constraints
    notes: dict[int, list[str]] = defaultdict(list)
    for i, (t, c) in enumerate(zip(tables, cells, strict=True)):
        for k in margin_constraints(t, c):
            within_of[i].append(len(constraints))
            constraints.append(k)
    siblings = {(t.release, t.brief, t.name): (t, c) for t, c in zip(tables, cells, strict=True)}
    for i, (t, c) in enumerate(zip(tables, cells, strict=True)):
        for k in structure_constraints(t, c, siblings):
            within_of[i].append(len(constraints))
            constraints.append(k)

    # populations: validate, group by universe, link every pair
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, t in enumerate(tables):
        pop = t.population
        if pop is None:
            continue
        if set(pop.dims) != set(t.dims):
            notes[i].append(
                f"population metadata names columns {sorted(pop.dims)} but the table has "
                f"{t.dims}: audited on its own"
            )
            continue
        groups[pop.universe].append(i)
    linked_to: dict[int, set[int]] = defaultdict(set)
    index_of = {(t.release, t.brief, t.name): i for i, t in enumerate(tables)}
    for i, t in enumerate(tables):
        for ex in t.extras:
            j = index_of.get((t.release, t.brief, ex[1])) if ex[0] == "rows_of" else None
            if j is not None:
                linked_to[i].add(j)
                linked_to[j].add(i)
    for members in groups.values():
        domain = domains([(tables[i], cells[i]) for i in members])
        placed = [place(i, tables[i], cells[i], domain) for i in members]
        for x in range(len(placed)):
            for y in range(x + 1, len(placed)):
                eqs = link(placed[x], placed[y], domain)
                if eqs:
                    a, b = placed[x].index, placed[y].index
                    linked_to[a].add(b)
                    linked_to[b].add(a)
                    src = f"{tables[a].uid} ~ {tables[b].uid}"
                    constraints += [Constraint(e, "eq", 0.0, src) for e in eqs]

    # substitute the published values; check what is left with no unknown
    inconsistencies: list[str] = []
    bad_tables: set[int] = set()
    reduced: list[tuple[dict[int, float], str, float, int]] = []
    for ci, k in enumerate(constraints):
        unk = {v: a for v, a in k.coefs.items() if not known[v]}
        rhs = k.rhs - sum(a * values[v] for v, a in k.coefs.items() if known[v])  # type: ignore[operator]
        if not unk:
            bad = abs(rhs) > 0.5 if k.sense == "eq" else rhs > 0.5
            if bad:
                inconsistencies.append(f"{k.source}: published counts contradict (off by {rhs:g})")
                bad_tables |= {owner[v] for v in k.coefs}
            continue
        reduced.append((unk, k.sense, rhs, ci))

    uf = UnionFind()
    unknown = [v for v in range(len(values)) if not known[v]]
    for v in unknown:
        uf.find(v)
    for unk, _, _, _ in reduced:
        vs = list(unk)
        for v in vs[1:]:
            uf.union(vs[0], v)
    comp_vars: dict[int, list[int]] = defaultdict(list)
    for v in unknown:
        comp_vars[uf.find(v)].append(v)
    comp_cons: dict[int, list[tuple[dict[int, float], str, float, int]]] = defaultdict(list)
    for r in reduced:
        comp_cons[uf.find(next(iter(r[0])))].append(r)

    interval: dict[int, tuple[int | None, int | None, str]] = {}
    targets = frozenset(v for v in unknown if values[v] is None)  # the suppressed cells
    stop = (
        None
        if exact
        else {
            v: (
                tables[owner[v]].threshold,
                protection_level(tables[owner[v]].threshold, protection),
            )
            for v in targets
        }
    )
    review: dict[int, str] = {}
    with worker_pool(workers) as pool:
        solved = {
            root: solve_component(
                vs,
                [(u, s, r) for u, s, r, _ in comp_cons.get(root, [])],
                bounds,
                targets,
                pool,
                stop,
            )
            for root, vs in comp_vars.items()
        }
    for root, vs in comp_vars.items():
        res, status = solved[root]
        if status == "infeasible":
            tabs = sorted({tables[owner[v]].uid for v in vs})
            inconsistencies.append(
                "constraints contradict each other (population metadata that does not hold?) "
                f"among {', '.join(tabs[:6])}{' …' if len(tabs) > 6 else ''}; solved per table"
            )
            own = {ci for v in vs for ci in within_of[owner[v]]}
            sub = [(u, s, r) for u, s, r, ci in comp_cons.get(root, []) if ci in own]
            for sub_vs, sub_cons in split_components(vs, sub):
                res2, st2 = solve_component(sub_vs, sub_cons, bounds, targets)
                for v in sub_vs:
                    interval[v] = (
                        res2.get(v, (None, None, "error")) if st2 == "ok" else (None, None, "error")
                    )
                    review[v] = (
                        "모순된 제약 — 표 단독으로 계산 / contradicting constraints, table alone"
                    )
            continue
        interval.update(res)

    # comp membership: which tables share a component (for the report)
    comp_tables: dict[int, set[str]] = defaultdict(set)
    for root in comp_vars:
        for r in comp_cons.get(root, []):
            for v in r[0]:
                comp_tables[root].add(tables[owner[v]].uid)
            for v in constraints[r[3]].coefs:
                comp_tables[root].add(tables[owner[v]].uid)

    results: list[CellResult] = []
    per_table: dict[int, list[CellResult]] = defaultdict(list)
    for v in unknown:
        if values[v] is not None:  # a perturbed published count: a constraint, not a finding
            continue
        i = owner[v]
        t, c = tables[i], cells[i]
        j = v - c.base
        lo, hi, method = interval.get(v, (None, None, "error"))
        p = protection_level(t.threshold, protection)
        if method == "early":
            vd, why = (
                "pass",
                f"폭 ≥ {p} (조기 판정, 정확한 구간은 계산하지 않음) / at least {p} wide",
            )
        else:
            vd, why = verdict(lo, hi, t.threshold, p)
        if v in review and vd != "fail":
            vd, why = "review", review[v]
        guess = None if lo is None or method == "early" else (lo if hi is None else (lo + hi) // 2)
        cr = CellResult(
            table=t.uid,
            release=t.release,
            keys=dict(zip(t.dims, c.keys[j], strict=True)),
            margin=bool(c.margin_dims[j]),
            lower=lo,
            upper=hi,
            best_guess=guess,
            verdict=vd,
            reason=why,
            method=method,
            component_tables=len(comp_tables.get(uf.find(v), {t.uid})),
        )
        results.append(cr)
        per_table[i].append(cr)

    table_results = []
    for i, (t, c) in enumerate(zip(tables, cells, strict=True)):
        p = protection_level(t.threshold, protection)
        small = [
            k
            for k, x in zip(c.keys, c.values, strict=True)
            if x is not None and 0 < x < t.threshold
        ]
        crs = per_table[i]
        n_fail = sum(r.verdict == "fail" for r in crs)
        n_rev = sum(r.verdict == "review" for r in crs)
        checks = {
            "threshold": {
                "status": "fail" if small else "pass",
                "reason": f"공개된 {len(small)}개 셀이 1~{t.threshold - 1}"
                if small
                else f"공개 셀은 0 또는 {t.threshold} 이상",
            },
            "differencing": {
                "status": "fail" if n_fail else "review" if n_rev else "pass",
                "reason": f"비공개 {len(crs)}개 중 {n_fail}개가 폭 {p} 미만 구간으로 특정됨"
                if n_fail
                else f"비공개 {len(crs)}개 모두 보호 구간 {p} 이상 또는 작은 값 아님"
                if crs
                else "비공개 셀 없음",
                "linked_tables": sorted(tables[j].uid for j in linked_to[i]),
            },
        }
        if i in bad_tables:
            checks["consistency"] = {
                "status": "review",
                "reason": "다른 표와 공개 값이 맞지 않음 (모집단 메타데이터 확인)",
            }
        st = [ch["status"] for ch in checks.values()]
        status = "fail" if "fail" in st else "review" if "review" in st else "pass"
        summ = f"{status}; 비공개 {len(crs)} · 실패 {n_fail}"
        if small:
            summ += f" · 기준 미달 공개 {len(small)}"
        if (t.population is None and not t.extras) or notes[i]:
            summ += " · 단독 점검(모집단 정보 없음)"
        table_results.append(
            TableResult(
                uid=t.uid,
                name=t.name,
                brief=t.brief,
                release=t.release,
                file=t.file,
                count=t.count,
                dims=t.dims,
                population=t.population.to_json() if t.population else None,
                cells=len(c.keys),
                suppressed=len(crs),
                checks=checks,
                status=status,
                summary=summ,
                notes=[*t.notes, *notes[i]],
            )
        )
    return AuditResult(
        tables=table_results,
        cells=results,
        skipped=list(skipped),
        inconsistencies=inconsistencies,
        protection=protection,
        seconds=time.perf_counter() - t0,
        published=list(tables),
    )


def secondary_cells(result: AuditResult) -> dict[str, list[dict[str, str]]]:
    """Secondary suppression after a failed audit: for every failing cell, the smallest published
    non-zero cell of its table that shares a line with it (a value of one of its dimensions; in a
    1-D table any other cell), and every cell elsewhere in the release that counts exactly the
    same units (``same_cells``) — hiding them widens the failing cell's interval, and hiding
    only removes information. Returns table uid → cells (dimension → value) to hide (of this
    release: the earlier ones it was audited with only link cells)."""
    tables = result.published
    by_uid = {t.uid: i for i, t in enumerate(tables)}
    cells = [table_cells(t) for t in tables]
    group_of: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g in same_cells(tables):
        for member in g:
            group_of[member] = g
    chosen: set[tuple[int, int]] = set()
    for c in result.cells:
        if c.verdict != "fail" or c.release != "current" or c.table not in by_uid:
            continue
        i = by_uid[c.table]
        t, tc = tables[i], cells[i]
        failing = tuple(str(c.keys.get(d, "")) for d in t.dims)
        best: tuple[int, tuple[str, ...], int] | None = None
        for j, (key, v, m) in enumerate(zip(tc.keys, tc.values, tc.margin_dims, strict=True)):
            if v is None or v == 0 or m or key == failing:
                continue
            if len(t.dims) > 1 and not any(a == b for a, b in zip(key, failing, strict=True)):
                continue
            cand = (v, key, j)
            if best is None or cand < best:
                best = cand
        if best is not None:
            chosen |= set(group_of.get((i, best[2]), [(i, best[2])]))
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for i, j in sorted(chosen):
        t = tables[i]
        if t.release == "current":
            out[t.uid].append(dict(zip(t.dims, cells[i].keys[j], strict=True)))
    return dict(out)
