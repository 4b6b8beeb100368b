"""Published releases: the frozen item lists behind the roots recorded in the ReleaseRegistry.

The chain holds each release's Merkle root, count and hashes; these rows hold which items (and under
which label) the root commits to, and which items a release removed and why. Rows are only ever inserted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow


class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(BigInteger)
    merkle_root: Mapped[str] = mapped_column(String(66))  # 0x + 64 hex
    manifest_hash: Mapped[str] = mapped_column(String(66))
    removed_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    item_count: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42))
    publisher_address: Mapped[str] = mapped_column(String(42))
    publisher_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("dataset_id", "version"),)


class ReleaseItem(Base):
    __tablename__ = "release_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))  # as released, whatever happens to the item later

    __table_args__ = (
        UniqueConstraint("release_id", "content_hash"),
        Index("ix_release_items_item", "item_id"),  # which releases hold an item (trace)
    )


class ReleaseRemoval(Base):
    __tablename__ = "release_removals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("release_id", "content_hash"),)
