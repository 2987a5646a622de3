"""A brief as PDF, for readers who print: the offline HTML brief printed by headless Chromium
(Debian's ``chromium``, which the set-up installs; its Korean text comes from fonts-nanum).

Chromium is started the way a locked-down machine needs it: headless, no sandbox when running
as root, no network, a fresh profile in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["HEADLESS_FLAGS", "PrintError", "chromium", "html_to_pdf"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# how a locked-down machine runs it: headless, no network, nothing fetched or synced
HEADLESS_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
)


class PrintError(RuntimeError):
    """The brief could not be printed; the message says why and what to install."""


def chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str | Path, pdf: str | Path, *, timeout: int = 120) -> Path:
    """Print an HTML file to an A4 PDF (background colours kept, no header or footer)."""
    html, pdf = Path(html).resolve(), Path(pdf)
    if not html.is_file():
        raise PrintError(f"no brief to print at {html}")
    exe = chromium()
    if exe is None:
        raise PrintError("no Chromium found to print the brief; install Debian's chromium")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp_pdf = pdf.with_name(f".{pdf.name}.partial")
    with tempfile.TemporaryDirectory(prefix="talentlib-print-") as profile:
        args = [
            exe,
            *HEADLESS_FLAGS,
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp_pdf}",
            html.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            tmp_pdf.unlink(missing_ok=True)
            raise PrintError(f"printing {html.name} took more than {timeout} s") from e
    if r.returncode != 0 or not tmp_pdf.exists() or tmp_pdf.stat().st_size == 0:
        tmp_pdf.unlink(missing_ok=True)
        tail = (r.stderr or "").strip().splitlines()[-1:] or [""]
        raise PrintError(f"Chromium could not print {html.name} (exit {r.returncode}): {tail[0]}")
    tmp_pdf.replace(pdf)
    return pdf
