"""Pseudonymization and disclosure control.

Two jobs (PII in free text is found and masked by ``talentlib.pii``):

* ``pseudonymize`` replaces direct identifiers by keyed HMAC-SHA256 pseudonyms (key from the
  environment, never from the repository) so that linkage works without names or RRNs.
* ``disclose`` is the one gate every published table goes through: threshold rule, then either
  complementary suppression against margins (``method="suppression"``) or cell-key perturbation
  of every published count (``method="cell_key"``, ``talentlib.cellkey``), and threshold/dominance
  rules on magnitudes (wages).

One module per part, data flowing one way (each imports only those before it)::

    pseudonym     keyed pseudonyms of identifiers (``pseudonymize``, ``pseudonymize_frame``)
    rules         the settings of disclosure control (``DisclosureRules``, the presets)
    table         what a published table is (``layout``, ``DisclosedTable``, ``is_disclosed``)
    suppression   the extended table and complementary suppression over its lines
    magnitudes    per-group statistics for ``disclose`` (``magnitude_stats``) and their rules
    perturbation  the cell-key side: each entry's key, the bound on the noise
    gate          ``disclose``, which runs them in order and seals the result
"""

from talentlib.privacy.gate import disclose
from talentlib.privacy.magnitudes import magnitude_stats
from talentlib.privacy.perturbation import CELL_KEY_COMPLEMENTARY
from talentlib.privacy.pseudonym import (
    DEFAULT_KEY_ENV,
    MIN_KEY_CHARS,
    PseudonymizationKeyError,
    pseudonymize,
    pseudonymize_frame,
)
from talentlib.privacy.rules import (
    METHODS,
    PARAMETER_NAMES,
    DisclosureRules,
    disclosure_presets,
)
from talentlib.privacy.suppression import protection_interval
from talentlib.privacy.table import (
    DATA_TOKEN,
    SUPPRESSED_SUFFIX,
    TOTAL,
    DisclosedTable,
    Layout,
    is_disclosed,
    layout,
)

__all__ = [
    "CELL_KEY_COMPLEMENTARY",
    "DATA_TOKEN",
    "DEFAULT_KEY_ENV",
    "METHODS",
    "MIN_KEY_CHARS",
    "PARAMETER_NAMES",
    "SUPPRESSED_SUFFIX",
    "TOTAL",
    "DisclosedTable",
    "DisclosureRules",
    "Layout",
    "PseudonymizationKeyError",
    "disclose",
    "disclosure_presets",
    "is_disclosed",
    "layout",
    "magnitude_stats",
    "protection_interval",
    "pseudonymize",
    "pseudonymize_frame",
]
