"""A background thread that runs one step repeatedly: at once when woken, otherwise on a timer.

The relayer and the indexer use it. ``step`` returns how much work it did; while there is work the
loop runs again straight away, and an error is logged and retried after a back-off rather than
killing the thread.

A loop that must have one owner among several processes is given a :class:`~sebrus.jobs.coordination.Lease`:
it steps only while it holds the lease, and otherwise retries every ``lease_retry_seconds``, which bounds
how long a dead holder's loop stays unowned.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sebrus.jobs.coordination import Lease

log = logging.getLogger(__name__)


class BackgroundLoop:
    def __init__(
        self,
        name: str,
        step: Callable[[], int],
        *,
        idle_seconds: float = 0.5,
        max_backoff: float = 10.0,
        lease: Lease | None = None,
        lease_retry_seconds: float = 2.0,
        on_ownership: Callable[[], object] | None = None,
    ):
        self.name = name
        self._step = step
        self._lease = lease
        self._lease_retry = lease_retry_seconds
        # Runs before the first step after this process takes the loop over: the place to settle
        # what a previous owner (this process before a restart, or a dead one) left half-done.
        self._on_ownership = on_ownership
        self._owned = False
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
        if self._lease is not None:
            self._lease.release()
        self._owned = False

    @property
    def running(self) -> bool:
        return self._thread is not None

    def owns_lease(self) -> bool:
        """Whether this process runs the loop now (always, without a lease)."""
        return self._lease is None or self._lease.acquire()

    def _run(self) -> None:
        backoff = self._idle
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if not self.owns_lease():
                    self._owned = False
                    self._stop.wait(self._lease_retry)
                    continue
                if not self._owned:
                    if self._on_ownership is not None:
                        self._on_ownership()
                    self._owned = True
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
