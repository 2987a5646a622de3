"""What each published table counts: ``Population`` metadata (universe, dimensions, recodes,
filters) as the table writers record it in the ledger, and the registry that stands in for ledgers
without it (``registry_population``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import privacy


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
# Structure that is not a population but still constrains: see model.structure_constraints.
_EXTRAS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("03_career_flow", "time_to_first_job_students"): (("nonincreasing", "months"),),
    ("02_job_analysis", "cooccurrence"): (("symmetric", "code_a", "code_b"),),
    ("02_job_analysis", "companies_by_company_type"): (
        ("rows_of", "postings_by_company", "company_type"),
    ),
}


def with_data(population: Mapping[str, Any], data_key: str) -> dict[str, Any]:
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
        from .. import careers  # the career tables say what they count (careers.population)

        spec = careers.CohortSpec(
            field=field_code,
            techs=tuple(params["techs"]) if params.get("techs") else None,
            exit_years=tuple(params.get("exit_years", [2013, 2023])),  # type: ignore[arg-type]
            roles=tuple(params["roles"]) if params.get("roles") else None,
        )
        career = careers.population(name, spec)
        if career is not None:
            return Population.from_json(with_data(career, data_key)), extras
    if nb in ("01_workforce_map", ""):
        from .. import workforce  # the head-count tables say what they count

        years = params.get("years", [2013, 2023])
        mspec = workforce.MapSpec(
            field=field_code,
            years=(int(years[0]), int(years[-1])),
            top_k_institutions=int(params.get("top_k_institutions", 5)),
        )
        wpop = workforce.population(name, mspec)
        if wpop is not None:
            return Population.from_json(with_data(wpop, data_key)), extras
    if nb in ("02_job_analysis", "") and name in _POSTINGS_TABLES:
        universe = ("postings", data_key, _key_params(params))
        return Population(universe, {c: c for c in _POSTINGS_TABLES[name]}, {}, own), extras
    return None, extras
