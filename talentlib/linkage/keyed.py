"""The main linkage path: a deterministic join on the combined pseudonymized key table.

The combination agency hands back a key table (researcher_id ↔ ei_person_id). This module joins
researchers and their participations to employment spells through it and reports what did not
link and why: no key, a duplicate or conflicting key (one researcher given two insured ids, or one
insured id given to two researchers — such keys are dropped, since we cannot tell which is right),
keys pointing to unknown researchers, and spells no key points to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl


@dataclass
class LinkageReport:
    """What linked and what did not, overall and by group (field, degree, institution type)."""

    summary: dict[str, Any]
    by_group: pl.DataFrame  # dimension, value, researchers, linked, share_linked

    def __str__(self) -> str:
        s = self.summary
        return (
            f"researchers {s['researchers']:,}: linked {s['linked']:,} ({s['share_linked']:.1%}); "
            f"conflicting keys {s['conflicting_researchers']:,}, orphan keys {s['orphan_keys']:,}, "
            f"orphan spells {s['orphan_spells']:,}"
        )


@dataclass
class LinkedData:
    """Valid researchers, participations and the spells of linked researchers."""

    researchers: pl.DataFrame
    participations: pl.DataFrame
    spells: pl.DataFrame  # employment spells with researcher_id attached (linked people only)
    links: pl.DataFrame  # researcher_id, ei_person_id — one-to-one
    report: LinkageReport
    annual_wages: pl.DataFrame | None = None  # spell_id, year, wage_monthly of linked spells
    extra: dict[str, Any] = field(default_factory=dict)

    def lazy(self, name: str) -> pl.LazyFrame | None:
        """One of the frames as a lazy plan (None where the data has none)."""
        frame = getattr(self, name)
        return None if frame is None else frame.lazy()


class _ReadWhenUsed:
    """A frame of ``PreparedLinkedData``: collected from its scan the first time it is used."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if self.name not in obj.__dict__:
            scan = obj.scans.get(self.name)
            obj.__dict__[self.name] = None if scan is None else scan.collect()
        return obj.__dict__[self.name]


class PreparedLinkedData(LinkedData):
    """Linked data a batch run keeps in its prepared folder, read frame by frame when used: a
    field's notebook that only needs its own field (``field_slice``) or only the report never
    holds the whole registers (at national scale ≈ 1.7 GiB a kernel). ``fingerprint`` names
    the content (the prepared entry's key)."""

    researchers = _ReadWhenUsed()
    participations = _ReadWhenUsed()
    spells = _ReadWhenUsed()
    links = _ReadWhenUsed()
    annual_wages = _ReadWhenUsed()

    def __init__(
        self, scans: dict[str, pl.LazyFrame], report: LinkageReport, extra: dict[str, Any]
    ) -> None:
        self.scans, self.report, self.extra = scans, report, extra

    def lazy(self, name: str) -> pl.LazyFrame | None:
        """The frame's scan while it is unread (a plan over it reads only what it needs)."""
        if name in self.__dict__:
            return super().lazy(name)
        return self.scans.get(name)


LINKED_FRAMES = ("researchers", "participations", "spells", "links", "annual_wages")


def field_slice(linked: LinkedData, field_code: str) -> LinkedData:
    """The linked data of one field's people: their participations in the field, their
    researcher rows, links, spells and wages — everything a field's own career tables count
    (its cohort is made of these participations alone). From ``PreparedLinkedData`` only these
    rows are read."""

    parts = linked.lazy("participations").filter(pl.col("field_code") == field_code).collect()
    ids = parts.lazy().select("researcher_id").unique()

    def of_people(name: str) -> pl.DataFrame:
        return linked.lazy(name).join(ids, on="researcher_id", how="semi").collect()

    spells = of_people("spells")
    wages = linked.lazy("annual_wages")
    return LinkedData(
        researchers=of_people("researchers"),
        participations=parts,
        spells=spells,
        links=of_people("links"),
        report=linked.report,
        annual_wages=None
        if wages is None
        else wages.join(spells.lazy().select("spell_id"), on="spell_id", how="semi").collect(),
        extra=linked.extra,
    )


def resolve_keys(keys: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """One-to-one keys: drop exact duplicates, then every key of a conflicting researcher or id."""
    k = keys.select("researcher_id", "ei_person_id").drop_nulls()
    n_rows = k.height
    k = k.unique(maintain_order=True)
    dup_rows = n_rows - k.height
    r_conf = k.filter(pl.len().over("researcher_id") > 1)
    e_conf = k.filter(pl.len().over("ei_person_id") > 1)
    clean = k.filter((pl.len().over("researcher_id") == 1) & (pl.len().over("ei_person_id") == 1))
    return clean, {
        "key_rows": n_rows,
        "duplicate_key_rows": dup_rows,
        "conflicting_researchers": r_conf["researcher_id"].n_unique(),
        "conflicting_ei_ids": e_conf["ei_person_id"].n_unique(),
        "conflicting_key_rows": k.height - clean.height,
    }


def link(
    researchers: pl.DataFrame,
    participations: pl.DataFrame,
    key_table: pl.DataFrame,
    spells: pl.DataFrame,
    *,
    quarantined_key_rows: dict[str, int] | None = None,
    annual_wages: pl.DataFrame | None = None,
) -> LinkedData:
    """Join participations to spells through the key table, with a linkage-quality report.

    `key_table` may be raw or contract-validated; conflicts are resolved here either way. When the
    contract already quarantined some key rows, pass their counts by rule (e.g. {"unique": 4,
    "foreign_key": 2}) so the report accounts for them.
    """
    clean, counts = resolve_keys(key_table)
    known = clean.join(researchers.select("researcher_id"), on="researcher_id", how="semi")
    orphan_keys = clean.height - known.height
    links = known.join(spells.select("ei_person_id"), on="ei_person_id", how="semi")
    keys_without_spells = known.height - links.height
    linked_spells = spells.join(links, on="ei_person_id", how="inner")
    # keys are one to one and every link has spells: the spells left over, and their people,
    # are what the links do not reach (no second pass over the spells)
    orphan_spells = spells.height - linked_spells.height
    orphan_persons = spells.get_column("ei_person_id").n_unique() - links.height

    q = quarantined_key_rows or {}
    n_res = researchers.height
    summary = {
        "researchers": n_res,
        "linked": links.height,
        "share_linked": links.height / n_res if n_res else 0.0,
        "not_linked": n_res - links.height,
        **counts,
        "conflicting_researchers": counts["conflicting_researchers"] + q.get("unique", 0) // 2,
        "quarantined_key_rows": dict(q),
        "orphan_keys": orphan_keys + q.get("foreign_key", 0),
        "keys_without_spells": keys_without_spells,
        "spells": spells.height,
        "linked_spells": linked_spells.height,
        "orphan_spells": orphan_spells,
        "orphan_spell_persons": orphan_persons,
    }
    return LinkedData(
        researchers=researchers,
        participations=participations,
        spells=linked_spells,
        links=links,
        report=LinkageReport(
            summary=summary, by_group=_by_group(researchers, participations, links)
        ),
        annual_wages=None
        if annual_wages is None
        else annual_wages.join(linked_spells.select("spell_id"), on="spell_id", how="semi").select(
            "spell_id", "year", "wage_monthly"
        ),
    )


def _by_group(
    researchers: pl.DataFrame, participations: pl.DataFrame, links: pl.DataFrame
) -> pl.DataFrame:
    """Share of researchers linked by field (any participation in it), degree and institution type."""
    flag = (
        researchers.select("researcher_id", "degree", "institution_type")
        .join(
            links.select("researcher_id").with_columns(pl.lit(True).alias("linked")),
            on="researcher_id",
            how="left",
        )
        .with_columns(pl.col("linked").fill_null(False))
    )
    by_field = (
        participations.select("researcher_id", "field_code")
        .unique()
        .join(flag.select("researcher_id", "linked"), on="researcher_id", how="inner")
    )
    parts = []
    for dim, df in (("field_code", by_field), ("degree", flag), ("institution_type", flag)):
        parts.append(
            df.group_by(dim)
            .agg(pl.len().alias("researchers"), pl.col("linked").sum().alias("linked"))
            .rename({dim: "value"})
            .with_columns(pl.lit(dim).alias("dimension"))
        )
    return (
        pl.concat(parts)
        .with_columns((pl.col("linked") / pl.col("researchers")).alias("share_linked"))
        .select("dimension", "value", "researchers", "linked", "share_linked")
        .sort("dimension", "value")
    )
