"""``/api/user``: the prototype's account endpoints, without its holes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from sebrus.api.schemas.common import ERROR_RESPONSES, StatusOut
from sebrus.api.schemas.users import (
    UserCredentials,
    UserDelete,
    UserEnvelope,
    UserOut,
    UsersEnvelope,
    UserUpdate,
)
from sebrus.http.deps import CurrentAuth, DbSession, Pagination, State, client_address
from sebrus.services.accounts import users as accounts
from sebrus.services.accounts.signup import sign_up
from sebrus.services.errors import InvalidInput

router = APIRouter(prefix="/api/user", tags=["users"], responses=ERROR_RESPONSES)

BOTH_REQUIRED = "Both `username` and `password` are required."


@router.post("", status_code=201, response_model=UserEnvelope)
def create_user(body: UserCredentials, request: Request, db: DbSession, state: State) -> UserEnvelope:
    """Open to anyone, within ``SEBRUS_SIGNUP_PER_HOUR`` accounts per client address (429 beyond)."""
    if body.username is None or body.password is None:
        raise InvalidInput(BOTH_REQUIRED)
    user = sign_up(
        db,
        state.passwords,
        state.hooks,
        state.server_secret,
        body.username,
        body.password,
        client=client_address(request),
        limit=state.signup_limit,
    )
    return UserEnvelope(status="User created.", user=UserOut.model_validate(user))


# One template for the one resource: PUT and DELETE name it {user_id} too, so a client (or schemathesis)
# reading the spec sees that /api/user/7 answers all three methods.
@router.get("/{user_id}", response_model=UsersEnvelope)
def read_users(
    user_ref: Annotated[
        str,
        # The pattern is stated for clients; the handler answers anything else with a 400 naming the rule.
        Path(
            alias="user_id",
            description="A numeric user id, or `all`.",
            json_schema_extra={"pattern": "^(all|[0-9]{1,18})$"},
        ),
    ],
    db: DbSession,
    page: Pagination,
    _auth: CurrentAuth,
) -> UsersEnvelope:
    """``user_ref`` is a numeric id, or ``all`` for a page of every account. Signed-in callers only:
    a list of every username is half of what a password guesser needs, and ids can be counted."""
    if user_ref == "all":
        found = accounts.list_users(db, page)
        users = [UserOut.model_validate(u) for u in found.items]
        return UsersEnvelope(
            status="Success.", users=users, total=found.total, limit=found.limit, offset=found.offset
        )
    if not (user_ref.isascii() and user_ref.isdigit()) or len(user_ref) > 18:
        raise InvalidInput("The user id must be a number or `all`.", field="user_id")
    user = accounts.get_user(db, int(user_ref))
    return UsersEnvelope(status="Success.", users=[UserOut.model_validate(user)])


@router.put("/{user_id}", response_model=UserEnvelope)
def update_user(
    user_id: int, body: UserUpdate, request: Request, db: DbSession, state: State, auth: CurrentAuth
) -> UserEnvelope:
    """A new ``password`` needs ``current_password``, and ends every other session and token."""
    target = accounts.get_user(db, user_id)
    user = accounts.update_user(
        db,
        state.passwords,
        auth.user,
        target,
        username=body.username,
        password=body.password,
        reauth=accounts.Reauth(body.current_password, client_address(request), state.throttle),
        keep_session_id=auth.session.id,
    )
    return UserEnvelope(status="User edited.", user=UserOut.model_validate(user))


@router.delete("/{user_id}", response_model=StatusOut)
def delete_user(
    user_id: int,
    request: Request,
    db: DbSession,
    state: State,
    auth: CurrentAuth,
    body: UserDelete | None = None,
) -> StatusOut:
    """Needs ``{"current_password": ...}`` in the body: a token alone cannot delete the account."""
    target = accounts.get_user(db, user_id)
    given = body.current_password if body is not None else None
    reauth = accounts.Reauth(given, client_address(request), state.throttle)
    accounts.delete_user(db, state.passwords, auth.user, target, reauth)
    return StatusOut(status="User deleted.")
