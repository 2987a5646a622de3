"""Classification of papers and projects into the 12 fields and 50 technologies: the taxonomy's keyword rules and OpenAlex-topic crosswalk, scored against known labels."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import taxonomy

_KW_SEP = r"[\-\u2010-\u2014\u00b7\u318d\u2027\u30fb_/]+"
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def _normalized(expr: pl.Expr) -> pl.Expr:
    """``taxonomy.normalize_text`` as a polars expression."""
    return (
        expr.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(_KW_SEP, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _spaced(text: str) -> str:
    """Latin matching form: every character other than a-z, 0-9 and space stands alone between
    spaces, so that 'a keyword at word boundaries' becomes a literal ' keyword ' search."""
    s = re.sub(r"([^a-z0-9 ])", r" \1 ", text)
    return " " + re.sub(" +", " ", s).strip() + " "


def _spaced_expr(expr: pl.Expr) -> pl.Expr:
    s = expr.str.replace_all(r"([^a-z0-9 ])", " $1 ").str.replace_all(" +", " ").str.strip_chars()
    return pl.concat_str([pl.lit(" "), s, pl.lit(" ")])


def _variants(norm: str) -> list[str]:
    """The plural forms ``keyword_in`` accepts on the text side (s, es; consonant + y -> ies)."""
    if re.search(r"[a-z]y$", norm) and not re.search(r"[aeiou]y$", norm):
        return [norm, norm[:-1] + "ies"]
    if re.search(r"[a-z]$", norm):
        return [norm, norm + "s", norm + "es"]
    return [norm]


def keyword_patterns() -> pl.DataFrame:
    """Literal search patterns for every taxonomy keyword: pattern, kind ('latin' matched in the
    spaced text, 'hangul' in the text without spaces), tech_code, field_code, keyword, kw_len."""
    rows = []
    for r in taxonomy.tech_keywords().iter_rows(named=True):
        norm = taxonomy.normalize_text(r["keyword"])
        if not norm:
            continue
        base = {
            "tech_code": r["tech_code"],
            "field_code": r["field_code"],
            "keyword": r["keyword"],
            "kw_len": len(norm),
        }
        if _HANGUL.search(norm):
            rows.append({"pattern": norm.replace(" ", ""), "kind": "hangul", **base})
        else:
            rows += [{"pattern": _spaced(v), "kind": "latin", **base} for v in _variants(norm)]
    return pl.DataFrame(rows).unique(["pattern", "tech_code"], maintain_order=True)


def _topic_table() -> pl.DataFrame:
    rows = [
        {
            "topic_norm": taxonomy.normalize_text(t),
            "tech_code": r["code"],
            "field_code": r["field_code"],
        }
        for r in taxonomy.technologies().iter_rows(named=True)
        for t in (r.get("openalex_topics") or [])
    ]
    return pl.DataFrame(
        rows, schema={"topic_norm": pl.String, "tech_code": pl.String, "field_code": pl.String}
    ).unique()


def keyword_matches(df: pl.DataFrame | pl.LazyFrame, *, id_col: str, text_col: str) -> pl.DataFrame:
    """Every (id, technology keyword) pair where the keyword matches the text by the rule of
    ``taxonomy.keyword_in``: columns id, tech_code, field_code, keyword, kw_len.

    Vectorised: Latin keywords are literal searches (Aho-Corasick) for ' keyword ' in a form of
    the text where every character other than a-z, 0-9 and space stands between spaces, so word
    boundaries become spaces; Hangul keywords are searched in the text without spaces.
    """
    pats = keyword_patterns()
    latin = pats.filter(pl.col("kind") == "latin")
    hangul = pats.filter(pl.col("kind") == "hangul")
    norm = _normalized(pl.col(text_col).fill_null(""))
    texts = df.lazy().select(
        pl.col(id_col),
        _spaced_expr(norm)
        .str.extract_many(latin["pattern"].unique().to_list(), overlapping=True)
        .alias("m_latin"),
        norm.str.replace_all(" ", "", literal=True)
        .str.extract_many(hangul["pattern"].unique().to_list(), overlapping=True)
        .alias("m_hangul"),
    )
    cols = [id_col, "tech_code", "field_code", "keyword", "kw_len"]
    return (
        pl.concat(
            [
                texts.select(id_col, pl.col("m_latin").alias("pattern"))
                .explode("pattern")
                .join(latin.lazy(), on="pattern")
                .select(cols),
                texts.select(id_col, pl.col("m_hangul").alias("pattern"))
                .explode("pattern")
                .join(hangul.lazy(), on="pattern")
                .select(cols),
            ]
        )
        .unique([id_col, "tech_code", "keyword"], maintain_order=True)
        .collect()
    )


def classify_texts(
    df: pl.DataFrame | pl.LazyFrame,
    *,
    id_col: str,
    text_col: str,
    topics_col: str | None = None,
) -> pl.DataFrame:
    """Field and technology of each text by the taxonomy rules: one row per id with field_code,
    tech_code, classified_by ('keyword', 'topic' or null), matched_keyword.

    Keywords (both languages, against every text) match as ``taxonomy.keyword_in`` says; when
    several technologies match, the longest keyword wins, then the number of the text's OpenAlex
    topics in the technology's crosswalk, then the number of keywords matched. Without a keyword,
    topics decide. A tie between technologies leaves tech_code null (and field_code too when the
    tied technologies belong to different fields).
    """
    lf = df.lazy()
    kw = (
        keyword_matches(lf, id_col=id_col, text_col=text_col)
        .lazy()
        .group_by(id_col, "tech_code")
        .agg(
            pl.col("kw_len").max(),
            pl.len().alias("n_kw"),
            pl.col("keyword").sort_by("kw_len", "keyword", descending=[True, False]).first(),
        )
    )
    cands = kw
    if topics_col is not None:
        tp = (
            lf.select(id_col, pl.col(topics_col).alias("topic"))
            .explode("topic")
            .filter(pl.col("topic").is_not_null())
            .select(id_col, _normalized(pl.col("topic")).alias("topic_norm"))
            .unique()
            .join(_topic_table().lazy(), on="topic_norm")
            .group_by(id_col, "tech_code")
            .agg(pl.len().alias("topic_hits"))
        )
        cands = kw.join(tp, on=[id_col, "tech_code"], how="full", coalesce=True)
    else:
        cands = kw.with_columns(pl.lit(0, pl.UInt32).alias("topic_hits"))
    cands = cands.with_columns(
        pl.col("kw_len").fill_null(0),
        pl.col("n_kw").fill_null(0),
        pl.col("topic_hits").fill_null(0),
        pl.col("tech_code").str.split("-").list.first().alias("field_code"),
    ).with_columns(
        (
            pl.col("kw_len").cast(pl.Int64) * 1_000_000
            + pl.col("topic_hits").cast(pl.Int64) * 1000
            + pl.col("n_kw").cast(pl.Int64)
        ).alias("_score")
    )
    best = (
        cands.filter(pl.col("_score") == pl.col("_score").max().over(id_col))
        .group_by(id_col)
        .agg(
            pl.col("tech_code").unique().alias("_techs"),
            pl.col("field_code").unique().alias("_fields"),
            pl.col("kw_len").first(),
            pl.col("keyword").drop_nulls().first(),
        )
        .select(
            id_col,
            pl.when(pl.col("_fields").list.len() == 1)
            .then(pl.col("_fields").list.first())
            .alias("field_code"),
            pl.when(pl.col("_techs").list.len() == 1)
            .then(pl.col("_techs").list.first())
            .alias("tech_code"),
            pl.when(pl.col("kw_len") > 0)
            .then(pl.lit("keyword"))
            .otherwise(pl.lit("topic"))
            .alias("classified_by"),
            pl.col("keyword").alias("matched_keyword"),
        )
    )
    return lf.select(id_col).join(best, on=id_col, how="left", maintain_order="left").collect()


def classify_publications(
    works: pl.DataFrame | pl.LazyFrame,
    *,
    keep_existing: bool = True,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Works with field_code and tech_code set by the taxonomy rules (title keywords, then
    OpenAlex topics) and a classified_by column; unmatched works keep null codes.

    Works that arrive already classified (``classified_by`` set, as `talent openalex import`
    writes with its topic crosswalk and confidence) keep their codes with ``keep_existing``: the
    crosswalk is the better classifier for real OpenAlex works.

    ``columns``: keep only these of the works' columns (with the codes and classified_by) — a
    lazy scan of millions of works then never reads the titles of works already classified."""
    lf = works.lazy()
    names = lf.collect_schema().names()
    keep = (
        None
        if columns is None
        else list(dict.fromkeys(["work_id", *[c for c in columns if c in names]]))
    )
    codes = ["field_code", "tech_code", "classified_by"]
    if keep_existing and "classified_by" in names:
        done = lf.filter(pl.col("classified_by").is_not_null())
        if keep is not None:
            done = done.select(list(dict.fromkeys([*keep, *[c for c in codes if c in names]])))
        rest = classify_publications(
            lf.filter(pl.col("classified_by").is_null()).drop("classified_by"),
            keep_existing=False,
            columns=columns,
        )
        return pl.concat([done.collect(), rest], how="diagonal_relaxed")
    w = lf.drop("field_code", "tech_code", strict=False)
    has_topics = "topics" in w.collect_schema().names()
    cls = classify_texts(
        w, id_col="work_id", text_col="title", topics_col="topics" if has_topics else None
    )
    if keep is not None:
        w = w.select([c for c in keep if c not in codes])
    return w.join(
        cls.lazy().drop("matched_keyword"), on="work_id", how="left", maintain_order="left"
    ).collect()


def classify_projects(projects: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Projects with pred_field_code / pred_tech_code from their (Korean) titles by the same
    keyword rules; the registered field_code / tech_code stay beside them for comparison."""
    p = projects.lazy()
    cls = classify_texts(p, id_col="project_id", text_col="title").rename(
        {"field_code": "pred_field_code", "tech_code": "pred_tech_code"}
    )
    return p.join(cls.lazy(), on="project_id", how="left", maintain_order="left").collect()


def classification_accuracy(
    predicted: pl.DataFrame,
    truth: pl.DataFrame,
    *,
    id_col: str = "work_id",
    pred: tuple[str, str] = ("field_code", "tech_code"),
    true: tuple[str, str] = ("field_code", "tech_code"),
) -> dict[str, Any]:
    """Accuracy against known labels: share of all items whose field (technology) is right —
    an unclassified item counts as wrong — plus coverage and per-field precision and recall."""
    t = truth.select(id_col, pl.col(true[0]).alias("_tf"), pl.col(true[1]).alias("_tt"))
    p = predicted.select(id_col, pl.col(pred[0]).alias("_pf"), pl.col(pred[1]).alias("_pt"))
    j = t.join(p, on=id_col, how="left")
    n = j.height
    ok_f = (pl.col("_pf") == pl.col("_tf")).fill_null(False)
    ok_t = (pl.col("_pt") == pl.col("_tt")).fill_null(False)
    s = j.select(
        ok_f.sum().alias("f"),
        ok_t.sum().alias("t"),
        pl.col("_pf").is_not_null().sum().alias("cf"),
        pl.col("_pt").is_not_null().sum().alias("ct"),
    ).row(0, named=True)
    rec = j.group_by("_tf").agg(ok_f.mean().alias("recall"), pl.len().alias("n"))
    prec = j.filter(pl.col("_pf").is_not_null()).group_by("_pf").agg(ok_f.mean().alias("precision"))
    per = (
        rec.join(prec, left_on="_tf", right_on="_pf", how="left")
        .rename({"_tf": "field_code"})
        .sort("field_code")
    )
    return {
        "n": n,
        "field_accuracy": round(s["f"] / n, 4) if n else None,
        "tech_accuracy": round(s["t"] / n, 4) if n else None,
        "field_coverage": round(s["cf"] / n, 4) if n else None,
        "tech_coverage": round(s["ct"] / n, 4) if n else None,
        "field_precision": round(s["f"] / s["cf"], 4) if s["cf"] else None,
        "per_field": [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
            for r in per.iter_rows(named=True)
        ],
    }


def truth_accuracy(
    data_dir: str | Path, works: pl.DataFrame, projects: pl.DataFrame | None = None
) -> dict[str, Any] | None:
    """Classification accuracy against a synthetic set's truth (truth/publication_labels.parquet
    and the projects' registered codes); None for real data without labels."""
    path = Path(data_dir) / "truth" / "publication_labels.parquet"
    if not path.exists():
        return None
    out: dict[str, Any] = {"publications": classification_accuracy(works, pl.read_parquet(path))}
    if projects is not None and "pred_field_code" in projects.columns:
        out["projects"] = classification_accuracy(
            projects, projects, id_col="project_id", pred=("pred_field_code", "pred_tech_code")
        )
    return out
