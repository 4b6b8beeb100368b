"""Browser sessions and API tokens. Tokens are shown once; only their sha256 is stored.

Expired rows are deleted when a new session or token is made, at most ``PURGE_BATCH`` at a time (oldest
first): every creation removes up to that many, so expired rows go at least as fast as new ones come,
the table stays about the size of the live sessions, and no login pays for a large backlog at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.models import AuthSession, SessionKind, User
from sebrus.services import audit_log
from sebrus.services.errors import InvalidInput, NotFound, PermissionDenied

MAX_TOKEN_NAME = 64
PURGE_BATCH = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedSession:
    """The row plus the plain token, which exists only in this object and the response that carries it."""

    session: AuthSession
    token: str


def create_session(
    db: Session,
    user: User,
    *,
    kind: SessionKind,
    ttl: timedelta,
    name: str | None = None,
    now: datetime | None = None,
) -> IssuedSession:
    if name is not None and not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise InvalidInput(f"`name` must be 1 to {MAX_TOKEN_NAME} characters.", field="name")
    now = now or utcnow()
    purge_expired(db, now)
    token = secrets.token_urlsafe(32)
    row = AuthSession(
        user_id=user.id,
        token_hash=hash_token(token),
        csrf_secret=secrets.token_urlsafe(32),
        kind=kind,
        name=name,
        created_at=now,
        expires_at=now + ttl,
    )
    db.add(row)
    db.flush()
    action = "session.create" if kind is SessionKind.COOKIE else "api_token.create"
    audit_log.record(db, action, f"session:{row.id}", actor_user_id=user.id, details={"kind": kind.value})
    db.commit()
    return IssuedSession(session=row, token=token)


def purge_expired(db: Session, now: datetime, limit: int = PURGE_BATCH) -> int:
    """Delete up to ``limit`` sessions and tokens expired by ``now``, oldest first; how many went.

    They already resolve to nobody (``resolve_token``), so this only frees space; it joins the caller's
    transaction. Expiry is not anyone's act, so it is not audited.
    """
    expired = (
        select(AuthSession.id).where(AuthSession.expires_at <= now).order_by(AuthSession.id).limit(limit)
    )
    result = db.execute(
        delete(AuthSession).where(AuthSession.id.in_(expired.scalar_subquery())),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def resolve_token(db: Session, token: str, now: datetime | None = None) -> AuthSession | None:
    """The live session a token names, or None (unknown, expired or malformed all look the same)."""
    if not token or len(token) > 256:
        return None
    row = db.scalar(select(AuthSession).where(AuthSession.token_hash == hash_token(token)))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


def csrf_matches(session: AuthSession, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(session.csrf_secret.encode(), presented.encode())


def get_own_session(db: Session, session_id: int, user: User) -> AuthSession:
    row = db.get(AuthSession, session_id)
    if row is None:
        raise NotFound("Session not found.")
    if row.user_id != user.id:
        raise PermissionDenied("You may only access your own sessions.")
    return row


def revoke_session(db: Session, row: AuthSession, actor: User) -> None:
    if row.user_id != actor.id:
        raise PermissionDenied("You may only end your own sessions.")
    action = "session.delete" if row.kind is SessionKind.COOKIE else "api_token.revoke"
    audit_log.record(db, action, f"session:{row.id}", actor_user_id=actor.id)
    db.delete(row)
    db.commit()


def revoke_other_sessions(db: Session, user: User, keep_session_id: int | None) -> int:
    """After a password change, every other way in is closed."""
    rows = db.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    revoked = 0
    for row in rows:
        if row.id != keep_session_id:
            db.delete(row)
            revoked += 1
    return revoked


def list_api_tokens(db: Session, user: User, now: datetime | None = None) -> list[AuthSession]:
    now = now or utcnow()
    stmt = (
        select(AuthSession)
        .where(
            AuthSession.user_id == user.id,
            AuthSession.kind == SessionKind.API_TOKEN,
            AuthSession.expires_at > now,
        )
        .order_by(AuthSession.id)
    )
    return list(db.scalars(stmt))


def get_own_api_token(db: Session, token_id: int, user: User) -> AuthSession:
    row = get_own_session(db, token_id, user)
    if row.kind is not SessionKind.API_TOKEN:
        raise NotFound("API token not found.")
    return row
