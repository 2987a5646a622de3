"""talentlib — Korea's strategic-technology talent analytics.

The data flow, one module (or package) per step::

    raw files ─► contracts / io (validate, quarantine) ─► datasets (the folder to analyse)
              ─► linkage (researchers ↔ employment insurance) ─► careers   (career flows)
              ─► postings (OCR, sections, rules, tagger) ─────► competencies (job demand)
              ─► openalex (real works) + workforce (classification, domestic, global map)
              ─► privacy (disclosure control) ─► report (gate, brief, workbook) ─► batch (runs)

The names below are the public face; each is imported on first use, so ``import talentlib``
stays cheap. The synthetic generator (``talentlib.synth``) sits on top: only ``datasets``,
``training`` and ``evaluation`` reach it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name → the module that holds it
_FACE = {
    # the data route
    "ensure": "talentlib.datasets",
    "load_folder": "talentlib.datasets",
    "validate": "talentlib.contracts",
    "read_validated": "talentlib.io",
    # analyses: one call per field, disclosed tables out
    "career_tables": "talentlib.careers",
    "CohortSpec": "talentlib.careers",
    "link_folder": "talentlib.linkage",
    "map_tables": "talentlib.workforce",
    "MapSpec": "talentlib.workforce",
    "demand_tables": "talentlib.competencies",
    # privacy and publishing
    "disclose": "talentlib.privacy",
    "DisclosureRules": "talentlib.privacy",
    "mask_pii": "talentlib.pii",
    "display": "talentlib.labels",
}
_MODULES = (
    "batch",
    "careers",
    "competencies",
    "config",
    "contracts",
    "datasets",
    "io",
    "labels",
    "linkage",
    "openalex",
    "pii",
    "postings",
    "privacy",
    "report",
    "taxonomy",
    "viz",
    "workforce",
)

__all__ = ["__version__", *_FACE, *_MODULES]


def __getattr__(name: str) -> Any:
    if name in _FACE:
        value = getattr(importlib.import_module(_FACE[name]), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        module = importlib.import_module(f"talentlib.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'talentlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
