"""Review events into the database: an extension the indexer runs in its own transaction.

The indexer hands over every event that is not a dataset's; this module keeps those of the review
contracts (found through the ReviewFactory, one per dataset) and mirrors them into the ``review_*``
tables. Applying an event twice changes nothing (rows are keyed by ballot or by log position), so
the indexer's replay-after-crash stays safe. The item's own status still follows the Dataset's
``ItemResolved``, in the same transaction.

It also keeps the finalizer's work list (``review_deadlines``): a commit-reveal round gets a row at
its first commit, learns its reveal deadline from ``CommitPhaseClosed`` (or from the chain, read by
the finalizer), and is closed by ``RoundSettled``, ``RoundFailed`` or ``ReviewAborted``. A plain round
that stalled while the review lacked the dataset's resolver role ends with ``RoundExpired``: its
ballots become "expired" (each may claim its stake back) and the item returns to the queue. An x = 0 item
waiting for its deposit becomes due at ``DepositPaid`` and is closed by ``ItemReviewed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sebrus.chain.errors import LedgerError
from sebrus.chain.review import VOTER_ROLE, ReviewLedger
from sebrus.chain.types import ChainEvent
from sebrus.db.base import utcnow
from sebrus.db.models import (
    Dataset,
    Item,
    ReviewClaim,
    ReviewDeadline,
    ReviewTransfer,
    ReviewVote,
    ReviewVoter,
    Wallet,
)
from sebrus.db.models.review_deadlines import AWAITING_DEPOSIT, DONE, DUE, NO_VOTE, REVEAL

log = logging.getLogger(__name__)

Handler = Callable[[Session, int, ChainEvent], None]


def side_of(approve: bool) -> str:
    return "approve" if approve else "reject"


class ReviewIndex:
    def __init__(self, reviews: ReviewLedger) -> None:
        self._reviews = reviews
        self._dataset_of_review: dict[str, int] = {}
        self._handlers: dict[str, Handler] = {
            "VoteCast": self._vote_cast,
            "VoteCommitted": self._vote_committed,
            "VoteRevealed": self._vote_revealed,
            "CommitPhaseClosed": self._commit_phase_closed,
            "ItemReviewed": self._item_reviewed,
            "ReviewAborted": self._round_aborted,
            "RoundFailed": self._round_failed,
            "RoundExpired": self._round_expired,
            "RoundSettled": self._round_settled,
            "Claimed": self._claimed,
            "PoolFunded": self._transfer("fund", "from"),
            "PoolWithdrawn": self._transfer("withdraw", "to"),
            "DepositPaid": self._deposit_paid,
            "DepositRefunded": self._transfer("deposit-refund", "contributor"),
            "DepositForfeited": self._transfer("deposit-forfeit", None),
            "RoleGranted": self._voter_role(True),
            "RoleRevoked": self._voter_role(False),
        }

    def apply(self, db: Session, event: ChainEvent) -> None:
        handler = self._handlers.get(event.name)
        if handler is None:
            return
        dataset_id = self._dataset_for(db, event.address)
        if dataset_id is not None:
            handler(db, dataset_id, event)

    def _dataset_for(self, db: Session, address: str) -> int | None:
        """The dataset a review contract judges; asks the factory only for datasets not yet mapped."""
        if address in self._dataset_of_review:
            return self._dataset_of_review[address]
        if not self._reviews.is_deployed:
            return None
        mapped = set(self._dataset_of_review.values())
        for dataset in db.scalars(select(Dataset).where(Dataset.chain_id.is_not(None))):
            if dataset.id in mapped:
                continue
            try:
                review = self._reviews.review_address(dataset.address)
            except LedgerError:
                continue
            if review is not None:
                self._dataset_of_review[review] = dataset.id
        return self._dataset_of_review.get(address)

    # ------------------------------------------------------------------ ballots

    def _vote_cast(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        vote = self._new_vote(db, dataset_id, event)
        if vote is not None:
            vote.side = side_of(bool(event.args["approve"]))
            vote.revealed_at = vote.cast_at

    def _vote_committed(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        vote = self._new_vote(db, dataset_id, event)
        if vote is not None:
            vote.commitment = "0x" + bytes(event.args["commitment"]).hex()
        _round_deadline(db, dataset_id, bytes(event.args["contentHash"]).hex(), int(event.args["round"]))

    def _commit_phase_closed(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        """The round took its last commit: reveals close at ``revealEnds`` and then it can be settled."""
        row = _round_deadline(
            db, dataset_id, bytes(event.args["contentHash"]).hex(), int(event.args["round"])
        )
        row.due_at = int(event.args["revealEnds"])
        db.flush()

    def _new_vote(self, db: Session, dataset_id: int, event: ChainEvent) -> ReviewVote | None:
        content_hash = bytes(event.args["contentHash"]).hex()
        voter = str(event.args["voter"])
        round_index = int(event.args["round"])
        if _ballot(db, dataset_id, content_hash, round_index, voter) is not None:
            return None
        vote = ReviewVote(
            dataset_id=dataset_id,
            item_id=_item_id(db, dataset_id, content_hash),
            content_hash=content_hash,
            round=round_index,
            voter_address=voter,
            voter_user_id=_user_of(db, voter),
            stake_wei=str(int(event.args["stake"])),
            round_state="open",
            cast_at=utcnow(),
            tx_hash=event.tx_hash,
            block_number=event.block_number,
            log_index=event.log_index,
        )
        db.add(vote)
        db.flush()
        return vote

    def _vote_revealed(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        content_hash = bytes(event.args["contentHash"]).hex()
        vote = _ballot(db, dataset_id, content_hash, int(event.args["round"]), str(event.args["voter"]))
        if vote is None:
            log.warning("reveal of a commit the index does not have: %s", event.tx_hash)
            return
        if vote.side is None:
            vote.side = side_of(bool(event.args["approve"]))
            vote.revealed_at = utcnow()
            vote.reveal_tx_hash = event.tx_hash

    # ------------------------------------------------------------------ rounds

    def _round_state(self, state: str) -> Handler:
        def handle(db: Session, dataset_id: int, event: ChainEvent) -> None:
            _set_round_state(db, dataset_id, event, state)

        return handle

    def _item_reviewed(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        _set_round_state(db, dataset_id, event, "resolved")
        _close_deadlines(db, dataset_id, event, NO_VOTE)

    def _round_aborted(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        _set_round_state(db, dataset_id, event, "aborted")
        _close_deadlines(db, dataset_id, event, NO_VOTE)
        _close_deadlines(db, dataset_id, event, REVEAL)

    def _round_failed(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        _set_round_state(db, dataset_id, event, "failed")
        _close_deadlines(db, dataset_id, event, REVEAL)
        self._record(db, dataset_id, event, "fail", None, int(event.args["toPool"]))

    def _round_expired(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        _set_round_state(db, dataset_id, event, "expired")
        if int(event.args["toPool"]) > 0:  # the reserved rewards went back to the pool
            self._record(db, dataset_id, event, "expire", None, int(event.args["toPool"]))

    def _round_settled(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        _close_deadlines(db, dataset_id, event, REVEAL)
        if int(event.args["toPool"]) > 0:
            self._record(db, dataset_id, event, "settle", None, int(event.args["toPool"]))

    def _deposit_paid(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        self._record(
            db, dataset_id, event, "deposit", str(event.args["contributor"]), int(event.args["amount"])
        )
        # An x = 0 item waiting for its deposit can now be approved.
        db.execute(
            update(ReviewDeadline)
            .where(
                ReviewDeadline.dataset_id == dataset_id,
                ReviewDeadline.content_hash == bytes(event.args["contentHash"]).hex(),
                ReviewDeadline.kind == NO_VOTE,
                ReviewDeadline.state == AWAITING_DEPOSIT,
            )
            .values(state=DUE, due_at=0)
        )

    def _claimed(self, db: Session, dataset_id: int, event: ChainEvent) -> None:
        content_hash = bytes(event.args["contentHash"]).hex()
        voter = str(event.args["voter"])
        round_index = int(event.args["round"])
        existing = db.scalar(
            select(ReviewClaim.id).where(
                ReviewClaim.dataset_id == dataset_id,
                ReviewClaim.content_hash == content_hash,
                ReviewClaim.round == round_index,
                ReviewClaim.voter_address == voter,
            )
        )
        if existing is not None:
            return
        db.add(
            ReviewClaim(
                dataset_id=dataset_id,
                content_hash=content_hash,
                round=round_index,
                voter_address=voter,
                voter_user_id=_user_of(db, voter),
                amount_wei=str(int(event.args["amount"])),
                claimed_at=utcnow(),
                tx_hash=event.tx_hash,
                block_number=event.block_number,
                log_index=event.log_index,
            )
        )
        db.flush()

    # ------------------------------------------------------------------ money and the allow-list

    def _transfer(self, kind: str, party: str | None) -> Handler:
        def handle(db: Session, dataset_id: int, event: ChainEvent) -> None:
            address = str(event.args[party]) if party else None
            self._record(db, dataset_id, event, kind, address, int(event.args["amount"]))

        return handle

    def _record(
        self, db: Session, dataset_id: int, event: ChainEvent, kind: str, address: str | None, amount: int
    ) -> None:
        exists = db.scalar(
            select(ReviewTransfer.id).where(
                ReviewTransfer.tx_hash == event.tx_hash, ReviewTransfer.log_index == event.log_index
            )
        )
        if exists is not None:
            return
        content = event.args.get("contentHash")
        db.add(
            ReviewTransfer(
                dataset_id=dataset_id,
                kind=kind,
                address=address,
                content_hash=bytes(content).hex() if content is not None else None,
                amount_wei=str(amount),
                at=utcnow(),
                tx_hash=event.tx_hash,
                block_number=event.block_number,
                log_index=event.log_index,
            )
        )
        db.flush()

    def _voter_role(self, allowed: bool) -> Handler:
        def handle(db: Session, dataset_id: int, event: ChainEvent) -> None:
            if bytes(event.args["role"]) != VOTER_ROLE:
                return  # the owner's admin role, granted at creation
            address = str(event.args["account"])
            row = db.scalar(
                select(ReviewVoter).where(
                    ReviewVoter.dataset_id == dataset_id, ReviewVoter.address == address
                )
            )
            if row is None:
                row = ReviewVoter(dataset_id=dataset_id, address=address, user_id=_user_of(db, address))
                db.add(row)
            elif row.block_number > event.block_number:
                return  # a replay of an older change
            row.allowed = allowed
            row.block_number = event.block_number
            db.flush()

        return handle


def _ballot(
    db: Session, dataset_id: int, content_hash: str, round_index: int, voter: str
) -> ReviewVote | None:
    return db.scalar(
        select(ReviewVote).where(
            ReviewVote.dataset_id == dataset_id,
            ReviewVote.content_hash == content_hash,
            ReviewVote.round == round_index,
            ReviewVote.voter_address == voter,
        )
    )


def _set_round_state(db: Session, dataset_id: int, event: ChainEvent, state: str) -> None:
    db.execute(
        update(ReviewVote)
        .where(
            ReviewVote.dataset_id == dataset_id,
            ReviewVote.content_hash == bytes(event.args["contentHash"]).hex(),
            ReviewVote.round == int(event.args["round"]),
        )
        .values(round_state=state)
    )


def _round_deadline(db: Session, dataset_id: int, content_hash: str, round_index: int) -> ReviewDeadline:
    """The round's row in the finalizer's work list, made at its first commit (due_at read later)."""
    row = db.scalar(
        select(ReviewDeadline).where(
            ReviewDeadline.dataset_id == dataset_id,
            ReviewDeadline.content_hash == content_hash,
            ReviewDeadline.kind == REVEAL,
            ReviewDeadline.round == round_index,
        )
    )
    if row is None:
        row = ReviewDeadline(
            dataset_id=dataset_id,
            content_hash=content_hash,
            kind=REVEAL,
            round=round_index,
            state=DUE,
            due_at=None,
            attempts=0,
        )
        db.add(row)
        db.flush()
    return row


def _close_deadlines(db: Session, dataset_id: int, event: ChainEvent, kind: str) -> None:
    """Nothing is left for the finalizer: a reveal row of this round, or the item's no-vote row."""
    stmt = update(ReviewDeadline).where(
        ReviewDeadline.dataset_id == dataset_id,
        ReviewDeadline.content_hash == bytes(event.args["contentHash"]).hex(),
        ReviewDeadline.kind == kind,
        ReviewDeadline.state != DONE,
    )
    if kind == REVEAL:
        stmt = stmt.where(ReviewDeadline.round == int(event.args["round"]))
    db.execute(stmt.values(state=DONE))


def _item_id(db: Session, dataset_id: int, content_hash: str) -> int | None:
    return db.scalar(select(Item.id).where(Item.dataset_id == dataset_id, Item.content_hash == content_hash))


def _user_of(db: Session, address: str) -> int | None:
    return db.scalar(select(Wallet.user_id).where(Wallet.address == address))
