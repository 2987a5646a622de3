"""talentlib.postings.tagger: exact, fuzzy, morphological and learned competency tagging."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from talentlib import training
from talentlib.postings import tagger as tg


@pytest.fixture(scope="module")
def lines_labels() -> tuple[list[str], list[list[str]]]:
    # a small synthetic training set of its own (the default tagger trains on 900 postings)
    return training.tagger_training_lines(n_postings=150, seed=4242)


@pytest.fixture(scope="module")
def tagger(lines_labels: tuple[list[str], list[list[str]]]) -> tg.CompetencyTagger:
    lines, labels = lines_labels
    return tg.CompetencyTagger(augment=1).fit(lines, labels)


def test_training_lines_are_labelled_by_the_reference_matcher(
    lines_labels: tuple[list[str], list[list[str]]],
) -> None:
    lines, labels = lines_labels
    assert len(lines) == len(labels) > 500
    assert len(set(lines)) == len(lines)  # deduplicated
    assert any(not y for y in labels) and any(y for y in labels)  # negatives and positives
    known = set(tg.lexicon().codes)
    assert {c for y in labels for c in y} <= known


def test_init_does_no_work() -> None:
    t = tg.CompetencyTagger(threshold=0.4)
    assert t.get_params()["threshold"] == 0.4
    assert not hasattr(t, "model_") and not hasattr(t, "combiner_")
    with pytest.raises(RuntimeError, match="not fitted"):
        t.predict(["파이썬 개발"])


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("파이썬 기반 분석 자동화", "C-PY"),  # Korean name
        ("Python3 능숙자", "C-PY"),  # English synonym with a version
        ("BMS 알고리즘 개발 경험", "BATT-BMS"),  # abbreviation
        ("EIS 분석 경험자 우대", "BATT-EIS"),
        ("리튬 이온 배터리 셀 설계", "BATT-LIB"),  # spaces inside a Hangul form
        ("Experience with PyTorch", "AI-PYTORCH"),
        ("고체전해질 개발", "BATT-SSE"),  # compound noun: the longer form wins
        ("유관부서와의 원활한 의사소통 능력", "C-COMM"),
    ],
)
def test_clean_lines(tagger: tg.CompetencyTagger, line: str, code: str) -> None:
    assert code in tagger.predict([line])[0]


@pytest.mark.parametrize(
    "line",
    [
        "성실하고 책임감 있는 분",
        "4대보험, 퇴직연금, 통근버스 운영",
        "폐배터리 회수율 95% 달성",  # 수율 (yield) is not in 회수율
        "서류전형 → 면접 → 최종합격",
        "남성의 경우 병역필 또는 면제자",
    ],
)
def test_negatives_do_not_match(tagger: tg.CompetencyTagger, line: str) -> None:
    codes = tagger.predict([line])[0]
    assert "SEMI-YIELD" not in codes
    if "회수율" not in line:
        assert codes == []


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("리틈이온 배터리 셀 설계", "BATT-LIB"),  # tesseract: 튬 → 틈
        ("설명가능 Al 관련 프로젝트", "AI-XAI"),  # "AI" read as "Al"
        ("5PC 관리 경험", "C-SPC"),  # S read as 5 in an upper-case token
        ("리튬 이 온 배터리 셀 설계", "BATT-LIB"),  # spaces inside Hangul words
    ],
)
def test_ocr_noised_lines(tagger: tg.CompetencyTagger, line: str, code: str) -> None:
    assert code in tagger.predict([line], ocr=True)[0]


def test_repair_ocr_keeps_real_tokens() -> None:
    assert tg.repair_ocr("Al 모델") == "AI 모델"
    assert tg.repair_ocr("OPlc IM2") == "OPIc IM2"
    for keep in ("DDR5", "ISO9001", "5G 통신", "MLOps", "Flutter", "H2 생산"):
        assert tg.repair_ocr(keep) == keep


def test_predict_shapes_and_proba(tagger: tg.CompetencyTagger) -> None:
    texts = ["Python 활용 능력\nBMS 알고리즘 개발", "", "성실한 분"]
    pred = tagger.predict(texts)
    proba = tagger.predict_proba(texts)
    assert len(pred) == len(proba) == 3
    assert pred[1] == [] and proba[1] == {}
    assert {"C-PY", "BATT-BMS"} <= set(pred[0])
    assert proba[0]["C-PY"] == 1.0  # exact matches score 1
    assert all(0.0 <= v <= 1.0 for d in proba for v in d.values())
    assert all(proba[0][c] >= tagger.threshold for c in pred[0])
    with pytest.raises(ValueError):
        tagger.predict(["a", "b"], ocr=[True])


def test_fit_is_deterministic(lines_labels: tuple[list[str], list[list[str]]]) -> None:
    lines, labels = lines_labels
    lines, labels = lines[:400], labels[:400]
    a = tg.CompetencyTagger(augment=1, use_morph=False).fit(lines, labels)
    b = tg.CompetencyTagger(augment=1, use_morph=False).fit(lines, labels)
    probe = ["리틈이온 배터리 셀 설계", "Machine learning 모델 개발", "원활한 소통 능력"]
    assert a.predict_proba(probe, ocr=True) == b.predict_proba(probe, ocr=True)


def test_fit_rejects_unknown_codes() -> None:
    with pytest.raises(ValueError, match="not in taxonomy"):
        tg.CompetencyTagger().fit(["x"], [["NOT-A-CODE"]])


def test_save_load_roundtrip(tagger: tg.CompetencyTagger, tmp_path: Path) -> None:
    path = tagger.save(tmp_path / "t.joblib")
    back = tg.CompetencyTagger.load(path)
    probe = ["리틈이온 배터리 셀 설계", "Python 능숙자"]
    assert back.predict(probe, ocr=True) == tagger.predict(probe, ocr=True)


def test_uncertain_band_goes_to_llm(tagger: tg.CompetencyTagger, tmp_path: Path) -> None:
    """Candidates in the uncertain band are decided by the backend; sure ones are not asked."""
    line = "리틈이온 배터리 셀 설계 및 Machine 16010109 경험"
    scores = tagger.score_lines([line], ocr=True)[0]
    lo, hi = tagger.uncertain
    unsure = {c for c, v in scores.items() if lo <= v < hi}

    class Fake:
        name, prompt_version = "fake", "t1"
        asked: list[str] = []

        def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
            Fake.asked.append(prompt)
            return "없음"  # reject every candidate

    pytest.importorskip("talentlib.postings.llm")
    old = tagger.llm, tagger.llm_cache_dir
    tagger.llm, tagger.llm_cache_dir = Fake(), str(tmp_path)
    try:
        _, kept, n_asked = tagger.decide_lines([line], ocr=True)
    finally:
        tagger.llm, tagger.llm_cache_dir = old
    sure = {c for c, v in scores.items() if v >= hi}
    assert set(kept[0]) == sure  # the LLM said no to every unsure candidate
    assert n_asked == len(unsure)
    assert bool(Fake.asked) == bool(unsure)


def test_tag_sections_counts_the_uncertain_candidates(tagger: tg.CompetencyTagger) -> None:
    """n_uncertain: the posting's (line, code) candidates in the uncertain band, the LLM's asks."""
    from talentlib.postings.sections import segment

    text = "[주요업무]\n- 화자분리(Speaker Diarization) 모델 개발\n- [경력] BMS 하드웨어 설계"
    seg = segment(pl.DataFrame({"posting_id": ["P"], "text": [text]}))
    duties = seg.filter(pl.col("section") == "duties")["text"].to_list()
    lo, hi = tagger.uncertain
    band = sum(lo <= v < hi for s in tagger.score_lines(duties, ocr=True) for v in s.values())
    assert band >= 1  # OCR lines with a candidate in the band (for this small tagger)
    out = tg.tag_sections(seg, tagger, ocr_ids=["P"]).row(0, named=True)
    assert out["n_uncertain"] == band
    assert tg.tag_sections(seg, tagger).row(0, named=True)["n_uncertain"] == sum(
        lo <= v < hi for s in tagger.score_lines(duties) for v in s.values()
    )


def test_tag_sections_required_and_preferred(tagger: tg.CompetencyTagger) -> None:
    from talentlib.postings.sections import segment

    text = (
        "배터리 셀 설계 엔지니어\n\n[회사소개]\n당사는 BMS와 ESS를 만드는 회사입니다.\n\n"
        "[주요업무]\n- 리튬이온 배터리 셀 설계\n\n[자격요건]\n- Python 활용 능력\n\n"
        "[우대사항]\n- EIS 분석 경험자 우대\n- Python 능숙자\n\n[복리후생]\n- 통근버스 운영\n"
    )
    seg = segment(pl.DataFrame({"posting_id": ["P1"], "text": [text]}))
    out = tg.tag_sections(seg, tagger).row(0, named=True)
    assert "BATT-BMS" not in out["competencies"]  # the company blurb is not tagged
    assert {"BATT-CELLDES", "BATT-LIB", "C-PY"} <= set(out["required"])
    assert out["preferred"] == ["BATT-EIS"]  # Python is required already


def test_extract_caches_per_posting(tagger: tg.CompetencyTagger, tmp_path: Path) -> None:
    posts = pl.DataFrame(
        {
            "posting_id": ["A", "B"],
            "text": [
                "[자격요건]\n- 석사 이상\n- Python 능숙자\n- 경력 3년 이상",
                "[주요업무]\n- 전극 코팅",
            ],
            "method": ["text", "text"],
        }
    )
    cold = tg.extract(posts, tagger, cache_dir=tmp_path)
    warm = tg.extract(posts, tagger, cache_dir=tmp_path)
    assert cold.equals(warm)
    a = cold.row(0, named=True)
    assert a["education"] == "MASTER" and a["experience_min_years"] == 3
    assert "C-PY" in a["competencies"]
    assert any((tmp_path / "extract").rglob("*.json"))


def test_noise_channel_is_seeded() -> None:
    n = tg.OcrNoise()
    line = "리튬이온 배터리 셀 설계 및 device simulation 경험"
    a = [n(line, np.random.default_rng(1)) for _ in range(3)]
    b = [n(line, np.random.default_rng(1)) for _ in range(3)]
    assert a == b


def test_tag_lines_reads_homonyms_by_field(tagger: tg.CompetencyTagger) -> None:
    """ADC in a chip posting is a data converter, not an antibody-drug conjugate."""
    line = "10bit ADC/DAC 회로 설계"
    semi, _, _ = tagger.tag_lines([line], fields=["SEMI"])
    assert not any(c.startswith("BIO-") for c in semi[0]) and "SEMI-ANALOG" in semi[0]
    bio, _, _ = tagger.tag_lines(["ADC 항체 접합 공정 개발"], fields=["BIO"])
    assert "BIO-ANTIBODY" in bio[0]


def test_spelling_variants_on_typed_text(tagger: tg.CompetencyTagger) -> None:
    got = tagger.predict(["파이선 스크립트 기반 자동화", "셀 전압 제어 설계", "머신런닝 모델 개발"])
    assert "C-PY" in got[0] and "C-CTRL" in got[1] and "AI-ML" in got[2]
    closed = tg.CompetencyTagger(open_vocab=False)
    assert "open_vocab" in closed.get_params() and closed.fingerprint() != tagger.fingerprint()


def test_tag_sections_lists_mentions_with_and_without_code(tagger: tg.CompetencyTagger) -> None:
    from talentlib.postings.sections import segment

    text = (
        "[주요업무]\n- Zorblax 기반 퀀텀글루 공정 설계\n- 리튬이온 배터리 셀 설계\n\n"
        "[자격요건]\n- Python 활용 능력\n- 정보처리기사 우대\n\n[우대사항]\n- Zorblax 경험자\n"
        "\n[문의]\n- 담당자 [전화번호]\n"
    )
    seg = segment(pl.DataFrame({"posting_id": ["P1"], "text": [text]}))
    out = tg.tag_sections(seg, tagger, fields={"P1": "BATT"}).row(0, named=True)
    ms = {m["norm"]: m for m in out["mentions"]}
    assert ms["zorblax"]["code"] is None and ms["zorblax"]["section"] == "duty"
    assert ms["python"]["code"] == "C-PY" and ms["python"]["section"] == "required"
    assert any(m["section"] == "preferred" for m in out["mentions"])  # 우대 in 자격요건
    assert not any("전화번호" in m["norm"] for m in out["mentions"])
    assert set(tg.TAGS_SCHEMA) <= set(tg.tag_sections(seg, tagger).columns)


def test_extract_uses_the_field_column(tagger: tg.CompetencyTagger, tmp_path: Path) -> None:
    posts = pl.DataFrame(
        {"posting_id": ["S", "B"], "text": ["[주요업무]\n- 10bit ADC/DAC 회로 설계"] * 2,
         "method": ["text", "text"], "field_code": ["SEMI", "BIO"]}
    )  # fmt: skip
    out = {r["posting_id"]: r for r in tg.extract(posts, tagger, cache_dir=tmp_path).to_dicts()}
    assert not any(c.startswith("BIO-") for c in out["S"]["competencies"])
    assert out["S"]["mentions"] and "mentions" in out["B"]


def test_company_intro_bullets_are_not_tagged(tagger: tg.CompetencyTagger) -> None:
    """Bullets about what the company does are not what it asks of applicants."""
    from talentlib.postings.sections import segment

    text = "[회사 소개]\n• LLM 파인튜닝 및 RAG 구축 컨설팅 사업 수행\n[주요업무]\n• Kubernetes 운영"
    frame = segment(pl.DataFrame({"posting_id": ["P"], "text": [text]}))
    out = tg.tag_sections(frame, tagger).row(0, named=True)
    assert "AI-RAG" not in out["competencies"] and "C-CONTAINER" in out["required"]


def test_company_intro_bullets_are_not_tagged_in_ocr_text(tagger: tg.CompetencyTagger) -> None:
    """Read by OCR, the intro's bullets are still the company's, not the applicant's; a garbled
    heading-shaped line after them reopens tagging."""
    from talentlib.postings.sections import segment

    text = ("[회사 소개]\n• LLM 파인튜닝 및 RAG 구축 컨설팅 사업 수행\n"
            "[주요업무]\n• Kubernetes 운영")  # fmt: skip
    frame = segment(pl.DataFrame({"posting_id": ["P"], "text": [text]}))
    out = tg.tag_sections(frame, tagger, ocr_ids=["P"]).row(0, named=True)
    assert "AI-RAG" not in out["competencies"] and "C-CONTAINER" in out["required"]
    garbled = "[회사 소개]\n우리는 배터리를 만듭니다.\neo 부문\n• Kubernetes 운영"
    frame = segment(pl.DataFrame({"posting_id": ["P"], "text": [garbled]}))
    assert "C-CONTAINER" in tg.tag_sections(frame, tagger, ocr_ids=["P"])["competencies"][0]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("ESS 시스템 설계", "C-MES"),  # a short Latin word one letter off is another word
        ("해석", "C-CAE"),  # a table cell: a piece of the form "CAE 해석", not a reading of it
        ("위성", "COMM-SATCOM"),
        ("OrCAD Capture, Cadence Allegro 사용 가능자", "C-CAD"),  # resembles, no form in it
    ],
)
def test_ocr_lines_read_as_typed_unless_a_form_is_a_slip_away(
    tagger: tg.CompetencyTagger, line: str, code: str
) -> None:
    """An OCR line gets the OCR reading's looser matches only where a form is in it with a
    slip (리틈이온 above); a line that only resembles a form is read as typed text. (Each
    of these lines got the code as OCR text before.)"""
    assert code not in tagger.predict([line], ocr=True)[0]
    assert tagger.predict([line], ocr=True) == tagger.predict([line])
