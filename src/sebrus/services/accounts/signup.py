"""Sign-up as the platform does it: the account, then (on the embedded chain) a funded custodial wallet."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from sebrus.db.models import User
from sebrus.services.accounts import signup_limit, users, wallets
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.signup_limit import SignupPolicy
from sebrus.services.errors import Conflict


class SignupHooks(Protocol):
    """The two platform settings sign-up reads (``PlatformHooks`` has them); a protocol keeps accounts
    from importing the platform's wiring, which imports accounts."""

    @property
    def custodial_wallet_on_register(self) -> bool: ...

    @property
    def wallet_funder(self) -> wallets.WalletFunder | None: ...


def sign_up(
    db: Session,
    passwords: Passwords,
    hooks: SignupHooks,
    server_secret: str,
    username: str,
    password: str,
    *,
    client: str | None = None,
    limit: SignupPolicy | None = None,
) -> User:
    """Create the account (and its wallet), within ``client``'s sign-up allowance when ``limit`` is given.

    Bad input and a taken name are refused before the allowance is touched; a sign-up that fails after
    reserving its slot gives the slot back.
    """
    users.validate_username(username)
    users.validate_password(password)
    if users.find_by_username(db, username) is not None:
        raise Conflict("User already exists.")
    slot = signup_limit.reserve(db, client, limit) if limit is not None else None
    try:
        user = users.register_user(db, passwords, username, password)
    except Exception:
        db.rollback()
        signup_limit.release(db, slot)
        raise
    if hooks.custodial_wallet_on_register:
        wallets.create_custodial_wallet(db, user, server_secret, hooks.wallet_funder)
    return user
