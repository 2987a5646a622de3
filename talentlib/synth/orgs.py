"""The synthetic organisations: universities, institutes, firms and public bodies.

One pool serves both sources: an organisation is an R&D performer in the participation records
(pseudonymized as institution_id) and a workplace in employment insurance (pseudonymized
separately as employer_id), as in the real data where the two pseudonyms cannot be matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from talentlib import taxonomy

from .base import choice, hex_ids

FIELDS: list[str] = taxonomy.fields()["code"].to_list()  # seed order
INDUSTRY_TYPES = ["LARGE", "MIDSIZE", "SME", "VENTURE"]
EMPLOYER_TYPES = ["LARGE", "MIDSIZE", "SME", "VENTURE", "GRI", "UNIV", "PUBLIC"]
ORG_TYPES = EMPLOYER_TYPES + ["NATLAB"]
ALL_REGIONS = sorted(taxonomy.codes("regions"))


def field_destinations(kind: str) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per field: (codes, weights) of destination industries (kind='industry') or occupations."""
    name = "field_industry" if kind == "industry" else "field_occupation"
    data = taxonomy.load(name)
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    for f in FIELDS:
        entries = data["fields"][f]["destinations"]
        out[f] = (
            [str(e["code"]) for e in entries],
            np.array([float(e["weight"]) for e in entries]),
        )
    return out


def academia_public_destinations(kind: str) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per employer type (UNIV, GRI, NATLAB, PUBLIC): (codes, weights) of industries/occupations."""
    name = "field_industry" if kind == "industry" else "field_occupation"
    data = taxonomy.load(name)["academia_public"]
    out = {}
    for t, entries in data.items():
        out[str(t)] = (
            [str(e["code"]) for e in entries],
            np.array([float(e["weight"]) for e in entries]),
        )
    return out


@dataclass
class Orgs:
    """Column arrays of the organisation pool (index = org number)."""

    org_type: np.ndarray
    field: np.ndarray  # field affinity ("" for universities, institutes, public bodies)
    region: np.ndarray
    firm_size: np.ndarray
    ksic: np.ndarray
    weight: np.ndarray  # attractiveness (Zipf): big employers hire more
    institution_id: np.ndarray
    employer_id: np.ndarray

    def members(self, org_type: str, field: str | None = None) -> np.ndarray:
        m = self.org_type == org_type
        if field is not None:
            m &= self.field == field
        return np.flatnonzero(m)

    def pick(
        self, rng: np.random.Generator, org_type: str, field: str | None, n: int
    ) -> np.ndarray:
        """n organisation indices of a type (and field), drawn by attractiveness."""
        idx = self.members(org_type, field)
        if idx.size == 0:
            idx = self.members(org_type)
        w = self.weight[idx]
        return idx[rng.choice(idx.size, size=n, p=w / w.sum())]


def _regions(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    rest = [r for r in ALL_REGIONS if r not in weights]
    left = max(0.0, 1.0 - sum(weights.values()))
    keys = list(weights) + rest
    probs = np.array(list(weights.values()) + [left / len(rest)] * len(rest))
    return choice(rng, keys, probs, n)


def build_orgs(rng: np.random.Generator, params: dict[str, Any], n_researchers: int) -> Orgs:
    per_k = n_researchers / 1000.0
    emp_pool = params["employer_pool_per_1000_researchers"]
    inst_pool = params["institution_pool_per_1000_researchers"]
    ind_dest = field_destinations("industry")
    acad_dest = academia_public_destinations("industry")
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("type", "field", "region", "size", "ksic", "w")
    }

    def add(org_type: str, field: str, n: int, ksic_codes: list[str], ksic_w: np.ndarray) -> None:
        n = max(n, 2)
        parts["type"].append(np.full(n, org_type, dtype=object))
        parts["field"].append(np.full(n, field, dtype=object))
        parts["region"].append(_regions(rng, params["region_weights"][org_type], n))
        sizes = params["firm_size_given_type"].get(org_type, {"S300_999": 1.0})
        parts["size"].append(choice(rng, list(sizes), np.array(list(sizes.values())), n))
        parts["ksic"].append(choice(rng, ksic_codes, ksic_w, n))
        parts["w"].append(rng.pareto(1.2, n) + 1.0)

    field_share = params["field_share"]
    for org_type in INDUSTRY_TYPES:
        for f in FIELDS:
            n = int(round(emp_pool[org_type] * per_k * field_share[f] * 12 / 2))
            codes, w = ind_dest[f]
            add(org_type, f, n, codes, w)
    # small service workplaces where students hold insured part-time jobs
    service = params["student_job_industries"]
    add(
        "SME", "SERVICE", int(round(3 * per_k)) + 5, list(service), np.array(list(service.values()))
    )
    for org_type, n_per_k in (
        ("UNIV", inst_pool["UNIV"]),
        ("GRI", inst_pool["GRI"]),
        ("NATLAB", inst_pool["NATLAB"]),
        ("PUBLIC", inst_pool["PUBLIC"]),
    ):
        codes, w = acad_dest.get(org_type, acad_dest.get("PUBLIC"))
        add(org_type, "", int(round(n_per_k * per_k)) + 3, codes, w)

    org_type = np.concatenate(parts["type"]).astype(str)
    n = org_type.size
    return Orgs(
        org_type=org_type,
        field=np.concatenate(parts["field"]).astype(str),
        region=np.concatenate(parts["region"]).astype(str),
        firm_size=np.concatenate(parts["size"]).astype(str),
        ksic=np.concatenate(parts["ksic"]).astype(str),
        weight=np.concatenate(parts["w"]),
        institution_id=hex_ids(rng, n),
        employer_id=hex_ids(rng, n),
    )
