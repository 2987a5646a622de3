"""Pseudonymization, PII detection and masking in free text, and disclosure control."""

from __future__ import annotations

import re

# Korean resident registration numbers, phone numbers and e-mail addresses.
PII_PATTERNS: dict[str, re.Pattern[str]] = {
    "rrn": re.compile(r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?-?\s?[1-8]\d{6}(?!\d)"),
    "phone": re.compile(
        r"(?<!\d)(?:\+?82[-.\s]?)?\(?0?(?:1[016789]|2|[3-6][1-5]|70|50\d?)\)?[-.\s]?\d{3,4}[-.\s]?\d{4}(?!\d)"
    ),
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
}
