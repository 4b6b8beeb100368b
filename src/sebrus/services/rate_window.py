"""A sliding-window rate limit per user, in this process's memory.

Shared by the limits that protect something expensive from one account: uploads (decoding and
anchoring) and dataset creation (a contract deployment of up to several seconds of chain time).
Enough for one server; several servers behind a balancer would each apply the limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from sebrus.services.errors import RateLimited


class SlidingWindowLimiter:
    """At most ``limit`` events per key in any ``window_seconds``; ``limit`` 0 means no limit.

    ``refusal`` is the message a refused caller reads; the 429 answer adds Retry-After.
    """

    def __init__(self, limit: int, window_seconds: float, refusal: str) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.refusal = refusal
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: int) -> None:
        """Count one event for ``key``, or raise RateLimited saying when the next one is allowed."""
        if self.limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            window = self._seen.setdefault(key, deque())
            while window and now - window[0] > self.window_seconds:
                window.popleft()
            if len(window) >= self.limit:
                retry = max(1, int(self.window_seconds - (now - window[0])) + 1)
                raise RateLimited(self.refusal, retry_after_seconds=retry)
            window.append(now)
