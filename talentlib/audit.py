"""Audit a whole release for disclosure by differencing: the interval an attacker can put on every
suppressed count cell, from everything that was published together.

``privacy.disclose`` protects each table on its own. A release is safe only if no combination of
its tables pins a suppressed cell: the same breakdown printed in several tables with different
hidden cells, a 12-field comparison table next to the fields' own tables, or an earlier release
of the same data. ``check_release`` reads every table of a run folder and answers, per suppressed
cell, how narrowly it can be pinned.

Method
------
* **Cells.** In each published table (``tables/<name>.parquet``; the ledger ``disclosure.json``
  names the count column) every row is a count cell: published (a known constant) or suppressed
  (an unknown). Rows holding ``privacy.TOTAL`` in some dimensions are margins: the margin equals
  the sum of the interior cells that agree on the other dimensions. ``disclose`` publishes zeros
  and never suppresses one, so a suppressed cell is an integer of at least 1; cells missing from
  a table (``group_by`` does not list empty combinations) are zero.
* **Populations.** Tables count the same units only when they say so: a ``Population`` names the
  universe (same data, same cohort parameters, same counting unit), maps each dimension column on
  an attribute of that universe (with a recode where the table shows a coarser grouping, e.g.
  ``state`` = ``employed`` is every employer type of ``destination``), and filters the attributes
  the table is restricted to (e.g. 12 months after exit, employed, field BATT). The table
  writers record it: ``disclose(population=...)`` puts it in the ledger entry (``"population"``,
  ``Population.to_json`` form, ``privacy.DATA_TOKEN`` standing for the data fingerprint), as
  ``careers.population`` and ``workforce.population`` do for notebooks 03 and 01;
  ``registry_population`` is the fallback for ledgers without it (it asks the same functions,
  and holds notebook 02's postings tables). A table without either is audited on its own.
  ``same_cells`` finds, from the same metadata, the entries of different tables that count the
  very same units; ``careers.release_family`` uses it to hide such cells alike in every table.
* **Linking.** For every two tables of one universe, per attribute the values are grouped into
  the finest classes that both tables can sum to (connected components of their classes); a
  class lying within both tables' filters gives one equation: the first table's cells in it sum
  to the second table's. With nested groupings this is exactly what the two tables say about
  each other (any pair of margins that agree can be completed into a joint table), and for a
  family of tables whose shared dimensions form a tree (the career tables: every table is one
  attribute crossed with the destination) pairwise agreement is all the joint table adds. Other
  families get a relaxation: intervals may be wider than an attacker's best, never narrower than
  the truth. Known structure adds constraints: co-occurrence counts are symmetric, the number at
  risk never grows, a company count is the number of rows of the postings-by-company table.
* **Intervals.** The unknowns split into connected components (unknowns sharing an equation).
  Within one, an equation left with a single unknown fixes it (plain differencing) and
  ``x_a = x_b`` merges the same cell printed twice; then for each remaining suppressed cell
  HiGHS minimises and maximises it (``scipy.optimize.linprog(method="highs")``, or scipy's
  bundled HiGHS object kept between solves, which gives the same answers much faster). The LP bounds are rounded inwards (the cells are integers, so the true value lies in
  ``[ceil(min), floor(max)]``); when the LP optimum is not an integer point, ``milp`` tightens
  the bound with integrality (time-limited; the rounded LP bound stays if it does not finish).
  The attacker's best guess is the middle of the interval.
* **Protection rule.** A suppressed cell fails when it may be a small count and is pinned:
  ``lower < threshold`` and ``upper - lower < p`` with ``p = max(3, ceil(0.3 * threshold))``
  (``--protection`` sets p). A cell whose lower bound reaches the threshold is not a small count
  (a complementary cell) and passes even when recovered exactly; the report counts those
  exact recoveries separately. ``review``: the solver gave no answer, or the equations of a
  component contradict each other (population metadata that does not hold; such a component is
  then solved with each table's own margins only). Published counts of 1 to threshold - 1 fail
  outright.

Perturbed counts (cell-key method, ``talentlib.cellkey``): a table whose ledger rules carry
``max_perturbation: D`` publishes ``p`` for a true count in ``[max(threshold, p - D), p + D]``
(zeros stay zero; smaller counts are never published); its published cells then enter the model
as bounded unknowns instead of constants. Only the suppressed cells get intervals. A ledger entry
with ``complementary_suppression: false`` says that only cells under the threshold are hidden:
a reader then knows each suppressed count lies in ``1..threshold-1``, and so does the model.

Run folders: a run with ``release/`` is audited on what it releases (``release/<field>/``); the
disclosure stamps come from ``release/<field>/disclosure.json`` or else from the run's
``internal/<field>/disclosure.json`` (entries whose hash matches the released file).

The report itself names the values an attacker would recover, so it is for the output checker
inside the secure environment, never part of a release (like ``DisclosedTable.log``).

Magnitudes (wage quantiles, shares) and tables that are not partitions of a population
(co-occurrences, prevalence, at-risk counts) get the within-table checks only, plus the structure
named above.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from . import __version__, io, privacy

__all__ = [
    "AllExcept",
    "AuditResult",
    "CellResult",
    "Population",
    "PublishedTable",
    "audit",
    "check_release",
    "load_release",
    "protection_level",
    "registry_population",
    "same_cells",
    "verdict",
]

TOTAL = privacy.TOTAL
LEDGER = "disclosure.json"
REPORT_JSON = "check_report.json"
REPORT_MD = "check_report.md"
MILP_SECONDS = 10.0
_EPS = 1e-6


# ---------------------------------------------------------------------------------------------
# Population metadata
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllExcept:
    """A value set given by what it leaves out (``state == "employed"``: every destination but
    no_insured_job and not_observed), resolved against the values the universe knows."""

    values: frozenset[str]


ValueSet = frozenset[str] | AllExcept


def _vs_json(v: ValueSet) -> Any:
    return {"all_except": sorted(v.values)} if isinstance(v, AllExcept) else sorted(v)


def _vs_from(v: Any) -> ValueSet:
    if isinstance(v, dict):
        return AllExcept(frozenset(str(x) for x in v["all_except"]))
    return frozenset(str(x) for x in v)


@dataclass(frozen=True, eq=False)
class Population:
    """What a table counts: tables with equal ``universe`` count the same units, so their cells
    are sums over one underlying cross-classification.

    ``dims`` maps each dimension column on an attribute of the universe; ``recodes`` maps a
    column's values on sets of the attribute's values where the column is a coarser grouping
    (identity otherwise); ``filters`` restricts attributes (also ones that are not columns).
    """

    universe: tuple[str, ...]
    dims: Mapping[str, str]
    recodes: Mapping[str, Mapping[str, ValueSet]] = field(default_factory=dict)
    filters: Mapping[str, ValueSet] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ledger form proposed for ``report.save_tables``: ``entry["population"]``."""
        return {
            "universe": list(self.universe),
            "dims": dict(self.dims),
            "recodes": {c: {v: _vs_json(s) for v, s in m.items()} for c, m in self.recodes.items()},
            "filters": {a: _vs_json(s) for a, s in self.filters.items()},
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Population:
        return cls(
            universe=tuple(str(x) for x in d["universe"]),
            dims={str(c): str(a) for c, a in d["dims"].items()},
            recodes={
                str(c): {str(v): _vs_from(s) for v, s in m.items()}
                for c, m in (d.get("recodes") or {}).items()
            },
            filters={str(a): _vs_from(s) for a, s in (d.get("filters") or {}).items()},
        )


# The registry: which population each table of notebooks 01-03 counts. Until the table writers
# record it in the ledger, this is the only source; a ledger "population" entry takes precedence.

# Notebook parameters that do not change which units a table counts.
_NEUTRAL_PARAMS = frozenset(
    {
        "field", "data_dir", "bibliometrics_dir", "output_dir", "cache_dir", "scale", "min_count",
        "min_count_magnitude", "dominance_n", "dominance_k", "disclosure_method", "cell_key_salt",
    }
)  # fmt: skip


# Notebook 02: postings of the field by one or two of their attributes (a posting counts once).
_POSTINGS_TABLES = {
    "postings_by_job_family": ["job_family"],
    "postings_by_company_type": ["company_type"],
    # (postings_by_company is not here: it lists only companies whose count is published, so
    # its rows do not partition the postings; it still tells the number of companies, _EXTRAS)
    "postings_by_job_family_company_type": ["job_family", "company_type"],
    "postings_by_education": ["education"],
    "postings_by_experience": ["experience_band"],
}
# Structure that is not a population but still constrains: see _extras.
_EXTRAS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("03_career_flow", "time_to_first_job_students"): (("nonincreasing", "months"),),
    ("02_job_analysis", "cooccurrence"): (("symmetric", "code_a", "code_b"),),
    ("02_job_analysis", "companies_by_company_type"): (
        ("rows_of", "postings_by_company", "company_type"),
    ),
}


def _with_data(population: Mapping[str, Any], data_key: str) -> dict[str, Any]:
    """A ledger population with ``privacy.DATA_TOKEN`` replaced by the data's fingerprint."""
    universe = [data_key if u == privacy.DATA_TOKEN else u for u in population["universe"]]
    return {**population, "universe": universe}


def _key_params(params: Mapping[str, Any]) -> str:
    keep = {k: v for k, v in params.items() if k not in _NEUTRAL_PARAMS}
    return json.dumps(keep, sort_keys=True, ensure_ascii=False, default=str)


def registry_population(
    notebook: str | None,
    name: str,
    field_code: str,
    params: Mapping[str, Any],
    data_key: str,
) -> tuple[Population | None, tuple[tuple[str, ...], ...]]:
    """The population of a table written by notebook 01, 02 or 03 and its extra structure.

    ``params`` are the notebook's parameters for this brief (from the manifest; the notebook's
    defaults where missing); ``data_key`` fingerprints the input data. Returns (None, extras)
    for tables that are not partitions of a known population; extras are ("symmetric", col_a,
    col_b), ("nonincreasing", col) or ("rows_of", other_table, col).
    """
    nb = notebook or ""
    extras = next((x for (n, t), x in _EXTRAS.items() if t == name and nb in (n, "")), ())
    own: dict[str, ValueSet] = {"field_code": frozenset({field_code})}
    if nb in ("03_career_flow", ""):
        from . import careers  # the career tables say what they count (careers.population)

        spec = careers.CohortSpec(
            field=field_code,
            techs=tuple(params["techs"]) if params.get("techs") else None,
            exit_years=tuple(params.get("exit_years", [2013, 2023])),  # type: ignore[arg-type]
            roles=tuple(params["roles"]) if params.get("roles") else None,
        )
        career = careers.population(name, spec)
        if career is not None:
            return Population.from_json(_with_data(career, data_key)), extras
    if nb in ("01_workforce_map", ""):
        from . import workforce  # the head-count tables say what they count

        years = params.get("years", [2013, 2023])
        mspec = workforce.MapSpec(
            field=field_code,
            years=(int(years[0]), int(years[-1])),
            top_k_institutions=int(params.get("top_k_institutions", 5)),
        )
        wpop = workforce.population(name, mspec)
        if wpop is not None:
            return Population.from_json(_with_data(wpop, data_key)), extras
    if nb in ("02_job_analysis", "") and name in _POSTINGS_TABLES:
        universe = ("postings", data_key, _key_params(params))
        return Population(universe, {c: c for c in _POSTINGS_TABLES[name]}, {}, own), extras
    return None, extras


# ---------------------------------------------------------------------------------------------
# Published tables
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class PublishedTable:
    """One published count table as the auditor sees it, with what is known of its population."""

    name: str
    frame: pl.DataFrame
    count: str
    brief: str = ""
    release: str = "current"
    file: str = ""
    threshold: int = 5
    population: Population | None = None
    extras: tuple[tuple[str, ...], ...] = ()
    notes: list[str] = field(default_factory=list)
    noise: int = 0  # published counts are perturbed by at most this much (cell-key method)
    # False: only cells under the threshold are hidden (cell-key tables), so a reader knows that
    # every suppressed count lies in 1..threshold-1
    complementary: bool = True

    @property
    def uid(self) -> str:
        base = f"{self.brief}/{self.name}" if self.brief else self.name
        return base if self.release == "current" else f"{self.release}:{base}"

    @property
    def dims(self) -> list[str]:
        return privacy.layout(self.frame).dims

    @classmethod
    def from_disclosed(
        cls,
        name: str,
        table: privacy.DisclosedTable,
        *,
        population: Population | None = None,
        brief: str = "",
        release: str = "current",
        extras: tuple[tuple[str, ...], ...] = (),
        noise: int | None = None,
    ) -> PublishedTable:
        """Wrap a DisclosedTable (tests, notebooks) as if it had been read from a run folder;
        the population and the noise default to what the table itself records."""
        if population is None and table.population is not None:
            population = Population.from_json(_with_data(table.population, "data:test"))
        return cls(
            name=name,
            frame=table.table,
            count=privacy.layout(table.table).count or "",
            brief=brief,
            release=release,
            threshold=table.rules.min_count,
            population=population,
            extras=extras,
            noise=table.max_perturbation if noise is None else noise,
            complementary=table.complementary,
        )


def _data_key(manifest: Mapping[str, Any], fallback: str) -> str:
    inputs = manifest.get("inputs")
    if not inputs:
        return fallback  # no fingerprint: link only within this run folder
    text = json.dumps(inputs, sort_keys=True)
    return "data:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _brief_dirs(run_dir: Path) -> list[Path]:
    if (run_dir / LEDGER).exists() or (run_dir / "tables").is_dir():
        return [run_dir]
    if (run_dir / "release").is_dir():  # a run folder: audit what it releases
        return _brief_dirs(run_dir / "release")
    return sorted(
        p
        for p in run_dir.iterdir()
        if p.is_dir() and ((p / LEDGER).exists() or (p / "tables").is_dir())
    )


@dataclass
class Skipped:
    """A published file the auditor did not treat as a count table, and why."""

    file: str
    reason: str


def _ledger_entries(bdir: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The disclosure stamps of a brief folder's tables: its own ledger, or — in a run's
    ``release/<field>/``, which carries none — the ledger of ``internal/<field>/`` (entries
    whose file hash matches what was released), else the manifest's table entries."""
    own = bdir / LEDGER
    if own.exists():
        return dict(json.loads(own.read_text(encoding="utf-8")).get("tables", {}))
    if bdir.parent.name == "release":
        internal = bdir.parent.parent / "internal" / bdir.name / LEDGER
        if internal.exists():
            entries = json.loads(internal.read_text(encoding="utf-8")).get("tables", {})
            released = {e.get("file"): e.get("sha256") for e in manifest.get("tables", {}).values()}
            return {
                n: e
                for n, e in entries.items()
                if not released or released.get(e["file"]) == e["sha256"]
            }
    return dict(manifest.get("tables", {}))


def load_release(
    run_dir: str | Path, release: str = "current"
) -> tuple[list[PublishedTable], list[Skipped]]:
    """Every count table of a run folder (its ``release/`` when it has one) or of one brief
    folder, with its population."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder not found: {run_dir}")
    tables: list[PublishedTable] = []
    skipped: list[Skipped] = []
    briefs = _brief_dirs(run_dir)
    if not briefs:
        raise FileNotFoundError(
            f"{run_dir}: no brief folders with tables/ or {LEDGER}; give a run folder "
            "(outputs/<run_id>) or one field's folder"
        )
    for bdir in briefs:
        mpath = bdir / "manifest.json"
        manifest = json.loads(mpath.read_text(encoding="utf-8")) if mpath.exists() else {}
        field_code = str(manifest.get("field_code") or bdir.name)
        brief = bdir.name
        data_key = _data_key(manifest, f"run:{run_dir.resolve()}")
        params_by_nb = manifest.get("parameters") or {}
        entries = _ledger_entries(bdir, manifest)
        by_file = {e["file"]: (n, e) for n, e in entries.items()}
        for path in sorted((bdir / "tables").glob("*.parquet")):
            rel = path.relative_to(bdir).as_posix()
            if path.name.endswith(".suppressed_cells.parquet"):
                continue
            name, entry = by_file.get(rel, (path.stem, {}))
            df = pl.read_parquet(path)
            count = entry.get("count_column") or privacy.layout(df).count
            where = f"{bdir.name}/{rel}"
            if not count or count not in df.columns or not df.schema[count].is_numeric():
                skipped.append(
                    Skipped(where, "no count column (not written by report.save_tables)")
                )
                continue
            notes = [] if entry else ["not in the ledger (no disclosure stamp)"]
            nb = entry.get("notebook")
            params = params_by_nb.get(nb, {}) if nb else {}
            if nb and nb not in params_by_nb:
                notes.append(f"notebook parameters not in the manifest; {nb} defaults assumed")
            pop: Population | None = None
            extras: tuple[tuple[str, ...], ...] = ()
            if entry.get("population"):
                pop = Population.from_json(_with_data(entry["population"], data_key))
            else:
                pop, extras = registry_population(nb, name, field_code, params, data_key)
            rules = entry.get("rules") or {}
            t = PublishedTable(
                name=name,
                frame=df,
                count=count,
                brief=brief,
                release=release,
                file=where,
                threshold=int(rules.get("min_count", 5)),
                population=pop,
                extras=extras,
                notes=notes,
                noise=int(rules.get("max_perturbation", 0) or 0),
                complementary=bool(entry.get("complementary_suppression", True)),
            )
            tables.append(t)
    summary = briefs[0].parent / "summary"
    if summary.is_dir() and run_dir not in briefs:
        for p in sorted(summary.glob("*.parquet")):
            skipped.append(
                Skipped(
                    f"summary/{p.name}",
                    "key numbers (rates computed from the published counts), no count cells",
                )
            )
    return tables, skipped


# ---------------------------------------------------------------------------------------------
# The linear model
# ---------------------------------------------------------------------------------------------


@dataclass
class _Cells:
    """The count cells of one table: interior first, then margins."""

    keys: list[tuple[str, ...]]
    values: list[int | None]  # None: suppressed
    margin_dims: list[frozenset[int]]  # positions of TOTAL in the keys (empty: interior)
    base: int = 0  # global index of the first cell


def _cells(t: PublishedTable) -> _Cells:
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
    return _Cells(keys, values, margin)


@dataclass
class _Constraint:
    coefs: dict[int, float]
    sense: str  # "eq" or "ge" (sum coefs * x  sense  rhs)
    rhs: float
    source: str


def _resolve(v: ValueSet, domain: frozenset[str]) -> frozenset[str]:
    return domain - v.values if isinstance(v, AllExcept) else v


@dataclass
class _Linked:
    """A table placed in its universe: coverage per attribute and each interior cell's classes."""

    index: int
    attrs: dict[str, int]  # attribute -> position in the dims
    cov: dict[str, frozenset[str]]  # attribute -> values the table counts (filters / dims)
    cell_ids: list[int]
    cell_classes: list[tuple[frozenset[str], ...]]  # per interior cell, class per dim


def _domains(tables: list[tuple[PublishedTable, _Cells]]) -> dict[str, frozenset[str]]:
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


def _place(i: int, t: PublishedTable, cells: _Cells, domain: dict[str, frozenset[str]]) -> _Linked:
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
    return _Linked(i, attrs, cov, ids, classes)


def same_cells(tables: Sequence[PublishedTable]) -> list[list[tuple[int, int]]]:
    """Groups of entries (table index, row index) that count exactly the same units: cells or
    margins of tables of one universe that cover the same values of every attribute (a 12-field
    comparison's row and a field's own total, a wage table's head count and a status table's
    employed cell). What one of them hides, the others must hide too; used to make a family of
    tables consistent before it is published (``careers``)."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    cells = [_cells(t) for t in tables]
    for i, t in enumerate(tables):
        if t.population is not None and set(t.population.dims) == set(t.dims):
            groups[t.population.universe].append(i)
    by_sig: dict[tuple[Any, ...], list[tuple[int, int]]] = defaultdict(list)
    for universe, members in groups.items():
        domain = _domains([(tables[i], cells[i]) for i in members])
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


def secondary_cells(result: AuditResult) -> dict[str, list[dict[str, str]]]:
    """Secondary suppression after a failed audit: for every failing cell, the smallest published
    non-zero cell of its table that shares a line with it (a value of one of its dimensions; in a
    1-D table any other cell), and every cell elsewhere in the release that counts exactly the
    same units (``same_cells``) — hiding them widens the failing cell's interval, and hiding
    only removes information. Returns table uid → cells (dimension → value) to hide (of this
    release: the earlier ones it was audited with only link cells)."""
    tables = result.published
    by_uid = {t.uid: i for i, t in enumerate(tables)}
    cells = [_cells(t) for t in tables]
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


def _link(a: _Linked, b: _Linked, domain: dict[str, frozenset[str]]) -> list[dict[int, float]]:
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

    def sums(t: _Linked, cov: dict[str, frozenset[str]]) -> dict[tuple[int, ...], list[int]]:
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


def _within(t: PublishedTable, cells: _Cells) -> list[_Constraint]:
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
        out.append(_Constraint(coefs, "eq", 0.0, f"{t.uid}: margin"))
    return out


def _numeric_key(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return math.inf


def _extras(
    t: PublishedTable,
    cells: _Cells,
    siblings: Mapping[tuple[str, str, str], tuple[PublishedTable, _Cells]],
) -> list[_Constraint]:
    """Known structure beyond populations: a symmetric table (co-occurrences), counts that never
    grow along a dimension (people at risk), a count of rows of another table (companies)."""
    out: list[_Constraint] = []
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
                    out.append(_Constraint({g: 1.0, h: -1.0}, "eq", 0.0, f"{t.uid}: symmetric"))
        elif ex[0] == "nonincreasing" and dims == [ex[1]]:
            order = sorted(interior, key=lambda k: _numeric_key(k[0]))
            for k0, k1 in zip(order, order[1:], strict=False):
                out.append(
                    _Constraint(
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
                    _Constraint(
                        {g: 1.0},
                        "eq" if complete else "ge",
                        float(n_rows.get(k[0], 0)),
                        f"{t.uid}: rows of {ot.uid}",
                    )
                )
    return out


# ---------------------------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------------------------


def protection_level(threshold: int, protection: int | None = None) -> int:
    """p: the narrowest interval allowed for a cell that may be a small count."""
    return int(protection) if protection is not None else privacy.protection_interval(threshold)


def verdict(lower: int | None, upper: int | None, threshold: int, p: int) -> tuple[str, str]:
    """pass / fail / review for a suppressed cell with feasible interval [lower, upper]."""
    if lower is None:
        return "review", "구간을 계산하지 못함 / no interval"
    if upper is None:
        return "pass", "상한 없음 / unbounded above"
    if lower >= threshold:
        what = "정확히 복원됨" if lower == upper else "기준 이상"
        return "pass", f"{what}(≥{threshold}): 작은 값 아님 / not a small count"
    if upper - lower < p:
        if lower == upper:
            return "fail", f"정확히 복원됨 = {lower} / recovered exactly"
        return "fail", f"폭 {upper - lower} < {p} / interval narrower than {p}"
    return "pass", f"폭 {upper - lower} ≥ {p}"


@dataclass
class CellResult:
    """The audit of one suppressed cell."""

    table: str
    release: str
    keys: dict[str, str]
    margin: bool
    lower: int | None
    upper: int | None
    best_guess: int | None
    verdict: str
    reason: str
    method: str
    component_tables: int  # tables whose equations bound this cell (its connected component)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TableResult:
    """ACRO-style outcome of one output: checks run, status, summary."""

    uid: str
    name: str
    brief: str
    release: str
    file: str
    count: str
    dims: list[str]
    population: dict[str, Any] | None
    cells: int
    suppressed: int
    checks: dict[str, dict[str, Any]]
    status: str
    summary: str
    notes: list[str]


@dataclass
class AuditResult:
    """Everything check_release found, with the numbers the report shows."""

    tables: list[TableResult]
    cells: list[CellResult]
    skipped: list[Skipped]
    inconsistencies: list[str]
    protection: int | None
    seconds: float
    run_dir: str = ""
    previous: list[str] = field(default_factory=list)
    # the tables audited, for secondary_cells (not in the reports)
    published: list[PublishedTable] = field(default_factory=list, repr=False)

    @property
    def status(self) -> str:
        """fail if any table of this release or any suppressed cell (earlier releases included,
        since publishing this one must not break them) fails; else review, else pass."""
        st = {t.status for t in self.tables if t.release == "current"}
        st |= {c.verdict for c in self.cells}
        return "fail" if "fail" in st else "review" if "review" in st else "pass"

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "fail" else 0

    def counts(self, release: str | None = None) -> dict[str, int]:
        """Tables and suppressed cells, failing, under review, recovered exactly."""
        cur = [c for c in self.cells if release is None or c.release == release]
        tabs = [t for t in self.tables if release is None or t.release == release]
        return {
            "tables": len(tabs),
            "tables_fail": sum(t.status == "fail" for t in tabs),
            "tables_review": sum(t.status == "review" for t in tabs),
            "cells_suppressed": len(cur),
            "cells_fail": sum(c.verdict == "fail" for c in cur),
            "cells_review": sum(c.verdict == "review" for c in cur),
            "cells_exact": sum(c.lower is not None and c.lower == c.upper for c in cur),
            "cells_fail_exact": sum(c.verdict == "fail" and c.lower == c.upper for c in cur),
        }

    def by_family(self) -> dict[str, dict[str, int]]:
        """Per table name across briefs: suppressed, fail, exact recoveries."""
        fam: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        name_of = {t.uid: t.name for t in self.tables}
        for c in self.cells:
            f = fam[name_of.get(c.table, c.table)]
            f["suppressed"] += 1
            f["fail"] += c.verdict == "fail"
            f["review"] += c.verdict == "review"
            f["exact"] += c.lower is not None and c.lower == c.upper
        return {k: dict(v) for k, v in sorted(fam.items())}

    def published_share(self) -> float | None:
        """Share of this release's count cells that are published (not suppressed)."""
        cur = [t for t in self.tables if t.release == "current"]
        total = sum(t.cells for t in cur)
        return round(1 - sum(t.suppressed for t in cur) / total, 4) if total else None

    def public_json(self) -> dict[str, Any]:
        """What may go out with a release that passed: the verdict, the rule and the counts — no
        cell, interval or guess, and no list of tables under review (that would point at the
        weakest spots; ``to_json`` has it all, internal)."""
        return {
            "tool": "talentlib.audit",
            "version": __version__,
            "status": self.status,
            "protection_rule": self.to_json_rule(),
            "summary": self.counts("current"),
            "published_share": self.published_share(),
            "previous_releases": len(self.previous),
        }

    def to_json_rule(self) -> str:
        return "fail if lower < threshold and upper - lower < p; " + (
            f"p = {self.protection}"
            if self.protection is not None
            else "p = max(3, ceil(0.3 * threshold))"
        )

    def to_json(self) -> dict[str, Any]:
        detail: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in self.cells:
            if c.verdict != "pass":
                detail[c.table].append(c.as_dict())
        return {
            "tool": "talentlib.audit",
            "internal": "names recoverable values of suppressed cells: never publish this report",
            "version": __version__,
            "created": datetime.now(UTC).isoformat(),
            "run_dir": self.run_dir,
            "previous": self.previous,
            "status": self.status,
            "protection_rule": self.to_json_rule(),
            "summary": self.counts(),
            "summary_this_release": self.counts("current"),
            "families": self.by_family(),
            "seconds": round(self.seconds, 2),
            "inconsistencies": self.inconsistencies,
            "skipped": [s.__dict__ for s in self.skipped],
            "results": {
                t.uid: {
                    **{k: v for k, v in t.__dict__.items() if k != "uid"},
                    "cells_detail": detail.get(t.uid, []),
                }
                for t in self.tables
            },
        }


# ---------------------------------------------------------------------------------------------
# Solving
# ---------------------------------------------------------------------------------------------


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


class _UnionFind:
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
    cells: list[_Cells] = []
    base = 0
    for t in tables:
        c = _cells(t)
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

    constraints: list[_Constraint] = []
    within_of: dict[int, list[int]] = defaultdict(list)  # table -> its own constraints
    notes: dict[int, list[str]] = defaultdict(list)
    for i, (t, c) in enumerate(zip(tables, cells, strict=True)):
        for k in _within(t, c):
            within_of[i].append(len(constraints))
            constraints.append(k)
    siblings = {(t.release, t.brief, t.name): (t, c) for t, c in zip(tables, cells, strict=True)}
    for i, (t, c) in enumerate(zip(tables, cells, strict=True)):
        for k in _extras(t, c, siblings):
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
        domain = _domains([(tables[i], cells[i]) for i in members])
        placed = [_place(i, tables[i], cells[i], domain) for i in members]
        for x in range(len(placed)):
            for y in range(x + 1, len(placed)):
                eqs = _link(placed[x], placed[y], domain)
                if eqs:
                    a, b = placed[x].index, placed[y].index
                    linked_to[a].add(b)
                    linked_to[b].add(a)
                    src = f"{tables[a].uid} ~ {tables[b].uid}"
                    constraints += [_Constraint(e, "eq", 0.0, src) for e in eqs]

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

    uf = _UnionFind()
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
    with _workers(workers) as pool:
        solved = {
            root: _solve_component(
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
            for sub_vs, sub_cons in _split(vs, sub):
                res2, st2 = _solve_component(sub_vs, sub_cons, bounds, targets)
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


# A piece of the constraint system with at least this many unknowns and constraints has its
# cells' bounds shared out over the worker processes (each builds the same LP and bounds its
# share of the cells); smaller pieces are solved here, where a worker's start (~1 s) costs more.
PARALLEL_MIN_SIZE = 5_000

_Solved = tuple[dict[int, tuple[int | None, int | None, str]], str]


@contextlib.contextmanager
def _workers(n: int | None) -> Iterator[Any]:
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


def _solve_component(
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
        for sub_vs, sub_cons in _split(pre.free, pre.cons)
        if need is None or not need.isdisjoint(sub_vs)
    ]
    for res, st in _solve_pieces(pieces, bounds, pool, stop):
        if st != "ok":
            return {}, st
        out.update(res)
    for v, r in pre.alias.items():
        out[v] = out.get(r, (None, None, "error"))
    return out, "ok"


def _split(
    vs: list[int], cons: list[tuple[dict[int, float], str, float]]
) -> list[tuple[list[int], list[tuple[dict[int, float], str, float]]]]:
    uf = _UnionFind()
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


# ---------------------------------------------------------------------------------------------
# Reports and the command
# ---------------------------------------------------------------------------------------------

STATUS_KO = {"pass": "통과", "fail": "실패", "review": "검토"}


def _keys_text(keys: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={'합계' if v == TOTAL else v}" for k, v in keys.items()) or "(합계)"


def to_markdown(r: AuditResult) -> str:
    """The readable Korean report."""
    n = r.counts()
    p = (
        f"p = {r.protection}"
        if r.protection is not None
        else "p = max(3, ⌈0.3 × 최소 인원⌉) (최소 인원 5이면 3)"
    )
    lines = [
        "# 공개 묶음 점검 보고서 (차분·연립 역산)",
        "",
        "> 내부용: 이 보고서는 비공개 셀의 복원 가능한 값을 담고 있으므로 공개하지 마십시오.",
        "",
        f"- 실행 폴더: `{r.run_dir}`"
        + (f" · 이전 공개: {', '.join(f'`{x}`' for x in r.previous)}" if r.previous else ""),
        f"- 결과: **{STATUS_KO[r.status]}** · 표 {n['tables']}개 (실패 {n['tables_fail']}, 검토 {n['tables_review']})",
        f"- 비공개 셀 {n['cells_suppressed']}개 중 실패 {n['cells_fail']}개 (정확히 복원 {n['cells_fail_exact']}개), "
        f"검토 {n['cells_review']}개; 값이 정확히 복원되는 비공개 셀 전체 {n['cells_exact']}개",
        f"- 계산 시간 {r.seconds:.1f}초",
        "",
        "## 점검 방법",
        "",
        "공개된 모든 표를 함께 놓고, 같은 모집단을 세는 표끼리(같은 데이터·코호트·기준 시점) 합계가 같다는 "
        "연립방정식과 각 표의 합계 행을 세운 뒤, 비공개 셀마다 선형계획(HiGHS)으로 가능한 최솟값과 "
        "최댓값을 구했습니다(정수 조건 반영, 0은 공개되므로 비공개 셀은 1 이상).",
        "",
        f"**보호 규칙**: 하한 < 최소 인원 이고 (상한 − 하한) < p 이면 실패. {p}. "
        "하한이 최소 인원 이상인 셀(보완 비공개 셀)은 작은 값이 아니므로 통과로 봅니다.",
        "",
    ]
    if r.inconsistencies:
        lines += ["## 모순 (검토 필요)", ""] + [f"- {x}" for x in r.inconsistencies] + [""]
    fam = r.by_family()
    if fam:
        lines += [
            "## 표 종류별",
            "",
            "| 표 | 비공개 셀 | 실패 | 정확히 복원 | 검토 |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, f in fam.items():
            lines.append(
                f"| {name} | {f.get('suppressed', 0)} | {f.get('fail', 0)} | {f.get('exact', 0)} | {f.get('review', 0)} |"
            )
        lines.append("")
    lines += ["## 표별 결과", "", "| 표 | 결과 | 요약 | 연결된 표 |", "|---|---|---|---:|"]
    for t in r.tables:
        lines.append(
            f"| {t.uid} | {STATUS_KO[t.status]} | {t.summary} | "
            f"{len(t.checks['differencing'].get('linked_tables', []))} |"
        )
    fails = [c for c in r.cells if c.verdict != "pass"]
    if fails:
        lines += [
            "",
            "## 실패·검토 셀",
            "",
            "| 표 | 셀 | 구간 | 추정값 | 판정 | 이유 |",
            "|---|---|---|---:|---|---|",
        ]
        for c in fails:
            iv = "?" if c.lower is None else f"[{c.lower}, {'∞' if c.upper is None else c.upper}]"
            lines.append(
                f"| {c.table} | {_keys_text(c.keys)} | {iv} | {'' if c.best_guess is None else c.best_guess} | "
                f"{STATUS_KO[c.verdict]} | {c.reason} |"
            )
    if r.skipped:
        lines += ["", "## 점검하지 않은 파일", ""] + [
            f"- `{s.file}`: {s.reason}" for s in r.skipped
        ]
    notes = [(t.uid, x) for t in r.tables for x in t.notes]
    if notes:
        lines += ["", "## 참고", ""] + [f"- {u}: {x}" for u, x in notes]
    return "\n".join(lines) + "\n"


def check_release(
    run_dir: str | Path,
    *,
    previous: Sequence[str | Path] = (),
    protection: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    exact: bool = True,
) -> AuditResult:
    """Audit a run folder (with earlier releases as extra constraints) and write
    check_report.json and check_report.md into ``out`` (default RUN_DIR/check/); ``exact`` as
    in ``audit``."""
    run_dir = Path(run_dir)
    tables, skipped = load_release(run_dir, "current")
    for k, prev in enumerate(previous, start=1):
        t2, s2 = load_release(prev, f"previous{k}")
        tables += t2
    result = audit(tables, protection=protection, skipped=skipped, workers=workers, exact=exact)
    result.run_dir = str(run_dir)
    result.previous = [str(p) for p in previous]
    out = Path(out) if out else run_dir / "check"
    io.write_json_atomic(result.to_json(), out / REPORT_JSON)
    io.write_text_atomic(to_markdown(result), out / REPORT_MD)
    return result
