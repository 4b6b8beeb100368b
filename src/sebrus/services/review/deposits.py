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

``pay_all`` pays every deposit a contributor owes at once (one click, one request). The contract takes
one deposit per call, so on chain this is one transaction per item, sent in a row by the server from
the custodial wallet; the wallet must hold all the deposits first, and a refusal midway says how many
were paid before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.review_types import Outcome
from sebrus.db.models import Dataset, Item, User, Wallet
from sebrus.primitives import format_eth
from sebrus.services import audit_log
from sebrus.services.errors import Conflict, PermissionDenied, ServiceError
from sebrus.services.review.chain import ReviewChain, addresses_of, item_of
from sebrus.services.review.deposits_due import OPEN_STATUSES, deposits_due
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.queries import RESOLVED_STATUSES

MAX_AT_ONCE = 100  # deposits one request pays; the answer says how many are left for the next


@dataclass(frozen=True)
class DepositReceipt:
    item: Item
    amount_wei: int
    tx_hash: str


@dataclass(frozen=True)
class PaidAll:
    """What ``pay_all`` paid, and what is left: more due than one request pays, or items contributed
    from an external wallet (that wallet pays them)."""

    paid: list[DepositReceipt]
    remaining: int
    external: int

    @property
    def total_wei(self) -> int:
        return sum(r.amount_wei for r in self.paid)

    def sentence(self) -> str:
        if not self.paid and not self.remaining and not self.external:
            return "No deposit is due: every item of yours is open to review."
        count = len(self.paid)
        told = "Paid nothing."
        if count:
            which = "that item is" if count == 1 else "those items are"
            told = (
                f"Paid {count} deposit{'' if count == 1 else 's'} ({format_eth(self.total_wei)}), one "
                f"transaction each: {which} open to review."
            )
        if self.remaining:
            told += f" {self.remaining} more are due: pay again to continue."
        if self.external:
            told += f" {self.external} came from a wallet of yours outside this server: pay those from it."
        return told


def due_from(
    db: Session, chain: ReviewChain, user: User, dataset: Dataset | None = None
) -> tuple[list[Item], int]:
    """The user's open items whose deposit is due (from the index), paid from the custodial wallet, and
    how many more are due on items contributed from their other wallets."""
    custodial = chain.wallet(db, user).address
    stmt = select(Item).where(
        Item.contributor_address.in_(addresses_of(user)), Item.status.in_(OPEN_STATUSES)
    )
    if dataset is not None:
        stmt = stmt.where(Item.dataset_id == dataset.id)
    candidates = list(db.scalars(stmt.order_by(Item.id)))
    due = deposits_due(db, candidates)
    mine = [i for i in candidates if i.id in due and i.contributor_address == custodial]
    return mine, len(due) - len(mine)


def pay_all(db: Session, chain: ReviewChain, user: User, dataset: Dataset | None = None) -> PaidAll:
    """Pay every deposit due on the user's items (of one dataset, or all), oldest first, at most
    ``MAX_AT_ONCE``: one transaction per item, sent in a row from the custodial wallet."""
    items, external = due_from(db, chain, user, dataset)
    batch, remaining = items[:MAX_AT_ONCE], max(0, len(items) - MAX_AT_ONCE)
    datasets = {
        d.id: d for d in db.scalars(select(Dataset).where(Dataset.id.in_({i.dataset_id for i in batch})))
    }
    with chain_refusals("pay the deposits"):
        amounts = {
            i.id: chain.reviews.policy_for(
                chain.address_of(datasets[i.dataset_id]), i.content_hash
            ).terms.deposit_wei
            for i in batch
        }
        if batch:
            chain.require_funds(
                chain.wallet(db, user).address, sum(amounts.values()), f"{len(batch)} deposits"
            )
    paid: list[DepositReceipt] = []
    for item in batch:
        try:
            paid.append(pay(db, chain, datasets[item.dataset_id], user, item.content_hash))
        except ServiceError as exc:
            if exc.code == "DepositAlreadyPaid":  # paid since the index last looked: not due after all
                continue
            exc.message = (
                f"{len(paid)} of {len(batch)} deposits were paid before one was refused: {exc.message}"
            )
            exc.args = (exc.message,)
            raise
    return PaidAll(paid, remaining, external)


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
