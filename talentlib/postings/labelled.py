"""Labelled posting sets (``labels.jsonl`` beside the postings): the synthetic generator's, the
hand-written test sets and any set an analyst labels; read for training and evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["read_labels", "postings_root"]


def read_labels(path: str | Path) -> list[dict[str, Any]]:
    """labels.jsonl of a labelled posting set (the folder or the file), one dict per posting."""
    p = Path(path)
    p = p / "labels.jsonl" if p.is_dir() else p
    out = []
    for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise ValueError(f"{p}:{i}: not a JSON object ({e.msg})") from None
    return out


def postings_root(path: str | Path) -> Path:
    """The folder holding labels.jsonl: ``path`` itself or ``path/postings``."""
    p = Path(path)
    for cand in (p, p / "postings"):
        if (cand / "labels.jsonl").exists():
            return cand
    raise FileNotFoundError(
        f"no labels.jsonl in {p} or {p / 'postings'}; generate a set with "
        "`talent synth --scale tiny --out DIR` or point to a labelled folder"
    )
