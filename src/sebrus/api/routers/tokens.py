"""``/api/auth/tokens``: bearer tokens for scripts, minted by a logged-in user."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from sebrus.api.schemas.common import ERROR_RESPONSES, StatusOut
from sebrus.api.schemas.sessions import NewTokenOut, TokenCreate, TokenCreated, TokenList, TokenOut
from sebrus.db.models import SessionKind
from sebrus.http.deps import CurrentUser, DbSession, State
from sebrus.services.accounts import sessions

router = APIRouter(prefix="/api/auth/tokens", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=TokenCreated)
def mint_token(body: TokenCreate, db: DbSession, user: CurrentUser, state: State) -> TokenCreated:
    days = body.expires_in_days or state.settings.api_token_ttl_days
    issued = sessions.create_session(
        db, user, kind=SessionKind.API_TOKEN, ttl=timedelta(days=days), name=body.name
    )
    row = issued.session
    return TokenCreated(
        status="Token created.",
        token=NewTokenOut(
            id=row.id, name=row.name, created_at=row.created_at, expires_at=row.expires_at, token=issued.token
        ),
    )


@router.get("", response_model=TokenList)
def list_tokens(db: DbSession, user: CurrentUser) -> TokenList:
    rows = sessions.list_api_tokens(db, user)
    return TokenList(status="Success.", tokens=[TokenOut.model_validate(r) for r in rows])


@router.delete("/{token_id}", response_model=StatusOut)
def revoke_token(token_id: int, db: DbSession, user: CurrentUser) -> StatusOut:
    row = sessions.get_own_api_token(db, token_id, user)
    sessions.revoke_session(db, row, user)
    return StatusOut(status="Token revoked.")
