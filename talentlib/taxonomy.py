"""Strategic-technology and code taxonomies, read from versioned YAML in data_contracts/taxonomy/.

Every code table is a YAML file with ``name``, ``version``, ``source`` and a ``codes`` list of
mappings that carry at least ``code`` and ``ko``. The strategic-technology list nests its
technologies under its fields. Codes live in data; names are only for display.

tech_level_2022, field_industry and field_occupation are reference tables without a ``codes``
list: read them with tech_levels(), field_industries() and field_occupations().
"""

from __future__ import annotations

import re as _re
import unicodedata as _unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

# the contracts and taxonomies ship inside the package (package data: a wheel carries them)
SHIPPED_CONTRACTS = Path(__file__).resolve().parent / "data_contracts"


def contracts_dir() -> Path:
    """The data_contracts folder: $TALENTLIB_CONTRACTS_DIR, else the one shipped in the package."""
    from talentlib import config

    env = config.get("TALENTLIB_CONTRACTS_DIR")
    path = Path(env) if env else SHIPPED_CONTRACTS
    if not path.is_dir():
        raise FileNotFoundError(
            f"data contracts folder not found at {path}; set TALENTLIB_CONTRACTS_DIR "
            "to a folder laid out like talentlib/data_contracts/ (one YAML per dataset, taxonomy/)"
        )
    return path


def taxonomy_dir() -> Path:
    return contracts_dir() / "taxonomy"


def _yaml_load(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


@lru_cache(maxsize=64)
def load(name: str) -> dict[str, Any]:
    """Raw content of taxonomy file ``name`` (without .yaml)."""
    path = taxonomy_dir() / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in taxonomy_dir().glob("*.yaml"))
        raise KeyError(f"unknown taxonomy {name!r} (no {path}); known: {', '.join(known)}")
    data = _yaml_load(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def version(name: str) -> str:
    return str(load(name).get("version", "unversioned"))


def versions() -> dict[str, str]:
    """Version of every taxonomy file, for manifests."""
    return {p.stem: version(p.stem) for p in sorted(taxonomy_dir().glob("*.yaml"))}


def _rows(name: str, level: str | int | None) -> list[dict[str, Any]]:
    data = load(name)
    if name == "strategic_tech":
        if level in (None, "field"):
            return [{k: v for k, v in f.items() if k != "technologies"} for f in data["fields"]]
        if level == "technology":
            return [
                {**t, "field_code": f["code"]} for f in data["fields"] for t in f["technologies"]
            ]
        raise ValueError("strategic_tech levels are 'field' and 'technology'")
    rows = data.get("codes")
    if rows is None:
        raise ValueError(f"taxonomy {name!r} has no 'codes' list")
    if level is not None:
        rows = [r for r in rows if str(r.get("level")) == str(level)]
    return rows


def table(name: str, level: str | int | None = None) -> pl.DataFrame:
    """A taxonomy as a frame (code column first); list-valued entries become list columns."""
    rows = _rows(name, level)
    df = pl.from_dicts(rows, infer_schema_length=None)
    return df.with_columns(pl.col("code").cast(pl.String))


@lru_cache(maxsize=128)
def codes(name: str, level: str | int | None = None) -> frozenset[str]:
    """The allowed codes of a taxonomy (optionally one level of it)."""
    return frozenset(str(r["code"]) for r in _rows(name, level))


def label(name: str, code: str, lang: str = "ko", level: str | int | None = None) -> str:
    """Display name of a code; the code itself if the taxonomy does not know it."""
    for r in _rows(name, level if name == "strategic_tech" else None):
        if str(r["code"]) == str(code):
            return str(r.get(lang) or r.get("ko") or code)
    if name == "strategic_tech" and level is None:
        return label(name, code, lang, level="technology")
    return str(code)


def labels(name: str, lang: str = "ko", level: str | int | None = None) -> dict[str, str]:
    """Code → display name for a whole taxonomy (for pl.Expr.replace)."""
    return {str(r["code"]): str(r.get(lang) or r.get("ko") or r["code"])
            for r in _rows(name, level)}


def fields() -> pl.DataFrame:
    """The 12 strategic-technology fields: code, ko, en, group, ..."""
    return table("strategic_tech", "field")


def technologies() -> pl.DataFrame:
    """The 50 technologies with their field_code."""
    return table("strategic_tech", "technology")


# --------------------------------------------------------------------------------------------
# Reference tables that are not code tables, keyword rules, hierarchies and field crosswalks.


_ACADEMIA_PUBLIC_TYPES = ("UNIV", "GRI", "NATLAB", "PUBLIC")


def tech_levels() -> pl.DataFrame:
    """2022 technology level per field and country (tech_level_2022.yaml).

    Columns field_code, country (KR, US, CN, JP, EU), level (% of the leader), gap_years, rank
    (Korea's rank among the five as the plan states it; null for the other countries).
    """
    rows = load("tech_level_2022")["levels"]
    schema = {"field_code": pl.String, "country": pl.String, "level": pl.Float64,
              "gap_years": pl.Float64, "rank": pl.Int64}
    return pl.from_dicts(
        [{k: r.get(k) for k in schema} for r in rows], schema=schema
    )


_KW_SEP = _re.compile(r"[\-\u2010-\u2014\u00b7\u318d\u2027\u30fb_/]+")
_KW_WS = _re.compile(r"\s+")
_HANGUL = _re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def normalize_text(text: str) -> str:
    """Text as keyword rules compare it: NFKC, lower case, - · ㆍ _ / as spaces, single spaces."""
    s = _unicodedata.normalize("NFKC", text).lower()
    s = _KW_SEP.sub(" ", s)
    return _KW_WS.sub(" ", s).strip()


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> tuple[bool, str | _re.Pattern[str]]:
    k = normalize_text(keyword)
    if _HANGUL.search(k):
        return True, k.replace(" ", "")
    # a trailing English plural on the text side still matches: sensor(s), battery/batteries
    if _re.search(r"[a-z]y$", k) and not _re.search(r"[aeiou]y$", k):
        body = _re.escape(k[:-1]) + r"(?:y|ies)"
    else:
        body = _re.escape(k) + (r"(?:e?s)?" if _re.search(r"[a-z]$", k) else "")
    return False, _re.compile(r"(?<![a-z0-9])" + body + r"(?![a-z0-9])")


def keyword_in(keyword: str, text: str) -> bool:
    """Whether a technology keyword (strategic_tech.yaml) matches a title or text.

    A keyword with Hangul matches when it occurs in the text with spaces removed from both;
    any other keyword must occur at word boundaries (not next to a-z or 0-9), where the text
    may add an English plural ending (s, es; y -> ies). Both sides are compared after
    normalize_text().
    """
    hangul, pat = _keyword_pattern(keyword)
    t = normalize_text(text)
    if hangul:
        return pat in t.replace(" ", "")  # type: ignore[operator]
    return pat.search(t) is not None  # type: ignore[union-attr]


def tech_keywords(lang: str | None = None) -> pl.DataFrame:
    """One row per technology keyword: tech_code, field_code, lang ('ko' or 'en'), keyword."""
    if lang not in (None, "ko", "en"):
        raise ValueError("lang is 'ko', 'en' or None (both)")
    rows = []
    for f in load("strategic_tech")["fields"]:
        for t in f["technologies"]:
            for lg in ("ko", "en"):
                if lang in (None, lg):
                    rows += [
                        {"tech_code": t["code"], "field_code": f["code"], "lang": lg, "keyword": k}
                        for k in t.get(f"keywords_{lg}") or []
                    ]
    schema = {"tech_code": pl.String, "field_code": pl.String, "lang": pl.String,
              "keyword": pl.String}
    return pl.from_dicts(rows, schema=schema)


@lru_cache(maxsize=32)
def _tree(name: str) -> tuple[dict[str, str | None], dict[str, int]]:
    parent: dict[str, str | None] = {}
    lvl: dict[str, int] = {}
    for r in _rows(name, None):
        c = str(r["code"])
        parent[c] = None if r.get("parent") is None else str(r["parent"])
        if r.get("level") is None:
            raise ValueError(f"taxonomy {name!r}: code {c!r} has no level")
        lvl[c] = int(r["level"])
    return parent, lvl


def parent_map(name: str, level: int) -> dict[str, str]:
    """code -> its ancestor at ``level`` (a code at that level maps to itself), for every code
    of a hierarchical taxonomy (industry, occupation, occupation_ksco) at that level or deeper.

    For rolling codes up: ``pl.col("ksic").replace_strict(parent_map("industry", 2))``.
    """
    parent, lvl = _tree(name)
    out: dict[str, str] = {}
    for c in parent:
        if lvl[c] < int(level):
            continue
        a: str | None = c
        while a is not None and lvl[a] > int(level):
            a = parent[a]
        if a is not None and lvl[a] == int(level):
            out[c] = a
    return out


def descendants(name: str, codes: str | list[str] | tuple[str, ...] | frozenset[str] | set[str],
                level: int | None = None) -> frozenset[str]:
    """All codes under the given codes (the codes themselves included), optionally only those
    at ``level``."""
    parent, lvl = _tree(name)
    wanted = {codes} if isinstance(codes, str) else {str(c) for c in codes}
    unknown = wanted - parent.keys()
    if unknown:
        raise KeyError(f"taxonomy {name!r} has no code(s) {sorted(unknown)}")
    out = set()
    for c in parent:
        a: str | None = c
        while a is not None:
            if a in wanted:
                out.add(c)
                break
            a = parent[a]
    if level is not None:
        out = {c for c in out if lvl[c] == int(level)}
    return frozenset(out)


def _crosswalk_fields(name: str, field_code: str | None) -> list[tuple[str, dict[str, Any]]]:
    data = load(name)["fields"]
    if field_code is not None:
        if field_code not in data:
            raise KeyError(f"{name}: unknown field {field_code!r}; known: {', '.join(data)}")
        return [(field_code, data[field_code])]
    return list(data.items())


def _academia_public(
    name: str, spec: dict[str, Any] | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Per employer type: the field's list where it has one, else the top-level default."""
    default = load(name).get("academia_public") or {}
    own = (spec or {}).get("academia_public") or {}
    types = list(_ACADEMIA_PUBLIC_TYPES) + [t for t in list(default) + list(own)
                                            if t not in _ACADEMIA_PUBLIC_TYPES]
    return [(t, own.get(t) or default.get(t)) for t in dict.fromkeys(types)
            if own.get(t) or default.get(t)]


_IND_SCHEMA = {"field_code": pl.String, "employer_type": pl.String, "code": pl.String,
               "level": pl.Int64, "ko": pl.String, "weight": pl.Float64, "note": pl.String}
_OCC_SCHEMA = {"field_code": pl.String, "employer_type": pl.String, "code": pl.String,
               "ko": pl.String, "weight": pl.Float64, "min_degree": pl.String}


def _ind_row(field_code: str | None, etype: str | None, e: dict[str, Any]) -> dict[str, Any]:
    code = str(e["code"])
    level = e.get("level")
    if level is None:
        level = _tree("industry")[1].get(code)
    return {"field_code": field_code, "employer_type": etype, "code": code, "level": level,
            "ko": e.get("ko") or label("industry", code), "weight": e.get("weight"),
            "note": e.get("note")}


def _occ_row(field_code: str | None, etype: str | None, e: dict[str, Any]) -> dict[str, Any]:
    code = str(e["code"])
    return {"field_code": field_code, "employer_type": etype, "code": code,
            "ko": e.get("ko") or label("occupation", code), "weight": e.get("weight"),
            "min_degree": e.get("min_degree")}


def field_industries(field_code: str | None = None, kind: str = "destinations") -> pl.DataFrame:
    """Field -> KSIC crosswalk (field_industry.yaml), for one field or all.

    kind='own': the field's own industries (codes of levels 2-5; weight null);
    kind='destinations': level-5 sub-classes where the field's R&D participants work in industry;
    kind='academia_public': per employer_type (UNIV, GRI, NATLAB, PUBLIC), the field's list or the
    default one. Columns field_code, employer_type, code, level, ko, weight, note. Weights sum to 1
    per field (and per employer_type).
    """
    if kind not in ("own", "destinations", "academia_public"):
        raise ValueError("kind is 'own', 'destinations' or 'academia_public'")
    rows = []
    for f, spec in _crosswalk_fields("field_industry", field_code):
        if kind == "academia_public":
            for t, entries in _academia_public("field_industry", spec):
                rows += [_ind_row(f, t, e) for e in entries]
        else:
            key = "own_industries" if kind == "own" else "destinations"
            rows += [_ind_row(f, None, e) for e in spec.get(key) or []]
    return pl.from_dicts(rows, schema=_IND_SCHEMA)


def own_industry_codes(field_code: str, level: int = 5) -> frozenset[str]:
    """KSIC codes at ``level`` (default: sub-classes) that belong to the field's own industries."""
    own = field_industries(field_code, "own")["code"].to_list()
    return descendants("industry", own, level)


def field_occupations(field_code: str | None = None, kind: str = "destinations") -> pl.DataFrame:
    """Field -> KECO occupation crosswalk (field_occupation.yaml), for one field or all.

    kind='destinations': occupations in industry; kind='academia_public': per employer_type
    (UNIV, GRI, NATLAB, PUBLIC), the field's list or the default one. Columns field_code,
    employer_type, code, ko, weight, min_degree (degrees.yaml code or null).
    """
    if kind not in ("destinations", "academia_public"):
        raise ValueError("kind is 'destinations' or 'academia_public'")
    rows = []
    for f, spec in _crosswalk_fields("field_occupation", field_code):
        if kind == "academia_public":
            for t, entries in _academia_public("field_occupation", spec):
                rows += [_occ_row(f, t, e) for e in entries]
        else:
            rows += [_occ_row(f, None, e) for e in spec.get("destinations") or []]
    return pl.from_dicts(rows, schema=_OCC_SCHEMA)


def academia_public_default(crosswalk: str) -> pl.DataFrame:
    """The field-independent academia/public list of 'field_industry' or 'field_occupation'
    (columns as field_industries / field_occupations, field_code null)."""
    if crosswalk not in ("field_industry", "field_occupation"):
        raise ValueError("crosswalk is 'field_industry' or 'field_occupation'")
    if crosswalk == "field_industry":
        make, schema = _ind_row, _IND_SCHEMA
    else:
        make, schema = _occ_row, _OCC_SCHEMA
    rows = [make(None, t, e) for t, entries in _academia_public(crosswalk, None) for e in entries]
    return pl.from_dicts(rows, schema=schema)
