"""Contributed items: the database's index of what the chain recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow
from sebrus.db.models.enums import ItemStatus, str_enum


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex = blob key = on-chain contentHash
    label: Mapped[str] = mapped_column(String(128))
    label_index: Mapped[int] = mapped_column(Integer)
    contributor_address: Mapped[str] = mapped_column(String(42))
    contributor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[ItemStatus] = mapped_column(
        str_enum(ItemStatus, "item_status"), default=ItemStatus.PENDING
    )
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    log_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # Every list view pages by id inside one dataset, optionally filtered by one of these.
    __table_args__ = (
        UniqueConstraint("dataset_id", "content_hash"),
        Index("ix_items_dataset_status", "dataset_id", "status", "id"),
        Index("ix_items_dataset_contributor", "dataset_id", "contributor_address", "id"),
        Index("ix_items_dataset_label", "dataset_id", "label", "id"),
        Index("ix_items_contributor_user", "contributor_user_id"),
        Index("ix_items_chain_position", "block_number", "log_index"),
    )
