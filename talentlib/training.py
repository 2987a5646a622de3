"""Training data for the models that learn from synthetic postings — the one route from a model
to the synthetic generator.

The competency tagger's line classifier and the job-family classifier are trained on postings the
generator writes with its own seeds (never those of an evaluation set). Production modules ask
this module for examples; they never import ``talentlib.synth`` themselves.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["synthetic_postings", "tagger_training_lines", "job_family_examples"]


@contextmanager
def synthetic_postings(n_postings: int, seed: int) -> Iterator[Path]:
    """A temporary folder of plain-text synthetic postings with labels.jsonl (removed after)."""
    from talentlib.synth.base import default_params
    from talentlib.synth.postings import generate_postings

    with tempfile.TemporaryDirectory(prefix="talentlib-training-") as tmp:
        generate_postings(
            np.random.default_rng(seed),
            default_params(),
            tmp,
            n_postings=n_postings,
            formats={"txt": 1.0},
            max_rendered=0,
        )
        yield Path(tmp) / "postings"


def tagger_training_lines(
    n_postings: int, seed: int, name: str = "competencies"
) -> tuple[list[str], list[list[str]]]:
    """Labelled lines for the competency tagger from a fresh synthetic posting set."""
    from talentlib.postings.tagger import training_lines

    with synthetic_postings(n_postings, seed) as folder:
        return training_lines(folder, name=name)


def job_family_examples(
    n_postings: int, seed: int
) -> tuple[list[str], list[list[str]], list[str]]:
    """(titles, competency codes, job families) of a fresh synthetic posting set."""
    from talentlib.postings.labelled import read_labels

    with synthetic_postings(n_postings, seed) as folder:
        labels = read_labels(folder)
    return (
        [r["title"] for r in labels],
        [r["competencies"] for r in labels],
        [r["job_family"] for r in labels],
    )
