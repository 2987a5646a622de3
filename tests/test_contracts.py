"""Tests for talentlib.contracts: loading, every validation rule, quarantine and PII safety."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentlib import contracts, io, taxonomy
from talentlib.contracts import ContractError, validate

REAL_DIR = Path(__file__).resolve().parents[1] / "talentlib" / "data_contracts"

TOY = """
dataset: toy
version: "1"
description: every kind of column and rule, small
primary_key: [toy_id]
unique: [[alt_key]]
foreign_keys:
  - {columns: [parent_id], references: {dataset: parents, columns: [parent_id]}}
columns:
  - {name: toy_id, type: str, nullable: false, pattern: "^t[0-9]+$"}
  - {name: alt_key, type: str, nullable: true}
  - {name: parent_id, type: str, nullable: true}
  - {name: color, type: str, nullable: false, allowed: {taxonomy: colors}}
  - {name: cat, type: str, nullable: true, allowed: {taxonomy: tree, level: 2}}
  - {name: size, type: str, nullable: true, allowed: [S, M, L]}
  - {name: count, type: int, nullable: false, min: 0, max: 100}
  - {name: score, type: float, nullable: true, min: 0, max: 1}
  - {name: since, type: date, nullable: true, min: "2000-01-01", max: "2024-12-31"}
  - {name: until, type: date, nullable: true}
  - {name: active, type: bool, nullable: true}
  - {name: tags, type: "list[str]", nullable: true}
  - {name: field, type: str, nullable: true}
  - {name: tech, type: str, nullable: true}
  - {name: note, type: str, nullable: true}
  - {name: link, type: str, nullable: true}
row_rules:
  - {rule: not_before, column: until, other: since, message: ends before it starts}
  - {rule: prefix_of, column: tech, other: field, message: tech outside its field}
  - {rule: one_of_required, columns: [note, link], message: needs a note or a link}
pii: default
"""

SPELLS = """
dataset: spells
version: "1"
primary_key: [spell_id]
columns:
  - {name: spell_id, type: str, nullable: false}
  - {name: person, type: str, nullable: false}
  - {name: employer, type: str, nullable: false}
  - {name: start, type: date, nullable: false}
  - {name: end, type: date, nullable: true}
row_rules:
  - {rule: not_before, column: end, other: start, message: spell ends before it starts}
dataset_rules:
  - {rule: no_overlap, by: [person, employer], start: start, end: end, message: overlapping spells}
pii: default
"""

PARENTS = """
dataset: parents
version: "1"
primary_key: [parent_id]
columns:
  - {name: parent_id, type: str, nullable: false}
"""

COLORS = """
name: colors
version: "t1"
codes:
  - {code: RED, ko: 빨강}
  - {code: BLUE, ko: 파랑}
"""

TREE = """
name: tree
version: "t1"
codes:
  - {code: "1", ko: 하나, level: 1}
  - {code: "11", ko: 하나하나, level: 2}
  - {code: "12", ko: 하나둘, level: 2}
"""

PHONE = "010-1234-5678"
EMAIL = "hong.gildong@example.co.kr"
RRN = "900101-1234567"
FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # the contracts folder is the same for all


def _clear_caches() -> None:
    taxonomy.load.cache_clear()
    taxonomy.codes.cache_clear()


@pytest.fixture()
def toy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "contracts"
    (d / "taxonomy").mkdir(parents=True)
    (d / "_pii.yaml").write_text((REAL_DIR / "_pii.yaml").read_text(encoding="utf-8"),
                                 encoding="utf-8")
    for name, text in {"toy": TOY, "spells": SPELLS, "parents": PARENTS}.items():
        (d / f"{name}.yaml").write_text(text, encoding="utf-8")
    (d / "taxonomy" / "colors.yaml").write_text(COLORS, encoding="utf-8")
    (d / "taxonomy" / "tree.yaml").write_text(TREE, encoding="utf-8")
    monkeypatch.setenv("TALENTLIB_CONTRACTS_DIR", str(d))
    _clear_caches()
    yield d
    _clear_caches()


def good(i: int, **changes: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "toy_id": f"t{i}", "alt_key": f"k{i}", "parent_id": "p1", "color": "RED", "cat": "11",
        "size": "M", "count": str(i % 100), "score": "0.5", "since": "2020-01-01",
        "until": "2021-01-01", "active": "true", "tags": "a|b", "field": "SEMI",
        "tech": "SEMI-01", "note": "정상 행", "link": None,
    }
    row.update(changes)
    return row


def frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    cols = list(rows[0])
    return pl.DataFrame(rows, schema={c: pl.String for c in cols}, orient="row")


def entries(result: contracts.ValidationResult) -> set[tuple[int, str, str]]:
    return {(r, c, rule) for r, c, rule in
            result.quarantine.select("row", "column", "rule").iter_rows()}


def assert_invariant(result: contracts.ValidationResult) -> None:
    assert result.n_in == result.n_valid + result.n_quarantined
    assert result.quarantine.schema == contracts.QUARANTINE_SCHEMA


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", contracts.list_contracts())
def test_real_contracts_load_and_taxonomies_resolve(name: str) -> None:
    c = contracts.load_contract(name)
    assert c.dataset == name
    assert list(c.polars_schema()) == c.column_names
    assert c.pii.forbidden_columns and c.pii.value_patterns
    for column, tax, level in c.taxonomy_refs():
        assert (taxonomy.taxonomy_dir() / f"{tax}.yaml").exists(), f"{name}.{column}: no {tax}"
        values = c.column(column).allowed_values()
        assert values, f"{name}.{column}: taxonomy {tax} level {level} has no codes"


def test_list_contracts_skips_private_files() -> None:
    names = contracts.list_contracts()
    assert "researchers" in names and "_pii" not in names


def test_polars_schema(toy_dir: Path) -> None:
    schema = contracts.load_contract("toy").polars_schema()
    assert schema["count"] == pl.Int64 and schema["since"] == pl.Date
    assert schema["tags"] == pl.List(pl.String) and schema["active"] == pl.Boolean


def test_unknown_dataset_names_known_ones(toy_dir: Path) -> None:
    with pytest.raises(ContractError, match="known datasets: parents, spells, toy"):
        contracts.load_contract("nope")


@pytest.mark.parametrize(
    ("snippet", "match"),
    [
        ("columns:\n  - {name: a, type: text}\n", "unknown type 'text'"),
        ("columns:\n  - {name: a, type: str}\nrow_rules:\n  - {rule: sometimes, column: a}\n",
         "unknown row rule 'sometimes'"),
        ("columns:\n  - {name: a, type: str}\nprimary_key: [b]\n", "names column 'b'"),
        ("columns:\n  - {name: a, type: str, allowed: [YES, NO]}\n", "quote it"),
        ("columns:\n  - {name: a, type: str, pattern: '(?<=x)a'}\n", "not a valid regex"),
        ("columns:\n  - {name: a, type: int, description: wage, KRW}\n", "unquoted comma"),
        ("columns:\n  - {name: a, type: int, nulable: false}\n", "unknown key"),
    ],
)
def test_bad_contract_yaml_is_explained(toy_dir: Path, snippet: str, match: str) -> None:
    (toy_dir / "broken.yaml").write_text("dataset: broken\nversion: '1'\n" + snippet)
    with pytest.raises(ContractError, match=match) as err:
        contracts.load_contract("broken")
    assert "broken.yaml" in str(err.value)


def test_unknown_taxonomy_is_a_contract_error(toy_dir: Path) -> None:
    (toy_dir / "odd.yaml").write_text(
        "dataset: odd\ncolumns:\n  - {name: a, type: str, allowed: {taxonomy: nowhere}}\n")
    with pytest.raises(ContractError, match="nowhere"):
        validate(pl.DataFrame({"a": ["x"]}), "odd")


def test_taxonomy_level_int_or_string(toy_dir: Path) -> None:
    c = contracts.load_contract("toy")
    assert c.column("cat").allowed_values() == ["11", "12"]
    r = validate(frame([good(1, cat="1"), good(2, cat="12")]), c)
    assert entries(r) == {(1, "cat", "allowed")}
    assert "taxonomy tree level 2" in r.quarantine["message"][0]


# --------------------------------------------------------------------------------------------
# Rules, one at a time
# --------------------------------------------------------------------------------------------


def test_good_rows_pass_typed_in_order(toy_dir: Path) -> None:
    df = frame([good(i) for i in (3, 1, 2)]).with_columns(pl.lit("x").alias("extra"))
    df = df.select(["extra", *reversed(df.columns[:-1])])  # shuffled column order
    r = validate(df, "toy", source="toy.csv")
    assert_invariant(r)
    assert r.n_valid == 3 and r.quarantine.height == 0
    assert r.valid.columns == contracts.load_contract("toy").column_names
    assert r.valid["toy_id"].to_list() == ["t3", "t1", "t2"]
    assert r.valid.schema == contracts.load_contract("toy").polars_schema()
    assert r.valid["tags"][0].to_list() == ["a", "b"]
    assert r.valid["since"][0] == dt.date(2020, 1, 1)
    assert any("extra" in w for w in r.warnings)


def test_type_rule(toy_dir: Path) -> None:
    rows = [good(1), good(2, count="abc"), good(3, since="2023-13-45"), good(4, score="x1"),
            good(5, active="maybe"), good(6, tags='["a", '), good(7, count="1,234")]
    r = validate(frame(rows), "toy")
    assert_invariant(r)
    assert entries(r) == {(2, "count", "type"), (3, "since", "type"), (4, "score", "type"),
                          (5, "active", "type"), (6, "tags", "type"), (7, "count", "range")}
    assert r.quarantine.filter(pl.col("row") == 2)["value"].to_list() == ["abc"]
    assert r.n_valid == 1


def test_number_formats(toy_dir: Path) -> None:
    rows = [good(1, count=" 7 "), good(2, count="8.0"), good(3, count="8.5"),
            good(4, score="1e-1"), good(5, score="inf"), good(6, count="+9")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(3, "count", "type"), (5, "score", "type")}
    assert r.valid["count"].to_list() == [7, 8, 4, 9]
    assert r.valid["score"].to_list() == [0.5, 0.5, 0.1, 0.5]


@pytest.mark.parametrize(
    "text", ["2023-01-05", "20230105", "2023.01.05", "2023/01/05", "2023. 1. 5.", "2023-1-5",
             "2023-01-05 00:00:00", "2023-01-05T00:00:00"]
)
def test_date_formats(toy_dir: Path, text: str) -> None:
    r = validate(frame([good(1, since=text, until=None)]), "toy")
    assert r.quarantine.height == 0, r.quarantine
    assert r.valid["since"][0] == dt.date(2023, 1, 5)


@pytest.mark.parametrize("text", ["2023-13-45", "20231345", "2023.02.30", "2023/01-05",
                                  "2023010", "05/01/2023", "2023-01-05 10:30:00"])
def test_bad_dates(toy_dir: Path, text: str) -> None:
    r = validate(frame([good(1, since=text, until=None)]), "toy")
    assert entries(r) == {(1, "since", "type")}


@given(st.dates(dt.date(2000, 1, 1), dt.date(2024, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%Y.%m.%d", "%Y/%m/%d"]))
@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
def test_date_formats_roundtrip(toy_dir: Path, day: dt.date, fmt: str) -> None:
    r = validate(frame([good(1, since=day.strftime(fmt), until=None)]), "toy")
    assert r.valid["since"].to_list() == [day]


def test_not_null_and_blank(toy_dir: Path) -> None:
    rows = [good(1, color=None), good(2, color="  "), good(3, count=""), good(4, size="")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "color", "not_null"), (2, "color", "not_null"),
                          (3, "count", "not_null")}
    assert r.valid["size"].to_list() == [None]  # a blank optional value becomes null


def test_allowed_list_and_taxonomy(toy_dir: Path) -> None:
    rows = [good(1, color="GREEN"), good(2, size="XL"), good(3, color="red")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "color", "allowed"), (2, "size", "allowed"),
                          (3, "color", "allowed")}
    msg = dict(zip(r.quarantine["row"], r.quarantine["message"], strict=True))
    assert "taxonomy colors" in msg[1] and "version t1" in msg[1]
    assert "S, M, L" in msg[2]


def test_pattern(toy_dir: Path) -> None:
    r = validate(frame([good(1), good(2, toy_id="x2")]), "toy")
    assert entries(r) == {(2, "toy_id", "pattern")}


def test_range_numbers_and_dates(toy_dir: Path) -> None:
    rows = [good(1, count="-1"), good(2, count="101"), good(3, count="100"),
            good(4, since="19991231", until=None), good(5, since="2025.01.01", until=None),
            good(6, score="1.5")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "count", "range"), (2, "count", "range"), (4, "since", "range"),
                          (5, "since", "range"), (6, "score", "range")}
    # a date that parsed is shown as it was written (not masked as a phone number)
    assert r.quarantine.filter(pl.col("row") == 4)["value"].to_list() == ["19991231"]


def test_primary_key_conflict_quarantines_all(toy_dir: Path) -> None:
    rows = [good(1), good(2), good(1, alt_key="k9", count="5"), good(3)]
    r = validate(frame(rows), "toy")
    assert_invariant(r)
    assert entries(r) == {(1, "toy_id", "primary_key"), (3, "toy_id", "primary_key")}
    assert r.valid["toy_id"].to_list() == ["t2", "t3"]


def test_duplicate_row_keeps_first(toy_dir: Path) -> None:
    rows = [good(1), good(2), good(1), good(1)]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(3, "*", "duplicate_row"), (4, "*", "duplicate_row")}
    assert "row 1" in r.quarantine["message"][0]
    assert r.valid["toy_id"].to_list() == ["t1", "t2"]


def test_duplicates_compare_typed_values(toy_dir: Path) -> None:
    rows = [good(1, since="2020-01-01"), good(1, since="20200101")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(2, "*", "duplicate_row")}


def test_unique(toy_dir: Path) -> None:
    rows = [good(1, alt_key="a"), good(2, alt_key="a"), good(3, alt_key=None),
            good(4, alt_key=None)]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "alt_key", "unique"), (2, "alt_key", "unique")}


def test_foreign_key(toy_dir: Path) -> None:
    rows = [good(1, parent_id="p1"), good(2, parent_id="p404"), good(3, parent_id=None)]
    parents = pl.DataFrame({"parent_id": ["p1", "p2"]})
    r = validate(frame(rows), "toy", references={"parents": parents})
    assert entries(r) == {(2, "parent_id", "foreign_key")}
    assert "parents.parent_id" in r.quarantine["message"][0]
    assert validate(frame(rows), "toy").quarantine.height == 0  # not checked without reference
    r = validate(frame(rows), "toy", references={"other": parents})
    assert any("not checked" in w for w in r.warnings)
    with pytest.raises(ContractError, match="lacks column"):
        validate(frame(rows), "toy", references={"parents": pl.DataFrame({"id": ["p1"]})})


def test_not_before(toy_dir: Path) -> None:
    rows = [good(1, since="2020-01-02", until="2020-01-01"), good(2, until=None),
            good(3, since=None, until="2020-01-01"), good(4, since="2020-01-01",
                                                           until="2020-01-01")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "until", "not_before")}
    assert "ends before it starts" in r.quarantine["message"][0]


def test_prefix_of(toy_dir: Path) -> None:
    rows = [good(1, tech="BATT-01"), good(2, tech="SEMIX-01"), good(3, tech="SEMI"),
            good(4, field=None)]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "tech", "prefix_of"), (2, "tech", "prefix_of"),
                          (3, "tech", "prefix_of")}


def test_one_of_required(toy_dir: Path) -> None:
    rows = [good(1, note=None, link=None), good(2, note="", link=" "), good(3, note=None,
                                                                          link="x.pdf")]
    r = validate(frame(rows), "toy")
    assert entries(r) == {(1, "note,link", "one_of_required"),
                          (2, "note,link", "one_of_required")}


def test_one_row_several_failures(toy_dir: Path) -> None:
    r = validate(frame([good(1, color="GREEN", count="abc", size="XL")]), "toy")
    assert entries(r) == {(1, "color", "allowed"), (1, "count", "type"),
                          (1, "size", "allowed")}
    assert r.n_quarantined == 1 and r.n_valid == 0
    assert_invariant(r)


def test_lists_from_json_and_typed(toy_dir: Path) -> None:
    rows = [good(1, tags='["x", "y z"]'), good(2, tags="solo"), good(3, tags=None)]
    r = validate(frame(rows), "toy")
    assert [v.to_list() if v is not None else None for v in r.valid["tags"]] == [
        ["x", "y z"], ["solo"], None]
    typed = frame([good(1)]).with_columns(pl.Series("tags", [["p", "q"]]))
    assert validate(typed, "toy").valid["tags"][0].to_list() == ["p", "q"]


def test_typed_input_frame(toy_dir: Path) -> None:
    df = frame([good(1), good(2), good(3)]).with_columns(
        pl.Series("count", [1, 2, 300], dtype=pl.Int32),
        pl.Series("since", [dt.date(2020, 1, 1), None, dt.date(2020, 1, 3)]),
        pl.Series("until", [20210101, 20210102, 20211399]),
        pl.Series("score", [0.1, float("nan"), 0.3]),
        pl.Series("active", [True, False, None]),
    )
    r = validate(df.lazy(), "toy")
    assert entries(r) == {(3, "count", "range"), (3, "until", "type")}
    assert r.valid["until"].to_list() == [dt.date(2021, 1, 1), dt.date(2021, 1, 2)]
    assert r.valid["score"].to_list() == [0.1, None]


# --------------------------------------------------------------------------------------------
# Overlap
# --------------------------------------------------------------------------------------------


def spells(rows: list[tuple[str, str, str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["spell_id", "person", "employer", "start", "end"],
                        orient="row")


def test_overlap_touching_open_and_groups(toy_dir: Path) -> None:
    df = spells([
        ("s1", "p1", "e1", "2020-01-01", "2020-03-31"),
        ("s2", "p1", "e1", "2020-03-31", "2020-06-30"),  # same-day touch: not an overlap
        ("s3", "p1", "e1", "2020-06-01", None),  # starts before s2 ends: overlap
        ("s4", "p1", "e1", "2021-01-01", "2021-02-01"),  # inside the open s3: overlap
        ("s5", "p1", "e2", "2020-02-01", "2020-05-01"),  # other employer: fine
        ("s6", "p2", "e1", "2020-01-01", None),  # other person: fine
    ])
    r = validate(df, "spells")
    assert_invariant(r)
    assert entries(r) == {(3, "start,end", "overlap"), (4, "start,end", "overlap")}
    assert r.quarantine["value"].to_list() == ["2020-06-01,open", "2021-01-01,2021-02-01"]
    assert "overlapping spells" in r.quarantine["message"][0]


def test_overlap_flags_the_later_starting_row_not_the_later_line(toy_dir: Path) -> None:
    df = spells([
        ("s1", "p1", "e1", "2021-01-01", "2021-12-31"),
        ("s2", "p1", "e1", "2020-01-01", "2021-06-30"),
        ("s3", "p1", "e1", "2019-01-01", "2019-02-01"),
        ("s4", "p1", "e1", "2019-01-01", "2019-03-01"),  # same start as s3: the later line
    ])
    r = validate(df, "spells")
    assert entries(r) == {(1, "start,end", "overlap"), (4, "start,end", "overlap")}


def test_overlap_ignores_rows_that_fail_other_rules(toy_dir: Path) -> None:
    df = spells([
        ("s1", "p1", "e1", "2020-01-01", "2020-13-45"),  # bad end: not read as open
        ("s2", "p1", "e1", "2020-05-01", "2020-06-01"),
        ("s3", "p2", "e1", "2020-01-01", "2020-12-31"),
        ("s3", "p2", "e1", "2020-01-01", "2020-12-31"),  # duplicate of the line above
        ("s5", "p3", "e1", "2020-05-01", "2019-01-01"),  # ends before it starts
        ("s6", "p3", "e1", "2019-06-01", "2019-07-01"),
    ])
    r = validate(df, "spells")
    assert entries(r) == {(1, "end", "type"), (4, "*", "duplicate_row"),
                          (5, "end", "not_before")}


def test_overlap_many_groups(toy_dir: Path) -> None:
    rows = []
    for p in range(50):
        rows += [(f"a{p}", f"p{p}", "e", "2020-01-01", "2020-06-01"),
                 (f"b{p}", f"p{p}", "e", "2020-06-01", None)]
    rows.append(("c", "p7", "e", "2020-05-31", "2020-06-02"))
    r = validate(spells(rows), "spells")
    # c overlaps a7 (which starts before it), and b7 overlaps c (which starts before b7)
    assert entries(r) == {(16, "start,end", "overlap"), (101, "start,end", "overlap")}


# --------------------------------------------------------------------------------------------
# PII
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["name", "Email", "PHONE_NUMBER", "성명", " 주민등록번호 ",
                                    "phone number"])
def test_forbidden_column_raises(toy_dir: Path, column: str) -> None:
    df = frame([good(1)]).with_columns(pl.lit("secret").alias(column))
    with pytest.raises(ContractError) as err:
        validate(df, "toy", source="people.csv")
    msg = str(err.value)
    assert repr(column) in msg and "people.csv" in msg and "toy" in msg
    assert "secret" not in msg
    assert err.value.rule == "pii_column" and err.value.column == column


def test_pii_values_are_quarantined_and_masked(toy_dir: Path) -> None:
    rows = [good(1, note=f"문의 {PHONE}"), good(2, link=EMAIL), good(3, note=f"주민 {RRN}"),
            good(4, count=PHONE), good(5, toy_id=RRN), good(6, field="0212345678"),
            good(7, note="2020년 매출 1800-2400만원, 전화 없음")]
    r = validate(frame(rows), "toy")
    assert_invariant(r)
    got = entries(r)
    assert {(1, "note", "pii_value"), (2, "link", "pii_value"), (3, "note", "pii_value"),
            (4, "count", "type"), (5, "toy_id", "pattern")} <= got
    assert not any(row == 7 for row, _, _ in got)
    dumped = r.quarantine.write_csv()
    for secret in (PHONE, EMAIL, RRN, "1234-5678", "0212345678", "1234567"):
        assert secret not in dumped
    values = dict(zip(r.quarantine["row"], r.quarantine["value"], strict=False))
    assert values[1] == "[masked:phone]" and values[2] == "[masked:email]"
    assert values[3] == "[masked:rrn]" and values[4] == "[masked:phone]"


def test_every_quarantine_value_is_masked_whatever_its_rule(toy_dir: Path) -> None:
    # alt_key (unique) and parent_id (foreign key) have no pattern: their values passed every
    # check of their own and used to be shown as they were in key and foreign-key entries.
    rows = [good(1, alt_key=PHONE), good(2, alt_key=PHONE), good(3, toy_id=RRN),
            good(4, toy_id=RRN, count="7"), good(5, parent_id="010-9876-5432"),
            good(6, field="SEMI", tech="02)123-4567"), good(7, count="담당자 홍길동"),
            good(8, alt_key="담당자: 김민수"), good(9, alt_key="담당자: 김민수", count="9")]
    r = validate(frame(rows), "toy", references={"parents": pl.DataFrame({"parent_id": ["p1"]})})
    assert_invariant(r)
    got = entries(r)
    assert {(1, "alt_key", "unique"), (2, "alt_key", "unique"), (3, "toy_id", "pattern"),
            (3, "toy_id", "primary_key"), (4, "toy_id", "primary_key"),
            (5, "parent_id", "foreign_key"), (6, "tech", "prefix_of"), (7, "count", "type"),
            (8, "alt_key", "unique"), (9, "alt_key", "unique")} <= got
    values = {(row, rule): v for row, rule, v in
              r.quarantine.select("row", "rule", "value").iter_rows()}
    assert values[(1, "unique")] == values[(2, "unique")] == "[masked:phone]"
    assert values[(3, "pattern")] == values[(4, "primary_key")] == "[masked:rrn]"
    assert values[(5, "foreign_key")] == values[(6, "prefix_of")] == "[masked:phone]"
    assert values[(7, "type")] == values[(8, "unique")] == "[masked:name]"
    dumped = r.quarantine.write_csv()
    for secret in (PHONE, RRN, "9876-5432", "123-4567", "홍길동", "김민수"):
        assert secret not in dumped


def test_a_number_in_a_real_id_column_fails_its_pattern_and_is_masked() -> None:
    rows = {"posting_id": [PHONE, "9001011234567", "JP000001", "posting-0123456789ab"],
            "source": ["site"] * 4, "posted_on": ["2024-01-02"] * 4, "file_type": ["txt"] * 4,
            "text": ["x"] * 4}
    r = validate(pl.DataFrame(rows), "job_postings")
    assert entries(r) == {(1, "posting_id", "pattern"), (2, "posting_id", "pattern")}
    assert r.quarantine["value"].to_list() == ["[masked:phone]", "[masked:rrn]"]
    assert r.valid["posting_id"].to_list() == ["JP000001", "posting-0123456789ab"]


# The forms the synthetic generator (talentlib/synth) and the readers (openalex, postings
# ingest) write into id columns; every real contract's id column must accept its own form and
# refuse a phone number, an RRN, an e-mail address or a name.
ID_EXAMPLES = {
    "hex": "51d261e7221097da",
    "W": "W4000004322",
    "A": "A5000004987",
    "I": "I100000040",
    "safe": ["JP000001", "CO00007", "HW01", "P000123", "posting-0123456789ab", "채용공고_반도체"],
}
NOT_IDS = [PHONE, "01012345678", RRN, "9001011234567", EMAIL, "홍길동 010-1234-5678"]


def _id_columns(c: contracts.Contract) -> list[contracts.Column]:
    keys = set(c.primary_key).union(*c.unique_sets(), *(fk.columns for fk in c.foreign_keys))
    return [col for col in c.columns if col.type == "str" and col.allowed is None
            and (col.name.endswith("_id") or col.name in keys)]


@pytest.mark.parametrize("name", contracts.list_contracts())
def test_real_id_columns_have_patterns_that_refuse_pii(name: str) -> None:
    c = contracts.load_contract(name)
    for col in _id_columns(c):
        assert col.pattern is not None, f"{name}.{col.name} has no pattern"
        examples = [v for group in ID_EXAMPLES.values()
                    for v in (group if isinstance(group, list) else [group])]
        assert any(re.search(col.pattern, v) for v in examples), f"{name}.{col.name}"
        for v in NOT_IDS:
            assert not re.search(col.pattern, v), f"{name}.{col.name} accepts {v!r}"


def test_identifier_columns_are_not_scanned_for_pii(toy_dir: Path) -> None:
    # OpenAlex-like ids look like phone numbers to a regex; identifiers are exempt.
    r = validate(frame([good(1, alt_key="W1975264925", parent_id="I2102345678")]), "toy")
    assert r.quarantine.height == 0


# --------------------------------------------------------------------------------------------
# Errors, result, invariant
# --------------------------------------------------------------------------------------------


def test_missing_column_raises_with_file_dataset_column(toy_dir: Path) -> None:
    df = frame([good(1)]).drop("color")
    with pytest.raises(ContractError) as err:
        validate(df, "toy", source="data/toy.csv")
    msg = str(err.value)
    assert "data/toy.csv" in msg and "'toy'" in msg and "color" in msg
    assert err.value.rule == "missing_column"


def test_missing_column_hints_at_delimiter(toy_dir: Path) -> None:
    df = pl.DataFrame({"toy_id;color;count": ["t1;RED;1"]})
    with pytest.raises(ContractError, match="delimiter"):
        validate(df, "toy")


def test_header_spaces_are_trimmed(toy_dir: Path) -> None:
    df = frame([good(1)]).rename({"color": " color ", "toy_id": "\ufefftoy_id"})
    r = validate(df, "toy")
    assert r.n_valid == 1 and any("trimmed" in w for w in r.warnings)


def test_optional_column_absent_is_filled(toy_dir: Path) -> None:
    r = validate(frame([good(1)]).drop("size", "tags"), "toy")
    assert r.n_valid == 1 and r.valid["size"].to_list() == [None]
    assert any("size" in w for w in r.warnings)


def test_summary_and_str(toy_dir: Path) -> None:
    r = validate(frame([good(1), good(2, count="x")]), "toy", source="toy.csv")
    s = r.summary()
    assert (s["n_in"], s["n_valid"], s["n_quarantined"]) == (2, 1, 1)
    assert s["by_rule"] == {"type": 1} and s["dataset"] == "toy"
    assert str(r).startswith("toy (toy.csv): 2 in / 1 valid / 1 quarantined")


def test_empty_frame(toy_dir: Path) -> None:
    df = pl.DataFrame(schema={c: pl.String for c in good(0)})
    r = validate(df, "toy")
    assert (r.n_in, r.n_valid, r.n_quarantined) == (0, 0, 0)


def test_write_quarantine(toy_dir: Path, tmp_path: Path) -> None:
    r = validate(frame([good(1, note="한글 메모", count="x")]), "toy")
    csv = io.write_quarantine(r, tmp_path / "q" / "quarantine.csv")
    raw = csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"cannot read" in raw
    back = pl.read_csv(csv)
    assert back["rule"].to_list() == ["type"]
    pq = io.write_quarantine(r, tmp_path / "q" / "quarantine.parquet")
    assert pl.read_parquet(pq).equals(r.quarantine)
    with pytest.raises(ValueError, match="csv or .parquet"):
        io.write_quarantine(r, tmp_path / "q.xlsx")


MUTATIONS = {
    "ok": ({}, None),
    "bad_int": ({"count": "abc"}, "type"),
    "out_of_range": ({"count": "101"}, "range"),
    "bad_code": ({"color": "GREEN"}, "allowed"),
    "null_code": ({"color": None}, "not_null"),
    "bad_date": ({"since": "2023-13-45"}, "type"),
    "pii": ({"note": f"연락 {PHONE}"}, "pii_value"),
    "prefix": ({"tech": "BIO-01"}, "prefix_of"),
    "no_text": ({"note": None, "link": None}, "one_of_required"),
    "order": ({"since": "2022-01-01", "until": "2021-01-01"}, "not_before"),
    "bad_id": ({"toy_id": "zz"}, "pattern"),
}


@given(st.lists(st.sampled_from(sorted(MUTATIONS)), max_size=40),
       st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%Y.%m.%d"]))
@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
def test_invariant_random_good_and_bad_rows(toy_dir: Path, kinds: list[str], fmt: str) -> None:
    rows = []
    for i, kind in enumerate(kinds, start=1):
        row = good(i, since=dt.date(2020, 1, 1).strftime(fmt))
        row.update(MUTATIONS[kind][0])
        if kind == "bad_id":
            row["toy_id"] = f"zz{i}"
        rows.append(row)
    if not rows:
        rows_df = pl.DataFrame(schema={c: pl.String for c in good(0)})
    else:
        rows_df = frame(rows)
    r = validate(rows_df, "toy")
    assert_invariant(r)
    expected_bad = {i for i, k in enumerate(kinds, start=1) if k != "ok"}
    assert set(r.quarantine["row"].to_list()) == expected_bad
    for i, k in enumerate(kinds, start=1):
        if k != "ok":
            rules = set(r.quarantine.filter(pl.col("row") == i)["rule"].to_list())
            assert MUTATIONS[k][1] in rules
    assert r.valid["toy_id"].to_list() == [f"t{i}" for i in range(1, len(kinds) + 1)
                                           if kinds[i - 1] == "ok"]
    assert PHONE not in r.quarantine.write_csv()


# --------------------------------------------------------------------------------------------
# Rows the reader could not split, messages about duplicates and headers (issue 14)
# --------------------------------------------------------------------------------------------


def test_duplicate_row_message_says_whether_the_first_copy_is_kept(toy_dir: Path) -> None:
    # t1 is copied exactly; t2 is copied too, but a third t2 row differs: the key clash
    # quarantines every t2 row, the first copy included.
    rows = [good(1), good(1), good(2), good(2), good(2, count="7")]
    r = validate(frame(rows), "toy")
    assert_invariant(r)
    dup = r.quarantine.filter(pl.col("rule") == "duplicate_row")
    assert dup.select("row", "message").rows() == [
        (2, "exact copy of row 1, which is kept"),
        (4, "exact copy of row 3, which is quarantined too (see its entries)")]
    assert r.valid["toy_id"].to_list() == ["t1"]


def test_rejected_rows_count_and_keep_the_other_row_numbers(toy_dir: Path) -> None:
    rejected = pl.DataFrame(
        {"row": [2, 4], "column": ["*", "*"], "value": ["t2,RED", None],
         "rule": ["ragged_row", "ragged_row"], "message": ["line 3 …", "line 5 …"]},
        schema=contracts.QUARANTINE_SCHEMA)
    rows = [good(1), good(3, count="-1"), good(5)]  # file rows 1, 3 and 5
    r = validate(frame(rows), "toy", rejected=rejected)
    assert_invariant(r)
    assert r.n_in == 5 and r.n_valid == 2 and r.n_quarantined == 3
    assert r.quarantine.select("row", "rule").rows() == [
        (2, "ragged_row"), (3, "range"), (4, "ragged_row")]
    assert r.by_rule() == {"ragged_row": 2, "range": 1}


def test_missing_header_is_said_without_echoing_the_row(toy_dir: Path) -> None:
    df = pl.DataFrame({"t1": ["t2"], "홍길동": ["김철수"], PHONE: ["010-9999-8888"]})
    with pytest.raises(ContractError) as err:
        validate(df, "toy", source="export.csv")
    msg = str(err.value)
    assert "export.csv" in msg and "header missing" in msg and "toy_id" in msg
    assert "홍길동" not in msg and PHONE not in msg and "t1" not in msg
    assert err.value.rule == "missing_column"


def test_header_names_in_messages_are_masked_and_short(toy_dir: Path) -> None:
    df = frame([good(1)]).drop("color")
    df = pl.concat([pl.DataFrame({"y" * 1000: ["x"], f"memo {RRN}": ["x"]}), df],
                   how="horizontal")
    with pytest.raises(ContractError) as err:
        validate(df, "toy")
    msg = str(err.value)
    assert "color" in msg and RRN not in msg and "1,000 characters" in msg and len(msg) < 1000


def test_excerpt_masks_and_shortens() -> None:
    assert contracts.excerpt("짧은 값") == "짧은 값"
    assert contracts.excerpt(f"연락처 {PHONE}") == "연락처 [전화번호]"
    long = contracts.excerpt("가" * 75 + RRN, limit=80)  # the RRN straddles the cut
    assert RRN[:6] not in long and long.endswith("(89 characters)")
    assert contracts.excerpt("a\nb") == "a⏎b"


def test_bounds_follow_the_run_date_so_current_records_pass() -> None:
    """`today` / `this_year` bounds are read on the run date: a spell that started this month
    or a paper of this year is valid, one from the far future is not."""
    import datetime as dt

    from talentlib import contracts as tc
    from talentlib.contracts.load import parse_bound

    c = tc.load_contract("employment_spells")
    acquired = next(col for col in c.columns if col.name == "acquired_on")
    assert acquired.max == dt.date.today()
    pubs = tc.load_contract("publications")
    year = next(col for col in pubs.columns if col.name == "publication_year")
    assert year.max == dt.date.today().year + 1
    assert parse_bound("this_year-15", "int") == dt.date.today().year - 15
    with pytest.raises(ValueError, match="'today' bounds a date column"):
        parse_bound("today", "int")
