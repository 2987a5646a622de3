"""PII masking of posting text before it is stored: ``privacy.mask_pii`` plus OCR-tolerant passes.

OCR breaks the shapes ``mask_pii`` looks for: ``010-l234-5678`` (l for 1), ``O2-123-4567``
(O for 0), ``hr @ example. co.kr`` (spaces). A loose pattern finds such candidates, the
candidate is repaired (O→0, l/I/|→1, spaces and odd dashes dropped) and masked when the
repaired form is PII by the project's own definition, so both passes agree on what PII is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from talentlib.privacy import PII_LABELS, PII_PATTERNS, find_pii, mask_pii

__all__ = ["MASKING_FINGERPRINT", "mask_posting_text"]

_D = r"[0-9OoIl|]"
_DASH = r"\s?[-.~_‐-―−ー]?\s?"
_LOOSE_PHONE = re.compile(
    rf"(?<![0-9A-Za-z])(?:\+\s?82{_DASH}|\(\s?[0Oo]{_D}{{1,2}}\s?\)|[0Oo]{_D}{{1,3}})"
    rf"{_DASH}{_D}{{3,4}}{_DASH}{_D}{{4}}(?![0-9])"
)
_LOOSE_RRN = re.compile(rf"(?<![0-9]){_D}{{6}}\s?[-~_‐-―−]\s?{_D}{{7}}(?![0-9])")
_LOOSE_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]{1,64}\s?[@©®]\s?(?:[A-Za-z0-9-]{1,63}\s?[.,]\s?){1,8}[A-Za-z]{2,24}"
)
_FIX = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "©": "@", "®": "@"})


def _repair_number(s: str) -> str:
    s = re.sub(r"\s+", "", s).translate(_FIX)
    return re.sub(r"[~_‐-―−ー]", "-", s)


def _loose_pass(
    text: str, pattern: re.Pattern[str], repair: Callable[[str], str], kinds: set[str]
) -> str:
    parts, pos = [], 0
    for m in pattern.finditer(text):
        found = find_pii(repair(m.group(0)))
        kind = next((k for k, _, _ in found if k in kinds), None)
        if kind is None:
            continue
        parts += [text[pos : m.start()], PII_LABELS[kind]]
        pos = m.end()
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _repair_email(s: str) -> str:
    s = re.sub(r"\s+", "", s).replace("©", "@").replace("®", "@")
    at = s.find("@")
    return s[: at + 1] + s[at + 1 :].replace(",", ".")


def mask_posting_text(text: str) -> str:
    """Mask RRNs, phone numbers and e-mail addresses, including OCR-damaged ones."""
    if not text:
        return text
    text = mask_pii(text)
    text = _loose_pass(text, _LOOSE_EMAIL, _repair_email, {"email"})
    text = _loose_pass(text, _LOOSE_RRN, _repair_number, {"rrn"})
    return _loose_pass(text, _LOOSE_PHONE, _repair_number, {"phone"})


# Cached text was masked by these patterns; when privacy.py or this module changes them, the
# fingerprint changes and cached results are recomputed rather than trusted.
MASKING_FINGERPRINT = hashlib.sha256(
    "\x1f".join(
        [p.pattern for p in PII_PATTERNS.values()]
        + [p.pattern for p in (_LOOSE_PHONE, _LOOSE_RRN, _LOOSE_EMAIL)]
    ).encode()
).hexdigest()[:16]
