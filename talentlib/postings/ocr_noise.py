"""Training lines for the tagger: labelled lines of synthetic postings, each also copied through
an OCR noise channel (``OcrNoise``) whose rates were measured on tesseract output."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from talentlib.postings.lexicon import HANGUL, reference_matcher
from talentlib.postings.section_tags import BODY_SECTIONS

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
            if HANGUL.search(w):
                u = rng.random()
                if u < self.hangul_garble:
                    n = max(2, min(5, len(w) + int(rng.integers(-1, 2))))
                    w = "".join(_GARBLE[int(i)] for i in rng.integers(len(_GARBLE), size=n))
                elif u < self.hangul_garble + self.hangul_slip:
                    idx = [i for i, c in enumerate(w) if HANGUL.match(c)]
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
    m = reference_matcher(name)
    seen: dict[str, list[str]] = {}
    for sec, line in seg.select("section", "text").iter_rows():
        if line in seen:
            continue
        codes = sorted(m.codes(line)) if sec in sections else []
        if sec in sections or not m.codes(line):
            seen[line] = codes
    return list(seen), list(seen.values())
