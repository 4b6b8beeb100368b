"""The review network mirrored from the chain, plus the two things only the platform knows.

Mirrored (the indexer writes them from Review events, so they can be rebuilt from the chain):
votes, claims, money moving in and out of a dataset's review contract, and the allow-list.
The platform's own: when the queue first served an item to a reviewer (to tell a vote cast
without looking), and the random nonce behind a custodial commit's salt (to reveal it later).

Amounts are wei as decimal strings: a uint96 stake does not fit a 64-bit integer column.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow

WEI = String(40)  # 2**128 has 39 digits


class ReviewVote(Base):
    """One ballot: cast in plain mode, or committed and (perhaps) revealed in commit-reveal mode."""

    __tablename__ = "review_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(BigInteger)
    voter_address: Mapped[str] = mapped_column(String(42))
    voter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    side: Mapped[str | None] = mapped_column(String(8), nullable=True)  # approve | reject; None: not revealed
    commitment: Mapped[str | None] = mapped_column(String(66), nullable=True)
    stake_wei: Mapped[str] = mapped_column(WEI)
    # open | resolved | failed | aborted: the round's fate, which decides what the ballot earns.
    round_state: Mapped[str] = mapped_column(String(16), default="open")
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    reveal_tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)

    __table_args__ = (
        UniqueConstraint(
            "dataset_id", "content_hash", "round", "voter_address", name="uq_review_votes_ballot"
        ),
        Index("ix_review_votes_voter", "dataset_id", "voter_address", "id"),
        Index("ix_review_votes_user", "voter_user_id", "id"),
        Index("ix_review_votes_item", "item_id"),
    )


class ReviewClaim(Base):
    """A payout a voter collected (stake, reward and share of the losing stakes, or a refund)."""

    __tablename__ = "review_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(BigInteger)
    voter_address: Mapped[str] = mapped_column(String(42))
    voter_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    amount_wei: Mapped[str] = mapped_column(WEI)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint(
            "dataset_id", "content_hash", "round", "voter_address", name="uq_review_claims_ballot"
        ),
        Index("ix_review_claims_voter", "dataset_id", "voter_address"),
    )


class ReviewTransfer(Base):
    """Money in or out of a review contract's pool or deposits, and what settlement moved to the pool.

    kind: fund | withdraw | deposit | deposit-refund | deposit-forfeit | settle | fail | expire
    """

    __tablename__ = "review_transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(42), nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount_wei: Mapped[str] = mapped_column(WEI)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index"),
        Index("ix_review_transfers_dataset", "dataset_id", "id"),
    )


class ReviewVoter(Base):
    """A wallet on a dataset's allow-list (``allowed`` false once revoked)."""

    __tablename__ = "review_voters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(42))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("dataset_id", "address"),)


class ReviewServe(Base):
    """When the queue first showed an item to a reviewer: a vote soon after it was not a look."""

    __tablename__ = "review_serves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    served_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("item_id", "user_id"),
        Index("ix_review_serves_user", "dataset_id", "user_id"),
    )


class ReviewCommitSecret(Base):
    """The random nonce a custodial commit's salt is derived from (with the server secret).

    Neither the side nor the salt is stored: without the server secret the nonce tells nothing, and
    the reveal recovers the side by matching both candidates against the commitment on chain.
    """

    __tablename__ = "review_commit_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(BigInteger)
    voter_address: Mapped[str] = mapped_column(String(42))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint(
            "dataset_id", "content_hash", "round", "voter_address", name="uq_review_secrets_ballot"
        ),
    )
