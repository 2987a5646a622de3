"""Content-addressed cache of posting results on disk, so a warm re-run skips OCR.

The key is SHA-256(content hash, stage, version): the same bytes under another file name hit
the cache, and a new stage version (another OCR engine, another prompt) misses it. Entries are
JSON files written through a temp file and ``os.replace`` (atomic for readers). They are not
fsynced: a cache may lose an entry after a crash, and an unreadable entry counts as a miss.
Only PII-masked text may be stored: ``put`` refuses a value in which ``talentlib.pii.find_pii``
(the detector that masked the text) still finds anything. Each distinct string of a value is
searched once, and a short string found clean once per process (``_findings``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from talentlib.pii import find_pii

__all__ = ["Cache", "CachePIIError"]


class CachePIIError(ValueError):
    """A value for the cache still holds PII; mask it (talentlib.pii.mask_pii) first."""


def _strings(value: Any, out: list[str] | None = None) -> list[str]:
    """The strings in ``value`` (mapping keys too), depth first."""
    out = [] if out is None else out
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list | tuple):
        for v in value:
            if isinstance(v, str):
                out.append(v)
            else:
                _strings(v, out)
    elif value is not None and isinstance(value, dict | Mapping):
        for kv in value.items():
            for x in kv:
                if isinstance(x, str):
                    out.append(x)
                else:
                    _strings(x, out)
    return out


# Strings that find_pii (a pure function of the string) found clean, up to this length: values
# repeat the same keys, codes and mention texts thousands of times over a batch; a posting's
# text, longer, is searched every time.
_CLEAN_MAX_LEN = 256
_CLEAN_MAX = 100_000
_clean: set[str] = set()


def _findings(s: str) -> list[tuple[str, int, int]]:
    if s in _clean:
        return []
    found = find_pii(s)
    if not found and len(s) <= _CLEAN_MAX_LEN:
        if len(_clean) >= _CLEAN_MAX:
            _clean.clear()
        _clean.add(s)
    return found


class Cache:
    """JSON entries under ``root/<stage>/<2 hex>/<key>.json``; one writer or many, same result."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._made: set[Path] = set()  # folders this instance has made or found

    @staticmethod
    def key(content_sha256: str, stage: str, version: str) -> str:
        return hashlib.sha256(f"{content_sha256}\x1f{stage}\x1f{version}".encode()).hexdigest()

    def path(self, content_sha256: str, stage: str, version: str) -> Path:
        k = self.key(content_sha256, stage, version)
        return self.root / stage / k[:2] / f"{k}.json"

    def get(self, content_sha256: str, stage: str, version: str) -> dict[str, Any] | None:
        """The stored value, or None when absent or unreadable."""
        p = self.path(content_sha256, stage, version)
        try:
            with open(p, encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("content_sha256") != content_sha256:
            return None
        value = entry.get("value")
        return value if isinstance(value, dict) else None

    def put(self, content_sha256: str, stage: str, version: str, value: Mapping[str, Any]) -> Path:
        """Store ``value`` (JSON-serialisable, PII-masked) atomically and return its path."""
        for s in dict.fromkeys(_strings(value)):  # in order: the first offender is reported
            found = _findings(s)
            if found:
                kinds = ", ".join(sorted({k for k, _, _ in found}))
                raise CachePIIError(
                    f"refusing to cache {stage} result for {content_sha256[:12]}…: it still "
                    f"holds PII ({kinds}); mask it with talentlib.pii.mask_pii first"
                )
        p = self.path(content_sha256, stage, version)
        if p.parent not in self._made:
            p.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(p.parent)
        entry = {
            "content_sha256": content_sha256,
            "stage": stage,
            "version": version,
            "value": dict(value),
        }
        data = json.dumps(entry, ensure_ascii=False).encode("utf-8")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        except FileNotFoundError:  # the folder was removed since
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return p

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*/*.json")) if self.root.exists() else 0

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"
