"""A brief as PDF, for readers who print: the offline HTML brief printed by headless Chromium
(Debian's ``chromium``, which the set-up installs; its Korean text comes from fonts-nanum).

Chromium is started the way a locked-down machine needs it: headless, no sandbox when running
as root, no network, a fresh profile in a temporary folder that is removed afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

__all__ = ["HEADLESS_FLAGS", "Browser", "PrintError", "chromium", "html_to_pdf", "print_all"]

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


# printToPDF as `--print-to-pdf --no-pdf-header-footer` prints: the page's CSS size (print.css
# sets A4), background colours kept, no header or footer
PDF_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}
# A tiny launcher: Chromium reads DevTools commands on fd 3 and answers on fd 4
# (--remote-debugging-pipe); this puts the two pipe ends there and becomes Chromium.
_ON_FDS_3_4 = (
    "import os,sys;a,b=os.dup(int(sys.argv[1])),os.dup(int(sys.argv[2]));"
    "os.dup2(a,3);os.dup2(b,4);os.set_inheritable(3,True);os.set_inheritable(4,True);"
    "os.execv(sys.argv[3],sys.argv[3:])"
)


class Browser:
    """One headless Chromium that prints many pages, driven over the DevTools protocol on a
    pipe (no network port): starting Chromium is most of a single print's time, so a batch
    prints all its briefs with one (or a few) of these instead of one Chromium per brief. The
    same flags and the same PDF as ``html_to_pdf``. Use as a context manager."""

    def __init__(self, *, timeout: float = 120) -> None:
        import fcntl

        exe = chromium()
        if exe is None:
            raise PrintError("no Chromium found to print the brief; install Debian's chromium")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="talentlib-print-")

        def high(fd: int) -> int:  # out of the way of 3 and 4, closed on exec by default
            moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return moved

        cmd_r, cmd_w = map(high, os.pipe())
        res_r, res_w = map(high, os.pipe())
        args = [exe, *HEADLESS_FLAGS, "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}", "about:blank"]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        launch = [sys.executable, "-S", "-E", "-c", _ON_FDS_3_4, str(cmd_r), str(res_w), *args]
        self._proc = subprocess.Popen(
            launch,
            pass_fds=(cmd_r, res_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(res_w)
        self._w, self._r = cmd_w, res_r
        self._buf = b""
        self._id = 0

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise PrintError(f"Chromium did not answer within {self.timeout:.0f} s")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise PrintError("Chromium closed while printing")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def _call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        until: str | None = None,
    ) -> dict[str, Any]:
        """Send a command; return its result once it came (and, with ``until``, once the
        session also sent that event)."""
        self._id += 1
        sent = {"id": self._id, "method": method, "params": params or {}}
        if session:
            sent["sessionId"] = session
        os.write(self._w, json.dumps(sent).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        result, seen = None, until is None
        while result is None or not seen:
            msg = self._message(deadline)
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise PrintError(f"Chromium: {method}: {msg['error'].get('message')}")
                result = msg.get("result", {})
            elif until and msg.get("method") == until and msg.get("sessionId") == session:
                seen = True
        return result

    def print(self, html: str | Path, pdf: str | Path) -> Path:
        """Print an HTML file to a PDF, written atomically."""
        html, pdf = Path(html).resolve(), Path(pdf)
        if not html.is_file():
            raise PrintError(f"no brief to print at {html}")
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            self._call("Page.enable", session=session)
            nav = self._call(
                "Page.navigate",
                {"url": html.as_uri()},
                session=session,
                until="Page.loadEventFired",
            )
            if nav.get("errorText"):
                raise PrintError(f"Chromium could not open {html.name}: {nav['errorText']}")
            data = base64.b64decode(
                self._call("Page.printToPDF", PDF_OPTIONS, session=session)["data"]
            )
        finally:
            self._call("Target.closeTarget", {"targetId": target})
        if not data.startswith(b"%PDF-"):
            raise PrintError(f"Chromium printed no PDF for {html.name}")
        from talentlib import io

        return io.write_bytes_atomic(data, pdf)

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._call("Browser.close")
            except (PrintError, OSError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()


def print_all(
    jobs: Iterable[tuple[str | Path, str | Path]], *, browsers: int = 2, timeout: float = 120
) -> dict[Path, Future[Path]]:
    """Print (html, pdf) pairs with ``browsers`` Chromiums, each printing one page after another
    (two use both cores of a small machine). ``jobs`` may be a generator that yields pages as
    they are written: printing starts with the first. Returns pdf → future (its result, or its
    PrintError); a page a Browser could not print is printed once more with ``html_to_pdf``."""
    work: queue.Queue[tuple[Path, Path, Future[Path]] | None] = queue.Queue()
    out: dict[Path, Future[Path]] = {}

    def printer() -> None:
        browser: Browser | None = None
        try:
            while (job := work.get()) is not None:
                html, pdf, fut = job
                if not html.is_file():
                    fut.set_exception(PrintError(f"no brief to print at {html}"))
                    continue
                try:
                    if browser is None:
                        browser = Browser(timeout=timeout)
                    fut.set_result(browser.print(html, pdf))
                except PrintError as first:
                    if browser is not None:
                        browser.close()
                        browser = None
                    try:  # the old way, alone: a page that fails here fails for a reason
                        fut.set_result(html_to_pdf(html, pdf, timeout=int(timeout)))
                    except PrintError as e:
                        fut.set_exception(e if str(e) else first)
        finally:
            if browser is not None:
                browser.close()

    threads = [
        threading.Thread(target=printer, name=f"talent-print-{k}", daemon=True)
        for k in range(max(1, browsers))
    ]
    for t in threads:
        t.start()
    try:
        for html, pdf in jobs:
            fut: Future[Path] = Future()
            out[Path(pdf)] = fut
            work.put((Path(html), Path(pdf), fut))
    finally:
        for _ in threads:
            work.put(None)
        for t in threads:
            t.join()
    return out
