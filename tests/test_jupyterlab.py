"""JupyterLab is the analyst's home: a headless JupyterLab on a free local port opens notebook 03
(from a temporary copy of notebooks/, so nothing is written into the repository), headless
Chromium renders it — JupyterLab's notebook panel with the notebook's Korean title — and a
screenshot is kept (outputs/test_artifacts/jupyterlab_03.png) for people to look at. The server
and its kernels are always stopped."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from talentlib import printing

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "outputs" / "test_artifacts"
NOTEBOOK = "03_career_flow"
TITLE = "경력 경로"  # in the notebook's first heading: "03 … 연구참여자 경력 경로"
# virtual time Chromium gives JupyterLab to load its bundles, the notebook and the kernel; a
# second, longer try for a busy machine
BUDGETS_MS = (30_000, 90_000)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _api(base: str, path: str, token: str, method: str = "GET") -> object:
    req = urllib.request.Request(
        f"{base}{path}", method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 — our own localhost server
        body = r.read()
    return json.loads(body) if body else None


@contextlib.contextmanager
def jupyterlab(root_dir: Path, state: Path) -> Iterator[tuple[str, str]]:
    """A headless JupyterLab serving ``root_dir`` on a free local port: yields (base url, token).
    Its settings, workspaces, runtime files and IPython state live under ``state``; on exit its
    kernels are shut down and the server is stopped (killed if it does not stop)."""
    pytest.importorskip(
        "jupyterlab", reason="install the notebooks extra: pip install -e .[notebooks]"
    )
    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTER_DATA_DIR": str(state / "data"),
        "IPYTHONDIR": str(state / "ipython"),
    }
    log = (state / "server.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root_dir}",
            f"--LabApp.workspaces_dir={state / 'workspaces'}",
            f"--LabApp.user_settings_dir={state / 'settings'}",
        ],  # fmt: skip
        cwd=root_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its kernels too
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited ({proc.returncode}): {_tail(state / 'server.log')}")
            try:
                _api(base, "/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start in 120 s: {_tail(state / 'server.log')}")
                time.sleep(0.5)
        yield base, token
    finally:
        if proc.poll() is None:
            with contextlib.suppress(Exception):  # shut kernels down the polite way first
                for k in _api(base, "/api/kernels", token) or []:  # type: ignore[union-attr]
                    _api(base, f"/api/kernels/{k['id']}", token, method="DELETE")
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


def _tail(path: Path, n: int = 1500) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-n:] if path.exists() else ""


def _chromium(
    url: str, profile: Path, budget_ms: int, *extra: str
) -> subprocess.CompletedProcess[str]:
    exe = printing.chromium()
    if exe is None:
        pytest.fail("headless Chromium is not installed; run `make setup` (it installs chromium)")
    return subprocess.run(
        [
            exe,
            *printing.HEADLESS_FLAGS,
            "--no-sandbox",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--window-size=1400,1000",
            f"--virtual-time-budget={budget_ms}",
            *extra,
            url,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=240,
    )


def _rendered(dom: str) -> dict[str, bool]:
    """What a rendered notebook 03 shows, read from the DOM (styles left out: class names in
    JupyterLab's CSS are not rendered widgets)."""
    body = re.sub(r"<style\b.*?</style>", "", dom, flags=re.S)
    return {
        "notebook panel": bool(re.search(r'class="[^"]*\bjp-NotebookPanel\b', body)),
        "code cells": len(re.findall(r'class="[^"]*\bjp-CodeCell\b', body)) >= 5,
        "rendered title": bool(
            re.search(r"jp-RenderedMarkdown[^>]*>\s*<h1[^>]*>(?:<[^>]+>)*[^<]*" + TITLE, body)
        ),
    }


@pytest.mark.slow
def test_notebook_03_opens_in_jupyterlab(tmp_path: Path) -> None:
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    for suffix in (".ipynb", ".py"):  # the pair, as jupytext keeps it
        shutil.copy2(ROOT / "notebooks" / f"{NOTEBOOK}{suffix}", nb_dir)
    state = tmp_path / "jupyter"
    state.mkdir()
    news = (
        state
        / "settings"
        / "@jupyterlab"
        / "apputils-extension"
        / "notification.jupyterlab-settings"
    )
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}', encoding="utf-8")  # no news pop-up on the shot
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "jupyterlab_03.png"
    shot.unlink(missing_ok=True)
    with jupyterlab(nb_dir, state) as (base, token):
        url = f"{base}/lab/tree/{NOTEBOOK}.ipynb?token={token}"
        seen: dict[str, bool] = {}
        for i, budget in enumerate(BUDGETS_MS):
            dom = _chromium(url, tmp_path / f"dom{i}", budget, "--dump-dom")
            assert dom.returncode == 0, dom.stderr[-2000:]
            seen = _rendered(dom.stdout)
            if all(seen.values()):
                break
        assert all(seen.values()), f"JupyterLab did not render notebook 03: {seen}"
        r = _chromium(url, tmp_path / "shot", budget, f"--screenshot={shot}")
        assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
        kernels = _api(base, "/api/kernels", token)
    assert isinstance(kernels, list)  # the server answered while it ran; it is stopped now
    with pytest.raises(urllib.error.URLError):
        _api(base, "/api/status", token)

    import numpy as np
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1400, 1000)
        grey = np.asarray(im.convert("L")).astype(int)
    # a rendered notebook: text and toolbars, not a blank or a single-colour splash page
    assert grey.std() > 10 and (grey < 100).mean() > 0.003, "the screenshot looks empty"
