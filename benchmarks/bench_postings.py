"""Benchmark of the posting pipeline: ingest → sections → rules → competency tagger.

Text path: ``--n-text`` synthetic postings (txt and HTML, the national scale's mix). OCR path:
``--n-images`` scanned-looking PNGs (tesseract kor+eng, ``--workers`` at once). Each path runs
with an empty cache (cold) and again with the cache filled (warm). The tagger model is loaded
from ``--model-cache`` (trained first if absent; that time is reported on its own line).

Targets (issue 4): text ≥ 200 postings/s; the OCR path keeps both cores busy; warm ≥ 20× faster
than cold. CPU utilisation = CPU seconds of this process and its children (tesseract runs as a
child process) / (wall seconds × workers).

    python benchmarks/bench_postings.py                       # 10,000 texts, 500 images
    python benchmarks/bench_postings.py --n-images 100        # on a loaded machine
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl


def _cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(out: Path, n: int, formats: dict[str, float], max_rendered: int) -> Path:
    from talentlib.synth.base import default_params
    from talentlib.synth.postings import generate_postings

    if not (out / "postings" / "labels.jsonl").exists():
        generate_postings(
            np.random.default_rng(20240101),
            default_params(),
            out,
            n_postings=n,
            formats=formats,
            max_rendered=max_rendered,
        )
    return out / "postings" / "raw"


def _run(
    name: str, files: list[Path], cache: Path, tagger: object, workers: int
) -> dict[str, object]:
    from talentlib.postings import ingest_folder
    from talentlib.postings.tagger import extract

    t0, c0 = time.perf_counter(), _cpu()
    res = ingest_folder(files, cache_dir=cache / "ingest", workers=workers, quiet=True)
    t1 = time.perf_counter()
    ex = extract(res.postings, tagger, cache_dir=cache / "extract")  # type: ignore[arg-type]
    t2, c2 = time.perf_counter(), _cpu()
    wall = t2 - t0
    return {
        "run": name,
        "files": len(files),
        "postings": ex.height,
        "quarantined": res.n_quarantined,
        "cached": res.n_cached,
        "ingest_s": round(t1 - t0, 2),
        "extract_s": round(t2 - t1, 2),
        "seconds": round(wall, 2),
        "postings_per_s": round(ex.height / wall, 1) if wall else None,
        "cpu_util": round((c2 - c0) / (wall * workers), 2) if wall else None,
        "peak_rss_mb": round(_peak_mb(), 0),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-text", type=int, default=10_000)
    p.add_argument("--n-images", type=int, default=500)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--work", default=None, help="folder for the generated postings (kept)")
    p.add_argument("--model-cache", default=None, help="tagger model cache (default ~/.cache)")
    a = p.parse_args(argv)

    from talentlib.postings.tagger import default_cache_dir, load_or_fit

    work = Path(a.work) if a.work else Path(tempfile.gettempdir()) / "talentlib-bench-postings"
    rows: list[dict[str, object]] = []

    t = time.perf_counter()
    tagger = load_or_fit(a.model_cache or default_cache_dir())
    rows.append({"run": "tagger load_or_fit", "seconds": round(time.perf_counter() - t, 2)})

    t = time.perf_counter()
    paths = []
    if a.n_text:
        raw = _generate(work / f"text{a.n_text}", a.n_text, {"txt": 0.8, "html": 0.2}, 0)
        paths.append(("text", raw, 1))
    if a.n_images:
        raw = _generate(work / f"png{a.n_images}", a.n_images, {"png": 1.0}, a.n_images)
        paths.append(("ocr", raw, a.workers))
    gen_s = round(time.perf_counter() - t, 2)
    print(f"generated in {gen_s} s (not timed below)", file=sys.stderr)

    for label, raw, workers in paths:  # 0 postings or images: that path is skipped
        files = sorted(raw.iterdir())
        cache = work / f"cache-{label}"
        shutil.rmtree(cache, ignore_errors=True)
        cold = _run(f"{label} cold", files, cache, tagger, workers)
        warm = _run(f"{label} warm", files, cache, tagger, workers)
        warm["warm_speedup"] = round(float(cold["seconds"]) / float(warm["seconds"]), 1)  # type: ignore[arg-type]
        rows += [cold, warm]
        print(pl.DataFrame(rows[-2:]), file=sys.stderr)

    table = pl.DataFrame(rows, infer_schema_length=None)
    with pl.Config(tbl_cols=20, tbl_width_chars=220, tbl_rows=20):
        print(table)
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
