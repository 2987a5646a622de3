"""Benchmark: real-data route of the global workforce map at 1 M → 10 M works (issue 11).

Run by hand (never in the test suite):

    python benchmarks/bench_openalex_scale.py                          # 1 M and 10 M works
    python benchmarks/bench_openalex_scale.py --sizes 100000 1000000   # a quick look
    python benchmarks/bench_openalex_scale.py --work-dir /data/bench   # where the files go

For each size it writes synthetic works (``synth.publications.build_publications``, in chunks
so that writing stays bounded) as an OpenAlex snapshot — ``works/updated_date=…/part_NNN.gz``,
gzipped JSON lines with OpenAlex's nested ``topics`` and ``authorships`` — and then times, each
step in its own process as a user would run it:

1. ``talent openalex import SNAPSHOT --out DIR`` (the CLI, streaming, crosswalk classification);
2. the shared world of the map from the imported folder alone (``workforce.prepare_world``:
   lazy scans of the Parquet parts the import's manifest vouches for — contract validation only
   where it does not — citation flags, country credit, country tables, Activity Index,
   collaboration, author moves);
3. every field's global map (``workforce.map_tables`` × 12: rankings, Korea vs the leader,
   networks, key institutions, emerging topics, key numbers, talent flow through disclosure
   control) and ``workforce.global_indicators`` for all fields.

Memory is the peak resident set of the step's whole process tree (``tree_memory.TreeMemory``,
sampled every 0.1 s, children included). The growth column is seconds per work at this size over seconds per
work at the first size (1.0 = linear). Files are written under ``--work-dir`` (default: a new
temporary folder, removed afterwards unless ``--keep``); ``--reuse`` times only the map steps on
the imports an earlier ``--keep`` run left there (to compare two versions of the map on one
import).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tree_memory import TreeMemory  # noqa: E402

CHUNK = 500_000  # works generated and written at once (one snapshot part each)
UPDATED = "2026-11-01"


def timed_process(cmd: list[str], *, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak MiB of its process tree). Raises on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    with TreeMemory(proc.pid, every=0.1) as mem:
        rc = proc.wait()
    secs = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"step failed (exit {rc}): {' '.join(cmd)}")
    return secs, mem.peak / 2**20


# --- writing a snapshot (in a child process: its memory is not the pipeline's) ---------------

_WRITE = r"""
import gzip, sys
import numpy as np, polars as pl
from pathlib import Path
from talentlib import openalex
from talentlib.synth.base import default_params
from talentlib.synth.publications import build_publications

out, n, chunk, updated = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
part_dir = out / "works" / f"updated_date={updated}"
part_dir.mkdir(parents=True, exist_ok=True)
params, P = default_params(), openalex.PREFIX
n_auth = 0
for k, start in enumerate(range(0, n, chunk)):
    m = min(chunk, n - start)
    works, auths, _labels, _movers = build_publications(np.random.default_rng(1000 + k), params, m)
    # ids unique across chunks: works numbered in order, each chunk its own authors
    ids = pl.DataFrame({"work_id": works["work_id"],
                        "new": [f"W{4_000_000_000 + start + i}" for i in range(m)]})
    a_off = pl.lit(k * 1_000_000_000, pl.Int64)
    auths = (
        auths.join(ids, on="work_id", how="left", maintain_order="left")
        .with_columns(pl.col("new").alias("work_id"),
                      ("A" + (pl.col("author_id").str.slice(1).cast(pl.Int64) + a_off)
                       .cast(pl.String)).alias("author_id"))
        .drop("new")
    )
    works = works.join(ids, on="work_id", how="left", maintain_order="left").with_columns(
        pl.col("new").alias("work_id")).drop("new")
    n_auth += auths.height
    topics = works.select(
        "work_id",
        pl.col("topics").list.eval(pl.struct(
            pl.element().alias("display_name"),
            (0.99 - 0.05 * pl.int_range(pl.len())).alias("score"),
            pl.struct(pl.lit("Physical Sciences").alias("display_name")).alias("domain"),
        )).alias("topics"),
    )
    inst = pl.struct(
        (P + pl.col("institution_id")).alias("id"), pl.col("country_code")
    )
    per_work = (
        auths.sort("work_id", "author_position")
        .group_by("work_id", maintain_order=True)
        .agg(pl.struct(
            pl.struct((P + pl.col("author_id")).alias("id")).alias("author"),
            pl.concat_list(inst).alias("institutions"),
        ).alias("authorships"))
    )
    doc = (
        works.select("work_id", "title", "publication_year", "cited_by_count")
        .join(topics, on="work_id", how="left", maintain_order="left")
        .join(per_work, on="work_id", how="left", maintain_order="left")
        .select((P + pl.col("work_id")).alias("id"), "title", "publication_year",
                "cited_by_count", pl.lit(updated).alias("updated_date"), "topics", "authorships")
    )
    with gzip.open(part_dir / f"part_{k:03d}.gz", "wb", compresslevel=1) as fh:
        doc.write_ndjson(fh)
    print(f"  part {k}: {m:,} works", file=sys.stderr, flush=True)
print(n_auth)
"""

# --- the map from the imported folder ----------------------------------------------------------

_MAP = r"""
import json, sys, time
import polars as pl
from talentlib import privacy, taxonomy
from talentlib import workforce as wf

folder, result, step, years = sys.argv[1], sys.argv[2], sys.argv[3], (2013, 2023)
rules = privacy.DisclosureRules(cell_key_salt="bench-openalex-scale")
t = time.perf_counter()
world = wf.prepare_world(None, folder, years=years, rules=rules)
out = {"world_s": time.perf_counter() - t,
       "works": world.bibliometrics.works.height,
       "authorships": world.bibliometrics.authorships.height,
       "kr_rank": {}}
if step == "maps":
    t = time.perf_counter()
    for f in taxonomy.fields()["code"].to_list():
        mt = wf.map_tables(world, wf.MapSpec(field=f, years=years), rules=rules)
        kr = mt.public["country_ranking"].filter(pl.col("country_code") == "KR")
        out["kr_rank"][f] = kr["rank_top10"].to_list()[:1]
    out["maps_s"] = time.perf_counter() - t
    t = time.perf_counter()
    gi = wf.global_indicators(world.bibliometrics)
    out["global_indicators_s"] = time.perf_counter() - t
    out["global_indicator_tables"] = len(gi)
open(result, "w").write(json.dumps(out))
"""


def run_size(
    n: int, work: Path, *, keep: bool, reuse: bool = False
) -> dict[str, tuple[float, float]]:
    py = sys.executable
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS", str(os.cpu_count() or 2)),
    }
    snap, out = work / f"snapshot_{n}", work / f"openalex_{n}"
    steps: dict[str, tuple[float, float]] = {}
    if reuse and (out / "openalex_manifest.json").is_file():
        print(f"\n== {n:,} works: reusing the import in {out}", file=sys.stderr, flush=True)
    else:
        for p in (snap, out):
            shutil.rmtree(p, ignore_errors=True)
        print(f"\n== {n:,} works: writing the snapshot", file=sys.stderr, flush=True)
        steps["write snapshot (not timed work)"] = timed_process(
            [py, "-c", _WRITE, str(snap), str(n), str(CHUNK), UPDATED], env=env
        )
        gz = sum(p.stat().st_size for p in snap.rglob("*.gz"))
        print(f"   {gz / 2**20:,.0f} MiB gzipped", file=sys.stderr, flush=True)
        steps["talent openalex import"] = timed_process(
            [py, "-m", "talentlib.cli", "openalex", "import", str(snap / "works"), "--out",
             str(out)],
            env={**env, "CI": "1"},
        )  # fmt: skip
    manifest = (
        json.loads((out / "openalex_manifest.json").read_text())
        if (out / "openalex_manifest.json").exists()
        else {}
    )
    t = manifest.get("totals", {})
    print(
        f"   import: in {t.get('in')}, kept {t.get('kept')}, quarantined {t.get('quarantined')}, "
        f"authorships {t.get('authorships')}, adds up {t.get('adds_up')}",
        file=sys.stderr,
        flush=True,
    )
    res_file = work / f"map_{n}.json"
    cmd = [py, "-c", _MAP, str(out), str(res_file)]
    steps["world (validate + bibliometrics)"] = timed_process([*cmd, "world"], env=env)
    steps["world + 12 field maps + all indicators"] = timed_process([*cmd, "maps"], env=env)
    detail = json.loads(res_file.read_text())
    steps["  of which 12 field maps"] = (detail["maps_s"], float("nan"))
    steps["  of which global_indicators"] = (detail["global_indicators_s"], float("nan"))
    print(
        f"   kept works {detail['works']:,}, authorships {detail['authorships']:,}; "
        f"Korea's top-10 % rank per field: {detail['kr_rank']}",
        file=sys.stderr,
        flush=True,
    )
    steps["_authorships"] = (float(detail["authorships"]), 0.0)
    if not keep:
        shutil.rmtree(snap, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--work-dir", type=Path, default=None, help="where snapshots and imports go")
    ap.add_argument("--keep", action="store_true", help="keep the written files")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="with --work-dir: time only the map steps on an import kept by an earlier --keep run",
    )
    args = ap.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench_openalex_"))
    work.mkdir(parents=True, exist_ok=True)
    results = {
        n: run_size(n, work, keep=args.keep or args.reuse, reuse=args.reuse) for n in args.sizes
    }
    first = args.sizes[0]
    print(f"\ncpu cores {os.cpu_count()}; sizes {args.sizes}")
    print(f"{'step':<42}{'works':>12}{'seconds':>10}{'peak MiB':>10}{'growth':>8}")
    for n, steps in results.items():
        auth = int(steps.pop("_authorships")[0])
        for name, (sec, mb) in steps.items():
            b = results[first].get(name, (float("nan"),))[0]
            growth = (sec / n) / (b / first) if b and n != first else float("nan")
            print(f"{name:<42}{n:>12,}{sec:>10.1f}{mb:>10.0f}{growth:>8.2f}")
        print(f"{'  authorships kept':<42}{n:>12,}{auth:>20,}")
    if args.work_dir is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
