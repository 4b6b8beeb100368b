"""The sliding window every rate limit counts in (uploads, dataset creation, /rpc calls)."""

from __future__ import annotations

import pytest

from sebrus.services.errors import RateLimited
from sebrus.services.rate_window import SlidingWindowLimiter, per_minute


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_units_count_per_key_and_free_up_after_a_minute() -> None:
    clock = Clock()
    limiter = per_minute(5, "calls", clock=clock)
    limiter.check("a", 3)
    limiter.check("b", 5)  # another client has its own window
    with pytest.raises(RateLimited, match="at most 5 a minute per client") as refused:
        limiter.check("a", 3)  # a batch that does not fit is refused whole, counting nothing
    assert 1 <= refused.value.retry_after_seconds <= 61
    limiter.check("a", 2)
    clock.now += 60
    limiter.check("a", 5)


def test_zero_means_no_limit_and_negative_is_refused() -> None:
    unlimited = per_minute(0, "calls")
    for _ in range(100):
        unlimited.check("a", 100)
    with pytest.raises(ValueError, match="negative"):
        SlidingWindowLimiter(-1, 60, "calls")
