"""What the review page lists beside the queue: the datasets open to review and your ballots to reveal."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.db.models import Dataset, ReviewVote


def datasets_under_review(db: Session, limit: int) -> list[Dataset]:
    """Datasets created on chain (each has a review contract), oldest first."""
    return list(
        db.scalars(select(Dataset).where(Dataset.chain_id.is_not(None)).order_by(Dataset.id).limit(limit))
    )


def ballots_to_reveal(db: Session, dataset: Dataset, addresses: Collection[str]) -> list[ReviewVote]:
    """Committed, unrevealed ballots of these wallets in the dataset's open rounds."""
    return list(
        db.scalars(
            select(ReviewVote).where(
                ReviewVote.dataset_id == dataset.id,
                ReviewVote.voter_address.in_(list(addresses)),
                ReviewVote.side.is_(None),
                ReviewVote.round_state == "open",
            )
        )
    )
