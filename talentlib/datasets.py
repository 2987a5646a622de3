"""The standard dataset folder: which file holds which contract, read and validated together.

A folder written by `talent synth` (or prepared the same way from real pseudonymized extracts)
holds one file per dataset; `load_folder` validates each against its contract, with foreign keys
checked against the datasets they reference, and keeps the counts and quarantines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from . import contracts, io

# dataset → (file name, referenced datasets for foreign keys); order matters for references
LAYOUT: dict[str, tuple[str, tuple[str, ...]]] = {
    "researchers": ("researchers.parquet", ()),
    "participations": ("participations.parquet", ("researchers",)),
    "projects": ("projects.csv", ()),
    "employment_spells": ("employment_spells.parquet", ()),
    "annual_wages": ("annual_wages.parquet", ()),
    "key_table": ("key_table.parquet", ("researchers",)),
    "publications": ("publications.parquet", ()),
    "authorships": ("authorships.parquet", ("publications",)),
}


@dataclass
class Folder:
    """Valid frames per dataset, the data-quality table, and the raw validation results."""

    path: Path
    valid: dict[str, pl.DataFrame] = field(default_factory=dict)
    results: dict[str, contracts.ValidationResult] = field(default_factory=dict)

    def quality(self) -> pl.DataFrame:
        """dataset, file, n_in, n_valid, n_quarantined, rules (JSON of counts by rule)."""
        rows = []
        for name, res in self.results.items():
            by_rule = (
                dict(res.quarantine.group_by("rule").len().sort("rule").iter_rows())
                if res.n_quarantined
                else {}
            )
            rows.append(
                {
                    "dataset": name,
                    "file": LAYOUT[name][0],
                    "n_in": res.n_in,
                    "n_valid": res.n_valid,
                    "n_quarantined": res.n_quarantined,
                    "rules": json.dumps(by_rule, ensure_ascii=False),
                }
            )
        return pl.DataFrame(rows)

    def quarantined_by_rule(self, dataset: str) -> dict[str, int]:
        res = self.results.get(dataset)
        if res is None or not res.n_quarantined:
            return {}
        return dict(res.quarantine.group_by("rule").len().iter_rows())


def load_folder(path: str | Path, datasets: list[str] | None = None) -> Folder:
    """Read and validate the datasets present in a folder (all of LAYOUT unless named)."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(
            f"dataset folder not found: {path} — generate one with `talent synth`"
        )
    wanted = datasets or list(LAYOUT)
    folder = Folder(path=path)
    for name in LAYOUT:
        if name not in wanted:
            continue
        fname, refs = LAYOUT[name]
        if not (path / fname).exists():
            continue
        missing = [r for r in refs if r not in folder.valid and (path / LAYOUT[r][0]).exists()]
        for r in missing:  # a referenced dataset is needed to check foreign keys
            res = io.read_validated(path / LAYOUT[r][0], r)
            folder.valid[r], folder.results[r] = res.valid, res
        references = {r: folder.valid[r] for r in refs if r in folder.valid}
        res = io.read_validated(path / fname, name, references=references or None)
        folder.valid[name], folder.results[name] = res.valid, res
    return folder


def write_quarantines(folder: Folder, out: Path) -> None:
    for name, res in folder.results.items():
        if res.n_quarantined:
            out.mkdir(parents=True, exist_ok=True)
            contracts.write_quarantine(res, out / f"{name}.csv")
