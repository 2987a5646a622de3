"""Which OCR preprocessing step helps? CER with and without each step on rendered postings.

    python -m talentlib.evaluation.ocr

Renders two posting snippets (Korean with English terms) in eight conditions — clean, scanned,
skewed, faded, small, tiny, low resolution — and reads each with every ``Preprocess`` variant.
The defaults in ``ocr.Preprocess`` are the variant with the lowest mean CER; see its docstring
for the numbers. Slow (about 130 tesseract runs), so it is a script, not a test.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from talentlib.postings.ocr import Preprocess, TesseractEngine, cer

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


def _main() -> None:  # pragma: no cover - a measurement run by hand
    import polars as pl

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
