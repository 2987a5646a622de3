"""Benchmark: probabilistic linkage (Splink on DuckDB) on the synthetic quasi-identifier tables.

Run by hand (never in the test suite):

    python benchmarks/bench_linkage_probabilistic.py [--scales medium national] [--data DIR]

For each scale: generates the dataset once (core tables + quasi-identifiers, no publications)
under ``--data`` (reused on later runs), then in a fresh subprocess (so peak memory is the
linkage's own) times ``probabilistic_link`` and, in the same process as the baseline, an exact
polars join on all six quasi-identifiers. Prints sizes, seconds, peak memory, the ratio to the
baseline, and precision / recall against the planted true pairs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

GEN = """
import sys
from talentlib import synth
synth.generate(sys.argv[1], seed=1, out=sys.argv[2], parts=("quasi_identifiers",), progress=False)
"""

LINK = """
import json, resource, sys, time
import polars as pl
from talentlib.linkage.probabilistic import evaluate_links, probabilistic_link, resolve_one_to_one
d, threshold = sys.argv[1], float(sys.argv[2])
left = pl.read_parquet(f"{d}/qi_researchers.parquet")
right = pl.read_parquet(f"{d}/qi_ei_persons.parquet")
truth = pl.read_parquet(f"{d}/truth/qi_pairs.parquet")
cols = ["birth_year", "sex", "region", "surname_token", "given_token", "birth_md_token"]

t = time.perf_counter()  # baseline: exact agreement on every quasi-identifier, unique both ways
exact = left.drop_nulls(cols).join(right.drop_nulls(cols), on=cols)
exact = exact.filter(pl.len().over("researcher_id") == 1, pl.len().over("ei_person_id") == 1)
base_s = time.perf_counter() - t

t = time.perf_counter()
res = probabilistic_link(left, right, threshold=threshold)
link_s = time.perf_counter() - t
print(json.dumps({
    "left": left.height, "right": right.height, "true_pairs": truth.height,
    "seconds": link_s, "baseline_seconds": base_s,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "eval": evaluate_links(res.links, truth), "baseline_eval": evaluate_links(exact, truth),
    "report": res.report,
    "by_threshold": {t: evaluate_links(resolve_one_to_one(
        res.candidates.filter(pl.col("match_probability") >= t)), truth) for t in (0.5, 0.7, 0.9)},
}))
"""


def ensure_data(scale: str, root: Path) -> Path:
    out = root / scale
    if not (out / "truth" / "qi_pairs.parquet").exists():
        print(f"generating {scale} into {out} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", GEN, scale, str(out)], check=True)
    return out


def run(scale: str, data: Path, threshold: float) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", LINK, str(data), str(threshold)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", default=["medium", "national"])
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "talent_bench_qi")
    ap.add_argument("--threshold", type=float, default=0.9)
    args = ap.parse_args(argv)

    head = (
        f"{'scale':<9} {'left':>8} {'right':>9} {'seconds':>8} {'peak MB':>8} {'× base':>7} "
        f"{'precision':>9} {'recall':>7} {'links':>8} | {'exact-join P':>12} {'R':>6}"
    )
    print(head)
    print("-" * len(head))
    for scale in args.scales:
        r = run(scale, ensure_data(scale, args.data), args.threshold)
        e, b = r["eval"], r["baseline_eval"]
        print(
            f"{scale:<9} {r['left']:>8,} {r['right']:>9,} {r['seconds']:>8.1f} "
            f"{r['peak_mb']:>8,.0f} {r['seconds'] / max(r['baseline_seconds'], 1e-9):>7.0f} "
            f"{e['precision']:>9.4f} {e['recall']:>7.4f} {e['n']:>8,} | "
            f"{b['precision']:>12.4f} {b['recall']:>6.4f}",
            flush=True,
        )
        print(f"          stages (s): {r['report']['seconds']}", flush=True)
        for t, ev in r["by_threshold"].items():
            print(
                f"          threshold {t}: precision {ev['precision']:.4f} "
                f"recall {ev['recall']:.4f} links {ev['n']:,}",
                flush=True,
            )


if __name__ == "__main__":
    main()
