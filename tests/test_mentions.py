"""talentlib.postings.mentions: open-vocabulary mentions, coordination, spelling variants,
homonyms, and the taxonomy suggestions (talent taxonomy suggest)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from talentlib.postings import mentions as mn
from talentlib.postings import suggest as sg


@pytest.fixture(scope="module")
def ext() -> mn.MentionExtractor:
    return mn.MentionExtractor()


def norms(ms: list[mn.Mention]) -> list[str]:
    return [m.norm for m in ms]


def test_init_does_no_work_and_settings_are_data() -> None:
    e = mn.MentionExtractor(fuzzy=False)
    assert e.get_params()["fuzzy"] is False
    assert "경험" in mn.settings()["stop_words"]
    assert e.fingerprint() != mn.MentionExtractor().fingerprint()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- 양극/음극재 개발 경험", ["양극재", "음극재"]),  # a shared suffix
        ("script language(Perl/shell/tcl) 중 1개 이상 사용 가능", ["perl", "shell", "tcl"]),
        ("믹싱·코팅·압연 공정 이해", ["믹싱 공정", "코팅 공정", "압연 공정"]),  # a shared head
        ("전극 및 셀 설계 경험", ["전극 설계", "셀 설계"]),  # "A 및 B 설계"
    ],
)
def test_coordinated_forms_are_split(ext: mn.MentionExtractor, line: str,
                                     expected: list[str]) -> None:  # fmt: skip
    got = norms(ext.line_mentions(line, field="BATT"))
    for e in expected:
        assert e in got, (line, got)


@pytest.mark.parametrize(
    ("line", "term"),
    [
        ("SI/PI 해석 경험", "si/pi 해석"),
        ("C/C++ 개발 능숙자", "c/c++"),
        ("AEC-Q100 인증 대응", "aec-q100"),
    ],
)
def test_latin_terms_stay_whole(ext: mn.MentionExtractor, line: str, term: str) -> None:
    got = norms(ext.line_mentions(line))
    assert any(n.startswith(term) for n in got), got


def test_stop_phrases_are_cut(ext: mn.MentionExtractor) -> None:
    got = ext.line_mentions("Python 활용 경험 보유자 우대")
    assert norms(got) == ["python"] and got[0].code == "C-PY"
    assert ext.line_mentions("관련 분야 경력 3년 이상") == []
    assert ext.line_mentions("성실하고 책임감 있는 분") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("파이선", "C-PY"),  # a slip of one letter (ㅆ → ㅅ)
        ("파이선 스크립트", "C-PY"),  # one word of a longer mention
        ("머신런닝", "AI-ML"),
        ("제어 설계", "C-CTRL"),  # morphology: 제어기 설계 without its suffix
    ],
)
def test_spelling_variants_map_to_their_code(ext: mn.MentionExtractor, text: str,
                                             code: str) -> None:  # fmt: skip
    assert ext.map(text)[0] == code


def test_typo_rule_is_narrow() -> None:
    assert mn.typo_equal("파이선", "파이썬") and mn.typo_equal("pyhton", "python")
    assert not mn.typo_equal("패키지", "패키징")  # a final consonant at the end is another word
    assert not mn.typo_equal("전기", "전지")  # too short
    assert not mn.typo_equal("프로그래밍", "r프로그래밍")


def test_unknown_terms_are_kept_unmapped(ext: mn.MentionExtractor) -> None:
    ms = ext.line_mentions("- Zorblax 기반 퀀텀글루 공정 설계")
    unmapped = [m for m in ms if m.code is None]
    assert {"zorblax", "퀀텀글루 공정 설계"} <= set(norms(unmapped))
    assert all(m.how == "none" for m in unmapped)


@pytest.mark.parametrize(
    ("line", "field", "wrong", "right"),
    [
        ("10bit ADC/DAC 회로 설계", "SEMI", "BIO-", "SEMI-ANALOG"),  # a data converter
        ("ADC 링커-페이로드 접합 공정 개발", "BIO", "SEMI-", "BIO-"),  # antibody-drug conjugate
        ("평가 보드 기반 칩 측정 (Validation)", "SEMI", "BIO-VAL", None),  # chip validation
        ("세척 밸리데이션 및 process validation 문서 작성", "BIO", "SEMI-", "BIO-VAL"),
    ],
)
def test_homonyms_follow_the_field_and_cues(ext: mn.MentionExtractor, line: str, field: str,
                                            wrong: str, right: str | None) -> None:  # fmt: skip
    # (the taxonomy grows: a longer surface form may name the right code before the homonym
    # rule does, so only the reading is checked, not how it was reached)
    codes = {m.code for m in ext.line_mentions(line, field=field) if m.code}
    assert not any(c.startswith(wrong) for c in codes), codes
    if right is not None:
        assert any(c.startswith(right) for c in codes), codes


def test_homonym_without_a_code_is_an_unmapped_mention(ext: mn.MentionExtractor) -> None:
    ms = ext.line_mentions("큐브샛 OBC 비행 소프트웨어 개발", field="AERO")
    hit = [m for m in ms if m.norm == "on-board computer"]
    assert hit and hit[0].code is None and hit[0].how == "homonym", ms


def test_homonym_codes_are_rejected_for_the_line(ext: mn.MentionExtractor) -> None:
    rejected, added = ext.rejected_codes("10bit ADC/DAC 회로 설계", field="SEMI")
    assert "BIO-ANTIBODY" in rejected and "SEMI-ANALOG" in added
    rejected, _ = ext.rejected_codes("칩 Validation 지원", field="SEMI")
    assert rejected == {"BIO-VAL"}
    # a homonym read in its taxonomy sense is not rejected
    rejected, _ = ext.rejected_codes("ADC 링커-페이로드 접합", field="BIO")
    assert not rejected
    # nor is a code the line names elsewhere too
    rejected, _ = ext.rejected_codes("ADC 회로 설계 및 항체 개발", field="SEMI")
    assert "BIO-ANTIBODY" not in rejected


def test_homonyms_file_is_valid() -> None:
    assert mn.unknown_homonym_codes() == []
    hs = mn.homonyms()
    assert len(hs) >= 10 and all(h.readings for h in hs)


def test_mentions_hold_no_pii(ext: mn.MentionExtractor) -> None:
    ms = ext.line_mentions("PCB 설계 문의: 담당자 [이름] [전화번호] hr@example.com")
    assert all("전화번호" not in m.norm and "@" not in m.norm and "이름" not in m.norm
               for m in ms), ms  # fmt: skip


def test_sections_of_mentions() -> None:
    assert mn.mention_section("duties") == "duty"
    assert mn.mention_section("requirements", "- Python 능숙자") == "required"
    assert mn.mention_section("requirements", "- 정보처리기사 우대") == "preferred"
    assert mn.mention_section("benefits") is None


def test_fuzzy_equal() -> None:
    assert mn.fuzzy_equal("파이썬", "파이썬 ") and mn.fuzzy_equal(
        "MATLAB/Simulink", "matlab simulink"
    )
    assert not mn.fuzzy_equal("pcb 설계", "회로 설계")


def test_suggest_ranks_and_proposes() -> None:
    rows = [
        ("A", "SEMI", "duties", "- Zorblax 시뮬레이션 및 퀀텀글루 공정 설계"),
        ("B", "SEMI", "duties", "- Zorblax 시뮬레이션 (문의 [전화번호])"),
        ("C", "BATT", "requirements", "- Zorblax 시뮬레이션 경험"),
        ("C", "BATT", "benefits", "- Zorblax 교육 지원"),
    ]
    out = sg.suggest(rows)
    top = out[0]
    assert top["norm"] == "zorblax 시뮬레이션" and top["postings"] == 3
    assert top["fields"] == ["SEMI", "BATT"] and top["proposal"] == "new_code"
    assert top["entry"]["scope"] == "common" and top["entry"]["kind"] == "method"
    assert all("전화번호" not in e["norm"] for e in out)


def test_suggest_with_an_llm_names_new_codes() -> None:
    class Fake:
        name = "fake"

        def complete(self, prompt: str, *, max_new_tokens: int = 64) -> str:
            return "퀀텀글루 공정 | Quantum glue process | method"

    out = sg.suggest([("A", "SEMI", "duties", "- 퀀텀글루 공정 설계")], llm=Fake())
    e = [x for x in out if x["proposal"] == "new_code"][0]
    assert e["entry"]["en"] == "Quantum glue process" and e["named_by"] == "fake"


def test_cli_suggest_masks_phone_numbers(tmp_path: Path) -> None:
    from talentlib.cli import main

    folder = tmp_path / "postings"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "[주요업무]\n- Zorblax 시뮬레이션 및 퀀텀글루 공정 설계\n[자격요건]\n"
        "- Zorblax 시뮬레이션 경험 (문의 010-1234-5678)\n",
        encoding="utf-8",
    )
    (folder / "b.txt").write_text(
        "[담당업무]\n- Zorblax 시뮬레이션, 연락처 010-1234-5678\n", encoding="utf-8"
    )
    out = tmp_path / "suggestions.yaml"
    rc = main(["taxonomy", "suggest", str(folder), "--out", str(out), "--quiet"])
    assert rc == 0
    text = out.read_text(encoding="utf-8")
    assert "1234" not in text and "5678" not in text
    doc = yaml.safe_load(text)
    new = {e["evidence"]["surface_forms"][0].lower(): e for e in doc["new_codes"]}
    assert "zorblax 시뮬레이션" in new and new["zorblax 시뮬레이션"]["evidence"]["postings"] == 2
    csv = tmp_path / "s.csv"
    assert main(["taxonomy", "suggest", str(folder), "--out", str(csv), "--quiet"]) == 0
    assert "5678" not in csv.read_text(encoding="utf-8")


def test_cli_suggest_missing_folder_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from talentlib.cli import main

    rc = main(["taxonomy", "suggest", str(tmp_path / "nope"), "--out", str(tmp_path / "o.yaml")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "Traceback" not in err
