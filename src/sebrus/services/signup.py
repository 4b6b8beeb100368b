"""Sign-up as the platform does it: the account, then (on the embedded chain) a funded custodial wallet."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sebrus.db.models import User
from sebrus.services import accounts, wallets
from sebrus.services.hooks import PlatformHooks
from sebrus.services.passwords import Passwords


def sign_up(
    db: Session, passwords: Passwords, hooks: PlatformHooks, server_secret: str, username: str, password: str
) -> User:
    user = accounts.register_user(db, passwords, username, password)
    if hooks.custodial_wallet_on_register:
        wallets.create_custodial_wallet(db, user, server_secret, hooks.wallet_funder)
    return user
