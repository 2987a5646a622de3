"""Tests for talentlib.postings ingest, OCR, masking and cache (real tesseract on rendered text)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
import yaml

from talentlib.pii import find_pii, mask_pii, scan_frame_pii
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
from talentlib.postings.ingest import PostingError, decode_text, html_to_text, posting_id_for
from talentlib.postings.render import degrade, render_page

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
    masked = mask_pii(text)
    assert masked == "문의 [전화번호] / [전화번호] / [이메일] / [주민등록번호]"
    salary = "연봉 4,500~6,000만원, 2025.01.31까지"
    assert mask_pii(salary) == salary


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


# --------------------------------------------------------------------------------------------
# File names are people's text too: posting ids, sources, quarantine rows and messages
# --------------------------------------------------------------------------------------------

PII_STEM = "지원자 홍길동 010-1234-5678"
PII_SECRETS = ["홍길동", "010-1234-5678", "1234-5678", "01012345678"]
POSTING_ID_PATTERN = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "talentlib" / "data_contracts" / "job_postings.yaml").read_text(
        encoding="utf-8"
    )
)["columns"][0]["pattern"]


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("HW01", "HW01"),
        ("P000123", "P000123"),
        ("posting_utf8", "posting_utf8"),
        ("JP000001", "JP000001"),
        ("채용 공고 (반도체) 1", "채용_공고_반도체_1"),
        ("2024_채용공고", "2024_채용공고"),
        ("\u1112\u1161\u11ab", "한"),  # decomposed Hangul from a macOS file name
        ("0001", None),  # a number is never an id
        ("010-1234-5678", None),
        ("900101-1234567", None),
        ("지원자_홍길동", None),
        ("hong@example.com", None),
        ("이력서 hong at example dot com", None),
        ("...", None),
    ],
)
def test_posting_id_for(stem: str, expected: str | None) -> None:
    sha = "0123456789abcdef" * 4
    got = posting_id_for(stem, sha)
    assert got == (expected if expected is not None else "posting-0123456789ab")
    assert re.search(POSTING_ID_PATTERN, got)


def test_a_file_named_after_an_applicant_leaks_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "posting_utf8.txt", folder / f"{PII_STEM}.txt")
    shutil.copy(FIXTURES / "corrupt.pdf", folder / f"{PII_STEM}.pdf")
    shutil.copy(FIXTURES / "notes.docx", folder / f"{PII_STEM}.docx")
    shutil.copy(FIXTURES / "posting_cp949.txt", folder / "HW01.txt")
    shutil.copy(FIXTURES / "posting.html", folder / "P000123.html")
    cache_dir = tmp_path / "cache"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ingest_folder(folder, workers=1, cache_dir=cache_dir, engine=FakeEngine(), quiet=True)
    sha = hashlib.sha256((FIXTURES / "posting_utf8.txt").read_bytes()).hexdigest()
    assert sorted(res.postings["posting_id"]) == ["HW01", "P000123", f"posting-{sha[:12]}"]
    assert sorted(res.quarantine["reason"]) == ["corrupt_pdf", "unsupported_type"]
    assert set(res.quarantine["file"].str.split("/").list.last()) == {
        "지원자 [이름] [전화번호].pdf",
        "지원자 [이름] [전화번호].docx",
    }
    everything = "\n".join(
        [
            res.postings.write_csv(),
            res.quarantine.write_csv(),
            json.dumps(res.summary(), ensure_ascii=False),
            *(str(w.message) for w in caught),
            *(p.read_text(encoding="utf-8") for p in cache_dir.rglob("*.json")),
        ]
    )
    for secret in PII_SECRETS:
        assert secret not in everything
    assert all(re.search(POSTING_ID_PATTERN, i) for i in res.postings["posting_id"])

    one = read_posting(folder / f"{PII_STEM}.txt")
    assert one.posting_id == f"posting-{sha[:12]}"
    assert "[이름]" in one.source and not any(s in one.source for s in PII_SECRETS)
    for name in (f"{PII_STEM}.docx", f"{PII_STEM}.pdf", f"missing {PII_STEM}.txt"):
        with pytest.raises(PostingError) as err:
            read_posting(folder / name)
        assert not any(s in str(err.value) for s in PII_SECRETS), str(err.value)


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


# --------------------------------------------------------------------------------------------
# OCR resources: pixel limits on input and on what tesseract gets (issue 14)
# --------------------------------------------------------------------------------------------

SMALL_LINES = LINES[:4]
_READ_AND_MEASURE = """
import json, resource, sys, time
t = time.perf_counter()
from talentlib.postings import read_posting
from talentlib.postings.ingest import PostingError
out = {}
try:
    out["text"] = read_posting(sys.argv[1]).text
except PostingError as e:
    out["reason"], out["message"] = e.reason, str(e)
out["seconds"] = time.perf_counter() - t
# this process and its tesseract child, whichever peaked higher (VmHWM for this process:
# ru_maxrss would keep the peak of the pytest process that forked it)
own = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM")))
out["peak_mb"] = max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps(out, ensure_ascii=False))
"""


def _read_in_fresh_process(path: Path) -> dict:
    """read_posting in a new interpreter, so that its peak memory is this file's alone."""
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", _READ_AND_MEASURE, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _poster(
    path: Path,
    spots: list[tuple[int, int]],
    lines: list[str],
    *,
    font_size: int = 10,
    width: int = 900,
) -> Path:
    """An 8000×8000 px PNG (64 million pixels) with blocks of small text (lines ~9 px tall)."""
    from PIL import Image

    page = Image.new("L", (8000, 8000), 255)
    block = render_page(lines, font_size=font_size, width=width, margin=4)
    for spot in spots:
        page.paste(block, spot)
    page.save(path)
    return path


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width``×``height`` pixels but holds almost no data: decoding it
    would fail, so a refusal before decoding is the only way to the right reason."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.slow
def test_huge_page_with_a_few_small_lines_is_read_within_bounds(tmp_path: Path) -> None:
    # Upscaling the whole page ×3 for its small text meant 576 million pixels: 25 s here,
    # 0.9 GB in Python and 1.8 GB in tesseract (minutes and 4 GB on a busier page). Now the
    # bands of text are cut out, upscaled and read.
    spots = [(300, 300), (4200, 3000), (1500, 6500)]
    got = _read_in_fresh_process(_poster(tmp_path / "poster.png", spots, SMALL_LINES))
    assert "reason" not in got, got["message"]
    assert got["peak_mb"] < 1000 and got["seconds"] < 90, got
    assert cer("\n".join(SMALL_LINES * 3), got["text"]) < 0.1
    assert got["text"].count("MATLAB") == 3


def test_huge_page_full_of_small_text_is_refused_with_its_reason(tmp_path: Path) -> None:
    # Text everywhere: nothing to cut away, and shrunk to 40 million pixels its 10 px lines
    # would be 8 px. Before, tesseract ground through 576 million pixels for ~2 minutes.
    line = "• 리튬이온 배터리 셀 설계 경력 3년 이상, Python 가능자"
    spots = [(x, y) for y in range(100, 7900, 60) for x in (100, 3700, 7250)]
    path = _poster(tmp_path / "dense.png", spots, [line], width=700)
    got = _read_in_fresh_process(path)
    assert got.get("reason") == "image_too_large", got
    assert "dense.png" in got["message"] and "40 million pixels" in got["message"]
    assert got["peak_mb"] < 1000 and got["seconds"] < 60, got


@pytest.mark.parametrize("size", [(12_000, 11_000), (20_000, 20_000)])
def test_images_over_the_input_limit_are_refused_unread(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    # 132 million pixels: over our limit, and Pillow warns (a decompression bomb?); 400 million:
    # Pillow itself refuses. Either way a quarantine reason, never a warning turned crash.
    path = _png_header(tmp_path / "scan.png", *size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PostingError) as err:
            read_posting(path, engine=FakeEngine())
    assert err.value.reason == "image_too_large" and "scan.png" in str(err.value)
    res = ingest_folder([path], cache_dir=tmp_path / "cache", engine=FakeEngine(), quiet=True)
    assert res.quarantine.select("reason").to_series().to_list() == ["image_too_large"]
    assert res.n_in == res.n_ok + res.n_quarantined == 1


def test_preprocess_keeps_to_the_pixel_budget() -> None:
    from PIL import Image

    small = render_page(LINES, font_size=11, width=500)  # ~11 px lines: upscaled ×2.9
    free = O.preprocess(small)
    budget = free.width * free.height // 2
    tight = O.preprocess(small, O.Preprocess(max_pixels=budget))
    assert tight.width * tight.height <= budget < free.width * free.height
    assert tight.width > small.width  # still upscaled, only less

    page = Image.new("L", (3000, 3000), 255)  # 9 million pixels, over a 4 million budget
    page.paste(small, (2000, 300))
    page.paste(small, (200, 2500))
    out = O.preprocess(page, O.Preprocess(max_pixels=4_000_000))
    assert out.width * out.height <= 4_000_000
    assert out.height > 2 * 2 * small.height * 0.8  # both blocks kept, upscaled
    assert [b[1] for b in O.text_bands(page)] == sorted(b[1] for b in O.text_bands(page))
    assert len(O.text_bands(page)) == 2

    with pytest.raises(O.ImageTooLargeError, match="million pixels"):
        O.preprocess(page, O.Preprocess(max_pixels=30_000))  # 11 px lines would be 8 px


def test_is_blank_sees_a_few_small_lines_on_a_big_page(tmp_path: Path) -> None:
    from PIL import Image

    from talentlib.postings.ingest import _is_blank

    page = Image.new("L", (6000, 6000), 255)
    assert _is_blank(page)
    page.paste(render_page(SMALL_LINES[:2], font_size=10, width=500, margin=4), (2500, 2500))
    assert not _is_blank(page)  # an averaged 400 px thumbnail washed these lines out


def test_scanned_pdf_pages_render_within_the_pixel_budget() -> None:
    import pypdfium2 as pdfium

    from talentlib.postings.ingest import _page_text_or_image

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(2880, 2880)  # 40 × 40 inches: 144 million pixels at 300 dpi
    try:
        text, img = _page_text_or_image(pdf, 0, 300, 20)
    finally:
        pdf.close()
    assert text == "" and 0.9 * O.MAX_WORK_PIXELS < img.width * img.height <= O.MAX_WORK_PIXELS
