"""The `talent` command: help that teaches, one-line errors, synth, validate and demo end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from talentlib import cli


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "talentlib.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_lists_commands_and_examples() -> None:
    r = run("--help")
    assert r.returncode == 0
    for word in ("synth", "validate", "demo", "examples:"):
        assert word in r.stdout
    assert "--scale" in run("synth", "--help").stdout


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    r = run("validate", "researchers", str(tmp_path / "missing.csv"))
    assert r.returncode == 1
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "file not found" in lines[0] and "Traceback" not in r.stderr
    r = run("validate", "no_such_dataset", str(tmp_path))
    assert r.returncode == 1 and "unknown dataset" in r.stderr
    # --verbose shows the traceback
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\x81\x82")
    r = run("validate", "researchers", str(bad), "--verbose")
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_validate_counts_add_up_and_writes_quarantine(tiny_data: Path, tmp_path: Path) -> None:
    q = tmp_path / "q.csv"
    r = run(
        "validate",
        "employment_spells",
        str(tiny_data / "employment_spells.parquet"),
        "--quarantine",
        str(q),
    )
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("in "))
    n_in, n_valid, n_q = (int(p.split()[-1].replace(",", "")) for p in line.split("/"))
    assert n_in == n_valid + n_q and n_q > 0
    quarantine = pl.read_csv(q)
    assert quarantine.columns == ["row", "column", "value", "rule", "message"]
    assert quarantine["row"].n_unique() == n_q


def test_validate_reads_cp949(tiny_data: Path) -> None:
    r = run("validate", "projects", str(tiny_data / "projects.csv"))
    assert r.returncode == 0, r.stderr
    assert "quarantined 0" in r.stdout


def test_synth_command(tmp_path: Path) -> None:
    assert (
        cli.main(
            ["--quiet", "synth", "--scale", "tiny", "--seed", "3", "--out", str(tmp_path / "d")]
        )
        == 0
    )
    truth = json.loads((tmp_path / "d" / "truth.json").read_text(encoding="utf-8"))
    assert truth["generator"]["seed"] == 3


@pytest.mark.slow
def test_demo_end_to_end(tiny_data: Path, tmp_path: Path) -> None:
    """The main job: validates every table, runs the default batch, publishes a brief per field."""
    r = run(
        "demo",
        "--data",
        str(tiny_data),
        "--outputs",
        str(tmp_path / "out"),
        "--fields",
        "BATT",
        "--workers",
        "1",
        cwd=Path(__file__).resolve().parents[1],
    )
    assert r.returncode == 0, r.stdout + r.stderr
    runs = list((tmp_path / "out").iterdir())
    assert len(runs) == 1
    out = runs[0]
    quality = pl.read_parquet(out / "data_quality.parquet")
    assert (quality["n_in"] == quality["n_valid"] + quality["n_quarantined"]).all()
    assert quality.filter(pl.col("dataset") == "employment_spells")["n_quarantined"][0] > 0
    field = out / "release" / "BATT"
    for name in ("brief.html", "tables.xlsx", "manifest.json"):
        assert (field / name).exists(), name
    manifest = json.loads((field / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["inputs"]) >= {
        "researchers.parquet",
        "employment_spells.parquet",
        "projects.csv",
    }
    assert manifest["quarantine"]["employment_spells"] > 0
    assert "03_career_flow" in manifest["notebooks"]
    table = pl.read_parquet(field / "tables" / "status_12m_by_exit_role.parquet")
    published = table.filter(~pl.col("people_suppressed") & (pl.col("people") > 0))
    assert published["people"].min() >= 5  # the threshold rule held on what was written
    page = (field / "brief.html").read_text(encoding="utf-8")
    assert "이차전지" in page and "<svg" in page
    if table["people_suppressed"].any():
        assert "비공개" in page  # suppressed shows as suppressed, never as zero
    summary = pl.read_parquet(out / "release" / "summary" / "fields.parquet")
    assert summary["field_code"].to_list() == ["BATT"]


def test_validate_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "researchers.csv"
    path.write_text(
        "researcher_id,birth_year,sex,degree,degree_year,institution_type,region\n"
        f"{'a' * 16},1980,M,PHD,2010,UNIV,11\n",
        encoding="utf-16",
    )
    q = ["--quarantine", str(tmp_path / "q.csv")]
    r = run("validate", "researchers", str(path), *q, cwd=tmp_path)
    assert r.returncode == 1 and "--encoding" in r.stderr  # the hint names a real option
    r = run("validate", "researchers", str(path), "--encoding", "utf-16", *q, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "in 1 / valid 1 / quarantined 0" in r.stdout
    r = run("validate", "researchers", str(path), "--encoding", "klingon", *q, cwd=tmp_path)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 1 and len(lines) == 1 and "unknown encoding 'klingon'" in lines[0]
