"""Reading a release: every count table of a run folder (its ``release/`` when it has one) or of
one brief folder, as a ``PublishedTable`` with its disclosure stamp and population."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .. import privacy
from .population import Population, registry_population, with_data

LEDGER = "disclosure.json"


@dataclass(eq=False)
class PublishedTable:
    """One published count table as the auditor sees it, with what is known of its population."""

    name: str
    frame: pl.DataFrame
    count: str
    brief: str = ""
    release: str = "current"
    file: str = ""
    threshold: int = 5
    population: Population | None = None
    extras: tuple[tuple[str, ...], ...] = ()
    notes: list[str] = field(default_factory=list)
    noise: int = 0  # published counts are perturbed by at most this much (cell-key method)
    # False: only cells under the threshold are hidden (cell-key tables), so a reader knows that
    # every suppressed count lies in 1..threshold-1
    complementary: bool = True

    @property
    def uid(self) -> str:
        base = f"{self.brief}/{self.name}" if self.brief else self.name
        return base if self.release == "current" else f"{self.release}:{base}"

    @property
    def dims(self) -> list[str]:
        return privacy.layout(self.frame).dims

    @classmethod
    def from_disclosed(
        cls,
        name: str,
        table: privacy.DisclosedTable,
        *,
        population: Population | None = None,
        brief: str = "",
        release: str = "current",
        extras: tuple[tuple[str, ...], ...] = (),
        noise: int | None = None,
    ) -> PublishedTable:
        """Wrap a DisclosedTable (tests, notebooks) as if it had been read from a run folder;
        the population and the noise default to what the table itself records."""
        if population is None and table.population is not None:
            population = Population.from_json(with_data(table.population, "data:test"))
        return cls(
            name=name,
            frame=table.table,
            count=privacy.layout(table.table).count or "",
            brief=brief,
            release=release,
            threshold=table.rules.min_count,
            population=population,
            extras=extras,
            noise=table.max_perturbation if noise is None else noise,
            complementary=table.complementary,
        )


def _data_key(manifest: Mapping[str, Any], fallback: str) -> str:
    inputs = manifest.get("inputs")
    if not inputs:
        return fallback  # no fingerprint: link only within this run folder
    text = json.dumps(inputs, sort_keys=True)
    return "data:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _brief_dirs(run_dir: Path) -> list[Path]:
    if (run_dir / LEDGER).exists() or (run_dir / "tables").is_dir():
        return [run_dir]
    if (run_dir / "release").is_dir():  # a run folder: audit what it releases
        return _brief_dirs(run_dir / "release")
    return sorted(
        p
        for p in run_dir.iterdir()
        if p.is_dir() and ((p / LEDGER).exists() or (p / "tables").is_dir())
    )


@dataclass
class Skipped:
    """A published file the auditor did not treat as a count table, and why."""

    file: str
    reason: str


def _ledger_entries(bdir: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The disclosure stamps of a brief folder's tables: its own ledger, or — in a run's
    ``release/<field>/``, which carries none — the ledger of ``internal/<field>/`` (entries
    whose file hash matches what was released), else the manifest's table entries."""
    own = bdir / LEDGER
    if own.exists():
        return dict(json.loads(own.read_text(encoding="utf-8")).get("tables", {}))
    if bdir.parent.name == "release":
        internal = bdir.parent.parent / "internal" / bdir.name / LEDGER
        if internal.exists():
            entries = json.loads(internal.read_text(encoding="utf-8")).get("tables", {})
            released = {e.get("file"): e.get("sha256") for e in manifest.get("tables", {}).values()}
            return {
                n: e
                for n, e in entries.items()
                if not released or released.get(e["file"]) == e["sha256"]
            }
    return dict(manifest.get("tables", {}))


def load_release(
    run_dir: str | Path, release: str = "current"
) -> tuple[list[PublishedTable], list[Skipped]]:
    """Every count table of a run folder (its ``release/`` when it has one) or of one brief
    folder, with its population."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder not found: {run_dir}")
    tables: list[PublishedTable] = []
    skipped: list[Skipped] = []
    briefs = _brief_dirs(run_dir)
    if not briefs:
        raise FileNotFoundError(
            f"{run_dir}: no brief folders with tables/ or {LEDGER}; give a run folder "
            "(outputs/<run_id>) or one field's folder"
        )
    for bdir in briefs:
        mpath = bdir / "manifest.json"
        manifest = json.loads(mpath.read_text(encoding="utf-8")) if mpath.exists() else {}
        field_code = str(manifest.get("field_code") or bdir.name)
        brief = bdir.name
        data_key = _data_key(manifest, f"run:{run_dir.resolve()}")
        params_by_nb = manifest.get("parameters") or {}
        entries = _ledger_entries(bdir, manifest)
        by_file = {e["file"]: (n, e) for n, e in entries.items()}
        for path in sorted((bdir / "tables").glob("*.parquet")):
            rel = path.relative_to(bdir).as_posix()
            if path.name.endswith(".suppressed_cells.parquet"):
                continue
            name, entry = by_file.get(rel, (path.stem, {}))
            df = pl.read_parquet(path)
            count = entry.get("count_column") or privacy.layout(df).count
            where = f"{bdir.name}/{rel}"
            if not count or count not in df.columns or not df.schema[count].is_numeric():
                skipped.append(
                    Skipped(where, "no count column (not written by report.save_tables)")
                )
                continue
            notes = [] if entry else ["not in the ledger (no disclosure stamp)"]
            nb = entry.get("notebook")
            params = params_by_nb.get(nb, {}) if nb else {}
            if nb and nb not in params_by_nb:
                notes.append(f"notebook parameters not in the manifest; {nb} defaults assumed")
            pop: Population | None = None
            extras: tuple[tuple[str, ...], ...] = ()
            if entry.get("population"):
                pop = Population.from_json(with_data(entry["population"], data_key))
            else:
                pop, extras = registry_population(nb, name, field_code, params, data_key)
            rules = entry.get("rules") or {}
            t = PublishedTable(
                name=name,
                frame=df,
                count=count,
                brief=brief,
                release=release,
                file=where,
                threshold=int(rules.get("min_count", 5)),
                population=pop,
                extras=extras,
                notes=notes,
                noise=int(rules.get("max_perturbation", 0) or 0),
                complementary=bool(entry.get("complementary_suppression", True)),
            )
            tables.append(t)
    summary = briefs[0].parent / "summary"
    if summary.is_dir() and run_dir not in briefs:
        for p in sorted(summary.glob("*.parquet")):
            skipped.append(
                Skipped(
                    f"summary/{p.name}",
                    "key numbers (rates computed from the published counts), no count cells",
                )
            )
    return tables, skipped
