"""Commit-reveal salts the server keeps so that a reviewer can reveal later with one click.

A commit stores a random nonce; the salt is HMAC(server secret, nonce). The side is not stored at all:
the reveal tries both sides against the commitment on chain. So the database alone reveals nothing.
The nonce is kept before the commit is sent: a crash in between must not lose the only way to reveal
(an unrevealed stake is forfeited).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sebrus.db.base import utcnow
from sebrus.db.models import Dataset, Item, ReviewCommitSecret, User
from sebrus.services.errors import Conflict
from sebrus.services.review.chain import ReviewChain


def kept_nonces(dataset: Dataset, item: Item, voter: str) -> Select[ReviewCommitSecret]:
    """The nonces this server keeps for ``voter``'s commitments on the item (at most one a round)."""
    return select(ReviewCommitSecret).where(
        ReviewCommitSecret.dataset_id == dataset.id,
        ReviewCommitSecret.content_hash == item.content_hash,
        ReviewCommitSecret.voter_address == voter,
    )


def latest_nonce(
    db: Session, dataset: Dataset, item: Item, voter: str, from_round: int
) -> ReviewCommitSecret | None:
    """The nonce kept for ``voter``'s latest round on the item, if that round is ``from_round`` or later."""
    return db.scalar(
        kept_nonces(dataset, item, voter)
        .where(ReviewCommitSecret.round >= from_round)
        .order_by(ReviewCommitSecret.round.desc())
    )


def keep_nonce(
    db: Session, dataset: Dataset, item: Item, user: User, voter: str, round_guess: int
) -> ReviewCommitSecret:
    earlier = latest_nonce(db, dataset, item, voter, round_guess)
    if earlier is not None:
        # You committed in that round already: only its failure lets this commit in, opening the next.
        round_guess = earlier.round + 1
    secret = ReviewCommitSecret(
        dataset_id=dataset.id,
        content_hash=item.content_hash,
        round=round_guess,
        voter_address=voter,
        user_id=user.id,
        nonce=secrets.token_hex(32),
        created_at=utcnow(),
    )
    db.add(secret)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise Conflict("AlreadyVoted: You have already committed on this item in this round.") from None
    return secret


def salt(chain: ReviewChain, nonce: str) -> bytes:
    """The commitment's salt, re-derived from the kept nonce and the server secret."""
    key = chain.link.server_secret.encode()
    return hmac.new(key, b"sebrus review salt\0" + bytes.fromhex(nonce), hashlib.sha256).digest()
