"""The competency taxonomy as something to match lines against: OCR-safe keys (jamo, folded
Latin), the surface forms of every code (``Lexicon``), exact matches, and noun phrases read
with kiwipiepy."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from talentlib import taxonomy

# --------------------------------------------------------------------------------------------
# Keys for fuzzy comparison
# --------------------------------------------------------------------------------------------
from .sections import jamo  # one jamo key for headings and competencies

HANGUL = re.compile(r"[\uac00-\ud7a3]")
HANGUL_GAP = re.compile(r"(?<=[\uac00-\ud7a3]) (?=[\uac00-\ud7a3])")  # a space in Hangul

# Tesseract's Latin confusions, folded the same way on both sides of a comparison.
FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "5": "s", "8": "b"})
_KEY_DROP = re.compile(r"[\s\-_./·ㆍ,:;()\[\]'\"]+")


def fuzzy_key(text: str) -> str:
    """OCR-tolerant comparison key: normalised, no spaces or punctuation, jamo, Latin folded."""
    s = taxonomy.normalize_text(text)
    return jamo(_KEY_DROP.sub("", s)).translate(FOLD)


_DIGIT_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B"}
_LATIN_WORD = re.compile(r"[A-Za-z0-9|]*[A-Za-z][A-Za-z0-9|]*")


def _repair_token(m: re.Match[str]) -> str:
    tok = m.group(0)
    upper = sum(c.isupper() for c in tok)
    if upper < 2:
        return tok
    chars = list(tok)
    for i, c in enumerate(chars):
        prev = chars[i - 1] if i else ""
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if c in "l|" and prev.isupper():
            chars[i] = "I"  # OPlc → OPIc, Al stays (one capital) unless all-capital: see below
        elif (
            c in _DIGIT_AS_LETTER
            and sum(ch.isdigit() for ch in tok) <= 2
            and nxt.isupper()
            and (not prev or prev.isupper())
        ):
            chars[i] = _DIGIT_AS_LETTER[c]  # 5PC → SPC, S0C → SOC; DDR5, ISO9001 stay
    return "".join(chars)


def repair_ocr(line: str) -> str:
    """Undo tesseract slips that break exact matching of Latin terms: "Al" → "AI", "OPlc" →
    "OPIc", "5PC" → "SPC", "S0C" → "SOC" (only in upper-case tokens; DDR5, ISO9001 and 5G stay)."""
    s = unicodedata.normalize("NFKC", line)
    s = re.sub(r"(?<![A-Za-z])Al(?![A-Za-z])", "AI", s)
    return _LATIN_WORD.sub(_repair_token, s)


def squeeze(line: str) -> str:
    return HANGUL_GAP.sub("", line)


# --------------------------------------------------------------------------------------------
# The taxonomy as the tagger sees it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lexicon:
    """Codes, display names and fuzzy keys of one competency taxonomy."""

    name: str
    version: str
    codes: tuple[str, ...]
    info: dict[str, dict[str, Any]]  # code -> ko, en, group, scope, field_code
    keys: tuple[str, ...]  # fuzzy keys of surface forms long enough for fuzzy matching
    key_code: tuple[str, ...]
    key_latin: tuple[bool, ...]
    code_keys: dict[str, tuple[int, ...]]  # code -> indexes into keys
    grams: dict[str, tuple[int, ...]]  # letter trigram -> keys holding it (fuzzy shortlist)
    n_grams: tuple[int, ...]  # distinct trigrams per key

    def shortlist(self, query: str, min_share: float = 0.5) -> list[int]:
        """Keys sharing at least ``min_share`` of their letter trigrams with ``query``: the only
        ones a fuzzy score above ~80 is possible for (one slip destroys at most 3 trigrams)."""
        hits: dict[int, int] = {}
        for g in _trigrams(query):
            for k in self.grams.get(g, ()):
                hits[k] = hits.get(k, 0) + 1
        return [k for k, h in hits.items() if h >= max(1.0, min_share * self.n_grams[k])]

    def candidate(self, code: str) -> dict[str, str]:
        """{code, ko, en} for an LLM prompt."""
        i = self.info[code]
        return {"code": code, "ko": str(i["ko"]), "en": str(i.get("en") or "")}


# Fuzzy matching needs enough letters to be safe: a 3-letter acronym one letter off is another
# acronym. Keys shorter than this (jamo letters or Latin characters) are matched exactly only.
MIN_FUZZY_KEY = 5


@lru_cache(maxsize=4)
def lexicon(name: str = "competencies") -> Lexicon:
    """The competency taxonomy's codes and fuzzy keys (built once per process)."""
    rows = taxonomy.load(name)["codes"]
    info: dict[str, dict[str, Any]] = {}
    keys: list[str] = []
    key_code: list[str] = []
    key_latin: list[bool] = []
    code_keys: dict[str, list[int]] = {}
    seen: set[tuple[str, str]] = set()
    for r in rows:
        code = str(r["code"])
        info[code] = {k: r.get(k) for k in ("ko", "en", "group", "scope", "field_code", "kind")}
        for form in [r["ko"], r.get("en"), *(r.get("synonyms") or [])]:
            if not form:
                continue
            k = fuzzy_key(str(form))
            if len(k) < MIN_FUZZY_KEY or (k, code) in seen:
                continue
            seen.add((k, code))
            code_keys.setdefault(code, []).append(len(keys))
            keys.append(k)
            key_code.append(code)
            key_latin.append(not HANGUL.search(str(form)))
    grams: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        for g in _trigrams(k):
            grams.setdefault(g, []).append(i)
    return Lexicon(
        name=name,
        version=taxonomy.version(name),
        codes=tuple(info),
        info=info,
        keys=tuple(keys),
        key_code=tuple(key_code),
        key_latin=tuple(key_latin),
        code_keys={c: tuple(v) for c, v in code_keys.items()},
        grams={g: tuple(v) for g, v in grams.items()},
        n_grams=tuple(len(_trigrams(k)) for k in keys),
    )


def _trigrams(key: str) -> set[str]:
    return {key[i : i + 3] for i in range(max(1, len(key) - 2))}


@lru_cache(maxsize=200_000)
def exact_codes(line: str, name: str = "competencies") -> frozenset[str]:
    """Codes whose surface forms occur in ``line`` (``exact_matches`` without the spans)."""
    return frozenset(c for c, _, _ in exact_matches(line, name))


@lru_cache(maxsize=200_000)
def exact_matches(line: str, name: str = "competencies") -> tuple[tuple[str, int, int], ...]:
    """(code, start, end) of the surface forms in ``line`` (offsets in
    ``taxonomy.normalize_text(line)``): the reference matcher, with two fixes that need word
    boundaries (kiwipiepy, only when they matter):

    - a Hangul form that a word crosses does not count: 수율 is not in 회수율 (회수 + 율), while
      전해질 is in 고체전해질 and 소통 in 의사소통 (the form ends the word);
    - spaces between Hangul letters are ignored ("리튬 이온 배터리" has 리튬이온) when the form
      then starts and ends on word boundaries (not 양극재 in "양극 재료").
    """
    m = reference_matcher(name)
    norm = taxonomy.normalize_text(line)
    found = m.find(norm)
    tokens: list[tuple[int, int]] | None = None

    def words() -> list[tuple[int, int]]:
        nonlocal tokens
        if tokens is None:
            tokens = [(t.start, t.start + t.len) for t in _kiwi().tokenize(norm)]
        return tokens

    out: list[tuple[str, int, int]] = []
    for c, st, en in found:
        if st > 0 and HANGUL.match(norm[st]) and HANGUL.match(norm[st - 1]):
            # a word that starts before the form and ends inside it, mid-word
            if any(ts < st < te < en and norm[te] != " " for ts, te in words()):
                continue
        out.append((c, st, en))
    if HANGUL_GAP.search(norm):
        keep = [i for i, ch in enumerate(norm) if not (ch == " " and HANGUL_GAP.match(norm, i))]
        squeezed = "".join(norm[i] for i in keep)
        for c, st, en in m.find(squeezed):
            if any(c == o[0] for o in out):
                continue
            a, b = keep[st], keep[en - 1] + 1
            if " " not in norm[a:b]:
                continue  # found without squeezing, and refused above
            starts = {ts for ts, _ in words()}
            if a in starts and not any(ts < b < te for ts, te in words()):
                out.append((c, a, b))
    return tuple(out)


def reference_matcher(name: str) -> Any:
    # The reference semantics of the labels live with the generator; one matcher per process.
    from talentlib.postings.matcher import competency_matcher

    return competency_matcher(name)


@lru_cache(maxsize=1)
def kiwi_analyser() -> Any:
    """kiwipiepy's analyser, loaded once per process (~2 s; the model ships with the wheel)."""
    from kiwipiepy import Kiwi

    return Kiwi(num_workers=1)


_kiwi = kiwi_analyser


_NOUNISH = frozenset({"NNG", "NNP", "SL", "SH", "SN", "XSN", "XPN", "NR"})


def noun_phrases(lines: Sequence[str], max_len: int = 4) -> list[list[str]]:
    """Per line, its runs of nouns (kiwipiepy) and their sub-runs of up to ``max_len`` nouns,
    e.g. "리튬이온 배터리 셀 설계 경험" → 리튬이온, 리튬이온배터리, …, 셀설계. Latin tokens count
    as nouns, so "BMS 알고리즘" is one run."""
    if not lines:
        return []
    out: list[list[str]] = []
    for line, toks in zip(lines, _kiwi().tokenize(list(lines)), strict=True):
        runs: list[list[str]] = []
        cur: list[str] = []
        end = -1
        for t in toks:
            if t.tag in _NOUNISH and (not cur or t.start - end <= 1):
                cur.append(line[t.start : t.start + t.len])
            else:
                if cur:
                    runs.append(cur)
                cur = [line[t.start : t.start + t.len]] if t.tag in _NOUNISH else []
            end = t.start + t.len
        if cur:
            runs.append(cur)
        phrases: list[str] = []
        for run in runs:
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + max_len) + 1):
                    phrases.append("".join(run[i:j]))
        out.append(list(dict.fromkeys(phrases)))
    return out
