"""What only time moves on in the review network: the finalizer's work list.

Two kinds of row, each a call to ``Review.finalize`` that becomes possible at ``due_at`` (chain time,
seconds since the epoch):

- ``no-vote``: a Pending item judged under a policy with x = 0. Nobody votes on it; it is approved
  by ``finalize`` (after the contributor's deposit, if its policy asks one: state ``deposit``).
- ``reveal``: a commit-reveal round. Once its reveal window closes, ``finalize`` settles it if it was
  decided, fails it if not. ``due_at`` is null until the finalizer has read the window from the chain.

Rows are the platform's own bookkeeping, rebuilt from events and items if lost: the indexer adds
``reveal`` rows from ``VoteCommitted`` and closes them on ``RoundSettled``/``RoundFailed``/
``ReviewAborted``; the finalizer adds ``no-vote`` rows as it classifies new items, and closes what it
finalized. States: due | deposit | done | failed (given up after repeated unexpected refusals).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow

NO_VOTE = "no-vote"
REVEAL = "reveal"
DUE = "due"
AWAITING_DEPOSIT = "deposit"
DONE = "done"
FAILED = "failed"


class ReviewDeadline(Base):
    __tablename__ = "review_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(BigInteger, default=0)  # always 0 for no-vote rows
    state: Mapped[str] = mapped_column(String(16), default=DUE)
    due_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)  # our finalize, if it ran
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # The finalizer's one question, "what is due by now?", reads (state, due_at) in order.
    __table_args__ = (
        UniqueConstraint("dataset_id", "content_hash", "kind", "round", name="uq_review_deadlines_round"),
        Index("ix_review_deadlines_due", "state", "due_at", "id"),
    )
