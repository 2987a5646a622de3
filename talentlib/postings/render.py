"""Render text as a scanned-looking page image: the test bed for OCR and its preprocessing.

Tests and the preprocessing ablation (``python -m talentlib.postings.ocr``) need images whose
true text is known. ``render_page`` draws lines with a Korean font and ``degrade`` adds what a
scan or a screenshot does to them: a slight rotation, blur, speckle noise and JPEG artefacts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansKR-Regular.ttf",
)


def korean_font_path() -> Path:
    """A TrueType font with Hangul (NanumGothic from fonts-nanum, else Noto CJK)."""
    for p in FONT_CANDIDATES:
        if Path(p).exists():
            return Path(p)
    raise FileNotFoundError(
        "no Korean font found; install fonts-nanum (apt-get install fonts-nanum)"
    )


@lru_cache(maxsize=16)
def _font(size: int, path: str | None):  # noqa: ANN202 - PIL type stays lazy
    from PIL import ImageFont

    return ImageFont.truetype(path or str(korean_font_path()), size)


def render_page(
    lines: Sequence[str],
    *,
    font_size: int = 28,
    width: int = 1240,
    margin: int = 60,
    line_spacing: float = 1.6,
    font_path: str | None = None,
) -> Image.Image:
    """Draw ``lines`` black on white (grayscale), one per row; the height fits the text."""
    from PIL import Image, ImageDraw

    font = _font(font_size, font_path)
    step = int(font_size * line_spacing)
    height = max(2 * margin + step * len(lines), 2 * margin + step)
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, fill=0, font=font)
    return img


def degrade(
    img: Image.Image,
    *,
    angle: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    jpeg_quality: int | None = None,
    scale: float = 1.0,
    contrast: float = 1.0,
    seed: int = 0,
) -> Image.Image:
    """Make a clean render look scanned: rotate (degrees), blur, noise (σ in grey levels), JPEG.

    ``scale`` resamples (below 1 shrinks the text as a low-resolution scan does); ``contrast``
    below 1 greys the ink toward the paper as a faded print does.
    """
    import numpy as np
    from PIL import Image, ImageFilter

    out = img.convert("L")
    if scale != 1.0:
        out = out.resize(
            (max(1, round(out.width * scale)), max(1, round(out.height * scale))),
            Image.Resampling.BILINEAR,
        )
    if contrast != 1.0:
        out = out.point(lambda v: round(255 - (255 - v) * contrast))
    if angle:
        out = out.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        arr = np.asarray(out, dtype=np.float32) + rng.normal(0, noise, (out.height, out.width))
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    if jpeg_quality is not None:
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=jpeg_quality)
        buf.seek(0)
        out = Image.open(buf)
        out.load()
    return out
