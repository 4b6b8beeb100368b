from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from sebrus.db.base import utcnow
from sebrus.db.models import AuditLogEntry, User
from sebrus.services.accounts import users
from sebrus.services.accounts.login_throttle import ThrottlePolicy
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.errors import Conflict, NotAuthenticated, RateLimited

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "a long enough password"


def test_password_is_stored_as_argon2id_hash(db):
    user = users.register_user(db, CHEAP, "alice", PASSWORD)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert "password" not in repr(user) and "argon2" not in repr(user)


def test_register_writes_audit_entry(db):
    user = users.register_user(db, CHEAP, "alice", PASSWORD)
    entry = db.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "user.create"))
    assert entry is not None and entry.subject == f"user:{user.id}" and PASSWORD not in str(entry.details)


def test_usernames_are_unique_ignoring_case(db):
    users.register_user(db, CHEAP, "Alice", PASSWORD)
    with pytest.raises(Conflict):
        users.register_user(db, CHEAP, "aLiCe", PASSWORD)
    assert users.authenticate(db, CHEAP, "ALICE", PASSWORD).username == "Alice"


def test_hash_is_upgraded_when_parameters_change(db):
    user = users.register_user(db, CHEAP, "alice", PASSWORD)
    old_hash = user.password_hash
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    users.authenticate(db, stronger, "alice", PASSWORD)
    db.refresh(user)
    assert user.password_hash != old_hash and "t=2" in user.password_hash
    # and it still verifies with the new parameters
    assert users.authenticate(db, stronger, "alice", PASSWORD).id == user.id


def test_backoff_locks_then_doubles_then_forgets(db):
    users.register_user(db, CHEAP, "alice", PASSWORD)
    policy = ThrottlePolicy(max_failures=2, backoff_seconds=10)
    t0 = utcnow()

    def attempt(password: str, at):
        return users.authenticate(db, CHEAP, "alice", password, client="10.0.0.1", policy=policy, now=at)

    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            attempt("wrong password", t0)
    with pytest.raises(RateLimited) as locked:
        attempt(PASSWORD, t0 + timedelta(seconds=5))  # even the right password waits out the lock
    assert locked.value.retry_after_seconds == 5

    # the lock is over; the third miss in a row locks for twice as long
    with pytest.raises(NotAuthenticated):
        attempt("wrong password", t0 + timedelta(seconds=11))
    with pytest.raises(RateLimited) as doubled:
        attempt(PASSWORD, t0 + timedelta(seconds=12))
    assert doubled.value.retry_after_seconds == 19

    # after an hour of quiet the count starts over: two misses lock for the first 10 s again
    later = t0 + timedelta(seconds=11, hours=1, minutes=1)
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            attempt("wrong password", later)
    with pytest.raises(RateLimited) as again:
        attempt(PASSWORD, later + timedelta(seconds=1))
    assert again.value.retry_after_seconds == 9
    # and a success resets the count
    assert attempt(PASSWORD, later + timedelta(seconds=11)).username == "alice"
    with pytest.raises(NotAuthenticated):
        attempt("wrong password", later + timedelta(seconds=12))
    assert attempt(PASSWORD, later + timedelta(seconds=13)).username == "alice"


def test_unknown_user_is_throttled_like_a_known_one(db):
    policy = ThrottlePolicy(max_failures=1, backoff_seconds=60)
    with pytest.raises(NotAuthenticated, match=r"Username and password not found\."):
        users.authenticate(db, CHEAP, "ghost", PASSWORD, policy=policy)
    with pytest.raises(RateLimited):
        users.authenticate(db, CHEAP, "ghost", PASSWORD, policy=policy)


def test_delete_user_cascades_sessions_and_keeps_audit(db):
    from sebrus.db.models import AuthSession, SessionKind
    from sebrus.services.accounts.sessions import create_session

    user = users.register_user(db, CHEAP, "alice", PASSWORD)
    create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1))
    users.delete_user(db, CHEAP, user, user, users.Reauth(PASSWORD))
    assert db.scalar(select(User)) is None and db.scalar(select(AuthSession)) is None
    actions = set(db.scalars(select(AuditLogEntry.action)))
    assert {"user.create", "session.create", "user.delete"} <= actions
