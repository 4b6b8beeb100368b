"""Request dependencies: the database session and who is asking.

Authentication is a ``session`` cookie or ``Authorization: Bearer <token>``.
Cookie-authenticated requests that change state must also send the session's
CSRF token in ``X-CSRF-Token`` (a cross-site form can carry the cookie but
cannot read the token); bearer requests are exempt, since no browser attaches
that header on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from sebrus.api.state import PlatformState
from sebrus.db.models import AuthSession, User
from sebrus.services.accounts.sessions import csrf_matches, resolve_token
from sebrus.services.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest

SESSION_COOKIE = "session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_state(request: Request) -> PlatformState:
    state: PlatformState = request.app.state.platform
    return state


State = Annotated[PlatformState, Depends(get_state)]


def get_db(state: State) -> Iterator[Session]:
    session = state.session_factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]


@dataclass(frozen=True)
class Auth:
    user: User
    session: AuthSession
    via: Literal["cookie", "bearer"]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def get_optional_auth(request: Request, db: DbSession) -> Auth | None:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("The Authorization header must be `Bearer <token>`.")
        session = resolve_token(db, token.strip())
        if session is None:
            raise _unauthorized("The bearer token is invalid or expired.")
        return Auth(user=session.user, session=session, via="bearer")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = resolve_token(db, cookie)
    if session is None:
        return None  # a stale cookie is just an anonymous visitor
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise HTTPException(
            status_code=403,
            detail=f"Missing or wrong {CSRF_HEADER} header: send the csrf_token from your session.",
        )
    return Auth(user=session.user, session=session, via="cookie")


OptionalAuth = Annotated[Auth | None, Depends(get_optional_auth)]


def get_auth(auth: OptionalAuth) -> Auth:
    if auth is None:
        raise _unauthorized("Not logged in: send the `session` cookie or a bearer token.")
    return auth


CurrentAuth = Annotated[Auth, Depends(get_auth)]


def get_current_user(auth: CurrentAuth) -> User:
    return auth.user


def get_optional_user(auth: OptionalAuth) -> User | None:
    return auth.user if auth is not None else None


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Pagination = Annotated[PageRequest, Depends(get_page)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None
