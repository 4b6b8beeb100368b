"""``/api/session``: log in and out with a cookie, as the prototype's client does."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from sebrus.api.schemas.common import ERROR_RESPONSES, StatusOut
from sebrus.api.schemas.sessions import NewSessionOut, SessionCreated, SessionFound, SessionOut
from sebrus.api.schemas.users import UserCredentials, UserOut
from sebrus.db.models import AuthSession, SessionKind
from sebrus.http.deps import SESSION_COOKIE, CurrentAuth, DbSession, OptionalAuth, State, client_address
from sebrus.services.accounts import sessions, users
from sebrus.services.errors import InvalidInput, NotAuthenticated, NotFound

router = APIRouter(prefix="/api/session", tags=["sessions"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=SessionCreated)
def log_in(
    body: UserCredentials, request: Request, response: Response, db: DbSession, state: State
) -> SessionCreated:
    """Answers the token in the body (prototype shape) and sets it as the HttpOnly ``session`` cookie."""
    if body.username is None or body.password is None:
        raise InvalidInput("Both `username` and `password` are required.")
    user = users.authenticate(
        db,
        state.passwords,
        body.username,
        body.password,
        client=client_address(request),
        policy=state.throttle,
    )
    ttl = timedelta(hours=state.settings.session_ttl_hours)
    issued = sessions.create_session(db, user, kind=SessionKind.COOKIE, ttl=ttl)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=state.settings.session_cookie_secure,
        path="/",
    )
    row = issued.session
    return SessionCreated(
        status="Session created.",
        session=NewSessionOut(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind.value,
            expires_at=row.expires_at,
            csrf_token=row.csrf_secret,
            token=issued.token,
        ),
    )


@router.get("/me", response_model=SessionFound)
def read_my_session(auth: CurrentAuth) -> SessionFound:
    return SessionFound(
        status="Success.", user=UserOut.model_validate(auth.user), session=SessionOut.of(auth.session, True)
    )


@router.delete("/me", response_model=StatusOut)
def log_out(response: Response, db: DbSession, auth: OptionalAuth, state: State) -> StatusOut:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=state.settings.session_cookie_secure, httponly=True
    )
    if auth is None:
        raise NotAuthenticated("Not logged in: there is no session to end.")
    sessions.revoke_session(db, auth.session, auth.user)
    return StatusOut(status="Session deleted.")


@router.get("/{session_id}", response_model=SessionFound)
def read_session(session_id: int, db: DbSession, auth: CurrentAuth) -> SessionFound:
    row = sessions.get_own_session(db, session_id, auth.user)
    same = row.id == auth.session.id
    return SessionFound(
        status="Success.", user=UserOut.model_validate(auth.user), session=SessionOut.of(row, same)
    )


@router.delete("/{session_id}", response_model=StatusOut)
def delete_session(
    session_id: int, response: Response, db: DbSession, auth: CurrentAuth, state: State
) -> StatusOut:
    """401 to anyone not logged in, whether or not the session exists: the answer must not tell."""
    row = db.get(AuthSession, session_id)
    if row is None:
        raise NotFound("Session not found.")
    sessions.revoke_session(db, row, auth.user)
    if auth.session.id == session_id:
        response.delete_cookie(
            SESSION_COOKIE, path="/", secure=state.settings.session_cookie_secure, httponly=True
        )
    return StatusOut(status="Session deleted.")
