"""Tests for talentlib.io: encodings, formats, errors, read_validated and atomic writers."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from talentlib import io as tio

KOREAN = pl.DataFrame({
    "project_id": ["p001", "p002", "p003"],
    "title": ["차세대 이차전지 소재 개발", "인공지능 반도체 설계, 검증", "양자 센서 \"시제품\""],
    "budget": ["1,200", "850", ""],
})

RESEARCHER_ROWS = [
    {"researcher_id": "a" * 16, "birth_year": "1980", "sex": "M", "degree": "PHD",
     "degree_year": "2010", "institution_type": "UNIV", "region": "11"},
    {"researcher_id": "b" * 16, "birth_year": "19x0", "sex": "F", "degree": "MASTER",
     "degree_year": "", "institution_type": "GRI", "region": "30"},
    {"researcher_id": "c" * 16, "birth_year": "1975", "sex": "F", "degree": "석사",
     "degree_year": "2001", "institution_type": "SME", "region": "41"},
]


def researchers_frame() -> pl.DataFrame:
    return pl.DataFrame(RESEARCHER_ROWS)


def test_cp949_round_trip(tmp_path: Path) -> None:
    path = tio.write_csv(KOREAN, tmp_path / "projects.csv", encoding="cp949")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "차세대".encode("cp949") in raw
    df, info = tio.read_table_info(path)
    assert info.encoding == "cp949" and info.format == "csv" and info.n_rows == 3
    assert info.sha256 == hashlib.sha256(raw).hexdigest()
    assert df["title"].to_list() == KOREAN["title"].to_list()
    assert tio.read_table(path, encoding="euc-kr")["title"][0] == "차세대 이차전지 소재 개발"


def test_utf8_with_and_without_bom(tmp_path: Path) -> None:
    plain = tio.write_csv(KOREAN, tmp_path / "plain.csv")
    bom = tio.write_csv(KOREAN, tmp_path / "bom.csv", encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    df1, info1 = tio.read_table_info(plain)
    df2, info2 = tio.read_table_info(bom)
    assert (info1.encoding, info2.encoding) == ("utf-8", "utf-8-sig")
    assert df2.columns[0] == "project_id"  # no BOM glued to the first header
    assert df1.equals(df2)


def test_dataset_reads_every_column_as_text(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("researcher_id,birth_year,region,degree_year\n"
                    f"{'a' * 16},1980,011,2010\n", encoding="utf-8")
    inferred = tio.read_table(path)
    assert inferred["birth_year"].dtype == pl.Int64
    text = tio.read_table(path, dataset="researchers")
    assert all(t == pl.String for t in text.dtypes)
    assert text["region"][0] == "011"  # leading zeros survive for the contract to judge


def test_undecodable_bytes_name_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    data = "a,b\n가,나\n".encode() + b"\xff\xfe\xff,x\n"
    path.write_bytes(data)
    with pytest.raises(ValueError) as err:
        tio.read_table(path)
    msg = str(err.value)
    offset = data.index(b"\xff")
    assert "broken.csv" in msg and f"byte offset {offset}" in msg and "line 3" in msg
    assert "UTF-8" in msg and "CP949" in msg
    with pytest.raises(ValueError, match="as utf-8"):
        tio.read_table(path, encoding="utf-8")


def test_utf8_error_offset_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tio, "_CHUNK", 4)
    data = "ab가나다".encode() + b"\xff" + "라".encode()
    assert tio._first_bad_utf8(data) == data.index(b"\xff")
    assert tio._first_bad_utf8("가나다라마".encode()) is None
    assert tio._first_bad_utf8("가나".encode()[:-1]) == 3  # truncated last character


def test_tsv_and_pipe_txt_and_gzip(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("x\ty\n1\t가\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("x|y\n1|가\n", encoding="utf-8")
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress("x,y\n1,가\n".encode("cp949")))
    for name in ("a.tsv", "b.txt", "c.csv.gz"):
        df, info = tio.read_table_info(tmp_path / name)
        assert df.columns == ["x", "y"] and df["y"].to_list() == ["가"], name
    assert tio.read_table_info(tmp_path / "b.txt")[1].separator == "|"
    assert tio.read_table_info(tmp_path / "c.csv.gz")[1].encoding == "cp949"


def test_jsonl_and_json(tmp_path: Path) -> None:
    lines = [{"work_id": "W1", "publication_year": 2020, "cited_by_count": 3,
              "title": "전고체 전지", "topics": ["T1", "T2"]},
             {"work_id": "W2", "publication_year": "20x1", "cited_by_count": 0,
              "title": None, "topics": None}]
    jsonl = tmp_path / "works.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n",
                     encoding="utf-8")
    df, info = tio.read_table_info(jsonl, dataset="publications")
    assert info.format == "jsonl" and df.height == 2
    assert df["publication_year"].to_list() == ["2020", "20x1"]
    assert df["topics"][0].to_list() == ["T1", "T2"]
    result = tio.read_validated(jsonl, "publications")
    assert result.n_valid == 1 and result.quarantine["row"].to_list() == [2]

    js = tmp_path / "works.json"
    js.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    assert tio.read_table(js)["title"].to_list() == ["전고체 전지", None]
    (tmp_path / "obj.json").write_text('{"data": []}')
    with pytest.raises(ValueError, match="list of records"):
        tio.read_table(tmp_path / "obj.json")
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n{"a": \n')
    with pytest.raises(ValueError, match="bad.jsonl"):
        tio.read_table(tmp_path / "bad.jsonl")


def test_parquet(tmp_path: Path) -> None:
    path = tio.write_parquet_atomic(KOREAN, tmp_path / "sub" / "k.parquet")
    df, info = tio.read_table_info(path)
    assert df.equals(KOREAN) and info.encoding is None and info.format == "parquet"
    assert info.sha256 == tio.file_sha256(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "sheet.xlsx").write_bytes(b"PK")
    with pytest.raises(ValueError, match=r"sheet\.xlsx.*unsupported file type \.xlsx"):
        tio.read_table(tmp_path / "sheet.xlsx")
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        tio.read_table(tmp_path / "nowhere.csv")
    with pytest.raises(ValueError, match="is a folder"):
        tio.read_table(tmp_path)


def test_ragged_csv_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ragged.csv.*line 3 has 3"):
        tio.read_table(path)
    # Too few fields is as wrong as too many: never padded with nulls.
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ragged.csv: 1 row\(s\).*header's 3 fields.*line 3 has 2"):
        tio.read_table(path)
    # A blank line holds no data to lose: without a contract it stays the all-null row that
    # polars reads (read_validated quarantines it, see below).
    path.write_text("a,b\n1,2\n\n3,4\n", encoding="utf-8")
    assert tio.read_table(path).rows() == [(1, 2), (None, None), (3, 4)]


def test_read_validated_cp949_row_numbers(tmp_path: Path) -> None:
    path = tio.write_csv(researchers_frame(), tmp_path / "researchers.csv", encoding="cp949")
    result = tio.read_validated(path, "researchers")
    assert result.n_in == 3 and result.n_valid == 1 and result.n_quarantined == 2
    assert result.quarantine.select("row", "column", "rule").rows() == [
        (2, "birth_year", "type"), (3, "degree", "allowed")]
    assert result.quarantine["value"].to_list() == ["19x0", "석사"]
    s = result.summary()
    assert s["source"] == str(path) and s["encoding"] == "cp949"
    assert s["sha256"] == tio.file_sha256(path)
    assert result.valid["birth_year"].to_list() == [1980]


def test_read_validated_refuses_pii_columns(tmp_path: Path) -> None:
    from talentlib.contracts import ContractError

    df = researchers_frame().with_columns(pl.lit("홍길동").alias("성명"))
    path = tio.write_csv(df, tmp_path / "with_names.csv")
    with pytest.raises(ContractError, match="'성명'") as err:
        tio.read_validated(path, "researchers")
    assert "with_names.csv" in str(err.value) and "홍길동" not in str(err.value)


def test_atomic_writers(tmp_path: Path) -> None:
    target = tmp_path / "out" / "manifest.json"
    tio.write_json_atomic({"분야": "반도체", "n": 3, "path": Path("x"),
                           "day": __import__("datetime").date(2024, 1, 2)}, target)
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "분야": "반도체", "n": 3, "path": "x", "day": "2024-01-02"}
    assert "반도체" in target.read_text(encoding="utf-8")  # not \\u escaped
    tio.write_text_atomic("첫째\n", tmp_path / "out" / "a.txt")
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == "첫째\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.txt", "manifest.json"]


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "table.parquet"
    tio.write_text_atomic("old", target)

    def boom(fh: object, tmp: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        tio._atomic(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]
    with pytest.raises(TypeError):
        tio.write_json_atomic({"x": object()}, target)
    assert target.read_text() == "old"


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    data = bytes(range(256)) * 10_000
    path.write_bytes(data)
    assert tio.file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_write_csv_cp949_unencodable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cp949"):
        tio.write_csv(pl.DataFrame({"t": ["ok", "emoji 😀"]}), tmp_path / "e.csv",
                      encoding="cp949")
    assert not (tmp_path / "e.csv").exists()


def test_write_csv_lists_round_trip_through_validation(tmp_path: Path) -> None:
    df = pl.DataFrame({"work_id": ["W1"], "publication_year": [2020], "cited_by_count": [1],
                       "title": ["t"], "topics": [["T1", "T2"]]})
    path = tio.write_csv(df, tmp_path / "w.csv")
    result = tio.read_validated(path, "publications")
    assert result.valid["topics"][0].to_list() == ["T1", "T2"]


def test_atomic_writes_are_readable_like_any_new_file(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; published outputs get the mode open() would give them."""
    import os

    from talentlib import io as tio

    mask = os.umask(0o022)
    os.umask(mask)
    p = tio.write_text_atomic("x", tmp_path / "a.txt")
    (tmp_path / "b.txt").write_text("x")
    assert p.stat().st_mode & 0o777 == (tmp_path / "b.txt").stat().st_mode & 0o777


# --------------------------------------------------------------------------------------------
# Bad input: ragged rows, mixed encodings, messages that quote no data (issue 14)
# --------------------------------------------------------------------------------------------

RESEARCHERS_HEADER = "researcher_id,birth_year,sex,degree,degree_year,institution_type,region"


def _row(c: str, birth: str = "1980") -> str:
    return f"{c * 16},{birth},M,PHD,2010,UNIV,11"


def test_ragged_rows_are_quarantined_with_their_line(tmp_path: Path) -> None:
    lines = [
        RESEARCHERS_HEADER,                      # line 1
        _row("a"),                               # line 2, row 1
        f'"{"b" * 16}",1980,M,PHD,2010,UNIV,"1',  # lines 3-4, row 2: a quoted line break
        '1"',
        f"{'c' * 16},1981,F,PHD,2011",           # line 5, row 3: two fields short
        _row("d") + ",extra,900101-1234567",     # line 6, row 4: two too many, with an RRN
        "",                                      # line 7, row 5: blank
        _row("e", birth="19x0"),                 # line 8, row 6: a type error after them
        _row("f"),                               # line 9, row 7
    ]
    path = tmp_path / "researchers.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = tio.read_validated(path, "researchers")
    assert result.n_in == 7 and result.n_in == result.n_valid + result.n_quarantined
    assert result.valid["researcher_id"].to_list() == ["a" * 16, "f" * 16]
    q = result.quarantine
    assert q.select("row", "column", "rule").rows() == [
        (2, "region", "allowed"), (3, "*", "ragged_row"), (4, "*", "ragged_row"),
        (5, "*", "ragged_row"), (6, "birth_year", "type")]
    ragged = q.filter(pl.col("rule") == "ragged_row")
    assert ragged["message"].str.extract(r"^line (\d+)").to_list() == ["5", "6", "7"]
    assert "has 5 fields where the header has 7" in ragged["message"][0]
    assert "is blank" in ragged["message"][2]
    assert ragged["value"][0] == f"{'c' * 16},1981,F,PHD,2011"  # short: shown whole
    assert "900101-1234567" not in ragged["value"][1] and "extra" in ragged["value"][1]
    assert ragged["value"][2] is None
    info = result.read_info
    assert info is not None and [r.line for r in info.ragged] == [5, 6, 7]
    assert info.as_dict()["n_ragged"] == 3


def test_nullable_last_column_and_quotes_are_not_ragged(tmp_path: Path) -> None:
    # Empty last fields and separators inside quotes are fine: nothing flagged, nothing lost.
    path = tmp_path / "t.csv"
    path.write_text('a,b,c\n1,"x,y",\n2,"say ""hi"", then",\n3,"two\nlines",z\n4,,\n',
                    encoding="utf-8")
    df = tio.read_table(path)
    assert df["b"].to_list() == ["x,y", 'say "hi", then', "two\nlines", None]
    assert df["c"].to_list() == [None, None, "z", None]


def test_ragged_rows_in_a_big_file_keep_the_other_row_numbers(tmp_path: Path) -> None:
    n = 30_000
    body = [f"{i:016x},1980,M,PHD,2010,UNIV,11" for i in range(n)]
    body[12_344] = body[12_344].rsplit(",", 1)[0]  # row 12,345: a field short
    body[20_000] = body[20_000].replace("2010", "20x0")  # row 20,001: a type error
    path = tmp_path / "big.csv"
    path.write_text(RESEARCHERS_HEADER + "\n" + "\n".join(body) + "\n", encoding="utf-8")
    result = tio.read_validated(path, "researchers")
    assert result.quarantine.select("row", "rule").rows() == [
        (12_345, "ragged_row"), (20_001, "type")]
    assert result.quarantine["message"][0].startswith("line 12346 has 6 fields")
    assert result.n_valid == n - 2


def test_mixed_utf8_and_cp949_lines_are_refused_not_garbled(tmp_path: Path) -> None:
    mostly_utf8 = tmp_path / "mostly_utf8.csv"
    mostly_utf8.write_bytes("a,b\n1,마사\n".encode() + "2,가나\n".encode("cp949")
                            + "3,다라\n".encode())
    with pytest.raises(ValueError) as err:
        tio.read_table(mostly_utf8)
    msg = str(err.value)
    assert "mostly_utf8.csv" in msg and "mixes text encodings" in msg
    assert "line 2 is UTF-8 but line 3 is not" in msg and "CP949" in msg

    mostly_cp949 = tmp_path / "mostly_cp949.csv"
    mostly_cp949.write_bytes("a,b\n1,가나\n".encode("cp949") + "2,마사\n".encode()
                             + "3,다라\n".encode("cp949"))
    garbled = "마사".encode().decode("cp949")  # what used to come out: hanja and rare syllables
    assert garbled in mostly_cp949.read_bytes().decode("cp949") and "마사" not in garbled
    with pytest.raises(ValueError, match=r"mostly_cp949.csv.*line 3 is UTF-8 but line 2 is not"):
        tio.read_table(mostly_cp949)
    with pytest.raises(ValueError, match=r"as cp949: line 3 is UTF-8"):
        tio.read_table(mostly_cp949, encoding="cp949")
    # A pure CP949 file with hanja is still CP949.
    hanja = tmp_path / "hanja.csv"
    hanja.write_bytes("a,b\n1,韓國 반도체\n2,가나\n".encode("cp949"))
    assert tio.read_table(hanja)["b"].to_list() == ["韓國 반도체", "가나"]


def test_headerless_csv_error_names_the_columns_not_the_row(tmp_path: Path) -> None:
    from talentlib.contracts import ContractError

    path = tmp_path / "export.csv"
    path.write_text("홍길동,010-1234-5678,900101-1234567,hong@example.com\n"
                    "김철수,010-9876-5432,910101-2345678,kim@example.com\n", encoding="utf-8")
    with pytest.raises(ContractError) as err:
        tio.read_validated(path, "researchers")
    msg = str(err.value)
    assert "export.csv" in msg and "header missing" in msg and "researcher_id" in msg
    for value in ("홍길동", "010-1234-5678", "900101", "hong@"):
        assert value not in msg


def test_messages_quote_at_most_a_short_masked_excerpt(tmp_path: Path) -> None:
    from talentlib.contracts import ContractError

    path = tmp_path / "wide.csv"
    path.write_text("researcher_id," + "x" * 5_000_000 + "\n" + "a" * 16 + ",1\n",
                    encoding="utf-8")
    with pytest.raises(ContractError) as err:
        tio.read_validated(path, "researchers")
    assert len(str(err.value)) < 600 and "5,000,000 characters" in str(err.value)
    # A value polars cannot parse is not echoed: it may be a name.
    path = tmp_path / "typed.csv"
    path.write_text("n,m\n" + "1,2\n" * 10_050 + "홍길동,3\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        tio.read_table(path)
    assert "typed.csv" in str(err.value) and "'n'" in str(err.value)
    assert "홍길동" not in str(err.value)


def test_corrupt_parquet_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "job_postings.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(ValueError, match=r"job_postings.parquet as Parquet") as err:
        tio.read_table(path)
    assert len(str(err.value)) < 300 + len(str(path))


def test_unknown_encoding_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"a.csv: unknown encoding 'klingon'"):
        tio.read_table(path, encoding="klingon")
