"""Data contracts: load ``data_contracts/*.yaml`` and validate frames against them.

``validate`` never drops a row silently: every row either comes out in ``result.valid`` (cast to
the contract's types) or has one quarantine entry per rule it fails, so that
``n_in == n_valid + n_quarantined``. Rule names in the quarantine:

    ragged_row, type, not_null, allowed, pattern, range, primary_key, duplicate_row, unique,
    foreign_key, not_before, prefix_of, one_of_required, overlap, pii_value

(``ragged_row``: a line of a delimited file with more or fewer fields than its header, found by
``talentlib.io`` and passed in as ``rejected``; its row is not read at all.)

and, raised as ``ContractError`` instead of quarantined, ``missing_column`` and ``pii_column``.

Decisions worth knowing:

- Blank strings (empty or whitespace only) count as null in every column.
- Dates are read from ISO ``YYYY-MM-DD`` and from ``YYYYMMDD``, ``YYYY.MM.DD``, ``YYYY/MM/DD``
  text (spaces and a trailing dot, as in ``2023. 1. 5.``, and a midnight time are tolerated).
- ``list[str]`` values in text files are a JSON array (``["a", "b"]``) or ``a|b``.
- Key rules (``primary_key``, ``unique``, ``duplicate_row``) compare values after casting and
  look at all rows; ``no_overlap`` looks only at rows that passed every other rule, so a bad
  spell never pushes a good one into the quarantine.
- ``no_overlap`` treats ``[start, end]`` as half-open: a spell ending on the day the next one
  starts does not overlap it (the employment-insurance loss date is the day after the last
  working day, 이직일 다음날, so a same-day re-acquisition is a seamless renewal). An end that
  is null means the interval is still open.
- ``pii_value`` kinds (``talentlib.pii``) are checked on free-text string columns: those with no
  ``pattern`` nor ``allowed`` that are not identifiers (``*_id``, key columns). ``pii_check:
  true|false`` on a column overrides this. Identifiers get a ``pattern`` in their contract so
  that a phone number or RRN in an id column fails it. Every quarantine value, whatever its
  rule (type, key, foreign key, row rule), goes through the same detector and is shown as
  ``[masked:<kind>]`` when it holds PII.

The package follows the data flow of ``validate``: ``load`` reads a contract (the model and its
YAML), ``cast`` reads each value as the contract's type, ``checks`` applies the rules of one row,
``relations`` the rules across rows (keys, duplicates, foreign keys, overlaps), and
``validation`` runs them in order and assembles the result and its quarantine.
"""

from talentlib.contracts.cast import parse_date_text
from talentlib.contracts.load import (
    DATASET_RULES,
    QUARANTINE_SCHEMA,
    ROW_RULES,
    RULES,
    TYPES,
    Column,
    Contract,
    ContractError,
    ForeignKey,
    PiiPolicy,
    Rule,
    excerpt,
    list_contracts,
    load_contract,
)
from talentlib.contracts.validation import ValidationResult, validate

__all__ = [
    "DATASET_RULES",
    "QUARANTINE_SCHEMA",
    "ROW_RULES",
    "RULES",
    "TYPES",
    "Column",
    "Contract",
    "ContractError",
    "ForeignKey",
    "PiiPolicy",
    "Rule",
    "ValidationResult",
    "excerpt",
    "list_contracts",
    "load_contract",
    "parse_date_text",
    "validate",
]
