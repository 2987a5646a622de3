"""Job postings: read any posting file into masked text, split it into sections, extract rules.

    from talentlib import postings
    res = postings.ingest_folder("out/postings", cache_dir=".cache/postings")
    lines = postings.segment(res.postings)          # posting_id, section, line_no, text
    attrs = postings.extract_rules(lines)           # education, majors, experience, …

Heavy libraries (pytesseract, pypdfium2, PIL, rapidfuzz) are imported only when used.
"""

from .ingest import IngestResult, PostingText, ingest_folder, read_posting
from .ocr import OcrEngine, OcrResult, TesseractEngine, cer
from .rules import extract_rules
from .sections import segment

__all__ = [
    "IngestResult",
    "OcrEngine",
    "OcrResult",
    "PostingText",
    "TesseractEngine",
    "cer",
    "extract_rules",
    "ingest_folder",
    "read_posting",
    "segment",
]

# Competency tagging and extraction (tagger.py); scikit-learn, kiwipiepy and rapidfuzz load on use.
from .tagger import CompetencyTagger, extract, load_or_fit  # noqa: E402

__all__ += ["CompetencyTagger", "extract", "load_or_fit"]
