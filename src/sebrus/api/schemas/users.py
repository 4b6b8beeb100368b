from __future__ import annotations

from pydantic import Field

from sebrus.api.schemas.common import ApiModel


class UserOut(ApiModel):
    """Public view of an account: never a password, never a hash."""

    id: int
    username: str


class UserCredentials(ApiModel):
    # Optional so that a missing field answers the prototype's 400 message rather than a 422.
    username: str | None = Field(default=None, examples=["alice"])
    password: str | None = Field(default=None, examples=["use a long passphrase"])


class UserUpdate(ApiModel):
    username: str | None = None
    password: str | None = Field(default=None, description="The new password; needs `current_password`.")
    current_password: str | None = Field(
        default=None, description="Your password now: required to set a new `password`."
    )


class UserDelete(ApiModel):
    # Optional so that a missing password answers a 400 naming the field rather than a bare 422.
    current_password: str | None = Field(
        default=None, description="Your password: deleting the account needs it, not only a token."
    )


class UserEnvelope(ApiModel):
    status: str
    user: UserOut


class UsersEnvelope(ApiModel):
    status: str
    users: list[UserOut]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None
