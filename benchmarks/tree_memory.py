"""Peak resident memory of a process tree, for the benchmarks that run steps as processes."""

from __future__ import annotations

import threading


class TreeMemory:
    """Peak total RSS (bytes) of a process and all its descendants, sampled every ``every``
    seconds while the ``with`` block runs (``pid``: this process when None)."""

    def __init__(self, pid: int | None = None, every: float = 0.2) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self._every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                procs = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                procs = []
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self._every)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
