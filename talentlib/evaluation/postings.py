"""How well postings are read: competency tags, education, majors and experience against labels.

``evaluate_set`` scores one labelled posting set (a folder with ``labels.jsonl``: the synthetic
``out/postings`` or the hand-written ``tests/fixtures/postings_handwritten``) on two paths:

- **text**: the files as published (txt, HTML, PDF with a text layer) → ingest → sections →
  rules → tagger;
- **ocr**: images → tesseract → the same steps. Images come from two places: postings of the set
  that are images already (png, image-only PDF; no reference text, so no CER), and text
  postings re-rendered as scanned pages with the generator's renderer (rotation, blur, JPEG
  noise), which gives a paired comparison and the character error rate (CER).

Each path is scored without and, when a backend is given, with the LLM. Tag scores are micro
(pooled over postings) and macro (mean over codes) precision/recall/F1 at concept level, and
micro F1 at parent-group level. Sets whose labels carry open-vocabulary ``gold`` mentions
(tests/fixtures/postings_dev) are also scored on mentions (``open_vocab_scores``: false tags per
posting, mention recall with and without the unmapped mentions, taxonomy coverage).
``main(argv)`` is the ``talent eval-postings`` command.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy
from talentlib.postings.labelled import postings_root, read_labels

__all__ = [
    "COLUMNS",
    "EvalResult",
    "attribute_accuracy",
    "current_truth",
    "evaluate",
    "evaluate_set",
    "main",
    "norm_match",
    "open_vocab_scores",
    "tag_scores",
    "to_display",
]

# Column -> (Korean, English) labels of the evaluation table.
COLUMNS: dict[str, tuple[str, str]] = {
    "dataset": ("데이터셋", "Dataset"),
    "path": ("경로", "Path"),
    "llm": ("LLM", "LLM"),
    "n_postings": ("공고 수", "Postings"),
    "tag_precision": ("역량 정밀도(micro)", "Tag precision (micro)"),
    "tag_recall": ("역량 재현율(micro)", "Tag recall (micro)"),
    "tag_micro_f1": ("역량 F1(micro)", "Tag F1 (micro)"),
    "tag_macro_f1": ("역량 F1(macro)", "Tag F1 (macro)"),
    "group_micro_f1": ("역량군 F1(micro)", "Group F1 (micro)"),
    "education_acc": ("학력 정확도", "Education accuracy"),
    "majors_acc": ("전공 정확도", "Majors accuracy"),
    "experience_acc": ("경력 정확도", "Experience accuracy"),
    "cer": ("OCR 문자오류율", "OCR CER"),
    "n_cer": ("CER 측정 공고", "Postings with CER"),
    "llm_candidates": ("LLM 확인 후보", "Candidates sent to LLM"),
    # open-vocabulary scores, for sets whose labels have `gold` mentions
    "ov_precision": ("역량 정밀도(현 택소노미)", "Tag precision (current taxonomy)"),
    "ov_recall": ("역량 재현율(현 택소노미)", "Tag recall (current taxonomy)"),
    "ov_f1": ("역량 F1(현 택소노미)", "Tag F1 (current taxonomy)"),
    "false_tags": ("공고당 오탐 비율", "False tags per posting"),
    "gold_mentions": ("정답 역량 언급 수", "Gold mentions"),
    "mention_code_recall": ("언급 재현율(코드)", "Mention recall (codes)"),
    "mention_recall": ("언급 재현율(코드+미매핑)", "Mention recall (incl. unmapped)"),
    "mention_precision": ("언급 정밀도", "Mention precision"),
    "coverage": ("택소노미 커버리지", "Coverage (mapped to a code)"),
    "coverage_correct": ("코드 매핑 정확도", "Coded mentions mapped right"),
    "coverage_gold": ("정답 코드 비율", "Gold mentions with a code"),
    "seconds": ("소요 시간(초)", "Seconds"),
}
TARGETS = {"text": 0.90, "ocr": 0.85, "education": 0.95, "experience": 0.95}
TEXT_TYPES = ("txt", "html", "pdf")  # a PDF counts as text when its pages have a text layer


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def tag_scores(
    truth: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], *, level: str = "code"
) -> dict[str, float]:
    """Micro precision/recall/F1 over postings and macro F1 over codes (those in truth or
    prediction). ``level="group"`` first maps codes to their parent group."""
    if len(truth) != len(pred):
        raise ValueError(f"{len(truth)} truths but {len(pred)} predictions")
    if level == "group":
        groups = {
            str(r["code"]): str(r.get("group")) for r in taxonomy.load("competencies")["codes"]
        }
        truth = [sorted({groups.get(c, c) for c in t}) for t in truth]
        pred = [sorted({groups.get(c, c) for c in p}) for p in pred]
    tp = fp = fn = 0
    per: dict[str, list[int]] = {}
    for t, p in zip(truth, pred, strict=True):
        ts, ps = set(t), set(p)
        tp += len(ts & ps)
        fp += len(ps - ts)
        fn += len(ts - ps)
        for c in ts | ps:
            d = per.setdefault(c, [0, 0, 0])
            d[0] += c in ts and c in ps
            d[1] += c in ps and c not in ts
            d[2] += c in ts and c not in ps
    p, r, f = _prf(tp, fp, fn)
    macro = float(np.mean([_prf(*v)[2] for v in per.values()])) if per else 1.0
    return {"precision": p, "recall": r, "micro_f1": f, "macro_f1": macro, "tp": tp, "fp": fp,
            "fn": fn}  # fmt: skip


def _core(norm: str) -> str:
    """A mention's norm without generic words, stop words and shared heads (their key)."""
    from talentlib.postings.lexicon import fuzzy_key
    from talentlib.postings.mentions import settings

    s = settings()
    drop = {str(w).lower() for k in ("generic", "stop_words", "trailing_actions", "shared_heads")
            for w in s.get(k) or ()}  # fmt: skip
    words = [w for w in taxonomy.normalize_text(norm).split() if w not in drop]
    return fuzzy_key(" ".join(words))


def norm_match(found: str, gold: str, cutoff: float = 85.0) -> bool:
    """Whether an extracted mention names a gold mention: fuzzy-equal norms (rapidfuzz ratio of
    the jamo keys ≥ ``cutoff``), also after generic words ("설계", "개발", "툴"), stop words and
    shared heads are dropped from both ("aec-q100 인증" ~ "aec-q100")."""
    from rapidfuzz import fuzz

    from talentlib.postings.mentions import fuzzy_equal

    if fuzzy_equal(found, gold, cutoff):
        return True
    a, b = _core(found), _core(gold)
    return bool(a and b) and (a == b or fuzz.ratio(a, b) >= cutoff)


def names_gold(norm: str, gold: dict[str, Any]) -> bool:
    """Whether a found mention's norm names a gold mention: its gold norm, or the mention as
    written, normalised (``norm_match``)."""
    from talentlib.postings.mentions import normalize_mention

    return norm_match(norm, gold["norm"]) or norm_match(norm, normalize_mention(gold["mention"]))


def current_truth(label: dict[str, Any]) -> set[str]:
    """The codes a labelled posting asks for under the taxonomy in force: its labelled codes
    plus the code the reference matcher (exact surface forms, homonyms read in the posting's
    field) gives today to a gold mention labelled without one. The taxonomy grows; labels made
    before a code existed then still count a tag of that code as right."""
    from talentlib.postings.mentions import MentionExtractor

    ext = MentionExtractor(fuzzy=False, morph=False)
    truth = set(label.get("competencies") or [])
    for g in label.get("gold") or []:
        if g.get("code") is None:
            code, _ = ext.map(g["mention"], field=label.get("field_code"))
            if code is not None:
                truth.add(code)
    return truth


def open_vocab_scores(
    labels: Sequence[dict[str, Any]],
    extracted: pl.DataFrame,
    *,
    extractor: Any = None,
) -> dict[str, float]:
    """Scores of a set labelled with open-vocabulary ``gold`` mentions (issue 10):

    - ``ov_precision``, ``ov_recall``, ``ov_f1``: micro scores of the codes against
      ``current_truth`` (the labels read with today's taxonomy);
    - ``false_tags``: per posting, the share of predicted codes not in its current truth (mean
      over postings with a prediction);
    - ``mention_code_recall``: share of all gold mentions (coded or not) whose code was
      predicted for the posting — what a code-only tagger can reach;
    - ``mention_recall``: share of gold mentions found: the code predicted, or an extracted
      mention whose norm names it (``norm_match`` against the gold norm or the mention as
      written);
    - ``coverage``: share of gold mentions the mapping gives a code when it reads the gold
      mention in its posting's field (grows with the taxonomy); ``coverage_correct``: share of
      coded gold mentions mapped to their gold code; ``coverage_gold``: share of gold mentions
      with a code in the labels;
    - ``mention_precision``: share of extracted mentions that name a gold mention."""
    from talentlib.postings.mentions import MentionExtractor

    ext = extractor if extractor is not None else MentionExtractor()
    got = {r["posting_id"]: r for r in extracted.to_dicts()}
    n_gold = found = code_found = coded = covered = correct = gold_coded = 0
    n_ext = ext_ok = 0
    shares: list[float] = []
    truths, preds = [], []
    for lab in labels:
        gold = lab.get("gold") or []
        r = got.get(lab["posting_id"], {})
        pred = set(r.get("competencies") or [])
        truth = current_truth(lab)
        truths.append(sorted(truth))
        preds.append(sorted(pred))
        if pred:
            shares.append(len(pred - truth) / len(pred))
        ms = [m for m in (r.get("mentions") or []) if m]
        norms = [m["norm"] for m in ms]
        for g in gold:
            n_gold += 1
            code = g.get("code")
            hit_code = code is not None and code in pred
            code_found += hit_code
            if hit_code or any(names_gold(n, g) for n in norms):
                found += 1
            mapped, _ = ext.map(g["mention"], field=lab.get("field_code"))
            covered += mapped is not None
            if code is not None:
                gold_coded += 1
                coded += 1
                correct += mapped == code
        for n in norms:
            n_ext += 1
            ext_ok += any(names_gold(n, g) for g in gold)
    div = max(n_gold, 1)
    cur = tag_scores(truths, preds)
    return {
        "ov_precision": cur["precision"],
        "ov_recall": cur["recall"],
        "ov_f1": cur["micro_f1"],
        "gold_mentions": n_gold,
        "false_tags": float(np.mean(shares)) if shares else 0.0,
        "mention_code_recall": code_found / div,
        "mention_recall": found / div,
        "coverage": covered / div,
        "coverage_correct": correct / max(coded, 1),
        "coverage_gold": gold_coded / div,
        "mention_precision": ext_ok / max(n_ext, 1),
    }


def _major_codes(names: Sequence[str] | None) -> frozenset[str]:
    from talentlib.postings.rules import major_code

    return frozenset(major_code(n) or n for n in (names or []))


def attribute_accuracy(
    labels: Sequence[dict[str, Any]], extracted: pl.DataFrame
) -> dict[str, float]:
    """Share of postings whose education, majors (as a set of codes) and minimum years of
    experience equal the labels; a missing extraction counts as wrong."""
    got = {r["posting_id"]: r for r in extracted.to_dicts()}
    ok = {"education": 0, "majors": 0, "experience": 0}
    for lab in labels:
        r = got.get(lab["posting_id"], {})
        ok["education"] += r.get("education") == lab.get("education")
        ok["majors"] += _major_codes(r.get("majors")) == _major_codes(lab.get("majors"))
        ok["experience"] += r.get("experience_min_years") == lab.get("experience_min_years")
    n = max(len(labels), 1)
    return {k: v / n for k, v in ok.items()}


# --------------------------------------------------------------------------------------------
# Reading a labelled set
# --------------------------------------------------------------------------------------------


def _labels(root: Path) -> list[dict[str, Any]]:
    return read_labels(root / "labels.jsonl")


def _ingest(files: list[Path], ids: list[str], cache_dir: Path | None, quiet: bool) -> pl.DataFrame:
    from talentlib.postings.ingest import ingest_folder

    if not files:
        return pl.DataFrame(schema={"posting_id": pl.String, "text": pl.String,
                                    "method": pl.String})  # fmt: skip
    res = ingest_folder(files, posting_ids=ids, cache_dir=cache_dir, quiet=quiet)
    return res.postings


def render_pngs(texts: pl.DataFrame, folder: Path, seed: int) -> list[Path]:
    """Scanned-looking PNGs of clean posting texts (the generator's renderer, fixed seed)."""
    from talentlib.postings.sections import classify_heading
    from talentlib.synth.postings import render_image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for pid, text in texts.select("posting_id", "text").iter_rows():
        rng = np.random.default_rng([seed, int.from_bytes(pid.encode()[-6:], "big")])
        heads = {ln for ln in text.splitlines() if ln.strip() and classify_heading(ln.strip())}
        path = folder / f"{pid}.png"
        if not path.exists():
            render_image(text, heads, rng).save(path, format="PNG", compress_level=1)
        out.append(path)
    return out


@dataclass
class EvalResult:
    """The evaluation table (one row per dataset × path × LLM) and per-posting details."""

    table: pl.DataFrame
    details: dict[str, pl.DataFrame] = field(default_factory=dict)
    # the LLM as proposer of terms outside the taxonomy (``proposer_scores``), when measured
    proposer: pl.DataFrame | None = None

    def display(self, lang: str = "ko+en") -> pl.DataFrame:
        return to_display(self.table, lang)


def to_display(table: pl.DataFrame, lang: str = "ko+en") -> pl.DataFrame:
    """The table with rounded numbers and Korean, English or bilingual column names."""
    rounded = table.with_columns(
        pl.col(c).round(3) for c, t in table.schema.items() if t == pl.Float64
    )
    names = {}
    for c in rounded.columns:
        ko, en = COLUMNS.get(c, (c, c))
        names[c] = {"ko": ko, "en": en}.get(lang, f"{ko} ({en})" if ko != en else ko)
    return rounded.rename(names)


def _row(
    dataset: str,
    path: str,
    llm_name: str,
    labels: list[dict[str, Any]],
    extracted: pl.DataFrame,
    cers: list[float],
    n_llm: int,
    seconds: float,
) -> dict[str, Any]:
    got = {r["posting_id"]: r.get("competencies") or [] for r in extracted.to_dicts()}
    truth = [lab["competencies"] for lab in labels]
    pred = [got.get(lab["posting_id"], []) for lab in labels]
    s = tag_scores(truth, pred)
    g = tag_scores(truth, pred, level="group")
    acc = attribute_accuracy(labels, extracted)
    return {
        "dataset": dataset,
        "path": path,
        "llm": llm_name,
        "n_postings": len(labels),
        "tag_precision": s["precision"],
        "tag_recall": s["recall"],
        "tag_micro_f1": s["micro_f1"],
        "tag_macro_f1": s["macro_f1"],
        "group_micro_f1": g["micro_f1"],
        "education_acc": acc["education"],
        "majors_acc": acc["majors"],
        "experience_acc": acc["experience"],
        "cer": float(np.mean(cers)) if cers else None,
        "n_cer": len(cers),
        "llm_candidates": n_llm,
        "seconds": round(seconds, 2),
        **_open_vocab_row(labels, extracted),
    }


_OPEN_VOCAB = ("ov_precision", "ov_recall", "ov_f1", "false_tags", "gold_mentions", "mention_code_recall", "mention_recall",
               "mention_precision", "coverage", "coverage_correct", "coverage_gold")  # fmt: skip


def _open_vocab_row(labels: list[dict[str, Any]], extracted: pl.DataFrame) -> dict[str, Any]:
    """The open-vocabulary columns: scores where every label has ``gold``, else nulls."""
    if not labels or not all("gold" in lab for lab in labels):
        return dict.fromkeys(_OPEN_VOCAB)
    sc = open_vocab_scores(labels, extracted)
    return {k: sc[k] for k in _OPEN_VOCAB}


def _details(
    labels: list[dict[str, Any]], extracted: pl.DataFrame, path: str, llm: str
) -> pl.DataFrame:
    got = {r["posting_id"]: r for r in extracted.to_dicts()}
    rows = []
    for lab in labels:
        r = got.get(lab["posting_id"], {})
        t, p = set(lab["competencies"]), set(r.get("competencies") or [])
        rows.append(
            {
                "posting_id": lab["posting_id"],
                "path": path,
                "llm": llm,
                "missed": sorted(t - p),
                "extra": sorted(p - t),
                "education": r.get("education"),
                "education_true": lab.get("education"),
                "experience": r.get("experience_min_years"),
                "experience_true": lab.get("experience_min_years"),
                "majors": sorted(_major_codes(r.get("majors"))),
                "majors_true": sorted(_major_codes(lab.get("majors"))),
            }
        )
    return pl.DataFrame(rows)


def evaluate_set(
    path: str | Path,
    *,
    dataset: str | None = None,
    tagger: Any = None,
    llm: Any = None,
    ocr: bool = True,
    ocr_sample: int = 30,
    max_native: int | None = None,
    propose_every: int = 0,
    cache_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    seed: int = 11,
    quiet: bool = True,
) -> EvalResult:
    """Score one labelled set on the text path and, with ``ocr``, the OCR path (at most
    ``ocr_sample`` re-rendered text postings plus the set's own images, at most ``max_native``
    of them), each without and — when ``llm`` (a backend or spec) is given — with the LLM.
    With an LLM and ``propose_every`` k > 0, a set with gold mentions also scores the LLM as
    proposer of terms outside the taxonomy on every k-th text posting (``proposer_scores``)."""
    from talentlib.postings.ocr import cer
    from talentlib.postings.tagger import extract, load_or_fit

    root = postings_root(path)
    name = dataset or (root.parent.name if root.name == "postings" else root.name)
    labels = _labels(root)
    cache = Path(cache_dir) if cache_dir is not None else None
    tagger = tagger if tagger is not None else load_or_fit(cache)
    images = [lab for lab in labels if lab["file_type"] not in ("txt", "html")]
    if not ocr:
        images = [lab for lab in images if lab.get("format") == "pdf_text"]
    elif max_native is not None:
        texts = [lab for lab in images if lab.get("format") == "pdf_text"]
        images = texts + [lab for lab in images if lab.get("format") != "pdf_text"][:max_native]
    chosen = {lab["posting_id"] for lab in images} | {
        lab["posting_id"] for lab in labels if lab["file_type"] in ("txt", "html")
    }
    labels = [lab for lab in labels if lab["posting_id"] in chosen]
    files = [root / lab["file"] for lab in labels]
    ids = [lab["posting_id"] for lab in labels]
    t0 = time.perf_counter()
    ingested = _ingest(files, ids, cache / "ingest" if cache else None, quiet)
    ingest_s = time.perf_counter() - t0
    by_id = {lab["posting_id"]: lab for lab in labels}
    text_posts = ingested.filter(pl.col("method") != "ocr")
    native_ocr = ingested.filter(pl.col("method") == "ocr")

    variants: list[tuple[str, Any]] = [("none", None)]
    if llm is not None:
        from talentlib.postings import llm as llm_mod

        backend = llm_mod.get_backend(llm) if isinstance(llm, str) else llm
        if backend is not None:
            variants.append((str(getattr(backend, "name", "llm")), backend))

    rows: list[dict[str, Any]] = []
    details: dict[str, pl.DataFrame] = {}

    def score(kind: str, frame: pl.DataFrame, cers: list[float], extra_s: float) -> None:
        labs = [by_id[p] for p in frame["posting_id"].to_list() if p in by_id]
        for llm_name, backend in variants:
            old = tagger.llm
            tagger.llm = backend
            try:
                t = time.perf_counter()
                fields = pl.DataFrame(
                    {"posting_id": [lab["posting_id"] for lab in labs],
                     "field_code": [lab.get("field_code") for lab in labs]},
                    schema={"posting_id": pl.String, "field_code": pl.String},
                )  # fmt: skip
                ex = extract(
                    frame.join(fields, on="posting_id", how="left"),
                    tagger,
                    cache_dir=cache / "extract" if cache else None,
                )
                # candidates in the uncertain band: what the LLM was asked
                n_llm = int(ex["n_uncertain"].sum()) if backend is not None else 0
                secs = time.perf_counter() - t + extra_s
            finally:
                tagger.llm = old
            rows.append(_row(name, kind, llm_name, labs, ex, cers, n_llm, secs))
            details[f"{kind}/{llm_name}"] = _details(labs, ex, kind, llm_name)
            extracted[f"{kind}/{llm_name}"] = ex

    extracted: dict[str, pl.DataFrame] = {}
    score("text", text_posts, [], ingest_s)
    proposer = None
    if propose_every > 0 and len(variants) > 1 and labels and all("gold" in lab for lab in labels):
        subset = sorted(text_posts["posting_id"].to_list())[::propose_every]
        proposer = proposer_scores(
            [by_id[p] for p in subset],
            text_posts.filter(pl.col("posting_id").is_in(subset)),
            extracted["text/none"],
            variants[1][1],
            cache_dir=tagger.llm_cache_dir,
        ).with_columns(dataset=pl.lit(name))

    if ocr:
        sample = text_posts.sort("posting_id").head(max(0, ocr_sample))
        with tempfile.TemporaryDirectory(prefix="talentlib-eval-") as tmp:
            folder = Path(work_dir) / "renders" / name if work_dir else Path(tmp) / "renders"
            t = time.perf_counter()
            pngs = render_pngs(sample, folder, seed)
            ocred = _ingest(
                pngs, sample["posting_id"].to_list(), cache / "ingest" if cache else None, quiet
            )
            ocr_s = time.perf_counter() - t
        clean = dict(sample.select("posting_id", "text").iter_rows())
        cers = [cer(clean[p], txt) for p, txt in ocred.select("posting_id", "text").iter_rows()]
        frame = pl.concat(
            [ocred.select("posting_id", "text", "method"),
             native_ocr.select("posting_id", "text", "method")]
        )  # fmt: skip
        if frame.height:
            score("ocr", frame, cers, ocr_s)
    return EvalResult(pl.DataFrame(rows), details, proposer)


def proposer_scores(
    labels: Sequence[dict[str, Any]],
    postings: pl.DataFrame,
    extracted: pl.DataFrame,
    backend: Any,
    *,
    cache_dir: str | Path | None = None,
) -> pl.DataFrame:
    """The LLM as proposer of competency terms outside the taxonomy
    (``llm.propose_new_competencies`` over a posting's body lines, as
    ``competencies.new_competency_candidates`` asks it) beside the rule-based unmapped mentions
    (``extracted``'s mentions without a code), on postings labelled with gold mentions. One row
    per source (rules, llm, rules+llm): ``terms`` proposed, ``precision`` (share naming a gold
    mention of their posting, ``norm_match``), ``unmapped_recall`` (share of the gold mentions
    that the mapping gives no code, as in ``coverage``, that some term names) and ``seconds``
    (the LLM's)."""
    from talentlib.postings import llm as llm_mod
    from talentlib.postings.mentions import MentionExtractor, normalize_mention
    from talentlib.postings.sections import segment
    from talentlib.postings.tagger import BODY_SECTIONS

    ext = MentionExtractor()
    seg = segment(postings.select("posting_id", "text"))
    body = seg.filter(pl.col("section").is_in(list(BODY_SECTIONS)))
    rule_terms = {
        r["posting_id"]: [m["text"] for m in r.get("mentions") or [] if m["code"] is None]
        for r in extracted.to_dicts()
    }
    terms: dict[str, dict[str, list[str]]] = {"rules": {}, "llm": {}}
    t0 = time.perf_counter()
    for lab in labels:
        pid = lab["posting_id"]
        lines = body.filter(pl.col("posting_id") == pid)["text"].unique(maintain_order=True)
        got = llm_mod.propose_new_competencies(backend, lines.to_list(), cache_dir=cache_dir)
        terms["llm"][pid] = got["term"].to_list()
        terms["rules"][pid] = rule_terms.get(pid, [])
    llm_s = time.perf_counter() - t0
    terms["rules+llm"] = {p: terms["rules"][p] + terms["llm"][p] for p in terms["llm"]}

    rows = []
    for source, by_pid in terms.items():
        n_terms = n_ok = n_unmapped = found = 0
        for lab in labels:
            gold = lab.get("gold") or []
            ts = by_pid.get(lab["posting_id"], [])
            n_terms += len(ts)
            norms = [normalize_mention(t) for t in ts]
            n_ok += sum(any(names_gold(n, g) for g in gold) for n in norms)
            for g in gold:
                if ext.map(g["mention"], field=lab.get("field_code"))[0] is None:
                    n_unmapped += 1
                    found += any(names_gold(n, g) for n in norms)
        rows.append({"source": source, "n_postings": len(labels), "terms": n_terms,
                     "precision": n_ok / n_terms if n_terms else None,
                     "unmapped_gold": n_unmapped,
                     "unmapped_recall": found / n_unmapped if n_unmapped else None,
                     "seconds": round(llm_s, 2) if source != "rules" else None})  # fmt: skip
    return pl.DataFrame(rows, infer_schema_length=None)


def default_handwritten() -> Path:
    return Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "postings_handwritten"


def evaluate(
    synthetic: str | Path | None,
    handwritten: str | Path | None = None,
    **kw: Any,
) -> EvalResult:
    """Both sets (either may be None), one table."""
    parts = []
    if synthetic is not None:
        parts.append(evaluate_set(synthetic, dataset="synthetic", **kw))
    if handwritten is not None:
        parts.append(evaluate_set(handwritten, dataset="handwritten", **kw))
    if not parts:
        raise ValueError("evaluate: give a synthetic set, a hand-written set or both")
    details = {f"{p.table['dataset'][0]}/{k}": v for p in parts for k, v in p.details.items()}
    props = [p.proposer for p in parts if p.proposer is not None]
    return EvalResult(pl.concat([p.table for p in parts], how="vertical_relaxed"), details,
                      pl.concat(props) if props else None)  # fmt: skip


def write(result: EvalResult, out: str | Path) -> dict[str, Path]:
    """eval_postings.{parquet,csv,md,json} (bilingual headers in csv/md) and per-posting details."""
    from talentlib import io

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "parquet": io.write_parquet_atomic(result.table, out / "eval_postings.parquet"),
        "csv": io.write_text_atomic(
            to_display(result.table).write_csv(), out / "eval_postings.csv"
        ),
    }
    md = _markdown(to_display(result.table, "ko+en"))
    paths["md"] = io.write_text_atomic(md, out / "eval_postings.md")
    paths["json"] = io.write_json_atomic(result.table.to_dicts(), out / "eval_postings.json")
    det = [d for d in result.details.values() if d.height]
    if det:
        paths["details"] = io.write_parquet_atomic(
            pl.concat(det, how="vertical_relaxed"), out / "eval_postings_details.parquet"
        )
    if result.proposer is not None:
        paths["proposer"] = io.write_text_atomic(
            _markdown(result.proposer), out / "eval_llm_proposer.md"
        )
    return paths


def _markdown(df: pl.DataFrame) -> str:
    def fmt(v: Any) -> str:
        return "" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(df.columns) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.iter_rows()]
    return "\n".join([head, sep, *body]) + "\n"


# --------------------------------------------------------------------------------------------
# talent eval-postings
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="talent eval-postings",
        description="채용공고 추출 평가: 역량 태그 P/R/F1, 학력·전공·경력 정확도, OCR 문자오류율 "
        "(synthetic and hand-written sets; text and OCR paths; with and without the LLM).",
    )
    p.add_argument("--synthetic", metavar="DIR",
                   help="a generated set (folder with labels.jsonl or its parent); default: "
                        "generate --scale into the cache")  # fmt: skip
    p.add_argument("--scale", default="tiny", choices=["tiny", "small", "medium"],
                   help="scale of the synthetic set generated when --synthetic is not given")  # fmt: skip
    p.add_argument("--no-synthetic", action="store_true", help="skip the synthetic set")
    p.add_argument("--handwritten", metavar="DIR", default=None,
                   help="hand-written labelled set (default: tests/fixtures/postings_handwritten)")  # fmt: skip
    p.add_argument("--no-handwritten", action="store_true", help="skip the hand-written set")
    p.add_argument("--llm", metavar="SPEC", default=None,
                   help="LLM backend to compare with: gemma, a model folder, "
                        "openai:<model>@<url> (default: none)")  # fmt: skip
    p.add_argument("--propose-every", type=int, default=0, metavar="K",
                   help="with --llm: also score the LLM as proposer of terms outside the "
                        "taxonomy on every K-th text posting of a set with gold mentions "
                        "(one model call a line; default 0: off)")  # fmt: skip
    p.add_argument("--no-ocr", action="store_true", help="text path only (OCR is ~3 s a page)")
    p.add_argument("--ocr-sample", type=int, default=30,
                   help="text postings re-rendered as scans per set (default 30)")  # fmt: skip
    p.add_argument("--cache-dir", metavar="DIR", default=None,
                   help="cache for the tagger model, OCR and extraction (default ~/.cache/talentlib)")  # fmt: skip
    p.add_argument("--out", metavar="DIR", default="outputs/eval_postings",
                   help="where the table is written (default outputs/eval_postings)")  # fmt: skip
    p.add_argument("--seed", type=int, default=20240101, help="seed of a generated synthetic set")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--verbose", action="store_true", help="show tracebacks")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``talent eval-postings``: evaluate and write the table; 0 when done, 2 on a usage error."""
    args = build_parser().parse_args(argv)
    try:
        from talentlib.postings.tagger import default_cache_dir

        cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
        synthetic = None
        if not args.no_synthetic:
            if args.synthetic:
                synthetic = Path(args.synthetic)
            else:
                synthetic = _generated_set(cache, args.scale, args.seed)
        handwritten = None
        if not args.no_handwritten:
            handwritten = Path(args.handwritten) if args.handwritten else default_handwritten()
        result = evaluate(
            synthetic,
            handwritten,
            llm=args.llm,
            ocr=not args.no_ocr,
            ocr_sample=args.ocr_sample,
            propose_every=args.propose_every,
            cache_dir=cache,
            work_dir=cache / "eval",
            quiet=args.quiet,
        )
        paths = write(result, args.out)
    except Exception as e:  # noqa: BLE001 - one clear sentence for people, traceback on demand
        if args.verbose:
            raise
        print(f"eval-postings failed: {e} (run with --verbose for the traceback)", file=sys.stderr)
        return 1
    if not args.quiet:
        with pl.Config(tbl_rows=50, tbl_cols=20, tbl_width_chars=240, fmt_str_lengths=40):
            print(to_display(result.table, "ko"))
            if result.proposer is not None:
                print(result.proposer)
        print(f"written: {paths['md']}")
    return 0


def _generated_set(cache: Path, scale: str, seed: int) -> Path:
    """A synthetic posting set of ``scale`` in the cache (generated once per scale and seed)."""
    from talentlib.synth.base import default_params
    from talentlib.synth.postings import generate_postings

    out = cache / "eval" / f"synthetic-{scale}-{seed}"
    if not (out / "postings" / "labels.jsonl").exists():
        generate_postings(np.random.default_rng(seed), default_params(), out, scale=scale)
    return out / "postings"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
