"""What happened, when a reviewer asks to reveal or claim and has no ballot in the round concerned.

The contract (and the service's own checks before it) say only ``NoBallot``: no commitment in this
round. That is true but does not help a person, least of all one who never voted on the item, or one
whose round closed before they revealed: after a commit-reveal round fails (too few reveals when its
window closes) or expires, the next commit opens a new round in which they hold nothing. This module
reads the reviewer's ballots on the item from the index and tells that story instead; the refusal keeps
its ``NoBallot`` code for scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, ReviewVote, User
from sebrus.services.errors import Conflict, ServiceError
from sebrus.services.review.chain import addresses_of

# How each way a round can end without a decision reads in a sentence.
UNDECIDED_ENDS = {
    "failed": "closed without enough reveals to decide the item",
    "expired": "expired before it could decide the item",
    "aborted": "was called off before it decided the item",
}


@contextmanager
def explained(db: Session, dataset: Dataset, user: User, content_hash: str, action: str) -> Iterator[None]:
    """Run a reveal or claim (``action``); a ``NoBallot`` refusal inside becomes what happened."""
    try:
        yield
    except ServiceError as exc:
        if exc.code != "NoBallot":
            raise
        raise Conflict(story(db, dataset, user, content_hash, action), code="NoBallot") from exc


def story(db: Session, dataset: Dataset, user: User, content_hash: str, action: str) -> str:
    """A sentence for a reviewer who has nothing to ``action`` (reveal, claim) on the item."""
    mine = addresses_of(user)
    ballots = list(
        db.scalars(
            select(ReviewVote)
            .where(ReviewVote.dataset_id == dataset.id, ReviewVote.content_hash == content_hash.lower())
            .order_by(ReviewVote.round.desc(), ReviewVote.id.desc())
        )
    )
    own = [b for b in ballots if b.voter_address in mine]
    ended = next((b for b in ballots if b.round_state in UNDECIDED_ENDS), None)
    if not own:
        told = f"You did not vote on this item, so there is nothing of yours to {action}."
        if ended is not None:
            told += (
                f" Its round {ended.round} {UNDECIDED_ENDS[ended.round_state]}; the item stays open, and "
                "the next commit starts a new round you can join."
            )
        return told
    latest = own[0]
    if latest.round_state in UNDECIDED_ENDS:
        what = "was never revealed" if latest.side is None else "was revealed"
        ended_how = UNDECIDED_ENDS[latest.round_state]
        return (
            f"Your vote in round {latest.round} {what}, and that round {ended_how}. "
            "You hold no ballot in the round open now: commit again to take part."
        )
    return (
        f"You have no ballot to {action} in this item's current round "
        f"(your last vote was in round {latest.round})."
    )
