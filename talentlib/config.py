"""Every environment variable talentlib reads, in one place, with its default and its meaning.

Modules ask this module (``config.data_root()``, ``config.cache_dir()``) rather than reading
``os.environ`` themselves, so that one page lists every knob a deployment can turn.
"""

from __future__ import annotations

import os
from pathlib import Path

# name → what it sets (shown by `talent --help` and the README)
VARIABLES: dict[str, str] = {
    "TALENTLIB_DATA": "root of the synthetic datasets (default data/synthetic; one folder per scale)",
    "TALENTLIB_CACHE": "cache of OCR text, tagger models and LLM answers (default ~/.cache/talentlib)",
    "TALENTLIB_CONTRACTS_DIR": "data contracts and taxonomies (default: the ones shipped with talentlib)",
    "TALENTLIB_PSEUDONYM_KEY": "secret key for keyed pseudonymization (at least 16 characters)",
    "TALENTLIB_CELL_KEY_SALT": "secret salt of cell-key perturbation (default: one made once in ~/.config/talentlib)",
    "TALENTLIB_CONFIG": "folder of talentlib's secrets such as the cell-key salt (default ~/.config/talentlib)",
    "TALENTLIB_LLM_API_KEY": "API key for an OpenAI-compatible LLM endpoint",
    "TALENTLIB_LLM_THREADS": "CPU threads for the local LLM (default 2)",
    "TALENTLIB_NOTEBOOK": "set by the batch: which notebook is stamping tables",
    "TALENTLIB_PREPARED": "set by the batch: where what it computes once for all fields is kept",
    "TALENTLIB_BATCH_PARENT": "set by the batch: the parent's pid, so workers stop when it dies",
}


def _get(name: str) -> str | None:
    if name not in VARIABLES:  # a typo here would silently read nothing
        raise KeyError(f"{name} is not a talentlib setting; known: {', '.join(VARIABLES)}")
    value = os.environ.get(name)
    return value if value else None


def data_root() -> Path:
    """Where the synthetic datasets live: $TALENTLIB_DATA, else data/synthetic."""
    return Path(_get("TALENTLIB_DATA") or "data/synthetic")


def cache_dir() -> Path:
    """talentlib's cache folder: $TALENTLIB_CACHE, else ~/.cache/talentlib."""
    env = _get("TALENTLIB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "talentlib"


def config_dir() -> Path:
    """Where talentlib keeps an installation's secrets: $TALENTLIB_CONFIG, else ~/.config/talentlib."""
    env = _get("TALENTLIB_CONFIG")
    return Path(env) if env else Path.home() / ".config" / "talentlib"


def prepared_dir(what: str = "") -> Path | None:
    """Inside a batch run, the run's folder of what it computes once for all fields
    (``internal/prepared/``, or its sub-folder ``what``); None outside a batch run."""
    env = _get("TALENTLIB_PREPARED")
    return (Path(env) / what if what else Path(env)) if env else None


def get(name: str) -> str | None:
    """The value of one of VARIABLES (None when unset or empty)."""
    return _get(name)
