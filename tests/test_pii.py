"""Tests for talentlib.pii: the corpus of Korean PII spellings, generated PII in random Korean
text, the column forms (expression, kinds, frame scan) and the postings cache guard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from talentlib import pii
from talentlib.pii import (
    PII_FINGERPRINT,
    PII_KINDS,
    PII_LABELS,
    find_pii,
    mask_pii,
    mask_pii_expr,
    pii_kinds,
    scan_frame_pii,
)
from talentlib.postings.cache import Cache, CachePIIError

CORPUS = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "pii_corpus.yaml").read_text(encoding="utf-8")
)
POSITIVES = [(kind, case) for kind, cases in CORPUS["positives"].items() for case in cases]
NEGATIVES: list[str] = CORPUS["negatives"]
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- the corpus


def test_corpus_covers_every_kind_and_form() -> None:
    kinds = {kind for kind, _ in POSITIVES}
    assert kinds == set(PII_KINDS)
    texts = " ".join(case["text"] for _, case in POSITIVES)
    for form in [
        "02)123-4567",
        "(02)123-4567",
        "+82 (0)10",
        "０１０",
        "공일공",
        "[at]",
        "(at)",
        "(dot)",
        " at ",
        "＠",
        "@회사.한국",
        "900101-1******",
        "담당자",
        "채용담당",
        "문의",
        "인사담당",
        "담당:",
    ]:
        assert form in texts, form
    assert len(NEGATIVES) >= 40


@pytest.mark.parametrize(("kind", "case"), POSITIVES, ids=[c["text"] for _, c in POSITIVES])
def test_corpus_positive_is_masked(kind: str, case: dict[str, Any]) -> None:
    assert mask_pii(case["text"]) == case["masked"]
    assert sorted({k for k, _, _ in find_pii(case["text"])}) == sorted(case.get("kinds", [kind]))
    # nothing in the masked text is PII any more, and masking again changes nothing
    assert find_pii(case["masked"]) == []
    assert mask_pii(case["masked"]) == case["masked"]


@pytest.mark.parametrize("text", NEGATIVES)
def test_corpus_negative_is_untouched(text: str) -> None:
    assert find_pii(text) == []
    assert mask_pii(text) == text


def test_spans_index_the_original_text() -> None:
    text = "연락처 ０１０－１２３４－５６７８, 메일 ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ"
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [
        ("phone", "０１０－１２３４－５６７８"),
        ("email", "ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
    ]
    text = "번호는 공일공-일이삼사-오육칠팔이에요"
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [("phone", "공일공-일이삼사-오육칠팔")]
    # decomposed Hangul (as in macOS file names) is read as the composed text
    nfd = "담당자 " + "\u1112\u1169\u11bc\u1100\u1175\u11af\u1103\u1169\u11bc"  # 홍길동, NFD
    assert mask_pii(nfd) == "담당자 [이름]"


def test_find_pii_limited_to_kinds() -> None:
    text = "담당자 홍길동 010-1234-5678 hong@example.com"
    assert [k for k, _, _ in find_pii(text)] == ["name", "phone", "email"]
    assert [k for k, _, _ in find_pii(text, kinds=["phone"])] == ["phone"]
    assert find_pii(text, kinds=[]) == []
    assert set(PII_LABELS) == set(PII_KINDS)


# Exact spans for the plain forms (what test_privacy.py used to hold).
PHONES = [
    "010-1234-5678", "010 1234 5678", "01012345678", "010.1234.5678", "+82-10-1234-5678",
    "+82 10 1234 5678", "02-123-4567", "02-1234-5678", "031-123-4567", "070-1234-5678",
    "1588-1234", "1644-5678", "1800-1234", "(02)1234-5678", "(031) 123-4567", "011-123-4567",
    "0505-123-4567", "02)123-4567",
]  # fmt: skip
RRNS = ["900101-1234567", "9001011234567", "851231-2345678", "020315-4123456", "900101-1******"]
EMAILS = ["hr.team+jobs@company.co.kr", "kim_01@naver.com", "a.b-c@sub.example.org"]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_spans(phone: str) -> None:
    text = f"연락처: {phone}로 연락 바랍니다."
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [("phone", phone)]
    assert mask_pii(text) == "연락처: [전화번호]로 연락 바랍니다."


@pytest.mark.parametrize("rrn", RRNS)
def test_rrn_spans(rrn: str) -> None:
    text = f"주민번호 {rrn} 제출"
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [("rrn", rrn)]


@pytest.mark.parametrize("email", EMAILS)
def test_email_spans(email: str) -> None:
    text = f"지원서는 {email}으로 보내 주세요."
    assert [(k, text[s:e]) for k, s, e in find_pii(text)] == [("email", email)]


def test_mixed_text_and_adjacent_numbers() -> None:
    text = "담당 김OO(010-1234-5678 010-9876-5432, 02-123-4567) hr@corp.co.kr; 900101-1234567."
    assert mask_pii(text) == (
        "담당 김OO([전화번호] [전화번호], [전화번호]) [이메일]; [주민등록번호]."
    )
    assert [k for k, _, _ in find_pii(text)] == ["phone", "phone", "phone", "email", "rrn"]
    assert mask_pii("") == "" and find_pii("") == []


# --------------------------------------------------------------------------- generated PII

# Posting words, some spelled with Hangul digit syllables (이사, 오일, 공정) or contact words,
# and no digits or Latin letters: whatever digit or letter is left after masking leaked.
_WORDS = [
    "채용", "공고", "경력", "우대", "근무지", "서울", "연봉", "협의", "지원", "바랍니다", "반도체",
    "설계", "모집", "자격요건", "이상", "서류", "면접", "정규직", "사이", "이사", "오일", "일정",
    "구성", "공정", "육성", "삼성", "문의", "담당", "접수", "연락처", "이메일", "입니다", "※", "■",
]  # fmt: skip
_filler = st.lists(st.sampled_from(_WORDS), max_size=6).map(" ".join)
_before = st.sampled_from([" ", ": ", " (", ", ", "\n", "/", " ▶ "])
_after = st.sampled_from([" ", ")", ", ", ".", "로 ", "\n", "/"])
_HANGUL = "공일이삼사오육칠팔구"
_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def _hangul(draw: st.DrawFn, s: str) -> str:
    zero = draw(st.sampled_from(["공", "영"]))
    return "".join((zero if c == "0" else _HANGUL[int(c)]) if c.isdigit() else c for c in s)


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A Korean phone number in one of the common spellings, and its digit groups as written."""
    area = draw(st.sampled_from(["010", "011", "016", "019", "02", "031", "051", "064", "070"]))
    mid = draw(_digits(draw(st.sampled_from([3, 4]))))
    last = draw(_digits(4))
    forms = [
        "{a}-{m}-{l}", "{a} {m} {l}", "{a}{m}{l}", "{a}.{m}.{l}", "{a} - {m} - {l}",
        "({a}){m}-{l}", "({a}) {m}-{l}", "{a}){m}-{l}", "+82-{b}-{m}-{l}", "+82 {b} {m} {l}",
        "+82 (0){b}-{m}-{l}", "{a}–{m}–{l}",
    ]  # fmt: skip
    rep = draw(st.sampled_from(["1588", "1644", "1800"]))
    if draw(st.booleans()) and draw(st.booleans()):
        text = draw(st.sampled_from(["{r}-{l}", "{r} {l}"])).format(r=rep, l=last)
    else:
        text = draw(st.sampled_from(forms)).format(a=area, b=area[1:], m=mid, l=last)
    spelling = draw(st.sampled_from(["plain", "full", "hangul", "hangul_mid"]))
    if spelling == "full":
        text = text.translate(_FULL)
    elif spelling == "hangul":
        text = _hangul(draw, text)
    elif spelling == "hangul_mid":
        text = text.replace(mid, _hangul(draw, mid), 1)
    groups = [g for g in re.split(r"[^0-9０-９" + _HANGUL + "영]+", text) if len(g) >= 3]
    return text, groups


@st.composite
def rrns(draw: st.DrawFn) -> tuple[str, list[str]]:
    yy, mm, dd = draw(_digits(2)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    sex = draw(st.sampled_from("1234"))
    tail = draw(st.one_of(_digits(6), st.sampled_from(["******", "xxxxxx"])))
    sep = draw(st.sampled_from(["-", "", " ", " - ", "–"]))
    text = f"{yy}{mm:02d}{dd:02d}{sep}{sex}{tail}"
    spelling = draw(st.sampled_from(["plain", "full", "hangul"]))
    if spelling == "full":
        text = text.translate(_FULL)
    elif spelling == "hangul":
        text = _hangul(draw, text)
    return text, [g for g in re.split(r"[ \-–－]+", text) if len(g) >= 3]


_local = st.builds(
    lambda a, d, b: a + d + b,
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6),
    st.text("0123456789", min_size=1, max_size=3),
    st.sampled_from(["", ".kim", "_hr", "-jobs"]),
)
_label = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)
_tld = st.sampled_from(["com", "net", "org", "kr", "co.kr", "ac.kr", "or.kr"])


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, list[str]]:
    """An e-mail address written plainly, obfuscated ([at], (dot), at/dot words) or full-width."""
    if draw(st.integers(0, 9)) == 0:  # an address on a Korean (IDN) domain
        local = draw(st.sampled_from(["홍길동", "김민수", "hong"]))
        return f"{local}@{draw(st.sampled_from(['회사', '연구소', '채용']))}.한국", [local]
    local, label, tld = draw(_local), draw(_label), draw(_tld)
    at = draw(st.sampled_from(["@", "[at]", "(at)", " at ", "＠", " @ ", "{at}", " (at) "]))
    dot = draw(st.sampled_from([".", ".", "(dot)", "[dot]", " dot "]))
    text = f"{local}{at}{label}{dot}{tld.replace('.', dot)}"
    if draw(st.integers(0, 5)) == 0:
        text = text.translate(_FULL)
    return text, [local, label]


_SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신",
             "권", "황", "안", "송", "홍", "남궁", "황보"]  # fmt: skip
_GIVEN = "민수지현영호준서연우진혜경성철희훈재아윤주빈석태"


@st.composite
def names(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A name after a contact word, maybe with a title: the cue stays, the name must go."""
    name = draw(st.sampled_from(_SURNAMES)) + draw(st.text(_GIVEN, min_size=2, max_size=2))
    cue = draw(st.sampled_from(["담당자:", "담당자", "채용담당", "채용 담당자", "인사담당자",
                                "문의:", "문의처", "담당:", "성명:", "지원자"]))  # fmt: skip
    title = draw(st.sampled_from(["", " 과장", " 대리", "님", " 팀장"]))
    return f"{cue} {name}{title}", [name]


def _embed(pii_text: st.SearchStrategy[tuple[str, list[str]]]) -> st.SearchStrategy[Any]:
    return st.tuples(_filler, _before, pii_text, _after, _filler)


def _assert_gone(case: tuple[str, str, tuple[str, list[str]], str, str], kind: str) -> None:
    pre, b, (secret, parts), a, post = case
    text = f"{pre}{b}{secret}{a}{post}"
    masked = mask_pii(text)
    assert PII_LABELS[kind] in masked, (text, masked)
    for part in parts:
        assert part not in masked, (text, masked)
    if kind != "name":  # the filler has no digits and no Latin letters
        assert not re.search(r"[0-9０-９A-Za-zＡ-Ｚａ-ｚ@＠]", masked), (text, masked)
    assert find_pii(masked) == [], (text, masked)


@FAST
@given(_embed(phones()))
def test_generated_phone_never_survives(case: Any) -> None:
    _assert_gone(case, "phone")


@FAST
@given(_embed(rrns()))
def test_generated_rrn_never_survives(case: Any) -> None:
    _assert_gone(case, "rrn")


@FAST
@given(_embed(emails()))
def test_generated_email_never_survives(case: Any) -> None:
    _assert_gone(case, "email")


@FAST
@given(_embed(names()))
def test_generated_name_never_survives(case: Any) -> None:
    _assert_gone(case, "name")


_FRAGMENTS = [
    *(c["text"] for _, c in POSITIVES), *NEGATIVES, *_WORDS, "12", "0", "만원", "명", "abc",
    "전화", "+", "공일공", "담당자 ", "@", " at ", "(dot)", "０", "홍길동",
]  # fmt: skip
_concatenations = st.lists(
    st.tuples(st.sampled_from(_FRAGMENTS), st.sampled_from(["", " ", "-", ", ", "a", "\n"]))
).map(lambda parts: "".join(f + s for f, s in parts))


@FAST
@given(_concatenations)
def test_masking_leaves_nothing_to_find(text: str) -> None:
    masked = mask_pii(text)
    assert find_pii(masked) == []
    assert mask_pii(masked) == masked


# --------------------------------------------------------------------------- columns


@FAST
@given(st.lists(_concatenations, max_size=5))
def test_mask_pii_expr_agrees_with_mask_pii(texts: list[str]) -> None:
    df = pl.DataFrame({"text": [*texts, None]}, schema={"text": pl.String})
    got = df.select(mask_pii_expr("text"))["text"].to_list()
    assert got == [*(mask_pii(t) for t in texts), None]


def test_column_candidates_run_in_rust() -> None:
    # Without the vectorised pre-filter every value would go through Python.
    assert pii._rust_candidate() is not None
    s = pl.Series(["연봉 3,500만원", "담당자: 홍길동", "근무지 서울", None, "０１０"])
    assert pii._candidates(s).to_list() == [1, 4]  # a name cue; a character NFKC changes


def test_mask_pii_expr_on_lazy_frames_and_expressions() -> None:
    lf = pl.LazyFrame({"a": ["문의 010-1234-5678", "없음"], "b": ["x", "담당자: 홍길동"]})
    out = lf.select(mask_pii_expr(pl.col("a")), mask_pii_expr("b").alias("c")).collect()
    assert out.rows() == [("문의 [전화번호]", "x"), ("없음", "담당자: [이름]")]


def test_pii_kinds_first_of_the_asked_kinds() -> None:
    s = pl.Series("v", ["전화 010-1234-5678, hong@example.com", "없음", None, "담당: 김민수"])
    assert pii_kinds(s).to_list() == ["email", None, None, "name"]
    assert pii_kinds(s, ["phone", "email"]).to_list() == ["phone", None, None, None]
    assert pii_kinds(s).name == "v"


def test_scan_frame_pii_reports_location_never_value() -> None:
    df = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "note": ["연락처 010-1234-5678", "없음", None],
            "body": ["x", "메일 a@b.co.kr, 주민 900101-1234567", "tel 02-123-4567 담당 김민수"],
        }
    )
    found = scan_frame_pii(df)
    assert found.columns == ["row", "column", "kind"]
    assert found.rows() == [
        (1, "note", "phone"),
        (2, "body", "email"),
        (2, "body", "rrn"),
        (3, "body", "phone"),
        (3, "body", "name"),
    ]
    cells = {str(v) for col in found.iter_columns() for v in col}
    for value in ["010-1234-5678", "a@b.co.kr", "900101-1234567", "02-123-4567", "김민수"]:
        assert not any(value in c for c in cells)
    assert scan_frame_pii(df.lazy()).equals(found)
    assert scan_frame_pii(pl.DataFrame({"n": [1]})).height == 0
    cat = pl.DataFrame({"c": ["010-1234-5678"]}, schema={"c": pl.Categorical})
    assert scan_frame_pii(cat).rows() == [(1, "c", "phone")]


def test_fingerprint_covers_every_pattern() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", PII_FINGERPRINT)
    from talentlib.postings import ingest

    assert PII_FINGERPRINT in ingest._cache_version("txt", ingest.TesseractEngine(), 300, 20)


# --------------------------------------------------------------------------- cache guard


@pytest.mark.parametrize(("kind", "case"), POSITIVES, ids=[c["text"] for _, c in POSITIVES])
def test_cache_refuses_every_corpus_item(tmp_path: Path, kind: str, case: dict[str, Any]) -> None:
    cache = Cache(tmp_path)
    for value in ({"text": case["text"]}, {"lines": [{"t": "x"}, {"t": case["text"]}]},
                  {"by_file": {case["text"]: 1}}):  # fmt: skip
        with pytest.raises(CachePIIError, match="PII"):
            cache.put("a" * 64, "ingest", "1", value)
    assert len(cache) == 0
    cache.put("a" * 64, "ingest", "1", {"text": case["masked"]})
    assert cache.get("a" * 64, "ingest", "1") == {"text": case["masked"]}


def test_cache_error_does_not_quote_the_value(tmp_path: Path) -> None:
    with pytest.raises(CachePIIError) as err:
        Cache(tmp_path).put("a" * 64, "ingest", "1", {"text": "담당자 홍길동 02)123-4567"})
    assert "홍길동" not in str(err.value) and "123-4567" not in str(err.value)
