"""Monitoring and incident response: per-release model metrics, and contributor revocations.

A metric row is the monitoring job's state and result for one release (the background runner claims it
by that row). A revocation row mirrors a ``ContributorRevoked`` event of the Revocations registry, and
its items are what the owner put on hold; an item is held until it is cleared or the revocation lifted.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow
from sebrus.db.models.enums import str_enum


class MetricState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RevocationState(enum.StrEnum):
    ACTIVE = "active"
    LIFTED = "lifted"


class ReleaseMetric(Base):
    __tablename__ = "release_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[MetricState] = mapped_column(
        str_enum(MetricState, "metric_state"), default=MetricState.QUEUED
    )
    message: Mapped[str] = mapped_column(String(256), default="")
    accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    per_class: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # label -> accuracy
    n_train: Mapped[int] = mapped_column(Integer, default=0)
    n_heldout: Mapped[int] = mapped_column(Integer, default=0)
    previous_version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    previous_accuracy: Mapped[float | None] = mapped_column(Float, nullable=True)
    drop: Mapped[float | None] = mapped_column(Float, nullable=True)  # previous - this, in [-1, 1]
    threshold: Mapped[float] = mapped_column(Float, default=0.0)
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the alert's likely sources
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("release_id"),
        Index("ix_release_metrics_dataset", "dataset_id", "version"),
        Index("ix_release_metrics_state", "state", "id"),
    )


class Revocation(Base):
    __tablename__ = "revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    contributor_address: Mapped[str] = mapped_column(String(42))
    state: Mapped[RevocationState] = mapped_column(
        str_enum(RevocationState, "revocation_state"), default=RevocationState.ACTIVE
    )
    reason: Mapped[str] = mapped_column(Text)
    reason_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the reason: what the chain holds
    revoked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42))
    rescan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"), nullable=True)
    rescan_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lift_tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)

    __table_args__ = (Index("ix_revocations_dataset", "dataset_id", "contributor_address", "id"),)


class RevocationItem(Base):
    """One item a revocation put on hold; ``action`` says what happened to it on chain."""

    __tablename__ = "revocation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revocation_id: Mapped[int] = mapped_column(ForeignKey("revocations.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    status_at_revocation: Mapped[str] = mapped_column(String(16))
    # "quarantined": it was Pending and the detector quarantined it on the dataset too;
    # "held": it was Quarantined, Approved or Rejected, so only the registry records the hold.
    action: Mapped[str] = mapped_column(String(16))
    requarantine_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    quarantine_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    cleared_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("revocation_id", "item_id"),
        Index("ix_revocation_items_item", "item_id"),
    )
