"""The reference competency matcher: which competency codes of the taxonomy a text mentions.

This is the semantics of a competency label (the synthetic generator labels its postings with
it, and the tagger's exact-match layer is it): surface forms (ko, en, synonyms) compared after
``taxonomy.normalize_text``, longest mention wins. Smarter matching (OCR errors, morphology)
lives in ``postings.tagger`` and must agree with this on clean text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from talentlib import taxonomy

__all__ = ["CompetencyMatcher", "competency_matcher", "surface_forms"]


_LATIN = re.compile(r"[a-z0-9]")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


def _form_atoms(norm: str) -> list[str]:
    """Regex atoms of a normalized surface form (see CompetencyMatcher for the rules)."""
    atoms: list[str] = []
    if _LATIN.match(norm[0]):
        atoms.append(r"(?<![a-z0-9])")
    prev = ""
    for i, ch in enumerate(norm):
        if ch == " ":
            atoms.append(" ?")
            prev = ""
            continue
        if prev and (
            (_HANGUL.match(prev) and _LATIN.match(ch)) or (_LATIN.match(prev) and _HANGUL.match(ch))
        ):
            atoms.append(" ?")  # "SoC설계" and "SoC 설계" are the same mention
        last = i == len(norm) - 1
        if (
            last
            and ch == "y"
            and len(norm) > 2
            and norm[-2] not in "aeiou "
            and _LATIN.match(norm[-2])
        ):
            atoms.append("(?:y|ies)")
        else:
            atoms.append(re.escape(ch))
        prev = ch
    if _LATIN.match(norm[-1]):
        atoms.append(r"(?:e?s)?(?![a-z0-9])" if norm[-1] != "y" else r"(?![a-z0-9])")
    return atoms


_WORD_START = r"(?<![a-z0-9])"


def _first_char_patterns(trie: dict[str, Any]) -> dict[str, re.Pattern[str]] | None:
    """The trie split by the character a mention starts with: one pattern per character (a
    Latin form's word-boundary atom kept in front), or None when a form starts otherwise. At a
    given position only the branch of its character can match, so matching that branch there
    finds what the whole trie finds, and positions without a branch cost a dictionary look-up
    instead of a scan of every branch."""
    out: dict[str, re.Pattern[str]] = {}
    for atom, child in trie.items():
        lead, branches = ("", {atom: child}) if atom != _WORD_START else (atom, child)
        for a, node in branches.items():
            ch = re.sub(r"\\(.)", r"\1", a)
            if len(ch) != 1 or re.escape(ch) != a or ch in out:
                return None
            out[ch] = re.compile(lead + a + _trie_regex(node))
    return out


def _trie_regex(node: dict[str, Any]) -> str:
    """Regex of a trie of atoms; longer continuations are tried before ending here."""
    alts = [atom + _trie_regex(child) for atom, child in sorted(node.items()) if atom != ""]
    if "" in node:
        alts.append("")
    if len(alts) == 1:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"


class CompetencyMatcher:
    """Finds the competency codes of the taxonomy that a text mentions.

    Text and surface forms (ko, en, synonyms) are compared after taxonomy.normalize_text (NFKC,
    lower case, - · / _ as spaces). A space in a surface form is optional in the text, so is a
    space between Hangul and Latin letters; otherwise characters must be adjacent. A form that
    starts or ends with a Latin letter or digit must do so at a word boundary (English plural
    endings allowed). Where mentions overlap, the longest wins. This is the semantics of the
    planted labels; taggers may be smarter (OCR errors, morphology) but not different on clean
    text.
    """

    def __init__(self, name: str = "competencies") -> None:
        self.name = name
        self.form_code: dict[str, str] = {}
        self.codes_by_key: dict[str, str] = {}
        trie: dict[str, Any] = {}
        for row in taxonomy.load(name)["codes"]:
            code = str(row["code"])
            for form in [row["ko"], row.get("en"), *(row.get("synonyms") or [])]:
                if not form:
                    continue
                norm = taxonomy.normalize_text(str(form))
                if not norm:
                    continue
                self.form_code[str(form)] = code
                self.codes_by_key.setdefault(norm.replace(" ", ""), code)
                node = trie
                for atom in _form_atoms(norm):
                    node = node.setdefault(atom, {})
                node[""] = {}
        self._by_first = _first_char_patterns(trie)
        self._pattern = (
            None if self._by_first is not None else re.compile("(?=(" + _trie_regex(trie) + "))")
        )

    def _code_of(self, matched: str) -> str | None:
        key = matched.replace(" ", "")
        for cand in (key, key[:-1], key[:-2], key[:-3] + "y"):
            if cand in self.codes_by_key:
                return self.codes_by_key[cand]
        return None

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(code, start, end) of each mention, offsets in taxonomy.normalize_text(text)."""
        norm = taxonomy.normalize_text(text)
        cands = self._starts(norm)
        cands.sort(key=lambda se: (se[0] - se[1], se[0]))
        taken: list[tuple[str, int, int]] = []
        for s, e in cands:
            if any(s < te and ts < e for _, ts, te in taken):
                continue
            code = self._code_of(norm[s:e])
            if code is not None:
                taken.append((code, s, e))
        return sorted(taken, key=lambda t: t[1])

    def _starts(self, norm: str) -> list[tuple[int, int]]:
        """(start, end) of the mention the trie finds at each position (one per position)."""
        if self._by_first is None:
            assert self._pattern is not None
            return [(m.start(1), m.end(1)) for m in self._pattern.finditer(norm)
                    if m.end(1) > m.start(1)]  # fmt: skip
        out = []
        get = self._by_first.get
        for i, ch in enumerate(norm):
            p = get(ch)
            if p is not None and (m := p.match(norm, i)) is not None and m.end() > i:
                out.append((i, m.end()))
        return out

    def codes(self, text: str) -> set[str]:
        """The codes mentioned in one piece of text (a line of a posting)."""
        return {c for c, _, _ in self.find(text)}

    def codes_in_lines(self, lines: Iterable[str]) -> set[str]:
        """Codes mentioned in any of the lines, matching line by line (as the labels do)."""
        out: set[str] = set()
        for line in lines:
            out |= self._line_codes(line)
        return out

    @lru_cache(maxsize=200_000)  # noqa: B019 - one matcher per process; lines repeat a lot
    def _line_codes(self, line: str) -> frozenset[str]:
        return frozenset(self.codes(line))


@lru_cache(maxsize=2)
def competency_matcher(name: str = "competencies") -> CompetencyMatcher:
    """The shared reference matcher over a competency taxonomy (built once, ~0.5 s)."""
    return CompetencyMatcher(name)


def surface_forms(name: str = "competencies") -> dict[str, list[str]]:
    """Code -> its surface forms (ko, en, synonyms), in taxonomy order."""
    out: dict[str, list[str]] = {}
    for row in taxonomy.load(name)["codes"]:
        forms = [row["ko"], row.get("en"), *(row.get("synonyms") or [])]
        out[str(row["code"])] = list(dict.fromkeys(str(f) for f in forms if f))
    return out
