"""Linking researchers to employment-insurance records.

The main path joins on the combined pseudonymized key table (`link`); the fallback for data
without one links on pseudonymized quasi-identifiers with Splink (`probabilistic_link`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from .keyed import (
    LINKED_FRAMES,
    LinkageReport,
    LinkedData,
    PreparedLinkedData,
    field_slice,
    link,
    resolve_keys,
)


def link_folder(path: str | Path) -> LinkedData:
    """Validate a dataset folder and link it through its key table. Inside a batch run
    (``TALENTLIB_PREPARED``) the first field's notebook links and keeps the result in the run's
    prepared folder; the others read it instead of validating and linking again."""
    from talentlib import config, datasets, io, taxonomy

    datasets.require(
        path,
        ["researchers", "participations", "employment_spells", "key_table"],
        purpose="linking researchers with employment-insurance records",
    )
    names = ["researchers", "participations", "employment_spells", "annual_wages", "key_table"]

    def make() -> LinkedData:
        folder = datasets.load_folder(path, names)
        v = folder.valid
        linked = link(
            v["researchers"],
            v["participations"],
            v["key_table"],
            v["employment_spells"],
            quarantined_key_rows=folder.quarantined_by_rule("key_table"),
            annual_wages=v.get("annual_wages"),
        )
        linked.extra["quality"] = folder.quality()
        return linked

    prepared = config.prepared_dir("linkage")
    if not prepared:
        return make()
    key = io.content_key(
        [io.file_stats(datasets.input_files(path, names)), taxonomy.versions(), LINK_VERSION]
    )
    linked = io.computed_once(prepared, key, make, _dump, _load, lazy=True)[0]
    linked.extra["fingerprint"] = key  # the same content: the same key in every field's kernel
    return linked


def _dump(linked: LinkedData) -> tuple[dict[str, pl.DataFrame | None], dict[str, Any]]:
    frames = {n: getattr(linked, n) for n in LINKED_FRAMES}
    frames |= {"by_group": linked.report.by_group, "quality": linked.extra["quality"]}
    return frames, linked.report.summary


def _load(frames: dict[str, pl.LazyFrame], summary: dict[str, Any]) -> LinkedData:
    """The prepared linked data, its registers read only when used (the report at once)."""
    return PreparedLinkedData(
        {n: frames[n] for n in LINKED_FRAMES if n in frames},
        report=LinkageReport(summary=summary, by_group=frames["by_group"].collect()),
        extra={"quality": frames["quality"].collect()},
    )


# Changes when linking changes (a resumed run then links again instead of reading)
LINK_VERSION = 1


def __getattr__(name: str) -> Any:  # the Splink fallback is imported only when used
    if name in ("probabilistic_link", "evaluate_links"):
        from . import probabilistic

        return getattr(probabilistic, name)
    raise AttributeError(name)


__all__ = [
    "LinkageReport",
    "LinkedData",
    "link",
    "link_folder",
    "field_slice",
    "PreparedLinkedData",
    "resolve_keys",
    "probabilistic_link",
    "evaluate_links",
]
