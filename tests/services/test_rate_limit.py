"""The per-client sliding window the JSON-RPC endpoint counts calls in."""

from __future__ import annotations

import pytest

from sebrus.services.errors import RateLimited
from sebrus.services.rate_limit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_units_count_per_key_and_free_up_after_a_minute() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(5, "calls", clock)
    limiter.take("a", 3)
    limiter.take("b", 5)  # another client has its own window
    with pytest.raises(RateLimited, match="at most 5 a minute per client") as refused:
        limiter.take("a", 3)  # a batch that does not fit is refused whole, counting nothing
    assert 1 <= refused.value.retry_after_seconds <= 61
    limiter.take("a", 2)
    clock.now += 60
    limiter.take("a", 5)


def test_zero_means_no_limit_and_negative_is_refused() -> None:
    unlimited = SlidingWindowLimiter(0, "calls")
    for _ in range(100):
        unlimited.take("a", 100)
    with pytest.raises(ValueError, match="negative"):
        SlidingWindowLimiter(-1, "calls")
