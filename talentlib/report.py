"""Publishing: every table written out has passed disclosure control; key numbers for the batch.

This module grows into the brief writer (HTML and Excel); for now it holds the writers the
notebooks use and the gate that refuses any table that did not come through `privacy.disclose`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import io, privacy


class DisclosureGateError(RuntimeError):
    """A table that bypassed disclosure control was about to be published."""


def check_disclosed(tables: dict[str, Any]) -> None:
    """Refuse to publish anything that is not a DisclosedTable made by privacy.disclose."""
    bad = [name for name, t in tables.items() if not privacy.is_disclosed(t)]
    if bad:
        raise DisclosureGateError(
            f"not published: {', '.join(bad)} did not pass privacy.disclose (or were edited after it)"
        )


def save_tables(tables: dict[str, privacy.DisclosedTable], out: str | Path) -> Path:
    """Write disclosed tables as tables/<name>.parquet plus the public list of suppressed cells."""
    check_disclosed(tables)
    out = Path(out)
    for name, t in tables.items():
        io.write_parquet_atomic(t.table, out / "tables" / f"{name}.parquet")
        io.write_parquet_atomic(t.public_log(), out / "tables" / f"{name}.suppressed_cells.parquet")
    return out


def record_key_numbers(out: str | Path, numbers: dict[str, Any], notebook: str) -> Path:
    """The notebook's key numbers as a JSON sidecar the batch collects (no HTML scraping)."""
    path = Path(out) / "key_numbers.json"
    existing = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    existing[notebook] = numbers
    return io.write_json_atomic(existing, path)
