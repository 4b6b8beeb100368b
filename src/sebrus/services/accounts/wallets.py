"""Wallets: custodial keystores the server signs with, and external addresses proven by a signature."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Literal, Protocol

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.models import User, Wallet, WalletChallenge, WalletKind
from sebrus.services import audit_log
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import Conflict, InvalidInput, NotFound

CHALLENGE_TTL = timedelta(minutes=10)
# The keystore password is a random 256-bit server secret, not something a person chose,
# so key stretching adds no strength; a modest PBKDF2 count keeps wallet creation fast.
KEYSTORE_KDF: Literal["pbkdf2"] = "pbkdf2"
KEYSTORE_ITERATIONS = 10_000


class WalletFunder(Protocol):
    """Seam for the ledger: gives a new custodial address gas money (e.g. from the genesis faucet)."""

    def fund(self, address: str) -> None: ...


def list_wallets(db: Session, user: User) -> list[Wallet]:
    return list(db.scalars(select(Wallet).where(Wallet.user_id == user.id).order_by(Wallet.id)))


def custodial_wallet_of(db: Session, user: User) -> Wallet | None:
    stmt = select(Wallet).where(Wallet.user_id == user.id, Wallet.kind == WalletKind.CUSTODIAL)
    return db.scalar(stmt.order_by(Wallet.id))


def create_custodial_wallet(
    db: Session, user: User, server_secret: str, funder: WalletFunder | None = None
) -> Wallet:
    """Make a key, keep it encrypted under the server secret, then hand the address to the funder.

    Funding runs after the commit: a failure there leaves an unfunded wallet that
    can be funded later, never a funded address whose key was rolled back.
    """
    if custodial_wallet_of(db, user) is not None:
        raise Conflict("You already have a custodial wallet.")
    account: LocalAccount = Account.create()
    keystore = Account.encrypt(account.key, server_secret, kdf=KEYSTORE_KDF, iterations=KEYSTORE_ITERATIONS)
    wallet = Wallet(user_id=user.id, address=account.address, kind=WalletKind.CUSTODIAL, keystore=keystore)
    db.add(wallet)
    db.flush()
    audit_log.record(
        db, "wallet.create", f"wallet:{wallet.address}", actor_user_id=user.id, details={"kind": "custodial"}
    )
    db.commit()
    if funder is not None:
        funder.fund(wallet.address)
    return wallet


def unlock_custodial_account(wallet: Wallet, server_secret: str) -> LocalAccount:
    """The signing account of a custodial wallet, for the ledger to sign with on the user's behalf."""
    if wallet.kind is not WalletKind.CUSTODIAL or wallet.keystore is None:
        raise InvalidInput("This wallet is not custodial; its owner signs for it.")
    key = Account.decrypt(wallet.keystore, server_secret)
    account: LocalAccount = Account.from_key(key)
    return account


def challenge_message(user: User, address: str, nonce: str, expires_at: datetime) -> str:
    return (
        "SeBRUS: link this wallet to your account.\n"
        f"Account: {user.username} (id {user.id})\n"
        f"Address: {address}\n"
        f"Nonce: {nonce}\n"
        f"Expires: {expires_at.isoformat()}"
    )


def issue_link_challenge(
    db: Session, user: User, address: str, now: datetime | None = None
) -> WalletChallenge:
    address = normalize_address(address)
    _refuse_taken(db, address)
    now = now or utcnow()
    nonce = secrets.token_hex(16)
    expires_at = now + CHALLENGE_TTL
    challenge = WalletChallenge(
        user_id=user.id,
        address=address,
        nonce=nonce,
        message=challenge_message(user, address, nonce, expires_at),
        expires_at=expires_at,
        created_at=now,
    )
    db.add(challenge)
    db.commit()
    return challenge


def link_external_wallet(
    db: Session, user: User, nonce: str, signature: str, now: datetime | None = None
) -> Wallet:
    """Link the challenged address if ``signature`` is its EIP-191 signature of the challenge message."""
    now = now or utcnow()
    challenge = db.scalar(
        select(WalletChallenge).where(WalletChallenge.nonce == nonce, WalletChallenge.user_id == user.id)
    )
    if challenge is None:
        raise NotFound("Wallet challenge not found.")
    if challenge.used_at is not None:
        raise InvalidInput("This challenge was already used; request a new one.", field="nonce")
    if challenge.expires_at <= now:
        raise InvalidInput("This challenge has expired; request a new one.", field="nonce")
    try:
        signer = Account.recover_message(encode_defunct(text=challenge.message), signature=signature)
    except Exception:  # malformed signatures raise a variety of errors from eth-keys
        raise InvalidInput("`signature` is not a valid Ethereum signature.", field="signature") from None
    if signer != challenge.address:
        raise InvalidInput("`signature` was not made by the challenged address.", field="signature")
    _refuse_taken(db, challenge.address)
    challenge.used_at = now
    wallet = Wallet(user_id=user.id, address=challenge.address, kind=WalletKind.EXTERNAL, keystore=None)
    db.add(wallet)
    db.flush()
    audit_log.record(
        db, "wallet.link", f"wallet:{wallet.address}", actor_user_id=user.id, details={"kind": "external"}
    )
    db.commit()
    return wallet


def _refuse_taken(db: Session, address: str) -> None:
    if db.scalar(select(Wallet.id).where(Wallet.address == address)) is not None:
        raise Conflict("This address is already linked to an account.")
