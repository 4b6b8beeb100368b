from __future__ import annotations

import hashlib
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from sebrus.db.base import utcnow
from sebrus.db.models import AuthSession, SessionKind
from sebrus.services.accounts import users
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.sessions import PURGE_BATCH, create_session, csrf_matches, resolve_token

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def test_only_the_token_hash_is_stored(db):
    user = users.register_user(db, CHEAP, "alice", "a long password")
    issued = create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1))
    row = db.get(AuthSession, issued.session.id)
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in {row.token_hash, row.csrf_secret}
    assert len(issued.token) >= 43  # token_urlsafe(32)


def test_expired_and_unknown_tokens_do_not_resolve(db):
    user = users.register_user(db, CHEAP, "alice", "a long password")
    issued = create_session(db, user, kind=SessionKind.API_TOKEN, ttl=timedelta(minutes=5), name="t")
    assert resolve_token(db, issued.token).id == issued.session.id
    assert resolve_token(db, issued.token, now=utcnow() + timedelta(minutes=6)) is None
    assert resolve_token(db, "nope") is None and resolve_token(db, "") is None
    assert resolve_token(db, "x" * 1000) is None


def test_csrf_comparison(db):
    user = users.register_user(db, CHEAP, "alice", "a long password")
    session = create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1)).session
    assert csrf_matches(session, session.csrf_secret)
    assert not csrf_matches(session, None) and not csrf_matches(session, session.csrf_secret + "x")


def _session_ids(db) -> set[int]:
    return set(db.scalars(select(AuthSession.id)))


def test_a_new_session_purges_expired_sessions_and_tokens_of_every_user(db):
    alice = users.register_user(db, CHEAP, "alice", "a long password")
    bob = users.register_user(db, CHEAP, "bob", "a long password")
    start = utcnow()
    expired = {
        create_session(db, alice, kind=SessionKind.COOKIE, ttl=timedelta(minutes=1), now=start).session.id,
        create_session(
            db, bob, kind=SessionKind.API_TOKEN, ttl=timedelta(minutes=1), name="ci", now=start
        ).session.id,
    }
    live = create_session(db, bob, kind=SessionKind.COOKIE, ttl=timedelta(hours=1), now=start).session.id
    assert _session_ids(db) == expired | {live}

    later = start + timedelta(minutes=2)
    new = create_session(db, alice, kind=SessionKind.COOKIE, ttl=timedelta(hours=1), now=later).session.id
    assert _session_ids(db) == {live, new}


def test_the_purge_is_bounded_per_new_session(db):
    alice = users.register_user(db, CHEAP, "alice", "a long password")
    start = utcnow()
    for _ in range(PURGE_BATCH + 3):
        create_session(db, alice, kind=SessionKind.COOKIE, ttl=timedelta(seconds=1), now=start)
    later = start + timedelta(minutes=1)
    first = create_session(db, alice, kind=SessionKind.COOKIE, ttl=timedelta(hours=1), now=later)
    assert len(_session_ids(db)) == 3 + 1  # one batch went; the oldest first
    second = create_session(db, alice, kind=SessionKind.COOKIE, ttl=timedelta(hours=1), now=later)
    assert _session_ids(db) == {first.session.id, second.session.id}
