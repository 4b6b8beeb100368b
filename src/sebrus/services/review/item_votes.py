"""One item's review as its page shows it: what deciding it takes, and the ballots a visitor may see.

The same blindness rule as the review API (``review_queries.history``): every ballot once the item is
resolved, before that only the visitor's own, so the page never hands out a running tally.

The deposit facts come from the chain (``Review.itemReview``), not the index, because they decide
which button the contributor gets: a stale "unpaid" would offer a payment the contract refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_types import Outcome
from sebrus.db.models import Dataset, Item, ReviewVote, User
from sebrus.services.accounts.users import usernames
from sebrus.services.review import queries as review_queries


@dataclass(frozen=True)
class Ballot:
    vote: ReviewVote
    voter_name: str | None
    claimed_wei: int | None


@dataclass(frozen=True)
class ItemVotes:
    votes_needed: int | None  # None: the item has no review contract to vote through
    stake_wei: int | None
    commit_reveal: bool
    complete: bool  # True: every ballot is shown; False: only the visitor's own
    ballots: list[Ballot]
    deposit_wei: int = 0  # what the item's policy asks its contributor to deposit; 0: none
    deposit_paid: bool = False
    deposit_settled: bool = False  # refunded or forfeited
    item_approved: bool = False  # the review contract's outcome, which gates the refund

    @property
    def deposit_due(self) -> bool:
        """The policy asks a deposit and it is unpaid, so nobody can vote on the item yet."""
        return self.deposit_wei > 0 and not self.deposit_paid

    @property
    def deposit_claimable(self) -> bool:
        """The item was approved and its deposit is still held: the contributor can take it back."""
        return self.deposit_paid and self.item_approved and not self.deposit_settled

    @property
    def approvals(self) -> int:
        return sum(1 for b in self.ballots if b.vote.side == "approve")

    @property
    def rejections(self) -> int:
        return sum(1 for b in self.ballots if b.vote.side == "reject")


def item_votes(
    db: Session, reviews: ReviewLedger, dataset: Dataset, item: Item, viewer: User | None
) -> ItemVotes:
    needed: int | None = None
    stake: int | None = None
    commit_reveal = False
    deposit_wei, paid, settled, approved = 0, False, False, False
    if dataset.chain_id is not None and reviews.review_address(dataset.address) is not None:
        needed = reviews.votes_required(dataset.address, item.content_hash)
        terms = reviews.policy_for(dataset.address, item.content_hash).terms
        stake, commit_reveal = terms.stake_wei, terms.commit_reveal
        if terms.deposit_wei:
            review = reviews.item_review(dataset.address, item.content_hash)
            deposit_wei, paid, settled = terms.deposit_wei, review.deposit_paid, review.deposit_settled
            approved = review.outcome is Outcome.APPROVED
    _, votes, complete = review_queries.history(db, dataset, viewer, item.content_hash)
    claims = review_queries.claims_by_ballot(db, dataset, item.content_hash)
    names = usernames(db, [v.voter_user_id for v in votes])
    ballots = [
        Ballot(
            vote=v,
            voter_name=names.get(v.voter_user_id) if v.voter_user_id is not None else None,
            claimed_wei=int(c.amount_wei) if (c := claims.get((v.round, v.voter_address))) else None,
        )
        for v in votes
    ]
    return ItemVotes(
        needed,
        stake,
        commit_reveal,
        complete,
        ballots,
        deposit_wei=deposit_wei,
        deposit_paid=paid,
        deposit_settled=settled,
        item_approved=approved,
    )
