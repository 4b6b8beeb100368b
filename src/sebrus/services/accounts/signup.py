"""Sign-up as the platform does it: the account, then (on the embedded chain) a funded custodial wallet."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from sebrus.db.models import User
from sebrus.services.accounts import users, wallets
from sebrus.services.accounts.passwords import Passwords


class SignupHooks(Protocol):
    """The two platform settings sign-up reads (``PlatformHooks`` has them); a protocol keeps accounts
    from importing the platform's wiring, which imports accounts."""

    @property
    def custodial_wallet_on_register(self) -> bool: ...

    @property
    def wallet_funder(self) -> wallets.WalletFunder | None: ...


def sign_up(
    db: Session, passwords: Passwords, hooks: SignupHooks, server_secret: str, username: str, password: str
) -> User:
    user = users.register_user(db, passwords, username, password)
    if hooks.custodial_wallet_on_register:
        wallets.create_custodial_wallet(db, user, server_secret, hooks.wallet_funder)
    return user
