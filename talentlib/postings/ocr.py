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

Short Latin terms inside Korean lines are where ``kor+eng`` fails most (DOE→606, ROS2→8052,
MSDS→4505): the Korean model wins the word and reads letters as digits, jamo or symbols.
``LatinRecheck`` gives such words a second look: the words of the first pass that look wrong
(digit strings, jamo or stray symbols, low confidence) are cut out of the page, enlarged and read
again with ``eng`` alone, all in one more tesseract run, and the English reading replaces the
first one where it is a plausible Latin term read with more confidence.
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
    "LatinRecheck",
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
# A second look at Latin terms
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatinRecheck:
    r"""Which words of the ``kor+eng`` pass are read again with ``eng`` alone, and when the
    English reading replaces the first one (``enabled=False``: no second look).

    A word is suspect when it holds jamo or symbols that Latin letters turn into under the
    Korean model (『, ©, \, <), is a digit string or mixes digits with letters or brackets
    (606, 8052, (1810), 0B), is a short word with lower-case letters (sw, Ic: case errors), or
    is read with low confidence. Neighbouring suspect words with no space between them are one
    crop. The English reading wins when it is a Latin term (ASCII, with letters; not a bullet
    read as "a" or "O") read with enough confidence: ``hangul_min_confidence`` where the first
    reading is mostly Hangul, ``digits_min_confidence`` where it had no letter and eng reads a
    word, ``min_confidence`` where eng only restores capitals, else ``min_confidence`` and the
    first reading's confidence plus ``confidence_margin``. Settings chosen, and the effect
    measured, on the 74 development postings rendered as scans (``evaluation.ocr``).
    """

    enabled: bool = True
    lang: str = "eng"
    psm: int = 7  # one text line; psm 8 (one word) lost more than it won
    ascii_below: float = 80.0  # ASCII words under this confidence are suspect…
    hangul_below: float = 40.0  # …and Hangul words under this one
    min_confidence: float = 50.0
    digits_min_confidence: float = 30.0  # …for a word of 3+ letters read as digits first
    confidence_margin: float = -5.0  # over the first reading's confidence (-5: measured)
    hangul_min_confidence: float = 90.0
    pad: float = 0.15  # crop margin in word heights, never into the neighbouring words
    scale: float = 2.0  # crops are enlarged: exact terms 85 % at 1×, 88 % at 2×
    max_words: int = 300  # crops per page at most: bounds the second run
    # Both models read a capital I after capitals as l: AI → Al, SCI → SCl (no standalone Al
    # in the development postings, AI in most). Off where Al or Cl are meant.
    capital_i: bool = True


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_JAMO = re.compile(r"[\u1100-\u11ff\u3131-\u318e]")
# What Latin letters become under the Korean model, besides digits and jamo.
_ODD = re.compile(r"[『』「」【】《》«»“”‘’\\^£©®€¥|<>]")
_ASCII = re.compile(r"[\x21-\x7e]+")
_NUMBER = re.compile(r"[\d,.:~%\-]+")  # 2024, 4,500, 08:30~17:30: numbers, left alone
_LATIN_TERM = re.compile(r"[A-Za-z0-9()\[\]/+\-.,:;&#_%' ]+")
_CAPITAL_L = re.compile(r"(?<![A-Za-z0-9])([A-Z]+)l(?![A-Za-z0-9])")
_LEADING_JUNK = re.compile(r"^[|‘'`\\_~]+")
_TRAILING_JUNK = re.compile(r"[=@|}{‘’“”'`\\!?~_]+$")  # often a Hangul particle read by eng


@dataclass
class _Word:
    """One word of tesseract's TSV and, once located, its span in the page text."""

    line: tuple[str, ...]
    box: tuple[int, int, int, int]  # left, top, right, bottom
    conf: float
    text: str
    start: int = -1
    end: int = -1


def _tsv_words(tsv: str) -> list[_Word]:
    """Level-5 rows with text (and a confidence) of tesseract's TSV output."""
    words = []
    for row in tsv.splitlines()[1:]:
        c = row.split("\t")
        if len(c) < 12 or c[0] != "5" or not c[11].strip():
            continue
        try:
            left, top, w, h = (int(v) for v in c[6:10])
            conf = float(c[10])
        except ValueError:
            continue
        words.append(_Word(tuple(c[1:5]), (left, top, left + w, top + h), conf, c[11].strip()))
    return words


def _mean_confidence(confs: list[float]) -> tuple[float | None, int]:
    """Mean word confidence in [0, 1] (tesseract gives -1 for words without one)."""
    confs = [c for c in confs if c >= 0]
    if not confs:
        return None, 0
    return round(sum(confs) / len(confs) / 100, 4), len(confs)


def _suspect(word: _Word, s: LatinRecheck) -> bool:
    """Whether the first pass may have read a Latin term as something else (class docstring)."""
    t = word.text
    if _JAMO.search(t) or _ODD.search(t):
        return True
    if _HANGUL.search(t):
        return word.conf < s.hangul_below
    if not _ASCII.fullmatch(t):
        return word.conf < s.ascii_below
    if t.isdigit() or (any(ch.isdigit() for ch in t) and not _NUMBER.fullmatch(t)):
        return True
    letters = [ch for ch in t if ch.isascii() and ch.isalpha()]
    if letters and len(letters) <= 4 and any(ch.islower() for ch in letters):
        return True
    return word.conf < s.ascii_below


def _suspect_runs(text: str, words: list[_Word], s: LatinRecheck) -> list[list[_Word]]:
    """Suspect words located in ``text``, neighbours with nothing between them joined."""
    runs: list[list[_Word]] = []
    for w in words:
        if w.start < 0 or not _suspect(w, s):
            continue
        last = runs[-1][-1] if runs else None
        if last is not None and last.line == w.line and last.end == w.start:
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs[: s.max_words]


def _locate(text: str, words: list[_Word]) -> None:
    """Set each word's span in ``text``: tesseract writes the words of its TSV in the same
    order into its text output; a word not found (it never happened) keeps start -1."""
    pos = 0
    for w in words:
        i = text.find(w.text, pos)
        if i >= 0:
            w.start, w.end = i, i + len(w.text)
            pos = w.end


def _crop_box(
    run: list[_Word],
    words: list[_Word],
    index: dict[int, int],
    s: LatinRecheck,
    size: tuple[int, int],
) -> tuple[int, int, int, int]:
    """The run's box plus ``s.pad`` word heights, cut short of the words beside it."""
    left = min(w.box[0] for w in run)
    top = min(w.box[1] for w in run)
    right = max(w.box[2] for w in run)
    bottom = max(w.box[3] for w in run)
    pad = max(3, round(s.pad * (bottom - top)))
    lo, hi = left - pad, right + pad
    i, j = index[id(run[0])], index[id(run[-1])]
    if i > 0 and words[i - 1].line == run[0].line:
        lo = max(lo, min(left, words[i - 1].box[2] + 1))
    if j + 1 < len(words) and words[j + 1].line == run[-1].line:
        hi = min(hi, max(right, words[j + 1].box[0] - 1))
    return max(0, lo), max(0, top - pad), min(size[0], hi), min(size[1], bottom + pad)


def _english_wins(
    first: str, first_conf: float, eng: str, eng_conf: float, s: LatinRecheck
) -> str | None:
    """The English reading, cleaned, when it should replace the first one; else None."""
    from rapidfuzz.distance import Levenshtein

    eng = _TRAILING_JUNK.sub("", _LEADING_JUNK.sub("", eng.replace("\\(", "("))).strip()
    # Brackets read in the first pass are kept (the crop may cut one off).
    if first.startswith("(") and eng and not eng.startswith("("):
        eng = "(" + eng
    if first.endswith(")") and eng and not eng.endswith(")") and "(" in eng:
        eng += ")"
    if not eng or eng == first or not _LATIN_TERM.fullmatch(eng):
        return None
    letters = [ch for ch in eng if ch.isalpha()]
    if not letters or (len(letters) <= 3 and all(ch.islower() for ch in letters)):
        return None  # no letter, or a bullet or a Hangul syllable read as "a", "ae", "gas"
    if sum(ch.isalnum() for ch in eng) < 2 and not (len(first) == 1 and first.isascii()):
        return None  # one letter replaces one character at most (8 → B), not "©" → "O"
    more_capitals = sum(ch.isupper() for ch in eng) > sum(ch.isupper() for ch in first)
    if eng.lower() == first.lower() and not more_capitals:
        return None  # a change of case only counts towards upper case (sw → SW, not ISO → Iso)
    mostly_hangul = 3 * len(_HANGUL.findall(first)) > len(first)
    if mostly_hangul:
        need = s.hangul_min_confidence
    elif not any(ch.isalpha() for ch in first) and len(letters) >= 3:
        need = s.digits_min_confidence  # 00600) → OpenCV: digits are wrong where eng sees a word
    elif more_capitals and Levenshtein.distance(eng.lower(), first.lower()) <= 1:
        # Case is where kor+eng errs most among right letters (Sw, Soc, Opency): eng alone
        # need not be more confident than the first reading, only confident.
        need = s.min_confidence
    else:
        need = max(s.min_confidence, first_conf + s.confidence_margin)
    return eng if eng_conf >= need else None


# --------------------------------------------------------------------------------------------
# Tesseract
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract through pytesseract: ``kor+eng`` reads the page, then ``latin`` gives the
    words that look misread a second look with ``eng`` alone (``LatinRecheck``).

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
    latin: LatinRecheck = field(default_factory=LatinRecheck)

    @property
    def fingerprint(self) -> str:
        # threads and timeout change how fast, not what: they stay out of the cache key.
        p = ",".join(f"{k}={v}" for k, v in asdict(self.preprocess).items())
        fp = (
            f"tesseract:{_tesseract_version()}:{self.lang}:psm{self.psm}:oem{self.oem}:"
            f"{self.extra_config}:{p}"
        )
        if self.latin.enabled:
            fp += (
                ":latin"
                + _LATIN_VERSION
                + ":"
                + ",".join(f"{k}={v}" for k, v in asdict(self.latin).items() if k != "enabled")
            )
        return fp

    def _run(self, src: str, base: str, config: str, lang: str | None = None) -> None:
        """pytesseract's run_tesseract, with OMP_THREAD_LIMIT when ``threads`` is set; ``src``
        may be a list of image files, one a line (one process reads them all)."""
        import pytesseract

        lang = lang or self.lang
        if self.threads is None:
            pytesseract.pytesseract.run_tesseract(
                src, base, extension="txt", lang=lang, config=config, timeout=self.timeout
            )
            return
        env = {**os.environ, "OMP_THREAD_LIMIT": str(self.threads)}
        cmd = [
            pytesseract.pytesseract.tesseract_cmd,
            src,
            base,
            "-l",
            lang,
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
            words = _tsv_words(tsv)
            if self.latin.enabled:
                text = self._recheck_latin(img, text, words, tmp)
        confidence, n_words = _mean_confidence([w.conf for w in words])
        return OcrResult(text=_clean_ocr_text(text), confidence=confidence, n_words=n_words)

    def _recheck_latin(self, img: Image.Image, text: str, words: list[_Word], tmp: str) -> str:
        """``text`` with suspect words replaced by their ``eng`` reading where it wins (and
        capital I restored, ``capital_i``); the confidences of replaced words become the
        English ones (``words`` is updated)."""
        from PIL import Image

        s = self.latin
        _locate(text, words)
        runs = _suspect_runs(text, words, s)
        if not runs:
            return _CAPITAL_L.sub(r"\1I", text) if s.capital_i else text
        index = {id(w): i for i, w in enumerate(words)}
        paths = []
        for k, run in enumerate(runs):
            crop = img.crop(_crop_box(run, words, index, s, img.size))
            if s.scale != 1.0:
                size = (max(1, round(crop.width * s.scale)), max(1, round(crop.height * s.scale)))
                crop = crop.resize(size, Image.Resampling.LANCZOS)
            # A white frame: tesseract reads a word touching the image edge badly.
            framed = Image.new("L", (crop.width + 20, crop.height + 20), 255)
            framed.paste(crop.convert("L"), (10, 10))
            paths.append(os.path.join(tmp, f"word{k:04d}.png"))
            framed.save(paths[-1], "PNG")
        listing, base = os.path.join(tmp, "crops.lst"), os.path.join(tmp, "crops")
        with open(listing, "w", encoding="utf-8") as fh:
            fh.write("\n".join(paths) + "\n")
        config = f"--oem {self.oem} --psm {s.psm} -c tessedit_create_tsv=1"
        self._run(listing, base, config, lang=s.lang)
        with open(base + ".tsv", encoding="utf-8", errors="replace") as fh:
            read: list[list[_Word]] = [[] for _ in runs]
            for w in _tsv_words(fh.read()):
                page = int(w.line[0]) - 1  # one page per crop, in order
                if 0 <= page < len(read):
                    read[page].append(w)
        out, pos = [], 0
        for run, eng in zip(runs, read, strict=True):
            if not eng:
                continue
            first = "".join(w.text for w in run)
            eng_conf = min(w.conf for w in eng)
            first_conf = min(w.conf for w in run)
            new = _english_wins(first, first_conf, " ".join(w.text for w in eng), eng_conf, s)
            if new is None:
                continue
            out += [text[pos : run[0].start], new]
            pos = run[-1].end
            for w in run:
                w.conf = eng_conf
        out.append(text[pos:])
        text = "".join(out)
        if s.capital_i:
            text = _CAPITAL_L.sub(r"\1I", text)
        return text


def _clean_ocr_text(text: str) -> str:
    """Drop the form feed and the blank lines tesseract puts between text lines."""
    lines = [ln.rstrip() for ln in text.replace("\f", "\n").splitlines()]
    return "\n".join(ln for ln in lines if ln.strip())


_LATIN_VERSION = "1"  # bump when the rules of the second look change what text comes out

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
