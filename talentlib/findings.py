"""Findings in words: Korean sentences written from a field's published key numbers, compared with
the other fields, for the top of a brief and for the national overview.

A sentence says only what a published table (or, for paper counts, a published chart) shows: the
key numbers are read from published cells by the notebooks (``key_numbers.json``), a number
recorded as None was suppressed and reads 비공개 — never zero — and codes are turned into names
through ``talentlib.labels`` (no identifiers: a code without a name is left out). Each ``Finding``
names the table its number comes from so the brief can link to it.

``overview_stats`` condenses the key numbers of every field (means, medians, ranks);
``field_findings`` compares one field with it, ``overview_findings`` writes the national overview.

Why one module: the sentences, the statistics they compare with and the Korean phrasing (particles,
number formats) are written for one another from the same ``KEYS``, and a split would only pass
their small private helpers across modules.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from talentlib import labels, taxonomy

__all__ = [
    "KEYS",
    "SECTIONS",
    "SOURCES",
    "Finding",
    "field_findings",
    "josa",
    "overview_findings",
    "overview_stats",
]

SECTIONS = ("workforce", "jobs", "careers")
NOTEBOOK = {"workforce": "01_workforce_map", "jobs": "02_job_analysis", "careers": "03_career_flow"}
WF, JOBS, CAREERS = NOTEBOOK["workforce"], NOTEBOOK["jobs"], NOTEBOOK["careers"]

# Key numbers compared across fields: name -> (notebook, path inside it, the published table or
# chart it is read from). Paper counts are public statistics published as charts (they count no
# people); everything else is a disclosed table.
KEYS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "top10_share": (WF, ("top10_share",), "country_top10_share"),
    "rank_top10": (WF, ("rank_top10",), "country_top10_share"),
    "gap_pp": (WF, ("gap_pp",), "country_top10_share"),
    "researchers_last_year": (WF, ("domestic", "researchers_last_year"), "headcount_by_year"),
    "headcount_growth": (WF, ("domestic", "headcount_growth"), "headcount_by_year"),
    "postings": (JOBS, ("postings",), "postings_by_job_family"),
    "master_or_phd_share": (JOBS, ("master_or_phd_share",), "postings_by_education"),
    "entry_level_share": (JOBS, ("entry_level_share",), "postings_by_experience"),
    "employed_12m_share": (CAREERS, ("employed_12m_share",), "status_12m_by_exit_role"),
    "employed_36m_share": (CAREERS, ("employed_36m_share",), "status_36m_by_exit_role"),
    "large_firm_share_12m": (CAREERS, ("large_firm_share_12m",), "destination_employer_type_12m"),
    "own_industry_share_12m": (CAREERS, ("own_industry_share_12m",), "retention_12m"),
    "median_wage_12m_phd": (CAREERS, ("median_wage_12m_by_degree", "PHD"), "wage_12m_by_degree"),
    "median_wage_12m_master": (
        CAREERS,
        ("median_wage_12m_by_degree", "MASTER"),
        "wage_12m_by_degree",
    ),
    "median_wage_12m_bachelor": (
        CAREERS,
        ("median_wage_12m_by_degree", "BACHELOR"),
        "wage_12m_by_degree",
    ),
    "time_to_first_job_median_months": (
        CAREERS,
        ("time_to_first_job_median_months",),
        "time_to_first_job_students",
    ),
    "first_job_within_12m_share": (
        CAREERS,
        ("first_job_within_12m_share",),
        "time_to_first_job_students",
    ),
}
# where a smaller number is the better one (a rank): rank 1 = the smallest value
LOWER_IS_FIRST = {"rank_top10", "gap_pp", "time_to_first_job_median_months"}

# every table (or chart) a finding may name, with the notebook that publishes it
SOURCES: dict[str, str] = {
    "country_top10_share": WF,  # chart of public paper counts
    "tech_strength_gap": WF,  # chart of public paper counts
    "headcount_by_year": WF,
    "postings_by_job_family": JOBS,
    "postings_by_education": JOBS,
    "postings_by_experience": JOBS,
    "specific_competencies": JOBS,
    "common_competencies": JOBS,
    "status_12m_by_exit_role": CAREERS,
    "status_36m_by_exit_role": CAREERS,
    "destination_employer_type_12m": CAREERS,
    "retention_12m": CAREERS,
    "wage_12m_by_degree": CAREERS,
    "time_to_first_job_students": CAREERS,
}
SUMMARY_TABLE = "fields_summary"  # the summary page's table (run coverage)

MIN_FIELDS = 3  # compare with other fields only when at least this many published the number
SAME_SHARE = 0.01  # shares within 1 %p of the average read "비슷합니다"
DEGREES = ("PHD", "MASTER", "BACHELOR", "ASSOC", "HS")
STATS_KIND = "talentlib.findings/overview_stats"


@dataclass(frozen=True)
class Finding:
    """One sentence of a brief: its section, the Korean text, the published table (or chart) it
    comes from, and the numbers it used (None = suppressed)."""

    section: str
    text: str
    table: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Korean: particles after a name, numbers
# ---------------------------------------------------------------------------------------------

# a Latin letter read by its Korean name: the final consonant of that name (0: none, 8: ㄹ)
_LATIN = {"l": 8, "m": 16, "n": 4, "r": 8}
# a digit read in Sino-Korean (영 일 이 삼 사 오 육 칠 팔 구)
_DIGIT = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# 십 백 천 만 (a number ending in zeros is read by its last power of ten)
_TENS = {1: 17, 2: 1, 3: 4}
_PAIRS = {
    "은": ("은", "는"),
    "는": ("은", "는"),
    "이": ("이", "가"),
    "가": ("이", "가"),
    "을": ("을", "를"),
    "를": ("을", "를"),
    "과": ("과", "와"),
    "와": ("과", "와"),
    "으로": ("으로", "로"),
    "로": ("으로", "로"),
    "이며": ("이며", "며"),
    "며": ("이며", "며"),
    "이고": ("이고", "고"),
    "고": ("이고", "고"),
    "이나": ("이나", "나"),
    "나": ("이나", "나"),
}
_TRAILING = re.compile(r"(\s+|[’'\"”」』》〉\])]|\([^()]*\))$")


def final_consonant(word: str) -> int | None:
    """The final consonant (jongseong index, 0 = none, 8 = ㄹ) of how ``word`` ends when read
    aloud; a parenthesis at the end is skipped (the particle follows the word before it).
    None when it cannot be told (an empty word, a symbol)."""
    w = word
    while True:
        shorter = _TRAILING.sub("", w)
        if shorter == w:
            break
        w = shorter
    if not w:
        return None
    ch = w[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28
    if ch.isdigit():
        digits = re.search(r"(\.?)(\d+)$", w)
        run = digits.group(2) if digits else ch
        decimal = bool(digits and digits.group(1))  # 0.50 is read digit by digit: 영 점 오 영
        zeros = len(run) - len(run.rstrip("0"))
        if zeros and run.strip("0") and not decimal:
            return _TENS.get(zeros, 4)  # 만 and above end in ㄴ, as 만 does
        return _DIGIT[ch]
    if ch.isascii() and ch.isalpha():
        return _LATIN.get(ch.lower(), 0)
    if ch == "%":
        return 0  # 퍼센트
    return None


def josa(word: str, particle: str) -> str:
    """``word`` with the form of ``particle`` its last sound asks for: 이차전지는, AI는, 수소는,
    반도체·디스플레이는, 셀 설계를, 중국과, 81.2%로 ('은/는', '이/가', '을/를', '과/와',
    '으로/로', '이며/며', '이고/고', '이나/나'; either form may be given)."""
    if particle not in _PAIRS:
        raise ValueError(f"unknown particle {particle!r}; known: {', '.join(sorted(_PAIRS))}")
    after_consonant, after_vowel = _PAIRS[particle]
    jong = final_consonant(word)
    if jong is None:  # say both, as forms do: 은(는), (으)로
        if after_consonant.endswith(after_vowel):
            return f"{word}({after_consonant[: -len(after_vowel)]}){after_vowel}"
        return f"{word}{after_consonant}({after_vowel})"
    if after_consonant == "으로":
        return word + ("로" if jong in (0, 8) else "으로")
    return word + (after_consonant if jong else after_vowel)


def pct(x: float) -> str:
    """A share as a Korean percentage: 0.3812 -> 38.1%, 0.38 -> 38%."""
    s = f"{x * 100:.1f}"
    return (s[:-2] if s.endswith(".0") else s) + "%"


def pp(x: float) -> str:
    """Percentage points (the value is already in points)."""
    s = f"{x:.1f}"
    return (s[:-2] if s.endswith(".0") else s) + "%p"


def man_won(x: float) -> str:
    """Won as 만원: 4,825,890 -> 483만원."""
    return f"{round(x / 10_000):,}만원"


def months(x: float) -> str:
    return f"{x:.0f}개월"


def people(n: int) -> str:
    return f"{n:,}명"


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"‘{n}’" for n in names)


HIDDEN = f"{labels.SUPPRESSED_KO}(공개 기준 미달)"
# '…이어서' after a consonant, '…여서' after a vowel: 비공개(공개 기준 미달)여서
HIDDEN_SO = HIDDEN + ("이어서" if final_consonant(HIDDEN) else "여서")


# ---------------------------------------------------------------------------------------------
# Reading key numbers
# ---------------------------------------------------------------------------------------------

_MISSING = object()


def _lookup(numbers: Mapping[str, Any], notebook: str, path: tuple[str, ...]) -> Any:
    """The value at ``path`` of a notebook's key numbers; _MISSING when never recorded (the
    notebook did not run, or recorded no such number), None when recorded as suppressed."""
    node: Any = numbers.get(notebook, _MISSING)
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    if isinstance(node, float) and math.isnan(node):
        return None
    return node


def key_value(numbers: Mapping[str, Any], key: str) -> Any:
    """One of ``KEYS`` from a field's key numbers (None: suppressed; KeyError: not recorded)."""
    nb, path, _ = KEYS[key]
    v = _lookup(numbers, nb, path)
    if v is _MISSING:
        raise KeyError(key)
    return v


def _field_ko(code: str) -> str:
    try:
        return taxonomy.label("strategic_tech", code, level="field")
    except Exception:  # not in the taxonomy: the label lookup's own fallback
        return code


def _ordered_fields(codes: Iterable[str]) -> list[str]:
    order = {c: i for i, c in enumerate(taxonomy.fields()["code"].to_list())}
    return sorted(codes, key=lambda c: (order.get(c, len(order)), c))


# ---------------------------------------------------------------------------------------------
# Statistics across fields
# ---------------------------------------------------------------------------------------------


def _ranks(values: Mapping[str, float], lower_first: bool) -> dict[str, int]:
    """Competition ranks (1, 2, 2, 4): rank 1 = the largest value (the smallest if
    ``lower_first``); ties share a rank, so the order of the fields does not matter."""
    out = {}
    for f, v in values.items():
        better = sum(1 for w in values.values() if (w < v if lower_first else w > v))
        out[f] = better + 1
    return out


def overview_stats(all_numbers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Per key number of ``KEYS`` across fields (``all_numbers``: field code -> key numbers):
    the published values, how many fields published it (n) and how many recorded it suppressed,
    mean, median and each field's rank (1 = highest; lowest first for ranks, gaps and waiting
    times). JSON-ready; ``field_findings`` takes it (or the raw ``all_numbers``) as overview."""
    fields = _ordered_fields(all_numbers)
    keys: dict[str, Any] = {}
    for key, (_, _, table) in KEYS.items():
        vals: dict[str, float] = {}
        suppressed: list[str] = []
        for f in fields:
            try:
                v = key_value(all_numbers[f], key)
            except KeyError:
                continue
            if v is None:
                suppressed.append(f)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                vals[f] = float(v)
        keys[key] = {
            "table": table,
            "values": vals,
            "suppressed": suppressed,
            "n": len(vals),
            "mean": statistics.fmean(vals.values()) if vals else None,
            "median": statistics.median(vals.values()) if vals else None,
            "rank": _ranks(vals, key in LOWER_IS_FIRST),
            "lower_first": key in LOWER_IS_FIRST,
        }
    common: dict[str, int] = {}
    for f in fields:
        codes = _lookup(all_numbers[f], JOBS, ("common_competencies",))
        for c in codes if isinstance(codes, list) else []:
            common[c] = common.get(c, 0) + 1
    return {
        "kind": STATS_KIND,
        "fields": fields,
        "n_fields": len(fields),
        "keys": keys,
        "common_competencies": dict(sorted(common.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _as_stats(overview: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if overview is None:
        return None
    if overview.get("kind") == STATS_KIND:
        return overview
    return overview_stats(overview)


def _rank_phrase(rank: int, n: int, *, high: str = "높", low: str = "낮") -> str:
    """'가장 높', '3번째로 높', '2번째로 낮' (a stem: add 습니다 or 고) for rank ``rank`` of ``n``
    (rank 1 = the highest value; for the ``LOWER_IS_FIRST`` keys pass the words the other way)."""
    if rank == 1:
        return f"가장 {high}"
    from_bottom = n - rank + 1
    if from_bottom == 1:
        return f"가장 {low}"
    if rank <= from_bottom:
        return f"{rank}번째로 {high}"
    return f"{from_bottom}번째로 {low}"


def _versus_mean(v: float, mean: float, n: int, fmt: Any) -> str:
    """'12개 분야 평균(24%)보다 높습니다' / '…과 비슷합니다' for a share."""
    if abs(v - mean) < SAME_SHARE:
        return f"{josa(f'{n}개 분야 평균({fmt(mean)})', '과')} 비슷합니다"
    return f"{n}개 분야 평균({fmt(mean)})보다 {'높' if v > mean else '낮'}습니다"


def _comparable(stats: Mapping[str, Any] | None, key: str, field_code: str) -> dict | None:
    """The key's statistics when there are enough fields to compare and this field is one."""
    if stats is None:
        return None
    k = stats["keys"].get(key)
    if not k or k["n"] < MIN_FIELDS or field_code not in k["values"]:
        return None
    return k


# ---------------------------------------------------------------------------------------------
# One field
# ---------------------------------------------------------------------------------------------


def _get(numbers: Mapping[str, Any], notebook: str, *path: str) -> Any:
    return _lookup(numbers, notebook, tuple(path))


def _workforce(numbers: Mapping[str, Any], code: str, name: str, stats: Any) -> list[Finding]:
    out: list[Finding] = []
    if WF not in numbers:
        return out
    country = labels.values("country_code")
    share, rank = _get(numbers, WF, "top10_share"), _get(numbers, WF, "rank_top10")
    leader, gap = _get(numbers, WF, "leader"), _get(numbers, WF, "gap_pp")
    chart = "country_top10_share"
    if isinstance(share, int | float) and share is not _MISSING:
        used = {"top10_share": share, "rank_top10": rank}
        head = f"한국은 {name} 분야 세계 상위 10% 논문의 {pct(share)}를 차지해"
        if rank is None or rank is _MISSING:
            text = f"{head} 순위권 밖입니다." if share == 0 else None
        elif rank == 1:
            text = f"{head} 1위입니다."
        elif leader in country and isinstance(gap, int | float) and leader != "KR":
            used |= {"leader": leader, "gap_pp": gap}
            lead = josa(f"1위 {country[leader]}", "과")
            text = f"{head} {rank}위이며, {lead}의 격차는 {pp(gap)}입니다."
        else:
            text = f"{head} {rank}위입니다."
        if text:
            out.append(Finding("workforce", text, chart, used))
        k = _comparable(stats, "top10_share", code)
        if k:
            text = (
                f"한국의 이 점유율은 분석한 {k['n']}개 분야 중 "
                f"{_rank_phrase(k['rank'][code], k['n'])}습니다"
                f"({k['n']}개 분야 평균 {pct(k['mean'])})."
            )
            used = {"top10_share": share, "mean": k["mean"], "rank": k["rank"][code], "n": k["n"]}
            out.append(Finding("workforce", text, chart, used))
    ai = _get(numbers, WF, "activity_index")
    if isinstance(ai, Mapping):
        techs = taxonomy.labels("strategic_tech", level="technology")
        seen = {
            t: v["activity_index"]
            for t, v in ai.items()
            if t in techs and isinstance(v, Mapping)
            and isinstance(v.get("activity_index"), int | float) and (v.get("papers_frac") or 0) > 0
        }  # fmt: skip
        if len(seen) >= 2:
            hi = min(seen, key=lambda t: (-seen[t], t))
            lo = min(seen, key=lambda t: (seen[t], t))
            text = (
                f"기술별로는 ‘{techs[hi]}’의 활동지수가 {josa(f'{seen[hi]:.2f}', '로')} 가장 "
                f"높아 한국이 상대적으로 집중하고 있고, {josa(f'‘{techs[lo]}’', '은')} "
                f"{josa(f'{seen[lo]:.2f}', '로')} 가장 낮습니다(1 = 세계 평균)."
            )
            out.append(
                Finding("workforce", text, "tech_strength_gap",
                        {"activity_index_max": seen[hi], "activity_index_min": seen[lo]})
            )  # fmt: skip
    n_res = _get(numbers, WF, "domestic", "researchers_last_year")
    years = _get(numbers, WF, "years")
    year = f"{years[-1]}년 " if isinstance(years, list) and years else "최근 연도 "
    if n_res is None:
        out.append(
            Finding("workforce", f"{year}국내 {name} 과제 참여 연구자 수는 {HIDDEN}입니다.",
                    "headcount_by_year", {"researchers_last_year": None})
        )  # fmt: skip
    elif n_res is not _MISSING:
        growth = _get(numbers, WF, "domestic", "headcount_growth")
        used: dict[str, Any] = {"researchers_last_year": n_res}
        text = f"{year}국내 {name} 과제 참여 연구자는 {people(int(n_res))}"
        if isinstance(growth, int | float) and isinstance(years, list) and len(years) == 2:
            used["headcount_growth"] = growth
            trend = "늘었습니다" if growth >= 0 else "줄었습니다"
            text += (
                f"으로, {years[0]}–{years[-1]}년 연평균 {pct(abs(growth))}씩 {trend}"
                "(로그선형 추세)."
            )
        else:
            text += "입니다."
        out.append(Finding("workforce", text, "headcount_by_year", used))
        k = _comparable(stats, "researchers_last_year", code)
        if k:
            text = (
                f"국내 과제 참여 연구자 수는 {k['n']}개 분야 중 "
                f"{_rank_phrase(k['rank'][code], k['n'], high='많', low='적')}습니다"
                f"({k['n']}개 분야 중앙값 {people(round(k['median']))})."
            )
            out.append(
                Finding("workforce", text, "headcount_by_year",
                        {"researchers_last_year": n_res, "rank": k["rank"][code],
                         "median": k["median"], "n": k["n"]})
            )  # fmt: skip
    return out


def _names(codes: Any, names: Mapping[str, str]) -> list[str]:
    """Names of the codes that have one (a code without a name is never printed; nor are the
    marks for a total or an unknown value)."""
    if not isinstance(codes, list):
        return []
    return [names[c] for c in codes if c in names and c not in (labels.TOTAL, labels.UNKNOWN)]


def _share_sentence(
    section: str,
    key: str,
    numbers: Mapping[str, Any],
    code: str,
    stats: Any,
    *,
    stem: str,
    plain: str,
    join: str,
    hidden: str,
) -> Finding | None:
    """A share in a sentence: ``stem`` (with ``{v}``, the formatted share) + ``plain``, or, when
    other fields compare, ``stem`` + ``join`` + '12개 분야 평균(…)보다 높습니다'; a suppressed
    share reads ``hidden`` + 비공개; a share never recorded gives no sentence."""
    nb, path, table = KEYS[key]
    v = _lookup(numbers, nb, path)
    if v is _MISSING:
        return None
    if v is None:
        return Finding(section, f"{hidden} {HIDDEN}입니다.", table, {key: None})
    head = stem.format(v=pct(v))
    k = _comparable(stats, key, code)
    if k is None:
        return Finding(section, f"{head}{plain}", table, {key: v})
    text = f"{head}{join} {_versus_mean(v, k['mean'], k['n'], pct)}."
    return Finding(section, text, table, {key: v, "mean": k["mean"], "rank": k["rank"][code],
                                          "n": k["n"]})  # fmt: skip


def _jobs(numbers: Mapping[str, Any], code: str, name: str, stats: Any) -> list[Finding]:
    out: list[Finding] = []
    if JOBS not in numbers:
        return out
    n = _get(numbers, JOBS, "postings")
    top = _get(numbers, JOBS, "top_job_family")
    families = labels.values("job_family")
    if n is None:
        out.append(
            Finding("jobs", f"{name} 분야 채용공고 수는 {HIDDEN}입니다.",
                    "postings_by_job_family", {"postings": None})
        )  # fmt: skip
    elif n is not _MISSING:
        text = f"{name} 분야 채용공고 {int(n):,}건"
        top_ko = _names([top], families)
        if top_ko:
            text += f" 가운데 가장 많은 직무는 ‘{top_ko[0]}’입니다."
        else:
            text += f"을 분석했으며, 직무별 공고 수는 {HIDDEN_SO} 가장 많은 직무는 밝히지 않습니다."
        out.append(Finding("jobs", text, "postings_by_job_family",
                           {"postings": n, "top_job_family": top_ko[0] if top_ko else None}))  # fmt: skip
    for f in (
        _share_sentence(
            "jobs", "master_or_phd_share", numbers, code, stats,
            stem=f"{name} 공고의 {{v}}가 석사 이상을 요구", plain="합니다.", join="해",
            hidden="석사 이상을 요구하는 공고의 비율은",
        ),
        _share_sentence(
            "jobs", "entry_level_share", numbers, code, stats,
            stem="신입을 뽑는 공고는 전체의 {v}", plain="입니다.", join="로",
            hidden="신입을 뽑는 공고의 비율은",
        ),
    ):  # fmt: skip
        if f:
            out.append(f)
    comp_ko = labels.values("code")
    spec = _get(numbers, JOBS, "specific_competencies")
    if isinstance(spec, list):
        top3 = _names(spec, comp_ko)[:3]
        if top3:
            text = (
                f"{name} 분야에서 특히 많이 요구되는 특화 역량은 {_quoted(top3)}입니다"
                f"(다른 분야 대비 로그 오즈 z 상위 {len(top3)}개)."
            )
        else:
            text = f"이번 공고에서는 분야 특화 역량의 기준을 넘는 {name} 역량이 없습니다."
        out.append(Finding("jobs", text, "specific_competencies", {"specific_competencies": top3}))
    common = _get(numbers, JOBS, "common_competencies")
    if isinstance(common, list):
        names = _names(common, comp_ko)
        if names:
            more = f" 등 {len(names)}개" if len(names) > 4 else ""
            text = (
                "대부분의 전략기술 분야에 고르게 요구되는 공통 역량은 "
                f"{_quoted(names[:4])}{more}입니다."
            )
        else:
            text = "이번 공고에서는 공통 역량의 기준(대부분의 분야에 고르게 요구)을 넘는 역량이 없습니다."
        out.append(Finding("jobs", text, "common_competencies", {"common_competencies": names}))
    return out


def _careers(numbers: Mapping[str, Any], code: str, name: str, stats: Any) -> list[Finding]:
    out: list[Finding] = []
    if CAREERS not in numbers:
        return out
    e12 = _get(numbers, CAREERS, "employed_12m_share")
    table = KEYS["employed_12m_share"][2]
    if e12 is None:
        out.append(
            Finding("careers", f"과제 종료 12개월 후 취업 비율은 {HIDDEN}입니다.", table,
                    {"employed_12m_share": None})
        )  # fmt: skip
    elif e12 is not _MISSING:
        k = _comparable(stats, "employed_12m_share", code)
        head = f"과제 종료 12개월 후 고용보험 가입 취업 비율은 {pct(e12)}"
        if k:
            text = (
                f"{josa(head, '로')} {k['n']}개 분야 중 {_rank_phrase(k['rank'][code], k['n'])}습니다"
                "(미관측 제외)."
            )
            used = {"employed_12m_share": e12, "rank": k["rank"][code], "n": k["n"]}
        else:
            text, used = f"{head}입니다(미관측 제외).", {"employed_12m_share": e12}
        out.append(Finding("careers", text, table, used))
    e36 = _get(numbers, CAREERS, "employed_36m_share")
    if e36 is not _MISSING:
        text = (
            f"종료 36개월 후 취업 비율은 {HIDDEN}입니다."
            if e36 is None
            else f"종료 36개월 후 취업 비율은 {pct(e36)}입니다(미관측 제외)."
        )
        out.append(
            Finding("careers", text, KEYS["employed_36m_share"][2], {"employed_36m_share": e36})
        )
    for f in (
        _share_sentence(
            "careers", "large_firm_share_12m", numbers, code, stats,
            stem="종료 12개월 후 취업자 중 대기업에 간 비율은 {v}", plain="입니다.", join="로",
            hidden="종료 12개월 후 취업자 중 대기업 비율은",
        ),
        _share_sentence(
            "careers", "own_industry_share_12m", numbers, code, stats,
            stem=f"취업자 중 {name} 고유 산업에서 일하는 비율은 {{v}}", plain="입니다.",
            join="로", hidden=f"취업자 중 {name} 고유 산업 종사 비율은",
        ),
    ):  # fmt: skip
        if f:
            out.append(f)
    wages = _get(numbers, CAREERS, "median_wage_12m_by_degree")
    if isinstance(wages, Mapping):
        degree_ko = labels.values("degree")
        shown = {
            d: wages[d]
            for d in [*DEGREES, *sorted(set(wages) - set(DEGREES))]
            if d in wages and d in degree_ko and isinstance(wages[d], int | float)
        }
        if shown:
            parts = ", ".join(f"{degree_ko[d]} {man_won(w)}" for d, w in shown.items())
            text = f"종료 12개월 후 주된 일자리의 월 임금 중위값은 {parts}입니다."
        else:
            text = f"종료 12개월 후 월 임금 중위값은 학위별로 모두 {HIDDEN}입니다."
        out.append(Finding("careers", text, "wage_12m_by_degree",
                           {f"median_wage_12m_{d.lower()}": w for d, w in shown.items()}))  # fmt: skip
    med = _get(numbers, CAREERS, "time_to_first_job_median_months")
    within = _get(numbers, CAREERS, "first_job_within_12m_share")
    if med is not _MISSING or within is not _MISSING:
        km = "(Kaplan–Meier, 중도절단 반영)"
        share = pct(within) if isinstance(within, int | float) else HIDDEN
        if isinstance(med, int | float):
            text = (
                f"학생연구원이 첫 일자리를 얻기까지 걸린 기간은 중위 {months(med)}이고, "
                f"12개월 안에 첫 일자리를 얻은 비율은 {share}입니다{km}."
            )
        elif isinstance(within, int | float):
            # None: no published step reached one half (suppressed, or not within follow-up)
            text = (
                f"학생연구원 중 12개월 안에 첫 일자리를 얻은 비율은 {share}이며, 첫 일자리까지의 "
                f"중위 기간은 공개된 값으로는 구할 수 없습니다({labels.SUPPRESSED_KO} 구간이거나 "
                "관찰 기간 안에 절반에 이르지 않음)."
            )
        else:
            text = f"학생연구원이 첫 일자리를 얻기까지 걸린 기간은 {HIDDEN}입니다."
        out.append(
            Finding("careers", text, "time_to_first_job_students",
                    {"time_to_first_job_median_months": None if med is _MISSING else med,
                     "first_job_within_12m_share": None if within is _MISSING else within})
        )  # fmt: skip
    return out


MAX_PER_SECTION = 6


def field_findings(
    numbers: Mapping[str, Any], field_code: str, overview: Mapping[str, Any] | None = None
) -> list[Finding]:
    """Findings for one field's brief from its ``key_numbers.json`` (namespaced by notebook):
    up to six sentences per section (workforce, jobs, careers) in that order, compared with the
    other fields when ``overview`` is given (``overview_stats``, or field code -> key numbers of
    all fields). A section whose notebook did not run has none."""
    name = _field_ko(field_code)
    stats = _as_stats(overview)
    out: list[Finding] = []
    for make in (_workforce, _jobs, _careers):
        out += make(numbers, field_code, name, stats)[:MAX_PER_SECTION]
    return out


# ---------------------------------------------------------------------------------------------
# All fields: the national overview
# ---------------------------------------------------------------------------------------------


def _ends(k: Mapping[str, Any], best: bool = True) -> list[tuple[str, float]]:
    """Fields at the top (``best``: rank 1) or the bottom of a key's ranking, ties together, in
    taxonomy order."""
    ranks = k["rank"]
    want = 1 if best else max(ranks.values())
    return [(f, k["values"][f]) for f in _ordered_fields(f for f, r in ranks.items() if r == want)]


def _and(names: list[str]) -> str:
    """'이차전지와 수소', '이차전지, 양자와 수소'."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-2] + [josa(names[-2], '과')])} {names[-1]}"


def _who(items: list[tuple[str, float]], fmt: Any) -> str:
    """'이차전지(90%)', or tied fields together: '이차전지와 양자(90%)'."""
    return f"{_and([_field_ko(f) for f, _ in items])}({fmt(items[0][1])})"


def _spread(k: Mapping[str, Any]) -> bool:
    """At least two fields published the number and they differ (a top and a bottom exist)."""
    return k["n"] >= 2 and max(k["rank"].values()) > 1


def _hidden_note(k: Mapping[str, Any]) -> str:
    """'; 2개 분야는 비공개' when some fields recorded the number suppressed."""
    s = len(k["suppressed"])
    return f"; {s}개 분야는 {labels.SUPPRESSED_KO}" if s else ""


def overview_findings(
    all_numbers: Mapping[str, Mapping[str, Any]], statuses: Mapping[str, Any] | None = None
) -> list[Finding]:
    """The national overview for the summary page (up to eight sentences): which fields did
    best and worst on employment 12 months after their projects, where Korea ranks best and
    worst in the world's top-10 % papers, whose postings most ask for graduate degrees, the
    competencies common to all fields. ``statuses`` (field -> run status) names failed fields;
    only fields whose status is ok (or all, without statuses) are compared."""
    ok = {
        f: n
        for f, n in all_numbers.items()
        if statuses is None or (statuses.get(f) or {}).get("status", "ok") == "ok"
    }
    stats = overview_stats(ok)
    keys = stats["keys"]
    out: list[Finding] = []
    if statuses is not None:
        failed = _ordered_fields(f for f in statuses if (statuses[f] or {}).get("status") != "ok")
        if failed:
            text = (
                f"이번 실행의 {len(statuses)}개 분야 가운데 {len(ok)}개 분야를 비교합니다"
                f"(실패: {', '.join(_field_ko(f) for f in failed)})."
            )
        else:
            text = f"이번 실행은 {len(ok)}개 분야를 모두 비교합니다."
        used = {"fields": len(statuses), "compared": len(ok)}
        out.append(Finding("overview", text, SUMMARY_TABLE, used))

    k = keys["employed_12m_share"]
    if _spread(k):
        hi, lo = _ends(k), _ends(k, best=False)
        text = (
            f"과제 종료 12개월 후 취업 비율은 {josa(_who(hi, pct), '이')} 가장 높고 "
            f"{josa(_who(lo, pct), '이')} 가장 낮습니다"
            f"(공개된 {k['n']}개 분야 평균 {pct(k['mean'])}{_hidden_note(k)})."
        )
        out.append(Finding("overview", text, k["table"], {"max": hi[0][1], "min": lo[0][1],
                                                          "mean": k["mean"], "n": k["n"]}))  # fmt: skip

    k = keys["rank_top10"]
    if _spread(k):
        best, worst = _ends(k), _ends(k, best=False)
        at = lambda items: _who(items, lambda v: f"{int(v)}위")  # noqa: E731

        text = (
            f"세계 상위 10% 논문 점유율 순위에서 한국은 {at(best)}에서 가장 앞서고 "
            f"{at(worst)}에서 가장 뒤처집니다."
        )
        out.append(Finding("overview", text, k["table"], {"best": best[0][1], "worst": worst[0][1],
                                                          "n": k["n"]}))  # fmt: skip

    k = keys["gap_pp"]
    gaps = {f: v for f, v in k["values"].items() if v > 0}
    if len(gaps) >= 2:
        country = labels.values("country_code")
        f = min(gaps, key=lambda x: (-gaps[x], x))
        lead = _lookup(ok[f], WF, ("leader",))
        if isinstance(lead, str) and lead in country:
            text = (
                f"1위 국가와의 상위 10% 논문 점유율 격차는 {_field_ko(f)}에서 가장 커, "
                f"1위 {josa(country[lead], '과')} {pp(gaps[f])} 차이가 납니다."
            )
            out.append(Finding("overview", text, k["table"], {"gap_pp": gaps[f]}))

    k = keys["master_or_phd_share"]
    if _spread(k):
        order = sorted(k["values"], key=lambda f: (k["rank"][f], f))[:3]
        listed = ", ".join(f"{_field_ko(f)}({pct(k['values'][f])})" for f in order)
        text = (
            f"석사 이상을 요구하는 공고의 비율은 {listed} 순으로 높습니다"
            f"(공개된 {k['n']}개 분야 평균 {pct(k['mean'])}{_hidden_note(k)})."
        )
        out.append(Finding("overview", text, k["table"], {f: k["values"][f] for f in order}))
    elif k["n"] <= 1 and k["suppressed"]:
        hidden = len(k["suppressed"])
        shown = [f"{_field_ko(f)}에서 {pct(v)}이고, 나머지 " for f, v in k["values"].items()]
        whom = f"{shown[0]}{hidden}개 분야는" if shown else f"{hidden}개 분야 모두"
        text = f"석사 이상을 요구하는 공고의 비율은 {whom} {HIDDEN_SO} 분야 간에 비교하지 않습니다."
        used = {"suppressed": len(k["suppressed"]), **k["values"]}
        out.append(Finding("overview", text, k["table"], used))

    common = stats["common_competencies"]
    comp_ko = labels.values("code")
    named = [c for c in common if c in comp_ko]
    if named:
        everywhere = [c for c in named if common[c] == len(ok)]
        shown = (everywhere or named)[:5]
        scope = "분석한 모든 분야" if everywhere else "여러 분야"
        text = (
            f"{scope}에 공통으로 요구되는 역량은 {_quoted(comp_ko[c] for c in shown)}"
            f"{f' 등 {len(everywhere or named)}개' if len(everywhere or named) > len(shown) else ''}입니다."
        )
        out.append(Finding("overview", text, "common_competencies",
                           {"common_competencies": [comp_ko[c] for c in shown]}))  # fmt: skip

    for key, label in (("median_wage_12m_master", "석사"), ("median_wage_12m_phd", "박사")):
        k = keys[key]
        if _spread(k):
            hi, lo = _ends(k), _ends(k, best=False)
            text = (
                f"종료 12개월 후 {label} 월 임금 중위값은 {josa(_who(hi, man_won), '이')} 가장 높고 "
                f"{josa(_who(lo, man_won), '이')} 가장 낮습니다."
            )
            out.append(Finding("overview", text, k["table"], {"max": hi[0][1], "min": lo[0][1]}))
            break

    k = keys["researchers_last_year"]
    if _spread(k):
        hi = _ends(k)
        text = (
            f"최근 연도 국내 과제 참여 연구자는 {josa(_who(hi, lambda v: people(int(v))), '이')} "
            f"가장 많습니다({k['n']}개 분야 중앙값 {people(round(k['median']))})."
        )
        out.append(Finding("overview", text, k["table"], {"max": hi[0][1], "median": k["median"]}))

    k = keys["entry_level_share"]
    if _spread(k):
        lo = _ends(k, best=False)
        text = (
            f"신입을 뽑는 공고의 비율은 {josa(_who(lo, pct), '이')} 가장 낮습니다"
            f"(공개된 {k['n']}개 분야 평균 {pct(k['mean'])})."
        )
        out.append(Finding("overview", text, k["table"], {"min": lo[0][1], "mean": k["mean"]}))
    return out[:8]
