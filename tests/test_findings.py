"""Findings in words (talentlib.findings): particles, sentences per section from real key numbers
of a batch run (tests/fixtures/key_numbers: tiny and small synthetic runs of BATT, SEMI, AI),
suppressed numbers never read as zero, comparisons across fields, and only published tables."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from talentlib import findings as fd
from talentlib import labels

FIXTURES = Path(__file__).parent / "fixtures" / "key_numbers"
FIELDS = ("BATT", "SEMI", "AI")


def load(scale: str) -> dict[str, dict]:
    return {
        f: json.loads((FIXTURES / scale / f"{f}.json").read_text(encoding="utf-8")) for f in FIELDS
    }


@pytest.fixture(scope="module", params=["tiny", "small"])
def run(request: pytest.FixtureRequest) -> dict[str, dict]:
    return load(request.param)


def all_findings(numbers: dict[str, dict]) -> list[fd.Finding]:
    out = fd.overview_findings(numbers, {f: {"status": "ok"} for f in numbers})
    for f, n in numbers.items():
        out += fd.field_findings(n, f) + fd.field_findings(n, f, numbers)
    return out


# -- Korean -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "particle", "expected"),
    [
        ("이차전지", "은", "이차전지는"),
        ("반도체·디스플레이", "은", "반도체·디스플레이는"),
        ("AI", "은", "AI는"),
        ("수소", "는", "수소는"),
        ("양자", "이", "양자가"),
        ("차세대 원자력", "은", "차세대 원자력은"),
        ("차세대 통신", "가", "차세대 통신이"),
        ("셀 설계", "을", "셀 설계를"),
        ("데이터 엔지니어", "를", "데이터 엔지니어를"),
        ("중국", "와", "중국과"),
        ("미국", "과", "미국과"),
        ("일본", "과", "일본과"),
        ("프랑스", "과", "프랑스와"),
        ("81.2%", "으로", "81.2%로"),
        ("0.26", "로", "0.26으로"),  # 육
        ("0.50", "로", "0.50으로"),  # 영 점 오 영
        ("2.73", "로", "2.73으로"),  # 삼
        ("1.45", "로", "1.45로"),  # 오
        ("10", "로", "10으로"),  # 십
        ("2000", "이", "2000이"),  # 천
        ("7", "로", "7로"),  # 칠: ㄹ takes 로
        ("서울", "으로", "서울로"),
        ("MLOps", "은", "MLOps는"),
        ("Python", "은", "Python은"),  # n: 엔
        ("Excel", "로", "Excel로"),  # l: 엘
        ("AI(인공지능)", "은", "AI(인공지능)는"),  # the particle follows the word before (…)
        ("평균(24%)", "과", "평균(24%)과"),
        ("‘셀 설계’", "은", "‘셀 설계’는"),
        ("★", "은", "★은(는)"),  # cannot tell: both forms
        ("★", "로", "★(으)로"),
    ],
)
def test_particles_follow_the_last_sound(word: str, particle: str, expected: str) -> None:
    assert fd.josa(word, particle) == expected


def test_field_names_take_the_right_topic_particle() -> None:
    names = {f: fd.josa(fd._field_ko(f), "은") for f in ("BATT", "SEMI", "AI", "H2", "NUCL")}
    assert names == {
        "BATT": "이차전지는",
        "SEMI": "반도체·디스플레이는",
        "AI": "인공지능은",
        "H2": "수소는",
        "NUCL": "차세대 원자력은",
    }


def test_an_unknown_particle_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown particle"):
        fd.josa("수소", "에게")


def test_numbers_are_written_korean_style() -> None:
    assert fd.pct(0.38) == "38%"
    assert fd.pct(0.8123) == "81.2%"
    assert fd.pp(21.33) == "21.3%p"
    assert fd.man_won(4_825_890) == "483만원"
    assert fd.man_won(12_345_678) == "1,235만원"
    assert fd.months(7.0) == "7개월"
    assert fd.people(12345) == "12,345명"


# -- sentences from a run's key numbers ------------------------------------------------------


def test_each_section_has_three_to_six_sentences(run: dict[str, dict]) -> None:
    for f, numbers in run.items():
        for overview in (None, run, fd.overview_stats(run)):
            per = Counter(x.section for x in fd.field_findings(numbers, f, overview))
            assert set(per) == set(fd.SECTIONS), (f, per)
            assert all(3 <= n <= 6 for n in per.values()), (f, per)


def test_a_section_whose_notebook_did_not_run_has_no_sentences() -> None:
    numbers = load("small")["BATT"]
    only_careers = {"03_career_flow": numbers["03_career_flow"]}
    assert {x.section for x in fd.field_findings(only_careers, "BATT")} == {"careers"}
    assert fd.field_findings({}, "BATT") == []


def test_the_overview_has_three_to_eight_sentences(run: dict[str, dict]) -> None:
    out = fd.overview_findings(run, {f: {"status": "ok"} for f in run})
    assert 3 <= len(out) <= 8
    assert all(x.section == "overview" for x in out)


def test_the_battery_brief_says_what_the_small_run_shows() -> None:
    run = load("small")
    text = [x.text for x in fd.field_findings(run["BATT"], "BATT", run)]
    assert (
        "한국은 이차전지 분야 세계 상위 10% 논문의 17.8%를 차지해 2위이며, 1위 중국과의 격차는 18.3%p입니다."
        in text
    )
    assert "이차전지 분야 채용공고 71건 가운데 가장 많은 직무는 ‘셀 설계’입니다." in text
    assert any(s.startswith("이차전지 공고의 40.8%가 석사 이상을 요구") for s in text)
    specific = next(s for s in text if "특화 역량은" in s)
    names = labels.values("code")
    top3 = [names[c] for c in run["BATT"]["02_job_analysis"]["specific_competencies"][:3]]
    assert all(f"‘{n}’" in specific for n in top3)
    common = next(s for s in text if "공통 역량" in s)
    assert all(f"‘{names[c]}’" in common for c in ("C-COMM", "C-ENG", "C-PROB"))
    assert (
        "종료 12개월 후 주된 일자리의 월 임금 중위값은 박사 792만원, 석사 632만원, 학사 593만원입니다."
        in text
    )
    assert (
        "과제 종료 12개월 후 고용보험 가입 취업 비율은 83%로 3개 분야 중 가장 낮습니다(미관측 제외)."
        in text
    )


def test_no_identifier_and_no_raw_code_in_any_sentence(run: dict[str, dict]) -> None:
    code = re.compile(r"\b[A-Z][A-Z0-9]*[-_][A-Z0-9]+\b")
    field_codes = re.compile(r"\b(?:BATT|SEMI|H2|QUANT)\b")  # AI is also a word in names
    for x in all_findings(run):
        assert not re.search(r"\d{7,}", x.text), x.text  # no id-like digit strings
        assert not code.search(x.text), x.text
        assert not field_codes.search(x.text), x.text
        assert not re.search(r"\b(KR|CN|US|JP)\b", x.text), x.text


def test_a_code_without_a_name_is_never_printed() -> None:
    numbers = copy.deepcopy(load("small")["BATT"])
    jobs = numbers["02_job_analysis"]
    jobs["specific_competencies"] = ["ZZ-NOT-A-CODE", *jobs["specific_competencies"]]
    jobs["top_job_family"] = "COMPANY_123456789"
    numbers["01_workforce_map"]["leader"] = "XX"
    text = " ".join(x.text for x in fd.field_findings(numbers, "BATT"))
    assert "ZZ-NOT-A-CODE" not in text and "COMPANY" not in text and "XX" not in text
    assert "123456789" not in text


# -- suppression ------------------------------------------------------------------------------


def test_a_suppressed_number_is_said_as_suppressed_never_as_zero() -> None:
    base = load("small")
    for key in fd.KEYS:
        numbers = copy.deepcopy(base["BATT"])
        nb, path, table = fd.KEYS[key]
        node = numbers[nb]
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = None
        overview = {**base, "BATT": numbers}
        out = fd.field_findings(numbers, "BATT", overview)
        for x in out:
            if key in x.numbers:
                assert x.numbers[key] is None, (key, x)
                assert labels.SUPPRESSED_KO in x.text, (key, x.text)
            assert not re.search(r"(?<![\d.])0(%|명|만원|개월|건)", x.text), (key, x.text)
        # the field is left out of the comparison, not counted as zero
        stats = fd.overview_stats(overview)
        assert "BATT" not in stats["keys"][key]["values"]
        assert "BATT" in stats["keys"][key]["suppressed"]


def test_the_tiny_run_reads_its_suppressed_numbers_as_suppressed() -> None:
    tiny = load("tiny")
    assert tiny["BATT"]["03_career_flow"]["employed_12m_share"] is None  # the fixture's premise
    out = fd.field_findings(tiny["BATT"], "BATT", tiny)
    e12 = next(x for x in out if x.table == "status_12m_by_exit_role")
    assert e12.text == "과제 종료 12개월 후 취업 비율은 비공개(공개 기준 미달)입니다."
    edu = next(x for x in out if x.table == "postings_by_education")
    assert labels.SUPPRESSED_KO in edu.text and "%" not in edu.text
    overview = " ".join(x.text for x in fd.overview_findings(tiny))
    assert "1개 분야는 비공개" in overview  # BATT is named as left out, not averaged in as 0
    assert "3개 분야 모두 비공개(공개 기준 미달)여서 분야 간에 비교하지 않습니다" in overview


def test_every_number_a_finding_used_is_in_its_key_numbers(run: dict[str, dict]) -> None:
    """A sentence's number is one the notebook recorded from published cells (or a statistic
    over them), never one made up along the way."""
    for f, numbers in run.items():
        recorded = {k: fd._lookup(numbers, *fd.KEYS[k][:2]) for k in fd.KEYS}
        for x in fd.field_findings(numbers, f, run):
            for k, v in x.numbers.items():
                if k in recorded and recorded[k] is not fd._MISSING:
                    assert v == recorded[k], (f, k, v, recorded[k])


# -- comparisons ------------------------------------------------------------------------------


def hand_made() -> dict[str, dict]:
    def nb(e12: float | None, rank: int | None, master: float | None) -> dict:
        return {
            "01_workforce_map": {"rank_top10": rank, "top10_share": 0.1},
            "02_job_analysis": {"master_or_phd_share": master, "common_competencies": ["C-COMM"]},
            "03_career_flow": {"employed_12m_share": e12},
        }

    return {
        "BATT": nb(0.90, 2, 0.38),
        "SEMI": nb(0.80, 1, 0.20),
        "AI": nb(0.70, 5, 0.20),
        "H2": nb(None, 5, 0.14),
        "QUANT": nb(0.60, 9, None),
    }


def test_overview_stats_means_medians_and_ranks() -> None:
    stats = fd.overview_stats(hand_made())
    json.dumps(stats)  # the batch can write it as overview.json
    e12 = stats["keys"]["employed_12m_share"]
    assert e12["n"] == 4 and e12["suppressed"] == ["H2"]
    assert e12["mean"] == pytest.approx(0.75)
    assert e12["median"] == pytest.approx(0.75)
    assert e12["rank"] == {"BATT": 1, "SEMI": 2, "AI": 3, "QUANT": 4}
    top = stats["keys"]["rank_top10"]  # a rank: the smallest is first; ties share a rank
    assert top["lower_first"] and top["rank"] == {
        "SEMI": 1,
        "BATT": 2,
        "AI": 3,
        "H2": 3,
        "QUANT": 5,
    }
    master = stats["keys"]["master_or_phd_share"]
    assert master["rank"] == {"BATT": 1, "SEMI": 2, "AI": 2, "H2": 4}
    assert master["mean"] == pytest.approx(0.23)
    assert stats["fields"] == ["SEMI", "BATT", "H2", "AI", "QUANT"]  # taxonomy order
    assert stats["n_fields"] == 5
    assert stats["common_competencies"] == {"C-COMM": 5}


def test_field_sentences_compare_with_the_fields_average_and_rank() -> None:
    overview = hand_made()
    batt = {t.table: t.text for t in fd.field_findings(overview["BATT"], "BATT", overview)}
    assert (
        batt["postings_by_education"]
        == "이차전지 공고의 38%가 석사 이상을 요구해 4개 분야 평균(23%)보다 높습니다."
    )
    assert batt["status_12m_by_exit_role"] == (
        "과제 종료 12개월 후 고용보험 가입 취업 비율은 90%로 4개 분야 중 가장 높습니다(미관측 제외)."
    )
    ai = {t.table: t.text for t in fd.field_findings(overview["AI"], "AI", overview)}
    assert ai["status_12m_by_exit_role"].endswith(
        "70%로 4개 분야 중 2번째로 낮습니다(미관측 제외)."
    )
    semi = {t.table: t.text for t in fd.field_findings(overview["SEMI"], "SEMI", overview)}
    assert "4개 분야 중 2번째로 높습니다" in semi["status_12m_by_exit_role"]
    # a field whose number is suppressed gets no rank, and its own sentence says 비공개
    h2 = {t.table: t.text for t in fd.field_findings(overview["H2"], "H2", overview)}
    assert (
        h2["status_12m_by_exit_role"]
        == "과제 종료 12개월 후 취업 비율은 비공개(공개 기준 미달)입니다."
    )
    # the stats and the raw key numbers give the same sentences
    same = fd.field_findings(overview["BATT"], "BATT", fd.overview_stats(overview))
    assert same == fd.field_findings(overview["BATT"], "BATT", overview)


def test_too_few_fields_are_not_compared() -> None:
    two = {f: hand_made()[f] for f in ("BATT", "SEMI")}
    text = " ".join(x.text for x in fd.field_findings(two["BATT"], "BATT", two))
    assert "평균" not in text and "번째" not in text and "가장" not in text


def test_tied_fields_are_named_together() -> None:
    numbers = {f: {"03_career_flow": {"employed_12m_share": v}} for f, v in
               {"BATT": 0.9, "H2": 0.9, "AI": 0.7, "SEMI": 0.8}.items()}  # fmt: skip
    text = [x.text for x in fd.overview_findings(numbers)]
    assert text[0].startswith(
        "과제 종료 12개월 후 취업 비율은 이차전지와 수소(90%)가 가장 높고 인공지능(70%)이"
    )
    same = {f: {"03_career_flow": {"employed_12m_share": 0.8}} for f in ("BATT", "AI", "SEMI")}
    assert fd.overview_findings(same) == []  # no top and bottom when all are equal


def test_rank_phrases() -> None:
    assert fd._rank_phrase(1, 12) == "가장 높"
    assert fd._rank_phrase(3, 12) == "3번째로 높"
    assert fd._rank_phrase(10, 12) == "3번째로 낮"
    assert fd._rank_phrase(12, 12) == "가장 낮"
    assert fd._rank_phrase(2, 12, high="많", low="적") == "2번째로 많"


def test_the_overview_names_best_worst_and_failed_fields() -> None:
    overview = hand_made()
    statuses = {f: {"status": "ok"} for f in overview} | {"ROBOT": {"status": "failed"}}
    out = fd.overview_findings(overview, statuses)
    text = [x.text for x in out]
    assert text[0] == "이번 실행의 6개 분야 가운데 5개 분야를 비교합니다(실패: 첨단로봇·제조)."
    assert (
        "과제 종료 12개월 후 취업 비율은 이차전지(90%)가 가장 높고 양자(60%)가 가장 낮습니다"
        "(공개된 4개 분야 평균 75%; 1개 분야는 비공개)."
    ) in text
    assert (
        "세계 상위 10% 논문 점유율 순위에서 한국은 반도체·디스플레이(1위)에서 가장 앞서고 양자(9위)에서 가장 뒤처집니다."
        in text
    )
    assert any(s.startswith("석사 이상을 요구하는 공고의 비율은 이차전지(38%), ") for s in text)
    assert any("분석한 모든 분야에 공통으로 요구되는 역량은 ‘" in s for s in text)
    # a failed field's numbers are not compared
    failed = {**overview, "ROBOT": {"03_career_flow": {"employed_12m_share": 0.99}}}
    assert fd.overview_findings(failed, statuses) == out


# -- links ------------------------------------------------------------------------------------


def test_every_finding_names_a_table_the_notebooks_publish(run: dict[str, dict]) -> None:
    published = json.loads((FIXTURES / "published.json").read_text(encoding="utf-8"))
    names = set(published["tables"]) | set(published["charts"])
    assert set(fd.SOURCES) <= names, set(fd.SOURCES) - names
    for name, nb in fd.SOURCES.items():
        assert nb in (published["tables"].get(name), published["charts"].get(name)), name
    for x in all_findings(run):
        assert x.table in names or (x.section == "overview" and x.table == fd.SUMMARY_TABLE), x
        assert x.table in fd.SOURCES or x.table == fd.SUMMARY_TABLE
    for _, _, table in fd.KEYS.values():
        assert table in fd.SOURCES
    # tables (not charts) have a Korean title the brief can link with
    titled = set(labels.table_order())
    assert {n for n in fd.SOURCES if n in published["tables"]} <= titled
