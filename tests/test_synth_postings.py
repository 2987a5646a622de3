"""Synthetic job postings: deterministic, every format readable, labels true to the text, PII in
the raw files but never in the index, the index valid under its contract; and the hand-written
evaluation set well-formed."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from talentlib import contracts, synth, taxonomy
from talentlib.pii import find_pii
from talentlib.postings.labelled import read_labels
from talentlib.postings.matcher import competency_matcher, surface_forms
from talentlib.synth.postings import (
    LABEL_FIELDS,
    default_postings_params,
    generate_postings,
    html_to_text,
)

HANDWRITTEN = Path(__file__).parent / "fixtures" / "postings_handwritten"
ALL_FORMATS = {"txt": 1, "html": 1, "pdf_text": 1, "pdf_image": 1, "png": 1}


def _key(s: str) -> str:
    return taxonomy.normalize_text(s).replace(" ", "")


def _visible_text(root: Path, lab: dict) -> str:
    raw = (root / lab["file"]).read_text(encoding="utf-8")
    return html_to_text(raw) if lab["file_type"] == "html" else raw


@pytest.fixture(scope="module")
def tiny_postings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("postings")
    truth = generate_postings(np.random.default_rng(11), {}, out, scale="tiny")
    return out / "postings", truth


@pytest.fixture(scope="module")
def labels(tiny_postings: tuple[Path, dict]) -> list[dict]:
    return read_labels(tiny_postings[0])


# ---------------------------------------------------------------------------------------------
# Sizes, registration, determinism
# ---------------------------------------------------------------------------------------------


def test_sizes_per_scale_are_data() -> None:
    scales = default_postings_params()["scales"]
    assert 50 <= scales["tiny"]["n_postings"] <= 80
    assert 300 <= scales["small"]["n_postings"] <= 500
    assert scales["national"]["n_postings"] == 10_000
    assert set(scales["national"]["formats"]) <= {"txt", "html"}
    small = scales["small"]["formats"]
    rendered = sum(v for k, v in small.items() if k in ("pdf_text", "pdf_image", "png"))
    assert 0.05 <= rendered / sum(small.values()) <= 0.15
    assert set(scales) == set(synth.SCALES)


def test_registered_as_a_generator_part() -> None:
    assert "postings" in synth.EXTRA_PARTS
    default_parts = inspect.signature(synth.generate).parameters["parts"].default
    assert "postings" in default_parts


def test_synth_generate_writes_postings(tiny_data: Path) -> None:
    truth = synth.load_truth(tiny_data)["postings"]
    assert truth["scale"] == "tiny"  # inferred from the researchers written before the part
    index = pl.read_parquet(tiny_data / "postings" / "job_postings.parquet")
    assert index.height == truth["n_postings"] == len(read_labels(tiny_data / "postings"))


def test_deterministic_per_seed(tmp_path: Path) -> None:
    kw = {"n_postings": 10, "formats": ALL_FORMATS, "max_rendered": 3}
    a = generate_postings(np.random.default_rng(3), {}, tmp_path / "a", **kw)
    b = generate_postings(np.random.default_rng(3), {}, tmp_path / "b", **kw)
    c = generate_postings(np.random.default_rng(4), {}, tmp_path / "c", **{**kw, "max_rendered": 0})
    ra, rb, rc = (tmp_path / x / "postings" for x in "abc")
    assert (ra / "labels.jsonl").read_bytes() == (rb / "labels.jsonl").read_bytes()
    assert pl.read_parquet(ra / "job_postings.parquet").equals(
        pl.read_parquet(rb / "job_postings.parquet")
    )
    for f in sorted((ra / "raw").iterdir()):
        assert f.read_bytes() == (rb / "raw" / f.name).read_bytes(), f.name
    assert (ra / "labels.jsonl").read_bytes() != (rc / "labels.jsonl").read_bytes()
    assert a["by_format"] == b["by_format"] and c["n_postings"] == 10
    assert {"pdf_text", "pdf_image", "png"} <= set(a["by_format"])


def test_format_mix_and_render_cap(tmp_path: Path) -> None:
    truth = generate_postings(
        np.random.default_rng(5), {}, tmp_path, n_postings=30, formats=ALL_FORMATS, max_rendered=2
    )
    rendered = sum(truth["by_format"].get(k, 0) for k in ("pdf_text", "pdf_image", "png"))
    assert rendered == 2 and sum(truth["by_format"].values()) == 30


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def test_every_format_is_written_and_readable(
    tiny_postings: tuple[Path, dict], labels: list[dict]
) -> None:
    import pypdfium2
    from PIL import Image

    root, _ = tiny_postings
    seen = {lab["format"] for lab in labels}
    assert seen == {"txt", "html", "pdf_text", "pdf_image", "png"}
    for lab in labels:
        path = root / lab["file"]
        assert path.exists() and path.stat().st_size > 0, lab["file"]
        if lab["format"] == "png":
            with Image.open(path) as im:
                im.verify()
            with Image.open(path) as im:
                assert im.width >= 1000 and im.height >= 1400
        elif lab["format"] in ("pdf_text", "pdf_image"):
            doc = pypdfium2.PdfDocument(path)
            text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
            if lab["format"] == "pdf_text":
                flat = _key(text)
                assert _key(lab["title"]) in flat
                forms = surface_forms()
                for code in lab["competencies"]:
                    assert any(_key(f) in flat for f in forms[code]), (lab["file"], code)
            else:
                assert text.strip() == "", lab["file"]
            doc.close()
        elif lab["format"] == "html":
            raw = path.read_text(encoding="utf-8")
            assert raw.lstrip().startswith("<!DOCTYPE html>") and "<div" in raw
            assert "<script" in raw and _key(lab["title"]) in _key(html_to_text(raw))


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


def test_generator_families_are_the_taxonomy_families() -> None:
    """The generator draws postings for exactly the job families of the taxonomy, in their field."""
    params = default_postings_params()
    drawn = {(fam["code"], f) for f, fams in params["families"].items() for fam in fams}
    table = taxonomy.table("job_families")
    assert drawn == set(zip(table["code"], table["field_code"], strict=True))
    assert table["ko"].str.len_chars().min() > 0


def test_label_schema_and_codes(labels: list[dict]) -> None:
    params = default_postings_params()
    codes = taxonomy.codes("competencies")
    regions = taxonomy.codes("regions")
    families = {f: {fam["code"] for fam in fams} for f, fams in params["families"].items()}
    majors = set(params["majors"]) | {"이공계"}
    for lab in labels:
        assert list(lab) == list(LABEL_FIELDS)
        assert lab["job_family"] in families[lab["field_code"]]
        assert lab["company_type"] in {"LARGE", "MIDSIZE", "SME", "VENTURE"}
        assert set(lab["competencies"]) <= codes
        assert set(lab["required"]) | set(lab["preferred"]) == set(lab["competencies"])
        assert not set(lab["required"]) & set(lab["preferred"])
        assert lab["education"] in {"ANY", *taxonomy.codes("degrees")}
        assert set(lab["majors"]) <= majors
        e = lab["experience_min_years"]
        assert e is None or (isinstance(e, int) and 0 <= e <= 15)
        assert lab["employment_type"] in {"REGULAR", "CONTRACT", "INTERN", "DISPATCH"}
        assert lab["region"] in regions
        assert lab["salary"]
        if lab["salary_min"] is not None:
            assert lab["salary_period"] in {"year", "month"}
            assert lab["salary_max"] is None or lab["salary_max"] > lab["salary_min"]
    assert sum(len(lab["competencies"]) for lab in labels) / len(labels) >= 5


def test_labelled_competencies_appear_in_the_text(
    tiny_postings: tuple[Path, dict], labels: list[dict]
) -> None:
    root, truth = tiny_postings
    forms = surface_forms()
    matcher = competency_matcher()
    assert truth["boilerplate_mentions"] == 0
    for lab in labels:
        if lab["file_type"] not in ("txt", "html"):
            continue
        text = _visible_text(root, lab)
        flat = _key(text)
        for code in lab["competencies"]:
            assert any(_key(f) in flat for f in forms[code]), (lab["posting_id"], code)
        if lab["file_type"] == "txt":  # exactly what the reference matcher finds, line by line
            assert matcher.codes_in_lines(text.splitlines()) == set(lab["competencies"])


def test_facts_are_written_in_the_text(
    tiny_postings: tuple[Path, dict], labels: list[dict]
) -> None:
    root, _ = tiny_postings
    for lab in labels:
        if lab["file_type"] != "txt":
            continue
        text = (root / lab["file"]).read_text(encoding="utf-8")
        assert lab["salary"] in text
        region = taxonomy.label("regions", lab["region"])
        short = {r["code"]: r["short"] for r in taxonomy.load("regions")["codes"]}[lab["region"]]
        assert region in text or short in text, lab["posting_id"]


def test_truth_counts_match_labels(tiny_postings: tuple[Path, dict], labels: list[dict]) -> None:
    _, truth = tiny_postings
    assert truth["n_postings"] == len(labels) == sum(truth["by_format"].values())
    assert truth["by_field"] == {
        f: sum(1 for lab in labels if lab["field_code"] == f)
        for f in sorted({lab["field_code"] for lab in labels})
    }
    per_field = truth["competency_counts_by_field"]
    assert sum(sum(d.values()) for d in per_field.values()) == sum(
        len(lab["competencies"]) for lab in labels
    )
    assert set(truth["planted_universal_rates"]) <= taxonomy.codes("competencies")


# ---------------------------------------------------------------------------------------------
# PII and the posting index
# ---------------------------------------------------------------------------------------------


def test_pii_in_raw_files_not_in_the_index(
    tiny_postings: tuple[Path, dict], labels: list[dict]
) -> None:
    root, _ = tiny_postings
    with_pii = [lab for lab in labels if lab["has_pii"]]
    assert len(with_pii) >= len(labels) // 2
    for lab in with_pii:
        if lab["file_type"] in ("txt", "html"):
            assert find_pii(_visible_text(root, lab)), lab["file"]
    index = pl.read_parquet(root / "job_postings.parquet")
    for col in ("text", "title", "file_path"):
        for value in index[col].drop_nulls():
            assert not find_pii(value), col


def test_index_follows_the_contract(tiny_postings: tuple[Path, dict], labels: list[dict]) -> None:
    root, _ = tiny_postings
    index = pl.read_parquet(root / "job_postings.parquet")
    contract = contracts.load_contract("job_postings")
    assert index.columns == [c.name for c in contract.columns]
    result = contracts.validate(index, "job_postings")
    assert result.n_quarantined == 0 and result.n_valid == len(labels)
    by_id = {lab["posting_id"]: lab for lab in labels}
    for row in index.iter_rows(named=True):
        lab = by_id[row["posting_id"]]
        assert (root / row["file_path"]).exists()
        assert row["file_type"] == lab["file_type"] and row["field_code"] == lab["field_code"]
        assert (row["text"] is not None) == (row["file_type"] == "txt")
        assert row["company_type"] == lab["company_type"]


# ---------------------------------------------------------------------------------------------
# The hand-written evaluation set
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def handwritten() -> list[dict]:
    return read_labels(HANDWRITTEN)


def test_handwritten_set_is_complete(handwritten: list[dict]) -> None:
    files = sorted(p.name for p in HANDWRITTEN.iterdir() if p.suffix in (".txt", ".html"))
    assert len(files) >= 30
    assert sorted(lab["file"] for lab in handwritten) == files
    per_field = {
        f: sum(1 for lab in handwritten if lab["field_code"] == f)
        for f in taxonomy.codes("strategic_tech", "field")
    }
    assert per_field["BATT"] >= 10 and per_field["SEMI"] >= 8 and per_field["AI"] >= 8
    assert sum(v for f, v in per_field.items() if f not in ("BATT", "SEMI", "AI")) >= 3
    assert sum(1 for lab in handwritten if lab["file_type"] == "html") >= 3
    assert sum(1 for lab in handwritten if lab["has_pii"]) >= 10


def test_handwritten_labels_parse_and_codes_exist(handwritten: list[dict]) -> None:
    codes = taxonomy.codes("competencies")
    majors = set(default_postings_params()["majors"])
    ids = [lab["posting_id"] for lab in handwritten]
    assert len(ids) == len(set(ids))
    for lab in handwritten:
        assert set(LABEL_FIELDS) <= set(lab), lab["posting_id"]
        assert lab["field_code"] in taxonomy.codes("strategic_tech", "field")
        assert set(lab["competencies"]) <= codes, set(lab["competencies"]) - codes
        assert set(lab["required"]) | set(lab["preferred"]) == set(lab["competencies"])
        assert lab["education"] in {None, "ANY", *taxonomy.codes("degrees")}
        assert set(lab["majors"]) <= majors, lab["posting_id"]
        assert lab["employment_type"] in {None, "REGULAR", "CONTRACT", "INTERN", "DISPATCH"}
        assert lab["region"] in taxonomy.codes("regions")
        assert lab["company_type"] in {"LARGE", "MIDSIZE", "SME", "VENTURE"}


def test_handwritten_labels_refer_to_the_text(handwritten: list[dict]) -> None:
    """Most labels have a surface form in the text; the rest are paraphrases, typos and
    abbreviations the tagger has to get on its own (the reason this set exists)."""
    forms = surface_forms()
    hits = total = 0
    for lab in handwritten:
        flat = _key(_visible_text(HANDWRITTEN, lab))
        assert _key(lab["title"])[:8] in flat, lab["posting_id"]
        for code in lab["competencies"]:
            total += 1
            hits += any(_key(f) in flat for f in forms[code])
        if lab["has_pii"]:
            assert find_pii(_visible_text(HANDWRITTEN, lab)), lab["posting_id"]
    assert 0.75 <= hits / total < 1.0
    json.dumps(handwritten, ensure_ascii=False)
