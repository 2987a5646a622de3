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
    publications: pl.DataFrame | None = None
    authorships: pl.DataFrame | None = None
    projects: pl.DataFrame | None = None
    institutions: pl.DataFrame | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)  # dataset → the folder it was read from

    def quarantine_counts(self) -> dict[str, dict[str, int]]:
        """n_in / n_valid / n_quarantined per dataset (n_in = n_valid + n_quarantined)."""
        return {
            k: {"n_in": v["n_in"], "n_valid": v["n_valid"], "n_quarantined": v["n_quarantined"]}
            for k, v in self.checks.items()
        }


def load_inputs(data_dir: str | Path, *, bibliometrics: str | Path | None = None) -> Inputs:
    """Read and validate the registers from ``data_dir`` and the bibliometric tables from
    ``bibliometrics`` (None: the same folder) with ``datasets.load_folder`` — Parquet, CSV or
    JSON lines, or Parquet parts as the OpenAlex importer writes them; bad rows are quarantined
    and counted, never used. With two folders, bibliometric files in ``data_dir`` are ignored
    (a synthetic folder's publications never mix with imported ones)."""
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
        folder = datasets.load_folder(folder_path, names)
        for name, res in folder.results.items():
            setattr(out, name, res.valid)
            out.checks[name] = res.summary()
            out.folders[name] = str(folder_path)
    return out
