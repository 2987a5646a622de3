"""Synthetic researchers, their project participations and the project master table.

Each person gets a latent career archetype (student, professor, institute, national-lab, industry
or public researcher) that decides roles, institutions, the participation window and, later,
whether employment insurance ever sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy

from .base import choice, choice_rows, day, hex_ids, index_of, to_date, year_of
from .orgs import FIELDS, Orgs

DEGREES = ["PHD", "MASTER", "BACHELOR", "ASSOC", "HS"]
ARCHETYPES = ["student", "professor", "gri", "natlab", "industry", "public"]
ARCH_ORG = {
    "professor": "UNIV",
    "student": "UNIV",
    "gri": "GRI",
    "natlab": "NATLAB",
    "public": "PUBLIC",
}


@dataclass
class People:
    """Latent person table: one entry per researcher (index = person number)."""

    researcher_id: np.ndarray
    field: np.ndarray
    second_field: np.ndarray  # "" when none
    degree: np.ndarray
    archetype: np.ndarray
    sex: np.ndarray
    birth_year: np.ndarray
    win_start: np.ndarray  # first participation start (days)
    win_end: np.ndarray  # last participation end (days) = exit from R&D participation
    grad_day: np.ndarray  # graduation day for students, else -1
    degree_year: np.ndarray  # year of highest degree (0 = unknown)
    reported_degree: np.ndarray  # highest degree completed by the data end
    org: np.ndarray  # organisation of participation (index into Orgs)
    main_tech: np.ndarray


def _lognormal(
    rng: np.random.Generator, median: np.ndarray | float, sigma: np.ndarray | float, n: int
) -> np.ndarray:
    return np.asarray(median) * np.exp(rng.normal(0.0, 1.0, n) * np.asarray(sigma))


def _snap_to_graduation(days: np.ndarray) -> np.ndarray:
    """Korean universities confer degrees in February and August: move to the next such month end."""
    d = np.asarray(days, dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    target_year = np.where(m > 8, y + 1, y)
    target_month = np.where((m <= 2) | (m > 8), 3, 9)  # first day of the month after Feb / Aug
    first = (target_year - 1970) * 12 + (target_month - 1)
    end = first.astype("datetime64[M]").astype("datetime64[D]") - np.timedelta64(1, "D")
    return (end - np.datetime64("1970-01-01", "D")).astype(np.int64)


def build_people(rng: np.random.Generator, params: dict[str, Any], n: int, orgs: Orgs) -> People:
    y0, y1 = params["years"]
    data_end = day(params["data_end"])
    fs = params["field_share"]
    field = choice(rng, FIELDS, np.array([fs[f] for f in FIELDS]), n)
    degree = choice(rng, DEGREES, np.array([params["degree_mix"][d] for d in DEGREES]), n)

    # archetype | degree, tilted per field towards industry
    agd = params["archetype_given_degree"]
    base = np.array([[agd[d][a] for a in ARCHETYPES] for d in DEGREES])
    probs = base[index_of(degree, DEGREES)]
    tilt = np.array([params["industry_tilt"][f] for f in field])
    probs = probs.copy()
    probs[:, ARCHETYPES.index("industry")] *= tilt
    archetype = np.array(ARCHETYPES)[choice_rows(rng, probs)]

    sex = np.where(rng.random(n) < np.array([params["female_share"][f] for f in field]), "F", "M")

    # entry into R&D participation: growing cohorts over the years
    years = np.arange(y0, y1 + 1)
    w = (1 + params["entry_growth"]) ** (years - y0)
    entry_year = choice(rng, list(years), w, n).astype(int)
    start_of_year = np.array([day(f"{y}-01-01") for y in range(y0, y1 + 2)])
    entry = start_of_year[entry_year - y0] + rng.integers(0, 365, n)

    is_student = archetype == "student"
    win_years = np.empty(n)
    wy = params["window_years"]
    for a in ARCHETYPES:
        m = archetype == a
        if a == "student":
            for d, (med, sig) in wy["student"].items():
                md = m & (degree == d)
                win_years[md] = _lognormal(rng, med, sig, int(md.sum()))
        else:
            med, sig = wy[a]
            win_years[m] = _lognormal(rng, med, sig, int(m.sum()))
    win_years = np.clip(win_years, 0.3, 30)
    raw_end = entry + (win_years * 365.25).astype(np.int64)
    grad_day = np.where(is_student, _snap_to_graduation(raw_end), -1)
    win_end = np.where(is_student, grad_day, raw_end)
    # people active before 2013 are seen from 2013 only; windows cannot start after they end
    win_end = np.maximum(win_end, entry + 120)

    # age: students enter at 22-27 (bachelor) or after a master's; others are 27-58 at entry
    age_at_entry = np.where(
        is_student,
        np.where(
            degree == "PHD",
            rng.normal(26.5, 1.8, n),
            np.where(degree == "MASTER", rng.normal(24.5, 1.5, n), rng.normal(22.8, 1.2, n)),
        ),
        np.where(archetype == "professor", rng.normal(44, 7, n), rng.normal(38, 8, n)),
    )
    age_at_entry = np.clip(age_at_entry, 20, 68)
    birth_year = (entry_year - np.round(age_at_entry)).astype(int)

    # degree completed by the end of the data, and its year
    still_enrolled = is_student & (grad_day > data_end)
    reported = degree.copy()
    reported[still_enrolled] = np.where(
        (degree[still_enrolled] == "PHD") & (rng.random(int(still_enrolled.sum())) < 0.5),
        "MASTER",
        "BACHELOR",
    )
    grad_year = year_of(np.maximum(grad_day, 0))
    typical_age = {"PHD": 31, "MASTER": 26, "BACHELOR": 24, "ASSOC": 22, "HS": 19}
    deg_year_other = (
        birth_year + np.array([typical_age[d] for d in degree]) + rng.integers(-1, 3, n)
    )
    deg_year_other = np.minimum(
        deg_year_other, entry_year
    )  # nobody joins a project before graduating
    degree_year = np.where(is_student & ~still_enrolled, grad_year, deg_year_other)
    degree_year = np.where(
        still_enrolled & (reported == "BACHELOR"), entry_year - rng.integers(0, 2, n), degree_year
    )
    degree_year = np.where(
        still_enrolled & (reported == "MASTER"), entry_year - rng.integers(0, 2, n), degree_year
    )

    # organisation of participation
    org = np.empty(n, dtype=np.int64)
    for a in ARCHETYPES:
        m = archetype == a
        if a == "industry":
            first = params["first_employer"].get(
                "MASTER"
            )  # the mix of firm types among industry researchers follows graduates' first jobs
            ind = {k: first[k] for k in ("LARGE", "MIDSIZE", "SME", "VENTURE")}
            for f in FIELDS:
                mf = m & (field == f)
                k = int(mf.sum())
                if not k:
                    continue
                pr = np.array(list(ind.values()))
                pr[0] *= params["large_firm_tilt"][f]
                types = choice(rng, list(ind), pr, k)
                out = np.empty(k, dtype=np.int64)
                for t in sorted(set(types.tolist())):
                    mt = types == t
                    out[mt] = orgs.pick(rng, t, f, int(mt.sum()))
                org[mf] = out
        else:
            org[m] = orgs.pick(rng, ARCH_ORG[a], None, int(m.sum()))

    # a second field for some, and a main technology within the field
    second = np.where(
        rng.random(n) < params["second_field_rate"],
        choice(rng, FIELDS, np.array([fs[f] for f in FIELDS]), n),
        "",
    )
    second = np.where(second == field, "", second)
    techs = taxonomy.technologies()
    tech_by_field = {f: techs.filter(pl.col("field_code") == f)["code"].to_list() for f in FIELDS}
    main_tech = np.empty(n, dtype=object)
    for f in FIELDS:
        mf = field == f
        tl = tech_by_field[f]
        tw = rng.dirichlet(np.full(len(tl), 4.0))
        main_tech[mf] = choice(rng, tl, tw, int(mf.sum()))

    return People(
        researcher_id=hex_ids(rng, n),
        field=field,
        second_field=second,
        degree=degree,
        archetype=archetype,
        sex=sex,
        birth_year=birth_year,
        win_start=entry,
        win_end=win_end,
        grad_day=grad_day,
        degree_year=degree_year,
        reported_degree=reported,
        org=org,
        main_tech=main_tech.astype(str),
    )


_TITLE_TEMPLATES = [
    "{a} 기반 {b} 핵심기술 개발",
    "차세대 {a} {b} 원천기술 연구",
    "{a} 고도화를 위한 {b} 기술 개발",
    "{a}·{b} 융합 실증 연구",
    "고성능 {a} 및 {b} 설계 기술",
    "{a} {b} 국산화 및 상용화 기술개발",
]


def build_participations(
    rng: np.random.Generator, params: dict[str, Any], people: People, orgs: Orgs
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Participation rows (one per person × project) and the project master table."""
    n = people.researcher_id.size
    span = np.maximum(people.win_end - people.win_start, 60)
    rate = np.array([params["participations_per_year"][a] for a in people.archetype])
    k = 1 + rng.poisson(rate * span / 365.25)
    k = np.minimum(k, 25)
    person = np.repeat(np.arange(n), k)
    order = np.arange(person.size) - np.repeat(np.cumsum(k) - k, k)  # 0..k-1 within person
    last = order == np.repeat(k - 1, k)
    ws, we = people.win_start[person], people.win_end[person]
    length = (rng.uniform(1.0, 3.0, person.size) * 365.25).astype(np.int64)
    length = np.minimum(length, we - ws)
    length = np.maximum(length, np.minimum(180, we - ws))
    start = ws + (rng.random(person.size) * np.maximum(we - ws - length, 0)).astype(np.int64)
    start = np.where(order == 0, ws, start)
    end = np.minimum(start + length, we)
    start = np.where(last, np.maximum(we - length, ws), start)
    end = np.where(last, we, end)

    # the extract ends at the data end: later participations of people still active are not in it
    seen = start <= day(params["data_end"])
    person, order, last, start, end = person[seen], order[seen], last[seen], start[seen], end[seen]

    # field and technology: mostly the person's own; a second field for some participations
    field = people.field[person]
    sf = people.second_field[person]
    use_second = (sf != "") & (rng.random(person.size) < 0.35) & ~last
    field = np.where(use_second, sf, field)
    techs = taxonomy.technologies()
    tech_by_field = {f: techs.filter(pl.col("field_code") == f)["code"].to_list() for f in FIELDS}
    tech = people.main_tech[person].astype(object)
    other = (rng.random(person.size) < 0.2) | use_second
    for f in FIELDS:
        m = other & (field == f)
        tech[m] = choice(rng, tech_by_field[f], np.ones(len(tech_by_field[f])), int(m.sum()))
    tech = tech.astype(str)

    # role
    arch = people.archetype[person]
    deg = people.degree[person]
    pi_prob = np.zeros(person.size)
    pr = params["pi_rate"]
    pi_prob[arch == "professor"] = pr["professor"]
    for a in ("gri", "natlab", "industry", "public"):
        for d in ("PHD", "MASTER"):
            pi_prob[(arch == a) & (deg == d)] = pr[a][d]
        pi_prob[(arch == a) & ~np.isin(deg, ["PHD", "MASTER"])] = pr[a]["other"]
    role = np.where(
        arch == "student",
        "STUDENT",
        np.where(rng.random(person.size) < pi_prob, "PI", "RESEARCHER"),
    )

    org = people.org[person]
    rate_pct = np.where(
        arch == "student",
        rng.choice([30, 40, 50, 60, 70, 80, 100], person.size),
        np.where(
            role == "PI",
            rng.choice([5, 10, 15, 20, 30], person.size),
            rng.choice([10, 20, 30, 40, 50, 100], person.size),
        ),
    ).astype(float)

    # projects: participants of the same technology starting in the same year share projects
    start_year = year_of(start)
    key = pl.DataFrame({"tech": tech, "y": start_year})
    bucket = key.with_columns(pl.len().over("tech", "y").alias("n_bucket"))["n_bucket"].to_numpy()
    local = (rng.random(person.size) * np.maximum(bucket // 5, 1)).astype(np.int64)
    proj_key = pl.DataFrame({"tech": tech, "y": start_year, "local": local})
    proj = proj_key.unique(maintain_order=True).with_row_index("proj_idx")
    proj_ids = hex_ids(rng, proj.height)
    proj = proj.with_columns(pl.Series("project_id", proj_ids))
    part_proj = proj_key.join(proj, on=["tech", "y", "local"], how="left", maintain_order="left")

    kw = {}
    for t in taxonomy.technologies().iter_rows(named=True):
        words = [w for w in (t.get("keywords_ko") or []) if w] or [t["ko"]]
        kw[t["code"]] = words
    title_rows = []
    budgets = np.exp(rng.normal(np.log(450.0), 0.9, proj.height)).round(1)  # million KRW a year
    for i, (t,) in enumerate(proj.select("tech").iter_rows()):
        words = kw[t]
        a = words[int(rng.integers(len(words)))]
        b = (
            words[int(rng.integers(len(words)))]
            if len(words) > 1
            else taxonomy.label("strategic_tech", t)
        )
        title_rows.append(_TITLE_TEMPLATES[i % len(_TITLE_TEMPLATES)].format(a=a, b=b))
    projects = pl.DataFrame(
        {
            "project_id": proj["project_id"],
            "title": title_rows,
            "field_code": proj["tech"].str.split("-").list.first(),
            "tech_code": proj["tech"],
            "start_year": proj["y"].cast(pl.Int32),
            "annual_budget_mkrw": budgets,
        }
    )

    # IRIS records participation per agreement year (연차): one row per project year, with the
    # year's participation rate; the last year ends on the participation's end date
    n_years = np.maximum(np.ceil((end - start + 1) / 365.25).astype(np.int64), 1)
    row = np.repeat(np.arange(person.size), n_years)
    k = np.arange(row.size) - np.repeat(np.cumsum(n_years) - n_years, n_years)
    y_start = start[row] + (k * 365.25).astype(np.int64)
    y_end = np.minimum(start[row] + ((k + 1) * 365.25).astype(np.int64) - 1, end[row])
    seen_y = y_start <= day(params["data_end"])  # later agreement years are not in the extract
    row, y_start, y_end = row[seen_y], y_start[seen_y], y_end[seen_y]
    y_rate = np.where(
        rng.random(row.size) < 0.25,
        np.clip(rate_pct[row] + rng.choice([-10, 10], row.size), 5, 100),
        rate_pct[row],
    )
    parts = pl.DataFrame(
        {
            "participation_id": hex_ids(rng, row.size),
            "researcher_id": people.researcher_id[person][row],
            "project_id": part_proj["project_id"].to_numpy()[row],
            "field_code": field[row],
            "tech_code": tech[row],
            "role": role[row],
            "institution_id": orgs.institution_id[org][row],
            "institution_type": orgs.org_type[org][row],
            "region": orgs.region[org][row],
            "start_date": to_date(y_start),
            "end_date": to_date(y_end),
            "participation_rate": y_rate.astype(float),
            "annual_budget_mkrw": budgets[part_proj["proj_idx"].to_numpy()][row],
        }
    )
    return parts, projects


def researchers_frame(people: People, orgs: Orgs) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "researcher_id": people.researcher_id,
            "birth_year": people.birth_year.astype(np.int64),
            "sex": people.sex,
            "degree": people.reported_degree,
            "degree_year": people.degree_year.astype(np.int64),
            "institution_type": orgs.org_type[people.org],
            "region": orgs.region[people.org],
        }
    )
