"""How many accounts one client address may create per hour.

Why: every sign-up on the platform gets a custodial wallet funded on chain, so unthrottled anonymous
sign-up is a tap anyone can drain. Counted per ``request.client.host`` (behind a proxy the deployment
must pass the real address on, see ``login_throttle``) in the database, so every worker shares the
count, with one atomic upsert per sign-up (``attempt_counters``). The window is fixed: it starts at
the address's first sign-up and the count starts over an hour later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.models import LoginThrottle
from sebrus.services.accounts import attempt_counters
from sebrus.services.errors import RateLimited

WINDOW = timedelta(hours=1)
_CLIENT_CHARS = 100


@dataclass(frozen=True)
class SignupPolicy:
    #: accounts one client address may create per hour; 0 switches the limit off
    per_hour: int = 10


def signup_key(client: str | None) -> str:
    return f"signup:{(client or '')[:_CLIENT_CHARS]}"


def reserve(db: Session, client: str | None, policy: SignupPolicy, now: datetime | None = None) -> str | None:
    """Count one sign-up for ``client`` and commit; RateLimited (nothing counted) when it has had its share.

    Returns the key to ``release`` if the sign-up then fails (a taken name must not use up a slot), or
    None when the limit is off.
    """
    if policy.per_hour <= 0:
        return None
    now = now or utcnow()
    key = signup_key(client)
    row = attempt_counters.increment(db, key, now)
    if now - row.since >= WINDOW:  # the last window is over: this sign-up opens a new one
        restart = update(LoginThrottle).where(LoginThrottle.key == key)
        db.execute(restart.values(failures=1, last_failure_at=now))
    elif row.count > policy.per_hour:
        db.rollback()
        wait = max(1, math.ceil((row.since + WINDOW - now).total_seconds()))
        raise RateLimited(
            f"Too many new accounts from your address: at most {policy.per_hour} an hour; "
            f"try again in {wait} s.",
            retry_after_seconds=wait,
        )
    db.commit()
    return key


def release(db: Session, key: str | None) -> None:
    """Give back a slot whose sign-up failed, and commit."""
    if key is None:
        return
    attempt_counters.give_back(db, key)
    db.commit()
