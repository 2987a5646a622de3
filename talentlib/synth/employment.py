"""Synthetic employment-insurance careers: insured spells, wages, and who is never insured.

The latent spells built here are the truth; the published spell table is derived from them
(pseudonymized ids, open spells without a loss date) before faults are injected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy

from .base import choice, choice_rows, day, hex_ids, index_of, to_date, year_of
from .orgs import FIELDS, Orgs, academia_public_destinations, field_destinations
from .researchers import People

DEGREE_RANK = {"HS": 1, "ASSOC": 2, "BACHELOR": 3, "MASTER": 4, "PHD": 5}
FIRST_TYPES = ["LARGE", "MIDSIZE", "SME", "VENTURE", "GRI", "UNIV", "PUBLIC"]
OPEN = 10**7  # end day of a spell still open at the data end
NO_DELAY = -(10**6)  # first_job_delay_days of people who never take an insured job


@dataclass
class Careers:
    spells: pl.DataFrame  # latent spells: person, org, start, end, wage, occupation, ...
    ei_status: np.ndarray  # per person: why they are (not) in employment insurance
    first_job_delay_days: np.ndarray  # students: days from graduation to first insured job (latent, may fall after data end); -1 otherwise


def _lognormal(
    rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray | float
) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, np.asarray(median).size) * sigma)


def _employer_types(
    rng: np.random.Generator,
    params: dict[str, Any],
    degree: np.ndarray,
    field: np.ndarray,
    upward: bool = False,
) -> np.ndarray:
    fe = params["first_employer"]
    deg = np.where(np.isin(degree, ["PHD", "MASTER", "BACHELOR"]), degree, "BACHELOR")
    base = np.array([[fe[d][t] for t in FIRST_TYPES] for d in ("PHD", "MASTER", "BACHELOR")])
    probs = base[index_of(deg, ["PHD", "MASTER", "BACHELOR"])].copy()
    probs[:, 0] *= np.array([params["large_firm_tilt"][f] for f in field])
    if upward:  # later moves lean towards larger employers and away from postdoc contracts
        probs[:, 0] *= 1.3
        probs[:, 1] *= 1.2
        probs[:, 5] *= 0.3
    return np.array(FIRST_TYPES)[choice_rows(rng, probs)]


def _pick_orgs(
    rng: np.random.Generator,
    params: dict[str, Any],
    orgs: Orgs,
    types: np.ndarray,
    field: np.ndarray,
) -> np.ndarray:
    """An employer for each (type, field): industry types mostly from the field's own pool."""
    out = np.empty(types.size, dtype=np.int64)
    own = rng.random(types.size) < np.array([params["own_field_employer_rate"][f] for f in field])
    fs = params["field_share"]
    other_field = choice(rng, FIELDS, np.array([fs[f] for f in FIELDS]), types.size)
    pool_field = np.where(own, field, other_field)
    for t in np.unique(types):
        mt = types == t
        if t in ("LARGE", "MIDSIZE", "SME", "VENTURE"):
            for f in np.unique(pool_field[mt]):
                m = mt & (pool_field == f)
                out[m] = orgs.pick(rng, t, f, int(m.sum()))
        else:
            out[mt] = orgs.pick(rng, t, None, int(mt.sum()))
    return out


def _tenure_days(rng: np.random.Generator, params: dict[str, Any], types: np.ndarray) -> np.ndarray:
    ty = params["tenure_years"]
    med = np.array([ty[t][0] for t in types])
    sig = np.array([ty[t][1] for t in types])
    return np.maximum((_lognormal(rng, med, sig) * 365.25).astype(np.int64), 60)


def build_careers(
    rng: np.random.Generator, params: dict[str, Any], people: People, orgs: Orgs
) -> Careers:
    n = people.researcher_id.size
    data_end = day(params["data_end"])
    arch = people.archetype
    status = np.full(n, "", dtype=object)
    status[arch == "professor"] = "professor"
    status[arch == "natlab"] = "civil_servant"
    status[np.isin(arch, ["gri", "industry", "public"])] = "insured"

    # students: outcome after graduating
    is_student = arch == "student"
    enrolled = is_student & (people.grad_day > data_end)
    status[enrolled] = "still_enrolled"
    grads = is_student & ~enrolled
    go = params["graduate_outcome"]
    outcomes = ["abroad", "not_covered", "never_employed", "employed"]
    deg_g = people.degree[grads]
    probs = np.array([[go[d][o] for o in outcomes] for d in ("PHD", "MASTER", "BACHELOR")])
    g_out = np.array(outcomes)[
        choice_rows(rng, probs[index_of(deg_g, ["PHD", "MASTER", "BACHELOR"])])
    ]
    status[grads] = np.where(g_out == "employed", "insured", g_out)

    # first-job delay (latent for every employed graduate, even if it falls after the data end)
    delay = np.full(n, NO_DELAY, dtype=np.int64)
    emp_grads = np.flatnonzero(grads)[g_out == "employed"]
    med = np.array([params["job_search_median_months"][d] for d in people.degree[emp_grads]])
    med = med * np.array([params["job_search_field_factor"][f] for f in people.field[emp_grads]])
    months = _lognormal(rng, med, params["job_search_sigma"])
    immediate = rng.random(emp_grads.size) < params["immediate_start_rate"]
    d_days = np.where(
        immediate, rng.integers(-60, 6, emp_grads.size), (months * 30.44).astype(np.int64) + 1
    )
    delay[emp_grads] = d_days

    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("person", "org", "start", "end", "job_no", "part_time", "kind")
    }

    def add(
        person: np.ndarray,
        org: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        job_no: int,
        part: bool,
        kind: str = "main",
    ) -> None:
        rows["person"].append(person)
        rows["org"].append(org)
        rows["start"].append(start)
        rows["end"].append(end)
        rows["job_no"].append(np.full(person.size, job_no))
        rows["part_time"].append(np.full(person.size, part))
        rows["kind"].append(np.full(person.size, kind))

    # job 0 --------------------------------------------------------------------------------
    # insured non-students: employed at their R&D organisation, from before they first participate
    staff = np.flatnonzero(np.isin(arch, ["gri", "industry", "public"]))
    age_at_entry = year_of(people.win_start[staff]) - people.birth_year[staff]
    back = np.minimum(rng.uniform(0, 10, staff.size), np.maximum(age_at_entry - 24, 0.2))
    s0 = people.win_start[staff] - (back * 365.25).astype(np.int64)
    t0 = _tenure_days(rng, params, orgs.org_type[people.org[staff]])
    e0 = np.maximum(s0 + t0, people.win_end[staff] + rng.integers(0, 730, staff.size))
    add(staff, people.org[staff], s0, e0, 0, False)

    # their earlier insured jobs, generated backwards from the current one (Korean workers change
    # employers often, most of all in small firms)
    typical_start_age = np.array(
        [
            {"PHD": 31, "MASTER": 26, "BACHELOR": 24, "ASSOC": 22, "HS": 20}[d]
            for d in people.degree[staff]
        ]
    )
    career_start = np.array(
        [day(f"{y}-03-01") for y in (people.birth_year[staff] + typical_start_age).clip(1975, 2023)]
    )
    years_before = np.maximum(s0 - career_start, 0) / 365.25
    k_prior = np.minimum(
        rng.poisson(years_before / params["prior_job_every_years"]), params["max_jobs"]
    )
    cur = s0.copy()
    for j in range(int(k_prior.max(initial=0))):
        m = (k_prior > j) & (cur - 90 > career_start)
        if not m.any():
            break
        who = staff[m]
        direct = rng.random(who.size) < params["direct_move_rate"]
        gap = np.where(
            direct,
            1,
            (rng.lognormal(np.log(params["gap_median_months"]), 0.8, who.size) * 30.44).astype(
                np.int64
            ),
        )
        pe_ = cur[m] - gap
        t = _employer_types(rng, params, people.degree[who], people.field[who], upward=False)
        ps_ = np.maximum(pe_ - _tenure_days(rng, params, t), career_start[m])
        keep = ps_ < pe_
        add(
            who[keep],
            _pick_orgs(rng, params, orgs, t[keep], people.field[who[keep]]),
            ps_[keep],
            pe_[keep],
            -1 - j,
            False,
            "prior",
        )
        cur[np.flatnonzero(m)[keep]] = ps_[keep]

    # graduates: first insured job after the search delay
    types = _employer_types(rng, params, people.degree[emp_grads], people.field[emp_grads])
    g_org = _pick_orgs(rng, params, orgs, types, people.field[emp_grads])
    gs = people.grad_day[emp_grads] + d_days
    ge = gs + _tenure_days(rng, params, types)
    add(emp_grads, g_org, gs, ge, 0, False)

    # students' part-time jobs while studying (cafés, convenience stores, cram schools): insured
    # when over 60 hours a month, and the reason a naive "any insured job" count overstates placement
    stud = np.flatnonzero(is_student)
    k_pt = rng.poisson(
        params["student_parttime_jobs_per_year"]
        * (people.win_end[stud] - people.win_start[stud] + 365)
        / 365.25
    )
    pt_person = np.repeat(stud, np.minimum(k_pt, 6))
    lo = people.win_start[pt_person] - 365
    hi = np.minimum(people.win_end[pt_person], data_end) - 30
    pt_start = lo + (rng.random(pt_person.size) * np.maximum(hi - lo, 1)).astype(np.int64)
    pt_end = pt_start + rng.integers(45, 240, pt_person.size)
    pt_org = orgs.pick(rng, "SME", "SERVICE", pt_person.size)
    add(pt_person, pt_org, pt_start, pt_end, 90, True, "student_job")

    # professors with an old insured job before their post
    prof = np.flatnonzero(
        (arch == "professor") & (rng.random(n) < params["professor_prior_ei_rate"])
    )
    ps = people.win_start[prof] - (rng.uniform(4, 14, prof.size) * 365.25).astype(np.int64)
    pe = np.minimum(
        ps + (rng.uniform(1, 4, prof.size) * 365.25).astype(np.int64), people.win_start[prof] - 365
    )
    p_types = choice(
        rng, ["LARGE", "MIDSIZE", "SME", "GRI"], np.array([0.4, 0.2, 0.2, 0.2]), prof.size
    )
    add(prof, _pick_orgs(rng, params, orgs, p_types, people.field[prof]), ps, pe, 0, False)

    # later jobs: move on or leave insurance ---------------------------------------------------
    cur_person = np.concatenate([staff, emp_grads])
    cur_end = np.concatenate([e0, ge])
    for j in range(1, params["max_jobs"]):
        alive = cur_end < data_end
        cur_person, cur_end = cur_person[alive], cur_end[alive]
        moves = rng.random(cur_person.size) < params["move_after_spell"]
        cur_person, cur_end = cur_person[moves], cur_end[moves]
        if cur_person.size == 0:
            break
        direct = rng.random(cur_person.size) < params["direct_move_rate"]
        gap = np.where(
            direct,
            1,
            (
                _lognormal(rng, np.full(cur_person.size, params["gap_median_months"]), 0.8) * 30.44
            ).astype(np.int64)
            + 1,
        )
        ns = cur_end + gap
        t = _employer_types(
            rng, params, people.degree[cur_person], people.field[cur_person], upward=True
        )
        o = _pick_orgs(rng, params, orgs, t, people.field[cur_person])
        ne = ns + _tenure_days(rng, params, t)
        add(cur_person, o, ns, ne, j, False)
        cur_end = ne

    spells = pl.DataFrame({k: np.concatenate(v) for k, v in rows.items()})
    # a concurrent part-time job for a few (lecturing, advisory work)
    conc = spells.filter(pl.col("job_no") == 0).sample(
        fraction=params["concurrent_job_rate"], seed=int(rng.integers(2**31))
    )
    if conc.height:
        cs = conc["start"].to_numpy() + rng.integers(30, 365, conc.height)
        ce = cs + rng.integers(120, 730, conc.height)
        ct = choice(rng, ["UNIV", "SME"], np.array([0.6, 0.4]), conc.height)
        co = _pick_orgs(rng, params, orgs, ct, people.field[conc["person"].to_numpy()])
        spells = pl.concat(
            [
                spells,
                pl.DataFrame(
                    {
                        "person": conc["person"],
                        "org": co,
                        "start": cs,
                        "end": ce,
                        "job_no": np.full(conc.height, 99),
                        "part_time": np.full(conc.height, True),
                        "kind": np.full(conc.height, "concurrent"),
                    }
                ),
            ]
        )

    spells = spells.filter(pl.col("start") <= data_end).with_columns(
        pl.when(pl.col("end") > data_end).then(pl.lit(OPEN)).otherwise(pl.col("end")).alias("end"),
        pl.col("start").clip(lower_bound=day("1980-01-01")),
    )
    # the same person twice at the same workplace never overlaps in clean data (that is a fault the
    # contract catches); drop latent draws that would
    spells = (
        spells.sort("person", "org", "start", maintain_order=True)
        .with_columns(pl.col("end").cum_max().shift(1).over("person", "org").alias("_prev_end"))
        .filter(pl.col("_prev_end").is_null() | (pl.col("start") > pl.col("_prev_end")))
        .drop("_prev_end")
        .sort("person", "start", maintain_order=True)
    )
    # people whose only insured job starts after the data end are not in the extract
    insured_now = np.zeros(n, dtype=bool)
    insured_now[spells["person"].unique().to_numpy()] = True
    status[(status == "insured") & ~insured_now] = "not_yet_employed"
    status[(arch == "professor") & insured_now] = (
        "professor"  # keeps its reason; it has old records
    )

    spells = _attributes(rng, params, people, orgs, spells)
    return Careers(spells=spells, ei_status=status.astype(str), first_job_delay_days=delay)


def _attributes(
    rng: np.random.Generator,
    params: dict[str, Any],
    people: People,
    orgs: Orgs,
    spells: pl.DataFrame,
) -> pl.DataFrame:
    """Occupation, wage and loss reason of each latent spell."""
    person = spells["person"].to_numpy()
    org = spells["org"].to_numpy()
    start = spells["start"].to_numpy()
    end = spells["end"].to_numpy()
    otype = orgs.org_type[org]
    field = people.field[person]
    degree = people.degree[person]
    m = spells.height

    # occupation
    occ = np.empty(m, dtype=object)
    occ_dest = field_destinations("occupation")
    occ_min = _occupation_min_degree()
    acad = academia_public_destinations("occupation")
    is_ind = (
        np.isin(otype, ["LARGE", "MIDSIZE", "SME", "VENTURE"])
        & (spells["kind"] != "student_job").to_numpy()
    )
    for f in FIELDS:
        codes, w = occ_dest[f]
        mins = np.array([DEGREE_RANK.get(occ_min.get((f, c), "HS"), 1) for c in codes])
        for d, r in DEGREE_RANK.items():
            sel = is_ind & (field == f) & (degree == d)
            k = int(sel.sum())
            if k:
                ww = np.where(mins <= r, w, 0.0)
                ww = ww if ww.sum() > 0 else w
                occ[sel] = choice(rng, codes, ww, k)
    service_occ = {"56221": "5317", "56111": "5322", "47122": "5322", "85501": "2142"}
    student_job = (spells["kind"] == "student_job").to_numpy()
    occ[student_job] = [service_occ.get(k, "5322") for k in orgs.ksic[org[student_job]]]
    for t in ("GRI", "UNIV", "PUBLIC"):
        sel = (otype == t) & ~student_job
        if sel.any():
            codes, w = acad.get(t, acad.get("PUBLIC"))
            occ[sel] = choice(rng, codes, w, int(sel.sum()))

    # wage: log-normal by degree, employer type, size, field, experience and calendar year
    p = params
    base = np.log(np.array([p["wage_base_2023"][d] for d in degree]))
    emp = np.array([p["wage_employer_effect"].get(t, 0.0) for t in otype])
    size = np.array([p["wage_size_effect"][s] for s in orgs.firm_size[org]])
    fld = np.array([p["wage_field_effect"][f] for f in field])
    start_year = year_of(start)
    typical_grad_age = np.array(
        [{"PHD": 31, "MASTER": 26, "BACHELOR": 24, "ASSOC": 22, "HS": 19}[d] for d in degree]
    )
    career_start_year = np.where(
        people.grad_day[person] > 0,
        year_of(np.maximum(people.grad_day[person], 0)),
        people.birth_year[person] + typical_grad_age,
    )
    exp_years = np.clip(start_year - career_start_year, 0, p["wage_experience_cap_years"])
    person_eff = rng.normal(0, p["wage_person_sigma"], people.researcher_id.size)[person]
    log_w = (
        base
        + emp
        + size
        + fld
        + p["wage_experience_per_year"] * exp_years
        + np.log1p(p["wage_growth_per_year"]) * (start_year - 2023)
        + person_eff
        + rng.normal(0, p["wage_spell_sigma"], m)
    )
    wage = np.exp(log_w)
    wage = np.where(spells["part_time"].to_numpy(), wage * p["part_time_factor"], wage)
    floor = minimum_wage(start_year)
    wage = np.maximum(wage, floor)
    wage = np.where(student_job, floor * rng.uniform(0.3, 0.7, m), wage)  # part-time hours
    wage = (wage / 10).round() * 10

    # loss reason of closed spells
    closed = end < OPEN
    contract = np.isin(otype, ["UNIV", "GRI"]) & (rng.random(m) < 0.5)
    reason = choice(
        rng, ["11", "23", "22", "26", "32"], np.array([0.80, 0.07, 0.04, 0.02, 0.07]), m
    )
    reason = np.where(contract, "32", reason)
    age_end = year_of(np.where(closed, end, 0)) - people.birth_year[person]
    reason = np.where(closed & (age_end >= 60), "31", reason)
    reason_s = pl.Series("loss_reason", reason.astype(str))
    reason_s = reason_s.set(pl.Series(~closed), None)

    # yearly wage growth within a spell (보수총액 is reported every year): nominal growth plus an
    # experience premium for full-time jobs, with a little spread between jobs
    full_time = ~spells["part_time"].to_numpy()
    growth = (
        np.log1p(p["wage_growth_per_year"])
        + np.where(
            full_time & (exp_years < p["wage_experience_cap_years"]),
            p["wage_experience_per_year"],
            0.0,
        )
        + rng.normal(0, 0.01, m)
    )
    return spells.with_columns(
        pl.Series("growth", growth),
        pl.Series("employer_type", otype),
        pl.Series("occupation", occ.astype(str)),
        pl.Series("wage_monthly", wage.astype(np.int64)),
        reason_s,
        pl.Series("field", field),
    )


def minimum_wage(years: np.ndarray) -> np.ndarray:
    """Legal monthly minimum wage of each year (taxonomy minimum_wage); earlier years extrapolated."""
    table = {
        int(r["code"]): float(r["monthly_krw"]) for r in taxonomy.load("minimum_wage")["codes"]
    }
    first, last = min(table), max(table)
    by_year = np.array([table[y] for y in range(first, last + 1)])
    ys = np.asarray(years, dtype=np.int64)
    out = by_year[np.clip(ys, first, last) - first]
    return np.where(ys < first, table[first] * 0.93 ** (first - ys).astype(float), out)


def _occupation_min_degree() -> dict[tuple[str, str], str]:
    data = taxonomy.load("field_occupation")["fields"]
    out = {}
    for f, spec in data.items():
        for e in spec["destinations"]:
            if e.get("min_degree"):
                out[(f, str(e["code"]))] = e["min_degree"]
    return out


def spells_frame(
    rng: np.random.Generator, people: People, orgs: Orgs, careers: Careers, ei_ids: np.ndarray
) -> pl.DataFrame:
    """The published spell table (pseudonymized, open spells with a null loss date)."""
    s = careers.spells
    person = s["person"].to_numpy()
    org = s["org"].to_numpy()
    end = s["end"].to_numpy()
    return pl.DataFrame(
        {
            "spell_id": hex_ids(rng, s.height),
            "ei_person_id": ei_ids[person],
            "employer_id": orgs.employer_id[org],
            "ksic": orgs.ksic[org],
            "occupation": s["occupation"],
            "employer_type": s["employer_type"],
            "firm_size": orgs.firm_size[org],
            "region": orgs.region[org],
            "acquired_on": to_date(s["start"].to_numpy()),
            "lost_on": to_date(np.where(end >= OPEN, -(1 << 40), end)),
            "loss_reason": s["loss_reason"],
            "wage_monthly": s["wage_monthly"],
        }
    )


def wage_in_year(
    start_wage: pl.Expr, growth: pl.Expr, start_year: pl.Expr, year: pl.Expr
) -> pl.Expr:
    """Monthly wage of a spell in a calendar year: the start wage grown yearly, rounded to 10 won."""
    years = (year - start_year).clip(lower_bound=0)
    return ((start_wage * (growth * years).exp()) / 10).round() * 10


def annual_wages_frame(
    careers: Careers, spells_pub: pl.DataFrame, first_year: int, data_end_year: int
) -> pl.DataFrame:
    """Yearly wage reports (보수총액 신고) of every spell-year from first_year to the data end."""
    s = careers.spells.select(
        pl.col("start").cast(pl.Int32).cast(pl.Date).alias("start"),
        pl.when(pl.col("end") >= OPEN)
        .then(pl.lit(data_end_year))
        .otherwise(pl.col("end").cast(pl.Int32).cast(pl.Date).dt.year())
        .alias("end_year"),
        "wage_monthly",
        "growth",
    ).with_columns(
        pl.Series("spell_id", spells_pub["spell_id"]),
        pl.Series("ei_person_id", spells_pub["ei_person_id"]),
        pl.Series("employer_id", spells_pub["employer_id"]),
    )
    s = (
        s.with_columns(
            pl.int_ranges(
                pl.max_horizontal(pl.col("start").dt.year(), pl.lit(first_year)),
                pl.col("end_year").clip(upper_bound=data_end_year) + 1,
            ).alias("year")
        )
        .explode("year")
        .drop_nulls("year")
    )
    return s.select(
        "spell_id",
        "ei_person_id",
        "employer_id",
        pl.col("year").cast(pl.Int64),
        wage_in_year(
            pl.col("wage_monthly"), pl.col("growth"), pl.col("start").dt.year(), pl.col("year")
        )
        .cast(pl.Int64)
        .alias("wage_monthly"),
    )
