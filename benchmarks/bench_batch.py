"""The whole batch (every notebook of a pipeline × 12 fields, briefs, summary and the release
audit) with 1 and with N workers: wall time, speed-up over 1 worker, peak memory of the process
tree, and where the time went (each notebook summed over the fields, the briefs, the audit).

    .venv/bin/python benchmarks/bench_batch.py                    # medium dataset, 1 and 2 workers
    .venv/bin/python benchmarks/bench_batch.py --scale small --workers 1 2 4
    .venv/bin/python benchmarks/bench_batch.py --scale small --workers 2 --baseline HEAD~3

``--baseline REV`` runs the same batch first with the code of git revision REV (a worktree put
first on PYTHONPATH, so the notebooks' kernels import it too), then with this checkout, and
reports this checkout's time as a ratio of the baseline's, measured in the same session.

The dataset is generated first if missing (not timed). Each run is a fresh run folder (no
resume). `prepare` (hashing the inputs, validating the dataset once) and `execute` (notebooks,
briefs, summary) are timed apart. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# the code under test: this checkout, or (--baseline) a worktree of another revision
ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from tree_memory import TreeMemory  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium", choices=["tiny", "small", "medium", "national"])
    ap.add_argument("--data", help="dataset folder (default data/synthetic/SCALE)")
    ap.add_argument("--pipeline", help="default: pipelines/default.yaml of the code under test")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--fields", nargs="+", help="default: the pipeline's (all 12)")
    ap.add_argument("--outputs", help="where the runs go (default: a temporary folder)")
    ap.add_argument("--baseline", help="git revision to time first, in the same session")
    args = ap.parse_args()
    if args.baseline:
        return compare(args)
    args.pipeline = args.pipeline or str(ROOT / "pipelines" / "default.yaml")

    from talentlib import batch, datasets

    os.chdir(ROOT)
    data = Path(args.data) if args.data else ROOT / "data" / "synthetic" / args.scale
    t = time.perf_counter()
    data = datasets.ensure(data, args.scale, generate=not args.data)
    print(f"dataset {data} ready ({time.perf_counter() - t:.1f}s, not timed below)")
    size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    pipeline = batch.load_pipeline(args.pipeline)
    outputs = Path(args.outputs or tempfile.mkdtemp(prefix="bench_batch_"))
    rows = []
    for w in args.workers:
        t0 = time.perf_counter()
        with TreeMemory() as mem:
            plan = batch.prepare(
                pipeline,
                outputs=outputs,
                fields=args.fields,
                data=data,
                workers=w,
                say=lambda s: print(f"  {s}"),
                root=ROOT,
            )
            t1 = time.perf_counter()
            result = batch.execute(plan, quiet=True)
        t2 = time.perf_counter()
        rows.append(
            {
                "workers": w,
                "fields": len(plan.fields),
                "notebooks": len(plan.notebooks),
                "prepare_s": t1 - t0,
                "execute_s": t2 - t1,
                "wall_s": t2 - t0,
                "peak_mib": mem.peak / 2**20,
                "failed": len(result.failed),
                "run": result.run_dir.name,
                "steps": step_seconds(result.run_dir),
            }
        )
        print(f"  workers={w}: {t2 - t0:.1f}s ({len(result.failed)} failed) → {result.run_dir}")
        for line in batch.failure_lines(result):
            print(f"    {line}")
    base = rows[0]["wall_s"]
    print(
        f"\nbatch: dataset {args.data or args.scale} ({size / 2**20:,.0f} MiB on disk), "
        f"{rows[0]['fields']} fields × {rows[0]['notebooks']} notebook(s) + briefs, "
        f"{os.cpu_count()} CPUs, POLARS_MAX_THREADS = cpus / workers"
    )
    print(
        f"{'workers':>7} {'prepare s':>10} {'execute s':>10} {'wall s':>9} {'speed-up':>9} "
        f"{'peak MiB':>9} {'failed':>7}"
    )
    for r in rows:
        print(
            f"{r['workers']:>7} {r['prepare_s']:>10.1f} {r['execute_s']:>10.1f} "
            f"{r['wall_s']:>9.1f} {base / r['wall_s']:>8.2f}x {r['peak_mib']:>9,.0f} "
            f"{r['failed']:>7}"
        )
    print("\nwhere the time went (seconds, summed over the fields; the gate: the release audit)")
    names = sorted({k for r in rows for k in r["steps"]})
    print(f"{'workers':>7} " + " ".join(f"{n:>17}" for n in names))
    for r in rows:
        print(f"{r['workers']:>7} " + " ".join(f"{r['steps'].get(n, 0):>17.1f}" for n in names))
    return 0


def step_seconds(run_dir: Path) -> dict[str, float]:
    """Seconds per notebook (and brief) summed over the fields, from the run's step markers,
    and the release gate's audit from the run record."""
    import json

    out: dict[str, float] = {}
    for marker in sorted((run_dir / "internal").glob("*/.done/*.json")):
        step = marker.stem
        out[step] = out.get(step, 0.0) + float(json.loads(marker.read_text())["seconds"])
    report = run_dir / "internal" / "check" / "check_report.json"
    if report.exists():
        out["release_gate"] = float(json.loads(report.read_text())["seconds"])
    run = json.loads((run_dir / "run.json").read_text())
    for name, secs in (run.get("phases") or {}).items():  # wall seconds of the run's phases
        out[f"wall:{name}"] = float(secs)
    return out


def compare(args: argparse.Namespace) -> int:
    """The batch with the baseline revision's code, then with this checkout's, same data and
    workers, one after the other; ratios of this checkout over the baseline."""
    import json
    import subprocess

    base = Path(tempfile.mkdtemp(prefix="bench_base_")) / "repo"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.baseline],
        check=True,
        capture_output=True,
    )
    try:
        results = {}
        for label, code in (("baseline", base), ("current", ROOT)):
            out = Path(tempfile.mkdtemp(prefix=f"bench_{label}_"))
            cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_batch.py"),
                   "--scale", args.scale, "--workers", str(args.workers[-1]),
                   "--outputs", str(out)]  # fmt: skip
            if args.pipeline:
                cmd += ["--pipeline", args.pipeline]
            # the same data for both (a worktree has no generated data of its own)
            cmd += ["--data", args.data or str(ROOT / "data" / "synthetic" / args.scale)]
            if args.fields:
                cmd += ["--fields", *args.fields]
            env = {**os.environ, "PYTHONPATH": str(code), "BENCH_ROOT": str(code)}
            t = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, cwd=code)
            wall = time.perf_counter() - t
            run = next(p for p in out.iterdir() if (p / "run.json").exists())
            results[label] = {"wall_s": wall, "steps": step_seconds(run)}
        b, c = results["baseline"], results["current"]
        print(
            f"\n{args.baseline} → this checkout, {args.data or args.scale}, "
            f"{args.workers[-1]} workers"
        )
        print(f"{'':>18} {'baseline s':>11} {'current s':>10} {'ratio':>7}")
        rows = [("wall (whole run)", b["wall_s"], c["wall_s"])]
        names = sorted(set(b["steps"]) | set(c["steps"]))
        rows += [(n, b["steps"].get(n, 0.0), c["steps"].get(n, 0.0)) for n in names]
        for name, x, y in rows:
            print(f"{name:>18} {x:>11.1f} {y:>10.1f} {y / x if x else float('nan'):>6.2f}x")
        print(json.dumps(results))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                       check=False, capture_output=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
