"""The disclosure rules: thresholds, dominance and the protection method, as settings that a run
records (``DisclosureRules``), and the named presets a pipeline may choose."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds for published tables; safe defaults, override per run and record in the manifest.

    Zero cells are published as zero and never chosen as complements: they protect nothing.
    """

    min_count: int = 5  # threshold rule: a count cell with 0 < n < min_count is suppressed
    min_count_magnitude: int = 10  # magnitudes only for groups of at least this many people
    dominance_n: int = 2  # (n, k) dominance rule on magnitudes:
    dominance_k: float = 0.85  # suppressed if the top n contributors hold more than k of the total
    # how counts are protected across the tables of a release: complementary suppression, or
    # cell-key perturbation (talentlib.cellkey; the same people get the same noise everywhere)
    method: str = "suppression"
    # the release's secret salt for record keys (cell_key only); None: the installation's secret
    # (cellkey.release_salt). Never published: briefs and ledgers show only its salt_id.
    cell_key_salt: str | None = None
    _salt_given: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_salt_given", self.cell_key_salt is not None)
        if self.cell_key_salt is None:
            from talentlib import cellkey

            # suppression computes no noise: no secret is read (or made) for it
            salt = cellkey.release_salt() if self.method == "cell_key" else ""
            object.__setattr__(self, "cell_key_salt", salt)
        if self.min_count < 1 or self.min_count_magnitude < 1 or self.dominance_n < 1:
            raise ValueError("min_count, min_count_magnitude and dominance_n must be >= 1")
        if not 0 < self.dominance_k <= 1:
            raise ValueError("dominance_k must be in (0, 1]")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The rules' settings, read from the class itself (never listed twice)."""
        return tuple(f.name for f in dataclasses.fields(cls) if not f.name.startswith("_"))

    def settings(self) -> dict[str, Any]:
        """The keyword arguments that make these rules again: a salt nobody gave is left out,
        so that a plan, a pipeline record or an executed notebook never holds the
        installation's secret (each process reads it itself)."""
        return {
            k: getattr(self, k) for k in self.names() if k != "cell_key_salt" or self._salt_given
        }

    def as_parameters(self) -> dict[str, Any]:
        """The rules as notebook parameters (``method`` is declared as ``disclosure_method``)."""
        return {PARAMETER_NAMES.get(k, k): v for k, v in self.settings().items()}

    def public(self) -> dict[str, Any]:
        """The rules as a brief, a manifest or a ledger may show them: every setting but the
        salt, which is replaced by its ``salt_id`` under cell_key (``cellkey.salt_id``)."""
        out = {k: getattr(self, k) for k in self.names() if k != "cell_key_salt"}
        if self.method == "cell_key":
            from talentlib import cellkey

            out["salt_id"] = cellkey.salt_id(self.cell_key_salt or "")
        return out

    @classmethod
    def from_parameters(cls, params: Mapping[str, Any]) -> DisclosureRules:
        """The rules a notebook declared as parameters (its ``globals()`` will do): every
        setting it declares, the defaults for the rest."""
        given = {k: params.get(PARAMETER_NAMES.get(k, k)) for k in cls.names()}
        return cls(**{k: v for k, v in given.items() if v is not None})

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> DisclosureRules:
        """Rules of a named preset (``talentlib/disclosure_presets.yaml``), keys overridden."""
        presets = disclosure_presets()
        if name not in presets:
            raise ValueError(f"unknown disclosure preset {name!r}; known: {', '.join(presets)}")
        return cls(**{**presets[name]["rules"], **overrides})


METHODS = ("suppression", "cell_key")
# rules whose notebook parameter has another name (a bare "method" would say nothing there)
PARAMETER_NAMES = {"method": "disclosure_method"}


def disclosure_presets() -> dict[str, dict[str, Any]]:
    """The named rule sets a pipeline may choose (``disclosure: {preset: acro}``)."""
    from pathlib import Path

    import yaml

    path = Path(__file__).parents[1] / "disclosure_presets.yaml"
    with open(path, encoding="utf-8") as fh:
        return dict(yaml.safe_load(fh)["presets"])
