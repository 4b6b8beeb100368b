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

``pay_all`` pays every deposit a contributor owes at once (one click, one request), from the custodial
wallet, which must hold all the deposits first. A review of version 3 or later takes a dataset's
deposits in one ``depositBatch`` transaction (all or nothing); an older one takes one deposit per
call, so there they are sent in a row, and a refusal midway says how many were paid before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.review_ballots import deposit_batch, supports_signed_ballots
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
    transactions: int = -1  # -1: one per deposit paid

    @property
    def sent(self) -> int:
        return len(self.paid) if self.transactions < 0 else self.transactions

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
            how = (
                "one transaction each"
                if self.sent == count
                else f"in {self.sent} transaction{'' if self.sent == 1 else 's'}"
            )
            told = (
                f"Paid {count} deposit{'' if count == 1 else 's'} ({format_eth(self.total_wei)}), {how}: "
                f"{which} open to review."
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
    ``MAX_AT_ONCE``, from the custodial wallet: one ``depositBatch`` per dataset whose review takes
    batches, one transaction per item in a row elsewhere."""
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
    transactions = 0
    batched = _pay_in_batches(db, chain, user, datasets, [i for i in batch if amounts[i.id] > 0], amounts)
    paid.extend(batched[0])
    transactions += batched[1]
    done = {r.item.id for r in paid}
    for item in batch:
        if item.id in done:
            continue
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
        transactions += 1
    return PaidAll(paid, remaining, external, transactions)


def _pay_in_batches(
    db: Session,
    chain: ReviewChain,
    user: User,
    datasets: dict[int, Dataset],
    items: list[Item],
    amounts: dict[int, int],
) -> tuple[list[DepositReceipt], int]:
    """The deposits of each dataset whose review takes batches, one ``depositBatch`` per dataset;
    items of older reviews are left for the per-item path. Items paid since the index last looked are
    left out (the batch is all or nothing, and would revert on them)."""
    wallet = chain.wallet(db, user)
    signer = chain.link.signer_for(wallet)
    paid: list[DepositReceipt] = []
    sent = 0
    for dataset_id in sorted({i.dataset_id for i in items}):
        dataset = datasets[dataset_id]
        address = chain.address_of(dataset)
        with chain_refusals("pay the deposits"):
            if not supports_signed_ballots(chain.reviews, address):
                continue
            due = [
                i
                for i in items
                if i.dataset_id == dataset_id
                and not chain.reviews.item_review(address, i.content_hash).deposit_paid
            ]
            if not due:
                continue
            result = deposit_batch(chain.reviews, signer, address, [i.content_hash for i in due])
        sent += 1
        audit_log.record(
            db,
            "review.deposit",
            f"dataset:{dataset.id}",
            actor_user_id=user.id,
            details={
                "content_hashes": [i.content_hash for i in due],
                "amount_wei": str(sum(amounts[i.id] for i in due)),
                "tx_hash": result.tx_hash,
            },
        )
        db.commit()
        chain.sync()
        for item in due:
            db.refresh(item)
            paid.append(DepositReceipt(item, amounts[item.id], result.tx_hash))
    return paid, sent


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
