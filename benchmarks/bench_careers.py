"""Benchmark: talentlib's career tables against a hand-written DuckDB peer (``careers_duckdb``).

Run by hand (never in the test suite), on a quiet machine or with ``nice``:
    python benchmarks/bench_careers.py --scale medium            # data/synthetic/medium
    python benchmarks/bench_careers.py --data /tmp/talent_medium --pairs 7

Both implementations start from the same contract-validated data, written once as parquet
(contracts are talentlib's and not compared), and make the same core tables of all 12 fields:
keyed linkage, status every 3 months to 36 months after exit, employer type and KSIC division at
12 months, wage p25/50/75 by degree, every count with its cell key. The benchmark first checks
that they agree cell for cell, then runs alternating pairs (talentlib first, then DuckDB first),
each run in its own subprocess, and prints min / median / max of the ratio talentlib / DuckDB
for wall and CPU seconds (CPU: user + system of all threads). A third run per pair times what a
release does (link + ``career_tables`` for 12 fields + ``field_comparison``, every table through
disclosure control), against the same DuckDB run.

``--careers-module PATH`` measures another version of ``talentlib/careers/`` (a package folder,
or an older single-file ``careers.py``; e.g. the
previous commit's) in its place, for before / after comparisons.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SALT = "bench-careers-salt"  # a fixed salt: the same cell keys in every run


def _load_careers(path: str | None):
    """talentlib.careers, or the package folder (or single file) at ``path`` in its place."""
    if path:
        import importlib.util

        where = Path(path)
        spec = (
            importlib.util.spec_from_file_location(
                "talentlib.careers", where / "__init__.py", submodule_search_locations=[str(where)]
            )
            if where.is_dir()
            else importlib.util.spec_from_file_location("talentlib.careers", where)
        )
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules["talentlib.careers"] = mod
        spec.loader.exec_module(mod)
    from talentlib import careers

    return careers


def worker(kind: str, folder: str, careers_module: str | None) -> dict:
    """One timed run in this process: ``talentlib``, ``duckdb``, ``release`` or ``check``."""
    import resource
    import time

    sys.path.insert(0, str(HERE))
    import careers_duckdb as peer

    careers = _load_careers(careers_module)
    if kind in ("duckdb", "check"):
        import duckdb  # noqa: F401  (imported before the clock starts, like polars)

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    w0, c0 = time.perf_counter(), cpu()
    out: dict = {}
    if kind == "talentlib":
        linked = peer.talentlib_link(folder)
        tables = peer.talentlib_core(linked, salt=SALT, careers=careers)
        out["cells"] = sum(t.height for t in tables.values())
    elif kind == "duckdb":
        tables = peer.duckdb_core(folder, salt=SALT)
        out["cells"] = sum(t.height for t in tables.values())
    elif kind == "release":
        from talentlib import privacy, taxonomy

        linked = peer.talentlib_link(folder)
        rules = privacy.DisclosureRules()
        n = 0
        for f in taxonomy.fields()["code"]:
            n += len(careers.career_tables(linked, careers.CohortSpec(field=f), rules).tables)
        n += len(careers.field_comparison(linked, rules=rules))
        out["tables"] = n
    elif kind == "check":
        ours = peer.talentlib_core(peer.talentlib_link(folder), salt=SALT, careers=careers)
        theirs = peer.duckdb_core(folder, salt=SALT)
        diff = peer.differences(ours, theirs)
        out["cells"] = sum(t.height for t in ours.values())
        out["differences"] = len(diff)
        out["first_differences"] = diff[:10]
    out["wall"] = time.perf_counter() - w0
    out["cpu"] = cpu() - c0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _prepare(data: Path, scale: str, out: Path) -> None:
    """The synthetic dataset ``data`` (generated at ``scale`` when missing), contract-validated
    and written as parquet into ``out``: what both implementations read."""
    sys.path.insert(0, str(HERE))
    import careers_duckdb as peer

    if not (data / "researchers.parquet").exists():
        from talentlib import synth

        synth.generate(scale, seed=1, out=data)
    peer.write_validated(data, out)


def run(kind: str, folder: Path, careers_module: str | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--folder", str(folder)]
    if careers_module:
        cmd += ["--careers-module", careers_module]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{kind} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spread(values: list[float]) -> str:
    return f"{min(values):>7.2f}{statistics.median(values):>8.2f}{max(values):>7.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="a synthetic dataset folder (default data/synthetic/SCALE)")
    ap.add_argument("--scale", default="medium", help="generated into --data when missing")
    ap.add_argument("--pairs", type=int, default=5, help="alternating paired runs")
    ap.add_argument("--no-release", action="store_true", help="skip the full release runs")
    ap.add_argument("--careers-module", help="a careers/ package (or careers.py) to measure in talentlib's place")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "prepare":
        _prepare(Path(args.data), args.scale, Path(args.folder))
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.folder, args.careers_module)))
        return

    import polars as pl

    data = Path(args.data or f"data/synthetic/{args.scale}")
    with tempfile.TemporaryDirectory(prefix="bench_careers_") as tmp:
        # generated and validated in a child process: a child forked from a process that once
        # held the whole dataset reports that peak memory as its own (ru_maxrss survives exec)
        cmd = [sys.executable, __file__, "--worker", "prepare", "--folder", tmp]
        subprocess.run([*cmd, "--data", str(data), "--scale", args.scale], check=True)
        folder = Path(tmp)
        rows = {
            p.stem: pl.scan_parquet(p).select(pl.len()).collect().item()
            for p in sorted(folder.glob("*.parquet"))
        }
        print(
            f"data: {data}, validated ({', '.join(f'{k} {v:,}' for k, v in rows.items())})",
            flush=True,
        )
        if args.careers_module:
            print(f"talentlib.careers: {args.careers_module}", flush=True)
        check = run("check", folder, args.careers_module)
        if check["differences"]:
            raise SystemExit(
                f"talentlib and DuckDB disagree on {check['differences']} cells, e.g.\n"
                + "\n".join(check["first_differences"])
            )
        print(f"check: talentlib and DuckDB agree on all {check['cells']:,} cells", flush=True)

        runs: dict[str, list[dict]] = {"talentlib": [], "duckdb": [], "release": []}
        kinds = ["talentlib", "duckdb"] + ([] if args.no_release else ["release"])
        for i in range(args.pairs):
            for kind in kinds if i % 2 == 0 else kinds[::-1]:
                runs[kind].append(run(kind, folder, args.careers_module))
            print(f"  pair {i + 1}/{args.pairs} done", file=sys.stderr)

    duck = runs["duckdb"]
    print(f"\n{'run':<46}{'wall s (min med max)':>22}{'cpu s (min med max)':>22}{'peak MB':>9}")
    labels = {
        "talentlib": "talentlib core (link + core tables)",
        "duckdb": "DuckDB peer (link + core tables)",
        "release": "talentlib release (12 fields + comparison)",
    }
    for kind in kinds:
        r = runs[kind]
        print(
            f"{labels[kind]:<46}{_spread([x['wall'] for x in r]):>22}"
            f"{_spread([x['cpu'] for x in r]):>22}{max(x['peak_mb'] for x in r):>9.0f}"
        )
    print(f"\n{'ratio to DuckDB, per pair':<46}{'wall (min med max)':>22}{'cpu (min med max)':>22}")
    for kind in kinds:
        if kind == "duckdb":
            continue
        r = runs[kind]
        print(
            f"{labels[kind]:<46}"
            f"{_spread([a['wall'] / b['wall'] for a, b in zip(r, duck, strict=True)]):>22}"
            f"{_spread([a['cpu'] / b['cpu'] for a, b in zip(r, duck, strict=True)]):>22}"
        )


if __name__ == "__main__":
    main()
