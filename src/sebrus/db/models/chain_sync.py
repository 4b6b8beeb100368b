"""Bookkeeping between the database and the ledger: writes still owed, events already read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow
from sebrus.db.models.enums import OutboxState, str_enum


class OutboxEntry(Base):
    """A chain write the platform has promised; unique per (dataset, content) so retries are idempotent."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    label_index: Mapped[int] = mapped_column(Integer)
    contributor_address: Mapped[str] = mapped_column(String(42))
    signature: Mapped[str | None] = mapped_column(String(132), nullable=True)
    deadline: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    state: Mapped[OutboxState] = mapped_column(
        str_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # What the upload's checks learnt about the image: the item row is written from these, never by
    # decoding the blob again (null for rows from before they were kept).
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(32), nullable=True)

    __table_args__ = (
        UniqueConstraint("dataset_id", "content_hash"),
        Index("ix_outbox_state", "state", "id"),
    )


class ChainCursor(Base):
    """How far a named follower (e.g. the indexer) has read, by (block, log index)."""

    __tablename__ = "chain_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, default=0)
    log_index: Mapped[int] = mapped_column(Integer, default=-1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
