"""Inputs of the workforce map: the domestic registers (researchers, participations, projects)
and the bibliometrics (publications, authorships, institutions), validated against their
contracts — from one folder, or from two (e.g. a `talent openalex import` folder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

REGISTERS = ("researchers", "participations", "projects")
BIBLIOMETRICS = ("publications", "authorships", "institutions")


@dataclass
class Inputs:
    """Validated input frames (None where the file is absent) and their validation summaries."""

    researchers: pl.DataFrame | None = None
    participations: pl.DataFrame | None = None
    # LazyFrame scans where ``load_inputs(lazy=True)`` found an import that vouches for its files
    publications: pl.DataFrame | pl.LazyFrame | None = None
    authorships: pl.DataFrame | pl.LazyFrame | None = None
    projects: pl.DataFrame | None = None
    institutions: pl.DataFrame | pl.LazyFrame | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)  # dataset → the folder it was read from

    def quarantine_counts(self) -> dict[str, dict[str, int]]:
        """n_in / n_valid / n_quarantined per dataset (n_in = n_valid + n_quarantined)."""
        return {
            k: {"n_in": v["n_in"], "n_valid": v["n_valid"], "n_quarantined": v["n_quarantined"]}
            for k, v in self.checks.items()
        }


def load_inputs(
    data_dir: str | Path, *, bibliometrics: str | Path | None = None, lazy: bool = False
) -> Inputs:
    """Read and validate the registers from ``data_dir`` and the bibliometric tables from
    ``bibliometrics`` (None: the same folder) with ``datasets.load_folder`` — Parquet, CSV or
    JSON lines, or Parquet parts as the OpenAlex importer writes them; bad rows are quarantined
    and counted, never used. With two folders, bibliometric files in ``data_dir`` are ignored
    (a synthetic folder's publications never mix with imported ones).

    ``lazy``: when the bibliometric folder is a `talent openalex import` whose manifest vouches
    for its files (``openalex_import.vouched``: unchanged since the import, validated with
    today's contracts and taxonomy), publications, authorships and institutions are LazyFrame
    scans of its Parquet files instead of validated copies in memory — at 10 million works the
    validation alone needs several times the data's size. Anything else is validated."""
    from talentlib import datasets

    data_dir = Path(data_dir)
    bib = Path(bibliometrics) if bibliometrics is not None else data_dir
    parts = (
        [(data_dir, [*REGISTERS, *BIBLIOMETRICS])]
        if bib.resolve() == data_dir.resolve()
        else [(data_dir, list(REGISTERS)), (bib, list(BIBLIOMETRICS))]
    )
    out = Inputs()
    for folder_path, names in parts:
        folder = datasets.load_folder(folder_path, names, trust_import=lazy)
        for name in [*folder.results, *folder.vouched]:
            setattr(out, name, folder.scan(name) if name in folder.vouched else folder.valid[name])
            out.checks[name] = folder.summary(name)
            out.folders[name] = str(folder_path)
    return out
