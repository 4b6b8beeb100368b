"""The reviewer's ballots through the server: vote, or commit and reveal, finalize, claim.

Every write is signed by the reviewer's custodial wallet and sent to the dataset's Review contract;
the contract's refusals become 4xx errors (``review.errors``). After each transaction the indexer is
synced, so the database (votes, claims, the item's status) already shows what the chain did. What a
reviewer reads (the queue, claims waiting, history) is in ``review.queries``; the commit-reveal salts
in ``review.commit_secrets``.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.review import commitment_hash
from sebrus.chain.review_types import BallotState
from sebrus.chain.types import TxResult
from sebrus.db.base import utcnow
from sebrus.db.models import Dataset, Item, ReviewCommitSecret, ReviewVote, User
from sebrus.services.errors import Conflict, InvalidInput, PermissionDenied
from sebrus.services.review import commit_secrets
from sebrus.services.review.chain import ReviewChain, addresses_of, item_of
from sebrus.services.review.errors import chain_refusals
from sebrus.services.review.finalize_guard import require_finalizable
from sebrus.services.review.queries import RESOLVED_STATUSES


@dataclass(frozen=True)
class VoteReceipt:
    item: Item
    vote: ReviewVote | None
    tx_hash: str


@dataclass(frozen=True)
class ClaimReceipt:
    content_hash: str
    round: int
    amount_wei: int
    tx_hash: str


def vote(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, content_hash: str, approve: bool
) -> VoteReceipt:
    address = chain.address_of(dataset)
    item = reviewable(db, dataset, user, content_hash)
    signer = chain.signer(db, user)
    with chain_refusals("vote"):
        terms = chain.reviews.policy_for(address, item.content_hash).terms
        chain.require_funds(signer.address, terms.stake_wei, "a vote")
    result = send_vote(chain, signer, address, item.content_hash, approve)
    return receipt(db, chain, dataset, item, signer.address, result.tx_hash)


def send_vote(
    chain: ReviewChain, signer: LocalAccount, address: str, content_hash: str, approve: bool
) -> TxResult:
    """One plain vote's transaction, without the index sync: a bulk submission sends several in a row
    through the same transactor (its nonces) and syncs once after the last (``review.settlers``)."""
    with chain_refusals("vote"):
        return chain.reviews.vote(signer, address, content_hash, approve)


def commit(
    db: Session, chain: ReviewChain, dataset: Dataset, user: User, content_hash: str, approve: bool
) -> VoteReceipt:
    """Commit a hidden vote; the server keeps a nonce from which it re-derives the salt to reveal."""
    address = chain.address_of(dataset)
    item = reviewable(db, dataset, user, content_hash)
    signer = chain.signer(db, user)
    with chain_refusals("commit"):
        terms = chain.reviews.policy_for(address, item.content_hash).terms
        if not terms.commit_reveal:
            raise InvalidInput("This item is reviewed by plain votes: vote instead of committing.")
        chain.require_funds(signer.address, terms.stake_wei, "a commit")
        round_guess = chain.reviews.item_review(address, item.content_hash).round
    # The nonce is committed before the transaction is sent: a crash in between must not lose the
    # only way to reveal (an unrevealed stake is forfeited).
    secret = commit_secrets.keep_nonce(db, dataset, item, user, signer.address, round_guess)
    try:
        with chain_refusals("commit"):
            committed = chain.reviews.commit(
                signer, address, item.content_hash, approve, salt=commit_secrets.salt(chain, secret.nonce)
            )
    except BaseException:
        db.delete(secret)
        db.commit()
        raise
    if committed.round != secret.round:
        secret.round = committed.round
        db.commit()
    return receipt(db, chain, dataset, item, signer.address, committed.tx.tx_hash)


def reveal(db: Session, chain: ReviewChain, dataset: Dataset, user: User, content_hash: str) -> VoteReceipt:
    address = chain.address_of(dataset)
    item = item_of(db, dataset, content_hash)
    signer = chain.signer(db, user)
    secret = db.scalar(
        commit_secrets.kept_nonces(dataset, item, signer.address).order_by(ReviewCommitSecret.id.desc())
    )
    if secret is None:
        raise Conflict("NoBallot: this server holds no commitment of yours on this item to reveal.")
    with chain_refusals("reveal"):
        current = chain.reviews.item_review(address, item.content_hash).round
        ballot = chain.reviews.ballot(address, item.content_hash, current, signer.address)
        if ballot.state is BallotState.NONE:
            raise Conflict("NoBallot: you have no commitment in this item's current round.")
        if ballot.state is not BallotState.COMMITTED:
            raise Conflict("AlreadyRevealed: your vote on this item is already revealed.")
        salt = commit_secrets.salt(chain, secret.nonce)
        side = next(
            (s for s in (True, False) if commitment_hash(s, salt, signer.address) == ballot.commitment), None
        )
        if side is None:
            raise Conflict("CommitmentMismatch: your commitment was not made through this server.")
        result = chain.reviews.reveal(signer, address, item.content_hash, side, salt)
    secret.revealed_at = utcnow()
    db.commit()
    return receipt(db, chain, dataset, item, signer.address, result.tx_hash)


def finalize(db: Session, chain: ReviewChain, dataset: Dataset, user: User, content_hash: str) -> Item:
    """Approve an x = 0 item, settle or fail a commit-reveal round whose time is up; anyone may, but
    an x = 0 item only once its grace is over (``finalize_guard``: a 409 saying when)."""
    address = chain.address_of(dataset)
    item = item_of(db, dataset, content_hash)
    signer = chain.signer(db, user)
    with chain_refusals("finalize"):
        require_finalizable(chain.reviews, address, item.content_hash, chain.link.no_vote_grace_s)
        chain.reviews.finalize(signer, address, item.content_hash)
    chain.sync()
    db.refresh(item)
    return item


def claim(
    db: Session,
    chain: ReviewChain,
    dataset: Dataset,
    user: User,
    content_hash: str,
    round_index: int | None = None,
) -> ClaimReceipt:
    """Collect a ballot's payout; without ``round_index``, the latest round you voted in."""
    address = chain.address_of(dataset)
    item = item_of(db, dataset, content_hash)
    signer = chain.signer(db, user)
    if round_index is None:
        latest = latest_ballot(db, dataset, item, signer.address)
        if latest is None:
            raise Conflict("NoBallot: you have no vote on this item to claim for.")
        round_index = latest.round
    with chain_refusals("claim"):
        claimed = chain.reviews.claim(signer, address, item.content_hash, round_index)
    chain.sync()
    return ClaimReceipt(item.content_hash, claimed.round, claimed.amount_wei, claimed.tx.tx_hash)


# ---------------------------------------------------------------------- helpers


def reviewable(db: Session, dataset: Dataset, user: User, content_hash: str) -> Item:
    """The item, refused before any gas is spent when it is the reviewer's own or already decided."""
    item = item_of(db, dataset, content_hash)
    if item.contributor_user_id == user.id or item.contributor_address in addresses_of(user):
        raise PermissionDenied("OwnContribution: You cannot review your own contribution.")
    if item.status in RESOLVED_STATUSES:
        raise Conflict("AlreadyResolved: This item is already resolved; it takes no more votes.")
    return item


def receipt(
    db: Session, chain: ReviewChain, dataset: Dataset, item: Item, voter: str, tx_hash: str
) -> VoteReceipt:
    chain.sync()
    db.expire_all()
    refreshed = db.get(Item, item.id)
    return VoteReceipt(refreshed or item, latest_ballot(db, dataset, item, voter), tx_hash)


def latest_ballot(db: Session, dataset: Dataset, item: Item, voter: str) -> ReviewVote | None:
    """``voter``'s ballot in the latest round they voted in on the item, as the index mirrors it."""
    return db.scalar(
        select(ReviewVote)
        .where(
            ReviewVote.dataset_id == dataset.id,
            ReviewVote.content_hash == item.content_hash,
            ReviewVote.voter_address == voter,
        )
        .order_by(ReviewVote.round.desc())
    )
