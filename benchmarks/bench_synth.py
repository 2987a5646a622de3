"""Benchmark: synthetic generation and contract validation at national scale.

Run by hand (never in the test suite):  python benchmarks/bench_synth.py [--scale national]

Prints, per step: rows, seconds, peak memory (each scale in its own subprocess so peaks do not
mix), and for validation the ratio against a straightforward row-by-row Python validator of the
same rules, measured in the same run on the same rows.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

GEN = """
import json, resource, sys, time
from talentlib import synth
t = time.perf_counter()
r = synth.generate(sys.argv[1], seed=1, out=sys.argv[2], progress=False)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": r.rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(scale: str, out: Path) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", GEN, scale, str(out)], capture_output=True, text=True, check=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def naive_validate(rows: list[dict], ksic: frozenset[str], occ: frozenset[str]) -> int:
    """The straightforward way: a Python loop over rows checking the spell contract's rules."""
    pat = re.compile(r"^[0-9a-f]{16,64}$")
    lo, hi = date(1980, 1, 1), date(2024, 12, 31)
    bad = 0
    seen = set()
    last_end: dict[tuple[str, str], date | None] = {}
    for r in sorted(rows, key=lambda r: (r["ei_person_id"], r["employer_id"], r["acquired_on"])):
        ok = all(pat.match(r[c] or "") for c in ("spell_id", "ei_person_id", "employer_id"))
        ok &= r["ksic"] in ksic and r["occupation"] in occ
        ok &= r["wage_monthly"] is not None and 0 <= r["wage_monthly"] <= 100_000_000
        ok &= lo <= r["acquired_on"] <= hi and (
            r["lost_on"] is None or r["lost_on"] >= r["acquired_on"]
        )
        key = tuple(r.values())
        ok &= key not in seen
        seen.add(key)
        g = (r["ei_person_id"], r["employer_id"])
        if g in last_end and (last_end[g] is None or last_end[g] >= r["acquired_on"]):
            ok = False
        last_end[g] = r["lost_on"]
        bad += not ok
    return bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="national")
    ap.add_argument("--keep", help="keep the generated data in this folder")
    args = ap.parse_args()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="talent-bench-"))

    print(f"{'step':<34}{'rows':>12}{'seconds':>10}{'peak MB':>10}{'ratio':>10}")
    small = generate("small", tmp / "small")
    big = generate(args.scale, tmp / args.scale)
    n_small, n_big = sum(small["rows"].values()), sum(big["rows"].values())
    print(
        f"{'synth small (baseline)':<34}{n_small:>12,}{small['seconds']:>10.1f}{small['peak_mb']:>10.0f}{1.0:>10.2f}"
    )
    eff = (n_big / big["seconds"]) / (n_small / small["seconds"])
    print(
        f"{'synth ' + args.scale:<34}{n_big:>12,}{big['seconds']:>10.1f}{big['peak_mb']:>10.0f}{eff:>10.2f}  (rows/s vs small)"
    )

    import polars as pl

    from talentlib import io, taxonomy

    path = tmp / args.scale / "employment_spells.parquet"
    t = time.perf_counter()
    res = io.read_validated(path, "employment_spells")
    fast = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'validate spells (talentlib)':<34}{res.n_in:>12,}{fast:>10.1f}{peak:>10.0f}")

    sample = pl.read_parquet(path).head(300_000)
    rows = sample.to_dicts()
    t = time.perf_counter()
    naive_validate(rows, taxonomy.codes("industry", 5), taxonomy.codes("occupation", 4))
    slow = (time.perf_counter() - t) * res.n_in / len(rows)
    print(
        f"{'validate spells (row loop, scaled)':<34}{res.n_in:>12,}{slow:>10.1f}{'':>10}{slow / fast:>10.1f}x"
    )
    print(f"\nquarantined: {res.n_quarantined:,} of {res.n_in:,}; data in {tmp}")


if __name__ == "__main__":
    main()
