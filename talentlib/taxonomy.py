"""Strategic-technology and code taxonomies, read from versioned YAML in data_contracts/taxonomy/.

Every code table is a YAML file with ``name``, ``version``, ``source`` and a ``codes`` list of
mappings that carry at least ``code`` and ``ko``. The strategic-technology list nests its
technologies under its fields. Codes live in data; names are only for display.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

_REPO_ROOT = Path(__file__).resolve().parents[1]


def contracts_dir() -> Path:
    """The data_contracts folder: $TALENTLIB_CONTRACTS_DIR, else the one beside the package."""
    env = os.environ.get("TALENTLIB_CONTRACTS_DIR")
    path = Path(env) if env else _REPO_ROOT / "data_contracts"
    if not path.is_dir():
        raise FileNotFoundError(
            f"data contracts folder not found at {path}; set TALENTLIB_CONTRACTS_DIR "
            "or install talentlib from its repository (pip install -e .)"
        )
    return path


def taxonomy_dir() -> Path:
    return contracts_dir() / "taxonomy"


def _yaml_load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


@lru_cache(maxsize=64)
def load(name: str) -> dict[str, Any]:
    """Raw content of taxonomy file ``name`` (without .yaml)."""
    path = taxonomy_dir() / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in taxonomy_dir().glob("*.yaml"))
        raise KeyError(f"unknown taxonomy {name!r} (no {path}); known: {', '.join(known)}")
    data = _yaml_load(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def version(name: str) -> str:
    return str(load(name).get("version", "unversioned"))


def versions() -> dict[str, str]:
    """Version of every taxonomy file, for manifests."""
    return {p.stem: version(p.stem) for p in sorted(taxonomy_dir().glob("*.yaml"))}


def _rows(name: str, level: str | int | None) -> list[dict[str, Any]]:
    data = load(name)
    if name == "strategic_tech":
        if level in (None, "field"):
            return [{k: v for k, v in f.items() if k != "technologies"} for f in data["fields"]]
        if level == "technology":
            return [
                {**t, "field_code": f["code"]} for f in data["fields"] for t in f["technologies"]
            ]
        raise ValueError("strategic_tech levels are 'field' and 'technology'")
    rows = data.get("codes")
    if rows is None:
        raise ValueError(f"taxonomy {name!r} has no 'codes' list")
    if level is not None:
        rows = [r for r in rows if str(r.get("level")) == str(level)]
    return rows


def table(name: str, level: str | int | None = None) -> pl.DataFrame:
    """A taxonomy as a frame (code column first); list-valued entries become list columns."""
    rows = _rows(name, level)
    df = pl.from_dicts(rows, infer_schema_length=None)
    return df.with_columns(pl.col("code").cast(pl.String))


@lru_cache(maxsize=128)
def codes(name: str, level: str | int | None = None) -> frozenset[str]:
    """The allowed codes of a taxonomy (optionally one level of it)."""
    return frozenset(str(r["code"]) for r in _rows(name, level))


def label(name: str, code: str, lang: str = "ko", level: str | int | None = None) -> str:
    """Display name of a code; the code itself if the taxonomy does not know it."""
    for r in _rows(name, level if name == "strategic_tech" else None):
        if str(r["code"]) == str(code):
            return str(r.get(lang) or r.get("ko") or code)
    if name == "strategic_tech" and level is None:
        return label(name, code, lang, level="technology")
    return str(code)


def labels(name: str, lang: str = "ko", level: str | int | None = None) -> dict[str, str]:
    """Code → display name for a whole taxonomy (for pl.Expr.replace)."""
    return {str(r["code"]): str(r.get(lang) or r.get("ko") or r["code"]) for r in _rows(name, level)}


def fields() -> pl.DataFrame:
    """The 12 strategic-technology fields: code, ko, en, group, ..."""
    return table("strategic_tech", "field")


def technologies() -> pl.DataFrame:
    """The 50 technologies with their field_code."""
    return table("strategic_tech", "technology")
