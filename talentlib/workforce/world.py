"""What every field's workforce map shares, made once: the works classified into the 50
technologies, the bibliometric base (citation flags, author credit), the all-field country
tables, author moves, and Korea's activity panel with its entrants, leavers and field overlap.

At national scale these take ≈ 20 s and most of a notebook's memory, and they are the same for
all 12 fields; a field's map only filters them (``map_tables``). Inside a batch run
(``TALENTLIB_PREPARED``) the first field's notebook computes them and keeps them in the run's
prepared folder, and the other fields read them (``prepare_world``) without loading the
registers at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import config, io, privacy, taxonomy

from .bibliometrics import (
    Bibliometrics,
    activity_index,
    author_mobility,
    bibliometrics,
    collaboration,
    country_output,
)
from .classify import classify_projects, classify_publications, truth_accuracy
from .domestic import activity_panel, entrants_leavers, field_overlap
from .inputs import BIBLIOMETRICS, REGISTERS, Inputs, load_inputs

# Changes when what the world holds, or how it is computed, changes (a run's prepared world of
# an earlier version is then not read by a resumed run).
WORLD_VERSION = 1
# the works' columns the world keeps (bibliometrics and the classification check read them)
WORK_COLUMNS = ("work_id", "publication_year", "cited_by_count", "topics")


@dataclass
class World:
    """The shared part of every field's map for ``years``. ``panel``, ``flows`` and ``overlap``
    are None without registers (a bibliometrics-only run); ``flows`` and ``overlap`` carry cell
    keys made with the release's salt."""

    years: tuple[int, int]
    bibliometrics: Bibliometrics
    country_output: pl.DataFrame  # by field, all countries
    country_output_by_year: pl.DataFrame
    activity_index: pl.DataFrame  # by technology
    collaboration: pl.DataFrame  # by field
    author_moves: pl.DataFrame
    panel: pl.DataFrame | None = None
    flows: pl.DataFrame | None = None
    overlap: pl.DataFrame | None = None
    classification: dict[str, Any] | None = None
    quarantine: dict[str, dict[str, int]] = field(default_factory=dict)
    reused: bool = False  # read from the run's prepared folder (another field computed it)


def build_world(
    inputs: Inputs,
    years: tuple[int, int] | list[int],
    *,
    salt: str | None = None,
    truth_dir: str | Path | None = None,
) -> World:
    """Compute the shared part from validated inputs (``truth_dir``: a synthetic folder whose
    truth labels measure the classification; None for real data)."""
    if inputs.publications is None or inputs.authorships is None:
        raise ValueError("the workforce map needs publications and authorships")
    span = (int(years[0]), int(years[-1]))
    # only what the indicators and the classification check read: a lazy scan of an import
    # then never holds titles or confidences of millions of works
    works = classify_publications(inputs.publications, columns=WORK_COLUMNS)
    projects = classify_projects(inputs.projects) if inputs.projects is not None else None
    b = bibliometrics(works, inputs.authorships, years=list(span))
    w = World(
        years=span,
        bibliometrics=b,
        country_output=country_output(b, unit="field_code"),
        country_output_by_year=country_output(b, unit="field_code", by_year=True),
        activity_index=activity_index(b, unit="tech_code"),
        collaboration=collaboration(b, unit="field_code"),
        author_moves=author_mobility(b),
        classification=truth_accuracy(truth_dir, works, projects) if truth_dir else None,
        quarantine=inputs.quarantine_counts(),
    )
    if inputs.participations is not None and inputs.researchers is not None:
        w.panel = activity_panel(inputs.participations, inputs.researchers, years=list(span))
        w.flows = entrants_leavers(inputs.participations, years=list(span), salt=salt)
        w.overlap = field_overlap(w.panel, years=list(span), salt=salt)
    return w


def _world_key(
    registers: Path | None,
    bib: Path,
    span: tuple[int, int],
    rules: privacy.DisclosureRules,
    truth_dir: Path | None,
) -> str:
    """What the world depends on: the input files (path, size, time) and intake mappings of
    both folders, the years, the salt's fingerprint, the truth folder and the versions."""
    from talentlib import cellkey, datasets

    files = datasets.input_files(bib, BIBLIOMETRICS)
    if registers is not None:
        files += datasets.input_files(registers, REGISTERS)
    return io.content_key(
        [
            io.file_stats(files),
            list(span),
            cellkey.salt_id(rules.cell_key_salt or ""),
            str(truth_dir) if truth_dir else None,
            taxonomy.versions(),
            WORLD_VERSION,
        ]
    )


def prepare_world(
    registers: str | Path | None,
    bibliometrics_dir: str | Path | None = None,
    *,
    years: tuple[int, int] | list[int],
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008 - frozen
    truth_dir: str | Path | None = None,
) -> World:
    """Load the inputs (``load_inputs``) and build the world; inside a batch run, once for all
    fields (the first field computes it under a lock, the others read it)."""
    bib = Path(bibliometrics_dir) if bibliometrics_dir is not None else Path(str(registers))
    reg = Path(registers) if registers is not None else bib
    span = (int(years[0]), int(years[-1]))

    def build() -> World:
        inputs = load_inputs(reg, bibliometrics=bib, lazy=True)
        return build_world(inputs, span, salt=rules.cell_key_salt, truth_dir=truth_dir)

    prepared = config.prepared_dir("workforce")
    if not prepared:
        return build()
    key = _world_key(
        Path(registers) if registers is not None else None,
        bib,
        span,
        rules,
        Path(truth_dir) if truth_dir else None,
    )
    return io.computed_once(prepared, key, build, _dump, _load)[0]


def _dump(w: World) -> tuple[dict[str, pl.DataFrame | None], dict[str, Any]]:
    b = w.bibliometrics
    frames = {
        "works": b.works, "authorships": b.authorships, "credit": b.credit,
        "country_output": w.country_output, "country_output_by_year": w.country_output_by_year,
        "activity_index": w.activity_index, "collaboration": w.collaboration,
        "author_moves": w.author_moves, "panel": w.panel, "flows": w.flows, "overlap": w.overlap,
    }  # fmt: skip
    meta = {
        "years": list(w.years),
        "bibliometric_years": list(b.years),
        "classification": w.classification,
        "quarantine": w.quarantine,
    }
    return frames, meta


def _load(frames: dict[str, pl.DataFrame], meta: dict[str, Any]) -> World:
    b = Bibliometrics(
        works=frames["works"],
        authorships=frames["authorships"],
        credit=frames["credit"],
        years=(int(meta["bibliometric_years"][0]), int(meta["bibliometric_years"][1])),
    )
    return World(
        years=(int(meta["years"][0]), int(meta["years"][1])),
        bibliometrics=b,
        country_output=frames["country_output"],
        country_output_by_year=frames["country_output_by_year"],
        activity_index=frames["activity_index"],
        collaboration=frames["collaboration"],
        author_moves=frames["author_moves"],
        panel=frames.get("panel"),
        flows=frames.get("flows"),
        overlap=frames.get("overlap"),
        classification=meta["classification"],
        quarantine=meta["quarantine"],
        reused=True,
    )


__all__ = ["WORLD_VERSION", "World", "build_world", "prepare_world"]
