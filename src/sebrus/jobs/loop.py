"""A background thread that runs one step repeatedly: at once when woken, otherwise on a timer.

The relayer and the indexer use it. ``step`` returns how much work it did; while there is work the
loop runs again straight away, and an error is logged and retried after a back-off rather than
killing the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class BackgroundLoop:
    def __init__(
        self, name: str, step: Callable[[], int], *, idle_seconds: float = 0.5, max_backoff: float = 10.0
    ):
        self.name = name
        self._step = step
        self._idle = idle_seconds
        self._max_backoff = max_backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()  # a stopped loop can be started again
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        backoff = self._idle
        while not self._stop.is_set():
            self._wake.clear()
            try:
                done = self._step()
                backoff = self._idle
            except Exception:
                log.exception("%s step failed; retrying in %.1f s", self.name, backoff)
                done = 0
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if done == 0:
                self._wake.wait(self._idle)
