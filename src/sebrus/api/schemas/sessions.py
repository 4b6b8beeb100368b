from __future__ import annotations

from datetime import datetime

from pydantic import Field

from sebrus.api.schemas.common import ApiModel
from sebrus.api.schemas.users import UserOut
from sebrus.db.models import AuthSession


class SessionOut(ApiModel):
    id: int
    user_id: int
    kind: str
    expires_at: datetime
    csrf_token: str | None = Field(
        default=None,
        description="Send it back in the X-CSRF-Token header on cookie-authenticated POST/PUT/DELETE.",
    )

    @classmethod
    def of(cls, row: AuthSession, with_csrf: bool) -> SessionOut:
        """``with_csrf``: only the session's own holder sees its CSRF token."""
        return cls(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind.value,
            expires_at=row.expires_at,
            csrf_token=row.csrf_secret if with_csrf else None,
        )


class NewSessionOut(SessionOut):
    token: str = Field(description="Shown once. Also set as the HttpOnly `session` cookie.")


class SessionCreated(ApiModel):
    status: str
    session: NewSessionOut


class SessionFound(ApiModel):
    status: str
    user: UserOut
    session: SessionOut


class TokenCreate(ApiModel):
    name: str = Field(min_length=1, max_length=64, examples=["upload script"])
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(ApiModel):
    id: int
    name: str | None
    created_at: datetime
    expires_at: datetime


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once; use it as `Authorization: Bearer <token>`.")


class TokenCreated(ApiModel):
    status: str
    token: NewTokenOut


class TokenList(ApiModel):
    status: str
    tokens: list[TokenOut]
