"""Publishing: disclosure-stamped tables, and per-field briefs (HTML + PDF + Excel + manifest).

Notebooks write tables only through ``save_tables``, which refuses anything that did not come
through ``privacy.disclose`` and stamps each file (sha256, rules, population) in
``disclosure.json``. The brief writer (``publish_field``) trusts nothing else: before it writes a
byte it checks that every file under ``tables/`` is stamped and unchanged and that the published
counts respect the thresholds (``verify_tables``); otherwise ``DisclosureGateError``. The brief
then reads the tables from the verified bytes, draws the charts from them, and writes
``brief.html`` (Korean, self-contained, inline SVG, no script), ``tables.xlsx`` and
``manifest.json``; ``release_field`` copies exactly those into the run's ``release/``. The batch's
cross-field summary (``write_summary``) is built from each field's disclosed key numbers.

One module per stage, data flowing one way (each imports only those before it)::

    ledger    save_tables, save_chart, record_key_numbers; the gate verify_tables
    display   the display model (Korean labels, 비공개, 합계 last) and the brief's shapes
    brief     the brief's HTML: charts from verified tables, method notes, findings, provenance
    workbook  tables.xlsx
    field     publish_field (gate → charts → brief, workbook, manifest), release_field
    summary   the 12-field summary of a run

The stamps guard against accidental bypass (a table written by other means, or edited after it
was written); they are not a defence against someone forging the ledger on purpose."""

from __future__ import annotations

from .display import (
    MOSTLY_SUPPRESSED,
    SUPPRESSED,
    TOP_PAIRS,
    TOP_PER_FAMILY,
    TOTAL_KO,
    Cell,
    DisplayTable,
    brief_table,
    display_table,
    flatten_key_numbers,
    value_cells,
)
from .field import RELEASED, RELEASED_IF_PRESENT, publish_field, release_field
from .ledger import (
    KEY_NUMBERS,
    LEDGER,
    NOTEBOOK_ENV,
    DisclosureGateError,
    VerifiedTables,
    check_disclosed,
    hide_cells,
    record_key_numbers,
    save_chart,
    save_tables,
    verify_tables,
)
from .summary import field_numbers, write_summary
from .workbook import write_workbook

__all__ = [
    "KEY_NUMBERS",
    "LEDGER",
    "MOSTLY_SUPPRESSED",
    "NOTEBOOK_ENV",
    "RELEASED",
    "RELEASED_IF_PRESENT",
    "SUPPRESSED",
    "TOP_PAIRS",
    "TOP_PER_FAMILY",
    "TOTAL_KO",
    "Cell",
    "DisclosureGateError",
    "DisplayTable",
    "VerifiedTables",
    "brief_table",
    "check_disclosed",
    "display_table",
    "field_numbers",
    "flatten_key_numbers",
    "hide_cells",
    "publish_field",
    "record_key_numbers",
    "release_field",
    "save_chart",
    "save_tables",
    "value_cells",
    "verify_tables",
    "write_summary",
    "write_workbook",
]
