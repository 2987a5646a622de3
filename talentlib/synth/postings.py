"""Synthetic Korean job postings with ground truth: text, HTML, PDF and scanned-looking images.

`generate_postings(rng, params, out)` writes ``out/postings/``:

- ``raw/<posting_id>.{txt,html,pdf,png}`` — the postings as a recruiter published them, with
  the recruiters' phone numbers and e-mail addresses (fake but well-formed) still in them: raw
  data is immutable, masking happens on ingestion.
- ``labels.jsonl`` — the planted truth, one JSON object per posting (schema in LABEL_FIELDS).
- ``job_postings.parquet`` — the posting index of the ``job_postings`` contract. Every row has
  ``file_path`` (the raw file, relative to the postings folder); ``text`` holds the PII-masked
  text only where the source is plain text (file_type txt) — HTML, PDF and images must go
  through ingestion (parsing, OCR), which masks before it stores.

Competency labels are what the reference matcher (`postings.matcher`) finds in the posting,
line by line: the generator plants competencies by writing one of their surface forms into the
duties, requirements and preferred sections, then labels exactly the codes the matcher finds
(planted ones whose line was swallowed by a longer surface form are re-drawn). Boilerplate
(company blurb, benefits, process, contacts) is written to contain no surface form.
Deterministic per seed; sizes, mixes and families are in postings_params.yaml, the words in
postings_vocabulary.yaml. This module is the generator part (sizes, formats, files, truth);
``postings_compose`` writes one posting, ``postings_render`` renders it in each format.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from .. import taxonomy
from ..pii import mask_pii
from .postings_compose import (
    REQUIRED_SECTIONS,
    Posting,
    Section,
    Writer,
    build_companies,
    compose_posting,
    default_vocabulary,
)
from .postings_render import (
    html_to_text,
    render_html,
    render_image,
    render_pdf_image,
    render_pdf_text,
    render_text,
)

PARAMS_PATH = Path(__file__).with_name("postings_params.yaml")
FORMATS = ("txt", "html", "pdf_text", "pdf_image", "png")
FILE_TYPE = {"txt": "txt", "html": "html", "pdf_text": "pdf", "pdf_image": "pdf", "png": "png"}
RENDERED = ("pdf_text", "pdf_image", "png")
EMPLOYMENT_TYPES = ("REGULAR", "CONTRACT", "INTERN", "DISPATCH")
EDUCATION_CODES = ("ANY", "HS", "ASSOC", "BACHELOR", "MASTER", "PHD")
# The fields of one labels.jsonl record, in order.
LABEL_FIELDS = (
    "posting_id",
    "file",
    "file_type",
    "format",
    "field_code",
    "job_family",
    "title",
    "company_id",
    "company_type",
    "competencies",
    "required",
    "preferred",
    "education",
    "majors",
    "experience_min_years",
    "employment_type",
    "region",
    "salary",
    "salary_min",
    "salary_max",
    "salary_period",
    "posted_on",
    "has_pii",
)


@lru_cache(maxsize=1)
def default_postings_params() -> dict[str, Any]:
    with open(PARAMS_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# ---------------------------------------------------------------------------------------------
# The generator part
# ---------------------------------------------------------------------------------------------


def _infer_scale(params: dict[str, Any], out: Path, pp: dict[str, Any]) -> str:
    """The dataset's scale: params['postings_scale'] or params['scale'] if set, else the scale
    whose researcher count is nearest to out/researchers.parquet, else 'small'."""
    for key in ("postings_scale", "scale"):
        if isinstance(params.get(key), str) and params[key] in pp["scales"]:
            return str(params[key])
    path = out / "researchers.parquet"
    scales = params.get("scales") or {}
    if path.exists() and scales:
        n = pl.scan_parquet(path).select(pl.len()).collect().item()
        best = min(
            (s for s in scales if s in pp["scales"]),
            key=lambda s: abs(np.log(max(n, 1) / float(scales[s]["researchers"]))),
            default="small",
        )
        return str(best)
    return "small"


def _formats(
    rng: np.random.Generator, n: int, shares: dict[str, float], max_rendered: int
) -> list[str]:
    keys = [k for k in FORMATS if shares.get(k, 0) > 0]
    w = np.array([float(shares[k]) for k in keys])
    counts = np.floor(w / w.sum() * n).astype(int)
    for i in np.argsort(-(w / w.sum() * n - counts))[: n - counts.sum()]:
        counts[i] += 1
    quota = dict(zip(keys, counts.tolist(), strict=True))
    rendered = [k for k in keys if k in RENDERED]
    excess = sum(quota[k] for k in rendered) - max_rendered
    while excess > 0:  # keep the cap, move the rest to text
        k = max(rendered, key=lambda r: quota[r])
        quota[k] -= 1
        quota["txt"] = quota.get("txt", 0) + 1
        excess -= 1
    seq = [k for k in FORMATS for _ in range(quota.get(k, 0))]
    return [seq[i] for i in rng.permutation(len(seq))]


def generate_postings(
    rng: np.random.Generator,
    params: dict[str, Any],
    out: str | Path,
    *,
    scale: str | None = None,
    n_postings: int | None = None,
    formats: dict[str, float] | None = None,
    max_rendered: int | None = None,
    postings_params: dict[str, Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Write out/postings/ (raw files, labels.jsonl, job_postings.parquet); return the truth.

    The size comes from `n_postings`, else the scale (`scale`, params['postings_scale'], or the
    one matching out/researchers.parquet) in postings_params.yaml. `formats` (shares of txt,
    html, pdf_text, pdf_image, png) and `max_rendered` override the scale's mix, e.g. 500 PNGs
    for an OCR benchmark: ``formats={"png": 1}, max_rendered=500``.
    """
    t0 = time.perf_counter()
    pp = postings_params or default_postings_params()
    out = Path(out)
    scale = scale or _infer_scale(params or {}, out, pp)
    spec = pp["scales"][scale]
    n = int(n_postings if n_postings is not None else spec["n_postings"])
    shares = formats or spec["formats"]
    cap = int(max_rendered if max_rendered is not None else spec.get("max_rendered", n))
    root = out / "postings"
    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for old in raw.iterdir():  # a re-run replaces the previous postings
        if old.is_file():
            old.unlink()

    r_comp, r_post, r_fmt, r_render = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(rng.integers(2**63))).spawn(4)
    )
    companies = build_companies(r_comp, pp, n)
    by_field: dict[str, list[dict[str, Any]]] = {}
    for c in companies:
        by_field.setdefault(c["field_code"], []).append(c)
    writer = Writer(r_post, pp)
    fmts = _formats(r_fmt, n, shares, cap)
    fields = list(pp["field_share"])
    fw = np.array([float(pp["field_share"][f]) for f in fields])
    field_draw = r_post.choice(len(fields), size=n, p=fw / fw.sum())

    index_rows: list[dict[str, Any]] = []
    label_rows: list[dict[str, Any]] = []
    render_seconds = 0.0
    iterator: Iterable[int] = range(n)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="채용공고", unit="건")
    for i in iterator:
        f = fields[int(field_draw[i])]
        pool = by_field[f]
        w = np.array([c["weight"] for c in pool])
        company = pool[int(r_post.choice(len(pool), p=w / w.sum()))]
        pid = f"JP{i + 1:06d}"
        post = compose_posting(r_post, pp, writer, pid, f, company)
        fmt = fmts[i]
        ext = FILE_TYPE[fmt]
        rel = f"raw/{pid}.{ext}"
        text = render_text(post, r_render)
        t_r = time.perf_counter()
        headings = {s.heading for s in post.sections} | {post.title}
        if fmt == "txt":
            (root / rel).write_text(text, encoding="utf-8")
        elif fmt == "html":
            (root / rel).write_text(render_html(post, r_render), encoding="utf-8")
        elif fmt == "pdf_text":
            (root / rel).write_bytes(render_pdf_text(text, headings, r_render))
        else:
            img = render_image(text, headings, r_render)
            if fmt == "png":
                img.save(root / rel, format="PNG", compress_level=1)
            else:
                (root / rel).write_bytes(render_pdf_image(img, r_render))
        render_seconds += time.perf_counter() - t_r
        lab = post.labels
        label_rows.append(
            {
                "posting_id": pid,
                "file": rel,
                "file_type": ext,
                "format": fmt,
                **{k: v for k, v in lab.items() if not k.startswith("_")},
                "_boilerplate_codes": lab["_boilerplate_codes"],
            }
        )
        index_rows.append(
            {
                "posting_id": pid,
                "source": post.source,
                "posted_on": post.posted_on,
                "company_id": company["company_id"],
                "company_type": company["company_type"],
                "field_code": f,
                "title": mask_pii(post.title),
                "text": mask_pii(text) if fmt == "txt" else None,
                "file_path": rel,
                "file_type": ext,
            }
        )

    schema = {
        "posting_id": pl.String,
        "source": pl.String,
        "posted_on": pl.Date,
        "company_id": pl.String,
        "company_type": pl.String,
        "field_code": pl.String,
        "title": pl.String,
        "text": pl.String,
        "file_path": pl.String,
        "file_type": pl.String,
    }
    index = pl.DataFrame(index_rows, schema=schema, orient="row")
    tmp = root / "job_postings.parquet.tmp"
    index.write_parquet(tmp, compression="zstd")
    tmp.replace(root / "job_postings.parquet")
    with open(root / "labels.jsonl.tmp", "w", encoding="utf-8") as fh:
        for row in label_rows:
            rec = {k: row[k] for k in LABEL_FIELDS}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (root / "labels.jsonl.tmp").replace(root / "labels.jsonl")
    companies_df = pl.DataFrame(
        [
            {k: c[k] for k in ("company_id", "name", "field_code", "company_type", "region")}
            for c in companies
        ]
    )
    companies_df.write_parquet(root / "companies.parquet")
    truth = _truth(label_rows, companies, pp, scale, n)
    # timings vary between runs: they go to the part's manifest, not into truth.json
    manifest = {
        "dataset": "talentlib synthetic job postings",
        "params_version": pp["version"],
        "taxonomy_version": taxonomy.version("competencies"),
        "scale": scale,
        "n_postings": n,
        "by_format": truth["by_format"],
        "seconds": round(time.perf_counter() - t0, 2),
        "render_seconds": round(render_seconds, 2),
    }
    (root / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return truth


def _truth(
    rows: list[dict[str, Any]],
    companies: list[dict[str, Any]],
    pp: dict[str, Any],
    scale: str,
    n: int,
) -> dict[str, Any]:
    """What the job analysis must recover (counts are exact; rates are planted)."""

    def count(key: str) -> dict[str, int]:
        return dict(sorted(Counter(str(r[key]) for r in rows).items()))

    prevalence: dict[str, dict[str, int]] = {}
    for r in rows:
        d = prevalence.setdefault(r["field_code"], {})
        for c in r["competencies"]:
            d[c] = d.get(c, 0) + 1
    return {
        "scale": scale,
        "n_postings": n,
        "n_companies": len(companies),
        "files": {
            "index": "postings/job_postings.parquet",
            "labels": "postings/labels.jsonl",
            "raw": "postings/raw",
            "companies": "postings/companies.parquet",
            "manifest": "postings/manifest.json",
        },
        "by_format": count("format"),
        "by_field": count("field_code"),
        "by_job_family": count("job_family"),
        "by_company_type": count("company_type"),
        "by_education": count("education"),
        "by_employment_type": count("employment_type"),
        "with_pii": sum(1 for r in rows if r["has_pii"]),
        "boilerplate_mentions": sum(len(r["_boilerplate_codes"]) for r in rows),
        "planted_universal_rates": dict(pp["universal_rates"]),
        "competency_counts_by_field": {
            f: dict(sorted(d.items())) for f, d in sorted(prevalence.items())
        },
    }


__all__ = [
    "generate_postings",
    "compose_posting",
    "render_text",
    "render_html",
    "render_image",
    "render_pdf_text",
    "render_pdf_image",
    "html_to_text",
    "default_postings_params",
    "default_vocabulary",
    "Posting",
    "Section",
    "Writer",
    "LABEL_FIELDS",
    "FORMATS",
    "REQUIRED_SECTIONS",
]
