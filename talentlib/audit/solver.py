"""Bounding the unknowns: differencing first (an equation with one unknown fixes it, the same
cell printed twice is one unknown), then the LP minimum and maximum of each suppressed cell with
HiGHS, tightened by ``milp`` where the LP optimum is not an integer point; independent pieces of
the system, and the cells of a large piece, are shared out over worker processes."""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

MILP_SECONDS = 10.0
_EPS = 1e-6


class _Bounds:
    """min and max of each unknown over one component's polytope.

    HiGHS keeps the model between solves (only the objective changes, so each solve starts from
    the last basis): scipy's bundled HiGHS object is used when it is there, else
    ``scipy.optimize.linprog(method="highs")`` solves each LP from scratch (same answers, slower).
    """

    def __init__(
        self,
        n: int,
        a_eq: Any,
        b_eq: np.ndarray,
        a_ub: Any,
        b_ub: np.ndarray,
        lb: np.ndarray,
        ub: np.ndarray,
    ) -> None:
        self.n, self.a_eq, self.b_eq, self.a_ub, self.b_ub = n, a_eq, b_eq, a_ub, b_ub
        self.lb, self.ub = lb, ub
        self._h: Any = None
        self._last = -1
        try:
            self._h = self._highs()
        except Exception:  # private scipy API moved: fall back to linprog
            self._h = None

    def _highs(self) -> Any:
        from scipy.optimize._highspy import _core as hc
        from scipy.sparse import csc_array, vstack

        blocks = [m for m in (self.a_eq, self.a_ub) if m is not None]
        a = csc_array(vstack(blocks)) if blocks else csc_array((0, self.n))
        a.sort_indices()
        lo = np.concatenate([self.b_eq, np.full(len(self.b_ub), -hc.kHighsInf)])
        hi = np.concatenate([self.b_eq, self.b_ub])
        lp = hc.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, a.shape[0]
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = self.lb.astype(float)
        lp.col_upper_ = np.where(np.isinf(self.ub), hc.kHighsInf, self.ub).astype(float)
        lp.row_lower_, lp.row_upper_ = lo, hi
        lp.a_matrix_.format_ = hc.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n, a.shape[0]
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data.astype(float)
        h = hc._Highs()
        h.setOptionValue("output_flag", False)
        if h.passModel(lp) != hc.HighsStatus.kOk:
            raise RuntimeError("HiGHS refused the model")
        self._hc = hc
        return h

    def bound(self, i: int, sign: float) -> tuple[str, np.ndarray | None]:
        """min (sign=1) or max (sign=-1) of x_i: (status, the optimal point)."""
        if self._h is not None:
            try:
                return self._bound_highs(i, sign)
            except Exception:
                self._h = None
        return self._bound_linprog(i, sign)

    def _bound_highs(self, i: int, sign: float) -> tuple[str, np.ndarray | None]:
        h, hc = self._h, self._hc
        if self._last >= 0:
            h.changeColCost(self._last, 0.0)
        h.changeColCost(i, 1.0)
        self._last = i
        h.changeObjectiveSense(hc.ObjSense.kMinimize if sign > 0 else hc.ObjSense.kMaximize)
        h.run()
        st = h.getModelStatus()
        if st == hc.HighsModelStatus.kOptimal:
            return "ok", np.asarray(h.getSolution().col_value)
        if st == hc.HighsModelStatus.kInfeasible:
            return "infeasible", None
        if st in (hc.HighsModelStatus.kUnbounded, hc.HighsModelStatus.kUnboundedOrInfeasible):
            return ("unbounded" if sign < 0 else "infeasible"), None
        return "error", None

    def _bound_linprog(self, i: int, sign: float) -> tuple[str, np.ndarray | None]:
        from scipy.optimize import linprog

        c = np.zeros(self.n)
        c[i] = sign
        res = linprog(
            c,
            A_ub=self.a_ub,
            b_ub=self.b_ub if self.a_ub is not None else None,
            A_eq=self.a_eq,
            b_eq=self.b_eq if self.a_eq is not None else None,
            bounds=[
                (lo, None if np.isinf(hi) else hi) for lo, hi in zip(self.lb, self.ub, strict=True)
            ],
            method="highs",
        )
        if res.status == 3:
            return "unbounded", None
        if res.status != 0:
            return ("infeasible" if res.status == 2 else "error"), None
        return "ok", np.asarray(res.x)

    def bound_integer(self, i: int, sign: float) -> float | None:
        """The same bound with integrality (scipy.optimize.milp), None if it does not finish."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        c = np.zeros(self.n)
        c[i] = sign
        cons = []
        if self.a_eq is not None:
            cons.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        if self.a_ub is not None:
            cons.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        res = milp(
            c,
            constraints=cons,
            integrality=np.ones(self.n),
            bounds=Bounds(self.lb, self.ub),
            options={"time_limit": MILP_SECONDS},
        )
        if res.status == 0 and res.x is not None:
            return float(res.x[i])
        return None


def _solve(
    unknowns: list[int],
    cons: list[tuple[dict[int, float], str, float]],
    bounds: Mapping[int, tuple[float, float]],
    targets: frozenset[int] | None = None,
    stop: Mapping[int, tuple[int, int]] | None = None,
) -> tuple[dict[int, tuple[int | None, int | None, str]], str]:
    """Integer interval of each unknown of one component (of those in ``targets`` when given:
    perturbed published counts are unknowns too, but nobody asks for their interval):
    {var: (lower, upper, method)}.

    LP bounds rounded inwards are valid for integers; where the LP optimum is not an integer
    point, milp tightens the bound (the rounded LP bound stays if milp does not finish).

    ``stop`` ({var: (threshold, p)}): stop bounding a cell as soon as its verdict is known to
    pass — its lower bound reaches the threshold, or an integer solution already found puts it
    at least ``p`` above its lower bound (or at ``threshold + p - 1``, above any lower bound
    that could fail). Such a cell gets ``(lower or None, None, "early")``: the verdict without
    the exact interval, for a gate that needs only the verdict.
    """
    from scipy.sparse import csr_array

    pos = {v: j for j, v in enumerate(unknowns)}
    n = len(unknowns)

    def matrix(rows: list[tuple[dict[int, float], str, float]]) -> tuple[Any, np.ndarray]:
        if not rows:
            return None, np.zeros(0)
        data, ri, ci = [], [], []
        for r, (coefs, _, _) in enumerate(rows):
            for v, a in coefs.items():
                data.append(a)
                ri.append(r)
                ci.append(pos[v])
        m = csr_array((data, (ri, ci)), shape=(len(rows), n))
        return m, np.array([rhs for _, _, rhs in rows], dtype=float)

    eq = [c for c in cons if c[1] == "eq"]
    le = [({v: -a for v, a in c[0].items()}, "le", -c[2]) for c in cons if c[1] == "ge"]
    a_eq, b_eq = matrix(eq)
    a_ub, b_ub = matrix(le)
    lb = np.array([bounds[v][0] for v in unknowns], dtype=float)
    ub = np.array([bounds[v][1] for v in unknowns], dtype=float)
    model = _Bounds(n, a_eq, b_eq, a_ub, b_ub, lb, ub)
    at_lb = np.zeros(n, dtype=bool)  # an integral feasible point already puts x_i at its bound
    seen_hi = np.full(n, -np.inf)  # the largest x_i of the integral feasible points found

    def solve(i: int, sign: float) -> tuple[str, float | None, bool]:
        st, x = model.bound(i, sign)
        if st != "ok" or x is None:
            return st, None, True
        integral = bool(np.all(np.abs(x - np.round(x)) < _EPS))
        if integral:
            at_lb[np.abs(x - lb) < _EPS] = True
            np.maximum(seen_hi, np.round(x), out=seen_hi)
        return st, float(x[i]), integral

    out: dict[int, tuple[int | None, int | None, str]] = {}
    for v in unknowns:
        if targets is not None and v not in targets:
            continue
        i = pos[v]
        rule = stop.get(v) if stop is not None else None
        if rule is not None and seen_hi[i] >= rule[0] + rule[1] - 1:
            out[v] = (None, None, "early")  # passes whatever its lower bound
            continue
        if at_lb[i]:
            st_lo, lo, int_lo = "ok", float(lb[i]), True
        else:
            st_lo, lo, int_lo = solve(i, 1.0)
        if st_lo == "infeasible":
            return {}, "infeasible"
        if st_lo != "ok" or lo is None:
            out[v] = (None, None, "error")
            continue
        method = "lp"
        if not int_lo:
            m = model.bound_integer(i, 1.0)
            if m is not None:
                lo, method = max(lo, m), "milp"
        lower = math.ceil(lo - _EPS)
        if rule is not None and (lower >= rule[0] or seen_hi[i] - lower >= rule[1]):
            out[v] = (lower, None, "early")
            continue
        st_hi, hi, int_hi = solve(i, -1.0)
        if st_hi == "ok" and hi is not None:
            if not int_hi:
                m = model.bound_integer(i, -1.0)
                if m is not None:
                    hi, method = min(hi, m), "milp"
            out[v] = (lower, math.floor(hi + _EPS), method)
        elif st_hi == "unbounded":
            out[v] = (lower, None, method)
        else:
            out[v] = (None, None, "error")
    return out, "ok"


@dataclass
class _Presolved:
    fixed: dict[int, int]
    alias: dict[int, int]
    free: list[int]
    cons: list[tuple[dict[int, float], str, float]]
    conflict: bool = False


def _presolve(
    vs: list[int],
    cons: list[tuple[dict[int, float], str, float]],
    bounds: dict[int, tuple[float, float]],
) -> _Presolved:
    """Differencing before the LP: an equation left with one unknown fixes it (an exact
    recovery); ``x_a - x_b = 0`` makes two unknowns one (the same cell printed twice). Repeats
    to a fixed point; a contradiction (a non-integer or below-bound value, an equation that no
    longer holds) is reported, not resolved."""
    fixed: dict[int, int] = {}
    parent: dict[int, int] = {}

    def root(v: int) -> int:
        while v in parent:
            if parent[v] in parent:
                parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    changed = True
    while changed:
        changed = False
        out: list[tuple[dict[int, float], str, float]] = []
        for coefs, sense, rhs in cons:
            red: dict[int, float] = defaultdict(float)
            r = rhs
            for v, a in coefs.items():
                v = root(v)
                if v in fixed:
                    r -= a * fixed[v]
                else:
                    red[v] += a
            red = {v: a for v, a in red.items() if abs(a) > 1e-12}
            if not red:
                if (sense == "eq" and abs(r) > 0.5) or (sense == "ge" and r > 0.5):
                    return _Presolved(fixed, {}, [], [], conflict=True)
                continue
            if sense == "eq" and len(red) == 1:
                ((v, a),) = red.items()
                x = r / a
                lo, hi = bounds[v]
                if abs(x - round(x)) > _EPS or not lo <= round(x) <= hi:
                    return _Presolved(fixed, {}, [], [], conflict=True)
                fixed[v] = round(x)
                changed = True
                continue
            if sense == "eq" and len(red) == 2 and abs(r) < _EPS:
                (v1, a1), (v2, a2) = red.items()
                if abs(a1 + a2) < 1e-12:
                    lo = max(bounds[v1][0], bounds[v2][0])
                    hi = min(bounds[v1][1], bounds[v2][1])
                    if lo > hi:
                        return _Presolved(fixed, {}, [], [], conflict=True)
                    bounds[v1] = (lo, hi)
                    parent[v2] = v1
                    changed = True
                    continue
            out.append((red, sense, r))
        cons = out
    alias = {v: root(v) for v in vs if root(v) != v}
    free = [v for v in vs if v not in alias and v not in fixed]
    return _Presolved(fixed, alias, free, cons)


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        p = self.parent
        p.setdefault(x, x)
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


# A piece of the constraint system with at least this many unknowns and constraints has its
# cells' bounds shared out over the worker processes (each builds the same LP and bounds its
# share of the cells); smaller pieces are solved here, where a worker's start (~1 s) costs more.
PARALLEL_MIN_SIZE = 5_000

_Solved = tuple[dict[int, tuple[int | None, int | None, str]], str]


@contextlib.contextmanager
def worker_pool(n: int | None) -> Iterator[Any]:
    """(pool, n): a pool of ``n`` spawned processes (default: up to 2), or None for one."""
    import os

    n = max(1, min(n or 2, os.cpu_count() or 1))
    if n == 1:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # forked where the system can: a spawned worker would run the caller's script again when
    # it has no `if __name__ == "__main__":` guard (twice its side effects). The workers only
    # solve LPs (numpy, scipy's HiGHS): no lock of the parent's threads (polars, progress) is
    # taken in them.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context(method)) as pool:
        yield pool, n


def _solve_pieces(
    pieces: list[
        tuple[list[int], list[tuple[dict[int, float], str, float]], frozenset[int] | None]
    ],
    bounds: Mapping[int, tuple[float, float]],
    pool: Any,
    stop: Mapping[int, tuple[int, int]] | None = None,
) -> list[_Solved]:
    """``_solve`` for each piece; a large one is bounded in parallel, its cells split in turn
    (round robin over the sorted cells, so each share has small and large ones)."""
    from concurrent.futures.process import BrokenProcessPool

    out: list[_Solved] = []
    for vs, cons, need in pieces:
        if pool is None or len(vs) + len(cons) < PARALLEL_MIN_SIZE:
            out.append(_solve(vs, cons, bounds, need, stop))
            continue
        executor, n = pool
        wanted = sorted(v for v in vs if need is None or v in need)
        mine = {v: bounds[v] for v in vs}
        res: dict[int, tuple[int | None, int | None, str]] = {}
        status = "ok"
        try:
            futures = [
                executor.submit(_solve, vs, cons, mine, frozenset(wanted[k::n]), stop)
                for k in range(n)
            ]
            for f in futures:
                r, st = f.result()
                res.update(r)
                status = st if status == "ok" else status
        except BrokenProcessPool:  # a worker could not start or died: solved here instead
            res, status = _solve(vs, cons, bounds, need, stop)
        out.append((res, status))
    return out


def solve_component(
    vs: list[int],
    cons: list[tuple[dict[int, float], str, float]],
    bounds: Mapping[int, tuple[float, float]],
    targets: frozenset[int] | None = None,
    pool: Any = None,
    stop: Mapping[int, tuple[int, int]] | None = None,
) -> tuple[dict[int, tuple[int | None, int | None, str]], str]:
    """Presolve (differencing), then LP bounds for what is left, piece by piece (large pieces
    over ``pool``'s processes); ``stop`` as in ``_solve``."""
    bounds = {v: bounds[v] for v in vs}  # presolve narrows merged aliases: a private copy
    pre = _presolve(vs, cons, bounds)
    if pre.conflict:
        return {}, "infeasible"
    out: dict[int, tuple[int | None, int | None, str]] = {
        v: (x, x, "differencing") for v, x in pre.fixed.items()
    }
    need = None if targets is None else frozenset(pre.alias.get(v, v) for v in targets)
    if stop is not None:  # a merged cell stops only when every cell it stands for would
        merged: dict[int, tuple[int, int]] = {}
        for v in vs:
            if v not in stop:
                continue
            t, p = stop[v]
            r = pre.alias.get(v, v)
            t0, p0 = merged.get(r, (t, p))
            merged[r] = (max(t, t0), max(p, p0))
        stop = merged
    pieces = [
        (sub_vs, sub_cons, need)
        for sub_vs, sub_cons in split_components(pre.free, pre.cons)
        if need is None or not need.isdisjoint(sub_vs)
    ]
    for res, st in _solve_pieces(pieces, bounds, pool, stop):
        if st != "ok":
            return {}, st
        out.update(res)
    for v, r in pre.alias.items():
        out[v] = out.get(r, (None, None, "error"))
    return out, "ok"


def split_components(
    vs: list[int], cons: list[tuple[dict[int, float], str, float]]
) -> list[tuple[list[int], list[tuple[dict[int, float], str, float]]]]:
    uf = UnionFind()
    for v in vs:
        uf.find(v)
    for u, _, _ in cons:
        it = list(u)
        for w in it[1:]:
            uf.union(it[0], w)
    groups: dict[int, list[int]] = defaultdict(list)
    for v in vs:
        groups[uf.find(v)].append(v)
    gc: dict[int, list[tuple[dict[int, float], str, float]]] = defaultdict(list)
    for c in cons:
        gc[uf.find(next(iter(c[0])))].append(c)
    return [(g, gc.get(r, [])) for r, g in groups.items()]
