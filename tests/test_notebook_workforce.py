"""notebooks/01_workforce_map: paired with its .py, committed without outputs, parameters first,
and executed end to end with papermill on the tiny synthetic set (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from talentlib import synth, taxonomy

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
IPYNB = NOTEBOOKS / "01_workforce_map.ipynb"
PY = NOTEBOOKS / "01_workforce_map.py"


def test_notebook_is_paired_clean_and_parameterised() -> None:
    jupytext = pytest.importorskip("jupytext")
    nb = json.loads(IPYNB.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert nb["cells"][0]["cell_type"] == "code"
    assert "parameters" in nb["cells"][0]["metadata"].get("tags", [])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    from_py = jupytext.read(PY)
    from_ipynb = jupytext.read(IPYNB)
    assert [c.source for c in from_py.cells] == [c.source for c in from_ipynb.cells]


@pytest.mark.slow
def test_notebook_runs_and_records_key_numbers(tiny_data: Path, tmp_path: Path) -> None:
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out"
    field = "BATT"
    papermill.execute_notebook(
        str(IPYNB),
        str(tmp_path / "executed.ipynb"),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
        parameters={
            "field": field,
            "data_dir": str(tiny_data),
            "output_dir": str(out),
            "min_joint_papers": 2,
        },
    )
    kn = json.loads((out / "key_numbers.json").read_text(encoding="utf-8"))["01_workforce_map"]
    truth = synth.load_truth(tiny_data)["publications"][field]
    assert kn["field_code"] == field and kn["papers"] > 0
    # the notebook classifies papers with the rules: rank within +-1 of the planted one
    assert kn["rank_top10"] is not None and abs(kn["rank_top10"] - truth["korea_rank_top10"]) <= 1
    assert abs(kn["top10_share"] - truth["korea_top10_share"]) < 0.05
    assert kn["leader"] == truth["leader"]
    techs = taxonomy.technologies().filter(pl.col("field_code") == field)["code"].to_list()
    assert set(kn["activity_index"]) == set(techs)
    assert kn["classification"]["publications"]["field_accuracy"] >= 0.9
    for name, c in kn["quarantine"].items():
        assert c["n_in"] == c["n_valid"] + c["n_quarantined"], name
    assert (
        kn["domestic"]["researchers_last_year"] is None
        or kn["domestic"]["researchers_last_year"] >= 5
    )
    charts = {p.name for p in (out / "charts").iterdir()}
    assert {
        "country_top10_share.svg",
        "korea_vs_leader.svg",
        "tech_strength_gap.svg",
        "collaboration_network.svg",
        "pyramid.svg",
        "institution_concentration.svg",
    } <= charts
    tables = {p.stem for p in (out / "tables").glob("*.parquet")}
    assert {"headcount_by_year", "headcount_by_degree", "career_pyramid", "talent_flow_korea"} <= (
        tables
    )
    for p in (out / "tables").glob("*.parquet"):  # nobody is singled out by an author id
        assert not any("author" in c for c in pl.read_parquet(p).columns), p.name


def test_jupyterlab_is_installed_for_exploring_the_notebooks() -> None:
    """The README's tour says `jupyter lab notebooks/`: the set-up must install JupyterLab."""
    import shutil
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("jupyter")
    jupyter = str(exe) if exe.exists() else shutil.which("jupyter")
    assert jupyter, "jupyter is not installed"
    r = subprocess.run([jupyter, "lab", "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and int(r.stdout.strip().split(".")[0]) >= 4, r.stderr
