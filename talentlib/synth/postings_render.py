"""Rendering a composed posting as a recruiter publishes it: plain text, a job-site HTML page,
a PDF with a text layer, a scanned-looking image and an image-only PDF (all randomness from the
``rng`` passed in, so a seed gives the same bytes). ``html_to_text`` reads a page back as plain
lines, as the tests and the labelled fixtures compare it with the labels; it is not
``postings.ingest.html_to_text``, which marks list items (``- ``) for the section parser."""

from __future__ import annotations

import copy
import datetime as dt
import html
import logging
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .postings_compose import Posting, default_vocabulary, pick

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
FONT_REGULAR = FONT_DIR / "NanumGothic.ttf"
FONT_BOLD = FONT_DIR / "NanumGothicBold.ttf"


def _bullet(style: str, i: int) -> str:
    enum = default_vocabulary()["layout"]["korean_enum"]
    return style.format(n=i + 1, k=enum[i % len(enum)])


def render_text(p: Posting, rng: np.random.Generator) -> str:
    """Plain text as a recruiter pastes it: headings, bullets, blank lines."""
    bullet = pick(rng, default_vocabulary()["layout"]["bullets"])
    out = [p.title, ""] if rng.random() < 0.7 else []
    for s in p.sections:
        out.append(s.heading)
        lst = s.key in ("duties", "requirements", "preferred", "benefits") or len(s.lines) > 1
        for i, line in enumerate(s.lines):
            out.append(f"{_bullet(bullet, i)} {line}" if lst and s.key != "company" else line)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_html(p: Posting, rng: np.random.Generator) -> str:
    """A job-site page: scripts, navigation, nested divs, lists, a conditions table."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ko">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(p.title)} | {e(p.company['name'])}</title>",
        "<style>.jd h3{font-size:17px;margin:24px 0 8px}.jd table{border-collapse:collapse}"
        ".jd td,.jd th{border:1px solid #ddd;padding:6px}</style>",
        '<script>window.dataLayer=window.dataLayer||[];dataLayer.push({"page":"job_detail"});</script>',
        "</head>",
        "<body>",
        '<header class="gnb"><nav><a href="/">채용정보</a> | <a href="/company">기업정보</a> | '
        '<a href="/help">고객센터</a></nav></header>',
        '<div id="wrap"><div class="container"><div class="jd">',
        f'<div class="jd-header"><h1 class="tit">{e(p.title)}</h1>'
        f'<div class="corp"><span>{e(p.company["name"])}</span></div></div>',
        '<div class="jd-body">',
    ]
    for s in p.sections:
        parts.append(f'<div class="section sec-{s.key}">')
        parts.append(f"<h3>{e(s.heading)}</h3>")
        if s.table is not None and rng.random() < 0.8:
            parts.append('<table class="cond"><tbody>')
            parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in s.table]
            parts.append("</tbody></table>")
        elif len(s.lines) > 1 and s.key != "company":
            if rng.random() < 0.75:
                parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in s.lines) + "</ul>")
            else:
                parts.append("<p>" + "<br>\n".join(f"- {e(x)}" for x in s.lines) + "</p>")
        else:
            parts.append("".join(f"<p>{e(x)}</p>" for x in s.lines))
        parts.append("</div>")
    parts += [
        "</div></div></div></div>",
        '<footer class="footer"><p>본 채용정보는 기업이 제공한 내용이며 무단 전재를 금합니다.</p></footer>',
        '<script src="/static/js/app.min.js"></script>',
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


class _HTMLText:
    """Visible text of an HTML page (script and style dropped), one block per line."""

    BLOCK = {
        "p",
        "div",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "br",
        "table",
        "ul",
        "section",
        "header",
        "footer",
        "title",
    }

    @staticmethod
    def extract(doc: str) -> str:
        from html.parser import HTMLParser

        chunks: list[str] = []
        skip = [0]

        class P(HTMLParser):
            def handle_starttag(self, tag: str, attrs: Any) -> None:
                if tag in ("script", "style"):
                    skip[0] += 1
                if tag in _HTMLText.BLOCK or tag in ("td", "th"):
                    chunks.append("\n" if tag not in ("td", "th") else " ")

            def handle_endtag(self, tag: str) -> None:
                if tag in ("script", "style"):
                    skip[0] -= 1

            def handle_data(self, data: str) -> None:
                if not skip[0]:
                    chunks.append(data)

        P(convert_charrefs=True).feed(doc)
        lines = [" ".join(ln.split()) for ln in "".join(chunks).splitlines()]
        return "\n".join(ln for ln in lines if ln)


def html_to_text(doc: str) -> str:
    """The visible text of a posting page, one block per line (for tests and quick looks)."""
    return _HTMLText.extract(doc)


@lru_cache(maxsize=1)
def _font_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(FONT_REGULAR)).getBestCmap())


def _glyph_safe(text: str) -> str:
    """Replace characters the Korean font cannot draw (emoji bullets) with a plain bullet."""
    cmap = _font_cmap()
    text = unicodedata.normalize("NFC", text)
    return "".join(ch if ord(ch) in cmap or ch in "\n\t " else "•" for ch in text)


@lru_cache(maxsize=8)
def _pil_font(bold: bool, size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def _wrap(text: str, font: Any, width: int) -> list[str]:
    words = text.split(" ")
    lines, cur = [], ""
    for w in words:
        cand = w if not cur else cur + " " + w
        if font.getlength(cand) <= width:
            cur = cand
            continue
        if cur:
            lines.append(cur)
        cur = w
        while font.getlength(cur) > width:  # one long word: break by characters
            cut = max(1, int(len(cur) * width / font.getlength(cur)))
            lines.append(cur[:cut])
            cur = cur[cut:]
    lines.append(cur)
    return lines


def render_image(text: str, headings: set[str], rng: np.random.Generator) -> Any:
    """A scanned-looking page: grey paper, dark text, slight rotation, blur, JPEG noise."""
    from PIL import Image, ImageDraw, ImageFilter

    width, margin = 1240, 90
    size = int(rng.integers(24, 29))
    lh = int(size * 1.55)
    regular, bold = _pil_font(False, size), _pil_font(True, size + 2)
    rows: list[tuple[str, bool]] = []
    for line in _glyph_safe(text).split("\n"):
        is_head = line.strip() in headings
        for part in _wrap(line, bold if is_head else regular, width - 2 * margin) if line else [""]:
            rows.append((part, is_head))
    height = max(1754, 2 * margin + lh * len(rows))
    paper = int(rng.integers(215, 240))
    img = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(img)
    ink = int(rng.integers(15, 60))
    y = margin
    for part, is_head in rows:
        draw.text((margin, y), part, fill=ink, font=bold if is_head else regular)
        y += lh
    noise = rng.normal(0.0, 4.0, size=(height, width))
    arr = np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(arr, mode="L")
    img = img.rotate(
        float(rng.uniform(-1.5, 1.5)),
        resample=Image.Resampling.BILINEAR,
        fillcolor=paper,
        expand=False,
    )
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.4, 1.0))))
    import io

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(rng.integers(35, 70)))
    buf.seek(0)
    return Image.open(buf).convert("L")


_PDF_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@lru_cache(maxsize=1)
def _pdf_base() -> Any:
    """An FPDF with the Korean fonts loaded (parsing the TTF takes ~0.2 s; copies are cheap)."""
    from fpdf import FPDF

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("fpdf").setLevel(logging.ERROR)
    pdf = FPDF(format="A4", unit="mm")
    pdf.add_font("Nanum", "", str(FONT_REGULAR))  # one font: each embedded font costs ~0.1 s
    pdf.set_creation_date(_PDF_DATE)
    pdf.set_producer("talentlib synthetic postings")
    pdf.set_auto_page_break(True, margin=18)
    return pdf


@lru_cache(maxsize=4)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


def _fresh_pdf() -> Any:
    """A copy of the base FPDF; fpdf2 shares the fontTools font between copies and subsets it
    in place on output, so each copy gets its own (lazily parsed from memory, cheap)."""
    import io

    from fontTools import ttLib

    pdf = copy.deepcopy(_pdf_base())
    for font in pdf.fonts.values():
        if getattr(font, "ttffile", None):
            font.ttfont = ttLib.TTFont(
                io.BytesIO(_font_bytes(str(font.ttffile))), recalcTimestamp=False, lazy=True
            )
    return pdf


def render_pdf_text(text: str, headings: set[str], rng: np.random.Generator) -> bytes:
    """A PDF with a text layer, written with NanumGothic."""
    pdf = _fresh_pdf()
    pdf.add_page()
    size = float(rng.choice([9.5, 10.0, 10.5, 11.0]))
    for line in _glyph_safe(text).split("\n"):
        head = line.strip() in headings
        pdf.set_font("Nanum", "", size + (2.0 if head else 0))
        if not line.strip():
            pdf.ln(size * 0.35)
            continue
        pdf.multi_cell(0, size * 0.55, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render_pdf_image(img: Any, rng: np.random.Generator) -> bytes:
    """An image-only PDF (a scan): the page image split over A4 pages as JPEG, no text layer."""
    import io

    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(_PDF_DATE)
    pdf.set_producer("talentlib synthetic postings")
    w, h = img.size
    page_h = int(w * 297 / 210)
    quality = int(rng.integers(50, 80))
    for top in range(0, h, page_h):
        pdf.add_page()
        buf = io.BytesIO()
        img.crop((0, top, w, min(h, top + page_h))).save(buf, format="JPEG", quality=quality)
        buf.seek(0)
        pdf.image(buf, x=0, y=0, w=210)  # JPEG goes in as is (DCTDecode), no re-encoding
    return bytes(pdf.output())
