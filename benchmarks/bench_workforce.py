"""Benchmark: 1,000,000 synthetic works with their authorships through every global indicator
of the workforce map, for all 12 fields.

Run by hand (never in the test suite):  python benchmarks/bench_workforce.py [--works 1000000]

Works come from ``synth.publications.build_publications`` directly (no files, no faults). The
same pipeline first runs on a baseline of ``--baseline`` works in the same process; the ratio
column is seconds per work at full size over seconds per work at the baseline (1.0 = linear).
Peak memory is the process's maximum resident set size after each step (it only grows).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy
from talentlib import workforce as wf
from talentlib.synth import truth as synth_truth
from talentlib.synth.base import default_params
from talentlib.synth.publications import build_publications


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n_works: int, seed: int = 1) -> tuple[dict[str, tuple[int, float, float]], dict]:
    """Seconds and peak memory per step for one size; also the quality figures."""
    steps: dict[str, tuple[int, float, float]] = {}

    def timed(name: str, rows: int | None, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        out = fn()
        steps[name] = (rows if rows is not None else n_works, time.perf_counter() - t, peak_mb())
        return out

    rng = np.random.default_rng(seed)
    works, auths, labels, _movers = timed(
        "generate works + authorships",
        None,
        lambda: build_publications(rng, default_params(), n_works),
    )
    n_auth = auths.height
    works = timed("classify_publications", None, lambda: wf.classify_publications(works))
    b = timed("bibliometrics (flags, credit)", n_auth, lambda: wf.bibliometrics(works, auths))
    fields = taxonomy.fields()["code"].to_list()
    res: dict[str, Any] = {}
    res["field"] = timed(
        "country_output field", None, lambda: wf.country_output(b, unit="field_code")
    )
    timed("country_output technology", None, lambda: wf.country_output(b, unit="tech_code"))
    by_year = timed(
        "country_output field x year",
        None,
        lambda: wf.country_output(b, unit="field_code", by_year=True),
    )
    timed(
        "korea_vs_leader (+ by year)",
        None,
        lambda: (wf.korea_vs_leader(res["field"]), wf.korea_vs_leader(by_year)),
    )
    timed(
        "activity_index tech + field",
        None,
        lambda: (wf.activity_index(b, unit="tech_code"), wf.activity_index(b, unit="field_code")),
    )
    timed(
        "collaboration field x year",
        None,
        lambda: wf.collaboration(b, unit="field_code", by_year=True),
    )
    timed(
        "trend_series field + tech",
        None,
        lambda: (wf.trend_series(b, unit="field_code"), wf.trend_series(b, unit="tech_code")),
    )
    timed(
        "collaboration_network x 12",
        None,
        lambda: [wf.collaboration_network(b, value=f, countries=["KR"]) for f in fields],
    )
    timed(
        "key_institutions x 12", n_auth, lambda: [wf.key_institutions(b, value=f) for f in fields]
    )
    timed("key_researchers x 12", n_auth, lambda: [wf.key_researchers(b, value=f) for f in fields])
    timed("topic_trends x 12", None, lambda: [wf.topic_trends(b, field_code=f) for f in fields])
    moves = timed("author_mobility", n_auth, lambda: wf.author_mobility(b))
    timed("talent_flow", None, lambda: wf.talent_flow(moves))
    timed(
        "global_key_numbers x 12",
        None,
        lambda: [wf.global_key_numbers(b, field_code=f) for f in fields],
    )

    acc = wf.classification_accuracy(works, labels)
    truth = synth_truth.publication_truth(labels, works.drop("field_code", "tech_code"), auths)
    kr = dict(
        res["field"]
        .filter(pl.col("country_code") == "KR")
        .select("field_code", "rank_top10")
        .iter_rows()
    )
    ranks = {f: (t["korea_rank_top10"], kr.get(f)) for f, t in truth.items()}
    quality = {
        "authorships": n_auth,
        "field_accuracy": acc["field_accuracy"],
        "tech_accuracy": acc["tech_accuracy"],
        "korea_rank_truth_vs_classified": ranks,
        "moves": moves.height,
    }
    return steps, quality


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=100_000)
    args = ap.parse_args()
    print(f"polars {pl.__version__}, threads {pl.thread_pool_size()}", file=sys.stderr)
    base, _ = run(args.baseline)
    t0 = time.perf_counter()
    full, quality = run(args.works)
    total = time.perf_counter() - t0
    print(f"{'step':<32}{'rows':>12}{'seconds':>10}{'peak MB':>10}{'ratio':>8}")
    indicators = 0.0
    for name, (rows, sec, mb) in full.items():
        b_rows, b_sec, _ = base[name]
        ratio = (sec / rows) / (b_sec / b_rows) if b_sec > 0 else float("nan")
        print(f"{name:<32}{rows:>12,}{sec:>10.2f}{mb:>10.0f}{ratio:>8.2f}")
        if not name.startswith(("generate", "classify")):
            indicators += sec
    print(f"{'all global indicators':<32}{args.works:>12,}{indicators:>10.2f}{peak_mb():>10.0f}")
    print(f"{'total incl. generation':<32}{args.works:>12,}{total:>10.2f}")
    print(
        f"authorships {quality['authorships']:,}; classification accuracy field "
        f"{quality['field_accuracy']}, technology {quality['tech_accuracy']}; "
        f"author moves {quality['moves']:,}"
    )
    print(
        "Korea's rank by top-10 % share (truth, classified):",
        quality["korea_rank_truth_vs_classified"],
    )


if __name__ == "__main__":
    main()
