"""OCR of posting images: one small engine protocol, Tesseract behind it, measured preprocessing.

``OcrEngine`` is the protocol (``image_to_text(image) -> OcrResult``); ``TesseractEngine`` is the
implementation shipped here (pytesseract, imported only when an image is read). Preprocessing
steps are plain settings in ``Preprocess``; the defaults keep only the steps that lowered the
character error rate in the ablation (``python -m talentlib.evaluation.ocr``).

Resources are bounded by two documented limits: ``MAX_INPUT_PIXELS`` (an image above it is not
decoded at all) and ``MAX_WORK_PIXELS`` (``Preprocess.max_pixels``: the most pixels handed to
tesseract after upscaling and deskewing). A page too big for the budget is cut down to its
bands of text, then shrunk; if its text would then be too small to read, ``ImageTooLargeError``
says so instead of OCR running for minutes on gigabytes.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

__all__ = [
    "MAX_INPUT_PIXELS",
    "MAX_WORK_PIXELS",
    "ImageTooLargeError",
    "OcrEngine",
    "OcrResult",
    "Preprocess",
    "TesseractEngine",
    "cer",
    "compact_to_text",
    "darkest_per_block",
    "estimate_line_height",
    "estimate_skew",
    "otsu_threshold",
    "preprocess",
    "text_bands",
]


MAX_INPUT_PIXELS = 120_000_000
"""Images with more pixels are refused before decoding (an A4 page scanned at 1000 dpi has 97
million; decoding 120 million RGBA pixels alone takes ~0.5 GB)."""

MAX_WORK_PIXELS = 40_000_000
"""Default ``Preprocess.max_pixels``: the most pixels tesseract gets after preprocessing. An
8000×8000 page with 9 px text lines used to be upscaled ×3 to 576 million pixels (25-116 s,
0.9 GB in Python and 1.8 GB in tesseract here; 130 s and 4 GB in a tester's run); 40 million
(an A4 page at 300 dpi is 8.7) keeps tesseract well under a gigabyte."""


class ImageTooLargeError(ValueError):
    """An image that cannot be read within the pixel limits; the message says what to do."""


@dataclass(frozen=True)
class OcrResult:
    """Recognised text (lines joined by newlines) and mean word confidence in [0, 1]."""

    text: str
    confidence: float | None
    n_words: int = 0


@runtime_checkable
class OcrEngine(Protocol):
    """Anything that turns a page image into text with a confidence."""

    def image_to_text(self, image: Image.Image) -> OcrResult: ...

    @property
    def fingerprint(self) -> str:
        """Settings that change the output (cache keys include it)."""
        ...


# --------------------------------------------------------------------------------------------
# Character error rate
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def cer(reference: str, hypothesis: str, *, normalize_space: bool = True) -> float:
    """Character error rate: Levenshtein edits / reference length (whitespace runs as one space).

    Layout whitespace (blank lines, indentation) is not the OCR's business, so by default runs of
    whitespace count as one space on both sides. An empty reference gives 0.0 for an empty
    hypothesis and 1.0 otherwise.
    """
    from rapidfuzz.distance import Levenshtein

    if normalize_space:
        reference, hypothesis = _norm(reference), _norm(hypothesis)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return Levenshtein.distance(reference, hypothesis) / len(reference)


# --------------------------------------------------------------------------------------------
# Preprocessing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preprocess:
    """Image preprocessing before OCR; each step is a setting so the ablation can switch it.

    Defaults follow ``ocr_ablation`` (16 renders, 2 texts × 8 degradations, tesseract 5.3
    kor+eng, mean CER): none 0.086; grayscale 0.086; deskew 0.083; upscale 0.059; Otsu
    binarization 0.132; median denoise 0.237; default (grayscale + deskew + upscale) 0.054.
    Tesseract binarizes internally, and a global threshold or a median filter eats thin
    Hangul strokes, so those two stay off.

    ``max_pixels`` caps the image handed to OCR (see ``MAX_WORK_PIXELS``). When the page needs
    more, it is cut down to its bands of text (``compact_to_text``), then shrunk (or upscaled
    less); if its text lines would end up shorter than ``min_line_height`` it is refused with
    ``ImageTooLargeError``. Measured on renders without upscaling, tesseract's CER was 0.38 at
    9 px lines, 0.10 at 10.5 px and 0.06 at 12 px.
    """

    grayscale: bool = True
    upscale: bool = True
    upscale_below: int = 20  # px; pages whose text lines are shorter than this are upscaled…
    target_line_height: int = 32  # …so that their lines are about this tall
    max_upscale: float = 3.0
    deskew: bool = True
    max_skew: float = 5.0  # degrees searched either way
    min_skew: float = 1.0  # smaller angles are left alone (tesseract copes; rotating blurs)
    binarize: bool = False
    denoise: bool = False
    max_pixels: int = MAX_WORK_PIXELS
    min_line_height: float = 10.0


def _gray_array(img: Image.Image) -> np.ndarray:
    import numpy as np

    return np.asarray(img.convert("L"), dtype=np.uint8)


def otsu_threshold(gray: np.ndarray) -> int:
    """Otsu's global threshold of an 8-bit grayscale array."""
    import numpy as np

    flat = gray.ravel()
    hist = np.zeros(256, dtype=np.float64)
    for i in range(0, flat.size, 1 << 22):  # bincount widens to int64: 8 bytes per pixel
        hist += np.bincount(flat[i : i + (1 << 22)], minlength=256)
    total = hist.sum()
    if total == 0:
        return 128
    w0 = np.cumsum(hist)
    w1 = total - w0
    mu = np.cumsum(hist * np.arange(256))
    mu_t = mu[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu_t * w0 / total - mu) ** 2 / (w0 * w1)
    between = np.nan_to_num(between, nan=0.0, posinf=0.0)
    return int(np.argmax(between))


def _ink(gray: np.ndarray) -> np.ndarray:
    """Boolean mask of dark (text) pixels; light-on-dark pages are inverted first."""
    t = otsu_threshold(gray)
    ink = gray <= t
    if ink.mean() > 0.5:  # more "ink" than paper: inverted page
        ink = ~ink
    return ink


def estimate_line_height(img: Image.Image) -> float | None:
    """Median height (px) of the horizontal bands that hold ink; None when there is no text."""
    import numpy as np

    ink = _ink(_gray_array(img))
    rows = ink.sum(axis=1) > max(2, ink.shape[1] // 400)
    if not rows.any():
        return None
    padded = np.concatenate([[False], rows, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    heights = edges[1::2] - edges[0::2]
    heights = heights[heights >= 3]  # specks and underlines are not lines
    return float(np.median(heights)) if heights.size else None


def estimate_skew(img: Image.Image, *, max_angle: float = 5.0) -> float:
    """Skew in degrees (counter-clockwise positive, as PIL rotates) by projection-profile search.

    The page is reduced to ~1000 px wide, binarized, rotated through candidate angles (coarse
    then fine) and the angle whose row profile is sharpest (largest variance) wins.
    """
    import numpy as np
    from PIL import Image

    gray = img.convert("L")
    if gray.width > 1000:
        f = 1000 / gray.width
        gray = gray.resize((1000, max(1, round(gray.height * f))), Image.Resampling.BILINEAR)
    ink = _ink(np.asarray(gray, dtype=np.uint8))
    if ink.sum() < 50:
        return 0.0
    mask = Image.fromarray(ink.astype(np.uint8) * 255, "L")

    def score(a: float) -> float:
        rot = np.asarray(mask.rotate(-a, resample=Image.Resampling.NEAREST, expand=True))
        return float(np.var(rot.sum(axis=1, dtype=np.float64)))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = max(coarse, key=score)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    return round(float(max(fine, key=score)), 2)


def _rotated_size(w: int, h: int, angle: float) -> tuple[float, float]:
    """Canvas size after ``rotate(angle, expand=True)``."""
    c, s = abs(math.cos(math.radians(angle))), abs(math.sin(math.radians(angle)))
    return w * c + h * s, w * s + h * c


def darkest_per_block(img: Image.Image, size: int) -> np.ndarray:
    """Grayscale overview of at most ``size`` px a side, each pixel the darkest of its block:
    unlike an averaged thumbnail, a few thin strokes on a huge page still show."""
    import numpy as np

    gray = np.asarray(img.convert("L"), dtype=np.uint8)
    k = max(1, math.ceil(max(gray.shape) / size))
    if k == 1:
        return gray
    rows, cols = math.ceil(gray.shape[0] / k), math.ceil(gray.shape[1] / k)
    padded = np.full((rows * k, cols * k), 255, dtype=np.uint8)
    padded[: gray.shape[0], : gray.shape[1]] = gray
    return padded.reshape(rows, k, cols, k).min(axis=(1, 3))


def text_bands(
    img: Image.Image, *, gap: int | None = None, margin: int = 8
) -> list[tuple[int, int, int, int]]:
    """Boxes (left, top, right, bottom) of the horizontal bands of a page that hold ink, top to
    bottom, each cut to its own ink plus ``margin``; bands closer than ``gap`` px (default 1.5%
    of the page height) are one band; [] when there is no ink.

    Ink is anything 32 grey levels darker than the paper (the median), or lighter on a dark
    page, judged on ``darkest_per_block`` at ≤2000 px: faint text is kept, and a huge page
    costs one pass.
    """
    import numpy as np

    over = darkest_per_block(img, 2000)
    k = max(1, math.ceil(max(img.size) / 2000))
    paper = int(np.median(over))
    ink = over <= paper - 32 if paper >= 128 else over >= paper + 32
    rows = np.flatnonzero(ink.any(axis=1))
    if not rows.size:
        return []
    gap_rows = max(1, math.ceil((gap if gap is not None else 0.015 * img.height) / k))
    breaks = np.flatnonzero(np.diff(rows) > gap_rows)
    starts = np.concatenate([[rows[0]], rows[breaks + 1]])
    ends = np.concatenate([rows[breaks], [rows[-1]]])
    boxes = []
    for r0, r1 in zip(starts, ends, strict=True):
        cols = np.flatnonzero(ink[r0 : r1 + 1].any(axis=0))
        boxes.append(
            (
                max(0, int(cols[0]) * k - margin),
                max(0, int(r0) * k - margin),
                min(img.width, (int(cols[-1]) + 1) * k + margin),
                min(img.height, (int(r1) + 1) * k + margin),
            )
        )
    return boxes


def compact_to_text(img: Image.Image, *, max_bands: int = 200) -> Image.Image:
    """The page's text bands (``text_bands``) stacked top to bottom, left-aligned, with the
    blank space between and beside them left out: a huge page with a few lines of small text
    becomes a small image, which can then be upscaled within the pixel budget."""
    from PIL import Image

    boxes = text_bands(img)
    if not boxes:
        return img
    if len(boxes) > max_bands:  # specks everywhere: one box around all of them
        boxes = [(min(b[0] for b in boxes), boxes[0][1], max(b[2] for b in boxes), boxes[-1][3])]
    space = max(16, min(64, img.height // 100))
    width = max(b[2] - b[0] for b in boxes)
    height = sum(b[3] - b[1] for b in boxes) + space * (len(boxes) - 1)
    if width * height >= 0.9 * img.width * img.height:  # text everywhere: nothing to gain
        return img
    out = Image.new(img.mode, (width, height), 255 if img.mode == "L" else "white")
    y = 0
    for box in boxes:
        out.paste(img.crop(box), (0, y))
        y += box[3] - box[1] + space
    return out


def preprocess(img: Image.Image, settings: Preprocess | None = None) -> Image.Image:
    """Apply the enabled steps: grayscale, deskew, upscale small text, denoise, binarize.

    The result has at most ``settings.max_pixels`` pixels; raises ``ImageTooLargeError`` when
    the text would have to shrink below ``settings.min_line_height`` to fit.
    """
    from PIL import Image, ImageFilter

    s = settings or Preprocess()
    size_in = img.size
    out = img
    if out.mode in ("RGBA", "LA", "P", "PA"):
        # Transparent areas become white, not black, before anything else (pasting through
        # the alpha channel onto white: one RGB copy instead of three RGBA ones).
        rgba = out if out.mode == "RGBA" else out.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        out = white
    if s.grayscale or s.binarize or s.deskew:
        out = out.convert("L")
    # Over the budget already: keep only the bands with text, then shrink what is left.
    cropped = out.width * out.height > s.max_pixels
    if cropped:
        out = compact_to_text(out)
    shrunk = out.width * out.height > s.max_pixels
    f0 = 1.0
    if shrunk:
        f0 = math.sqrt(s.max_pixels / (out.width * out.height))
        out = out.resize(
            (max(1, math.floor(out.width * f0)), max(1, math.floor(out.height * f0))),
            Image.Resampling.LANCZOS,
            reducing_gap=3.0,
        )
    angle = estimate_skew(out, max_angle=s.max_skew) if s.deskew else 0.0
    rotate = abs(angle) >= s.min_skew
    h = None
    want = 1.0
    if s.upscale or shrunk:
        # Line height is measured on level lines; the rotation itself is done after upscaling,
        # where its resampling blurs the strokes less.
        level = out.rotate(-angle, expand=True, fillcolor=255) if rotate else out
        h = estimate_line_height(level)
        del level
        if s.upscale and h is not None and h < s.upscale_below:
            want = min(s.max_upscale, s.target_line_height / h)

    def fit(im: Image.Image) -> float:
        w, hh = _rotated_size(im.width, im.height, angle if rotate else 0.0)
        return math.sqrt(s.max_pixels / (w * hh))

    if want > fit(out) and not cropped:
        out, cropped = compact_to_text(out), True
    f = min(want, fit(out))
    if 1.0 < f < min(want, 1.02):  # a hair of upscaling is not worth a resample
        f = 1.0
    if h is not None and (shrunk or f < want) and h * f < s.min_line_height:
        raise ImageTooLargeError(
            f"the {size_in[0]}×{size_in[1]} px image has text lines about "
            f"{h / f0 if shrunk else h:.0f} px tall spread over too large an area to read "
            f"within the limit of {s.max_pixels / 1e6:.3g} million pixels (they would be "
            f"{h * f:.1f} px, under {s.min_line_height:g}); crop the image to the posting's "
            "text, or save it at a lower resolution with larger text"
        )
    if f != 1.0:
        rnd = round if f == want else math.floor  # floor keeps a budget-bound page under it
        out = out.resize(
            (max(1, rnd(out.width * f)), max(1, rnd(out.height * f))), Image.Resampling.LANCZOS
        )
    if rotate:
        out = out.rotate(-angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if s.denoise:
        out = out.filter(ImageFilter.MedianFilter(3))
    if s.binarize:
        import numpy as np

        g = _gray_array(out)
        out = Image.fromarray(((g > otsu_threshold(g)) * 255).astype(np.uint8), "L")
    return out


# --------------------------------------------------------------------------------------------
# Tesseract
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract through pytesseract (``kor+eng`` keeps Latin terms such as Python, BMS, EIS).

    ``psm`` 6 (one uniform block) reads postings in order; ``psm`` 3 (automatic layout) split
    our renders into columns and scrambled lines. Word confidences come from the TSV output
    of the same tesseract run that gives the text, so confidence costs nothing extra.
    """

    lang: str = "kor+eng"
    psm: int = 6
    oem: int = 1
    preprocess: Preprocess = field(default_factory=Preprocess)
    extra_config: str = "-c preserve_interword_spaces=1"
    timeout: float = 120.0
    # OpenMP threads per run (None: tesseract's default, all cores). One thread measured 3-4x
    # faster per page here (OpenMP spin-waits on busy cores) and lets pages run side by side.
    threads: int | None = 1

    @property
    def fingerprint(self) -> str:
        # threads and timeout change how fast, not what: they stay out of the cache key.
        p = ",".join(f"{k}={v}" for k, v in asdict(self.preprocess).items())
        return (
            f"tesseract:{_tesseract_version()}:{self.lang}:psm{self.psm}:oem{self.oem}:"
            f"{self.extra_config}:{p}"
        )

    def _run(self, src: str, base: str, config: str) -> None:
        """pytesseract's run_tesseract, with OMP_THREAD_LIMIT when ``threads`` is set."""
        import pytesseract

        if self.threads is None:
            pytesseract.pytesseract.run_tesseract(
                src, base, extension="txt", lang=self.lang, config=config, timeout=self.timeout
            )
            return
        env = {**os.environ, "OMP_THREAD_LIMIT": str(self.threads)}
        cmd = [
            pytesseract.pytesseract.tesseract_cmd,
            src,
            base,
            "-l",
            self.lang,
            *shlex.split(config),
            "txt",
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, timeout=self.timeout, env=env, check=False
            )
        except FileNotFoundError as e:
            raise pytesseract.TesseractNotFoundError() from e
        except subprocess.TimeoutExpired as e:
            raise RuntimeError("Tesseract process timeout") from e
        if proc.returncode:
            raise pytesseract.TesseractError(
                proc.returncode, proc.stderr.decode("utf-8", "replace").strip()
            )

    def image_to_text(self, image: Image.Image) -> OcrResult:
        img = preprocess(image, self.preprocess)
        # One tesseract run writes both the text (its own word spacing, which keeps Hangul
        # words whole) and the TSV word table (confidences); image_to_data alone splits
        # Korean words into syllables, and calling image_to_string as well would OCR twice.
        config = (
            f"--oem {self.oem} --psm {self.psm} {self.extra_config} -c tessedit_create_tsv=1"
        ).strip()
        with tempfile.TemporaryDirectory(prefix="talentlib-ocr-") as tmp:
            src, base = os.path.join(tmp, "page.png"), os.path.join(tmp, "out")
            img.save(src, "PNG")
            self._run(src, base, config)
            with open(base + ".txt", encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            with open(base + ".tsv", encoding="utf-8", errors="replace") as fh:
                tsv = fh.read()
        confidence, n_words = _tsv_confidence(tsv)
        return OcrResult(text=_clean_ocr_text(text), confidence=confidence, n_words=n_words)


def _tsv_confidence(tsv: str) -> tuple[float | None, int]:
    """Mean word confidence in [0, 1] from tesseract's TSV (level-5 rows with text)."""
    confs = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            c = float(cols[10])
        except ValueError:
            continue
        if c >= 0:
            confs.append(c)
    if not confs:
        return None, 0
    return round(sum(confs) / len(confs) / 100, 4), len(confs)


def _clean_ocr_text(text: str) -> str:
    """Drop the form feed and the blank lines tesseract puts between text lines."""
    lines = [ln.rstrip() for ln in text.replace("\f", "\n").splitlines()]
    return "\n".join(ln for ln in lines if ln.strip())


_VERSION: str | None = None


def _tesseract_version() -> str:
    global _VERSION
    if _VERSION is None:
        try:
            import pytesseract

            _VERSION = str(pytesseract.get_tesseract_version())
        except Exception:  # not installed: the fingerprint still works, OCR will say why
            _VERSION = "unknown"
    return _VERSION
