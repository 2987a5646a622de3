"""Reading a partition: JSON lines (plain or .gz) in batches, or a JSON document (an API page)
whole, hashing every byte on the way; a batch's records parsed with ``openalex.WORK_SCHEMA``,
bad lines found by bisection and quarantined one by one."""

from __future__ import annotations

import gzip
import io as _io
import json
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from talentlib import openalex

from .sources import OpenAlexImportError, Part

MAX_JSON_BYTES = 1 << 30  # a single JSON document (an API page) is read whole


class _HashingReader(_io.RawIOBase):
    """Read a file and hash every byte on the way, so a partition is read only once."""

    def __init__(self, fh: Any, h: Any) -> None:
        self._fh, self._h = fh, h

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self._fh.readinto(b)
        if n:
            self._h.update(memoryview(b)[:n])
        return n or 0

    def drain(self) -> None:
        """Hash what the reader above left unread (bytes after a gzip stream's end)."""
        while chunk := self._fh.read(1 << 20):
            self._h.update(chunk)


@dataclass
class Batch:
    lines: list[bytes]
    nums: list[int]  # line numbers (JSON lines) or record numbers (a JSON document)
    bad: list[dict[str, Any]]  # records already known to be bad (JSON document level)


def read_batches(part: Part, h: Any, batch_size: int, batch_bytes: int) -> Iterator[Batch]:
    with open(part.path, "rb") as fh:
        raw = _HashingReader(fh, h)
        try:
            if part.fmt == "json":
                yield from _json_document(part, raw, batch_size)
                return
            stream: Any = gzip.GzipFile(fileobj=raw) if part.gz else _io.BufferedReader(raw)
            lines: list[bytes] = []
            nums: list[int] = []
            size = 0
            n = 0
            try:
                for n, line in enumerate(stream, 1):  # noqa: B007 - n is used after the loop
                    if not line.strip():
                        continue
                    lines.append(line)
                    nums.append(n)
                    size += len(line)
                    if len(lines) >= batch_size or size >= batch_bytes:
                        yield Batch(lines, nums, [])
                        lines, nums, size = [], [], 0
            except (EOFError, OSError, zlib.error) as e:
                raise OpenAlexImportError(
                    f"{part.path}: the gzip stream is truncated or corrupt after line {n} ({e}); "
                    "download this part again"
                ) from e
            if lines:
                yield Batch(lines, nums, [])
        finally:
            raw.drain()


def _json_document(part: Part, raw: Any, batch_size: int) -> Iterator[Batch]:
    """An API page, a list of works or one work: read whole (API pages hold at most 200)."""
    if part.path.stat().st_size > MAX_JSON_BYTES:
        raise OpenAlexImportError(
            f"{part.path} is over {MAX_JSON_BYTES >> 20} MiB of JSON read as one document; "
            "export large sets as JSON lines (one work a line) instead"
        )
    data = raw.readall()
    if part.gz:
        try:
            with gzip.GzipFile(fileobj=_io.BytesIO(data)) as g:
                data = g.read(MAX_JSON_BYTES + 1)
        except (EOFError, OSError, zlib.error) as e:
            raise OpenAlexImportError(f"{part.path}: not a valid gzip file ({e})") from e
    if len(data) > MAX_JSON_BYTES:
        raise OpenAlexImportError(
            f"{part.path} is over {MAX_JSON_BYTES >> 20} MiB of JSON read as one document; "
            "export large sets as JSON lines (one work a line) instead"
        )
    try:
        obj = json.loads(data)
    except ValueError as e:
        line = getattr(e, "lineno", None)
        yield Batch([], [], [_bad(part, line, "line", "json", f"unparsable JSON document: {e}")])
        return
    if isinstance(obj, dict) and isinstance(obj.get("results"), list):
        obj = obj["results"]
    records = obj if isinstance(obj, list) else [obj]
    lines: list[bytes] = []
    nums: list[int] = []
    bad: list[dict[str, Any]] = []
    for i, rec in enumerate(records, 1):
        if isinstance(rec, dict):
            lines.append(json.dumps(rec, ensure_ascii=False).encode())
            nums.append(i)
        else:
            bad.append(_bad(part, i, "record", "json", f"not a JSON object ({type(rec).__name__})"))
        if len(lines) >= batch_size:
            yield Batch(lines, nums, bad)
            lines, nums, bad = [], [], []
    if lines or bad:
        yield Batch(lines, nums, bad)


def _bad(
    part: Part, line: int | None, where: str, rule: str, message: str, work_id: str | None = None
) -> dict[str, Any]:
    return {
        "file": str(part.path),
        "line": line,
        "where": where,
        "work_id": work_id,
        "dataset": "record",
        "column": None,
        "value": None,
        "rule": rule,
        "message": message[:300],
    }


_PARSE_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    ValueError,
)


# What is parsed of every record (to check it and decide its scope), and what only of the
# works kept (authorships are most of a record and most records are out of scope).
SCAN_COLUMNS = (
    "id",
    "title",
    "display_name",
    "publication_year",
    "cited_by_count",
    "updated_date",
    "primary_topic",
    "topics",
    "works_count",
)
DETAIL_COLUMNS = ("authorships", "is_authors_truncated", "host_venue", "concepts")


def _read(lines: list[bytes], columns: Sequence[str]) -> pl.DataFrame | BaseException:
    try:
        df = openalex.parse_works(b"\n".join(lines), columns)
    except _PARSE_ERRORS as e:
        return e
    return df if df.height == len(lines) else ValueError("record count differs from line count")


def parse_records(
    lines: list[bytes], nums: list[int], part: Part, columns: Sequence[str]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """``columns`` of the records with their line numbers (``_line``) and positions in
    ``lines`` (``_i``); lines that are not JSON objects or hold wrong types (a number where a
    list of authorships is due) are found by bisection and quarantined one by one."""
    where = "record" if part.fmt == "json" else "line"
    keys = {"_line": pl.Int64, "_i": pl.Int64}
    empty = pl.DataFrame(schema={**{c: openalex.WORK_SCHEMA[c] for c in columns}, **keys})
    if not lines:
        return empty, []
    idx = list(range(len(lines)))
    df = _read(lines, columns)
    if isinstance(df, pl.DataFrame):
        return df.with_columns(
            pl.Series("_line", nums, pl.Int64), pl.Series("_i", idx, pl.Int64)
        ), []
    bad: list[dict[str, Any]] = []
    good: list[int] = []
    for i in idx:
        try:
            obj = json.loads(lines[i])
        except ValueError as e:
            bad.append(_bad(part, nums[i], where, "json", f"unparsable JSON: {e}"))
            continue
        if not isinstance(obj, dict):
            bad.append(
                _bad(part, nums[i], where, "json", f"not a JSON object ({type(obj).__name__})")
            )
            continue
        good.append(i)
    frames: list[pl.DataFrame] = []

    def bisect(items: list[int]) -> None:
        if not items:
            return
        got = _read([lines[i] for i in items], columns)
        if isinstance(got, pl.DataFrame):
            frames.append(
                got.with_columns(
                    pl.Series("_line", [nums[i] for i in items], pl.Int64),
                    pl.Series("_i", items, pl.Int64),
                )
            )
            return
        if len(items) == 1:
            try:
                wid = json.loads(lines[items[0]]).get("id")
            except (ValueError, AttributeError):
                wid = None
            msg = str(got).strip().splitlines()[0] if str(got).strip() else type(got).__name__
            bad.append(
                _bad(
                    part,
                    nums[items[0]],
                    where,
                    "type",
                    f"wrong types: {msg}",
                    str(wid).removeprefix(openalex.PREFIX) if isinstance(wid, str) else None,
                )
            )
            return
        mid = len(items) // 2
        bisect(items[:mid])
        bisect(items[mid:])

    bisect(good)
    return (pl.concat(frames).sort("_i") if frames else empty), bad
