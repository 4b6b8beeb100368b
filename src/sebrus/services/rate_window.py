"""A sliding-window rate limit per key, in this process's memory: the one limiter every limit uses.

Uploads and dataset creation are limited per user (decoding, anchoring and contract deployments are
expensive for one account to ask for); the embedded chain's ``/rpc`` per client address, where every
call of a batch counts, so batching does not multiply what one client may ask of the chain. Enough
for one server; several servers behind a balancer would each apply the limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from sebrus.services.errors import RateLimited

MAX_TRACKED_KEYS = 10_000  # beyond this, keys idle for a whole window are forgotten


class SlidingWindowLimiter:
    """At most ``limit`` units per key in any ``window_seconds``; ``limit`` 0 means no limit.

    ``refusal`` is the message a refused caller reads; the 429 answer adds Retry-After.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        refusal: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 0:
            raise ValueError("a rate limit cannot be negative")
        self.limit = limit
        self.window_seconds = window_seconds
        self.refusal = refusal
        self._clock = clock
        self._seen: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: Hashable, units: int = 1) -> None:
        """Count ``units`` for ``key``, or raise RateLimited (counting nothing) saying when they fit."""
        if self.limit == 0:
            return
        now = self._clock()
        with self._lock:
            if len(self._seen) > MAX_TRACKED_KEYS:
                self._forget_idle(now)
            window = self._seen.setdefault(key, deque())
            while window and now - window[0] >= self.window_seconds:
                window.popleft()
            if len(window) + units > self.limit:
                wait = self.window_seconds - (now - window[0]) if window else self.window_seconds
                raise RateLimited(self.refusal, retry_after_seconds=max(1, int(wait) + 1))
            window.extend([now] * units)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, w in self._seen.items() if not w or now - w[-1] >= self.window_seconds]:
            del self._seen[key]


def per_minute(limit: int, what: str, *, clock: Callable[[], float] = time.monotonic) -> SlidingWindowLimiter:
    """A one-minute window per client address, its refusal naming ``what`` is counted."""
    return SlidingWindowLimiter(
        limit, 60.0, f"Too many {what}: at most {limit} a minute per client.", clock=clock
    )
