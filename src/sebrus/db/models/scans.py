"""Poison scans of a dataset, their per-item results, and the owner's vetted seed set.

A scan row is the job's state as every process sees it (the in-process runner, an RQ worker and the API
read the same row), so the broker never has to be asked what a scan is doing. Results are per scan:
a rescan adds rows and never rewrites an earlier scan's findings.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow
from sebrus.db.models.enums import str_enum


class ScanState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ScanScope(enum.StrEnum):
    ALL = "all"
    NEW_SINCE_LAST = "new-since-last"


class QuarantineState(enum.StrEnum):
    PENDING = "pending"  # flagged while Pending: the ledger-owning process still has to send it
    SENT = "sent"  # this scan's report hash is on chain for the item
    SKIPPED = "skipped"  # the item had already left Pending (quarantined earlier, or resolved)
    FAILED = "failed"  # the chain refused; the error says why


class SeedSource(enum.StrEnum):
    UPLOAD = "upload"  # bytes the owner uploaded as seed files; never anchored as items
    ITEM = "item"  # an existing item the owner vouched for


class Scan(Base):
    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    state: Mapped[ScanState] = mapped_column(str_enum(ScanState, "scan_state"), default=ScanState.QUEUED)
    scope: Mapped[ScanScope] = mapped_column(str_enum(ScanScope, "scan_scope"), default=ScanScope.ALL)
    backend: Mapped[str] = mapped_column(String(16), default="thread")  # thread | rq
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(256), default="")
    # Items with since_item_id < id <= upto_item_id get results; every non-rejected item up to
    # upto_item_id is data the models learn from.
    since_item_id: Mapped[int] = mapped_column(Integer, default=0)
    upto_item_id: Mapped[int] = mapped_column(Integer, default=0)
    # The operating point: a false-discovery rate (the default), or an explicit false-positive rate.
    fpr: Mapped[float | None] = mapped_column(Float, nullable=True)
    fdr: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_false_positives: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_precision: Mapped[float | None] = mapped_column(Float, nullable=True)
    # What the seed set was used for, in the report's own words (shown by the web and the CLI as is).
    trusted_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    random_seed: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The dataset's scan model when the scan was started (null: the reference CNN); the runner loads it.
    model_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    n_items: Mapped[int] = mapped_column(Integer, default=0)  # items given results
    n_context: Mapped[int] = mapped_column(Integer, default=0)  # items the detectors saw
    n_trusted: Mapped[int] = mapped_column(Integer, default=0)
    n_flagged: Mapped[int] = mapped_column(Integer, default=0)
    report_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # goes on chain
    report_html_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    insufficient_data: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Renewed while the scan runs: a running scan whose heartbeat stopped lost its runner.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_scans_dataset", "dataset_id", "id"),
        Index("ix_scans_state", "state", "id"),
    )


class ScanResult(Base):
    __tablename__ = "scan_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    suspicion: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    quarantine: Mapped[QuarantineState | None] = mapped_column(
        str_enum(QuarantineState, "quarantine_state"), nullable=True
    )
    quarantine_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    quarantine_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        UniqueConstraint("scan_id", "item_id"),
        Index("ix_scan_results_flagged", "scan_id", "flagged", "suspicion"),
        Index("ix_scan_results_item", "item_id"),
        Index("ix_scan_results_quarantine", "quarantine", "id"),
    )


class DatasetSeed(Base):
    """One image of the owner's vetted seed set: the trusted data scans calibrate against."""

    __tablename__ = "dataset_seeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))  # blob key
    label: Mapped[str] = mapped_column(String(128))
    source: Mapped[SeedSource] = mapped_column(str_enum(SeedSource, "seed_source"))
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("dataset_id", "content_hash"),)
