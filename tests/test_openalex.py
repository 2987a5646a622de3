"""The OpenAlex loader on real API records (copied from ../shared/data/openalex) and on a
hand-made JSON-lines export in the API's exact format; then the map runs on what it returns."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from talentlib import openalex
from talentlib import workforce as wf

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "openalex" / "W2741809807.json"
LEGACY = FIXTURES / "openalex" / "W-api-response.json"
AUTHOR = FIXTURES / "openalex" / "A5023888391.json"
JSONL = FIXTURES / "openalex_works.jsonl"


def test_real_modern_work() -> None:
    r = openalex.read_openalex_works(REAL)
    pubs, auth = r.publications.valid, r.authorships.valid
    assert r.publications.n_quarantined == 0 and r.authorships.n_quarantined == 0
    w = pubs.row(0, named=True)
    assert w["work_id"] == "W2741809807" and w["publication_year"] == 2018
    assert w["cited_by_count"] == 962 and w["title"].startswith("The state of OA")
    assert w["topics"][0] == "scientometrics and bibliometrics research"
    # 9 authors, one row per author x institution (15), positions 1..9, prefixes stripped
    assert auth.height == 15 and auth["author_position"].n_unique() == 9
    assert sorted(auth["author_position"].unique().to_list()) == list(range(1, 10))
    assert auth["author_id"].str.starts_with("A").all()
    assert auth["institution_id"].str.starts_with("I").all()
    # the institution without country_code (Public Knowledge Project) takes the authorship's
    # single country; the empty institution_ids affiliation adds no row
    pkp = auth.filter(pl.col("institution_id") == "I4387153203")
    assert pkp["country_code"].to_list() == ["CA"]
    assert r.notes["country_from_authorship_countries"] == 1
    assert r.institutions.filter(pl.col("institution_id") == "I4387153203")[
        "country_code"
    ].to_list() == [None]
    b = wf.bibliometrics(pubs.with_columns(pl.lit("AI").alias("field_code")), auth)
    credit = dict(b.credit.select("country_code", "frac").iter_rows())
    assert credit == {"US": pytest.approx(5 / 9), "CA": pytest.approx(4 / 9)}


def test_legacy_shape_is_read_and_flagged() -> None:
    r = openalex.read_openalex_works(LEGACY)
    assert r.notes["legacy_records"] == 1
    w = r.publications.valid.row(0, named=True)
    assert w["work_id"] == "W2755950973" and w["title"].startswith("GW170104")  # display_name
    assert w["topics"] == ["Gravitational Wave Astronomy and Cosmology"]  # concepts never used
    assert r.authorships.valid["country_code"].to_list() == ["US"]


def test_a_record_that_is_not_a_work_is_rejected_clearly() -> None:
    with pytest.raises(ValueError, match="not OpenAlex works.*author record"):
        openalex.read_openalex_works(AUTHOR)


def test_handmade_jsonl_export(tmp_path: Path) -> None:
    r = openalex.read_openalex_works(JSONL)
    p, a = r.publications, r.authorships
    assert p.n_in == 5 and p.n_valid == 4 and p.n_quarantined == 1
    assert p.by_rule() == {"range": 1}  # publication_year 1850
    assert a.n_in == a.n_valid + a.n_quarantined and a.by_rule() == {"foreign_key": 1}
    assert r.notes["authors_truncated"] == 1 and r.notes["legacy_records"] == 0
    # an author without institutions keeps a row (null institution, country from 'countries')
    jung = a.valid.filter(pl.col("author_id") == "A9000000007").row(0, named=True)
    assert jung["institution_id"] is None and jung["country_code"] == "KR"
    works = wf.classify_publications(p.valid)
    got = dict(works.select("work_id", "tech_code").iter_rows())
    assert got == {
        "W9000000001": "SEMI-01",
        "W9000000002": "BATT-02",
        "W9000000003": "QUANT-01",
        "W9000000004": "QUANT-01",
    }
    b = wf.bibliometrics(works, a.valid)
    out = wf.country_output(b, unit="field_code")
    batt = dict(
        out.filter(pl.col("field_code") == "BATT").select("country_code", "papers_frac").iter_rows()
    )
    assert batt == {"KR": pytest.approx(0.75), "CN": pytest.approx(0.25)}
    moves = wf.author_mobility(b)
    assert moves.select("author_id", "from_country", "to_country").rows() == [
        ("A9000000008", "KR", "US")
    ]
    assert wf.global_indicators(b, min_joint=1)["korea_vs_leader_field"].height == 3
    # the same works as an API page (.json with results) and gzipped JSON lines
    page = {
        "meta": {"count": 5},
        "results": [json.loads(x) for x in JSONL.read_text(encoding="utf-8").splitlines()],
    }
    (tmp_path / "page.json").write_text(json.dumps(page), encoding="utf-8")
    (tmp_path / "works.jsonl.gz").write_bytes(gzip.compress(JSONL.read_bytes()))
    for path in (tmp_path / "page.json", tmp_path / "works.jsonl.gz"):
        again = openalex.read_openalex_works(path)
        assert again.publications.valid.equals(p.valid)
        assert again.authorships.valid.equals(a.valid)


def test_bad_scalars_are_quarantined_not_fatal(tmp_path: Path) -> None:
    lines = JSONL.read_text(encoding="utf-8").splitlines()
    w = json.loads(lines[0])
    w["cited_by_count"] = "many"
    w2 = json.loads(lines[2])
    w2["id"] = "https://openalex.org/W9000000001"  # duplicated id
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (w, w2)), encoding="utf-8")
    r = openalex.read_openalex_works(path)
    assert r.publications.n_in == 2 and r.publications.n_valid == 0
    assert {"type", "primary_key"} <= set(r.publications.by_rule())
    assert r.authorships.n_valid == 0 and r.authorships.n_quarantined == r.authorships.n_in
