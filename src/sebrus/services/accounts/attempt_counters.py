"""One atomic "count this attempt" on the ``login_throttle`` table, shared by the login throttle and the
sign-up limit.

Why an upsert with RETURNING rather than read-then-write: two requests that read the same count both
think they are under the limit. ``INSERT ... ON CONFLICT DO UPDATE SET failures = failures + 1
RETURNING`` counts and reads in one statement, and keeps the row locked (PostgreSQL) or the database
write-locked (SQLite) until the caller commits, so whatever the caller decides from the count it writes
before anyone else reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sebrus.db.models import LoginThrottle


@dataclass(frozen=True)
class Counted:
    """A counter right after this attempt was added to it."""

    count: int
    #: when the count last started over (a new key: now); the throttle moves it on every miss
    since: datetime
    locked_until: datetime | None


def increment(db: Session, key: str, now: datetime) -> Counted:
    """Add one to ``key`` (a new key starts at one, dated ``now``), atomically, inside the caller's
    transaction: the caller commits (keeping the count) or rolls back (as if nothing had been tried)."""
    values = {"key": key, "failures": 1, "last_failure_at": now, "locked_until": None}
    counted = {"failures": LoginThrottle.failures + 1}
    dialect = db.get_bind().dialect.name
    upsert: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        upsert = postgresql.insert(LoginThrottle).values(values)
        upsert = upsert.on_conflict_do_update(index_elements=[LoginThrottle.key], set_=counted)
    elif dialect == "sqlite":
        upsert = sqlite.insert(LoginThrottle).values(values)
        upsert = upsert.on_conflict_do_update(index_elements=[LoginThrottle.key], set_=counted)
    else:
        raise NotImplementedError(f"Attempt counters support PostgreSQL and SQLite, not {dialect}.")
    statement = upsert.returning(
        LoginThrottle.failures, LoginThrottle.last_failure_at, LoginThrottle.locked_until
    )
    count, since, locked_until = db.execute(statement).one()
    return Counted(count=int(count), since=since, locked_until=locked_until)


def give_back(db: Session, key: str) -> None:
    """Take one attempt off ``key`` (never below zero), in the caller's transaction."""
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0))
    )
