"""Stream OpenAlex works (a snapshot folder, API pages or JSON lines) into partitioned Parquet
for the strategic-technology fields: `talent openalex import`.

A field's works run to millions, so nothing is read whole: JSON lines (plain or .gz, the
snapshot's ``works/updated_date=*/part_*.gz`` among them) are read line by line in batches
(``batch_size`` records or ``batch_bytes`` bytes); an API page (``{"meta", "results"}``) is one
small JSON document. Each batch is parsed with ``openalex.WORK_SCHEMA``, placed in the 50
technologies by the topic crosswalk (``openalex.classify_works``), and the works of the wanted
fields and years are validated against the contracts and kept.

What DATA_DIR holds afterwards (one source file = one partition, key ``<part>``):

- ``publications/<part>-NNNN.parquet`` and ``authorships/<part>-NNNN.parquet`` — the contracts'
  columns; publications add ``tech_confidence``, ``classified_by`` and ``updated_date``.
- ``institutions.parquet`` — every institution of the kept authorships, once (contract
  ``institutions``); per-part inputs under ``_state/institutions/``.
- ``quarantine/<part>.parquet`` — bad records with file, line (JSON lines) or record number
  (a JSON page), rule and reason; never the raw line (it may hold raw affiliation strings).
- ``openalex_manifest.json`` — sources with sizes and sha256, snapshot dates, crosswalk version,
  counts in / kept / out of scope / quarantined per partition and per field, topic hits, and
  ``validated``: the contracts and taxonomy the kept rows passed and every output file (size,
  time, SHA-256, rows). ``vouched(DATA_DIR)`` checks it, so that the workforce map reads the
  files as lazy scans instead of validating tens of millions of rows again.
- ``_state/parts/<part>.json`` — the done-marker of a partition (source hash and counts): a
  rerun skips partitions whose source has not changed.
- ``.talent-openalex-import.json`` — the marker: only a folder this importer made (with the
  same settings) is written into again.

Counting: for every partition, in = kept + out_of_scope + quarantined, where out_of_scope
says why (year, no_technology, other_field, ambiguous_field, duplicate). A work present in
several partitions (an API export where pages overlap; an updated work in a later snapshot
partition) is kept once, from the copy with the latest ``updated_date``; the others are
counted as duplicate when the import finishes.

Publication years: the publications contract caps ``publication_year`` at a fixed year; the
importer raises that cap to the run year + 1 (OpenAlex dates early-view papers into next year)
so that current works are not quarantined, and records both bounds in the manifest.

One module per stage, data flowing one way (each imports only those before it)::

    sources   SOURCE arguments → partitions (``discover_parts``, ``Part``)
    reading   a partition in batches, hashed on the way; records parsed, bad lines found
    scope     one batch → works kept / out of scope / quarantined, classified and validated
    writer    a partition's files, staged and then moved into DATA_DIR
    manifest  finishing: one copy per work, institutions once, the manifest (``ImportResult``)
    run       ``import_openalex``: claim the folder, resume, read → scope → write, finish
"""

from __future__ import annotations

from .manifest import FORMAT_VERSION, MANIFEST, VOUCHED, ImportResult, vouched
from .reading import DETAIL_COLUMNS, MAX_JSON_BYTES, SCAN_COLUMNS
from .run import BATCH_BYTES, BATCH_SIZE, MARKER, import_openalex
from .scope import QUARANTINE_SCHEMA
from .sources import OpenAlexImportError, Part, discover_parts
from .writer import FLUSH_ROWS

__all__ = [
    "BATCH_BYTES",
    "BATCH_SIZE",
    "DETAIL_COLUMNS",
    "FLUSH_ROWS",
    "FORMAT_VERSION",
    "MANIFEST",
    "MARKER",
    "MAX_JSON_BYTES",
    "QUARANTINE_SCHEMA",
    "SCAN_COLUMNS",
    "VOUCHED",
    "ImportResult",
    "OpenAlexImportError",
    "Part",
    "discover_parts",
    "import_openalex",
    "vouched",
]
