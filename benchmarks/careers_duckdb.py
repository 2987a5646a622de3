"""A DuckDB peer of the career tables: the same core cells in hand-written SQL, for the benchmark.

Not part of the library: an independent implementation of `talentlib.careers`' definitions
(read there), checked cell for cell against talentlib's unprotected counts by
``tests/test_careers.py`` and timed against them by ``bench_careers.py``. Both start from the
contract-validated frames; the peer does the keyed linkage itself. Both read the same contract-validated data, written once as parquet by
``write_validated`` (talentlib's contracts at the door are not what is compared), each with its
own reader. Its core tables, for every field at once (one row per field and cell):

- ``status_{6,12,36}m_by_{exit_role,degree}``: people by state at exit + h months;
- ``monthly_status``: status (sector when employed) every 3 months 0..36 of the people followed
  for 36 months;
- ``destination_employer_type_12m``, ``destination_industry_12m`` (KSIC division): the main job
  of the people employed at 12 months;
- ``wage_12m_by_degree``: their main job's monthly wage, p25 / p50 / p75 (linear interpolation).

Every count comes with its cell key (sum of the people's record keys mod 256, a record key being
the first byte of sha256 of the release salt and the id, as ``talentlib.cellkey`` derives it), so
the check also covers which people sit in each cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import polars as pl

HORIZONS = (6, 12, 36)
MONTHS = tuple(range(0, 37, 3))
DIMS = ("exit_role", "degree")
# the inputs: contract-validated frames, by dataset name
INPUTS = ("researchers", "participations", "employment_spells", "annual_wages", "key_table")

# keyed linkage, cohorts, states and record keys
PREPARE = """
CREATE OR REPLACE TEMP TABLE links AS
WITH k AS (
    SELECT DISTINCT researcher_id, ei_person_id FROM key_table
    WHERE researcher_id IS NOT NULL AND ei_person_id IS NOT NULL
), one_to_one AS (
    SELECT * FROM k
    QUALIFY count(*) OVER (PARTITION BY researcher_id) = 1
        AND count(*) OVER (PARTITION BY ei_person_id) = 1
)
SELECT researcher_id, ei_person_id FROM one_to_one
WHERE researcher_id IN (SELECT researcher_id FROM researchers)
  AND ei_person_id IN (SELECT ei_person_id FROM employment_spells);

CREATE OR REPLACE TEMP TABLE spells AS
SELECT l.researcher_id, s.* FROM employment_spells s JOIN links l USING (ei_person_id);

CREATE OR REPLACE TEMP TABLE wages AS
SELECT spell_id, year, wage_monthly FROM annual_wages
WHERE spell_id IN (SELECT spell_id FROM spells);

-- a person's last participation in a field: the latest end, the largest id among equal ends
CREATE OR REPLACE TEMP TABLE cohort AS
WITH last AS (
    SELECT field_code, researcher_id, max(end_date) AS exit_date,
           arg_max(role, {'end': end_date, 'id': participation_id}) AS exit_role
    FROM participations GROUP BY field_code, researcher_id
)
SELECT l.field_code, l.researcher_id, l.exit_date, l.exit_role, r.degree,
       l.researcher_id IN (SELECT researcher_id FROM links) AS observed
FROM last l JOIN researchers r USING (researcher_id)
WHERE year(l.exit_date) BETWEEN $first_year AND $last_year;

-- each member at exit + months (a month is 30.44 days, whole days), within the data only
CREATE OR REPLACE TEMP TABLE horizons AS
SELECT months::INTEGER AS months, trunc(months * 30.44::DOUBLE)::INTEGER AS days
FROM range(0, 37, 3) r(months);

CREATE OR REPLACE TEMP TABLE states AS
WITH t AS (
    SELECT c.*, h.months, c.exit_date + h.days AS t
    FROM cohort c CROSS JOIN horizons h
    WHERE c.exit_date + h.days <= $data_end
), covering AS (
    -- insured spells covering t, with the wage reported for its year, else the wage at hiring
    SELECT t.field_code, t.researcher_id, t.months, s.spell_id, s.employer_type, s.ksic,
           coalesce(w.wage_monthly, s.wage_monthly) AS wage_monthly
    FROM t JOIN spells s USING (researcher_id)
    LEFT JOIN wages w ON w.spell_id = s.spell_id AND w.year = year(t.t)
    WHERE s.acquired_on <= t.t AND (s.lost_on IS NULL OR s.lost_on >= t.t)
), main AS (
    -- the main job: the highest wage, the smallest spell id among equal wages (wages are
    -- never null: the contract)
    SELECT field_code, researcher_id, months,
           arg_min({'employer_type': employer_type, 'ksic': ksic, 'wage_monthly': wage_monthly},
                   {'wage': -wage_monthly, 'spell': spell_id}) AS job
    FROM covering GROUP BY field_code, researcher_id, months
)
SELECT t.field_code, t.researcher_id, t.exit_role, t.degree, t.months,
       m.job.employer_type, m.job.ksic, m.job.wage_monthly, x.sector,
       CASE WHEN NOT t.observed THEN 'not_observed'
            WHEN m.job IS NULL THEN 'no_insured_job'
            ELSE 'employed' END AS state
FROM t
LEFT JOIN main m USING (field_code, researcher_id, months)
LEFT JOIN sectors x ON x.code = m.job.employer_type;

-- record keys: the first byte of sha256(prefix || id), the prefix made from the salt
CREATE OR REPLACE TEMP TABLE record_keys AS
SELECT researcher_id, ('0x' || left(sha256($prefix || researcher_id), 2))::INTEGER AS record_key
FROM (SELECT DISTINCT researcher_id FROM cohort);
"""


def _count(cells: str, by: Iterable[str], count: str = "people") -> str:
    """Distinct people per (field, cell) of ``cells`` (a query with researcher_id and ``by``)."""
    cols = ", ".join(["field_code", *by])
    return f"""
        SELECT {cols}, count(*) AS {count}, (sum(record_key) % 256)::BIGINT AS cell_key
        FROM (SELECT DISTINCT {cols}, researcher_id FROM ({cells})) JOIN record_keys
        USING (researcher_id)
        GROUP BY ALL ORDER BY ALL"""


EMPLOYED12 = "SELECT * FROM states WHERE months = 12 AND state = 'employed'"
FOLLOWED36 = "SELECT researcher_id, field_code FROM states WHERE months = 36"

TABLES: dict[str, str] = {
    **{
        f"status_{h}m_by_{d}": _count(f"SELECT * FROM states WHERE months = {h}", [d, "state"])
        for h in HORIZONS
        for d in DIMS
    },
    "monthly_status": _count(
        f"""SELECT field_code, researcher_id, months::VARCHAR AS months,
                   CASE WHEN state = 'employed' THEN sector ELSE state END AS status
            FROM states SEMI JOIN ({FOLLOWED36}) f USING (field_code, researcher_id)""",
        ["months", "status"],
    ),
    "destination_employer_type_12m": _count(EMPLOYED12, ["employer_type"]),
    "destination_industry_12m": _count(
        f"SELECT *, left(ksic, 2) AS ksic_division FROM ({EMPLOYED12})", ["ksic_division"]
    ),
    "wage_12m_by_degree": f"""
        WITH q AS (
            SELECT field_code, degree, count(*) AS n_people,
                   quantile_cont(wage_monthly, 0.25) AS wage_monthly_p25,
                   quantile_cont(wage_monthly, 0.5) AS wage_monthly_p50,
                   quantile_cont(wage_monthly, 0.75) AS wage_monthly_p75
            FROM ({EMPLOYED12}) WHERE wage_monthly IS NOT NULL GROUP BY ALL
        ), k AS ({_count(f"{EMPLOYED12} AND wage_monthly IS NOT NULL", ["degree"], "n")})
        SELECT q.*, k.cell_key FROM q JOIN k USING (field_code, degree) ORDER BY ALL""",
}


def record_key_prefix(salt: str) -> str:
    """What ``talentlib.cellkey.record_keys`` hashes before each id."""
    return f"talentlib-cellkey\x1f{salt}\x1f"


def write_validated(source: str | Path, out: str | Path) -> Path:
    """The contract-validated inputs of ``source`` as parquet files in ``out``: what both
    implementations start from."""
    from talentlib import datasets

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in datasets.load_folder(source, list(INPUTS)).valid.items():
        df.write_parquet(out / f"{name}.parquet")
    return out


def talentlib_link(folder: str | Path):
    """talentlib's keyed linkage of the validated parquet files in ``folder``."""
    from talentlib.linkage import link

    f = {name: pl.read_parquet(Path(folder) / f"{name}.parquet") for name in INPUTS}
    return link(
        f["researchers"],
        f["participations"],
        f["key_table"],
        f["employment_spells"],
        annual_wages=f["annual_wages"],
    )


def duckdb_core(
    folder: str | Path,
    *,
    salt: str,
    exit_years: tuple[int, int] = (2013, 2023),
    data_end: date = date(2023, 12, 31),
    threads: int | None = None,
) -> dict[str, pl.DataFrame]:
    """The core tables of every field, computed by DuckDB from the validated parquet files in
    ``folder`` (``write_validated``)."""
    import duckdb

    from talentlib import taxonomy

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for name in INPUTS:
        path = str(Path(folder) / f"{name}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    sectors = pl.DataFrame(taxonomy.load("institution_types")["codes"]).select("code", "sector")
    con.register("sectors", sectors.to_arrow())
    params = {
        "first_year": exit_years[0],
        "last_year": exit_years[1],
        "data_end": data_end,
        "prefix": record_key_prefix(salt),
    }
    for stmt in PREPARE.split(";"):
        if stmt.strip():
            con.execute(stmt, {k: v for k, v in params.items() if f"${k}" in stmt})
    out = {name: con.sql(sql).pl() for name, sql in TABLES.items()}
    con.close()
    return out


def talentlib_core(
    linked,
    *,
    salt: str,
    fields: Iterable[str] | None = None,
    exit_years: tuple[int, int] = (2013, 2023),
    data_end: date = date(2023, 12, 31),
    careers=None,
) -> dict[str, pl.DataFrame]:
    """The same core tables as talentlib makes them before disclosure: ``careers.cohorts`` and
    ``careers.states_by_field`` for the frames of all fields in one pass (the cohorts keyed once,
    ``cellkey.with_record_keys``; every column gathered at the reported horizons, the monthly
    curve's few every 3 months, as ``careers.fields_frames`` gathers them),
    ``cellkey.count_people`` for every count and
    ``privacy.magnitude_stats`` for the wages (``careers``: another version of the module)."""
    from talentlib import cellkey, privacy, taxonomy

    if careers is None:
        from talentlib import careers
    fields = list(fields) if fields is not None else taxonomy.fields()["code"].to_list()
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in TABLES}

    def count(df: pl.DataFrame | pl.LazyFrame, by: list[str], count: str = "people"):
        return cellkey.count_people(df, by, ids="researcher_id", salt=salt, count=count)

    specs = [careers.CohortSpec(field=f, exit_years=exit_years, data_end=data_end) for f in fields]
    # keyed once, as careers.cohort_frames does for a release; all fields' main jobs in one pass
    # and each field's states in turn, as careers.fields_frames makes them for the release
    # family (an older version of the module given with --careers-module: field by field)
    if hasattr(careers, "states_by_field"):
        c = cellkey.with_record_keys(careers.cohorts(linked, specs), "researcher_id", salt)
        by_field = (
            (f, s)
            for f, _members, s in careers.states_by_field(
                c, linked.spells, list(MONTHS), data_end, linked.annual_wages
            )
        )
    else:
        by_field = (
            (
                s.field,
                careers.states_at(
                    cellkey.with_record_keys(careers.cohort(linked, s), "researcher_id", salt),
                    linked.spells,
                    list(MONTHS),
                    data_end,
                    linked.annual_wages,
                ),
            )
            for s in specs
        )
    key = [cellkey.key_column(salt)]
    for f, states in by_field:
        if isinstance(states, pl.DataFrame):  # an older module: every column at every horizon
            ls = every_3m = states.lazy()
        else:  # as careers' frames gather them: every column at the reported horizons only
            ls = states.states(months=HORIZONS).lazy()
            every_3m = states.states(columns=["researcher_id", *key]).lazy()
        got = {
            f"status_{h}m_by_{d}": count(ls.filter(pl.col("months") == h), [d, "state"])
            for h in HORIZONS
            for d in DIMS
        }
        followed = ls.filter(pl.col("months") == 36).select("researcher_id")
        monthly = every_3m.join(followed, on="researcher_id", how="semi").with_columns(
            pl.when(pl.col("state") == "employed")
            .then(pl.col("sector"))
            .otherwise(pl.col("state"))
            .alias("status"),
            pl.col("months").cast(pl.String),
        )
        got["monthly_status"] = count(monthly, ["months", "status"])
        emp12 = ls.filter((pl.col("months") == 12) & (pl.col("state") == "employed"))
        got["destination_employer_type_12m"] = count(emp12, ["employer_type"])
        got["destination_industry_12m"] = count(
            emp12.with_columns(pl.col("ksic").str.slice(0, 2).alias("ksic_division")),
            ["ksic_division"],
        )
        stats = privacy.magnitude_stats(emp12, ["degree"], "wage_monthly")
        keys = count(emp12.filter(pl.col("wage_monthly").is_not_null()), ["degree"], "n")
        got["wage_12m_by_degree"] = stats.drop("wage_monthly_top_share").join(
            keys.select("degree", "cell_key"), on="degree"
        )
        for name, df in got.items():
            parts[name].append(df.select(pl.lit(f).alias("field_code"), pl.all()))
    return {name: pl.concat(dfs) for name, dfs in parts.items()}


def differences(
    ours: Mapping[str, pl.DataFrame], peer: Mapping[str, pl.DataFrame], rel: float = 1e-9
) -> list[str]:
    """Every cell where the two implementations disagree (empty: they agree cell for cell).

    Cells are matched on their keys (field and dimensions); counts and cell keys must be equal,
    wage quantiles equal within ``rel`` (both interpolate linearly, in floating point)."""
    out: list[str] = []
    for name in TABLES:
        a, b = ours[name], peer[name]
        values = [c for c in a.columns if c in ("people", "n_people", "cell_key")]
        floats = [c for c in a.columns if c.startswith("wage_monthly_p")]
        keys = [c for c in a.columns if c not in values and c not in floats]
        if sorted(a.columns) != sorted(b.columns):
            out.append(f"{name}: columns {a.columns} vs {b.columns}")
            continue
        b = b.select(a.columns).cast(a.schema)  # type: ignore[arg-type]
        both = a.join(b, on=keys, how="full", suffix="_peer", nulls_equal=True, coalesce=True)
        for c in values:
            bad = both.filter(pl.col(c).ne_missing(pl.col(f"{c}_peer")))
            out += [f"{name} {r}" for r in bad.select(*keys, c, f"{c}_peer").iter_rows()]
        for c in floats:
            bad = both.filter(
                ((pl.col(c) - pl.col(f"{c}_peer")).abs() > rel * pl.col(c).abs())
                | (pl.col(c).is_null() != pl.col(f"{c}_peer").is_null())
            )
            out += [f"{name} {r}" for r in bad.select(*keys, c, f"{c}_peer").iter_rows()]
    return out
