from __future__ import annotations

import hashlib
from datetime import timedelta

from argon2 import PasswordHasher

from sebrus.db.base import utcnow
from sebrus.db.models import AuthSession, SessionKind
from sebrus.services import accounts
from sebrus.services.passwords import Passwords
from sebrus.services.sessions import create_session, csrf_matches, resolve_token

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def test_only_the_token_hash_is_stored(db):
    user = accounts.register_user(db, CHEAP, "alice", "a long password")
    issued = create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1))
    row = db.get(AuthSession, issued.session.id)
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in {row.token_hash, row.csrf_secret}
    assert len(issued.token) >= 43  # token_urlsafe(32)


def test_expired_and_unknown_tokens_do_not_resolve(db):
    user = accounts.register_user(db, CHEAP, "alice", "a long password")
    issued = create_session(db, user, kind=SessionKind.API_TOKEN, ttl=timedelta(minutes=5), name="t")
    assert resolve_token(db, issued.token).id == issued.session.id
    assert resolve_token(db, issued.token, now=utcnow() + timedelta(minutes=6)) is None
    assert resolve_token(db, "nope") is None and resolve_token(db, "") is None
    assert resolve_token(db, "x" * 1000) is None


def test_csrf_comparison(db):
    user = accounts.register_user(db, CHEAP, "alice", "a long password")
    session = create_session(db, user, kind=SessionKind.COOKIE, ttl=timedelta(hours=1)).session
    assert csrf_matches(session, session.csrf_secret)
    assert not csrf_matches(session, None) and not csrf_matches(session, session.csrf_secret + "x")
