"""notebooks/03_career_flow executes top to bottom with papermill and records its key numbers."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import polars as pl
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_career_flow.ipynb"


@pytest.mark.slow
def test_career_notebook_runs_and_records(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "BATT"
    pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "executed.ipynb"),
        parameters={"field": "BATT", "data_dir": str(tiny_data), "output_dir": str(out),
                    "min_count": 5, "min_count_magnitude": 10},
        kernel_name="python3", progress_bar=False,
    )
    numbers = json.loads((out / "key_numbers.json").read_text(encoding="utf-8"))["03_career_flow"]
    assert numbers["field_code"] == "BATT"
    share = numbers["employed_12m_share"]
    assert share is None or 0 < share <= 1
    tables = sorted((out / "tables").glob("*.parquet"))
    assert any(p.name == "status_12m_by_exit_role.parquet" for p in tables)
    for p in tables:
        if p.name.endswith(".suppressed_cells.parquet"):
            continue
        df = pl.read_parquet(p)
        flags = [c for c in df.columns if c.endswith("_suppressed")]
        assert flags, p.name  # every saved table carries its suppression flags
        count = flags[0][: -len("_suppressed")]
        if df.schema[count].is_integer():
            pub = df.filter(~pl.col(flags[0]) & (pl.col(count) > 0))
            assert pub.height == 0 or pub[count].min() >= 5, p.name
    executed = json.loads((tmp_path / "executed.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps(outputs, ensure_ascii=False)
    assert "이차전지" in text  # Korean labels, not codes, in what people read
    assert "<svg" in text  # the Sankey rendered
