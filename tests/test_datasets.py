"""talentlib.datasets: which folder is analysed, and that nothing writes where it was only asked
to read — a user's folder is never generated into, overwritten or emptied."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from talentlib import datasets, synth

ROOT = Path(__file__).resolve().parents[1]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder with the sha256 of its bytes (and the folder's mode bits)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def user_folder(tiny_data: Path, tmp_path: Path) -> Path:
    """What an analyst's folder looks like: a real-looking spell extract, postings they
    collected, notes — and no generator marker."""
    d = tmp_path / "my_data"
    (d / "postings" / "raw").mkdir(parents=True)
    spells = pl.read_parquet(tiny_data / "employment_spells.parquet").head(200)
    spells.write_parquet(d / "employment_spells.parquet")
    (d / "postings" / "raw" / "REAL0001.txt").write_text(
        "[한빛소재] 양극재 공정 엔지니어 채용\n자격요건: 화학공학 전공\n", encoding="utf-8"
    )
    (d / "postings" / "raw" / "REAL0002.html").write_text(
        "<html><body><h1>반도체 설계</h1><p>Verilog</p></body></html>", encoding="utf-8"
    )
    (d / "README.txt").write_text("2024년 고용보험 추출본 (가명)\n", encoding="utf-8")
    return d


def test_generator_refuses_a_folder_it_did_not_make(user_folder: Path) -> None:
    before = snapshot(user_folder)
    with pytest.raises(datasets.DatasetError, match="not made by `talent synth`"):
        synth.generate("tiny", seed=1, out=user_folder, progress=False)
    assert snapshot(user_folder) == before


def test_generator_regenerates_only_its_own_unchanged_files(tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    synth.generate("tiny", seed=1, out=out, progress=False)
    marker = datasets.synthetic_marker(out)
    assert marker is not None and "researchers.parquet" in marker["files"]
    assert set(marker["files"]) == set(snapshot(out)) - {datasets.SYNTHETIC_MARKER}  # all it wrote
    synth.generate("tiny", seed=2, out=out, progress=False)  # its own folder: allowed
    assert json.loads((out / "truth.json").read_text(encoding="utf-8"))["generator"]["seed"] == 2

    # a real file copied over one of its files, or a new file beside them: refused, untouched
    (out / "employment_spells.parquet").write_bytes(b"PAR1 real extract")
    before = snapshot(out)
    with pytest.raises(datasets.DatasetError, match="changed since"):
        synth.generate("tiny", seed=3, out=out, progress=False)
    assert snapshot(out) == before


def test_ensure_reads_a_given_folder_and_never_writes(user_folder: Path, tmp_path: Path) -> None:
    before = snapshot(user_folder)
    assert datasets.ensure(user_folder) == user_folder
    assert datasets.ensure(user_folder, "small") == user_folder
    assert snapshot(user_folder) == before
    with pytest.raises(datasets.DatasetError, match="dataset folder not found"):
        datasets.ensure(tmp_path / "typo")
    assert not (tmp_path / "typo").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(datasets.DatasetError, match="holds none of the dataset files"):
        datasets.ensure(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []
    with pytest.raises(datasets.DatasetError, match="not made by `talent synth`"):
        datasets.ensure(user_folder, "tiny", generate=True)
    assert snapshot(user_folder) == before


def test_ensure_default_folder_is_generated_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALENTLIB_DATA", str(tmp_path / "root"))
    got = datasets.ensure(None, "tiny", seed=5)
    assert got == tmp_path / "root" / "tiny" and (got / "researchers.parquet").exists()
    mtime = (got / "researchers.parquet").stat().st_mtime_ns
    assert datasets.ensure(None, "tiny", seed=5) == got  # current: used, not regenerated
    assert (got / "researchers.parquet").stat().st_mtime_ns == mtime


def test_a_stale_synthetic_folder_given_by_path_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "old"
    synth.generate("tiny", seed=1, out=out, progress=False)
    marker = json.loads((out / datasets.SYNTHETIC_MARKER).read_text(encoding="utf-8"))
    marker["generator"]["generator_version"] = -1
    (out / datasets.SYNTHETIC_MARKER).write_text(json.dumps(marker), encoding="utf-8")
    before = snapshot(out)
    with pytest.raises(datasets.DatasetError, match="older synthetic generator"):
        datasets.ensure(out)
    assert snapshot(out) == before


def test_require_names_every_missing_file(user_folder: Path) -> None:
    with pytest.raises(datasets.DatasetError) as e:
        datasets.require(user_folder, ["researchers", "employment_spells", "key_table"])
    assert "researchers.parquet" in str(e.value) and "key_table.parquet" in str(e.value)
    assert "employment_spells" not in str(e.value)


def test_a_corrupt_file_is_recorded_not_fatal(tiny_data: Path, tmp_path: Path) -> None:
    d = tmp_path / "d"
    shutil.copytree(tiny_data, d)
    (d / "publications.parquet").write_bytes(b"not parquet at all")
    folder = datasets.load_folder(d, errors="record")
    assert "publications.parquet" in folder.errors["publications"]
    assert "researchers" in folder.valid and "publications" not in folder.valid
    q = folder.quality()
    row = q.filter(pl.col("dataset") == "publications").row(0, named=True)
    assert row["error"] and row["n_in"] is None
    with pytest.raises(Exception, match="publications.parquet"):
        datasets.load_folder(d)


def talent(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "talentlib.cli", "--quiet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=900,
    )


@pytest.mark.slow
def test_no_command_changes_a_byte_of_a_users_folder(user_folder: Path, tmp_path: Path) -> None:
    """Every command pointed at a user's folder: it is read, refused or reported — never
    written. Afterwards every byte is as it was and no file was added."""
    before = snapshot(user_folder)
    out = tmp_path / "outputs"
    runs = {
        "synth": talent("synth", "--scale", "tiny", "--out", str(user_folder)),
        "demo": talent("demo", "--data", str(user_folder), "--outputs", str(out)),
        "run --scale": talent(
            "run", "--data", str(user_folder), "--scale", "tiny", "--outputs", str(out)
        ),
        "run": talent("run", "--data", str(user_folder), "--fields", "BATT", "--outputs", str(out)),
        "validate": talent(
            "validate",
            "employment_spells",
            str(user_folder / "employment_spells.parquet"),
            cwd=tmp_path,
        ),
        "typo": talent("run", "--data", str(tmp_path / "my_dat"), "--outputs", str(out)),
    }
    for name in ("synth", "demo", "run --scale"):
        r = runs[name]
        assert r.returncode == 1 and "refusing" in r.stderr, (name, r.stderr)
        assert "Traceback" not in r.stderr
    # the batch reads the folder; the notebooks that need files it lacks fail and say which
    r = runs["run"]
    assert r.returncode == 1, r.stdout + r.stderr
    assert "DatasetError" in r.stderr and "my_data" in r.stderr  # names the folder and what lacks
    assert runs["validate"].returncode == 0, runs["validate"].stderr
    assert runs["typo"].returncode == 1 and "not found" in runs["typo"].stderr
    assert not (tmp_path / "my_dat").exists()
    assert snapshot(user_folder) == before


def test_a_batch_validates_once_and_every_reader_reuses_it(
    tiny_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from talentlib import contracts

    monkeypatch.setenv("TALENTLIB_PREPARED", str(tmp_path / "prepared"))
    first = datasets.load_folder(tiny_data)
    assert list((tmp_path / "prepared").glob("researchers-*.parquet"))

    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(contracts, "validate", refuse)
    again = datasets.load_folder(tiny_data)
    for name, res in first.results.items():
        other = again.results[name]
        assert (res.n_in, res.n_valid, res.n_quarantined) == (
            other.n_in,
            other.n_valid,
            other.n_quarantined,
        ), name
        assert res.valid.equals(other.valid), name
    # a changed file is validated anew (its size or time is part of the key)
    copy = tmp_path / "copy"
    shutil.copytree(tiny_data, copy)
    with pytest.raises(AssertionError, match="validated again"):
        datasets.load_folder(copy)


PII_PLANTED = (
    "담당자: 김민수 과장 (02)555-8123, minsu.kim@hanbit-energy.co.kr\n"
    "문의 010-7788-9911 또는 minsu[at]hanbit.com, 주민등록번호 900101-1234567\n"
)
PII_NEEDLES = ("김민수", "555-8123", "7788-9911", "01077889911", "minsu", "900101")


def _text_of(path: Path) -> str:
    """Everything a file says: text files as text, Parquet string cells, workbook cells."""
    if path.suffix == ".parquet":
        df = pl.read_parquet(path)
        return "\n".join(
            str(v) for c in df.columns if df.schema[c] == pl.String for v in df[c].to_list()
        )
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        return "\n".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        )
    if path.suffix in (".pdf", ".png", ".joblib", ".npz", ".pkl"):
        return ""
    return path.read_bytes().decode("utf-8", errors="replace")


@pytest.mark.slow
def test_pii_in_a_posting_reaches_no_output_cache_or_log(tiny_data: Path, tmp_path: Path) -> None:
    """A recruiter's name, phones, e-mails and an RRN written into a posting: after the job
    analysis runs through the batch, none of them is in any output, log, executed notebook,
    quarantine or cache file (release and internal alike)."""
    import os

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)
    index = pl.read_parquet(data / "postings" / "job_postings.parquet")
    txt = index.filter(pl.col("file_type") == "txt").row(0, named=True)
    raw = data / "postings" / txt["file_path"]
    raw.write_text(raw.read_text(encoding="utf-8") + "\n" + PII_PLANTED, encoding="utf-8")
    pipe = tmp_path / "p.yaml"
    pipe.write_text(
        "name: pii\nnotebooks: [notebooks/02_job_analysis.ipynb]\n"
        "parameters: {use_llm: false}\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    env = {**os.environ, "TALENTLIB_CACHE": str(cache)}
    r = subprocess.run(
        [sys.executable, "-m", "talentlib.cli", "--quiet", "run", "--pipeline", str(pipe),
         "--data", str(data), "--fields", txt["field_code"], "--outputs", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, timeout=900, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    written = [p for root in (tmp_path / "out", cache) for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "brief.html" for p in written) and any(cache.rglob("*"))
    for p in written:
        text = _text_of(p)
        for needle in PII_NEEDLES:
            assert needle not in text, (needle, p)
    for needle in PII_NEEDLES:
        assert needle not in r.stdout + r.stderr
