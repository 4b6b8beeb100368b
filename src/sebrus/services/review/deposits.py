"""A contributor's review deposit through the server: pay it, and take it back once approved.

A policy with ``deposit_wei`` opens an item to review only after its contributor has deposited that
amount on the dataset's Review contract (refunded when the item is approved, forfeited to the pool
when it is rejected). The contract takes the deposit only from the contributor of record, so an item
uploaded through the server (its custodial wallet signed the contribution) can be paid here, with
that wallet, when the contributor asks. The server never pays on its own: the deposit is the
contributor's money at risk, so paying it is their decision. An item contributed from an external
wallet is paid from that wallet.

Before anything is sent, the refusals the contract would make are made here with the same names
(``NotContributor``, ``NoDepositRequired``, ``DepositAlreadyPaid``, ``AlreadyResolved``), so a refused
request costs no gas.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sebrus.chain.review_types import Outcome
from sebrus.db.models import Dataset, Item, User, Wallet
from sebrus.services import audit_log
from sebrus.services.errors import Conflict, PermissionDenied
from sebrus.services.review.chain import ReviewChain, addresses_of, item_of
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.queries import RESOLVED_STATUSES


@dataclass(frozen=True)
class DepositReceipt:
    item: Item
    amount_wei: int
    tx_hash: str


def pay(db: Session, chain: ReviewChain, dataset: Dataset, user: User, content_hash: str) -> DepositReceipt:
    """Pay the item's deposit from the contributor's custodial wallet, so that its review opens."""
    address = chain.address_of(dataset)
    item = item_of(db, dataset, content_hash)
    wallet = _contributor_wallet(db, chain, item, user, "pays")
    if item.status in RESOLVED_STATUSES:
        raise Conflict("AlreadyResolved: This item is already resolved; it takes no deposit.")
    with chain_refusals("pay the deposit"):
        amount = chain.reviews.policy_for(address, item.content_hash).terms.deposit_wei
        if amount == 0:
            raise Conflict("NoDepositRequired: This item's policy asks for no deposit.")
        if chain.reviews.item_review(address, item.content_hash).deposit_paid:
            raise Conflict("DepositAlreadyPaid: This item's deposit is already paid.")
        chain.require_funds(wallet.address, amount, "the deposit")
        result = chain.reviews.deposit(chain.link.signer_for(wallet), address, item.content_hash)
    audit_log.record(
        db,
        "review.deposit",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"content_hash": item.content_hash, "amount_wei": str(amount), "tx_hash": result.tx_hash},
    )
    db.commit()
    chain.sync()  # DepositPaid: the index records it, and an x = 0 item becomes due for approval
    db.refresh(item)
    return DepositReceipt(item, amount, result.tx_hash)


def claim(db: Session, chain: ReviewChain, dataset: Dataset, user: User, content_hash: str) -> DepositReceipt:
    """Take back the deposit of an approved item, into the custodial wallet that paid it."""
    address = chain.address_of(dataset)
    item = item_of(db, dataset, content_hash)
    wallet = _contributor_wallet(db, chain, item, user, "claims")
    with chain_refusals("claim the deposit"):
        review = chain.reviews.item_review(address, item.content_hash)
        if review.outcome is not Outcome.APPROVED or not review.deposit_paid:
            raise Conflict("DepositNotRefundable: The deposit is refundable only once the item is approved.")
        if review.deposit_settled:
            raise Conflict("AlreadyClaimed: This deposit was already refunded.")
        result = chain.reviews.claim_deposit(chain.link.signer_for(wallet), address, item.content_hash)
    audit_log.record(
        db,
        "review.deposit-refund",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={
            "content_hash": item.content_hash,
            "amount_wei": str(review.deposit_wei),
            "tx_hash": result.tx_hash,
        },
    )
    db.commit()
    chain.sync()
    db.refresh(item)
    return DepositReceipt(item, review.deposit_wei, result.tx_hash)


def _contributor_wallet(db: Session, chain: ReviewChain, item: Item, user: User, verb: str) -> Wallet:
    """The user's custodial wallet, refused unless it is the wallet that contributed the item."""
    if item.contributor_address not in addresses_of(user):
        raise PermissionDenied(f"NotContributor: Only the item's contributor {verb} its deposit.")
    wallet = chain.wallet(db, user)
    if wallet.address != item.contributor_address:
        raise PermissionDenied(
            f"NotContributor: You contributed this item from your wallet {item.contributor_address}, "
            f"not your custodial one; that wallet {verb} the deposit."
        )
    return wallet
