"""talentlib.printing: a brief printed to PDF by real headless Chromium, Korean text intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from talentlib import printing


@pytest.fixture(autouse=True)
def _chromium_installed() -> None:
    if printing.chromium() is None:  # the set-up installs it: a missing one is a failure
        pytest.fail("Chromium is not installed; run `make setup` (it installs Debian's chromium)")


def test_html_prints_to_a_pdf_with_its_korean_text(tmp_path: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    page = tmp_path / "brief.html"
    page.write_text(
        '<!doctype html><html lang="ko"><meta charset="utf-8"><body>'
        "<h1>이차전지 인재 브리프</h1><p>종료 12개월 후 취업 비율 81.2%</p>"
        '<table><tr><td>비공개</td><td>합계</td></tr></table></body></html>',
        encoding="utf-8",
    )
    pdf = printing.html_to_pdf(page, tmp_path / "out" / "brief.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    doc = pdfium.PdfDocument(str(pdf))
    try:
        text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()
    assert "이차전지 인재 브리프" in text and "비공개" in text
    assert not list((tmp_path / "out").glob(".*partial"))


def test_a_missing_brief_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(printing.PrintError, match="no brief to print"):
        printing.html_to_pdf(tmp_path / "nope.html", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
