"""Writing a partition: its kept rows in Parquet files of about FLUSH_ROWS publications, staged
and then moved into DATA_DIR all at once (with its quarantine and institutions)."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import polars as pl

from talentlib import contracts, io

from .scope import INSTITUTION_SCHEMA, PUB_EXTRA, QUARANTINE_SCHEMA, BatchOut
from .sources import Part

FLUSH_ROWS = 250_000  # publication rows held before a partition writes a file


def publication_schema(c: contracts.Contract) -> pl.Schema:
    return pl.Schema({**c.polars_schema(), **PUB_EXTRA})


class PartWriter:
    """Hold a partition's kept rows and write them in files of about FLUSH_ROWS publications
    into a staging folder; ``publish`` moves them into place all at once."""

    def __init__(
        self, out: Path, part: Part, pub_schema: pl.Schema, auth_schema: pl.Schema, flush: int
    ) -> None:
        self.out, self.part, self.flush_rows = out, part, flush
        self.pub_schema, self.auth_schema = pub_schema, auth_schema
        self.staging = out / "_state" / "staging" / part.key
        shutil.rmtree(self.staging, ignore_errors=True)
        (self.staging / "publications").mkdir(parents=True)
        (self.staging / "authorships").mkdir(parents=True)
        self.pubs: list[pl.DataFrame] = []
        self.auths: list[pl.DataFrame] = []
        self.insts: list[pl.DataFrame] = []
        self.quarantine: list[pl.DataFrame] = []
        self.n_files = 0
        self.held = 0

    def add(self, b: BatchOut) -> None:
        if b.pubs.height:
            self.pubs.append(b.pubs.select(list(self.pub_schema)).cast(self.pub_schema))  # type: ignore[arg-type]
            self.auths.append(b.auths.select(list(self.auth_schema)).cast(self.auth_schema))  # type: ignore[arg-type]
            self.held += b.pubs.height
        if b.insts.height:
            self.insts = [pl.concat([*self.insts, b.insts]).unique("institution_id", keep="first")]
        self.quarantine += [q.cast(QUARANTINE_SCHEMA) for q in b.quarantine if q.height]  # type: ignore[arg-type]
        if self.held >= self.flush_rows:
            self._write()

    def _write(self) -> None:
        name = f"{self.part.key}-{self.n_files:04d}.parquet"
        pubs = pl.concat(self.pubs) if self.pubs else pl.DataFrame(schema=self.pub_schema)
        auths = pl.concat(self.auths) if self.auths else pl.DataFrame(schema=self.auth_schema)
        pubs.write_parquet(self.staging / "publications" / name)
        auths.write_parquet(self.staging / "authorships" / name)
        self.pubs, self.auths, self.held = [], [], 0
        self.n_files += 1

    def publish(self) -> list[str]:
        """Replace the partition's files in DATA_DIR by the staged ones; the files written."""
        if self.held or not self.n_files:
            self._write()  # a partition always has a file, empty or not, so readers find one
        out, key = self.out, self.part.key
        pattern = glob.escape(key) + "-" + "[0-9]" * 4 + ".parquet"
        for ds in ("publications", "authorships"):
            (out / ds).mkdir(exist_ok=True)
            for old in (out / ds).glob(pattern):
                old.unlink()
        for p in (
            out / "quarantine" / f"{key}.parquet",
            out / "_state" / "institutions" / f"{key}.parquet",
        ):
            p.unlink(missing_ok=True)
        written = []
        for ds in ("publications", "authorships"):
            for f in sorted((self.staging / ds).glob("*.parquet")):
                os.replace(f, out / ds / f.name)
                written.append(f"{ds}/{f.name}")
        if self.insts:
            (out / "_state" / "institutions").mkdir(parents=True, exist_ok=True)
            io.write_parquet_atomic(
                self.insts[0].cast(INSTITUTION_SCHEMA),  # type: ignore[arg-type]
                out / "_state" / "institutions" / f"{key}.parquet",
            )
        if self.quarantine:
            (out / "quarantine").mkdir(exist_ok=True)
            io.write_parquet_atomic(
                pl.concat(self.quarantine), out / "quarantine" / f"{key}.parquet"
            )
            written.append(f"quarantine/{key}.parquet")
        shutil.rmtree(self.staging, ignore_errors=True)
        return written
