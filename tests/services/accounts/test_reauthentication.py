"""A new password and a deleted account need the current password (item 8 of the audit): a stolen
token alone can do neither, and a password change ends every way in but the one that proved it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import AuditLogEntry, AuthSession, SessionKind, User
from sebrus.services.accounts import users
from sebrus.services.accounts.login_throttle import ThrottlePolicy
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.sessions import IssuedSession, create_session, resolve_token
from sebrus.services.errors import InvalidInput, PermissionDenied, RateLimited

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORD = "a long enough password"
NEW_PASSWORD = "a brand new passphrase"


def _alice_with_three_ways_in(db: Session) -> tuple[User, list[IssuedSession]]:
    user = users.register_user(db, CHEAP, "alice", PASSWORD)
    issued = [
        create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1)),
        create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1)),
        create_session(db, user, kind=SessionKind.API_TOKEN, ttl=timedelta(days=1), name="script"),
    ]
    return user, issued


def test_a_new_password_needs_the_current_one(db: Session) -> None:
    user, issued = _alice_with_three_ways_in(db)
    old_hash = user.password_hash
    with pytest.raises(InvalidInput, match="current_password") as missing:
        users.update_user(db, CHEAP, user, user, password=NEW_PASSWORD, keep_session_id=issued[0].session.id)
    assert missing.value.field == "current_password"
    with pytest.raises(PermissionDenied, match="nothing was changed"):
        users.update_user(
            db,
            CHEAP,
            user,
            user,
            username="alice2",
            password=NEW_PASSWORD,
            reauth=users.Reauth("not my password"),
            keep_session_id=issued[0].session.id,
        )
    db.refresh(user)
    assert user.password_hash == old_hash and user.username == "alice"
    assert all(resolve_token(db, way.token) is not None for way in issued)
    assert db.scalar(select(AuditLogEntry).where(AuditLogEntry.action == "reauth.failure")) is not None


def test_a_new_password_ends_every_session_and_token_but_the_one_that_proved_it(db: Session) -> None:
    user, issued = _alice_with_three_ways_in(db)
    kept = issued[1]
    users.update_user(
        db,
        CHEAP,
        user,
        user,
        password=NEW_PASSWORD,
        reauth=users.Reauth(PASSWORD),
        keep_session_id=kept.session.id,
    )
    assert [row.id for row in db.scalars(select(AuthSession))] == [kept.session.id]
    assert users.authenticate(db, CHEAP, "alice", NEW_PASSWORD).id == user.id


def test_a_rename_alone_needs_no_password(db: Session) -> None:
    user, _issued = _alice_with_three_ways_in(db)
    assert users.update_user(db, CHEAP, user, user, username="alice2").username == "alice2"


def test_deleting_the_account_needs_its_password(db: Session) -> None:
    user, _issued = _alice_with_three_ways_in(db)
    with pytest.raises(InvalidInput, match="current_password"):
        users.delete_user(db, CHEAP, user, user, users.Reauth(None))
    with pytest.raises(PermissionDenied):
        users.delete_user(db, CHEAP, user, user, users.Reauth("not my password"))
    assert db.get(User, user.id) is not None
    users.delete_user(db, CHEAP, user, user, users.Reauth(PASSWORD))
    assert db.scalar(select(User)) is None


def test_a_token_does_not_buy_unlimited_guesses_at_its_password(db: Session) -> None:
    user, _issued = _alice_with_three_ways_in(db)
    policy = ThrottlePolicy(max_failures=3, backoff_seconds=60)
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            users.delete_user(db, CHEAP, user, user, users.Reauth("a guess", "203.0.113.5", policy))
    with pytest.raises(RateLimited):
        users.delete_user(db, CHEAP, user, user, users.Reauth(PASSWORD, "203.0.113.5", policy))
    assert db.get(User, user.id) is not None
