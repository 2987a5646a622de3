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
        "<table><tr><td>비공개</td><td>합계</td></tr></table></body></html>",
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


def test_one_browser_prints_many_pages_as_the_command_line_does(tmp_path: Path) -> None:
    """A batch prints all its briefs with one Chromium driven over a pipe: each PDF has the
    page's Korean text and the same pages as `--print-to-pdf` makes; a page that cannot be
    printed is that page's error, the others are printed."""
    pdfium = pytest.importorskip("pypdfium2")
    pages = []
    for k in range(3):
        page = tmp_path / f"brief{k}.html"
        rows = "".join(f"<tr><td>분야 {k} 행 {i}</td><td>{i * 7}</td></tr>" for i in range(60 * k))
        page.write_text(
            '<!doctype html><html lang="ko"><meta charset="utf-8"><style>@page { size: A4; }'
            f"</style><body><h1>브리프 {k}</h1><table>{rows}</table></body></html>",
            encoding="utf-8",
        )
        pages.append(page)
    jobs = [(p, tmp_path / "out" / f"{p.stem}.pdf") for p in pages]
    jobs.append((tmp_path / "missing.html", tmp_path / "out" / "missing.pdf"))
    done = printing.print_all(iter(jobs), browsers=1)
    assert set(done) == {pdf for _, pdf in jobs}
    with pytest.raises(printing.PrintError, match="no brief to print"):
        done[tmp_path / "out" / "missing.pdf"].result()
    cli = printing.html_to_pdf(pages[2], tmp_path / "cli.pdf")

    def read(path: Path) -> tuple[int, str, tuple[float, float]]:
        doc = pdfium.PdfDocument(str(path))
        try:
            text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
            return len(doc), text, doc[0].get_size()
        finally:
            doc.close()

    for k, (_, pdf) in enumerate(jobs[:3]):
        assert done[pdf].result() == pdf and pdf.read_bytes()[:5] == b"%PDF-"
        _, text, size = read(pdf)
        assert f"브리프 {k}" in text and round(size[0]) == 595  # A4 wide, in points
    assert read(jobs[2][1])[0] == read(cli)[0] > 1  # as many pages as the command line's
    assert not list((tmp_path / "out").glob(".*"))  # no partial or temporary file left
    assert not (tmp_path / "out" / "missing.pdf").exists()
