"""Read posting files of any kind into PII-masked text; quarantine the ones that cannot be read.

``read_posting`` reads one file: plain text (UTF-8, else CP949/EUC-KR), HTML (scripts and
styles dropped, block structure kept as lines), PDF (the text layer where a page has one, OCR
of the page rendered at 300 dpi where it has not) and images (OCR). Text is masked with
``talentlib.pii.mask_pii`` before it leaves the function, so nothing downstream — frames,
cache, logs — ever holds an unmasked phone number, e-mail address, RRN or contact name. File
names are people's text too: a posting id comes from the file stem only when the stem holds no
PII, and paths in messages, quarantine rows and the ``source`` column are masked the same way.

``ingest_folder`` reads many files: cached results first (content-addressed, so a warm re-run
skips OCR), text and HTML in this thread, PDFs and images by a pool of workers that keeps the
cores busy. A file that fails becomes a quarantine row (file, reason, message) and never stops
the batch; files in = postings + quarantined, always.

Why one module: every reader (text, HTML, PDF, image) raises the same ``PostingError`` with a reason
from ``REASONS``, which ``ingest_folder`` turns into quarantine rows, so readers and batch share
one vocabulary of failures.
"""

from __future__ import annotations

import codecs
import fnmatch
import hashlib
import io
import multiprocessing
import os
import re
import threading
import time
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl

from talentlib.pii import PII_FINGERPRINT, find_pii, mask_pii

from .cache import Cache
from .ocr import OcrEngine, TesseractEngine

__all__ = [
    "FILE_TYPES",
    "INGEST_VERSION",
    "IngestResult",
    "PostingError",
    "PostingText",
    "decode_text",
    "html_to_text",
    "ingest_folder",
    "posting_id_for",
    "read_posting",
]

INGEST_VERSION = "1"  # bump when extraction or cleaning changes what a file's text is
FILE_TYPES = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpg",
    ".jpeg": "jpg",
}
OCR_TYPES = frozenset({"pdf", "png", "jpg"})
REASONS = {
    "not_found": "the file does not exist or is not a regular file",
    "unsupported_type": "the suffix is not one of .txt .html .htm .pdf .png .jpg .jpeg",
    "empty_file": "the file has no bytes",
    "encoding": "the bytes are neither UTF-8 nor CP949/EUC-KR text",
    "corrupt_pdf": "pdfium cannot open the PDF (damaged, truncated or encrypted)",
    "corrupt_image": "the image cannot be decoded",
    "image_too_large": "the image has more pixels than OCR may read (ocr.MAX_INPUT_PIXELS), or "
    "text too small for its size to read within ocr.MAX_WORK_PIXELS",
    "no_text": "no text was found (blank page or image)",
    "ocr_error": "tesseract failed on the image",
    "duplicate_id": "another file in the batch has the same posting id",
    "error": "an unexpected error; the message says which",
}
DEFAULT_IGNORE = (".*", "*.jsonl", "*.json", "*.parquet", "*.csv", "*.md", "*.yaml", "*.yml")

POSTINGS_SCHEMA = {
    "posting_id": pl.String,
    "source": pl.String,
    "file_type": pl.String,
    "method": pl.String,
    "encoding": pl.String,
    "text": pl.String,
    "ocr_confidence": pl.Float64,
    "n_pages": pl.Int32,
    "sha256": pl.String,
}
QUARANTINE_SCHEMA = {"file": pl.String, "reason": pl.String, "message": pl.String}


class PostingError(ValueError):
    """A posting file that cannot be read; ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PostingText:
    """One posting's masked text and how it was obtained."""

    posting_id: str
    source: str
    file_type: str
    text: str
    method: str  # "text" | "html" | "pdf_text" | "ocr"
    ocr_confidence: float | None
    n_pages: int
    sha256: str
    encoding: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Text and HTML
# --------------------------------------------------------------------------------------------


def _looks_korean(text: str) -> bool:
    """Whether CP949-decoded text reads as Korean: among its non-ASCII letters, mostly Hangul
    syllables of KS X 1001 (the 2,350 in everyday use). Bytes of another legacy encoding
    (Shift-JIS, Latin-1) decode as CP949 into rare UHC syllables or hanja instead.
    """
    wide = [c for c in text if ord(c) > 0x7F and c.isalpha()]
    if not wide:
        return True
    common = 0
    for c in wide:
        if 0xAC00 <= ord(c) <= 0xD7A3:
            b = c.encode("cp949")
            common += 0xB0 <= b[0] <= 0xC8 and b[1] >= 0xA1  # the KS X 1001 Hangul block
    return common / len(wide) >= 0.8


def decode_text(data: bytes, name: str = "file") -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM, or UTF-16 with BOM), else CP949/EUC-KR.

    Many byte strings happen to be valid CP949, so a CP949 reading is accepted only when it
    looks like Korean (mostly everyday Hangul syllables) — bytes in another legacy encoding
    are refused rather than turned into plausible-looking nonsense.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise PostingError(
            "encoding",
            f"{name}: holds NUL bytes, so it is binary, not text; re-save it as UTF-8 text",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_error = e
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError as e:
        raise PostingError(
            "encoding",
            f"{name}: neither UTF-8 (invalid byte at offset {utf8_error.start}) nor CP949/EUC-KR "
            f"(invalid byte at offset {e.start}); re-save it as UTF-8",
        ) from e
    if not _looks_korean(text):
        raise PostingError(
            "encoding",
            f"{name}: not UTF-8 (invalid byte at offset {utf8_error.start}), and read as CP949 "
            "it is not Korean text; it is probably in another encoding — re-save it as UTF-8",
        )
    return text, "cp949"


_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "title",
    }
)
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"}
)
_CELL_TAGS = frozenset({"td", "th"})


class _TextExtractor(HTMLParser):
    """Visible text with one line per block element; table cells of a row joined by " | "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.in_title = False
        self.cells_in_row = 0
        self.pre = 0

    def _flush(self) -> None:
        text = "".join(self.current)
        if not self.pre:
            text = " ".join(text.split())
        if text.strip():
            self.lines.append(text.strip())
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
            self._flush()
            return
        if tag in _SKIP_TAGS:
            self.skip += 1
            return
        if tag == "pre":
            self._flush()
            self.pre += 1
        if tag == "tr":
            self._flush()
            self.cells_in_row = 0
        elif tag in _CELL_TAGS:
            if self.cells_in_row:
                self.current.append(" | ")
            self.cells_in_row += 1
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag == "li":
                self.current.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            self._flush()
            return
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "pre":
            self._flush()
            self.pre = max(0, self.pre - 1)
        elif tag in _BLOCK_TAGS or tag == "tr":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip and not self.in_title:
            return
        if self.pre:
            for i, part in enumerate(data.split("\n")):
                if i:
                    self._flush()
                self.current.append(part)
        else:
            self.current.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML document, one line per block (p, li, h1…, tr, br)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # very broken markup: keep what was parsed
        pass
    parser._flush()
    return "\n".join(parser.lines)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    try:
        return decode_text(data, name)
    except PostingError:
        m = _META_CHARSET.search(data[:4096])
        if not m:
            raise
        declared = m.group(1).decode("ascii", "replace")
        try:
            return data.decode(declared), codecs.lookup(declared).name
        except (LookupError, UnicodeDecodeError) as e:
            raise PostingError(
                "encoding",
                f"{name}: declares charset {declared} but its bytes are not valid {declared} ({e})",
            ) from e


# --------------------------------------------------------------------------------------------
# PDF and images
# --------------------------------------------------------------------------------------------


def _open_image(data: bytes, name: str) -> Any:
    """The decoded image; refused unread when it has more than ``ocr.MAX_INPUT_PIXELS``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from .ocr import MAX_INPUT_PIXELS

    try:
        with warnings.catch_warnings():
            # The size check below decides, before decoding; Pillow's decompression-bomb
            # warning (a RuntimeWarning, an error under -W error) must not stop a batch.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
            pixels = img.width * img.height
            if pixels <= MAX_INPUT_PIXELS:
                img.load()
    except Image.DecompressionBombError as e:
        raise PostingError(
            "image_too_large", f"{name}: image too large to decode safely ({e})"
        ) from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise PostingError("corrupt_image", f"{name}: cannot decode the image ({e})") from e
    if pixels > MAX_INPUT_PIXELS:
        raise PostingError(
            "image_too_large",
            f"{name}: the image is {img.width}×{img.height} px ({pixels / 1e6:.0f} million "
            f"pixels), over the OCR limit of {MAX_INPUT_PIXELS / 1e6:.0f} million; crop it to "
            "the posting or save it at a lower resolution",
        )
    if img.width < 8 or img.height < 8:
        raise PostingError(
            "corrupt_image", f"{name}: image is {img.width}×{img.height} px, too small to hold text"
        )
    return ImageOps.exif_transpose(img)


def _is_blank(img: Any) -> bool:
    """A page with no ink at all (uniform colour): no need to run OCR on it. Judged on the
    darkest pixel of each block (not an average), so a few small lines on a huge page count."""
    import numpy as np

    from .ocr import darkest_per_block

    arr = darkest_per_block(img, 400).astype(np.float32)
    return float(arr.max() - arr.min()) < 24 or float(arr.std()) < 1.0


def _ocr(img: Any, engine: OcrEngine, name: str) -> tuple[str, float | None]:
    from .ocr import ImageTooLargeError

    if _is_blank(img):
        return "", None
    try:
        res = engine.image_to_text(img)
    except PostingError:
        raise
    except ImageTooLargeError as e:
        raise PostingError("image_too_large", f"{name}: {e}") from e
    except Exception as e:  # TesseractError, TesseractNotFoundError, timeouts
        raise PostingError("ocr_error", f"{name}: OCR failed: {type(e).__name__}: {e}") from e
    return res.text, res.confidence


# pdfium is not thread-safe: every call into it holds this lock (OCR runs outside it).
_PDFIUM_LOCK = threading.Lock()


def _page_text_or_image(pdf: Any, i: int, dpi: int, min_chars: int) -> tuple[str, Any]:
    """(text layer, None) or ("", rendered page) when the page has no usable text layer."""
    page = pdf[i]
    try:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        textpage.close()
        if len(re.sub(r"\s", "", text)) >= min_chars:
            return text, None
        # No usable text layer: a scanned page. Render it for OCR, at a lower resolution
        # where a (poster-sized) page would exceed OCR's pixel budget at ``dpi``.
        from .ocr import MAX_WORK_PIXELS

        w, h = page.get_size()  # points
        scale = min(dpi / 72, 0.999 * (MAX_WORK_PIXELS / max(w * h, 1.0)) ** 0.5)  # rounds up
        return "", page.render(scale=scale, grayscale=True).to_pil()
    finally:
        page.close()


def _read_pdf(
    data: bytes, name: str, engine: OcrEngine, dpi: int, min_chars: int
) -> dict[str, Any]:
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            raise PostingError("corrupt_pdf", f"{name}: cannot open the PDF ({e})") from e
    try:
        with _PDFIUM_LOCK:
            n = len(pdf)
        if n == 0:
            raise PostingError("corrupt_pdf", f"{name}: the PDF has no pages")
        pages: list[str] = []
        confs: list[float] = []
        ocr_pages = 0
        for i in range(n):
            with _PDFIUM_LOCK:
                text, img = _page_text_or_image(pdf, i, dpi, min_chars)
            if img is not None:
                text, conf = _ocr(img, engine, f"{name} page {i + 1}")
                ocr_pages += 1
                if conf is not None:
                    confs.append(conf)
            pages.append(text)
    except pdfium.PdfiumError as e:
        raise PostingError("corrupt_pdf", f"{name}: cannot read the PDF ({e})") from e
    finally:
        with _PDFIUM_LOCK:
            pdf.close()
    return {
        "text": "\n".join(pages),
        "method": "ocr" if ocr_pages else "pdf_text",
        "ocr_confidence": round(sum(confs) / len(confs), 4) if confs else None,
        "n_pages": n,
        "encoding": None,
    }


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b]")
_MANY_BLANKS = re.compile(r"\n{3,}")


def _clean(text: str) -> str:
    """NFC (PDF text often has decomposed Hangul), unified newlines, no control characters."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).replace("\xa0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _MANY_BLANKS.sub("\n\n", text).strip()


def file_type_of(path: str | Path) -> str | None:
    return FILE_TYPES.get(Path(path).suffix.lower())


def _extract(
    data: bytes, file_type: str, name: str, engine: OcrEngine, dpi: int, min_pdf_chars: int
) -> dict[str, Any]:
    """Masked, cleaned text and how it was read; raises PostingError."""
    if not data:
        raise PostingError("empty_file", f"{name}: the file is empty (0 bytes)")
    if file_type == "txt":
        text, enc = decode_text(data, name)
        out = {
            "text": text,
            "method": "text",
            "ocr_confidence": None,
            "n_pages": 1,
            "encoding": enc,
        }
    elif file_type == "html":
        markup, enc = _decode_html(data, name)
        out = {
            "text": html_to_text(markup),
            "method": "html",
            "ocr_confidence": None,
            "n_pages": 1,
            "encoding": enc,
        }
    elif file_type == "pdf":
        out = _read_pdf(data, name, engine, dpi, min_pdf_chars)
    else:
        img = _open_image(data, name)
        text, conf = _ocr(img, engine, name)
        out = {
            "text": text,
            "method": "ocr",
            "ocr_confidence": conf,
            "n_pages": 1,
            "encoding": None,
        }
    out["text"] = mask_pii(_clean(out["text"]))
    if not out["text"].strip():
        what = "blank image or page" if out["method"] == "ocr" else "no visible text"
        raise PostingError("no_text", f"{name}: {what}")
    return out


def read_posting(
    path: str | Path,
    *,
    posting_id: str | None = None,
    engine: OcrEngine | None = None,
    dpi: int = 300,
    min_pdf_chars: int = 20,
) -> PostingText:
    """Read one posting file into masked text; raises ``PostingError`` (with ``.reason``).

    ``posting_id`` defaults to the file stem (see ``posting_id_for``). PDF pages with fewer than
    ``min_pdf_chars`` characters in their text layer are rendered at ``dpi`` and read by OCR.
    """
    p = Path(path)
    name = mask_pii(p.name)
    file_type = file_type_of(p)
    if file_type is None:
        raise PostingError(
            "unsupported_type",
            f"{name}: unsupported file type {p.suffix or '(none)'}; use one of "
            f"{', '.join(sorted(FILE_TYPES))}",
        )
    try:
        data = p.read_bytes()
    except FileNotFoundError as e:
        raise PostingError("not_found", f"{mask_pii(str(p))}: file not found") from e
    except IsADirectoryError as e:
        raise PostingError("not_found", f"{mask_pii(str(p))}: is a folder, not a file") from e
    out = _extract(data, file_type, name, engine or TesseractEngine(), dpi, min_pdf_chars)
    sha = hashlib.sha256(data).hexdigest()
    return PostingText(
        posting_id=posting_id if posting_id is not None else posting_id_for(p.stem, sha),
        source=mask_pii(str(p)),
        file_type=file_type,
        sha256=sha,
        **out,
    )


# Safe characters for an id, and at least one letter, so that a number (a phone number, an RRN)
# is never an id; data_contracts/job_postings.yaml checks posting_id with the same pattern.
_ID_UNSAFE = re.compile(r"[^0-9A-Za-z가-힣._-]+")
_ID_SHAPE = re.compile(r"[0-9._-]*[A-Za-z가-힣][0-9A-Za-z가-힣._-]*")


def posting_id_for(stem: str, sha256: str) -> str:
    """The file stem with unsafe characters as ``_`` when it holds no PII, else ``posting-<sha>``.

    A file named after an applicant (``지원자 홍길동 010-1234-5678.txt``) must not put the name
    or the number into ids, tables and published reports; its content hash names it instead.
    """
    clean = _ID_UNSAFE.sub("_", unicodedata.normalize("NFC", stem)).strip("_.-")[:80]
    if (
        _ID_SHAPE.fullmatch(clean)
        and not find_pii(stem)
        and not find_pii(clean)
        and not find_pii(clean.replace("_", " "))
    ):
        return clean
    return f"posting-{sha256[:12]}"


# --------------------------------------------------------------------------------------------
# Many files
# --------------------------------------------------------------------------------------------


@dataclass
class IngestResult:
    """Postings read (masked text) and files quarantined; n_in = n_ok + n_quarantined."""

    postings: pl.DataFrame
    quarantine: pl.DataFrame
    n_in: int
    n_cached: int
    seconds: float

    @property
    def n_ok(self) -> int:
        return self.postings.height

    @property
    def n_quarantined(self) -> int:
        return self.quarantine.height

    def summary(self) -> dict[str, Any]:
        return {
            "files": self.n_in,
            "postings": self.n_ok,
            "quarantined": self.n_quarantined,
            "cached": self.n_cached,
            "seconds": round(self.seconds, 2),
            "by_method": dict(self.postings.group_by("method").len().iter_rows()),
            "by_reason": dict(self.quarantine.group_by("reason").len().iter_rows()),
        }


def _list_files(source: str | Path | Iterable[str | Path], ignore: Sequence[str]) -> list[Path]:
    if isinstance(source, str | Path):
        root = Path(source)
        if not root.is_dir():
            raise FileNotFoundError(
                f"{root} is not a folder; pass a folder of postings or a list of files"
            )
        files = []
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root).parts
            if any(fnmatch.fnmatch(part, pat) for part in rel for pat in ignore):
                continue
            if p.is_file():
                files.append(p)
        return files
    return [Path(p) for p in source]


def _cache_version(file_type: str, engine: OcrEngine, dpi: int, min_pdf_chars: int) -> str:
    """What the cached text depends on: this module, the masking patterns and, for files that
    may need OCR, the engine settings."""
    base = f"{INGEST_VERSION}|mask={PII_FINGERPRINT}"
    if file_type in OCR_TYPES:
        return f"{base}|dpi={dpi}|min={min_pdf_chars}|{engine.fingerprint}"
    return base


def _work(
    path: str, file_type: str, engine: OcrEngine, dpi: int, min_pdf_chars: int
) -> tuple[str, dict[str, Any] | tuple[str, str]]:
    """Worker: ("ok", fields) or ("err", (reason, message)); never raises."""
    name = mask_pii(Path(path).name)
    try:
        data = Path(path).read_bytes()
        return "ok", _extract(data, file_type, name, engine, dpi, min_pdf_chars)
    except PostingError as e:
        return "err", (e.reason, str(e))
    except FileNotFoundError:
        return "err", ("not_found", f"{name}: file not found")
    except Exception as e:  # noqa: BLE001 - a batch must survive any one file
        return "err", ("error", f"{name}: {type(e).__name__}: {e}")


def _progress(total: int, quiet: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc="공고 읽기", unit="건", disable=quiet or bool(os.environ.get("CI"))
    )


def ingest_folder(
    source: str | Path | Iterable[str | Path],
    *,
    workers: int = 2,
    cache_dir: str | Path | None = None,
    engine: OcrEngine | None = None,
    posting_ids: Sequence[str] | None = None,
    dpi: int = 300,
    min_pdf_chars: int = 20,
    ignore: Sequence[str] = DEFAULT_IGNORE,
    executor: str = "thread",
    quiet: bool = False,
) -> IngestResult:
    """Read every posting in a folder (recursively) or a list of files; never stops on a bad file.

    Files matching ``ignore`` (hidden files, label and metadata sidecars) are not postings and
    are skipped when listing a folder; anything else that cannot be read is quarantined with
    its reason. Posting ids are file stems unless ``posting_ids`` are given (one per file);
    a stem that holds PII gives way to the content hash (``posting_id_for``).
    With ``cache_dir`` results are cached by file content, so a re-run skips OCR.

    PDFs and images are read by ``workers`` at once. Tesseract runs as its own process, so
    the default ``executor="thread"`` already keeps that many cores busy, with no start-up
    cost and nothing to pickle; ``"process"`` (spawned workers) suits an engine that computes
    in Python, and then a script must call this under ``if __name__ == "__main__":``.
    """
    if executor not in ("thread", "process"):
        raise ValueError(f"executor must be 'thread' or 'process', not {executor!r}")
    t0 = time.perf_counter()
    files = _list_files(source, ignore)
    if posting_ids is not None and len(posting_ids) != len(files):
        raise ValueError(f"posting_ids has {len(posting_ids)} ids for {len(files)} files")
    given = list(posting_ids) if posting_ids is not None else None
    ids = [""] * len(files)  # set once the file's content hash is known
    engine = engine or TesseractEngine()
    cache = Cache(cache_dir) if cache_dir is not None else None

    ok: dict[int, dict[str, Any]] = {}
    bad: dict[int, tuple[str, str, str]] = {}
    meta: dict[int, tuple[str, str]] = {}  # i → (file_type, sha256)
    first_of: dict[str, int] = {}
    pool_jobs: list[int] = []
    local_jobs: list[int] = []
    n_cached = 0

    bar = _progress(len(files), quiet)
    for i, p in enumerate(files):
        ft = file_type_of(p)
        if ft is None:
            bad[i] = (
                str(p),
                "unsupported_type",
                f"{p.name}: unsupported file type {p.suffix or '(none)'}",
            )
            bar.update()
            continue
        try:
            with open(p, "rb") as fh:
                sha = hashlib.file_digest(fh, "sha256").hexdigest()
        except OSError as e:
            reason = (
                "not_found" if isinstance(e, FileNotFoundError | IsADirectoryError) else "error"
            )
            bad[i] = (str(p), reason, f"{p.name}: cannot open ({type(e).__name__})")
            bar.update()
            continue
        ids[i] = given[i] if given is not None else posting_id_for(p.stem, sha)
        if ids[i] in first_of:
            bad[i] = (
                str(p),
                "duplicate_id",
                f"{p.name}: posting id {ids[i]!r} already taken by {files[first_of[ids[i]]].name}",
            )
            bar.update()
            continue
        first_of[ids[i]] = i
        meta[i] = (ft, sha)
        if cache is not None:
            hit = cache.get(sha, "ingest", _cache_version(ft, engine, dpi, min_pdf_chars))
            if hit is not None:
                ok[i] = hit
                n_cached += 1
                bar.update()
                continue
        (pool_jobs if ft in OCR_TYPES and workers > 1 else local_jobs).append(i)

    def done(i: int, status: str, value: Any) -> None:
        if status == "ok":
            ok[i] = value
            if cache is not None:
                ft, sha = meta[i]
                try:
                    cache.put(sha, "ingest", _cache_version(ft, engine, dpi, min_pdf_chars), value)
                except OSError as e:  # a full or read-only cache costs speed, not the batch
                    shown = mask_pii(f"{files[i].name}: {e}")
                    warnings.warn(f"cache write failed for {shown}", stacklevel=2)
        else:
            reason, message = value
            bad[i] = (str(files[i]), reason, message)
        bar.update()

    pool: Executor | None = None
    futures: dict[Future[Any], int] = {}
    try:
        if pool_jobs:
            n_workers = min(workers, len(pool_jobs))
            if executor == "process":
                ctx = multiprocessing.get_context("spawn")
                pool = ProcessPoolExecutor(n_workers, mp_context=ctx)
            else:
                pool = ThreadPoolExecutor(n_workers, thread_name_prefix="talentlib-ocr")
            for i in pool_jobs:
                fut = pool.submit(_work, str(files[i]), meta[i][0], engine, dpi, min_pdf_chars)
                futures[fut] = i
        # Text and HTML are quick: read them here while the pool works on the images.
        for i in local_jobs:
            done(i, *_work(str(files[i]), meta[i][0], engine, dpi, min_pdf_chars))
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                status, value = fut.result()
            except Exception as e:  # noqa: BLE001 - a worker died (e.g. a crash in a decoder)
                status, value = (
                    "err",
                    ("error", f"{files[i].name}: worker failed: {type(e).__name__}: {e}"),
                )
            done(i, status, value)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        bar.close()

    rows = []
    for i in sorted(ok):
        ft, sha = meta[i]
        rows.append(
            {
                "posting_id": ids[i],
                "source": mask_pii(str(files[i])),
                "file_type": ft,
                "sha256": sha,
                **{
                    k: ok[i].get(k)
                    for k in ("method", "encoding", "text", "ocr_confidence", "n_pages")
                },
            }
        )
    postings = pl.DataFrame(rows, schema=POSTINGS_SCHEMA).select(list(POSTINGS_SCHEMA))
    # File names and messages (which quote paths and exceptions) are masked in one place.
    quarantine = pl.DataFrame(
        [
            {"file": mask_pii(f), "reason": reason, "message": mask_pii(msg)}
            for f, reason, msg in (bad[i] for i in sorted(bad))
        ],
        schema=QUARANTINE_SCHEMA,
    )
    result = IngestResult(postings, quarantine, len(files), n_cached, time.perf_counter() - t0)
    assert result.n_in == result.n_ok + result.n_quarantined, "ingest lost or duplicated a file"
    return result


def reason_text(reason: str) -> str:
    """What a quarantine reason means, for people."""
    return REASONS.get(reason, reason)
