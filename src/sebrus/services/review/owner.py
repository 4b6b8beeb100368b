"""The dataset owner's side of review: the policy, the allow-list and the reward pool.

Writes are signed by the owner's custodial wallet (it holds the Review's admin role); anyone may fund
a pool. A policy change applies to items submitted after it: the contract keeps each version and
judges every item by the one in force when it was submitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sebrus.chain.review_types import PoolBooks, ReviewPolicy
from sebrus.db.models import Dataset, ReviewClaim, ReviewTransfer, ReviewVote, ReviewVoter, User, Wallet
from sebrus.primitives import MAX_WEI, format_eth
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.accounts.users import find_by_username
from sebrus.services.accounts.wallets import custodial_wallet_of
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import InvalidInput, NotFound
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.policy import policy_from_terms, terms_from_policy

MAX_TRANSFERS_SHOWN = 50


@dataclass(frozen=True)
class PoolView:
    books: PoolBooks
    funded_wei: int
    withdrawn_wei: int
    paid_out_wei: int  # every claim: stakes returned, rewards and shares of losing stakes
    slashed_to_pool_wei: int  # losing and unrevealed stakes, freed rewards, forfeited deposits
    votes: int
    claims: int
    recent: list[ReviewTransfer]


def current_policy(chain: ReviewChain, dataset: Dataset) -> tuple[str, ReviewPolicy, int]:
    """(review contract address, latest policy, number of versions)."""
    address = chain.address_of(dataset)
    with chain_refusals("read the policy"):
        review = chain.reviews.require_review(address)
        count = chain.reviews.policy_count(address)
        return review, chain.reviews.policy(address, count - 1), count


def set_policy(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, policy: dict[str, Any]
) -> ReviewPolicy:
    require_owner(db, dataset, user, "change the review policy of")
    terms = terms_from_policy(policy, default_finalize_delay=chain.link.no_vote_grace_s)
    address = chain.address_of(dataset)
    signer = chain.signer(db, user)
    with chain_refusals("change the policy"):
        chain.reviews.set_policy(signer, address, terms)
        latest = chain.reviews.policy(address)
    dataset.review_policy = policy_from_terms(latest.terms)
    audit_log.record(
        db,
        "review.policy",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"version": latest.version, **dataset.review_policy},
    )
    db.commit()
    return latest


def voter_address(db: Session, who: str) -> tuple[str, int | None]:
    """A voter named by address, or by username (their custodial wallet, which the server signs with)."""
    who = who.strip()
    if who.startswith("0x"):
        address = normalize_address(who)
        owner = db.scalar(select(Wallet.user_id).where(Wallet.address == address))
        return address, owner
    user = find_by_username(db, who)
    if user is None:
        raise NotFound(f"There is no user {who!r:.40}.")
    wallet = custodial_wallet_of(db, user)
    if wallet is None:
        raise InvalidInput(f"{user.username} has no custodial wallet; name their wallet's address instead.")
    return wallet.address, user.id


def set_voter(db: Session, chain: ReviewChain, dataset: Dataset, user: User, who: str, allowed: bool) -> str:
    require_owner(db, dataset, user, "manage the reviewers of")
    address, _ = voter_address(db, who)
    dataset_address = chain.address_of(dataset)
    signer = chain.signer(db, user)
    with chain_refusals("change the allow-list"):
        if allowed:
            chain.reviews.allow_voter(signer, dataset_address, address)
        else:
            chain.reviews.disallow_voter(signer, dataset_address, address)
    audit_log.record(
        db,
        "review.allow" if allowed else "review.disallow",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"voter": address},
    )
    db.commit()
    chain.sync()
    return address


def allowed_voters(db: Session, dataset: Dataset) -> list[ReviewVoter]:
    stmt = select(ReviewVoter).where(ReviewVoter.dataset_id == dataset.id, ReviewVoter.allowed.is_(True))
    return list(db.scalars(stmt.order_by(ReviewVoter.id)))


def fund_pool(db: Session, chain: ReviewChain, dataset: Dataset, user: User, amount_wei: int) -> PoolBooks:
    """Add to the reward pool from the caller's custodial wallet (anyone funds; the owner withdraws)."""
    _check_amount(amount_wei)
    address = chain.address_of(dataset)
    signer = chain.signer(db, user)
    chain.require_funds(signer.address, amount_wei, "this funding")
    with chain_refusals("fund the pool"):
        chain.reviews.fund_pool(signer, address, amount_wei)
    audit_log.record(
        db,
        "review.fund",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"amount_wei": str(amount_wei)},
    )
    db.commit()
    chain.sync()
    return chain.reviews.books(address)


def withdraw_pool(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, amount_wei: int
) -> PoolBooks:
    require_owner(db, dataset, user, "withdraw from the pool of")
    _check_amount(amount_wei)
    address = chain.address_of(dataset)
    signer = chain.signer(db, user)
    with chain_refusals("withdraw from the pool"):
        chain.reviews.withdraw_pool(signer, address, amount_wei)
    audit_log.record(
        db,
        "review.withdraw",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={"amount_wei": str(amount_wei)},
    )
    db.commit()
    chain.sync()
    return chain.reviews.books(address)


def pool_view(db: Session, chain: ReviewChain, dataset: Dataset) -> PoolView:
    """The contract's books (pool, stakes held, reserved rewards, deposits) and the indexed history."""
    address = chain.address_of(dataset)
    with chain_refusals("read the pool"):
        books = chain.reviews.books(address)
    transfers = list(
        db.scalars(
            select(ReviewTransfer).where(ReviewTransfer.dataset_id == dataset.id).order_by(ReviewTransfer.id)
        )
    )

    def total(*kinds: str) -> int:
        return sum(int(t.amount_wei) for t in transfers if t.kind in kinds)

    claims = list(db.scalars(select(ReviewClaim).where(ReviewClaim.dataset_id == dataset.id)))
    votes = db.scalar(select(func.count()).select_from(ReviewVote).where(ReviewVote.dataset_id == dataset.id))
    return PoolView(
        books=books,
        funded_wei=total("fund"),
        withdrawn_wei=total("withdraw"),
        paid_out_wei=sum(int(c.amount_wei) for c in claims),
        slashed_to_pool_wei=total("settle", "fail", "deposit-forfeit"),
        votes=int(votes or 0),
        claims=len(claims),
        recent=transfers[-MAX_TRANSFERS_SHOWN:][::-1],
    )


def _check_amount(amount_wei: int) -> None:
    if isinstance(amount_wei, bool) or not isinstance(amount_wei, int) or not 0 < amount_wei < 2**96:
        raise InvalidInput(
            f"The amount must be more than 0 ETH and below {format_eth(MAX_WEI)}, in whole wei.",
            field="amount_wei",
        )
