"""Benchmark: linkage plus every career-flow table for all 12 fields, at national scale.

Run by hand (never in the test suite):
    pip install -e '.[bench]'          # pandas, for the baseline only
    python benchmarks/bench_careers.py --data data/synthetic/national   # generated if missing

Prints wall seconds and peak memory of talentlib (contracts + linkage + career_tables for 12
fields + the 12-field comparison, every table through disclosure control) and of a
straightforward pandas implementation of the same tables (no validation, no disclosure),
measured in the same run, each in its own subprocess so that peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

TALENTLIB = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from talentlib import careers
from talentlib.linkage import link_folder
linked = link_folder(sys.argv[1])
t_link = time.perf_counter() - t0
n_tables = 0
for f in careers.taxonomy.fields()["code"]:
    ct = careers.career_tables(linked, careers.CohortSpec(field=f))
    n_tables += len(ct.tables)
n_tables += len(careers.field_comparison(linked))
print(json.dumps({"seconds": time.perf_counter() - t0, "link_seconds": t_link, "tables": n_tables,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PANDAS = r"""
import json, resource, sys, time
import numpy as np
import pandas as pd
t0 = time.perf_counter()
d = sys.argv[1]
res = pd.read_parquet(f"{d}/researchers.parquet")
parts = pd.read_parquet(f"{d}/participations.parquet")
spells = pd.read_parquet(f"{d}/employment_spells.parquet")
wages = pd.read_parquet(f"{d}/annual_wages.parquet")
keys = pd.read_parquet(f"{d}/key_table.parquet").drop_duplicates()
keys = keys[(keys.groupby("researcher_id")["ei_person_id"].transform("size") == 1)
            & (keys.groupby("ei_person_id")["researcher_id"].transform("size") == 1)]
keys = keys[keys.researcher_id.isin(res.researcher_id)]
spells = spells.drop_duplicates()
spells = spells.merge(keys, on="ei_person_id")
for c in ("acquired_on", "lost_on"):
    spells[c] = pd.to_datetime(spells[c])
parts["end_date"] = pd.to_datetime(parts["end_date"])
linked = set(keys.researcher_id)
end = pd.Timestamp("2023-12-31")
n_tables = 0

def states(c, months):
    t = c.copy()
    t["t"] = t["exit_date"] + pd.to_timedelta(int(months * 30.44), unit="D")
    t = t[t["t"] <= end]
    m = t[["researcher_id", "t"]].merge(spells, on="researcher_id")
    m = m[(m.acquired_on <= m.t) & (m.lost_on.isna() | (m.lost_on >= m.t))]
    m["year"] = m.t.dt.year
    m = m.merge(wages[["spell_id", "year", "wage_monthly"]].rename(columns={"wage_monthly": "w"}),
                on=["spell_id", "year"], how="left")
    m["wage_monthly"] = m["w"].fillna(m["wage_monthly"])
    m = m.sort_values("wage_monthly", ascending=False).groupby("researcher_id").head(1)
    out = t.merge(m.drop(columns=["t"]), on="researcher_id", how="left")
    out["state"] = np.where(~out.observed, "not_observed",
                            np.where(out.employer_type.isna(), "no_insured_job", "employed"))
    return out

for f in sorted(parts.field_code.unique()):
    p = parts[parts.field_code == f].sort_values("end_date")
    c = p.groupby("researcher_id").agg(exit_date=("end_date", "max"), exit_role=("role", "last"),
                                       origin_type=("institution_type", "last")).reset_index()
    c = c.merge(res[["researcher_id", "degree"]], on="researcher_id")
    c["observed"] = c.researcher_id.isin(linked)
    c = c[c.exit_date.dt.year.between(2013, 2023)]
    st = {h: states(c, h) for h in (6, 12, 36)}
    for h, s in st.items():
        for dim in ("exit_role", "degree"):
            s.groupby([dim, "state"]).size(); n_tables += 1
    monthly = pd.concat([states(c, m).assign(months=m) for m in range(0, 37, 3)])
    monthly.groupby(["months", "state", "employer_type"], dropna=False).size(); n_tables += 1
    e12 = st[12][st[12].state == "employed"]
    for dim in ("employer_type", "firm_size"):
        e12.groupby(dim).size(); n_tables += 1
    e12.groupby(e12.ksic.str[:2]).size(); e12.groupby(e12.occupation.str[:3]).size(); n_tables += 2
    for dim in ("degree", "employer_type", "firm_size"):
        e12.groupby(dim)["wage_monthly"].quantile([0.25, 0.5, 0.75]); n_tables += 1
    e12.groupby("employer_type").size(); n_tables += 1
    st[12].groupby(["origin_type", "state"]).size(); st[12].groupby(["exit_role", "state"]).size(); n_tables += 2
    e36 = st[36][st[36].state == "employed"]
    g = e12[["researcher_id", "degree", "wage_monthly"]].merge(e36[["researcher_id", "wage_monthly"]], on="researcher_id")
    (g.wage_monthly_y / g.wage_monthly_x - 1).groupby(g.degree).median(); n_tables += 1
    h36 = c[c.observed & (c.exit_date + pd.Timedelta(days=1095) <= end)]
    mv = h36[["researcher_id", "exit_date"]].merge(spells[["researcher_id", "employer_id", "acquired_on", "lost_on"]], on="researcher_id")
    mv = mv[(mv.acquired_on <= mv.exit_date + pd.Timedelta(days=1095)) & (mv.lost_on.isna() | (mv.lost_on >= mv.exit_date))]
    mv.groupby("researcher_id").employer_id.nunique().value_counts(); n_tables += 1
    stud = c[(c.exit_role == "STUDENT") & c.observed]
    fj = stud[["researcher_id", "exit_date"]].merge(spells[["researcher_id", "acquired_on", "wage_monthly"]], on="researcher_id")
    fj = fj[(fj.acquired_on >= fj.exit_date - pd.Timedelta(days=60)) & (fj.wage_monthly >= 1_000_000)]
    first = fj.groupby("researcher_id").acquired_on.min()
    months = ((first.reindex(stud.researcher_id).fillna(end).values - stud.exit_date.values) / np.timedelta64(1, "D")) / 30.44
    ev = first.reindex(stud.researcher_id).notna().values
    for u in np.unique(months[ev]):
        ((months >= u).sum(), ((months == u) & ev).sum())
    n_tables += 1
print(json.dumps({"seconds": time.perf_counter() - t0, "tables": n_tables,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, data: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/synthetic/national")
    ap.add_argument("--scale", default="national")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "researchers.parquet").exists():
        from talentlib import synth

        synth.generate(args.scale, seed=1, out=data)
    import polars as pl

    rows = {
        p.stem: pl.scan_parquet(p).select(pl.len()).collect().item()
        for p in sorted(data.glob("*.parquet"))
    }
    print(f"data: {data}  ({', '.join(f'{k} {v:,}' for k, v in rows.items())})")
    ours = run(TALENTLIB, data)
    base = run(PANDAS, data)
    print(f"{'implementation':<44}{'tables':>8}{'seconds':>10}{'peak MB':>10}")
    print(
        f"{'talentlib (validate + link + disclose, 12 fields)':<44}{ours['tables']:>8}{ours['seconds']:>10.1f}{ours['peak_mb']:>10.0f}"
    )
    print(f"{'  of which read + validate + link':<44}{'':>8}{ours['link_seconds']:>10.1f}")
    print(
        f"{'pandas baseline (no validation, no disclosure)':<44}{base['tables']:>8}{base['seconds']:>10.1f}{base['peak_mb']:>10.0f}"
    )
    print(
        f"speed-up vs pandas: {base['seconds'] / ours['seconds']:.1f}x "
        f"(analysis only: {base['seconds'] / max(ours['seconds'] - ours['link_seconds'], 1e-9):.1f}x)"
    )


if __name__ == "__main__":
    main()
