"""Linking researchers to employment-insurance records.

The main path joins on the combined pseudonymized key table (`link`); the fallback for data
without one links on pseudonymized quasi-identifiers with Splink (`probabilistic_link`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .keyed import LinkageReport, LinkedData, link, resolve_keys


def link_folder(path: str | Path) -> LinkedData:
    """Validate a dataset folder and link it through its key table."""
    from talentlib import datasets

    datasets.require(
        path,
        ["researchers", "participations", "employment_spells", "key_table"],
        purpose="linking researchers with employment-insurance records",
    )
    folder = datasets.load_folder(
        path, ["researchers", "participations", "employment_spells", "annual_wages", "key_table"]
    )
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
    "resolve_keys",
    "probabilistic_link",
    "evaluate_links",
]
