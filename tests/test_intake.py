"""Register intake: real exports (Korean headers and labels, old code vintages) through a mapping
file to contract-valid frames, nothing lost, the input never written."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest

from talentlib import cli, contracts, datasets, intake, taxonomy

TODAY = dt.date.today()
RECENT = TODAY - dt.timedelta(days=20)  # a record of this year (2026 on the day this was written)
EXAMPLES = Path(__file__).resolve().parents[1] / "talentlib" / "data_contracts" / "intake"

EI_MAPPING = """\
dataset: employment_spells
file: 고용보험_자격이력.csv
columns:
  spell_id: 자격이력번호
  ei_person_id: 가명피보험자번호
  employer_id: 가명사업장번호
  ksic:
    from: 업종코드
    zfill: 5
    vintage_by_date:
      column: acquired_on
      starts: {"9": 2008-02-01, "10": 2017-07-01, "11": 2024-07-01}
  occupation: {from: 직종코드, vintage: "2018"}
  employer_type: {from: 사업장유형, labels: ko}
  firm_size: {from: 규모, labels: ko, unmapped: quarantine}
  region: 지역코드
  acquired_on: {from: 취득일, date_format: ["%Y%m%d", "%Y.%m.%d"]}
  lost_on: {from: 상실일, date_format: ["%Y%m%d", "%Y.%m.%d"]}
  loss_reason: 상실사유
  wage_monthly: 보수월액
"""

HEADER = ["자격이력번호", "가명피보험자번호", "가명사업장번호", "업종코드", "직종코드", "사업장유형",
          "규모", "지역코드", "취득일", "상실일", "상실사유", "보수월액", "비고"]


def _hex(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()[:16]


def _ei_rows() -> list[tuple[list[str], str]]:
    """(raw row, what should become of it)."""
    r = RECENT.strftime("%Y%m%d")

    def row(i: int, ksic: str, acquired: str, lost: str = "", firm: str = "30~99인",
            wage: str = "3500000", occ: str = "1320") -> list[str]:
        return [_hex(i), _hex(1000 + i), _hex(2000 + i), ksic, occ, "대기업", firm, "11",
                acquired, lost, "11" if lost else "", wage, "메모"]

    return [
        (row(1, "69110", "20100302", "20160131"), "valid:76110"),  # KSIC 9 임대업 → 76
        (row(2, "26111", "2019.05.01"), "valid:26111"),  # KSIC 10, same code
        (row(3, "28202", "20240901"), "valid:28202"),  # KSIC 11 already
        (row(4, "28202", "20180101", "20200101"), "crosswalk"),  # KSIC 10 축전지: split
        (row(5, "1110", "20200101", "20210101"), "valid:01110"),  # leading zero lost
        (row(6, "26111", "20200101", firm="이상한규모"), "unmapped_value"),
        (row(7, "26111", "20211345"), "date_format"),  # no 13th month
        (row(8, "26111", "20200101", wage="-5"), "range"),  # passes intake, fails contract
        (row(9, "31311", "20190101"), "crosswalk"),  # KSIC 10 3131: no mapping known
        (row(10, "34011", "20100101", "20120101"), "crosswalk"),  # no division 34 in KSIC 9
        (row(11, "26112", "2025.03.02"), "valid:26112"),  # a 2025 record
        (row(12, "26112", r), "valid:26112"),  # a record of this year
        (row(13, "26112", "19990101"), "crosswalk"),  # before the first revision in starts
    ]


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "cp949"
               ) -> Path:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture()
def ei_folder(tmp_path: Path) -> Path:
    """A data folder as a real extract arrives: a CP949 CSV with Korean headers, and the mapping
    beside it in intake/."""
    folder = tmp_path / "ei"
    (folder / "intake").mkdir(parents=True)
    _write_csv(folder / "고용보험_자격이력.csv", HEADER, [r for r, _ in _ei_rows()])
    (folder / "intake" / "employment_spells.yaml").write_text(EI_MAPPING, encoding="utf-8")
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _expect() -> dict[int, str]:
    return {i: what for i, (_, what) in enumerate(_ei_rows(), start=1)}


# --------------------------------------------------------------------------------------------
# The route: file → mapping → contract
# --------------------------------------------------------------------------------------------


def test_ei_export_comes_out_contract_valid_and_nothing_is_lost(ei_folder: Path) -> None:
    before = _hashes(ei_folder)
    res = intake.read(ei_folder / "고용보험_자격이력.csv",
                      ei_folder / "intake" / "employment_spells.yaml")
    rep, val = res.report, res.validation
    assert val is not None
    expect = _expect()
    n_valid = sum(w.startswith("valid") for w in expect.values())
    n_intake_bad = sum(w in intake.RULES for w in expect.values())

    # counts add up at both stages
    assert rep.n_in == len(expect) == rep.n_mapped + rep.n_quarantined
    assert rep.n_quarantined == n_intake_bad
    assert val.n_in == len(expect) == val.n_valid + val.n_quarantined
    assert val.n_valid == n_valid and rep.n_valid == n_valid
    assert rep.n_invalid == val.n_quarantined - rep.n_quarantined == 1

    # each row where it should be, under its file row number, with its reason
    q = val.quarantine
    for row, what in expect.items():
        rules = set(q.filter(pl.col("row") == row)["rule"])
        if what.startswith("valid"):
            assert not rules, (row, q.filter(pl.col("row") == row).to_dicts())
        else:
            assert what in rules, (row, what, rules)
    msg = q.filter(pl.col("row") == 4)["message"][0]
    assert "업종코드 → ksic" in msg and "28202 split into 28202, 28209" in msg
    assert "choose" in msg
    assert "division 34" in q.filter(pl.col("row") == 10)["message"][0]
    assert "before 2008-02-01" in q.filter(pl.col("row") == 13)["message"][0]
    bad_firm = q.filter(pl.col("row") == 6)
    assert bad_firm["column"][0] == "firm_size" and bad_firm["value"][0] == "이상한규모"
    assert "employment_spells.yaml, line 15, key columns.firm_size" in bad_firm["message"][0]

    # the valid rows carry current codes, English columns, typed values
    v = val.valid
    assert v.columns == contracts.load_contract("employment_spells").column_names
    got = dict(zip(v["spell_id"], v["ksic"], strict=True))
    for row, what in expect.items():
        if what.startswith("valid"):
            assert got[_hex(row)] == what.split(":")[1]
    assert v.schema["acquired_on"] == pl.Date and RECENT in v["acquired_on"].to_list()
    assert set(v["firm_size"]) == {"S30_99"} and set(v["employer_type"]) == {"LARGE"}
    # contract-valid: validating the valid frame again quarantines nothing
    again = contracts.validate(v, "employment_spells")
    assert again.n_quarantined == 0 and again.n_valid == v.height

    # the report says how codes were brought to the current revision
    codes = rep.codes.filter(pl.col("column") == "ksic")
    rent = codes.filter(pl.col("code") == "69110").row(0, named=True)
    assert (rent["vintage"], rent["current"], rent["status"], rent["provenance"],
            rent["level"]) == ("9", "76110", "mapped", "official", 2)
    # every row's code was looked up once, but rows 7 and 13, whose date tells no revision
    assert codes["n_rows"].sum() == rep.n_in - 2
    occ = rep.codes.filter(pl.col("column") == "occupation")
    assert set(occ["provenance"]) == {"official"} and set(occ["level"]) == {2}
    assert "비고" in rep.dropped_columns
    assert any("quarantined" in line for line in rep.lines())
    assert _hashes(ei_folder) == before


def test_talent_validate_with_mapping(ei_folder: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    before = _hashes(ei_folder)
    qfile = tmp_path / "out" / "q.csv"
    rc = cli.main(["validate", "employment_spells", str(ei_folder / "고용보험_자격이력.csv"),
                   "--mapping", str(ei_folder / "intake" / "employment_spells.yaml"),
                   "--quarantine", str(qfile)])
    out = capsys.readouterr().out
    assert rc == 0
    expect = _expect()
    n_valid = sum(w.startswith("valid") for w in expect.values())
    assert (f"in {len(expect)} / valid {n_valid} / quarantined {len(expect) - n_valid}"
            in out)
    assert "intake (" in out and "mapped" in out
    q = pl.read_csv(qfile, encoding="utf8-lossy", schema_overrides={"value": pl.String})
    assert q["row"].n_unique() == len(expect) - n_valid
    assert {"crosswalk", "unmapped_value", "date_format", "range"} <= set(q["rule"])
    assert _hashes(ei_folder) == before


def test_load_folder_picks_up_the_mapping(ei_folder: Path) -> None:
    before = _hashes(ei_folder)
    assert "employment_spells" in datasets.present(ei_folder)
    assert datasets.dataset_file(ei_folder, "employment_spells") == (
        ei_folder / "고용보험_자격이력.csv")
    folder = datasets.load_folder(ei_folder, ["employment_spells"])
    res = folder.results["employment_spells"]
    assert res.n_in == len(_expect()) == res.n_valid + res.n_quarantined
    assert any(w.startswith("intake (") for w in res.warnings)
    # the quality table names the export that was read, not the contract's file name
    q = folder.quality().row(0, named=True)
    assert q["dataset"] == "employment_spells" and q["file"] == "고용보험_자격이력.csv"
    assert q["n_in"] == res.n_in
    assert _hashes(ei_folder) == before


def test_iris_researchers_with_korean_labels(tmp_path: Path) -> None:
    mapping = tmp_path / "iris.yaml"
    mapping.write_text(
        "dataset: researchers\n"
        "columns:\n"
        "  researcher_id: 연구자번호\n"
        "  birth_year: 출생연도\n"
        "  sex: {from: 성별, values: {남: M, 여: F}, unmapped: quarantine}\n"
        "  degree: {from: 최종학위, labels: ko}\n"
        "  degree_year: 학위취득연도\n"
        "  institution_type: {from: 기관유형, labels: ko, values: {대학교: UNIV}}\n"
        "  region: {from: 지역, values: {서울: '11', 대전: '30'}}\n", encoding="utf-8")
    raw = pl.DataFrame({
        "연구자번호": [_hex(i) for i in range(4)],
        "출생연도": ["1980", "1975", "1990", "1985"],
        "성별": ["남", "여 ", "X", "여"],
        "최종학위": ["박사", "석사", "학사", "박사"],
        "학위취득연도": ["2010", "2005", "", str(TODAY.year)],
        "기관유형": ["대학교", "출연연", "대학", "중소기업"],
        "지역": ["서울", "대전", "서울", "대전"],
    })
    res = intake.apply(raw, mapping, source="iris.csv")
    assert res.report.n_in == 4 == res.report.n_mapped + res.report.n_quarantined
    assert res.quarantine.select("row", "column", "rule").rows() == [(3, "sex", "unmapped_value")]
    val = contracts.validate(res.frame, "researchers", rejected=res.quarantine)
    assert val.n_in == 4 and val.n_valid == 3 and val.n_quarantined == 1
    assert val.valid["sex"].to_list() == ["M", "F", "F"]
    assert val.valid["degree"].to_list() == ["PHD", "MASTER", "PHD"]
    assert val.valid["institution_type"].to_list() == ["UNIV", "GRI", "SME"]
    assert val.valid["region"].to_list() == ["11", "30", "30"]
    assert val.valid["degree_year"].to_list()[-1] == TODAY.year  # this year's degree is fine


# --------------------------------------------------------------------------------------------
# Bad mapping files: the error names the file, the key and its line
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "line", "key"), [
    ("dataset: employment_spells\ncolumns:\n  spell_id: a\n  ksicc: b\n", 4, "columns.ksicc"),
    ("dataset: employment_spells\ncolumns:\n  spell_id: a\n  ksic: {from: b, vintag: '9'}\n",
     4, "columns.ksic.vintag"),
    ("dataset: employment_spells\ncolumns:\n  spell_id: a\n  occupation:\n    from: b\n"
     "    vintage: '2007'\n", 6, "columns.occupation.vintage"),
    ("dataset: employment_spells\ncolumns:\n  acquired_on: {from: b, date_format: YYYYMMDD}\n",
     3, "columns.acquired_on.date_format"),
    ("dataset: employment_spell\ncolumns:\n  spell_id: a\n", 1, "dataset"),
    ("dataset: researchers\ncolumns:\n  sex: {from: 성별, values: {남: M, 여: no}}\n", 3,
     "columns.sex.values"),
])
def test_bad_mapping_names_file_key_and_line(tmp_path: Path, text: str, line: int,
                                             key: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(intake.MappingError) as e:
        intake.load_mapping(path)
    assert f"mapping {path}, line {line}, key {key}:" in str(e.value)


def test_invalid_yaml_and_missing_raw_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("dataset: researchers\ncolumns:\n  sex: {from: 성별\n", encoding="utf-8")
    with pytest.raises(intake.MappingError, match=r"broken\.yaml, line \d+: not valid YAML"):
        intake.load_mapping(path)
    path.write_text("dataset: researchers\ncolumns:\n  researcher_id: 연구자번호\n"
                    "  sex: 성별\n", encoding="utf-8")
    raw = pl.DataFrame({"연구자번호": [_hex(1)], "gender": ["M"]})
    with pytest.raises(intake.MappingError,
                       match=r"line 4, key columns\.sex: x\.csv has no column '성별'"):
        intake.apply(raw, path, source="x.csv")


def test_cli_bad_mapping_is_one_line(ei_folder: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EI_MAPPING.replace('vintage: "2018"', 'vintage: "2007"'), encoding="utf-8")
    rc = cli.main(["validate", "employment_spells", str(ei_folder / "고용보험_자격이력.csv"),
                   "--mapping", str(bad), "--quarantine", str(tmp_path / "q.csv")])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and len(err.splitlines()) == 1
    assert f"{bad}, line 13, key columns.occupation.vintage" in err and "KECO" in err
    assert not (tmp_path / "q.csv").exists()


# --------------------------------------------------------------------------------------------
# Crosswalks as data
# --------------------------------------------------------------------------------------------


def test_crosswalk_files_are_well_formed() -> None:
    found = {cw.name: cw for cw in intake.crosswalks()}
    assert {"ksic_crosswalk_9_to_10", "ksic_crosswalk_10_to_11",
            "keco_crosswalk_2018_to_2025"} <= set(found)
    for cw in found.values():
        data = taxonomy.load(cw.name)
        assert data["name"] == cw.name and data["source"].strip() and data["version"]
        for row in cw.rows.values():
            assert row.provenance in intake.PROVENANCE and row.level >= 1
            assert len(row.source) == row.level or not row.source.isdigit()
            if row.target is None or isinstance(row.target, tuple):
                assert row.note, row  # a split or a missing mapping says why
    # every target of the last step is a current code at its level
    for cw in found.values():
        if cw.taxonomy is None:
            continue
        for row in cw.rows.values():
            targets = (() if row.target is None else
                       row.target if isinstance(row.target, tuple) else (row.target,))
            assert set(targets) <= taxonomy.codes(cw.taxonomy, row.level), row


def test_chains_and_translations() -> None:
    assert [c.name for c in intake.crosswalk_chain("industry", "9")] == [
        "ksic_crosswalk_9_to_10", "ksic_crosswalk_10_to_11"]
    assert intake.crosswalk_chain("industry", "11") == []
    with pytest.raises(KeyError, match="KECO crosswalk from revision '2007'"):
        intake.crosswalk_chain("occupation", "2007")
    current = taxonomy.codes("industry", 5)
    chain = intake.crosswalk_chain("industry", "10")
    t = intake.translate("28202", chain, level=5, current=current)
    assert (t.code, t.status) == (None, "split")
    t = intake.translate("28202", chain, level=5, current=current, choose={"28202": "28209"})
    assert (t.code, t.status, t.provenance) == ("28209", "chosen", "mapping")
    t = intake.translate("99999", chain, level=5, current=current)
    assert t.status == "not_current" and "not a KSIC 11 code" in t.reason


# --------------------------------------------------------------------------------------------
# Dates and years: current extracts are never out of range
# --------------------------------------------------------------------------------------------


def test_no_contract_rejects_a_2025_or_current_record() -> None:
    """Event dates and years reach at least the run date (bounds are relative, read on the run
    date); only birth years keep a fixed distance from it."""
    for name in contracts.list_contracts():
        c = contracts.load_contract(name)
        for col in c.columns:
            if col.type == "date":
                assert col.min is None or col.min <= dt.date(2025, 1, 1), (name, col.name)
                assert col.max is None or col.max >= TODAY, (name, col.name)
            elif col.type == "int" and col.name.endswith("year") and col.name != "birth_year":
                assert col.min is None or col.min <= 2025, (name, col.name)
                assert col.max is None or col.max >= TODAY.year, (name, col.name)


def test_example_mappings_load() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    assert {"iris_researchers.yaml", "iris_participations.yaml",
            "ei_employment_spells.yaml"} <= set(names)
    for name in names:
        m = intake.load_mapping(EXAMPLES / name)
        assert m.file and m.dataset in contracts.list_contracts()
