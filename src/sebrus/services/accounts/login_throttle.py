"""Brute-force backoff for password checks, counted per account-and-client pair and per client address.

Why these two keys and no per-account key: an account-wide lock lets anyone lock the owner out with a
few wrong passwords (OWASP, Authentication Cheat Sheet: account lockout as denial of service). Keyed on
the pair, a stranger's guesses lock the stranger's address out of that account and leave the owner's
own client alone; the per-address key stops one address spraying guesses across many accounts. The
client is ``request.client.host``: behind a proxy the deployment must pass the real address on
(``uvicorn --proxy-headers --forwarded-allow-ips=<the proxy>``), or every visitor shares the proxy's.

Why an attempt is counted *before* the password is checked: checking first and counting after lets N
concurrent guesses all pass the check while the counter still reads "under the limit". Each attempt
is one atomic upsert (``attempt_counters.increment``: the row stays locked until commit), committed
before argon2 runs, so at most ``max_failures`` guesses per pair ever reach the hasher. The attempt
that reaches the limit sets the lock at once; a success takes its own count back.

After the limit a key is locked for ``backoff``, doubling with each further miss (at most an hour).
Counters live in the database so that every worker sees them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.models import LoginThrottle
from sebrus.services.accounts import attempt_counters
from sebrus.services.errors import RateLimited

# A quiet key starts over: old failures should not lock out a user for ever.
FORGET_AFTER = timedelta(hours=1)
MAX_LOCK = timedelta(hours=1)
# Key parts are cut so that a key fits the column (128): "login:" + 64 + "|" + 50.
_NAME_CHARS = 64
_CLIENT_CHARS = 50


@dataclass(frozen=True)
class ThrottlePolicy:
    #: wrong passwords for one account from one client address before backoff starts
    max_failures: int = 5
    backoff_seconds: float = 1.0
    #: wrong passwords from one client address, over all accounts, before that address backs off
    client_max_failures: int = 20


@dataclass(frozen=True)
class AttemptKeys:
    """The two counters one password check is charged to."""

    pair: str
    client: str

    def limits(self, policy: ThrottlePolicy) -> dict[str, int]:
        return {self.pair: policy.max_failures, self.client: policy.client_max_failures}


def throttle_keys(username: str, client: str | None) -> AttemptKeys:
    """Keys for a check of ``username``'s password from ``client`` (None: an unknown address, one key)."""
    address = (client or "")[:_CLIENT_CHARS]
    return AttemptKeys(pair=f"login:{username.lower()[:_NAME_CHARS]}|{address}", client=f"client:{address}")


def begin_attempt(
    db: Session, keys: AttemptKeys, policy: ThrottlePolicy, now: datetime | None = None
) -> None:
    """Count one password check against both keys and commit, or raise RateLimited while either is locked.

    Call it before checking the password; then ``record_success`` if the password was right (a miss
    needs nothing more: it was counted here). A refused attempt is rolled back and counts for nothing.
    """
    now = now or utcnow()
    limits = keys.limits(policy)
    counted: dict[str, int] = {}
    waits: list[int] = []
    for key in sorted(limits):  # one order everywhere, so two attempts never wait on each other's rows
        row = attempt_counters.increment(db, key, now)
        if row.locked_until is not None and row.locked_until > now:
            waits.append(math.ceil((row.locked_until - now).total_seconds()))
        counted[key] = 1 if now - row.since > FORGET_AFTER else row.count
    if waits:
        db.rollback()
        wait = max(waits)
        raise RateLimited(f"Too many failed logins; try again in {wait} s.", retry_after_seconds=wait)
    for key, failures in counted.items():
        excess = failures - limits[key]
        locked = None
        if excess >= 0:
            lock = timedelta(seconds=policy.backoff_seconds * (2 ** min(excess, 20)))
            locked = now + min(lock, MAX_LOCK)
        db.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(failures=failures, last_failure_at=now, locked_until=locked)
        )
    db.commit()


def record_success(db: Session, keys: AttemptKeys, policy: ThrottlePolicy) -> None:
    """The password was right: the pair starts over; the address gets back the one attempt it was charged.

    The address keeps its other misses: otherwise a guesser could clear its count by logging into an
    account of its own between guesses. Joins the caller's transaction.
    """
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == keys.pair))
    attempt_counters.give_back(db, keys.client)
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == keys.client, LoginThrottle.failures < policy.client_max_failures)
        .values(locked_until=None)
    )
