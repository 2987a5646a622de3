"""What every rule reads first: text repaired for common OCR slips (spaces inside words, l/I/O
for digits, 넌/녀 for 년), the clauses that mark a wish rather than a requirement (우대), and the
vocabulary files beside the postings package (majors, places)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

VOCABULARY_DIR = Path(__file__).parents[1]  # majors.yaml, places.yaml

_DIGITISH = re.compile(r"(?<![A-Za-z])[0-9OIl|]*[0-9](?:[0-9OIl|,.]*[0-9OIl|])?(?![A-Za-z])")
_DIGIT_FIX = str.maketrans({"O": "0", "I": "1", "l": "1", "|": "1"})
_LONE_ONE = re.compile(r"(?<![0-9A-Za-z])[lI|](?=\s?(?:년|개월|명|천|억|만))")
_YEAR_SLIPS = re.compile(r"(?<=[0-9])(\s?)[넌녀뇬닌년]")
_HANGUL_GAP = re.compile(r"(?<=[가-힣])[ \t]+(?=[가-힣])")


def normalize_text(text: str) -> str:
    """NFKC, digits repaired (l0→10, 3O→30), 년 misreads fixed; Hangul spacing kept."""
    s = unicodedata.normalize("NFKC", text)
    s = _DIGITISH.sub(lambda m: m.group(0).translate(_DIGIT_FIX), s)
    s = _LONE_ONE.sub("1", s)
    return _YEAR_SLIPS.sub(r"\1년", s)


def squeeze(text: str) -> str:
    """Hangul words run together ("경 력 3 년" → "경력 3 년"), as OCR spacing cannot be trusted."""
    return _HANGUL_GAP.sub("", text)


# Words that make a clause a preference, not a requirement.
_PREFERRED = re.compile(
    r"우\s*대|가\s*산\s*점|선\s*호|preferred|prefer|nice\s*to\s*have|is\s*a\s*plus|a\s*plus|bonus"
    r"|advantage|desirable|ideally",
    re.I,
)
# A clause runs to a comma, semicolon, parenthesis or line end; "또는"/"or" do not end it, so
# "MS or PhD preferred" marks both degrees as preferred.
_CLAUSE_END = re.compile(r"[,;\n()\[\]]")
_CLAUSE_START = re.compile(r"[,;\n(\[]")
_PREFERRED_BEFORE = re.compile(
    r"우\s*대\s*[:：]|preferred\s*[:：]|nice\s*to\s*have\s*[:：]|plus\s*[:：]", re.I
)


def is_preferred(text: str, start: int, end: int) -> bool:
    """Whether the clause holding text[start:end] marks it as preferred ("석사 우대",
    "(석사 우대)", "MS or PhD preferred", "우대: 석사")."""
    m = _CLAUSE_END.search(text, end)
    if _PREFERRED.search(text, end, m.start() if m else len(text)):
        return True
    begin = max((m.end() for m in _CLAUSE_START.finditer(text, 0, start)), default=0)
    return bool(_PREFERRED_BEFORE.search(text, begin, start))


def vocabulary(name: str) -> Any:
    import yaml

    return yaml.safe_load((VOCABULARY_DIR / name).read_text(encoding="utf-8"))


# A line that says only "무관" / "any": in its own section (education, major) it means any.
BARE_ANY = re.compile(
    r"^\W*(?:무\s*관|불\s*문|제\s*한\s*없\s*음|상\s*관\s*없\s*음|none|any)\W*$", re.I
)
