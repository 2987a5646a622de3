"""Workforce-map indicators: the domestic R&D workforce and Korea's place among the world's key
talent, plus the keyword/topic classification of papers and projects that feeds them.

Three parts, one per section below:

* **Classification** (``classify_publications``, ``classify_projects``): the taxonomy's keyword
  rules (``keywords_ko``/``keywords_en``, matched as ``taxonomy.keyword_in`` does, vectorised with
  Aho-Corasick) and its ``openalex_topics`` crosswalk, scored against a known truth with
  ``classification_accuracy``.
* **Domestic** (researchers + participations): a researcher × unit × year activity panel and the
  tables built on it — headcounts by degree, role, age band, institution type, region, career
  stage; growth; institution concentration; entrants and leavers; the pyramid; field overlap.
  These count people: publish them only through ``privacy.disclose``.
* **Global** (publications + authorships, OpenAlex-like): full and fractional country counts,
  PP(top10%) and shares of the world's top-10 % papers, Korea's rank and gap to the leader,
  Activity Index, international collaboration and a country network (association strength),
  key institutions and researchers by field-normalised citations, topic trends, author mobility.
  Paper counts by country are public bibliometrics and are published as they are; tables that
  count people (author flows) go through ``privacy.disclose`` like the domestic ones.

Definitions follow the synthetic truth (``talentlib.synth.truth``): a paper is in the top 10 %
when its citations reach the 90th percentile (``interpolation="higher"``, ties included) of its
field × publication year; a country's fractional credit for a paper is the share of its authors
affiliated there (an author with several affiliations splits their share equally).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from talentlib import io, privacy, taxonomy

__all__ = [
    "AGE_BANDS",
    "CAREER_STAGES",
    "COLUMN_KO",
    "COUNTRY_KO",
    "DISAMBIGUATION_NOTE",
    "FLOW_KO",
    "SEX_KO",
    "UNKNOWN_COUNTRY",
    "WORLD",
    "Bibliometrics",
    "Inputs",
    "activity_index",
    "activity_panel",
    "author_mobility",
    "bibliometrics",
    "career_pyramid",
    "classification_accuracy",
    "classify_projects",
    "classify_publications",
    "classify_texts",
    "collaboration",
    "collaboration_network",
    "country_output",
    "disclosed_headcount",
    "display",
    "entrants_leavers",
    "field_overlap",
    "global_indicators",
    "global_key_numbers",
    "growth",
    "headcount",
    "institution_concentration",
    "keyword_matches",
    "keyword_patterns",
    "key_institutions",
    "key_researchers",
    "korea_vs_leader",
    "load_inputs",
    "select_countries",
    "share_over_time",
    "talent_flow",
    "top_institutions",
    "topic_trends",
    "trend_series",
    "truth_accuracy",
]

UNKNOWN_COUNTRY = "ZZ"  # affiliation without a country (ISO 3166 user-assigned code)
WORLD = "WLD"  # world row in tables by country
DISAMBIGUATION_NOTE = (
    "저자 식별(author disambiguation)은 불완전합니다: 동명이인이 한 저자로 합쳐지거나 한 사람이 "
    "여러 ID로 나뉠 수 있고, OpenAlex API는 논문당 처음 100명의 저자만 제공합니다. 개인 순위는 "
    "후보 목록으로만 읽으십시오. / Author disambiguation is imperfect (merged common names, split "
    "identities; the API gives only the first 100 authorships of a paper): read individual "
    "rankings as a list of candidates, not as a measurement."
)

# Display names of countries (ISO 3166-1 alpha-2); codes stay in the data.
COUNTRY_KO: dict[str, str] = {
    "KR": "한국",
    "US": "미국",
    "CN": "중국",
    "JP": "일본",
    "DE": "독일",
    "GB": "영국",
    "FR": "프랑스",
    "IT": "이탈리아",
    "IN": "인도",
    "CA": "캐나다",
    "AU": "호주",
    "ES": "스페인",
    "TW": "대만",
    "NL": "네덜란드",
    "CH": "스위스",
    "SG": "싱가포르",
    "IR": "이란",
    "BR": "브라질",
    "RU": "러시아",
    "SE": "스웨덴",
    "BE": "벨기에",
    "IL": "이스라엘",
    "AT": "오스트리아",
    "DK": "덴마크",
    "FI": "핀란드",
    "NO": "노르웨이",
    "PL": "폴란드",
    "TR": "튀르키예",
    "SA": "사우디아라비아",
    "HK": "홍콩",
    "MY": "말레이시아",
    "VN": "베트남",
    "TH": "태국",
    "ID": "인도네시아",
    "PK": "파키스탄",
    "EG": "이집트",
    "MX": "멕시코",
    "ZA": "남아프리카공화국",
    "PT": "포르투갈",
    "GR": "그리스",
    "CZ": "체코",
    "IE": "아일랜드",
    "NZ": "뉴질랜드",
    UNKNOWN_COUNTRY: "국가 미상",
    WORLD: "세계",
}

AGE_BANDS: dict[str, str] = {
    "lt30": "30세 미만",
    "30_39": "30대",
    "40_49": "40대",
    "50_59": "50대",
    "60p": "60세 이상",
    "unknown": "미상",
}
CAREER_STAGES: dict[str, str] = {
    "student": "학생연구원",
    "early": "초기(학위 후 7년 이하)",
    "mid": "중견(8-15년)",
    "senior": "중진(16년 이상)",
    "unknown": "미상",
}
SEX_KO = {"M": "남성", "F": "여성"}
FLOW_KO = {
    "entrants": "신규 진입",
    "leavers": "이탈",
    "inflow": "유입",
    "outflow": "유출",
    "top": "상위 기관",
    "rest": "기타 기관",
}

# Column labels for tables shown to people (code and columns stay English).
COLUMN_KO: dict[str, str] = {
    "field_code": "분야",
    "tech_code": "기술",
    "field_a": "분야 A",
    "field_b": "분야 B",
    "country_code": "국가",
    "country_a": "국가 A",
    "country_b": "국가 B",
    "partner_country": "상대국",
    "year": "연도",
    "publication_year": "연도",
    "topic": "주제",
    "researchers": "연구자 수",
    "degree": "학위",
    "role": "역할",
    "age_band": "연령대",
    "sex": "성별",
    "career_stage": "경력 단계",
    "institution_type": "기관 유형",
    "region": "지역",
    "institution_id": "기관",
    "institutions": "기관 수",
    "flow": "구분",
    "group": "구분",
    "direction": "방향",
    "rank": "순위",
    "papers_full": "논문 수(완전계수)",
    "papers_frac": "논문 수(분수계수)",
    "papers": "논문 수",
    "top10_full": "상위 10% 논문 수(완전계수)",
    "top10_frac": "상위 10% 논문 수(분수계수)",
    "top1_frac": "상위 1% 논문 수(분수계수)",
    "top10_share": "상위 10% 논문 점유율",
    "pub_share": "논문 점유율",
    "pp_top10": "상위 10% 논문 비율",
    "mncs": "평균 분야정규화 피인용",
    "rank_top10": "순위(상위 10% 점유율)",
    "rank_papers": "순위(논문 수)",
    "activity_index": "활동지수(AI)",
    "relative_impact": "상대 영향력(PP10%/10%)",
    "intl_papers": "국제공동 논문 수",
    "intl_rate": "국제공동연구 비율",
    "joint_papers": "공동 논문 수",
    "association_strength": "연관 강도",
    "cosine": "코사인 유사도",
    "below_min_joint": "공동 논문 기준 미달",
    "tncs_frac": "분야정규화 피인용 합(분수계수)",
    "top10_papers": "상위 10% 논문 수",
    "core": "핵심연구자",
    "author_id": "저자 ID",
    "leader": "1위 국가",
    "leader_share": "1위 국가 점유율",
    "country_share": "대상국 점유율",
    "country_rank": "대상국 순위",
    "gap_pp": "1위와의 격차(%p)",
    "ratio_to_leader": "1위 대비 비율",
    "growth": "연평균 증가율(추세)",
    "cagr": "연평균 증가율(CAGR)",
    "recent_ratio": "최근 비중 배율",
    "emerging": "부상 주제",
    "korea_papers": "한국 논문 수(분수계수)",
    "korea_absent": "한국 부재",
    "top_share": "상위 기관 비중",
    "hhi": "허핀달 지수",
    "share": "비중",
    "from_country": "이전 국가",
    "to_country": "이후 국가",
    "value": "값",
}

_CODE_LABELS: dict[str, tuple[str, str | None]] = {
    # column -> (taxonomy, level) for taxonomy-coded columns
    "field_code": ("strategic_tech", "field"),
    "field_a": ("strategic_tech", "field"),
    "field_b": ("strategic_tech", "field"),
    "tech_code": ("strategic_tech", "technology"),
    "degree": ("degrees", None),
    "role": ("roles", None),
    "institution_type": ("institution_types", None),
    "region": ("regions", None),
}
_FIXED_LABELS: dict[str, dict[str, str]] = {
    "country_code": COUNTRY_KO,
    "country_a": COUNTRY_KO,
    "country_b": COUNTRY_KO,
    "partner_country": COUNTRY_KO,
    "leader": COUNTRY_KO,
    "from_country": COUNTRY_KO,
    "to_country": COUNTRY_KO,
    "age_band": AGE_BANDS,
    "career_stage": CAREER_STAGES,
    "sex": SEX_KO,
    "flow": FLOW_KO,
    "direction": FLOW_KO,
    "group": FLOW_KO,
}


def display(table: pl.DataFrame | privacy.DisclosedTable, *, labels: bool = True) -> pl.DataFrame:
    """A table for people: Korean column names and Korean labels for codes; a disclosed table
    shows suppressed cells as 비공개 and margins as 합계 (``DisclosedTable.display``)."""
    df = table.display("ko") if isinstance(table, privacy.DisclosedTable) else table
    if labels:
        exprs = []
        for c in df.columns:
            if df.schema[c] != pl.String:
                continue
            mapping: dict[str, str] = {}
            if c in _CODE_LABELS:
                name, level = _CODE_LABELS[c]
                mapping = taxonomy.labels(name, level=level)
            elif c in _FIXED_LABELS:
                mapping = _FIXED_LABELS[c]
            if mapping:
                exprs.append(pl.col(c).replace({**mapping, privacy.TOTAL: "합계"}))
        if exprs:
            df = df.with_columns(exprs)
    return df.rename({c: COLUMN_KO[c] for c in df.columns if c in COLUMN_KO})


# =============================================================================================
# Inputs
# =============================================================================================


@dataclass
class Inputs:
    """Validated input frames (None where the file is absent) and their validation summaries."""

    researchers: pl.DataFrame | None = None
    participations: pl.DataFrame | None = None
    publications: pl.DataFrame | None = None
    authorships: pl.DataFrame | None = None
    projects: pl.DataFrame | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    def quarantine_counts(self) -> dict[str, dict[str, int]]:
        """n_in / n_valid / n_quarantined per dataset (n_in = n_valid + n_quarantined)."""
        return {
            k: {"n_in": v["n_in"], "n_valid": v["n_valid"], "n_quarantined": v["n_quarantined"]}
            for k, v in self.checks.items()
        }


def load_inputs(data_dir: str | Path) -> Inputs:
    """Read and validate researchers, participations, projects, publications and authorships
    from a data folder (Parquet or CSV); bad rows are quarantined and counted, never used."""
    d = Path(data_dir)

    def find(name: str) -> Path | None:
        for suffix in (".parquet", ".csv", ".jsonl"):
            if (d / f"{name}{suffix}").exists():
                return d / f"{name}{suffix}"
        return None

    out = Inputs()
    refs: dict[str, pl.DataFrame] = {}
    for name, ref in [
        ("researchers", None),
        ("participations", "researchers"),
        ("projects", None),
        ("publications", None),
        ("authorships", "publications"),
    ]:
        path = find(name)
        if path is None:
            continue
        res = io.read_validated(
            path, name, references={ref: refs[ref]} if ref and ref in refs else None
        )
        refs[name] = res.valid
        setattr(out, name, res.valid)
        out.checks[name] = res.summary()
    return out


# =============================================================================================
# Classification by the taxonomy's keyword and topic rules
# =============================================================================================

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


def classify_publications(works: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Works with field_code and tech_code set by the taxonomy rules (title keywords, then
    OpenAlex topics) and a classified_by column; unmatched works keep null codes."""
    w = works.lazy().drop("field_code", "tech_code", strict=False)
    has_topics = "topics" in w.collect_schema().names()
    cls = classify_texts(
        w, id_col="work_id", text_col="title", topics_col="topics" if has_topics else None
    )
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


# =============================================================================================
# Domestic workforce (researchers + participations): counts of people, publish via disclose
# =============================================================================================

_ROLE_ORDER = {"PI": 0, "RESEARCHER": 1, "STUDENT": 2}


def _unit(level: str) -> str:
    if level not in ("field", "tech"):
        raise ValueError("level is 'field' or 'tech'")
    return "field_code" if level == "field" else "tech_code"


def _age_band(age: pl.Expr) -> pl.Expr:
    return (
        pl.when(age.is_null())
        .then(pl.lit("unknown"))
        .when(age < 30)
        .then(pl.lit("lt30"))
        .when(age < 40)
        .then(pl.lit("30_39"))
        .when(age < 50)
        .then(pl.lit("40_49"))
        .when(age < 60)
        .then(pl.lit("50_59"))
        .otherwise(pl.lit("60p"))
    )


def activity_panel(
    participations: pl.DataFrame | pl.LazyFrame,
    researchers: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    level: str = "field",
    years: Sequence[int] = (2013, 2023),
) -> pl.DataFrame:
    """One row per researcher × field (or technology) × calendar year with a participation
    active on any day of that year.

    Role is the most senior of the year (PI > researcher > student); institution, its type and
    region come from the participation with the highest participation rate (then the latest
    start). With ``researchers``: degree, sex, age, age_band and career_stage (student role, else
    years since the highest degree: 0-7 early, 8-15 mid, 16+ senior). Degree is as reported at
    the researcher's latest participation, not as of each year.
    """
    unit = _unit(level)
    y0, y1 = int(years[0]), int(years[-1])
    p = (
        participations.lazy()
        .select(
            "researcher_id",
            unit,
            "role",
            "institution_id",
            "institution_type",
            "region",
            "start_date",
            "end_date",
            "participation_rate",
        )
        .with_columns(
            pl.max_horizontal(pl.col("start_date").dt.year(), pl.lit(y0)).alias("_a"),
            pl.min_horizontal(pl.col("end_date").dt.year(), pl.lit(y1)).alias("_b"),
        )
        .filter(pl.col("_a") <= pl.col("_b"))
    )
    p = p.with_columns(pl.int_ranges("_a", pl.col("_b") + 1).alias("year")).explode("year")
    keys = [
        pl.col("participation_rate").fill_null(-1.0),
        pl.col("start_date"),
        pl.col("institution_id"),
    ]
    panel = (
        p.group_by("researcher_id", unit, "year")
        .agg(
            pl.col("role").sort_by(pl.col("role").replace_strict(_ROLE_ORDER, default=9)).first(),
            *(
                pl.col(c).sort_by(keys, descending=[True, True, False]).first()
                for c in ("institution_id", "institution_type", "region")
            ),
        )
        .with_columns(pl.col("year").cast(pl.Int64))
    )
    if researchers is not None:
        r = researchers.lazy().select("researcher_id", "degree", "sex", "birth_year", "degree_year")
        since = pl.col("year") - pl.col("degree_year")
        panel = (
            panel.join(r, on="researcher_id", how="left")
            .with_columns(
                (pl.col("year") - pl.col("birth_year")).alias("age"),
            )
            .with_columns(
                _age_band(pl.col("age")).alias("age_band"),
                pl.when(pl.col("role") == "STUDENT")
                .then(pl.lit("student"))
                .when(since.is_null())
                .then(pl.lit("unknown"))
                .when(since <= 7)
                .then(pl.lit("early"))
                .when(since <= 15)
                .then(pl.lit("mid"))
                .otherwise(pl.lit("senior"))
                .alias("career_stage"),
            )
            .drop("birth_year", "degree_year")
        )
    return panel.sort(unit, "year", "researcher_id").collect()


def headcount(panel: pl.DataFrame | pl.LazyFrame, by: Sequence[str]) -> pl.DataFrame:
    """Distinct researchers per group of ``by`` (e.g. field_code, year, degree): column
    ``researchers``. Counts people: publish through ``privacy.disclose``."""
    by = list(by)
    return (
        panel.lazy()
        .group_by(by)
        .agg(pl.col("researcher_id").n_unique().cast(pl.Int64).alias("researchers"))
        .sort(by)
        .collect()
    )


def growth(
    series: pl.DataFrame,
    *,
    value: str,
    by: Sequence[str] = (),
    time: str = "year",
) -> pl.DataFrame:
    """Growth of ``value`` over ``time`` per group: first/last, CAGR between the first and last
    year with a positive value, and the log-linear trend (exp(slope) - 1, years with value > 0).
    Year-over-year changes are left to the caller (``pct_change().over(by)``)."""
    by = list(by)
    s = series.filter(pl.col(value) > 0).with_columns(
        pl.col(time).cast(pl.Float64).alias("_t"), pl.col(value).cast(pl.Float64).log().alias("_y")
    )
    aggs = [
        pl.col(time).min().alias("first_year"),
        pl.col(time).max().alias("last_year"),
        pl.col(value).sort_by(time).first().alias("first"),
        pl.col(value).sort_by(time).last().alias("last"),
        (pl.cov("_t", "_y") / pl.col("_t").var()).alias("_slope"),
        pl.len().alias("n_years"),
    ]
    g = s.group_by(by).agg(aggs) if by else s.select(aggs)
    span = pl.col("last_year") - pl.col("first_year")
    return (
        g.with_columns(
            pl.when(span > 0)
            .then((pl.col("last") / pl.col("first")) ** (1.0 / span) - 1.0)
            .alias("cagr"),
            (pl.col("_slope").exp() - 1.0).alias("growth"),
        )
        .drop("_slope")
        .sort(by or "first_year")
    )


def entrants_leavers(
    participations: pl.DataFrame | pl.LazyFrame,
    *,
    level: str = "field",
    years: Sequence[int] = (2013, 2023),
    data_end: dt.date | None = None,
) -> pl.DataFrame:
    """Researchers entering a field (first participation starts that year) and leaving it (last
    participation ends that year, before ``data_end``), long format: unit, year, flow, researchers.

    Leavers of the last year are provisional: someone whose project ended may start another
    after the extract's end. Entrants need start dates from before the window to be right (a
    participation running since 2010 is not a 2013 entrant).
    """
    unit = _unit(level)
    y0, y1 = int(years[0]), int(years[-1])
    end = data_end or dt.date(y1, 12, 31)
    span = (
        participations.lazy()
        .group_by("researcher_id", unit)
        .agg(pl.col("start_date").min().alias("first"), pl.col("end_date").max().alias("last"))
    )
    ent = span.select(
        unit, pl.col("first").dt.year().alias("year"), pl.lit("entrants").alias("flow")
    )
    lea = span.filter(pl.col("last") < pl.lit(end)).select(
        unit, pl.col("last").dt.year().alias("year"), pl.lit("leavers").alias("flow")
    )
    return (
        pl.concat([ent, lea])
        .filter(pl.col("year").is_between(y0, y1))
        .group_by(unit, "year", "flow")
        .agg(pl.len().cast(pl.Int64).alias("researchers"))
        .with_columns(pl.col("year").cast(pl.Int64))
        .sort(unit, "year", "flow")
        .collect()
    )


def institution_concentration(
    panel: pl.DataFrame | pl.LazyFrame, *, top_k: int = 5, unit: str = "field_code"
) -> pl.DataFrame:
    """Per unit × year: researchers, institutions, researchers at the ``top_k`` largest
    institutions (top_researchers), their share and the Herfindahl index over institutions."""
    inst = (
        panel.lazy()
        .group_by(unit, "year", "institution_id")
        .agg(pl.col("researcher_id").n_unique().alias("n"))
    )
    return (
        inst.group_by(unit, "year")
        .agg(
            pl.col("n").sum().cast(pl.Int64).alias("researchers"),
            pl.len().cast(pl.Int64).alias("institutions"),
            pl.col("n").top_k(top_k).sum().cast(pl.Int64).alias("top_researchers"),
            ((pl.col("n") / pl.col("n").sum()) ** 2).sum().alias("hhi"),
        )
        .with_columns((pl.col("top_researchers") / pl.col("researchers")).alias("top_share"))
        .sort(unit, "year")
        .collect()
    )


def concentration_table(concentration: pl.DataFrame, *, unit: str = "field_code") -> pl.DataFrame:
    """``institution_concentration`` in long form for ``privacy.disclose``: unit, year, group
    ('top' = the top-k institutions, 'rest'), researchers (rows sum to the unit-year total)."""
    return (
        concentration.select(
            unit,
            "year",
            pl.struct(
                top="top_researchers", rest=pl.col("researchers") - pl.col("top_researchers")
            ).alias("_g"),
        )
        .unnest("_g")
        .unpivot(index=[unit, "year"], variable_name="group", value_name="researchers")
        .sort(unit, "year", "group")
    )


def top_institutions(
    panel: pl.DataFrame | pl.LazyFrame, *, year: int, k: int = 10, unit: str = "field_code"
) -> pl.DataFrame:
    """The ``k`` largest institutions per unit in ``year``: institution_id, institution_type,
    researchers, rank (pseudonymous institution codes; names come from the institution table)."""
    return (
        panel.lazy()
        .filter(pl.col("year") == year)
        .group_by(unit, "institution_id")
        .agg(
            pl.col("institution_type").mode().sort().first(),
            pl.col("researcher_id").n_unique().cast(pl.Int64).alias("researchers"),
        )
        .sort([unit, "researchers", "institution_id"], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over(unit).alias("rank"))
        .filter(pl.col("rank") <= k)
        .collect()
    )


def career_pyramid(
    panel: pl.DataFrame | pl.LazyFrame, *, year: int, by: Sequence[str] = ("age_band", "sex")
) -> pl.DataFrame:
    """Researchers active in ``year`` by age band and sex (or any ``by``), for a pyramid."""
    return headcount(panel.lazy().filter(pl.col("year") == year), list(by))


def field_overlap(
    panel: pl.DataFrame | pl.LazyFrame, *, years: Sequence[int] | None = None
) -> pl.DataFrame:
    """Researchers active in both fields of each pair (field_a, field_b; the diagonal is the
    field's own headcount) over ``years``, with share_of_a = researchers / field_a's headcount."""
    lf = panel.lazy()
    if years is not None:
        lf = lf.filter(pl.col("year").is_between(int(years[0]), int(years[-1])))
    pf = lf.select("researcher_id", "field_code").unique()
    pairs = (
        pf.join(pf, on="researcher_id", suffix="_b")
        .group_by(pl.col("field_code").alias("field_a"), "field_code_b")
        .agg(pl.len().cast(pl.Int64).alias("researchers"))
        .rename({"field_code_b": "field_b"})
    )
    own = pairs.filter(pl.col("field_a") == pl.col("field_b")).select(
        "field_a", pl.col("researchers").alias("_own")
    )
    return (
        pairs.join(own, on="field_a")
        .with_columns((pl.col("researchers") / pl.col("_own")).alias("share_of_a"))
        .drop("_own")
        .sort("field_a", "field_b")
        .collect()
    )


# =============================================================================================
# Global indicators (publications + authorships, OpenAlex-like)
# =============================================================================================


@dataclass
class Bibliometrics:
    """Works with citation flags and the country / author credit every global indicator uses.

    works: work_id, publication_year, cited_by_count, field_code, tech_code, topics, top10, top1,
    ncs (citations / mean of the field × year). authorships: one row per author × affiliation
    with ``weight`` (1 / authors / the author's affiliations). credit: one row per work ×
    country with ``frac`` (summed weight; sums to 1 per work).
    """

    works: pl.DataFrame
    authorships: pl.DataFrame
    credit: pl.DataFrame
    years: tuple[int, int]


def bibliometrics(
    works: pl.DataFrame | pl.LazyFrame,
    authorships: pl.DataFrame | pl.LazyFrame,
    *,
    years: Sequence[int] | None = None,
    normalise_by: Sequence[str] = ("field_code", "publication_year"),
) -> Bibliometrics:
    """Prepare classified works and their authorships for the global indicators.

    Top 10 % / top 1 %: citations at or above the 90th / 99th percentile (``higher``) of the
    work's field × year (ties included, as the synthetic truth defines it); ncs: citations over
    the field × year mean. Works without a field get no flags. Authorships of works not in
    ``works`` are dropped; a missing country becomes ``UNKNOWN_COUNTRY`` so that fractional
    counts still add up to the number of papers.
    """
    by = list(normalise_by)
    w = works.lazy()
    names = w.collect_schema().names()
    for c in ("field_code", "tech_code"):
        if c not in names:
            w = w.with_columns(pl.lit(None, pl.String).alias(c))
    if "topics" not in names:
        w = w.with_columns(pl.lit(None, pl.List(pl.String)).alias("topics"))
    if years is not None:
        w = w.filter(pl.col("publication_year").is_between(int(years[0]), int(years[-1])))
    cites = pl.col("cited_by_count")
    has_field = pl.col(by[0]).is_not_null()
    w = w.select(
        "work_id",
        "publication_year",
        "cited_by_count",
        "field_code",
        "tech_code",
        "topics",
        pl.when(has_field)
        .then(cites >= cites.quantile(0.9, interpolation="higher").over(by))
        .alias("top10"),
        pl.when(has_field)
        .then(cites >= cites.quantile(0.99, interpolation="higher").over(by))
        .alias("top1"),
        pl.when(has_field & (cites.mean().over(by) > 0))
        .then(cites / cites.mean().over(by))
        .alias("ncs"),
    ).collect()
    a = (
        authorships.lazy()
        .select("work_id", "author_position", "author_id", "institution_id", "country_code")
        .join(w.lazy().select("work_id"), on="work_id", how="semi")
        .with_columns(pl.col("country_code").fill_null(UNKNOWN_COUNTRY))
        .with_columns(
            (
                1.0
                / pl.col("author_position").n_unique().over("work_id")
                / pl.len().over("work_id", "author_position")
            ).alias("weight")
        )
        .collect()
    )
    credit = (
        a.lazy()
        .group_by("work_id", "country_code")
        .agg(pl.col("weight").sum().alias("frac"))
        .sort("work_id", "country_code")
        .collect()
    )
    if years is not None:
        span = (int(years[0]), int(years[-1]))
    else:
        y = pl.col("publication_year")
        lo, hi = w.select(y.min().alias("lo"), y.max().alias("hi")).row(0)
        span = (int(lo), int(hi)) if w.height else (0, 0)
    return Bibliometrics(works=w, authorships=a, credit=credit, years=span)


def _scope(b: Bibliometrics, unit: str, years: Sequence[int] | None) -> pl.LazyFrame:
    w = b.works.lazy().filter(pl.col(unit).is_not_null())
    if years is not None:
        w = w.filter(pl.col("publication_year").is_between(int(years[0]), int(years[-1])))
    return w


def _rank(keys: list[str], name: str) -> pl.Expr:
    """Row number within ``keys`` as a rank; the unknown country gets none. Expects rows sorted
    by keys, then unknown last, then the ranked value descending and the country code."""
    return (
        pl.when(pl.col("country_code") != UNKNOWN_COUNTRY)
        .then(pl.int_range(1, pl.len() + 1).over(keys))
        .alias(name)
    )


def country_output(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    by_year: bool = False,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Per unit (× year) × country: papers_full (full counting), papers_frac (fractional),
    top10_full, top10_frac, top1_frac, pub_share and top10_share (shares of the world's
    fractional total, i.e. of the unit's papers and top-10 % papers), pp_top10 (fractional
    PP(top10%); world 10 %), mncs (mean normalised citations; world 1.0), rank_top10 and
    rank_papers (ties broken by country code; the unknown country is not ranked)."""
    keys = [unit] + (["publication_year"] if by_year else [])
    w = _scope(b, unit, years).select("work_id", *keys, "top10", "top1", "ncs")
    c = b.credit.lazy().join(w, on="work_id")
    out = (
        c.group_by(*keys, "country_code")
        .agg(
            pl.len().cast(pl.Int64).alias("papers_full"),
            pl.col("frac").sum().alias("papers_frac"),
            pl.col("top10").sum().cast(pl.Int64).alias("top10_full"),
            (pl.col("frac") * pl.col("top10")).sum().alias("top10_frac"),
            (pl.col("frac") * pl.col("top1")).sum().alias("top1_frac"),
            (pl.col("frac") * pl.col("ncs")).sum().alias("_ncs"),
            pl.col("frac").filter(pl.col("ncs").is_not_null()).sum().alias("_ncs_w"),
        )
        .with_columns(
            (pl.col("papers_frac") / pl.col("papers_frac").sum().over(keys)).alias("pub_share"),
            (pl.col("top10_frac") / pl.col("top10_frac").sum().over(keys))
            .fill_nan(0.0)
            .alias("top10_share"),
            (pl.col("top10_frac") / pl.col("papers_frac")).alias("pp_top10"),
            (pl.col("_ncs") / pl.col("_ncs_w")).alias("mncs"),
            (pl.col("country_code") == UNKNOWN_COUNTRY).alias("_unknown"),
        )
        .drop("_ncs", "_ncs_w")
    )
    # round away float noise of summation order before ranking; ties go by country code
    out = out.sort(
        [*keys, "_unknown", pl.col("top10_share").round(9), "country_code"],
        descending=[*([False] * len(keys)), False, True, False],
    ).with_columns(_rank(keys, "rank_top10"))
    out = out.sort(
        [*keys, "_unknown", pl.col("papers_frac").round(9), "country_code"],
        descending=[*([False] * len(keys)), False, True, False],
    ).with_columns(_rank(keys, "rank_papers"))
    return out.drop("_unknown").sort([*keys, "rank_top10"], nulls_last=True).collect()


def korea_vs_leader(
    output: pl.DataFrame,
    *,
    country: str = "KR",
    unit: str = "field_code",
    value: str = "top10_share",
) -> pl.DataFrame:
    """Per unit (× year, if ``output`` has it): the country's share and rank against the
    leader's — leader, leader_share, country_share, country_rank, gap_pp (percentage points),
    ratio_to_leader. A unit where the country has no paper shows share 0 and a null rank."""
    keys = [unit] + (["publication_year"] if "publication_year" in output.columns else [])
    rank = "rank_top10" if value == "top10_share" else "rank_papers"
    lead = output.filter(pl.col(rank) == 1).select(
        *keys, pl.col("country_code").alias("leader"), pl.col(value).alias("leader_share")
    )
    own = output.filter(pl.col("country_code") == country).select(
        *keys, pl.col(value).alias("country_share"), pl.col(rank).alias("country_rank")
    )
    return (
        lead.join(own, on=keys, how="left")
        .with_columns(pl.col("country_share").fill_null(0.0))
        .with_columns(
            ((pl.col("leader_share") - pl.col("country_share")) * 100).alias("gap_pp"),
            pl.when(pl.col("leader_share") > 0)
            .then(pl.col("country_share") / pl.col("leader_share"))
            .alias("ratio_to_leader"),
        )
        .sort(keys)
    )


def activity_index(
    b: Bibliometrics,
    *,
    unit: str = "tech_code",
    base: str = "all",
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Activity Index (revealed comparative advantage) per unit × country, fractional counting:
    (country's papers in the unit / its papers in the base) / (world's papers in the unit / the
    world's in the base). base='all' compares with all classified papers, base='field' with the
    unit's field (specialisation among the field's technologies). With pp_top10, relative_impact
    (pp_top10 / 10 %) and top10_share for the strength/gap quadrant. Do not compare the index's
    magnitude across fields naively."""
    if base not in ("all", "field"):
        raise ValueError("base is 'all' or 'field'")
    cols = list(dict.fromkeys([unit, "field_code"]))
    w = _scope(b, unit, years).select("work_id", *cols, "top10")
    c = (
        b.credit.lazy()
        .join(w, on="work_id")
        .group_by(*cols, "country_code")
        .agg(
            pl.col("frac").sum().alias("papers_frac"),
            (pl.col("frac") * pl.col("top10")).sum().alias("top10_frac"),
        )
    )
    scope = ["field_code"] if base == "field" else []
    cb = ["country_code", *scope]
    return (
        c.with_columns(
            (
                (pl.col("papers_frac") / pl.col("papers_frac").sum().over(cb))
                / (
                    pl.col("papers_frac").sum().over(unit)
                    / (
                        pl.col("papers_frac").sum().over(scope)
                        if scope
                        else pl.col("papers_frac").sum()
                    )
                )
            ).alias("activity_index"),
            (pl.col("top10_frac") / pl.col("papers_frac")).alias("pp_top10"),
            (pl.col("top10_frac") / pl.col("top10_frac").sum().over(unit))
            .fill_nan(0.0)
            .alias("top10_share"),
        )
        .with_columns((pl.col("pp_top10") / 0.10).alias("relative_impact"))
        .sort(unit, "country_code")
        .collect()
    )


def _countries_per_work(b: Bibliometrics) -> pl.LazyFrame:
    return (
        b.credit.lazy()
        .filter(pl.col("country_code") != UNKNOWN_COUNTRY)
        .group_by("work_id")
        .agg(pl.len().alias("n_countries"))
    )


def collaboration(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    by_year: bool = False,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """International co-authorship per unit (× year) × country: papers (full counting),
    intl_papers (with authors from >= 2 countries) and intl_rate; a WORLD row per unit."""
    keys = [unit] + (["publication_year"] if by_year else [])
    w = (
        _scope(b, unit, years)
        .select("work_id", *keys)
        .join(_countries_per_work(b), on="work_id", how="left")
        .with_columns((pl.col("n_countries").fill_null(0) >= 2).alias("intl"))
    )
    per = (
        b.credit.lazy()
        .join(w, on="work_id")
        .group_by(*keys, "country_code")
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("intl").sum().cast(pl.Int64).alias("intl_papers"),
        )
    )
    world = (
        w.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("intl").sum().cast(pl.Int64).alias("intl_papers"),
        )
        .with_columns(pl.lit(WORLD).alias("country_code"))
    )
    return (
        pl.concat([per, world.select(per.collect_schema().names())])
        .with_columns((pl.col("intl_papers") / pl.col("papers")).alias("intl_rate"))
        .sort(*keys, "country_code")
        .collect()
    )


def collaboration_network(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    value: str | None = None,
    countries: Iterable[str] | None = None,
    top_n: int = 15,
    min_joint: int = 25,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Country pairs co-authoring papers of one unit value (all classified papers if None):
    joint_papers, each country's papers, association strength (van Eck & Waltman 2009:
    observed / expected joint papers = N c_ij / (s_i s_j), 1 = as many as chance) and Salton's
    cosine. Limited to the ``top_n`` countries by papers plus ``countries``; pairs with fewer
    than ``min_joint`` joint papers are flagged (below_min_joint) — read them with caution."""
    w = _scope(b, unit, years)
    if value is not None:
        w = w.filter(pl.col(unit) == value)
    wc = (
        b.credit.lazy()
        .filter(pl.col("country_code") != UNKNOWN_COUNTRY)
        .join(w.select("work_id"), on="work_id", how="semi")
        .select("work_id", "country_code")
    )
    n_works = w.select(pl.len()).collect().item()
    s = wc.group_by("country_code").agg(pl.len().cast(pl.Int64).alias("papers")).collect()
    keep = set(
        s.sort(["papers", "country_code"], descending=[True, False])
        .head(top_n)["country_code"]
        .to_list()
    ) | set(countries or [])
    wc = wc.filter(pl.col("country_code").is_in(sorted(keep)))
    pairs = (
        wc.join(wc, on="work_id", suffix="_b")
        .filter(pl.col("country_code") < pl.col("country_code_b"))
        .group_by(
            pl.col("country_code").alias("country_a"), pl.col("country_code_b").alias("country_b")
        )
        .agg(pl.len().cast(pl.Int64).alias("joint_papers"))
    )
    sl = s.lazy()
    return (
        pairs.join(sl.rename({"country_code": "country_a", "papers": "papers_a"}), on="country_a")
        .join(sl.rename({"country_code": "country_b", "papers": "papers_b"}), on="country_b")
        .with_columns(
            (n_works * pl.col("joint_papers") / (pl.col("papers_a") * pl.col("papers_b"))).alias(
                "association_strength"
            ),
            (pl.col("joint_papers") / (pl.col("papers_a") * pl.col("papers_b")).sqrt()).alias(
                "cosine"
            ),
            (pl.col("joint_papers") < min_joint).alias("below_min_joint"),
        )
        .sort("country_a", "country_b")
        .collect()
    )


def _actor_scope(
    b: Bibliometrics, unit: str, value: str | None, years: Sequence[int] | None
) -> pl.LazyFrame:
    w = _scope(b, unit, years)
    if value is not None:
        w = w.filter(pl.col(unit) == value)
    return b.authorships.lazy().join(
        w.select("work_id", "publication_year", "top10", "ncs"), on="work_id"
    )


def key_institutions(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    value: str | None = None,
    country: str | None = None,
    top: int = 20,
    min_papers: int = 3,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Institutions ranked by their fractional total of field-normalised citations
    (tncs_frac = sum of weight × ncs), with papers (full), papers_frac, top10_papers and mncs
    (mean ncs of their papers). ``country`` keeps one country's institutions."""
    a = _actor_scope(b, unit, value, years).filter(pl.col("institution_id").is_not_null())
    if country is not None:
        a = a.filter(pl.col("country_code") == country)
    per_work = a.group_by("institution_id", "work_id").agg(
        pl.col("weight").sum(),
        pl.col("top10").first(),
        pl.col("ncs").first(),
        pl.col("country_code").first(),
    )
    return (
        per_work.group_by("institution_id")
        .agg(
            pl.col("country_code").mode().sort().first(),
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("weight").sum().alias("papers_frac"),
            pl.col("top10").sum().cast(pl.Int64).alias("top10_papers"),
            pl.col("ncs").mean().alias("mncs"),
            (pl.col("weight") * pl.col("ncs")).sum().alias("tncs_frac"),
        )
        .filter(pl.col("papers") >= min_papers)
        .sort(["tncs_frac", "institution_id"], descending=[True, False])
        .head(top)
        .with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))
        .collect()
    )


def key_researchers(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    value: str | None = None,
    country: str | None = None,
    top: int = 20,
    min_papers: int = 3,
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Authors ranked by tncs_frac (as ``key_institutions``), with their latest affiliation
    country, papers, top10_papers, mncs and core (authored a top-10 % paper, the official map's
    definition of a core researcher). See DISAMBIGUATION_NOTE before reading it as people."""
    a = _actor_scope(b, unit, value, years)
    per_work = a.group_by("author_id", "work_id").agg(
        pl.col("weight").sum(),
        pl.col("top10").first(),
        pl.col("ncs").first(),
        pl.col("publication_year").first(),
        pl.col("country_code").sort().first(),
    )
    out = (
        per_work.group_by("author_id")
        .agg(
            pl.col("country_code").sort_by("publication_year").last(),
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("top10").sum().cast(pl.Int64).alias("top10_papers"),
            pl.col("ncs").mean().alias("mncs"),
            (pl.col("weight") * pl.col("ncs")).sum().alias("tncs_frac"),
        )
        .with_columns((pl.col("top10_papers") > 0).alias("core"))
    )
    if country is not None:
        out = out.filter(pl.col("country_code") == country)
    return (
        out.filter(pl.col("papers") >= min_papers)
        .sort(["tncs_frac", "author_id"], descending=[True, False])
        .head(top)
        .with_columns(pl.int_range(1, pl.len() + 1).alias("rank"))
        .collect()
    )


def trend_series(
    b: Bibliometrics,
    *,
    unit: str = "field_code",
    country: str = "KR",
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Per unit × year: world papers, the country's fractional papers and share, and its
    top-10 % share (the research-trend time series)."""
    out = country_output(b, unit=unit, by_year=True, years=years)
    keys = [unit, "publication_year"]
    world = out.group_by(keys).agg(pl.col("papers_frac").sum().alias("papers"))
    own = out.filter(pl.col("country_code") == country).select(
        *keys,
        pl.col("papers_frac").alias("country_papers"),
        pl.col("pub_share").alias("country_pub_share"),
        pl.col("top10_share").alias("country_top10_share"),
    )
    return (
        world.join(own, on=keys, how="left")
        .with_columns(
            pl.col("country_papers", "country_pub_share", "country_top10_share").fill_null(0.0)
        )
        .sort(keys)
    )


def topic_trends(
    b: Bibliometrics,
    *,
    unit: str = "topic",
    field_code: str | None = None,
    country: str = "KR",
    recent: int = 3,
    min_recent: int = 5,
    emerging_ratio: float = 1.25,
) -> pl.DataFrame:
    """Growth of topics (OpenAlex topics with unit='topic', or tech_code) and emerging ones.

    Per topic: papers (full counting) over the period and in the last ``recent`` years, growth
    (log-linear trend), recent_ratio (the topic's share of all papers in the recent years over
    its share before), emerging (recent_ratio >= emerging_ratio, growth above the scope's and at
    least ``min_recent`` recent papers), korea_papers (the country's fractional papers in the
    recent years) and korea_absent (emerging without any). A simple stand-in for burst detection.
    """
    w = b.works.lazy().filter(pl.col("field_code").is_not_null())
    if field_code is not None:
        w = w.filter(pl.col("field_code") == field_code)
    if unit == "topic":
        w = w.explode("topics").rename({"topics": "topic"}).filter(pl.col("topic").is_not_null())
    else:
        w = w.rename({unit: "topic"}).filter(pl.col("topic").is_not_null())
    y1 = b.years[1]
    cut = y1 - recent + 1
    w = w.select(
        "work_id", "topic", "publication_year", (pl.col("publication_year") >= cut).alias("_recent")
    )
    yearly = w.group_by("topic", "publication_year").agg(pl.len().alias("papers")).collect()
    gr = growth(yearly, value="papers", by=["topic"], time="publication_year").select(
        "topic", "growth", "cagr"
    )
    total = (
        w.select("work_id", "publication_year", "_recent")
        .unique()
        .group_by("_recent")
        .agg(pl.len().alias("n"))
        .collect()
    )
    n_recent = total.filter(pl.col("_recent"))["n"].sum()
    n_before = total.filter(~pl.col("_recent"))["n"].sum()
    kr = (
        w.filter(pl.col("_recent"))
        .join(b.credit.lazy().filter(pl.col("country_code") == country), on="work_id")
        .group_by("topic")
        .agg(pl.col("frac").sum().alias("korea_papers"))
    )
    scope_growth = growth(
        w.select("work_id", "publication_year")
        .unique()
        .group_by("publication_year")
        .agg(pl.len().alias("papers"))
        .collect(),
        value="papers",
        time="publication_year",
    )["growth"]
    g0 = float(scope_growth[0]) if scope_growth.len() and scope_growth[0] is not None else 0.0
    out = (
        w.group_by("topic")
        .agg(
            pl.len().cast(pl.Int64).alias("papers"),
            pl.col("_recent").sum().cast(pl.Int64).alias("recent_papers"),
        )
        .join(gr.lazy(), on="topic", how="left")
        .join(kr, on="topic", how="left")
        .with_columns(
            pl.col("korea_papers").fill_null(0.0),
            pl.when((pl.col("papers") - pl.col("recent_papers")) > 0)
            .then(
                (pl.col("recent_papers") / max(n_recent, 1))
                / ((pl.col("papers") - pl.col("recent_papers")) / max(n_before, 1))
            )
            .alias("recent_ratio"),
        )
        .with_columns(
            (
                (pl.col("recent_ratio").fill_null(float("inf")) >= emerging_ratio)
                & (pl.col("growth").fill_null(0.0) > g0)
                & (pl.col("recent_papers") >= min_recent)
            ).alias("emerging")
        )
        .with_columns((pl.col("emerging") & (pl.col("korea_papers") == 0)).alias("korea_absent"))
        .sort(
            ["emerging", "recent_ratio", "topic"], descending=[True, True, False], nulls_last=True
        )
    )
    return out.collect()


def author_mobility(b: Bibliometrics, *, core_only: bool = False) -> pl.DataFrame:
    """Authors whose affiliation country changes between publication years: author_id, year
    (first year seen in the new country), prev_year, from_country, to_country, core (authored a
    top-10 % paper). An author's country in a year is the most frequent one among their
    affiliations that year (ties by code); unknown countries are skipped. Disambiguation errors
    show up as moves: see DISAMBIGUATION_NOTE."""
    a = (
        b.authorships.lazy()
        .filter(pl.col("country_code") != UNKNOWN_COUNTRY)
        .join(b.works.lazy().select("work_id", "publication_year", "top10"), on="work_id")
    )
    core = a.group_by("author_id").agg(pl.col("top10").fill_null(False).any().alias("core"))
    yearly = (
        a.group_by("author_id", "publication_year", "country_code")
        .agg(pl.len().alias("n"))
        .sort(
            ["author_id", "publication_year", "n", "country_code"],
            descending=[False, False, True, False],
        )
        .group_by("author_id", "publication_year", maintain_order=True)
        .agg(pl.col("country_code").first())
        .sort("author_id", "publication_year")
    )
    moves = yearly.with_columns(
        pl.col("country_code").shift(1).over("author_id").alias("from_country"),
        pl.col("publication_year").shift(1).over("author_id").alias("prev_year"),
    ).filter(
        pl.col("from_country").is_not_null() & (pl.col("from_country") != pl.col("country_code"))
    )
    out = moves.select(
        "author_id",
        pl.col("publication_year").alias("year"),
        "prev_year",
        "from_country",
        pl.col("country_code").alias("to_country"),
    ).join(core, on="author_id", how="left")
    if core_only:
        out = out.filter(pl.col("core"))
    return out.sort("author_id", "year").collect()


def talent_flow(
    moves: pl.DataFrame,
    *,
    country: str = "KR",
    years: Sequence[int] | None = None,
) -> pl.DataFrame:
    """Moves into (inflow) and out of (outflow) ``country`` per partner country, long format
    (partner_country, direction, researchers) ready for ``privacy.disclose`` — it counts people.
    Net inflow = inflow - outflow from the published cells."""
    m = moves.lazy()
    if years is not None:
        m = m.filter(pl.col("year").is_between(int(years[0]), int(years[-1])))
    inflow = m.filter(pl.col("to_country") == country).select(
        pl.col("from_country").alias("partner_country"), pl.lit("inflow").alias("direction")
    )
    outflow = m.filter(pl.col("from_country") == country).select(
        pl.col("to_country").alias("partner_country"), pl.lit("outflow").alias("direction")
    )
    counts = (
        pl.concat([inflow, outflow])
        .group_by("partner_country", "direction")
        .agg(pl.len().cast(pl.Int64).alias("researchers"))
    )
    # every partner gets both directions (zeros included) so the table is complete for disclose
    grid = (
        counts.select("partner_country")
        .unique()
        .join(pl.LazyFrame({"direction": ["inflow", "outflow"]}), how="cross")
    )
    return (
        grid.join(counts, on=["partner_country", "direction"], how="left")
        .with_columns(pl.col("researchers").fill_null(0))
        .sort("partner_country", "direction")
        .collect()
    )


def global_indicators(
    b: Bibliometrics,
    *,
    fields: Iterable[str] | None = None,
    country: str = "KR",
    min_joint: int = 25,
) -> dict[str, pl.DataFrame]:
    """Every global indicator at once (what the benchmark times and a batch run collects):
    country output by field and by technology (overall and per year), Korea vs the leader,
    Activity Index by technology, collaboration, per-field networks, key institutions and
    researchers, trends, emerging topics, mobility and Korea's talent flow (not yet disclosed)."""
    fields = (
        list(fields)
        if fields is not None
        else sorted(b.works["field_code"].drop_nulls().unique().to_list())
    )
    out: dict[str, pl.DataFrame] = {}
    out["country_output_field"] = country_output(b, unit="field_code")
    out["country_output_tech"] = country_output(b, unit="tech_code")
    out["country_output_field_year"] = country_output(b, unit="field_code", by_year=True)
    out["korea_vs_leader_field"] = korea_vs_leader(out["country_output_field"], country=country)
    out["korea_vs_leader_field_year"] = korea_vs_leader(
        out["country_output_field_year"], country=country
    )
    out["activity_index_tech"] = activity_index(b, unit="tech_code")
    out["activity_index_field"] = activity_index(b, unit="field_code")
    out["collaboration_field"] = collaboration(b, unit="field_code", by_year=True)
    out["trend_field"] = trend_series(b, unit="field_code", country=country)
    out["trend_tech"] = trend_series(b, unit="tech_code", country=country)
    nets, insts, people, topics = [], [], [], []
    for f in fields:
        nets.append(
            collaboration_network(
                b, value=f, countries=[country], min_joint=min_joint
            ).with_columns(pl.lit(f).alias("field_code"))
        )
        insts.append(key_institutions(b, value=f).with_columns(pl.lit(f).alias("field_code")))
        people.append(key_researchers(b, value=f).with_columns(pl.lit(f).alias("field_code")))
        topics.append(
            topic_trends(b, field_code=f, country=country).with_columns(
                pl.lit(f).alias("field_code")
            )
        )
    out["collaboration_network"] = pl.concat(nets)
    out["key_institutions"] = pl.concat(insts)
    out["key_researchers"] = pl.concat(people)
    out["emerging_topics"] = pl.concat(topics)
    out["author_moves"] = author_mobility(b)
    out["talent_flow"] = talent_flow(out["author_moves"], country=country)
    return out


# =============================================================================================
# Published tables and key numbers (what notebooks/01_workforce_map shows and records)
# =============================================================================================


def disclosed_headcount(
    panel: pl.DataFrame | pl.LazyFrame,
    dim: str,
    *,
    rules: privacy.DisclosureRules = privacy.DisclosureRules(),  # noqa: B008 - frozen
    years: Sequence[int] | None = None,
) -> privacy.DisclosedTable:
    """Researchers per year × ``dim`` (degree, role, age_band, ...) through disclosure control
    (threshold and complementary suppression, margins published)."""
    lf = panel.lazy()
    if years is not None:
        lf = lf.filter(pl.col("year").is_between(int(years[0]), int(years[-1])))
    t = headcount(lf.with_columns(pl.col(dim).fill_null("unknown")), ["year", dim])
    # margins off: a column total over years would count person-years, not people
    return privacy.disclose(
        t, count="researchers", rows="year", cols=dim, rules=rules, margins=False
    )


def select_countries(
    output: pl.DataFrame,
    *,
    n: int = 15,
    include: Iterable[str] = (),
    rank: str = "rank_top10",
) -> pl.DataFrame:
    """The top ``n`` countries by ``rank`` plus those in ``include`` (e.g. KR and the comparison
    countries), with a Korean country_ko label, for charts."""
    keep = pl.col(rank) <= n
    inc = list(include)
    if inc:
        keep = keep | pl.col("country_code").is_in(inc)
    return (
        output.filter(keep.fill_null(False))
        .with_columns(pl.col("country_code").replace(COUNTRY_KO).alias("country_ko"))
        .sort(rank)
    )


def share_over_time(
    output_by_year: pl.DataFrame,
    *,
    countries: Iterable[str],
    unit: str = "field_code",
    value: str = "top10_share",
    leader_label: str = "연도별 1위",
) -> pl.DataFrame:
    """Long series (unit, publication_year, country_code, country_ko, value) for ``countries``
    (0 in years without a paper) plus a series ``LEADER`` holding each year's leader's value
    (labelled ``leader_label``; leader_code says who led)."""
    cs = list(dict.fromkeys(countries))
    grid = (
        output_by_year.select(unit, "publication_year")
        .unique()
        .join(pl.DataFrame({"country_code": cs}), how="cross")
    )
    own = grid.join(
        output_by_year.select(unit, "publication_year", "country_code", value),
        on=[unit, "publication_year", "country_code"],
        how="left",
    ).with_columns(pl.col(value).fill_null(0.0), pl.col("country_code").alias("leader_code"))
    rank = "rank_top10" if value == "top10_share" else "rank_papers"
    lead = output_by_year.filter(pl.col(rank) == 1).select(
        unit,
        "publication_year",
        pl.lit("LEADER").alias("country_code"),
        value,
        pl.col("country_code").alias("leader_code"),
    )
    return (
        pl.concat([own, lead], how="vertical_relaxed")
        .with_columns(
            pl.col("country_code")
            .replace({**COUNTRY_KO, "LEADER": leader_label})
            .alias("country_ko")
        )
        .sort(unit, "country_code", "publication_year")
    )


def global_key_numbers(b: Bibliometrics, *, field_code: str, country: str = "KR") -> dict[str, Any]:
    """Korea's headline numbers for one field: rank and shares of the top-10 % papers, gap to
    the leader, PP(top10%), international co-authorship, Activity Index per technology."""
    out = country_output(b, unit="field_code").filter(pl.col("field_code") == field_code)
    vs = korea_vs_leader(out, country=country)
    own = out.filter(pl.col("country_code") == country)
    col = collaboration(b, unit="field_code").filter(pl.col("field_code") == field_code)
    ai = activity_index(b, unit="tech_code").filter(
        (pl.col("field_code") == field_code) & (pl.col("country_code") == country)
    )
    techs = taxonomy.technologies().filter(pl.col("field_code") == field_code)["code"].to_list()
    ai_map = {r["tech_code"]: r for r in ai.iter_rows(named=True)}

    def val(df: pl.DataFrame, c: str) -> Any:
        return df[c][0] if df.height and df[c][0] is not None else None

    def rnd(x: Any, k: int = 4) -> Any:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, k)

    return {
        "field_code": field_code,
        "country": country,
        "papers": int(b.works.filter(pl.col("field_code") == field_code).height),
        "rank_top10": val(own, "rank_top10"),
        "top10_share": rnd(val(own, "top10_share") or 0.0),
        "pub_share": rnd(val(own, "pub_share") or 0.0),
        "rank_papers": val(own, "rank_papers"),
        "pp_top10": rnd(val(own, "pp_top10")),
        "mncs": rnd(val(own, "mncs")),
        "leader": val(vs, "leader"),
        "leader_top10_share": rnd(val(vs, "leader_share")),
        "gap_pp": rnd(val(vs, "gap_pp"), 2),
        "intl_rate": rnd(val(col.filter(pl.col("country_code") == country), "intl_rate")),
        "intl_rate_world": rnd(val(col.filter(pl.col("country_code") == WORLD), "intl_rate")),
        "activity_index": {
            t: {
                "activity_index": rnd(ai_map[t]["activity_index"]) if t in ai_map else 0.0,
                "relative_impact": rnd(ai_map[t]["relative_impact"]) if t in ai_map else None,
                "papers_frac": rnd(ai_map[t]["papers_frac"], 2) if t in ai_map else 0.0,
            }
            for t in techs
        },
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
