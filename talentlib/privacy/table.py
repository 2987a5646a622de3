"""What a published table is: its layout (dimensions with ``TOTAL`` in margins, values with their
``_suppressed`` flags) and ``DisclosedTable``, the one kind of table that may leave the secure
environment, sealed by ``disclose`` so that ``is_disclosed`` can tell it was not modified since."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from talentlib.privacy.rules import DisclosureRules

TOTAL = "__total__"
# In a table's population (``disclose(population=...)``, read by ``talentlib.audit``) this stands
# for the fingerprint of the input data, which the auditor takes from the brief's manifest.
DATA_TOKEN = "@data"
_DISCLOSE_TOKEN = object()  # only disclose() sets it; see is_disclosed()


SUPPRESSED_SUFFIX = "_suppressed"  # a value column's flag: True where the value is hidden


@dataclass(frozen=True)
class Layout:
    """How a published table is laid out: dimension columns (TOTAL in a margin), then value
    columns, each with a ``{value}_suppressed`` flag; ``disclose`` writes the count first."""

    dims: list[str]
    values: list[str]

    @property
    def count(self) -> str | None:
        return self.values[0] if self.values else None

    @property
    def flags(self) -> list[str]:
        return [f"{v}{SUPPRESSED_SUFFIX}" for v in self.values]


def layout(df: pl.DataFrame) -> Layout:
    """The layout of a published table (a ``DisclosedTable.table`` or a file read back): the one
    place that knows how dimensions, values and their flags are told apart."""
    values = [
        c.removesuffix(SUPPRESSED_SUFFIX) for c in df.columns if c.endswith(SUPPRESSED_SUFFIX)
    ]
    flags = {f"{v}{SUPPRESSED_SUFFIX}" for v in values}
    return Layout([c for c in df.columns if c not in flags and c not in values], values)


@dataclass(frozen=True, eq=False)
class DisclosedTable:
    """A table that passed ``disclose``: published cells, the suppression log and the rules.

    ``log`` says which rule hid each cell (a "threshold" entry tells that 0 < n < min_count), so
    it stays inside the secure environment; publish ``public_log()`` instead.
    """

    table: pl.DataFrame
    log: pl.DataFrame
    rules: DisclosureRules
    # how the counts were protected: the method, the most a published count differs from the
    # truth (0 unless perturbed), whether complementary cells were hidden besides the cells under
    # the threshold, and what the table counts (``audit.Population.to_json`` form, or None)
    method: str = "suppression"
    max_perturbation: int = 0
    complementary: bool = True
    population: dict[str, Any] | None = None
    _token: object = field(default=None, init=False, repr=False)
    _fingerprint: str = field(default="", init=False, repr=False)

    def display(self, lang: str = "ko") -> pl.DataFrame:
        """Table for people: suppressed cells read 비공개 / suppressed, margins 합계 / Total."""
        if lang not in ("ko", "en"):
            raise ValueError("lang must be 'ko' or 'en'")
        from talentlib import labels

        hidden, total = (
            (labels.SUPPRESSED_KO, labels.TOTAL_KO) if lang == "ko" else ("suppressed", "Total")
        )
        lay = layout(self.table)
        flags, values = set(lay.flags), set(lay.values)
        exprs = []
        for c, dt in self.table.schema.items():
            if c in flags:
                continue
            if c in values:
                exprs.append(
                    pl.when(pl.col(f"{c}_suppressed"))
                    .then(pl.lit(hidden))
                    .otherwise(pl.col(c).cast(pl.String))
                    .alias(c)
                )
            elif dt == pl.String:
                exprs.append(pl.col(c).replace(TOTAL, total))
            else:
                exprs.append(pl.col(c))
        return self.table.select(exprs)

    def published_rows(self, where: pl.Expr | None = None) -> DisclosedTable:
        """The table without its rows whose count is suppressed (a list of, say, companies with
        at least the threshold of postings), and only the rows ``where`` holds: a reader no
        longer learns how many small ones there are. Dropping rows reveals nothing, so the
        result is still disclosed."""
        keep = self.table.filter(~pl.col(layout(self.table).flags[0]))
        if where is not None:
            keep = keep.filter(where)
        dims = [c for c in self.log.columns if c not in ("column", "rule", "message")]
        log = self.log.join(keep.select(dims).with_columns(pl.col(dims).cast(pl.String)),
                            on=dims, how="semi", nulls_equal=True)  # fmt: skip
        return seal(dataclasses.replace(self, table=keep, log=log))

    def hidden(self) -> pl.DataFrame:
        """The cells whose count this table hides, as their dimension values (text; TOTAL for
        a margin): what another table of the same people must hide too (``disclose(hide=)``)."""
        lay = layout(self.table)
        return self.table.filter(pl.col(lay.flags[0])).select(
            pl.col(d).cast(pl.String) for d in lay.dims
        )

    def public_log(self) -> pl.DataFrame:
        """Which cells are suppressed, without the rule (the rule would narrow a hidden value)."""
        return self.log.select(pl.exclude("rule", "message")).unique(maintain_order=True)

    def stamp(self) -> dict[str, Any]:
        """What the ledger records about how this table was protected (``report.save_tables``;
        ``audit`` reads it): the rules with ``max_perturbation``, the method, whether
        complementary suppression was applied, and the population when known."""
        out: dict[str, Any] = {
            "rules": {**self.rules.public(), "max_perturbation": self.max_perturbation},
            "method": self.method,
            "complementary_suppression": self.complementary,
        }
        if self.population is not None:
            out["population"] = self.population
        return out


def _fingerprint(df: pl.DataFrame) -> str:
    h = hashlib.sha256(repr(list(df.schema.items())).encode())
    h.update(df.hash_rows(seed=0).to_numpy().tobytes())
    return h.hexdigest()


def is_disclosed(obj: object) -> bool:
    """True only for a ``DisclosedTable`` made by ``disclose`` and not modified since."""
    return (
        isinstance(obj, DisclosedTable)
        and obj._token is _DISCLOSE_TOKEN
        and obj._fingerprint == _fingerprint(obj.table)
    )


def seal(table: DisclosedTable) -> DisclosedTable:
    """Mark a table as disclosed (only ``disclose`` and ``DisclosedTable`` itself call this):
    ``is_disclosed`` holds until its frame changes."""
    object.__setattr__(table, "_token", _DISCLOSE_TOKEN)
    object.__setattr__(table, "_fingerprint", _fingerprint(table.table))
    return table
