"""Append-only record of who did what; database triggers refuse UPDATE and DELETE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sebrus.db.base import Base, UTCDateTime, utcnow


class AuditLogEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # No foreign key on purpose: deleting a user must not need to rewrite (UPDATE) their history.
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_audit_log_subject", "subject", "id"),
        Index("ix_audit_log_actor", "actor_user_id", "id"),
        # A dataset's latest runs of one action (its audits, for the Audit page) without reading the rest.
        Index("ix_audit_log_action_subject", "action", "subject", "id"),
    )
