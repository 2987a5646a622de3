"""Competency tagger: which codes of the competency taxonomy a posting (or a line) asks for.

Four signals, combined per (line, code) candidate:

1. **Exact** surface forms (ko, en, synonyms) with the reference semantics of the synthetic
   labels (``talentlib.postings.matcher.CompetencyMatcher``): Hangul ignores spaces, Latin needs
   word boundaries and is case-folded, the longest overlapping mention wins. On clean text the
   tagger never disagrees with it: an exact match scores 1.0 and nothing else is added unless the
   other signals are sure.
2. **Fuzzy** matching with rapidfuzz on OCR-safe keys: Hangul decomposed into letters (jamo), so
   리튬→리틈 costs one letter, and Latin folded over tesseract's confusions (0/o, 1/l/I, 5/s).
3. **Morphology** with kiwipiepy (loaded once): runs of nouns (compound nouns, including Latin
   tokens) are compared whole to the surface forms, which tolerates spacing errors and keeps a
   match on word boundaries.
4. A **line classifier** (scikit-learn: character n-gram TF-IDF + one-vs-rest logistic
   regression) trained on labelled lines from synthetic postings, each also copied through an
   OCR noise channel (``OcrNoise``) whose rates were measured on tesseract output of rendered
   synthetic postings.

A small logistic regression (the *combiner*) turns the non-exact signals of a candidate into a
probability; ``threshold`` decides, and candidates inside the ``uncertain`` band are sent to the
LLM when a backend is set (``talentlib.postings.llm``, imported only then). A fitted tagger is
persisted by ``load_or_fit`` under a cache folder keyed by the taxonomy version, so warm runs
skip training; ``extract`` runs sections → rules → tags over ingested postings with a
per-posting result cache.

With ``open_vocab`` (default) ``tag_lines`` also reads every line's open-vocabulary mentions
(``talentlib.postings.mentions``): homonyms are read in the posting's field (ADC in a chip
posting is a converter, not an antibody–drug conjugate), whole mentions are matched through
morphology and typing slips on typed text too ("제어 설계", "파이선"), and mentions without a
code are kept, so ``extract`` lists what a posting asks for even where the taxonomy is silent.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from talentlib import taxonomy

__all__ = [
    "BODY_SECTIONS",
    "TAGGER_VERSION",
    "CompetencyTagger",
    "OcrNoise",
    "extract",
    "fuzzy_key",
    "lexicon",
    "load_or_fit",
    "noun_phrases",
    "repair_ocr",
    "tag_sections",
    "training_lines",
]

TAGGER_VERSION = "1"
# Sections whose lines are tagged; company blurbs, benefits, process and contacts are not
# (boilerplate pollutes matches). "other" holds the title and text before the first heading.
BODY_SECTIONS = ("other", "position", "duties", "requirements", "preferred")
REQUIRED_SECTIONS = ("other", "position", "duties", "requirements")
# The synthetic training set: a seed of its own, never the evaluation sets' seeds.
TRAINING_SEED = 97_531
TRAINING_POSTINGS = 900

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9|]*")
_HANGUL_GAP = re.compile(r"(?<=[\uac00-\ud7a3]) (?=[\uac00-\ud7a3])")  # a space in Hangul


# --------------------------------------------------------------------------------------------
# Keys for fuzzy comparison
# --------------------------------------------------------------------------------------------


from .sections import _jamo  # noqa: E402  (one jamo key for headings and competencies)

# Tesseract's Latin confusions, folded the same way on both sides of a comparison.
_FOLD = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "5": "s", "8": "b"})
_KEY_DROP = re.compile(r"[\s\-_./·ㆍ,:;()\[\]'\"]+")


def fuzzy_key(text: str) -> str:
    """OCR-tolerant comparison key: normalised, no spaces or punctuation, jamo, Latin folded."""
    s = taxonomy.normalize_text(text)
    return _jamo(_KEY_DROP.sub("", s)).translate(_FOLD)


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


def _squeeze(line: str) -> str:
    return _HANGUL_GAP.sub("", line)


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
            key_latin.append(not _HANGUL.search(str(form)))
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
    m = _matcher(name)
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
        if st > 0 and _HANGUL.match(norm[st]) and _HANGUL.match(norm[st - 1]):
            # a word that starts before the form and ends inside it, mid-word
            if any(ts < st < te < en and norm[te] != " " for ts, te in words()):
                continue
        out.append((c, st, en))
    if _HANGUL_GAP.search(norm):
        keep = [i for i, ch in enumerate(norm) if not (ch == " " and _HANGUL_GAP.match(norm, i))]
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


def _matcher(name: str) -> Any:
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


# --------------------------------------------------------------------------------------------
# OCR noise channel (training augmentation)
# --------------------------------------------------------------------------------------------

# Visually close vowels and finals in the Korean font at scan resolution.
_VOWEL_SWAP = {
    "ㅠ": "ㅡ", "ㅡ": "ㅠ", "ㅓ": "ㅕ", "ㅕ": "ㅓ", "ㅏ": "ㅑ", "ㅑ": "ㅏ", "ㅗ": "ㅛ", "ㅛ": "ㅗ",
    "ㅜ": "ㅠ", "ㅐ": "ㅔ", "ㅔ": "ㅐ", "ㅣ": "ㅏ",
}  # fmt: skip
_VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_INITIAL_SWAP = {0: 3, 3: 0, 5: 3, 6: 11, 11: 6, 7: 17, 17: 7, 12: 14, 14: 12, 16: 15, 15: 16}
_LEET = str.maketrans({"o": "0", "e": "6", "s": "5", "i": "1", "l": "1", "a": "4", "b": "8",
                       "g": "9", "t": "7", "z": "2", "d": "0", "c": "6", "n": "0", "r": "1"})  # fmt: skip
_GARBLE = "ABCDEFGHJKLMNOPRSTUVWXYZ0123456789#@}|"


@dataclass(frozen=True)
class OcrNoise:
    """Tesseract-like damage to a clean line, for training the line classifier.

    Rates measured on tesseract 5 ``kor+eng`` output of rendered synthetic postings (8 pages,
    1,210 tokens aligned with difflib): 5.7 % of Hangul words wrong, mostly whole words read as
    short Latin garbage ("문제를" → "BAS") and some one-letter slips ("담당" → "당당"); 4 % of
    Latin words wrong, lower-case words read as digits ("device" → "06166") and "AI" as "Al".
    The defaults are a little harsher than measured so the classifier sees enough damage.
    """

    hangul_garble: float = 0.04
    hangul_slip: float = 0.05
    hangul_split: float = 0.02
    latin_leet: float = 0.10
    upper_i_to_l: float = 0.30
    drop_char: float = 0.005

    @classmethod
    def typing(cls) -> OcrNoise:
        """Typos of typed postings: a letter off in some Hangul words, a space more; no OCR."""
        return cls(hangul_garble=0.0, hangul_slip=0.08, hangul_split=0.03, latin_leet=0.0,
                   upper_i_to_l=0.0, drop_char=0.0)  # fmt: skip

    def _syllable_slip(self, ch: str, rng: np.random.Generator) -> str:
        code = ord(ch) - 0xAC00
        ini, med, fin = code // 588, (code % 588) // 28, code % 28
        u = rng.random()
        if u < 0.55:
            v = _VOWEL_SWAP.get(_VOWELS[med])
            if v is not None:
                med = _VOWELS.index(v)
        elif u < 0.8 and ini in _INITIAL_SWAP:
            ini = _INITIAL_SWAP[ini]
        else:
            fin = 0 if fin else int(rng.choice([4, 8, 16, 21]))
        return chr(0xAC00 + ini * 588 + med * 28 + fin)

    def __call__(self, line: str, rng: np.random.Generator) -> str:
        words = line.split(" ")
        out = []
        for w in words:
            if not w:
                out.append(w)
                continue
            if _HANGUL.search(w):
                u = rng.random()
                if u < self.hangul_garble:
                    n = max(2, min(5, len(w) + int(rng.integers(-1, 2))))
                    w = "".join(_GARBLE[int(i)] for i in rng.integers(len(_GARBLE), size=n))
                elif u < self.hangul_garble + self.hangul_slip:
                    idx = [i for i, c in enumerate(w) if _HANGUL.match(c)]
                    i = idx[int(rng.integers(len(idx)))]
                    w = w[:i] + self._syllable_slip(w[i], rng) + w[i + 1 :]
                elif u < self.hangul_garble + self.hangul_slip + self.hangul_split and len(w) > 2:
                    i = int(rng.integers(1, len(w)))
                    w = w[:i] + " " + w[i:]
            elif re.search(r"[A-Za-z]", w):
                if w.islower() and len(w) >= 4 and rng.random() < self.latin_leet:
                    w = w.translate(_LEET)
                elif "I" in w and rng.random() < self.upper_i_to_l:
                    w = w.replace("I", "l")
            if self.drop_char and len(w) > 3 and rng.random() < self.drop_char * len(w):
                i = int(rng.integers(len(w)))
                w = w[:i] + w[i + 1 :]
            out.append(w)
        return " ".join(out)


# --------------------------------------------------------------------------------------------
# Training lines
# --------------------------------------------------------------------------------------------


def training_lines(
    postings_dir: str | Path, *, sections: Sequence[str] = BODY_SECTIONS, name: str = "competencies"
) -> tuple[list[str], list[list[str]]]:
    """Labelled lines of a generated posting set (its plain-text postings): every content line of
    the body sections with the codes the reference matcher finds in it, plus boilerplate lines
    (company, benefits, process, …) as negatives. Deduplicated, in file order."""
    from talentlib.postings.labelled import read_labels
    from talentlib.postings.sections import segment

    root = Path(postings_dir)
    root = root / "postings" if (root / "postings" / "labels.jsonl").exists() else root
    texts = {
        lab["posting_id"]: (root / lab["file"]).read_text(encoding="utf-8")
        for lab in read_labels(root)
        if lab["file_type"] == "txt"
    }
    frame = pl.DataFrame({"posting_id": list(texts), "text": list(texts.values())})
    seg = segment(frame)
    m = _matcher(name)
    seen: dict[str, list[str]] = {}
    for sec, line in seg.select("section", "text").iter_rows():
        if line in seen:
            continue
        codes = sorted(m.codes(line)) if sec in sections else []
        if sec in sections or not m.codes(line):
            seen[line] = codes
    return list(seen), list(seen.values())


# --------------------------------------------------------------------------------------------
# The tagger
# --------------------------------------------------------------------------------------------

_FEATURES = ("p_model", "fuzzy", "morph", "fuzzy_edits", "morph_edits", "ocr", "latin", "key_len")


def _as_flags(ocr: bool | Sequence[bool], n: int) -> list[bool]:
    if isinstance(ocr, bool | np.bool_):
        return [bool(ocr)] * n
    flags = [bool(x) for x in ocr]
    if len(flags) != n:
        raise ValueError(f"ocr: {len(flags)} flags for {n} texts")
    return flags


class CompetencyTagger:
    """Tags lines or whole texts with competency codes (scikit-learn shape).

    Settings are plain constructor arguments; ``fit`` does the work. ``fit(lines, labels)`` trains
    the line classifier and the combiner on labelled lines (clean and OCR-noised copies);
    ``predict(texts, ocr=...)`` returns sorted codes per text, ``predict_proba`` a code → score
    dict per text (exact matches score 1.0). A text may hold many lines; each is tagged and the
    scores are maxed. Pass ``ocr=True`` (per text or for all) for text read by OCR: fuzzy and
    morphological candidates are then generated for every line, not only for the classifier's.
    """

    def __init__(
        self,
        taxonomy_name: str = "competencies",
        *,
        use_fuzzy: bool = True,
        use_morph: bool = True,
        use_model: bool = True,
        threshold: float = 0.5,
        uncertain: tuple[float, float] = (0.3, 0.7),
        fuzzy_cutoff: float = 82.0,
        model_cutoff: float = 0.08,
        augment: int = 2,
        typos: bool = False,
        noise: OcrNoise | None = None,
        alpha: float = 1e-6,
        llm: Any = None,
        llm_cache_dir: str | Path | None = None,
        random_state: int = 0,
        open_vocab: bool = True,
    ) -> None:
        self.taxonomy_name = taxonomy_name
        self.use_fuzzy = use_fuzzy
        self.use_morph = use_morph
        self.use_model = use_model
        self.threshold = threshold
        self.uncertain = uncertain
        self.fuzzy_cutoff = fuzzy_cutoff
        self.model_cutoff = model_cutoff
        self.augment = augment
        self.typos = typos
        self.noise = noise
        self.alpha = alpha
        self.llm = llm
        self.llm_cache_dir = llm_cache_dir
        self.random_state = random_state
        self.open_vocab = open_vocab

    # -- settings --------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's settings (read from its signature, so they are listed once); a
        tagger pickled before a setting existed reports that setting's default."""
        import inspect

        params = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k, p.default) for k, p in params.items() if k != "self"}

    def set_params(self, **params: Any) -> CompetencyTagger:
        for k, v in params.items():
            if k not in self.get_params():
                raise ValueError(f"CompetencyTagger has no setting {k!r}")
            setattr(self, k, v)
        return self

    def fingerprint(self) -> str:
        """What changes the tags: versions, taxonomy, settings (not the LLM, cached apart)."""
        p = {k: v for k, v in self.get_params().items() if k not in ("llm", "llm_cache_dir")}
        p["noise"] = repr(p["noise"] or OcrNoise())
        body = json.dumps(
            {"v": TAGGER_VERSION, "taxonomy": taxonomy.version(self.taxonomy_name), **p},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    @property
    def lexicon_(self) -> Lexicon:
        return lexicon(self.taxonomy_name)

    # -- pickling: the matcher, kiwi and the lexicon are rebuilt, not stored ----------------
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_backend"}

    # -- fitting ---------------------------------------------------------------------------
    def _noised(
        self, lines: Sequence[str], labels: Sequence[Sequence[str]], copies: int | None = None
    ) -> tuple[list[str], list[list[str]], list[bool]]:
        rng = np.random.default_rng(self.random_state)
        noise = self.noise or OcrNoise()
        xs, ys, flags = list(lines), [list(y) for y in labels], [False] * len(lines)
        for _ in range(self.augment if copies is None else copies):
            for line, y in zip(lines, labels, strict=True):
                xs.append(noise(line, rng))
                ys.append(list(y))
                flags.append(True)
        if self.typos:
            # typed text with typos (one letter off in a Hangul word, a space more or less)
            typo = OcrNoise.typing()
            for line, y in zip(lines, labels, strict=True):
                t = typo(line, rng)
                if t != line:
                    xs.append(t)
                    ys.append(list(y))
                    flags.append(False)
        return xs, ys, flags

    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            min_df=2,
            max_features=60_000,
            sublinear_tf=True,
            preprocessor=_model_text,
            dtype=np.float32,
        )

    def fit(
        self, X: Sequence[str], y: Sequence[Sequence[str]], *, verbose: bool = False
    ) -> CompetencyTagger:
        """Train on labelled lines: ``X`` lines, ``y`` the codes each line mentions."""
        t0 = time.perf_counter()
        if len(X) != len(y):
            raise ValueError(f"fit: {len(X)} lines but {len(y)} label lists")
        known = set(self.lexicon_.codes)
        bad = sorted({c for codes in y for c in codes} - known)
        if bad:
            raise ValueError(f"fit: labels not in taxonomy {self.taxonomy_name!r}: {bad[:10]}")
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(X))
        n_hold = max(1, len(X) // 5) if len(X) >= 10 else 0
        hold, train = order[:n_hold], order[n_hold:]
        self.classes_: list[str] = []
        self.model_: Any = None
        if self.use_model:
            xs, ys, _ = self._noised([X[i] for i in train], [y[i] for i in train])
            self._fit_model(xs, ys)
        self.combiner_: Any = None
        if n_hold:
            xs, ys, flags = self._noised(
                [X[i] for i in hold], [y[i] for i in hold], copies=max(self.augment, 3)
            )
            self._fit_combiner(xs, ys, flags)
        self.n_lines_ = len(X)
        self.fit_seconds_ = round(time.perf_counter() - t0, 2)
        if verbose:
            print(f"tagger fitted on {len(X)} lines in {self.fit_seconds_} s")
        return self

    def _fit_model(self, xs: list[str], ys: list[list[str]]) -> None:
        from scipy import sparse
        from sklearn.linear_model import SGDClassifier

        counts: dict[str, int] = {}
        for codes in ys:
            for c in codes:
                counts[c] = counts.get(c, 0) + 1
        classes = sorted(c for c, n in counts.items() if n >= 3)
        vec = self._vectorizer()
        Xm = vec.fit_transform(xs)
        col = {c: j for j, c in enumerate(classes)}
        Y = np.zeros((len(xs), len(classes)), dtype=np.int8)
        for i, codes in enumerate(ys):
            for c in codes:
                if c in col:
                    Y[i, col[c]] = 1
        coefs, intercepts = [], []
        for j in range(len(classes)):
            # logistic loss by SGD: ~0.1 s a code where liblinear takes ~1 s, same scores here
            lr = SGDClassifier(
                loss="log_loss",
                alpha=self.alpha,
                max_iter=15,
                tol=None,
                random_state=self.random_state,
            )
            lr.fit(Xm, Y[:, j])
            w = lr.coef_.ravel().astype(np.float32)
            w[np.abs(w) < 0.02] = 0.0  # sparse weights: small model, fast scoring
            coefs.append(sparse.csr_matrix(w))
            intercepts.append(float(lr.intercept_[0]))
        self.classes_ = classes
        self.model_ = {
            "vectorizer": vec,
            "W": sparse.vstack(coefs).T.tocsr() if coefs else None,
            "b": np.asarray(intercepts, dtype=np.float32),
        }

    def _fit_combiner(self, xs: list[str], ys: list[list[str]], flags: list[bool]) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        feats, target = [], []
        for line_cands, truth in zip(self._candidates(xs, flags), ys, strict=True):
            t = set(truth)
            for code, f in line_cands.items():
                if f is None:  # exact
                    continue
                feats.append(f)
                target.append(int(code in t))
        if len(set(target)) < 2:
            return
        # gradient boosting: the evidence is not additive (a 0.9 partial match means much for a
        # 20-letter form, nothing for a 5-letter one)
        gb = HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=10,
            random_state=self.random_state,
        )  # fmt: skip
        gb.fit(np.asarray(feats, dtype=np.float64), np.asarray(target))
        self.combiner_ = gb
        self.combiner_n_ = len(target)

    # -- candidates and features ------------------------------------------------------------
    def _model_scores(self, lines: Sequence[str]) -> tuple[list[dict[str, float]], Any]:
        """Per line the classes with probability ≥ model_cutoff, and a function p(i, code) for
        any other (line, class). Dense probabilities are made 4,096 lines at a time."""
        n = len(lines)
        if self.model_ is None or not self.classes_ or not n or not self.use_model:
            return [{} for _ in range(n)], lambda i, c: None
        Xm = self.model_["vectorizer"].transform(lines)
        W, b = self.model_["W"], self.model_["b"]
        out: list[dict[str, float]] = [{} for _ in range(n)]
        for start in range(0, n, 4096):
            z = (Xm[start : start + 4096] @ W).toarray() + b
            p = 1.0 / (1.0 + np.exp(-z))
            rows, cols = np.nonzero(p >= self.model_cutoff)
            for r, j in zip(rows.tolist(), cols.tolist(), strict=True):
                out[start + r][self.classes_[j]] = float(p[r, j])
        ci = self._class_index()
        Wc = W.tocsc()

        def p_of(i: int, code: str) -> float | None:
            j = ci.get(code)
            if j is None:
                return None
            z = float((Xm[i] @ Wc[:, j]).toarray()[0, 0]) + float(b[j])
            return 1.0 / (1.0 + math.exp(-z))

        return out, p_of

    def _candidates(
        self, lines: Sequence[str], ocr: Sequence[bool]
    ) -> list[dict[str, list[float] | None]]:
        """Per line: code -> None (exact match) or the feature vector of a non-exact candidate."""
        from rapidfuzz import fuzz

        lex = self.lexicon_
        n = len(lines)
        exact: list[set[str]] = []
        for line, o in zip(lines, ocr, strict=True):
            codes = set(exact_codes(line, self.taxonomy_name))
            if o:
                fixed = repair_ocr(line)
                codes |= exact_codes(fixed, self.taxonomy_name)
                codes |= exact_codes(_squeeze(fixed), self.taxonomy_name)
            exact.append(codes)
        scores, p_of = self._model_scores(lines)
        model_cands = [
            {c: v for c, v in d.items() if c not in ex} for d, ex in zip(scores, exact, strict=True)
        ]
        keys = [fuzzy_key(repair_ocr(x) if o else x) for x, o in zip(lines, ocr, strict=True)]
        # Fuzzy and morphological candidates for OCR text; for typed text only with ``typos``
        # (measured: no gain on the hand-written set, 15x slower), else only the classifier's
        # candidates are scored there.
        deep = [o or self.typos for o in ocr]
        fuzzy_cands: list[set[str]] = [set() for _ in range(n)]
        if self.use_fuzzy:
            for i in range(n):
                if not deep[i] or len(keys[i]) < MIN_FUZZY_KEY:
                    continue
                for k in lex.shortlist(keys[i]):
                    c = lex.key_code[k]
                    if c in exact[i] or c in fuzzy_cands[i]:
                        continue
                    score = fuzz.partial_ratio(lex.keys[k], keys[i])
                    if score >= self.fuzzy_cutoff and _partial_ok(lex.keys[k], keys[i], score):
                        fuzzy_cands[i].add(c)
        need_morph = [
            self.use_morph and deep[i] and bool(ocr[i] or model_cands[i] or fuzzy_cands[i])
            for i in range(n)
        ]
        phrases: list[list[str]] = [[] for _ in range(n)]
        idx = [i for i in range(n) if need_morph[i]]
        if idx:
            for i, ph in zip(idx, noun_phrases([lines[i] for i in idx]), strict=True):
                phrases[i] = [k for k in (fuzzy_key(p) for p in ph) if len(k) >= MIN_FUZZY_KEY]
        morph_cands: list[set[str]] = [set() for _ in range(n)]
        for i in range(n):
            if not deep[i]:
                continue
            for pk in phrases[i]:
                for k in lex.shortlist(pk):
                    key = lex.keys[k]
                    c = lex.key_code[k]
                    if c in exact[i] or abs(len(key) - len(pk)) > 0.25 * len(key):
                        continue
                    if fuzz.ratio(key, pk) >= self.fuzzy_cutoff:
                        morph_cands[i].add(c)

        out: list[dict[str, list[float] | None]] = []
        for i in range(n):
            d: dict[str, list[float] | None] = dict.fromkeys(exact[i])
            for c in set(model_cands[i]) | fuzzy_cands[i] | morph_cands[i]:
                d[c] = self._features(
                    c, keys[i], phrases[i], model_cands[i].get(c), ocr[i], p_of, i
                )
            out.append(d)
        return out

    def _features(
        self,
        code: str,
        line_key: str,
        phrases: list[str],
        p_model: float | None,
        ocr: bool,
        p_of: Any,
        i: int,
    ) -> list[float]:
        """Features of a non-exact candidate (see _FEATURES): the classifier's probability, the
        best partial (fuzzy) and whole-phrase (morph) similarity of the code's surface forms,
        how many letters those matches miss, the form's length and script, OCR or not."""
        from rapidfuzz import fuzz

        lex = self.lexicon_
        if p_model is None:
            p_model = p_of(i, code)
        best_f = best_m = 0.0
        edits_f = edits_m = 20.0
        latin = klen = 0.0
        for k in lex.code_keys.get(code, ()):
            key = lex.keys[k]
            f = fuzz.partial_ratio(key, line_key) / 100
            if not _partial_ok(key, line_key, f * 100):
                f = 0.0
            mm = max((fuzz.ratio(key, ph) / 100 for ph in phrases), default=0.0)
            if f and (1 - f) * len(key) < edits_f:
                edits_f = (1 - f) * len(key)
            if mm and (1 - mm) * len(key) < edits_m:
                edits_m = (1 - mm) * len(key)
            if max(f, mm) > max(best_f, best_m):
                latin, klen = float(lex.key_latin[k]), float(min(len(key), 30))
            best_f, best_m = max(best_f, f), max(best_m, mm)
        return [p_model or 0.0, best_f, best_m, edits_f, edits_m, float(ocr), latin, klen]

    def _class_index(self) -> dict[str, int]:
        ci = getattr(self, "_ci", None)
        if ci is None or len(ci) != len(self.classes_):
            ci = {c: j for j, c in enumerate(self.classes_)}
            self._ci = ci
        return ci

    # -- prediction ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "combiner_"):
            raise RuntimeError(
                "CompetencyTagger is not fitted; call fit(lines, labels) or use "
                "tagger.load_or_fit(cache_dir)"
            )

    def score_lines(
        self, lines: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> list[dict[str, float]]:
        """Per line: code -> score in [0, 1] for every candidate (exact matches 1.0)."""
        self._check_fitted()
        flags = _as_flags(ocr, len(lines))
        # identical lines are scored once (postings repeat phrases)
        uniq: dict[tuple[str, bool], int] = {}
        for line, o in zip(lines, flags, strict=True):
            uniq.setdefault((line, o), len(uniq))
        u_lines = [k[0] for k in uniq]
        u_flags = [k[1] for k in uniq]
        cands = self._candidates(u_lines, u_flags)
        scored: list[dict[str, float]] = [
            {c: 1.0 for c, f in d.items() if f is None} for d in cands
        ]
        rows = [(i, c, f) for i, d in enumerate(cands) for c, f in d.items() if f is not None]
        if rows:  # one batch through the combiner (a call costs ~15 ms, whatever its size)
            feats = np.asarray([f for _, _, f in rows], dtype=np.float64)
            if self.combiner_ is not None:
                p = self.combiner_.predict_proba(feats)[:, 1]
            else:
                p = np.max([feats[:, 0], feats[:, 1] ** 4, feats[:, 2] ** 4], axis=0)
            for (i, c, _), v in zip(rows, p.tolist(), strict=True):
                scored[i][c] = round(float(v), 4)
        return [scored[uniq[(line, o)]] for line, o in zip(lines, flags, strict=True)]

    def _backend(self) -> Any:
        if self.llm is None:
            return None
        if isinstance(self.llm, str):
            b = getattr(self, "_backend_obj", None)
            if b is None:
                from talentlib.postings import llm as llm_mod

                b = llm_mod.get_backend(self.llm)
                self._backend_obj = b
            return b
        return self.llm

    def mention_extractor(self) -> Any:
        """The open-vocabulary mention extractor over the same taxonomy (postings.mentions)."""
        from talentlib.postings.mentions import MentionExtractor

        return MentionExtractor(self.taxonomy_name)

    def tag_lines(
        self,
        lines: Sequence[str],
        ocr: bool | Sequence[bool] = False,
        *,
        fields: Sequence[str | None] | None = None,
        groups: Sequence[Any] | None = None,
        sections: Sequence[str] | None = None,
    ) -> tuple[list[list[str]], list[list[Any]], int]:
        """(codes kept per line, mentions per line, candidates sent to the LLM).

        ``decide_lines``, then, with ``open_vocab``, the mentions of each line
        (postings.mentions): codes that a homonym's field and cues read otherwise are dropped
        (ADC in a chip posting is no antibody), and codes that only morphological or fuzzy
        matching of a whole mention finds are added ("제어 설계" → 제어기 설계, "파이선" →
        Python). ``fields`` (the posting's field per line) and ``groups`` (posting ids: the
        lines around a line, within its posting, are its context) inform the homonyms."""
        flags = _as_flags(ocr, len(lines))
        _, kept, n_asked = self.decide_lines(lines, flags)
        if not self.get_params()["open_vocab"]:
            return kept, [[] for _ in lines], n_asked
        ext = self.mention_extractor()
        n = len(lines)
        fl = list(fields) if fields is not None else [None] * n
        gr = list(groups) if groups is not None else list(range(n))
        mentions = ext.transform(lines, fields=fl, ocr=flags, groups=gr, sections=sections)
        out: list[list[str]] = []
        for i, line in enumerate(lines):
            ctx = " ".join(lines[j] for j in (i - 1, i + 1) if 0 <= j < n and gr[j] == gr[i])
            rejected, _ = ext.rejected_codes(line, field=fl[i], context=ctx)
            codes = set(kept[i]) - rejected
            codes |= {m.code for m in mentions[i] if m.code and m.how != "exact"}
            out.append(sorted(codes))
        return out, mentions, n_asked

    def decide_lines(
        self, lines: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> tuple[list[dict[str, float]], list[list[str]], int]:
        """(scores per line, codes kept per line, number of candidates sent to the LLM).

        A candidate is kept when its score reaches ``threshold``; with an LLM backend, those in
        the ``uncertain`` band are kept exactly when the LLM picks them for their line. (Closed
        vocabulary: ``tag_lines`` adds the open-vocabulary mentions.)
        """
        scores = self.score_lines(lines, ocr)
        lo, hi = self.uncertain
        backend = self._backend()
        kept: list[list[str]] = []
        asks: list[tuple[int, list[str]]] = []
        for i, s in enumerate(scores):
            sure = [c for c, v in s.items() if v >= (hi if backend else self.threshold)]
            kept.append(sure)
            if backend is not None:
                unsure = sorted(c for c, v in s.items() if lo <= v < hi)
                if unsure:
                    asks.append((i, unsure))
        if asks:
            from talentlib.postings import llm as llm_mod

            lex = self.lexicon_
            try:
                picked = llm_mod.suggest_competencies(
                    backend,
                    [lines[i] for i, _ in asks],
                    [[lex.candidate(c) for c in cs] for _, cs in asks],
                    cache_dir=self.llm_cache_dir,
                )
            except Exception as e:  # noqa: BLE001 - the LLM adds recall; it never stops tagging
                import warnings

                warnings.warn(
                    f"LLM backend failed ({type(e).__name__}: {e}); using the threshold",
                    RuntimeWarning,
                    stacklevel=2,
                )
                picked = [[c for c in cs if scores[i][c] >= self.threshold] for i, cs in asks]
            for (i, cs), chosen in zip(asks, picked, strict=True):
                kept[i].extend(c for c in chosen if c in cs)
        return scores, [sorted(set(k)) for k in kept], sum(len(cs) for _, cs in asks)

    def predict_proba(
        self, texts: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> list[dict[str, float]]:
        """Per text (one or many lines): code -> max score over its lines."""
        flags = _as_flags(ocr, len(texts))
        lines, owner, lflags = _split(texts, flags)
        out: list[dict[str, float]] = [{} for _ in texts]
        for i, s in zip(owner, self.score_lines(lines, lflags), strict=True):
            for c, v in s.items():
                if v > out[i].get(c, -1.0):
                    out[i][c] = v
        return out

    def predict(self, texts: Sequence[str], ocr: bool | Sequence[bool] = False) -> list[list[str]]:
        """Per text: the sorted codes it asks for (``tag_lines``: with ``open_vocab`` also the
        codes of mentions matched through morphology or a typing slip, which ``predict_proba``
        does not score, and without the codes homonyms rule out)."""
        flags = _as_flags(ocr, len(texts))
        lines, owner, lflags = _split(texts, flags)
        out: list[set[str]] = [set() for _ in texts]
        kept, _, _ = self.tag_lines(lines, lflags, groups=owner)
        for i, codes in zip(owner, kept, strict=True):
            out[i].update(codes)
        return [sorted(s) for s in out]

    def uncertain_lines(
        self, texts: Sequence[str], ocr: bool | Sequence[bool] = False
    ) -> pl.DataFrame:
        """Candidates in the uncertain band (text index, line, code, score): what an LLM or a
        curator would look at."""
        flags = _as_flags(ocr, len(texts))
        lines, owner, lflags = _split(texts, flags)
        lo, hi = self.uncertain
        rows = [
            {"text_index": i, "line": line, "code": c, "score": v}
            for i, line, s in zip(owner, lines, self.score_lines(lines, lflags), strict=True)
            for c, v in s.items()
            if lo <= v < hi
        ]
        schema = {"text_index": pl.Int64, "line": pl.String, "code": pl.String, "score": pl.Float64}
        return pl.DataFrame(rows, schema=schema)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Pickle the fitted tagger atomically (joblib)."""
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            joblib.dump(self, tmp, compress=3)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @staticmethod
    def load(path: str | Path) -> CompetencyTagger:
        import joblib

        obj = joblib.load(path)
        if not isinstance(obj, CompetencyTagger):
            raise TypeError(f"{path} does not hold a CompetencyTagger")
        return obj

    def __repr__(self) -> str:
        fitted = "fitted" if hasattr(self, "combiner_") else "not fitted"
        return f"CompetencyTagger({self.taxonomy_name!r}, {fitted})"


def _model_text(s: str) -> str:
    """What the line classifier reads: normalised, Latin folded over OCR confusions."""
    return taxonomy.normalize_text(s).translate(_FOLD)


def _partial_ok(key: str, line_key: str, score: float) -> bool:
    """A partial match of a short key must be near-perfect: one slip in five letters is 80."""
    need = 100.0 if len(key) < MIN_FUZZY_KEY else 90.0 if len(key) < 8 else 80.0
    return score >= need


def _split(texts: Sequence[str], flags: Sequence[bool]) -> tuple[list[str], list[int], list[bool]]:
    lines, owner, lflags = [], [], []
    for i, (t, o) in enumerate(zip(texts, flags, strict=True)):
        for line in (t or "").splitlines():
            if line.strip():
                lines.append(line)
                owner.append(i)
                lflags.append(o)
    return lines, owner, lflags


# --------------------------------------------------------------------------------------------
# A fitted tagger, cached by taxonomy version
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    env = os.environ.get("TALENTLIB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "talentlib"


def load_or_fit(
    cache_dir: str | Path | None = None,
    *,
    n_postings: int = TRAINING_POSTINGS,
    seed: int = TRAINING_SEED,
    refit: bool = False,
    verbose: bool = False,
    **settings: Any,
) -> CompetencyTagger:
    """A tagger fitted on synthetic training lines, loaded from ``cache_dir/tagger/`` when a
    model for this taxonomy version, tagger version and settings is there (else trained, ~1 min
    on 2 cores, and saved). ``settings`` are CompetencyTagger arguments; ``llm`` is not part of
    the key (it is applied at prediction time)."""
    tagger = CompetencyTagger(**settings)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    import sklearn

    key = f"{tagger.fingerprint()}-n{n_postings}-s{seed}-sk{sklearn.__version__}"
    path = root / "tagger" / f"competency_tagger-{key}.joblib"
    if path.exists() and not refit:
        try:
            loaded = CompetencyTagger.load(path)
            loaded.llm, loaded.llm_cache_dir = tagger.llm, tagger.llm_cache_dir
            return loaded
        except Exception:  # noqa: BLE001 - an unreadable model is retrained
            pass
    from talentlib import training

    lines, labels = training.tagger_training_lines(n_postings, seed, tagger.taxonomy_name)
    tagger.fit(lines, labels, verbose=verbose)
    llm, llm_dir = tagger.llm, tagger.llm_cache_dir
    tagger.llm = None  # a backend object is not pickled with the model
    tagger.save(path)
    tagger.llm, tagger.llm_cache_dir = llm, llm_dir
    return tagger


# --------------------------------------------------------------------------------------------
# Over postings: sections → rules → tags
# --------------------------------------------------------------------------------------------

MENTION_TYPE = pl.Struct(
    {"text": pl.String, "norm": pl.String, "code": pl.String, "section": pl.String}
)
TAGS_SCHEMA = {
    "posting_id": pl.String,
    "competencies": pl.List(pl.String),
    "required": pl.List(pl.String),
    "preferred": pl.List(pl.String),
    "n_uncertain": pl.Int32,
    # open-vocabulary mentions: {text (masked), norm, code (null: not in the taxonomy), section
    # (duty, required, preferred)}, once per (norm, code), where first asked
    "mentions": pl.List(MENTION_TYPE),
}
_SECTION_RANK = {"duty": 0, "required": 1, "preferred": 2}


def tag_sections(
    sections: pl.DataFrame,
    tagger: CompetencyTagger,
    *,
    ocr_ids: Iterable[str] = (),
    body: Sequence[str] = BODY_SECTIONS,
    fields: Mapping[str, str | None] | None = None,
) -> pl.DataFrame:
    """Competencies per posting from ``postings.segment`` output: lines of the body sections are
    tagged; required = found in title/position/duties/requirements, preferred = only in 우대사항.
    ``ocr_ids`` are postings whose text came from OCR; ``fields`` (posting id → field code)
    decide homonyms. ``mentions`` lists every competency mention, with or without a code."""
    from talentlib.postings.mentions import mention_section

    ocr = set(ocr_ids)
    sections = _open_sections(sections, ocr)
    body_lines = sections.filter(pl.col("section").is_in(list(body)))
    pids = body_lines["posting_id"].to_list()
    secs = body_lines["section"].to_list()
    texts = body_lines["text"].to_list()
    line_fields = [(fields or {}).get(p) for p in pids]
    kept, line_mentions, _ = tagger.tag_lines(
        texts, [p in ocr for p in pids], fields=line_fields, groups=pids, sections=secs
    )
    req: dict[str, set[str]] = {}
    pref: dict[str, set[str]] = {}
    ments: dict[str, dict[tuple[str, str | None], dict[str, Any]]] = {}
    for pid, sec, text, codes, ms in zip(pids, secs, texts, kept, line_mentions, strict=True):
        (pref if sec == "preferred" else req).setdefault(pid, set()).update(codes)
        req.setdefault(pid, set())
        msec = mention_section(sec, text) or "duty"
        seen = ments.setdefault(pid, {})
        for m in ms:
            old = seen.get((m.norm, m.code))
            if old is None or _SECTION_RANK[msec] < _SECTION_RANK[old["section"]]:
                seen[(m.norm, m.code)] = {"text": m.text, "norm": m.norm, "code": m.code,
                                          "section": msec}  # fmt: skip
    lo, hi = tagger.uncertain
    all_ids = list(dict.fromkeys(sections["posting_id"].to_list()))
    rows = []
    for pid in all_ids:
        r = req.get(pid, set())
        p = pref.get(pid, set()) - r
        rows.append(
            {
                "posting_id": pid,
                "competencies": sorted(r | p),
                "required": sorted(r),
                "preferred": sorted(p),
                "n_uncertain": 0,
                "mentions": list(ments.get(pid, {}).values()),
            }
        )
    return pl.DataFrame(rows, schema=TAGS_SCHEMA)


# A company blurb is prose: lines that end like a sentence (…입니다. …있어요. "… abroad.").
_SENTENCE_END = re.compile(r"(?:다|요|죠)\s*[.!]?\s*$|[.!?]\s*$")


def _is_prose(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.strip()))


def _heading_like(text: str) -> bool:
    core = re.sub(r"[^0-9A-Za-z가-힣]", "", text)
    return 0 < len(core) <= 12 and not _is_prose(text)


def _open_sections(sections: pl.DataFrame, ocr: set[str]) -> pl.DataFrame:
    """Which lines of the blurb sections to tag. Prose in "other" and 회사소개 is company blurb
    and is dropped ("section" → "company"); item-like lines there are kept as "other": a table
    flattened into one line ("QC(분석) / HPLC, ELISA … / 약학 전공 …"), or the position and
    duties running on inside 회사소개 because OCR garbled the heading after the blurb
    (모집부문 → "eo 부문"). In OCR text a short heading-shaped line in 회사소개 reopens
    tagging for the rest of the section."""
    secs = sections["section"].to_list()
    pids = sections["posting_id"].to_list()
    texts = sections["text"].to_list()
    out = list(secs)
    prev, seen, reopened = None, 0, False
    for i, (pid, sec, text) in enumerate(zip(pids, secs, texts, strict=True)):
        if (pid, sec) != prev:
            seen, reopened = 0, False
            prev = (pid, sec)
        if sec not in ("company", "other"):
            continue
        if sec == "company" and pid in ocr and (reopened or (seen and _heading_like(text))):
            reopened = True
            out[i] = "other"
        elif sec == "company" and pid not in ocr:
            # Typed text: segmentation ends the intro at the next heading (known, joined or
            # heading-shaped) and files flattened tables and a one-line "회사소개 : …" elsewhere,
            # so what it leaves under 회사소개 is the intro, bullets included: never tagged.
            out[i] = "company"
        elif _is_prose(text):
            out[i] = "company"
        else:
            out[i] = "other"
        seen += 1
    return sections.with_columns(pl.Series("section", out, dtype=pl.String))


def extract(
    postings: pl.DataFrame,
    tagger: CompetencyTagger | None = None,
    *,
    cache_dir: str | Path | None = None,
) -> pl.DataFrame:
    """Rules and competencies per posting from ingested postings (``ingest_folder(...).postings``:
    posting_id, text, method; an optional field_code column lets the posting's field decide
    homonyms). One row per posting: the rules.extract_rules columns plus competencies,
    required, preferred and mentions (open vocabulary, see tag_sections).

    With ``cache_dir`` each posting's result is cached by the hash of its text and reading
    method and the versions of sections, rules and tagger (one JSON entry per posting), and the
    whole batch once more as one Parquet file, so re-running the same batch reads one file."""
    from talentlib import io
    from talentlib.postings.cache import Cache
    from talentlib.postings.rules import RULES_SCHEMA, RULES_VERSION, extract_rules
    from talentlib.postings.sections import _vocab, segment

    tagger = tagger if tagger is not None else load_or_fit(cache_dir)
    method = postings["method"] if "method" in postings.columns else None
    field = postings["field_code"] if "field_code" in postings.columns else None
    frame = postings.select("posting_id", "text").with_columns(
        (method if method is not None else pl.lit("text")).fill_null("text").alias("method"),
        (field if field is not None else pl.lit(None, pl.String)).cast(pl.String).alias("field"),
    )
    version = f"{TAGGER_VERSION}|{tagger.fingerprint()}|rules{RULES_VERSION}|sec{_vocab().version}"
    if tagger.get_params()["open_vocab"]:
        version += f"|mentions={tagger.mention_extractor().fingerprint()}"
    if tagger.llm is not None:
        b = tagger._backend()
        version += f"|llm={getattr(b, 'name', b)}:{getattr(b, 'prompt_version', '')}"
    schema = {**RULES_SCHEMA, **{k: v for k, v in TAGS_SCHEMA.items() if k != "posting_id"}}
    ids = frame["posting_id"].to_list()
    shas = [
        hashlib.sha256(f"{m}\x1f{f or ''}\x1f{t or ''}".encode()).hexdigest()
        for t, m, f in zip(frame["text"].to_list(), frame["method"].to_list(),
                           frame["field"].to_list(), strict=True)  # fmt: skip
    ]
    batch_path = None
    if cache_dir is not None:
        key = hashlib.sha256("\n".join([version, *shas]).encode()).hexdigest()
        batch_path = Path(cache_dir) / "extract_batches" / f"{key}.parquet"
        if batch_path.exists():
            try:
                got = pl.read_parquet(batch_path)
                if got.height == len(ids):
                    return got.with_columns(pl.Series("posting_id", ids, pl.String)).select(
                        list(schema)
                    )
            except Exception:  # noqa: BLE001 - an unreadable batch file is a miss
                pass
    cache = Cache(cache_dir) if cache_dir is not None else None
    done: list[dict[str, Any]] = []
    todo: list[tuple[str, str, str, str]] = []
    field_of = dict(zip(ids, frame["field"].to_list(), strict=True))
    for pid, text, meth, sha in zip(ids, frame["text"], frame["method"], shas, strict=True):
        hit = cache.get(sha, "extract", version) if cache is not None else None
        if hit is not None:
            done.append({**hit, "posting_id": pid})
        else:
            todo.append((pid, text or "", meth, sha))
    if todo:
        todo_frame = pl.DataFrame(
            {"posting_id": [t[0] for t in todo], "text": [t[1] for t in todo]}
        )
        seg = segment(todo_frame)
        rules = extract_rules(seg)
        tags = tag_sections(
            seg, tagger, ocr_ids=[t[0] for t in todo if t[2] == "ocr"], fields=field_of
        )
        fresh = (
            todo_frame.select("posting_id")
            .join(rules, on="posting_id", how="left")
            .join(tags, on="posting_id", how="left")
            .with_columns(
                pl.col(c).fill_null([])
                for c in ("competencies", "required", "preferred", "mentions")
            )
        )
        sha_of = {t[0]: t[3] for t in todo}
        for row in fresh.to_dicts():
            done.append(row)
            if cache is not None:
                value = {k: v for k, v in row.items() if k != "posting_id"}
                cache.put(sha_of[row["posting_id"]], "extract", version, value)
    order = {pid: i for i, pid in enumerate(ids)}
    done.sort(key=lambda r: order[r["posting_id"]])
    out = pl.DataFrame(done, schema=schema).select(list(schema))
    if batch_path is not None:
        io.write_parquet_atomic(out.drop("posting_id"), batch_path)
    return out
