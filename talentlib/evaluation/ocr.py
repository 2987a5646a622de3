"""Which OCR settings help? CER of preprocessing variants, and how Latin terms survive OCR.

    python -m talentlib.evaluation.ocr            # preprocessing ablation
    python -m talentlib.evaluation.ocr --latin    # Latin terms, development set, recheck on/off

The ablation renders two posting snippets (Korean with English terms) in eight conditions —
clean, scanned, skewed, faded, small, tiny, low resolution — and reads each with every
``Preprocess`` variant. The defaults in ``ocr.Preprocess`` are the variant with the lowest mean
CER; see its docstring for the numbers. Slow (about 130 tesseract runs), so it is a script.

``latin_comparison`` renders the labelled development postings as scans (as
``evaluation.postings`` does), reads every page with the second look at Latin terms off and on
(``ocr.LatinRecheck``; the two alternate page by page, so both see the same machine load) and
reports per setting: Latin terms recovered exactly and their CER (``latin_term_errors``), the
page CER, OCR seconds, and the tagger's F1 on the OCR text next to its F1 on the same postings'
text. On the 74 development postings (tesseract 5.3, one thread):

==============================  ===========  ==========
..                              recheck off  recheck on
==============================  ===========  ==========
Latin terms read exactly        0.733        0.899
CER of the Latin terms          0.164        0.042
page CER                        0.087        0.071
tag F1 (micro), OCR path        0.877        0.893
OCR seconds, on/off             1.00         1.15
==============================  ===========  ==========

(1,341 Latin terms; tag F1 on the text 0.953.) The rest of the gap to the text was mostly the
tagger's: the clean text tagged as OCR output scored 0.916 (precision 0.856 against 0.933), as
the tagger matched OCR lines more loosely. Since OCR lines are read as typed text except where a
form is a slip away (``tagger.CompetencyTagger._read_ocr_as_typed``) and 회사소개 bullets are
not tagged in OCR text either, the clean text tagged as OCR scores 0.951 (precision 0.927) and
the OCR path, recheck on, 0.924 (``talent eval-postings --no-synthetic --handwritten
tests/fixtures/postings_dev --ocr-sample 74``; the table above is from before).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from talentlib.postings.ocr import LatinRecheck, Preprocess, TesseractEngine, cer

ABLATION_LINES = (
    "[자격요건]",
    "• 화학공학, 신소재공학 또는 전기전자 전공 석사 이상",
    "• 리튬이온 배터리 셀 설계 경력 3년 이상 (신입 가능)",
    "• Python, MATLAB 활용 데이터 분석 가능자",
    "[우대사항]",
    "• EIS, BMS 알고리즘 및 SOC/SOH 추정 경험",
    "• TOEIC 800점 이상 또는 영어 회화 가능자",
    "근무지: 충북 청주시 오창읍 / 경기 화성시",
    "급여: 연봉 4,500~6,000만원 (회사 내규에 따름)",
    "고용형태: 정규직 (수습 3개월)",
)

ABLATION_TEXTS: tuple[tuple[str, ...], ...] = (
    ABLATION_LINES,
    (
        "■ 모집부문: AI 반도체 설계 (SoC Verification)",
        "◆ 주요업무",
        "- RTL 설계 및 검증 환경 구축 (UVM, SystemVerilog)",
        "- NPU 성능 분석과 PyTorch 모델 최적화",
        "◆ 지원자격",
        "- 전자공학/컴퓨터공학 학사 이상, 경력 5~10년",
        "- 영어 문서 작성 및 커뮤니케이션 가능자",
        "근무지역 : 경기 성남시 분당구 판교로 123",
        "접수방법 : 이메일 접수 (recruit@chipco.kr, 031-123-4567)",
    ),
)

# name → (font size, degrade kwargs): clean, a typical scan, and the hard cases.
ABLATION_CASES: dict[str, tuple[int, dict[str, Any]]] = {
    "clean_28px": (28, {}),
    "scan_28px": (28, {"angle": 1.5, "blur": 0.8, "noise": 10, "jpeg_quality": 50}),
    "skew3_28px": (28, {"angle": 3.0, "blur": 0.5, "jpeg_quality": 60}),
    "faded_20px": (20, {"contrast": 0.35, "blur": 0.7, "noise": 12, "jpeg_quality": 40}),
    "small_14px": (14, {}),
    "small_scan_14px": (14, {"angle": 1.0, "blur": 0.6, "noise": 10, "jpeg_quality": 50}),
    "tiny_11px": (11, {"blur": 0.4, "jpeg_quality": 70}),
    "lowres_scan_12px": (24, {"scale": 0.5, "angle": 2.0, "noise": 8, "jpeg_quality": 50}),
}

_OFF = {"upscale": False, "deskew": False}
ABLATION_VARIANTS: dict[str, Preprocess] = {
    "none": Preprocess(grayscale=False, **_OFF),
    "grayscale": Preprocess(**_OFF),
    "deskew": Preprocess(upscale=False),
    "upscale": Preprocess(deskew=False),
    "binarize": Preprocess(binarize=True, **_OFF),
    "denoise": Preprocess(denoise=True, **_OFF),
    "default": Preprocess(),
    "default+binarize": Preprocess(binarize=True),
}


def ablation(
    cases: dict[str, tuple[int, dict[str, Any]]] | None = None,
    variants: dict[str, Preprocess] | None = None,
    *,
    texts: Sequence[Sequence[str]] = ABLATION_TEXTS,
    engine: TesseractEngine | None = None,
) -> list[dict[str, Any]]:
    """CER, confidence and seconds for every (text, rendered case, preprocessing variant)."""
    from talentlib.postings.render import degrade, render_page

    base = engine or TesseractEngine()
    rows = []
    for t, lines in enumerate(texts):
        reference = "\n".join(lines)
        for case, (size, kw) in (cases or ABLATION_CASES).items():
            page = render_page(lines, font_size=size, width=max(600, size * 44))
            img = degrade(page, seed=t, **kw)
            for name, pre in (variants or ABLATION_VARIANTS).items():
                eng = replace(base, preprocess=pre)
                t0 = time.perf_counter()
                res = eng.image_to_text(img)
                rows.append(
                    {
                        "text": t,
                        "case": case,
                        "variant": name,
                        "cer": round(cer(reference, res.text), 4),
                        "confidence": res.confidence,
                        "seconds": round(time.perf_counter() - t0, 2),
                    }
                )
    return rows


# --------------------------------------------------------------------------------------------
# Latin terms
# --------------------------------------------------------------------------------------------

LATIN_TERM = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9+#&._/-]*[A-Za-z0-9+#])?")
"""A run of ASCII letters, digits and the joiners of technical names (C++, SI/PI, AEC-Q101,
Bring-up); it is a Latin term when it holds a letter (2024 is a number, 3D a term)."""

_WS = re.compile(r"\s+")
_TERM_CHAR = re.compile(r"[A-Za-z0-9+#]")


def latin_terms(text: str) -> list[tuple[int, int]]:
    """Spans of the Latin terms (``LATIN_TERM`` with a letter) of ``text``."""
    return [m.span() for m in LATIN_TERM.finditer(text) if any(c.isalpha() for c in m.group())]


def latin_term_pairs(reference: str, hypothesis: str) -> list[tuple[str, str]]:
    """Each Latin term of ``reference`` and what ``hypothesis`` has in its place.

    The two texts (whitespace runs as one space) are aligned character by character with
    Levenshtein's edit operations; a term's counterpart is the hypothesis text aligned with
    its characters (a replaced block is shared out in proportion), what was inserted inside
    it, and the Latin letters and digits stuck to either side of that.
    """
    from rapidfuzz.distance import Levenshtein

    ref = _WS.sub(" ", reference).strip()
    hyp = _WS.sub(" ", hypothesis).strip()
    ops = Levenshtein.opcodes(ref, hyp)
    pairs = []
    for a, b in latin_terms(ref):
        lo_h: int | None = None
        hi_h: int | None = None
        for op in ops:
            if op.src_start >= b and op.src_end > op.src_start:
                break
            if op.tag == "insert":
                if not a < op.src_start < b:
                    continue
                h0, h1 = op.dest_start, op.dest_end
            else:
                lo, hi = max(a, op.src_start), min(b, op.src_end)
                if hi <= lo:
                    continue
                n_src, n_dest = op.src_end - op.src_start, op.dest_end - op.dest_start
                h0 = op.dest_start + (lo - op.src_start) * n_dest // n_src
                h1 = op.dest_start - (-(hi - op.src_start) * n_dest // n_src)  # ceiling
            lo_h = h0 if lo_h is None else min(lo_h, h0)
            hi_h = h1 if hi_h is None else max(hi_h, h1)
        got = ""
        if lo_h is not None and hi_h is not None and lo_h < hi_h:
            # Latin letters or digits stuck to the term are its own (OpenCVv), not a neighbour's.
            while hi_h < len(hyp) and _TERM_CHAR.match(hyp[hi_h]):
                hi_h += 1
            while lo_h > 0 and _TERM_CHAR.match(hyp[lo_h - 1]):
                lo_h -= 1
            got = hyp[lo_h:hi_h]
        pairs.append((ref[a:b], got.strip()))
    return pairs


def latin_term_errors(reference: str, hypothesis: str) -> dict[str, float]:
    """Latin terms of ``reference``: how many (``terms``), how many ``hypothesis`` has exactly
    (``exact``; ``recovered`` = exact / terms) and their character error rate (``cer``: edits
    over the terms' characters). ``pool_latin_errors`` adds up pages."""
    from rapidfuzz.distance import Levenshtein

    pairs = latin_term_pairs(reference, hypothesis)
    counts = {
        "terms": len(pairs),
        "exact": sum(t == h for t, h in pairs),
        "edits": sum(Levenshtein.distance(t, h) for t, h in pairs),
        "chars": sum(len(t) for t, _ in pairs),
    }
    return _latin_rates(counts)


def pool_latin_errors(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """``latin_term_errors`` of several pages pooled (terms, not pages, weigh equally)."""
    keys = ("terms", "exact", "edits", "chars")
    return _latin_rates({k: sum(s[k] for s in scores) for k in keys})


def _latin_rates(c: dict[str, float]) -> dict[str, float]:
    return {
        **c,
        "recovered": c["exact"] / c["terms"] if c["terms"] else 1.0,
        "cer": c["edits"] / c["chars"] if c["chars"] else 0.0,
    }


def default_dev() -> Path:
    """The labelled development postings (tests/fixtures/postings_dev)."""
    return Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "postings_dev"


def latin_comparison(
    path: str | Path | None = None,
    *,
    engines: dict[str, TesseractEngine] | None = None,
    limit: int | None = None,
    tagger: Any = None,
    cache_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
    seed: int = 11,
) -> tuple[Any, Any]:
    """Text vs OCR on a labelled set's text postings (default: the development set) read by
    each engine (default: ``LatinRecheck`` off and on): one row per reading with tag F1
    (micro, and against today's taxonomy where the labels have gold mentions), page CER,
    Latin-term recovery and CER, and OCR seconds, after a row for the text and one for the
    text tagged as OCR output; and the OCR texts (posting_id, setting, text). The engines
    alternate page by page on the same renders, so their seconds compare.
    """
    import tempfile

    import polars as pl

    from talentlib.evaluation import postings as ev
    from talentlib.postings.ingest import ingest_folder
    from talentlib.postings.labelled import postings_root, read_labels
    from talentlib.postings.tagger import extract, load_or_fit

    root = postings_root(path if path is not None else default_dev())
    labels = sorted(
        (lab for lab in read_labels(root) if lab["file_type"] in ("txt", "html")),
        key=lambda lab: lab["posting_id"],
    )[:limit]
    ids = [lab["posting_id"] for lab in labels]
    texts = ingest_folder(
        [root / lab["file"] for lab in labels], posting_ids=ids, workers=1, quiet=True
    ).postings.sort("posting_id")
    engines = engines or {
        "recheck off": TesseractEngine(latin=LatinRecheck(enabled=False)),
        "recheck on": TesseractEngine(),
    }
    names = list(engines)
    read: dict[str, list[pl.DataFrame]] = {n: [] for n in names}
    seconds = dict.fromkeys(names, 0.0)
    with tempfile.TemporaryDirectory(prefix="talentlib-latin-") as tmp:
        folder = Path(work_dir) / "renders" / root.name if work_dir else Path(tmp)
        # The renderer of evaluation.postings, so these pages are the ones its OCR path reads.
        pngs = ev.render_pngs(texts, folder, seed)
        for i, (pid, png) in enumerate(zip(texts["posting_id"].to_list(), pngs, strict=True)):
            for name in names if i % 2 == 0 else names[::-1]:
                t0 = time.perf_counter()
                res = ingest_folder([png], posting_ids=[pid], engine=engines[name], workers=1,
                                    quiet=True)  # fmt: skip
                seconds[name] += time.perf_counter() - t0
                read[name].append(res.postings.select("posting_id", "text", "method"))
    tagger = tagger if tagger is not None else load_or_fit(cache_dir)
    fields = pl.DataFrame(
        {"posting_id": ids, "field_code": [lab.get("field_code") for lab in labels]},
        schema={"posting_id": pl.String, "field_code": pl.String},
    )
    gold = all("gold" in lab for lab in labels)
    clean = dict(texts.select("posting_id", "text").iter_rows())

    def scores(frame: pl.DataFrame) -> dict[str, Any]:
        ex = extract(frame.join(fields, on="posting_id", how="left"), tagger)
        got = {r["posting_id"]: r.get("competencies") or [] for r in ex.to_dicts()}
        tags = ev.tag_scores([lab["competencies"] for lab in labels],
                             [got.get(p, []) for p in ids])  # fmt: skip
        ov = ev.open_vocab_scores(labels, ex)["ov_f1"] if gold else None
        return {"tag_micro_f1": tags["micro_f1"], "ov_f1": ov}

    rows = [
        {"setting": "text", "n_postings": len(ids), **scores(texts)},
        # The clean text tagged as if OCR had read it: the tagger's own cost of the OCR path
        # (it matches OCR lines more loosely), the best an OCR reading can score.
        {"setting": "text as OCR", "n_postings": len(ids),
         **scores(texts.with_columns(method=pl.lit("ocr")))},
    ]  # fmt: skip
    for name in names:
        frame = pl.concat(read[name]).sort("posting_id")
        hyp = dict(frame.select("posting_id", "text").iter_rows())
        latin = pool_latin_errors([latin_term_errors(clean[p], hyp.get(p, "")) for p in ids])
        rows.append(
            {
                "setting": name,
                "n_postings": len(ids),
                **scores(frame),
                "cer": sum(cer(clean[p], hyp.get(p, "")) for p in ids) / max(len(ids), 1),
                "latin_terms": latin["terms"],
                "latin_recovered": latin["recovered"],
                "latin_cer": latin["cer"],
                "seconds": seconds[name],
                "time_ratio": seconds[name] / seconds[names[0]] if seconds[names[0]] else None,
            }
        )
    ocr_texts = pl.concat(
        [pl.concat(read[n]).select("posting_id", "text").with_columns(setting=pl.lit(n))
         for n in names]
    )  # fmt: skip
    return pl.DataFrame(rows, infer_schema_length=None), ocr_texts


def _main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - run by hand
    import argparse

    import polars as pl

    ap = argparse.ArgumentParser(prog="python -m talentlib.evaluation.ocr")
    ap.add_argument("--latin", action="store_true",
                    help="Latin terms on the development set, LatinRecheck off and on")  # fmt: skip
    ap.add_argument("--limit", type=int, default=None, help="first N postings only")
    ap.add_argument("--cache-dir", default=None, help="where the tagger model is cached")
    ap.add_argument("--work-dir", default=None, help="keep the rendered pages here")
    args = ap.parse_args(argv)
    if args.latin:
        table, _ = latin_comparison(limit=args.limit, cache_dir=args.cache_dir,
                                    work_dir=args.work_dir)  # fmt: skip
        with pl.Config(tbl_cols=20, tbl_width_chars=200):
            print(table.with_columns(pl.selectors.float().round(4)))
        return
    df = pl.DataFrame(ablation())
    with pl.Config(tbl_rows=100, tbl_cols=20, tbl_width_chars=160):
        print(
            df.group_by("case", "variant", maintain_order=True)
            .agg(pl.col("cer").mean())
            .pivot("variant", index="case", values="cer")
        )
        print(
            df.group_by("variant", maintain_order=True).agg(
                pl.col("cer").mean().round(4).alias("mean_cer"),
                pl.col("confidence").mean().round(3).alias("mean_conf"),
                pl.col("seconds").mean().round(2).alias("mean_s"),
            )
        )


if __name__ == "__main__":  # pragma: no cover
    _main()
