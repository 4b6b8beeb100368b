"""A reviewer's bond on a dataset's review (version 3 or later): see it, add to it, take it back.

Signed ballots draw their stakes from the bond, and payouts (a deciding ballot's stake and reward,
claims credited by ``claimBatch``) are credited back into it, so a reviewer who votes through the
batched path keeps money there until they withdraw it. The contract's ``bondOf`` is what can be
withdrawn now: stakes of votes still open are held apart until their round is decided, so a withdrawal
larger than that is refused here with a sentence, before any gas is spent. Everything is sent from the
reviewer's custodial wallet; an older review (version 2) has no bonds and is refused with its version.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import bond_of, deposit_bond, withdraw_bond
from sebrus.db.models import Dataset, User
from sebrus.primitives import format_eth
from sebrus.services import audit_log
from sebrus.services.errors import Conflict, InvalidInput
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.errors import chain_refusals


@dataclass(frozen=True)
class Bond:
    voter: str
    available_wei: int  # withdrawable now (open votes' stakes are held apart)
    tx_hash: str | None = None

    def sentence(self, done: str | None = None) -> str:
        said = f"Your review bond holds {format_eth(self.available_wei)} you can withdraw."
        return f"{done} {said}" if done else said


def show(db: Session, chain: ReviewChain, dataset: Dataset, user: User) -> Bond:
    address = chain.address_of(dataset)
    voter = chain.wallet(db, user).address
    with chain_refusals("read your bond"):
        return Bond(voter, bond_of(chain.reviews, address, voter))


def deposit(db: Session, chain: ReviewChain, dataset: Dataset, user: User, amount_wei: int) -> Bond:
    """Move ``amount_wei`` from the custodial wallet into the bond (the wallet must hold it plus gas)."""
    if amount_wei <= 0:
        raise InvalidInput("A bond deposit must be more than 0 ETH.", field="amount_wei")
    address = chain.address_of(dataset)
    signer = chain.signer(db, user)
    with chain_refusals("deposit into your bond"):
        chain.require_funds(signer.address, amount_wei, "this bond deposit")
        result = deposit_bond(chain.reviews, signer, address, amount_wei)
    return _recorded(db, chain, dataset, user, "review.bond-deposit", amount_wei, result.tx_hash)


def withdraw(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, amount_wei: int | None = None
) -> Bond:
    """Take ``amount_wei`` (None: everything available) back into the custodial wallet."""
    address = chain.address_of(dataset)
    signer = chain.signer(db, user)
    with chain_refusals("withdraw from your bond"):
        available = bond_of(chain.reviews, address, signer.address)
        wanted = available if amount_wei is None else amount_wei
        if wanted <= 0 and amount_wei is not None:
            raise InvalidInput("A withdrawal must be more than 0 ETH.", field="amount_wei")
        if available == 0 or wanted > available:
            raise Conflict(
                f"Your bond has {format_eth(available)} available to withdraw, less than the "
                f"{format_eth(wanted)} asked: the stakes of your open votes stay in it until their "
                "rounds are decided."
                if wanted
                else "Your bond has nothing available to withdraw: the stakes of your open votes stay "
                "in it until their rounds are decided."
            )
        result = withdraw_bond(chain.reviews, signer, address, wanted)
    return _recorded(db, chain, dataset, user, "review.bond-withdraw", wanted, result.tx_hash)


def _recorded(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, action: str, amount_wei: int, tx_hash: str
) -> Bond:
    audit_log.record(
        db,
        action,
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"amount_wei": str(amount_wei), "tx_hash": tx_hash},
    )
    db.commit()
    found = show(db, chain, dataset, user)
    return Bond(found.voter, found.available_wei, tx_hash)
