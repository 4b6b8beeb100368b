"""Brute-force backoff for logins, counted per username and per client address.

After ``max_failures`` misses a key is locked for ``backoff``, doubling with
each further miss. Counters live in the database so that every worker sees them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.models import LoginThrottle
from sebrus.services.errors import RateLimited

# A quiet key starts over: old failures should not lock out a user for ever.
FORGET_AFTER = timedelta(hours=1)
MAX_LOCK = timedelta(hours=1)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 5
    backoff_seconds: float = 1.0


def throttle_keys(username: str, client: str | None) -> list[str]:
    keys = [f"user:{username.lower()[:100]}"]
    if client:
        keys.append(f"client:{client[:100]}")
    return keys


def check_allowed(db: Session, keys: list[str], now: datetime | None = None) -> None:
    now = now or utcnow()
    for key in keys:
        row = db.get(LoginThrottle, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = math.ceil((row.locked_until - now).total_seconds())
            raise RateLimited(f"Too many failed logins; try again in {wait} s.", retry_after_seconds=wait)


def record_failure(db: Session, keys: list[str], policy: ThrottlePolicy, now: datetime | None = None) -> None:
    now = now or utcnow()
    for key in keys:
        row = db.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            db.add(row)
        elif now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
            row.locked_until = None
        row.failures += 1
        row.last_failure_at = now
        excess = row.failures - policy.max_failures
        if excess >= 0:
            lock = timedelta(seconds=policy.backoff_seconds * (2 ** min(excess, 20)))
            row.locked_until = now + min(lock, MAX_LOCK)


def reset(db: Session, key: str) -> None:
    row = db.get(LoginThrottle, key)
    if row is not None:
        db.delete(row)
