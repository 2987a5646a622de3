"""Readers for source tables (CSV in UTF-8 or CP949, Parquet, JSON lines) and atomic writers.

Korean public data often arrives as CP949 (EUC-KR) CSV: ``read_table`` tries UTF-8 (with or
without BOM) first and falls back to CP949, and reports what it used. With ``dataset`` given,
every column is read as text so that the contract, not the reader, decides the types and can
quarantine a bad value with its row number.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl

from talentlib import contracts

DELIMITED = (".csv", ".tsv", ".txt")
SUFFIXES = (*DELIMITED, ".parquet", ".jsonl", ".ndjson", ".json")
_CHUNK = 1 << 24


@dataclass(frozen=True)
class ReadInfo:
    """What the reader found: format, text encoding (None for Parquet), rows, file hash."""

    path: str
    format: str
    encoding: str | None
    n_rows: int
    sha256: str
    separator: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "encoding": self.encoding,
                "n_rows": self.n_rows, "sha256": self.sha256, "separator": self.separator}


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _format_of(path: Path) -> tuple[str, bool]:
    """(suffix that decides the format, gzip-compressed?)"""
    suffixes = [s.lower() for s in path.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    fmt = suffixes[-2] if gz and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    if fmt not in SUFFIXES or (gz and fmt == ".parquet"):
        raise ValueError(
            f"cannot read {path}: unsupported file type {''.join(path.suffixes) or '(none)'}; "
            f"use one of {', '.join(SUFFIXES)} (text formats may be .gz). Export spreadsheets "
            "as CSV (UTF-8)."
        )
    return fmt, gz


def _first_bad_utf8(data: bytes | memoryview) -> int | None:
    """Offset of the first byte that is not valid UTF-8, checked in chunks (no full copy)."""
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    n = len(view)
    for start in range(0, max(n, 1), _CHUNK):
        pending = len(dec.getstate()[0])
        try:
            dec.decode(bytes(view[start:start + _CHUNK]), final=start + _CHUNK >= n)
        except UnicodeDecodeError as e:
            return start - pending + e.start
    return None


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    return f"byte offset {offset} (line {line}, byte {data[offset:offset + 1]!r})"


def _decode(data: bytes, path: Path, encoding: str | None) -> tuple[bytes, str]:
    """UTF-8 bytes for polars and the encoding they came in."""
    if encoding is not None:
        codec = codecs.lookup(encoding).name
        if codec == "utf-8":
            bad = _first_bad_utf8(data)
            if bad is not None:
                raise ValueError(f"cannot read {path} as {encoding}: invalid byte at "
                                 f"{_where(data, bad)}. Try encoding='cp949' or leave it out.")
            if data.startswith(codecs.BOM_UTF8):
                return data[3:], "utf-8-sig"
            return data, "utf-8"
        try:
            return data.decode(codec).encode("utf-8"), codec
        except UnicodeDecodeError as e:
            raise ValueError(f"cannot read {path} as {encoding}: invalid byte at "
                             f"{_where(data, e.start)}. Check the encoding.") from e
    if data.startswith(codecs.BOM_UTF8):
        bad = _first_bad_utf8(memoryview(data)[3:])
        if bad is None:
            return data[3:], "utf-8-sig"
        bad += 3
    else:
        bad = _first_bad_utf8(data)
        if bad is None:
            return data, "utf-8"
    try:
        return data.decode("cp949").encode("utf-8"), "cp949"
    except UnicodeDecodeError as e:
        raise ValueError(
            f"cannot read {path}: the bytes are neither UTF-8 (first invalid at "
            f"{_where(data, bad)}) nor CP949/EUC-KR (invalid at {_where(data, e.start)}). "
            "Re-save the file as UTF-8, or pass encoding= if you know it."
        ) from e


def _sniff_separator(text: bytes, fmt: str) -> str:
    header = text.split(b"\n", 1)[0]
    if fmt == ".tsv":
        return "\t"
    counts = {sep: header.count(sep.encode()) for sep in (",", "\t", "|", ";")}
    if fmt == ".csv" and counts[","]:
        return ","
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def read_table_info(
    path: str | Path,
    *,
    dataset: str | None = None,
    encoding: str | None = None,
    separator: str | None = None,
) -> tuple[pl.DataFrame, ReadInfo]:
    """Read a table by its suffix and say how: encoding, rows, sha256 of the file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (working directory {Path.cwd()}); check the "
                                "path or the data folder setting")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; pass a file such as {path}/data.csv")
    fmt, gz = _format_of(path)
    contract = contracts.load_contract(dataset) if dataset is not None else None

    if fmt == ".parquet":
        sha = file_sha256(path)
        try:
            df = pl.read_parquet(path)
        except Exception as e:
            raise ValueError(f"cannot read {path} as Parquet ({e}); is the file complete?") from e
        return df, ReadInfo(str(path), "parquet", None, df.height, sha)

    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if gz:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"cannot read {path}: not a valid gzip file ({e})") from e
    text, enc = _decode(raw, path, encoding)
    del raw

    sep = None
    try:
        if fmt in DELIMITED:
            sep = separator or _sniff_separator(text, fmt)
            df = pl.read_csv(
                io.BytesIO(text), separator=sep, infer_schema=dataset is None,
                infer_schema_length=10_000, raise_if_empty=False, truncate_ragged_lines=False,
            )
            kind = "csv"
        else:
            if fmt == ".json":
                df = _read_json_records(text, path)
                kind = "json"
            else:
                df = pl.read_ndjson(io.BytesIO(text), infer_schema_length=None)
                kind = "jsonl"
            df = _scalars_as_text(df, contract)
    except pl.exceptions.PolarsError as e:
        what = "delimited text" if fmt in DELIMITED else "JSON"
        hint = (" Check the delimiter, quoting and that every line has the same number of "
                "fields." if fmt in DELIMITED else " Check that each line is one JSON object.")
        raise ValueError(f"cannot parse {path} as {what}: {e}.{hint}") from e
    return df, ReadInfo(str(path), kind, enc, df.height, sha, sep)


def _scalars_as_text(df: pl.DataFrame, contract: contracts.Contract | None) -> pl.DataFrame:
    """Scalar contract columns as text (as from a CSV), so validation decides their type."""
    if contract is None:
        return df
    names = [c.name for c in contract.columns if c.type != "list[str]" and c.name in df.columns
             and not isinstance(df.schema[c.name], pl.List | pl.Array | pl.Struct)]
    return df.with_columns(pl.col(names).cast(pl.String))


def _read_json_records(text: bytes, path: Path) -> pl.DataFrame:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"cannot parse {path} as JSON: {e.msg} at line {e.lineno}, column "
                         f"{e.colno}") from e
    if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
        raise ValueError(f"{path}: expected a JSON list of records ([{{...}}, ...]); for one "
                         "record per line use .jsonl")
    if not obj:
        return pl.DataFrame()
    return pl.read_json(io.BytesIO(text), infer_schema_length=None)


def read_table(
    path: str | Path,
    *,
    dataset: str | None = None,
    encoding: str | None = None,
    separator: str | None = None,
) -> pl.DataFrame:
    """Read CSV/TSV/TXT, Parquet, JSON lines or a JSON list of records (all text if ``dataset``)."""
    return read_table_info(path, dataset=dataset, encoding=encoding, separator=separator)[0]


def read_validated(
    path: str | Path,
    dataset: str,
    *,
    references: Mapping[str, pl.DataFrame | pl.LazyFrame] | None = None,
    encoding: str | None = None,
) -> contracts.ValidationResult:
    """Read a file and validate it against its dataset contract (``source`` is the path)."""
    df, info = read_table_info(path, dataset=dataset, encoding=encoding)
    result = contracts.validate(df, dataset, source=str(path), references=references)
    result.read_info = info
    return result


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file


def _atomic(path: str | Path, write: Callable[[IO[bytes], Path], None]) -> Path:
    """Write through a temp file in the target folder, then ``os.replace`` it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600; outputs are shared like any written file
        with os.fdopen(fd, "wb") as fh:
            write(fh, tmp)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(data: bytes, path: str | Path) -> Path:
    """Write bytes atomically."""

    def write(fh: IO[bytes], _tmp: Path) -> None:
        fh.write(data)

    return _atomic(path, write)


def write_text_atomic(text: str, path: str | Path, encoding: str = "utf-8") -> Path:
    """Write text atomically."""
    return write_bytes_atomic(text.encode(encoding), path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def write_json_atomic(obj: Any, path: str | Path, *, indent: int = 2) -> Path:
    """Write JSON (UTF-8, Korean kept readable) atomically; dates and paths become strings."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent, default=_json_default)
    return write_text_atomic(text + "\n", path)


def write_parquet_atomic(df: pl.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write Parquet atomically (extra arguments go to ``DataFrame.write_parquet``)."""
    return _atomic(path, lambda _fh, tmp: df.write_parquet(tmp, **kwargs))


def write_csv(df: pl.DataFrame, path: str | Path, encoding: str = "utf-8") -> Path:
    """Write CSV atomically in UTF-8, UTF-8 with BOM ("utf-8-sig") or CP949; lists as ``a|b``."""
    lists = [n for n, t in df.schema.items() if isinstance(t, pl.List | pl.Array)]
    if lists:
        df = df.with_columns(pl.col(lists).list.eval(pl.element().cast(pl.String))
                             .list.join("|"))
    text = df.write_csv()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as e:
        line = text.count("\n", 0, e.start)
        raise ValueError(f"cannot write {path} in {encoding}: character {text[e.start]!r} on "
                         f"data row {line} has no {encoding} code; use encoding='utf-8'") from e
    return write_bytes_atomic(data, path)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
