"""Where the works come from: the SOURCE arguments (a snapshot folder, a folder of exports,
files) → the partitions to import (``discover_parts``), one ``Part`` per source file."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class OpenAlexImportError(ValueError):
    """A refused destination or an unusable source; the message says what to do next."""


@dataclass(frozen=True)
class Part:
    """One source file, imported as one partition."""

    key: str  # file-name-safe partition name
    path: Path
    fmt: str  # "jsonl" (one work a line) or "json" (an API page, a list or one work)
    gz: bool
    source: Path  # the SOURCE argument it came from
    updated_date: str | None = None  # snapshot partition date
    expected: int | None = None  # record_count in the snapshot manifest


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name).strip("._") or "part"


def _file_format(path: Path) -> tuple[str, bool] | None:
    """(format, gzipped) of a works file by its suffixes; a bare .gz is JSON lines (the
    snapshot's part_NNN.gz); None for anything else."""
    sfx = [s.lower() for s in path.suffixes]
    gz = bool(sfx) and sfx[-1] == ".gz"
    inner = sfx[-2] if gz and len(sfx) > 1 else (None if gz else (sfx[-1] if sfx else None))
    if inner in (".jsonl", ".ndjson"):
        return "jsonl", gz
    if inner == ".json":
        return "json", gz
    if gz and (inner is None or not inner[1:].isalpha()):
        return "jsonl", gz
    return None


def _snapshot_root(d: Path) -> Path | None:
    for root in (d / "works", d):
        if root.is_dir() and any(root.glob("updated_date=*")):
            return root
    return None


def _snapshot_manifest(root: Path) -> dict[str, int]:
    """record_count per 'updated_date=…/part_…' from the snapshot's manifest file, if any."""
    m = root / "manifest"
    if not m.is_file():
        return {}
    try:
        entries = json.loads(m.read_text(encoding="utf-8")).get("entries") or []
    except (OSError, ValueError, AttributeError):
        return {}
    counts = {}
    for e in entries:
        url = str((e or {}).get("url") or "")
        hit = re.search(r"(updated_date=[^/]+/[^/]+)$", url)
        n = ((e or {}).get("meta") or {}).get("record_count")
        if hit and isinstance(n, int):
            counts[hit.group(1)] = n
    return counts


def discover_parts(sources: Sequence[str | Path]) -> tuple[list[Part], list[dict[str, Any]]]:
    """The partitions to import from SOURCE arguments — a snapshot folder (with or above
    ``works/``), a folder of exports, or files — and a description of each source."""
    parts: list[Part] = []
    described: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for s in sources:
        src = Path(s)
        if not src.exists():
            raise OpenAlexImportError(
                f"source not found: {src} — pass an OpenAlex snapshot folder, API pages (.json) "
                "or JSON lines (.jsonl, .jsonl.gz)"
            )
        root = _snapshot_root(src) if src.is_dir() else None
        if root is not None:
            counts = _snapshot_manifest(root)
            files = sorted(p for p in root.glob("updated_date=*/*.gz") if p.is_file())
            if not files:
                raise OpenAlexImportError(
                    f"{root} has updated_date=* folders but no part_*.gz files; is the snapshot "
                    "download complete?"
                )
            dates = sorted({p.parent.name.removeprefix("updated_date=") for p in files})
            rels = {f"{p.parent.name}/{p.name}" for p in files}
            described.append(
                {
                    "path": str(src),
                    "kind": "snapshot",
                    "parts": len(files),
                    "updated_dates": [dates[0], dates[-1]],
                    "manifest_records": sum(counts.values()) if counts else None,
                    "missing_parts": sorted(set(counts) - rels),
                }
            )
            for p in files:
                if p.resolve() in seen:
                    continue
                seen.add(p.resolve())
                date = p.parent.name.removeprefix("updated_date=")
                parts.append(
                    Part(
                        key=_safe(f"{date}_{p.name.split('.')[0]}"),
                        path=p,
                        fmt="jsonl",
                        gz=True,
                        source=src,
                        updated_date=date,
                        expected=counts.get(f"{p.parent.name}/{p.name}"),
                    )
                )
            continue
        if src.is_dir():
            files = sorted(p for p in src.rglob("*") if p.is_file() and _file_format(p))
            if not files:
                raise OpenAlexImportError(
                    f"{src} holds no OpenAlex works files (.jsonl, .ndjson, .json, optionally "
                    ".gz) and is not a snapshot (works/updated_date=*/part_*.gz)"
                )
        else:
            if _file_format(src) is None:
                raise OpenAlexImportError(
                    f"cannot read {src}: expected .jsonl, .ndjson or .json (optionally .gz), "
                    "or a snapshot part_NNN.gz"
                )
            files = [src]
        n0 = len(parts)
        for p in files:
            rp = p.resolve()
            if rp in seen:
                continue
            seen.add(rp)
            fmt, gz = _file_format(p)  # type: ignore[misc]
            tag = hashlib.sha1(str(rp).encode()).hexdigest()[:8]
            stem = p.name.split(".")[0]
            parts.append(Part(key=f"{_safe(stem)}-{tag}", path=p, fmt=fmt, gz=gz, source=src))
        described.append(
            {
                "path": str(src),
                "kind": "folder" if src.is_dir() else "file",
                "parts": len(parts) - n0,
            }
        )
    keys = Counter(p.key for p in parts)
    dup = [k for k, n in keys.items() if n > 1]
    if dup:
        raise OpenAlexImportError(
            f"two sources give the same partition {dup[0]!r} (two snapshots?); import them "
            "into separate folders"
        )
    return parts, described
