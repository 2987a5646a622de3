"""notebooks/02_job_analysis executes top to bottom with papermill and publishes only disclosed
tables."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import polars as pl
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_job_analysis.ipynb"


@pytest.mark.slow
def test_job_notebook_runs_and_records(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "BATT"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "executed.ipynb"),
        parameters={
            "field": "BATT",
            "data_dir": str(tiny_data),
            "output_dir": str(out),
            "formats": ["txt", "html"],  # no OCR in the test: images are covered elsewhere
            "min_count": 5,
        },
        kernel_name="python3",
        progress_bar=False,
    )
    numbers = json.loads((out / "key_numbers.json").read_text(encoding="utf-8"))["02_job_analysis"]
    assert numbers["field_code"] == "BATT"
    assert numbers["files_read"] > 0 and numbers["files_quarantined"] == 0
    ledger = json.loads((out / "disclosure.json").read_text(encoding="utf-8"))
    assert {"postings_by_job_family", "postings_by_company", "cooccurrence"} <= set(
        ledger["tables"]
    )
    for p in sorted((out / "tables").glob("*.parquet")):
        if p.name.endswith(".suppressed_cells.parquet"):
            continue
        df = pl.read_parquet(p)
        flags = [c for c in df.columns if c.endswith("_suppressed")]
        assert flags, p.name
        count = flags[0].removesuffix("_suppressed")
        pub = df.filter(~pl.col(flags[0]) & (pl.col(count) > 0))
        assert pub.height == 0 or pub[count].min() >= 5, p.name
    assert sorted(p.stem for p in (out / "charts").glob("*.svg"))
    executed = json.loads((tmp_path / "executed.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps(outputs, ensure_ascii=False)
    assert "이차전지" in text  # Korean labels in what people read
