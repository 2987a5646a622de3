"""Tests for talentlib.postings ingest, OCR, masking and cache (real tesseract on rendered text)."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from talentlib.postings import (
    OcrEngine,
    OcrResult,
    TesseractEngine,
    cer,
    ingest_folder,
    read_posting,
)
from talentlib.postings import ocr as O
from talentlib.postings.cache import Cache, CachePIIError
from talentlib.postings.ingest import PostingError, decode_text, html_to_text
from talentlib.postings.masking import mask_posting_text
from talentlib.postings.render import degrade, render_page
from talentlib.privacy import find_pii, scan_frame_pii

FIXTURES = Path(__file__).parent / "fixtures" / "postings_ingest"
GOOD_TEXT = ["posting_utf8.txt", "posting_cp949.txt", "posting.html", "posting_text.pdf"]
MALFORMED = {
    "corrupt.pdf": "corrupt_pdf",
    "empty.png": "empty_file",
    "blank.png": "no_text",
    "truncated.jpg": "corrupt_image",
    "wrong_encoding.txt": "encoding",
    "notes.docx": "unsupported_type",
}
# The invented PII planted in the fixtures; none of it may reach an output.
PLANTED_PII = [
    "recruit@hanbit-energy.co.kr",
    "010-2345-6789",
    "031-987-6543",
    "hr@chipworks.kr",
    "031-123-4567",
    "recruit@chipworks.kr",
    "010-1111-2222",
]

LINES = [
    "[자격요건]",
    "• 화학공학 또는 신소재공학 전공 석사 이상",
    "• 리튬이온 배터리 셀 설계 경력 3년 이상",
    "• Python, MATLAB 활용 데이터 분석 가능자",
    "근무지: 충북 청주시 오창읍",
    "급여: 연봉 4,500~6,000만원",
]
REFERENCE = "\n".join(LINES)


@dataclass(frozen=True)
class FakeEngine:
    """An OCR engine that returns fixed text (with OCR-damaged PII) and leaves a mark per call."""

    text: str = "[자격요건]\n석사 이상\n문의: 010-l234-5678, hr @ example. co.kr"
    marks: str = ""

    @property
    def fingerprint(self) -> str:
        return "fake:1"

    def image_to_text(self, image: object) -> OcrResult:
        if self.marks:
            with open(self.marks, "a") as fh:
                fh.write("x")
        return OcrResult(self.text, 0.5, 3)


def _copy(names: list[str], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(FIXTURES / n, dest / n)
    return dest


# --------------------------------------------------------------------------------------------
# Text, HTML, PDF text layer
# --------------------------------------------------------------------------------------------


def test_read_text_utf8_and_cp949_give_the_same_masked_text() -> None:
    a = read_posting(FIXTURES / "posting_utf8.txt")
    b = read_posting(FIXTURES / "posting_cp949.txt")
    assert (a.method, a.encoding, b.encoding) == ("text", "utf-8", "cp949")
    assert a.posting_id == "posting_utf8" and a.file_type == "txt" and a.n_pages == 1
    assert a.ocr_confidence is None and len(a.sha256) == 64
    assert b.text == a.text.replace("•", "-")
    assert "[이메일]" in a.text and "[전화번호]" in a.text
    assert not find_pii(a.text)


def test_read_html_drops_scripts_and_keeps_blocks() -> None:
    p = read_posting(FIXTURES / "posting.html", posting_id="H1")
    assert p.posting_id == "H1" and p.method == "html"
    lines = p.text.splitlines()
    assert "- 전자공학 또는 컴퓨터공학 학사 이상" in lines
    assert "근무지 | 경기 성남시 분당구 (판교)" in lines
    assert "var phone" not in p.text and "color:red" not in p.text
    assert not find_pii(p.text)


def test_html_to_text_entities_pre_and_br() -> None:
    md = "<p>A &amp; B<br>C</p><pre>x  y\nz</pre><div>연봉&nbsp;협의</div>"
    assert html_to_text(md) == "A & B\nC\nx  y\nz\n연봉 협의"


def test_read_pdf_text_layer() -> None:
    p = read_posting(FIXTURES / "posting_text.pdf")
    want = read_posting(FIXTURES / "posting_utf8.txt").text
    assert (p.method, p.file_type, p.n_pages, p.ocr_confidence) == ("pdf_text", "pdf", 1, None)
    assert cer(want, p.text) < 0.01


def test_decode_text_refuses_non_korean_legacy_bytes() -> None:
    assert decode_text("연봉 협의".encode("cp949")) == ("연봉 협의", "cp949")
    assert decode_text("\ufeff연봉".encode()) == ("연봉", "utf-8-sig")
    assert decode_text("연봉".encode("utf-16")) == ("연봉", "utf-16")
    for data in [
        "求人情報 東京都".encode("shift_jis"),
        "ingénieur été".encode("latin-1"),
        b"\x00\x01binary",
    ]:
        with pytest.raises(PostingError) as e:
            decode_text(data)
        assert e.value.reason == "encoding"


def test_read_jpeg_goes_through_the_engine_and_is_masked(tmp_path: Path) -> None:
    from PIL import Image

    Image.open(FIXTURES / "posting_photo.png").convert("RGB").save(tmp_path / "j.jpeg")
    p = read_posting(tmp_path / "j.jpeg", engine=FakeEngine())
    assert (p.file_type, p.method, p.ocr_confidence, p.n_pages) == ("jpg", "ocr", 0.5, 1)
    assert p.text == "[자격요건]\n석사 이상\n문의: [전화번호], [이메일]"


# --------------------------------------------------------------------------------------------
# Malformed files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), sorted(MALFORMED.items()))
def test_read_posting_names_the_reason(name: str, reason: str) -> None:
    with pytest.raises(PostingError) as e:
        read_posting(FIXTURES / name, engine=FakeEngine())
    assert e.value.reason == reason
    assert name in str(e.value)


def test_batch_quarantines_malformed_files_and_counts_add_up(tmp_path: Path) -> None:
    folder = _copy([*GOOD_TEXT, *MALFORMED], tmp_path / "in")
    (folder / "labels.jsonl").write_text("{}\n")  # a sidecar, not a posting: ignored
    (folder / "sub").mkdir()
    shutil.copy(FIXTURES / "posting_utf8.txt", folder / "sub" / "posting_utf8.txt")  # same id
    files = [*GOOD_TEXT, *MALFORMED, "sub/posting_utf8.txt"]
    res = ingest_folder(folder, workers=1, engine=FakeEngine(), quiet=True)
    assert res.n_in == len(files) == res.n_ok + res.n_quarantined
    assert sorted(res.postings["posting_id"]) == sorted(Path(n).stem for n in GOOD_TEXT)
    reasons = dict(
        zip([Path(f).name for f in res.quarantine["file"]], res.quarantine["reason"], strict=True)
    )
    assert reasons == {**MALFORMED, "posting_utf8.txt": "duplicate_id"}
    assert res.quarantine["message"].str.len_chars().min() > 10
    assert res.summary()["by_reason"]["encoding"] == 1


def test_batch_accepts_a_list_of_paths_and_a_missing_file(tmp_path: Path) -> None:
    paths = [FIXTURES / "posting_utf8.txt", tmp_path / "gone.txt", tmp_path]
    res = ingest_folder(paths, posting_ids=["a", "b", "c"], workers=1, quiet=True)
    assert res.postings["posting_id"].to_list() == ["a"]
    assert res.quarantine["reason"].to_list() == ["not_found", "unsupported_type"]
    with pytest.raises(ValueError, match="posting_ids"):
        ingest_folder(paths, posting_ids=["a"], quiet=True)


# --------------------------------------------------------------------------------------------
# PII masking and the cache
# --------------------------------------------------------------------------------------------


def test_ocr_damaged_pii_is_masked() -> None:
    text = "문의 010-l234-5678 / O2-123-4567 / hr @ example. co.kr / 900101-l234567"
    masked = mask_posting_text(text)
    assert masked == "문의 [전화번호] / [전화번호] / [이메일] / [주민등록번호]"
    assert (
        mask_posting_text("연봉 4,500~6,000만원, 2025.01.31까지")
        == "연봉 4,500~6,000만원, 2025.01.31까지"
    )


def test_no_pii_reaches_postings_or_cache_and_warm_run_skips_ocr(tmp_path: Path) -> None:
    folder = _copy([*GOOD_TEXT, "posting_photo.png"], tmp_path / "in")
    marks = tmp_path / "ocr_calls"
    engine = FakeEngine(marks=str(marks))
    cache_dir = tmp_path / "cache"
    cold = ingest_folder(folder, workers=1, cache_dir=cache_dir, engine=engine, quiet=True)
    assert cold.n_ok == 5 and cold.n_cached == 0
    assert marks.read_text() == "x"
    assert scan_frame_pii(cold.postings).height == 0
    ocr_text = cold.postings.filter(pl.col("method") == "ocr")["text"][0]
    assert ocr_text.endswith("[전화번호], [이메일]")
    blobs = "".join(p.read_text(encoding="utf-8") for p in cache_dir.rglob("*.json"))
    assert len(list(cache_dir.rglob("*.json"))) == 5
    for pii in [*PLANTED_PII, "010-l234-5678", "hr @ example"]:
        assert pii not in blobs
        assert not cold.postings["text"].str.contains(pii, literal=True).any()
    for entry in cache_dir.rglob("*.json"):
        assert not find_pii(json.loads(entry.read_text(encoding="utf-8"))["value"]["text"])

    warm = ingest_folder(folder, workers=1, cache_dir=cache_dir, engine=engine, quiet=True)
    assert warm.n_cached == 5
    assert marks.read_text() == "x"  # OCR not run again
    assert warm.postings.equals(cold.postings)
    # Another engine setting is another cache version: OCR runs again.
    other = _Renamed(FakeEngine(text="다른 결과", marks=str(marks)))
    again = ingest_folder(folder, workers=1, cache_dir=cache_dir, engine=other, quiet=True)
    assert again.n_cached == 3 and marks.read_text() == "xx"  # txt, txt, html


@dataclass(frozen=True)
class _Renamed:
    inner: FakeEngine

    @property
    def fingerprint(self) -> str:
        return "fake:2"

    def image_to_text(self, image: object) -> OcrResult:
        return self.inner.image_to_text(image)


@dataclass(frozen=True)
class _SlowEngine:
    """Stands for tesseract: 0.5 s of waiting per image, like a subprocess would cost."""

    @property
    def fingerprint(self) -> str:
        return "slow:1"

    def image_to_text(self, image: object) -> OcrResult:
        time.sleep(0.5)
        return OcrResult("근무지: 서울", 0.9, 2)


def test_workers_read_images_side_by_side(tmp_path: Path) -> None:
    for i in range(4):
        shutil.copy(FIXTURES / "posting_photo.png", tmp_path / f"p{i}.png")
    t0 = time.perf_counter()
    res = ingest_folder(tmp_path, workers=2, engine=_SlowEngine(), quiet=True)
    assert res.n_ok == 4
    assert time.perf_counter() - t0 < 1.7  # 4 × 0.5 s one at a time would be 2 s


def test_cache_refuses_pii_and_treats_damage_as_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    with pytest.raises(CachePIIError, match="PII"):
        cache.put("a" * 64, "ingest", "1", {"text": "문의 010-1234-5678"})
    assert len(cache) == 0
    p = cache.put("a" * 64, "ingest", "1", {"text": "문의 [전화번호]"})
    assert cache.get("a" * 64, "ingest", "1") == {"text": "문의 [전화번호]"}
    assert cache.get("a" * 64, "ingest", "2") is None
    p.write_text("{not json", encoding="utf-8")
    assert cache.get("a" * 64, "ingest", "1") is None
    assert not list(tmp_path.rglob("*.tmp"))


# --------------------------------------------------------------------------------------------
# OCR: preprocessing pieces (fast) and real tesseract (slow)
# --------------------------------------------------------------------------------------------


def test_cer() -> None:
    assert cer("석사 이상", "석사 이상") == 0.0
    assert cer("석사 이상", "석샤 이상") == pytest.approx(1 / 5)
    assert cer("a\n\n b", "a b") == 0.0
    assert cer("", "") == 0.0 and cer("", "x") == 1.0
    assert cer("a b", "ab", normalize_space=False) == pytest.approx(1 / 3)


def test_engines_follow_the_protocol() -> None:
    assert isinstance(TesseractEngine(), OcrEngine)
    assert isinstance(FakeEngine(), OcrEngine)
    assert "kor+eng" in TesseractEngine().fingerprint
    assert TesseractEngine().fingerprint != TesseractEngine(psm=3).fingerprint


@pytest.mark.parametrize("angle", [-2.5, 0.0, 1.2, 3.0])
def test_estimate_skew_recovers_the_angle(angle: float) -> None:
    img = degrade(render_page(LINES, font_size=22, width=900), angle=angle, blur=0.5)
    assert O.estimate_skew(img) == pytest.approx(angle, abs=0.35)


def test_preprocess_upscales_only_small_text_and_deskews() -> None:
    small = render_page(LINES, font_size=11, width=500)
    big = render_page(LINES, font_size=28, width=1200)
    h = O.estimate_line_height(small)
    assert h is not None and 9 <= h <= 13
    assert O.preprocess(small).width > 2 * small.width
    assert O.preprocess(big).size == big.size
    tilted = degrade(big, angle=2.0)
    assert O.preprocess(tilted).size != tilted.size  # rotated back (canvas grows)
    off = O.Preprocess(upscale=False, deskew=False)
    assert O.preprocess(tilted, off).size == tilted.size


def test_otsu_threshold_splits_two_levels() -> None:
    import numpy as np

    arr = np.array([[30] * 50 + [220] * 50], dtype=np.uint8)
    assert 30 <= O.otsu_threshold(arr) < 220


def test_tesseract_reads_clean_and_scanned_renders() -> None:
    engine = TesseractEngine()
    clean = engine.image_to_text(render_page(LINES, font_size=28, width=1240))
    assert cer(REFERENCE, clean.text) < 0.08
    assert clean.confidence is not None and 0.7 < clean.confidence <= 1.0
    assert "MATLAB" in clean.text and "오창읍" in clean.text
    scan = degrade(
        render_page(LINES, font_size=24, width=1100),
        angle=1.5,
        blur=0.8,
        noise=10,
        jpeg_quality=50,
        seed=1,
    )
    noisy = engine.image_to_text(scan)
    assert cer(REFERENCE, noisy.text) < 0.15
    assert noisy.confidence is not None and noisy.confidence > 0.5


def test_ocr_files_through_the_worker_pool(tmp_path: Path) -> None:
    """Image-only PDF and a scanned PNG, read by real tesseract two at a time."""
    folder = _copy(["posting_scan.pdf", "posting_photo.png", "posting_utf8.txt"], tmp_path)
    res = ingest_folder(folder, workers=2, cache_dir=tmp_path / "cache", quiet=True)
    assert res.n_ok == 3 and res.n_quarantined == 0
    by_id = {r["posting_id"]: r for r in res.postings.to_dicts()}
    for pid in ("posting_scan", "posting_photo"):
        row = by_id[pid]
        assert row["method"] == "ocr" and 0.5 < row["ocr_confidence"] <= 1.0
        assert "전기전자 전공 학사 이상" in row["text"].replace("  ", " ")
        assert "[전화번호]" in row["text"] and "[이메일]" in row["text"]
    assert by_id["posting_scan"]["file_type"] == "pdf"
    assert scan_frame_pii(res.postings).height == 0
    warm = ingest_folder(folder, workers=2, cache_dir=tmp_path / "cache", quiet=True)
    assert warm.n_cached == 3 and warm.postings.equals(res.postings)


@pytest.mark.slow
def test_ocr_in_spawned_worker_processes(tmp_path: Path) -> None:
    folder = _copy(["posting_scan.pdf", "posting_photo.png", "corrupt.pdf"], tmp_path)
    res = ingest_folder(folder, workers=2, executor="process", quiet=True)
    assert sorted(res.postings["posting_id"]) == ["posting_photo", "posting_scan"]
    assert res.quarantine["reason"].to_list() == ["corrupt_pdf"]
    with pytest.raises(ValueError, match="executor"):
        ingest_folder(folder, executor="fork", quiet=True)
