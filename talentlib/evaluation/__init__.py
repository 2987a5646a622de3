"""Evaluation against known truth: extraction from labelled posting sets (``postings``), OCR
preprocessing ablations (``ocr``). Like training, evaluation may use the synthetic generator
(to render test images, to make sets); production modules never import from here."""
