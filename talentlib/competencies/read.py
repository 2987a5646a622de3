"""From posting files to what the analysis frame needs: select a dataset's postings, read them
(ingest, masked; tags and rules, ``tagger.extract``) and give each a job family
(``JobFamilyClassifier``, trained on synthetic postings); in a batch run the first field reads
and the others reuse its result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy


@lru_cache(maxsize=1)
def job_families() -> dict[str, dict[str, Any]]:
    """Job family code → its row of the job_families taxonomy (ko, field_code)."""
    return {str(r["code"]): r for r in taxonomy.load("job_families")["codes"]}


class JobFamilyClassifier:
    """Job family from a posting's title and competencies (scikit-learn shape): character
    n-grams of the title plus the competency codes as words, one logistic regression."""

    def __init__(self, C: float = 4.0, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    @staticmethod
    def _docs(
        titles: Sequence[str | None], competencies: Sequence[Sequence[str] | None]
    ) -> list[str]:
        return [
            f"{taxonomy.normalize_text(t or '')} || {' '.join('k_' + c for c in (cs or []))}"
            for t, cs in zip(titles, competencies, strict=True)
        ]

    def fit(
        self, titles: Sequence[str | None], competencies: Sequence[Sequence[str]], y: Sequence[str]
    ) -> JobFamilyClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        words = TfidfVectorizer(analyzer=_code_words)
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 3), min_df=1, sublinear_tf=True,
            preprocessor=_title_part,
        )  # fmt: skip
        self.pipeline_ = make_pipeline(
            FeatureUnion([("title", chars), ("codes", words)]),
            LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state),
        )
        self.pipeline_.fit(self._docs(titles, competencies), list(y))
        self.classes_ = list(self.pipeline_.classes_)
        return self

    def predict(
        self,
        titles: Sequence[str | None],
        competencies: Sequence[Sequence[str] | None],
        fields: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Most likely family per posting; with ``fields``, only families of that field."""
        if not hasattr(self, "pipeline_"):
            raise RuntimeError("JobFamilyClassifier is not fitted; call fit first")
        proba = self.pipeline_.predict_proba(self._docs(titles, competencies))
        if fields is not None:
            fam_field = {c: f["field_code"] for c, f in job_families().items()}
            allowed = np.array(
                [[fam_field.get(c) == f for c in self.classes_] for f in fields], dtype=bool
            )
            proba = np.where(allowed.any(axis=1, keepdims=True) & ~allowed, -1.0, proba)
        return [self.classes_[j] for j in proba.argmax(axis=1)]


def fit_job_families(n_postings: int = 900, seed: int = 86_420) -> JobFamilyClassifier:
    """A JobFamilyClassifier trained on a fresh synthetic posting set (its own seed, plain
    text only; a few seconds). Real postings need labelled examples of their own."""
    from talentlib import training

    titles, codes, families = training.job_family_examples(n_postings, seed)
    return JobFamilyClassifier().fit(titles, codes, families)


def _title_part(doc: str) -> str:
    return doc.split("||")[0]


def _code_words(doc: str) -> list[str]:
    return doc.split("||")[1].split()


def select_postings(
    data: str | Path,
    *,
    sources: Sequence[str] | None = None,
    formats: Sequence[str] | None = None,
) -> pl.DataFrame:
    """The posting index (``postings/job_postings.parquet``) of a dataset, optionally only some
    sources (jobsite_a, company_site, …) and file types (txt, html, pdf, png, jpg)."""
    path = Path(data) / "postings" / "job_postings.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"no posting index at {path}; generate a dataset with `talent synth` or pass the "
            "folder that holds postings/job_postings.parquet"
        )
    try:
        index = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as e:
        first = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path}: not a readable Parquet posting index ({first})") from None
    if sources:
        index = index.filter(pl.col("source").is_in(list(sources)))
    if formats:
        index = index.filter(pl.col("file_type").is_in(list(formats)))
    return index


def posting_files(data: str | Path, index: pl.DataFrame) -> list[Path]:
    root = Path(data) / "postings"
    return [root / p for p in index["file_path"].to_list()]


@lru_cache(maxsize=1)
def _families_model() -> JobFamilyClassifier:
    return fit_job_families()


def assign_job_families(index: pl.DataFrame, extracted: pl.DataFrame) -> pl.DataFrame:
    """posting_id, job_family predicted from the title and the extracted competencies, within
    the posting's field (JobFamilyClassifier trained on synthetic postings)."""
    df = index.select("posting_id", "title", "field_code").join(
        extracted.select("posting_id", "competencies"), on="posting_id", how="inner"
    )
    if df.height == 0:
        return pl.DataFrame(schema={"posting_id": pl.String, "job_family": pl.String})
    fam = _families_model().predict(
        df["title"].to_list(), df["competencies"].to_list(), df["field_code"].to_list()
    )
    return pl.DataFrame({"posting_id": df["posting_id"], "job_family": fam})


@dataclass(frozen=True)
class ReadPostings:
    """What notebook 02 reads from the posting files: the ingest result (postings read, files
    quarantined: n_in = read + quarantined), the extracted tags and rules, and each posting's
    job family; ``tagger`` only when it was loaded (an LLM run needs it for its candidates)."""

    ingested: Any  # postings.IngestResult
    extracted: pl.DataFrame
    families: pl.DataFrame
    tagger: Any | None = None
    reused: bool = False  # read from the run's prepared folder (another field computed it)


def _read_key(files: Sequence[Path], index: pl.DataFrame) -> str:
    """What a read depends on: the files (path, size, time), their posting ids, the tagger's and
    the taxonomy's versions (the prepared folder belongs to one run, so code does not change)."""
    from talentlib import io
    from talentlib.postings import tagger as tg

    return io.content_key(
        [
            io.file_stats(files),
            index["posting_id"].to_list(),
            tg.CompetencyTagger().fingerprint(),
            taxonomy.versions(),
        ]
    )


def read_postings(
    data: str | Path,
    index: pl.DataFrame,
    *,
    cache_dir: str | Path | None = None,
    llm: Any | None = None,
    quiet: bool = True,
) -> ReadPostings:
    """Read the postings of ``index``: ingest (text, HTML, PDF, OCR; masked) → tags and rules
    (``tagger.extract``, in the posting's field) → job family (``assign_job_families``).

    Every field's notebook 02 reads all fields' postings (the common / field-specific split
    compares them), so inside a batch run (``TALENTLIB_PREPARED``, the run's prepared folder)
    the first field to ask computes the result and the others read it: a file lock makes them
    wait instead of computing it again. Without an LLM only; an LLM run computes its own."""
    from talentlib import config, io
    from talentlib.postings import IngestResult, ingest_folder
    from talentlib.postings import tagger as tg

    cache = Path(cache_dir) if cache_dir else tg.default_cache_dir()
    files = posting_files(data, index)
    prepared = config.prepared_dir("postings")

    def compute() -> ReadPostings:
        ingested = ingest_folder(
            files, posting_ids=index["posting_id"].to_list(), cache_dir=cache / "ingest",
            quiet=quiet,
        )  # fmt: skip
        tagger = tg.load_or_fit(cache, llm=llm, llm_cache_dir=cache / "llm")
        extracted = tg.extract(
            ingested.postings.join(
                index.select("posting_id", "field_code"), on="posting_id", how="left"
            ),
            tagger,
            cache_dir=cache / "extract",
        )
        return ReadPostings(ingested, extracted, assign_job_families(index, extracted), tagger)

    if llm is not None or not prepared:
        return compute()

    def dump(out: ReadPostings) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
        ing = out.ingested
        made = {"read": ing.postings, "quarantine": ing.quarantine}
        made |= {"extracted": out.extracted, "families": out.families}
        return made, {"n_in": ing.n_in, "n_cached": ing.n_cached, "seconds": ing.seconds}

    def load(got: dict[str, pl.DataFrame], meta: dict[str, Any]) -> ReadPostings:
        ingested = IngestResult(
            got["read"], got["quarantine"], int(meta["n_in"]), int(meta["n_cached"]),
            float(meta["seconds"]),
        )  # fmt: skip
        return ReadPostings(ingested, got["extracted"], got["families"], reused=True)

    return io.computed_once(prepared, _read_key(files, index), compute, dump, load)[0]
