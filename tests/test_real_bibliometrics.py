"""The workforce map and the batch on an imported OpenAlex folder (issue 11, item 3): a pipeline
names the registers and the bibliometrics apart, notebook 01 reads the real works.

The real records (../shared/data/openalex/api_pages, 175 works on environmental finance) belong
to no strategic technology, so the shipped crosswalk keeps none of them. To run the map on real
works, these tests use a copy of the contracts whose crosswalk places one real topic
("Conservation, Biodiversity, and Resource Management") in H2-01: the works, authorships,
countries and citations stay the real ones; only their field is assigned by the test.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from talentlib import batch, datasets, openalex_import, taxonomy
from talentlib import workforce as wf

ROOT = Path(__file__).resolve().parents[1]
MAP_NB = ROOT / "notebooks" / "01_workforce_map.ipynb"
CAREER_NB = ROOT / "notebooks" / "03_career_flow.ipynb"
SHARED = Path(
    os.environ.get("TALENTLIB_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")
)
PAGES = SHARED / "openalex" / "api_pages"
FIELD = "H2"
TOPIC = "Conservation, Biodiversity, and Resource Management"
needs_pages = pytest.mark.skipif(not PAGES.is_dir(), reason=f"real pages not found at {PAGES}")


@pytest.mark.parametrize(
    ("dataset", "path", "bibliometrics"),
    [
        ({"registers": "data/reg", "bibliometrics": "data/oa"}, "data/reg", "data/oa"),
        ({"bibliometrics": "data/oa"}, None, "data/oa"),
        ({"path": "data/reg", "scale": "tiny"}, "data/reg", None),  # the older form
        ({"registers": "data/reg", "path": None}, "data/reg", None),  # default.yaml's null path
        ({"scale": "tiny"}, None, None),
    ],
)
def test_dataset_forms(tmp_path: Path, dataset: dict, path: str | None, bibliometrics: str | None):
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"notebooks": ["a.ipynb"], "dataset": dataset}), encoding="utf-8")
    ds = batch.load_pipeline(p).dataset
    assert (ds["path"], ds["bibliometrics"]) == (path, bibliometrics)
    assert "registers" not in ds and ds["scale"] in ("tiny", "small")


# ---------------------------------------------------------------------------------------------
# The real works, imported with `talent openalex import` (a test crosswalk: see the docstring)
# ---------------------------------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def contracts_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the contracts whose crosswalk places one real topic in H2-01, in force for
    this module (and the kernels and commands it starts)."""
    dc = tmp_path_factory.mktemp("contracts") / "data_contracts"
    shutil.copytree(taxonomy.contracts_dir(), dc)
    xw = dc / "taxonomy" / "openalex_topics.yaml"
    text = xw.read_text(encoding="utf-8")
    entry = (
        f"topics:\n  - topic: {TOPIC}\n    techs: {{{FIELD}-01: 1.0}}\n"
        "    why: test only - places the real environmental-finance sample in one field\n"
    )
    assert text.count("\ntopics:\n") == 1
    xw.write_text(text.replace("\ntopics:\n", "\n" + entry, 1), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TALENTLIB_CONTRACTS_DIR", str(dc))
        taxonomy.load.cache_clear()
        yield dc
    taxonomy.load.cache_clear()


@pytest.fixture(scope="module")
def oa(contracts_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real API pages imported by the command people run."""
    if not PAGES.is_dir():
        pytest.skip(f"real OpenAlex pages not found at {PAGES}")
    out = tmp_path_factory.mktemp("import") / "oa"
    before = _tree(PAGES)
    r = subprocess.run(
        [sys.executable, "-m", "talentlib.cli", "openalex", "import",
         *map(str, sorted(PAGES.glob("*.json"))), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=dict(os.environ),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert _tree(PAGES) == before  # sources are never written
    return out


def _kept(oa: Path) -> int:
    manifest = json.loads((oa / "openalex_manifest.json").read_text(encoding="utf-8"))
    return int(manifest["totals"]["by_field"][FIELD]["works"])


@needs_pages
def test_the_import_keeps_real_works_with_their_placement(oa: Path) -> None:
    kept = _kept(oa)
    pubs = pl.read_parquet(oa / "publications" / "*.parquet")
    assert 0 < kept == pubs.height and set(pubs["field_code"]) == {FIELD}
    # what the crosswalk said about each work survives the import (it was written as nulls)
    assert pubs["classified_by"].null_count() == 0 and pubs["tech_confidence"].min() > 0.5
    assert pubs["updated_date"].null_count() == 0
    inputs = wf.load_inputs(oa)
    assert {k: v["n_quarantined"] for k, v in inputs.quarantine_counts().items()} == {
        "publications": 0,
        "authorships": 0,
        "institutions": 0,
    }


@needs_pages
def test_load_inputs_reads_registers_and_bibliometrics_apart(oa: Path, tiny_data: Path) -> None:
    inputs = wf.load_inputs(tiny_data, bibliometrics=oa)
    real = set(pl.read_parquet(oa / "publications" / "*.parquet")["work_id"])
    assert inputs.publications is not None and set(inputs.publications["work_id"]) == real
    assert inputs.researchers is not None and inputs.participations is not None
    assert inputs.folders["publications"] == str(oa)
    assert inputs.folders["researchers"] == str(tiny_data)
    assert inputs.institutions is not None and inputs.institutions.height > 0
    # the synthetic folder's own publications are not read at all
    same = wf.load_inputs(tiny_data)
    assert same.publications is not None and not set(same.publications["work_id"]) & real

    spec = wf.MapSpec(field=FIELD, years=(1990, 2025))
    mt = wf.map_tables(inputs, spec, data_dir=oa)
    assert mt.bibliometrics is not None
    assert set(mt.bibliometrics.works.filter(pl.col("field_code") == FIELD)["work_id"]) == real
    assert mt.global_numbers["papers"] == _kept(oa)
    assert "headcount_by_year" in mt.tables  # the domestic part from the registers
    assert mt.classification is None  # real works carry no planted truth


_WORLD_FRAMES = ("country_output", "country_output_by_year", "activity_index", "collaboration",
                 "author_moves")  # fmt: skip


@needs_pages
def test_the_map_reads_a_vouched_import_as_scans_with_the_same_world(oa: Path) -> None:
    rows, why = openalex_import.vouched(oa)
    assert why == "" and rows is not None
    assert rows["publications"] == _kept(oa) > 0 and rows["authorships"] > 0
    lazy, eager = wf.load_inputs(oa, lazy=True), wf.load_inputs(oa)
    assert isinstance(lazy.publications, pl.LazyFrame)
    assert isinstance(lazy.authorships, pl.LazyFrame)
    assert isinstance(eager.publications, pl.DataFrame)  # not asked: validated as before
    assert lazy.quarantine_counts() == eager.quarantine_counts()
    assert lazy.checks["publications"]["validated_by"].startswith("talent openalex import")
    a, b = wf.build_world(lazy, (1990, 2025)), wf.build_world(eager, (1990, 2025))
    assert a.bibliometrics.works.height == _kept(oa)
    for name in ("works", "authorships", "credit"):
        assert_frame_equal(getattr(a.bibliometrics, name), getattr(b.bibliometrics, name))
    for name in _WORLD_FRAMES:
        assert_frame_equal(getattr(a, name), getattr(b, name))
    # the world keeps only the columns the indicators read: no titles of millions of works
    assert "title" not in a.bibliometrics.works.columns


def _copy(oa: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "oa"
    shutil.copytree(oa, dst)  # copy2: sizes and modification times as the import left them
    assert openalex_import.vouched(dst)[0] is not None
    return dst


@needs_pages
def test_an_import_changed_afterwards_is_validated_again(oa: Path, tmp_path: Path) -> None:
    dst = _copy(oa, tmp_path)
    part = sorted((dst / "publications").glob("*.parquet"))[0]
    os.utime(part, ns=(1, 1))  # touched, same bytes: its SHA-256 still vouches for it
    assert openalex_import.vouched(dst)[0] is not None
    pubs = pl.read_parquet(part)
    pubs.with_columns(
        pl.lit(-5).cast(pubs["cited_by_count"].dtype).alias("cited_by_count")
    ).write_parquet(part)
    rows, why = openalex_import.vouched(dst)
    assert rows is None and part.name in why and "changed" in why
    again = wf.load_inputs(dst, lazy=True)  # falls back to the contracts: every row quarantined
    assert isinstance(again.publications, pl.DataFrame)
    assert again.checks["publications"]["n_quarantined"] == pubs.height


@needs_pages
@pytest.mark.parametrize("change", ["extra file", "missing file", "older manifest", "contract"])
def test_what_the_import_does_not_vouch_for(
    oa: Path, tmp_path: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dst = _copy(oa, tmp_path)
    first = sorted((dst / "authorships").glob("*.parquet"))[0]
    manifest = dst / "openalex_manifest.json"
    if change == "extra file":
        shutil.copy(first, first.with_name("zz-extra.parquet"))
        expect = "files differ"
    elif change == "missing file":
        first.unlink()
        expect = "files differ"
    elif change == "older manifest":
        m = json.loads(manifest.read_text(encoding="utf-8"))
        del m["validated"]
        manifest.write_text(json.dumps(m), encoding="utf-8")
        expect = "older import"
    else:
        dc = tmp_path / "dc"
        shutil.copytree(os.environ["TALENTLIB_CONTRACTS_DIR"], dc)
        with (dc / "authorships.yaml").open("a", encoding="utf-8") as fh:
            fh.write("# edited\n")
        monkeypatch.setenv("TALENTLIB_CONTRACTS_DIR", str(dc))
        expect = "authorships contract changed"
    rows, why = openalex_import.vouched(dst)
    assert rows is None and expect in why
    assert isinstance(wf.load_inputs(dst, lazy=True).authorships, pl.DataFrame)


def _pipeline(tmp_path: Path, dataset: dict, notebooks: list[str]) -> batch.Pipeline:
    p = tmp_path / "p.yaml"
    spec = {"name": "real", "dataset": dataset, "fields": [FIELD], "notebooks": notebooks}
    p.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return batch.load_pipeline(p)


@needs_pages
def test_prepare_with_registers_and_bibliometrics(
    oa: Path, tiny_data: Path, tmp_path: Path
) -> None:
    pipe = _pipeline(
        tmp_path, {"registers": str(tiny_data), "bibliometrics": str(oa)}, [str(MAP_NB)]
    )
    before = _tree(oa)
    plan = batch.prepare(pipe, outputs=tmp_path / "out", say=lambda s: None, root=ROOT)
    assert plan.data["path"] == str(tiny_data.resolve())
    assert plan.data["bibliometrics"] == str(oa.resolve())
    # the imported works are inputs of the run: hashed, so a changed import is a new run
    imported = [k for k in plan.data["inputs"] if k.startswith("bibliometrics:publications/")]
    assert len(imported) == len(list((oa / "publications").glob("*.parquet")))
    q = {r["dataset"]: r for r in plan.quality}
    assert q["publications"]["n_in"] == _kept(oa)  # the real works, not the synthetic ones
    assert q["publications"]["n_quarantined"] == 0 and q["authorships"]["n_in"] > 0
    assert q["researchers"]["n_in"] > 0
    # the import vouches for its files: counted from its manifest, not validated and copied
    # into the run again (at 10 M works that was most of the memory); the registers are
    prepared = {p.name.split("-")[0] for p in Path(plan.data["prepared"]).glob("*.parquet")}
    assert "researchers" in prepared and not prepared & {"publications", "authorships"}
    nb = plan.notebooks[0]
    declared = batch.declared_parameters(nb["path"])
    params, _ = batch.notebook_parameters(plan.to_json(), nb, FIELD, declared, tmp_path / "f")
    assert params["data_dir"] == str(tiny_data.resolve())
    assert params["bibliometrics_dir"] == str(oa.resolve())
    # a notebook without bibliometrics_dir gets the registers only, as before
    career = {"name": "03_career_flow", "parameters": {}}
    other, _ = batch.notebook_parameters(
        plan.to_json(), career, FIELD, batch.declared_parameters(CAREER_NB), tmp_path / "f"
    )
    assert other["data_dir"] == params["data_dir"] and "bibliometrics_dir" not in other
    assert _tree(oa) == before


@needs_pages
def test_bibliometrics_only_is_global_only_and_refuses_register_notebooks(
    oa: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synth_root = tmp_path / "synthetic"
    monkeypatch.setenv("TALENTLIB_DATA", str(synth_root))
    pipe = _pipeline(tmp_path, {"bibliometrics": str(oa)}, [str(MAP_NB), str(CAREER_NB)])
    with pytest.raises(batch.PipelineError, match=r"p.yaml:\d+: dataset names bibliometrics only"):
        batch.prepare(pipe, outputs=tmp_path / "out", say=lambda s: None, root=ROOT)
    pipe = _pipeline(tmp_path, {"bibliometrics": str(oa)}, [str(MAP_NB)])
    plan = batch.prepare(pipe, outputs=tmp_path / "out", say=lambda s: None, root=ROOT)
    assert plan.data["path"] == plan.data["bibliometrics"] == str(oa.resolve())
    assert not synth_root.exists()  # no synthetic registers were made up
    assert datasets.synthetic_marker(oa) is None


def test_a_missing_bibliometrics_folder_names_the_key(tmp_path: Path, tiny_data: Path) -> None:
    typo = tmp_path / "oa_typo"
    pipe = _pipeline(tmp_path, {"registers": str(tiny_data), "bibliometrics": str(typo)},
                     [str(MAP_NB)])  # fmt: skip
    with pytest.raises(
        batch.PipelineError, match=r"p.yaml:\d+: dataset.bibliometrics: .*not found"
    ):
        batch.prepare(pipe, outputs=tmp_path / "out", say=lambda s: None, root=ROOT)
    assert not typo.exists()
    only_registers = tmp_path / "reg_only"
    only_registers.mkdir()
    shutil.copy(tiny_data / "researchers.parquet", only_registers)
    pipe = _pipeline(tmp_path, {"bibliometrics": str(only_registers)}, [str(MAP_NB)])
    with pytest.raises(batch.PipelineError, match=r"dataset.bibliometrics: .*lacks publications"):
        batch.prepare(pipe, outputs=tmp_path / "out", say=lambda s: None, root=ROOT)


# ---------------------------------------------------------------------------------------------
# End to end: notebook 01 on the imported folder, with the parameters the batch gives it
# ---------------------------------------------------------------------------------------------


def _run_map(params: dict, out: Path) -> dict:
    import papermill as pm

    out.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(
        str(MAP_NB), str(out / "01.ipynb"), parameters={**params, "output_dir": str(out)},
        kernel_name="python3", progress_bar=False, cwd=str(ROOT),
    )  # fmt: skip
    return json.loads((out / "key_numbers.json").read_text(encoding="utf-8"))["01_workforce_map"]


@pytest.mark.slow
@needs_pages
def test_notebook_01_maps_the_real_works_without_synthetic_bibliometrics(
    oa: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synth_root = tmp_path / "synthetic"
    monkeypatch.setenv("TALENTLIB_DATA", str(synth_root))
    before = _tree(oa)
    pipe = _pipeline(tmp_path, {"bibliometrics": str(oa)}, [str(MAP_NB)])
    plan = batch.prepare(pipe, outputs=tmp_path / "out", say=lambda s: None, root=ROOT)
    nb = plan.notebooks[0]
    nb["parameters"] = {"years": [1990, 2025]}  # the real sample's works are from 1995-2010
    declared = batch.declared_parameters(nb["path"])
    out = tmp_path / "field"
    params, _ = batch.notebook_parameters(plan.to_json(), nb, FIELD, declared, out)
    by_batch = _run_map({k: v for k, v in params.items() if k != "output_dir"}, out)
    # the notebook on its own: only bibliometrics_dir given (data_dir None) is global only too
    alone = {"field": FIELD, "years": [1990, 2025], "bibliometrics_dir": str(oa)}
    by_hand = _run_map(alone, tmp_path / "alone")
    same = ("papers", "leader", "quarantine", "rank_top10", "activity_index")
    assert {k: by_hand[k] for k in same} == {k: by_batch[k] for k in same}

    kn = by_batch
    assert kn["papers"] == _kept(oa)  # every real work the import kept, no other
    q = kn["quarantine"]
    assert q["publications"] == {"n_in": _kept(oa), "n_valid": _kept(oa), "n_quarantined": 0}
    assert set(q) == {"publications", "authorships", "institutions"}  # no registers: global only
    assert kn["leader"] is not None and kn["classification"] is None
    assert "domestic" not in kn
    # the real sample has no Korean author: Korea is ranked nowhere rather than invented
    assert kn["rank_top10"] is None and kn["pub_share"] == 0.0
    # nothing synthetic was generated for it, and the imported folder is untouched
    assert not synth_root.exists() and datasets.synthetic_marker(oa) is None
    assert not (oa / datasets.SYNTHETIC_MARKER).exists()
    assert _tree(oa) == before
