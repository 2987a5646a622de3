"""Readers for source tables (CSV in UTF-8 or CP949, Parquet, JSON lines) and atomic writers.

Korean public data often arrives as CP949 (EUC-KR) CSV: ``read_table`` tries UTF-8 (with or
without BOM) first and falls back to CP949, and reports what it used. With ``dataset`` given,
every column is read as text so that the contract, not the reader, decides the types and can
quarantine a bad value with its row number.

A delimited row with more or fewer fields than the header is never padded or cut: ``read_table``
refuses the file naming the lines, and ``read_validated`` quarantines those rows (rule
``ragged_row``, with their line in the file) and reads the rest. A file that mixes UTF-8 with
CP949 lines is refused naming a line of each, never decoded into garbled text. Error messages
name the file and never quote more than a PII-masked, ~80-character excerpt of its content.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

import polars as pl

from talentlib import contracts

T = TypeVar("T")

DELIMITED = (".csv", ".tsv", ".txt")
SUFFIXES = (*DELIMITED, ".parquet", ".jsonl", ".ndjson", ".json")
_CHUNK = 1 << 24
_QUOTE = '"'
_LINE_SEPARATORS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x00")  # one absent from the text
_UTF8_WIDE = re.compile(rb"[\xe0-\xef]")  # in valid UTF-8: the lead byte of Hangul, hanja, …
_HANJA = re.compile(r"[\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class RaggedRow:
    """A delimited record whose number of fields differs from the header's (not read)."""

    row: int  # data row number, as in the quarantine: 1 is the first row after the header
    line: int  # physical line of the file where the record starts; the header is line 1
    n_fields: int  # 0 for a blank line
    expected: int  # fields in the header
    excerpt: str | None  # PII-masked, shortened start of the record; None for a blank line

    @property
    def message(self) -> str:
        what = ("is blank" if not self.n_fields
                else f"has {self.n_fields} field{'s' if self.n_fields != 1 else ''}")
        return (f"line {self.line} {what} where the header has {self.expected}; the row is "
                "not read (never padded or cut): check its delimiters and quotes")


@dataclass(frozen=True)
class ReadInfo:
    """What the reader found: format, text encoding (None for Parquet), rows, file hash, and
    the delimited rows it could not split into the header's fields (left out of the frame)."""

    path: str
    format: str
    encoding: str | None
    n_rows: int
    sha256: str
    separator: str | None = None
    ragged: tuple[RaggedRow, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "encoding": self.encoding,
                "n_rows": self.n_rows, "sha256": self.sha256, "separator": self.separator,
                "n_ragged": len(self.ragged)}

    def ragged_quarantine(self) -> pl.DataFrame:
        """The ragged rows as quarantine entries (rule ``ragged_row``, column ``*``)."""
        return pl.DataFrame(
            {"row": [r.row for r in self.ragged], "column": ["*"] * len(self.ragged),
             "value": [r.excerpt for r in self.ragged],
             "rule": ["ragged_row"] * len(self.ragged),
             "message": [r.message for r in self.ragged]},
            schema=contracts.QUARANTINE_SCHEMA,
        )


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


def _line_of(data: bytes | str, offset: int) -> int:
    return data.count(b"\n" if isinstance(data, bytes) else "\n", 0, offset) + 1


def _where(data: bytes, offset: int) -> str:
    return (f"byte offset {offset} (line {_line_of(data, offset)}, "
            f"byte {data[offset:offset + 1]!r})")


_ENCODING_HINT = ("name the encoding if you know it (encoding='euc-kr' in Python, "
                  "--encoding euc-kr for talent validate)")


def _mixed(path: Path, utf8_line: int, data: bytes, bad: int, cp949_bad: int | None = None
           ) -> ValueError:
    """A file that is UTF-8 in places and not in others (tried: UTF-8, then CP949)."""
    other = "" if cp949_bad is None else (
        f"; nor is it CP949/EUC-KR (invalid at {_where(data, cp949_bad)})")
    return ValueError(
        f"cannot read {path}: it mixes text encodings — line {utf8_line} is UTF-8 but line "
        f"{_line_of(data, bad)} is not (first invalid UTF-8 at {_where(data, bad)}{other}). "
        "Reading it all as CP949/EUC-KR would garble the UTF-8 lines, so nothing was read: "
        "re-save the whole file in one encoding, preferably UTF-8, and read it again."
    )


def _utf8_line_in_legacy(text: str) -> int | None:
    """First line of CP949-decoded text whose bytes were UTF-8 Korean: UTF-8 Hangul read as
    CP949 turns into hanja (``마사`` → ``留덉궗``), so only lines with hanja need a look."""
    pos = 0
    while m := _HANJA.search(text, pos):
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        try:
            line = text[start:end].encode("cp949").decode("utf-8")
        except UnicodeError:
            pass
        else:
            if any("\uac00" <= c <= "\ud7a3" for c in line):
                return _line_of(text, start)
        pos = end + 1
    return None


def _decode(data: bytes, path: Path, encoding: str | None) -> tuple[bytes, str]:
    """UTF-8 bytes for polars and the encoding they came in; never silently garbled text."""
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError as e:
            raise ValueError(f"cannot read {path}: unknown encoding {encoding!r}; use e.g. "
                             "utf-8, cp949 or euc-kr, or leave it out to detect it") from e
        if codec == "utf-8":
            bad = _first_bad_utf8(data)
            if bad is not None:
                raise ValueError(f"cannot read {path} as {encoding}: invalid byte at "
                                 f"{_where(data, bad)}. Try encoding='cp949' or leave it out.")
            if data.startswith(codecs.BOM_UTF8):
                return data[3:], "utf-8-sig"
            return data, "utf-8"
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as e:
            raise ValueError(f"cannot read {path} as {encoding}: invalid byte at "
                             f"{_where(data, e.start)}. Check the encoding.") from e
        if codec in ("cp949", "euc_kr") and (line := _utf8_line_in_legacy(text)) is not None:
            raise ValueError(
                f"cannot read {path} as {encoding}: line {line} is UTF-8 text, which {encoding} "
                "would garble. Re-save the whole file in one encoding, preferably UTF-8, and "
                "read it again (or leave the encoding out to detect it)."
            )
        return text.encode("utf-8"), codec
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    bad = _first_bad_utf8(memoryview(data)[start:])
    if bad is None:
        return data[start:], "utf-8-sig" if start else "utf-8"
    bad += start
    # Not UTF-8 throughout. If it is UTF-8 before the first bad byte (non-ASCII characters
    # decoded there), it is UTF-8 and something else glued together, not a CP949 file.
    wide = _UTF8_WIDE.search(data, start, bad)
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError as e:
        if wide:
            raise _mixed(path, _line_of(data, wide.start()), data, bad, e.start) from e
        raise ValueError(
            f"cannot read {path}: the bytes are neither UTF-8 (first invalid at "
            f"{_where(data, bad)}) nor CP949/EUC-KR (invalid at {_where(data, e.start)}). "
            f"Re-save the file as UTF-8, or {_ENCODING_HINT}."
        ) from e
    utf8_line = _line_of(data, wide.start()) if wide else _utf8_line_in_legacy(text)
    if utf8_line is not None:
        raise _mixed(path, utf8_line, data, bad)
    return text.encode("utf-8"), "cp949"


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
    on_ragged: Literal["raise", "report"] = "raise",
) -> tuple[pl.DataFrame, ReadInfo]:
    """Read a table by its suffix and say how: encoding, rows, sha256 of the file.

    A delimited row whose field count differs from the header's raises, naming its line (a
    blank line stays an all-null row, as polars reads it); with ``on_ragged="report"`` such
    rows, blank lines included, are left out of the frame and listed in ``info.ragged`` (the
    caller must report them: ``read_validated`` quarantines them).
    """
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
            raise ValueError(f"cannot read {path} as Parquet ({_reason(e)}); is the file "
                             "complete? Copy or export it again.") from e
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
    ragged: list[RaggedRow] = []
    try:
        if fmt in DELIMITED:
            sep = separator or _sniff_separator(text, fmt)
            df, ragged = _read_delimited(text, sep, infer=dataset is None, path=path,
                                         blank_is_ragged=on_ragged == "report")
            if ragged and on_ragged == "raise":
                raise _ragged_error(path, ragged)
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
        raise ValueError(f"cannot parse {path} as {what}: {_reason(e)}.{hint}") from e
    return df, ReadInfo(str(path), kind, enc, df.height, sha, sep, tuple(ragged))


def _reason(e: BaseException) -> str:
    """The first line of a library's error, without the data values it may quote."""
    text = str(e).strip()
    first = text.splitlines()[0] if text else type(e).__name__
    m = re.match(r"could not parse `.*` as dtype `(\w+)` at column '(.*?)'", first)
    if m:  # polars quotes the offending value; say where it is instead
        return (f"a value in column {contracts.excerpt(m[2], 40)!r} is not {m[1]} (the type "
                "guessed from the first 10,000 rows)")
    return contracts.excerpt(re.sub(r"`[^`]*`", "`…`", first))


def _ragged_error(path: Path, ragged: list[RaggedRow]) -> ValueError:
    shown = ", ".join(f"line {r.line} has {r.n_fields}" for r in ragged[:5])
    more = f" and {len(ragged) - 5:,} more" if len(ragged) > 5 else ""
    return ValueError(
        f"cannot read {path}: {len(ragged):,} row(s) do not have the header's "
        f"{ragged[0].expected} fields ({shown}{more}). Check the delimiter and the quoting on "
        "those lines, or validate the file against its contract (read_validated, talent "
        "validate) to quarantine them and read the rest."
    )


def _lines(text: bytes) -> pl.Series:
    """The physical lines of UTF-8 text without their line ends (polars reads them, fast)."""
    sep = next((c for c in _LINE_SEPARATORS if c.encode() not in text), None)
    if sep is None:  # every candidate byte occurs: split in Python
        return pl.Series("line", [ln.removesuffix("\r") for ln in
                                  text.decode("utf-8").removesuffix("\n").split("\n")])
    return pl.read_csv(io.BytesIO(text), has_header=False, separator=sep, quote_char=None,
                       infer_schema=False, new_columns=["line"], raise_if_empty=False,
                       empty_string_is_null=False)["line"]


def _field_counts(text: bytes, sep: str, records: pl.Series | None) -> tuple[pl.DataFrame, int]:
    """Fields per record (``rec`` 0 is the header), its first line and text, counted outside
    quotes as RFC 4180 has it (a quoted field may hold separators, quotes doubled and line
    breaks); only ``records`` if given. Also the number of records in the file."""
    lines = _lines(text)
    frame = pl.DataFrame({"text": lines}).with_row_index("line", offset=1)
    if _QUOTE.encode() in text:
        # A record ends on the line where the quotes seen so far are balanced.
        odd = (lines.str.count_matches(_QUOTE, literal=True) % 2).cast(pl.Int64)
        open_after = odd.cum_sum() % 2 == 1
        starts = ~open_after.shift(1, fill_value=False)
        frame = frame.with_columns((starts.cast(pl.Int64).cum_sum() - 1).alias("rec"))
        n_records = int(frame["rec"].max() or 0) + 1 if frame.height else 0
        if records is not None:
            frame = frame.filter(pl.col("rec").is_in(records.implode()))
        if not starts.all():  # join the lines of multi-line records (only those)
            multi = pl.col("rec").is_duplicated()
            frame = pl.concat([
                frame.filter(~multi),
                frame.filter(multi).group_by("rec", maintain_order=True).agg(
                    pl.col("line").first(), pl.col("text").str.join("\n")
                ).select(frame.columns),
            ]).sort("rec")
    else:  # one record per line, record k on line k + 1
        n_records = frame.height
        if records is not None:
            frame = frame[records.filter(records < n_records)]
        frame = frame.with_columns((pl.col("line").cast(pl.Int64) - 1).alias("rec"))
    outside = (pl.when(pl.col("text").str.contains(_QUOTE, literal=True))
               .then(pl.col("text").str.split(_QUOTE).list.gather_every(2).list.join(""))
               .otherwise(pl.col("text")))
    counts = frame.with_columns(
        pl.when(pl.col("text").str.strip_chars_end("\r") == "").then(0)
        .otherwise(outside.str.count_matches(sep, literal=True) + 1)
        .cast(pl.Int64).alias("n_fields"))
    return counts, n_records


def _read_delimited(text: bytes, sep: str, *, infer: bool, path: Path, blank_is_ragged: bool
                    ) -> tuple[pl.DataFrame, list[RaggedRow]]:
    """The frame of well-formed rows and the ragged ones (too few or too many fields).

    The common path is one polars read: polars refuses a row with too many fields and pads
    one with too few with nulls, so only a refusal or a null in the last column sends the
    file to the (vectorised) field count.
    """
    def read(truncate: bool) -> pl.DataFrame:
        return pl.read_csv(io.BytesIO(text), separator=sep, infer_schema=infer,
                           infer_schema_length=10_000, raise_if_empty=False,
                           truncate_ragged_lines=truncate)

    try:
        df: pl.DataFrame | None = read(False)
    except pl.exceptions.ComputeError as e:
        if "more fields" not in str(e):
            raise
        df, candidates = None, None
    else:
        if df.width < 2 or not df[df.columns[-1]].null_count():
            return df, []
        # Without quotes no row has more fields (polars would have refused it), so as many
        # separators as width - 1 per line mean none has fewer either (one C-speed count).
        if (_QUOTE.encode() not in text
                and text.count(sep.encode()) == (df.width - 1) * (df.height + 1)):
            return df, []
        candidates = (df[df.columns[-1]].is_null().arg_true() + 1).cast(pl.Int64)
    counts, n_records = _field_counts(text, sep, candidates)
    width = df.width if df is not None else int(
        counts.filter(pl.col("rec") == 0)["n_fields"].first() or 0)
    bad = counts.filter((pl.col("rec") > 0) & (pl.col("n_fields") != width)
                        & ((pl.col("n_fields") > 0) | (width > 1) & blank_is_ragged))
    if df is None:
        if not bad.height:  # polars saw more fields than the count: cannot say where
            return read(False), []  # raises polars' error again, reported with the file
        df = read(True)
    if df.height != n_records - 1:
        first = f" (first suspect: line {bad['line'][0]})" if bad.height else ""
        raise ValueError(
            f"cannot read {path}: its records cannot be told apart reliably (polars read "
            f"{df.height:,} rows, the line scan {n_records - 1:,}){first}. Check the quoting: "
            'a quote inside a field must be doubled ("").'
        )
    if not bad.height:
        return df, []
    ragged = [RaggedRow(row=rec, line=line, n_fields=n, expected=width,
                        excerpt=contracts.excerpt(t, 60) if n else None)
              for rec, line, t, n in bad.select("rec", "line", "text", "n_fields").iter_rows()]
    keep = pl.int_range(1, df.height + 1, eager=True).is_in(bad["rec"].implode()).not_()
    return df.filter(keep), ragged


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
    """Read a file and validate it against its dataset contract (``source`` is the path);
    delimited rows with the wrong number of fields are quarantined as ``ragged_row``."""
    df, info = read_table_info(path, dataset=dataset, encoding=encoding, on_ragged="report")
    result = contracts.validate(df, dataset, source=str(path), references=references,
                                rejected=info.ragged_quarantine() if info.ragged else None)
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


def file_stats(files: Iterable[str | Path]) -> list[tuple[str, int, int]]:
    """(resolved path, size, modification time in ns) of each existing file: what a key of
    work made from files depends on (a changed file gives a new key, no file is read)."""
    out = []
    for f in map(Path, files):
        if f.exists():
            st = f.stat()
            out.append((str(f.resolve()), st.st_size, st.st_mtime_ns))
    return out


@contextlib.contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the block: processes that
    would make the same thing wait for the first one, then read what it wrote."""
    import fcntl

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def content_key(parts: Any) -> str:
    """A short key of what a result depends on (JSON of ``parts``, SHA-256, 24 hex digits): the
    name of a run's prepared entry."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def computed_once(
    root: str | Path,
    key: str,
    make: Callable[[], T],
    dump: Callable[[T], tuple[Mapping[str, pl.DataFrame | None], Mapping[str, Any]]],
    load: Callable[[dict[str, Any], dict[str, Any]], T],
    *,
    lazy: bool = False,
) -> tuple[T, bool]:
    """What a batch run computes once for all fields (``internal/prepared/<what>/``): the first
    process to ask makes it (``make()``) while holding a lock on ``key``, writes it as frames
    (``dump(obj) → (frames, meta)``: each frame as ``<name>-<key>.parquet``, None left out) and
    the JSON ``meta`` last (it marks the entry complete); the others wait on the lock and read it
    back (``load(frames, meta)``). ``lazy``: every process, the maker too, gets ``load`` of
    ``pl.LazyFrame`` scans of the files, so that it holds only what it collects (the maker does
    not keep its whole result while it waits for the next shared step). ``key`` must say
    everything the result depends on. Returns (result, reused); an unreadable entry is made
    again."""
    root = Path(root)
    meta_path = root / f"meta-{key}.json"

    def read() -> T:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        paths = {n: root / f"{n}-{key}.parquet" for n in meta.pop("_frames")}
        if not lazy:
            return load({n: pl.read_parquet(p) for n, p in paths.items()}, meta)
        missing = [str(p) for p in paths.values() if not p.is_file()]
        if missing:
            raise FileNotFoundError(missing[0])
        return load({n: pl.scan_parquet(p) for n, p in paths.items()}, meta)

    with exclusive(root / f"{key}.lock"):
        if meta_path.exists():
            try:
                return read(), True
            except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
                pass  # unreadable: make it again
        obj = make()
        made, meta = dump(obj)
        kept = {n: f for n, f in made.items() if f is not None}
        for name in kept:
            write_parquet_atomic(kept[name], root / f"{name}-{key}.parquet")
        write_json_atomic({**meta, "_frames": sorted(kept)}, meta_path)
        if not lazy:
            return obj, False
        del obj, made, kept  # what was made is read back when used, like everyone else's
        return read(), False


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_quarantine(result: contracts.ValidationResult, path: str | Path) -> Path:
    """Write a validation's quarantine as CSV (UTF-8 with BOM, for Excel) or Parquet, chosen by
    the suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return write_parquet_atomic(result.quarantine, path)
    if suffix in (".csv", ".txt"):
        return write_bytes_atomic(result.quarantine.write_csv().encode("utf-8-sig"), path)
    raise ValueError(f"cannot write the quarantine to {path}: use a .csv or .parquet file name")
