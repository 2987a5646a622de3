"""Open-vocabulary competency mentions: what each duty, requirement and preference line asks
for, mapped to a competency code when the taxonomy has one and kept as an unmapped mention
(with a normalised form) when it has none. (From the unmapped ones, ``postings.suggest`` makes
suggestions for the taxonomy's curators: ``talent taxonomy suggest``.)

    ext = MentionExtractor()
    ext.line_mentions("- 양극/음극재 개발 및 제어 설계 경험", field="BATT")
    # [Mention(text='양극재', norm='양극재', code='BATT-CATH', …),
    #  Mention(text='음극재', norm='음극재', code='BATT-ANOD', …),
    #  Mention(text='제어 설계', norm='제어 설계', code='C-CTRL', …)]

A line is cut into noun runs with kiwipiepy (Latin terms stay whole: "C/C++", "SI/PI",
"AEC-Q100"); stop-phrases (경험, 능력, 우대, 이해, 보유자, 관련 …) are cut; coordinated forms are
split ("양극/음극재" → 양극재 + 음극재, "Perl/shell/tcl" → three, "A 및 B 설계" → A 설계 + B 설계).
Each mention is mapped by the reference matcher (exact), then by morphology (noun suffixes such
as 기 dropped on both sides: "제어 설계" ~ "제어기 설계"), then by rapidfuzz on jamo keys
("파이선" ~ "파이썬"). Homonyms (ADC, EMC, validation, …) are decided by the posting's field and
cue words nearby. Word lists and cut-offs are data (``mentions.yaml``, ``homonyms.yaml``); the
cut-offs were chosen on ``tests/fixtures/postings_dev``. Mention texts are masked with
``talentlib.pii.mask_pii``.

Why one module: cutting a line into mentions (units, runs, coordinated forms) and mapping each
to a code (exact, morphology, typing slips, homonyms) work on the same units through one
per-taxonomy state (``_State``: matcher, morphology and typo indexes); split, those private
pieces would cross modules. The curators' suggestions built on it are ``postings.suggest``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from talentlib import taxonomy

__all__ = [
    "MENTIONS_VERSION",
    "MENTION_SECTIONS",
    "Homonym",
    "Mention",
    "MentionExtractor",
    "fuzzy_equal",
    "has_homonym",
    "homonyms",
    "neighbours",
    "mention_section",
    "normalize_mention",
    "settings",
    "typo_equal",
]

MENTIONS_VERSION = "1"
# Posting sections (postings.sections) → the section of a mention, as in the labelled sets.
MENTION_SECTIONS = {
    "other": "duty",
    "position": "duty",
    "duties": "duty",
    "requirements": "required",
    "preferred": "preferred",
}
_HERE = Path(__file__).resolve().parent
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z]")
_BULLET = re.compile(
    r"^\s*(?:[-–—•·∙○●◎▶▷►■□◆◇※*>+✔✓☞]+|\(?\d{1,2}[.)]|[가-하][.)]|\[\d+\]|[①-⑳])\s*"
)
# A unit that only measures or counts ("10bit", "28nm", "46파이", "3년") qualifies a mention.
_MEASURE = re.compile(
    r"^\d+(?:[.,]\d+)?(?:bit|비트|nm|um|μm|mm|cm|m|v|kv|w|kw|mw|ma|ah|mah|wh|kwh|hz|khz|mhz|"
    r"ghz|파이|인치|층|종|년|년차|개|명|세대|gen|%|x|배|차|회|건|개월|시간|일)?$",
    re.I,
)
# The marks talentlib.pii.mask_pii leaves in masked text ([전화번호], [이메일] …) are no mentions.
_PII_MARKS = re.compile(r"\[(?:전화번호|이메일|주민등록번호|이름)\]")
_NOUN = frozenset({"NNG", "NNP", "NR", "SL", "SH", "SN", "XSN", "XPN", "XR", "W_SERIAL"})
_JOIN = frozenset({"/", "·", "ㆍ", "-", "+", "++", "#", "&", ".", "_"})
_COORD_CHARS = ("/", "·", "ㆍ")
_SPACES, _WORD, _NOT_WORD = re.compile(r"\s+"), re.compile(r"\S+"), re.compile(r"[\W_]")


# --------------------------------------------------------------------------------------------
# Settings and homonyms (data files beside this module)
# --------------------------------------------------------------------------------------------


def _load_yaml(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    """mentions.yaml: word lists and the mapping cut-offs."""
    return _load_yaml(_HERE / "mentions.yaml")


@dataclass(frozen=True)
class Reading:
    """One meaning of a homonym: its code (None: no code), name, usual fields and cue words."""

    code: str | None
    norm: str
    fields: tuple[str, ...]
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Homonym:
    """A surface form with several meanings across fields (homonyms.yaml)."""

    form: str
    readings: tuple[Reading, ...]

    @property
    def key(self) -> str:
        return taxonomy.normalize_text(self.form)


def unknown_homonym_codes() -> list[str]:
    """Codes named in homonyms.yaml that the competency taxonomy does not have (a test keeps
    this empty; at run time such a reading counts as one without a code)."""
    known = taxonomy.codes("competencies")
    data = _load_yaml(_HERE / "homonyms.yaml")
    return sorted(
        {str(r["code"]) for h in data.get("homonyms") or [] for r in h["readings"]
         if r.get("code") is not None and r["code"] not in known}
    )  # fmt: skip


@lru_cache(maxsize=1)
def homonyms() -> tuple[Homonym, ...]:
    """homonyms.yaml; a reading whose code the taxonomy lacks counts as one without a code."""
    path = _HERE / "homonyms.yaml"
    data = _load_yaml(path)
    known = taxonomy.codes("competencies")
    out = []
    for h in data.get("homonyms") or []:
        readings = []
        for r in h["readings"]:
            code = r.get("code")
            code = code if code in known else None
            readings.append(
                Reading(
                    code=code,
                    norm=str(r.get("norm") or h["form"]).lower(),
                    fields=tuple(r.get("fields") or ()),
                    cues=tuple(str(c) for c in r.get("cues") or ()),
                )
            )
        out.append(Homonym(form=str(h["form"]), readings=tuple(readings)))
    return tuple(out)


def _data_fingerprint() -> str:
    body = json.dumps(
        {"v": MENTIONS_VERSION, "settings": settings(),
         "homonyms": [asdict(h) for h in homonyms()]},
        sort_keys=True, ensure_ascii=False, default=str,
    )  # fmt: skip
    return hashlib.sha256(body.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def normalize_mention(text: str) -> str:
    """The normalised form of a mention: NFKC, lower case, single spaces, edge punctuation off
    ("MATLAB/Simulink" → "matlab/simulink"; slashes and hyphens stay, unlike normalize_text)."""
    s = unicodedata.normalize("NFKC", text).lower()
    s = _SPACES.sub(" ", s)
    return s.strip(" \t-–—·ㆍ,.;:()[]{}<>\"'*/|")


def mention_section(section: str, line: str = "") -> str | None:
    """duty / required / preferred for a line of a posting section (None: not a body section);
    a requirement line that says 우대 is a preference."""
    out = MENTION_SECTIONS.get(section)
    if out == "required" and "우대" in line:
        return "preferred"
    return out


def mention_key(text: str) -> str:
    from talentlib.postings.lexicon import fuzzy_key

    return fuzzy_key(text)


def fuzzy_equal(a: str, b: str, cutoff: float = 85.0) -> bool:
    """Whether two mention norms name the same thing allowing for spelling: equal keys (no
    spaces or punctuation, jamo, OCR folds), or a rapidfuzz ratio of the keys ≥ ``cutoff``."""
    from rapidfuzz import fuzz

    ka, kb = mention_key(a), mention_key(b)
    if not ka or not kb:
        return False
    return ka == kb or fuzz.ratio(ka, kb) >= cutoff


def _form_regex(form: str) -> re.Pattern[str]:
    """A surface form as the matcher reads it: on normalize_text, Hangul spaces optional,
    Latin at word boundaries."""
    norm = taxonomy.normalize_text(form)
    parts = []
    for ch in norm:
        parts.append(r" ?" if ch == " " else re.escape(ch))
    body = "".join(parts)
    if re.match(r"[a-z0-9]", norm):
        body = r"(?<![a-z0-9])" + body
    if re.search(r"[a-z0-9]$", norm):
        body += r"(?:e?s)?(?![a-z0-9])"
    return re.compile(body)


@lru_cache(maxsize=4096)
def _cue_regex(cue: str) -> re.Pattern[str]:
    return _form_regex(cue)


# --------------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A competency mention of one line: as written (masked), normalised, its code (None:
    unmapped) and how it was mapped (exact, morph, fuzzy, homonym, none)."""

    text: str
    norm: str
    code: str | None
    how: str
    start: int = -1
    end: int = -1


@dataclass
class _Unit:
    text: str
    start: int
    end: int
    toks: list[tuple[str, str]]  # (form as written, tag)


@dataclass
class _Run:
    units: list[_Unit]
    before: str  # what precedes: "start", "conj", "open", "break"
    paren: bool  # inside parentheses


@lru_cache(maxsize=2)
def _analyser(name: str = "competencies") -> Any:
    """A kiwipiepy analyser that knows the taxonomy's Hangul words as nouns, so that 칼만 필터
    is not read as 칼 + 만 (its own instance: the tagger's word boundaries stay as they were)."""
    from kiwipiepy import Kiwi

    from talentlib.postings.matcher import surface_forms

    kiwi = Kiwi(num_workers=1)
    words = {
        w
        for forms in surface_forms(name).values()
        for f in forms
        for w in unicodedata.normalize("NFKC", f).split()
        if len(w) >= 2 and re.fullmatch(r"[\uac00-\ud7a3]+", w)
    }
    for w in sorted(words):
        kiwi.add_user_word(w, "NNP", 0.0)
    return kiwi


# Tags of the characters of a word without Hangul (kiwipiepy's tag set).
_PUNCT_TAG = {"(": "SSO", "[": "SSO", "{": "SSO", "<": "SSO", ")": "SSC", "]": "SSC", "}": "SSC",
              ">": "SSC", "/": "SP", ",": "SP", "·": "SP", "ㆍ": "SP", ":": "SP", ";": "SP",
              "-": "SO", "~": "SO", "+": "SW", "#": "SW", "&": "SW", ".": "SF", "!": "SF",
              "?": "SF"}  # fmt: skip
_STRAY = frozenset({"MAG", "MM", "IC", "NA", "UN", "XR", "NNB"})
_NON_HANGUL_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+(?:\.[0-9]+)?|\+\+|\S")


@lru_cache(maxsize=200_000)
def _word_tokens(word: str, name: str) -> tuple[tuple[str, str, int, int], ...]:
    """Tokens of one space-separated word: kiwipiepy for a word with Hangul (cached by word:
    words repeat far more than lines), a regular expression for Latin, digits and signs."""
    if _HANGUL.search(word):
        toks = [
            (word[t.start : t.start + t.len], t.tag, t.start, t.start + t.len)
            for t in _analyser(name).tokenize(word)
        ]
        # an unknown compound read in pieces ("퀀텀글루" → 퀀텀 + 글루/adverb) stays one noun
        for i in range(1, len(toks)):
            f, tag, a, b = toks[i]
            if tag in _STRAY and toks[i - 1][1] in _NOUN and toks[i - 1][3] == a:
                toks[i] = (f, "NNG", a, b)
        return tuple(toks)
    out = []
    for m in _NON_HANGUL_TOKEN.finditer(word):
        tok = m.group(0)
        tag = ("SL" if tok[0].isalpha() and tok.isascii() else "SN" if tok[0].isdigit()
               else "SW" if tok == "++" else _PUNCT_TAG.get(tok, "SW"))  # fmt: skip
        out.append((tok, tag, m.start(), m.end()))
    return tuple(out)


def _tokens(line: str, name: str = "competencies") -> list[tuple[str, str, int, int]]:
    """Tokens of a line (form as written, tag, start, end), word by word."""
    out = []
    for m in _WORD.finditer(line):
        base = m.start()
        for f, t, s, e in _word_tokens(m.group(0), name):
            out.append((f, t, base + s, base + e))
    return out


class MentionExtractor:
    """Competency mentions of posting lines (scikit-learn shape: settings in the constructor,
    no work there; the word lists and cut-offs default to ``mentions.yaml``).

    ``line_mentions(line, field=..., context=...)`` gives one line's mentions;
    ``transform(lines, fields=..., ocr=...)`` many lines (with their neighbours as context for
    the homonyms); ``map(text)`` maps one phrase to (code, how).
    """

    def __init__(
        self,
        taxonomy_name: str = "competencies",
        *,
        fuzzy: bool = True,
        morph: bool = True,
        homonyms: bool = True,
    ) -> None:
        self.taxonomy_name = taxonomy_name
        self.fuzzy = fuzzy
        self.morph = morph
        self.homonyms = homonyms

    # -- settings --------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {k: getattr(self, k) for k in names}

    def fingerprint(self) -> str:
        """What changes the mentions: version, data files, taxonomy version, settings."""
        body = json.dumps(
            {"data": _data_fingerprint(), "taxonomy": taxonomy.version(self.taxonomy_name),
             **self.get_params()},
            sort_keys=True, default=str,
        )  # fmt: skip
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    # -- public verbs ----------------------------------------------------------------------
    def line_mentions(
        self,
        line: str,
        *,
        field: str | None = None,
        context: Context = "",
        ocr: bool = False,
    ) -> list[Mention]:
        """The mentions of one line; ``context`` (neighbouring lines, or a function that gives
        them: called only when a homonym is to be decided) and ``field`` decide homonyms."""
        base = _base_mentions(self._state(), line, ocr)
        if not self.homonyms or not base:
            return list(base)
        return self._decide_homonyms(base, line, field, context)

    def transform(
        self,
        lines: Sequence[str],
        *,
        fields: Sequence[str | None] | None = None,
        ocr: bool | Sequence[bool] = False,
        groups: Sequence[Any] | None = None,
        sections: Sequence[str] | None = None,
    ) -> list[list[Mention]]:
        """Mentions per line. ``groups`` (e.g. posting ids) bound the context: a line's
        neighbours count as context only within its group. With ``sections`` (postings.segment
        names), lines of "other" (title, text before the first heading: company names, site
        menus) keep only their mapped mentions."""
        n = len(lines)
        flags = [bool(ocr)] * n if isinstance(ocr, bool) else [bool(x) for x in ocr]
        fl = list(fields) if fields is not None else [None] * n
        gr = list(groups) if groups is not None else [0] * n
        out = []
        for i, line in enumerate(lines):
            ms = self.line_mentions(
                line, field=fl[i], context=neighbours(lines, gr, i), ocr=flags[i]
            )
            if sections is not None and sections[i] == "other":
                ms = [m for m in ms if m.code is not None]
            out.append(ms)
        return out

    def map(self, text: str, *, field: str | None = None, context: str = "",
            ocr: bool = False) -> tuple[str | None, str]:  # fmt: skip
        """(code or None, how) of one phrase read as a whole mention."""
        st = self._state()
        code, how = _map_phrase(st, text, ocr)
        m = Mention(text=text, norm=normalize_mention(text), code=code, how=how)
        if self.homonyms:
            m = self._decide_homonyms((m,), text, field, context)[0]
        return m.code, m.how

    # -- homonyms --------------------------------------------------------------------------
    def _decide_homonyms(
        self, base: Sequence[Mention], line: str, field: str | None, context: Context
    ) -> list[Mention]:
        out = []
        for m in base:
            h = _homonym_in(m.text)
            if h is None:
                out.append(m)
                continue
            hom, default_code = h
            if m.code is not None and m.code != default_code:
                out.append(m)  # a longer form named it ("ADC 설계"): nothing to decide
                continue
            reading = decide_reading(hom, f"{line} {_text(context)}", field)
            own = taxonomy.normalize_text(m.text).replace(" ", "") == hom.key.replace(" ", "")
            norm = reading.norm if own or reading.code is None else m.norm
            out.append(Mention(m.text, norm, reading.code, "homonym", m.start, m.end))
        return out

    def rejected_codes(
        self, line: str, *, field: str | None = None, context: Context = ""
    ) -> tuple[set[str], set[str]]:
        """(codes a line's homonyms rule out, codes they put in): the taxonomy's reading of a
        homonym form that the field and cues read otherwise, unless the line names that code
        elsewhere too."""
        if not self.homonyms:
            return set(), set()
        out: set[str] = set()
        add: set[str] = set()
        if not has_homonym(line):
            return out, add
        norm = taxonomy.normalize_text(line)
        for hom, pat, default in _homonym_patterns():
            spans = [m.span() for m in pat.finditer(norm)]
            if not spans:
                continue
            reading = decide_reading(hom, f"{line} {_text(context)}", field)
            if reading.code is not None:
                add.add(reading.code)
            if default is None or reading.code == default:
                continue
            blanked = norm
            for s, e in spans:
                blanked = blanked[:s] + " " * (e - s) + blanked[e:]
            # a longer form over the homonym names something else ("adc 설계"): not this code
            longer = [
                (c, s, e) for c, s, e in _matcher(self.taxonomy_name).find(norm)
                if c == default and any(s <= a and b <= e and (e - s) > (b - a) for a, b in spans)
            ]  # fmt: skip
            if longer:
                continue
            from talentlib.postings.lexicon import exact_codes

            if default not in exact_codes(blanked, self.taxonomy_name):
                out.add(default)
        return out, add - out

    # -- state shared by the cached functions ---------------------------------------------
    def _state(self) -> _State:
        return _state(self.taxonomy_name, self.fuzzy, self.morph)

    def __repr__(self) -> str:
        return f"MentionExtractor({self.taxonomy_name!r})"


def decide_reading(hom: Homonym, context: str, field: str | None) -> Reading:
    """The reading of a homonym: 2 points per cue in ``context`` (the form itself does not
    count), 1 when ``field`` is one of the reading's fields; ties keep the first reading."""
    norm = taxonomy.normalize_text(context)
    own = _form_regex(hom.form)
    norm = own.sub(" ", norm)
    best, best_score = hom.readings[0], -1
    for r in hom.readings:
        score = sum(2 for c in r.cues if _cue_regex(c).search(norm))
        score += 1 if field is not None and field in r.fields else 0
        if score > best_score:
            best, best_score = r, score
    return best


@lru_cache(maxsize=1)
def _homonym_patterns() -> tuple[tuple[Homonym, re.Pattern[str], str | None], ...]:
    m = _matcher("competencies")
    out = []
    for h in homonyms():
        found = m.find(h.form)
        default = found[0][0] if len(found) == 1 else None
        out.append((h, _form_regex(h.form), default))
    return tuple(out)


@lru_cache(maxsize=1)
def _any_homonym() -> re.Pattern[str]:
    """One pattern for all homonym forms: most lines have none, and one search says so."""
    return re.compile("|".join(f"(?:{p.pattern})" for _, p, _ in _homonym_patterns()) or "(?!)")


# a line's context: its neighbouring lines, or a function that gives them when a homonym needs
# them (most lines have none, and joining neighbours for every line was a measurable cost)
Context = str | Callable[[], str]


def _text(context: Context) -> str:
    return context() if callable(context) else context


def neighbours(lines: Sequence[str], groups: Sequence[Any], i: int) -> Callable[[], str]:
    """The context of line ``i``: the lines before and after it within its group (a posting),
    joined when asked for."""
    n = len(lines)
    return lambda: " ".join(
        lines[j] for j in (i - 1, i + 1) if 0 <= j < n and groups[j] == groups[i]
    )


@lru_cache(maxsize=65536)
def has_homonym(text: str) -> bool:
    """Whether a homonym form is in ``text`` (cached: lines and mentions repeat)."""
    return _any_homonym().search(taxonomy.normalize_text(text)) is not None


def _homonym_in(text: str) -> tuple[Homonym, str | None] | None:
    if not has_homonym(text):
        return None
    norm = taxonomy.normalize_text(text)
    for h, pat, default in _homonym_patterns():
        if pat.search(norm):
            return h, default
    return None


def _matcher(name: str) -> Any:
    from talentlib.postings.matcher import competency_matcher

    return competency_matcher(name)


# --------------------------------------------------------------------------------------------
# Cached work: cutting a line, mapping a phrase
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    taxonomy_name: str
    fuzzy: bool
    morph: bool


@lru_cache(maxsize=16)
def _state(name: str, fuzzy: bool, morph: bool) -> _State:
    return _State(name, fuzzy, morph)


@lru_cache(maxsize=1)
def _words() -> dict[str, frozenset[str]]:
    s = settings()
    return {
        k: frozenset(str(w).lower() for w in s.get(k) or ())
        for k in ("stop_words", "generic", "trailing_actions", "conjunctions", "keep_together",
                  "suffixes", "shared_suffixes", "shared_heads")
    }  # fmt: skip


def _is_stop(u: _Unit) -> bool:
    return u.text.lower() in _words()["stop_words"]


def _trim_unit(u: _Unit) -> _Unit | None:
    """Cut stop tokens glued to a unit ("설계경험" → 설계, "경력자" → none)."""
    stop = _words()["stop_words"]
    toks = list(u.toks)
    start, end = u.start, u.end
    while toks and (toks[-1][0].lower() in stop or toks[-1][1] in ("XSN",) and len(toks) == 1):
        end -= len(toks[-1][0])
        toks.pop()
    while toks and toks[0][0].lower() in stop:
        start += len(toks[0][0])
        toks.pop(0)
    if not toks:
        return None
    text = "".join(t for t, _ in toks)
    if text.lower() in stop:
        return None
    return _Unit(text, start, end, toks)


def _runs(line: str, name: str = "competencies") -> list[_Run]:
    """Noun runs of a line, with what precedes each (a conjunction, an opening bracket)."""
    toks = _tokens(line, name)
    conj = _words()["conjunctions"]
    runs: list[_Run] = []
    cur: list[_Unit] = []
    before, paren, depth = "start", False, 0
    unit: _Unit | None = None
    prev_end = -1

    def close_unit() -> None:
        nonlocal unit
        if unit is not None:
            # a trailing joiner is no part of the unit ("C/" at a line break)
            while unit.toks and unit.toks[-1][0] in _JOIN - {"+", "++", "#"}:
                unit.end -= len(unit.toks[-1][0])
                unit.toks.pop()
            if unit.toks:
                unit.text = line[unit.start : unit.end]
                cur.append(unit)
            unit = None

    def close_run(next_before: str) -> None:
        nonlocal cur, before, paren
        close_unit()
        if cur:
            runs.append(_Run(cur, before, paren))
        cur = []
        before, paren = next_before, depth > 0

    for i, (form, tag, s, e) in enumerate(toks):
        glued = s == prev_end
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tag in _NOUN:
            if unit is not None and glued:
                unit.toks.append((form, tag))
                unit.end = e
            else:
                close_unit()
                unit = _Unit(form, s, e, [(form, tag)])
        elif (
            form in _JOIN
            and unit is not None
            and glued
            and nxt is not None
            and nxt[2] == e
            and nxt[1] in _NOUN
        ):
            unit.toks.append((form, tag))
            unit.end = e
        elif form in ("+", "++", "#") and unit is not None and glued:
            unit.toks.append((form, tag))  # C++, C#
            unit.end = e
        elif tag == "SSO":
            depth += 1
            close_run("open")
            paren = True
        elif tag == "SSC":
            depth = max(0, depth - 1)
            close_run("close")
        elif form.lower() in conj or tag == "JC" or form in (",", ";", "、", "/", "·", "ㆍ"):
            close_run("conj")
        else:
            close_run("break")
        prev_end = e
    close_run("end")
    return runs


def _split_unit(u: _Unit, keep: bool) -> list[str]:
    """A unit's coordinated parts: "양극/음극재" → 양극재, 음극재; "Perl/shell/tcl" → three."""
    if keep or not any(c in u.text for c in _COORD_CHARS):
        return [u.text]
    parts = [p for p in re.split(r"[/·ㆍ]", u.text) if p.strip()]
    if len(parts) < 2 or any(len(p) <= 1 and not _HANGUL.search(p) for p in parts):
        return [u.text]  # "Gen4/5", "A/S": one term
    if all(p.isdigit() or len(p) == 1 for p in parts[1:]):
        return [u.text]
    last = parts[-1]
    for suf in sorted(_words()["shared_suffixes"], key=len, reverse=True):
        if (
            _HANGUL.search(last)
            and last.endswith(suf)
            and len(last) > len(suf) + 1
            and not any(p.endswith(suf) for p in parts[:-1])
            and all(_HANGUL.search(p) for p in parts[:-1])
        ):
            parts = [p + suf for p in parts[:-1]] + [last]
            break
    return parts


def _keep_together(text: str, name: str) -> bool:
    low = text.lower()
    if low in _words()["keep_together"]:
        return True
    norm = taxonomy.normalize_text(text)
    found = _matcher(name).find(norm)
    return any(s == 0 and e >= len(norm) - 1 for _, s, e in found)


@lru_cache(maxsize=100_000)
def _base_mentions(st: _State, line: str, ocr: bool) -> tuple[Mention, ...]:
    """A line's mentions before homonyms are decided (cached: postings repeat lines)."""
    from talentlib.pii import mask_pii

    text = _PII_MARKS.sub(lambda m: " " * len(m.group(0)), unicodedata.normalize("NFKC", line))
    if ocr:
        from talentlib.postings.lexicon import repair_ocr

        text = repair_ocr(text)
    has_pii = mask_pii(text) != text
    m = _BULLET.match(text)
    offset = m.end() if m else 0
    body = text[offset:]
    if not body.strip():
        return ()
    w = _words()
    # text, start, end, in brackets, index of the head before the brackets, only generic words
    cands: list[tuple[str, int, int, bool, int, bool]] = []
    runs = _runs(body, st.taxonomy_name)
    prev_run_idx: int | None = None
    prev_run_end = 0
    for run in runs:
        # split at stop words inside the run; cut them at the edges
        segs: list[list[_Unit]] = [[]]
        for u in run.units:
            if _is_stop(u):
                segs.append([])
                continue
            t = _trim_unit(u)
            if t is None:
                segs.append([])
                continue
            segs[-1].append(t)
            if len(t.toks) < len(u.toks) and t.end < u.end:
                segs.append([])  # a stop word was glued after it: the run ends here
        head_idx = len(cands) - 1 if run.paren and run.before == "open" else -1
        first_of_run = len(cands)
        for seg in segs:
            while seg and _MEASURE.match(seg[0].text) and len(seg) > 1:
                seg = seg[1:]
            while seg and _MEASURE.match(seg[-1].text):
                seg = seg[:-1]
            while len(seg) > 1 and seg[-1].text.lower() in w["trailing_actions"]:
                seg = seg[:-1]
            if not seg:
                continue
            generic = all(u.text.lower() in w["generic"] or _MEASURE.match(u.text) for u in seg)
            if generic and len(seg) == 1:
                continue
            # coordination inside a unit: distribute the rest of the run over its parts
            pieces: list[str] = []
            for u in seg:
                if not any(c in u.text for c in _COORD_CHARS):
                    continue
                whole = body[seg[0].start : seg[-1].end]
                keep = _keep_together(whole, st.taxonomy_name) or _keep_together(
                    u.text, st.taxonomy_name
                )
                parts = _split_unit(u, keep)
                if len(parts) > 1:
                    pre = body[seg[0].start : u.start]
                    post = body[u.end : seg[-1].end]
                    pieces = [f"{pre}{p}{post}".strip() for p in parts]
                    break
            if not pieces:
                pieces = [body[seg[0].start : seg[-1].end]]
            for p in pieces:
                cands.append((p, offset + seg[0].start, offset + seg[-1].end, run.paren, head_idx,
                              generic))  # fmt: skip
        # "A 및 B 설계": a run after a conjunction lends its head to the run before it
        if (
            run.before == "conj"
            and prev_run_idx is not None
            and len(cands) > first_of_run
            and first_of_run - prev_run_idx >= 1
        ):
            last = cands[first_of_run][0].split()
            head = last[-1] if len(last) >= 2 else ""
            if head.lower() in w["shared_heads"]:
                for j in range(prev_run_idx, first_of_run):
                    t, s, e, pa, hi, g = cands[j]
                    words = t.split()
                    # not when the run before had a head of its own ("양극재 개발 및 제어 설계")
                    if (
                        len(words) <= 2
                        and words[-1].lower() not in w["shared_heads"]
                        and e >= prev_run_end
                    ):
                        cands[j] = (f"{t} {head}", s, e, pa, hi, g)
        if len(cands) > first_of_run:
            prev_run_idx, prev_run_end = first_of_run, offset + run.units[-1].end
    out: list[Mention] = []
    mapped: list[Mention | None] = []
    for t, s, e, _pa, _hi, _g in cands:
        code, how = _map_phrase(st, t, ocr)
        mapped.append(Mention(text=t, norm=normalize_mention(t), code=code, how=how, start=s,
                              end=e))  # fmt: skip
    for k, (_t, _s, _e, pa, hi, generic) in enumerate(cands):
        men = mapped[k]
        assert men is not None
        if men.code is None and (generic or _is_major(men.norm)):
            continue  # "제품 설계": generic words that name no code; "전자공학" is a major
        head = mapped[hi] if 0 <= hi < len(mapped) else None
        if pa and head is not None and head.code is not None and men.code is None:
            continue  # examples in brackets after a coded head are folded into it
        norm = men.norm
        if len(_NOT_WORD.sub("", norm)) < 2:
            continue
        if has_pii:  # a line without personal information has none in its parts either
            men = Mention(mask_pii(men.text), mask_pii(norm), men.code, men.how, men.start, men.end)
        out.append(men)
    # one mention per (norm, code) in a line
    seen: set[tuple[str, str | None]] = set()
    uniq = []
    for mm in out:
        if (mm.norm, mm.code) not in seen:
            seen.add((mm.norm, mm.code))
            uniq.append(mm)
    return tuple(uniq)


def _is_major(norm: str) -> bool:
    from talentlib.postings.rules import major_code

    return major_code(norm) is not None and len(norm.split()) == 1


@lru_cache(maxsize=1)
def _morph_index(name: str) -> dict[str, str]:
    """Morphological keys of the surface forms (noun suffixes dropped) → code; keys shared by
    two codes are left out."""
    from talentlib.postings.matcher import surface_forms

    idx: dict[str, set[str]] = {}
    for code, forms in surface_forms(name).items():
        for f in forms:
            for k in _morph_keys(f):
                idx.setdefault(k, set()).add(code)
    return {k: next(iter(v)) for k, v in idx.items() if len(v) == 1}


def _morph_keys(text: str) -> set[str]:
    """Keys of a phrase with each Hangul word's noun suffix (기, 용, 적 …) kept or dropped."""
    words = taxonomy.normalize_text(text).split()
    sufs = _words()["suffixes"]
    options: list[list[str]] = []
    for wd in words[:6]:
        opts = [wd]
        if _HANGUL.search(wd) and len(wd) >= 3 and wd[-1] in sufs:
            opts.append(wd[:-1])
        options.append(opts)
    keys = {""}
    for opts in options:
        keys = {k + o for k in keys for o in opts}
    # only keys long enough to name something (3+ syllables or 4+ Latin letters)
    return {k for k in keys if len(k) >= 3 and (len(k) >= 4 or _HANGUL.search(k))}


@lru_cache(maxsize=200_000)
def _map_phrase(st: _State, text: str, ocr: bool) -> tuple[str | None, str]:
    """(code, how) of one phrase: exact (the matcher, with the tagger's word-boundary fixes;
    the longest form wins), else morphological, else fuzzy; (None, "none") when nothing fits."""
    from talentlib.postings.lexicon import exact_matches

    if not taxonomy.normalize_text(text):
        return None, "none"
    found = exact_matches(text, st.taxonomy_name)
    if found:
        return max(found, key=lambda f: (f[2] - f[1], -f[1]))[0], "exact"  # the longest form
    if st.morph:
        idx = _morph_index(st.taxonomy_name)
        hits = {idx[k] for k in _morph_keys(text) if k in idx}
        if len(hits) == 1:
            return next(iter(hits)), "morph"
    if st.fuzzy:
        code = _fuzzy_code(st, text, ocr)
        if code is None:
            # a part of a longer mention ("파이선 스크립트" → 파이선), longest parts first
            # one word of a longer mention ("파이선 스크립트" → 파이선)
            generic = _words()["generic"] | _words()["shared_heads"]
            words = [wd for wd in text.split() if wd.lower() not in generic]
            hits = {c for wd in words if (c := _fuzzy_code(st, wd, ocr)) is not None}
            code = next(iter(hits)) if len(hits) == 1 and len(text.split()) > 1 else None
        if code is not None:
            return code, "fuzzy"
    return None, "none"


# Typing slips between two Hangul letters of the same slot: tense and plain consonants, vowels
# that sit next to each other or are said alike (파이선 ~ 파이썬, 메모리 ~ 매모리).
_INI_PAIRS = {(0, 1), (3, 4), (7, 8), (9, 10), (12, 13)}  # ㄱㄲ ㄷㄸ ㅂㅃ ㅅㅆ ㅈㅉ
_MED_PAIRS = {(1, 5), (0, 2), (4, 6), (8, 12), (13, 17), (1, 3), (5, 7), (10, 11), (11, 15),
              (10, 15)}  # ㅐㅔ ㅏㅑ ㅓㅕ ㅗㅛ ㅜㅠ ㅐㅒ ㅔㅖ ㅙㅚㅞ  # fmt: skip


def _syllable(ch: str) -> tuple[int, int, int] | None:
    o = ord(ch) - 0xAC00
    if not 0 <= o < 11172:
        return None
    return o // 588, (o % 588) // 28, o % 28


def _slip(a: str, b: str) -> bool:
    """Whether two differing characters are a typing slip: Hangul syllables that differ in one
    letter (a tense/plain consonant, a like vowel, or a final consonant not at the word's end)
    are checked by the caller's position rule; Latin letters never (see typo_equal)."""
    sa, sb = _syllable(a), _syllable(b)
    if sa is None or sb is None:
        return False
    diff = [i for i in range(3) if sa[i] != sb[i]]
    if len(diff) != 1:
        return False
    i = diff[0]
    pair = tuple(sorted((sa[i], sb[i])))
    if i == 0:
        return pair in _INI_PAIRS
    if i == 1:
        return pair in _MED_PAIRS
    return True  # a final consonant added, dropped or changed


def typo_equal(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one typing slip, comparing without spaces or case: one
    Hangul syllable off by one letter of the same kind (파이선 ~ 파이썬, 머신런닝 ~ 머신러닝; a
    final consonant only inside the word, so 패키지 is not 패키징), or in Latin words of 6+
    letters one letter changed or two neighbours swapped (Pyhton ~ Python). At least 3
    syllables or 6 letters; the same length."""
    a = re.sub(r"[\s\-_./·]", "", a.lower())
    b = re.sub(r"[\s\-_./·]", "", b.lower())
    if a == b or len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    hangul = bool(_HANGUL.search(a))
    if hangul:
        if len(a) < 3 or len(diff) != 1:
            return False
        i = diff[0]
        if not _slip(a[i], b[i]):
            return False
        sa, sb = _syllable(a[i]), _syllable(b[i])
        assert sa is not None and sb is not None
        return not (sa[2] != sb[2] and i == len(a) - 1)
    if len(a) < 6 or not re.fullmatch(r"[a-z0-9+#]+", a):
        return False
    if len(diff) == 1:
        return a[diff[0]].isalpha() and b[diff[0]].isalpha()
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


_KEY_STRIP = re.compile(r"[\s\-_./·]")


@lru_cache(maxsize=1)
def _typo_index(name: str) -> dict[str, list[tuple[str, str]]]:
    """Surface forms (without spaces, lower case) under each one-character wildcard of
    themselves ("파이*", "파*썬" …): two keys a slip apart share a wildcard, so a lookup costs
    a few dictionary hits instead of a scan of every form."""
    from talentlib.postings.matcher import surface_forms

    idx: dict[str, list[tuple[str, str]]] = {}
    for code, forms in surface_forms(name).items():
        for f in forms:
            k = _KEY_STRIP.sub("", f.lower())
            if len(k) < 3:
                continue
            for i in range(len(k)):
                idx.setdefault(f"{k[:i]}\x00{k[i + 1 :]}", []).append((k, code))
    return idx


def _fuzzy_code(st: _State, text: str, ocr: bool) -> str | None:
    """The code of the one surface form that ``text`` spells with a typing slip (typo_equal);
    None when none or several codes do."""
    key = _KEY_STRIP.sub("", text.lower())
    if len(key) < 3:
        return None
    idx = _typo_index(st.taxonomy_name)
    cands = {kc for i in range(len(key)) for kc in idx.get(f"{key[:i]}\x00{key[i + 1 :]}", ())}
    if not _HANGUL.search(key):  # a swap of two neighbours differs in two places
        for i in range(len(key) - 1):
            sw = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
            cands |= {kc for j in (i, i + 1)
                      for kc in idx.get(f"{sw[:j]}\x00{sw[j + 1 :]}", ())}  # fmt: skip
    hits = {c for k, c in cands if typo_equal(key, k)}
    return next(iter(hits)) if len(hits) == 1 else None
