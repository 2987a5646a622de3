"""Words for what people read: the one place that turns codes, column names, table names and key
numbers into Korean (``ko.yaml`` beside this file; a second language is a second file).

Data keeps stable codes and English snake_case columns; notebooks, charts, briefs and workbooks
call one verb here — ``display`` for a table, ``korean`` to replace codes by names, ``labelled``
to add ``{col}_ko`` columns beside the codes — and the marks ``TOTAL_KO`` (합계) and
``SUPPRESSED_KO`` (비공개) come from here too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from talentlib.privacy import TOTAL  # the code of a margin row/column (disclose writes it)

__all__ = [
    "TOTAL",
    "UNKNOWN",
    "TOTAL_KO",
    "SUPPRESSED_KO",
    "UNKNOWN_KO",
    "column",
    "columns",
    "display",
    "key_label",
    "korean",
    "labelled",
    "mark",
    "notebook_order",
    "notebook_title",
    "table_order",
    "table_title",
    "key_order",
    "value_set",
    "values",
    "version",
]

UNKNOWN = "UNKNOWN"  # explicit code for a missing dimension value
_HERE = Path(__file__).parent


@lru_cache(maxsize=4)
def _data(lang: str = "ko") -> dict[str, Any]:
    path = _HERE / f"{lang}.yaml"
    if not path.exists():
        raise ValueError(f"no labels for language {lang!r} (expected {path})")
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def version(lang: str = "ko") -> str:
    return str(_data(lang)["version"])


def mark(kind: str, lang: str = "ko") -> str:
    """The word for a mark: total (합계), suppressed (비공개), unknown (미기재), absent (–)."""
    return str(_data(lang)["marks"][kind])


TOTAL_KO = mark("total")
SUPPRESSED_KO = mark("suppressed")
UNKNOWN_KO = mark("unknown")


def column(name: str, lang: str = "ko") -> str:
    """Header of a column (the name itself when it has none)."""
    return str(_data(lang)["columns"].get(name, name))


def columns(names: list[str], lang: str = "ko") -> list[str]:
    return [column(n, lang) for n in names]


def table_title(name: str, lang: str = "ko") -> str:
    """Title of a published table (its file name when it has none)."""
    return str(_data(lang)["tables"].get(name, name))


def notebook_title(name: str, lang: str = "ko") -> str:
    """Section title of a notebook in a brief."""
    return str(_data(lang)["notebooks"].get(name, name))


def notebook_order(lang: str = "ko") -> list[str]:
    return list(_data(lang)["notebooks"])


def table_order(lang: str = "ko") -> list[str]:
    """Table names in the order a brief shows them (the order of the labels file)."""
    return list(_data(lang)["tables"])


def key_label(name: str, lang: str = "ko") -> str:
    """Header of a key number (flattened key, e.g. ``domestic.researchers_last_year``)."""
    return str(_data(lang)["key_numbers"].get(name, name))


def key_order(lang: str = "ko") -> list[str]:
    """Key numbers in the order the cross-field summary shows them."""
    return list(_data(lang)["key_numbers"])


def value_set(name: str, lang: str = "ko") -> dict[str, str]:
    """A named set of value labels of the labels file (e.g. ``run_status``)."""
    return dict(_data(lang)["value_sets"][name])


@lru_cache(maxsize=256)
def _values(col: str, lang: str) -> tuple[tuple[str, str], ...]:
    from talentlib import taxonomy

    d = _data(lang)
    out: dict[str, str] = {}
    coded = d["coded_columns"].get(col)
    if coded:
        name, level = coded["taxonomy"], coded.get("level")
        if name == "competencies":
            data = taxonomy.load("competencies")
            for row in [*data.get("groups", []), *data["codes"]]:
                out[str(row["code"])] = str(row.get(lang) or row["ko"])
        elif name == "majors":
            path = _HERE.parent / "postings" / "majors.yaml"
            with open(path, encoding="utf-8") as fh:
                majors = yaml.safe_load(fh)["majors"]
            out |= {str(m["code"]): str(m.get(lang) or m["ko"]) for m in majors}
        else:
            out |= taxonomy.labels(name, lang=lang, level=level)
            if name == "institution_types":
                sectors = taxonomy.load("institution_types").get("sectors", [])
                out |= {str(r["code"]): str(r.get(lang) or r["ko"]) for r in sectors}
                out |= d["value_sets"]["state"]  # destinations mix institution types and states
    value_set = d["value_columns"].get(col)
    if value_set:
        out |= d["value_sets"][value_set]
        if value_set == "state":
            sectors = taxonomy.load("institution_types").get("sectors", [])
            out |= {str(r["code"]): str(r.get(lang) or r["ko"]) for r in sectors}
    if out:
        out[TOTAL] = mark("total", lang)
        out.setdefault(UNKNOWN, mark("unknown", lang))
    return tuple(out.items())


def values(col: str, lang: str = "ko") -> dict[str, str]:
    """Code → name for the values of a column (empty when the column is not coded). Columns
    named ``{x}_a`` / ``{x}_b`` (pairs) take the labels of ``{x}``."""
    found = dict(_values(col, lang))
    if not found and col.endswith(("_a", "_b")):
        found = dict(_values(col[:-2], lang))
    return found


def korean(df: pl.DataFrame, *cols: str, lang: str = "ko") -> pl.DataFrame:
    """Replace codes by their names in the given columns (all coded text columns if none)."""
    targets = cols or tuple(c for c in df.columns if df.schema[c] == pl.String)
    exprs = []
    for c in targets:
        mapping = values(c, lang)
        if mapping and df.schema[c] == pl.String:
            exprs.append(pl.col(c).replace(mapping))
    return df.with_columns(exprs) if exprs else df


def labelled(df: pl.DataFrame, *cols: str, lang: str = "ko") -> pl.DataFrame:
    """Add ``{col}_ko`` display columns beside code columns (codes stay in the data)."""
    for c in cols:
        if not values(c, lang):
            raise KeyError(f"no labels for column {c!r}; add it to talentlib/labels/{lang}.yaml")
    return df.with_columns(
        pl.col(c).cast(pl.String).replace(values(c, lang)).alias(f"{c}_{lang}") for c in cols
    )


def display(table: Any, *, lang: str = "ko", headers: bool = True) -> pl.DataFrame:
    """A table for people: codes as names, headers in words, suppressed cells as 비공개 and
    margins as 합계 (for a ``privacy.DisclosedTable``, its published form)."""
    from talentlib import privacy

    if isinstance(table, privacy.DisclosedTable):
        df = table.display(lang)
    else:
        df = table
    df = korean(df, lang=lang)
    if headers:
        taken: set[str] = set(df.columns)
        rename = {}
        for c in df.columns:
            word = column(c, lang)
            if word != c and word not in taken:  # two columns with one word keep their names
                rename[c] = word
                taken.add(word)
        df = df.rename(rename)
    return df
