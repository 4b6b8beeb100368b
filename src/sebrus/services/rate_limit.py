"""A sliding one-minute window of requests per key (a client address), in this process's memory.

The JSON-RPC endpoint counts every call of a batch, so batching does not multiply what one client
may ask of the chain. Enough for one server; several servers behind a balancer would each apply it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from sebrus.services.errors import RateLimited

WINDOW_SECONDS = 60.0
MAX_TRACKED_KEYS = 10_000  # beyond this, keys idle for a whole window are forgotten


class SlidingWindowLimiter:
    """At most ``per_minute`` units per key in any 60 seconds; ``per_minute == 0`` means no limit."""

    def __init__(self, per_minute: int, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0:
            raise ValueError("per_minute cannot be negative")
        self.per_minute = per_minute
        self._what = what
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, units: int = 1) -> None:
        """Count ``units`` for ``key``, or raise ``RateLimited`` (counting nothing) if they do not fit."""
        if self.per_minute == 0:
            return
        now = self._clock()
        with self._lock:
            if len(self._seen) > MAX_TRACKED_KEYS:
                self._forget_idle(now)
            window = self._seen.setdefault(key, deque())
            while window and now - window[0] >= WINDOW_SECONDS:
                window.popleft()
            if len(window) + units > self.per_minute:
                wait = WINDOW_SECONDS - (now - window[0]) if window else WINDOW_SECONDS
                raise RateLimited(
                    f"Too many {self._what}: at most {self.per_minute} a minute per client.",
                    retry_after_seconds=max(1, int(wait) + 1),
                )
            window.extend([now] * units)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, w in self._seen.items() if not w or now - w[-1] >= WINDOW_SECONDS]:
            del self._seen[key]
