"""A brief made by the batch, opened in headless Chromium with the network closed: the charts
render as inline SVG, Korean text shows, no script or resource error, and a screenshot is
saved (outputs/test_artifacts/brief_BATT.png) for people to look at. Also opens the workbook."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from talentlib import batch, printing

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "outputs" / "test_artifacts"
CHROMIUM_FLAGS = [
    *printing.HEADLESS_FLAGS,
    "--no-sandbox",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium() -> str:
    path = printing.chromium()
    if path is None:
        pytest.fail(
            "headless Chromium is needed to check the briefs but is not installed: run "
            "`make setup` (Makefile SYSTEM_PACKAGES installs Debian's chromium) or "
            "`apt-get install -y chromium`"
        )
    return path


def browse(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def brief(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The career-flow notebook for BATT through the batch, as `talent run` does it."""
    import yaml

    tmp = tmp_path_factory.mktemp("brief")
    pipe = tmp / "p.yaml"
    notebook = str(ROOT / "notebooks" / "03_career_flow.ipynb")
    pipe.write_text(yaml.safe_dump({"name": "browser", "notebooks": [notebook]}), encoding="utf-8")
    result = batch.run(
        pipe, quiet=True, outputs=tmp / "out", data=tiny_data, fields=["BATT"], workers=1, root=ROOT
    )
    assert not result.failed, batch.failure_lines(result)
    return result.run_dir / "release" / "BATT" / "brief.html"


@pytest.mark.slow
def test_brief_renders_offline_in_chromium(brief: Path, tmp_path: Path) -> None:
    dom = browse(brief.as_uri(), tmp_path / "profile1", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert html.count("<svg") >= 4, "charts missing from the rendered page"
    assert "이차전지" in html and "핵심 결과" in html and "고용보험" in html
    assert "비공개" in html and "방법 노트" in html and "자료 출처" in html
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln]
    assert not [ln for ln in console if "Uncaught" in ln or "Error" in ln], console
    assert "Failed to load resource" not in dom.stderr and "net::ERR_" not in dom.stderr
    # works offline: nothing to fetch (no script, stylesheet, image, font or frame from outside)
    page = brief.read_text(encoding="utf-8")
    for ref in ("<script", "<link", "<img", "<iframe", "@import", "url(http", 'src="', "https://"):
        assert ref not in page, ref

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "brief_BATT.png"
    shot.unlink(missing_ok=True)
    r = browse(
        brief.as_uri(), tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1200,2000"
    )
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    import numpy as np
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1200, 2000)
        # the first chart sits in the upper half: many coloured (not grey or white) pixels there
        rgb = np.asarray(im.convert("RGB").crop((0, 600, 1200, 1400))).astype(int)
        coloured = int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())
        assert coloured > 5_000, "the chart area looks empty"
    assert shot.stat().st_size > 30_000


@pytest.mark.slow
def test_brief_workbook_opens_with_expected_sheets(brief: Path) -> None:
    import json

    from openpyxl import load_workbook

    field_dir = brief.parent
    manifest = json.loads((field_dir / "manifest.json").read_text(encoding="utf-8"))
    wb = load_workbook(field_dir / "tables.xlsx")
    assert wb.sheetnames[0] == "요약" and wb.sheetnames[-1] == "방법·출처"
    assert len(wb.sheetnames) == len(manifest["tables"]) + 2  # one sheet per published table
    assert "종료 12개월 후 취업 기관 유형" in wb.sheetnames
    ws = wb["과제 종료 후 개월별 고용 상태"]
    headers = [c.value for c in ws[3]]
    assert headers[0] == "종료 후 개월" and "산업계" in headers and headers[-1] == "합계"
    cells = [c.value for row in ws.iter_rows(min_row=4) for c in row]
    assert "비공개" in cells  # months are followed cohorts: a total per month, no total row
    wage = wb["종료 12개월 후 월 임금 (학위별)"]
    assert [c.value for c in wage[3]][:3] == ["학위", "인원", "월 임금 하위 25%(원)"]
