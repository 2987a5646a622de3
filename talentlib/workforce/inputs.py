"""Inputs of the workforce map: researchers, participations, projects, publications and authorships, validated against their contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl


@dataclass
class Inputs:
    """Validated input frames (None where the file is absent) and their validation summaries."""

    researchers: pl.DataFrame | None = None
    participations: pl.DataFrame | None = None
    publications: pl.DataFrame | None = None
    authorships: pl.DataFrame | None = None
    projects: pl.DataFrame | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def quarantine_counts(self) -> dict[str, dict[str, int]]:
        """n_in / n_valid / n_quarantined per dataset (n_in = n_valid + n_quarantined)."""
        return {
            k: {"n_in": v["n_in"], "n_valid": v["n_valid"], "n_quarantined": v["n_quarantined"]}
            for k, v in self.checks.items()
        }


def load_inputs(data_dir: str | Path) -> Inputs:
    """Read and validate researchers, participations, projects, publications and authorships
    from a data folder (``datasets.load_folder``: Parquet, CSV or JSON lines, or Parquet parts
    as the OpenAlex importer writes them); bad rows are quarantined and counted, never used."""
    from talentlib import datasets

    names = ["researchers", "participations", "projects", "publications", "authorships"]
    folder = datasets.load_folder(data_dir, names)
    out = Inputs()
    for name, res in folder.results.items():
        setattr(out, name, res.valid)
        out.checks[name] = res.summary()
    return out
