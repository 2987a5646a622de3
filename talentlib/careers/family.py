"""The release family: every field's tables and the 12-field comparison hidden consistently,
solved once per batch run and reused by the other fields."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from .. import config, io, privacy, taxonomy
from ..linkage import LinkedData, field_slice
from .states import CareerTables, CohortSpec, cohort, states_at
from .tables import cohort_tables, fields_frames, people_table, wage_table

_T = TypeVar("_T")


def career_tables(
    linked: LinkedData, spec: CohortSpec, rules: privacy.DisclosureRules | None = None
) -> CareerTables:
    """Every career-flow table of one cohort, each through disclosure control.

    A whole field's cohort (no technologies, roles or degrees chosen) is one brief of the
    release: its tables come from ``release_family``, consistent with every other field's and
    with the 12-field comparison. A narrower cohort is protected on its own.
    """
    rules = rules or privacy.DisclosureRules()
    if spec.techs is None and spec.roles is None and spec.degrees is None:
        fields = taxonomy.fields()["code"].to_list()
        if spec.field in fields:
            family, _ = release_family(
                linked, exit_years=spec.exit_years, rules=rules, data_end=spec.data_end
            )
            return family[spec.field]
    return cohort_tables(linked, spec, rules)


def field_comparison(
    linked: LinkedData,
    fields: list[str] | None = None,
    exit_years: tuple[int, int] = (2013, 2023),
    rules: privacy.DisclosureRules | None = None,
) -> dict[str, privacy.DisclosedTable]:
    """All fields side by side: status at 12 months, employer type, and wages — each disclosed,
    consistent with the fields' own tables (``release_family``) when all fields are compared.

    Rates for a brief are computed from these published counts, so a suppressed count can never
    leak through a rate.
    """
    rules = rules or privacy.DisclosureRules()
    every = taxonomy.fields()["code"].to_list()
    if fields is None or sorted(fields) == sorted(every):
        _, comparison = release_family(linked, exit_years=tuple(exit_years), rules=rules)
        return comparison
    return _comparison(linked, fields, tuple(exit_years), rules)


# A release family is computed once per linked data, rules and cohort definition in a process.
_FAMILIES: dict[tuple[Any, ...], tuple[LinkedData, Any]] = {}
FAMILY_ROUNDS = 50


def release_family(
    linked: LinkedData,
    *,
    exit_years: tuple[int, int] = (2013, 2023),
    rules: privacy.DisclosureRules | None = None,
    data_end: date = CohortSpec.data_end,
) -> tuple[Mapping[str, CareerTables], dict[str, privacy.DisclosedTable]]:
    """Every field's career tables and the 12-field comparison as one family: a cell that
    counts the same people as a cell hidden in another table of the family (the comparison's
    row and the field's own total, a flow's column total and a destination, a wage table's head
    count) is hidden too, and the patterns are completed again, until nothing changes. So what
    one brief hides no other brief prints; every notebook run computes the same family and
    publishes its own field's part (in a batch run the first one finds the pattern and the
    others reuse it: ``_shared_family``). Identical cells are found by ``audit.same_cells`` from the
    tables' populations. The frames and counts are made once; a round recomputes only the
    briefs whose hidden cells changed.
    """
    rules = rules or privacy.DisclosureRules()
    key = (id(linked), tuple(exit_years), data_end, rules)
    hit = _FAMILIES.get(key)
    if hit is not None and hit[0] is linked:
        return hit[1]
    prepared = config.prepared_dir()
    if prepared:
        result = _shared_family(linked, tuple(exit_years), rules, data_end, prepared)
    else:
        family, comparison, *_ = _solve_family(linked, tuple(exit_years), rules, data_end)
        result = family, comparison
    if len(_FAMILIES) > 4:
        _FAMILIES.clear()
    _FAMILIES[key] = (linked, result)
    return result


_Forced = dict[str | None, dict[str, set[tuple[str, ...]]]]


def _linked_fingerprint(linked: LinkedData) -> str:
    """The linked data's content (row hashes summed: the order of rows does not matter), or
    the key a batch run's prepared linking gave it (without reading the registers)."""
    if "fingerprint" in linked.extra:
        return str(linked.extra["fingerprint"])
    parts = []
    for name in ("researchers", "participations", "spells", "links", "annual_wages"):
        df = getattr(linked, name)
        if df is not None:
            parts.append([name, df.columns, df.height, int(df.hash_rows(seed=7).sum())])
    return io.content_key(parts)


class _FieldsOnDemand(Mapping[str, "CareerTables"]):
    """Every field's tables of a family whose hidden cells are known, each made when asked."""

    def __init__(self, fields: list[str], make: Callable[[str], CareerTables]) -> None:
        self._fields, self._make, self._made = fields, make, {}

    def __getitem__(self, f: str) -> CareerTables:
        if f not in self._fields:
            raise KeyError(f)
        if f not in self._made:
            self._made[f] = self._make(f)
        return self._made[f]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def _shared_family(
    linked: LinkedData,
    exit_years: tuple[int, int],
    rules: privacy.DisclosureRules,
    data_end: date,
    prepared: Path,
) -> tuple[Mapping[str, CareerTables], dict[str, privacy.DisclosedTable]]:
    """The family as a batch run shares it: the first field's notebook finds the consistent
    pattern (all fields, rounds until nothing changes) and keeps the cells it had to hide in
    the run's prepared folder; every other field waits on the lock, reads them and makes only
    its own tables and the comparison with them: the same tables, without solving again."""
    fields = taxonomy.fields()["code"].to_list()
    key = io.content_key(
        [
            _linked_fingerprint(linked),
            list(exit_years),
            str(data_end),
            rules.public(),
            FAMILY_VERSION,
        ]
    )
    path = prepared / "careers" / f"family-{key}.json"
    states_path = path.with_suffix(".states12.parquet")
    with io.exclusive(path.with_suffix(".lock")):
        if not path.exists():
            family, comparison, forced, dims_of, states12 = _solve_family(
                linked, exit_years, rules, data_end
            )
            if states12 is not None:  # what the comparison counts: the others need not
                io.write_parquet_atomic(  # compute every field's cohort and states again
                    pl.concat(
                        s.select("researcher_id", "field_code", *_COMPARED)
                        for s in states12.values()
                    ),
                    states_path,
                )
            io.write_json_atomic(
                {
                    "dims": dims_of,
                    "hidden": [
                        [owner, name, sorted(list(c) for c in cells)]
                        for owner, tables in sorted(forced.items(), key=lambda x: str(x[0]))
                        for name, cells in sorted(tables.items())
                    ],
                },
                path,
            )
            return family, comparison
    saved = json.loads(path.read_text(encoding="utf-8"))
    dims_of = {k: list(v) for k, v in saved["dims"].items()}
    forced: _Forced = {}
    for owner, name, cells in saved["hidden"]:
        forced.setdefault(owner, {})[name] = {tuple(c) for c in cells}

    def frames(owner: str | None) -> dict[str, pl.DataFrame]:
        return {
            name: pl.DataFrame(sorted(cells), schema=dims_of[name], orient="row")
            for name, cells in forced.get(owner, {}).items()
        }

    def own(f: str) -> CareerTables:
        spec = CohortSpec(field=f, exit_years=exit_years, data_end=data_end)
        return cohort_tables(field_slice(linked, f), spec, rules, frames(f))

    states12 = None
    if states_path.exists():
        stacked = pl.read_parquet(states_path)
        states12 = {f: stacked.filter(pl.col("field_code") == f) for f in fields}
    comparison = _comparison(linked, fields, exit_years, rules, frames(None), states12, {})
    return _FieldsOnDemand(fields, own), comparison


# the columns of a field's 12-month states the 12-field comparison counts
_COMPARED = ("state", "employer_type", "wage_monthly")


# Changes when what the family hides for the same data and rules changes (a saved pattern of an
# earlier version is then not reused by a resumed run).
FAMILY_VERSION = 2


def _solve_family(
    linked: LinkedData,
    exit_years: tuple[int, int],
    rules: privacy.DisclosureRules,
    data_end: date,
) -> tuple[
    dict[str, CareerTables],
    dict[str, privacy.DisclosedTable],
    _Forced,
    dict[str, list[str]],
    dict[str, pl.DataFrame] | None,
]:
    """The rounds of ``release_family``: tables, comparison, the cells hidden to match, dims,
    and the fields' 12-month states the comparison counted (None when it made its own)."""
    from talentlib import audit

    fields = taxonomy.fields()["code"].to_list()
    # what no hidden cell changes is made once: each field's frames and counted cells
    specs = {
        f: CohortSpec(field=f, exit_years=tuple(exit_years), data_end=data_end) for f in fields
    }
    # all fields' cohorts and states in one pass (the frames cohort_frames makes field by field)
    cohorts = fields_frames(linked, [specs[f] for f in fields], rules.cell_key_salt)
    # the comparison's cohorts end at the default data end: the fields' 12-month states when
    # theirs does too
    states12 = (
        {f: cohorts[f].states_12m for f in fields} if data_end == CohortSpec.data_end else None
    )
    comparison_memo: dict[Any, Any] = {}
    # per owner (a field, None for the comparison) and table: the cells hidden to match
    forced: _Forced = {}
    dims_of: dict[str, list[str]] = {}
    # per owner: the cells it was last computed with and its tables then (an owner whose
    # hidden cells did not change in a round gives the same tables: not computed again)
    last: dict[str | None, tuple[Any, Any]] = {}

    def frames(owner: str | None) -> dict[str, pl.DataFrame]:
        return {
            name: pl.DataFrame(sorted(cells), schema=dims_of[name], orient="row")
            for name, cells in forced.get(owner, {}).items()
        }

    def tables_of(owner: str | None, make: Callable[[dict[str, pl.DataFrame]], _T]) -> _T:
        cells = tuple(
            sorted(
                (name, tuple(dims_of[name]), tuple(sorted(c)))
                for name, c in forced.get(owner, {}).items()
            )
        )
        prev = last.get(owner)
        if prev is None or prev[0] != cells:
            last[owner] = (cells, make(frames(owner)))
        return last[owner][1]

    for _ in range(FAMILY_ROUNDS):
        family = {
            f: tables_of(
                f, lambda hide, f=f: cohort_tables(linked, specs[f], rules, hide, cohorts[f])
            )
            for f in fields
        }
        comparison = tables_of(
            None,
            lambda hide: _comparison(
                linked, fields, tuple(exit_years), rules, hide, states12, comparison_memo
            ),
        )
        owners: list[tuple[str | None, str]] = []
        pubs: list[audit.PublishedTable] = []
        for owner, tables in [*((f, family[f].tables) for f in fields), (None, comparison)]:
            for name, t in tables.items():
                if t.population is None:
                    continue
                owners.append((owner, name))
                pubs.append(audit.PublishedTable.from_disclosed(name, t, brief=owner or ""))
        changed = False
        for group in audit.same_cells(pubs):
            hidden = [pubs[i].frame.get_column(pubs[i].count)[j] is None for i, j in group]
            if all(hidden) or not any(hidden):
                continue
            for (i, j), h in zip(group, hidden, strict=True):
                if h:
                    continue
                owner, name = owners[i]
                dims_of[name] = pubs[i].dims
                row = pubs[i].frame.select(pl.col(d).cast(pl.String) for d in pubs[i].dims).row(j)
                forced.setdefault(owner, {}).setdefault(name, set()).add(tuple(row))
                changed = True
        if not changed:
            break
    else:
        raise RuntimeError(f"release_family: no consistent pattern after {FAMILY_ROUNDS} rounds")
    return family, comparison, forced, dims_of, states12


def _comparison(
    linked: LinkedData,
    fields: list[str],
    exit_years: tuple[int, int],
    rules: privacy.DisclosureRules,
    forced: Mapping[str, pl.DataFrame] | None = None,
    states12: Mapping[str, pl.DataFrame] | None = None,
    memo: dict[Any, Any] | None = None,
) -> dict[str, privacy.DisclosedTable]:
    """The 12-field comparison tables, hiding the ``forced`` cells besides; ``states12`` are
    the fields' states at 12 months when made already, ``memo`` keeps the counted cells."""
    states, emp = [], []
    for f in fields:
        spec = CohortSpec(field=f, exit_years=exit_years)
        s12 = (
            states12[f]
            if states12 is not None
            else states_at(
                cohort(linked, spec), linked.spells, 12, spec.data_end, linked.annual_wages
            )
        )
        states.append(s12.select("researcher_id", "field_code", "state"))
        emp.append(
            s12.filter(pl.col("state") == "employed").select(
                "researcher_id", "field_code", "employer_type", "wage_monthly"
            )
        )
    st = pl.concat(states)
    em = pl.concat(emp)
    # the comparison's population ignores the field (its cells are fields): any spec will do
    spec = CohortSpec(field=fields[0], exit_years=exit_years)
    out = {
        name: people_table(
            df, "field_code", col, rules=rules, name=name, spec=spec, forced=forced, memo=memo
        )
        for name, df, col in (
            ("fields_status_12m", st, "state"),
            ("fields_employer_type_12m", em, "employer_type"),
        )
    }
    out["fields_wage_12m"] = wage_table(
        em,
        "field_code",
        "wage_monthly",
        rules=rules,
        name="fields_wage_12m",
        spec=spec,
        counts=out["fields_status_12m"],
        employed="state",
        forced=forced,
        memo=memo,
    )
    return out
