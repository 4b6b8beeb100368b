"""What a reviewer reads: the blind queue, what they may claim, an item's ballots and their own history.

Blindness: the queue shows an item, its label and what a vote costs, never a running tally, and an
item's votes are shown only once it is resolved (before that, only your own). In plain mode the
votes are public on chain all the same; commit-reveal is what hides them from everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, and_, exists, not_, or_, select
from sqlalchemy.orm import Session

from sebrus.chain.review_types import ReviewTerms
from sebrus.db.base import utcnow
from sebrus.db.models import (
    Dataset,
    Item,
    ItemStatus,
    ReviewClaim,
    ReviewServe,
    ReviewVote,
    Scan,
    ScanResult,
    ScanState,
    User,
)
from sebrus.primitives import format_eth
from sebrus.services.errors import InvalidInput
from sebrus.services.review.chain import ReviewChain, addresses_of, item_of
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.pool_health import pays, reviewer_notice

OPEN_STATUSES = (ItemStatus.PENDING, ItemStatus.QUARANTINED)
RESOLVED_STATUSES = (ItemStatus.APPROVED, ItemStatus.REJECTED)
MAX_QUEUE = 50
MAX_CLAIM_CANDIDATES = 500
LIVE_ROUNDS = ("open", "resolved")  # a ballot in a failed or aborted round lets you vote again


@dataclass(frozen=True)
class QueueEntry:
    """An item in a reviewer's queue; ``deposit_due`` or not ``reward_payable`` means no vote on it
    can succeed now, and ``waiting_for`` says why in a sentence."""

    item: Item
    terms: ReviewTerms
    votes_needed: int
    served_at: datetime
    deposit_due: bool = False  # the contributor has not paid the deposit the policy asks
    reward_payable: bool = True  # the reward pool holds this vote's reward

    @property
    def can_vote(self) -> bool:
        return not self.deposit_due and self.reward_payable

    @property
    def waiting_for(self) -> str | None:
        if self.deposit_due:
            return (
                f"Waiting for its contributor's review deposit ({format_eth(self.terms.deposit_wei)}): "
                "nobody can vote on it until it is paid."
            )
        if not self.reward_payable:
            return reviewer_notice(self.terms)
        return None


@dataclass(frozen=True)
class ClaimWaiting:
    dataset_id: int
    content_hash: str
    round: int
    amount_wei: int
    voter_address: str = ""  # which of your wallets holds the ballot


# ---------------------------------------------------------------------- the queue


def queue(db: Session, chain: ReviewChain, dataset: Dataset, user: User, limit: int = 20) -> list[QueueEntry]:
    """Pending and quarantined items, most suspicious first, without the reviewer's own contributions or
    items they already voted on in a live round; each one served is recorded (first time only).

    Items nobody can vote on now stay in the queue, marked (``can_vote``, ``waiting_for``) so that a
    page disables their buttons instead of letting the contract refuse the click: a deposit its
    contributor has not paid, or a reward the pool cannot pay (``pool_health``).

    The order is the item's suspicion in the newest finished scan that scored it (unscanned items after,
    oldest first), so reviewers spend their time and stake where the detectors saw most.
    """
    if not 1 <= limit <= MAX_QUEUE:
        raise InvalidInput(f"`limit` must be 1 to {MAX_QUEUE}.", field="limit")
    address = chain.address_of(dataset)
    mine = addresses_of(user)
    voted = exists().where(
        ReviewVote.dataset_id == Item.dataset_id,
        ReviewVote.content_hash == Item.content_hash,
        ReviewVote.voter_address.in_(mine),
        ReviewVote.round_state.in_(LIVE_ROUNDS),
    )
    stmt = (
        select(Item)
        .where(
            Item.dataset_id == dataset.id,
            Item.status.in_(OPEN_STATUSES),
            or_(Item.contributor_user_id.is_(None), Item.contributor_user_id != user.id),
            Item.contributor_address.not_in(mine),
            not_(voted),
        )
        .order_by(_latest_suspicion().desc().nulls_last(), Item.id)
    )
    entries: list[QueueEntry] = []
    reviews = chain.reviews
    with chain_refusals("read the reward pool"):
        pool_wei = reviews.books(address).pool_wei
    offset = 0
    while len(entries) < limit:
        batch = list(db.scalars(stmt.limit(limit).offset(offset)))
        if not batch:
            break
        offset += len(batch)
        for item in batch:
            if item.contributor_address in mine or item.contributor_user_id == user.id:
                continue
            with chain_refusals("read the item's policy"):
                needed = reviews.votes_required(address, item.content_hash)
                if needed == 0:
                    continue  # x = 0: approved by `finalize`, nobody votes
                terms = reviews.policy_for(address, item.content_hash).terms
                due = (
                    terms.deposit_wei > 0 and not reviews.item_review(address, item.content_hash).deposit_paid
                )
            served = _served(db, dataset, item, user)
            entries.append(QueueEntry(item, terms, needed, served, due, pays(pool_wei, terms)))
            if len(entries) == limit:
                break
    db.commit()
    return entries


def _latest_suspicion() -> ScalarSelect[float]:
    """The item's suspicion in the newest finished scan that scored it (NULL when none did)."""
    return (
        select(ScanResult.suspicion)
        .join(Scan, Scan.id == ScanResult.scan_id)
        .where(ScanResult.item_id == Item.id, Scan.state == ScanState.DONE)
        .order_by(ScanResult.scan_id.desc())
        .limit(1)
        .correlate(Item)
        .scalar_subquery()
    )


def _served(db: Session, dataset: Dataset, item: Item, user: User) -> datetime:
    row = db.scalar(select(ReviewServe).where(ReviewServe.item_id == item.id, ReviewServe.user_id == user.id))
    if row is None:
        row = ReviewServe(dataset_id=dataset.id, item_id=item.id, user_id=user.id, served_at=utcnow())
        db.add(row)
        db.flush()
    return row.served_at


def claims_waiting(
    db: Session, chain: ReviewChain, user: User, dataset: Dataset | None = None
) -> list[ClaimWaiting]:
    """Ballots of yours in decided rounds that hold money you have not claimed (asked of the chain).

    Ballots that can hold nothing are left out in the query, so they never pile up in front of the
    ones that can: a side that lost its round, and an unrevealed commitment in a round that ended
    (forfeited). Newest first, at most ``MAX_CLAIM_CANDIDATES`` chain reads per call.
    """
    mine = addresses_of(user)
    if not mine:
        return []
    claimed = exists().where(
        ReviewClaim.dataset_id == ReviewVote.dataset_id,
        ReviewClaim.content_hash == ReviewVote.content_hash,
        ReviewClaim.round == ReviewVote.round,
        ReviewClaim.voter_address == ReviewVote.voter_address,
    )
    outcome = select(Item.status).where(Item.id == ReviewVote.item_id).scalar_subquery()
    lost = and_(
        ReviewVote.round_state == "resolved",
        or_(
            and_(ReviewVote.side == "approve", outcome == ItemStatus.REJECTED),
            and_(ReviewVote.side == "reject", outcome == ItemStatus.APPROVED),
        ),
    )
    forfeited = and_(ReviewVote.side.is_(None), ReviewVote.round_state.in_(("resolved", "failed")))
    stmt = select(ReviewVote).where(
        ReviewVote.voter_address.in_(mine),
        ReviewVote.round_state != "open",
        not_(claimed),
        not_(lost),
        not_(forfeited),
    )
    if dataset is not None:
        stmt = stmt.where(ReviewVote.dataset_id == dataset.id)
    waiting: list[ClaimWaiting] = []
    datasets: dict[int, Dataset | None] = {}
    for ballot in db.scalars(stmt.order_by(ReviewVote.id.desc()).limit(MAX_CLAIM_CANDIDATES)):
        owner = datasets.setdefault(ballot.dataset_id, db.get(Dataset, ballot.dataset_id))
        if owner is None:
            continue
        with chain_refusals("read what you may claim"):
            amount = chain.reviews.claimable(
                owner.address, ballot.content_hash, ballot.round, ballot.voter_address
            )
        if amount > 0:
            waiting.append(
                ClaimWaiting(
                    ballot.dataset_id, ballot.content_hash, ballot.round, amount, ballot.voter_address
                )
            )
    return waiting


# ---------------------------------------------------------------------- history


def history(
    db: Session, dataset: Dataset, user: User | None, content_hash: str
) -> tuple[Item, list[ReviewVote], bool]:
    """An item's ballots: all once it is resolved, otherwise only the asker's own (the vote is blind).

    Returns (item, votes, complete) where ``complete`` says whether everyone's votes are shown."""
    item = item_of(db, dataset, content_hash)
    stmt = select(ReviewVote).where(
        ReviewVote.dataset_id == dataset.id, ReviewVote.content_hash == item.content_hash
    )
    complete = item.status in RESOLVED_STATUSES
    if not complete:
        mine = addresses_of(user) if user is not None else set()
        if not mine:
            return item, [], False
        stmt = stmt.where(ReviewVote.voter_address.in_(mine))
    return item, list(db.scalars(stmt.order_by(ReviewVote.round, ReviewVote.id))), complete


@dataclass(frozen=True)
class BallotRecord:
    """One of a reviewer's ballots as their profile lists it."""

    vote: ReviewVote
    dataset_name: str
    item: Item | None
    claimed_wei: int | None  # None: nothing claimed for this ballot (yet)


def recent_ballots(db: Session, user: User, limit: int = 20) -> list[BallotRecord]:
    """The user's latest ballots from any of their wallets, newest first, with the item's outcome and
    what was claimed. Only their own ballots: an unrevealed side stays unknown (``vote.side`` None)."""
    mine = addresses_of(user)
    if not mine:
        return []
    votes = list(
        db.scalars(
            select(ReviewVote)
            .where(ReviewVote.voter_address.in_(mine))
            .order_by(ReviewVote.id.desc())
            .limit(limit)
        )
    )
    if not votes:
        return []
    names = {
        row[0]: row[1]
        for row in db.execute(
            select(Dataset.id, Dataset.name).where(Dataset.id.in_({v.dataset_id for v in votes}))
        )
    }
    items = {
        i.id: i
        for i in db.scalars(
            select(Item).where(Item.id.in_({v.item_id for v in votes if v.item_id is not None}))
        )
    }
    claims = {
        (c.dataset_id, c.content_hash, c.round, c.voter_address): int(c.amount_wei)
        for c in db.scalars(
            select(ReviewClaim).where(
                ReviewClaim.voter_address.in_(mine),
                ReviewClaim.content_hash.in_({v.content_hash for v in votes}),
            )
        )
    }
    return [
        BallotRecord(
            vote=v,
            dataset_name=names.get(v.dataset_id, str(v.dataset_id)),
            item=items.get(v.item_id) if v.item_id is not None else None,
            claimed_wei=claims.get((v.dataset_id, v.content_hash, v.round, v.voter_address)),
        )
        for v in votes
    ]


def claims_by_ballot(db: Session, dataset: Dataset, content_hash: str) -> dict[tuple[int, str], ReviewClaim]:
    rows = db.scalars(
        select(ReviewClaim).where(
            ReviewClaim.dataset_id == dataset.id, ReviewClaim.content_hash == content_hash
        )
    )
    return {(c.round, c.voter_address): c for c in rows}
